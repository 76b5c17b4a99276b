/* Unit tests for common/tls: the settings' checks that need no certificate files, and the copy
 * and free of settings (every string owned). */
#include <criterion/criterion.h>
#include <string.h>

#include "common/tls.h"

static char err[512];

Test(tls, no_certificate_is_an_error_naming_the_setting)
{
    struct tls_settings s = {0};
    cr_assert_null(tls_ctx_create(&s, err, sizeof err));
    cr_assert_str_eq(err, "No tls-cert-file configured");
}

Test(tls, a_ca_is_required)
{
    struct tls_settings s = {.cert_file = "/x.crt"};
    cr_assert_null(tls_ctx_create(&s, err, sizeof err));
    cr_assert(strstr(err, "tls-ca-cert-file") != NULL, "%s", err);
}

Test(tls, a_missing_certificate_file_names_the_file)
{
    struct tls_settings s = {.cert_file = "/nonexistent/x.crt", .ca_cert_dir = "/"};
    cr_assert_null(tls_ctx_create(&s, err, sizeof err));
    cr_assert(strstr(err, "Failed to load certificate: /nonexistent/x.crt") != NULL, "%s", err);
}

Test(tls, unknown_protocol_is_refused_before_any_file_is_read)
{
    struct tls_settings s = {
        .cert_file = "/nonexistent/x.crt", .ca_cert_dir = "/", .protocols = "TLSv1.2 SSLv3"};
    cr_assert_null(tls_ctx_create(&s, err, sizeof err));
    cr_assert(strstr(err, "Invalid tls-protocols 'SSLv3'") != NULL, "%s", err);
}

Test(tls, settings_copy_owns_its_strings)
{
    char cert[] = "a.crt", dh[] = "dh.pem";
    struct tls_settings src = {.cert_file = cert, .dh_params_file = dh, .session_cache_size = 7},
                        dst;
    tls_settings_copy(&dst, &src);
    cr_assert_neq(dst.cert_file, src.cert_file);
    cr_assert_str_eq(dst.cert_file, "a.crt");
    cr_assert_neq(dst.dh_params_file, src.dh_params_file);
    cr_assert_str_eq(dst.dh_params_file, "dh.pem");
    cr_assert_null(dst.key_file);
    cr_assert_eq(dst.session_cache_size, 7);
    tls_settings_free(&dst);
    cr_assert_null(dst.cert_file);
    cr_assert_null(dst.dh_params_file);
}
