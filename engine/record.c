/*
 * record.c — filing a record (record.h): its objects, its catalog rows and its index-queue
 * entries, written by pieces that version.c reuses for later versions (record_internal.h);
 * finding a record the actor may see; and reading records and pages back under clearance.
 * New versions and level-4 grants are version.c; indexing what a write queued, indexer.c.
 *
 * Order of a write (the brief's crash rule): page and text objects go to the store first;
 * then one catalog transaction inserts the object rows, the record and version rows, the
 * pages, the index-queue entries and the log entry; then the index is written and the
 * queue emptied. A crash before the commit leaves only unreferenced objects (reported by
 * verify as orphans, reused by a retry); after it, the next writer indexes the queue.
 */
#include "record.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "archive_internal.h"
#include "archive_keys.h"
#include "catalog.h"
#include "index_pipe.h"
#include "indexer.h"
#include "lock.h"
#include "log.h"
#include "record_internal.h"
#include "sealed_text.h"
#include "user.h"
#include "vocab.h"
#include "text_guard.h"

static dg_status store_object(dg_archive *archive, dg_object_list *list, const void *data,
                              size_t len, char hex[DG_SHA256_HEX], dg_error *err)
{
    /* Room first: an object put in the store must be on the list, to be removed if the
     * write fails. */
    if (list->count == list->cap) {
        size_t cap = list->cap ? 2 * list->cap : 8;
        struct dg_stored_object *grown = realloc(list->items, cap * sizeof *grown);
        if (!grown)
            return dg_error_set(err, DG_ERR_NOMEM, "storing an object: out of memory");
        list->items = grown;
        list->cap = cap;
    }
    uint64_t stored_size = 0;
    dg_status st = dg_store_put_sealed(archive->store, list->seal, data, len, hex, NULL,
                                       &stored_size, err);
    if (st != DG_OK)
        return st;
    struct dg_stored_object *o = &list->items[list->count++];
    memcpy(o->hex, hex, DG_SHA256_HEX);
    o->size = len;
    o->stored_size = stored_size;
    return DG_OK;
}

dg_status dg_record_seal_new(dg_archive *archive, dg_store_seal *seal,
                             const dg_store_seal **use, dg_error *err)
{
    *use = NULL;
    if (!archive->keys)
        return DG_OK;
    dg_status st = dg_keys_new(archive->keys, seal->key_id, seal->key, err);
    if (st == DG_OK)
        *use = seal;
    return st;
}

dg_status dg_record_seal_of(dg_archive *archive, int64_t record_id, dg_store_seal *seal,
                            const dg_store_seal **use, dg_error *err)
{
    *use = NULL;
    if (!archive->keys)
        return DG_OK;
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(archive->db, "SELECT key_id FROM records WHERE id = ?",
                                      &stmt, err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_int64(stmt, 1, record_id);
    st = dg_catalog_step_row(archive->db, stmt, "find the record's key", err, NULL);
    const unsigned char *id = st == DG_OK ? sqlite3_column_text(stmt, 0) : NULL;
    if (st == DG_OK && !id)
        st = dg_error_set(err, DG_ERR_CORRUPT,
                          "record %lld: has no data key in an encrypted archive",
                          (long long)record_id);
    if (st == DG_OK)
        snprintf(seal->key_id, sizeof seal->key_id, "%s", (const char *)id);
    sqlite3_finalize(stmt);
    if (st == DG_OK)
        st = dg_keys_get(archive->keys, seal->key_id, seal->key, err);
    if (st == DG_OK)
        *use = seal;
    return st;
}

dg_status dg_record_seal_text(dg_archive *archive, int64_t record_id, const char *plain,
                              char **out, dg_error *err)
{
    *out = NULL;
    if (!plain)
        return DG_OK;
    dg_store_seal seal;
    const dg_store_seal *use = NULL;
    dg_status st = dg_record_seal_of(archive, record_id, &seal, &use, err);
    if (st == DG_OK)
        st = dg_text_seal(use, plain, out, err);
    sodium_memzero(&seal, sizeof seal);
    return st;
}

/* Kept in cache (catalog.h): every encrypted record filed runs it. */
static dg_status bind_record_key(sqlite3 *db, dg_stmt_cache *cache, int64_t record_id,
                                 const dg_store_seal *seal, dg_error *err)
{
    if (!seal)
        return DG_OK;
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_take(cache, db, "UPDATE records SET key_id = ? WHERE id = ?",
                                   &stmt, err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_text(stmt, 1, seal->key_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 2, record_id);
    st = dg_catalog_step_once(db, stmt, err);
    dg_catalog_give_back(cache, stmt);
    return st;
}

void dg_forget_uncommitted_objects(dg_archive *archive, const dg_object_list *list)
{
    if (!list->count)
        return;
    sqlite3_stmt *stmt;
    dg_error ignored;
    if (dg_catalog_prepare(archive->db, "SELECT 1 FROM objects WHERE sha256 = ?", &stmt,
                           &ignored) != DG_OK) {
        dg_archive_keep_writing_mark(archive);
        return;
    }
    for (size_t i = 0; i < list->count; i++) {
        sqlite3_reset(stmt);
        sqlite3_bind_text(stmt, 1, list->items[i].hex, -1, SQLITE_STATIC);
        int known = 0;
        if (dg_catalog_step_maybe_row(archive->db, stmt, &known, "look up object", &ignored) !=
                DG_OK ||
            (!known && dg_store_remove(archive->store, list->items[i].hex, &ignored) != DG_OK))
            dg_archive_keep_writing_mark(archive);
    }
    sqlite3_finalize(stmt);
}

/* The row inserts of a new version, with the handle's kept statements when cache is not
 * NULL (catalog.h): a batch runs them for every record it files. */
static dg_status insert_object_rows(sqlite3 *db, dg_stmt_cache *cache,
                                    const dg_object_list *list, dg_error *err)
{
    char now[32];
    dg_now_iso(now);
    for (size_t i = 0; i < list->count; i++) {
        sqlite3_stmt *stmt;
        dg_status st = dg_catalog_take(
            cache, db, "INSERT OR IGNORE INTO objects(sha256, size, stored_size, created_at)"
                       " VALUES(?,?,?,?)",
            &stmt, err);
        if (st != DG_OK)
            return st;
        sqlite3_bind_text(stmt, 1, list->items[i].hex, -1, SQLITE_STATIC);
        sqlite3_bind_int64(stmt, 2, (sqlite3_int64)list->items[i].size);
        sqlite3_bind_int64(stmt, 3, (sqlite3_int64)list->items[i].stored_size);
        sqlite3_bind_text(stmt, 4, now, -1, SQLITE_STATIC);
        st = dg_catalog_step_once(db, stmt, err);
        dg_catalog_give_back(cache, stmt);
        if (st != DG_OK)
            return st;
    }
    return DG_OK;
}

dg_status dg_insert_object_rows(sqlite3 *db, const dg_object_list *list, dg_error *err)
{
    return insert_object_rows(db, NULL, list, err);
}

static dg_status store_pages(dg_archive *archive, dg_object_list *objects, const dg_page_input *pages,
                             size_t n, dg_stored_page *out, dg_error *err)
{
    for (size_t i = 0; i < n; i++) {
        const dg_page_input *p = &pages[i];
        out[i].text[0] = out[i].boxes[0] = '\0';
        dg_status st = store_object(archive, objects, p->data, p->len, out[i].image, err);
        if (st == DG_OK && p->text)
            st = store_object(archive, objects, p->text, strlen(p->text), out[i].text, err);
        if (st == DG_OK && p->boxes)
            st = store_object(archive, objects, p->boxes, strlen(p->boxes), out[i].boxes, err);
        if (st != DG_OK)
            return dg_error_prefix(err, "page %zu: ", i + 1);
    }
    return DG_OK;
}

static dg_status insert_page_rows(sqlite3 *db, dg_stmt_cache *cache, int64_t version_id,
                                  const dg_page_input *pages, const dg_stored_page *stored,
                                  size_t n, dg_error *err)
{
    for (size_t i = 0; i < n; i++) {
        sqlite3_stmt *stmt;
        dg_status st = dg_catalog_take(
            cache, db, "INSERT INTO pages(version_id, seq, sha256, mime, text_sha256, boxes_sha256,"
                " confidence, lang) VALUES(?,?,?,?,?,?,?,?)",
            &stmt, err);
        if (st != DG_OK)
            return st;
        sqlite3_bind_int64(stmt, 1, version_id);
        sqlite3_bind_int(stmt, 2, (int)i + 1);
        sqlite3_bind_text(stmt, 3, stored[i].image, -1, SQLITE_STATIC);
        sqlite3_bind_text(stmt, 4, pages[i].mime ? pages[i].mime : "application/octet-stream",
                          -1, SQLITE_STATIC);
        dg_bind_text_or_null(stmt, 5, stored[i].text[0] ? stored[i].text : NULL);
        dg_bind_text_or_null(stmt, 6, stored[i].boxes[0] ? stored[i].boxes : NULL);
        if (pages[i].confidence >= 0)
            sqlite3_bind_double(stmt, 7, pages[i].confidence);
        dg_bind_text_or_null(stmt, 8, pages[i].lang);
        st = dg_catalog_step_once(db, stmt, err);
        dg_catalog_give_back(cache, stmt);
        if (st != DG_OK)
            return st;
    }
    return DG_OK;
}

dg_status dg_insert_page_rows(sqlite3 *db, int64_t version_id, const dg_page_input *pages,
                                  const dg_stored_page *stored, size_t n, dg_error *err)
{
    return insert_page_rows(db, NULL, version_id, pages, stored, n, err);
}

/* Copies a version's pages to a new version: unchanged pages reuse their objects. */
dg_status dg_copy_page_rows(sqlite3 *db, int64_t from_version, int64_t to_version,
                                dg_error *err)
{
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(
        db, "INSERT INTO pages(version_id, seq, sha256, mime, text_sha256, boxes_sha256,"
            " confidence, lang) SELECT ?, seq, sha256, mime, text_sha256, boxes_sha256,"
            " confidence, lang FROM pages WHERE version_id = ?",
        &stmt, err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_int64(stmt, 1, to_version);
    sqlite3_bind_int64(stmt, 2, from_version);
    return dg_catalog_step_done(db, stmt, err);
}

static dg_status enqueue_version(sqlite3 *db, dg_stmt_cache *cache, int64_t version_id,
                                 dg_error *err)
{
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_take(cache, db,
                                   "INSERT OR IGNORE INTO index_queue(version_id) VALUES(?)",
                                   &stmt, err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_int64(stmt, 1, version_id);
    st = dg_catalog_step_once(db, stmt, err);
    dg_catalog_give_back(cache, stmt);
    return st;
}

dg_status dg_enqueue_version(sqlite3 *db, int64_t version_id, dg_error *err)
{
    return enqueue_version(db, NULL, version_id, err);
}

dg_status dg_enqueue_record(sqlite3 *db, int64_t record_id, dg_error *err)
{
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(
        db, "INSERT OR IGNORE INTO index_queue(version_id) SELECT id FROM versions WHERE record_id = ?",
        &stmt, err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_int64(stmt, 1, record_id);
    return dg_catalog_step_done(db, stmt, err);
}

dg_status dg_schedule_period(dg_archive *archive, const char *category_key,
                             const char *record_type, char period[8], dg_error *err)
{
    sqlite3_stmt *stmt; /* kept: every record filed reads it (catalog.h) */
    dg_status st = dg_catalog_take(
        &archive->stmts, archive->db,
        "SELECT period FROM schedule WHERE category = ?1 AND record_type IN (?2, '')"
        " ORDER BY record_type = '' LIMIT 1",
        &stmt, err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_text(stmt, 1, category_key, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, record_type ? record_type : "", -1, SQLITE_STATIC);
    int found = 0;
    st = dg_catalog_step_maybe_row(archive->db, stmt, &found, "read retention schedule", err);
    if (found)
        snprintf(period, 8, "%s", (const char *)sqlite3_column_text(stmt, 0));
    else if (st == DG_OK) /* no schedule row: keep it, never destroy early */
        snprintf(period, 8, "Y");
    dg_catalog_give_back(&archive->stmts, stmt);
    return st;
}

static int default_level(dg_category cat)
{
    return cat == DG_CAT_PERSONNEL ? 2 : 1; /* personnel records default to restricted */
}

/* The text of a version the catalog keeps sealed in an encrypted archive (sealed_text.h). */
typedef struct sealed_fields {
    char *reason, *title, *source_file, *subject; /* subject: a person's name and ID */
} sealed_fields;

static void sealed_fields_free(sealed_fields *f)
{
    free(f->reason);
    free(f->title);
    free(f->source_file);
    free(f->subject);
}

static dg_status seal_fields(const dg_store_seal *seal, const version_fields *v,
                             sealed_fields *out, dg_error *err)
{
    *out = (sealed_fields){0};
    dg_status st = dg_text_seal(seal, v->reason, &out->reason, err);
    if (st == DG_OK)
        st = dg_text_seal(seal, v->title, &out->title, err);
    if (st == DG_OK)
        st = dg_text_seal(seal, v->source_file, &out->source_file, err);
    if (st == DG_OK)
        st = dg_text_seal(seal, v->subject && *v->subject ? v->subject : NULL, &out->subject,
                          err);
    return st;
}

static dg_status insert_version(sqlite3 *db, dg_stmt_cache *cache, int64_t record_id,
                                int number, const dg_actor *actor, const version_fields *v,
                                const sealed_fields *sealed, int64_t *version_id, dg_error *err)
{
    char now[32];
    dg_now_iso(now);
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_take(
        cache, db,
        "INSERT INTO versions(record_id, number, created_at, author_id, reason, title,"
        " doc_number, doc_date, year, department, category, record_type, level, period,"
        " location, text_sha256, page_count, ocr_confidence, class_confidence, source_batch,"
        " source_file, source_sha256, secrecy, subject)"
        " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        &stmt, err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_int64(stmt, 1, record_id);
    sqlite3_bind_int(stmt, 2, number);
    sqlite3_bind_text(stmt, 3, now, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 4, actor->user_id);
    sqlite3_bind_text(stmt, 5, sealed->reason, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 6, sealed->title, -1, SQLITE_STATIC);
    dg_bind_text_or_null(stmt, 7, v->doc_number);
    dg_bind_text_or_null(stmt, 8, v->doc_date);
    sqlite3_bind_int(stmt, 9, v->year);
    dg_bind_text_or_null(stmt, 10, v->department);
    sqlite3_bind_text(stmt, 11, v->category, -1, SQLITE_STATIC);
    dg_bind_text_or_null(stmt, 12, v->record_type);
    sqlite3_bind_int(stmt, 13, v->level);
    sqlite3_bind_text(stmt, 14, v->period, -1, SQLITE_STATIC);
    dg_bind_text_or_null(stmt, 15, v->location);
    dg_bind_text_or_null(stmt, 16, v->text_sha[0] ? v->text_sha : NULL);
    sqlite3_bind_int(stmt, 17, v->page_count);
    if (v->ocr_confidence >= 0)
        sqlite3_bind_double(stmt, 18, v->ocr_confidence);
    if (v->class_confidence >= 0)
        sqlite3_bind_double(stmt, 19, v->class_confidence);
    dg_bind_text_or_null(stmt, 20, v->source_batch);
    dg_bind_text_or_null(stmt, 21, sealed->source_file);
    dg_bind_text_or_null(stmt, 22, v->source_sha256);
    dg_bind_text_or_null(stmt, 23, v->secrecy);
    dg_bind_text_or_null(stmt, 24, sealed->subject);
    st = dg_catalog_step_once(db, stmt, err);
    dg_catalog_give_back(cache, stmt);
    if (st == DG_OK)
        *version_id = sqlite3_last_insert_rowid(db);
    return st;
}

static dg_status insert_version_row(sqlite3 *db, dg_stmt_cache *cache, int64_t record_id,
                                    int number, const dg_actor *actor, const version_fields *v,
                                    const dg_store_seal *seal, int64_t *version_id,
                                    dg_error *err)
{
    sealed_fields sealed;
    dg_status st = seal_fields(seal, v, &sealed, err);
    if (st == DG_OK)
        st = insert_version(db, cache, record_id, number, actor, v, &sealed, version_id, err);
    sealed_fields_free(&sealed);
    return st;
}

dg_status dg_insert_version_row(sqlite3 *db, int64_t record_id, int number,
                                const dg_actor *actor, const version_fields *v,
                                const dg_store_seal *seal, int64_t *version_id, dg_error *err)
{
    return insert_version_row(db, NULL, record_id, number, actor, v, seal, version_id, err);
}

static dg_status insert_record_row(dg_archive *archive, const dg_actor *actor,
                                   const dg_refcode_parts *parts, const char *refcode,
                                   const char *category_key, int level, int64_t *record_id,
                                   dg_error *err)
{
    char now[32];
    dg_now_iso(now);
    sqlite3_stmt *stmt; /* kept: a batch files thousands (catalog.h) */
    dg_status st = dg_catalog_take(
        &archive->stmts, archive->db,
        "INSERT INTO records(refcode, fonds, category, year, period, department, item, level,"
        " current_version, created_at, created_by) VALUES(?,?,?,?,?,?,?,?,1,?,?)",
        &stmt, err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_text(stmt, 1, refcode, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, parts->fonds, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 3, category_key, -1, SQLITE_STATIC);
    sqlite3_bind_int(stmt, 4, parts->year);
    sqlite3_bind_text(stmt, 5, parts->period, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 6, parts->department, -1, SQLITE_STATIC);
    sqlite3_bind_int(stmt, 7, parts->item);
    sqlite3_bind_int(stmt, 8, level);
    sqlite3_bind_text(stmt, 9, now, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 10, actor->user_id);
    st = dg_catalog_step_once(archive->db, stmt, err);
    dg_catalog_give_back(&archive->stmts, stmt);
    if (st == DG_OK)
        *record_id = sqlite3_last_insert_rowid(archive->db);
    return st;
}

static dg_status check_level_allowed(const dg_actor *actor, int level, dg_error *err)
{
    if (level < DG_LEVEL_MIN || level > DG_LEVEL_MAX)
        return dg_error_set(err, DG_ERR_USAGE, "access level %d is outside 0-4", level);
    if (level > actor->clearance && !dg_actor_has_role(actor, DG_ROLE_ADMIN))
        return dg_error_set(err, DG_ERR_DENIED,
                            "level %d is above your clearance (%d): you could not read the "
                            "record you file",
                            level, actor->clearance);
    return DG_OK;
}

/* Validates an add request and fills the fields and reference-code parts it implies. */
static dg_status resolve_new_record(dg_archive *archive, const dg_actor *actor,
                                    const dg_record_input *in, version_fields *v,
                                    dg_refcode_parts *parts, dg_category *cat, dg_error *err)
{
    if (!in->title || !in->title[0])
        return dg_error_set(err, DG_ERR_USAGE, "a record needs a title");
    if (!in->category)
        return dg_error_set(err, DG_ERR_USAGE, "a record needs a category");
    dg_status st = dg_category_parse(in->category, cat, err);
    if (st != DG_OK)
        return st;
    if (in->doc_date && !dg_date_valid(in->doc_date))
        return dg_error_set(err, DG_ERR_USAGE, "date '%s' is not a real YYYY-MM-DD date",
                            in->doc_date);
    if (in->dept_code && !dg_department_code_valid(in->dept_code))
        return dg_error_set(err, DG_ERR_USAGE,
                            "department code '%s' must be 1-8 capital letters or digits",
                            in->dept_code);
    memset(v, 0, sizeof *v);
    /* No year given and no date: the year is not guessed (refcode.h). Year 0 files the
     * record in the provisional series until an archivist confirms its year. */
    v->year = in->year ? in->year : in->doc_date ? atoi(in->doc_date) : 0;
    if (v->year != 0 && (v->year < 1000 || v->year > 9999))
        return dg_error_set(err, DG_ERR_USAGE, "year %d is not a four-digit year", v->year);
    v->level = in->level >= 0 ? in->level : default_level(*cat);
    st = check_level_allowed(actor, v->level, err);
    if (st != DG_OK)
        return st;
    if (in->period) {
        dg_period period;
        st = dg_period_parse(in->period, &period, err);
        snprintf(v->period, sizeof v->period, "%s", dg_period_code(period));
    } else {
        st = dg_schedule_period(archive, dg_category_key(*cat), in->record_type, v->period, err);
    }
    if (st != DG_OK)
        return st;
    v->title = in->title;
    v->category = dg_category_key(*cat);
    v->record_type = in->record_type;
    v->doc_number = in->doc_number;
    v->doc_date = in->doc_date;
    v->department = in->department;
    v->location = in->location;
    v->secrecy = in->secrecy;
    v->subject = in->subject;
    v->source_batch = in->source_batch;
    v->source_file = in->source_file;
    v->source_sha256 = in->source_sha256;
    v->reason = in->reason ? in->reason : "filed";
    v->page_count = (int)in->n_pages;
    v->ocr_confidence = in->ocr_confidence;
    v->class_confidence = in->class_confidence;
    memset(parts, 0, sizeof *parts);
    snprintf(parts->fonds, sizeof parts->fonds, "%s", archive->fonds);
    snprintf(parts->category, sizeof parts->category, "%s", dg_category_code(*cat));
    parts->year = v->year;
    snprintf(parts->period, sizeof parts->period, "%s", v->period);
    snprintf(parts->department, sizeof parts->department, "%s", in->dept_code ? in->dept_code : "");
    return DG_OK;
}

/* Stores text and pages (before the transaction: see the file comment). */
dg_status dg_store_contents(dg_archive *archive, dg_object_list *objects, const char *text,
                                const dg_page_input *pages, size_t n_pages, dg_stored_page *stored,
                                char text_sha[DG_SHA256_HEX], dg_error *err)
{
    text_sha[0] = '\0';
    dg_status st = DG_OK;
    if (text)
        st = store_object(archive, objects, text, strlen(text), text_sha, err);
    if (st == DG_OK)
        st = store_pages(archive, objects, pages, n_pages, stored, err);
    return st;
}

/* Inside the add transaction, so two writers can never both file the same source. */
static dg_status check_unique_source(dg_archive *archive, const dg_actor *actor,
                                     const dg_record_input *in, char refcode[DG_REFCODE_MAX],
                                     dg_error *err)
{
    if (!in->unique_source || !in->source_sha256)
        return DG_OK;
    dg_error none;
    dg_status st = dg_record_find_by_source(archive, actor, in->source_sha256, refcode, &none);
    if (st == DG_ERR_NOT_FOUND) {
        refcode[0] = '\0';
        return DG_OK;
    }
    if (st != DG_OK)
        return dg_error_set(err, st, "%s", none.msg);
    return dg_error_set(err, DG_ERR_EXISTS, "%s: same content as %s",
                        in->source_file ? in->source_file : "file", refcode);
}

static dg_status journal_filed(dg_archive *archive, const dg_record_input *in,
                               const char *source_hash, const char *refcode, dg_error *err)
{
    if (in->batch_id <= 0)
        return DG_OK;
    char now[32];
    dg_now_iso(now);
    char *name = NULL; /* the file's name, sealed like the batch journal's others */
    dg_status st = dg_journal_seal(archive, in->batch_file ? in->batch_file : "?", &name, err);
    sqlite3_stmt *stmt = NULL;
    if (st == DG_OK) /* kept: a batch journals thousands (catalog.h) */
        st = dg_catalog_take(
            &archive->stmts, archive->db,
            "INSERT INTO batch_files(batch_id, name, sha256, outcome, refcode, pages, confidence,"
            " seconds, at) VALUES(?, ?, ?, 'filed', ?, ?, ?, ?, ?)",
            &stmt, err);
    if (st != DG_OK) {
        free(name);
        return st;
    }
    sqlite3_bind_int64(stmt, 1, in->batch_id);
    sqlite3_bind_text(stmt, 2, name, -1, SQLITE_TRANSIENT);
    free(name);
    dg_bind_text_or_null(stmt, 3, source_hash);
    sqlite3_bind_text(stmt, 4, refcode, -1, SQLITE_STATIC);
    sqlite3_bind_int(stmt, 5, (int)in->n_pages);
    if (in->ocr_confidence >= 0)
        sqlite3_bind_double(stmt, 6, in->ocr_confidence);
    sqlite3_bind_double(stmt, 7, in->seconds);
    sqlite3_bind_text(stmt, 8, now, -1, SQLITE_STATIC);
    st = dg_catalog_step_once(archive->db, stmt, err);
    dg_catalog_give_back(&archive->stmts, stmt);
    return st;
}

static dg_status add_in_txn(dg_archive *archive, const dg_actor *actor, const dg_record_input *in,
                            version_fields *v, dg_refcode_parts *parts, const dg_object_list *objects,
                            const dg_stored_page *stored, char refcode[DG_REFCODE_MAX],
                            int64_t *new_version, dg_error *err)
{
    int64_t record_id, version_id = 0;
    /* An encrypted archive keeps the source's hash keyed (archive_keys.h). */
    char source_hash[DG_SOURCE_HASH_MAX];
    dg_status st = in->source_sha256
                       ? dg_source_hash(archive, in->source_sha256, 1, source_hash, err)
                       : DG_OK;
    v->source_sha256 = in->source_sha256 ? source_hash : NULL;
    if (st == DG_OK)
        st = check_unique_source(archive, actor, in, refcode, err);
    if (st != DG_OK)
        return st;
    st = dg_refcode_allocate(archive->db, &archive->stmts, parts, err);
    if (st == DG_OK)
        st = dg_refcode_format(parts, refcode, err);
    if (st == DG_OK)
        st = insert_object_rows(archive->db, &archive->stmts, objects, err);
    if (st == DG_OK)
        st = insert_record_row(archive, actor, parts, refcode, v->category, v->level, &record_id,
                               err);
    if (st == DG_OK)
        st = bind_record_key(archive->db, &archive->stmts, record_id, objects->seal, err);
    if (st == DG_OK)
        st = insert_version_row(archive->db, &archive->stmts, record_id, 1, actor, v, objects->seal,
                                   &version_id, err);
    if (st == DG_OK)
        st = insert_page_rows(archive->db, &archive->stmts, version_id, in->pages, stored,
                              in->n_pages, err);
    if (st == DG_OK)
        st = enqueue_version(archive->db, &archive->stmts, version_id, err);
    *new_version = version_id;
    if (st == DG_OK) {
        /* No reason here: it may quote the record (a file name, a title), and the log is
         * permanent, never shredded; the version row keeps it sealed (sealed_text.h). */
        dg_log_event ev = {.action = "add", .refcode = refcode, .version = 1, .hits = -1,
                           .outcome = "ok"};
        st = dg_log_append_in_txn(archive, actor, NULL, &ev, err);
    }
    if (st == DG_OK)
        st = journal_filed(archive, in, v->source_sha256, refcode, err);
    v->source_sha256 = in->source_sha256; /* source_hash ends here */
    return st;
}

/* Every page's text, word boxes, type and language: what reaches the store and index. */
dg_status dg_pages_check_text(const dg_page_input *pages, size_t n, dg_error *err)
{
    for (size_t i = 0; i < n; i++) {
        dg_text_field fields[] = {{"page text", pages[i].text}, {"page word boxes", pages[i].boxes},
                                  {"page type", pages[i].mime}, {"page language", pages[i].lang}};
        dg_status st = dg_text_guard_all(fields, sizeof fields / sizeof fields[0], err);
        if (st != DG_OK)
            return dg_error_prefix(err, "page %zu: ", i + 1);
    }
    return DG_OK;
}

/* The UTF-8 guard of a new record (text_guard.h): every text field the version keeps. */
static dg_status input_check_text(const dg_record_input *in, dg_error *err)
{
    dg_text_field fields[] = {
        {"title", in->title},           {"category", in->category},
        {"type", in->record_type},      {"doc_number", in->doc_number},
        {"date", in->doc_date},         {"department", in->department},
        {"dept_code", in->dept_code},   {"period", in->period},
        {"location", in->location},     {"secrecy", in->secrecy},
        {"subject", in->subject},
        {"text", in->text},             {"source_batch", in->source_batch},
        {"source_file", in->source_file}, {"source_sha256", in->source_sha256},
        {"reason", in->reason},         {"batch_file", in->batch_file},
    };
    dg_status st = dg_text_guard_all(fields, sizeof fields / sizeof fields[0], err);
    return st == DG_OK ? dg_pages_check_text(in->pages, in->n_pages, err) : st;
}

dg_status dg_record_add(dg_archive *archive, const dg_actor *actor, const dg_record_input *in,
                        char refcode[DG_REFCODE_MAX], dg_error *err)
{
    refcode[0] = '\0';
    dg_status st = input_check_text(in, err);
    if (st == DG_OK)
        st = dg_require_filer(archive, actor, "add", NULL, err);
    if (st != DG_OK)
        return st;
    version_fields v;
    dg_refcode_parts parts;
    dg_category cat;
    st = resolve_new_record(archive, actor, in, &v, &parts, &cat, err);
    if (st != DG_OK)
        return st;
    st = dg_archive_lock_write(archive, err);
    if (st != DG_OK)
        return st;
    dg_object_list objects = {0};
    dg_store_seal seal;
    dg_stored_page *stored = calloc(in->n_pages ? in->n_pages : 1, sizeof *stored);
    if (stored)
        st = dg_record_seal_new(archive, &seal, &objects.seal, err);
    st = st != DG_OK ? st : stored ? dg_store_contents(archive, &objects, in->text, in->pages, in->n_pages, stored,
                                 v.text_sha, err)
                : dg_error_set(err, DG_ERR_NOMEM, "add: out of memory");
    /* Inside a group's transaction (dg_batch_group_begin) the record is a savepoint of it:
     * a record that fails is undone alone, and the group commits the others at once. The
     * savepoint's statements are kept compiled (catalog.h): a batch runs them per record. */
    int grouped = !sqlite3_get_autocommit(archive->db);
    if (st == DG_OK)
        st = grouped ? dg_catalog_exec_kept(&archive->stmts, archive->db, "SAVEPOINT add_record",
                                            err)
                     : dg_catalog_begin_write(archive->db, err);
    int64_t version_id = 0;
    if (st == DG_OK) {
        st = add_in_txn(archive, actor, in, &v, &parts, &objects, stored, refcode, &version_id,
                        err);
        if (st == DG_OK)
            st = grouped ? dg_catalog_exec_kept(&archive->stmts, archive->db,
                                                "RELEASE add_record", err)
                         : dg_catalog_commit(archive->db, err);
        if (st != DG_OK) {
            if (grouped)
                sqlite3_exec(archive->db, "ROLLBACK TO add_record; RELEASE add_record", NULL,
                             NULL, NULL);
            else
                dg_catalog_rollback(archive->db);
            if (st != DG_ERR_EXISTS) /* a duplicate keeps the existing record's code */
                refcode[0] = '\0';
        }
    }
    /* Read for the hold's index thread now, indexed once the group commits (index_pipe.h);
     * a version it cannot read stays queued, and the hold's end indexes it. */
    if (st == DG_OK && grouped && in->index_later && archive->pipe) {
        dg_error unread;
        (void)dg_index_pipe_keep(archive->pipe, version_id, in->text, in->folded_text, &unread);
    }
    sodium_memzero(&seal, sizeof seal);
    if (st != DG_OK) /* nothing committed: what this add stored goes now, not after a crash */
        dg_forget_uncommitted_objects(archive, &objects);
    if (st == DG_OK && !in->index_later)
        st = dg_index_pending(archive, err);
    dg_archive_unlock_write(archive);
    free(objects.items);
    free(stored);
    return st;
}

/* ---- reading, under clearance ---------------------------------------------------- */

/*
 * Finds a record the actor may see. Anything else — missing, destroyed, above clearance,
 * a malformed code — is the same "no such record", and logged for auditors with the
 * difference they need (not_found or refused).
 */
dg_status dg_find_visible(dg_archive *archive, const dg_actor *actor, const char *refcode,
                              const char *action, dg_record_row *row, dg_error *err)
{
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(
        archive->db,
        "SELECT r.id, r.level, r.current_version, " VISIBLE_TO_ACTOR ", r.refcode, r.year"
        " FROM records r WHERE r.refcode = :ref"
        /* A provisional code the record had before its year was confirmed finds it too. */
        "  OR r.id = (SELECT record_id FROM refcode_aliases WHERE alias = :ref)",
        &stmt, err);
    if (st != DG_OK)
        return st;
    dg_bind_actor(stmt, actor);
    char typed[DG_REFCODE_MAX]; /* as people type it: X001-CW.2023-D30-0001 */
    dg_refcode_normalize(refcode, typed);
    sqlite3_bind_text(stmt, sqlite3_bind_parameter_index(stmt, ":ref"), typed, -1,
                      SQLITE_STATIC);
    int exists = 0;
    st = dg_catalog_step_maybe_row(archive->db, stmt, &exists, "look up record", err);
    int visible = exists && sqlite3_column_int(stmt, 3);
    if (visible) {
        row->id = sqlite3_column_int64(stmt, 0);
        row->level = sqlite3_column_int(stmt, 1);
        row->current_version = sqlite3_column_int(stmt, 2);
        snprintf(row->refcode, sizeof row->refcode, "%s", (const char *)sqlite3_column_text(stmt, 4));
        row->year = sqlite3_column_int(stmt, 5);
    }
    sqlite3_finalize(stmt);
    if (st != DG_OK || visible)
        return st;
    dg_log_event ev = {.action = action, .refcode = refcode, .hits = -1,
                       .outcome = exists ? "refused" : "not_found",
                       .detail = exists ? "above clearance" : NULL};
    dg_error ignored;
    dg_log_append(archive, actor, NULL, &ev, &ignored);
    return dg_error_set(err, DG_ERR_NOT_FOUND, "%s: no such record", refcode);
}

void dg_version_info_free(dg_version_info *v)
{
    free(v->created_at);
    free(v->author);
    free(v->reason);
    free(v->title);
    free(v->category);
    free(v->record_type);
    free(v->doc_number);
    free(v->doc_date);
    free(v->department);
    free(v->period);
    free(v->location);
    free(v->secrecy);
    free(v->subject);
    free(v->source_batch);
    free(v->source_file);
    free(v->text_sha256);
}

int dg_version_from_row(sqlite3_stmt *stmt, dg_version_info *v)
{
    int missing = 0;
    v->number = sqlite3_column_int(stmt, 0);
    v->created_at = dg_column_copy(stmt, 1, &missing);
    v->author = dg_column_copy(stmt, 2, &missing);
    v->reason = dg_column_copy(stmt, 3, &missing);
    v->title = dg_column_copy(stmt, 4, &missing);
    v->category = dg_column_copy(stmt, 5, &missing);
    v->record_type = dg_column_copy(stmt, 6, &missing);
    v->doc_number = dg_column_copy(stmt, 7, &missing);
    v->doc_date = dg_column_copy(stmt, 8, &missing);
    v->department = dg_column_copy(stmt, 9, &missing);
    v->period = dg_column_copy(stmt, 10, &missing);
    v->location = dg_column_copy(stmt, 11, &missing);
    v->secrecy = dg_column_copy(stmt, 12, &missing);
    v->source_batch = dg_column_copy(stmt, 13, &missing);
    v->source_file = dg_column_copy(stmt, 14, &missing);
    v->text_sha256 = dg_column_copy(stmt, 15, &missing);
    v->year = sqlite3_column_int(stmt, 16);
    v->level = sqlite3_column_int(stmt, 17);
    v->page_count = sqlite3_column_int(stmt, 18);
    v->ocr_confidence = sqlite3_column_double(stmt, 19);
    v->class_confidence = sqlite3_column_double(stmt, 20);
    v->subject = dg_column_copy(stmt, 22, &missing);
    return missing == 0;
}

static void read_version(sqlite3_stmt *stmt, void *item, void *ctx)
{
    (void)ctx;
    dg_version_info *v = item;
    /* A reader cannot fail: number 0 (no version has it) tells load_history it did. */
    if (!dg_version_from_row(stmt, v))
        v->number = 0;
}

static dg_status load_history(dg_archive *archive, dg_record *rec, dg_error *err)
{
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(
        archive->db,
        "SELECT " VERSION_COLUMNS " FROM versions v LEFT JOIN users u ON u.id = v.author_id"
        " WHERE v.record_id = ? ORDER BY v.number",
        &stmt, err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_int64(stmt, 1, rec->id);
    st = dg_catalog_collect(archive->db, stmt, (void **)&rec->history, &rec->n_history,
                            sizeof *rec->history, read_version, NULL, "read versions", err);
    for (size_t i = 0; st == DG_OK && i < rec->n_history; i++)
        if (rec->history[i].number == 0)
            st = dg_error_set(err, DG_ERR_NOMEM, "%s: reading its versions: out of memory",
                              rec->refcode);
    return st;
}

static dg_status version_id_of(dg_archive *archive, int64_t record_id, int number,
                               int64_t *version_id, dg_error *err)
{
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(
        archive->db, "SELECT id FROM versions WHERE record_id = ? AND number = ?", &stmt, err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_int64(stmt, 1, record_id);
    sqlite3_bind_int(stmt, 2, number);
    return dg_catalog_row_int64(archive->db, stmt, version_id, "read version", err,
                                "no version %d", number);
}

static void read_page(sqlite3_stmt *stmt, void *item, void *ctx)
{
    (void)ctx;
    dg_page_info *p = item;
    int missing = 0;
    p->seq = sqlite3_column_int(stmt, 0);
    p->sha256 = dg_column_copy(stmt, 1, &missing);
    p->mime = dg_column_copy(stmt, 2, &missing);
    p->lang = dg_column_copy(stmt, 3, &missing);
    p->text_sha256 = dg_column_copy(stmt, 4, &missing);
    p->confidence = sqlite3_column_double(stmt, 5);
    /* A reader cannot fail: seq 0 (pages count from 1) tells load_pages it did. */
    if (missing)
        p->seq = 0;
}

static dg_status load_pages(dg_archive *archive, int64_t version_id, dg_record *rec, dg_error *err)
{
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(
        archive->db,
        "SELECT seq, sha256, mime, lang, text_sha256, coalesce(confidence, -1) FROM pages"
        " WHERE version_id = ? ORDER BY seq",
        &stmt, err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_int64(stmt, 1, version_id);
    st = dg_catalog_collect(archive->db, stmt, (void **)&rec->pages, &rec->n_pages,
                            sizeof *rec->pages, read_page, NULL, "read pages", err);
    for (size_t i = 0; st == DG_OK && i < rec->n_pages; i++)
        if (rec->pages[i].seq == 0)
            st = dg_error_set(err, DG_ERR_NOMEM, "%s: reading its pages: out of memory",
                              rec->refcode);
    return st;
}

void dg_record_free(dg_record *rec)
{
    if (!rec)
        return;
    free(rec->refcode);
    free(rec->created_at);
    dg_version_info_free(&rec->version);
    free(rec->text);
    for (size_t i = 0; i < rec->n_pages; i++) {
        free(rec->pages[i].sha256);
        free(rec->pages[i].mime);
        free(rec->pages[i].lang);
        free(rec->pages[i].text_sha256);
    }
    free(rec->pages);
    for (size_t i = 0; i < rec->n_history; i++)
        dg_version_info_free(&rec->history[i]);
    free(rec->history);
    free(rec);
}

/* A copy of s (NULL for NULL), counting in *missing a copy lost to a failed allocation. */
static char *strdup_or_null(const char *s, int *missing)
{
    char *copy = s ? strdup(s) : NULL;
    if (s && !copy)
        (*missing)++;
    return copy;
}

/* 0 when a copy ran out of memory (what was copied is set, for dg_record_free). */
static int copy_version_info(const dg_version_info *from, dg_version_info *to)
{
    int missing = 0;
    *to = *from;
    to->created_at = strdup_or_null(from->created_at, &missing);
    to->author = strdup_or_null(from->author, &missing);
    to->reason = strdup_or_null(from->reason, &missing);
    to->title = strdup_or_null(from->title, &missing);
    to->category = strdup_or_null(from->category, &missing);
    to->record_type = strdup_or_null(from->record_type, &missing);
    to->doc_number = strdup_or_null(from->doc_number, &missing);
    to->doc_date = strdup_or_null(from->doc_date, &missing);
    to->department = strdup_or_null(from->department, &missing);
    to->period = strdup_or_null(from->period, &missing);
    to->location = strdup_or_null(from->location, &missing);
    to->secrecy = strdup_or_null(from->secrecy, &missing);
    to->subject = strdup_or_null(from->subject, &missing);
    to->source_batch = strdup_or_null(from->source_batch, &missing);
    to->source_file = strdup_or_null(from->source_file, &missing);
    to->text_sha256 = strdup_or_null(from->text_sha256, &missing);
    return missing == 0;
}

static dg_status fill_record(dg_archive *archive, const dg_record_row *row, const char *refcode,
                             int version, dg_record *rec, dg_error *err)
{
    rec->id = row->id;
    rec->level = row->level;
    rec->current_version = row->current_version;
    rec->refcode = strdup(row->refcode); /* its code now, also when found by an alias */
    if (!rec->refcode)
        return dg_error_set(err, DG_ERR_NOMEM, "%s: out of memory", refcode);
    dg_status st = load_history(archive, rec, err);
    if (st != DG_OK)
        return st;
    int wanted = version ? version : row->current_version;
    if (wanted < 1 || (size_t)wanted > rec->n_history)
        return dg_error_set(err, DG_ERR_NOT_FOUND, "%s has no version %d (it has %zu)", refcode,
                            wanted, rec->n_history);
    int missing = !copy_version_info(&rec->history[wanted - 1], &rec->version);
    rec->created_at = strdup_or_null(rec->history[0].created_at, &missing);
    if (missing)
        return dg_error_set(err, DG_ERR_NOMEM, "%s: out of memory", refcode);
    int64_t version_id = 0;
    st = version_id_of(archive, row->id, wanted, &version_id, err);
    if (st == DG_OK)
        st = load_pages(archive, version_id, rec, err);
    if (st == DG_OK && rec->version.text_sha256) {
        size_t len;
        void *text;
        st = dg_store_get(archive->store, rec->version.text_sha256, &text, &len, err);
        if (st == DG_OK)
            rec->text = text;
        else
            dg_error_prefix(err, "%s version %d text: ", refcode, wanted);
    }
    return st;
}

dg_status dg_record_get(dg_archive *archive, const dg_actor *actor, const char *refcode,
                        int version, dg_record **out, dg_error *err)
{
    *out = NULL;
    dg_record_row row;
    dg_status st = dg_find_visible(archive, actor, refcode, "show", &row, err);
    if (st != DG_OK)
        return st;
    dg_record *rec = calloc(1, sizeof *rec);
    if (!rec)
        return dg_error_set(err, DG_ERR_NOMEM, "%s: out of memory", refcode);
    st = dg_catalog_begin_read(archive->db, err);
    if (st == DG_OK) {
        st = fill_record(archive, &row, refcode, version, rec, err);
        dg_catalog_rollback(archive->db);
    }
    dg_log_event ev = {.action = "show", .refcode = refcode,
                       .version = version ? version : row.current_version, .hits = -1,
                       .outcome = st == DG_OK ? "ok" : st == DG_ERR_NOT_FOUND ? "not_found" : "error",
                       .read = 1};
    dg_error log_err;
    dg_status log_st = dg_log_append(archive, actor, NULL, &ev, &log_err);
    if (st == DG_OK && log_st != DG_OK) {
        /* A read that cannot be logged is not given out. */
        st = log_st;
        *err = log_err;
    }
    if (st != DG_OK) {
        dg_record_free(rec);
        return st;
    }
    *out = rec;
    return DG_OK;
}

dg_status dg_record_page(dg_archive *archive, const dg_actor *actor, const char *refcode,
                         int version, int seq, void **data, size_t *len, char **mime,
                         dg_error *err)
{
    *data = NULL;
    *mime = NULL;
    dg_record_row row;
    dg_status st = dg_find_visible(archive, actor, refcode, "page", &row, err);
    if (st != DG_OK)
        return st;
    int wanted = version ? version : row.current_version;
    sqlite3_stmt *stmt;
    st = dg_catalog_prepare(archive->db,
                            "SELECT p.sha256, p.mime FROM pages p JOIN versions v ON v.id ="
                            " p.version_id WHERE v.record_id = ? AND v.number = ? AND p.seq = ?",
                            &stmt, err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_int64(stmt, 1, row.id);
    sqlite3_bind_int(stmt, 2, wanted);
    sqlite3_bind_int(stmt, 3, seq);
    char hex[DG_SHA256_HEX] = "";
    st = dg_catalog_step_row(archive->db, stmt, "read page", err,
                             "%s version %d has no page %d", refcode, wanted, seq);
    if (st == DG_OK) {
        snprintf(hex, sizeof hex, "%s", (const char *)sqlite3_column_text(stmt, 0));
        *mime = dg_column_strdup(stmt, 1);
    }
    sqlite3_finalize(stmt);
    if (st != DG_OK)
        return st;
    st = dg_store_get(archive->store, hex, data, len, err);
    char detail[32];
    snprintf(detail, sizeof detail, "page %d", seq);
    dg_log_event ev = {.action = "page", .refcode = refcode, .version = wanted, .hits = -1,
                       .outcome = st == DG_OK ? "ok" : "error", .detail = detail, .read = 1};
    dg_error log_err;
    dg_status log_st = dg_log_append(archive, actor, NULL, &ev, &log_err);
    if (st == DG_OK && log_st != DG_OK) {
        st = log_st;
        *err = log_err;
    }
    if (st != DG_OK) {
        free(*data);
        free(*mime);
        *data = NULL;
        *mime = NULL;
    }
    return st;
}

dg_status dg_record_find_by_source(dg_archive *archive, const dg_actor *actor,
                                   const char *source_sha256, char refcode[DG_REFCODE_MAX],
                                   dg_error *err)
{
    /* Keyed in an encrypted archive; the plain form too, for rows that keys encrypt has
     * not keyed yet (archive_keys.h). */
    char keyed[DG_SOURCE_HASH_MAX];
    dg_status st = dg_source_hash(archive, source_sha256, 0, keyed, err);
    sqlite3_stmt *stmt; /* kept: a batch asks it for every file (catalog.h) */
    if (st == DG_OK)
        st = dg_catalog_take(
            &archive->stmts, archive->db,
            "SELECT r.refcode FROM versions v JOIN records r ON r.id = v.record_id"
            " WHERE v.source_sha256 IN (:sha, :plain) AND " VISIBLE_TO_ACTOR
            " ORDER BY r.id LIMIT 1",
            &stmt, err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_text(stmt, sqlite3_bind_parameter_index(stmt, ":sha"), keyed, -1,
                      SQLITE_STATIC);
    sqlite3_bind_text(stmt, sqlite3_bind_parameter_index(stmt, ":plain"), source_sha256, -1,
                      SQLITE_STATIC);
    dg_bind_actor(stmt, actor);
    st = dg_catalog_step_row(archive->db, stmt, "find by source", err,
                             "no record from that file");
    if (st == DG_OK)
        snprintf(refcode, DG_REFCODE_MAX, "%s", (const char *)sqlite3_column_text(stmt, 0));
    dg_catalog_give_back(&archive->stmts, stmt);
    return st;
}
