/* aof_rewrite: BGREWRITEAOF and the automatic rewrite (docs/persistence.md#rewrites).
 *
 * A rewrite replaces the base file with the dataset as it is now, so the incremental files
 * written before it can go. As Redis 7.0's multi-part AOF:
 *   1. the parent writes out what it buffered, opens a NEW incremental file (the manifest is
 *      saved: writes from now on go there) and forks (bgchild, BGCHILD_AOF);
 *   2. the child writes the dataset of the fork instant into an atomic stream's temp file (an
 *      RDB with the aof-base AUX when aof-use-rdb-preamble is yes, else commands) and fsyncs it;
 *   3. the parent, once the child succeeded, renames it to the next base name, turns the old
 *      base and every incremental file but the new one into history, saves the manifest, then
 *      deletes the history files.
 * A failed or killed child changes nothing but removing its temp file: the old base and every
 * incremental file are still named by the manifest, so nothing written is lost. Failures are
 * retried (a scheduled rewrite, or the next automatic one) with Redis's back-off after three in
 * a row: 1, 2, 4 ... up to 60 minutes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/util.h"
#include "store/client.h"
#include "store/info.h"
#include "store/persist/aof.h"
#include "store/persist/aof_int.h"
#include "store/persist/bgchild.h"
#include "store/persist/rdb_file.h"
#include "store/rdb/rdb.h"
#include "store/reply.h"
#include "store/server.h"

#define AOF_REWRITE_LIMIT_FAILURES 3
#define AOF_REWRITE_MAX_DELAY_MIN 60

/* The base file's content into fd: what the child (or a start with nothing yet) writes. */
static int rewrite_write_base(struct server *srv, int fd, bool is_rdb, char *err, size_t errlen)
{
    if (!is_rdb) return aof_rewrite_write_commands(srv, fd, err, errlen);
    struct rdb_aux aux = {
        .redis_ver = VIGIL_REDIS_COMPAT_VERSION,
        .ctime_s = clock_wall_ms() / 1000,
        .used_mem_bytes = (int64_t)info_used_memory(),
        .aof_base = true, /* no replication fields in a base, as Redis */
    };
    return rdb_file_write_fd(srv, fd, &aux, err, errlen);
}

/* The name aof_manifest_new_base will give the next base (its format, aof_manifest.h). */
static void rewrite_next_base_path(struct server *srv, bool is_rdb, char *out, size_t outlen)
{
    struct aof *a = aof_of(srv);
    snprintf(out, outlen, "%s/%s.%lld.base.%s", a->dirname, srv->cfg.appendfilename,
             a->manifest.base_seq + 1, is_rdb ? "rdb" : "aof");
}

int aof_rewrite_sync_base(struct server *srv, char *err, size_t errlen)
{
    struct aof *a = aof_of(srv);
    bool is_rdb = srv->cfg.aof_use_rdb_preamble;
    char path[1024];
    rewrite_next_base_path(srv, is_rdb, path, sizeof path);
    struct atomic_stream s;
    if (atomic_file_stream_open(&s, path, 0644, err, errlen) != 0) return -1;
    if (rewrite_write_base(srv, s.fd, is_rdb, err, errlen) != 0) {
        atomic_file_stream_abort(&s);
        return -1;
    }
    if (atomic_file_stream_commit(&s, err, errlen) != 0) return -1;
    aof_manifest_new_base(&a->manifest, srv->cfg.appendfilename, is_rdb);
    return 0;
}

/* ---- child ---- */

static bool rewrite_is_rdb; /* the setting when the child forked (a copy the child reads) */

static int rewrite_child_job(struct server *srv, void *arg)
{
    UNUSED(arg);
    struct aof *a = aof_of(srv);
    char err[512];
    if (rewrite_write_base(srv, a->stream.fd, rewrite_is_rdb, err, sizeof err) != 0 ||
        atomic_file_stream_sync(&a->stream, err, sizeof err) != 0) {
        log_warning("Error writing the rewritten AOF base: %s", err);
        return 1;
    }
    return 0;
}

/* ---- parent ---- */

/* As Redis: history files go once the manifest no longer names them, then the manifest is
 * saved again without them. */
static void rewrite_delete_history(struct server *srv, struct aof *a)
{
    for (size_t i = 0; i < a->manifest.nhist; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", a->dirname, a->manifest.hist[i].name);
        if (unlink(path) != 0 && errno != ENOENT)
            log_warning("Can't remove the AOF history file %s: %s", path, strerror(errno));
        else
            log_notice("Removing the history file %s in the background", a->manifest.hist[i].name);
    }
    aof_manifest_clear_history(&a->manifest);
    char err[512];
    if (aof_manifest_save(&a->manifest, a->dirname, srv->cfg.appendfilename, err, sizeof err) != 0)
        log_warning("%s", err);
}

/* With the AOF off a rewrite only writes a base: every incremental file is obsolete. */
static void rewrite_forget_all_incr(struct aof *a)
{
    if (a->manifest.nincr == 0) return;
    aof_manifest_incr_to_history_but_last(&a->manifest);
    struct aof_file_info last = a->manifest.incr[0];
    a->manifest.nincr = 0;
    a->manifest.hist = xrealloc(a->manifest.hist, (a->manifest.nhist + 1) * sizeof last);
    last.type = AOF_FILE_HIST;
    a->manifest.hist[a->manifest.nhist++] = last;
}

static int rewrite_publish(struct server *srv, char *err, size_t errlen)
{
    struct aof *a = aof_of(srv);
    if (atomic_file_stream_publish(&a->stream, err, errlen) != 0) return -1;
    aof_manifest_new_base(&a->manifest, srv->cfg.appendfilename, rewrite_is_rdb);
    if (a->state == AOF_OFF)
        rewrite_forget_all_incr(a);
    else
        aof_manifest_incr_to_history_but_last(&a->manifest);
    if (aof_manifest_save(&a->manifest, a->dirname, srv->cfg.appendfilename, err, errlen) != 0)
        return -1;
    rewrite_delete_history(srv, a);
    a->base_size = aof_file_size(a, a->manifest.base->name);
    a->current_size = a->base_size;
    if (a->state != AOF_OFF && a->manifest.nincr)
        a->current_size += aof_file_size(a, a->manifest.incr[a->manifest.nincr - 1].name);
    return 0;
}

static void rewrite_note_failure(struct server *srv)
{
    struct aof *a = aof_of(srv);
    a->last_rewrite_ok = false;
    a->consecutive_failures++;
    a->last_failure_mono_ms = loop_now_ms(srv->loop);
}

static void rewrite_done(struct server *srv, const struct bgchild_result *res, void *arg)
{
    UNUSED(arg);
    struct aof *a = aof_of(srv);
    char err[512] = "";
    a->rewrite_running = false;
    a->last_cow_bytes = res->cow_bytes > 0 ? res->cow_bytes : 0;
    a->last_rewrite_time_s = res->duration_ms / 1000;
    bool ok = res->ok && rewrite_publish(srv, err, sizeof err) == 0;
    if (!ok) atomic_file_stream_abort(&a->stream);
    if (res->killed) {
        log_warning("Background AOF rewrite terminated by signal");
        return;
    }
    if (ok) {
        log_notice("Background AOF rewrite terminated with success");
        log_notice("Background AOF rewrite finished successfully");
        a->last_rewrite_ok = true;
        a->consecutive_failures = 0;
        if (a->state == AOF_WAIT_REWRITE) a->state = AOF_ON;
        return;
    }
    log_warning("Background AOF rewrite failed%s%s", err[0] ? ": " : "", err);
    rewrite_note_failure(srv);
    if (a->state == AOF_WAIT_REWRITE) a->rewrite_scheduled = true; /* the AOF is not on yet */
}

/* Writes from now on go to a new incremental file; the base will cover what came before. */
static int rewrite_switch_incr(struct server *srv, char *err, size_t errlen)
{
    struct aof *a = aof_of(srv);
    if (a->state == AOF_OFF) return 0;
    bool had_fd = a->fd >= 0;
    if (had_fd && (aof_write_buffer(srv, true) != 0 || a->write_failed)) {
        snprintf(err, errlen, "the AOF has unwritten data: %s", strerror(a->last_write_errno));
        return -1; /* switching now would strand those bytes */
    }
    aof_close_incr(srv);
    aof_manifest_new_incr(&a->manifest, srv->cfg.appendfilename);
    if (aof_open_last_incr(srv, true, err, errlen) == 0) return 0;
    /* Back to the previous file: the manifest on disk still names it last. */
    struct aof_file_info *fresh = &a->manifest.incr[--a->manifest.nincr];
    char path[1024], err2[512];
    snprintf(path, sizeof path, "%s/%s", a->dirname, fresh->name);
    unlink(path);
    free(fresh->name);
    a->manifest.incr_seq--;
    if (had_fd && aof_open_last_incr(srv, false, err2, sizeof err2) != 0)
        log_warning("Can't reopen the AOF after a failed rewrite start: %s", err2);
    return -1;
}

static int rewrite_try_start(struct server *srv, char *err, size_t errlen)
{
    struct aof *a = aof_of(srv);
    if (a->state == AOF_OFF && !a->dirname[0]) {
        snprintf(a->dirname, sizeof a->dirname, "%s", srv->cfg.appenddirname);
        if (aof_manifest_load(&a->manifest, a->dirname, srv->cfg.appendfilename, err, errlen) < 0)
            return -1;
    }
    if (a->state == AOF_OFF && access(a->dirname, F_OK) != 0 && mkdir(a->dirname, 0755) != 0) {
        snprintf(err, errlen, "Can't create %s: %s", a->dirname, strerror(errno));
        return -1;
    }
    rewrite_is_rdb = srv->cfg.aof_use_rdb_preamble;
    char path[1024];
    rewrite_next_base_path(srv, rewrite_is_rdb, path, sizeof path);
    if (rewrite_switch_incr(srv, err, errlen) != 0) return -1;
    if (atomic_file_stream_open(&a->stream, path, 0644, err, errlen) != 0) return -1;
    if (bgchild_start(srv, BGCHILD_AOF, rewrite_child_job, rewrite_done, NULL) != 0) {
        snprintf(err, errlen, "Can't rewrite append only file in background: fork: %s",
                 strerror(errno));
        atomic_file_stream_abort(&a->stream);
        return -1;
    }
    close(a->stream.fd); /* the child writes it; the parent only renames or removes the file */
    a->stream.fd = -1;
    a->rewrite_running = true;
    a->rewrite_scheduled = false;
    a->rewrites++;
    log_notice("Background append only file rewriting started by pid %ld", (long)bgchild_pid(srv));
    return 0;
}

int aof_rewrite_start(struct server *srv, char *err, size_t errlen)
{
    if (rewrite_try_start(srv, err, errlen) == 0) return 0;
    rewrite_note_failure(srv); /* a fork that fails counts too, as Redis (and backs off) */
    return -1;
}

void aof_bgrewrite_command(struct client *c)
{
    struct server *srv = c->srv;
    struct aof *a = aof_of(srv);
    char err[512];
    if (a->rewrite_running) {
        reply_error(c, "ERR Background append only file rewriting already in progress");
    } else if (bgchild_running(srv) != BGCHILD_NONE) {
        a->rewrite_scheduled = true;
        reply_simple(c, "Background append only file rewriting scheduled");
    } else if (aof_rewrite_start(srv, err, sizeof err) == 0) {
        reply_simple(c, "Background append only file rewriting started");
    } else {
        log_warning("%s", err);
        reply_error(c, "ERR Can't execute an AOF background rewriting. Please check the server "
                       "logs for more information.");
    }
}

/* After three failures in a row, wait 1, 2, 4 ... 60 minutes between automatic attempts. */
static bool rewrite_is_limited(struct server *srv)
{
    struct aof *a = aof_of(srv);
    if (a->consecutive_failures < AOF_REWRITE_LIMIT_FAILURES) return false;
    long long shift = MIN(a->consecutive_failures - AOF_REWRITE_LIMIT_FAILURES, 6);
    long long delay_min = MIN(1LL << shift, AOF_REWRITE_MAX_DELAY_MIN);
    return loop_now_ms(srv->loop) - a->last_failure_mono_ms < delay_min * 60 * 1000;
}

void aof_rewrite_cron(struct server *srv)
{
    struct aof *a = aof_of(srv);
    if (a->rewrite_running || bgchild_running(srv) != BGCHILD_NONE || rewrite_is_limited(srv))
        return;
    char err[512];
    if (a->rewrite_scheduled) {
        if (aof_rewrite_start(srv, err, sizeof err) != 0) log_warning("%s", err);
        return;
    }
    if (a->state != AOF_ON || srv->cfg.auto_aof_rewrite_percentage <= 0 ||
        a->current_size <= srv->cfg.auto_aof_rewrite_min_size)
        return;
    long long base = a->base_size ? a->base_size : 1;
    long long growth = (a->current_size * 100 / base) - 100;
    if (growth < srv->cfg.auto_aof_rewrite_percentage) return;
    log_notice("Starting automatic rewriting of AOF on %lld%% growth", growth);
    if (aof_rewrite_start(srv, err, sizeof err) != 0) log_warning("%s", err);
}
