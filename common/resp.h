/* resp: the Redis protocol (RESP2 and RESP3), in three sans-IO parts that never read or write a
 * socket themselves:
 *
 *   request parser  (resp_request.c)  one per connection: "*<n>\r\n$<len>\r\n<bytes>\r\n..." or
 *                                     an inline line "SET k \"v\"\n"; zero-copy into the caller's
 *                                     buffer
 *   value reader    (resp_reader.c)   any RESP2/RESP3 value (replies from servers), a tree built
 *                                     with an explicit bounded stack, zero-copy into its buffer
 *   writer          (resp_write.c)    every RESP2/RESP3 type into a struct buf, with the RESP2
 *                                     fallback of each RESP3 type chosen per call by `proto`
 *
 * Why: the store's hot path is the request parser, so it allocates nothing in the steady state,
 * keeps its progress between calls (a 10 MB argument fed 4 KB at a time is scanned once), and
 * hands out pointers into the caller's bytes. Every length, count and depth is bounded by the
 * limits passed in; a bad byte gives a sticky error with Redis's wording, never a crash.
 *
 * Invariants: parsers never call malloc per byte or per argument once warm; a parser in error
 * stays in error until reset; no function here does I/O or reads the clock.
 * Ownership: parameters are borrowed; resp_reader_create's result is owned by the caller. */
#ifndef VIGIL_RESP_H
#define VIGIL_RESP_H

#include <stdbool.h>
#include <stddef.h>

#include "common/buf.h"

enum resp_status { RESP_OK = 0, RESP_INCOMPLETE = 1, RESP_ERR = -1 };

struct resp_limits {
    size_t max_bulk_len;      /* default 512 MB */
    size_t max_multibulk_len; /* max elements in one aggregate; default 1024*1024 */
    int max_depth;            /* nesting depth for replies; default 16 (requests are flat) */
    size_t max_inline_len;    /* inline line, and any length line; default 64 KB */
};
void resp_limits_default(struct resp_limits *lim);

/* ---- request parser: one per connection; multibulk of bulk strings, or inline ----------------
 *
 *            '*'                       count line                     each bulk: "$<len>\r\n"
 *   START --------> MB_COUNT ---------------------------> BULK_LEN <------------------------+
 *     |                 | count <= 0: empty command           |  length line                |
 *     | other byte      v                                     v                             |
 *     +--------> INLINE (wait for '\n')                   BULK_DATA -- <len> bytes + CRLF --+
 *                       |                                     | last argument
 *                       +---------------> RESP_OK <-----------+
 *
 * Any state can go to ERROR (sticky until resp_request_reset). The state and every position are
 * offsets from the command start, so the caller may move its buffer between calls. */
struct resp_arg {
    const char *ptr;
    size_t len;
};

struct resp_request { /* private to resp_request.c: declared here only so it can be embedded */
    struct resp_limits lim;
    int state;          /* enum in resp_request.c */
    bool is_inline;     /* the command being parsed (or last returned) is inline */
    size_t pos;         /* next unparsed byte, from the command start */
    size_t scan;        /* a CRLF / LF search resumes here */
    size_t want;        /* multibulk: arguments announced by the count line */
    size_t bulk_len;    /* BULK_DATA: length of the argument being read */
    size_t seen_len;    /* len of the last call, for resp_request_bulk_remaining */
    size_t argc;        /* arguments complete so far */
    size_t argc_placed; /* argv[0..argc_placed) hold offsets in off[], not pointers */
    size_t argcap;      /* capacity of argv and off */
    struct resp_arg *argv;
    size_t *off;   /* offsets of arguments parsed by earlier calls */
    char *scratch; /* unescaped quoted inline arguments */
    size_t scratch_cap;
    const char *err; /* sticky error message, or NULL */
    char errbuf[64];
    bool is_unauthenticated; /* apply the RESP_UNAUTH_* limits (resp_request_set_unauthenticated) */
};

/* lim NULL means resp_limits_default. */
void resp_request_init(struct resp_request *r, const struct resp_limits *lim);
void resp_request_free(struct resp_request *r);
/* Parse one command from buf[0..len). Returns:
 *  RESP_OK: *consumed = bytes of that command; *argc and *argv valid (argv[i].ptr point INTO
 *           buf, or into the parser for unescaped quoted inline arguments) until the next call.
 *           argc may be 0 for an empty inline line or "*0\r\n"/"*-1\r\n" (caller skips it).
 *  RESP_INCOMPLETE: need more bytes. The parser keeps its progress: the caller calls again later
 *           with the SAME command start (the buffer may have moved) and more bytes appended.
 *  RESP_ERR: sticky; resp_request_error(r) gives the message (without "-ERR " prefix) and every
 *           later call returns RESP_ERR until resp_request_reset().
 * *consumed is 0 and *argc is 0 unless RESP_OK. */
int resp_request_parse(struct resp_request *r, const char *buf, size_t len, size_t *consumed,
                       size_t *argc, struct resp_arg **argv);
const char *resp_request_error(const struct resp_request *r);
/* Forget any progress and the sticky error; the next call starts a new command. */
void resp_request_reset(struct resp_request *r);
/* When the parser is in the middle of a bulk argument: how many more bytes it needs for that
 * argument (including its CRLF), else 0. Lets the caller size reads for large values. */
size_t resp_request_bulk_remaining(const struct resp_request *r);
/* Bytes the parser holds besides the query buffer (argument table, inline scratch): part of a
 * client's memory (the store's maxmemory-clients). */
size_t resp_request_mem_bytes(const struct resp_request *r);
/* True if the command being parsed (or, after RESP_OK, just returned) is inline. */
bool resp_request_is_inline(const struct resp_request *r);
/* While a password is required and not given, a request may announce at most
 * RESP_UNAUTH_MAX_ARGS arguments of at most RESP_UNAUTH_MAX_BULK_LEN bytes each; more is a sticky
 * error ("Protocol error: unauthenticated multibulk length" / "... bulk length", Redis's words)
 * after which the caller replies and closes. Redis's own numbers: enough for AUTH and HELLO AUTH,
 * too little for a stranger to make the server buffer megabytes. The caller sets the flag before
 * each parse call from its client's state (it survives resp_request_reset). */
#define RESP_UNAUTH_MAX_ARGS 10
#define RESP_UNAUTH_MAX_BULK_LEN 16384
void resp_request_set_unauthenticated(struct resp_request *r, bool is_unauthenticated);

/* ---- general value reader: replies from servers (and anything RESP2/3) --------------------- */
enum resp_type {
    RESP_T_SIMPLE,
    RESP_T_ERROR,
    RESP_T_INTEGER,
    RESP_T_BULK,
    RESP_T_ARRAY,
    RESP_T_NULL,
    RESP_T_DOUBLE,
    RESP_T_BOOL,
    RESP_T_BLOB_ERROR,
    RESP_T_VERBATIM,
    RESP_T_BIGNUM,
    RESP_T_MAP,
    RESP_T_SET,
    RESP_T_PUSH,
    RESP_T_ATTRIBUTE
};
/* Strings are NOT NUL-terminated: use len. */
struct resp_value {
    enum resp_type type;
    /* str/len: SIMPLE ERROR BULK BLOB_ERROR VERBATIM(without "txt:") BIGNUM, DOUBLE's text */
    const char *str;
    size_t len;
    long long integer; /* INTEGER; BOOL as 0/1 */
    double dbl;        /* DOUBLE */
    size_t count;      /* ARRAY SET PUSH: elements; MAP ATTRIBUTE: 2*pairs (interleaved) */
    struct resp_value *elems;
};
/* `$-1` and `*-1` are returned as RESP_T_NULL. An attribute (`|`) at the top level is returned as
 * a value of its own, RESP_T_ATTRIBUTE, before the value it annotates (skip it like a push); an
 * attribute inside an aggregate is parsed and dropped, so counts stay those of the data.
 * Streamed RESP3 aggregates and strings (`$?`, `*?`, ...) are refused with an error.
 * lim NULL means resp_limits_default; max_depth must be in 1..65536. */
struct resp_reader *resp_reader_create(const struct resp_limits *lim); /* owned by caller */
void resp_reader_destroy(struct resp_reader *r);
void resp_reader_feed(struct resp_reader *r, const char *data, size_t len); /* copies */
/* RESP_OK: *out is one complete top-level value, owned by the reader, valid until the next
 * resp_reader_next/feed/discard call. RESP_INCOMPLETE: feed more. RESP_ERR: sticky, see
 * resp_reader_error; from then on fed bytes are dropped and nothing is pending. */
int resp_reader_next(struct resp_reader *r, struct resp_value **out);
const char *resp_reader_error(const struct resp_reader *r); /* NULL when no error */
/* Bytes fed but not yet returned as values (e.g. a replica handshake hands the remainder on). */
size_t resp_reader_pending(const struct resp_reader *r);
const char *resp_reader_pending_data(const struct resp_reader *r);
/* Drop n (<= pending) pending bytes; a value partly parsed is forgotten. */
void resp_reader_discard(struct resp_reader *r, size_t n);

/* ---- writer ---------------------------------------------------------------------------------
 * proto is the connection's protocol: 3 (or more) writes RESP3, anything else RESP2. */
void resp_write_simple(struct buf *b, const char *s, size_t len); /* +s\r\n */
void resp_write_simple_str(struct buf *b, const char *s);
/* -s\r\n ; caller includes "ERR " etc. Any \r or \n in s replaced by spaces. */
void resp_write_error(struct buf *b, const char *s, size_t len);
void resp_write_error_str(struct buf *b, const char *s);
void resp_write_errorf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void resp_write_integer(struct buf *b, long long v);            /* :v\r\n */
void resp_write_bulk(struct buf *b, const char *s, size_t len); /* $len\r\ns\r\n */
void resp_write_bulk_str(struct buf *b, const char *s);
void resp_write_bulk_ll(struct buf *b, long long v);                 /* integer as bulk string */
void resp_write_null(struct buf *b, int proto);                      /* _\r\n or $-1\r\n */
void resp_write_null_array(struct buf *b, int proto);                /* _\r\n or *-1\r\n */
void resp_write_array_header(struct buf *b, size_t n);               /* *n\r\n */
void resp_write_map_header(struct buf *b, int proto, size_t npairs); /* %n or *2n */
void resp_write_set_header(struct buf *b, int proto, size_t n);      /* ~n or *n */
void resp_write_push_header(struct buf *b, int proto, size_t n);     /* >n or *n */
/* |n, and nothing in RESP2 */
void resp_write_attribute_header(struct buf *b, int proto, size_t npairs);
/* ,<util_double_to_str>\r\n or a bulk string of it ("inf", "-inf", "nan", %.17g as Redis). */
void resp_write_double(struct buf *b, int proto, double v);
void resp_write_bool(struct buf *b, int proto, bool v); /* #t/#f or :1/:0 */
/* =len+4\r\ntxt:s\r\n or a bulk string of s */
void resp_write_verbatim(struct buf *b, int proto, const char *s, size_t len);
void resp_write_bignum(struct buf *b, int proto, const char *digits, size_t len); /* ( or bulk */
/* Encode a command as a RESP array of bulk strings (clients, replication stream). */
void resp_write_command(struct buf *b, size_t argc, const struct resp_arg *argv);
void resp_write_commandv(struct buf *b, const char *const *argv, size_t argc);

/* ---- helpers shared by the resp*.c files, pure and usable by anyone ------------------------ */
/* Strict integer as Redis reads protocol lengths: optional '-', digits, no leading zeros, no
 * "-0", no '+', no spaces, no overflow. 0 on success, -1 otherwise. */
int resp_parse_ll(const char *s, size_t len, long long *out);
/* Index of the first "\r\n" whose '\r' lies in s[from..to-1), or RESP_LINE_MORE. */
size_t resp_find_crlf(const char *s, size_t from, size_t to);
#define RESP_LINE_MORE ((size_t)-1)    /* no CRLF yet: need more bytes */
#define RESP_LINE_TOO_BIG ((size_t)-2) /* no CRLF within the limit: the line is too long */
/* Finds the CRLF ending the line whose type byte is s[ls] (the line's content, after the type
 * byte, may hold up to `limit` bytes). Returns the index of its '\r', RESP_LINE_MORE or
 * RESP_LINE_TOO_BIG. *scan remembers how far the search got (start it at 0 for each new line),
 * so a line arriving a byte at a time is scanned once, not quadratically. Needs ls < len. */
size_t resp_find_line(const char *s, size_t ls, size_t len, size_t limit, size_t *scan);

#endif
