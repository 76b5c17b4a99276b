/* mem_rank: objects ranked by the bytes they use, for client eviction (maxmemory-clients) to
 * find a large one fast. Each object embeds a node; nodes live in one of 64 buckets by the
 * power of two of their size (bucket b holds sizes in [2^b, 2^(b+1))), and a bit mask says
 * which buckets are not empty. Moving a node costs O(1); finding a largest one looks at the
 * highest non-empty bucket and at most `scan` of its nodes, so it is within a factor of two of
 * the true maximum and exact when scan covers the bucket. Pure: no server, no allocation. */
#ifndef VIGIL_MEM_RANK_H
#define VIGIL_MEM_RANK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MEM_RANK_BUCKETS 64

/* Zeroed means "not ranked". */
struct mem_rank_node {
    struct mem_rank_node *prev, *next;
    size_t bytes;
    int bucket;
    bool is_ranked;
};

struct mem_rank {
    struct mem_rank_node *head[MEM_RANK_BUCKETS];
    uint64_t nonempty; /* bit b: head[b] != NULL */
    size_t count;
};

void mem_rank_init(struct mem_rank *r);
/* The bucket of a size: floor(log2(bytes)), 0 for 0 and 1. */
int mem_rank_bucket_of(size_t bytes);
/* Rank n with this size (insert it, or move it if its bucket changed). */
void mem_rank_set(struct mem_rank *r, struct mem_rank_node *n, size_t bytes);
/* Take n out (nothing if it is not ranked). */
void mem_rank_remove(struct mem_rank *r, struct mem_rank_node *n);
/* The largest of at most `scan` nodes of the highest non-empty bucket, or NULL when empty. */
struct mem_rank_node *mem_rank_largest(const struct mem_rank *r, size_t scan);

#endif
