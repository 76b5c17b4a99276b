/* acl_probe: see acl_probe.h. */
#include "sentinel/core/acl_probe.h"

#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "sentinel/core/core_int.h"
#include "sentinel/core/hello.h"

const char *const acl_probe_labels[ACL_PROBE_COUNT] = {
    "MULTI", "SLAVEOF", "CONFIG REWRITE", "CLIENT KILL", "EXEC",
    "INFO",  "PUBLISH", "SUBSCRIBE",      "FAILOVER",    "VIGIL LEASE"};

/* The command lines as a failover sends them (DRYRUN checks arity too). FAILOVER: a switchover
 * hands over with FAILOVER TO. VIGIL LEASE: without it a master that enforces its lease stays
 * fenced (the test of a deployment with named users found both missing from our docs). */
static const char *const probe_args[ACL_PROBE_COUNT][8] = {
    {"MULTI"},
    {"SLAVEOF", "NO", "ONE"},
    {"CONFIG", "REWRITE"},
    {"CLIENT", "KILL", "TYPE", "normal"},
    {"EXEC"},
    {"INFO"},
    {"PUBLISH", HELLO_CHANNEL, "x"},
    {"SUBSCRIBE", HELLO_CHANNEL},
    {"FAILOVER", "ABORT"},
    {"VIGIL", "LEASE", "g", "r", "0", "0", "0", "0"},
};

static const char *probe_user(const struct instance *ri)
{
    const struct instance *master = ri->kind == INSTANCE_MASTER ? ri : ri->master;
    const char *user = master->record->params.auth_user;
    return user && user[0] ? user : "default";
}

void acl_probe_send(struct sentinel *s, struct instance *ri)
{
    /* The previous answers stand until the new ones come (a failover may read them meanwhile). */
    for (unsigned i = 0; i < ACL_PROBE_COUNT; i++) {
        const char *argv[SENTINEL_SEND_MAX_ARGS] = {"ACL", "DRYRUN", probe_user(ri)};
        int argc = 3;
        for (int k = 0; k < 8 && probe_args[i][k]; k++) argv[argc++] = probe_args[i][k];
        core_send(s, ri, argc, argv, TAG_ACL_PROBE + i);
    }
}

void acl_probe_missing_text(const struct instance *ri, char *out, size_t cap)
{
    size_t n = 0;
    out[0] = '\0';
    for (unsigned i = 0; i < ACL_PROBE_COUNT && n < cap; i++) {
        if (!(ri->acl_missing & (1u << i))) continue;
        int w = snprintf(out + n, cap - n, "%s%s", n ? ", " : "", acl_probe_labels[i]);
        if (w < 0) break;
        n += (size_t)w;
    }
}

void acl_probe_on_reply(struct sentinel *s, struct instance *ri, unsigned i,
                        const struct sentinel_reply *r)
{
    if (i >= ACL_PROBE_COUNT) return;
    uint32_t bit = 1u << i;
    if (i == 0) ri->acl_unverified[0] = '\0'; /* a new round of answers */
    if (r->type == SENTINEL_REPLY_STRING)
        ri->acl_missing |= bit; /* "This user has no permissions to ..." */
    else
        ri->acl_missing &= ~bit;
    /* A redis-server answers that it has no VIGIL command: nothing to verify there. */
    if (r->type == SENTINEL_REPLY_ERROR && ri->acl_unverified[0] == '\0' &&
        i != ACL_PROBE_VIGIL_LEASE)
        snprintf(ri->acl_unverified, sizeof(ri->acl_unverified), "%.*s",
                 (int)(r->len < 120 ? r->len : 120), r->str);
    /* Said once per change, not at every plan request that asks again. */
    if (i != ACL_PROBE_COUNT - 1 || ri->acl_missing == ri->acl_logged) return;
    ri->acl_logged = ri->acl_missing;
    if (ri->acl_missing == 0) return;
    char missing[200];
    acl_probe_missing_text(ri, missing, sizeof(missing));
    core_log(s, LOG_WARNING,
             "sentinel: user '%s' may not run %s on %s %s:%d: a failover would fail there "
             "(ACL DRYRUN)",
             probe_user(ri), missing, ri->kind == INSTANCE_MASTER ? "master" : "replica", ri->host,
             ri->port);
}
