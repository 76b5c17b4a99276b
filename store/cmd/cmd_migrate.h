/* cmd_migrate: MIGRATE's cache of connections to target instances (see cmd_migrate.c). */
#ifndef VIGIL_CMD_MIGRATE_H
#define VIGIL_CMD_MIGRATE_H

struct server;

/* Close every cached connection and free the cache (server shutdown). */
void migrate_cache_free(struct server *srv);

#endif
