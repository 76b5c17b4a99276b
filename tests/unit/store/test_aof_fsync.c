/* aof_fsync: the background fsync thread of `appendfsync everysec`: one request at a time, the
 * outcome reported once, an error (a descriptor that cannot be synced) reported with its errno,
 * and waiting until idle before the descriptor may be closed. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "store/persist/aof_int.h"

static struct aof_fsync f;

static void setup(void) { aof_fsync_init(&f); }
static void teardown(void) { aof_fsync_stop(&f); }

TestSuite(aof_fsync, .init = setup, .fini = teardown);

static int temp_fd(void)
{
    char path[] = "/tmp/vigil-aof-fsync-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    unlink(path);
    cr_assert_eq(write(fd, "x", 1), 1);
    return fd;
}

Test(aof_fsync, reports_success_once)
{
    int fd = temp_fd(), err = -1;
    cr_assert(aof_fsync_request(&f, fd));
    aof_fsync_wait_idle(&f);
    cr_assert_not(aof_fsync_is_pending(&f));
    cr_assert(aof_fsync_take_result(&f, &err));
    cr_assert_eq(err, 0);
    cr_assert_not(aof_fsync_take_result(&f, &err)); /* reported once */
    close(fd);
}

Test(aof_fsync, reports_the_errno_of_a_failed_fsync)
{
    int err = 0;
    int fd = open("/dev/null", O_RDONLY); /* a descriptor fdatasync refuses (EINVAL) */
    cr_assert(fd >= 0);
    cr_assert(aof_fsync_request(&f, fd));
    aof_fsync_wait_idle(&f);
    cr_assert(aof_fsync_take_result(&f, &err));
    cr_assert_neq(err, 0);
    close(fd);
}

Test(aof_fsync, nothing_to_report_without_a_request)
{
    int err;
    cr_assert_not(aof_fsync_is_pending(&f));
    cr_assert_not(aof_fsync_take_result(&f, &err));
    aof_fsync_wait_idle(&f); /* returns at once */
}

Test(aof_fsync, serves_requests_one_after_another)
{
    int fd = temp_fd(), err;
    for (int i = 0; i < 20; i++) {
        /* a request made while one is pending is refused, never queued */
        while (!aof_fsync_request(&f, fd)) aof_fsync_wait_idle(&f);
        aof_fsync_wait_idle(&f);
        cr_assert(aof_fsync_take_result(&f, &err));
        cr_assert_eq(err, 0);
    }
    close(fd);
}
