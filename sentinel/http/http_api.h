/* http_api: the sentinel's HTTP side: the JSON API with server-sent events and Prometheus
 * metrics (libmicrohttpd, http_server.h), webhooks (webhook.h), the durable failover history
 * (history.h) and the operations registry behind POST .../switchover and .../failover.
 * The endpoints and every response schema are documented in docs/http-api.md.
 *
 * Wiring (main.c), after the core exists:
 *     app->http = http_api_start(app->loop, app->core, &app->cfg.http, app->cfg.webhooks,
 *                                app->cfg.n_webhooks, app->cfg.dir, err, sizeof(err));
 *     notify_io_add_listener(app->notify, http_api_on_event, app->http);
 * and before sentinel_destroy(): http_api_stop(app->http).
 *
 * Everything runs on the sentinel's loop thread: HTTP handlers read the core and call its
 * public functions between ticks; events arrive through http_api_on_event (the notify_io
 * listener), possibly from inside a core call, where this module only records and wakes.
 * The listener is started only when http.port != 0; webhooks and the history always run.
 * Security: POSTs need the bearer `token`; GETs need `read-token` (or `token`) when it is set,
 * except /healthz and /readyz. Tokens are compared in constant time. Without a token, POSTs are
 * refused unless the API is bound to a loopback address. Against browsers (CSRF): a request with
 * an Origin header not in http.allowed-origins gets 403, a POST not declared application/json
 * 415. Against slow clients: http.request-timeout and pending-connection caps (http_guard.h).
 */
#ifndef VIGIL_SENTINEL_HTTP_API_H
#define VIGIL_SENTINEL_HTTP_API_H

#include <stddef.h>

#include "common/loop.h"

struct http_api;
struct sentinel;
struct sentinel_http_cfg;
struct sentinel_webhook_cfg;

/* Returns NULL with err on failure (bad bind address, port in use, bad webhook URL).
 * state_dir: where the failover history lives (NULL = memory only). */
struct http_api *http_api_start(struct loop *l, struct sentinel *core,
                                const struct sentinel_http_cfg *cfg,
                                const struct sentinel_webhook_cfg *hooks, size_t n_hooks,
                                const char *state_dir, char *err, size_t errlen);
/* The notify_io listener (notify_io.h's notify_listener_fn); ctx is the http_api. */
void http_api_on_event(void *ctx, int level, const char *type, const char *msg);
/* Closes connections, abandons webhook deliveries, unhooks the veto from the core. */
void http_api_stop(struct http_api *a);
/* The bound port, 0 when the listener is off. */
int http_api_port(const struct http_api *a);
/* SIGHUP: HTTPS serves cfg's certificate files read again (http_server_reload_tls). 0 when it
 * did or when the API is plain HTTP or off; -1 with the reason in err (nothing changed). */
int http_api_reload_tls(struct http_api *a, const struct sentinel_http_cfg *cfg, char *err,
                        size_t errlen);

#endif
