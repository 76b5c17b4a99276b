/* obj_intset: see obj_intset.h. Values are stored in native byte order (in-memory only; the
 * snapshot codec writes members, not this array). */
#include "store/data/obj_intset.h"

#include <string.h>

#include "common/util.h"

static uint32_t width_for(int64_t v)
{
    if (v >= INT16_MIN && v <= INT16_MAX) return 2;
    if (v >= INT32_MIN && v <= INT32_MAX) return 4;
    return 8;
}

static int64_t get_w(const struct intset *is, uint32_t pos, uint32_t width)
{
    const unsigned char *p = is->data + (size_t)pos * width;
    if (width == 2) {
        int16_t v;
        memcpy(&v, p, 2);
        return v;
    }
    if (width == 4) {
        int32_t v;
        memcpy(&v, p, 4);
        return v;
    }
    int64_t v;
    memcpy(&v, p, 8);
    return v;
}

static void set_w(struct intset *is, uint32_t pos, uint32_t width, int64_t v)
{
    unsigned char *p = is->data + (size_t)pos * width;
    if (width == 2) {
        int16_t x = (int16_t)v;
        memcpy(p, &x, 2);
    } else if (width == 4) {
        int32_t x = (int32_t)v;
        memcpy(p, &x, 4);
    } else {
        memcpy(p, &v, 8);
    }
}

size_t intset_bytes(const struct intset *is) { return sizeof *is + (size_t)is->len * is->width; }

static struct intset *intset_resize(struct intset *is, uint32_t len, uint32_t width)
{
    return xrealloc(is, sizeof *is + (size_t)len * width);
}

struct intset *intset_new(void)
{
    struct intset *is = xmalloc(sizeof *is);
    is->len = 0;
    is->width = 2;
    return is;
}

struct intset *intset_dup(const struct intset *is) { return xmemdup(is, intset_bytes(is)); }

int64_t intset_get(const struct intset *is, uint32_t pos)
{
    ASSERT(pos < is->len);
    return get_w(is, pos, is->width);
}

bool intset_find(const struct intset *is, int64_t v, uint32_t *pos)
{
    uint32_t lo = 0, hi = is->len; /* answer in [lo, hi] */
    if (v > INT16_MAX || v < INT16_MIN) {
        if (width_for(v) > is->width) { /* cannot be present: outside the stored range */
            *pos = v < 0 ? 0 : is->len;
            return false;
        }
    }
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        int64_t cur = get_w(is, mid, is->width);
        if (cur == v) {
            *pos = mid;
            return true;
        }
        if (cur < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    *pos = lo;
    return false;
}

/* A value wider than every stored one is smaller or larger than all of them, so after widening
 * it goes at one end. Widen back to front so no value is overwritten before it is moved. */
static struct intset *intset_upgrade_add(struct intset *is, int64_t v)
{
    uint32_t old_w = is->width, new_w = width_for(v), len = is->len;
    bool at_front = v < 0;
    is = intset_resize(is, len + 1, new_w);
    for (uint32_t i = len; i-- > 0;) set_w(is, i + (at_front ? 1 : 0), new_w, get_w(is, i, old_w));
    is->width = new_w;
    set_w(is, at_front ? 0 : len, new_w, v);
    is->len = len + 1;
    return is;
}

struct intset *intset_add(struct intset *is, int64_t v, bool *added)
{
    *added = false;
    if (width_for(v) > is->width) {
        *added = true;
        return intset_upgrade_add(is, v);
    }
    uint32_t pos;
    if (intset_find(is, v, &pos)) return is;
    ASSERT(is->len < UINT32_MAX);
    is = intset_resize(is, is->len + 1, is->width);
    memmove(is->data + (size_t)(pos + 1) * is->width, is->data + (size_t)pos * is->width,
            (size_t)(is->len - pos) * is->width);
    set_w(is, pos, is->width, v);
    is->len++;
    *added = true;
    return is;
}

struct intset *intset_remove_at(struct intset *is, uint32_t pos)
{
    ASSERT(pos < is->len);
    memmove(is->data + (size_t)pos * is->width, is->data + (size_t)(pos + 1) * is->width,
            (size_t)(is->len - pos - 1) * is->width);
    is->len--;
    return intset_resize(is, is->len, is->width);
}

struct intset *intset_remove(struct intset *is, int64_t v, bool *removed)
{
    uint32_t pos;
    *removed = intset_find(is, v, &pos);
    return *removed ? intset_remove_at(is, pos) : is;
}
