"""The daemons' files in a folder another local user may write to (the daemon often runs as root).

A symlink planted at a temp or append name must never make the daemon write through it, and a
folder that anyone may write to without the sticky bit is refused at start (see README, `dir`).
"""

import os
import subprocess

import vigiltest


def _victim(folder):
    path = os.path.join(folder, "victim")
    with open(path, "w") as f:
        f.write("precious")
    return path


def _read(path):
    with open(path) as f:
        return f.read()


def test_config_rewrite_does_not_follow_a_symlink_at_its_old_temp_name(store):
    victim = _victim(store.dir)
    # The name CONFIG REWRITE used before: <dir>/vigil-store.overrides.yaml.tmp.<pid>.
    planted = os.path.join(store.dir, "vigil-store.overrides.yaml.tmp.%d" % store.proc.pid)
    os.symlink(victim, planted)
    assert store.client().execute_command("CONFIG", "REWRITE") == b"OK"
    assert _read(victim) == "precious"
    overrides = os.path.join(store.dir, "vigil-store.overrides.yaml")
    assert os.path.isfile(overrides) and not os.path.islink(overrides)
    leftovers = [n for n in os.listdir(store.dir) if ".tmp" in n and n != os.path.basename(planted)]
    assert leftovers == []


def _start_refused(args, folder):
    os.chmod(folder, 0o777)
    done = subprocess.run(args, stdin=subprocess.DEVNULL, capture_output=True, timeout=30)
    text = (done.stdout + done.stderr).decode(errors="replace")
    assert done.returncode == 1, text
    assert "anyone may write to it and it has no sticky bit" in text, text


def test_store_refuses_a_world_writable_dir_without_sticky_bit(test_dir):
    folder = vigiltest.new_tmp_dir_in(test_dir, "open-dir")
    binary = vigiltest.require_binary(vigiltest.vigil_binary("vigil-store"))
    _start_refused([binary, "--port", str(vigiltest.free_port()), "--dir", folder], folder)


def test_store_accepts_a_sticky_world_writable_dir(test_dir):
    folder = vigiltest.new_tmp_dir_in(test_dir, "sticky-dir")
    os.chmod(folder, 0o1777)
    s = vigiltest.start_store(data_dir=folder)
    assert s.client().ping()


def test_sentinel_refuses_a_world_writable_dir_without_sticky_bit(test_dir):
    folder = vigiltest.new_tmp_dir_in(test_dir, "open-dir")
    binary = vigiltest.require_binary(vigiltest.vigil_binary("vigil-sentinel"))
    _start_refused([binary, "--port", str(vigiltest.free_port()), "--dir", folder], folder)


def test_disk_based_full_sync_does_not_write_through_a_symlink_at_its_snapshot_name():
    # The master writes a disk-based full-sync snapshot to <dir>/temp-repl-<pid>.rdb: a link
    # planted there must be replaced, its target left alone.
    master = vigiltest.start_store(extra_args=["--repl-diskless-sync", "no"], name="master")
    victim = _victim(master.dir)
    planted = os.path.join(master.dir, "temp-repl-%d.rdb" % master.proc.pid)
    os.symlink(victim, planted)
    mc = master.client()
    for i in range(100):
        mc.set("k%d" % i, "v%d" % i)
    replica = vigiltest.start_store(extra_args=["--replicaof", "127.0.0.1 %d" % master.port],
                                    name="replica")
    rc = replica.client()
    vigiltest.wait_until(lambda: rc.dbsize() == 100, 20, "the replica to load the snapshot")
    assert rc.get("k7") == b"v7"
    assert _read(victim) == "precious"
