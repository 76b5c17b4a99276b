"""`make demo` (scripts/demo.sh): it stops cleanly on SIGTERM or SIGINT sent to its pid (not only
on Ctrl-C to the terminal's process group), exits 0, leaves none of its processes behind, and its
status table shows the sentinels' HTTP ports.

The demo picks free ports near its defaults (scripts/deploy.sh); its folder goes under a
per-test TMPDIR. Every wait is a poll with a deadline.
"""

import os
import re
import signal

import pytest

import vigiltest
from vigiltest import wait_until

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
