/*
 * hash.h — SHA-256 as lowercase hex, the archive's one content hash (libsodium).
 * Implemented in store.c; callers above the engine use it to name content (e.g. to find
 * a duplicate source file) without touching the store.
 */
#ifndef DG_HASH_H
#define DG_HASH_H

#include <stddef.h>

#define DG_SHA256_HEX 65 /* 64 hex digits + NUL */

/* Computes the SHA-256 of data as lowercase hex into hex. */
void dg_sha256_hex(const void *data, size_t len, char hex[DG_SHA256_HEX]);

#endif
