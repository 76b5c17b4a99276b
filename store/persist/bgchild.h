/* bgchild: the one forked background child of persistence: a snapshot (BGSAVE, a save point)
 * or an append-only-file rewrite. As Redis, only one runs at a time: a second request is
 * refused or scheduled by its caller (bgchild_running tells). The child gets a copy-on-write
 * image of the dataset, runs its job and exits; the parent keeps serving, reaps it in the cron
 * and calls the job's done callback with the outcome and the child's copy-on-write size.
 * (Full resync's snapshot child is replication's own: store/repl/repl_snapshot.c.)
 *
 *      NONE --bgchild_start (fork)--> RUNNING --exit, reaped by bgchild_cron--> NONE
 *                                        |                                   done(result)
 *                                        +--bgchild_kill (SIGKILL, reaped)--> NONE
 *                                                                         done(killed)
 */
#ifndef VIGIL_BGCHILD_H
#define VIGIL_BGCHILD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct server;

enum bgchild_kind { BGCHILD_NONE, BGCHILD_RDB, BGCHILD_AOF };

struct bgchild_result {
    bool ok;             /* exited with status 0 */
    bool killed;         /* stopped by bgchild_kill */
    int status;          /* waitpid status */
    int64_t cow_bytes;   /* the child's private dirty memory when it finished (-1: unknown) */
    int64_t duration_ms; /* fork to reap */
};

/* Runs in the child; its return value is the exit status (0: success). */
typedef int (*bgchild_job_fn)(struct server *srv, void *arg);
/* Runs in the parent once the child is reaped or killed; arg as given to bgchild_start. */
typedef void (*bgchild_done_fn)(struct server *srv, const struct bgchild_result *res, void *arg);

struct bgchild;

/* Owned by the server. destroy kills a running child. */
struct bgchild *bgchild_create(void);
void bgchild_destroy(struct server *srv, struct bgchild *b);

/* Fork a child running job. 0, or -1 with errno (EBUSY: a child already runs). */
int bgchild_start(struct server *srv, enum bgchild_kind kind, bgchild_job_fn job,
                  bgchild_done_fn done, void *arg);
enum bgchild_kind bgchild_running(const struct server *srv);
pid_t bgchild_pid(const struct server *srv);
/* Monotonic ms when the running child was forked (0 when none). */
int64_t bgchild_start_ms(const struct server *srv);
/* Stop the running child (SIGKILL), reap it and call its done callback with killed = true. */
void bgchild_kill(struct server *srv);
/* Reap a child that exited (cron). */
void bgchild_cron(struct server *srv);
/* In a child: its private dirty memory now (copy-on-write size), -1 when unknown. */
int64_t bgchild_cow_bytes(void);
/* INFO: microseconds the last fork took (latest_fork_usec), and fork count (total_forks). */
int64_t bgchild_latest_fork_us(const struct server *srv);
uint64_t bgchild_total_forks(const struct server *srv);

#endif
