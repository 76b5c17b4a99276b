/* cmd_geo: the geo command family's point commands (GEOADD with NX XX CH, GEODIST, GEOHASH,
 * GEOPOS), the helpers the searches share, and the family's table (the searches:
 * cmd_geo_search.c).
 *
 * A geo set is a sorted set whose scores are 52-bit geohashes (store/data/geohash.h,
 * docs/geo.md). GEOADD turns each longitude, latitude pair into its score and runs ZADD, as
 * Redis 7.0 does: options, reply, keyspace event ("zadd") and what replicas receive (ZADD with
 * the scores) are ZADD's. Coordinates reply with long double precision, distances with four
 * decimals, byte-exact with Redis 7.0.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "store/client.h"
#include "store/cmd/cmd_geo_int.h"
#include "store/command.h"
#include "store/data/geohash.h"
#include "store/db.h"
#include "store/propagate.h"
#include "store/reply.h"

#define GEO_SCORE_BUF 24 /* a 52-bit integer in decimal and its NUL */

/* ---- shared with cmd_geo_search.c -------------------------------------------------------- */

struct obj_zset *geo_get(struct client *c, const struct resp_arg *key, bool *err)
{
    *err = false;
    struct ks_entry *e = db_lookup_read(c, key);
    if (!e) return NULL;
    if (!db_check_type(c, e, KS_TYPE_ZSET)) {
        *err = true;
        return NULL;
    }
    return ks_entry_obj(e);
}

int geo_parse_unit(struct client *c, const struct resp_arg *a, double *to_meters)
{
    static const struct {
        const char *name;
        double meters;
    } units[] = {{"m", 1}, {"km", 1000}, {"ft", 0.3048}, {"mi", 1609.34}};
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (arg_is(a, units[i].name)) {
            *to_meters = units[i].meters;
            return 0;
        }
    }
    reply_error(c, "ERR unsupported unit provided. please use M, KM, FT, MI");
    return -1;
}

int geo_parse_lonlat(struct client *c, const struct resp_arg *argv, double *lon, double *lat)
{
    if (arg_double(c, &argv[0], lon) != 0 || arg_double(c, &argv[1], lat) != 0) return -1;
    if (!geo_coords_valid(*lon, *lat)) {
        reply_errorf(c, "ERR invalid longitude,latitude pair %f,%f", *lon, *lat);
        return -1;
    }
    return 0;
}

bool geo_member_coords(struct obj_zset *z, const struct resp_arg *m, double xy[2])
{
    double score;
    if (!obj_zset_score(z, m->ptr, m->len, &score)) return false;
    geohash_decode_score(score, xy);
    return true;
}

void geo_reply_coord(struct client *c, double v)
{
    char num[64];
    size_t n = util_long_double_to_str(num, sizeof num, (long double)v);
    if (c->conn.proto < 3) {
        reply_bulk(c, num, n);
        return;
    }
    char line[80];
    int len = snprintf(line, sizeof line, ",%.*s\r\n", (int)n, num);
    reply_raw(c, line, (size_t)len);
}

void geo_reply_distance(struct client *c, double d)
{
    char num[400]; /* %.4f of a huge distance (a radius of 1e300 km) still fits */
    int n = snprintf(num, sizeof num, "%.4f", d);
    reply_bulk(c, num, (size_t)n < sizeof num ? (size_t)n : sizeof num - 1);
}

/* ---- GEOADD ------------------------------------------------------------------------------ */

/* The ZADD arguments for GEOADD's argv: options copied, each triple as score member. NULL after
 * replying an error. *zargc is set; the score texts live in *scores (freed by the caller). */
static struct resp_arg *geoadd_to_zadd(struct client *c, size_t first, size_t *zargc, char **scores)
{
    size_t elements = (c->argc - first) / 3;
    *zargc = first + elements * 2;
    struct resp_arg *zargv = xmalloc(*zargc * sizeof *zargv);
    *scores = xmalloc(elements * GEO_SCORE_BUF + 1);
    zargv[0] = (struct resp_arg){"zadd", 4};
    for (size_t i = 1; i < first; i++) zargv[i] = c->argv[i];
    for (size_t i = 0; i < elements; i++) {
        double lon, lat;
        if (geo_parse_lonlat(c, &c->argv[first + i * 3], &lon, &lat) != 0) {
            free(zargv);
            return NULL;
        }
        char *s = *scores + i * GEO_SCORE_BUF;
        size_t n = util_ll_to_str(s, GEO_SCORE_BUF, (long long)geohash_score(lon, lat));
        zargv[first + i * 2] = (struct resp_arg){s, n};
        zargv[first + i * 2 + 1] = c->argv[first + i * 3 + 2];
    }
    return zargv;
}

static void cmd_geoadd(struct client *c)
{
    size_t first = 2;
    bool nx = false, xx = false;
    for (; first < c->argc; first++) {
        if (arg_is(&c->argv[first], "nx"))
            nx = true;
        else if (arg_is(&c->argv[first], "xx"))
            xx = true;
        else if (!arg_is(&c->argv[first], "ch"))
            break;
    }
    if ((c->argc - first) % 3 || (nx && xx)) {
        reply_error(c, ERR_SYNTAX);
        return;
    }
    size_t zargc;
    char *scores = NULL;
    struct resp_arg *zargv = geoadd_to_zadd(c, first, &zargc, &scores);
    if (zargv) {
        /* Run as ZADD with the scores, and replicate that ZADD (Redis 7.0 does the same). */
        const struct command *zadd = command_lookup("zadd", 4);
        struct resp_arg *argv = c->argv;
        size_t argc = c->argc;
        long long dirty = c->srv->dirty;
        c->argv = zargv;
        c->argc = zargc;
        zadd->fn(c);
        c->argv = argv;
        c->argc = argc;
        if (c->srv->dirty != dirty) propagate_as(c, zargc, zargv);
    }
    free(zargv);
    free(scores);
}

/* ---- GEODIST, GEOHASH, GEOPOS ------------------------------------------------------------ */

static void cmd_geodist(struct client *c)
{
    double to_meters = 1;
    if (c->argc == 5 && geo_parse_unit(c, &c->argv[4], &to_meters) != 0) return;
    if (c->argc > 5) {
        reply_error(c, ERR_SYNTAX);
        return;
    }
    bool err;
    struct obj_zset *z = geo_get(c, &c->argv[1], &err);
    if (err) return;
    double a[2], b[2];
    if (!z || !geo_member_coords(z, &c->argv[2], a) || !geo_member_coords(z, &c->argv[3], b)) {
        reply_null(c);
        return;
    }
    geo_reply_distance(c, geo_distance_m(a[0], a[1], b[0], b[1]) / to_meters);
}

static void cmd_geohash(struct client *c)
{
    bool err;
    struct obj_zset *z = geo_get(c, &c->argv[1], &err);
    if (err) return;
    reply_array(c, c->argc - 2);
    for (size_t i = 2; i < c->argc; i++) {
        double score;
        if (!z || !obj_zset_score(z, c->argv[i].ptr, c->argv[i].len, &score)) {
            reply_null(c);
            continue;
        }
        char hash[GEO_HASH_STRING_LEN];
        geohash_string(score, hash);
        reply_bulk(c, hash, sizeof hash);
    }
}

static void cmd_geopos(struct client *c)
{
    bool err;
    struct obj_zset *z = geo_get(c, &c->argv[1], &err);
    if (err) return;
    reply_array(c, c->argc - 2);
    for (size_t i = 2; i < c->argc; i++) {
        double xy[2];
        if (!z || !geo_member_coords(z, &c->argv[i], xy)) {
            reply_null_array(c);
            continue;
        }
        reply_array(c, 2);
        geo_reply_coord(c, xy[0]);
        geo_reply_coord(c, xy[1]);
    }
}

/* ---- table ------------------------------------------------------------------------------- */

#define GEO_CMD(n, a, f, fn_, fk, lk)                                                              \
    {                                                                                              \
        .name = n, .arity = a, .flags = f, .fn = fn_, .first_key = fk, .last_key = lk,             \
        .key_step = 1, .group = "geo"                                                              \
    }

enum { RO = CMD_READONLY, W_OOM = CMD_WRITE | CMD_DENYOOM };

struct command cmd_table_geo[] = {
    GEO_CMD("geoadd", -5, W_OOM, cmd_geoadd, 1, 1),
    GEO_CMD("geodist", -4, RO, cmd_geodist, 1, 1),
    GEO_CMD("geohash", -2, RO, cmd_geohash, 1, 1),
    GEO_CMD("geopos", -2, RO, cmd_geopos, 1, 1),
    GEO_CMD("georadius", -6, W_OOM, cmd_georadius, 1, 1),
    GEO_CMD("georadius_ro", -6, RO, cmd_georadius_ro, 1, 1),
    GEO_CMD("georadiusbymember", -5, W_OOM, cmd_georadiusbymember, 1, 1),
    GEO_CMD("georadiusbymember_ro", -5, RO, cmd_georadiusbymember_ro, 1, 1),
    GEO_CMD("geosearch", -7, RO, cmd_geosearch, 1, 1),
    GEO_CMD("geosearchstore", -8, W_OOM, cmd_geosearchstore, 1, 2),
    {.name = NULL},
};
