/* cmd_aof: the append-only file's commands (docs/persistence.md#the-append-only-file):
 * BGREWRITEAOF, and WAITAOF (Redis 7.2's command, docs/persistence.md#waitaof): how many nodes
 * have fsynced this client's writes to their AOF, the local one and the replicas (from the FACK
 * offsets of their REPLCONF ACKs). Blocks like WAIT until enough have, or the timeout. The work
 * is in store/persist/aof*.c. */
#include "common/util.h"
#include "store/client.h"
#include "store/command.h"
#include "store/persist/aof.h"
#include "store/repl/repl_int.h"
#include "store/reply.h"
#include "store/server.h"

static void cmd_bgrewriteaof(struct client *c) { aof_bgrewrite_command(c); }

/* ---- WAITAOF ---- */

static long long waitaof_local(struct client *c)
{
    return aof_is_fsynced_to(c->srv, c->aof_woff) ? 1 : 0;
}

static long long waitaof_replicas(struct client *c)
{
    return (long long)repl_count_facked(c->srv->repl, c->woff);
}

static void waitaof_reply(struct client *c)
{
    reply_array(c, 2);
    reply_integer(c, waitaof_local(c));
    reply_integer(c, waitaof_replicas(c));
}

static int waitaof_parse_count(struct client *c, const struct resp_arg *arg, long long *out)
{
    if (util_parse_ll(arg->ptr, arg->len, out) != 0) {
        reply_error(c, "ERR value is not an integer or out of range");
        return -1;
    }
    if (*out < 0) {
        reply_error(c, "ERR value is out of range, must be positive");
        return -1;
    }
    return 0;
}

static int waitaof_parse(struct client *c, long long *numlocal, long long *numreplicas,
                         long long *timeout_ms)
{
    if (waitaof_parse_count(c, &c->argv[1], numlocal) != 0 ||
        waitaof_parse_count(c, &c->argv[2], numreplicas) != 0)
        return -1;
    return repl_wait_parse_timeout(c, &c->argv[3], timeout_ms);
}

static void cmd_waitaof(struct client *c)
{
    struct server *srv = c->srv;
    if (srv->repl->link) {
        reply_error(c, "ERR WAITAOF cannot be used with replica instances. Please also note "
                       "that writes to replicas are just local and are not propagated.");
        return;
    }
    long long numlocal, numreplicas, timeout_ms;
    if (waitaof_parse(c, &numlocal, &numreplicas, &timeout_ms) != 0) return;
    if (numlocal > 0 && !srv->cfg.appendonly) {
        reply_error(c, "ERR WAITAOF cannot be used when numlocal is set but appendonly is "
                       "disabled.");
        return;
    }
    bool is_satisfied = waitaof_local(c) >= numlocal && waitaof_replicas(c) >= numreplicas;
    repl_wait_or_block(c, is_satisfied, timeout_ms, numreplicas > 0, waitaof_reply);
}

struct command cmd_table_aof[] = {
    {.name = "bgrewriteaof",
     .arity = 1,
     .flags = CMD_ADMIN | CMD_NOSCRIPT,
     .fn = cmd_bgrewriteaof,
     .group = "server",
     .summary = "Asynchronously rewrite the append-only file"},
    {.name = "waitaof",
     .arity = 4,
     .flags = CMD_NOSCRIPT,
     .fn = cmd_waitaof,
     .group = "generic",
     .summary = "Wait until this client's writes are fsynced to the AOF of the local node and of "
                "replicas"},
    {.name = NULL},
};
