/* repl_transfer: the TRANSFER and LOADING states of the replica link (repl_replica.h).
 *
 * TRANSFER reads the snapshot that follows +FULLRESYNC: optional keep-alive newlines, a header
 * ("$<len>" or "$EOF:<40-byte mark>"), then the payload, into memory; past SPILL_BYTES it
 * continues into a temporary file in `dir` (mapped for parsing), so memory stays bounded by the
 * dataset being built, not by the dataset plus its serialised copy. Meanwhile the old data is
 * served normally. With EOF framing the payload ends when the last 40 bytes received equal the
 * mark (the master sends nothing else until our first ACK,
 * docs/replication.md#receiving-a-snapshot); with a length, bytes past the end are the start of the
 * stream and stay in the link's input for the master client.
 *
 * LOADING parses the payload on a loader thread into fresh databases (store/persist/rdb_dataset.c)
 * while the loop answers -LOADING and INFO loading:1; the thread reports through a pipe watched by
 * the loop. Success swaps the data in and adopts the master's replid and offset; any failure (bad
 * CRC, truncated, unknown type) leaves the old data and history untouched, and the link goes
 * back to CONNECT to retry with backoff.
 *
 * Must not: let the loader thread touch anything but its own fresh databases and the payload. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/atomic_file.h"
#include "common/log.h"
#include "common/util.h"
#include "store/persist/aof.h"
#include "store/persist/rdb_dataset.h"
#include "store/repl/repl_link.h"

#define SPILL_BYTES (64LL * 1024 * 1024) /* payload kept in memory up to this size */
#define SPILL_FLUSH_BYTES (1024 * 1024)
#define READ_CHUNK_BYTES (1024 * 1024)

struct repl_transfer {
    bool has_header;
    long long size; /* -1: EOF framing */
    char mark[REPL_EOF_MARK_LEN + 1];
    long long received; /* payload bytes (including an EOF mark) */
    struct buf mem;
    int spill_fd;
    char spill_path[96];
    long long spilled; /* bytes already in the file */
    char tail[REPL_EOF_MARK_LEN];
    size_t tail_len;
    /* loading */
    struct rdb_dataset_load *ld;
    void *map;
    size_t map_len;
    const char *data;
    size_t data_len;
    pthread_t thread;
    bool is_thread_running;
    int notify[2];
    int rc;
    char err[256];
    int64_t last_keepalive_ms;
    /* the dump file the parsed snapshot is stored as (repl-diskless-load), "" for none */
    char dump_path[1024];
    bool is_deleting_dump; /* rdb-del-sync-files: remove it instead */
};

void repl_transfer_init(struct repl_link *l)
{
    struct repl_transfer *x = xcalloc(1, sizeof *x);
    x->spill_fd = -1;
    x->notify[0] = x->notify[1] = -1;
    buf_init(&x->mem);
    l->transfer = x;
}

void repl_transfer_begin(struct repl_link *l)
{
    struct repl_transfer *x = l->transfer;
    x->has_header = false;
    x->size = -1;
    x->received = 0;
    x->spilled = 0;
    x->tail_len = 0;
    buf_clear(&x->mem);
}

static void loader_stop(struct repl_link *l)
{
    struct repl_transfer *x = l->transfer;
    if (x->is_thread_running) {
        rdb_dataset_load_cancel(x->ld);
        pthread_join(x->thread, NULL);
        x->is_thread_running = false;
    }
    if (x->notify[0] >= 0) {
        loop_unwatch(l->srv->loop, x->notify[0], LOOP_READABLE);
        close(x->notify[0]);
        close(x->notify[1]);
        x->notify[0] = x->notify[1] = -1;
    }
    if (x->ld) {
        rdb_dataset_load_destroy(x->ld);
        x->ld = NULL;
    }
    l->srv->is_loading = false;
}

static void payload_free(struct repl_transfer *x)
{
    if (x->map) {
        munmap(x->map, x->map_len);
        x->map = NULL;
    }
    if (x->spill_fd >= 0) {
        close(x->spill_fd);
        x->spill_fd = -1;
        unlink(x->spill_path);
    }
    buf_free(&x->mem);
    x->data = NULL;
    x->data_len = 0;
}

void repl_transfer_abort(struct repl_link *l)
{
    if (!l->transfer) return;
    loader_stop(l);
    payload_free(l->transfer);
}

void repl_transfer_free(struct repl_link *l)
{
    if (!l->transfer) return;
    loader_stop(l);
    payload_free(l->transfer);
    free(l->transfer);
    l->transfer = NULL;
}

/* ---- receiving ------------------------------------------------------------------------------- */

static int spill_flush(struct repl_transfer *x)
{
    const char *p = x->mem.data;
    size_t n = x->mem.len;
    while (n > 0) {
        ssize_t w = write(x->spill_fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        p += w;
        n -= (size_t)w;
        x->spilled += w;
    }
    buf_clear(&x->mem);
    return 0;
}

static int spill_start(struct repl_link *l)
{
    struct repl_transfer *x = l->transfer;
    snprintf(x->spill_path, sizeof x->spill_path, "temp-repl-recv-%d.rdb", (int)getpid());
    x->spill_fd = atomic_file_create_scratch(x->spill_path, 0600);
    if (x->spill_fd < 0) {
        log_warning("Cannot create the file to receive the snapshot into: %s", strerror(errno));
        return -1;
    }
    log_notice("MASTER <-> REPLICA sync: the snapshot is large, receiving it into %s",
               x->spill_path);
    return spill_flush(x);
}

/* Account for n payload bytes just appended to x->mem. -1 on a local I/O error. */
static int payload_added(struct repl_link *l, const char *p, size_t n)
{
    struct repl_transfer *x = l->transfer;
    x->received += (long long)n;
    if (n >= REPL_EOF_MARK_LEN) {
        memcpy(x->tail, p + n - REPL_EOF_MARK_LEN, REPL_EOF_MARK_LEN);
        x->tail_len = REPL_EOF_MARK_LEN;
    } else if (n > 0) {
        size_t keep = MIN(x->tail_len, REPL_EOF_MARK_LEN - n);
        memmove(x->tail, x->tail + x->tail_len - keep, keep);
        memcpy(x->tail + keep, p, n);
        x->tail_len = keep + n;
    }
    if (x->spill_fd < 0 && (long long)x->mem.len > SPILL_BYTES) return spill_start(l);
    if (x->spill_fd >= 0 && x->mem.len >= SPILL_FLUSH_BYTES) return spill_flush(x);
    return 0;
}

static bool payload_complete(const struct repl_transfer *x)
{
    if (x->size >= 0) return x->received == x->size;
    return x->tail_len == REPL_EOF_MARK_LEN && memcmp(x->tail, x->mark, REPL_EOF_MARK_LEN) == 0;
}

/* The header line, after optional keep-alive newlines. 1 done, 0 need more, -1 error. */
static int take_header(struct repl_link *l)
{
    struct repl_transfer *x = l->transfer;
    for (;;) {
        const char *p = buf_unread(&l->in);
        size_t avail = buf_unread_len(&l->in);
        const char *nl = memchr(p, '\n', avail);
        if (!nl) return avail > 1024 ? -1 : 0;
        size_t n = (size_t)(nl - p), len = n;
        if (len > 0 && p[len - 1] == '\r') len--;
        if (len == 0) {
            buf_consume(&l->in, n + 1); /* keep-alive while the master prepares the snapshot */
            continue;
        }
        if (p[0] == '-') {
            log_warning("MASTER answered the sync with an error: %.*s", (int)MIN(len, 200), p);
            return -1;
        }
        if (repl_parse_bulk_header(p, len, &x->size, x->mark) != 0) {
            log_warning("MASTER sent '%.*s' where the snapshot header was expected (is it really a "
                        "master?)",
                        (int)MIN(len, 200), p);
            return -1;
        }
        buf_consume(&l->in, n + 1);
        x->has_header = true;
        if (x->size >= 0)
            log_notice("MASTER <-> REPLICA sync: receiving %lld bytes from master to memory",
                       x->size);
        else
            log_notice(
                "MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF to memory");
        return 1;
    }
}

/* Move what l->in holds of the payload into it (length framing: not past its end). */
static int take_buffered_payload(struct repl_link *l)
{
    struct repl_transfer *x = l->transfer;
    size_t n = buf_unread_len(&l->in);
    if (x->size >= 0 && (long long)n > x->size - x->received) n = (size_t)(x->size - x->received);
    if (n == 0) return 0;
    size_t at = x->mem.len;
    buf_append(&x->mem, buf_unread(&l->in), n);
    buf_consume(&l->in, n);
    return payload_added(l, x->mem.data + at, n);
}

static int read_payload(struct repl_link *l)
{
    struct repl_transfer *x = l->transfer;
    size_t want = READ_CHUNK_BYTES;
    if (x->size >= 0 && (long long)want > x->size - x->received)
        want = (size_t)(x->size - x->received);
    if (want == 0) return 0;
    char *space = buf_space(&x->mem, want);
    ssize_t n = repl_link_read(l, space, want);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return 0;
    if (n <= 0) {
        log_warning("Reading the snapshot from MASTER failed: %s",
                    n == 0 ? "connection lost" : strerror(errno));
        return -1;
    }
    buf_commit(&x->mem, (size_t)n);
    l->last_io_ms = loop_now_ms(l->srv->loop);
    return payload_added(l, space, (size_t)n);
}

static int read_header_bytes(struct repl_link *l)
{
    char *space = buf_space(&l->in, 4096);
    ssize_t n = repl_link_read(l, space, 4096);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return 0;
    if (n <= 0) {
        log_warning("Reading the snapshot header from MASTER failed: %s",
                    n == 0 ? "connection lost" : strerror(errno));
        return -1;
    }
    buf_commit(&l->in, (size_t)n);
    l->last_io_ms = loop_now_ms(l->srv->loop);
    return 0;
}

/* The payload as one contiguous range for the parser (EOF mark removed). */
static int payload_finish(struct repl_link *l)
{
    struct repl_transfer *x = l->transfer;
    size_t total = (size_t)x->received - (x->size < 0 ? REPL_EOF_MARK_LEN : 0);
    if (x->spill_fd < 0) {
        x->data = x->mem.data;
        x->data_len = total;
        return 0;
    }
    if (spill_flush(x) != 0) return -1;
    x->map_len = (size_t)x->spilled;
    x->map = mmap(NULL, x->map_len ? x->map_len : 1, PROT_READ, MAP_PRIVATE, x->spill_fd, 0);
    if (x->map == MAP_FAILED) {
        x->map = NULL;
        log_warning("Mapping the received snapshot: %s", strerror(errno));
        return -1;
    }
    x->data = x->map;
    x->data_len = total;
    return 0;
}

/* A snapshot that parsed becomes the dump file (docs/persistence.md#restarts-and-replication),
 * so a restart loads it and continues with a partial resync. Written whole to a temp file,
 * fsynced, renamed, folder fsynced: a crash leaves the old file or the new one. A failure is
 * logged, not fatal: the data is in memory, and an older dump still names an older history. */
static void store_dump(struct repl_transfer *x)
{
    if (x->is_deleting_dump) {
        if (unlink(x->dump_path) == 0)
            log_notice("MASTER <-> REPLICA sync: removed %s (rdb-del-sync-files)", x->dump_path);
        return;
    }
    char err[1200];
    if (atomic_file_write(x->dump_path, x->data, x->data_len, 0644, err, sizeof err) != 0)
        log_warning("MASTER <-> REPLICA sync: could not store the snapshot as %s: %s", x->dump_path,
                    err);
}

static void *loader_main(void *arg)
{
    struct repl_transfer *x = arg;
    x->rc = rdb_dataset_load_run(x->ld, x->data, x->data_len, x->err, sizeof x->err);
    if (x->rc == 0 && x->dump_path[0]) store_dump(x);
    ssize_t w;
    do w = write(x->notify[1], "x", 1);
    while (w < 0 && errno == EINTR);
    return NULL;
}

static void on_loader_done(struct loop *lp, int fd, void *data, int mask)
{
    UNUSED(lp);
    UNUSED(mask);
    char b[8];
    if (read(fd, b, sizeof b) <= 0) return;
    repl_link_dispatch(data, LINK_EV_LOADED);
}

/* repl-diskless-load, as Redis 7.0: disabled stores the snapshot as the dump file, on-empty-db
 * only when we held no data (else it is a disk load), swapdb never. With rdb-del-sync-files
 * and neither save points nor AOF, the dump is removed instead, as Redis removes its. */
static void choose_dump(struct server *srv, struct repl_transfer *x)
{
    const struct store_config *cfg = &srv->cfg;
    bool to_disk =
        cfg->repl_diskless_load == REPL_DISKLESS_LOAD_DISABLED ||
        (cfg->repl_diskless_load == REPL_DISKLESS_LOAD_ON_EMPTY_DB && !repl_dataset_is_empty(srv));
    x->dump_path[0] = '\0';
    if (!to_disk) return;
    snprintf(x->dump_path, sizeof x->dump_path, "%s", cfg->dbfilename);
    x->is_deleting_dump =
        cfg->rdb_del_sync_files && (!cfg->save || !cfg->save[0]) && !cfg->appendonly;
}

static int loader_start(struct repl_link *l)
{
    struct repl_transfer *x = l->transfer;
    if (pipe2(x->notify, O_CLOEXEC | O_NONBLOCK) != 0) return -1;
    x->ld = rdb_dataset_load_create(l->srv);
    x->err[0] = '\0';
    choose_dump(l->srv, x);
    loop_watch(l->srv->loop, x->notify[0], LOOP_READABLE, on_loader_done, l);
    if (pthread_create(&x->thread, NULL, loader_main, x) != 0) {
        log_warning("Cannot start the loader thread: %s", strerror(errno));
        return -1;
    }
    x->is_thread_running = true;
    x->last_keepalive_ms = loop_now_ms(l->srv->loop);
    l->srv->is_loading = true;
    return 0;
}

enum repl_hs_state repl_transfer_state(struct repl_link *l, enum link_event ev)
{
    struct repl_transfer *x = l->transfer;
    int rc = 0;
    if (!x->has_header) {
        if (ev == LINK_EV_READABLE) rc = read_header_bytes(l);
        if (rc == 0) rc = take_header(l);
        if (rc <= 0) return rc < 0 ? REPL_ST_CONNECT : REPL_ST_TRANSFER;
        rc = take_buffered_payload(l);
    } else if (ev == LINK_EV_READABLE) {
        rc = read_payload(l);
    } else if (ev == LINK_EV_INPUT) {
        rc = take_buffered_payload(l);
    }
    if (rc < 0) return REPL_ST_CONNECT;
    if (!payload_complete(x)) return REPL_ST_TRANSFER;
    log_notice("MASTER <-> REPLICA sync: snapshot received, the old data stays until it parsed");
    log_notice("MASTER <-> REPLICA sync: Loading DB in memory (%lld bytes)", x->received);
    if (payload_finish(l) != 0 || loader_start(l) != 0) return REPL_ST_CONNECT;
    /* While parsing, the socket is left alone: the master's stream waits in the kernel. */
    if (l->is_watching_read) {
        loop_unwatch(l->srv->loop, l->fd, LOOP_READABLE);
        l->is_watching_read = false;
    }
    /* Our history is about to be replaced: sub-replicas must resync with the new one. */
    repl_replica_drop_all(l->r, "full resync with our master");
    return REPL_ST_LOADING;
}

enum repl_hs_state repl_loading_state(struct repl_link *l, enum link_event ev)
{
    struct repl_transfer *x = l->transfer;
    if (ev != LINK_EV_LOADED || !x->is_thread_running) return REPL_ST_LOADING;
    pthread_join(x->thread, NULL);
    x->is_thread_running = false;
    l->srv->is_loading = false;
    if (x->rc != 0) {
        log_warning(
            "The snapshot from MASTER did not load (%s): the previous dataset is kept, retrying",
            x->err);
        return REPL_ST_CONNECT; /* enter_connect frees the loader and the payload */
    }
    struct repl *r = l->r;
    int stream_db = rdb_dataset_load_stream_db(x->ld);
    rdb_dataset_load_swap_in(x->ld, l->srv); /* consumes ld */
    x->ld = NULL;
    aof_restart_after_load(l->srv); /* the AOF must start again from the loaded dataset */
    payload_free(x);
    repl_history_reset(r, l->new_replid, l->new_offset);
    memset(r->replid2, '0', REPL_ID_LEN);
    r->second_offset = -1;
    r->master_db = stream_db;
    buf_clear(&r->multi_pending);
    log_notice("MASTER <-> REPLICA sync: snapshot loaded, now applying the stream");
    return REPL_ST_CONNECTED;
}

/* While parsing, tell the master we are alive (an empty line refreshes its view of us). */
void repl_loading_keepalive(struct repl_link *l, int64_t now)
{
    struct repl_transfer *x = l->transfer;
    if (l->fd < 0 || now - x->last_keepalive_ms < 1000) return;
    x->last_keepalive_ms = now;
    if (repl_link_write(l, "\n", 1) < 0) { /* best effort; a broken link shows up after loading */
    }
}

void repl_transfer_info(const struct repl_link *l, struct buf *o, int64_t now)
{
    const struct repl_transfer *x = l->transfer;
    long long size = x->has_header ? x->size : -1;
    double perc = size > 0 ? (double)x->received * 100.0 / (double)size : 0.0;
    buf_printf(o,
               "master_sync_total_bytes:%lld\r\nmaster_sync_read_bytes:%lld\r\n"
               "master_sync_left_bytes:%lld\r\nmaster_sync_perc:%.2f\r\n"
               "master_sync_last_io_seconds_ago:%d\r\n",
               size, x->received, size - x->received, perc, (int)((now - l->last_io_ms) / 1000));
}
