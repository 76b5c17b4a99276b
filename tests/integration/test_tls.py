"""vigil-store over TLS (docs/tls.md): the TLS port, client certificates, the handshake deadline,
certificate reload by CONFIG SET, errors for bad certificates, and replication over TLS with
Debian's redis-server both ways.

The certificates come from vigiltest.tlspki, made with `openssl` once per module. Every wait is a
poll with a deadline.
"""

import socket
import ssl

import pytest
import redis

from vigiltest import ProcExited, RespConn, new_tmp_dir, start_store, wait_until
from vigiltest.tlspki import make_pki

RELOAD_ERR = ("CONFIG SET failed (possibly related to argument 'tls-cert-file') - Unable to "
              "update TLS configuration. Check server logs.")


@pytest.fixture(scope="module")
def pki():
    return make_pki(new_tmp_dir("pki"))


def tls_store(pki, kind="vigil", extra=()):
    return start_store(kind, tls=pki, extra_args=list(extra))


def serves(pki, port, **ctx_kw):
    with RespConn("127.0.0.1", port, timeout_s=5, ssl_context=pki.ssl_context(**ctx_kw)) as c:
        return c.call("PING") == "PONG"


def handshake_refused(pki, port, **ctx_kw):
    """True if the server refuses the session (the handshake, or the first command, fails) while
    it still serves our own client certificate: a dead server refuses everything."""
    try:
        refused = not serves(pki, port, **ctx_kw)
    except (ssl.SSLError, ConnectionError, OSError):
        refused = True
    assert serves(pki, port), "the server no longer serves a good client"
    return refused


def test_tls_port_serves_and_port_zero_has_no_plaintext(pki):
    st = tls_store(pki)
    c = st.client()
    assert c.set("k", "v") and c.get("k") == b"v"
    assert c.config_get("port") == {"port": "0"}
    assert c.config_get("tls-port") == {"tls-port": str(st.port)}
    # A plaintext client on the TLS port is closed: its bytes are not a TLS handshake.
    with socket.create_connection(("127.0.0.1", st.port), timeout=5) as s:
        s.sendall(b"PING\r\n")
        try:
            got = s.recv(64)
        except ConnectionResetError:
            got = b""
        assert got == b""


@pytest.mark.parametrize("kind", ["vigil", "redis"])
def test_connections_on_the_tls_port_are_counted_in_info(pki, kind):
    st = tls_store(pki, kind)
    before = int(st.client().info("stats")["total_connections_received"])
    for _ in range(3):
        st.client().ping()
    after = int(st.client().info("stats")["total_connections_received"])
    assert after - before == 4  # three clients, and the one that asks


def test_client_certificate_required_by_default(pki):
    st = tls_store(pki)
    assert handshake_refused(pki, st.port, client_cert=False)
    assert handshake_refused(pki, st.port, cert=pki.rogue_crt, key=pki.rogue_key)
    assert not handshake_refused(pki, st.port)


def test_tls_auth_clients_optional_and_no(pki):
    st = tls_store(pki, extra=["--tls-auth-clients", "optional"])
    assert not handshake_refused(pki, st.port, client_cert=False)
    assert handshake_refused(pki, st.port, cert=pki.rogue_crt, key=pki.rogue_key)
    st2 = tls_store(pki, extra=["--tls-auth-clients", "no"])
    assert not handshake_refused(pki, st2.port, client_cert=False)


def test_silent_client_is_closed_after_handshake_timeout(pki):
    st = tls_store(pki, extra=["--tls-handshake-timeout", "300ms"])
    with socket.create_connection(("127.0.0.1", st.port), timeout=10) as s:
        # Never a ClientHello: the server must close us (recv sees EOF) before our own timeout.
        assert s.recv(64) == b""
    # Still serving others.
    assert st.client().ping()


def test_config_set_reloads_certificates(pki):
    st = tls_store(pki)
    old = st.client()
    assert old.ping()
    assert pki.peer_common_name(st.port) == "vigil-server"
    c = st.client()
    # Both in one CONFIG SET: the reload happens once, with the new certificate and its key.
    assert c.execute_command("CONFIG", "SET", "tls-cert-file", pki.server2_crt,
                             "tls-key-file", pki.server2_key) == b"OK"
    assert pki.peer_common_name(st.port) == "vigil-server-renewed"
    assert old.ping()   # an existing connection keeps its session
    with pytest.raises(redis.ResponseError) as e:
        c.config_set("tls-cert-file", "/nonexistent/cert.pem")
    assert str(e.value) == RELOAD_ERR
    # Refused: the setting is back to what is in force, and new clients still get in.
    assert c.config_get("tls-cert-file") == {"tls-cert-file": pki.server2_crt}
    assert pki.peer_common_name(st.port) == "vigil-server-renewed"


def test_reload_error_text_matches_redis(pki):
    for kind in ("vigil", "redis"):
        c = tls_store(pki, kind).client()
        with pytest.raises(redis.ResponseError) as e:
            c.config_set("tls-cert-file", "/nonexistent/cert.pem")
        assert str(e.value) == RELOAD_ERR, kind


def test_bad_certificate_at_start_is_an_error(pki):
    with pytest.raises(ProcExited) as e:
        start_store("vigil", tls=pki, extra_args=["--tls-cert-file", "/nonexistent/cert.pem"])
    assert "Failed to load certificate: /nonexistent/cert.pem" in str(e.value)
    with pytest.raises(ProcExited) as e:
        start_store("vigil", tls=pki, extra_args=["--tls-key-file", pki.client_key])
    assert "Failed to load private key: %s" % pki.client_key in str(e.value)


def test_encrypted_key_with_pass(pki):
    args = ["--tls-cert-file", pki.enc_crt, "--tls-key-file", pki.enc_key]
    with pytest.raises(ProcExited):
        start_store("vigil", tls=pki, extra_args=args + ["--tls-key-file-pass", "wrong"])
    st = start_store("vigil", tls=pki, extra_args=args + ["--tls-key-file-pass", pki.enc_pass])
    assert st.client().ping()
    # The pass phrase is a secret: CONFIG GET does not show it.
    shown = st.raw().call("CONFIG", "GET", "tls-key-file-pass")
    assert shown[0] == b"tls-key-file-pass" and pki.enc_pass.encode() not in shown[1]


def test_no_listener_at_all_is_an_error():
    with pytest.raises(ProcExited) as e:
        start_store("vigil", extra_args=["--port", "0"])
    assert "not to listen anywhere" in str(e.value) or "not listen anywhere" in str(e.value)


def synced(replica, key, value):
    def ok():
        return replica.client().get(key) == value
    return ok


@pytest.mark.parametrize("master_kind,replica_kind",
                         [("vigil", "vigil"), ("vigil", "redis"), ("redis", "vigil")])
def test_replication_over_tls(pki, master_kind, replica_kind):
    extra = ["--repl-diskless-sync-delay", "0"] if master_kind == "redis" else []
    m = tls_store(pki, master_kind, extra)
    mc = m.client()
    for i in range(2000):   # a snapshot bigger than one TLS record
        mc.set("pre:%d" % i, "x" * 100)
    r = tls_store(pki, replica_kind, ["--replicaof", "127.0.0.1", str(m.port)]
                  if replica_kind == "redis" else ["--replicaof", "127.0.0.1 %d" % m.port])
    wait_until(synced(r, b"pre:1999", b"x" * 100), 20, "the full sync over TLS")
    mc.set("after", "1")
    wait_until(synced(r, b"after", b"1"), 10, "the stream over TLS")
    info = mc.info("replication")
    assert info["connected_slaves"] == 1 and info["slave0"]["port"] == r.port
