/* geohash: the arithmetic behind the GEO commands, as Redis 7.0 does it so that scores,
 * coordinates and distances agree with redis-server to the last printed digit
 * (docs/geo.md#the-score).
 *
 * A position is stored as a sorted-set score: a 52-bit interleaved geohash of 26 steps over
 * longitude [-180, 180] and latitude [-85.05112878, 85.05112878] (the Web Mercator limits).
 * Latitude cell index bits take the even bit positions, longitude the odd ones. A score decodes
 * to the centre of its cell, clamped to the limits.
 *
 * A search (GEOSEARCH and the GEORADIUS family) picks a step whose cells are about the size of
 * the search area, then scans the cell holding the centre and its 8 neighbours, dropping the
 * neighbours the area cannot reach; each candidate is checked with the haversine distance on a
 * sphere of radius 6372797.560856 m.
 *
 * Pure: no I/O, no allocation, no globals. */
#ifndef VIGIL_GEOHASH_H
#define VIGIL_GEOHASH_H

#include <stdbool.h>
#include <stdint.h>

#define GEO_STEP_MAX 26
#define GEO_LON_MIN (-180.0)
#define GEO_LON_MAX 180.0
#define GEO_LAT_MIN (-85.05112878)
#define GEO_LAT_MAX 85.05112878
#define GEO_HASH_STRING_LEN 11

/* A cell: `step` bits per axis, interleaved in `bits`. step 0 and bits 0 mark "no cell". */
struct geo_cell {
    uint64_t bits;
    int step;
};

struct geo_range {
    double min, max;
};

/* Search shape. Distances are in the user's unit; `to_meters` converts them (m 1, km 1000,
 * ft 0.3048, mi 1609.34). */
enum geo_shape_kind { GEO_SHAPE_RADIUS, GEO_SHAPE_BOX };
struct geo_shape {
    enum geo_shape_kind kind;
    double lon, lat; /* centre */
    double to_meters;
    double radius;        /* GEO_SHAPE_RADIUS */
    double width, height; /* GEO_SHAPE_BOX */
};

/* The cells a search scans, in Redis's order: centre, N, S, E, W, NE, NW, SE, SW. Cells the
 * search area cannot reach are "no cell" (geo_cell_is_none). */
#define GEO_SEARCH_CELLS 9
static inline bool geo_cell_is_none(const struct geo_cell *c)
{
    return c->bits == 0 && c->step == 0;
}

/* Inside the limits GEOADD accepts? */
bool geo_coords_valid(double lon, double lat);

/* Encode (lon, lat) over the given ranges in `step` steps. false when the point is outside the
 * GEOADD limits or the ranges. */
bool geohash_encode(const struct geo_range *lon_r, const struct geo_range *lat_r, double lon,
                    double lat, int step, struct geo_cell *out);
/* The score GEOADD stores for a valid point. */
uint64_t geohash_score(double lon, double lat);
/* The cell's bounds over the given ranges. */
void geohash_cell_bounds(const struct geo_range *lon_r, const struct geo_range *lat_r,
                         const struct geo_cell *cell, struct geo_range *lon_out,
                         struct geo_range *lat_out);
/* A stored score back to the centre of its cell: xy[0] longitude, xy[1] latitude. */
void geohash_decode_score(double score, double xy[2]);
/* GEOHASH's 11-character string (the standard geohash alphabet, latitude over [-90, 90]). */
void geohash_string(double score, char out[GEO_HASH_STRING_LEN]);
/* The neighbour of cell moved by dlon, dlat (-1, 0 or 1) cells, wrapping around. */
struct geo_cell geohash_move(const struct geo_cell *cell, int dlon, int dlat);

/* Great-circle distance in metres (haversine). */
double geo_distance_m(double lon1, double lat1, double lon2, double lat2);
/* The step whose cells cover a search of this radius (metres) at this latitude. */
int geo_steps_for_radius(double radius_m, double lat);

/* The cells to scan for shape (GEO_SEARCH_CELLS of them, see above). */
void geo_search_cells(const struct geo_shape *shape, struct geo_cell cells[GEO_SEARCH_CELLS]);
/* Is the point (lon, lat) inside shape? Sets *dist_m, its distance from the centre in metres,
 * when it is. */
bool geo_shape_contains(const struct geo_shape *shape, double lon, double lat, double *dist_m);

#endif
