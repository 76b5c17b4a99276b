/* store_config_obuf: client-output-buffer-limit, Redis's text form ("normal 0 0 0 replica 256mb
 * 64mb 60 ...") parsed into per-class limits and written back in the canonical form CONFIG GET
 * shows. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/util.h"
#include "store/store_config.h"

static int parse_size_token(const char *tok, long long *out)
{
    char *end;
    long long v = strtoll(tok, &end, 10);
    if (end == tok || v < 0) return -1;
    /* As redis.conf: k/m/g are powers of 1000, kb/mb/gb powers of 1024. */
    static const struct {
        const char *suffix;
        long long mul;
    } units[] = {{"", 1},        {"b", 1},          {"k", 1000},       {"kb", 1024},
                 {"m", 1000000}, {"mb", 1LL << 20}, {"g", 1000000000}, {"gb", 1LL << 30}};
    long long mul = 0;
    for (size_t i = 0; i < sizeof units / sizeof units[0] && !mul; i++)
        if (strcasecmp(end, units[i].suffix) == 0) mul = units[i].mul;
    if (!mul || v > LLONG_MAX / mul) return -1;
    *out = v * mul;
    return 0;
}

int store_config_parse_obuf(const char *text, struct obuf_limit out[OBUF_CLASSES], char *err,
                            size_t errlen)
{
    char copy[512];
    if (strlen(text) >= sizeof copy) {
        snprintf(err, errlen, "value too long");
        return -1;
    }
    snprintf(copy, sizeof copy, "%s", text);
    struct obuf_limit tmp[OBUF_CLASSES];
    memcpy(tmp, out, sizeof tmp);
    char *save = NULL, *tok[4];
    int n = 0;
    for (char *t = strtok_r(copy, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
        tok[n++] = t;
        if (n < 4) continue;
        n = 0;
        int cls;
        if (strcasecmp(tok[0], "normal") == 0)
            cls = OBUF_NORMAL;
        else if (strcasecmp(tok[0], "replica") == 0 || strcasecmp(tok[0], "slave") == 0)
            cls = OBUF_REPLICA;
        else if (strcasecmp(tok[0], "pubsub") == 0)
            cls = OBUF_PUBSUB;
        else {
            snprintf(err, errlen, "unknown client class \"%s\"", tok[0]);
            return -1;
        }
        long long secs;
        if (parse_size_token(tok[1], &tmp[cls].hard_bytes) ||
            parse_size_token(tok[2], &tmp[cls].soft_bytes) ||
            util_parse_ll(tok[3], strlen(tok[3]), &secs) != 0 || secs < 0) {
            snprintf(err, errlen, "expected <class> <hard limit> <soft limit> <soft seconds>");
            return -1;
        }
        tmp[cls].soft_seconds = secs;
    }
    if (n != 0) {
        snprintf(err, errlen,
                 "expected groups of <class> <hard limit> <soft limit> <soft seconds>");
        return -1;
    }
    memcpy(out, tmp, sizeof tmp);
    return 0;
}

int store_config_apply_obuf(struct store_config *cfg, char *err, size_t errlen)
{
    if (!cfg->client_output_buffer_limit) return 0;
    if (store_config_parse_obuf(cfg->client_output_buffer_limit, cfg->obuf, err, errlen) != 0)
        return -1;
    static const char *const names[OBUF_CLASSES] = {"normal", "slave", "pubsub"};
    char text[256];
    size_t used = 0;
    for (int i = 0; i < OBUF_CLASSES; i++) {
        used += (size_t)snprintf(text + used, sizeof text - used, "%s%s %lld %lld %lld",
                                 i ? " " : "", names[i], cfg->obuf[i].hard_bytes,
                                 cfg->obuf[i].soft_bytes, cfg->obuf[i].soft_seconds);
    }
    free(cfg->client_output_buffer_limit);
    cfg->client_output_buffer_limit = xstrdup(text);
    return 0;
}
