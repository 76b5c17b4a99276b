"""ACL users in vigil-store (docs/acl.md), beyond what the differential corpus
(tests/compat/diff/acl.txt) compares byte for byte with redis-server:

- COMMAND INFO's ACL categories equal redis-server's for every command we list;
- users from the YAML config (`users:`), requirepass as the default user's password (CONFIG SET
  requirepass changes it), CLIENT LIST's user=, the users' passwords kept out of the log;
- an aclfile: ACL SAVE writes it, ACL LOAD reads it, a user it drops loses its connections;
  aclfile and users together refuse to start;
- ACL DELUSER closes the user's connections;
- a replica syncing as a named user (masteruser/masterauth) from a master whose default user is
  off;
- DEBUG and CONFIG SET of protected settings refused from another host, allowed from loopback
  under "local" (network namespaces the test creates; needs root, allow-listed skip otherwise).
"""

import os
import subprocess

import pytest
import redis

import vigiltest
from vigiltest import procs, wait_until

HOST = "127.0.0.1"


def command_categories(client, name):
    """The ACL categories of COMMAND INFO, and whether its flags say movablekeys (the keys'
    positions depend on the arguments: what a client's key extraction relies on)."""
    info = client.execute_command("COMMAND", "INFO", name)
    if not info or info[0] is None:
        return None
    flags = [f.decode() if isinstance(f, bytes) else f for f in info[0][2]]
    cats = [c.decode() if isinstance(c, bytes) else c for c in info[0][6]]
    return cats, "movablekeys" in flags


def raw_client(store, **kw):
    c = redis.Redis(host=HOST, port=store.port, **kw)
    c.response_callbacks.pop("COMMAND", None)   # redis-py parses COMMAND its own way
    return c


def test_command_info_categories_and_movablekeys_equal_redis_for_every_listed_command(proc_group):
    ours = vigiltest.start_store("vigil", group=proc_group)
    ref = vigiltest.start_store("redis", group=proc_group)
    mine, theirs = raw_client(ours), raw_client(ref)
    names = [n.decode() for n in mine.execute_command("COMMAND", "LIST")]
    compared, differ = 0, []
    for name in names:
        want = command_categories(theirs, name)
        if want is None:      # a command Redis 7.0 does not have (VIGIL, DEBUG's subcommands)
            continue
        got = command_categories(mine, name)
        compared += 1
        if got != want:
            differ.append((name, got, want))
    assert differ == []
    assert compared > 200 and "acl|setuser" in names


def write_yaml(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


def test_users_from_the_config_and_requirepass_as_the_default_password(proc_group, test_dir):
    cfg = write_yaml(os.path.join(test_dir, "store.yaml"),
                     "requirepass: defpw-Q7\n"
                     "users:\n"
                     "  - user alice on >alice-secret-X9 ~app:* +@read +@write -flushall\n"
                     "  - user bob off >bob-pw ~* +@all\n")
    s = vigiltest.start_store("vigil", group=proc_group, config=cfg)
    anon = redis.Redis(host=HOST, port=s.port)
    with pytest.raises(redis.AuthenticationError):
        anon.ping()
    alice = redis.Redis(host=HOST, port=s.port, username="alice", password="alice-secret-X9")
    assert alice.set("app:1", "v") and alice.get("app:1") == b"v"
    with pytest.raises(redis.exceptions.NoPermissionError, match="keys used as arguments"):
        alice.get("other")
    with pytest.raises(redis.exceptions.NoPermissionError, match="'flushall' command"):
        alice.flushall()
    with pytest.raises(redis.ResponseError, match="WRONGPASS"):   # bob is off
        redis.Redis(host=HOST, port=s.port, username="bob", password="bob-pw").ping()
    admin = redis.Redis(host=HOST, port=s.port, password="defpw-Q7")
    lines = admin.execute_command("CLIENT", "LIST").decode()
    assert "user=alice" in lines and "user=default" in lines
    # requirepass is the default user's password: CONFIG SET changes it at once
    admin.config_set("requirepass", "newpw-R2")
    redis.Redis(host=HOST, port=s.port, password="newpw-R2").ping()
    with pytest.raises(redis.ResponseError, match="WRONGPASS"):
        redis.Redis(host=HOST, port=s.port, password="defpw-Q7").ping()
    # the config's users are a secret: CONFIG GET and the log never show the passwords
    assert "alice-secret-X9" not in str(admin.config_get("users"))
    assert "alice-secret-X9" not in s.proc.log_text()


def test_aclfile_save_load_and_a_dropped_user_loses_its_connections(proc_group, test_dir):
    path = os.path.join(test_dir, "users.acl")
    with open(path, "w") as f:
        f.write("user default on nopass ~* &* +@all\nuser carol on >cpw ~* +@all\n")
    s = vigiltest.start_store("vigil", group=proc_group, extra_args=["--aclfile", path])
    admin = redis.Redis(host=HOST, port=s.port)
    carol = redis.Redis(host=HOST, port=s.port, username="carol", password="cpw",
                        single_connection_client=True)
    assert carol.ping()
    admin.execute_command("ACL", "SETUSER", "dave", "on", ">dpw", "~d:*", "+get")
    with open(path) as f:
        assert "dave" not in f.read()          # as Redis: the file changes on ACL SAVE only
    assert admin.execute_command("ACL", "SAVE") == b"OK"
    with open(path) as f:
        text = f.read()
    assert "user dave on #" in text and "dpw" not in text
    # the operator edits the file: carol goes; ACL LOAD applies it and, as Redis 7.0, closes
    # the links of every named user (dave's too, though the file kept him), not default's
    dave = redis.Redis(host=HOST, port=s.port, username="dave", password="dpw",
                       single_connection_client=True)
    assert dave.get("d:1") is None
    with open(path, "w") as f:
        f.write("user default on nopass ~* &* +@all\nuser dave on >dpw ~d:* +get\n")
    assert admin.execute_command("ACL", "LOAD") == b"OK"
    assert admin.execute_command("ACL", "USERS") == [b"dave", b"default"]
    for gone in (carol, dave):
        with pytest.raises(redis.ConnectionError):
            gone.ping() if gone is carol else gone.get("d:1")
    # a file that does not parse changes nothing
    with open(path, "w") as f:
        f.write("user dave on +nosuch\n")
    with pytest.raises(redis.ResponseError, match="the user list was not changed"):
        admin.execute_command("ACL", "LOAD")
    assert admin.execute_command("ACL", "USERS") == [b"dave", b"default"]


def test_check_config_applies_the_users_rules(test_dir):
    binary = vigiltest.vigil_binary("vigil-store")
    bad = write_yaml(os.path.join(test_dir, "bad.yaml"),
                     "users:\n  - user a on nopass ~*\n  - user b on +nosuch\n")
    out = subprocess.run([binary, "--check-config", bad, "--dir", test_dir],
                         capture_output=True, text=True, timeout=10)
    assert out.returncode == 1
    assert ("user line 2: Error in ACL SETUSER modifier '+nosuch': Unknown command or category "
            "name in ACL") in out.stderr, out.stderr
    good = write_yaml(os.path.join(test_dir, "good.yaml"),
                      "users:\n  - user a on nopass ~* +@read\n")
    out = subprocess.run([binary, "--check-config", good, "--dir", test_dir],
                         capture_output=True, text=True, timeout=10)
    assert out.returncode == 0 and "configuration OK" in out.stdout, out.stderr


def test_aclfile_and_config_users_together_refuse_to_start(test_dir):
    cfg = write_yaml(os.path.join(test_dir, "both.yaml"),
                     "aclfile: %s\nusers:\n  - user x on nopass\n"
                     % os.path.join(test_dir, "users.acl"))
    binary = vigiltest.vigil_binary("vigil-store")
    out = subprocess.run([binary, cfg, "--port", "0", "--dir", test_dir], capture_output=True,
                         text=True, timeout=10)
    assert out.returncode != 0
    assert "users and aclfile are both set" in out.stdout + out.stderr


def test_deluser_closes_the_users_connections(store):
    admin = redis.Redis(host=HOST, port=store.port)
    admin.execute_command("ACL", "SETUSER", "eve", "on", ">epw", "~*", "+@all")
    eve = redis.Redis(host=HOST, port=store.port, username="eve", password="epw",
                      single_connection_client=True)
    assert eve.ping()
    assert admin.execute_command("ACL", "DELUSER", "eve") == 1
    with pytest.raises(redis.ConnectionError):
        eve.ping()


def test_setuser_closes_subscribers_whose_channels_are_no_longer_granted(store):
    admin = redis.Redis(host=HOST, port=store.port)
    admin.execute_command("ACL", "SETUSER", "ps", "on", ">pw", "~*", "&ch*", "+@all")
    subs = {}
    for kind, name in (("subscribe", "ch1"), ("psubscribe", "ch*")):
        p = redis.Redis(host=HOST, port=store.port, username="ps", password="pw").pubsub()
        getattr(p, kind)(name)
        wait_until(lambda: p.get_message(timeout=0.1) is not None, 5, kind)
        subs[kind] = p
    # ch1 is still granted, the pattern ch* no longer is (a pattern must be granted literally)
    admin.execute_command("ACL", "SETUSER", "ps", "resetchannels", "&ch1")
    subs["subscribe"].ping()
    wait_until(lambda: subs["subscribe"].get_message(timeout=0.1) is not None, 5, "the PONG")
    with pytest.raises(redis.ConnectionError):
        subs["psubscribe"].ping()
        subs["psubscribe"].get_message(timeout=10)  # returns at the close, not after 10 s
    for p in subs.values():
        p.close()


def test_a_replica_syncs_as_a_named_user(proc_group, test_dir):
    cfg = write_yaml(os.path.join(test_dir, "master.yaml"),
                     "users:\n"
                     "  - user default off\n"
                     "  - user admin on >apw ~* &* +@all\n"
                     "  - user repl on >rpw +psync +replconf +ping\n")
    master = vigiltest.start_store("vigil", group=proc_group, config=cfg)
    m = redis.Redis(host=HOST, port=master.port, username="admin", password="apw")
    m.set("k", "v1")
    replica = vigiltest.start_store("vigil", group=proc_group, extra_args=[
        "--replicaof", "%s %d" % (HOST, master.port), "--masteruser", "repl",
        "--masterauth", "rpw"])
    r = redis.Redis(host=HOST, port=replica.port)
    wait_until(lambda: r.get("k") == b"v1", 10, "the replica to sync as user repl")
    m.set("k", "v2")
    wait_until(lambda: r.get("k") == b"v2", 10, "the replica to follow the stream")
    # the replication user may not run anything else
    repl = redis.Redis(host=HOST, port=master.port, username="repl", password="rpw")
    with pytest.raises(redis.exceptions.NoPermissionError):
        repl.get("k")


# ---- safe defaults from another host ------------------------------------------------------

# The namespaces and veth pair of the master-lease test: the store alone in one, a remote
# client in the other.
_netns = vigiltest.load_sibling(__file__, "test_master_lease_netns.py")
netns_available, ADDR_A = _netns.netns_available, _netns.ADDR_A


def cli(ns, names, host, port, *args):
    return names.run(ns, "redis-cli", "-h", host, "-p", port, *args).strip()


DEBUG_REFUSED = ('ERR DEBUG command not allowed. If the enable-debug-command option is set to '
                 '"local", you can run it from a local connection, otherwise you need to set this '
                 'option in the configuration file, and then restart the server.')


@pytest.mark.skipif(not netns_available(), reason="needs root and ip netns")
def test_debug_and_protected_configs_are_refused_from_another_host(proc_group):
    hosts = _netns.TwoNamespaces()
    try:
        d = procs.new_tmp_dir_in(proc_group.dir, "store")
        port = 6390
        procs.Proc(["ip", "netns", "exec", hosts.a, vigiltest.vigil_binary("vigil-store"),
                    "--port", port, "--bind", "127.0.0.1 %s" % ADDR_A, "--save", "",
                    "--appendonly", "no", "--dir", d, "--protected-mode", "no",
                    "--enable-debug-command", "local", "--enable-protected-configs", "local"],
                   name="vigil-store", cwd=d, group=proc_group)
        def remote(*args):
            return cli(hosts.b, hosts, ADDR_A, port, *args)

        def local(*args):
            return cli(hosts.a, hosts, "127.0.0.1", port, *args)

        wait_until(lambda: local("PING") == "PONG", 10, "the store in its namespace")
        assert remote("PING") == "PONG"
        assert remote("DEBUG", "SLEEP", "0") == DEBUG_REFUSED
        assert remote("CONFIG", "SET", "dbfilename", "x.rdb") == (
            "ERR CONFIG SET failed (possibly related to argument 'dbfilename') - can't set "
            "protected config")
        assert local("DEBUG", "SLEEP", "0") == "OK"
        assert local("CONFIG", "SET", "dbfilename", "x.rdb") == "OK"
        assert remote("CONFIG", "GET", "dbfilename") == "dbfilename\nx.rdb"
    finally:
        proc_group.stop_all()
        hosts.close()


# ---- the sentinel's user ------------------------------------------------------------------

def test_the_sentinels_plan_names_a_permission_its_user_lacks(proc_group, test_dir):
    """The sentinel checks with ACL DRYRUN that its user (auth-user) may run what a failover
    needs on every node; a replica it could not reconfigure is never a candidate, and plan
    (HTTP and vigilctl) says which command is missing where."""
    from vigiltest import deploy
    users = ("users:\n"
             "  - user default off\n"
             "  - user admin on >apw ~* &* +@all\n"
             "  - user sent on >spw ~* &* +@all %s\n")
    master = vigiltest.start_store("vigil", group=proc_group, config=write_yaml(
        os.path.join(test_dir, "m.yaml"), users % ""))
    replica = vigiltest.start_store("vigil", group=proc_group, config=write_yaml(
        os.path.join(test_dir, "r.yaml"),
        users % "-config" + "replicaof: 127.0.0.1 %d\nmasteruser: admin\nmasterauth: apw\n"
        % master.port))
    r = redis.Redis(host=HOST, port=replica.port, username="admin", password="apw")
    wait_until(lambda: r.info("replication")["master_link_status"] == "up", 10, "the replica")
    sdir = procs.new_tmp_dir_in(proc_group.dir, "sentinel")
    port, http_port = procs.free_port(), procs.free_port()
    yaml_path = os.path.join(sdir, "sentinel.yaml")
    deploy.write_sentinel_yaml(yaml_path, port, sdir, master.port, quorum=1, http_port=http_port,
                               token=deploy.TOKEN,
                               master_extra="    auth-user: sent\n    auth-pass: spw\n")
    s = deploy.start_sentinel(proc_group, master.port, quorum=1, port=port, http_port=http_port,
                              data_dir=sdir, yaml_path=yaml_path)
    where = "replica 127.0.0.1:%d" % replica.port

    def plan():
        reply = s.get("/v1/masters/%s/plan" % deploy.MASTER_NAME)
        assert reply.status == 200
        return reply.json

    wait_until(lambda: any(where in b for b in plan()["blockers"]), 15,
               "plan to name the replica's missing permission")
    p = plan()
    line = [b for b in p["blockers"] if where in b][0]
    assert "may not run CONFIG REWRITE" in line and "SLAVEOF" not in line, line
    assert p["would_promote"] is None
    assert {"ip": "127.0.0.1", "port": replica.port,
            "reason": "this sentinel's user may not reconfigure it (ACL)"} in [
                {k: e.get(k) for k in ("ip", "port", "reason")} for e in p["excluded"]]
    assert not any("127.0.0.1:%d" % master.port in b for b in p["blockers"])
    # Logged once the node's last probe has answered, which may come after plan saw the first.
    wait_until(lambda: "may not run CONFIG REWRITE on replica" in s.proc.log_text(), 10,
               "the sentinel to log the missing permission")
    out = subprocess.run([vigiltest.vigil_binary("vigilctl"), "-s",
                          "127.0.0.1:%d" % s.http_port, "plan", deploy.MASTER_NAME],
                         capture_output=True, text=True, timeout=20)
    assert "CONFIG REWRITE" in out.stdout, out.stdout + out.stderr
    # the operator grants it: the next plan asks again and the replica is a candidate
    r.execute_command("ACL", "SETUSER", "sent", "+config")
    wait_until(lambda: plan()["would_promote"] == {"ip": "127.0.0.1", "port": replica.port}, 15,
               "plan to see the permission granted")
    assert not any(where in b for b in plan()["blockers"])
