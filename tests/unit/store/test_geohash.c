/* geohash: scores, decoded positions, GEOHASH strings and distances against the values
 * redis-server 7.0 gives for the same input (GEOADD then ZSCORE, GEOPOS, GEOHASH, GEODIST),
 * neighbour moves with wrap-around, the step estimate and the cells a search scans. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common/util.h"
#include "store/data/geohash.h"

static void assert_coord(double v, const char *want)
{
    char got[64];
    util_long_double_to_str(got, sizeof got, (long double)v);
    cr_assert_str_eq(got, want);
}

Test(geohash, scores_match_redis)
{
    cr_assert_eq(geohash_score(13.361389, 38.115556), 3479099956230698ULL);
    cr_assert_eq(geohash_score(15.087269, 37.502669), 3479447370796909ULL);
    cr_assert_eq(geohash_score(0, 0), 3377699720527872ULL);
    cr_assert_eq(geohash_score(-180, -85.05112878), 0);
    /* The upper limits land one past the last cell: a 53-bit score, as in Redis. */
    cr_assert_eq(geohash_score(180, 85.05112878), 13510798882111488ULL);
}

Test(geohash, decode_gives_the_cell_centre_as_redis_prints_it)
{
    double xy[2];
    geohash_decode_score(3479099956230698.0, xy);
    assert_coord(xy[0], "13.36138933897018433");
    assert_coord(xy[1], "38.11555639549629859");
    geohash_decode_score(0, xy);
    assert_coord(xy[0], "-179.99999731779098511");
    assert_coord(xy[1], "-85.05112751263942528");
    /* Past the last cell: clamped to the limits. */
    geohash_decode_score(13510798882111488.0, xy);
    assert_coord(xy[0], "180");
    assert_coord(xy[1], "85.0511287799999991");
}

Test(geohash, decode_of_scores_no_geoadd_writes_does_not_crash)
{
    double xy[2];
    const double odd[] = {-1, -1e300, 1e300, INFINITY, -INFINITY, NAN, 1e19};
    for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++) {
        geohash_decode_score(odd[i], xy);
        cr_assert(geo_coords_valid(xy[0], xy[1]), "score %g", odd[i]);
    }
}

Test(geohash, strings_match_redis)
{
    char s[GEO_HASH_STRING_LEN + 1] = {0};
    geohash_string(3479099956230698.0, s);
    cr_assert_str_eq(s, "sqc8b49rny0");
    geohash_string(13510798882111488.0, s);
    cr_assert_str_eq(s, "bp05b5048p0");
    geohash_string(0, s);
    cr_assert_str_eq(s, "00bh0hbj200");
    geohash_string(3377699720527872.0, s);
    cr_assert_str_eq(s, "s0000000000");
}

Test(geohash, distance_matches_redis)
{
    double p[2], c[2];
    geohash_decode_score(3479099956230698.0, p);
    geohash_decode_score(3479447370796909.0, c);
    char buf[32];
    snprintf(buf, sizeof buf, "%.4f", geo_distance_m(p[0], p[1], c[0], c[1]));
    cr_assert_str_eq(buf, "166274.1516");
    cr_assert_eq(geo_distance_m(10, 20, 10, 20), 0);
    /* Same meridian: the latitude difference alone. */
    cr_assert_float_eq(geo_distance_m(10, 0, 10, 1), 6372797.560856 * M_PI / 180, 1e-6);
}

Test(geohash, encode_refuses_points_outside_the_limits)
{
    struct geo_range lon = {-180, 180}, lat = {-85.05112878, 85.05112878};
    struct geo_cell cell;
    cr_assert_not(geohash_encode(&lon, &lat, 180.0001, 0, 26, &cell));
    cr_assert_not(geohash_encode(&lon, &lat, 0, -85.06, 26, &cell));
    cr_assert(geohash_encode(&lon, &lat, -180, 85.05112878, 26, &cell));
    cr_assert_not(geo_coords_valid(NAN, 0));
}

Test(geohash, moves_wrap_around_and_undo_each_other)
{
    struct geo_range lon = {-180, 180}, lat = {-85.05112878, 85.05112878};
    struct geo_cell cell;
    geohash_encode(&lon, &lat, 13.36, 38.11, 10, &cell);
    for (int dx = -1; dx <= 1; dx++) {
        for (int dy = -1; dy <= 1; dy++) {
            struct geo_cell there = geohash_move(&cell, dx, dy);
            struct geo_cell back = geohash_move(&there, -dx, -dy);
            cr_assert_eq(back.bits, cell.bits);
            cr_assert_eq((dx || dy), there.bits != cell.bits);
        }
    }
    /* East of the last column is the first column; north of the top row is the bottom row. */
    struct geo_cell east_edge, west_edge;
    geohash_encode(&lon, &lat, 179.99, 0, 4, &east_edge);
    geohash_encode(&lon, &lat, -179.99, 0, 4, &west_edge);
    cr_assert_eq(geohash_move(&east_edge, 1, 0).bits, west_edge.bits);
    struct geo_cell top = {0, 3}, moved = geohash_move(&top, 0, -1);
    cr_assert_eq(moved.bits, 0x15); /* latitude index 7 in the even bits of 3 steps */
    struct geo_range clon, clat;
    struct geo_cell east = geohash_move(&cell, 1, 0);
    struct geo_range elon, elat;
    geohash_cell_bounds(&lon, &lat, &cell, &clon, &clat);
    geohash_cell_bounds(&lon, &lat, &east, &elon, &elat);
    cr_assert_float_eq(elon.min, clon.max, 1e-9);
    cr_assert_float_eq(elat.min, clat.min, 1e-9);
}

Test(geohash, step_estimate)
{
    cr_assert_eq(geo_steps_for_radius(0, 0), 26);
    cr_assert_eq(geo_steps_for_radius(1, 0), 24);
    cr_assert_eq(geo_steps_for_radius(1000, 0), 14);
    cr_assert_eq(geo_steps_for_radius(1000, 70), 13);
    cr_assert_eq(geo_steps_for_radius(1000, -81), 12);
    cr_assert_eq(geo_steps_for_radius(5e7, 0), 1);
}

Test(geohash, search_cells_cover_the_area)
{
    struct geo_shape s = {
        .kind = GEO_SHAPE_RADIUS, .lon = 15, .lat = 37, .to_meters = 1000, .radius = 200};
    struct geo_cell cells[GEO_SEARCH_CELLS];
    geo_search_cells(&s, cells);
    cr_assert_not(geo_cell_is_none(&cells[0]));
    /* Every point inside the shape falls in one of the scanned cells. */
    for (double dx = -2.3; dx <= 2.3; dx += 0.1) {
        for (double dy = -1.8; dy <= 1.8; dy += 0.1) {
            double d;
            if (!geo_shape_contains(&s, 15 + dx, 37 + dy, &d)) continue;
            uint64_t score = geohash_score(15 + dx, 37 + dy);
            bool found = false;
            for (int i = 0; i < GEO_SEARCH_CELLS && !found; i++) {
                int shift = (GEO_STEP_MAX - cells[i].step) * 2;
                found = !geo_cell_is_none(&cells[i]) && (score >> shift) == cells[i].bits;
            }
            cr_assert(found, "point %f %f not covered", 15 + dx, 37 + dy);
        }
    }
}

Test(geohash, box_contains_by_parallel_and_meridian_distances)
{
    struct geo_shape s = {
        .kind = GEO_SHAPE_BOX, .lon = 0, .lat = 0, .to_meters = 1000, .width = 200, .height = 100};
    double d;
    cr_assert(geo_shape_contains(&s, 0.8, 0.4, &d));
    cr_assert_not(geo_shape_contains(&s, 0, 0.5, &d));  /* 55.6 km north: outside 50 km */
    cr_assert_not(geo_shape_contains(&s, 0.95, 0, &d)); /* 105.6 km east: outside 100 km */
    cr_assert(geo_shape_contains(&s, 0, 0, &d));
    cr_assert_eq(d, 0);
}
