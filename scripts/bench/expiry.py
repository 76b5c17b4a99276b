"""expiry.py: figure 10's measuring half (scripts/bench/fig10-expiry.sh) and its line chart.

Why: how fast a server gives back the memory of keys whose TTLs ran out, with no client touching
them, is a curve, not one number: used_memory and DBSIZE sampled every few hundred milliseconds
from the moment the keys are written. The fill is raw RESP built before the clock starts and sent
in pipelined batches, so the fill time (which the TTLs already count) is short and the same on
both servers; the TTLs come from a seeded generator, so both servers get the same keys.

Run with Debian's interpreter (/usr/bin/python3). Subcommands:

  run PORT KEYS TTL_MIN_MS TTL_MAX_MS SEED DURATION_S INTERVAL_MS SERIES_CSV SIDE TRIAL
      empty used_memory, then SET exp:<i> <16 bytes> PX <ttl> for KEYS keys, then sample
      used_memory and DBSIZE every INTERVAL_MS until DURATION_S after the fill started; appends
      the samples to SERIES_CSV (side,trial,t_ms,used_memory,dbsize,reclaimed_pct) and prints
      `key value` lines: fill_ms, base_used, full_used, end_used, end_dbsize, end_pct and
      t50_ms / t90_ms / t99_ms (ms from the start of the fill until that share of the memory
      the keys held was reclaimed; "-" when it was not reached in DURATION_S).
  plot RESULTS_DIR OUT_DIR
      for every *-series.csv in RESULTS_DIR: a gnuplot script (printed) drawing used_memory and
      DBSIZE against time, one line per side and trial.
Exit 0, 1 on a failed measurement (reason on stderr), 2 on bad usage.
Invariant: every loop is bounded by a deadline or by KEYS; nothing here starts or stops a server.
"""

import csv
import os
import random
import re
import socket
import sys
import time

HOST = "127.0.0.1"
VALUE = b"v" * 16
BATCH = 10000
SHARES = (50, 90, 99)


def die(msg, code=1):
    sys.stderr.write("expiry.py: %s\n" % msg)
    sys.exit(code)


class Conn:
    """A bare RESP connection: enough for INFO, DBSIZE and the pipelined fill."""

    def __init__(self, port):
        self.sock = socket.create_connection((HOST, port), timeout=30)
        self.buf = b""

    def line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                die("connection closed")
            self.buf += chunk
        head, self.buf = self.buf.split(b"\r\n", 1)
        return head

    def reply(self):
        head = self.line()
        if head[:1] == b"-":
            die("error reply: %s" % head[1:].decode(errors="replace"))
        if head[:1] != b"$":
            return head[1:]
        n = int(head[1:])
        while len(self.buf) < n + 2:
            chunk = self.sock.recv(65536)
            if not chunk:
                die("connection closed")
            self.buf += chunk
        body, self.buf = self.buf[:n], self.buf[n + 2:]
        return body

    def command(self, *words):
        out = [b"*%d\r\n" % len(words)]
        for w in words:
            w = w if isinstance(w, bytes) else str(w).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(w), w))
        self.sock.sendall(b"".join(out))
        return self.reply()


def used_memory(conn):
    m = re.search(rb"^used_memory:(\d+)", conn.command("INFO", "memory"), re.M)
    if not m:
        die("INFO memory has no used_memory")
    return int(m.group(1))


def build_batches(keys, ttl_min, ttl_max, seed):
    rng = random.Random(seed)
    batches = []
    for start in range(0, keys, BATCH):
        parts = []
        for i in range(start, min(keys, start + BATCH)):
            k = b"exp:%d" % i
            ttl = b"%d" % rng.randint(ttl_min, ttl_max)
            parts.append(b"*5\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$16\r\n%s\r\n$2\r\nPX\r\n$%d\r\n%s\r\n"
                         % (len(k), k, VALUE, len(ttl), ttl))
        batches.append((b"".join(parts), len(parts)))
    return batches


def fill(conn, batches):
    for data, n in batches:
        conn.sock.sendall(data)
        for _ in range(n):
            if conn.reply() != b"OK":
                die("SET did not answer +OK")


def sample(conn, t0, duration_s, interval_ms):
    """(t_ms, used_memory, dbsize) every interval_ms until duration_s after t0."""
    out = []
    nxt = time.monotonic()
    while True:
        now = time.monotonic()
        if now - t0 > duration_s:
            return out
        if now < nxt:
            time.sleep(min(nxt - now, 0.05))
            continue
        nxt += interval_ms / 1000.0
        used = used_memory(conn)
        out.append((int((time.monotonic() - t0) * 1000), used, int(conn.command("DBSIZE"))))


def reclaim_times(samples, base, full):
    """ms at which each share of (full - base) was given back; None when not reached."""
    held = max(full - base, 1)
    times = {}
    for share in SHARES:
        times[share] = next((t for t, used, _ in samples
                             if (full - used) * 100.0 / held >= share), None)
    return times


def cmd_run(args):
    port, keys, ttl_min, ttl_max, seed = (int(a) for a in args[:5])
    duration_s, interval_ms = float(args[5]), int(args[6])
    series, side, trial = args[7], args[8], args[9]
    if keys < 1 or not 1 <= ttl_min <= ttl_max or interval_ms < 1:
        die("bad arguments", 2)
    conn = Conn(port)
    batches = build_batches(keys, ttl_min, ttl_max, seed)
    base = used_memory(conn)
    t0 = time.monotonic()
    fill(conn, batches)
    fill_ms = int((time.monotonic() - t0) * 1000)
    samples = sample(conn, t0, duration_s, interval_ms)
    if not samples:
        die("no sample within %.1f s" % duration_s)
    full = max(u for _, u, _ in samples)
    times = reclaim_times(samples, base, full)
    with open(series, "a", newline="") as f:
        w = csv.writer(f)
        for t, used, dbsize in samples:
            w.writerow([side, trial, t, used, dbsize,
                        "%.2f" % ((full - used) * 100.0 / max(full - base, 1))])
    end_t, end_used, end_db = samples[-1]
    print("fill_ms %d\nbase_used %d\nfull_used %d\nend_used %d\nend_dbsize %d" %
          (fill_ms, base, full, end_used, end_db))
    print("end_pct %.2f" % ((full - end_used) * 100.0 / max(full - base, 1)))
    for share in SHARES:
        print("t%d_ms %s" % (share, "-" if times[share] is None else times[share]))


# --- the line chart -----------------------------------------------------------------------------

GP_HEAD = """set terminal pngcairo noenhanced size 1400,900 font ",9"
set output '%s'
set key top right
set grid
set xlabel 'seconds since the fill started'
set multiplot layout 2,1 title '%s'
"""
COLORS = {"vigil": "#1f77b4", "redis": "#d62728"}


def gp_quote(s):
    return s.replace("\\", "\\\\").replace("'", "''")


def series_files(rows, base, outdir):
    """One .dat per side and trial: (label, path, side)."""
    groups = {}
    for r in rows:
        groups.setdefault((r["side"], r["trial"]), []).append(r)
    out = []
    for (side, trial), rs in sorted(groups.items()):
        dat = os.path.join(outdir, "%s-%s-%s.dat" % (base, side, trial))
        with open(dat, "w") as f:
            f.write("# t_s used_mb dbsize\n")
            for r in rs:
                f.write("%.3f %.3f %s\n" % (int(r["t_ms"]) / 1000.0,
                                            int(r["used_memory"]) / 1048576.0, r["dbsize"]))
        label = "%s, trial %s" % ("Vigil" if side == "vigil" else "Redis", trial)
        out.append((label, dat, side))
    return out


def cmd_plot(args):
    results, outdir = args[0], args[1]
    for name in sorted(os.listdir(results)):
        if not name.endswith("-series.csv"):
            continue
        with open(os.path.join(results, name), newline="") as f:
            rows = list(csv.DictReader(f))
        if not rows:
            continue
        os.makedirs(outdir, exist_ok=True)
        base = name[:-len(".csv")]
        lines = series_files(rows, base, outdir)
        png, gp = os.path.join(outdir, base + ".png"), os.path.join(outdir, base + ".gp")
        with open(gp, "w") as f:
            f.write(GP_HEAD % (gp_quote(png), gp_quote(base + ": memory of expiring keys")))
            for col, ylabel in ((2, "used_memory (MB)"), (3, "DBSIZE (keys)")):
                f.write("set ylabel '%s'\nset yrange [0:*]\n" % ylabel)
                f.write("plot %s\n" % ", ".join(
                    "'%s' using 1:%d with lines lw 2 lc rgb '%s' title '%s'"
                    % (gp_quote(dat), col, COLORS.get(side, "#333333"), gp_quote(label))
                    for label, dat, side in lines))
            f.write("unset multiplot\n")
        print(gp)


COMMANDS = {"run": cmd_run, "plot": cmd_plot}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        die("usage: expiry.py {%s} ..." % "|".join(sorted(COMMANDS)), 2)
    try:
        COMMANDS[sys.argv[1]](sys.argv[2:])
    except (IndexError, ValueError) as e:
        die("%s: bad arguments (%s)" % (sys.argv[1], e), 2)
    except OSError as e:   # refused, reset, timed out: a failed measurement, not a traceback
        die("%s: %s" % (sys.argv[1], e))
