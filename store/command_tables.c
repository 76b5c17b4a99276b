/* command_tables: the list of command families. A family (cmd_<name>.c) defines one table
 * `struct command cmd_table_<name>[]`; adding a family is one line here. */
#include "store/command.h"

extern struct command cmd_table_conn[];
extern struct command cmd_table_admin[];
extern struct command cmd_table_string[];
extern struct command cmd_table_keys[];
extern struct command cmd_table_expire[];
extern struct command cmd_table_hash[];
extern struct command cmd_table_list[];
extern struct command cmd_table_set[];
extern struct command cmd_table_zset[];
extern struct command cmd_table_hll[];
extern struct command cmd_table_stream[];
extern struct command cmd_table_bitmap[];
extern struct command cmd_table_dump[];
extern struct command cmd_table_lcs[];
extern struct command cmd_table_bitfield[];
extern struct command cmd_table_migrate[];
extern struct command cmd_table_multi[];
extern struct command cmd_table_pubsub[];
extern struct command cmd_table_repl[];
extern struct command cmd_table_slowlog[];
extern struct command cmd_table_memory[];
extern struct command cmd_table_persist[];
extern struct command cmd_table_aof[];
extern struct command cmd_table_script[];
extern struct command cmd_table_vigil[];
extern struct command cmd_table_function[];
extern struct command cmd_table_geo[];
extern struct command cmd_table_sort[];
extern struct command cmd_table_absent[];
extern struct command cmd_table_latency[];
extern struct command cmd_table_acl[];

struct command *const command_families[] = {
    cmd_table_conn,
    cmd_table_admin,
    cmd_table_string,
    cmd_table_keys,
    cmd_table_expire,
    cmd_table_hash,
    cmd_table_list,
    cmd_table_set,
    cmd_table_zset,
    cmd_table_hll,
    cmd_table_stream,
    cmd_table_multi,
    cmd_table_pubsub,
    cmd_table_repl,
    cmd_table_slowlog,
    cmd_table_memory,
    cmd_table_bitmap,
    cmd_table_dump, /* DUMP, RESTORE */
    cmd_table_lcs,
    cmd_table_bitfield, /* BITFIELD, BITFIELD_RO */
    cmd_table_migrate,
    cmd_table_persist,  /* SAVE, BGSAVE, LASTSAVE, SHUTDOWN */
    cmd_table_aof,      /* BGREWRITEAOF, WAITAOF */
    cmd_table_script,   /* EVAL family, SCRIPT (script/cmd_script.c) */
    cmd_table_function, /* FCALL, FUNCTION (script/cmd_function.c) */
    cmd_table_geo,      /* GEOADD, GEOSEARCH, ... (cmd/cmd_geo.c) */
    cmd_table_sort,     /* SORT, SORT_RO (cmd/cmd_sort.c) */
    cmd_table_vigil,    /* VIGIL LEASE (master_lease.c) */
    cmd_table_absent,   /* cluster, modules, LOLWUT: what we leave out (cmd/cmd_absent.c) */
    cmd_table_latency,  /* LATENCY (latency.c) */
    cmd_table_acl,      /* ACL (acl.c) */
    NULL,
};
