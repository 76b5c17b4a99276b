/* redact: the one place that decides which arguments of a command are secrets, so that MONITOR
 * and SLOWLOG (both call redact_view) show "(redacted)" where Redis 7.0 does, byte for byte:
 *
 *   AUTH <pass> / AUTH <user> <pass>            every argument after the name (not when a syntax
 *                                               error, more than two arguments, stopped AUTH)
 *   HELLO <ver> ... AUTH <user> <pass> ...      user and password of each AUTH option read
 *                                               before the options end or go wrong (nothing when
 *                                               the version is refused)
 *   CONFIG SET <key> <value> ...                the value of every sensitive key (requirepass,
 *                                               masterauth, masteruser, Redis's TLS key
 *                                               passphrases, and any CFG_F_SECRET key), in any
 *                                               case, even when the command fails; nothing when
 *                                               the pairs do not pair up
 *
 * The rules follow how far each command reads its arguments, found by experiment against
 * redis-server 7.0; they need only argv, so the decision is pure. */
#ifndef VIGIL_STORE_REDACT_H
#define VIGIL_STORE_REDACT_H

#include <stdbool.h>
#include <stddef.h>

#include "common/resp.h"

#define REDACT_TEXT "(redacted)"

/* The arguments to show for a command: argv itself when it carries no secret; else a copy,
 * allocated into *scratch (the caller frees it; NULL when nothing was allocated), in which each
 * secret points at REDACT_TEXT. Non-secret arguments still point into argv. */
const struct resp_arg *redact_view(size_t argc, const struct resp_arg *argv,
                                   struct resp_arg **scratch);

#endif
