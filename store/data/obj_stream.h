/* obj_stream: the stream value type (XADD and friends): an append-only log of entries, each an
 * ID (ms-seq, strictly increasing) and field/value pairs, plus consumer groups
 * (obj_stream_cg.h).
 *
 * Representation (docs/streams.md#representation): entries live in nodes, packed byte buffers
 * of at most stream-node-max-entries entries / stream-node-max-bytes bytes. A node starts with
 * its master fields (the field names of its first entry); each entry is
 *     [flags][varint ms delta][varint seq part][values or nfields + pairs]
 * where the ms delta and the seq part are relative to the previous entry of the node (seq is
 * (seq - prev.seq - 1) when the ms is the same, the plain seq otherwise), and an entry whose
 * field names equal the master fields stores only its values (flag SAME). A deleted entry keeps
 * its bytes (so the deltas of its successors stay valid) with flag DELETED; a node whose
 * entries are all deleted is freed. The nodes sit in an array sorted by first ID (a deque:
 * trimming from the front is O(1)); an ID is found by binary search over the nodes, then a scan
 * of one node.
 *
 * Pointers returned by the iterator are valid until the stream is modified or the iterator
 * moves to another entry.
 */
#ifndef VIGIL_OBJ_STREAM_H
#define VIGIL_OBJ_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/resp.h"
#include "store/data/keyspace.h"

struct stream_id {
    uint64_t ms, seq;
};

#define STREAM_ID_MAX ((struct stream_id){UINT64_MAX, UINT64_MAX})
#define STREAM_ID_MIN ((struct stream_id){0, 0})
#define STREAM_ID_BUF 44 /* "ms-seq" with two 20-digit numbers */

static inline int stream_id_cmp(struct stream_id a, struct stream_id b)
{
    if (a.ms != b.ms) return a.ms < b.ms ? -1 : 1;
    if (a.seq != b.seq) return a.seq < b.seq ? -1 : 1;
    return 0;
}
static inline bool stream_id_is_zero(struct stream_id a) { return a.ms == 0 && a.seq == 0; }
/* id + 1 / id - 1; false when already at the maximum / minimum. */
bool stream_id_incr(struct stream_id *id);
bool stream_id_decr(struct stream_id *id);
size_t stream_id_fmt(char *out, struct stream_id id);
/* "ms-seq" or "ms" (seq = missing_seq). -1 if malformed. */
int stream_id_parse(const char *s, size_t n, uint64_t missing_seq, struct stream_id *out);

struct obj_stream_limits {
    long long node_max_bytes;   /* stream-node-max-bytes, 0 = no limit */
    long long node_max_entries; /* stream-node-max-entries, 0 = no limit */
};

struct stream_node;
struct stream_cg;
struct obj_stream {
    struct stream_node **nodes; /* sorted by first ID; live ones at [head, head + nnodes) */
    size_t head, nnodes, cap;
    uint64_t length;
    struct stream_id last_id, first_id, max_deleted_id; /* first_id: first live entry or 0-0 */
    uint64_t entries_added;
    struct stream_cg **groups; /* sorted by name */
    size_t ngroups, gcap;
};

extern const struct ks_obj_ops obj_stream_ops;

struct obj_stream *obj_stream_create(void);
void obj_stream_free(void *s);
void *obj_stream_dup(const void *s);
size_t obj_stream_mem_usage(const void *s);
size_t obj_stream_node_count(const struct obj_stream *s);

/* Append an entry with an ID greater than last_id (asserted). fv: nfv (even) fields and values.
 * Updates last_id, length, entries_added and first_id. */
void obj_stream_append(struct obj_stream *s, const struct obj_stream_limits *lim,
                       struct stream_id id, const struct resp_arg *fv, size_t nfv);
/* XDEL one ID: true if it was a live entry. Updates max_deleted_id and first_id. */
bool obj_stream_delete(struct obj_stream *s, struct stream_id id);

/* Trimming (XTRIM, XADD MAXLEN/MINID). approx: only whole nodes go (as Redis's `~`), and at most
 * `limit` entries (0 = no limit). Returns the number of entries removed. */
enum obj_stream_trim_kind { STREAM_TRIM_MAXLEN, STREAM_TRIM_MINID };
struct obj_stream_trim {
    enum obj_stream_trim_kind kind;
    uint64_t maxlen;
    struct stream_id minid;
    bool approx;
    uint64_t limit;
};
uint64_t obj_stream_trim(struct obj_stream *s, const struct obj_stream_trim *t);

/* Iteration over live entries with start <= id <= end, forward or reverse. */
struct obj_stream_iter {
    struct obj_stream *s;
    struct stream_id start, end;
    bool rev;
    size_t node;  /* index into s->nodes of the current node (absolute) */
    size_t at;    /* index of the next entry in ents (forward) or one past it (reverse) */
    size_t nents; /* decoded entries of the current node */
    struct stream_iter_ent *ents;
    size_t ents_cap;
    bool started, done;
    /* the current entry */
    const unsigned char *fp;     /* field cursor */
    const unsigned char *master; /* master field cursor when SAME */
    size_t nfields, fleft;
    bool is_same;
};
void obj_stream_iter_init(struct obj_stream_iter *it, struct obj_stream *s, struct stream_id start,
                          struct stream_id end, bool rev);
/* The next live entry: its id and number of field/value pairs. */
bool obj_stream_iter_next(struct obj_stream_iter *it, struct stream_id *id, size_t *nfields);
/* The next field/value pair of the current entry. */
bool obj_stream_iter_field(struct obj_stream_iter *it, const char **f, size_t *fl, const char **v,
                           size_t *vl);
void obj_stream_iter_done(struct obj_stream_iter *it);

/* The ID of the last live entry, 0-0 when empty. */
struct stream_id obj_stream_last_live_id(struct obj_stream *s);
/* True if a live entry with this ID exists. */
bool obj_stream_has_id(struct obj_stream *s, struct stream_id id);

#endif
