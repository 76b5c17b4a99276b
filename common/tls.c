/* tls: see tls.h. OpenSSL contexts built from the operator's settings, and non-blocking sessions
 * that read and write like sockets. */
#include "common/tls.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "common/loop.h"
#include "common/util.h"

const char *const tls_auth_clients_names[] = {"no", "yes", "optional", NULL};

struct tls_ctx {
    SSL_CTX *server, *client;
};

static bool is_set(const char *s) { return s && s[0]; }

bool tls_settings_have_cert(const struct tls_settings *s)
{
    return is_set(s->cert_file) || is_set(s->client_cert_file);
}

bool tls_settings_is_context_key(const char *key)
{
    static const char *const not_context[] = {"tls-port", "tls-replication", "tls-cluster",
                                              "tls-handshake-timeout"};
    if (strncasecmp(key, "tls-", 4) != 0) return false;
    for (size_t i = 0; i < ARRAY_LEN(not_context); i++)
        if (strcasecmp(key, not_context[i]) == 0) return false;
    return true;
}

/* Every string member, for copying and freeing alike. */
#define TLS_STRINGS 12
static void tls_settings_strings(struct tls_settings *s, char **out[TLS_STRINGS])
{
    char **all[TLS_STRINGS] = {
        &s->cert_file,        &s->key_file,        &s->key_file_pass,
        &s->client_cert_file, &s->client_key_file, &s->client_key_file_pass,
        &s->ca_cert_file,     &s->ca_cert_dir,     &s->protocols,
        &s->ciphers,          &s->ciphersuites,    &s->dh_params_file,
    };
    memcpy(out, all, sizeof all);
}

void tls_settings_copy(struct tls_settings *dst, const struct tls_settings *src)
{
    *dst = *src;
    char **p[TLS_STRINGS];
    tls_settings_strings(dst, p);
    for (size_t i = 0; i < TLS_STRINGS; i++)
        if (*p[i]) *p[i] = xstrdup(*p[i]);
}

void tls_settings_free(struct tls_settings *s)
{
    char **p[TLS_STRINGS];
    tls_settings_strings(s, p);
    for (size_t i = 0; i < TLS_STRINGS; i++) {
        free(*p[i]);
        *p[i] = NULL;
    }
}

/* "what: the first OpenSSL error", then the queue is emptied. */
static void tls_error(char *err, size_t errlen, const char *what)
{
    unsigned long e = ERR_get_error();
    char detail[256] = "unknown error";
    if (e) ERR_error_string_n(e, detail, sizeof detail);
    snprintf(err, errlen, "%s: %s", what, detail);
    ERR_clear_error();
}

/* "TLSv1.2 TLSv1.3" -> the lowest and highest versions; -1 on an unknown word. */
static int tls_parse_protocols(const char *text, int *min_v, int *max_v, char *err, size_t errlen)
{
    static const struct {
        const char *name;
        int version;
    } names[] = {{"TLSv1", TLS1_VERSION},
                 {"TLSv1.1", TLS1_1_VERSION},
                 {"TLSv1.2", TLS1_2_VERSION},
                 {"TLSv1.3", TLS1_3_VERSION}};
    *min_v = TLS1_2_VERSION; /* Redis's default: TLSv1.2 and TLSv1.3 */
    *max_v = TLS1_3_VERSION;
    if (!is_set(text)) return 0;
    char copy[256], *save = NULL;
    snprintf(copy, sizeof copy, "%s", text);
    int lo = 0, hi = 0;
    for (char *w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
        size_t i = 0;
        while (i < ARRAY_LEN(names) && strcasecmp(w, names[i].name) != 0) i++;
        if (i == ARRAY_LEN(names)) {
            snprintf(err, errlen,
                     "Invalid tls-protocols '%s': use TLSv1, TLSv1.1, TLSv1.2 and TLSv1.3", w);
            return -1;
        }
        if (!lo || names[i].version < lo) lo = names[i].version;
        if (names[i].version > hi) hi = names[i].version;
    }
    if (lo) *min_v = lo;
    if (hi) *max_v = hi;
    return 0;
}

/* The settings both contexts share: protocols, ciphers, the CA, no renegotiation. */
static int tls_ctx_common(SSL_CTX *ctx, const struct tls_settings *s, char *err, size_t errlen)
{
    int min_v, max_v;
    if (tls_parse_protocols(s->protocols, &min_v, &max_v, err, errlen) != 0) return -1;
    SSL_CTX_set_min_proto_version(ctx, min_v);
    SSL_CTX_set_max_proto_version(ctx, max_v);
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_IGNORE_UNEXPECTED_EOF |
                                 SSL_OP_NO_COMPRESSION);
    /* Partial writes, and a retry may come from a buffer that moved (our reply buffers grow). */
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                              SSL_MODE_RELEASE_BUFFERS);
    if (is_set(s->ciphers) && !SSL_CTX_set_cipher_list(ctx, s->ciphers)) {
        tls_error(err, errlen, "Failed to configure tls-ciphers");
        return -1;
    }
    if (is_set(s->ciphersuites) && !SSL_CTX_set_ciphersuites(ctx, s->ciphersuites)) {
        tls_error(err, errlen, "Failed to configure tls-ciphersuites");
        return -1;
    }
    if (is_set(s->ca_cert_file) || is_set(s->ca_cert_dir)) {
        const char *file = is_set(s->ca_cert_file) ? s->ca_cert_file : NULL;
        const char *dir = is_set(s->ca_cert_dir) ? s->ca_cert_dir : NULL;
        if (SSL_CTX_load_verify_locations(ctx, file, dir) != 1) {
            tls_error(err, errlen, "Failed to load the CA certificate(s)");
            return -1;
        }
    }
    return 0;
}

/* Load a certificate chain and its key (with an optional pass phrase) and check they match. */
static int tls_ctx_load_pair(SSL_CTX *ctx, const char *cert, const char *key, const char *pass,
                             char *err, size_t errlen)
{
    char what[512];
    SSL_CTX_set_default_passwd_cb_userdata(ctx, (void *)(pass ? pass : ""));
    if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
        snprintf(what, sizeof what, "Failed to load certificate: %s", cert);
        tls_error(err, errlen, what);
        return -1;
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, is_set(key) ? key : cert, SSL_FILETYPE_PEM) != 1) {
        snprintf(what, sizeof what, "Failed to load private key: %s", is_set(key) ? key : cert);
        tls_error(err, errlen, what);
        return -1;
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
        tls_error(err, errlen, "The private key does not match the certificate");
        return -1;
    }
    return 0;
}

/* The DH group of DHE ciphers (TLSv1.2 and older): the operator's parameters, or OpenSSL's
 * automatic choice (sized to the certificate's key) as redis-server 7.0 with OpenSSL 3 does. */
static int tls_ctx_load_dh(SSL_CTX *ctx, const char *file, char *err, size_t errlen)
{
    if (!is_set(file)) {
        SSL_CTX_set_dh_auto(ctx, 1);
        return 0;
    }
    char what[512];
    snprintf(what, sizeof what, "Failed to load DH parameters (tls-dh-params-file): %s", file);
    BIO *in = BIO_new_file(file, "r");
    EVP_PKEY *dh = in ? PEM_read_bio_Parameters(in, NULL) : NULL;
    BIO_free(in);
    if (!dh) { /* a missing file, or no PEM parameters in it */
        tls_error(err, errlen, what);
        return -1;
    }
    if (!EVP_PKEY_is_a(dh, "DH") && !EVP_PKEY_is_a(dh, "DHX")) {
        snprintf(err, errlen, "%s: %s parameters, not DH", what, EVP_PKEY_get0_type_name(dh));
        EVP_PKEY_free(dh);
        return -1;
    }
    if (SSL_CTX_set0_tmp_dh_pkey(ctx, dh) != 1) { /* too small for the security level */
        EVP_PKEY_free(dh);
        tls_error(err, errlen, what);
        return -1;
    }
    return 0; /* ctx owns dh */
}

static SSL_CTX *tls_ctx_server(const struct tls_settings *s, char *err, size_t errlen)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx) {
        tls_error(err, errlen, "Failed to create the server TLS context");
        return NULL;
    }
    if (tls_ctx_common(ctx, s, err, errlen) != 0 ||
        tls_ctx_load_pair(ctx, s->cert_file, s->key_file, s->key_file_pass, err, errlen) != 0 ||
        tls_ctx_load_dh(ctx, s->dh_params_file, err, errlen) != 0) {
        SSL_CTX_free(ctx);
        return NULL;
    }
    if (s->prefer_server_ciphers) SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE);
    int verify = s->auth_clients == TLS_AUTH_YES ? SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT
                 : s->auth_clients == TLS_AUTH_OPTIONAL ? SSL_VERIFY_PEER
                                                        : SSL_VERIFY_NONE;
    SSL_CTX_set_verify(ctx, verify, NULL);
    static const unsigned char sid_ctx[] = "vigil";
    SSL_CTX_set_session_id_context(ctx, sid_ctx, sizeof sid_ctx - 1);
    if (s->session_caching) {
        SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
        SSL_CTX_sess_set_cache_size(ctx, s->session_cache_size > 0 ? s->session_cache_size : 0);
        SSL_CTX_set_timeout(ctx, s->session_cache_timeout_s > 0 ? s->session_cache_timeout_s : 1);
    } else {
        SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
        SSL_CTX_set_num_tickets(ctx, 0);
        SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
    }
    return ctx;
}

/* Outgoing links: the client certificate (or the server's), and the peer verified by the CA. */
static SSL_CTX *tls_ctx_client(const struct tls_settings *s, char *err, size_t errlen)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx) {
        tls_error(err, errlen, "Failed to create the client TLS context");
        return NULL;
    }
    const bool own = is_set(s->client_cert_file);
    const char *cert = own ? s->client_cert_file : s->cert_file;
    const char *key = own ? s->client_key_file : s->key_file;
    const char *pass = own ? s->client_key_file_pass : s->key_file_pass;
    if (tls_ctx_common(ctx, s, err, errlen) != 0 ||
        (is_set(cert) && tls_ctx_load_pair(ctx, cert, key, pass, err, errlen) != 0)) {
        SSL_CTX_free(ctx);
        return NULL;
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    return ctx;
}

struct tls_ctx *tls_ctx_create(const struct tls_settings *s, char *err, size_t errlen)
{
    ERR_clear_error();
    if (!is_set(s->cert_file) && !is_set(s->client_cert_file)) {
        snprintf(err, errlen, "No tls-cert-file configured");
        return NULL;
    }
    if (!is_set(s->ca_cert_file) && !is_set(s->ca_cert_dir)) {
        snprintf(err, errlen, "Either tls-ca-cert-file or tls-ca-cert-dir must be specified");
        return NULL;
    }
    struct tls_ctx *t = xcalloc(1, sizeof *t);
    if (is_set(s->cert_file) && !(t->server = tls_ctx_server(s, err, errlen))) {
        tls_ctx_destroy(t);
        return NULL;
    }
    if (!(t->client = tls_ctx_client(s, err, errlen))) {
        tls_ctx_destroy(t);
        return NULL;
    }
    return t;
}

void tls_ctx_destroy(struct tls_ctx *t)
{
    if (!t) return;
    SSL_CTX_free(t->server); /* sessions made from them hold their own references */
    SSL_CTX_free(t->client);
    free(t);
}

SSL *tls_session_new(struct tls_ctx *t, int fd, bool is_server, char *err, size_t errlen)
{
    SSL_CTX *ctx = is_server ? t->server : t->client;
    if (!ctx) {
        snprintf(err, errlen, "No tls-cert-file configured for accepting TLS");
        return NULL;
    }
    ERR_clear_error();
    SSL *s = SSL_new(ctx);
    if (!s || SSL_set_fd(s, fd) != 1) {
        tls_error(err, errlen, "Failed to create a TLS session");
        SSL_free(s);
        return NULL;
    }
    if (is_server)
        SSL_set_accept_state(s);
    else
        SSL_set_connect_state(s);
    return s;
}

int tls_session_handshake(SSL *s, int *want_mask, char *err, size_t errlen)
{
    ERR_clear_error();
    int rc = SSL_do_handshake(s);
    if (rc == 1) return 1;
    int e = SSL_get_error(s, rc);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        *want_mask = e == SSL_ERROR_WANT_READ ? LOOP_READABLE : LOOP_WRITABLE;
        return 0;
    }
    if (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) {
        snprintf(err, errlen, "%s", errno ? strerror(errno) : "connection closed");
        return -1;
    }
    long verify = SSL_get_verify_result(s);
    if (verify != X509_V_OK) {
        snprintf(err, errlen, "certificate verification failed: %s",
                 X509_verify_cert_error_string(verify));
        ERR_clear_error();
        return -1;
    }
    tls_error(err, errlen, "TLS handshake failed");
    return -1;
}

/* One SSL_read or SSL_write outcome mapped to read(2)/write(2) semantics. */
static ssize_t tls_session_result(SSL *s, int rc)
{
    if (rc > 0) return rc;
    int e = SSL_get_error(s, rc);
    switch (e) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
        errno = EAGAIN;
        return -1;
    case SSL_ERROR_ZERO_RETURN:
        return 0;
    case SSL_ERROR_SYSCALL:
        if (ERR_peek_error() == 0) {
            if (errno == 0) return 0; /* EOF without close_notify */
            return -1;
        }
        /* fall through */
    default:
        ERR_clear_error();
        errno = EPROTO;
        return -1;
    }
}

ssize_t tls_session_read(SSL *s, void *p, size_t n)
{
    ERR_clear_error();
    errno = 0;
    return tls_session_result(s, SSL_read(s, p, (int)MIN(n, (size_t)INT32_MAX)));
}

ssize_t tls_session_write(SSL *s, const void *p, size_t n)
{
    if (n == 0) return 0;
    ERR_clear_error();
    errno = 0;
    return tls_session_result(s, SSL_write(s, p, (int)MIN(n, (size_t)INT32_MAX)));
}

size_t tls_session_pending(const SSL *s) { return (size_t)SSL_pending(s); }

void tls_session_peer_subject(const SSL *s, char *out, size_t outlen)
{
    out[0] = '\0';
    X509 *cert = SSL_get1_peer_certificate(s);
    if (!cert) return;
    X509_NAME_oneline(X509_get_subject_name(cert), out, (int)outlen);
    X509_free(cert);
}

void tls_session_free(SSL *s)
{
    if (!s) return;
    ERR_clear_error();
    if (SSL_is_init_finished(s)) SSL_shutdown(s); /* one non-blocking try: close_notify */
    ERR_clear_error();
    SSL_free(s);
}
