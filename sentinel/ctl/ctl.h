/* ctl: vigilctl's internal interface between its files (main.c: options and dispatch;
 * ctl_http.c: requests to the sentinels' HTTP API with fail-over between sentinels; ctl_cmd.c:
 * the read-only and simple commands; ctl_op.c: switchover and forced failover with progress;
 * ctl_watch.c: the event stream). Pure helpers (parsing, rendering, SSE) are in
 * sentinel/ctl/ctl_format.h.
 *
 * Exit codes (documented in README.md next to this file; scripts rely on them):
 *   0 ok, 1 the operation failed or no sentinel could answer safely, 2 usage error,
 *   3 no sentinel reachable, 4 authentication refused.
 * Errors are printed once, on stderr, as "vigilctl: <what happened>; <what to do next>".
 */
#ifndef VIGIL_CTL_H
#define VIGIL_CTL_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

enum {
    CTL_EXIT_OK = 0,
    CTL_EXIT_FAILED = 1,
    CTL_EXIT_USAGE = 2,
    CTL_EXIT_UNREACHABLE = 3,
    CTL_EXIT_AUTH = 4,
};

#define CTL_MAX_SENTINELS 16
#define CTL_MAX_ARGS 8                         /* positional arguments of one command */
#define CTL_MAX_BODY_BYTES (16u << 20)         /* a larger answer is an error */
#define CTL_DEFAULT_SENTINEL "127.0.0.1:26479" /* the demo's first sentinel (scripts/deploy.sh) */
#define CTL_DEFAULT_TIMEOUT_MS 5000

struct ctl_opts {
    char *sentinels[CTL_MAX_SENTINELS]; /* "host:port", owned */
    size_t n_sentinels;
    const char *sentinels_from; /* where they came from, for error messages */
    char *token;                /* owned, or NULL */
    const char *token_from;
    /* HTTPS: with a CA file the sentinels are spoken to over HTTPS and verified by it; a client
     * certificate (and key) may be presented too (it can replace the token on POST) */
    const char *cacert, *cert, *key; /* borrowed (argv or the environment), or NULL */
    bool json;
    bool color;
    int64_t timeout_ms; /* per HTTP request */
    /* the command */
    const char *command;
    const char *args[CTL_MAX_ARGS];
    size_t n_args;
    const char *to;        /* switchover --to */
    int64_t op_timeout_ms; /* switchover --timeout */
    bool force;            /* failover --force */
    long long limit;       /* history --limit, watch --count (0 = none) */
    int64_t for_ms;        /* watch --for (0 = until interrupted) */
};

/* --- HTTP (ctl_http.c) ----------------------------------------------------------------------- */

struct ctl_response {
    int status;      /* HTTP status of the final answer; 0 when none */
    size_t sentinel; /* index in opts->sentinels of the one that answered */
    struct buf body;
    cJSON *json;     /* the parsed body, or NULL */
    char error[512]; /* why no final answer (every sentinel's reason), when status is 0/5xx */
    bool is_foreign; /* the address is not a Vigil sentinel's HTTP API (error says what it is) */
};

struct ctl_http;

struct ctl_http *ctl_http_create(const struct ctl_opts *o);
void ctl_http_destroy(struct ctl_http *h);
void ctl_response_free(struct ctl_response *r);

/* One request to one sentinel. 0 when an HTTP answer came (any status), -1 on a transport error
 * (r->error says which). body may be NULL (GET). */
int ctl_http_one(struct ctl_http *h, size_t sentinel, const char *method, const char *path,
                 const char *body, struct ctl_response *r);
/* The request to each sentinel in turn until one gives a final answer: 2xx or 4xx. Connection
 * errors and 5xx move on to the next sentinel; a POST whose request may have been delivered
 * (a timeout after connecting) is not repeated elsewhere. Returns 0 with a final answer in r,
 * or -1 (r->status is the last 5xx seen, or 0 when no sentinel answered at all). */
int ctl_http_any(struct ctl_http *h, const char *method, const char *path, const char *body,
                 struct ctl_response *r);
/* Prints the error for a response that is not 2xx and returns the exit code for it.
 * `what` names the object ("master mymaster") for 404s. */
int ctl_http_fail(const struct ctl_opts *o, const struct ctl_response *r, const char *what);
/* "https" with a CA file, else "http"; and the TLS options of one curl handle. */
const char *ctl_http_scheme(const struct ctl_opts *o);
void ctl_http_setup_tls(void *curl, const struct ctl_opts *o);
/* "<scheme>://host:port<path>" for a sentinel's "host:port" (IPv6 hosts in brackets). */
void ctl_http_url(const struct ctl_opts *o, const char *hostport, const char *path, char *url,
                  size_t cap);
/* The handle's options (borrowed). */
const struct ctl_opts *ctl_http_opts(const struct ctl_http *h);
/* A path segment with every byte outside [A-Za-z0-9-._~] %-escaped, into out. */
void ctl_http_escape(const char *s, char *out, size_t cap);

/* --- commands (ctl_cmd.c, ctl_op.c, ctl_watch.c): each returns an exit code ------------------ */

int ctl_cmd_status(struct ctl_http *h);
int ctl_cmd_master(struct ctl_http *h);
int ctl_cmd_plan(struct ctl_http *h);
int ctl_cmd_history(struct ctl_http *h);
int ctl_cmd_pause(struct ctl_http *h, bool pause);
int ctl_cmd_switchover(struct ctl_http *h);
int ctl_cmd_failover(struct ctl_http *h);
int ctl_cmd_watch(struct ctl_http *h);

/* --- what is at an address (ctl_probe.c) ------------------------------------------------------ */

/* Whether host:port answers a RESP PING (a sentinel's or a data node's Redis-protocol port). */
bool ctl_probe_is_resp(const char *hostport, int64_t timeout_ms);
/* Whether an HTTP answer comes from a Vigil sentinel: its Server header, or (older sentinels,
 * a proxy in front) a JSON object body. */
bool ctl_probe_is_vigil_answer(const char *server_header, const cJSON *json);

/* Prints "vigilctl: " + message + "\n" on stderr. */
void ctl_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints the raw JSON body (with a final newline) on stdout. */
void ctl_print_json(const struct ctl_response *r);
/* Writes the whole buffer to stdout and clears it. */
void ctl_flush(struct buf *out);

#endif
