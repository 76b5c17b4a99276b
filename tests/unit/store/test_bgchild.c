/* bgchild: one background child at a time, its outcome and copy-on-write size reported to the
 * done callback once reaped, and a killed child reported as killed. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/clock.h"
#include "store/persist/bgchild.h"
#include "store/server.h"

static struct server srv;
static struct bgchild_result seen;
static int done_calls;

static void setup(void)
{
    memset(&srv, 0, sizeof srv);
    srv.bgchild = bgchild_create();
    memset(&seen, 0, sizeof seen);
    done_calls = 0;
}

static void teardown(void) { bgchild_destroy(&srv, srv.bgchild); }

TestSuite(bgchild, .init = setup, .fini = teardown);

static int job_exit(struct server *s, void *arg)
{
    (void)s;
    return *(int *)arg;
}

static int job_sleep(struct server *s, void *arg)
{
    (void)s;
    (void)arg;
    pause();
    return 0;
}

static void on_done(struct server *s, const struct bgchild_result *res, void *arg)
{
    (void)s;
    (void)arg;
    seen = *res;
    done_calls++;
}

static void reap_with_deadline(void)
{
    int64_t deadline = clock_mono_ms() + 10000;
    while (done_calls == 0 && clock_mono_ms() < deadline) {
        bgchild_cron(&srv);
        usleep(1000);
    }
    cr_assert_eq(done_calls, 1, "the child was not reaped within 10 s");
}

Test(bgchild, success_is_reported_with_the_cow_size)
{
    int code = 0;
    cr_assert_eq(bgchild_start(&srv, BGCHILD_RDB, job_exit, on_done, &code), 0);
    cr_assert_eq(bgchild_running(&srv), BGCHILD_RDB);
    cr_assert_gt(bgchild_pid(&srv), 0);
    cr_assert_eq(bgchild_total_forks(&srv), 1);
    reap_with_deadline();
    cr_assert(seen.ok);
    cr_assert_not(seen.killed);
    cr_assert_geq(seen.cow_bytes, 0);
    cr_assert_eq(bgchild_running(&srv), BGCHILD_NONE);
}

Test(bgchild, failure_is_reported_and_a_second_child_is_refused_meanwhile)
{
    int code = 3;
    cr_assert_eq(bgchild_start(&srv, BGCHILD_AOF, job_exit, on_done, &code), 0);
    cr_assert_eq(bgchild_start(&srv, BGCHILD_RDB, job_exit, on_done, &code), -1);
    cr_assert_eq(errno, EBUSY);
    reap_with_deadline();
    cr_assert_not(seen.ok);
    cr_assert_eq(WEXITSTATUS(seen.status), 3);
}

Test(bgchild, kill_reaps_at_once_and_reports_killed)
{
    cr_assert_eq(bgchild_start(&srv, BGCHILD_RDB, job_sleep, on_done, NULL), 0);
    bgchild_kill(&srv);
    cr_assert_eq(done_calls, 1);
    cr_assert(seen.killed);
    cr_assert_not(seen.ok);
    cr_assert_eq(bgchild_running(&srv), BGCHILD_NONE);
}
