"""kill -9 under a steady writer, and torn append-only files (docs/persistence.md, issue #17).

What a crash may lose depends on the persistence settings; these tests hold the store to it:

- `appendonly yes` + `appendfsync always`: nothing acknowledged is lost (0 writes);
- `appendfsync everysec`: at most what was acknowledged in the last ~2 s (the bound asserted
  is EVERYSEC_WINDOW_S before the kill, measured on the writer's own ack timestamps; the count
  and the span are printed);
- RDB only (save points): everything up to the last snapshot that completed (observed through
  INFO persistence while the writer runs) is there;
- whatever the mode, the store comes back in the state "the writer's first P operations
  applied" for one P: a log replayed to its last whole command, or one point-in-time snapshot,
  never a mix (vigiltest.ackwriter.point_in_time);
- a torn AOF tail: `aof-load-truncated yes` starts, loads every command before the cut and logs
  what it dropped; `no` refuses to start, naming the file.

A kill -9 kills the process, not the machine: the page cache survives it, so these tests prove
what the store writes before it acknowledges, not that fsync reached the platter.

Kill points and cut offsets come from a seed, printed at the start of each test
(VIGIL_PERSIST_SEED=n replays one). VIGIL_PERSIST_LONG=1 (`make persist-crash`) runs more kill
points and cuts. The same tests run against Debian's redis-server with VIGIL_TARGET=redis.
Every wait polls with a deadline.
"""

import os
import random
import re
import shutil
import time

import vigiltest
from vigiltest import wait_until
from vigiltest.ackwriter import (AckWriter, expected_state, info_fields, op_command,
                                 point_in_time, read_state)
from vigiltest.resp import frame_end, parse_reply

LONG = os.environ.get("VIGIL_PERSIST_LONG") == "1"
KILL_POINTS = 10 if LONG else 3
EVERYSEC_KILL_POINTS = 6 if LONG else 2     # each one runs past EVERYSEC_WINDOW_S
TORN_RANDOM_CUTS = 40 if LONG else 6
ACKS_BEFORE_KILL = (2000, 5000)    # a kill point: after this many acknowledged writes (seeded)
RDB_KILL_SPREAD_S = 1.5            # RDB: killed up to this long after the first completed save
EVERYSEC_WINDOW_S = 3.0            # everysec may lose what was acknowledged this long before
WRITER_PAUSE_S = 0.002             # rounds that last seconds: bounds the data written
START_TIMEOUT_S = 30               # a restart loads the data first
WRITE_TIMEOUT_S = 60
AOF_ALWAYS = ["--appendonly", "yes", "--appendfsync", "always"]
AOF_EVERYSEC = ["--appendonly", "yes", "--appendfsync", "everysec"]
RDB_ONLY = ["--appendonly", "no", "--save", "1 1"]


def seeded_rng(label):
    """The seed of one test: VIGIL_PERSIST_SEED or a fresh one; printed so a run can be replayed."""
    seed = int(os.environ.get("VIGIL_PERSIST_SEED") or random.randrange(1 << 30))
    print("%s: seed %d (replay: VIGIL_PERSIST_SEED=%d)" % (label, seed, seed))
    return random.Random(seed)


def start(args, data_dir=None, name="store", wait=True):
    return vigiltest.start_store(vigiltest.target_kind(), name=name, data_dir=data_dir,
                                 extra_args=args, timeout_s=START_TIMEOUT_S, wait=wait)


def proc_stat(pid):
    """(state, start time) of a process from /proc/<pid>/stat, or None once it is gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return fields[0], fields[19]


def child_pids(pid):
    """The children of a running process (a forked snapshot or rewrite child) with their start
    times, from /proc."""
    out = []
    try:
        for tid in os.listdir("/proc/%d/task" % pid):
            with open("/proc/%d/task/%s/children" % (pid, tid)) as f:
                out += [int(x) for x in f.read().split()]
    except OSError:
        pass
    return [(c, proc_stat(c)) for c in out]


def is_gone(pid, stat):
    """True once the child has exited: no such pid, a zombie nobody reaped, or a new process
    that reused the pid (another start time)."""
    now = proc_stat(pid)
    return now is None or now[0] == "Z" or stat is None or now[1] != stat[1]


def kill9_and_wait_children(store):
    """kill -9 the store; wait until a child it forked (a snapshot in flight) has finished too,
    so the restart never races with an orphan still writing into the same folder."""
    children = child_pids(store.proc.pid)
    store.kill9()
    wait_until(lambda: all(is_gone(c, st) for c, st in children), 60,
               "the killed store's children %r to finish" % children)


# ---- kill -9 under a writer ----------------------------------------------------------------------

class SaveTracker:
    """A lower bound on the writes the last completed snapshot holds, from INFO persistence.

    A save that completed after poll k-1 (rdb_bgsave_in_progress went 1 -> 0, or rdb_saves moved
    while no save runs) started after the last poll that saw no save running, so it holds every
    write acknowledged before that poll was sent. This holds whether rdb_saves counts a save when
    it starts (Redis 7.0) or when it ends.
    """

    def __init__(self, conn, writer):
        self.conn, self.writer = conn, writer
        fields = info_fields(conn, "persistence")
        assert "rdb_saves" in fields, "INFO persistence has no rdb_saves field"
        self.prev_saves = int(fields["rdb_saves"])
        self.prev_busy = fields["rdb_bgsave_in_progress"] == "1"
        self.idle_acks = 0      # acks counted before the last poll that saw no save running
        self.bound = 0          # acks the last completed, successful snapshot holds at least
        self.completed = 0

    def poll(self):
        acks = self.writer.acked_count()
        fields = info_fields(self.conn, "persistence")
        saves, busy = int(fields["rdb_saves"]), fields["rdb_bgsave_in_progress"] == "1"
        moved = saves != self.prev_saves
        if (self.prev_busy and not busy) or (moved and (self.prev_busy or not busy)):
            if fields["rdb_last_bgsave_status"] == "ok":
                self.bound = max(self.bound, self.idle_acks)
                self.completed += 1
        if not busy:
            self.idle_acks = acks
        self.prev_saves, self.prev_busy = saves, busy
        return self.completed


def write_until_kill_point(store, writer, target_acks, tracker=None, extra_s=0.0):
    """Run the writer until target_acks (and, for snapshots, until a completed save holds some
    of them), then extra_s more (a random point of the snapshot cycle, or past the everysec
    window), then kill -9. Returns the monotonic time of the kill."""
    writer.start()

    def ready():
        writer.check_alive()
        saved = tracker is None or (tracker.poll() and tracker.bound > 0)
        return saved and writer.acked_count() >= target_acks

    wait_until(ready, WRITE_TIMEOUT_S, "%d acknowledged writes" % target_acks)
    kill_at = time.monotonic() + extra_s
    wait_until(lambda: writer.check_alive() and (tracker is None or tracker.poll() >= 0)
               and time.monotonic() >= kill_at, extra_s + WRITE_TIMEOUT_S, "the kill point")
    kill_t = time.monotonic()
    kill9_and_wait_children(store)
    writer.join(15)
    assert not writer.is_alive() and writer.died_by_connection(), writer.ended_by
    assert not writer.errors, "error replies before the kill: %r" % list(writer.errors.items())[:3]
    return kill_t


def crash_rounds(args, rng, check_round, rounds=KILL_POINTS, rdb=False, extra_s=(0.0, 0.0),
                 pause_s=0.0):
    """`rounds` rounds of: write with a new key prefix, kill -9 after a seeded number of
    acknowledgements plus a seeded extra_s range of time, restart on the same folder, check the
    earlier rounds are unchanged and hand this round's state to check_round."""
    store = start(args, name="store-0")
    data_dir = store.dir
    history = []     # (prefix, sent, state) of the rounds already checked
    for rnd in range(rounds):
        prefix = b"r%d:" % rnd
        writer = AckWriter(store.host, store.port, prefix, batch_pause_s=pause_s)
        tracker = SaveTracker(store.raw(), writer) if rdb else None
        target = rng.randint(*ACKS_BEFORE_KILL)
        kill_t = write_until_kill_point(store, writer, target, tracker, rng.uniform(*extra_s))
        store = start(args, data_dir=data_dir, name="store-%d" % (rnd + 1))
        with store.raw(timeout_s=20) as conn:
            for old_prefix, old_sent, old_state in history:
                assert read_state(conn, old_prefix, old_sent) == old_state, old_prefix
            state = read_state(conn, prefix, writer.sent)
        p = point_in_time(state, writer.sent)
        check_round(rnd, writer, p, kill_t, tracker)
        history.append((prefix, writer.sent, state))
    return store


def test_appendfsync_always_loses_no_acknowledged_write():
    rng = seeded_rng("always")

    def check(rnd, writer, p, _kill_t, _tracker):
        acked = writer.acked_count()
        print("always round %d: %d acknowledged, %d sent, %d came back" % (rnd, acked,
                                                                         writer.sent, p))
        assert p >= acked, "%d acknowledged writes lost (round %d)" % (acked - p, rnd)

    crash_rounds(AOF_ALWAYS, rng, check)


def test_appendfsync_everysec_loses_at_most_the_last_seconds():
    rng = seeded_rng("everysec")

    def check(rnd, writer, p, kill_t, _tracker):
        acked = writer.acked_count()
        rate = acked / max(writer.ack_times[-1] - writer.ack_times[0], 1e-3)
        in_window = sum(1 for t in writer.ack_times if t >= kill_t - EVERYSEC_WINDOW_S)
        lost = max(0, acked - p)
        span = kill_t - writer.ack_times[p] if lost else 0.0
        print("everysec round %d: %d of %d acknowledged writes missing, acknowledged in the "
              "last %.3f s before the kill (writer %.0f writes/s; %d acknowledged in the last "
              "%.1f s)" % (rnd, lost, acked, span, rate, in_window, EVERYSEC_WINDOW_S))
        assert in_window < acked, "the round was shorter than the window: nothing to check"
        assert span <= EVERYSEC_WINDOW_S, "lost writes acknowledged %.3f s before the kill" % span
        assert lost <= in_window

    # Each round runs past the window, so that writes older than it exist and must survive.
    crash_rounds(AOF_EVERYSEC, rng, check, rounds=EVERYSEC_KILL_POINTS, pause_s=WRITER_PAUSE_S,
                 extra_s=(EVERYSEC_WINDOW_S + 1.0, EVERYSEC_WINDOW_S + 2.5))


def test_rdb_snapshots_keep_everything_before_the_last_save():
    rng = seeded_rng("rdb")

    def check(rnd, writer, p, _kill_t, tracker):
        print("rdb round %d: %d acknowledged, last completed save holds >= %d, %d came back "
              "(%d saves seen)" % (rnd, writer.acked_count(), tracker.bound, p,
                                   tracker.completed))
        assert p >= tracker.bound, "the last completed snapshot lost %d writes" % (
            tracker.bound - p)

    crash_rounds(RDB_ONLY, rng, check, rdb=True, extra_s=(0.0, RDB_KILL_SPREAD_S),
                 pause_s=WRITER_PAUSE_S)


# ---- torn AOF tail -------------------------------------------------------------------------------

TORN_OPS = 301            # op 300 is a SET: the last command has a payload worth cutting into
TORN_PAD = 200


def manifest_last_incr(aof_dir):
    """The file name of the newest incremental file listed in the AOF manifest."""
    names = [n for n in os.listdir(aof_dir) if n.endswith(".manifest")]
    assert len(names) == 1, names
    best = None
    with open(os.path.join(aof_dir, names[0])) as f:
        for line in f:
            words = line.split()
            fields = dict(zip(words[::2], words[1::2]))
            if fields.get("type") == "i" and (best is None or int(fields["seq"]) > best[0]):
                best = (int(fields["seq"]), fields["file"])
    assert best, "no incremental file in the manifest of %s" % aof_dir
    return best[1]


def command_spans(data, prefix):
    """[(start, end, is_writer_op)] of the commands in an AOF increment (RESP arrays)."""
    spans, pos = [], 0
    while pos < len(data):
        end = frame_end(data, pos)
        assert end is not None, "the clean AOF has a torn command at %d" % pos
        argv = parse_reply(data[pos:end])
        spans.append((pos, end, len(argv) > 1 and argv[1].startswith(prefix)))
        pos = end
    return spans


def clean_aof_folder(test_dir):
    """A data folder written by a store that ran TORN_OPS writer ops and stopped cleanly."""
    store = start(AOF_ALWAYS, name="clean")
    with store.raw() as conn:
        conn.send_raw(b"".join(op_command(b"t:", i, TORN_PAD) for i in range(TORN_OPS)))
        for _ in range(TORN_OPS):
            assert not isinstance(conn.read_reply(), vigiltest.ReplyError)
    assert store.stop() == 0
    return store.dir


def copy_aof_folder(src, dst_parent, name):
    dst = vigiltest.new_tmp_dir_in(dst_parent, name)
    shutil.copytree(os.path.join(src, "appendonlydir"), os.path.join(dst, "appendonlydir"))
    return dst


def cut_points(spans, size, rng):
    """(label, offset) pairs: seeded random offsets inside commands, one in the last command's
    array header, one in its payload."""
    boundaries = {end for _, end, _ in spans} | {0}
    inside = [o for o in range(1, size) if o not in boundaries]
    cuts = [("random", o) for o in sorted(rng.sample(inside, min(TORN_RANDOM_CUTS, len(inside))))]
    last_start, last_end, _ = spans[-1]
    cuts.append(("last-header", last_start + 2))            # "*3" of "*3\r\n"
    cuts.append(("last-payload", last_end - 2 - TORN_PAD // 2))
    return cuts


def log_names_drop(log, fname, valid, dropped):
    """The load log names the file and how much it kept or dropped (a byte count)."""
    for line in log.splitlines():
        if fname in line and (re.search(r"\b%d\b" % valid, line)
                              or re.search(r"\b%d\b" % dropped, line)):
            return True
    return False


def check_truncated_load(folder, fname, cut, spans):
    """aof-load-truncated yes: loads every whole command before the cut, logs the drop; the
    repaired file then takes new writes and loads with `no`."""
    whole = [s for s in spans if s[1] <= cut]
    valid = whole[-1][1] if whole else 0
    p = sum(1 for s in whole if s[2])
    store = start(["--appendonly", "yes", "--aof-load-truncated", "yes"], data_dir=folder,
                  name="yes-%d" % cut)
    with store.raw() as conn:
        assert read_state(conn, b"t:", TORN_OPS, TORN_PAD) == expected_state(range(p)), cut
        assert conn.call("SET", "after-cut", "1") == "OK"
    log = store.proc.log_text()
    assert log_names_drop(log, fname, valid, cut - valid), (
        "the log does not say what was dropped from %s (cut at %d, %d bytes whole):\n%s"
        % (fname, cut, valid, log[-2000:]))
    assert store.stop() == 0
    again = start(["--appendonly", "yes", "--aof-load-truncated", "no"], data_dir=folder,
                  name="again-%d" % cut)
    with again.raw() as conn:
        assert read_state(conn, b"t:", TORN_OPS, TORN_PAD) == expected_state(range(p)), cut
        assert conn.call("GET", "after-cut") == b"1"
    again.stop()


def check_refused_load(folder, fname, cut):
    store = start(["--appendonly", "yes", "--aof-load-truncated", "no"], data_dir=folder,
                  name="no-%d" % cut, wait=False)
    rc = store.proc.wait(START_TIMEOUT_S)
    log = store.proc.log_text()
    assert rc != 0, "started on a torn AOF (cut at %d) with aof-load-truncated no" % cut
    assert fname in log, "the refusal does not name %s:\n%s" % (fname, log[-2000:])


def test_torn_aof_tail_loads_with_yes_and_is_refused_with_no(test_dir):
    rng = seeded_rng("torn")
    clean = clean_aof_folder(test_dir)
    fname = manifest_last_incr(os.path.join(clean, "appendonlydir"))
    with open(os.path.join(clean, "appendonlydir", fname), "rb") as f:
        data = f.read()
    spans = command_spans(data, b"t:")
    assert sum(1 for s in spans if s[2]) == TORN_OPS
    for label, cut in cut_points(spans, len(data), rng):
        print("torn tail: %s cut at byte %d of %d" % (label, cut, len(data)))
        for mode in ("yes", "no"):
            folder = copy_aof_folder(clean, test_dir, "%s-%d" % (mode, cut))
            os.truncate(os.path.join(folder, "appendonlydir", fname), cut)
            if mode == "yes":
                check_truncated_load(folder, fname, cut, spans)
            else:
                check_refused_load(folder, fname, cut)


def test_aof_cut_at_a_command_boundary_loads_with_no(test_dir):
    """A file that ends on a whole command is not torn: `no` loads it all, no complaint."""
    clean = clean_aof_folder(test_dir)
    fname = manifest_last_incr(os.path.join(clean, "appendonlydir"))
    with open(os.path.join(clean, "appendonlydir", fname), "rb") as f:
        spans = command_spans(f.read(), b"t:")
    keep = spans[len(spans) // 2]
    folder = copy_aof_folder(clean, test_dir, "boundary")
    os.truncate(os.path.join(folder, "appendonlydir", fname), keep[1])
    store = start(["--appendonly", "yes", "--aof-load-truncated", "no"], data_dir=folder,
                  name="boundary")
    p = sum(1 for s in spans[:len(spans) // 2 + 1] if s[2])
    with store.raw() as conn:
        assert read_state(conn, b"t:", TORN_OPS, TORN_PAD) == expected_state(range(p))


# ---- the checkers themselves (no server): they must be able to fail -----------------------------

def test_point_in_time_finds_the_prefix_and_rejects_a_mix():
    assert point_in_time(expected_state(range(7)), 10) == 7
    assert point_in_time(expected_state([]), 10) == 0
    for mixed in ([0, 1, 2, 4, 5], [0, 2, 3], [1, 2]):   # a hole: a lost op before a kept one
        try:
            point_in_time(expected_state(mixed), 10)
        except AssertionError:
            continue
        raise AssertionError("a mixed state passed as a prefix: %r" % mixed)


class FakeInfo:
    """Answers INFO persistence from a script of (rdb_saves, in_progress, status)."""

    def __init__(self, script, writer):
        self.script, self.writer = list(script), writer

    def call(self, *_args, **_kwargs):
        self.writer.acks += 100     # the writer keeps going between polls
        saves, busy, status = self.script.pop(0)
        return ("rdb_saves:%d\r\nrdb_bgsave_in_progress:%d\r\nrdb_last_bgsave_status:%s\r\n"
                % (saves, busy, status))


class FakeWriter:
    acks = 0

    def acked_count(self):
        return self.acks


def test_save_tracker_bounds_a_save_by_the_last_idle_poll():
    writer = FakeWriter()
    # saves counted at start (Redis) or at the end: the bound is the same, conservative one.
    for script in ([(0, 0, "ok"), (0, 0, "ok"), (1, 1, "ok"), (1, 1, "ok"), (1, 0, "ok")],
                   [(0, 0, "ok"), (0, 0, "ok"), (0, 1, "ok"), (0, 1, "ok"), (1, 0, "ok")]):
        writer.acks = 0
        tracker = SaveTracker(FakeInfo(script, writer), writer)
        assert [tracker.poll() for _ in range(3)] == [0, 0, 0]
        acks_before_idle_poll = 100    # the last poll that saw no save running came after 100
        assert tracker.poll() == 1 and tracker.bound == acks_before_idle_poll
    failed = SaveTracker(FakeInfo([(0, 0, "ok"), (1, 1, "ok"), (1, 0, "err")], writer), writer)
    assert [failed.poll(), failed.poll()] == [0, 0] and failed.bound == 0
