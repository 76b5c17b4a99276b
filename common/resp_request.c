/* resp_request: the request parser (see the state diagram in resp.h), the default limits and the
 * line helpers shared with resp_reader.c.
 *
 * Why it looks the way it does: this is the store's hot path. A complete pipelined command is
 * parsed in one pass that reads each byte once, writes argv pointers straight into the caller's
 * buffer and allocates nothing once argv has grown to the connection's widest command. Only a
 * command split across reads pays extra: the arguments parsed before the split are kept as
 * offsets (the caller may move its buffer) and turned back into pointers once, at the end.
 *
 * Invariants: every position is an offset from the command start; r->pos never passes len; argv
 * never grows past the announced count, itself bounded by max_multibulk_len; after RESP_ERR
 * nothing changes until resp_request_reset. Wire behaviour follows Redis: a first byte other than
 * '*' means inline; a count <= 0 is an empty command; the error strings are Redis's own. Two
 * deliberate differences: a line is judged too long by its own length, not by how much happened
 * to be in the buffer (so the outcome never depends on how the bytes were split), and bulk data
 * must be followed by CRLF (Redis skips the two bytes unchecked). */
#include "common/resp.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

enum req_state { REQ_START = 0, REQ_INLINE, REQ_MB_COUNT, REQ_BULK_LEN, REQ_BULK_DATA };

#define REQ_ARGV_MIN 16        /* first argv allocation */
#define REQ_ARGV_PREALLOC 1024 /* a count line reserves at most this many slots ahead of data */

static const char ERR_MBULK_LEN[] = "Protocol error: invalid multibulk length";
static const char ERR_BULK_LEN[] = "Protocol error: invalid bulk length";
static const char ERR_MBULK_BIG[] = "Protocol error: too big mbulk count string";
static const char ERR_BULK_BIG[] = "Protocol error: too big bulk count string";
static const char ERR_INLINE_BIG[] = "Protocol error: too big inline request";
static const char ERR_QUOTES[] = "Protocol error: unbalanced quotes in request";
static const char ERR_BULK_CRLF[] = "Protocol error: expected CRLF after bulk argument";
static const char ERR_UNAUTH_MBULK[] = "Protocol error: unauthenticated multibulk length";
static const char ERR_UNAUTH_BULK[] = "Protocol error: unauthenticated bulk length";

void resp_limits_default(struct resp_limits *lim)
{
    lim->max_bulk_len = (size_t)512 * 1024 * 1024;
    lim->max_multibulk_len = (size_t)1024 * 1024;
    lim->max_depth = 16;
    lim->max_inline_len = (size_t)64 * 1024;
}

/* ---- shared helpers ------------------------------------------------------------------------ */

int resp_parse_ll(const char *s, size_t len, long long *out)
{
    size_t i = 0;
    bool neg = false;
    if (len > 0 && s[0] == '-') {
        neg = true;
        i = 1;
    }
    if (i == len) return -1;
    if (s[i] == '0') { /* "0" is the only number that may start with a zero */
        if (len != 1) return -1;
        *out = 0;
        return 0;
    }
    const unsigned long long max = neg ? (unsigned long long)LLONG_MAX + 1 : LLONG_MAX;
    unsigned long long v = 0;
    for (; i < len; i++) {
        unsigned d = (unsigned)((unsigned char)s[i] - '0');
        if (d > 9 || v > (max - d) / 10) return -1;
        v = v * 10 + d;
    }
    if (!neg)
        *out = (long long)v;
    else
        *out = v == (unsigned long long)LLONG_MAX + 1 ? LLONG_MIN : -(long long)v;
    return 0;
}

size_t resp_find_crlf(const char *s, size_t from, size_t to)
{
    while (to > 0 && from < to - 1) {
        const char *cr = memchr(s + from, '\r', to - 1 - from);
        if (!cr) break;
        size_t i = (size_t)(cr - s);
        if (s[i + 1] == '\n') return i;
        from = i + 1;
    }
    return RESP_LINE_MORE;
}

size_t resp_find_line(const char *s, size_t ls, size_t len, size_t limit, size_t *scan)
{
    ASSERT(ls < len);
    /* The '\r' may sit at ls + 1 + limit at the latest, its '\n' one further. */
    size_t window = limit > SIZE_MAX - ls - 3 ? SIZE_MAX : ls + limit + 3;
    size_t from = MAX(*scan, ls + 1);
    size_t to = MIN(len, window);
    size_t cr = resp_find_crlf(s, from, to);
    if (cr != RESP_LINE_MORE) return cr;
    if (len >= window) return RESP_LINE_TOO_BIG;
    *scan = MAX(from, to - 1); /* s[to-1] may be a '\r' whose '\n' has not arrived */
    return RESP_LINE_MORE;
}

/* ---- request parser: bookkeeping ----------------------------------------------------------- */

void resp_request_init(struct resp_request *r, const struct resp_limits *lim)
{
    memset(r, 0, sizeof *r);
    if (lim)
        r->lim = *lim;
    else
        resp_limits_default(&r->lim);
}

void resp_request_free(struct resp_request *r)
{
    free(r->argv);
    free(r->off);
    free(r->scratch);
    memset(r, 0, sizeof *r);
}

/* Back to the start of a command, keeping the allocations (and is_inline, for the caller). */
static void req_restart(struct resp_request *r)
{
    r->state = REQ_START;
    r->pos = r->scan = r->want = r->bulk_len = r->seen_len = 0;
    r->argc = r->argc_placed = 0;
}

void resp_request_reset(struct resp_request *r)
{
    req_restart(r);
    r->err = NULL;
    r->is_inline = false;
}

const char *resp_request_error(const struct resp_request *r) { return r->err; }

bool resp_request_is_inline(const struct resp_request *r) { return r->is_inline; }

void resp_request_set_unauthenticated(struct resp_request *r, bool is_unauthenticated)
{
    r->is_unauthenticated = is_unauthenticated;
}

size_t resp_request_bulk_remaining(const struct resp_request *r)
{
    if (r->err || r->state != REQ_BULK_DATA) return 0;
    size_t end = r->pos + r->bulk_len + 2;
    return end > r->seen_len ? end - r->seen_len : 0;
}

size_t resp_request_mem_bytes(const struct resp_request *r)
{
    return r->argcap * (sizeof *r->argv + sizeof *r->off) + r->scratch_cap;
}

static int req_fail(struct resp_request *r, const char *msg)
{
    r->err = msg;
    return RESP_ERR;
}

static void req_reserve(struct resp_request *r, size_t need)
{
    if (need <= r->argcap) return;
    size_t cap = r->argcap ? r->argcap : REQ_ARGV_MIN;
    while (cap < need) cap *= 2;
    r->argv = xrealloc(r->argv, cap * sizeof *r->argv);
    r->off = xrealloc(r->off, cap * sizeof *r->off);
    r->argcap = cap;
}

static void req_push_arg(struct resp_request *r, const char *p, size_t len)
{
    if (r->argc == r->argcap) req_reserve(r, r->argc + 1);
    r->argv[r->argc].ptr = p;
    r->argv[r->argc].len = len;
    r->argc++;
}

/* ---- multibulk ----------------------------------------------------------------------------- */

/* The common "<type><digits>\r\n" line without memchr: returns the value (1..10^15) and sets
 * *next past the CRLF, or SIZE_MAX to send anything unusual down the general path. */
static inline size_t req_len_fast(const char *buf, size_t len, size_t ls, size_t *next)
{
    size_t i = ls + 1;
    if (i >= len || buf[i] < '1' || buf[i] > '9') return SIZE_MAX;
    size_t v = (size_t)(buf[i++] - '0');
    while (i < len && buf[i] >= '0' && buf[i] <= '9' && i - ls <= 15)
        v = v * 10 + (size_t)(buf[i++] - '0');
    if (i + 1 >= len || buf[i] != '\r' || buf[i + 1] != '\n') return SIZE_MAX;
    *next = i + 2;
    return v;
}

/* The "*<count>\r\n" line at offset 0. */
static int req_parse_count(struct resp_request *r, const char *buf, size_t len)
{
    size_t next;
    size_t n = req_len_fast(buf, len, 0, &next);
    if (n == SIZE_MAX) {
        size_t cr = resp_find_line(buf, 0, len, r->lim.max_inline_len, &r->scan);
        if (cr == RESP_LINE_MORE) return RESP_INCOMPLETE;
        if (cr == RESP_LINE_TOO_BIG) return req_fail(r, ERR_MBULK_BIG);
        long long v;
        if (resp_parse_ll(buf + 1, cr - 1, &v) != 0) return req_fail(r, ERR_MBULK_LEN);
        n = v < 0 ? 0 : (size_t)v; /* "*-1" and friends: an empty command, as Redis */
        next = cr + 2;
    }
    /* As Redis: the unauthenticated bound is checked before the general one. */
    if (r->is_unauthenticated && n > RESP_UNAUTH_MAX_ARGS) return req_fail(r, ERR_UNAUTH_MBULK);
    if (n > r->lim.max_multibulk_len) return req_fail(r, ERR_MBULK_LEN);
    r->want = n;
    r->pos = next;
    r->scan = 0;
    r->state = REQ_BULK_LEN;
    req_reserve(r, MIN(n, REQ_ARGV_PREALLOC));
    return RESP_OK;
}

/* The "$<len>\r\n" line at r->pos. */
static int req_parse_bulk_len(struct resp_request *r, const char *buf, size_t len)
{
    size_t ls = r->pos, next;
    if (ls >= len) return RESP_INCOMPLETE;
    size_t n = buf[ls] == '$' ? req_len_fast(buf, len, ls, &next) : SIZE_MAX;
    if (n == SIZE_MAX) {
        size_t cr = resp_find_line(buf, ls, len, r->lim.max_inline_len, &r->scan);
        if (cr == RESP_LINE_MORE) return RESP_INCOMPLETE;
        if (cr == RESP_LINE_TOO_BIG) return req_fail(r, ERR_BULK_BIG);
        if (buf[ls] != '$') {
            snprintf(r->errbuf, sizeof r->errbuf, "Protocol error: expected '$', got '%c'",
                     buf[ls]);
            return req_fail(r, r->errbuf);
        }
        long long v;
        if (resp_parse_ll(buf + ls + 1, cr - ls - 1, &v) != 0 || v < 0)
            return req_fail(r, ERR_BULK_LEN);
        n = (size_t)v;
        next = cr + 2;
    }
    if (n > r->lim.max_bulk_len) return req_fail(r, ERR_BULK_LEN);
    if (r->is_unauthenticated && n > RESP_UNAUTH_MAX_BULK_LEN) return req_fail(r, ERR_UNAUTH_BULK);
    r->bulk_len = n;
    r->pos = next;
    r->scan = 0;
    r->state = REQ_BULK_DATA;
    return RESP_OK;
}

static int req_parse_bulks(struct resp_request *r, const char *buf, size_t len)
{
    while (r->argc < r->want) {
        if (r->state == REQ_BULK_LEN) {
            int rc = req_parse_bulk_len(r, buf, len);
            if (rc != RESP_OK) return rc;
        }
        size_t n = r->bulk_len;
        if (len - r->pos < n + 2) return RESP_INCOMPLETE; /* O(1): no rescan of a big value */
        const char *p = buf + r->pos;
        if (p[n] != '\r' || p[n + 1] != '\n') return req_fail(r, ERR_BULK_CRLF);
        req_push_arg(r, p, n);
        r->pos += n + 2;
        r->state = REQ_BULK_LEN;
    }
    return RESP_OK;
}

/* ---- inline -------------------------------------------------------------------------------- */

/* Separators as redis-cli's quoting rules see them: isspace() between arguments and after a
 * closing quote, but only these four end an unquoted argument. */
static inline bool inl_is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static inline bool inl_ends_token(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int inl_hex(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static char inl_unescape(char c)
{
    switch (c) {
    case 'n':
        return '\n';
    case 'r':
        return '\r';
    case 't':
        return '\t';
    case 'b':
        return '\b';
    case 'a':
        return '\a';
    default:
        return c; /* \" \\ and any other byte stand for themselves */
    }
}

/* Decodes the rest of an argument holding quotes, from s[*pi], appending to dst[*dlen]. Double
 * quotes take \n \r \t \b \a \xHH and \<byte>; single quotes only \'. A closing quote must be
 * followed by a space or the end of the line. Returns 0, or -1 for unbalanced quotes. */
static int inl_unquote(const char *s, size_t n, size_t *pi, char *dst, size_t *dlen)
{
    size_t i = *pi, o = *dlen;
    char quote = 0; /* 0 outside quotes, else the opening quote */
    for (;;) {
        if (i == n) {
            if (quote) return -1;
            break;
        }
        char c = s[i];
        if (!quote) {
            if (inl_ends_token(c)) break;
            if (c == '"' || c == '\'')
                quote = c;
            else
                dst[o++] = c;
            i++;
        } else if (c == quote) {
            if (i + 1 < n && !inl_is_space(s[i + 1])) return -1;
            i++;
            break;
        } else if (c == '\\' && quote == '"' && i + 3 < n && s[i + 1] == 'x' &&
                   inl_hex(s[i + 2]) >= 0 && inl_hex(s[i + 3]) >= 0) {
            dst[o++] = (char)(inl_hex(s[i + 2]) * 16 + inl_hex(s[i + 3]));
            i += 4;
        } else if (c == '\\' && quote == '"' && i + 1 < n) {
            dst[o++] = inl_unescape(s[i + 1]);
            i += 2;
        } else if (c == '\\' && quote == '\'' && i + 1 < n && s[i + 1] == '\'') {
            dst[o++] = '\'';
            i += 2;
        } else {
            dst[o++] = c;
            i++;
        }
    }
    *pi = i;
    *dlen = o;
    return 0;
}

/* Splits one line (without its line ending) into arguments. Plain arguments point into the line;
 * quoted ones are decoded into r->scratch, sized once for the whole line so it never moves. */
static int req_split_inline(struct resp_request *r, const char *line, size_t n)
{
    /* A NUL is data like any other byte: cutting the line there would turn "AUTH pw\0zz" into
     * "AUTH pw". (Redis never sees such a line: its search for the newline stops at the NUL.) */
    size_t i = 0, used = 0;
    for (;;) {
        while (i < n && inl_is_space(line[i])) i++;
        if (i == n) break;
        size_t start = i;
        while (i < n && !inl_ends_token(line[i]) && line[i] != '"' && line[i] != '\'') i++;
        if (i == n || inl_ends_token(line[i])) {
            req_push_arg(r, line + start, i - start);
            continue;
        }
        if (r->scratch_cap < n) {
            free(r->scratch);
            r->scratch = xmalloc(n);
            r->scratch_cap = n;
        }
        char *dst = r->scratch + used;
        size_t dlen = i - start;
        memcpy(dst, line + start, dlen);
        if (inl_unquote(line, n, &i, dst, &dlen) != 0) return req_fail(r, ERR_QUOTES);
        used += dlen;
        req_push_arg(r, dst, dlen);
    }
    return RESP_OK;
}

static int req_parse_inline(struct resp_request *r, const char *buf, size_t len)
{
    /* The '\n' may sit at index max_inline_len at the latest. */
    size_t limit = r->lim.max_inline_len;
    size_t window = limit == SIZE_MAX ? SIZE_MAX : limit + 1;
    size_t to = MIN(len, window);
    const char *nl = r->scan < to ? memchr(buf + r->scan, '\n', to - r->scan) : NULL;
    if (!nl) {
        if (len >= window) return req_fail(r, ERR_INLINE_BIG);
        r->scan = to;
        return RESP_INCOMPLETE;
    }
    size_t eol = (size_t)(nl - buf);
    r->pos = eol + 1;
    if (eol > 0 && buf[eol - 1] == '\r') eol--;
    return req_split_inline(r, buf, eol);
}

/* ---- entry point --------------------------------------------------------------------------- */

/* Before returning RESP_INCOMPLETE: arguments parsed by this call become offsets, because the
 * caller may move its buffer before the next call. */
static void req_park(struct resp_request *r, const char *buf, size_t len)
{
    for (size_t i = r->argc_placed; i < r->argc; i++) r->off[i] = (size_t)(r->argv[i].ptr - buf);
    r->argc_placed = r->argc;
    r->seen_len = len;
}

int resp_request_parse(struct resp_request *r, const char *buf, size_t len, size_t *consumed,
                       size_t *argc, struct resp_arg **argv)
{
    *consumed = 0;
    *argc = 0;
    *argv = r->argv;
    if (r->err) return RESP_ERR;
    ASSERT(len >= r->seen_len); /* same command start, bytes only appended */
    if (r->state == REQ_START) {
        if (len == 0) return RESP_INCOMPLETE;
        r->is_inline = buf[0] != '*';
        r->state = r->is_inline ? REQ_INLINE : REQ_MB_COUNT;
    }
    int rc;
    if (r->state == REQ_INLINE) {
        rc = req_parse_inline(r, buf, len);
    } else {
        rc = r->state == REQ_MB_COUNT ? req_parse_count(r, buf, len) : RESP_OK;
        if (rc == RESP_OK) rc = req_parse_bulks(r, buf, len);
    }
    if (rc == RESP_INCOMPLETE) req_park(r, buf, len);
    if (rc != RESP_OK) return rc;
    for (size_t i = 0; i < r->argc_placed; i++) r->argv[i].ptr = buf + r->off[i];
    *consumed = r->pos;
    *argc = r->argc;
    *argv = r->argv;
    req_restart(r);
    return RESP_OK;
}
