/* obj_stream_int: the node layout shared by the stream modules (obj_stream.c, the iterator,
 * the RDB codec). INTERNAL: commands use obj_stream.h. */
#ifndef VIGIL_OBJ_STREAM_INT_H
#define VIGIL_OBJ_STREAM_INT_H

#include <stddef.h>
#include <stdint.h>

#include "store/data/obj_stream.h"

enum { ENT_DELETED = 1, ENT_SAME = 2 };

/* One packed node: master fields, then entries (obj_stream.h). first/last: IDs of its first
 * and last entries, deleted or not. */
struct stream_node {
    struct stream_id first, last;
    uint32_t live, total; /* entries not deleted / all */
    uint32_t len, cap;    /* bytes used / allocated in buf */
    /* The size of this node as a Redis listpack, but for its live and deleted counters: what
     * stream-node-max-bytes is checked against, so nodes end where Redis's do. */
    uint32_t lp_bytes;
    unsigned char buf[];
};

/* One decoded entry header. */
struct stream_iter_ent {
    struct stream_id id;
    uint32_t off;
    uint8_t flags;
};

/* Bytes of the master field block at the start of buf. */
size_t stream_node_master_len(const struct stream_node *n);
/* Decode every entry header of n into *ents (grown as needed); returns n->total. */
size_t stream_node_decode(const struct stream_node *n, struct stream_iter_ent **ents, size_t *cap);
/* Absolute index of the last node whose first ID <= id; *found false when there is none. */
size_t stream_node_find(const struct obj_stream *s, struct stream_id id, bool *found);

#endif
