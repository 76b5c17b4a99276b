/* aof_manifest: see aof_manifest.h. */
#include "store/persist/aof_manifest.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/atomic_file.h"
#include "common/util.h"

#define MANIFEST_MAX_BYTES (AOF_MANIFEST_MAX_FILES * (AOF_MANIFEST_MAX_LINE + 1))
#define MAX_FIELDS 8

void aof_manifest_init(struct aof_manifest *m) { memset(m, 0, sizeof *m); }

static void free_list(struct aof_file_info *v, size_t n)
{
    for (size_t i = 0; i < n; i++) free(v[i].name);
    free(v);
}

void aof_manifest_free(struct aof_manifest *m)
{
    if (m->base) free(m->base->name);
    free(m->base);
    free_list(m->incr, m->nincr);
    free_list(m->hist, m->nhist);
    aof_manifest_init(m);
}

static size_t total_files(const struct aof_manifest *m)
{
    return (m->base ? 1 : 0) + m->nincr + m->nhist;
}

static bool has_name(const struct aof_manifest *m, const char *name)
{
    if (m->base && strcmp(m->base->name, name) == 0) return true;
    for (size_t i = 0; i < m->nincr; i++)
        if (strcmp(m->incr[i].name, name) == 0) return true;
    for (size_t i = 0; i < m->nhist; i++)
        if (strcmp(m->hist[i].name, name) == 0) return true;
    return false;
}

static void push(struct aof_file_info **v, size_t *n, struct aof_file_info f)
{
    *v = xrealloc(*v, (*n + 1) * sizeof **v);
    (*v)[(*n)++] = f;
}

/* One field of a line: a bare word, or a double-quoted string with \" \\ \xHH escapes. Returns
 * the length consumed (0 at the end of the line), or -1 when malformed; the value goes to out. */
static int next_field(const char *p, const char *end, char *out, size_t cap)
{
    const char *s = p;
    while (s < end && (*s == ' ' || *s == '\t')) s++;
    if (s == end) return 0;
    size_t n = 0;
    if (*s != '"') {
        while (s < end && *s != ' ' && *s != '\t' && n + 1 < cap) out[n++] = *s++;
        if (s < end && *s != ' ' && *s != '\t') return -1;
    } else {
        for (s++;; s++) {
            if (s == end || n + 1 >= cap) return -1;
            if (*s == '"') break;
            char c = *s;
            if (c == '\\' && s + 1 < end && (s[1] == '"' || s[1] == '\\'))
                c = *++s;
            else if (c == '\\' && s + 3 < end && s[1] == 'x') {
                char hex[3] = {s[2], s[3], 0};
                char *e;
                long v = strtol(hex, &e, 16);
                if (*e) return -1;
                c = (char)v;
                s += 3;
            }
            out[n++] = c;
        }
        s++;
        if (s < end && *s != ' ' && *s != '\t') return -1;
    }
    out[n] = '\0';
    return (int)(s - p);
}

/* Parse one non-comment line into m. NULL, or the reason it is invalid. */
static const char *parse_line(struct aof_manifest *m, const char *p, const char *end)
{
    char fields[MAX_FIELDS][AOF_MANIFEST_MAX_LINE + 1];
    int nf = 0, used;
    while (nf < MAX_FIELDS && (used = next_field(p, end, fields[nf], sizeof fields[nf])) > 0) {
        p += used;
        nf++;
    }
    if (used < 0 || nf == MAX_FIELDS || nf % 2) return "malformed line";
    const char *name = NULL, *seq = NULL, *type = NULL;
    for (int i = 0; i < nf; i += 2) {
        if (strcmp(fields[i], "file") == 0)
            name = fields[i + 1];
        else if (strcmp(fields[i], "seq") == 0)
            seq = fields[i + 1];
        else if (strcmp(fields[i], "type") == 0)
            type = fields[i + 1];
    }
    long long n;
    if (!name || !seq || !type) return "a file, seq or type field is missing";
    if (!name[0] || strchr(name, '/') || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return "the file name must be a plain name inside the AOF folder";
    if (strlen(name) > AOF_MANIFEST_MAX_NAME) return "the file name is longer than 255 bytes";
    if (util_parse_ll(seq, strlen(seq), &n) != 0 || n < 0) return "seq is not a number";
    if (strlen(type) != 1 || !strchr("bhi", type[0])) return "unknown file type";
    if (has_name(m, name)) return "a file is listed twice";
    if (total_files(m) >= AOF_MANIFEST_MAX_FILES) return "too many files";
    struct aof_file_info f = {xstrdup(name), n, (enum aof_file_type)type[0]};
    if (f.type == AOF_FILE_BASE) {
        if (m->base) {
            free(f.name);
            return "more than one base file";
        }
        m->base = xmalloc(sizeof *m->base);
        *m->base = f;
        m->base_seq = n > m->base_seq ? n : m->base_seq;
    } else if (f.type == AOF_FILE_INCR) {
        push(&m->incr, &m->nincr, f);
        m->incr_seq = n > m->incr_seq ? n : m->incr_seq;
    } else {
        push(&m->hist, &m->nhist, f);
    }
    return NULL;
}

int aof_manifest_parse(struct aof_manifest *m, const char *text, size_t len, char *err,
                       size_t errlen)
{
    aof_manifest_init(m);
    const char *p = text, *end = text + len;
    for (int line = 1; p < end; line++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *eol = nl ? nl : end;
        const char *why = NULL;
        if (eol - p > AOF_MANIFEST_MAX_LINE)
            why = "line too long";
        else if (memchr(p, '\0', (size_t)(eol - p)))
            why = "NUL byte";
        const char *q = p;
        while (q < eol && (*q == ' ' || *q == '\t' || *q == '\r')) q++;
        const char *lend = eol > p && eol[-1] == '\r' ? eol - 1 : eol;
        if (!why && q < lend && *q != '#') why = parse_line(m, q, lend);
        if (why) {
            snprintf(err, errlen, "invalid AOF manifest, line %d: %s", line, why);
            aof_manifest_free(m);
            return -1;
        }
        p = nl ? nl + 1 : end;
    }
    return 0;
}

static void format_name(const char *name, struct buf *out)
{
    bool plain = true;
    for (const unsigned char *s = (const unsigned char *)name; *s; s++)
        if (*s <= ' ' || *s >= 127 || *s == '"' || *s == '\\') plain = false;
    if (plain) {
        buf_append_str(out, name);
        return;
    }
    buf_append_char(out, '"');
    for (const unsigned char *s = (const unsigned char *)name; *s; s++) {
        if (*s == '"' || *s == '\\')
            buf_printf(out, "\\%c", *s);
        else if (*s < ' ' || *s >= 127)
            buf_printf(out, "\\x%02x", *s);
        else
            buf_append_char(out, (char)*s);
    }
    buf_append_char(out, '"');
}

static void format_file(const struct aof_file_info *f, struct buf *out)
{
    buf_append_str(out, "file ");
    format_name(f->name, out);
    buf_printf(out, " seq %lld type %c\n", f->seq, (char)f->type);
}

void aof_manifest_format(const struct aof_manifest *m, struct buf *out)
{
    if (m->base) format_file(m->base, out);
    for (size_t i = 0; i < m->nhist; i++) format_file(&m->hist[i], out);
    for (size_t i = 0; i < m->nincr; i++) format_file(&m->incr[i], out);
}

const char *aof_manifest_new_base(struct aof_manifest *m, const char *appendfilename, bool is_rdb)
{
    if (m->base) {
        m->base->type = AOF_FILE_HIST;
        push(&m->hist, &m->nhist, *m->base);
        free(m->base);
    }
    m->base = xmalloc(sizeof *m->base);
    m->base->seq = ++m->base_seq;
    m->base->type = AOF_FILE_BASE;
    m->base->name =
        xasprintf("%s.%lld.base.%s", appendfilename, m->base->seq, is_rdb ? "rdb" : "aof");
    return m->base->name;
}

const char *aof_manifest_new_incr(struct aof_manifest *m, const char *appendfilename)
{
    long long seq = ++m->incr_seq;
    struct aof_file_info f = {xasprintf("%s.%lld.incr.aof", appendfilename, seq), seq,
                              AOF_FILE_INCR};
    push(&m->incr, &m->nincr, f);
    return f.name;
}

void aof_manifest_incr_to_history_but_last(struct aof_manifest *m)
{
    if (m->nincr < 2) return;
    for (size_t i = 0; i + 1 < m->nincr; i++) {
        m->incr[i].type = AOF_FILE_HIST;
        push(&m->hist, &m->nhist, m->incr[i]);
    }
    m->incr[0] = m->incr[m->nincr - 1];
    m->nincr = 1;
}

void aof_manifest_clear_history(struct aof_manifest *m)
{
    free_list(m->hist, m->nhist);
    m->hist = NULL;
    m->nhist = 0;
}

static char *manifest_path(const char *dir, const char *appendfilename)
{
    return xasprintf("%s/%s.manifest", dir, appendfilename);
}

int aof_manifest_load(struct aof_manifest *m, const char *dir, const char *appendfilename,
                      char *err, size_t errlen)
{
    aof_manifest_init(m);
    char *path = manifest_path(dir, appendfilename);
    int fd = atomic_file_open_read(path);
    if (fd < 0 && errno == ENOENT) {
        free(path);
        return 0;
    }
    struct buf text;
    buf_init(&text);
    ssize_t r = fd < 0 ? -1 : 1;
    while (r > 0 && text.len <= MANIFEST_MAX_BYTES) {
        r = read(fd, buf_space(&text, 4096), 4096);
        if (r > 0)
            buf_commit(&text, (size_t)r);
        else if (r < 0 && errno == EINTR)
            r = 1;
    }
    if (fd >= 0) close(fd);
    int rc = 1;
    char why[256];
    if (r < 0) {
        snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
        rc = -1;
    } else if (text.len > MANIFEST_MAX_BYTES) {
        snprintf(err, errlen, "%s: larger than %d bytes: not a manifest", path, MANIFEST_MAX_BYTES);
        rc = -1;
    } else if (aof_manifest_parse(m, text.data ? text.data : "", text.len, why, sizeof why) != 0) {
        snprintf(err, errlen, "%s: %s", path, why);
        rc = -1;
    }
    buf_free(&text);
    free(path);
    return rc;
}

int aof_manifest_save(const struct aof_manifest *m, const char *dir, const char *appendfilename,
                      char *err, size_t errlen)
{
    struct buf text;
    buf_init(&text);
    aof_manifest_format(m, &text);
    char *path = manifest_path(dir, appendfilename);
    int rc = atomic_file_write(path, text.data ? text.data : "", text.len, 0644, err, errlen);
    free(path);
    buf_free(&text);
    return rc;
}
