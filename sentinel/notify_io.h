/* notify_io: where the core's events and script requests become effects (env->event and
 * env->run_script).
 *
 * Events: every event is logged as "<type> <message>" at its level; unless it is a debug event
 * it is published on the pub/sub channel named after its type (the command server delivers it
 * to channel and pattern subscribers) and handed to registered listeners (the HTTP API and
 * webhooks plug in there).
 *
 * Scripts (notification-script, client-reconfig-script) run as Redis runs them
 * (docs/sentinel-protocol.md#scripts):
 *
 *   queued --(slot free, start time reached)--> running --exit 0 / exit >= 2--> done
 *     ^                                           |  exit 1 or killed by a signal, retries left
 *     +------------- rescheduled (delay doubles) -+
 *   running longer than script-max-runtime: SIGKILL, event -script-timeout, then as a signal.
 *   A final failure emits -script-error "<path> <signal> <exit code>" (fork failure: "99 0").
 * At most NOTIFY_MAX_RUNNING children at once and NOTIFY_MAX_QUEUE jobs in all (the oldest
 * queued, not running, job is dropped when full); at most NOTIFY_MAX_RETRIES retries. Children
 * are reaped by pid (never waitpid(-1)), from a timer that runs only while jobs exist.
 * Must not: block, or call into the core except to read the script periods.
 */
#ifndef VIGIL_SENTINEL_NOTIFY_IO_H
#define VIGIL_SENTINEL_NOTIFY_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/loop.h"

#define NOTIFY_MAX_RUNNING 16
#define NOTIFY_MAX_QUEUE 256
#define NOTIFY_MAX_RETRIES 10
#define NOTIFY_MAX_ARGS 16
#define NOTIFY_MAX_LISTENERS 8

struct notify_io;
struct cmd_server;
struct sentinel;

/* A listener gets every event, debug ones included (it filters). */
typedef void (*notify_listener_fn)(void *ctx, int level, const char *type, const char *msg);

struct notify_io *notify_io_create(struct loop *l);
/* Kills nothing: running scripts are left to finish on their own (as Redis does at exit). */
void notify_io_destroy(struct notify_io *n);
void notify_io_set_server(struct notify_io *n, struct cmd_server *srv);
void notify_io_set_core(struct notify_io *n, struct sentinel *core);
/* 0, or -1 when NOTIFY_MAX_LISTENERS are registered. */
int notify_io_add_listener(struct notify_io *n, notify_listener_fn fn, void *ctx);

/* env->event and env->run_script. */
void notify_io_event(struct notify_io *n, int level, const char *type, const char *msg);
void notify_io_run_script(struct notify_io *n, const char *path, int argc, const char *const *argv);

/* Whether path is a regular file this process may execute: the check SENTINEL SET and the
 * config loader make before accepting a script path (a directory passes access(X_OK)). */
bool notify_io_script_is_executable(const char *path);

/* For INFO and SENTINEL PENDING-SCRIPTS. */
int notify_io_running_scripts(const struct notify_io *n);
int notify_io_queued_scripts(const struct notify_io *n); /* all jobs, running included */
struct notify_script_view {
    int argc;
    const char *const *argv; /* argv[0] is the script path */
    bool is_running;
    pid_t pid;  /* 0 when not running */
    int64_t ms; /* running: run time; scheduled: delay until start (>= 0) */
    int retry_num;
};
size_t notify_io_script_count(const struct notify_io *n);
void notify_io_script_at(const struct notify_io *n, size_t i, struct notify_script_view *out);

#endif
