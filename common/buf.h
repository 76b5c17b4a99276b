/* buf: a growable byte buffer with a read position, for query buffers, reply buffers and any
 * place that accumulates bytes. Invariants: 0 <= pos <= len <= cap; data[len] == '\0' whenever
 * cap > 0 (so text can be used as a C string); bytes before pos are consumed and reclaimed by
 * buf_compact. A zeroed struct buf is a valid empty buffer. */
#ifndef VIGIL_BUF_H
#define VIGIL_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
    char *data;
    size_t pos; /* first unconsumed byte */
    size_t len; /* bytes written */
    size_t cap; /* allocated, excluding the NUL kept at data[len] */
};

void buf_init(struct buf *b);
void buf_free(struct buf *b);
void buf_clear(struct buf *b);
/* Ensure room for `extra` more bytes after len. */
void buf_reserve(struct buf *b, size_t extra);
void buf_append(struct buf *b, const void *p, size_t n);
void buf_append_str(struct buf *b, const char *s);
void buf_append_char(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vprintf(struct buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Unconsumed bytes. */
static inline const char *buf_unread(const struct buf *b) { return b->data + b->pos; }
static inline size_t buf_unread_len(const struct buf *b) { return b->len - b->pos; }
/* Mark n unconsumed bytes as consumed; resets to empty when everything is consumed. */
void buf_consume(struct buf *b, size_t n);
/* Move unconsumed bytes to the front, so a reader can keep appending without growing forever. */
void buf_compact(struct buf *b);
/* Pointer to writable space of at least `want` bytes; call buf_commit with what was written. */
char *buf_space(struct buf *b, size_t want);
void buf_commit(struct buf *b, size_t n);
/* Drop the allocation when an idle buffer has grown past `keep` bytes (memory hygiene). */
void buf_shrink_if_idle(struct buf *b, size_t keep);

#endif
