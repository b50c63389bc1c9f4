/*
 * destruction.c — the physical destruction of witnessed records and the destruction
 * register (see destruction.h for the order of steps and why it is resumable).
 *
 * Where content can hide, and what removes it:
 *   - page images, OCR text and word boxes live in objects/: each object no other record
 *     uses is overwritten with zeros and unlinked (dg_store_remove);
 *   - the index holds the text in its posting lists, positions and document data: the
 *     record's documents are deleted and the database is compacted into a fresh folder
 *     that replaces the old one, so no old revision survives;
 *   - the catalog holds metadata (the register keeps the title on purpose): rows are
 *     deleted with secure_delete on, and the write-ahead log is checkpointed and
 *     truncated so no earlier page image of them remains in catalog.db-wal;
 *   - the classifier's saved model counts words and character pairs of every record an
 *     archivist reviewed: a reviewed record's decisions are deleted and the model is
 *     forgotten in the same transaction (class_review_internal.h); ingest rebuilds it
 *     from the remaining decisions when it next needs it.
 */
#include "destruction.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive_internal.h"
#include "archive_keys.h"
#include "key_copies.h"
#include "catalog.h"
#include "class_review_internal.h"
#include "../base/hash.h"
#include "lock.h"
#include "log.h"
#include "refcode.h"
#include "sealed_text.h"
#include "text_guard.h"

/* What the register keeps of one record, gathered before its rows are deleted. */
typedef struct register_row {
    int level, review_year, year, period_served, page_count, versions;
    char *refcode, *title, *category, *record_type, *period, *objects;
    char *appraiser, *approver, *witness1, *witness2, *remarks;
    char destroyed_at[32];
    const char *destroyed_by, *method;
    char row_hash[DG_SHA256_HEX];
} register_row;

static void register_row_clear(register_row *r)
{
    free(r->refcode);
    free(r->title);
    free(r->category);
    free(r->record_type);
    free(r->period);
    free(r->objects);
    free(r->appraiser);
    free(r->approver);
    free(r->witness1);
    free(r->witness2);
    free(r->remarks);
}

/* ---- the register row's hash ---------------------------------------------------------- */

/* The fields of a register row joined for hashing; failed once an allocation failed. */
typedef struct field_buf {
    char *buf;
    size_t len, cap;
    int failed;
} field_buf;

static void put_field(field_buf *b, const char *text)
{
    const char *t = text ? text : "\x1e";
    size_t add = strlen(t) + 1;
    if (b->failed)
        return;
    if (b->len + add + 1 > b->cap) {
        size_t ncap = (b->len + add + 1) * 2;
        char *bigger = realloc(b->buf, ncap);
        if (!bigger) {
            b->failed = 1;
            return;
        }
        b->buf = bigger;
        b->cap = ncap;
    }
    memcpy(b->buf + b->len, t, add - 1);
    b->buf[b->len + add - 1] = '\x1f';
    b->len += add;
}

static void put_number(field_buf *b, long long v)
{
    char num[32];
    snprintf(num, sizeof num, "%lld", v);
    put_field(b, num);
}

/*
 * SHA-256 over every field of the entry, each followed by a unit separator (NULL as a
 * record separator), like the access log's entries; the log entry of the destruction
 * carries it, which ties the register into the hash chain. 0 when out of memory: a hash
 * over fewer fields would make a permanent entry that can never be proved intact.
 */
static int hash_register_fields(int64_t serial, const register_row *r, char out[DG_SHA256_HEX])
{
    field_buf b = {0};
    put_number(&b, serial);
    put_number(&b, r->review_year);
    put_field(&b, r->refcode);
    put_field(&b, r->title);
    put_number(&b, r->year);
    put_field(&b, r->category);
    put_field(&b, r->record_type);
    put_field(&b, r->period);
    put_number(&b, r->period_served);
    put_number(&b, r->page_count);
    put_number(&b, r->versions);
    put_field(&b, r->objects);
    put_field(&b, r->appraiser);
    put_field(&b, r->approver);
    put_field(&b, r->witness1);
    put_field(&b, r->witness2);
    put_field(&b, r->destroyed_at);
    put_field(&b, r->destroyed_by);
    put_field(&b, r->method);
    put_field(&b, r->remarks);
    if (!b.failed)
        dg_sha256_hex(b.buf ? b.buf : "", b.buf ? b.len : 0, out);
    free(b.buf);
    return !b.failed;
}

/* ---- gathering a record's register data ------------------------------------------------ */

static dg_status gather_metadata(sqlite3 *db, int64_t review_id, int64_t record_id,
                                 register_row *r, dg_error *err)
{
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(
        db,
        "SELECT r.refcode, dg_clear(v.title), v.year, v.category, v.record_type, v.period,"
        " v.page_count, (SELECT count(*) FROM versions WHERE record_id = r.id),"
        " rv.year, a.login, p.login, dg_clear(i.reason), r.level FROM records r"
        " JOIN versions v ON v.record_id = r.id AND v.number = r.current_version"
        " JOIN review_items i ON i.record_id = r.id AND i.review_id = ?1"
        " JOIN reviews rv ON rv.id = i.review_id"
        " LEFT JOIN users a ON a.id = i.appraised_by LEFT JOIN users p ON p.id = rv.approved_by"
        " WHERE r.id = ?2",
        &stmt, err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_int64(stmt, 1, review_id);
    sqlite3_bind_int64(stmt, 2, record_id);
    st = dg_catalog_step_row(db, stmt, "read record to destroy", err, NULL);
    int missing = 0;
    if (st == DG_OK) {
        r->refcode = dg_column_copy(stmt, 0, &missing);
        r->title = dg_column_copy(stmt, 1, &missing);
        r->year = sqlite3_column_int(stmt, 2);
        r->category = dg_column_copy(stmt, 3, &missing);
        r->record_type = dg_column_copy(stmt, 4, &missing);
        r->period = dg_column_copy(stmt, 5, &missing);
        r->page_count = sqlite3_column_int(stmt, 6);
        r->versions = sqlite3_column_int(stmt, 7);
        r->review_year = sqlite3_column_int(stmt, 8);
        r->appraiser = dg_column_copy(stmt, 9, &missing);
        r->approver = dg_column_copy(stmt, 10, &missing);
        r->remarks = dg_column_copy(stmt, 11, &missing);
        r->level = sqlite3_column_int(stmt, 12);
        r->period_served = r->review_year - r->year - 1;
    }
    /* The register is permanent: an entry with a field lost is never written. */
    if (st == DG_OK && missing)
        st = dg_error_set(err, DG_ERR_NOMEM, "destruction register: record %lld: out of memory",
                          (long long)record_id);
    sqlite3_finalize(stmt);
    return st;
}

static dg_status gather_witnesses(sqlite3 *db, int64_t review_id, register_row *r,
                                  dg_error *err)
{
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(
        db,
        "SELECT u.login FROM review_signatures s JOIN users u ON u.id = s.user_id"
        " WHERE s.review_id = ? ORDER BY s.signed_at, u.login",
        &stmt, err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_int64(stmt, 1, review_id);
    int found = 0;
    st = dg_catalog_step_maybe_row(db, stmt, &found, "read witnesses", err);
    if (found) {
        r->witness1 = dg_column_strdup(stmt, 0);
        st = dg_catalog_step_maybe_row(db, stmt, &found, "read witnesses", err);
    }
    if (found)
        r->witness2 = dg_column_strdup(stmt, 0);
    sqlite3_finalize(stmt);
    if (st != DG_OK)
        return st;
    if (!r->witness1 || !r->witness2)
        return dg_error_set(err, DG_ERR_STATE, "%s: the destruction has not two witnesses",
                            r->refcode);
    return DG_OK;
}

#define RECORD_OBJECTS                                                                       \
    "SELECT DISTINCT sha FROM ("                                                             \
    " SELECT p.sha256 AS sha FROM pages p JOIN versions v ON v.id = p.version_id"            \
    "  WHERE v.record_id = ?1"                                                               \
    " UNION SELECT p.text_sha256 FROM pages p JOIN versions v ON v.id = p.version_id"        \
    "  WHERE v.record_id = ?1"                                                               \
    " UNION SELECT p.boxes_sha256 FROM pages p JOIN versions v ON v.id = p.version_id"       \
    "  WHERE v.record_id = ?1"                                                               \
    " UNION SELECT text_sha256 FROM versions WHERE record_id = ?1)"                          \
    " WHERE sha IS NOT NULL ORDER BY sha"

/* A space-separated list of object hashes being built, one row at a time. */
typedef struct hash_list {
    char *buf;
    size_t len, cap;
} hash_list;

static dg_status append_hash(sqlite3_stmt *stmt, void *ctx, dg_error *err)
{
    hash_list *l = ctx;
    const char *hex = (const char *)sqlite3_column_text(stmt, 0);
    size_t need = l->len + strlen(hex) + 2;
    if (need > l->cap) {
        char *bigger = realloc(l->buf, need * 2);
        if (!bigger)
            return dg_error_set(err, DG_ERR_NOMEM, "destruction: object list: out of memory");
        l->buf = bigger;
        l->cap = need * 2;
    }
    l->len += (size_t)sprintf(l->buf + l->len, "%s%s", l->len ? " " : "", hex);
    return DG_OK;
}

/* Every object any version of the record uses, space-separated. */
static dg_status gather_objects(sqlite3 *db, int64_t record_id, char **list, dg_error *err)
{
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(db, RECORD_OBJECTS, &stmt, err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_int64(stmt, 1, record_id);
    hash_list l = {.buf = calloc(1, 1), .cap = 1};
    if (!l.buf) {
        sqlite3_finalize(stmt);
        return dg_error_set(err, DG_ERR_NOMEM, "destruction: object list: out of memory");
    }
    st = dg_catalog_each_row(db, stmt, append_hash, &l, "read record objects", err);
    if (st != DG_OK) {
        free(l.buf);
        return st;
    }
    *list = l.buf;
    return DG_OK;
}

static dg_status bind_register_fields(sqlite3 *db, int64_t serial, const register_row *r,
                                     const char *title, const char *remarks, dg_error *err)
{
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(
        db,
        "INSERT INTO destruction_register(serial, review_year, refcode, title, year, category,"
        " record_type, period, period_served, page_count, versions, objects, appraiser,"
        " approver, witness1, witness2, destroyed_at, destroyed_by, method, remarks, row_hash,"
        " level) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        &stmt, err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_int64(stmt, 1, serial);
    sqlite3_bind_int(stmt, 2, r->review_year);
    sqlite3_bind_text(stmt, 3, r->refcode, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 4, title, -1, SQLITE_STATIC);
    sqlite3_bind_int(stmt, 5, r->year);
    sqlite3_bind_text(stmt, 6, r->category, -1, SQLITE_STATIC);
    dg_bind_text_or_null(stmt, 7, r->record_type);
    sqlite3_bind_text(stmt, 8, r->period, -1, SQLITE_STATIC);
    sqlite3_bind_int(stmt, 9, r->period_served);
    sqlite3_bind_int(stmt, 10, r->page_count);
    sqlite3_bind_int(stmt, 11, r->versions);
    sqlite3_bind_text(stmt, 12, r->objects, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 13, r->appraiser ? r->appraiser : "?", -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 14, r->approver ? r->approver : "?", -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 15, r->witness1, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 16, r->witness2, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 17, r->destroyed_at, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 18, r->destroyed_by, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 19, r->method, -1, SQLITE_STATIC);
    dg_bind_text_or_null(stmt, 20, remarks);
    sqlite3_bind_text(stmt, 21, r->row_hash, -1, SQLITE_STATIC);
    sqlite3_bind_int(stmt, 22, r->level);
    return dg_catalog_step_done(db, stmt, err);
}

/*
 * The register's titles are sealed under the archive's register key (archive_keys.h), not
 * the record's: the register outlives the records it lists, and the record's own key is
 * shredded in this very destruction. A copy of the archive folder without the master key
 * thus shows no title, while the register keeps what the law asks of it for as long as the
 * archive lives.
 */
static dg_status register_seal(dg_archive *archive, dg_store_seal *seal,
                               const dg_store_seal **use, dg_error *err)
{
    return dg_archive_key_seal(archive, DG_REGISTER_KEY_SETTING, seal, use, err);
}

/* Inserts the register row, its title sealed under the register key (register_seal). */
static dg_status insert_register_fields(dg_archive *archive, int64_t serial,
                                        const register_row *r, dg_error *err)
{
    dg_store_seal seal;
    const dg_store_seal *use;
    char *title = NULL, *remarks = NULL; /* the remarks quote the appraisal's reason */
    dg_status st = register_seal(archive, &seal, &use, err);
    if (st == DG_OK)
        st = dg_text_seal(use, r->title, &title, err);
    if (st == DG_OK)
        st = dg_text_seal(use, r->remarks, &remarks, err);
    sodium_memzero(&seal, sizeof seal);
    if (st == DG_OK)
        st = bind_register_fields(archive->db, serial, r, title, remarks, err);
    free(title);
    free(remarks);
    return st;
}

/* Writes the register entry and the log entry that carries its hash. */
static dg_status insert_register_row(dg_archive *archive, const dg_actor *actor,
                                     register_row *r, dg_error *err)
{
    sqlite3 *db = archive->db;
    int64_t serial = 1;
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(
        db, "SELECT coalesce(max(serial), 0) + 1 FROM destruction_register", &stmt, err);
    if (st == DG_OK)
        st = dg_catalog_row_int64(db, stmt, &serial, "read register serial", err, NULL);
    if (st != DG_OK)
        return st;
    if (!hash_register_fields(serial, r, r->row_hash))
        return dg_error_set(err, DG_ERR_NOMEM, "destruction register: %s: out of memory",
                            r->refcode);
    st = insert_register_fields(archive, serial, r, err);
    if (st != DG_OK)
        return st;
    char detail[512];
    snprintf(detail, sizeof detail,
             "register #%lld sha256=%s; %d versions, %d pages; approved by %s; witnessed by "
             "%s and %s; method: %s",
             (long long)serial, r->row_hash, r->versions, r->page_count,
             r->approver ? r->approver : "?", r->witness1, r->witness2, r->method);
    dg_log_event ev = {.action = "retention.destroy", .refcode = r->refcode, .hits = -1,
                       .outcome = "ok", .detail = detail};
    return dg_log_append_in_txn(archive, actor, NULL, &ev, err);
}

/* ---- phase 1: the catalog, one record per transaction ---------------------------------- */

/* Whether any record's rows still use the object (the destroyed record's are gone). */
static dg_status object_still_used(sqlite3 *db, const char *hex, int *used, dg_error *err)
{
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(
        db,
        "SELECT EXISTS (SELECT 1 FROM pages WHERE sha256 = ?1)"
        " OR EXISTS (SELECT 1 FROM pages WHERE text_sha256 = ?1)"
        " OR EXISTS (SELECT 1 FROM pages WHERE boxes_sha256 = ?1)"
        " OR EXISTS (SELECT 1 FROM versions WHERE text_sha256 = ?1)",
        &stmt, err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_text(stmt, 1, hex, -1, SQLITE_STATIC);
    int64_t uses = 0;
    st = dg_catalog_row_int64(db, stmt, &uses, "check object use", err, NULL);
    if (st == DG_OK)
        *used = uses != 0;
    return st;
}

static dg_status exec_with_text(sqlite3 *db, const char *sql, const char *text, dg_error *err)
{
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(db, sql, &stmt, err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_text(stmt, 1, text, -1, SQLITE_STATIC);
    return dg_catalog_step_done(db, stmt, err);
}

static dg_status exec_with_id(sqlite3 *db, const char *sql, int64_t id, int64_t id2,
                              dg_error *err)
{
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(db, sql, &stmt, err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_int64(stmt, 1, id);
    if (sqlite3_bind_parameter_count(stmt) >= 2)
        sqlite3_bind_int64(stmt, 2, id2);
    return dg_catalog_step_done(db, stmt, err);
}

/* Deletes the record's rows; the record row stays (its code is never reused). */
static dg_status delete_record_rows(sqlite3 *db, int64_t record_id, dg_error *err)
{
    static const char *const SQL[] = {
        /* Forgetting the key id lets phase 2 shred the key (crypto-shredding). */
        "UPDATE records SET state = 'destroyed', key_id = NULL WHERE id = ?1",
        "DELETE FROM index_queue WHERE version_id IN (SELECT id FROM versions"
        " WHERE record_id = ?1)",
        "DELETE FROM grants WHERE record_id = ?1",
        "DELETE FROM pages WHERE version_id IN (SELECT id FROM versions WHERE record_id = ?1)",
        "DELETE FROM versions WHERE record_id = ?1",
        /* The batch journal's rows that name the record (filed, or a duplicate of it) keep
         * its file's name and hash: gone with it, so nothing but the register remains.
         * Quarantine rows name no record (what they hold was never filed). */
        "DELETE FROM batch_files WHERE refcode IN (SELECT refcode FROM records WHERE id = ?1"
        " UNION SELECT alias FROM refcode_aliases WHERE record_id = ?1)",
    };
    dg_status st = DG_OK;
    for (size_t i = 0; st == DG_OK && i < sizeof SQL / sizeof SQL[0]; i++)
        st = exec_with_id(db, SQL[i], record_id, 0, err);
    return st;
}

/* Objects nobody else uses lose their rows now and their files in phase 2. */
static dg_status release_objects(sqlite3 *db, char *objects, dg_error *err)
{
    dg_status st = DG_OK;
    char *save = NULL;
    for (char *hex = strtok_r(objects, " ", &save); st == DG_OK && hex;
         hex = strtok_r(NULL, " ", &save)) {
        int used = 1;
        st = object_still_used(db, hex, &used, err);
        if (st == DG_OK && !used)
            st = exec_with_text(db, "DELETE FROM objects WHERE sha256 = ?1", hex, err);
        if (st == DG_OK && !used)
            st = exec_with_text(db,
                                "INSERT OR IGNORE INTO disposal_pending_objects(sha256)"
                                " VALUES(?1)",
                                hex, err);
    }
    return st;
}

static dg_status destroy_in_catalog(dg_archive *archive, const dg_actor *actor,
                                    int64_t review_id, int64_t record_id, const char *method,
                                    dg_error *err)
{
    sqlite3 *db = archive->db;
    register_row r = {0};
    r.destroyed_by = actor->login;
    r.method = method;
    dg_now_iso(r.destroyed_at);
    dg_status st = gather_metadata(db, review_id, record_id, &r, err);
    if (st == DG_OK)
        st = gather_witnesses(db, review_id, &r, err);
    if (st == DG_OK)
        st = gather_objects(db, record_id, &r.objects, err);
    if (st == DG_OK)
        st = insert_register_row(archive, actor, &r, err);
    if (st == DG_OK)
        st = delete_record_rows(db, record_id, err);
    if (st == DG_OK)
        st = dg_class_review_forget_record(archive, actor, record_id, NULL, err);
    if (st == DG_OK)
        st = release_objects(db, r.objects, err); /* (tokenises r.objects: hashed already) */
    if (st == DG_OK)
        st = exec_with_id(db,
                          "UPDATE review_items SET state = 'destroying' WHERE review_id = ?1"
                          " AND record_id = ?2 AND state = 'witnessed'",
                          review_id, record_id, err);
    register_row_clear(&r);
    return st;
}

/* The next witnessed record of the review that no hold protects, or 0. */
static dg_status next_to_destroy(sqlite3 *db, int64_t review_id, int64_t *record_id,
                                 dg_error *err)
{
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(
        db,
        "SELECT i.record_id FROM review_items i WHERE i.review_id = ? AND i.state = 'witnessed'"
        " AND NOT EXISTS (SELECT 1 FROM holds h WHERE h.record_id = i.record_id"
        " AND h.released_at IS NULL) ORDER BY i.record_id LIMIT 1",
        &stmt, err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_int64(stmt, 1, review_id);
    int found = 0;
    st = dg_catalog_step_maybe_row(db, stmt, &found, "find next record to destroy", err);
    *record_id = found ? sqlite3_column_int64(stmt, 0) : 0;
    sqlite3_finalize(stmt);
    return st;
}

static dg_status destroy_catalog_rows(dg_archive *archive, const dg_actor *actor,
                                      int64_t review_id, const char *method,
                                      dg_destroy_result *out, dg_error *err)
{
    for (;;) {
        int64_t record_id = 0;
        dg_status st = next_to_destroy(archive->db, review_id, &record_id, err);
        if (st != DG_OK || record_id == 0)
            return st;
        st = dg_catalog_begin_write(archive->db, err);
        if (st == DG_OK) {
            st = destroy_in_catalog(archive, actor, review_id, record_id, method, err);
            st = dg_catalog_end_write(archive->db, st, err);
        }
        if (st != DG_OK)
            return st;
        out->destroyed++;
    }
}

/* ---- phase 2: files, index, write-ahead log -------------------------------------------- */

static dg_status load_ids(sqlite3 *db, const char *sql, int64_t **ids, size_t *count,
                          dg_error *err)
{
    *ids = NULL;
    *count = 0;
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(db, sql, &stmt, err);
    if (st != DG_OK)
        return st;
    return dg_catalog_collect(db, stmt, (void **)ids, count, sizeof **ids, dg_row_read_int64,
                              NULL, "read record ids", err);
}

static dg_status delete_index_documents(dg_archive *archive, dg_error *err)
{
    int64_t *ids;
    size_t n;
    dg_status st = load_ids(archive->db,
                            "SELECT DISTINCT record_id FROM review_items WHERE state ="
                            " 'destroying'",
                            &ids, &n, err);
    dg_index *index = NULL;
    if (st == DG_OK)
        st = dg_archive_index_writer(archive, &index, err);
    for (size_t i = 0; st == DG_OK && i < n; i++)
        st = dg_index_delete_record(index, ids[i], err);
    if (st == DG_OK)
        st = dg_index_commit(index, err);
    free(ids);
    return st;
}

typedef struct removal {
    dg_archive *archive;
    uint64_t *removed;
} removal;

static dg_status remove_unused_object(sqlite3_stmt *stmt, void *ctx, dg_error *err)
{
    removal *r = ctx;
    if (sqlite3_column_int(stmt, 1))
        return DG_OK;
    dg_status st = dg_store_remove(r->archive->store, (const char *)sqlite3_column_text(stmt, 0),
                                   err);
    if (st == DG_OK)
        (*r->removed)++;
    return st;
}

/* A pending object whose content was filed again since (a new objects row) is kept. */
static dg_status remove_pending_objects(dg_archive *archive, uint64_t *removed, dg_error *err)
{
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(
        archive->db,
        "SELECT p.sha256, EXISTS (SELECT 1 FROM objects o WHERE o.sha256 = p.sha256)"
        " FROM disposal_pending_objects p",
        &stmt, err);
    if (st != DG_OK)
        return st;
    removal r = {.archive = archive, .removed = removed};
    st = dg_catalog_each_row(archive->db, stmt, remove_unused_object, &r,
                             "read pending objects", err);
    if (st == DG_OK)
        st = dg_catalog_exec(archive->db, "DELETE FROM disposal_pending_objects", err);
    return st;
}

/* Copies every page of the write-ahead log into catalog.db and truncates the log to zero. */
static dg_status truncate_wal(dg_archive *archive, dg_error *err)
{
    int log_frames = 0, done = 0;
    int rc = sqlite3_wal_checkpoint_v2(archive->db, NULL, SQLITE_CHECKPOINT_TRUNCATE,
                                       &log_frames, &done);
    if (rc == SQLITE_BUSY)
        return dg_error_set(err, DG_ERR_BUSY,
                            "catalog: another process is reading the catalog, so its "
                            "write-ahead log could not be truncated; run destroy again");
    if (rc != SQLITE_OK)
        return dg_catalog_error(archive->db, err, "checkpoint");
    return DG_OK;
}

static dg_status mark_destroyed(dg_archive *archive, const dg_actor *actor, int64_t review_id,
                                uint64_t objects, dg_error *err)
{
    dg_status st = dg_catalog_begin_write(archive->db, err);
    if (st != DG_OK)
        return st;
    int finished = sqlite3_total_changes(archive->db);
    st = dg_catalog_exec(archive->db,
                         "UPDATE review_items SET state = 'destroyed' WHERE state = 'destroying'",
                         err);
    finished = sqlite3_total_changes(archive->db) - finished;
    if (st == DG_OK)
        st = exec_with_id(archive->db,
                          "UPDATE reviews SET state = 'destroyed' WHERE id = ?1"
                          " AND state = 'witnessed' AND NOT EXISTS (SELECT 1 FROM review_items"
                          " WHERE review_id = ?1 AND state IN ('witnessed', 'destroying'))",
                          review_id, 0, err);
    if (st == DG_OK && finished > 0) {
        char detail[160];
        snprintf(detail, sizeof detail,
                 "%d records destroyed, %llu object files removed, index compacted, "
                 "catalog log truncated",
                 finished, (unsigned long long)objects);
        dg_log_event ev = {.action = "retention.destroy.done", .hits = finished,
                           .outcome = "ok", .detail = detail};
        st = dg_log_append_in_txn(archive, actor, NULL, &ev, err);
    }
    return dg_catalog_end_write(archive->db, st, err);
}

/* 1 when a live record, an archive key (archive_keys.h) or a record being sealed
 * (encrypt_in_place.h) still uses the data key id, 0 when none does, -1 on error. */
static int key_in_use(const char *id, void *ctx)
{
    sqlite3 *db = ctx;
    sqlite3_stmt *stmt;
    dg_error ignored;
    int archive_key = dg_archive_key_in_use(db, id);
    if (archive_key != 0)
        return archive_key;
    if (dg_catalog_prepare(db,
                           "SELECT 1 FROM records WHERE key_id = ?1"
                           " UNION ALL SELECT 1 FROM sealing_in_progress WHERE key_id = ?1",
                           &stmt, &ignored) != DG_OK)
        return -1;
    sqlite3_bind_text(stmt, 1, id, -1, SQLITE_STATIC);
    int found = 0;
    dg_status st = dg_catalog_step_maybe_row(db, stmt, &found, "look up a data key", &ignored);
    sqlite3_finalize(stmt);
    return st == DG_OK ? found : -1;
}

/*
 * Crypto-shredding: the data keys no record holds any more (destroyed records', and those
 * of adds that never committed) are deleted from keys.db with secure_delete and its log
 * truncated, so every copy of their objects, backups included, stays unreadable.
 */
static dg_status shred_keys(dg_archive *archive, dg_error *err)
{
    if (!archive->keys)
        return DG_OK;
    size_t shredded = 0;
    return dg_keys_shred_unused(archive->keys, key_in_use, archive->db, &shredded, err);
}

static dg_status finish_destruction(dg_archive *archive, const dg_actor *actor,
                                    int64_t review_id, dg_destroy_result *out, dg_error *err)
{
    int64_t *pending;
    size_t n_pending;
    dg_status st = load_ids(archive->db,
                            "SELECT 1 FROM review_items WHERE state = 'destroying' LIMIT 1",
                            &pending, &n_pending, err);
    free(pending);
    if (st != DG_OK)
        return st;
    if (n_pending) {
        st = delete_index_documents(archive, err);
        if (st == DG_OK)
            st = remove_pending_objects(archive, &out->objects, err);
        if (st == DG_OK)
            st = shred_keys(archive, err);
        if (st == DG_OK) /* the key backups must not keep what was just shredded */
            st = dg_key_copies_refresh(archive, err);
        dg_index *index = NULL;
        if (st == DG_OK)
            st = dg_archive_index_writer(archive, &index, err);
        if (st == DG_OK)
            st = dg_index_compact(index, err);
        if (st == DG_OK)
            st = truncate_wal(archive, err);
    }
    if (st == DG_OK)
        st = mark_destroyed(archive, actor, review_id, out->objects, err);
    if (st == DG_OK)
        st = truncate_wal(archive, err);
    return st;
}

/* The next live record whose data key is gone from keys.db (0: none). */
static dg_status next_keyless(dg_archive *archive, int64_t after, int64_t *record_id,
                              char refcode[DG_REFCODE_MAX], dg_error *err)
{
    *record_id = 0;
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(archive->db,
                                      "SELECT id, key_id, refcode FROM records WHERE id > ?"
                                      " AND state = 'live' AND key_id IS NOT NULL ORDER BY id",
                                      &stmt, err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_int64(stmt, 1, after);
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        unsigned char key[DG_KEY_BYTES];
        dg_error why;
        dg_status got = dg_keys_get(archive->keys, (const char *)sqlite3_column_text(stmt, 1),
                                    key, &why);
        sodium_memzero(key, sizeof key);
        if (got == DG_ERR_NOT_FOUND) {
            *record_id = sqlite3_column_int64(stmt, 0);
            snprintf(refcode, DG_REFCODE_MAX, "%s", (const char *)sqlite3_column_text(stmt, 2));
            break;
        }
        if (got != DG_OK) {
            st = dg_error_set(err, got, "%s", why.msg);
            break;
        }
    }
    if (st == DG_OK && rc != SQLITE_ROW && rc != SQLITE_DONE)
        st = dg_catalog_error(archive->db, err, "read records");
    sqlite3_finalize(stmt);
    return st;
}

/*
 * The witnessed destruction of a keyless record happened in the live archive after the
 * backup: the restored catalog has no review item for it. The guard on the 'destroyed'
 * state (catalog.c, migration 13) accepts a second kind of evidence, a row of
 * keyless_destructions naming the record and the very key id it held: restore writes that
 * row, which stays (it can be neither changed nor deleted), then marks the record as a
 * destruction does. The evidence behind the row is the key's absence from the key backup,
 * which only a destruction's shredding removes (next_keyless checked it).
 */
static dg_status note_keyless(sqlite3 *db, int64_t record_id, dg_error *err)
{
    char now[32];
    dg_now_iso(now);
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(db,
                                      "INSERT INTO keyless_destructions(record_id, key_id, at)"
                                      " SELECT id, key_id, ?2 FROM records WHERE id = ?1",
                                      &stmt, err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_int64(stmt, 1, record_id);
    sqlite3_bind_text(stmt, 2, now, -1, SQLITE_STATIC);
    return dg_catalog_step_done(db, stmt, err);
}

static dg_status mark_keyless_destroyed(sqlite3 *db, int64_t record_id, dg_error *err)
{
    dg_status st = note_keyless(db, record_id, err);
    if (st == DG_OK)
        st = delete_record_rows(db, record_id, err);
    return st;
}

static dg_status forget_keyless_record(dg_archive *archive, const dg_actor *actor,
                                       int64_t record_id, const char *refcode, dg_error *err)
{
    char *objects = NULL;
    dg_status st = dg_catalog_begin_write(archive->db, err);
    if (st != DG_OK)
        return st;
    st = gather_objects(archive->db, record_id, &objects, err);
    if (st == DG_OK)
        st = mark_keyless_destroyed(archive->db, record_id, err);
    if (st == DG_OK)
        st = dg_class_review_forget_record(archive, actor, record_id, NULL, err);
    if (st == DG_OK)
        st = release_objects(archive->db, objects, err);
    if (st == DG_OK) {
        dg_log_event ev = {.action = "restore.keyless", .refcode = refcode, .hits = -1,
                           .outcome = "ok",
                           .detail = "its data key is not in the key backup (destroyed after "
                                     "the backup was taken): marked destroyed"};
        st = dg_log_append_in_txn(archive, actor, NULL, &ev, err);
    }
    free(objects);
    return dg_catalog_end_write(archive->db, st, err);
}

/* A record without its key that was filed after the key backup was written: that key
 * backup is stale, and taking the missing key for a destruction would destroy the record. */
static dg_status refuse_if_filed_after(sqlite3 *db, int64_t record_id, const char *refcode,
                                       const char *keys_written, dg_error *err)
{
    if (!keys_written)
        return DG_OK;
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(db,
                                      "SELECT min(created_at) FROM versions WHERE record_id = ?",
                                      &stmt, err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_int64(stmt, 1, record_id);
    st = dg_catalog_step_row(db, stmt, "read versions", err, "no versions");
    char filed[40] = "";
    if (st == DG_OK && sqlite3_column_type(stmt, 0) == SQLITE_TEXT)
        snprintf(filed, sizeof filed, "%s", (const char *)sqlite3_column_text(stmt, 0));
    sqlite3_finalize(stmt);
    if (st != DG_OK || strcmp(filed, keys_written) <= 0)
        return st;
    return dg_error_set(err, DG_ERR_CORRUPT,
                        "the key backup (written %s) is older than record %s (filed %s): "
                        "its key is missing because the key backup is stale, not because "
                        "the record was destroyed; restore with the latest key backup",
                        keys_written, refcode, filed);
}

dg_status dg_destruction_forget_keyless(dg_archive *archive, const dg_actor *actor,
                                        const char *keys_written, size_t *count, dg_error *err)
{
    *count = 0;
    if (!archive->keys)
        return DG_OK;
    int64_t id = 0;
    char refcode[DG_REFCODE_MAX];
    /* Most restores have none: then no write lock, so no index writer is opened (and no
     * empty index made and synced, level by level) only to be rebuilt by the reindex. */
    dg_status st = next_keyless(archive, 0, &id, refcode, err);
    if (st != DG_OK || id == 0)
        return st;
    st = refuse_if_filed_after(archive->db, id, refcode, keys_written, err);
    if (st != DG_OK)
        return st;
    id--; /* found again under the lock, from where the look ended */
    st = dg_archive_lock_write(archive, err);
    if (st != DG_OK)
        return st;
    for (;;) {
        st = next_keyless(archive, id, &id, refcode, err);
        if (st != DG_OK || id == 0)
            break;
        st = refuse_if_filed_after(archive->db, id, refcode, keys_written, err);
        if (st == DG_OK)
            st = forget_keyless_record(archive, actor, id, refcode, err);
        if (st != DG_OK)
            break;
        (*count)++;
    }
    uint64_t removed = 0;
    if (st == DG_OK && *count)
        st = remove_pending_objects(archive, &removed, err);
    if (st == DG_OK && *count)
        st = truncate_wal(archive, err);
    dg_archive_unlock_write(archive);
    return st;
}

dg_status dg_destruction_resume(dg_archive *archive, dg_error *err)
{
    int64_t *pending;
    size_t n_pending;
    dg_status st = load_ids(archive->db,
                            "SELECT 1 FROM review_items WHERE state = 'destroying' LIMIT 1",
                            &pending, &n_pending, err);
    free(pending);
    if (st != DG_OK || !n_pending)
        return st;
    st = dg_archive_lock_write(archive, err);
    if (st != DG_OK)
        return st;
    uint64_t removed = 0;
    st = delete_index_documents(archive, err);
    if (st == DG_OK)
        st = remove_pending_objects(archive, &removed, err);
    dg_archive_unlock_write(archive);
    return st != DG_OK ? dg_error_prefix(err, "finishing an interrupted destruction: ") : st;
}

static void refcode_from_row(sqlite3_stmt *stmt, void *item, void *ctx)
{
    (void)ctx;
    *(char **)item = dg_column_strdup(stmt, 0);
}

static dg_status list_held(sqlite3 *db, int64_t review_id, dg_destroy_result *out,
                           dg_error *err)
{
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(
        db,
        "SELECT r.refcode FROM review_items i JOIN records r ON r.id = i.record_id"
        " WHERE i.review_id = ? AND i.state = 'witnessed' ORDER BY r.refcode",
        &stmt, err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_int64(stmt, 1, review_id);
    size_t held = (size_t)out->held;
    st = dg_catalog_collect(db, stmt, (void **)&out->held_refcodes, &held,
                            sizeof *out->held_refcodes, refcode_from_row, NULL,
                            "read held records", err);
    out->held = held;
    return st;
}

static dg_status log_held(dg_archive *archive, const dg_actor *actor, dg_destroy_result *out)
{
    for (uint64_t i = 0; i < out->held; i++) {
        dg_log_event ev = {.action = "retention.destroy", .refcode = out->held_refcodes[i],
                           .hits = -1, .outcome = "refused",
                           .detail = "on hold: not destroyed"};
        dg_error ignored;
        dg_log_append(archive, actor, NULL, &ev, &ignored);
    }
    return DG_OK;
}

dg_status dg_review_destroy(dg_archive *archive, const dg_actor *actor, int64_t review_id,
                            const char *method, dg_destroy_result *out, dg_error *err)
{
    memset(out, 0, sizeof *out);
    dg_status st = dg_text_guard("method", method, err);
    if (st == DG_OK)
        st = dg_archive_lock_write(archive, err);
    if (st != DG_OK)
        return st;
    /* A killed run may have left records half way: finish them before starting more. */
    st = finish_destruction(archive, actor, review_id, out, err);
    if (st == DG_OK)
        st = destroy_catalog_rows(archive, actor, review_id, method, out, err);
    if (st == DG_OK)
        st = finish_destruction(archive, actor, review_id, out, err);
    if (st == DG_OK)
        st = list_held(archive->db, review_id, out, err);
    if (st == DG_OK)
        log_held(archive, actor, out);
    dg_archive_unlock_write(archive);
    return st;
}

void dg_destroy_result_free(dg_destroy_result *result)
{
    for (uint64_t i = 0; result && i < result->held; i++)
        free(result->held_refcodes[i]);
    if (result)
        free(result->held_refcodes);
}

/* ---- the register --------------------------------------------------------------------- */

void dg_register_free(dg_register_entry *entries, size_t count)
{
    for (size_t i = 0; entries && i < count; i++) {
        dg_register_entry *e = &entries[i];
        free(e->refcode);
        free(e->title);
        free(e->category);
        free(e->record_type);
        free(e->period);
        free(e->objects);
        free(e->appraiser);
        free(e->approver);
        free(e->witness1);
        free(e->witness2);
        free(e->destroyed_at);
        free(e->destroyed_by);
        free(e->method);
        free(e->remarks);
        free(e->row_hash);
    }
    free(entries);
}

static void entry_from_row(sqlite3_stmt *stmt, dg_register_entry *e)
{
    e->serial = sqlite3_column_int64(stmt, 0);
    e->review_year = sqlite3_column_int(stmt, 1);
    e->refcode = dg_column_strdup(stmt, 2);
    e->title = dg_column_strdup(stmt, 3);
    e->year = sqlite3_column_int(stmt, 4);
    e->category = dg_column_strdup(stmt, 5);
    e->record_type = dg_column_strdup(stmt, 6);
    e->period = dg_column_strdup(stmt, 7);
    e->period_served = sqlite3_column_int(stmt, 8);
    e->page_count = sqlite3_column_int(stmt, 9);
    e->versions = sqlite3_column_int(stmt, 10);
    e->objects = dg_column_strdup(stmt, 11);
    e->appraiser = dg_column_strdup(stmt, 12);
    e->approver = dg_column_strdup(stmt, 13);
    e->witness1 = dg_column_strdup(stmt, 14);
    e->witness2 = dg_column_strdup(stmt, 15);
    e->destroyed_at = dg_column_strdup(stmt, 16);
    e->destroyed_by = dg_column_strdup(stmt, 17);
    e->method = dg_column_strdup(stmt, 18);
    e->remarks = dg_column_strdup(stmt, 19);
    e->row_hash = dg_column_strdup(stmt, 20);
    e->level = sqlite3_column_int(stmt, 22);
}

/* The entry is intact when its fields still hash to the value its log entry recorded. */
static int entry_is_intact(const dg_register_entry *e, int logged)
{
    register_row r = {
        .review_year = e->review_year, .year = e->year, .period_served = e->period_served,
        .page_count = e->page_count, .versions = e->versions, .refcode = e->refcode,
        .title = e->title, .category = e->category, .record_type = e->record_type,
        .period = e->period, .objects = e->objects, .appraiser = e->appraiser,
        .approver = e->approver, .witness1 = e->witness1, .witness2 = e->witness2,
        .remarks = e->remarks, .destroyed_by = e->destroyed_by, .method = e->method,
    };
    snprintf(r.destroyed_at, sizeof r.destroyed_at, "%s", e->destroyed_at ? e->destroyed_at : "");
    char hash[DG_SHA256_HEX];
    /* Out of memory proves nothing either way; the entry is not called intact then. */
    if (!hash_register_fields(e->serial, &r, hash))
        return 0;
    return logged && e->row_hash && strcmp(hash, e->row_hash) == 0;
}

/* Reads a register entry and checks it against the log (column 21: the entry was logged). */
static void register_entry_from_row(sqlite3_stmt *stmt, void *item, void *ctx)
{
    (void)ctx;
    dg_register_entry *e = item;
    entry_from_row(stmt, e);
    e->intact = entry_is_intact(e, sqlite3_column_int(stmt, 21));
}

dg_status dg_register_list(dg_archive *archive, int review_year, dg_register_entry **out,
                           size_t *count, dg_error *err)
{
    *out = NULL;
    *count = 0;
    sqlite3_stmt *stmt;
    /* Each row is checked against its entry in the log: a pending one goes in first (log.h). */
    dg_status st = dg_log_pending_flush(archive, err);
    if (st != DG_OK)
        return st;
    st = dg_catalog_prepare(
        archive->db,
        "SELECT g.serial, g.review_year, g.refcode, dg_clear(g.title), g.year, g.category, g.record_type,"
        " g.period, g.period_served, g.page_count, g.versions, g.objects, g.appraiser,"
        " g.approver, g.witness1, g.witness2, g.destroyed_at, g.destroyed_by, g.method,"
        " dg_clear(g.remarks), g.row_hash, EXISTS (SELECT 1 FROM access_log l WHERE"
        " l.refcode = g.refcode AND l.action = 'retention.destroy' AND l.outcome = 'ok'"
        " AND instr(dg_clear(l.detail), 'sha256=' || g.row_hash) > 0), g.level"
        " FROM destruction_register g WHERE ?1 = 0 OR g.review_year = ?1 ORDER BY g.serial",
        &stmt, err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_int(stmt, 1, review_year);
    st = dg_catalog_collect(archive->db, stmt, (void **)out, count, sizeof **out,
                            register_entry_from_row, NULL, "read register", err);
    if (st != DG_OK) {
        dg_register_free(*out, *count);
        *out = NULL;
        *count = 0;
    }
    return st;
}

dg_status dg_register_last_log_entry(dg_archive *archive, int review_year, int64_t *entry,
                                     dg_error *err)
{
    sqlite3_stmt *stmt;
    dg_status st = dg_log_pending_flush(archive, err); /* the destruction's own entry (log.h) */
    if (st != DG_OK)
        return st;
    st = dg_catalog_prepare(
        archive->db,
        "SELECT max(l.id) FROM destruction_register g JOIN access_log l ON l.refcode ="
        " g.refcode AND l.action = 'retention.destroy' AND l.outcome = 'ok'"
        " AND instr(dg_clear(l.detail), 'sha256=' || g.row_hash) > 0 WHERE g.review_year = ?"
        " HAVING max(l.id) IS NOT NULL",
        &stmt, err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_int(stmt, 1, review_year);
    return dg_catalog_row_int64(archive->db, stmt, entry, "read register", err,
                                "review %d: nothing destroyed in the register", review_year);
}
