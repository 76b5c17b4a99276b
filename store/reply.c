/* reply (store): the store's error replies and argument helpers; see reply.h. The reply helpers
 * themselves are common/reply.c, shared with the sentinel. */
#include "store/reply.h"

#include "common/resp.h"
#include "common/util.h"
#include "store/client.h"

void reply_ks_error(struct client *c, int ks_err)
{
    switch (ks_err) {
    case KS_ERR_WRONGTYPE:
        reply_error(c, ERR_WRONGTYPE);
        break;
    case KS_ERR_NOT_INT:
        reply_error(c, ERR_NOT_INT);
        break;
    case KS_ERR_OVERFLOW:
        reply_error(c, ERR_OVERFLOW);
        break;
    case KS_ERR_NOT_FLOAT:
        reply_error(c, ERR_NOT_FLOAT);
        break;
    case KS_ERR_NAN:
        reply_error(c, "ERR increment would produce NaN or Infinity");
        break;
    case KS_ERR_TOO_BIG:
        reply_error(c, "ERR string exceeds maximum allowed size (proto-max-bulk-len)");
        break;
    default:
        reply_errorf(c, "ERR internal error %d", ks_err);
        break;
    }
}

int arg_ll(struct client *c, const struct resp_arg *a, long long *out)
{
    if (util_parse_ll(a->ptr, a->len, out) == 0) return 0;
    reply_error(c, ERR_NOT_INT);
    return -1;
}

int arg_ll_range(struct client *c, const struct resp_arg *a, long long min, long long max,
                 const char *msg, long long *out)
{
    long long v;
    if (util_parse_ll(a->ptr, a->len, &v) != 0 || v < min || v > max) {
        reply_error(c, msg ? msg : ERR_NOT_INT);
        return -1;
    }
    *out = v;
    return 0;
}

int arg_double(struct client *c, const struct resp_arg *a, double *out)
{
    if (util_parse_double(a->ptr, a->len, out) == 0) return 0;
    reply_error(c, ERR_NOT_FLOAT);
    return -1;
}

bool arg_is(const struct resp_arg *a, const char *word)
{
    return util_eq_nocase(a->ptr, a->len, word);
}
