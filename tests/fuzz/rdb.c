/* Fuzz harness: the RDB loader a replica runs on a full resync's payload (store/rdb/rdb_read.c
 * decoding, store/persist/rdb_dataset.c building fresh databases with the configured encodings),
 * exactly as repl_transfer.c drives it: rdb_dataset_load_create, _run, _destroy. The first input
 * byte picks what happens to the CRC64 trailer, so that mutated files get past the checksum as
 * often as not: 0 keep it, 1 set it to 0 ("not checksummed", as Redis writes with rdbchecksum no),
 * 2 recompute it. The server the loader copies its settings from is built once with the store's
 * default config. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "common/config.h"
#include "common/loop.h"
#include "common/rng.h"
#include "common/util.h"
#include "store/rdb/crc64.h"
#include "store/persist/rdb_dataset.h"
#include "store/server.h"
#include "store/store_config.h"

static struct server srv;

static void make_server(void)
{
    cfg_defaults(&store_config_schema, &srv.cfg);
    srv.loop = loop_create(64);
    srv.ndb = 16;
    rng_seed(&srv.rng, 1);
}

FUZZ_INIT_QUIET(make_server())

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    int mode = data[0] % 3;
    data++;
    size--;
    unsigned char *copy = malloc(size ? size : 1);
    if (size) memcpy(copy, data, size);
    if (size >= 17 && mode != 0) {
        uint64_t crc = mode == 2 ? crc64_update(CRC64_INIT, copy, size - 8) : 0;
        for (int i = 0; i < 8; i++) copy[size - 8 + (size_t)i] = (unsigned char)(crc >> (8 * i));
    }
    struct rdb_dataset_load *ld = rdb_dataset_load_create(&srv);
    char err[256];
    int rc = rdb_dataset_load_run(ld, copy, size, err, sizeof err);
    ASSERT(rc <= 0);
    if (rc != 0) ASSERT(err[0] != '\0');
    rdb_dataset_load_destroy(ld);
    free(copy);
    return 0;
}
