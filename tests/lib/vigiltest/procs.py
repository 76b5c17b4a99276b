"""Processes, ports, temp dirs and deadlines for process-level tests.

Why: integration and compat tests start real binaries (vigil-store, vigil-sentinel, redis-server)
on 127.0.0.1. Several engineers run them at once on a small machine, so every test must start its
own processes on free ports, stop exactly those (by pid, never by name), keep their logs when it
fails, and synchronize by polling with a deadline, never with a fixed sleep.

Pieces:
  free_port()             a port bound-then-released on 127.0.0.1, never handed out twice per run,
                          never 6379/26379 (or their cluster-bus twins).
  Proc                    one child process: cwd in a temp dir, stdout+stderr into a log file,
                          stop() = SIGTERM, wait with deadline, then SIGKILL; kill9().
  ProcGroup               the processes one test (or one module fixture) started; stop_all() and
                          log_tails() for failure reports. The innermost group_scope() is where a
                          Proc registers when no group is given.
  wait_until(pred, timeout_s, what)   poll with short sleeps until pred() is truthy.
  new_tmp_dir(name)       a directory under one per-run root, deleted at exit unless keep_tmp()
                          was called (conftest calls it when a test fails) or VIGIL_KEEP_TMP=1.

Invariants: every Proc is in the live registry until it has been reaped, and atexit stops whatever
is still running. A child is started through `setpriv --pdeathsig KILL --` (util-linux; it execs
the program, so the pid is the program's) so it dies even if the test runner is SIGKILLed; a
Python preexec_fn would do the same but costs ~100 ms per start on this machine. A signal is only
ever sent to a child that has not been reaped, so a recycled pid is never hit.
"""

import atexit
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import time

AVOID_PORTS = frozenset({6379, 26379, 16379, 36379})
_handed_out_ports = set()

_tmp_root = None
_keep_tmp = os.environ.get("VIGIL_KEEP_TMP") == "1"

_live = []          # every Proc started and not yet reaped, in start order
_group_stack = []   # innermost group_scope() last

SETPRIV = "/usr/bin/setpriv"
_LAUNCH_PREFIX = ([SETPRIV, "--pdeathsig", "KILL", "--"]
                  if os.access(SETPRIV, os.X_OK) else [])


class WaitTimeout(AssertionError):
    """wait_until() gave up. An AssertionError so pytest reports it as a test failure."""


class ProcExited(RuntimeError):
    """A process the test was waiting on exited."""


# --- ports --------------------------------------------------------------------------------------

def free_port():
    """Return a TCP port on 127.0.0.1 that was free a moment ago and is new to this run."""
    for _ in range(200):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if port in AVOID_PORTS or port in _handed_out_ports:
            continue
        _handed_out_ports.add(port)
        return port
    raise RuntimeError("free_port: no new free port after 200 tries")


# --- temp dirs ----------------------------------------------------------------------------------

def run_tmp_root():
    """The per-run root for test dirs (created on first use; under $VIGIL_TEST_TMP if set)."""
    global _tmp_root
    if _tmp_root is None:
        base = os.environ.get("VIGIL_TEST_TMP") or None
        if base:
            os.makedirs(base, exist_ok=True)
        _tmp_root = tempfile.mkdtemp(prefix="vigiltest-", dir=base)
    return _tmp_root


def new_tmp_dir_in(parent, name="tmp"):
    """A fresh directory under parent; name is sanitized and shortened."""
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", name)[-60:] or "tmp"
    return tempfile.mkdtemp(prefix=safe + "-", dir=parent)


def new_tmp_dir(name="tmp"):
    """A fresh directory under the run root."""
    return new_tmp_dir_in(run_tmp_root(), name)


def keep_tmp():
    """Keep the run's temp root (logs, data dirs) at exit: something failed."""
    global _keep_tmp
    _keep_tmp = True


def tmp_is_kept():
    return _keep_tmp and _tmp_root is not None


# --- deadlines ----------------------------------------------------------------------------------

def _transient_errors():
    """Errors that mean "not yet": a refused connection while a server starts, and -LOADING
    while a replica loads a snapshot (redis-py raises BusyLoadingError, not an OSError)."""
    try:
        from redis.exceptions import BusyLoadingError
    except ImportError:
        return (OSError,)
    return (OSError, BusyLoadingError)


TRANSIENT_ERRORS = _transient_errors()


def wait_until(predicate, timeout_s, what, interval_s=0.005, ignore=TRANSIENT_ERRORS):
    """Poll predicate() until it returns something truthy and return that value.

    Exceptions of the types in `ignore` count as "not yet" (connection refused while a server
    starts, a replica answering -LOADING); others propagate at once. Sleeps grow from interval_s to 50 ms between polls. On
    timeout raises WaitTimeout naming `what` and the last ignored exception.
    """
    deadline = time.monotonic() + timeout_s
    pause = interval_s
    last_exc = None
    while True:
        try:
            value = predicate()
            if value:
                return value
        except ignore as exc:   # noqa: PERF203 - polling loop by design
            last_exc = exc
        left = deadline - time.monotonic()
        if left <= 0:
            detail = " (last error: %r)" % (last_exc,) if last_exc is not None else ""
            raise WaitTimeout("timed out after %.1fs waiting for %s%s" % (timeout_s, what, detail))
        time.sleep(min(pause, left))
        pause = min(pause * 2, 0.05)


# --- processes ----------------------------------------------------------------------------------

def _tail_of_file(path, lines, max_bytes=65536):
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - max_bytes))
            data = f.read()
    except OSError as exc:
        return "<cannot read %s: %s>" % (path, exc)
    text = data.decode("utf-8", "replace").splitlines()
    return "\n".join(text[-lines:])


class Proc:
    """One child process with its own log.

    args: argv list (args[0] is the program). cwd: working dir (a new temp dir if None).
    Output goes to <cwd>/<name>.log; with split_stderr=True stderr goes to <cwd>/<name>.err.
    The Proc joins `group` (default: the innermost group_scope()) and the live registry.
    """

    def __init__(self, args, name=None, cwd=None, env=None, group=None, split_stderr=False):
        self.args = [str(a) for a in args]
        self.name = name or os.path.basename(self.args[0])
        self.cwd = cwd or new_tmp_dir(self.name)
        self.log_path = os.path.join(self.cwd, self.name + ".log")
        self.err_path = os.path.join(self.cwd, self.name + ".err") if split_stderr else None
        self.was_killed = False
        full_env = dict(os.environ)
        if env:
            full_env.update(env)
        with open(self.log_path, "ab") as out:
            err = open(self.err_path, "ab") if self.err_path else subprocess.STDOUT
            try:
                self.popen = subprocess.Popen(_LAUNCH_PREFIX + self.args, cwd=self.cwd,
                                              env=full_env, stdin=subprocess.DEVNULL,
                                              stdout=out, stderr=err, close_fds=True)
            finally:
                if self.err_path:
                    err.close()
        self.pid = self.popen.pid
        _live.append(self)
        (group if group is not None else current_group()).add(self)

    def __repr__(self):
        return "Proc(%s pid=%d rc=%r)" % (self.name, self.pid, self.popen.returncode)

    @property
    def returncode(self):
        return self.popen.returncode

    def poll(self):
        """Exit status if the process has exited (reaping it), else None."""
        rc = self.popen.poll()
        if rc is not None:
            self._forget()
        return rc

    def is_alive(self):
        return self.poll() is None

    def wait(self, timeout_s):
        """Wait for exit and return the status; raise WaitTimeout if still running."""
        try:
            rc = self.popen.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            raise WaitTimeout("%s (pid %d) still running after %.1fs"
                              % (self.name, self.pid, timeout_s)) from None
        self._forget()
        return rc

    def signal(self, sig):
        """Send sig to this child if it has not been reaped (never to a recycled pid)."""
        self.popen.send_signal(sig)

    def stop(self, timeout_s=10.0):
        """SIGTERM, wait up to timeout_s, then SIGKILL. Returns the exit status."""
        if self.poll() is not None:
            return self.returncode
        self.signal(signal.SIGTERM)
        try:
            return self.wait(timeout_s)
        except WaitTimeout:
            return self.kill9()

    def kill9(self):
        """SIGKILL and reap. Returns the exit status (-9 unless it had already exited)."""
        if self.poll() is None:
            self.was_killed = True
            self.popen.kill()
        rc = self.popen.wait(timeout=30)
        self._forget()
        return rc

    def listening_tcp_ports(self):
        """The TCP ports this process listens on (IPv4 and IPv6), from its socket fds and
        /proc/<pid>/net/tcp{,6} (state 0A is LISTEN)."""
        inodes = set()
        fd_dir = "/proc/%d/fd" % self.pid
        for fd in os.listdir(fd_dir):
            try:
                target = os.readlink(os.path.join(fd_dir, fd))
            except OSError:
                continue  # closed since listdir
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
        ports = set()
        for table in ("tcp", "tcp6"):
            with open("/proc/%d/net/%s" % (self.pid, table)) as f:
                for row in f.read().splitlines()[1:]:
                    cols = row.split()
                    if cols[3] == "0A" and cols[9] in inodes:
                        ports.add(int(cols[1].rsplit(":", 1)[1], 16))
        return ports

    def _forget(self):
        if self in _live:
            _live.remove(self)

    def log_text(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def err_text(self):
        """stderr when split_stderr=True, else the combined log."""
        path = self.err_path or self.log_path
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def log_tail(self, lines=40):
        out = _tail_of_file(self.log_path, lines)
        if self.err_path:
            out += "\n--- stderr (%s) ---\n%s" % (self.err_path,
                                                   _tail_of_file(self.err_path, lines))
        return out

    def describe(self, lines=40):
        state = "running" if self.popen.returncode is None else "exit %r" % self.popen.returncode
        return "=== %s pid %d (%s) log %s\n$ %s\n%s" % (
            self.name, self.pid, state, self.log_path, shlex.join(self.args),
            self.log_tail(lines))


class ProcGroup:
    """The processes one test (or one fixture) started; stops exactly those."""

    def __init__(self, name="group", tmp_dir=None):
        self.name = name
        self.procs = []
        self._dir = tmp_dir

    @property
    def dir(self):
        """This group's temp dir, created on first use."""
        if self._dir is None:
            self._dir = new_tmp_dir(self.name)
        return self._dir

    def add(self, proc):
        self.procs.append(proc)

    def stop_all(self, timeout_s=10.0):
        """Stop every process of the group, newest first. Returns {name: exit status}."""
        statuses = {}
        for proc in reversed(self.procs):
            statuses[proc.name] = proc.stop(timeout_s)
        return statuses

    def log_tails(self, lines=40):
        return "\n".join(p.describe(lines) for p in self.procs)


_default_group = ProcGroup("default")


def current_group():
    return _group_stack[-1] if _group_stack else _default_group


class group_scope:
    """`with group_scope(g):` makes g the group new Procs join; stops nothing by itself."""

    def __init__(self, group):
        self.group = group

    def __enter__(self):
        _group_stack.append(self.group)
        return self.group

    def __exit__(self, *exc):
        _group_stack.remove(self.group)


def live_procs():
    """Processes started in this run and not yet reaped."""
    return [p for p in list(_live) if p.is_alive()]


def _at_exit():
    for proc in reversed(list(_live)):
        try:
            proc.stop(timeout_s=5.0)
        except Exception:   # noqa: BLE001 - best effort at interpreter exit
            pass
    if _tmp_root is not None and not _keep_tmp:
        shutil.rmtree(_tmp_root, ignore_errors=True)


atexit.register(_at_exit)
