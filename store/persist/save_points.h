/* save_points: the `save` setting ("<seconds> <changes> ...") parsed, printed back in Redis's
 * form, and the server cron's decision whether a point is due (docs/persistence.md#snapshots).
 * Pure: no clock, no I/O; the caller passes the times and counters. */
#ifndef VIGIL_SAVE_POINTS_H
#define VIGIL_SAVE_POINTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SAVE_POINTS_MAX 32
/* After a failed background save, a save point may start another only this long after the
 * failed attempt (Redis's retry delay), so a full disk is not hammered with forks. */
#define SAVE_POINTS_RETRY_DELAY_S 5

struct save_point {
    long long seconds; /* >= 1 */
    long long changes; /* >= 0 */
};

struct save_points {
    size_t count;
    struct save_point p[SAVE_POINTS_MAX];
};

/* Parse Redis's text: tokens separated by single spaces, an even number of them, seconds >= 1,
 * changes >= 0; "" means no points. 0, or -1 (out untouched) when invalid or more than
 * SAVE_POINTS_MAX pairs. */
int save_points_parse(const char *text, struct save_points *out);

/* "3600 1 300 100" (what CONFIG GET shows), "" when none. Returns the length written (the
 * output is truncated to cap - 1 bytes, always terminated). */
size_t save_points_format(const struct save_points *sp, char *out, size_t cap);

/* What the cron knows when it decides. Times in unix seconds. */
struct save_points_now {
    long long dirty;        /* changes since the last successful save */
    int64_t now_s;          /* current time */
    int64_t lastsave_s;     /* last successful save (or the start) */
    int64_t last_try_s;     /* last background save attempt */
    bool is_last_bgsave_ok; /* the last background save succeeded */
};

/* True once at least `changes` changes happened and more than `seconds` passed since the last
 * save: the index of the first such point; -1 when none is due, or when the last background
 * save failed less than SAVE_POINTS_RETRY_DELAY_S ago. */
int save_points_due(const struct save_points *sp, const struct save_points_now *st);
/* The retry rule alone (BGSAVE SCHEDULE waits for it too). */
bool save_points_may_retry(const struct save_points_now *st);

#endif
