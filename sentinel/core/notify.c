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
    "+old-master-dropped-bytes",
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
    "-failover-abort-master-back",
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
    "-sentinel-forgotten",
    "-slave-forgotten",
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
