/* notify_io: events to the log, pub/sub subscribers and listeners; notification and
 * client-reconfig scripts run as children with Redis's retry and runtime rules (see
 * notify_io.h). Script jobs live in one bounded array in queue order. */
#include "sentinel/notify_io.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "sentinel/core/monitor.h"
#include "sentinel/core/sentinel.h"
#include "sentinel/cmd_server.h"

#define REAP_PERIOD_MS 50

extern char **environ;

struct script_job {
    int argc;
    char *argv[NOTIFY_MAX_ARGS + 1]; /* NULL-terminated for execve */
    pid_t pid;                       /* running when > 0 */
    int retry_num;
    int64_t start_ms; /* running: when it started; queued: not before this time */
};

struct listener {
    notify_listener_fn fn;
    void *ctx;
};

struct notify_io {
    struct loop *loop;
    struct cmd_server *srv;
    struct sentinel *core;
    size_t n_listeners;
    struct listener listeners[NOTIFY_MAX_LISTENERS];
    size_t n_jobs;
    struct script_job *jobs[NOTIFY_MAX_QUEUE];
    uint64_t timer; /* the reaper/starter while jobs exist, 0 otherwise */
};

struct notify_io *notify_io_create(struct loop *l)
{
    struct notify_io *n = xcalloc(1, sizeof(*n));
    n->loop = l;
    return n;
}

static void job_free(struct script_job *j)
{
    for (int i = 0; i < j->argc; i++) free(j->argv[i]);
    free(j);
}

void notify_io_destroy(struct notify_io *n)
{
    if (n == NULL) return;
    if (n->timer) loop_timer_cancel(n->loop, n->timer);
    for (size_t i = 0; i < n->n_jobs; i++) job_free(n->jobs[i]);
    free(n);
}

void notify_io_set_server(struct notify_io *n, struct cmd_server *srv) { n->srv = srv; }
void notify_io_set_core(struct notify_io *n, struct sentinel *core) { n->core = core; }

int notify_io_add_listener(struct notify_io *n, notify_listener_fn fn, void *ctx)
{
    if (n->n_listeners >= NOTIFY_MAX_LISTENERS) return -1;
    n->listeners[n->n_listeners].fn = fn;
    n->listeners[n->n_listeners++].ctx = ctx;
    return 0;
}

void notify_io_event(struct notify_io *n, int level, const char *type, const char *msg)
{
    log_msg((enum log_level)level, "%s %s", type, msg);
    if (level != LOG_DEBUG && n->srv) cmd_server_publish(n->srv, type, msg, strlen(msg));
    for (size_t i = 0; i < n->n_listeners; i++)
        n->listeners[i].fn(n->listeners[i].ctx, level, type, msg);
}

/* ---- scripts -------------------------------------------------------------------------------- */

static int64_t now_ms(const struct notify_io *n) { return loop_now_ms(n->loop); }

static int64_t max_runtime_ms(const struct notify_io *n)
{
    return n->core ? sentinel_periods(n->core)->script_max_runtime : 60000;
}

/* Delay before retry number r (r >= 1): the retry delay, doubled for every retry after the
 * first. */
static int64_t retry_delay_ms(const struct notify_io *n, int r)
{
    int64_t d = n->core ? sentinel_periods(n->core)->script_retry_delay : 30000;
    while (r-- > 1 && d < INT64_MAX / 2) d *= 2;
    return d;
}

int notify_io_running_scripts(const struct notify_io *n)
{
    int c = 0;
    for (size_t i = 0; i < n->n_jobs; i++) c += n->jobs[i]->pid > 0;
    return c;
}

int notify_io_queued_scripts(const struct notify_io *n) { return (int)n->n_jobs; }

static void remove_job(struct notify_io *n, size_t i)
{
    job_free(n->jobs[i]);
    memmove(&n->jobs[i], &n->jobs[i + 1], (n->n_jobs - i - 1) * sizeof(n->jobs[0]));
    n->n_jobs--;
}

static void script_error(struct notify_io *n, const struct script_job *j, int sig, int code)
{
    char msg[600];
    snprintf(msg, sizeof(msg), "%s %d %d", j->argv[0], sig, code);
    notify_io_event(n, LOG_WARNING, "-script-error", msg);
}

bool notify_io_script_is_executable(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* In the forked child only: a script sees descriptors 0-2 and nothing else, as Redis's do.
 * Ours are not all close-on-exec (libcurl's multi handle makes a socket pair without it), and
 * a script holding a client socket or the listener open would keep them alive after we close
 * them. close_range is one system call; the loop is for kernels older than 5.9. */
static void close_inherited_fds(void)
{
    if (close_range(3, ~0U, 0) == 0) return;
    long max = sysconf(_SC_OPEN_MAX);
    if (max < 0 || max > 1 << 20) max = 1 << 20;
    for (long fd = 3; fd < max; fd++) close((int)fd);
}

static void start_job(struct notify_io *n, struct script_job *j)
{
    j->retry_num++;
    pid_t pid = fork();
    if (pid == 0) {
        /* Child: default signal dispositions and mask, then the script. */
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        signal(SIGPIPE, SIG_DFL);
        close_inherited_fds();
        execve(j->argv[0], j->argv, environ);
        _exit(2); /* cannot exec: an error that retrying will not fix */
    }
    if (pid < 0) {
        log_warning("cannot fork for script %s: %s", j->argv[0], strerror(errno));
        j->pid = -1; /* collected as a final failure */
        return;
    }
    j->pid = pid;
    j->start_ms = now_ms(n);
    log_debug("+script-child %d", (int)pid);
}

/* An ended job: retry (exit 1 or signal, retries left) or finish. Returns true if removed. */
static bool job_ended(struct notify_io *n, size_t i, int status)
{
    struct script_job *j = n->jobs[i];
    int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 0;
    log_debug("-script-child %d %d %d", (int)j->pid, sig, code);
    if ((sig != 0 || code == 1) && j->retry_num < NOTIFY_MAX_RETRIES) {
        j->pid = 0;
        j->start_ms = now_ms(n) + retry_delay_ms(n, j->retry_num);
        return false;
    }
    if (sig != 0 || code != 0) script_error(n, j, sig, code);
    remove_job(n, i);
    return true;
}

static void reap_and_kill(struct notify_io *n)
{
    for (size_t i = 0; i < n->n_jobs;) {
        struct script_job *j = n->jobs[i];
        if (j->pid == -1) { /* fork failed */
            script_error(n, j, 99, 0);
            remove_job(n, i);
            continue;
        }
        if (j->pid <= 0) {
            i++;
            continue;
        }
        int status;
        pid_t r = waitpid(j->pid, &status, WNOHANG);
        if (r == j->pid) {
            if (!job_ended(n, i, status)) i++;
            continue;
        }
        if (now_ms(n) - j->start_ms > max_runtime_ms(n)) {
            char msg[600];
            snprintf(msg, sizeof(msg), "%s %d", j->argv[0], (int)j->pid);
            notify_io_event(n, LOG_WARNING, "-script-timeout", msg);
            kill(j->pid, SIGKILL); /* reaped on a later pass, then handled as a signal */
        }
        i++;
    }
}

static void start_due(struct notify_io *n)
{
    int running = notify_io_running_scripts(n);
    for (size_t i = 0; i < n->n_jobs && running < NOTIFY_MAX_RUNNING; i++) {
        struct script_job *j = n->jobs[i];
        if (j->pid != 0 || j->start_ms > now_ms(n)) continue;
        start_job(n, j);
        running++;
    }
}

static int64_t on_script_timer(struct loop *l, uint64_t id, void *data)
{
    UNUSED(l);
    UNUSED(id);
    struct notify_io *n = data;
    reap_and_kill(n);
    start_due(n);
    if (n->n_jobs > 0) return REAP_PERIOD_MS;
    n->timer = 0;
    return LOOP_TIMER_STOP;
}

void notify_io_run_script(struct notify_io *n, const char *path, int argc, const char *const *argv)
{
    if (path == NULL || argc < 0 || argc + 1 > NOTIFY_MAX_ARGS) return;
    if (n->n_jobs >= NOTIFY_MAX_QUEUE) {
        /* Make room by dropping the oldest job that is not running. */
        size_t i = 0;
        while (i < n->n_jobs && n->jobs[i]->pid != 0) i++;
        if (i == n->n_jobs) {
            log_warning("script queue full of running scripts, not running %s", path);
            return;
        }
        log_warning("script queue full, dropping the oldest queued script %s", n->jobs[i]->argv[0]);
        remove_job(n, i);
    }
    struct script_job *j = xcalloc(1, sizeof(*j));
    j->argv[j->argc++] = xstrdup(path);
    for (int i = 0; i < argc; i++) j->argv[j->argc++] = xstrdup(argv[i] ? argv[i] : "");
    j->argv[j->argc] = NULL;
    j->start_ms = now_ms(n);
    n->jobs[n->n_jobs++] = j;
    if (n->timer == 0) n->timer = loop_timer_add(n->loop, 0, on_script_timer, n);
}

size_t notify_io_script_count(const struct notify_io *n) { return n->n_jobs; }

void notify_io_script_at(const struct notify_io *n, size_t i, struct notify_script_view *out)
{
    ASSERT(i < n->n_jobs);
    const struct script_job *j = n->jobs[i];
    out->argc = j->argc;
    out->argv = (const char *const *)j->argv;
    out->is_running = j->pid > 0;
    out->pid = j->pid > 0 ? j->pid : 0;
    int64_t now = now_ms(n);
    out->ms = out->is_running ? now - j->start_ms : MAX(j->start_ms - now, (int64_t)0);
    out->retry_num = j->retry_num;
}
