"""`make demo` (scripts/demo.sh): it stops cleanly on SIGTERM or SIGINT sent to its pid (not only
on Ctrl-C to the terminal's process group), exits 0, leaves none of its processes behind, and its
status table shows the sentinels' HTTP ports.

The demo picks free ports near its defaults (scripts/deploy.sh); its folder goes under a
per-test TMPDIR. Every wait is a poll with a deadline.
"""

import os
import re
import signal
import subprocess

import pytest

import vigiltest
from vigiltest import wait_until
from vigiltest.resp import RespConn

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is dead for our purpose
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(") ")[-1][0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_demo_stops_on_a_signal_to_its_pid_and_exits_0(proc_group, sig):
    for name in ("vigil-store", "vigil-sentinel", "vigilctl"):
        vigiltest.require_binary(vigiltest.vigil_binary(name))
    tmp = vigiltest.new_tmp_dir_in(proc_group.dir, "demo-tmp")
    env = dict(os.environ, TMPDIR=tmp)
    demo = vigiltest.Proc([os.path.join(ROOT, "scripts", "demo.sh")], name="demo", env=env,
                          group=proc_group)
    wait_until(lambda: "to stop everything" in demo.log_text() or demo.poll() is not None, 60,
               "the demo to be up")
    out = demo.log_text()
    assert demo.poll() is None, out
    folder = re.search(r"data and logs in (\S+)", out).group(1)
    header = next(ln for ln in out.splitlines() if ln.startswith("NODE"))
    assert header.split() == ["NODE", "PORT", "HTTP", "PID", "STATE", "ROLE"], out
    rows = {ln.split()[0]: ln.split() for ln in out.splitlines()
            if re.match(r"(store|sentinel)\d ", ln)}
    ports = dict(ln.split("=") for ln in open(os.path.join(folder, "ports.env")).read().split())
    for n in (1, 2, 3):
        assert rows["sentinel%d" % n][2] == ports["HTTP%d_PORT" % n], out
        assert rows["store%d" % n][2] == "-", out
    pids = [int(open(os.path.join(folder, "pids", f)).read())
            for f in os.listdir(os.path.join(folder, "pids"))]
    assert len(pids) == 6 and all(pid_alive(p) for p in pids)
    demo.signal(sig)
    assert demo.wait(30) == 0, demo.log_tail()
    assert "Stopped; removed" in demo.log_text()
    assert not os.path.exists(folder)
    assert not any(pid_alive(p) for p in pids), "the demo left processes behind"


def _deploy(folder, *args):
    return subprocess.run([os.path.join(ROOT, "scripts", "deploy.sh"), *args, folder],
                          capture_output=True, text=True, timeout=120)


def test_deploy_restart_brings_the_master_back_with_its_data(proc_group):
    """The demo's stores keep an append-only file: `deploy.sh restart` of the master stops it
    (it saves at SIGTERM), starts it on the same folder, and it replays its file: every key
    acknowledged before is there, from its own disk, not from a replica."""
    for name in ("vigil-store", "vigil-sentinel"):
        vigiltest.require_binary(vigiltest.vigil_binary(name))
    folder = vigiltest.new_tmp_dir_in(proc_group.dir, "deploy")
    up = _deploy(folder, "up")
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        ports = dict(ln.split("=") for ln in open(os.path.join(folder, "ports.env")).read().split())
        port = int(ports["STORE1_PORT"])
        with RespConn("127.0.0.1", port) as c:
            for i in range(200):
                assert c.call("SET", "demo:%d" % i, "v%d" % i) == "OK"
            assert c.call("WAIT", 2, 5000) == 2
        restart = _deploy(folder, "restart", "store1")
        assert restart.returncode == 0, restart.stdout + restart.stderr

        def loaded():
            with RespConn("127.0.0.1", port) as c:
                return c.call("DBSIZE") == 200
        wait_until(loaded, 30, "store1 back with its 200 keys")
        log = open(os.path.join(folder, "logs", "store1.log")).read()
        assert "DB loaded from append only file" in log, log[-3000:]
        with RespConn("127.0.0.1", port) as c:
            assert c.call("GET", "demo:199") == b"v199"
            assert c.call("CONFIG", "GET", "appendonly") == [b"appendonly", b"yes"]
    finally:
        down = _deploy(folder, "down")
        assert down.returncode == 0, down.stdout + down.stderr
