/* hello: the `__sentinel__:hello` payload (docs/sentinel-protocol.md#hello-messages), formatted and
 * parsed exactly:
 *
 *   <sentinel_ip>,<sentinel_port>,<sentinel_runid>,<current_epoch>,<master_name>,<master_ip>,
 *   <master_port>,<master_config_epoch>
 *
 * eight comma-separated fields, no spaces. Parsing is strict: exactly 8 fields, ports are
 * integers in 0..65535, epochs unsigned integers, the run id 40 alphanumeric characters, names
 * and addresses non-empty and bounded. Anything else is rejected (-1) and the caller ignores the
 * message. Pure: no allocation, no state.
 */
#ifndef VIGIL_SENTINEL_HELLO_H
#define VIGIL_SENTINEL_HELLO_H

#include <stddef.h>
#include <stdint.h>

#include "sentinel/core/instance.h"

#define HELLO_CHANNEL "__sentinel__:hello"
#define HELLO_MAX_LEN 1024

struct hello {
    char ip[INSTANCE_HOST_MAX + 1];
    int port;
    char runid[SENTINEL_RUNID_LEN + 1];
    uint64_t current_epoch;
    char master_name[INSTANCE_NAME_MAX + 1];
    char master_ip[INSTANCE_HOST_MAX + 1];
    int master_port;
    uint64_t master_config_epoch;
};

/* 0 on success, -1 if the payload is malformed. */
int hello_parse(const char *payload, size_t len, struct hello *out);
/* Writes the payload into buf (NUL-terminated); returns its length, or 0 if it does not fit or a
 * field would make it unparseable (a comma in a name). */
size_t hello_format(char *buf, size_t cap, const struct hello *h);

#endif
