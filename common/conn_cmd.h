/* conn_cmd: the connection commands both servers answer the same way: PING, QUIT, AUTH, HELLO
 * and the CLIENT subcommands that are about the connection itself (ID, GETNAME, SETNAME,
 * SETINFO, INFO, LIST, KILL). They shape what every client library does on connect, so their
 * replies follow Redis 7.0 to the byte. What differs between the programs (authentication,
 * users, client types, the CLIENT LIST line, HELLO's mode and role) comes from set->ops.
 *
 * Each program lists these handlers in its own command table, wrapping them in its handler
 * signature; argc/argv is the command being run (argv[0] the command name; for CLIENT
 * subcommands argv[1] the subcommand), and the program has checked the arity already. */
#ifndef VIGIL_CONN_CMD_H
#define VIGIL_CONN_CMD_H

#include <stddef.h>

#include "common/conn.h"

/* INFO's "# Server" section with Redis 7.0's fields (and vigil_version) for either program. */
struct conn_server_info {
    const char *mode; /* "standalone" or "sentinel" */
    const char *run_id;
    int port;
    long long now_us, uptime_s, hz;
    const char *executable, *config_file;
};
void conn_info_server(const struct conn_server_info *info, struct buf *out);

typedef void (*conn_cmd_fn)(struct conn *c, size_t argc, const struct resp_arg *argv);

/* "ERR unknown command '<name>', with args beginning with: '<a>' '<b>' ", with Redis's bounds
 * (the name to 128 bytes, the arguments together to about 128). */
void conn_reply_unknown_command(struct conn *c, size_t argc, const struct resp_arg *argv);
/* "ERR wrong number of arguments for '<name>' command" (name: "get", or "client|kill"). */
void conn_reply_arity(struct conn *c, const char *fullname);
/* "ERR unknown subcommand '<sub>'. Try <FAMILY> HELP." (family in lower case). */
void conn_reply_unknown_subcommand(struct conn *c, const struct resp_arg *sub, const char *family);

void conn_cmd_ping(struct conn *c, size_t argc, const struct resp_arg *argv);
void conn_cmd_quit(struct conn *c, size_t argc, const struct resp_arg *argv);
void conn_cmd_auth(struct conn *c, size_t argc, const struct resp_arg *argv);
void conn_cmd_hello(struct conn *c, size_t argc, const struct resp_arg *argv);

void conn_client_id(struct conn *c, size_t argc, const struct resp_arg *argv);
void conn_client_getname(struct conn *c, size_t argc, const struct resp_arg *argv);
void conn_client_setname(struct conn *c, size_t argc, const struct resp_arg *argv);
void conn_client_setinfo(struct conn *c, size_t argc, const struct resp_arg *argv);
void conn_client_info(struct conn *c, size_t argc, const struct resp_arg *argv);
void conn_client_list(struct conn *c, size_t argc, const struct resp_arg *argv);
void conn_client_kill(struct conn *c, size_t argc, const struct resp_arg *argv);

#endif
