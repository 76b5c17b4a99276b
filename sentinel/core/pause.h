/* pause: the group-wide maintenance pause and how it spreads between sentinels (see pause.c for
 * the protocol and why it rides on SENTINEL SET rather than on the hello message). */
#ifndef VIGIL_SENTINEL_PAUSE_H
#define VIGIL_SENTINEL_PAUSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sentinel/core/env.h"
#include "sentinel/core/instance.h"
#include "sentinel/core/sentinel_cmd.h"

struct sentinel;

/* The SENTINEL SET option sentinels use between themselves: value "yes:<epoch>" | "no:<epoch>". */
#define PAUSE_PEER_OPTION "failover-pause-state"

/* An operator paused or resumed `master` here: new epoch, persist, push to every peer.
 * Returns the number of peers the state was sent to. */
int pause_set_local(struct sentinel *s, struct instance *master, bool paused);
/* Send our state to one peer (no-op, -1, when never paused or the link is down). */
int pause_push(struct sentinel *s, struct instance *master, struct instance *peer);
/* SENTINEL SET <m> failover-pause-state <value> from a peer: adopt when newer; the result is OK,
 * "-STALE pause state <ours> is newer here", or a bad-argument error. */
void pause_on_peer_state(struct sentinel *s, struct instance *master, const char *value,
                         struct sentinel_cmd_result *res);
/* A peer's reply to pause_push. */
void pause_on_reply(struct sentinel *s, struct instance *peer, const struct sentinel_reply *r);
/* Whether the peer acknowledged our current pause state (true when never paused). */
bool pause_peer_confirmed(const struct instance *master, const struct instance *peer);
/* "yes:<epoch>" / "no:<epoch>" codec. parse returns 0, or -1 on a malformed value. */
void pause_format_state(const struct instance *master, char *out, size_t cap);
int pause_parse_state(const char *text, bool *paused, uint64_t *epoch);

#endif
