/* SHA-256 and HMAC-SHA256 against the published vectors (FIPS 180-4 examples, NIST's long
 * messages, RFC 4231), streaming split at every byte, and the constant-time comparisons. */
#include <criterion/criterion.h>
#include <string.h>

#include "common/sha256.h"
#include "common/util.h"

static void hex_of(const void *data, size_t len, char out[65])
{
    uint8_t d[SHA256_DIGEST_LEN];
    sha256(data, len, d);
    sha256_hex(d, out);
}

Test(sha256, digest_matches_fips_vectors)
{
    static const struct {
        const char *msg, *hex;
    } v[] = {
        {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
        {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
        {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
        {"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrl"
         "m"
         "nopqrsmnopqrstnopqrstu",
         "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"},
    };
    char out[65];
    for (size_t i = 0; i < ARRAY_LEN(v); i++) {
        hex_of(v[i].msg, strlen(v[i].msg), out);
        cr_assert_str_eq(out, v[i].hex, "vector %zu", i);
    }
}

Test(sha256, million_a_in_uneven_chunks)
{
    static char chunk[997];
    memset(chunk, 'a', sizeof(chunk));
    struct sha256_ctx c;
    sha256_init(&c);
    size_t left = 1000000;
    while (left > 0) {
        size_t n = left < sizeof(chunk) ? left : sizeof(chunk);
        sha256_update(&c, chunk, n);
        left -= n;
    }
    uint8_t d[32];
    char out[65];
    sha256_final(&c, d);
    sha256_hex(d, out);
    cr_assert_str_eq(out, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

Test(sha256, any_split_gives_the_one_shot_digest)
{
    /* lengths around the 55/56/64 byte padding boundaries */
    char msg[130];
    for (size_t i = 0; i < sizeof(msg); i++) msg[i] = (char)('A' + i % 26);
    for (size_t len = 50; len <= sizeof(msg); len++) {
        uint8_t want[32];
        sha256(msg, len, want);
        for (size_t cut = 0; cut <= len; cut++) {
            struct sha256_ctx c;
            uint8_t got[32];
            sha256_init(&c);
            sha256_update(&c, msg, cut);
            sha256_update(&c, msg + cut, len - cut);
            sha256_final(&c, got);
            cr_assert(memcmp(got, want, 32) == 0, "len %zu cut %zu", len, cut);
        }
    }
}

static void hmac_hex(const void *k, size_t kl, const void *m, size_t ml, char out[65])
{
    uint8_t d[32];
    hmac_sha256(k, kl, m, ml, d);
    sha256_hex(d, out);
}

Test(sha256, hmac_matches_rfc4231)
{
    char out[65];
    uint8_t k20[20], k131[131], d50[50], k25[25];
    memset(k20, 0x0b, sizeof(k20));
    hmac_hex(k20, 20, "Hi There", 8, out);
    cr_assert_str_eq(out, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    const char *m2 = "what do ya want for nothing?";
    hmac_hex("Jefe", 4, m2, strlen(m2), out);
    cr_assert_str_eq(out, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    memset(k20, 0xaa, sizeof(k20));
    memset(d50, 0xdd, sizeof(d50));
    hmac_hex(k20, 20, d50, 50, out);
    cr_assert_str_eq(out, "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
    for (int i = 0; i < 25; i++) k25[i] = (uint8_t)(i + 1);
    memset(d50, 0xcd, sizeof(d50));
    hmac_hex(k25, 25, d50, 50, out);
    cr_assert_str_eq(out, "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
    memset(k131, 0xaa, sizeof(k131));
    const char *m6 = "Test Using Larger Than Block-Size Key - Hash Key First";
    hmac_hex(k131, 131, m6, strlen(m6), out);
    cr_assert_str_eq(out, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
    const char *m7 =
        "This is a test using a larger than block-size key and a larger than block-size "
        "data. The key needs to be hashed before being used by the HMAC algorithm.";
    hmac_hex(k131, 131, m7, strlen(m7), out);
    cr_assert_str_eq(out, "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
}

Test(sha256, equal_compares_every_byte)
{
    cr_assert(sha256_equal("abcd", "abcd", 4));
    cr_assert_not(sha256_equal("abcd", "abce", 4));
    cr_assert_not(sha256_equal("xbcd", "abcd", 4));
}
