"""node-redis 6's client-side cache (RESP3 CLIENT TRACKING) against vigil-store and
redis-server: the same reads, hits, misses and invalidations on both
(tests/compat/node/node_redis_cache.js)."""

import json
import os
import subprocess

import vigiltest

SCRIPT = os.path.join(os.path.dirname(__file__), "..", "node", "node_redis_cache.js")


def _run(node_bin, store):
    out = subprocess.run([node_bin, SCRIPT, str(store.port)], capture_output=True, text=True,
                         timeout=60, check=False)
    assert out.returncode == 0, out.stdout + out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_node_redis_client_side_cache(node_bin, proc_group):
    ours = _run(node_bin, vigiltest.start_store("vigil", group=proc_group))
    theirs = _run(node_bin, vigiltest.start_store("redis", group=proc_group))
    assert ours == theirs
    assert ours["values"] == ["v1", "v1", "v2", "v2", None]
    assert ours["hits"] == 2 and ours["tracking"] == 1
