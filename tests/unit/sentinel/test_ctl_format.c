/* Unit tests of vigilctl's pure half (sentinel/ctl/ctl_format.c): duration and address parsing,
 * tolerant JSON access, table rendering from JSON fixtures (golden text), event lines, operation
 * progress and outcome, and the server-sent-events parser split at every byte. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sentinel/ctl/ctl_format.h"

static cJSON *fixture(const char *name)
{
    char path[256];
    snprintf(path, sizeof(path), "tests/unit/sentinel/fixtures/%s", name);
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "fixture %s missing (run from the repository root)", path);
    static char text[65536];
    size_t n = fread(text, 1, sizeof(text) - 1, f);
    fclose(f);
    text[n] = '\0';
    cJSON *j = cJSON_Parse(text);
    cr_assert_not_null(j, "fixture %s is not JSON", path);
    return j;
}

static cJSON *parse(const char *text)
{
    cJSON *j = cJSON_Parse(text);
    cr_assert_not_null(j, "bad JSON in test: %s", text);
    return j;
}

/* Removes ANSI SGR sequences in place. */
static void strip_sgr(char *s)
{
    char *w = s;
    for (char *r = s; *r;) {
        if (r[0] == '\x1b' && r[1] == '[') {
            r += 2;
            while (*r && *r != 'm') r++;
            if (*r) r++;
        } else {
            *w++ = *r++;
        }
    }
    *w = '\0';
}

static void use_utc(void)
{
    setenv("TZ", "UTC", 1);
    tzset();
}

/* ---- parsing ------------------------------------------------------------------------------- */

Test(ctl_parse, durations_with_units_and_bare_seconds)
{
    static const struct {
        const char *text;
        int64_t ms;
    } ok[] = {{"500ms", 500},  {"5s", 5000}, {"5", 5000},    {"2m", 120000},
              {"1h", 3600000}, {"0s", 0},    {"10S", 10000}, {"24h", 86400000}};
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        int64_t v = -1;
        cr_assert_eq(ctl_parse_duration_ms(ok[i].text, &v), 0, "%s", ok[i].text);
        cr_assert_eq(v, ok[i].ms, "%s", ok[i].text);
    }
    static const char *const bad[] = {
        "", "s", "-1s", "5x", "1.5s", "25h", " 5s", "5s ", "99999999999999s", "ms5"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int64_t v = 7;
        cr_assert_eq(ctl_parse_duration_ms(bad[i], &v), -1, "\"%s\" accepted", bad[i]);
        cr_assert_eq(v, 7, "output written on error for \"%s\"", bad[i]);
    }
}

Test(ctl_parse, hostport_forms)
{
    char host[64];
    int port = 0;
    cr_assert_eq(ctl_parse_hostport("127.0.0.1:26479", host, sizeof(host), &port), 0);
    cr_assert_str_eq(host, "127.0.0.1");
    cr_assert_eq(port, 26479);
    cr_assert_eq(ctl_parse_hostport("[::1]:80", host, sizeof(host), &port), 0);
    cr_assert_str_eq(host, "::1");
    cr_assert_eq(port, 80);
    cr_assert_eq(ctl_parse_hostport("sentinel-a.example:1", host, sizeof(host), &port), 0);
    static const char *const bad[] = {"host",    ":80",    "h:0", "h:65536", "::1:80", "h:80x",
                                      "[::1]80", "[::1]:", "h:",  "h:-1",    "[]:80"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        cr_assert_eq(ctl_parse_hostport(bad[i], host, sizeof(host), &port), -1, "%s", bad[i]);
    char tiny[4];
    cr_assert_eq(ctl_parse_hostport("localhost:1", tiny, sizeof(tiny), &port), -1,
                 "a host longer than the buffer is refused, not cut");
}

/* ---- JSON access ---------------------------------------------------------------------------- */

Test(ctl_json, alternative_names_numbers_in_strings_and_yes_no)
{
    cJSON *j = parse("{\"host\":\"10.0.0.1\",\"port\":\"6379\",\"eligible\":\"no\","
                     "\"n\":1.5,\"s\":\"x\"}");
    cr_assert_str_eq(ctl_json_str(j, "ip|host"), "10.0.0.1");
    cr_assert_null(ctl_json_str(j, "ip"));
    cr_assert_null(ctl_json_str(j, "n"), "numbers are not strings");
    double v = 0;
    cr_assert(ctl_json_num(j, "port", &v));
    cr_assert_eq(v, 6379);
    cr_assert(!ctl_json_num(j, "s", &v));
    bool b = true;
    cr_assert(ctl_json_bool(j, "eligible", &b));
    cr_assert(!b);
    cr_assert(!ctl_json_bool(j, "s", &b));
    char addr[64];
    ctl_json_addr(j, addr, sizeof(addr));
    cr_assert_str_eq(addr, "10.0.0.1:6379");
    ctl_json_addr(NULL, addr, sizeof(addr));
    cr_assert_str_eq(addr, "-");
    cJSON *v6 = parse("{\"ip\":\"::1\",\"port\":7}");
    ctl_json_addr(v6, addr, sizeof(addr));
    cr_assert_str_eq(addr, "[::1]:7");
    cr_assert_null(ctl_json_get(NULL, "a"));
    cJSON_Delete(j);
    cJSON_Delete(v6);
}

Test(ctl_format, bytes_for_humans)
{
    char b[32];
    ctl_format_bytes(0, b, sizeof(b));
    cr_assert_str_eq(b, "0 B");
    ctl_format_bytes(1023, b, sizeof(b));
    cr_assert_str_eq(b, "1023 B");
    ctl_format_bytes(1536, b, sizeof(b));
    cr_assert_str_eq(b, "1.5 KB");
    ctl_format_bytes(3.0 * 1024 * 1024, b, sizeof(b));
    cr_assert_str_eq(b, "3.0 MB");
    ctl_format_bytes(-5, b, sizeof(b));
    cr_assert_str_eq(b, "0 B");
}

/* ---- status --------------------------------------------------------------------------------- */

Test(ctl_format, status_table_from_fixture_is_exact)
{
    cJSON *j = fixture("ctl_master.json");
    struct buf out = {0};
    ctl_format_status(j, false, &out);
    const char *want =
        "mymaster  master 127.0.0.1:6380  epoch 3  quorum 2  sentinels 3/3  flags master\n"
        "  REPLICA         ROLE            OFFSET  LAG              LINK  PRIORITY  ELIGIBLE\n"
        "  127.0.0.1:6381  replica         123456  0 B / 0 ms       up    100       yes\n"
        "  127.0.0.1:6382  replica         120000  3.4 KB / 800 ms  down  100       no: master "
        "link down too long\n"
        "  127.0.0.1:6383  unknown (down)  0       -                down  0         no: "
        "disconnected\n"
        "  OTHER SENTINEL  ADDRESS          LAST SEEN   REACHABLE\n"
        "  0123456789ab    127.0.0.1:26380  120 ms ago  yes\n"
        "  fedcba987654    127.0.0.1:26381  never       no\n";
    cr_assert_str_eq(out.data, want, "got:\n%s", out.data);
    buf_free(&out);
    cJSON_Delete(j);
}

Test(ctl_format, colour_adds_only_escapes)
{
    cJSON *m = fixture("ctl_master.json");
    struct buf plain = {0}, color = {0};
    ctl_format_status(m, false, &plain);
    ctl_format_status(m, true, &color);
    cr_assert(strchr(plain.data, '\x1b') == NULL, "no escapes without colour");
    cr_assert(strchr(color.data, '\x1b') != NULL, "escapes with colour");
    strip_sgr(color.data);
    cr_assert_str_eq(color.data, plain.data, "columns must line up with and without colour");
    buf_free(&plain);
    buf_free(&color);
    cJSON_Delete(m);
}

Test(ctl_format, status_of_an_empty_or_foreign_object_does_not_crash)
{
    static const char *const inputs[] = {"{}", "[]", "{\"replicas\":5,\"sentinels\":\"x\"}",
                                         "{\"replicas\":[1,null,{}],\"name\":7}", "null"};
    for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
        cJSON *j = parse(inputs[i]);
        struct buf out = {0};
        ctl_format_status(j, true, &out);
        ctl_format_plan(j, true, &out);
        ctl_format_history(j, true, &out);
        ctl_format_event(j, true, &out);
        cr_assert_gt(out.len, 0);
        buf_free(&out);
        cJSON_Delete(j);
    }
}

Test(ctl_format, view_lines_for_answer_503_and_unreachable)
{
    cJSON *ok = parse("{\"ip\":\"127.0.0.1\",\"port\":6380,\"epoch\":3}");
    cJSON *no = parse("{\"error\":\"no majority\",\"reason\":\"sees 1 of 3 sentinels\"}");
    struct buf out = {0};
    ctl_format_view("127.0.0.1:26479", 200, ok, NULL, false, &out);
    ctl_format_view("127.0.0.1:26480", 503, no, NULL, false, &out);
    ctl_format_view("127.0.0.1:26481", 0, NULL, "connection refused", false, &out);
    cr_assert_str_eq(
        out.data,
        "  127.0.0.1:26479        master 127.0.0.1:6380  epoch 3\n"
        "  127.0.0.1:26480        no answer (HTTP 503): no majority (sees 1 of 3 sentinels)\n"
        "  127.0.0.1:26481        unreachable: connection refused\n");
    buf_free(&out);
    cJSON_Delete(ok);
    cJSON_Delete(no);
}

/* ---- plan, history, events ------------------------------------------------------------------ */

Test(ctl_format, plan_names_the_winner_and_the_excluded)
{
    cJSON *j = fixture("ctl_plan.json");
    struct buf out = {0};
    ctl_format_plan(j, false, &out);
    const char *want = "mymaster: a failover is blocked now; it would promote 127.0.0.1:6381\n"
                       "  blocked by: paused: no automatic failover\n"
                       "  sentinels reachable 2 of 3: quorum (2) yes, majority yes\n"
                       "  RANK  REPLICA         PRIORITY  OFFSET  SWITCHOVER  RUN ID\n"
                       "  1     127.0.0.1:6381  100       123456  fit         bbbbbbbbbbbb\n"
                       "  EXCLUDED        REASON\n"
                       "  127.0.0.1:6382  master link down too long\n"
                       "  127.0.0.1:6383  disconnected\n";
    cr_assert_str_eq(out.data, want, "got:\n%s", out.data);
    buf_free(&out);
    cJSON_Delete(j);
}

Test(ctl_format, plan_without_candidates_says_so)
{
    cJSON *p = parse("{\"name\":\"m\",\"candidates\":[],\"blockers\":[\"no quorum\"]}");
    struct buf out = {0};
    ctl_format_plan(p, false, &out);
    cr_assert_str_eq(out.data, "m: a failover now would not promote any replica\n"
                               "  blocked by: no quorum\n"
                               "  no eligible replica\n");
    buf_free(&out);
    cJSON_Delete(p);
}

Test(ctl_format, history_records_with_relative_phase_times)
{
    use_utc();
    cJSON *j = fixture("ctl_history.json");
    struct buf out = {0};
    ctl_format_history(j, false, &out);
    const char *want =
        "epoch 4    switchover 127.0.0.1:6380 -> 127.0.0.1:6381  at 22:13:20.300  took 300 ms  "
        "seen as leader\n"
        "    started +0ms elected +12ms promoted +90ms announced +120ms replicas_reconfigured "
        "+300ms\n"
        "    offsets at promotion: master=5000 127.0.0.1:6381=5000(promoted) 127.0.0.1:6382=4990\n"
        "epoch 3    automatic  127.0.0.1:6381 -> 127.0.0.1:6380  at 21:56:42.000  took 2000 ms  "
        "seen as observer\n"
        "    sdown +0ms odown +300ms announced +2000ms\n"
        "    old master dropped 250 bytes (its offsets 900..1150)\n";
    cr_assert_str_eq(out.data, want, "got:\n%s", out.data);
    buf_free(&out);
    cJSON_Delete(j);
}

Test(ctl_format, an_aborted_attempt_says_why)
{
    use_utc();
    cJSON *j = parse("{\"records\":[{\"epoch\":5,\"kind\":\"automatic\",\"role\":\"leader\","
                     "\"outcome\":\"aborted\",\"abort\":\"-failover-abort-no-good-slave\","
                     "\"abort_reason\":\"promotion-quorum: needs fresh offsets from 2 replicas, "
                     "has 1: 127.0.0.1:6382 not answering\",\"old\":{\"ip\":\"127.0.0.1\","
                     "\"port\":6380},\"new\":null,\"time\":1700000000300}]}");
    struct buf out = {0};
    ctl_format_history(j, false, &out);
    const char *want =
        "epoch 5    automatic  127.0.0.1:6380 -> -  at 22:13:20.300  seen as leader\n"
        "  aborted: -failover-abort-no-good-slave: promotion-quorum: needs fresh "
        "offsets from 2 replicas, has 1: 127.0.0.1:6382 not answering\n";
    cr_assert_str_eq(out.data, want, "got:\n%s", out.data);
    buf_free(&out);
    cJSON_Delete(j);
}

Test(ctl_format, event_line_has_time_type_master_message)
{
    use_utc();
    cJSON *e =
        parse("{\"time\":1700000001456,\"type\":\"+switch-master\",\"master\":\"mymaster\","
              "\"message\":\"mymaster 127.0.0.1 6380\\n127.0.0.1 6381\",\"level\":\"warning\"}");
    struct buf out = {0};
    ctl_format_event(e, false, &out);
    cr_assert_str_eq(out.data, "22:13:21.456  +switch-master          mymaster      "
                               "mymaster 127.0.0.1 6380 127.0.0.1 6381\n");
    buf_clear(&out);
    ctl_format_event(e, true, &out);
    cr_assert(strstr(out.data, "\x1b[32m+switch-master") != NULL, "a new master is green");
    buf_free(&out);
    cJSON_Delete(e);
}

Test(ctl_format, times_in_seconds_milliseconds_and_iso_text)
{
    use_utc();
    char t[64];
    cJSON *ms = cJSON_CreateNumber(1700000001456.0), *s = cJSON_CreateNumber(1700000001.0);
    cJSON *iso = cJSON_CreateString("2023-11-14T22:13:21.456Z");
    ctl_format_time(ms, t, sizeof(t));
    cr_assert_str_eq(t, "22:13:21.456");
    ctl_format_time(s, t, sizeof(t));
    cr_assert_str_eq(t, "22:13:21.000");
    ctl_format_time(iso, t, sizeof(t));
    cr_assert_str_eq(t, "22:13:21.456Z");
    ctl_format_time(NULL, t, sizeof(t));
    cr_assert_str_eq(t, "-");
    cJSON *huge = cJSON_CreateNumber(1e300); /* was cast to time_t: UB (make asan) */
    ctl_format_time(huge, t, sizeof(t));
    cr_assert_str_eq(t, "-");
    cJSON_Delete(huge);
    cJSON_Delete(ms);
    cJSON_Delete(s);
    cJSON_Delete(iso);
}

/* ---- operations ----------------------------------------------------------------------------- */

Test(ctl_op, progress_prints_each_phase_once_with_elapsed_time)
{
    cJSON *a = parse("{\"state\":\"running\",\"phase\":\"wait-start\"}");
    cJSON *b = parse("{\"state\":\"running\",\"phase\":\"wait-promotion\"}");
    struct ctl_op_progress p = {{0}};
    struct buf out = {0};
    ctl_op_progress_update(&p, a, 3, false, &out);
    ctl_op_progress_update(&p, a, 25, false, &out);
    ctl_op_progress_update(&p, b, 42, false, &out);
    ctl_op_progress_update(&p, b, 60, false, &out);
    cr_assert_str_eq(out.data, "  wait-start            +3ms\n"
                               "  wait-promotion        +42ms\n");
    buf_clear(&out);
    struct ctl_op_progress q = {{0}};
    ctl_op_progress_update(&q, a, -1, false, &out);
    cr_assert_str_eq(out.data, "  wait-start\n", "no time when the caller has none");
    buf_free(&out);
    cJSON_Delete(a);
    cJSON_Delete(b);
}

Test(ctl_op, outcome_from_state_and_error)
{
    static const struct {
        const char *json;
        enum ctl_op_outcome want;
        const char *reason;
    } cases[] = {
        {"{\"state\":\"running\",\"error\":null}", CTL_OP_RUNNING, NULL},
        {"{\"state\":\"succeeded\",\"error\":null}", CTL_OP_SUCCEEDED, NULL},
        {"{\"state\":\"failed\",\"error\":\"-failover-abort-switchover-timeout\"}", CTL_OP_FAILED,
         "-failover-abort-switchover-timeout"},
        {"{\"state\":\"failed\"}", CTL_OP_FAILED, NULL},
        {"{\"state\":7}", CTL_OP_RUNNING, NULL},
        {"{}", CTL_OP_RUNNING, NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cJSON *j = parse(cases[i].json);
        const char *why = "unset";
        cr_assert_eq(ctl_op_outcome(j, &why), cases[i].want, "%s", cases[i].json);
        if (cases[i].reason)
            cr_assert_str_eq(why, cases[i].reason);
        else
            cr_assert_null(why, "%s", cases[i].json);
        cJSON_Delete(j);
    }
}

/* ---- server-sent events --------------------------------------------------------------------- */

struct got {
    char text[4096];
    int n;
};

static void collect(void *ud, const char *type, const char *data, size_t len)
{
    struct got *g = ud;
    size_t used = strlen(g->text);
    snprintf(g->text + used, sizeof(g->text) - used, "[%s|%.*s]", type, (int)len, data);
    g->n++;
}

static const char sse_stream[] = ": hello\r\n"
                                 "\r\n"
                                 "data: {\"a\":1}\r\n"
                                 "\r\n"
                                 "event: tick\n"
                                 "data:x\n"
                                 "data:  y\n"
                                 "id: 7\n"
                                 "retry: 100\n"
                                 "\n"
                                 "data\r"
                                 "\r"
                                 "data: last\n\n"
                                 "data: unterminated";
static const char sse_want[] = "[message|{\"a\":1}][tick|x\n y][message|][message|last]";

Test(ctl_sse, events_fields_comments_and_line_ends)
{
    struct ctl_sse p;
    struct got g = {{0}, 0};
    ctl_sse_init(&p);
    ctl_sse_feed(&p, sse_stream, strlen(sse_stream), collect, &g);
    cr_assert_str_eq(g.text, sse_want);
    cr_assert_str_eq(p.last_id, "7", "the last id field is kept across events");
    ctl_sse_free(&p);
}

Test(ctl_sse, any_split_gives_the_same_events)
{
    size_t n = strlen(sse_stream);
    for (size_t cut = 0; cut <= n; cut++) {
        for (size_t step = 1; step <= 3; step++) {
            struct ctl_sse p;
            struct got g = {{0}, 0};
            ctl_sse_init(&p);
            ctl_sse_feed(&p, sse_stream, cut, collect, &g);
            for (size_t i = cut; i < n; i += step)
                ctl_sse_feed(&p, sse_stream + i, i + step <= n ? step : n - i, collect, &g);
            cr_assert_str_eq(g.text, sse_want, "cut at %zu, then %zu bytes at a time", cut, step);
            ctl_sse_free(&p);
        }
    }
}

Test(ctl_sse, oversized_event_is_dropped_and_the_next_one_arrives)
{
    struct ctl_sse p;
    struct got g = {{0}, 0};
    ctl_sse_init(&p);
    size_t big = CTL_SSE_MAX_EVENT_BYTES + 10;
    char *chunk = malloc(big);
    memset(chunk, 'z', big);
    ctl_sse_feed(&p, "data: ", 6, collect, &g);
    ctl_sse_feed(&p, chunk, big, collect, &g);
    ctl_sse_feed(&p, "\ndata: more\n\ndata: ok\n\n", 24, collect, &g);
    cr_assert_str_eq(g.text, "[message|ok]");
    cr_assert_eq(p.dropped, 1);
    /* many data lines that together pass the bound */
    for (size_t i = 0; i < 3; i++) {
        ctl_sse_feed(&p, "data: ", 6, collect, &g);
        ctl_sse_feed(&p, chunk, CTL_SSE_MAX_EVENT_BYTES / 2, collect, &g);
        ctl_sse_feed(&p, "\n", 1, collect, &g);
    }
    ctl_sse_feed(&p, "\ndata: after\n\n", 15, collect, &g);
    cr_assert_str_eq(g.text, "[message|ok][message|after]");
    cr_assert_eq(p.dropped, 2);
    free(chunk);
    ctl_sse_free(&p);
}

Test(ctl_format, plan_says_why_a_regressed_master_is_down)
{
    cJSON *p = parse("{\"name\":\"m\",\"would_promote\":{\"ip\":\"127.0.0.1\",\"port\":6381},"
                     "\"candidates\":[],\"blockers\":[],"
                     "\"master_regressed\":\"restarted behind its replicas\"}");
    struct buf out = {0};
    ctl_format_plan(p, false, &out);
    cr_assert(strstr(out.data, "\n  master restarted behind its replicas\n") != NULL, "got:\n%s",
              out.data);
    buf_free(&out);
    cJSON_Delete(p);
}
