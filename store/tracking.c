/* tracking: the table of tracked keys, the BCAST prefixes and the invalidation messages; see
 * tracking.h. The CLIENT subcommands that turn it on and report it are tracking_cmd.c.
 *
 * Bounds: the table by tracking-table-max-keys (tracking_before_sleep); the keys noted for BCAST
 * and the pending self-invalidations live for one loop iteration / one command and are as many
 * as that iteration / command wrote, as in Redis. */
#include "store/tracking.h"

#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/reply.h"
#include "common/util.h"
#include "store/client.h"
#include "store/command.h"
#include "store/data/dict.h"
#include "store/server.h"

/* Keys dropped per before-sleep while the table is over its limit (bounds the pause). */
#define TRACKING_EVICT_PER_CALL 1000

struct tracked_key {
    struct dict_entry link; /* first: dict.h's intrusive entry */
    uint64_t *ids;          /* clients that read the key, each once */
    uint32_t n, cap;
    size_t klen;
    char key[];
};

/* A key a BCAST prefix saw change in this iteration, and the client whose command changed it
 * (0: none, as for expiry), so NOLOOP clients can be spared their own writes. */
struct bcast_key {
    char *key;
    size_t klen;
    uint64_t by_id;
};

struct bcast_prefix {
    char *prefix;
    size_t len;
    uint64_t *ids; /* subscribed clients */
    size_t n, cap;
    struct bcast_key *keys;
    size_t nkeys, kcap;
};

/* An invalidation for the client running the current command, written after its reply. */
struct pending_msg {
    char *key; /* NULL: a flush (null instead of keys) */
    size_t klen;
};

struct tracking {
    struct dict table;
    size_t total_items;
    struct bcast_prefix *prefixes; /* sorted by bytes: messages go out in this order */
    size_t nprefixes, pcap;
    struct client **clients; /* every client with tracking on, sorted by id */
    size_t nclients, ccap;
    struct client *current; /* the client of the outermost command running, or NULL */
    struct pending_msg *pending;
    size_t npending, pendcap;
};

static const char *tracked_key_of(const struct dict_entry *e, size_t *len)
{
    const struct tracked_key *tk = (const struct tracked_key *)e;
    *len = tk->klen;
    return tk->key;
}

struct tracking *tracking_create(void)
{
    struct tracking *t = xcalloc(1, sizeof *t);
    dict_init(&t->table, tracked_key_of);
    return t;
}

static void tracked_key_free(struct dict_entry *e, void *ctx)
{
    UNUSED(ctx);
    struct tracked_key *tk = (struct tracked_key *)e;
    free(tk->ids);
    free(tk);
}

static void prefix_clear_keys(struct bcast_prefix *p)
{
    for (size_t i = 0; i < p->nkeys; i++) free(p->keys[i].key);
    p->nkeys = 0;
}

static void pending_clear(struct tracking *t)
{
    for (size_t i = 0; i < t->npending; i++) free(t->pending[i].key);
    t->npending = 0;
}

void tracking_destroy(struct tracking *t)
{
    if (!t) return;
    dict_clear(&t->table, tracked_key_free, NULL);
    for (size_t i = 0; i < t->nprefixes; i++) {
        prefix_clear_keys(&t->prefixes[i]);
        free(t->prefixes[i].keys);
        free(t->prefixes[i].ids);
        free(t->prefixes[i].prefix);
    }
    free(t->prefixes);
    free(t->clients);
    pending_clear(t);
    free(t->pending);
    free(t);
}

/* ---- the clients with tracking on, by id ---- */

static size_t client_slot(const struct tracking *t, uint64_t id)
{
    size_t lo = 0, hi = t->nclients;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (t->clients[mid]->conn.id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static struct client *tracking_client_by_id(const struct tracking *t, uint64_t id)
{
    size_t i = client_slot(t, id);
    return i < t->nclients && t->clients[i]->conn.id == id ? t->clients[i] : NULL;
}

static void clients_add(struct tracking *t, struct client *c)
{
    size_t i = client_slot(t, c->conn.id);
    if (i < t->nclients && t->clients[i] == c) return;
    if (t->nclients == t->ccap) {
        t->ccap = t->ccap ? t->ccap * 2 : 8;
        t->clients = xrealloc(t->clients, t->ccap * sizeof *t->clients);
    }
    memmove(t->clients + i + 1, t->clients + i, (t->nclients - i) * sizeof *t->clients);
    t->clients[i] = c;
    t->nclients++;
}

static void clients_remove(struct tracking *t, struct client *c)
{
    size_t i = client_slot(t, c->conn.id);
    if (i == t->nclients || t->clients[i] != c) return;
    memmove(t->clients + i, t->clients + i + 1, (t->nclients - i - 1) * sizeof *t->clients);
    t->nclients--;
}

/* Any client by id (a REDIRECT target need not track): a walk over the clients, done only
 * when a message is due to a redirecting client. */
static struct client *client_by_id(struct server *srv, uint64_t id)
{
    for (struct client *c = client_first(srv); c; c = client_next(c))
        if (c->conn.id == id && !(c->conn.flags & CONN_CLOSE_ASAP)) return c;
    return NULL;
}

/* ---- sending ---- */

/* Send tc an invalidation whose payload (RESP: an array of keys, or a null) is given, to the
 * REDIRECT client when it has one. */
static void tracking_send(struct server *srv, struct client *tc, const char *payload, size_t len)
{
    struct client *to = tc;
    bool is_redirected = false;
    if (tc->tracking->redirect_id) {
        to = client_by_id(srv, tc->tracking->redirect_id);
        if (!to) {
            if (tc->tracking->flags & TRACKING_BROKEN_REDIR) return;
            tc->tracking->flags |= TRACKING_BROKEN_REDIR;
            if (tc->conn.proto >= 3) {
                reply_push(tc, 2);
                reply_bulk_str(tc, "tracking-redir-broken");
                reply_integer(tc, (long long)tc->tracking->redirect_id);
            }
            return;
        }
        is_redirected = true;
    }
    if (to->conn.proto >= 3) {
        reply_push(to, 2);
        reply_bulk_str(to, "invalidate");
    } else if (is_redirected && (to->conn.flags & CONN_PUBSUB)) {
        static const char head[] = "*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n";
        reply_raw(to, head, sizeof head - 1);
    } else {
        return; /* a RESP2 client without a subscribed redirect gets nothing, as Redis */
    }
    reply_raw(to, payload, len);
}

static void payload_add_key(struct buf *b, const char *key, size_t klen)
{
    buf_printf(b, "$%zu\r\n", klen);
    buf_append(b, key, klen);
    buf_append_str(b, "\r\n");
}

static void tracking_send_key(struct server *srv, struct client *tc, const char *key, size_t klen)
{
    struct buf b;
    buf_init(&b);
    buf_append_str(&b, "*1\r\n");
    payload_add_key(&b, key, klen);
    tracking_send(srv, tc, b.data, b.len);
    buf_free(&b);
}

/* The null of the tracking client's own protocol, also when the message goes to a redirect
 * client of the other protocol (Redis's bytes). */
static void tracking_send_null(struct server *srv, struct client *tc)
{
    if (tc->conn.proto >= 3)
        tracking_send(srv, tc, "_\r\n", 3);
    else
        tracking_send(srv, tc, "$-1\r\n", 5);
}

static void pending_add(struct tracking *t, const char *key, size_t klen)
{
    if (t->npending == t->pendcap) {
        t->pendcap = t->pendcap ? t->pendcap * 2 : 8;
        t->pending = xrealloc(t->pending, t->pendcap * sizeof *t->pending);
    }
    t->pending[t->npending++] = (struct pending_msg){key ? xmemdup(key, klen) : NULL, klen};
}

static void pending_send(struct server *srv)
{
    struct tracking *t = srv->tracking;
    struct client *c = t->current;
    for (size_t i = 0; c && c->tracking && i < t->npending; i++) {
        if (t->pending[i].key)
            tracking_send_key(srv, c, t->pending[i].key, t->pending[i].klen);
        else
            tracking_send_null(srv, c);
    }
    pending_clear(t);
}

/* ---- invalidation ---- */

static void bcast_note(struct tracking *t, const char *key, size_t klen)
{
    uint64_t by = t->current ? t->current->conn.id : 0;
    for (size_t i = 0; i < t->nprefixes; i++) {
        struct bcast_prefix *p = &t->prefixes[i];
        if (p->len > klen || memcmp(p->prefix, key, p->len) != 0) continue;
        if (p->nkeys == p->kcap) {
            p->kcap = p->kcap ? p->kcap * 2 : 8;
            p->keys = xrealloc(p->keys, p->kcap * sizeof *p->keys);
        }
        p->keys[p->nkeys++] = (struct bcast_key){xmemdup(key, klen), klen, by};
    }
}

/* Tell the clients remembered for tk (not BCAST ones, nor a NOLOOP client its own write), then
 * forget the key. */
static void tracked_key_invalidate(struct server *srv, struct tracked_key *tk)
{
    struct tracking *t = srv->tracking;
    for (uint32_t i = 0; i < tk->n; i++) {
        struct client *tc = tracking_client_by_id(t, tk->ids[i]);
        if (!tc || (tc->tracking->flags & TRACKING_BCAST)) continue;
        if (tc == t->current) {
            if (!(tc->tracking->flags & TRACKING_NOLOOP)) pending_add(t, tk->key, tk->klen);
            continue;
        }
        tracking_send_key(srv, tc, tk->key, tk->klen);
    }
    t->total_items -= tk->n;
    tracked_key_free(&tk->link, NULL);
}

void tracking_key_modified(struct server *srv, const char *key, size_t klen)
{
    struct tracking *t = srv->tracking;
    if (!t) return;
    if (t->nprefixes) bcast_note(t, key, klen);
    if (dict_count(&t->table) == 0) return;
    struct tracked_key *tk = (struct tracked_key *)dict_unlink(&t->table, key, klen);
    if (tk) tracked_key_invalidate(srv, tk);
}

void tracking_flush(struct server *srv)
{
    struct tracking *t = srv->tracking;
    if (!t) return;
    for (size_t i = 0; i < t->nclients; i++) {
        struct client *tc = t->clients[i];
        if (tc == t->current)
            pending_add(t, NULL, 0);
        else
            tracking_send_null(srv, tc);
    }
    dict_clear(&t->table, tracked_key_free, NULL);
    t->total_items = 0;
}

/* ---- remembering reads ---- */

static void table_remember(struct tracking *t, const char *key, size_t klen, uint64_t id)
{
    struct tracked_key *tk = (struct tracked_key *)dict_find(&t->table, key, klen);
    if (!tk) {
        tk = xcalloc(1, sizeof *tk + klen);
        tk->klen = klen;
        memcpy(tk->key, key, klen);
        dict_add(&t->table, &tk->link);
    }
    for (uint32_t i = 0; i < tk->n; i++)
        if (tk->ids[i] == id) return;
    if (tk->n == tk->cap) {
        tk->cap = tk->cap ? tk->cap * 2 : 2;
        tk->ids = xrealloc(tk->ids, tk->cap * sizeof *tk->ids);
    }
    tk->ids[tk->n++] = id;
    t->total_items++;
}

/* Commands whose keys follow a numkeys argument (their table entries declare none). */
static bool numkeys_position(const struct command *cmd, size_t *at)
{
    static const char *const at2[] = {"eval",       "evalsha", "eval_ro",
                                      "evalsha_ro", "fcall",   "fcall_ro"};
    static const char *const at1[] = {"zunion", "zinter", "zdiff", "sintercard", "zintercard"};
    for (size_t i = 0; i < ARRAY_LEN(at2); i++)
        if (strcmp(cmd->name, at2[i]) == 0) return (*at = 2), true;
    for (size_t i = 0; i < ARRAY_LEN(at1); i++)
        if (strcmp(cmd->name, at1[i]) == 0) return (*at = 1), true;
    return false;
}

/* Remember c's keys (the key arguments of the command c issued) for c. */
static void remember_keys(struct tracking *t, struct client *c)
{
    const struct command *cmd = c->cmd;
    size_t at;
    if (!cmd) return;
    if (numkeys_position(cmd, &at)) {
        long long n;
        if (at >= c->argc || util_parse_ll(c->argv[at].ptr, c->argv[at].len, &n) != 0 || n < 0)
            return;
        for (size_t k = at + 1; k < c->argc && k <= at + (size_t)n; k++)
            table_remember(t, c->argv[k].ptr, c->argv[k].len, c->conn.id);
        return;
    }
    if (cmd->first_key <= 0) return;
    long last = cmd->last_key < 0 ? (long)c->argc + cmd->last_key : cmd->last_key;
    long step = cmd->key_step > 0 ? cmd->key_step : 1;
    for (long k = cmd->first_key; k <= last && k < (long)c->argc; k += step)
        table_remember(t, c->argv[k].ptr, c->argv[k].len, c->conn.id);
}

void tracking_call_begin(struct client *c)
{
    struct tracking *t = c->srv->tracking;
    if (t && c->srv->call_depth == 0) t->current = c;
}

/* The scripts' own commands remember what the script declared; EVAL_RO and friends remember
 * nothing themselves (Redis leaves it to the commands they run). */
static bool is_ro_script(const struct command *cmd)
{
    return strcmp(cmd->name, "eval_ro") == 0 || strcmp(cmd->name, "evalsha_ro") == 0 ||
           strcmp(cmd->name, "fcall_ro") == 0;
}

void tracking_call_end(struct client *c, const struct command *cmd)
{
    struct server *srv = c->srv;
    struct tracking *t = srv->tracking;
    if (!t) return;
    struct client *caller = t->current ? t->current : c;
    struct tracking_client *tc = caller->tracking;
    if ((cmd->flags & CMD_READONLY) && tc && !(tc->flags & TRACKING_BCAST) && !is_ro_script(cmd)) {
        bool is_caching = (tc->flags & TRACKING_CACHING) != 0;
        bool is_optin = (tc->flags & TRACKING_OPTIN) != 0;
        bool is_optout = (tc->flags & TRACKING_OPTOUT) != 0;
        if (!((is_optin && !is_caching) || (is_optout && is_caching))) remember_keys(t, caller);
    }
    if (srv->call_depth > 0 || t->current != c) return;
    pending_send(srv);
    t->current = NULL;
}

void tracking_command_done(struct client *c)
{
    if (!c->tracking || (c->flags & CLIENT_MULTI)) return;
    if (c->cmd && strcmp(c->cmd->name, "client") == 0) return;
    c->tracking->flags &= ~TRACKING_CACHING;
}

/* ---- BCAST prefixes ---- */

static int prefix_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
    int r = memcmp(a, b, MIN(alen, blen));
    return r ? r : (alen > blen) - (alen < blen);
}

/* The prefix's index, or where it would go (*found false). */
static size_t prefix_slot(const struct tracking *t, const char *p, size_t len, bool *found)
{
    size_t lo = 0, hi = t->nprefixes;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (prefix_cmp(t->prefixes[mid].prefix, t->prefixes[mid].len, p, len) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found =
        lo < t->nprefixes && prefix_cmp(t->prefixes[lo].prefix, t->prefixes[lo].len, p, len) == 0;
    return lo;
}

static void prefix_subscribe(struct tracking *t, const char *p, size_t len, uint64_t id)
{
    bool found;
    size_t i = prefix_slot(t, p, len, &found);
    if (!found) {
        if (t->nprefixes == t->pcap) {
            t->pcap = t->pcap ? t->pcap * 2 : 4;
            t->prefixes = xrealloc(t->prefixes, t->pcap * sizeof *t->prefixes);
        }
        memmove(t->prefixes + i + 1, t->prefixes + i, (t->nprefixes - i) * sizeof *t->prefixes);
        t->prefixes[i] = (struct bcast_prefix){.prefix = xmemdup(p, len), .len = len};
        t->nprefixes++;
    }
    struct bcast_prefix *bp = &t->prefixes[i];
    for (size_t k = 0; k < bp->n; k++)
        if (bp->ids[k] == id) return;
    if (bp->n == bp->cap) {
        bp->cap = bp->cap ? bp->cap * 2 : 4;
        bp->ids = xrealloc(bp->ids, bp->cap * sizeof *bp->ids);
    }
    bp->ids[bp->n++] = id;
}

static void prefix_unsubscribe(struct tracking *t, const char *p, size_t len, uint64_t id)
{
    bool found;
    size_t i = prefix_slot(t, p, len, &found);
    if (!found) return;
    struct bcast_prefix *bp = &t->prefixes[i];
    for (size_t k = 0; k < bp->n; k++) {
        if (bp->ids[k] != id) continue;
        bp->ids[k] = bp->ids[--bp->n];
        break;
    }
    if (bp->n) return;
    prefix_clear_keys(bp);
    free(bp->keys);
    free(bp->ids);
    free(bp->prefix);
    memmove(t->prefixes + i, t->prefixes + i + 1, (t->nprefixes - i - 1) * sizeof *t->prefixes);
    t->nprefixes--;
}

/* Add one prefix to the client's sorted list (the command refused overlapping ones). */
static void client_add_prefix(struct tracking_client *tc, const char *p, size_t len)
{
    size_t i = 0;
    while (i < tc->nprefixes && prefix_cmp(tc->prefixes[i], tc->prefix_lens[i], p, len) < 0) i++;
    if (i < tc->nprefixes && prefix_cmp(tc->prefixes[i], tc->prefix_lens[i], p, len) == 0) return;
    tc->prefixes = xrealloc(tc->prefixes, (tc->nprefixes + 1) * sizeof *tc->prefixes);
    tc->prefix_lens = xrealloc(tc->prefix_lens, (tc->nprefixes + 1) * sizeof *tc->prefix_lens);
    memmove(tc->prefixes + i + 1, tc->prefixes + i, (tc->nprefixes - i) * sizeof *tc->prefixes);
    memmove(tc->prefix_lens + i + 1, tc->prefix_lens + i,
            (tc->nprefixes - i) * sizeof *tc->prefix_lens);
    tc->prefixes[i] = xmemdup(p, len);
    tc->prefix_lens[i] = len;
    tc->nprefixes++;
}

void tracking_enable(struct client *c, unsigned flags, uint64_t redirect_id,
                     const struct resp_arg *prefixes, size_t nprefixes)
{
    struct tracking *t = c->srv->tracking;
    if (!c->tracking) {
        c->tracking = xcalloc(1, sizeof *c->tracking);
        clients_add(t, c);
        c->srv->conns.tracking_clients = t->nclients;
    }
    struct tracking_client *tc = c->tracking;
    tc->flags &= ~(TRACKING_BROKEN_REDIR | TRACKING_BCAST | TRACKING_OPTIN | TRACKING_OPTOUT |
                   TRACKING_NOLOOP);
    tc->flags |= flags & (TRACKING_BCAST | TRACKING_OPTIN | TRACKING_OPTOUT | TRACKING_NOLOOP);
    tc->redirect_id = redirect_id;
    if (!(flags & TRACKING_BCAST)) return;
    static const struct resp_arg every_key = {"", 0};
    if (nprefixes == 0) {
        prefixes = &every_key;
        nprefixes = 1;
    }
    for (size_t i = 0; i < nprefixes; i++) {
        prefix_subscribe(t, prefixes[i].ptr, prefixes[i].len, c->conn.id);
        client_add_prefix(tc, prefixes[i].ptr, prefixes[i].len);
    }
}

void tracking_disable(struct client *c)
{
    struct tracking *t = c->srv->tracking;
    struct tracking_client *tc = c->tracking;
    if (!tc) return;
    for (size_t i = 0; i < tc->nprefixes; i++) {
        prefix_unsubscribe(t, tc->prefixes[i], tc->prefix_lens[i], c->conn.id);
        free(tc->prefixes[i]);
    }
    free(tc->prefixes);
    free(tc->prefix_lens);
    free(tc);
    c->tracking = NULL;
    clients_remove(t, c);
    c->srv->conns.tracking_clients = t->nclients;
}

/* ---- before sleep ---- */

static int bcast_key_cmp(const void *a, const void *b)
{
    const struct bcast_key *x = a, *y = b;
    int r = prefix_cmp(x->key, x->klen, y->key, y->klen);
    return r ? r : (x < y ? -1 : 1); /* equal keys keep their order: the last write wins */
}

/* Sort the prefix's keys by bytes and keep one of each (with its last writer). */
static void bcast_sort_unique(struct bcast_prefix *p)
{
    qsort(p->keys, p->nkeys, sizeof *p->keys, bcast_key_cmp);
    size_t out = 0;
    for (size_t i = 0; i < p->nkeys; i++) {
        bool is_dup_of_next = i + 1 < p->nkeys && p->keys[i].klen == p->keys[i + 1].klen &&
                              memcmp(p->keys[i].key, p->keys[i + 1].key, p->keys[i].klen) == 0;
        if (is_dup_of_next)
            free(p->keys[i].key);
        else
            p->keys[out++] = p->keys[i];
    }
    p->nkeys = out;
}

static void bcast_prefix_send(struct server *srv, struct bcast_prefix *p)
{
    struct tracking *t = srv->tracking;
    bcast_sort_unique(p);
    struct buf b, msg;
    buf_init(&b);
    buf_init(&msg);
    for (size_t k = 0; k < p->n; k++) {
        struct client *tc = tracking_client_by_id(t, p->ids[k]);
        if (!tc) continue;
        bool is_noloop = (tc->tracking->flags & TRACKING_NOLOOP) != 0;
        size_t n = 0;
        buf_clear(&b);
        for (size_t i = 0; i < p->nkeys; i++) {
            if (is_noloop && p->keys[i].by_id == tc->conn.id) continue;
            payload_add_key(&b, p->keys[i].key, p->keys[i].klen);
            n++;
        }
        if (n == 0) continue;
        buf_clear(&msg);
        buf_printf(&msg, "*%zu\r\n", n);
        buf_append(&msg, b.data, b.len);
        tracking_send(srv, tc, msg.data, msg.len);
    }
    buf_free(&b);
    buf_free(&msg);
    prefix_clear_keys(p);
}

/* Over tracking-table-max-keys: drop random keys, telling their clients (Redis's way). */
static void table_limit(struct server *srv)
{
    struct tracking *t = srv->tracking;
    long long max = srv->cfg.tracking_table_max_keys;
    for (int i = 0; max > 0 && (long long)dict_count(&t->table) > max; i++) {
        if (i == TRACKING_EVICT_PER_CALL) return; /* the rest next time */
        struct tracked_key *tk = (struct tracked_key *)dict_random(&t->table, &srv->rng);
        if (!tk) return;
        dict_unlink(&t->table, tk->key, tk->klen);
        tracked_key_invalidate(srv, tk);
    }
}

void tracking_before_sleep(struct server *srv)
{
    struct tracking *t = srv->tracking;
    if (!t) return;
    for (size_t i = 0; i < t->nprefixes; i++)
        if (t->prefixes[i].nkeys) bcast_prefix_send(srv, &t->prefixes[i]);
    table_limit(srv);
}

void tracking_info_stats(const struct server *srv, struct buf *out)
{
    const struct tracking *t = srv->tracking;
    buf_printf(out,
               "tracking_total_keys:%zu\r\ntracking_total_items:%zu\r\n"
               "tracking_total_prefixes:%zu\r\n",
               t ? dict_count(&t->table) : 0, t ? t->total_items : 0, t ? t->nprefixes : 0);
}

long long tracking_redirect_of(const struct client *c)
{
    return c->tracking ? (long long)c->tracking->redirect_id : -1;
}
