/*
 * archive_keys.c — the archive's own data keys, which no destruction shreds
 * (archive_keys.h).
 */
#include "archive_keys.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive_internal.h"
#include "catalog.h"
#include "sealed_text.h"

/* The key id a setting names, read with a kept statement (catalog.h): every record filed in
 * an encrypted archive reads it for its source hash, three times (dg_source_hash). */
static dg_status read_key_id(dg_archive *archive, const char *setting, char id[DG_STORE_KEY_ID_HEX],
                             dg_error *err)
{
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_take(&archive->stmts, archive->db,
                                   "SELECT value FROM settings WHERE key = ?", &stmt, err);
    if (st == DG_OK) {
        sqlite3_bind_text(stmt, 1, setting, -1, SQLITE_STATIC);
        st = dg_catalog_step_row(archive->db, stmt, "read setting", err,
                                 "setting %s is not set", setting);
        const unsigned char *value = st == DG_OK ? sqlite3_column_text(stmt, 0) : NULL;
        if (st == DG_OK)
            snprintf(id, DG_STORE_KEY_ID_HEX, "%s", value ? (const char *)value : "");
        dg_catalog_give_back(&archive->stmts, stmt);
    }
    return st;
}

dg_status dg_archive_key_seal(dg_archive *archive, const char *setting, dg_store_seal *seal,
                              const dg_store_seal **use, dg_error *err)
{
    *use = NULL;
    if (!archive->keys)
        return DG_OK;
    dg_status st = read_key_id(archive, setting, seal->key_id, err);
    if (st == DG_OK) {
        st = dg_keys_get(archive->keys, seal->key_id, seal->key, err);
    } else if (st == DG_ERR_NOT_FOUND) {
        /* keys.db commits the new key at once; the setting naming it commits with the
         * caller's write. Killed in between, the key is named by nothing and the next
         * destruction shreds it: nothing was sealed under it yet. */
        st = dg_keys_new(archive->keys, seal->key_id, seal->key, err);
        if (st == DG_OK)
            st = dg_setting_set(archive->db, setting, seal->key_id, err);
    }
    if (st == DG_OK)
        *use = seal;
    return st;
}

dg_status dg_journal_seal(dg_archive *archive, const char *plain, char **out, dg_error *err)
{
    *out = NULL;
    if (!plain)
        return DG_OK;
    dg_store_seal seal;
    const dg_store_seal *use = NULL;
    dg_status st = dg_archive_key_seal(archive, DG_JOURNAL_KEY_SETTING, &seal, &use, err);
    if (st == DG_OK)
        st = dg_text_seal(use, plain, out, err);
    sodium_memzero(&seal, sizeof seal);
    return st;
}

int dg_archive_key_in_use(sqlite3 *db, const char *id)
{
    sqlite3_stmt *stmt;
    dg_error ignored;
    if (dg_catalog_prepare(db,
                           "SELECT 1 FROM settings WHERE key IN ('" DG_REGISTER_KEY_SETTING
                           "', '" DG_JOURNAL_KEY_SETTING "') AND value = ?1",
                           &stmt, &ignored) != DG_OK)
        return -1;
    sqlite3_bind_text(stmt, 1, id, -1, SQLITE_STATIC);
    int found = 0;
    dg_status st = dg_catalog_step_maybe_row(db, stmt, &found, "look up an archive key",
                                             &ignored);
    sqlite3_finalize(stmt);
    return st == DG_OK ? found : -1;
}

/* Fills h from the journal key's bytes: crypto_kdf subkey 1 of context "dgsource". */
static void source_subkey(const dg_store_seal *seal, dg_source_hasher *h)
{
    _Static_assert(sizeof seal->key == crypto_kdf_KEYBYTES, "the journal key is a kdf key");
    crypto_kdf_derive_from_key(h->key, sizeof h->key, 1, "dgsource", seal->key);
    h->keyed = 1;
}

dg_status dg_source_hasher_open(dg_archive *archive, int make_key, dg_source_hasher *h,
                                dg_error *err)
{
    memset(h, 0, sizeof *h);
    if (!archive->keys)
        return DG_OK;
    dg_store_seal seal;
    dg_status st = DG_OK;
    if (make_key) {
        const dg_store_seal *use = NULL;
        st = dg_archive_key_seal(archive, DG_JOURNAL_KEY_SETTING, &seal, &use, err);
        if (st == DG_OK && use)
            source_subkey(&seal, h);
    } else {
        st = read_key_id(archive, DG_JOURNAL_KEY_SETTING, seal.key_id, err);
        if (st == DG_OK) {
            st = dg_keys_get(archive->keys, seal.key_id, seal.key, err);
            if (st == DG_OK)
                source_subkey(&seal, h);
        } else if (st == DG_ERR_NOT_FOUND) {
            st = DG_OK; /* no journal key yet, so no hash was keyed yet */
        }
    }
    sodium_memzero(&seal, sizeof seal);
    return st;
}

void dg_source_hash_with(const dg_source_hasher *h, const char *sha256_hex,
                         char out[DG_SOURCE_HASH_MAX])
{
    size_t prefix = strlen(DG_SOURCE_HASH_PREFIX);
    if (!h->keyed || strncmp(sha256_hex, DG_SOURCE_HASH_PREFIX, prefix) == 0) {
        snprintf(out, DG_SOURCE_HASH_MAX, "%s", sha256_hex);
        return;
    }
    unsigned char digest[32];
    crypto_generichash(digest, sizeof digest, (const unsigned char *)sha256_hex,
                       strlen(sha256_hex), h->key, sizeof h->key);
    memcpy(out, DG_SOURCE_HASH_PREFIX, prefix);
    sodium_bin2hex(out + prefix, DG_SOURCE_HASH_MAX - prefix, digest, sizeof digest);
}

dg_status dg_source_hash(dg_archive *archive, const char *sha256_hex, int make_key,
                         char out[DG_SOURCE_HASH_MAX], dg_error *err)
{
    dg_source_hasher h;
    dg_status st = dg_source_hasher_open(archive, make_key, &h, err);
    if (st == DG_OK)
        dg_source_hash_with(&h, sha256_hex, out);
    sodium_memzero(&h, sizeof h);
    return st;
}
