/*
 * test_hash.c — the one SHA-256 entry point (base/hash) gives the FIPS 180-4 / NIST CAVP
 * test vectors, whether a message is hashed in one call or fed in pieces that cross the
 * 64-byte blocks, and a copied state hashes the same as the original (log.c relies on it).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "base/hash.h"

static const struct {
    const char *msg;
    size_t repeat; /* the message is msg repeated this many times */
    const char *hex;
} VECTORS[] = {
    /* FIPS 180-4 examples (NIST CSRC "SHA256.pdf") */
    {"abc", 1, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
    {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 1,
     "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
    {"", 1, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
    /* one million 'a' (FIPS 180-2 appendix B.3) */
    {"a", 1000000, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"},
    /* 896 bits (FIPS 180-4 two-block example) */
    {"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqr"
     "lmnopqrsmnopqrstnopqrstu",
     1, "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"},
};

static char *expand(size_t i, size_t *len)
{
    size_t one = strlen(VECTORS[i].msg);
    *len = one * VECTORS[i].repeat;
    char *m = malloc(*len + 1);
    assert_non_null(m);
    for (size_t r = 0; r < VECTORS[i].repeat; r++)
        memcpy(m + r * one, VECTORS[i].msg, one);
    m[*len] = '\0';
    return m;
}

static void test_one_call_gives_the_fips_vectors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof VECTORS / sizeof VECTORS[0]; i++) {
        size_t len;
        char *m = expand(i, &len), hex[DG_SHA256_HEX];
        dg_sha256_hex(m, len, hex);
        assert_string_equal(hex, VECTORS[i].hex);
        free(m);
    }
}

static void test_pieces_across_blocks_give_the_same(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof VECTORS / sizeof VECTORS[0]; i++) {
        size_t len;
        char *m = expand(i, &len), hex[DG_SHA256_HEX];
        static const size_t steps[] = {1, 3, 63, 64, 65, 1000};
        for (size_t s = 0; s < sizeof steps / sizeof steps[0]; s++) {
            dg_sha256_ctx h;
            dg_sha256_init(&h);
            for (size_t at = 0; at < len; at += steps[s])
                dg_sha256_update(&h, m + at, len - at < steps[s] ? len - at : steps[s]);
            unsigned char digest[DG_SHA256_BYTES];
            dg_sha256_final(&h, digest);
            dg_sha256_to_hex(digest, hex);
            assert_string_equal(hex, VECTORS[i].hex);
        }
        free(m);
    }
}

static void test_a_copied_state_hashes_alike(void **state)
{
    (void)state;
    dg_sha256_ctx a, b;
    dg_sha256_init(&a);
    dg_sha256_update(&a, "ab", 2);
    b = a;
    dg_sha256_update(&a, "c", 1);
    dg_sha256_update(&b, "c", 1);
    unsigned char da[DG_SHA256_BYTES], db[DG_SHA256_BYTES];
    dg_sha256_final(&a, da);
    dg_sha256_final(&b, db);
    char hex[DG_SHA256_HEX];
    dg_sha256_to_hex(db, hex);
    assert_memory_equal(da, db, DG_SHA256_BYTES);
    assert_string_equal(hex, VECTORS[0].hex);
}

/* RFC 4231's cases 1 (a short key) and 6 (a key longer than a block, hashed first). */
static void test_hmac_gives_the_rfc_4231_vectors(void **state)
{
    (void)state;
    unsigned char key1[20], key6[131], mac[DG_SHA256_BYTES];
    char hex[DG_SHA256_HEX];
    memset(key1, 0x0b, sizeof key1);
    memset(key6, 0xaa, sizeof key6);
    dg_hmac_sha256(key1, sizeof key1, "Hi There", 8, mac);
    dg_sha256_to_hex(mac, hex);
    assert_string_equal(hex, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    const char *data6 = "Test Using Larger Than Block-Size Key - Hash Key First";
    dg_hmac_sha256(key6, sizeof key6, data6, strlen(data6), mac);
    dg_sha256_to_hex(mac, hex);
    assert_string_equal(hex, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

/* The store names sealed objects by it as it did with libsodium's: the same MAC. */
static void test_hmac_is_libsodium_s(void **state)
{
    (void)state;
    assert_true(sodium_init() >= 0);
    static unsigned char data[70000];
    randombytes_buf(data, sizeof data);
    const size_t lens[] = {0, 1, 55, 56, 63, 64, 65, 1000, 4096, 69999, 70000};
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        unsigned char key[crypto_auth_hmacsha256_KEYBYTES], ours[DG_SHA256_BYTES],
            theirs[crypto_auth_hmacsha256_BYTES];
        randombytes_buf(key, sizeof key);
        dg_hmac_sha256(key, sizeof key, data, lens[i], ours);
        crypto_auth_hmacsha256_state st;
        crypto_auth_hmacsha256_init(&st, key, sizeof key);
        crypto_auth_hmacsha256_update(&st, data, lens[i]);
        crypto_auth_hmacsha256_final(&st, theirs);
        assert_memory_equal(ours, theirs, DG_SHA256_BYTES);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_call_gives_the_fips_vectors),
        cmocka_unit_test(test_pieces_across_blocks_give_the_same),
        cmocka_unit_test(test_a_copied_state_hashes_alike),
        cmocka_unit_test(test_hmac_gives_the_rfc_4231_vectors),
        cmocka_unit_test(test_hmac_is_libsodium_s),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
