"""The partition checker: pure functions from recorded histories to the figures of one run.

Why: what the harness proves must not depend on the processes or the network that produced the
history, so everything here takes plain Python values (write records, sentinel log text, fault
records) and returns numbers; tests/partition/test_checker.py feeds it hand-made histories.
docs/partition.md#checker says what each figure means.

Inputs:
  writes      write records of writer.py: t0, ta, t (wall s), w, node (ip), v, cls, res, acks
  promotions  [(t, node ip, epoch or None)]: when a failover leader told a replica to become
              master (`+failover-state-send-slaveof-noone`), the election time of that master
  faults      [{"kind", "start", "end", "master" (ip at the cut), "cuts_master": bool}]
  final       the set of elements on the final master after heal and settle

Durability classes of an acknowledged write (strongest first):
  wait2    WAIT 2 answered >= 2 replicas;  wait1  any WAIT answered >= 1 replica;
  waitaof  WAITAOF 1 0 answered 1 local fsync;  plain  every success reply.
A wait2 write is also a wait1 and a plain write: "lost wait1" counts every lost write that at
least one replica acknowledged.
"""

import calendar
import re
import time

CLASSES = ("plain", "waitaof", "wait1", "wait2")

LOG_LINE = re.compile(r"^\d+:\w (\d\d \w{3} \d{4} \d\d:\d\d:\d\d)\.(\d{3}) . (\S+) ?(.*)$")
PROMOTE_EVENT = "+failover-state-send-slaveof-noone"


def write_classes(w):
    """The durability classes a write record reached (empty when it was not acknowledged)."""
    if w.get("res") != "ok":
        return set()
    got = {"plain"}
    acks = int(w.get("acks") or 0)
    cls = w.get("cls")
    if cls in ("wait1", "wait2") and acks >= 1:
        got.add("wait1")
    if cls == "wait2" and acks >= 2:
        got.add("wait2")
    if cls == "waitaof" and acks >= 1:
        got.add("waitaof")
    return got


def lost_writes(writes, final):
    """{class: [values]} of acknowledged writes missing from the final dataset."""
    lost = {c: [] for c in CLASSES}
    for w in writes:
        if w["v"] in final:
            continue
        for c in write_classes(w):
            lost[c].append(w["v"])
    return lost


def acked_counts(writes):
    counts = {c: 0 for c in CLASSES}
    for w in writes:
        for c in write_classes(w):
            counts[c] += 1
    return counts


# -- sentinel logs ------------------------------------------------------------------------------

def parse_log_time(day_time, millis):
    """'07 Dec 2026 06:35:09', '123' (UTC) -> wall seconds."""
    tm = time.strptime(day_time, "%d %b %Y %H:%M:%S")
    return calendar.timegm(tm) + int(millis) / 1000.0


def log_events(text):
    """[(t, event, rest)] of the event lines of a sentinel log (Redis's or Vigil's format)."""
    out = []
    for line in text.splitlines():
        m = LOG_LINE.match(line)
        if m and m.group(3)[:1] in "+-":
            out.append((parse_log_time(m.group(1), m.group(2)), m.group(3), m.group(4)))
    return out


def promotions_from_logs(texts):
    """[(t, ip, epoch)] sorted by time, from every sentinel's log text.

    The leader logs `+failover-state-send-slaveof-noone slave <ip>:<port> <ip> <port> @ ...`
    just before it sends REPLICAOF NO ONE; the epoch is the newest `+new-epoch` logged before
    it by the same sentinel (None if absent).
    """
    found = []
    for text in texts:
        epoch = None
        for t, event, rest in log_events(text):
            words = rest.split()
            if event == "+new-epoch" and words and words[0].isdigit():
                epoch = int(words[0])
            elif event == PROMOTE_EVENT and len(words) >= 3:
                found.append((t, words[2], epoch))
    return sorted(found)


# -- two masters ----------------------------------------------------------------------------------

def stale_acks(writes, promotions, initial_master):
    """Acknowledged writes answered by a master after a newer master was elected.

    A node is the newest master from its own promotion (the initial master: from the start) until
    another node's promotion; a write it acknowledges after that is "stale". The time is the
    master's answer to the write itself ("ta"): a WAIT or WAITAOF that follows only reports how
    far an already accepted write got (a WAITAOF 1 0 blocked for the next fsync may return after
    the election for a write accepted before it). Returns the list of (write, seconds after the
    newer election).
    """
    out = []
    for w in writes:
        if w.get("res") != "ok":
            continue
        node, t = w["node"], w.get("ta", w["t"])
        since = float("-inf") if node == initial_master else None
        newer = None
        for pt, pnode, _epoch in promotions:
            if pt > t:
                break
            if pnode == node:
                since, newer = pt, None
            elif since is None or pt > since:
                newer = pt if newer is None else newer
        if newer is not None:
            out.append((w, t - newer))
    return out


def fence_times(writes, faults):
    """For each fault that cut the master off: seconds from the cut to the first refusal (an
    error reply) by that master, or None if it refused nothing before the fault ended."""
    out = []
    for f in faults:
        if not f.get("cuts_master"):
            continue
        first = None
        for w in writes:
            if (w["node"] == f["master"] and w.get("res") == "err"
                    and f["start"] <= w["t0"] <= f["end"]):
                first = w["t"] if first is None else min(first, w["t"])
        out.append(None if first is None else first - f["start"])
    return out


def last_taken_times(writes, faults):
    """For each fault that cut the master off: seconds from the cut to the last write that master
    took (its answer to the command, before any WAIT) during the fault, 0.0 if none. The master
    stopped taking writes somewhere between this and the first refusal (fence_times): a writer
    blocked in a WAIT sends nothing, so the first refusal alone can come up to a WAIT timeout
    after the fence (seed 96: taken at 0.83 s, WAIT until 1.03 s, refused at 1.04 s)."""
    out = []
    for f in faults:
        if not f.get("cuts_master"):
            continue
        last = 0.0
        for w in writes:
            ta = w.get("ta", w["t"])
            if w["node"] == f["master"] and w.get("res") == "ok" and f["start"] <= ta <= f["end"]:
                last = max(last, ta - f["start"])
        out.append(last)
    return out


def election_times(promotions, faults):
    """Seconds from the start of the newest fault before each promotion to that promotion."""
    out = []
    for pt, _node, _epoch in promotions:
        starts = [f["start"] for f in faults if f["start"] <= pt]
        if starts:
            out.append(pt - max(starts))
    return out


def outage_s(writes, writer, start, end):
    """The longest time `writer` waited, within [start, end], for a master to accept a write:
    from the end of one successful write (its WAIT included) to the master's answer to the next
    one, so a WAIT that blocks counts as latency, not as unavailability."""
    oks = sorted((w.get("ta", w["t"]), w["t"]) for w in writes
                 if w["w"] == writer and w.get("res") == "ok" and start <= w.get("ta", w["t"]) <= end)
    worst, done = 0.0, start
    for answered, finished in oks:
        worst = max(worst, answered - done)
        done = max(done, finished)
    return max(worst, end - done)


def check_run(writes, promotions, faults, final, initial_master, window):
    """Every figure of one run as a dict (window = (start, end) of faults + settle)."""
    lost = lost_writes(writes, final)
    stale = stale_acks(writes, promotions, initial_master)
    fences = fence_times(writes, faults)
    writers = sorted({w["w"] for w in writes})
    return {
        "acked": acked_counts(writes),
        "lost": {c: len(v) for c, v in lost.items()},
        "lost_examples": {c: v[:5] for c, v in lost.items() if v},
        "stale_acks": len(stale),
        "stale_window_s": max((d for _w, d in stale), default=0.0),
        "fence_s": fences,
        "taken_s": last_taken_times(writes, faults),
        "elections_s": election_times(promotions, faults),
        "failovers": len(promotions),
        "promotions": [list(p) for p in promotions],
        "outage_s": {w: outage_s(writes, w, window[0], window[1]) for w in writers},
    }


def violations(result, expect_fencing, down_after_s):
    """The assertions a run must pass; a list of messages (empty = passed)."""
    bad = []
    if result["lost"]["wait1"]:
        bad.append("%d acknowledged WAIT 1 write(s) lost: %s"
                   % (result["lost"]["wait1"], result["lost_examples"].get("wait1")))
    if expect_fencing:
        if result["stale_acks"]:
            bad.append("%d write(s) acknowledged by a master after a newer master was elected"
                       % result["stale_acks"])
        if any(f is None for f in result["fence_s"]):
            bad.append("a cut-off master refused no write before the heal: %s" % result["fence_s"])
        late = [t for t in result.get("taken_s", []) if t > down_after_s]
        if late:
            bad.append("a cut-off master took writes later than down-after (%.1f s): %s"
                       % (down_after_s, late))
    return bad
