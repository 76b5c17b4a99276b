/* aof_load: see aof_load.h. One load at a time, owned by srv->aof_load, driven by a loop timer
 * that re-arms itself at 0 ms while there is work (so the loop polls its sockets between two
 * batches) and by the loader thread's pipe while a snapshot base parses.
 *
 *   OPEN ---- base starts with "REDIS" ----> SNAPSHOT (thread) ----> COMMANDS (rest of file)
 *     \------ otherwise -------------------------------------------> COMMANDS
 *   COMMANDS -- end of file --> OPEN (next file) or finish
 *
 * Invariants: each file is mapped read-only and closed before the next opens; the only write
 * to an AOF file is cutting a torn tail of the LAST file (aof-load-truncated yes), and it
 * happens after that file was replayed up to the cut; every failure after start exits(1)
 * without writing anything. */
#include "store/persist/aof_load.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/util.h"
#include "store/client.h"
#include "store/command.h"
#include "store/multi.h"
#include "store/persist/aof_load_files.h"
#include "store/persist/aof_reader.h"
#include "store/persist/persist_load.h"
#include "store/persist/rdb_dataset.h"
#include "store/propagate.h"
#include "store/server.h"

#define BATCH_MAX_MS 50      /* the longest a batch keeps other clients waiting */
#define BATCH_CLOCK_EVERY 64 /* commands between two looks at the clock */

enum aof_load_state { ST_OPEN, ST_SNAPSHOT, ST_COMMANDS };

struct aof_load {
    struct server *srv;
    aof_load_done_fn done;
    struct aof_load_files files;
    size_t cur; /* index of the file being loaded */
    enum aof_load_state state;
    uint64_t timer;
    /* the current file */
    const char *data;
    size_t len;
    struct aof_reader rd;
    size_t multi_start; /* where the open MULTI began (its cut if the file ends inside it) */
    int64_t file_start_us, start_us;
    struct client *c;
    long long dirty_before;
    /* the snapshot part of a base, parsed on the loader thread */
    struct rdb_dataset_load *ld;
    size_t rdb_len;
    pthread_t thread;
    bool is_thread_running;
    int notify[2];
    int rc;
    char err[256];
};

static int64_t on_timer(struct loop *l, uint64_t id, void *data);

/* Damage found while loading: nothing has been written, the process stops as Redis does. */
__attribute__((noreturn, format(printf, 1, 2))) static void load_die(const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    log_warning("%s", msg);
    log_warning("AOF loading aborted: the server stops without writing anything.");
    persist_load_refuse_start();
}

static const char *cur_name(const struct aof_load *a) { return a->files.names[a->cur]; }

static void progress_note(struct aof_load *a, size_t pos)
{
    a->srv->loading.loaded_bytes = a->files.done_bytes[a->cur] + pos;
}

/* ---- the snapshot part of a base file ---------------------------------------------------- */

static void *snapshot_main(void *arg)
{
    struct aof_load *a = arg;
    a->rc = rdb_dataset_load_run(a->ld, a->data, a->rdb_len, a->err, sizeof a->err);
    ssize_t w;
    do w = write(a->notify[1], "x", 1);
    while (w < 0 && errno == EINTR);
    return NULL;
}

static void snapshot_stop(struct aof_load *a)
{
    if (a->is_thread_running) {
        rdb_dataset_load_cancel(a->ld);
        pthread_join(a->thread, NULL);
        a->is_thread_running = false;
    }
    if (a->notify[0] >= 0) {
        loop_unwatch(a->srv->loop, a->notify[0], LOOP_READABLE);
        close(a->notify[0]);
        close(a->notify[1]);
        a->notify[0] = a->notify[1] = -1;
    }
    rdb_dataset_load_destroy(a->ld);
    a->ld = NULL;
}

static void on_snapshot_done(struct loop *lp, int fd, void *data, int mask)
{
    UNUSED(lp);
    UNUSED(mask);
    struct aof_load *a = data;
    char b[8];
    if (read(fd, b, sizeof b) <= 0) return;
    pthread_join(a->thread, NULL);
    a->is_thread_running = false;
    if (a->rc != 0)
        load_die("Bad file format reading the RDB part of the append only file %s/%s: %s",
                 a->files.dir, cur_name(a), a->err);
    rdb_dataset_load_swap_in(a->ld, a->srv); /* consumes ld */
    a->ld = NULL;
    snapshot_stop(a);
    log_notice("Reading the remaining AOF tail...");
    a->rd.pos = a->rd.valid_end = a->rdb_len;
    progress_note(a, a->rdb_len);
    a->state = ST_COMMANDS;
    a->timer = loop_timer_add(a->srv->loop, 0, on_timer, a);
}

static void snapshot_start(struct aof_load *a)
{
    log_notice("Reading RDB base file on AOF loading...");
    a->rdb_len = aof_load_rdb_len(a->data, a->len);
    if (pipe2(a->notify, O_CLOEXEC | O_NONBLOCK) != 0)
        load_die("Cannot start loading %s: pipe: %s", cur_name(a), strerror(errno));
    a->ld = rdb_dataset_load_create(a->srv);
    /* Expired keys stay (Redis keeps them in a preamble: later commands may PERSIST them). */
    rdb_dataset_load_set_policy(a->ld, false, 0, a->srv->cfg.key_load_delay_us);
    loop_watch(a->srv->loop, a->notify[0], LOOP_READABLE, on_snapshot_done, a);
    if (pthread_create(&a->thread, NULL, snapshot_main, a) != 0)
        load_die("Cannot start the loader thread for %s: %s", cur_name(a), strerror(errno));
    a->is_thread_running = true;
    a->state = ST_SNAPSHOT;
}

/* ---- commands ---------------------------------------------------------------------------- */

static bool arity_fits(int arity, size_t argc)
{
    return arity >= 0 ? argc == (size_t)arity : argc >= (size_t)-arity;
}

/* The first error line of the loader client's reply (what a failed command said). */
static void reply_error_text(const struct client *c, char *out, size_t cap)
{
    const struct buf *r = &c->conn.reply;
    const char *p = r->len ? memchr(r->data, '-', r->len) : NULL;
    size_t n = 0;
    if (p) {
        const char *e = memchr(p, '\r', r->len - (size_t)(p - r->data));
        n = e ? (size_t)(e - p - 1) : 0;
    }
    snprintf(out, cap, "%.*s", (int)MIN(n, cap - 1), p ? p + 1 : "");
}

static void replay_one(struct aof_load *a)
{
    struct client *c = a->c;
    const struct aof_reader *r = &a->rd;
    struct command *cmd = command_lookup(r->argv[0].ptr, r->argv[0].len);
    if (!cmd || !arity_fits(cmd->arity, r->argc))
        load_die("%s command '%.*s' reading the append only file %s/%s at offset %zu",
                 cmd ? "Wrong number of arguments for" : "Unknown", (int)MIN(r->argv[0].len, 64),
                 r->argv[0].ptr, a->files.dir, cur_name(a), r->cmd_start);
    if (!(c->flags & CLIENT_MULTI)) a->multi_start = r->cmd_start;
    c->argc = r->argc;
    c->argv = r->argv;
    c->cmd = cmd; /* what multi_queue_command queues */
    uint64_t errors_before = a->srv->conns.stats.error_replies;
    if ((c->flags & CLIENT_MULTI) && !(cmd->flags & CMD_NO_MULTI))
        multi_queue_command(c);
    else
        command_call(c, cmd);
    if (a->srv->conns.stats.error_replies != errors_before) {
        char why[256];
        reply_error_text(c, why, sizeof why);
        load_die("The command '%s' at offset %zu of the append only file %s/%s failed: %s",
                 cmd->name, r->cmd_start, a->files.dir, cur_name(a), why);
    }
    buf_clear(&c->conn.reply);
    client_reset_argv(c);
}

static bool batch_is_over(struct aof_load *a, size_t ncmds, size_t batch_start, int64_t t0)
{
    if (a->rd.pos - batch_start >= (size_t)a->srv->cfg.loading_process_events_interval_bytes)
        return true;
    bool is_delayed = a->srv->cfg.key_load_delay_us > 0;
    if (!is_delayed && ncmds % BATCH_CLOCK_EVERY != 0) return false;
    return clock_mono_us() - t0 >= BATCH_MAX_MS * 1000;
}

/* Replay a batch; the read result that ended it, or AOF_READ_CMD when the batch is full. */
static enum aof_read replay_batch(struct aof_load *a)
{
    size_t batch_start = a->rd.pos, n = 0;
    int64_t t0 = clock_mono_us();
    enum aof_read rc;
    while ((rc = aof_reader_next(&a->rd)) == AOF_READ_CMD) {
        replay_one(a);
        if (a->srv->cfg.key_load_delay_us > 0) /* testing: slow the load down */
            usleep((useconds_t)MIN(a->srv->cfg.key_load_delay_us, 1000000));
        if (batch_is_over(a, ++n, batch_start, t0)) break;
    }
    progress_note(a, a->rd.pos);
    return rc;
}

/* ---- files ------------------------------------------------------------------------------- */

static void file_close(struct aof_load *a)
{
    if (a->data && a->len) munmap((void *)a->data, a->len);
    a->data = NULL;
    a->len = 0;
    aof_reader_free(&a->rd);
}

static void file_open(struct aof_load *a)
{
    char err[512];
    if (aof_load_files_map(&a->files, a->cur, &a->data, &a->len, err, sizeof err) != 0)
        load_die("%s", err);
    aof_reader_init(&a->rd, a->data, a->len);
    a->multi_start = 0;
    a->c->db = 0; /* each file starts in database 0 (writers SELECT at the top of each) */
    a->file_start_us = clock_mono_us();
    if (a->len >= 5 && memcmp(a->data, "REDIS", 5) == 0)
        snapshot_start(a);
    else
        a->state = ST_COMMANDS;
}

/* The file ends inside a command, or inside MULTI: cut it there if allowed, else stop. */
static void file_torn(struct aof_load *a, size_t cut)
{
    bool is_last = a->cur + 1 == a->files.n;
    if (!is_last || !a->srv->cfg.aof_load_truncated)
        load_die("Unexpected end of file reading the append only file %s/%s at offset %zu (the "
                 "last complete command ends there, %zu bytes follow). %s",
                 a->files.dir, cur_name(a), cut, a->len - cut,
                 is_last ? "Set aof-load-truncated yes to load up to that offset and cut the rest"
                         : "Only the last file of the manifest may be cut short");
    size_t len = a->len;
    multi_discard(a->c);
    file_close(a);
    log_warning("!!! Warning: short read while loading the AOF file %s/%s !!!", a->files.dir,
                cur_name(a));
    log_warning("!!! Truncating the AOF %s/%s at offset %zu: dropping %zu bytes !!!", a->files.dir,
                cur_name(a), cut, len - cut);
    char err[512];
    if (aof_load_files_truncate(&a->files, a->cur, cut, err, sizeof err) != 0) load_die("%s", err);
    log_warning("AOF %s/%s loaded anyway because aof-load-truncated is enabled", a->files.dir,
                cur_name(a));
}

/* The reader stopped at the end of the current file (or at damage). */
static void file_end(struct aof_load *a, enum aof_read rc)
{
    if (rc == AOF_READ_BAD)
        load_die("Bad file format reading the append only file %s/%s at offset %zu: %s",
                 a->files.dir, cur_name(a), a->rd.bad_at, a->rd.err);
    if (rc == AOF_READ_TRUNCATED) {
        file_torn(a, (a->c->flags & CLIENT_MULTI) ? a->multi_start : a->rd.valid_end);
    } else if (a->c->flags & CLIENT_MULTI) {
        log_warning("Revert incomplete MULTI/EXEC transaction in AOF file %s/%s", a->files.dir,
                    cur_name(a));
        file_torn(a, a->multi_start);
    } else {
        file_close(a);
    }
    log_notice("DB loaded from %s file %s: %.3f seconds",
               a->cur == 0 && a->files.has_base ? "base" : "incr", cur_name(a),
               (double)(clock_mono_us() - a->file_start_us) / 1e6);
}

static void load_finish(struct aof_load *a)
{
    struct server *srv = a->srv;
    srv->is_loading = false;
    srv->dirty = a->dirty_before; /* what was loaded is on disk already */
    propagate_set_suspended(srv->prop, false);
    log_notice("DB loaded from append only file: %.3f seconds",
               (double)(clock_mono_us() - a->start_us) / 1e6);
    aof_load_done_fn done = a->done;
    srv->aof_load = NULL;
    aof_load_destroy(a);
    if (done) done(srv);
}

static int64_t on_timer(struct loop *l, uint64_t id, void *data)
{
    UNUSED(l);
    UNUSED(id);
    struct aof_load *a = data;
    if (a->state == ST_OPEN) {
        file_open(a);
        if (a->state == ST_SNAPSHOT) return LOOP_TIMER_STOP; /* the thread's pipe resumes us */
    }
    enum aof_read rc = replay_batch(a);
    if (rc == AOF_READ_CMD) return 0;
    file_end(a, rc);
    if (++a->cur < a->files.n) {
        a->state = ST_OPEN;
        return 0;
    }
    a->timer = 0;
    load_finish(a);
    return LOOP_TIMER_STOP;
}

/* ---- start and stop ---------------------------------------------------------------------- */

int aof_load_start(struct server *srv, aof_load_done_fn done, char *err, size_t errlen)
{
    if (!srv->cfg.appendonly) return 0;
    struct aof_load *a = xcalloc(1, sizeof *a);
    a->notify[0] = a->notify[1] = -1;
    int rc = aof_load_files_find(&a->files, &srv->cfg, err, errlen);
    if (rc <= 0 || a->files.n == 0) {
        aof_load_files_free(&a->files);
        free(a);
        return rc < 0 ? -1 : 0;
    }
    a->srv = srv;
    a->done = done;
    a->c = client_create(srv, -1);
    a->c->flags |= CLIENT_AOF_LOADER;
    a->dirty_before = srv->dirty;
    a->start_us = clock_mono_us();
    srv->aof_load = a;
    srv->is_loading = true;
    srv->loading = (struct server_loading){.start_wall_ms = clock_wall_ms(),
                                           .total_bytes = a->files.total_bytes};
    propagate_set_suspended(srv->prop, true);
    a->timer = loop_timer_add(srv->loop, 0, on_timer, a);
    return 1;
}

void aof_load_destroy(struct aof_load *a)
{
    if (!a) return;
    snapshot_stop(a);
    if (a->timer) loop_timer_cancel(a->srv->loop, a->timer);
    file_close(a);
    if (a->c) client_free(a->c);
    aof_load_files_free(&a->files);
    free(a);
}
