/* Unit tests for store/redact: which arguments MONITOR and SLOWLOG show as "(redacted)". */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/redact.h"

/* Splits words on spaces and returns the view joined with '|' (one static buffer). */
static const char *view(const char *line)
{
    static char out[512];
    char copy[256];
    struct resp_arg argv[16];
    size_t argc = 0;
    snprintf(copy, sizeof copy, "%s", line);
    for (char *w = strtok(copy, " "); w && argc < 16; w = strtok(NULL, " "))
        argv[argc++] = (struct resp_arg){w, strlen(w)};
    struct resp_arg *scratch;
    const struct resp_arg *shown = redact_view(argc, argv, &scratch);
    cr_assert_eq(scratch != NULL, shown != argv);
    out[0] = '\0';
    for (size_t i = 0; i < argc; i++) {
        if (i) strcat(out, "|");
        strncat(out, shown[i].ptr, shown[i].len);
    }
    free(scratch);
    return out;
}

Test(redact, auth_hides_every_argument_unless_it_is_a_syntax_error)
{
    cr_assert_str_eq(view("AUTH pw"), "AUTH|(redacted)");
    cr_assert_str_eq(view("auth user pw"), "auth|(redacted)|(redacted)");
    cr_assert_str_eq(view("AUTH a b c"), "AUTH|a|b|c");
}

Test(redact, hello_hides_auth_options_read_before_an_error)
{
    cr_assert_str_eq(view("HELLO 3 AUTH default pw"), "HELLO|3|AUTH|(redacted)|(redacted)");
    cr_assert_str_eq(view("HELLO 2 SETNAME n auth u p bogus"),
                     "HELLO|2|SETNAME|n|auth|(redacted)|(redacted)|bogus");
    cr_assert_str_eq(view("HELLO 2 bogus AUTH u p"), "HELLO|2|bogus|AUTH|u|p");
    cr_assert_str_eq(view("HELLO 4 AUTH u p"), "HELLO|4|AUTH|u|p");
    cr_assert_str_eq(view("HELLO x AUTH u p"), "HELLO|x|AUTH|u|p");
    cr_assert_str_eq(view("HELLO 3 AUTH u"), "HELLO|3|AUTH|u");
}

Test(redact, config_set_hides_sensitive_values_only)
{
    cr_assert_str_eq(view("CONFIG SET masterauth s"), "CONFIG|SET|masterauth|(redacted)");
    cr_assert_str_eq(view("config set MasterUser s maxmemory 1mb RequirePass t"),
                     "config|set|MasterUser|(redacted)|maxmemory|1mb|RequirePass|(redacted)");
    cr_assert_str_eq(view("CONFIG SET masterauth s maxmemory"),
                     "CONFIG|SET|masterauth|s|maxmemory");
    cr_assert_str_eq(view("CONFIG GET masterauth"), "CONFIG|GET|masterauth");
    cr_assert_str_eq(view("SET masterauth s"), "SET|masterauth|s");
}
