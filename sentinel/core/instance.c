/* instance: records for masters, replicas and peer sentinels (see instance.h). Creation, lookup,
 * formatting and freeing only; no decisions are taken here. */
#include "sentinel/core/instance.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/util.h"

#define DEFAULT_SLAVE_PRIORITY 100

static struct instance *instance_alloc(uint64_t id, enum instance_kind kind, const char *host,
                                       int port, int64_t now_ms)
{
    struct instance *ri = xcalloc(1, sizeof(*ri));
    ri->id = id;
    ri->kind = kind;
    ri->host = xstrdup(host);
    ri->ip = xstrdup(host);
    ri->port = port;
    ri->created_ms = now_ms;
    /* A new record counts as pinged now: one that never answers goes down after down-after. */
    ri->act_ping_ms = now_ms;
    ri->last_avail_ms = now_ms;
    ri->role_reported_ms = now_ms;
    ri->slave_priority = DEFAULT_SLAVE_PRIORITY;
    ri->replica_announced = true;
    ri->slave_conf_change_ms = now_ms;
    return ri;
}

struct instance *instance_create_master(uint64_t id, const char *name, const char *host, int port,
                                        const struct sentinel_master_params *params, int64_t now_ms)
{
    struct instance *ri = instance_alloc(id, INSTANCE_MASTER, host, port, now_ms);
    ri->name = xstrdup(name);
    ri->role_reported = ROLE_MASTER;
    ri->record = xcalloc(1, sizeof(*ri->record));
    sentinel_params_copy(&ri->record->params, params);
    return ri;
}

size_t instance_addr_key(char *buf, size_t cap, const char *host, int port)
{
    int n = strchr(host, ':') ? snprintf(buf, cap, "[%s]:%d", host, port)
                              : snprintf(buf, cap, "%s:%d", host, port);
    if (n < 0) n = 0;
    return (size_t)n < cap ? (size_t)n : cap - 1;
}

struct instance *instance_add_replica(struct instance *master, uint64_t id, const char *host,
                                      int port, int64_t now_ms)
{
    ASSERT(master->record != NULL);
    if (master->record->n_replicas >= INSTANCE_MAX_REPLICAS) return NULL;
    struct instance *ri = instance_alloc(id, INSTANCE_REPLICA, host, port, now_ms);
    char key[INSTANCE_HOST_MAX + 16];
    instance_addr_key(key, sizeof(key), host, port);
    ri->name = xstrdup(key);
    ri->role_reported = ROLE_SLAVE;
    ri->master = master;
    master->record->replicas[master->record->n_replicas++] = ri;
    return ri;
}

struct instance *instance_add_sentinel(struct instance *master, uint64_t id, const char *host,
                                       int port, const char *runid, int64_t now_ms)
{
    ASSERT(master->record != NULL);
    if (master->record->n_sentinels >= INSTANCE_MAX_SENTINELS) return NULL;
    struct instance *ri = instance_alloc(id, INSTANCE_SENTINEL, host, port, now_ms);
    ri->name = xstrdup(runid);
    snprintf(ri->runid, sizeof(ri->runid), "%s", runid);
    ri->master = master;
    master->record->sentinels[master->record->n_sentinels++] = ri;
    return ri;
}

static void table_remove(struct instance **tab, size_t *n, struct instance *ri)
{
    for (size_t i = 0; i < *n; i++) {
        if (tab[i] != ri) continue;
        memmove(&tab[i], &tab[i + 1], (*n - i - 1) * sizeof(*tab));
        (*n)--;
        return;
    }
}

static void instance_free_fields(struct instance *ri)
{
    free(ri->name);
    free(ri->host);
    free(ri->ip);
    free(ri->info);
    free(ri->slave_master_host);
    free(ri);
}

void instance_remove_replica(struct instance *master, struct instance *ri)
{
    table_remove(master->record->replicas, &master->record->n_replicas, ri);
    if (master->record->promoted == ri) master->record->promoted = NULL;
    instance_free_fields(ri);
}

void instance_remove_sentinel(struct instance *master, struct instance *ri)
{
    table_remove(master->record->sentinels, &master->record->n_sentinels, ri);
    instance_free_fields(ri);
}

void instance_free(struct instance *ri)
{
    if (ri == NULL) return;
    if (ri->kind == INSTANCE_MASTER) {
        for (size_t i = 0; i < ri->record->n_replicas; i++)
            instance_free_fields(ri->record->replicas[i]);
        for (size_t i = 0; i < ri->record->n_sentinels; i++)
            instance_free_fields(ri->record->sentinels[i]);
        sentinel_params_free(&ri->record->params);
        free(ri->record);
        instance_free_fields(ri);
    } else if (ri->kind == INSTANCE_REPLICA) {
        instance_remove_replica(ri->master, ri);
    } else {
        instance_remove_sentinel(ri->master, ri);
    }
}

struct instance *instance_find_replica(const struct instance *master, const char *host, int port)
{
    for (size_t i = 0; i < master->record->n_replicas; i++) {
        struct instance *r = master->record->replicas[i];
        if (instance_addr_is(r, host, port)) return r;
    }
    return NULL;
}

struct instance *instance_find_sentinel_by_runid(const struct instance *master, const char *runid)
{
    for (size_t i = 0; i < master->record->n_sentinels; i++)
        if (strcmp(master->record->sentinels[i]->runid, runid) == 0)
            return master->record->sentinels[i];
    return NULL;
}

struct instance *instance_find_sentinel_by_addr(const struct instance *master, const char *host,
                                                int port)
{
    for (size_t i = 0; i < master->record->n_sentinels; i++) {
        struct instance *r = master->record->sentinels[i];
        if (instance_addr_is(r, host, port)) return r;
    }
    return NULL;
}

bool instance_addr_is(const struct instance *ri, const char *host, int port)
{
    return ri->port == port && (strcasecmp(ri->host, host) == 0 || strcasecmp(ri->ip, host) == 0);
}

const char *instance_announced_host(const struct instance *ri, bool announce_hostnames)
{
    return announce_hostnames ? ri->host : ri->ip;
}

void instance_set_ip(struct instance *ri, const char *ip)
{
    char *copy = xstrdup(ip);
    free(ri->ip);
    ri->ip = copy;
}

void instance_set_address(struct instance *ri, const char *host, int port)
{
    char *h = xstrdup(host);
    free(ri->host);
    ri->host = h;
    instance_set_ip(ri, h);
    ri->port = port;
    if (ri->kind == INSTANCE_REPLICA) {
        char key[INSTANCE_HOST_MAX + 16];
        instance_addr_key(key, sizeof(key), host, port);
        free(ri->name);
        ri->name = xstrdup(key);
    }
}

void instance_set_info(struct instance *ri, const char *text, size_t len)
{
    free(ri->info);
    ri->info = xstrndup(text, len);
    ri->info_len = len;
}

bool instance_is_disconnected(const struct instance *ri)
{
    if (!ri->link.is_cmd_connected) return true;
    return ri->kind != INSTANCE_SENTINEL && !ri->link.is_pubsub_connected;
}

size_t instance_flags_format(const struct instance *ri, char *buf, size_t cap)
{
    static const struct {
        uint32_t bit;
        const char *word;
    } tail[] = {
        {SRI_MASTER_DOWN, "master_down"},
        {SRI_FAILOVER_IN_PROGRESS, "failover_in_progress"},
        {SRI_PROMOTED, "promoted"},
        {SRI_RECONF_SENT, "reconf_sent"},
        {SRI_RECONF_INPROG, "reconf_inprog"},
        {SRI_RECONF_DONE, "reconf_done"},
        {SRI_FORCE_FAILOVER, "force_failover"},
        {SRI_SCRIPT_KILL_SENT, "script_kill_sent"},
        {SRI_MASTER_REBOOT, "master_reboot"},
    };
    const char *words[16];
    size_t n = 0;
    if (ri->flags & SRI_S_DOWN) words[n++] = "s_down";
    if (ri->flags & SRI_O_DOWN) words[n++] = "o_down";
    words[n++] = ri->kind == INSTANCE_MASTER    ? "master"
                 : ri->kind == INSTANCE_REPLICA ? "slave"
                                                : "sentinel";
    if (instance_is_disconnected(ri)) words[n++] = "disconnected";
    for (size_t i = 0; i < ARRAY_LEN(tail); i++)
        if (ri->flags & tail[i].bit) words[n++] = tail[i].word;
    size_t len = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        int w = snprintf(buf + len, cap - len, "%s%s", i ? "," : "", words[i]);
        if (w < 0 || (size_t)w >= cap - len) return len;
        len += (size_t)w;
    }
    return len;
}

size_t instance_describe_id(const struct instance *ri, bool announce_hostnames, char *buf,
                            size_t cap)
{
    const char *host = instance_announced_host(ri, announce_hostnames);
    int n;
    const char *kind = ri->kind == INSTANCE_MASTER    ? "master"
                       : ri->kind == INSTANCE_REPLICA ? "slave"
                                                      : "sentinel";
    if (ri->kind == INSTANCE_MASTER)
        n = snprintf(buf, cap, "master %s %s %d", ri->name, host, ri->port);
    else
        n = snprintf(buf, cap, "%s %s %s %d @ %s %s %d", kind, ri->name, host, ri->port,
                     ri->master->name, instance_announced_host(ri->master, announce_hostnames),
                     ri->master->port);
    if (n < 0) n = 0;
    return (size_t)n < cap ? (size_t)n : cap - 1;
}

const char *instance_failover_state_name(enum failover_state st)
{
    static const char *const names[] = {
        "none",           "wait_start",    "select_slave", "send_slaveof_noone",
        "wait_promotion", "reconf_slaves", "update_config"};
    return (unsigned)st < ARRAY_LEN(names) ? names[st] : "unknown";
}

const char *instance_role_name(enum instance_role r)
{
    return r == ROLE_MASTER ? "master" : r == ROLE_SLAVE ? "slave" : "unknown";
}

bool instance_has_replid(const char *id) { return id[0] != '\0' && strspn(id, "0") != strlen(id); }
