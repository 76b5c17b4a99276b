/* describe: read-only views of the core for replies: instance descriptions
 * (docs/sentinel-protocol.md#instance-description) (as ordered name/value string pairs the server
 * writes as a RESP2 flat array or a RESP3 map), the INFO "sentinel" section, ROLE's master list,
 * INFO-CACHE (the durable-state snapshot is state.c's). Field names, order, presence rules and flag
 * words are byte-exact with Redis Sentinel 7.0's; every value is a string (numbers too: clients
 * parse them from bulk strings). Ownership: results are owned by the caller and released with the
 * matching *_free function.
 */
#ifndef VIGIL_SENTINEL_DESCRIBE_H
#define VIGIL_SENTINEL_DESCRIBE_H

#include <stddef.h>

#include "common/buf.h"
#include "sentinel/core/sentinel.h"

#define SENTINEL_DESC_MAX 48

struct sentinel_field {
    const char *name; /* static string */
    char *value;      /* owned */
};

struct sentinel_desc {
    size_t n;
    struct sentinel_field fields[SENTINEL_DESC_MAX];
};

struct sentinel_desc_list {
    size_t n;
    struct sentinel_desc *items;
};

void sentinel_desc_free(struct sentinel_desc *d);
void sentinel_desc_list_free(struct sentinel_desc_list *l);

/* SENTINEL MASTER <name>: 0, or -1 when no such master. */
int sentinel_describe_master(const struct sentinel *s, const char *name, struct sentinel_desc *out);
/* SENTINEL MASTERS. */
void sentinel_describe_masters(const struct sentinel *s, struct sentinel_desc_list *out);
/* SENTINEL REPLICAS|SLAVES <name> (unannounced replicas omitted): 0 or -1. */
int sentinel_describe_replicas(const struct sentinel *s, const char *name,
                               struct sentinel_desc_list *out);
/* SENTINEL SENTINELS <name>: 0 or -1. */
int sentinel_describe_sentinels(const struct sentinel *s, const char *name,
                                struct sentinel_desc_list *out);

/* The "# Sentinel" INFO section (docs/sentinel-protocol.md#info), CRLF line ends, appended to out.
 * Script counts are the shell's and passed in. */
void sentinel_info_section(const struct sentinel *s, int running_scripts, int queued_scripts,
                           struct buf *out);

/* INFO-CACHE: one entry per selected master. */
struct sentinel_info_cache_item {
    long long age_ms; /* ms since that INFO reply; 0 when never */
    const char *text; /* NULL when never received (borrowed, valid until the next core call) */
    size_t len;
};
struct sentinel_info_cache_entry {
    const char *master_name; /* borrowed */
    size_t n;                /* items[0] is the master, then its replicas */
    struct sentinel_info_cache_item *items;
};
struct sentinel_info_cache {
    size_t n;
    struct sentinel_info_cache_entry *entries;
};
/* names NULL/argc 0 = all masters; unknown names are ignored. */
void sentinel_info_cache(const struct sentinel *s, int argc, const char *const *names,
                         struct sentinel_info_cache *out);
void sentinel_info_cache_free(struct sentinel_info_cache *c);

#endif
