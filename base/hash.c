/*
 * hash.c — SHA-256 (OpenSSL's libcrypto); see hash.h.
 *
 * Why libcrypto and not libsodium (which dangan keeps for everything else): libsodium's
 * SHA-256 is portable C, while libcrypto's uses the CPU's SHA extensions (SHA-NI) or
 * vectorised code. Measured on the development machine: 292 ns for a 500-byte log entry
 * against libsodium's 1,293 ns, and `log verify` hashes every entry twice.
 *
 * The SHA256_Init/Update/Final functions are deprecated in OpenSSL 3 in favour of EVP, but
 * remain in every 3.x: EVP dispatches each message through a provider (339 ns for the same
 * entry with a reused context, and the one-shot SHA256() fetches the algorithm on every
 * call), which costs more than hashing a log entry or a tree node. Hence the low-level
 * calls, with the deprecation warning switched off in this file only.
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "hash.h"

#include <openssl/sha.h>
#include <string.h>

_Static_assert(sizeof(SHA256_CTX) <= sizeof(((dg_sha256_ctx *)0)->state),
               "dg_sha256 must hold libcrypto's SHA256_CTX");
_Static_assert(_Alignof(SHA256_CTX) <= 8, "dg_sha256 is aligned for SHA256_CTX");

void dg_sha256_init(dg_sha256_ctx *s)
{
    /* SHA256_Init cannot fail for a valid pointer (it fills in constants). */
    SHA256_Init((SHA256_CTX *)(void *)s->state);
}

void dg_sha256_update(dg_sha256_ctx *s, const void *data, size_t len)
{
    SHA256_Update((SHA256_CTX *)(void *)s->state, data, len);
}

void dg_sha256_final(dg_sha256_ctx *s, unsigned char digest[DG_SHA256_BYTES])
{
    SHA256_Final(digest, (SHA256_CTX *)(void *)s->state);
}

void dg_sha256(const void *data, size_t len, unsigned char digest[DG_SHA256_BYTES])
{
    dg_sha256_ctx s;
    dg_sha256_init(&s);
    dg_sha256_update(&s, data, len);
    dg_sha256_final(&s, digest);
}

void dg_hmac_sha256(const unsigned char *key, size_t key_len, const void *data, size_t len,
                    unsigned char mac[DG_SHA256_BYTES])
{
    enum { BLOCK = 64 }; /* SHA-256's block: a longer key is hashed first (RFC 2104) */
    unsigned char block[BLOCK] = {0}, inner[DG_SHA256_BYTES];
    if (key_len > BLOCK)
        dg_sha256(key, key_len, block);
    else if (key_len)
        memcpy(block, key, key_len);
    unsigned char pad[BLOCK];
    dg_sha256_ctx s;
    for (int i = 0; i < BLOCK; i++)
        pad[i] = block[i] ^ 0x36;
    dg_sha256_init(&s);
    dg_sha256_update(&s, pad, BLOCK);
    dg_sha256_update(&s, data, len);
    dg_sha256_final(&s, inner);
    for (int i = 0; i < BLOCK; i++)
        pad[i] = block[i] ^ 0x5c;
    dg_sha256_init(&s);
    dg_sha256_update(&s, pad, BLOCK);
    dg_sha256_update(&s, inner, sizeof inner);
    dg_sha256_final(&s, mac);
    /* The key's pads are secrets: wiped as libsodium wipes its state. */
    volatile unsigned char *wipe[] = {block, pad};
    for (size_t w = 0; w < 2; w++)
        for (int i = 0; i < BLOCK; i++)
            wipe[w][i] = 0;
}

void dg_sha256_to_hex(const unsigned char digest[DG_SHA256_BYTES], char hex[DG_SHA256_HEX])
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < DG_SHA256_BYTES; i++) {
        hex[2 * i] = digits[digest[i] >> 4];
        hex[2 * i + 1] = digits[digest[i] & 15];
    }
    hex[2 * DG_SHA256_BYTES] = '\0';
}

void dg_sha256_hex(const void *data, size_t len, char hex[DG_SHA256_HEX])
{
    unsigned char digest[DG_SHA256_BYTES];
    dg_sha256(data, len, digest);
    dg_sha256_to_hex(digest, hex);
}
