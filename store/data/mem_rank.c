/* mem_rank: see mem_rank.h. Buckets are doubly linked lists with new and moved nodes at the
 * head; nothing here walks more than `scan` nodes. */
#include "store/data/mem_rank.h"

#include <string.h>

void mem_rank_init(struct mem_rank *r) { memset(r, 0, sizeof *r); }

int mem_rank_bucket_of(size_t bytes)
{
    if (bytes <= 1) return 0;
    return 63 - __builtin_clzll((unsigned long long)bytes);
}

static void unlink_node(struct mem_rank *r, struct mem_rank_node *n)
{
    if (n->prev)
        n->prev->next = n->next;
    else
        r->head[n->bucket] = n->next;
    if (n->next) n->next->prev = n->prev;
    if (!r->head[n->bucket]) r->nonempty &= ~(1ULL << n->bucket);
    n->prev = n->next = NULL;
}

static void link_node(struct mem_rank *r, struct mem_rank_node *n, int bucket)
{
    n->bucket = bucket;
    n->prev = NULL;
    n->next = r->head[bucket];
    if (n->next) n->next->prev = n;
    r->head[bucket] = n;
    r->nonempty |= 1ULL << bucket;
}

void mem_rank_set(struct mem_rank *r, struct mem_rank_node *n, size_t bytes)
{
    int bucket = mem_rank_bucket_of(bytes);
    n->bytes = bytes;
    if (n->is_ranked && n->bucket == bucket) return;
    if (n->is_ranked)
        unlink_node(r, n);
    else
        r->count++;
    n->is_ranked = true;
    link_node(r, n, bucket);
}

void mem_rank_remove(struct mem_rank *r, struct mem_rank_node *n)
{
    if (!n->is_ranked) return;
    unlink_node(r, n);
    n->is_ranked = false;
    r->count--;
}

struct mem_rank_node *mem_rank_largest(const struct mem_rank *r, size_t scan)
{
    if (r->nonempty == 0) return NULL;
    int top = 63 - __builtin_clzll(r->nonempty);
    struct mem_rank_node *best = r->head[top];
    size_t seen = 1;
    for (struct mem_rank_node *n = best->next; n && seen < scan; n = n->next, seen++)
        if (n->bytes > best->bytes) best = n;
    return best;
}
