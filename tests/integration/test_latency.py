"""LATENCY: the monitor (latency-monitor-threshold; LATEST, HISTORY, RESET, GRAPH) and the
per-command histograms (LATENCY HISTOGRAM, INFO latencystats, latency-tracking).

A slow command is a script that spins for 25 ms of server time (no sleep in the test itself).
Every test also runs against redis-server with VIGIL_TARGET=redis, which checks the tests.
"""

import re

import vigiltest

SPIN_25MS = ("local t = redis.call('TIME') "
             "while true do local n = redis.call('TIME') "
             "if (n[1] - t[1]) * 1000000 + (n[2] - t[2]) > 25000 then break end end")


def test_the_monitor_records_a_slow_command_only_above_its_threshold(store):
    conn = store.raw()
    assert conn.call("CONFIG", "GET", "latency-monitor-threshold") == [
        b"latency-monitor-threshold", b"0"]
    conn.call("EVAL", SPIN_25MS, "0")
    assert conn.call("LATENCY", "LATEST") == []  # off by default
    conn.call("CONFIG", "SET", "latency-monitor-threshold", "10")
    conn.call("EVAL", SPIN_25MS, "0")
    # Off again at once: on a loaded machine any command may take 10 ms, and the reads below
    # must see what the EVAL left. (Other events may be there for the same reason.)
    conn.call("CONFIG", "SET", "latency-monitor-threshold", "0")
    latest = {row[0]: row[1:] for row in conn.call("LATENCY", "LATEST")}
    when, last_ms, max_ms = latest[b"command"]
    assert last_ms >= 25 and max_ms >= last_ms
    assert conn.call("LATENCY", "HISTORY", "command")[-1] == [when, last_ms]
    assert conn.call("LATENCY", "HISTORY", "nosuch") == []
    graph = conn.call("LATENCY", "GRAPH", "command").decode()
    assert graph.startswith("command - high "), graph
    assert "(all time high %d ms)\n" % max_ms in graph.split("\n")[0] + "\n"
    assert conn.call_bytes("LATENCY", "GRAPH", "nosuch") == (
        b"-ERR No samples available for event 'nosuch'\r\n")
    assert conn.call("LATENCY", "RESET", "nosuch") == 0
    assert conn.call("LATENCY", "RESET", "command") == 1
    assert b"command" not in {row[0] for row in conn.call("LATENCY", "LATEST")}
    assert conn.call("LATENCY", "RESET") == len(latest) - 1
    assert conn.call("LATENCY", "LATEST") == []


def test_histograms_count_each_command_and_reset_with_resetstat(store):
    conn = store.raw()
    conn.call("CONFIG", "RESETSTAT")
    for _ in range(5):
        conn.call("SET", "k", "v")
    reply = conn.call("LATENCY", "HISTOGRAM", "set", "nosuch")
    assert reply[0] == b"set" and len(reply) == 2, reply
    calls_key, calls, hist_key, buckets = reply[1]
    assert (calls_key, calls, hist_key) == (b"calls", 5, b"histogram_usec")
    bounds, counts = buckets[0::2], buckets[1::2]
    assert bounds == sorted(bounds) and counts == sorted(counts) and counts[-1] == 5
    info = conn.call("INFO", "latencystats").decode()
    assert re.search(r"\r\nlatency_percentiles_usec_set:p50=[0-9.]+,p99=[0-9.]+,p99\.9=[0-9.]+\r\n",
                     info), info
    conn.call("CONFIG", "SET", "latency-tracking-info-percentiles", "50 90")
    info = conn.call("INFO", "latencystats").decode()
    assert re.search(r"latency_percentiles_usec_set:p50=[0-9.]+,p90=[0-9.]+\r\n", info), info
    conn.call("CONFIG", "RESETSTAT")
    assert conn.call("LATENCY", "HISTOGRAM", "set") == []
    conn.call("CONFIG", "SET", "latency-tracking", "no")
    conn.call("SET", "k", "v")
    assert conn.call("LATENCY", "HISTOGRAM", "set") == []
