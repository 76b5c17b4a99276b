/* repl_snapshot: the point-in-time snapshot for full resynchronization, produced by a forked
 * child (copy-on-write gives it a frozen view while the parent keeps serving) in Redis's RDB
 * format (store/persist/rdb_dataset.c), at most one child at a time.
 *
 *   diskless (repl-diskless-sync yes, every waiting replica announced capa eof): the child
 *            writes the RDB into a pipe; the parent relays it chunk by chunk to every replica
 *            of that snapshot, framed "$EOF:<40 random bytes>\r\n" ... <the same 40 bytes>, and
 *            reads the next chunk only when every replica took the current one (the slowest
 *            sets the pace; the child blocks on the full pipe meanwhile). A replica that
 *            arrives later waits for the next snapshot.
 *   disk     the child writes a temporary file in `dir`; when it exits the parent sends the file
 *            to each waiting replica as "$<len>\r\n" + bytes (sendfile). A replica that
 *            arrives while such a child runs shares its snapshot (same offset).
 *
 * Writes made while the child works are not lost: each replica of the snapshot holds a read
 * position in the shared stream at snapshot offset + 1 (repl_master.c sends them after the
 * payload). The first command after the fork is preceded by a SELECT (stream_db = -1).
 * Must not: do anything in the child but write the snapshot and _exit. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/atomic_file.h"
#include "common/log.h"
#include "common/net.h"
#include "common/util.h"
#include "common/clock.h"
#include "store/client.h"
#include "store/info.h"
#include "store/rdb/rdb.h"
#include "store/persist/rdb_dataset.h"
#include "store/repl/repl_int.h"

#define CHUNK_BYTES (1024 * 1024)
#define PIPE_BYTES (1024 * 1024)

/* ---- the child ----------------------------------------------------------------------------- */

static int sink_fd(void *ctx, const void *p, size_t n)
{
    int fd = *(int *)ctx;
    const char *s = p;
    while (n > 0) {
        ssize_t w = write(fd, s, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        s += w;
        n -= (size_t)w;
    }
    return 0;
}

static void __attribute__((noreturn)) child_main(struct server *srv, int fd, long long offset)
{
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the server */
    struct rdb_writer *w = xmalloc(sizeof *w);
    rdb_writer_init(w, sink_fd, &fd);
    struct rdb_aux aux;
    repl_rdb_aux(srv, offset, &aux);
    int rc = rdb_dataset_write(srv, w, &aux);
    if (rc != 0) log_warning("Snapshot child: writing the RDB failed (%d)", rc);
    _exit(rc == 0 && close(fd) == 0 ? 0 : 1);
}

void repl_rdb_aux(const struct server *srv, long long offset, struct rdb_aux *aux)
{
    *aux = (struct rdb_aux){
        .redis_ver = VIGIL_REDIS_COMPAT_VERSION,
        .ctime_s = clock_wall_ms() / 1000,
        .used_mem_bytes = (int64_t)info_used_memory(),
        .repl_id = srv->repl->replid,
        /* A master's stream starts with a SELECT after a snapshot (stream_db = -1); a replica
         * forwards its master's bytes, which continue in the db its master client has selected. */
        .repl_stream_db = srv->repl->master ? srv->repl->master->db : 0,
        .repl_offset = offset,
        .aof_base = false,
    };
}

/* ---- parent ---------------------------------------------------------------------------------- */

static void snapshot_free(struct repl *r)
{
    struct repl_snapshot *s = r->snapshot;
    if (!s) return;
    if (s->pipe_fd >= 0) {
        loop_unwatch(r->srv->loop, s->pipe_fd, LOOP_READABLE);
        close(s->pipe_fd);
    }
    if (!s->is_diskless && s->path[0]) unlink(s->path);
    free(s->chunk);
    free(s);
    r->snapshot = NULL;
}

static bool reap_child(struct repl_snapshot *s)
{
    if (s->is_reaped) return s->is_ok;
    int status = 0;
    pid_t p;
    do p = waitpid(s->pid, &status, 0);
    while (p < 0 && errno == EINTR);
    s->is_reaped = true;
    s->is_ok = p == s->pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (!s->is_ok)
        log_warning("Background snapshot child %d failed (status %d)", (int)s->pid, status);
    return s->is_ok;
}

void repl_snapshot_kill(struct repl *r)
{
    struct repl_snapshot *s = r->snapshot;
    if (!s) return;
    if (!s->is_reaped) {
        kill(s->pid, SIGKILL);
        reap_child(s);
    }
    for (struct replica_info *ri = r->replicas; ri; ri = ri->next) {
        if (ri->bulk == BULK_PIPE || ri->state == RS_WAIT_BGSAVE_END) {
            ri->bulk = BULK_NONE;
            client_close_async(ri->client);
        }
    }
    snapshot_free(r);
}

static size_t pipe_replicas(const struct repl *r, bool *all_done)
{
    size_t n = 0;
    *all_done = true;
    for (const struct replica_info *ri = r->replicas; ri; ri = ri->next) {
        if (ri->bulk != BULK_PIPE || (ri->client->conn.flags & CONN_CLOSE_ASAP)) continue;
        n++;
        if (ri->chunk_pos < r->snapshot->chunk_len) *all_done = false;
    }
    return n;
}

static void on_pipe_readable(struct loop *lp, int fd, void *data, int mask);

/* Diskless: every replica took the current chunk -> read the next one. */
static void maybe_resume_pipe(struct repl *r)
{
    struct repl_snapshot *s = r->snapshot;
    bool all_done;
    if (!s || !s->is_diskless || s->pipe_fd < 0) return;
    if (pipe_replicas(r, &all_done) == 0) {
        log_warning("Every replica of the diskless snapshot is gone: stopping the snapshot child");
        repl_snapshot_kill(r);
        return;
    }
    if (all_done) loop_watch(r->srv->loop, s->pipe_fd, LOOP_READABLE, on_pipe_readable, r);
}

void repl_snapshot_replica_gone(struct repl *r) { maybe_resume_pipe(r); }

/* Called by repl_master.c's sender for a BULK_PIPE replica. 2: progressed, 1: socket full,
 * 0: waiting for the next chunk, -1: failed. */
int repl_snapshot_send_chunk(struct repl *r, struct replica_info *ri)
{
    struct repl_snapshot *s = r->snapshot;
    if (!s || ri->chunk_pos >= s->chunk_len) return 0;
    ssize_t n =
        conn_sock_write(&ri->client->conn, s->chunk + ri->chunk_pos, s->chunk_len - ri->chunk_pos);
    if (n < 0) return errno == EAGAIN ? 1 : errno == EINTR ? 2 : -1;
    ri->chunk_pos += (size_t)n;
    r->srv->conns.stats.net_output_bytes += (uint64_t)n;
    if (ri->chunk_pos < s->chunk_len) return 1;
    maybe_resume_pipe(r);
    return 0;
}

static void diskless_done(struct repl *r)
{
    struct repl_snapshot *s = r->snapshot;
    bool ok = reap_child(s);
    for (struct replica_info *ri = r->replicas; ri; ri = ri->next) {
        if (ri->bulk != BULK_PIPE) continue;
        ri->bulk = BULK_NONE;
        if (!ok) {
            client_close_async(ri->client);
            continue;
        }
        buf_append(&ri->out, s->mark, REPL_EOF_MARK_LEN);
        ri->state = RS_ONLINE;
        ri->stream_hold = true; /* until its first ACK: it is still loading */
        ri->ack_mono_ms = loop_now_ms(r->srv->loop);
        log_notice("Diskless snapshot sent to replica %s; its stream starts with its first ACK",
                   ri->client->conn.addr);
    }
    snapshot_free(r);
}

static void disk_done(struct repl *r)
{
    struct repl_snapshot *s = r->snapshot;
    bool ok = reap_child(s);
    int fd = ok ? open(s->path, O_RDONLY | O_CLOEXEC) : -1;
    struct stat st;
    if (fd >= 0 && fstat(fd, &st) != 0) {
        close(fd);
        fd = -1;
    }
    if (ok && fd < 0)
        log_warning("Cannot open the snapshot file for the replicas: %s", strerror(errno));
    if (fd >= 0) log_notice("Snapshot file ready: sending it to the waiting replicas");
    for (struct replica_info *ri = r->replicas; ri; ri = ri->next) {
        if (ri->state != RS_WAIT_BGSAVE_END) continue;
        ri->bulk_fd = fd >= 0 ? dup(fd) : -1;
        if (ri->bulk_fd < 0) {
            client_close_async(ri->client);
            continue;
        }
        fcntl(ri->bulk_fd, F_SETFD, FD_CLOEXEC);
        ri->bulk = BULK_FILE;
        ri->bulk_off = 0;
        ri->bulk_size = st.st_size;
        buf_printf(&ri->out, "$%lld\r\n", (long long)st.st_size);
        ri->state = RS_SEND_BULK;
    }
    if (fd >= 0) close(fd);
    snapshot_free(r); /* unlinks the file: the replicas' descriptors keep it readable */
}

static void on_pipe_readable(struct loop *lp, int fd, void *data, int mask)
{
    UNUSED(mask);
    struct repl *r = data;
    struct repl_snapshot *s = r->snapshot;
    if (!s->is_diskless) {
        char b[64];
        ssize_t n = read(fd, b, sizeof b);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
        if (n == 0 || n < 0) disk_done(r);
        repl_snapshot_maybe_start(r, loop_now_ms(lp));
        return;
    }
    ssize_t n = read(fd, s->chunk, CHUNK_BYTES);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    if (n <= 0) {
        diskless_done(r);
        repl_snapshot_maybe_start(r, loop_now_ms(lp));
        return;
    }
    s->chunk_len = (size_t)n;
    for (struct replica_info *ri = r->replicas; ri; ri = ri->next)
        if (ri->bulk == BULK_PIPE) ri->chunk_pos = 0;
    /* Hold the pipe until every replica took this chunk (the sender re-arms it). */
    loop_unwatch(lp, fd, LOOP_READABLE);
    for (struct replica_info *ri = r->replicas; ri; ri = ri->next)
        if (ri->bulk == BULK_PIPE && !ri->is_watching_writable) repl_replica_flush(r, ri);
    if (r->snapshot) maybe_resume_pipe(r);
}

static int fork_child(struct repl *r, struct repl_snapshot *s)
{
    int pfd[2];
    if (pipe2(pfd, O_CLOEXEC) != 0) return -1;
    fcntl(pfd[1], F_SETPIPE_SZ, PIPE_BYTES); /* best effort: fewer wakeups */
    int file_fd = -1;
    if (!s->is_diskless) {
        snprintf(s->path, sizeof s->path, "temp-repl-%d.rdb", (int)getpid());
        file_fd = atomic_file_create_scratch(s->path, 0600);
        if (file_fd < 0) {
            close(pfd[0]);
            close(pfd[1]);
            return -1;
        }
    }
    pid_t pid = fork();
    if (pid < 0) {
        if (file_fd >= 0) close(file_fd);
        close(pfd[0]);
        close(pfd[1]);
        return -1;
    }
    if (pid == 0) {
        close(pfd[0]);
        if (s->is_diskless) child_main(r->srv, pfd[1], s->offset);
        child_main(r->srv, file_fd, s->offset); /* pfd[1] closes at exit: the parent's signal */
    }
    if (file_fd >= 0) close(file_fd);
    close(pfd[1]);
    net_set_nonblock(pfd[0], 1);
    s->pid = pid;
    s->pipe_fd = pfd[0];
    return 0;
}

/* Fork a snapshot for every replica waiting for one. */
static void snapshot_start(struct repl *r)
{
    struct server *srv = r->srv;
    bool diskless = srv->cfg.repl_diskless_sync;
    for (struct replica_info *ri = r->replicas; ri; ri = ri->next)
        if (ri->state == RS_WAIT_BGSAVE_START && (!ri->capa_eof || ri->is_old_sync))
            diskless = false;
    struct repl_snapshot *s = xcalloc(1, sizeof *s);
    s->is_diskless = diskless;
    s->offset = r->offset;
    s->pipe_fd = -1;
    s->start_mono_ms = loop_now_ms(srv->loop);
    util_random_hex(s->mark, REPL_EOF_MARK_LEN);
    if (diskless) s->chunk = xmalloc(CHUNK_BYTES);
    if (fork_child(r, s) != 0) {
        log_warning("Can't start the snapshot child for replication: %s", strerror(errno));
        free(s->chunk);
        free(s);
        for (struct replica_info *ri = r->replicas; ri; ri = ri->next)
            if (ri->state == RS_WAIT_BGSAVE_START) client_close_async(ri->client);
        return;
    }
    r->snapshot = s;
    r->stream_db = -1; /* the stream after the snapshot starts with a SELECT */
    log_notice("Snapshot for full resync started, target %s (child %d)",
               diskless ? "replicas sockets" : "disk", (int)s->pid);
    for (struct replica_info *ri = r->replicas; ri; ri = ri->next) {
        if (ri->state != RS_WAIT_BGSAVE_START || (ri->client->conn.flags & CONN_CLOSE_ASAP))
            continue;
        if (!ri->is_old_sync) buf_printf(&ri->out, "+FULLRESYNC %s %lld\r\n", r->replid, s->offset);
        ri->stream_on = true;
        ri->stream_off = s->offset + 1;
        if (diskless) {
            buf_printf(&ri->out, "$EOF:%s\r\n", s->mark);
            ri->state = RS_SEND_BULK;
            ri->bulk = BULK_PIPE;
            ri->chunk_pos = 0;
        } else {
            ri->state = RS_WAIT_BGSAVE_END;
        }
    }
    loop_watch(srv->loop, s->pipe_fd, LOOP_READABLE, on_pipe_readable, r);
}

int repl_snapshot_attach(struct repl *r, struct replica_info *ri)
{
    struct repl_snapshot *s = r->snapshot;
    if (!s || s->is_diskless || s->is_reaped || !repl_buf_holds(&r->stream_buf, s->offset + 1))
        return -1;
    if (!ri->is_old_sync) buf_printf(&ri->out, "+FULLRESYNC %s %lld\r\n", r->replid, s->offset);
    ri->stream_on = true;
    ri->stream_off = s->offset + 1;
    ri->state = RS_WAIT_BGSAVE_END;
    log_notice("Replica joins the snapshot already being written");
    return 0;
}

void repl_snapshot_maybe_start(struct repl *r, int64_t now)
{
    if (r->snapshot) return;
    int64_t oldest = -1;
    for (const struct replica_info *ri = r->replicas; ri; ri = ri->next)
        if (ri->state == RS_WAIT_BGSAVE_START && !(ri->client->conn.flags & CONN_CLOSE_ASAP) &&
            (oldest < 0 || ri->wait_since_ms < oldest))
            oldest = ri->wait_since_ms;
    if (oldest < 0) return;
    int64_t delay = r->srv->cfg.repl_diskless_sync ? r->srv->cfg.repl_diskless_sync_delay_ms : 0;
    if (now - oldest < delay) return;
    snapshot_start(r);
}
