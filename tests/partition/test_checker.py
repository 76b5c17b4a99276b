"""Unit tests of the partition checker (tests/partition/checker.py) on hand-made histories.

Why: the harness's verdicts (lost acknowledged writes, writes acknowledged after a newer
election, time to fence, outage) are only as good as these functions; each test builds a small
history whose answer is known and checks the checker finds exactly it. Collected by
tests/integration/test_partition_short.py's module (make test) and runnable alone:
  /usr/bin/python3 -m pytest tests/partition/test_checker.py
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import checker  # noqa: E402

OLD, NEW = "10.77.0.11", "10.77.0.12"


def w(v, t, node=OLD, cls="plain", res="ok", acks=0, writer="cA"):
    return {"v": v, "t0": t - 0.001, "t": t, "node": node, "cls": cls, "res": res,
            "acks": acks, "w": writer}


def test_a_lost_wait1_write_is_found_and_breaks_the_assertion():
    writes = [w("cA:1", 1.0, cls="wait1", acks=1), w("cA:2", 1.1, cls="wait1", acks=1),
              w("cA:3", 1.2, cls="wait2", acks=1), w("cA:4", 1.3)]
    final = {"cA:1", "cA:4"}
    lost = checker.lost_writes(writes, final)
    assert lost["wait1"] == ["cA:2", "cA:3"]
    assert lost["wait2"] == []            # cA:3 got one replica, not two
    assert lost["plain"] == ["cA:2", "cA:3"]
    result = checker.check_run(writes, [], [], final, OLD, (0.0, 2.0))
    bad = checker.violations(result, expect_fencing=False, down_after_s=1.0)
    assert len(bad) == 1 and "2 acknowledged WAIT 1 write(s) lost" in bad[0]


def test_a_wait_that_timed_out_counts_as_plain_only():
    writes = [w("cA:1", 1.0, cls="wait1", acks=0), w("cA:2", 1.0, cls="waitaof", acks=1)]
    assert checker.lost_writes(writes, set()) == {"plain": ["cA:1", "cA:2"],
                                                  "waitaof": ["cA:2"], "wait1": [],
                                                  "wait2": []}


def test_errors_and_unknown_outcomes_are_never_counted_as_lost():
    writes = [w("cA:1", 1.0, res="err", cls="wait1", acks=1), w("cA:2", 1.1, res="unk")]
    assert all(not v for v in checker.lost_writes(writes, set()).values())


def test_a_write_acked_by_the_old_master_after_the_election_is_stale():
    promotions = [(5.0, NEW, 1)]
    writes = [w("cA:1", 4.9), w("cA:2", 5.5), w("cA:3", 7.0), w("cB:1", 6.0, node=NEW),
              w("cA:4", 8.0, res="err")]
    stale = checker.stale_acks(writes, promotions, OLD)
    assert [(x["v"], round(d, 3)) for x, d in stale] == [("cA:2", 0.5), ("cA:3", 2.0)]
    result = checker.check_run(writes, promotions, [], {"cA:1", "cB:1"}, OLD, (0.0, 9.0))
    assert result["stale_acks"] == 2 and abs(result["stale_window_s"] - 2.0) < 1e-9
    bad = checker.violations(result, expect_fencing=True, down_after_s=1.0)
    assert any("2 write(s) acknowledged by a master after a newer master" in b for b in bad)
    assert checker.violations(result, expect_fencing=False, down_after_s=1.0) == []


def test_a_wait_that_returns_after_the_election_is_not_stale_if_the_write_was_before():
    # WAITAOF 1 0 after a write accepted at 4.8 returned at 5.6 (the next fsync), after the
    # election at 5.0: the master accepted nothing after it. A write accepted at 5.2 is stale.
    promotions = [(5.0, NEW, 1)]
    writes = [dict(w("cW:1", 5.6, cls="waitaof", acks=1), ta=4.8),
              dict(w("cW:2", 5.9, cls="waitaof", acks=1), ta=5.2)]
    stale = checker.stale_acks(writes, promotions, OLD)
    assert [(x["v"], round(d, 3)) for x, d in stale] == [("cW:2", 0.2)]


def test_a_master_promoted_again_is_the_newest_again():
    promotions = [(5.0, NEW, 1), (9.0, OLD, 2)]
    writes = [w("cA:1", 6.0), w("cA:2", 9.5), w("cB:1", 8.0, node=NEW), w("cB:2", 10.0, node=NEW)]
    stale = [x["v"] for x, _ in checker.stale_acks(writes, promotions, OLD)]
    assert stale == ["cA:1", "cB:2"]


def test_no_fault_history_passes_every_assertion():
    writes = [w("cA:%d" % i, 1.0 + i / 10, cls=("plain", "wait1", "wait2")[i % 3], acks=2)
              for i in range(30)]
    final = {x["v"] for x in writes}
    result = checker.check_run(writes, [], [], final, OLD, (1.0, 4.0))
    assert result["lost"] == {c: 0 for c in checker.CLASSES}
    assert result["stale_acks"] == 0 and result["failovers"] == 0
    assert result["outage_s"]["cA"] < 0.2
    assert checker.violations(result, expect_fencing=True, down_after_s=1.0) == []


def test_fence_time_is_the_first_refusal_by_the_cut_off_master():
    faults = [{"kind": "isolate-master", "start": 10.0, "end": 20.0, "master": OLD,
               "cuts_master": True},
              {"kind": "kill-sentinel", "start": 30.0, "end": 32.0, "master": OLD,
               "cuts_master": False}]
    writes = [w("cA:0", 9.0, res="err"), w("cA:1", 10.5), w("cA:2", 10.8, res="err"),
              w("cA:3", 11.4, res="err"), w("cB:1", 10.6, node=NEW, res="err"),
              w("cA:9", 25.0, res="err")]   # refusals before the cut or after it healed: not fencing
    assert [round(x, 3) for x in checker.fence_times(writes, faults)] == [0.8]
    late = [w("cA:2", 12.5, res="err")]
    assert [round(x, 3) for x in checker.fence_times(late, faults)] == [2.5]
    assert checker.fence_times([w("cA:1", 11.0)], faults) == [None]
    # A refusal late because the writer sat in a WAIT is no violation: the last write taken is
    # what must come within down-after (seed 96).
    blocked = [dict(w("cA:1", 11.1, cls="wait1", acks=0), ta=10.83), w("cA:2", 11.14, res="err")]
    result = checker.check_run(blocked, [], faults, set(), OLD, (0.0, 40.0))
    assert [round(x, 3) for x in result["taken_s"]] == [0.83]
    assert checker.violations(result, expect_fencing=True, down_after_s=1.0) == []
    took_late = [w("cA:1", 11.2), w("cA:2", 11.3, res="err")]
    result = checker.check_run(took_late, [], faults, set(), OLD, (0.0, 40.0))
    bad = checker.violations(result, expect_fencing=True, down_after_s=1.0)
    assert len(bad) == 1 and "took writes later than down-after" in bad[0], bad
    never = checker.check_run([w("cA:1", 10.2)], [], faults, set(), OLD, (0.0, 40.0))
    bad = checker.violations(never, expect_fencing=True, down_after_s=1.0)
    assert len(bad) == 1 and "refused no write before the heal" in bad[0], bad


def test_outage_is_the_longest_gap_between_successful_writes():
    writes = [w("cS:1", 1.0, writer="cS"), w("cS:2", 1.5, writer="cS", res="unk"),
              w("cS:3", 3.2, writer="cS"), w("cS:4", 3.3, writer="cS")]
    assert abs(checker.outage_s(writes, "cS", 0.5, 4.0) - 2.2) < 1e-9
    assert abs(checker.outage_s([], "cS", 0.5, 4.0) - 3.5) < 1e-9
    blocked = [dict(w("cS:1", 2.0, writer="cS", cls="wait2", acks=1), ta=1.0),
               w("cS:2", 2.1, writer="cS")]
    assert abs(checker.outage_s(blocked, "cS", 0.9, 2.2) - 0.1) < 1e-9   # WAIT time is latency


SENTINEL_LOG = """\
101:X 07 Dec 2026 06:39:39.019 * vigil-sentinel 0.1.0 started
101:X 07 Dec 2026 06:39:43.640 # +new-epoch 3
101:X 07 Dec 2026 06:39:43.650 # +elected-leader master mymaster 10.77.0.11 6379
101:X 07 Dec 2026 06:39:43.655 * +failover-state-send-slaveof-noone slave 10.77.0.12:6379 \
10.77.0.12 6379 @ mymaster 10.77.0.11 6379
not a log line +failover-state-send-slaveof-noone slave x x x
"""


def test_promotions_come_from_the_leaders_log_with_time_and_epoch():
    other = "7:X 07 Dec 2026 06:39:50.000 # +sdown master mymaster 10.77.0.12 6379\n"
    promotions = checker.promotions_from_logs([SENTINEL_LOG, other])
    assert len(promotions) == 1
    t, ip, epoch = promotions[0]
    assert ip == NEW and epoch == 3
    assert abs(t - checker.parse_log_time("07 Dec 2026 06:39:43", "655")) < 1e-9
    faults = [{"start": t - 1.2}, {"start": t + 5}]
    assert [round(x, 3) for x in checker.election_times(promotions, faults)] == [1.2]
