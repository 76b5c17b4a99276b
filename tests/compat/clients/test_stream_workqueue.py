"""A stream work queue with python3-redis through a kill -9 failover (issue #21, streams): a
producer adds jobs with `XADD jobs * ...` then `WAIT 1` (acknowledged when WAIT answered >= 1),
a worker takes them with `XREADGROUP GROUP workers w1 BLOCK` and `XACK`s them, both through
`Sentinel.master_for` and reconnecting only as the library does. After the failover every
acknowledged XADD is in the stream on the master the sentinels name, and the worker, finishing
the queue there (new entries, then its own pending ones, then what XAUTOCLAIM hands it),
processes every one of them at least once.

Deployment, scenario and measurements: conftest.py (the `deployment` and `compat` fixtures).
"""

import threading

import redis
import redis.sentinel

from vigiltest import wait_until

MASTER = "mymaster"
STREAM, GROUP = "jobs", "workers"
TIMEOUTS = dict(socket_timeout=1, socket_connect_timeout=1)
DRAIN_DEADLINE_S = 20


def master_client(d):
    sentinel = redis.sentinel.Sentinel(d.sentinel_addrs, socket_timeout=0.5,
                                       socket_connect_timeout=0.5)
    return sentinel, sentinel.master_for(MASTER, decode_responses=True, **TIMEOUTS)


class Producer:
    """write(key, value) for compat.PyWriter: XADD then WAIT 1 in one round trip; remembers
    the ID of every job by its key."""

    def __init__(self, master, wait_ms):
        self.master, self.wait_ms, self.ids = master, wait_ms, {}

    def __call__(self, key, value):
        pipe = self.master.pipeline(transaction=False)
        pipe.xadd(STREAM, {"job": key, "payload": value})
        pipe.execute_command("WAIT", 1, self.wait_ms)
        entry_id, n = pipe.execute()
        self.ids[key] = entry_id
        return n


class Worker:
    """A thread reading new jobs with XREADGROUP BLOCK and acknowledging each (errors during the
    failover are the library's to recover from: the worker just tries again)."""

    def __init__(self, master, name="w1"):
        self.master, self.name, self.done = master, name, set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def take(self, stream_id=">", count=50):
        reply = self.master.xreadgroup(GROUP, self.name, {STREAM: stream_id}, count=count,
                                       block=100 if stream_id == ">" else None)
        entries = reply[0][1] if reply else []
        self.finish([e for e in entries if e[1] is not None])
        return entries

    def finish(self, entries):
        if entries:
            self.master.xack(STREAM, GROUP, *[e[0] for e in entries])
            self.done.update(e[1]["job"] for e in entries)

    def _run(self):
        while not self._stop.is_set():
            try:
                self.take()
            except (redis.ConnectionError, redis.TimeoutError, redis.ResponseError):
                self._stop.wait(0.02)

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        self._thread.join(timeout=10)
        assert not self._thread.is_alive(), "the worker did not stop"

    def drain(self):
        """Everything left on the current master: new entries, own pending, then others'."""
        while self.take(">"):
            pass
        while self.take("0"):
            pass
        cursor = "0-0"
        while True:
            cursor, claimed, _ = self.master.xautoclaim(STREAM, GROUP, self.name, 0,
                                                        start_id=cursor, count=100)
            self.finish(claimed)
            if cursor == "0-0":
                return


def test_stream_work_queue_through_kill9_failover(deployment, compat):
    d = deployment
    sentinel, master = master_client(d)
    master.xgroup_create(STREAM, GROUP, id="$", mkstream=True)
    assert master.execute_command("WAIT", len(d.live_nodes()) - 1, 5000) >= 1
    producer = Producer(master, compat.WAIT_MS)
    worker = Worker(master).start()
    with compat.PyWriter("stream-producer", producer) as writer:
        compat.kill9_scenario(d, writer)
        records = writer.stop()
    worker.stop()
    addr = d.agreed_master()
    assert sentinel.discover_master(MASTER) == addr
    acked = [writer.log.key(r["i"]) for r in records if r["acked"]]
    assert acked, "no acknowledged XADD at all"
    present = {e[1]["job"]: e[0] for e in master.xrange(STREAM, "-", "+")}
    lost = [k for k in acked if present.get(k) != producer.ids.get(k)]
    print("[stream-producer] %d XADDs, %d acknowledged, %d lost on %s:%d"
          % (len(records), len(acked), len(lost), *addr))
    assert not lost, "acknowledged jobs missing on the new master: %s" % lost[:10]
    wait_until(lambda: worker.drain() is None and set(acked) <= worker.done, DRAIN_DEADLINE_S,
               "the worker to process every acknowledged job",
               ignore=(redis.ConnectionError, redis.TimeoutError))
    assert master.xpending(STREAM, GROUP)["pending"] == 0
    master.connection_pool.disconnect()
