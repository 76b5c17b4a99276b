/* command: see command.h. The lookup table is a small open-addressing hash of lowercase names,
 * built once at startup from the families' tables; lookups fold case without allocating. */
#include "store/command.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/clock.h"
#include "common/conn_cmd.h"
#include "common/util.h"
#include "store/acl.h"
#include "store/blocking.h"
#include "store/client.h"
#include "store/evict.h"
#include "store/latency.h"
#include "store/master_lease.h"
#include "store/multi.h"
#include "store/persist/aof.h"
#include "store/propagate.h"
#include "store/tracking.h"
#include "store/redact.h"
#include "store/reply.h"
#include "store/slowlog.h"
#include "store/persist/rdb_save.h"
#include "store/repl/repl.h"
#include "store/script/script.h"

#define CMD_SLOTS 1024 /* power of two, well above the command count */

static struct command *name_slots[CMD_SLOTS]; /* open addressing by lowercase name */
static struct command *registered[CMD_SLOTS]; /* in registration order (COMMAND LIST) */
static size_t nregistered;

static uint32_t name_hash(const char *s, size_t len)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++) h = (h ^ (uint8_t)tolower((unsigned char)s[i])) * 16777619u;
    return h;
}

static void register_table(struct command *t)
{
    for (; t->name; t++) {
        size_t len = strlen(t->name);
        uint32_t i = name_hash(t->name, len) & (CMD_SLOTS - 1);
        while (name_slots[i]) {
            ASSERT(strcasecmp(name_slots[i]->name, t->name) != 0); /* duplicate command name */
            i = (i + 1) & (CMD_SLOTS - 1);
        }
        name_slots[i] = t;
        registered[nregistered++] = t;
    }
}

void command_table_init(void)
{
    if (nregistered) return;
    for (size_t i = 0; command_families[i]; i++) register_table(command_families[i]);
    command_meta_build();
}

struct command *command_lookup(const char *name, size_t len)
{
    uint32_t i = name_hash(name, len) & (CMD_SLOTS - 1);
    while (name_slots[i]) {
        if (util_eq_nocase(name, len, name_slots[i]->name)) return name_slots[i];
        i = (i + 1) & (CMD_SLOTS - 1);
    }
    return NULL;
}

size_t command_count(void) { return nregistered; }
struct command *command_at(size_t i) { return i < nregistered ? registered[i] : NULL; }

static bool arity_ok(int arity, size_t argc)
{
    return arity > 0 ? argc == (size_t)arity : argc >= (size_t)-arity;
}

void command_reply_arity(struct client *c, const char *fullname)
{
    conn_reply_arity(&c->conn, fullname);
}

void command_reply_sub_usage(struct client *c, const char *family_upper)
{
    reply_errorf(c, "ERR unknown subcommand or wrong number of arguments for '%.*s'. Try %s HELP.",
                 (int)MIN(c->argv[1].len, 128), c->argv[1].ptr, family_upper);
}

static void reply_unknown_command(struct client *c)
{
    conn_reply_unknown_command(&c->conn, c->argc, c->argv);
}

/* Statistics of subcommands (INFO commandstats' "cmdstat_<family>|<sub>" lines, which tools
 * such as Sentinel tests read for SCRIPT KILL): the subcommand tables are const, so their
 * counters live here, found by the entry's address. Bounded: subcommands beyond the table's
 * size go uncounted. */
#define SUBSTATS_MAX 256
struct sub_stats {
    const struct command *sub;
    const char *family;
    unsigned long long calls, usec, failed_calls;
};
static struct sub_stats substats[SUBSTATS_MAX];
static size_t nsubstats;

static void substats_record(const struct command *s, const char *family, int64_t usec,
                            bool is_failed)
{
    size_t i = 0;
    while (i < nsubstats && substats[i].sub != s) i++;
    if (i == nsubstats) {
        if (nsubstats == SUBSTATS_MAX) return;
        substats[nsubstats++] = (struct sub_stats){.sub = s, .family = family};
    }
    substats[i].calls++;
    substats[i].usec += (unsigned long long)usec;
    if (is_failed) substats[i].failed_calls++;
}

void command_reset_substats(void) { nsubstats = 0; }

void command_format_substats(struct buf *out)
{
    for (size_t i = 0; i < nsubstats; i++) {
        const struct sub_stats *s = &substats[i];
        buf_printf(out,
                   "cmdstat_%s|%s:calls=%llu,usec=%llu,usec_per_call=%.2f,rejected_calls=0,"
                   "failed_calls=%llu\r\n",
                   s->family, s->sub->name, s->calls, s->usec,
                   s->calls ? (double)s->usec / (double)s->calls : 0.0, s->failed_calls);
    }
}

void command_dispatch_sub(struct client *c, const struct command *table, const char *family)
{
    for (const struct command *s = table; s->name; s++) {
        if (!arg_is(&c->argv[1], s->name)) continue;
        if (!arity_ok(s->arity, c->argc)) {
            char full[64];
            snprintf(full, sizeof full, "%s|%s", family, s->name);
            command_reply_arity(c, full);
            return;
        }
        uint64_t errors_before = c->srv->conns.stats.error_replies;
        int64_t start_us = clock_mono_us();
        s->fn(c);
        int64_t duration_us = clock_mono_us() - start_us;
        substats_record(s, family, duration_us, c->srv->conns.stats.error_replies != errors_before);
        latency_record_command(c->srv, s, family, s->name, duration_us);
        return;
    }
    conn_reply_unknown_subcommand(&c->conn, &c->argv[1], family);
}

static void monitor_feed(struct client *c)
{
    if (c->cmd->flags & (CMD_SKIP_MONITOR | CMD_ADMIN)) return;
    command_feed_monitors(c);
}

void command_feed_monitors(struct client *c)
{
    struct server *srv = c->srv;
    if (srv->nmonitors == 0) return;
    struct buf line;
    buf_init(&line);
    int64_t us = srv->start_wall_ms * 1000 + (loop_now_us(srv->loop) - srv->start_mono_ms * 1000);
    buf_printf(&line, "+%lld.%06lld [%d %s]", (long long)(us / 1000000), (long long)(us % 1000000),
               c->db, c->conn.addr);
    struct resp_arg *scratch;
    const struct resp_arg *argv = redact_view(c->argc, c->argv, &scratch);
    for (size_t i = 0; i < c->argc; i++) {
        buf_append_str(&line, " \"");
        for (size_t j = 0; j < argv[i].len; j++) {
            unsigned char ch = (unsigned char)argv[i].ptr[j];
            if (ch == '"' || ch == '\\')
                buf_printf(&line, "\\%c", ch);
            else if (ch == '\n')
                buf_append_str(&line, "\\n");
            else if (ch == '\r')
                buf_append_str(&line, "\\r");
            else if (isprint(ch))
                buf_append_char(&line, (char)ch);
            else
                buf_printf(&line, "\\x%02x", ch);
        }
        buf_append_char(&line, '"');
    }
    free(scratch);
    buf_append_str(&line, "\r\n");
    for (size_t i = 0; i < srv->nmonitors; i++) {
        struct client *m = srv->monitor_list[i];
        if (m == c) continue;
        reply_raw(m, line.data, line.len);
    }
    buf_free(&line);
}

/* Run the handler and account for it. What it propagates is buffered by propagate.c and fed
 * to replicas once the outermost call ends, so EXEC's commands reach them as one block. */
void command_call(struct client *c, struct command *cmd)
{
    struct server *srv = c->srv;
    long long dirty_before = srv->dirty;
    struct propagate_frame frame;
    propagate_call_begin(srv->prop, &frame);
    tracking_call_begin(c);
    srv->call_depth++;
    c->cmd = cmd;
    int64_t start = clock_mono_us();
    uint64_t errors_before = srv->conns.stats.error_replies;
    cmd->fn(c);
    int64_t duration_us = clock_mono_us() - start;
    cmd->usec += (unsigned long long)duration_us;
    slowlog_record(srv, c, duration_us);
    latency_add_sample_if_needed(srv, (cmd->flags & CMD_FAST) ? "fast-command" : "command",
                                 duration_us / 1000);
    if (!cmd->subcommands) latency_record_command(srv, cmd, NULL, cmd->name, duration_us);
    cmd->calls++;
    if (srv->conns.stats.error_replies != errors_before) cmd->failed_calls++;
    srv->stats.numcommands++;
    c->last_cmd = cmd;
    if (srv->dirty != dirty_before && (cmd->flags & CMD_WRITE))
        propagate_call_default(srv->prop, c->db, c->argc, c->argv);
    srv->call_depth--;
    if (propagate_call_end(srv->prop, &frame) && !(c->flags & CLIENT_MASTER)) {
        c->woff = repl_offset(srv);
        c->aof_woff = aof_fed_offset(srv);
    }
    tracking_call_end(c, cmd);
}

/* ---- the gate ---- */

static bool allowed_in_pubsub_resp2(const struct command *cmd)
{
    static const char *const ok[] = {"subscribe",    "unsubscribe", "psubscribe",
                                     "punsubscribe", "ssubscribe",  "sunsubscribe",
                                     "ping",         "quit",        "reset"};
    for (size_t i = 0; i < ARRAY_LEN(ok); i++)
        if (strcmp(cmd->name, ok[i]) == 0) return true;
    return false;
}

/* A write, or an EXEC whose queued commands write. */
static bool command_may_write(const struct client *c, const struct command *cmd)
{
    if (cmd->flags & CMD_WRITE) return true;
    if (!(c->flags & CLIENT_MULTI) || strcmp(cmd->name, "exec") != 0) return false;
    for (size_t i = 0; i < c->mcount; i++)
        if (c->mstate[i].cmd->flags & CMD_WRITE) return true;
    return false;
}

/* Role and state checks that apply before queueing or running; true if the command may run. */
static bool command_check_state(struct client *c, struct command *cmd)
{
    struct server *srv = c->srv;
    bool is_write = (cmd->flags & CMD_WRITE) != 0;
    if (conn_auth_required(&c->conn) && !(cmd->flags & CMD_NO_AUTH)) {
        reply_error(c, "NOAUTH Authentication required.");
        return false;
    }
    if (store_acl_check(c, cmd) != 0) return false; /* MULTI: refused at queue time, as Redis */
    if ((c->conn.flags & CONN_PUBSUB) && c->conn.proto == 2 && !allowed_in_pubsub_resp2(cmd)) {
        reply_errorf(c,
                     "ERR Can't execute '%s': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT "
                     "/ RESET are allowed in this context",
                     cmd->name);
        return false;
    }
    if (c->flags & CLIENT_MASTER) return true;
    if (is_write && repl_awaiting_role(srv)) {
        reply_error(c, "READONLY This node restarted without its data and waits to be told its "
                       "role (REPLICAOF from its sentinels, or REPLICAOF NO ONE).");
        return false;
    }
    if (is_write && server_is_replica(srv) && srv->cfg.replica_read_only) {
        reply_error(c, "READONLY You can't write against a read only replica.");
        return false;
    }
    if (master_lease_refuses(c, cmd, command_may_write(c, cmd))) return false;
    if (srv->is_loading && !(cmd->flags & CMD_LOADING)) {
        reply_error(c, "LOADING Redis is loading the dataset in memory");
        return false;
    }
    if (server_is_replica(srv) && !srv->cfg.replica_serve_stale_data && !repl_master_link_up(srv) &&
        !(cmd->flags & CMD_STALE)) {
        reply_error(
            c, "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.");
        return false;
    }
    const char *disk_err = rdb_save_misconf_error(srv);
    if (disk_err && (command_may_write(c, cmd) || strcmp(cmd->name, "ping") == 0)) {
        reply_error(c, disk_err); /* as Redis, PING too: a health check sees the failure */
        return false;
    }
    if (aof_refuses_command(c, cmd)) return false;
    if (is_write && !server_is_replica(srv) && repl_min_replicas_failing(srv)) {
        reply_error(c, "NOREPLICAS Not enough good replicas to write.");
        return false;
    }
    return true;
}

void command_execute(struct client *c)
{
    struct command *cmd = command_lookup(c->argv[0].ptr, c->argv[0].len);
    if (c->conn.flags & CONN_REPLY_SKIP_NEXT) {
        c->conn.flags = (c->conn.flags & ~CONN_REPLY_SKIP_NEXT) | CONN_REPLY_SKIP;
    } else {
        c->conn.flags &= ~CONN_REPLY_SKIP;
    }
    if (!cmd) {
        reply_unknown_command(c);
        if (c->flags & CLIENT_MULTI) multi_flag_dirty(c);
        return;
    }
    c->cmd = cmd;
    if (!arity_ok(cmd->arity, c->argc)) {
        command_reply_arity(c, cmd->name);
        if (c->flags & CLIENT_MULTI) multi_flag_dirty(c);
        cmd->rejected_calls++;
        return;
    }
    if (script_busy_refuses(c, cmd) || !command_check_state(c, cmd)) {
        if (c->flags & CLIENT_MULTI) multi_flag_dirty(c);
        cmd->rejected_calls++;
        return;
    }
    if (evict_rejects(c, cmd)) { /* maxmemory: evicts first, -OOM if that cannot help */
        if (c->flags & CLIENT_MULTI) multi_flag_dirty(c);
        cmd->rejected_calls++;
        return;
    }
    if ((c->flags & CLIENT_MULTI) && !(cmd->flags & CMD_NO_MULTI)) {
        multi_queue_command(c);
        return;
    }
    monitor_feed(c);
    command_call(c, cmd);
    if (c->flags & CLIENT_MASTER) return;
    client_check_obuf(c);
}
