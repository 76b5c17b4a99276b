"""vigilctl, the operator's CLI, end to end: exit codes, messages, tables, fail-over between
sentinels, switchover progress and the event stream.

Two halves:
  * against MockSentinel, a scripted HTTP server in this file: the client-side rules that a real
    deployment cannot provoke on demand (every sentinel answering 503, a 4xx that must not be
    retried elsewhere, a stream that drops mid-way, an aborted operation). Needs only bin/vigilctl.
  * against a real deployment (vigiltest.deploy): three vigil-store data nodes and three
    vigil-sentinels with `http: {port, token}`; `status`, `master`, `plan`, `switchover`,
    `history`, `pause`, `resume` and `watch`.

vigilctl always runs with a subprocess timeout, and every wait is a poll with a deadline.
"""

import json
import os
import pty
import re
import select
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

import vigiltest
from vigiltest import deploy, free_port, wait_until

HOST = "127.0.0.1"
TOKEN = "test-token-123"
RUN_TIMEOUT_S = 60
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def vigilctl_path():
    return vigiltest.require_binary(vigiltest.vigil_binary("vigilctl"))


def run_ctl(*args, env=None, timeout=RUN_TIMEOUT_S):
    """Run vigilctl with a clean environment (no config file, no VIGIL_*); return the result."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("VIGIL_")}
    full_env["HOME"] = full_env["XDG_CONFIG_HOME"] = vigiltest.new_tmp_dir("home")
    full_env.update(env or {})
    return subprocess.run([vigilctl_path()] + [str(a) for a in args], capture_output=True,
                          text=True, env=full_env, timeout=timeout, stdin=subprocess.DEVNULL)


def dead_addr():
    """host:port where nothing listens (a port just bound and released)."""
    return "%s:%d" % (HOST, free_port())


# --- a scripted sentinel HTTP API -----------------------------------------------------------------

def _addr(port):
    return {"ip": HOST, "port": port}


# The shape of GET /v1/masters/{name} (docs/http-api.md), trimmed to what vigilctl reads.
MASTER_VIEW = {
    "name": "mymaster", "address": _addr(6380),
    "master": dict(_addr(6380), flags=["master"], link="up", offset=123456),
    "epoch": 3, "quorum": 2, "paused": False, "tilt": False, "majority_reachable": True,
    "sentinels_reachable": 2, "sentinels_known": 2, "failover": {"in_progress": False},
    "replicas": [
        dict(_addr(6381), role="replica", offset=123456, lag_bytes=0, lag_ms=0, link="up",
             master_link="up", priority=100, eligible=True, reason=None, flags=["slave"]),
        dict(_addr(6382), role="replica", offset=120000, lag_bytes=3456, lag_ms=800, link="up",
             master_link="down", priority=100, eligible=False,
             reason="master link down too long", flags=["slave"])],
    "sentinels": [dict(_addr(26380), id="0123456789abcdef0123456789abcdef01234567",
                       last_seen_ms_ago=120, reachable=True, pause_confirmed=True,
                       flags=["sentinel"])],
}

EVENTS = [  # the shape of a /v1/events object
    {"id": 1, "type": "+sdown", "message": "master mymaster 127.0.0.1 6380", "master": "mymaster",
     "config_epoch": 3, "epoch": 3, "level": "warning", "time": 1700000000123, "sentinel": "a"},
    {"id": 2, "type": "+switch-master", "message": "mymaster 127.0.0.1 6380 127.0.0.1 6381",
     "master": "mymaster", "config_epoch": 4, "epoch": 4, "level": "warning",
     "time": 1700000001456, "sentinel": "a"},
    {"id": 3, "type": "+sdown", "message": "master other 127.0.0.1 7000", "master": "other",
     "config_epoch": 1, "epoch": 4, "level": "warning", "time": 1700000002000, "sentinel": "a"},
    {"id": 4, "type": "+tilt", "message": "#tilt mode entered", "master": None,
     "config_epoch": None, "epoch": 4, "level": "warning", "time": 1700000003000, "sentinel": "a"},
]


class MockSentinel:
    """Answers the paths vigilctl uses from `routes` ({(method, path): (status, body)}), logs
    every request, and streams `events` on /v1/events (then closes the stream)."""

    def __init__(self, routes=None, events=(), op_states=None, events_per_stream=None):
        self.routes = dict(routes or {})
        self.events = list(events)
        self.events_per_stream = events_per_stream  # close each stream after this many
        self.last_event_ids = []  # the Last-Event-ID header of each stream request
        self.op_states = list(op_states or [])  # successive answers of GET /v1/operations/op1
        self.requests = []
        mock = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def reply(self, status, body):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def handle_any(self, method):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                mock.requests.append((method, self.path, body, self.headers.get("Authorization")))
                if method == "POST" and self.headers.get("Authorization") != "Bearer " + TOKEN:
                    return self.reply(401, {"error": "unauthorized", "reason": "wrong token"})
                if method == "GET" and self.path == "/v1/events" and mock.events is not None:
                    return self.stream()
                if method == "GET" and self.path == "/v1/operations/op1" and mock.op_states:
                    state = mock.op_states.pop(0) if len(mock.op_states) > 1 else mock.op_states[0]
                    return self.reply(200, state)
                status, answer = mock.routes.get((method, self.path),
                                                 (404, {"error": "not found", "reason": self.path}))
                return self.reply(status, answer)

            def stream(self):
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                resume = self.headers.get("Last-Event-ID")
                mock.last_event_ids.append(resume)
                unseen = [ev for ev in mock.events if resume is None or ev["id"] > int(resume)]
                self.wfile.write(b"retry: 2000\n: vigil-sentinel events\n\n")
                for ev in unseen[:mock.events_per_stream]:
                    self.wfile.write(b": keepalive\n\n")
                    self.wfile.write(b"id: %d\ndata: %s\n\n" % (ev["id"], json.dumps(ev).encode()))
                    self.wfile.flush()
                self.close_connection = True

            def do_GET(self):
                self.handle_any("GET")

            def do_POST(self):
                self.handle_any("POST")

        self.server = ThreadingHTTPServer((HOST, 0), Handler)
        self.addr = "%s:%d" % (HOST, self.server.server_address[1])
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,),
                                       daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def mocks():
    made = []

    def make(**kw):
        m = MockSentinel(**kw)
        made.append(m)
        return m
    yield make
    for m in made:
        m.close()


def master_routes(master_status=200):
    answer = ({"ip": HOST, "port": 6380, "epoch": 3, "since": 1700000000000}
              if master_status == 200 else
              {"error": "no majority", "reason": "sees 1 of 3 sentinels"})
    return {
        ("GET", "/v1/masters"): (200, {"masters": [MASTER_VIEW]}),
        ("GET", "/v1/masters/mymaster"): (200, MASTER_VIEW),
        ("GET", "/v1/masters/mymaster/master"): (master_status, answer),
    }


# --- client rules, against mocks ------------------------------------------------------------------

def test_unreachable_sentinel_exits_3_and_says_what_to_do():
    addr = dead_addr()
    r = run_ctl("--sentinel", addr, "status")
    assert r.returncode == 3, r
    assert r.stdout == ""
    assert ("vigilctl: no sentinel reachable at %s: connection refused; pass --sentinel "
            "host:port or set VIGIL_SENTINELS" % addr) in r.stderr


class ForeignHttp:
    """Some other web server (nginx, a dashboard) on the port vigilctl was given."""

    def __init__(self):
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                body = b"<html><body>Not Found</body></html>"
                self.send_response(404)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            do_POST = do_GET

            def version_string(self):
                return "nginx/1.22.1"

            def log_message(self, *args):
                pass
        self.server = ThreadingHTTPServer((HOST, free_port()), Handler)
        self.addr = "%s:%d" % (HOST, self.server.server_address[1])
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def test_a_non_vigil_http_server_is_named_as_such():
    web = ForeignHttp()
    try:
        r = run_ctl("-s", web.addr, "status")
        p = run_ctl("-s", web.addr, "--token", TOKEN, "pause", "mymaster")
    finally:
        web.close()
    assert r.returncode == 3, r
    assert ("an HTTP server answered (HTTP 404, Server: nginx/1.22.1) but it is not a Vigil "
            "sentinel's HTTP API: use the port of the sentinel's `http:` section") in r.stderr, r
    assert p.returncode == 3 and "not a Vigil sentinel's HTTP API" in p.stderr, p


def test_a_resp_port_is_named_as_such(proc_group):
    s = deploy.start_sentinel(proc_group, free_port(), quorum=1, http=False)
    for cmd in (["status"], ["--token", TOKEN, "pause", "mymaster"]):
        r = run_ctl("-s", "%s:%d" % (HOST, s.port), *cmd)
        assert r.returncode == 3, r
        assert ("this is a RESP port (a sentinel's or a Redis node's), not a sentinel's HTTP API: "
                "use the port of the sentinel's `http:` section") in r.stderr, r


@pytest.mark.parametrize("args, message", [
    ([], "usage: vigilctl"),
    (["frobnicate"], 'unknown command "frobnicate"'),
    (["status", "--bogus"], "unknown option --bogus for status"),
    (["master"], "usage: vigilctl master NAME"),
    (["failover", "mymaster"], "without --force"),
    (["switchover", "mymaster", "--to", "nowhere"], '"nowhere" is not ip:port'),
    (["--timeout", "soon", "status"], '"soon" is not a duration'),
    (["--sentinel", "host-without-port", "status"], "is not host:port"),
    (["history", "mymaster", "--limit", "0"], "is not a count"),
    (["history", "mymaster", "--limit", "1001"], "is not a count from 1 to 1000"),
    (["failover", "mymaster", "--force", "--to", "127.0.0.1:6381"],
     "use `vigilctl switchover NAME --to ip:port`"),
])
def test_usage_errors_exit_2_without_contacting_anyone(args, message):
    r = run_ctl("--sentinel", dead_addr(), *args)
    assert r.returncode == 2, r
    assert message in r.stderr, r.stderr


def test_help_and_version_need_no_sentinel():
    r = run_ctl("help")
    assert r.returncode == 0 and "exit codes" in r.stdout
    r = run_ctl("--version")
    assert r.returncode == 0 and r.stdout.startswith("vigilctl ")


def test_status_table_is_plain_when_piped_and_lists_every_view(mocks):
    good = mocks(routes=master_routes())
    dead = dead_addr()
    r = run_ctl("-s", "%s,%s" % (good.addr, dead), "status", "mymaster")
    assert r.returncode == 0, r
    assert not ANSI.search(r.stdout), "no colour when stdout is not a terminal"
    lines = r.stdout.splitlines()
    assert lines[0].startswith("mymaster  master 127.0.0.1:6380  epoch 3  quorum 2")
    assert any(re.match(r"\s+127\.0\.0\.1:6382\s+replica\s+120000\s+3\.4 KB / 800 ms\s+down\s+"
                        r"100\s+no: master link down too long$", ln) for ln in lines), r.stdout
    assert any(ln.split() == [good.addr, "master", "127.0.0.1:6380", "epoch", "3"]
               for ln in lines), r.stdout
    assert any(dead in ln and "unreachable: connection refused" in ln for ln in lines), r.stdout


def test_colour_only_on_a_terminal_without_no_color(mocks):
    good = mocks(routes=master_routes())

    def on_pty(extra_env):
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("VIGIL_") and k != "NO_COLOR"}
        env.update(HOME=vigiltest.new_tmp_dir("home"), TERM="xterm")
        env.update(extra_env)
        primary, secondary = pty.openpty()
        proc = subprocess.Popen([vigilctl_path(), "-s", good.addr, "status", "mymaster"],
                                stdout=secondary, stderr=subprocess.PIPE, env=env,
                                stdin=subprocess.DEVNULL)
        os.close(secondary)
        out = b""
        deadline = time.monotonic() + RUN_TIMEOUT_S
        while time.monotonic() < deadline:
            ready, _, _ = select.select([primary], [], [], 1.0)
            if not ready:
                continue
            try:
                chunk = os.read(primary, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            out += chunk
        os.close(primary)
        assert proc.wait(timeout=RUN_TIMEOUT_S) == 0
        return out.decode()
    assert ANSI.search(on_pty({})), "colour on a terminal"
    assert not ANSI.search(on_pty({"NO_COLOR": "1"})), "NO_COLOR turns it off"


def test_master_moves_past_refused_and_503_sentinels(mocks):
    no_majority = mocks(routes=master_routes(503))
    good = mocks(routes=master_routes(200))
    r = run_ctl("-s", dead_addr(), "-s", no_majority.addr, "-s", good.addr, "master", "mymaster")
    assert r.returncode == 0, r
    assert r.stdout == "127.0.0.1 6380\n"
    assert [q[1] for q in no_majority.requests] == ["/v1/masters/mymaster/master"]


def test_master_exits_1_when_every_sentinel_answers_503(mocks):
    a, b = mocks(routes=master_routes(503)), mocks(routes=master_routes(503))
    r = run_ctl("-s", a.addr, "-s", b.addr, "master", "mymaster")
    assert r.returncode == 1, r
    assert r.stdout == ""
    assert "no sentinel could answer safely" in r.stderr
    assert a.addr in r.stderr and b.addr in r.stderr and "no majority" in r.stderr


def test_a_4xx_is_final_and_not_retried_elsewhere(mocks):
    a, b = mocks(routes={}), mocks(routes=master_routes())
    r = run_ctl("-s", a.addr, "-s", b.addr, "master", "nosuch")
    assert r.returncode == 1, r
    assert "does not know master nosuch" in r.stderr and "vigilctl status" in r.stderr
    assert b.requests == []


def test_post_without_token_exits_4(mocks):
    m = mocks(routes={})
    r = run_ctl("-s", m.addr, "pause", "mymaster")
    assert r.returncode == 4, r
    assert "requires a token" in r.stderr and "VIGIL_TOKEN" in r.stderr
    r = run_ctl("-s", m.addr, "--token", "wrong", "pause", "mymaster")
    assert r.returncode == 4, r
    assert "refused the token from --token" in r.stderr


def test_sentinels_and_token_from_environment_and_config_file(mocks, tmp_path):
    routes = master_routes()
    routes[("POST", "/v1/masters/mymaster/pause")] = (200, {"name": "mymaster", "paused": True,
                                                           "peers_notified": 1})
    m = mocks(routes=routes)
    r = run_ctl("pause", "mymaster", env={"VIGIL_SENTINELS": "%s,%s" % (dead_addr(), m.addr),
                                          "VIGIL_TOKEN": TOKEN})
    assert r.returncode == 0, r
    assert "automatic failover paused on %s, sent to 1 other sentinels" % m.addr in r.stdout
    assert "mymaster: confirmed by all 1 other sentinels" in r.stdout
    cfg = tmp_path / "vigilctl.yaml"
    cfg.write_text('sentinels: ["%s"]\ntoken: "%s"\n' % (m.addr, TOKEN))
    r = run_ctl("--config", cfg, "pause", "mymaster")
    assert r.returncode == 0, r
    home = tmp_path / "home"
    (home / "vigil").mkdir(parents=True)
    (home / "vigil" / "vigilctl.yaml").write_text(cfg.read_text())
    r = run_ctl("pause", "mymaster", env={"XDG_CONFIG_HOME": str(home)})
    assert r.returncode == 0, r
    cfg.write_text('sentinels: ["%s", "%s"]\ntoken: "%s"\n' % (dead_addr(), m.addr, TOKEN))
    r = run_ctl("--config", cfg, "pause", "mymaster")
    assert r.returncode == 0, r   # the second entry is the fallback for the first
    assert "paused on %s" % m.addr in r.stdout, r
    cfg.write_text("sentinels: []\ntokn: x\n")
    r = run_ctl("--config", cfg, "status")
    assert r.returncode == 2, r
    assert '%s:2:1: unknown key "tokn"' % cfg in r.stderr


def test_pause_not_confirmed_by_every_sentinel_warns_and_exits_1(mocks):
    view = json.loads(json.dumps(MASTER_VIEW))
    view["sentinels"].append(dict(_addr(26381), id="fedcba9876543210fedcba9876543210fedcba98",
                                  reachable=False, pause_confirmed=False, flags=["sentinel"]))
    m = mocks(routes={("POST", "/v1/masters/mymaster/pause"): (200, {"paused": True}),
                      ("GET", "/v1/masters/mymaster"): (200, view)})
    r = run_ctl("--timeout", "300ms", "--token", TOKEN, "-s", m.addr, "pause", "mymaster")
    assert r.returncode == 1, r
    assert ("vigilctl: warning: 1 of 2 other sentinels did not confirm the pause of mymaster: "
            "fedcba98 at 127.0.0.1:26381 (unreachable); each learns it when it reconnects, "
            "until then it may fail over on its own") in r.stderr, r


def op_state(state, phase, **extra):
    return dict({"id": "op1", "kind": "switchover", "master": "mymaster", "epoch": 4,
                 "state": state, "phase": phase, "from": "127.0.0.1:6380", "to": None,
                 "error": None}, **extra)


def test_switchover_shows_each_phase_and_exits_0(mocks):
    states = [op_state("running", p) for p in ("wait-start", "wait-start", "select-slave",
                                               "wait-promotion", "wait-promotion")]
    states.append(op_state("succeeded", "done", to="127.0.0.1:6381"))
    m = mocks(routes={("POST", "/v1/masters/mymaster/switchover"):
                      (202, op_state("running", "wait-start"))}, op_states=states)
    r = run_ctl("-s", m.addr, "--token", TOKEN, "switchover", "mymaster", "--to",
                "127.0.0.1:6381", "--timeout", "3s")
    assert r.returncode == 0, r
    posts = [q for q in m.requests if q[0] == "POST"]
    assert len(posts) == 1 and json.loads(posts[0][2]) == {"to": "127.0.0.1:6381",
                                                           "timeout_ms": 3000}
    shown = [ln.split()[0] for ln in r.stdout.splitlines() if ln.startswith("  ")]
    assert shown == ["wait-start", "select-slave", "wait-promotion", "done"], r.stdout
    assert r.stdout.splitlines()[-1] == ("switchover of mymaster done: new master "
                                         "127.0.0.1:6381, epoch 4")


def test_aborted_switchover_exits_1_with_the_reason(mocks):
    m = mocks(routes={("POST", "/v1/masters/mymaster/switchover"):
                      (202, op_state("running", "wait-start"))},
              op_states=[op_state("failed", "aborted",
                                  error="-failover-abort-switchover-timeout")])
    r = run_ctl("-s", m.addr, "--token", TOKEN, "switchover", "mymaster")
    assert r.returncode == 1, r
    assert "switchover of mymaster failed: -failover-abort-switchover-timeout" in r.stderr


def test_busy_group_exits_1(mocks):
    m = mocks(routes={("POST", "/v1/masters/mymaster/switchover"):
                      (409, {"error": "conflict", "reason": "a failover is running"})})
    r = run_ctl("-s", m.addr, "--token", TOKEN, "switchover", "mymaster")
    assert r.returncode == 1, r
    assert "is busy" in r.stderr and "a failover is running" in r.stderr


def test_forced_failover_warns(mocks):
    m = mocks(routes={("POST", "/v1/masters/mymaster/failover"):
                      (202, op_state("running", "wait-start", kind="forced",
                                     warning="may miss writes"))},
              op_states=[op_state("succeeded", "done", kind="forced", to="127.0.0.1:6381")])
    r = run_ctl("-s", m.addr, "--token", TOKEN, "failover", "mymaster", "--force")
    assert r.returncode == 0, r
    assert "will be lost" in r.stderr and "warning from the sentinel: may miss writes" in r.stderr
    assert "forced failover of mymaster done: new master 127.0.0.1:6381" in r.stdout
    assert json.loads([q for q in m.requests if q[0] == "POST"][0][2]) == {"force": True}


def test_watch_reconnects_to_the_next_sentinel_when_the_stream_drops(mocks):
    first = mocks(routes=master_routes(), events=EVENTS[:1])
    second = mocks(events=EVENTS)
    r = run_ctl("-s", first.addr, "-s", second.addr, "watch", "mymaster", "--count", "3")
    assert r.returncode == 0, r
    lines = r.stdout.splitlines()
    assert len(lines) == 3, r.stdout
    assert lines[0].split()[1:] == ["+sdown", "mymaster", "master", "mymaster", "127.0.0.1",
                                    "6380"]
    assert lines[2].split()[1] == "+switch-master"
    assert all("other" not in ln for ln in lines), "filtered by master name"
    assert re.match(r"\d\d:\d\d:\d\d\.\d\d\d  ", lines[0])
    assert "reconnecting to %s" % second.addr in r.stderr


def test_watch_resumes_on_the_same_sentinel_without_a_gap(mocks):
    m = mocks(events=EVENTS, events_per_stream=2)
    r = run_ctl("-s", m.addr, "--json", "watch", "--count", len(EVENTS))
    assert r.returncode == 0, r
    assert [json.loads(ln)["id"] for ln in r.stdout.splitlines()] == [1, 2, 3, 4]
    assert m.last_event_ids == [None, "2"]
    assert "reconnecting to %s\n" % m.addr in r.stderr and "gap" not in r.stderr


def test_watch_exits_3_when_no_sentinel_answers():
    a, b = dead_addr(), dead_addr()
    r = run_ctl("-s", a, "-s", b, "watch")
    assert r.returncode == 3, r
    assert ("no sentinel reachable at %s: connection refused, %s: connection refused; pass "
            "--sentinel" % (a, b)) in r.stderr


class SilentListener:
    """Accepts TCP connections (through the kernel backlog) and never answers."""

    def __init__(self):
        import socket
        self.sock = socket.socket()
        self.sock.bind((HOST, 0))
        self.sock.listen(16)
        self.addr = "%s:%d" % (HOST, self.sock.getsockname()[1])

    def close(self):
        self.sock.close()


def test_a_silent_sentinel_times_out_and_a_get_moves_on(mocks):
    silent = SilentListener()
    good = mocks(routes=master_routes())
    try:
        r = run_ctl("--timeout", "300ms", "-s", silent.addr, "-s", good.addr, "master",
                    "mymaster")
    finally:
        silent.close()
    assert (r.returncode, r.stdout) == (0, "127.0.0.1 6380\n"), r


def test_a_post_that_may_have_arrived_is_not_repeated_elsewhere(mocks):
    silent = SilentListener()
    good = mocks(routes={("POST", "/v1/masters/mymaster/pause"): (200, {"paused": True})})
    try:
        r = run_ctl("--timeout", "300ms", "--token", TOKEN, "-s", silent.addr, "-s", good.addr,
                    "pause", "mymaster")
    finally:
        silent.close()
    assert r.returncode == 1, r
    assert "no answer within 300 ms after the request was sent: it may have taken effect" in \
        r.stderr
    assert good.requests == []


def test_watch_of_an_unknown_master_fails(mocks):
    m = mocks(routes=master_routes(), events=EVENTS)
    r = run_ctl("-s", m.addr, "watch", "nosuch", "--for", "5s")
    assert r.returncode == 1, r
    assert "does not know master nosuch" in r.stderr, r


def test_watch_json_prints_one_object_per_line(mocks):
    m = mocks(events=EVENTS)
    r = run_ctl("-s", m.addr, "--json", "watch", "--count", len(EVENTS))
    assert r.returncode == 0, r
    assert [json.loads(ln) for ln in r.stdout.splitlines()] == EVENTS


def test_watch_without_name_shows_every_event(mocks):
    m = mocks(events=EVENTS)
    r = run_ctl("-s", m.addr, "watch", "--count", len(EVENTS))
    assert r.returncode == 0, r
    lines = r.stdout.splitlines()
    assert [ln.split()[1:3] for ln in lines] == [["+sdown", "mymaster"],
                                                 ["+switch-master", "mymaster"],
                                                 ["+sdown", "other"], ["+tilt", "-"]], r.stdout


# --- against a real deployment ------------------------------------------------------------------

class HttpDeployment:
    """vigiltest.deploy's default deployment (vigil-store master + two replicas, three
    vigil-sentinels with the HTTP API on) with this file's token, and vigilctl pointed at it."""

    def __init__(self, group, node_kind):
        self.d = deploy.Deployment(group, node_kind, token=TOKEN).start()
        self.master, self.replicas, self.sentinels = self.d.master, self.d.replicas, \
            self.d.sentinels
        self.http = self.d.http_addrs

    def ctl(self, *args, token=True, **kw):
        base = ["-s", ",".join(self.http)] + (["--token", TOKEN] if token else [])
        return run_ctl(*base, *args, **kw)

    def wait_ready(self):
        wait_until(lambda: self.ctl("master", "mymaster").returncode == 0, 15,
                   "a majority-backed master answer")


@pytest.fixture
def deployment(proc_group, node_kind):
    vigilctl_path()
    d = HttpDeployment(proc_group, node_kind)
    d.wait_ready()
    return d


def test_status_master_plan_against_real_sentinels(deployment):
    d = deployment
    master = "%s:%d" % (HOST, d.master.port)
    r = d.ctl("status")
    assert r.returncode == 0, r
    assert "mymaster" in r.stdout and master in r.stdout
    for rep in d.replicas:
        assert "%s:%d" % (HOST, rep.port) in r.stdout
    views = [ln.split() for ln in r.stdout.splitlines() if ln.startswith("    %s" % HOST)]
    assert sorted(v[0] for v in views) == sorted(d.http), r.stdout
    assert all(v[1:3] == ["master", master] for v in views), r.stdout

    r = d.ctl("--json", "status", "mymaster")
    assert r.returncode == 0, r
    assert isinstance(json.loads(r.stdout), dict)

    r = d.ctl("master", "mymaster")
    assert (r.returncode, r.stdout) == (0, "%s %d\n" % (HOST, d.master.port)), r

    r = d.ctl("plan", "mymaster")
    assert r.returncode == 0, r
    assert re.search(r"would promote 127\.0\.0\.1:(%d|%d)" % tuple(x.port for x in d.replicas),
                     r.stdout), r.stdout

    r = d.ctl("history", "mymaster", "--limit", "5")
    assert r.returncode == 0, r

    r = d.ctl("master", "nosuchmaster")
    assert r.returncode == 1 and "does not know master nosuchmaster" in r.stderr, r

    r = run_ctl("-s", dead_addr(), "status")
    assert r.returncode == 3 and "no sentinel reachable" in r.stderr, r

    # Two of three sentinels gone: the last one cannot answer safely (503), so `master` exits 1
    # and prints nothing; with all three gone it is exit 3.
    for s in d.sentinels[1:]:
        s.proc.kill9()

    def minority_refused():
        r = d.ctl("master", "mymaster")
        return r if r.returncode == 1 else None
    r = wait_until(minority_refused, 15, "vigilctl master to refuse a minority answer")
    assert r.stdout == "" and "no sentinel could answer safely" in r.stderr, r
    assert "no majority" in r.stderr, r.stderr
    d.sentinels[0].proc.kill9()
    r = d.ctl("master", "mymaster")
    assert r.returncode == 3 and "no sentinel reachable at %s: connection refused" % d.http[0] \
        in r.stderr, r


def test_switchover_pause_resume_and_watch_against_real_sentinels(deployment):
    d = deployment
    old = (HOST, d.master.port)
    r = d.ctl("switchover", "mymaster", token=False)
    assert r.returncode == 4, r

    target = d.replicas[0]
    r = d.ctl("switchover", "mymaster", "--to", "%s:%d" % (HOST, target.port), "--timeout", "5s")
    print(r.stdout)
    assert r.returncode == 0, r
    assert "switchover of mymaster done" in r.stdout
    new = (HOST, target.port)
    wait_until(lambda: all(s.master_addr() == new for s in d.sentinels), 15,
               "every sentinel to answer the new master", ignore=deploy.REDIS_ERRORS)
    wait_until(lambda: d.ctl("master", "mymaster").stdout == "%s %d\n" % new, 15,
               "vigilctl master to answer the new master")
    assert old != new

    r = d.ctl("history", "mymaster")
    assert r.returncode == 0 and "switchover" in r.stdout, r

    # watch: one event; pause/resume produce +paused/-paused until the stream has seen one
    watch = vigiltest.Proc([vigilctl_path(), "-s", ",".join(d.http), "watch", "mymaster",
                            "--count", "1", "--for", "30s"], name="vigilctl-watch",
                           split_stderr=True)
    paused = False

    def watch_saw_event():
        nonlocal paused
        if watch.poll() is not None:
            return True
        paused = not paused
        r = d.ctl("pause" if paused else "resume", "mymaster")
        assert r.returncode == 0, r
        return False
    wait_until(watch_saw_event, 30, "vigilctl watch to print an event", interval_s=0.2)
    assert watch.returncode == 0, watch.log_tail()
    line = watch.log_text().strip()
    assert re.match(r"\d\d:\d\d:\d\d\.\d\d\d  [+-]paused\s+mymaster", line), line
    assert d.ctl("resume", "mymaster").returncode == 0


def test_forced_failover_of_a_live_master_demotes_it_at_once(deployment):
    """A forced failover demotes a live old master at once, not after the ~10 s +convert-to-slave
    wait: vigilctl reports it demoted, and it is a replica by the time vigilctl returns."""
    d = deployment
    old = "%s:%d" % (HOST, d.master.port)
    r = d.ctl("--timeout", "3s", "failover", "mymaster", "--force")
    assert r.returncode == 0, r
    m = re.search(r"old master %s: demoted, now a replica of (\S+)" % re.escape(old), r.stdout)
    assert m, r
    assert d.master.client().info("replication")["role"] == "slave"
