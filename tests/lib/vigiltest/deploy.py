"""The one builder of deployments (data nodes + sentinels) for every process-level test suite.

Why: the failover, HTTP API, vigilctl, forged-hello, interop, real-client and HAProxy tests all
need "a master, its replicas and sentinels that know them all, on free ports"; one builder with
one set of defaults means every suite runs the same thing and a default changes in one place.

Defaults (Deployment's keyword arguments; say so in the test when one is changed):
  node_kind='vigil'       data nodes are vigil-store; 'redis' = Debian's redis-server (interop)
  sentinel_kind='vigil'   vigil-sentinel; 'redis' = Debian's redis-sentinel (interop)
  n_replicas=2, n_sentinels=3, quorum=2
  down_after_ms=500, failover_timeout_ms=4000
  http=True, token=TOKEN  vigil-sentinels serve the HTTP API with that bearer token (None: none)
  webhooks_for=None       i -> list of webhook dicts (url, events, secret, timeout, pre_failover)
  scripts=False           notification/client-reconfig scripts logging to notify.log/reconfig.log
  demo=False              True: nodes and sentinels from configs/demo/*.yaml (what a new user
                          runs, as scripts/deploy.sh does), ports/dir/timings overridden; the
                          HTTP token is then DEMO_TOKEN.
  node_hz=None            --hz for redis-server nodes (a faster node-side FAILOVER poll)
  tls=None                a vigiltest.tlspki.Pki: every link is TLS (nodes on TLS ports only,
                          TLS replication, sentinels on a tls-port only (port 0) with
                          tls-replication; the
                          helpers' own clients speak TLS too)
  acl=None                an Acl: named users on every vigil-store and vigil-sentinel
                          (replication, sentinel-to-store and sentinel-to-sentinel links log in
                          as named users; the helpers' own clients as acl.admin)

    d = Deployment(group).start()        # waits: replicas online, every sentinel discovered
    d.master, d.replicas, d.nodes         # vigiltest.Store; nodes[0] was started as the master
    d.sentinels                           # SentinelNode: .cmd() RESP, .get()/.post() HTTP
    d.agreed_master() / wait_switched(old) / wait_settled() / kill_master() / switchover()

Invariants: every process joins the given ProcGroup (stopped by pid with it); every wait is a poll
with a deadline, never a fixed sleep; a missing binary is an error naming its path.
"""

import os
import shutil
import time

import redis

from . import procs, store, switchover as so
from .procs import Proc, free_port, wait_until
from .sentinel_http import http_call

HOST = "127.0.0.1"
MASTER_NAME = "mymaster"
TOKEN = "test-token"
DEMO_TOKEN = "demo-token"      # configs/demo/sentinel.yaml http.token
DEMO_DIR = os.path.join(store.REPO_ROOT, "configs", "demo")
NODE_KINDS = ("vigil", "redis")
SENTINEL_KINDS = ("vigil", "redis")
DOWN_AFTER_MS = 500
FAILOVER_TIMEOUT_MS = 4000
REDIS_ERRORS = (OSError, redis.ConnectionError, redis.TimeoutError)

# redis-server as a data node: a replica syncs at once and pings often (a short down-after).
REDIS_NODE_ARGS = ["--repl-diskless-sync-delay", "0", "--repl-ping-replica-period", "1"]
# ... and with the other settings of configs/demo/store-master.yaml (demo=True).
REDIS_DEMO_ARGS = REDIS_NODE_ARGS + ["--min-replicas-to-write", "1", "--min-replicas-max-lag",
                                     "10", "--repl-diskless-sync", "yes", "--repl-backlog-size",
                                     "8mb"]


def redis_sentinel_path():
    if os.access("/usr/bin/redis-sentinel", os.X_OK):
        return "/usr/bin/redis-sentinel"
    return shutil.which("redis-sentinel") or "/usr/bin/redis-sentinel"


# --- data nodes -----------------------------------------------------------------------------------

def _tls_kwargs(tls):
    return tls.redis_kwargs() if tls else {}


def _node_kwargs(node):
    """redis-py keyword arguments reaching a Store as the helpers do: TLS and its login."""
    return dict(_tls_kwargs(node.tls), **node.auth)


class Acl:
    """Named ACL users for a whole deployment (docs/acl.md, README "ACL users on the sentinel").

    store_users: the stores' `users:` lines; sentinel_users: the sentinels' sentinel-users.acl
    lines. Each login is a (user, password) pair: admin (the helpers' own clients, on stores and
    sentinels), repl (masteruser/masterauth), sentinel (auth-user/auth-pass towards the stores),
    peer (sentinel-user/sentinel-pass between sentinels)."""

    def __init__(self, store_users, sentinel_users, admin, repl, sentinel, peer):
        self.store_users, self.sentinel_users = list(store_users), list(sentinel_users)
        self.admin, self.repl, self.sentinel, self.peer = admin, repl, sentinel, peer

    @property
    def admin_kwargs(self):
        return {"username": self.admin[0], "password": self.admin[1]}

    def write_store_yaml(self, path):
        """The users and the replication login (every node: a master may become a replica)."""
        with open(path, "w") as f:
            f.write("users:\n" + "".join('  - "%s"\n' % u for u in self.store_users)
                    + 'masteruser: "%s"\nmasterauth: "%s"\n' % self.repl)
        return path

    def write_sentinel_users(self, data_dir):
        with open(os.path.join(data_dir, "sentinel-users.acl"), "w") as f:
            f.write("".join(u + "\n" for u in self.sentinel_users))

    def sentinel_yaml(self):
        """Top-level keys: the peer login."""
        return 'sentinel-user: "%s"\nsentinel-pass: "%s"\n' % self.peer

    def master_yaml(self):
        """Lines of the masters entry: the login towards the stores."""
        return '    auth-user: "%s"\n    auth-pass: "%s"\n' % self.sentinel


def start_data_node(kind, group=None, master_port=None, name="node", demo=False, hz=None,
                    tls=None, acl=None):
    """A vigil-store or redis-server; a replica of master_port when given. acl (an Acl, vigil
    only): its users in the node's own YAML (CONFIG REWRITE writes there)."""
    assert acl is None or (kind == "vigil" and not demo), "acl: vigil-store nodes, not demo"
    if kind == "vigil":
        config = None
        if acl:
            group = group if group is not None else procs.current_group()
            config = acl.write_store_yaml(os.path.join(
                procs.new_tmp_dir_in(group.dir, "%s-config" % name), "store.yaml"))
        if demo:
            config = os.path.join(DEMO_DIR, "store-replica.yaml" if master_port
                                  else "store-master.yaml")
        extra = ["--replicaof", "%s %d" % (HOST, master_port)] if master_port else []
        return store.start_store("vigil", config=config, extra_args=extra, name=name, group=group,
                                 tls=tls, auth=acl.admin_kwargs if acl else None)
    if kind == "redis":
        extra = list(REDIS_DEMO_ARGS if demo else REDIS_NODE_ARGS)
        if hz:
            extra += ["--hz", str(hz)]
        if master_port:
            extra += ["--replicaof", HOST, str(master_port)]
        return store.start_store("redis", extra_args=extra, name=name, group=group, tls=tls)
    raise ValueError("node kind must be one of %s, not %r" % (NODE_KINDS, kind))


# --- sentinels ------------------------------------------------------------------------------------

class SentinelNode:
    """One running sentinel: its process, ports, dir, YAML (vigil), a redis-py client (RESP)
    and, for a vigil-sentinel with http_port, the HTTP helpers."""

    def __init__(self, kind, port, proc, data_dir, http_port=None, yaml_path=None, token=None,
                 tls=None, auth=None):
        self.kind = kind
        self.tls = tls   # port is then the sentinel's tls-port
        self.port = port
        self.http_port = http_port
        self.proc = proc
        self.dir = data_dir
        self.yaml = yaml_path
        self.token = token
        self.auth = dict(auth or {})   # username/password of self.client
        self.client = redis.Redis(host=HOST, port=port, decode_responses=True,
                                  socket_timeout=2, socket_connect_timeout=2,
                                  **_tls_kwargs(tls), **self.auth)

    def __repr__(self):
        return "SentinelNode(%s :%d pid=%d)" % (self.kind, self.port, self.proc.pid)

    @property
    def addr(self):
        return (HOST, self.port)

    def cmd(self, *args):
        return self.client.execute_command(*args)

    def master_addr(self, name=MASTER_NAME):
        reply = self.cmd("SENTINEL", "GET-MASTER-ADDR-BY-NAME", name)
        return None if reply is None else (reply[0], int(reply[1]))

    def master_info(self):
        flat = self.cmd("SENTINEL", "MASTER", MASTER_NAME)
        return dict(zip(flat[::2], flat[1::2]))

    def table(self, what):
        """SENTINEL REPLICAS|SLAVES|SENTINELS mymaster as a list of dicts."""
        return [dict(zip(e[::2], e[1::2])) for e in self.cmd("SENTINEL", what, MASTER_NAME)]

    def call(self, method, path, body=None, token=None, **kw):
        """HTTP, or HTTPS with our client certificate when the sentinel runs with tls."""
        if self.tls:
            kw.setdefault("ssl_context", self.tls.ssl_context())
        return http_call(self.http_port, method, path, body, token, **kw)

    def get(self, path, **kw):
        return self.call("GET", path, **kw)

    def post(self, path, body=None, token=True, headers=None, **kw):
        """POST as vigilctl does: Content-Type: application/json unless `headers` says otherwise
        (a header set to None is left out); token=True sends this sentinel's token."""
        hdrs = {"Content-Type": "application/json"}
        hdrs.update(headers or {})
        hdrs = {k: v for k, v in hdrs.items() if v is not None}
        return self.call("POST", path, body, self.token if token is True else token,
                         headers=hdrs, **kw)

    def close(self):
        self.client.close()


SCRIPT = "#!/bin/sh\necho \"$@\" >> \"$(dirname \"$0\")/%s\"\n"


def write_scripts(data_dir):
    """A notification and a client-reconfig script that log their arguments in data_dir
    (notify.log, reconfig.log); returns the YAML lines naming them in a masters entry."""
    lines = ""
    for key, log in (("notification-script", "notify.log"),
                     ("client-reconfig-script", "reconfig.log")):
        path = os.path.join(data_dir, key + ".sh")
        with open(path, "w") as f:
            f.write(SCRIPT % log)
        os.chmod(path, 0o755)
        lines += "    %s: %s\n" % (key, path)
    return lines


def _webhook_yaml(hooks):
    lines = ["webhooks:"] if hooks else []
    for h in hooks:
        lines.append("  - url: %s" % h["url"])
        if h.get("events"):
            lines.append("    events: [%s]" % ", ".join('"%s"' % e for e in h["events"]))
        if h.get("secret"):
            lines.append('    secret: "%s"' % h["secret"])
        if h.get("timeout"):
            lines.append("    timeout: %s" % h["timeout"])
        if h.get("pre_failover"):
            lines.append("    pre-failover: yes")
        if h.get("ca_file"):
            lines.append('    ca-file: "%s"' % h["ca_file"])
    return lines


def write_sentinel_yaml(path, port, data_dir, master_port, quorum=2, http_port=0, token=None,
                        webhooks=(), extra="", master_extra="", down_after_ms=DOWN_AFTER_MS,
                        failover_timeout_ms=FAILOVER_TIMEOUT_MS):
    """A vigil-sentinel YAML watching 127.0.0.1:master_port. extra is appended after the http:
    section (indent it to continue that section, or start top-level keys); master_extra are
    lines for the masters entry (4-space indented)."""
    lines = ["port: %d" % port, "bind: %s" % HOST, "dir: %s" % data_dir, "masters:",
             "  - name: %s" % MASTER_NAME, "    host: %s" % HOST, "    port: %d" % master_port,
             "    quorum: %d" % quorum, "    down-after: %dms" % down_after_ms,
             "    failover-timeout: %dms" % failover_timeout_ms]
    text = "\n".join(lines) + "\n" + master_extra
    lines = []
    if http_port:
        lines += ["http:", "  bind: %s" % HOST, "  port: %d" % http_port]
        if token:
            lines.append('  token: "%s"' % token)
    lines += _webhook_yaml(webhooks)
    with open(path, "w") as f:
        f.write(text + "".join(line + "\n" for line in lines) + extra)


def _wait_sentinel_answers(s, timeout_s=10):
    """PING answered and, with an HTTP port, /healthz 200."""
    def answers():
        if s.proc.poll() is not None:
            raise procs.ProcExited("%s exited:\n%s" % (s.proc.name, s.proc.log_tail(30)))
        return s.client.ping() and (not s.http_port or s.get("/healthz").status == 200)
    wait_until(answers, timeout_s, "%s to answer" % s.proc.name, ignore=REDIS_ERRORS)


def start_sentinel(group, master_port, quorum=2, http=True, token=TOKEN, webhooks=(),
                   data_dir=None, port=None, http_port=None, yaml_path=None, scripts=False,
                   down_after_ms=DOWN_AFTER_MS, failover_timeout_ms=FAILOVER_TIMEOUT_MS,
                   demo=False, state_dir=None, tls=None, acl=None):
    """Start a vigil-sentinel watching master_port and wait until it answers (PING, /healthz).

    data_dir is its cwd (and log); its `dir` (state file) is state_dir if given, else data_dir.
    Its YAML is written to yaml_path (default <data_dir>/sentinel.yaml) unless that file exists
    (a test's own YAML). demo=True: configs/demo/sentinel.yaml with ports, dir, quorum and
    timings overridden on the command line (token DEMO_TOKEN; webhooks and scripts unsupported).
    acl (an Acl): its users file in `dir`, its peer and store logins in the YAML.
    """
    binary = store.require_binary(store.vigil_binary("vigil-sentinel"))
    port = port or free_port()
    http_port = (http_port or free_port()) if http else 0
    data_dir = data_dir or procs.new_tmp_dir_in(group.dir, "vigil-sentinel-%d" % port)
    tls_port = 0
    if demo:
        assert tls is None and acl is None, "demo sentinels: no TLS, no ACL"
        assert not webhooks and not scripts and http, "demo sentinels: HTTP on, nothing else"
        token, yaml_path = DEMO_TOKEN, None
        args = [binary, os.path.join(DEMO_DIR, "sentinel.yaml"), "--port", port, "--dir",
                state_dir or data_dir, "--http.port", http_port, "--masters.0.port", master_port,
                "--masters.0.quorum", quorum, "--masters.0.down-after", "%dms" % down_after_ms,
                "--masters.0.failover-timeout", "%dms" % failover_timeout_ms]
    else:
        yaml_path = yaml_path or os.path.join(data_dir, "sentinel.yaml")
        tls_port = free_port() if tls else 0
        if acl:
            acl.write_sentinel_users(state_dir or data_dir)
        if not os.path.exists(yaml_path):
            master_extra = (write_scripts(data_dir) if scripts else "") + (
                acl.master_yaml() if acl else "")
            # TLS sentinels have no plaintext port (port 0): every link is TLS.
            write_sentinel_yaml(yaml_path, 0 if tls else port, state_dir or data_dir,
                                master_port, quorum,
                                http_port, token, webhooks, master_extra=master_extra,
                                down_after_ms=down_after_ms,
                                failover_timeout_ms=failover_timeout_ms,
                                extra=(tls.sentinel_yaml(tls_port, https=bool(http_port)) if tls else "")
                                + (acl.sentinel_yaml() if acl else ""))
        args = [binary, yaml_path]
    proc = Proc(args, name="vigil-sentinel-%d" % port, cwd=data_dir, group=group)
    s = SentinelNode("vigil", tls_port or port, proc, data_dir, http_port or None, yaml_path,
                     token, tls=tls, auth=acl.admin_kwargs if acl else None)
    _wait_sentinel_answers(s)
    return s


def restart_sentinel(group, s):
    """Start vigil-sentinel s again (after it stopped) on its ports, dir and YAML."""
    assert s.yaml, "restart_sentinel needs a sentinel started from its own YAML"
    s.close()
    again = SentinelNode("vigil", s.port, Proc([store.vigil_binary("vigil-sentinel"), s.yaml],
                                               name=s.proc.name, cwd=s.dir, group=group),
                         s.dir, s.http_port, s.yaml, s.token, tls=s.tls, auth=s.auth)
    _wait_sentinel_answers(again)
    return again


REDIS_SENTINEL_CONF = """port {port}
bind 127.0.0.1
protected-mode no
daemonize no
dir {dir}
sentinel monitor {name} 127.0.0.1 {master_port} {quorum}
sentinel down-after-milliseconds {name} {down_after_ms}
sentinel failover-timeout {name} {failover_timeout_ms}
sentinel parallel-syncs {name} 1
"""


def start_redis_sentinel(group, master_port, quorum=2, down_after_ms=DOWN_AFTER_MS,
                         failover_timeout_ms=FAILOVER_TIMEOUT_MS):
    """Debian's redis-sentinel with its own (rewritable) sentinel.conf in a temp dir."""
    binary = store.require_binary(redis_sentinel_path())
    port = free_port()
    data_dir = procs.new_tmp_dir_in(group.dir, "redis-sentinel-%d" % port)
    conf = os.path.join(data_dir, "sentinel.conf")
    with open(conf, "w") as f:
        f.write(REDIS_SENTINEL_CONF.format(port=port, dir=data_dir, name=MASTER_NAME,
                                           master_port=master_port, quorum=quorum,
                                           down_after_ms=down_after_ms,
                                           failover_timeout_ms=failover_timeout_ms))
    proc = Proc([binary, conf], name="redis-sentinel-%d" % port, cwd=data_dir, group=group)
    s = SentinelNode("redis", port, proc, data_dir)
    _wait_sentinel_answers(s)
    return s


# --- the deployment -------------------------------------------------------------------------------

class Deployment:
    """A master, n_replicas replicas and n_sentinels sentinels; see the module comment."""

    def __init__(self, group, node_kind="vigil", sentinel_kind="vigil", n_replicas=2,
                 n_sentinels=3, quorum=2, down_after_ms=DOWN_AFTER_MS,
                 failover_timeout_ms=FAILOVER_TIMEOUT_MS, http=True, token=TOKEN,
                 webhooks_for=None, scripts=False, demo=False, node_hz=None, tls=None,
                 acl=None):
        if node_kind not in NODE_KINDS or sentinel_kind not in SENTINEL_KINDS:
            raise ValueError("bad kinds %r/%r" % (node_kind, sentinel_kind))
        self.group = group
        self.node_kind = node_kind
        self.sentinel_kind = sentinel_kind
        self.n_replicas = n_replicas
        self.n_sentinels = n_sentinels
        self.quorum = quorum
        self.down_after_ms = down_after_ms
        self.failover_timeout_ms = failover_timeout_ms
        self.http = http and sentinel_kind == "vigil"
        self.token = token
        self.webhooks_for = webhooks_for
        self.scripts = scripts
        self.demo = demo
        self.node_hz = node_hz
        self.tls = tls
        self.acl = acl
        self.nodes = []        # store.Store, nodes[0] started as the master
        self.sentinels = []    # SentinelNode

    def __repr__(self):
        return "Deployment(%s nodes %s, %s sentinels %s)" % (
            self.node_kind, [n.port for n in self.nodes], self.sentinel_kind,
            [s.port for s in self.sentinels])

    @property
    def master(self):
        """The node started as the master (it may not be the master any more)."""
        return self.nodes[0]

    @property
    def replicas(self):
        """The nodes started as replicas."""
        return self.nodes[1:]

    def start(self, timeout_s=15):
        """Start everything; wait until every replica is online at the master and every
        sentinel knows every replica (healthy) and every other sentinel. Returns self."""
        master = start_data_node(self.node_kind, self.group, name="master", demo=self.demo,
                                 hz=self.node_hz, tls=self.tls, acl=self.acl)
        self.nodes = [master] + [
            start_data_node(self.node_kind, self.group, master.port, name="replica%d" % i,
                            demo=self.demo, hz=self.node_hz, tls=self.tls, acl=self.acl)
            for i in range(1, self.n_replicas + 1)]
        self.wait_replicas_online(master, self.n_replicas, timeout_s)
        if self.node_kind == "vigil" and self.sentinel_kind == "redis":
            # configs/demo turns the master lease on, which needs vigil-sentinels' renewals;
            # under Redis's sentinels it must be off (docs/replication.md#master-lease).
            for n in self.nodes:
                n.client().config_set("master-lease", "no")
        self.sentinels = [self._start_sentinel(i, master.port) for i in range(self.n_sentinels)]
        self.wait_discovered(timeout_s)
        return self

    def _start_sentinel(self, i, master_port):
        if self.sentinel_kind == "redis":
            return start_redis_sentinel(self.group, master_port, self.quorum, self.down_after_ms,
                                        self.failover_timeout_ms)
        hooks = self.webhooks_for(i) if self.webhooks_for else ()
        return start_sentinel(self.group, master_port, self.quorum, self.http, self.token, hooks,
                              scripts=self.scripts, down_after_ms=self.down_after_ms,
                              failover_timeout_ms=self.failover_timeout_ms, demo=self.demo,
                              tls=self.tls, acl=self.acl)

    def restart_sentinel(self, i):
        """Start sentinel i again after it stopped; returns (and stores) the new SentinelNode."""
        self.sentinels[i] = restart_sentinel(self.group, self.sentinels[i])
        return self.sentinels[i]

    def stop(self):
        for s in self.sentinels:
            s.close()
        for n in self.nodes:
            n.close_clients()

    # --- who is who ---

    @property
    def sentinel_addrs(self):
        return [s.addr for s in self.sentinels]

    @property
    def http_addrs(self):
        return ["%s:%d" % (HOST, s.http_port) for s in self.sentinels if s.http_port]

    def node_at(self, addr):
        port = addr[1] if isinstance(addr, tuple) else addr
        return next(n for n in self.nodes if n.port == port)

    node_by_port = node_at

    def live_nodes(self):
        return [n for n in self.nodes if n.is_alive()]

    def role_of(self, node):
        with redis.Redis(host=node.host, port=node.port, socket_timeout=2,
                         decode_responses=True, **_node_kwargs(node)) as c:
            return c.execute_command("ROLE")

    def agreed_master(self, timeout_s=10, exclude=None):
        """Wait until every sentinel answers the same master address (not `exclude`)."""
        def agreed():
            addrs = {s.master_addr() for s in self.sentinels}
            addr = addrs.pop() if len(addrs) == 1 else None
            return addr if addr and addr != exclude else None
        what = "every sentinel to answer the same master" + (
            " other than %s:%d" % exclude if exclude else "")
        return wait_until(agreed, timeout_s, what, ignore=REDIS_ERRORS)

    # --- waits ---

    @staticmethod
    def replicas_online(master, count):
        """True if master's INFO lists (at least) `count` replicas in state online."""
        with redis.Redis(host=master.host, port=master.port, socket_timeout=2,
                         **_node_kwargs(master)) as c:
            info = c.info("replication")
        states = [info.get("slave%d" % i, {}).get("state") for i in range(count)]
        return info.get("connected_slaves", 0) >= count and states == ["online"] * count

    def wait_replicas_online(self, master=None, count=None, timeout_s=10):
        master = master or self.master
        count = self.n_replicas if count is None else count
        wait_until(lambda: self.replicas_online(master, count), timeout_s,
                   "%d replicas online at %s" % (count, master.addr), ignore=REDIS_ERRORS)

    def wait_discovered(self, timeout_s=15):
        """Every sentinel knows the replicas (healthy) and every other sentinel. Healthy:
        connected and their own INFO read (master-link-status comes from it); before that a
        replica is not eligible and SENTINEL FAILOVER would answer NOGOODSLAVE."""
        replica_ports = {n.port for n in self.replicas}
        peers = len(self.sentinels) - 1

        def done():
            for s in self.sentinels:
                reps = s.table("REPLICAS")
                if {int(r["port"]) for r in reps} != replica_ports:
                    return False
                if any(r["flags"] != "slave" or r["master-link-status"] != "ok" for r in reps):
                    return False
                if len(s.table("SENTINELS")) != peers:
                    return False
            return True
        wait_until(done, timeout_s, "replicas and sentinels discovered by every sentinel",
                   ignore=REDIS_ERRORS)

    def wait_eligible(self, timeout_s=15):
        """Every HTTP-enabled sentinel sees every replica as eligible for promotion."""
        def eligible():
            for s in self.sentinels:
                if not s.http_port:
                    continue
                reps = s.get("/v1/masters/%s" % MASTER_NAME).json["replicas"]
                if len(reps) != self.n_replicas or not all(r["eligible"] for r in reps):
                    return False
            return True
        wait_until(eligible, timeout_s, "every replica eligible on every sentinel",
                   ignore=(OSError,))

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
                          ignore=REDIS_ERRORS)

    def _settled_at(self):
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

    def wait_settled(self, timeout_s=15):
        """The failover is over: one agreed master, every other live node its replica with the
        link up, and no sentinel flags the master as down or failing over. Returns the master."""
        return wait_until(self._settled_at, timeout_s, "the group to settle after a failover",
                          ignore=REDIS_ERRORS)

    # --- actions ---

    def kill_master(self):
        """kill -9 the node every sentinel names as master. Returns (its addr, t_kill_ns):
        t_kill_ns is taken once the process is reaped (nothing it sends can arrive later)."""
        addr = self.agreed_master()
        self.node_at(addr).kill9()
        return addr, time.monotonic_ns()

    def switchover(self, timeout_s=10):
        """A manual failover by the sentinels' method (vigiltest.switchover.switchover)."""
        return so.switchover(self, timeout_s)
