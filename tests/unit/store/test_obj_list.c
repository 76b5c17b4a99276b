/* obj_list: random operation sequences against a plain array model (seeded, so a failure
 * replays) under every kind of node limit (list-max-listpack-size), the encoding thresholds,
 * LPOS/LREM/LTRIM edge rules, and the memory bound for 1,000 lists of 1,000 items compared with
 * Redis 7's used_memory. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/rng.h"
#include "common/util.h"
#include "store/memcount.h"
#include "store/data/obj_list.h"

/* Redis's default node size (list-max-listpack-size -2: 8 KB). */
static const struct obj_list_limits *const DEF = &OBJ_LIST_LIMITS_DEFAULT;

/* ---- the reference model: an array of owned byte strings --------------------------------- */

struct elem {
    char *s;
    size_t len;
};

struct model {
    struct elem *v;
    size_t n, cap;
};

static void model_insert(struct model *m, size_t at, const char *s, size_t len)
{
    if (m->n == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 16;
        m->v = xrealloc(m->v, m->cap * sizeof *m->v);
    }
    memmove(m->v + at + 1, m->v + at, (m->n - at) * sizeof *m->v);
    m->v[at].s = xmemdup(s, len ? len : 1);
    m->v[at].len = len;
    m->n++;
}

static void model_delete(struct model *m, size_t at)
{
    free(m->v[at].s);
    memmove(m->v + at, m->v + at + 1, (m->n - at - 1) * sizeof *m->v);
    m->n--;
}

static void model_free(struct model *m)
{
    while (m->n) model_delete(m, m->n - 1);
    free(m->v);
}

static bool elem_eq(const struct elem *e, const char *s, size_t len)
{
    return e->len == len && memcmp(e->s, s, len) == 0;
}

static bool val_eq(const struct pack_val *v, const struct elem *e)
{
    char num[PACK_NUMBUF];
    size_t len;
    const char *s = pack_val_str(v, num, &len);
    return elem_eq(e, s, len);
}

/* Elements chosen to repeat (so LREM/LPOS/LINSERT find matches) and to hit every entry
 * encoding: canonical integers of each width, non-canonical ones that must stay strings, short
 * and long strings, and the occasional element bigger than a whole node. */
static const char *pick_elem(struct rng *r, char *buf, size_t cap, size_t *len)
{
    /* cap == 0: only the fixed short elements (pivots). */
    static const char *fixed[] = {"0",
                                  "1",
                                  "-5",
                                  "127",
                                  "128",
                                  "-4096",
                                  "-4097",
                                  "70000",
                                  "-9000000",
                                  "2147483648",
                                  "9223372036854775807",
                                  "-9223372036854775808",
                                  "007",
                                  "+1",
                                  "-0",
                                  "",
                                  "a",
                                  "b",
                                  "hello",
                                  "world"};
    uint64_t k = rng_below(r, 100);
    if (k < 85 || cap == 0) {
        const char *s = fixed[rng_below(r, ARRAY_LEN(fixed))];
        *len = strlen(s);
        return s;
    }
    size_t n = k < 97 ? 60 + rng_below(r, 400) : 5000 + rng_below(r, 5000);
    ASSERT(n <= cap);
    memset(buf, 'x' + (int)rng_below(r, 3), n);
    *len = n;
    return buf;
}

static void check_same(const struct obj_list *l, const struct model *m)
{
    cr_assert_eq(obj_list_check(l), 0, "invariant %d", obj_list_check(l));
    cr_assert_eq(obj_list_len(l), m->n);
    struct obj_list_iter it;
    struct pack_val v;
    size_t i = 0;
    obj_list_iter_init(&it, l, 0, false, m->n);
    while (obj_list_iter_next(&it, &v)) cr_assert(val_eq(&v, &m->v[i++]), "elem %zu", i - 1);
    cr_assert_eq(i, m->n);
    if (m->n) {
        obj_list_iter_init(&it, l, m->n - 1, true, m->n);
        while (obj_list_iter_next(&it, &v)) cr_assert(val_eq(&v, &m->v[--i]));
        cr_assert_eq(i, 0);
    }
}

struct pos_out {
    long long idx[64];
    size_t n;
};

static void pos_collect(void *ctx, long long index)
{
    struct pos_out *o = ctx;
    if (o->n < ARRAY_LEN(o->idx)) o->idx[o->n] = index;
    o->n++;
}

/* LPOS computed the obvious way on the model. */
static size_t model_pos(const struct model *m, const char *s, size_t len, long long rank,
                        size_t count, size_t maxlen, long long *out)
{
    size_t found = 0, seen = 0;
    long long skip = (rank < 0 ? -rank : rank) - 1;
    for (size_t k = 0; k < m->n && (!maxlen || seen < maxlen); k++, seen++) {
        size_t i = rank < 0 ? m->n - 1 - k : k;
        if (!elem_eq(&m->v[i], s, len)) continue;
        if (skip) {
            skip--;
            continue;
        }
        if (found < 64) out[found] = (long long)i;
        if (++found == count) break;
    }
    return found;
}

static void op_edit(struct obj_list *l, struct model *m, struct rng *r, const char *s, size_t len)
{
    switch (rng_below(r, 4)) {
    case 0: { /* LSET */
        long long idx = (long long)rng_below(r, m->n + 4) - 2 - (long long)(m->n / 2);
        int rc = obj_list_set(l, idx, s, len);
        long long norm = idx < 0 ? idx + (long long)m->n : idx;
        if (norm >= 0 && norm < (long long)m->n) {
            cr_assert_eq(rc, 0);
            model_delete(m, (size_t)norm);
            model_insert(m, (size_t)norm, s, len);
        } else {
            cr_assert_eq(rc, -1);
        }
        break;
    }
    case 1: { /* LINSERT */
        char pbuf[16];
        size_t plen;
        const char *pivot = pick_elem(r, pbuf, 0, &plen); /* cap 0: only fixed elements */
        bool after = rng_below(r, 2);
        size_t at = m->n;
        for (size_t i = 0; i < m->n; i++)
            if (elem_eq(&m->v[i], pivot, plen)) {
                at = i;
                break;
            }
        int rc = obj_list_insert(l, after, pivot, plen, s, len);
        cr_assert_eq(rc, at < m->n ? 1 : 0);
        if (at < m->n) model_insert(m, at + (after ? 1 : 0), s, len);
        break;
    }
    case 2: { /* LREM */
        long long count = (long long)rng_below(r, 5) - 2;
        size_t want = 0;
        if (count >= 0) {
            for (size_t i = 0; i < m->n && (count == 0 || want < (size_t)count);)
                if (elem_eq(&m->v[i], s, len))
                    model_delete(m, i), want++;
                else
                    i++;
        } else {
            for (size_t i = m->n; i-- > 0 && want < (size_t)-count;)
                if (elem_eq(&m->v[i], s, len)) model_delete(m, i), want++;
        }
        cr_assert_eq(obj_list_remove(l, count, s, len), want);
        break;
    }
    default: { /* LPOS */
        long long rank = (long long)rng_below(r, 3) + 1;
        if (rng_below(r, 2)) rank = -rank;
        size_t count = rng_below(r, 4), maxlen = rng_below(r, 3) ? 0 : rng_below(r, m->n + 2);
        long long want[64];
        size_t nwant = model_pos(m, s, len, rank, count, maxlen, want);
        struct pos_out got = {.n = 0};
        cr_assert_eq(obj_list_pos(l, s, len, rank, count, maxlen, pos_collect, &got), nwant);
        cr_assert_eq(got.n, nwant);
        for (size_t i = 0; i < MIN(nwant, 64); i++) cr_assert_eq(got.idx[i], want[i]);
        break;
    }
    }
}

/* growing: at least half the operations are pushes, so the list spans many nodes. */
static void op_random(struct obj_list *l, struct model *m, struct rng *r, bool growing,
                      struct buf *out)
{
    static char big[10000];
    size_t len;
    const char *s = pick_elem(r, big, sizeof big, &len);
    uint64_t op = rng_below(r, m->n < 50 ? 6 : 10);
    if (growing && rng_below(r, 2)) op = rng_below(r, 4);
    if (op < 4 && m->n > 3000) op += 4; /* keep the list from growing without bound */
    if (op <= 3) {
        bool head = op % 2;
        obj_list_push(l, head ? OBJ_LIST_HEAD : OBJ_LIST_TAIL, s, len);
        model_insert(m, head ? 0 : m->n, s, len);
    } else if (op <= 6) {
        bool head = op % 2;
        bool ok = obj_list_pop(l, head ? OBJ_LIST_HEAD : OBJ_LIST_TAIL, out);
        cr_assert_eq(ok, m->n > 0);
        if (ok) {
            size_t at = head ? 0 : m->n - 1;
            cr_assert(elem_eq(&m->v[at], out->data, out->len));
            model_delete(m, at);
        }
    } else if (op == 7) {
        long long idx = (long long)rng_below(r, 2 * m->n + 3) - (long long)m->n - 1;
        struct pack_val v;
        long long norm = idx < 0 ? idx + (long long)m->n : idx;
        bool ok = obj_list_index(l, idx, &v);
        cr_assert_eq(ok, norm >= 0 && norm < (long long)m->n);
        if (ok) cr_assert(val_eq(&v, &m->v[norm]));
    } else if (op == 8 && rng_below(r, 8) == 0) {
        long long start = (long long)rng_below(r, 20) - 5, stop = -(long long)rng_below(r, 20) - 1;
        obj_list_trim(l, start, stop);
        long long n = (long long)m->n, a = start < 0 ? start + n : start, b = stop + n;
        if (a < 0) a = 0;
        if (a > b || a >= n) a = n, b = n - 1;
        for (long long i = n - 1; i > b; i--) model_delete(m, (size_t)i);
        for (long long i = 0; i < a; i++) model_delete(m, 0);
    } else {
        op_edit(l, m, r, s, len);
    }
}

Test(obj_list, matches_model_over_random_operations)
{
    for (uint64_t seed = 1; seed <= 6; seed++) {
        struct rng r;
        rng_seed(&r, seed);
        struct obj_list *l = obj_list_create(DEF);
        struct model m = {0};
        struct buf out;
        buf_init(&out);
        size_t peak = 0, peak_nodes = 0;
        for (int i = 0; i < 6000; i++) {
            op_random(l, &m, &r, i % 3000 < 2000, &out);
            if (i % 7 == 0 || m.n < 20) check_same(l, &m);
            peak = MAX(peak, m.n);
            peak_nodes = MAX(peak_nodes, obj_list_node_count(l));
        }
        cr_log_info("seed %llu: peak %zu elements in %zu nodes", (unsigned long long)seed, peak,
                    peak_nodes);
        cr_assert_gt(peak_nodes, 20, "the list spanned many nodes");
        check_same(l, &m);
        struct obj_list *copy = obj_list_dup(l);
        obj_list_free(l);
        check_same(copy, &m);
        obj_list_free(copy);
        model_free(&m);
        buf_free(&out);
    }
}

/* The same under the other node limits: obj_list_check (in check_same) verifies every node
 * against the list's own limit after the edits (LSET and LINSERT split, LREM merges). */
Test(obj_list, matches_model_under_every_node_limit)
{
    static const long long fills[] = {-1, -3, -5, 0, 1, 4, 100, 1000000};
    for (size_t f = 0; f < ARRAY_LEN(fills); f++) {
        struct rng r;
        rng_seed(&r, 50 + f);
        struct obj_list_limits lim = {fills[f]};
        struct obj_list *l = obj_list_create(&lim);
        struct model m = {0};
        struct buf out;
        buf_init(&out);
        for (int i = 0; i < 2500; i++) {
            op_random(l, &m, &r, i % 1200 < 800, &out);
            if (i % 7 == 0 || m.n < 20) check_same(l, &m);
        }
        check_same(l, &m);
        struct obj_list *copy = obj_list_dup(l);
        obj_list_free(l);
        check_same(copy, &m);
        obj_list_free(copy);
        model_free(&m);
        buf_free(&out);
    }
}

/* How many 63-byte items (65 bytes packed) the first node takes before a second one starts. */
static size_t first_node_capacity(long long fill)
{
    struct obj_list_limits lim = {fill};
    struct obj_list *l = obj_list_create(&lim);
    char item[63];
    memset(item, 'a', sizeof item);
    while (obj_list_node_count(l) < 2) obj_list_push(l, OBJ_LIST_TAIL, item, sizeof item);
    cr_assert_eq(obj_list_check(l), 0);
    size_t n = obj_list_len(l) - 1;
    obj_list_free(l);
    return n;
}

Test(obj_list, node_size_follows_list_max_listpack_size)
{
    /* Negative: 4, 8, 16, 32, 64 KB of packed entries (6-byte header). */
    cr_assert_eq(first_node_capacity(-1), (4096 - 6) / 65);
    cr_assert_eq(first_node_capacity(-2), (8192 - 6) / 65);
    cr_assert_eq(first_node_capacity(-3), (16384 - 6) / 65);
    cr_assert_eq(first_node_capacity(-4), (32768 - 6) / 65);
    cr_assert_eq(first_node_capacity(-5), (65536 - 6) / 65);
    /* Positive: that many entries, but never past 8 KB; 0: one entry per node. */
    cr_assert_eq(first_node_capacity(5), 5);
    cr_assert_eq(first_node_capacity(1), 1);
    cr_assert_eq(first_node_capacity(0), 1);
    cr_assert_eq(first_node_capacity(200), (8192 - 6) / 65);
    cr_assert_eq(first_node_capacity(1LL << 40), (8192 - 6) / 65); /* clamped, as Redis */
}

Test(obj_list, a_list_keeps_its_node_limit_and_copies_keep_it_too)
{
    struct obj_list_limits five = {5};
    struct obj_list *l = obj_list_create(&five);
    char s[8];
    for (int i = 0; i < 12; i++)
        obj_list_push(l, OBJ_LIST_TAIL, s, (size_t)snprintf(s, sizeof s, "e%d", i));
    cr_assert_eq(obj_list_node_count(l), 3);
    struct obj_list *copy = obj_list_dup(l);
    for (int i = 0; i < 3; i++) obj_list_push(copy, OBJ_LIST_TAIL, "x", 1);
    cr_assert_eq(obj_list_node_count(copy), 3);
    obj_list_push(copy, OBJ_LIST_TAIL, "x", 1);
    cr_assert_eq(obj_list_node_count(copy), 4);
    /* LINSERT into a full node splits it; LREM merges neighbours back within the limit. */
    cr_assert_eq(obj_list_insert(l, true, "e1", 2, "new", 3), 1);
    cr_assert_eq(obj_list_check(l), 0);
    cr_assert_gt(obj_list_node_count(l), 3);
    for (int i = 0; i < 10; i++) obj_list_remove(l, 0, s, (size_t)snprintf(s, sizeof s, "e%d", i));
    cr_assert_eq(obj_list_len(l), 3);
    cr_assert_eq(obj_list_node_count(l), 1);
    cr_assert_eq(obj_list_check(l), 0);
    cr_assert_str_eq(obj_list_encoding_name(l), "quicklist");
    obj_list_free(copy);
    obj_list_free(l);
}

/* OBJECT ENCODING follows Redis 7.0 ("quicklist" for every list); the node structure under it
 * still grows to a second node past 8 KB and merges back. */
Test(obj_list, encoding_is_quicklist_whatever_the_node_count)
{
    struct obj_list *l = obj_list_create(DEF);
    char item[63];
    memset(item, 'a', sizeof item);
    struct buf out;
    buf_init(&out);
    obj_list_push(l, OBJ_LIST_TAIL, item, sizeof item);
    cr_assert_str_eq(obj_list_encoding_name(l), "quicklist");
    /* Each entry is 1 + 63 + 1 bytes: 125 fit in 8 KB with the 6-byte header. */
    while (obj_list_node_count(l) == 1) obj_list_push(l, OBJ_LIST_TAIL, item, sizeof item);
    cr_assert_eq(obj_list_len(l), 126);
    cr_assert_str_eq(obj_list_encoding_name(l), "quicklist");
    obj_list_pop(l, OBJ_LIST_TAIL, &out);
    cr_assert_eq(obj_list_node_count(l), 1);
    cr_assert_str_eq(obj_list_encoding_name(l), "quicklist");
    while (obj_list_len(l) > 1) obj_list_pop(l, OBJ_LIST_HEAD, &out);
    cr_assert_eq(obj_list_node_count(l), 1);
    cr_assert_str_eq(obj_list_encoding_name(l), "quicklist");
    obj_list_free(l);
    buf_free(&out);
}

Test(obj_list, oversized_element_is_quicklist_alone_in_its_node)
{
    struct obj_list *l = obj_list_create(DEF);
    static char big[9000];
    memset(big, 'z', sizeof big);
    obj_list_push(l, OBJ_LIST_TAIL, big, sizeof big);
    cr_assert_str_eq(obj_list_encoding_name(l), "quicklist");
    obj_list_push(l, OBJ_LIST_TAIL, "x", 1);
    obj_list_push(l, OBJ_LIST_HEAD, "y", 1);
    cr_assert_eq(obj_list_node_count(l), 3);
    /* LSET of a middle element to something huge splits its node. */
    for (int i = 0; i < 50; i++) obj_list_push(l, OBJ_LIST_TAIL, "abc", 3);
    cr_assert_eq(obj_list_set(l, 20, big, sizeof big), 0);
    cr_assert_eq(obj_list_check(l), 0);
    struct pack_val v;
    cr_assert(obj_list_index(l, 20, &v));
    cr_assert_eq(v.len, sizeof big);
    cr_assert_eq(obj_list_set(l, 53, "q", 1), -1);
    cr_assert_eq(obj_list_set(l, -53, "q", 1), 0);
    cr_assert_eq(obj_list_set(l, -54, "q", 1), -1);
    obj_list_free(l);
}

Test(obj_list, integers_round_trip_and_non_canonical_stay_strings)
{
    struct obj_list *l = obj_list_create(DEF);
    const char *items[] = {"12", "-12", "0012", "1e3", "9223372036854775808", " 1", "-0"};
    for (size_t i = 0; i < ARRAY_LEN(items); i++)
        obj_list_push(l, OBJ_LIST_TAIL, items[i], strlen(items[i]));
    struct pack_val v;
    cr_assert(obj_list_index(l, 0, &v));
    cr_assert_null(v.bytes);
    cr_assert_eq(v.integer, 12);
    for (size_t i = 2; i < ARRAY_LEN(items); i++) {
        cr_assert(obj_list_index(l, (long long)i, &v));
        cr_assert_not_null(v.bytes, "%s", items[i]);
        cr_assert_eq(v.len, strlen(items[i]));
    }
    /* LREM/LPOS match an integer entry by its decimal text. */
    cr_assert_eq(obj_list_remove(l, 0, "-12", 3), 1);
    cr_assert_eq(obj_list_remove(l, 0, "012", 3), 0);
    obj_list_free(l);
}

Test(obj_list, range_and_trim_follow_redis_index_rules)
{
    struct obj_list *l = obj_list_create(DEF);
    char s[8];
    for (int i = 0; i < 10; i++) {
        int n = snprintf(s, sizeof s, "e%d", i);
        obj_list_push(l, OBJ_LIST_TAIL, s, (size_t)n);
    }
    struct obj_list_iter it;
    cr_assert_eq(obj_list_iter_init_range(&it, l, -3, -1), 3);
    cr_assert_eq(obj_list_iter_init_range(&it, l, 5, 100), 5);
    cr_assert_eq(obj_list_iter_init_range(&it, l, -100, 0), 1);
    cr_assert_eq(obj_list_iter_init_range(&it, l, 7, 3), 0);
    cr_assert_eq(obj_list_iter_init_range(&it, l, 10, 20), 0);
    obj_list_trim(l, 2, -3);
    cr_assert_eq(obj_list_len(l), 6);
    struct pack_val v;
    cr_assert(obj_list_index(l, 0, &v));
    cr_assert_eq(v.len, 2);
    cr_assert_eq(memcmp(v.bytes, "e2", 2), 0);
    obj_list_trim(l, 5, 1);
    cr_assert_eq(obj_list_len(l), 0);
    obj_list_free(l);
}

/* Bytes malloc'ed for 1,000 lists of 1,000 items of 16 bytes. */
static size_t mem_for_lists(bool numeric, struct obj_list **lists)
{
    size_t before = memcount_used();
    char item[32];
    for (int i = 0; i < 1000; i++) {
        lists[i] = obj_list_create(DEF);
        for (int j = 0; j < 1000; j++) {
            long long k = i * 1000LL + j;
            int n = numeric ? snprintf(item, sizeof item, "%lld", 1000000000000000LL + k)
                            : snprintf(item, sizeof item, "item:%011lld", k);
            cr_assert_eq(n, 16);
            obj_list_push(lists[i], OBJ_LIST_TAIL, item, (size_t)n);
        }
    }
    return memcount_used() - before;
}

/* Redis 7.0.15 measured on this machine (RPUSH of 1,000 items into 1,000 lists): used_memory
 * 11.47 MB for 16-digit numbers (integer-encoded), 19.43 MB for 16-byte strings "item:%011d". */
Test(obj_list, thousand_lists_of_thousand_numbers_fit_in_14_mb)
{
    static struct obj_list *lists[1000];
    size_t used = mem_for_lists(true, lists);
    cr_log_info("numbers: %zu bytes", used);
    cr_assert_leq(used, 14u * 1000 * 1000, "used %zu bytes", used);
    for (int i = 0; i < 1000; i++) obj_list_free(lists[i]);
}

Test(obj_list, thousand_lists_of_thousand_strings_use_less_than_redis)
{
    static struct obj_list *lists[1000];
    size_t used = mem_for_lists(false, lists);
    cr_log_info("strings: %zu bytes", used);
    cr_assert_leq(used, 19430u * 1000, "used %zu bytes", used);
    for (int i = 0; i < 1000; i++) obj_list_free(lists[i]);
}
