/* info_parse: INFO text -> struct info_parsed (see info_parse.h). Pure: no allocation, no state
 * outside *out, and any input, however broken, yields a parse (fields simply stay unset). */
#include "sentinel/core/info_parse.h"

#include <ctype.h>
#include <string.h>

#include "common/util.h"

static bool has_prefix(const char *line, size_t len, const char *prefix, size_t *plen)
{
    size_t n = strlen(prefix);
    if (len < n || memcmp(line, prefix, n) != 0) return false;
    *plen = n;
    return true;
}

static void copy_str(char *dst, size_t cap, const char *src, size_t len)
{
    if (len >= cap) len = cap - 1;
    memcpy(dst, src, len);
    dst[len] = '\0';
}

static bool parse_port(const char *s, size_t len, int *out)
{
    long long v;
    if (util_parse_ll(s, len, &v) != 0 || v < 0 || v > 65535) return false;
    *out = (int)v;
    return true;
}

/* New format: "ip=127.0.0.1,port=6380,state=online,offset=0,lag=0". Old: "ip,port,state". */
int info_parse_replica_line(const char *val, size_t len, struct info_replica_entry *out)
{
    const char *ip = NULL, *port = NULL;
    size_t ip_len = 0, port_len = 0;
    if (memchr(val, '=', len) != NULL) {
        const char *p = val, *end = val + len;
        while (p < end) {
            const char *comma = memchr(p, ',', (size_t)(end - p));
            const char *fend = comma ? comma : end;
            size_t flen = (size_t)(fend - p);
            if (flen > 3 && memcmp(p, "ip=", 3) == 0) {
                ip = p + 3;
                ip_len = flen - 3;
            } else if (flen > 5 && memcmp(p, "port=", 5) == 0) {
                port = p + 5;
                port_len = flen - 5;
            }
            p = fend + 1;
        }
    } else {
        const char *c1 = memchr(val, ',', len);
        if (c1 == NULL) return -1;
        const char *rest = c1 + 1;
        const char *c2 = memchr(rest, ',', (size_t)(val + len - rest));
        ip = val;
        ip_len = (size_t)(c1 - val);
        port = rest;
        port_len = c2 ? (size_t)(c2 - rest) : (size_t)(val + len - rest);
    }
    if (ip == NULL || port == NULL || ip_len == 0 || ip_len > INFO_HOST_MAX) return -1;
    if (!parse_port(port, port_len, &out->port)) return -1;
    copy_str(out->ip, sizeof(out->ip), ip, ip_len);
    return 0;
}

/* A 40-character alphanumeric id (run id, replication id) into dst; false if malformed. */
static bool parse_id(const char *v, size_t len, char *dst)
{
    if (len != SENTINEL_RUNID_LEN) return false;
    for (size_t i = 0; i < len; i++)
        if (!isalnum((unsigned char)v[i])) return false;
    copy_str(dst, SENTINEL_RUNID_LEN + 1, v, len);
    return true;
}

static void parse_run_id(const char *v, size_t len, struct info_parsed *out)
{
    if (parse_id(v, len, out->run_id)) out->has_run_id = true;
}

static void parse_slave_entry(const char *line, size_t len, struct info_parsed *out)
{
    /* "slave" + digits + ":" + value */
    size_t i = 5;
    while (i < len && isdigit((unsigned char)line[i])) i++;
    if (i == 5 || i >= len || line[i] != ':') return;
    if (out->n_replicas >= INFO_MAX_REPLICAS) {
        out->n_replicas_dropped++;
        return;
    }
    if (info_parse_replica_line(line + i + 1, len - i - 1, &out->replicas[out->n_replicas]) == 0)
        out->n_replicas++;
}

/* Fields only meaningful after role:slave. Returns true if the line was one of them. */
static bool parse_replica_field(const char *line, size_t len, struct info_parsed *out)
{
    size_t n;
    long long v;
    if (has_prefix(line, len, "master_host:", &n)) {
        copy_str(out->master_host, sizeof(out->master_host), line + n, len - n);
        out->has_master_host = true;
    } else if (has_prefix(line, len, "master_port:", &n)) {
        out->has_master_port = parse_port(line + n, len - n, &out->master_port);
    } else if (has_prefix(line, len, "master_link_status:", &n)) {
        out->has_link_status = true;
        out->master_link_up = util_eq_nocase(line + n, len - n, "up");
    } else if (has_prefix(line, len, "slave_priority:", &n)) {
        if (util_parse_ll(line + n, len - n, &v) == 0 && v >= 0 && v <= 0x7fffffff) {
            out->slave_priority = (int)v;
            out->has_slave_priority = true;
        }
    } else if (has_prefix(line, len, "slave_repl_offset:", &n)) {
        if (util_parse_ll(line + n, len - n, &v) == 0) {
            out->slave_repl_offset = v;
            out->has_slave_repl_offset = true;
        }
    } else if (has_prefix(line, len, "replica_announced:", &n)) {
        if (util_parse_ll(line + n, len - n, &v) == 0) {
            out->replica_announced = v != 0;
            out->has_replica_announced = true;
        }
    } else {
        return false;
    }
    return true;
}

/* master_failover_state (Redis 6.2+ and vigil-store: the node-side FAILOVER command). */
static void parse_failover_state(const char *v, size_t len, struct info_parsed *out)
{
    static const struct {
        const char *word;
        enum info_failover_state st;
    } words[] = {{"no-failover", INFO_FO_NONE},
                 {"waiting-for-sync", INFO_FO_WAIT_SYNC},
                 {"failover-in-progress", INFO_FO_IN_PROGRESS}};
    for (size_t i = 0; i < ARRAY_LEN(words); i++) {
        if (len == strlen(words[i].word) && memcmp(v, words[i].word, len) == 0) {
            out->failover_state = words[i].st;
            out->has_failover_state = true;
        }
    }
}

static void parse_line(const char *line, size_t len, struct info_parsed *out)
{
    size_t n;
    long long v;
    if (len == 0 || line[0] == '#') return;
    if (has_prefix(line, len, "run_id:", &n)) {
        parse_run_id(line + n, len - n, out);
    } else if (len > 5 && memcmp(line, "slave", 5) == 0 && isdigit((unsigned char)line[5])) {
        parse_slave_entry(line, len, out);
    } else if (has_prefix(line, len, "master_link_down_since_seconds:", &n)) {
        if (util_parse_ll(line + n, len - n, &v) == 0 && v > -1000000000LL && v < 1000000000LL)
            out->master_link_down_ms = v * 1000;
    } else if (has_prefix(line, len, "role:", &n)) {
        if (len - n == 6 && memcmp(line + n, "master", 6) == 0)
            out->role = ROLE_MASTER;
        else if (len - n == 5 && memcmp(line + n, "slave", 5) == 0)
            out->role = ROLE_SLAVE;
    } else if (has_prefix(line, len, "master_repl_offset:", &n)) {
        if (util_parse_ll(line + n, len - n, &v) == 0) {
            out->master_repl_offset = v;
            out->has_master_repl_offset = true;
        }
    } else if (has_prefix(line, len, "second_repl_offset:", &n)) {
        if (util_parse_ll(line + n, len - n, &v) == 0) out->second_repl_offset = v;
    } else if (has_prefix(line, len, "master_replid:", &n)) {
        parse_id(line + n, len - n, out->replid);
    } else if (has_prefix(line, len, "master_replid2:", &n)) {
        parse_id(line + n, len - n, out->replid2);
    } else if (has_prefix(line, len, "loading:", &n)) {
        out->loading = len - n == 1 && line[n] == '1';
    } else if (has_prefix(line, len, "master_failover_state:", &n)) {
        parse_failover_state(line + n, len - n, out);
    } else if (out->role == ROLE_SLAVE) {
        parse_replica_field(line, len, out);
    }
}

int info_parse(const char *text, size_t len, struct info_parsed *out)
{
    memset(out, 0, sizeof(*out));
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *lend = nl ? nl : end;
        size_t llen = (size_t)(lend - p);
        if (llen > 0 && p[llen - 1] == '\r') llen--;
        parse_line(p, llen, out);
        if (nl == NULL) break;
        p = nl + 1;
    }
    return 0;
}
