/* info: the INFO command's text. Sections and field names are Redis 7's, because sentinels,
 * clients (ioredis' ready check reads `loading:`) and operators parse them. */
#ifndef VIGIL_INFO_H
#define VIGIL_INFO_H

#include "store/server.h"

/* Append the named sections ("default", "all", "everything" or section names, case-insensitive;
 * none = default) to out. */
void info_render(struct server *srv, const struct resp_arg *sections, size_t nsections,
                 struct buf *out);
/* used_memory as the allocator reports it (bytes in use, including allocator headers). */
size_t info_used_memory(void);

#endif
