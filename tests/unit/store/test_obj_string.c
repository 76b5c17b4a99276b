/* Tests for the string value type (store/data/obj_string.c through keyspace.h): the int / embstr /
 * raw encodings and their transitions, INCR in place and its overflow and type errors,
 * INCRBYFLOAT, APPEND growth, SETRANGE padding and limits, and mutable raw access. */
#include <criterion/criterion.h>
#include <limits.h>
#include <malloc.h>
#include <math.h>
#include <string.h>

#include "store/data/keyspace.h"
#include "store/data/obj_hash.h"
#include "store/data/obj_string.h"

#define MAXLEN ((size_t)512 * 1024 * 1024)

static struct ks_entry *get(struct ks *ks, const char *k) { return ks_lookup(ks, k, strlen(k), 0); }

static struct ks_entry *set(struct ks *ks, const char *k, const char *v)
{
    return ks_set_string(ks, k, strlen(k), v, strlen(v), KS_NO_EXPIRE, 0, 0);
}

static const char *enc(struct ks *ks, const char *k) { return ks_entry_encoding(get(ks, k)); }

static void assert_val(struct ks *ks, const char *k, const char *want, size_t want_len)
{
    struct ks_entry *e = get(ks, k);
    cr_assert_not_null(e, "%s missing", k);
    char buf[KS_INT_BUF];
    size_t len;
    const char *p = ks_str_get(e, buf, &len);
    cr_assert_eq(len, want_len, "%s: len %zu, want %zu", k, len, want_len);
    cr_assert(memcmp(p, want, len) == 0, "%s: got '%.*s'", k, (int)len, p);
    cr_assert_eq(ks_str_len(e), want_len);
}

struct enc_case {
    const char *value;
    const char *encoding;
};

Test(obj_string, set_chooses_encoding_like_redis)
{
    static const struct enc_case cases[] = {
        {"0", "int"},
        {"12345", "int"},
        {"-42", "int"},
        {"9223372036854775807", "int"},
        {"-9223372036854775808", "int"},
        {"9223372036854775808", "embstr"}, /* out of range */
        {"007", "embstr"},                 /* not canonical */
        {"-0", "embstr"},
        {"+1", "embstr"},
        {" 1", "embstr"},
        {"1.5", "embstr"},
        {"", "embstr"},
        {"hello", "embstr"},
        {"12345678901234567890123456789012345678901234", "embstr"}, /* 44 bytes */
        {"123456789012345678901234567890123456789012345", "raw"},   /* 45 bytes */
    };
    struct ks *ks = ks_create(1);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        set(ks, "k", cases[i].value);
        cr_assert_str_eq(enc(ks, "k"), cases[i].encoding, "value '%s'", cases[i].value);
        assert_val(ks, "k", cases[i].value, strlen(cases[i].value));
    }
    ks_destroy(ks);
}

Test(obj_string, values_with_nul_bytes_round_trip)
{
    struct ks *ks = ks_create(1);
    const char v[] = {'a', 0, 'b', 0};
    ks_set_string(ks, "k\0x", 3, v, sizeof v, KS_NO_EXPIRE, 0, 0);
    struct ks_entry *e = ks_lookup(ks, "k\0x", 3, 0);
    cr_assert_not_null(e);
    char buf[KS_INT_BUF];
    size_t len;
    cr_assert(memcmp(ks_str_get(e, buf, &len), v, sizeof v) == 0 && len == sizeof v);
    cr_assert_null(ks_lookup(ks, "k", 1, 0));
    ks_destroy(ks);
}

Test(obj_string, verbatim_keeps_integer_looking_value_as_embstr)
{
    struct ks *ks = ks_create(1);
    ks_set_string(ks, "k", 1, "10", 2, KS_NO_EXPIRE, KS_SET_VERBATIM, 0);
    cr_assert_str_eq(enc(ks, "k"), "embstr");
    ks_destroy(ks);
}

Test(obj_string, overwrite_reuses_entry_when_same_size)
{
    struct ks *ks = ks_create(1);
    struct ks_entry *a = set(ks, "key:1", "xxx");
    struct ks_entry *b = set(ks, "key:1", "yyy");
    cr_assert_eq(a, b, "SET over a same-size value rewrites in place");
    assert_val(ks, "key:1", "yyy", 3);
    ks_destroy(ks);
}

Test(obj_string, set_with_value_borrowed_from_the_same_key_is_safe)
{
    struct ks *ks = ks_create(1);
    size_t len;
    set(ks, "k", "abc");
    ks_str_append(ks, "k", 1, "def", 3, MAXLEN, 0, &len); /* short raw */
    char buf[KS_INT_BUF];
    const char *p = ks_str_get(get(ks, "k"), buf, &len);
    ks_set_string(ks, "k", 1, p + 1, 4, KS_NO_EXPIRE, 0, 0);
    assert_val(ks, "k", "bcde", 4);
    p = ks_str_get(get(ks, "k"), buf, &len); /* now embstr, inside the entry itself */
    ks_set_string(ks, "k", 1, p, 2, KS_NO_EXPIRE, 0, 0);
    assert_val(ks, "k", "bc", 2);
    ks_destroy(ks);
}

/* ---- INCR ---------------------------------------------------------------------------------- */

Test(obj_string, incr_creates_updates_in_place_and_keeps_ttl)
{
    struct ks *ks = ks_create(1);
    long long r;
    cr_assert_eq(ks_str_incrby(ks, "c", 1, 5, 0, &r), KS_OK);
    cr_assert_eq(r, 5);
    cr_assert_str_eq(enc(ks, "c"), "int");
    struct ks_entry *e = ks_entry_set_expire(ks, get(ks, "c"), 9000);
    cr_assert_eq(ks_str_incrby(ks, "c", 1, -7, 0, &r), KS_OK);
    cr_assert_eq(r, -2);
    cr_assert_eq(get(ks, "c"), e, "int-encoded INCR does not move the entry");
    cr_assert_eq(ks_entry_expire_ms(e), 9000);
    assert_val(ks, "c", "-2", 2);
    /* A numeric embstr/raw string becomes int. */
    size_t len;
    set(ks, "s", "1");
    ks_str_append(ks, "s", 1, "0", 1, MAXLEN, 0, &len);
    cr_assert_str_eq(enc(ks, "s"), "raw");
    cr_assert_eq(ks_str_incrby(ks, "s", 1, 1, 0, &r), KS_OK);
    cr_assert_eq(r, 11);
    cr_assert_str_eq(enc(ks, "s"), "int");
    ks_destroy(ks);
}

Test(obj_string, incr_reports_overflow_and_bad_values_without_change)
{
    struct ks *ks = ks_create(1);
    long long r = 0;
    set(ks, "max", "9223372036854775807");
    cr_assert_eq(ks_str_incrby(ks, "max", 3, 1, 0, &r), KS_ERR_OVERFLOW);
    assert_val(ks, "max", "9223372036854775807", 19);
    set(ks, "min", "-9223372036854775808");
    cr_assert_eq(ks_str_incrby(ks, "min", 3, -1, 0, &r), KS_ERR_OVERFLOW);
    cr_assert_eq(ks_str_incrby(ks, "min", 3, LLONG_MAX, 0, &r), KS_OK);
    cr_assert_eq(r, -1);
    set(ks, "txt", "abc");
    cr_assert_eq(ks_str_incrby(ks, "txt", 3, 1, 0, &r), KS_ERR_NOT_INT);
    set(ks, "sp", " 1");
    cr_assert_eq(ks_str_incrby(ks, "sp", 2, 1, 0, &r), KS_ERR_NOT_INT);
    struct obj_hash *h = obj_hash_create();
    obj_hash_set(h, "f", 1, "v", 1, &OBJ_HASH_LIMITS_DEFAULT);
    ks_add_obj(ks, "h", 1, &obj_hash_ops, h);
    cr_assert_eq(ks_str_incrby(ks, "h", 1, 1, 0, &r), KS_ERR_WRONGTYPE);
    ks_destroy(ks);
}

Test(obj_string, incr_on_expired_key_starts_from_zero)
{
    struct ks *ks = ks_create(1);
    long long r;
    ks_set_string(ks, "c", 1, "100", 3, 50, 0, 0);
    cr_assert_eq(ks_str_incrby(ks, "c", 1, 1, 100, &r), KS_OK);
    cr_assert_eq(r, 1);
    cr_assert_eq(ks_entry_expire_ms(ks_find(ks, "c", 1)), KS_NO_EXPIRE);
    ks_destroy(ks);
}

Test(obj_string, incrbyfloat_stores_embstr_and_rejects_nan)
{
    struct ks *ks = ks_create(1);
    char out[KS_FLOAT_BUF];
    size_t n;
    set(ks, "f", "5");
    cr_assert_eq(ks_str_incrbyfloat(ks, "f", 1, 5.0L, 0, out, sizeof out, &n), KS_OK);
    cr_assert_str_eq(out, "10");
    cr_assert_str_eq(enc(ks, "f"), "embstr");
    cr_assert_eq(ks_str_incrbyfloat(ks, "f", 1, 0.5L, 0, out, sizeof out, &n), KS_OK);
    assert_val(ks, "f", "10.5", 4);
    cr_assert_eq(ks_str_incrbyfloat(ks, "new", 3, 1.25L, 0, out, sizeof out, &n), KS_OK);
    assert_val(ks, "new", "1.25", 4);
    set(ks, "huge", "1e4000");
    cr_assert_eq(ks_str_incrbyfloat(ks, "huge", 4, 1.0L, 0, out, sizeof out, &n), KS_OK);
    cr_assert_eq(n, 4000, "as Redis: the exact decimal of the long double nearest 1e4000, plus 1");
    cr_assert_str_eq(enc(ks, "huge"), "raw");
    set(ks, "bad", "x1");
    cr_assert_eq(ks_str_incrbyfloat(ks, "bad", 3, 1.0L, 0, out, sizeof out, &n), KS_ERR_NOT_FLOAT);
    cr_assert_eq(ks_str_incrbyfloat(ks, "f", 1, (long double)INFINITY, 0, out, sizeof out, &n),
                 KS_ERR_NAN);
    assert_val(ks, "f", "10.5", 4);
    ks_destroy(ks);
}

/* ---- APPEND, SETRANGE ---------------------------------------------------------------------- */

Test(obj_string, append_creates_like_set_then_grows_raw)
{
    struct ks *ks = ks_create(1);
    size_t len;
    cr_assert_eq(ks_str_append(ks, "a", 1, "12", 2, MAXLEN, 0, &len), KS_OK);
    cr_assert_eq(len, 2);
    cr_assert_str_eq(enc(ks, "a"), "int", "APPEND to a missing key encodes like SET");
    struct ks_entry *e = ks_entry_set_expire(ks, get(ks, "a"), 12345);
    (void)e;
    cr_assert_eq(ks_str_append(ks, "a", 1, "", 0, MAXLEN, 0, &len), KS_OK);
    cr_assert_str_eq(enc(ks, "a"), "raw", "APPEND to an existing key makes it raw");
    char expect[5000];
    memcpy(expect, "12", 2);
    size_t elen = 2;
    for (int i = 0; i < 1000; i++) {
        cr_assert_eq(ks_str_append(ks, "a", 1, "abcd", 4, MAXLEN, 0, &len), KS_OK);
        memcpy(expect + elen, "abcd", 4);
        elen += 4;
        cr_assert_eq(len, elen);
    }
    assert_val(ks, "a", expect, elen);
    cr_assert_eq(ks_entry_expire_ms(get(ks, "a")), 12345, "APPEND keeps the TTL");
    cr_assert_eq(ks_str_append(ks, "a", 1, "xx", 2, elen + 1, 0, &len), KS_ERR_TOO_BIG);
    assert_val(ks, "a", expect, elen);
    ks_destroy(ks);
}

Test(obj_string, setrange_pads_with_zeros_and_respects_limits)
{
    struct ks *ks = ks_create(1);
    size_t len;
    cr_assert_eq(ks_str_setrange(ks, "s", 1, 3, "ab", 0, MAXLEN, 0, &len), KS_OK);
    cr_assert_eq(len, 0);
    cr_assert_null(get(ks, "s"), "an empty SETRANGE does not create the key");
    cr_assert_eq(ks_str_setrange(ks, "s", 1, 3, "ab", 2, MAXLEN, 0, &len), KS_OK);
    cr_assert_eq(len, 5);
    assert_val(ks, "s", "\0\0\0ab", 5);
    cr_assert_str_eq(enc(ks, "s"), "raw");
    set(ks, "t", "hello world");
    cr_assert_eq(ks_str_setrange(ks, "t", 1, 6, "redis", 5, MAXLEN, 0, &len), KS_OK);
    assert_val(ks, "t", "hello redis", 11);
    cr_assert_str_eq(enc(ks, "t"), "raw");
    set(ks, "n", "123");
    cr_assert_eq(ks_str_setrange(ks, "n", 1, 1, "9", 1, MAXLEN, 0, &len), KS_OK);
    assert_val(ks, "n", "193", 3);
    cr_assert_eq(ks_str_setrange(ks, "n", 1, 100, "x", 1, 100, 0, &len), KS_ERR_TOO_BIG);
    cr_assert_eq(ks_str_setrange(ks, "n", 1, 99, "x", 1, 100, 0, &len), KS_OK);
    cr_assert_eq(len, 100);
    ks_destroy(ks);
}

Test(obj_string, mutable_access_resizes_exactly_and_converts_to_raw)
{
    struct ks *ks = ks_create(1);
    set(ks, "h", "ab");
    char *data;
    size_t len;
    struct ks_entry *e = ks_str_mutable(ks, get(ks, "h"), 16, &data, &len);
    cr_assert_eq(len, 16);
    cr_assert(memcmp(data, "ab\0\0", 4) == 0);
    data[15] = 'z';
    cr_assert_str_eq(ks_entry_encoding(e), "raw");
    e = ks_str_mutable(ks, e, SIZE_MAX, &data, &len);
    cr_assert_eq(len, 16);
    cr_assert_eq(data[15], 'z');
    e = ks_str_mutable(ks, e, 4, &data, &len);
    assert_val(ks, "h", "ab\0\0", 4);
    ks_destroy(ks);
}

Test(obj_string, is_int_accepts_only_canonical_form)
{
    long long v;
    cr_assert(obj_string_is_int("-1", 2, &v) && v == -1);
    cr_assert(!obj_string_is_int("01", 2, &v));
    cr_assert(!obj_string_is_int("", 0, &v));
    cr_assert(!obj_string_is_int("1 ", 2, &v));
    cr_assert(!obj_string_is_int("123456789012345678901", 21, &v));
}

/* Bytes a string key holds outside its entry chunk and dict slot (its separate buffer, if any). */
static size_t outside_entry_bytes(const struct ks_entry *e)
{
    return ks_entry_mem_usage(e) - malloc_usable_size((void *)e) - sizeof(void *);
}

/* A SET value up to KS_EMB_MAX bytes lives inside the entry (no separate buffer) while OBJECT
 * ENCODING still reports "raw" past 44 bytes as Redis; one byte longer gets the separate buffer,
 * and so does a string grown by APPEND. */
Test(obj_string, values_up_to_emb_max_live_inside_the_entry)
{
    struct ks *ks = ks_create(1);
    static char v[KS_EMB_MAX + 2];
    memset(v, 'v', sizeof v - 1);
    struct ks_entry *e = ks_set_string(ks, "k", 1, v, 100, KS_NO_EXPIRE, 0, 0);
    cr_assert_eq(outside_entry_bytes(e), 0);
    cr_assert_leq(ks_entry_mem_usage(e), 100 + 48, "100 bytes cost one chunk and a slot");
    cr_assert_str_eq(enc(ks, "k"), "raw");
    assert_val(ks, "k", v, 100);
    e = ks_set_string(ks, "k", 1, v, KS_EMB_MAX, KS_NO_EXPIRE, 0, 0);
    cr_assert_eq(outside_entry_bytes(e), 0);
    assert_val(ks, "k", v, KS_EMB_MAX);
    e = ks_set_string(ks, "k", 1, v, KS_EMB_MAX + 1, KS_NO_EXPIRE, 0, 0);
    cr_assert_gt(outside_entry_bytes(e), KS_EMB_MAX);
    assert_val(ks, "k", v, KS_EMB_MAX + 1);
    e = ks_set_string(ks, "k", 1, v, 100, KS_NO_EXPIRE, 0, 0);
    size_t len;
    cr_assert_eq(ks_str_append(ks, "k", 1, "ab", 2, MAXLEN, 0, &len), KS_OK);
    cr_assert_eq(len, 102);
    cr_assert_gt(outside_entry_bytes(get(ks, "k")), 100);
    cr_assert_str_eq(enc(ks, "k"), "raw");
    ks_destroy(ks);
}
