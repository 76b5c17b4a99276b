/* resp_reader: the general RESP2/RESP3 value reader, for replies from servers (the sentinel's
 * links, a replica's master link, test clients). It copies what it is fed, and builds each
 * top-level value as a tree whose strings point into its own buffer.
 *
 *   feed() --> in: [ returned value | value being parsed ............ | not yet looked at ]
 *                  ^in.pos          ^in.pos + returned                ^in.len
 *
 *   per element:   LINE --(scalar: + - : , # _ ()-----------------------> element done
 *                    |----($ ! = with a length)---> BULK --(data+CRLF)--> element done
 *                    '----(* % ~ > | with n > 0)--> push a frame; its n elements follow
 *   element done:  count it in the top frame; a full frame pops and is itself an element done;
 *                  with no frame left, the top-level value is complete.
 *
 * Why this shape: nesting uses an explicit stack of at most max_depth frames, never recursion, so
 * a hostile peer cannot exhaust the C stack; progress (cursor, CRLF scan point, frames) survives
 * between calls, so a large value arriving in small pieces is parsed once, not re-parsed.
 *
 * Invariants: while a value is being parsed its strings are stored as offsets from the value's
 * first byte (in `integer`, unused by string types), because feed() may move the buffer; they
 * become pointers when the value is complete. A frame's aggregate lives in its parent's element
 * array, which only grows while that parent is the top frame, so frame pointers stay valid.
 * Each aggregate's array grows with the elements that actually arrive, so memory follows input
 * size, not announced counts. Errors are sticky; after one, fed bytes are dropped. */
#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/resp.h"
#include "common/util.h"

enum rd_state { RD_LINE, RD_BULK };
enum { RD_PUSHED = 2 }; /* internal status: an aggregate header pushed a frame */

#define RD_ELEMS_MIN 16 /* smallest element array for a non-empty aggregate */
#define RD_MAX_DEPTH 65536

struct rd_frame {
    struct resp_value *agg; /* the aggregate being filled */
    size_t filled;          /* elements complete */
    size_t cap;             /* allocated elements (<= agg->count) */
    size_t alloc;           /* index of its array in r->allocs */
};

struct rd_alloc {
    struct resp_value *elems;
    size_t count;
};

struct resp_reader {
    struct resp_limits lim;
    struct buf in;
    size_t returned; /* bytes of the last returned value, dropped at the next call */
    size_t cur;      /* next unparsed byte, from the value start */
    size_t scan;     /* CRLF search point for the current line */
    int state;       /* enum rd_state */
    enum resp_type bulk_type;
    size_t bulk_len;
    bool is_busy; /* root/stack/allocs hold a value being parsed */
    struct resp_value root;
    struct rd_frame *stack; /* lim.max_depth frames */
    int depth;
    struct rd_alloc *allocs; /* every element array of the current value */
    size_t nallocs, allocs_cap;
    bool has_err;
    char err[96];
};

struct resp_reader *resp_reader_create(const struct resp_limits *lim)
{
    struct resp_reader *r = xcalloc(1, sizeof *r);
    if (lim)
        r->lim = *lim;
    else
        resp_limits_default(&r->lim);
    ASSERT(r->lim.max_depth >= 1 && r->lim.max_depth <= RD_MAX_DEPTH);
    r->stack = xmalloc((size_t)r->lim.max_depth * sizeof *r->stack);
    buf_init(&r->in);
    buf_reserve(&r->in, 4096); /* data is never NULL, so pointer arithmetic on it is defined */
    return r;
}

static void rd_free_tree(struct resp_reader *r)
{
    for (size_t i = 0; i < r->nallocs; i++) free(r->allocs[i].elems);
    r->nallocs = 0;
}

void resp_reader_destroy(struct resp_reader *r)
{
    if (!r) return;
    rd_free_tree(r);
    free(r->allocs);
    free(r->stack);
    buf_free(&r->in);
    free(r);
}

/* Forget the value in progress (its arrays are freed when the next value starts). */
static void rd_restart(struct resp_reader *r)
{
    r->is_busy = false;
    r->cur = r->scan = 0;
    r->state = RD_LINE;
    r->depth = 0;
}

static void rd_drop_returned(struct resp_reader *r)
{
    r->in.pos += r->returned;
    r->returned = 0;
}

void resp_reader_feed(struct resp_reader *r, const char *data, size_t len)
{
    if (r->has_err || len == 0) return;
    rd_drop_returned(r);
    if (r->in.pos == r->in.len)
        r->in.pos = r->in.len = 0;
    else if (r->in.pos >= r->in.len - r->in.pos) /* dead bytes outweigh live ones: move */
        buf_compact(&r->in);
    buf_append(&r->in, data, len);
}

const char *resp_reader_error(const struct resp_reader *r) { return r->has_err ? r->err : NULL; }

size_t resp_reader_pending(const struct resp_reader *r)
{
    return r->in.len - r->in.pos - r->returned;
}

const char *resp_reader_pending_data(const struct resp_reader *r)
{
    return r->in.data + r->in.pos + r->returned;
}

void resp_reader_discard(struct resp_reader *r, size_t n)
{
    rd_drop_returned(r);
    ASSERT(n <= r->in.len - r->in.pos);
    r->in.pos += n;
    rd_restart(r);
}

static int rd_fail(struct resp_reader *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int rd_fail(struct resp_reader *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err, sizeof r->err, fmt, ap);
    va_end(ap);
    r->has_err = true;
    r->in.pos = r->in.len = 0; /* nothing more will be parsed: free the bytes' space for reuse */
    return RESP_ERR;
}

/* ---- element slots ------------------------------------------------------------------------- */

/* Where the next element goes: the root, or the next free element of the top frame. */
static struct resp_value *rd_slot(struct resp_reader *r)
{
    if (r->depth == 0) return &r->root;
    struct rd_frame *f = &r->stack[r->depth - 1];
    if (f->filled == f->cap) {
        size_t cap = MIN(f->agg->count, f->cap * 2);
        f->agg->elems = xrealloc(f->agg->elems, cap * sizeof *f->agg->elems);
        r->allocs[f->alloc].elems = f->agg->elems;
        f->cap = cap;
    }
    return &f->agg->elems[f->filled];
}

/* An element is complete: count it, popping every frame it completes. True when the top-level
 * value is done. A nested attribute does not count: the next element reuses its slot. */
static bool rd_complete(struct resp_reader *r, struct resp_value *v)
{
    while (r->depth > 0) {
        struct rd_frame *f = &r->stack[r->depth - 1];
        if (v->type == RESP_T_ATTRIBUTE) return false;
        if (++f->filled < f->agg->count) return false;
        v = f->agg;
        r->depth--;
    }
    return true;
}

static void rd_set_str(struct resp_value *v, enum resp_type t, size_t off, size_t len)
{
    v->type = t;
    v->integer = (long long)off; /* an offset until rd_fixup */
    v->len = len;
}

static bool rd_has_str(enum resp_type t)
{
    return t == RESP_T_SIMPLE || t == RESP_T_ERROR || t == RESP_T_BULK || t == RESP_T_BLOB_ERROR ||
           t == RESP_T_VERBATIM || t == RESP_T_BIGNUM || t == RESP_T_DOUBLE;
}

static void rd_fix_one(struct resp_value *v, const char *base)
{
    if (!rd_has_str(v->type)) return;
    v->str = base + v->integer;
    v->integer = 0;
}

/* The value is complete and the buffer will not move before the caller sees it: offsets become
 * pointers. Every value of the tree is the root or an element of exactly one array. */
static void rd_fixup(struct resp_reader *r)
{
    const char *base = r->in.data + r->in.pos;
    rd_fix_one(&r->root, base);
    for (size_t i = 0; i < r->nallocs; i++)
        for (size_t j = 0; j < r->allocs[i].count; j++) rd_fix_one(&r->allocs[i].elems[j], base);
}

/* ---- lines --------------------------------------------------------------------------------- */

static int rd_parse_double(struct resp_reader *r, struct resp_value *v, const char *s, size_t n,
                           size_t off)
{
    double d;
    if (n == 3 && memcmp(s, "inf", 3) == 0)
        d = INFINITY;
    else if (n == 4 && memcmp(s, "-inf", 4) == 0)
        d = -INFINITY;
    else if (n == 3 && memcmp(s, "nan", 3) == 0)
        d = NAN;
    else if (util_parse_double(s, n, &d) != 0)
        return rd_fail(r, "Protocol error: invalid double");
    rd_set_str(v, RESP_T_DOUBLE, off, n);
    v->dbl = d;
    return RESP_OK;
}

static bool rd_is_bignum(const char *s, size_t n)
{
    size_t i = n > 0 && s[0] == '-' ? 1 : 0;
    if (i == n) return false;
    for (; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return false;
    return true;
}

static int rd_parse_bulk(struct resp_reader *r, struct resp_value *v)
{
    const char *base = r->in.data + r->in.pos;
    size_t avail = r->in.len - r->in.pos, n = r->bulk_len;
    if (avail - r->cur < n + 2) return RESP_INCOMPLETE;
    const char *p = base + r->cur;
    if (p[n] != '\r' || p[n + 1] != '\n')
        return rd_fail(r, "Protocol error: expected CRLF after bulk data");
    if (r->bulk_type == RESP_T_VERBATIM) {
        if (n < 4 || p[3] != ':') return rd_fail(r, "Protocol error: invalid verbatim string");
        rd_set_str(v, RESP_T_VERBATIM, r->cur + 4, n - 4);
    } else {
        rd_set_str(v, r->bulk_type, r->cur, n);
    }
    r->cur += n + 2;
    r->state = RD_LINE;
    return RESP_OK;
}

/* "$" "!" "=": a length, then the data (maybe not here yet). */
static int rd_start_bulk(struct resp_reader *r, struct resp_value *v, char t, const char *s,
                         size_t n)
{
    long long len;
    if (n == 1 && s[0] == '?')
        return rd_fail(r, "Protocol error: streamed strings are not supported");
    if (resp_parse_ll(s, n, &len) != 0) return rd_fail(r, "Protocol error: invalid bulk length");
    if (len == -1 && t == '$') {
        v->type = RESP_T_NULL;
        return RESP_OK;
    }
    if (len < 0 || (unsigned long long)len > r->lim.max_bulk_len)
        return rd_fail(r, "Protocol error: invalid bulk length");
    r->bulk_type = t == '$' ? RESP_T_BULK : t == '!' ? RESP_T_BLOB_ERROR : RESP_T_VERBATIM;
    r->bulk_len = (size_t)len;
    r->state = RD_BULK;
    return rd_parse_bulk(r, v);
}

/* "*" "%" "~" ">" "|": a count, then a frame for its elements unless it is empty. */
static int rd_start_agg(struct resp_reader *r, struct resp_value *v, char t, const char *s,
                        size_t n)
{
    long long count;
    if (n == 1 && s[0] == '?')
        return rd_fail(r, "Protocol error: streamed aggregates are not supported");
    if (resp_parse_ll(s, n, &count) != 0)
        return rd_fail(r, "Protocol error: invalid multibulk length");
    if (count == -1 && t == '*') {
        v->type = RESP_T_NULL;
        return RESP_OK;
    }
    size_t per = (t == '%' || t == '|') ? 2 : 1; /* maps hold keys and values */
    if (count < 0 || (unsigned long long)count > r->lim.max_multibulk_len / per)
        return rd_fail(r, "Protocol error: invalid multibulk length");
    if (r->depth >= r->lim.max_depth)
        return rd_fail(r, "Protocol error: nesting deeper than %d levels", r->lim.max_depth);
    v->type = t == '*'   ? RESP_T_ARRAY
              : t == '%' ? RESP_T_MAP
              : t == '~' ? RESP_T_SET
              : t == '>' ? RESP_T_PUSH
                         : RESP_T_ATTRIBUTE;
    v->count = (size_t)count * per;
    if (v->count == 0) return RESP_OK;
    /* Each element takes at least 3 bytes: never allocate far ahead of the data. */
    size_t avail = r->in.len - r->in.pos - r->cur;
    size_t cap = MIN(v->count, MAX(RD_ELEMS_MIN, avail / 3));
    v->elems = xmalloc(cap * sizeof *v->elems);
    if (r->nallocs == r->allocs_cap) {
        r->allocs_cap = r->allocs_cap ? r->allocs_cap * 2 : 16;
        r->allocs = xrealloc(r->allocs, r->allocs_cap * sizeof *r->allocs);
    }
    r->allocs[r->nallocs] = (struct rd_alloc){v->elems, v->count};
    r->stack[r->depth++] = (struct rd_frame){v, 0, cap, r->nallocs++};
    return RD_PUSHED;
}

static int rd_fail_type(struct resp_reader *r, char t)
{
    if (isprint((unsigned char)t))
        return rd_fail(r, "Protocol error: unexpected type byte '%c'", t);
    return rd_fail(r, "Protocol error: unexpected type byte '\\x%02x'", (unsigned char)t);
}

/* How long a line may be for this type byte; 0 for an unknown type byte. */
static size_t rd_line_limit(const struct resp_reader *r, char t)
{
    if (t != '\0' && memchr("+-(,", t, 4)) return MAX(r->lim.max_bulk_len, 1); /* strings */
    if (t != '\0' && memchr(":#_$!=*%~>|", t, 11))
        return MAX(r->lim.max_inline_len, 1); /* numbers */
    return 0;
}

static int rd_parse_line(struct resp_reader *r, struct resp_value *v)
{
    const char *base = r->in.data + r->in.pos;
    size_t avail = r->in.len - r->in.pos;
    if (r->cur >= avail) return RESP_INCOMPLETE;
    char t = base[r->cur];
    size_t limit = rd_line_limit(r, t);
    if (limit == 0) return rd_fail_type(r, t);
    size_t cr = resp_find_line(base, r->cur, avail, limit, &r->scan);
    if (cr == RESP_LINE_MORE) return RESP_INCOMPLETE;
    if (cr == RESP_LINE_TOO_BIG)
        return rd_fail(r, "Protocol error: too long line for type '%c'", t);
    size_t off = r->cur + 1, n = cr - off;
    const char *s = base + off;
    r->cur = cr + 2;
    r->scan = 0;
    memset(v, 0, sizeof *v);
    switch (t) {
    case '+':
        rd_set_str(v, RESP_T_SIMPLE, off, n);
        return RESP_OK;
    case '-':
        rd_set_str(v, RESP_T_ERROR, off, n);
        return RESP_OK;
    case ':':
        v->type = RESP_T_INTEGER;
        if (resp_parse_ll(s, n, &v->integer) != 0)
            return rd_fail(r, "Protocol error: invalid integer");
        return RESP_OK;
    case ',':
        return rd_parse_double(r, v, s, n, off);
    case '#':
        if (n != 1 || (s[0] != 't' && s[0] != 'f'))
            return rd_fail(r, "Protocol error: invalid boolean");
        v->type = RESP_T_BOOL;
        v->integer = s[0] == 't';
        return RESP_OK;
    case '_':
        if (n != 0) return rd_fail(r, "Protocol error: invalid null");
        v->type = RESP_T_NULL;
        return RESP_OK;
    case '(':
        if (!rd_is_bignum(s, n)) return rd_fail(r, "Protocol error: invalid big number");
        rd_set_str(v, RESP_T_BIGNUM, off, n);
        return RESP_OK;
    case '$':
    case '!':
    case '=':
        return rd_start_bulk(r, v, t, s, n);
    default:
        return rd_start_agg(r, v, t, s, n);
    }
}

/* ---- entry point --------------------------------------------------------------------------- */

int resp_reader_next(struct resp_reader *r, struct resp_value **out)
{
    *out = NULL;
    if (r->has_err) return RESP_ERR;
    rd_drop_returned(r);
    if (!r->is_busy) { /* a new top-level value: the previous tree goes */
        rd_free_tree(r);
        memset(&r->root, 0, sizeof r->root);
        rd_restart(r);
        r->is_busy = true;
    }
    for (;;) {
        struct resp_value *v = rd_slot(r);
        int rc = r->state == RD_BULK ? rd_parse_bulk(r, v) : rd_parse_line(r, v);
        if (rc == RESP_INCOMPLETE || rc == RESP_ERR) return rc;
        if (rc == RD_PUSHED) continue;
        if (rd_complete(r, v)) break;
    }
    rd_fixup(r);
    r->returned = r->cur;
    rd_restart(r);
    *out = &r->root;
    return RESP_OK;
}
