"""The sentinel's HTTP API under a slow-client flood ("slowloris") from its own address.

A child process (so the probes below do not wait for its interpreter) opens 1,000 connections to the API from 127.0.0.1, sends each a partial request head
and then one more header byte per connection every 250 ms, so libmicrohttpd's idle timeout
(reset by every byte) never fires; it replaces connections the server closes, up to a bound,
for a few seconds, then only trickles until every connection it holds is closed or its own
deadline passes. Meanwhile the test asks GET /readyz from the same address on fresh
connections. The sentinel runs with `http.request-timeout: 1s`.

Asserted: every /readyz answers 200 (each with a generous 10 s socket timeout: no speed
assertion); every flood connection is closed by the server although it kept sending; the
metrics count closes by the request deadline and by eviction. The /readyz latencies are printed
(run with -s); they are figures, not assertions.
"""

import multiprocessing
import resource
import selectors
import socket
import time

from vigiltest import deploy, procs
from vigiltest import sentinel_http as sh

HOST = deploy.HOST
N_SLOW = 1000
MAX_OPENS = 20000         # the flood reconnects at most this many times in all
FLOOD_RECONNECT_S = 4.0   # replace closed connections for this long
FLOOD_MAX_S = 30.0        # the flood thread's own hard stop
TRICKLE_S = 0.25
REQUEST_TIMEOUT = "1s"


def raise_nofile(want):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard), hard))


class SlowFlood:
    """Slow connections to port: partial heads, one more byte per connection per TRICKLE_S.
    Runs in a child process; run() reports (opens, closed_by_server, connect_failures,
    still_open) on `results` and sets `reconnecting_done` when it stops replacing connections."""

    def __init__(self, port, started, reconnecting_done, results):
        self.port = port
        self.started = started
        self.reconnecting_done = reconnecting_done
        self.results = results
        self.sel = selectors.DefaultSelector()
        self.socks = set()
        self.opens = 0
        self.closed_by_server = 0
        self.connect_failures = 0
        self.reconnect = True

    def open_one(self):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        self.opens += 1
        if s.connect_ex((HOST, self.port)) not in (0, 115):  # 115: EINPROGRESS
            self.connect_failures += 1
            s.close()
            return
        self.socks.add(s)
        self.sel.register(s, selectors.EVENT_READ)

    def drop(self, s):
        self.sel.unregister(s)
        self.socks.discard(s)
        s.close()
        self.closed_by_server += 1

    def trickle(self, first):
        for s in list(self.socks):
            data = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " if first.get(s, True) else b"a"
            try:
                s.send(data)
                first[s] = False
            except BlockingIOError:
                pass          # still connecting: try again next round
            except OSError:
                self.drop(s)

    def reap(self, timeout):
        for key, _ in self.sel.select(timeout):
            s = key.fileobj
            try:
                if s.recv(4096) == b"":
                    self.drop(s)
            except BlockingIOError:
                pass
            except OSError:
                self.drop(s)

    def run(self):
        raise_nofile(N_SLOW + 256)
        start = time.monotonic()
        first = {}
        for _ in range(N_SLOW):
            self.open_one()
        self.started.set()
        while time.monotonic() - start < FLOOD_MAX_S and self.socks:
            if self.reconnect and time.monotonic() - start > FLOOD_RECONNECT_S:
                self.reconnect = False
                self.reconnecting_done.set()
            if self.reconnect:
                while len(self.socks) < N_SLOW and self.opens < MAX_OPENS:
                    self.open_one()
            self.trickle(first)
            round_end = time.monotonic() + TRICKLE_S
            while time.monotonic() < round_end:
                self.reap(max(0.0, round_end - time.monotonic()))
        still_open = len(self.socks)
        for s in list(self.socks):
            self.sel.unregister(s)
            s.close()
        self.reconnecting_done.set()
        self.results.put((self.opens, self.closed_by_server, self.connect_failures, still_open))


def run_flood(port, started, reconnecting_done, results):
    SlowFlood(port, started, reconnecting_done, results).run()


def metric(s, reason):
    samples = sh.parse_prometheus(s.get("/metrics").body)
    key = ("vigil_sentinel_http_connections_closed_total", frozenset({("reason", reason)}))
    return samples.get(key, 0)


def test_health_answers_under_a_slow_connection_flood_and_slow_connections_are_closed(
        proc_group):
    raise_nofile(N_SLOW + 256)
    master = deploy.start_data_node("vigil", name="master")
    port, http_port = procs.free_port(), procs.free_port()
    data_dir = procs.new_tmp_dir_in(proc_group.dir, "sentinel-%d" % port)
    yaml_path = data_dir + "/sentinel.yaml"
    deploy.write_sentinel_yaml(yaml_path, port, data_dir, master.port, 1, http_port,
                               deploy.TOKEN, extra="  request-timeout: %s\n" % REQUEST_TIMEOUT)
    s = deploy.start_sentinel(proc_group, master.port, quorum=1, port=port, http_port=http_port,
                              data_dir=data_dir, yaml_path=yaml_path)
    procs.wait_until(lambda: s.get("/readyz").status == 200, 10, "the sentinel ready")

    ctx = multiprocessing.get_context("fork")
    started, reconnecting_done, results = ctx.Event(), ctx.Event(), ctx.Queue()
    flood = ctx.Process(target=run_flood, args=(http_port, started, reconnecting_done, results),
                        daemon=True)
    flood.start()
    latencies_ms, refused = [], 0
    try:
        assert started.wait(30), "the flood did not start"
        while not reconnecting_done.is_set():
            t0 = time.monotonic()
            try:
                r = sh.http_call(http_port, "GET", "/readyz", timeout=10)
            except ConnectionError:
                refused += 1  # counted and reported; the next probe must answer
                continue
            latencies_ms.append((time.monotonic() - t0) * 1000)
            assert r.status == 200, r
        opens, closed_by_server, connect_failures, still_open = results.get(
            timeout=FLOOD_MAX_S + 10)
    finally:
        flood.join(FLOOD_MAX_S + 10)
        if flood.is_alive():
            flood.kill()
    assert latencies_ms, "no /readyz probe answered during the flood"
    lat = sorted(latencies_ms)
    print("\n/readyz under %d slow connections (%d opened in all): %d answered, %d refused, "
          "median %.1f ms, p90 %.1f ms, max %.1f ms"
          % (N_SLOW, opens, len(lat), refused, lat[len(lat) // 2], lat[int(len(lat) * 0.9)],
             lat[-1]))
    assert refused <= len(lat) // 10, "more than one probe in ten refused"
    # Every flood connection was closed by the server although it kept sending bytes.
    assert still_open == 0 and closed_by_server == opens - connect_failures
    assert metric(s, "request_timeout") >= 1
    assert metric(s, "evicted") >= 1
    assert s.get("/healthz").status == 200 and s.proc.poll() is None
