/* log: see log.h. The rate limiter is a fixed window per call site: cheap, no allocation, and
 * enough to turn a hot loop's thousands of lines a second into a handful plus a count. */
#include "common/log.h"

#include "common/clock.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static FILE *log_file;
static enum log_level log_level = LOG_NOTICE;
static char log_role = 'M';
static char log_path[4096]; /* the file log_open() opened, for log_reopen() */

int log_open(const char *path)
{
    if (log_file && log_file != stderr) fclose(log_file);
    log_file = stderr;
    log_path[0] = '\0';
    if (path == NULL || path[0] == '\0') return 0;
    FILE *f = fopen(path, "ae"); /* close-on-exec: scripts must not inherit it */
    if (f == NULL) return -1;
    setvbuf(f, NULL, _IOLBF, 0);
    log_file = f;
    /* Absolute, so a reopen after the daemon's chdir(dir) finds the same file. */
    char cwd[2048];
    if (path[0] != '/' && getcwd(cwd, sizeof cwd) != NULL)
        snprintf(log_path, sizeof log_path, "%s/%s", cwd, path);
    else
        snprintf(log_path, sizeof log_path, "%s", path);
    return 0;
}

int log_reopen(void)
{
    if (log_path[0] == '\0') return 0;
    FILE *f = fopen(log_path, "ae");
    if (f == NULL) return -1; /* keep writing to the old file rather than lose lines */
    setvbuf(f, NULL, _IOLBF, 0);
    if (log_file && log_file != stderr) fclose(log_file);
    log_file = f;
    return 0;
}

void log_set_level(enum log_level level) { log_level = level; }
enum log_level log_get_level(void) { return log_level; }
void log_set_role(char role) { log_role = role; }

int log_level_parse(const char *name)
{
    static const char *const names[] = {"debug", "verbose", "notice", "warning", "nothing"};
    for (int i = 0; i < 5; i++)
        if (strcasecmp(name, names[i]) == 0) return i;
    return -1;
}

static void log_vmsg(enum log_level level, const char *suffix, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));
static void log_vmsg(enum log_level level, const char *suffix, const char *fmt, va_list ap)
{
    if (level < log_level || level >= LOG_NONE) return;
    FILE *f = log_file ? log_file : stderr;
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    localtime_r(&tv.tv_sec, &tm);
    char when[64];
    size_t n = strftime(when, sizeof when, "%d %b %Y %H:%M:%S", &tm);
    snprintf(when + n, sizeof when - n, ".%03d", (int)(tv.tv_usec / 1000));
    char msg[1024];
    vsnprintf(msg, sizeof msg, fmt, ap);
    fprintf(f, "%d:%c %s %c %s%s\n", (int)getpid(), log_role, when, ".-*#"[level], msg, suffix);
    fflush(f);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_vmsg(level, "", fmt, ap);
    va_end(ap);
}

/* Call sites with lines left out and not yet reported: a small fixed registry (a site that does
 * not fit still reports its count with its next line). */
static struct log_rate *pending[LOG_RATE_MAX_PENDING];
static size_t n_pending;

static void rate_unregister(struct log_rate *r)
{
    for (size_t i = 0; i < n_pending; i++) {
        if (pending[i] != r) continue;
        pending[i] = pending[--n_pending];
        break;
    }
    r->is_pending = false;
}

/* Opens a new window when the old one is over; says whether a line may be written now, and
 * the count of lines left out before it (reported with it, then reset). */
static bool rate_admit(struct log_rate *r, int64_t now_ms, unsigned long long *reported)
{
    *reported = 0;
    if (r->lines_in_window == 0 || now_ms - r->window_start_ms >= LOG_RATE_WINDOW_MS ||
        now_ms < r->window_start_ms) {
        r->window_start_ms = now_ms;
        r->lines_in_window = 0;
    }
    if (r->lines_in_window >= LOG_RATE_LINES) {
        r->suppressed++;
        return false;
    }
    r->lines_in_window++;
    *reported = r->suppressed;
    r->suppressed = 0;
    if (r->is_pending) rate_unregister(r);
    return true;
}

static bool log_rate_vmsg(struct log_rate *r, int64_t now_ms, enum log_level level, const char *fmt,
                          va_list ap) __attribute__((format(printf, 4, 0)));
static bool log_rate_vmsg(struct log_rate *r, int64_t now_ms, enum log_level level, const char *fmt,
                          va_list ap)
{
    if (level < log_level || level >= LOG_NONE) return false;
    unsigned long long left_out;
    if (!rate_admit(r, now_ms, &left_out)) {
        if (r->suppressed == 1 && !r->is_pending && n_pending < LOG_RATE_MAX_PENDING) {
            vsnprintf(r->first_left_out, sizeof r->first_left_out, fmt, ap);
            r->level = level;
            r->is_pending = true;
            pending[n_pending++] = r;
        }
        return false;
    }
    char suffix[64] = "";
    if (left_out) snprintf(suffix, sizeof suffix, " (suppressed %llu similar lines)", left_out);
    log_vmsg(level, suffix, fmt, ap);
    return true;
}

static void log_plain(enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void log_plain(enum log_level level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_vmsg(level, "", fmt, ap);
    va_end(ap);
}

void log_rate_flush_at(int64_t now_ms)
{
    for (size_t i = n_pending; i-- > 0;) {
        struct log_rate *r = pending[i];
        if (now_ms - r->window_start_ms < LOG_RATE_WINDOW_MS && now_ms >= r->window_start_ms)
            continue;
        log_plain(r->level, "suppressed %llu similar lines, the first: %s", r->suppressed,
                  r->first_left_out);
        r->suppressed = 0;
        rate_unregister(r);
    }
}

void log_rate_flush(void)
{
    if (n_pending) log_rate_flush_at(clock_mono_ms());
}

bool log_rate_msg_at(struct log_rate *rate, int64_t now_ms, enum log_level level, const char *fmt,
                     ...)
{
    va_list ap;
    va_start(ap, fmt);
    bool written = log_rate_vmsg(rate, now_ms, level, fmt, ap);
    va_end(ap);
    return written;
}

bool log_rate_msg(struct log_rate *rate, enum log_level level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    bool written = log_rate_vmsg(rate, clock_mono_ms(), level, fmt, ap);
    va_end(ap);
    return written;
}
