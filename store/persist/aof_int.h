/* aof_int: the append-only file's state, shared by aof.c (writing, fsync policy, INFO),
 * aof_rewrite.c (BGREWRITEAOF, automatic rewrite) and aof_fsync.c (the background fsync
 * thread). Internal to store/persist/aof*.c. */
#ifndef VIGIL_AOF_INT_H
#define VIGIL_AOF_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/atomic_file.h"
#include "common/buf.h"
#include "store/persist/aof_manifest.h"

struct server;

enum aof_state { AOF_OFF, AOF_ON, AOF_WAIT_REWRITE };

/* The background fsync thread (everysec): one request at a time, as Redis's bio job. */
struct aof_fsync {
    pthread_t thread;
    bool is_started;
    pthread_mutex_t mu;
    pthread_cond_t cond;
    int fd;          /* the file to fsync, -1 when there is no request */
    bool is_running; /* a request is being served */
    bool stop;
    int last_errno; /* 0 after a good fsync */
    bool has_result;
};

struct aof {
    enum aof_state state;
    int fd;            /* the open incremental file, -1 when none */
    struct buf buf;    /* commands executed but not yet written (Redis's aof_buf) */
    int selected_db;   /* db of the last command written to the file; -1: SELECT next */
    bool is_feeding;   /* the sink is registered */
    bool is_ready;     /* aof_start_from_config ran: CONFIG SET may change the state */
    bool has_unsynced; /* under `always`: bytes written this iteration, not fsynced yet */
    struct aof_manifest manifest;
    char dirname[512]; /* appenddirname, relative to dir (the process runs inside dir) */
    long long current_size, base_size, last_incr_size;
    int64_t last_fsync_mono_ms;
    int64_t postponed_since_ms; /* a write waiting for a running fsync (0: none) */
    unsigned long long delayed_fsync;
    /* write status */
    bool write_failed;
    int last_write_errno;
    /* rewrite */
    bool rewrite_scheduled;
    bool rewrite_running;
    bool last_rewrite_ok;
    long long rewrites, consecutive_failures;
    int64_t last_failure_mono_ms;
    int64_t last_rewrite_time_s;
    int64_t last_cow_bytes;
    struct atomic_stream stream; /* the new base being written by the child */
    struct aof_fsync fsync;
    /* WAITAOF: offsets in bytes fed to the AOF (all files of this run) and the replication
     * offset at the same points: fed -> written -> (fsync requested) -> fsynced. */
    long long fed_off, written_off, written_reploff;
    long long req_off, req_reploff;
    long long fsynced_off, fsynced_reploff;
    bool has_new_fsync;
    long long last_ts_s; /* the last #TS annotation written (aof-timestamp-enabled) */
};

/* aof.c */
struct aof *aof_of(const struct server *srv);
/* Write the buffer out now (and fsync when force_sync). 0, or -1 (status already set). */
int aof_write_buffer(struct server *srv, bool force_sync);
/* Open the incremental file the manifest names last (a new one when it names none), for
 * appending, and save the manifest when asked. 0 or -1 with a message (nothing open). */
int aof_open_last_incr(struct server *srv, bool save_manifest, char *err, size_t errlen);
/* Close the open incremental file after writing and fsyncing what it owes. */
void aof_close_incr(struct server *srv);
void aof_ensure_feeding(struct server *srv);
long long aof_file_size(const struct aof *a, const char *name);

/* aof_rewrite.c: start a rewrite now: 0 started, -1 failed (logged, err set). */
int aof_rewrite_start(struct server *srv, char *err, size_t errlen);
/* Cron: scheduled and automatic rewrites. */
void aof_rewrite_cron(struct server *srv);
/* Write the dataset as a synchronous base (start with nothing yet). */
int aof_rewrite_sync_base(struct server *srv, char *err, size_t errlen);

/* aof_rewrite_cmds.c: the dataset as commands into fd (a base without the RDB preamble). */
int aof_rewrite_write_commands(struct server *srv, int fd, char *err, size_t errlen);

/* aof_fsync.c */
void aof_fsync_init(struct aof_fsync *f);
/* Ask for an fsync of fd in the background; false if one is still running. */
bool aof_fsync_request(struct aof_fsync *f, int fd);
bool aof_fsync_is_pending(struct aof_fsync *f);
/* Wait until no request is pending (before closing the file it syncs). */
void aof_fsync_wait_idle(struct aof_fsync *f);
/* The outcome of the last finished request: true if there is a new one (errno in *err). */
bool aof_fsync_take_result(struct aof_fsync *f, int *err);
void aof_fsync_stop(struct aof_fsync *f);

#endif
