/* tls: the TLS transport both programs share, over OpenSSL (Debian's libssl 3). Two parts:
 *
 *   contexts   struct tls_ctx holds one server-side and one client-side SSL_CTX built from the
 *              operator's settings (certificates, CA, protocols, ciphers, session cache). A new
 *              ctx is built whole and swapped in on reload (CONFIG SET tls-cert-file): a
 *              connection keeps the SSL_CTX it was made with (OpenSSL counts the references), so
 *              existing links keep their certificates and new ones get the new ones.
 *   sessions   one SSL object per socket, used non-blocking: tls_session_handshake is stepped by
 *              the event loop until done; tls_session_read/write behave as read(2)/write(2)
 *              (-1 with errno EAGAIN when the socket or the record layer needs more), so the
 *              callers keep one code path for plaintext and TLS.
 *
 * Invariants: renegotiation is off (SSL_OP_NO_RENEGOTIATION), so after the handshake a read
 * never has to wait for writability nor a write for readability in practice; a record is read
 * whole into the caller's buffer by the callers draining tls_session_pending, so no decrypted
 * byte waits inside OpenSSL for a socket event that may never come (docs/tls.md#transport).
 * Nothing here blocks, exits or logs: errors come back with a message in errbuf. */
#ifndef VIGIL_TLS_H
#define VIGIL_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct ssl_st;

enum tls_auth_clients { TLS_AUTH_NO, TLS_AUTH_YES, TLS_AUTH_OPTIONAL };
extern const char *const tls_auth_clients_names[]; /* "no", "yes", "optional" (config enum) */

/* The operator's settings, Redis 7.0's names with underscores. Strings may be NULL or "". */
struct tls_settings {
    char *cert_file, *key_file, *key_file_pass;
    char *client_cert_file, *client_key_file, *client_key_file_pass;
    char *ca_cert_file, *ca_cert_dir;
    int auth_clients; /* enum tls_auth_clients */
    char *protocols;  /* "TLSv1.2 TLSv1.3" (empty: both) */
    char *ciphers, *ciphersuites;
    char *dh_params_file; /* DH parameters (PEM) for DHE ciphers; empty: OpenSSL's automatic ones */
    bool prefer_server_ciphers;
    bool session_caching;
    long long session_cache_size;
    long long session_cache_timeout_s;
};

/* A deep copy (dst owns its strings), and freeing one made so. */
void tls_settings_copy(struct tls_settings *dst, const struct tls_settings *src);
void tls_settings_free(struct tls_settings *s);

struct tls_ctx; /* owned by the caller: tls_ctx_destroy */

/* True for the tls-* config keys the contexts are built from: every one but tls-port,
 * tls-replication, tls-cluster and tls-handshake-timeout. Changing one at run time rebuilds the
 * contexts (docs/tls.md#certificate-reload). */
bool tls_settings_is_context_key(const char *key);
/* True when any certificate is configured (a TLS port or TLS links can work). */
bool tls_settings_have_cert(const struct tls_settings *s);
/* Build both contexts. NULL with the reason in err (a missing or bad file, a key that does not
 * match, a wrong pass phrase, an unknown protocol or cipher). */
struct tls_ctx *tls_ctx_create(const struct tls_settings *s, char *err, size_t errlen);
void tls_ctx_destroy(struct tls_ctx *t);

/* A session on a connected non-blocking socket, accepting (is_server) or connecting. NULL with
 * the reason in err. The caller owns it: tls_session_free. */
struct ssl_st *tls_session_new(struct tls_ctx *t, int fd, bool is_server, char *err, size_t errlen);
/* Step the handshake: 1 done, 0 in progress (*want_mask is LOOP_READABLE or LOOP_WRITABLE: what
 * to wait for), -1 failed with the reason in err. */
int tls_session_handshake(struct ssl_st *s, int *want_mask, char *err, size_t errlen);
/* As read(2)/write(2): bytes, 0 at the peer's close (read), -1 with errno (EAGAIN: try again on
 * the next event; EPROTO: a TLS error). Writes may be partial; a retry after EAGAIN must offer
 * at least the same bytes again (the callers retry from their unsent buffer). */
ssize_t tls_session_read(struct ssl_st *s, void *p, size_t n);
ssize_t tls_session_write(struct ssl_st *s, const void *p, size_t n);
/* Decrypted bytes already inside the session, readable without a socket event. */
size_t tls_session_pending(const struct ssl_st *s);
/* The peer certificate's subject in OpenSSL's one-line form ("/CN=..."), "" without one. */
void tls_session_peer_subject(const struct ssl_st *s, char *out, size_t outlen);
/* Send close_notify best effort (never waits) and free. NULL is fine. */
void tls_session_free(struct ssl_st *s);

#endif
