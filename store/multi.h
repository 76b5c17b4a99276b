/* multi: transactions (MULTI, EXEC, DISCARD, WATCH, UNWATCH) with Redis's semantics: a command
 * rejected at queue time makes EXEC fail with EXECABORT; a runtime error inside EXEC does not
 * roll back; a touched watched key makes EXEC reply a null array. Watches are kept in a table
 * (db, key) -> watching clients, so a write touches only the watchers of its own key. */
#ifndef VIGIL_MULTI_H
#define VIGIL_MULTI_H

#include "store/server.h"

struct watch_table *watch_table_create(void);
void watch_table_destroy(struct watch_table *t);

/* Queue the current command (copying argv) and reply +QUEUED. */
void multi_queue_command(struct client *c);
/* Drop the queued commands and leave MULTI state (DISCARD, client close). */
void multi_discard(struct client *c);
void multi_unwatch_all(struct client *c);
/* A key was modified: flag every client watching it. */
void multi_touch_key(struct server *srv, int db, const char *key, size_t klen);
/* Every key in db (or all dbs when db < 0) was modified. */
void multi_touch_db(struct server *srv, int db);
/* A queued command failed its pre-checks: EXEC will abort. */
void multi_flag_dirty(struct client *c);

#endif
