/* cmd_dump: DUMP, RESTORE and RESTORE-ASKING, with Redis 7.0's payload (rdb_value.h), replies,
 * errors and the order in which errors are detected: options, busy key, TTL, payload footer,
 * payload body.
 *
 * Propagation (docs/replication.md#what-a-command-puts-into-the-stream): a relative TTL goes
 * out as an absolute one with ABSTTL appended, so a replica or the AOF sets the same deadline;
 * a RESTORE whose deadline already passed stores nothing and propagates only the DEL of the key
 * REPLACE removed (or nothing). Keyspace event: "restore" (generic class), or "del" for that
 * removal. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "store/client.h"
#include "store/command.h"
#include "store/db.h"
#include "store/notify.h"
#include "store/persist/rdb_value.h"
#include "store/propagate.h"
#include "store/reply.h"

#define ERR_BUSYKEY "BUSYKEY Target key name already exists."
#define ERR_BAD_TTL "ERR Invalid TTL value, must be >= 0"
#define ERR_BAD_PAYLOAD "ERR DUMP payload version or checksum are wrong"
#define ERR_BAD_DATA "ERR Bad data format"
#define ERR_BAD_IDLE "ERR Invalid IDLETIME value, must be >= 0"
#define ERR_BAD_FREQ "ERR Invalid FREQ value, must be >= 0 and <= 255"

static void cmd_dump(struct client *c)
{
    struct ks_entry *e = db_lookup_read(c, &c->argv[1]);
    if (!e) {
        reply_null(c);
        return;
    }
    struct buf payload;
    buf_init(&payload);
    rdb_value_dump(c->srv, e, &payload);
    reply_bulk(c, payload.data, payload.len);
    buf_free(&payload);
}

struct restore_opts {
    bool replace, absttl;
    long long idle_s, freq; /* -1: not given */
};

/* REPLACE, ABSTTL, IDLETIME s, FREQ f; IDLETIME and FREQ exclude each other (the second is a
 * syntax error, as Redis). */
static int restore_parse(struct client *c, struct restore_opts *o)
{
    *o = (struct restore_opts){.idle_s = -1, .freq = -1};
    for (size_t j = 4; j < c->argc; j++) {
        bool has_arg = j + 1 < c->argc;
        if (db_opt_is(&c->argv[j], "replace")) {
            o->replace = true;
        } else if (db_opt_is(&c->argv[j], "absttl")) {
            o->absttl = true;
        } else if (db_opt_is(&c->argv[j], "idletime") && has_arg && o->freq == -1) {
            if (arg_ll(c, &c->argv[++j], &o->idle_s) != 0) return -1;
            if (o->idle_s < 0) {
                reply_error(c, ERR_BAD_IDLE);
                return -1;
            }
        } else if (db_opt_is(&c->argv[j], "freq") && has_arg && o->idle_s == -1) {
            if (arg_ll(c, &c->argv[++j], &o->freq) != 0) return -1;
            if (o->freq < 0 || o->freq > 255) {
                reply_error(c, ERR_BAD_FREQ);
                return -1;
            }
        } else {
            reply_error(c, ERR_SYNTAX);
            return -1;
        }
    }
    return 0;
}

/* The deadline passed: REPLACE's deletion is all that happens. */
static void restore_expired(struct client *c, bool deleted)
{
    const struct resp_arg *key = &c->argv[1];
    if (deleted) {
        struct resp_arg argv[2] = {{"DEL", 3}, *key};
        propagate_as(c, 2, argv);
        db_key_modified(c, key);
        notify_keyspace_event(c->srv, NOTIFY_GENERIC, "del", key->ptr, key->len, c->db);
        c->srv->dirty++;
    }
    reply_ok(c);
}

/* RESTORE key <absolute ms> payload [the other options] ABSTTL. */
static void restore_propagate_abs(struct client *c, int64_t when_ms)
{
    size_t argc = c->argc + 1;
    struct resp_arg *argv = xmalloc(argc * sizeof *argv);
    char ms[32];
    memcpy(argv, c->argv, c->argc * sizeof *argv);
    argv[2] = (struct resp_arg){ms, util_ll_to_str(ms, sizeof ms, when_ms)};
    argv[c->argc] = (struct resp_arg){"ABSTTL", 6};
    propagate_as(c, argc, argv);
    free(argv);
}

static void cmd_restore(struct client *c)
{
    const struct resp_arg *key = &c->argv[1], *payload = &c->argv[3];
    struct restore_opts o;
    long long ttl;
    if (restore_parse(c, &o) != 0) return;
    struct ks_entry *old = db_lookup_write(c, key);
    if (old && !o.replace) {
        reply_error(c, ERR_BUSYKEY);
        return;
    }
    if (arg_ll(c, &c->argv[2], &ttl) != 0) return;
    if (ttl < 0) {
        reply_error(c, ERR_BAD_TTL);
        return;
    }
    if (!rdb_value_check(payload->ptr, payload->len)) {
        reply_error(c, ERR_BAD_PAYLOAD);
        return;
    }
    struct rdb_value v;
    if (rdb_value_restore(c->srv, payload->ptr, payload->len, &v) != 0) {
        reply_error(c, ERR_BAD_DATA);
        return;
    }
    struct ks *ks = db_ks(c);
    bool deleted = old != NULL;
    if (old) ks_delete_entry(ks, old);
    int64_t now = server_now_ms(c->srv);
    if (ttl && !o.absttl) ttl = ttl > INT64_MAX - now ? INT64_MAX : ttl + now;
    if (ttl && ttl <= now && !c->srv->is_loading && !server_is_replica(c->srv)) {
        rdb_value_free(&v);
        restore_expired(c, deleted);
        return;
    }
    struct ks_entry *e = rdb_value_add(ks, key->ptr, key->len, &v);
    if (ttl) {
        e = ks_entry_set_expire(ks, e, ttl);
        if (!o.absttl) restore_propagate_abs(c, ttl);
    }
    ks_entry_set_access_hint(ks, e, o.idle_s, o.freq);
    db_key_modified(c, key);
    notify_keyspace_event(c->srv, NOTIFY_GENERIC, "restore", key->ptr, key->len, c->db);
    c->srv->dirty++;
    reply_ok(c);
}

#define DUMP_CMD(n, a, f, fn_)                                                                     \
    {                                                                                              \
        .name = n, .arity = a, .flags = f, .fn = fn_, .first_key = 1, .last_key = 1,               \
        .key_step = 1, .group = "generic"                                                          \
    }

struct command cmd_table_dump[] = {
    DUMP_CMD("dump", 2, CMD_READONLY, cmd_dump),
    DUMP_CMD("restore", -4, CMD_WRITE | CMD_DENYOOM, cmd_restore),
    /* Cluster's form (sent to a node importing a slot); the same without a cluster. */
    DUMP_CMD("restore-asking", -4, CMD_WRITE | CMD_DENYOOM, cmd_restore),
    {.name = NULL},
};
