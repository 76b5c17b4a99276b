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
    struct dict shard_channels; /* SSUBSCRIBE's channels: the same kind of index, apart */
    struct pattern *patterns;
    size_t npatterns, cap;
};

/* The three kinds of subscription. Shard channels are Redis 7.0's cluster-sharded channels;
 * without cluster mode they are plain channels in a namespace of their own: SPUBLISH reaches
 * only SSUBSCRIBE's subscribers, never PUBLISH's or patterns. */
enum sub_kind { SUB_CHANNEL, SUB_PATTERN, SUB_SHARD };

static const char *const unsub_names[] = {"unsubscribe", "punsubscribe", "sunsubscribe"};

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
    dict_init(&ps->shard_channels, name_key_of);
    return ps;
}

void pubsub_destroy(struct pubsub *ps)
{
    if (!ps) return;
    dict_clear(&ps->channels, name_entry_free, NULL);
    dict_clear(&ps->shard_channels, name_entry_free, NULL);
    for (size_t i = 0; i < ps->npatterns; i++) free(ps->patterns[i].pat);
    free(ps->patterns);
    free(ps);
}

static struct dict **client_slot(struct client *c, enum sub_kind kind)
{
    if (kind == SUB_PATTERN) return &c->patterns;
    return kind == SUB_SHARD ? &c->shard_channels : &c->channels;
}

static struct dict *client_set(struct client *c, enum sub_kind kind)
{
    struct dict **d = client_slot(c, kind);
    if (!*d) {
        *d = xcalloc(1, sizeof **d);
        dict_init(*d, name_key_of);
    }
    return *d;
}

static struct dict *server_set(struct pubsub *ps, enum sub_kind kind)
{
    return kind == SUB_SHARD ? &ps->shard_channels : &ps->channels;
}

size_t pubsub_client_channels(const struct client *c)
{
    return c->channels ? dict_count(c->channels) : 0;
}
size_t pubsub_client_patterns(const struct client *c)
{
    return c->patterns ? dict_count(c->patterns) : 0;
}
size_t pubsub_client_shard_channels(const struct client *c)
{
    return c->shard_channels ? dict_count(c->shard_channels) : 0;
}

static void update_mode(struct client *c)
{
    size_t total =
        pubsub_client_channels(c) + pubsub_client_patterns(c) + pubsub_client_shard_channels(c);
    if (total > 0)
        c->conn.flags |= CONN_PUBSUB;
    else
        c->conn.flags &= ~CONN_PUBSUB;
}

/* The (un)subscribe confirmation: [kind, name, count] as a push in RESP3. As Redis 7.0, the
 * count of a shard confirmation is the shard channels alone, the others' channels + patterns. */
static void reply_sub_event(struct client *c, enum sub_kind kind, const char *event,
                            const char *name, size_t len)
{
    size_t count = kind == SUB_SHARD ? pubsub_client_shard_channels(c)
                                     : pubsub_client_channels(c) + pubsub_client_patterns(c);
    reply_subscription(c, event, name, len, count);
}

static bool subscribe_channel(struct client *c, enum sub_kind kind, const char *ch, size_t len)
{
    struct dict *mine = client_set(c, kind);
    if (dict_find(mine, ch, len)) return false;
    dict_add(mine, &name_entry_new(ch, len)->de);
    struct dict *index = server_set(c->srv->pubsub, kind);
    struct name_entry *e = (struct name_entry *)dict_find(index, ch, len);
    if (!e) {
        e = name_entry_new(ch, len);
        dict_add(index, &e->de);
    }
    if (e->nsubs == e->cap) {
        e->cap = e->cap ? e->cap * 2 : 4;
        e->subs = xrealloc(e->subs, e->cap * sizeof *e->subs);
    }
    e->subs[e->nsubs++] = c;
    return true;
}

static bool unsubscribe_channel(struct client *c, enum sub_kind kind, const char *ch, size_t len)
{
    struct dict *mine_set = *client_slot(c, kind);
    struct dict_entry *mine = mine_set ? dict_unlink(mine_set, ch, len) : NULL;
    if (!mine) return false;
    name_entry_free(mine, NULL);
    struct dict *index = server_set(c->srv->pubsub, kind);
    struct name_entry *e = (struct name_entry *)dict_find(index, ch, len);
    ASSERT(e != NULL);
    for (size_t i = 0; i < e->nsubs; i++) {
        if (e->subs[i] != c) continue;
        memmove(&e->subs[i], &e->subs[i + 1], (e->nsubs - i - 1) * sizeof *e->subs);
        e->nsubs--;
        break;
    }
    if (e->nsubs == 0) {
        dict_unlink_entry(index, &e->de);
        name_entry_free(&e->de, NULL);
    }
    return true;
}

static bool subscribe_pattern(struct client *c, const char *pat, size_t len)
{
    struct dict *mine = client_set(c, SUB_PATTERN);
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

static bool unsubscribe_one(struct client *c, enum sub_kind kind, const char *name, size_t len)
{
    if (kind == SUB_PATTERN) return unsubscribe_pattern(c, name, len);
    return unsubscribe_channel(c, kind, name, len);
}

/* Unsubscribe from everything of one kind, replying per name when notify. */
static void unsubscribe_every(struct client *c, enum sub_kind kind, bool notify)
{
    struct dict *mine = *client_slot(c, kind);
    const char *event = unsub_names[kind];
    if (!mine || dict_count(mine) == 0) {
        if (notify) reply_sub_event(c, kind, event, NULL, 0);
        return;
    }
    while (dict_count(mine) > 0) {
        struct dict_iter it;
        dict_iter_init(&it, mine, true);
        struct name_entry *n = (struct name_entry *)dict_iter_next(&it);
        dict_iter_done(&it);
        char *name = xstrndup(n->name, n->len);
        size_t len = n->len;
        unsubscribe_one(c, kind, name, len);
        if (notify) reply_sub_event(c, kind, event, name, len);
        free(name);
    }
}

bool pubsub_client_all(struct client *c,
                       bool (*ok)(void *ctx, const char *name, size_t len, bool is_pattern),
                       void *ctx)
{
    for (int p = 0; p < 2; p++) {
        struct dict *d = p ? c->patterns : c->channels;
        if (d == NULL) continue;
        struct dict_iter it;
        dict_iter_init(&it, d, false);
        bool all = true;
        for (struct dict_entry *de; all && (de = dict_iter_next(&it));) {
            const struct name_entry *n = (const struct name_entry *)de;
            all = ok(ctx, n->name, n->len, p == 1);
        }
        dict_iter_done(&it);
        if (!all) return false;
    }
    return true;
}

void pubsub_unsubscribe_all(struct client *c, bool notify)
{
    for (enum sub_kind k = SUB_CHANNEL; k <= SUB_SHARD; k++) {
        unsubscribe_every(c, k, notify);
        struct dict **d = client_slot(c, k);
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

/* SPUBLISH: ["smessage", channel, message] to the shard channel's subscribers only. */
static long long pubsub_publish_shard(struct server *srv, const char *ch, size_t chlen,
                                      const char *msg, size_t msglen)
{
    struct name_entry *e = (struct name_entry *)dict_find(&srv->pubsub->shard_channels, ch, chlen);
    long long receivers = 0;
    for (size_t i = 0; e && i < e->nsubs; i++, receivers++) {
        struct client *to = e->subs[i];
        reply_push(to, 3);
        reply_bulk(to, "smessage", 8);
        reply_bulk(to, ch, chlen);
        reply_bulk(to, msg, msglen);
        client_check_obuf(to);
    }
    srv->stats.pubsub_messages++;
    return receivers;
}

/* ---- commands ---- */

static void subscribe_args(struct client *c, enum sub_kind kind, const char *event)
{
    for (size_t i = 1; i < c->argc; i++) {
        if (kind == SUB_PATTERN)
            subscribe_pattern(c, c->argv[i].ptr, c->argv[i].len);
        else
            subscribe_channel(c, kind, c->argv[i].ptr, c->argv[i].len);
        update_mode(c);
        reply_sub_event(c, kind, event, c->argv[i].ptr, c->argv[i].len);
    }
}

static void unsubscribe_args(struct client *c, enum sub_kind kind)
{
    if (c->argc == 1) {
        unsubscribe_every(c, kind, true);
    } else {
        for (size_t i = 1; i < c->argc; i++) {
            unsubscribe_one(c, kind, c->argv[i].ptr, c->argv[i].len);
            reply_sub_event(c, kind, unsub_names[kind], c->argv[i].ptr, c->argv[i].len);
        }
    }
    update_mode(c);
}

static void cmd_subscribe(struct client *c) { subscribe_args(c, SUB_CHANNEL, "subscribe"); }
static void cmd_psubscribe(struct client *c) { subscribe_args(c, SUB_PATTERN, "psubscribe"); }
static void cmd_unsubscribe(struct client *c) { unsubscribe_args(c, SUB_CHANNEL); }
static void cmd_punsubscribe(struct client *c) { unsubscribe_args(c, SUB_PATTERN); }
static void cmd_sunsubscribe(struct client *c) { unsubscribe_args(c, SUB_SHARD); }

static void cmd_ssubscribe(struct client *c)
{
    /* As Redis 7.0: unlike SUBSCRIBE, refused inside a transaction (a client that expects one
     * reply per command). */
    if (c->srv->call_depth > 1) {
        reply_error(c, "ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client");
        return;
    }
    subscribe_args(c, SUB_SHARD, "ssubscribe");
}

static void cmd_publish(struct client *c)
{
    long long n =
        pubsub_publish(c->srv, c->argv[1].ptr, c->argv[1].len, c->argv[2].ptr, c->argv[2].len);
    /* Replicas forward publishes to their own subscribers, as Redis does. */
    propagate_as(c, c->argc, c->argv);
    reply_integer(c, n);
}

static void cmd_spublish(struct client *c)
{
    long long n = pubsub_publish_shard(c->srv, c->argv[1].ptr, c->argv[1].len, c->argv[2].ptr,
                                       c->argv[2].len);
    propagate_as(c, c->argc, c->argv); /* as PUBLISH: Redis replicates it without cluster */
    reply_integer(c, n);
}

/* PUBSUB CHANNELS / SHARDCHANNELS [pattern]. */
static void pubsub_list(struct client *c, enum sub_kind kind, const char *fullname)
{
    if (c->argc > 3) {
        command_reply_arity(c, fullname);
        return;
    }
    const struct resp_arg *pat = c->argc == 3 ? &c->argv[2] : NULL;
    size_t handle = reply_deferred_begin(c), n = 0;
    struct dict_iter it;
    dict_iter_init(&it, server_set(c->srv->pubsub, kind), false);
    for (struct dict_entry *e; (e = dict_iter_next(&it));) {
        struct name_entry *ne = (struct name_entry *)e;
        if (pat && !util_glob_match(pat->ptr, pat->len, ne->name, ne->len, false)) continue;
        reply_bulk(c, ne->name, ne->len);
        n++;
    }
    dict_iter_done(&it);
    reply_deferred_array(c, handle, n);
}

static void pubsub_channels(struct client *c) { pubsub_list(c, SUB_CHANNEL, "pubsub|channels"); }

static void pubsub_shardchannels(struct client *c)
{
    if (c->argc > 3) { /* Redis 7.0's own wording for this one */
        command_reply_sub_usage(c, "PUBSUB");
        return;
    }
    pubsub_list(c, SUB_SHARD, "pubsub|shardchannels");
}

/* NUMSUB and SHARDNUMSUB: name, count pairs, a flat array in RESP3 too (as Redis 7.0). */
static void pubsub_counts(struct client *c, enum sub_kind kind)
{
    reply_array(c, (c->argc - 2) * 2);
    struct dict *index = server_set(c->srv->pubsub, kind);
    for (size_t i = 2; i < c->argc; i++) {
        struct name_entry *e =
            (struct name_entry *)dict_find(index, c->argv[i].ptr, c->argv[i].len);
        reply_bulk(c, c->argv[i].ptr, c->argv[i].len);
        reply_integer(c, e ? (long long)e->nsubs : 0);
    }
}

static void pubsub_numsub(struct client *c) { pubsub_counts(c, SUB_CHANNEL); }
static void pubsub_shardnumsub(struct client *c) { pubsub_counts(c, SUB_SHARD); }

size_t pubsub_shard_channel_count(const struct pubsub *ps)
{
    return dict_count(&ps->shard_channels);
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

static void pubsub_help(struct client *c)
{
    static const char *const lines[] = {
        "PUBSUB <subcommand> [<argument> ...], with <subcommand> one of:",
        "CHANNELS [<pattern>]",
        "    Channels with at least one subscriber whose names match <pattern> (default: all).",
        "NUMPAT",
        "    The number of distinct patterns that PSUBSCRIBE clients listen to.",
        "NUMSUB [<channel> ...]",
        "    Each channel named, with its number of SUBSCRIBE subscribers (patterns not counted).",
        "SHARDCHANNELS [<pattern>]",
        "    Shard channels (SSUBSCRIBE) with a subscriber whose names match <pattern>.",
        "SHARDNUMSUB [<channel> ...]",
        "    Each shard channel named, with its number of SSUBSCRIBE subscribers.",
        "HELP",
        "    Show this list.",
    };
    reply_simple_lines(c, lines, ARRAY_LEN(lines));
}

static const struct command pubsub_subs[] = {
    {.name = "channels", .arity = -2, .fn = pubsub_channels},
    {.name = "numsub", .arity = -2, .fn = pubsub_numsub},
    {.name = "numpat", .arity = 2, .fn = pubsub_numpat},
    {.name = "shardchannels", .arity = -2, .fn = pubsub_shardchannels},
    {.name = "shardnumsub", .arity = -2, .fn = pubsub_shardnumsub},
    {.name = "help", .arity = 2, .fn = pubsub_help},
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
    {.name = "ssubscribe",
     .arity = -2,
     .flags = CMD_PUBSUB | CMD_LOADING | CMD_STALE | CMD_NOSCRIPT,
     .fn = cmd_ssubscribe,
     .first_key = 1,
     .last_key = -1,
     .key_step = 1,
     .group = "pubsub"},
    {.name = "sunsubscribe",
     .arity = -1,
     .flags = CMD_PUBSUB | CMD_LOADING | CMD_STALE | CMD_NOSCRIPT,
     .fn = cmd_sunsubscribe,
     .first_key = 1,
     .last_key = -1,
     .key_step = 1,
     .group = "pubsub"},
    {.name = "spublish",
     .arity = 3,
     .flags = CMD_PUBSUB | CMD_LOADING | CMD_STALE | CMD_FAST | CMD_MAY_REPLICATE,
     .fn = cmd_spublish,
     .first_key = 1,
     .last_key = 1,
     .key_step = 1,
     .group = "pubsub"},
    {.name = "pubsub",
     .arity = -2,
     .flags = CMD_PUBSUB | CMD_LOADING | CMD_STALE,
     .fn = cmd_pubsub,
     .subcommands = pubsub_subs,
     .group = "pubsub"},
    {.name = NULL},
};
