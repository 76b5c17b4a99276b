/* Fuzz harness: what the append-only file loader reads from disk before it executes anything:
 * the commands of an AOF file (store/persist/aof_reader.c) and the manifest that names the files
 * (store/persist/aof_manifest.c). Both are bytes an operator, a crash or a disk can damage.
 * Input: byte 0 even = the rest is an AOF file, odd = a manifest.
 * The reader must stay inside the bytes, stop (sticky) on a torn tail or damage with offsets
 * inside them, and read every command's arguments as slices of the input. A manifest that parses
 * must write back to text that parses to the same text. */
#include <stdint.h>
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "common/buf.h"
#include "common/util.h"
#include "store/persist/aof_manifest.h"
#include "store/persist/aof_reader.h"

FUZZ_INIT_QUIET((void)0)

static void read_aof(const char *data, size_t size)
{
    struct aof_reader r;
    aof_reader_init(&r, data, size);
    enum aof_read rc;
    size_t commands = 0;
    while ((rc = aof_reader_next(&r)) == AOF_READ_CMD) {
        ASSERT(r.argc >= 1);
        for (size_t i = 0; i < r.argc; i++) {
            const char *p = r.argv[i].ptr;
            ASSERT(p >= data && p + r.argv[i].len <= data + size);
        }
        ASSERT(r.cmd_start < r.pos && r.pos <= size);
        commands++;
        ASSERT(commands <= size); /* every command takes bytes */
    }
    ASSERT(r.valid_end <= size);
    if (rc == AOF_READ_END) ASSERT(r.pos == size);
    if (rc == AOF_READ_BAD) ASSERT(r.bad_at <= size && r.err[0]);
    ASSERT(aof_reader_next(&r) == rc); /* sticky */
    aof_reader_free(&r);
}

static void read_manifest(const char *data, size_t size)
{
    struct aof_manifest m, back;
    char err[256];
    if (aof_manifest_parse(&m, data, size, err, sizeof err) != 0) {
        ASSERT(err[0] && m.base == NULL && m.nincr == 0 && m.nhist == 0);
        return;
    }
    struct buf a, b;
    buf_init(&a);
    buf_init(&b);
    aof_manifest_format(&m, &a);
    ASSERT(aof_manifest_parse(&back, a.data ? a.data : "", a.len, err, sizeof err) == 0);
    aof_manifest_format(&back, &b);
    ASSERT(a.len == b.len && (a.len == 0 || memcmp(a.data, b.data, a.len) == 0));
    buf_free(&a);
    buf_free(&b);
    aof_manifest_free(&m);
    aof_manifest_free(&back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    const char *rest = (const char *)data + 1;
    if (data[0] & 1)
        read_manifest(rest, size - 1);
    else
        read_aof(rest, size - 1);
    return 0;
}
