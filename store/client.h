/* client: one connection. Owns its query buffer, parser, reply buffer and transaction queue.
 * Reading parses and executes every complete command in the buffer (pipelining); replies are
 * written in the before-sleep hook, and only what the socket does not take waits for
 * writability. A client is never freed inside its own callback: client_close_async() marks it and
 * the loop frees it after the current iteration. */
#ifndef VIGIL_CLIENT_H
#define VIGIL_CLIENT_H

#include "store/server.h"

/* Create a client for an accepted socket (fd >= 0) or a fake one (fd -1). Owned by srv. */
struct client *client_create(struct server *srv, int fd);
/* Close now (must not be the client currently executing a command). */
void client_free(struct client *c);
/* Protected mode, for a connection just accepted from ip: true if it must be refused, after
 * writing Redis's -DENIED error to fd (the caller closes fd and counts the rejection). */
bool client_protected_mode_refuses(struct server *srv, int fd, const char *ip);
/* Close after the current iteration; safe anywhere, including from the client's own command. */
void client_close_async(struct client *c);
/* Queue the client's reply buffer for the before-sleep flush. */
void client_queue_write(struct client *c);
/* Write every queued reply (before-sleep). */
void client_flush_pending(struct server *srv);
/* Parse and run what is in the query buffer. */
void client_process_input(struct client *c);
/* True while the client must still AUTH (a password is set and it has not given it). */
bool client_auth_required(const struct client *c);
/* Enforce the output-buffer limits of the client's class; closes it (async) when exceeded.
 * Returns true if the client was scheduled for closing. */
bool client_check_obuf(struct client *c);
/* CLIENT LIST / CLIENT INFO line for one client (no trailing newline). */
void client_format_info(const struct client *c, struct buf *out);
/* "normal", "replica", "master" or "pubsub" (CLIENT KILL TYPE, CLIENT LIST). */
const char *client_type_name(const struct client *c);
/* Release the current command's argv when it does not point into the query buffer. */
void client_reset_argv(struct client *c);
/* Cron: idle timeout and soft output limits; returns true if c was closed. */
bool client_cron(struct client *c, int64_t now_mono_ms);

#endif
