/* Fuzz harness: what a replica parses from its master, in order, with the store's own parsers:
 *   handshake replies, one line each (repl_hs_after_reply walks RECV_PING .. RECV_PSYNC;
 *   +FULLRESYNC / +CONTINUE through repl_parse_fullresync / repl_parse_continue);
 *   after +FULLRESYNC: keep-alive newlines, the snapshot header (repl_parse_bulk_header,
 *   "$<len>" or "$EOF:<mark>"), the payload (rdb_load, without a keyspace: the rdb harness
 *   covers loading), then
 *   the command stream the master sends for ever after (resp_request_parse, as the store's
 *   master client reads it, in pieces).
 * The framing between those parsers mirrors repl_replica.c / repl_transfer.c (lines cut at
 * '\n' with a CR stripped, bounded by HS_LINE_MAX; a length-framed payload ends after <len>
 * bytes, an EOF-framed one at the first occurrence of its 40-byte mark), since those files
 * read from a socket. The first byte picks the handshake options and the stream's piece size. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "common/resp.h"
#include "common/util.h"
#include "store/rdb/rdb.h"
#include "store/repl/repl_int.h"
#include "store/repl/repl_link.h"
#include "store/repl/repl_replica.h"

FUZZ_INIT_QUIET((void)0)

struct input {
    const char *p;
    size_t len, pos;
};

/* One line as link_take_line cuts it: 1 with *line and *len, 0 at the end, -1 too long. */
static int take_line(struct input *in, const char **line, size_t *len)
{
    const char *p = in->p + in->pos;
    size_t avail = in->len - in->pos;
    const char *nl = memchr(p, '\n', avail);
    if (!nl) return avail > HS_LINE_MAX ? -1 : 0;
    size_t n = (size_t)(nl - p);
    if (n > HS_LINE_MAX) return -1;
    *line = p;
    *len = n > 0 && p[n - 1] == '\r' ? n - 1 : n;
    in->pos += n + 1;
    return 1;
}

/* The handshake from RECV_PING: REPL_ST_TRANSFER, REPL_ST_CONNECTED, or REPL_ST_CONNECT. */
static enum repl_hs_state handshake(struct input *in, const struct repl_hs_opts *o)
{
    enum repl_hs_state s = REPL_ST_RECV_PING;
    while (s >= REPL_ST_RECV_PING && s <= REPL_ST_RECV_PSYNC) {
        const char *line;
        size_t len;
        if (take_line(in, &line, &len) != 1) return REPL_ST_CONNECT;
        enum repl_hs_state next = repl_hs_after_reply(s, line, len, o);
        ASSERT(repl_hs_edge_ok(s, next));
        if (s == REPL_ST_RECV_PSYNC && next != REPL_ST_CONNECT) {
            char id[REPL_ID_LEN + 1];
            long long off = -1;
            if (next == REPL_ST_TRANSFER)
                ASSERT(repl_parse_fullresync(line, len, id, &off) == 0 && off >= 0);
            else
                ASSERT(repl_parse_continue(line, len, id) == 0);
            ASSERT(strlen(id) == 0 || strlen(id) == REPL_ID_LEN);
        }
        s = next;
    }
    return s;
}

/* Header and payload after +FULLRESYNC; 0 with in->pos past the payload, -1 on a bad sync. */
static int transfer(struct input *in)
{
    const char *line;
    size_t len;
    do {
        if (take_line(in, &line, &len) != 1) return -1;
    } while (len == 0); /* keep-alive newlines */
    long long size;
    char mark[REPL_EOF_MARK_LEN + 1];
    if (line[0] == '-' || repl_parse_bulk_header(line, len, &size, mark) != 0) return -1;
    const char *payload = in->p + in->pos;
    size_t avail = in->len - in->pos, plen;
    if (size >= 0) {
        if ((unsigned long long)size > avail) return -1;
        plen = (size_t)size;
    } else {
        const char *end = memmem(payload, avail, mark, REPL_EOF_MARK_LEN);
        if (end == NULL) return -1;
        plen = (size_t)(end - payload); /* the payload without its mark */
        in->pos += REPL_EOF_MARK_LEN;
    }
    in->pos += plen;
    char err[256];
    (void)rdb_load(payload, plen, NULL, NULL, err, sizeof err);
    return 0;
}

/* The command stream, in pieces of `step` bytes, until its end or a protocol error. */
static void command_stream(const char *p, size_t len, size_t step)
{
    struct resp_request r;
    resp_request_init(&r, NULL);
    size_t start = 0, have = 0;
    for (;;) {
        size_t consumed, argc;
        struct resp_arg *argv;
        int rc = resp_request_parse(&r, p + start, have - start, &consumed, &argc, &argv);
        if (rc == RESP_ERR) break;
        if (rc == RESP_OK) {
            for (size_t i = 0; i < argc; i++) ASSERT(argv[i].len <= len);
            start += consumed;
            continue;
        }
        if (have == len) break;
        have = MIN(len, have + step);
    }
    resp_request_free(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    struct repl_hs_opts o = {.has_auth = data[0] & 1, .has_ip = data[0] & 2};
    size_t step = (size_t)(data[0] >> 2) + 1;
    struct input in = {.p = (const char *)data + 1, .len = size - 1};
    enum repl_hs_state s = handshake(&in, &o);
    if (s == REPL_ST_CONNECT) return 0;
    if (s == REPL_ST_TRANSFER && transfer(&in) != 0) return 0;
    command_stream(in.p + in.pos, in.len - in.pos, step);
    return 0;
}
