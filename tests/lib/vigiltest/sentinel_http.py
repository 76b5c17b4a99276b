"""HTTP client helpers for tests of vigil-sentinel's HTTP API (JSON calls, Prometheus parsing).

Why: the HTTP API, vigilctl, secrets and slow-client tests all call the API the same way and
read /metrics; deployments themselves are built by vigiltest.deploy (SentinelNode.get/.post
wrap http_call with the sentinel's port and token).

  http_call(port, method, path, body=None, token=None, headers=None, timeout=5) -> HttpReply
      (.status, .headers with lower-case names, .body text, .json or None)
  parse_prometheus(text) -> {(name, frozenset(labels.items())): value}; raises on bad syntax
"""

import http.client
import json
import re

HOST = "127.0.0.1"


class HttpReply:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body
        try:
            self.json = json.loads(body) if body else None
        except ValueError:
            self.json = None

    def __repr__(self):
        return "HttpReply(%d, %r)" % (self.status, self.body[:300])


def http_call(port, method, path, body=None, token=None, headers=None, timeout=5,
              ssl_context=None):
    """One request on a fresh connection; body may be a dict (sent as JSON), str or bytes.
    ssl_context: HTTPS with that client context (vigiltest.tlspki)."""
    if ssl_context is not None:
        conn = http.client.HTTPSConnection(HOST, port, timeout=timeout, context=ssl_context)
    else:
        conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    hdrs = dict(headers or {})
    if token:
        hdrs["Authorization"] = "Bearer " + token
    if isinstance(body, dict):
        body = json.dumps(body)
    if isinstance(body, str):
        body = body.encode()
    try:
        conn.request(method, path, body=body, headers=hdrs)
        resp = conn.getresponse()
        data = resp.read().decode("utf-8", "replace")
        return HttpReply(resp.status, {k.lower(): v for k, v in resp.getheaders()}, data)
    finally:
        conn.close()


_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)')


def parse_prometheus(text):
    """Parse the text exposition format strictly enough to catch our mistakes."""
    samples, typed = {}, set()
    for line in text.splitlines():
        if not line:
            continue
        if line.startswith("# TYPE "):
            name, kind = line.split(" ")[2:4]
            assert kind in ("counter", "gauge", "histogram", "summary", "untyped"), line
            assert name not in typed, "family typed twice: " + name
            typed.add(name)
            continue
        if line.startswith("#"):
            assert line.startswith("# HELP "), line
            continue
        m = _SAMPLE.match(line)
        assert m, "bad sample line: %r" % line
        name, labels = m.group(1), {}
        if m.group(3):
            rest = m.group(3)
            while rest:
                lm = _LABEL.match(rest)
                assert lm, "bad labels in %r" % line
                labels[lm.group(1)] = lm.group(2)
                rest = rest[lm.end():]
        assert name in typed, "sample before its # TYPE: %r" % line
        key = (name, frozenset(labels.items()))
        assert key not in samples, "duplicate sample %r" % line
        samples[key] = float(m.group(4))
    return samples
