"""A master busy running a script (docs/sentinel-protocol.md#sdown): its PING
replies are -BUSY, which does not count as available; once the sentinel judges it subjectively
down, the next -BUSY reply makes it send SCRIPT KILL, once. The script dies, the master answers
PONG again, the sentinel leaves SDOWN, and the master keeps its role.

The group is one sentinel with quorum 2, so ODOWN (and a failover) cannot follow the SDOWN: with
a quorum the sentinels can meet, SCRIPT KILL and the ODOWN agreement race (Redis Sentinel 7.0
too: with three sentinels, quorum 2 and down-after 1000 ms it failed over in each of 3 trials
although the script was killed), and the outcome would not be deterministic.

Run with both sentinels (vigil-sentinel, and redis-sentinel to check the test itself) against
redis-server and vigil-store as the master (a store without EVAL fails the test).
"""

import time

import pytest

import vigiltest
from vigiltest import deploy, wait_until

DOWN_AFTER_MS = 1000
BUSY_THRESHOLD_MS = 200
KILLED = b"-ERR Script killed by user with SCRIPT KILL"


def script_kill_calls(store):
    stats = store.raw().call_bytes("INFO", "commandstats").decode()
    for line in stats.splitlines():
        if line.startswith("cmdstat_script|kill:"):
            return int(line.split("calls=")[1].split(",")[0])
    return 0


def sentinel_events(pubsub, deadline_s=0.5):
    """The (channel, data) pairs the sentinel published so far (hellos left out)."""
    out, end = [], time.monotonic() + deadline_s
    while time.monotonic() < end:
        msg = pubsub.get_message(timeout=0.05)
        if msg is None:
            continue
        if msg["type"] == "pmessage" and not msg["channel"].startswith("__sentinel__"):
            out.append((msg["channel"], msg["data"]))
    return out


@pytest.mark.parametrize("sentinel_kind", ["vigil", "redis"],
                         ids=["vigil-sentinel", "redis-sentinel"])
@pytest.mark.parametrize("node_kind", ["redis", "vigil"], ids=["redis-server", "vigil-store"])
def test_busy_master_gets_script_kill_and_stays_master(proc_group, node_kind, sentinel_kind):
    d = deploy.Deployment(proc_group, node_kind=node_kind, sentinel_kind=sentinel_kind,
                          n_replicas=1, n_sentinels=1, quorum=2, down_after_ms=DOWN_AFTER_MS,
                          http=False).start()
    master, sentinel = d.master, d.sentinels[0]
    before = d.agreed_master()
    assert master.raw().call_bytes("CONFIG", "SET", "busy-reply-threshold",
                                   str(BUSY_THRESHOLD_MS)) == b"+OK\r\n"
    events = sentinel.client.pubsub()
    events.psubscribe("*")
    busy = master.raw(timeout_s=30)
    busy.send_command("EVAL", "while true do end", "0")  # no reply until the script dies
    # The kill comes once SDOWN is reached (down-after); a generous deadline for a loaded host.
    reply = busy.read_reply_bytes(timeout_s=30)
    assert reply.startswith(KILLED), reply
    assert script_kill_calls(master) == 1
    wait_until(lambda: sentinel.master_info()["flags"] == "master", 15,
               "the sentinel to see the master up again")
    seen = [channel for channel, _ in sentinel_events(events)]
    assert "+sdown" in seen and "-sdown" in seen
    assert seen.index("+sdown") < seen.index("-sdown")
    assert not {"+odown", "+try-failover", "+switch-master"} & set(seen), seen
    assert d.agreed_master() == before
    conn = master.raw()
    assert conn.call_bytes("SET", "after", "1") == b"+OK\r\n"
    assert conn.call("ROLE")[0] == b"master"
    assert script_kill_calls(master) == 1               # once per SDOWN period
    events.close()
