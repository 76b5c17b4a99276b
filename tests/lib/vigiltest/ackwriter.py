"""A steady writer that records every acknowledged write, and the checks of what survived it.

Why: the persistence crash and fault tests (tests/integration/test_persist_*.py) kill or starve
a store under load and must then say exactly which acknowledged writes came back. A write counts
as acknowledged only once its reply was read; pipelining is allowed because every reply is read
and recorded in order.

The writer's operation i (0-based, one sequence per key prefix) is, by i % 3:
  0: SET <prefix>k:<i> <value of i>      unique keys and values: presence is checkable one by one
  1: INCR <prefix>counter                the counter after a restart >= acknowledged increments
  2: RPUSH <prefix>list <i>              order matters: the list must be a prefix of the sequence

One connection executes commands in order, so a store that keeps a log (AOF) or a point-in-time
snapshot (RDB) must come back in exactly the state "operations 0..P-1 applied" for some P:
point_in_time() finds that P or fails, and the tests then bound P from below (everything
acknowledged, everything before the last snapshot) or measure what is missing (everysec).
Operations that got an error reply (-MISCONF) were not applied: expected_state() of the
acknowledged ones is then the whole truth.

Invariants: the writer never blocks longer than its socket timeout; at most `depth` commands are
in flight; it ends on the first connection error (the store was killed) and keeps that error.
"""

import threading
import time

from .resp import ConnectionClosed, ReplyError, RespConn, encode_command, parse_reply

MGET_CHUNK = 500
ERROR_PAUSE_S = 0.01   # after a batch of error replies: pace, so a refusing store is not flooded


def op_kind(i):
    return ("set", "incr", "rpush")[i % 3]


def op_value(i, pad):
    return b"v:%d:" % i + b"x" * pad


def op_command(prefix, i, pad):
    kind = op_kind(i)
    if kind == "set":
        return encode_command(b"SET", b"%sk:%d" % (prefix, i), op_value(i, pad))
    if kind == "incr":
        return encode_command(b"INCR", prefix + b"counter")
    return encode_command(b"RPUSH", prefix + b"list", b"%d" % i)


class AckWriter(threading.Thread):
    """Writes operations 0, 1, 2, ... of one prefix until stopped or the connection breaks.

    acked: op numbers with a success reply, in reply order, with ack_times (time.monotonic()).
    errors: {op: message} of error replies (the op was not applied). sent: ops sent so far.
    depth: commands per pipelined batch. pad: bytes of padding in each SET value.
    keep_going_on_errors: False ends the writer at the first error reply.
    batch_pause_s: a pause after each batch, to bound the data a long-running test writes.
    """

    def __init__(self, host, port, prefix, depth=16, pad=0, keep_going_on_errors=False,
                 batch_pause_s=0.0):
        super().__init__(name="ackwriter-%s" % prefix.decode(), daemon=True)
        self.host, self.port = host, port
        self.prefix, self.depth, self.pad = prefix, depth, pad
        self.keep_going_on_errors = keep_going_on_errors
        self.batch_pause_s = batch_pause_s
        self.sent = 0
        self.acked = []
        self.ack_times = []
        self.errors = {}
        self.ended_by = None      # the exception that ended the writer, if any
        self._stop_event = threading.Event()
        self._conn = RespConn(host, port, timeout_s=10.0)

    # -- the thread --------------------------------------------------------------------------

    def run(self):
        try:
            while not self._stop_event.is_set():
                had_error = self._one_batch()
                if had_error and not self.keep_going_on_errors:
                    return
                pause = max(self.batch_pause_s, ERROR_PAUSE_S if had_error else 0.0)
                if pause:
                    self._stop_event.wait(pause)
        except Exception as exc:   # noqa: BLE001 - a killed store ends the writer; kept for asserts
            self.ended_by = exc
        finally:
            self._conn.close()

    def _one_batch(self):
        first = self.sent
        batch = b"".join(op_command(self.prefix, i, self.pad)
                         for i in range(first, first + self.depth))
        self._conn.send_raw(batch)
        self.sent = first + self.depth
        had_error = False
        for i in range(first, first + self.depth):
            reply = parse_reply(self._conn.read_reply_bytes())
            if isinstance(reply, ReplyError):
                self.errors[i] = reply.message
                had_error = True
            else:
                self.ack_times.append(time.monotonic())
                self.acked.append(i)
        return had_error

    # -- from the test's thread --------------------------------------------------------------

    def acked_count(self):
        return len(self.acked)

    def stop(self, timeout_s=15.0):
        """Ask the thread to end after its batch and wait for it."""
        self._stop_event.set()
        self.join(timeout_s)
        if self.is_alive():
            raise AssertionError("writer %s did not stop within %.1fs" % (self.name, timeout_s))

    def died_by_connection(self):
        """True if the writer ended because the store went away (what a kill -9 does)."""
        return isinstance(self.ended_by, (ConnectionClosed, ConnectionError, OSError))

    def check_alive(self):
        """Raise if the writer ended on its own (an unexpected error reply or exception)."""
        if not self.is_alive() and not self._stop_event.is_set():
            raise AssertionError("writer %s ended early: %r, errors %r"
                                 % (self.name, self.ended_by, list(self.errors.items())[:3]))
        return True


# ---- what a store holds ----------------------------------------------------------------------

def info_fields(conn, section):
    """INFO <section> over a RespConn as {field: text} (the persistence tests poll rdb_*,
    aof_* and sync_* fields while the writer runs)."""
    text = conn.call("INFO", section, raise_on_error=True)
    text = text.decode() if isinstance(text, bytes) else text
    return dict(line.split(":", 1) for line in text.splitlines()
                if ":" in line and not line.startswith("#"))


class RoundState:
    """What one prefix holds in a store: SET ops present, the counter, the list of op numbers."""

    def __init__(self, set_ops, counter, items):
        self.set_ops, self.counter, self.items = set_ops, counter, items

    def __eq__(self, other):
        return (self.set_ops, self.counter, self.items) == (other.set_ops, other.counter,
                                                            other.items)

    def __repr__(self):
        return "RoundState(%d keys, counter %d, list of %d)" % (len(self.set_ops), self.counter,
                                                               len(self.items))


def read_state(conn, prefix, upto_op, pad=0):
    """Read a prefix's keys for ops < upto_op over a RespConn; every value found is checked."""
    set_ops = []
    candidates = [i for i in range(upto_op) if op_kind(i) == "set"]
    for start in range(0, len(candidates), MGET_CHUNK):
        chunk = candidates[start:start + MGET_CHUNK]
        values = conn.call("MGET", *[b"%sk:%d" % (prefix, i) for i in chunk],
                           raise_on_error=True)
        for i, value in zip(chunk, values):
            if value is None:
                continue
            if value != op_value(i, pad):
                raise AssertionError("key %sk:%d holds %r, written %r"
                                     % (prefix.decode(), i, value[:40], op_value(i, pad)[:40]))
            set_ops.append(i)
    counter = conn.call("GET", prefix + b"counter", raise_on_error=True)
    items = conn.call("LRANGE", prefix + b"list", 0, -1, raise_on_error=True)
    return RoundState(set_ops, int(counter or 0), [int(x) for x in items])


def expected_state(ops):
    """The state a prefix holds after exactly the operations `ops` (any iterable of op numbers)."""
    ops = sorted(ops)
    return RoundState([i for i in ops if op_kind(i) == "set"],
                      sum(1 for i in ops if op_kind(i) == "incr"),
                      [i for i in ops if op_kind(i) == "rpush"])


def counts_upto(p):
    """(SETs, INCRs, RPUSHes) among operations 0..p-1."""
    return (p + 2) // 3, (p + 1) // 3, p // 3


def point_in_time(state, sent):
    """The P such that state == operations 0..P-1 applied, or raise AssertionError saying why.

    A log replayed up to a torn tail, or a snapshot taken at one instant, both give such a P.
    """
    nset = len(state.set_ops)
    for p in range(max(0, 3 * nset - 2), min(3 * nset, sent) + 1):
        if counts_upto(p) == (nset, state.counter, len(state.items)):
            if state == expected_state(range(p)):
                return p
    raise AssertionError("not a prefix of the writes (sent %d): %r; first keys %r, list head %r, "
                         "list tail %r" % (sent, state, state.set_ops[:5], state.items[:5],
                                           state.items[-5:]))
