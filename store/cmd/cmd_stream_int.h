/* cmd_stream_int: helpers shared by the stream command files (cmd_stream*.c): looking streams
 * up, parsing IDs as Redis does, replying entries, the node limits from the config. */
#ifndef VIGIL_CMD_STREAM_INT_H
#define VIGIL_CMD_STREAM_INT_H

#include <stdbool.h>

#include "store/client.h"
#include "store/command.h"
#include "store/data/obj_stream.h"
#include "store/data/obj_stream_cg.h"

#define ERR_STREAM_ID "ERR Invalid stream ID specified as stream command argument"

/* The stream at key. NULL when absent (nothing replied) or of another type (*err set,
 * WRONGTYPE replied). */
struct obj_stream *stream_lookup(struct client *c, const struct resp_arg *key, bool write,
                                 bool *err);
/* A new empty stream at key. */
struct obj_stream *stream_create_at(struct client *c, const struct resp_arg *key);
struct obj_stream_limits stream_limits(const struct client *c);

/* An ID argument: "-", "+" (unless strict), "ms" (seq = missing_seq) or "ms-seq". seq_given:
 * NULL refuses "ms-*"; otherwise it accepts it with *seq_given false. Replies the error and
 * returns -1 when invalid. */
int stream_arg_id(struct client *c, const struct resp_arg *a, uint64_t missing_seq, bool strict,
                  bool *seq_given, struct stream_id *id);
/* A range bound: "-", "+", an ID, or "(" + an ID (exclusive: the next / previous ID). */
int stream_parse_bound(struct client *c, const struct resp_arg *a, uint64_t missing_seq,
                       bool is_start, struct stream_id *id);
/* The group named by argv[2] of the stream at argv[1] (XACK, XPENDING, XCLAIM, XAUTOCLAIM);
 * NULL when either is missing (nothing replied) or, with *err, when WRONGTYPE was replied. */
struct stream_cg *stream_lookup_group(struct client *c, struct obj_stream **s, bool *err);
/* The same for XPENDING, XCLAIM and XAUTOCLAIM, which reply a missing key or group with
 * -NOGROUP naming argv[1] and argv[2]: NULL when something was replied. */
struct stream_cg *stream_require_group(struct client *c, struct obj_stream **s);
/* The consumer `name` of cg (the group of the stream at key), created if new (with its
 * xgroup-createconsumer event; *created, when not NULL, tells which), its seen time now. */
struct stream_consumer *stream_get_consumer(struct client *c, const struct resp_arg *key,
                                            struct stream_cg *cg, const struct resp_arg *name,
                                            bool *created);
void stream_reply_id(struct client *c, struct stream_id id);
/* Reply [id, [f, v...]] for a live entry; false (nothing replied) when there is none. */
bool stream_reply_entry(struct client *c, struct obj_stream *s, struct stream_id id);

/* Reply the entries of s between start and end (at most count, 0: all) as [id, [f, v...]]
 * arrays; returns how many. With a group and consumer (XREADGROUP >): each entry becomes
 * pending for the consumer, the group's last ID and read counter advance, and unless noack,
 * the XCLAIM that carries the delivery to replicas is propagated. */
struct stream_deliver {
    struct stream_cg *cg;
    struct stream_consumer *consumer;
    bool noack;
    const struct resp_arg *key, *group;
};
size_t stream_reply_range(struct client *c, struct obj_stream *s, struct stream_id start,
                          struct stream_id end, size_t count, bool rev,
                          const struct stream_deliver *d);

/* The read counter a group would have having read up to id (Redis's estimate); -1 when it
 * cannot be known. */
long long stream_estimate_read(const struct obj_stream *s, struct stream_id id);
/* True if an entry may have been deleted between start and end (inclusive). */
bool stream_range_has_tombstones(const struct obj_stream *s, struct stream_id start,
                                 struct stream_id end);

/* Propagation of consumer-group effects (as Redis's). */
void stream_propagate_xclaim(struct client *c, const struct resp_arg *key,
                             const struct stream_cg *cg, const struct stream_nack *nack);
void stream_propagate_setid(struct client *c, const struct resp_arg *key,
                            const struct stream_cg *cg);

/* "unknown subcommand or wrong number of arguments for '<argv[1]>'. Try <family> HELP." */
void stream_reply_sub_syntax(struct client *c, const char *family);

/* Key changed: count it, wake watchers and blocked readers, and publish the event. */
void stream_key_changed(struct client *c, const struct resp_arg *key, const char *event,
                        long long dirty);

/* The handlers and subcommand tables the family table (cmd_stream.c) lists. */
void cmd_xread(struct client *c);
void cmd_xreadgroup(struct client *c);
void cmd_xgroup(struct client *c);
void cmd_xack(struct client *c);
void cmd_xpending(struct client *c);
void cmd_xclaim(struct client *c);
void cmd_xautoclaim(struct client *c);
void cmd_xinfo(struct client *c);
void cmd_xsetid(struct client *c);
extern const struct command cmd_stream_xgroup_subs[];
extern const struct command cmd_stream_xinfo_subs[];

#endif
