"""Shard channels without cluster mode (SSUBSCRIBE, SUNSUBSCRIBE, SPUBLISH, PUBSUB SHARDCHANNELS
and SHARDNUMSUB): a namespace of their own, "smessage" frames in RESP2 and RESP3, replicated to
a replica's shard subscribers as PUBLISH is.

Every test also runs against redis-server with VIGIL_TARGET=redis, which checks the tests.
"""

import vigiltest
from vigiltest import wait_until


def test_spublish_reaches_shard_subscribers_only_in_both_protocols(store):
    resp2, resp3, plain, pattern = store.raw(), store.raw(), store.raw(), store.raw()
    resp3.call("HELLO", "3")
    assert resp2.call_bytes("SSUBSCRIBE", "ch") == b"*3\r\n$10\r\nssubscribe\r\n$2\r\nch\r\n:1\r\n"
    assert resp3.call_bytes("SSUBSCRIBE", "ch") == b">3\r\n$10\r\nssubscribe\r\n$2\r\nch\r\n:1\r\n"
    plain.call("SUBSCRIBE", "ch")
    pattern.call("PSUBSCRIBE", "*")
    pub = store.raw()
    assert pub.call("SPUBLISH", "ch", "hello") == 2
    assert resp2.read_reply_bytes(timeout_s=10) == b"*3\r\n$8\r\nsmessage\r\n$2\r\nch\r\n$5\r\nhello\r\n"
    assert resp3.read_reply_bytes(timeout_s=10) == b">3\r\n$8\r\nsmessage\r\n$2\r\nch\r\n$5\r\nhello\r\n"
    # PUBLISH on the same name reaches the plain and pattern subscribers, not the shard ones.
    assert pub.call("PUBLISH", "ch", "m2") == 2
    assert plain.read_reply_bytes(timeout_s=10) == b"*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nm2\r\n"
    assert pattern.read_reply_bytes(timeout_s=10).startswith(b"*4\r\n$8\r\npmessage\r\n")
    # Nothing reached the shard subscriber: the next frame it reads is a later SPUBLISH (one
    # publisher, one server: it would have been queued after the PUBLISH's message).
    assert pub.call("SPUBLISH", "ch", "after") == 2
    after = b"3\r\n$8\r\nsmessage\r\n$2\r\nch\r\n$5\r\nafter\r\n"
    assert resp2.read_reply_bytes(timeout_s=10) == b"*" + after
    assert resp3.read_reply_bytes(timeout_s=10) == b">" + after
    assert pub.call("PUBSUB", "SHARDCHANNELS") == [b"ch"]
    assert pub.call_bytes("PUBSUB", "SHARDNUMSUB", "ch", "x") == (
        b"*4\r\n$2\r\nch\r\n:2\r\n$1\r\nx\r\n:0\r\n")
    info = pub.call("INFO", "stats").decode()
    assert "pubsubshard_channels:1\r\n" in info
    assert b"ssub=1" in pub.call("CLIENT", "LIST")


def test_shard_counts_are_their_own_and_keep_resp2_subscribed_mode(store):
    conn = store.raw()
    conn.call("SUBSCRIBE", "x")
    assert conn.call_bytes("SSUBSCRIBE", "y") == b"*3\r\n$10\r\nssubscribe\r\n$1\r\ny\r\n:1\r\n"
    assert conn.call_bytes("UNSUBSCRIBE") == b"*3\r\n$11\r\nunsubscribe\r\n$1\r\nx\r\n:0\r\n"
    # Still subscribed (to y): PING answers in the subscribed-mode shape.
    assert conn.call_bytes("PING") == b"*2\r\n$4\r\npong\r\n$0\r\n\r\n"
    assert conn.call_bytes("SUNSUBSCRIBE") == b"*3\r\n$12\r\nsunsubscribe\r\n$1\r\ny\r\n:0\r\n"
    assert conn.call_bytes("PING") == b"+PONG\r\n"
    assert conn.call_bytes("SUNSUBSCRIBE") == b"*3\r\n$12\r\nsunsubscribe\r\n$-1\r\n:0\r\n"


def test_spublish_is_replicated_to_the_replicas_shard_subscribers(proc_group):
    kind = vigiltest.target_kind()
    master = vigiltest.start_store(kind, group=proc_group)
    replica = vigiltest.start_store(
        kind, group=proc_group, extra_args=("--replicaof", "127.0.0.1 %d" % master.port))
    admin = replica.raw()
    wait_until(lambda: b"master_link_status:up" in admin.call("INFO", "replication"), 20,
               "the replica's link up")
    sub = replica.raw()
    sub.call("SSUBSCRIBE", "news")
    assert master.raw().call("SPUBLISH", "news", "hi") == 0  # no subscriber on the master
    assert sub.read_reply_bytes(timeout_s=10) == b"*3\r\n$8\r\nsmessage\r\n$4\r\nnews\r\n$2\r\nhi\r\n"
