"""HyperLogLog values move between vigil-store and Debian's redis-server (issue #17, data-folder
portability; docs/persistence.md "HyperLogLog values"): the same PFADD sequence gives the same
GET bytes on both, bytes copied from either server (GET/SET, an RDB file, a full resync) count
and grow on the other, and PFMERGE of a mix of origins gives the same result on both.

Every process is started here and stopped by the test harness; synchronisation is by polling
with a deadline.
"""

import os
import shutil

import vigiltest
from vigiltest import wait_synced

# Sizes on both sides of the sparse limit (3000 bytes): ~1000 registers set is still sparse.
SIZES = {"one": 1, "few": 40, "sparse": 700, "dense": 5000}


def _fill(cli, prefix="h:"):
    for name, n in SIZES.items():
        items = ["%s-%d" % (name, i) for i in range(n)]
        for i in range(0, n, 500):
            cli.pfadd(prefix + name, *items[i:i + 500])
    cli.pfcount(prefix + "few")  # a cached count in the header


def _hlls(cli, prefix="h:"):
    return {name: cli.get(prefix + name) for name in SIZES}


def test_same_adds_give_the_same_bytes_and_copies_work_both_ways():
    ours, theirs = vigiltest.start_store(name="vigil"), vigiltest.start_store("redis", name="redis")
    oc, tc = ours.client(), theirs.client()
    _fill(oc)
    _fill(tc)
    assert _hlls(oc) == _hlls(tc)
    assert oc.strlen("h:sparse") < 3000 and oc.strlen("h:dense") == 12304
    for src, dst in ((oc, tc), (tc, oc)):  # copies are counted and grown on the other side
        for name, value in _hlls(src).items():
            dst.set("copy:" + name, value)
            assert dst.pfcount("copy:" + name) == src.pfcount("h:" + name)
    for cli in (oc, tc):
        cli.pfadd("copy:sparse", *["more-%d" % i for i in range(50)])
        cli.pfmerge("merged", "copy:one", "copy:sparse", "h:few")
        cli.pfmerge("merged-dense", "copy:dense", "h:sparse")
    for key in ("copy:sparse", "merged", "merged-dense"):
        assert oc.get(key) == tc.get(key), key
        assert oc.pfcount(key) == tc.pfcount(key), key
    assert oc.pfcount("copy:one", "h:dense", "merged") == tc.pfcount("copy:one", "h:dense",
                                                                        "merged")


def test_redis_server_loads_and_counts_hlls_from_a_vigil_store_dump(test_dir):
    ours = vigiltest.start_store(name="vigil")
    oc = ours.client()
    _fill(oc)
    assert oc.save()
    folder = vigiltest.new_tmp_dir_in(test_dir, "redis-load")
    shutil.copy(os.path.join(ours.dir, "dump.rdb"), os.path.join(folder, "dump.rdb"))
    theirs = vigiltest.start_store("redis", name="redis-load", data_dir=folder)
    tc = theirs.client()
    assert _hlls(tc) == _hlls(oc)
    for name in SIZES:
        assert tc.pfcount("h:" + name) == oc.pfcount("h:" + name), name
        tc.pfadd("h:" + name, "after-load")
        oc.pfadd("h:" + name, "after-load")
    assert _hlls(tc) == _hlls(oc)


def test_redis_server_replica_counts_hlls_its_vigil_store_master_built():
    master = vigiltest.start_store(name="vigil-master",
                                   extra_args=["--repl-diskless-sync-delay", "0"])
    mc = master.client()
    _fill(mc)  # shipped by the full resync's snapshot
    replica = vigiltest.start_replica_of(master)
    rc = replica.client()
    assert _hlls(rc) == _hlls(mc)
    counts = {name: mc.pfcount("h:" + name) for name in SIZES}  # refreshes caches: propagated
    mc.pfadd("h:sparse", *["stream-%d" % i for i in range(300)])  # the stream after it
    mc.pfmerge("h:merged", "h:few", "h:dense")
    wait_synced(master, replica, what="redis-server to catch up", require_offset=True)
    assert _hlls(rc) == _hlls(mc)
    assert rc.get("h:merged") == mc.get("h:merged")
    assert rc.pfcount("h:merged") == mc.pfcount("h:merged")
    rc.execute_command("REPLICAOF", "NO", "ONE")
    for name, n in counts.items():
        assert rc.pfcount("h:" + name) == mc.pfcount("h:" + name), name
