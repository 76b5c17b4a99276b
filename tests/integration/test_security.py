"""Security checks of vigil-store and of vigil-sentinel's RESP port, each against Redis 7.0.

- Cross-protocol scripting: an HTTP POST whose body holds commands closes the connection
  without a reply, and the body's commands never run (Redis does the same).
- Unauthenticated clients (requirepass set): a request may announce at most 10 arguments of at
  most 16 KB each (Redis's error texts, byte for byte, then the connection closes), and a client
  that pipelines commands without reading the replies is disconnected instead of pinning memory.
- AUTH compares lengths and bytes: "pw\\0zz" is not the password "pw", inline or multibulk.
"""

import ast
import contextlib
import os
import shutil
import socket
import subprocess

import pytest

import vigiltest
from vigiltest import parse_reply, wait_until


_helpers = vigiltest.load_sibling(__file__, "test_sentinel_protocol.py")
MASTER, VigilSentinel = _helpers.MASTER, _helpers.VigilSentinel

HOST = "127.0.0.1"
PASSWORD = "pw"
WRONGPASS = b"-WRONGPASS invalid username-password pair or user is disabled.\r\n"
NOAUTH = b"-NOAUTH Authentication required.\r\n"
HELLO_NOAUTH = (b"-NOAUTH HELLO must be called with the client already authenticated, otherwise the "
                b"HELLO AUTH <user> <pass> option can be used to authenticate the client and "
                b"select the RESP protocol version at the same time\r\n")


def read_until_closed(sock, timeout_s=10.0):
    """Everything the server sends until it closes the connection; fails if it never does."""
    sock.settimeout(timeout_s)
    out = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            return out
        except socket.timeout:
            pytest.fail("the server did not close the connection (got %r)" % out[:200])
        if not chunk:
            return out
        out += chunk


def send_and_read_until_closed(port, data):
    with socket.create_connection((HOST, port), timeout=10) as sock:
        sock.sendall(data)
        return read_until_closed(sock)


def http_post(body):
    head = ("POST /submit HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\n"
            "Content-Length: %d\r\n\r\n" % len(body)).encode()
    return head + body


def store_pair(extra_args=()):
    """vigil-store and redis-server started with the same arguments."""
    return (vigiltest.start_store("vigil", extra_args=extra_args),
            vigiltest.start_store("redis", extra_args=extra_args))


# --- cross-protocol scripting -----------------------------------------------------------------

ATTACK_BODY = (b"SET pwned yes\r\n"
               b"*3\r\n$3\r\nSET\r\n$7\r\npwned-2\r\n$3\r\nyes\r\n")


@pytest.mark.parametrize("kind", ["vigil", "redis"])
def test_store_http_post_closes_without_reply_and_runs_nothing(proc_group, kind):
    store = vigiltest.start_store(kind)
    assert send_and_read_until_closed(store.port, http_post(ATTACK_BODY)) == b""
    # "Host:" alone (a header line arriving first) is refused the same way, in any case.
    assert send_and_read_until_closed(store.port, b"host: x\r\nSET pwned yes\r\n") == b""
    assert send_and_read_until_closed(store.port, b"*1\r\n$4\r\npost\r\nSET pwned yes\r\n") == b""
    with store.raw() as c:
        assert c.call("EXISTS", "pwned", "pwned-2") == 0
        assert c.call("PING") == "PONG"
    if kind == "vigil":
        wait_until(lambda: store.proc.log_text().count("cross-protocol scripting") == 3, 10,
                   "a warning for each refused HTTP request in the log")


def sentinel_down_after(conn):
    fields = conn.call("SENTINEL", "MASTER", MASTER)
    pairs = dict(zip(fields[::2], fields[1::2]))
    return pairs[b"down-after-milliseconds"]


def test_sentinel_http_post_closes_without_reply_and_applies_nothing(proc_group, node_kind):
    master = vigiltest.start_store(node_kind, name="master")
    s = VigilSentinel(proc_group, master.port)
    with s.conn() as c:
        before = sentinel_down_after(c)
    body = (b"SENTINEL SET %s down-after-milliseconds 1234\r\n" % MASTER.encode() +
            b"*5\r\n$8\r\nSENTINEL\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$6\r\nquorum\r\n$1\r\n1\r\n"
            % (len(MASTER), MASTER.encode()))
    assert send_and_read_until_closed(s.port, http_post(body)) == b""
    with s.conn() as c:
        assert sentinel_down_after(c) == before
        fields = c.call("SENTINEL", "MASTER", MASTER)
        assert dict(zip(fields[::2], fields[1::2]))[b"quorum"] == b"2"
    wait_until(lambda: "cross-protocol scripting" in s.proc.log_text(), 10,
               "the warning in the sentinel's log")


# --- unauthenticated limits -------------------------------------------------------------------

UNAUTH_CASES = [
    (b"*100\r\n", b"-ERR Protocol error: unauthenticated multibulk length\r\n"),
    (b"*11\r\n", b"-ERR Protocol error: unauthenticated multibulk length\r\n"),
    (b"*1\r\n$100000\r\n", b"-ERR Protocol error: unauthenticated bulk length\r\n"),
    (b"*2\r\n$4\r\nAUTH\r\n$16385\r\n", b"-ERR Protocol error: unauthenticated bulk length\r\n"),
]


def test_store_unauthenticated_request_limits_match_redis(proc_group):
    ours, ref = store_pair(["--requirepass", PASSWORD])
    for data, want in UNAUTH_CASES:
        assert send_and_read_until_closed(ref.port, data) == want, data
        assert send_and_read_until_closed(ours.port, data) == want, data
    # At the limits exactly the request is read and answered (the same bytes as Redis), and
    # after AUTH the usual limits apply.
    at_limits = [b"*10\r\n$4\r\nAUTH\r\n" + b"$1\r\nx\r\n" * 9,
                 b"*2\r\n$4\r\nECHO\r\n$16384\r\n" + b"v" * 16384 + b"\r\n"]
    replies = {}
    for store in (ours, ref):
        with store.raw() as c:
            for data in at_limits:
                c.send_raw(data)
                replies.setdefault(store.kind, []).append(c.read_reply_bytes())
            assert c.call("AUTH", PASSWORD) == "OK"
            assert c.call("ECHO", b"v" * 100000) == b"v" * 100000
    assert replies["vigil"] == replies["redis"] == [b"-ERR syntax error\r\n", NOAUTH]


def test_store_lifting_requirepass_admits_unauthenticated_connections_as_redis(proc_group):
    """A connection refused with NOAUTH may run commands once CONFIG SET requirepass "" turned
    the default user into nopass, as on redis-server (the check is made per command)."""
    ours, ref = store_pair(["--requirepass", PASSWORD])
    replies = {}
    for store in (ours, ref):
        with store.raw() as waiting, store.raw() as admin:
            got = [waiting.call_bytes("PING"), waiting.call_bytes("HELLO", "2")]
            admin.call("AUTH", PASSWORD)
            admin.call("CONFIG", "SET", "requirepass", "")
            got += [waiting.call_bytes("PING"), waiting.call_bytes("ECHO", "in")]
            replies[store.kind] = got
    assert replies["vigil"] == replies["redis"]
    assert replies["vigil"][0] == NOAUTH and replies["vigil"][2] == b"+PONG\r\n"


def test_store_hello_before_auth_answers_as_redis_7_0(proc_group):
    """HELLO without credentials is refused with Redis 7.0's text (7.2 reworded it), and the
    CLIENT KILL USER filter refuses an unknown user, byte for byte with redis-server."""
    ours, ref = store_pair(["--requirepass", PASSWORD])
    replies = {}
    for store in (ours, ref):
        with store.raw() as c:
            got = [c.call_bytes("HELLO", "3"), c.call_bytes("HELLO", "3", "SETNAME", "x")]
            c.call("AUTH", PASSWORD)
            got += [c.call_bytes("CLIENT", "KILL", "USER", "nobody"),
                    c.call_bytes("CLIENT", "KILL", "USER", "default", "ID", "999999")]
            replies[store.kind] = got
    assert replies["vigil"] == replies["redis"]
    assert replies["vigil"][0] == HELLO_NOAUTH


def test_sentinel_hello_before_auth_answers_as_redis_7_0(proc_group):
    s = VigilSentinel(proc_group, extra="requirepass: %s\n" % PASSWORD, password=PASSWORD)
    with socket.create_connection((HOST, s.port), timeout=10) as sock:
        sock.sendall(b"*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n")
        sock.settimeout(10)
        got = b""
        while not got.endswith(b"\r\n"):
            chunk = sock.recv(4096)
            assert chunk, "the sentinel closed the connection"
            got += chunk
    assert got == HELLO_NOAUTH


def test_sentinel_unauthenticated_request_limits(proc_group):
    s = VigilSentinel(proc_group, extra="requirepass: %s\n" % PASSWORD, password=PASSWORD)
    for data, want in UNAUTH_CASES:
        assert send_and_read_until_closed(s.port, data) == want, data
    with s.conn() as c:
        assert c.call("AUTH", PASSWORD) == "OK"
        c.send_raw(b"*2\r\n$4\r\nPING\r\n$100000\r\n" + b"v" * 100000 + b"\r\n")
        assert parse_reply(c.read_reply_bytes()) == b"v" * 100000


def flood_without_reading(port, commands=300000):
    """Pipeline `AUTH g` without reading a byte of the replies (~65 bytes each, ~19 MB in all).
    Returns the socket (still open on our side) once everything is sent or the server hung up."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # the kernel absorbs little
    sock.settimeout(30)
    sock.connect((HOST, port))
    chunk = b"AUTH g\r\n" * 1000
    try:
        for _ in range(commands // 1000):
            sock.sendall(chunk)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server closed us: what the tests want
    return sock


def only_me_connected(conn):
    listing = conn.call("CLIENT", "LIST").strip().split(b"\n")
    return len(listing) == 1


def assert_flooder_dropped(port, admin):
    assert admin.call("AUTH", PASSWORD) == "OK"
    sock = flood_without_reading(port)
    try:
        wait_until(lambda: only_me_connected(admin), 10,
                   "the flooding unauthenticated client to be disconnected")
    finally:
        sock.close()


def test_store_drops_unauthenticated_client_that_does_not_read(proc_group):
    store = vigiltest.start_store("vigil", extra_args=["--requirepass", PASSWORD])
    with store.raw() as admin:
        assert_flooder_dropped(store.port, admin)


def test_sentinel_drops_unauthenticated_client_that_does_not_read(proc_group):
    s = VigilSentinel(proc_group, extra="requirepass: %s\n" % PASSWORD, password=PASSWORD)
    with s.conn() as admin:
        assert_flooder_dropped(s.port, admin)


# --- AUTH with a NUL byte ---------------------------------------------------------------------

def test_store_auth_with_nul_is_not_the_shorter_password(proc_group):
    store = vigiltest.start_store("vigil", extra_args=["--requirepass", PASSWORD])
    with store.raw() as c:
        c.send_raw(b"AUTH pw\x00zz\r\nPING\r\n")  # inline
        assert c.read_reply_bytes() == WRONGPASS
        assert c.read_reply_bytes() == NOAUTH
        assert c.call_bytes("AUTH", b"pw\x00zz") == WRONGPASS
        assert c.call_bytes("AUTH", b"default", b"pw\x00") == WRONGPASS
        assert c.call_bytes("HELLO", "3", "AUTH", "default", b"pw\x00zz") == WRONGPASS
        assert c.call_bytes("AUTH", "DEFAULT", PASSWORD) == WRONGPASS  # names are case-sensitive
        assert c.call_bytes("PING") == NOAUTH
        assert c.call("AUTH", PASSWORD) == "OK"


def test_sentinel_auth_with_nul_is_not_the_shorter_password(proc_group):
    s = VigilSentinel(proc_group, extra="requirepass: %s\n" % PASSWORD, password=PASSWORD)
    with s.conn() as c:
        assert c.call_bytes("AUTH", b"pw\x00zz") == WRONGPASS
        assert c.call_bytes("AUTH", b"default\x00x", PASSWORD) == WRONGPASS
        assert c.call_bytes("HELLO", "3", "AUTH", "default", b"pw\x00zz") == WRONGPASS
        c.send_raw(b"AUTH pw\x00zz\r\n")
        assert c.read_reply_bytes() == WRONGPASS
        assert c.call_bytes("PING") == NOAUTH
        assert c.call("AUTH", PASSWORD) == "OK"
        assert c.call("PING") == "PONG"


# --- secrets in MONITOR and SLOWLOG -----------------------------------------------------------

SECRET_COMMANDS = [
    ("AUTH", "x"), ("AUTH", "u", "x"), ("AUTH", "a", "b", "c"),
    ("HELLO", "2", "AUTH", "default", "x"), ("HELLO", "2", "AUTH", "default", "x", "SETNAME", "nm"),
    ("HELLO", "2", "SETNAME", "nm", "AUTH", "default", "x"), ("HELLO", "4", "AUTH", "default", "x"),
    ("HELLO", "x", "AUTH", "default", "x"), ("HELLO", "2", "AUTH", "default", "x", "bogus"),
    ("HELLO", "2", "auth", "default", "x", "AUTH", "a", "b"), ("HELLO", "2", "AUTH", "default"),
    ("CONFIG", "SET", "masterauth", "x"), ("CONFIG", "SET", "MasterAuth", "x"),
    ("CONFIG", "SET", "masteruser", "x"), ("CONFIG", "SET", "maxmemory", "bad", "requirepass", "z"),
    ("CONFIG", "SET", "masterauth", "x", "nonexist", "y"),
    ("CONFIG", "SET", "nonexist", "y", "masterauth", "x"),
    ("CONFIG", "SET", "requirepass", "x"), ("AUTH", "x"), ("CONFIG", "SET", "requirepass", ""),
    ("CONFIG", "SET", "masterauth", ""), ("CONFIG", "SET", "masteruser", ""),
    ("ECHO", "done"),
]


def monitor_and_slowlog(store):
    """Run SECRET_COMMANDS while a MONITOR watches; return (monitor lines without their time and
    address prefix, SLOWLOG entries as (arguments, client name))."""
    with store.raw() as mon, store.raw() as c:
        assert mon.call("MONITOR") == "OK"
        assert c.call("CONFIG", "SET", "slowlog-log-slower-than", "0") == "OK"
        assert c.call("SLOWLOG", "RESET") == "OK"
        for cmd in SECRET_COMMANDS:
            c.call(*cmd)
        lines = []
        while not lines or b'"done"' not in lines[-1]:
            line = mon.read_reply_bytes()
            lines.append(line.split(b"] ", 1)[1])
        entries = c.call("SLOWLOG", "GET", "100")
        assert c.call("CONFIG", "SET", "slowlog-log-slower-than", "10000") == "OK"
    return lines, [(e[3], e[5]) for e in reversed(entries)]


def test_store_monitor_and_slowlog_redact_secrets_as_redis(proc_group):
    ours, ref = store_pair()
    got, want = monitor_and_slowlog(ours), monitor_and_slowlog(ref)
    assert got[0] == want[0]
    assert got[1] == want[1]
    assert b'"AUTH" "(redacted)"\r\n' in got[0] and b'"AUTH" "x"\r\n' not in got[0]
    assert ([b"CONFIG", b"SET", b"requirepass", b"(redacted)"], b"nm") in got[1]
    assert ([b"AUTH", b"(redacted)"], b"nm") in got[1]


# --- protected mode ---------------------------------------------------------------------------
#
# The "remote" client runs in a network namespace this test creates, joined to the root namespace
# by a veth pair; both ends get addresses from a /30 used only on those two interfaces. Everything
# is removed in a finally. Needs root and `ip netns`: without them the test FAILS (CI runs as root).

REMOTE_CLIENT = r"""
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10)
s.sendall(sys.argv[3].encode().replace(b"|", b"\r\n"))
out = b""
try:
    while True:
        d = s.recv(65536)
        if not d:
            out += b"<EOF>"
            break
        out += d
        if sys.argv[4] != "eof" and out.count(b"\r\n") >= int(sys.argv[4]):
            break
except ConnectionResetError:
    out += b"<EOF>"
except socket.timeout:
    out += b"<TIMEOUT>"
sys.stdout.write(repr(out))
"""


def run(*args):
    return subprocess.run(list(args), check=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=30)


@contextlib.contextmanager
def remote_namespace():
    if os.geteuid() != 0:
        pytest.fail("the protected-mode tests need root to create a network namespace")
    if shutil.which("ip") is None:
        pytest.fail("the protected-mode tests need iproute2's `ip`")
    tag = "%d" % (os.getpid() % 100000)
    ns, host_if, ns_if = "vgsec" + tag, "vgsh" + tag, "vgsn" + tag
    third = os.getpid() % 250 + 1
    host_ip, ns_ip = "10.231.%d.1" % third, "10.231.%d.2" % third
    try:
        run("ip", "netns", "add", ns)
        run("ip", "link", "add", host_if, "type", "veth", "peer", "name", ns_if)
        run("ip", "link", "set", ns_if, "netns", ns)
        run("ip", "addr", "add", host_ip + "/30", "dev", host_if)
        run("ip", "link", "set", host_if, "up")
        run("ip", "-n", ns, "addr", "add", ns_ip + "/30", "dev", ns_if)
        run("ip", "-n", ns, "link", "set", ns_if, "up")
        run("ip", "-n", ns, "link", "set", "lo", "up")
        yield ns, host_ip
    finally:
        subprocess.run(["ip", "netns", "del", ns], stderr=subprocess.DEVNULL)
        subprocess.run(["ip", "link", "del", host_if], stderr=subprocess.DEVNULL)


def remote_send(ns, host, port, commands, replies="eof"):
    """Send inline commands ("|" separates them) from inside ns; the bytes received, with
    "<EOF>" appended when the server closed the connection."""
    r = run("ip", "netns", "exec", ns, "/usr/bin/python3", "-c", REMOTE_CLIENT, host, str(port),
            commands, str(replies))
    return ast.literal_eval(r.stdout.decode())


DENIED = (b"-DENIED Redis is running in protected mode because protected mode is enabled and no "
          b"password is set for the default user.")


def test_store_protected_mode_denies_remote_clients_as_redis(proc_group):
    with remote_namespace() as (ns, host_ip):
        bind = ["--bind", "127.0.0.1 %s" % host_ip]
        ours, ref = store_pair(bind)
        got = remote_send(ns, host_ip, ours.port, "PING|SET remote yes|")
        want = remote_send(ns, host_ip, ref.port, "PING|SET remote yes|")
        assert got == want
        assert got.startswith(DENIED) and got.endswith(b"\r\n<EOF>") and got.count(b"\r\n") == 1
        for store in (ours, ref):
            with store.raw() as c:  # loopback is served, and the remote command never ran
                assert c.call("EXISTS", "remote") == 0
                assert c.call("CONFIG", "GET", "protected-mode") == [b"protected-mode", b"yes"]
                assert b"rejected_connections:1\r\n" in c.call("INFO", "stats")
                # Switched off at run time (from loopback): remote clients are served.
                assert c.call("CONFIG", "SET", "protected-mode", "no") == "OK"
            assert remote_send(ns, host_ip, store.port, "PING|", 1) == b"+PONG\r\n"


def test_store_protected_mode_serves_remote_clients_once_a_password_is_set(proc_group):
    with remote_namespace() as (ns, host_ip):
        store = vigiltest.start_store("vigil", extra_args=["--bind", "127.0.0.1 %s" % host_ip,
                                                           "--requirepass", PASSWORD])
        assert remote_send(ns, host_ip, store.port, "PING|AUTH pw|PING|", 3) == (
            NOAUTH + b"+OK\r\n+PONG\r\n")


def start_sentinel_on(group, bind_ip, extra=""):
    """A vigil-sentinel listening on bind_ip only; returns its port once it accepts connections
    (from the root namespace a connection to bind_ip does not come from loopback)."""
    port = vigiltest.free_port()
    data_dir = vigiltest.new_tmp_dir_in(group.dir, "vigil-sentinel")
    path = os.path.join(data_dir, "sentinel.yaml")
    with open(path, "w") as f:
        f.write("port: %d\nbind: %s\ndir: %s\n%s" % (port, bind_ip, data_dir, extra))
    binary = vigiltest.require_binary(vigiltest.vigil_binary("vigil-sentinel"))
    proc = vigiltest.Proc([binary, path], name="vigil-sentinel-%d" % port, cwd=data_dir,
                          group=group)

    def accepting():
        if proc.poll() is not None:
            raise vigiltest.ProcExited("vigil-sentinel exited: %s" % proc.log_tail(20))
        socket.create_connection((bind_ip, port), timeout=1).close()
        return True

    wait_until(accepting, 10, "vigil-sentinel to accept connections on %s" % bind_ip)
    return port


def test_sentinel_protected_mode_is_off_by_default_and_denies_when_set(proc_group):
    with remote_namespace() as (ns, host_ip):
        default = start_sentinel_on(proc_group, host_ip)
        assert remote_send(ns, host_ip, default, "PING|", 1) == b"+PONG\r\n"  # as Redis Sentinel
        protected = start_sentinel_on(proc_group, host_ip, "protected-mode: yes\n")
        got = remote_send(ns, host_ip, protected, "PING|SENTINEL RESET *|")
        assert got.startswith(DENIED) and got.endswith(b"\r\n<EOF>") and got.count(b"\r\n") == 1
        with_password = start_sentinel_on(proc_group, host_ip,
                                          "protected-mode: yes\nrequirepass: %s\n" % PASSWORD)
        assert remote_send(ns, host_ip, with_password, "PING|AUTH pw|PING|", 3) == (
            NOAUTH + b"+OK\r\n+PONG\r\n")
