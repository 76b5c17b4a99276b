/* ctl_cmd: vigilctl's read-only and one-request commands: status, master, plan, history,
 * pause and resume. Each asks the sentinels in turn (ctl_http_any), prints the answer as a table
 * (or as raw JSON with --json) and returns an exit code (ctl.h).
 *
 * `status` also asks every configured sentinel for its own view of each master
 * (GET /v1/masters/{name}/master): sentinels that disagree, or cannot answer safely, are what an
 * operator most needs to see, and one sentinel's table cannot show it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/util.h"
#include "sentinel/ctl/ctl.h"
#include "sentinel/ctl/ctl_format.h"

#define CTL_PATH_MAX 700

/* "/v1/masters/<escaped name><suffix>" */
static void master_path(const char *name, const char *suffix, char *out, size_t cap)
{
    char esc[CTL_PATH_MAX / 2];
    ctl_http_escape(name, esc, sizeof(esc));
    snprintf(out, cap, "/v1/masters/%s%s", esc, suffix);
}

/* GET a master's sub-resource from the first sentinel that answers; prints the error and
 * returns its exit code, or 0 with the answer in r. */
static int get_master_thing(struct ctl_http *h, const char *name, const char *suffix,
                            struct ctl_response *r)
{
    char path[CTL_PATH_MAX], what[300];
    master_path(name, suffix, path, sizeof(path));
    snprintf(what, sizeof(what), "master %s", name);
    if (ctl_http_any(h, "GET", path, NULL, r) < 0 || r->status / 100 != 2)
        return ctl_http_fail(ctl_http_opts(h), r, what);
    if (!ctl_http_opts(h)->json && !r->json) {
        ctl_err("sentinel %s sent an answer that is not JSON; is that address a vigil-sentinel "
                "HTTP port?",
                ctl_http_opts(h)->sentinels[r->sentinel]);
        return CTL_EXIT_FAILED;
    }
    return CTL_EXIT_OK;
}

/* Each configured sentinel's answer to "who is the master of `name`?". */
static void status_views(struct ctl_http *h, const char *name, struct buf *out)
{
    const struct ctl_opts *o = ctl_http_opts(h);
    char path[CTL_PATH_MAX];
    master_path(name, "/master", path, sizeof(path));
    buf_append_str(out, "  views:\n");
    for (size_t i = 0; i < o->n_sentinels; i++) {
        struct ctl_response r = {0};
        int rc = ctl_http_one(h, i, "GET", path, NULL, &r);
        buf_append_str(out, "  ");
        ctl_format_view(o->sentinels[i], rc < 0 ? 0 : r.status, r.json, r.error, o->color, out);
        ctl_response_free(&r);
    }
}

/* One group: its table, then every sentinel's view. `detail` may be a summary without the
 * replica list: then the full record is fetched from the sentinel that gave the list. */
static void status_one(struct ctl_http *h, const cJSON *detail, size_t from, struct buf *out)
{
    const struct ctl_opts *o = ctl_http_opts(h);
    const char *name = ctl_json_str(detail, "name");
    struct ctl_response full = {0};
    if (name && !ctl_json_get(detail, "replicas|slaves")) {
        char path[CTL_PATH_MAX];
        master_path(name, "", path, sizeof(path));
        if (ctl_http_one(h, from, "GET", path, NULL, &full) == 0 && full.status == 200 && full.json)
            detail = full.json;
    }
    ctl_format_status(detail, o->color, out);
    if (name) status_views(h, name, out);
    ctl_response_free(&full);
}

int ctl_cmd_status(struct ctl_http *h)
{
    const struct ctl_opts *o = ctl_http_opts(h);
    struct ctl_response r = {0};
    struct buf out = {0};
    int rc;
    if (o->n_args == 1) {
        rc = get_master_thing(h, o->args[0], "", &r);
        if (rc == CTL_EXIT_OK && o->json)
            ctl_print_json(&r);
        else if (rc == CTL_EXIT_OK)
            status_one(h, r.json, r.sentinel, &out);
    } else if (ctl_http_any(h, "GET", "/v1/masters", NULL, &r) < 0 || r.status != 200) {
        rc = ctl_http_fail(o, &r, "the masters list");
    } else if (o->json) {
        ctl_print_json(&r);
        rc = CTL_EXIT_OK;
    } else {
        const cJSON *list = cJSON_IsArray(r.json) ? r.json : ctl_json_get(r.json, "masters");
        const cJSON *it;
        size_t n = 0;
        buf_printf(&out, "as seen by sentinel %s\n", o->sentinels[r.sentinel]);
        cJSON_ArrayForEach(it, list)
        {
            buf_append_char(&out, '\n');
            status_one(h, it, r.sentinel, &out);
            ctl_flush(&out);
            n++;
        }
        if (n == 0) buf_append_str(&out, "no master monitored\n");
        rc = CTL_EXIT_OK;
    }
    ctl_flush(&out);
    buf_free(&out);
    ctl_response_free(&r);
    return rc;
}

int ctl_cmd_master(struct ctl_http *h)
{
    const struct ctl_opts *o = ctl_http_opts(h);
    struct ctl_response r = {0};
    int rc = get_master_thing(h, o->args[0], "/master", &r);
    if (rc == CTL_EXIT_OK && o->json) {
        ctl_print_json(&r);
    } else if (rc == CTL_EXIT_OK) {
        const char *ip = ctl_json_str(r.json, "ip|host");
        double port;
        if (ip && ctl_json_num(r.json, "port", &port)) {
            printf("%s %.0f\n", ip, port);
        } else {
            ctl_err("sentinel %s answered without ip and port; run with --json to see it",
                    o->sentinels[r.sentinel]);
            rc = CTL_EXIT_FAILED;
        }
    }
    ctl_response_free(&r);
    return rc;
}

int ctl_cmd_plan(struct ctl_http *h)
{
    const struct ctl_opts *o = ctl_http_opts(h);
    struct ctl_response r = {0};
    struct buf out = {0};
    int rc = get_master_thing(h, o->args[0], "/plan", &r);
    if (rc == CTL_EXIT_OK && o->json)
        ctl_print_json(&r);
    else if (rc == CTL_EXIT_OK) {
        if (!ctl_json_get(r.json, "name|master"))
            cJSON_AddStringToObject(r.json, "name", o->args[0]);
        ctl_format_plan(r.json, o->color, &out);
    }
    ctl_flush(&out);
    buf_free(&out);
    ctl_response_free(&r);
    return rc;
}

int ctl_cmd_history(struct ctl_http *h)
{
    const struct ctl_opts *o = ctl_http_opts(h);
    struct ctl_response r = {0};
    struct buf out = {0};
    char suffix[64] = "/history";
    if (o->limit > 0) snprintf(suffix, sizeof(suffix), "/history?limit=%lld", o->limit);
    int rc = get_master_thing(h, o->args[0], suffix, &r);
    if (rc == CTL_EXIT_OK && o->json)
        ctl_print_json(&r);
    else if (rc == CTL_EXIT_OK)
        ctl_format_history(r.json, o->color, &out);
    ctl_flush(&out);
    buf_free(&out);
    ctl_response_free(&r);
    return rc;
}

/* Collects the peers of `master` (a GET /v1/masters/{name} answer) that have not acknowledged the
 * current pause state into `missing`; returns how many peers are known (-1 on a bad answer). */
static int unconfirmed_peers(const cJSON *master, struct buf *missing, int *n_missing)
{
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(master, "sentinels"), *p;
    if (!cJSON_IsArray(arr)) return -1;
    int known = 0;
    *n_missing = 0;
    buf_clear(missing);
    cJSON_ArrayForEach(p, arr)
    {
        known++;
        bool yes = false, up = false;
        if (ctl_json_bool(p, "pause_confirmed", &yes) && yes) continue;
        ctl_json_bool(p, "reachable", &up);
        const char *id = ctl_json_str(p, "id"), *ip = ctl_json_str(p, "ip");
        double port = 0;
        ctl_json_num(p, "port", &port);
        char one[200];
        snprintf(one, sizeof(one), "%s%.8s at %s:%.0f%s", *n_missing ? ", " : "", id ? id : "?",
                 ip ? ip : "?", port, up ? "" : " (unreachable)");
        buf_append_str(missing, one);
        (*n_missing)++;
    }
    return known;
}

/* After a pause or resume: wait (up to --timeout) until every sentinel the answering one knows
 * acknowledged the new state. A sentinel that did not would still fail over on its own (until
 * it reconnects and learns the state), so the operator is told which and the exit code is 1. */
static int confirm_pause(struct ctl_http *h, size_t sentinel, const char *name, bool pause)
{
    const struct ctl_opts *o = ctl_http_opts(h);
    char path[CTL_PATH_MAX];
    master_path(name, "", path, sizeof(path));
    struct buf missing;
    buf_init(&missing);
    int64_t deadline = clock_mono_ms() + o->timeout_ms;
    int known = -1, n_missing = 0;
    for (;;) {
        struct ctl_response r = {0};
        if (ctl_http_one(h, sentinel, "GET", path, NULL, &r) == 0 && r.status == 200)
            known = unconfirmed_peers(r.json, &missing, &n_missing);
        ctl_response_free(&r);
        if ((known >= 0 && n_missing == 0) || clock_mono_ms() >= deadline) break;
        clock_sleep_ms(50);
    }
    int rc = CTL_EXIT_OK;
    if (known < 0) {
        ctl_err("warning: could not read back the state of %s from %s; run `vigilctl status %s`",
                name, o->sentinels[sentinel], name);
        rc = CTL_EXIT_FAILED;
    } else if (n_missing > 0) {
        ctl_err("warning: %d of %d other sentinels did not confirm the %s of %s: %.*s; each "
                "learns it when it reconnects, until then it may %s",
                n_missing, known, pause ? "pause" : "resume", name, (int)missing.len, missing.data,
                pause ? "fail over on its own" : "stay paused");
        rc = CTL_EXIT_FAILED;
    } else if (!o->json) {
        printf("%s: confirmed by all %d other sentinels\n", name, known);
    }
    buf_free(&missing);
    return rc;
}

int ctl_cmd_pause(struct ctl_http *h, bool pause)
{
    const struct ctl_opts *o = ctl_http_opts(h);
    const char *name = o->args[0];
    struct ctl_response r = {0};
    char path[CTL_PATH_MAX], what[300];
    master_path(name, pause ? "/pause" : "/resume", path, sizeof(path));
    snprintf(what, sizeof(what), "master %s", name);
    int rc = CTL_EXIT_OK;
    if (ctl_http_any(h, "POST", path, "{}", &r) < 0 || r.status / 100 != 2) {
        rc = ctl_http_fail(o, &r, what);
    } else if (o->json) {
        ctl_print_json(&r);
    } else {
        double told = 0;
        ctl_json_num(r.json, "peers_notified", &told);
        if (pause)
            printf(
                "%s: automatic failover paused on %s, sent to %.0f other sentinels (switchover and "
                "forced failover still work); `vigilctl resume %s` ends it\n",
                name, o->sentinels[r.sentinel], told, name);
        else
            printf("%s: automatic failover resumed on %s, sent to %.0f other sentinels\n", name,
                   o->sentinels[r.sentinel], told);
    }
    if (rc == CTL_EXIT_OK) {
        fflush(stdout);
        rc = confirm_pause(h, r.sentinel, name, pause);
    }
    ctl_response_free(&r);
    return rc;
}
