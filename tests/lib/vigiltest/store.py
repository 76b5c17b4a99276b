"""Start a store server (vigil-store or Debian's redis-server) for a test and talk to it.

Why: every integration, compat and differential test needs "a store on a free port that answers
PING", and the differential tests need the same thing for the reference redis-server, with the
same arguments wherever the two programs share them.

  start_store(binary='vigil'|'redis'|path, port=None, extra_args=(), config=None, ...)
      -> Store(kind, host, port, proc, dir) with .client() (redis-py, RESP2, bytes) and .raw()
         (vigiltest.resp.RespConn: exact reply bytes).

Command lines:
  <server> [config] --port P --bind 127.0.0.1 --save '' --appendonly no --dir D [extra...]
  vigil-store  [config] --port P --bind 127.0.0.1 --dir D [extra...]

Binaries: vigil's from $VIGIL_BIN_DIR, else <repo>/bin; redis-server from /usr/bin (or PATH).
A missing binary makes the calling test FAIL (BinaryMissing, an AssertionError) with the path it
looked for: `make integration` builds them and `make deps` installs Debian's, so missing is a bug.
VIGIL_TARGET=redis makes target_kind() answer 'redis', so tests written against "the target
store" (the conftest `store` fixture, the differential runner) can be validated on redis-server.

Invariants: start_store returns only once PING is answered, or raises with the log tail; a port
that it chose itself and found taken (another engineer's run) is retried with a new port, at most
three times; every client it hands out is closed by Store.stop().
"""

import os
import shutil

from . import procs
from .resp import ReplyError, RespConn

HOST = "127.0.0.1"
REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
START_ATTEMPTS = 3


class BinaryMissing(AssertionError):
    """A program a test needs is not there (pytest reports it as a failure)."""


def vigil_bin_dir():
    return os.environ.get("VIGIL_BIN_DIR") or os.path.join(REPO_ROOT, "bin")


def vigil_binary(name):
    """Path of a Vigil program (vigil-store, vigil-sentinel, vigilctl); may not exist yet."""
    return os.path.join(vigil_bin_dir(), name)


def redis_server_path():
    if os.access("/usr/bin/redis-server", os.X_OK):
        return "/usr/bin/redis-server"
    return shutil.which("redis-server") or "/usr/bin/redis-server"


def target_kind():
    """'vigil' normally; 'redis' when VIGIL_TARGET=redis (validate tests on redis-server)."""
    value = os.environ.get("VIGIL_TARGET", "vigil").strip().lower() or "vigil"
    if value not in ("vigil", "redis"):
        raise ValueError("VIGIL_TARGET must be 'vigil' or 'redis', not %r" % value)
    return value


def resolve_store_binary(binary=None):
    """Map a name or path to (path, kind).

    None, 'vigil', 'vigil-store', 'bin/vigil-store' -> $VIGIL_BIN_DIR (or <repo>/bin)/vigil-store;
    'redis', 'redis-server' -> Debian's redis-server; any other path is taken as it is (relative
    to the repository root), and is a redis-server if its name starts with 'redis-server'.
    """
    if binary in (None, "vigil", "vigil-store", "bin/vigil-store"):
        path, kind = vigil_binary("vigil-store"), "vigil"
    elif binary in ("redis", "redis-server"):
        path, kind = redis_server_path(), "redis"
    else:
        path = os.path.join(REPO_ROOT, binary)
        kind = "redis" if os.path.basename(binary).startswith("redis-server") else "vigil"
    return path, kind


def require_binary(path):
    """Return path if it is an executable file; else raise BinaryMissing naming it."""
    if os.path.isfile(path) and os.access(path, os.X_OK):
        return path
    raise BinaryMissing("%s is missing or not executable (make all builds Vigil's programs into "
                        "$VIGIL_BIN_DIR or bin/, make deps installs Debian's)" % path)


class Store:
    """A running store server. kind is 'vigil' or 'redis'."""

    def __init__(self, kind, host, port, proc, data_dir, tls=None, auth=None):
        self.kind = kind
        self.tls = tls   # a vigiltest.tlspki.Pki when port is a TLS port
        self.auth = dict(auth or {})   # username/password our redis-py clients log in with
        self.host = host
        self.port = port
        self.proc = proc
        self.dir = data_dir
        self._conns = []

    def __repr__(self):
        return "Store(%s %s:%d pid=%d)" % (self.kind, self.host, self.port, self.proc.pid)

    @property
    def addr(self):
        return "%s:%d" % (self.host, self.port)

    def client(self, **kwargs):
        """A redis-py client (RESP2, decode_responses=False unless overridden)."""
        import redis
        opts = dict(host=self.host, port=self.port, decode_responses=False,
                    socket_timeout=5, socket_connect_timeout=5)
        if self.tls:
            opts.update(self.tls.redis_kwargs())
        opts.update(self.auth)
        opts.update(kwargs)
        cli = redis.Redis(**opts)
        self._conns.append(cli)
        return cli

    def raw(self, timeout_s=5.0):
        """A new raw RESP connection (vigiltest.resp.RespConn)."""
        conn = RespConn(self.host, self.port, timeout_s=timeout_s,
                        ssl_context=self.tls.ssl_context() if self.tls else None)
        self._conns.append(conn)
        return conn

    def close_clients(self):
        for conn in self._conns:
            try:
                conn.close()
            except Exception:   # noqa: BLE001 - closing is best effort
                pass
        self._conns = []

    def stop(self, timeout_s=10.0):
        """Close our clients, SIGTERM (then SIGKILL after timeout_s). Returns the exit status."""
        self.close_clients()
        return self.proc.stop(timeout_s)

    def kill9(self):
        self.close_clients()
        return self.proc.kill9()

    def is_alive(self):
        return self.proc.is_alive()


def store_args(path, kind, port, data_dir, config=None, extra_args=()):
    args = [path]
    if config:
        args.append(config)
    args += ["--port", str(port), "--bind", HOST]
    # No snapshots unless a test asks (its extra_args come later and win): a test that restarts
    # a store expects the data it chose, and the persistence suites set these themselves.
    args += ["--save", "", "--appendonly", "no"]
    args += ["--dir", data_dir]
    return args + [str(a) for a in extra_args]


def _ping_ok(proc, port, tls=None):
    rc = proc.poll()
    if rc is not None:
        raise procs.ProcExited("%s exited with status %d before answering PING" % (proc.name, rc))
    ctx = tls.ssl_context() if tls else None
    with RespConn(HOST, port, timeout_s=1.0, ssl_context=ctx) as conn:
        reply = conn.call("PING")
    if reply == "PONG":
        return True
    return isinstance(reply, ReplyError) and reply.message.startswith("NOAUTH")


def wait_for_ping(proc, port, timeout_s=10.0, tls=None):
    procs.wait_until(lambda: _ping_ok(proc, port, tls), timeout_s,
                     "%s on port %d to answer PING" % (proc.name, port))


def start_store(binary=None, port=None, extra_args=(), config=None, name=None, group=None,
                data_dir=None, env=None, wait=True, timeout_s=10.0, split_stderr=False, tls=None,
                auth=None):
    """Start vigil-store or redis-server on 127.0.0.1 and wait until it answers PING.

    binary: None/'vigil'/'vigil-store', 'redis'/'redis-server', or a path. port: None picks a free
    one. config: a config file path passed first. data_dir: --dir and cwd (default: a new dir in
    the group's temp dir). group: the ProcGroup to join (default: the current test's).
    tls: a vigiltest.tlspki.Pki: the port is a TLS port (no plaintext one, TLS replication);
    the Store's clients then speak TLS. auth: {"username": .., "password": ..} the Store's
    redis-py clients log in with (a node whose default user is off answers PING with NOAUTH).
    Raises BinaryMissing when the binary is missing, ProcExited with the log tail when the
    start fails.
    """
    path, kind = resolve_store_binary(binary)
    require_binary(path)
    group = group if group is not None else procs.current_group()
    name = name or os.path.basename(path)
    attempts = 1 if port is not None else START_ATTEMPTS
    for attempt in range(1, attempts + 1):
        this_port = port if port is not None else procs.free_port()
        this_dir = data_dir or procs.new_tmp_dir_in(group.dir, "%s-%d" % (name, this_port))
        args = list(extra_args) if not tls else tls.store_args(this_port) + list(extra_args)
        proc = procs.Proc(store_args(path, kind, this_port, this_dir, config, args),
                          name=name, cwd=this_dir, env=env, group=group,
                          split_stderr=split_stderr)
        store = Store(kind, HOST, this_port, proc, this_dir, tls=tls, auth=auth)
        if not wait:
            return store
        try:
            wait_for_ping(proc, this_port, timeout_s, tls)
            return store
        except (procs.ProcExited, procs.WaitTimeout) as exc:
            proc.stop()
            text = proc.log_text() + (proc.err_text() if split_stderr else "")
            if attempt < attempts and "Address already in use" in text:
                continue
            raise procs.ProcExited("%s failed to start: %s\n%s"
                                   % (name, exc, proc.describe(60))) from None
    raise AssertionError("unreachable")


# ---- waiting on a store's state ---------------------------------------------------------------

SYNC_TIMEOUT_S = 20
BLOCK_TIMEOUT_S = 10


def info_field(conn, section, field):
    """An integer field of INFO <section> over a RespConn; a missing field fails the test."""
    for line in conn.call("INFO", section).decode().splitlines():
        if line.startswith(field + ":"):
            return int(line.split(":", 1)[1])
    raise AssertionError("INFO %s has no %s" % (section, field))


def config_set_replies(store, name, values):
    """The reply bytes of CONFIG GET name, then CONFIG SET name v and CONFIG GET name for each v:
    what a test compares with redis-server's to show a parameter validated and normalised as
    Redis does."""
    with store.raw() as conn:
        out = [conn.call_bytes("CONFIG", "GET", name)]
        for value in values:
            out.append(conn.call_bytes("CONFIG", "SET", name, value))
            out.append(conn.call_bytes("CONFIG", "GET", name))
    return out


def blocked_clients(conn):
    return info_field(conn, "clients", "blocked_clients")


def block_client(admin, conn, *command, timeout_s=BLOCK_TIMEOUT_S):
    """Send a blocking command on the RespConn conn and wait until the server counts one more
    blocked client (read over admin); fails if the command answered at once instead."""
    before = blocked_clients(admin)
    conn.send_command(*command)
    procs.wait_until(lambda: blocked_clients(admin) > before or conn.has_pending(), timeout_s,
                     "%s to block" % (command,))
    assert not conn.has_pending(), "did not block: %r" % conn.read_reply_bytes()


def is_synced(master, replica, require_offset=False):
    """True when the replica Store's link to the master Store is up and it has applied all the
    master sent (slave_repl_offset equals the master's master_repl_offset). require_offset: also
    only once the master has propagated something (its offset is past 0)."""
    m, r = master.client().info("replication"), replica.client().info("replication")
    return (r.get("master_link_status") == "up"
            and r.get("slave_repl_offset") == m.get("master_repl_offset")
            and (not require_offset or m.get("master_repl_offset", 0) > 0))


def start_replica_of(master, kind="redis", name="redis-replica"):
    """A new store of `kind` made a replica of master with REPLICAOF, returned once its first
    sync is done (the offsets agree, and are past 0)."""
    replica = start_store(kind, name=name)
    assert replica.client().execute_command("REPLICAOF", master.host, master.port) == b"OK"
    wait_synced(master, replica, what="%s to sync" % name, require_offset=True)
    return replica


def wait_synced(master, *replicas, what=None, timeout_s=SYNC_TIMEOUT_S, require_offset=False):
    """Poll is_synced for each replica in turn, failing after timeout_s with `what` (default:
    which replica and master)."""
    for r in replicas:
        procs.wait_until(lambda r=r: is_synced(master, r, require_offset), timeout_s,
                         what or "replica %s to catch up with master %s" % (r.addr, master.addr))
