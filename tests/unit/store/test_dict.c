/* Tests for store/dict: random operation sequences against a reference model (with rehash steps
 * interleaved), the SCAN guarantee while the table grows and shrinks mid-iteration, random
 * element fairness, safe-iterator deletion, the unsafe-iterator fingerprint, and SipHash
 * seeding. All randomness is seeded. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/rng.h"
#include "store/data/dict.h"

struct tent {
    struct dict_entry link;
    size_t len;
    char key[24];
};

static const char *tent_key(const struct dict_entry *e, size_t *len)
{
    const struct tent *t = (const struct tent *)e;
    *len = t->len;
    return t->key;
}

static struct tent *tent_new(unsigned id)
{
    struct tent *t = calloc(1, sizeof *t);
    t->len = (size_t)snprintf(t->key, sizeof t->key, "k%u", id);
    return t;
}

static unsigned tent_id(const struct dict_entry *e)
{
    return (unsigned)strtoul(((const struct tent *)e)->key + 1, NULL, 10);
}

static void free_cb(struct dict_entry *e, void *ctx)
{
    (void)ctx;
    free(e);
}

static struct dict_entry *find_id(struct dict *d, unsigned id)
{
    char k[24];
    int n = snprintf(k, sizeof k, "k%u", id);
    return dict_find(d, k, (size_t)n);
}

static struct dict_entry *unlink_id(struct dict *d, unsigned id)
{
    char k[24];
    int n = snprintf(k, sizeof k, "k%u", id);
    return dict_unlink(d, k, (size_t)n);
}

Test(dict, matches_model_when_random_operations)
{
    enum { SPACE = 3000, OPS = 200000 };
    static bool present[SPACE];
    struct dict d;
    dict_init(&d, tent_key);
    struct rng r;
    rng_seed(&r, 42);
    size_t count = 0;
    for (int i = 0; i < OPS; i++) {
        unsigned id = (unsigned)rng_below(&r, SPACE);
        /* Phases bias towards inserts or deletes so the table both grows and shrinks. */
        bool grow_phase = (i / 20000) % 2 == 0;
        unsigned op = (unsigned)rng_below(&r, 10);
        if (op < (grow_phase ? 6u : 2u)) {
            if (!present[id]) {
                dict_add(&d, &tent_new(id)->link);
                present[id] = true;
                count++;
            } else {
                cr_assert_not_null(find_id(&d, id));
            }
        } else if (op < 8) {
            struct dict_entry *e = unlink_id(&d, id);
            cr_assert_eq(e != NULL, present[id], "op %d id %u", i, id);
            if (e) {
                cr_assert_eq(tent_id(e), id);
                free(e);
                present[id] = false;
                count--;
            }
        } else if (op == 8) {
            struct dict_entry *e = find_id(&d, id);
            cr_assert_eq(e != NULL, present[id], "op %d id %u", i, id);
            if (e) cr_assert_eq(tent_id(e), id);
        } else {
            dict_rehash_step(&d, 3);
        }
        cr_assert_eq(dict_count(&d), count);
    }
    /* Iteration sees each present key exactly once. */
    static int seen[SPACE];
    struct dict_iter it;
    dict_iter_init(&it, &d, false);
    for (struct dict_entry *e; (e = dict_iter_next(&it));) seen[tent_id(e)]++;
    dict_iter_done(&it);
    for (unsigned id = 0; id < SPACE; id++) cr_assert_eq(seen[id], present[id] ? 1 : 0);
    dict_clear(&d, free_cb, NULL);
    cr_assert_eq(dict_count(&d), 0);
}

/* A dict of keys k0 .. k<n-1> with no rehash in progress. */
static void fill_settled(struct dict *d, unsigned n)
{
    dict_init(d, tent_key);
    for (unsigned i = 0; i < n; i++) dict_add(d, &tent_new(i)->link);
    while (dict_rehash_step(d, 100)) {
    }
}

static void rehash_all(struct dict *d)
{
    while (dict_rehash_step(d, 100)) {
    }
}

Test(dict, shrinks_when_mostly_deleted)
{
    struct dict d;
    fill_settled(&d, 4096);
    cr_assert_geq(dict_buckets(&d), 4096);
    for (unsigned i = 0; i < 4090; i++) free(unlink_id(&d, i));
    rehash_all(&d);
    cr_assert_leq(dict_buckets(&d), 64, "buckets %zu", dict_buckets(&d));
    for (unsigned i = 4090; i < 4096; i++) cr_assert_not_null(find_id(&d, i));
    dict_clear(&d, free_cb, NULL);
}

/* While a snapshot child shares the pages, no resize starts unless the table is overloaded. */
Test(dict, defers_resizes_while_resize_avoided)
{
    struct dict d;
    fill_settled(&d, 1024);
    size_t before = dict_buckets(&d);
    dict_set_resize_avoided(&d, true);
    unsigned n = 1024;
    while (n < before * DICT_FORCE_RESIZE_RATIO - 1) dict_add(&d, &tent_new(n++)->link);
    cr_assert_not(dict_is_rehashing(&d), "grew at %u entries in %zu buckets", n, before);
    cr_assert_eq(dict_buckets(&d), before);
    dict_add(&d, &tent_new(n++)->link);
    dict_add(&d, &tent_new(n++)->link);
    cr_assert(dict_is_rehashing(&d), "an overloaded table grows anyway");
    rehash_all(&d);
    size_t grown = dict_buckets(&d);
    for (unsigned i = 0; i < n - 4; i++) free(unlink_id(&d, i));
    dict_clear(&d, free_cb, NULL); /* keeps the setting */
    cr_assert(d.is_resize_avoided);
    for (unsigned i = 0; i < 4096; i++) dict_add(&d, &tent_new(i)->link);
    cr_assert_geq(grown, before);
    dict_set_resize_avoided(&d, false);
    dict_add(&d, &tent_new(5000)->link);
    cr_assert(dict_is_rehashing(&d) || dict_buckets(&d) >= 4096, "grows again once allowed");
    dict_clear(&d, free_cb, NULL);
}

Test(dict, pauses_a_rehash_under_way_while_resize_avoided)
{
    struct dict d;
    fill_settled(&d, 1024);
    unsigned n = 1024;
    while (!dict_is_rehashing(&d)) dict_add(&d, &tent_new(n++)->link);
    dict_set_resize_avoided(&d, true);
    ssize_t idx = d.rehash_idx;
    for (unsigned i = 0; i < 100; i++) cr_assert_not_null(find_id(&d, i));
    dict_add(&d, &tent_new(n++)->link);
    free(unlink_id(&d, 0));
    cr_assert_eq(d.rehash_idx, idx, "a step was taken");
    dict_set_resize_avoided(&d, false);
    rehash_all(&d);
    for (unsigned i = 1; i < n; i++) cr_assert_not_null(find_id(&d, i));
    dict_clear(&d, free_cb, NULL);
}

Test(dict, does_not_shrink_while_resize_avoided)
{
    struct dict d;
    fill_settled(&d, 4096);
    size_t before = dict_buckets(&d);
    dict_set_resize_avoided(&d, true);
    for (unsigned i = 0; i < 4090; i++) free(unlink_id(&d, i));
    cr_assert_not(dict_is_rehashing(&d));
    cr_assert_eq(dict_buckets(&d), before);
    dict_set_resize_avoided(&d, false);
    free(unlink_id(&d, 4090));
    rehash_all(&d);
    cr_assert_leq(dict_buckets(&d), 64, "buckets %zu", dict_buckets(&d));
    dict_clear(&d, free_cb, NULL);
}

/* ---- scan ------------------------------------------------------------------------------------ */

struct scan_seen {
    int *hits;
    unsigned space;
};

static void scan_cb(void *ctx, struct dict_entry *e)
{
    struct scan_seen *s = ctx;
    unsigned id = tent_id(e);
    cr_assert_lt(id, s->space);
    s->hits[id]++;
}

/* Keys [0, STABLE) stay for the whole scan; volatile keys come and go between scan calls so the
 * table grows and shrinks mid-iteration. Every stable key must be reported at least once. */
static void scan_under_resize(uint64_t seed, int *grows, int *shrinks)
{
    enum { STABLE = 500, SPACE = 40000 };
    struct dict d;
    dict_init(&d, tent_key);
    struct rng r;
    rng_seed(&r, seed);
    static bool present[SPACE];
    memset(present, 0, sizeof present);
    for (unsigned i = 0; i < STABLE; i++) {
        dict_add(&d, &tent_new(i)->link);
        present[i] = true;
    }
    int *hits = calloc(SPACE, sizeof *hits);
    struct scan_seen s = {hits, SPACE};
    uint64_t cursor = 0;
    unsigned next_vol = STABLE;
    int steps = 0;
    do {
        cursor = dict_scan(&d, cursor, scan_cb, &s);
        size_t before = dict_buckets(&d);
        unsigned action = (unsigned)rng_below(&r, 4);
        if (action == 0 && next_vol + 3000 < SPACE) { /* burst of inserts: grow */
            for (int k = 0; k < 3000; k++) {
                dict_add(&d, &tent_new(next_vol)->link);
                present[next_vol++] = true;
            }
        } else if (action == 1) { /* delete every volatile key: shrink */
            for (unsigned id = STABLE; id < next_vol; id++)
                if (present[id]) {
                    free(unlink_id(&d, id));
                    present[id] = false;
                }
        } else if (action == 2) {
            dict_rehash_step(&d, (int)rng_below(&r, 50));
        }
        size_t after = dict_buckets(&d);
        if (after > before) (*grows)++;
        if (after < before || (dict_is_rehashing(&d) && d.size[1] < d.size[0])) (*shrinks)++;
        cr_assert_lt(++steps, 1000000, "scan does not terminate");
    } while (cursor != 0);
    for (unsigned i = 0; i < STABLE; i++) cr_assert_geq(hits[i], 1, "stable key %u missed", i);
    free(hits);
    dict_clear(&d, free_cb, NULL);
}

Test(dict, scan_reports_every_stable_key_when_table_grows_and_shrinks)
{
    int grows = 0, shrinks = 0;
    for (uint64_t seed = 1; seed <= 20; seed++) scan_under_resize(seed, &grows, &shrinks);
    /* The test is only meaningful if resizes really happened mid-scan. */
    cr_assert_gt(grows, 10);
    cr_assert_gt(shrinks, 10);
}

Test(dict, scan_of_empty_dict_returns_zero)
{
    struct dict d;
    dict_init(&d, tent_key);
    int hits[1] = {0};
    struct scan_seen s = {hits, 1};
    cr_assert_eq(dict_scan(&d, 0, scan_cb, &s), 0);
}

/* ---- random ---------------------------------------------------------------------------------- */

Test(dict, random_is_roughly_uniform)
{
    enum { N = 100, DRAWS = 100000 };
    struct dict d;
    dict_init(&d, tent_key);
    for (unsigned i = 0; i < N; i++) dict_add(&d, &tent_new(i)->link);
    struct rng r;
    rng_seed(&r, 7);
    int hits[N] = {0};
    for (int i = 0; i < DRAWS; i++) hits[tent_id(dict_random(&d, &r))]++;
    /* Expected 1000 each (sd ~32). A "random bucket, then random link" pick would give keys in
     * 3- or 4-long chains about 300-450 and fail this. */
    for (unsigned i = 0; i < N; i++)
        cr_assert(hits[i] > 800 && hits[i] < 1200, "key %u: %d", i, hits[i]);
    dict_clear(&d, free_cb, NULL);
}

Test(dict, random_finds_the_only_entry_of_a_sparse_table)
{
    struct dict d;
    dict_init(&d, tent_key);
    for (unsigned i = 0; i < 5000; i++) dict_add(&d, &tent_new(i)->link);
    /* A safe iterator pauses rehashing, so the table stays big while we delete. */
    struct dict_iter it;
    dict_iter_init(&it, &d, true);
    for (struct dict_entry *e; (e = dict_iter_next(&it));)
        if (tent_id(e) != 1234) {
            dict_unlink_entry(&d, e);
            free(e);
        }
    struct rng r;
    rng_seed(&r, 3);
    for (int i = 0; i < 50; i++) cr_assert_eq(tent_id(dict_random(&d, &r)), 1234);
    dict_iter_done(&it);
    cr_assert_eq(dict_count(&d), 1);
    cr_assert_null(dict_random(&(struct dict){0}, &r));
    dict_clear(&d, free_cb, NULL);
}

/* ---- iterators ------------------------------------------------------------------------------- */

Test(dict, safe_iterator_allows_deleting_current_entry)
{
    struct dict d;
    dict_init(&d, tent_key);
    for (unsigned i = 0; i < 1000; i++) dict_add(&d, &tent_new(i)->link);
    int visited = 0;
    struct dict_iter it;
    dict_iter_init(&it, &d, true);
    for (struct dict_entry *e; (e = dict_iter_next(&it));) {
        visited++;
        if (tent_id(e) % 2 == 0) {
            dict_unlink_entry(&d, e);
            free(e);
        }
    }
    dict_iter_done(&it);
    cr_assert_eq(visited, 1000);
    cr_assert_eq(dict_count(&d), 500);
    for (unsigned i = 0; i < 1000; i++) cr_assert_eq(find_id(&d, i) != NULL, i % 2 == 1);
    dict_clear(&d, free_cb, NULL);
}

static void modify_under_unsafe_iterator(void)
{
    struct dict d;
    dict_init(&d, tent_key);
    for (unsigned i = 0; i < 10; i++) dict_add(&d, &tent_new(i)->link);
    struct dict_iter it;
    dict_iter_init(&it, &d, false);
    dict_iter_next(&it);
    dict_add(&d, &tent_new(99)->link);
    dict_iter_done(&it); /* fingerprint mismatch: ASSERT aborts */
}

/* The expected abort runs in a child whose stderr is captured, so a passing `make test` prints
 * no "ASSERTION FAILED" line, and the test checks that it was this assertion that fired. */
Test(dict, unsafe_iterator_aborts_when_dict_modified)
{
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    fflush(NULL);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        dup2(fds[1], STDERR_FILENO);
        close(fds[0]);
        modify_under_unsafe_iterator();
        _exit(0);
    }
    close(fds[1]);
    char out[512] = "";
    size_t n = 0;
    ssize_t got;
    while (n < sizeof(out) - 1 && (got = read(fds[0], out + n, sizeof(out) - 1 - n)) > 0)
        n += (size_t)got;
    out[n] = '\0';
    close(fds[0]);
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT, "expected an abort");
    cr_assert(strstr(out, "ASSERTION FAILED: it->fingerprint == dict_fingerprint(it->d)"), "%s",
              out);
}

Test(dict, slot_of_allows_reallocating_an_entry)
{
    struct dict d;
    dict_init(&d, tent_key);
    for (unsigned i = 0; i < 100; i++) dict_add(&d, &tent_new(i)->link);
    struct dict_entry *e = find_id(&d, 42);
    struct dict_entry **slot = dict_slot_of(&d, e);
    struct tent *n = malloc(sizeof *n);
    memcpy(n, e, sizeof *n);
    *slot = &n->link;
    free(e);
    cr_assert_eq(find_id(&d, 42), &n->link);
    cr_assert_eq(dict_count(&d), 100);
    dict_clear(&d, free_cb, NULL);
}

Test(dict, hash_depends_on_seed_and_bytes)
{
    uint64_t a = dict_hash("hello", 5), b = dict_hash("hellp", 5);
    cr_assert_neq(a, b);
    cr_assert_eq(dict_hash("hello", 5), a);
    uint8_t seed[16] = {1, 2, 3};
    dict_set_hash_seed(seed);
    cr_assert_neq(dict_hash("hello", 5), a);
    /* Every length around the 8-byte block boundary hashes differently from its prefix. */
    const char *s = "abcdefghijklmnopq";
    for (size_t n = 1; n < 17; n++) cr_assert_neq(dict_hash(s, n), dict_hash(s, n - 1));
}

/* dict_reserve (loading a snapshot): the announced number of entries goes in without a single
 * rehash; a dict that holds entries, or a smaller reservation, is left as it is. */
Test(dict, reserve_sizes_an_empty_table_once)
{
    struct dict d;
    dict_init(&d, tent_key);
    dict_reserve(&d, 1000);
    size_t buckets = dict_buckets(&d);
    cr_assert_geq(buckets, 1000);
    for (unsigned i = 0; i < 1000; i++) {
        dict_add(&d, &tent_new(i)->link);
        cr_assert(!dict_is_rehashing(&d), "rehash at entry %u", i);
    }
    cr_assert_eq(dict_buckets(&d), buckets);
    dict_reserve(&d, 100000); /* holds entries: no effect */
    cr_assert_eq(dict_buckets(&d), buckets);
    for (unsigned i = 0; i < 1000; i++) cr_assert_not_null(find_id(&d, i));
    dict_clear(&d, free_cb, NULL);
    dict_reserve(&d, 10); /* smaller than what it has: no effect */
    cr_assert_geq(dict_buckets(&d), 10);
    dict_clear(&d, free_cb, NULL);
}
