"""Geo commands and SORT between real processes (docs/geo.md, docs/sort.md).

What is covered beyond the differential scripts (tests/compat/diff/geo.txt, sort.txt):
- searches over a few hundred random points (near the poles, the antimeridian, tiny and
  continent-sized areas, both units and shapes) give replies byte-identical with redis-server's;
  this is what pins the cell choice and the neighbour scan, whose slips only show on some inputs;
- what a master puts in its stream: GEOADD as ZADD with the scores, SORT ... STORE as itself,
  nothing for a GEOADD that changes nothing or a SORT without STORE (read back from the AOF);
- a redis-server replica of vigil-store ends with the same values, including SORT of a set
  BY nosort STORE, which both sides must sort (a set has no order to replicate).
"""

import os
import random

import vigiltest
from vigiltest import wait_until

SEED = 20261207
CENTRES = [(0, 0), (179.9, 0), (-179.9, 10), (13, 38), (0, 84), (0, -84.9), (120, 70),
           (-70, -67)]
UNITS = {"m": 1, "km": 1000, "mi": 1609.34, "ft": 0.3048}


def random_point(rnd):
    cx, cy = rnd.choice(CENTRES)
    spread = rnd.choice([0.01, 0.5, 5, 40])
    lon = max(-180, min(180, cx + rnd.uniform(-spread, spread)))
    lat = max(-85.05, min(85.05, cy + rnd.uniform(-spread, spread)))
    return lon, lat


def random_query(rnd, key):
    lon, lat = random_point(rnd)
    unit = rnd.choice(sorted(UNITS))
    size = rnd.choice([10, 1000, 50000, 500000, 3000000, 8000000]) * rnd.random() / UNITS[unit]
    opts = []
    for word, p in (("WITHDIST", 0.5), ("WITHCOORD", 0.3), ("WITHHASH", 0.3)):
        if rnd.random() < p:
            opts.append(word)
    if rnd.random() < 0.4:
        opts.append(rnd.choice(["ASC", "DESC"]))
    if rnd.random() < 0.3:
        opts += ["COUNT", str(rnd.randrange(1, 50))]
    centre = ["%.5f" % lon, "%.5f" % lat]
    kind = rnd.random()
    if kind < 0.35:
        return ["GEOSEARCH", key, "FROMLONLAT"] + centre + ["BYRADIUS", "%g" % size, unit] + opts
    if kind < 0.7:
        height = "%g" % (size * rnd.uniform(0.2, 3))
        return (["GEOSEARCH", key, "FROMLONLAT"] + centre + ["BYBOX", "%g" % size, height, unit]
                + opts)
    if kind < 0.85:
        member = "m%d" % rnd.randrange(300)
        return ["GEORADIUSBYMEMBER", key, member, "%g" % size, unit] + opts
    return ["GEODIST", key, "m%d" % rnd.randrange(300), "m%d" % rnd.randrange(300), unit]


def test_geo_searches_match_redis_server_on_random_points():
    vigiltest.require_binary(vigiltest.redis_server_path())
    ours = vigiltest.start_store(vigiltest.target_kind(), name="vigil").raw()
    theirs = vigiltest.start_store("redis", name="redis").raw()
    rnd = random.Random(SEED)
    for k in range(3):
        args = ["GEOADD", "g%d" % k]
        for i in range(300):
            lon, lat = random_point(rnd)
            args += ["%.6f" % lon, "%.6f" % lat, "m%d" % i]
        assert ours.call_bytes(*args) == theirs.call_bytes(*args)
    members = ["m%d" % i for i in range(300)]
    for k in range(3):
        for cmd in ("GEOPOS", "GEOHASH"):
            assert ours.call_bytes(cmd, "g%d" % k, *members) == \
                theirs.call_bytes(cmd, "g%d" % k, *members), cmd
    mismatches = []
    for _ in range(1500):
        cmd = random_query(rnd, "g%d" % rnd.randrange(3))
        got, want = ours.call_bytes(*cmd), theirs.call_bytes(*cmd)
        if got != want:
            mismatches.append("%s\n  vigil: %r\n  redis: %r" % (" ".join(cmd), got[:300],
                                                                want[:300]))
    assert not mismatches, "%d mismatches, first:\n%s" % (len(mismatches), mismatches[0])


def incr_aof(store):
    path = os.path.join(store.dir, "appendonlydir", "appendonly.aof.1.incr.aof")
    with open(path, "rb") as f:
        return f.read()


def test_geoadd_reaches_the_stream_as_zadd_and_sort_store_as_itself():
    store = vigiltest.start_store("vigil", name="vigil-aof",
                                  extra_args=["--appendonly", "yes", "--appendfsync", "always"])
    c = store.client()
    assert c.execute_command("GEOADD", "pts", "13.361389", "38.115556", "Palermo") == 1
    assert c.execute_command("GEOADD", "pts", "NX", "CH", "1", "1", "Palermo") == 0
    c.rpush("l", 3, 1, 2)
    assert c.execute_command("SORT", "l") == [b"1", b"2", b"3"]
    assert c.execute_command("SORT", "l", "DESC", "STORE", "sorted") == 3
    assert c.execute_command("GEOSEARCHSTORE", "near", "pts", "FROMMEMBER", "Palermo",
                             "BYRADIUS", "1", "km") == 1
    c.set("marker", "end")
    zadd = (b"*4\r\n$4\r\nzadd\r\n$3\r\npts\r\n$16\r\n3479099956230698\r\n"
            b"$7\r\nPalermo\r\n")
    wait_until(lambda: b"marker" in incr_aof(store), 10, "the AOF to hold the last write")
    aof = incr_aof(store)
    assert aof.count(zadd) == 1, aof          # the no-op GEOADD NX wrote nothing
    assert b"GEOADD" not in aof.upper()
    assert aof.count(b"$4\r\nSORT\r\n") == 1   # only the STORE form
    assert b"$5\r\nSTORE\r\n$6\r\nsorted\r\n" in aof
    assert b"$14\r\nGEOSEARCHSTORE\r\n" in aof


def test_a_redis_server_replica_gets_the_same_geo_and_sort_results():
    master = vigiltest.start_store("vigil", name="vigil-master",
                                   extra_args=["--repl-diskless-sync-delay", "0"])
    replica = vigiltest.start_replica_of(master)
    mc, rc = master.client(), replica.client()
    mc.execute_command("GEOADD", "pts", "13.361389", "38.115556", "Palermo",
                       "15.087269", "37.502669", "Catania", "12.5", "37.8", "Marsala")
    raw = master.raw()   # redis-py's GEORADIUS and SORT callbacks want their own arguments
    raw.call("GEORADIUS", "pts", "15", "37", "300", "km", "STOREDIST", "dists")
    mc.execute_command("GEOSEARCHSTORE", "box", "pts", "FROMLONLAT", "14", "38", "BYBOX",
                       "400", "100", "km")
    # A hash-table set (strings, more than a few): its iteration order is each server's own.
    words = ["w%03d" % i for i in range(200)]
    random.Random(SEED).shuffle(words)
    mc.sadd("set", *words)
    assert raw.call("SORT", "set", "BY", "nosort", "STORE", "fromset") == 200
    mc.rpush("list", *words[:20])
    mc.mset({"weight_" + w: i for i, w in enumerate(reversed(words[:20]))})
    raw.call("SORT", "list", "BY", "weight_*", "GET", "#", "GET", "weight_*",
                       "STORE", "bylist")
    mc.set("marker", "end")
    vigiltest.wait_synced(master, replica, what="the writes", require_offset=True)
    assert rc.get("marker") == b"end"
    for key in ("pts", "dists", "box"):
        want = mc.zrange(key, 0, -1, withscores=True)
        assert want and rc.zrange(key, 0, -1, withscores=True) == want, key
    for key in ("fromset", "bylist"):
        want = mc.lrange(key, 0, -1)
        assert want and rc.lrange(key, 0, -1) == want, key
    assert mc.lrange("fromset", 0, -1) == sorted(w.encode() for w in words)
