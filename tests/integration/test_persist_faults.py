"""A full or read-only disk under a steady writer (docs/persistence.md, issue #17).

The store's folder is a small tmpfs mounted in a mount namespace of its own (`unshare --mount
--propagation private`, held by a process that only waits), so the test can fill it or remount
it read-only without touching the machine; the store is started inside that namespace through
`nsenter`, and the test reaches the files through /proc/<holder>/root. What must hold, as Redis
7.0 does it:

- a snapshot (BGSAVE from the save points) that fails: the log says why (the system's error
  text), `rdb_last_bgsave_status:err`, writes get -MISCONF (stop-writes-on-bgsave-error yes with
  save points), reads keep working, the server stays up, the last good dump.rdb is untouched
  and loads, no temporary file is left behind; once space returns the next save succeeds by
  itself and writes resume;
- an AOF write that fails (`appendfsync everysec`): the log says why, `aof_last_write_status:err`,
  writes get -MISCONF, reads keep working; once space returns the store writes what it held
  back, writes resume, and after a restart every acknowledged write is there.

(With `appendfsync always` Redis 7.0 exits on an AOF write error; that case is not tested here.)

The writer (vigiltest.ackwriter) keeps writing through the fault, recording acknowledgements and
error replies; operations refused with -MISCONF were not applied, so the final state must be
exactly the acknowledged ones. Every wait polls with a deadline.
"""

import os
import subprocess

import pytest

import vigiltest
from vigiltest import procs, wait_until
from vigiltest import store as vstore
from vigiltest.ackwriter import (AckWriter, expected_state, info_fields, op_value, point_in_time,
                                 read_state)

FAULT_TIMEOUT_S = 30          # a save point retries a failed snapshot after 5 s (Redis)
WRITER_PAUSE_S = 0.002        # bounds the data written while the test waits
RDB_DISK_BYTES = 32 << 20
AOF_DISK_BYTES = 4 << 20
AOF_FREE_BYTES = 256 << 10
PAD = 100
ERRNO_TEXT = {"full": "No space left on device", "readonly": "Read-only file system"}


class PrivateDisk:
    """A tmpfs of size_bytes at path, mounted only in a private mount namespace.

    A holder process keeps the namespace alive between store restarts; it is a Proc of the
    current test's group, stopped with it, and the mount goes away with the namespace.
    """

    def __init__(self, path, size_bytes):
        os.makedirs(path, exist_ok=True)
        self.path = path
        script = 'mount -t tmpfs -o size=%d tmpfs "$1" && exec sleep infinity' % size_bytes
        self.holder = vigiltest.Proc(["unshare", "--mount", "--propagation", "private", "--",
                                      "sh", "-c", script, "sh", path], name="disk-holder")
        wait_until(self.is_mounted, 10, "the tmpfs at %s" % path)

    def is_mounted(self):
        if not self.holder.is_alive():
            raise AssertionError("mounting the tmpfs failed:\n%s" % self.holder.describe())
        with open("/proc/%d/mountinfo" % self.holder.pid) as f:
            return any(line.split()[4] == self.path and " - tmpfs " in line for line in f)

    def host_path(self, *names):
        """A path inside the tmpfs as this process can reach it."""
        return os.path.join("/proc/%d/root%s" % (self.holder.pid, self.path), *names)

    def nsenter(self):
        return ["nsenter", "--target", str(self.holder.pid), "--mount", "--"]

    def remount(self, opts):
        """Remount with opts; False while it is refused (a file open for writing blocks ro)."""
        done = subprocess.run(self.nsenter() + ["mount", "-o", "remount," + opts, self.path],
                              capture_output=True, text=True, timeout=30)
        return done.returncode == 0

    def free_bytes(self):
        st = os.statvfs(self.host_path())
        return st.f_bavail * st.f_frsize

    def fill(self, leave_bytes=0, name="filler"):
        """Take the free space but leave_bytes with one file; returns its path."""
        path = self.host_path(name)
        chunk = b"\0" * (64 << 10)
        with open(path, "wb") as f:
            try:
                while self.free_bytes() > leave_bytes:
                    f.write(chunk[:max(4096, min(len(chunk), self.free_bytes() - leave_bytes))])
                    f.flush()
            except OSError:
                pass      # ENOSPC: the disk is full, which is what was asked
        return path

    def start_store(self, args, name):
        """The target store started inside the namespace with --dir on the tmpfs."""
        binary, kind = vstore.resolve_store_binary(vigiltest.target_kind())
        vstore.require_binary(binary)
        port = procs.free_port()
        argv = self.nsenter() + vstore.store_args(binary, kind, port, self.path, None, args)
        group = procs.current_group()
        proc = vigiltest.Proc(argv, name=name, cwd=vigiltest.new_tmp_dir_in(group.dir, name))
        store = vstore.Store(kind, vstore.HOST, port, proc, self.path)
        vstore.wait_for_ping(proc, port, FAULT_TIMEOUT_S)
        return store


def persistence(conn):
    return info_fields(conn, "persistence")


def start_writer(store, pad=PAD):
    writer = AckWriter(store.host, store.port, b"w:", pad=pad, keep_going_on_errors=True,
                       batch_pause_s=WRITER_PAUSE_S)
    writer.start()
    return writer


def wait_refused(writer, conn, field):
    """Until the writer got an error reply and INFO shows field:err; every error is -MISCONF."""
    wait_until(lambda: writer.check_alive() and writer.errors
               and persistence(conn)[field] == "err", FAULT_TIMEOUT_S, "%s:err" % field)
    bad = [m for m in writer.errors.values() if not m.startswith("MISCONF ")]
    assert not bad, "write errors other than -MISCONF: %r" % bad[:3]
    if field == "aof_last_write_status":    # the AOF refusal names the system's error
        assert all(ERRNO_TEXT["full"] in m for m in writer.errors.values()), writer.errors


def check_still_serving(store, conn, fault, what):
    assert store.is_alive()
    assert conn.call("GET", b"w:k:0") == op_value(0, PAD)     # reads keep working
    assert conn.call("DBSIZE") > 0
    # As Redis 7.0: PING on a master that cannot persist answers the -MISCONF error, so that a
    # health check notices.
    ping = conn.call("PING")
    assert isinstance(ping, vigiltest.ReplyError) and ping.message.startswith("MISCONF "), ping
    log = store.proc.log_text()
    if what == "aof":
        # Redis logs a short write without the errno text (its -MISCONF reply carries it).
        said = any("aof" in line.lower() and "writ" in line.lower() for line in log.splitlines())
    else:
        said = ERRNO_TEXT[fault] in log
    assert said, "the log does not say why the %s failed (%s):\n%s" % (
        what, ERRNO_TEXT[fault], log[-2000:])


def wait_writes_resume(writer):
    before = writer.acked_count()
    wait_until(lambda: writer.check_alive() and writer.acked_count() > before + 100,
               FAULT_TIMEOUT_S, "writes to be acknowledged again")


def check_restart_has_every_ack(disk, args, writer, name):
    store = disk.start_store(args, name)
    with store.raw(timeout_s=20) as conn:
        assert read_state(conn, b"w:", writer.sent, PAD) == expected_state(writer.acked)
    return store


# ---- snapshots -----------------------------------------------------------------------------------

def cause_fault(disk, fault):
    if fault == "full":
        disk.fill()
    else:   # refused while a save child has its temporary file open for writing
        wait_until(lambda: disk.remount("ro"), FAULT_TIMEOUT_S, "a read-only remount")


def undo_fault(disk, fault):
    if fault == "full":
        os.remove(disk.host_path("filler"))
    else:
        assert disk.remount("rw")


def check_dump_loads(dump_bytes, test_dir, writer):
    """The dump kept through the fault is a whole point-in-time snapshot taken before the
    refusals began: a store outside the namespace loads it."""
    folder = vigiltest.new_tmp_dir_in(test_dir, "kept-dump")
    with open(os.path.join(folder, "dump.rdb"), "wb") as f:
        f.write(dump_bytes)
    store = vigiltest.start_store(vigiltest.target_kind(), name="kept-dump", data_dir=folder,
                                  extra_args=["--dbfilename", "dump.rdb"])
    with store.raw(timeout_s=20) as conn:
        p = point_in_time(read_state(conn, b"w:", writer.sent, PAD), writer.sent)
    assert p > 0, "the kept dump.rdb loaded empty"
    store.stop()


@pytest.mark.parametrize("fault", ["full", "readonly"])
def test_snapshot_fails_cleanly_and_writes_resume(fault, test_dir):
    disk = PrivateDisk(os.path.join(test_dir, "disk"), RDB_DISK_BYTES)
    args = ["--appendonly", "no", "--save", "1 1", "--stop-writes-on-bgsave-error", "yes"]
    store = disk.start_store(args, "store")
    conn = store.raw(timeout_s=20)
    writer = start_writer(store)
    wait_until(lambda: writer.check_alive() and os.path.exists(disk.host_path("dump.rdb")),
               FAULT_TIMEOUT_S, "a first snapshot")
    cause_fault(disk, fault)
    wait_refused(writer, conn, "rdb_last_bgsave_status")
    check_still_serving(store, conn, fault, "snapshot")
    wait_until(lambda: persistence(conn)["rdb_bgsave_in_progress"] == "0"
               and sorted(os.listdir(disk.host_path())) in (["dump.rdb"],
                                                             ["dump.rdb", "filler"]),
               FAULT_TIMEOUT_S, "no temporary file left: %r" % os.listdir(disk.host_path()))
    with open(disk.host_path("dump.rdb"), "rb") as f:
        kept = f.read()
    undo_fault(disk, fault)
    wait_until(lambda: persistence(conn)["rdb_last_bgsave_status"] == "ok", FAULT_TIMEOUT_S,
               "a snapshot to succeed by itself once the disk is back")
    wait_writes_resume(writer)
    writer.stop()
    check_dump_loads(kept, test_dir, writer)
    assert conn.call("SAVE") == "OK"
    conn.close()
    store.kill9()
    check_restart_has_every_ack(disk, args, writer, "store-again")


# ---- the append-only file ------------------------------------------------------------------------

def test_aof_write_fails_cleanly_and_writes_resume(test_dir):
    disk = PrivateDisk(os.path.join(test_dir, "disk"), AOF_DISK_BYTES)
    args = ["--appendonly", "yes", "--appendfsync", "everysec", "--save", ""]
    store = disk.start_store(args, "store")
    conn = store.raw(timeout_s=20)
    filler = disk.fill(leave_bytes=AOF_FREE_BYTES)
    writer = start_writer(store)
    wait_refused(writer, conn, "aof_last_write_status")
    check_still_serving(store, conn, "full", "aof")
    acked_during_fault = writer.acked_count()
    os.remove(filler)
    wait_until(lambda: persistence(conn)["aof_last_write_status"] == "ok", FAULT_TIMEOUT_S,
               "the AOF to be written again once the disk has space")
    wait_writes_resume(writer)
    writer.stop()
    assert writer.acked_count() > acked_during_fault
    conn.close()
    assert store.stop() == 0
    check_restart_has_every_ack(disk, args, writer, "store-again")


def test_private_disk_is_invisible_outside(test_dir):
    """The tmpfs is the namespace's own: the machine's folder stays empty (a guard for the
    harness above, so a fault can never reach the real disk)."""
    disk = PrivateDisk(os.path.join(test_dir, "disk"), 1 << 20)
    with open(disk.host_path("inside"), "wb") as f:
        f.write(b"x")
    assert os.listdir(disk.path) == []
    assert disk.free_bytes() < (1 << 20)
