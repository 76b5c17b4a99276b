/* notify: keyspace notifications, see notify.h. The channel names are built in a stack buffer
 * for the usual key sizes and on the heap past it, so a long key costs one allocation. */
#include "store/notify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
