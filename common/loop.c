/* loop: see loop.h. Timers live in a slab of records (a free list reuses slots) and a binary
 * min-heap of slot numbers ordered by (deadline, seq); each record knows its heap position. A
 * timer id is (generation << 32 | slot), so cancel finds its record in O(1), rejects stale ids by
 * generation, and removes it from the heap in O(log n). `seq` is taken from a loop-wide counter
 * each time a timer is started or re-armed (libuv's start_id), so equal deadlines fire in the
 * order they were set, whatever slot a timer landed in. */
#include "common/loop.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/util.h"

struct fd_slot {
    int mask;
    loop_fd_fn rfn, wfn;
    void *rdata, *wdata;
};

struct timer {
    int64_t when_us;
    uint64_t seq; /* order among equal deadlines: when the timer was (re)started */
    uint64_t id;  /* generation << 32 | slot; 0 while the slot is free */
    loop_timer_fn fn;
    void *data;
    size_t heap_pos;
    uint32_t generation;
    uint32_t next_free;
};

struct deferred {
    loop_hook_fn fn;
    void *data;
};

struct loop {
    int epfd;
    int max_fds;
    struct fd_slot *fds;
    struct epoll_event *events;
    struct timer *slots;        /* timer records, indexed by slot */
    uint32_t nslots, free_slot; /* free_slot: head of the free list, UINT32_MAX if none */
    uint32_t *heap;             /* min-heap of slots by (when_us, seq) */
    size_t heap_len;
    uint64_t next_seq; /* the seq of the next timer (re)started */
    loop_hook_fn before_sleep;
    void *before_sleep_data;
    struct deferred *deferred;
    size_t ndeferred, deferred_cap;
    int64_t now_us;
    int64_t (*clock_fn)(void *);
    void *clock_ctx;
    bool is_stopped;
    int64_t busy_poll_us; /* 0: always block in epoll_wait */
    int64_t last_gap_us;  /* real time the previous wait took until events came */
    struct loop_busy_poll_stats busy;
    /* CPU contention, sampled once per window: involuntary context switches of this thread */
    loop_switches_fn switches_fn;
    void *switches_ctx;
    int64_t window_us, window_start_us;
    uint64_t window_start_switches;
    bool is_contended;
};

static int64_t default_clock(void *ctx)
{
    UNUSED(ctx);
    return clock_mono_us();
}

struct loop *loop_create(int max_fds)
{
    struct loop *l = xcalloc(1, sizeof *l);
    l->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (l->epfd < 0) {
        free(l);
        return NULL;
    }
    l->max_fds = max_fds;
    l->fds = xcalloc((size_t)max_fds, sizeof *l->fds);
    l->events = xcalloc((size_t)max_fds, sizeof *l->events);
    l->free_slot = UINT32_MAX;
    l->clock_fn = default_clock;
    l->now_us = l->clock_fn(NULL);
    return l;
}

void loop_destroy(struct loop *l)
{
    if (!l) return;
    free(l->slots);
    free(l->heap);
    free(l->deferred);
    free(l->events);
    free(l->fds);
    close(l->epfd);
    free(l);
}

static int epoll_apply(struct loop *l, int fd, int old_mask, int new_mask)
{
    struct epoll_event ev = {0};
    ev.data.fd = fd;
    if (new_mask & LOOP_READABLE) ev.events |= EPOLLIN;
    if (new_mask & LOOP_WRITABLE) ev.events |= EPOLLOUT;
    int op = old_mask == 0 ? EPOLL_CTL_ADD : (new_mask == 0 ? EPOLL_CTL_DEL : EPOLL_CTL_MOD);
    return epoll_ctl(l->epfd, op, fd, &ev);
}

int loop_watch(struct loop *l, int fd, int mask, loop_fd_fn fn, void *data)
{
    if (fd < 0 || fd >= l->max_fds) return -1;
    struct fd_slot *s = &l->fds[fd];
    int new_mask = s->mask | mask;
    if (new_mask != s->mask && epoll_apply(l, fd, s->mask, new_mask) != 0) return -1;
    s->mask = new_mask;
    if (mask & LOOP_READABLE) {
        s->rfn = fn;
        s->rdata = data;
    }
    if (mask & LOOP_WRITABLE) {
        s->wfn = fn;
        s->wdata = data;
    }
    return 0;
}

void loop_unwatch(struct loop *l, int fd, int mask)
{
    if (fd < 0 || fd >= l->max_fds) return;
    struct fd_slot *s = &l->fds[fd];
    int new_mask = s->mask & ~mask;
    if (new_mask == s->mask) return;
    epoll_apply(l, fd, s->mask, new_mask);
    s->mask = new_mask;
}

int loop_watched(const struct loop *l, int fd)
{
    return (fd >= 0 && fd < l->max_fds) ? l->fds[fd].mask : 0;
}

/* ---- timers: slab + binary min-heap ---- */

static bool timer_less(const struct loop *l, uint32_t a, uint32_t b)
{
    const struct timer *x = &l->slots[a], *y = &l->slots[b];
    return x->when_us < y->when_us || (x->when_us == y->when_us && x->seq < y->seq);
}

static void heap_set(struct loop *l, size_t pos, uint32_t slot)
{
    l->heap[pos] = slot;
    l->slots[slot].heap_pos = pos;
}

static void heap_up(struct loop *l, size_t i)
{
    uint32_t slot = l->heap[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!timer_less(l, slot, l->heap[parent])) break;
        heap_set(l, i, l->heap[parent]);
        i = parent;
    }
    heap_set(l, i, slot);
}

static void heap_down(struct loop *l, size_t i)
{
    uint32_t slot = l->heap[i];
    for (;;) {
        size_t left = 2 * i + 1, right = left + 1, min = i;
        uint32_t min_slot = slot;
        if (left < l->heap_len && timer_less(l, l->heap[left], min_slot)) {
            min = left;
            min_slot = l->heap[left];
        }
        if (right < l->heap_len && timer_less(l, l->heap[right], min_slot)) min = right;
        if (min == i) break;
        heap_set(l, i, l->heap[min]);
        i = min;
    }
    heap_set(l, i, slot);
}

static void heap_remove(struct loop *l, size_t pos)
{
    l->slots[l->heap[pos]].heap_pos = SIZE_MAX; /* marks "not in the heap" */
    l->heap_len--;
    if (pos == l->heap_len) return;
    uint32_t moved = l->heap[l->heap_len];
    heap_set(l, pos, moved);
    heap_down(l, pos);
    heap_up(l, l->slots[moved].heap_pos);
}

static uint32_t slot_alloc(struct loop *l)
{
    if (l->free_slot == UINT32_MAX) {
        uint32_t n = l->nslots ? l->nslots * 2 : 16;
        l->slots = xrealloc(l->slots, n * sizeof *l->slots);
        l->heap = xrealloc(l->heap, n * sizeof *l->heap);
        for (uint32_t i = l->nslots; i < n; i++) {
            memset(&l->slots[i], 0, sizeof l->slots[i]);
            l->slots[i].next_free = i + 1 < n ? i + 1 : UINT32_MAX;
        }
        l->free_slot = l->nslots;
        l->nslots = n;
    }
    uint32_t slot = l->free_slot;
    l->free_slot = l->slots[slot].next_free;
    return slot;
}

static void slot_release(struct loop *l, uint32_t slot)
{
    struct timer *t = &l->slots[slot];
    t->id = 0;
    t->fn = NULL;
    t->generation++;
    t->next_free = l->free_slot;
    l->free_slot = slot;
}

static void timer_schedule(struct loop *l, uint32_t slot, int64_t delay_ms)
{
    struct timer *t = &l->slots[slot];
    /* A delay too large for the clock saturates to "never" instead of wrapping into the past. */
    int64_t max_ms = (INT64_MAX - l->now_us) / 1000;
    if (delay_ms < 0) delay_ms = 0;
    t->when_us = delay_ms > max_ms ? INT64_MAX : l->now_us + delay_ms * 1000;
    t->seq = l->next_seq++;
    l->heap[l->heap_len] = slot;
    t->heap_pos = l->heap_len++;
    heap_up(l, t->heap_pos);
}

uint64_t loop_timer_add(struct loop *l, int64_t delay_ms, loop_timer_fn fn, void *data)
{
    uint32_t slot = slot_alloc(l);
    struct timer *t = &l->slots[slot];
    if (t->generation == 0) t->generation = 1; /* keeps every id non-zero */
    t->id = ((uint64_t)t->generation << 32) | slot;
    t->fn = fn;
    t->data = data;
    timer_schedule(l, slot, delay_ms);
    return t->id;
}

bool loop_timer_cancel(struct loop *l, uint64_t id)
{
    uint32_t slot = (uint32_t)id;
    if (id == 0 || slot >= l->nslots || l->slots[slot].id != id) return false;
    /* A timer cancelled from its own callback is already out of the heap. */
    if (l->slots[slot].heap_pos != SIZE_MAX) heap_remove(l, l->slots[slot].heap_pos);
    slot_release(l, slot);
    return true;
}

static void timers_run_due(struct loop *l)
{
    /* Fire only timers due at the start of this pass; a timer re-armed with delay 0 lands behind
     * `now` + 0 and would loop forever, so re-armed timers are collected and scheduled after. */
    int64_t now = l->now_us;
    uint32_t rearm[64];
    int64_t rearm_ms[64];
    size_t nrearm = 0;
    while (l->heap_len && l->slots[l->heap[0]].when_us <= now && nrearm < ARRAY_LEN(rearm)) {
        uint32_t slot = l->heap[0];
        heap_remove(l, 0);
        uint64_t id = l->slots[slot].id;
        /* The callback may add timers (growing, so moving, the slab): re-read the slot after. */
        int64_t again = l->slots[slot].fn(l, id, l->slots[slot].data);
        /* It may also have cancelled its own id: then the slot is already released. */
        if (l->slots[slot].id != id) continue;
        if (again < 0) {
            slot_release(l, slot);
        } else {
            rearm[nrearm] = slot;
            rearm_ms[nrearm++] = again;
        }
    }
    for (size_t i = 0; i < nrearm; i++) timer_schedule(l, rearm[i], rearm_ms[i]);
}

/* ---- the rest of the loop ---- */

void loop_set_before_sleep(struct loop *l, loop_hook_fn fn, void *data)
{
    l->before_sleep = fn;
    l->before_sleep_data = data;
}

void loop_defer(struct loop *l, loop_hook_fn fn, void *data)
{
    if (l->ndeferred == l->deferred_cap) {
        l->deferred_cap = l->deferred_cap ? l->deferred_cap * 2 : 16;
        l->deferred = xrealloc(l->deferred, l->deferred_cap * sizeof *l->deferred);
    }
    l->deferred[l->ndeferred].fn = fn;
    l->deferred[l->ndeferred].data = data;
    l->ndeferred++;
}

static void run_deferred(struct loop *l)
{
    /* Deferred work may defer more; it runs in this same pass, in order. */
    for (size_t i = 0; i < l->ndeferred; i++) l->deferred[i].fn(l, l->deferred[i].data);
    l->ndeferred = 0;
}

int64_t loop_now_ms(const struct loop *l) { return l->now_us / 1000; }
int64_t loop_now_us(const struct loop *l) { return l->now_us; }
void loop_update_now(struct loop *l) { l->now_us = l->clock_fn(l->clock_ctx); }

void loop_set_clock(struct loop *l, int64_t (*now_us)(void *ctx), void *ctx)
{
    l->clock_fn = now_us ? now_us : default_clock;
    l->clock_ctx = ctx;
    loop_update_now(l);
}

static int next_wait_ms(struct loop *l, int64_t max_wait_ms)
{
    int64_t wait = max_wait_ms;
    if (l->ndeferred) return 0;
    if (l->heap_len) {
        int64_t until_us = l->slots[l->heap[0]].when_us - l->now_us;
        int64_t ms = until_us <= 0 ? 0 : until_us / 1000 + (until_us % 1000 != 0);
        if (wait < 0 || ms < wait) wait = ms;
    }
    return wait > 1000000 ? 1000000 : (int)wait;
}

static void dispatch_list(struct loop *l, const struct epoll_event *events, int n)
{
    for (int i = 0; i < n; i++) {
        int fd = events[i].data.fd;
        uint32_t ev = events[i].events;
        struct fd_slot *s = &l->fds[fd];
        /* Errors and hangups are reported to whichever side is watched, so reads see EOF. */
        int fired = 0;
        if ((s->mask & LOOP_READABLE) && (ev & (EPOLLIN | EPOLLERR | EPOLLHUP))) {
            s->rfn(l, fd, s->rdata, LOOP_READABLE);
            fired = 1;
        }
        /* The read callback may have unwatched or closed the fd: re-check the mask. */
        if ((s->mask & LOOP_WRITABLE) && (ev & (EPOLLOUT | EPOLLERR | EPOLLHUP)) &&
            !(fired && s->wfn == s->rfn && s->wdata == s->rdata && (ev & EPOLLOUT) == 0)) {
            s->wfn(l, fd, s->wdata, LOOP_WRITABLE);
        }
    }
}

static void dispatch_events(struct loop *l, int n) { dispatch_list(l, l->events, n); }

int loop_poll_fds_nested(struct loop *l)
{
    struct epoll_event events[64]; /* its own array: the outer dispatch still reads l->events */
    int n = epoll_wait(l->epfd, events, 64, 0);
    if (n <= 0) return 0;
    loop_update_now(l);
    dispatch_list(l, events, n);
    return n;
}

/* Adaptive busy polling. Waking a process blocked in epoll_wait costs the peer that wakes it (the
 * kernel sends an inter-processor interrupt, which under a hypervisor is an exit) and costs us a
 * reschedule, on every request when a client waits for each reply. When the last wait ended
 * within busy_poll_us, the next events are likely that close too: poll without blocking for up to
 * busy_poll_us first. A poll that finds nothing makes the measured gap long, so the following waits
 * block until a short gap is seen again: an idle or lightly loaded server never spins, and the
 * CPU spent on a miss is bounded by busy_poll_us.
 *
 * Spinning only pays while a CPU would otherwise idle. When other processes want ours (replicas
 * and clients sharing the cores), the scheduler preempts us often: more than
 * LOOP_CONTENDED_SWITCHES_PER_S involuntary switches over the last window stop the spinning until
 * a window without them. Measured on 2 cores with redis-benchmark -P 1: master alone ~130
 * switches/s (spinning: +10% rps); master + 2 replicas 9,000-16,000/s (spinning there cost 30%).
 *
 *   gap <= busy_poll_us && !contended --> spin (epoll_wait 0) --events--> hit, gap short
 *            ^                                   |
 *            |                     busy_poll_us passed: miss, block (gap now long)
 *            +--- a blocking wait that returns within busy_poll_us */
static void sample_contention(struct loop *l, int64_t now_us)
{
    int64_t elapsed_us = now_us - l->window_start_us;
    if (elapsed_us < l->window_us) return;
    uint64_t switches = l->switches_fn(l->switches_ctx);
    uint64_t allowed = (uint64_t)(elapsed_us / 1000) * LOOP_CONTENDED_SWITCHES_PER_S / 1000;
    l->is_contended = switches - l->window_start_switches > allowed;
    if (l->is_contended) l->busy.contended_windows++;
    l->window_start_us = now_us;
    l->window_start_switches = switches;
}

static int wait_for_events(struct loop *l, int64_t max_wait_ms)
{
    int wait_ms = next_wait_ms(l, max_wait_ms);
    if (l->busy_poll_us <= 0) return epoll_wait(l->epfd, l->events, l->max_fds, wait_ms);
    int64_t start_us = clock_mono_us();
    int n = 0;
    sample_contention(l, start_us);
    if (wait_ms != 0 && l->last_gap_us <= l->busy_poll_us && !l->is_contended) {
        int64_t spin_us = l->busy_poll_us;
        if (wait_ms > 0 && (int64_t)wait_ms * 1000 < spin_us) spin_us = (int64_t)wait_ms * 1000;
        do {
            n = epoll_wait(l->epfd, l->events, l->max_fds, 0);
        } while (n == 0 && clock_mono_us() - start_us < spin_us);
        if (n > 0)
            l->busy.hits++;
        else
            l->busy.misses++;
    }
    if (n == 0) {
        if (wait_ms > 0) {
            /* The timers' deadlines are in loop time: re-derive the wait after the spin. */
            loop_update_now(l);
            wait_ms = next_wait_ms(l, max_wait_ms);
        }
        n = epoll_wait(l->epfd, l->events, l->max_fds, wait_ms);
    }
    /* A wait that timed out saw no events at all: treat it as an unbounded gap. */
    l->last_gap_us = n > 0 ? clock_mono_us() - start_us : INT64_MAX;
    return n;
}

static uint64_t involuntary_switches(void *ctx)
{
    UNUSED(ctx);
    struct rusage ru;
    return getrusage(RUSAGE_THREAD, &ru) == 0 ? (uint64_t)ru.ru_nivcsw : 0;
}

void loop_set_busy_poll(struct loop *l, int64_t busy_poll_us)
{
    l->busy_poll_us = busy_poll_us > 0 ? busy_poll_us : 0;
    l->last_gap_us = INT64_MAX; /* spin only once a short gap has been seen */
    if (!l->switches_fn) loop_set_switches_probe(l, involuntary_switches, NULL, LOOP_WINDOW_US);
}

void loop_set_switches_probe(struct loop *l, loop_switches_fn fn, void *ctx, int64_t window_us)
{
    l->switches_fn = fn;
    l->switches_ctx = ctx;
    l->window_us = window_us;
    l->window_start_us = clock_mono_us();
    l->window_start_switches = fn(ctx);
    l->is_contended = false;
}

struct loop_busy_poll_stats loop_busy_poll_stats(const struct loop *l) { return l->busy; }

int loop_run_once(struct loop *l, int64_t max_wait_ms)
{
    if (l->before_sleep) l->before_sleep(l, l->before_sleep_data);
    int n = wait_for_events(l, max_wait_ms);
    if (n < 0 && errno != EINTR) return -1;
    loop_update_now(l);
    if (n > 0) dispatch_events(l, n);
    timers_run_due(l);
    run_deferred(l);
    return n < 0 ? 0 : n;
}

void loop_run(struct loop *l)
{
    l->is_stopped = false;
    while (!l->is_stopped) loop_run_once(l, -1);
}

void loop_stop(struct loop *l) { l->is_stopped = true; }
