/* script_busy: what happens while a script runs past busy-reply-threshold
 * (docs/scripting.md#long-scripts): the server keeps serving the other clients' sockets from
 * the script's hook, answering -BUSY to all but SCRIPT KILL and SHUTDOWN NOSAVE; the calling
 * client's socket is not read until the script ends. */
#ifndef VIGIL_SCRIPT_BUSY_H
#define VIGIL_SCRIPT_BUSY_H

#include <stdbool.h>

struct script_engine;
struct client;
struct command;

/* From the hook: check the time, and once busy serve the other clients. */
void script_busy_tick(struct script_engine *e);
/* The script ended: the caller is read again. */
void script_busy_end(struct script_engine *e);
/* The gate's check: true (after replying -BUSY) if c's command must wait for the script. */
bool script_busy_refuses(struct client *c, const struct command *cmd);

#endif
