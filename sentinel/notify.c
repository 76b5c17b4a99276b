/* notify: the one chokepoint for events leaving the core (spec 7). Formats "<%@>" plus the
 * event's text exactly as the spec lists it, hands it to env->event (which logs it and, unless
 * at debug level, publishes it on the channel named after the event), and runs the master's
 * notification script for warning-level events, as Redis does with "<event> <message>". */
#include <stdarg.h>
#include <stdio.h>

#include "common/log.h"
#include "common/util.h"
#include "sentinel/sentinel_int.h"

#define NOTIFY_MSG_MAX 1024

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
    const struct instance *m = ri->kind == INSTANCE_MASTER ? ri : ri->master;
    if (m->m->p.notification_script == NULL) return;
    const char *argv[] = {type, msg};
    s->env.run_script(s->env.ctx, m->m->p.notification_script, 2, argv);
}
