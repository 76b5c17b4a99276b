/* backlog: the replication backlog, a ring holding the newest bytes of the replication stream,
 * addressed by absolute stream offsets (Redis's PSYNC semantics, docs/replication.md#the-backlog).
 *
 * Offsets: the stream's first byte ever has offset 1. repl_offset (INFO master_repl_offset) is
 * the number of bytes ever appended, i.e. the offset of the newest byte. The ring holds the
 * newest histlen bytes, from first_byte_offset = repl_offset - histlen + 1 to repl_offset.
 * A PSYNC offset names the NEXT byte the replica wants (its processed offset + 1), so the
 * backlog can serve it iff first_byte_offset <= offset <= repl_offset + 1; offset ==
 * repl_offset + 1 is servable with nothing to send (the replica is fully caught up).
 *
 *     absolute:  1 ........ first_byte_offset .................. repl_offset | next
 *                (forgotten) [------------- histlen bytes --------------]     ^ appends go here
 *
 * Invariants: 0 <= histlen <= size_bytes; histlen only grows by append and only shrinks by
 * resize or reset; repl_offset never decreases except by an explicit reset.
 * Pure: no I/O, no clock. Not thread-safe. Ownership: backlog_create's result is owned by
 * the caller and freed with backlog_destroy; every pointer argument is borrowed. */
#ifndef VIGIL_BACKLOG_H
#define VIGIL_BACKLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct backlog;

/* A contiguous piece of the ring, valid until the next append/resize/reset/destroy. */
struct backlog_span {
    const char *bytes;
    size_t len;
};

/* A ring of size_bytes (> 0) bytes with no history. repl_offset is the stream offset reached
 * so far (0 for a brand new history; the current master_repl_offset when a backlog is created
 * after bytes already flowed), so the next byte appended gets offset repl_offset + 1. */
struct backlog *backlog_create(size_t size_bytes, int64_t repl_offset);
void backlog_destroy(struct backlog *b);

/* Append n bytes to the stream. If n > size_bytes only the last size_bytes are kept. */
void backlog_append(struct backlog *b, const void *p, size_t n);

/* Forget the history and continue from repl_offset (e.g. after a full resync the replica
 * adopts the master's offset). The size is unchanged. */
void backlog_reset(struct backlog *b, int64_t repl_offset);

/* Change the capacity, keeping the newest min(histlen, size_bytes) bytes. size_bytes > 0. */
void backlog_resize(struct backlog *b, size_t size_bytes);

/* True iff a partial resync can start at `psync_offset` (the next byte the replica wants):
 * first_byte_offset <= psync_offset <= repl_offset + 1. Any int64 is accepted (negative and
 * absurd values from the wire are simply false). */
bool backlog_can_serve(const struct backlog *b, int64_t psync_offset);

/* The bytes from `offset` to the end of the stream as at most two spans (the ring may wrap).
 * Returns the number of spans filled (0 when offset == repl_offset + 1), or -1 when the offset
 * cannot be served. */
int backlog_spans_from(const struct backlog *b, int64_t offset, struct backlog_span spans[2]);

/* Copy up to cap bytes starting at `offset` into dst, for chunked sending. On success stores
 * the count in *out_n (0 at the end of the stream) and returns 0; returns -1 when the offset
 * cannot be served (never served yet, or already overwritten). */
int backlog_read(const struct backlog *b, int64_t offset, void *dst, size_t cap, size_t *out_n);

/* INFO replication fields. */
size_t backlog_size(const struct backlog *b);               /* repl_backlog_size */
int64_t backlog_repl_offset(const struct backlog *b);       /* master_repl_offset */
int64_t backlog_first_byte_offset(const struct backlog *b); /* repl_backlog_first_byte_offset */
size_t backlog_histlen(const struct backlog *b);            /* repl_backlog_histlen */

#endif
