/* atomic_file: the one way the daemons write files in their working directory.
 *
 * A daemon (often root) writes into a folder that another local user may be able to write to, so
 * every file it creates there must resist a planted symlink or hard-linked decoy:
 * - a whole-file replacement goes to a temp file with an unpredictable name in the same folder,
 *   created with O_CREAT|O_EXCL|O_NOFOLLOW (never an existing file, never through a link), written
 *   fully, fsynced, renamed over the target, and then the folder is fsynced so the rename survives
 *   a crash. On any failure the temp file is removed and the previous target is left untouched.
 * - an append-only file is opened with O_NOFOLLOW, so a symlink at its name is refused (ELOOP).
 * - a scratch file at a fixed name of our own (a snapshot being sent or received) is created new:
 *   whatever sits at the name is unlinked first (a link is removed, never its target), then the
 *   file is created with O_CREAT|O_EXCL|O_NOFOLLOW.
 * - a folder that anyone may write to without the sticky bit is refused outright: there another
 *   user could rename our files away or swap them, which no open flag can prevent. */
#ifndef VIGIL_ATOMIC_FILE_H
#define VIGIL_ATOMIC_FILE_H

#include <stddef.h>
#include <sys/types.h>

/* Replace `path` with `len` bytes of `data`; the new file gets `mode` (less the umask).
 * 0 on success; -1 with errno kept and a message naming the failed step in `err`. */
int atomic_file_write(const char *path, const void *data, size_t len, mode_t mode, char *err,
                      size_t errlen);

/* A whole-file replacement written as a stream (a snapshot too large to hold in memory, or
 * written by a forked child): open creates the temp file (write to s->fd), sync fsyncs and
 * closes it, publish renames it over the target and fsyncs the folder; commit is sync then
 * publish. A child may write and sync while its parent publishes once the child succeeded.
 * abort (at any point before publish) closes and removes the temp file; the target is never
 * touched until publish. Each call returns 0, or -1 with errno kept and a message in err;
 * a failed sync or publish has already removed nothing the caller must clean up but the temp
 * file (call abort), a failed publish has removed it. */
struct atomic_stream {
    int fd;
    char path[4096];      /* the target */
    char dir[4096];       /* its folder, fsynced after the rename */
    char tmp[4096 + 300]; /* the temp file */
};
int atomic_file_stream_open(struct atomic_stream *s, const char *path, mode_t mode, char *err,
                            size_t errlen);
int atomic_file_stream_sync(struct atomic_stream *s, char *err, size_t errlen);
int atomic_file_stream_publish(struct atomic_stream *s, char *err, size_t errlen);
int atomic_file_stream_commit(struct atomic_stream *s, char *err, size_t errlen);
void atomic_file_stream_abort(struct atomic_stream *s);

/* write(2) until all len bytes are written (EINTR retried): 0, or -1 with errno. */
int atomic_file_write_all(int fd, const void *data, size_t len);

/* Open `path` for appending (created with `mode` when missing) without following a symlink.
 * Returns the descriptor (O_CLOEXEC), or -1 with errno (ELOOP when `path` is a symlink). */
int atomic_file_open_append(const char *path, mode_t mode);

/* Create `path` as a new, empty scratch file opened read-write (O_CLOEXEC) with `mode`, after
 * unlinking whatever was at that name. Returns the descriptor, or -1 with errno (EEXIST when
 * something was planted again between the unlink and the create). */
int atomic_file_create_scratch(const char *path, mode_t mode);

/* Open `path` for reading without following a symlink: -1 with errno on failure. */
int atomic_file_open_read(const char *path);

/* 0 when `dir` is a folder that is safe to write in: not writable by everyone, or sticky.
 * -1 with a message in `err` otherwise (or when it cannot be examined). */
int atomic_file_check_dir(const char *dir, char *err, size_t errlen);

#endif
