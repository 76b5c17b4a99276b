/* obj_pack: a packed array of small values in one contiguous allocation, the compact encoding
 * behind list nodes, small sets and small sorted sets (what Redis calls a "listpack"; this byte
 * format is Vigil's own and never leaves the process).
 *
 * Why: a pointer per element costs more than the element itself for short strings. Packing the
 * entries back to back makes 1,000 lists of 1,000 short items cost about what their bytes cost.
 *
 * Layout:   [u32 total_bytes LE][u16 count LE] entry entry ...            (no end marker)
 * Entry:    tag [payload] backlen
 *   tag 0xxxxxxx                 integer 0..127 (no payload)
 *   tag 10LLLLLL                 string of 0..63 bytes follows
 *   tag 110vvvvv v8              13-bit two's complement integer (-4096..4095)
 *   tag 1110LLLL L8              string of 0..4095 bytes follows
 *   tag 0xF0 L32                 string, 32-bit length
 *   tag 0xF1 / F2 / F3 / F4      integer in 2 / 3 / 4 / 8 little-endian bytes
 *   tag 0xF5 d64                 IEEE double (sorted-set scores)
 *   backlen: the byte size of tag+payload as a varint read BACKWARDS from the entry's end: the
 *   last byte holds the low 7 bits, bit 7 set means "another, more significant, byte precedes".
 *   It lets a reader step to the previous entry without an index.
 *
 * Invariants: total_bytes == header + sum of entry sizes; count == number of entries (< 65536);
 * offsets are byte offsets from the start (PACK_HEADER_BYTES is the first entry, total_bytes the
 * end), so they survive reallocation. Strings stored with try_int that are the canonical decimal
 * form of an int64 are stored as integers and read back as integers (s == NULL in pack_val).
 * Must not: do I/O, keep global state, or accept external bytes without validation (it has none).
 */
#ifndef VIGIL_OBJ_PACK_H
#define VIGIL_OBJ_PACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PACK_HEADER_BYTES 6u
#define PACK_MAX_COUNT 65535u
/* Room for any int64 in decimal plus NUL. */
#define PACK_NUMBUF 24

struct pack {
    unsigned char *data; /* always allocated (header at least) after pack_init */
    uint32_t cap;        /* allocated bytes */
};

/* A borrowed view of one entry: bytes (bytes != NULL) or an integer (bytes == NULL, value in
 * integer).
 * Valid until the pack is modified. */
struct pack_val {
    const char *bytes;
    size_t len;
    long long integer;
};

/* A search key prepared once: the bytes plus, if they are a canonical int64, that integer. */
struct pack_key {
    const char *bytes;
    size_t len;
    bool is_int;
    long long integer;
};

void pack_init(struct pack *pk);
void pack_free(struct pack *pk);
void pack_copy(struct pack *dst, const struct pack *src);
/* Release spare capacity (used when a list node stops growing). */
void pack_shrink_to_fit(struct pack *pk);

static inline uint32_t pack_bytes(const struct pack *pk)
{
    const unsigned char *p = pk->data;
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint32_t pack_count(const struct pack *pk)
{
    return (uint32_t)pk->data[4] | (uint32_t)pk->data[5] << 8;
}

/* Navigation. An offset equal to pack_bytes() is "the end". pack_prev of the first entry and
 * pack_last of an empty pack return 0 (never a valid entry offset). */
static inline uint32_t pack_first(const struct pack *pk)
{
    (void)pk;
    return PACK_HEADER_BYTES;
}
uint32_t pack_next(const struct pack *pk, uint32_t off);
uint32_t pack_prev(const struct pack *pk, uint32_t off);
uint32_t pack_last(const struct pack *pk);
/* Offset of the entry at index idx (0-based from the head), walking from the nearer end. */
uint32_t pack_seek(const struct pack *pk, uint32_t idx);

void pack_get(const struct pack *pk, uint32_t off, struct pack_val *out);
double pack_get_double(const struct pack *pk, uint32_t off);

/* Bytes an entry would take (tag + payload + backlen), to check limits before inserting. */
size_t pack_entry_size_str(const char *s, size_t len, bool try_int);

/* Insert before the entry at `off` (off == pack_bytes() appends); returns the new entry's
 * offset. */
uint32_t pack_insert_str(struct pack *pk, uint32_t off, const char *s, size_t len, bool try_int);
uint32_t pack_insert_int(struct pack *pk, uint32_t off, long long v);
uint32_t pack_insert_double(struct pack *pk, uint32_t off, double d);
void pack_replace_str(struct pack *pk, uint32_t off, const char *s, size_t len, bool try_int);
void pack_replace_double(struct pack *pk, uint32_t off, double d);
/* Delete n entries starting at off; returns off (now the entry after the deleted ones). */
uint32_t pack_delete(struct pack *pk, uint32_t off, uint32_t n);
/* Move the entries from `off` to the end into an empty pack `dst` (node splitting). */
void pack_split_to(struct pack *pk, uint32_t off, struct pack *dst);
/* Append all entries of src to the end of dst (node merging). */
void pack_append_all(struct pack *dst, const struct pack *src);

void pack_key_init(struct pack_key *k, const char *s, size_t len);
bool pack_eq(const struct pack *pk, uint32_t off, const struct pack_key *k);
bool pack_val_eq(const struct pack_val *v, const struct pack_key *k);
/* Compare the entry with raw bytes as memcmp-then-length order (lexicographic, shorter first). */
int pack_cmp_bytes(const struct pack *pk, uint32_t off, const char *s, size_t len);

/* An integer's decimal form into buf[PACK_NUMBUF]; returns the length. */
size_t pack_format_ll(char *buf, long long v);
/* The value as bytes: v's own bytes, or an integer formatted into buf[PACK_NUMBUF]. */
const char *pack_val_str(const struct pack_val *v, char *buf, size_t *len);
/* True if s is the canonical decimal form of an int64 (what SET/GET would round-trip). */
bool pack_str_to_ll(const char *s, size_t len, long long *out);

#endif
