/* rdb_file: the dataset written to, or read from, an RDB file in `dir` (docs/persistence.md).
 * Writing always goes through an atomic stream (common/atomic_file.h): a failed or killed save
 * never damages the previous file. */
#ifndef VIGIL_RDB_FILE_H
#define VIGIL_RDB_FILE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

struct server;
struct rdb_aux;

/* How far a save got, for INFO while a background save runs: the child updates it in a page
 * shared with its parent (MAP_SHARED), the parent only reads it. */
struct rdb_file_progress {
    _Atomic uint64_t keys_done;
    _Atomic int64_t cow_bytes;         /* the child's copy-on-write size at the last sample */
    _Atomic int64_t cow_peak_bytes;    /* the largest sample */
    _Atomic int64_t cow_sample_wall_s; /* when it was taken (0: none yet) */
};

/* Write the whole dataset as an RDB into fd (a temp file of an atomic stream), with the
 * server's snapshot settings (rdbcompression, rdbchecksum, rdb-key-save-delay,
 * rdb-save-incremental-fsync). May run in a forked child. 0, or -1 with a message. */
int rdb_file_write_fd(struct server *srv, int fd, const struct rdb_aux *aux, char *err,
                      size_t errlen);
/* The same, reporting progress (may be NULL) as it goes. */
int rdb_file_write_tracked(struct server *srv, int fd, const struct rdb_aux *aux,
                           struct rdb_file_progress *progress, char *err, size_t errlen);

/* Save the dataset to path now (the loop waits): temp file, fsync, rename, fsync the folder.
 * 0, or -1 with a message; the previous file is untouched on failure. */
int rdb_file_save(struct server *srv, const char *path, const struct rdb_aux *aux, char *err,
                  size_t errlen);

#endif
