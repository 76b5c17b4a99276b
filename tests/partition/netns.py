"""The partition harness's private network: one namespace per node, a bridge in its own namespace.

Why: a partition test must cut real TCP connections between real processes without touching the
machine's own network. Every store, sentinel and client gets a network namespace with one veth
whose peer is a port of a bridge that lives in a "switch" namespace the harness creates, so
nothing is added to the root namespace and every address (10.77.<run>.x/24) exists only inside
namespaces this run made. Names carry a prefix, the harness's pid and a run number, so two runs
(or two harnesses) never collide, and `cleanup_leftovers()` finds what a killed run left.

Faults (docs/partition.md#network):
  cut(groups)        blackhole routes inside every node namespace, both directions, for each
                     pair of nodes in different groups; a node in no group keeps its routes and
                     sees both sides (a bridge node).
  isolate(node)      the node's veth down (full isolation, the node sees nobody).
  heal()             every route and link back to normal.

Invariants: every `ip` call names its namespace (`ip -n`), so a bug cannot change the root
namespace's links or routes; destroy() deletes exactly the namespaces this Net created.
"""

import ctypes
import os
import subprocess

PREFIX = "vigilpt-"
NETNS_DIR = "/run/netns"
CLONE_NEWNET = 0x40000000
IP = "/usr/sbin/ip" if os.access("/usr/sbin/ip", os.X_OK) else "ip"


class NetError(RuntimeError):
    """An `ip` command failed; the message carries its stderr."""


def ip_run(args, stdin=None, check=True):
    """Run `ip args...`; raise NetError with stderr when check and it fails."""
    res = subprocess.run([IP] + list(args), input=stdin, capture_output=True, text=True,
                         timeout=30)
    if check and res.returncode != 0:
        raise NetError("ip %s: %s" % (" ".join(args), res.stderr.strip()))
    return res


def netns_available():
    """(True, '') when this process may create namespaces, else (False, why)."""
    if os.geteuid() != 0:
        return False, "the partition harness must run as root (it creates network namespaces)"
    probe = "%sprobe-%d" % (PREFIX, os.getpid())
    try:
        ip_run(["netns", "add", probe])
    except (NetError, OSError) as exc:
        return False, "cannot create a network namespace: %s" % exc
    ip_run(["netns", "del", probe], check=False)
    return True, ""


def list_namespaces():
    try:
        return sorted(os.listdir(NETNS_DIR))
    except FileNotFoundError:
        return []


def cleanup_leftovers(only_dead=False):
    """Delete namespaces of this harness's prefix (only those of dead harnesses if only_dead).

    Returns the names deleted. Processes still inside a deleted namespace keep it alive until
    they exit; the harness stops its own processes by pid before it gets here.
    """
    gone = []
    for name in list_namespaces():
        if not name.startswith(PREFIX) or name.startswith(PREFIX + "probe-"):
            continue
        pid = name[len(PREFIX):].split("-", 1)[0]
        if only_dead and pid.isdigit() and os.path.exists("/proc/%s" % pid):
            continue
        if ip_run(["netns", "del", name], check=False).returncode == 0:
            gone.append(name)
    return gone


class Net:
    """The namespaces of one run: nodes name -> last octet of the address."""

    def __init__(self, run_id, nodes):
        self.run_id = run_id
        self.prefix = "%s%d-%d-" % (PREFIX, os.getpid(), run_id)
        self.subnet = "10.77.%d" % (run_id % 250)
        self.switch = self.prefix + "sw"
        self.nodes = dict(nodes)            # name -> host octet
        self.created = []
        self.routes = {}                    # node -> set of blackholed peer nodes
        self.down = set()

    def ns(self, node):
        return self.prefix + node

    def addr(self, node):
        return "%s.%d" % (self.subnet, self.nodes[node])

    def create(self):
        """The switch namespace with its bridge, then one namespace + veth per node."""
        self._add_ns(self.switch)
        ip_run(["-n", self.switch, "-batch", "-"], stdin="link set lo up\n"
               "link add br0 type bridge\nlink set br0 up\n")
        for node in self.nodes:
            self._add_ns(self.ns(node))
            port = "p-" + node
            ip_run(["-n", self.switch, "link", "add", port, "type", "veth", "peer", "name", "eth0",
                    "netns", self.ns(node)])
            ip_run(["-n", self.switch, "-batch", "-"],
                   stdin="link set %s master br0\nlink set %s up\n" % (port, port))
            ip_run(["-n", self.ns(node), "-batch", "-"],
                   stdin="link set lo up\naddr add %s/24 dev eth0\nlink set eth0 up\n"
                   % self.addr(node))
        return self

    def _add_ns(self, name):
        ip_run(["netns", "add", name])
        self.created.append(name)

    def destroy(self):
        for name in reversed(self.created):
            ip_run(["netns", "del", name], check=False)
        self.created = []

    # -- faults -----------------------------------------------------------------------------

    def cut(self, groups):
        """Blackhole traffic between nodes of different groups (both directions)."""
        side = {}
        for i, group in enumerate(groups):
            for node in group:
                side[node] = i
        for node, i in side.items():
            peers = {p for p, j in side.items() if j != i} - self.routes.get(node, set())
            self._blackhole(node, peers, "add")
            self.routes.setdefault(node, set()).update(peers)

    def _blackhole(self, node, peers, verb):
        if not peers:
            return
        lines = "".join("route %s blackhole %s/32\n" % (verb, self.addr(p)) for p in sorted(peers))
        ip_run(["-n", self.ns(node), "-batch", "-"], stdin=lines)

    def isolate(self, node):
        ip_run(["-n", self.ns(node), "link", "set", "eth0", "down"])
        self.down.add(node)

    def heal(self):
        """Every blackhole route removed and every link up again."""
        for node, peers in sorted(self.routes.items()):
            self._blackhole(node, peers, "del")
        self.routes = {}
        for node in sorted(self.down):
            # The kernel puts the subnet route back with the link.
            ip_run(["-n", self.ns(node), "link", "set", "eth0", "up"])
        self.down = set()


class InNetns:
    """`with InNetns(path):` this thread's new sockets are created in that namespace.

    setns(2) changes only the calling thread; the sockets keep their namespace afterwards, so
    the harness can talk to nodes from the root namespace without adding anything to it.
    """

    _libc = None

    def __init__(self, ns_name):
        self.path = os.path.join(NETNS_DIR, ns_name)

    def __enter__(self):
        if InNetns._libc is None:
            InNetns._libc = ctypes.CDLL(None, use_errno=True)
        self.home = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
        target = os.open(self.path, os.O_RDONLY)
        try:
            self._setns(target)
        finally:
            os.close(target)
        return self

    def __exit__(self, *exc):
        try:
            self._setns(self.home)
        finally:
            os.close(self.home)

    def _setns(self, fd):
        if InNetns._libc.setns(fd, CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise OSError(err, "setns(%s): %s" % (self.path, os.strerror(err)))
