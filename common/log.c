/* log: see log.h. */
#include "common/log.h"

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

void log_msg(enum log_level level, const char *fmt, ...)
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
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(f, "%d:%c %s %c %s\n", (int)getpid(), log_role, when, ".-*#"[level], msg);
    fflush(f);
}
