/* state_file: the sentinel's learned state on disk, `<dir>/sentinel-state.json` (cJSON).
 *
 * Why: a sentinel must never vote twice in one epoch nor move an epoch backwards across a
 * restart, and the operator's YAML is never rewritten. So everything the core's
 * `struct sentinel_state` holds is written here, durably, before the core acts on it:
 *
 *   encode -> atomic_file_write: unpredictable temp name (O_EXCL|O_NOFOLLOW) -> fsync -> close
 *          -> rename onto <path> -> fsync(dir)
 *
 * A reader therefore sees either the old complete file or the new complete file, never a torn
 * one, and the rename is durable before state_file_write returns.
 *
 * Format (version 1): {"version":1, "myid":"<40 hex>", "current_epoch":N,
 *   "masters":[{"name","host","port","config_epoch","leader","leader_epoch",
 *               "params":{"quorum","down_after_ms","failover_timeout_ms","parallel_syncs",
 *                         "master_reboot_down_after_period_ms","auth_pass","auth_user",
 *                         "notification_script","client_reconfig_script",
 *                         "renames":[{"from","to"}]},
 *               "replicas":[{"host","port"}], "sentinels":[{"host","port","runid"}]}],
 *   "config_masters":{"<name>":"<fingerprint of the YAML entry>", ...},
 *   "config_options":{"fingerprint":"<of the YAML's values>", "values":{"<key>":"<value>"}}}
 * Unknown keys are ignored (a newer writer may add some); missing optional keys take defaults;
 * a wrong type or an out-of-range value in a known key is an error. Integers must be exact in a
 * double (<= 2^53). The file holds passwords (auth_pass): it is created mode 0600.
 *
 * Loading: a missing file is "fresh start"; anything else that cannot be read or parsed is an
 * error naming the file, so a damaged state never silently restarts a sentinel at epoch 0.
 * Must not: log, exit, or touch anything but the named path, its temp file and its directory.
 */
#ifndef VIGIL_SENTINEL_STATE_FILE_H
#define VIGIL_SENTINEL_STATE_FILE_H

#include <stddef.h>

#include "sentinel/core/state.h"
#include "sentinel/runtime_config.h"

#define STATE_FILE_NAME "sentinel-state.json"
#define STATE_FILE_VERSION 1
#define STATE_FILE_MAX_BYTES (16u << 20)

/* Side information the shell keeps with the state: the fingerprint of every YAML master as of
 * the last write (see sentinel_config.h), and the global settings changed at run time
 * (runtime_config.h). Owned arrays of owned strings. */
struct state_file_meta {
    size_t n;
    char **names;
    char **fingerprints;
    struct runtime_config options;
};

void state_file_meta_free(struct state_file_meta *meta);
void state_file_meta_copy(struct state_file_meta *dst, const struct state_file_meta *src);
/* The recorded fingerprint for a master name, or NULL. */
const char *state_file_meta_get(const struct state_file_meta *meta, const char *name);

/* "<dir>/sentinel-state.json" into out; -1 if it does not fit. */
int state_file_path(const char *dir, char *out, size_t cap);

/* JSON text of the state (owned by the caller, NUL-terminated). meta may be NULL. */
char *state_file_encode(const struct sentinel_state *st, const struct state_file_meta *meta);
/* Parse JSON text. On success 0 with *st and *meta filled (owned by the caller); on failure -1
 * with a message in err (st and meta left empty). */
int state_file_decode(const char *text, size_t len, struct sentinel_state *st,
                      struct state_file_meta *meta, char *err, size_t errlen);

/* 1 loaded, 0 no such file (st and meta zeroed), -1 error ("<path>: <reason>" in err). */
int state_file_load(const char *path, struct sentinel_state *st, struct state_file_meta *meta,
                    char *err, size_t errlen);
/* Atomic, durable replacement of the file with `text`: 0, or -1 with "<path>: <reason>" in err
 * (the previous file is then untouched and the temp file removed). */
int state_file_write_text(const char *path, const char *text, size_t len, char *err, size_t errlen);
/* encode + write_text. */
int state_file_write(const char *path, const struct sentinel_state *st,
                     const struct state_file_meta *meta, char *err, size_t errlen);

/* Take an exclusive lock on "<dir>/sentinel-state.lock" so two sentinels never share a state
 * directory. Returns the lock fd (keep it open for the process's life) or -1 with err. */
int state_file_lock_dir(const char *dir, char *err, size_t errlen);

#endif
