/* config: loading YAML documents, command-line overrides and runtime CONFIG SET/GET through a
 * schema (see config.h). This file walks libyaml's document tree and dotted paths; what a value
 * means is config_value.c's business, writing YAML is config_write.c's, and defaults, freeing and
 * schema checks live in config_schema.c.
 *
 * Loading is two-phase per value: parse + range check + validator into a temporary, then store.
 * So a bad value never replaces a good one, and every error in a file is collected (bounded by
 * CFG_MAX_ERRORS) instead of stopping at the first. libyaml itself stops at the first syntax
 * error; a file with one reports just that.
 *
 * The walk follows the schema, never the document: a document can be arbitrarily deep or use
 * aliases, but we visit at most (schema depth) x (bounded list lengths) nodes. */
#include "common/config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "common/config_value.h"
#include "common/util.h"

#define PATH_MAX_LEN 256 /* a dotted path: schema keys and list indices */
#define NO_FIELD ((size_t)-1)

/* --- errors ---------------------------------------------------------------------------------- */

void cfg_errors_init(struct cfg_errors *e)
{
    e->count = 0;
    e->dropped = 0;
}

static size_t errors_total(const struct cfg_errors *e) { return e->count + e->dropped; }

static struct cfg_error *errors_next(struct cfg_errors *e)
{
    if (e->count >= CFG_MAX_ERRORS) {
        e->dropped++;
        return NULL;
    }
    return &e->err[e->count++];
}

static void errors_add_at(struct cfg_errors *e, const char *name, unsigned line, unsigned column,
                          const char *msg)
{
    struct cfg_error *x = errors_next(e);
    if (!x) return;
    x->line = line;
    x->column = column;
    if (line)
        snprintf(x->text, sizeof x->text, "%s:%u:%u: %s", name, line, column, msg);
    else
        snprintf(x->text, sizeof x->text, "%s: %s", name, msg);
}

void cfg_errors_addf(struct cfg_errors *e, const char *fmt, ...)
{
    struct cfg_error *x = errors_next(e);
    if (!x) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(x->text, sizeof x->text, fmt, ap);
    va_end(ap);
    x->line = x->column = 0;
}

void cfg_errors_print(const struct cfg_errors *e, FILE *f)
{
    for (size_t i = 0; i < e->count; i++) fprintf(f, "%s\n", e->err[i].text);
    if (e->dropped) fprintf(f, "... and %zu more errors\n", e->dropped);
}

/* --- fields and paths ------------------------------------------------------------------------ */

void cfg_key_suggestion(const struct cfg_schema *s, const char *key, size_t len, char *out,
                        size_t cap)
{
    out[0] = '\0';
    if (s->nfields == 0) return;
    const char **names = xcalloc(s->nfields, sizeof(*names));
    for (size_t i = 0; i < s->nfields; i++) names[i] = s->fields[i].key;
    const char *best = util_closest(key, len, names, s->nfields);
    if (best) snprintf(out, cap, " (did you mean \"%s\"?)", best);
    free(names);
}

static size_t field_index(const struct cfg_schema *s, const char *key, size_t len)
{
    for (size_t i = 0; i < s->nfields; i++)
        if (util_eq_nocase(key, len, s->fields[i].key)) return i;
    return NO_FIELD;
}

static size_t *list_count_ptr(const struct cfg_field *f, const void *obj)
{
    return (size_t *)((char *)obj + f->count_offset);
}

static void *list_elem(const struct cfg_field *f, const void *obj, size_t i)
{
    return (char *)cfgv_ptr(f, obj) + i * f->elem_size;
}

/* "prefix.key" (or "key" at the top); paths are built from bounded schema data, so overflowing
 * the buffer would mean a schema nested absurdly deep. */
static void path_join(char *out, const char *prefix, const char *key, size_t keylen)
{
    int n = snprintf(out, PATH_MAX_LEN, "%s%s%.*s", prefix, prefix[0] ? "." : "", (int)keylen, key);
    if (n >= PATH_MAX_LEN) snprintf(out + PATH_MAX_LEN - 4, 4, "...");
}

static void path_index(char *out, const char *prefix, size_t i)
{
    char idx[24];
    snprintf(idx, sizeof idx, "%zu", i);
    path_join(out, prefix, idx, strlen(idx));
}

struct cfg_ref {
    const struct cfg_field *f;
    void *obj; /* the struct that holds f; NULL when resolving without an object */
};

static int resolve_fail(const char *path, char *err, size_t errlen)
{
    char q[CFG_ERR_LEN / 2];
    cfgv_quote(path, strlen(path), q, sizeof q);
    snprintf(err, errlen, "unknown key %s", q);
    return -1;
}

/* Steps from a list field into element `idx` named by the path segment seg[0..len). */
static int resolve_index(const struct cfg_field *f, void **obj, const char *seg, size_t len,
                         const char *path, char *err, size_t errlen)
{
    unsigned long long idx;
    if (util_parse_ull(seg, len, &idx) != 0 || idx >= f->max_count)
        return resolve_fail(path, err, errlen);
    if (*obj) {
        size_t count = *list_count_ptr(f, *obj);
        if (idx >= count) {
            snprintf(err, errlen, "no entry %llu in \"%s\", which has %zu", idx, f->key, count);
            return -1;
        }
        *obj = list_elem(f, *obj, (size_t)idx);
    }
    return 0;
}

/* Follows a dotted path ("http.port", "masters.0.quorum") to a field and the struct holding it. */
static int path_resolve(const struct cfg_schema *s, const void *obj, const char *path,
                        struct cfg_ref *out, char *err, size_t errlen)
{
    const char *p = path;
    void *cur = (void *)obj;
    for (;;) {
        const char *dot = strchr(p, '.');
        size_t len = dot ? (size_t)(dot - p) : strlen(p);
        size_t i = field_index(s, p, len);
        if (i == NO_FIELD) {
            char hint[CFG_ERR_LEN / 4];
            resolve_fail(path, err, errlen);
            cfg_key_suggestion(s, p, len, hint, sizeof hint);
            size_t n = strlen(err);
            snprintf(err + n, errlen - n, "%s", hint);
            return -1;
        }
        const struct cfg_field *f = &s->fields[i];
        if (!dot) {
            out->f = f;
            out->obj = cur;
            return 0;
        }
        p = dot + 1;
        if (f->type == CFG_SECTION) {
            if (cur) cur = cfgv_ptr(f, cur);
        } else if (f->type == CFG_SECTION_LIST) {
            dot = strchr(p, '.');
            if (!dot) return resolve_fail(path, err, errlen);
            if (resolve_index(f, &cur, p, (size_t)(dot - p), path, err, errlen) != 0) return -1;
            p = dot + 1;
        } else {
            return resolve_fail(path, err, errlen);
        }
        s = f->sub;
    }
}

const struct cfg_field *cfg_find(const struct cfg_schema *s, const char *key)
{
    struct cfg_ref r;
    char err[CFG_ERR_LEN];
    return path_resolve(s, NULL, key, &r, err, sizeof err) == 0 ? r.f : NULL;
}

/* Parse, validate, store: all or nothing. err gets "path: message". */
static int set_leaf(const struct cfg_field *f, void *obj, const char *path, const char *value,
                    size_t len, char *err, size_t errlen)
{
    union cfg_value v;
    char msg[CFG_ERR_LEN];
    if (cfgv_parse(f, value, len, &v, msg, sizeof msg) != 0 ||
        cfgv_validate(f, &v, msg, sizeof msg) != 0) {
        cfgv_release(f, &v);
        snprintf(err, errlen, "%s: %s", path, msg);
        return -1;
    }
    cfgv_store(f, cfgv_ptr(f, obj), &v);
    return 0;
}

/* Shared by cfg_set and the command line: a leaf named by a dotted path, set from text. */
static int set_path(const struct cfg_schema *s, void *obj, const char *key, const char *value,
                    bool runtime, char *err, size_t errlen)
{
    struct cfg_ref r;
    if (path_resolve(s, obj, key, &r, err, errlen) != 0) return -1;
    if (!cfgv_is_leaf(r.f)) {
        snprintf(err, errlen, "%s: is a section; set its keys one by one", key);
        return -1;
    }
    if (runtime && (r.f->flags & CFG_F_IMMUTABLE)) {
        snprintf(err, errlen, "%s: can't set immutable config", key);
        return -1;
    }
    return set_leaf(r.f, r.obj, key, value, strlen(value), err, errlen);
}

int cfg_set(const struct cfg_schema *s, void *obj, const char *key, const char *value, char *err,
            size_t errlen)
{
    return set_path(s, obj, key, value, true, err, errlen);
}

/* CONFIG GET's text, with secrets redacted (an unset secret shows as ""). */
static void format_get(const struct cfg_field *f, const void *field_ptr, struct buf *out)
{
    if (!(f->flags & CFG_F_SECRET)) {
        cfgv_format(f, field_ptr, CFGV_FMT_GET, out);
        return;
    }
    struct buf tmp;
    buf_init(&tmp);
    cfgv_format(f, field_ptr, CFGV_FMT_GET, &tmp);
    if (tmp.len) buf_append_str(out, CFG_REDACTED);
    buf_free(&tmp);
}

static int get_leaf(const struct cfg_schema *s, const void *obj, const char *key, bool redact,
                    struct buf *out)
{
    struct cfg_ref r;
    char err[CFG_ERR_LEN];
    if (path_resolve(s, obj, key, &r, err, sizeof err) != 0 || !cfgv_is_leaf(r.f)) return -1;
    if (redact)
        format_get(r.f, cfgv_ptr(r.f, r.obj), out);
    else
        cfgv_format(r.f, cfgv_ptr(r.f, r.obj), CFGV_FMT_GET, out);
    return 0;
}

int cfg_get(const struct cfg_schema *s, const void *obj, const char *key, struct buf *out)
{
    return get_leaf(s, obj, key, true, out);
}

int cfg_get_unredacted(const struct cfg_schema *s, const void *obj, const char *key,
                       struct buf *out)
{
    return get_leaf(s, obj, key, false, out);
}

struct match_ctx {
    const char *pattern;
    cfg_visit_fn fn;
    void *ud;
    size_t matches;
    struct buf value;
};

static void match_walk(struct match_ctx *m, const struct cfg_schema *s, const void *obj,
                       const char *prefix)
{
    char path[PATH_MAX_LEN], elem_path[PATH_MAX_LEN];
    for (size_t i = 0; i < s->nfields; i++) {
        const struct cfg_field *f = &s->fields[i];
        path_join(path, prefix, f->key, strlen(f->key));
        if ((f->flags & CFG_F_ALIAS) && !cfgv_is_leaf(f)) continue;
        if (f->type == CFG_SECTION) {
            match_walk(m, f->sub, cfgv_ptr(f, obj), path);
        } else if (f->type == CFG_SECTION_LIST) {
            for (size_t k = 0; k < *list_count_ptr(f, obj); k++) {
                path_index(elem_path, path, k);
                match_walk(m, f->sub, list_elem(f, obj, k), elem_path);
            }
        } else if (util_glob_match(m->pattern, strlen(m->pattern), path, strlen(path), true)) {
            buf_clear(&m->value);
            format_get(f, cfgv_ptr(f, obj), &m->value);
            m->fn(path, m->value.data ? m->value.data : "", m->ud);
            m->matches++;
        }
    }
}

size_t cfg_get_matching(const struct cfg_schema *s, const void *obj, const char *pattern,
                        cfg_visit_fn fn, void *ud)
{
    struct match_ctx m = {.pattern = pattern, .fn = fn, .ud = ud};
    buf_init(&m.value);
    match_walk(&m, s, obj, "");
    buf_free(&m.value);
    return m.matches;
}

/* --- command line ---------------------------------------------------------------------------- */

/* `--bind+ 10.0.0.2` / `--bind+=10.0.0.2`: append to a list instead of replacing it (the file's
 * list, or the default, keeps its entries). */
static int append_path(const struct cfg_schema *s, void *obj, const char *key, const char *value,
                       char *err, size_t errlen)
{
    struct cfg_ref r;
    if (path_resolve(s, obj, key, &r, err, errlen) != 0) return -1;
    if (r.f->type != CFG_STRLIST) {
        snprintf(err, errlen, "%s+: only a list can be appended to", key);
        return -1;
    }
    const struct cfg_strlist *old = cfgv_ptr(r.f, r.obj);
    union cfg_value v;
    char msg[CFG_ERR_LEN / 2];
    memset(&v, 0, sizeof v);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < old->count; i++)
        rc = cfgv_list_add(r.f, &v, old->items[i], strlen(old->items[i]), msg, sizeof msg);
    if (rc == 0) rc = cfgv_list_add(r.f, &v, value, strlen(value), msg, sizeof msg);
    if (rc == 0) rc = cfgv_validate(r.f, &v, msg, sizeof msg);
    if (rc != 0) {
        cfgv_release(r.f, &v);
        snprintf(err, errlen, "%.100s: %s", key, msg);
        return -1;
    }
    cfgv_store(r.f, cfgv_ptr(r.f, r.obj), &v);
    return 0;
}

static int append_section_entry(const struct cfg_field *f, void *obj, const char *key,
                                const char *value, struct cfg_errors *errs);

/* `--masters+ '{name: m2, host: 10.0.0.2, port: 6379, quorum: 2}'` adds an entry to a list of
 * sections; `--bind+ 10.0.0.2` a string to a list of strings. */
static int append_arg(const struct cfg_schema *s, void *obj, const char *key, const char *value,
                      struct cfg_errors *errs)
{
    struct cfg_ref r;
    char err[CFG_ERR_LEN];
    if (path_resolve(s, obj, key, &r, err, sizeof err) == 0 && r.f->type == CFG_SECTION_LIST)
        return append_section_entry(r.f, r.obj, key, value, errs);
    if (append_path(s, obj, key, value, err, sizeof err) == 0) return 0;
    cfg_errors_addf(errs, "command line: %s", err);
    return -1;
}

int cfg_apply_args(const struct cfg_schema *s, void *obj, int argc, char **argv, int *first_unused,
                   struct cfg_errors *errs)
{
    size_t before = errors_total(errs);
    char key[PATH_MAX_LEN], err[CFG_ERR_LEN];
    int i = 0;
    while (i < argc && strncmp(argv[i], "--", 2) == 0) {
        const char *arg = argv[i] + 2, *eq = strchr(arg, '='), *value;
        if (arg[0] == '\0') { /* "--" ends the options */
            i++;
            break;
        }
        size_t keylen = eq ? (size_t)(eq - arg) : strlen(arg);
        snprintf(key, sizeof key, "%.*s", (int)MIN(keylen, sizeof key - 1), arg);
        if (eq) {
            value = eq + 1;
            i++;
        } else if (i + 1 < argc) {
            value = argv[i + 1];
            i += 2;
        } else {
            cfg_errors_addf(errs, "command line: --%s: missing value", key);
            i++;
            break;
        }
        size_t kl = strlen(key);
        bool append = kl > 1 && key[kl - 1] == '+';
        if (append) key[kl - 1] = '\0';
        if (append) {
            append_arg(s, obj, key, value, errs);
            continue;
        }
        if (set_path(s, obj, key, value, false, err, sizeof err) != 0)
            cfg_errors_addf(errs, "command line: %s", err);
    }
    if (first_unused) *first_unused = i;
    return errors_total(errs) > before ? -1 : 0;
}

/* --- YAML documents -------------------------------------------------------------------------- */

struct load_ctx {
    const char *name;
    yaml_document_t *doc;
    struct cfg_errors *errs;
};

static void load_error(struct load_ctx *c, const yaml_node_t *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void load_error(struct load_ctx *c, const yaml_node_t *at, const char *fmt, ...)
{
    char msg[CFG_ERR_LEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    unsigned line = at ? (unsigned)at->start_mark.line + 1 : 1;
    unsigned col = at ? (unsigned)at->start_mark.column + 1 : 1;
    errors_add_at(c->errs, c->name, line, col, msg);
}

static const char *node_kind(const yaml_node_t *n)
{
    switch (n->type) {
    case YAML_SCALAR_NODE:
        return "a scalar";
    case YAML_SEQUENCE_NODE:
        return "a sequence";
    case YAML_MAPPING_NODE:
        return "a mapping";
    default:
        return "nothing";
    }
}

static void type_error(struct load_ctx *c, const struct cfg_field *f, const yaml_node_t *n,
                       const char *path)
{
    char desc[256];
    cfgv_describe(f, desc, sizeof desc);
    load_error(c, n, "%s: expected %s, got %s", path, desc, node_kind(n));
}

/* A plain `~`, `null` or nothing: YAML's null, which unsets strings, addresses and lists. */
static bool node_is_null(const yaml_node_t *n)
{
    const char *s = (const char *)n->data.scalar.value;
    size_t len = n->data.scalar.length;
    return n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
           (len == 0 || util_eq_nocase(s, len, "~") || util_eq_nocase(s, len, "null"));
}

/* Validates and stores a parsed value, or reports the validator's complaint. */
static void load_commit(struct load_ctx *c, const struct cfg_field *f, void *obj,
                        union cfg_value *v, const yaml_node_t *n, const char *path)
{
    char msg[CFG_ERR_LEN];
    if (cfgv_validate(f, v, msg, sizeof msg) != 0) {
        load_error(c, n, "%s: %s", path, msg);
        cfgv_release(f, v);
        return;
    }
    cfgv_store(f, cfgv_ptr(f, obj), v);
}

/* A bare number other than 0 for a duration in a file: Redis's names mix seconds (`timeout`,
 * `repl-timeout`) and milliseconds (`down-after-milliseconds`), so `down-after: 5` or
 * `timeout: 5` would silently mean one or the other. A file must say the unit, unless the key's
 * own name does. (Command-line `--key N`, CONFIG SET and SENTINEL SET keep Redis's unit.) */
static bool duration_needs_unit(const struct cfg_field *f, const char *s, size_t len)
{
    static const char named[] = "-milliseconds";
    size_t kl = strlen(f->key), nl = sizeof(named) - 1;
    if (f->type != CFG_DURATION || (kl > nl && strcmp(f->key + kl - nl, named) == 0)) return false;
    bool zero = true;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') return false;
        if (s[i] != '0') zero = false;
    }
    return len > 0 && !zero;
}

static void load_scalar(struct load_ctx *c, const struct cfg_field *f, void *obj,
                        const yaml_node_t *n, const char *path)
{
    union cfg_value v;
    char msg[CFG_ERR_LEN];
    const char *text = (const char *)n->data.scalar.value;
    size_t len = n->data.scalar.length;
    if (duration_needs_unit(f, text, len)) {
        load_error(c, n,
                   "%s: a duration needs a unit in a config file: write \"%.*sms\" or \"%.*ss\" "
                   "(a bare number means %s on the command line and in CONFIG SET)",
                   path, (int)MIN(len, 20), text, (int)MIN(len, 20), text,
                   f->unit_ms == 1000 ? "seconds" : "milliseconds");
        return;
    }
    if (node_is_null(n) &&
        (f->type == CFG_STRING || f->type == CFG_ADDR || f->type == CFG_STRLIST)) {
        /* null is "unset", the zero value (length limits do not apply), unless it must be set */
        if (f->flags & CFG_F_REQUIRED) {
            cfgv_describe(f, msg, sizeof msg);
            load_error(c, n, "%s: expected %s, got null", path, msg);
            return;
        }
        memset(&v, 0, sizeof v);
    } else if (cfgv_parse(f, (const char *)n->data.scalar.value, n->data.scalar.length, &v, msg,
                          sizeof msg) != 0) {
        load_error(c, n, "%s: %s", path, msg);
        return;
    }
    load_commit(c, f, obj, &v, n, path);
}

static void load_strlist(struct load_ctx *c, const struct cfg_field *f, void *obj,
                         const yaml_node_t *seq, const char *path)
{
    size_t n = (size_t)(seq->data.sequence.items.top - seq->data.sequence.items.start);
    size_t bound = f->max_count ? f->max_count : CFG_STRLIST_MAX;
    union cfg_value v;
    char msg[CFG_ERR_LEN], item_path[PATH_MAX_LEN];
    bool ok = true;
    if (n > bound) {
        load_error(c, seq, "%s: expected at most %zu items, got %zu", path, bound, n);
        return;
    }
    memset(&v, 0, sizeof v);
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *item = yaml_document_get_node(c->doc, seq->data.sequence.items.start[i]);
        path_index(item_path, path, i);
        if (!item || item->type != YAML_SCALAR_NODE) {
            if (item)
                load_error(c, item, "%s: expected a string, got %s", item_path, node_kind(item));
            ok = false;
        } else if (cfgv_list_add(f, &v, (const char *)item->data.scalar.value,
                                 item->data.scalar.length, msg, sizeof msg) != 0) {
            load_error(c, item, "%s: %s", item_path, msg);
            ok = false;
        }
    }
    if (ok)
        load_commit(c, f, obj, &v, seq, path);
    else
        cfgv_release(f, &v);
}

static void load_mapping(struct load_ctx *c, const struct cfg_schema *s, void *obj,
                         const yaml_node_t *map, const char *path);

/* Runs a section's validator, unless something inside already failed (it would see defaults). */
static void load_validate_section(struct load_ctx *c, const struct cfg_field *f, const void *sec,
                                  size_t errs_before, const yaml_node_t *n, const char *path)
{
    char msg[CFG_ERR_LEN];
    if (errors_total(c->errs) != errs_before) return;
    if (cfgv_validate(f, sec, msg, sizeof msg) != 0) load_error(c, n, "%s: %s", path, msg);
}

static void list_clear(const struct cfg_field *f, void *obj)
{
    size_t *count = list_count_ptr(f, obj);
    for (size_t i = 0; i < *count; i++) cfg_free(f->sub, list_elem(f, obj, i));
    *count = 0;
}

/* A list in a file replaces the whole list; each element starts zeroed, then defaulted. */
static void load_section_list(struct load_ctx *c, const struct cfg_field *f, void *obj,
                              const yaml_node_t *seq, const char *path)
{
    size_t n = (size_t)(seq->data.sequence.items.top - seq->data.sequence.items.start);
    char elem_path[PATH_MAX_LEN];
    if (n > f->max_count) {
        load_error(c, seq, "%s: expected at most %zu entries, got %zu", path, f->max_count, n);
        return;
    }
    list_clear(f, obj);
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *item = yaml_document_get_node(c->doc, seq->data.sequence.items.start[i]);
        void *elem = list_elem(f, obj, i);
        memset(elem, 0, f->elem_size);
        cfg_defaults(f->sub, elem);
        (*list_count_ptr(f, obj))++;
        path_index(elem_path, path, i);
        if (!item) continue;
        if (item->type != YAML_MAPPING_NODE) {
            load_error(c, item, "%s: expected a mapping, got %s", elem_path, node_kind(item));
            continue;
        }
        size_t before = errors_total(c->errs);
        load_mapping(c, f->sub, elem, item, elem_path);
        load_validate_section(c, f, elem, before, item, elem_path);
    }
}

static void syntax_error(struct cfg_errors *errs, const char *name, const yaml_parser_t *p,
                         const char *text, size_t len);

/* One more entry of a section list from a YAML mapping given on the command line: defaulted,
 * loaded and validated as a file's entry is (required keys too); nothing is added on error. */
static int append_section_entry(const struct cfg_field *f, void *obj, const char *key,
                                const char *value, struct cfg_errors *errs)
{
    size_t *count = list_count_ptr(f, obj), before = errors_total(errs);
    char name[PATH_MAX_LEN + 32], path[PATH_MAX_LEN];
    snprintf(name, sizeof name, "command line: --%s+", key);
    if (*count >= f->max_count) {
        cfg_errors_addf(errs, "%s: already %zu entries, the most there can be", name, *count);
        return -1;
    }
    yaml_parser_t parser;
    yaml_document_t doc;
    if (!yaml_parser_initialize(&parser)) util_panic("out of memory initialising libyaml");
    yaml_parser_set_input_string(&parser, (const unsigned char *)value, strlen(value));
    if (!yaml_parser_load(&parser, &doc)) {
        syntax_error(errs, name, &parser, value, strlen(value));
        yaml_parser_delete(&parser);
        return -1;
    }
    struct load_ctx c = {.name = name, .doc = &doc, .errs = errs};
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    void *elem = list_elem(f, obj, *count);
    memset(elem, 0, f->elem_size);
    cfg_defaults(f->sub, elem);
    path_index(path, key, *count);
    if (!root || root->type != YAML_MAPPING_NODE) {
        load_error(&c, root, "%s: expected a mapping such as '{key: value, key: value}'", path);
    } else {
        load_mapping(&c, f->sub, elem, root, path);
        load_validate_section(&c, f, elem, before, root, path);
    }
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    if (errors_total(errs) != before) {
        cfg_free(f->sub, elem);
        return -1;
    }
    (*count)++;
    return 0;
}

static void load_field(struct load_ctx *c, const struct cfg_field *f, void *obj,
                       const yaml_node_t *n, const char *path)
{
    if (f->type == CFG_SECTION) {
        if (n->type != YAML_MAPPING_NODE) {
            type_error(c, f, n, path);
            return;
        }
        size_t before = errors_total(c->errs);
        load_mapping(c, f->sub, cfgv_ptr(f, obj), n, path);
        load_validate_section(c, f, cfgv_ptr(f, obj), before, n, path);
    } else if (f->type == CFG_SECTION_LIST) {
        if (n->type != YAML_SEQUENCE_NODE)
            type_error(c, f, n, path);
        else
            load_section_list(c, f, obj, n, path);
    } else if (f->type == CFG_STRLIST && n->type == YAML_SEQUENCE_NODE) {
        load_strlist(c, f, obj, n, path);
    } else if (n->type != YAML_SCALAR_NODE) {
        type_error(c, f, n, path);
    } else {
        load_scalar(c, f, obj, n, path);
    }
}

static void check_required(struct load_ctx *c, const struct cfg_schema *s, const unsigned *seen,
                           const yaml_node_t *map, const char *path)
{
    for (size_t i = 0; i < s->nfields; i++) {
        if (!(s->fields[i].flags & CFG_F_REQUIRED) || (seen && seen[i])) continue;
        if (path[0])
            load_error(c, map, "%s: missing required key \"%s\"", path, s->fields[i].key);
        else
            load_error(c, map, "missing required key \"%s\"", s->fields[i].key);
    }
}

/* One mapping against one schema. seen[i] is the line where field i was first set (0: not yet),
 * for duplicate detection; keys differing only in case are duplicates, as they name one field. */
static void load_mapping(struct load_ctx *c, const struct cfg_schema *s, void *obj,
                         const yaml_node_t *map, const char *path)
{
    unsigned *seen = xcalloc(s->nfields ? s->nfields : 1, sizeof *seen);
    char sub[PATH_MAX_LEN], q[CFG_ERR_LEN / 2];
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
         p++) {
        yaml_node_t *k = yaml_document_get_node(c->doc, p->key);
        yaml_node_t *v = yaml_document_get_node(c->doc, p->value);
        if (!k || !v) continue;
        if (k->type != YAML_SCALAR_NODE) {
            load_error(c, k, "expected a key, got %s", node_kind(k));
            continue;
        }
        const char *key = (const char *)k->data.scalar.value;
        size_t i = field_index(s, key, k->data.scalar.length);
        path_join(sub, path, key, k->data.scalar.length);
        cfgv_quote(sub, strlen(sub), q, sizeof q);
        if (i == NO_FIELD) {
            char hint[CFG_ERR_LEN / 4];
            cfg_key_suggestion(s, key, k->data.scalar.length, hint, sizeof hint);
            load_error(c, k, "unknown key %s%s", q, hint);
        } else if (seen[cfgv_canonical(s, i)]) {
            load_error(c, k, "duplicate key %s (first at line %u)", q, seen[cfgv_canonical(s, i)]);
        } else {
            seen[cfgv_canonical(s, i)] = (unsigned)k->start_mark.line + 1;
            load_field(c, &s->fields[i], obj, v, sub);
        }
    }
    check_required(c, s, seen, map, path);
    free(seen);
}

/* libyaml's reader reports a byte offset instead of a mark; turn it into line:column. */
static void offset_to_mark(const char *text, size_t len, size_t offset, yaml_mark_t *mark)
{
    mark->line = mark->column = 0;
    for (size_t i = 0; i < offset && i < len; i++) {
        if (text[i] == '\n') {
            mark->line++;
            mark->column = 0;
        } else {
            mark->column++;
        }
    }
}

static void syntax_error(struct cfg_errors *errs, const char *name, const yaml_parser_t *p,
                         const char *text, size_t len)
{
    char msg[CFG_ERR_LEN];
    yaml_mark_t mark = p->problem_mark;
    const char *problem = p->problem ? p->problem : "unknown error";
    if (p->error == YAML_MEMORY_ERROR) util_panic("out of memory parsing %s", name);
    if (p->error == YAML_READER_ERROR) offset_to_mark(text, len, p->problem_offset, &mark);
    if (p->context)
        snprintf(msg, sizeof msg, "syntax error: %s (%s at line %zu)", problem, p->context,
                 p->context_mark.line + 1);
    else
        snprintf(msg, sizeof msg, "syntax error: %s", problem);
    errors_add_at(errs, name, (unsigned)mark.line + 1, (unsigned)mark.column + 1, msg);
}

/* A stream must hold at most one document. */
static void check_single_document(struct load_ctx *c, yaml_parser_t *parser, const char *yaml,
                                  size_t len)
{
    yaml_document_t extra;
    if (!yaml_parser_load(parser, &extra)) {
        syntax_error(c->errs, c->name, parser, yaml, len);
        return;
    }
    yaml_node_t *root = yaml_document_get_root_node(&extra);
    if (root) load_error(c, root, "expected one YAML document, found another");
    yaml_document_delete(&extra);
}

/* Whether the text reads like Redis's own config format ("port 6379", "sentinel monitor ..."):
 * every line that is not blank or a comment is a word followed by a space and a value, with no
 * colon after the word. Returns the 1-based line of the first directive, or 0. */
static unsigned redis_conf_line(const char *text, size_t len)
{
    unsigned line = 1, first = 0;
    for (size_t i = 0; i < len; line++) {
        size_t end = i;
        while (end < len && text[end] != '\n') end++;
        size_t j = i;
        while (j < end && (text[j] == ' ' || text[j] == '\t' || text[j] == '\r')) j++;
        if (j < end && text[j] != '#') {
            size_t w = j;
            while (w < end && (isalnum((unsigned char)text[w]) || text[w] == '-')) w++;
            if (!isalpha((unsigned char)text[j]) || w >= end || (text[w] != ' ' && text[w] != '\t'))
                return 0;
            if (!first) first = line;
        }
        i = end + 1;
    }
    return first;
}

static void redis_conf_error(struct cfg_errors *errs, const char *name, unsigned line)
{
    errors_add_at(errs, name, line, 1,
                  "this looks like a redis.conf or sentinel.conf (\"key value\" lines); Vigil "
                  "reads YAML: write \"port: 6379\" (key, colon, space, value), see configs/ for "
                  "examples");
}

int cfg_load_string(const struct cfg_schema *s, void *obj, const char *name, const char *yaml,
                    size_t len, struct cfg_errors *errs)
{
    size_t before = errors_total(errs);
    yaml_parser_t parser;
    yaml_document_t doc;
    if (len > CFG_MAX_FILE_BYTES) {
        cfg_errors_addf(errs, "%s: larger than %u bytes", name, CFG_MAX_FILE_BYTES);
        return -1;
    }
    if (!yaml_parser_initialize(&parser)) util_panic("out of memory initialising libyaml");
    yaml_parser_set_input_string(&parser, (const unsigned char *)yaml, len);
    unsigned conf_line = redis_conf_line(yaml, len);
    if (!yaml_parser_load(&parser, &doc)) {
        if (conf_line)
            redis_conf_error(errs, name, conf_line);
        else
            syntax_error(errs, name, &parser, yaml, len);
        yaml_parser_delete(&parser);
        return -1;
    }
    struct load_ctx c = {.name = name, .doc = &doc, .errs = errs};
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (!root) {
        check_required(&c, s, NULL, NULL, ""); /* an empty file sets nothing */
    } else if (root->type != YAML_MAPPING_NODE && conf_line) {
        redis_conf_error(errs, name, conf_line);
    } else if (root->type != YAML_MAPPING_NODE) {
        load_error(&c, root, "expected a mapping of keys to values, got %s", node_kind(root));
    } else {
        load_mapping(&c, s, obj, root, "");
        check_single_document(&c, &parser, yaml, len);
    }
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    return errors_total(errs) > before ? -1 : 0;
}

int cfg_load_file(const struct cfg_schema *s, void *obj, const char *path, struct cfg_errors *errs)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        cfg_errors_addf(errs, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    struct buf b;
    buf_init(&b);
    size_t n;
    do { /* read one byte past the limit, to tell "at the limit" from "over it" */
        char *space = buf_space(&b, 16384);
        n = fread(space, 1, 16384, fp);
        buf_commit(&b, n);
    } while (n > 0 && b.len <= CFG_MAX_FILE_BYTES);
    int rc;
    if (ferror(fp)) {
        cfg_errors_addf(errs, "%s: cannot read: %s", path, strerror(errno));
        rc = -1;
    } else {
        rc = cfg_load_string(s, obj, path, b.data ? b.data : "", b.len, errs);
    }
    fclose(fp);
    buf_free(&b);
    return rc;
}
