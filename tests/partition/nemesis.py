"""Nemeses and fault schedules for the partition harness.

Why: a schedule is data (a list of timed faults drawn from one seeded RNG), so a failing seed
replays exactly the same faults; what each fault hits (which node is master at that moment) is
decided when it starts, from what the sentinels then say.

A nemesis is a function (cluster, rng, master) -> (description dict, undo function). The
description says which nodes it hit and whether it cut the master off from a majority of
sentinels ("cuts_master", used for time to fence). Writers: cA (and cW) always stay on the
master's side, cB on the other side; cS (Sentinel-following) goes with the majority unless the fault says
otherwise. docs/partition.md#nemeses lists them.

Invariants: faults of one schedule never overlap (the next starts after the previous is undone);
every schedule ends with heal() (all routes and links back, every paused process resumed, every
killed process restarted), also when the harness is interrupted.
"""

import random

from cluster import SENTINELS, STORES

PAUSE_S = 3.0
SCHEDULE_MAX_S = 25.0


def others(*exclude):
    return [n for n in STORES + SENTINELS if n not in exclude]


def _cut(cluster, groups, kind, master, cuts_master, **extra):
    groups = [set(g) | ({"cW"} if "cA" in g else set()) for g in groups]   # cW goes with cA
    cluster.net.cut(groups)
    desc = dict(kind=kind, master=master, cuts_master=cuts_master,
                groups=[sorted(g) for g in groups], **extra)
    return desc, cluster.net.heal


def isolate_master(cluster, rng, master):
    """The master (with its writer cA) cut off from every other store and sentinel."""
    if rng.random() < 0.3:   # full isolation: the veth down (cA cannot reach it either)
        cluster.net.isolate(master)
        # No writer reaches it either, so its time to fence cannot be observed.
        return dict(kind="isolate-master-link", master=master, cuts_master=False), cluster.net.heal
    return _cut(cluster, [{master, "cA"}, set(others(master)) | {"cB", "cS"}],
                "isolate-master", master, True)


def isolate_master_with_sentinel(cluster, rng, master):
    """The master, one sentinel and cA on one side; the rest on the other."""
    s = rng.choice(SENTINELS)
    return _cut(cluster, [{master, s, "cA"}, set(others(master, s)) | {"cB", "cS"}],
                "isolate-master+sentinel", master, True, sentinel=s)


def split_minority(cluster, rng, master):
    """A random minority (one sentinel and one or two stores) against the rest; the master may
    be on either side."""
    minority = {rng.choice(SENTINELS)} | set(rng.sample(STORES, rng.choice((1, 2))))
    majority = set(others(*minority))
    a, b = (minority, majority) if master in minority else (majority, minority)
    a, b = a | {"cA"}, b | {"cB"}
    (a if rng.random() < 0.5 else b).add("cS")
    return _cut(cluster, [a, b], "split", master, master in minority,
                minority=sorted(minority))


def bridge(cluster, rng, master):
    """Two sides and one node (not the master) that sees both."""
    middle = rng.choice(others(master))
    rest = others(master, middle)
    rng.shuffle(rest)
    k = rng.randint(1, len(rest) - 1)
    a, b = {master, "cA"} | set(rest[:k]), set(rest[k:]) | {"cB", "cS"}
    sentinels_a = len([n for n in a if n in SENTINELS])
    cut_off = sentinels_a + (middle in SENTINELS) < 2
    return _cut(cluster, [a, b], "bridge", master, cut_off, bridge=middle)


def kill_store(cluster, rng, master):
    """kill -9 of a store (the master half the time), restarted when the fault ends."""
    node = master if rng.random() < 0.5 else rng.choice(STORES)
    cluster.kill9(node)
    return dict(kind="kill-store", master=master, node=node,
                cuts_master=False), lambda: cluster.restart(node)


def kill_sentinel(cluster, rng, master):
    node = rng.choice(SENTINELS)
    cluster.kill9(node)
    return dict(kind="kill-sentinel", master=master, node=node,
                cuts_master=False), lambda: cluster.restart(node)


def pause_master(cluster, rng, master):
    """SIGSTOP of the master; SIGCONT after PAUSE_S (the fault's duration is fixed)."""
    cluster.pause(master)
    return dict(kind="pause-master", master=master, cuts_master=False,
                fixed_s=PAUSE_S), lambda: cluster.resume(master)


NEMESES = {
    "isolate-master": isolate_master,
    "isolate-master+sentinel": isolate_master_with_sentinel,
    "split": split_minority,
    "bridge": bridge,
    "kill-store": kill_store,
    "kill-sentinel": kill_sentinel,
    "pause-master": pause_master,
}


def random_schedule(seed):
    """[(gap_s, nemesis name, hold_s)]: one to three faults, at most SCHEDULE_MAX_S in all."""
    rng = random.Random(seed)
    steps, total = [], 0.0
    for _ in range(rng.choice((1, 2, 2, 3))):
        name = rng.choice(sorted(NEMESES))
        gap = round(rng.uniform(0.5, 3.0), 1)
        hold = PAUSE_S if name == "pause-master" else round(rng.uniform(3.0, 10.0), 1)
        if total + gap + hold > SCHEDULE_MAX_S:
            break
        steps.append((gap, name, hold))
        total += gap + hold
    return steps


# The short schedules `make test` runs (tests/integration/test_partition_short.py).
FIXED_SCHEDULES = {
    "isolate-master+sentinel": [(1.0, "isolate-master+sentinel", 6.0)],
    "pause-master": [(1.0, "pause-master", PAUSE_S)],
    "kill-master": [(1.0, "kill-store-master", 4.0)],
}


def kill_master(cluster, rng, master):
    cluster.kill9(master)
    return dict(kind="kill-store", master=master, node=master,
                cuts_master=False), lambda: cluster.restart(master)


NEMESES_FIXED = dict(NEMESES, **{"kill-store-master": kill_master})


def schedule_rng(seed):
    """The RNG the nemeses draw their targets from while a schedule runs."""
    return random.Random(seed * 7919 + 1)
