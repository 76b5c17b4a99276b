"""The partition harness's report: a side-by-side Markdown table and a gnuplot PNG.

Why: the README publishes these figures for Vigil beside Redis, from the same harness and
schedules; one function turns the per-run results (run.py) into both, so the table and the plot
never disagree.

Outputs in the run's out dir: summary.md, partition.dat/.gp and partition.png (gnuplot, pngcairo;
matplotlib is not available on the build machines).
"""

import os
import subprocess

CLASSES = ("plain", "waitaof", "wait1", "wait2")


def pct(values, p):
    vals = sorted(v for v in values if v is not None)
    if not vals:
        return None
    return vals[min(len(vals) - 1, int(round(p / 100.0 * (len(vals) - 1))))]


def fmt_s(v):
    return "-" if v is None else "%.2f" % v


def columns(results):
    """[(label, runs)]: Vigil, Redis, and when Redis ran fewer schedules, Vigil on Redis's seeds
    (the same schedules, side by side)."""
    by = {s: [r for r in results if r["system"] == s] for s in ("vigil", "redis")}
    cols = [("%s (%d)" % (s, len(by[s])), by[s]) for s in ("vigil", "redis") if by[s]]
    redis_seeds = {r["seed"] for r in by["redis"]}
    same = [r for r in by["vigil"] if r["seed"] in redis_seeds]
    if by["redis"] and len(same) < len(by["vigil"]):
        cols.insert(1, ("vigil on the Redis seeds (%d)" % len(same), same))
    return cols


def summarize(results):
    """{column label: figures over its runs}."""
    out = {}
    for label, runs in columns(results):
        done = [r for r in runs if r.get("ok")]
        fences = [f for r in done for f in r["fence_s"]]
        elections = [e for r in done for e in r["elections_s"]]
        row = {
            "schedules": len(runs), "completed": len(done),
            "failed": len([r for r in runs if r["violations"]]),
            "failovers": sum(r["failovers"] for r in done),
            "stale_runs": len([r for r in done if r["stale_acks"]]),
            "stale_acks": sum(r["stale_acks"] for r in done),
            "stale_window_max": max((r["stale_window_s"] for r in done), default=0.0),
            "fence_cuts": len(fences), "fenced": len([f for f in fences if f is not None]),
            "fence_max": max((f for f in fences if f is not None), default=None),
            "taken_max": max((t for r in done for t in r.get("taken_s", [])), default=None),
            "elect_p50": pct(elections, 50), "elect_p99": pct(elections, 99),
            "elect_max": pct(elections, 100), "elections": elections,
        }
        for c in CLASSES:
            row["acked_" + c] = sum(r["acked"][c] for r in done)
            row["lost_" + c] = sum(r["lost"][c] for r in done)
        for w in ("cA", "cB", "cS"):
            vals = [r["outage_s"].get(w) for r in done]
            row["outage_%s_p50" % w] = pct(vals, 50)
            row["outage_%s_max" % w] = pct(vals, 100)
        out[label] = row
    return out


ROWS = [
    ("schedules run (completed)", lambda r: "%d (%d)" % (r["schedules"], r["completed"])),
    ("runs breaking an assertion", lambda r: str(r["failed"])),
    ("failovers", lambda r: str(r["failovers"])),
] + [("acknowledged %s writes: lost" % c, (lambda c: lambda r: "%d of %d" % (
    r["lost_" + c], r["acked_" + c]))(c)) for c in CLASSES] + [
    ("runs with writes acked after a newer election", lambda r: str(r["stale_runs"])),
    ("writes acked after a newer election", lambda r: str(r["stale_acks"])),
    ("longest such window (s)", lambda r: fmt_s(r["stale_window_max"])),
    ("master cut off: refused writes before heal", lambda r: "%d of %d" % (r["fenced"],
                                                                           r["fence_cuts"])),
    ("cut-off master: last write taken, max (s)", lambda r: fmt_s(r["taken_max"])),
    ("cut-off master: first write refused, max (s)", lambda r: fmt_s(r["fence_max"])),
    ("election after the cut, p50 / p99 / max (s)", lambda r: "%s / %s / %s" % (
        fmt_s(r["elect_p50"]), fmt_s(r["elect_p99"]), fmt_s(r["elect_max"]))),
    ("outage, master-side writer cA, p50 / max (s)", lambda r: "%s / %s" % (
        fmt_s(r["outage_cA_p50"]), fmt_s(r["outage_cA_max"]))),
    ("outage, other-side writer cB, p50 / max (s)", lambda r: "%s / %s" % (
        fmt_s(r["outage_cB_p50"]), fmt_s(r["outage_cB_max"]))),
    ("outage, Sentinel writer cS, p50 / max (s)", lambda r: "%s / %s" % (
        fmt_s(r["outage_cS_p50"]), fmt_s(r["outage_cS_max"]))),
]


def markdown(summary, elapsed_s, note=""):
    systems = list(summary)
    lines = ["| | " + " | ".join(systems) + " |", "|---|" + "---|" * len(systems)]
    for label, cell in ROWS:
        lines.append("| %s | %s |" % (label, " | ".join(cell(summary[s]) for s in systems)))
    text = "\n".join(lines) + "\n"
    if note:
        text = note + "\n\n" + text
    if elapsed_s is None:
        return text + "\n(Rebuilt from results.jsonl.)\n"
    return text + "\nWall time: %.0f s.\n" % elapsed_s


GP = """set terminal pngcairo noenhanced size 1200,500 font ",10"
set output '{png}'
set multiplot layout 1,2 title 'Partition runs ({note})'
set title 'Election time after the cut (CDF)'
set yrange [0:1]
set xlabel 'seconds'
set ylabel 'fraction of elections'
set key bottom right
set grid
plot {elect}
set title 'Writes acknowledged after a newer election, per schedule'
set xlabel 'fraction of schedules (sorted by the count)'
set ylabel 'writes'
set yrange [0:*]
set key top left
plot {stale}
unset multiplot
"""


def gp_quote(text):
    """Text for a single-quoted gnuplot string (a quote is written twice)."""
    return text.replace("'", "''")


def write_plot(results, summary, out, note):
    """partition.dat (one block per system) + partition.gp, then gnuplot -> partition.png."""
    dat, gp, png = (os.path.join(out, "partition." + e) for e in ("dat", "gp", "png"))
    systems = list(summary)
    with open(dat, "w") as f:
        for system in systems:
            el = sorted(summary[system]["elections"]) or [0.0]
            f.write("# %s elections\n" % system)
            f.writelines("%.3f %.4f\n" % (v, (i + 1) / len(el)) for i, v in enumerate(el))
            f.write("\n\n")
        for system in systems:
            stale = sorted(r.get("stale_acks", 0) for r in dict(columns(results))[system])
            f.write("# %s stale acks\n" % system)
            stale = stale or [0]
            f.writelines("%.4f %d\n" % ((i + 1) / len(stale), v) for i, v in enumerate(stale))
            f.write("\n\n")
    n = len(systems)
    elect = ", ".join("'%s' index %d using 1:2 with steps lw 2 title '%s'"
                      % (gp_quote(dat), i, gp_quote(s)) for i, s in enumerate(systems))
    stale = ", ".join("'%s' index %d using 1:2 with linespoints title '%s'"
                      % (gp_quote(dat), n + i, gp_quote(s)) for i, s in enumerate(systems))
    with open(gp, "w") as f:
        f.write(GP.format(png=gp_quote(png), note=gp_quote(note), elect=elect, stale=stale))
    res = subprocess.run(["gnuplot", gp], capture_output=True, text=True)
    if res.returncode != 0:
        raise RuntimeError("gnuplot failed on %s: %s" % (gp, res.stderr.strip()))
    return png


def write_all(results, out, elapsed_s, args):
    extra = ", ".join(["store: " + x for x in args.store_config]
                      + ["sentinel: " + x for x in args.sentinel_config]) or "none"
    note = "production config, down-after 1000 ms; extra config: %s" % extra
    summary = summarize(results)
    with open(os.path.join(out, "summary.md"), "w") as f:
        f.write(markdown(summary, elapsed_s, note))
    write_plot(results, summary, out, note)
