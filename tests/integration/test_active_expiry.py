"""Active expiry and memory reporting against redis-server 7.0.

- 100,000 keys with short TTLs, never read again, go away by themselves (the active expire
  cycle): DBSIZE reaches 0, INFO keyspace drops the database, INFO stats counts them all.
- `active-expire-effort`: CONFIG SET/GET replies byte for byte as redis-server's (range and
  parse errors), and the command line sets it.
- INFO memory has redis-server's keys in its order; MEMORY STATS has its keys in its order (the
  figures are ours), in RESP2 and RESP3; MEMORY DOCTOR answers an empty instance in Redis's
  frame ("Hi Sam, ...").
"""

import re
import time

import vigiltest
from vigiltest import Push, ReplyError

KEYS = 100000


def _info(conn, section):
    text = conn.call("INFO", section)
    text = text.decode() if isinstance(text, bytes) else text
    return dict(line.split(":", 1) for line in text.splitlines() if ":" in line)


def _load_short_ttl_keys(store):
    cli = store.client()
    for start in range(0, KEYS, 5000):
        pipe = cli.pipeline(transaction=False)
        for i in range(start, start + 5000):
            pipe.set("ttl:%d" % i, "v" * 16, px=100 + i % 400)
        pipe.execute()


def test_100k_short_ttl_keys_expire_without_access(store):
    _load_short_ttl_keys(store)
    conn = store.raw()
    began = time.monotonic()
    vigiltest.wait_until(lambda: conn.call("DBSIZE") == 0, 30, "every key to expire unread")
    print("100k keys (TTL 100-500 ms) gone %.2f s after the load" % (time.monotonic() - began))
    assert "db0" not in _info(conn, "keyspace")
    stats = _info(conn, "stats")
    assert int(stats["expired_keys"]) == KEYS
    assert float(stats["expired_stale_perc"]) >= 0.0
    assert int(stats["expired_time_cap_reached_count"]) >= 0
    assert "expire_cycle_cpu_milliseconds" in stats


def test_active_expire_effort_config_replies_as_redis(store, redis_store):
    values = ("0", "11", "abc", "", "-1", "1.5", "10", "3")
    assert (vigiltest.config_set_replies(store, "active-expire-effort", values)
            == vigiltest.config_set_replies(redis_store, "active-expire-effort", values))


def test_active_expire_effort_from_the_command_line(proc_group):
    ours = vigiltest.start_store("vigil", extra_args=["--active-expire-effort", "7"],
                                 group=proc_group)
    with ours.raw() as conn:
        assert conn.call("CONFIG", "GET", "active-expire-effort") == [b"active-expire-effort",
                                                                       b"7"]


def _info_memory_keys(store):
    with store.raw() as conn:
        return list(_info(conn, "memory"))


def test_info_memory_has_redis_keys_in_redis_order(store, redis_store):
    assert _info_memory_keys(store) == _info_memory_keys(redis_store)


def _shape(value):
    """Key names and nesting of a MEMORY STATS reply (RESP2 flat array or RESP3 map)."""
    if isinstance(value, dict):
        return [(k, _shape(v)) for k, v in value.items()]
    if isinstance(value, list):
        return [(value[i], _shape(value[i + 1])) for i in range(0, len(value), 2)]
    return None


def _memory_stats_shape(store, resp3):
    with store.raw() as conn:
        if resp3:
            conn.call("HELLO", "3")
        conn.call("SET", "a", "1", "EX", "100")
        conn.call("SELECT", "3")
        conn.call("SET", "b", "2")
        reply = conn.call("MEMORY", "STATS")
        conn.call("FLUSHALL")
    assert not isinstance(reply, (ReplyError, Push)), reply
    return _shape(reply)


def test_memory_stats_has_redis_keys_in_redis_order(store, redis_store):
    for resp3 in (False, True):
        ours = _memory_stats_shape(store, resp3)
        theirs = _memory_stats_shape(redis_store, resp3)
        assert ours == theirs, "resp3=%s" % resp3
        assert (b"db.3", [(b"overhead.hashtable.main", None),
                          (b"overhead.hashtable.expires", None),
                          (b"overhead.hashtable.slot-to-keys", None)]) in ours


def test_memory_stats_figures_add_up(store):
    with store.raw() as conn:
        for i in range(2000):
            conn.call("SET", "k:%d" % i, "x" * 100)
        flat = conn.call("MEMORY", "STATS")
        stats = dict(zip(flat[0::2], flat[1::2]))
    assert stats[b"keys.count"] == 2000
    assert stats[b"total.allocated"] >= stats[b"startup.allocated"] > 0
    assert stats[b"peak.allocated"] >= stats[b"total.allocated"]
    assert stats[b"overhead.total"] + stats[b"dataset.bytes"] == stats[b"total.allocated"]
    assert stats[b"dataset.bytes"] > 2000 * 100
    assert 0 < float(stats[b"dataset.percentage"]) <= 100


def test_memory_doctor_on_an_empty_instance_answers_in_redis_frame(store, redis_store):
    for side in (store, redis_store):
        with side.raw() as conn:
            text = conn.call("MEMORY", "DOCTOR")
            assert isinstance(text, bytes) and text.startswith(b"Hi Sam, "), (side, text)
            assert re.search(rb"empty|too little", text), text
