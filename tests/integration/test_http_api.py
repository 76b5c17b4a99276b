"""vigil-sentinel's HTTP API, webhooks and lossless switchover against a real deployment.

Each test starts its own deployment on free 127.0.0.1 ports (vigiltest.deploy): a master and two
replicas (vigil-store: the `node_kind` fixture) and one to three vigil-sentinels with `http:`
(and, where needed, `webhooks:`) in their YAML. The switchover under write load also runs with
Debian's redis-server nodes: the switchover drives Redis 7.0's node-side `FAILOVER TO` too.
Webhooks go to a small HTTP server inside the test. Every wait is a poll with a deadline;
no test asserts a duration (the switchover's write pause is printed: run with -s).
"""

import hashlib
import hmac
import http.client
import http.server
import json
import os
import signal
import subprocess
import threading
import time

import pytest
import redis

import vigiltest
from vigiltest import deploy, wait_until
from vigiltest import sentinel_http as sh

HOST = deploy.HOST
MASTER = deploy.MASTER_NAME
BASE = "/v1/masters/" + MASTER
REDIS_ERRORS = deploy.REDIS_ERRORS


def deployment(group, kind, n_sentinels=3, quorum=2, webhooks_for=None, **kw):
    d = deploy.Deployment(group, kind, n_sentinels=n_sentinels, quorum=quorum,
                          webhooks_for=webhooks_for, **kw).start()
    d.wait_eligible()
    return d


@pytest.fixture
def three(proc_group, node_kind):
    return deployment(proc_group, node_kind)


def agreed_master(d, exclude=None, timeout_s=15):
    def agreed():
        addrs = {s.master_addr() for s in d.sentinels}
        addr = addrs.pop() if len(addrs) == 1 else None
        return addr if addr and addr != exclude else None
    return wait_until(agreed, timeout_s, "every sentinel to answer the same master",
                      ignore=REDIS_ERRORS)


def op_finished(s, op_id, timeout_s=20):
    def done():
        r = s.get("/v1/operations/" + op_id)
        assert r.status == 200, r
        return r.json if r.json["state"] != "running" else None
    return wait_until(done, timeout_s, "operation %s to finish" % op_id)


# --- a webhook receiver -------------------------------------------------------------------------

class HookReceiver:
    """A threaded HTTP server recording every request; answers `statuses` in order, then 200."""

    def __init__(self, statuses=(), body=b"ok"):
        self.requests = []
        self.lock = threading.Lock()
        self.statuses = list(statuses)
        self.body = body
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                data = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver.lock:
                    receiver.requests.append((self.path, dict(self.headers), data))
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", str(len(receiver.body)))
                self.end_headers()
                self.wfile.write(receiver.body)

            def log_message(self, *args):
                pass
        self.server = http.server.ThreadingHTTPServer((HOST, vigiltest.free_port()), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path="/hook"):
        return "http://%s:%d%s" % (HOST, self.port, path)

    def seen(self):
        with self.lock:
            return list(self.requests)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = HookReceiver(statuses=[503])
    yield r
    r.close()


# --- tests ---------------------------------------------------------------------------------------

def test_read_endpoints_schemas_and_bad_input(three):
    s = three.sentinels[0]
    assert s.get("/healthz").json["status"] == "ok"
    wait_until(lambda: all(x.get("/readyz").status == 200 for x in three.sentinels), 10,
               "every sentinel ready")
    r = s.get(BASE)
    assert r.status == 200 and r.headers["content-type"] == "application/json"
    m = r.json
    assert m["name"] == MASTER and m["address"] == {"ip": HOST, "port": three.master.port}
    assert m["quorum"] == 2 and m["majority_reachable"] is True and m["sentinels_known"] == 3
    assert {x["port"] for x in m["replicas"]} == {x.port for x in three.replicas}
    for rep in m["replicas"]:
        assert set(rep) >= {"ip", "port", "role", "offset", "lag_bytes", "lag_ms", "link",
                            "master_link", "priority", "eligible", "reason", "flags"}
        assert rep["role"] == "replica" and rep["eligible"] is True
    assert len(m["sentinels"]) == 2 and all(p["reachable"] for p in m["sentinels"])
    assert s.get("/v1/masters").json["masters"][0]["name"] == MASTER

    cur = s.get(BASE + "/master").json
    assert (cur["ip"], cur["port"]) == (HOST, three.master.port) and cur["epoch"] == 0
    master_addr = "%s:%d" % (HOST, three.master.port)
    replica_addr = "%s:%d" % (HOST, three.replicas[0].port)
    for method in ("GET", "HEAD", "OPTIONS"):
        assert s.call(method, BASE + "/check/master?addr=" + master_addr).status == 200
        assert s.call(method, BASE + "/check/master?addr=" + replica_addr).status == 503
    wait_until(lambda: s.get(BASE + "/check/replica?addr=" + replica_addr).status == 200, 10,
               "the replica check to pass")
    assert s.get(BASE + "/check/replica?addr=" + master_addr).status == 503
    # Both replicas fit for reads: the second may need one more INFO round than the first.
    wait_until(lambda: len(s.get(BASE + "/replicas").json["replicas"]) == 2, 10,
               "both replicas fit for reads")
    plan = s.get(BASE + "/plan").json
    assert plan["would_promote"]["port"] in {x.port for x in three.replicas}
    assert plan["blockers"] == [] and len(plan["candidates"]) == 2
    assert s.get(BASE + "/history").json == {"name": MASTER, "records": []}

    # bad input: a clear 4xx with {"error", "reason"}, and the sentinel keeps running
    bad = [
        (s.get("/v1/masters/nope"), 404), (s.get("/nope"), 404),
        (s.call("DELETE", BASE), 405), (s.call("GET", BASE + "/switchover"), 405),
        (s.post(BASE + "/pause", token=None), 401), (s.post(BASE + "/pause", token="wrong"), 401),
        (s.post(BASE + "/switchover", "{not json"), 400),
        (s.post(BASE + "/switchover", {"to": "x", "nope": 1}), 400),
        (s.post(BASE + "/switchover", {"timeout_ms": "soon"}), 400),
        (s.post(BASE + "/switchover", "x" * (64 * 1024 + 1)), 413),
        (s.get(BASE + "/history?limit=abc"), 400), (s.get(BASE + "/plan?x=1"), 400),
        (s.post(BASE + "/failover", {}), 400),
    ]
    for reply, code in bad:
        assert reply.status == code, reply
        assert set(reply.json) == {"error", "reason"}, reply
    assert s.post(BASE + "/pause", token=None).headers.get("www-authenticate") == "Bearer"
    assert s.get("/healthz").status == 200 and s.proc.poll() is None


def test_a_web_page_cannot_drive_a_tokenless_loopback_api(proc_group, node_kind):
    """CSRF: a page the operator opens may POST text/plain (or a form, or nothing) to
    127.0.0.1 without a CORS preflight, and its browser adds its Origin. Without http.token on
    loopback that used to force a failover (202); now the Origin gets 403, a POST that is not
    declared JSON 415, and the master stays where it is."""
    d = deployment(proc_group, node_kind, n_sentinels=1, quorum=1, token=None, n_replicas=1)
    s = d.sentinels[0]
    before = s.master_addr()
    evil = {"Origin": "http://evil.example", "Content-Type": "text/plain"}
    r = s.post(BASE + "/failover", '{"force": true}', token=None, headers=evil)
    assert r.status == 403 and r.json["error"] == "forbidden", r
    r = s.post(BASE + "/pause", None, token=None, headers={"Origin": "http://evil.example"})
    assert r.status == 403, r
    assert s.get(BASE, headers={"Origin": "http://evil.example"}).status == 403
    for ctype in ("text/plain", "application/x-www-form-urlencoded", None):
        r = s.post(BASE + "/failover", '{"force": true}', token=None,
                   headers={"Content-Type": ctype})
        assert r.status == 415 and r.json["error"] == "unsupported_media_type", (ctype, r)
    r = s.post(BASE + "/pause", None, token=None, headers={"Content-Type": None})
    assert r.status == 415, r
    m = s.get(BASE).json
    assert m["paused"] is False and m["failover"]["in_progress"] is False
    assert s.master_addr() == before and s.get(BASE + "/history").json["records"] == []
    # A client that says what it sends (vigilctl does) still works without a token on loopback.
    assert s.post(BASE + "/pause", {}, token=None).status == 200


def test_a_cut_off_sentinel_stops_handing_out_the_master(three):
    s0, others = three.sentinels[0], three.sentinels[1:]
    master = "%s:%d" % (HOST, three.master.port)
    assert s0.get(BASE + "/master").status == 200
    for s in others:
        s.proc.signal(signal.SIGSTOP)
    try:
        r = wait_until(lambda: (lambda r: r if r.status == 503 else None)(s0.get(BASE + "/master")),
                       10, "503 once the peers are silent")
        assert "no majority" in r.json["reason"], r
        assert s0.get("/readyz").status == 503
        assert s0.get(BASE + "/check/master?addr=" + master).status == 503
        assert s0.get(BASE).json["majority_reachable"] is False
    finally:
        for s in others:
            s.proc.signal(signal.SIGCONT)
    wait_until(lambda: s0.get(BASE + "/master").status == 200, 10, "200 again after the heal")
    assert s0.get(BASE + "/check/master?addr=" + master).status == 200


def test_kill9_failover_wakes_long_polls_flips_checks_and_is_recorded_once(
        proc_group, node_kind, receiver):
    hooks = lambda i: [{"url": receiver.url(), "secret": "hooksecret",
                        "events": ["+switch-master", "+odown", "+slave", "-failover-abort-*"]}] \
        if i == 0 else []
    d = deployment(proc_group, node_kind, webhooks_for=hooks)
    d.master.client().set("seed", "1")
    # each plan refreshes the replicas' INFO first, as the failover will
    plans = [s.get(BASE + "/plan").json["would_promote"]["port"] for s in d.sentinels]
    old = (HOST, d.master.port)
    polls = {}

    def poll(i, s):
        polls[i] = s.get(BASE + "/master?wait_epoch=0&timeout_ms=20000", timeout=30)
    threads = [threading.Thread(target=poll, args=(i, s)) for i, s in enumerate(d.sentinels)]
    for t in threads:
        t.start()   # parked: nothing can answer wait_epoch=0 before a failover
    d.master.kill9()
    new = agreed_master(d, exclude=old)
    for t in threads:
        t.join(30)
    print("\nplan predicted %s, promoted %d" % (plans, new[1]))
    assert set(plans) == {new[1]}, "the plan predicts the promoted replica"
    for i, r in polls.items():
        assert r.status == 200, r
        assert (r.json["ip"], r.json["port"]) == new and r.json["epoch"] >= 1, r

    other = next(x for x in d.replicas if x.port != new[1])
    for s in d.sentinels:
        wait_until(lambda s=s: s.get(BASE + "/check/master?addr=%s:%d" % new).status == 200, 10,
                   "the master check to pass for the new master")
        assert s.get(BASE + "/check/master?addr=%s:%d" % old).status == 503
        wait_until(lambda s=s: s.get(BASE + "/check/replica?addr=%s:%d" % (HOST, other.port)).status
                   == 200, 15, "the other replica to pass the replica check")

    def recorded(s):
        recs = s.get(BASE + "/history").json["records"]
        m = sh.parse_prometheus(s.get("/metrics").body)
        total = sum(v for (name, labels), v in m.items()
                    if name == "vigil_sentinel_failovers_total" and ("master", MASTER) in labels)
        return recs if len(recs) == 1 and total == 1 else None
    records = [wait_until(lambda s=s: recorded(s), 10, "one record and one count") for s in d.sentinels]
    epochs = {r[0]["epoch"] for r in records}
    assert len(epochs) == 1 and epochs.pop() >= 1
    assert sorted(r[0]["role"] for r in records) == ["leader", "observer", "observer"]
    for r in records:
        assert r[0]["new"] == {"ip": HOST, "port": new[1]} and r[0]["kind"] == "automatic"
        assert r[0]["phases"]["announced"] and len(r[0]["offsets"]["replicas"]) >= 2
        if r[0]["role"] == "leader":   # observers may adopt the new master before their own SDOWN
            ph = r[0]["phases"]
            assert ph["sdown"] <= ph["odown"] <= ph["started"] <= ph["elected"] <= ph["promoted"]

    # webhooks: signed, retried after the receiver's first 503, same delivery id
    def delivered():
        types = [json.loads(b)["type"] for _, _, b in receiver.seen()]
        return "+switch-master" in types and len(types) >= 3
    wait_until(delivered, 15, "+switch-master and more delivered to the webhook")
    seen = receiver.seen()
    ids = [json.loads(b)["delivery_id"] for _, _, b in seen]
    assert ids[0] == ids[1], "the 503 was retried with the same delivery id"
    for _, headers, body in seen:
        want = "sha256=" + hmac.new(b"hooksecret", body, hashlib.sha256).hexdigest()
        assert headers["X-Vigil-Signature"] == want
        assert headers["X-Vigil-Event"] == json.loads(body)["type"]
    stats = sh.parse_prometheus(d.sentinels[0].get("/metrics").body)
    key = lambda n: (n, frozenset({("webhook", "0")}))  # labelled by index, never by URL
    assert stats[key("vigil_sentinel_webhook_retries_total")] >= 1
    assert stats[key("vigil_sentinel_webhook_deliveries_total")] >= 2


class Writer:
    """SETs k<i> = i in a loop on the current master; on an error it asks the leader sentinel
    (long-poll on the next epoch) where the master is and retries the same key."""

    def __init__(self, leader, addr, epoch):
        self.leader = leader
        self.addr = addr
        self.epoch = epoch
        self.acked = []          # (i, monotonic time of the ack)
        self.errors = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        c = redis.Redis(host=self.addr[0], port=self.addr[1], socket_timeout=10)
        i = 0
        while not self.stop.is_set():
            try:
                c.set("k%d" % i, i)
                self.acked.append((i, time.monotonic()))
                i += 1
            except (redis.ResponseError, redis.ConnectionError, redis.TimeoutError) as exc:
                self.errors.append(str(exc)[:60])
                r = self.leader.get(BASE + "/master?wait_epoch=%d&timeout_ms=2000" % self.epoch)
                if r.status == 200 and (r.json["ip"], r.json["port"]) != self.addr:
                    self.addr, self.epoch = (r.json["ip"], r.json["port"]), r.json["epoch"]
                    c.close()
                    c = redis.Redis(host=self.addr[0], port=self.addr[1], socket_timeout=10)
        c.close()

    def max_pause_ms(self):
        times = [t for _, t in self.acked]
        return max(b - a for a, b in zip(times, times[1:])) * 1000


@pytest.mark.parametrize("node_kind", deploy.NODE_KINDS)
def test_switchover_under_write_load_loses_nothing_and_resyncs_partially(proc_group, node_kind):
    d = deployment(proc_group, node_kind)
    leader = d.sentinels[0]
    old = (HOST, d.master.port)
    w = Writer(leader, old, 0)
    w.thread.start()
    wait_until(lambda: len(w.acked) > 200, 10, "writes flowing")
    t0 = time.monotonic()
    r = leader.post(BASE + "/switchover", {"timeout_ms": 5000})
    assert r.status == 202, r
    assert r.json["kind"] == "switchover" and r.json["state"] == "running"
    op = op_finished(leader, r.json["id"])
    t_done = time.monotonic() - t0
    assert op["state"] == "succeeded", op
    new = agreed_master(d, exclude=old)
    assert op["to"] == "%s:%d" % new
    n_before = len(w.acked)
    wait_until(lambda: len(w.acked) > n_before + 200, 10, "writes flowing on the new master")
    w.stop.set()
    w.thread.join(15)
    print("\nswitchover: operation done in %.0f ms, max write pause %.0f ms, %d acked writes, "
          "errors seen by the writer: %s" % (t_done * 1000, w.max_pause_ms(), len(w.acked),
                                              sorted(set(w.errors))))
    c = redis.Redis(host=new[0], port=new[1], decode_responses=True)
    acked = [i for i, _ in w.acked]
    for start in range(0, len(acked), 1000):
        chunk = acked[start:start + 1000]
        values = c.mget(["k%d" % i for i in chunk])
        lost = [i for i, v in zip(chunk, values) if v != str(i)]
        assert not lost, "acknowledged writes lost: %s" % lost[:10]
    stats = c.info("stats")
    assert stats["sync_full"] == 0, "no full resync after a switchover: %s" % stats
    assert stats["sync_partial_ok"] >= 1
    old_node = d.node_by_port(old[1])
    wait_until(lambda: old_node.client().info("replication").get("master_port") == new[1] and
               old_node.client().info("replication").get("master_link_status") == "up",
               10, "the old master to follow the new one")
    hist = leader.get(BASE + "/history").json["records"]
    assert hist[0]["kind"] == "switchover" and hist[0]["role"] == "leader"


def test_switchover_persists_both_new_roles_in_the_overrides_files(proc_group):
    """Both new roles are saved: once the new master's overrides file still said `replicaof` the
    old master, so a restart made it a replica of a replica. vigil-store nodes (their files)."""
    d = deployment(proc_group, "vigil")
    leader = d.sentinels[0]
    old = (HOST, d.master.port)
    r = leader.post(BASE + "/switchover", {"timeout_ms": 5000})
    assert r.status == 202, r
    assert op_finished(leader, r.json["id"])["state"] == "succeeded"
    new = agreed_master(d, exclude=old)

    def overrides(node):
        try:
            with open(os.path.join(node.dir, "vigil-store.overrides.yaml")) as f:
                return f.read()
        except FileNotFoundError:
            return ""
    target, old_node = d.node_by_port(new[1]), d.node_by_port(old[1])
    wait_until(lambda: 'replicaof: ""' in overrides(target) and
               'replicaof: "%s %d"' % new in overrides(old_node), 10,
               "the overrides files to say who is master now")


def test_switchover_aborts_cleanly_when_the_target_is_stopped(three):
    leader = three.sentinels[0]
    target = three.replicas[0]
    old = (HOST, three.master.port)
    target.proc.signal(signal.SIGSTOP)
    try:
        r = leader.post(BASE + "/switchover", {"to": "%s:%d" % (HOST, target.port),
                                               "timeout_ms": 1000})
        assert r.status == 202, r
        op = op_finished(leader, r.json["id"])
        assert op["state"] == "failed", op
        assert "-failover-abort-" in op["error"], op
        print("\naborted switchover: %s" % op["error"])
        c = three.master.client()
        assert c.set("after-abort", "1") is True, "writes resume on the old master"
        assert c.info("replication")["role"] == "master"
        assert all(s.master_addr() == old for s in three.sentinels)
    finally:
        target.proc.signal(signal.SIGCONT)
    assert leader.get(BASE).json["failover"]["in_progress"] is False


def assert_no_failover_for_a_while(d, old):
    deadline = time.monotonic() + 4 * deploy.DOWN_AFTER_MS / 1000.0
    while time.monotonic() < deadline:   # a bounded watch for something that must not happen
        for s in d.sentinels:
            assert s.master_addr() == old
            assert s.get(BASE).json["failover"]["in_progress"] is False
        time.sleep(0.05)


def test_pause_prevents_automatic_failover_until_resumed(three):
    s0 = three.sentinels[0]
    r = s0.post(BASE + "/pause")
    assert r.status == 200 and r.json["paused"] is True and r.json["peers_notified"] == 2, r
    wait_until(lambda: all(s.get(BASE).json["paused"] for s in three.sentinels), 5,
               "every sentinel paused")
    old = (HOST, three.master.port)
    three.master.kill9()
    wait_until(lambda: all(s.get(BASE).json["master"]["odown"] for s in three.sentinels), 10,
               "ODOWN on every sentinel (monitoring goes on)")
    plan = s0.get(BASE + "/plan").json
    assert any("paused" in b for b in plan["blockers"]), plan
    assert_no_failover_for_a_while(three, old)
    assert s0.post(BASE + "/resume").json["paused"] is False
    new = agreed_master(three, exclude=old)
    assert new[1] in {x.port for x in three.replicas}


def vigilctl(*args):
    binary = vigiltest.require_binary(vigiltest.vigil_binary("vigilctl"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIGIL_")}
    env["HOME"] = env["XDG_CONFIG_HOME"] = vigiltest.new_tmp_dir("home")
    return subprocess.run([binary, "--token", deploy.TOKEN] + list(args), capture_output=True,
                          text=True, env=env, timeout=60, stdin=subprocess.DEVNULL)


def test_pause_holds_for_a_sentinel_that_was_down(proc_group, three):
    """A pause holds group-wide: a sentinel stopped during `pause` comes back, learns it from its
    peers and no automatic failover happens; vigilctl says who did not confirm."""
    s0, s2 = three.sentinels[0], three.sentinels[2]
    s2.proc.stop()
    r = vigilctl("--timeout", "1s", "-s", "%s:%d" % (HOST, s0.http_port), "pause", MASTER)
    assert r.returncode == 1, r
    assert "1 of 2 other sentinels did not confirm the pause" in r.stderr, r
    assert "127.0.0.1:%d (unreachable)" % s2.port in r.stderr, r
    s2 = three.restart_sentinel(2)
    wait_until(lambda: s2.get(BASE).json["paused"], 10, "the restarted sentinel to learn the pause")
    wait_until(lambda: all(p["pause_confirmed"] for p in s0.get(BASE).json["sentinels"]), 10,
               "every peer to confirm the pause to s0")
    r = vigilctl("-s", "%s:%d" % (HOST, s2.http_port), "pause", MASTER)
    assert r.returncode == 0 and "confirmed by all 2 other sentinels" in r.stdout, r
    old = (HOST, three.master.port)
    three.master.kill9()
    wait_until(lambda: all(s.get(BASE).json["master"]["odown"] for s in three.sentinels), 10,
               "ODOWN on every sentinel")
    assert_no_failover_for_a_while(three, old)
    r = vigilctl("-s", "%s:%d" % (HOST, s2.http_port), "resume", MASTER)
    assert r.returncode == 0, r
    new = agreed_master(three, exclude=old)
    assert new[1] in {x.port for x in three.replicas}


def test_pre_failover_hook_vetoes_a_forced_failover(proc_group, node_kind):
    veto = HookReceiver(statuses=[403], body=b"change freeze until Monday")
    try:
        hooks = lambda i: [{"url": veto.url("/veto"), "pre_failover": True, "timeout": "1s"}]
        d = deployment(proc_group, node_kind, n_sentinels=1, quorum=1, webhooks_for=hooks)
        s = d.sentinels[0]
        r = s.post(BASE + "/failover", {"force": True})
        assert r.status == 202 and "warning" in r.json, r
        op = op_finished(s, r.json["id"])
        assert op["state"] == "failed" and "-failover-abort-vetoed" in op["error"], op
        # the reason, not just the event: the hook's answer (and never its URL: a credential)
        assert ("vetoed: pre-failover hook #0 answered HTTP 403: change freeze until Monday"
                in op["error"]), op
        assert veto.url("/veto") not in op["error"], op
        path, headers, body = veto.seen()[0]
        q = json.loads(body)
        assert path == "/veto" and q["type"] == "pre-failover" and q["kind"] == "forced"
        assert q["old"]["port"] == d.master.port
        assert s.master_addr() == (HOST, d.master.port)
        m = sh.parse_prometheus(s.get("/metrics").body)
        assert m[("vigil_sentinel_webhook_vetoes_total", frozenset({("webhook", "0")}))] == 1
        # The hook's URL is a credential: the operation's error names it without its path.
        assert "/veto" not in json.dumps(op) and "/veto" not in s.get("/metrics").body
        # the next attempt is approved (the receiver answers 200 now)
        r = s.post(BASE + "/failover", {"force": True})
        assert r.status == 202, r
        assert op_finished(s, r.json["id"])["state"] == "succeeded"
    finally:
        veto.close()


def test_events_stream_and_coordinated_command(three):
    s = three.sentinels[0]
    conn = http.client.HTTPConnection(HOST, s.http_port, timeout=10)
    conn.request("GET", "/v1/events")
    resp = conn.getresponse()
    assert resp.status == 200 and resp.getheader("Content-Type") == "text/event-stream"
    assert s.cmd("SENTINEL", "FAILOVER", MASTER, "COORDINATED") == "OK"
    events = []
    while not any(e["type"] == "+switch-master" for e in events):
        line = resp.fp.readline().decode()
        assert line, "stream ended"
        if line.startswith("data: "):
            events.append(json.loads(line[6:]))
    conn.close()
    types = [e["type"] for e in events]
    assert types.index("+try-failover") < types.index("+switchover-failover-to") < \
        types.index("+promoted-slave") < types.index("+switch-master"), types
    assert all(e["master"] == MASTER for e in events if e["type"] != "+new-epoch" and
               e["type"] != "+vote-for-leader" and e["master"] is not None)
    assert [e["id"] for e in events] == sorted(e["id"] for e in events)
