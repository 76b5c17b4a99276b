/* aof_reader: the commands of one append-only file, read from its bytes in memory
 * (docs/persistence.md#loading-the-append-only-file). An AOF holds commands as RESP arrays of
 * bulk strings ("*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n"), possibly with annotation lines starting
 * with '#' (the "#TS:<unix time>" lines of aof-timestamp-enabled), which are skipped.
 *
 * Pure: bytes in, commands out, no I/O, no server. Arguments point into the caller's bytes
 * (nothing is copied), so the bytes must outlive the commands read from them. The argument
 * array grows only as arguments are actually found, so a damaged count cannot make it allocate
 * more than the file's bytes justify.
 *
 * Tri-state like every parser here: a command, the clean end, or a sticky stop that says
 * whether the bytes end inside a command (truncated: a torn tail) or are not an AOF at all
 * (malformed: damage). */
#ifndef VIGIL_AOF_READER_H
#define VIGIL_AOF_READER_H

#include <stddef.h>

#include "common/resp.h"

/* An argument count past this is damage, not a command (Redis keeps argc in an int). */
#define AOF_READER_MAX_ARGC ((long long)1 << 31)

enum aof_read {
    AOF_READ_CMD = 1,        /* argv/argc hold the next command */
    AOF_READ_END = 0,        /* every byte consumed, the last command complete */
    AOF_READ_TRUNCATED = -1, /* the bytes end inside a command (sticky) */
    AOF_READ_BAD = -2,       /* not the AOF format at bad_at (sticky), reason in err */
};

struct aof_reader {
    const char *data;
    size_t len;
    size_t pos;       /* where the next read starts */
    size_t cmd_start; /* where the command just returned starts */
    size_t valid_end; /* end of the last complete command (0 before any): a torn tail's cut */
    size_t bad_at;    /* AOF_READ_BAD: offset of the first byte that is wrong */
    int stop;         /* 0, or the sticky AOF_READ_TRUNCATED / AOF_READ_BAD */
    struct resp_arg *argv;
    size_t argc, argv_cap;
    char err[128];
};

/* data[0..len) is borrowed for the reader's life. */
void aof_reader_init(struct aof_reader *r, const char *data, size_t len);
void aof_reader_free(struct aof_reader *r);
/* Read the next command (argv valid until the next call). Annotation lines are skipped; an
 * annotation cut short by the end of the bytes counts as complete, as Redis reads it. */
enum aof_read aof_reader_next(struct aof_reader *r);

#endif
