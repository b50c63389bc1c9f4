/*
 * keys.h — encryption at rest: the master key and the key table (keys.db).
 *
 * An encrypted archive has a master key that never lives in the archive folder: a file of
 * 64 hex digits readable only by its owner (dangan keys generate FILE makes one), found as
 *   1. the file named by DANGAN_KEY_FILE (the command line's --key-file PATH sets it), else
 *   2. $CREDENTIALS_DIRECTORY/dangan-master-key (systemd LoadCredential=/LoadCredentialEncrypted=).
 * A key file inside the archive folder, or readable by group or others, is refused.
 *
 * Every record has its own random 32-byte data key. The key table, keys.db in the archive
 * folder (kept apart from catalog.db so a data backup can leave it out and a destruction
 * can shred one row), holds each data key wrapped by the master key with
 * XChaCha20-Poly1305 (the key's 16-byte id as associated data), named by that id; the
 * catalog ties a record to its key id (records.key_id). keys.db also holds a check value
 * (a MAC under a subkey of the master key) so a wrong master key is told apart from damage.
 *
 * Deleting a key row (dg_keys_shred_unused) uses SQLite's secure_delete and truncates the
 * write-ahead log, so no copy of the wrapped key stays in the file: every object sealed with
 * that key, in the archive or in any backup, can no longer be decrypted.
 *
 * A dg_keys handle holds the master key in memory (locked with sodium_mlock where allowed)
 * and is used by one thread at a time, like the archive handle that owns it.
 */
#ifndef DG_KEYS_H
#define DG_KEYS_H

#include <sqlite3.h>
#include <stddef.h>

#include "../base/status.h"

#define DG_KEY_BYTES 32
#define DG_KEY_ID_BYTES 16
#define DG_KEY_ID_HEX (2 * DG_KEY_ID_BYTES + 1)
#define DG_KEYS_FILE "keys.db"
#define DG_KEY_CREDENTIAL "dangan-master-key"

typedef struct dg_keys dg_keys;

/*
 * Finds the master key file the documented way; *path (malloc'd) is NULL when none is
 * configured (DG_OK). The file is not read here.
 */
dg_status dg_master_key_path(char **path, dg_error *err);

/*
 * Reads a master key file: 64 hex digits, an optional newline. Refuses a file that is not
 * a regular file, is readable or writable by group or others, or lies inside archive_dir
 * (NULL: no such check).
 */
dg_status dg_master_key_read(const char *path, const char *archive_dir,
                             unsigned char key[DG_KEY_BYTES], dg_error *err);

/* Writes a new random master key to path (created 0600, never overwriting a file). */
dg_status dg_master_key_generate(const char *path, dg_error *err);

/*
 * Creates keys.db in archive_dir for a new encrypted archive under master, atomically: a
 * kill at any moment leaves no keys.db or a complete one (a leftover keys.db.new is
 * removed and made again). An existing keys.db is never replaced: DG_ERR_EXISTS.
 */
dg_status dg_keys_create(const char *archive_dir, const unsigned char master[DG_KEY_BYTES],
                         dg_error *err);

/*
 * Opens archive_dir/keys.db with master. A master key that is not the one the table was
 * made with is DG_ERR_DENIED ("not this archive's master key").
 */
dg_status dg_keys_open(const char *archive_dir, const unsigned char master[DG_KEY_BYTES],
                       dg_keys **out, dg_error *err);
void dg_keys_close(dg_keys *keys);

/* Makes, wraps and stores (committed) a new random data key; its id and the key come back.
 * Between dg_keys_group_begin and dg_keys_group_commit it is committed with the group. */
dg_status dg_keys_new(dg_keys *keys, char id[DG_KEY_ID_HEX], unsigned char key[DG_KEY_BYTES],
                      dg_error *err);

/*
 * Groups the data keys of many new records (an ingest's group, batch.h) into one keys.db
 * transaction, so they commit with one sync instead of one each. The caller commits the
 * group before the catalog commit that names the keys: a kill in between leaves keys that
 * no record uses (as a failed record's key already is), never a record without its key. A
 * group that is not committed (dg_keys_group_abandon, or a kill) loses its keys, and so
 * only records that were never committed. dg_keys_group_commit syncs (synchronous FULL).
 */
dg_status dg_keys_group_begin(dg_keys *keys, dg_error *err);
dg_status dg_keys_group_commit(dg_keys *keys, dg_error *err);
void dg_keys_group_abandon(dg_keys *keys);

/*
 * Unwraps the data key named id. DG_ERR_NOT_FOUND when the table has no such key (it was
 * shredded: the record was destroyed); DG_ERR_CORRUPT when the wrapped key fails its check.
 */
dg_status dg_keys_get(dg_keys *keys, const char *id, unsigned char key[DG_KEY_BYTES],
                      dg_error *err);

/*
 * Shreds every data key whose id in_use(id, ctx) says is unused (0), then truncates the
 * write-ahead log; *shredded counts them. in_use returns 1 used, 0 unused, -1 error.
 */
dg_status dg_keys_shred_unused(dg_keys *keys, int (*in_use)(const char *id, void *ctx),
                               void *ctx, size_t *shredded, dg_error *err);

/* Re-wraps every data key under new_master in one transaction; no object is touched. */
dg_status dg_keys_rotate(dg_keys *keys, const unsigned char new_master[DG_KEY_BYTES],
                         size_t *count, dg_error *err);

/* Number of data keys in the table. */
dg_status dg_keys_count(dg_keys *keys, size_t *count, dg_error *err);

/*
 * A subkey of the master key for one purpose (crypto_kdf, context "dgbackup"): 1 seals
 * catalog snapshots, 2 signs backup manifests, 3 is keys.db's check value.
 */
void dg_keys_subkey(const dg_keys *keys, unsigned id, unsigned char out[DG_KEY_BYTES]);

/* The handle's SQLite connection to keys.db (for the online backup API). */
sqlite3 *dg_keys_db(dg_keys *keys);

#endif
