/* notify: the one chokepoint for events leaving the core (docs/sentinel-protocol.md#events).
 * Formats the instance identifier plus the event's text exactly as that section lists it, hands it
 * to env->event (which logs it and, unless at debug level, publishes it on the channel named after
 * the event), and runs the master's notification script for warning-level events, as Redis does
 * with "<event> <message>". */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/util.h"
#include "sentinel/core/core_int.h"

#define NOTIFY_MSG_MAX 1024

/* Every event type the sentinel emits (the unit tests' fake env refuses any other, so the table
 * cannot fall behind the code). Webhook `events:` filters are checked against it. */
static const char *const event_names[] = {
    "+config-update-from",
    "+config-update-rejected",
    "+convert-to-slave",
    "+elected-leader",
    "+failover-end",
    "+failover-end-for-timeout",
    "+failover-state-reconf-slaves",
    "+failover-state-select-slave",
    "+failover-state-send-slaveof-noone",
    "+failover-state-wait-promotion",
    "+fix-slave-config",
    "+monitor",
    "+new-epoch",
    "+odown",
    "+paused",
    "+promoted-slave",
    "+reboot",
    "+regressed-master",
    "+reset-master",
    "+role-change",
    "+sdown",
    "+selected-slave",
    "+sentinel",
    "+sentinel-address-switch",
    "+sentinel-invalid-addr",
    "+set",
    "+slave",
    "+slave-reconf-done",
    "+slave-reconf-inprog",
    "+slave-reconf-sent",
    "+slave-reconf-sent-be",
    "+switch-master",
    "+switchover-failover-to",
    "+switchover-requested",
    "+tilt",
    "+try-failover",
    "+vote-for-leader",
    "-failover-abort-no-good-slave",
    "-failover-abort-not-elected",
    "-failover-abort-slave-timeout",
    "-failover-abort-switchover-refused",
    "-failover-abort-switchover-timeout",
    "-failover-abort-veto-timeout",
    "-failover-abort-vetoed",
    "-monitor",
    "-odown",
    "-paused",
    "-regressed-master",
    "-role-change",
    "-script-error",
    "-script-timeout",
    "-sdown",
    "-slave-reconf-sent-timeout",
    "-tilt",
};

bool sentinel_event_known(const char *type)
{
    for (size_t i = 0; i < ARRAY_LEN(event_names); i++)
        if (strcmp(event_names[i], type) == 0) return true;
    return false;
}

bool sentinel_event_glob_known(const char *glob, const char **suggestion)
{
    size_t len = strlen(glob);
    *suggestion = NULL;
    for (size_t i = 0; i < ARRAY_LEN(event_names); i++)
        if (util_glob_match(glob, len, event_names[i], strlen(event_names[i]), false)) return true;
    *suggestion = util_closest(glob, len, event_names, ARRAY_LEN(event_names));
    return false;
}

void notify_event(struct sentinel *s, int level, const char *type, const struct instance *ri,
                  const char *fmt, ...)
{
    char msg[NOTIFY_MSG_MAX];
    size_t len = 0;
    msg[0] = '\0';
    if (ri) len = instance_describe_id(ri, s->opt.announce_hostnames, msg, sizeof(msg));
    if (fmt) {
        if (len > 0 && len < sizeof(msg) - 1) msg[len++] = ' ';
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg + len, sizeof(msg) - len, fmt, ap);
        va_end(ap);
    }
    s->env.event(s->env.ctx, level, type, msg);
    if (level != LOG_WARNING || ri == NULL || s->env.run_script == NULL) return;
    const struct instance *master = ri->kind == INSTANCE_MASTER ? ri : ri->master;
    if (master->record->params.notification_script == NULL) return;
    const char *argv[] = {type, msg};
    s->env.run_script(s->env.ctx, master->record->params.notification_script, 2, argv);
}

/* ---- log lines ---------------------------------------------------------------------------- */

static void log_line(struct sentinel *s, int level, const char *suffix, const char *fmt, va_list ap)
{
    if (s->env.log == NULL) return;
    char line[NOTIFY_MSG_MAX];
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
    int64_t now = core_now(s);
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
