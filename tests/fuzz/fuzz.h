/* fuzz.h: what every harness shares. libFuzzer's entry points, declared here because the build
 * has -Wmissing-prototypes, and FUZZ_INIT_QUIET: an LLVMFuzzerInitialize that turns logging off
 * (a harness of code that logs would otherwise spend its time writing to stderr) and then runs
 * the harness's own one-time setup, `extra` (a statement, possibly empty). */
#ifndef VIGIL_FUZZ_H
#define VIGIL_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include "common/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define FUZZ_INIT_QUIET(extra)                                                                     \
    int LLVMFuzzerInitialize(int *argc, char ***argv)                                              \
    {                                                                                              \
        (void)argc;                                                                                \
        (void)argv;                                                                                \
        log_set_level(LOG_NONE);                                                                   \
        extra;                                                                                     \
        return 0;                                                                                  \
    }

#endif
