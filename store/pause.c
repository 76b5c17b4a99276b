/* pause: holding clients back while the server is paused (declared in server.h).
 *
 * Three things pause a server, through this one mechanism: CLIENT PAUSE (WRITE or ALL, until a
 * deadline or CLIENT UNPAUSE), FAILOVER (writes, until it ends) and a SHUTDOWN waiting for its
 * replicas to catch up (writes). The pause in force is the strongest of them. A client whose
 * next command must wait keeps it in its query buffer and stops reading (CLIENT_PAUSED); when a
 * pause ends every held client retries from that command through every check, and those still
 * held by another pause wait again.
 *
 * What waits, as Redis 7.0: under ALL every command; under WRITE the commands that write or may
 * replicate (writes, EVAL/EVALSHA/FCALL, PUBLISH, SPUBLISH, PFCOUNT) and an EXEC whose queue
 * holds one. A command that fails its first checks (unknown, wrong arity) is answered at once.
 * Our replicas' links are never held. A replica's link to its master is, as in Redis 7.0, so a
 * paused replica's dataset stays still too: the master's stream keeps arriving (the query buffer
 * takes it, so the link does not time out) and is applied when the pause ends; until then the
 * replica's acknowledged offset stays behind, and WAIT on the master counts it so. While any
 * pause lasts the dataset stays still,
 * as Redis documents for CLIENT PAUSE: a read of an expired key finds nothing but does not
 * delete it (the keyspaces' replica mode), and neither eviction nor the active expire cycle
 * runs (Redis 7.0's own fast expire cycle still deletes some keys during a pause, by chance of
 * timing; we do not copy that). */
#include <stdint.h>
#include <string.h>

#include "common/util.h"
#include "store/client.h"
#include "store/command.h"
#include "store/persist/persist_shutdown.h"
#include "store/repl/repl.h"
#include "store/server.h"

enum server_pause_type server_pause_type(const struct server *srv)
{
    enum server_pause_type t = srv->client_pause.type;
    if (t >= PAUSE_WRITE) return t;
    /* (A server built by a unit test may lack the replication or shutdown state.) */
    if ((srv->repl && repl_writes_paused(srv)) ||
        (srv->shutdown && persist_shutdown_is_pending(srv)))
        t = PAUSE_WRITE;
    return t;
}

void server_pause_sync(struct server *srv)
{
    bool is_paused = server_pause_type(srv) != PAUSE_NONE;
    if (is_paused == srv->is_expiry_paused) return;
    srv->is_expiry_paused = is_paused;
    bool is_hiding = is_paused || server_is_replica(srv);
    for (int i = 0; i < srv->ndb; i++) ks_set_replica_mode(srv->db[i], is_hiding);
}

static bool pauses_for_writes(const struct command *cmd)
{
    return (cmd->flags & (CMD_WRITE | CMD_MAY_REPLICATE)) != 0;
}

static bool arity_ok(const struct command *cmd, size_t argc)
{
    return cmd->arity >= 0 ? argc == (size_t)cmd->arity : argc >= (size_t)-cmd->arity;
}

bool server_must_pause(struct client *c, size_t argc, const struct resp_arg *argv)
{
    struct server *srv = c->srv;
    server_pause_sync(srv);
    enum server_pause_type type = server_pause_type(srv);
    if (argc == 0 || type == PAUSE_NONE || (c->flags & CLIENT_REPLICA)) return false;
    struct command *cmd = command_lookup(argv[0].ptr, argv[0].len);
    if (!cmd || !arity_ok(cmd, argc)) return false;
    if (type == PAUSE_ALL) return true;
    if ((c->flags & CLIENT_MULTI) && strcmp(cmd->name, "exec") == 0) {
        for (size_t i = 0; i < c->mcount; i++)
            if (pauses_for_writes(c->mstate[i].cmd)) return true;
        return false;
    }
    return pauses_for_writes(cmd);
}

void server_pause_client(struct client *c)
{
    struct server *srv = c->srv;
    if (c->flags & CLIENT_PAUSED) return;
    if (srv->npaused == srv->paused_cap) {
        srv->paused_cap = srv->paused_cap ? srv->paused_cap * 2 : 16;
        srv->paused = xrealloc(srv->paused, srv->paused_cap * sizeof *srv->paused);
    }
    srv->paused[srv->npaused++] = c;
    c->flags |= CLIENT_PAUSED;
}

void server_forget_paused(struct client *c)
{
    struct server *srv = c->srv;
    for (size_t i = 0; i < srv->npaused; i++) {
        if (srv->paused[i] != c) continue;
        srv->paused[i] = srv->paused[--srv->npaused];
        break;
    }
    c->flags &= ~CLIENT_PAUSED;
}

static void resume_paused_input(struct loop *l, void *data)
{
    UNUSED(l);
    struct client *c = data;
    if (!(c->flags & CLIENT_PAUSED) && !(c->conn.flags & CONN_CLOSE_ASAP)) client_process_input(c);
}

void server_unpause_clients(struct server *srv)
{
    server_pause_sync(srv);
    /* Every held client retries its command after this iteration, through the whole gate (so
     * a node that became a replica answers READONLY, and a pause still in force holds it). */
    for (size_t i = 0; i < srv->npaused; i++) {
        struct client *c = srv->paused[i];
        c->flags &= ~CLIENT_PAUSED;
        loop_defer(srv->loop, resume_paused_input, c);
    }
    srv->npaused = 0;
}

static int64_t client_pause_expired(struct loop *l, uint64_t id, void *data)
{
    UNUSED(l);
    UNUSED(id);
    struct server *srv = data;
    srv->client_pause.timer = 0;
    server_client_unpause(srv);
    return LOOP_TIMER_STOP;
}

void server_client_pause(struct server *srv, enum server_pause_type type, int64_t end_mono_ms)
{
    struct server_client_pause *p = &srv->client_pause;
    if (p->type == PAUSE_NONE || end_mono_ms > p->end_mono_ms) p->end_mono_ms = end_mono_ms;
    if (type > p->type) p->type = type;
    if (p->timer) loop_timer_cancel(srv->loop, p->timer);
    int64_t delay_ms = p->end_mono_ms - loop_now_ms(srv->loop);
    p->timer = loop_timer_add(srv->loop, delay_ms > 0 ? delay_ms : 0, client_pause_expired, srv);
    server_pause_sync(srv);
}

void server_client_unpause(struct server *srv)
{
    struct server_client_pause *p = &srv->client_pause;
    if (p->timer) loop_timer_cancel(srv->loop, p->timer);
    *p = (struct server_client_pause){0};
    server_unpause_clients(srv);
}
