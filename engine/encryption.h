/*
 * encryption.h — what an admin does with an encrypted archive's master key as a whole
 * (the key file and key table themselves are keys.h): rotating it. Everything logged.
 */
#ifndef DG_ENCRYPTION_H
#define DG_ENCRYPTION_H

#include <stddef.h>

#include "../base/status.h"
#include "actor.h"
#include "archive.h"

/*
 * Reads the master key found the documented way (keys.h) for the archive in dir (which
 * the key file must lie outside): no key configured is DG_ERR_DENIED saying what to do.
 */
dg_status dg_archive_master_key(const char *dir, unsigned char key[32], dg_error *err);

/* Whether the archive was made with a master key (its objects are sealed). */
int dg_archive_encrypted(const dg_archive *archive);

/*
 * Re-wraps every record's data key under the master key in new_key_file (read and checked
 * as keys.h says); no object is rewritten. Admin only; logged as "keys.rotate". After it,
 * only the new key opens the archive: the caller tells the user to switch.
 */
dg_status dg_encryption_rotate(dg_archive *archive, const dg_actor *actor,
                               const char *new_key_file, size_t *count, dg_error *err);

#endif
