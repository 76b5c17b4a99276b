/* Tests for store/keyspace: lazy expiry (master deletes and reports, replica hides), the active
 * expiry cycle, expire set/clear on every value kind, rename/copy/move with TTL, swap, flush,
 * random key, scan, iteration, and the memory target (1,000,000 small string keys). */
#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>

#include "store/data/keyspace.h"
#include "store/memcount.h"
#include "store/data/obj_hash.h"

struct expired_log {
    int calls;
    char last[64];
};

static void on_expired(void *ctx, struct ks *ks, const char *key, size_t klen)
{
    (void)ks;
    struct expired_log *log = ctx;
    log->calls++;
    snprintf(log->last, sizeof log->last, "%.*s", (int)klen, key);
}

static struct ks_entry *set_str(struct ks *ks, const char *k, const char *v, int64_t expire_ms)
{
    return ks_set_string(ks, k, strlen(k), v, strlen(v), expire_ms, 0, 0);
}

static struct ks_entry *lookup(struct ks *ks, const char *k, int64_t now)
{
    return ks_lookup(ks, k, strlen(k), now);
}

static void assert_str(const struct ks_entry *e, const char *want)
{
    cr_assert_not_null(e);
    char buf[KS_INT_BUF];
    size_t len;
    const char *p = ks_str_get(e, buf, &len);
    cr_assert_eq(len, strlen(want), "len %zu want %s", len, want);
    cr_assert(memcmp(p, want, len) == 0, "got %.*s want %s", (int)len, p, want);
}

static const struct obj_hash_limits LIM = {128, 64};

static struct ks_entry *add_hash(struct ks *ks, const char *k, int fields)
{
    struct obj_hash *h = obj_hash_create();
    for (int i = 0; i < fields; i++) {
        char f[16];
        int n = snprintf(f, sizeof f, "f%d", i);
        obj_hash_set(h, f, (size_t)n, "v", 1, &LIM);
    }
    return ks_add_obj(ks, k, strlen(k), &obj_hash_ops, h);
}

/* ---- lazy expiry ---------------------------------------------------------------------------- */

Test(keyspace, lookup_deletes_and_reports_expired_key_when_master)
{
    struct ks *ks = ks_create(1);
    struct expired_log log = {0};
    ks_set_expired_cb(ks, on_expired, &log);
    set_str(ks, "k", "v", 1000);
    cr_assert_not_null(lookup(ks, "k", 999));
    cr_assert_not_null(lookup(ks, "k", 1000), "alive at exactly its expiry time (as Redis)");
    cr_assert_eq(log.calls, 0);
    cr_assert_null(lookup(ks, "k", 1001));
    cr_assert_eq(log.calls, 1);
    cr_assert_str_eq(log.last, "k");
    cr_assert_eq(ks_count(ks), 0);
    cr_assert_eq(ks_expires_count(ks), 0);
    ks_destroy(ks);
}

Test(keyspace, lookup_hides_but_keeps_expired_key_when_replica)
{
    struct ks *ks = ks_create(1);
    struct expired_log log = {0};
    ks_set_expired_cb(ks, on_expired, &log);
    ks_set_replica_mode(ks, true);
    set_str(ks, "k", "v", 1000);
    cr_assert_null(lookup(ks, "k", 2000));
    cr_assert_eq(log.calls, 0);
    cr_assert_eq(ks_count(ks), 1);
    cr_assert_not_null(ks_find(ks, "k", 1), "the master's stream still sees it");
    cr_assert_eq(ks_expire_cycle(ks, 2000, 1000), 0, "replicas never actively expire");
    /* The master's DEL removes it. */
    cr_assert_eq(ks_delete(ks, "k", 1), 1);
    cr_assert_eq(ks_count(ks), 0);
    ks_destroy(ks);
}

Test(keyspace, now_no_expiry_sees_expired_keys_as_live_when_replica_applies_stream)
{
    struct ks *ks = ks_create(1);
    ks_set_replica_mode(ks, true);
    set_str(ks, "k", "5", 100);
    cr_assert_null(lookup(ks, "k", 200), "hidden from clients");
    cr_assert_not_null(lookup(ks, "k", KS_NOW_NO_EXPIRY), "live for the master's stream");
    long long r;
    cr_assert_eq(ks_str_incrby(ks, "k", 1, 1, KS_NOW_NO_EXPIRY, &r), KS_OK);
    cr_assert_eq(r, 6, "the master's INCR applies to the existing value");
    cr_assert_eq(ks_entry_expire_ms(ks_find(ks, "k", 1)), 100, "TTL kept");
    cr_assert_eq(ks_expire_cycle(ks, KS_NOW_NO_EXPIRY, 100), 0);
    ks_destroy(ks);
}

Test(keyspace, set_obj_with_the_keys_own_object_keeps_it)
{
    struct ks *ks = ks_create(1);
    struct ks_entry *e = ks_entry_set_expire(ks, add_hash(ks, "h", 3), 500);
    void *obj = ks_entry_obj(e);
    e = ks_set_obj(ks, "h", 1, &obj_hash_ops, obj, KS_SET_KEEPTTL);
    cr_assert_eq(ks_entry_obj(e), obj);
    cr_assert_eq(obj_hash_len(obj), 3);
    cr_assert_eq(ks_entry_expire_ms(e), 500);
    e = ks_set_obj(ks, "h", 1, &obj_hash_ops, obj, 0);
    cr_assert_eq(ks_entry_expire_ms(e), KS_NO_EXPIRE);
    cr_assert_eq(ks_expires_count(ks), 0);
    ks_destroy(ks);
}

Test(keyspace, set_nx_treats_expired_key_as_absent)
{
    struct ks *ks = ks_create(1);
    set_str(ks, "k", "old", 100);
    cr_assert_null(ks_set_string(ks, "k", 1, "x", 1, KS_NO_EXPIRE, KS_SET_XX, 500));
    cr_assert_eq(ks_count(ks), 0, "the expired key was removed by the write lookup");
    cr_assert_not_null(ks_set_string(ks, "k", 1, "new", 3, KS_NO_EXPIRE, KS_SET_NX, 500));
    cr_assert_null(ks_set_string(ks, "k", 1, "again", 5, KS_NO_EXPIRE, KS_SET_NX, 500));
    assert_str(lookup(ks, "k", 500), "new");
    cr_assert_eq(ks_entry_expire_ms(lookup(ks, "k", 500)), KS_NO_EXPIRE);
    ks_destroy(ks);
}

Test(keyspace, set_keepttl_keeps_and_plain_set_clears)
{
    struct ks *ks = ks_create(1);
    set_str(ks, "k", "a", 5000);
    struct ks_entry *e = ks_set_string(ks, "k", 1, "bb", 2, KS_NO_EXPIRE, KS_SET_KEEPTTL, 0);
    cr_assert_eq(ks_entry_expire_ms(e), 5000);
    e = ks_set_string(ks, "k", 1, "ccc", 3, 7000, KS_SET_KEEPTTL, 0);
    cr_assert_eq(ks_entry_expire_ms(e), 7000, "an explicit expiry wins over KEEPTTL");
    e = set_str(ks, "k", "d", KS_NO_EXPIRE);
    cr_assert_eq(ks_entry_expire_ms(e), KS_NO_EXPIRE);
    cr_assert_eq(ks_expires_count(ks), 0);
    assert_str(e, "d");
    ks_destroy(ks);
}

/* ---- expire on every kind ---------------------------------------------------------------------
 */

Test(keyspace, set_expire_and_persist_keep_value_of_every_kind)
{
    struct ks *ks = ks_create(1);
    const char *longv = "0123456789012345678901234567890123456789012345678901234567890";
    set_str(ks, "int", "12345", KS_NO_EXPIRE);
    set_str(ks, "emb", "hello", KS_NO_EXPIRE);
    set_str(ks, "raw", longv, KS_NO_EXPIRE);
    add_hash(ks, "hash", 3);
    const char *keys[] = {"int", "emb", "raw", "hash"};
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 4; i++) {
            struct ks_entry *e = ks_find(ks, keys[i], strlen(keys[i]));
            e = ks_entry_set_expire(ks, e, 1000 + i);
            cr_assert_eq(ks_entry_expire_ms(e), 1000 + i);
            e = ks_entry_set_expire(ks, e, 2000 + i); /* update in place */
            cr_assert_eq(ks_entry_expire_ms(e), 2000 + i);
            if (round == 2) continue;
            e = ks_entry_set_expire(ks, e, KS_NO_EXPIRE);
            cr_assert_eq(ks_entry_expire_ms(e), KS_NO_EXPIRE);
        }
    }
    cr_assert_eq(ks_expires_count(ks), 4);
    assert_str(ks_find(ks, "int", 3), "12345");
    cr_assert_str_eq(ks_entry_encoding(ks_find(ks, "int", 3)), "int");
    assert_str(ks_find(ks, "emb", 3), "hello");
    assert_str(ks_find(ks, "raw", 3), longv);
    struct ks_entry *h = ks_find(ks, "hash", 4);
    cr_assert_eq(obj_hash_len(ks_entry_obj(h)), 3);
    size_t klen;
    cr_assert(memcmp(ks_entry_key(h, &klen), "hash", 4) == 0 && klen == 4);
    cr_assert_eq(ks_expire_cycle(ks, 10000, 1000), 4);
    cr_assert_eq(ks_count(ks), 0);
    ks_destroy(ks);
}

/* ---- active expiry ------------------------------------------------------------------------------
 */

Test(keyspace, expire_cycle_removes_expired_keys_and_reports_each)
{
    struct ks *ks = ks_create(9);
    struct expired_log log = {0};
    ks_set_expired_cb(ks, on_expired, &log);
    char k[32];
    for (int i = 0; i < 1000; i++) {
        snprintf(k, sizeof k, "vol:%d", i);
        set_str(ks, k, "v", 100);
        snprintf(k, sizeof k, "live:%d", i);
        set_str(ks, k, "v", i % 2 ? 1000000 : KS_NO_EXPIRE);
    }
    cr_assert_eq(ks_expires_count(ks), 1500);
    /* A budget bounds one cycle. */
    size_t first = ks_expire_cycle(ks, 200, 20);
    cr_assert_leq(first, 20);
    cr_assert_gt(first, 0);
    size_t total = first;
    int cycles = 1;
    while (ks_expires_count(ks) > 500 && cycles < 10000) {
        total += ks_expire_cycle(ks, 200, 200);
        cycles++;
    }
    cr_assert_eq(total, 1000);
    cr_assert_eq((size_t)log.calls, total);
    cr_assert_eq(ks_count(ks), 1000);
    /* With only live volatile keys left, a cycle samples once and stops. */
    cr_assert_eq(ks_expire_cycle(ks, 200, 1000), 0);
    cr_assert_gt(ks_avg_ttl_ms(ks), 0);
    ks_destroy(ks);
}

/* ---- key operations ----------------------------------------------------------------------------
 */

Test(keyspace, rename_moves_value_and_ttl_and_replaces_destination)
{
    struct ks *ks = ks_create(1);
    const char *longv = "a value that is longer than forty-four bytes, so it is raw";
    set_str(ks, "src", longv, 9000);
    add_hash(ks, "dst", 2);
    struct ks_entry *e = ks_rename(ks, ks_find(ks, "src", 3), "dst", 3);
    assert_str(e, longv);
    cr_assert_eq(ks_entry_expire_ms(e), 9000);
    cr_assert_str_eq(ks_entry_encoding(e), "raw");
    cr_assert_null(ks_find(ks, "src", 3));
    cr_assert_eq(ks_count(ks), 1);
    cr_assert_eq(ks_expires_count(ks), 1);
    /* A hash with TTL renames too, and renaming onto itself changes nothing. */
    e = ks_entry_set_expire(ks, add_hash(ks, "h", 5), 4000);
    e = ks_rename(ks, e, "h2", 2);
    cr_assert_eq(ks_entry_type(e), KS_TYPE_HASH);
    cr_assert_eq(obj_hash_len(ks_entry_obj(e)), 5);
    cr_assert_eq(ks_entry_expire_ms(e), 4000);
    cr_assert_eq(ks_rename(ks, e, "h2", 2), e);
    ks_destroy(ks);
}

Test(keyspace, copy_is_deep_and_keeps_ttl_across_databases)
{
    struct ks *a = ks_create(1), *b = ks_create(2);
    struct ks_entry *e = ks_entry_set_expire(a, add_hash(a, "h", 3), 5000);
    struct ks_entry *c = ks_copy(b, e, "h", 1);
    cr_assert_eq(ks_entry_expire_ms(c), 5000);
    obj_hash_set(ks_entry_obj(c), "new", 3, "x", 1, &LIM);
    cr_assert_eq(obj_hash_len(ks_entry_obj(ks_find(a, "h", 1))), 3, "source untouched");
    cr_assert_eq(obj_hash_len(ks_entry_obj(ks_find(b, "h", 1))), 4);
    /* Raw strings are copied, not shared. */
    size_t len;
    struct ks_entry *s = ks_set_string(a, "s", 1, "abc", 3, KS_NO_EXPIRE, 0, 0);
    ks_str_append(a, "s", 1, "def", 3, 1 << 20, 0, &len);
    s = ks_copy(a, ks_find(a, "s", 1), "s2", 2);
    ks_str_append(a, "s2", 2, "ghi", 3, 1 << 20, 0, &len);
    assert_str(ks_find(a, "s", 1), "abcdef");
    assert_str(ks_find(a, "s2", 2), "abcdefghi");
    (void)s;
    /* Copy over an existing key replaces it. */
    set_str(a, "int", "42", KS_NO_EXPIRE);
    c = ks_copy(a, ks_find(a, "int", 3), "s2", 2);
    cr_assert_str_eq(ks_entry_encoding(c), "int");
    assert_str(c, "42");
    ks_destroy(a);
    ks_destroy(b);
}

Test(keyspace, move_transfers_entry_with_ttl)
{
    struct ks *a = ks_create(1), *b = ks_create(2);
    struct ks_entry *e = set_str(a, "k", "v", 777);
    e = ks_move(a, e, b);
    cr_assert_eq(ks_count(a), 0);
    cr_assert_eq(ks_expires_count(a), 0);
    cr_assert_eq(ks_find(b, "k", 1), e);
    cr_assert_eq(ks_expires_count(b), 1);
    cr_assert_eq(ks_expire_cycle(b, 1000, 100), 1);
    ks_destroy(a);
    ks_destroy(b);
}

Test(keyspace, swap_exchanges_data_but_not_settings)
{
    struct ks *a = ks_create(1), *b = ks_create(2);
    struct expired_log log = {0};
    ks_set_expired_cb(a, on_expired, &log);
    set_str(a, "ka", "1", 100);
    set_str(b, "kb1", "2", KS_NO_EXPIRE);
    set_str(b, "kb2", "3", KS_NO_EXPIRE);
    ks_swap(a, b);
    cr_assert_eq(ks_count(a), 2);
    cr_assert_eq(ks_count(b), 1);
    cr_assert_not_null(ks_find(a, "kb1", 3));
    cr_assert_eq(ks_expires_count(b), 1);
    ks_set_expired_cb(b, NULL, NULL);
    cr_assert_null(lookup(b, "ka", 200));
    cr_assert_eq(log.calls, 0, "the callback stayed with a");
    ks_destroy(a);
    ks_destroy(b);
}

Test(keyspace, flush_removes_everything_and_ks_stays_usable)
{
    struct ks *ks = ks_create(1);
    char k[32];
    for (int i = 0; i < 5000; i++) {
        snprintf(k, sizeof k, "k%d", i);
        if (i % 3 == 0)
            add_hash(ks, k, 2);
        else
            set_str(ks, k, "value", i % 2 ? 100 : KS_NO_EXPIRE);
    }
    ks_flush(ks);
    cr_assert_eq(ks_count(ks), 0);
    cr_assert_eq(ks_expires_count(ks), 0);
    set_str(ks, "again", "1", 5);
    cr_assert_eq(ks_count(ks), 1);
    cr_assert_eq(ks_expire_cycle(ks, 10, 10), 1);
    ks_destroy(ks);
}

Test(keyspace, delete_and_type_and_encoding)
{
    struct ks *ks = ks_create(1);
    add_hash(ks, "h", 1);
    struct ks_entry *e = ks_find(ks, "h", 1);
    cr_assert_eq(ks_entry_type(e), KS_TYPE_HASH);
    cr_assert_str_eq(ks_type_name(ks_entry_type(e)), "hash");
    cr_assert_str_eq(ks_entry_encoding(e), "listpack");
    cr_assert_eq(ks_entry_ops(e), &obj_hash_ops);
    cr_assert_eq(ks_delete(ks, "h", 1), 1);
    cr_assert_eq(ks_delete(ks, "h", 1), 0);
    /* SET over a hash replaces it with a string. */
    add_hash(ks, "h", 1);
    e = set_str(ks, "h", "s", KS_NO_EXPIRE);
    cr_assert_eq(ks_entry_type(e), KS_TYPE_STRING);
    ks_destroy(ks);
}

/* ---- random, scan, iteration ---------------------------------------------------------------- */

Test(keyspace, random_skips_expired_keys)
{
    struct ks *ks = ks_create(5);
    struct expired_log log = {0};
    ks_set_expired_cb(ks, on_expired, &log);
    char k[32];
    for (int i = 0; i < 200; i++) {
        snprintf(k, sizeof k, "dead%d", i);
        set_str(ks, k, "v", 10);
    }
    set_str(ks, "alive", "v", KS_NO_EXPIRE);
    for (int i = 0; i < 20; i++) {
        size_t klen;
        struct ks_entry *e = ks_random(ks, 100);
        const char *name = ks_entry_key(e, &klen);
        cr_assert(klen == 5 && memcmp(name, "alive", 5) == 0);
    }
    cr_assert_gt(log.calls, 0);
    ks_flush(ks);
    cr_assert_null(ks_random(ks, 100));
    ks_destroy(ks);
}

Test(keyspace, random_returns_expired_key_eventually_when_replica_and_all_expired)
{
    struct ks *ks = ks_create(5);
    ks_set_replica_mode(ks, true);
    set_str(ks, "a", "v", 10);
    set_str(ks, "b", "v", 10);
    cr_assert_not_null(ks_random(ks, 100));
    cr_assert_eq(ks_count(ks), 2);
    ks_destroy(ks);
}

struct scan_hits {
    int n;
    bool saw_dead;
};

static void scan_count(void *ctx, const struct ks_entry *e)
{
    struct scan_hits *h = ctx;
    size_t klen;
    const char *k = ks_entry_key(e, &klen);
    if (klen >= 4 && memcmp(k, "dead", 4) == 0) h->saw_dead = true;
    h->n++;
}

Test(keyspace, scan_hides_expired_and_reports_all_live_keys)
{
    struct ks *ks = ks_create(1);
    char k[32];
    for (int i = 0; i < 1000; i++) {
        snprintf(k, sizeof k, "%s%d", i % 4 ? "live" : "dead", i);
        set_str(ks, k, "v", i % 4 ? KS_NO_EXPIRE : 50);
    }
    struct scan_hits hits = {0};
    uint64_t cursor = 0;
    do cursor = ks_scan(ks, cursor, 100, scan_count, &hits);
    while (cursor);
    cr_assert_eq(hits.n, 750); /* no resize happened, so no duplicates either */
    cr_assert(!hits.saw_dead);
    cr_assert_eq(ks_count(ks), 750, "master scan removed the expired keys it met");
    ks_destroy(ks);
}

Test(keyspace, safe_iterator_allows_deleting_current_key)
{
    struct ks *ks = ks_create(1);
    char k[32];
    for (int i = 0; i < 300; i++) {
        snprintf(k, sizeof k, "k%d", i);
        set_str(ks, k, "v", i % 2 ? 100 : KS_NO_EXPIRE);
    }
    struct ks_iter it;
    int seen = 0;
    ks_iter_init(&it, ks, true);
    for (struct ks_entry *e; (e = ks_iter_next(&it));) {
        seen++;
        if (ks_entry_expire_ms(e) != KS_NO_EXPIRE) ks_delete_entry(ks, e);
    }
    ks_iter_done(&it);
    cr_assert_eq(seen, 300);
    cr_assert_eq(ks_count(ks), 150);
    cr_assert_eq(ks_expires_count(ks), 0);
    /* Read-only iteration (the snapshot child's mode). */
    seen = 0;
    ks_iter_init(&it, ks, false);
    for (struct ks_entry *e; (e = ks_iter_next(&it));) {
        cr_assert_eq(ks_entry_type(e), KS_TYPE_STRING);
        seen++;
    }
    ks_iter_done(&it);
    cr_assert_eq(seen, 150);
    ks_destroy(ks);
}

/* ---- memory target -------------------------------------------------------------------------- */

/* In-use heap bytes, as the server counts them for INFO and maxmemory (memcount: usable sizes of
 * every block, mmapped bucket arrays included; the sanitizer's own count under ASan). */
static size_t heap_bytes(void) { return memcount_used(); }

Test(keyspace, million_small_string_keys_fit_memory_target)
{
    enum { N = 1000000 };
    const char *val = "0123456789abcdef"; /* 16 bytes */
    struct ks *ks = ks_create(1);
    size_t before = heap_bytes();
    char k[32];
    for (int i = 0; i < N; i++) {
        int n = snprintf(k, sizeof k, "key:%d", i);
        ks_set_string(ks, k, (size_t)n, val, 16, KS_NO_EXPIRE, 0, 0);
    }
    size_t after = heap_bytes();
    double per_key = (double)(after - before) / N;
    cr_log_info("keyspace memory: %.1f bytes per key", per_key);
    cr_assert_leq(per_key, 80.0, "%.1f bytes per key", per_key);
    cr_assert_eq(ks_count(ks), N);
    cr_assert_str_eq(ks_entry_encoding(ks_find(ks, "key:123456", 10)), "embstr");
    ks_destroy(ks);
}

/* ---- access clock (OBJECT IDLETIME) -----------------------------------------------------------
 */

Test(keyspace, idle_time_counts_from_the_last_write_or_touch)
{
    struct ks *ks = ks_create(1);
    ks_set_clock(ks, 1000000); /* 1,000 s */
    struct ks_entry *e = set_str(ks, "k", "v", -1);
    cr_assert_eq(ks_entry_idle_s(ks, e), 0);
    ks_set_clock(ks, 1007500);
    cr_assert_eq(ks_entry_idle_s(ks, e), 7, "whole seconds, rounded down");
    ks_entry_touch(ks, e);
    cr_assert_eq(ks_entry_idle_s(ks, e), 0);
    ks_set_clock(ks, 1010000);
    e = set_str(ks, "k", "overwritten", -1);
    cr_assert_eq(ks_entry_idle_s(ks, e), 0, "a write is an access");
    ks_destroy(ks);
}

Test(keyspace, idle_time_survives_rename_ttl_changes_and_clock_wrap)
{
    struct ks *ks = ks_create(1);
    int64_t wrap_s = 1 << 24;
    ks_set_clock(ks, (wrap_s - 2) * 1000); /* two seconds before the 24-bit clock wraps */
    struct ks_entry *e = set_str(ks, "src", "v", -1);
    ks_set_clock(ks, (wrap_s + 3) * 1000);
    cr_assert_eq(ks_entry_idle_s(ks, e), 5);
    e = ks_entry_set_expire(ks, e, 99999999999LL); /* the entry is rebuilt with a TTL */
    cr_assert_eq(ks_entry_idle_s(ks, e), 5);
    e = ks_rename(ks, e, "dst", 3);
    cr_assert_eq(ks_entry_idle_s(ks, e), 5, "RENAME keeps the value and its idle time");
    e = ks_entry_set_expire(ks, e, -1);
    cr_assert_eq(ks_entry_idle_s(ks, e), 5);
    ks_destroy(ks);
}

Test(keyspace, avg_ttl_stays_positive_for_keys_expiring_at_int64_max)
{
    struct ks *ks = ks_create(9);
    char k[32];
    for (int i = 0; i < 40; i++) {
        snprintf(k, sizeof k, "far:%d", i);
        set_str(ks, k, "v", INT64_MAX); /* PEXPIREAT k 9223372036854775807 */
    }
    for (int round = 0; round < 5; round++) ks_expire_cycle(ks, 1000, 200);
    cr_assert_eq(ks_expires_count(ks), 40, "nothing expired");
    cr_assert_gt(ks_avg_ttl_ms(ks), INT64_MAX / 4, "avg_ttl %lld", (long long)ks_avg_ttl_ms(ks));
    ks_destroy(ks);
}

/* ---- the added callback ("new" keyspace events) ------------------------------------------- */

Test(keyspace, added_cb_fires_for_new_keys_only)
{
    struct ks *ks = ks_create(1);
    struct ks *other = ks_create(2);
    struct expired_log log = {0};
    ks_set_added_cb(ks, on_expired, &log);
    ks_set_added_cb(other, on_expired, &log);
    set_str(ks, "a", "1", KS_NO_EXPIRE);
    cr_assert_eq(log.calls, 1);
    cr_assert_str_eq(log.last, "a");
    set_str(ks, "a", "2", KS_NO_EXPIRE); /* an overwrite is not new */
    cr_assert_eq(log.calls, 1);
    ks_rename(ks, ks_find(ks, "a", 1), "b", 1);
    cr_assert_eq(log.calls, 2);
    cr_assert_str_eq(log.last, "b");
    ks_move(ks, ks_find(ks, "b", 1), other);
    cr_assert_eq(log.calls, 3);
    ks_destroy(ks);
    ks_destroy(other);
}
