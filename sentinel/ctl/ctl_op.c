/* ctl_op: the commands that start an operation on a master group and follow it to its end:
 * `switchover` (lossless, through vigil-store's FAILOVER TO) and `failover --force` (Redis's
 * forced failover, which may lose writes).
 *
 *   POST /v1/masters/{name}/switchover --202 {"id"}--> poll GET /v1/operations/{id}
 *        (same sentinel: ids are      ------------>  print each new phase
 *         per sentinel)                              until outcome or deadline
 *
 * The poll interval grows from 20 ms to 200 ms (a switchover takes well under a second, and a
 * human watches it); the deadline is the operation's own timeout plus CTL_OP_SLACK_MS for the
 * leader election and the reconfiguration around it. Transport errors while polling are retried
 * until the deadline (the sentinel may be busy); a 404 means the sentinel forgot the operation
 * (restarted) and ends the wait.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/util.h"
#include "sentinel/ctl/ctl.h"
#include "sentinel/ctl/ctl_format.h"

#define CTL_OP_SLACK_MS 30000
#define CTL_FORCED_WAIT_MS 60000
#define CTL_POLL_MIN_MS 20
#define CTL_POLL_MAX_MS 200

/* The operation's outcome line: "new master ip:port, epoch N" from the final answer. */
static void print_done(const char *kind, const char *name, const cJSON *op, bool color)
{
    char epoch[32] = "";
    const char *to = ctl_json_str(op, "to");
    double e;
    if (ctl_json_num(op, "epoch", &e)) snprintf(epoch, sizeof(epoch), ", epoch %.0f", e);
    printf("%s%s of %s done%s: new master %s%s\n", color ? "\x1b[32m" : "", kind, name,
           color ? "\x1b[0m" : "", to ? to : "-", epoch);
}

/* The replica entry for "ip:port" in a GET /v1/masters/{name} answer, or NULL. */
static const cJSON *find_replica(const cJSON *master, const char *addr)
{
    const cJSON *r;
    cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(master, "replicas"))
    {
        const char *ip = ctl_json_str(r, "ip");
        double port = 0;
        char key[300];
        ctl_json_num(r, "port", &port);
        snprintf(key, sizeof(key), strchr(ip ? ip : "", ':') ? "[%s]:%.0f" : "%s:%.0f",
                 ip ? ip : "", port);
        if (strcmp(key, addr) == 0) return r;
    }
    return NULL;
}

/* After a forced failover: what became of the old master `from`? The sentinels demote a live
 * one at once; wait (up to --timeout) to say so, or say that it is unreachable. */
static void report_old_master(struct ctl_http *h, size_t sentinel, const char *name,
                              const char *from, const char *to)
{
    const struct ctl_opts *o = ctl_http_opts(h);
    char path[400], esc[300];
    ctl_http_escape(name, esc, sizeof(esc));
    snprintf(path, sizeof(path), "/v1/masters/%s", esc);
    int64_t deadline = clock_mono_ms() + o->timeout_ms;
    const char *state = "unknown";
    for (;;) {
        struct ctl_response r = {0};
        if (ctl_http_one(h, sentinel, "GET", path, NULL, &r) == 0 && r.status == 200) {
            const cJSON *old = find_replica(r.json, from);
            const char *role = old ? ctl_json_str(old, "role") : NULL;
            const char *link = old ? ctl_json_str(old, "link") : NULL;
            state = role && strcmp(role, "replica") == 0 ? "replica"
                    : link && strcmp(link, "down") == 0  ? "unreachable"
                                                         : "master";
        }
        ctl_response_free(&r);
        if (strcmp(state, "replica") == 0 || clock_mono_ms() >= deadline) break;
        clock_sleep_ms(50);
    }
    if (strcmp(state, "replica") == 0)
        printf("old master %s: demoted, now a replica of %s\n", from, to);
    else if (strcmp(state, "unreachable") == 0)
        printf("old master %s: unreachable; the sentinels make it a replica of %s as soon as "
               "they see it again\n",
               from, to);
    else
        ctl_err("warning: old master %s still reports role:master after %lld ms; the sentinels "
                "are demoting it (check with `vigilctl status %s`)",
                from, (long long)o->timeout_ms, name);
}

/* Polls until the operation ends. Returns the exit code; prints phases (or, with --json, the
 * last answer). */
static int follow_op(struct ctl_http *h, size_t sentinel, const char *id, const char *kind,
                     const char *name, int64_t wait_ms)
{
    const struct ctl_opts *o = ctl_http_opts(h);
    char path[400], esc[300], last_error[512] = "";
    ctl_http_escape(id, esc, sizeof(esc));
    snprintf(path, sizeof(path), "/v1/operations/%s", esc);
    struct ctl_op_progress prog = {0};
    struct ctl_response r = {0};
    struct buf out = {0};
    int64_t start = clock_mono_ms(), deadline = start + wait_ms, pause = CTL_POLL_MIN_MS;
    int rc = -1;
    while (rc < 0) {
        if (ctl_http_one(h, sentinel, "GET", path, NULL, &r) < 0) {
            snprintf(last_error, sizeof(last_error), "%s", r.error);
        } else if (r.status == 200 && r.json) {
            const char *reason;
            enum ctl_op_outcome oc = ctl_op_outcome(r.json, &reason);
            if (!o->json)
                ctl_op_progress_update(&prog, r.json, clock_mono_ms() - start, o->color, &out);
            ctl_flush(&out);
            if (oc == CTL_OP_SUCCEEDED) {
                if (o->json)
                    ctl_print_json(&r);
                else
                    print_done(kind, name, r.json, o->color);
                const char *from = ctl_json_str(r.json, "from"), *to = ctl_json_str(r.json, "to");
                if (!o->json && strcmp(kind, "forced failover") == 0 && from && to)
                    report_old_master(h, sentinel, name, from, to);
                rc = CTL_EXIT_OK;
            } else if (oc == CTL_OP_FAILED) {
                if (o->json) ctl_print_json(&r);
                ctl_err("%s of %s failed: %s; `vigilctl status %s` shows where things stand", kind,
                        name, reason ? reason : "no reason given", name);
                rc = CTL_EXIT_FAILED;
            }
        } else {
            ctl_http_fail(o, &r, "the operation");
            rc = r.status == 401 || r.status == 403 ? CTL_EXIT_AUTH : CTL_EXIT_FAILED;
        }
        if (rc < 0 && clock_mono_ms() >= deadline) {
            ctl_err("%s of %s still not finished after %lld ms%s%s; it may still complete: check "
                    "`vigilctl status %s` and `vigilctl history %s`",
                    kind, name, (long long)wait_ms, last_error[0] ? ", last error: " : "",
                    last_error, name, name);
            rc = CTL_EXIT_FAILED;
        }
        if (rc < 0) {
            clock_sleep_ms(pause);
            pause = MIN(pause * 2, CTL_POLL_MAX_MS);
        }
    }
    buf_free(&out);
    ctl_response_free(&r);
    return rc;
}

/* POSTs body to the master's `action`; on 2xx follows the operation it names (if any). */
static int start_op(struct ctl_http *h, const char *action, const char *body, const char *kind,
                    int64_t wait_ms)
{
    const struct ctl_opts *o = ctl_http_opts(h);
    const char *name = o->args[0];
    char path[700], esc[600], what[300];
    ctl_http_escape(name, esc, sizeof(esc));
    snprintf(path, sizeof(path), "/v1/masters/%s/%s", esc, action);
    snprintf(what, sizeof(what), "master %s", name);
    struct ctl_response r = {0};
    int rc;
    if (ctl_http_any(h, "POST", path, body, &r) < 0 || r.status / 100 != 2) {
        rc = ctl_http_fail(o, &r, what);
        ctl_response_free(&r);
        return rc;
    }
    const char *id = ctl_json_str(r.json, "id");
    const char *warning = ctl_json_str(r.json, "warning");
    if (warning) ctl_err("warning from the sentinel: %s", warning);
    if (!id) { /* nothing to follow: the answer is the outcome */
        if (o->json)
            ctl_print_json(&r);
        else
            printf("%s of %s started on sentinel %s; follow it with `vigilctl watch %s`\n", kind,
                   name, o->sentinels[r.sentinel], name);
        ctl_response_free(&r);
        return CTL_EXIT_OK;
    }
    if (!o->json) {
        printf("%s of %s: operation %s on sentinel %s\n", kind, name, id, o->sentinels[r.sentinel]);
        fflush(stdout);
    }
    char *id_copy = xstrdup(id);
    size_t sentinel = r.sentinel;
    ctl_response_free(&r);
    rc = follow_op(h, sentinel, id_copy, kind, name, wait_ms);
    free(id_copy);
    return rc;
}

int ctl_cmd_switchover(struct ctl_http *h)
{
    const struct ctl_opts *o = ctl_http_opts(h);
    int64_t timeout_ms = o->op_timeout_ms > 0 ? o->op_timeout_ms : CTL_DEFAULT_TIMEOUT_MS;
    cJSON *body = cJSON_CreateObject();
    if (o->to) cJSON_AddStringToObject(body, "to", o->to);
    cJSON_AddNumberToObject(body, "timeout_ms", (double)timeout_ms);
    char *text = cJSON_PrintUnformatted(body);
    cJSON_Delete(body);
    if (!text) util_panic("out of memory");
    int rc = start_op(h, "switchover", text, "switchover", timeout_ms + CTL_OP_SLACK_MS);
    cJSON_free(text);
    return rc;
}

int ctl_cmd_failover(struct ctl_http *h)
{
    const struct ctl_opts *o = ctl_http_opts(h);
    const char *name = o->args[0];
    if (!o->force) {
        ctl_err("refusing a forced failover of %s without --force: it promotes a replica without "
                "waiting for it to catch up, so writes the master acknowledged can be lost. When "
                "the master is up use `vigilctl switchover %s` (loses nothing); otherwise run "
                "`vigilctl failover %s --force`",
                name, name, name);
        return CTL_EXIT_USAGE;
    }
    ctl_err("warning: forced failover of %s: writes the old master acknowledged that no replica "
            "received yet will be lost",
            name);
    return start_op(h, "failover", "{\"force\":true}", "forced failover", CTL_FORCED_WAIT_MS);
}
