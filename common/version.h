/* version: the one place for the version strings both programs report. VIGIL_VERSION is ours
 * (--version, INFO vigil_version, the sentinel's build_info metric); VIGIL_REDIS_COMPAT_VERSION
 * is the Redis version we answer as (HELLO's "version", INFO redis_version, RDB aux field), so
 * clients that check it see the 7.0 they were written for. */
#ifndef VIGIL_VERSION_H
#define VIGIL_VERSION_H

#define VIGIL_VERSION "0.1.0"
#define VIGIL_REDIS_COMPAT_VERSION "7.0.0"

#endif
