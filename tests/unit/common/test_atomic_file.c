/* atomic_file: whole-file replacement through an unpredictable O_EXCL|O_NOFOLLOW temp file,
 * fsync of the file and of its folder, the previous file kept on failure, append files that
 * refuse a symlink, and the folder check. fsync is interposed here (this executable's definition
 * wins over libc's for the static libcommon) to see which descriptors are synced and to fail one.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/atomic_file.h"
#include "tests/unit/tmpdir.h"

static char dir[64];
static char path[128];

/* What the interposed fsync saw: the inode of every synced folder and regular file. */
static ino_t synced_dirs[16], synced_files[16];
static char synced_names[16][256]; /* the path each synced file had when it was synced */
static int n_synced_dirs, n_synced_files;
static int fail_file_fsync_errno; /* nonzero: fsync of a regular file fails with it */

int fsync(int fd)
{
    struct stat sb;
    if (fstat(fd, &sb) == 0 && S_ISDIR(sb.st_mode) && n_synced_dirs < 16)
        synced_dirs[n_synced_dirs++] = sb.st_ino;
    if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode)) {
        if (n_synced_files < 16) {
            char proc[64];
            snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
            ssize_t n = readlink(proc, synced_names[n_synced_files], 255);
            synced_names[n_synced_files][n > 0 ? n : 0] = '\0';
            synced_files[n_synced_files++] = sb.st_ino;
        }
        if (fail_file_fsync_errno) {
            errno = fail_file_fsync_errno;
            return -1;
        }
    }
    return (int)syscall(SYS_fsync, fd);
}

static void setup(void)
{
    snprintf(dir, sizeof(dir), "/tmp/vigil-atomic-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/target", dir);
    n_synced_dirs = n_synced_files = 0;
    fail_file_fsync_errno = 0;
}

static void teardown(void) { tmpdir_remove(dir); }

TestSuite(atomic_file, .init = setup, .fini = teardown);

static void put(const char *p, const char *text)
{
    FILE *f = fopen(p, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
}

static void assert_content(const char *p, const char *want)
{
    char buf[256] = {0};
    FILE *f = fopen(p, "r");
    cr_assert_not_null(f, "%s: %s", p, strerror(errno));
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    cr_assert_eq(n, strlen(want), "%s: %zu bytes", p, n);
    cr_assert_str_eq(buf, want);
}

Test(atomic_file, writes_the_content_with_the_callers_mode)
{
    char err[256];
    mode_t old = umask(0);
    cr_assert_eq(atomic_file_write(path, "one\n", 4, 0640, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(atomic_file_write(path, "two\n", 4, 0604, err, sizeof(err)), 0, "%s", err);
    umask(old);
    assert_content(path, "two\n");
    struct stat sb;
    cr_assert_eq(lstat(path, &sb), 0);
    cr_assert_eq(sb.st_mode & 07777, 0604);
    cr_assert_eq(tmpdir_count(dir), 1, "no temp file left behind");
}

Test(atomic_file, fsyncs_the_file_and_then_its_folder)
{
    char err[256];
    cr_assert_eq(atomic_file_write(path, "x", 1, 0600, err, sizeof(err)), 0, "%s", err);
    struct stat d, f;
    cr_assert_eq(stat(dir, &d), 0);
    cr_assert_eq(stat(path, &f), 0);
    cr_assert_eq(n_synced_files, 1);
    cr_assert_eq(synced_files[0], f.st_ino, "the renamed file is the one that was synced");
    cr_assert_eq(n_synced_dirs, 1, "the folder must be fsynced after the rename");
    cr_assert_eq(synced_dirs[0], d.st_ino);
}

Test(atomic_file, relative_path_syncs_the_current_folder)
{
    char err[256];
    cr_assert_eq(chdir(dir), 0);
    cr_assert_eq(atomic_file_write("target", "x", 1, 0600, err, sizeof(err)), 0, "%s", err);
    struct stat d;
    cr_assert_eq(stat(dir, &d), 0);
    cr_assert_eq(n_synced_dirs, 1);
    cr_assert_eq(synced_dirs[0], d.st_ino);
}

Test(atomic_file, failed_fsync_keeps_the_previous_file_and_removes_the_temp)
{
    char err[256];
    put(path, "old\n");
    fail_file_fsync_errno = EIO;
    cr_assert_eq(atomic_file_write(path, "new\n", 4, 0600, err, sizeof(err)), -1);
    cr_assert_eq(errno, EIO);
    cr_assert(strstr(err, "fsync failed") && strstr(err, path), "%s", err);
    assert_content(path, "old\n");
    cr_assert_eq(tmpdir_count(dir), 1, "the temp file must be removed");
    cr_assert_eq(n_synced_dirs, 0, "nothing renamed, nothing to sync");
}

Test(atomic_file, failed_write_keeps_the_previous_file_and_removes_the_temp)
{
    char err[256];
    put(path, "old\n");
    signal(SIGXFSZ, SIG_IGN); /* a size limit fails the write with EFBIG, even for root */
    struct rlimit rl = {.rlim_cur = 8, .rlim_max = RLIM_INFINITY};
    cr_assert_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
    cr_assert_eq(atomic_file_write(path, "much longer than eight", 22, 0600, err, sizeof(err)), -1);
    cr_assert(strstr(err, "write failed"), "%s", err);
    assert_content(path, "old\n");
    cr_assert_eq(tmpdir_count(dir), 1, "the temp file must be removed");
}

Test(atomic_file, symlinks_at_old_predictable_temp_names_are_not_followed)
{
    char victim[160], link[200], err[256];
    snprintf(victim, sizeof(victim), "%s/victim", dir);
    put(victim, "precious");
    /* The names the three writers used before: <path>.tmp and <path>.tmp.<pid>. */
    snprintf(link, sizeof(link), "%s.tmp", path);
    cr_assert_eq(symlink(victim, link), 0);
    snprintf(link, sizeof(link), "%s.tmp.%d", path, (int)getpid());
    cr_assert_eq(symlink(victim, link), 0);
    cr_assert_eq(atomic_file_write(path, "data", 4, 0600, err, sizeof(err)), 0, "%s", err);
    assert_content(victim, "precious");
    assert_content(path, "data");
}

Test(atomic_file, symlink_at_the_target_is_replaced_not_followed)
{
    char victim[160], err[256];
    snprintf(victim, sizeof(victim), "%s/victim", dir);
    put(victim, "precious");
    cr_assert_eq(symlink(victim, path), 0);
    cr_assert_eq(atomic_file_write(path, "data", 4, 0600, err, sizeof(err)), 0, "%s", err);
    assert_content(victim, "precious");
    struct stat sb;
    cr_assert_eq(lstat(path, &sb), 0);
    cr_assert(S_ISREG(sb.st_mode));
}

Test(atomic_file, temp_names_are_unpredictable)
{
    /* Two writes that fail after creating their temp files: the names differ from each other and
     * from the old fixed ones, so no one can plant a link at the next one in advance. */
    char err[256], old_name[200];
    fail_file_fsync_errno = EIO;
    cr_assert_eq(atomic_file_write(path, "a", 1, 0600, err, sizeof(err)), -1);
    cr_assert_eq(atomic_file_write(path, "b", 1, 0600, err, sizeof(err)), -1);
    cr_assert_eq(n_synced_files, 2);
    cr_assert_str_neq(synced_names[0], synced_names[1]);
    snprintf(old_name, sizeof(old_name), "%s.tmp", path);
    for (int i = 0; i < 2; i++) {
        cr_assert(strncmp(synced_names[i], dir, strlen(dir)) == 0, "same folder: %s",
                  synced_names[i]);
        cr_assert(strncmp(synced_names[i], old_name, strlen(old_name)) != 0, "%s", synced_names[i]);
    }
}

Test(atomic_file, append_refuses_a_symlink)
{
    char victim[160];
    snprintf(victim, sizeof(victim), "%s/victim", dir);
    put(victim, "precious");
    cr_assert_eq(symlink(victim, path), 0);
    cr_assert_eq(atomic_file_open_append(path, 0644), -1);
    cr_assert_eq(errno, ELOOP);
    cr_assert_eq(atomic_file_open_read(path), -1);
    cr_assert_eq(errno, ELOOP);
    assert_content(victim, "precious");
}

Test(atomic_file, append_creates_and_appends)
{
    int fd = atomic_file_open_append(path, 0600);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, "a\n", 2), 2);
    close(fd);
    fd = atomic_file_open_append(path, 0600);
    cr_assert_eq(write(fd, "b\n", 2), 2);
    cr_assert(fcntl(fd, F_GETFD) & FD_CLOEXEC);
    close(fd);
    assert_content(path, "a\nb\n");
}

Test(atomic_file, world_writable_folder_without_sticky_bit_is_refused)
{
    char err[256];
    cr_assert_eq(chmod(dir, 0777), 0);
    cr_assert_eq(atomic_file_check_dir(dir, err, sizeof(err)), -1);
    cr_assert(strstr(err, "sticky") && strstr(err, dir), "%s", err);
    cr_assert_eq(chmod(dir, 01777), 0);
    cr_assert_eq(atomic_file_check_dir(dir, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(chmod(dir, 0755), 0);
    cr_assert_eq(atomic_file_check_dir(dir, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(chmod(dir, 0700), 0);
    cr_assert_eq(atomic_file_check_dir(path, err, sizeof(err)), -1, "missing: an error");
}

Test(atomic_file, scratch_file_replaces_a_planted_symlink_and_leaves_its_target_alone)
{
    char victim[160];
    snprintf(victim, sizeof(victim), "%s/victim", dir);
    put(victim, "precious");
    cr_assert_eq(symlink(victim, path), 0);
    int fd = atomic_file_create_scratch(path, 0600);
    cr_assert_geq(fd, 0, "%s", strerror(errno));
    cr_assert_eq(write(fd, "snapshot", 8), 8);
    cr_assert(fcntl(fd, F_GETFD) & FD_CLOEXEC);
    close(fd);
    assert_content(victim, "precious");
    assert_content(path, "snapshot");
    struct stat sb;
    cr_assert_eq(lstat(path, &sb), 0);
    cr_assert(S_ISREG(sb.st_mode));
    cr_assert_eq(sb.st_mode & 0777, 0600);
}

Test(atomic_file, scratch_file_starts_empty_over_a_leftover)
{
    put(path, "left over by a process that had the same pid");
    int fd = atomic_file_create_scratch(path, 0600);
    cr_assert_geq(fd, 0, "%s", strerror(errno));
    struct stat sb;
    cr_assert_eq(fstat(fd, &sb), 0);
    cr_assert_eq(sb.st_size, 0);
    close(fd);
}

Test(atomic_file, stream_abort_leaves_the_previous_file_and_no_temp)
{
    char err[256];
    put(path, "old\n");
    struct atomic_stream s;
    cr_assert_eq(atomic_file_stream_open(&s, path, 0600, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(atomic_file_write_all(s.fd, "partial", 7), 0);
    assert_content(path, "old\n");
    atomic_file_stream_abort(&s);
    assert_content(path, "old\n");
    cr_assert_eq(tmpdir_count(dir), 1, "the temp file must be removed");
}

Test(atomic_file, stream_synced_in_a_child_is_published_by_the_parent)
{
    char err[256];
    put(path, "old\n");
    struct atomic_stream s;
    cr_assert_eq(atomic_file_stream_open(&s, path, 0600, err, sizeof(err)), 0, "%s", err);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        int ok = atomic_file_write_all(s.fd, "new\n", 4) == 0 &&
                 atomic_file_stream_sync(&s, NULL, 0) == 0;
        _exit(ok ? 0 : 1);
    }
    int status = 0;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_content(path, "old\n");
    close(s.fd); /* the parent's copy of the descriptor */
    cr_assert_eq(atomic_file_stream_publish(&s, err, sizeof(err)), 0, "%s", err);
    assert_content(path, "new\n");
    cr_assert_eq(tmpdir_count(dir), 1, "the temp file became the target");
}
