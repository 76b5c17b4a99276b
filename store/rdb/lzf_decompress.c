/* lzf_decompress: the decoder for LZF, the byte-oriented LZ77 variant Redis uses to compress
 * long strings inside RDB files (string encoding 0xC3). Written from the format description:
 *
 *   the input is a sequence of chunks, each introduced by a control byte c:
 *     c < 32          literal run: copy the next c + 1 input bytes to the output
 *     c >= 32         back reference: len = c >> 5 (1..6; 7 means "7 + the next byte"),
 *                     distance = ((c & 31) << 8 | next byte) + 1; copy len + 2 bytes from
 *                     `distance` bytes before the current output end (the source may overlap
 *                     the bytes being produced, which repeats a short pattern).
 *
 * Why our own: the brief forbids vendoring, and the decoder is a few dozen lines.
 * Invariants: every read is checked against in_len, every write against out_len, every back
 * reference against the bytes already produced; success means exactly out_len bytes came out
 * and the input was consumed exactly. Pure: no allocation, no I/O. */
#include <string.h>

#include "common/util.h"
#include "store/rdb/rdb.h"

int lzf_decompress(const void *in, size_t in_len, void *out, size_t out_len)
{
    const unsigned char *ip = in, *iend = ip + in_len;
    unsigned char *op = out, *ostart = out, *oend = op + out_len;

    while (ip < iend) {
        unsigned c = *ip++;
        if (c < 32) {
            size_t run = (size_t)c + 1;
            if ((size_t)(iend - ip) < run || (size_t)(oend - op) < run) return -1;
            memcpy(op, ip, run);
            op += run;
            ip += run;
            continue;
        }
        size_t len = c >> 5;
        if (len == 7) {
            if (ip >= iend) return -1;
            len += *ip++;
        }
        if (ip >= iend) return -1;
        size_t distance = (((size_t)c & 31) << 8 | *ip++) + 1;
        len += 2;
        if ((size_t)(op - ostart) < distance || (size_t)(oend - op) < len) return -1;
        /* The source may overlap what is being produced (distance < len repeats a pattern).
         * Everything from ref on has period `distance`, so copying from ref stays correct for
         * any piece up to op - ref bytes, which never overlaps and doubles each round. */
        const unsigned char *ref = op - distance;
        while (len > 0) {
            size_t piece = MIN(len, (size_t)(op - ref));
            memcpy(op, ref, piece);
            op += piece;
            len -= piece;
        }
    }
    return op == oend ? 0 : -1;
}
