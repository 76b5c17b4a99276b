"""redis-cli against the sentinels: SENTINEL commands, PSUBSCRIBE '*' event watching, and a
shell-style writer, through a kill -9 failover and a switchover.

redis-cli is what an operator types and what shell scripts use: `SENTINEL get-master-addr-by-name`,
`SENTINEL masters|replicas|sentinels`, `PSUBSCRIBE '*'` to watch events. Its output is read as a
script would read it (not a terminal: one value per line). The writer (conftest.CliWriter) asks a
sentinel for the master before every write, as a script would; redis-cli itself keeps no
connection, so "reconnecting by itself" here means the script finds the new master with nothing
but what the sentinels answer. Run with -s to see the outage figures.
"""

from vigiltest import Proc, current_group, new_tmp_dir_in, wait_until

MASTER = "mymaster"


def cli_lines(compat, port, *args):
    return compat.run_cli(port, *args).stdout.splitlines()


def cli_table(compat, port, *args):
    """A flattened array of name/value arrays (one value per line) as a list of dicts; a new
    entry starts at each 'name' key."""
    lines = cli_lines(compat, port, *args)
    assert len(lines) % 2 == 0, lines
    entries = []
    for key, value in zip(lines[::2], lines[1::2]):
        if key == "name" or not entries:
            entries.append({})
        entries[-1][key] = value
    return entries


def replicas_as_expected(compat, port, d, master):
    """SENTINEL replicas lists every other node (a dead ex-master stays listed, as in Redis),
    each flagged slave, s_down exactly for the dead ones (that flag converges: poll)."""
    table = cli_table(compat, port, "SENTINEL", "replicas", MASTER)
    assert {int(r["port"]) for r in table} == {n.port for n in d.nodes} - {master[1]}, table
    assert all("slave" in r["flags"].split(",") for r in table), table
    live = {n.port for n in d.live_nodes()}
    return all(("s_down" in r["flags"]) == (int(r["port"]) not in live) for r in table)


def check_sentinel_commands(compat, d):
    """What redis-cli shows on every sentinel matches the deployment."""
    master = d.agreed_master()
    for s in d.sentinels:
        assert cli_lines(compat, s.port, "SENTINEL", "get-master-addr-by-name", MASTER) == [
            master[0], str(master[1])]
        (m,) = cli_table(compat, s.port, "SENTINEL", "masters")
        assert (m["name"], m["ip"], int(m["port"])) == (MASTER, master[0], master[1]), m
        assert "master" in m["flags"].split(","), m
        wait_until(lambda s=s: replicas_as_expected(compat, s.port, d, master), 10,
                   "SENTINEL replicas on :%d to flag exactly the dead nodes s_down" % s.port)
        peers = {int(p["port"]) for p in cli_table(compat, s.port, "SENTINEL", "sentinels",
                                                   MASTER)}
        assert peers == {t.port for t in d.sentinels} - {s.port}


class EventWatch:
    """`redis-cli -p PORT PSUBSCRIBE '*'` on one sentinel, its output in a log file."""

    def __init__(self, compat, port):
        name = "redis-cli-psubscribe-%d" % port
        self.proc = Proc([compat.REDIS_CLI, "-h", "127.0.0.1", "-p", port, "PSUBSCRIBE", "*"],
                         name=name, split_stderr=True,
                         cwd=new_tmp_dir_in(current_group().dir, name))
        wait_until(lambda: self.lines()[:3] == ["psubscribe", "*", "1"], 10,
                   "redis-cli PSUBSCRIBE confirmation from :%d" % port)

    def lines(self):
        with open(self.proc.log_path) as f:
            return f.read().splitlines()

    def events(self):
        """(channel, message) for each pmessage: the lines pmessage, pattern, channel, message."""
        lines = self.lines()
        return [(lines[i + 2], lines[i + 3]) for i in range(len(lines) - 3)
                if lines[i] == "pmessage" and lines[i + 1] == "*"]


def wait_event(watches, channel, message_start, what, at_least=1):
    def seen():
        return sum(1 for w in watches
                   if any(c == channel and m.startswith(message_start) for c, m in w.events()))
    return wait_until(lambda: seen() >= at_least, 10, what)


def test_redis_cli_through_kill9_failover(deployment, compat):
    d = deployment
    check_sentinel_commands(compat, d)
    watches = [EventWatch(compat, s.port) for s in d.sentinels]
    with compat.CliWriter(d) as writer:
        result = compat.kill9_scenario(d, writer)
        records = writer.stop()
    old, new = result["old"], result["new"]
    old_id = "master %s %s %d" % (MASTER, old[0], old[1])
    # A quorum of sentinels (2) must have seen the master down themselves; the third may learn
    # the new master from a peer's hello first.
    wait_event(watches, "+sdown", old_id, "+sdown of the old master on a quorum of sentinels", 2)
    wait_event(watches, "+odown", old_id + " #quorum ", "+odown on a sentinel")
    switch = "%s %s %d %s %d" % (MASTER, old[0], old[1], new[0], new[1])
    wait_event(watches, "+switch-master", switch, "+switch-master on every sentinel", 3)
    compat.check_acked_readable(d, writer, records)
    d.wait_settled()
    check_sentinel_commands(compat, d)


def test_redis_cli_through_switchover(deployment, compat):
    d = deployment
    watches = [EventWatch(compat, s.port) for s in d.sentinels]
    with compat.CliWriter(d) as writer:
        result = compat.switchover_scenario(d, writer)
        records = writer.stop()
    old, new = result["old"], result["new"]
    switch = "%s %s %d %s %d" % (MASTER, old[0], old[1], new[0], new[1])
    wait_event(watches, "+switch-master", switch, "+switch-master on every sentinel", 3)
    compat.check_acked_readable(d, writer, records, result["may_lose"])
    check_sentinel_commands(compat, d)
