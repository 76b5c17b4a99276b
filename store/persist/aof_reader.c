/* aof_reader: see aof_reader.h. Each step looks only at bytes that exist: running out of
 * bytes anywhere inside a command is a torn tail, a byte that cannot start or continue the
 * format is damage. */
#include "store/persist/aof_reader.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

enum { STEP_OK = 1, STEP_MORE = 0, STEP_BAD = -1 };

void aof_reader_init(struct aof_reader *r, const char *data, size_t len)
{
    memset(r, 0, sizeof *r);
    r->data = data;
    r->len = len;
}

void aof_reader_free(struct aof_reader *r)
{
    free(r->argv);
    r->argv = NULL;
    r->argc = r->argv_cap = 0;
}

static int fail(struct aof_reader *r, size_t at, const char *what)
{
    r->bad_at = at;
    snprintf(r->err, sizeof r->err, "%s", what);
    return STEP_BAD;
}

/* "<prefix><integer>\r\n" at *p; on STEP_OK *p moves past it. */
static int read_number(struct aof_reader *r, size_t *p, char prefix, long long *out)
{
    size_t i = *p;
    if (i >= r->len) return STEP_MORE;
    if (r->data[i] != prefix)
        return fail(r, i, prefix == '*' ? "expected '*' (a command)" : "expected '$' (a bulk)");
    i++;
    bool is_negative = i < r->len && r->data[i] == '-';
    if (is_negative) i++;
    long long v = 0;
    size_t ndigits = 0;
    for (; i < r->len && r->data[i] >= '0' && r->data[i] <= '9'; i++, ndigits++) {
        if (ndigits >= 18) return fail(r, i, "number too long");
        v = v * 10 + (r->data[i] - '0');
    }
    if (i >= r->len) return STEP_MORE;
    if (ndigits == 0 || r->data[i] != '\r') return fail(r, i, "bad number");
    if (++i >= r->len) return STEP_MORE;
    if (r->data[i] != '\n') return fail(r, i, "expected '\\n'");
    *p = i + 1;
    *out = is_negative ? -v : v;
    return STEP_OK;
}

static void push_arg(struct aof_reader *r, const char *ptr, size_t len)
{
    if (r->argc == r->argv_cap) {
        r->argv_cap = r->argv_cap ? r->argv_cap * 2 : 8;
        r->argv = xrealloc(r->argv, r->argv_cap * sizeof *r->argv);
    }
    r->argv[r->argc++] = (struct resp_arg){ptr, len};
}

static int read_bulk(struct aof_reader *r, size_t *p)
{
    long long n;
    size_t start = *p;
    int rc = read_number(r, p, '$', &n);
    if (rc != STEP_OK) return rc;
    if (n < 0) return fail(r, start, "negative bulk length");
    size_t left = r->len - *p;
    if ((unsigned long long)n > left || left - (size_t)n < 2) return STEP_MORE;
    const char *body = r->data + *p;
    if (body[n] != '\r' || body[n + 1] != '\n')
        return fail(r, *p + (size_t)n, "bulk not followed by \\r\\n");
    push_arg(r, body, (size_t)n);
    *p += (size_t)n + 2;
    return STEP_OK;
}

static int read_command(struct aof_reader *r, size_t *p)
{
    long long argc;
    size_t start = *p;
    int rc = read_number(r, p, '*', &argc);
    if (rc != STEP_OK) return rc;
    if (argc < 1 || argc >= AOF_READER_MAX_ARGC) return fail(r, start, "bad argument count");
    r->argc = 0;
    for (long long i = 0; i < argc; i++) {
        rc = read_bulk(r, p);
        if (rc != STEP_OK) return rc;
    }
    return STEP_OK;
}

/* An annotation line, up to and including its '\n' (or to the end of the bytes). */
static void skip_annotation(struct aof_reader *r)
{
    const char *nl = memchr(r->data + r->pos, '\n', r->len - r->pos);
    r->pos = nl ? (size_t)(nl - r->data) + 1 : r->len;
}

enum aof_read aof_reader_next(struct aof_reader *r)
{
    if (r->stop) return (enum aof_read)r->stop;
    while (r->pos < r->len && r->data[r->pos] == '#') skip_annotation(r);
    if (r->pos >= r->len) return AOF_READ_END;
    size_t p = r->pos;
    int rc = read_command(r, &p);
    if (rc == STEP_OK) {
        r->cmd_start = r->pos;
        r->pos = r->valid_end = p;
        return AOF_READ_CMD;
    }
    r->argc = 0;
    r->stop = rc == STEP_MORE ? AOF_READ_TRUNCATED : AOF_READ_BAD;
    if (rc == STEP_MORE) snprintf(r->err, sizeof r->err, "the file ends inside a command");
    return (enum aof_read)r->stop;
}
