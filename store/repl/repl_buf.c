/* repl_buf: see repl_buf.h. A singly linked list of blocks; lookups walk from the head, which is
 * short in practice because trim keeps only what the slowest replica still needs. */
#include "store/repl/repl_buf.h"

#include <stdlib.h>
#include <string.h>

#include "common/util.h"

void repl_buf_init(struct repl_buf *b, long long next_off)
{
    memset(b, 0, sizeof *b);
    b->next_off = next_off;
}

void repl_buf_free(struct repl_buf *b)
{
    struct repl_buf_block *blk = b->head;
    while (blk) {
        struct repl_buf_block *next = blk->next;
        free(blk);
        blk = next;
    }
    b->head = b->tail = NULL;
    b->bytes = 0;
    b->nblocks = 0;
}

void repl_buf_reset(struct repl_buf *b, long long next_off)
{
    repl_buf_free(b);
    b->next_off = next_off;
}

static struct repl_buf_block *block_new(long long first_off, size_t want)
{
    size_t cap = want > REPL_BUF_BLOCK_BYTES ? want : REPL_BUF_BLOCK_BYTES;
    struct repl_buf_block *blk = xmalloc(sizeof *blk + cap);
    blk->next = NULL;
    blk->first_off = first_off;
    blk->len = 0;
    blk->cap = cap;
    return blk;
}

void repl_buf_append(struct repl_buf *b, const void *p, size_t n)
{
    const char *src = p;
    while (n > 0) {
        struct repl_buf_block *t = b->tail;
        if (!t || t->len == t->cap) {
            struct repl_buf_block *blk = block_new(b->next_off, n);
            if (t)
                t->next = blk;
            else
                b->head = blk;
            b->tail = t = blk;
            b->nblocks++;
        }
        size_t room = t->cap - t->len, take = n < room ? n : room;
        memcpy(t->data + t->len, src, take);
        t->len += take;
        b->bytes += take;
        b->next_off += (long long)take;
        src += take;
        n -= take;
    }
}

void repl_buf_skip(struct repl_buf *b, size_t n)
{
    repl_buf_free(b);
    b->next_off += (long long)n;
}

int repl_buf_holds(const struct repl_buf *b, long long off)
{
    if (off == b->next_off) return 1;
    return b->head && off >= b->head->first_off && off < b->next_off;
}

int repl_buf_iov(const struct repl_buf *b, long long off, struct iovec *iov, int max, size_t *total)
{
    *total = 0;
    if (off == b->next_off) return 0;
    if (!repl_buf_holds(b, off)) return -1;
    const struct repl_buf_block *blk = b->head;
    while (blk && off >= blk->first_off + (long long)blk->len) blk = blk->next;
    int n = 0;
    for (; blk && n < max; blk = blk->next) {
        size_t skip = (size_t)(off - blk->first_off);
        if (blk->len <= skip) continue;
        iov[n].iov_base = (void *)(blk->data + skip);
        iov[n].iov_len = blk->len - skip;
        *total += iov[n].iov_len;
        off += (long long)iov[n].iov_len;
        n++;
    }
    return n;
}

void repl_buf_trim(struct repl_buf *b, long long keep_from)
{
    while (b->head) {
        struct repl_buf_block *h = b->head;
        if (h->first_off + (long long)h->len > keep_from) break;
        if (h == b->tail) {
            /* Everything was read: keep the tail as an empty block to avoid malloc churn. */
            b->bytes -= h->len;
            h->first_off = b->next_off;
            h->len = 0;
            break;
        }
        b->head = h->next;
        b->bytes -= h->len;
        b->nblocks--;
        free(h);
    }
}
