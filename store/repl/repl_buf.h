/* repl_buf: the shared replication buffer. Every byte of the replication stream is appended here
 * ONCE; each replica keeps only a read position (an absolute stream offset), so a write costs one
 * copy whatever the number of replicas, and a replica that is behind (waiting for its snapshot,
 * or on a slow link) simply holds on to older blocks.
 *
 *     head                                                        tail
 *     [first_off .. ][ .. ][ .. ][ .. next_off - 1]   <- appends go to the tail block
 *        ^ slowest reader                     ^ fastest reader (caught up: off == next_off)
 *
 * Offsets are the stream's absolute offsets (backlog.h): the byte appended next gets next_off.
 * Blocks before the slowest reader are released by repl_buf_trim(). With no readers at all the
 * stream is not stored (repl_buf_skip), only counted.
 *
 * Invariants: blocks are contiguous in offset (block->first_off + block->len == next block's
 * first_off; the tail ends at next_off - 1); no block but the tail is empty.
 * Pure: no I/O, no clock. Ownership: the buffer owns its blocks. */
#ifndef VIGIL_REPL_BUF_H
#define VIGIL_REPL_BUF_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#define REPL_BUF_BLOCK_BYTES (64 * 1024)

struct repl_buf_block {
    struct repl_buf_block *next;
    long long first_off; /* offset of data[0] */
    size_t len, cap;
    char data[];
};

struct repl_buf {
    struct repl_buf_block *head, *tail;
    long long next_off; /* offset the next appended byte gets */
    size_t bytes;       /* bytes held in all blocks */
    size_t nblocks;
};

void repl_buf_init(struct repl_buf *b, long long next_off);
/* Drop everything; the next byte appended gets next_off. */
void repl_buf_reset(struct repl_buf *b, long long next_off);
void repl_buf_free(struct repl_buf *b);
void repl_buf_append(struct repl_buf *b, const void *p, size_t n);
/* Count n bytes of stream without storing them (nobody would read them). */
void repl_buf_skip(struct repl_buf *b, size_t n);
/* True if a reader at `off` can be served: the bytes from off to the end are held. */
int repl_buf_holds(const struct repl_buf *b, long long off);
/* Fill up to max iovecs with the bytes from `off` to the end. Returns how many (0 when off ==
 * next_off), or -1 when off is not held. *total receives the byte count. */
int repl_buf_iov(const struct repl_buf *b, long long off, struct iovec *iov, int max,
                 size_t *total);
/* Release the blocks whose bytes all lie before keep_from (the slowest reader's offset). */
void repl_buf_trim(struct repl_buf *b, long long keep_from);

#endif
