/* http_int: the HTTP side's internal context, shared by http_api.c (lifecycle, event listener,
 * operations, per-group tracking), http_routes.c (endpoints), http_json.c (views of the core),
 * http_sse.c (event ring, server-sent events, long-poll waiters) and metrics.c. Not for others.
 *
 * Invariants: every table is bounded (HTTP_EVENT_RING events, HTTP_SSE_MAX_CLIENTS streams,
 * HTTP_MAX_WAITERS parked requests, HTTP_MAX_OPS operations, one group_track per master name
 * up to HTTP_MAX_GROUPS); stream and waiter records are owned by their connection (freed by
 * the server's stream_free / park_free) and unlink themselves from the lists here; the core is
 * only read, or changed through its public functions (sentinel.h, sentinel_cmd.h).
 */
#ifndef VIGIL_SENTINEL_HTTP_INT_H
#define VIGIL_SENTINEL_HTTP_INT_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/loop.h"
#include "sentinel/http/http_api.h"
#include "sentinel/http/http_server.h"
#include "sentinel/core/instance.h"
#include "sentinel/core/sentinel.h"

#define HTTP_EVENT_RING 512
#define HTTP_EVENT_JSON_MAX 2048
#define HTTP_SSE_MAX_CLIENTS 64
#define HTTP_SSE_HEARTBEAT_MS 15000
#define HTTP_MAX_WAITERS 256
#define HTTP_LONGPOLL_MAX_MS 60000
#define HTTP_MAX_OPS 64
#define HTTP_HOUSEKEEPING_MS 100
/* An observer's history record waits at most this long for fresh INFO from the new topology. */
#define HTTP_OBSERVER_OFFSETS_WAIT_MS 3000
#define HTTP_OFFSET_SAMPLES 32
#define HTTP_MAX_GROUPS SENTINEL_MAX_MASTERS
#define HTTP_CODE_SLOTS 16
#define HTTP_HISTORY_DEFAULT_LIMIT 50
#define HTTP_PLAN_INFO_WAIT_MS 250 /* longest wait for the plan's fresh INFO round */
#define HTTP_FAST_CHECK_MS 2       /* waiter checks while a plan waits for INFO replies */

enum http_kind { KIND_AUTOMATIC = 0, KIND_FORCED, KIND_SWITCHOVER, KIND_MANUAL, KIND_COUNT };
extern const char *const http_kind_names[KIND_COUNT];

struct http_event {
    uint64_t seq; /* 0 = empty slot */
    char *json;
};

struct sse_client {
    struct http_api *a;
    struct http_conn *conn;
    uint64_t next_seq;  /* the next event this client gets */
    struct buf pending; /* bytes accepted but not yet handed to the server */
    struct sse_client *prev, *next;
};

/* What a parked request waits for. */
enum waiter_kind {
    WAIT_EPOCH, /* GET .../master?wait_epoch=N: the config epoch to exceed N */
    WAIT_INFO,  /* GET .../plan: fresh INFO from every connected replica since since_ms */
};

struct http_waiter {
    struct http_api *a;
    struct http_conn *conn;
    enum waiter_kind kind;
    char name[INSTANCE_NAME_MAX + 1];
    uint64_t wait_epoch;
    int64_t since_ms;
    int64_t deadline_ms; /* core monotonic ms */
    struct http_waiter *prev, *next;
};

/* An operation's outcome (http_op_refresh, polled by GET /v1/operations/{id}); both ends are final:
 *   RUNNING --its attempt ended with the config epoch at the attempt's--> SUCCEEDED
 *      +-----any other end, or the master removed---------------------> FAILED */
enum op_state { OP_RUNNING = 0, OP_SUCCEEDED, OP_FAILED };

struct http_op {
    char id[40];
    enum http_kind kind;
    char master[INSTANCE_NAME_MAX + 1];
    uint64_t epoch;
    enum op_state state;
    char phase[32];
    char error[640];
    char from[INSTANCE_HOST_MAX + 16];
    char to[INSTANCE_HOST_MAX + 16]; /* requested or promoted target, "" = not yet known */
    int64_t timeout_ms;
    int64_t created_wall_ms, finished_wall_ms;
};

/* Wall-clock ms of each phase of one failover as this sentinel saw it (0 = not seen). */
struct phase_times {
    int64_t sdown, odown, started, elected, promoted, announced, reconfigured;
};

struct offset_sample {
    int64_t mono_ms;
    long long offset;
};

/* Per master name: the announced address and since when, the failover being observed (for the
 * history and metrics), counters, and samples of the master's offset (replica lag in ms). */
struct group_track {
    bool is_used;
    char name[INSTANCE_NAME_MAX + 1];
    char host[INSTANCE_HOST_MAX + 1];
    int port;
    uint64_t epoch;
    int64_t since_wall_ms;
    struct phase_times ph;
    enum http_kind kind;
    uint64_t attempt_epoch;
    cJSON *offsets; /* replica offsets at promotion (owned), NULL = not captured */
    /* An observer's record waits for fresh INFO after the switch (http_api.c): owned, or NULL */
    cJSON *pending_rec;
    int64_t pending_since_ms; /* monotonic */
    char last_abort[64];
    char reason[256]; /* why the master was failed, beyond silence ("regressed-master ..") */
    uint64_t failovers[KIND_COUNT];
    bool has_last;
    double last_duration_s;
    struct phase_times last_ph;
    size_t n_samples, sample_head;
    int64_t last_sample_info_ms;
    struct offset_sample samples[HTTP_OFFSET_SAMPLES];
};

struct http_api {
    struct loop *loop;
    struct sentinel *core;
    struct http_server *srv;
    char *token;
    char *read_token;
    bool is_loopback;
    char **allowed_origins; /* owned copies of http.allowed-origins */
    size_t n_allowed_origins;
    char **client_subjects; /* owned copies of http.tls-client-subjects */
    size_t n_client_subjects;
    bool has_client_ca; /* http.tls-ca-cert-file: certificates may replace the token */
    struct history *history;
    struct webhook_mgr *hooks;
    uint64_t housekeeping_timer;
    int64_t last_heartbeat_ms;
    int64_t start_wall_ms;
    /* events */
    uint64_t next_seq;
    struct http_event ring[HTTP_EVENT_RING];
    size_t n_sse;
    struct sse_client *sse;
    size_t n_waiters;
    struct http_waiter *waiters;
    uint64_t fast_timer; /* armed while WAIT_INFO waiters exist */
    /* operations */
    size_t n_ops;
    struct http_op ops[HTTP_MAX_OPS];
    uint64_t op_seq;
    char op_nonce[9];
    /* counters */
    uint64_t votes_cast;
    uint64_t events_total;
    int code_keys[HTTP_CODE_SLOTS];
    uint64_t code_counts[HTTP_CODE_SLOTS];
    struct group_track groups[HTTP_MAX_GROUPS];
};

/* http_api.c */
/* listen_port: -1 = no listener, 0 = any free port (tests), else that port. */
struct http_api *http_api_create(struct loop *l, struct sentinel *core,
                                 const struct sentinel_http_cfg *cfg,
                                 const struct sentinel_webhook_cfg *hooks, size_t n_hooks,
                                 const char *state_dir, int listen_port, char *err, size_t errlen);
struct group_track *http_group(struct http_api *a, const char *name); /* created on first use */
void http_count_status(struct http_api *a, int status);
/* Register an operation for the attempt the core just started on `master` (epoch known). */
struct http_op *http_op_new(struct http_api *a, enum http_kind kind, const struct instance *master,
                            const char *to, int64_t timeout_ms);
struct http_op *http_op_find(struct http_api *a, const char *id);
void http_op_refresh(struct http_api *a, struct http_op *op);
/* The master a sentinel event is about ("" if none), from its type and message. */
void http_event_master(const char *type, const char *msg, char *out, size_t cap);

/* http_sse.c */
void http_events_record(struct http_api *a, int level, const char *type, const char *msg,
                        const char *master);
void http_events_free(struct http_api *a);
void http_sse_open(struct http_api *a, struct http_request *req, struct http_response *resp);
void http_sse_heartbeat(struct http_api *a);
/* Park a request (resp PARK) or answer 503 when the waiter table is full. A resumed request
 * that parks again keeps its waiter record (and so its deadline). */
void http_waiter_park(struct http_api *a, struct http_request *req, struct http_response *resp,
                      const char *name, enum waiter_kind kind, uint64_t wait_epoch,
                      int64_t since_ms, int64_t deadline_ms);
/* Is what the waiter waits for there (deadline aside)? */
bool http_waiter_ready(struct http_api *a, const struct http_waiter *w);
/* Wake waiters that are ready or whose deadline passed. */
void http_waiters_check(struct http_api *a, int64_t now_ms);

/* http_json.c */
struct reach {
    int known;     /* voters: peers + ourselves */
    int reachable; /* ourselves + peers in contact now */
    int quorum;
    bool has_majority;
    bool has_quorum;
};
void http_reach(const struct instance *master, int64_t now_ms, struct reach *out);
cJSON *http_json_tilt(const struct http_api *a, int64_t now_ms);
cJSON *http_json_master(struct http_api *a, const struct instance *master, int64_t now_ms);
cJSON *http_json_plan(struct http_api *a, const struct instance *master, int64_t now_ms);
cJSON *http_json_op(const struct http_op *op);
/* Whether replica r is unfit for reads now (not down, linked, fresh INFO, replicating from the
 * current master, and, with max_lag_ms >= 0, an INFO and a lag within it); why says which. */
bool http_replica_unfit(struct http_api *a, const struct instance *master, const struct instance *r,
                        int64_t now_ms, int64_t max_lag_ms, char *why, size_t cap);
/* Replicas fit for reads (http_replica_unfit says no reason); `only` (ip, port) restricts to
 * one replica. */
cJSON *http_json_fit_replicas(struct http_api *a, const struct instance *master, int64_t now_ms,
                              int64_t max_lag_ms, const char *only_host, int only_port);
/* Replica lag estimates; -1 when unknown. */
long long http_lag_bytes(const struct instance *master, const struct instance *r);
int64_t http_lag_ms(struct http_api *a, const struct instance *master, const struct instance *r);
void http_reply_json(struct http_response *resp, int status, cJSON *obj); /* takes obj */
void http_reply_error(struct http_response *resp, int status, const char *error,
                      const char *reason);
cJSON *http_json_addr(const char *host, int port);

/* http_routes.c: the server's handler (ctx = struct http_api). */
void http_routes_handle(void *ctx, struct http_request *req, struct http_response *resp);

/* metrics.c */
void metrics_render(struct http_api *a, struct buf *out);

#endif
