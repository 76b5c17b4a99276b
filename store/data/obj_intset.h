/* obj_intset: a sorted array of distinct int64 values stored at the narrowest width (2, 4 or 8
 * bytes) that holds all of them, the "intset" encoding of small all-integer sets.
 *
 * Why: a set of 500 small ids costs 1 KB instead of 500 heap strings plus a hash table, and
 * membership is a binary search. Width only grows: adding a value that needs 8 bytes rewrites the
 * array at 8 bytes per value (O(N)); removing it does not shrink the width back.
 *
 * Invariants: values strictly increasing; width in {2, 4, 8} and every value fits it.
 * Functions that may reallocate take and return the intset (the old pointer is dead).
 * Must not: do I/O or keep global state.
 */
#ifndef VIGIL_OBJ_INTSET_H
#define VIGIL_OBJ_INTSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct intset {
    uint32_t len;
    uint32_t width; /* bytes per value */
    unsigned char data[];
};

struct intset *intset_new(void);
struct intset *intset_dup(const struct intset *is);
/* True if v is present; *pos is its index, or where it would be inserted. */
bool intset_find(const struct intset *is, int64_t v, uint32_t *pos);
struct intset *intset_add(struct intset *is, int64_t v, bool *added);
struct intset *intset_remove(struct intset *is, int64_t v, bool *removed);
struct intset *intset_remove_at(struct intset *is, uint32_t pos);
int64_t intset_get(const struct intset *is, uint32_t pos);
static inline uint32_t intset_len(const struct intset *is) { return is->len; }
size_t intset_bytes(const struct intset *is);

#endif
