"""HTTP-API deployments for process-level tests: data nodes plus vigil-sentinels with HTTP and webhooks.

Why: the HTTP API tests need what vigiltest.deploy (the demo's deployment) does not offer:
sentinels whose YAML carries per-test `http:` (token, port) and `webhooks:` sections, a choice of
quorum and sentinel count, and small clients for the HTTP side (JSON calls, Prometheus parsing).
Data nodes are Debian's redis-server today (vigil-store once its replication and FAILOVER are
complete). Every process joins the caller's ProcGroup, so the test's fixture stops exactly those.

  Deployment(group, kind='redis', n_sentinels=3, quorum=2, http=True, token=..., webhooks=...)
      .master, .replicas            Store objects (vigiltest.store)
      .sentinels                    SentinelProc objects (RESP client, HTTP helpers)
      .wait_replicas_online(), .wait_discovered(), .wait_eligible()
  SentinelProc.get(path) / .post(path, body) / .call(method, path, ...) -> HttpReply
      (.post sends Content-Type: application/json, as vigilctl does)
  http_call(port, method, path, body=None, token=None, headers=None, timeout=5) -> HttpReply
  parse_prometheus(text) -> {(name, frozenset(labels.items())): value}; raises on bad syntax

Node kind: VIGIL_SENTINEL_NODES=redis (default) or vigil; node_hz raises the data nodes' timer
frequency (redis-server --hz) where a test wants the node-side FAILOVER to poll faster.
"""

import http.client
import json
import os
import re

import redis

from . import procs, store

HOST = "127.0.0.1"
MASTER = "mymaster"
DOWN_AFTER_MS = 500
FAILOVER_TIMEOUT_MS = 4000
TOKEN = "test-token"


def node_kinds():
    return [k.strip() for k in os.environ.get("VIGIL_SENTINEL_NODES", "redis").split(",")
            if k.strip()]


def node_args(kind, master_port=None, hz=None):
    if kind == "redis":
        args = ["--repl-diskless-sync-delay", "0", "--repl-ping-replica-period", "1"]
        if hz:
            args += ["--hz", str(hz)]
        if master_port:
            args += ["--replicaof", HOST, str(master_port)]
        return args
    return ["--replicaof", "%s %d" % (HOST, master_port)] if master_port else []


def start_node(kind, master_port=None, name="node", hz=None):
    return store.start_store(kind, extra_args=node_args(kind, master_port, hz), name=name)


# --- HTTP ---------------------------------------------------------------------------------------

class HttpReply:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body
        try:
            self.json = json.loads(body) if body else None
        except ValueError:
            self.json = None

    def __repr__(self):
        return "HttpReply(%d, %r)" % (self.status, self.body[:300])


def http_call(port, method, path, body=None, token=None, headers=None, timeout=5):
    """One request on a fresh connection; body may be a dict (sent as JSON), str or bytes."""
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    hdrs = dict(headers or {})
    if token:
        hdrs["Authorization"] = "Bearer " + token
    if isinstance(body, dict):
        body = json.dumps(body)
    if isinstance(body, str):
        body = body.encode()
    try:
        conn.request(method, path, body=body, headers=hdrs)
        resp = conn.getresponse()
        data = resp.read().decode("utf-8", "replace")
        return HttpReply(resp.status, {k.lower(): v for k, v in resp.getheaders()}, data)
    finally:
        conn.close()


_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)')


def parse_prometheus(text):
    """Parse the text exposition format strictly enough to catch our mistakes."""
    samples, typed = {}, set()
    for line in text.splitlines():
        if not line:
            continue
        if line.startswith("# TYPE "):
            name, kind = line.split(" ")[2:4]
            assert kind in ("counter", "gauge", "histogram", "summary", "untyped"), line
            assert name not in typed, "family typed twice: " + name
            typed.add(name)
            continue
        if line.startswith("#"):
            assert line.startswith("# HELP "), line
            continue
        m = _SAMPLE.match(line)
        assert m, "bad sample line: %r" % line
        name, labels = m.group(1), {}
        if m.group(3):
            rest = m.group(3)
            while rest:
                lm = _LABEL.match(rest)
                assert lm, "bad labels in %r" % line
                labels[lm.group(1)] = lm.group(2)
                rest = rest[lm.end():]
        assert name in typed, "sample before its # TYPE: %r" % line
        key = (name, frozenset(labels.items()))
        assert key not in samples, "duplicate sample %r" % line
        samples[key] = float(m.group(4))
    return samples


# --- sentinels ------------------------------------------------------------------------------------

class SentinelProc:
    """One vigil-sentinel: RESP client, HTTP helpers, its dir and YAML."""

    def __init__(self, port, http_port, proc, data_dir, yaml_path, token):
        self.port = port
        self.http_port = http_port
        self.proc = proc
        self.dir = data_dir
        self.yaml = yaml_path
        self.token = token
        self.client = redis.Redis(host=HOST, port=port, decode_responses=True,
                                  socket_timeout=2, socket_connect_timeout=2)

    def cmd(self, *args):
        return self.client.execute_command(*args)

    def master_addr(self, name=MASTER):
        reply = self.cmd("SENTINEL", "GET-MASTER-ADDR-BY-NAME", name)
        return None if reply is None else (reply[0], int(reply[1]))

    def call(self, method, path, body=None, token=None, **kw):
        return http_call(self.http_port, method, path, body, token, **kw)

    def get(self, path, **kw):
        return self.call("GET", path, **kw)

    def post(self, path, body=None, token=True, headers=None, **kw):
        """POST as vigilctl does: Content-Type: application/json unless `headers` says otherwise
        (a header set to None is left out)."""
        hdrs = {"Content-Type": "application/json"}
        hdrs.update(headers or {})
        hdrs = {k: v for k, v in hdrs.items() if v is not None}
        return self.call("POST", path, body, self.token if token is True else token,
                         headers=hdrs, **kw)


def write_sentinel_yaml(path, port, data_dir, master_port, quorum, http_port=0, token=None,
                        webhooks=(), extra=""):
    lines = ["port: %d" % port, "bind: %s" % HOST, "dir: %s" % data_dir, "masters:",
             "  - name: %s" % MASTER, "    host: %s" % HOST, "    port: %d" % master_port,
             "    quorum: %d" % quorum, "    down-after: %dms" % DOWN_AFTER_MS,
             "    failover-timeout: %dms" % FAILOVER_TIMEOUT_MS]
    if http_port:
        lines += ["http:", "  bind: %s" % HOST, "  port: %d" % http_port]
        if token:
            lines.append('  token: "%s"' % token)
    if webhooks:
        lines.append("webhooks:")
        for h in webhooks:
            lines.append("  - url: %s" % h["url"])
            if h.get("events"):
                lines.append("    events: [%s]" % ", ".join('"%s"' % e for e in h["events"]))
            if h.get("secret"):
                lines.append('    secret: "%s"' % h["secret"])
            if h.get("timeout"):
                lines.append("    timeout: %s" % h["timeout"])
            if h.get("pre_failover"):
                lines.append("    pre-failover: yes")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n" + extra)


def start_sentinel(group, master_port, quorum=2, http=True, token=TOKEN, webhooks=(),
                   data_dir=None, port=None, http_port=None, yaml_path=None):
    """Start (or, given the same dir/ports/yaml, restart) a vigil-sentinel; wait for PING and,
    with http, for /healthz."""
    binary = store.require_binary(store.vigil_binary("vigil-sentinel"))
    port = port or procs.free_port()
    http_port = (http_port or procs.free_port()) if http else 0
    data_dir = data_dir or procs.new_tmp_dir_in(group.dir, "sentinel-%d" % port)
    yaml_path = yaml_path or os.path.join(data_dir, "sentinel.yaml")
    if not os.path.exists(yaml_path):
        write_sentinel_yaml(yaml_path, port, data_dir, master_port, quorum, http_port, token,
                            webhooks)
    proc = procs.Proc([binary, yaml_path], name="vigil-sentinel-%d" % port, cwd=data_dir,
                      group=group)
    s = SentinelProc(port, http_port, proc, data_dir, yaml_path, token)

    def answers():
        if proc.poll() is not None:
            raise procs.ProcExited("sentinel exited: %s" % proc.log_tail(20))
        ok = s.client.ping()
        return ok and (not http or s.get("/healthz").status == 200)
    procs.wait_until(answers, 10, "vigil-sentinel on port %d to answer" % port,
                     ignore=(OSError, redis.ConnectionError))
    return s


class Deployment:
    """A master, n_replicas replicas and n_sentinels sentinels, all on free ports."""

    def __init__(self, group, kind="redis", n_sentinels=3, quorum=2, http=True, token=TOKEN,
                 webhooks_for=None, n_replicas=2, node_hz=None):
        self.kind = kind
        self.master = start_node(kind, name="master", hz=node_hz)
        self.replicas = [start_node(kind, self.master.port, name="replica%d" % i, hz=node_hz)
                         for i in range(1, n_replicas + 1)]
        self.sentinels = []
        for i in range(n_sentinels):
            hooks = webhooks_for(i) if webhooks_for else ()
            self.sentinels.append(start_sentinel(group, self.master.port, quorum, http, token,
                                                 hooks))

    def nodes(self):
        return [self.master] + self.replicas

    def node_by_port(self, port):
        return next(n for n in self.nodes() if n.port == port)

    def wait_replicas_online(self, timeout_s=10):
        n = len(self.replicas)

        def online():
            info = self.master.client().info("replication")
            return info.get("connected_slaves", 0) == n and all(
                info["slave%d" % i]["state"] == "online" for i in range(n))
        procs.wait_until(online, timeout_s, "%d replicas online at the master" % n)

    def wait_discovered(self, timeout_s=10):
        """Every sentinel knows every replica and every other sentinel."""
        peers = len(self.sentinels) - 1
        want = {r.port for r in self.replicas}

        def done():
            for s in self.sentinels:
                reps = {int(e[e.index("port") + 1]) for e in s.cmd("SENTINEL", "REPLICAS", MASTER)}
                if reps != want or len(s.cmd("SENTINEL", "SENTINELS", MASTER)) != peers:
                    return False
            return True
        procs.wait_until(done, timeout_s, "replicas and sentinels discovered by every sentinel")

    def wait_eligible(self, timeout_s=15):
        """Every HTTP-enabled sentinel sees every replica as eligible for promotion."""
        n = len(self.replicas)

        def eligible():
            for s in self.sentinels:
                if not s.http_port:
                    continue
                reps = s.get("/v1/masters/%s" % MASTER).json["replicas"]
                if len(reps) != n or not all(r["eligible"] for r in reps):
                    return False
            return True
        procs.wait_until(eligible, timeout_s, "every replica eligible on every sentinel",
                         ignore=(OSError,))
