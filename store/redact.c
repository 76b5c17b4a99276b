/* redact: see redact.h. */
#include "store/redact.h"

#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "common/util.h"
#include "store/store_config.h"

/* Keys whose CONFIG SET value Redis keeps out of MONITOR and SLOWLOG (its "sensitive" configs).
 * The TLS names are not ours, but Redis redacts them and so do we: a client may send them. */
static const char *const sensitive_keys[] = {"requirepass", "masterauth", "masteruser",
                                             "tls-key-file-pass", "tls-client-key-file-pass"};

static bool key_is_sensitive(const struct resp_arg *key)
{
    for (size_t i = 0; i < ARRAY_LEN(sensitive_keys); i++)
        if (util_eq_nocase(key->ptr, key->len, sensitive_keys[i])) return true;
    char name[128];
    if (key->len >= sizeof name || memchr(key->ptr, '\0', key->len)) return false;
    memcpy(name, key->ptr, key->len);
    name[key->len] = '\0';
    const struct cfg_field *f = cfg_find(&store_config_schema, name);
    return f && (f->flags & CFG_F_SECRET);
}

/* Marks mask[i] for each secret; returns how many. */
static size_t mark_auth(size_t argc, bool *mask)
{
    if (argc < 2 || argc > 3) return 0;
    for (size_t i = 1; i < argc; i++) mask[i] = true;
    return argc - 1;
}

static size_t mark_hello(size_t argc, const struct resp_arg *argv, bool *mask)
{
    long long ver;
    if (argc < 2 || util_parse_ll(argv[1].ptr, argv[1].len, &ver) != 0 || ver < 2 || ver > 3)
        return 0;
    size_t n = 0;
    for (size_t i = 2; i < argc; i++) {
        size_t left = argc - i - 1;
        if (util_eq_nocase(argv[i].ptr, argv[i].len, "auth") && left >= 2) {
            mask[i + 1] = mask[i + 2] = true;
            n += 2;
            i += 2;
        } else if (util_eq_nocase(argv[i].ptr, argv[i].len, "setname") && left >= 1) {
            i++;
        } else {
            break;
        }
    }
    return n;
}

static size_t mark_config_set(size_t argc, const struct resp_arg *argv, bool *mask)
{
    if (argc < 4 || argc % 2 != 0 || !util_eq_nocase(argv[1].ptr, argv[1].len, "set")) return 0;
    size_t n = 0;
    for (size_t i = 2; i + 1 < argc; i += 2) {
        if (!key_is_sensitive(&argv[i])) continue;
        mask[i + 1] = true;
        n++;
    }
    return n;
}

/* ACL SETUSER: every rule after the user name (">password" among them). */
static size_t mark_acl_setuser(size_t argc, const struct resp_arg *argv, bool *mask)
{
    if (argc < 4 || !util_eq_nocase(argv[1].ptr, argv[1].len, "setuser")) return 0;
    for (size_t i = 3; i < argc; i++) mask[i] = true;
    return argc - 3;
}

static int command_kind(const struct resp_arg *name)
{
    if (util_eq_nocase(name->ptr, name->len, "auth")) return 1;
    if (util_eq_nocase(name->ptr, name->len, "hello")) return 2;
    if (util_eq_nocase(name->ptr, name->len, "config")) return 3;
    if (util_eq_nocase(name->ptr, name->len, "acl")) return 4;
    return 0;
}

const struct resp_arg *redact_view(size_t argc, const struct resp_arg *argv,
                                   struct resp_arg **scratch)
{
    *scratch = NULL;
    int kind = argc > 0 ? command_kind(&argv[0]) : 0;
    if (kind == 0) return argv;
    bool *mask = xcalloc(argc, sizeof *mask);
    size_t n = kind == 1   ? mark_auth(argc, mask)
               : kind == 2 ? mark_hello(argc, argv, mask)
               : kind == 3 ? mark_config_set(argc, argv, mask)
                           : mark_acl_setuser(argc, argv, mask);
    if (n > 0) {
        *scratch = xmalloc(argc * sizeof **scratch);
        for (size_t i = 0; i < argc; i++)
            (*scratch)[i] =
                mask[i] ? (struct resp_arg){REDACT_TEXT, sizeof REDACT_TEXT - 1} : argv[i];
    }
    free(mask);
    return n > 0 ? *scratch : argv;
}
