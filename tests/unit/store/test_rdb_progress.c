/* The RDB reader's progress reports and error offsets (store/rdb/rdb_read.c): on_progress is
 * called before every key with the offset of its record (increasing, inside the file), and
 * every refusal names a byte offset, which the start-up loader shows to the operator. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/util.h"
#include "store/rdb/rdb.h"

static int sink(void *ctx, const void *p, size_t n)
{
    buf_append(ctx, p, n);
    return 0;
}

static void build(struct buf *b, int nkeys)
{
    static struct rdb_writer w;
    buf_init(b);
    rdb_writer_init(&w, sink, b);
    struct rdb_aux aux = {.redis_ver = "7.0.0", .ctime_s = 1};
    cr_assert_eq(rdb_write_header(&w, &aux), 0);
    cr_assert_eq(rdb_write_select_db(&w, 0, (uint64_t)nkeys, 0), 0);
    for (int i = 0; i < nkeys; i++) {
        char k[16];
        snprintf(k, sizeof k, "key:%d", i);
        cr_assert_eq(rdb_write_string(&w, k, strlen(k), "value", 5, -1), 0);
    }
    cr_assert_eq(rdb_write_end(&w), 0);
}

struct seen {
    size_t n, last, len;
};

static int on_progress(void *ctx, size_t off)
{
    struct seen *s = ctx;
    cr_assert(s->n == 0 || off > s->last, "offsets increase");
    cr_assert(off > 9 && off < s->len, "inside the file");
    s->last = off;
    s->n++;
    return 0;
}

Test(rdb_progress, reports_every_key_record_offset)
{
    struct buf b;
    build(&b, 100);
    struct seen s = {.len = b.len};
    struct rdb_callbacks cb = {.on_progress = on_progress};
    char err[256];
    cr_assert_eq(rdb_load(b.data, b.len, &cb, &s, err, sizeof err), 0, "%s", err);
    cr_assert_eq(s.n, 100);
    buf_free(&b);
}

Test(rdb_progress, every_refusal_names_an_offset)
{
    struct buf b;
    build(&b, 20);
    char err[256];
    /* every truncation */
    for (size_t cut = 0; cut < b.len; cut++) {
        cr_assert_neq(rdb_load(b.data, cut, NULL, NULL, err, sizeof err), 0);
        cr_assert(strstr(err, "offset"), "cut %zu: %s", cut, err);
    }
    /* bad magic, bad version, a flipped byte (CRC), garbage after a zero (unchecked) trailer */
    char *copy = xmemdup(b.data, b.len);
    copy[0] = 'X';
    cr_assert_neq(rdb_load(copy, b.len, NULL, NULL, err, sizeof err), 0);
    cr_assert(strstr(err, "bad magic at offset 0"), "%s", err);
    memcpy(copy, b.data, b.len);
    copy[5] = 'x';
    cr_assert_neq(rdb_load(copy, b.len, NULL, NULL, err, sizeof err), 0);
    cr_assert(strstr(err, "offset 5"), "%s", err);
    memcpy(copy, b.data, b.len);
    copy[b.len / 2] ^= 0x10;
    cr_assert_eq(rdb_load(copy, b.len, NULL, NULL, err, sizeof err), RDB_ERR_CHECKSUM);
    cr_assert(strstr(err, "offset"), "%s", err);
    memcpy(copy, b.data, b.len);
    memset(copy + b.len - 8, 0, 8);
    char *first = memmem(copy, b.len, "key:", 4);
    first[-2] = 99; /* the type byte of the first key */
    cr_assert_eq(rdb_load(copy, b.len, NULL, NULL, err, sizeof err), RDB_ERR_FORMAT);
    cr_assert(strstr(err, "unknown RDB type 99 at offset"), "%s", err);
    free(copy);
    buf_free(&b);
}
