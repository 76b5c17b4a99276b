/* aof_fsync: the background thread that fsyncs the append-only file under `appendfsync
 * everysec` (docs/persistence.md#the-append-only-file), so the loop never waits on the disk.
 * One request at a time: while an fsync runs, the loop does not queue another one (and after
 * two seconds of waiting writes anyway, counted in aof_delayed_fsync, as Redis). The thread
 * touches nothing but the descriptor it is handed; the loop waits for it to be idle before
 * closing that descriptor. */
#include <errno.h>
#include <unistd.h>

#include "common/log.h"
#include "store/persist/aof_int.h"

static void *fsync_main(void *arg)
{
    struct aof_fsync *f = arg;
    pthread_mutex_lock(&f->mu);
    for (;;) {
        while (f->fd < 0 && !f->stop) pthread_cond_wait(&f->cond, &f->mu);
        if (f->fd < 0 && f->stop) break;
        int fd = f->fd;
        f->is_running = true;
        pthread_mutex_unlock(&f->mu);
        int rc = fdatasync(fd);
        int saved = rc == 0 ? 0 : errno;
        pthread_mutex_lock(&f->mu);
        f->fd = -1;
        f->is_running = false;
        f->last_errno = saved;
        f->has_result = true;
        pthread_cond_broadcast(&f->cond);
    }
    pthread_mutex_unlock(&f->mu);
    return NULL;
}

void aof_fsync_init(struct aof_fsync *f)
{
    f->fd = -1;
    pthread_mutex_init(&f->mu, NULL);
    pthread_cond_init(&f->cond, NULL);
}

static void fsync_start_thread(struct aof_fsync *f)
{
    if (f->is_started) return;
    if (pthread_create(&f->thread, NULL, fsync_main, f) != 0) {
        log_warning("Can't start the AOF fsync thread: fsyncing from the main thread");
        return;
    }
    f->is_started = true;
}

bool aof_fsync_request(struct aof_fsync *f, int fd)
{
    fsync_start_thread(f);
    if (!f->is_started) {
        f->last_errno = fdatasync(fd) == 0 ? 0 : errno;
        f->has_result = true;
        return true;
    }
    pthread_mutex_lock(&f->mu);
    bool busy = f->fd >= 0 || f->is_running;
    if (!busy) {
        f->fd = fd;
        pthread_cond_broadcast(&f->cond);
    }
    pthread_mutex_unlock(&f->mu);
    return !busy;
}

bool aof_fsync_is_pending(struct aof_fsync *f)
{
    if (!f->is_started) return false;
    pthread_mutex_lock(&f->mu);
    bool busy = f->fd >= 0 || f->is_running;
    pthread_mutex_unlock(&f->mu);
    return busy;
}

void aof_fsync_wait_idle(struct aof_fsync *f)
{
    if (!f->is_started) return;
    pthread_mutex_lock(&f->mu);
    while (f->fd >= 0 || f->is_running) pthread_cond_wait(&f->cond, &f->mu);
    pthread_mutex_unlock(&f->mu);
}

bool aof_fsync_take_result(struct aof_fsync *f, int *err)
{
    pthread_mutex_lock(&f->mu);
    bool has = f->has_result;
    *err = f->last_errno;
    f->has_result = false;
    pthread_mutex_unlock(&f->mu);
    return has;
}

void aof_fsync_stop(struct aof_fsync *f)
{
    if (f->is_started) {
        pthread_mutex_lock(&f->mu);
        f->stop = true;
        pthread_cond_broadcast(&f->cond);
        pthread_mutex_unlock(&f->mu);
        pthread_join(f->thread, NULL);
        f->is_started = false;
    }
    pthread_mutex_destroy(&f->mu);
    pthread_cond_destroy(&f->cond);
}
