/* ctl_format: the pure parts of vigilctl (sentinel/ctl/): parsing of durations and addresses,
 * a server-sent-events (SSE) stream parser, and rendering of the sentinels' HTTP JSON answers as
 * the tables and lines an operator reads.
 *
 * Why here and not in sentinel/ctl/: these functions do no I/O (no sockets, no clock, no
 * environment), so they are unit-tested in tests/unit/sentinel/ against JSON fixtures; living in
 * libsentinel.a puts them in the test-sentinel binary. vigilctl compiles the same source through
 * sentinel/ctl/ctl_format_link.c. Nothing in vigil-sentinel calls them.
 *
 * Rendering is tolerant by design: a field the answer lacks is shown as "-", never a crash, and
 * a few spellings are accepted for each field (see ctl_json_get) so an older or newer sentinel
 * still renders. Colour is ANSI escapes, only when the caller asks (a terminal, NO_COLOR unset);
 * column widths ignore the escapes so tables line up either way.
 *
 * Ownership: every function borrows its arguments; output is appended to a caller's struct buf.
 * Must not: print, read the environment, allocate without bound (SSE events are capped).
 */
#ifndef VIGIL_SENTINEL_CTL_FORMAT_H
#define VIGIL_SENTINEL_CTL_FORMAT_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

/* --- parsing --------------------------------------------------------------------------------- */

/* "500ms", "5s", "2m", "1h", or a bare number of seconds; 0 <= result <= 24h. 0 or -1. */
int ctl_parse_duration_ms(const char *s, int64_t *out_ms);
/* "host:port" or "[v6]:port" (port 1..65535) into host (without brackets). 0 or -1. */
int ctl_parse_hostport(const char *s, char *host, size_t host_cap, int *port);

/* --- JSON access (tolerant) ------------------------------------------------------------------ */

/* The first member of obj whose name is one of the '|'-separated names ("ip|host"), or NULL.
 * obj may be NULL or not an object. */
const cJSON *ctl_json_get(const cJSON *obj, const char *names);
/* String value of that member, or NULL (numbers and booleans are not converted). */
const char *ctl_json_str(const cJSON *obj, const char *names);
/* Numeric value (a JSON number, or a string holding an integer) into *out: true when found. */
bool ctl_json_num(const cJSON *obj, const char *names, double *out);
/* Boolean value (JSON true/false, or "yes"/"no"/"true"/"false" strings): true when found. */
bool ctl_json_bool(const cJSON *obj, const char *names, bool *out);
/* "ip:port" of an object carrying "addr" / "address" (text, or an object with ip and port), or
 * ip|host plus port members. Writes "-" when neither is there. */
void ctl_json_addr(const cJSON *obj, char *out, size_t cap);

/* --- rendering ------------------------------------------------------------------------------- */

/* One master group (GET /v1/masters/{name}): header line, replicas table, sentinels table. */
void ctl_format_status(const cJSON *master, bool color, struct buf *out);
/* One line for one sentinel's own answer to GET /v1/masters/{name}/master: `answer` is the
 * parsed body (may be NULL), http_status 0 when the request failed with `error`. */
void ctl_format_view(const char *sentinel_addr, int http_status, const cJSON *answer,
                     const char *error, bool color, struct buf *out);
/* GET /v1/masters/{name}/plan: verdict, ranked candidates, excluded replicas with reasons. */
void ctl_format_plan(const cJSON *plan, bool color, struct buf *out);
/* GET /v1/masters/{name}/history: one block per failover record, newest first as given. */
void ctl_format_history(const cJSON *history, bool color, struct buf *out);
/* One SSE event (JSON object: time, type, master, message, level/epoch optional) as one line. */
void ctl_format_event(const cJSON *event, bool color, struct buf *out);
/* A wall-clock time as "HH:MM:SS.mmm" local time. JSON numbers are Unix time in milliseconds
 * (seconds when below 1e11); strings are shown as given (their time part when ISO 8601). */
void ctl_format_time(const cJSON *t, char *out, size_t cap);
/* "1.2 KB", "3 MB": bytes for humans. */
void ctl_format_bytes(double bytes, char *out, size_t cap);

/* --- operations (switchover, forced failover) ------------------------------------------------ */

enum ctl_op_outcome { CTL_OP_RUNNING, CTL_OP_SUCCEEDED, CTL_OP_FAILED };

struct ctl_op_progress {
    char last_phase[64]; /* the last "phase" shown */
};

/* Appends a line when the operation's "phase" changed since the last call, with the time
 * since the operation started as the caller measured it (elapsed_ms < 0: not shown). */
void ctl_op_progress_update(struct ctl_op_progress *p, const cJSON *op, int64_t elapsed_ms,
                            bool color, struct buf *out);
/* Where the operation stands ("state": running, succeeded, failed); *reason (may be NULL) gets
 * its "error" text or NULL. */
enum ctl_op_outcome ctl_op_outcome(const cJSON *op, const char **reason);

/* --- server-sent events ---------------------------------------------------------------------- */

#define CTL_SSE_MAX_EVENT_BYTES (1u << 20) /* a larger event is dropped and counted */

/* Called once per complete event; data is NUL-terminated, lines joined by '\n'. */
typedef void (*ctl_sse_fn)(void *ud, const char *event_type, const char *data, size_t len);

struct ctl_sse {
    struct buf line;  /* the line being read */
    struct buf data;  /* data lines of the event being read */
    char type[64];    /* "event:" field of the event being read ("" = "message") */
    bool last_was_cr; /* a '\r' ended the last line: skip a '\n' right after it */
    bool skipping;    /* the current event overflowed: drop it up to its blank line */
    size_t dropped;   /* events dropped for size */
    char last_id[64]; /* the last "id:" field seen (kept across events, as SSE says) */
};

void ctl_sse_init(struct ctl_sse *p);
void ctl_sse_free(struct ctl_sse *p);
/* Feeds bytes (any split); fn runs for each event completed by them. */
void ctl_sse_feed(struct ctl_sse *p, const char *bytes, size_t n, ctl_sse_fn fn, void *ud);

#endif
