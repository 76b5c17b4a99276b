/* vigil-store's config schema: every default parses and validates, and the output-buffer text
 * form parses as Redis's. */
#include <criterion/criterion.h>
#include <string.h>

#include "store/store_config.h"

Test(store_config, schema_defaults_are_valid)
{
    char err[256] = "";
    cr_assert_eq(cfg_schema_check(&store_config_schema, err, sizeof err), 0, "%s", err);
    struct store_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg_defaults(&store_config_schema, &cfg);
    cr_assert_eq(cfg.port, 6379);
    cr_assert_eq(cfg.repl_timeout_ms, 60000);
    cr_assert_eq(cfg.repl_backlog_size, 1024 * 1024);
    cr_assert_eq(cfg.databases, 16);
    cfg_free(&store_config_schema, &cfg);
}

Test(store_config, obuf_limits_parse_as_redis)
{
    struct obuf_limit lim[OBUF_CLASSES];
    memset(lim, 0, sizeof lim);
    char err[128];
    cr_assert_eq(store_config_parse_obuf("normal 0 0 0 replica 256mb 64mb 60 pubsub 32mb 8mb 60",
                                         lim, err, sizeof err),
                 0);
    cr_assert_eq(lim[OBUF_REPLICA].hard_bytes, 256LL * 1024 * 1024);
    cr_assert_eq(lim[OBUF_PUBSUB].soft_seconds, 60);
    cr_assert_eq(store_config_parse_obuf("pubsub 1 2", lim, err, sizeof err), -1);
    cr_assert_eq(store_config_parse_obuf("bogus 1 2 3", lim, err, sizeof err), -1);
    cr_assert_eq(lim[OBUF_PUBSUB].hard_bytes, 32LL * 1024 * 1024,
                 "failed parse must not change limits");
}
