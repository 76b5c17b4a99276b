/* sentinel_tls: vigil-sentinel's TLS context and its reload without a restart
 * (docs/tls.md#sentinel).
 *
 * One context serves the tls-port's clients and the links to masters, replicas and peers. The
 * live settings are the config's (cfg->tls); a change builds a whole new context first and swaps
 * it in only if that works, so a bad certificate never leaves the sentinel without TLS:
 *
 *   SENTINEL CONFIG SET tls-cert-file f tls-key-file k   new paths (all pairs or none)
 *   SIGHUP                                                the same paths read again (rotation)
 *
 * New connections and links use the new context; open ones keep the session they have (each
 * holds its own reference to the context it was made with). Without tls-port and
 * tls-replication there is no context: changed settings are kept for a restart, as vigil-store.
 * The changes live in memory: the YAML file stays the operator's (put the new paths there too). */
#ifndef VIGIL_SENTINEL_TLS_H
#define VIGIL_SENTINEL_TLS_H

#include <stdbool.h>
#include <stddef.h>

#include "common/buf.h"

struct sentinel_config;
struct sentinel_desc;
struct link_mgr;
struct tls_ctx;
struct sentinel_tls;

/* Builds the context when cfg asks for TLS (tls-port or tls-replication). NULL with the reason
 * in err when the certificates or settings do not work (a start-up error, as Redis). cfg must
 * outlive the result. */
struct sentinel_tls *sentinel_tls_create(struct sentinel_config *cfg, char *err, size_t errlen);
void sentinel_tls_destroy(struct sentinel_tls *t);
/* The context new sessions use; NULL when TLS is off. */
struct tls_ctx *sentinel_tls_ctx(const struct sentinel_tls *t);
/* Links get the new context at each reload (when tls-replication is on). */
void sentinel_tls_set_links(struct sentinel_tls *t, struct link_mgr *links);

/* A change prepared but not yet in force: SENTINEL CONFIG SET checks every pair (TLS and the
 * core's) before it applies any. */
struct sentinel_tls_change;
/* Applies npairs key/value pairs (keys for which tls_settings_is_context_key is true) to a copy
 * of the settings and builds the context. NULL with a reply-ready error ("ERR ...") in err. */
struct sentinel_tls_change *sentinel_tls_prepare(struct sentinel_tls *t, size_t npairs,
                                                 const char *const *kv, char *err, size_t errlen);
void sentinel_tls_commit(struct sentinel_tls *t, struct sentinel_tls_change *ch);
void sentinel_tls_discard(struct sentinel_tls_change *ch);
/* SIGHUP: the files of the current settings read again. 0, or -1 with the reason in err (the
 * previous context stays). */
int sentinel_tls_reload(struct sentinel_tls *t, char *err, size_t errlen);
/* SENTINEL CONFIG GET: appends the tls-* settings matching any pattern (secrets redacted). */
void sentinel_tls_config_get(const struct sentinel_tls *t, int npatterns,
                             const char *const *patterns, struct sentinel_desc *out);

#endif
