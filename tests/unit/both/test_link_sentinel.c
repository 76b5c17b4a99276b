/* test_link_sentinel: the sentinel's half of bin/test-both (see test_link_store.c). */
#include <criterion/criterion.h>

#include "sentinel/cmd_server_int.h"

Test(link_both, the_sentinel_command_table_answers)
{
    char err[256] = "";
    cr_assert_eq(cmd_command_check(err, sizeof err), 0, "%s", err);
    const struct cmd_def *d = cmd_table_lookup("sentinel");
    cr_assert_not_null(d);
    cr_assert_str_eq(d->name, "sentinel");
}
