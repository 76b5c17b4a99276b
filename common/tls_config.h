/* tls_config: the tls-* settings as config schema fields, shared by vigil-store's and
 * vigil-sentinel's schemas (both use Redis 7.0's names and meanings; docs/tls.md#settings).
 * TLS_CONFIG_FIELDS(base) expands to the cfg_field entries of a struct tls_settings embedded at
 * offset `base` of the program's config struct. */
#ifndef VIGIL_TLS_CONFIG_H
#define VIGIL_TLS_CONFIG_H

#include <limits.h>
#include <stddef.h>

#include "common/config.h"
#include "common/tls.h"

#define TLS_CONFIG_FIELDS(base)                                                                    \
    {.key = "tls-cert-file",                                                                       \
     .type = CFG_STRING,                                                                           \
     .offset = (base) + offsetof(struct tls_settings, cert_file),                                  \
     .def = "",                                                                                    \
     .help = "Server certificate (PEM chain); also the client certificate of outgoing links "      \
             "unless tls-client-cert-file is set."},                                               \
        {.key = "tls-key-file",                                                                    \
         .type = CFG_STRING,                                                                       \
         .offset = (base) + offsetof(struct tls_settings, key_file),                               \
         .def = "",                                                                                \
         .help = "Private key of tls-cert-file (PEM)."},                                           \
        {.key = "tls-key-file-pass",                                                               \
         .type = CFG_STRING,                                                                       \
         .offset = (base) + offsetof(struct tls_settings, key_file_pass),                          \
         .def = "",                                                                                \
         .flags = CFG_F_SECRET,                                                                    \
         .help = "Pass phrase of tls-key-file, if it is encrypted."},                              \
        {.key = "tls-client-cert-file",                                                            \
         .type = CFG_STRING,                                                                       \
         .offset = (base) + offsetof(struct tls_settings, client_cert_file),                       \
         .def = "",                                                                                \
         .help =                                                                                   \
             "Certificate this store presents on outgoing links (replication, sentinel links)."},  \
        {.key = "tls-client-key-file",                                                             \
         .type = CFG_STRING,                                                                       \
         .offset = (base) + offsetof(struct tls_settings, client_key_file),                        \
         .def = "",                                                                                \
         .help = "Private key of tls-client-cert-file."},                                          \
        {.key = "tls-client-key-file-pass",                                                        \
         .type = CFG_STRING,                                                                       \
         .offset = (base) + offsetof(struct tls_settings, client_key_file_pass),                   \
         .def = "",                                                                                \
         .flags = CFG_F_SECRET,                                                                    \
         .help = "Pass phrase of tls-client-key-file."},                                           \
        {.key = "tls-ca-cert-file",                                                                \
         .type = CFG_STRING,                                                                       \
         .offset = (base) + offsetof(struct tls_settings, ca_cert_file),                           \
         .def = "",                                                                                \
         .help = "CA certificates (PEM) that verify clients and masters."},                        \
        {.key = "tls-ca-cert-dir",                                                                 \
         .type = CFG_STRING,                                                                       \
         .offset = (base) + offsetof(struct tls_settings, ca_cert_dir),                            \
         .def = "",                                                                                \
         .help = "Directory of hashed CA certificates (c_rehash), instead of or with "             \
                 "tls-ca-cert-file."},                                                             \
        {.key = "tls-auth-clients",                                                                \
         .type = CFG_ENUM,                                                                         \
         .offset = (base) + offsetof(struct tls_settings, auth_clients),                           \
         .def = "yes",                                                                             \
         .enum_names = tls_auth_clients_names,                                                     \
         .help = "Clients must present a certificate the CA signed (yes), may (optional), or "     \
                 "need not "                                                                       \
                 "(no)."},                                                                         \
        {.key = "tls-protocols",                                                                   \
         .type = CFG_STRING,                                                                       \
         .offset = (base) + offsetof(struct tls_settings, protocols),                              \
         .def = "",                                                                                \
         .help = "Protocol versions allowed, e.g. \"TLSv1.2 TLSv1.3\" (empty: those two)."},       \
        {.key = "tls-ciphers",                                                                     \
         .type = CFG_STRING,                                                                       \
         .offset = (base) + offsetof(struct tls_settings, ciphers),                                \
         .def = "",                                                                                \
         .help = "TLSv1.2 cipher list, OpenSSL syntax (empty: OpenSSL's default)."},               \
        {.key = "tls-ciphersuites",                                                                \
         .type = CFG_STRING,                                                                       \
         .offset = (base) + offsetof(struct tls_settings, ciphersuites),                           \
         .def = "",                                                                                \
         .help = "TLSv1.3 cipher suites, OpenSSL syntax (empty: OpenSSL's default)."},             \
        {.key = "tls-dh-params-file",                                                              \
         .type = CFG_STRING,                                                                       \
         .offset = (base) + offsetof(struct tls_settings, dh_params_file),                         \
         .def = "",                                                                                \
         .help = "DH parameters (PEM) for the DHE ciphers of TLSv1.2 (empty: OpenSSL chooses)."},  \
        {.key = "tls-prefer-server-ciphers",                                                       \
         .type = CFG_BOOL,                                                                         \
         .offset = (base) + offsetof(struct tls_settings, prefer_server_ciphers),                  \
         .def = "no",                                                                              \
         .help = "Choose the cipher by our order rather than the client's."},                      \
        {.key = "tls-session-caching",                                                             \
         .type = CFG_BOOL,                                                                         \
         .offset = (base) + offsetof(struct tls_settings, session_caching),                        \
         .def = "yes",                                                                             \
         .help = "Let clients resume TLS sessions."},                                              \
        {.key = "tls-session-cache-size",                                                          \
         .type = CFG_INT,                                                                          \
         .offset = (base) + offsetof(struct tls_settings, session_cache_size),                     \
         .min = 0,                                                                                 \
         .max = INT_MAX,                                                                           \
         .def = "20480",                                                                           \
         .help = "Sessions kept for resumption (0: no limit)."},                                   \
    {                                                                                              \
        .key = "tls-session-cache-timeout", .type = CFG_INT,                                       \
        .offset = (base) + offsetof(struct tls_settings, session_cache_timeout_s), .min = 0,       \
        .max = INT_MAX, .def = "300", .help = "Seconds a cached session may be resumed."           \
    }

#endif
