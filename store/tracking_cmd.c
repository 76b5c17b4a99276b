/* tracking_cmd: the CLIENT subcommands of client-side caching: TRACKING, CACHING, GETREDIR,
 * TRACKINGINFO (tracking.h has the model). Their checks, error texts and reply shapes are Redis
 * 7.0's, since client libraries match on them. */
#include <stdio.h>
#include <string.h>

#include "common/reply.h"
#include "common/util.h"
#include "store/client.h"
#include "store/db.h"
#include "store/reply.h"
#include "store/tracking.h"

#define TRACKING_MAX_PREFIXES 1024 /* per command: bounds the parse, far above real use */

struct tracking_opts {
    unsigned flags;
    uint64_t redirect_id;
    struct resp_arg prefixes[TRACKING_MAX_PREFIXES];
    size_t nprefixes;
};

static bool client_exists(struct server *srv, long long id)
{
    for (struct client *c = client_first(srv); c; c = client_next(c))
        if ((long long)c->conn.id == id && !(c->conn.flags & CONN_CLOSE_ASAP)) return true;
    return false;
}

static int parse_redirect(struct client *c, const struct resp_arg *a, struct tracking_opts *o)
{
    long long id;
    if (o->redirect_id) {
        reply_error(c, "ERR A client can only redirect to a single other client");
        return -1;
    }
    if (arg_ll(c, a, &id) != 0) return -1;
    if (!client_exists(c->srv, id)) {
        reply_error(c, "ERR The client ID you want redirect to does not exist");
        return -1;
    }
    o->redirect_id = (uint64_t)id;
    return 0;
}

/* The options after ON|OFF; -1 once an error is replied. */
static int parse_options(struct client *c, struct tracking_opts *o)
{
    for (size_t j = 3; j < c->argc; j++) {
        const struct resp_arg *a = &c->argv[j];
        bool has_more = j + 1 < c->argc;
        if (db_opt_is(a, "redirect") && has_more) {
            if (parse_redirect(c, &c->argv[++j], o) != 0) return -1;
        } else if (db_opt_is(a, "bcast")) {
            o->flags |= TRACKING_BCAST;
        } else if (db_opt_is(a, "optin")) {
            o->flags |= TRACKING_OPTIN;
        } else if (db_opt_is(a, "optout")) {
            o->flags |= TRACKING_OPTOUT;
        } else if (db_opt_is(a, "noloop")) {
            o->flags |= TRACKING_NOLOOP;
        } else if (db_opt_is(a, "prefix") && has_more && o->nprefixes < TRACKING_MAX_PREFIXES) {
            o->prefixes[o->nprefixes++] = c->argv[++j];
        } else {
            reply_error(c, ERR_SYNTAX);
            return -1;
        }
    }
    return 0;
}

static bool overlaps(const char *a, size_t alen, const char *b, size_t blen)
{
    return memcmp(a, b, MIN(alen, blen)) == 0;
}

static void reply_overlap(struct client *c, const struct resp_arg *p, const char *what,
                          const char *other, size_t olen)
{
    reply_errorf(c,
                 "ERR Prefix '%.*s' overlaps with %s prefix '%.*s'. Prefixes for a single client "
                 "must not overlap.",
                 (int)p->len, p->ptr, what, (int)olen, other);
}

/* No new prefix may be a prefix of another, the client's or the other new ones. */
static bool prefixes_are_disjoint(struct client *c, const struct tracking_opts *o)
{
    const struct tracking_client *tc = c->tracking;
    for (size_t i = 0; i < o->nprefixes; i++) {
        const struct resp_arg *p = &o->prefixes[i];
        for (size_t k = 0; tc && k < tc->nprefixes; k++) {
            if (!overlaps(tc->prefixes[k], tc->prefix_lens[k], p->ptr, p->len)) continue;
            reply_overlap(c, p, "an existing", tc->prefixes[k], tc->prefix_lens[k]);
            return false;
        }
        for (size_t k = 0; k < o->nprefixes; k++) {
            if (k == i || !overlaps(o->prefixes[k].ptr, o->prefixes[k].len, p->ptr, p->len))
                continue;
            reply_overlap(c, p, "another provided", o->prefixes[k].ptr, o->prefixes[k].len);
            return false;
        }
    }
    return true;
}

/* CLIENT TRACKING ON's checks, in Redis's order; false once an error is replied. */
static bool tracking_on_allowed(struct client *c, const struct tracking_opts *o)
{
    unsigned cur = c->tracking ? c->tracking->flags : 0;
    if (!(o->flags & TRACKING_BCAST) && o->nprefixes) {
        reply_error(c, "ERR PREFIX option requires BCAST mode to be enabled");
        return false;
    }
    if (c->tracking && ((cur ^ o->flags) & TRACKING_BCAST)) {
        reply_error(c, "ERR You can't switch BCAST mode on/off before disabling tracking for "
                       "this client, and then re-enabling it with a different mode.");
        return false;
    }
    if ((o->flags & TRACKING_BCAST) && (o->flags & (TRACKING_OPTIN | TRACKING_OPTOUT))) {
        reply_error(c, "ERR OPTIN and OPTOUT are not compatible with BCAST");
        return false;
    }
    if ((o->flags & TRACKING_OPTIN) && (o->flags & TRACKING_OPTOUT)) {
        reply_error(c, "ERR You can't specify both OPTIN mode and OPTOUT mode");
        return false;
    }
    if (((o->flags & TRACKING_OPTIN) && (cur & TRACKING_OPTOUT)) ||
        ((o->flags & TRACKING_OPTOUT) && (cur & TRACKING_OPTIN))) {
        reply_error(c, "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for "
                       "this client, and then re-enabling it with a different mode.");
        return false;
    }
    return !(o->flags & TRACKING_BCAST) || prefixes_are_disjoint(c, o);
}

void tracking_cmd_tracking(struct client *c)
{
    static struct tracking_opts o; /* large; commands run one at a time on the loop */
    memset(&o, 0, sizeof o);
    if (parse_options(c, &o) != 0) return;
    if (arg_is(&c->argv[2], "on")) {
        if (!tracking_on_allowed(c, &o)) return;
        tracking_enable(c, o.flags, o.redirect_id, o.prefixes, o.nprefixes);
    } else if (arg_is(&c->argv[2], "off")) {
        tracking_disable(c);
    } else {
        reply_error(c, ERR_SYNTAX);
        return;
    }
    reply_ok(c);
}

void tracking_cmd_caching(struct client *c)
{
    struct tracking_client *tc = c->tracking;
    if (!tc) {
        reply_error(c, "ERR CLIENT CACHING can be called only when the client is in tracking "
                       "mode with OPTIN or OPTOUT mode enabled");
        return;
    }
    if (arg_is(&c->argv[2], "yes")) {
        if (!(tc->flags & TRACKING_OPTIN)) {
            reply_error(c, "ERR CLIENT CACHING YES is only valid when tracking is enabled in "
                           "OPTIN mode.");
            return;
        }
    } else if (arg_is(&c->argv[2], "no")) {
        if (!(tc->flags & TRACKING_OPTOUT)) {
            reply_error(c, "ERR CLIENT CACHING NO is only valid when tracking is enabled in "
                           "OPTOUT mode.");
            return;
        }
    } else {
        reply_error(c, ERR_SYNTAX);
        return;
    }
    tc->flags |= TRACKING_CACHING;
    reply_ok(c);
}

void tracking_cmd_getredir(struct client *c) { reply_integer(c, tracking_redirect_of(c)); }

/* The flag words of TRACKINGINFO, in Redis's order. */
static size_t trackinginfo_flags(const struct tracking_client *tc, const char *out[8])
{
    size_t n = 0;
    if (!tc) {
        out[n++] = "off";
        return n;
    }
    out[n++] = "on";
    if (tc->flags & TRACKING_BCAST) out[n++] = "bcast";
    if (tc->flags & TRACKING_OPTIN) out[n++] = "optin";
    if (tc->flags & TRACKING_OPTOUT) out[n++] = "optout";
    if (tc->flags & TRACKING_CACHING)
        out[n++] = (tc->flags & TRACKING_OPTIN) ? "caching-yes" : "caching-no";
    if (tc->flags & TRACKING_NOLOOP) out[n++] = "noloop";
    if (tc->flags & TRACKING_BROKEN_REDIR) out[n++] = "broken_redirect";
    return n;
}

void tracking_cmd_trackinginfo(struct client *c)
{
    const struct tracking_client *tc = c->tracking;
    const char *flags[8];
    size_t nflags = trackinginfo_flags(tc, flags);
    reply_map(c, 3);
    reply_bulk_str(c, "flags");
    reply_set(c, nflags);
    for (size_t i = 0; i < nflags; i++) reply_bulk_str(c, flags[i]);
    reply_bulk_str(c, "redirect");
    reply_integer(c, tracking_redirect_of(c));
    reply_bulk_str(c, "prefixes");
    size_t np = tc ? tc->nprefixes : 0;
    reply_array(c, np);
    for (size_t i = 0; i < np; i++) reply_bulk(c, tc->prefixes[i], tc->prefix_lens[i]);
}
