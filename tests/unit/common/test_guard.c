/* Unit tests for common/guard: cross-protocol detection and the protected-mode rule. */
#include <criterion/criterion.h>
#include <string.h>

#include "common/guard.h"

static bool cross(const char *first)
{
    struct resp_arg argv[2] = {{first, strlen(first)}, {"x", 1}};
    return guard_is_cross_protocol(2, argv, "127.0.0.1:1");
}

Test(guard, http_request_words_are_refused_in_any_case)
{
    cr_assert(cross("POST"));
    cr_assert(cross("post"));
    cr_assert(cross("PoSt"));
    cr_assert(cross("Host:"));
    cr_assert(cross("HOST:"));
    cr_assert_not(cross("GET")); /* Redis reports GET as an unknown command; so do we */
    cr_assert_not(cross("Host"));
    cr_assert_not(cross("POSTS"));
    cr_assert_not(cross("SET"));
    cr_assert_not(guard_is_cross_protocol(0, NULL, NULL));
}

Test(guard, protected_mode_refuses_only_remote_clients_without_a_password)
{
    cr_assert(guard_protected_mode_refuses(true, false, "10.1.2.3"));
    cr_assert(guard_protected_mode_refuses(true, false, "192.0.2.7"));
    cr_assert(guard_protected_mode_refuses(true, false, "fd00::2"));
    cr_assert(guard_protected_mode_refuses(true, false, "::ffff:10.0.0.1"));
    cr_assert(guard_protected_mode_refuses(true, false, ""));
    cr_assert(guard_protected_mode_refuses(true, false, NULL));
    cr_assert_not(guard_protected_mode_refuses(true, false, "127.0.0.1"));
    cr_assert_not(guard_protected_mode_refuses(true, false, "127.200.3.4"));
    cr_assert_not(guard_protected_mode_refuses(true, false, "::1"));
    cr_assert_not(guard_protected_mode_refuses(true, false, "::ffff:127.0.0.1"));
    cr_assert_not(guard_protected_mode_refuses(true, true, "10.1.2.3"));   /* password set */
    cr_assert_not(guard_protected_mode_refuses(false, false, "10.1.2.3")); /* mode off */
}
