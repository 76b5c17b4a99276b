/* cmd_generic: the command table of the sentinel's command server and the generic commands
 * (docs/sentinel-protocol.md#commands-served): PING, INFO, ROLE, AUTH, HELLO, CLIENT, (P)SUBSCRIBE,
 * (P)UNSUBSCRIBE, SHUTDOWN, COMMAND, QUIT, ACL WHOAMI|USERS (PING, QUIT, AUTH and HELLO are
 * common/conn_cmd.c). Reply shapes follow Redis Sentinel 7.0 byte for byte; the help texts are our
 * own words. SENTINEL and PUBLISH live in cmd_sentinel.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/util.h"
#include "sentinel/core/describe.h"
#include "sentinel/notify_io.h"
#include "sentinel/core/sentinel.h"
#include "sentinel/cmd_server_int.h"

static bool eq(const char *a, const char *b) { return strcasecmp(a, b) == 0; }

/* ---- PING, QUIT, AUTH, HELLO: common/conn_cmd.c, shared with the store ------------------------
 */

CMD_FROM_CONN(cmd_ping, conn_cmd_ping)
CMD_FROM_CONN(cmd_quit, conn_cmd_quit)
CMD_FROM_CONN(cmd_auth, conn_cmd_auth)
CMD_FROM_CONN(cmd_hello, conn_cmd_hello)

/* ---- ROLE, SHUTDOWN ------------------------------------------------------------------------- */

static void cmd_role(struct client *c, const struct cmd_args *a)
{
    UNUSED(a);
    struct sentinel *s = c->srv->core;
    size_t n = sentinel_master_count(s);
    reply_array(c, 2);
    reply_bulk_str(c, "sentinel");
    reply_array(c, n);
    for (size_t i = 0; i < n; i++) {
        const struct instance *m = sentinel_master_at(s, i);
        reply_bulk_str(c, m->name);
    }
}

static void cmd_shutdown(struct client *c, const struct cmd_args *a)
{
    for (int i = 1; i < a->argc; i++) {
        if (eq(a->argv[i], "abort")) {
            reply_error(c, "ERR No shutdown in progress.");
            return;
        }
        if (!eq(a->argv[i], "nosave") && !eq(a->argv[i], "save") && !eq(a->argv[i], "now") &&
            !eq(a->argv[i], "force")) {
            reply_error(c, "ERR syntax error");
            return;
        }
    }
    log_warning("SHUTDOWN requested by client %s", c->conn.addr);
    c->srv->shutdown_requested = true;
    loop_stop(c->srv->loop);
}

/* ---- pub/sub -------------------------------------------------------------------------------- */

static void sub_reply(struct client *c, const char *kind, const char *name)
{
    reply_subscription(c, kind, name, name ? strlen(name) : 0, c->n_channels + c->n_patterns);
}

static void subscribe_common(struct client *c, const struct cmd_args *a, bool pattern)
{
    for (int i = 1; i < a->argc && !(c->conn.flags & CONN_CLOSE_ASAP); i++) {
        if (client_subscribe(c, a->argv[i], pattern) < 0) {
            reply_error(c, "ERR too many subscriptions for this client");
            return;
        }
        sub_reply(c, pattern ? "psubscribe" : "subscribe", a->argv[i]);
    }
}

static void unsubscribe_common(struct client *c, const struct cmd_args *a, bool pattern)
{
    const char *kind = pattern ? "punsubscribe" : "unsubscribe";
    if (a->argc > 1) {
        for (int i = 1; i < a->argc && !(c->conn.flags & CONN_CLOSE_ASAP); i++) {
            client_unsubscribe(c, a->argv[i], pattern);
            sub_reply(c, kind, a->argv[i]);
        }
        return;
    }
    size_t *n = pattern ? &c->n_patterns : &c->n_channels;
    if (*n == 0) {
        sub_reply(c, kind, NULL);
        return;
    }
    while (*n > 0 && !(c->conn.flags & CONN_CLOSE_ASAP)) {
        char **list = pattern ? c->patterns : c->channels;
        char *name = xstrdup(list[0]);
        client_unsubscribe(c, name, pattern);
        sub_reply(c, kind, name);
        free(name);
    }
}

static void cmd_subscribe(struct client *c, const struct cmd_args *a)
{
    subscribe_common(c, a, false);
}
static void cmd_psubscribe(struct client *c, const struct cmd_args *a)
{
    subscribe_common(c, a, true);
}
static void cmd_unsubscribe(struct client *c, const struct cmd_args *a)
{
    unsubscribe_common(c, a, false);
}
static void cmd_punsubscribe(struct client *c, const struct cmd_args *a)
{
    unsubscribe_common(c, a, true);
}

/* ---- INFO ----------------------------------------------------------------------------------- */

static void info_server(const struct cmd_server *srv, struct buf *b)
{
    struct conn_server_info info = {
        .mode = "sentinel",
        .run_id = srv->run_id,
        .port = srv->port,
        .now_us = (long long)clock_wall_us(),
        .uptime_s = (long long)((clock_wall_ms() - srv->start_wall_ms) / 1000),
        .hz = 10,
        .executable = srv->executable,
        .config_file = srv->config_file,
    };
    conn_info_server(&info, b);
}

static void info_clients(const struct cmd_server *srv, struct buf *b)
{
    conn_info_clients(&srv->conns, 0, srv->maxclients, 0, 0, b);
}

static void info_stats(const struct cmd_server *srv, struct buf *b)
{
    size_t channels = 0, patterns = 0;
    for (const struct client *c = client_first(srv); c; c = client_next(c)) {
        channels += c->n_channels; /* per subscription, not per distinct channel */
        patterns += c->n_patterns;
    }
    buf_printf(b,
               "# Stats\r\ntotal_connections_received:%llu\r\ntotal_commands_processed:%llu\r\n"
               "total_net_input_bytes:%llu\r\ntotal_net_output_bytes:%llu\r\n"
               "rejected_connections:%llu\r\npubsub_channels:%zu\r\npubsub_patterns:%zu\r\n"
               "total_error_replies:%llu\r\n",
               (unsigned long long)(srv->listener.accepted + srv->tls_listener.accepted),
               srv->total_commands, (unsigned long long)srv->conns.stats.net_input_bytes,
               (unsigned long long)srv->conns.stats.net_output_bytes,
               (unsigned long long)(srv->listener.rejected + srv->tls_listener.rejected), channels,
               patterns, (unsigned long long)srv->conns.stats.error_replies);
    /* Ours, like vigil_version (the Sentinel section keeps Redis's keys): is the state file
     * being saved? A sentinel that cannot save must not be trusted with votes. */
    if (srv->core)
        buf_printf(b, "state_last_save_status:%s\r\nstate_save_failures:%llu\r\n",
                   sentinel_persist_error(srv->core) ? "err" : "ok",
                   (unsigned long long)sentinel_persist_failures(srv->core));
}

static void info_cpu(struct buf *b)
{
    struct rusage self, kids;
    getrusage(RUSAGE_SELF, &self);
    getrusage(RUSAGE_CHILDREN, &kids);
#define TV(t) ((double)(t).tv_sec + (double)(t).tv_usec / 1e6)
    buf_printf(b,
               "# CPU\r\nused_cpu_sys:%.6f\r\nused_cpu_user:%.6f\r\nused_cpu_sys_children:%.6f\r\n"
               "used_cpu_user_children:%.6f\r\n",
               TV(self.ru_stime), TV(self.ru_utime), TV(kids.ru_stime), TV(kids.ru_utime));
#undef TV
}

enum { INFO_SERVER = 1, INFO_CLIENTS = 2, INFO_STATS = 4, INFO_CPU = 8, INFO_SENTINEL = 16 };

static unsigned info_sections(const struct cmd_args *a)
{
    if (a->argc == 1) return 31;
    unsigned mask = 0;
    for (int i = 1; i < a->argc; i++) {
        const char *s = a->argv[i];
        if (eq(s, "default") || eq(s, "all") || eq(s, "everything"))
            mask |= 31;
        else if (eq(s, "server"))
            mask |= INFO_SERVER;
        else if (eq(s, "clients"))
            mask |= INFO_CLIENTS;
        else if (eq(s, "stats"))
            mask |= INFO_STATS;
        else if (eq(s, "cpu"))
            mask |= INFO_CPU;
        else if (eq(s, "sentinel"))
            mask |= INFO_SENTINEL;
    }
    return mask;
}

static void cmd_info(struct client *c, const struct cmd_args *a)
{
    const struct cmd_server *srv = c->srv;
    unsigned mask = info_sections(a);
    struct buf b;
    buf_init(&b);
    for (unsigned bit = 1; bit <= INFO_SENTINEL; bit <<= 1) {
        if (!(mask & bit)) continue;
        if (b.len) buf_append_str(&b, "\r\n");
        switch (bit) {
        case INFO_SERVER:
            info_server(srv, &b);
            break;
        case INFO_CLIENTS:
            info_clients(srv, &b);
            break;
        case INFO_STATS:
            info_stats(srv, &b);
            break;
        case INFO_CPU:
            info_cpu(&b);
            break;
        default:
            sentinel_info_section(srv->core, notify_io_running_scripts(srv->notify),
                                  notify_io_queued_scripts(srv->notify), &b);
            break;
        }
    }
    reply_bulk(c, b.data ? b.data : "", b.len);
    buf_free(&b);
}

/* ---- the table ------------------------------------------------------------------------------ */

static const struct cmd_def commands[] = {
    {"ping", -1, CMD_PUBSUB, cmd_ping},
    {"info", -1, 0, cmd_info},
    {"role", 1, 0, cmd_role},
    {"auth", -2, CMD_NOAUTH, cmd_auth},
    {"hello", -1, CMD_NOAUTH, cmd_hello},
    {"client", -2, CMD_CONTAINER, cmd_client},
    {"subscribe", -2, CMD_PUBSUB, cmd_subscribe},
    {"psubscribe", -2, CMD_PUBSUB, cmd_psubscribe},
    {"unsubscribe", -1, CMD_PUBSUB, cmd_unsubscribe},
    {"punsubscribe", -1, CMD_PUBSUB, cmd_punsubscribe},
    {"publish", 3, 0, cmd_publish},
    {"sentinel", -2, CMD_CONTAINER, cmd_sentinel},
    {"shutdown", -1, 0, cmd_shutdown},
    {"command", -1, CMD_CONTAINER, cmd_command},
    {"acl", -2, CMD_CONTAINER, cmd_acl},
    {"quit", -1, CMD_NOAUTH | CMD_PUBSUB, cmd_quit},
};

const struct cmd_def *cmd_table_lookup(const char *name)
{
    for (size_t i = 0; i < ARRAY_LEN(commands); i++)
        if (eq(commands[i].name, name)) return &commands[i];
    return NULL;
}

size_t cmd_table_count(void) { return ARRAY_LEN(commands); }

const struct cmd_def *cmd_table_at(size_t i)
{
    ASSERT(i < ARRAY_LEN(commands));
    return &commands[i];
}
