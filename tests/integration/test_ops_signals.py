"""Signals an operator's tools send: SIGHUP from logrotate (or a closed terminal), SIGPIPE and
SIGHUP to `vigilctl watch`.

- vigil-store and vigil-sentinel keep running on SIGHUP (Redis ignores it too) and reopen their
  log file, so logrotate's move-then-SIGHUP recipe (configs/logrotate/vigil) works: after the
  move, the lines written after the signal are in the new file, none in the moved one; and
  the recipe itself, run by Debian's logrotate, rotates a running store.
- `vigilctl watch` whose reader went away (`vigilctl watch | head -1`) or whose terminal hung up
  exits and closes its event stream instead of holding it open at the sentinel.
"""

import grp
import os
import pwd
import re
import shutil
import signal
import subprocess

import pytest

import vigiltest
from vigiltest import deploy, wait_until

HOST = "127.0.0.1"
LOGROTATE_RECIPE = os.path.join(vigiltest.store.REPO_ROOT, "configs", "logrotate", "vigil")


def rotate_and_hup(proc, log_path, reopened_text):
    """Move the log aside as logrotate does, SIGHUP, and wait for the line saying so in a new
    file at the old path. Fails at once if the process died."""
    rotated = log_path + ".1"
    os.rename(log_path, rotated)
    proc.signal(signal.SIGHUP)

    def reopened():
        if proc.poll() is not None:
            pytest.fail("%s exited with status %r on SIGHUP:\n%s"
                        % (proc.name, proc.returncode, proc.log_tail(20)))
        return os.path.exists(log_path) and reopened_text in open(log_path).read()
    wait_until(reopened, 10, "%s to reopen %s after SIGHUP" % (proc.name, log_path))
    return rotated


def test_store_survives_sighup_and_reopens_its_log(test_dir):
    log_path = os.path.join(test_dir, "store.log")
    node = vigiltest.start_store("vigil", extra_args=["--logfile", log_path])
    wait_until(lambda: "Ready to accept" in open(log_path).read(), 10, "the first log lines")
    rotated = rotate_and_hup(node.proc, log_path, "log file reopened")
    with node.raw() as conn:
        assert conn.call("PING") == "PONG"
    assert node.proc.is_alive()
    assert "Ready to accept" in open(rotated).read()
    assert "log file reopened" not in open(rotated).read()
    # A second rotation works the same way (the reopened file is the one being replaced now).
    rotate_and_hup(node.proc, log_path, "log file reopened")
    with node.raw() as conn:
        assert conn.call("PING") == "PONG"


def test_sentinel_survives_sighup_and_reopens_its_log(proc_group, test_dir):
    master = vigiltest.start_store("vigil")
    data_dir = vigiltest.new_tmp_dir_in(test_dir, "sentinel")
    log_path = os.path.join(data_dir, "sentinel.log")
    port, http_port = vigiltest.free_port(), vigiltest.free_port()
    yaml_path = os.path.join(data_dir, "sentinel.yaml")
    deploy.write_sentinel_yaml(yaml_path, port, data_dir, master.port, 1, http_port,
                               extra="logfile: %s\n" % log_path)
    s = deploy.start_sentinel(proc_group, master.port, quorum=1, data_dir=data_dir, port=port,
                              http_port=http_port, yaml_path=yaml_path)
    wait_until(lambda: "started" in open(log_path).read(), 10, "the first log lines")
    rotated = rotate_and_hup(s.proc, log_path, "log file reopened")
    assert s.cmd("PING") is True
    assert s.get("/healthz").status == 200
    assert "started" in open(rotated).read()
    assert "log file reopened" not in open(rotated).read()
    rotate_and_hup(s.proc, log_path, "log file reopened")
    assert s.cmd("PING") is True


def test_logrotate_recipe_rotates_a_running_store(test_dir):
    """configs/logrotate/vigil run by Debian's logrotate (forced), with its paths, owner and
    signal delivery rewritten for this test: the store keeps running and logs to the new file."""
    logrotate = shutil.which("logrotate") or "/usr/sbin/logrotate"
    assert os.access(logrotate, os.X_OK), "logrotate is missing: scripts/deps.sh installs it"
    log_dir = vigiltest.new_tmp_dir_in(test_dir, "log")
    log_path = os.path.join(log_dir, "store.log")
    node = vigiltest.start_store("vigil", extra_args=["--logfile", log_path])
    recipe = open(LOGROTATE_RECIPE).read()
    assert "/var/log/vigil/*.log {" in recipe and "create 0640 vigil vigil" in recipe
    user, group = pwd.getpwuid(os.getuid()).pw_name, grp.getgrgid(os.getgid()).gr_name
    recipe = recipe.replace("/var/log/vigil/*.log", log_dir + "/*.log")
    recipe = recipe.replace("create 0640 vigil vigil", "create 0640 %s %s" % (user, group))
    recipe, n = re.subn(r"systemctl kill .*", "kill -HUP %d" % node.proc.pid, recipe)
    assert n == 1
    conf = os.path.join(test_dir, "logrotate.conf")
    with open(conf, "w") as f:
        f.write(recipe)
    r = subprocess.run([logrotate, "--force", "--state", os.path.join(test_dir, "state"), conf],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    wait_until(lambda: "log file reopened" in open(log_path).read(), 10,
               "the store to log to the file logrotate created")
    assert "Ready to accept" in open(log_path + ".1").read()
    assert oct(os.stat(log_path).st_mode & 0o777) == "0o640"
    with node.raw() as conn:
        assert conn.call("PING") == "PONG"


# --- vigilctl watch -------------------------------------------------------------------------------

def sse_clients(s):
    """Established TCP connections to the sentinel's HTTP port, seen from the server side
    (/proc/net/tcp: local port in hex, state 01): the open event streams, as every other
    request here is closed."""
    count = 0
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            fields = line.split()
            if fields[1].endswith(":%04X" % s.http_port) and fields[3] == "01":
                count += 1
    return count


@pytest.fixture
def watched_sentinel(proc_group):
    master = vigiltest.start_store("vigil")
    return deploy.start_sentinel(proc_group, master.port, quorum=1)


def start_watch(s, stdout):
    ctl = vigiltest.vigil_binary("vigilctl")
    vigiltest.require_binary(ctl)
    env = dict(os.environ, VIGIL_SENTINELS="%s:%d" % (HOST, s.http_port))
    return subprocess.Popen([ctl, "watch"], stdout=stdout, stderr=subprocess.PIPE, env=env,
                            start_new_session=True)


def test_vigilctl_watch_exits_when_its_reader_is_gone(watched_sentinel):
    s = watched_sentinel
    r, w = os.pipe()
    ctl = start_watch(s, w)
    os.close(w)
    try:
        wait_until(lambda: sse_clients(s) == 1, 10, "vigilctl's event stream to open")
        os.close(r)  # `| head -1` exited: nothing will ever read vigilctl's output again
        r = None
        # No event is written (a quiet group): vigilctl must notice the closed pipe by itself.
        wait_until(lambda: ctl.poll() is not None, 10, "vigilctl watch to exit")
        wait_until(lambda: sse_clients(s) == 0, 10, "the sentinel to drop the stream")
    finally:
        if r is not None:
            os.close(r)
        if ctl.poll() is None:
            ctl.kill()
        ctl.wait()


@pytest.mark.parametrize("sig", [signal.SIGHUP, signal.SIGTERM])
def test_vigilctl_watch_exits_on_hangup(watched_sentinel, sig):
    s = watched_sentinel
    ctl = start_watch(s, subprocess.DEVNULL)
    try:
        wait_until(lambda: sse_clients(s) == 1, 10, "vigilctl's event stream to open")
        ctl.send_signal(sig)
        wait_until(lambda: ctl.poll() is not None, 10, "vigilctl watch to exit")
        wait_until(lambda: sse_clients(s) == 0, 10, "the sentinel to drop the stream")
    finally:
        if ctl.poll() is None:
            ctl.kill()
        ctl.wait()
