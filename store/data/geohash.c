/* geohash: cell encoding, decoding, neighbours, distances and the cell choice of a search
 * (geohash.h). Every floating-point expression keeps the order of operations of Redis 7.0's
 * documented algorithm: the last printed digit of a coordinate or a distance depends on it
 * (docs/geo.md#the-score). */
#include "store/data/geohash.h"

#include <math.h>

#define EARTH_RADIUS_M 6372797.560856
/* Half the Earth's circumference at the equator in Web Mercator metres: the size of a 1-step
 * cell, where the radius-to-step estimate starts. */
#define MERCATOR_MAX_M 20037726.37
#define DEG_TO_RAD (M_PI / 180.0)

static const struct geo_range lon_wgs84 = {GEO_LON_MIN, GEO_LON_MAX};
static const struct geo_range lat_wgs84 = {GEO_LAT_MIN, GEO_LAT_MAX};

static double deg_to_rad(double deg) { return deg * DEG_TO_RAD; }
static double rad_to_deg(double rad) { return rad / DEG_TO_RAD; }

/* ---- bit interleaving -------------------------------------------------------------------- */

/* Spread the 32 bits of v to the even positions of a 64-bit word. */
static uint64_t bits_spread(uint32_t v)
{
    uint64_t x = v;
    x = (x | (x << 16)) & 0x0000FFFF0000FFFFULL;
    x = (x | (x << 8)) & 0x00FF00FF00FF00FFULL;
    x = (x | (x << 4)) & 0x0F0F0F0F0F0F0F0FULL;
    x = (x | (x << 2)) & 0x3333333333333333ULL;
    x = (x | (x << 1)) & 0x5555555555555555ULL;
    return x;
}

/* The inverse: the even-position bits of x packed into 32 bits. */
static uint32_t bits_gather(uint64_t x)
{
    x &= 0x5555555555555555ULL;
    x = (x | (x >> 1)) & 0x3333333333333333ULL;
    x = (x | (x >> 2)) & 0x0F0F0F0F0F0F0F0FULL;
    x = (x | (x >> 4)) & 0x00FF00FF00FF00FFULL;
    x = (x | (x >> 8)) & 0x0000FFFF0000FFFFULL;
    x = (x | (x >> 16)) & 0x00000000FFFFFFFFULL;
    return (uint32_t)x;
}

static uint64_t bits_interleave(uint32_t lat_idx, uint32_t lon_idx)
{
    return bits_spread(lat_idx) | (bits_spread(lon_idx) << 1);
}

/* ---- encoding and decoding --------------------------------------------------------------- */

bool geo_coords_valid(double lon, double lat)
{
    return lon >= GEO_LON_MIN && lon <= GEO_LON_MAX && lat >= GEO_LAT_MIN && lat <= GEO_LAT_MAX;
}

bool geohash_encode(const struct geo_range *lon_r, const struct geo_range *lat_r, double lon,
                    double lat, int step, struct geo_cell *out)
{
    *out = (struct geo_cell){0, step};
    if (!geo_coords_valid(lon, lat)) return false;
    if (lat < lat_r->min || lat > lat_r->max || lon < lon_r->min || lon > lon_r->max) return false;
    double lat_off = (lat - lat_r->min) / (lat_r->max - lat_r->min);
    double lon_off = (lon - lon_r->min) / (lon_r->max - lon_r->min);
    lat_off *= (double)(1ULL << step);
    lon_off *= (double)(1ULL << step);
    /* A point on the upper limit lands on index 2^step, one past the last cell; Redis keeps
     * that bit, and so do we (the offsets are in [0, 2^26], so the conversion is defined). */
    out->bits = bits_interleave((uint32_t)lat_off, (uint32_t)lon_off);
    return true;
}

uint64_t geohash_score(double lon, double lat)
{
    struct geo_cell cell;
    geohash_encode(&lon_wgs84, &lat_wgs84, lon, lat, GEO_STEP_MAX, &cell);
    return cell.bits; /* 26 steps fill the 52 bits: no alignment shift */
}

void geohash_cell_bounds(const struct geo_range *lon_r, const struct geo_range *lat_r,
                         const struct geo_cell *cell, struct geo_range *lon_out,
                         struct geo_range *lat_out)
{
    uint32_t lat_idx = bits_gather(cell->bits);
    uint32_t lon_idx = bits_gather(cell->bits >> 1);
    double lat_scale = lat_r->max - lat_r->min;
    double lon_scale = lon_r->max - lon_r->min;
    double cells = (double)(1ULL << cell->step);
    lat_out->min = lat_r->min + (lat_idx * 1.0 / cells) * lat_scale;
    lat_out->max = lat_r->min + ((uint32_t)(lat_idx + 1) * 1.0 / cells) * lat_scale;
    lon_out->min = lon_r->min + (lon_idx * 1.0 / cells) * lon_scale;
    lon_out->max = lon_r->min + ((uint32_t)(lon_idx + 1) * 1.0 / cells) * lon_scale;
}

/* A score as the 64-bit cell it was made from. Scores that no GEOADD wrote (negative, huge,
 * NaN) still map to some cell, without undefined behaviour. */
static uint64_t score_to_bits(double score)
{
    if (!(score >= 0)) return score > -9.2e18 ? (uint64_t)(int64_t)score : 1ULL << 63;
    if (score >= 18446744073709551616.0) return 1ULL << 63;
    return (uint64_t)score;
}

static double clamp(double v, double lo, double hi) { return v > hi ? hi : v < lo ? lo : v; }

void geohash_decode_score(double score, double xy[2])
{
    struct geo_cell cell = {score_to_bits(score), GEO_STEP_MAX};
    struct geo_range lon, lat;
    geohash_cell_bounds(&lon_wgs84, &lat_wgs84, &cell, &lon, &lat);
    xy[0] = clamp((lon.min + lon.max) / 2, GEO_LON_MIN, GEO_LON_MAX);
    xy[1] = clamp((lat.min + lat.max) / 2, GEO_LAT_MIN, GEO_LAT_MAX);
}

void geohash_string(double score, char out[GEO_HASH_STRING_LEN])
{
    static const char alphabet[] = "0123456789bcdefghjkmnpqrstuvwxyz";
    static const struct geo_range lat_std = {-90, 90};
    double xy[2];
    geohash_decode_score(score, xy);
    struct geo_cell cell;
    geohash_encode(&lon_wgs84, &lat_std, xy[0], xy[1], GEO_STEP_MAX, &cell);
    /* 52 bits give ten 5-bit characters; the eleventh is always '0' (Redis's choice). */
    for (int i = 0; i < GEO_HASH_STRING_LEN - 1; i++)
        out[i] = alphabet[(cell.bits >> (52 - (i + 1) * 5)) & 0x1f];
    out[GEO_HASH_STRING_LEN - 1] = alphabet[0];
}

/* ---- neighbours -------------------------------------------------------------------------- */

/* Move one axis (shift 0: latitude, the even bits; 1: longitude) by d cells modulo 2^step. The
 * other axis keeps its bits untouched, even an index one past the last cell. */
static uint64_t axis_move(uint64_t bits, int shift, int step, int d)
{
    if (d == 0) return bits;
    uint64_t axis_mask = 0x5555555555555555ULL << shift;
    uint32_t idx = bits_gather(bits >> shift);
    uint32_t cells_mask = (uint32_t)((1ULL << step) - 1);
    idx = (uint32_t)(idx + (uint32_t)d) & cells_mask;
    return (bits & ~axis_mask) | (bits_spread(idx) << shift);
}

struct geo_cell geohash_move(const struct geo_cell *cell, int dlon, int dlat)
{
    struct geo_cell out = *cell;
    out.bits = axis_move(out.bits, 1, out.step, dlon);
    out.bits = axis_move(out.bits, 0, out.step, dlat);
    return out;
}

/* ---- distances --------------------------------------------------------------------------- */

static double lat_distance_m(double lat1, double lat2)
{
    return EARTH_RADIUS_M * fabs(deg_to_rad(lat2) - deg_to_rad(lat1));
}

double geo_distance_m(double lon1, double lat1, double lon2, double lat2)
{
    double lon1r = deg_to_rad(lon1), lon2r = deg_to_rad(lon2);
    double v = sin((lon2r - lon1r) / 2);
    /* Same meridian: the distance is the latitude difference (Redis's shortcut, kept because
     * it changes the last digits). */
    if (v == 0.0) return lat_distance_m(lat1, lat2);
    double lat1r = deg_to_rad(lat1), lat2r = deg_to_rad(lat2);
    double u = sin((lat2r - lat1r) / 2);
    double a = u * u + cos(lat1r) * cos(lat2r) * v * v;
    return 2.0 * EARTH_RADIUS_M * asin(sqrt(a));
}

int geo_steps_for_radius(double radius_m, double lat)
{
    if (radius_m == 0) return GEO_STEP_MAX;
    int step = 1;
    while (radius_m < MERCATOR_MAX_M) {
        radius_m *= 2;
        step++;
    }
    step -= 2; /* one size larger, so the area is inside the 9 cells in most cases */
    /* Cells narrow towards the poles. */
    if (lat > 66 || lat < -66) {
        step--;
        if (lat > 80 || lat < -80) step--;
    }
    if (step < 1) step = 1;
    if (step > GEO_STEP_MAX) step = GEO_STEP_MAX;
    return step;
}

/* ---- search ------------------------------------------------------------------------------ */

/* Half extents in metres: north-south, east-west. */
static void shape_half_extents_m(const struct geo_shape *s, double *half_h, double *half_w)
{
    *half_h = s->to_meters * (s->kind == GEO_SHAPE_RADIUS ? s->radius : s->height / 2);
    *half_w = s->to_meters * (s->kind == GEO_SHAPE_RADIUS ? s->radius : s->width / 2);
}

/* The bounding box of the shape in degrees: lon (min, max), lat (min, max). */
static void shape_bounds(const struct geo_shape *s, struct geo_range *lon, struct geo_range *lat)
{
    double half_h, half_w;
    shape_half_extents_m(s, &half_h, &half_w);
    double dlat = rad_to_deg(half_h / EARTH_RADIUS_M);
    double dlon_top = rad_to_deg(half_w / EARTH_RADIUS_M / cos(deg_to_rad(s->lat + dlat)));
    double dlon_bottom = rad_to_deg(half_w / EARTH_RADIUS_M / cos(deg_to_rad(s->lat - dlat)));
    /* The edge nearer the pole is the wider one in degrees. */
    double dlon = s->lat < 0 ? dlon_bottom : dlon_top;
    lon->min = s->lon - dlon;
    lon->max = s->lon + dlon;
    lat->min = s->lat - dlat;
    lat->max = s->lat + dlat;
}

/* The centre cell at `step` and its neighbours, in the scan order of geohash.h. */
static void cells_around(const struct geo_shape *s, int step,
                         struct geo_cell cells[GEO_SEARCH_CELLS])
{
    static const int moves[GEO_SEARCH_CELLS][2] = {{0, 0}, {0, 1},  {0, -1}, {1, 0},  {-1, 0},
                                                   {1, 1}, {-1, 1}, {1, -1}, {-1, -1}};
    geohash_encode(&lon_wgs84, &lat_wgs84, s->lon, s->lat, step, &cells[0]);
    for (int i = 1; i < GEO_SEARCH_CELLS; i++)
        cells[i] = geohash_move(&cells[0], moves[i][0], moves[i][1]);
}

enum { CELL_C, CELL_N, CELL_S, CELL_E, CELL_W, CELL_NE, CELL_NW, CELL_SE, CELL_SW };

/* The estimated step is too coarse when a neighbour does not reach past the bounding box. */
static bool neighbours_fall_short(struct geo_cell cells[GEO_SEARCH_CELLS],
                                  const struct geo_range *lon, const struct geo_range *lat)
{
    struct geo_range clon, clat;
    geohash_cell_bounds(&lon_wgs84, &lat_wgs84, &cells[CELL_N], &clon, &clat);
    bool shorter = clat.max < lat->max;
    geohash_cell_bounds(&lon_wgs84, &lat_wgs84, &cells[CELL_S], &clon, &clat);
    shorter |= clat.min > lat->min;
    geohash_cell_bounds(&lon_wgs84, &lat_wgs84, &cells[CELL_E], &clon, &clat);
    shorter |= clon.max < lon->max;
    geohash_cell_bounds(&lon_wgs84, &lat_wgs84, &cells[CELL_W], &clon, &clat);
    shorter |= clon.min > lon->min;
    return shorter;
}

static void cells_drop(struct geo_cell cells[GEO_SEARCH_CELLS], int a, int b, int c)
{
    cells[a] = cells[b] = cells[c] = (struct geo_cell){0, 0};
}

void geo_search_cells(const struct geo_shape *s, struct geo_cell cells[GEO_SEARCH_CELLS])
{
    struct geo_range lon, lat;
    shape_bounds(s, &lon, &lat);
    double half_h, half_w;
    shape_half_extents_m(s, &half_h, &half_w);
    /* A box is covered by the circle through its corners. */
    double radius_m =
        s->kind == GEO_SHAPE_RADIUS
            ? s->radius
            : sqrt((s->width / 2) * (s->width / 2) + (s->height / 2) * (s->height / 2));
    radius_m *= s->to_meters;
    int step = geo_steps_for_radius(radius_m, s->lat);
    cells_around(s, step, cells);
    if (step > 1 && neighbours_fall_short(cells, &lon, &lat)) cells_around(s, --step, cells);
    if (step < 2) return;
    /* Drop the neighbours on a side the bounding box does not cross into. */
    struct geo_range clon, clat;
    geohash_cell_bounds(&lon_wgs84, &lat_wgs84, &cells[CELL_C], &clon, &clat);
    if (clat.min < lat.min) cells_drop(cells, CELL_S, CELL_SW, CELL_SE);
    if (clat.max > lat.max) cells_drop(cells, CELL_N, CELL_NE, CELL_NW);
    if (clon.min < lon.min) cells_drop(cells, CELL_W, CELL_SW, CELL_NW);
    if (clon.max > lon.max) cells_drop(cells, CELL_E, CELL_SE, CELL_NE);
}

bool geo_shape_contains(const struct geo_shape *s, double lon, double lat, double *dist_m)
{
    if (s->kind == GEO_SHAPE_RADIUS) {
        double d = geo_distance_m(s->lon, s->lat, lon, lat);
        if (d > s->radius * s->to_meters) return false;
        *dist_m = d;
        return true;
    }
    /* Box: the cheaper latitude test first, then the east-west distance along the point's
     * parallel. */
    if (lat_distance_m(lat, s->lat) > s->height * s->to_meters / 2) return false;
    if (geo_distance_m(lon, lat, s->lon, lat) > s->width * s->to_meters / 2) return false;
    *dist_m = geo_distance_m(s->lon, s->lat, lon, lat);
    return true;
}
