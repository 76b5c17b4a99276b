/* pubsub: channels, glob patterns and shard channels (SSUBSCRIBE/SPUBLISH: without cluster
 * mode, channels of a namespace of their own, as in Redis 7.0). The server keeps channel ->
 * subscribers and a pattern list; each client keeps the set of its names of each kind. RESP2
 * clients with subscriptions enter subscribed mode (CONN_PUBSUB); RESP3 clients get messages as
 * push frames and keep working. */
#ifndef VIGIL_PUBSUB_H
#define VIGIL_PUBSUB_H

#include "store/server.h"

struct pubsub *pubsub_create(void);
void pubsub_destroy(struct pubsub *ps);
/* Deliver message to subscribers of channel and matching patterns; returns receivers. */
long long pubsub_publish(struct server *srv, const char *ch, size_t chlen, const char *msg,
                         size_t msglen);
/* Drop every subscription of c; notify = send unsubscribe replies (UNSUBSCRIBE with no args). */
void pubsub_unsubscribe_all(struct client *c, bool notify);
size_t pubsub_client_channels(const struct client *c);
/* Whether ok(ctx, name, len, is_pattern) holds for every channel and pattern c subscribed. */
bool pubsub_client_all(struct client *c,
                       bool (*ok)(void *ctx, const char *name, size_t len, bool is_pattern),
                       void *ctx);
size_t pubsub_client_patterns(const struct client *c);
size_t pubsub_client_shard_channels(const struct client *c);
/* Server-wide: channels with subscribers, distinct patterns (INFO, PUBSUB NUMPAT). */
size_t pubsub_channel_count(const struct pubsub *ps);
size_t pubsub_pattern_count(const struct pubsub *ps);
size_t pubsub_shard_channel_count(const struct pubsub *ps); /* INFO pubsubshard_channels */

#endif
