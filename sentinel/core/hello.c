/* hello: strict format/parse of the hello payload (see hello.h). */
#include "sentinel/core/hello.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "common/util.h"

#define HELLO_FIELDS 8

static int take_str(char *dst, size_t cap, const char *s, size_t len)
{
    if (len == 0 || len >= cap) return -1;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] <= ' ' || s[i] == 0x7f) return -1;
    memcpy(dst, s, len);
    dst[len] = '\0';
    return 0;
}

static int take_port(int *out, const char *s, size_t len)
{
    long long v;
    if (util_parse_ll(s, len, &v) != 0 || v < 0 || v > 65535) return -1;
    *out = (int)v;
    return 0;
}

static int take_epoch(uint64_t *out, const char *s, size_t len)
{
    unsigned long long v;
    if (len == 0 || s[0] == '-' || util_parse_ull(s, len, &v) != 0) return -1;
    *out = (uint64_t)v;
    return 0;
}

static int take_runid(char *dst, const char *s, size_t len)
{
    if (len != SENTINEL_RUNID_LEN) return -1;
    for (size_t i = 0; i < len; i++)
        if (!isalnum((unsigned char)s[i])) return -1;
    memcpy(dst, s, len);
    dst[len] = '\0';
    return 0;
}

int hello_parse(const char *payload, size_t len, struct hello *out)
{
    const char *tok[HELLO_FIELDS];
    size_t tlen[HELLO_FIELDS];
    size_t n = 0;
    const char *p = payload, *end = payload + len;
    if (payload == NULL || len == 0 || len > HELLO_MAX_LEN) return -1;
    for (;;) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *tend = comma ? comma : end;
        if (n == HELLO_FIELDS) return -1; /* too many fields */
        tok[n] = p;
        tlen[n] = (size_t)(tend - p);
        n++;
        if (comma == NULL) break;
        p = comma + 1;
    }
    if (n != HELLO_FIELDS) return -1;
    memset(out, 0, sizeof(*out));
    if (take_str(out->ip, sizeof(out->ip), tok[0], tlen[0]) != 0) return -1;
    if (take_port(&out->port, tok[1], tlen[1]) != 0) return -1;
    if (take_runid(out->runid, tok[2], tlen[2]) != 0) return -1;
    if (take_epoch(&out->current_epoch, tok[3], tlen[3]) != 0) return -1;
    if (take_str(out->master_name, sizeof(out->master_name), tok[4], tlen[4]) != 0) return -1;
    if (take_str(out->master_ip, sizeof(out->master_ip), tok[5], tlen[5]) != 0) return -1;
    if (take_port(&out->master_port, tok[6], tlen[6]) != 0) return -1;
    if (take_epoch(&out->master_config_epoch, tok[7], tlen[7]) != 0) return -1;
    return 0;
}

size_t hello_format(char *buf, size_t cap, const struct hello *h)
{
    if (strchr(h->ip, ',') || strchr(h->master_name, ',') || strchr(h->master_ip, ',') ||
        strchr(h->runid, ','))
        return 0;
    int n = snprintf(buf, cap, "%s,%d,%s,%llu,%s,%s,%d,%llu", h->ip, h->port, h->runid,
                     (unsigned long long)h->current_epoch, h->master_name, h->master_ip,
                     h->master_port, (unsigned long long)h->master_config_epoch);
    if (n < 0 || (size_t)n >= cap) return 0;
    return (size_t)n;
}
