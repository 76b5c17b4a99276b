"""The sentinel's HTTP API over HTTPS, vigilctl and webhooks verifying servers with a CA
(docs/http-api.md#https, docs/tls.md). Certificates from vigiltest.tlspki; every wait is a poll
with a deadline and vigilctl runs with a subprocess timeout.
"""

import http.server
import os
import shutil
import signal
import ssl
import subprocess
import threading

import pytest

import vigiltest
from vigiltest import deploy, new_tmp_dir, start_store, wait_until
from vigiltest.sentinel_http import http_call
from vigiltest.tlspki import make_pki

HOST = "127.0.0.1"
TOKEN = "tls-test-token"
SWITCHOVER = "/v1/masters/mymaster/switchover"


@pytest.fixture(scope="module")
def pki():
    return make_pki(new_tmp_dir("pki"))


def https_sentinel(group, master_port, pki, subjects=None, cert=None, key=None):
    """One vigil-sentinel whose HTTP API is HTTPS with client certificates from our CA (and the
    server certificate and key files given, else the PKI's)."""
    d = vigiltest.new_tmp_dir_in(group.dir, "sentinel")
    yaml_path = os.path.join(d, "sentinel.yaml")
    http_port = vigiltest.free_port()
    extra = ("  tls-cert-file: %s\n  tls-key-file: %s\n  tls-ca-cert-file: %s\n"
             % (cert or pki.server_crt, key or pki.server_key, pki.ca))
    if subjects:
        extra += "  tls-client-subjects: [%s]\n" % ", ".join('"%s"' % s for s in subjects)
    deploy.write_sentinel_yaml(yaml_path, vigiltest.free_port(), d, master_port, quorum=1,
                               http_port=http_port, token=TOKEN, extra=extra)
    proc = vigiltest.Proc([vigiltest.vigil_binary("vigil-sentinel"), yaml_path],
                          name="vigil-sentinel", cwd=d, group=group)
    s = deploy.SentinelNode("vigil", 0, proc, d, http_port, yaml_path, TOKEN, tls=pki)
    wait_until(lambda: s.get("/healthz").status == 200, 10, "the HTTPS API to answer",
               ignore=(OSError, ssl.SSLError))
    return s


def post(s, pki, token=None, **ctx_kw):
    return http_call(s.http_port, "POST", SWITCHOVER, {"timeout_ms": 1000}, token,
                     headers={"Content-Type": "application/json"},
                     ssl_context=pki.ssl_context(**ctx_kw))


def test_https_api_and_client_certificate_in_place_of_the_token(proc_group, pki):
    m = start_store("vigil")
    s = https_sentinel(proc_group, m.port, pki)
    assert s.get("/healthz", ssl_context=pki.ssl_context(client_cert=False)).status == 200
    # Plain HTTP on the HTTPS port gets no HTTP answer.
    with pytest.raises(Exception):
        http_call(s.http_port, "GET", "/healthz")
    # POST: neither token nor certificate -> 401; our client certificate -> past the check
    # (the switchover itself is refused: the master has no replica); another CA's -> 401.
    assert post(s, pki, client_cert=False).status == 401
    assert post(s, pki, client_cert=False, token=TOKEN).status not in (401, 403)
    assert post(s, pki).status not in (401, 403)
    assert post(s, pki, cert=pki.rogue_crt, key=pki.rogue_key).status == 401


def test_client_subjects_limit_which_certificates_replace_the_token(proc_group, pki):
    m = start_store("vigil")
    s = https_sentinel(proc_group, m.port, pki, subjects=["CN=someone-else"])
    assert post(s, pki).status == 401
    s2 = https_sentinel(proc_group, m.port, pki, subjects=["CN=vigil-client"])
    assert post(s2, pki).status not in (401, 403)


def run_ctl(*args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIGIL_")}
    env["HOME"] = env["XDG_CONFIG_HOME"] = new_tmp_dir("home")
    return subprocess.run([vigiltest.vigil_binary("vigilctl")] + list(args), capture_output=True,
                          text=True, env=env, timeout=60, stdin=subprocess.DEVNULL)


def test_vigilctl_verifies_the_sentinel_with_its_ca(proc_group, pki):
    m = start_store("vigil")
    s = https_sentinel(proc_group, m.port, pki)
    addr = "%s:%d" % (HOST, s.http_port)
    ok = run_ctl("-s", addr, "--cacert", pki.ca, "master", "mymaster")
    assert ok.returncode == 0, ok.stderr
    assert run_ctl("-s", addr, "--cacert", pki.rogue_ca, "master", "mymaster").returncode != 0
    assert run_ctl("-s", addr, "master", "mymaster").returncode != 0   # plain HTTP
    # A client certificate stands in for the token on POST (refused for another reason).
    out = run_ctl("-s", addr, "--cacert", pki.ca, "--cert", pki.client_crt, "--key",
                  pki.client_key, "switchover", "mymaster")
    assert "token" not in (out.stdout + out.stderr).lower(), out.stdout + out.stderr


class HttpsReceiver:
    """A threaded HTTPS server (our server certificate) recording the paths POSTed to."""

    def __init__(self, pki):
        self.paths = []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                receiver.paths.append(self.path)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass
        self.server = http.server.ThreadingHTTPServer((HOST, vigiltest.free_port()), Handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(pki.server_crt, pki.server_key)
        self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def test_webhook_verifies_https_receiver_with_ca_file(proc_group, pki):
    r = HttpsReceiver(pki)
    try:
        m = start_store("vigil")
        url = "https://%s:%d" % (HOST, r.port)
        hooks = [{"url": url + "/with-ca", "events": ["+sdown"], "ca_file": pki.ca},
                 {"url": url + "/system-cas", "events": ["+sdown"]}]
        deploy.start_sentinel(proc_group, m.port, quorum=1, webhooks=hooks)
        m.kill9()
        wait_until(lambda: "/with-ca" in r.paths, 15, "+sdown delivered over HTTPS")
        # The hook without ca-file verifies against the system CAs, which do not know ours:
        # it is never delivered (its retries fail the same way).
        assert "/system-cas" not in r.paths
    finally:
        r.close()


def test_sighup_serves_renewed_https_certificates(proc_group, pki):
    d = new_tmp_dir("rotating-https")
    crt, key = os.path.join(d, "live.crt"), os.path.join(d, "live.key")
    shutil.copy(pki.server_crt, crt)
    shutil.copy(pki.server_key, key)
    s = https_sentinel(proc_group, start_store("vigil").port, pki, cert=crt, key=key)
    assert pki.peer_common_name(s.http_port) == "vigil-server"

    # Half a rotation (the new certificate, the old key): refused, the old pair still served.
    shutil.copy(pki.server2_crt, crt)
    s.proc.signal(signal.SIGHUP)
    wait_until(lambda: "HTTPS certificates could not be reloaded" in s.proc.log_text(), 10,
               "the refused HTTPS reload")
    assert pki.peer_common_name(s.http_port) == "vigil-server"
    assert s.get("/healthz").status == 200

    shutil.copy(pki.server2_key, key)
    s.proc.signal(signal.SIGHUP)
    wait_until(lambda: pki.peer_common_name(s.http_port) == "vigil-server-renewed", 10,
               "the renewed HTTPS certificate", ignore=(OSError, ssl.SSLError))
    assert s.get("/healthz").status == 200
    # Client certificates still stand in for the token: the client CA came along.
    assert post(s, pki).status not in (401, 403)
    assert post(s, pki, cert=pki.rogue_crt, key=pki.rogue_key).status == 401
