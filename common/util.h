/* util: allocation that never returns NULL, always-on assertions, strict number parsing and
 * formatting, glob matching and secret comparison. Everything here is pure and depends on nothing
 * in the project but sha256.
 * Invariant: the parsers accept exactly the textual forms Redis accepts and nothing more
 * (no leading spaces, no trailing junk, no "+" sign for integers, overflow is an error). */
#ifndef VIGIL_UTIL_H
#define VIGIL_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))
#define UNUSED(x) ((void)(x))

/* ASSERT stays on in release builds: a broken invariant in a data store must stop the process
 * before it corrupts data or replies with something wrong. */
#define ASSERT(cond)                                                                               \
    do {                                                                                           \
        if (!(cond)) util_assert_fail(#cond, __FILE__, __LINE__);                                  \
    } while (0)

_Noreturn void util_assert_fail(const char *expr, const char *file, int line);
_Noreturn void util_panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Allocation: abort with a message on out-of-memory, never return NULL. */
void *xmalloc(size_t size);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *ptr, size_t size);
char *xstrdup(const char *s);
/* A formatted string in a new allocation (aborts when out of memory, as xmalloc). */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xstrndup(const char *s, size_t len);
void *xmemdup(const void *p, size_t len);

/* Number parsing: 0 on success, -1 on any malformed or out-of-range input. */
int util_parse_ll(const char *s, size_t len, long long *out);
int util_parse_ull(const char *s, size_t len, unsigned long long *out);
/* Accepts what strtold does, but rejects empty input, spaces, trailing junk and NaN. */
int util_parse_double(const char *s, size_t len, double *out);
int util_parse_long_double(const char *s, size_t len, long double *out);

/* Formatting: writes a NUL-terminated string into buf, returns its length. */
size_t util_ll_to_str(char *buf, size_t cap, long long v);
/* Redis's double formatting for replies: "inf", "-inf", "nan" and %.17g. */
size_t util_double_to_str(char *buf, size_t cap, double v);
/* Human formatting of INCRBYFLOAT results: %.17Lf with trailing zeros stripped. */
size_t util_long_double_to_str(char *buf, size_t cap, long double v);

/* Glob-style matching as Redis's KEYS/PSUBSCRIBE: * ? [abc] [^a] [a-z] and \ escapes, with
 * Redis's quirks (see util.c) so that replies are byte-identical. */
bool util_glob_match(const char *pat, size_t patlen, const char *str, size_t strlen, bool nocase);

/* A pattern prepared once for testing many strings (KEYS, SCAN): its literal prefix is compared
 * with memcmp, and "prefix*" or a pattern without wildcards never runs the general matcher.
 * Borrows pat: it must outlive the struct. */
struct util_glob {
    const char *pat;
    size_t patlen;
    size_t lit_len; /* leading bytes without special meaning (0 with nocase) */
    bool is_exact;  /* the whole pattern is literal */
    bool is_prefix; /* literal prefix, then only '*' */
    bool never;     /* matches nothing (too many '*' runs, as Redis) */
    bool nocase;
};
void util_glob_init(struct util_glob *g, const char *pat, size_t patlen, bool nocase);
bool util_glob_test(const struct util_glob *g, const char *str, size_t strlen);

/* Case-insensitive comparison of a counted string with a C string. */
bool util_eq_nocase(const char *s, size_t len, const char *cstr);

/* Compare a secret (password, token) with a candidate, both counted byte strings that may hold
 * NUL bytes: equal only if the lengths and every byte match. Both are hashed (SHA-256) and the
 * digests compared in constant time, so the time taken reveals neither where they differ nor
 * the secret's length. Every password and token check in the project goes through here. */
bool util_secret_equal(const char *a, size_t a_len, const char *b, size_t b_len);

/* "Did you mean": the candidate closest to `word` (case-insensitive edit distance with
 * transpositions) if it is near enough to be a typo (at most 2 edits, and fewer than the word's
 * length), else NULL. Words longer than UTIL_SUGGEST_MAX never match. */
#define UTIL_SUGGEST_MAX 64
const char *util_closest(const char *word, size_t len, const char *const *candidates, size_t n);

/* Fill `out` with `len` lowercase hex characters from a good entropy source (getrandom). */
void util_random_hex(char *out, size_t len);

#endif
