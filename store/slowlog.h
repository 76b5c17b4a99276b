/* slowlog: the SLOWLOG command and the bounded log of slow commands behind it (see slowlog.c). */
#ifndef VIGIL_SLOWLOG_H
#define VIGIL_SLOWLOG_H

#include "store/server.h"

struct slowlog *slowlog_create(void);
void slowlog_destroy(struct slowlog *sl);
/* After a command ran for duration_us: log it if slowlog-log-slower-than says so. */
void slowlog_record(struct server *srv, const struct client *c, long long duration_us);

#endif
