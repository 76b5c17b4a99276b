/* repl_handshake: the pure half of the replica's state machine (repl_replica.h): the table of
 * states and edges, what each handshake reply leads to, and the parsers of the PSYNC reply and the
 * snapshot header, and the rule that decides whether a +FULLRESYNC may replace our data
 * (repl_fullsync_verdict: never for an empty or regressed master). No I/O, no clock, no server:
 * repl_replica.c calls these, and the unit tests (tests/unit/store/test_repl_replica.c) drive them
 * directly. */
#include "store/repl/repl_replica.h"

#include <string.h>

#include "common/util.h"
#include "store/repl/repl_int.h"

#define BIT(s) (1u << (s))

static const struct {
    const char *name, *role;
    unsigned next; /* allowed next states besides CONNECT, which every state may go back to */
} state_table[REPL_ST_COUNT] = {
    [REPL_ST_CONNECT] = {"CONNECT", "connect", BIT(REPL_ST_CONNECTING)},
    [REPL_ST_CONNECTING] = {"CONNECTING", "connecting", BIT(REPL_ST_RECV_PING)},
    [REPL_ST_RECV_PING] = {"RECEIVE_PING_REPLY", "handshake",
                           BIT(REPL_ST_RECV_AUTH) | BIT(REPL_ST_RECV_PORT)},
    [REPL_ST_RECV_AUTH] = {"RECEIVE_AUTH_REPLY", "handshake", BIT(REPL_ST_RECV_PORT)},
    [REPL_ST_RECV_PORT] = {"RECEIVE_PORT_REPLY", "handshake",
                           BIT(REPL_ST_RECV_IP) | BIT(REPL_ST_RECV_CAPA)},
    [REPL_ST_RECV_IP] = {"RECEIVE_IP_REPLY", "handshake", BIT(REPL_ST_RECV_CAPA)},
    [REPL_ST_RECV_CAPA] = {"RECEIVE_CAPA_REPLY", "handshake", BIT(REPL_ST_RECV_PSYNC)},
    [REPL_ST_RECV_PSYNC] = {"RECEIVE_PSYNC_REPLY", "handshake",
                            BIT(REPL_ST_TRANSFER) | BIT(REPL_ST_CONNECTED)},
    [REPL_ST_TRANSFER] = {"TRANSFER", "sync", BIT(REPL_ST_LOADING)},
    [REPL_ST_LOADING] = {"LOADING", "sync", BIT(REPL_ST_CONNECTED)},
    [REPL_ST_CONNECTED] = {"CONNECTED", "connected", 0},
};

const char *repl_hs_state_name(enum repl_hs_state s)
{
    return (unsigned)s < REPL_ST_COUNT ? state_table[s].name : "?";
}

const char *repl_hs_role_name(enum repl_hs_state s)
{
    return (unsigned)s < REPL_ST_COUNT ? state_table[s].role : "unknown";
}

bool repl_hs_edge_ok(enum repl_hs_state from, enum repl_hs_state to)
{
    if ((unsigned)from >= REPL_ST_COUNT || (unsigned)to >= REPL_ST_COUNT) return false;
    if (to == REPL_ST_CONNECT) return from != REPL_ST_CONNECT;
    return (state_table[from].next & BIT(to)) != 0;
}

static bool starts_with(const char *line, size_t len, const char *prefix)
{
    size_t n = strlen(prefix);
    return len >= n && memcmp(line, prefix, n) == 0;
}

static bool is_hex_id(const char *p, size_t len)
{
    if (len != REPL_ID_LEN) return false;
    for (size_t i = 0; i < len; i++) {
        char ch = p[i];
        if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F')))
            return false;
    }
    return true;
}

int repl_parse_fullresync(const char *line, size_t len, char *replid, long long *offset)
{
    static const char pfx[] = "+FULLRESYNC ";
    if (!starts_with(line, len, pfx)) return -1;
    const char *id = line + sizeof pfx - 1;
    size_t rest = len - (sizeof pfx - 1);
    if (rest < REPL_ID_LEN + 2 || !is_hex_id(id, REPL_ID_LEN) || id[REPL_ID_LEN] != ' ') return -1;
    const char *num = id + REPL_ID_LEN + 1;
    size_t nlen = rest - REPL_ID_LEN - 1;
    long long off;
    if (util_parse_ll(num, nlen, &off) != 0 || off < 0) return -1;
    memcpy(replid, id, REPL_ID_LEN);
    replid[REPL_ID_LEN] = '\0';
    *offset = off;
    return 0;
}

int repl_parse_continue(const char *line, size_t len, char *replid)
{
    static const char pfx[] = "+CONTINUE";
    if (!starts_with(line, len, pfx)) return -1;
    const char *rest = line + sizeof pfx - 1;
    size_t rlen = len - (sizeof pfx - 1);
    while (rlen > 0 && *rest == ' ') {
        rest++;
        rlen--;
    }
    while (rlen > 0 && rest[rlen - 1] == ' ') rlen--;
    replid[0] = '\0';
    if (rlen == 0) return 0;
    if (!is_hex_id(rest, rlen)) return -1;
    memcpy(replid, rest, REPL_ID_LEN);
    replid[REPL_ID_LEN] = '\0';
    return 0;
}

int repl_parse_bulk_header(const char *line, size_t len, long long *size, char *mark)
{
    if (len < 2 || line[0] != '$') return -1;
    if (starts_with(line, len, "$EOF:")) {
        if (len != 5 + REPL_EOF_MARK_LEN) return -1;
        memcpy(mark, line + 5, REPL_EOF_MARK_LEN);
        mark[REPL_EOF_MARK_LEN] = '\0';
        *size = -1;
        return 0;
    }
    long long n;
    if (util_parse_ll(line + 1, len - 1, &n) != 0 || n < 0) return -1;
    *size = n;
    return 0;
}

static bool is_accepted_ping_error(const char *line, size_t len)
{
    return starts_with(line, len, "-NOAUTH") || starts_with(line, len, "-NOPERM") ||
           starts_with(line, len, "-ERR operation not permitted");
}

enum repl_hs_state repl_hs_after_reply(enum repl_hs_state s, const char *line, size_t len,
                                       const struct repl_hs_opts *o)
{
    bool is_err = len > 0 && line[0] == '-';
    char id[REPL_ID_LEN + 1];
    long long off;
    switch (s) {
    case REPL_ST_RECV_PING:
        if (len == 0 || (line[0] != '+' && !is_accepted_ping_error(line, len)))
            return REPL_ST_CONNECT;
        return o->has_auth ? REPL_ST_RECV_AUTH : REPL_ST_RECV_PORT;
    case REPL_ST_RECV_AUTH:
        return is_err ? REPL_ST_CONNECT : REPL_ST_RECV_PORT;
    case REPL_ST_RECV_PORT: /* errors ignored: an old master may not know the option */
        return o->has_ip ? REPL_ST_RECV_IP : REPL_ST_RECV_CAPA;
    case REPL_ST_RECV_IP:
        return REPL_ST_RECV_CAPA;
    case REPL_ST_RECV_CAPA:
        return REPL_ST_RECV_PSYNC;
    case REPL_ST_RECV_PSYNC:
        if (repl_parse_fullresync(line, len, id, &off) == 0) return REPL_ST_TRANSFER;
        if (repl_parse_continue(line, len, id) == 0) return REPL_ST_CONNECTED;
        return REPL_ST_CONNECT; /* -NOMASTERLINK / -LOADING: try later; anything else too */
    default:
        return REPL_ST_CONNECT;
    }
}

enum repl_fullsync_verdict repl_fullsync_verdict(const struct repl_fullsync_facts *f)
{
    if (!f->has_history || !f->holds_data) return REPL_FULLSYNC_ACCEPT; /* nothing to lose */
    if (f->is_explicit || f->accept_regressed) return REPL_FULLSYNC_ACCEPT;
    bool is_our_history =
        strcmp(f->master_replid, f->replid) == 0 || strcmp(f->master_replid, f->replid2) == 0;
    /* Equal offsets count as behind: a master that never had a backlog serves its snapshot at
     * offset 0, and so was ours; a new history at our offset is still not our data. */
    if (is_our_history || f->master_offset > f->offset) return REPL_FULLSYNC_ACCEPT;
    return REPL_FULLSYNC_REFUSE_REGRESSED;
}

const char *repl_fullsync_verdict_name(enum repl_fullsync_verdict v)
{
    return v == REPL_FULLSYNC_REFUSE_REGRESSED ? "regressed-master" : "";
}
