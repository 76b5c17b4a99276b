/* Unit tests for sentinel/state_file: JSON round trip of every field of struct sentinel_state,
 * corrupt and truncated files refused with the file named, unknown keys ignored, range checks,
 * and the atomic write (the temp file never stands in for the real one, a failed write leaves
 * the previous file intact). Each test works in its own mkdtemp directory. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"
#include "sentinel/state_file.h"
#include "tests/unit/tmpdir.h"

#define ID_A "0123456789abcdef0123456789abcdef01234567"
#define ID_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

static char dir[64];
static char path[128];

static void setup_dir(void)
{
    snprintf(dir, sizeof(dir), "/tmp/vigil-statefile-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    cr_assert_eq(state_file_path(dir, path, sizeof(path)), 0);
}

static void remove_dir(void) { tmpdir_remove(dir); }

TestSuite(state_file, .init = setup_dir, .fini = remove_dir);

static void write_raw(const char *text)
{
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    fwrite(text, 1, strlen(text), f);
    fclose(f);
}

/* A state that uses every field. */
static void full_state(struct sentinel_state *st, struct state_file_meta *meta)
{
    memset(st, 0, sizeof(*st));
    memcpy(st->myid, ID_A, sizeof(st->myid));
    st->current_epoch = 42;
    struct sentinel_state_master *sm =
        sentinel_state_add_master(st, "mymaster", "10.0.0.1", 6380, 2);
    sm->config_epoch = 41;
    memcpy(sm->leader, ID_B, sizeof(sm->leader));
    sm->leader_epoch = 42;
    sm->params.down_after_ms = 1500;
    sm->params.failover_timeout_ms = 9000;
    sm->params.parallel_syncs = 3;
    sm->params.failover_paused = true;
    sm->params.master_reboot_down_after_period_ms = 7000;
    sm->params.election_spread_ms = 250;
    sm->params.promotion_order = PROMOTION_PRIORITY_FIRST;
    sm->params.promotion_quorum = 2;
    sm->params.forget_after_ms = 5000;
    sm->params.discovery_when_isolated = ISOLATED_DISCOVERY_ANSWER;
    sm->params.auth_pass = xstrdup("s3cret \"quoted\"");
    sm->params.auth_user = xstrdup("alice");
    sm->params.notification_script = xstrdup("/usr/local/bin/notify.sh");
    sm->params.client_reconfig_script = xstrdup("/usr/local/bin/reconf.sh");
    sm->params.n_renames = 1;
    sm->params.renames = xcalloc(1, sizeof(*sm->params.renames));
    sm->params.renames[0].from = xstrdup("CONFIG");
    sm->params.renames[0].to = xstrdup("GUESSME");
    sm->n_replicas = 2;
    sm->replicas = xcalloc(2, sizeof(*sm->replicas));
    sm->replicas[0].host = xstrdup("10.0.0.2");
    sm->replicas[0].port = 6379;
    sm->replicas[1].host = xstrdup("::1");
    sm->replicas[1].port = 6390;
    sm->n_sentinels = 1;
    sm->sentinels = xcalloc(1, sizeof(*sm->sentinels));
    sm->sentinels[0].host = xstrdup("10.0.0.11");
    sm->sentinels[0].port = 26379;
    memcpy(sm->sentinels[0].runid, ID_B, sizeof(sm->sentinels[0].runid));
    sentinel_state_add_master(st, "other", "10.0.0.9", 7000, 1);
    memset(meta, 0, sizeof(*meta));
    meta->n = 1;
    meta->names = xcalloc(1, sizeof(char *));
    meta->fingerprints = xcalloc(1, sizeof(char *));
    meta->names[0] = xstrdup("mymaster");
    meta->fingerprints[0] = xstrdup("host=10.0.0.1 port=6379");
}

static void assert_same(const struct sentinel_state *a, const struct sentinel_state *b)
{
    cr_assert_str_eq(a->myid, b->myid);
    cr_assert_eq(a->current_epoch, b->current_epoch);
    cr_assert_eq(a->n_masters, b->n_masters);
    for (size_t i = 0; i < a->n_masters; i++) {
        const struct sentinel_state_master *x = &a->masters[i], *y = &b->masters[i];
        cr_assert_str_eq(x->name, y->name);
        cr_assert_str_eq(x->host, y->host);
        cr_assert_eq(x->port, y->port);
        cr_assert_eq(x->config_epoch, y->config_epoch);
        cr_assert_str_eq(x->leader, y->leader);
        cr_assert_eq(x->leader_epoch, y->leader_epoch);
        cr_assert_eq(x->params.quorum, y->params.quorum);
        cr_assert_eq(x->params.down_after_ms, y->params.down_after_ms);
        cr_assert_eq(x->params.failover_timeout_ms, y->params.failover_timeout_ms);
        cr_assert_eq(x->params.parallel_syncs, y->params.parallel_syncs);
        cr_assert_eq(x->params.failover_paused, y->params.failover_paused);
        cr_assert_eq(x->params.master_reboot_down_after_period_ms,
                     y->params.master_reboot_down_after_period_ms);
        cr_assert_eq(x->params.election_spread_ms, y->params.election_spread_ms);
        cr_assert_eq(x->params.promotion_order, y->params.promotion_order);
        cr_assert_eq(x->params.promotion_quorum, y->params.promotion_quorum);
        cr_assert_eq(x->params.forget_after_ms, y->params.forget_after_ms);
        cr_assert_eq(x->params.discovery_when_isolated, y->params.discovery_when_isolated);
        cr_assert_eq(x->params.auth_pass == NULL, y->params.auth_pass == NULL);
        if (x->params.auth_pass) cr_assert_str_eq(x->params.auth_pass, y->params.auth_pass);
        cr_assert_eq(x->params.auth_user == NULL, y->params.auth_user == NULL);
        cr_assert_eq(x->params.notification_script == NULL, y->params.notification_script == NULL);
        cr_assert_eq(x->params.n_renames, y->params.n_renames);
        for (size_t k = 0; k < x->params.n_renames; k++) {
            cr_assert_str_eq(x->params.renames[k].from, y->params.renames[k].from);
            cr_assert_str_eq(x->params.renames[k].to, y->params.renames[k].to);
        }
        cr_assert_eq(x->n_replicas, y->n_replicas);
        for (size_t k = 0; k < x->n_replicas; k++) {
            cr_assert_str_eq(x->replicas[k].host, y->replicas[k].host);
            cr_assert_eq(x->replicas[k].port, y->replicas[k].port);
        }
        cr_assert_eq(x->n_sentinels, y->n_sentinels);
        for (size_t k = 0; k < x->n_sentinels; k++) {
            cr_assert_str_eq(x->sentinels[k].host, y->sentinels[k].host);
            cr_assert_eq(x->sentinels[k].port, y->sentinels[k].port);
            cr_assert_str_eq(x->sentinels[k].runid, y->sentinels[k].runid);
        }
    }
}

Test(state_file, round_trip_keeps_every_field)
{
    struct sentinel_state st, back;
    struct state_file_meta meta, meta_back;
    char err[256];
    full_state(&st, &meta);
    cr_assert_eq(state_file_write(path, &st, &meta, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(state_file_load(path, &back, &meta_back, err, sizeof(err)), 1, "%s", err);
    assert_same(&st, &back);
    cr_assert_str_eq(back.masters[0].params.auth_user, "alice");
    cr_assert_str_eq(back.masters[0].params.client_reconfig_script, "/usr/local/bin/reconf.sh");
    cr_assert_null(back.masters[1].params.auth_pass);
    cr_assert_eq(meta_back.n, 1);
    cr_assert_str_eq(state_file_meta_get(&meta_back, "mymaster"), "host=10.0.0.1 port=6379");
    cr_assert_null(state_file_meta_get(&meta_back, "other"));
    sentinel_state_free(&st);
    sentinel_state_free(&back);
    state_file_meta_free(&meta);
    state_file_meta_free(&meta_back);
}

Test(state_file, runtime_config_options_round_trip)
{
    struct sentinel_state st, back;
    struct state_file_meta meta, meta_back;
    char err[256];
    full_state(&st, &meta);
    meta.options.fingerprint = xstrdup("abc123");
    runtime_config_add(&meta.options, "announce-port", "26999");
    runtime_config_add(&meta.options, "sentinel-pass", "s3cret");
    cr_assert_eq(state_file_write(path, &st, &meta, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(state_file_load(path, &back, &meta_back, err, sizeof(err)), 1, "%s", err);
    cr_assert_str_eq(meta_back.options.fingerprint, "abc123");
    cr_assert_eq(meta_back.options.n, 2);
    cr_assert_str_eq(meta_back.options.keys[0], "announce-port");
    cr_assert_str_eq(meta_back.options.values[0], "26999");
    cr_assert_str_eq(meta_back.options.values[1], "s3cret");
    /* Nothing changed at run time: no key written, and a file without it reads as none. */
    runtime_config_free(&meta.options);
    cr_assert_eq(state_file_write(path, &st, &meta, err, sizeof(err)), 0, "%s", err);
    state_file_meta_free(&meta_back);
    sentinel_state_free(&back);
    cr_assert_eq(state_file_load(path, &back, &meta_back, err, sizeof(err)), 1, "%s", err);
    cr_assert_null(meta_back.options.fingerprint);
    cr_assert_eq(meta_back.options.n, 0);
    sentinel_state_free(&st);
    sentinel_state_free(&back);
    state_file_meta_free(&meta);
    state_file_meta_free(&meta_back);
}

Test(state_file, file_is_private_when_written)
{
    struct sentinel_state st;
    struct state_file_meta meta;
    char err[256];
    full_state(&st, &meta);
    cr_assert_eq(state_file_write(path, &st, &meta, err, sizeof(err)), 0, "%s", err);
    struct stat sb;
    cr_assert_eq(stat(path, &sb), 0);
    cr_assert_eq(sb.st_mode & 077, 0, "state file holds passwords: mode must be 0600");
    sentinel_state_free(&st);
    state_file_meta_free(&meta);
}

Test(state_file, missing_file_means_fresh_start)
{
    struct sentinel_state st;
    struct state_file_meta meta;
    char err[256] = "";
    cr_assert_eq(state_file_load(path, &st, &meta, err, sizeof(err)), 0);
    cr_assert_eq(st.n_masters, 0);
    cr_assert_eq(st.myid[0], '\0');
    cr_assert_eq(st.current_epoch, 0);
}

Test(state_file, corrupt_file_is_an_error_naming_the_file)
{
    struct sentinel_state st;
    struct state_file_meta meta;
    char err[512];
    write_raw("this is { not json");
    cr_assert_eq(state_file_load(path, &st, &meta, err, sizeof(err)), -1);
    cr_assert(strstr(err, path) != NULL, "error must name the file: %s", err);
    cr_assert(strstr(err, "JSON") != NULL, "%s", err);
}

Test(state_file, truncated_file_is_an_error)
{
    struct sentinel_state st, back;
    struct state_file_meta meta, mb;
    char err[512];
    full_state(&st, &meta);
    char *text = state_file_encode(&st, &meta);
    /* Every proper prefix of a valid file must be refused, never read as a smaller state. */
    size_t len = strlen(text);
    for (size_t cut = 0; cut < len - 1; cut += 7) {
        cr_assert_eq(state_file_decode(text, cut, &back, &mb, err, sizeof(err)), -1,
                     "prefix of %zu bytes accepted", cut);
    }
    text[len / 2] = '\0';
    write_raw(text);
    cr_assert_eq(state_file_load(path, &back, &mb, err, sizeof(err)), -1);
    cr_assert(strstr(err, path) != NULL, "%s", err);
    cr_assert(strstr(err, "truncated") != NULL, "%s", err);
    free(text);
    sentinel_state_free(&st);
    state_file_meta_free(&meta);
}

Test(state_file, empty_file_is_an_error)
{
    struct sentinel_state st;
    struct state_file_meta meta;
    char err[512];
    write_raw("");
    cr_assert_eq(state_file_load(path, &st, &meta, err, sizeof(err)), -1);
}

Test(state_file, unknown_fields_are_ignored)
{
    struct sentinel_state st;
    struct state_file_meta meta;
    char err[512];
    write_raw("{\"version\":1,\"myid\":\"" ID_A "\",\"current_epoch\":7,\"future\":{\"x\":[1,2]},"
              "\"masters\":[{\"name\":\"m\",\"host\":\"127.0.0.1\",\"port\":6379,\"leader\":\"\","
              "\"shiny\":true,\"params\":{\"quorum\":2,\"new_knob\":\"on\"},"
              "\"replicas\":[{\"host\":\"127.0.0.1\",\"port\":6380,\"extra\":1}]}]}");
    cr_assert_eq(state_file_load(path, &st, &meta, err, sizeof(err)), 1, "%s", err);
    cr_assert_eq(st.current_epoch, 7);
    cr_assert_eq(st.n_masters, 1);
    cr_assert_eq(st.masters[0].params.quorum, 2);
    cr_assert_eq(st.masters[0].params.down_after_ms, 30000, "missing optional keys default");
    cr_assert_eq(st.masters[0].params.election_spread_ms, SENTINEL_ELECTION_SPREAD_DEFAULT_MS);
    cr_assert_eq(st.masters[0].params.promotion_order, PROMOTION_OFFSET_FIRST,
                 "a file written before the key existed gets the default");
    cr_assert_eq(st.masters[0].params.promotion_quorum, PROMOTION_QUORUM_MAJORITY);
    cr_assert_eq(st.masters[0].params.forget_after_ms, SENTINEL_FORGET_AFTER_DEFAULT_MS);
    cr_assert_eq(st.masters[0].params.discovery_when_isolated, ISOLATED_DISCOVERY_REFUSE);
    cr_assert_eq(st.masters[0].n_replicas, 1);
    cr_assert_eq(st.masters[0].n_sentinels, 0);
    sentinel_state_free(&st);
    state_file_meta_free(&meta);
}

struct bad_case {
    const char *json;
    const char *needle;
};

Test(state_file, wrong_types_and_ranges_are_refused)
{
    static const struct bad_case cases[] = {
        {"[]", "object"},
        {"{\"version\":2,\"myid\":\"" ID_A "\",\"current_epoch\":1}", "version"},
        {"{\"version\":1,\"myid\":\"short\",\"current_epoch\":1}", "myid"},
        {"{\"version\":1,\"myid\":\"" ID_A "\",\"current_epoch\":-1}", "current_epoch"},
        {"{\"version\":1,\"myid\":\"" ID_A "\",\"current_epoch\":1.5}", "current_epoch"},
        {"{\"version\":1,\"myid\":\"" ID_A "\",\"current_epoch\":\"3\"}", "current_epoch"},
        {"{\"version\":1,\"myid\":\"" ID_A "\",\"current_epoch\":1e300}", "current_epoch"},
        {"{\"version\":1,\"myid\":\"" ID_A "\"}", "current_epoch"},
        /* beyond long long: refused before any conversion (was undefined; the fuzzer found it) */
        {"{\"version\":1,\"myid\":\"" ID_A "\",\"current_epoch\":1,\"masters\":[{\"name\":\"m\","
         "\"host\":\"h\",\"port\":1,\"leader\":\"\",\"params\":{\"quorum\":3.3e22}}]}",
         "quorum"},
        {"{\"version\":1,\"myid\":\"" ID_A "\",\"current_epoch\":-1e30}", "current_epoch"},
        {"{\"version\":1,\"myid\":\"" ID_A "\",\"current_epoch\":1,\"masters\":{}}", "masters"},
        {"{\"version\":1,\"myid\":\"" ID_A "\",\"current_epoch\":1,\"masters\":[{\"name\":\"m\","
         "\"host\":\"h\",\"port\":70000,\"leader\":\"\",\"params\":{\"quorum\":1}}]}",
         "port"},
        {"{\"version\":1,\"myid\":\"" ID_A "\",\"current_epoch\":1,\"masters\":[{\"name\":\"m\","
         "\"host\":\"h\",\"port\":1,\"leader\":\"\"}]}",
         "params"},
        {"{\"version\":1,\"myid\":\"" ID_A "\",\"current_epoch\":1,\"masters\":[{\"name\":\"m\","
         "\"host\":\"h\",\"port\":1,\"leader\":\"\",\"params\":{\"quorum\":0}}]}",
         "quorum"},
        {"{\"version\":1,\"myid\":\"" ID_A "\",\"current_epoch\":1,\"masters\":["
         "{\"name\":\"m\",\"host\":\"h\",\"port\":1,\"leader\":\"\",\"params\":{\"quorum\":1}},"
         "{\"name\":\"m\",\"host\":\"h\",\"port\":2,\"leader\":\"\",\"params\":{\"quorum\":1}}]}",
         "duplicate"},
        {"{\"version\":1,\"myid\":\"" ID_A "\",\"current_epoch\":1,\"masters\":[{\"name\":\"m\","
         "\"host\":\"h\",\"port\":1,\"leader\":\"\",\"params\":{\"quorum\":1},"
         "\"sentinels\":[{\"host\":\"h\",\"port\":1,\"runid\":\"nope\"}]}]}",
         "runid"},
        {"{\"version\":1,\"myid\":\"" ID_A "\",\"current_epoch\":1,\"masters\":[{\"name\":\"m\","
         "\"host\":\"h\",\"port\":1,\"leader\":\"\",\"params\":{\"quorum\":1,"
         "\"promotion_order\":\"fastest\"}}]}",
         "promotion_order"},
        {"{\"version\":1,\"myid\":\"" ID_A "\",\"current_epoch\":1,\"masters\":[{\"name\":\"m\","
         "\"host\":\"h\",\"port\":1,\"leader\":\"\",\"params\":{\"quorum\":1,"
         "\"discovery_when_isolated\":7}}]}",
         "discovery_when_isolated"},
        {"{\"version\":1,\"myid\":\"" ID_A "\",\"current_epoch\":1,\"masters\":[{\"name\":\"m\","
         "\"host\":\"h\",\"port\":1,\"leader\":\"\",\"params\":{\"quorum\":1,"
         "\"election_spread_ms\":0}}]}",
         "election_spread_ms"},
        {"{\"version\":1,\"myid\":\"" ID_A "\",\"current_epoch\":1,\"masters\":[{\"name\":\"m\","
         "\"host\":\"h\",\"port\":1,\"leader\":\"\",\"params\":{\"quorum\":1,"
         "\"promotion_quorum\":\"0\"}}]}",
         "promotion_quorum"},
        {"{\"version\":1,\"myid\":\"" ID_A "\",\"current_epoch\":1,\"masters\":[{\"name\":\"m\","
         "\"host\":\"h\",\"port\":1,\"leader\":\"\",\"params\":{\"quorum\":1,"
         "\"forget_after_ms\":-1}}]}",
         "forget_after_ms"},
        {"{\"version\":1,\"myid\":\"" ID_A "\",\"current_epoch\":1,\"config_options\":[]}",
         "config_options"},
        {"{\"version\":1,\"myid\":\"" ID_A "\",\"current_epoch\":1,\"config_options\":"
         "{\"fingerprint\":\"f\",\"values\":{\"announce-port\":7}}}",
         "config_options.values"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct sentinel_state st;
        struct state_file_meta meta;
        char err[512] = "";
        int rc =
            state_file_decode(cases[i].json, strlen(cases[i].json), &st, &meta, err, sizeof(err));
        cr_assert_eq(rc, -1, "case %zu accepted: %s", i, cases[i].json);
        cr_assert(strstr(err, cases[i].needle) != NULL, "case %zu: \"%s\" lacks \"%s\"", i, err,
                  cases[i].needle);
        cr_assert_eq(st.n_masters, 0, "a failed decode leaves nothing behind");
    }
}

Test(state_file, write_leaves_no_temp_file_and_replaces_atomically)
{
    struct sentinel_state st, back;
    struct state_file_meta meta, mb;
    char err[256];
    full_state(&st, &meta);
    cr_assert_eq(state_file_write(path, &st, &meta, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(tmpdir_count(dir), 1, "temp file left behind");
    st.current_epoch = 43;
    cr_assert_eq(state_file_write(path, &st, &meta, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(tmpdir_count(dir), 1, "temp file left behind");
    cr_assert_eq(state_file_load(path, &back, &mb, err, sizeof(err)), 1, "%s", err);
    cr_assert_eq(back.current_epoch, 43);
    sentinel_state_free(&back);
    state_file_meta_free(&mb);
    sentinel_state_free(&st);
    state_file_meta_free(&meta);
}

Test(state_file, failed_write_keeps_the_previous_file)
{
    struct sentinel_state st, back;
    struct state_file_meta meta, mb;
    char err[256];
    full_state(&st, &meta);
    cr_assert_eq(state_file_write(path, &st, &meta, err, sizeof(err)), 0, "%s", err);
    /* A file-size limit makes the next write fail half-way (EFBIG), even for root. */
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit rl = {.rlim_cur = 16, .rlim_max = RLIM_INFINITY};
    cr_assert_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
    st.current_epoch = 99;
    cr_assert_eq(state_file_write(path, &st, &meta, err, sizeof(err)), -1);
    cr_assert(strstr(err, path) != NULL, "%s", err);
    rl.rlim_cur = RLIM_INFINITY;
    cr_assert_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
    cr_assert_eq(state_file_load(path, &back, &mb, err, sizeof(err)), 1, "%s", err);
    cr_assert_eq(back.current_epoch, 42, "the old state must survive a failed write");
    cr_assert_eq(tmpdir_count(dir), 1, "the temp file must be removed");
    sentinel_state_free(&back);
    state_file_meta_free(&mb);
    sentinel_state_free(&st);
    state_file_meta_free(&meta);
}

Test(state_file, write_does_not_follow_a_symlink_at_the_old_temp_name)
{
    struct sentinel_state st, back;
    struct state_file_meta meta, mb;
    char err[256], tmp[160], victim[160], buf[32] = {0};
    full_state(&st, &meta);
    snprintf(victim, sizeof(victim), "%s/victim", dir);
    FILE *f = fopen(victim, "w");
    fputs("precious", f);
    fclose(f);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    cr_assert_eq(symlink(victim, tmp), 0);
    cr_assert_eq(state_file_write(path, &st, &meta, err, sizeof(err)), 0, "%s", err);
    f = fopen(victim, "r");
    cr_assert_eq(fread(buf, 1, sizeof(buf) - 1, f), 8);
    fclose(f);
    cr_assert_str_eq(buf, "precious", "the symlink was followed");
    struct stat sb;
    cr_assert_eq(lstat(path, &sb), 0);
    cr_assert(S_ISREG(sb.st_mode), "the state file must be a regular file");
    cr_assert_eq(state_file_load(path, &back, &mb, err, sizeof(err)), 1, "%s", err);
    sentinel_state_free(&back);
    state_file_meta_free(&mb);
    sentinel_state_free(&st);
    state_file_meta_free(&meta);
}

Test(state_file, lock_refuses_a_second_owner)
{
    char err[256];
    int fd = state_file_lock_dir(dir, err, sizeof(err));
    cr_assert_geq(fd, 0, "%s", err);
    /* flock locks belong to the open file description: a second open must be refused. */
    cr_assert_eq(state_file_lock_dir(dir, err, sizeof(err)), -1);
    cr_assert(strstr(err, "another vigil-sentinel") != NULL, "%s", err);
    close(fd);
    int fd2 = state_file_lock_dir(dir, err, sizeof(err));
    cr_assert_geq(fd2, 0, "%s", err);
    close(fd2);
}

Test(state_file, epochs_up_to_2_pow_53_round_trip)
{
    struct sentinel_state st, back;
    struct state_file_meta mb;
    char err[256];
    memset(&st, 0, sizeof(st));
    memcpy(st.myid, ID_A, sizeof(st.myid));
    st.current_epoch = 9007199254740992ULL;
    char *text = state_file_encode(&st, NULL);
    cr_assert_eq(state_file_decode(text, strlen(text), &back, &mb, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(back.current_epoch, 9007199254740992ULL);
    free(text);
    sentinel_state_free(&back);
    state_file_meta_free(&mb);
}
