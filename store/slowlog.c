/* slowlog: SLOWLOG GET | LEN | RESET | HELP and the log behind them, as Redis 7.0 keeps it.
 *
 * Every command that runs for at least slowlog-log-slower-than microseconds (negative: never;
 * 0: every command) is recorded by command_call with its id, unix time, duration, arguments,
 * client address and name. The log is a ring of at most slowlog-max-len entries, newest first.
 * An entry keeps at most SLOWLOG_ENTRY_MAX_ARGC arguments (the last one then says how many were
 * left out) and at most SLOWLOG_ENTRY_MAX_STRING bytes of each (the rest likewise counted), so
 * one entry is bounded whatever the command. Secrets (AUTH and HELLO passwords, sensitive
 * CONFIG SET values) are kept as "(redacted)" (see redact.h); the master link's commands are
 * never recorded.
 */
#include "store/slowlog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/util.h"
#include "store/client.h"
#include "store/command.h"
#include "store/redact.h"
#include "store/reply.h"

#define SLOWLOG_ENTRY_MAX_ARGC 32
#define SLOWLOG_ENTRY_MAX_STRING 128

struct slowlog_entry {
    long long id, time_s, duration_us;
    size_t argc;
    char **argv;
    size_t *argl;
    char *addr, *name;
};

struct slowlog {
    struct slowlog_entry *ring; /* capacity cap; newest at (head + len - 1) % cap */
    size_t cap, head, len;
    long long next_id;
};

struct slowlog *slowlog_create(void) { return xcalloc(1, sizeof(struct slowlog)); }

static void entry_free(struct slowlog_entry *e)
{
    for (size_t i = 0; i < e->argc; i++) free(e->argv[i]);
    free(e->argv);
    free(e->argl);
    free(e->addr);
    free(e->name);
    memset(e, 0, sizeof *e);
}

static void slowlog_clear(struct slowlog *sl)
{
    for (size_t i = 0; i < sl->len; i++) entry_free(&sl->ring[(sl->head + i) % sl->cap]);
    sl->head = sl->len = 0;
}

void slowlog_destroy(struct slowlog *sl)
{
    if (!sl) return;
    slowlog_clear(sl);
    free(sl->ring);
    free(sl);
}

/* Keep the newest max_len entries in a ring of exactly max_len slots. */
static void slowlog_resize(struct slowlog *sl, size_t max_len)
{
    if (max_len == sl->cap) return;
    struct slowlog_entry *ring = max_len ? xcalloc(max_len, sizeof *ring) : NULL;
    size_t keep = MIN(sl->len, max_len), drop = sl->len - keep;
    for (size_t i = 0; i < sl->len; i++) {
        struct slowlog_entry *e = &sl->ring[(sl->head + i) % sl->cap];
        if (i < drop)
            entry_free(e);
        else
            ring[i - drop] = *e;
    }
    free(sl->ring);
    sl->ring = ring;
    sl->cap = max_len;
    sl->head = 0;
    sl->len = keep;
}

static char *copy_arg(const char *p, size_t len, size_t *out_len)
{
    if (len <= SLOWLOG_ENTRY_MAX_STRING) {
        *out_len = len;
        return xmemdup(p, len);
    }
    char tail[64];
    int n = snprintf(tail, sizeof tail, "... (%zu more bytes)", len - SLOWLOG_ENTRY_MAX_STRING);
    char *s = xmalloc(SLOWLOG_ENTRY_MAX_STRING + (size_t)n + 1);
    memcpy(s, p, SLOWLOG_ENTRY_MAX_STRING);
    memcpy(s + SLOWLOG_ENTRY_MAX_STRING, tail, (size_t)n + 1);
    *out_len = SLOWLOG_ENTRY_MAX_STRING + (size_t)n;
    return s;
}

static void entry_fill(struct slowlog_entry *e, const struct client *c, long long id,
                       long long duration_us)
{
    e->id = id;
    e->time_s = clock_wall_ms() / 1000;
    e->duration_us = duration_us;
    e->argc = MIN(c->argc, (size_t)SLOWLOG_ENTRY_MAX_ARGC);
    e->argv = xmalloc(e->argc * sizeof *e->argv);
    e->argl = xmalloc(e->argc * sizeof *e->argl);
    struct resp_arg *scratch;
    const struct resp_arg *argv = redact_view(c->argc, c->argv, &scratch);
    for (size_t i = 0; i < e->argc; i++) {
        if (i == e->argc - 1 && c->argc > e->argc) {
            char more[64];
            int n = snprintf(more, sizeof more, "... (%zu more arguments)", c->argc - e->argc + 1);
            e->argv[i] = xmemdup(more, (size_t)n);
            e->argl[i] = (size_t)n;
        } else {
            e->argv[i] = copy_arg(argv[i].ptr, argv[i].len, &e->argl[i]);
        }
    }
    free(scratch);
    e->addr = xstrdup(c->conn.addr);
    e->name = xstrdup(c->conn.name ? c->conn.name : "");
}

void slowlog_record(struct server *srv, const struct client *c, long long duration_us)
{
    long long threshold = srv->cfg.slowlog_log_slower_than;
    if (threshold < 0 || duration_us < threshold || c->argc == 0) return;
    if (client_must_obey(c) || !c->cmd) return;
    struct slowlog *sl = srv->slowlog;
    slowlog_resize(sl, (size_t)srv->cfg.slowlog_max_len);
    if (sl->cap == 0) return;
    struct slowlog_entry *e;
    if (sl->len == sl->cap) { /* full: the oldest slot becomes the newest */
        e = &sl->ring[sl->head];
        entry_free(e);
        sl->head = (sl->head + 1) % sl->cap;
    } else {
        e = &sl->ring[(sl->head + sl->len) % sl->cap];
        sl->len++;
    }
    entry_fill(e, c, sl->next_id++, duration_us);
}

/* ---- SLOWLOG ---- */

static void slowlog_get(struct client *c)
{
    struct slowlog *sl = c->srv->slowlog;
    slowlog_resize(sl, (size_t)c->srv->cfg.slowlog_max_len);
    long long count = 10;
    if (c->argc == 3 &&
        (util_parse_ll(c->argv[2].ptr, c->argv[2].len, &count) != 0 || count < -1)) {
        reply_error(c, "ERR count should be greater than or equal to -1");
        return;
    }
    size_t n = count == -1 ? sl->len : MIN((size_t)count, sl->len);
    reply_array(c, n);
    for (size_t i = 0; i < n; i++) { /* newest first */
        const struct slowlog_entry *e = &sl->ring[(sl->head + sl->len - 1 - i) % sl->cap];
        reply_array(c, 6);
        reply_integer(c, e->id);
        reply_integer(c, e->time_s);
        reply_integer(c, e->duration_us);
        reply_array(c, e->argc);
        for (size_t j = 0; j < e->argc; j++) reply_bulk(c, e->argv[j], e->argl[j]);
        reply_bulk_str(c, e->addr);
        reply_bulk_str(c, e->name);
    }
}

static void slowlog_len(struct client *c)
{
    slowlog_resize(c->srv->slowlog, (size_t)c->srv->cfg.slowlog_max_len);
    reply_integer(c, (long long)c->srv->slowlog->len);
}

static void slowlog_reset(struct client *c)
{
    slowlog_clear(c->srv->slowlog);
    reply_ok(c);
}

static void slowlog_help(struct client *c)
{
    static const char *const lines[] = {
        "SLOWLOG <subcommand> [<argument> ...], with <subcommand> one of:",
        "GET [<count>]",
        "    The <count> newest entries, newest first (default 10; -1: every entry). Each one is",
        "    [id, unix time, duration in microseconds, arguments, client address, client name].",
        "LEN",
        "    How many entries the log holds (at most slowlog-max-len).",
        "RESET",
        "    Empty the log.",
        "HELP",
        "    Show this list.",
    };
    reply_simple_lines(c, lines, ARRAY_LEN(lines));
}

static const struct command slowlog_subs[] = {
    {.name = "get", .arity = -2, .fn = slowlog_get},
    {.name = "len", .arity = 2, .fn = slowlog_len},
    {.name = "reset", .arity = 2, .fn = slowlog_reset},
    {.name = "help", .arity = 2, .fn = slowlog_help},
    {.name = NULL},
};

static void cmd_slowlog(struct client *c) { command_dispatch_sub(c, slowlog_subs, "slowlog"); }

struct command cmd_table_slowlog[] = {
    {.name = "slowlog",
     .arity = -2,
     .flags = CMD_ADMIN | CMD_LOADING | CMD_STALE,
     .fn = cmd_slowlog,
     .subcommands = slowlog_subs,
     .group = "server"},
    {.name = NULL},
};
