/* persist_load: see persist_load.h.
 *
 * The loader thread gets the mapped file and fresh databases, nothing else; it reports through
 * a pipe the loop watches. A timer publishes progress to the log (at most once a second, and
 * only after loading-process-events-interval-bytes more were parsed). */
#include "store/persist/persist_load.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/atomic_file.h"
#include "common/buf.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/util.h"
#include "store/persist/aof.h"
#include "store/persist/aof_load.h"
#include "store/persist/rdb_dataset.h"
#include "store/repl/repl.h"
#include "store/server.h"

#define PROGRESS_TICK_MS 1000

struct persist_load {
    /* the load in progress */
    struct rdb_dataset_load *ld;
    char path[PATH_MAX];
    int fd;
    void *map;
    size_t len;
    pthread_t thread;
    bool is_thread_running;
    int notify[2];
    int rc;
    char err[PATH_MAX + 512];
    int64_t start_wall_ms, start_mono_ms;
    size_t logged_bytes;
    uint64_t progress_timer;
    /* the last load, for INFO */
    size_t keys_loaded, keys_expired;
};

static struct persist_load *load_get(struct server *srv)
{
    if (!srv->load) {
        srv->load = xcalloc(1, sizeof *srv->load);
        srv->load->fd = -1;
        srv->load->notify[0] = srv->load->notify[1] = -1;
    }
    return srv->load;
}

/* Map `path`: 0, 1 when it does not exist, -1 with a message. */
static int map_file(struct persist_load *pl, const char *path, char *err, size_t errlen)
{
    snprintf(pl->path, sizeof pl->path, "%s", path);
    if (path[0] != '/') {
        char cwd[PATH_MAX];
        if (getcwd(cwd, sizeof cwd) != NULL && strlen(cwd) + strlen(path) + 2 <= sizeof pl->path) {
            memcpy(pl->path, cwd, strlen(cwd));
            pl->path[strlen(cwd)] = '/';
            memcpy(pl->path + strlen(cwd) + 1, path, strlen(path) + 1);
        }
    }
    pl->fd = atomic_file_open_read(path);
    if (pl->fd < 0) {
        if (errno == ENOENT) return 1;
        snprintf(err, errlen, "cannot open %s: %s", pl->path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(pl->fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s is not a regular file", pl->path);
        return -1;
    }
    pl->len = (size_t)st.st_size;
    if (pl->len == 0) return 0; /* rdb_load reports it as truncated at offset 0 */
    pl->map = mmap(NULL, pl->len, PROT_READ, MAP_PRIVATE, pl->fd, 0);
    if (pl->map == MAP_FAILED) {
        pl->map = NULL;
        snprintf(err, errlen, "cannot map %s: %s", pl->path, strerror(errno));
        return -1;
    }
    madvise(pl->map, pl->len, MADV_SEQUENTIAL);
    return 0;
}

static void unmap_file(struct persist_load *pl)
{
    if (pl->map) munmap(pl->map, pl->len);
    pl->map = NULL;
    if (pl->fd >= 0) close(pl->fd);
    pl->fd = -1;
}

static void release(struct server *srv)
{
    struct persist_load *pl = srv->load;
    if (pl->is_thread_running) {
        rdb_dataset_load_cancel(pl->ld);
        pthread_join(pl->thread, NULL);
        pl->is_thread_running = false;
    }
    if (pl->notify[0] >= 0) {
        loop_unwatch(srv->loop, pl->notify[0], LOOP_READABLE);
        close(pl->notify[0]);
        close(pl->notify[1]);
        pl->notify[0] = pl->notify[1] = -1;
    }
    if (pl->progress_timer) loop_timer_cancel(srv->loop, pl->progress_timer);
    pl->progress_timer = 0;
    rdb_dataset_load_destroy(pl->ld);
    pl->ld = NULL;
    unmap_file(pl);
    srv->is_loading = false;
}

void persist_load_destroy(struct server *srv)
{
    if (!srv->load) return;
    release(srv);
    free(srv->load);
    srv->load = NULL;
}

void persist_load_finish_start(struct server *srv)
{
    /* As Redis: the AOF is opened for writing only once the data is in (new writes follow
     * what was loaded; a torn tail was cut first), then replication starts. */
    char err[512];
    if (aof_start_from_config(srv, err, sizeof err) != 0) {
        log_warning("%s", err);
        persist_load_refuse_start();
    }
    repl_start_from_config(srv);
}

void persist_load_refuse_start(void) { _exit(1); }

void persist_load_aof_at_start(struct server *srv)
{
    /* docs/persistence.md#loading-the-append-only-file: replayed in the loop, then finish. */
    char err[512];
    int rc = aof_load_start(srv, persist_load_finish_start, err, sizeof err);
    if (rc < 0) {
        log_warning("%s", err);
        persist_load_refuse_start(); /* nothing was written: the files stay for the operator */
    }
    if (rc == 0) persist_load_finish_start(srv); /* nothing to load */
}

/* ---- the parse, shared by the thread and DEBUG RELOAD ---------------------------------------- */

static struct rdb_dataset_load *parse_prepare(struct server *srv)
{
    struct rdb_dataset_load *ld = rdb_dataset_load_create(srv);
    /* A master drops what already expired; a replica keeps it until its master's DEL. */
    rdb_dataset_load_set_policy(ld, !server_is_replica(srv), server_now_ms(srv),
                                srv->cfg.key_load_delay_us);
    return ld;
}

static void parse_run(struct persist_load *pl)
{
    pl->err[0] = '\0';
    char why[400];
    pl->rc = rdb_dataset_load_run(pl->ld, pl->map ? pl->map : "", pl->len, why, sizeof why);
    if (pl->rc != 0) snprintf(pl->err, sizeof pl->err, "%s: %s", pl->path, why);
}

/* Swap the parsed data in; returns the file's replication history through id/offset. */
static void parse_adopt(struct server *srv, struct persist_load *pl, char id[41], long long *offset,
                        bool *has_history, int *stream_db)
{
    *has_history = rdb_dataset_load_repl_info(pl->ld, id, offset);
    *stream_db = rdb_dataset_load_stream_db(pl->ld);
    rdb_dataset_load_counts(pl->ld, &pl->keys_loaded, &pl->keys_expired);
    rdb_dataset_load_swap_in(pl->ld, srv); /* consumes ld */
    pl->ld = NULL;
    log_notice("Done loading RDB, keys loaded: %zu, keys expired: %zu.", pl->keys_loaded,
               pl->keys_expired);
}

/* ---- loading at start ------------------------------------------------------------------------ */

static void *loader_main(void *arg)
{
    struct persist_load *pl = arg;
    parse_run(pl);
    ssize_t w;
    do w = write(pl->notify[1], "x", 1);
    while (w < 0 && errno == EINTR);
    return NULL;
}

static int64_t on_progress_tick(struct loop *lp, uint64_t id, void *data)
{
    UNUSED(lp);
    UNUSED(id);
    struct server *srv = data;
    struct persist_load *pl = srv->load;
    if (!pl->ld) return -1;
    size_t done = rdb_dataset_load_progress(pl->ld);
    size_t every = (size_t)MAX(srv->cfg.loading_process_events_interval_bytes, 1);
    if (done - pl->logged_bytes >= every) {
        pl->logged_bytes = done;
        log_notice("Loading RDB: %zu of %zu bytes (%.2f%%)", done, pl->len,
                   pl->len ? (double)done * 100.0 / (double)pl->len : 100.0);
    }
    return PROGRESS_TICK_MS;
}

static void fail_start(struct server *srv, const char *why)
{
    /* Nothing is saved on this exit: the file stays as it is for the operator. */
    log_warning("Fatal error loading the DB, refusing to start: %s. Exiting.", why);
    UNUSED(srv);
    persist_load_refuse_start();
}

static void on_loader_done(struct loop *lp, int fd, void *data, int mask)
{
    UNUSED(lp);
    UNUSED(mask);
    struct server *srv = data;
    struct persist_load *pl = srv->load;
    char b[8];
    if (read(fd, b, sizeof b) <= 0) return;
    pthread_join(pl->thread, NULL);
    pl->is_thread_running = false;
    if (pl->rc != 0) fail_start(srv, pl->err);
    char id[41];
    long long offset = -1;
    bool has_history;
    int stream_db;
    parse_adopt(srv, pl, id, &offset, &has_history, &stream_db);
    log_notice("DB loaded from disk: %.3f seconds",
               (double)(clock_mono_ms() - pl->start_mono_ms) / 1000.0);
    release(srv);
    if (has_history) repl_restore_history(srv, id, offset, stream_db);
    persist_load_finish_start(srv);
}

static void load_rdb_at_start(struct server *srv)
{
    struct persist_load *pl = load_get(srv);
    char err[PATH_MAX + 128];
    int rc = map_file(pl, srv->cfg.dbfilename, err, sizeof err);
    if (rc < 0) fail_start(srv, err);
    if (rc > 0) { /* no snapshot: start empty */
        unmap_file(pl);
        persist_load_finish_start(srv);
        return;
    }
    if (pipe2(pl->notify, O_CLOEXEC | O_NONBLOCK) != 0) fail_start(srv, strerror(errno));
    pl->ld = parse_prepare(srv);
    pl->start_wall_ms = clock_wall_ms();
    pl->start_mono_ms = clock_mono_ms();
    pl->logged_bytes = 0;
    loop_watch(srv->loop, pl->notify[0], LOOP_READABLE, on_loader_done, srv);
    srv->is_loading = true;
    log_notice("Loading RDB %s (%zu bytes)", pl->path, pl->len);
    if (pthread_create(&pl->thread, NULL, loader_main, pl) != 0)
        fail_start(srv, "cannot start the loader thread");
    pl->is_thread_running = true;
    pl->progress_timer = loop_timer_add(srv->loop, PROGRESS_TICK_MS, on_progress_tick, srv);
}

void persist_load_at_start(struct server *srv)
{
    if (srv->cfg.appendonly)
        persist_load_aof_at_start(srv);
    else
        load_rdb_at_start(srv);
}

/* ---- DEBUG RELOAD ---------------------------------------------------------------------------- */

int persist_load_file_now(struct server *srv, const char *path, char *err, size_t errlen)
{
    struct persist_load *pl = load_get(srv);
    if (pl->ld || pl->is_thread_running) {
        snprintf(err, errlen, "a load is already in progress");
        return -1;
    }
    int rc = map_file(pl, path, err, errlen);
    if (rc != 0) {
        if (rc > 0) snprintf(err, errlen, "%s does not exist", pl->path);
        unmap_file(pl);
        return -1;
    }
    pl->ld = parse_prepare(srv);
    parse_run(pl);
    if (pl->rc != 0) {
        snprintf(err, errlen, "%s", pl->err);
        release(srv);
        return -1;
    }
    char id[41];
    long long offset;
    bool has_history;
    int stream_db;
    parse_adopt(srv, pl, id, &offset, &has_history, &stream_db);
    release(srv);
    return 0;
}

/* ---- INFO ------------------------------------------------------------------------------------ */

void persist_load_info_keys(const struct server *srv, struct buf *o)
{
    const struct persist_load *pl = srv->load;
    buf_printf(o, "rdb_last_load_keys_expired:%zu\r\nrdb_last_load_keys_loaded:%zu\r\n",
               pl ? pl->keys_expired : 0, pl ? pl->keys_loaded : 0);
}

void persist_load_info_progress(struct server *srv, struct buf *o)
{
    struct persist_load *pl = srv->load;
    if (!pl || !pl->ld || !srv->is_loading) return;
    size_t done = rdb_dataset_load_progress(pl->ld);
    double elapsed_s = (double)(clock_mono_ms() - pl->start_mono_ms) / 1000.0;
    double perc = pl->len ? (double)done * 100.0 / (double)pl->len : 0.0;
    long long eta = done ? (long long)(elapsed_s * (double)(pl->len - done) / (double)done) : 1;
    buf_printf(o,
               "loading_start_time:%lld\r\nloading_total_bytes:%zu\r\n"
               "loading_rdb_used_mem:%lld\r\nloading_loaded_bytes:%zu\r\n"
               "loading_loaded_perc:%.2f\r\nloading_eta_seconds:%lld\r\n",
               (long long)(pl->start_wall_ms / 1000), pl->len, rdb_dataset_load_used_mem(pl->ld),
               done, perc, eta);
}
