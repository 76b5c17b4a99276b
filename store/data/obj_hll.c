/* obj_hll: see obj_hll.h for the byte layout. Sparse HLLs are edited by decoding the opcodes
 * into a full register array, changing it and re-encoding: simple, and bounded (16 KB of work)
 * for the few thousand register changes a sparse HLL sees before it turns dense. A register
 * that would not change is detected first by walking the opcodes, which is the common case. */
#include "store/data/obj_hll.h"

#include <math.h>
#include <string.h>

#include "common/util.h"

#define HLL_P 14
#define HLL_Q (64 - HLL_P)   /* hash bits left after the register index */
#define HLL_HIST (HLL_Q + 2) /* register values 0 .. Q + 1 */
#define HLL_PAYLOAD (OBJ_HLL_DENSE_BYTES - OBJ_HLL_HEADER_BYTES)
#define HLL_ENC_DENSE 0
#define HLL_ENC_SPARSE 1
#define HLL_STALE (1ULL << 63)
#define HLL_SEED 0x5649474C48594C4CULL /* "VIGLHYLL" */

static const unsigned char hll_magic[4] = {'V', 'H', 'L', 'L'};

/* ---- hash: MurmurHash64A's construction (multiply, shift-xor mixing) -------------------- */

uint64_t obj_hll_hash(const void *key, size_t len)
{
    const uint64_t mul = 0xc6a4a7935bd1e995ULL;
    const int shift = 47;
    const unsigned char *p = key;
    uint64_t h = HLL_SEED ^ (len * mul);
    for (size_t i = 0; i + 8 <= len; i += 8) {
        uint64_t k = 0;
        for (int b = 7; b >= 0; b--) k = k << 8 | p[i + (size_t)b]; /* little-endian load */
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

static void hll_header(unsigned char *p, int enc)
{
    memcpy(p, hll_magic, 4);
    p[4] = (unsigned char)enc;
    p[5] = p[6] = p[7] = 0;
    wr64(p + 8, HLL_STALE);
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

/* ---- sparse opcodes ---------------------------------------------------------------------- */

/* Walk the opcodes; calls emit(ctx, first_register, count, value) per run. Returns 0 if they
 * cover exactly 16384 registers without running past the payload, else -1. */
typedef void (*run_fn)(void *ctx, uint32_t first, uint32_t count, uint8_t value);

static int sparse_walk(const unsigned char *p, size_t len, run_fn emit, void *ctx)
{
    uint32_t reg = 0;
    for (size_t i = 0; i < len;) {
        unsigned b = p[i];
        uint32_t count;
        uint8_t value = 0;
        if (b < 0x80) {
            count = b + 1, i += 1;
        } else if (b < 0xC0) {
            if (i + 1 >= len) return -1;
            count = ((b & 0x3f) << 8 | p[i + 1]) + 1, i += 2;
        } else {
            value = (uint8_t)(((b >> 1) & 0x1f) + 1), count = (b & 1) + 1, i += 1;
        }
        if (count > OBJ_HLL_REGISTERS - reg) return -1;
        if (emit) emit(ctx, reg, count, value);
        reg += count;
    }
    return reg == OBJ_HLL_REGISTERS ? 0 : -1;
}

static void run_to_regs(void *ctx, uint32_t first, uint32_t count, uint8_t value)
{
    memset((uint8_t *)ctx + first, value, count);
}

/* Encode registers as sparse opcodes into out (capacity cap). Returns the length, or 0 if a
 * value does not fit the sparse form or the result would exceed cap. */
static size_t sparse_encode(const uint8_t *regs, unsigned char *out, size_t cap)
{
    size_t n = 0;
    for (uint32_t i = 0; i < OBJ_HLL_REGISTERS;) {
        uint32_t run = 1;
        while (i + run < OBJ_HLL_REGISTERS && regs[i + run] == regs[i]) run++;
        uint8_t v = regs[i];
        if (v > OBJ_HLL_SPARSE_MAX_VALUE) return 0;
        for (uint32_t left = run; left;) {
            uint32_t take;
            if (n + 2 > cap) return 0;
            if (v == 0 && left <= 128) {
                take = left;
                out[n++] = (unsigned char)(take - 1);
            } else if (v == 0) {
                take = left;
                out[n++] = (unsigned char)(0x80 | ((take - 1) >> 8));
                out[n++] = (unsigned char)((take - 1) & 0xff);
            } else {
                take = MIN(left, 2u);
                out[n++] = (unsigned char)(0xC0 | (v - 1) << 1 | (take - 1));
            }
            left -= take;
        }
        i += run;
    }
    return n;
}

/* ---- validation and decoding ------------------------------------------------------------- */

int obj_hll_validate(const void *data, size_t len)
{
    const unsigned char *p = data;
    if (len < OBJ_HLL_HEADER_BYTES || memcmp(p, hll_magic, 4) != 0) return OBJ_HLL_ERR_INVALID;
    if (p[5] || p[6] || p[7]) return OBJ_HLL_ERR_INVALID;
    if (p[4] == HLL_ENC_DENSE) return len == OBJ_HLL_DENSE_BYTES ? 0 : OBJ_HLL_ERR_INVALID;
    if (p[4] != HLL_ENC_SPARSE) return OBJ_HLL_ERR_INVALID;
    return sparse_walk(p + OBJ_HLL_HEADER_BYTES, len - OBJ_HLL_HEADER_BYTES, NULL, NULL) == 0
               ? 0
               : OBJ_HLL_ERR_INVALID;
}

bool obj_hll_is_sparse(const void *p, size_t len)
{
    return obj_hll_validate(p, len) == 0 && ((const unsigned char *)p)[4] == HLL_ENC_SPARSE;
}

/* Registers of a valid HLL into regs[16384]. */
static void hll_decode(const unsigned char *p, size_t len, uint8_t *regs)
{
    if (p[4] == HLL_ENC_DENSE) {
        for (uint32_t i = 0; i < OBJ_HLL_REGISTERS; i++)
            regs[i] = dense_get(p + OBJ_HLL_HEADER_BYTES, i);
        return;
    }
    int rc = sparse_walk(p + OBJ_HLL_HEADER_BYTES, len - OBJ_HLL_HEADER_BYTES, run_to_regs, regs);
    ASSERT(rc == 0);
}

/* Replace b's contents with an HLL holding regs: sparse if allowed and it fits, else dense. */
static void hll_store(struct buf *b, const uint8_t *regs, bool allow_sparse)
{
    unsigned char ops[OBJ_HLL_SPARSE_MAX_BYTES];
    size_t n = allow_sparse ? sparse_encode(regs, ops, sizeof ops) : 0;
    unsigned char hdr[OBJ_HLL_HEADER_BYTES];
    hll_header(hdr, n ? HLL_ENC_SPARSE : HLL_ENC_DENSE);
    buf_clear(b);
    buf_append(b, hdr, sizeof hdr);
    if (n) {
        buf_append(b, ops, n);
        return;
    }
    unsigned char *dense = (unsigned char *)buf_space(b, HLL_PAYLOAD);
    memset(dense, 0, HLL_PAYLOAD);
    for (uint32_t i = 0; i < OBJ_HLL_REGISTERS; i++) dense_set(dense, i, regs[i]);
    buf_commit(b, HLL_PAYLOAD);
}

void obj_hll_create(struct buf *out)
{
    unsigned char hdr[OBJ_HLL_HEADER_BYTES];
    hll_header(hdr, HLL_ENC_SPARSE);
    wr64(hdr + 8, 0); /* an empty HLL counts 0: the cache is valid */
    /* One long zero run covering every register. */
    const unsigned char ops[2] = {0x80 | ((OBJ_HLL_REGISTERS - 1) >> 8),
                                  (OBJ_HLL_REGISTERS - 1) & 0xff};
    buf_clear(out);
    buf_append(out, hdr, sizeof hdr);
    buf_append(out, ops, sizeof ops);
}

/* ---- add --------------------------------------------------------------------------------- */

/* Value of one register of a valid sparse payload. */
static uint8_t sparse_get(const unsigned char *p, size_t len, uint32_t index)
{
    uint32_t reg = 0;
    for (size_t i = 0; i < len;) {
        unsigned b = p[i];
        uint32_t count;
        uint8_t value = 0;
        if (b < 0x80) {
            count = b + 1, i += 1;
        } else if (b < 0xC0) {
            count = ((b & 0x3f) << 8 | p[i + 1]) + 1, i += 2;
        } else {
            value = (uint8_t)(((b >> 1) & 0x1f) + 1), count = (b & 1) + 1, i += 1;
        }
        if (index < reg + count) return value;
        reg += count;
    }
    ASSERT(0 && "register beyond a validated sparse payload");
    return 0;
}

int obj_hll_add(struct buf *hll, const void *elem, size_t len)
{
    ASSERT(hll->pos == 0);
    if (obj_hll_validate(hll->data, hll->len) != 0) return OBJ_HLL_ERR_INVALID;
    uint32_t index;
    uint8_t value;
    hll_position(elem, len, &index, &value);
    unsigned char *p = (unsigned char *)hll->data;
    if (p[4] == HLL_ENC_DENSE) {
        if (value <= dense_get(p + OBJ_HLL_HEADER_BYTES, index)) return 0;
        dense_set(p + OBJ_HLL_HEADER_BYTES, index, value);
        wr64(p + 8, HLL_STALE);
        return 1;
    }
    if (value <= sparse_get(p + OBJ_HLL_HEADER_BYTES, hll->len - OBJ_HLL_HEADER_BYTES, index))
        return 0;
    uint8_t regs[OBJ_HLL_REGISTERS];
    hll_decode(p, hll->len, regs);
    regs[index] = value;
    hll_store(hll, regs, true); /* turns dense if the sparse form no longer fits */
    return 1;
}

/* ---- count ------------------------------------------------------------------------------- */

static void run_to_hist(void *ctx, uint32_t first, uint32_t count, uint8_t value)
{
    (void)first;
    ((uint32_t *)ctx)[MIN(value, HLL_Q + 1)] += count;
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
    const double m = OBJ_HLL_REGISTERS, alpha_inf = 0.5 / log(2.0);
    double z = m * hll_tau((m - hist[HLL_Q + 1]) / m);
    for (int k = HLL_Q; k >= 1; k--) {
        z += hist[k];
        z *= 0.5;
    }
    z += m * hll_sigma(hist[0] / m);
    return (uint64_t)llround(alpha_inf * m * m / z);
}

static uint64_t hll_compute(const unsigned char *p, size_t len)
{
    uint32_t hist[HLL_HIST] = {0};
    if (p[4] == HLL_ENC_DENSE) {
        for (uint32_t i = 0; i < OBJ_HLL_REGISTERS; i++)
            hist[MIN(dense_get(p + OBJ_HLL_HEADER_BYTES, i), HLL_Q + 1)]++;
    } else {
        sparse_walk(p + OBJ_HLL_HEADER_BYTES, len - OBJ_HLL_HEADER_BYTES, run_to_hist, hist);
    }
    return hll_estimate(hist);
}

int obj_hll_count(const void *data, size_t len, uint64_t *card)
{
    if (obj_hll_validate(data, len) != 0) return OBJ_HLL_ERR_INVALID;
    const unsigned char *p = data;
    uint64_t cached = rd64(p + 8);
    *card = (cached & HLL_STALE) ? hll_compute(p, len) : cached;
    return 0;
}

int obj_hll_count_cached(void *data, size_t len, uint64_t *card)
{
    if (obj_hll_validate(data, len) != 0) return OBJ_HLL_ERR_INVALID;
    unsigned char *p = data;
    uint64_t cached = rd64(p + 8);
    if (!(cached & HLL_STALE)) {
        *card = cached;
        return 0;
    }
    *card = hll_compute(p, len);
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
        for (uint32_t i = 0; i < OBJ_HLL_REGISTERS; i++)
            regs->registers[i] = MAX(regs->registers[i], dense_get(p + OBJ_HLL_HEADER_BYTES, i));
        return 0;
    }
    sparse_walk(p + OBJ_HLL_HEADER_BYTES, len - OBJ_HLL_HEADER_BYTES, run_to_max, regs->registers);
    return 0;
}

uint64_t obj_hll_regs_count(const struct obj_hll_regs *regs)
{
    uint32_t hist[HLL_HIST] = {0};
    for (uint32_t i = 0; i < OBJ_HLL_REGISTERS; i++) hist[MIN(regs->registers[i], HLL_Q + 1)]++;
    return hll_estimate(hist);
}

void obj_hll_regs_store(const struct obj_hll_regs *regs, struct buf *out)
{
    hll_store(out, regs->registers, !regs->any_dense);
}
