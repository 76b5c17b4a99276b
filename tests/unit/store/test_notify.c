/* Unit tests for store/notify: notify-keyspace-events text to class mask and back, in the
 * canonical form Redis 7.0 prints (CONFIG GET). */
#include <criterion/criterion.h>

#include "store/notify.h"

static const char *canon(const char *text)
{
    static char out[24];
    unsigned mask;
    cr_assert_eq(notify_parse_classes(text, &mask), 0, "\"%s\" parses", text);
    notify_format_classes(mask, out, sizeof out);
    return out;
}

Test(notify, letters_print_in_redis_order)
{
    cr_assert_str_eq(canon("Ex"), "xE");
    cr_assert_str_eq(canon("Knm"), "nKm");
    cr_assert_str_eq(canon("xg$"), "g$x");
    cr_assert_str_eq(canon("Kd"), "dK");
    cr_assert_str_eq(canon(""), "");
}

Test(notify, all_type_classes_print_as_a_and_hide_n)
{
    cr_assert_str_eq(canon("KEA"), "AKE");
    cr_assert_str_eq(canon("g$lshzxetd"), "A");
    cr_assert_str_eq(canon("g$lshzxet"), "g$lshzxet");
    cr_assert_str_eq(canon("AKn"), "AK");
}

Test(notify, a_unknown_letter_is_refused)
{
    unsigned mask = 7;
    cr_assert_eq(notify_parse_classes("KEZ", &mask), -1);
    cr_assert_eq(notify_parse_classes("A ", &mask), -1);
    cr_assert_eq(mask, 7, "the mask is left alone on error");
}

Test(notify, a_excludes_key_miss_and_new)
{
    unsigned mask;
    cr_assert_eq(notify_parse_classes("A", &mask), 0);
    cr_assert_eq(mask & (NOTIFY_KEY_MISS | NOTIFY_NEW | NOTIFY_KEYSPACE | NOTIFY_KEYEVENT), 0);
    cr_assert_eq(mask & NOTIFY_ALL, NOTIFY_ALL);
}
