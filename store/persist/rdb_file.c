/* rdb_file: see rdb_file.h. */
#include "store/persist/rdb_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/atomic_file.h"
#include "common/util.h"
#include "store/persist/rdb_dataset.h"
#include "store/rdb/rdb.h"
#include "store/server.h"

static int sink_fd(void *ctx, const void *p, size_t n)
{
    return atomic_file_write_all(*(int *)ctx, p, n);
}

int rdb_file_write_fd(struct server *srv, int fd, const struct rdb_aux *aux, char *err,
                      size_t errlen)
{
    struct rdb_writer *w = xmalloc(sizeof *w); /* 16 KB of batch: not on the stack */
    rdb_writer_init(w, sink_fd, &fd);
    int rc = rdb_dataset_write(srv, w, aux);
    free(w);
    if (rc != 0) snprintf(err, errlen, "writing the RDB failed: %s", strerror(errno));
    return rc == 0 ? 0 : -1;
}

int rdb_file_save(struct server *srv, const char *path, const struct rdb_aux *aux, char *err,
                  size_t errlen)
{
    struct atomic_stream s;
    if (atomic_file_stream_open(&s, path, 0644, err, errlen) != 0) return -1;
    if (rdb_file_write_fd(srv, s.fd, aux, err, errlen) != 0) {
        atomic_file_stream_abort(&s);
        return -1;
    }
    return atomic_file_stream_commit(&s, err, errlen);
}
