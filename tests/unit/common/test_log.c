/* log: the rate-limited primitive writes at most LOG_RATE_LINES lines a window per call site,
 * counts the rest, and reports the count with the next line written in a later window. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"

static char path[64];

static void setup(void)
{
    snprintf(path, sizeof(path), "/tmp/vigil-log-test-XXXXXX");
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    close(fd);
    cr_assert_eq(log_open(path), 0);
    log_set_level(LOG_NOTICE);
}

static void teardown(void)
{
    log_open(NULL);
    unlink(path);
}

TestSuite(log, .init = setup, .fini = teardown);

static int count_lines(const char *needle)
{
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f);
    char line[1200];
    int n = 0;
    while (fgets(line, sizeof(line), f)) n += strstr(line, needle) != NULL;
    fclose(f);
    return n;
}

Test(log, rate_limited_line_is_written_at_most_n_times_per_window)
{
    static struct log_rate r;
    int written = 0;
    for (int i = 0; i < 10000; i++)
        written += log_rate_msg_at(&r, 5000 + i / 100, LOG_WARNING, "accept failed: %d", i);
    cr_assert_eq(written, LOG_RATE_LINES, "10,000 calls inside one window");
    cr_assert_eq(count_lines("accept failed"), LOG_RATE_LINES);
    cr_assert_eq(r.suppressed, 10000 - LOG_RATE_LINES);
}

Test(log, next_window_reports_how_many_were_suppressed)
{
    static struct log_rate r;
    for (int i = 0; i < 100; i++) log_rate_msg_at(&r, 1000, LOG_WARNING, "disk full");
    cr_assert(log_rate_msg_at(&r, 1000 + LOG_RATE_WINDOW_MS, LOG_WARNING, "disk full"));
    char want[80];
    snprintf(want, sizeof(want), "disk full (suppressed %d similar lines)", 100 - LOG_RATE_LINES);
    cr_assert_eq(count_lines(want), 1);
    cr_assert_eq(r.suppressed, 0);
    cr_assert(log_rate_msg_at(&r, 1000 + LOG_RATE_WINDOW_MS, LOG_WARNING, "disk full"));
    cr_assert_eq(count_lines("suppressed"), 1, "the count is reported once");
}

Test(log, call_sites_are_limited_independently)
{
    static struct log_rate a, b;
    for (int i = 0; i < 50; i++) {
        log_rate_msg_at(&a, 0, LOG_WARNING, "site a");
        log_rate_msg_at(&b, 0, LOG_WARNING, "site b");
    }
    cr_assert_eq(count_lines("site a"), LOG_RATE_LINES);
    cr_assert_eq(count_lines("site b"), LOG_RATE_LINES);
}

Test(log, lines_below_the_level_are_neither_written_nor_counted)
{
    static struct log_rate r;
    cr_assert_not(log_rate_msg_at(&r, 0, LOG_VERBOSE, "chatty"));
    cr_assert_eq(r.suppressed, 0);
    cr_assert_eq(count_lines("chatty"), 0);
}

Test(log, flush_reports_the_count_once_the_window_is_over)
{
    static struct log_rate r; /* registered for the flush: must outlive it */
    for (int i = 0; i < 50; i++)
        log_rate_msg_at(&r, 2000, LOG_WARNING, "accept: Too many open files %d", i);
    log_rate_flush_at(2500);
    cr_assert_eq(count_lines("suppressed"), 0, "the window is not over yet");
    log_rate_flush_at(3000);
    char want[120];
    snprintf(want, sizeof(want),
             "suppressed %d similar lines, the first: accept: Too many open files %d",
             50 - LOG_RATE_LINES, LOG_RATE_LINES);
    cr_assert_eq(count_lines(want), 1);
    log_rate_flush_at(9000);
    cr_assert_eq(count_lines("suppressed"), 1, "reported once");
    cr_assert(log_rate_msg_at(&r, 9000, LOG_WARNING, "accept: again"));
    cr_assert_eq(count_lines("suppressed"), 1, "the next line has nothing left to report");
}
