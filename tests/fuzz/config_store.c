/* Fuzz harness: the YAML config loader (common/config.c, config_value.c on libyaml) through
 * vigil-store's schema (store/store_config.c): scalars of every kind, sizes with units,
 * durations, enums, byte strings. */
#include <stdint.h>
#include <stdlib.h>

#include "tests/fuzz/fuzz.h"
#include "common/config.h"
#include "store/store_config.h"

FUZZ_INIT_QUIET((void)0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct store_config *c = calloc(1, sizeof *c);
    struct cfg_errors *errs = malloc(sizeof *errs);
    cfg_defaults(&store_config_schema, c);
    cfg_errors_init(errs);
    cfg_load_string(&store_config_schema, c, "fuzz.yaml", (const char *)data, size, errs);
    cfg_free(&store_config_schema, c);
    free(errs);
    free(c);
    return 0;
}
