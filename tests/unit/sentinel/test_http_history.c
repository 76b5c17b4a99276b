/* The durable failover history (history.c): append + reload, torn and garbage lines skipped,
 * compaction to the newest records, filtering and limits, memory-only mode, and symlinks planted
 * in the folder are never followed. */
#include <criterion/criterion.h>
#include <cjson/cJSON.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sentinel/history.h"
#include "tests/unit/tmpdir.h"

static char dir[64];
static char path[128];

static void setup(void)
{
    snprintf(dir, sizeof(dir), "/tmp/vigil-history-test-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/%s", dir, HISTORY_FILE_NAME);
}

static void teardown(void) { tmpdir_remove(dir); }

TestSuite(history, .init = setup, .fini = teardown);

static void append(struct history *h, const char *master, int epoch)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "master", master);
    cJSON_AddNumberToObject(o, "epoch", epoch);
    cr_assert_eq(history_append(h, o), 0);
    cJSON_Delete(o);
}

static size_t file_lines(void)
{
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f);
    size_t n = 0;
    for (int c; (c = fgetc(f)) != EOF;) n += c == '\n';
    fclose(f);
    return n;
}

static int epoch_at(cJSON *arr, int i)
{
    return (int)cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(arr, i), "epoch")->valuedouble;
}

Test(history, records_survive_a_reopen_newest_first)
{
    struct history *h = history_open(dir);
    cr_assert(history_is_durable(h));
    append(h, "a", 1);
    append(h, "b", 2);
    append(h, "a", 3);
    history_close(h);
    h = history_open(dir);
    cr_assert_eq(history_count(h), 3);
    cJSON *all = history_list(h, NULL, 10);
    cr_assert_eq(cJSON_GetArraySize(all), 3);
    cr_assert_eq(epoch_at(all, 0), 3);
    cJSON *a = history_list(h, "a", 1);
    cr_assert_eq(cJSON_GetArraySize(a), 1);
    cr_assert_eq(epoch_at(a, 0), 3);
    cJSON_Delete(all);
    cJSON_Delete(a);
    history_close(h);
}

Test(history, torn_and_garbage_lines_are_skipped)
{
    FILE *f = fopen(path, "w");
    fputs("{\"master\":\"a\",\"epoch\":1}\nnot json\n[1,2]\n{\"epoch\":2}\n{\"master\":\"a\",\"ep",
          f);
    fclose(f);
    struct history *h = history_open(dir);
    cr_assert_eq(history_count(h), 1);
    cr_assert_eq(history_skipped_lines(h), 4);
    append(h, "a", 5);
    cJSON *all = history_list(h, "a", 10);
    cr_assert_eq(epoch_at(all, 0), 5);
    cJSON_Delete(all);
    history_close(h);
}

Test(history, invalid_records_are_refused)
{
    struct history *h = history_open(dir);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "epoch", 1);
    cr_assert_eq(history_append(h, o), -1, "a record names its master");
    cJSON_Delete(o);
    cr_assert_eq(history_count(h), 0);
    history_close(h);
}

Test(history, file_is_compacted_to_the_newest_records)
{
    struct history *h = history_open(dir);
    for (int i = 1; i < 2 * HISTORY_MAX_RECORDS; i++) append(h, "a", i);
    cr_assert_eq(file_lines(), 2 * HISTORY_MAX_RECORDS - 1);
    append(h, "a", 2 * HISTORY_MAX_RECORDS);
    cr_assert_eq(file_lines(), HISTORY_MAX_RECORDS, "compacted at twice the bound");
    cr_assert_eq(history_count(h), HISTORY_MAX_RECORDS);
    append(h, "a", 2 * HISTORY_MAX_RECORDS + 1);
    history_close(h);
    h = history_open(dir);
    cr_assert_eq(history_count(h), HISTORY_MAX_RECORDS);
    cJSON *all = history_list(h, NULL, HISTORY_MAX_RECORDS);
    cr_assert_eq(epoch_at(all, 0), 2 * HISTORY_MAX_RECORDS + 1);
    cr_assert_eq(epoch_at(all, HISTORY_MAX_RECORDS - 1), HISTORY_MAX_RECORDS + 2);
    cJSON_Delete(all);
    history_close(h);
}

Test(history, memory_only_without_a_directory)
{
    struct history *h = history_open(NULL);
    cr_assert_not(history_is_durable(h));
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "master", "m");
    cr_assert_eq(history_append(h, o), -1, "kept, but not durably");
    cJSON_Delete(o);
    cr_assert_eq(history_count(h), 1);
    history_close(h);
}

/* A victim file outside the history's control, and its content check. */
static void make_victim(char *victim, size_t len)
{
    snprintf(victim, len, "%s/victim", dir);
    FILE *f = fopen(victim, "w");
    cr_assert_not_null(f);
    fputs("precious\n", f);
    fclose(f);
}

static void assert_victim_intact(const char *victim)
{
    char buf[64] = {0};
    FILE *f = fopen(victim, "r");
    cr_assert_not_null(f);
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    cr_assert_eq(n, 9);
    cr_assert_str_eq(buf, "precious\n", "the symlink was followed");
}

Test(history, symlink_at_the_file_is_not_followed_when_appending)
{
    char victim[160];
    make_victim(victim, sizeof(victim));
    cr_assert_eq(symlink(victim, path), 0);
    struct history *h = history_open(dir);
    cr_assert_not(history_is_durable(h), "a symlinked history file must be refused");
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "master", "m");
    history_append(h, o);
    cJSON_Delete(o);
    history_close(h);
    assert_victim_intact(victim);
}

Test(history, compaction_does_not_follow_a_symlink_at_the_old_temp_name)
{
    char victim[160], tmp[160];
    make_victim(victim, sizeof(victim));
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    cr_assert_eq(symlink(victim, tmp), 0);
    struct history *h = history_open(dir);
    for (int i = 1; i <= 2 * HISTORY_MAX_RECORDS; i++) append(h, "a", i);
    cr_assert_eq(file_lines(), HISTORY_MAX_RECORDS, "compacted");
    append(h, "a", 2 * HISTORY_MAX_RECORDS + 1);
    cr_assert_eq(file_lines(), HISTORY_MAX_RECORDS + 1, "appends go to the compacted file");
    history_close(h);
    assert_victim_intact(victim);
}

/* Issue 18: a fact learned after a failover's record was written (the bytes its old master
 * dropped) amends that record, durably; a record of another master or epoch is untouched. */
Test(history, a_record_is_amended_and_the_amendment_survives_a_reopen)
{
    struct history *h = history_open(dir);
    append(h, "m", 1);
    append(h, "other", 2);
    append(h, "m", 2);
    append(h, "m", 3);
    cJSON *d = cJSON_CreateObject();
    cJSON_AddNumberToObject(d, "bytes", 250);
    cr_assert_eq(history_amend(h, "m", 2, "dropped", d), 0);
    cr_assert_eq(history_amend(h, "m", 9, "dropped", cJSON_CreateObject()), -1, "no such epoch");
    history_close(h);
    h = history_open(dir);
    cr_assert_eq(history_count(h), 4);
    cJSON *arr = history_list(h, NULL, 10);
    for (int i = 0; i < 4; i++) {
        const cJSON *rec = cJSON_GetArrayItem(arr, i);
        const cJSON *dropped = cJSON_GetObjectItemCaseSensitive(rec, "dropped");
        const char *m = cJSON_GetObjectItemCaseSensitive(rec, "master")->valuestring;
        if (i == 1) {
            cr_assert_str_eq(m, "m");
            cr_assert_eq(epoch_at(arr, i), 2);
            cr_assert_eq(cJSON_GetObjectItemCaseSensitive(dropped, "bytes")->valueint, 250);
        } else {
            cr_assert_null(dropped, "record %d untouched", i);
        }
    }
    cJSON_Delete(arr);
    history_close(h);
}
