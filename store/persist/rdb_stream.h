/* rdb_stream: streams in RDB files as Redis 7.0 writes them (type STREAM_LISTPACKS_2): each of
 * our nodes becomes one Redis listpack node (master entry, then entries with ID deltas against
 * the master ID), followed by the stream's counters and its consumer groups. Loading rebuilds
 * our nodes from the listpacks of any stream type Redis writes (15, 19, 21). */
#ifndef VIGIL_RDB_STREAM_H
#define VIGIL_RDB_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "store/data/obj_stream.h"
#include "store/rdb/rdb.h"

int rdb_stream_write(struct rdb_writer *w, const char *key, size_t klen, struct obj_stream *s,
                     int64_t expire_ms);

/* One of our nodes as the listpack Redis would hold for it (built in lp, reset first; the blob
 * is valid until lp changes). */
struct rdb_lp;
struct stream_node;
const char *rdb_stream_node_listpack(const struct stream_node *n, struct rdb_lp *lp, size_t *len);

/* Append the live entries of one Redis listpack node (master ID ms-seq) to s. -1 if the
 * listpack is malformed. */
int rdb_stream_load_node(struct obj_stream *s, const struct obj_stream_limits *lim,
                         uint64_t master_ms, uint64_t master_seq, const unsigned char *lp,
                         size_t n);

#endif
