/* atomic_file: see atomic_file.h. The temp name is "<dir>/.<base>.tmp-<16 random hex>", so two
 * writers (or two processes sharing a folder) never meet, and no one can guess it in advance. */
#include "common/atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"

#define TEMP_ATTEMPTS 8 /* each name has 64 random bits: a clash means someone is guessing */

static int write_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) return -1;
        if (w == 0) {
            errno = EIO;
            return -1;
        }
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

/* Split `path` into its folder ("." when none) and base name, into caller buffers. */
static int split_path(const char *path, char *dir, size_t dirlen, const char **base)
{
    const char *slash = strrchr(path, '/');
    *base = slash ? slash + 1 : path;
    int n = slash == NULL   ? snprintf(dir, dirlen, ".")
            : slash == path ? snprintf(dir, dirlen, "/")
                            : snprintf(dir, dirlen, "%.*s", (int)(slash - path), path);
    if (n < 0 || (size_t)n >= dirlen || (*base)[0] == '\0') {
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}

static int open_temp(const char *dir, const char *base, mode_t mode, char *tmp, size_t tmplen)
{
    for (int i = 0; i < TEMP_ATTEMPTS; i++) {
        char rnd[17];
        util_random_hex(rnd, 16);
        rnd[16] = '\0';
        int n = snprintf(tmp, tmplen, "%s/.%s.tmp-%s", dir, base, rnd);
        if (n < 0 || (size_t)n >= tmplen) {
            errno = ENAMETOOLONG;
            return -1;
        }
        int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
        if (fd >= 0 || errno != EEXIST) return fd;
    }
    return -1;
}

static int fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return -1;
    int rc = fsync(fd);
    int saved = errno;
    close(fd);
    errno = saved;
    return rc;
}

static void fail_message(const char *path, const char *step, char *err, size_t errlen)
{
    if (err && errlen) snprintf(err, errlen, "%s: %s failed: %s", path, step, strerror(errno));
}

int atomic_file_stream_open(struct atomic_stream *s, const char *path, mode_t mode, char *err,
                            size_t errlen)
{
    const char *base;
    s->fd = -1;
    int n = snprintf(s->path, sizeof s->path, "%s", path);
    if (n < 0 || (size_t)n >= sizeof s->path) errno = ENAMETOOLONG;
    if (n < 0 || (size_t)n >= sizeof s->path ||
        split_path(path, s->dir, sizeof s->dir, &base) != 0) {
        fail_message(path, "path", err, errlen);
        return -1;
    }
    s->fd = open_temp(s->dir, base, mode, s->tmp, sizeof s->tmp);
    if (s->fd < 0) {
        fail_message(path, "create temp file", err, errlen);
        return -1;
    }
    return 0;
}

int atomic_file_stream_sync(struct atomic_stream *s, char *err, size_t errlen)
{
    const char *step = "fsync";
    int rc = fsync(s->fd);
    if (rc == 0) {
        step = "close";
        rc = close(s->fd);
    } else {
        int saved = errno;
        close(s->fd);
        errno = saved;
    }
    s->fd = -1;
    if (rc != 0) fail_message(s->path, step, err, errlen);
    return rc;
}

int atomic_file_stream_publish(struct atomic_stream *s, char *err, size_t errlen)
{
    if (rename(s->tmp, s->path) != 0) {
        fail_message(s->path, "rename", err, errlen);
        int saved = errno;
        unlink(s->tmp);
        errno = saved;
        return -1;
    }
    if (fsync_dir(s->dir) != 0) { /* renamed, but not known to be durable */
        fail_message(s->path, "fsync directory", err, errlen);
        return -1;
    }
    return 0;
}

int atomic_file_stream_commit(struct atomic_stream *s, char *err, size_t errlen)
{
    if (atomic_file_stream_sync(s, err, errlen) != 0) {
        atomic_file_stream_abort(s);
        return -1;
    }
    return atomic_file_stream_publish(s, err, errlen);
}

void atomic_file_stream_abort(struct atomic_stream *s)
{
    int saved = errno;
    if (s->fd >= 0) close(s->fd);
    s->fd = -1;
    unlink(s->tmp);
    errno = saved;
}

int atomic_file_write(const char *path, const void *data, size_t len, mode_t mode, char *err,
                      size_t errlen)
{
    struct atomic_stream s;
    if (atomic_file_stream_open(&s, path, mode, err, errlen) != 0) return -1;
    if (write_all(s.fd, data, len) != 0) {
        fail_message(path, "write", err, errlen);
        atomic_file_stream_abort(&s);
        return -1;
    }
    return atomic_file_stream_commit(&s, err, errlen);
}

int atomic_file_write_all(int fd, const void *data, size_t len) { return write_all(fd, data, len); }

int atomic_file_open_append(const char *path, mode_t mode)
{
    return open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, mode);
}

int atomic_file_create_scratch(const char *path, mode_t mode)
{
    if (unlink(path) != 0 && errno != ENOENT) return -1;
    return open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
}

int atomic_file_open_read(const char *path)
{
    return open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
}

int atomic_file_check_dir(const char *dir, char *err, size_t errlen)
{
    struct stat st;
    if (stat(dir, &st) != 0) {
        snprintf(err, errlen, "cannot examine the directory '%s': %s", dir, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "'%s' is not a directory", dir);
        return -1;
    }
    if ((st.st_mode & S_IWOTH) && !(st.st_mode & S_ISVTX)) {
        snprintf(err, errlen,
                 "refusing the directory '%s': anyone may write to it and it has no sticky bit "
                 "(chmod o-w or +t)",
                 dir);
        return -1;
    }
    return 0;
}
