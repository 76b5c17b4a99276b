/* cmd_geo_search: the geo searches: GEOSEARCH and GEOSEARCHSTORE (FROMMEMBER|FROMLONLAT,
 * BYRADIUS|BYBOX, ASC|DESC, COUNT [ANY], WITHCOORD WITHDIST WITHHASH, STOREDIST), and the older
 * GEORADIUS, GEORADIUSBYMEMBER and their _RO forms (STORE, STOREDIST).
 *
 * One engine serves all six, with Redis 7.0's parsing order (so the same input gets the same
 * error): the source key's type first, then the command's fixed centre and radius, then the
 * options one by one, then the checks across options. A search scans up to 9 geohash cells
 * (geohash.h) in score order and keeps the points inside the shape; unsorted results come in
 * that scan order, as Redis's do. COUNT without ANY sorts by distance (ascending by default);
 * ANY stops the scan at COUNT points. STORE/GEOSEARCHSTORE write a sorted set of the points
 * with their geohash (or, with STOREDIST, their distance in the unit asked) as scores, or
 * delete the destination when nothing is found.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "store/client.h"
#include "store/cmd/cmd_geo_int.h"
#include "store/command.h"
#include "store/data/geohash.h"
#include "store/db.h"
#include "store/notify.h"
#include "store/reply.h"

#define ERR_DECODE_MEMBER "ERR could not decode requested zset member"

enum {
    GEO_BY_COORDS = 1 << 0, /* GEORADIUS: centre and radius are fixed arguments */
    GEO_BY_MEMBER = 1 << 1, /* GEORADIUSBYMEMBER */
    GEO_SEARCH = 1 << 2,    /* GEOSEARCH: FROM... and BY... options */
    GEO_SEARCH_STORE = 1 << 3,
    GEO_NO_STORE = 1 << 4, /* the _RO forms */
};
enum geo_sort { GEO_SORT_NONE, GEO_SORT_ASC, GEO_SORT_DESC };

struct geo_req {
    unsigned flags;
    struct obj_zset *z; /* NULL: the source key does not exist */
    struct geo_shape shape;
    const struct resp_arg *store;
    bool storedist, withdist, withhash, withcoord, any;
    bool from_member, from_lonlat, by_radius, by_box;
    enum geo_sort sort;
    long long count; /* 0: all */
};

struct geo_point {
    double lon, lat, dist_m, score;
    const char *member; /* borrowed from the source set */
    size_t len;
};

struct geo_points {
    struct geo_point *p;
    size_t n, cap;
};

/* ---- parsing ----------------------------------------------------------------------------- */

/* "need numeric radius": argv[0] a non-negative number, argv[1] a unit. */
static int parse_radius(struct client *c, const struct resp_arg *argv, struct geo_shape *s)
{
    if (util_parse_double(argv[0].ptr, argv[0].len, &s->radius) != 0) {
        reply_error(c, "ERR need numeric radius");
        return -1;
    }
    if (s->radius < 0) {
        reply_error(c, "ERR radius cannot be negative");
        return -1;
    }
    s->kind = GEO_SHAPE_RADIUS;
    return geo_parse_unit(c, &argv[1], &s->to_meters);
}

static int parse_box(struct client *c, const struct resp_arg *argv, struct geo_shape *s)
{
    if (util_parse_double(argv[0].ptr, argv[0].len, &s->width) != 0) {
        reply_error(c, "ERR need numeric width");
        return -1;
    }
    if (util_parse_double(argv[1].ptr, argv[1].len, &s->height) != 0) {
        reply_error(c, "ERR need numeric height");
        return -1;
    }
    if (s->height < 0 || s->width < 0) {
        reply_error(c, "ERR height or width cannot be negative");
        return -1;
    }
    s->kind = GEO_SHAPE_BOX;
    return geo_parse_unit(c, &argv[2], &s->to_meters);
}

/* FROMMEMBER m: the member's position (the source key may be missing: checked later). */
static int parse_from_member(struct client *c, struct geo_req *r, const struct resp_arg *m)
{
    double xy[2];
    r->from_member = true;
    if (!r->z) return 0;
    if (!geo_member_coords(r->z, m, xy)) {
        reply_error(c, ERR_DECODE_MEMBER);
        return -1;
    }
    r->shape.lon = xy[0];
    r->shape.lat = xy[1];
    return 0;
}

/* The option at argv[i]: 0 with *used set to the arguments it took, or -1 after replying. */
static int parse_option(struct client *c, struct geo_req *r, size_t i, size_t *used)
{
    const struct resp_arg *a = &c->argv[i];
    size_t left = c->argc - i - 1; /* arguments after this one */
    bool search = r->flags & GEO_SEARCH, can_store = !(r->flags & (GEO_NO_STORE | GEO_SEARCH));
    *used = 1;
    if (arg_is(a, "withdist"))
        r->withdist = true;
    else if (arg_is(a, "withhash"))
        r->withhash = true;
    else if (arg_is(a, "withcoord"))
        r->withcoord = true;
    else if (arg_is(a, "any"))
        r->any = true;
    else if (arg_is(a, "asc"))
        r->sort = GEO_SORT_ASC;
    else if (arg_is(a, "desc"))
        r->sort = GEO_SORT_DESC;
    else if (arg_is(a, "count") && left >= 1) {
        if (arg_ll(c, &a[1], &r->count) != 0) return -1;
        if (r->count <= 0) {
            reply_error(c, "ERR COUNT must be > 0");
            return -1;
        }
        *used = 2;
    } else if ((arg_is(a, "store") || arg_is(a, "storedist")) && left >= 1 && can_store) {
        r->store = &a[1];
        r->storedist = arg_is(a, "storedist");
        *used = 2;
    } else if (arg_is(a, "storedist") && (r->flags & GEO_SEARCH_STORE)) {
        r->storedist = true;
    } else if (arg_is(a, "frommember") && left >= 1 && search && !r->from_lonlat) {
        *used = 2;
        return parse_from_member(c, r, &a[1]);
    } else if (arg_is(a, "fromlonlat") && left >= 2 && search && !r->from_member) {
        r->from_lonlat = true;
        *used = 3;
        return geo_parse_lonlat(c, &a[1], &r->shape.lon, &r->shape.lat);
    } else if (arg_is(a, "byradius") && left >= 2 && search && !r->by_box) {
        r->by_radius = true;
        *used = 3;
        return parse_radius(c, &a[1], &r->shape);
    } else if (arg_is(a, "bybox") && left >= 3 && search && !r->by_radius) {
        r->by_box = true;
        *used = 4;
        return parse_box(c, &a[1], &r->shape);
    } else {
        reply_error(c, ERR_SYNTAX);
        return -1;
    }
    return 0;
}

/* The checks across options, in Redis's order. */
static int check_options(struct client *c, const struct geo_req *r)
{
    const struct resp_arg *name = &c->argv[0];
    if (r->store && (r->withdist || r->withhash || r->withcoord)) {
        reply_errorf(c, "ERR %s is not compatible with WITHDIST, WITHHASH and WITHCOORD options",
                     (r->flags & GEO_SEARCH_STORE) ? "GEOSEARCHSTORE"
                                                   : "STORE option in GEORADIUS");
        return -1;
    }
    if ((r->flags & GEO_SEARCH) && !(r->from_member || r->from_lonlat)) {
        reply_errorf(c, "ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for %.*s",
                     (int)name->len, name->ptr);
        return -1;
    }
    if ((r->flags & GEO_SEARCH) && !(r->by_radius || r->by_box)) {
        reply_errorf(c, "ERR exactly one of BYRADIUS and BYBOX can be specified for %.*s",
                     (int)name->len, name->ptr);
        return -1;
    }
    if (r->any && !r->count) {
        reply_error(c, "ERR the ANY argument requires COUNT argument");
        return -1;
    }
    return 0;
}

/* The fixed arguments of GEORADIUS / GEORADIUSBYMEMBER; *first_opt the first option. */
static int parse_fixed(struct client *c, struct geo_req *r, size_t *first_opt)
{
    if (r->flags & GEO_BY_COORDS) {
        *first_opt = 6;
        if (geo_parse_lonlat(c, &c->argv[2], &r->shape.lon, &r->shape.lat) != 0) return -1;
        return parse_radius(c, &c->argv[4], &r->shape);
    }
    if (r->flags & GEO_BY_MEMBER) {
        *first_opt = 5;
        if (!r->z) return 0; /* parse the options anyway: the reply depends on STORE */
        double xy[2];
        if (!geo_member_coords(r->z, &c->argv[2], xy)) {
            reply_error(c, ERR_DECODE_MEMBER);
            return -1;
        }
        r->shape.lon = xy[0];
        r->shape.lat = xy[1];
        return parse_radius(c, &c->argv[3], &r->shape);
    }
    *first_opt = (r->flags & GEO_SEARCH_STORE) ? 3 : 2;
    if (r->flags & GEO_SEARCH_STORE) r->store = &c->argv[1];
    return 0;
}

/* ---- the scan ---------------------------------------------------------------------------- */

static void points_add(struct geo_points *pts, const struct geo_point *p)
{
    if (pts->n == pts->cap) {
        pts->cap = pts->cap ? pts->cap * 2 : 16;
        pts->p = xrealloc(pts->p, pts->cap * sizeof *pts->p);
    }
    pts->p[pts->n++] = *p;
}

/* The members of one cell (scores in [cell start, next cell start)) inside the shape. Stops at
 * limit points in all (0: no limit). */
static void scan_cell(const struct geo_req *r, const struct geo_cell *cell, struct geo_points *pts,
                      size_t limit)
{
    int shift = (GEO_STEP_MAX - cell->step) * 2;
    struct zrange_score range = {(double)(cell->bits << shift), (double)((cell->bits + 1) << shift),
                                 false, true};
    struct obj_zset_iter it;
    struct obj_zset_entry e;
    obj_zset_iter_score(&it, r->z, &range, false, 0);
    while (obj_zset_iter_next(&it, &e)) {
        struct geo_point p = {.score = e.score, .member = e.member, .len = e.len};
        double xy[2];
        geohash_decode_score(e.score, xy);
        p.lon = xy[0];
        p.lat = xy[1];
        if (geo_shape_contains(&r->shape, p.lon, p.lat, &p.dist_m)) points_add(pts, &p);
        if (limit && pts->n >= limit) return;
    }
}

static void scan_cells(const struct geo_req *r, struct geo_points *pts)
{
    struct geo_cell cells[GEO_SEARCH_CELLS];
    geo_search_cells(&r->shape, cells);
    size_t limit = r->any ? (size_t)r->count : 0;
    int last = 0;
    for (int i = 0; i < GEO_SEARCH_CELLS; i++) {
        if (geo_cell_is_none(&cells[i])) continue;
        /* Near the poles or with huge radii neighbours coincide: a cell equal to the one
         * scanned last is skipped (Redis never compares with the centre, index 0). */
        if (last && cells[i].bits == cells[last].bits && cells[i].step == cells[last].step)
            continue;
        if (limit && pts->n >= limit) break;
        scan_cell(r, &cells[i], pts, limit);
        last = i;
    }
}

static int cmp_dist_asc(const void *a, const void *b)
{
    double x = ((const struct geo_point *)a)->dist_m, y = ((const struct geo_point *)b)->dist_m;
    return x > y ? 1 : x == y ? 0 : -1;
}

static int cmp_dist_desc(const void *a, const void *b) { return -cmp_dist_asc(a, b); }

/* ---- replies and storing ----------------------------------------------------------------- */

static long long score_as_ll(double score)
{
    return score >= -9.2e18 && score <= 9.2e18 ? (long long)score : 0;
}

static void reply_points(struct client *c, const struct geo_req *r, struct geo_points *pts,
                         size_t n)
{
    size_t extra = (size_t)r->withdist + r->withhash + r->withcoord;
    reply_array(c, n);
    for (size_t i = 0; i < n; i++) {
        const struct geo_point *p = &pts->p[i];
        if (extra) reply_array(c, extra + 1);
        reply_bulk(c, p->member, p->len);
        if (r->withdist) geo_reply_distance(c, p->dist_m / r->shape.to_meters);
        if (r->withhash) reply_integer(c, score_as_ll(p->score));
        if (r->withcoord) {
            reply_array(c, 2);
            geo_reply_coord(c, p->lon);
            geo_reply_coord(c, p->lat);
        }
    }
}

/* Delete the destination (an empty result, or a missing source): Redis's "del" event. */
static void store_delete(struct client *c, const struct resp_arg *dst)
{
    bool existed = db_lookup_write(c, dst) != NULL;
    if (existed && ks_delete(db_ks(c), dst->ptr, dst->len)) {
        db_key_modified(c, dst);
        notify_keyspace_event(c->srv, NOTIFY_GENERIC, "del", dst->ptr, dst->len, c->db);
        c->srv->dirty++;
    }
}

static void store_points(struct client *c, const struct geo_req *r, const struct geo_points *pts,
                         size_t n)
{
    const struct resp_arg *dst = r->store;
    if (n == 0) {
        store_delete(c, dst);
        reply_integer(c, 0);
        return;
    }
    struct obj_zset_limits lim = {(size_t)c->srv->cfg.zset_max_listpack_entries,
                                  (size_t)c->srv->cfg.zset_max_listpack_value};
    size_t longest = 0;
    for (size_t i = 0; i < n; i++) longest = pts->p[i].len > longest ? pts->p[i].len : longest;
    struct obj_zset *z = obj_zset_create_hint(n, longest, &lim);
    for (size_t i = 0; i < n; i++) {
        const struct geo_point *p = &pts->p[i];
        double score = r->storedist ? p->dist_m / r->shape.to_meters : p->score;
        int out;
        double ns;
        obj_zset_add(z, score, p->member, p->len, 0, &out, &ns, &lim);
    }
    obj_zset_convert_if_small(z, &lim);
    db_lookup_write(c, dst); /* an expired destination goes first */
    ks_set_obj(db_ks(c), dst->ptr, dst->len, &obj_zset_ops, z, 0);
    db_key_modified(c, dst);
    notify_keyspace_event(c->srv, NOTIFY_ZSET,
                          (r->flags & GEO_SEARCH) ? "geosearchstore" : "georadiusstore", dst->ptr,
                          dst->len, c->db);
    c->srv->dirty += (long long)n;
    reply_integer(c, (long long)n);
}

/* ---- the command ------------------------------------------------------------------------- */

static void geo_search_run(struct client *c, struct geo_req *r)
{
    if (r->count && r->sort == GEO_SORT_NONE && !r->any) r->sort = GEO_SORT_ASC;
    struct geo_points pts = {0};
    scan_cells(r, &pts);
    if (pts.n == 0 && !r->store) {
        reply_empty_array(c);
        return;
    }
    size_t n = r->count && (size_t)r->count < pts.n ? (size_t)r->count : pts.n;
    if (r->sort != GEO_SORT_NONE)
        qsort(pts.p, pts.n, sizeof *pts.p, r->sort == GEO_SORT_ASC ? cmp_dist_asc : cmp_dist_desc);
    if (r->store)
        store_points(c, r, &pts, n);
    else
        reply_points(c, r, &pts, n);
    free(pts.p);
}

static void geo_search_generic(struct client *c, size_t src_idx, unsigned flags)
{
    struct geo_req r = {.flags = flags};
    bool err;
    r.z = geo_get(c, &c->argv[src_idx], &err);
    if (err) return;
    size_t i;
    if (parse_fixed(c, &r, &i) != 0) return;
    while (i < c->argc) {
        size_t used;
        if (parse_option(c, &r, i, &used) != 0) return;
        i += used;
    }
    if (check_options(c, &r) != 0) return;
    if (!r.z) {
        if (r.store) {
            store_delete(c, r.store);
            reply_integer(c, 0);
        } else {
            reply_empty_array(c);
        }
        return;
    }
    geo_search_run(c, &r);
}

void cmd_geosearch(struct client *c) { geo_search_generic(c, 1, GEO_SEARCH); }
void cmd_geosearchstore(struct client *c)
{
    geo_search_generic(c, 2, GEO_SEARCH | GEO_SEARCH_STORE);
}
void cmd_georadius(struct client *c) { geo_search_generic(c, 1, GEO_BY_COORDS); }
void cmd_georadius_ro(struct client *c) { geo_search_generic(c, 1, GEO_BY_COORDS | GEO_NO_STORE); }
void cmd_georadiusbymember(struct client *c) { geo_search_generic(c, 1, GEO_BY_MEMBER); }
void cmd_georadiusbymember_ro(struct client *c)
{
    geo_search_generic(c, 1, GEO_BY_MEMBER | GEO_NO_STORE);
}
