/* rdb_file: see rdb_file.h. The writer (store/rdb/rdb_write.c) stays pure; the settings that
 * touch the file or the clock live here: the incremental fsync every
 * RDB_FILE_AUTOSYNC_BYTES, the testing delay per key, and the progress samples. */
#include "store/persist/rdb_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/atomic_file.h"
#include "common/clock.h"
#include "common/util.h"
#include "store/persist/bgchild.h"
#include "store/persist/rdb_dataset.h"
#include "store/rdb/rdb.h"
#include "store/server.h"

/* rdb-save-incremental-fsync: flush written data this often, so the final fsync of a large
 * snapshot does not stall for seconds (Redis's figure). */
#define RDB_FILE_AUTOSYNC_BYTES (4 * 1024 * 1024)
/* Copy-on-write is sampled at most this often (reading smaps costs a walk of the mappings). */
#define RDB_FILE_COW_SAMPLE_MS 1000
#define RDB_FILE_COW_CHECK_KEYS 1024

struct file_sink {
    int fd;
    bool is_autosync;
    size_t unsynced;
};

static int sink_fd(void *ctx, const void *p, size_t n)
{
    struct file_sink *fs = ctx;
    if (atomic_file_write_all(fs->fd, p, n) != 0) return -1;
    fs->unsynced += n;
    if (fs->is_autosync && fs->unsynced >= RDB_FILE_AUTOSYNC_BYTES) {
        fs->unsynced = 0;
        if (fdatasync(fs->fd) != 0) return -1;
    }
    return 0;
}

struct key_hook {
    long long delay_us; /* rdb-key-save-delay: > 0 microseconds per key, < 0: 1 us per -n keys */
    uint64_t keys;
    int64_t last_cow_ms;
    struct rdb_file_progress *progress;
};

static void sample_cow(struct key_hook *h)
{
    int64_t now = clock_mono_ms();
    if (now - h->last_cow_ms < RDB_FILE_COW_SAMPLE_MS) return;
    h->last_cow_ms = now;
    int64_t cow = bgchild_cow_bytes();
    if (cow < 0) return;
    atomic_store(&h->progress->cow_bytes, cow);
    if (cow > atomic_load(&h->progress->cow_peak_bytes))
        atomic_store(&h->progress->cow_peak_bytes, cow);
    atomic_store(&h->progress->cow_sample_wall_s, clock_wall_ms() / 1000);
}

static void on_key(void *ctx)
{
    struct key_hook *h = ctx;
    h->keys++;
    if (h->delay_us > 0)
        usleep((useconds_t)MIN(h->delay_us, 1000000LL));
    else if (h->delay_us < 0 && h->keys % (uint64_t)-h->delay_us == 0)
        usleep(1);
    if (!h->progress) return;
    atomic_store_explicit(&h->progress->keys_done, h->keys, memory_order_relaxed);
    if (h->keys % RDB_FILE_COW_CHECK_KEYS == 0) sample_cow(h);
}

int rdb_file_write_tracked(struct server *srv, int fd, const struct rdb_aux *aux,
                           struct rdb_file_progress *progress, char *err, size_t errlen)
{
    struct rdb_writer *w = xmalloc(sizeof *w); /* 32 KB of buffers: not on the stack */
    struct file_sink fs = {.fd = fd, .is_autosync = srv->cfg.rdb_save_incremental_fsync};
    struct key_hook hook = {.delay_us = srv->cfg.rdb_key_save_delay_us,
                            .last_cow_ms = clock_mono_ms(),
                            .progress = progress};
    rdb_writer_init(w, sink_fd, &fs);
    rdb_writer_set_options(w, srv->cfg.rdbcompression, srv->cfg.rdbchecksum);
    if (hook.delay_us != 0 || progress) rdb_writer_set_key_hook(w, on_key, &hook);
    errno = 0;
    int rc = rdb_dataset_write(srv, w, aux);
    free(w);
    if (rc != 0) snprintf(err, errlen, "writing the RDB failed: %s", strerror(errno));
    return rc == 0 ? 0 : -1;
}

int rdb_file_write_fd(struct server *srv, int fd, const struct rdb_aux *aux, char *err,
                      size_t errlen)
{
    return rdb_file_write_tracked(srv, fd, aux, NULL, err, errlen);
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
