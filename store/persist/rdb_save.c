/* rdb_save: see rdb_save.h and docs/persistence.md#snapshots.
 *
 * Status as Redis keeps it: rdb_last_bgsave_status turns err when a background save fails (not
 * when SAVE fails, nor when we kill our own child at shutdown), and ok after any successful
 * save; with save points set and stop-writes-on-bgsave-error on, err refuses writes. */
#include "store/persist/rdb_save.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/atomic_file.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/util.h"
#include "store/persist/bgchild.h"
#include "store/persist/rdb_file.h"
#include "store/persist/save_points.h"
#include "store/rdb/rdb.h"
#include "store/repl/repl.h"
#include "store/server.h"

#define RDB_SAVE_MODE 0644

/* What the child writes and the parent reads (MAP_SHARED, so both see the same bytes). */
struct rdb_save_shared {
    struct atomic_stream stream; /* stream.tmp: the child's temp file, set before it exists */
    struct rdb_file_progress progress;
};

struct rdb_save {
    struct save_points points;
    bool is_last_bgsave_ok;
    bool is_scheduled;
    int64_t last_try_s;         /* last background attempt (unix s) */
    int64_t start_s;            /* the running child's start (unix s), -1 when none */
    int64_t last_bgsave_time_s; /* how long the last one took, -1: none yet */
    long long dirty_at_fork;
    unsigned long long saves; /* rdb_saves: SAVE and background saves started */
    int64_t last_cow_bytes;
    size_t keys_total; /* keys in the dataset when the running child forked */
    struct rdb_save_shared *shared;
    size_t shared_len;
};

struct rdb_save *rdb_save_create(void)
{
    struct rdb_save *rs = xcalloc(1, sizeof *rs);
    rs->is_last_bgsave_ok = true;
    rs->start_s = -1;
    rs->last_bgsave_time_s = -1;
    rs->shared_len = (sizeof *rs->shared + 4095) & ~(size_t)4095;
    void *p = mmap(NULL, rs->shared_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    ASSERT(p != MAP_FAILED);
    rs->shared = p;
    return rs;
}

void rdb_save_destroy(struct rdb_save *rs)
{
    if (!rs) return;
    munmap(rs->shared, rs->shared_len);
    free(rs);
}

static int64_t now_s(void) { return clock_wall_ms() / 1000; }

void rdb_save_apply_config(struct server *srv)
{
    struct rdb_save *rs = srv->rdb_save;
    if (save_points_parse(srv->cfg.save, &rs->points) != 0) return; /* validated before */
    char text[SAVE_POINTS_MAX * 44];
    save_points_format(&rs->points, text, sizeof text);
    if (srv->cfg.save && strcmp(srv->cfg.save, text) == 0) return;
    free(srv->cfg.save);
    srv->cfg.save = xstrdup(text);
}

bool rdb_save_has_points(const struct server *srv) { return srv->rdb_save->points.count > 0; }

bool rdb_save_is_running(const struct server *srv) { return bgchild_running(srv) == BGCHILD_RDB; }

/* ".<dbfilename>.tmp-<16 hex>": atomic_file's temp name for our dump. */
static bool is_our_temp(const char *name, const char *dbfilename)
{
    size_t bl = strlen(dbfilename);
    if (name[0] != '.' || strncmp(name + 1, dbfilename, bl) != 0) return false;
    const char *rest = name + 1 + bl;
    if (strncmp(rest, ".tmp-", 5) != 0) return false;
    rest += 5;
    size_t n = strspn(rest, "0123456789abcdefABCDEF");
    return n == 16 && rest[n] == '\0';
}

void rdb_save_remove_stale_temps(struct server *srv)
{
    DIR *d = opendir(".");
    if (!d) return;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (!is_our_temp(de->d_name, srv->cfg.dbfilename)) continue;
        if (unlink(de->d_name) == 0)
            log_notice("Removed a stale temporary snapshot file %s", de->d_name);
    }
    closedir(d);
}

static void saved_ok(struct server *srv, long long dirty_saved)
{
    struct rdb_save *rs = srv->rdb_save;
    srv->dirty -= dirty_saved;
    srv->lastsave_wall_ms = clock_wall_ms();
    rs->is_last_bgsave_ok = true;
}

static int save_foreground(struct server *srv)
{
    struct rdb_aux aux;
    repl_rdb_aux(srv, repl_offset(srv), &aux);
    char err[1200];
    if (rdb_file_save(srv, srv->cfg.dbfilename, &aux, err, sizeof err) != 0) {
        log_warning("Error saving DB on disk: %s", err);
        return -1;
    }
    log_notice("DB saved on disk");
    saved_ok(srv, srv->dirty);
    return 0;
}

int rdb_save_now(struct server *srv)
{
    srv->rdb_save->saves++;
    return save_foreground(srv);
}

void rdb_save_after_flushall(struct server *srv)
{
    if (rdb_save_is_running(srv)) {
        log_notice("FLUSHALL: stopping the background save of the data just flushed");
        bgchild_kill(srv);
    }
    if (srv->rdb_save->points.count == 0) return;
    long long dirty = srv->dirty; /* the flush must still count as a change (replicas, AOF) */
    save_foreground(srv);
    srv->dirty = dirty;
}

/* ---- background ---------------------------------------------------------------------------- */

static int bgsave_job(struct server *srv, void *arg)
{
    struct rdb_save_shared *sh = arg;
    log_set_role('C');
    char err[1200];
    struct rdb_aux aux;
    repl_rdb_aux(srv, repl_offset(srv), &aux);
    if (atomic_file_stream_open(&sh->stream, srv->cfg.dbfilename, RDB_SAVE_MODE, err, sizeof err) !=
        0) {
        log_warning("Failed opening the temp RDB file: %s", err);
        return 1;
    }
    if (rdb_file_write_tracked(srv, sh->stream.fd, &aux, &sh->progress, err, sizeof err) != 0 ||
        atomic_file_stream_sync(&sh->stream, err, sizeof err) != 0) {
        log_warning("Write error saving DB on disk: %s", err);
        atomic_file_stream_abort(&sh->stream);
        return 1;
    }
    log_notice("DB saved on disk");
    return 0;
}

/* The child is done: publish its file, or remove what it left. */
static bool bgsave_publish(struct server *srv, const struct bgchild_result *res)
{
    struct rdb_save_shared *sh = srv->rdb_save->shared;
    char err[1200];
    if (res->ok) {
        if (atomic_file_stream_publish(&sh->stream, err, sizeof err) == 0) return true;
        log_warning("Error moving temp DB file on the final destination: %s", err);
        return false;
    }
    if (sh->stream.tmp[0] != '\0') unlink(sh->stream.tmp);
    return false;
}

static void bgsave_done(struct server *srv, const struct bgchild_result *res, void *arg)
{
    UNUSED(arg);
    struct rdb_save *rs = srv->rdb_save;
    bool is_ok = bgsave_publish(srv, res);
    rs->last_bgsave_time_s = now_s() - rs->start_s;
    rs->start_s = -1;
    if (res->cow_bytes >= 0) rs->last_cow_bytes = res->cow_bytes;
    if (is_ok) {
        log_notice("Background saving terminated with success");
        saved_ok(srv, rs->dirty_at_fork);
    } else if (res->killed) {
        log_warning("Background saving stopped (the child was killed on purpose)");
    } else if (WIFSIGNALED(res->status)) {
        log_warning("Background saving terminated by signal %d", WTERMSIG(res->status));
        rs->is_last_bgsave_ok = false;
    } else {
        log_warning("Background saving error");
        rs->is_last_bgsave_ok = false;
    }
}

static size_t dataset_keys(const struct server *srv)
{
    size_t n = 0;
    for (int i = 0; i < srv->ndb; i++) n += ks_count(srv->db[i]);
    return n;
}

int rdb_save_background(struct server *srv)
{
    struct rdb_save *rs = srv->rdb_save;
    if (bgchild_running(srv) != BGCHILD_NONE) {
        errno = EBUSY;
        return -1;
    }
    rs->saves++;
    rs->dirty_at_fork = srv->dirty;
    rs->last_try_s = now_s();
    rs->keys_total = dataset_keys(srv);
    memset(rs->shared, 0, sizeof *rs->shared);
    rs->shared->stream.fd = -1;
    if (bgchild_start(srv, BGCHILD_RDB, bgsave_job, bgsave_done, rs->shared) != 0) {
        rs->is_last_bgsave_ok = false;
        log_warning("Can't save in background: fork: %s", strerror(errno));
        return -1;
    }
    rs->start_s = now_s();
    log_notice("Background saving started by pid %d", (int)bgchild_pid(srv));
    return 0;
}

void rdb_save_schedule(struct server *srv) { srv->rdb_save->is_scheduled = true; }

void rdb_save_cron(struct server *srv)
{
    struct rdb_save *rs = srv->rdb_save;
    if (bgchild_running(srv) != BGCHILD_NONE || srv->is_loading) return;
    struct save_points_now st = {
        .dirty = srv->dirty,
        .now_s = now_s(),
        .lastsave_s = srv->lastsave_wall_ms / 1000,
        .last_try_s = rs->last_try_s,
        .is_last_bgsave_ok = rs->is_last_bgsave_ok,
    };
    if (rs->is_scheduled && save_points_may_retry(&st)) {
        if (rdb_save_background(srv) == 0) rs->is_scheduled = false;
        return;
    }
    int i = save_points_due(&rs->points, &st);
    if (i < 0) return;
    log_notice("%lld changes in %lld seconds. Saving...", rs->points.p[i].changes,
               rs->points.p[i].seconds);
    rdb_save_background(srv);
}

const char *rdb_save_misconf_error(const struct server *srv)
{
    const struct rdb_save *rs = srv->rdb_save;
    if (!srv->cfg.stop_writes_on_bgsave_error || rs->points.count == 0 || rs->is_last_bgsave_ok)
        return NULL;
    /* Redis's text, byte for byte: clients and tests match it. */
    return "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to "
           "persist to disk. Commands that may modify the data set are disabled, because this "
           "instance is configured to report errors during writes if RDB snapshotting fails "
           "(stop-writes-on-bgsave-error option). Please check the Redis logs for details about "
           "the RDB error.";
}

/* ---- INFO ---------------------------------------------------------------------------------- */

void rdb_save_info(struct server *srv, struct buf *o)
{
    struct rdb_save *rs = srv->rdb_save;
    bool running = rdb_save_is_running(srv);
    const struct rdb_file_progress *p = &rs->shared->progress;
    int64_t cow = running ? atomic_load(&p->cow_bytes) : 0;
    int64_t peak = running ? atomic_load(&p->cow_peak_bytes) : 0;
    int64_t sample_s = running ? atomic_load(&p->cow_sample_wall_s) : 0;
    size_t done = running ? (size_t)atomic_load(&p->keys_done) : 0;
    size_t total = running ? rs->keys_total : 0;
    double perc = total ? 100.0 * (double)MIN(done, total) / (double)total : 0.0;
    buf_printf(o,
               "current_cow_peak:%lld\r\ncurrent_cow_size:%lld\r\ncurrent_cow_size_age:%lld\r\n"
               "current_fork_perc:%.2f\r\ncurrent_save_keys_processed:%zu\r\n"
               "current_save_keys_total:%zu\r\n",
               (long long)peak, (long long)cow, sample_s ? (long long)(now_s() - sample_s) : 0LL,
               perc, done, total);
    buf_printf(o,
               "rdb_changes_since_last_save:%lld\r\nrdb_bgsave_in_progress:%d\r\n"
               "rdb_last_save_time:%lld\r\nrdb_last_bgsave_status:%s\r\n"
               "rdb_last_bgsave_time_sec:%lld\r\nrdb_current_bgsave_time_sec:%lld\r\n"
               "rdb_saves:%llu\r\nrdb_last_cow_size:%lld\r\n",
               srv->dirty, running ? 1 : 0, (long long)(srv->lastsave_wall_ms / 1000),
               rs->is_last_bgsave_ok ? "ok" : "err", (long long)rs->last_bgsave_time_s,
               running && rs->start_s >= 0 ? (long long)(now_s() - rs->start_s) : -1LL, rs->saves,
               (long long)rs->last_cow_bytes);
}
