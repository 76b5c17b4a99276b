/* aof_manifest: Redis 7.0's manifest text parsed and written back, the changes a rewrite makes,
 * damaged manifests refused with the line named, and the atomic save/load round trip. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/persist/aof_manifest.h"
#include "tests/unit/tmpdir.h"

static char *formatted(const struct aof_manifest *m)
{
    struct buf b;
    buf_init(&b);
    aof_manifest_format(m, &b);
    char *s = strndup(b.data ? b.data : "", b.len);
    buf_free(&b);
    return s;
}

Test(aof_manifest, parses_what_redis_writes_and_writes_it_back_the_same)
{
    const char *text = "file appendonly.aof.3.base.rdb seq 3 type b\n"
                       "file appendonly.aof.2.incr.aof seq 2 type h\n"
                       "file appendonly.aof.3.incr.aof seq 3 type i\n"
                       "file appendonly.aof.4.incr.aof seq 4 type i\n";
    struct aof_manifest m;
    char err[256];
    cr_assert_eq(aof_manifest_parse(&m, text, strlen(text), err, sizeof err), 0, "%s", err);
    cr_assert_str_eq(m.base->name, "appendonly.aof.3.base.rdb");
    cr_assert_eq(m.nincr, 2);
    cr_assert_eq(m.nhist, 1);
    cr_assert_eq(m.incr_seq, 4);
    cr_assert_eq(m.base_seq, 3);
    char *out = formatted(&m);
    cr_assert_str_eq(out, text);
    free(out);
    aof_manifest_free(&m);
}

Test(aof_manifest, fields_in_any_order_comments_and_crlf_are_accepted)
{
    const char *text = "# written by hand\r\n\r\ntype b seq 1 file a.1.base.aof\r\n";
    struct aof_manifest m;
    char err[256];
    cr_assert_eq(aof_manifest_parse(&m, text, strlen(text), err, sizeof err), 0, "%s", err);
    cr_assert_str_eq(m.base->name, "a.1.base.aof");
    aof_manifest_free(&m);
}

Test(aof_manifest, a_rewrite_moves_the_old_base_and_incr_files_to_history)
{
    struct aof_manifest m;
    aof_manifest_init(&m);
    cr_assert_str_eq(aof_manifest_new_base(&m, "ao", true), "ao.1.base.rdb");
    cr_assert_str_eq(aof_manifest_new_incr(&m, "ao"), "ao.1.incr.aof");
    /* a rewrite starts: new writes go to a new incr file; then its base lands */
    cr_assert_str_eq(aof_manifest_new_incr(&m, "ao"), "ao.2.incr.aof");
    cr_assert_str_eq(aof_manifest_new_base(&m, "ao", false), "ao.2.base.aof");
    aof_manifest_incr_to_history_but_last(&m);
    char *out = formatted(&m);
    cr_assert_str_eq(out, "file ao.2.base.aof seq 2 type b\n"
                          "file ao.1.base.rdb seq 1 type h\n"
                          "file ao.1.incr.aof seq 1 type h\n"
                          "file ao.2.incr.aof seq 2 type i\n");
    free(out);
    aof_manifest_clear_history(&m);
    out = formatted(&m);
    cr_assert_str_eq(out, "file ao.2.base.aof seq 2 type b\nfile ao.2.incr.aof seq 2 type i\n");
    free(out);
    aof_manifest_free(&m);
}

Test(aof_manifest, the_longest_name_written_quoted_parses_back)
{
    struct aof_manifest m, back;
    aof_manifest_init(&m);
    char name[AOF_MANIFEST_MAX_NAME - 19];
    memset(name, '\x01', sizeof name - 1);
    name[sizeof name - 1] = '\0';
    aof_manifest_new_incr(&m, name); /* 246 bytes, every one written as \xHH */
    char *out = formatted(&m);
    char err[256];
    cr_assert_eq(aof_manifest_parse(&back, out, strlen(out), err, sizeof err), 0, "%s", err);
    cr_assert_str_eq(back.incr[0].name, m.incr[0].name);
    free(out);
    aof_manifest_free(&m);
    aof_manifest_free(&back);
}

Test(aof_manifest, names_with_spaces_and_quotes_round_trip_quoted)
{
    struct aof_manifest m;
    aof_manifest_init(&m);
    aof_manifest_new_base(&m, "my \"aof\"\x01", true);
    char *out = formatted(&m);
    cr_assert_str_eq(out, "file \"my \\\"aof\\\"\\x01.1.base.rdb\" seq 1 type b\n");
    struct aof_manifest back;
    char err[256];
    cr_assert_eq(aof_manifest_parse(&back, out, strlen(out), err, sizeof err), 0, "%s", err);
    cr_assert_str_eq(back.base->name, m.base->name);
    free(out);
    aof_manifest_free(&m);
    aof_manifest_free(&back);
}

Test(aof_manifest, damaged_manifests_are_refused_naming_the_line)
{
    static const struct {
        const char *text, *why;
    } bad[] = {
        {"file a seq 1 type b\nfile b seq 1 type b\n", "line 2: more than one base file"},
        {"file a seq 1 type x\n", "line 1: unknown file type"},
        {"file a seq 1\n", "line 1: a file, seq or type field is missing"},
        {"file a seq 1 type\n", "line 1: malformed line"},
        {"file a seq x type i\n", "line 1: seq is not a number"},
        {"file ../etc/passwd seq 1 type i\n", "line 1: the file name must be a plain name"},
        {"file a seq 1 type i\nfile a seq 2 type i\n", "line 2: a file is listed twice"},
        {"file \"a seq 1 type i\n", "line 1: malformed line"},
        {"file a seq 1 typo i\n", "line 1: a file, seq or type field is missing"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct aof_manifest m;
        char err[256] = "";
        cr_assert_eq(aof_manifest_parse(&m, bad[i].text, strlen(bad[i].text), err, sizeof err), -1,
                     "accepted: %s", bad[i].text);
        cr_assert(strstr(err, bad[i].why), "%s: got \"%s\"", bad[i].text, err);
        cr_assert_null(m.base);
    }
    char name_line[400];
    snprintf(name_line, sizeof name_line, "file %0256d seq 1 type i\n", 0);
    struct aof_manifest named;
    char why[256];
    cr_assert_eq(aof_manifest_parse(&named, name_line, strlen(name_line), why, sizeof why), -1);
    cr_assert(strstr(why, "longer than 255 bytes"), "%s", why);
    char line[AOF_MANIFEST_MAX_LINE + 50];
    memset(line, 'a', sizeof line);
    line[sizeof line - 1] = '\0';
    struct aof_manifest m;
    char err[256];
    cr_assert_eq(aof_manifest_parse(&m, line, strlen(line), err, sizeof err), -1);
    cr_assert(strstr(err, "line too long"), "%s", err);
}

Test(aof_manifest, save_then_load_round_trips_and_a_missing_file_is_not_an_error)
{
    char dir[] = "/tmp/vigil-manifest-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    struct aof_manifest m, back;
    char err[512];
    cr_assert_eq(aof_manifest_load(&back, dir, "ao", err, sizeof err), 0);
    aof_manifest_init(&m);
    aof_manifest_new_base(&m, "ao", true);
    aof_manifest_new_incr(&m, "ao");
    cr_assert_eq(aof_manifest_save(&m, dir, "ao", err, sizeof err), 0, "%s", err);
    cr_assert_eq(aof_manifest_load(&back, dir, "ao", err, sizeof err), 1, "%s", err);
    char *a = formatted(&m), *b = formatted(&back);
    cr_assert_str_eq(a, b);
    free(a);
    free(b);
    aof_manifest_free(&m);
    aof_manifest_free(&back);
    char path[128];
    snprintf(path, sizeof path, "%s/ao.manifest", dir);
    FILE *f = fopen(path, "w");
    fputs("file x seq 1 type q\n", f);
    fclose(f);
    cr_assert_eq(aof_manifest_load(&back, dir, "ao", err, sizeof err), -1);
    cr_assert(strstr(err, path) && strstr(err, "line 1"), "%s", err);
    tmpdir_remove(dir);
}
