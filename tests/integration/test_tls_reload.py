"""Certificates change without a restart (docs/tls.md#certificate-reload, #sentinel).
vigil-sentinel: SENTINEL CONFIG SET tls-* builds a new context from new paths, all pairs or none;
SIGHUP reads the configured files again (rotation tools replace them in place), in vigil-store
too (whose CONFIG SET reload test_tls.py covers). A change that does not work leaves the previous
certificates in force and says why. New connections get the new certificate; open ones keep
their session.

Every wait is a poll with a deadline.
"""

import shutil
import signal

import pytest
import redis

from vigiltest import deploy, new_tmp_dir, start_store, wait_until
from vigiltest.tlspki import make_pki


@pytest.fixture(scope="module")
def pki():
    return make_pki(new_tmp_dir("pki"))


def config_get(s, *patterns):
    flat = s.cmd("SENTINEL", "CONFIG", "GET", *patterns)  # RESP2: name, value, ...
    return dict(zip(flat[::2], flat[1::2]))


@pytest.fixture
def tls_sentinel(proc_group, pki):
    """A TLS-only sentinel watching a TLS-only store (s.store)."""
    node = start_store("vigil", tls=pki)
    s = deploy.start_sentinel(proc_group, node.port, quorum=1, http=False, tls=pki)
    s.store = node
    return s


def test_config_set_swaps_the_certificate_for_new_connections(tls_sentinel, pki):
    s = tls_sentinel
    assert pki.peer_common_name(s.port) == "vigil-server"
    assert s.cmd("SENTINEL", "CONFIG", "SET", "tls-cert-file", pki.server2_crt,
                 "tls-key-file", pki.server2_key) == "OK"
    assert pki.peer_common_name(s.port) == "vigil-server-renewed"
    assert s.client.ping()  # the connection opened before the change keeps working
    got = config_get(s, "tls-*-file")
    assert got["tls-cert-file"] == pki.server2_crt and got["tls-key-file"] == pki.server2_key


def test_links_made_after_a_change_use_the_new_context(tls_sentinel, pki):
    s = tls_sentinel
    flags = lambda: s.master_info()["flags"]  # noqa: E731 - a local shorthand
    wait_until(lambda: "s_down" not in flags(), 10, "the master seen up")
    # A client certificate from another CA: the store refuses every link made with it.
    assert s.cmd("SENTINEL", "CONFIG", "SET", "tls-client-cert-file", pki.rogue_crt,
                 "tls-client-key-file", pki.rogue_key) == "OK"
    s.store.client().client_kill_filter(_type="normal")  # the links reconnect
    wait_until(lambda: "s_down" in flags(), 10, "the master down for the refused links")
    assert s.cmd("SENTINEL", "CONFIG", "SET", "tls-client-cert-file", "",
                 "tls-client-key-file", "") == "OK"
    wait_until(lambda: "s_down" not in flags(), 10, "the master up again with our certificate")


def test_a_change_that_does_not_work_changes_nothing(tls_sentinel, pki):
    s = tls_sentinel
    with pytest.raises(redis.ResponseError, match="Unable to update TLS configuration"):
        # server2's certificate with server's key: they do not match.
        s.cmd("SENTINEL", "CONFIG", "SET", "tls-cert-file", pki.server2_crt)
    with pytest.raises(redis.ResponseError, match="Unable to update TLS configuration"):
        s.cmd("SENTINEL", "CONFIG", "SET", "tls-cert-file", "/nonexistent.crt")
    with pytest.raises(redis.ResponseError, match="Invalid value 'maybe'"):
        s.cmd("SENTINEL", "CONFIG", "SET", "tls-auth-clients", "maybe")
    # A valid TLS pair beside an invalid core pair: neither applies.
    with pytest.raises(redis.ResponseError, match="Invalid value 'x' to SENTINEL CONFIG SET"):
        s.cmd("SENTINEL", "CONFIG", "SET", "tls-cert-file", pki.server2_crt, "tls-key-file",
              pki.server2_key, "announce-port", "x")
    assert pki.peer_common_name(s.port) == "vigil-server"
    got = config_get(s, "tls-cert-file", "announce-port")
    assert got == {"tls-cert-file": pki.server_crt, "announce-port": "0"}


def test_pass_phrases_are_redacted(tls_sentinel, pki):
    s = tls_sentinel
    assert s.cmd("SENTINEL", "CONFIG", "SET", "tls-cert-file", pki.enc_crt, "tls-key-file",
                 pki.enc_key, "tls-key-file-pass", pki.enc_pass) == "OK"
    assert pki.peer_common_name(s.port) == "vigil-encrypted"
    assert config_get(s, "tls-key-file-pass") == {
        "tls-key-file-pass": "(redacted)"}
    assert pki.enc_pass not in s.proc.log_text()


def live_copies(pki):
    """Copies of the server certificate and key, in files a test replaces as a rotation tool
    does."""
    d = new_tmp_dir("rotating")
    crt, key = d + "/live.crt", d + "/live.key"
    shutil.copy(pki.server_crt, crt)
    shutil.copy(pki.server_key, key)
    return crt, key


def rotate_and_check(pki, proc, port, crt, key, refused_line):
    """Half a rotation (the new certificate, the old key) is refused and the old pair served;
    the whole rotation is served after the next SIGHUP."""
    assert pki.peer_common_name(port) == "vigil-server"
    shutil.copy(pki.server2_crt, crt)
    proc.signal(signal.SIGHUP)
    wait_until(lambda: refused_line in proc.log_text(), 10, "the refused reload")
    assert pki.peer_common_name(port) == "vigil-server"
    shutil.copy(pki.server2_key, key)
    proc.signal(signal.SIGHUP)
    wait_until(lambda: pki.peer_common_name(port) == "vigil-server-renewed", 10,
               "the renewed certificate after SIGHUP")


def test_sentinel_sighup_reads_the_files_again(proc_group, pki):
    crt, key = live_copies(pki)
    node = start_store("vigil", tls=pki)
    s = deploy.start_sentinel(proc_group, node.port, quorum=1, http=False, tls=pki)
    assert s.cmd("SENTINEL", "CONFIG", "SET", "tls-cert-file", crt, "tls-key-file", key) == "OK"
    rotate_and_check(pki, s.proc, s.port, crt, key, "TLS certificates could not be reloaded")
    assert s.client.ping()


def test_store_sighup_reads_the_files_again(pki):
    crt, key = live_copies(pki)
    st = start_store("vigil", tls=pki, extra_args=["--tls-cert-file", crt, "--tls-key-file", key])
    rotate_and_check(pki, st.proc, st.port, crt, key, "keeping the previous TLS certificates")
    assert st.client().ping()


def test_certificates_set_at_run_time_are_kept_across_a_restart(proc_group, tls_sentinel, pki):
    s = tls_sentinel
    assert s.cmd("SENTINEL", "CONFIG", "SET", "tls-cert-file", pki.server2_crt,
                 "tls-key-file", pki.server2_key) == "OK"
    s.client.close()
    assert s.proc.stop() == 0
    s = deploy.restart_sentinel(proc_group, s)
    assert pki.peer_common_name(s.port) == "vigil-server-renewed"
