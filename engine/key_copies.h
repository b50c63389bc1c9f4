/*
 * key_copies.h — the key backups: the latest copy of keys.db (each record's wrapped key) in
 * every folder named with `dangan backup --keys-dest`, kept apart from the data backup.
 * Destruction (destruction.c) and key rotation (encryption.c) rewrite them at once, so a
 * destroyed record's key survives in no copy; backup.c adds folders. Private to engine/.
 */
#ifndef DG_KEY_COPIES_H
#define DG_KEY_COPIES_H

#include "../base/status.h"

typedef struct dg_archive dg_archive;

/* The setting that remembers the key-backup folders, one absolute path per line. */
#define DG_KEY_DIRS_SETTING "key_backup_dirs"

/* Writes one copy of keys.db into dir (made 0700 if missing), replacing the previous one:
 * the online backup API into a temporary file, synced, then renamed. */
dg_status dg_key_copies_write(dg_archive *archive, const char *dir, dg_error *err);

/* Adds dir (resolved to an absolute path) to the remembered key-backup folders. */
dg_status dg_key_copies_remember(dg_archive *archive, const char *dir, dg_error *err);

/* Rewrites every remembered key backup from keys.db now; nothing to do without keys. */
dg_status dg_key_copies_refresh(dg_archive *archive, dg_error *err);

#endif
