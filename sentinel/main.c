/* main: the vigil-sentinel program. Loads sentinel.yaml (never written) and the state file,
 * creates the event loop, implements the core's env (clocks, random numbers, links, events,
 * durable state, scripts), runs the command server, and drives sentinel_tick() from one loop
 * timer armed for the time sentinel_next_tick_ms() asks for (re-armed before every sleep, so an
 * observation that wants an immediate tick gets one, and an idle core sleeps as long as it says).
 *
 * Exit statuses: 0 after SIGTERM, SIGINT or SHUTDOWN; 1 for bad configuration, an unreadable
 * state file, a locked state directory or a port that cannot be bound; 99 for SENTINEL
 * SIMULATE-FAILURE (as Redis).
 */
#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "common/atomic_file.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/tls.h"
#include "sentinel/runtime_config.h"
#include "sentinel/sentinel_tls.h"
#include "common/net.h"
#include "common/loop.h"
#include "common/rng.h"
#include "common/util.h"
#include "sentinel/http/http_api.h"
#include "sentinel/link.h"
#include "sentinel/notify_io.h"
#include "sentinel/core/sentinel.h"
#include "sentinel/sentinel_config.h"
#include "sentinel/cmd_server.h"
#include "sentinel/state_file.h"
#include "sentinel/http/webhook.h"

#define LINK_CONNECT_TIMEOUT_MS 1500
/* Descriptors kept beyond maxclients for links, scripts and webhooks when the open files limit
 * is tight (Redis Sentinel keeps the same 32); the HTTP server sheds its own excess. */
#define RESERVED_FDS 32
#define EXTRA_FDS 4096 /* links, scripts' pipes, listener, signalfd beyond maxclients */

struct app {
    struct loop *loop;
    struct sentinel_config cfg;
    const char *config_path;
    struct link_mgr *links;
    struct notify_io *notify;
    struct cmd_server *srv;
    struct sentinel *core;
    struct http_api *http; /* HTTP API, webhooks, failover history (http_api.h) */
    struct rng rng;
    char state_path[4096];
    struct state_file_meta meta;
    char *last_state; /* the text last made durable: an identical persist is a no-op */
    uint64_t tick_timer;
    int64_t tick_at_ms;
    int64_t last_tick_ms;
    int sigfd;
    int lock_fd;
    struct sentinel_tls *tls;       /* its context when tls-port or tls-replication ask for it */
    struct runtime_config baseline; /* the YAML's global settings (runtime_config.h) */
};

/* ---- env ------------------------------------------------------------------------------------ */

static int64_t env_mono_ms(void *ctx)
{
    struct app *app = ctx;
    int64_t now = loop_now_ms(app->loop);
    return now > 0 ? now : 1;
}

static int64_t env_wall_ms(void *ctx)
{
    UNUSED(ctx);
    return clock_wall_ms();
}

static uint64_t env_random(void *ctx) { return rng_next(&((struct app *)ctx)->rng); }

static int env_connect(void *ctx, uint64_t id, enum sentinel_link_kind kind, const char *host,
                       int port)
{
    return link_connect(((struct app *)ctx)->links, id, kind, host, port);
}

static void env_disconnect(void *ctx, uint64_t id, enum sentinel_link_kind kind)
{
    link_disconnect(((struct app *)ctx)->links, id, kind);
}

static int env_send(void *ctx, uint64_t id, enum sentinel_link_kind kind, int argc,
                    const char *const *argv, uint32_t tag)
{
    return link_send(((struct app *)ctx)->links, id, kind, argc, argv, tag);
}

static void env_event(void *ctx, int level, const char *type, const char *msg)
{
    notify_io_event(((struct app *)ctx)->notify, level, type, msg);
}

static void env_log(void *ctx, int level, const char *msg)
{
    UNUSED(ctx);
    log_msg((enum log_level)level, "%s", msg);
}

static int env_persist(void *ctx, const struct sentinel_state *st)
{
    struct app *app = ctx;
    runtime_config_free(&app->meta.options);
    runtime_config_capture(&app->cfg, &app->baseline, &app->meta.options);
    char *text = state_file_encode(st, &app->meta);
    if (app->last_state && strcmp(text, app->last_state) == 0) {
        free(text);
        return 0;
    }
    char err[4400];
    if (state_file_write_text(app->state_path, text, strlen(text), err, sizeof(err)) != 0) {
        if (app->core)
            sentinel_note_persist_error(app->core, err); /* the core logs, limited */
        else
            log_warning("cannot save the state: %s", err);
        free(text);
        return -1;
    }
    free(app->last_state);
    app->last_state = text;
    return 0;
}

static void env_run_script(void *ctx, const char *path, int argc, const char *const *argv)
{
    notify_io_run_script(((struct app *)ctx)->notify, path, argc, argv);
}

static bool env_script_is_executable(void *ctx, const char *path)
{
    (void)ctx;
    return notify_io_script_is_executable(path);
}

/* Blocking, as Redis's: only for a host name, when an instance is added or moves. The first
 * address getaddrinfo prefers, the one a connection to the name would use. */
static int env_resolve_host(void *ctx, const char *host, char *ip, size_t cap)
{
    (void)ctx;
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res = NULL;
    if (getaddrinfo(host, NULL, &hints, &res) != 0 || res == NULL) return -1;
    int rc =
        getnameinfo(res->ai_addr, res->ai_addrlen, ip, (socklen_t)cap, NULL, 0, NI_NUMERICHOST);
    freeaddrinfo(res);
    return rc == 0 ? 0 : -1;
}

static void env_crash(void *ctx)
{
    struct app *app = ctx;
    log_warning("SIMULATE-FAILURE: exiting with status 99");
    cmd_server_flush(app->srv); /* replies already given (e.g. SENTINEL FAILOVER's +OK) go out */
    exit(99);
}

/* ---- tick driving --------------------------------------------------------------------------- */

static int64_t on_tick(struct loop *l, uint64_t id, void *data)
{
    UNUSED(id);
    struct app *app = data;
    app->tick_timer = 0;
    app->last_tick_ms = loop_now_ms(l);
    sentinel_tick(app->core, app->last_tick_ms);
    log_rate_flush();       /* counts of rate-limited lines whose loop has stopped */
    return LOOP_TIMER_STOP; /* re-armed in before_sleep from sentinel_next_tick_ms() */
}

static void arm_tick(struct app *app)
{
    int64_t now = loop_now_ms(app->loop);
    int64_t at = sentinel_next_tick_ms(app->core);
    /* Never twice in the same millisecond: a core that keeps asking cannot spin the loop. */
    if (at <= app->last_tick_ms) at = app->last_tick_ms + 1;
    if (app->tick_timer && at == app->tick_at_ms) return;
    if (app->tick_timer) loop_timer_cancel(app->loop, app->tick_timer);
    app->tick_at_ms = at;
    app->tick_timer = loop_timer_add(app->loop, at > now ? at - now : 0, on_tick, app);
}

static void before_sleep(struct loop *l, void *data)
{
    UNUSED(l);
    struct app *app = data;
    arm_tick(app);
    link_mgr_flush(app->links);
    cmd_server_flush(app->srv);
}

/* SIGHUP also reads the certificate files again (rotation tools replace them in place and
 * signal): each context is kept as it was if its new files do not work. */
static void reload_protocol_tls(struct app *app)
{
    char err[512];
    if (sentinel_tls_reload(app->tls, err, sizeof(err)) != 0)
        log_warning("SIGHUP: the TLS certificates could not be reloaded (%s); keeping the "
                    "previous ones",
                    err);
    else
        log_notice("SIGHUP: TLS certificates reloaded; new connections and links use them");
}

static void reload_https(struct app *app)
{
    char err[512];
    if (http_api_reload_tls(app->http, &app->cfg.http, err, sizeof(err)) != 0)
        log_warning("SIGHUP: the HTTPS certificates could not be reloaded (%s); keeping the "
                    "previous ones",
                    err);
    else
        log_notice("SIGHUP: HTTPS certificates reloaded");
}

static void reload_certificates(struct app *app)
{
    if (sentinel_tls_ctx(app->tls)) reload_protocol_tls(app);
    if (app->cfg.http.tls_cert_file && app->cfg.http.tls_cert_file[0]) reload_https(app);
}

static void on_signal(struct loop *l, int fd, void *data, int mask)
{
    UNUSED(mask);
    struct app *app = data;
    struct signalfd_siginfo si;
    if (read(fd, &si, sizeof(si)) != (ssize_t)sizeof(si)) return;
    if (si.ssi_signo == SIGHUP) { /* not a stop (as Redis): reopen the log, for logrotate */
        if (log_reopen() != 0)
            log_warning("SIGHUP: cannot reopen the log file: %s", strerror(errno));
        else
            log_notice("received SIGHUP, log file reopened");
        reload_certificates(app);
        return;
    }
    log_warning("received %s, exiting", si.ssi_signo == SIGINT ? "SIGINT" : "SIGTERM");
    loop_stop(l);
}

/* ---- start-up ------------------------------------------------------------------------------- */

static void usage(FILE *f)
{
    fprintf(f, "usage: vigil-sentinel [sentinel.yaml] [--port N] [--dir D] [--<key> <value> ...]\n"
               "       vigil-sentinel --check-config sentinel.yaml [--<key> <value> ...]\n"
               "       vigil-sentinel --help | --version\n\n"
               "A Redis Sentinel compatible supervisor. The YAML file is never rewritten; what\n"
               "the sentinel learns is kept in <dir>/" STATE_FILE_NAME ".\n"
               "Any top-level key of the file can be given as --key value (dotted paths for\n"
               "nested keys, e.g. --http.port 26380).\n");
}

/* 0, or -1 with the messages (file:line:column: ...) on stderr. */
static int parse_config(struct app *app, int argc, char **argv)
{
    int first = 1;
    if (argc > 1 && strncmp(argv[1], "--", 2) != 0) {
        app->config_path = argv[1];
        first = 2;
    }
    struct cfg_errors errs;
    cfg_errors_init(&errs);
    sentinel_config_init(&app->cfg);
    if (sentinel_config_load(&app->cfg, app->config_path, argc - first, argv + first, &errs) != 0) {
        cfg_errors_print(&errs, stderr);
        return -1;
    }
    char err[512];
    if (webhook_check_urls(app->cfg.webhooks, app->cfg.n_webhooks, &app->cfg.http.webhook_schemes,
                           err, sizeof(err)) != 0) {
        fprintf(stderr, "%s: %s\n", app->config_path ? app->config_path : "command line", err);
        return -1;
    }
    return 0;
}

/* --check-config FILE [--key value ...]: the checks a start makes, nothing started. */
static int check_config(int argc, char **argv)
{
    if (argc < 3 || strncmp(argv[2], "--", 2) == 0) {
        usage(stderr);
        return 1;
    }
    static struct app app;
    if (parse_config(&app, argc - 1, argv + 1) != 0) return 1;
    printf("%s: configuration OK\n", app.config_path);
    sentinel_config_free(&app.cfg);
    return 0;
}

static void load_config(struct app *app, int argc, char **argv)
{
    if (parse_config(app, argc, argv) != 0) exit(1);
    if (app->cfg.logfile && app->cfg.logfile[0] && log_open(app->cfg.logfile) != 0) {
        fprintf(stderr, "%s: cannot open the log file\n", app->cfg.logfile);
        exit(1);
    }
    log_set_level((enum log_level)app->cfg.loglevel);
}

/* What SENTINEL CONFIG SET changed before the last stop applies again, unless the YAML file's
 * values of those settings changed since (then the file wins, as for a master's settings). */
static void restore_runtime_config(struct app *app, const struct runtime_config *saved)
{
    runtime_config_baseline(&app->cfg, &app->baseline);
    if (saved == NULL) return;
    bool yaml_changed;
    char skipped[512];
    size_t n = runtime_config_restore(&app->cfg, saved, &app->baseline, &yaml_changed, skipped,
                                      sizeof(skipped));
    if (yaml_changed)
        log_notice("the config file's global settings changed since SENTINEL CONFIG SET changed "
                   "%zu of them; using the file's",
                   saved->n);
    else if (n)
        log_notice("%zu global settings as SENTINEL CONFIG SET left them (from the state file)", n);
    if (skipped[0]) log_warning("state file: settings not applied: %s", skipped);
    log_set_level((enum log_level)app->cfg.loglevel);
}

static void load_state(struct app *app, struct sentinel_state *initial)
{
    char err[4400];
    if (atomic_file_check_dir(app->cfg.dir, err, sizeof(err)) != 0) {
        fprintf(stderr, "dir: %s\n", err);
        exit(1);
    }
    app->lock_fd = state_file_lock_dir(app->cfg.dir, err, sizeof(err));
    if (app->lock_fd < 0 ||
        state_file_path(app->cfg.dir, app->state_path, sizeof(app->state_path)) != 0) {
        fprintf(stderr, "%s\n", app->lock_fd < 0 ? err : "dir: path too long");
        exit(1);
    }
    struct sentinel_state loaded;
    struct state_file_meta old_meta;
    int rc = state_file_load(app->state_path, &loaded, &old_meta, err, sizeof(err));
    if (rc < 0) {
        fprintf(stderr,
                "%s\n(refusing to start: a sentinel that forgot its epoch and votes could "
                "vote twice; fix or remove the file)\n",
                err);
        exit(1);
    }
    restore_runtime_config(app, rc == 1 ? &old_meta.options : NULL);
    sentinel_config_initial_state(&app->cfg, rc == 1 ? &loaded : NULL, &old_meta, initial);
    if (rc == 1)
        log_notice("state loaded from %s: epoch %llu, %zu masters", app->state_path,
                   (unsigned long long)loaded.current_epoch, loaded.n_masters);
    sentinel_state_free(&loaded);
    state_file_meta_free(&old_meta);
    sentinel_config_meta(&app->cfg, &app->meta);
    runtime_config_capture(&app->cfg, &app->baseline, &app->meta.options);
}

static void seed_rng(struct rng *r)
{
    uint64_t seed;
    if (getrandom(&seed, sizeof(seed), 0) != (ssize_t)sizeof(seed))
        seed = (uint64_t)clock_mono_us() ^ ((uint64_t)getpid() << 32);
    rng_seed(r, seed);
}

/* A bad certificate or key stops the start, as Redis. */
static void setup_tls(struct app *app)
{
    char err[512];
    app->tls = sentinel_tls_create(&app->cfg, err, sizeof(err));
    if (app->tls == NULL) {
        fprintf(stderr, "Failed to configure TLS: %s\n", err);
        exit(1);
    }
}

static void start_server(struct app *app, const char *argv0)
{
    char err[512], exe[4096], users_path[4200];
    snprintf(users_path, sizeof(users_path), "%s/sentinel-users.acl", app->cfg.dir);
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    exe[n > 0 ? n : 0] = '\0';
    struct cmd_server_config sc = {
        .binds = app->cfg.bind.items,
        .n_binds = app->cfg.bind.count,
        .port = (int)app->cfg.port,
        .requirepass = app->cfg.requirepass,
        .users_path = users_path,
        .protected_mode = app->cfg.protected_mode,
        .maxclients = (int)app->cfg.maxclients,
        .config_file = app->config_path ? app->config_path : "",
        .executable = exe[0] ? exe : argv0,
        .tls = app->tls,
        .cfg = &app->cfg,
        .tls_port = (int)app->cfg.tls_port,
        .tls_handshake_timeout_ms = app->cfg.tls_handshake_timeout_ms,
    };
    app->srv = cmd_server_create(app->loop, &sc, err, sizeof(err));
    if (app->srv == NULL) {
        fprintf(stderr, "cannot start the server on %s\n", err);
        exit(1);
    }
}

static void setup_signals(struct app *app)
{
    signal(SIGPIPE, SIG_IGN);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigprocmask(SIG_BLOCK, &set, NULL);
    app->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (app->sigfd < 0 || loop_watch(app->loop, app->sigfd, LOOP_READABLE, on_signal, app) != 0) {
        fprintf(stderr, "cannot set up signal handling: %s\n", strerror(errno));
        exit(1);
    }
}

static void create_core(struct app *app, const struct sentinel_state *initial)
{
    struct sentinel_env env = {
        .ctx = app,
        .mono_ms = env_mono_ms,
        .wall_ms = env_wall_ms,
        .random_u64 = env_random,
        .connect = env_connect,
        .disconnect = env_disconnect,
        .send = env_send,
        .event = env_event,
        .log = env_log,
        .persist = env_persist,
        .run_script = env_run_script,
        .script_is_executable = env_script_is_executable,
        .resolve_host = env_resolve_host,
        .crash = env_crash,
    };
    struct sentinel_options opt;
    sentinel_config_options(&app->cfg, &opt);
    /* Advertise the port actually bound: the TLS one when our links speak TLS (as Redis
     * Sentinel: peers reach us the way we reach them). */
    opt.port = cmd_server_port(app->srv);
    if (app->cfg.tls_replication && cmd_server_tls_port(app->srv))
        opt.port = cmd_server_tls_port(app->srv);
    app->core = sentinel_create(&env, &opt, initial);
    link_mgr_set_core(app->links, app->core);
    notify_io_set_core(app->notify, app->core);
    notify_io_set_server(app->notify, app->srv);
    cmd_server_set_core(app->srv, app->core, app->notify);
}

/* ---- HTTP API, webhooks and failover history (http_api.h) ---------------------------------- */

static void start_http(struct app *app)
{
    char err[512];
    app->http = http_api_start(app->loop, app->core, &app->cfg.http, app->cfg.webhooks,
                               app->cfg.n_webhooks, app->cfg.dir, err, sizeof(err));
    if (app->http == NULL) {
        fprintf(stderr, "http: %s\n", err);
        exit(1);
    }
    notify_io_add_listener(app->notify, http_api_on_event, app->http);
}

int main(int argc, char **argv)
{
    log_set_role('X');
    if (argc > 1 && strcmp(argv[1], "--check-config") == 0) return check_config(argc, argv);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        }
        if (strcmp(argv[i], "--config-reference") == 0) {
            /* The README's configuration table is generated from (and checked against) this. */
            struct buf ref;
            buf_init(&ref);
            cfg_write_reference(sentinel_config_schema(), &ref);
            fwrite(ref.data, 1, ref.len, stdout);
            buf_free(&ref);
            return 0;
        }
        if (strcmp(argv[i], "--version") == 0 || strcmp(argv[i], "-v") == 0) {
            printf("vigil-sentinel %s (Redis Sentinel protocol compatible with %s)\n",
                   VIGIL_VERSION, VIGIL_REDIS_COMPAT_VERSION);
            return 0;
        }
    }
    static struct app app; /* large (config arrays): static storage, one instance */
    load_config(&app, argc, argv);
    struct sentinel_state initial;
    load_state(&app, &initial);
    seed_rng(&app.rng);
    char fd_err[200];
    if (net_fit_maxclients(&app.cfg.maxclients, RESERVED_FDS, fd_err, sizeof(fd_err)) != 0) {
        fprintf(stderr, "%s\n", fd_err);
        return 1;
    }
    app.loop = loop_create((int)app.cfg.maxclients + EXTRA_FDS);
    setup_signals(&app);
    setup_tls(&app);
    app.links = link_mgr_create(app.loop, LINK_CONNECT_TIMEOUT_MS);
    sentinel_tls_set_links(app.tls, app.links);
    app.notify = notify_io_create(app.loop);
    start_server(&app, argv[0]);
    create_core(&app, &initial);
    sentinel_state_free(&initial);
    start_http(&app);
    log_notice("vigil-sentinel %s started, pid=%d, port=%d, tls-port=%d, myid=%s, state %s",
               VIGIL_VERSION, (int)getpid(), cmd_server_port(app.srv), cmd_server_tls_port(app.srv),
               sentinel_myid(app.core), app.state_path);
    loop_set_before_sleep(app.loop, before_sleep, &app);
    loop_run(app.loop);
    log_notice("vigil-sentinel exiting%s",
               cmd_server_shutdown_requested(app.srv) ? " (SHUTDOWN)" : "");
    http_api_stop(app.http);
    cmd_server_destroy(app.srv);
    link_mgr_destroy(app.links);
    notify_io_destroy(app.notify);
    sentinel_destroy(app.core);
    loop_destroy(app.loop);
    sentinel_tls_destroy(app.tls);
    close(app.sigfd);
    close(app.lock_fd);
    free(app.last_state);
    state_file_meta_free(&app.meta);
    runtime_config_free(&app.baseline);
    sentinel_config_free(&app.cfg);
    return 0;
}
