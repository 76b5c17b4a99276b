"""The short partition run of `make test`: the harness's three fixed schedules on the target store.

Why: `make partition` (tests/partition/run.py, >= 100 random schedules, about half an hour) is its
own target; this keeps the harness itself working and the first safety promise checked on every
`make test`: the master with one sentinel cut off, the master paused for 3 s, the master killed
and restarted; each on a fresh cluster of 3 stores and 3 sentinels in network namespaces, with
writers on both sides. It asserts no write acknowledged with WAIT 1 is lost, every schedule fails
over and settles, the replicas converge, and on vigil-store (whose production config turns the
master lease on) that no write was acknowledged by a master after a newer one was elected and the
cut-off master was fenced within down-after; plus the checker's unit
tests (tests/partition/test_checker.py).

Needs root and `ip netns` (it creates namespaces and removes them); otherwise it skips with that
reason, which tests/skip-allowlist.txt lists.
"""

import json
import os
import subprocess
import sys

import pytest

from vigiltest import procs, store

HARNESS = os.path.join(store.REPO_ROOT, "tests", "partition")
sys.path.insert(0, HARNESS)

import netns  # noqa: E402

RUN_TIMEOUT_S = 300


def _netns_or_skip():
    ok, why = netns.netns_available()
    if not ok:
        pytest.skip("partition harness: %s" % why)


def test_partition_checker_unit_tests():
    res = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          os.path.join(HARNESS, "test_checker.py")],
                         capture_output=True, text=True, timeout=120,
                         env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"))
    assert res.returncode == 0, res.stdout + res.stderr


def test_partition_short_schedules_lose_no_wait1_write():
    _netns_or_skip()
    out = procs.new_tmp_dir("partition-short")
    system = store.target_kind()
    res = subprocess.run([sys.executable, os.path.join(HARNESS, "run.py"), "--short",
                          "--system", system, "--jobs", "2", "--out", out],
                         capture_output=True, text=True, timeout=RUN_TIMEOUT_S,
                         env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"))
    report = res.stdout + res.stderr
    if res.returncode != 0:
        procs.keep_tmp()
    assert res.returncode == 0, report
    with open(os.path.join(out, "results.jsonl")) as f:
        results = [json.loads(line) for line in f]
    assert len(results) == 3, report
    for r in results:
        assert r["ok"] and not r["violations"], r
        assert r["failovers"] >= 1, ("no failover", r["steps"], r["dir"])
        assert r["acked"]["wait1"] > 0 and r["lost"]["wait1"] == 0, r
        if system == "vigil":
            assert r["stale_acks"] == 0, r
    assert os.path.getsize(os.path.join(out, "partition.png")) > 0
    with open(os.path.join(out, "summary.md")) as f:
        assert "acknowledged wait1 writes: lost | 0 of" in f.read()
