/*
 * hash.c — SHA-256 as lowercase hex (libsodium); see hash.h.
 */
#include "hash.h"

#include <sodium.h>

void dg_sha256_hex(const void *data, size_t len, char hex[DG_SHA256_HEX])
{
    /*
     * sodium_init() is idempotent and thread-safe. Its only failure mode is the random
     * generator, which SHA-256 does not use, so hashing proceeds whatever it returns.
     */
    if (sodium_init() < 0) {
        /* nothing to do: see above */
    }
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, data, len);
    sodium_bin2hex(hex, DG_SHA256_HEX, digest, sizeof digest);
}
