"""A three-node, three-sentinel deployment on 127.0.0.1 for process-level tests.

Why: the compat tests (real clients through a failover), the HTTP tests and the interop tests all
need the same thing the demo starts (`scripts/deploy.sh up`): one master, two replicas, three
sentinels that know the master, both replicas and each other, on free ports, with a short
down-after. This module starts it from the demo's own files (configs/demo/*.yaml, with the ports,
dirs and timings overridden on the command line, as deploy.sh does), so the tests exercise the
configuration a new user runs, and it answers the questions every such test asks: who is the
master now, kill it, ask for a switchover, wait until the group has settled.

Kinds: data nodes are 'vigil' (vigil-store, configs/demo/store-*.yaml) or 'redis' (Debian's
redis-server with the same settings as arguments); sentinels are 'vigil' (vigil-sentinel,
configs/demo/sentinel.yaml) or 'redis' (Debian's redis-sentinel with a temp sentinel.conf each).

    d = Deployment(group, node_kind="vigil", sentinel_kind="vigil").start()
    d.agreed_master() -> (host, port)     d.kill_master() -> (old_addr, t_kill_ns)
    d.wait_switched(old_addr) -> new_addr d.wait_settled() -> master addr
    d.switchover() -> (method, description, t_start_ns)

Invariants: every process joins the given ProcGroup (stopped by pid with it); every wait is a
poll with a deadline (vigiltest.wait_until), never a fixed sleep; nothing here asserts a time.
Times are time.monotonic_ns() (CLOCK_MONOTONIC, the clock Node's process.hrtime uses too).
"""

import json
import os
import shutil
import time
import urllib.error
import urllib.request

from . import procs, store
from .procs import Proc, free_port, wait_until

HOST = "127.0.0.1"
MASTER_NAME = "mymaster"
DEMO_TOKEN = "demo-token"      # configs/demo/sentinel.yaml http.token
DEMO_DIR = os.path.join(store.REPO_ROOT, "configs", "demo")
NODE_KINDS = ("vigil", "redis")
SENTINEL_KINDS = ("vigil", "redis")

# Debian's redis-server with the settings of configs/demo/store-master.yaml.
REDIS_NODE_ARGS = ["--min-replicas-to-write", "1", "--min-replicas-max-lag", "10",
                   "--repl-diskless-sync", "yes", "--repl-diskless-sync-delay", "0",
                   "--repl-backlog-size", "8mb", "--repl-ping-replica-period", "1"]


class SwitchoverUnavailable(RuntimeError):
    """No switchover method is implemented by these sentinels yet (the message says why)."""


def redis_sentinel_path():
    if os.access("/usr/bin/redis-sentinel", os.X_OK):
        return "/usr/bin/redis-sentinel"
    return shutil.which("redis-sentinel") or "/usr/bin/redis-sentinel"


def _redis_errors():
    import redis
    return (OSError, redis.ConnectionError, redis.TimeoutError)


# --- data nodes -----------------------------------------------------------------------------------

def start_data_node(kind, group, master_port=None, name="node"):
    """A vigil-store (demo config) or redis-server; a replica of master_port when given."""
    if kind == "vigil":
        conf = "store-replica.yaml" if master_port else "store-master.yaml"
        extra = ["--replicaof", "%s %d" % (HOST, master_port)] if master_port else []
        return store.start_store("vigil", config=os.path.join(DEMO_DIR, conf), extra_args=extra,
                                 name=name, group=group)
    if kind == "redis":
        extra = list(REDIS_NODE_ARGS)
        if master_port:
            extra += ["--replicaof", HOST, str(master_port)]
        return store.start_store("redis", extra_args=extra, name=name, group=group)
    raise ValueError("node kind must be one of %s, not %r" % (NODE_KINDS, kind))


def probe_replication(kind="vigil"):
    """None if `kind` data nodes answer REPLICAOF and PSYNC like a master would, else why not.

    Starts one node in a throwaway group and stops it. Used by tests that need replication
    (Debian's redis-sentinel supervising vigil-store nodes) to skip with a reason until it exists.
    """
    group = procs.ProcGroup("probe-replication")
    try:
        with procs.group_scope(group):
            node = store.start_store(kind, name="probe-%s" % kind, group=group)
            with node.raw() as conn:
                reply = conn.call("REPLICAOF", "NO", "ONE")
                if reply != "OK":
                    return "%s answers REPLICAOF NO ONE with %r" % (kind, reply)
                reply = conn.call("PSYNC", "?", "-1")
                if not (isinstance(reply, str) and reply.startswith("FULLRESYNC ")):
                    return "%s answers PSYNC ? -1 with %r, not +FULLRESYNC" % (kind, reply)
        return None
    finally:
        group.stop_all()


# --- sentinels ------------------------------------------------------------------------------------

class SentinelNode:
    """One running sentinel (vigil-sentinel or redis-sentinel) and a redis-py client to it."""

    def __init__(self, kind, port, proc, data_dir, http_port=None):
        import redis
        self.kind = kind
        self.port = port
        self.http_port = http_port
        self.proc = proc
        self.dir = data_dir
        self.client = redis.Redis(host=HOST, port=port, decode_responses=True,
                                  socket_timeout=2, socket_connect_timeout=2)

    def __repr__(self):
        return "SentinelNode(%s :%d pid=%d)" % (self.kind, self.port, self.proc.pid)

    @property
    def addr(self):
        return (HOST, self.port)

    def cmd(self, *args):
        return self.client.execute_command(*args)

    def master_addr(self):
        reply = self.cmd("SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER_NAME)
        return None if reply is None else (reply[0], int(reply[1]))

    def master_info(self):
        flat = self.cmd("SENTINEL", "MASTER", MASTER_NAME)
        return dict(zip(flat[::2], flat[1::2]))

    def table(self, what):
        """SENTINEL REPLICAS|SLAVES|SENTINELS mymaster as a list of dicts."""
        return [dict(zip(e[::2], e[1::2])) for e in self.cmd("SENTINEL", what, MASTER_NAME)]

    def close(self):
        self.client.close()


def _wait_sentinel_ping(s):
    def answers():
        if s.proc.poll() is not None:
            raise procs.ProcExited("%s exited:\n%s" % (s.proc.name, s.proc.log_tail(30)))
        return s.client.ping()
    wait_until(answers, 10, "%s to answer PING" % s.proc.name, ignore=_redis_errors())


def start_vigil_sentinel(group, master_port, down_after_ms, failover_timeout_ms):
    """A vigil-sentinel from configs/demo/sentinel.yaml with ports, dir and timings overridden."""
    binary = store.require_binary(store.vigil_binary("vigil-sentinel"))
    port, http_port = free_port(), free_port()
    data_dir = procs.new_tmp_dir_in(group.dir, "vigil-sentinel-%d" % port)
    args = [binary, os.path.join(DEMO_DIR, "sentinel.yaml"), "--port", port, "--dir", data_dir,
            "--http.port", http_port, "--masters.0.port", master_port,
            "--masters.0.down-after", "%dms" % down_after_ms,
            "--masters.0.failover-timeout", "%dms" % failover_timeout_ms]
    proc = Proc(args, name="vigil-sentinel-%d" % port, cwd=data_dir, group=group)
    s = SentinelNode("vigil", port, proc, data_dir, http_port)
    _wait_sentinel_ping(s)
    return s


REDIS_SENTINEL_CONF = """port {port}
bind 127.0.0.1
protected-mode no
daemonize no
dir {dir}
sentinel monitor {name} 127.0.0.1 {master_port} 2
sentinel down-after-milliseconds {name} {down_after_ms}
sentinel failover-timeout {name} {failover_timeout_ms}
sentinel parallel-syncs {name} 1
"""


def start_redis_sentinel(group, master_port, down_after_ms, failover_timeout_ms):
    """Debian's redis-sentinel with its own (rewritable) sentinel.conf in a temp dir."""
    binary = store.require_binary(redis_sentinel_path())
    port = free_port()
    data_dir = procs.new_tmp_dir_in(group.dir, "redis-sentinel-%d" % port)
    conf = os.path.join(data_dir, "sentinel.conf")
    with open(conf, "w") as f:
        f.write(REDIS_SENTINEL_CONF.format(port=port, dir=data_dir, name=MASTER_NAME,
                                           master_port=master_port, down_after_ms=down_after_ms,
                                           failover_timeout_ms=failover_timeout_ms))
    proc = Proc([binary, conf], name="redis-sentinel-%d" % port, cwd=data_dir, group=group)
    s = SentinelNode("redis", port, proc, data_dir)
    _wait_sentinel_ping(s)
    return s


# --- switchover -----------------------------------------------------------------------------------

def http_post_json(port, path, body, token=DEMO_TOKEN, timeout_s=5.0):
    """POST JSON to 127.0.0.1:port; returns (status, parsed body or text). OSError if no server."""
    req = urllib.request.Request("http://%s:%d%s" % (HOST, port, path),
                                 data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json",
                                          "Authorization": "Bearer %s" % token})
    try:
        with urllib.request.urlopen(req, timeout=timeout_s) as resp:
            status, raw = resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    text = raw.decode("utf-8", "replace")
    try:
        return status, json.loads(text)
    except ValueError:
        return status, text


# Answers that mean "not now": retry until the deadline.
RETRY_LATER = ("INPROG", "NOGOODSLAVE", "BUSY", "TRYAGAIN", "NOQUORUM")
HTTP_RETRY_LATER = (409, 503)
# Answers that mean "this server does not have that method (yet)": try the next one. Anything
# else (401, 400, 500, -ERR No such master...) is a bug in a method that exists: the caller fails.
NOT_IMPLEMENTED = ("unknown subcommand", "unknown command", "wrong number of arguments",
                   "syntax error")
HTTP_NOT_IMPLEMENTED = (404, 405, 501)


def _is_retry_later(message):
    return any(message.upper().startswith(word) for word in RETRY_LATER)


def _is_not_implemented(message):
    return any(words in message.lower() for words in NOT_IMPLEMENTED)


class _SwitchoverAttempt:
    """One try of each method, in order of preference; remembers why a method is unavailable."""

    def __init__(self, deployment):
        self.d = deployment
        self.unavailable = {}   # method -> reason
        self.last_retry = None
        self.t_sent_ns = None   # when the last request was sent

    def http(self):
        s = next((s for s in self.d.sentinels if s.http_port), None)
        if s is None:
            self.unavailable["http"] = "%s sentinels have no HTTP API" % self.d.sentinel_kind
            return None
        path = "/v1/masters/%s/switchover" % MASTER_NAME
        try:
            status, body = http_post_json(s.http_port, path, {"timeout_ms": 5000})
        except (OSError, urllib.error.URLError) as exc:
            self.unavailable["http"] = "POST %s on :%d: %s" % (path, s.http_port, exc)
            return None
        if status in (200, 201, 202):
            return "http POST %s -> %d %s" % (path, status, body)
        if status in HTTP_RETRY_LATER:
            self.last_retry = "http %d %s" % (status, body)
            return None
        what = "POST %s on :%d -> %d %s" % (path, s.http_port, status, body)
        if status not in HTTP_NOT_IMPLEMENTED:
            raise AssertionError("switchover refused: " + what)
        self.unavailable["http"] = what
        return None

    def resp(self, method, *extra):
        import redis
        s = self.d.sentinels[0]
        try:
            reply = s.cmd("SENTINEL", "FAILOVER", MASTER_NAME, *extra)
        except redis.ResponseError as exc:
            what = "%s -> -%s" % (" ".join(("SENTINEL FAILOVER", MASTER_NAME) + extra), exc)
            if _is_retry_later(str(exc)):
                self.last_retry = what
            elif _is_not_implemented(str(exc)):
                self.unavailable[method] = what
            else:
                raise AssertionError("switchover refused: " + what) from None
            return None
        if reply in ("OK", b"OK", True):
            return " ".join(("SENTINEL FAILOVER", MASTER_NAME) + extra)
        raise AssertionError("SENTINEL FAILOVER %s answered %r" % (MASTER_NAME, reply))

    def once(self):
        """(method, description) of a started method, or None (retry later or all
        unavailable)."""
        self.last_retry = None
        for method, run in (("http", self.http),
                            ("coordinated", lambda: self.resp("coordinated", "COORDINATED")),
                            ("forced", lambda: self.resp("forced"))):
            if method in self.unavailable:
                continue
            if method != "forced" and self.d.sentinel_kind == "redis":
                self.unavailable[method] = "Redis Sentinel has no %s switchover" % method
                continue
            self.t_sent_ns = time.monotonic_ns()
            started = run()
            if started:
                return method, started
            if self.last_retry:
                return None
        return None


# --- the deployment -------------------------------------------------------------------------------

class Deployment:
    """A master, two replicas and n sentinels; see the module comment."""

    def __init__(self, group, node_kind="vigil", sentinel_kind="vigil", down_after_ms=500,
                 failover_timeout_ms=3000, n_sentinels=3):
        if node_kind not in NODE_KINDS or sentinel_kind not in SENTINEL_KINDS:
            raise ValueError("bad kinds %r/%r" % (node_kind, sentinel_kind))
        self.group = group
        self.node_kind = node_kind
        self.sentinel_kind = sentinel_kind
        self.down_after_ms = down_after_ms
        self.failover_timeout_ms = failover_timeout_ms
        self.n_sentinels = n_sentinels
        self.nodes = []        # store.Store, nodes[0] started as the master
        self.sentinels = []    # SentinelNode

    def __repr__(self):
        return "Deployment(%s nodes %s, %s sentinels %s)" % (
            self.node_kind, [n.port for n in self.nodes], self.sentinel_kind,
            [s.port for s in self.sentinels])

    def start(self, timeout_s=15):
        """Start everything and wait until the group is fully discovered; returns self."""
        master = start_data_node(self.node_kind, self.group, name="store1")
        self.nodes = [master] + [start_data_node(self.node_kind, self.group, master.port,
                                                 name="store%d" % i) for i in (2, 3)]
        self.wait_replicas_online(master, 2, timeout_s)
        starter = start_vigil_sentinel if self.sentinel_kind == "vigil" else start_redis_sentinel
        self.sentinels = [starter(self.group, master.port, self.down_after_ms,
                                  self.failover_timeout_ms) for _ in range(self.n_sentinels)]
        self.wait_discovered(timeout_s)
        return self

    def stop(self):
        for s in self.sentinels:
            s.close()
        for n in self.nodes:
            n.close_clients()

    # --- who is who ---

    @property
    def sentinel_addrs(self):
        return [s.addr for s in self.sentinels]

    def node_at(self, addr):
        port = addr[1] if isinstance(addr, tuple) else addr
        return next(n for n in self.nodes if n.port == port)

    def live_nodes(self):
        return [n for n in self.nodes if n.is_alive()]

    def role_of(self, node):
        import redis
        with redis.Redis(host=node.host, port=node.port, socket_timeout=2,
                         decode_responses=True) as c:
            return c.execute_command("ROLE")

    def agreed_master(self, timeout_s=10, exclude=None):
        """Wait until every sentinel answers the same master address (not `exclude`)."""
        def agreed():
            addrs = {s.master_addr() for s in self.sentinels}
            addr = addrs.pop() if len(addrs) == 1 else None
            return addr if addr and addr != exclude else None
        what = "every sentinel to answer the same master" + (
            " other than %s:%d" % exclude if exclude else "")
        return wait_until(agreed, timeout_s, what, ignore=_redis_errors())

    # --- waits ---

    @staticmethod
    def replicas_online(master, count):
        """True if master's INFO lists (at least) `count` replicas in state online."""
        import redis
        with redis.Redis(host=master.host, port=master.port, socket_timeout=2) as c:
            info = c.info("replication")
        states = [info.get("slave%d" % i, {}).get("state") for i in range(count)]
        return info.get("connected_slaves", 0) >= count and states == ["online"] * count

    def wait_replicas_online(self, master, count, timeout_s=10):
        wait_until(lambda: self.replicas_online(master, count), timeout_s,
                   "%d replicas online at %s" % (count, master.addr), ignore=_redis_errors())

    def wait_discovered(self, timeout_s=15):
        """Every sentinel knows both replicas (healthy) and every other sentinel."""
        replica_ports = {n.port for n in self.nodes[1:]}
        peers = len(self.sentinels) - 1

        def done():
            for s in self.sentinels:
                reps = s.table("REPLICAS")
                if {int(r["port"]) for r in reps} != replica_ports:
                    return False
                # Healthy: connected, and its own INFO read (master-link-status comes from
                # it); before that a replica is not eligible for promotion.
                if any(r["flags"] != "slave" or r["master-link-status"] != "ok" for r in reps):
                    return False
                if len(s.table("SENTINELS")) != peers:
                    return False
            return True
        wait_until(done, timeout_s, "replicas and sentinels discovered by every sentinel",
                   ignore=_redis_errors())

    def wait_switched(self, old_addr, timeout_s=15):
        """Every sentinel answers one new address, and that node reports ROLE master."""
        def switched():
            addrs = {s.master_addr() for s in self.sentinels}
            if len(addrs) != 1:
                return None
            addr = addrs.pop()
            if addr is None or addr == old_addr:
                return None
            return addr if self.role_of(self.node_at(addr))[0] == "master" else None
        return wait_until(switched, timeout_s,
                          "every sentinel to answer a new master (old %s:%d)" % old_addr,
                          ignore=_redis_errors())

    def wait_settled(self, timeout_s=15):
        """The failover is over: one agreed master, every other live node its replica with the
        link up, and no sentinel flags the master as down or failing over. Returns the master."""
        def settled():
            addr = {s.master_addr() for s in self.sentinels}
            if len(addr) != 1:
                return None
            addr = addr.pop()
            master = self.node_at(addr)
            others = [n for n in self.live_nodes() if n is not master]
            for n in others:
                role = self.role_of(n)
                if role[0] != "slave" or int(role[2]) != addr[1] or role[3] != "connected":
                    return None
            for s in self.sentinels:
                info = s.master_info()
                if int(info["port"]) != addr[1] or info["flags"] != "master":
                    return None
            return addr if self.replicas_online(master, len(others)) else None
        return wait_until(settled, timeout_s, "the group to settle after a failover",
                          ignore=_redis_errors())

    # --- actions ---

    def kill_master(self):
        """kill -9 the node every sentinel names as master. Returns (its addr, t_kill_ns):
        t_kill_ns is taken once the process is reaped (nothing it sends can arrive later)."""
        addr = self.agreed_master()
        node = self.node_at(addr)
        node.kill9()
        return addr, time.monotonic_ns()

    def switchover(self, timeout_s=10):
        """Start a manual failover of the current master, by the best method available:
        POST /v1/masters/mymaster/switchover on a sentinel's HTTP port (lossless), else
        `SENTINEL FAILOVER mymaster COORDINATED`, else the Redis-style `SENTINEL FAILOVER
        mymaster`. Retries while the sentinels answer "busy" (INPROG, NOGOODSLAVE, 409, 503).
        Returns (method, description, t_start_ns): method is 'http', 'coordinated' (both
        lossless) or 'forced'; the description says what was sent and why better methods were
        not used. Raises SwitchoverUnavailable when no method exists, WaitTimeout when one
        exists but kept refusing until timeout_s."""
        attempt = _SwitchoverAttempt(self)

        def started():
            desc = attempt.once()
            if desc is None and len(attempt.unavailable) == 3:
                raise SwitchoverUnavailable("; ".join("%s: %s" % kv
                                                      for kv in attempt.unavailable.items()))
            return desc
        try:
            method, desc = wait_until(started, timeout_s, "a switchover to be accepted",
                                      interval_s=0.05, ignore=_redis_errors())
        except procs.WaitTimeout as exc:
            raise procs.WaitTimeout("%s; last refusal: %s; unavailable: %s"
                                    % (exc, attempt.last_retry, attempt.unavailable)) from None
        if attempt.unavailable:
            desc += " [not available: %s]" % "; ".join("%s: %s" % kv
                                                       for kv in attempt.unavailable.items())
        return method, desc, attempt.t_sent_ns

