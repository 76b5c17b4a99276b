/* vigil-store entry point: parse the config file and `--name value` overrides (plus the
 * overrides file CONFIG REWRITE leaves in `dir`), set up signals, run the server. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/atomic_file.h"
#include "common/config.h"
#include "common/log.h"
#include "common/util.h"
#include "store/acl.h"
#include "store/command.h"
#include "store/persist/persist_shutdown.h"
#include "store/server.h"
#include "store/server_tls.h"

static volatile sig_atomic_t got_signal;
static volatile sig_atomic_t got_sighup;

static void on_signal(int sig) { got_signal = sig; }
/* SIGHUP does not stop the server (as Redis): it reopens the log file, for logrotate, and reads
 * the TLS certificate files again, for certificate rotation (docs/tls.md#certificate-reload). */
static void on_sighup(int sig)
{
    UNUSED(sig);
    got_sighup = 1;
}

static void on_sighup_received(struct server *srv)
{
    got_sighup = 0;
    if (log_reopen() != 0)
        log_warning("SIGHUP: cannot reopen the log file: %s", strerror(errno));
    else
        log_notice("Received SIGHUP, log file reopened");
    char err[256];
    if (srv->tls && server_tls_reload(srv, err, sizeof err) != 0) /* it logged why */
        log_warning("SIGHUP: keeping the previous TLS certificates");
}

static void usage(FILE *f)
{
    fprintf(f, "Usage: vigil-store [config.yaml] [--name value ...]\n"
               "       vigil-store --check-config config.yaml [--name value ...]\n"
               "       vigil-store --help | --version\n\n"
               "Examples:\n"
               "  vigil-store --port 7001\n"
               "  vigil-store store.yaml --replicaof \"127.0.0.1 7000\"\n\n"
               "Every configuration key can be given as --key value (see the README).\n");
}

static int load_overrides(struct server *srv, struct cfg_errors *errs)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/vigil-store.overrides.yaml", srv->cfg.dir);
    if (access(path, F_OK) != 0) return 0;
    return cfg_load_file(&store_config_schema, &srv->cfg, path, errs);
}

static int load_config(struct server *srv, int argc, char **argv)
{
    struct cfg_errors errs;
    cfg_errors_init(&errs);
    cfg_defaults(&store_config_schema, &srv->cfg);
    int i = 1;
    if (i < argc && strncmp(argv[i], "--", 2) != 0) {
        srv->config_path = realpath(argv[i], NULL);
        if (!srv->config_path) {
            fprintf(stderr, "%s: cannot open config file: %s\n", argv[i], strerror(errno));
            return -1;
        }
        cfg_load_file(&store_config_schema, &srv->cfg, srv->config_path, &errs);
        i++;
    }
    int first_unused = i;
    cfg_apply_args(&store_config_schema, &srv->cfg, argc - i, argv + i, &first_unused, &errs);
    if (errs.count == 0 && first_unused < argc - i)
        cfg_errors_addf(&errs, "command line: unexpected argument \"%s\"", argv[i + first_unused]);
    /* Runtime overrides from CONFIG REWRITE, then the command line again so it wins. */
    if (errs.count == 0 && load_overrides(srv, &errs) == 0)
        cfg_apply_args(&store_config_schema, &srv->cfg, argc - i, argv + i, NULL, &errs);
    if (errs.count == 0) {
        char err[256];
        /* Classes the setting leaves out keep Redis's defaults. */
        store_config_parse_obuf(STORE_CONFIG_OBUF_DEFAULT, srv->cfg.obuf, err, sizeof err);
        if (store_config_apply_obuf(&srv->cfg, err, sizeof err) != 0)
            cfg_errors_addf(&errs, "client-output-buffer-limit: %s", err);
    }
    if (errs.count) {
        cfg_errors_print(&errs, stderr);
        return -1;
    }
    return 0;
}

/* --check-config FILE [--name value ...]: the checks a start makes, nothing started. */
static int check_config(int argc, char **argv)
{
    if (argc < 3 || strncmp(argv[2], "--", 2) == 0) {
        usage(stderr);
        return 1;
    }
    static struct server srv;
    if (load_config(&srv, argc - 1, argv + 1) != 0) return 1;
    char err[1024];
    command_table_init(); /* the users' rules name commands and categories */
    if (store_acl_init(&srv, err, sizeof err) != 0) {
        fprintf(stderr, "%s: %s\n", srv.config_path, err);
        store_acl_free(&srv);
        free(srv.config_path);
        return 1;
    }
    store_acl_free(&srv);
    printf("%s: configuration OK\n", srv.config_path);
    free(srv.config_path);
    return 0;
}

int main(int argc, char **argv)
{
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
            cfg_write_reference(&store_config_schema, &ref);
            fwrite(ref.data, 1, ref.len, stdout);
            buf_free(&ref);
            return 0;
        }
        if (strcmp(argv[i], "--version") == 0 || strcmp(argv[i], "-v") == 0) {
            printf("vigil-store %s (Redis protocol compatible with %s)\n", VIGIL_VERSION,
                   VIGIL_REDIS_COMPAT_VERSION);
            return 0;
        }
    }
    static struct server srv;
    if (load_config(&srv, argc, argv) != 0) return 1;
    if (srv.cfg.logfile && srv.cfg.logfile[0] && log_open(srv.cfg.logfile) != 0) {
        fprintf(stderr, "Can't open the log file: %s\n", strerror(errno));
        return 1;
    }
    char dir_err[1200];
    if (srv.cfg.dir && atomic_file_check_dir(srv.cfg.dir, dir_err, sizeof dir_err) != 0) {
        fprintf(stderr, "dir: %s\n", dir_err);
        return 1;
    }
    if (srv.cfg.dir && chdir(srv.cfg.dir) != 0) {
        fprintf(stderr, "Can't chdir to '%s': %s\n", srv.cfg.dir, strerror(errno));
        return 1;
    }
    if (readlink("/proc/self/exe", srv.executable, sizeof srv.executable - 1) < 0)
        snprintf(srv.executable, sizeof srv.executable, "%s", argv[0]);
    log_set_role(srv.cfg.replicaof && srv.cfg.replicaof[0] ? 'S' : 'M');
    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sa.sa_handler = on_sighup;
    sigaction(SIGHUP, &sa, NULL);
    char err[512];
    if (server_init(&srv, err, sizeof err) != 0) {
        log_warning("%s", err);
        return 1;
    }
    log_notice("vigil-store %s started, pid=%d, port=%d", VIGIL_VERSION, (int)getpid(), srv.port);
    log_notice("Ready to accept connections tcp");
    while (!srv.is_shutting_down) {
        loop_run_once(srv.loop, 100);
        if (got_sighup) on_sighup_received(&srv);
        if (got_signal) { /* shutdown-on-sigterm / -sigint, run by the cron */
            int sig = got_signal;
            got_signal = 0;
            persist_shutdown_on_signal(&srv, sig);
        }
    }
    int code = srv.shutdown_exit_code;
    log_warning("vigil-store is now ready to exit, bye bye...");
    server_free(&srv);
    free(srv.config_path);
    return code;
}
