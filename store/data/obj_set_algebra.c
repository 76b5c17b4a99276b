/* obj_set_algebra: SINTER/SUNION/SDIFF over any mix of encodings (see obj_set.h). Built only on
 * the set's public operations, so the results are encoded exactly as if a client had added
 * their members one by one under the given limits (what Redis 7.0's *STORE commands do). */
#include <stdlib.h>

#include "common/util.h"
#include "store/data/obj_set.h"

static int cmp_card_asc(const void *a, const void *b)
{
    size_t x = obj_set_card(*(struct obj_set *const *)a);
    size_t y = obj_set_card(*(struct obj_set *const *)b);
    return x < y ? -1 : x > y;
}

/* Calls fn (or counts) for members of the intersection, smallest set first; stops at limit. */
static size_t set_inter_walk(struct obj_set *const *sets, size_t n, size_t limit,
                             struct obj_set *dst, const struct obj_set_limits *lim)
{
    if (n == 0) return 0;
    for (size_t i = 0; i < n; i++)
        if (!sets[i] || obj_set_card(sets[i]) == 0) return 0;
    struct obj_set **sorted = xmemdup(sets, n * sizeof *sets);
    qsort(sorted, n, sizeof *sorted, cmp_card_asc);
    struct obj_set_iter it;
    struct pack_val v;
    size_t found = 0;
    obj_set_iter_init(&it, sorted[0]);
    while ((limit == 0 || found < limit) && obj_set_iter_next(&it, &v)) {
        size_t j = 1;
        while (j < n && (sorted[j] == sorted[0] || obj_set_ismember_val(sorted[j], &v))) j++;
        if (j < n) continue;
        if (dst) obj_set_add_val(dst, &v, lim);
        found++;
    }
    free(sorted);
    return found;
}

struct obj_set *obj_set_inter(struct obj_set *const *sets, size_t n,
                              const struct obj_set_limits *lim)
{
    struct obj_set *dst = obj_set_create();
    set_inter_walk(sets, n, 0, dst, lim);
    return dst;
}

size_t obj_set_inter_card(struct obj_set *const *sets, size_t n, size_t limit)
{
    return set_inter_walk(sets, n, limit, NULL, NULL);
}

struct obj_set *obj_set_union(struct obj_set *const *sets, size_t n,
                              const struct obj_set_limits *lim)
{
    struct obj_set *dst = obj_set_create();
    for (size_t i = 0; i < n; i++) {
        if (!sets[i]) continue;
        struct obj_set_iter it;
        struct pack_val v;
        obj_set_iter_init(&it, sets[i]);
        while (obj_set_iter_next(&it, &v)) obj_set_add_val(dst, &v, lim);
    }
    return dst;
}

/* Does `other` (an SDIFF operand after the first) hold v? A missing key holds nothing; the
 * first set itself holds everything of its own. */
static bool in_other(struct obj_set *other, const struct obj_set *first, const struct pack_val *v)
{
    if (!other) return false;
    return other == first || obj_set_ismember_val(other, v);
}

/* Two strategies, as Redis weighs them: probe every other set for each member of the first
 * (about card0 * n / 2 probes with early exits), or copy the first and delete the others'
 * members (sum of cards). */
struct obj_set *obj_set_diff(struct obj_set *const *sets, size_t n,
                             const struct obj_set_limits *lim)
{
    if (n == 0 || !sets[0] || obj_set_card(sets[0]) == 0) return obj_set_create();
    size_t probe_work = 0, copy_work = 0;
    for (size_t i = 0; i < n; i++) {
        if (!sets[i]) continue;
        probe_work += obj_set_card(sets[0]);
        copy_work += obj_set_card(sets[i]);
    }
    struct obj_set_iter it;
    struct pack_val v;
    if (probe_work / 2 <= copy_work) {
        struct obj_set *dst = obj_set_create();
        obj_set_iter_init(&it, sets[0]);
        while (obj_set_iter_next(&it, &v)) {
            size_t j = 1;
            while (j < n && !in_other(sets[j], sets[0], &v)) j++;
            if (j == n) obj_set_add_val(dst, &v, lim);
        }
        return dst;
    }
    struct obj_set *dst = obj_set_union(sets, 1, lim);
    for (size_t i = 1; i < n && obj_set_card(dst); i++) {
        if (!sets[i]) continue;
        if (sets[i] == sets[0]) {
            obj_set_free(dst);
            return obj_set_create();
        }
        obj_set_iter_init(&it, sets[i]);
        while (obj_set_iter_next(&it, &v)) obj_set_remove_val(dst, &v);
    }
    return dst;
}
