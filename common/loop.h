/* loop: a small epoll event loop. File events (readable/writable callbacks per fd), one-shot
 * timers kept in a binary min-heap (O(log n) add/cancel, O(1) next deadline, never a linear scan),
 * a cached monotonic `now` refreshed once per iteration (so a burst of work sees one consistent
 * time and pays for one clock read), a before-sleep hook (where the store flushes replies and
 * batches replication acks), and deferred work that runs after the current iteration's callbacks
 * (used to free objects outside their own callbacks).
 *
 * Invariants: callbacks never run re-entrantly; a cancelled timer never fires; a fd removed in a
 * callback receives no further events in the same iteration. The loop owns nothing but its own
 * tables: closing fds and freeing user data is the caller's business. */
#ifndef VIGIL_LOOP_H
#define VIGIL_LOOP_H

#include <stdbool.h>
#include <stdint.h>

#define LOOP_READABLE 1
#define LOOP_WRITABLE 2

struct loop;
typedef void (*loop_fd_fn)(struct loop *l, int fd, void *data, int mask);
/* A timer callback returns the next delay in ms to re-arm itself, or LOOP_TIMER_STOP. */
#define LOOP_TIMER_STOP (-1)
typedef int64_t (*loop_timer_fn)(struct loop *l, uint64_t id, void *data);
typedef void (*loop_hook_fn)(struct loop *l, void *data);

struct loop *loop_create(int max_fds); /* owned by the caller; max_fds bounds fd numbers */
void loop_destroy(struct loop *l);

/* Add `mask` to the events watched for fd; one callback per direction. 0 or -1 (fd too large,
 * epoll failure). */
int loop_watch(struct loop *l, int fd, int mask, loop_fd_fn fn, void *data);
void loop_unwatch(struct loop *l, int fd, int mask);
int loop_watched(const struct loop *l, int fd);

/* Timers: ids are never reused within a loop's life. Equal deadlines fire in the order the timers
 * were started or re-armed; a delay beyond the clock's range saturates (the timer never fires). */
uint64_t loop_timer_add(struct loop *l, int64_t delay_ms, loop_timer_fn fn, void *data);
bool loop_timer_cancel(struct loop *l, uint64_t id);

void loop_set_before_sleep(struct loop *l, loop_hook_fn fn, void *data);
/* Run fn(l, data) once, after the callbacks of the current iteration. */
void loop_defer(struct loop *l, loop_hook_fn fn, void *data);

/* Cached monotonic time (ms and us) as of the start of the current iteration. */
int64_t loop_now_ms(const struct loop *l);
int64_t loop_now_us(const struct loop *l);
void loop_update_now(struct loop *l);

/* Run one iteration: wait for events at most until the next timer (or `max_wait_ms`, -1 none). */
int loop_run_once(struct loop *l, int64_t max_wait_ms);
void loop_run(struct loop *l); /* until loop_stop */
/* From inside a callback (a long Lua script): dispatch the fd events ready now, without
 * waiting, running timers or deferred frees. Returns the events dispatched. */
int loop_poll_fds_nested(struct loop *l);
void loop_stop(struct loop *l);

/* Poll without blocking for up to busy_poll_us before sleeping, while events keep arriving within
 * that time of each other (0, the default, never spins; see wait_for_events in loop.c). Spins use
 * the real monotonic clock, not the one set by loop_set_clock. */
struct loop_busy_poll_stats {
    uint64_t hits;              /* spins that found events */
    uint64_t misses;            /* spins that gave up and blocked */
    uint64_t contended_windows; /* windows that stopped spinning: other processes wanted the CPU */
};
void loop_set_busy_poll(struct loop *l, int64_t busy_poll_us);
struct loop_busy_poll_stats loop_busy_poll_stats(const struct loop *l);
/* Contention: more than this many involuntary context switches per second over a window of
 * LOOP_WINDOW_US stop the spinning (see wait_for_events in loop.c). */
#define LOOP_CONTENDED_SWITCHES_PER_S 500
#define LOOP_WINDOW_US 100000
/* For tests: where the involuntary switch count comes from (default: getrusage of the thread),
 * and the window (0: sample before every wait). */
typedef uint64_t (*loop_switches_fn)(void *ctx);
void loop_set_switches_probe(struct loop *l, loop_switches_fn fn, void *ctx, int64_t window_us);

/* For tests: replace the clock the loop reads (returns microseconds). NULL restores the default. */
void loop_set_clock(struct loop *l, int64_t (*now_us)(void *ctx), void *ctx);

#endif
