/* Fuzz harness: the sentinel's state-file decoder (sentinel/state_file.c, state_file_decode),
 * which reads what a previous run wrote (and what a damaged disk or an operator's editor may have
 * left). A file that decodes must encode and decode again to the same text: the state a
 * sentinel acts on survives a restart unchanged. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "common/util.h"
#include "sentinel/core/state.h"
#include "sentinel/state_file.h"

FUZZ_INIT_QUIET((void)0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sentinel_state st;
    struct state_file_meta meta;
    char err[256];
    memset(&st, 0, sizeof st);
    memset(&meta, 0, sizeof meta);
    if (state_file_decode((const char *)data, size, &st, &meta, err, sizeof err) != 0) {
        ASSERT(err[0] != '\0');
        return 0;
    }
    char *text = state_file_encode(&st, &meta);
    struct sentinel_state st2;
    struct state_file_meta meta2;
    memset(&st2, 0, sizeof st2);
    memset(&meta2, 0, sizeof meta2);
    ASSERT(state_file_decode(text, strlen(text), &st2, &meta2, err, sizeof err) == 0);
    char *text2 = state_file_encode(&st2, &meta2);
    ASSERT(strcmp(text, text2) == 0);
    free(text);
    free(text2);
    sentinel_state_free(&st);
    sentinel_state_free(&st2);
    state_file_meta_free(&meta);
    state_file_meta_free(&meta2);
    return 0;
}
