/* aof_manifest: the append-only file's manifest, Redis 7.0's multi-part layout
 * (docs/persistence.md#the-append-only-file). The AOF is a folder (appenddirname) holding one
 * base file (a snapshot or commands), any number of incremental files of commands written after
 * it, history files waiting to be deleted, and the manifest naming them, one per line:
 *
 *     file appendonly.aof.3.base.rdb seq 3 type b
 *     file appendonly.aof.3.incr.aof seq 3 type i
 *     file appendonly.aof.4.incr.aof seq 4 type i
 *
 * Loading replays the base, then every incremental file in manifest order. A rewrite starts a
 * new incremental file (new writes go there), and when the child's new base is in place the old
 * base and the incremental files before the new one become history. The manifest is the only
 * truth about which files count: it is replaced atomically after each change.
 *
 * This module is pure (text in, text out, no I/O) except aof_manifest_load / _save. */
#ifndef VIGIL_AOF_MANIFEST_H
#define VIGIL_AOF_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>

#include "common/buf.h"

/* A file name is at most NAME_MAX bytes; written quoted (4 characters per byte at worst) its line
 * stays under AOF_MANIFEST_MAX_LINE, so whatever we write we read back. Redis writes lines of at
 * most 1024 bytes, which we read too. */
#define AOF_MANIFEST_MAX_NAME 255
#define AOF_MANIFEST_MAX_LINE 4096
#define AOF_MANIFEST_MAX_FILES 4096

enum aof_file_type { AOF_FILE_BASE = 'b', AOF_FILE_HIST = 'h', AOF_FILE_INCR = 'i' };

struct aof_file_info {
    char *name; /* a file name inside the AOF folder; owned */
    long long seq;
    enum aof_file_type type;
};

struct aof_manifest {
    struct aof_file_info *base; /* NULL when there is none yet */
    struct aof_file_info *incr; /* in replay order */
    size_t nincr;
    struct aof_file_info *hist;
    size_t nhist;
    long long base_seq, incr_seq; /* highest sequence numbers used so far */
};

void aof_manifest_init(struct aof_manifest *m);
void aof_manifest_free(struct aof_manifest *m);

/* Parse manifest text. 0, or -1 with a message naming the line (nothing kept on failure):
 * unknown type, missing field, a file name with a '/' or longer than AOF_MANIFEST_MAX_NAME,
 * duplicate names, two bases, more than
 * AOF_MANIFEST_MAX_FILES files, a line longer than AOF_MANIFEST_MAX_LINE. Lines starting with
 * '#' and empty lines are skipped; fields may come in any order. */
int aof_manifest_parse(struct aof_manifest *m, const char *text, size_t len, char *err,
                       size_t errlen);
/* The text form: base, then history, then incremental files. Names with spaces, quotes or
 * non-printable bytes are written quoted (and parse back). */
void aof_manifest_format(const struct aof_manifest *m, struct buf *out);

/* Changes, each returning the name of the file it added (owned by m):
 * new_base  the current base (if any) becomes history; a base seq+1 named
 *           "<appendfilename>.<seq>.base.rdb" (is_rdb) or ".aof";
 * new_incr  a new incremental file "<appendfilename>.<seq>.incr.aof" after the others. */
const char *aof_manifest_new_base(struct aof_manifest *m, const char *appendfilename, bool is_rdb);
const char *aof_manifest_new_incr(struct aof_manifest *m, const char *appendfilename);
/* After a rewrite: every incremental file but the last becomes history (the last one was opened
 * when the rewrite started and holds what the new base lacks). */
void aof_manifest_incr_to_history_but_last(struct aof_manifest *m);
/* Forget the history files (once they are deleted). */
void aof_manifest_clear_history(struct aof_manifest *m);

/* Files: "<dir>/<appendfilename>.manifest". load: 1 loaded, 0 no manifest file, -1 error with
 * a message naming the file. save: written atomically (temp, fsync, rename, fsync folder); 0 or
 * -1 with a message. */
int aof_manifest_load(struct aof_manifest *m, const char *dir, const char *appendfilename,
                      char *err, size_t errlen);
int aof_manifest_save(const struct aof_manifest *m, const char *dir, const char *appendfilename,
                      char *err, size_t errlen);

#endif
