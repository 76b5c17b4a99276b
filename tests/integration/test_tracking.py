"""Client-side caching (CLIENT TRACKING) against redis-server 7.0: scenarios of several
connections, every frame each one receives (replies and RESP3 push / RESP2 pub/sub invalidation
messages) recorded in order and compared byte for byte.

A step is (conn, command...): the command's reply and any push frames before it are recorded.
("sync", conn) sends PING and records what arrived before the PONG (what a RESP2 client
subscribed to __redis__:invalidate was sent, or BCAST messages sent at the end of a loop
iteration). Client ids differ between servers: "{B}" in an argument is conn B's id, and in
the replies of the commands that show ids the id is replaced back by its name.

redis-py 4.3 (Debian's) has no client-side cache, so the RESP3 frames are checked directly.
"""

import re

import pytest

import vigiltest

ID_COMMANDS = {"GETREDIR", "TRACKINGINFO"}


class Scenario:
    def __init__(self, store):
        self.store = store
        self.conns = {}
        self.ids = {}
        self.log = []

    def conn(self, name):
        if name not in self.conns:
            c = self.store.raw()
            self.conns[name] = c
            self.ids[name] = c.call("CLIENT", "ID")
        return self.conns[name]

    def _subst(self, arg):
        return re.sub(r"\{(\w+)\}", lambda m: str(self.ids[m.group(1)]), arg)

    def _unsubst(self, frame):
        for name, cid in self.ids.items():
            frame = frame.replace(b":%d\r\n" % cid, b":<" + name.encode() + b">\r\n")
        return frame

    def _read_until(self, conn, done):
        frames = []
        while True:
            frame = conn.read_reply_bytes()
            frames.append(frame)
            if done(frame):
                return frames

    def step(self, name, *cmd):
        if name == "sync":
            conn = self.conn(cmd[0])
            conn.send_command("PING")
            frames = self._read_until(conn, lambda f: f in (b"+PONG\r\n",) or
                                      f.startswith(b"*2\r\n$4\r\npong\r\n"))
            self.log.append((cmd[0], "sync", frames[:-1]))
            return
        conn = self.conn(name)
        conn.send_command(*[self._subst(a) for a in cmd])
        frames = self._read_until(conn, lambda f: not f.startswith(b">"))
        if cmd[0] == "HELLO" or cmd[:2] == ("CLIENT", "ID"):
            frames = frames[:-1] + [b"<server-specific reply>"]
        elif len(cmd) > 1 and cmd[1].upper() in ID_COMMANDS or any(b"redir-broken" in f
                                                                    for f in frames):
            frames = [self._unsubst(f) for f in frames]
        self.log.append((name, cmd, frames))

    def close(self, name):
        """Close conn `name` and wait until the server has dropped it."""
        self.conns.pop(name).close()
        gone = b"id=%d " % self.ids[name]
        w = self.conn("W")
        vigiltest.wait_until(lambda: gone not in w.call("CLIENT", "LIST"), 10, "the close")


def _run(store, steps):
    sc = Scenario(store)
    sc.conn("W").call("FLUSHALL")
    for st in steps:
        if st[0] == "close":
            sc.close(st[1])
        else:
            sc.step(*st)
    for c in list(sc.conns.values()):
        c.close()
    return sc.log


def _compare(store, redis_store, steps):
    ours, theirs = _run(store, steps), _run(redis_store, steps)
    for a, b in zip(ours, theirs):
        assert a == b
    assert len(ours) == len(theirs)


RESP3_DEFAULT = [
    ("A", "HELLO", "3"), ("A", "CLIENT", "TRACKING", "ON"), ("A", "GET", "k"),
    ("A", "MGET", "k2", "k3"), ("W", "SET", "k", "1"), ("A", "GET", "x"),
    ("W", "MSET", "k2", "1", "k3", "2"), ("A", "PING"), ("W", "SET", "k", "2"),
    ("A", "PING"), ("A", "GET", "k"), ("A", "SET", "k", "3"), ("A", "GET", "k"),
    ("A", "HGET", "h", "f"), ("W", "HSET", "h", "f", "v"), ("A", "EXISTS", "e"),
    ("W", "SET", "e", "1"), ("A", "CLIENT", "TRACKINGINFO"), ("A", "CLIENT", "GETREDIR"),
    ("A", "GET", "f"), ("W", "FLUSHALL"), ("A", "PING"), ("A", "GET", "g"), ("A", "FLUSHDB"),
    ("A", "CLIENT", "TRACKING", "OFF"), ("A", "GET", "k"), ("W", "SET", "k", "x"),
    ("A", "PING"), ("A", "CLIENT", "TRACKINGINFO"),
]

RESP3_NOLOOP_OPTIN_OPTOUT = [
    ("A", "HELLO", "3"), ("A", "CLIENT", "TRACKING", "ON", "NOLOOP"), ("A", "GET", "k"),
    ("A", "SET", "k", "1"), ("A", "PING"), ("W", "SET", "k", "2"), ("A", "PING"),
    ("A", "CLIENT", "TRACKINGINFO"),
    ("B", "HELLO", "3"), ("B", "CLIENT", "TRACKING", "ON", "OPTIN"), ("B", "GET", "a"),
    ("B", "CLIENT", "CACHING", "YES"), ("B", "GET", "b"), ("B", "GET", "c"),
    ("W", "MSET", "a", "1", "b", "1", "c", "1"), ("B", "PING"), ("B", "CLIENT", "TRACKINGINFO"),
    ("B", "CLIENT", "CACHING", "NO"),
    ("C", "HELLO", "3"), ("C", "CLIENT", "TRACKING", "ON", "OPTOUT"),
    ("C", "CLIENT", "CACHING", "NO"), ("C", "GET", "a"), ("C", "GET", "b"),
    ("W", "MSET", "a", "2", "b", "2"), ("C", "PING"), ("C", "CLIENT", "TRACKINGINFO"),
    ("C", "CLIENT", "CACHING", "YES"), ("C", "CLIENT", "CACHING", "maybe"),
    ("W", "CLIENT", "CACHING", "YES"),
]

RESP3_BCAST = [
    ("A", "HELLO", "3"), ("A", "CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "user:",
                          "PREFIX", "obj:"),
    ("A", "CLIENT", "TRACKINGINFO"), ("W", "SET", "user:1", "x"), ("W", "SET", "other", "x"),
    ("sync", "A"), ("W", "MSET", "obj:1", "1", "obj:2", "2", "user:9", "3"), ("sync", "A"),
    ("B", "HELLO", "3"), ("B", "CLIENT", "TRACKING", "ON", "BCAST"),
    ("B", "CLIENT", "TRACKINGINFO"), ("W", "SET", "z", "1"),
    ("sync", "B"), ("B", "SET", "z", "2"), ("sync", "B"),
    ("C", "HELLO", "3"), ("C", "CLIENT", "TRACKING", "ON", "BCAST", "NOLOOP"),
    ("C", "SET", "q", "1"), ("sync", "C"), ("W", "SET", "q", "2"), ("sync", "C"),
    ("A", "CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "user"),
    ("A", "CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "new:"), ("A", "CLIENT", "TRACKINGINFO"),
    ("W", "FLUSHALL"), ("sync", "A"), ("sync", "B"),
]

RESP2_REDIRECT = [
    ("R", "CLIENT", "ID"), ("R", "SUBSCRIBE", "__redis__:invalidate"),
    ("A", "CLIENT", "TRACKING", "ON", "REDIRECT", "{R}"), ("A", "GET", "k"),
    ("A", "CLIENT", "GETREDIR"), ("A", "CLIENT", "TRACKINGINFO"), ("W", "SET", "k", "1"),
    ("sync", "R"), ("A", "GET", "k"), ("W", "DEL", "k"), ("sync", "R"), ("W", "FLUSHALL"),
    ("sync", "R"), ("B", "CLIENT", "TRACKING", "ON", "BCAST", "REDIRECT", "{R}"),
    ("W", "SET", "k", "2"), ("sync", "R"), ("close", "R"), ("A", "GET", "k"),
    ("W", "SET", "k", "3"), ("A", "CLIENT", "TRACKINGINFO"),
    ("C", "HELLO", "3"), ("D", "CLIENT", "ID"),
    ("C", "CLIENT", "TRACKING", "ON", "REDIRECT", "{D}"), ("C", "GET", "m"), ("close", "D"),
    ("W", "SET", "m", "1"), ("C", "PING"), ("W", "SET", "m", "2"), ("C", "PING"),
    ("C", "CLIENT", "TRACKINGINFO"),
    ("E", "CLIENT", "TRACKING", "ON"), ("E", "GET", "k"), ("W", "SET", "k", "4"), ("E", "PING"),
]

ERRORS = [
    ("A", "CLIENT", "TRACKING"), ("A", "CLIENT", "TRACKING", "MAYBE"),
    ("A", "CLIENT", "TRACKING", "ON", "REDIRECT", "999999"),
    ("A", "CLIENT", "TRACKING", "ON", "REDIRECT", "abc"),
    ("A", "CLIENT", "TRACKING", "ON", "REDIRECT", "{A}"),
    ("A", "CLIENT", "TRACKING", "ON", "PREFIX", "x"),
    ("A", "CLIENT", "TRACKING", "ON", "OPTIN", "OPTOUT"),
    ("A", "CLIENT", "TRACKING", "ON", "BCAST", "OPTIN"),
    ("A", "CLIENT", "TRACKING", "ON", "BCAST", "PREFIX"),
    ("A", "CLIENT", "TRACKING", "ON", "NOPE"), ("A", "CLIENT", "TRACKING", "OFF", "BCAST"),
    ("A", "CLIENT", "TRACKING", "ON"), ("A", "CLIENT", "TRACKING", "ON", "OPTIN"),
    ("A", "CLIENT", "TRACKING", "ON", "BCAST"), ("A", "CLIENT", "CACHING", "YES"),
    ("A", "CLIENT", "CACHING"), ("A", "CLIENT", "GETREDIR", "x"), ("A", "CLIENT", "TRACKINGINFO"),
    ("A", "CLIENT", "TRACKING", "OFF"),
    ("A", "CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "ab", "PREFIX", "a"),
    ("A", "CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "a", "PREFIX", "a"),
    ("A", "CLIENT", "TRACKINGINFO"), ("A", "CLIENT", "TRACKING", "OFF"),
    ("A", "CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "a"),
    ("A", "CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "abc"),
    ("A", "CLIENT", "TRACKING", "ON", "PREFIX", "zz"),
    ("A", "CLIENT", "TRACKING", "ON", "OPTIN"),
]

RESET_SWAPDB = [
    ("A", "HELLO", "3"), ("A", "CLIENT", "TRACKING", "ON"), ("A", "GET", "k"),
    ("W", "SWAPDB", "0", "1"), ("A", "PING"), ("W", "SELECT", "1"), ("W", "SET", "k", "1"),
    ("A", "PING"), ("A", "GET", "k"), ("A", "RESET"), ("A", "CLIENT", "TRACKINGINFO"),
    ("W", "SET", "k", "2"), ("A", "HELLO", "3"), ("A", "PING"),
]

SCRIPTS_MULTI = [
    ("A", "HELLO", "3"), ("A", "CLIENT", "TRACKING", "ON"), ("A", "GET", "a"), ("A", "GET", "b"),
    ("W", "EVAL", "redis.call('SET', KEYS[1], 1); redis.call('SET', KEYS[2], 1)", "2", "a", "b"),
    ("A", "PING"), ("A", "GET", "a"), ("A", "MULTI"), ("A", "GET", "c"), ("A", "SET", "a", "2"),
    ("A", "EXEC"), ("A", "PING"), ("W", "SET", "c", "1"), ("A", "PING"),
    ("A", "EVAL", "return redis.call('GET', KEYS[1])", "1", "s"), ("W", "SET", "s", "1"),
    ("A", "PING"),
]


@pytest.mark.parametrize("name,steps", [
    ("resp3_default", RESP3_DEFAULT), ("resp3_noloop_optin_optout", RESP3_NOLOOP_OPTIN_OPTOUT),
    ("resp3_bcast", RESP3_BCAST), ("resp2_redirect", RESP2_REDIRECT), ("errors", ERRORS),
    ("scripts_multi", SCRIPTS_MULTI), ("reset_swapdb", RESET_SWAPDB),
])
def test_tracking_frames_match_redis(store, redis_store, name, steps):
    _compare(store, redis_store, steps)


def _expiry_invalidates(store):
    with store.raw() as a, store.raw() as w:
        w.call("SET", "e", "1", "PX", "200")
        a.call("HELLO", "3")
        a.call("CLIENT", "TRACKING", "ON")
        a.call("GET", "e")
        return a.read_reply_bytes(timeout_s=10)  # active expiry finds it unread


def test_expiry_sends_invalidation(store, redis_store):
    assert _expiry_invalidates(store) == _expiry_invalidates(redis_store) == (
        b">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\ne\r\n")


def _info_fields(conn):
    text = conn.call("INFO").decode()
    fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
    return {k: fields[k] for k in ("tracking_clients", "tracking_total_keys",
                                   "tracking_total_items", "tracking_total_prefixes")}


def _info_after_tracking(store):
    with store.raw() as a, store.raw() as b, store.raw() as c, store.raw() as w:
        w.call("FLUSHALL")
        before = _info_fields(w)
        a.call("CLIENT", "TRACKING", "ON")
        a.call("MGET", "k1", "k2", "k3")
        c.call("CLIENT", "TRACKING", "ON")
        c.call("GET", "k1")
        b.call("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "x", "PREFIX", "y")
        b.call("CLIENT", "NO-EVICT", "on")  # flags "tBe": the tracking letters' place
        during = _info_fields(w)
        flags = [re.search(rb"flags=(\S+) .* redir=(\S+) ", line).groups()
                 for line in w.call("CLIENT", "LIST").splitlines()]
        w.call("SET", "k1", "v")
        b.call("CLIENT", "TRACKING", "OFF")
        after = _info_fields(w)
        return before, during, sorted(flags), after


def test_info_and_client_list_match_redis(store, redis_store):
    ours, theirs = _info_after_tracking(store), _info_after_tracking(redis_store)
    assert ours == theirs
    assert theirs[1]["tracking_total_items"] == "4"


def _table_limit(store):
    with store.raw() as a, store.raw() as w:
        w.call("FLUSHALL")
        out = [w.call_bytes("CONFIG", "GET", "tracking-table-max-keys")]
        out.append(w.call_bytes("CONFIG", "SET", "tracking-table-max-keys", "-1"))
        out.append(w.call_bytes("CONFIG", "SET", "tracking-table-max-keys", "2"))
        a.call("HELLO", "3")
        a.call("CLIENT", "TRACKING", "ON")
        a.call("MGET", "k1", "k2", "k3", "k4", "k5")
        vigiltest.wait_until(lambda: _info_fields(w)["tracking_total_keys"] == "2", 10,
                             "the table back under its limit")
        dropped = set()
        for _ in range(3):
            push = a.read_reply()
            assert push[0] == b"invalidate"
            dropped.update(push[1])
        w.call("CONFIG", "SET", "tracking-table-max-keys", "1000000")
        return out, len(dropped), _info_fields(w)


def test_table_limit_drops_keys_with_invalidations(store, redis_store):
    assert _table_limit(store) == _table_limit(redis_store)


def _replica_invalidation(kind, proc_group):
    """A tracking client of a replica is told when the master's stream changes its key."""
    master = vigiltest.start_store(kind, group=proc_group)
    replica = vigiltest.start_store(kind, group=proc_group)
    with replica.raw() as r, master.raw() as m, replica.raw() as a:
        assert r.call("REPLICAOF", master.host, str(master.port)) == "OK"
        m.call("SET", "k", "1")
        vigiltest.wait_until(lambda: r.call("GET", "k") == b"1", 20, "the replica to sync")
        a.call("HELLO", "3")
        a.call("CLIENT", "TRACKING", "ON")
        assert a.call("GET", "k") == b"1"
        m.call("SET", "k", "2")
        return a.read_reply_bytes(timeout_s=10)


def test_master_stream_invalidates_on_a_replica(proc_group):
    expected = b">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n"
    assert _replica_invalidation("redis", proc_group) == expected
    assert _replica_invalidation("vigil", proc_group) == expected


def _eviction_invalidates(store):
    """Keys a client read are evicted (volatile-random: only they have a TTL); each eviction
    is an invalidation of one of them, and nothing else is sent."""
    with store.raw() as a, store.raw() as w:
        w.call("FLUSHALL")
        for i in range(50):
            w.call("SET", "big:%d" % i, "x" * 2000, "EX", "1000")
        a.call("HELLO", "3")
        a.call("CLIENT", "TRACKING", "ON")
        for i in range(50):
            a.call("GET", "big:%d" % i)
        used = int(_info_all(w)["used_memory"])
        w.call("CONFIG", "SET", "maxmemory-policy", "volatile-random")
        w.call("CONFIG", "SET", "maxmemory", str(used + 20000))
        for i in range(10000):  # bounded: ~20 MB of writes against a 20 KB margin
            if int(_info_all(w)["evicted_keys"]) >= 10:
                break
            w.call("SET", "fill:%d" % i, "y" * 2000)
        assert int(_info_all(w)["evicted_keys"]) >= 10, "nothing evicted"
        w.call("CONFIG", "SET", "maxmemory", "0")
        evicted = int(_info_all(w)["evicted_keys"])
        gone = set()
        for _ in range(evicted):
            push = a.read_reply(timeout_s=10)
            assert push[0] == b"invalidate" and len(push[1]) == 1
            gone.add(push[1][0])
        assert all(k.startswith(b"big:") and w.call("EXISTS", k) == 0 for k in gone)
        assert a.call("PING") == "PONG"  # and no other message before it
        return len(gone) == evicted


def _info_all(conn):
    text = conn.call("INFO").decode()
    return dict(line.split(":", 1) for line in text.splitlines() if ":" in line)


def test_eviction_invalidates(store, redis_store):
    assert _eviction_invalidates(store)
    assert _eviction_invalidates(redis_store)
