/* save_points: see save_points.h. */
#include "store/persist/save_points.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One token of exactly [s, end): a decimal integer (strtoll's syntax: optional sign) that
 * fills the whole token. */
static int parse_token(const char *s, const char *end, long long *out)
{
    char tmp[32];
    size_t n = (size_t)(end - s);
    if (n == 0 || n >= sizeof tmp) return -1;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    char *stop;
    errno = 0;
    long long v = strtoll(tmp, &stop, 10);
    if (*stop != '\0' || errno != 0 || stop == tmp) return -1;
    *out = v;
    return 0;
}

int save_points_parse(const char *text, struct save_points *out)
{
    struct save_points sp = {.count = 0};
    if (text == NULL || text[0] == '\0') {
        *out = sp;
        return 0;
    }
    long long vals[2 * SAVE_POINTS_MAX];
    size_t n = 0;
    const char *s = text;
    for (;;) {
        const char *end = strchr(s, ' ');
        if (!end) end = s + strlen(s);
        if (n == 2 * SAVE_POINTS_MAX || parse_token(s, end, &vals[n]) != 0) return -1;
        if (vals[n] < ((n % 2 == 0) ? 1 : 0)) return -1; /* seconds >= 1, changes >= 0 */
        n++;
        if (*end == '\0') break;
        s = end + 1;
    }
    if (n % 2 != 0) return -1;
    for (size_t i = 0; i < n; i += 2)
        sp.p[sp.count++] = (struct save_point){.seconds = vals[i], .changes = vals[i + 1]};
    *out = sp;
    return 0;
}

size_t save_points_format(const struct save_points *sp, char *out, size_t cap)
{
    size_t len = 0;
    if (cap == 0) return 0;
    out[0] = '\0';
    for (size_t i = 0; i < sp->count && len < cap; i++) {
        int n = snprintf(out + len, cap - len, "%s%lld %lld", i ? " " : "", sp->p[i].seconds,
                         sp->p[i].changes);
        if (n < 0) break;
        len += (size_t)n;
    }
    return len < cap ? len : cap - 1;
}

bool save_points_may_retry(const struct save_points_now *st)
{
    return st->is_last_bgsave_ok || st->now_s - st->last_try_s > SAVE_POINTS_RETRY_DELAY_S;
}

int save_points_due(const struct save_points *sp, const struct save_points_now *st)
{
    if (!save_points_may_retry(st)) return -1;
    for (size_t i = 0; i < sp->count; i++) {
        if (st->dirty >= sp->p[i].changes && st->now_s - st->lastsave_s > sp->p[i].seconds)
            return (int)i;
    }
    return -1;
}
