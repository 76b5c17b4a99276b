"""The cluster under test: 3 stores, 3 sentinels, 3 writers, each in its own namespace.

Why: the harness drives vigil-store + vigil-sentinel and Debian's redis-server + redis-sentinel
with the same topology, timings and writers, so every figure it prints is side by side. The
stores run configs/production/store.yaml plus `replicaof` (Redis: the same settings as
redis.conf lines) and the
sentinels the production settings with quorum 2 and down-after 1000 ms; extra config lines per
run (`--store-config 'master-lease yes'`) are appended to both systems' configs.

Every process is started with `ip netns exec <ns> ...` through vigiltest.procs.Proc (which execs:
the pid is the program's), logs to <run dir>/<name>.log with TZ=UTC (the checker reads the
sentinels' event lines on the same clock as the writers), and is stopped, killed, paused or
resumed by that pid only.

Node names: s1-s3 stores (.11-.13; s1 starts as master), n1-n3 sentinels (.21-.23), cA (the
writer on the master's side), cB (the other side), cS (the Sentinel-following writer), cW (Vigil
only: WAITAOF 1 0 writes, on the master's side with cA), ctl (.5, the harness's observer: never
in a cut, so it reaches every node that is not isolated).
"""

import os
import signal
import sys

from netns import IP, InNetns, Net

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

from vigiltest import procs, store  # noqa: E402
from vigiltest.resp import ReplyError, RespConn  # noqa: E402

STORES = ("s1", "s2", "s3")
SENTINELS = ("n1", "n2", "n3")
CLIENTS = ("cA", "cB", "cS", "cW")
NODES = dict([("ctl", 5)] + [(s, 11 + i) for i, s in enumerate(STORES)]
             + [(n, 21 + i) for i, n in enumerate(SENTINELS)]
             + [(c, 31 + i) for i, c in enumerate(CLIENTS)])
PORT, SENTINEL_PORT = 6379, 26379
PASSWORD = "change-me"               # configs/production: requirepass / auth-pass
SENTINEL_PASSWORD = "sentinel-secret"
DOWN_AFTER_MS = 1000
FAILOVER_TIMEOUT_MS = 60000          # configs/production/sentinel.yaml
PROD_STORE_YAML = os.path.join(store.REPO_ROOT, "configs", "production", "store.yaml")
WRITER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "writer.py")
PY = "/usr/bin/python3"

# configs/production/store.yaml in redis.conf words (the keys both servers share).
REDIS_STORE_CONF = """port 6379
bind {ip}
protected-mode no
dir {dir}
requirepass {pw}
masterauth {pw}
maxclients 10000
min-replicas-to-write 1
min-replicas-max-lag 10
repl-timeout 60
repl-backlog-size 64mb
repl-diskless-sync yes
repl-diskless-sync-delay 0
replica-priority 100
appendonly yes
appendfsync everysec
aof-use-rdb-preamble yes
save "3600 1 300 100 60 10000"
"""

VIGIL_SENTINEL_YAML = """port: 26379
bind: {ip}
dir: {dir}
announce-ip: {ip}
requirepass: "{spw}"
sentinel-pass: "{spw}"
masters:
  - name: mymaster
    host: {master}
    port: 6379
    quorum: 2
    down-after: {down_after_ms}ms
    failover-timeout: {failover_timeout_ms}ms
    parallel-syncs: 1
    auth-pass: "{pw}"
{extra}"""

REDIS_SENTINEL_CONF = """port 26379
bind {ip}
protected-mode no
daemonize no
dir {dir}
requirepass {spw}
sentinel sentinel-pass {spw}
sentinel announce-ip {ip}
sentinel monitor mymaster {master} 6379 2
sentinel down-after-milliseconds mymaster {down_after_ms}
sentinel failover-timeout mymaster {failover_timeout_ms}
sentinel parallel-syncs mymaster 1
sentinel auth-pass mymaster {pw}
{extra}"""


def split_config_line(line):
    key, _, value = line.strip().partition(" ")
    return key, value.strip().strip('"')


class Cluster:
    """One run's processes. system: 'vigil' or 'redis'."""

    def __init__(self, system, run_id, run_dir, store_extra=(), sentinel_extra=(),
                 waitaof=True):
        self.system = system
        self.net = Net(run_id, NODES)
        self.dir = run_dir
        self.store_extra = list(store_extra)
        self.sentinel_extra = list(sentinel_extra)
        # cW writes WAITAOF 1 0 only (Vigil; Redis 7.0 has no WAITAOF): under everysec it
        # blocks up to a second, which would slow the other writers' rotation.
        self.writers = CLIENTS if waitaof else CLIENTS[:3]
        self.group = procs.ProcGroup("partition-%d" % run_id, tmp_dir=run_dir)
        self.procs = {}                  # node -> Proc (stores, sentinels, writers)
        self.args = {}                   # node -> argv, for restarts
        self.stopped = set()             # SIGSTOPped nodes

    def ip(self, node):
        return self.net.addr(node)

    # -- commands ---------------------------------------------------------------------------

    def store_argv(self, node, master):
        d = self._node_dir(node)
        if self.system == "vigil":
            # As deployed: replicaof in the node's YAML, which the overrides file that CONFIG
            # REWRITE keeps (the sentinels' repointing) beats at a restart. On the command line
            # it would win, and a restarted replica would follow the master it started with.
            extra = [split_config_line(x) for x in self.store_extra]
            if master:
                extra.append(("replicaof", "%s %d" % (self.ip(master), PORT)))
            with open(PROD_STORE_YAML) as f:   # an extra key replaces the file's own line
                keep = [line for line in f if line.split(":", 1)[0] not in dict(extra)]
            text = "".join(keep) + "".join('%s: "%s"\n' % kv for kv in extra)
            return [store.vigil_binary("vigil-store"), self._write(d, "store.yaml", text),
                    "--bind", self.ip(node), "--dir", d]
        conf = REDIS_STORE_CONF.format(ip=self.ip(node), dir=d, pw=PASSWORD)
        if master:
            conf += "replicaof %s %d\n" % (self.ip(master), PORT)
        conf += "".join(line + "\n" for line in self.store_extra)
        return [store.redis_server_path(), self._write(d, "redis.conf", conf)]

    def sentinel_argv(self, node):
        d = self._node_dir(node)
        fields = dict(ip=self.ip(node), dir=d, master=self.ip("s1"), pw=PASSWORD,
                      spw=SENTINEL_PASSWORD, down_after_ms=DOWN_AFTER_MS,
                      failover_timeout_ms=FAILOVER_TIMEOUT_MS)
        if self.system == "vigil":
            extra = "".join("    %s: %s\n" % split_config_line(x) for x in self.sentinel_extra)
            path = self._write(d, "sentinel.yaml", VIGIL_SENTINEL_YAML.format(extra=extra,
                                                                              **fields))
            return [store.vigil_binary("vigil-sentinel"), path]
        extra = "".join("sentinel %s mymaster %s\n" % split_config_line(x)
                        for x in self.sentinel_extra)
        path = self._write(d, "sentinel.conf", REDIS_SENTINEL_CONF.format(extra=extra, **fields))
        return ["/usr/bin/redis-sentinel", path]

    def writer_argv(self, node, kind):
        classes = "waitaof" if node == "cW" else "plain,wait1,wait2"
        argv = [PY, WRITER, kind, node, "--out", os.path.join(self.dir, node + ".jsonl"),
                "--password", PASSWORD, "--sentinel-password", SENTINEL_PASSWORD,
                "--classes", classes]
        if kind == "direct":
            argv += ["--stores", ",".join(self.ip(s) for s in STORES)]
        else:
            argv += ["--sentinels", ",".join(self.ip(n) for n in SENTINELS)]
        return argv

    def _node_dir(self, node):
        d = os.path.join(self.dir, node)
        os.makedirs(d, exist_ok=True)
        return d

    @staticmethod
    def _write(d, name, text):
        path = os.path.join(d, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    # -- processes --------------------------------------------------------------------------

    def start_node(self, node, argv=None):
        argv = argv or self.args[node]
        self.args[node] = argv
        full = [IP, "netns", "exec",
                self.net.ns(node)] + argv
        self.procs[node] = procs.Proc(full, name=node, cwd=self.dir, env={"TZ": "UTC"},
                                      group=self.group)
        return self.procs[node]

    def start(self):
        """Network, stores (s1 master), sentinels; waits until replicas and sentinels are ready."""
        self.net.create()
        for node in STORES:
            self.start_node(node, self.store_argv(node, None if node == "s1" else "s1"))
        self.wait_replicas_online("s1", 2, timeout_s=30)
        for node in SENTINELS:
            self.start_node(node, self.sentinel_argv(node))
        procs.wait_until(self.sentinels_ready, 30, "sentinels to know 2 replicas and 2 peers")
        return self

    def start_writers(self):
        self.start_node("cA", self.writer_argv("cA", "direct"))
        self.start_node("cB", self.writer_argv("cB", "direct"))
        self.start_node("cS", self.writer_argv("cS", "sentinel"))
        if "cW" in self.writers:
            self.start_node("cW", self.writer_argv("cW", "direct"))

    def stop_writers(self):
        for node in self.writers:
            if node in self.procs:
                self.procs[node].stop(timeout_s=10)

    def kill9(self, node):
        self.resume(node)
        self.procs[node].kill9()

    def restart(self, node):
        if not self.procs[node].is_alive():
            self.start_node(node)

    def pause(self, node):
        self.procs[node].signal(signal.SIGSTOP)
        self.stopped.add(node)

    def resume(self, node):
        if node in self.stopped and self.procs[node].is_alive():
            self.procs[node].signal(signal.SIGCONT)
        self.stopped.discard(node)

    def stop(self):
        """Every process by pid (SIGCONT first: a stopped process cannot act on SIGTERM)."""
        for node in list(self.stopped):
            self.resume(node)
        self.group.stop_all(timeout_s=10)

    def destroy(self):
        try:
            self.stop()
        finally:
            self.net.destroy()

    # -- observation from the ctl namespace ---------------------------------------------------

    def call(self, node, *args, timeout_s=0.5):
        """One command to a node from the ctl namespace; None when it does not answer."""
        port = SENTINEL_PORT if node in SENTINELS else PORT
        pw = SENTINEL_PASSWORD if node in SENTINELS else PASSWORD
        try:
            with InNetns(self.net.ns("ctl")):
                conn = RespConn(self.ip(node), port, timeout_s=timeout_s)
            with conn:
                conn.call("AUTH", pw)
                reply = conn.call(*args)
        except OSError:
            return None
        return None if isinstance(reply, ReplyError) else reply

    def role(self, node):
        reply = self.call(node, "ROLE")
        return reply[0].decode() if isinstance(reply, list) and reply else None

    def masters_seen(self):
        """{sentinel: store node it names as master (None if it does not answer)}."""
        by_ip = {self.ip(s): s for s in STORES}
        seen = {}
        for node in SENTINELS:
            reply = self.call(node, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster")
            seen[node] = by_ip.get(reply[0].decode()) if reply else None
        return seen

    def current_master(self):
        """The store most sentinels name (ties: the first), else one whose ROLE is master."""
        names = [m for m in self.masters_seen().values() if m]
        if names:
            return max(STORES, key=lambda s: (names.count(s), -STORES.index(s)))
        return next((s for s in STORES if self.role(s) == "master"), "s1")

    def wait_replicas_online(self, master, n, timeout_s):
        def ok():
            info = self.call(master, "INFO", "replication")
            return info and b"connected_slaves:%d" % n in info
        procs.wait_until(ok, timeout_s, "%s to have %d replicas" % (master, n))

    def sentinels_ready(self):
        for node in SENTINELS:
            info = self.call(node, "SENTINEL", "MASTER", "mymaster")
            if not info:
                return False
            d = dict(zip(info[::2], info[1::2]))
            if int(d.get(b"num-slaves", 0)) < 2 or int(d.get(b"num-other-sentinels", 0)) < 2:
                return False
        return True

    def dataset(self, node):
        """The writers' set on a node (None if it does not answer)."""
        reply = self.call(node, "SMEMBERS", "pt:set", timeout_s=5.0)
        return None if reply is None else {v.decode() for v in reply}
