/* obj_hll: see obj_hll.h for the byte layout. Sparse HLLs are edited the way Redis edits them,
 * because the bytes must match Redis's for the same PFADD sequence (established by comparing
 * GET output with redis-server 7.0, tests/compat/diff/hll.txt): the one opcode covering the
 * register is replaced by at most three (run before, the new value, run after), and then equal
 * neighbouring VAL opcodes within a short window are joined. A canonical re-encoding of the
 * registers would give other bytes (e.g. VAL runs split 1+4 instead of 4+1). */
#include "store/data/obj_hll.h"

#include <math.h>
#include <string.h>

#include "common/util.h"

#define HLL_P 14
#define HLL_Q (64 - HLL_P) /* hash bits left after the register index */
#define HLL_PAYLOAD (OBJ_HLL_DENSE_BYTES - OBJ_HLL_HEADER_BYTES)
#define HLL_ENC_DENSE 0
#define HLL_ENC_SPARSE 1
#define HLL_STALE_BYTE 15
#define HLL_STALE_BIT 0x80
#define HLL_ZERO_MAX 64
#define HLL_VAL_MAX_RUN 4
#define HLL_MERGE_WINDOW 5                    /* opcodes examined for joining after an edit */
#define HLL_ALPHA_INF 0.721347520444481703680 /* 1 / (2 ln 2) */

static const unsigned char hll_magic[4] = {'H', 'Y', 'L', 'L'};

/* ---- hash -------------------------------------------------------------------------------- */

uint64_t obj_hll_murmur64a(const void *key, size_t len, uint64_t seed)
{
    const uint64_t mul = 0xc6a4a7935bd1e995ULL;
    const int shift = 47;
    const unsigned char *p = key;
    uint64_t h = seed ^ ((uint64_t)len * mul);
    for (size_t i = 0; i + 8 <= len; i += 8) {
        uint64_t k;
        memcpy(&k, p + i, 8); /* little-endian hosts only (as the rest of the store) */
        k *= mul;
        k ^= k >> shift;
        k *= mul;
        h ^= k;
        h *= mul;
    }
    size_t tail = len & 7;
    if (tail) {
        const unsigned char *t = p + (len - tail);
        for (size_t b = tail; b-- > 0;) h ^= (uint64_t)t[b] << (8 * b);
        h *= mul;
    }
    h ^= h >> shift;
    h *= mul;
    h ^= h >> shift;
    return h;
}

uint64_t obj_hll_hash(const void *p, size_t len)
{
    return obj_hll_murmur64a(p, len, OBJ_HLL_HASH_SEED);
}

/* Register index and value for an element. */
static void hll_position(const void *elem, size_t len, uint32_t *index, uint8_t *value)
{
    uint64_t h = obj_hll_hash(elem, len);
    *index = (uint32_t)(h & (OBJ_HLL_REGISTERS - 1));
    uint64_t rest = (h >> HLL_P) | (1ULL << HLL_Q); /* sentinel: value at most Q + 1 */
    *value = (uint8_t)(__builtin_ctzll(rest) + 1);
}

/* ---- header ------------------------------------------------------------------------------ */

static uint64_t rd64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
    return v;
}

static void wr64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}

int obj_hll_validate(const void *data, size_t len)
{
    const unsigned char *p = data;
    if (len < OBJ_HLL_HEADER_BYTES || memcmp(p, hll_magic, 4) != 0) return OBJ_HLL_ERR_INVALID;
    if (p[4] == HLL_ENC_DENSE) return len == OBJ_HLL_DENSE_BYTES ? 0 : OBJ_HLL_ERR_INVALID;
    return p[4] == HLL_ENC_SPARSE ? 0 : OBJ_HLL_ERR_INVALID;
}

bool obj_hll_is_sparse(const void *p, size_t len)
{
    return obj_hll_validate(p, len) == 0 && ((const unsigned char *)p)[4] == HLL_ENC_SPARSE;
}

void obj_hll_invalidate(void *p, size_t len)
{
    ASSERT(len >= OBJ_HLL_HEADER_BYTES);
    ((unsigned char *)p)[HLL_STALE_BYTE] |= HLL_STALE_BIT;
}

void obj_hll_create(struct buf *out)
{
    /* Header with a valid zero cache, then one XZERO opcode covering every register. */
    static const unsigned char empty[OBJ_HLL_HEADER_BYTES + 2] = {
        'H', 'Y', 'L', 'L', HLL_ENC_SPARSE, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x7f, 0xff};
    buf_clear(out);
    buf_append(out, empty, sizeof empty);
}

/* ---- dense registers --------------------------------------------------------------------- */

static uint8_t dense_get(const unsigned char *regs, uint32_t i)
{
    size_t bit = (size_t)i * 6, byte = bit / 8;
    unsigned s = bit % 8;
    unsigned v = regs[byte] >> s;
    if (s > 2) v |= (unsigned)regs[byte + 1] << (8 - s);
    return (uint8_t)(v & 63);
}

static void dense_set(unsigned char *regs, uint32_t i, uint8_t val)
{
    size_t bit = (size_t)i * 6, byte = bit / 8;
    unsigned s = bit % 8;
    regs[byte] = (unsigned char)((regs[byte] & ~(63u << s)) | ((unsigned)val << s));
    if (s > 2) {
        unsigned hi = 8 - s; /* bits already written in the first byte */
        regs[byte + 1] = (unsigned char)((regs[byte + 1] & ~(63u >> hi)) | (val >> hi));
    }
}

/* All registers at once, four per three bytes: the hot loop of PFCOUNT and PFMERGE. */
static void dense_decode(const unsigned char *regs, uint8_t *out)
{
    for (uint32_t i = 0; i < OBJ_HLL_REGISTERS; i += 4, regs += 3) {
        out[i] = regs[0] & 63;
        out[i + 1] = (uint8_t)((regs[0] >> 6 | regs[1] << 2) & 63);
        out[i + 2] = (uint8_t)((regs[1] >> 4 | regs[2] << 4) & 63);
        out[i + 3] = regs[2] >> 2;
    }
}

/* ---- sparse opcodes ---------------------------------------------------------------------- */

struct hll_op {
    uint32_t span; /* registers covered */
    uint8_t value; /* 0 for ZERO and XZERO */
    uint8_t bytes; /* opcode length: 1 or 2 */
    bool is_xzero;
};

/* Decode the opcode at p[i] (i < len). A truncated XZERO reads its missing byte as 0. */
static struct hll_op op_decode(const unsigned char *p, size_t len, size_t i)
{
    unsigned b = p[i];
    if (b & 0x80) return (struct hll_op){(b & 3) + 1, (uint8_t)(((b >> 2) & 0x1f) + 1), 1, false};
    if (!(b & 0x40)) return (struct hll_op){(b & 0x3f) + 1, 0, 1, false};
    unsigned lo = i + 1 < len ? p[i + 1] : 0;
    return (struct hll_op){((b & 0x3f) << 8 | lo) + 1, 0, 2, true};
}

static size_t op_put_zero(unsigned char *out, uint32_t run)
{
    if (run <= HLL_ZERO_MAX) {
        out[0] = (unsigned char)(run - 1);
        return 1;
    }
    out[0] = (unsigned char)(0x40 | (run - 1) >> 8);
    out[1] = (unsigned char)((run - 1) & 0xff);
    return 2;
}

static size_t op_put_val(unsigned char *out, uint8_t value, uint32_t run)
{
    out[0] = (unsigned char)(0x80 | (value - 1) << 2 | (run - 1));
    return 1;
}

/* Walk the opcodes; calls emit(ctx, first_register, count, value) per run. 0 if they cover
 * exactly 16384 registers, else OBJ_HLL_ERR_CORRUPT (emit never sees a register past the end). */
typedef void (*run_fn)(void *ctx, uint32_t first, uint32_t count, uint8_t value);

static int sparse_walk(const unsigned char *p, size_t len, run_fn emit, void *ctx)
{
    uint32_t reg = 0;
    for (size_t i = 0; i < len;) {
        struct hll_op op = op_decode(p, len, i);
        if (op.span > OBJ_HLL_REGISTERS - reg) return OBJ_HLL_ERR_CORRUPT;
        if (emit) emit(ctx, reg, op.span, op.value);
        reg += op.span;
        i += op.bytes;
    }
    return reg == OBJ_HLL_REGISTERS ? 0 : OBJ_HLL_ERR_CORRUPT;
}

static void run_to_regs(void *ctx, uint32_t first, uint32_t count, uint8_t value)
{
    memset((uint8_t *)ctx + first, value, count);
}

int obj_hll_to_dense(struct buf *hll)
{
    if (obj_hll_validate(hll->data, hll->len) != 0) return OBJ_HLL_ERR_INVALID;
    unsigned char *p = (unsigned char *)hll->data;
    if (p[4] == HLL_ENC_DENSE) return 0;
    uint8_t regs[OBJ_HLL_REGISTERS] = {0};
    if (sparse_walk(p + OBJ_HLL_HEADER_BYTES, hll->len - OBJ_HLL_HEADER_BYTES, run_to_regs, regs) !=
        0)
        return OBJ_HLL_ERR_CORRUPT;
    unsigned char hdr[OBJ_HLL_HEADER_BYTES];
    memcpy(hdr, p, sizeof hdr); /* the cache and the unused bytes carry over */
    hdr[4] = HLL_ENC_DENSE;
    buf_clear(hll);
    buf_append(hll, hdr, sizeof hdr);
    unsigned char *dense = (unsigned char *)buf_space(hll, HLL_PAYLOAD);
    memset(dense, 0, HLL_PAYLOAD);
    for (uint32_t i = 0; i < OBJ_HLL_REGISTERS; i++) dense_set(dense, i, regs[i]);
    buf_commit(hll, HLL_PAYLOAD);
    return 0;
}

void obj_hll_sparse_text(const void *data, size_t len, struct buf *out)
{
    const unsigned char *p = data;
    for (size_t i = OBJ_HLL_HEADER_BYTES; i < len;) {
        struct hll_op op = op_decode(p, len, i);
        if (i > OBJ_HLL_HEADER_BYTES) buf_append_char(out, ' ');
        if (op.value)
            buf_printf(out, "v:%u,%u", op.value, op.span);
        else
            buf_printf(out, "%c:%u", op.is_xzero ? 'Z' : 'z', op.span);
        i += op.bytes;
    }
}

/* Join equal neighbouring VAL opcodes (total run <= 4), examining a few opcodes from `from`. */
static void sparse_join(struct buf *hll, size_t from)
{
    unsigned char *p = (unsigned char *)hll->data;
    size_t i = from;
    for (int window = HLL_MERGE_WINDOW; i < hll->len && window-- > 0;) {
        struct hll_op a = op_decode(p, hll->len, i);
        if (!a.value || i + 1 >= hll->len || !(p[i + 1] & 0x80)) {
            i += a.bytes;
            continue;
        }
        struct hll_op b = op_decode(p, hll->len, i + 1);
        if (a.value != b.value || a.span + b.span > HLL_VAL_MAX_RUN) {
            i++;
            continue;
        }
        op_put_val(p + i, a.value, a.span + b.span);
        memmove(p + i + 1, p + i + 2, hll->len - i - 2);
        hll->len--; /* stay on i: it may join its new neighbour too */
    }
}

/* Replace the opcode of `old_bytes` bytes at `at` with seq[0..n). An XZERO cut short by the end
 * of the string (one byte there, two counted) changes the length by n - 2 and keeps only the
 * part of seq that fits, which is what redis-server stores for such bytes. */
static void sparse_splice(struct buf *hll, size_t at, size_t old_bytes, const unsigned char *seq,
                          size_t n)
{
    if (at + old_bytes > hll->len) {
        size_t keep = hll->len + n - old_bytes - at; /* old_bytes - (len - at) == 1 */
        hll->len = at;
        buf_append(hll, seq, MIN(keep, n));
        return;
    }
    if (n > old_bytes) buf_reserve(hll, n - old_bytes);
    unsigned char *p = (unsigned char *)hll->data;
    memmove(p + at + n, p + at + old_bytes, hll->len - at - old_bytes);
    memcpy(p + at, seq, n);
    hll->len = hll->len - old_bytes + n;
}

static int dense_raise(struct buf *hll, uint32_t index, uint8_t value)
{
    unsigned char *regs = (unsigned char *)hll->data + OBJ_HLL_HEADER_BYTES;
    if (value <= dense_get(regs, index)) return 0;
    dense_set(regs, index, value);
    obj_hll_invalidate(hll->data, hll->len);
    return 1;
}

static int sparse_promote(struct buf *hll, uint32_t index, uint8_t value)
{
    int rc = obj_hll_to_dense(hll);
    return rc != 0 ? rc : dense_raise(hll, index, value);
}

/* The opcodes replacing run `op` (starting at register `first`) once index holds value. */
static size_t sparse_split(struct hll_op op, uint32_t first, uint32_t index, uint8_t value,
                           unsigned char seq[5])
{
    uint32_t last = first + op.span - 1;
    size_t n = 0;
    if (index != first)
        n += op.value ? op_put_val(seq + n, op.value, index - first)
                      : op_put_zero(seq + n, index - first);
    n += op_put_val(seq + n, value, 1);
    if (index != last)
        n += op.value ? op_put_val(seq + n, op.value, last - index)
                      : op_put_zero(seq + n, last - index);
    return n;
}

static int sparse_set(struct buf *hll, uint32_t index, uint8_t value, size_t max_bytes)
{
    if (value > OBJ_HLL_SPARSE_MAX_VALUE) return sparse_promote(hll, index, value);
    unsigned char *p = (unsigned char *)hll->data;
    size_t i = OBJ_HLL_HEADER_BYTES, prev = 0;
    uint32_t first = 0;
    struct hll_op op = {0};
    for (; i < hll->len; i += op.bytes) {
        op = op_decode(p, hll->len, i);
        if (index < first + op.span) break;
        prev = i;
        first += op.span;
    }
    if (i >= hll->len) return OBJ_HLL_ERR_CORRUPT; /* the opcodes end before the register */
    if (op.value >= value) return 0;
    if (op.span == 1 && !op.is_xzero) {
        op_put_val(p + i, value, 1); /* a single register: rewritten in place */
    } else {
        unsigned char seq[5];
        size_t n = sparse_split(op, first, index, value, seq);
        if (n > op.bytes && hll->len + (n - op.bytes) > max_bytes)
            return sparse_promote(hll, index, value);
        sparse_splice(hll, i, op.bytes, seq, n);
    }
    sparse_join(hll, prev ? prev : OBJ_HLL_HEADER_BYTES);
    obj_hll_invalidate(hll->data, hll->len);
    return 1;
}

int obj_hll_set(struct buf *hll, uint32_t index, uint8_t value, size_t sparse_max_bytes)
{
    ASSERT(hll->pos == 0 && index < OBJ_HLL_REGISTERS);
    if (obj_hll_validate(hll->data, hll->len) != 0) return OBJ_HLL_ERR_INVALID;
    if (((const unsigned char *)hll->data)[4] == HLL_ENC_DENSE)
        return dense_raise(hll, index, value);
    return sparse_set(hll, index, value, sparse_max_bytes);
}

int obj_hll_add(struct buf *hll, const void *elem, size_t len, size_t sparse_max_bytes)
{
    uint32_t index;
    uint8_t value;
    hll_position(elem, len, &index, &value);
    return obj_hll_set(hll, index, value, sparse_max_bytes);
}

int obj_hll_get_register(const void *data, size_t len, uint32_t index)
{
    if (obj_hll_validate(data, len) != 0) return OBJ_HLL_ERR_INVALID;
    const unsigned char *p = data;
    if (index >= OBJ_HLL_REGISTERS) return OBJ_HLL_ERR_CORRUPT;
    if (p[4] == HLL_ENC_DENSE) return dense_get(p + OBJ_HLL_HEADER_BYTES, index);
    static uint8_t regs[OBJ_HLL_REGISTERS]; /* debug path only */
    memset(regs, 0, sizeof regs);
    if (sparse_walk(p + OBJ_HLL_HEADER_BYTES, len - OBJ_HLL_HEADER_BYTES, run_to_regs, regs))
        return OBJ_HLL_ERR_CORRUPT;
    return regs[index];
}

/* ---- count ------------------------------------------------------------------------------- */

/* The histogram has a slot per 6-bit value; values above Q + 1 (only in damaged dense
 * registers) are counted nowhere, as Redis does. */
#define HLL_HIST 64

static void run_to_hist(void *ctx, uint32_t first, uint32_t count, uint8_t value)
{
    (void)first;
    ((uint32_t *)ctx)[value] += count;
}

/* Ertl, "New cardinality estimation algorithms for HyperLogLog sketches" (2017): sigma and tau
 * correct for registers that are still zero and registers that saturated. */
static double hll_sigma(double x)
{
    if (x == 1.0) return INFINITY;
    double y = 1.0, z = x, prev;
    do {
        x *= x;
        prev = z;
        z += x * y;
        y += y;
    } while (z != prev);
    return z;
}

static double hll_tau(double x)
{
    if (x == 0.0 || x == 1.0) return 0.0;
    double y = 1.0, z = 1.0 - x, prev;
    do {
        x = sqrt(x);
        prev = z;
        y *= 0.5;
        z -= (1.0 - x) * (1.0 - x) * y;
    } while (z != prev);
    return z / 3.0;
}

static uint64_t hll_estimate(const uint32_t *hist)
{
    const double m = OBJ_HLL_REGISTERS;
    double z = m * hll_tau((m - hist[HLL_Q + 1]) / m);
    for (int k = HLL_Q; k >= 1; k--) {
        z += hist[k];
        z *= 0.5;
    }
    z += m * hll_sigma(hist[0] / m);
    return (uint64_t)llroundl(HLL_ALPHA_INF * m * m / z);
}

static int hll_compute(const unsigned char *p, size_t len, uint64_t *card)
{
    uint32_t hist[HLL_HIST] = {0};
    if (p[4] == HLL_ENC_DENSE) {
        uint8_t regs[OBJ_HLL_REGISTERS];
        dense_decode(p + OBJ_HLL_HEADER_BYTES, regs);
        for (uint32_t i = 0; i < OBJ_HLL_REGISTERS; i++) hist[regs[i]]++;
    } else if (sparse_walk(p + OBJ_HLL_HEADER_BYTES, len - OBJ_HLL_HEADER_BYTES, run_to_hist,
                           hist) != 0) {
        return OBJ_HLL_ERR_CORRUPT;
    }
    *card = hll_estimate(hist);
    return 0;
}

int obj_hll_count(const void *data, size_t len, uint64_t *card)
{
    if (obj_hll_validate(data, len) != 0) return OBJ_HLL_ERR_INVALID;
    const unsigned char *p = data;
    if (!(p[HLL_STALE_BYTE] & HLL_STALE_BIT)) {
        *card = rd64(p + 8);
        return 0;
    }
    return hll_compute(p, len, card);
}

int obj_hll_count_cached(void *data, size_t len, uint64_t *card)
{
    if (obj_hll_validate(data, len) != 0) return OBJ_HLL_ERR_INVALID;
    unsigned char *p = data;
    if (!(p[HLL_STALE_BYTE] & HLL_STALE_BIT)) {
        *card = rd64(p + 8);
        return 0;
    }
    int rc = hll_compute(p, len, card);
    if (rc != 0) return rc;
    wr64(p + 8, *card);
    return 1;
}

/* ---- merge ------------------------------------------------------------------------------- */

void obj_hll_regs_init(struct obj_hll_regs *regs)
{
    memset(regs->registers, 0, sizeof regs->registers);
    regs->any_dense = false;
}

static void run_to_max(void *ctx, uint32_t first, uint32_t count, uint8_t value)
{
    uint8_t *r = ctx;
    for (uint32_t i = first; i < first + count; i++) r[i] = MAX(r[i], value);
}

int obj_hll_regs_merge(struct obj_hll_regs *regs, const void *hll, size_t len)
{
    if (obj_hll_validate(hll, len) != 0) return OBJ_HLL_ERR_INVALID;
    const unsigned char *p = hll;
    if (p[4] == HLL_ENC_DENSE) {
        regs->any_dense = true;
        uint8_t dense[OBJ_HLL_REGISTERS];
        dense_decode(p + OBJ_HLL_HEADER_BYTES, dense);
        for (uint32_t i = 0; i < OBJ_HLL_REGISTERS; i++)
            regs->registers[i] = MAX(regs->registers[i], dense[i]);
        return 0;
    }
    return sparse_walk(p + OBJ_HLL_HEADER_BYTES, len - OBJ_HLL_HEADER_BYTES, run_to_max,
                       regs->registers);
}

uint64_t obj_hll_regs_count(const struct obj_hll_regs *regs)
{
    uint32_t hist[HLL_HIST] = {0};
    for (uint32_t i = 0; i < OBJ_HLL_REGISTERS; i++) hist[regs->registers[i] & 63]++;
    return hll_estimate(hist);
}

int obj_hll_regs_store(const struct obj_hll_regs *regs, struct buf *dst, size_t sparse_max_bytes)
{
    int rc = regs->any_dense ? obj_hll_to_dense(dst) : obj_hll_validate(dst->data, dst->len);
    for (uint32_t i = 0; rc >= 0 && i < OBJ_HLL_REGISTERS; i++)
        if (regs->registers[i]) rc = obj_hll_set(dst, i, regs->registers[i], sparse_max_bytes);
    if (rc < 0) return rc;
    obj_hll_invalidate(dst->data, dst->len);
    return 0;
}
