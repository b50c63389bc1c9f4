/*
 * encryption.c — master-key rotation of an encrypted archive (encryption.h), under the
 * write lock so no record key is made while the table is re-wrapped.
 */
#include "encryption.h"

#include <sodium.h>
#include <stdio.h>

#include "archive_internal.h"
#include "key_copies.h"
#include "lock.h"
#include "log.h"
#include "user.h"

int dg_archive_encrypted(const dg_archive *archive)
{
    return archive->keys != NULL;
}

dg_status dg_encryption_rotate(dg_archive *archive, const dg_actor *actor,
                               const char *new_key_file, size_t *count, dg_error *err)
{
    *count = 0;
    dg_log_event refusal = {.action = "keys.rotate", .hits = -1, .outcome = "refused",
                            .detail = "not an admin"};
    dg_status st = dg_require_role(archive, actor, DG_ROLE_ADMIN, &refusal, err,
                                   "keys rotate: only admins may rotate the master key");
    if (st != DG_OK)
        return st;
    if (!archive->keys)
        return dg_error_set(err, DG_ERR_USAGE,
                            "%s: the archive is not encrypted (it was made without a master "
                            "key), so there is no key to rotate", archive->path);
    unsigned char master[DG_KEY_BYTES];
    st = dg_master_key_read(new_key_file, archive->path, master, err);
    if (st == DG_OK)
        st = dg_archive_lock_write(archive, err);
    if (st == DG_OK) {
        st = dg_keys_rotate(archive->keys, master, count, err);
        /* A key backup wrapped under the old key would not restore under the new one. */
        if (st == DG_OK)
            st = dg_key_copies_refresh(archive, err);
        dg_archive_unlock_write(archive);
    }
    sodium_memzero(master, sizeof master);
    char detail[96];
    snprintf(detail, sizeof detail, "%zu data keys re-wrapped under a new master key", *count);
    return dg_log_result(archive, actor, "keys.rotate", (long)*count, st, detail, err);
}
