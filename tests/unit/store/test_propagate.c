/* Tests for store/propagate without a server: calls begin and end as command_call and EXEC
 * drive them, argument lists go in, and recording sinks show what reached them, decoded from
 * the RESP bytes into one line per run: "db: CMD arg; CMD arg". */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/propagate.h"

struct recorder {
    bool is_wanted;
    char text[4096];
    size_t feeds;
};

static bool rec_is_wanted(void *ctx) { return ((struct recorder *)ctx)->is_wanted; }

static size_t read_number(const char **p, char prefix)
{
    cr_assert_eq(**p, prefix);
    char *end;
    size_t n = strtoul(*p + 1, &end, 10);
    cr_assert(end[0] == '\r' && end[1] == '\n');
    *p = end + 2;
    return n;
}

/* Decode a run of RESP arrays of bulk strings into "db: CMD arg; CMD arg\n". */
static void rec_feed(void *ctx, int db, const char *bytes, size_t len)
{
    struct recorder *r = ctx;
    r->feeds++;
    size_t used = strlen(r->text);
    used += (size_t)snprintf(r->text + used, sizeof r->text - used, "%d:", db);
    const char *p = bytes, *end = bytes + len;
    while (p < end) {
        size_t argc = read_number(&p, '*');
        for (size_t i = 0; i < argc; i++) {
            size_t arg_len = read_number(&p, '$');
            used +=
                (size_t)snprintf(r->text + used, sizeof r->text - used, " %.*s", (int)arg_len, p);
            p += arg_len + 2;
        }
        if (p < end) used += (size_t)snprintf(r->text + used, sizeof r->text - used, ";");
    }
    cr_assert(p == end, "a run must end on a command boundary");
    snprintf(r->text + used, sizeof r->text - used, "\n");
}

static struct propagate *with_recorder(struct recorder *r)
{
    memset(r, 0, sizeof *r);
    r->is_wanted = true;
    struct propagate *p = propagate_create();
    propagate_add_sink(p, &(struct propagate_sink){rec_is_wanted, rec_feed, r});
    return p;
}

#define ARGV(...) ((struct resp_arg[]){__VA_ARGS__})
#define ARG(s)                                                                                     \
    {                                                                                              \
        s, sizeof s - 1                                                                            \
    }
static const struct resp_arg set_a[] = {ARG("SET"), ARG("a"), ARG("1")};
static const struct resp_arg set_b[] = {ARG("SET"), ARG("b"), ARG("2")};
static const struct resp_arg set_c[] = {ARG("SET"), ARG("c"), ARG("3")};

/* One call that wrote and kept its default propagation. */
static bool run_write(struct propagate *p, int db, const struct resp_arg *argv)
{
    struct propagate_frame f;
    propagate_call_begin(p, &f);
    propagate_call_default(p, db, 3, argv);
    return propagate_call_end(p, &f);
}

/* EXEC running n writes, the i-th in dbs[i], then wrapping them. */
static bool run_exec(struct propagate *p, size_t n, const int *dbs,
                     const struct resp_arg *const *cmds)
{
    struct propagate_frame exec;
    propagate_call_begin(p, &exec);
    propagate_drop_call(p); /* EXEC itself is not propagated */
    for (size_t i = 0; i < n; i++) run_write(p, dbs[i], cmds[i]);
    propagate_wrap_call(p);
    return propagate_call_end(p, &exec);
}

Test(propagate, write_reaches_the_sink_when_its_call_ends)
{
    struct recorder r;
    struct propagate *p = with_recorder(&r);
    cr_assert(run_write(p, 0, set_a));
    cr_assert_str_eq(r.text, "0: SET a 1\n");
    cr_assert_eq(propagate_depth(p), 0);
    propagate_destroy(p);
}

Test(propagate, call_without_effect_feeds_nothing)
{
    struct recorder r;
    struct propagate *p = with_recorder(&r);
    struct propagate_frame f;
    propagate_call_begin(p, &f);
    cr_assert_not(propagate_call_end(p, &f));
    cr_assert_eq(r.feeds, 0);
    propagate_destroy(p);
}

Test(propagate, unwanted_stream_encodes_and_feeds_nothing)
{
    struct recorder r;
    struct propagate *p = with_recorder(&r);
    r.is_wanted = false;
    cr_assert_not(propagate_is_wanted(p));
    cr_assert_not(run_write(p, 0, set_a));
    propagate_now(p, 0, 3, set_b);
    cr_assert_eq(r.feeds, 0);
    propagate_destroy(p);
}

Test(propagate, handler_choice_replaces_the_default)
{
    struct recorder r;
    struct propagate *p = with_recorder(&r);
    struct propagate_frame f;
    propagate_call_begin(p, &f);
    propagate_drop_call(p);
    propagate_append(p, 2, 3, set_b);
    propagate_call_default(p, 2, 3, set_a); /* ignored: the handler chose */
    cr_assert(propagate_call_end(p, &f));
    cr_assert_str_eq(r.text, "2: SET b 2\n");
    propagate_destroy(p);
}

Test(propagate, drop_in_a_nested_call_keeps_earlier_calls_commands)
{
    struct recorder r;
    struct propagate *p = with_recorder(&r);
    struct propagate_frame exec, inner;
    propagate_call_begin(p, &exec);
    propagate_drop_call(p); /* EXEC itself is not propagated */
    cr_assert_not(run_write(p, 0, set_a));
    propagate_call_begin(p, &inner);
    propagate_append(p, 0, 3, set_b);
    propagate_drop_call(p); /* drops only SET b */
    cr_assert_not(propagate_call_end(p, &inner));
    cr_assert_eq(r.feeds, 0, "nested calls feed nothing before the outermost ends");
    cr_assert(propagate_call_end(p, &exec));
    cr_assert_str_eq(r.text, "0: SET a 1\n");
    propagate_destroy(p);
}

Test(propagate, outermost_call_with_several_commands_is_wrapped)
{
    struct recorder r;
    struct propagate *p = with_recorder(&r);
    cr_assert(run_exec(p, 2, (int[]){0, 0}, (const struct resp_arg *[]){set_a, set_b}));
    cr_assert_str_eq(r.text, "0: MULTI; SET a 1; SET b 2; EXEC\n");
    propagate_destroy(p);
}

Test(propagate, single_command_and_nested_calls_are_not_wrapped)
{
    struct recorder r;
    struct propagate *p = with_recorder(&r);
    struct propagate_frame exec, inner;
    propagate_call_begin(p, &exec);
    propagate_drop_call(p);
    run_write(p, 0, set_a);
    propagate_call_begin(p, &inner); /* SPOP inside EXEC: EXEC's wrapping covers it */
    propagate_append(p, 0, 3, set_b);
    propagate_append(p, 0, 3, set_c);
    propagate_wrap_call(p);
    propagate_call_end(p, &inner);
    cr_assert(propagate_call_end(p, &exec));
    cr_assert_str_eq(r.text, "0: SET a 1; SET b 2; SET c 3\n");
    memset(r.text, 0, sizeof r.text);
    cr_assert(run_exec(p, 1, (int[]){0}, (const struct resp_arg *[]){set_a}));
    cr_assert_str_eq(r.text, "0: SET a 1\n");
    propagate_destroy(p);
}

/* A transaction that SELECTs between writes: each write reaches the sink in its own db, so
 * replicas apply it where the master did (before runs, the whole block went to the last db). */
Test(propagate, commands_of_one_call_in_several_dbs_reach_the_sink_as_runs)
{
    struct recorder r;
    struct propagate *p = with_recorder(&r);
    cr_assert(run_exec(p, 3, (int[]){3, 3, 0}, (const struct resp_arg *[]){set_a, set_b, set_c}));
    cr_assert_str_eq(r.text, "3: MULTI; SET a 1; SET b 2\n0: SET c 3; EXEC\n");
    cr_assert_eq(r.feeds, 2);
    propagate_destroy(p);
}

Test(propagate, dropping_a_nested_call_drops_its_runs)
{
    struct recorder r;
    struct propagate *p = with_recorder(&r);
    struct propagate_frame exec, inner;
    propagate_call_begin(p, &exec);
    propagate_drop_call(p);
    run_write(p, 0, set_a);
    propagate_call_begin(p, &inner);
    propagate_append(p, 5, 3, set_b);
    propagate_drop_call(p);
    propagate_call_end(p, &inner);
    run_write(p, 0, set_c);
    propagate_call_end(p, &exec);
    cr_assert_str_eq(r.text, "0: SET a 1; SET c 3\n");
    propagate_destroy(p);
}

Test(propagate, now_feeds_at_once_ahead_of_the_running_call)
{
    struct recorder r;
    struct propagate *p = with_recorder(&r);
    struct propagate_frame f;
    propagate_call_begin(p, &f);
    propagate_now(p, 1, 2, ARGV(ARG("DEL"), ARG("gone")));
    cr_assert_str_eq(r.text, "1: DEL gone\n");
    propagate_call_default(p, 1, 3, set_a);
    propagate_call_end(p, &f);
    cr_assert_str_eq(r.text, "1: DEL gone\n1: SET a 1\n");
    propagate_destroy(p);
}

/* The AOF will be a second sink: each sink is fed what it wants, independently. */
Test(propagate, every_wanting_sink_gets_the_same_stream)
{
    struct recorder r, second = {.is_wanted = true}, off = {.is_wanted = false};
    struct propagate *p = with_recorder(&r);
    propagate_add_sink(p, &(struct propagate_sink){rec_is_wanted, rec_feed, &second});
    propagate_add_sink(p, &(struct propagate_sink){rec_is_wanted, rec_feed, &off});
    run_write(p, 4, set_a);
    cr_assert_str_eq(r.text, "4: SET a 1\n");
    cr_assert_str_eq(second.text, "4: SET a 1\n");
    cr_assert_eq(off.feeds, 0);
    propagate_destroy(p);
}

Test(propagate, buffer_starts_empty_for_each_outermost_call)
{
    struct recorder r;
    struct propagate *p = with_recorder(&r);
    run_write(p, 0, set_a);
    run_write(p, 0, set_b);
    cr_assert_str_eq(r.text, "0: SET a 1\n0: SET b 2\n");
    cr_assert_eq(r.feeds, 2);
    propagate_destroy(p);
}

Test(propagate, nothing_reaches_the_sinks_while_suspended_and_all_does_after)
{
    struct recorder r;
    struct propagate *p = with_recorder(&r);
    propagate_set_suspended(p, true); /* the AOF being replayed at start */
    cr_assert_not(propagate_is_wanted(p));
    cr_assert_not(run_write(p, 0, set_a));
    propagate_now(p, 0, 3, set_b);
    cr_assert_eq(r.feeds, 0);
    propagate_set_suspended(p, false);
    cr_assert(run_write(p, 0, set_c));
    cr_assert_str_eq(r.text, "0: SET c 3\n");
    propagate_destroy(p);
}
