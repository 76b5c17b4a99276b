/* db: the command layer's view of a client's database. Key lookups with Redis's exact read and
 * write semantics, shared by every command family (strings, keys, hashes, and any other type):
 *
 *   read   lazy expiry as ks_lookup (master: an expired key is deleted and DEL propagated;
 *          replica: hidden), and keyspace_hits / keyspace_misses counted.
 *   write  no statistics; an expired key is removed in both roles (a replica removes it
 *          silently, as Redis's forced expiry on write lookups), so the caller may add the key.
 *   master link  the commands our master sends see every key as live: the master decides
 *          expiry and sends DEL, so a replica applying INCR to a key its own clock considers
 *          expired still increments it (what keeps replicas byte-identical).
 *
 * Also the argument parsers several families share (SCAN cursors). Nothing here replies except
 * the documented error paths.
 */
#ifndef VIGIL_DB_H
#define VIGIL_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/data/keyspace.h"
#include "store/client.h"

enum {
    DB_LOOKUP_WRITE = 1 << 0,    /* write semantics (see the file comment) */
    DB_LOOKUP_NOSTATS = 1 << 1,  /* a read that does not count hits/misses */
    DB_LOOKUP_NOTOUCH = 1 << 2,  /* leave the key's access time (OBJECT IDLETIME) alone */
    DB_LOOKUP_NONOTIFY = 1 << 3, /* no "keymiss" event (OBJECT, MEMORY USAGE, as Redis) */
};

/* The keyspace of the client's selected database. */
static inline struct ks *db_ks(const struct client *c) { return c->srv->db[c->db]; }

/* The `now_ms` to pass to keyspace calls that look keys up (ks_set_string, ks_str_incrby...):
 * INT64_MIN for the master link (nothing is ever expired for it), else the server clock. Never
 * use it to compute an expiry time: that is server_now_ms(). */
int64_t db_lookup_now(const struct client *c);

/* Look key up in database `db` (any index, for COPY/MOVE) with the given DB_LOOKUP_* flags.
 * NULL if absent or expired. */
struct ks_entry *db_lookup_in(struct client *c, int db, const char *key, size_t klen, int flags);

static inline struct ks_entry *db_lookup_read(struct client *c, const struct resp_arg *key)
{
    return db_lookup_in(c, c->db, key->ptr, key->len, 0);
}
/* A read that does not count as an access (EXISTS, TYPE, TTL, OBJECT, as Redis). */
static inline struct ks_entry *db_lookup_peek(struct client *c, const struct resp_arg *key)
{
    return db_lookup_in(c, c->db, key->ptr, key->len, DB_LOOKUP_NOTOUCH);
}
static inline struct ks_entry *db_lookup_write(struct client *c, const struct resp_arg *key)
{
    return db_lookup_in(c, c->db, key->ptr, key->len, DB_LOOKUP_WRITE);
}

/* True if e has type t; otherwise replies WRONGTYPE and returns false. e must not be NULL. */
bool db_check_type(struct client *c, const struct ks_entry *e, enum ks_type t);

/* A key of the client's database changed or was deleted: WATCH and blocked clients. */
void db_key_modified(struct client *c, const struct resp_arg *key);

/* The keyspace event `event` of class cls (NOTIFY_*, notify.h) for key in the client's
 * database: every write calls it as Redis 7.0 does, after the change and in Redis's order. */
void db_notify(struct client *c, unsigned cls, const char *event, const struct resp_arg *key);

/* SCAN/HSCAN/SSCAN/ZSCAN cursor, read as Redis does (strtoul: an optional sign, leading zeros
 * and an empty string are accepted, "-1" wraps); replies "ERR invalid cursor" and returns -1
 * otherwise. */
int db_parse_cursor(struct client *c, const struct resp_arg *a, uint64_t *cursor);

/* The reply to a scan of a missing key: cursor "0" and no elements. */
void db_reply_empty_scan(struct client *c);
/* A SCAN-family reply: *2, the cursor as a bulk string, then *n and the n elements already
 * encoded (as RESP bulk strings) in `elems`. */
void db_reply_scan(struct client *c, uint64_t cursor, size_t n, const struct buf *elems);

/* SCAN-family options (MATCH, COUNT, and TYPE when allow_type) from argv[start]. Replies the
 * Redis error ("not an integer", syntax error for COUNT < 1 or anything else) and returns -1. */
struct db_scan_opts {
    long long count; /* default 10 */
    const char *pat; /* MATCH pattern, NULL when absent or "*" */
    size_t patlen;
    const struct resp_arg *type; /* TYPE name or NULL */
};
int db_parse_scan_opts(struct client *c, size_t start, bool allow_type, struct db_scan_opts *o);
/* How many bucket visits a scan call may make before returning (Redis: COUNT * 10). */
long long db_scan_max_iterations(long long count);

/* An option word compared as Redis does with strcasecmp on the argument: only the bytes before
 * the first NUL count ("nx\0junk" is NX). */
bool db_opt_is(const struct resp_arg *a, const char *word);
/* The bytes of an argument Redis would print with %s (up to the first NUL). */
size_t db_arg_cstr_len(const struct resp_arg *a);

#endif
