/* Unit tests for common/conn_command: COMMAND's replies over a small fake command table (one
 * command with keys, one family with a subcommand), byte for byte in the shapes of Redis 7.0:
 * INFO entries with sets of words in Redis's order, canonical names whatever the case asked,
 * subcommands as "parent|sub", DOCS maps, LIST filters and GETKEYS's checks and key walk. */
#include <criterion/criterion.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "common/acl.h"
#include "common/conn.h"
#include "common/conn_command.h"
#include "common/util.h"

struct client {
    struct conn conn;
};
_Static_assert(offsetof(struct client, conn) == 0, "conn must be the first member");

static bool fake_execute(struct conn *k, size_t argc, struct resp_arg *argv, size_t consumed)
{
    UNUSED(k);
    UNUSED(argc);
    UNUSED(argv);
    UNUSED(consumed);
    return true;
}

static void fake_release(struct conn *k) { UNUSED(k); }

static bool fake_nopass(const struct conn *k)
{
    UNUSED(k);
    return true;
}

static const struct conn_ops OPS = {
    .execute = fake_execute, .release = fake_release, .default_user_nopass = fake_nopass};

/* mset: keys at 1, 3, 5...; obj: a family whose "enc" subcommand has its key at 2. */
static void fake_at(size_t i, struct conn_command_desc *out)
{
    if (i == 0)
        *out = (struct conn_command_desc){
            .name = "mset",
            .arity = -3,
            .flags = CONN_CMDF_FAST | CONN_CMDF_WRITE,
            .acl = 1u << acl_category_find("write") | 1u << acl_category_find("keyspace"),
            .tips = CONN_TIP_NONDET_ORDER | CONN_TIP_NONDET,
            .first_key = 1,
            .last_key = -1,
            .key_step = 2,
            .summary = "Set keys",
            .group = "string",
        };
    else
        *out = (struct conn_command_desc){.name = "obj", .arity = -2, .group = "generic"};
}

static size_t fake_count(void) { return 2; }
static size_t fake_sub_count(size_t i) { return i == 1; }

static void fake_sub_at(size_t i, size_t k, struct conn_command_desc *out)
{
    UNUSED(i);
    UNUSED(k);
    *out = (struct conn_command_desc){.name = "enc",
                                      .arity = 3,
                                      .first_key = 2,
                                      .last_key = 2,
                                      .key_step = 1,
                                      .summary = "Encoding",
                                      .since = "2.2.3",
                                      .group = "generic",
                                      .complexity = "O(1)"};
}

static const char *const HELP[] = {"one", "two"};
static const struct conn_command_source SRC = {
    fake_count, fake_at, fake_sub_count, fake_sub_at, HELP, 2, NULL};

static struct loop *L;
static struct conn_set SET;
static struct client *C;

static void setup(void)
{
    L = loop_create(64);
    conn_set_init(&SET, L, &OPS, 1 << 20);
    C = xcalloc(1, sizeof *C);
    conn_init(&C->conn, &SET, -1, NULL);
}

static void teardown(void)
{
    conn_set_free_all(&SET);
    loop_destroy(L);
}

TestSuite(conn_command, .init = setup, .fini = teardown);

/* Run fn over the words of line (split on spaces) and return the reply bytes. */
static const char *run(conn_command_fn fn, const char *line, int proto)
{
    static char words[256], out[4096];
    struct resp_arg argv[16];
    size_t argc = 0;
    snprintf(words, sizeof words, "%s", line);
    for (char *w = strtok(words, " "); w && argc < 16; w = strtok(NULL, " "))
        argv[argc++] = (struct resp_arg){w, strlen(w)};
    C->conn.proto = proto;
    buf_clear(&C->conn.reply);
    fn(&C->conn, &SRC, argc, argv);
    snprintf(out, sizeof out, "%.*s", (int)C->conn.reply.len, C->conn.reply.data);
    return out;
}

#define MSET_INFO                                                                                  \
    "*10\r\n$4\r\nmset\r\n:-3\r\n~2\r\n+write\r\n+fast\r\n:1\r\n:-1\r\n:2\r\n"                     \
    "~2\r\n+@keyspace\r\n+@write\r\n"                                                              \
    "~2\r\n$23\r\nnondeterministic_output\r\n$29\r\nnondeterministic_output_order\r\n~0\r\n~0\r\n"

Test(conn_command, info_writes_words_in_redis_order_and_canonical_names)
{
    cr_assert_str_eq(
        run(conn_command_info, "command info MSET nosuch obj|ENC", 3),
        "*3\r\n" MSET_INFO "_\r\n"
        "*10\r\n$7\r\nobj|enc\r\n:3\r\n~0\r\n:2\r\n:2\r\n:1\r\n~0\r\n~0\r\n~0\r\n~0\r\n");
    cr_assert_str_eq(run(conn_command_info, "command info nosuch obj|nosuch", 2),
                     "*2\r\n$-1\r\n$-1\r\n");
}

Test(conn_command, a_family_lists_its_subcommands_as_an_array)
{
    cr_assert_str_eq(
        run(conn_command_info, "command info obj", 2),
        "*1\r\n*10\r\n$3\r\nobj\r\n:-2\r\n*0\r\n:0\r\n:0\r\n:0\r\n*0\r\n*0\r\n*0\r\n"
        "*1\r\n*10\r\n$7\r\nobj|enc\r\n:3\r\n*0\r\n:2\r\n:2\r\n:1\r\n*0\r\n*0\r\n*0\r\n*0\r\n");
}

Test(conn_command, docs_leave_out_what_is_not_described_and_nest_subcommands)
{
    cr_assert_str_eq(run(conn_command_docs, "command docs Mset nosuch", 3),
                     "%1\r\n$4\r\nmset\r\n%2\r\n$7\r\nsummary\r\n$8\r\nSet keys\r\n"
                     "$5\r\ngroup\r\n$6\r\nstring\r\n");
    cr_assert_str_eq(run(conn_command_docs, "command docs obj", 3),
                     "%1\r\n$3\r\nobj\r\n%3\r\n$7\r\nsummary\r\n$0\r\n\r\n$5\r\ngroup\r\n"
                     "$7\r\ngeneric\r\n$11\r\nsubcommands\r\n%1\r\n$7\r\nobj|enc\r\n%4\r\n"
                     "$7\r\nsummary\r\n$8\r\nEncoding\r\n$5\r\nsince\r\n$5\r\n2.2.3\r\n"
                     "$5\r\ngroup\r\n$7\r\ngeneric\r\n$10\r\ncomplexity\r\n$4\r\nO(1)\r\n");
}

Test(conn_command, count_and_list_with_filters)
{
    cr_assert_str_eq(run(conn_command_count, "command count", 2), ":2\r\n");
    cr_assert_str_eq(run(conn_command_list, "command list", 2),
                     "*3\r\n$4\r\nmset\r\n$3\r\nobj\r\n$7\r\nobj|enc\r\n");
    cr_assert_str_eq(run(conn_command_list, "command list filterby pattern OBJ*", 2),
                     "*2\r\n$3\r\nobj\r\n$7\r\nobj|enc\r\n");
    cr_assert_str_eq(run(conn_command_list, "command list FILTERBY aclcat WRITE", 2),
                     "*1\r\n$4\r\nmset\r\n");
    cr_assert_str_eq(run(conn_command_list, "command list filterby module x", 2), "*0\r\n");
    cr_assert_str_eq(run(conn_command_list, "command list filterby nosuch x", 2),
                     "-ERR syntax error\r\n");
    cr_assert_str_eq(run(conn_command_list, "command list x", 2), "-ERR syntax error\r\n");
}

Test(conn_command, getkeys_checks_keys_before_arity_and_walks_the_key_range)
{
    cr_assert_str_eq(run(conn_command_getkeys, "command getkeys mset a 1 b 2", 2),
                     "*2\r\n$1\r\na\r\n$1\r\nb\r\n");
    /* The key flags follow the command's: write is "RW access update", neither is none. */
    cr_assert_str_eq(run(conn_command_getkeysandflags, "command getkeysandflags mset a 1", 3),
                     "*1\r\n*2\r\n$1\r\na\r\n~3\r\n+RW\r\n+access\r\n+update\r\n");
    cr_assert_str_eq(run(conn_command_getkeysandflags, "command getkeysandflags obj enc k", 3),
                     "*1\r\n*2\r\n$1\r\nk\r\n~0\r\n");
    cr_assert_str_eq(run(conn_command_getkeys, "command getkeys obj enc k", 2),
                     "*1\r\n$1\r\nk\r\n");
    cr_assert_str_eq(run(conn_command_getkeys, "command getkeys mset a", 2),
                     "-ERR Invalid number of arguments specified for command\r\n");
    cr_assert_str_eq(run(conn_command_getkeys, "command getkeys obj x y", 2),
                     "-ERR Invalid command specified\r\n");
    cr_assert_str_eq(run(conn_command_getkeys, "command getkeys obj|enc k", 2),
                     "-ERR Invalid command specified\r\n");
    cr_assert_str_eq(run(conn_command_getkeys, "command getkeys nosuch x", 2),
                     "-ERR Invalid command specified\r\n");
    cr_assert_str_eq(run(conn_command_getkeys, "command getkeys obj", 2),
                     "-ERR The command has no key arguments\r\n");
}

Test(conn_command, all_and_help)
{
    const char *all = run(conn_command_all, "command", 3);
    cr_assert(strncmp(all, "*2\r\n" MSET_INFO, strlen("*2\r\n" MSET_INFO)) == 0, "%s", all);
    cr_assert_str_eq(run(conn_command_help, "command help", 2), "*2\r\n+one\r\n+two\r\n");
}
