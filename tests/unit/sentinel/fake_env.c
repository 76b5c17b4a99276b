/* fake_env: see fake_env.h. */
#include "fake_env.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sentinel/core/instance.h"
#include "sentinel/core/core_int.h"

static int64_t f_mono(void *ctx) { return ((struct fake_env *)ctx)->now; }
static int64_t f_wall(void *ctx)
{
    const struct fake_env *f = ctx;
    return f->now + 1700000000000LL + f->wall_offset_ms;
}
static uint64_t f_rand(void *ctx) { return ((struct fake_env *)ctx)->random_value; }

static int f_connect(void *ctx, uint64_t id, enum sentinel_link_kind kind, const char *host,
                     int port)
{
    (void)id, (void)kind, (void)host, (void)port;
    ((struct fake_env *)ctx)->connects++;
    return 0;
}

static void f_disconnect(void *ctx, uint64_t id, enum sentinel_link_kind kind)
{
    (void)ctx, (void)id, (void)kind;
}

static int f_send(void *ctx, uint64_t id, enum sentinel_link_kind kind, int argc,
                  const char *const *argv, uint32_t tag)
{
    struct fake_env *f = ctx;
    if (f->send_fails) return -1;
    if (f->n_cmds >= FAKE_MAX_CMDS) return 0;
    struct fake_cmd *c = &f->cmds[f->n_cmds++];
    c->id = id;
    c->kind = kind;
    c->argc = argc;
    c->tag = tag;
    for (int i = 0; i < argc && i < 8; i++) snprintf(c->argv[i], sizeof(c->argv[i]), "%s", argv[i]);
    return 0;
}

static void f_event(void *ctx, int level, const char *type, const char *msg)
{
    struct fake_env *f = ctx;
    if (!sentinel_event_known(type)) { /* keeps notify.c's table (webhook filters) complete */
        fprintf(stderr, "fake_env: event type %s is missing from notify.c's table\n", type);
        abort();
    }
    if (f->n_events >= FAKE_MAX_EVENTS) return;
    struct fake_event *e = &f->events[f->n_events++];
    e->level = level;
    snprintf(e->type, sizeof(e->type), "%s", type);
    snprintf(e->msg, sizeof(e->msg), "%s", msg);
}

static void f_log(void *ctx, int level, const char *msg)
{
    struct fake_env *f = ctx;
    if (f->n_logs >= FAKE_MAX_LOGS) return;
    f->logs[f->n_logs].level = level;
    snprintf(f->logs[f->n_logs++].msg, sizeof(f->logs[0].msg), "%s", msg);
}

static int f_persist(void *ctx, const struct sentinel_state *st)
{
    struct fake_env *f = ctx;
    f->persist_calls++;
    if (f->persist_fail) return -1;
    if (f->has_state) sentinel_state_free(&f->last_state);
    sentinel_state_copy(&f->last_state, st);
    f->has_state = true;
    f->events_at_persist = f->n_events;
    return 0;
}

static void f_crash(void *ctx) { ((struct fake_env *)ctx)->crashed = true; }

void fake_env_init(struct fake_env *f)
{
    memset(f, 0, sizeof(*f));
    f->now = 1000000;
    f->env = (struct sentinel_env){.ctx = f,
                                   .mono_ms = f_mono,
                                   .wall_ms = f_wall,
                                   .random_u64 = f_rand,
                                   .connect = f_connect,
                                   .disconnect = f_disconnect,
                                   .send = f_send,
                                   .event = f_event,
                                   .log = f_log,
                                   .persist = f_persist,
                                   .run_script = NULL,
                                   .crash = f_crash};
}

void fake_env_free(struct fake_env *f)
{
    if (f->has_state) sentinel_state_free(&f->last_state);
    f->has_state = false;
}

int fake_find_event(const struct fake_env *f, size_t from, const char *type, const char *substr)
{
    for (size_t i = from; i < f->n_events; i++)
        if (strcmp(f->events[i].type, type) == 0 &&
            (substr == NULL || strstr(f->events[i].msg, substr)))
            return (int)i;
    return -1;
}

size_t fake_count_events(const struct fake_env *f, const char *type)
{
    size_t n = 0;
    for (size_t i = 0; i < f->n_events; i++) n += strcmp(f->events[i].type, type) == 0;
    return n;
}

size_t fake_count_logs(const struct fake_env *f, const char *substr)
{
    size_t n = 0;
    for (size_t i = 0; i < f->n_logs; i++) n += strstr(f->logs[i].msg, substr) != NULL;
    return n;
}

size_t fake_count_cmd(const struct fake_env *f, uint64_t id, const char *name)
{
    size_t n = 0;
    for (size_t i = 0; i < f->n_cmds; i++)
        n += f->cmds[i].id == id && strcasecmp(f->cmds[i].argv[0], name) == 0;
    return n;
}

const struct fake_cmd *fake_last_cmd(const struct fake_env *f, uint64_t id, const char *name)
{
    for (size_t i = f->n_cmds; i-- > 0;)
        if (f->cmds[i].id == id && strcasecmp(f->cmds[i].argv[0], name) == 0) return &f->cmds[i];
    return NULL;
}

struct sentinel *fake_world(struct fake_env *f, int n_replicas, int n_peers)
{
    struct sentinel_state st;
    memset(&st, 0, sizeof(st));
    snprintf(st.myid, sizeof(st.myid), "%s", FAKE_MYID);
    struct sentinel_state_master *sm =
        sentinel_state_add_master(&st, "mymaster", "10.0.0.1", 6379, 2);
    sm->params.down_after_ms = 1000;
    sm->params.failover_timeout_ms = 10000;
    sm->replicas = calloc(4, sizeof(*sm->replicas));
    for (int i = 0; i < n_replicas; i++) {
        char host[32];
        snprintf(host, sizeof(host), "10.0.0.%d", 2 + i);
        sm->replicas[i].host = strdup(host);
        sm->replicas[i].port = 6379;
    }
    sm->n_replicas = (size_t)n_replicas;
    sm->sentinels = calloc(4, sizeof(*sm->sentinels));
    const char *ids[] = {FAKE_PEER_A, FAKE_PEER_B, "dddddddddddddddddddddddddddddddddddddddd",
                         "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"};
    for (int i = 0; i < n_peers; i++) {
        char host[32];
        snprintf(host, sizeof(host), "10.0.0.%d", 11 + i);
        sm->sentinels[i].host = strdup(host);
        sm->sentinels[i].port = 26379;
        snprintf(sm->sentinels[i].runid, sizeof(sm->sentinels[i].runid), "%s", ids[i]);
    }
    sm->n_sentinels = (size_t)n_peers;
    struct sentinel_options opt = {.port = 26379, .deny_scripts_reconfig = true};
    struct sentinel *s = sentinel_create(&f->env, &opt, &st);
    sentinel_state_free(&st);
    return s;
}

void fake_reply_status(struct sentinel *s, uint64_t id, uint32_t tag, const char *text)
{
    struct sentinel_reply r = {.type = SENTINEL_REPLY_STATUS, .str = text, .len = strlen(text)};
    sentinel_on_reply(s, id, tag, &r);
}

void fake_reply_info(struct sentinel *s, uint64_t id, const char *text)
{
    struct sentinel_reply r = {.type = SENTINEL_REPLY_STRING, .str = text, .len = strlen(text)};
    sentinel_on_reply(s, id, TAG_INFO, &r);
}

void fake_reply_ask(struct sentinel *s, uint64_t id, int down, const char *leader, long long epoch)
{
    struct sentinel_reply e[3] = {
        {.type = SENTINEL_REPLY_INTEGER, .integer = down},
        {.type = SENTINEL_REPLY_STRING, .str = leader, .len = strlen(leader)},
        {.type = SENTINEL_REPLY_INTEGER, .integer = epoch},
    };
    struct sentinel_reply r = {.type = SENTINEL_REPLY_ARRAY, .count = 3, .elems = e};
    sentinel_on_reply(s, id, TAG_ASK, &r);
}

void fake_link_all(struct fake_env *f, struct sentinel *s)
{
    (void)f;
    const struct instance *master = sentinel_master_at(s, 0);
    sentinel_on_link_up(s, master->id, SENTINEL_LINK_CMD, "10.0.0.100");
    sentinel_on_link_up(s, master->id, SENTINEL_LINK_PUBSUB, "10.0.0.100");
    for (size_t i = 0; i < master->record->n_replicas; i++) {
        sentinel_on_link_up(s, master->record->replicas[i]->id, SENTINEL_LINK_CMD, "10.0.0.100");
        sentinel_on_link_up(s, master->record->replicas[i]->id, SENTINEL_LINK_PUBSUB, "10.0.0.100");
    }
    for (size_t i = 0; i < master->record->n_sentinels; i++)
        sentinel_on_link_up(s, master->record->sentinels[i]->id, SENTINEL_LINK_CMD, "10.0.0.100");
}

static void runid_of(char *out, const char *c)
{
    for (int i = 0; i < 40; i++) out[i] = c[0];
    out[40] = '\0';
}

void fake_replica_info(char *buf, size_t cap, const char *runid_char, const char *mhost, int mport,
                       bool link_up, long long offset, int priority)
{
    char id[41];
    runid_of(id, runid_char);
    snprintf(buf, cap,
             "# Server\r\nrun_id:%s\r\n# Replication\r\nrole:slave\r\nmaster_host:%s\r\n"
             "master_port:%d\r\nmaster_link_status:%s\r\nslave_repl_offset:%lld\r\n"
             "slave_priority:%d\r\nreplica_announced:1\r\n",
             id, mhost, mport, link_up ? "up" : "down", offset, priority);
}

void fake_master_info(char *buf, size_t cap, const char *runid_char, int n_replicas)
{
    char id[41];
    runid_of(id, runid_char);
    int n =
        snprintf(buf, cap,
                 "# Server\r\nrun_id:%s\r\n# Replication\r\nrole:master\r\nconnected_slaves:%d\r\n",
                 id, n_replicas);
    for (int i = 0; i < n_replicas && n > 0 && (size_t)n < cap; i++)
        n += snprintf(buf + n, cap - (size_t)n,
                      "slave%d:ip=10.0.0.%d,port=6379,state=online,offset=10,lag=0\r\n", i, 2 + i);
}

/* ---- driving the standard world ---------------------------------------------------------- */

struct sentinel *fake_ready_world(struct fake_env *f, int replicas, int peers)
{
    struct sentinel *s = fake_world(f, replicas, peers);
    const struct instance *master = sentinel_master_at(s, 0);
    sentinel_tick(s, f->now);
    fake_link_all(f, s);
    char buf[2048];
    fake_master_info(buf, sizeof(buf), "9", replicas);
    fake_reply_info(s, master->id, buf);
    for (int i = 0; i < replicas; i++) {
        const char *id = i == 0 ? "1" : i == 1 ? "2" : "3";
        fake_replica_info(buf, sizeof(buf), id, "10.0.0.1", 6379, true, 100 * (i + 1), 100);
        fake_reply_info(s, master->record->replicas[i]->id, buf);
    }
    fake_run_for(f, s, 200, FAKE_ALL_ALIVE);
    return s;
}

void fake_answer_pings(struct fake_env *f, struct sentinel *s, unsigned alive)
{
    const struct instance *master = sentinel_master_at(s, 0);
    for (; f->ping_cursor < f->n_cmds; f->ping_cursor++) {
        const struct fake_cmd *c = &f->cmds[f->ping_cursor];
        if (c->tag != TAG_PING) continue;
        unsigned bit = 0;
        if (c->id == master->id) bit = 1u;
        for (size_t i = 0; i < master->record->n_replicas; i++)
            if (c->id == master->record->replicas[i]->id) bit = 1u << (1 + i);
        for (size_t i = 0; i < master->record->n_sentinels; i++)
            if (c->id == master->record->sentinels[i]->id) bit = 1u << (8 + i);
        if (alive & bit) fake_reply_status(s, c->id, TAG_PING, "PONG");
    }
}

void fake_run_for(struct fake_env *f, struct sentinel *s, int64_t ms, unsigned alive)
{
    int64_t end = f->now + ms;
    while (f->now < end) {
        f->now += 10;
        fake_answer_pings(f, s, alive);
        sentinel_tick(s, f->now);
        fake_answer_pings(f, s, alive);
        while (sentinel_next_tick_ms(s) <= f->now) sentinel_tick(s, f->now);
    }
}

int fake_run_until_event(struct fake_env *f, struct sentinel *s, const char *type, int64_t ms,
                         unsigned alive)
{
    int64_t end = f->now + ms;
    while (f->now < end) {
        int i = fake_find_event(f, 0, type, NULL);
        if (i >= 0) return i;
        fake_run_for(f, s, 10, alive);
    }
    return fake_find_event(f, 0, type, NULL);
}
