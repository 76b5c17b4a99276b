/* notify: keyspace notifications, see notify.h. The channel names are built in a stack buffer
 * for the usual key sizes and on the heap past it, so a long key costs one allocation. */
#include "store/notify.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "store/pubsub.h"
#include "store/server.h"

/* "__keyspace@<db>__:" + key, or "__keyevent@<db>__:" + event. */
static void notify_publish(struct server *srv, const char *kind, int db, const char *suffix,
                           size_t suffix_len, const char *msg, size_t msglen)
{
    char stack[256];
    char head[40];
    int hlen = snprintf(head, sizeof head, "__%s@%d__:", kind, db);
    size_t total = (size_t)hlen + suffix_len;
    char *ch = total <= sizeof stack ? stack : malloc(total);
    if (!ch) return; /* out of memory: the event is lost, never the write */
    memcpy(ch, head, (size_t)hlen);
    memcpy(ch + hlen, suffix, suffix_len);
    pubsub_publish(srv, ch, total, msg, msglen);
    if (ch != stack) free(ch);
}

void notify_keyspace_event(struct server *srv, unsigned cls, const char *event, const char *key,
                           size_t klen, int db)
{
    unsigned mask = srv->notify_mask;
    if (!(mask & cls)) return;
    size_t elen = strlen(event);
    if (mask & NOTIFY_KEYSPACE) notify_publish(srv, "keyspace", db, key, klen, event, elen);
    if (mask & NOTIFY_KEYEVENT) notify_publish(srv, "keyevent", db, event, elen, key, klen);
}

/* One letter per class, in the order of the canonical text. */
static const struct {
    char letter;
    unsigned cls;
} notify_letters[] = {
    {'g', NOTIFY_GENERIC},  {'$', NOTIFY_STRING},   {'l', NOTIFY_LIST},    {'s', NOTIFY_SET},
    {'h', NOTIFY_HASH},     {'z', NOTIFY_ZSET},     {'x', NOTIFY_EXPIRED}, {'e', NOTIFY_EVICTED},
    {'t', NOTIFY_STREAM},   {'d', NOTIFY_MODULE},   {'n', NOTIFY_NEW},     {'K', NOTIFY_KEYSPACE},
    {'E', NOTIFY_KEYEVENT}, {'m', NOTIFY_KEY_MISS},
};
#define NOTIFY_NLETTERS (sizeof notify_letters / sizeof notify_letters[0])

int notify_parse_classes(const char *text, unsigned *mask)
{
    unsigned m = 0;
    for (const char *p = text; *p; p++) {
        if (*p == 'A') {
            m |= NOTIFY_ALL;
            continue;
        }
        size_t i = 0;
        while (i < NOTIFY_NLETTERS && notify_letters[i].letter != *p) i++;
        if (i == NOTIFY_NLETTERS) return -1;
        m |= notify_letters[i].cls;
    }
    *mask = m;
    return 0;
}

void notify_format_classes(unsigned mask, char *out, size_t outlen)
{
    char text[24];
    size_t n = 0;
    bool is_all = (mask & NOTIFY_ALL) == NOTIFY_ALL;
    if (is_all) text[n++] = 'A';
    for (size_t i = 0; i < NOTIFY_NLETTERS; i++) {
        unsigned cls = notify_letters[i].cls;
        bool is_type_class = !(cls & (NOTIFY_KEYSPACE | NOTIFY_KEYEVENT | NOTIFY_KEY_MISS));
        if ((mask & cls) && !(is_all && is_type_class)) text[n++] = notify_letters[i].letter;
    }
    text[n] = '\0';
    snprintf(out, outlen, "%s", text);
}

void notify_apply_config(struct server *srv)
{
    unsigned mask = 0;
    const char *text = srv->cfg.notify_keyspace_events;
    if (text && notify_parse_classes(text, &mask) != 0) mask = 0; /* validated before */
    srv->notify_mask = mask;
    char canon[24];
    notify_format_classes(mask, canon, sizeof canon);
    if (text && strcmp(text, canon) == 0) return;
    free(srv->cfg.notify_keyspace_events);
    srv->cfg.notify_keyspace_events = xstrdup(canon);
}
