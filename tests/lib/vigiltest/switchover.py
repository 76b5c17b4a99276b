"""Manual switchover of a deployment by the method its sentinels offer (see switchover()).

Why: the real-client tests drive a switchover against vigil-sentinel (its HTTP API: the lossless
switchover) and against Debian's redis-sentinel (only the forced `SENTINEL FAILOVER <name>`).
Each kind has exactly one method here: a method that is missing or refuses is a failure the
caller sees, never a fallback to a weaker method and never a skip. Only "not now" answers
(INPROG, NOGOODSLAVE, 409, 503, ...) are retried until the deadline.
"""

import json
import time
import urllib.error
import urllib.request

from . import procs
from .procs import wait_until

HOST = "127.0.0.1"
MASTER_NAME = "mymaster"

# Answers that mean "not now": retry until the deadline. Anything else is a failure.
RETRY_LATER = ("INPROG", "NOGOODSLAVE", "BUSY", "TRYAGAIN", "NOQUORUM")
HTTP_RETRY_LATER = (409, 503)


def http_post_json(port, path, body, token, timeout_s=5.0, ssl_context=None):
    """POST JSON to 127.0.0.1:port (HTTPS with ssl_context); returns (status, parsed body or
    text). OSError if no server."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = "Bearer %s" % token
    scheme = "https" if ssl_context else "http"
    req = urllib.request.Request("%s://%s:%d%s" % (scheme, HOST, port, path),
                                 data=json.dumps(body).encode(), method="POST", headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout_s, context=ssl_context) as resp:
            status, raw = resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    text = raw.decode("utf-8", "replace")
    try:
        return status, json.loads(text)
    except ValueError:
        return status, text


def _try_http(d, refusals):
    """POST /v1/masters/<name>/switchover on the first sentinel: a description once accepted,
    None when it answered "not now" (noted in refusals)."""
    s = d.sentinels[0]
    path = "/v1/masters/%s/switchover" % MASTER_NAME
    # Over HTTPS the client certificate stands in for the token (docs/http-api.md#https).
    status, body = http_post_json(s.http_port, path, {"timeout_ms": 5000},
                                  None if s.tls else s.token,
                                  ssl_context=s.tls.ssl_context() if s.tls else None)
    what = "POST %s on :%d -> %d %s" % (path, s.http_port, status, body)
    if status in (200, 201, 202):
        return what
    if status in HTTP_RETRY_LATER:
        refusals.append(what)
        return None
    raise AssertionError("switchover refused: " + what)


def _try_forced(d, refusals):
    """`SENTINEL FAILOVER <name>` on the first sentinel (Redis Sentinel's only manual failover)."""
    import redis
    what = "SENTINEL FAILOVER %s" % MASTER_NAME
    try:
        reply = d.sentinels[0].cmd("SENTINEL", "FAILOVER", MASTER_NAME)
    except redis.ResponseError as exc:
        if any(str(exc).upper().startswith(word) for word in RETRY_LATER):
            refusals.append("%s -> -%s" % (what, exc))
            return None
        raise AssertionError("switchover refused: %s -> -%s" % (what, exc)) from None
    if reply in ("OK", b"OK", True):
        return what
    raise AssertionError("%s answered %r" % (what, reply))


def switchover(d, timeout_s=10):
    """Start a manual failover of deployment d's current master: vigil-sentinels by
    POST /v1/masters/mymaster/switchover (lossless, method 'http'), redis-sentinels by
    `SENTINEL FAILOVER mymaster` (method 'forced'). Retries while the sentinels answer "not now".
    Returns (method, description, t_start_ns), t_start_ns taken when the accepted request was
    sent. Raises AssertionError on any other answer, WaitTimeout when "not now" lasted
    timeout_s."""
    import redis
    method, attempt = ("http", _try_http) if d.sentinel_kind == "vigil" else ("forced",
                                                                            _try_forced)
    refusals = []
    sent_ns = []

    def started():
        sent_ns.append(time.monotonic_ns())
        return attempt(d, refusals)
    try:
        desc = wait_until(started, timeout_s, "a switchover to be accepted", interval_s=0.05,
                          ignore=(OSError, redis.ConnectionError, redis.TimeoutError))
    except procs.WaitTimeout as exc:
        raise procs.WaitTimeout("%s; last refusal: %s" % (exc, refusals[-1:])) from None
    return method, desc, sent_ns[-1]
