/* pubsub: see pubsub.h. Channels live in a dict of channel -> subscriber array; patterns in a
 * plain array (pattern counts are small in practice, and every PUBLISH must test each pattern
 * anyway). Each client keeps dicts of its own channels and patterns for O(1) membership. */
#include "store/pubsub.h"

#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "store/client.h"
#include "store/command.h"
#include "store/propagate.h"
#include "store/reply.h"

struct name_entry { /* a channel or pattern name in a dict */
    struct dict_entry de;
    size_t len;
    struct client **subs; /* server side: subscribers; client side: unused */
    size_t nsubs, cap;
    char name[];
};

struct pattern {
    char *pat;
    size_t len;
    struct client *c;
};

struct pubsub {
    struct dict channels;
    struct pattern *patterns;
    size_t npatterns, cap;
};

static const char *name_key_of(const struct dict_entry *e, size_t *len)
{
    const struct name_entry *n = (const struct name_entry *)e;
    *len = n->len;
    return n->name;
}

static struct name_entry *name_entry_new(const char *name, size_t len)
{
    struct name_entry *n = xcalloc(1, sizeof *n + len + 1);
    n->len = len;
    memcpy(n->name, name, len);
    return n;
}

static void name_entry_free(struct dict_entry *e, void *ctx)
{
    UNUSED(ctx);
    struct name_entry *n = (struct name_entry *)e;
    free(n->subs);
    free(n);
}

struct pubsub *pubsub_create(void)
{
    struct pubsub *ps = xcalloc(1, sizeof *ps);
    dict_init(&ps->channels, name_key_of);
    return ps;
}

void pubsub_destroy(struct pubsub *ps)
{
    if (!ps) return;
    dict_clear(&ps->channels, name_entry_free, NULL);
    for (size_t i = 0; i < ps->npatterns; i++) free(ps->patterns[i].pat);
    free(ps->patterns);
    free(ps);
}

static struct dict *client_set(struct client *c, bool pattern)
{
    struct dict **d = pattern ? &c->patterns : &c->channels;
    if (!*d) {
        *d = xcalloc(1, sizeof **d);
        dict_init(*d, name_key_of);
    }
    return *d;
}

size_t pubsub_client_channels(const struct client *c)
{
    return c->channels ? dict_count(c->channels) : 0;
}
size_t pubsub_client_patterns(const struct client *c)
{
    return c->patterns ? dict_count(c->patterns) : 0;
}

static size_t client_total(const struct client *c)
{
    return pubsub_client_channels(c) + pubsub_client_patterns(c);
}

static void update_mode(struct client *c)
{
    if (client_total(c) > 0)
        c->conn.flags |= CONN_PUBSUB;
    else
        c->conn.flags &= ~CONN_PUBSUB;
}

/* The (un)subscribe confirmation: [kind, name, count] as a push in RESP3. */
static void reply_sub_event(struct client *c, const char *kind, const char *name, size_t len,
                            bool null_name)
{
    reply_subscription(c, kind, null_name ? NULL : name, len, client_total(c));
}

static bool subscribe_channel(struct client *c, const char *ch, size_t len)
{
    struct dict *mine = client_set(c, false);
    if (dict_find(mine, ch, len)) return false;
    dict_add(mine, &name_entry_new(ch, len)->de);
    struct pubsub *ps = c->srv->pubsub;
    struct name_entry *e = (struct name_entry *)dict_find(&ps->channels, ch, len);
    if (!e) {
        e = name_entry_new(ch, len);
        dict_add(&ps->channels, &e->de);
    }
    if (e->nsubs == e->cap) {
        e->cap = e->cap ? e->cap * 2 : 4;
        e->subs = xrealloc(e->subs, e->cap * sizeof *e->subs);
    }
    e->subs[e->nsubs++] = c;
    return true;
}

static bool unsubscribe_channel(struct client *c, const char *ch, size_t len)
{
    struct dict_entry *mine = c->channels ? dict_unlink(c->channels, ch, len) : NULL;
    if (!mine) return false;
    name_entry_free(mine, NULL);
    struct pubsub *ps = c->srv->pubsub;
    struct name_entry *e = (struct name_entry *)dict_find(&ps->channels, ch, len);
    ASSERT(e != NULL);
    for (size_t i = 0; i < e->nsubs; i++) {
        if (e->subs[i] != c) continue;
        memmove(&e->subs[i], &e->subs[i + 1], (e->nsubs - i - 1) * sizeof *e->subs);
        e->nsubs--;
        break;
    }
    if (e->nsubs == 0) {
        dict_unlink_entry(&ps->channels, &e->de);
        name_entry_free(&e->de, NULL);
    }
    return true;
}

static bool subscribe_pattern(struct client *c, const char *pat, size_t len)
{
    struct dict *mine = client_set(c, true);
    if (dict_find(mine, pat, len)) return false;
    dict_add(mine, &name_entry_new(pat, len)->de);
    struct pubsub *ps = c->srv->pubsub;
    if (ps->npatterns == ps->cap) {
        ps->cap = ps->cap ? ps->cap * 2 : 8;
        ps->patterns = xrealloc(ps->patterns, ps->cap * sizeof *ps->patterns);
    }
    ps->patterns[ps->npatterns++] = (struct pattern){xstrndup(pat, len), len, c};
    return true;
}

static bool unsubscribe_pattern(struct client *c, const char *pat, size_t len)
{
    struct dict_entry *mine = c->patterns ? dict_unlink(c->patterns, pat, len) : NULL;
    if (!mine) return false;
    name_entry_free(mine, NULL);
    struct pubsub *ps = c->srv->pubsub;
    for (size_t i = 0; i < ps->npatterns; i++) {
        struct pattern *p = &ps->patterns[i];
        if (p->c != c || p->len != len || memcmp(p->pat, pat, len) != 0) continue;
        free(p->pat);
        memmove(p, p + 1, (ps->npatterns - i - 1) * sizeof *p);
        ps->npatterns--;
        break;
    }
    return true;
}

/* Unsubscribe from everything of one kind, replying per name when notify. */
static void unsubscribe_every(struct client *c, bool pattern, bool notify)
{
    struct dict *mine = pattern ? c->patterns : c->channels;
    const char *kind = pattern ? "punsubscribe" : "unsubscribe";
    if (!mine || dict_count(mine) == 0) {
        if (notify) reply_sub_event(c, kind, NULL, 0, true);
        return;
    }
    while (dict_count(mine) > 0) {
        struct dict_iter it;
        dict_iter_init(&it, mine, true);
        struct name_entry *n = (struct name_entry *)dict_iter_next(&it);
        dict_iter_done(&it);
        char *name = xstrndup(n->name, n->len);
        size_t len = n->len;
        if (pattern)
            unsubscribe_pattern(c, name, len);
        else
            unsubscribe_channel(c, name, len);
        if (notify) reply_sub_event(c, kind, name, len, false);
        free(name);
    }
}

void pubsub_unsubscribe_all(struct client *c, bool notify)
{
    unsubscribe_every(c, false, notify);
    unsubscribe_every(c, true, notify);
    for (int i = 0; i < 2; i++) {
        struct dict **d = i ? &c->patterns : &c->channels;
        if (*d) {
            dict_clear(*d, name_entry_free, NULL);
            free(*d);
            *d = NULL;
        }
    }
    update_mode(c);
}

static void deliver(struct client *to, const char *pat, size_t plen, const char *ch, size_t chlen,
                    const char *msg, size_t msglen)
{
    reply_message(to, pat, plen, ch, chlen, msg, msglen);
    client_check_obuf(to);
}

long long pubsub_publish(struct server *srv, const char *ch, size_t chlen, const char *msg,
                         size_t msglen)
{
    struct pubsub *ps = srv->pubsub;
    long long receivers = 0;
    struct name_entry *e = (struct name_entry *)dict_find(&ps->channels, ch, chlen);
    for (size_t i = 0; e && i < e->nsubs; i++, receivers++)
        deliver(e->subs[i], NULL, 0, ch, chlen, msg, msglen);
    for (size_t i = 0; i < ps->npatterns; i++) {
        struct pattern *p = &ps->patterns[i];
        if (!util_glob_match(p->pat, p->len, ch, chlen, false)) continue;
        deliver(p->c, p->pat, p->len, ch, chlen, msg, msglen);
        receivers++;
    }
    srv->stats.pubsub_messages++;
    return receivers;
}

/* ---- commands ---- */

static void cmd_subscribe(struct client *c)
{
    for (size_t i = 1; i < c->argc; i++) {
        subscribe_channel(c, c->argv[i].ptr, c->argv[i].len);
        update_mode(c);
        reply_sub_event(c, "subscribe", c->argv[i].ptr, c->argv[i].len, false);
    }
}

static void cmd_psubscribe(struct client *c)
{
    for (size_t i = 1; i < c->argc; i++) {
        subscribe_pattern(c, c->argv[i].ptr, c->argv[i].len);
        update_mode(c);
        reply_sub_event(c, "psubscribe", c->argv[i].ptr, c->argv[i].len, false);
    }
}

static void cmd_unsubscribe(struct client *c)
{
    if (c->argc == 1) {
        unsubscribe_every(c, false, true);
    } else {
        for (size_t i = 1; i < c->argc; i++) {
            unsubscribe_channel(c, c->argv[i].ptr, c->argv[i].len);
            reply_sub_event(c, "unsubscribe", c->argv[i].ptr, c->argv[i].len, false);
        }
    }
    update_mode(c);
}

static void cmd_punsubscribe(struct client *c)
{
    if (c->argc == 1) {
        unsubscribe_every(c, true, true);
    } else {
        for (size_t i = 1; i < c->argc; i++) {
            unsubscribe_pattern(c, c->argv[i].ptr, c->argv[i].len);
            reply_sub_event(c, "punsubscribe", c->argv[i].ptr, c->argv[i].len, false);
        }
    }
    update_mode(c);
}

static void cmd_publish(struct client *c)
{
    long long n =
        pubsub_publish(c->srv, c->argv[1].ptr, c->argv[1].len, c->argv[2].ptr, c->argv[2].len);
    /* Replicas forward publishes to their own subscribers, as Redis does. */
    propagate_as(c, c->argc, c->argv);
    reply_integer(c, n);
}

static void pubsub_channels(struct client *c)
{
    if (c->argc > 3) {
        command_reply_arity(c, "pubsub|channels");
        return;
    }
    const struct resp_arg *pat = c->argc == 3 ? &c->argv[2] : NULL;
    size_t handle = reply_deferred_begin(c), n = 0;
    struct dict_iter it;
    dict_iter_init(&it, &c->srv->pubsub->channels, false);
    for (struct dict_entry *e; (e = dict_iter_next(&it));) {
        struct name_entry *ne = (struct name_entry *)e;
        if (pat && !util_glob_match(pat->ptr, pat->len, ne->name, ne->len, false)) continue;
        reply_bulk(c, ne->name, ne->len);
        n++;
    }
    dict_iter_done(&it);
    reply_deferred_array(c, handle, n);
}

static void pubsub_numsub(struct client *c)
{
    reply_map(c, c->argc - 2);
    for (size_t i = 2; i < c->argc; i++) {
        struct name_entry *e = (struct name_entry *)dict_find(&c->srv->pubsub->channels,
                                                              c->argv[i].ptr, c->argv[i].len);
        reply_bulk(c, c->argv[i].ptr, c->argv[i].len);
        reply_integer(c, e ? (long long)e->nsubs : 0);
    }
}

size_t pubsub_channel_count(const struct pubsub *ps) { return dict_count(&ps->channels); }

size_t pubsub_pattern_count(const struct pubsub *ps)
{
    /* Distinct patterns, as Redis counts them (a list kept per subscription, so compare). */
    size_t distinct = 0;
    for (size_t i = 0; i < ps->npatterns; i++) {
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = ps->patterns[j].len == ps->patterns[i].len &&
                   memcmp(ps->patterns[j].pat, ps->patterns[i].pat, ps->patterns[i].len) == 0;
        distinct += !seen;
    }
    return distinct;
}

static void pubsub_numpat(struct client *c)
{
    reply_integer(c, (long long)pubsub_pattern_count(c->srv->pubsub));
}

static const struct command pubsub_subs[] = {
    {.name = "channels", .arity = -2, .fn = pubsub_channels},
    {.name = "numsub", .arity = -2, .fn = pubsub_numsub},
    {.name = "numpat", .arity = 2, .fn = pubsub_numpat},
    {.name = NULL},
};

static void cmd_pubsub(struct client *c) { command_dispatch_sub(c, pubsub_subs, "pubsub"); }

struct command cmd_table_pubsub[] = {
    {.name = "subscribe",
     .arity = -2,
     .flags = CMD_PUBSUB | CMD_LOADING | CMD_STALE | CMD_NOSCRIPT,
     .fn = cmd_subscribe,
     .group = "pubsub"},
    {.name = "psubscribe",
     .arity = -2,
     .flags = CMD_PUBSUB | CMD_LOADING | CMD_STALE | CMD_NOSCRIPT,
     .fn = cmd_psubscribe,
     .group = "pubsub"},
    {.name = "unsubscribe",
     .arity = -1,
     .flags = CMD_PUBSUB | CMD_LOADING | CMD_STALE | CMD_NOSCRIPT,
     .fn = cmd_unsubscribe,
     .group = "pubsub"},
    {.name = "punsubscribe",
     .arity = -1,
     .flags = CMD_PUBSUB | CMD_LOADING | CMD_STALE | CMD_NOSCRIPT,
     .fn = cmd_punsubscribe,
     .group = "pubsub"},
    {.name = "publish",
     .arity = 3,
     .flags = CMD_PUBSUB | CMD_LOADING | CMD_STALE | CMD_FAST | CMD_MAY_REPLICATE,
     .fn = cmd_publish,
     .group = "pubsub"},
    {.name = "pubsub",
     .arity = -2,
     .flags = CMD_PUBSUB | CMD_LOADING | CMD_STALE,
     .fn = cmd_pubsub,
     .subcommands = pubsub_subs,
     .group = "pubsub"},
    {.name = NULL},
};
