"""A partition-test writer: runs inside a client namespace and records every write it tries.

Why: the checker needs, for each write, when it was sent and answered, which node answered, and
how strongly it was acknowledged. The harness starts one writer per client namespace with
`ip netns exec <ns> python3 writer.py ...` (its own process: its timing does not depend on the
harness's), and reads its JSON-lines file after the run.

Kinds:
  direct    finds the master itself (ROLE of every store), writes to it, and probes again
            after an error reply or when the node cannot be reached; after a timeout it stays
            with the node. The writer on the master's side keeps writing to an isolated old
            master exactly as long as that master answers; a paused master keeps its writers.
  sentinel  redis-py's Sentinel + master_for: the connection asks the sentinels for the master
            on every (re)connect, as an application using the Sentinel protocol does.

Each write is `SADD <set> <writer>:<seq>` (a unique element) followed, by seq, by nothing,
`WAIT 1`, `WAIT 2` or `WAITAOF 1 0` (--classes). One line per write:
  {"t0": sent, "ta": SADD answered, "t": answered (with its wait; wall s), "node": "ip",
   "v": element, "cls": class,
   "res": "ok" | "err" | "unk", "acks": replicas (or local fsyncs) counted, "msg": error}
"unk" = no answer (timeout, connection lost): the write may or may not have happened.

Invariants: one write in flight; every socket has a timeout; SIGTERM ends the writer after the
write in flight, with the file flushed.
"""

import argparse
import json
import os
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

from vigiltest.resp import ReplyError, RespConn  # noqa: E402

SET_KEY = "pt:set"
PORT = 6379
SENTINEL_PORT = 26379
MASTER_NAME = "mymaster"
WAIT_TIMEOUT_MS = 200
WAITAOF_TIMEOUT_MS = 1200   # appendfsync everysec: the local fsync may be up to 1 s away
REPLY_TIMEOUT_S = 2.0
# The Sentinel-following writer's socket timeout: a master cut off from the client sends no reset,
# so the client learns it is gone only by this timeout, which adds to every outage it sees (with
# 2 s, outages through an isolation were about 2.3 s). 0.5 s is what an application that wants to
# fail over fast sets; WAIT's 200 ms and a healthy write fit in it with room.
SENTINEL_REPLY_TIMEOUT_S = 0.5
PROBE_TIMEOUT_S = 0.3
PACE_S = 0.01          # one write per 10 ms per writer: a modest load on 2 cores

_stopping = False


def on_term(_sig, _frame):
    global _stopping
    _stopping = True


def wait_command(cls):
    if cls == "wait1":
        return ("WAIT", 1, WAIT_TIMEOUT_MS)
    if cls == "wait2":
        return ("WAIT", 2, WAIT_TIMEOUT_MS)
    if cls == "waitaof":
        return ("WAITAOF", 1, 0, WAITAOF_TIMEOUT_MS)
    return None


def acks_of(cls, reply):
    """Replicas (WAIT) or local fsyncs (WAITAOF) that acknowledged, from the reply."""
    if cls == "waitaof":
        return int(reply[0]) if isinstance(reply, list) and reply else 0
    return int(reply) if isinstance(reply, int) else 0


class Recorder:
    def __init__(self, path, name):
        self.f = open(path, "a", buffering=1)
        self.name = name

    def write(self, **rec):
        rec["w"] = self.name
        self.f.write(json.dumps(rec, separators=(",", ":")) + "\n")


def one_write(call, seq, cls, name):
    """Send one write (+ its wait) through call(*args) -> reply; return the record fields."""
    val = "%s:%d" % (name, seq)
    rec = {"t0": time.time(), "v": val, "cls": cls, "acks": 0}
    reply = call("SADD", SET_KEY, val)
    rec["ta"] = time.time()     # the master's own answer, before any WAIT: for outage
    if isinstance(reply, ReplyError):
        rec.update(res="err", msg=reply.message[:80], t=rec["ta"])
        return rec
    wait = wait_command(cls)
    if wait:
        reply = call(*wait)
        rec["acks"] = 0 if isinstance(reply, ReplyError) else acks_of(cls, reply)
    rec.update(res="ok", t=time.time())
    return rec


def unknown(t0, seq, cls, name, exc):
    now = time.time()
    return {"t0": t0, "ta": now, "t": now, "v": "%s:%d" % (name, seq), "cls": cls,
            "res": "unk", "msg": type(exc).__name__, "acks": 0}


def connect(host, password, timeout_s):
    conn = RespConn(host, PORT, timeout_s=timeout_s)
    if password:
        conn.call("AUTH", password)
    return conn


def probe_master(stores, password):
    """The first store whose ROLE says master, as an open connection; None if none answers."""
    for host in stores:
        try:
            conn = connect(host, password, PROBE_TIMEOUT_S)
            role = conn.call("ROLE")
            if isinstance(role, list) and role and role[0] == b"master":
                conn.timeout_s = REPLY_TIMEOUT_S
                return conn
            conn.close()
        except OSError:
            continue
    return None


def reconnect_same(host, password):
    """After a timeout: a new connection to the same node (a client pinned to the address it
    knows, as most are until told otherwise); None if the node cannot be reached at all."""
    try:
        return connect(host, password, REPLY_TIMEOUT_S)
    except OSError:
        return None


def run_direct(args, rec, classes):
    """Write to the master found by probing; after a timeout stay with that node (a paused or
    slow master keeps its clients), after an error reply or an unreachable node probe again,
    starting with the node written to last."""
    stores, conn, last, seq = args.stores.split(","), None, None, 0
    while not _stopping:
        if conn is None:
            order = ([last] if last else []) + [h for h in stores if h != last]
            conn = probe_master(order, args.password)
            if conn is None:
                time.sleep(0.05)
                continue
        seq += 1
        cls, t0 = classes[seq % len(classes)], time.time()
        try:
            fields = one_write(conn.call, seq, cls, rec.name)
        except OSError as exc:
            fields = unknown(t0, seq, cls, rec.name, exc)
        fields["node"] = last = conn.host
        rec.write(**fields)
        if fields["res"] != "ok":
            conn.close()
            timed_out = fields["res"] == "unk" and fields["msg"] in ("ReplyTimeout", "timeout")
            conn = reconnect_same(last, args.password) if timed_out else None
        time.sleep(PACE_S)


def run_sentinel(args, rec, classes):
    from redis.sentinel import Sentinel
    sentinels = [(h, SENTINEL_PORT) for h in args.sentinels.split(",")]
    skw = {"socket_timeout": PROBE_TIMEOUT_S, "socket_connect_timeout": PROBE_TIMEOUT_S}
    if args.sentinel_password:
        skw["password"] = args.sentinel_password
    sentinel = Sentinel(sentinels, sentinel_kwargs=skw, socket_timeout=SENTINEL_REPLY_TIMEOUT_S,
                        socket_connect_timeout=PROBE_TIMEOUT_S)
    client = sentinel.master_for(MASTER_NAME, password=args.password or None)
    pool = client.connection_pool
    seq = 0
    while not _stopping:
        try:
            conn = pool.get_connection("SADD")
        except Exception:   # noqa: BLE001 - no master known: the writer is in an outage
            time.sleep(0.05)
            continue
        seq += 1
        cls, t0 = classes[seq % len(classes)], time.time()

        def call(*cmd):
            conn.send_command(*cmd)
            try:
                return conn.read_response()
            except Exception as exc:   # noqa: BLE001 - error replies come back as exceptions
                if type(exc).__name__ in ("ResponseError", "ReadOnlyError"):
                    return ReplyError(str(exc))
                raise
        try:
            fields = one_write(call, seq, cls, rec.name)
        except Exception as exc:   # noqa: BLE001 - connection lost or timed out
            fields = unknown(t0, seq, cls, rec.name, exc)
        fields["node"] = conn.host
        rec.write(**fields)
        if fields["res"] != "ok":
            conn.disconnect()
        pool.release(conn)
        time.sleep(PACE_S)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("kind", choices=("direct", "sentinel"))
    ap.add_argument("name")
    ap.add_argument("--out", required=True)
    ap.add_argument("--stores", default="")
    ap.add_argument("--sentinels", default="")
    ap.add_argument("--password", default="")
    ap.add_argument("--sentinel-password", default="")
    ap.add_argument("--classes", default="plain,wait1,wait2")
    args = ap.parse_args(argv)
    signal.signal(signal.SIGTERM, on_term)
    rec = Recorder(args.out, args.name)
    classes = args.classes.split(",")
    (run_direct if args.kind == "direct" else run_sentinel)(args, rec, classes)
    rec.f.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
