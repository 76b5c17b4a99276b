/* obj_stream_cg: consumer groups of a stream: each group has a last delivered ID, a read
 * counter (entries-read, for lag), a pending entries list (PEL: IDs delivered and not yet
 * acknowledged, each with its owner, delivery time and count) and consumers, each with its own
 * PEL (the same NACK objects). Groups and consumers are kept sorted by name in byte order, as
 * Redis lists them; PELs are sorted arrays of NACK pointers (binary search; appends at the end
 * are the usual case).
 *
 * Invariant: a NACK is in its group's PEL and in exactly its consumer's PEL; freed when acked
 * or its consumer or group is deleted. */
#ifndef VIGIL_OBJ_STREAM_CG_H
#define VIGIL_OBJ_STREAM_CG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/data/obj_stream.h"

#define STREAM_ENTRIES_READ_INVALID (-1LL)

struct stream_consumer;

struct stream_nack {
    struct stream_id id;
    int64_t delivery_ms;
    uint64_t delivery_count;
    struct stream_consumer *consumer;
};

struct stream_pel {
    struct stream_nack **v; /* sorted by id */
    size_t n, cap;
};

struct stream_consumer {
    char *name;
    size_t nlen;
    int64_t seen_ms;
    struct stream_pel pel;
};

struct stream_cg {
    char *name;
    size_t nlen;
    struct stream_id last_id;
    long long entries_read; /* STREAM_ENTRIES_READ_INVALID when unknown */
    struct stream_pel pel;
    struct stream_consumer **consumers; /* sorted by name */
    size_t nconsumers, ccap;
};

void stream_cg_free(struct stream_cg *cg);
struct stream_cg *stream_cg_dup(const struct stream_cg *cg);
size_t stream_cg_mem_usage(const struct stream_cg *cg);

struct stream_cg *obj_stream_cg_find(const struct obj_stream *s, const char *name, size_t nlen);
/* NULL if a group of that name exists. */
struct stream_cg *obj_stream_cg_create(struct obj_stream *s, const char *name, size_t nlen,
                                       struct stream_id last_id, long long entries_read);
bool obj_stream_cg_destroy(struct obj_stream *s, const char *name, size_t nlen);

struct stream_consumer *stream_cg_consumer_find(const struct stream_cg *cg, const char *name,
                                                size_t nlen);
/* NULL if it exists. */
struct stream_consumer *stream_cg_consumer_create(struct stream_cg *cg, const char *name,
                                                  size_t nlen, int64_t now_ms);
/* Delete the consumer and its pending entries; returns how many it had. */
size_t stream_cg_consumer_delete(struct stream_cg *cg, struct stream_consumer *c);

/* Index of the first NACK with id >= the given one (n when none). */
size_t stream_pel_lower_bound(const struct stream_pel *p, struct stream_id id);
struct stream_nack *stream_pel_get(const struct stream_pel *p, struct stream_id id);

/* XREADGROUP delivery: a new NACK for id owned by c (or the existing one reassigned to c, its
 * count reset to 1). */
struct stream_nack *stream_cg_deliver(struct stream_cg *cg, struct stream_consumer *c,
                                      struct stream_id id, int64_t now_ms);
/* Move a NACK to consumer c (XCLAIM). */
void stream_cg_nack_assign(struct stream_nack *nack, struct stream_consumer *c);
/* XCLAIM FORCE of an ID not pending: a new NACK owned by c. */
struct stream_nack *stream_cg_nack_create(struct stream_cg *cg, struct stream_consumer *c,
                                          struct stream_id id, int64_t delivery_ms, uint64_t count);
/* RDB loading: a NACK whose owner is named later (stream_cg_nack_assign gives it one); the
 * ones left without an owner are dropped by obj_stream_drop_orphan_nacks. */
void stream_cg_pel_add_orphan(struct stream_cg *cg, struct stream_id id, int64_t delivery_ms,
                              uint64_t count);
void obj_stream_drop_orphan_nacks(struct obj_stream *s);
/* XACK: true if the id was pending. */
bool stream_cg_ack(struct stream_cg *cg, struct stream_id id);

#endif
