/* config_write: turning a configured object back into text (see config.h): YAML for CONFIG
 * REWRITE's overrides file, a Markdown reference table for the README, and the quoting both YAML
 * and error messages need.
 *
 * Invariant: whatever cfg_write_yaml emits, cfg_load_string reads back to equal values. That is
 * why strings are always double-quoted (cfgv_yaml_quote escapes everything YAML would alter),
 * durations and sizes carry a unit, lists use flow style, and a section with nothing but
 * redacted comments still gets "{}" (a bare "key:" would load as null and be refused).
 * Must not: write files (the caller owns where the text goes and its permissions). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "common/config_value.h"
#include "common/util.h"

/* --- quoting --------------------------------------------------------------------------------- */

void cfgv_quote(const char *s, size_t len, char *out, size_t cap)
{
    ASSERT(cap >= 8);
    size_t o = 0, shown = MIN(len, (size_t)CFGV_QUOTE_MAX);
    out[o++] = '"';
    for (size_t i = 0; i < shown && o + 6 < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            out[o++] = '\\';
            out[o++] = (char)c;
        } else if (c < 0x20 || c >= 0x7f) {
            o += (size_t)snprintf(out + o, cap - o, "\\x%02x", c);
        } else {
            out[o++] = (char)c;
        }
    }
    out[o++] = '"';
    if (shown < len && o + 4 <= cap) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[MIN(o, cap - 1)] = '\0';
}

/* YAML 1.1 printable characters, minus the ones libyaml folds as line breaks (NEL, LS, PS). */
static bool yaml_printable(unsigned cp)
{
    if (cp >= 0x20 && cp <= 0x7E) return true;
    if (cp == 0x85 || cp == 0x2028 || cp == 0x2029) return false;
    return (cp >= 0xA0 && cp <= 0xD7FF) || (cp >= 0xE000 && cp <= 0xFFFD) ||
           (cp >= 0x10000 && cp <= 0x10FFFF);
}

void cfgv_yaml_quote(const char *s, struct buf *out)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t len = strlen(s);
    buf_append_char(out, '"');
    for (size_t i = 0; i < len;) {
        unsigned cp;
        size_t n = cfgv_utf8_decode(p + i, len - i, &cp);
        if (n == 0) { /* not UTF-8: cannot round-trip; keep the byte's value visible */
            buf_printf(out, "\\x%02x", p[i]);
            i++;
            continue;
        }
        if (cp == '"' || cp == '\\')
            buf_printf(out, "\\%c", (char)cp);
        else if (yaml_printable(cp))
            buf_append(out, p + i, n);
        else if (cp < 0x100)
            buf_printf(out, "\\x%02x", cp);
        else if (cp < 0x10000)
            buf_printf(out, "\\u%04x", cp);
        else
            buf_printf(out, "\\U%08x", cp);
        i += n;
    }
    buf_append_char(out, '"');
}

struct wctx {
    unsigned flags;
};

static void put_indent(struct buf *out, int n)
{
    for (int i = 0; i < n; i++) buf_append_char(out, ' ');
}

/* Starts a "key:" line; the first key of a list element is preceded by "- " instead of spaces. */
static void put_key(struct buf *out, int indent, bool *dash, const char *key)
{
    if (dash && *dash) {
        put_indent(out, indent - 2);
        buf_append_str(out, "- ");
        *dash = false;
    } else {
        put_indent(out, indent);
    }
    buf_printf(out, "%s:", key);
}

static bool leaf_is_default(const struct cfg_field *f, const void *obj)
{
    union cfg_value def;
    char err[CFG_ERR_LEN];
    if (cfgv_default(f, &def, err, sizeof err) != 0) return false;
    bool same = cfgv_equal_value(f, cfgv_ptr(f, obj), &def);
    cfgv_release(f, &def);
    return same;
}

static size_t write_fields(const struct wctx *w, const struct cfg_schema *s, const void *obj,
                           int indent, bool *dash, struct buf *out);

/* Returns the number of key lines written (comments do not count). */
static size_t write_leaf(const struct wctx *w, const struct cfg_field *f, const void *obj,
                         int indent, bool *dash, struct buf *out)
{
    if ((w->flags & CFG_WRITE_NON_DEFAULT) && leaf_is_default(f, obj)) return 0;
    if ((f->flags & CFG_F_SECRET) && !(w->flags & CFG_WRITE_SECRETS)) {
        put_indent(out, indent);
        buf_printf(out, "# %s: %s\n", f->key, CFG_REDACTED);
        return 0;
    }
    put_key(out, indent, dash, f->key);
    buf_append_char(out, ' ');
    cfgv_format(f, cfgv_ptr(f, obj), CFGV_FMT_YAML, out);
    buf_append_char(out, '\n');
    return 1;
}

static size_t write_section(const struct wctx *w, const struct cfg_field *f, const void *obj,
                            int indent, bool *dash, struct buf *out)
{
    struct buf body;
    buf_init(&body);
    size_t keys = write_fields(w, f->sub, cfgv_ptr(f, obj), indent + 2, NULL, &body);
    if ((w->flags & CFG_WRITE_NON_DEFAULT) && keys == 0) {
        buf_free(&body);
        return 0;
    }
    put_key(out, indent, dash, f->key);
    buf_append_str(out, keys ? "\n" : " {}\n");
    if (body.len) buf_append(out, body.data, body.len);
    buf_free(&body);
    return 1;
}

/* Elements are written whole: an element reloads onto defaults, and a required key must appear
 * even when it happens to equal its default. */
static size_t write_list(const struct wctx *w, const struct cfg_field *f, const void *obj,
                         int indent, bool *dash, struct buf *out)
{
    size_t n = *(const size_t *)((const char *)obj + f->count_offset);
    struct wctx whole = {.flags = w->flags & ~CFG_WRITE_NON_DEFAULT};
    if ((w->flags & CFG_WRITE_NON_DEFAULT) && n == 0) return 0;
    put_key(out, indent, dash, f->key);
    buf_append_str(out, n ? "\n" : " []\n");
    for (size_t i = 0; i < n; i++) {
        const void *elem = (const char *)cfgv_ptr(f, obj) + i * f->elem_size;
        bool elem_dash = true;
        write_fields(&whole, f->sub, elem, indent + 4, &elem_dash, out);
        if (elem_dash) { /* nothing but comments: still one element */
            put_indent(out, indent + 2);
            buf_append_str(out, "- {}\n");
        }
    }
    return 1;
}

static size_t write_field(const struct wctx *w, const struct cfg_field *f, const void *obj,
                          int indent, bool *dash, struct buf *out)
{
    if (f->type == CFG_SECTION) return write_section(w, f, obj, indent, dash, out);
    if (f->type == CFG_SECTION_LIST) return write_list(w, f, obj, indent, dash, out);
    return write_leaf(w, f, obj, indent, dash, out);
}

static size_t write_fields(const struct wctx *w, const struct cfg_schema *s, const void *obj,
                           int indent, bool *dash, struct buf *out)
{
    size_t keys = 0;
    for (size_t i = 0; i < s->nfields; i++)
        if (!(s->fields[i].flags & CFG_F_ALIAS))
            keys += write_field(w, &s->fields[i], obj, indent, dash, out);
    return keys;
}

int cfg_write_yaml(const struct cfg_schema *s, const void *obj, const char *const *keys,
                   size_t nkeys, unsigned flags, struct buf *out)
{
    struct wctx w = {.flags = flags};
    if (!keys) {
        write_fields(&w, s, obj, 0, NULL, out);
        return 0;
    }
    w.flags &= ~CFG_WRITE_NON_DEFAULT;
    for (size_t i = 0; i < nkeys; i++)
        if (!cfg_find(s, keys[i]) || strchr(keys[i], '.')) return -1;
    /* In schema order, each field once (a repeated key would not load back), aliases as the
     * field they stand for. */
    bool *wanted = xcalloc(s->nfields ? s->nfields : 1, sizeof *wanted);
    for (size_t i = 0; i < s->nfields; i++)
        for (size_t k = 0; k < nkeys; k++)
            if (util_eq_nocase(keys[k], strlen(keys[k]), s->fields[i].key))
                wanted[cfgv_canonical(s, i)] = true;
    for (size_t i = 0; i < s->nfields; i++)
        if (wanted[i]) write_field(&w, &s->fields[i], obj, 0, NULL, out);
    free(wanted);
    return 0;
}

/* --- reference ------------------------------------------------------------------------------- */

/* Table cells must not contain '|' or a newline. */
static void put_cell(struct buf *out, const char *text)
{
    for (const char *p = text; *p; p++) {
        if (*p == '|')
            buf_append_str(out, "\\|");
        else
            buf_append_char(out, *p == '\n' ? ' ' : *p);
    }
}

static void reference_row(const struct cfg_schema *s, size_t i, const char *path, struct buf *out)
{
    const struct cfg_field *f = &s->fields[i];
    char type[256];
    if (f->type == CFG_SECTION_LIST)
        snprintf(type, sizeof type, "a list of up to %zu mappings", f->max_count);
    else
        cfgv_describe(f, type, sizeof type);
    buf_append_str(out, "| `");
    put_cell(out, path);
    buf_append_str(out, "` | ");
    put_cell(out, type);
    buf_append_str(out, " | ");
    if (f->def && f->def[0] && !(f->flags & CFG_F_ALIAS)) {
        buf_append_char(out, '`');
        put_cell(out, f->def);
        buf_append_char(out, '`');
    }
    buf_append_str(out, " | ");
    put_cell(out, f->help ? f->help : "");
    if (f->flags & CFG_F_ALIAS)
        buf_printf(out, " Alias of `%s`.", s->fields[cfgv_canonical(s, i)].key);
    if (f->flags & CFG_F_REQUIRED) buf_append_str(out, " Required.");
    if (f->flags & CFG_F_SECRET) buf_append_str(out, " Secret: CONFIG GET shows it redacted.");
    if (f->flags & CFG_F_IMMUTABLE) buf_append_str(out, " Not settable with CONFIG SET.");
    buf_append_str(out, " |\n");
}

static void reference_rows(const struct cfg_schema *s, const char *prefix, struct buf *out)
{
    char path[256];
    for (size_t i = 0; i < s->nfields; i++) {
        const struct cfg_field *f = &s->fields[i];
        snprintf(path, sizeof path, "%s%s", prefix, f->key);
        reference_row(s, i, path, out);
        if ((f->type == CFG_SECTION || f->type == CFG_SECTION_LIST) && !(f->flags & CFG_F_ALIAS)) {
            char sub[sizeof path + 4];
            snprintf(sub, sizeof sub, "%s%s.", path, f->type == CFG_SECTION_LIST ? "[]" : "");
            reference_rows(f->sub, sub, out);
        }
    }
}

void cfg_write_reference(const struct cfg_schema *s, struct buf *out)
{
    buf_append_str(out, "| Key | Type | Default | Description |\n");
    buf_append_str(out, "| --- | --- | --- | --- |\n");
    reference_rows(s, "", out);
}
