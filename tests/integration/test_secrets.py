"""No password, token, HMAC key or webhook URL path is ever shown.

One vigil-store master and replica with requirepass/masterauth, one vigil-sentinel with
requirepass, sentinel-pass, auth-pass, both HTTP tokens and two webhooks (an event hook whose
URL path is a credential, at a port nothing listens on so deliveries fail and get logged, and a
pre-failover hook that vetoes). Every surface an operator or a monitoring system reads is
exercised: CONFIG GET, INFO, CLIENT LIST, SLOWLOG, SENTINEL MASTER/CONFIG GET/DEBUG/INFO-CACHE,
ACL LIST, the /v1 JSON (masters, plan, history, operations with the veto's reason), /metrics,
vigilctl's output, --check-config, and both logs at debug level, through a failover. Then every
answer and every file the processes wrote except their own config and state (which must keep
the secrets to work) is searched for each secret string.
"""

import json
import os
import subprocess

import redis

import vigiltest
from vigiltest import deploy, wait_until

HOST = "127.0.0.1"
MASTER = "mymaster"
STORE_PW = "store-pw-Zq81x"
SENT_PW = "sentinel-pw-Kk27"
TOKEN = "http-token-Wf55"
READ_TOKEN = "read-token-Hy03"
HMAC_KEY = "hmac-key-Tt91"
URL_SECRET = "T000/B000/urlsecret-Pp64"
VETO_SECRET = "veto-path-Rb12"
SECRETS = [STORE_PW, SENT_PW, TOKEN, READ_TOKEN, HMAC_KEY, URL_SECRET, VETO_SECRET]
# Files that hold a secret because they are the configuration: the test checks they exist.
CONFIG_FILES = ("sentinel.yaml", "sentinel-state.json", "vigil-store.overrides.yaml")


def leaks(text):
    return [s for s in SECRETS if s in text]


def start_stores(test_dir):
    common = ["--requirepass", STORE_PW, "--masterauth", STORE_PW, "--loglevel", "debug",
              "--slowlog-log-slower-than", "0"]
    master = vigiltest.start_store("vigil", name="master", extra_args=common + [
        "--logfile", os.path.join(test_dir, "master.log")])
    replica = vigiltest.start_store("vigil", name="replica", extra_args=common + [
        "--logfile", os.path.join(test_dir, "replica.log"),
        "--replicaof", "%s %d" % (HOST, master.port)])
    return master, replica


def sentinel_yaml(path, port, data_dir, master_port, http_port, dead_port, veto_port):
    with open(path, "w") as f:
        f.write("""port: {port}
bind: 127.0.0.1
dir: {dir}
requirepass: "{sent_pw}"
sentinel-pass: "{sent_pw}"
loglevel: debug
logfile: {dir}/sentinel.log
masters:
  - name: {master}
    host: 127.0.0.1
    port: {master_port}
    quorum: 1
    down-after: 500ms
    failover-timeout: 4s
    auth-pass: "{store_pw}"
http:
  bind: 127.0.0.1
  port: {http_port}
  token: "{token}"
  read-token: "{read_token}"
webhooks:
  - name: chat
    url: "http://127.0.0.1:{dead_port}/services/{url_secret}?k={url_secret}"
    events: ["*"]
    secret: "{hmac}"
    timeout: 200ms
  - url: "http://u:{veto_secret}@127.0.0.1:{veto_port}/{veto_secret}"
    pre-failover: yes
    timeout: 1s
""".format(port=port, dir=data_dir, sent_pw=SENT_PW, master=MASTER, master_port=master_port,
           store_pw=STORE_PW, http_port=http_port, token=TOKEN, read_token=READ_TOKEN,
           dead_port=dead_port, url_secret=URL_SECRET, hmac=HMAC_KEY, veto_secret=VETO_SECRET,
           veto_port=veto_port))


def calls(c, commands):
    out = []
    for args in commands:
        try:
            out.append(c.execute_command(*args))
        except redis.ResponseError as exc:  # a command we lack says so, without a secret
            out.append(str(exc))
    return out


def store_surfaces(node):
    c = redis.Redis(host=HOST, port=node.port, password=STORE_PW, decode_responses=True)
    out = calls(c, (("CONFIG", "GET", "*"), ("INFO", "everything"), ("CLIENT", "LIST"),
                    ("CONFIG", "SET", "requirepass", STORE_PW),
                    ("CONFIG", "SET", "masterauth", STORE_PW), ("AUTH", STORE_PW),
                    ("SLOWLOG", "GET", "128"), ("ACL", "LIST"), ("CONFIG", "REWRITE")))
    with node.raw() as raw:
        out.append(raw.call("AUTH", "wrong-" + STORE_PW))  # the error must not echo it
    return out


def sentinel_resp_surfaces(port):
    c = redis.Redis(host=HOST, port=port, password=SENT_PW, decode_responses=True)
    return calls(c, (("SENTINEL", "CONFIG", "GET", "*"), ("SENTINEL", "MASTER", MASTER),
                 ("SENTINEL", "MASTERS"), ("SENTINEL", "REPLICAS", MASTER),
                 ("SENTINEL", "SENTINELS", MASTER), ("SENTINEL", "DEBUG"),
                 ("SENTINEL", "DEBUG", MASTER), ("SENTINEL", "INFO-CACHE", MASTER),
                 ("INFO", "everything"), ("CLIENT", "LIST"), ("ACL", "LIST"),
                 ("SENTINEL", "SET", MASTER, "auth-pass", STORE_PW),
                 ("SENTINEL", "CONFIG", "SET", "sentinel-pass", SENT_PW),
                 ("SENTINEL", "MASTER", MASTER), ("SENTINEL", "CONFIG", "GET", "*")))


def http_surfaces(s):
    out = []
    for path in ("/v1/masters", "/v1/masters/%s" % MASTER, "/v1/masters/%s/plan" % MASTER,
                 "/v1/masters/%s/history" % MASTER, "/v1/masters/%s/replicas" % MASTER,
                 "/v1/masters/%s/master" % MASTER, "/metrics", "/healthz", "/readyz"):
        out.append(s.get(path, token=READ_TOKEN).body)
    out.append(s.get("/v1/masters", token="wrong").body)
    out.append(s.post("/v1/masters/%s/pause" % MASTER, {}, token="wrong-" + TOKEN).body)
    return out


def vigilctl(s, *args):
    ctl = vigiltest.require_binary(vigiltest.vigil_binary("vigilctl"))
    env = dict(os.environ, VIGIL_SENTINELS="%s:%d" % (HOST, s.http_port), VIGIL_TOKEN=TOKEN)
    r = subprocess.run([ctl] + list(args), env=env, capture_output=True, text=True, timeout=30)
    return r.stdout + r.stderr


def vetoed_failover(s):
    """A forced failover the pre-failover hook vetoes: its reason reaches the operation's JSON
    and the history, naming the hook without its URL's path or password."""
    def started():
        r = s.post("/v1/masters/%s/failover" % MASTER, {"force": True}, token=TOKEN)
        assert r.status in (202, 409), r
        return r if r.status == 202 else None  # 409: the replica is not eligible yet
    r = wait_until(started, 30, "a forced failover to start")
    op_path = "/v1/operations/%s" % r.json["id"]
    op = wait_until(lambda: (lambda o: o if o.get("state") in ("failed", "succeeded") else None)(
        s.get(op_path, token=READ_TOKEN).json), 30, "the vetoed failover to finish")
    assert op["state"] == "failed" and "veto" in json.dumps(op), op
    return [json.dumps(op)]


def files_written(dirs):
    for d in dirs:
        for root, _, names in os.walk(d):
            for n in names:
                if n not in CONFIG_FILES and not n.endswith(".yaml"):
                    yield os.path.join(root, n)


def test_no_surface_shows_a_secret(proc_group, test_dir):
    master, replica = start_stores(test_dir)
    veto = sentinel_http_receiver(403)
    data_dir = vigiltest.new_tmp_dir_in(test_dir, "sentinel")
    port, http_port, dead_port = (vigiltest.free_port() for _ in range(3))
    yaml_path = os.path.join(data_dir, "sentinel.yaml")
    try:
        sentinel_yaml(yaml_path, port, data_dir, master.port, http_port, dead_port, veto.port)
        binary = vigiltest.require_binary(vigiltest.vigil_binary("vigil-sentinel"))
        proc = vigiltest.Proc([binary, yaml_path], name="vigil-sentinel", cwd=data_dir)
        s = deploy.SentinelNode("vigil", port, proc, data_dir, http_port, yaml_path, TOKEN)
        s.client = redis.Redis(host=HOST, port=port, password=SENT_PW, decode_responses=True)
        wait_until(lambda: s.get("/v1/masters/%s/plan" % MASTER, token=READ_TOKEN).json.get(
            "candidates"), 20, "the sentinel to see the replica", ignore=(OSError,))
        wait_until(lambda: "webhook chat" in open(os.path.join(data_dir, "sentinel.log")).read(),
                   20, "a failed webhook delivery in the log")
        outputs = store_surfaces(master) + store_surfaces(replica)
        outputs += sentinel_resp_surfaces(port) + http_surfaces(s) + vetoed_failover(s)
        outputs += [vigilctl(s, "status"), vigilctl(s, "--json", "status"),
                    vigilctl(s, "plan", MASTER), vigilctl(s, "history", MASTER)]
        for binary_name, conf in (("vigil-sentinel", yaml_path),):
            b = vigiltest.vigil_binary(binary_name)
            r = subprocess.run([b, "--check-config", conf], capture_output=True, text=True)
            outputs.append(r.stdout + r.stderr)
        found = {}
        for i, out in enumerate(outputs):
            text = out if isinstance(out, str) else json.dumps(out, default=str)
            if leaks(text):
                found["output %d: %s" % (i, text[:300])] = leaks(text)
        written = list(files_written([test_dir]))
        assert any(p.endswith("sentinel.log") for p in written)
        for path in written:
            with open(path, errors="replace") as f:
                # The test harness's own first line ("$ argv") is not the program's output.
                text = "".join(line for line in f if not line.startswith("$ "))
            if leaks(text):
                found[path] = leaks(text)
        assert not found, "secrets shown: %s" % json.dumps(found, indent=1)
        # The files that must keep secrets to work are readable by their owner only.
        kept = [os.path.join(r, n) for r, _, names in os.walk(test_dir) for n in names
                if n in CONFIG_FILES[1:]]
        assert len(kept) == 3 and all(os.stat(p).st_mode & 0o077 == 0 for p in kept), kept
    finally:
        veto.close()


def sentinel_http_receiver(status):
    helpers = vigiltest.load_sibling(__file__, "test_http_api.py")
    return helpers.HookReceiver(statuses=[status] * 10, body=b"change freeze")
