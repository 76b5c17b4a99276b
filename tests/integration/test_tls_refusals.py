"""Refusals on a TLS port go over TLS (docs/tls.md#refusals): a client turned away by
maxclients or protected mode completes the handshake and reads the error line as a TLS record,
then the server closes. The refusals in flight are bounded (32 per listener): past that, refused
clients are closed at once without a reply.

redis-server 7.0 is the oracle for protected mode (it sends -DENIED over TLS after the
handshake: the bytes must match). For maxclients it sends nothing on a TLS port; we still send
the line, as docs/tls.md says. Protected mode needs a client on another address: a network
namespace pair made by the test (test_master_lease_netns.TwoNamespaces, as test_store_acl.py
uses it), which needs root (an allow-listed skip otherwise). Every wait is a poll.
"""

import ast
import os
import socket
import ssl
import subprocess

import pytest

import vigiltest
from vigiltest import RespConn, deploy, new_tmp_dir, procs, start_store, wait_until
from vigiltest.tlspki import make_pki

MAXCLIENTS_ERR = b"-ERR max number of clients reached\r\n"
DENIED = (b"-DENIED Redis is running in protected mode because protected mode is enabled and no "
          b"password is set for the default user.")
REFUSALS_IN_FLIGHT = 32   # CONN_REFUSE_MAX

# A TLS client that reads until the server closes: what it got, then <EOF> after a clean close,
# or <ExceptionName> when the handshake or a read failed. Run as a program so that the same code
# runs from inside a network namespace.
READ_ALL = r'''
import socket, ssl, sys
ca, crt, key, host, port = sys.argv[1:6]
ctx = ssl.create_default_context(cafile=ca)
ctx.check_hostname = False
ctx.load_cert_chain(crt, key)
if len(sys.argv) > 6:
    ctx.maximum_version = ssl.TLSVersion[sys.argv[6]]
got = b""
try:
    with ctx.wrap_socket(socket.create_connection((host, int(port)), timeout=10)) as s:
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            got += chunk
    got += b"<EOF>"
except (ssl.SSLError, OSError) as e:
    got += b"<" + type(e).__name__.encode() + b">"
print(repr(got))
'''


@pytest.fixture(scope="module")
def pki():
    return make_pki(new_tmp_dir("pki"))


def read_all_argv(pki, host, port, *extra):
    return ["/usr/bin/python3", "-c", READ_ALL, pki.ca, pki.client_crt, pki.client_key, host,
            str(port)] + list(extra)


def read_all(pki, port, *extra):
    """What a TLS client on loopback reads from port until the server closes."""
    out = subprocess.run(read_all_argv(pki, "127.0.0.1", port, *extra), capture_output=True,
                         text=True, timeout=30, check=True).stdout
    return ast.literal_eval(out)


def plain_read_all(port):
    """What a plaintext client on loopback reads from port until the server closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        return b"".join(iter(lambda: s.recv(4096), b""))


def hold_the_only_slot(pki, port):
    """A TLS connection that PINGs once a slot is free (the start-up probe may still be
    counted): with maxclients 1, every other client is now refused."""
    def connected():
        c = RespConn("127.0.0.1", port, timeout_s=5, ssl_context=pki.ssl_context())
        try:
            if c.call("PING") == "PONG":
                return c
        except (ConnectionError, OSError):
            pass
        c.close()
        return None
    return wait_until(connected, 10, "a TLS client to take the only slot",
                      ignore=(ssl.SSLError, ConnectionError, OSError))


def rejected(conn):
    """INFO's rejected_connections (holding the slot may itself have been refused a few times
    while the start-up probe was still counted: tests compare before and after)."""
    info = conn.call("INFO", "stats").decode()
    return int(info.split("rejected_connections:")[1].split("\r\n")[0])


def test_store_maxclients_refusal_is_a_tls_record(pki):
    st = start_store("vigil", tls=pki, extra_args=["--maxclients", "1"])
    with hold_the_only_slot(pki, st.port) as held:
        before = rejected(held)
        for version in ("TLSv1_3", "TLSv1_2"):
            assert read_all(pki, st.port, version) == MAXCLIENTS_ERR + b"<EOF>", version
        assert held.call("PING") == "PONG"
        assert rejected(held) == before + 2   # the TLS port's refusals count
    # Once the slot is free again, a client is served.
    wait_until(lambda: read_all(pki, st.port) != MAXCLIENTS_ERR + b"<EOF>", 10, "a free slot")


def refused_by(pki, port):
    """(the CN of the certificate the server presented, what it sent until it closed)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with pki.ssl_context().wrap_socket(raw) as s:
            cn = dict(x[0] for x in s.getpeercert()["subject"])["commonName"]
            return cn, b"".join(iter(lambda: s.recv(4096), b""))


def test_refusals_use_the_certificate_of_the_last_reload(pki):
    st = start_store("vigil", tls=pki, extra_args=["--maxclients", "1"])
    with hold_the_only_slot(pki, st.port) as held:
        assert refused_by(pki, st.port) == ("vigil-server", MAXCLIENTS_ERR)
        assert held.call("CONFIG", "SET", "tls-cert-file", pki.server2_crt, "tls-key-file",
                         pki.server2_key) == "OK"
        assert refused_by(pki, st.port) == ("vigil-server-renewed", MAXCLIENTS_ERR)


def test_a_refused_client_that_never_handshakes_is_closed_at_the_deadline(pki):
    st = start_store("vigil", tls=pki, extra_args=["--maxclients", "1",
                                                   "--tls-handshake-timeout", "300ms"])
    with hold_the_only_slot(pki, st.port):
        with socket.create_connection(("127.0.0.1", st.port), timeout=10) as s:
            assert s.recv(64) == b""   # no plaintext line, and closed well before our timeout


def test_refusals_in_flight_are_bounded(pki):
    """32 refused clients that never handshake occupy every refusal slot: the next refused
    client is closed at once without a reply. Once they leave, refusals are sent again."""
    st = start_store("vigil", tls=pki, extra_args=["--maxclients", "1"])
    with hold_the_only_slot(pki, st.port) as held:
        # Accepted in order (one listen queue): the silent ones take the slots first.
        silent = [socket.create_connection(("127.0.0.1", st.port), timeout=10)
                  for _ in range(REFUSALS_IN_FLIGHT)]
        try:
            got = read_all(pki, st.port)
            assert not got.startswith(b"-ERR") and got.endswith(b">"), got
        finally:
            for s in silent:
                s.close()
        wait_until(lambda: read_all(pki, st.port) == MAXCLIENTS_ERR + b"<EOF>", 10,
                   "refusals to be sent again once the slots are free")
        assert held.call("PING") == "PONG"


def test_the_plaintext_port_of_the_same_store_still_refuses_in_plaintext(pki):
    plain_port = procs.free_port()
    st = start_store("vigil", tls=pki, extra_args=["--maxclients", "1", "--port", plain_port])
    with hold_the_only_slot(pki, st.port):
        assert plain_read_all(plain_port) == MAXCLIENTS_ERR
        assert read_all(pki, st.port) == MAXCLIENTS_ERR + b"<EOF>"


def test_out_of_descriptors_a_tls_port_closes_without_plaintext(pki):
    """With no descriptor left, the waiting client is accepted with the reserve and closed:
    on a TLS port without the plaintext maxclients line (a handshake would need a descriptor
    of its own; plaintext bytes would reach a TLS client as a wrong record version)."""
    st = start_store("vigil", tls=pki)
    pid = st.proc.pid

    def set_soft_limit(n):   # the hard limit stays: it could not be raised again
        subprocess.run(["/usr/bin/prlimit", "--pid", str(pid), "--nofile=%s:" % n], check=True)

    open_now = len(os.listdir("/proc/%d/fd" % pid))
    set_soft_limit(open_now)
    served = []
    try:
        # Closed descriptors below the limit are taken first: TLS clients fill those holes
        # (served) until one finds none left and is turned away.
        for _ in range(open_now + 1):
            try:
                served.append(RespConn("127.0.0.1", st.port, timeout_s=10,
                                       ssl_context=pki.ssl_context()))
            except OSError as e:   # an EOF or a reset in the handshake; ssl.SSLError is one
                assert "WRONG_VERSION_NUMBER" not in str(e), e
                break
        else:
            pytest.fail("no client was turned away")
        assert plain_read_all(st.port) == b""
    finally:
        set_soft_limit(1024)
        for c in served:
            c.close()
    wait_until(lambda: st.client().ping(), 10, "TLS clients served again")


def start_tls_sentinel(group, pki, extra=""):
    """A vigil-sentinel with a TLS port (and a plaintext one), watching a master that is not
    there; returns (tls_port, plain_port)."""
    d = procs.new_tmp_dir_in(group.dir, "vigil-sentinel")
    port, tls_port = procs.free_port(), procs.free_port()
    path = os.path.join(d, "sentinel.yaml")
    deploy.write_sentinel_yaml(path, port, d, procs.free_port(), quorum=1,
                               extra=pki.sentinel_yaml(tls_port, https=False) + extra)
    binary = vigiltest.require_binary(vigiltest.vigil_binary("vigil-sentinel"))
    procs.Proc([binary, path], name="vigil-sentinel-%d" % port, cwd=d, group=group)
    return tls_port, port


def test_sentinel_maxclients_refusal_is_a_tls_record(proc_group, pki):
    tls_port, port = start_tls_sentinel(proc_group, pki, "maxclients: 1\n")
    with hold_the_only_slot(pki, tls_port) as held:
        before = rejected(held)
        assert read_all(pki, tls_port) == MAXCLIENTS_ERR + b"<EOF>"
        assert held.call("PING") == "PONG"
        # The plaintext port still refuses in plaintext.
        assert plain_read_all(port) == MAXCLIENTS_ERR
        assert rejected(held) == before + 2
        # A certificate change reaches refusals too.
        assert held.call("SENTINEL", "CONFIG", "SET", "tls-cert-file", pki.server2_crt,
                         "tls-key-file", pki.server2_key) == "OK"
        assert refused_by(pki, tls_port) == ("vigil-server-renewed", MAXCLIENTS_ERR)


# ---- protected mode, from another host ---------------------------------------------------

_netns = vigiltest.load_sibling(__file__, "test_master_lease_netns.py")
netns_available, ADDR_A = _netns.netns_available, _netns.ADDR_A


def tls_args(pki, port):
    return ["--port", "0", "--tls-port", port, "--tls-cert-file", pki.server_crt,
            "--tls-key-file", pki.server_key, "--tls-ca-cert-file", pki.ca]


@pytest.mark.skipif(not netns_available(), reason="needs root and ip netns")
def test_protected_mode_denies_over_tls_as_redis(proc_group, pki):
    """vigil-store, redis-server and vigil-sentinel in one namespace with protected mode on,
    a TLS client in the other: each reads -DENIED as a TLS record, the stores byte for byte
    the same."""
    hosts = _netns.TwoNamespaces()
    try:
        ports = {"vigil": 6390, "redis": 6391, "sentinel": 26390}
        for kind in ("vigil", "redis"):
            d = procs.new_tmp_dir_in(proc_group.dir, kind)
            binary = vigiltest.vigil_binary("vigil-store") if kind == "vigil" else \
                "/usr/bin/redis-server"
            procs.Proc(["ip", "netns", "exec", hosts.a, binary, "--bind",
                        "127.0.0.1 %s" % ADDR_A, "--save", "", "--appendonly", "no", "--dir", d]
                       + tls_args(pki, ports[kind]), name=kind, cwd=d, group=proc_group)
        d = procs.new_tmp_dir_in(proc_group.dir, "sentinel")
        path = os.path.join(d, "sentinel.yaml")
        with open(path, "w") as f:
            f.write("port: 26391\nbind: %s\ndir: %s\nprotected-mode: yes\nmasters:\n"
                    "  - name: m\n    host: 127.0.0.1\n    port: 6379\n    quorum: 1\n%s"
                    % (ADDR_A, d, pki.sentinel_yaml(ports["sentinel"], https=False)))
        procs.Proc(["ip", "netns", "exec", hosts.a,
                    vigiltest.vigil_binary("vigil-sentinel"), path], name="sentinel", cwd=d,
                   group=proc_group)

        def remote(port, *extra):
            out = hosts.run(hosts.b, *read_all_argv(pki, ADDR_A, port, *extra)).strip()
            return ast.literal_eval(out) if out else b""

        wait_until(lambda: all(remote(p).startswith(b"-DENIED") for p in ports.values()), 15,
                   "every server to answer from its namespace")
        got = {kind: remote(p) for kind, p in ports.items()}
        assert got["vigil"] == got["redis"], got
        for kind, line in got.items():
            assert line.startswith(DENIED) and line.endswith(b"\r\n<EOF>"), (kind, line)
            assert line.count(b"\r\n") == 1, kind
        assert remote(ports["vigil"], "TLSv1_2") == got["vigil"]
    finally:
        proc_group.stop_all()
        hosts.close()
