/* notify: keyspace notifications (`notify-keyspace-events`), published on
 * `__keyspace@<db>__:<key>` (message: the event name) and `__keyevent@<db>__:<event>`
 * (message: the key), as Redis 7.0 does (docs/notifications.md#keyspace-notifications).
 *
 * Every command that changes a key calls notify_keyspace_event() once per event, with the
 * event's class and Redis's event name ("set", "lpush", "expired", "xadd", ...). The call is
 * cheap when notifications are off (the default): one test of the configured class mask. */
#ifndef VIGIL_NOTIFY_H
#define VIGIL_NOTIFY_H

#include <stddef.h>

struct server;

/* Event classes: the letters of notify-keyspace-events. */
enum notify_class {
    NOTIFY_KEYSPACE = 1 << 0,  /* K */
    NOTIFY_KEYEVENT = 1 << 1,  /* E */
    NOTIFY_GENERIC = 1 << 2,   /* g: DEL, EXPIRE, RENAME, ... */
    NOTIFY_STRING = 1 << 3,    /* $ */
    NOTIFY_LIST = 1 << 4,      /* l */
    NOTIFY_SET = 1 << 5,       /* s */
    NOTIFY_HASH = 1 << 6,      /* h */
    NOTIFY_ZSET = 1 << 7,      /* z */
    NOTIFY_EXPIRED = 1 << 8,   /* x */
    NOTIFY_EVICTED = 1 << 9,   /* e */
    NOTIFY_STREAM = 1 << 10,   /* t */
    NOTIFY_KEY_MISS = 1 << 11, /* m (not part of A) */
    NOTIFY_NEW = 1 << 12,      /* n (not part of A) */
    NOTIFY_MODULE = 1 << 13,   /* d: module key types (we have none; accepted as Redis does) */
};

/* What the letter A stands for: every type class, not m, n, K or E. */
#define NOTIFY_ALL                                                                                 \
    (NOTIFY_GENERIC | NOTIFY_STRING | NOTIFY_LIST | NOTIFY_SET | NOTIFY_HASH | NOTIFY_ZSET |       \
     NOTIFY_EXPIRED | NOTIFY_EVICTED | NOTIFY_STREAM | NOTIFY_MODULE)

/* The text of notify-keyspace-events ("KEA", "Ex", "") as a mask. 0, or -1 on a letter that
 * is not a class (Redis's message for it: NOTIFY_BAD_CLASS_TEXT). */
int notify_parse_classes(const char *text, unsigned *mask);
#define NOTIFY_BAD_CLASS_TEXT "Invalid event class character. Use 'Ag$lshzxeKEtmdn'."
/* The mask as CONFIG GET shows it: the type classes (or A when all), then K, E, m; n is
 * printed among the type classes only when A is not (Redis's canonical form). out needs 20
 * bytes. */
void notify_format_classes(unsigned mask, char *out, size_t outlen);

/* Publish `event` of class `cls` for `key` in database `db`, if the server's configured mask
 * has the class and at least one of K/E. */
void notify_keyspace_event(struct server *srv, unsigned cls, const char *event, const char *key,
                           size_t klen, int db);

/* After a config change: the mask from cfg.notify_keyspace_events, whose text becomes the
 * canonical form CONFIG GET and CONFIG REWRITE show. */
void notify_apply_config(struct server *srv);

#endif
