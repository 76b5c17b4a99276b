/* config_value: see config_value.h. Text <-> typed values for every leaf type, with the one set
 * of range rules and messages that files, defaults, the command line and CONFIG SET share.
 * Invariants: a parse either fills the union completely (range-checked) or leaves it owning
 * nothing; strings that pass parsing are valid UTF-8 without NUL, so the YAML writer can always
 * quote them losslessly. Must not know about YAML nodes, files or dotted paths. */
#include "common/config_value.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

struct unit {
    const char *suffix;
    long long mult;
};

/* Output units, largest first: a value prints with the largest unit that divides it exactly. */
static const struct unit duration_out[] = {{"h", 3600000}, {"m", 60000}, {"s", 1000}, {"ms", 1}};
static const struct unit size_out[] = {
    {"gb", 1LL << 30}, {"mb", 1LL << 20}, {"kb", 1024}, {"b", 1}};
/* Accepted suffixes (case-insensitive), read as redis.conf reads them: k, m, g are powers of
 * 1000 and kb, mb, gb powers of 1024, so a value copied from a Redis setup means the same bytes. */
static const struct unit duration_in[] = {{"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}};
static const struct unit size_in[] = {{"b", 1},         {"k", 1000},       {"kb", 1024},
                                      {"m", 1000000},   {"mb", 1LL << 20}, {"g", 1000000000LL},
                                      {"gb", 1LL << 30}};

/* CFG_F_PERCENT: "N%" with N a plain integer from 0 to 100, stored as -N. 1 if text is not of
 * that shape (parse it as a size), 0 when parsed, -1 when it is a bad percentage. */
static int parse_percent(const struct cfg_field *f, const char *s, size_t len, long long *out)
{
    if (!(f->flags & CFG_F_PERCENT) || len < 2 || s[len - 1] != '%') return 1;
    long long n;
    if (util_parse_ll(s, len - 1, &n) != 0 || n < 0 || n > 100) return -1;
    *out = -n;
    return 0;
}

/* The effective bounds; see the table in config.h for what min == max == 0 means. */
static void field_range(const struct cfg_field *f, long long *lo, long long *hi)
{
    if (f->min != 0 || f->max != 0) {
        *lo = f->min;
        *hi = f->max;
    } else if (f->type == CFG_INT) {
        *lo = LLONG_MIN;
        *hi = LLONG_MAX;
    } else if (f->type == CFG_ADDR) {
        *lo = 1;
        *hi = 65535;
    } else {
        *lo = 0;
        *hi = LLONG_MAX;
    }
}

/* --- UTF-8 ----------------------------------------------------------------------------------- */

size_t cfgv_utf8_decode(const unsigned char *s, size_t len, unsigned *cp)
{
    unsigned c = s[0], min;
    size_t n;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if ((c & 0xE0) == 0xC0) {
        n = 1, min = 0x80, c &= 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
        n = 2, min = 0x800, c &= 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
        n = 3, min = 0x10000, c &= 0x07;
    } else {
        return 0;
    }
    if (len <= n) return 0;
    for (size_t k = 1; k <= n; k++) {
        if ((s[k] & 0xC0) != 0x80) return 0;
        c = (c << 6) | (s[k] & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return 0;
    *cp = c;
    return n + 1;
}

static bool utf8_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    unsigned cp;
    for (size_t i = 0; i < len;) {
        size_t n = cfgv_utf8_decode(p + i, len - i, &cp);
        if (n == 0) return false;
        i += n;
    }
    return true;
}

/* --- parsing --------------------------------------------------------------------------------- */

static int parse_bool(const char *s, size_t len, bool *out)
{
    if (util_eq_nocase(s, len, "yes") || util_eq_nocase(s, len, "true")) {
        *out = true;
        return 0;
    }
    if (util_eq_nocase(s, len, "no") || util_eq_nocase(s, len, "false")) {
        *out = false;
        return 0;
    }
    return -1;
}

/* "<integer><suffix>", suffix from `units` or empty (then bare_mult applies). */
static int parse_units(const char *s, size_t len, const struct unit *units, size_t nunits,
                       long long bare_mult, long long *out)
{
    size_t digits = (len > 0 && s[0] == '-') ? 1 : 0;
    while (digits < len && s[digits] >= '0' && s[digits] <= '9') digits++;
    long long n, mult = -1;
    if (util_parse_ll(s, digits, &n) != 0) return -1;
    if (digits == len) mult = bare_mult;
    for (size_t i = 0; i < nunits && mult < 0; i++)
        if (util_eq_nocase(s + digits, len - digits, units[i].suffix)) mult = units[i].mult;
    if (mult <= 0) return -1;
    if (n > LLONG_MAX / mult || n < LLONG_MIN / mult) return -1;
    *out = n * mult;
    return 0;
}

static int parse_enum(const struct cfg_field *f, const char *s, size_t len, int *out)
{
    for (int i = 0; f->enum_names[i]; i++) {
        if (util_eq_nocase(s, len, f->enum_names[i])) {
            *out = i;
            return 0;
        }
    }
    return -1;
}

static int parse_addr(const struct cfg_field *f, const char *s, size_t len, struct cfg_addr *a)
{
    const char *host, *port, *end = s + len, *sep;
    /* s == NULL never comes with len > 0, but saying so keeps gcc's -fsanitize=undefined
     * build from inventing a NULL path into memrchr (a -Werror=nonnull false positive). */
    if (len == 0 || s == NULL) return 0; /* unset */
    if (s[0] == '[') {
        sep = memchr(s, ']', len);
        if (!sep || sep + 1 >= end || sep[1] != ':') return -1;
        host = s + 1;
        port = sep + 2;
    } else {
        sep = memrchr(s, ':', len);
        if (!sep || memchr(s, ':', (size_t)(sep - s))) return -1; /* bare IPv6 needs brackets */
        host = s;
        port = sep + 1;
    }
    size_t hostlen = (size_t)(sep - host);
    if (hostlen == 0 || hostlen >= CFG_HOST_MAX) return -1;
    for (size_t i = 0; i < hostlen; i++) {
        unsigned char c = (unsigned char)host[i];
        if (c <= ' ' || c >= 0x7f || c == '[' || c == ']') return -1;
    }
    long long p, lo, hi;
    field_range(f, &lo, &hi);
    if (util_parse_ll(port, (size_t)(end - port), &p) != 0 || p < lo || p > hi) return -1;
    memcpy(a->host, host, hostlen);
    a->host[hostlen] = '\0';
    a->port = (int)p;
    return 0;
}

static void strlist_free(struct cfg_strlist *l)
{
    for (size_t i = 0; i < l->count; i++) free(l->items[i]);
    free(l->items);
    l->items = NULL;
    l->count = 0;
}

static size_t strlist_bound(const struct cfg_field *f)
{
    return f->max_count ? f->max_count : CFG_STRLIST_MAX;
}

/* Errors about text content; `what` names the field's kind for the message. */
static int check_text(const char *s, size_t len, char *err, size_t errlen)
{
    if (memchr(s, '\0', len)) {
        snprintf(err, errlen, "expected text without NUL bytes");
        return -1;
    }
    if (!utf8_valid(s, len)) {
        snprintf(err, errlen, "expected valid UTF-8 text");
        return -1;
    }
    return 0;
}

int cfgv_list_add(const struct cfg_field *f, union cfg_value *v, const char *s, size_t len,
                  char *err, size_t errlen)
{
    ASSERT(f->type == CFG_STRLIST);
    if (check_text(s, len, err, errlen) != 0) return -1;
    if (v->list.count >= strlist_bound(f)) {
        snprintf(err, errlen, "expected at most %zu items", strlist_bound(f));
        return -1;
    }
    v->list.items = xrealloc(v->list.items, (v->list.count + 1) * sizeof(char *));
    v->list.items[v->list.count++] = xstrndup(s, len);
    return 0;
}

static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/* A scalar list: whitespace-separated words. */
static int parse_list(const struct cfg_field *f, const char *s, size_t len, union cfg_value *v,
                      char *err, size_t errlen)
{
    size_t words = 0;
    for (size_t i = 0; i < len; i++)
        if (!is_space(s[i]) && (i == 0 || is_space(s[i - 1]))) words++;
    if (words > strlist_bound(f)) {
        snprintf(err, errlen, "expected at most %zu items, got %zu", strlist_bound(f), words);
        return -1;
    }
    for (size_t i = 0; i < len;) {
        while (i < len && is_space(s[i])) i++;
        size_t start = i;
        while (i < len && !is_space(s[i])) i++;
        if (i > start && cfgv_list_add(f, v, s + start, i - start, err, errlen) != 0) {
            strlist_free(&v->list);
            return -1;
        }
    }
    return 0;
}

static int parse_string(const struct cfg_field *f, const char *s, size_t len, union cfg_value *v,
                        char *err, size_t errlen)
{
    long long lo, hi;
    field_range(f, &lo, &hi);
    if (check_text(s, len, err, errlen) != 0) return -1;
    if ((long long)len < lo || (long long)len > hi) {
        char desc[160];
        cfgv_describe(f, desc, sizeof desc);
        snprintf(err, errlen, "expected %s, got %zu bytes", desc, len);
        return -1;
    }
    v->s = xstrndup(s, len);
    return 0;
}

static void expect_error(const struct cfg_field *f, const char *s, size_t len, char *err,
                         size_t errlen)
{
    char desc[256], got[CFGV_QUOTE_MAX * 4 + 8];
    cfgv_describe(f, desc, sizeof desc);
    if (f->flags & CFG_F_SECRET)
        snprintf(got, sizeof got, "a value of %zu bytes", len); /* never echo a secret */
    else
        cfgv_quote(s, len, got, sizeof got);
    snprintf(err, errlen, "expected %s, got %s", desc, got);
}

int cfgv_parse(const struct cfg_field *f, const char *s, size_t len, union cfg_value *v, char *err,
               size_t errlen)
{
    long long lo, hi;
    int rc = -1;
    memset(v, 0, sizeof *v);
    field_range(f, &lo, &hi);
    switch (f->type) {
    case CFG_BOOL:
        rc = parse_bool(s, len, &v->b);
        break;
    case CFG_INT:
        rc = util_parse_ll(s, len, &v->ll);
        if (rc == 0 && (v->ll < lo || v->ll > hi)) rc = -1;
        break;
    case CFG_SIZE:
        rc = parse_percent(f, s, len, &v->ll);
        if (rc != 1) break;
        rc = parse_units(s, len, size_in, ARRAY_LEN(size_in), 1, &v->ll);
        if (rc == 0 && (v->ll < lo || v->ll > hi)) rc = -1;
        break;
    case CFG_DURATION: {
        long long ms = 0;
        rc = parse_units(s, len, duration_in, ARRAY_LEN(duration_in), f->unit_ms, &ms);
        if (rc == 0 && (ms < lo || ms > hi)) rc = -1;
        v->ms = ms;
        break;
    }
    case CFG_ENUM:
        rc = parse_enum(f, s, len, &v->e);
        break;
    case CFG_ADDR:
        rc = parse_addr(f, s, len, &v->addr);
        break;
    case CFG_STRING:
        return parse_string(f, s, len, v, err, errlen);
    case CFG_STRLIST:
        return parse_list(f, s, len, v, err, errlen);
    case CFG_SECTION:
    case CFG_SECTION_LIST:
        ASSERT(!"cfgv_parse on a section");
    }
    if (rc != 0) {
        memset(v, 0, sizeof *v);
        expect_error(f, s, len, err, errlen);
    }
    return rc;
}

int cfgv_validate(const struct cfg_field *f, const void *value_ptr, char *err, size_t errlen)
{
    if (!f->validate) return 0;
    err[0] = '\0';
    if (f->validate(value_ptr, err, errlen) == 0) return 0;
    if (err[0] == '\0') snprintf(err, errlen, "invalid value");
    return -1;
}

int cfgv_default(const struct cfg_field *f, union cfg_value *v, char *err, size_t errlen)
{
    memset(v, 0, sizeof *v);
    if (!f->def) return 0;
    if (cfgv_parse(f, f->def, strlen(f->def), v, err, errlen) != 0) return -1;
    if (cfgv_validate(f, v, err, errlen) != 0) {
        cfgv_release(f, v);
        return -1;
    }
    return 0;
}

/* --- storage --------------------------------------------------------------------------------- */

/* A borrowed view of a stored value, so comparisons work on one representation. */
static void value_view(const struct cfg_field *f, const void *p, union cfg_value *v)
{
    memset(v, 0, sizeof *v);
    switch (f->type) {
    case CFG_BOOL:
        v->b = *(const bool *)p;
        break;
    case CFG_INT:
    case CFG_SIZE:
        v->ll = *(const long long *)p;
        break;
    case CFG_DURATION:
        v->ms = *(const int64_t *)p;
        break;
    case CFG_ENUM:
        v->e = *(const int *)p;
        break;
    case CFG_STRING:
        v->s = *(char *const *)p;
        break;
    case CFG_ADDR:
        v->addr = *(const struct cfg_addr *)p;
        break;
    case CFG_STRLIST:
        v->list = *(const struct cfg_strlist *)p;
        break;
    case CFG_SECTION:
    case CFG_SECTION_LIST:
        ASSERT(!"value_view on a section");
    }
}

static bool values_equal(const struct cfg_field *f, const union cfg_value *a,
                         const union cfg_value *b)
{
    switch (f->type) {
    case CFG_BOOL:
        return a->b == b->b;
    case CFG_INT:
    case CFG_SIZE:
        return a->ll == b->ll;
    case CFG_DURATION:
        return a->ms == b->ms;
    case CFG_ENUM:
        return a->e == b->e;
    case CFG_STRING:
        if (!a->s || !b->s) return a->s == b->s;
        return strcmp(a->s, b->s) == 0;
    case CFG_ADDR:
        return a->addr.port == b->addr.port && strcmp(a->addr.host, b->addr.host) == 0;
    case CFG_STRLIST:
        if (a->list.count != b->list.count) return false;
        for (size_t i = 0; i < a->list.count; i++)
            if (strcmp(a->list.items[i], b->list.items[i]) != 0) return false;
        return true;
    case CFG_SECTION:
    case CFG_SECTION_LIST:
        break;
    }
    ASSERT(!"values_equal on a section");
    return false;
}

bool cfgv_equal(const struct cfg_field *f, const void *a_ptr, const void *b_ptr)
{
    union cfg_value a, b;
    value_view(f, a_ptr, &a);
    value_view(f, b_ptr, &b);
    return values_equal(f, &a, &b);
}

bool cfgv_equal_value(const struct cfg_field *f, const void *field_ptr, const union cfg_value *v)
{
    union cfg_value a;
    value_view(f, field_ptr, &a);
    return values_equal(f, &a, v);
}

void cfgv_release(const struct cfg_field *f, union cfg_value *v)
{
    if (f->type == CFG_STRING) free(v->s);
    if (f->type == CFG_STRLIST) strlist_free(&v->list);
    memset(v, 0, sizeof *v);
}

void cfgv_clear(const struct cfg_field *f, void *p)
{
    union cfg_value zero;
    memset(&zero, 0, sizeof zero);
    cfgv_store(f, p, &zero);
}

void cfgv_store(const struct cfg_field *f, void *p, union cfg_value *v)
{
    switch (f->type) {
    case CFG_BOOL:
        *(bool *)p = v->b;
        break;
    case CFG_INT:
    case CFG_SIZE:
        *(long long *)p = v->ll;
        break;
    case CFG_DURATION:
        *(int64_t *)p = v->ms;
        break;
    case CFG_ENUM:
        *(int *)p = v->e;
        break;
    case CFG_STRING:
        free(*(char **)p);
        *(char **)p = v->s;
        break;
    case CFG_ADDR:
        *(struct cfg_addr *)p = v->addr;
        break;
    case CFG_STRLIST:
        strlist_free(p);
        *(struct cfg_strlist *)p = v->list;
        break;
    case CFG_SECTION:
    case CFG_SECTION_LIST:
        ASSERT(!"cfgv_store on a section");
    }
    memset(v, 0, sizeof *v);
}

/* --- formatting ------------------------------------------------------------------------------ */

static void format_units(long long v, const struct unit *u, size_t n, const char *zero_suffix,
                         char *out, size_t cap)
{
    if (v == 0) {
        snprintf(out, cap, "0%s", zero_suffix);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (v % u[i].mult == 0) {
            snprintf(out, cap, "%lld%s", v / u[i].mult, u[i].suffix);
            return;
        }
    }
}

static void format_duration(const struct cfg_field *f, int64_t ms, char *out, size_t cap)
{
    format_units(ms, duration_out, ARRAY_LEN(duration_out), f->unit_ms == 1000 ? "s" : "ms", out,
                 cap);
}

static void format_size(long long bytes, char *out, size_t cap)
{
    format_units(bytes, size_out, ARRAY_LEN(size_out), "b", out, cap);
}

static void format_addr(const struct cfg_addr *a, struct buf *out)
{
    if (a->host[0] == '\0') return;
    if (strchr(a->host, ':'))
        buf_printf(out, "[%s]:%d", a->host, a->port);
    else
        buf_printf(out, "%s:%d", a->host, a->port);
}

static void format_list(const struct cfg_strlist *l, enum cfgv_fmt fmt, struct buf *out)
{
    if (fmt == CFGV_FMT_YAML) buf_append_char(out, '[');
    for (size_t i = 0; i < l->count; i++) {
        if (i) buf_append_str(out, fmt == CFGV_FMT_YAML ? ", " : " ");
        if (fmt == CFGV_FMT_YAML)
            cfgv_yaml_quote(l->items[i], out);
        else
            buf_append_str(out, l->items[i]);
    }
    if (fmt == CFGV_FMT_YAML) buf_append_char(out, ']');
}

void cfgv_format(const struct cfg_field *f, const void *p, enum cfgv_fmt fmt, struct buf *out)
{
    union cfg_value v;
    char tmp[64];
    bool yaml = fmt == CFGV_FMT_YAML;
    value_view(f, p, &v);
    switch (f->type) {
    case CFG_BOOL:
        buf_append_str(out, v.b ? "yes" : "no");
        break;
    case CFG_INT:
        buf_printf(out, "%lld", v.ll);
        break;
    case CFG_SIZE:
        if ((f->flags & CFG_F_PERCENT) && v.ll < 0)
            snprintf(tmp, sizeof tmp, "%lld%%", -v.ll); /* a percentage (parse_percent) */
        else if (yaml)
            format_size(v.ll, tmp, sizeof tmp);
        else
            snprintf(tmp, sizeof tmp, "%lld", v.ll);
        buf_append_str(out, tmp);
        break;
    case CFG_DURATION:
        if (yaml)
            format_duration(f, v.ms, tmp, sizeof tmp);
        else if (v.ms % f->unit_ms == 0) /* CONFIG GET: native unit, as Redis prints it */
            snprintf(tmp, sizeof tmp, "%lld", (long long)(v.ms / f->unit_ms));
        else
            snprintf(tmp, sizeof tmp, "%lldms", (long long)v.ms);
        buf_append_str(out, tmp);
        break;
    case CFG_ENUM: {
        size_t n = 0;
        while (f->enum_names[n]) n++;
        ASSERT(v.e >= 0 && (size_t)v.e < n);
        buf_append_str(out, f->enum_names[v.e]);
        break;
    }
    case CFG_STRING:
        if (yaml && v.s)
            cfgv_yaml_quote(v.s, out);
        else if (yaml)
            buf_append_char(out, '~'); /* null: unset */
        else if (v.s)
            buf_append_str(out, v.s);
        break;
    case CFG_ADDR: {
        struct buf a;
        buf_init(&a);
        format_addr(&v.addr, &a);
        if (yaml) cfgv_yaml_quote(a.data ? a.data : "", out);
        if (!yaml && a.len) buf_append(out, a.data, a.len);
        buf_free(&a);
        break;
    }
    case CFG_STRLIST:
        format_list(&v.list, fmt, out);
        break;
    case CFG_SECTION:
    case CFG_SECTION_LIST:
        ASSERT(!"cfgv_format on a section");
    }
}

/* --- descriptions ---------------------------------------------------------------------------- */

/* " from A to B", " of at least A", " of at most B" or "" for a range of numbers or units. */
static void describe_range(const struct cfg_field *f, long long lo, long long hi, long long nat_lo,
                           char *out, size_t cap)
{
    char a[64], b[64];
    if (f->type == CFG_DURATION) {
        format_duration(f, lo, a, sizeof a);
        format_duration(f, hi, b, sizeof b);
    } else if (f->type == CFG_SIZE) {
        format_size(lo, a, sizeof a);
        format_size(hi, b, sizeof b);
    } else {
        snprintf(a, sizeof a, "%lld", lo);
        snprintf(b, sizeof b, "%lld", hi);
    }
    if (lo == nat_lo && hi == LLONG_MAX)
        snprintf(out, cap, "%s", "");
    else if (hi == LLONG_MAX)
        snprintf(out, cap, " of at least %s", a);
    else if (lo == nat_lo && nat_lo == LLONG_MIN)
        snprintf(out, cap, " of at most %s", b);
    else
        snprintf(out, cap, " from %s to %s", a, b);
}

static void describe_enum(const struct cfg_field *f, char *out, size_t cap)
{
    size_t o = (size_t)snprintf(out, cap, "one of ");
    for (size_t i = 0; f->enum_names[i] && o < cap; i++)
        o += (size_t)snprintf(out + o, cap - o, "%s%s", i ? ", " : "", f->enum_names[i]);
}

void cfgv_describe(const struct cfg_field *f, char *out, size_t cap)
{
    long long lo, hi;
    char r[160];
    field_range(f, &lo, &hi);
    switch (f->type) {
    case CFG_BOOL:
        snprintf(out, cap, "yes/no or true/false");
        break;
    case CFG_INT:
        describe_range(f, lo, hi, LLONG_MIN, r, sizeof r);
        snprintf(out, cap, "an integer%s", r);
        break;
    case CFG_DURATION:
        describe_range(f, lo, hi, 0, r, sizeof r);
        if (f->unit_ms == 1 || f->unit_ms == 1000)
            snprintf(out, cap,
                     "a duration%s (e.g. 500ms, 10s, 2m; bare number = %s on the command line, "
                     "an error in a file)",
                     r, f->unit_ms == 1 ? "milliseconds" : "seconds");
        else
            snprintf(out, cap, "a duration%s (e.g. 500ms, 10s, 2m; bare number = %dms units)", r,
                     f->unit_ms);
        break;
    case CFG_SIZE:
        describe_range(f, lo, hi, 0, r, sizeof r);
        snprintf(out, cap, "a size%s (e.g. 100b, 512kb, 64mb, 1gb; bare number = bytes)%s", r,
                 (f->flags & CFG_F_PERCENT) ? " or a percentage from 0% to 100%" : "");
        break;
    case CFG_STRING:
        if (lo == 0 && hi == LLONG_MAX)
            snprintf(out, cap, "a string");
        else if (lo == 0)
            snprintf(out, cap, "a string of at most %lld bytes", hi);
        else if (hi == LLONG_MAX)
            snprintf(out, cap, "a string of at least %lld bytes", lo);
        else
            snprintf(out, cap, "a string of %lld to %lld bytes", lo, hi);
        break;
    case CFG_ENUM:
        describe_enum(f, out, cap);
        break;
    case CFG_ADDR:
        snprintf(out, cap, "host:port or [ipv6]:port with a port from %lld to %lld", lo, hi);
        break;
    case CFG_STRLIST:
        snprintf(out, cap, "a string or a list of strings");
        break;
    case CFG_SECTION:
        snprintf(out, cap, "a mapping");
        break;
    case CFG_SECTION_LIST:
        snprintf(out, cap, "a list of mappings");
        break;
    }
}
