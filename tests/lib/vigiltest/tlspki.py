"""A throw-away PKI for the TLS tests, made with `openssl` at run time (nothing committed).

Why: every TLS test needs a CA, a server certificate for 127.0.0.1/localhost, a client
certificate the CA signed, and a client certificate from a second CA the servers must refuse.

    pki = make_pki(dir)                   # Pki with the file paths below
    pki.store_args(tls_port)             # vigil-store / redis-server arguments (TLS only)
    pki.redis_kwargs()                    # redis-py: ssl=True with our CA and client certificate
    pki.ssl_context()                     # a client ssl.SSLContext (raw sockets)
    pki.peer_common_name(port)            # the CN a TLS server presents
    pki.sentinel_yaml(tls_port)           # vigil-sentinel top-level keys

Invariants: keys are unencrypted 2048-bit RSA unless asked (key_pass), certificates valid for
two days; every file lives under the directory given.
"""

import os
import socket
import ssl
import subprocess

HOST = "127.0.0.1"


def _openssl(*args, cwd):
    subprocess.run(["openssl"] + list(args), cwd=cwd, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.PIPE)


def _make_ca(d, name):
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
             "/CN=%s" % name, "-keyout", name + ".key", "-out", name + ".crt", cwd=d)


def _make_cert(d, ca, name, cn, server=False, key_pass=None):
    """name.crt/name.key signed by ca; a server certificate names 127.0.0.1 and localhost."""
    key_args = ["-passout", "pass:%s" % key_pass] if key_pass else ["-nodes"]
    _openssl("req", "-newkey", "rsa:2048", *key_args, "-subj", "/CN=%s" % cn, "-keyout",
             name + ".key", "-out", name + ".csr", cwd=d)
    ext = os.path.join(d, name + ".ext")
    with open(ext, "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n" if server else
                "extendedKeyUsage=clientAuth\n")
    _openssl("x509", "-req", "-in", name + ".csr", "-CA", ca + ".crt", "-CAkey", ca + ".key",
             "-CAcreateserial", "-days", "2", "-extfile", ext, "-out", name + ".crt", cwd=d)


class Pki:
    def __init__(self, d):
        self.dir = d
        p = lambda n: os.path.join(d, n)   # noqa: E731 - a local shorthand
        self.ca, self.server_crt, self.server_key = p("ca.crt"), p("server.crt"), p("server.key")
        self.client_crt, self.client_key = p("client.crt"), p("client.key")
        self.server2_crt, self.server2_key = p("server2.crt"), p("server2.key")
        self.rogue_crt, self.rogue_key = p("rogue.crt"), p("rogue.key")   # another CA's
        self.rogue_ca = p("rogue-ca.crt")
        self.enc_key, self.enc_crt, self.enc_pass = p("enc.key"), p("enc.crt"), "s3cret"

    def store_args(self, tls_port, replication=True):
        """TLS on tls_port only (port 0), our certificate, CA, and TLS replication."""
        return ["--port", "0", "--tls-port", str(tls_port), "--tls-cert-file", self.server_crt,
                "--tls-key-file", self.server_key, "--tls-ca-cert-file", self.ca,
                "--tls-replication", "yes" if replication else "no"]

    def redis_kwargs(self, client_cert=True):
        kw = dict(ssl=True, ssl_ca_certs=self.ca, ssl_cert_reqs="required")
        if client_cert:
            kw.update(ssl_certfile=self.client_crt, ssl_keyfile=self.client_key)
        return kw

    def ssl_context(self, client_cert=True, cert=None, key=None):
        ctx = ssl.create_default_context(cafile=self.ca)
        ctx.check_hostname = False
        if client_cert:
            ctx.load_cert_chain(cert or self.client_crt, key or self.client_key)
        return ctx

    def peer_common_name(self, port, **ctx_kw):
        """The CN of the certificate a server on 127.0.0.1:port presents to a new connection."""
        with socket.create_connection((HOST, port), timeout=5) as raw:
            with self.ssl_context(**ctx_kw).wrap_socket(raw) as s:
                cert = s.getpeercert()
        return dict(x[0] for x in cert["subject"])["commonName"]

    def cli_args(self):
        """redis-cli / redis-benchmark arguments."""
        return ["--tls", "--cacert", self.ca, "--cert", self.client_crt, "--key", self.client_key]

    def sentinel_yaml(self, tls_port, https=True):
        """Top-level TLS keys; with https, first the lines that make the http: section (which
        write_sentinel_yaml puts last) HTTPS, taking client certificates from our CA."""
        http = ("  tls-cert-file: %s\n  tls-key-file: %s\n  tls-ca-cert-file: %s\n"
                % (self.server_crt, self.server_key, self.ca)) if https else ""
        return http + ("tls-port: %d\ntls-cert-file: %s\ntls-key-file: %s\ntls-ca-cert-file: %s\n"
                       "tls-replication: yes\n" % (tls_port, self.server_crt, self.server_key,
                                                   self.ca))


def make_pki(d):
    """Create the CA, certificates and keys in directory d (created if missing)."""
    os.makedirs(d, exist_ok=True)
    _make_ca(d, "ca")
    _make_ca(d, "rogue-ca")
    _make_cert(d, "ca", "server", "vigil-server", server=True)
    _make_cert(d, "ca", "server2", "vigil-server-renewed", server=True)
    _make_cert(d, "ca", "client", "vigil-client")
    _make_cert(d, "rogue-ca", "rogue", "rogue-client")
    pki = Pki(d)
    _make_cert(d, "ca", "enc", "vigil-encrypted", server=True, key_pass=pki.enc_pass)
    return pki
