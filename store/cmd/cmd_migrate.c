/* cmd_migrate: MIGRATE host port key|"" db timeout [COPY] [REPLACE] [AUTH pw] [AUTH2 user pw]
 * [KEYS k ...], moving keys to another instance (a vigil-store or a redis-server) as Redis 7.0
 * does it: one pipelined batch of [AUTH] [SELECT] RESTORE key ttl payload [REPLACE] per key,
 * then one reply line per command.
 *
 * Like Redis, MIGRATE runs synchronously: the loop waits for the target (every connect, write
 * and reply line has `timeout` ms; 0 or less means 1000), so a slow target stalls the server
 * for at most a few timeouts. That keeps the command's semantics simple: when it answers, the
 * keys are on the target and (without COPY) gone from here.
 *
 * Replies: +OK, +NOKEY when no key exists, the target's first error as "ERR Target instance
 * replied with error: ...", or "IOERR error or timeout connecting to the client" / "... writing
 * to target instance" / "... reading from target instance". A connection failure that is not a
 * timeout, before any key moved, is retried once on a fresh connection (a cached one may have
 * been closed by the target meanwhile).
 *
 * Connections are cached per host:port for MIGRATE_CACHE_IDLE_MS of idleness (at most
 * MIGRATE_CACHE_MAX; when full, the least recently used goes), with the db last selected on
 * them, so a sequence of MIGRATEs to one target costs one connect and no repeated SELECT.
 *
 * Effects here (without COPY): each key the target accepted is deleted, signalled, and
 * announced as keyspace event "del"; the command propagates as DEL of those keys (nothing when
 * none moved), as Redis. */
#include "store/cmd/cmd_migrate.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/loop.h"
#include "common/net.h"
#include "common/util.h"
#include "store/client.h"
#include "store/command.h"
#include "store/db.h"
#include "store/notify.h"
#include "store/persist/rdb_value.h"
#include "store/propagate.h"
#include "store/reply.h"

#define MIGRATE_CACHE_MAX 64
#define MIGRATE_CACHE_IDLE_MS 10000
#define MIGRATE_CACHE_SWEEP_MS 1000
#define MIGRATE_DEFAULT_TIMEOUT_MS 1000
#define MIGRATE_LINE_BYTES 1024 /* a reply line kept (longer ones are cut, as Redis) */

#define ERR_MIGRATE_KEYS                                                                           \
    "ERR When using MIGRATE KEYS option, the key argument must be set to the empty string"
#define ERR_MIGRATE_CONNECT "IOERR error or timeout connecting to the client"

/* ---- the connection cache ------------------------------------------------------------------ */

struct migrate_conn {
    char *name; /* "host:port" */
    int fd;
    int last_db; /* -1: unknown, SELECT first */
    int64_t last_use_ms;
};

struct migrate_cache {
    struct migrate_conn conns[MIGRATE_CACHE_MAX];
    size_t n;
    uint64_t sweep_timer; /* 0 when not armed */
};

static void cache_drop(struct migrate_cache *mc, size_t i)
{
    close(mc->conns[i].fd);
    free(mc->conns[i].name);
    mc->conns[i] = mc->conns[--mc->n];
}

static int64_t cache_sweep(struct loop *l, uint64_t id, void *data)
{
    struct migrate_cache *mc = data;
    UNUSED(id);
    int64_t now = loop_now_ms(l);
    for (size_t i = mc->n; i-- > 0;)
        if (now - mc->conns[i].last_use_ms > MIGRATE_CACHE_IDLE_MS) cache_drop(mc, i);
    if (mc->n > 0) return MIGRATE_CACHE_SWEEP_MS;
    mc->sweep_timer = 0;
    return LOOP_TIMER_STOP;
}

void migrate_cache_free(struct server *srv)
{
    struct migrate_cache *mc = srv->migrate_cache;
    if (!mc) return;
    while (mc->n > 0) cache_drop(mc, mc->n - 1);
    if (mc->sweep_timer) loop_timer_cancel(srv->loop, mc->sweep_timer);
    free(mc);
    srv->migrate_cache = NULL;
}

static struct migrate_conn *cache_find(struct migrate_cache *mc, const char *name)
{
    for (size_t i = 0; i < mc->n; i++)
        if (strcmp(mc->conns[i].name, name) == 0) return &mc->conns[i];
    return NULL;
}

static void cache_forget(struct migrate_cache *mc, struct migrate_conn *conn)
{
    cache_drop(mc, (size_t)(conn - mc->conns));
}

/* ---- blocking I/O with a timeout ------------------------------------------------------------ */

/* Wait for `events` on fd until deadline_ms (monotonic): 0, or -1 with errno (ETIMEDOUT). */
static int mig_wait(int fd, short events, int64_t deadline_ms)
{
    for (;;) {
        int64_t left = deadline_ms - clock_mono_ms();
        if (left <= 0) {
            errno = ETIMEDOUT;
            return -1;
        }
        struct pollfd p = {.fd = fd, .events = events};
        int rc = poll(&p, 1, (int)MIN(left, 1000000));
        if (rc > 0) return 0;
        if (rc < 0 && errno != EINTR) return -1;
    }
}

/* Only a connect that does not finish in time fails here: a refused one surfaces at the first
 * write ("error or timeout writing"), as it does in Redis. */
static int mig_connect(const char *host, int port, long timeout_ms)
{
    char err[128];
    int fd = net_connect_nonblock(host, port, err, sizeof err);
    if (fd < 0) return -1;
    if (mig_wait(fd, POLLOUT, clock_mono_ms() + timeout_ms) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int mig_write_all(int fd, const char *p, size_t n, long timeout_ms)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w > 0) {
            p += w;
            n -= (size_t)w;
        } else if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
            if (mig_wait(fd, POLLOUT, clock_mono_ms() + timeout_ms) != 0) return -1;
        } else {
            return -1;
        }
    }
    return 0;
}

/* One reply line (without CRLF) into line[MIGRATE_LINE_BYTES], byte by byte so nothing of the
 * next reply is consumed. 0, or -1 (timeout, error, or the peer closed). */
static int mig_read_line(int fd, char *line, long timeout_ms)
{
    int64_t deadline = clock_mono_ms() + timeout_ms;
    size_t n = 0;
    for (;;) {
        char ch;
        ssize_t r = read(fd, &ch, 1);
        if (r == 0) {
            errno = ECONNRESET;
            return -1;
        }
        if (r < 0) {
            if ((errno != EAGAIN && errno != EINTR) || mig_wait(fd, POLLIN, deadline) != 0)
                return -1;
            continue;
        }
        if (ch == '\n') break;
        if (n < MIGRATE_LINE_BYTES - 1) line[n++] = ch;
    }
    if (n > 0 && line[n - 1] == '\r') n--;
    line[n] = '\0';
    return 0;
}

/* ---- the command ---------------------------------------------------------------------------- */

struct migrate_req {
    const char *host;
    int port;
    long db, timeout_ms;
    bool copy, replace;
    const struct resp_arg *user, *pass;
    const struct resp_arg *keys; /* the keys that exist, moved in this order */
    size_t nkeys;
};

static void mig_append_cmd(struct buf *b, size_t argc, const struct resp_arg *argv)
{
    buf_printf(b, "*%zu\r\n", argc);
    for (size_t i = 0; i < argc; i++) {
        buf_printf(b, "$%zu\r\n", argv[i].len);
        buf_append(b, argv[i].ptr, argv[i].len);
        buf_append(b, "\r\n", 2);
    }
}

/* RESTORE key ttl payload [REPLACE] for one key (it exists: the caller looked it up). */
static void mig_append_restore(struct client *c, const struct migrate_req *rq,
                               const struct resp_arg *key, struct buf *b)
{
    struct ks_entry *e = db_lookup_in(c, c->db, key->ptr, key->len, DB_LOOKUP_NOTOUCH);
    int64_t ttl = 0, exp = ks_entry_expire_ms(e);
    if (exp != KS_NO_EXPIRE) ttl = MAX(exp - server_now_ms(c->srv), 1);
    struct buf payload;
    buf_init(&payload);
    rdb_value_dump(c->srv, e, &payload);
    char num[32];
    struct resp_arg argv[5] = {{"RESTORE", 7},
                               *key,
                               {num, util_ll_to_str(num, sizeof num, ttl)},
                               {payload.data, payload.len},
                               {"REPLACE", 7}};
    mig_append_cmd(b, rq->replace ? 5 : 4, argv);
    buf_free(&payload);
}

/* The whole batch; *has_auth / *has_select say which replies come before the keys'. */
static void mig_build(struct client *c, const struct migrate_req *rq, int last_db, struct buf *b,
                      bool *has_auth, bool *has_select)
{
    *has_auth = rq->pass != NULL;
    if (rq->pass && rq->user) {
        struct resp_arg argv[3] = {{"AUTH", 4}, *rq->user, *rq->pass};
        mig_append_cmd(b, 3, argv);
    } else if (rq->pass) {
        struct resp_arg argv[2] = {{"AUTH", 4}, *rq->pass};
        mig_append_cmd(b, 2, argv);
    }
    *has_select = last_db != rq->db;
    if (*has_select) {
        char num[32];
        struct resp_arg argv[2] = {{"SELECT", 6}, {num, util_ll_to_str(num, sizeof num, rq->db)}};
        mig_append_cmd(b, 2, argv);
    }
    for (size_t i = 0; i < rq->nkeys; i++) mig_append_restore(c, rq, &rq->keys[i], b);
}

/* The cached connection to the target, or a new one (NULL after the IOERR reply). */
static struct migrate_conn *mig_conn(struct client *c, const struct migrate_req *rq)
{
    struct server *srv = c->srv;
    if (!srv->migrate_cache) srv->migrate_cache = xcalloc(1, sizeof *srv->migrate_cache);
    struct migrate_cache *mc = srv->migrate_cache;
    char *name = xasprintf("%s:%d", rq->host, rq->port);
    struct migrate_conn *conn = cache_find(mc, name);
    if (!conn) {
        int fd = mig_connect(rq->host, rq->port, rq->timeout_ms);
        if (fd < 0) {
            reply_error(c, ERR_MIGRATE_CONNECT);
            free(name);
            return NULL;
        }
        if (mc->n == MIGRATE_CACHE_MAX) { /* full: the least recently used goes */
            size_t lru = 0;
            for (size_t i = 1; i < mc->n; i++)
                if (mc->conns[i].last_use_ms < mc->conns[lru].last_use_ms) lru = i;
            cache_drop(mc, lru);
        }
        conn = &mc->conns[mc->n++];
        *conn = (struct migrate_conn){.name = name, .fd = fd, .last_db = -1};
        name = NULL;
        if (!mc->sweep_timer)
            mc->sweep_timer = loop_timer_add(srv->loop, MIGRATE_CACHE_SWEEP_MS, cache_sweep, mc);
    }
    conn->last_use_ms = loop_now_ms(srv->loop);
    free(name);
    return conn;
}

/* What one attempt came to. */
enum mig_outcome { MIG_DONE, MIG_IO_WRITE, MIG_IO_READ, MIG_NO_CONN };

struct mig_state {
    bool target_failed;    /* the target's first error was replied */
    bool keys_read;        /* a RESTORE reply was read: no retry from here on */
    struct resp_arg *dels; /* "DEL" and the keys deleted here, for propagation */
    size_t ndels;
};

static void mig_target_error(struct client *c, struct mig_state *st, const char *line)
{
    if (st->target_failed) return;
    st->target_failed = true;
    reply_errorf(c, "ERR Target instance replied with error: %s", line + 1);
}

/* The target accepted key: without COPY it goes from here. */
static void mig_key_moved(struct client *c, const struct migrate_req *rq,
                          const struct resp_arg *key, struct mig_state *st)
{
    if (rq->copy) return;
    struct ks_entry *e = db_lookup_write(c, key);
    if (e) ks_delete_entry(db_ks(c), e);
    db_key_modified(c, key);
    notify_keyspace_event(c->srv, NOTIFY_GENERIC, "del", key->ptr, key->len, c->db);
    c->srv->dirty++;
    st->dels[st->ndels++] = *key;
}

/* The replies: AUTH's and SELECT's (an error there makes the db unknown), then one per key. */
static enum mig_outcome mig_read_replies(struct client *c, const struct migrate_req *rq,
                                         struct migrate_conn *conn, bool has_auth, bool has_select,
                                         struct mig_state *st)
{
    char line[MIGRATE_LINE_BYTES];
    for (int i = 0; i < (int)has_auth + (int)has_select; i++) {
        if (mig_read_line(conn->fd, line, rq->timeout_ms) != 0) return MIG_IO_READ;
        if (line[0] == '-') {
            conn->last_db = -1;
            mig_target_error(c, st, line);
        } else if (has_select && i == (int)has_auth) {
            conn->last_db = (int)rq->db;
        }
    }
    for (size_t i = 0; i < rq->nkeys; i++) {
        if (mig_read_line(conn->fd, line, rq->timeout_ms) != 0) return MIG_IO_READ;
        st->keys_read = true;
        if (line[0] == '-')
            mig_target_error(c, st, line);
        else
            mig_key_moved(c, rq, &rq->keys[i], st);
    }
    return MIG_DONE;
}

static enum mig_outcome mig_attempt(struct client *c, const struct migrate_req *rq,
                                    struct mig_state *st)
{
    struct migrate_conn *conn = mig_conn(c, rq);
    if (!conn) return MIG_NO_CONN;
    struct buf b;
    bool has_auth, has_select;
    buf_init(&b);
    mig_build(c, rq, conn->last_db, &b, &has_auth, &has_select);
    enum mig_outcome out = mig_write_all(conn->fd, b.data, b.len, rq->timeout_ms) == 0
                               ? mig_read_replies(c, rq, conn, has_auth, has_select, st)
                               : MIG_IO_WRITE;
    buf_free(&b);
    if (out != MIG_DONE) {
        int saved = errno;
        cache_forget(c->srv->migrate_cache, conn);
        errno = saved;
    }
    return out;
}

/* Options from argv[6]; KEYS ends them. -1 after the reply. */
static int mig_parse_opts(struct client *c, struct migrate_req *rq, size_t *first, size_t *n)
{
    *first = 3;
    *n = 1;
    for (size_t j = 6; j < c->argc; j++) {
        size_t more = c->argc - j - 1;
        const struct resp_arg *a = &c->argv[j];
        if (db_opt_is(a, "copy")) {
            rq->copy = true;
        } else if (db_opt_is(a, "replace")) {
            rq->replace = true;
        } else if (db_opt_is(a, "auth") && more >= 1) {
            rq->user = NULL;
            rq->pass = &c->argv[++j];
        } else if (db_opt_is(a, "auth2") && more >= 2) {
            rq->user = &c->argv[++j];
            rq->pass = &c->argv[++j];
        } else if (db_opt_is(a, "keys")) {
            if (c->argv[3].len != 0) {
                reply_error(c, ERR_MIGRATE_KEYS);
                return -1;
            }
            *first = j + 1;
            *n = c->argc - j - 1;
            break;
        } else {
            reply_error(c, ERR_SYNTAX);
            return -1;
        }
    }
    return 0;
}

static int mig_parse(struct client *c, struct migrate_req *rq, size_t *first, size_t *n)
{
    long long timeout, db;
    if (mig_parse_opts(c, rq, first, n) != 0) return -1;
    if (arg_ll(c, &c->argv[5], &timeout) != 0 || arg_ll(c, &c->argv[4], &db) != 0) return -1;
    rq->timeout_ms = timeout <= 0 ? MIGRATE_DEFAULT_TIMEOUT_MS : (long)MIN(timeout, 86400000LL);
    rq->db = (long)db;
    /* The port is read as Redis reads it (atoi): junk makes port 0, and the connect fails. */
    char port[16];
    size_t pl = MIN(c->argv[2].len, sizeof port - 1);
    memcpy(port, c->argv[2].ptr, pl);
    port[pl] = '\0';
    rq->port = atoi(port);
    return 0;
}

static void mig_finish(struct client *c, enum mig_outcome out, struct mig_state *st)
{
    if (st->ndels > 0) propagate_as(c, st->ndels + 1, st->dels - 1);
    if (out == MIG_NO_CONN || st->target_failed) return; /* replied already */
    if (out == MIG_IO_WRITE)
        reply_error(c, "IOERR error or timeout writing to target instance");
    else if (out == MIG_IO_READ)
        reply_error(c, "IOERR error or timeout reading to target instance");
    else
        reply_ok(c);
}

static void cmd_migrate(struct client *c)
{
    struct migrate_req rq = {0};
    size_t first, n;
    if (mig_parse(c, &rq, &first, &n) != 0) return;
    /* The keys that exist, in order (a missing one is skipped). */
    struct resp_arg *keys = xmalloc((n ? n : 1) * sizeof *keys);
    for (size_t i = 0; i < n; i++)
        if (db_lookup_read(c, &c->argv[first + i])) keys[rq.nkeys++] = c->argv[first + i];
    if (rq.nkeys == 0) {
        reply_simple(c, "NOKEY");
        free(keys);
        return;
    }
    rq.keys = keys;
    rq.host = xstrndup(c->argv[1].ptr, c->argv[1].len);
    struct mig_state st = {0};
    struct resp_arg *dels = xmalloc((rq.nkeys + 1) * sizeof *dels);
    dels[0] = (struct resp_arg){"DEL", 3};
    st.dels = dels + 1;
    enum mig_outcome out = mig_attempt(c, &rq, &st);
    if ((out == MIG_IO_WRITE || out == MIG_IO_READ) && errno != ETIMEDOUT && !st.keys_read &&
        !st.target_failed)
        out = mig_attempt(c, &rq, &st); /* once, on a fresh connection */
    mig_finish(c, out, &st);
    free(dels);
    free((char *)rq.host);
    free(keys);
}

struct command cmd_table_migrate[] = {
    {.name = "migrate",
     .arity = -6,
     .flags = CMD_WRITE,
     .fn = cmd_migrate,
     .first_key = 3,
     .last_key = 3,
     .key_step = 1,
     .group = "generic"},
    {.name = NULL},
};
