/* COMMAND's description table agrees with the dispatch tables: every command and subcommand
 * the sentinel answers is described, and nothing is described that it does not answer. */
#include <criterion/criterion.h>

#include "sentinel/cmd_server_int.h"

Test(cmd_command, every_dispatched_command_has_exactly_one_description)
{
    char err[160] = "";
    cr_assert_eq(cmd_command_check(err, sizeof(err)), 0, "%s", err);
}
