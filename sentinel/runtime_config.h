/* runtime_config: the global settings SENTINEL CONFIG SET changes, kept across a restart
 * (docs/sentinel-protocol.md#sentinel-subcommands).
 *
 * Why: Redis Sentinel rewrites its config file, so `SENTINEL CONFIG SET sentinel-pass ...` holds
 * after a restart. Our YAML file is the operator's and is never rewritten; the state file keeps
 * these changes instead, with the same rule as the masters' settings: a change made at run time
 * wins at the next start unless the operator edited the YAML's values of these settings since,
 * in which case the file wins (the operator's latest word).
 *
 *   start:  baseline = the YAML's values (and their fingerprint)
 *           saved fingerprint == baseline's ? apply the saved values : keep the YAML's
 *   save:   the values that differ from the baseline, with the baseline's fingerprint
 *
 * The settings: resolve-hostnames, announce-hostnames, announce-ip, announce-port,
 * sentinel-user, sentinel-pass, loglevel, and the TLS context settings
 * (tls_settings_is_context_key).
 * Values are config text (cfg_get_unredacted / cfg_set); secrets are kept in clear, as the state
 * file keeps auth-pass (it is mode 0600). */
#ifndef VIGIL_SENTINEL_RUNTIME_CONFIG_H
#define VIGIL_SENTINEL_RUNTIME_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

struct sentinel_config;

#define RUNTIME_CONFIG_MAX 48

struct runtime_config {
    char *fingerprint; /* of the baseline the values were set against; NULL: nothing saved */
    size_t n;
    char *keys[RUNTIME_CONFIG_MAX];
    char *values[RUNTIME_CONFIG_MAX];
};

void runtime_config_free(struct runtime_config *rc);
void runtime_config_copy(struct runtime_config *dst, const struct runtime_config *src);
/* Adds one pair (copies); false when full. */
bool runtime_config_add(struct runtime_config *rc, const char *key, const char *value);
/* True for the settings kept here. */
bool runtime_config_is_key(const char *key);
/* Every setting's value in cfg, and their fingerprint (at start, before anything is applied). */
void runtime_config_baseline(const struct sentinel_config *cfg, struct runtime_config *out);
/* The settings whose value in cfg differs from the baseline, with the baseline's fingerprint. */
void runtime_config_capture(const struct sentinel_config *cfg,
                            const struct runtime_config *baseline, struct runtime_config *out);
/* At start: the saved values applied to cfg when they were set against this baseline. Returns
 * the number applied; 0 with *yaml_changed set when the YAML's values changed since (the saved
 * ones are dropped). A saved value cfg refuses is skipped and named in skipped (may be NULL). */
size_t runtime_config_restore(struct sentinel_config *cfg, const struct runtime_config *saved,
                              const struct runtime_config *baseline, bool *yaml_changed,
                              char *skipped, size_t skipped_len);

#endif
