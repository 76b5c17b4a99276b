/* db: see db.h. One lookup per call on the common path (a live key or a missing one); the
 * expired path pays a second one to remove the key through the keyspace's own expiry (which
 * calls the server back so the DEL reaches replicas). */
#include "store/db.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "common/util.h"
#include "store/notify.h"
#include "store/reply.h"

int64_t db_lookup_now(const struct client *c)
{
    return client_must_obey(c) ? INT64_MIN : server_now_ms(c->srv);
}

/* An expired entry found by a write lookup: gone in both roles. */
static void db_expire_for_write(struct client *c, int db, struct ks *ks, struct ks_entry *e,
                                const char *key, size_t klen, int64_t now_ms)
{
    if (!ks_is_replica_mode(ks)) {
        ks_lookup(ks, key, klen, now_ms); /* deletes it and tells the server (DEL to replicas) */
        return;
    }
    /* A replica never propagates its own deletions; it only forgets the key. */
    ks_delete_entry(ks, e);
    c->srv->stats.expiredkeys++;
    server_key_modified(c->srv, db, key, klen);
    notify_keyspace_event(c->srv, NOTIFY_EXPIRED, "expired", key, klen, db);
}

struct ks_entry *db_lookup_in(struct client *c, int db, const char *key, size_t klen, int flags)
{
    struct ks *ks = c->srv->db[db];
    struct ks_entry *e;
    if (client_must_obey(c)) {
        e = ks_find(ks, key, klen);
    } else if (flags & DB_LOOKUP_WRITE) {
        e = ks_find(ks, key, klen);
        int64_t now = server_now_ms(c->srv);
        if (e && ks_entry_is_expired(e, now)) {
            db_expire_for_write(c, db, ks, e, key, klen, now);
            e = NULL;
        }
    } else {
        e = ks_lookup(ks, key, klen, server_now_ms(c->srv));
    }
    if (e && !(flags & DB_LOOKUP_NOTOUCH)) ks_entry_touch(ks, e);
    if (!(flags & (DB_LOOKUP_WRITE | DB_LOOKUP_NOSTATS))) {
        if (e)
            c->srv->stats.keyspace_hits++;
        else
            c->srv->stats.keyspace_misses++;
    }
    if (!e && !(flags & (DB_LOOKUP_WRITE | DB_LOOKUP_NONOTIFY)))
        notify_keyspace_event(c->srv, NOTIFY_KEY_MISS, "keymiss", key, klen, db);
    return e;
}

bool db_check_type(struct client *c, const struct ks_entry *e, enum ks_type t)
{
    if (ks_entry_type(e) == t) return true;
    reply_error(c, ERR_WRONGTYPE);
    return false;
}

void db_key_modified(struct client *c, const struct resp_arg *key)
{
    server_key_modified(c->srv, c->db, key->ptr, key->len);
}

void db_notify(struct client *c, unsigned cls, const char *event, const struct resp_arg *key)
{
    notify_keyspace_event(c->srv, cls, event, key->ptr, key->len, c->db);
}

static bool is_c_space(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\v' || ch == '\f' || ch == '\r';
}

int db_parse_cursor(struct client *c, const struct resp_arg *a, uint64_t *cursor)
{
    /* Redis hands the argument to strtoul, which stops at a NUL byte. */
    const char *nul = memchr(a->ptr, '\0', a->len);
    size_t n = nul ? (size_t)(nul - a->ptr) : a->len;
    const char *s = a->ptr;
    if (n == 0) {
        *cursor = 0;
        return 0;
    }
    size_t i = 0;
    bool neg = false;
    if (!is_c_space(s[0])) {
        if (s[0] == '+' || s[0] == '-') neg = s[i++] == '-';
        if (i < n && s[i] >= '0' && s[i] <= '9') {
            uint64_t v = 0;
            bool overflow = false;
            for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
                if (v > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10) overflow = true;
                v = v * 10 + (uint64_t)(s[i] - '0');
            }
            if (i == n && !overflow) {
                *cursor = neg ? (uint64_t)0 - v : v;
                return 0;
            }
        }
    }
    reply_error(c, "ERR invalid cursor");
    return -1;
}

void db_reply_scan(struct client *c, uint64_t cursor, size_t n, const struct buf *elems)
{
    char cur[24];
    int len = snprintf(cur, sizeof cur, "%llu", (unsigned long long)cursor);
    reply_array(c, 2);
    reply_bulk(c, cur, (size_t)len);
    reply_array(c, n);
    if (elems->len) reply_raw(c, elems->data, elems->len);
}

void db_reply_empty_scan(struct client *c)
{
    reply_array(c, 2);
    reply_bulk(c, "0", 1);
    reply_empty_array(c);
}

size_t db_arg_cstr_len(const struct resp_arg *a)
{
    const char *nul = memchr(a->ptr, '\0', a->len);
    return nul ? (size_t)(nul - a->ptr) : a->len;
}

bool db_opt_is(const struct resp_arg *a, const char *word)
{
    return util_eq_nocase(a->ptr, db_arg_cstr_len(a), word);
}

int db_parse_scan_opts(struct client *c, size_t start, bool allow_type, struct db_scan_opts *o)
{
    *o = (struct db_scan_opts){.count = 10};
    for (size_t i = start; i < c->argc; i += 2) {
        const struct resp_arg *a = &c->argv[i];
        bool has_value = i + 1 < c->argc;
        if (has_value && db_opt_is(a, "count")) {
            if (arg_ll(c, &c->argv[i + 1], &o->count) != 0) return -1;
            if (o->count < 1) {
                reply_error(c, ERR_SYNTAX);
                return -1;
            }
        } else if (has_value && db_opt_is(a, "match")) {
            const struct resp_arg *p = &c->argv[i + 1];
            bool match_all = p->len == 1 && p->ptr[0] == '*';
            o->pat = match_all ? NULL : p->ptr;
            o->patlen = match_all ? 0 : p->len;
        } else if (has_value && allow_type && db_opt_is(a, "type")) {
            o->type = &c->argv[i + 1];
        } else {
            reply_error(c, ERR_SYNTAX);
            return -1;
        }
    }
    return 0;
}

long long db_scan_max_iterations(long long count)
{
    return count > LLONG_MAX / 10 ? LLONG_MAX : count * 10;
}
