/* reply: what a command handler uses to answer its client. Each helper appends to the client's
 * reply buffer in the client's protocol (RESP2 or RESP3) and schedules the flush; nothing here
 * writes to a socket. Replies to the master link and to clients with CLIENT REPLY OFF/SKIP are
 * dropped here, in one place, so handlers never need to care. */
#ifndef VIGIL_REPLY_H
#define VIGIL_REPLY_H

#include <stdbool.h>
#include <stddef.h>

#include "store/server.h"

/* Shared error strings, byte-exact with Redis 7. */
#define ERR_SYNTAX "ERR syntax error"
#define ERR_WRONGTYPE "WRONGTYPE Operation against a key holding the wrong kind of value"
#define ERR_NOT_INT "ERR value is not an integer or out of range"
#define ERR_NOT_FLOAT "ERR value is not a valid float"
#define ERR_OVERFLOW "ERR increment or decrement would overflow"
#define ERR_NO_SUCH_KEY "ERR no such key"
#define ERR_DB_INDEX "ERR DB index is out of range"
#define ERR_INVALID_EXPIRE "ERR invalid expire time in '%s' command"

void reply_ok(struct client *c);
void reply_simple(struct client *c, const char *s);
/* An array of simple strings: the HELP subcommands' replies. */
void reply_simple_lines(struct client *c, const char *const *lines, size_t n);
/* msg is the full error line without '-', e.g. "ERR syntax error". */
void reply_error(struct client *c, const char *msg);
void reply_errorf(struct client *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void reply_integer(struct client *c, long long v);
void reply_bulk(struct client *c, const char *p, size_t n);
void reply_bulk_str(struct client *c, const char *s);
void reply_bulk_ll(struct client *c, long long v);
void reply_double(struct client *c, double v); /* RESP3 double, RESP2 bulk */
void reply_null(struct client *c);             /* _ or $-1 */
void reply_null_array(struct client *c);       /* _ or *-1 */
void reply_bool(struct client *c, bool v);
void reply_array(struct client *c, size_t n);
void reply_map(struct client *c, size_t npairs);
void reply_set(struct client *c, size_t n);
void reply_push(struct client *c, size_t n);
void reply_verbatim(struct client *c, const char *p, size_t n);
void reply_empty_array(struct client *c);
/* Raw protocol bytes (already encoded). */
void reply_raw(struct client *c, const char *p, size_t n);

/* Aggregates whose length is known only at the end (KEYS, SCAN): begin returns a handle, end
 * inserts the header. Nothing else may be deferred in between. */
size_t reply_deferred_begin(struct client *c);
void reply_deferred_array(struct client *c, size_t handle, size_t n);
void reply_deferred_map(struct client *c, size_t handle, size_t npairs);
void reply_deferred_set(struct client *c, size_t handle, size_t n);

/* Map a keyspace error code (KS_ERR_*) to its Redis error reply. */
void reply_ks_error(struct client *c, int ks_err);

/* Argument helpers: reply the Redis error and return -1 when the argument is not valid. */
int arg_ll(struct client *c, const struct resp_arg *a, long long *out);
int arg_ll_range(struct client *c, const struct resp_arg *a, long long min, long long max,
                 const char *msg, long long *out);
int arg_double(struct client *c, const struct resp_arg *a, double *out);
bool arg_is(const struct resp_arg *a, const char *word); /* case-insensitive */

#endif
