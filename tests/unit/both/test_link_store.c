/* test_link_store: the store's half of bin/test-both, the binary that links libstore.a and
 * libsentinel.a together (with common/ once). Both programs share common/ (the connection
 * layer, the reply helpers); a global name defined in both libraries (two copies of a helper, as
 * the reply_* functions once were) fails this link in `make unit` instead of hiding in two
 * separate programs. Each half includes only its own program's headers (each has its own
 * struct client) and calls into its library. */
#include <criterion/criterion.h>

#include "store/client.h"
#include "store/command.h"

Test(link_both, the_store_command_table_answers)
{
    command_table_init();
    struct command *get = command_lookup("get", 3);
    cr_assert_not_null(get);
    cr_assert_str_eq(get->name, "get");
    cr_assert_str_eq(client_conn_ops.hello_mode, "standalone");
}
