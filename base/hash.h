/*
 * hash.h — SHA-256, the archive's one content hash and the access log's hash: the single
 * entry point every module hashes through (OpenSSL's libcrypto, which uses the CPU's SHA
 * instructions where it has them; see hash.c). Callers above the engine use the hex form
 * to name content (e.g. to find a duplicate source file) without touching the store.
 */
#ifndef DG_HASH_H
#define DG_HASH_H

#include <stddef.h>

#define DG_SHA256_HEX 65  /* 64 hex digits + NUL */
#define DG_SHA256_BYTES 32

/* A SHA-256 in progress. Opaque: its bytes are libcrypto's state (hash.c checks the size).
 * Needs no freeing; may be copied (to hash several messages that share a prefix). */
typedef struct dg_sha256_ctx {
    _Alignas(8) unsigned char state[128];
} dg_sha256_ctx;

void dg_sha256_init(dg_sha256_ctx *s);
void dg_sha256_update(dg_sha256_ctx *s, const void *data, size_t len);
/* Writes the digest; s must be initialised again before reuse. */
void dg_sha256_final(dg_sha256_ctx *s, unsigned char digest[DG_SHA256_BYTES]);

/* The SHA-256 of data, in one call. */
void dg_sha256(const void *data, size_t len, unsigned char digest[DG_SHA256_BYTES]);

/* Computes the SHA-256 of data as lowercase hex into hex. */
void dg_sha256_hex(const void *data, size_t len, char hex[DG_SHA256_HEX]);

/*
 * HMAC-SHA-256 (RFC 2104) of data under key, with this module's SHA-256: the same MAC as
 * libsodium's crypto_auth_hmacsha256, with the CPU's SHA instructions (the store names a
 * sealed object by it: three a record filed, 0.17 M instructions a record in libsodium).
 */
void dg_hmac_sha256(const unsigned char *key, size_t key_len, const void *data, size_t len,
                    unsigned char mac[DG_SHA256_BYTES]);

/* The digest as lowercase hex. */
void dg_sha256_to_hex(const unsigned char digest[DG_SHA256_BYTES], char hex[DG_SHA256_HEX]);

#endif
