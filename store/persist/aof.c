/* aof: see aof.h. The writing side of the append-only file: the sink, the buffer, the fsync
 * policies and group commit, write errors, the states, INFO
 * (docs/persistence.md#the-append-only-file). */
#include "store/persist/aof.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/resp.h"
#include "common/util.h"
#include "store/latency.h"
#include "store/client.h"
#include "store/blocking.h"
#include "store/command.h"
#include "store/persist/aof_int.h"
#include "store/persist/bgchild.h"
#include "store/propagate.h"
#include "store/repl/repl.h"
#include "store/repl/repl_int.h"
#include "store/reply.h"
#include "store/server.h"

#define AOF_FSYNC_EVERY_MS 1000
#define AOF_BUF_KEEP_BYTES 4096
#define AOF_POSTPONE_MAX_MS 2000 /* as Redis: past this, write without waiting for the fsync */

struct aof *aof_of(const struct server *srv) { return srv->aof; }

struct aof *aof_create(void)
{
    struct aof *a = xcalloc(1, sizeof *a);
    a->fd = -1;
    a->selected_db = -1;
    a->last_rewrite_time_s = -1;
    a->last_rewrite_ok = true;
    buf_init(&a->buf);
    aof_manifest_init(&a->manifest);
    aof_fsync_init(&a->fsync);
    return a;
}

void aof_destroy(struct server *srv, struct aof *a)
{
    if (!a) return;
    if (a->fd >= 0) {
        aof_fsync_wait_idle(&a->fsync);
        close(a->fd);
    }
    aof_fsync_stop(&a->fsync);
    if (a->rewrite_running) atomic_file_stream_abort(&a->stream);
    buf_free(&a->buf);
    aof_manifest_free(&a->manifest);
    free(a);
    UNUSED(srv);
}

long long aof_file_size(const struct aof *a, const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", a->dirname, name);
    struct stat st;
    return stat(path, &st) == 0 ? (long long)st.st_size : 0;
}

/* The sizes Redis starts from: every file the manifest names (what loading replayed). */
static long long aof_manifest_size(const struct aof *a)
{
    long long n = a->manifest.base ? aof_file_size(a, a->manifest.base->name) : 0;
    for (size_t i = 0; i < a->manifest.nincr; i++) n += aof_file_size(a, a->manifest.incr[i].name);
    return n;
}

void aof_ensure_feeding(struct server *srv)
{
    struct aof *a = srv->aof;
    if (a->is_feeding) return;
    propagate_add_sink(srv->prop, &(struct propagate_sink){
                                      .is_wanted = aof_sink_is_wanted,
                                      .feed = aof_sink_feed,
                                      .ctx = srv,
                                  });
    a->is_feeding = true;
}

int aof_open_last_incr(struct server *srv, bool save_manifest, char *err, size_t errlen)
{
    struct aof *a = srv->aof;
    const char *name = a->manifest.nincr
                           ? a->manifest.incr[a->manifest.nincr - 1].name
                           : aof_manifest_new_incr(&a->manifest, srv->cfg.appendfilename);
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", a->dirname, name);
    int fd = atomic_file_open_append(path, 0644);
    if (fd < 0) {
        snprintf(err, errlen, "Can't open the append-only file %s: %s", path, strerror(errno));
        return -1;
    }
    if (save_manifest &&
        aof_manifest_save(&a->manifest, a->dirname, srv->cfg.appendfilename, err, errlen) != 0) {
        close(fd);
        return -1;
    }
    a->fd = fd;
    a->selected_db = -1; /* a file (and a restart) starts with a SELECT, as Redis */
    a->last_incr_size = aof_file_size(a, name);
    return 0;
}

void aof_close_incr(struct server *srv)
{
    struct aof *a = srv->aof;
    if (a->fd < 0) return;
    aof_write_buffer(srv, true);
    aof_fsync_wait_idle(&a->fsync);
    close(a->fd);
    a->fd = -1;
}

static int aof_prepare_dir(struct server *srv, char *err, size_t errlen)
{
    struct aof *a = srv->aof;
    snprintf(a->dirname, sizeof a->dirname, "%s", srv->cfg.appenddirname);
    if (mkdir(a->dirname, 0755) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "Can't create the append-only folder %s: %s", a->dirname,
                 strerror(errno));
        return -1;
    }
    aof_manifest_free(&a->manifest);
    aof_manifest_init(&a->manifest);
    if (aof_manifest_load(&a->manifest, a->dirname, srv->cfg.appendfilename, err, errlen) < 0)
        return -1;
    return 0;
}

int aof_start_from_config(struct server *srv, char *err, size_t errlen)
{
    struct aof *a = srv->aof;
    a->is_ready = true;
    if (!srv->cfg.appendonly) return 0;
    if (aof_prepare_dir(srv, err, errlen) != 0) return -1;
    a->current_size = a->base_size = aof_manifest_size(a);
    /* As Redis 7.0: a start with nothing yet writes a base first (the dataset as loaded). */
    if (!a->manifest.base && a->manifest.nincr == 0 && aof_rewrite_sync_base(srv, err, errlen) != 0)
        return -1;
    if (aof_open_last_incr(srv, true, err, errlen) != 0) return -1;
    a->state = AOF_ON;
    a->last_fsync_mono_ms = loop_now_ms(srv->loop);
    aof_ensure_feeding(srv);
    return 0;
}

/* ---- the sink ---- */

bool aof_sink_is_wanted(void *ctx)
{
    const struct aof *a = ((struct server *)ctx)->aof;
    return a->state == AOF_ON || (a->state == AOF_WAIT_REWRITE && a->rewrite_running);
}

void aof_sink_feed(void *ctx, int db, const char *bytes, size_t len)
{
    struct server *srv = ctx;
    struct aof *a = srv->aof;
    if (len == 0 || !aof_sink_is_wanted(srv)) return;
    size_t before = buf_unread_len(&a->buf);
    if (srv->cfg.aof_timestamp_enabled) {
        /* aof-timestamp-enabled: "#TS:<unix seconds>" once per second that has writes, as
         * Redis 7.0 annotates (loaders skip lines starting with '#'). */
        long long now_s = server_now_ms(srv) / 1000;
        if (now_s > a->last_ts_s) buf_printf(&a->buf, "#TS:%lld\r\n", now_s);
        a->last_ts_s = MAX(a->last_ts_s, now_s);
    }
    if (db != a->selected_db) {
        char dbs[16];
        int n = snprintf(dbs, sizeof dbs, "%d", db);
        struct resp_arg sel[2] = {{"SELECT", 6}, {dbs, (size_t)n}};
        resp_write_command(&a->buf, 2, sel);
        a->selected_db = db;
    }
    buf_append(&a->buf, bytes, len);
    a->fed_off += (long long)(buf_unread_len(&a->buf) - before);
    /* Group commit: no reply leaves before this iteration's writes are on disk. */
    if (srv->cfg.appendfsync == APPENDFSYNC_ALWAYS) srv->conns.hold_writes = true;
}

/* ---- writing ---- */

static void aof_note_write_error(struct aof *a, int err)
{
    if (!a->write_failed || a->last_write_errno != err)
        log_warning("Error writing to the AOF file: %s", strerror(err));
    a->write_failed = true;
    a->last_write_errno = err;
}

static void aof_note_write_ok(struct aof *a)
{
    if (!a->write_failed) return;
    log_warning("AOF write error looks solved, Redis can write again.");
    a->write_failed = false;
    a->last_write_errno = 0;
}

/* Write the whole buffer or nothing: a short write is cut off again so the file never ends
 * in half a command; when it cannot be, the written part is kept and not written twice. */
static int aof_write_out(struct aof *a)
{
    size_t len = buf_unread_len(&a->buf), done = 0;
    while (done < len) {
        ssize_t n = write(a->fd, buf_unread(&a->buf) + done, len - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            int err = n < 0 ? errno : ENOSPC;
            if (done > 0 && ftruncate(a->fd, a->last_incr_size) != 0) {
                buf_consume(&a->buf, done);
                a->current_size += (long long)done;
                a->last_incr_size += (long long)done;
            }
            aof_note_write_error(a, err);
            return -1;
        }
        done += (size_t)n;
    }
    buf_clear(&a->buf);
    buf_shrink_if_idle(&a->buf, AOF_BUF_KEEP_BYTES); /* after a burst, as Redis */
    a->written_off = a->fed_off;
    a->current_size += (long long)len;
    a->last_incr_size += (long long)len;
    return 0;
}

/* everysec: while the previous fsync still runs, hold the write back up to 2 s. */
static bool aof_must_postpone(struct server *srv, struct aof *a)
{
    if (!aof_fsync_is_pending(&a->fsync)) {
        a->postponed_since_ms = 0;
        return false;
    }
    int64_t now = loop_now_ms(srv->loop);
    if (a->postponed_since_ms == 0) {
        a->postponed_since_ms = now;
        return true;
    }
    if (now - a->postponed_since_ms < AOF_POSTPONE_MAX_MS) return true;
    a->delayed_fsync++;
    a->postponed_since_ms = 0;
    log_notice("Asynchronous AOF fsync is taking too long (disk is busy?). Writing the AOF "
               "buffer without waiting for fsync to complete, this may slow down Redis.");
    return false;
}

static void aof_note_fsynced(struct server *srv, struct aof *a, long long off, long long reploff)
{
    if (off <= a->fsynced_off) return;
    a->fsynced_off = off;
    a->fsynced_reploff = reploff;
    a->has_new_fsync = true; /* WAITAOF clients re-check at the end of before-sleep / cron */
    UNUSED(srv);
}

/* Not from inside a command (a CONFIG SET that closes the file fsyncs too): from the loop. */
static void aof_wake_waiters(struct server *srv, struct aof *a)
{
    if (!a->has_new_fsync) return;
    a->has_new_fsync = false;
    blocking_recheck_waiters(srv);
    /* A replica tells its master at once (Redis 7.2 does too): its WAITAOF waits on this. */
    if (srv->repl->master) repl_link_send_ack(srv->repl);
}

static int aof_fsync_now(struct server *srv, struct aof *a)
{
    int64_t start_us = clock_mono_us();
    int rc = fdatasync(a->fd);
    latency_add_sample_if_needed(srv, "aof-fsync-always", (clock_mono_us() - start_us) / 1000);
    if (rc != 0) {
        aof_note_write_error(a, errno);
        return -1;
    }
    aof_note_fsynced(srv, a, a->written_off, a->written_reploff);
    return 0;
}

/* The background fsync's outcome (everysec). */
static void aof_take_fsync_result(struct server *srv, struct aof *a)
{
    int err;
    if (!aof_fsync_take_result(&a->fsync, &err)) return;
    if (err) {
        aof_note_write_error(a, err);
        return;
    }
    aof_note_fsynced(srv, a, a->req_off, a->req_reploff);
    if (buf_unread_len(&a->buf) == 0) aof_note_write_ok(a);
}

static void aof_sync_by_policy(struct server *srv, struct aof *a, bool force_sync)
{
    int64_t now = loop_now_ms(srv->loop);
    bool skip = srv->cfg.no_appendfsync_on_rewrite && bgchild_running(srv) != BGCHILD_NONE;
    if (force_sync || (srv->cfg.appendfsync == APPENDFSYNC_ALWAYS && !skip)) {
        aof_fsync_wait_idle(&a->fsync);
        if (aof_fsync_now(srv, a) != 0) return;
        a->has_unsynced = false;
        a->last_fsync_mono_ms = now;
    } else {
        /* everysec / no: nothing waits for the disk (has_unsynced is group commit's flag). */
        a->has_unsynced = false;
        if (srv->cfg.appendfsync == APPENDFSYNC_EVERYSEC && !skip &&
            now - a->last_fsync_mono_ms >= AOF_FSYNC_EVERY_MS &&
            aof_fsync_request(&a->fsync, a->fd)) {
            a->last_fsync_mono_ms = now;
            a->req_off = a->written_off;
            a->req_reploff = a->written_reploff;
        }
    }
    if (!a->has_unsynced) aof_note_write_ok(a);
}

int aof_write_buffer(struct server *srv, bool force_sync)
{
    struct aof *a = srv->aof;
    if (a->fd < 0) return 0;
    bool always = srv->cfg.appendfsync == APPENDFSYNC_ALWAYS;
    /* Written bytes still owed an fsync: everysec asks for it once the second is over, even
     * when nothing new came (else the last writes before a pause would wait for the next). */
    bool owes_fsync = always ? a->written_off > a->fsynced_off
                             : srv->cfg.appendfsync == APPENDFSYNC_EVERYSEC &&
                                   a->written_off > MAX(a->req_off, a->fsynced_off);
    if (buf_unread_len(&a->buf) == 0 && !a->has_unsynced && !force_sync && !a->write_failed &&
        !owes_fsync)
        return 0;
    if (buf_unread_len(&a->buf) > 0) {
        if (!force_sync && !always && srv->cfg.appendfsync == APPENDFSYNC_EVERYSEC &&
            aof_must_postpone(srv, a))
            return 0;
        int64_t start_us = clock_mono_us();
        int rc = aof_write_out(a);
        latency_add_sample_if_needed(srv, "aof-write", (clock_mono_us() - start_us) / 1000);
        if (rc != 0) return -1;
        a->written_reploff = repl_offset(srv);
        a->has_unsynced = true;
    }
    aof_sync_by_policy(srv, a, force_sync);
    return a->has_unsynced && (always || force_sync) ? -1 : 0;
}

void aof_before_sleep(struct server *srv)
{
    struct aof *a = srv->aof;
    aof_take_fsync_result(srv, a);
    if (a->fd >= 0) aof_write_buffer(srv, false);
    aof_wake_waiters(srv, a);
    /* Replies wait only while this iteration's `always` writes are not on disk. */
    if (buf_unread_len(&a->buf) == 0 && !a->has_unsynced)
        srv->conns.hold_writes = false;
    else if (srv->cfg.appendfsync != APPENDFSYNC_ALWAYS)
        srv->conns.hold_writes = false;
}

int aof_flush_for_shutdown(struct server *srv)
{
    struct aof *a = srv->aof;
    if (!a || a->fd < 0) return 0;
    int rc = aof_write_buffer(srv, true);
    if (rc != 0 || a->write_failed)
        log_warning("Error flushing the AOF at shutdown: %s", strerror(a->last_write_errno));
    return rc;
}

void aof_cron(struct server *srv)
{
    struct aof *a = srv->aof;
    aof_take_fsync_result(srv, a);
    if (a->fd >= 0 && a->write_failed)
        aof_write_buffer(srv, srv->cfg.appendfsync != APPENDFSYNC_NO);
    aof_wake_waiters(srv, a);
    aof_rewrite_cron(srv);
}

/* ---- state changes (CONFIG SET) ---- */

static void aof_turn_off(struct server *srv)
{
    struct aof *a = srv->aof;
    aof_close_incr(srv);
    if (a->rewrite_running && bgchild_running(srv) == BGCHILD_AOF) bgchild_kill(srv);
    buf_clear(&a->buf);
    a->state = AOF_OFF;
    a->rewrite_scheduled = false;
    a->write_failed = false;
    a->has_unsynced = false;
    srv->conns.hold_writes = false;
    log_notice("Append only file disabled");
}

static void aof_turn_on(struct server *srv)
{
    struct aof *a = srv->aof;
    char err[512];
    if (bgchild_running(srv) == BGCHILD_AOF) {
        /* As Redis: that child's base would miss the writes made while it runs. */
        log_warning("AOF was enabled but there is already an AOF rewriting in background. "
                    "Stopping background AOF and starting a rewrite now.");
        bgchild_kill(srv);
    }
    if (aof_prepare_dir(srv, err, sizeof err) != 0) {
        log_warning("Unable to turn on AOF: %s", err);
        return;
    }
    a->state = AOF_WAIT_REWRITE;
    a->last_fsync_mono_ms = loop_now_ms(srv->loop);
    aof_ensure_feeding(srv);
    if (bgchild_running(srv) != BGCHILD_NONE) {
        a->rewrite_scheduled = true; /* as Redis: started by the cron once the child is done */
        log_notice("AOF was enabled but there is already another background operation. An AOF "
                   "background was scheduled to start when possible.");
    } else if (aof_rewrite_start(srv, err, sizeof err) != 0) {
        a->rewrite_scheduled = true;
        log_warning("Redis needs to enable the AOF but can't trigger a background AOF rewrite "
                    "operation: %s",
                    err);
    }
}

void aof_restart_after_load(struct server *srv)
{
    struct aof *a = srv->aof;
    if (!a || a->state == AOF_OFF) return;
    log_notice("Restarting the AOF after a full synchronization from the master");
    aof_turn_off(srv);
    aof_turn_on(srv);
}

void aof_apply_config(struct server *srv)
{
    struct aof *a = srv->aof;
    if (!a || !a->is_ready) return;
    if (srv->cfg.appendonly && a->state == AOF_OFF)
        aof_turn_on(srv);
    else if (!srv->cfg.appendonly && a->state != AOF_OFF)
        aof_turn_off(srv);
    if (srv->cfg.appendfsync != APPENDFSYNC_ALWAYS && buf_unread_len(&a->buf) == 0)
        srv->conns.hold_writes = false;
}

bool aof_refuses_command(struct client *c, const struct command *cmd)
{
    const struct aof *a = c->srv->aof;
    if (a->state == AOF_OFF || !a->write_failed || server_is_replica(c->srv)) return false;
    bool is_write = (cmd->flags & CMD_WRITE) != 0 || strcmp(cmd->name, "ping") == 0;
    if (strcmp(cmd->name, "exec") == 0 && (c->flags & CLIENT_MULTI))
        for (size_t i = 0; i < c->mcount; i++) /* as Redis: EXEC of queued writes is a write */
            is_write = is_write || (c->mstate[i].cmd->flags & CMD_WRITE);
    if (!is_write) return false;
    reply_errorf(c, "MISCONF Errors writing to the AOF file: %s", strerror(a->last_write_errno));
    return true;
}

int aof_config_check(const char *key, const char *value, char *err, size_t errlen)
{
    if (strcasecmp(key, "appendfsync") != 0) return 0;
    static const char *const ok[] = {"always", "everysec", "no"};
    for (size_t i = 0; i < ARRAY_LEN(ok); i++)
        if (strcasecmp(value, ok[i]) == 0) return 0;
    /* Redis lists its enum in its own table's order. */
    snprintf(err, errlen, "argument(s) must be one of the following: everysec, always, no");
    return -1;
}

/* ---- WAITAOF ---- */

long long aof_fed_offset(const struct server *srv) { return srv->aof ? srv->aof->fed_off : 0; }

bool aof_is_fsynced_to(const struct server *srv, long long aof_off)
{
    const struct aof *a = srv->aof;
    return a->state == AOF_ON && a->fsynced_off >= aof_off;
}

long long aof_fsynced_repl_offset(const struct server *srv)
{
    const struct aof *a = srv->aof;
    return a && a->state == AOF_ON ? a->fsynced_reploff : -1;
}

/* ---- INFO ---- */

size_t aof_buffer_bytes(const struct server *srv) { return srv->aof ? srv->aof->buf.cap : 0; }

void aof_info_persistence(struct server *srv, struct buf *o)
{
    struct aof *a = srv->aof;
    bool is_rewriting = a->rewrite_running;
    int64_t cur = is_rewriting ? (loop_now_ms(srv->loop) - bgchild_start_ms(srv)) / 1000 : -1;
    buf_printf(o,
               "aof_enabled:%d\r\naof_rewrite_in_progress:%d\r\naof_rewrite_scheduled:%d\r\n"
               "aof_last_rewrite_time_sec:%lld\r\naof_current_rewrite_time_sec:%lld\r\n"
               "aof_last_bgrewrite_status:%s\r\naof_rewrites:%lld\r\n"
               "aof_rewrites_consecutive_failures:%lld\r\naof_last_write_status:%s\r\n"
               "aof_last_cow_size:%lld\r\nmodule_fork_in_progress:0\r\n"
               "module_fork_last_cow_size:0\r\n",
               a->state != AOF_OFF, is_rewriting, a->rewrite_scheduled,
               (long long)a->last_rewrite_time_s, (long long)cur, a->last_rewrite_ok ? "ok" : "err",
               a->rewrites, a->consecutive_failures, a->write_failed ? "err" : "ok",
               (long long)a->last_cow_bytes);
    if (a->state == AOF_OFF) return;
    buf_printf(o,
               "aof_current_size:%lld\r\naof_base_size:%lld\r\naof_pending_rewrite:%d\r\n"
               "aof_buffer_length:%zu\r\naof_pending_bio_fsync:%d\r\naof_delayed_fsync:%llu\r\n",
               a->current_size, a->base_size, a->rewrite_scheduled, buf_unread_len(&a->buf),
               aof_fsync_is_pending(&a->fsync) ? 1 : 0, a->delayed_fsync);
}
