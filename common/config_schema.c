/* config_schema: whole-object operations driven by a schema (see config.h): storing defaults,
 * freeing, comparing, and checking a schema table for mistakes. Separate from config.c because
 * none of this touches YAML. Invariant: the walk into a CFG_SECTION_LIST only visits elements
 * below its count, which are exactly the initialised ones. */
#include <stdio.h>
#include <string.h>

#include "common/config.h"
#include "common/config_value.h"
#include "common/util.h"

static size_t *list_count(const struct cfg_field *f, const void *obj)
{
    return (size_t *)((char *)obj + f->count_offset);
}

static void *list_elem(const struct cfg_field *f, const void *obj, size_t i)
{
    return (char *)cfgv_ptr(f, obj) + i * f->elem_size;
}

void cfg_defaults(const struct cfg_schema *s, void *obj)
{
    char err[CFG_ERR_LEN];
    for (size_t i = 0; i < s->nfields; i++) {
        const struct cfg_field *f = &s->fields[i];
        union cfg_value v;
        if (f->flags & CFG_F_ALIAS) continue;
        if (f->type == CFG_SECTION) {
            cfg_defaults(f->sub, cfgv_ptr(f, obj));
        } else if (f->type == CFG_SECTION_LIST) {
            for (size_t k = 0; k < *list_count(f, obj); k++) cfg_free(f->sub, list_elem(f, obj, k));
            *list_count(f, obj) = 0;
        } else {
            ASSERT(f->type != CFG_DURATION || f->unit_ms > 0);
            if (cfgv_default(f, &v, err, sizeof err) != 0)
                util_panic("config: invalid default for \"%s\": %s", f->key, err);
            cfgv_store(f, cfgv_ptr(f, obj), &v);
        }
    }
}

void cfg_free(const struct cfg_schema *s, void *obj)
{
    for (size_t i = 0; i < s->nfields; i++) {
        const struct cfg_field *f = &s->fields[i];
        if (f->flags & CFG_F_ALIAS) continue;
        if (f->type == CFG_SECTION) {
            cfg_free(f->sub, cfgv_ptr(f, obj));
        } else if (f->type == CFG_SECTION_LIST) {
            for (size_t k = 0; k < *list_count(f, obj); k++) cfg_free(f->sub, list_elem(f, obj, k));
            *list_count(f, obj) = 0;
        } else if (f->type == CFG_STRING || f->type == CFG_STRLIST) {
            cfgv_clear(f, cfgv_ptr(f, obj));
        }
    }
}

bool cfg_equal(const struct cfg_schema *s, const void *a, const void *b)
{
    for (size_t i = 0; i < s->nfields; i++) {
        const struct cfg_field *f = &s->fields[i];
        if (f->flags & CFG_F_ALIAS) continue;
        if (f->type == CFG_SECTION) {
            if (!cfg_equal(f->sub, cfgv_ptr(f, a), cfgv_ptr(f, b))) return false;
        } else if (f->type == CFG_SECTION_LIST) {
            size_t n = *list_count(f, a);
            if (n != *list_count(f, b)) return false;
            for (size_t k = 0; k < n; k++)
                if (!cfg_equal(f->sub, list_elem(f, a, k), list_elem(f, b, k))) return false;
        } else if (!cfgv_equal(f, cfgv_ptr(f, a), cfgv_ptr(f, b))) {
            return false;
        }
    }
    return true;
}

/* --- schema check ---------------------------------------------------------------------------- */

static int schema_fail(char *err, size_t errlen, const char *path, const char *what)
{
    snprintf(err, errlen, "%s: %s", path, what);
    return -1;
}

static bool key_is_valid(const char *key)
{
    if (!key || !key[0]) return false;
    for (const char *p = key; *p; p++)
        if (*p == '.' || *p <= ' ' || *p >= 0x7f || *p == ':' || *p == '#') return false;
    return true;
}

static int check_schema_at(const struct cfg_schema *s, const char *prefix, int depth, char *err,
                           size_t errlen);

/* The type-specific rules for one field. */
static int check_field_shape(const struct cfg_field *f, const char *path, int depth, char *err,
                             size_t errlen)
{
    if ((f->flags & CFG_F_PERCENT) && (f->type != CFG_SIZE || f->min < 0))
        return schema_fail(err, errlen, path, "a percentage needs a size without negative bytes");
    switch (f->type) {
    case CFG_INT:
    case CFG_SIZE:
    case CFG_STRING:
        if (f->min > f->max) return schema_fail(err, errlen, path, "min > max");
        if (f->type == CFG_STRING && f->min < 0) return schema_fail(err, errlen, path, "min < 0");
        return 0;
    case CFG_DURATION:
        if (f->min > f->max) return schema_fail(err, errlen, path, "min > max");
        if (f->unit_ms <= 0) return schema_fail(err, errlen, path, "unit_ms must be 1 or 1000");
        return 0;
    case CFG_ENUM:
        if (!f->enum_names || !f->enum_names[0])
            return schema_fail(err, errlen, path, "enum without names");
        return 0;
    case CFG_ADDR:
        if (f->min > f->max || f->min < 0 || f->max > 65535)
            return schema_fail(err, errlen, path, "port range must lie within 0..65535");
        return 0;
    case CFG_SECTION_LIST:
        if (f->elem_size == 0 || f->max_count == 0)
            return schema_fail(err, errlen, path, "list without elem_size or max_count");
        /* fall through */
    case CFG_SECTION:
        if (!f->sub) return schema_fail(err, errlen, path, "section without a sub-schema");
        if (depth >= 8) return schema_fail(err, errlen, path, "sections nested too deep");
        return check_schema_at(f->sub, path, depth + 1, err, errlen);
    case CFG_BOOL:
    case CFG_STRLIST:
        return 0;
    }
    return schema_fail(err, errlen, path, "unknown type");
}

static int check_schema_at(const struct cfg_schema *s, const char *prefix, int depth, char *err,
                           size_t errlen)
{
    char path[256], msg[CFG_ERR_LEN];
    for (size_t i = 0; i < s->nfields; i++) {
        const struct cfg_field *f = &s->fields[i];
        snprintf(path, sizeof path, "%s%s%s", prefix, prefix[0] ? "." : "",
                 f->key ? f->key : "(null)");
        if (!key_is_valid(f->key)) return schema_fail(err, errlen, path, "invalid key");
        for (size_t j = 0; j < i; j++)
            if (util_eq_nocase(f->key, strlen(f->key), s->fields[j].key))
                return schema_fail(err, errlen, path, "duplicate key");
        if (!f->help || !f->help[0] || strchr(f->help, '\n'))
            return schema_fail(err, errlen, path, "help must be one non-empty line");
        if ((f->flags & CFG_F_ALIAS) && cfgv_canonical(s, i) == i)
            return schema_fail(err, errlen, path, "alias without an earlier field at its offset");
        if (check_field_shape(f, path, depth, err, errlen) != 0) return -1;
        if (cfgv_is_leaf(f)) {
            union cfg_value v;
            if (cfgv_default(f, &v, msg, sizeof msg) != 0) {
                snprintf(err, errlen, "%s: invalid default: %s", path, msg);
                return -1;
            }
            cfgv_release(f, &v);
        }
    }
    return 0;
}

int cfg_schema_check(const struct cfg_schema *s, char *err, size_t errlen)
{
    return check_schema_at(s, "", 0, err, errlen);
}
