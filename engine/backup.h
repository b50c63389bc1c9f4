/*
 * backup.h — backups of an encrypted archive that destruction reaches, and restores that
 * prove themselves.
 *
 * A backup folder DEST holds:
 *     catalog.sealed   a consistent snapshot of catalog.db (SQLite's online backup API, so
 *                      the archive may be in use), sealed with crypto_secretstream under
 *                      a backup key derived from the master key (crypto_kdf, subkey 1)
 *     objects/         the object files exactly as stored (already sealed with their
 *                      records' keys); only new ones are copied, ones gone from the archive
 *                      (destroyed) are removed
 *     MANIFEST         every file's SHA-256, size and path
 *     MANIFEST.mac     HMAC-SHA-512-256 of MANIFEST under subkey 2 of the master key
 * The key table (keys.db) and the index are never in DEST. The key table is copied, on its
 * own, to each key-backup folder (--keys-dest), which keeps only its latest copy; the
 * archive remembers those folders (setting "key_backup_dirs") and every destruction
 * refreshes them at once, so a destroyed record's key survives in no copy.
 *
 * A backup killed part way leaves only whole files (each written to DEST/.tmp and renamed)
 * and the previous manifest; running it again completes it.
 */
#ifndef DG_BACKUP_H
#define DG_BACKUP_H

#include <stddef.h>
#include <stdint.h>

#include "../base/status.h"
#include "actor.h"
#include "archive.h"
#include "keys.h"

typedef struct dg_backup_result {
    uint64_t objects;     /* object files in the backup */
    uint64_t copied;      /* of which copied this time */
    uint64_t removed;     /* files of destroyed records taken out of the backup */
    uint64_t bytes;       /* bytes copied this time (catalog included) */
} dg_backup_result;

/*
 * Writes or updates the backup in dest; with keys_dest (may be NULL) adds that folder to
 * the remembered key backups; then rewrites every remembered key backup, so none is older
 * than the data backup (a restore would take the keys it lacks for destructions made after
 * the backup). Archivists and admins; logged as "backup".
 * An archive made without a master key is refused: its backup could not be encrypted.
 */
dg_status dg_backup_run(dg_archive *archive, const dg_actor *actor, const char *dest,
                        const char *keys_dest, dg_backup_result *out, dg_error *err);

/*
 * Checks a backup without writing to it (read-only media are fine): the manifest's MAC
 * under master, every listed file's size and SHA-256, no file missing and none unlisted,
 * and every object the backed-up catalog names present (decrypted in memory only).
 * Problems are DG_ERR_CORRUPT naming the first file; *files counts those checked.
 */
dg_status dg_backup_verify(const char *dest, const unsigned char master[DG_KEY_BYTES],
                           uint64_t *files, dg_error *err);

typedef struct dg_restore_result {
    uint64_t files;       /* backup files checked and restored */
    uint64_t bytes;       /* bytes read from the backup (and as many written) */
    double file_seconds;  /* wall time of checking and copying the files (disk speed) */
    double seconds;       /* wall time of the whole restore (opening and logging too) */
    size_t keyless;       /* records destroyed after the backup: marked destroyed */
} dg_restore_result;

/*
 * Restores the backup in dest, with the key backup in keys_dir, into the new archive folder
 * new_path (absent or empty): checks the manifest and reads every file once, hashing it as
 * it is copied (disk speed), decrypts the catalog, copies the key table, marks records
 * whose key is gone destroyed, and logs "restore" as login. The index is not built: the
 * restored archive owes it to `dangan reindex` (DG_REBUILD_RESTORED), which is the caller's
 * next step, and searches refuse until then; verify and log verify work at once. All of it
 * happens in "<new_path>.restoring", renamed to new_path when whole: a restore killed part
 * way is simply run again (the partial folder is thrown away).
 */
dg_status dg_backup_restore(const char *dest, const char *keys_dir, const char *new_path,
                            const char *login, dg_restore_result *out, dg_error *err);

#endif
