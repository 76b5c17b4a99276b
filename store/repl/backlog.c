/* backlog: a fixed-capacity byte ring with absolute offsets (see backlog.h for the model).
 *
 * Representation: data[size] is the ring, `head` is the index the next appended byte goes to,
 * so the newest byte (offset repl_offset) sits at head - 1 (mod size) and the byte with offset
 * o sits `repl_offset - o + 1` positions before head. histlen says how many of the positions
 * before head hold real history; the rest is stale and never read.
 *
 * Invariants: size > 0; head < size; histlen <= size; repl_offset >= 0 after a valid create.
 * Everything is O(bytes touched) with at most two memcpy per operation; no allocation except
 * create and resize. Pure: no I/O, no clock. */
#include "store/repl/backlog.h"

#include <stdlib.h>
#include <string.h>

#include "common/util.h"

struct backlog {
    char *data;
    size_t size;
    size_t head;         /* index of the next byte to write */
    size_t histlen;      /* valid bytes ending just before head */
    int64_t repl_offset; /* total bytes ever appended = offset of the newest byte */
};

struct backlog *backlog_create(size_t size_bytes, int64_t repl_offset)
{
    ASSERT(size_bytes > 0);
    ASSERT(repl_offset >= 0);
    struct backlog *b = xcalloc(1, sizeof *b);
    b->data = xmalloc(size_bytes);
    b->size = size_bytes;
    b->repl_offset = repl_offset;
    return b;
}

void backlog_destroy(struct backlog *b)
{
    if (b == NULL) return;
    free(b->data);
    free(b);
}

void backlog_append(struct backlog *b, const void *p, size_t n)
{
    const char *s = p;
    if (n == 0) return;
    ASSERT(n <= (size_t)INT64_MAX - (size_t)b->repl_offset);
    b->repl_offset += (int64_t)n;
    if (n >= b->size) {
        /* Only the tail survives: lay it out from index 0 so the ring is simply full. */
        memcpy(b->data, s + (n - b->size), b->size);
        b->head = 0;
        b->histlen = b->size;
        return;
    }
    size_t first = MIN(n, b->size - b->head);
    memcpy(b->data + b->head, s, first);
    memcpy(b->data, s + first, n - first);
    b->head = (b->head + n) % b->size;
    b->histlen = MIN(b->histlen + n, b->size);
}

void backlog_reset(struct backlog *b, int64_t repl_offset)
{
    ASSERT(repl_offset >= 0);
    b->head = 0;
    b->histlen = 0;
    b->repl_offset = repl_offset;
}

void backlog_resize(struct backlog *b, size_t size_bytes)
{
    ASSERT(size_bytes > 0);
    if (size_bytes == b->size) return;
    size_t keep = MIN(b->histlen, size_bytes);
    char *data = xmalloc(size_bytes);
    struct backlog_span spans[2];
    int nspans = backlog_spans_from(b, b->repl_offset - (int64_t)keep + 1, spans);
    ASSERT(nspans >= 0);
    size_t at = 0;
    for (int i = 0; i < nspans; i++) {
        memcpy(data + at, spans[i].bytes, spans[i].len);
        at += spans[i].len;
    }
    ASSERT(at == keep);
    free(b->data);
    b->data = data;
    b->size = size_bytes;
    b->histlen = keep;
    b->head = keep % size_bytes;
}

bool backlog_can_serve(const struct backlog *b, int64_t psync_offset)
{
    /* Written as distances from repl_offset so no arithmetic can overflow for wild input. */
    if (psync_offset < 1 || psync_offset > b->repl_offset + 1) return false;
    return (uint64_t)(b->repl_offset - psync_offset + 1) <= b->histlen;
}

int backlog_spans_from(const struct backlog *b, int64_t offset, struct backlog_span spans[2])
{
    if (!backlog_can_serve(b, offset)) return -1;
    size_t want = (size_t)(b->repl_offset - offset + 1); /* bytes from offset to the end */
    if (want == 0) return 0;
    size_t start = (b->head + b->size - want) % b->size;
    if (start + want <= b->size) {
        spans[0] = (struct backlog_span){b->data + start, want};
        return 1;
    }
    spans[0] = (struct backlog_span){b->data + start, b->size - start};
    spans[1] = (struct backlog_span){b->data, want - (b->size - start)};
    return 2;
}

int backlog_read(const struct backlog *b, int64_t offset, void *dst, size_t cap, size_t *out_n)
{
    struct backlog_span spans[2];
    int nspans = backlog_spans_from(b, offset, spans);
    if (nspans < 0) return -1;
    char *d = dst;
    size_t done = 0;
    for (int i = 0; i < nspans && done < cap; i++) {
        size_t take = MIN(spans[i].len, cap - done);
        memcpy(d + done, spans[i].bytes, take);
        done += take;
    }
    *out_n = done;
    return 0;
}

size_t backlog_size(const struct backlog *b) { return b->size; }
int64_t backlog_repl_offset(const struct backlog *b) { return b->repl_offset; }
int64_t backlog_first_byte_offset(const struct backlog *b)
{
    return b->repl_offset - (int64_t)b->histlen + 1;
}
size_t backlog_histlen(const struct backlog *b) { return b->histlen; }
