/* Fuzz harness: the sentinel's failover-history loader (sentinel/history.c), which reads the
 * JSON-lines file a previous run appended to (possibly torn by a crash). The input becomes
 * dir/failover-history.jsonl in a private temporary directory made once (on tmpfs if any);
 * history_open() loads it, history_list() serves it as the HTTP API would, and history_close()
 * frees it. */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/fuzz/fuzz.h"
#include "common/util.h"
#include "sentinel/history.h"

static char dir[64];
static char path[128];

static void remove_dir(void)
{
    unlink(path);
    rmdir(dir);
}

static void make_dir(void)
{
    /* tmpfs when there is one: a disk-backed /tmp makes every input wait for the disk */
    const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(dir, sizeof dir, "%s/vigil-fuzz-history.XXXXXX", base);
    if (mkdtemp(dir) == NULL) util_panic("mkdtemp failed");
    snprintf(path, sizeof path, "%s/%s", dir, HISTORY_FILE_NAME);
    atexit(remove_dir);
}

FUZZ_INIT_QUIET(make_dir())

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL) util_panic("cannot write %s", path);
    if (size) fwrite(data, 1, size, f);
    fclose(f);
    struct history *h = history_open(dir);
    ASSERT(history_count(h) <= HISTORY_MAX_RECORDS);
    cJSON *all = history_list(h, NULL, HISTORY_MAX_RECORDS);
    ASSERT(cJSON_GetArraySize(all) == (int)history_count(h));
    const cJSON *first = cJSON_GetArrayItem(all, 0);
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(first, "master");
    if (cJSON_IsString(m)) {
        cJSON *one = history_list(h, m->valuestring, 3);
        ASSERT(cJSON_GetArraySize(one) >= 1);
        cJSON_Delete(one);
    }
    cJSON_Delete(all);
    history_close(h);
    return 0;
}
