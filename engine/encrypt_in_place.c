/*
 * encrypt_in_place.c — encrypting an archive made without a master key, record by record,
 * resumable after a crash (encrypt_in_place.h).
 */
#include "encrypt_in_place.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "archive_internal.h"
#include "archive_keys.h"
#include "catalog.h"
#include "encryption.h"
#include "keys.h"
#include "lock.h"
#include "log.h"
#include "record_internal.h"
#include "sealed_text.h"
#include "user.h"

/* ---- the archive becomes encrypted: keys.db and the setting ---- */

static dg_status open_or_make_keys(dg_archive *archive, dg_error *err)
{
    unsigned char master[DG_KEY_BYTES];
    dg_status st = dg_archive_master_key(archive->path, master, err);
    char *path = dg_archive_path_join(archive->path, DG_KEYS_FILE);
    if (st == DG_OK && !path)
        st = dg_error_set(err, DG_ERR_NOMEM, "%s: out of memory", archive->path);
    /* A run killed after making keys.db finds it: opened with the same key, or refused. */
    if (st == DG_OK && access(path, F_OK) != 0)
        st = dg_keys_create(archive->path, master, err);
    dg_keys *keys = NULL;
    if (st == DG_OK)
        st = dg_keys_open(archive->path, master, &keys, err);
    sodium_memzero(master, sizeof master);
    free(path);
    if (st == DG_OK)
        dg_archive_attach_keys(archive, keys);
    return st;
}

static dg_status become_encrypted(dg_archive *archive, dg_error *err)
{
    dg_status st = open_or_make_keys(archive, err);
    if (st != DG_OK)
        return st;
    st = dg_catalog_begin_write(archive->db, err);
    if (st == DG_OK)
        st = dg_setting_set(archive->db, DG_ENCRYPTION_SETTING, DG_ENCRYPTION_SCHEME, err);
    return dg_catalog_end_write(archive->db, st, err);
}

/* ---- one record ---- */

/* The record's key: the one a killed run chose (sealing_in_progress), else a new one. */
static dg_status record_key(dg_archive *archive, int64_t record_id, dg_store_seal *seal,
                            dg_error *err)
{
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(
        archive->db, "SELECT key_id FROM sealing_in_progress WHERE record_id = ?", &stmt, err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_int64(stmt, 1, record_id);
    char *id = NULL;
    st = dg_catalog_row_text(archive->db, stmt, &id, "read the sealing record", err, "none");
    if (st == DG_OK) {
        snprintf(seal->key_id, sizeof seal->key_id, "%s", id ? id : "");
        free(id);
        return dg_keys_get(archive->keys, seal->key_id, seal->key, err);
    }
    if (st != DG_ERR_NOT_FOUND)
        return st;
    st = dg_keys_new(archive->keys, seal->key_id, seal->key, err);
    if (st == DG_OK)
        st = dg_catalog_prepare(archive->db,
                                "INSERT INTO sealing_in_progress(record_id, key_id) VALUES(?, ?)",
                                &stmt, err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_int64(stmt, 1, record_id);
    sqlite3_bind_text(stmt, 2, seal->key_id, -1, SQLITE_STATIC);
    return dg_catalog_step_done(archive->db, stmt, err); /* committed at once (autocommit) */
}

typedef struct sealing {
    dg_archive *archive;
    const dg_store_seal *seal;
    sqlite3_stmt *insert; /* INSERT INTO temp.sealing_names */
    size_t objects;
} sealing;

/* Reads one plain object, writes it sealed, reads that back and compares: its new name. */
static dg_status seal_object(sqlite3_stmt *row, void *ctx, dg_error *err)
{
    sealing *s = ctx;
    const char *old = (const char *)sqlite3_column_text(row, 0);
    void *plain = NULL, *back = NULL;
    size_t len = 0, back_len = 0;
    uint64_t stored = 0;
    char hex[DG_SHA256_HEX];
    dg_status st = dg_store_get(s->archive->store, old, &plain, &len, err);
    if (st == DG_OK)
        st = dg_store_put_sealed(s->archive->store, s->seal, plain, len, hex, NULL, &stored, err);
    if (st == DG_OK)
        st = dg_store_get(s->archive->store, hex, &back, &back_len, err);
    if (st == DG_OK && (back_len != len || memcmp(plain, back, len) != 0))
        st = dg_error_set(err, DG_ERR_CORRUPT, "object %s: its sealed copy %s reads back "
                          "differently", old, hex);
    free(plain);
    free(back);
    if (st != DG_OK)
        return st;
    sqlite3_reset(s->insert);
    sqlite3_bind_text(s->insert, 1, old, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s->insert, 2, hex, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s->insert, 3, (sqlite3_int64)len);
    sqlite3_bind_int64(s->insert, 4, (sqlite3_int64)stored);
    if (sqlite3_step(s->insert) != SQLITE_DONE)
        return dg_catalog_error(s->archive->db, err, "note a sealed object");
    s->objects++;
    return DG_OK;
}

/* Every object of the record's versions and pages. */
#define RECORD_OBJECTS                                                                       \
    "SELECT DISTINCT sha FROM (SELECT p.sha256 AS sha FROM pages p JOIN versions v"          \
    " ON v.id = p.version_id WHERE v.record_id = ?1"                                        \
    " UNION SELECT p.text_sha256 FROM pages p JOIN versions v ON v.id = p.version_id"        \
    " WHERE v.record_id = ?1"                                                               \
    " UNION SELECT p.boxes_sha256 FROM pages p JOIN versions v ON v.id = p.version_id"       \
    " WHERE v.record_id = ?1"                                                               \
    " UNION SELECT text_sha256 FROM versions WHERE record_id = ?1) WHERE sha IS NOT NULL"

/* Writes the record's objects sealed; temp.sealing_names maps each old name to its new. */
static dg_status seal_objects(dg_archive *archive, int64_t record_id, const dg_store_seal *seal,
                              size_t *objects, dg_error *err)
{
    dg_status st = dg_catalog_exec(archive->db,
                                   "CREATE TEMP TABLE IF NOT EXISTS sealing_names(old TEXT"
                                   " PRIMARY KEY, new TEXT NOT NULL, size INTEGER NOT NULL,"
                                   " stored_size INTEGER NOT NULL);"
                                   "DELETE FROM temp.sealing_names;",
                                   err);
    sealing s = {.archive = archive, .seal = seal};
    if (st == DG_OK)
        st = dg_catalog_prepare(archive->db,
                                "INSERT OR REPLACE INTO temp.sealing_names VALUES(?, ?, ?, ?)",
                                &s.insert, err);
    sqlite3_stmt *stmt = NULL;
    if (st == DG_OK)
        st = dg_catalog_prepare(archive->db, RECORD_OBJECTS, &stmt, err);
    if (st == DG_OK) {
        sqlite3_bind_int64(stmt, 1, record_id);
        st = dg_catalog_each_row(archive->db, stmt, seal_object, &s, "read record objects", err);
    }
    sqlite3_finalize(s.insert);
    *objects += s.objects;
    return st;
}

/* dg_seal(x) for the one UPDATE of seal_rows: x sealed under the record's key. */
static void seal_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    if (sqlite3_value_type(argv[0]) != SQLITE_TEXT) {
        sqlite3_result_value(ctx, argv[0]);
        return;
    }
    char *sealed;
    dg_error err;
    if (dg_text_seal(sqlite3_user_data(ctx), (const char *)sqlite3_value_text(argv[0]), &sealed,
                     &err) != DG_OK)
        sqlite3_result_error_nomem(ctx);
    else
        sqlite3_result_text(ctx, sealed, -1, free);
}

/* The objects this record no longer uses and no other does: queued for removal. */
#define UNUSED_OLD                                                                         \
    " FROM temp.sealing_names n WHERE NOT EXISTS (SELECT 1 FROM pages p"                     \
    " WHERE p.sha256 = n.old OR p.text_sha256 = n.old OR p.boxes_sha256 = n.old)"            \
    " AND NOT EXISTS (SELECT 1 FROM versions v WHERE v.text_sha256 = n.old)"

static const char *const SEAL_ROWS[] = {
    "INSERT OR IGNORE INTO objects(sha256, size, stored_size, created_at)"
    " SELECT new, size, stored_size, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"
    " FROM temp.sealing_names",
    "UPDATE pages SET"
    " sha256 = coalesce((SELECT new FROM temp.sealing_names WHERE old = pages.sha256), sha256),"
    " text_sha256 = coalesce((SELECT new FROM temp.sealing_names"
    "   WHERE old = pages.text_sha256), text_sha256),"
    " boxes_sha256 = coalesce((SELECT new FROM temp.sealing_names"
    "   WHERE old = pages.boxes_sha256), boxes_sha256)"
    " WHERE version_id IN (SELECT id FROM versions WHERE record_id = ?1)",
    "UPDATE versions SET title = dg_seal(title), reason = dg_seal(reason),"
    " source_file = dg_seal(source_file), subject = dg_seal(subject),"
    " text_sha256 = coalesce((SELECT new FROM temp.sealing_names"
    "   WHERE old = versions.text_sha256), text_sha256)"
    " WHERE record_id = ?1",
    "INSERT OR IGNORE INTO disposal_pending_objects(sha256) SELECT old" UNUSED_OLD,
    "DELETE FROM objects WHERE sha256 IN (SELECT old" UNUSED_OLD ")",
    "UPDATE records SET key_id = (SELECT key_id FROM sealing_in_progress WHERE record_id = ?1)"
    " WHERE id = ?1",
    "DELETE FROM sealing_in_progress WHERE record_id = ?1",
};

static dg_status run_with_id(sqlite3 *db, const char *sql, int64_t id, dg_error *err)
{
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(db, sql, &stmt, err);
    if (st != DG_OK)
        return st;
    if (sqlite3_bind_parameter_count(stmt) > 0)
        sqlite3_bind_int64(stmt, 1, id);
    return dg_catalog_step_done(db, stmt, err);
}

/* One transaction: the record's rows point at its sealed objects and hold sealed text. */
static dg_status seal_rows(dg_archive *archive, int64_t record_id, const dg_store_seal *seal,
                           dg_error *err)
{
    sqlite3 *db = archive->db;
    if (sqlite3_create_function_v2(db, "dg_seal", 1, SQLITE_UTF8 | SQLITE_DIRECTONLY,
                                   (void *)seal, seal_fn, NULL, NULL, NULL) != SQLITE_OK)
        return dg_catalog_error(db, err, "register dg_seal");
    dg_status st = dg_catalog_begin_write(db, err);
    for (size_t i = 0; st == DG_OK && i < sizeof SEAL_ROWS / sizeof SEAL_ROWS[0]; i++)
        st = run_with_id(db, SEAL_ROWS[i], record_id, err);
    st = dg_catalog_end_write(db, st, err);
    /* The key goes with the statement: nothing may seal with it after this record. */
    sqlite3_create_function_v2(db, "dg_seal", 1, SQLITE_UTF8, NULL, NULL, NULL, NULL, NULL);
    return st;
}

/* Overwrites and removes the queued plain objects the catalog no longer knows. */
static dg_status remove_queued(dg_archive *archive, uint64_t *removed, dg_error *err)
{
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(
        archive->db,
        "SELECT sha256 FROM disposal_pending_objects p"
        " WHERE NOT EXISTS (SELECT 1 FROM objects o WHERE o.sha256 = p.sha256) LIMIT 1",
        &stmt, err);
    while (st == DG_OK) {
        int found = 0;
        sqlite3_reset(stmt);
        st = dg_catalog_step_maybe_row(archive->db, stmt, &found, "read queued objects", err);
        if (st != DG_OK || !found)
            break;
        char hex[DG_SHA256_HEX];
        snprintf(hex, sizeof hex, "%s", (const char *)sqlite3_column_text(stmt, 0));
        sqlite3_reset(stmt);
        st = dg_store_remove(archive->store, hex, err);
        sqlite3_stmt *del = NULL;
        if (st == DG_OK)
            st = dg_catalog_prepare(archive->db,
                                    "DELETE FROM disposal_pending_objects WHERE sha256 = ?",
                                    &del, err);
        if (st == DG_OK) {
            sqlite3_bind_text(del, 1, hex, -1, SQLITE_TRANSIENT);
            st = dg_catalog_step_done(archive->db, del, err);
        }
        if (st == DG_OK)
            (*removed)++;
    }
    sqlite3_finalize(stmt);
    return st;
}

static dg_status seal_record(dg_archive *archive, int64_t record_id, dg_encrypt_result *out,
                             dg_error *err)
{
    dg_store_seal seal;
    dg_status st = record_key(archive, record_id, &seal, err);
    if (st == DG_OK)
        st = seal_objects(archive, record_id, &seal, &out->objects, err);
    if (st == DG_OK)
        st = seal_rows(archive, record_id, &seal, err);
    sodium_memzero(&seal, sizeof seal);
    if (st == DG_OK)
        st = remove_queued(archive, &out->removed, err);
    if (st == DG_OK)
        out->records++;
    return st;
}

/* ---- what staff typed and the journals: sealed after the records ---- */

/* dg_seal_journal(x): x sealed under the journal key (archive_keys.h); x itself when it is
 * sealed already or not text, so a rerun after a kill seals only what is left. */
static void seal_journal_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    const char *text = sqlite3_value_type(argv[0]) == SQLITE_TEXT
                           ? (const char *)sqlite3_value_text(argv[0])
                           : NULL;
    if (!text || dg_text_is_sealed(text)) {
        sqlite3_result_value(ctx, argv[0]);
        return;
    }
    char *sealed;
    dg_error err;
    if (dg_journal_seal(sqlite3_user_data(ctx), text, &sealed, &err) != DG_OK)
        sqlite3_result_error(ctx, err.msg, -1);
    else
        sqlite3_result_text(ctx, sealed, -1, free);
}

/* dg_seal_record(id, x): x sealed under record id's key, or under the journal key when
 * the record has none (destroyed: its key is shredded); as dg_seal_journal otherwise. */
static void seal_record_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    const char *text = sqlite3_value_type(argv[1]) == SQLITE_TEXT
                           ? (const char *)sqlite3_value_text(argv[1])
                           : NULL;
    if (!text || dg_text_is_sealed(text)) {
        sqlite3_result_value(ctx, argv[1]);
        return;
    }
    dg_archive *archive = sqlite3_user_data(ctx);
    int keyed = sqlite3_value_type(argv[0]) == SQLITE_INTEGER;
    char *sealed;
    dg_error err;
    dg_status st = keyed ? dg_record_seal_text(archive, sqlite3_value_int64(argv[0]), text,
                                               &sealed, &err)
                         : dg_journal_seal(archive, text, &sealed, &err);
    if (st != DG_OK)
        sqlite3_result_error(ctx, err.msg, -1);
    else
        sqlite3_result_text(ctx, sealed, -1, free);
}

/* dg_source_key(x): the plain source hash x keyed (archive_keys.h); x itself otherwise. */
static void source_key_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    if (sqlite3_value_type(argv[0]) != SQLITE_TEXT) {
        sqlite3_result_value(ctx, argv[0]);
        return;
    }
    char keyed[DG_SOURCE_HASH_MAX];
    dg_source_hash_with(sqlite3_user_data(ctx), (const char *)sqlite3_value_text(argv[0]),
                        keyed);
    sqlite3_result_text(ctx, keyed, -1, SQLITE_TRANSIENT);
}

/* The record a row belongs to, when that record still holds a key. */
#define KEYED(col) "(SELECT r.id FROM records r WHERE r.id = " col " AND r.key_id IS NOT NULL)"

static const char *const SEAL_STAFF_TEXT[] = {
    "UPDATE batch_files SET name = dg_seal_journal(name), reason = dg_seal_journal(reason)",
    "UPDATE quarantine SET name = dg_seal_journal(name), reason = dg_seal_journal(reason),"
    " stored_as = dg_seal_journal(stored_as)",
    "UPDATE loans SET purpose = dg_seal_journal(purpose), reason = dg_seal_journal(reason),"
    " condition = dg_seal_journal(condition)",
    "UPDATE review_items SET reason = dg_seal_journal(reason)",
    "UPDATE holds SET reason = dg_seal_record(" KEYED("holds.record_id") ", reason),"
    " release_reason = dg_seal_record(" KEYED("holds.record_id") ", release_reason)",
    /* Final rows: migration 15 lets a clear reason become sealed, once, and only that. */
    "UPDATE review_decisions SET reason = dg_seal_record("
    KEYED("review_decisions.record_id") ", reason)"
    " WHERE reason IS NOT NULL AND reason NOT LIKE 'dgs1:%'",
    /* Source files' hashes, keyed (migration 17 allows it once); plain hex sorts below 'g'.
     * The quarantine keeps its plain hashes: its files lie there as they arrived. */
    "UPDATE versions SET source_sha256 = dg_source_key(source_sha256)"
    " WHERE source_sha256 < 'g'",
    "UPDATE batch_files SET sha256 = dg_source_key(sha256) WHERE sha256 < 'g'",
};

/*
 * Seals, in one transaction, what staff typed and the journals hold in the clear (rows
 * written before the archive was encrypted, or by a version of dangan that did not seal
 * them): batch and quarantine file names and reasons, loans' and appraisals' text under the
 * journal key, holds' and classification decisions' reasons under their record's key.
 * Killed, it is rolled back whole and the rerun does it all. Append-only rows cannot be
 * changed and stay as written: the access log's entries and the destruction register's.
 */
static dg_status seal_staff_text(dg_archive *archive, dg_error *err)
{
    sqlite3 *db = archive->db;
    if (sqlite3_create_function_v2(db, "dg_seal_journal", 1, SQLITE_UTF8 | SQLITE_DIRECTONLY,
                                   archive, seal_journal_fn, NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_create_function_v2(db, "dg_seal_record", 2, SQLITE_UTF8 | SQLITE_DIRECTONLY,
                                   archive, seal_record_fn, NULL, NULL, NULL) != SQLITE_OK)
        return dg_catalog_error(db, err, "register the sealing functions");
    dg_source_hasher hasher;
    dg_status st = dg_catalog_begin_write(db, err);
    if (st == DG_OK) /* the journal key is made here when the archive has none yet */
        st = dg_source_hasher_open(archive, 1, &hasher, err);
    if (st == DG_OK &&
        sqlite3_create_function_v2(db, "dg_source_key", 1, SQLITE_UTF8 | SQLITE_DIRECTONLY,
                                   &hasher, source_key_fn, NULL, NULL, NULL) != SQLITE_OK)
        st = dg_catalog_error(db, err, "register dg_source_key");
    for (size_t i = 0; st == DG_OK && i < sizeof SEAL_STAFF_TEXT / sizeof *SEAL_STAFF_TEXT; i++)
        st = run_with_id(db, SEAL_STAFF_TEXT[i], 0, err);
    st = dg_catalog_end_write(db, st, err);
    sqlite3_create_function_v2(db, "dg_source_key", 1, SQLITE_UTF8, NULL, NULL, NULL, NULL,
                               NULL);
    sodium_memzero(&hasher, sizeof hasher);
    sqlite3_create_function_v2(db, "dg_seal_journal", 1, SQLITE_UTF8, NULL, NULL, NULL, NULL,
                               NULL);
    sqlite3_create_function_v2(db, "dg_seal_record", 2, SQLITE_UTF8, NULL, NULL, NULL, NULL,
                               NULL);
    return st;
}

/* ---- the whole archive ---- */

static dg_status next_plain_record(sqlite3 *db, int64_t *record_id, dg_error *err)
{
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(db,
                                      "SELECT id FROM records WHERE state = 'live'"
                                      " AND key_id IS NULL ORDER BY id LIMIT 1",
                                      &stmt, err);
    if (st != DG_OK)
        return st;
    *record_id = 0;
    st = dg_catalog_row_int64(db, stmt, record_id, "read records", err, "none");
    return st == DG_ERR_NOT_FOUND ? DG_OK : st;
}

static dg_status count_plain_records(sqlite3 *db, int64_t *count, dg_error *err)
{
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(
        db, "SELECT count(*) FROM records WHERE state = 'live' AND key_id IS NULL", &stmt, err);
    return st == DG_OK ? dg_catalog_row_int64(db, stmt, count, "count records", err, NULL) : st;
}

/* Copies the write-ahead log into catalog.db and empties it: no old page stays there. */
static dg_status truncate_wal(sqlite3 *db, dg_error *err)
{
    int rc = sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
    if (rc == SQLITE_BUSY)
        return dg_error_set(err, DG_ERR_BUSY,
                            "catalog: another process is reading the catalog, so its "
                            "write-ahead log (which may hold plain titles) could not be "
                            "emptied; run keys encrypt again");
    return rc == SQLITE_OK ? DG_OK : dg_catalog_error(db, err, "checkpoint");
}

static dg_status encrypt_all(dg_archive *archive, dg_encrypt_result *out, dg_error *err)
{
    dg_status st = archive->keys ? DG_OK : become_encrypted(archive, err);
    if (st == DG_OK) /* a killed run's queued plain objects go first */
        st = remove_queued(archive, &out->removed, err);
    int64_t total = 0;
    if (st == DG_OK)
        st = count_plain_records(archive->db, &total, err);
    while (st == DG_OK) {
        int64_t record_id = 0;
        st = next_plain_record(archive->db, &record_id, err);
        if (st != DG_OK || record_id == 0)
            break;
        st = seal_record(archive, record_id, out, err);
        dg_archive_progress(archive, "encrypt", out->records, (uint64_t)total);
    }
    if (st == DG_OK)
        st = seal_staff_text(archive, err);
    if (st == DG_OK)
        st = truncate_wal(archive->db, err);
    return st;
}

dg_status dg_encrypt_in_place(dg_archive *archive, const dg_actor *actor,
                              dg_encrypt_result *out, dg_error *err)
{
    memset(out, 0, sizeof *out);
    dg_log_event refusal = {.action = "keys.encrypt", .hits = -1,
                            .outcome = "refused", .detail = "not an admin"};
    dg_status st = dg_require_role(archive, actor, DG_ROLE_ADMIN, &refusal, err,
                                   "keys encrypt: only admins may encrypt the archive");
    if (st != DG_OK)
        return st;
    out->was_encrypted = archive->keys != NULL;
    st = dg_archive_lock_write(archive, err);
    if (st == DG_OK) {
        st = encrypt_all(archive, out, err);
        dg_archive_unlock_write(archive);
    }
    char detail[160];
    snprintf(detail, sizeof detail,
             "%zu records sealed (%zu objects), %llu plain objects removed", out->records,
             out->objects, (unsigned long long)out->removed);
    return dg_log_result(archive, actor, "keys.encrypt", (long)out->records, st, detail, err);
}
