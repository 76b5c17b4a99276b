"""bench.py: the Python half of the benchmark harness (scripts/bench/*.sh call it).

Why: the shell scripts own the processes (start, stop by pid, traps); what needs a real language
lives here: free ports, polling a server with a deadline, timing a resync or a discovery with
millisecond polling, the python3-redis Sentinel client of figure 7, parsing redis-benchmark's CSV,
and turning the raw per-trial CSV into the markdown table, the JSON summary and gnuplot inputs.

Run with Debian's interpreter (/usr/bin/python3, which has the redis module).
Subcommands (each prints plain `key value` lines or a table; exit 0 on success, 1 on a failed
measurement with the reason on stderr, 2 on bad usage):

  ports N [USED...]                  N free loopback ports (never 6379/26379 nor any in USED)
  wait-ping PORT TIMEOUT_S [PID]     until PING is answered (fails at once if PID has exited)
  wait-repl MASTER TIMEOUT_S R1 [R2]  until every replica has master_link_status:up and the
                                     master counts them (connected_slaves)
  info PORT FIELD                    one INFO field
  fill PORT N SIZE populate|pipe     N keys "key:<i>" with SIZE-byte values
  resync MASTER REPLICA N TIMEOUT_S  REPLICAOF, then poll every 2 ms until link up and N keys
  ready T0 TIMEOUT_S SLAVES PEERS S1 S2 ...   until every sentinel knows SLAVES replicas and
                                     PEERS other sentinels; ms since the wall time T0
  outage NAME PID TIMEOUT_S S1 S2 ...  kill -9 PID, time to the first write that the python3-redis
                                     Sentinel client gets accepted
  keys PORT PATTERN REPS WANT       KEYS PATTERN REPS times: per run `client_ms server_ms`
                                     (round trip to the last reply byte; INFO commandstats usec)
  bgsave PORT TIMEOUT_S               BGSAVE, then poll INFO persistence every 2 ms until
                                     rdb_bgsave_in_progress:0: `ms status cow_bytes`
  benchcsv PREFIX < redis-benchmark --csv output   -> metric lines
  summarize CSV JSON MD TITLE [k=v ...]  markdown table on stdout; JSON and MD files written
  plot RESULTS_DIR OUT_DIR           gnuplot scripts and data, one PNG per figure
Invariant: every wait has a deadline; nothing here starts or stops a server process except the
single kill -9 that the outage figure measures (its pid is the caller's child).
"""

import csv
import fnmatch
import json
import os
import re
import signal
import socket
import statistics
import sys
import time

HOST = "127.0.0.1"
AVOID_PORTS = {6379, 26379, 16379, 36379}


def die(msg, code=1):
    sys.stderr.write("bench.py: %s\n" % msg)
    sys.exit(code)


def client(port, timeout=2.0):
    import redis
    return redis.Redis(host=HOST, port=port, socket_timeout=timeout,
                       socket_connect_timeout=timeout, decode_responses=True)


def info_fields(text):
    out = {}
    for line in text.splitlines():
        if ":" in line and not line.startswith("#"):
            k, v = line.split(":", 1)
            out[k.strip()] = v.strip()
    return out


def raw_info(conn, *sections):
    """INFO as a flat {field: text} dict, whether redis-py parsed the reply or not."""
    text = conn.execute_command("INFO", *sections)
    if isinstance(text, dict):     # redis-py parsed it: turn nested values back into INFO's text
        out = {}
        for k, v in text.items():
            if isinstance(v, dict):
                v = ",".join("%s=%s" % kv for kv in v.items())
            out[str(k)] = str(v)
        return out
    if isinstance(text, bytes):
        text = text.decode()
    return info_fields(text)


# --- ports and waits ---------------------------------------------------------------------------

def cmd_ports(args):
    n = int(args[0])
    used = {int(p) for p in args[1:]}
    socks, ports = [], []
    while len(ports) < n:
        if len(socks) > 1000 + n:
            die("no free loopback ports")
        s = socket.socket()
        s.bind((HOST, 0))
        p = s.getsockname()[1]
        socks.append(s)
        if p in AVOID_PORTS or p in used or p in ports:
            continue
        ports.append(p)
    for s in socks:
        s.close()
    print(" ".join(str(p) for p in ports))


def pid_exited(pid):
    """True when PID is gone or a zombie (a server that refused its arguments)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def cmd_wait_ping(args):
    port, timeout = int(args[0]), float(args[1])
    pid = int(args[2]) if len(args) > 2 else None
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if pid is not None and pid_exited(pid):
            die("port %d: the process exited before answering PING" % port)
        c = client(port, 0.5)
        try:
            if c.ping():
                return
        except Exception as e:   # refused while starting; LOADING; anything: retry until deadline
            last = e
        finally:
            c.close()
        time.sleep(0.005)
    die("port %d did not answer PING within %.0fs (%s)" % (port, timeout, last))


def replica_link_up(conn):
    f = raw_info(conn, "replication")
    return f.get("role") == "slave" and f.get("master_link_status") == "up", f


def cmd_wait_repl(args):
    master, timeout = int(args[0]), float(args[1])
    replicas = [int(p) for p in args[2:]]
    deadline = time.monotonic() + timeout
    why = "no answer"
    conns = {p: client(p, 1.0) for p in [master] + replicas}
    while time.monotonic() < deadline:
        try:
            ups = [replica_link_up(conns[p]) for p in replicas]
            mf = raw_info(conns[master], "replication")
            n = int(mf.get("connected_slaves", "0") or 0)
            if all(u for u, _ in ups) and n >= len(replicas):
                return
            why = "replicas link %s, master connected_slaves=%d" % (
                [f.get("master_link_status", "?") for _, f in ups], n)
        except Exception as e:
            why = str(e)
        time.sleep(0.01)
    die("replication not up within %.0fs: %s" % (timeout, why))


def cmd_info(args):
    f = raw_info(client(int(args[0])))
    if args[1] not in f:
        die("INFO has no field %s" % args[1])
    print(f[args[1]])


# --- figure 2/3: filling a server ---------------------------------------------------------------

def fill_pipe(port, n, size):
    """SET key:<i> with SIZE-byte values, what a client would do: RESP written straight to a
    socket in batches of 10,000 commands, every reply checked to be +OK."""
    batch = 10000
    sock = socket.create_connection((HOST, port), timeout=60)
    try:
        for start in range(0, n, batch):
            parts = []
            for i in range(start, min(n, start + batch)):
                k = b"key:%d" % i
                v = (b"value:%d" % i).ljust(size, b"x")[:size]
                parts.append(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n"
                             % (len(k), k, len(v), v))
            sock.sendall(b"".join(parts))
            want = len(parts) * 5
            got = b""
            while len(got) < want:
                chunk = sock.recv(want - len(got))
                if not chunk:
                    die("connection closed during the fill")
                got += chunk
            if got != b"+OK\r\n" * len(parts):
                die("SET did not answer +OK: %r" % got[:80])
    finally:
        sock.close()


def cmd_fill(args):
    port, n, size, mode = int(args[0]), int(args[1]), int(args[2]), args[3]
    r = client(port, 120.0)
    if mode == "populate":
        try:
            r.execute_command("DEBUG", "POPULATE", n, "key", size)
        except Exception as e:
            die("DEBUG POPULATE failed: %s" % e)
    else:
        fill_pipe(port, n, size)
    got = r.dbsize()
    if got != n:
        die("expected %d keys after fill, DBSIZE says %d" % (n, got))


def keys_in_db0(f):
    m = re.search(r"keys=(\d+)", f.get("db0", ""))
    return int(m.group(1)) if m else 0


def cmd_resync(args):
    """Time from REPLICAOF to link up with all N keys on the replica, polling every 2 ms.

    INFO is used (not DBSIZE) because Redis answers -LOADING to most commands while it loads."""
    master, replica, n, timeout = int(args[0]), int(args[1]), int(args[2]), float(args[3])
    r = client(replica, 5.0)
    t0 = time.monotonic()
    try:
        r.execute_command("REPLICAOF", HOST, str(master))
    except Exception as e:
        die("REPLICAOF refused: %s" % e)
    deadline = t0 + timeout
    why = "?"
    while time.monotonic() < deadline:
        try:
            f = raw_info(r, "replication", "keyspace")
            if f.get("master_link_status") == "up" and keys_in_db0(f) == n:
                print("resync_ms %.1f" % ((time.monotonic() - t0) * 1000.0))
                return
            why = "link=%s keys=%d" % (f.get("master_link_status"), keys_in_db0(f))
        except Exception as e:
            why = str(e)
            r = client(replica, 5.0)
        time.sleep(0.002)   # every 2 ms: fine enough for a ~1 s figure, light on a 2-core box
    die("replica not in sync within %.0fs (%s)" % (timeout, why))


# --- figure 6: discovery ------------------------------------------------------------------------

def sentinel_master_fields(conn, name):
    reply = conn.execute_command("SENTINEL", "MASTER", name)
    if isinstance(reply, dict):
        return {str(k): str(v) for k, v in reply.items()}
    it = iter(reply)
    return {str(k): str(v) for k, v in zip(it, it)}


def cmd_ready(args):
    t0, timeout = float(args[0]), float(args[1])
    want_slaves, want_peers = int(args[2]), int(args[3])
    ports = [int(p) for p in args[4:]]
    deadline = time.time() + timeout
    done = {}
    why = "no answer"
    conns = {}
    while time.time() < deadline:
        for p in ports:
            if p in done:
                continue
            try:
                c = conns.get(p) or client(p, 0.5)
                conns[p] = c
                f = sentinel_master_fields(c, "mymaster")
                s, o = int(f.get("num-slaves", -1)), int(f.get("num-other-sentinels", -1))
                if s >= want_slaves and o >= want_peers:
                    done[p] = time.time()
                else:
                    why = "sentinel %d: num-slaves=%d num-other-sentinels=%d" % (p, s, o)
            except Exception as e:
                conns.pop(p, None)
                why = "sentinel %d: %s" % (p, e)
        if len(done) == len(ports):
            print("ready_ms %.1f" % ((max(done.values()) - t0) * 1000.0))
            return
        time.sleep(0.002)
    die("deployment not discovered within %.0fs (%s)" % (timeout, why))


# --- figure 7: the python3-redis Sentinel client through a kill -9 --------------------------------

def cmd_outage(args):
    import redis
    from redis.sentinel import Sentinel
    name, pid, timeout = args[0], int(args[1]), float(args[2])
    sentinels = [(HOST, int(p)) for p in args[3:]]
    s = Sentinel(sentinels, socket_timeout=0.2, socket_connect_timeout=0.2)
    m = s.master_for(name, socket_timeout=0.2, socket_connect_timeout=0.2)
    for i in range(100):              # warm: the client is connected and writing before the kill
        m.set("outage:warm", i)
    old = s.discover_master(name)
    t0 = time.monotonic()
    os.kill(pid, signal.SIGKILL)
    deadline = t0 + timeout
    attempts, errors = 0, {}
    while time.monotonic() < deadline:
        attempts += 1
        try:
            m.set("outage:k", attempts)
            now = time.monotonic()
            new = s.discover_master(name)
            if new == old:
                errors["write to the old address"] = errors.get("write to the old address", 0) + 1
                time.sleep(0.001)
                continue
            print("outage_ms %.1f" % ((now - t0) * 1000.0))
            print("attempts %d" % attempts)
            sys.stderr.write("outage: %s -> %s; errors seen: %s\n" % (old, new, errors))
            return
        except (redis.exceptions.RedisError, OSError) as e:
            k = type(e).__name__
            errors[k] = errors.get(k, 0) + 1
        time.sleep(0.001)
    die("no write accepted within %.0fs after the kill (errors: %s)" % (timeout, errors))


# --- figure 8: KEYS ------------------------------------------------------------------------------

def read_keys_reply(f):
    """Reads one KEYS reply (an array of bulk strings) from the buffered socket file; returns the
    element count. Skips the elements without building them: the client must not be the slow side."""
    head = f.readline()
    if head[:1] != b"*":
        die("KEYS answered %r" % head[:80])
    n = int(head[1:])
    for _ in range(n):
        line = f.readline()
        if line[:1] != b"$":
            die("KEYS element is %r" % line[:80])
        f.read(int(line[1:]) + 2)
    return n


def keys_server_usec(conn):
    m = re.search(r"usec=(\d+)", raw_info(conn, "commandstats").get("cmdstat_keys", ""))
    return int(m.group(1)) if m else 0


def cmd_keys(args):
    port, pat, reps, want = int(args[0]), args[1].encode(), int(args[2]), int(args[3])
    conn = client(port, 120.0)
    sock = socket.create_connection((HOST, port), timeout=120)
    f = sock.makefile("rb", buffering=1 << 20)
    req = b"*2\r\n$4\r\nKEYS\r\n$%d\r\n%s\r\n" % (len(pat), pat)
    for _ in range(reps):
        before = keys_server_usec(conn)
        t0 = time.perf_counter()
        sock.sendall(req)
        n = read_keys_reply(f)
        client_ms = (time.perf_counter() - t0) * 1000
        server_ms = (keys_server_usec(conn) - before) / 1000
        if n != want:
            die("KEYS %s returned %d keys, expected %d" % (pat.decode(), n, want))
        print("%.1f %.1f" % (client_ms, server_ms))
    sock.close()


# --- redis-benchmark CSV ------------------------------------------------------------------------

def cmd_benchcsv(args):
    prefix = args[0]
    rows = list(csv.reader(sys.stdin))
    if not rows or rows[0][:2] != ["test", "rps"]:
        die("not redis-benchmark --csv output: %r" % (rows[:1],))
    head = rows[0]
    n = 0
    for row in rows[1:]:
        if len(row) != len(head):
            continue
        rec = dict(zip(head, row))
        test = rec["test"].split()[0]
        print("%s.%s.rps %s" % (prefix, test, rec["rps"]))
        print("%s.%s.p50_ms %s" % (prefix, test, rec["p50_latency_ms"]))
        print("%s.%s.p99_ms %s" % (prefix, test, rec["p99_latency_ms"]))
        n += 1
    if n == 0:
        die("redis-benchmark printed no result rows")


# --- summaries ----------------------------------------------------------------------------------

def load_rows(path):
    with open(path, newline="") as f:
        return [r for r in csv.DictReader(f)]


def fmt_num(v):
    if v is None:
        return "-"
    a = abs(v)
    if a >= 100000:
        return "%.0f" % v
    if a >= 100:
        return "%.0f" % v
    if a >= 10:
        return "%.1f" % v
    if a >= 1:
        return "%.2f" % v
    return "%.3f" % v


def side_stats(rows, metric, side, na_rows):
    vals = [float(r["value"]) for r in rows
            if r["metric"] == metric and r["side"] == side and r["value"] not in ("", None)]
    notes = [r["note"] for r in rows
             if r["metric"] == metric and r["side"] == side and r["note"]]
    if not vals:
        for r in na_rows:
            if r["side"] == side and fnmatch.fnmatchcase(metric, r["metric"]):
                notes.append(r["note"])
    st = {"values": vals, "notes": sorted(set(notes))}
    if vals:
        st.update(min=min(vals), median=statistics.median(vals), max=max(vals), n=len(vals))
    return st


def summarize(rows):
    """One entry per metric: declared ones (side "decl") first, in declaration order, then any
    other recorded metric; '*'-style metric names are n/a rules, not metrics."""
    na_rows = [r for r in rows if any(ch in r["metric"] for ch in "*?[")]
    decl = [r for r in rows if r["side"] == "decl"]
    metrics, seen = [], set()
    for r in decl + rows:
        if r["metric"] in seen or r in na_rows:
            continue
        seen.add(r["metric"])
        metrics.append(r)
    out = []
    for m in metrics:
        v = side_stats(rows, m["metric"], "vigil", na_rows)
        rd = side_stats(rows, m["metric"], "redis", na_rows)
        ratio = None
        if "median" in v and "median" in rd and rd["median"] != 0:
            ratio = v["median"] / rd["median"]
        out.append({"metric": m["metric"], "label": m["label"], "unit": m["unit"],
                    "better": m["better"], "target": m["target"],
                    "panel": m.get("panel") or m["unit"], "vigil": v, "redis": rd,
                    "ratio": ratio})
    return out


def footnote(footnotes, why):
    if why not in footnotes:
        footnotes.append(why)
    return "[%d]" % (footnotes.index(why) + 1)


def cell_median(st, footnotes):
    """The median with a footnote marker per note, or "n/a [k]" with the reason as footnote k
    (reasons repeat across rows, so each is written once under the table)."""
    marks = " ".join(footnote(footnotes, n) for n in st["notes"])
    if "median" in st:
        return fmt_num(st["median"]) + (" " + marks if marks else "")
    return "n/a " + (marks or footnote(footnotes, "not measured"))


def cell_range(st):
    if "median" not in st:
        return "-"
    return "%s / %s / %s" % (fmt_num(st["min"]), fmt_num(st["median"]), fmt_num(st["max"]))


def markdown(title, summary, meta):
    vig = "Vigil"
    if meta.get("vigil_side", "").startswith("redis"):
        vig = "Vigil*"
    lines = ["### %s" % title, ""]
    lines.append("| figure | %s | Redis | %s/Redis | %s min / median / max | "
                 "Redis min / median / max | n | target |" % (vig, vig, vig))
    lines.append("|---|---:|---:|---:|---:|---:|---:|---|")
    footnotes = []
    for s in summary:
        goal = s["target"] or ("higher is better" if s["better"] == "higher" else
                               "lower is better")
        n = "%d/%d" % (s["vigil"].get("n", 0), s["redis"].get("n", 0))
        label = "%s (%s)" % (s["label"], s["unit"]) if s["unit"] else s["label"]
        lines.append("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
            label, cell_median(s["vigil"], footnotes), cell_median(s["redis"], footnotes),
            "%.2fx" % s["ratio"] if s["ratio"] is not None else "-",
            cell_range(s["vigil"]), cell_range(s["redis"]), n, goal))
    lines.append("")
    if vig == "Vigil*":
        lines.append("\\* BENCH_VIGIL=redis: the Vigil column was measured on Redis's binaries "
                     "(harness validation, not a Vigil figure).")
        lines.append("")
    for i, why in enumerate(footnotes):
        lines.append("- [%d] %s" % (i + 1, why))
    if footnotes:
        lines.append("")
    lines.append("%s; %s; trials %s%s; `%s`" % (
        meta.get("date", "?"), meta.get("machine", "?"), meta.get("trials", "?"),
        " (quick)" if meta.get("quick") == "1" else "", meta.get("command", "?")))
    return "\n".join(lines) + "\n"


def cmd_summarize(args):
    path_csv, path_json, path_md, title = args[:4]
    meta = dict(a.split("=", 1) for a in args[4:])
    rows = load_rows(path_csv)
    summary = summarize(rows)
    md = markdown(title, summary, meta)
    with open(path_json, "w") as f:
        json.dump({"title": title, "meta": meta, "metrics": summary}, f, indent=1)
        f.write("\n")
    with open(path_md, "w") as f:
        f.write(md)
    sys.stdout.write(md)


# --- plots --------------------------------------------------------------------------------------

GP_HEAD = """set terminal pngcairo noenhanced size 1400,%d font ",9"
set output '%s'
set yrange [0:*]
set style data histogram
set style histogram errorbars gap 2 lw 1
set style fill solid 0.8 border -1
set key top right
set grid ytics
set xtics rotate by -35 scale 0
set rmargin 12
set multiplot layout %d,1 title '%s'
"""


def gp_quote(s):
    return s.replace("\\", "\\\\").replace("'", "''")


def cmd_plot(args):
    results, outdir = args[0], args[1]
    os.makedirs(outdir, exist_ok=True)
    made = 0
    for name in sorted(os.listdir(results)):
        if not name.endswith(".json") or name == "machine.json":
            continue
        with open(os.path.join(results, name)) as f:
            doc = json.load(f)
        base = name[:-5]
        names = []
        for m in doc["metrics"]:
            if m.get("panel", m["unit"]) not in names:
                names.append(m.get("panel", m["unit"]))
        panels = []
        for u in names:
            dat = os.path.join(outdir, "%s-%s.dat" % (base, re.sub(r"\W+", "_", u or "x")))
            rows, has = 0, {"vigil": False, "redis": False}
            with open(dat, "w") as f:
                f.write("# label vigil_med vigil_min vigil_max redis_med redis_min redis_max\n")
                for m in doc["metrics"]:
                    if m.get("panel", m["unit"]) != u or ("median" not in m["vigil"] and
                                          "median" not in m["redis"]):
                        continue
                    cols = []
                    for side in ("vigil", "redis"):
                        st = m[side]
                        if "median" in st:
                            cols += [st["median"], st["min"], st["max"]]
                            has[side] = True
                        else:
                            cols += ["NaN", "NaN", "NaN"]
                    f.write('"%s" %s\n' % (m["label"].replace('"', "'"),
                                           " ".join(str(c) for c in cols)))
                    rows += 1
            if rows:
                panels.append((u, dat, has))
        if not panels:
            continue
        png = os.path.join(outdir, base + ".png")
        gp = os.path.join(outdir, base + ".gp")
        vig = "Vigil*" if doc["meta"].get("vigil_side", "").startswith("redis") else "Vigil"
        with open(gp, "w") as f:
            f.write(GP_HEAD % (420 * len(panels) + 80, gp_quote(png), len(panels),
                               gp_quote(doc["title"])))
            for u, dat, has in panels:
                # gnuplot refuses a histogram column without one valid point: a side with no
                # value in this panel (n/a) is left out and named in the key instead.
                clauses = []
                if has["vigil"]:
                    clauses.append("'%s' using 2:3:4:xtic(1) title '%s' lc rgb '#1f77b4'"
                                   % (gp_quote(dat), vig))
                if has["redis"]:
                    clauses.append("'%s' using 5:6:7%s title 'Redis%s' lc rgb '#d62728'"
                                   % (gp_quote(dat), "" if has["vigil"] else ":xtic(1)",
                                      "" if has["vigil"] else " (%s: n/a)" % vig))
                f.write("set ylabel '%s'\n" % gp_quote(u))
                f.write("plot %s\n" % ", ".join(clauses))
            f.write("unset multiplot\n")
        print(gp)
        made += 1
    if made == 0:
        die("no results/*.json to plot: run make bench first")


# --- figure 11: snapshots --------------------------------------------------------------------

def cmd_bgsave(args):
    """Time from sending BGSAVE to rdb_bgsave_in_progress:0 (INFO's own *_time_sec is whole
    seconds); prints `ms status cow_bytes`."""
    port, timeout = int(args[0]), float(args[1])
    r = client(port, 30.0)
    before = int(raw_info(r, "persistence").get("rdb_saves", "0"))
    t0 = time.monotonic()
    reply = r.execute_command("BGSAVE")
    if reply is not True and "started" not in str(reply):
        die("BGSAVE answered %r" % reply)
    deadline = t0 + timeout
    while time.monotonic() < deadline:
        f = raw_info(r, "persistence")
        if f.get("rdb_bgsave_in_progress") == "0" and int(f.get("rdb_saves", "0")) > before:
            ms = (time.monotonic() - t0) * 1000
            print("%.1f %s %s" % (ms, f.get("rdb_last_bgsave_status"), f.get("rdb_last_cow_size")))
            return
        time.sleep(0.002)
    die("BGSAVE still running after %.0fs" % timeout)


COMMANDS = {
    "ports": cmd_ports, "wait-ping": cmd_wait_ping, "wait-repl": cmd_wait_repl,
    "info": cmd_info, "fill": cmd_fill, "resync": cmd_resync, "ready": cmd_ready,
    "outage": cmd_outage, "keys": cmd_keys, "bgsave": cmd_bgsave, "benchcsv": cmd_benchcsv, "summarize": cmd_summarize,
    "plot": cmd_plot,
}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        die("usage: bench.py {%s} ..." % "|".join(sorted(COMMANDS)), 2)
    try:
        COMMANDS[sys.argv[1]](sys.argv[2:])
    except (IndexError, ValueError) as e:
        die("%s: bad arguments (%s)" % (sys.argv[1], e), 2)
