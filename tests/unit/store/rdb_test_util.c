/* Shared helpers of the RDB codec tests (test_rdb_read.c, test_rdb_write.c, test_rdb_redis.c):
 * the canonical one-line-per-key text form that rdb_fixtures.py also writes, a collector behind
 * the decoder's callbacks, the fixture reader, light "touch every byte" callbacks and the
 * mutate-under-a-valid-CRC loop for the corruption cases, and the encoder's model dataset.
 * Test code only: failures are Criterion assertions, memory comes from xmalloc. */
#include "tests/unit/store/rdb_test_util.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "store/rdb/crc64.h"

#define FAR_FUTURE_MS INT64_C(4102444800000)

/* ---- canonical form: one text line per key, as rdb_fixtures.py writes them ---------------- */

void rdbt_canon(struct buf *b, const char *p, size_t n)
{
    if (n > 64) {
        buf_printf(b, "c:%zu:%016llx", n, (unsigned long long)crc64_update(0, p, n));
        return;
    }
    buf_append_str(b, "h:");
    for (size_t i = 0; i < n; i++) buf_printf(b, "%02x", (unsigned char)p[i]);
}

void rdbt_canon_score(struct buf *b, double score)
{
    uint64_t bits;
    memcpy(&bits, &score, sizeof bits);
    buf_printf(b, "@%016llx", (unsigned long long)bits);
}

void lines_push(struct lines *l, const char *s)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        l->v = xrealloc(l->v, l->cap * sizeof *l->v);
    }
    l->v[l->n++] = xstrdup(s);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void lines_sort(struct lines *l)
{
    if (l->n > 0) qsort(l->v, l->n, sizeof *l->v, cmp_str); /* qsort(NULL, 0) is undefined */
}

void lines_free(struct lines *l)
{
    for (size_t i = 0; i < l->n; i++) free(l->v[i]);
    free(l->v);
    memset(l, 0, sizeof *l);
}

void lines_assert_eq(struct lines *got, struct lines *want)
{
    lines_sort(got);
    lines_sort(want);
    for (size_t i = 0; i < got->n && i < want->n; i++) {
        const char *g = got->v[i], *w = want->v[i];
        size_t at = 0;
        while (g[at] != '\0' && g[at] == w[at]) at++;
        size_t from = at > 40 ? at - 40 : 0;
        cr_assert_str_eq(g, w,
                         "key line %zu (%.80s) differs at column %zu:\n got  ...%.120s\n"
                         " want ...%.120s",
                         i, w, at, g + from, w + from);
    }
    cr_assert_eq(got->n, want->n, "got %zu keys, want %zu", got->n, want->n);
}

/* ---- a collector behind the decoder's callbacks ------------------------------------------- */

static const char *type_name[] = {"string", "list", "set", "zset", "hash"};

static int col_tick(struct collect *c)
{
    c->callbacks++;
    return (c->fail_after > 0 && c->callbacks >= (size_t)c->fail_after) ? -1 : 0;
}

static void col_head(struct buf *b, const struct rdb_key *k, enum rdb_value_type t)
{
    buf_printf(b, "%d %s %lld ", k->db, type_name[t], (long long)k->expire_ms);
    rdbt_canon(b, k->name, k->len);
}

static int col_aux(void *ctx, const char *k, size_t kn, const char *v, size_t vn)
{
    struct collect *c = ctx;
    struct buf b;
    buf_init(&b);
    buf_printf(&b, "%.*s=%.*s", (int)kn, k, (int)vn, v);
    lines_push(&c->aux, b.data);
    buf_free(&b);
    return col_tick(c);
}

static int col_select(void *ctx, int db)
{
    struct collect *c = ctx;
    c->db_selected = db;
    return col_tick(c);
}

static int col_string(void *ctx, const struct rdb_key *k, const char *v, size_t n)
{
    struct collect *c = ctx;
    struct buf b;
    buf_init(&b);
    col_head(&b, k, RDB_VALUE_STRING);
    buf_append_char(&b, ' ');
    rdbt_canon(&b, v, n);
    lines_push(&c->keys, b.data);
    buf_free(&b);
    return col_tick(c);
}

static int col_begin(void *ctx, const struct rdb_key *k, enum rdb_value_type t, uint64_t hint)
{
    struct collect *c = ctx;
    UNUSED(hint);
    buf_clear(&c->head);
    col_head(&c->head, k, t);
    c->type = t;
    return col_tick(c);
}

static int col_item(void *ctx, const char *p, size_t n)
{
    struct collect *c = ctx;
    struct buf b;
    buf_init(&b);
    rdbt_canon(&b, p, n);
    lines_push(&c->items, b.data != NULL ? b.data : "");
    buf_free(&b);
    return col_tick(c);
}

static int col_field(void *ctx, const char *f, size_t fn, const char *v, size_t vn)
{
    struct collect *c = ctx;
    struct buf b;
    buf_init(&b);
    rdbt_canon(&b, f, fn);
    buf_append_char(&b, '=');
    rdbt_canon(&b, v, vn);
    lines_push(&c->items, b.data);
    buf_free(&b);
    return col_tick(c);
}

static int col_member(void *ctx, const char *m, size_t mn, double score)
{
    struct collect *c = ctx;
    struct buf b;
    buf_init(&b);
    rdbt_canon(&b, m, mn);
    rdbt_canon_score(&b, score);
    lines_push(&c->items, b.data);
    buf_free(&b);
    return col_tick(c);
}

static int col_end(void *ctx)
{
    struct collect *c = ctx;
    if (c->type != RDB_VALUE_LIST) lines_sort(&c->items);
    struct buf b;
    buf_init(&b);
    buf_append(&b, c->head.data, c->head.len);
    for (size_t i = 0; i < c->items.n; i++) buf_printf(&b, " %s", c->items.v[i]);
    lines_push(&c->keys, b.data);
    buf_free(&b);
    lines_free(&c->items);
    return col_tick(c);
}

static int col_function(void *ctx, const char *code, size_t n)
{
    struct collect *c = ctx;
    UNUSED(code);
    UNUSED(n);
    c->functions++;
    return col_tick(c);
}

const struct rdb_callbacks rdbt_collect_cb = {.on_aux = col_aux,
                                              .on_select_db = col_select,
                                              .on_string = col_string,
                                              .on_begin = col_begin,
                                              .on_item = col_item,
                                              .on_hash_field = col_field,
                                              .on_zset_member = col_member,
                                              .on_end = col_end,
                                              .on_function = col_function};

void rdbt_collect_free(struct collect *c)
{
    lines_free(&c->keys);
    lines_free(&c->items);
    lines_free(&c->aux);
    buf_free(&c->head);
}

int rdbt_collect_load(const void *p, size_t n, struct collect *c, char *err, size_t errcap)
{
    memset(c, 0, sizeof *c);
    c->db_selected = -1;
    return rdb_load(p, n, &rdbt_collect_cb, c, err, errcap);
}

/* ---- files -------------------------------------------------------------------------------- */

char *rdbt_read_fixture(const char *name, size_t *len)
{
    const char *dir = getenv("VIGIL_SRCDIR");
    char path[512];
    snprintf(path, sizeof path, "%s/tests/unit/store/fixtures/%s", dir ? dir : ".", name);
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s (run from the repository root or set VIGIL_SRCDIR)",
                       path);
    struct buf b;
    buf_init(&b);
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) buf_append(&b, chunk, n);
    fclose(f);
    *len = b.len;
    return b.data;
}

void lines_from_text(struct lines *l, char *text)
{
    for (char *save = NULL, *line = strtok_r(text, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save))
        lines_push(l, line);
}

static unsigned touched;
size_t rdbt_deliveries;
static void touch(const char *p, size_t n)
{
    rdbt_deliveries++;
    for (size_t i = 0; i < n; i++) touched += (unsigned char)p[i];
}
static int fz_aux(void *ctx, const char *k, size_t kn, const char *v, size_t vn)
{
    UNUSED(ctx), touch(k, kn), touch(v, vn);
    return 0;
}
static int fz_string(void *ctx, const struct rdb_key *k, const char *v, size_t n)
{
    UNUSED(ctx), touch(k->name, k->len), touch(v, n);
    return 0;
}
static int fz_begin(void *ctx, const struct rdb_key *k, enum rdb_value_type t, uint64_t hint)
{
    UNUSED(ctx), UNUSED(t), UNUSED(hint), touch(k->name, k->len);
    return 0;
}
static int fz_item(void *ctx, const char *p, size_t n)
{
    UNUSED(ctx), touch(p, n);
    return 0;
}
static int fz_field(void *ctx, const char *f, size_t fn, const char *v, size_t vn)
{
    UNUSED(ctx), touch(f, fn), touch(v, vn);
    return 0;
}
static int fz_member(void *ctx, const char *m, size_t mn, double score)
{
    UNUSED(ctx), UNUSED(score), touch(m, mn);
    return 0;
}
const struct rdb_callbacks rdbt_touch_cb = {.on_aux = fz_aux,
                                            .on_string = fz_string,
                                            .on_begin = fz_begin,
                                            .on_item = fz_item,
                                            .on_hash_field = fz_field,
                                            .on_zset_member = fz_member,
                                            .on_function = fz_item};

void rdbt_fuzz_under_valid_crc(char *rdb, size_t len, size_t stride)
{
    static const unsigned char vals[] = {0x00, 0xff, 0x80, 0x7f, 0xc3, 0x3f, 0x40, 0xfe};
    char err[256];
    for (size_t i = 9; i + 8 < len; i += stride) {
        char saved = rdb[i];
        for (size_t v = 0; v < ARRAY_LEN(vals); v++) {
            rdb[i] = (char)vals[v];
            uint64_t crc = crc64_update(0, rdb, len - 8);
            for (int k = 0; k < 8; k++) rdb[len - 8 + k] = (char)(crc >> (8 * k));
            err[0] = '\0';
            int rc = rdb_load(rdb, len, &rdbt_touch_cb, NULL, err, sizeof err);
            if (rc != 0) cr_assert_neq(err[0], '\0', "error without message at %zu", i);
        }
        rdb[i] = saved;
    }
}

/* ---- the encoder's side ------------------------------------------------------------------ */

int rdbt_sink_buf(void *ctx, const void *p, size_t n)
{
    buf_append(ctx, p, n);
    return 0;
}

static void m_head(struct model *m, int db, const char *type, int64_t exp, const char *k, size_t kn)
{
    buf_clear(&m->line);
    buf_printf(&m->line, "%d %s %lld ", db, type, (long long)exp);
    rdbt_canon(&m->line, k, kn);
}

static void m_string(struct model *m, int db, const char *k, size_t kn, const char *v, size_t vn,
                     int64_t exp)
{
    cr_assert_eq(rdb_write_string(&m->w, k, kn, v, vn, exp), 0);
    m_head(m, db, "string", exp, k, kn);
    buf_append_char(&m->line, ' ');
    rdbt_canon(&m->line, v, vn);
    lines_push(&m->want, m->line.data);
}

static void m_items(struct model *m, struct lines *items, bool sorted)
{
    if (sorted) lines_sort(items);
    for (size_t i = 0; i < items->n; i++) buf_printf(&m->line, " %s", items->v[i]);
    lines_push(&m->want, m->line.data);
    lines_free(items);
}

static void push_canon(struct lines *l, const char *p, size_t n, const char *p2, size_t n2,
                       const double *score)
{
    struct buf b;
    buf_init(&b);
    rdbt_canon(&b, p, n);
    if (p2 != NULL) {
        buf_append_char(&b, '=');
        rdbt_canon(&b, p2, n2);
    }
    if (score != NULL) rdbt_canon_score(&b, *score);
    lines_push(l, b.data);
    buf_free(&b);
}

static void model_write_all(struct model *m, size_t big)
{
    char *large = xmalloc(big);
    for (size_t i = 0; i < big; i++) large[i] = (char)(i * 131 + (i >> 9));
    struct rdb_aux aux = {.redis_ver = "7.0.0",
                          .ctime_s = 1700000000,
                          .used_mem_bytes = 1 << 20,
                          .repl_id = "0123456789abcdef0123456789abcdef01234567",
                          .repl_stream_db = 0,
                          .repl_offset = 123456789012LL};
    cr_assert_eq(rdb_write_header(&m->w, &aux), 0);
    cr_assert_eq(rdb_write_select_db(&m->w, 0, 9, 3), 0);
    m_string(m, 0, "str", 3, "value", 5, -1);
    m_string(m, 0, "empty", 5, "", 0, -1);
    m_string(m, 0, "int", 3, "-123456", 7, FAR_FUTURE_MS);
    m_string(m, 0, "lead0", 5, "0042", 4, -1);
    m_string(m, 0, "bin\0key", 7, "\0\x01\xff\r\n", 5, -1);
    m_string(m, 0, "large", 5, large, big, FAR_FUTURE_MS + 5);
    m_string(m, 0, "", 0, "empty key", 9, -1);

    struct lines items = {0};
    static const char *list[] = {"a", "", "12", "-7", "hello world", "99999999999"};
    cr_assert_eq(rdb_write_list_begin(&m->w, "list", 4, ARRAY_LEN(list) + 1, FAR_FUTURE_MS), 0);
    m_head(m, 0, "list", FAR_FUTURE_MS, "list", 4);
    for (size_t i = 0; i < ARRAY_LEN(list); i++) {
        cr_assert_eq(rdb_write_list_item(&m->w, list[i], strlen(list[i])), 0);
        push_canon(&items, list[i], strlen(list[i]), NULL, 0, NULL);
    }
    cr_assert_eq(rdb_write_list_item(&m->w, large, big), 0);
    push_canon(&items, large, big, NULL, 0, NULL);
    m_items(m, &items, false);

    cr_assert_eq(rdb_write_set_begin(&m->w, "set", 3, 300, -1), 0);
    m_head(m, 0, "set", -1, "set", 3);
    for (int i = 0; i < 300; i++) {
        char s[32];
        int n = snprintf(s, sizeof s, i % 2 ? "%d" : "member-%d", i * 1000 - 7);
        cr_assert_eq(rdb_write_set_member(&m->w, s, (size_t)n), 0);
        push_canon(&items, s, (size_t)n, NULL, 0, NULL);
    }
    m_items(m, &items, true);

    /* (No -0.0 here: Redis stores it as integer 0 in a listpack; see the bits test.) */
    static const double scores[] = {0, 4.9e-324, 1.5, -2.25, 1e300, -1e-300, INFINITY, -INFINITY};
    cr_assert_eq(rdb_write_zset_begin(&m->w, "zset", 4, ARRAY_LEN(scores), -1), 0);
    m_head(m, 0, "zset", -1, "zset", 4);
    for (size_t i = 0; i < ARRAY_LEN(scores); i++) {
        char s[8] = {'m', (char)('0' + i)};
        cr_assert_eq(rdb_write_zset_member(&m->w, s, 2, scores[i]), 0);
        push_canon(&items, s, 2, NULL, 0, &scores[i]);
    }
    m_items(m, &items, true);

    cr_assert_eq(rdb_write_hash_begin(&m->w, "hash", 4, 3, FAR_FUTURE_MS + 1), 0);
    m_head(m, 0, "hash", FAR_FUTURE_MS + 1, "hash", 4);
    cr_assert_eq(rdb_write_hash_field(&m->w, "f", 1, "v", 1), 0);
    push_canon(&items, "f", 1, "v", 1, NULL);
    cr_assert_eq(rdb_write_hash_field(&m->w, "empty", 5, "", 0), 0);
    push_canon(&items, "empty", 5, "", 0, NULL);
    cr_assert_eq(rdb_write_hash_field(&m->w, "big", 3, large, big), 0);
    push_canon(&items, "big", 3, large, big, NULL);
    m_items(m, &items, true);

    cr_assert_eq(rdb_write_select_db(&m->w, 15, 1, 0), 0);
    m_string(m, 15, "db15", 4, "x", 1, -1);
    cr_assert_eq(rdb_write_end(&m->w), 0);
    free(large);
}

struct model *rdbt_model_write(rdb_sink_fn sink, void *ctx, size_t big)
{
    struct model *m = xcalloc(1, sizeof *m);
    rdb_writer_init(&m->w, sink, ctx);
    model_write_all(m, big);
    return m;
}

void rdbt_model_free(struct model *m)
{
    lines_free(&m->want);
    buf_free(&m->line);
    free(m);
}
