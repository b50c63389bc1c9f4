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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_call_gives_the_fips_vectors),
        cmocka_unit_test(test_pieces_across_blocks_give_the_same),
        cmocka_unit_test(test_a_copied_state_hashes_alike),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
