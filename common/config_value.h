/* config_value: the per-type half of config (internal to common/config*.c; not a public API).
 * Turns text into a typed value (parse + range check), runs the field's validator, stores a value
 * into the caller's struct, compares, formats and describes values. Knows nothing of YAML nodes,
 * files or dotted paths: config.c walks documents and paths, config_write.c emits YAML (and holds
 * the two quoting functions declared at the end).
 * Invariant: a union cfg_value either owns its string/list (after cfgv_parse/cfgv_default, until
 * cfgv_store or cfgv_release) or is empty. */
#ifndef VIGIL_CONFIG_VALUE_H
#define VIGIL_CONFIG_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/config.h"

union cfg_value {
    bool b;
    long long ll; /* CFG_INT, CFG_SIZE */
    int64_t ms;   /* CFG_DURATION */
    int e;
    char *s;
    struct cfg_addr addr;
    struct cfg_strlist list;
};

enum cfgv_fmt {
    CFGV_FMT_GET,  /* CONFIG GET: native units, bare numbers, unquoted */
    CFGV_FMT_YAML, /* a YAML scalar or flow sequence that cfgv_parse reads back */
};

/* Where a field's value lives inside obj. */
static inline void *cfgv_ptr(const struct cfg_field *f, const void *obj)
{
    return (char *)obj + f->offset;
}

static inline bool cfgv_is_leaf(const struct cfg_field *f)
{
    return f->type != CFG_SECTION && f->type != CFG_SECTION_LIST;
}

/* The field an alias stands for (itself when f is not an alias); the schema check guarantees one.
 */
static inline size_t cfgv_canonical(const struct cfg_schema *s, size_t i)
{
    const struct cfg_field *f = &s->fields[i];
    for (size_t j = i; (f->flags & CFG_F_ALIAS) && j-- > 0;) {
        const struct cfg_field *g = &s->fields[j];
        if (!(g->flags & CFG_F_ALIAS) && g->offset == f->offset && g->type == f->type) return j;
    }
    return i;
}

/* Parses text (not NUL-terminated) for a leaf field and checks its range. On failure returns -1
 * with "expected <description>, got <text>" in err; v then owns nothing. */
int cfgv_parse(const struct cfg_field *f, const char *text, size_t len, union cfg_value *v,
               char *err, size_t errlen);
/* Appends one item to a CFG_STRLIST value being built (from a YAML sequence); -1 with err when
 * the item is not valid UTF-8 or the list is full. */
int cfgv_list_add(const struct cfg_field *f, union cfg_value *v, const char *s, size_t len,
                  char *err, size_t errlen);
/* Runs the field's validator, if any; -1 with its message in err. */
int cfgv_validate(const struct cfg_field *f, const void *value_ptr, char *err, size_t errlen);
/* Parses and validates the default (zero value when def is NULL). */
int cfgv_default(const struct cfg_field *f, union cfg_value *v, char *err, size_t errlen);
/* Moves v into the field (freeing what was there); v owns nothing afterwards. */
void cfgv_store(const struct cfg_field *f, void *field_ptr, union cfg_value *v);
void cfgv_release(const struct cfg_field *f, union cfg_value *v);
/* Frees a stored leaf value in place, leaving it zero. */
void cfgv_clear(const struct cfg_field *f, void *field_ptr);
bool cfgv_equal(const struct cfg_field *f, const void *a_ptr, const void *b_ptr);
/* Same comparison, stored value against a parsed one. */
bool cfgv_equal_value(const struct cfg_field *f, const void *field_ptr, const union cfg_value *v);
void cfgv_format(const struct cfg_field *f, const void *field_ptr, enum cfgv_fmt fmt,
                 struct buf *out);
/* "an integer from 1 to 65535", "a duration ...", as used after "expected ". */
void cfgv_describe(const struct cfg_field *f, char *out, size_t cap);
/* Decodes one UTF-8 code point from s[0..len); returns the bytes used, or 0 if invalid. */
size_t cfgv_utf8_decode(const unsigned char *s, size_t len, unsigned *cp);
/* Bounded, printable, quoted copy of text for messages: "abc"; a value longer than
 * CFGV_QUOTE_MAX bytes is cut and followed by "...". */
#define CFGV_QUOTE_MAX 64
void cfgv_quote(const char *s, size_t len, char *out, size_t cap);
/* A YAML double-quoted scalar that reads back to exactly s. */
void cfgv_yaml_quote(const char *s, struct buf *out);

#endif
