/* log: Redis-style log lines, "pid:R dd Mon yyyy hh:mm:ss.mmm * message", to stderr or a file.
 * R is the process role (M master, S replica, X sentinel, C child) and the mark after the time is
 * the level (. debug, - verbose, * notice, # warning), so operators' habits and grep patterns
 * carry over from Redis. One global logger per process: logging is the one cross-cutting concern
 * where a global is simpler than threading a handle through every call. */
#ifndef VIGIL_LOG_H
#define VIGIL_LOG_H

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

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_verbose(...) log_msg(LOG_VERBOSE, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_NOTICE, __VA_ARGS__)
#define log_warning(...) log_msg(LOG_WARNING, __VA_ARGS__)

#endif
