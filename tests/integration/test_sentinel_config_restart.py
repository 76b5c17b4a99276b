"""SENTINEL CONFIG SET's global settings survive a restart, as Redis Sentinel's (which rewrites
its config file); ours are kept in the state file, since the YAML file is the operator's
(docs/sentinel-protocol.md#sentinel-subcommands). An edit of those settings in the YAML file
since wins over them at the next start. TLS settings changed at run time come back too.

Every wait is a poll with a deadline.
"""

from vigiltest import deploy, start_store, wait_until


def config_get(s, *patterns):
    flat = s.cmd("SENTINEL", "CONFIG", "GET", *patterns)  # RESP2: name, value, ...
    return dict(zip(flat[::2], flat[1::2]))


def restart(group, s):
    s.client.close()
    assert s.proc.stop() == 0
    return deploy.restart_sentinel(group, s)


def test_config_set_values_come_back_after_a_restart(proc_group):
    node = start_store("vigil")
    s = deploy.start_sentinel(proc_group, node.port, quorum=1, http=False)
    assert s.cmd("SENTINEL", "CONFIG", "SET", "announce-port", "26999", "sentinel-user",
                 "peer", "sentinel-pass", "s3cret", "loglevel", "warning") == "OK"
    s = restart(proc_group, s)
    assert config_get(s, "announce-port", "sentinel-user", "sentinel-pass", "loglevel") == {
        "announce-port": "26999", "sentinel-user": "peer", "sentinel-pass": "(redacted)",
        "loglevel": "warning"}
    # Setting a value back to the file's: nothing is kept for it any more.
    assert s.cmd("SENTINEL", "CONFIG", "SET", "announce-port", "0") == "OK"
    s = restart(proc_group, s)
    assert config_get(s, "announce-port", "sentinel-user") == {
        "announce-port": "0", "sentinel-user": "peer"}
    assert "s3cret" not in s.proc.log_text()


def test_an_edited_yaml_wins_over_values_set_at_run_time(proc_group):
    node = start_store("vigil")
    s = deploy.start_sentinel(proc_group, node.port, quorum=1, http=False)
    assert s.cmd("SENTINEL", "CONFIG", "SET", "announce-port", "26999") == "OK"
    s.client.close()
    assert s.proc.stop() == 0
    with open(s.yaml, "a") as f:
        f.write("announce-ip: 127.0.0.1\n")  # the operator's edit of one of these settings
    s = deploy.restart_sentinel(proc_group, s)
    assert config_get(s, "announce-ip", "announce-port") == {
        "announce-ip": "127.0.0.1", "announce-port": "0"}
    wait_until(lambda: "using the file's" in s.proc.log_text(), 10, "the notice saying why")
