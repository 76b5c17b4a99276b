/* Fuzz harness: the YAML config loader (common/config.c, config_value.c on libyaml) through the
 * sentinel's schema, the richest one (sections, lists of sections, string lists, durations,
 * sizes, enums), plus the sentinel's own semantic checks (sentinel_config_load_string), from a
 * YAML buffer as sentinel_config_load() reads a file into one. */
#include <stdint.h>
#include <stdlib.h>

#include "tests/fuzz/fuzz.h"
#include "common/config.h"
#include "sentinel/sentinel_config.h"

FUZZ_INIT_QUIET((void)0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sentinel_config *c = calloc(1, sizeof *c);
    struct cfg_errors *errs = malloc(sizeof *errs);
    sentinel_config_init(c);
    cfg_errors_init(errs);
    sentinel_config_load_string(c, "fuzz.yaml", (const char *)data, size, errs);
    sentinel_config_free(c);
    free(errs);
    free(c);
    return 0;
}
