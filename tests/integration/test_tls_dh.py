"""tls-dh-params-file (docs/tls.md#settings): the DH group of the DHE ciphers of TLSv1.2, in
vigil-store and vigil-sentinel. With the file the server uses its parameters; without it
OpenSSL picks them (as redis-server 7.0 does); a missing or bad file is an error at start, and a
change that does not work is refused and leaves the previous context in force.

The parameters are made by the test with `openssl genpkey` from a named group (instant); what
the server uses is read from `openssl s_client` restricted to TLSv1.2 and a DHE cipher
("Server Temp Key: DH, 3072 bits"). Every wait is a poll with a deadline.
"""

import os
import re
import subprocess

import pytest
import redis

from vigiltest import ProcExited, deploy, new_tmp_dir, start_store
from vigiltest.tlspki import make_pki

DHE_CIPHER = "DHE-RSA-AES128-GCM-SHA256"
RELOAD_ERR = ("CONFIG SET failed (possibly related to argument 'tls-dh-params-file') - Unable to "
              "update TLS configuration. Check server logs.")


@pytest.fixture(scope="module")
def pki():
    return make_pki(new_tmp_dir("pki"))


@pytest.fixture(scope="module")
def dh(pki):
    """Paths of DH parameter files: the ffdhe3072 group, and a file that is not PEM."""
    d = new_tmp_dir("dh")
    files = {"ffdhe3072": os.path.join(d, "ffdhe3072.pem"), "garbage": os.path.join(d, "bad.pem")}
    subprocess.run(["openssl", "genpkey", "-genparam", "-algorithm", "DH", "-pkeyopt",
                    "group:ffdhe3072", "-out", files["ffdhe3072"]], check=True,
                   capture_output=True)
    with open(files["garbage"], "w") as f:
        f.write("not DH parameters\n")
    return files


def dhe_temp_key(pki, port):
    """The server's DH key as a TLSv1.2 client restricted to a DHE cipher sees it ("DH, 3072
    bits"), or None when no such handshake completes."""
    r = subprocess.run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % port, "-tls1_2",
                        "-cipher", DHE_CIPHER, "-CAfile", pki.ca, "-cert", pki.client_crt,
                        "-key", pki.client_key], input="", capture_output=True, text=True,
                       timeout=30)
    if "Cipher is %s" % DHE_CIPHER not in r.stdout:
        return None
    m = re.search(r"Server Temp Key: ([^\n]*)", r.stdout)
    return m.group(1) if m else None


def test_dhe_uses_the_dh_params_file(pki, dh):
    st = start_store("vigil", tls=pki, extra_args=["--tls-dh-params-file", dh["ffdhe3072"]])
    assert dhe_temp_key(pki, st.port) == "DH, 3072 bits"
    assert st.client().config_get("tls-dh-params-file") == {
        "tls-dh-params-file": dh["ffdhe3072"]}


def test_without_the_file_dhe_works_as_redis(pki):
    keys = {kind: dhe_temp_key(pki, start_store(kind, tls=pki).port)
            for kind in ("vigil", "redis")}
    assert keys["vigil"] is not None and keys["vigil"].startswith("DH, "), keys
    assert keys["vigil"] == keys["redis"]


def test_a_bad_or_missing_file_is_an_error_at_start(pki, dh):
    for path in (dh["garbage"], "/nonexistent/dh.pem"):
        with pytest.raises(ProcExited) as e:
            start_store("vigil", tls=pki, extra_args=["--tls-dh-params-file", path])
        assert "Failed to load DH parameters (tls-dh-params-file): %s" % path in str(e.value)


def test_config_set_refuses_a_bad_file_and_keeps_the_context(pki, dh):
    for kind in ("vigil", "redis"):   # the same refusal as Redis's
        st = start_store(kind, tls=pki)
        c = st.client()
        before = dhe_temp_key(pki, st.port)
        with pytest.raises(redis.ResponseError) as e:
            c.config_set("tls-dh-params-file", dh["garbage"])
        assert str(e.value) == RELOAD_ERR, kind
        assert c.config_get("tls-dh-params-file") == {"tls-dh-params-file": ""}, kind
        assert dhe_temp_key(pki, st.port) == before, kind   # the old context still serves
        assert c.config_set("tls-dh-params-file", dh["ffdhe3072"])
        assert dhe_temp_key(pki, st.port) == "DH, 3072 bits", kind


def test_sentinel_takes_the_file_and_refuses_a_bad_one(proc_group, pki, dh):
    node = start_store("vigil", tls=pki)
    s = deploy.start_sentinel(proc_group, node.port, quorum=1, http=False, tls=pki)
    before = dhe_temp_key(pki, s.port)
    assert before is not None
    with pytest.raises(redis.ResponseError) as e:
        s.cmd("SENTINEL", "CONFIG", "SET", "tls-dh-params-file", dh["garbage"])
    assert str(e.value).startswith(
        "Unable to update TLS configuration: Failed to load DH parameters (tls-dh-params-file): "
        + dh["garbage"])
    assert dhe_temp_key(pki, s.port) == before
    assert s.cmd("SENTINEL", "CONFIG", "SET", "tls-dh-params-file", dh["ffdhe3072"]) == "OK"
    assert dhe_temp_key(pki, s.port) == "DH, 3072 bits"
