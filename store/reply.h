/* reply (store): the reply helpers of common/reply.h, plus the store's shared error strings
 * (byte-exact with Redis 7), keyspace errors and argument parsing that replies on bad input. */
#ifndef VIGIL_STORE_REPLY_H
#define VIGIL_STORE_REPLY_H

#include <stdbool.h>
#include <stddef.h>

#include "common/reply.h"
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

/* Map a keyspace error code (KS_ERR_*) to its Redis error reply. */
void reply_ks_error(struct client *c, int ks_err);

/* Argument helpers: reply the Redis error and return -1 when the argument is not valid. */
int arg_ll(struct client *c, const struct resp_arg *a, long long *out);
int arg_ll_range(struct client *c, const struct resp_arg *a, long long min, long long max,
                 const char *msg, long long *out);
int arg_double(struct client *c, const struct resp_arg *a, double *out);
bool arg_is(const struct resp_arg *a, const char *word); /* case-insensitive */

#endif
