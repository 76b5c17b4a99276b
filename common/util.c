/* util: see util.h. Kept free of any I/O except the panic path and getrandom(). */
#include "common/util.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "common/sha256.h"

void util_assert_fail(const char *expr, const char *file, int line)
{
    fprintf(stderr, "ASSERTION FAILED: %s at %s:%d\n", expr, file, line);
    abort();
}

void util_panic(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("PANIC: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    abort();
}

static void *check_alloc(void *p, size_t size)
{
    if (p == NULL && size != 0) util_panic("out of memory allocating %zu bytes", size);
    return p;
}

void *xmalloc(size_t size) { return check_alloc(malloc(size ? size : 1), size); }

void *xcalloc(size_t count, size_t size)
{
    return check_alloc(calloc(count ? count : 1, size ? size : 1), count * size);
}

void *xrealloc(void *ptr, size_t size) { return check_alloc(realloc(ptr, size ? size : 1), size); }

char *xstrdup(const char *s) { return xstrndup(s, strlen(s)); }

char *xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) util_panic("xasprintf: bad format");
    char *p = xmalloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

char *xstrndup(const char *s, size_t len)
{
    char *p = xmalloc(len + 1);
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

void *xmemdup(const void *p, size_t len)
{
    void *q = xmalloc(len);
    if (len) memcpy(q, p, len);
    return q;
}

int util_parse_ull(const char *s, size_t len, unsigned long long *out)
{
    if (len == 0 || len > 20) return -1;
    if (len > 1 && s[0] == '0') return -1;
    unsigned long long v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (ULLONG_MAX - d) / 10) return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

int util_parse_ll(const char *s, size_t len, long long *out)
{
    bool neg = false;
    if (len > 0 && s[0] == '-') {
        neg = true;
        s++;
        len--;
        if (len == 1 && s[0] == '0') return -1; /* "-0" is not an integer for Redis */
    }
    unsigned long long v;
    if (util_parse_ull(s, len, &v) != 0) return -1;
    if (neg) {
        if (v > (unsigned long long)LLONG_MAX + 1ULL) return -1;
        *out = v == (unsigned long long)LLONG_MAX + 1ULL ? LLONG_MIN : -(long long)v;
    } else {
        if (v > (unsigned long long)LLONG_MAX) return -1;
        *out = (long long)v;
    }
    return 0;
}

/* Copies into a bounded NUL-terminated buffer; rejects leading space, which strtod would skip. */
static int copy_numeric(const char *s, size_t len, char *buf, size_t cap)
{
    if (len == 0 || len >= cap || isspace((unsigned char)s[0])) return -1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    if (strlen(buf) != len) return -1; /* embedded NUL */
    return 0;
}

int util_parse_double(const char *s, size_t len, double *out)
{
    char buf[512];
    if (copy_numeric(s, len, buf, sizeof buf) != 0) return -1;
    char *end;
    errno = 0;
    double v = strtod(buf, &end);
    if (*end != '\0' || isnan(v)) return -1;
    if (errno == ERANGE && (v == HUGE_VAL || v == -HUGE_VAL || v == 0)) return -1;
    *out = v;
    return 0;
}

int util_parse_long_double(const char *s, size_t len, long double *out)
{
    /* INCRBYFLOAT stores results of up to ~5000 digits (%.17Lf of 1e4932): accept them back. */
    char buf[5200];
    if (copy_numeric(s, len, buf, sizeof buf) != 0) return -1;
    char *end;
    errno = 0;
    long double v = strtold(buf, &end);
    if (*end != '\0' || isnan(v) || errno == ERANGE) return -1;
    *out = v;
    return 0;
}

size_t util_ll_to_str(char *buf, size_t cap, long long v)
{
    int n = snprintf(buf, cap, "%lld", v);
    ASSERT(n > 0 && (size_t)n < cap);
    return (size_t)n;
}

size_t util_double_to_str(char *buf, size_t cap, double v)
{
    int n;
    if (isinf(v))
        n = snprintf(buf, cap, "%s", v > 0 ? "inf" : "-inf");
    else if (isnan(v))
        n = snprintf(buf, cap, "nan");
    else
        n = snprintf(buf, cap, "%.17g", v);
    ASSERT(n > 0 && (size_t)n < cap);
    return (size_t)n;
}

size_t util_long_double_to_str(char *buf, size_t cap, long double v)
{
    int n;
    if (isinf(v)) {
        n = snprintf(buf, cap, "%s", v > 0 ? "inf" : "-inf");
        ASSERT(n > 0 && (size_t)n < cap);
        return (size_t)n;
    }
    n = snprintf(buf, cap, "%.17Lf", v);
    ASSERT(n > 0 && (size_t)n < cap);
    if (strchr(buf, '.')) { /* strip trailing zeros, then a trailing dot */
        while (n > 0 && buf[n - 1] == '0') n--;
        if (n > 0 && buf[n - 1] == '.') n--;
        buf[n] = '\0';
    }
    if (n == 2 && buf[0] == '-' && buf[1] == '0') { /* "-0" prints as "0" */
        buf[0] = '0';
        buf[1] = '\0';
        n = 1;
    }
    return (size_t)n;
}

/* ---- glob matching --------------------------------------------------------------------------
 * The rules are Redis's, including its quirks, because KEYS, SCAN MATCH, PSUBSCRIBE and CONFIG GET
 * replies must be byte-identical:
 * - a range's ends and the tested byte compare as signed chars (bytes >= 0x80 are negative):
 *   "[a-\xff]" is the range -1..97, which holds the byte 0xff and the bytes 0x00-0x61;
 * - "x-]" inside a class is a range up to ']', and the class then goes on to the pattern's end;
 * - a class that no ']' closes ends at the pattern's end;
 * - with nocase, a range's ends are ordered first and folded after ("[Z-a]" is empty);
 * - a pattern with more than GLOB_MAX_STAR_GROUPS runs of '*' followed by more pattern matches
 *   nothing (Redis's bound on its recursion, which it reports as "no match"). */
#define GLOB_MAX_STAR_GROUPS 1000

static int fold(int c, bool nocase) { return nocase ? tolower(c) : c; }

/* A byte as Redis's range test sees it (a plain char: signed here), case-folded when asked. */
static int range_value(char c, bool nocase)
{
    int v = (signed char)c;
    return nocase && v >= 0 ? tolower(v) : v;
}

/* Matches one [...] class at pat (just past '['); advances *pp past the class. */
static bool glob_class(const char **pp, const char *pend, char c, bool nocase)
{
    const char *p = *pp;
    bool negate = false, hit = false;
    if (p < pend && *p == '^') {
        negate = true;
        p++;
    }
    while (p < pend && *p != ']') {
        if (*p == '\\' && p + 1 < pend) {
            p++;
            if (fold((unsigned char)*p, nocase) == fold((unsigned char)c, nocase)) hit = true;
        } else if (p + 2 < pend && p[1] == '-') {
            int lo = (signed char)p[0], hi = (signed char)p[2];
            if (lo > hi) {
                int t = lo;
                lo = hi;
                hi = t;
            }
            if (nocase) {
                lo = range_value((char)lo, true);
                hi = range_value((char)hi, true);
            }
            int v = range_value(c, nocase);
            if (v >= lo && v <= hi) hit = true;
            p += 2;
        } else if (fold((unsigned char)*p, nocase) == fold((unsigned char)c, nocase)) {
            hit = true;
        }
        p++;
    }
    *pp = p < pend ? p + 1 : p; /* an unterminated class ends at the pattern's end */
    return negate ? !hit : hit;
}

/* The matcher proper: greedy, backtracking only to the last '*' (linear in practice, never
 * exponential: every element but '*' consumes exactly one byte). */
static bool glob_run(const char *pat, size_t patlen, const char *str, size_t slen, bool nocase)
{
    const char *p = pat, *pend = pat + patlen, *s = str, *send = str + slen;
    const char *star_p = NULL, *star_s = NULL; /* backtrack point of the last '*' */
    while (s < send) {
        if (p < pend && *p == '*') {
            while (p < pend && *p == '*') p++;
            if (p == pend) return true;
            star_p = p;
            star_s = s;
            continue;
        }
        if (p < pend) {
            const char *q = p;
            bool ok;
            if (*q == '?') {
                ok = true;
                q++;
            } else if (*q == '[') {
                q++;
                ok = glob_class(&q, pend, *s, nocase);
            } else {
                if (*q == '\\' && q + 1 < pend) q++;
                ok = fold((unsigned char)*q, nocase) == fold((unsigned char)*s, nocase);
                q++;
            }
            if (ok) {
                p = q;
                s++;
                continue;
            }
        }
        if (star_p == NULL) return false;
        p = star_p;
        s = ++star_s;
    }
    while (p < pend && *p == '*') p++;
    return p == pend;
}

/* Past the [...] class whose body starts at p, by glob_class's parsing rules. */
static const char *glob_skip_class(const char *p, const char *pend)
{
    if (p < pend && *p == '^') p++;
    while (p < pend && *p != ']') {
        if (*p == '\\' && p + 1 < pend)
            p++;
        else if (p + 2 < pend && p[1] == '-')
            p += 2;
        p++;
    }
    return p < pend ? p + 1 : p;
}

/* Runs of '*' with more pattern after them (a trailing run matches at once, nothing deeper). */
static size_t glob_star_groups(const char *p, const char *pend)
{
    size_t groups = 0;
    while (p < pend) {
        if (*p == '*') {
            while (p < pend && *p == '*') p++;
            if (p < pend) groups++;
        } else if (*p == '[') {
            p = glob_skip_class(p + 1, pend);
        } else {
            p += (*p == '\\' && p + 1 < pend) ? 2 : 1;
        }
    }
    return groups;
}

void util_glob_init(struct util_glob *g, const char *pat, size_t patlen, bool nocase)
{
    g->pat = pat;
    g->patlen = patlen;
    g->nocase = nocase;
    g->never = glob_star_groups(pat, pat + patlen) > GLOB_MAX_STAR_GROUPS;
    size_t lit = 0; /* leading bytes that can only match themselves */
    if (!nocase)
        while (lit < patlen && !strchr("*?[\\", pat[lit])) lit++;
    g->lit_len = lit;
    size_t stars = lit;
    while (stars < patlen && pat[stars] == '*') stars++;
    g->is_exact = lit == patlen;
    g->is_prefix = !g->is_exact && stars == patlen;
}

bool util_glob_test(const struct util_glob *g, const char *str, size_t slen)
{
    if (g->never || slen < g->lit_len || memcmp(str, g->pat, g->lit_len) != 0) return false;
    if (g->is_exact) return slen == g->lit_len;
    if (g->is_prefix) return true;
    return glob_run(g->pat + g->lit_len, g->patlen - g->lit_len, str + g->lit_len,
                    slen - g->lit_len, g->nocase);
}

bool util_glob_match(const char *pat, size_t patlen, const char *str, size_t slen, bool nocase)
{
    struct util_glob g;
    util_glob_init(&g, pat, patlen, nocase);
    return util_glob_test(&g, str, slen);
}

bool util_eq_nocase(const char *s, size_t len, const char *cstr)
{
    return strlen(cstr) == len && strncasecmp(s, cstr, len) == 0;
}

void util_random_hex(char *out, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char raw[64];
    size_t done = 0;
    while (done < len) {
        size_t want = MIN(sizeof raw, (len - done + 1) / 2);
        ssize_t got = getrandom(raw, want, 0);
        if (got <= 0) util_panic("getrandom failed");
        for (ssize_t i = 0; i < got && done < len; i++) {
            out[done++] = hex[raw[i] >> 4];
            if (done < len) out[done++] = hex[raw[i] & 15];
        }
    }
}

bool util_secret_equal(const char *a, size_t a_len, const char *b, size_t b_len)
{
    uint8_t da[SHA256_DIGEST_LEN], db[SHA256_DIGEST_LEN];
    sha256(a, a_len, da);
    sha256(b, b_len, db);
    return sha256_equal(da, db, sizeof da);
}

/* Edit distance with adjacent transpositions (optimal string alignment), case-insensitive. */
static size_t edit_distance(const char *a, size_t la, const char *b, size_t lb)
{
    size_t d[UTIL_SUGGEST_MAX + 1][UTIL_SUGGEST_MAX + 1];
    for (size_t i = 0; i <= la; i++) d[i][0] = i;
    for (size_t j = 0; j <= lb; j++) d[0][j] = j;
    for (size_t i = 1; i <= la; i++) {
        for (size_t j = 1; j <= lb; j++) {
            size_t cost = tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
            size_t v = MIN(d[i - 1][j] + 1, d[i][j - 1] + 1);
            v = MIN(v, d[i - 1][j - 1] + cost);
            if (i > 1 && j > 1 &&
                tolower((unsigned char)a[i - 1]) == tolower((unsigned char)b[j - 2]) &&
                tolower((unsigned char)a[i - 2]) == tolower((unsigned char)b[j - 1]))
                v = MIN(v, d[i - 2][j - 2] + 1);
            d[i][j] = v;
        }
    }
    return d[la][lb];
}

const char *util_closest(const char *word, size_t len, const char *const *candidates, size_t n)
{
    const char *best = NULL;
    size_t best_d = 3;
    if (len > UTIL_SUGGEST_MAX) return NULL;
    for (size_t i = 0; i < n; i++) {
        size_t lc = strlen(candidates[i]);
        if (lc > UTIL_SUGGEST_MAX) continue;
        size_t dist = edit_distance(word, len, candidates[i], lc);
        if (dist < best_d && dist < len) {
            best = candidates[i];
            best_d = dist;
        }
    }
    return best;
}
