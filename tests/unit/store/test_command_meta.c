/* command_meta: the ACL catalog of the store's commands, and the key finders that serve the ACL
 * check and COMMAND GETKEYS (numkeys commands, SET's access that depends on GET). */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "common/acl.h"
#include "store/command.h"

static struct resp_arg args[16];

static size_t line(const char *text)
{
    static char buf[256];
    snprintf(buf, sizeof(buf), "%s", text);
    size_t n = 0;
    for (char *save, *w = strtok_r(buf, " ", &save); w && n < 16; w = strtok_r(NULL, " ", &save))
        args[n++] = (struct resp_arg){w, strlen(w)};
    return n;
}

/* The key positions of a command line, as "1 2 3", or "-1". */
static const char *keys_of(const char *text)
{
    static char out[128];
    size_t argc = line(text);
    struct command *cmd = command_lookup(args[0].ptr, args[0].len);
    cr_assert(cmd, "%s", text);
    struct command_key *k = calloc(argc, sizeof(*k));
    int n = command_get_keys(command_acl_index(cmd, NULL), argc, args, k);
    out[0] = '\0';
    for (int i = 0; i < n; i++)
        snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%zu", i ? " " : "", k[i].pos);
    free(k);
    return n < 0 ? "-1" : out;
}

static unsigned access_of(const char *text, int i)
{
    size_t argc = line(text);
    struct command *cmd = command_lookup(args[0].ptr, args[0].len);
    struct command_key *k = calloc(argc, sizeof(*k));
    int n = command_get_keys(command_acl_index(cmd, NULL), argc, args, k);
    cr_assert_gt(n, i, "%s", text);
    unsigned a = k[i].access;
    free(k);
    return a;
}

static void init(void) { command_table_init(); }

TestSuite(command_meta, .init = init);

Test(command_meta, range_commands_use_their_key_positions)
{
    cr_assert_str_eq(keys_of("get k"), "1");
    cr_assert_str_eq(keys_of("mset a 1 b 2"), "1 3");
    cr_assert_str_eq(keys_of("blpop a b 0"), "1 2");
    cr_assert_str_eq(keys_of("ping"), "");
}

Test(command_meta, numkeys_commands_find_their_keys)
{
    cr_assert_str_eq(keys_of("eval s 2 a b c"), "3 4");
    cr_assert_str_eq(keys_of("fcall f 1 a x"), "3");
    cr_assert_str_eq(keys_of("zunionstore d 2 a b weights 1 2"), "1 3 4");
    cr_assert_str_eq(keys_of("lmpop 2 a b left"), "2 3");
    cr_assert_str_eq(keys_of("blmpop 0 1 a left"), "3");
    cr_assert_str_eq(keys_of("zinter 2 a b"), "2 3");
}

Test(command_meta, a_numkeys_the_arguments_cannot_hold_is_refused_except_for_scripts)
{
    cr_assert_str_eq(keys_of("zunionstore d 5 a"), "-1");
    cr_assert_str_eq(keys_of("zunionstore d 0 a"), "-1");
    cr_assert_str_eq(keys_of("lmpop x a left"), "-1");
    cr_assert_str_eq(keys_of("eval s 5 a"), ""); /* Redis: no keys, EVAL itself refuses */
    cr_assert_str_eq(keys_of("eval s x a"), "");
    cr_assert_str_eq(keys_of("eval s -1 a"), "");
}

Test(command_meta, keys_need_the_access_of_their_key_spec)
{
    const unsigned R = ACL_KEY_READ, W = ACL_KEY_WRITE;
    cr_assert_eq(access_of("get k", 0), R);
    cr_assert_eq(access_of("del k", 0), W);
    cr_assert_eq(access_of("incr k", 0), R | W);
    cr_assert_eq(access_of("exists k", 0), 0u);
    cr_assert_eq(access_of("lmove a b left left", 0), R | W);
    cr_assert_eq(access_of("lmove a b left left", 1), W);
    cr_assert_eq(access_of("zunionstore d 1 a", 0), W);
    cr_assert_eq(access_of("zunionstore d 1 a", 1), R);
    cr_assert_eq(access_of("set k v", 0), W);
    cr_assert_eq(access_of("set k v get", 0), R | W);
}

Test(command_meta, every_command_and_subcommand_has_categories)
{
    const struct acl_catalog *cat = command_acl_catalog();
    cr_assert_gt(cat->n, 200);
    for (size_t i = 0; i < cat->n; i++)
        cr_assert_neq(cat->cmds[i].categories, 0u, "%s has no ACL categories", cat->cmds[i].name);
}

/* Key finders of commands other families bring (their rows are ready before the commands). */
static const char *finder_keys(const char *name, const char *text, unsigned *access)
{
    static char out[128];
    command_getkeys_fn f = command_meta_key_finder(name);
    cr_assert(f, "%s has a key finder", name);
    size_t argc = line(text);
    struct command_key k[16];
    int n = f(argc, args, k);
    if (n < 0) return "-1";
    out[0] = '\0';
    for (int i = 0; i < n; i++) {
        snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%zu", i ? " " : "", k[i].pos);
        if (access) access[i] = k[i].access;
    }
    return out;
}

Test(command_meta, streams_sort_geo_migrate_and_bitfield_find_their_keys)
{
    unsigned a[16];
    cr_assert_str_eq(finder_keys("xread", "xread count 2 streams s1 s2 0 0", NULL), "4 5");
    cr_assert_str_eq(finder_keys("xread", "xread streams s1 0 0", NULL), "-1");
    cr_assert_str_eq(finder_keys("xreadgroup", "xreadgroup group g c streams s 0", NULL), "5");
    cr_assert_str_eq(finder_keys("sort", "sort k by w* store d", a), "1 5");
    cr_assert_eq(a[0], ACL_KEY_READ);
    cr_assert_eq(a[1], ACL_KEY_WRITE);
    cr_assert_str_eq(finder_keys("sort", "sort k limit 0 1", NULL), "1");
    cr_assert_str_eq(finder_keys("georadius", "georadius k 0 0 1 km storedist d", NULL), "1 7");
    cr_assert_str_eq(finder_keys("migrate", "migrate h 1 k 0 5", NULL), "3");
    cr_assert_str_eq(finder_keys("migrate", "migrate h 1 x 0 5 copy keys a b", NULL), "3 8 9");
    cr_assert_str_eq(finder_keys("bitfield", "bitfield k get u8 0", a), "1");
    cr_assert_eq(a[0], ACL_KEY_READ);
    finder_keys("bitfield", "bitfield k get u8 0 set u8 0 1", a);
    cr_assert_eq(a[0], ACL_KEY_READ | ACL_KEY_WRITE);
}
