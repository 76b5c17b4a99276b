/* rdb_file: the dataset written to, or read from, an RDB file in `dir` (docs/persistence.md).
 * Writing always goes through an atomic stream (common/atomic_file.h): a failed or killed save
 * never damages the previous file. */
#ifndef VIGIL_RDB_FILE_H
#define VIGIL_RDB_FILE_H

#include <stddef.h>

struct server;
struct rdb_aux;

/* Write the whole dataset as an RDB into fd (a temp file of an atomic stream), with the
 * server's snapshot settings (rdbcompression, rdbchecksum). May run in a forked child.
 * 0, or -1 with a message. */
int rdb_file_write_fd(struct server *srv, int fd, const struct rdb_aux *aux, char *err,
                      size_t errlen);

/* Save the dataset to path now (the loop waits): temp file, fsync, rename, fsync the folder.
 * 0, or -1 with a message; the previous file is untouched on failure. */
int rdb_file_save(struct server *srv, const char *path, const struct rdb_aux *aux, char *err,
                  size_t errlen);

#endif
