"""Expiry at the end of the clock: PEXPIREAT k 9223372036854775807 (INT64_MAX ms).

The replies are Redis's, byte for byte. INFO's avg_ttl used to overflow a signed sum (undefined
behaviour, found with UBSan) and turn negative; redis-server 7.0 shows a negative avg_ttl there,
vigil-store shows the true (huge, positive) average instead.
"""

import re

import vigiltest

FAR = 9223372036854775807


def _replies(store):
    with store.raw() as conn:
        out = [conn.call_bytes("SET", "k1", "v"), conn.call_bytes("SET", "k2", "v")]
        out += [conn.call_bytes("PEXPIREAT", k, FAR) for k in ("k1", "k2")]
        out.append(conn.call_bytes("PEXPIRETIME", "k1"))
        out.append(conn.call_bytes("PEXPIREAT", "k1", FAR + 1))
        out.append(conn.call_bytes("EXPIREAT", "k1", FAR))
    return out


def _avg_ttl(store):
    with store.raw() as conn:
        info = conn.call("INFO", "keyspace")
    found = re.search(rb"avg_ttl=(-?\d+)", info)
    return int(found.group(1)) if found else None


def test_pexpireat_int64_max_replies_as_redis_and_avg_ttl_stays_positive():
    ours = vigiltest.start_store("vigil")
    ref = vigiltest.start_store("redis")
    assert _replies(ours) == _replies(ref)
    # The active expiry cycle samples the keys at hz; avg_ttl is set at the first sample.
    vigiltest.wait_until(lambda: (_avg_ttl(ours) or 0) != 0, 10, "avg_ttl to be sampled")
    assert _avg_ttl(ours) > FAR // 2, _avg_ttl(ours)
