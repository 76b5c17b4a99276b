/* cmd_geo_int: what the two files of the geo command family share (INTERNAL: only cmd_geo.c and
 * cmd_geo_search.c include it).
 *
 *   cmd_geo.c         GEOADD, GEODIST, GEOHASH, GEOPOS, the table, the helpers below
 *   cmd_geo_search.c  GEOSEARCH, GEOSEARCHSTORE, GEORADIUS[_RO], GEORADIUSBYMEMBER[_RO]
 */
#ifndef VIGIL_CMD_GEO_INT_H
#define VIGIL_CMD_GEO_INT_H

#include <stdbool.h>

#include "common/resp.h"
#include "store/data/obj_zset.h"
#include "store/server.h"

/* The sorted set at key for reading: NULL when absent, or of another type (*err set and
 * WRONGTYPE replied). */
struct obj_zset *geo_get(struct client *c, const struct resp_arg *key, bool *err);

/* A unit (m, km, ft, mi, any case) as metres per unit; -1 after replying Redis's error. */
int geo_parse_unit(struct client *c, const struct resp_arg *a, double *to_meters);
/* argv[0], argv[1] as longitude and latitude inside the GEOADD limits; -1 after replying. */
int geo_parse_lonlat(struct client *c, const struct resp_arg *argv, double *lon, double *lat);
/* The decoded position of member m: false if m is not in z. */
bool geo_member_coords(struct obj_zset *z, const struct resp_arg *m, double xy[2]);

/* A coordinate as GEOPOS and WITHCOORD reply it (%.17Lf, trailing zeros stripped; a RESP3
 * double). */
void geo_reply_coord(struct client *c, double v);
/* A distance as GEODIST and WITHDIST reply it: four decimals, a bulk string in both protocols. */
void geo_reply_distance(struct client *c, double d);

void cmd_geosearch(struct client *c);
void cmd_geosearchstore(struct client *c);
void cmd_georadius(struct client *c);
void cmd_georadius_ro(struct client *c);
void cmd_georadiusbymember(struct client *c);
void cmd_georadiusbymember_ro(struct client *c);

#endif
