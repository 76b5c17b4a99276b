/* digest: see digest.h. Built on SHA-256 (common/sha256.h), truncated to 20 bytes: the point
 * is telling datasets apart, not security. Every variable-length piece is length-prefixed, so
 * no two different values hash the same input. */
#include "store/persist/digest.h"

#include <stdio.h>
#include <string.h>

#include "common/sha256.h"
#include "common/util.h"
#include "store/data/keyspace.h"
#include "store/data/obj_hash.h"
#include "store/data/obj_stream_cg.h"
#include "store/data/obj_list.h"
#include "store/data/obj_pack.h"
#include "store/data/obj_set.h"
#include "store/data/obj_zset.h"

static void put_len(struct sha256_ctx *c, uint64_t n)
{
    uint8_t b[8];
    for (int i = 0; i < 8; i++) b[i] = (uint8_t)(n >> (8 * i));
    sha256_update(c, b, sizeof b);
}

static void put_str(struct sha256_ctx *c, const char *p, size_t n)
{
    put_len(c, n);
    sha256_update(c, p, n);
}

/* XOR the hash of one order-free element into acc. */
static void mix_element(uint8_t acc[SHA256_DIGEST_LEN], const char *a, size_t an, const char *b,
                        size_t bn)
{
    struct sha256_ctx c;
    uint8_t d[SHA256_DIGEST_LEN];
    sha256_init(&c);
    put_str(&c, a, an);
    if (b) put_str(&c, b, bn);
    sha256_final(&c, d);
    for (int i = 0; i < SHA256_DIGEST_LEN; i++) acc[i] ^= d[i];
}

static void value_list(struct sha256_ctx *c, const struct obj_list *l)
{
    struct obj_list_iter it;
    struct pack_val v;
    char num[32];
    size_t n = obj_list_len(l);
    put_len(c, n);
    if (n == 0) return;
    obj_list_iter_init(&it, l, 0, false, n);
    while (obj_list_iter_next(&it, &v)) {
        size_t len;
        const char *s = pack_val_str(&v, num, &len);
        put_str(c, s, len);
    }
}

static void value_set(struct sha256_ctx *c, const struct obj_set *s)
{
    uint8_t acc[SHA256_DIGEST_LEN] = {0};
    struct obj_set_iter it;
    struct pack_val v;
    char num[32];
    obj_set_iter_init(&it, s);
    while (obj_set_iter_next(&it, &v)) {
        size_t len;
        const char *m = pack_val_str(&v, num, &len);
        mix_element(acc, m, len, NULL, 0);
    }
    sha256_update(c, acc, sizeof acc);
}

static void value_zset(struct sha256_ctx *c, const struct obj_zset *z)
{
    uint8_t acc[SHA256_DIGEST_LEN] = {0};
    struct obj_zset_iter it;
    struct obj_zset_entry e;
    obj_zset_iter_rank(&it, z, 0, -1, false);
    while (obj_zset_iter_next(&it, &e)) {
        char score[64];
        int n = snprintf(score, sizeof score, "%.17g", e.score);
        mix_element(acc, e.member, e.len, score, (size_t)n);
    }
    sha256_update(c, acc, sizeof acc);
}

/* A stream: its entries in order, its last ID and its groups' names and last IDs. */
static void value_stream(struct sha256_ctx *c, struct obj_stream *s)
{
    struct obj_stream_iter it;
    struct stream_id id;
    size_t nf;
    char buf[STREAM_ID_BUF];
    put_len(c, s->length);
    obj_stream_iter_init(&it, s, STREAM_ID_MIN, STREAM_ID_MAX, false);
    while (obj_stream_iter_next(&it, &id, &nf)) {
        put_str(c, buf, stream_id_fmt(buf, id));
        const char *f, *v;
        size_t fl, vl;
        while (obj_stream_iter_field(&it, &f, &fl, &v, &vl)) {
            put_str(c, f, fl);
            put_str(c, v, vl);
        }
    }
    obj_stream_iter_done(&it);
    put_str(c, buf, stream_id_fmt(buf, s->last_id));
    for (size_t g = 0; g < s->ngroups; g++) {
        put_str(c, s->groups[g]->name, s->groups[g]->nlen);
        put_str(c, buf, stream_id_fmt(buf, s->groups[g]->last_id));
    }
}

static void value_hash(struct sha256_ctx *c, struct obj_hash *h)
{
    uint8_t acc[SHA256_DIGEST_LEN] = {0};
    struct obj_hash_iter it;
    const char *f, *v;
    size_t fl, vl;
    obj_hash_iter_init(&it, h);
    while (obj_hash_iter_next(&it, &f, &fl, &v, &vl)) mix_element(acc, f, fl, v, vl);
    obj_hash_iter_done(&it);
    sha256_update(c, acc, sizeof acc);
}

void digest_entry(const struct ks_entry *e, uint8_t out[DIGEST_LEN])
{
    struct sha256_ctx c;
    sha256_init(&c);
    size_t kl;
    const char *k = ks_entry_key(e, &kl);
    enum ks_type t = ks_entry_type(e);
    uint8_t tb = (uint8_t)t;
    sha256_update(&c, &tb, 1);
    put_str(&c, k, kl);
    int64_t exp = ks_entry_expire_ms(e);
    put_len(&c, (uint64_t)exp); /* -1 (no TTL) differs from every real expiry */
    void *o = t == KS_TYPE_STRING ? NULL : ks_entry_obj(e);
    switch (t) {
    case KS_TYPE_STRING: {
        char num[KS_INT_BUF];
        size_t vl;
        const char *v = ks_str_get(e, num, &vl);
        put_str(&c, v, vl);
        break;
    }
    case KS_TYPE_LIST:
        value_list(&c, o);
        break;
    case KS_TYPE_SET:
        value_set(&c, o);
        break;
    case KS_TYPE_ZSET:
        value_zset(&c, o);
        break;
    case KS_TYPE_HASH:
        value_hash(&c, o);
        break;
    case KS_TYPE_STREAM:
        value_stream(&c, o);
        break;
    default:
        break;
    }
    uint8_t d[SHA256_DIGEST_LEN];
    sha256_final(&c, d);
    memcpy(out, d, DIGEST_LEN);
}

void digest_dataset(struct ks *const *dbs, int ndb, uint8_t out[DIGEST_LEN])
{
    memset(out, 0, DIGEST_LEN);
    for (int db = 0; db < ndb; db++) {
        struct ks_iter it;
        struct ks_entry *e;
        ks_iter_init(&it, dbs[db], false);
        while ((e = ks_iter_next(&it)) != NULL) {
            uint8_t kd[DIGEST_LEN], d[SHA256_DIGEST_LEN];
            digest_entry(e, kd);
            struct sha256_ctx c;
            sha256_init(&c);
            put_len(&c, (uint64_t)db);
            sha256_update(&c, kd, sizeof kd);
            sha256_final(&c, d);
            for (int i = 0; i < DIGEST_LEN; i++) out[i] ^= d[i];
        }
        ks_iter_done(&it);
    }
}

void digest_hex(const uint8_t d[DIGEST_LEN], char out[DIGEST_HEX_LEN + 1])
{
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < DIGEST_LEN; i++) {
        out[2 * i] = hex[d[i] >> 4];
        out[2 * i + 1] = hex[d[i] & 15];
    }
    out[DIGEST_HEX_LEN] = '\0';
}
