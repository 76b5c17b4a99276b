/* aof_load_files: which files an AOF load replays, and the file operations it needs
 * (docs/persistence.md#loading-the-append-only-file): the manifest read (or an old single
 * AOF moved into the AOF folder first, Redis 7.0's upgrade), every named file checked to exist
 * before anything loads, a file mapped read-only, a torn tail cut off, and where the snapshot
 * part of a base file ends. The replay itself is aof_load.c. */
#ifndef VIGIL_AOF_LOAD_FILES_H
#define VIGIL_AOF_LOAD_FILES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store_config;

struct aof_load_files {
    char *dir;    /* appenddirname, relative to the working directory (cfg.dir) */
    char **names; /* replay order: the base (when has_base), then the incremental files */
    size_t n;
    bool has_base;
    uint64_t *done_bytes; /* for each file, the bytes of the files before it (progress) */
    uint64_t total_bytes;
};

/* Find the files to load. 1: found (f filled), 0: nothing to load (no manifest and no old
 * AOF), -1: a damaged manifest, a failed upgrade or a named file missing or unreadable (err
 * names it; f left empty). */
int aof_load_files_find(struct aof_load_files *f, const struct store_config *cfg, char *err,
                        size_t errlen);
void aof_load_files_free(struct aof_load_files *f);

/* Map file i read-only (an empty file: *data NULL, *len 0). 0 or -1 with err; unmap with
 * munmap when *len > 0. */
int aof_load_files_map(const struct aof_load_files *f, size_t i, const char **data, size_t *len,
                       char *err, size_t errlen);
/* Cut file i to `len` bytes and make it durable. 0 or -1 with err. */
int aof_load_files_truncate(const struct aof_load_files *f, size_t i, size_t len, char *err,
                            size_t errlen);

/* Where the snapshot at the start of data ends: just after the first EOF opcode whose CRC64
 * trailer matches everything before it and which is followed by the end of the data or by a
 * command or annotation. data[0..len) when there is no such place (the snapshot loader then
 * reports the damage). Pure. */
size_t aof_load_rdb_len(const char *data, size_t len);

#endif
