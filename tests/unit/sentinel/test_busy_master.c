/* Unit tests of the sentinel core's answer to a master busy running a script (Redis's rule,
 * docs/sentinel-protocol.md#sdown): a PING answered with -BUSY does not make
 * the master available; once it is subjectively down, the next -BUSY reply makes the sentinel
 * send SCRIPT KILL, once per SDOWN period (again after a -sdown), through rename-command; a
 * -BUSY before SDOWN sends nothing. Driven by the fake env's clock. */
#include <criterion/criterion.h>
#include <string.h>

#include "fake_env.h"
#include "sentinel/core/core_int.h"
#include "sentinel/core/sentinel_cmd.h"

static struct fake_env F;
static size_t busy_cursor; /* first command not yet looked at by answer_busy */

static void setup(void)
{
    fake_env_init(&F);
    busy_cursor = 0;
}
static void teardown(void) { fake_env_free(&F); }

TestSuite(busy_master, .init = setup, .fini = teardown);

#define BUSY_TEXT                                                                                  \
    "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."

static struct instance *M(struct sentinel *s)
{
    return (struct instance *)sentinel_master_at(s, 0);
}

/* Answer every command sent to the master since the last call with -BUSY, as a server running
 * a script past its busy threshold does (PING, INFO, the hello PUBLISH alike). */
static void answer_busy(struct sentinel *s)
{
    uint64_t id = M(s)->id;
    for (; busy_cursor < F.n_cmds; busy_cursor++) {
        const struct fake_cmd *c = &F.cmds[busy_cursor];
        if (c->id != id || c->kind != SENTINEL_LINK_CMD) continue;
        struct sentinel_reply r = {
            .type = SENTINEL_REPLY_ERROR, .str = BUSY_TEXT, .len = strlen(BUSY_TEXT)};
        sentinel_on_reply(s, id, c->tag, &r);
    }
}

/* The master answers -BUSY for `ms` (everything else answers PONG). */
static void run_busy(struct sentinel *s, int64_t ms)
{
    for (int64_t t = 0; t < ms; t += 10) {
        fake_run_for(&F, s, 10, FAKE_MASTER_DEAD);
        answer_busy(s);
    }
}

static size_t script_kills(struct sentinel *s)
{
    size_t n = 0;
    for (size_t i = 0; i < F.n_cmds; i++)
        n += F.cmds[i].id == M(s)->id && F.cmds[i].argc == 2 &&
             strcasecmp(F.cmds[i].argv[1], "KILL") == 0;
    return n;
}

Test(busy_master, busy_replies_do_not_count_and_script_kill_follows_sdown_once)
{
    struct sentinel *s = fake_ready_world(&F, 1, 0);
    busy_cursor = F.n_cmds;
    run_busy(s, 900); /* answered, but -BUSY: no SCRIPT KILL before SDOWN (down-after 1000) */
    cr_assert_eq(fake_find_event(&F, 0, "+sdown", NULL), -1);
    cr_assert_eq(script_kills(s), 0);
    run_busy(s, 400);
    int sdown = fake_find_event(&F, 0, "+sdown", "master mymaster");
    cr_assert_geq(sdown, 0, "-BUSY replies must not keep the master available");
    cr_assert_eq(script_kills(s), 1);
    const struct fake_cmd *kill = fake_last_cmd(&F, M(s)->id, "SCRIPT");
    cr_assert_not_null(kill);
    cr_assert_str_eq(kill->argv[1], "KILL");
    run_busy(s, 2000); /* still busy: no second SCRIPT KILL in the same SDOWN period */
    cr_assert_eq(script_kills(s), 1);
    sentinel_destroy(s);
}

Test(busy_master, script_kill_again_after_the_master_came_back)
{
    struct sentinel *s = fake_ready_world(&F, 1, 0);
    busy_cursor = F.n_cmds;
    run_busy(s, 1500);
    cr_assert_eq(script_kills(s), 1);
    fake_run_for(&F, s, 200, FAKE_ALL_ALIVE); /* the script died: PONG */
    cr_assert_geq(fake_find_event(&F, 0, "-sdown", NULL), 0);
    busy_cursor = F.n_cmds;
    run_busy(s, 1500); /* a second long script */
    cr_assert_eq(script_kills(s), 2);
    sentinel_destroy(s);
}

Test(busy_master, script_kill_goes_through_rename_command)
{
    struct sentinel *s = fake_ready_world(&F, 1, 0);
    struct sentinel_cmd_result res;
    const char *argv[] = {"rename-command", "SCRIPT", "MYSCRIPT"};
    sentinel_cmd_set(s, "mymaster", 3, argv, &res);
    cr_assert_str_eq(res.msg, "OK");
    busy_cursor = F.n_cmds;
    run_busy(s, 1500);
    const struct fake_cmd *kill = fake_last_cmd(&F, M(s)->id, "MYSCRIPT");
    cr_assert_not_null(kill, "SCRIPT KILL under the renamed name");
    cr_assert_str_eq(kill->argv[1], "KILL");
    cr_assert_eq(fake_count_cmd(&F, M(s)->id, "SCRIPT"), 0);
    sentinel_destroy(s);
}
