/* Unit tests: INFO parsing (captured Redis 7 INFO texts and vigil-store style text) and the
 * hello payload (format/parse round trip, malformed payloads rejected). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sentinel/core/hello.h"
#include "sentinel/core/info_parse.h"

static char *read_fixture(const char *name, size_t *len)
{
    char path[256];
    snprintf(path, sizeof(path), "tests/unit/sentinel/fixtures/%s", name);
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "fixture %s missing (run from the repository root)", path);
    static char buf[65536];
    *len = fread(buf, 1, sizeof(buf) - 1, f);
    buf[*len] = '\0';
    fclose(f);
    return buf;
}

Test(info_parse, redis7_master_fixture)
{
    size_t len;
    char *t = read_fixture("redis7_master.txt", &len);
    struct info_parsed *info = malloc(sizeof(*info));
    info_parse(t, len, info);
    cr_assert(info->has_run_id);
    cr_assert_str_eq(info->run_id, "c6f8d9d7bfcb42d6dfeb91126aa6100ba195a81c");
    cr_assert_eq(info->role, ROLE_MASTER);
    cr_assert_eq(info->n_replicas, 1);
    cr_assert_str_eq(info->replicas[0].ip, "127.0.0.1");
    cr_assert_eq(info->replicas[0].port, 58391);
    cr_assert(info->has_master_repl_offset);
    cr_assert_eq(info->master_repl_offset, 50);
    cr_assert_eq(info->master_link_down_ms, 0);
    cr_assert(!info->has_master_host, "replica-only fields must not be set on a master");
    free(info);
}

Test(info_parse, redis7_replica_fixture)
{
    size_t len;
    char *t = read_fixture("redis7_replica.txt", &len);
    struct info_parsed *info = malloc(sizeof(*info));
    info_parse(t, len, info);
    cr_assert_eq(info->role, ROLE_SLAVE);
    cr_assert_str_eq(info->master_host, "127.0.0.1");
    cr_assert_eq(info->master_port, 59331);
    cr_assert(info->has_link_status && info->master_link_up);
    cr_assert_eq(info->slave_priority, 100);
    cr_assert_eq(info->slave_repl_offset, 50);
    cr_assert_eq(info->master_link_down_ms, 0);
    cr_assert_eq(info->n_replicas, 0);
    cr_assert_str_eq(info->run_id, "69729f7a5b556bb06101bf6c33320960385fac72");
    free(info);
}

Test(info_parse, redis7_replica_link_down_fixture)
{
    size_t len;
    char *t = read_fixture("redis7_replica_linkdown.txt", &len);
    struct info_parsed *info = malloc(sizeof(*info));
    info_parse(t, len, info);
    cr_assert_eq(info->role, ROLE_SLAVE);
    cr_assert(info->has_link_status && !info->master_link_up);
    cr_assert_eq(info->slave_repl_offset, 87);
    free(info);
}

Test(info_parse, vigil_store_style_with_link_down_seconds)
{
    const char *t = "# Server\nrun_id:0123456789abcdef0123456789abcdef01234567\n"
                    "# Replication\nrole:slave\nmaster_host:10.1.1.1\nmaster_port:7000\n"
                    "master_link_status:down\nmaster_link_down_since_seconds:12\n"
                    "slave_repl_offset:999\nslave_priority:0\nreplica_announced:0\n";
    struct info_parsed *info = malloc(sizeof(*info));
    info_parse(t, strlen(t), info);
    cr_assert_eq(info->master_link_down_ms, 12000);
    cr_assert_eq(info->slave_priority, 0);
    cr_assert(info->has_replica_announced && !info->replica_announced);
    cr_assert_eq(info->master_port, 7000);
    free(info);
}

Test(info_parse, replica_fields_before_role_line_are_ignored)
{
    const char *t = "master_host:1.2.3.4\r\nslave_priority:5\r\nrole:slave\r\n";
    struct info_parsed *info = malloc(sizeof(*info));
    info_parse(t, strlen(t), info);
    cr_assert(!info->has_master_host);
    cr_assert(!info->has_slave_priority);
    cr_assert_eq(info->role, ROLE_SLAVE);
    free(info);
}

Test(info_parse, unknown_role_word_and_garbage_are_ignored)
{
    const char *t = "role:replica\r\nrun_id:short\r\nslave0:garbage\r\nslaveX:1,2\r\n"
                    "master_link_down_since_seconds:abc\r\n\r\n\r\n:::\r\n";
    struct info_parsed *info = malloc(sizeof(*info));
    info_parse(t, strlen(t), info);
    cr_assert_eq(info->role, ROLE_UNKNOWN);
    cr_assert(!info->has_run_id);
    cr_assert_eq(info->n_replicas, 0);
    cr_assert_eq(info->master_link_down_ms, 0);
    free(info);
}

Test(info_parse, old_replica_line_format)
{
    struct info_replica_entry e;
    cr_assert_eq(info_parse_replica_line("10.0.0.5,6380,online", 20, &e), 0);
    cr_assert_str_eq(e.ip, "10.0.0.5");
    cr_assert_eq(e.port, 6380);
    cr_assert_eq(info_parse_replica_line("ip=1.1.1.1,port=70000", 21, &e), -1);
    cr_assert_eq(info_parse_replica_line("state=online", 12, &e), -1);
}

Test(info_parse, replica_table_is_bounded)
{
    size_t cap = 200 * 64;
    char *t = malloc(cap);
    size_t n = 0;
    for (int i = 0; i < 200; i++)
        n += (size_t)snprintf(t + n, cap - n, "slave%d:ip=10.0.%d.%d,port=6379\r\n", i, i / 200,
                              i % 200);
    struct info_parsed *info = malloc(sizeof(*info));
    info_parse(t, n, info);
    cr_assert_eq(info->n_replicas, INFO_MAX_REPLICAS);
    cr_assert_eq(info->n_replicas_dropped, 200 - INFO_MAX_REPLICAS);
    free(info);
    free(t);
}

Test(info_parse, every_prefix_of_a_fixture_parses_without_crashing)
{
    size_t len;
    char *t = read_fixture("redis7_replica.txt", &len);
    struct info_parsed *info = malloc(sizeof(*info));
    for (size_t i = 0; i <= len; i += 7) info_parse(t, i, info);
    free(info);
}

/* ---- hello -------------------------------------------------------------------------------------
 */

#define RID "0123456789abcdef0123456789abcdef01234567"

Test(hello, format_then_parse_round_trips)
{
    struct hello h = {
        .port = 26379, .current_epoch = 7, .master_port = 6379, .master_config_epoch = 5};
    strcpy(h.ip, "127.0.0.1");
    strcpy(h.runid, RID);
    strcpy(h.master_name, "mymaster");
    strcpy(h.master_ip, "10.0.0.1");
    char buf[HELLO_MAX_LEN];
    size_t n = hello_format(buf, sizeof(buf), &h);
    cr_assert_str_eq(buf, "127.0.0.1,26379," RID ",7,mymaster,10.0.0.1,6379,5");
    struct hello p;
    cr_assert_eq(hello_parse(buf, n, &p), 0);
    cr_assert_str_eq(p.ip, "127.0.0.1");
    cr_assert_eq(p.port, 26379);
    cr_assert_str_eq(p.runid, RID);
    cr_assert_eq(p.current_epoch, 7);
    cr_assert_str_eq(p.master_name, "mymaster");
    cr_assert_eq(p.master_port, 6379);
    cr_assert_eq(p.master_config_epoch, 5);
}

Test(hello, malformed_payloads_are_rejected)
{
    static const char *const bad[] = {
        "",
        "127.0.0.1,26379," RID ",7,mymaster,10.0.0.1,6379",     /* 7 fields */
        "127.0.0.1,26379," RID ",7,mymaster,10.0.0.1,6379,5,9", /* 9 fields */
        "127.0.0.1,26379," RID ",7,mymaster,10.0.0.1,6379,5,",  /* trailing comma */
        "127.0.0.1,99999," RID ",7,mymaster,10.0.0.1,6379,5",   /* port range */
        "127.0.0.1,26379,abc,7,mymaster,10.0.0.1,6379,5",       /* short run id */
        "127.0.0.1,26379," RID ",-1,mymaster,10.0.0.1,6379,5",  /* negative epoch */
        "127.0.0.1,26379," RID ",7,,10.0.0.1,6379,5",           /* empty name */
        "127.0.0.1,26379," RID ",7,my master,10.0.0.1,6379,5",  /* space */
        "127.0.0.1,26379," RID ",7,mymaster,10.0.0.1,6379,x",   /* bad config epoch */
        "127.0.0.1, 26379," RID ",7,mymaster,10.0.0.1,6379,5",  /* leading space */
        "127.0.0.1,26379," RID ",7,mymaster,10.0.0.1,6379,99999999999999999999999", /* overflow */
        ",,,,,,,",
    };
    struct hello h;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        cr_assert_eq(hello_parse(bad[i], strlen(bad[i]), &h), -1, "accepted: '%s'", bad[i]);
}

Test(hello, oversized_payload_is_rejected)
{
    char big[HELLO_MAX_LEN + 100];
    memset(big, 'a', sizeof(big));
    struct hello h;
    cr_assert_eq(hello_parse(big, sizeof(big), &h), -1);
}

Test(hello, format_refuses_commas_in_names)
{
    struct hello h = {.port = 1};
    strcpy(h.ip, "1.1.1.1");
    strcpy(h.runid, RID);
    strcpy(h.master_name, "a,b");
    strcpy(h.master_ip, "1.1.1.2");
    char buf[HELLO_MAX_LEN];
    cr_assert_eq(hello_format(buf, sizeof(buf), &h), 0);
}
