/* http_tls: HTTPS for the sentinel's HTTP API (docs/http-api.md#https): the PEM files handed to
 * libmicrohttpd (which does TLS through GnuTLS on Debian), and the verified subject of a client
 * certificate, which may stand in for the bearer token on POST requests when the operator
 * configured a client CA (and, optionally, the subjects allowed).
 *
 * Invariant: a subject is returned only for a certificate that GnuTLS verified against the
 * configured client CA; an unverified certificate is as good as none. */
#ifndef VIGIL_HTTP_TLS_H
#define VIGIL_HTTP_TLS_H

#include <stdbool.h>
#include <stddef.h>

struct MHD_Connection;

/* What http_server_start needs for HTTPS; NULL or a NULL cert_file: plain HTTP. */
struct http_tls_files {
    const char *cert_file, *key_file, *key_pass;
    const char *ca_file; /* client CA: clients may present a certificate it signed */
};

/* The files' contents as libmicrohttpd wants them (it keeps pointers: free after the daemon). */
struct http_tls_pem {
    char *cert, *key, *ca;
};

/* 0, or -1 with "http.tls-...: <file>: <why>" in err. */
int http_tls_load(const struct http_tls_files *f, struct http_tls_pem *out, char *err,
                  size_t errlen);
void http_tls_pem_free(struct http_tls_pem *p);
/* The certificate and key parse, the key (with its pass phrase) matches the certificate, and the
 * CA, if any, holds a certificate: what libmicrohttpd would check only when it starts. 0, or -1
 * with the reason in err. */
int http_tls_check(const struct http_tls_pem *p, const char *key_pass, char *err, size_t errlen);
/* The subject DN of the client's certificate if it verified against the client CA, else "". */
void http_tls_client_subject(struct MHD_Connection *c, char *out, size_t outlen);

#endif
