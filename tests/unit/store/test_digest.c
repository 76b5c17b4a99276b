/* DEBUG DIGEST's function (store/persist/digest.c): zeros when empty; independent of key order,
 * member order and encoding; sensitive to every value, type, expiry and database. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/data/keyspace.h"
#include "store/data/obj_hash.h"
#include "store/data/obj_list.h"
#include "store/data/obj_set.h"
#include "store/persist/digest.h"

static void hash_put(struct ks *ks, const char *key, int n, bool reverse, size_t max_entries)
{
    struct obj_hash_limits lim = {max_entries, 64};
    struct obj_hash *h = obj_hash_create();
    for (int j = 0; j < n; j++) {
        int i = reverse ? n - 1 - j : j;
        char f[16], v[16];
        snprintf(f, sizeof f, "f%d", i);
        snprintf(v, sizeof v, "v%d", i);
        obj_hash_set(h, f, strlen(f), v, strlen(v), &lim);
    }
    ks_add_obj(ks, key, strlen(key), &obj_hash_ops, h);
}

static void set_put(struct ks *ks, const char *key, int n, bool reverse)
{
    struct obj_set_limits lim = {512, 128, 64};
    struct obj_set *s = obj_set_create();
    for (int j = 0; j < n; j++) {
        char m[16];
        snprintf(m, sizeof m, "%d", reverse ? n - 1 - j : j);
        obj_set_add(s, m, strlen(m), &lim);
    }
    ks_add_obj(ks, key, strlen(key), &obj_set_ops, s);
}

static void str_put(struct ks *ks, const char *key, const char *val, int64_t expire_ms)
{
    ks_set_string(ks, key, strlen(key), val, strlen(val), expire_ms, 0, KS_NOW_NO_EXPIRY);
}

static void dataset(struct ks *const *dbs, int n, uint8_t out[DIGEST_LEN])
{
    digest_dataset(dbs, n, out);
}

Test(digest, is_zero_when_empty)
{
    struct ks *db[2] = {ks_create(1), ks_create(2)};
    uint8_t d[DIGEST_LEN], zero[DIGEST_LEN] = {0};
    dataset(db, 2, d);
    cr_assert_arr_eq(d, zero, DIGEST_LEN);
    char hex[DIGEST_HEX_LEN + 1];
    digest_hex(d, hex);
    cr_assert_str_eq(hex, "0000000000000000000000000000000000000000");
    ks_destroy(db[0]);
    ks_destroy(db[1]);
}

Test(digest, ignores_insertion_order_and_encoding)
{
    struct ks *a = ks_create(1), *b = ks_create(99);
    str_put(a, "s", "x", KS_NO_EXPIRE);
    hash_put(a, "h", 20, false, 512); /* listpack */
    set_put(a, "set", 30, false);     /* intset */
    set_put(b, "set", 30, true);
    hash_put(b, "h", 20, true, 0); /* hashtable */
    str_put(b, "s", "x", KS_NO_EXPIRE);
    uint8_t da[DIGEST_LEN], db[DIGEST_LEN];
    dataset(&a, 1, da);
    dataset(&b, 1, db);
    cr_assert_arr_eq(da, db, DIGEST_LEN);
    ks_destroy(a);
    ks_destroy(b);
}

Test(digest, changes_with_value_ttl_type_and_database)
{
    struct ks *a = ks_create(1), *empty = ks_create(2);
    str_put(a, "k", "v", KS_NO_EXPIRE);
    uint8_t base[DIGEST_LEN], d[DIGEST_LEN];
    dataset(&a, 1, base);
    str_put(a, "k", "w", KS_NO_EXPIRE);
    dataset(&a, 1, d);
    cr_assert(memcmp(base, d, DIGEST_LEN) != 0, "value");
    str_put(a, "k", "v", INT64_C(4102444800000));
    dataset(&a, 1, d);
    cr_assert(memcmp(base, d, DIGEST_LEN) != 0, "ttl");
    str_put(a, "k", "v", KS_NO_EXPIRE);
    dataset(&a, 1, d);
    cr_assert_arr_eq(base, d, DIGEST_LEN);
    struct ks *two[2] = {empty, a}; /* the same key in db 1 */
    dataset(two, 2, d);
    cr_assert(memcmp(base, d, DIGEST_LEN) != 0, "database");
    ks_delete(a, "k", 1);
    struct obj_list_limits ll = {-2};
    struct obj_list *l = obj_list_create(&ll);
    obj_list_push(l, OBJ_LIST_TAIL, "v", 1);
    ks_add_obj(a, "k", 1, &obj_list_ops, l);
    dataset(&a, 1, d);
    cr_assert(memcmp(base, d, DIGEST_LEN) != 0, "type");
    ks_destroy(a);
    ks_destroy(empty);
}
