/* log: Redis-style log lines, "pid:R dd Mon yyyy hh:mm:ss.mmm * message", to stderr or a file.
 * R is the process role (M master, S replica, X sentinel, C child) and the mark after the time is
 * the level (. debug, - verbose, * notice, # warning), so operators' habits and grep patterns
 * carry over from Redis. One global logger per process: logging is the one cross-cutting concern
 * where a global is simpler than threading a handle through every call. */
#ifndef VIGIL_LOG_H
#define VIGIL_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

enum log_level { LOG_DEBUG = 0, LOG_VERBOSE, LOG_NOTICE, LOG_WARNING, LOG_NONE };

/* path NULL or "" logs to stderr. Returns 0, or -1 if the file cannot be opened (stderr kept). */
int log_open(const char *path);
/* Opens the log_open() path again (after logrotate moved the file: SIGHUP). 0, or -1 with the
 * old file kept. A no-op when logging to stderr. */
int log_reopen(void);
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
void log_set_role(char role);
/* Parses "debug", "verbose", "notice", "warning", "nothing"; -1 when unknown. */
int log_level_parse(const char *name);
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Rate limiting for a line that can repeat in a loop (an accept error, a failing save): one
 * `struct log_rate` per call site (a static), at most LOG_RATE_LINES lines per LOG_RATE_WINDOW_MS
 * through it; the rest are counted. The count is reported with the next line written in a later
 * window ("... (suppressed K similar lines)"), or by log_rate_flush once the window is over if no
 * line comes (the servers call it from their cron). Zero-initialized is ready to use; it must
 * outlive the process's logging (a static), since log_rate_flush keeps a pointer to it. */
#define LOG_RATE_LINES 5
#define LOG_RATE_WINDOW_MS 1000
#define LOG_RATE_MAX_PENDING 32 /* call sites whose count log_rate_flush can report */
struct log_rate {
    int64_t window_start_ms;
    unsigned lines_in_window;
    unsigned long long suppressed;
    bool is_pending;          /* registered for log_rate_flush */
    enum log_level level;     /* of the first line left out */
    char first_left_out[200]; /* its text, for the summary */
};
/* Returns true when the line was written, false when it was counted and left out. */
bool log_rate_msg(struct log_rate *rate, enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The same with the time given (tests); log_rate_msg uses the monotonic clock. */
bool log_rate_msg_at(struct log_rate *rate, int64_t now_ms, enum log_level level, const char *fmt,
                     ...) __attribute__((format(printf, 4, 5)));
/* Write the summary of every call site whose window is over with lines still unreported. */
void log_rate_flush(void);
void log_rate_flush_at(int64_t now_ms);

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_verbose(...) log_msg(LOG_VERBOSE, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_NOTICE, __VA_ARGS__)
#define log_warning(...) log_msg(LOG_WARNING, __VA_ARGS__)

#endif
