/* bgchild: see bgchild.h. The child reports its copy-on-write size through a pipe just before
 * it exits (read by the parent when it reaps), the figure INFO shows as rdb_last_cow_size /
 * aof_last_cow_size: Private_Dirty of /proc/self/smaps_rollup, the pages the child and the
 * parent no longer share. */
#include "store/persist/bgchild.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/util.h"
#include "store/latency.h"
#include "store/server.h"

struct bgchild {
    enum bgchild_kind kind;
    pid_t pid;
    int info_fd; /* read end of the child's report pipe */
    int64_t start_mono_ms;
    bgchild_done_fn done;
    void *arg;
    int64_t latest_fork_us;
    uint64_t total_forks;
};

struct bgchild *bgchild_create(void)
{
    struct bgchild *b = xcalloc(1, sizeof *b);
    b->info_fd = -1;
    return b;
}

int64_t bgchild_cow_bytes(void)
{
    FILE *f = fopen("/proc/self/smaps_rollup", "r");
    if (!f) return -1;
    char line[256];
    long long kb = -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "Private_Dirty: %lld kB", &kb) == 1) break;
    fclose(f);
    return kb < 0 ? -1 : kb * 1024;
}

static void __attribute__((noreturn))
child_main(struct server *srv, int info_fd, bgchild_job_fn job, void *arg)
{
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    signal(SIGHUP, SIG_IGN);
    prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the server */
    int rc = job(srv, arg);
    int64_t cow = bgchild_cow_bytes();
    if (write(info_fd, &cow, sizeof cow) != (ssize_t)sizeof cow) rc = rc ? rc : 1;
    _exit(rc);
}

/* While a child shares the dataset's pages, the databases start no table resize (a resize
 * touches every entry: the kernel would copy nearly every page for the child). */
static void dbs_avoid_resize(struct server *srv, bool on)
{
    for (int i = 0; i < srv->ndb; i++) ks_set_resize_avoided(srv->db[i], on);
}

int bgchild_start(struct server *srv, enum bgchild_kind kind, bgchild_job_fn job,
                  bgchild_done_fn done, void *arg)
{
    struct bgchild *b = srv->bgchild;
    if (b->kind != BGCHILD_NONE) {
        errno = EBUSY;
        return -1;
    }
    int pfd[2];
    if (pipe2(pfd, O_CLOEXEC) != 0) return -1;
    int64_t t0 = clock_mono_us();
    pid_t pid = fork();
    if (pid < 0) {
        int saved = errno;
        close(pfd[0]);
        close(pfd[1]);
        errno = saved;
        return -1;
    }
    if (pid == 0) {
        close(pfd[0]);
        child_main(srv, pfd[1], job, arg);
    }
    close(pfd[1]);
    b->latest_fork_us = clock_mono_us() - t0;
    latency_add_sample_if_needed(srv, "fork", b->latest_fork_us / 1000);
    b->total_forks++;
    b->kind = kind;
    b->pid = pid;
    b->info_fd = pfd[0];
    b->start_mono_ms = clock_mono_ms();
    b->done = done;
    b->arg = arg;
    dbs_avoid_resize(srv, true);
    return 0;
}

/* The child is gone (status from waitpid): report it and forget it. */
static void finish(struct server *srv, int status, bool killed)
{
    struct bgchild *b = srv->bgchild;
    struct bgchild_result res = {.killed = killed, .status = status, .cow_bytes = -1};
    res.ok = !killed && WIFEXITED(status) && WEXITSTATUS(status) == 0;
    res.duration_ms = clock_mono_ms() - b->start_mono_ms;
    int64_t cow;
    if (!killed && read(b->info_fd, &cow, sizeof cow) == (ssize_t)sizeof cow) res.cow_bytes = cow;
    close(b->info_fd);
    if (!res.ok && !killed)
        log_warning("Background child %d failed (%s %d)", (int)b->pid,
                    WIFSIGNALED(status) ? "signal" : "exit status",
                    WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
    bgchild_done_fn done = b->done;
    void *arg = b->arg;
    b->kind = BGCHILD_NONE;
    b->pid = 0;
    b->info_fd = -1;
    b->start_mono_ms = 0;
    dbs_avoid_resize(srv, false);
    b->done = NULL;
    b->arg = NULL;
    if (done) done(srv, &res, arg);
}

void bgchild_cron(struct server *srv)
{
    struct bgchild *b = srv->bgchild;
    if (b->kind == BGCHILD_NONE) return;
    int status = 0;
    pid_t p = waitpid(b->pid, &status, WNOHANG);
    if (p == b->pid) finish(srv, status, false);
}

void bgchild_kill(struct server *srv)
{
    struct bgchild *b = srv->bgchild;
    if (b->kind == BGCHILD_NONE) return;
    kill(b->pid, SIGKILL);
    int status = 0;
    pid_t p;
    do p = waitpid(b->pid, &status, 0);
    while (p < 0 && errno == EINTR);
    finish(srv, status, true);
}

void bgchild_destroy(struct server *srv, struct bgchild *b)
{
    if (!b) return;
    if (srv->bgchild == b) bgchild_kill(srv);
    free(b);
}

enum bgchild_kind bgchild_running(const struct server *srv) { return srv->bgchild->kind; }
pid_t bgchild_pid(const struct server *srv) { return srv->bgchild->pid; }
int64_t bgchild_start_ms(const struct server *srv) { return srv->bgchild->start_mono_ms; }
int64_t bgchild_latest_fork_us(const struct server *srv) { return srv->bgchild->latest_fork_us; }
uint64_t bgchild_total_forks(const struct server *srv) { return srv->bgchild->total_forks; }
