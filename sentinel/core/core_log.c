/* core_log: the core's log lines, which leave through env->log and never through common/log.h's
 * functions, so the shell writes them, the simulation keeps its own log and the unit tests' fake
 * world keeps or silences them. A line that can repeat in a loop goes through a limiter on the
 * core's own clock (env->mono_ms). Depends on env only: every core file may log. */
#include <stdarg.h>
#include <stdio.h>

#include "common/util.h"
#include "sentinel/core/core_int.h"

#define CORE_LOG_LINE_MAX 1024 /* longer lines are cut */

static void log_line(struct sentinel *s, int level, const char *suffix, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));

static void log_line(struct sentinel *s, int level, const char *suffix, const char *fmt, va_list ap)
{
    if (s->env.log == NULL) return;
    char line[CORE_LOG_LINE_MAX];
    int n = vsnprintf(line, sizeof(line), fmt, ap);
    if (n < 0) return;
    size_t len = MIN((size_t)n, sizeof(line) - 1);
    snprintf(line + len, sizeof(line) - len, "%s", suffix);
    s->env.log(s->env.ctx, level, line);
}

void core_log(struct sentinel *s, int level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_line(s, level, "", fmt, ap);
    va_end(ap);
}

void core_log_rate(struct sentinel *s, struct core_log_rate *rate, int level, const char *fmt, ...)
{
    int64_t now = s->env.mono_ms(s->env.ctx);
    if (rate->lines_in_window == 0 || now - rate->window_start_ms >= LOG_RATE_WINDOW_MS) {
        rate->window_start_ms = now;
        rate->lines_in_window = 0;
    }
    if (rate->lines_in_window >= LOG_RATE_LINES) {
        rate->suppressed++;
        return;
    }
    rate->lines_in_window++;
    char suffix[64] = "";
    if (rate->suppressed)
        snprintf(suffix, sizeof(suffix), " (suppressed %llu similar lines)", rate->suppressed);
    rate->suppressed = 0;
    va_list ap;
    va_start(ap, fmt);
    log_line(s, level, suffix, fmt, ap);
    va_end(ap);
}
