/* http_tls: see http_tls.h. */
#include "sentinel/http/http_tls.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <microhttpd.h>

#include "common/util.h"

#define PEM_MAX_BYTES (1 << 20) /* a certificate chain or key file larger than this is a mistake */

static char *read_pem(const char *key, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "http.%s: %s: %s", key, path, strerror(errno));
        return NULL;
    }
    char *data = xmalloc(PEM_MAX_BYTES + 1);
    size_t n = fread(data, 1, PEM_MAX_BYTES + 1, f);
    fclose(f);
    if (n == 0 || n > PEM_MAX_BYTES) {
        snprintf(err, errlen, "http.%s: %s: %s", key, path, n ? "too large" : "empty");
        free(data);
        return NULL;
    }
    data[n] = '\0';
    return data;
}

int http_tls_load(const struct http_tls_files *f, struct http_tls_pem *out, char *err,
                  size_t errlen)
{
    memset(out, 0, sizeof(*out));
    if (!f->key_file || !f->key_file[0]) {
        snprintf(err, errlen, "http.tls-key-file is required with http.tls-cert-file");
        return -1;
    }
    out->cert = read_pem("tls-cert-file", f->cert_file, err, errlen);
    if (out->cert) out->key = read_pem("tls-key-file", f->key_file, err, errlen);
    if (out->key && f->ca_file && f->ca_file[0])
        out->ca = read_pem("tls-ca-cert-file", f->ca_file, err, errlen);
    if (!out->key || (f->ca_file && f->ca_file[0] && !out->ca)) {
        http_tls_pem_free(out);
        return -1;
    }
    return 0;
}

void http_tls_pem_free(struct http_tls_pem *p)
{
    free(p->cert);
    free(p->key);
    free(p->ca);
    memset(p, 0, sizeof(*p));
}

static gnutls_datum_t datum(char *pem)
{
    return (gnutls_datum_t){(unsigned char *)pem, (unsigned)strlen(pem)};
}

int http_tls_check(const struct http_tls_pem *p, const char *key_pass, char *err, size_t errlen)
{
    gnutls_certificate_credentials_t cred;
    if (gnutls_certificate_allocate_credentials(&cred) != GNUTLS_E_SUCCESS) {
        snprintf(err, errlen, "http: out of memory checking the certificate");
        return -1;
    }
    gnutls_datum_t cert = datum(p->cert), key = datum(p->key);
    /* GnuTLS refuses a key that does not match its certificate (CERTIFICATE_KEY_MISMATCH). */
    int rc = gnutls_certificate_set_x509_key_mem2(cred, &cert, &key, GNUTLS_X509_FMT_PEM,
                                                  key_pass && key_pass[0] ? key_pass : NULL, 0);
    if (rc < 0) snprintf(err, errlen, "http.tls-cert-file/tls-key-file: %s", gnutls_strerror(rc));
    if (rc >= 0 && p->ca) {
        gnutls_datum_t ca = datum(p->ca);
        int n = gnutls_certificate_set_x509_trust_mem(cred, &ca, GNUTLS_X509_FMT_PEM);
        if (n <= 0) {
            snprintf(err, errlen, "http.tls-ca-cert-file: %s",
                     n < 0 ? gnutls_strerror(n) : "no certificate in it");
            rc = -1;
        }
    }
    gnutls_certificate_free_credentials(cred);
    return rc < 0 ? -1 : 0;
}

void http_tls_client_subject(struct MHD_Connection *c, char *out, size_t outlen)
{
    out[0] = '\0';
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    if (!ci || !ci->tls_session) return;
    gnutls_session_t s = (gnutls_session_t)ci->tls_session;
    unsigned status = 0;
    /* Verified against the trust list libmicrohttpd loaded from http.tls-ca-cert-file. */
    if (gnutls_certificate_verify_peers2(s, &status) != GNUTLS_E_SUCCESS || status != 0) return;
    unsigned n = 0;
    const gnutls_datum_t *chain = gnutls_certificate_get_peers(s, &n);
    gnutls_x509_crt_t crt;
    if (!chain || n == 0 || gnutls_x509_crt_init(&crt) != GNUTLS_E_SUCCESS) return;
    size_t len = outlen;
    if (gnutls_x509_crt_import(crt, &chain[0], GNUTLS_X509_FMT_DER) != GNUTLS_E_SUCCESS ||
        gnutls_x509_crt_get_dn(crt, out, &len) != GNUTLS_E_SUCCESS)
        out[0] = '\0';
    gnutls_x509_crt_deinit(crt);
}
