/* Tests for the snapshot saving side: store/persist/save_points.c (parsing `save`, Redis's
 * form, the cron's decision), the writer's rdbcompression / rdbchecksum options and key hook
 * (store/rdb/rdb_write.c, read back by rdb_load), and SHUTDOWN's flag words
 * (store/persist/persist_shutdown.c). */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/util.h"
#include "store/persist/persist_shutdown.h"
#include "store/persist/save_points.h"
#include "store/rdb/rdb.h"

/* ---- save points ------------------------------------------------------------------------- */

Test(save_points, parses_and_prints_redis_form)
{
    static const struct {
        const char *in, *out;
    } ok[] = {{"3600 1 300 100 60 10000", "3600 1 300 100 60 10000"},
              {"", ""},
              {"+5 7", "5 7"},
              {"3 2 1 0", "3 2 1 0"},
              {"1 1", "1 1"}};
    for (size_t i = 0; i < ARRAY_LEN(ok); i++) {
        struct save_points sp;
        cr_assert_eq(save_points_parse(ok[i].in, &sp), 0, "%s", ok[i].in);
        char text[256];
        save_points_format(&sp, text, sizeof text);
        cr_assert_str_eq(text, ok[i].out);
    }
}

Test(save_points, refuses_what_redis_refuses)
{
    static const char *const bad[] = {"0 1",   "1 -1", "1 1 ",  " 1 1",
                                      "1  1",  "1 x",  "0x1 1", "1",
                                      "1 1 2", "a b",  "1.5 1", "99999999999999999999 1"};
    for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
        struct save_points sp = {.count = 7};
        cr_assert_eq(save_points_parse(bad[i], &sp), -1, "accepted \"%s\"", bad[i]);
        cr_assert_eq(sp.count, 7, "changed the output on \"%s\"", bad[i]);
    }
}

Test(save_points, refuses_more_than_the_limit)
{
    struct buf b;
    buf_init(&b);
    for (int i = 0; i <= SAVE_POINTS_MAX; i++) buf_printf(&b, "%s%d 1", i ? " " : "", i + 1);
    buf_append(&b, "", 1);
    struct save_points sp;
    cr_assert_eq(save_points_parse(b.data, &sp), -1);
    buf_free(&b);
}

static const struct save_points points_300_10 = {.count = 2, .p = {{3600, 1}, {300, 10}}};

Test(save_points, due_only_past_seconds_with_enough_changes)
{
    struct save_points_now st = {
        .dirty = 10, .now_s = 1300, .lastsave_s = 1000, .is_last_bgsave_ok = true};
    cr_assert_eq(save_points_due(&points_300_10, &st), -1, "300 s exactly is not past 300 s");
    st.now_s = 1301;
    cr_assert_eq(save_points_due(&points_300_10, &st), 1);
    st.dirty = 9;
    cr_assert_eq(save_points_due(&points_300_10, &st), -1, "9 changes < 10");
    st.now_s = 4601;
    cr_assert_eq(save_points_due(&points_300_10, &st), 0, "the hour point with 1 change");
    st.dirty = 0;
    cr_assert_eq(save_points_due(&points_300_10, &st), -1);
    struct save_points none = {.count = 0};
    st.dirty = 1000000;
    cr_assert_eq(save_points_due(&none, &st), -1);
}

Test(save_points, waits_retry_delay_after_a_failed_save)
{
    struct save_points_now st = {.dirty = 100,
                                 .now_s = 2000,
                                 .lastsave_s = 1000,
                                 .last_try_s = 2000 - SAVE_POINTS_RETRY_DELAY_S,
                                 .is_last_bgsave_ok = false};
    cr_assert_eq(save_points_due(&points_300_10, &st), -1);
    cr_assert_not(save_points_may_retry(&st));
    st.now_s++;
    cr_assert_eq(save_points_due(&points_300_10, &st), 1);
    cr_assert(save_points_may_retry(&st));
    st.is_last_bgsave_ok = true;
    st.last_try_s = st.now_s;
    cr_assert(save_points_may_retry(&st), "after a success there is no delay");
}

/* ---- writer options ----------------------------------------------------------------------- */

static int sink_buf(void *ctx, const void *p, size_t n)
{
    buf_append(ctx, p, n);
    return 0;
}

struct got {
    struct buf vals; /* every string value and item, newline-separated */
    int keys;
};

static int got_string(void *ctx, const struct rdb_key *k, const char *v, size_t n)
{
    UNUSED(k);
    struct got *g = ctx;
    g->keys++;
    buf_append(&g->vals, v, n);
    buf_append(&g->vals, "\n", 1);
    return 0;
}

static int got_begin(void *ctx, const struct rdb_key *k, enum rdb_value_type t, uint64_t hint)
{
    UNUSED(k);
    UNUSED(t);
    UNUSED(hint);
    ((struct got *)ctx)->keys++;
    return 0;
}

static int got_item(void *ctx, const char *p, size_t n)
{
    struct got *g = ctx;
    buf_append(&g->vals, p, n);
    buf_append(&g->vals, "\n", 1);
    return 0;
}

static const struct rdb_callbacks got_cb = {
    .on_string = got_string, .on_begin = got_begin, .on_item = got_item};

static int hook_calls;
static void count_key(void *ctx)
{
    UNUSED(ctx);
    hook_calls++;
}

/* A snapshot of: "short" (20 x 'a'), "long" (4000 x 'a'), "noise" (300 pseudo-random bytes),
 * "big" (100000 x 'ab'), a list whose item is 64 x 'z'. */
static void write_sample(struct buf *out, bool compress, bool checksum, char *values, size_t cap)
{
    struct rdb_writer *w = xmalloc(sizeof *w);
    rdb_writer_init(w, sink_buf, out);
    rdb_writer_set_options(w, compress, checksum);
    rdb_writer_set_key_hook(w, count_key, NULL);
    struct rdb_aux aux = {.ctime_s = 1, .used_mem_bytes = 1};
    char shrt[20], lng[4000], noise[300], item[64];
    memset(shrt, 'a', sizeof shrt);
    memset(lng, 'a', sizeof lng);
    memset(item, 'z', sizeof item);
    uint32_t x = 12345;
    for (size_t i = 0; i < sizeof noise; i++) {
        x = x * 1103515245u + 12345u;
        noise[i] = (char)(x >> 16);
    }
    char *big = xmalloc(200000);
    for (size_t i = 0; i < 200000; i++) big[i] = i % 2 ? 'b' : 'a';
    cr_assert_eq(rdb_write_header(w, &aux), 0);
    rdb_write_select_db(w, 0, 5, 0);
    rdb_write_string(w, "short", 5, shrt, sizeof shrt, -1);
    rdb_write_string(w, "long", 4, lng, sizeof lng, -1);
    rdb_write_string(w, "noise", 5, noise, sizeof noise, -1);
    rdb_write_string(w, "big", 3, big, 200000, -1);
    rdb_write_list_begin(w, "lst", 3, 1, -1);
    rdb_write_list_item(w, item, sizeof item);
    cr_assert_eq(rdb_write_end(w), 0);
    struct buf exp;
    buf_init(&exp);
    const char *parts[] = {shrt, lng, noise, big, item};
    size_t lens[] = {sizeof shrt, sizeof lng, sizeof noise, 200000, sizeof item};
    for (int i = 0; i < 5; i++) {
        buf_append(&exp, parts[i], lens[i]);
        buf_append(&exp, "\n", 1);
    }
    cr_assert_leq(exp.len, cap);
    memcpy(values, exp.data, exp.len);
    buf_free(&exp);
    free(big);
    free(w);
}

/* The string after key (skipping `skip` bytes: a list's count) has the LZF header 0xC3. */
static bool is_lzf_after(const struct buf *b, const char *key, size_t skip)
{
    size_t kl = strlen(key);
    for (size_t i = 0; i + kl + skip + 2 < b->len; i++)
        if ((unsigned char)b->data[i] == kl && memcmp(b->data + i + 1, key, kl) == 0)
            return (unsigned char)b->data[i + 1 + kl + skip] == 0xC3;
    return false;
}

static void assert_reads_back(const struct buf *file, const char *values, size_t len)
{
    struct got g = {.keys = 0};
    buf_init(&g.vals);
    char err[256] = "";
    cr_assert_eq(rdb_load(file->data, file->len, &got_cb, &g, err, sizeof err), 0, "%s", err);
    cr_assert_eq(g.keys, 5);
    cr_assert_eq(g.vals.len, len);
    cr_assert(memcmp(g.vals.data, values, len) == 0, "values differ after the round trip");
    buf_free(&g.vals);
}

static char expect_vals[300000];

Test(rdb_write_options, compresses_long_strings_that_shrink_and_reads_back)
{
    struct buf on, off;
    buf_init(&on);
    buf_init(&off);
    hook_calls = 0;
    write_sample(&on, true, true, expect_vals, sizeof expect_vals);
    cr_assert_eq(hook_calls, 5, "the key hook runs once per key");
    write_sample(&off, false, true, expect_vals, sizeof expect_vals);
    cr_assert(is_lzf_after(&on, "long", 0));
    cr_assert(is_lzf_after(&on, "big", 0), "a string larger than the batch is compressed too");
    cr_assert(is_lzf_after(&on, "lst", 1), "list items are strings too");
    cr_assert_not(is_lzf_after(&on, "short", 0), "20 bytes stay plain");
    cr_assert_not(is_lzf_after(&on, "noise", 0), "incompressible bytes stay plain");
    cr_assert_not(is_lzf_after(&off, "long", 0));
    cr_assert_lt(on.len + 200000, off.len);
    size_t n = 20 + 4000 + 300 + 200000 + 64 + 5;
    assert_reads_back(&on, expect_vals, n);
    assert_reads_back(&off, expect_vals, n);
    buf_free(&on);
    buf_free(&off);
}

Test(rdb_write_options, writes_zero_trailer_without_checksum)
{
    struct buf on, off;
    buf_init(&on);
    buf_init(&off);
    write_sample(&on, true, true, expect_vals, sizeof expect_vals);
    write_sample(&off, true, false, expect_vals, sizeof expect_vals);
    cr_assert_eq(on.len, off.len);
    cr_assert(memcmp(on.data, off.data, on.len - 8) == 0, "only the trailer differs");
    static const char zeros[8] = {0};
    cr_assert(memcmp(off.data + off.len - 8, zeros, 8) == 0);
    cr_assert(memcmp(on.data + on.len - 8, zeros, 8) != 0);
    size_t n = 20 + 4000 + 300 + 200000 + 64 + 5;
    assert_reads_back(&off, expect_vals, n);
    buf_free(&on);
    buf_free(&off);
}

/* ---- SHUTDOWN flag words -------------------------------------------------------------------- */

Test(persist_shutdown, parses_signal_flag_words)
{
    int f = -1;
    cr_assert_eq(persist_shutdown_parse_flags("default", &f), 0);
    cr_assert_eq(f, 0);
    cr_assert_eq(persist_shutdown_parse_flags("save now", &f), 0);
    cr_assert_eq(f, SHUTDOWN_FLAG_SAVE | SHUTDOWN_FLAG_NOW);
    cr_assert_eq(persist_shutdown_parse_flags("NOSAVE force", &f), 0);
    cr_assert_eq(f, SHUTDOWN_FLAG_NOSAVE | SHUTDOWN_FLAG_FORCE);
    static const char *const bad[] = {"", "save nosave", "default now", "later", NULL};
    for (size_t i = 0; i < ARRAY_LEN(bad); i++)
        cr_assert_eq(persist_shutdown_parse_flags(bad[i], &f), -1, "accepted %s", bad[i]);
}
