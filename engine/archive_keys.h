/*
 * archive_keys.h — the archive's own data keys: text kept in catalog.db that belongs to no
 * single record, sealed (sealed_text.h) under a key of keys.db that no destruction shreds.
 *
 * A record's words are sealed under the record's own key, so its destruction shreds them.
 * Some words outlive any one record or belong to none, and must still not lie in the clear
 * in a copy of the archive folder:
 *   - the register key (DG_REGISTER_KEY_SETTING): the destruction register's titles, kept
 *     for as long as the archive lives, as the rules for destruction registers require;
 *   - the journal key (DG_JOURNAL_KEY_SETTING): the batch journal's and the quarantine's
 *     file names and reasons, and, from this version on, the words searched for and the
 *     free-text detail of each new access-log entry (log.c; hashed as stored, so `log
 *     verify` and the log's checkpoints need no key).
 *   - the same journal key, through a subkey of it (crypto_kdf, context "dgsource"), keys
 *     the hash of each source file as it arrived (dg_source_hash below): the catalog keeps
 *     BLAKE2b(subkey, SHA-256 hex) instead of the SHA-256 itself, so a copy of the folder
 *     cannot confirm that a known document is in the archive, while the same file filed
 *     twice still has the same keyed hash. The journal key, not a subkey of the master
 *     key, because keys rotate changes the master key and must not change these hashes.
 * Each is made on first use, inside the caller's write transaction, and named by its
 * setting; keys rotate re-wraps them with the record keys, and key backups carry them.
 * dg_archive_key_in_use tells the shredder (destruction.c) never to take them.
 */
#ifndef DG_ARCHIVE_KEYS_H
#define DG_ARCHIVE_KEYS_H

#include <sqlite3.h>

#include "../base/status.h"
#include "archive.h"
#include "store.h"

#define DG_REGISTER_KEY_SETTING "register_key_id"
#define DG_JOURNAL_KEY_SETTING "journal_key_id"

/*
 * The archive key named by setting, made when there is none yet (inside the caller's write
 * transaction): seal filled and *use = seal; in an archive without a master key *use is
 * NULL (dg_text_seal then copies). The caller wipes seal (sodium_memzero) when done.
 */
dg_status dg_archive_key_seal(dg_archive *archive, const char *setting, dg_store_seal *seal,
                              const dg_store_seal **use, dg_error *err);

/* Seals plain (NULL: *out NULL) under the journal key into *out (malloc'd); a copy in an
 * archive without a master key. Inside the caller's write transaction. */
dg_status dg_journal_seal(dg_archive *archive, const char *plain, char **out, dg_error *err);

/* A source file's hash as the catalog keeps it: "kh1:" and 64 hex digits when keyed. */
#define DG_SOURCE_HASH_PREFIX "kh1:"
enum { DG_SOURCE_HASH_MAX = 4 + 64 + 1 };

/* What keys source hashes: a subkey of the journal key, or none (a plain archive). */
typedef struct dg_source_hasher {
    int keyed;
    unsigned char key[32];
} dg_source_hasher;

/*
 * Readies h for archive. make_key: make the journal key when there is none yet (inside the
 * caller's write transaction, as dg_archive_key_seal); without make_key and without a
 * journal key h is unkeyed (no hash can have been keyed yet). The caller wipes h
 * (sodium_memzero) when done.
 */
dg_status dg_source_hasher_open(dg_archive *archive, int make_key, dg_source_hasher *h,
                                dg_error *err);

/* sha256_hex as the catalog keeps it: keyed when h is, a copy when h is not or when
 * sha256_hex is keyed already (so keying twice changes nothing). */
void dg_source_hash_with(const dg_source_hasher *h, const char *sha256_hex,
                         char out[DG_SOURCE_HASH_MAX]);

/* dg_source_hasher_open, dg_source_hash_with and the wipe, for one hash. */
dg_status dg_source_hash(dg_archive *archive, const char *sha256_hex, int make_key,
                         char out[DG_SOURCE_HASH_MAX], dg_error *err);

/* 1 when id names one of the archive keys in db's settings, 0 when not, -1 on error. */
int dg_archive_key_in_use(sqlite3 *db, const char *id);

#endif
