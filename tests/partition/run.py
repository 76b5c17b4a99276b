#!/usr/bin/python3
"""make partition: Jepsen-style partition runs of Vigil (and Redis) in network namespaces.

Usage (as root):
  tests/partition/run.py [--schedules N] [--seed N] [--system vigil|redis|both] [--short]
                         [--redis-schedules N] [--jobs J] [--no-expect-fencing]
                         [--store-config 'key value']... [--sentinel-config 'key value']...
                         [--soak SECONDS] [--out DIR] [--report] [--cleanup]

One schedule = a fresh cluster (3 stores, 3 sentinels, 3 writers; cluster.py) in its own
namespaces, warm-up, the schedule's faults (nemesis.py), heal, settle (every sentinel names one
master, both replicas follow it), then the checker (checker.py). Seeds are printed; `--seed N`
replays schedule N (on every --system). Results: build/partition/results.jsonl, summary.md
(the side-by-side table) and partition.png (gnuplot). Exit status 1 when any run breaks an
assertion (0 lost WAIT 1 writes; on vigil, unless --no-expect-fencing, also 0 writes acknowledged
after a newer election and fence time <= down-after), printing the seeds to replay; 2 when it cannot run
(not root, no network namespaces). docs/partition.md describes the design.
"""

import argparse
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import checker  # noqa: E402
import netns  # noqa: E402
import nemesis  # noqa: E402
import report  # noqa: E402
from cluster import CLIENTS, DOWN_AFTER_MS, SENTINELS, STORES, Cluster  # noqa: E402
from vigiltest import procs  # noqa: E402

REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
DEFAULT_OUT = os.path.join(REPO, "build", "partition")
REDIS_SCHEDULES = 20          # Redis runs the first 20 seeds by default: it is the reference
SETTLE_TIMEOUT_S = 75.0       # > failover-timeout (60 s): a stalled election may need a retry
CONVERGE_TIMEOUT_S = 15.0


def settled(cluster):
    """Every sentinel names one master, it is a master with 2 replicas that follow it."""
    seen = cluster.masters_seen()
    masters = set(seen.values())
    if len(masters) != 1 or None in masters:
        return None
    master = masters.pop()
    if cluster.role(master) != "master":
        return None
    for node in STORES:
        if node == master:
            continue
        role = cluster.call(node, "ROLE")
        if not (isinstance(role, list) and role[0] == b"slave"
                and role[1].decode() == cluster.ip(master) and role[3] == b"connected"):
            return None
    return master


def converged(cluster, master):
    sets = [cluster.dataset(s) for s in STORES]
    return sets[0] is not None and all(s == sets[0] for s in sets) and sets


def run_faults(cluster, steps, seed, named):
    """Run the steps; returns the fault records (wall times). Always undoes what it started."""
    rng = nemesis.schedule_rng(seed)
    faults = []
    for gap, name, hold in steps:
        time.sleep(gap)
        master = cluster.current_master()
        start = time.time()
        desc, undo = named[name](cluster, rng, master)
        try:
            time.sleep(hold)
        finally:
            end = time.time()
            undo()
        desc.update(start=start, end=end, master=cluster.ip(desc["master"]))
        faults.append(desc)
    return faults


def wait_warm(cluster, timeout_s=30):
    def warm():
        for node in cluster.writers:
            path = os.path.join(cluster.dir, node + ".jsonl")
            if not os.path.exists(path) or sum(1 for _ in open(path)) < 3:
                return False
        return True
    procs.wait_until(warm, timeout_s, "every writer to have written")


def read_writes(cluster):
    out = []
    for node in CLIENTS:
        path = os.path.join(cluster.dir, node + ".jsonl")
        if os.path.exists(path):
            with open(path) as f:
                out += [json.loads(line) for line in f if line.strip()]
    return out


def sentinel_logs(cluster):
    texts = []
    for node in SENTINELS:
        with open(os.path.join(cluster.dir, node + ".log"), errors="replace") as f:
            texts.append(f.read())
    return texts


def heal_all(cluster):
    cluster.net.heal()
    for node in STORES + SENTINELS:
        cluster.resume(node)
        cluster.restart(node)


def run_schedule(system, seed, steps, opts, run_id, named=None):
    """One schedule on a fresh cluster; returns the result dict (never raises)."""
    run_dir = os.path.join(opts["out"], "runs", "%s-%d" % (system, seed))
    shutil.rmtree(run_dir, ignore_errors=True)   # a replay starts from empty stores
    os.makedirs(run_dir)
    cluster = Cluster(system, run_id, run_dir, opts["store_config"], opts["sentinel_config"],
                      waitaof=system == "vigil")
    result = {"system": system, "seed": seed, "steps": steps, "dir": run_dir}
    t_begin = time.time()
    try:
        cluster.start()
        cluster.start_writers()
        wait_warm(cluster)
        t0 = time.time()
        faults = run_faults(cluster, steps, seed, named or nemesis.NEMESES)
        heal_all(cluster)
        master = procs.wait_until(lambda: settled(cluster), SETTLE_TIMEOUT_S,
                                  "one master that every sentinel names")
        t_settled = time.time()
        cluster.stop_writers()
        sets = procs.wait_until(lambda: converged(cluster, master), CONVERGE_TIMEOUT_S,
                                "the replicas to converge")
        final = sets[STORES.index(master)]
        writes = read_writes(cluster)
        promotions = checker.promotions_from_logs(sentinel_logs(cluster))
        figures = checker.check_run(writes, promotions, faults, final, cluster.ip("s1"),
                                    (t0, t_settled))
        result.update(figures, faults=faults, final_master=master, settle_s=t_settled - t0
                      - sum(g + h for g, _n, h in steps), ok=True)
        # Only vigil-store fences (master-lease yes in the production config); Redis never does.
        fencing = opts["expect_fencing"] and system == "vigil"
        result["violations"] = checker.violations(result, fencing, DOWN_AFTER_MS / 1000.0)
    except Exception as exc:   # noqa: BLE001 - a broken run is reported, with its logs kept
        result.update(ok=False, error="%s: %s" % (type(exc).__name__, exc),
                      trace=traceback.format_exc(limit=5),
                      violations=["run did not complete: %s" % exc])
    finally:
        cluster.destroy()
    result["wall_s"] = time.time() - t_begin
    return result


def run_soak(system, seconds, opts):
    """No faults, writers for `seconds`: spurious failovers and refusals are the figures."""
    run_dir = os.path.join(opts["out"], "soak-%s" % system)
    shutil.rmtree(run_dir, ignore_errors=True)
    os.makedirs(run_dir)
    cluster = Cluster(system, 200, run_dir, opts["store_config"], opts["sentinel_config"],
                      waitaof=system == "vigil")
    try:
        cluster.start()
        cluster.start_writers()
        t0 = time.time()
        time.sleep(seconds)
        cluster.stop_writers()
        writes = read_writes(cluster)
        promotions = checker.promotions_from_logs(sentinel_logs(cluster))
        refusals = [w for w in writes if w["res"] != "ok"]
        return {"system": system, "seconds": seconds, "writes": len(writes),
                "refusals": len(refusals), "refusal_examples": [w.get("msg") for w in
                                                                refusals[:5]],
                "failovers": len(promotions),
                "outage_s": {c: checker.outage_s(writes, c, t0 + 2, t0 + seconds)
                             for c in cluster.writers}}
    finally:
        cluster.destroy()


def run_one(system, seed, run_id, opts):
    """The child's part: one schedule, its result in <run dir>/result.json, one line printed."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))   # unwinds: the cluster is removed
    if opts["short"]:
        steps = nemesis.FIXED_SCHEDULES[sorted(nemesis.FIXED_SCHEDULES)[seed - 1]]
        res = run_schedule(system, seed, steps, opts, run_id, nemesis.NEMESES_FIXED)
    else:
        steps = nemesis.random_schedule(seed)
        res = run_schedule(system, seed, steps, opts, run_id)
    with open(os.path.join(res["dir"], "result.json"), "w") as f:
        json.dump(res, f)
    print("%s seed %d: %s %s" % (system, seed, " + ".join(n for _g, n, _h in steps),
                                  "FAIL " + "; ".join(res["violations"]) if res["violations"]
                                  else "ok (%d stale acks, %d failovers, %.0f s)"
                                  % (res.get("stale_acks", 0), res.get("failovers", 0),
                                     res["wall_s"])), flush=True)
    return 0


def child_argv(system, seed, run_id, args):
    argv = [sys.executable, os.path.abspath(__file__), "--one", "%s:%d:%d" % (system, seed, run_id),
            "--out", os.path.abspath(args.out)]
    for line in args.store_config:
        argv += ["--store-config", line]
    for line in args.sentinel_config:
        argv += ["--sentinel-config", line]
    return argv + (["--expect-fencing"] if args.expect_fencing else ["--no-expect-fencing"]) + (
        ["--short"] if args.short else [])


def run_jobs(jobs, args, out):
    """Each schedule in its own child process, args.jobs at a time; SIGINT/SIGTERM stop the
    children by pid (each removes its cluster) before the harness exits."""
    pending = [(system, seed, i % 250) for i, (system, seed) in enumerate(jobs)]
    running, results, stopping = {}, [], []

    def stop(_sig, _frame):
        stopping.append(True)
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while (pending or running) and not stopping:
        while pending and len(running) < max(1, args.jobs):
            system, seed, run_id = pending.pop(0)
            # Own session (a terminal's ^C reaches the harness only, which stops the children
            # by pid); --pdeathsig: a child whose harness died removes its cluster and exits.
            proc = subprocess.Popen(["/usr/bin/setpriv", "--pdeathsig", "TERM", "--"]
                                    + child_argv(system, seed, run_id, args),
                                    start_new_session=True)
            running[proc] = (system, seed)
        for proc in [p for p in running if p.poll() is not None]:
            system, seed = running.pop(proc)
            results.append(read_result(out, system, seed, proc.returncode))
        time.sleep(0.2)
    for proc in running:
        proc.send_signal(signal.SIGTERM)
    for proc in running:
        proc.wait()
    if stopping:
        raise KeyboardInterrupt
    return sorted(results, key=lambda r: (r["system"] != "vigil", r["seed"]))


def read_result(out, system, seed, status):
    path = os.path.join(out, "runs", "%s-%d" % (system, seed), "result.json")
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as exc:
        return {"system": system, "seed": seed, "ok": False, "steps": [],
                "violations": ["the run's process exited %s without a result (%s)"
                               % (status, exc)]}


def parse_args(argv):
    ap = argparse.ArgumentParser(description="Partition runs in network namespaces.")
    ap.add_argument("--schedules", type=int, default=100)
    ap.add_argument("--first-seed", type=int, default=1)
    ap.add_argument("--seed", type=int, help="replay one schedule")
    ap.add_argument("--system", choices=("vigil", "redis", "both"), default="both")
    ap.add_argument("--redis-schedules", type=int, default=REDIS_SCHEDULES)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--expect-fencing", action=argparse.BooleanOptionalAction, default=True,
                    help="vigil runs also assert fencing: no write acknowledged after a newer "
                         "election, fenced within down-after (the production config turns "
                         "master-lease on); --no-expect-fencing for runs with it off")
    ap.add_argument("--store-config", action="append", default=[])
    ap.add_argument("--sentinel-config", action="append", default=[])
    ap.add_argument("--short", action="store_true",
                    help="the fixed schedules of make test (nemesis.FIXED_SCHEDULES)")
    ap.add_argument("--one", help=argparse.SUPPRESS)   # system:seed:run_id, in a child
    ap.add_argument("--soak", type=float, help="no faults: seconds of writes per system")
    ap.add_argument("--out", default=DEFAULT_OUT)
    ap.add_argument("--report", action="store_true",
                    help="rebuild summary.md and the plot from the out dir's results.jsonl")
    ap.add_argument("--cleanup", action="store_true",
                    help="remove namespaces this harness left behind, then exit")
    return ap.parse_args(argv)


def plan(args):
    systems = ("vigil", "redis") if args.system == "both" else (args.system,)
    jobs = []
    for system in systems:
        if args.short:
            seeds = range(1, len(nemesis.FIXED_SCHEDULES) + 1)
        elif args.seed is not None:
            seeds = [args.seed]
        else:
            n = args.schedules if system == "vigil" else min(args.schedules,
                                                              args.redis_schedules)
            seeds = range(args.first_seed, args.first_seed + n)
        jobs += [(system, s) for s in seeds]
    return jobs


def main(argv=None):
    if argv is None:   # make partition PARTITION_ARGS='...': quotes honoured, nothing evaluated
        argv = sys.argv[1:] + shlex.split(os.environ.get("PARTITION_ARGS", ""))
    args = parse_args(argv)
    if args.cleanup:
        gone = netns.cleanup_leftovers()
        print("partition: removed %d namespace(s)%s" % (len(gone), "".join("\n  " + g
                                                                            for g in gone)))
        return 0
    if args.report:
        return report_main(args)
    ok, why = netns.netns_available()
    if not ok:
        print("partition: cannot run: %s" % why, file=sys.stderr)
        return 2
    if not args.one:
        netns.cleanup_leftovers(only_dead=True)
    opts = {"out": os.path.abspath(args.out), "store_config": args.store_config,
            "sentinel_config": args.sentinel_config, "expect_fencing": args.expect_fencing,
            "short": args.short}
    os.makedirs(opts["out"], exist_ok=True)
    if args.one:
        system, seed, run_id = args.one.split(":")
        return run_one(system, int(seed), int(run_id), opts)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if args.soak:
        return soak_main(args, opts)
    jobs = plan(args)
    print("partition: %d schedule(s), %d at a time, out %s" % (len(jobs), args.jobs, opts["out"]),
          flush=True)
    t0 = time.time()
    try:
        results = run_jobs(jobs, args, opts["out"])
    except KeyboardInterrupt:
        print("partition: interrupted; every cluster removed", file=sys.stderr)
        return 130
    elapsed = time.time() - t0
    with open(os.path.join(opts["out"], "results.jsonl"), "w") as f:
        for r in results:
            f.write(json.dumps(r) + "\n")
    report.write_all(results, opts["out"], elapsed, args)
    bad = [r for r in results if r["violations"]]
    print("partition: %d schedule(s) in %.0f s; table %s" % (
        len(results), elapsed, os.path.join(opts["out"], "summary.md")))
    for r in bad:
        print("partition: FAILED %s seed %d: %s (replay: make partition PARTITION_ARGS='--seed %d "
              "--system %s')" % (r["system"], r["seed"], "; ".join(r["violations"]), r["seed"],
                                 r["system"]))
    return 1 if bad else 0


def report_main(args):
    path = os.path.join(os.path.abspath(args.out), "results.jsonl")
    with open(path) as f:
        results = [json.loads(line) for line in f if line.strip()]
    report.write_all(results, os.path.dirname(path), None, args)
    print("partition: %s rebuilt from %d result(s)" % (os.path.join(os.path.dirname(path),
                                                                    "summary.md"), len(results)))
    return 0


def soak_main(args, opts):
    systems = ("vigil", "redis") if args.system == "both" else (args.system,)
    out = [run_soak(system, args.soak, opts) for system in systems]
    with open(os.path.join(opts["out"], "soak.json"), "w") as f:
        json.dump(out, f, indent=1)
    for r in out:
        print("soak %s: %d s, %d writes, %d refused, %d failover(s), outage %s" % (
            r["system"], r["seconds"], r["writes"], r["refusals"], r["failovers"],
            {k: round(v, 2) for k, v in r["outage_s"].items()}))
    return 1 if any(r["refusals"] or r["failovers"] for r in out) else 0


if __name__ == "__main__":
    sys.exit(main())
