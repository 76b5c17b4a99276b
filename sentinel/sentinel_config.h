/* sentinel_config: the YAML schema of `sentinel.yaml` and what the program derives from it.
 *
 * Why: the operator's file is strict (unknown keys, bad values and duplicate master names are
 * errors with file:line:column) and is never rewritten. Everything a sentinel learns lives in the
 * state file (state_file.h); this module decides, at start, how the two combine:
 *
 *   - a master in the state file wins (it holds the learned address, epochs and runtime SETs),
 *     unless the operator edited that master in the YAML since the state was written (its
 *     fingerprint changed): then the file's settings (and address) are taken, the epochs and
 *     learned tables are kept (epochs never go backwards);
 *   - a YAML master absent from the state is added, unless the state recorded the same
 *     fingerprint for it: then it was removed at run time (SENTINEL REMOVE) and stays removed;
 *   - a state master absent from the YAML stays if it was added at run time (SENTINEL MONITOR),
 *     and is dropped if it came from the YAML (the operator deleted it from the file).
 * The fingerprints of the YAML masters are written into the state file at every persist
 * (sentinel_config_meta), which is what makes those three rules decidable.
 *
 * `http:` and `webhooks:` are declared so that files carrying them load; another module
 * implements them.
 * Ownership: a struct sentinel_config owns its strings (release with sentinel_config_free).
 */
#ifndef VIGIL_SENTINEL_CONFIG_H
#define VIGIL_SENTINEL_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/config.h"
#include "common/tls.h"
#include "sentinel/core/sentinel.h"
#include "sentinel/core/state.h"
#include "sentinel/state_file.h"

#define SENTINEL_CFG_MAX_MASTERS 64
#define SENTINEL_CFG_MAX_WEBHOOKS 16
#define SENTINEL_CFG_MAX_BINDS 16

struct sentinel_master_cfg {
    char *name;
    char *host;
    long long port;
    long long quorum;
    int64_t down_after_ms;
    int64_t failover_timeout_ms;
    long long parallel_syncs;
    char *auth_pass;
    char *auth_user;
    int64_t master_reboot_down_after_period_ms;
    char *notification_script;
    char *client_reconfig_script;
    int64_t election_spread_ms;
    int promotion_order;    /* enum sentinel_promotion_order */
    char *promotion_quorum; /* "majority", "off" or a number (validated when loaded) */
    int64_t forget_after_ms;
    int64_t lease_margin_ms;
    int discovery_when_isolated; /* enum sentinel_isolated_discovery */
};

struct sentinel_http_cfg {
    char *bind;
    long long port; /* 0 = off */
    char *token;
    char *read_token;
    struct cfg_strlist allowed_origins; /* exact Origin values let through */
    struct cfg_strlist webhook_schemes; /* "http", "https"; empty = both */
    int64_t request_timeout_ms;         /* head + body deadline per request */
    /* HTTPS (http_tls.h): a certificate turns it on; a client CA lets certificates replace the
     * token on POST, limited to client_subjects when that list is not empty */
    char *tls_cert_file, *tls_key_file, *tls_key_file_pass, *tls_ca_cert_file;
    struct cfg_strlist tls_client_subjects;
};

struct sentinel_webhook_cfg {
    char *name; /* label in metrics and logs; the URL (a credential) is never shown whole */
    char *url;
    struct cfg_strlist events;
    char *secret;
    char *ca_file; /* CA that verifies an https:// receiver (default: the system's) */
    int64_t timeout_ms;
    bool pre_failover;
};

struct sentinel_config {
    long long port;
    struct cfg_strlist bind; /* addresses to listen on (RESP port) */
    char *dir;
    char *announce_ip;
    long long announce_port;
    char *requirepass;
    bool protected_mode; /* refuse non-loopback clients while requirepass is empty */
    char *sentinel_user;
    char *sentinel_pass;
    bool resolve_hostnames;
    bool announce_hostnames;
    bool deny_scripts_reconfig;
    char *logfile;
    int loglevel; /* enum log_level */
    long long maxclients;
    size_t n_masters;
    struct sentinel_master_cfg masters[SENTINEL_CFG_MAX_MASTERS];
    struct sentinel_http_cfg http;
    size_t n_webhooks;
    struct sentinel_webhook_cfg webhooks[SENTINEL_CFG_MAX_WEBHOOKS];
    /* TLS (docs/tls.md#sentinel) */
    long long tls_port; /* 0: no TLS listener */
    struct tls_settings tls;
    bool tls_replication; /* links to masters, replicas and peer sentinels speak TLS */
    int64_t tls_handshake_timeout_ms;
};

const struct cfg_schema *sentinel_config_schema(void);

/* Zero c and store the defaults. */
void sentinel_config_init(struct sentinel_config *c);
void sentinel_config_free(struct sentinel_config *c);

/* Load `path` (may be NULL: defaults only), then apply "--key value" overrides from
 * argv[0..argc), then the checks the schema cannot express (duplicate master names, hosts that
 * are not IP addresses without resolve-hostnames), each reported as "file:line:column: ...".
 * Returns 0, or -1 with errs filled. */
int sentinel_config_load(struct sentinel_config *c, const char *path, int argc, char **argv,
                         struct cfg_errors *errs);
/* Same, from a string (tests). `name` prefixes messages. */
int sentinel_config_load_string(struct sentinel_config *c, const char *name, const char *yaml,
                                size_t len, struct cfg_errors *errs);

/* The core's global options; pointers borrowed from c. */
void sentinel_config_options(const struct sentinel_config *c, struct sentinel_options *out);
/* A master's settings as the core's params (deep copy; free with sentinel_params_free). */
void sentinel_config_master_params(const struct sentinel_master_cfg *master,
                                   struct sentinel_master_params *out);
/* A canonical text of everything the YAML says about one master (owned by the caller). */
char *sentinel_config_fingerprint(const struct sentinel_master_cfg *master);
/* The fingerprints of every YAML master, to store next to the state (owned; state_file_meta_free).
 */
void sentinel_config_meta(const struct sentinel_config *c, struct state_file_meta *out);
/* The core's initial state from the YAML and the state file (`loaded` NULL when there was none),
 * by the rules at the top of this file. Decisions worth telling the operator are logged. */
void sentinel_config_initial_state(const struct sentinel_config *c,
                                   const struct sentinel_state *loaded,
                                   const struct state_file_meta *meta, struct sentinel_state *out);

#endif
