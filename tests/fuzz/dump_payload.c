/* Fuzz harness: RESTORE's decoding of a DUMP payload (store/persist/rdb_value.c: the footer
 * check, then store/rdb/rdb_read.c's value decoder and store/persist/rdb_dataset.c's loader
 * callbacks, one key long), as cmd_restore drives it. The first input byte picks what happens
 * to the footer, so that mutated payloads get past the checksum as often as not: 0 keep it,
 * 1 recompute version 10 and the CRC64 over the rest. A payload that restores is added to a
 * keyspace, dumped again, and that dump must pass the check and restore (the round trip). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "common/config.h"
#include "common/loop.h"
#include "common/rng.h"
#include "common/util.h"
#include "store/persist/rdb_value.h"
#include "store/rdb/crc64.h"
#include "store/server.h"
#include "store/store_config.h"

static struct server srv;
static struct ks *ks;

static void make_server(void)
{
    cfg_defaults(&store_config_schema, &srv.cfg);
    srv.loop = loop_create(64);
    srv.ndb = 1;
    rng_seed(&srv.rng, 1);
    ks = ks_create(1);
}

FUZZ_INIT_QUIET(make_server())

static void fix_footer(unsigned char *p, size_t n)
{
    p[n - 10] = 10;
    p[n - 9] = 0;
    uint64_t crc = crc64_update(CRC64_INIT, p, n - 8);
    for (int i = 0; i < 8; i++) p[n - 8 + (size_t)i] = (unsigned char)(crc >> (8 * i));
}

static void round_trip(struct rdb_value *v)
{
    struct ks_entry *e = rdb_value_add(ks, "k", 1, v);
    struct buf again;
    buf_init(&again);
    rdb_value_dump(&srv, e, &again);
    ASSERT(rdb_value_check(again.data, again.len));
    struct rdb_value v2;
    ASSERT(rdb_value_restore(&srv, again.data, again.len, &v2) == 0);
    rdb_value_free(&v2);
    buf_free(&again);
    ks_delete(ks, "k", 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    int mode = data[0] % 2;
    data++;
    size--;
    unsigned char *copy = malloc(size ? size : 1);
    if (size) memcpy(copy, data, size);
    if (mode == 1 && size >= RDB_VALUE_FOOTER_BYTES) fix_footer(copy, size);
    struct rdb_value v;
    if (rdb_value_check(copy, size) && rdb_value_restore(&srv, copy, size, &v) == 0) round_trip(&v);
    free(copy);
    return 0;
}
