/* obj_stream: the packed node encoding against a plain array model (seeded random appends with
 * the same and other field names, deletions, exact and approximate trims, under small and
 * default node limits), forward and reverse ranges, IDs, consumer-group PELs, and the Redis
 * listpack form of a node both ways (our encoder read back, and a node Redis 7.0 wrote). */
#include <criterion/criterion.h>

#include <liblzf/lzf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/rng.h"
#include "common/util.h"
#include "store/data/obj_stream.h"
#include "store/data/obj_stream_cg.h"
#include "store/data/obj_stream_int.h"
#include "store/persist/rdb_stream.h"
#include "store/rdb/rdb_listpack.h"

#define MAX_FIELDS 4

struct mentry {
    struct stream_id id;
    size_t nf;
    char f[MAX_FIELDS][16], v[MAX_FIELDS][24];
    bool deleted;
};

struct model {
    struct mentry *v;
    size_t n, cap;
};

static void model_push(struct model *m, const struct mentry *e)
{
    if (m->n == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 64;
        m->v = xrealloc(m->v, m->cap * sizeof *m->v);
    }
    m->v[m->n++] = *e;
}

static size_t model_live(const struct model *m)
{
    size_t n = 0;
    for (size_t i = 0; i < m->n; i++) n += !m->v[i].deleted;
    return n;
}

static void append_entry(struct obj_stream *s, const struct obj_stream_limits *lim,
                         const struct mentry *e)
{
    struct resp_arg fv[2 * MAX_FIELDS];
    for (size_t i = 0; i < e->nf; i++) {
        fv[2 * i] = (struct resp_arg){e->f[i], strlen(e->f[i])};
        fv[2 * i + 1] = (struct resp_arg){e->v[i], strlen(e->v[i])};
    }
    obj_stream_append(s, lim, e->id, fv, 2 * e->nf);
}

/* A random entry after `last`: mostly the same two fields (SAME entries), sometimes others. */
static void random_entry(struct rng *r, struct stream_id last, struct mentry *e)
{
    memset(e, 0, sizeof *e);
    e->id = last;
    if (rng_next(r) % 3 == 0)
        e->id.seq += 1 + rng_next(r) % 3;
    else
        e->id = (struct stream_id){last.ms + 1 + rng_next(r) % 100000, rng_next(r) % 4};
    bool same = rng_next(r) % 4 != 0;
    e->nf = same ? 2 : 1 + rng_next(r) % MAX_FIELDS;
    for (size_t i = 0; i < e->nf; i++) {
        snprintf(e->f[i], sizeof e->f[i], same ? "field%zu" : "other%zu",
                 same ? i : (size_t)(rng_next(r) % 5));
        snprintf(e->v[i], sizeof e->v[i], "%llu", (unsigned long long)(rng_next(r) % 100000));
    }
}

static void check_entry(struct obj_stream_iter *it, const struct mentry *e, size_t nf)
{
    cr_assert_eq(nf, e->nf);
    const char *f, *v;
    size_t fl, vl, i = 0;
    while (obj_stream_iter_field(it, &f, &fl, &v, &vl)) {
        cr_assert_eq(fl, strlen(e->f[i]));
        cr_assert(memcmp(f, e->f[i], fl) == 0);
        cr_assert_eq(vl, strlen(e->v[i]));
        cr_assert(memcmp(v, e->v[i], vl) == 0);
        i++;
    }
    cr_assert_eq(i, e->nf);
}

/* The whole stream equals the model's live entries, both ways, and a random range too. */
static void check_model(struct obj_stream *s, const struct model *m, struct rng *r)
{
    cr_assert_eq(s->length, model_live(m));
    for (int rev = 0; rev < 2; rev++) {
        struct obj_stream_iter it;
        struct stream_id id;
        size_t nf, k = rev ? m->n : 0;
        obj_stream_iter_init(&it, s, STREAM_ID_MIN, STREAM_ID_MAX, rev);
        while (obj_stream_iter_next(&it, &id, &nf)) {
            if (!rev)
                while (m->v[k].deleted) k++;
            else
                while (m->v[k - 1].deleted) k--;
            const struct mentry *e = rev ? &m->v[--k] : &m->v[k++];
            cr_assert_eq(stream_id_cmp(id, e->id), 0);
            check_entry(&it, e, nf);
        }
        obj_stream_iter_done(&it);
    }
    if (m->n == 0) return;
    struct stream_id a = m->v[rng_next(r) % m->n].id, b = m->v[rng_next(r) % m->n].id;
    if (stream_id_cmp(a, b) > 0) {
        struct stream_id t = a;
        a = b;
        b = t;
    }
    size_t expect = 0, got = 0, nf;
    for (size_t i = 0; i < m->n; i++)
        expect += !m->v[i].deleted && stream_id_cmp(m->v[i].id, a) >= 0 &&
                  stream_id_cmp(m->v[i].id, b) <= 0;
    struct obj_stream_iter it;
    struct stream_id id;
    obj_stream_iter_init(&it, s, a, b, rng_next(r) % 2);
    while (obj_stream_iter_next(&it, &id, &nf)) got++;
    obj_stream_iter_done(&it);
    cr_assert_eq(got, expect);
}

static void run_random(uint64_t seed, struct obj_stream_limits lim, size_t steps)
{
    struct rng r;
    rng_seed(&r, seed);
    struct obj_stream *s = obj_stream_create();
    struct model m = {0};
    struct stream_id last = {1, 0};
    for (size_t step = 0; step < steps; step++) {
        unsigned op = rng_next(&r) % 20;
        if (op < 15 || m.n == 0) {
            struct mentry e;
            random_entry(&r, last, &e);
            append_entry(s, &lim, &e);
            model_push(&m, &e);
            last = e.id;
        } else if (op < 18) {
            size_t i = rng_next(&r) % m.n;
            bool was_live = !m.v[i].deleted;
            cr_assert_eq(obj_stream_delete(s, m.v[i].id), was_live, "seed %llu step %zu",
                         (unsigned long long)seed, step);
            m.v[i].deleted = true;
        } else {
            uint64_t maxlen = model_live(&m) / 2;
            struct obj_stream_trim t = {
                .kind = STREAM_TRIM_MAXLEN, .maxlen = maxlen, .approx = op == 19};
            uint64_t removed = obj_stream_trim(s, &t);
            for (size_t i = 0; i < m.n && removed; i++)
                if (!m.v[i].deleted) {
                    m.v[i].deleted = true;
                    removed--;
                }
            cr_assert(op == 19 || s->length == maxlen);
        }
        if (step % 97 == 0) check_model(s, &m, &r);
    }
    check_model(s, &m, &r);
    struct obj_stream *d = obj_stream_dup(s);
    check_model(d, &m, &r);
    obj_stream_free(d);
    obj_stream_free(s);
    free(m.v);
}

Test(obj_stream, random_operations_match_the_model_with_tiny_nodes)
{
    for (uint64_t seed = 1; seed <= 20; seed++)
        run_random(seed, (struct obj_stream_limits){0, 3}, 600);
}

Test(obj_stream, random_operations_match_the_model_with_byte_limited_nodes)
{
    for (uint64_t seed = 21; seed <= 30; seed++)
        run_random(seed, (struct obj_stream_limits){64, 0}, 600);
}

Test(obj_stream, random_operations_match_the_model_with_default_nodes)
{
    for (uint64_t seed = 31; seed <= 35; seed++)
        run_random(seed, (struct obj_stream_limits){4096, 100}, 3000);
}

Test(obj_stream, entries_with_the_master_fields_store_only_their_values)
{
    struct obj_stream_limits lim = {0, 0};
    struct obj_stream *same = obj_stream_create(), *other = obj_stream_create();
    for (uint64_t i = 1; i <= 50; i++) {
        struct mentry e = {.id = {i, 0}, .nf = 2};
        strcpy(e.f[0], "temperature");
        strcpy(e.f[1], "humidity");
        strcpy(e.v[0], "21");
        strcpy(e.v[1], "40");
        append_entry(same, &lim, &e);
        if (i > 1) snprintf(e.f[1], sizeof e.f[1], "h%llu", (unsigned long long)i);
        append_entry(other, &lim, &e);
    }
    size_t a = same->nodes[same->head]->len, b = other->nodes[other->head]->len;
    /* a SAME entry: flags, two 1-byte deltas, two 1+2-byte values = 9 bytes */
    cr_assert_lt(a, 50 * 10 + 40, "same-field node is %zu bytes", a);
    cr_assert_gt(b, a + 49 * 10, "different-field node is %zu bytes, same %zu", b, a);
    obj_stream_free(same);
    obj_stream_free(other);
}

Test(obj_stream, trim_kinds_follow_redis_rules)
{
    struct obj_stream_limits lim = {0, 10};
    struct obj_stream *s = obj_stream_create();
    for (uint64_t i = 1; i <= 35; i++) {
        struct mentry e = {.id = {i, 0}, .nf = 1};
        strcpy(e.f[0], "f");
        strcpy(e.v[0], "v");
        append_entry(s, &lim, &e);
    }
    /* ~ removes whole nodes only: 35 -> 25 -> 15 (another would leave 5 < 12) */
    struct obj_stream_trim t = {.kind = STREAM_TRIM_MAXLEN, .maxlen = 12, .approx = true};
    cr_assert_eq(obj_stream_trim(s, &t), 20);
    cr_assert_eq(s->length, 15);
    /* LIMIT stops before a node that would pass it */
    t = (struct obj_stream_trim){
        .kind = STREAM_TRIM_MAXLEN, .maxlen = 0, .approx = true, .limit = 9};
    cr_assert_eq(obj_stream_trim(s, &t), 0);
    /* MINID exact: everything below 30-0 goes */
    t = (struct obj_stream_trim){.kind = STREAM_TRIM_MINID, .minid = {30, 0}};
    cr_assert_eq(obj_stream_trim(s, &t), 9);
    cr_assert_eq(s->length, 6);
    cr_assert_eq(s->first_id.ms, 30);
    obj_stream_free(s);
}

Test(obj_stream, ids_parse_and_format_at_the_edges)
{
    struct stream_id id;
    char buf[STREAM_ID_BUF];
    cr_assert_eq(stream_id_parse("18446744073709551615-18446744073709551615", 41, 0, &id), 0);
    cr_assert_eq(id.ms, UINT64_MAX);
    cr_assert_eq(stream_id_fmt(buf, id), 41);
    cr_assert_eq(stream_id_parse("18446744073709551616", 20, 0, &id), -1);
    cr_assert_eq(stream_id_parse("5", 1, 7, &id), 0);
    cr_assert_eq(id.seq, 7);
    cr_assert_eq(stream_id_parse("5-", 2, 0, &id), -1);
    cr_assert_eq(stream_id_parse("-5", 2, 0, &id), -1);
    cr_assert_eq(stream_id_parse("1-2-3", 5, 0, &id), -1);
    id = STREAM_ID_MAX;
    cr_assert(!stream_id_incr(&id));
    id = STREAM_ID_MIN;
    cr_assert(!stream_id_decr(&id));
    id = (struct stream_id){3, UINT64_MAX};
    cr_assert(stream_id_incr(&id));
    cr_assert(id.ms == 4 && id.seq == 0);
}

Test(obj_stream, pel_stays_sorted_and_consumers_own_their_nacks)
{
    struct obj_stream *s = obj_stream_create();
    struct stream_cg *cg = obj_stream_cg_create(s, "g", 1, STREAM_ID_MIN, 0);
    cr_assert_null(obj_stream_cg_create(s, "g", 1, STREAM_ID_MIN, 0));
    struct stream_consumer *a = stream_cg_consumer_create(cg, "b", 1, 0);
    struct stream_consumer *b = stream_cg_consumer_create(cg, "a", 1, 0);
    cr_assert_eq(cg->consumers[0], b); /* by name */
    for (uint64_t i = 10; i > 0; i--)
        stream_cg_deliver(cg, i % 2 ? a : b, (struct stream_id){i, 0}, 5);
    for (size_t i = 1; i < cg->pel.n; i++)
        cr_assert_lt(stream_id_cmp(cg->pel.v[i - 1]->id, cg->pel.v[i]->id), 0);
    cr_assert_eq(a->pel.n, 5);
    stream_cg_nack_assign(stream_pel_get(&cg->pel, (struct stream_id){3, 0}), b);
    cr_assert_eq(a->pel.n, 4);
    cr_assert_eq(b->pel.n, 6);
    cr_assert(stream_cg_ack(cg, (struct stream_id){3, 0}));
    cr_assert(!stream_cg_ack(cg, (struct stream_id){3, 0}));
    cr_assert_eq(stream_cg_consumer_delete(cg, b), 5);
    cr_assert_eq(cg->pel.n, 4);
    obj_stream_free(s);
}

/* ---- the Redis listpack form ---- */

static void copy_stream_via_listpacks(struct obj_stream *src, struct obj_stream *dst)
{
    struct rdb_lp lp;
    rdb_lp_init(&lp);
    struct obj_stream_limits lim = {4096, 100};
    for (size_t i = 0; i < src->nnodes; i++) {
        const struct stream_node *n = src->nodes[src->head + i];
        size_t len;
        const char *blob = rdb_stream_node_listpack(n, &lp, &len);
        cr_assert_eq(rdb_stream_load_node(dst, &lim, n->first.ms, n->first.seq,
                                          (const unsigned char *)blob, len),
                     0);
    }
    rdb_lp_free(&lp);
}

Test(obj_stream, our_listpack_nodes_read_back_entry_for_entry)
{
    struct rng r;
    rng_seed(&r, 99);
    struct obj_stream_limits lim = {0, 7};
    struct obj_stream *s = obj_stream_create();
    struct model m = {0};
    struct stream_id last = {1, 0};
    for (int i = 0; i < 300; i++) {
        struct mentry e;
        random_entry(&r, last, &e);
        if (i % 11 == 0) snprintf(e.v[0], sizeof e.v[0], "%d", -5000 * i); /* negative ints */
        if (i % 13 == 0) memset(e.v[0], 'x', 23), e.v[0][23] = '\0';
        append_entry(s, &lim, &e);
        model_push(&m, &e);
        last = e.id;
    }
    for (size_t i = 0; i < m.n; i += 5) {
        obj_stream_delete(s, m.v[i].id);
        m.v[i].deleted = true;
    }
    struct obj_stream *d = obj_stream_create();
    copy_stream_via_listpacks(s, d);
    check_model(d, &m, &r);
    obj_stream_free(s);
    obj_stream_free(d);
    free(m.v);
}

static size_t hex_decode(const char *hex, unsigned char *out)
{
    size_t n = strlen(hex) / 2;
    for (size_t i = 0; i < n; i++) sscanf(hex + 2 * i, "%2hhx", &out[i]);
    return n;
}

/* DUMP of a stream made by redis-server 7.0: XADD d 1-1 a 1 b 2; XADD d 1-2 a 3 b hello;
 * XADD d 2-0 c x; XADD d 70000-5 a -77 b 123456789; XDEL d 1-2. Its one node is LZF-packed. */
static const char REDIS_DUMP[] =
    "13011000000000000000010000000000000001c34052405712570000001f000301010102018161028162020020"
    "090000200140110205010360090903018568656c6c6f0605600e0bdfff02010181630281780206202d12f26f11"
    "01040401dfb302f315cd5b07050501ff038000011170050101010204000a007f6e0940c200f71e";

Test(obj_stream, a_node_redis_wrote_loads)
{
    unsigned char dump[256], plain[256];
    size_t n = hex_decode(REDIS_DUMP, dump);
    cr_assert_gt(n, 30);
    /* type 19, 1 node, a 16-byte master ID, then 0xC3 LZF: 14-bit lengths 82 and 87 */
    cr_assert_eq(dump[0], 19);
    cr_assert_eq(dump[19], 0xC3);
    size_t clen = (size_t)(dump[20] & 0x3F) << 8 | dump[21];
    size_t plen = (size_t)(dump[22] & 0x3F) << 8 | dump[23];
    cr_assert_eq(lzf_decompress(dump + 24, (unsigned)clen, plain, sizeof plain), plen);
    struct obj_stream *s = obj_stream_create();
    struct obj_stream_limits lim = {4096, 100};
    cr_assert_eq(rdb_stream_load_node(s, &lim, 1, 1, plain, plen), 0);
    cr_assert_eq(s->length, 3);
    struct obj_stream_iter it;
    struct stream_id id;
    size_t nf;
    const char *f, *v;
    size_t fl, vl;
    obj_stream_iter_init(&it, s, STREAM_ID_MIN, STREAM_ID_MAX, true);
    cr_assert(obj_stream_iter_next(&it, &id, &nf));
    cr_assert(id.ms == 70000 && id.seq == 5 && nf == 2);
    cr_assert(obj_stream_iter_field(&it, &f, &fl, &v, &vl));
    cr_assert(fl == 1 && f[0] == 'a' && vl == 3 && memcmp(v, "-77", 3) == 0);
    cr_assert(obj_stream_iter_field(&it, &f, &fl, &v, &vl));
    cr_assert(vl == 9 && memcmp(v, "123456789", 9) == 0);
    cr_assert(obj_stream_iter_next(&it, &id, &nf));
    cr_assert(id.ms == 2 && id.seq == 0 && nf == 1);
    cr_assert(obj_stream_iter_next(&it, &id, &nf));
    cr_assert(id.ms == 1 && id.seq == 1);
    cr_assert(!obj_stream_iter_next(&it, &id, &nf));
    obj_stream_iter_done(&it);
    /* truncated or garbled listpacks are refused, never read past */
    for (size_t cut = 0; cut < plen; cut += 3) {
        struct obj_stream *t = obj_stream_create();
        unsigned char tmp[256];
        memcpy(tmp, plain, cut);
        if (cut) tmp[cut - 1] = 0xFF;
        rdb_stream_load_node(t, &lim, 1, 1, tmp, cut);
        obj_stream_free(t);
    }
    obj_stream_free(s);
}

/* After XSETID below a deleted entry, a lower ID joins the same node: the deltas wrap and
 * decode back, in our nodes and in the listpack form (negative deltas against the master). */
Test(obj_stream, a_lower_id_after_a_deleted_one_decodes_in_both_forms)
{
    struct obj_stream_limits lim = {0, 100};
    struct obj_stream *s = obj_stream_create();
    struct mentry e = {.nf = 1};
    strcpy(e.f[0], "f");
    strcpy(e.v[0], "v");
    struct stream_id ids[] = {{5, 7}, {9, 0}, {9, 3}};
    for (size_t i = 0; i < 3; i++) {
        e.id = ids[i];
        append_entry(s, &lim, &e);
    }
    cr_assert(obj_stream_delete(s, ids[2]));
    s->last_id = (struct stream_id){9, 1}; /* what XSETID 9-1 does */
    e.id = (struct stream_id){9, 2};
    append_entry(s, &lim, &e);
    e.id = (struct stream_id){9, 5};
    append_entry(s, &lim, &e);
    cr_assert_eq(obj_stream_node_count(s), 1);
    struct stream_id want[] = {{5, 7}, {9, 0}, {9, 2}, {9, 5}};
    for (int pass = 0; pass < 2; pass++) {
        struct obj_stream_iter it;
        struct stream_id id;
        size_t nf, k = 0;
        obj_stream_iter_init(&it, s, STREAM_ID_MIN, STREAM_ID_MAX, false);
        while (obj_stream_iter_next(&it, &id, &nf)) cr_assert_eq(stream_id_cmp(id, want[k++]), 0);
        obj_stream_iter_done(&it);
        cr_assert_eq(k, 4);
        struct obj_stream *d = obj_stream_create();
        copy_stream_via_listpacks(s, d);
        obj_stream_free(s);
        s = d;
    }
    obj_stream_free(s);
}
