/* multi: see multi.h. The watch table maps (db, key) to the list of clients watching it; each
 * client also keeps its own list of watches so UNWATCH and disconnects cost O(own watches). */
#include "store/acl.h"
#include "store/multi.h"

#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "store/client.h"
#include "store/command.h"
#include "store/propagate.h"
#include "store/reply.h"

#define MULTI_MAX_QUEUED 1000000 /* bound on one transaction's queue */

/* One client watching one key: linked into the key's list and into the client's list. */
struct watched_key {
    struct watch_entry *entry;
    struct client *client;
    struct watched_key *next_in_key, *prev_in_key;
    struct watched_key *next_of_client;
};

struct watch_entry {
    struct dict_entry de;
    int db;
    size_t klen;
    struct watched_key *watchers;
    char key[]; /* db as 4 bytes then the key, so one dict serves all dbs */
};

struct watch_table {
    struct dict d;
};

static const char *watch_key_of(const struct dict_entry *e, size_t *len)
{
    const struct watch_entry *w = (const struct watch_entry *)e;
    *len = w->klen + sizeof(int);
    return w->key;
}

struct watch_table *watch_table_create(void)
{
    struct watch_table *t = xcalloc(1, sizeof *t);
    dict_init(&t->d, watch_key_of);
    return t;
}

static void free_watch_entry(struct dict_entry *e, void *ctx)
{
    UNUSED(ctx);
    free(e);
}

void watch_table_destroy(struct watch_table *t)
{
    if (!t) return;
    dict_clear(&t->d, free_watch_entry, NULL);
    free(t);
}

static size_t watch_lookup_key(char *out, size_t cap, int db, const char *key, size_t klen)
{
    ASSERT(cap >= sizeof db + klen);
    memcpy(out, &db, sizeof db);
    memcpy(out + sizeof db, key, klen);
    return sizeof db + klen;
}

static struct watch_entry *watch_find(struct watch_table *t, int db, const char *key, size_t klen)
{
    char stack[256];
    char *lk = klen + sizeof db <= sizeof stack ? stack : xmalloc(klen + sizeof db);
    size_t n = watch_lookup_key(lk, klen + sizeof db, db, key, klen);
    struct dict_entry *e = dict_find(&t->d, lk, n);
    if (lk != stack) free(lk);
    return (struct watch_entry *)e;
}

static void watch_add(struct client *c, int db, const char *key, size_t klen)
{
    struct watch_table *t = c->srv->watches;
    for (struct watched_key *w = c->watched; w; w = w->next_of_client)
        if (w->entry->db == db && w->entry->klen == klen &&
            memcmp(w->entry->key + sizeof(int), key, klen) == 0)
            return; /* already watching */
    struct watch_entry *e = watch_find(t, db, key, klen);
    if (!e) {
        e = xcalloc(1, sizeof *e + sizeof(int) + klen);
        e->db = db;
        e->klen = klen;
        watch_lookup_key(e->key, sizeof(int) + klen, db, key, klen);
        dict_add(&t->d, &e->de);
    }
    struct watched_key *w = xcalloc(1, sizeof *w);
    w->entry = e;
    w->client = c;
    w->next_in_key = e->watchers;
    if (e->watchers) e->watchers->prev_in_key = w;
    e->watchers = w;
    w->next_of_client = c->watched;
    c->watched = w;
}

void multi_unwatch_all(struct client *c)
{
    struct watch_table *t = c->srv->watches;
    struct watched_key *w = c->watched;
    while (w) {
        struct watched_key *next = w->next_of_client;
        struct watch_entry *e = w->entry;
        if (w->prev_in_key)
            w->prev_in_key->next_in_key = w->next_in_key;
        else
            e->watchers = w->next_in_key;
        if (w->next_in_key) w->next_in_key->prev_in_key = w->prev_in_key;
        if (!e->watchers) {
            dict_unlink_entry(&t->d, &e->de);
            free(e);
        }
        free(w);
        w = next;
    }
    c->watched = NULL;
    c->flags &= ~CLIENT_DIRTY_CAS;
}

void multi_touch_key(struct server *srv, int db, const char *key, size_t klen)
{
    if (dict_count(&srv->watches->d) == 0) return;
    struct watch_entry *e = watch_find(srv->watches, db, key, klen);
    if (!e) return;
    for (struct watched_key *w = e->watchers; w; w = w->next_in_key)
        w->client->flags |= CLIENT_DIRTY_CAS;
}

void multi_touch_db(struct server *srv, int db)
{
    for (struct client *c = client_first(srv); c; c = client_next(c))
        for (struct watched_key *w = c->watched; w; w = w->next_of_client)
            if (db < 0 || w->entry->db == db) c->flags |= CLIENT_DIRTY_CAS;
}

void multi_flag_dirty(struct client *c)
{
    if (c->flags & CLIENT_MULTI) c->flags |= CLIENT_DIRTY_EXEC;
}

static void free_queued(struct queued_cmd *q)
{
    free(q->argv);
    q->argv = NULL;
}

void multi_discard(struct client *c)
{
    for (size_t i = 0; i < c->mcount; i++) free_queued(&c->mstate[i]);
    free(c->mstate);
    c->mstate = NULL;
    c->mcount = c->mcap = 0;
    c->mbytes = 0;
    c->flags &= ~(CLIENT_MULTI | CLIENT_DIRTY_EXEC | CLIENT_DIRTY_CAS);
}

void multi_queue_command(struct client *c)
{
    if (c->mcount >= MULTI_MAX_QUEUED) {
        reply_error(c, "ERR too many commands queued in this transaction");
        multi_flag_dirty(c);
        return;
    }
    if (c->mcount == c->mcap) {
        c->mcap = c->mcap ? c->mcap * 2 : 8;
        c->mstate = xrealloc(c->mstate, c->mcap * sizeof *c->mstate);
    }
    /* One allocation: the argv array followed by the argument bytes. */
    size_t bytes = c->argc * sizeof(struct resp_arg);
    for (size_t i = 0; i < c->argc; i++) bytes += c->argv[i].len + 1;
    struct resp_arg *argv = xmalloc(bytes);
    char *p = (char *)(argv + c->argc);
    for (size_t i = 0; i < c->argc; i++) {
        memcpy(p, c->argv[i].ptr, c->argv[i].len);
        p[c->argv[i].len] = '\0';
        argv[i].ptr = p;
        argv[i].len = c->argv[i].len;
        p += c->argv[i].len + 1;
    }
    struct queued_cmd *q = &c->mstate[c->mcount++];
    q->cmd = c->cmd;
    q->argc = c->argc;
    q->argv = argv;
    c->mbytes += bytes;
    reply_raw(c, "+QUEUED\r\n", 9);
}

/* ---- commands ---- */

static void cmd_multi(struct client *c)
{
    if (c->flags & CLIENT_MULTI) {
        reply_error(c, "ERR MULTI calls can not be nested");
        return;
    }
    c->flags |= CLIENT_MULTI;
    reply_ok(c);
}

static void cmd_discard(struct client *c)
{
    if (!(c->flags & CLIENT_MULTI)) {
        reply_error(c, "ERR DISCARD without MULTI");
        return;
    }
    multi_discard(c);
    multi_unwatch_all(c);
    reply_ok(c);
}

static void cmd_exec(struct client *c)
{
    if (!(c->flags & CLIENT_MULTI)) {
        reply_error(c, "ERR EXEC without MULTI");
        return;
    }
    if (c->flags & CLIENT_DIRTY_EXEC) {
        reply_error(c, "EXECABORT Transaction discarded because of previous errors.");
        multi_discard(c);
        multi_unwatch_all(c);
        return;
    }
    if (c->flags & CLIENT_DIRTY_CAS) {
        reply_null_array(c);
        multi_discard(c);
        multi_unwatch_all(c);
        return;
    }
    multi_unwatch_all(c); /* watches are released before running, as Redis does */
    struct queued_cmd *queue = c->mstate;
    size_t n = c->mcount;
    c->mstate = NULL;
    c->mcount = c->mcap = 0;
    c->mbytes = 0;
    c->flags &= ~CLIENT_MULTI;
    size_t saved_argc = c->argc;
    struct resp_arg *saved_argv = c->argv;
    struct command *exec_cmd = c->cmd;
    /* The queued commands run as calls nested in EXEC's: EXEC itself is not propagated, what
     * they propagate is collected and reaches replicas as one MULTI ... EXEC block. */
    propagate_none(c);
    reply_array(c, n);
    for (size_t i = 0; i < n; i++) {
        c->argc = queue[i].argc;
        c->argv = queue[i].argv;
        if (store_acl_exec_check(c, queue[i].cmd) != 0) continue; /* rules changed since */
        command_call(c, queue[i].cmd);
    }
    c->argc = saved_argc;
    c->argv = saved_argv;
    c->cmd = exec_cmd;
    propagate_wrap(c);
    for (size_t i = 0; i < n; i++) free_queued(&queue[i]);
    free(queue);
}

static void cmd_watch(struct client *c)
{
    if (c->flags & CLIENT_MULTI) {
        reply_error(c, "ERR WATCH inside MULTI is not allowed");
        return;
    }
    for (size_t i = 1; i < c->argc; i++) watch_add(c, c->db, c->argv[i].ptr, c->argv[i].len);
    reply_ok(c);
}

static void cmd_unwatch(struct client *c)
{
    multi_unwatch_all(c);
    reply_ok(c);
}

struct command cmd_table_multi[] = {
    {.name = "multi",
     .arity = 1,
     .flags = CMD_LOADING | CMD_STALE | CMD_FAST | CMD_NO_MULTI | CMD_NOSCRIPT,
     .fn = cmd_multi,
     .group = "transactions"},
    {.name = "exec",
     .arity = 1,
     .flags = CMD_LOADING | CMD_STALE | CMD_NO_MULTI | CMD_NOSCRIPT | CMD_SKIP_MONITOR,
     .fn = cmd_exec,
     .group = "transactions"},
    {.name = "discard",
     .arity = 1,
     .flags = CMD_LOADING | CMD_STALE | CMD_FAST | CMD_NO_MULTI | CMD_NOSCRIPT,
     .fn = cmd_discard,
     .group = "transactions"},
    {.name = "watch",
     .arity = -2,
     .flags = CMD_LOADING | CMD_STALE | CMD_FAST | CMD_NO_MULTI | CMD_NOSCRIPT,
     .fn = cmd_watch,
     .first_key = 1,
     .last_key = -1,
     .key_step = 1,
     .group = "transactions"},
    {.name = "unwatch",
     .arity = 1,
     .flags = CMD_LOADING | CMD_STALE | CMD_FAST | CMD_NOSCRIPT,
     .fn = cmd_unwatch,
     .group = "transactions"},
    {.name = NULL},
};
