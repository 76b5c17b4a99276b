#!/usr/bin/python3
"""pairs-throughput.py: the throughput targets of figure 1 checked as paired runs, Vigil beside Redis.

Why: on a small shared machine the speed of the whole host drifts by 30% from one minute to the
next, more than the difference being measured; figure 1 compares medians of whole runs taken
minutes apart. Here vigil-store and redis-server run side by side for the whole measurement and
every redis-benchmark test runs on one and then at once on the other (the order flips each round),
so each pair sees the same host; the figure is the median of the per-pair ratios. With --pin
(default when the machine has 2 or more CPUs) the servers run on CPU 1 and redis-benchmark on CPU
0, so the scheduler never puts client and server on one core.

  /usr/bin/python3 scripts/bench/pairs-throughput.py [--rounds 7] [--requests 200000]
      [--no-pin] [--vigil-args "--busy-poll-us 0"]

Runs `redis-benchmark -c 50 -n REQUESTS -t T -P P --csv` for T in set, get, incr, hset and P in
1, 16. Prints a markdown table; writes results/pairs-throughput.csv (one row per run). Starts
exactly two servers on free loopback ports and stops exactly those (by pid), also on Ctrl-C.
"""

import argparse
import csv
import io
import os
import shlex
import socket
import statistics
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TESTS = ("set", "get", "incr", "hset")
PIPES = (1, 16)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ping(port, timeout_s=20.0):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as c:
                c.sendall(b"PING\r\n")
                if c.recv(16).startswith(b"+PONG"):
                    return
        except OSError:
            pass
        time.sleep(0.05)
    raise SystemExit("server on port %d did not answer PING within %.0f s" % (port, timeout_s))


def run_benchmark(pin, port, test, pipe, requests):
    cmd = pin + ["redis-benchmark", "-h", "127.0.0.1", "-p", str(port), "-c", "50",
                 "-n", str(requests), "-t", test, "-P", str(pipe), "--csv"]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=900, check=True).stdout
    rows = list(csv.reader(io.StringIO(out)))
    # header: test, rps, avg, min, p50, p95, p99, max (ms)
    return float(rows[1][1]), float(rows[1][6])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--requests", type=int, default=200000)
    ap.add_argument("--no-pin", action="store_true")
    ap.add_argument("--vigil-args", default="")
    args = ap.parse_args()
    pin = not args.no_pin and (os.cpu_count() or 1) >= 2
    # setpriv --pdeathsig KILL: the servers die with this script even on kill -9 (as lib.sh).
    server_pin = ["setpriv", "--pdeathsig", "KILL"] + (["taskset", "-c", "1"] if pin else [])
    client_pin = ["taskset", "-c", "0"] if pin else []
    bin_dir = os.environ.get("VIGIL_BIN_DIR", os.path.join(REPO, "bin"))
    workdir = os.path.join(REPO, "results", "pairs-tmp")
    os.makedirs(workdir, exist_ok=True)
    ports = {"vigil": free_port(), "redis": free_port()}
    cmds = {
        "vigil": server_pin + [os.path.join(bin_dir, "vigil-store"), "--port", str(ports["vigil"]),
                               "--bind", "127.0.0.1", "--dir", workdir]
        + shlex.split(args.vigil_args),
        "redis": server_pin + ["redis-server", "--port", str(ports["redis"]), "--bind", "127.0.0.1",
                               "--dir", workdir, "--save", "", "--appendonly", "no"],
    }
    procs = {}
    rows = []
    try:
        for side, cmd in cmds.items():
            procs[side] = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for side in cmds:
            wait_ping(ports[side])
        for rnd in range(args.rounds):
            for test in TESTS:
                for pipe in PIPES:
                    order = ["vigil", "redis"] if rnd % 2 == 0 else ["redis", "vigil"]
                    pair = {s: run_benchmark(client_pin, ports[s], test, pipe, args.requests)
                            for s in order}
                    rows.append((rnd, test, pipe, pair["vigil"], pair["redis"]))
                    print("round %d %-4s -P %-2d vigil %8.0f rps  redis %8.0f rps" % (
                        rnd + 1, test, pipe, pair["vigil"][0], pair["redis"][0]), file=sys.stderr)
    finally:
        for p in procs.values():
            p.terminate()
        for p in procs.values():
            p.wait(10)
    write_results(rows, args, pin)


def write_results(rows, args, pin):
    path = os.path.join(REPO, "results", "pairs-throughput.csv")
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["round", "test", "pipeline", "vigil_rps", "vigil_p99_ms", "redis_rps",
                    "redis_p99_ms"])
        for rnd, test, pipe, v, r in rows:
            w.writerow([rnd + 1, test, pipe, v[0], v[1], r[0], r[1]])
    print("| test | Vigil rps (median) | Redis rps (median) | Vigil/Redis per pair: median (min-max) "
          "| p99 ms Vigil / Redis (median) | target |")
    print("|---|---:|---:|---:|---:|---|")
    for test in TESTS:
        for pipe in PIPES:
            sel = [(v, r) for _, t, p, v, r in rows if t == test and p == pipe]
            ratios = [v[0] / r[0] for v, r in sel]
            print("| %s -P %d | %.0f | %.0f | %.2fx (%.2f-%.2f) | %.3f / %.3f | >= 1.1x, p99 no worse |"
                  % (test.upper(), pipe, statistics.median(v[0] for v, _ in sel),
                     statistics.median(r[0] for _, r in sel), statistics.median(ratios),
                     min(ratios), max(ratios), statistics.median(v[1] for v, _ in sel),
                     statistics.median(r[1] for _, r in sel)))
    print("\n%s; %d rounds of -n %d; %s; vigil-store args: %s; `%s`" % (
        time.strftime("%Y-%m-%dT%H:%MZ", time.gmtime()), args.rounds, args.requests,
        "servers on CPU 1, redis-benchmark on CPU 0" if pin else "not pinned",
        args.vigil_args or "(defaults)", " ".join(sys.argv)))


if __name__ == "__main__":
    main()
