/*
 * class_review.c — the review queue, review decisions and the classifier's stored state
 * (tables review_decisions and classifier_state, migration 4; the threshold is a setting),
 * and forgetting a destroyed record's lessons.
 */
#include "class_review.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive_internal.h"
#include "catalog.h"
#include "class_review_internal.h"
#include "log.h"
#include "record_internal.h"
#include "text_guard.h"
#include "user.h"

#define THRESHOLD_SETTING "review.threshold"

/* Reviewing reads every record's classification and teaches a model built from all text. */
static dg_status require_reviewer(dg_archive *archive, const dg_actor *actor, const char *action,
                                  const char *refcode, dg_error *err)
{
    dg_log_event refusal = {.action = action, .refcode = refcode,
                            .detail = "not an archivist or admin"};
    return dg_require_role(archive, actor, DG_ROLE_ARCHIVIST | DG_ROLE_ADMIN, &refusal, err,
                           "%s: only archivists and admins may review and train the classifier",
                           action);
}

/* ---- classifier state -------------------------------------------------------------- */

dg_status dg_classifier_state_get(dg_archive *archive, const dg_actor *actor, const char *name,
                                  char **value, size_t *len, int64_t *generation,
                                  dg_error *err)
{
    *value = NULL;
    *len = 0;
    *generation = 0;
    dg_status st = require_reviewer(archive, actor, "classifier", NULL, err);
    sqlite3_stmt *stmt = NULL;
    if (st == DG_OK)
        st = dg_catalog_prepare(archive->db,
                                "SELECT value, generation FROM classifier_state WHERE name = ?",
                                &stmt, err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC);
    int found = 0;
    st = dg_catalog_step_maybe_row(archive->db, stmt, &found, "read classifier state", err);
    if (found) {
        const unsigned char *text = sqlite3_column_text(stmt, 0);
        size_t n = (size_t)sqlite3_column_bytes(stmt, 0);
        *value = malloc(n + 1);
        if (*value) {
            memcpy(*value, text ? (const char *)text : "", n);
            (*value)[n] = '\0';
            *len = n;
            *generation = sqlite3_column_int64(stmt, 1);
        } else {
            st = dg_error_set(err, DG_ERR_NOMEM, "%s: out of memory", name);
        }
    }
    sqlite3_finalize(stmt);
    return st;
}

/* Writes a state value inside the caller's transaction, if its generation is unchanged. */
static dg_status put_state_in_txn(dg_archive *archive, const dg_actor *actor, const char *name,
                                  const char *value, int64_t generation, dg_error *err)
{
    char now[32];
    dg_now_iso(now);
    sqlite3_stmt *stmt;
    const char *sql =
        generation == 0
            ? "INSERT OR IGNORE INTO classifier_state(name, value, generation, updated_at,"
              " updated_by) VALUES(?1, ?2, 1, ?3, ?4)"
            : "UPDATE classifier_state SET value = ?2, generation = generation + 1,"
              " updated_at = ?3, updated_by = ?4 WHERE name = ?1 AND generation = ?5";
    dg_status st = dg_catalog_prepare(archive->db, sql, &stmt, err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, value, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 3, now, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 4, actor->user_id);
    if (generation != 0)
        sqlite3_bind_int64(stmt, 5, generation);
    st = dg_catalog_step_done(archive->db, stmt, err);
    if (st == DG_OK && sqlite3_changes(archive->db) != 1)
        st = dg_error_set(err, DG_ERR_STATE, "%s: changed by someone else meanwhile; try again",
                          name);
    return st;
}

dg_status dg_classifier_state_put(dg_archive *archive, const dg_actor *actor, const char *name,
                                  const char *value, int64_t generation, const char *detail,
                                  dg_error *err)
{
    dg_text_field fields[] = {{"classifier state name", name}, {"classifier state", value},
                              {"detail", detail}};
    dg_status st = dg_text_guard_all(fields, sizeof fields / sizeof fields[0], err);
    if (st == DG_OK)
        st = require_reviewer(archive, actor, "classifier", NULL, err);
    if (st == DG_OK)
        st = dg_catalog_begin_write(archive->db, err);
    if (st != DG_OK)
        return st;
    st = put_state_in_txn(archive, actor, name, value, generation, err);
    if (st == DG_OK) {
        dg_log_event ev = {.action = "classifier", .query = name, .hits = -1, .outcome = "ok",
                           .detail = detail};
        st = dg_log_append_in_txn(archive, actor, NULL, &ev, err);
    }
    st = dg_catalog_end_write(archive->db, st, err);
    return st;
}

/* ---- the threshold ----------------------------------------------------------------- */

dg_status dg_class_review_threshold(dg_archive *archive, double *threshold, dg_error *err)
{
    *threshold = DG_CLASS_REVIEW_THRESHOLD_DEFAULT;
    char *text = NULL;
    dg_error local;
    dg_status st = dg_setting_get(archive->db, THRESHOLD_SETTING, &text, &local);
    if (st == DG_ERR_NOT_FOUND)
        return DG_OK;
    if (st != DG_OK) {
        if (err)
            *err = local;
        return st;
    }
    char *end;
    double v = strtod(text, &end);
    if (end == text || *end || !(v >= 0 && v <= 1))
        st = dg_error_set(err, DG_ERR_CORRUPT, "setting %s: '%s' is not a confidence",
                          THRESHOLD_SETTING, text);
    else
        *threshold = v;
    free(text);
    return st;
}

dg_status dg_class_review_set_threshold(dg_archive *archive, const dg_actor *actor, double threshold,
                                  dg_error *err)
{
    if (!(threshold >= 0 && threshold <= 1))
        return dg_error_set(err, DG_ERR_USAGE, "review threshold %g: give a confidence from 0 "
                                               "to 1", threshold);
    dg_status st = require_reviewer(archive, actor, "review threshold", NULL, err);
    if (st == DG_OK)
        st = dg_catalog_begin_write(archive->db, err);
    if (st != DG_OK)
        return st;
    char text[32];
    snprintf(text, sizeof text, "%.4g", threshold);
    st = dg_setting_set(archive->db, THRESHOLD_SETTING, text, err);
    if (st == DG_OK) {
        char detail[64];
        snprintf(detail, sizeof detail, "threshold %s", text);
        dg_log_event ev = {.action = "review threshold", .hits = -1, .outcome = "ok",
                           .detail = detail};
        st = dg_log_append_in_txn(archive, actor, NULL, &ev, err);
    }
    st = dg_catalog_end_write(archive->db, st, err);
    return st;
}

/* ---- the queue --------------------------------------------------------------------- */

/* Records whose newest version the machine classified uncertainly and nobody reviewed. */
#define QUEUE_FROM                                                                          \
    " FROM records r JOIN versions v ON v.record_id = r.id AND v.number = r.current_version" \
    " WHERE " VISIBLE_TO_ACTOR " AND v.class_confidence IS NOT NULL"                        \
    " AND (v.class_confidence < :threshold OR v.doc_date IS NULL)"                          \
    " AND NOT EXISTS (SELECT 1 FROM review_decisions d WHERE d.record_id = r.id)"

static void bind_queue(sqlite3_stmt *stmt, const dg_actor *actor, double threshold)
{
    dg_bind_actor(stmt, actor);
    sqlite3_bind_double(stmt, sqlite3_bind_parameter_index(stmt, ":threshold"), threshold);
}

static dg_status count_queue(dg_archive *archive, const dg_actor *actor, double threshold,
                             uint64_t *total, dg_error *err)
{
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(archive->db, "SELECT count(*)" QUEUE_FROM, &stmt, err);
    if (st != DG_OK)
        return st;
    bind_queue(stmt, actor, threshold);
    int64_t n = 0;
    st = dg_catalog_row_int64(archive->db, stmt, &n, "count the review queue", err, NULL);
    *total = (uint64_t)n;
    return st;
}

/* Fills a queue item; ctx is the threshold, which says why the item is in the queue. */
static void item_from_row(sqlite3_stmt *stmt, void *item, void *ctx)
{
    double threshold = *(const double *)ctx;
    dg_class_review_item *it = item;
    it->refcode = dg_column_strdup(stmt, 0);
    it->version = sqlite3_column_int(stmt, 1);
    it->title = dg_column_strdup(stmt, 2);
    it->category = dg_column_strdup(stmt, 3);
    it->record_type = dg_column_strdup(stmt, 4);
    it->doc_date = dg_column_strdup(stmt, 5);
    it->class_confidence = sqlite3_column_double(stmt, 6);
    it->level = sqlite3_column_int(stmt, 7);
    it->year = sqlite3_column_int(stmt, 8);
    it->filed_at = dg_column_strdup(stmt, 9);
    it->source_file = dg_column_strdup(stmt, 10);
    it->reasons = (it->class_confidence < threshold ? DG_CLASS_REVIEW_LOW_CONFIDENCE : 0) |
                  (it->doc_date ? 0 : DG_CLASS_REVIEW_NO_DATE) |
                  (it->record_type ? 0 : DG_CLASS_REVIEW_NO_TYPE);
}

static dg_status read_queue(dg_archive *archive, const dg_actor *actor, double threshold,
                            size_t limit, size_t offset, dg_class_review_item **items, size_t *count,
                            dg_error *err)
{
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(
        archive->db,
        "SELECT r.refcode, v.number, dg_clear(v.title), v.category, v.record_type, v.doc_date,"
        " v.class_confidence, r.level, v.year, r.created_at, dg_clear(v.source_file)" QUEUE_FROM
        " ORDER BY v.class_confidence, r.id LIMIT :limit OFFSET :offset",
        &stmt, err);
    if (st != DG_OK)
        return st;
    bind_queue(stmt, actor, threshold);
    sqlite3_bind_int64(stmt, sqlite3_bind_parameter_index(stmt, ":limit"),
                       limit ? (sqlite3_int64)limit : -1);
    sqlite3_bind_int64(stmt, sqlite3_bind_parameter_index(stmt, ":offset"),
                       (sqlite3_int64)offset);
    return dg_catalog_collect(archive->db, stmt, (void **)items, count, sizeof **items,
                              item_from_row, &threshold, "read the review queue", err);
}

dg_status dg_class_review_list(dg_archive *archive, const dg_actor *actor, double threshold,
                         size_t limit, size_t offset, dg_class_review_item **items, size_t *count,
                         uint64_t *total, dg_error *err)
{
    *items = NULL;
    *count = 0;
    *total = 0;
    dg_status st = require_reviewer(archive, actor, "review list", NULL, err);
    if (st == DG_OK && threshold < 0)
        st = dg_class_review_threshold(archive, &threshold, err);
    if (st == DG_OK && threshold > 1)
        st = dg_error_set(err, DG_ERR_USAGE, "review threshold %g: give a confidence from 0 "
                                             "to 1", threshold);
    if (st != DG_OK)
        return st;
    /* One read transaction: the count and the page describe the same moment. */
    st = dg_catalog_begin_read(archive->db, err);
    if (st == DG_OK)
        st = count_queue(archive, actor, threshold, total, err);
    if (st == DG_OK)
        st = read_queue(archive, actor, threshold, limit, offset, items, count, err);
    dg_catalog_rollback(archive->db);
    if (st == DG_OK) {
        char detail[64];
        snprintf(detail, sizeof detail, "threshold %.4g", threshold);
        dg_log_event ev = {.action = "review list", .hits = (long)*total, .outcome = "ok",
                           .detail = detail};
        st = dg_log_append(archive, actor, NULL, &ev, err);
    }
    if (st != DG_OK) {
        dg_class_review_items_free(*items, *count);
        *items = NULL;
        *count = 0;
    }
    return st;
}

void dg_class_review_items_free(dg_class_review_item *items, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        free(items[i].refcode);
        free(items[i].title);
        free(items[i].category);
        free(items[i].record_type);
        free(items[i].doc_date);
        free(items[i].filed_at);
        free(items[i].source_file);
    }
    free(items);
}

/* ---- decisions --------------------------------------------------------------------- */

const char *dg_class_review_decision_name(dg_class_review_decision decision)
{
    return decision == DG_CLASS_REVIEW_CORRECTED ? "corrected" : "accepted";
}

/* Copies the decided version's classification into the decision row. */
static dg_status insert_decision(dg_archive *archive, const dg_actor *actor, int64_t record_id,
                                 const dg_class_review_entry *e, char *detail, size_t detail_size,
                                 dg_error *err)
{
    char now[32];
    dg_now_iso(now);
    /* The reason may quote the record: sealed under its key, shredded with it. */
    char *reason = NULL;
    dg_status st = dg_record_seal_text(archive, record_id, e->reason, &reason, err);
    if (st != DG_OK)
        return st;
    sqlite3_stmt *stmt;
    st = dg_catalog_prepare(
        archive->db,
        "INSERT OR IGNORE INTO review_decisions(record_id, version, decision, category,"
        " record_type, class_confidence, reason, user_id, at)"
        " SELECT v.record_id, v.number, ?3, v.category, v.record_type, v.class_confidence,"
        " ?4, ?5, ?6 FROM versions v WHERE v.record_id = ?1 AND v.number = ?2"
        " RETURNING category, coalesce(record_type, '-')",
        &stmt, err);
    if (st != DG_OK) {
        free(reason);
        return st;
    }
    sqlite3_bind_int64(stmt, 1, record_id);
    sqlite3_bind_int(stmt, 2, e->version);
    sqlite3_bind_text(stmt, 3, dg_class_review_decision_name(e->decision), -1, SQLITE_STATIC);
    dg_bind_text_or_null(stmt, 4, reason);
    free(reason);
    sqlite3_bind_int64(stmt, 5, actor->user_id);
    sqlite3_bind_text(stmt, 6, now, -1, SQLITE_STATIC);
    int inserted = 0;
    st = dg_catalog_step_maybe_row(archive->db, stmt, &inserted, "record the review", err);
    if (inserted)
        snprintf(detail, detail_size, "%s %s/%s%s%s", dg_class_review_decision_name(e->decision),
                 (const char *)sqlite3_column_text(stmt, 0),
                 (const char *)sqlite3_column_text(stmt, 1), e->reason ? "; reason: " : "",
                 e->reason ? e->reason : "");
    else if (st == DG_OK)
        st = dg_error_set(err, DG_ERR_EXISTS, "%s: version %d was reviewed already",
                          e->refcode, e->version);
    sqlite3_finalize(stmt);
    return st;
}

/* The record's newest version, read inside the transaction that writes the decision. */
static dg_status current_version_of(dg_archive *archive, int64_t record_id, int *version,
                                    dg_error *err)
{
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(archive->db,
                                      "SELECT current_version FROM records WHERE id = ?", &stmt,
                                      err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_int64(stmt, 1, record_id);
    int64_t current = 0;
    st = dg_catalog_row_int64(archive->db, stmt, &current, "read the record", err, NULL);
    *version = (int)current;
    return st;
}

dg_status dg_class_review_record_in_txn(dg_archive *archive, const dg_actor *actor,
                                        int64_t record_id, const dg_class_review_entry *e,
                                        dg_error *err)
{
    int newest = 0;
    dg_status st = current_version_of(archive, record_id, &newest, err);
    if (st == DG_OK && newest != e->version)
        st = dg_error_set(err, DG_ERR_STATE, "%s: version %d is no longer the newest (%d); "
                                             "look at it again", e->refcode, e->version, newest);
    char detail[600] = "";
    if (st == DG_OK)
        st = insert_decision(archive, actor, record_id, e, detail, sizeof detail, err);
    if (st == DG_OK && e->model)
        st = put_state_in_txn(archive, actor, DG_STATE_MODEL, e->model, e->model_generation,
                              err);
    if (st == DG_OK) {
        dg_log_event ev = {.action = "review", .refcode = e->refcode, .version = e->version,
                           .hits = -1, .outcome = "ok", .detail = detail};
        st = dg_log_append_in_txn(archive, actor, NULL, &ev, err);
    }
    return st;
}

dg_status dg_class_review_record(dg_archive *archive, const dg_actor *actor,
                           const dg_class_review_entry *entry, dg_error *err)
{
    dg_record_row row;
    dg_text_field fields[] = {{"refcode", entry->refcode}, {"reason", entry->reason},
                              {"model", entry->model}};
    dg_status st = dg_text_guard_all(fields, sizeof fields / sizeof fields[0], err);
    if (st == DG_OK)
        st = require_reviewer(archive, actor, "review", entry->refcode, err);
    if (st == DG_OK) /* outside the transaction: a refusal is logged in its own */
        st = dg_find_visible(archive, actor, entry->refcode, "review", &row, err);
    if (st == DG_OK)
        st = dg_catalog_begin_write(archive->db, err);
    if (st != DG_OK)
        return st;
    st = dg_class_review_record_in_txn(archive, actor, row.id, entry, err);
    st = dg_catalog_end_write(archive->db, st, err);
    return st;
}

/* ---- forgetting a destroyed record's lessons ------------------------------------------ */

static dg_status count_decisions(sqlite3 *db, int64_t record_id, int *count, dg_error *err)
{
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(db, "SELECT count(*) FROM review_decisions WHERE"
                                          " record_id = ?", &stmt, err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_int64(stmt, 1, record_id);
    int64_t n = 0;
    st = dg_catalog_row_int64(db, stmt, &n, "count review decisions", err, NULL);
    *count = (int)n;
    return st;
}

static dg_status delete_decisions(sqlite3 *db, int64_t record_id, dg_error *err)
{
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(db, "DELETE FROM review_decisions WHERE record_id = ?",
                                      &stmt, err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_int64(stmt, 1, record_id);
    return dg_catalog_step_done(db, stmt, err);
}

/*
 * Empties the saved model rather than deleting its row: the generation keeps counting, so
 * a writer that read the old model (or an empty one before this) is refused, reloads and
 * rebuilds without the destroyed record. secure_delete zeroes the old value's pages.
 */
static dg_status empty_model(dg_archive *archive, const dg_actor *actor, int *forgot,
                             dg_error *err)
{
    char now[32];
    dg_now_iso(now);
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(
        archive->db,
        "UPDATE classifier_state SET value = '', generation = generation + 1, updated_at = ?2,"
        " updated_by = ?3 WHERE name = ?1",
        &stmt, err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_text(stmt, 1, DG_STATE_MODEL, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, now, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 3, actor->user_id);
    st = dg_catalog_step_done(archive->db, stmt, err);
    *forgot = st == DG_OK && sqlite3_changes(archive->db) == 1;
    return st;
}

static dg_status refcode_of(sqlite3 *db, int64_t record_id, char **refcode, dg_error *err)
{
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(db, "SELECT refcode FROM records WHERE id = ?", &stmt,
                                      err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_int64(stmt, 1, record_id);
    return dg_catalog_row_text(db, stmt, refcode, "read the record's code", err, NULL);
}

dg_status dg_class_review_forget_record(dg_archive *archive, const dg_actor *actor,
                                        int64_t record_id, int *forgot_out, dg_error *err)
{
    int forgot = 0, decisions = 0;
    if (forgot_out)
        *forgot_out = 0;
    dg_status st = count_decisions(archive->db, record_id, &decisions, err);
    if (st != DG_OK || decisions == 0)
        return st; /* nobody reviewed it: the classifier never learnt its text */
    char *refcode = NULL;
    st = refcode_of(archive->db, record_id, &refcode, err);
    if (st == DG_OK)
        st = delete_decisions(archive->db, record_id, err);
    if (st == DG_OK)
        st = empty_model(archive, actor, &forgot, err);
    if (st == DG_OK && forgot) {
        dg_log_event ev = {.action = "classifier", .refcode = refcode, .query = DG_STATE_MODEL,
                           .hits = -1, .outcome = "ok",
                           .detail = "model forgotten with the destroyed record's review "
                                     "decisions; rebuilt from the remaining ones when next used"};
        st = dg_log_append_in_txn(archive, actor, NULL, &ev, err);
    }
    free(refcode);
    if (st == DG_OK && forgot_out)
        *forgot_out = forgot;
    return st;
}

/* ---- the remembered lessons ---------------------------------------------------------- */

/* One decision to hand on, read before any text is (the statement is closed meanwhile). */
typedef struct lesson_row {
    int64_t decision_id;
    char *refcode, *category, *record_type, *text_sha;
    int version;
    dg_class_review_decision decision;
} lesson_row;

static void lesson_rows_free(lesson_row *rows, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        free(rows[i].refcode);
        free(rows[i].category);
        free(rows[i].record_type);
        free(rows[i].text_sha);
    }
    free(rows);
}

static void lesson_from_row(sqlite3_stmt *stmt, void *item, void *ctx)
{
    (void)ctx;
    lesson_row *l = item;
    l->decision_id = sqlite3_column_int64(stmt, 0);
    l->refcode = dg_column_strdup(stmt, 1);
    l->version = sqlite3_column_int(stmt, 2);
    const char *decision = (const char *)sqlite3_column_text(stmt, 3);
    l->decision = decision && !strcmp(decision, "corrected") ? DG_CLASS_REVIEW_CORRECTED
                                                              : DG_CLASS_REVIEW_ACCEPTED;
    l->category = dg_column_strdup(stmt, 4);
    l->record_type = dg_column_strdup(stmt, 5);
    l->text_sha = dg_column_strdup(stmt, 6);
}

/* Decisions in the order they were made, which is the order the model learnt them. */
static dg_status read_lesson_rows(sqlite3 *db, lesson_row **rows, size_t *count, dg_error *err)
{
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(
        db,
        "SELECT d.id, r.refcode, d.version, d.decision, d.category, d.record_type,"
        " v.text_sha256 FROM review_decisions d JOIN records r ON r.id = d.record_id"
        " JOIN versions v ON v.record_id = d.record_id AND v.number = d.version"
        " WHERE r.state = 'live' ORDER BY d.id",
        &stmt, err);
    if (st != DG_OK)
        return st;
    return dg_catalog_collect(db, stmt, (void **)rows, count, sizeof **rows, lesson_from_row,
                              NULL, "read review decisions", err);
}

static dg_status decision_exists(sqlite3 *db, int64_t decision_id, int *exists, dg_error *err)
{
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(db, "SELECT 1 FROM review_decisions WHERE id = ?", &stmt,
                                      err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_int64(stmt, 1, decision_id);
    st = dg_catalog_step_maybe_row(db, stmt, exists, "read a review decision", err);
    sqlite3_finalize(stmt);
    return st;
}

/* Reads the decided version's text and hands the lesson on. */
static dg_status hand_on(dg_archive *archive, const lesson_row *row, dg_class_lesson_fn fn,
                         void *ctx, dg_error *err)
{
    void *text = NULL;
    size_t len = 0;
    dg_status st = row->text_sha ? dg_store_get(archive->store, row->text_sha, &text, &len, err)
                                 : DG_OK;
    if (st != DG_OK) {
        /* A destruction that committed after the decisions were read removes the file. */
        int exists = 1;
        if (decision_exists(archive->db, row->decision_id, &exists, NULL) == DG_OK && !exists)
            st = dg_error_set(err, DG_ERR_STATE, "%s: destroyed meanwhile; read the model "
                                                 "again", row->refcode);
        else
            dg_error_prefix(err, "%s version %d text: ", row->refcode, row->version);
        return st;
    }
    dg_class_lesson l = {.refcode = row->refcode, .version = row->version,
                         .decision = row->decision, .category = row->category,
                         .record_type = row->record_type, .text = text ? text : "",
                         .len = len};
    st = fn(&l, ctx, err);
    free(text);
    return st;
}

dg_status dg_class_review_lessons(dg_archive *archive, const dg_actor *actor,
                                  dg_class_lesson_fn fn, void *ctx, dg_error *err)
{
    dg_status st = require_reviewer(archive, actor, "classifier", NULL, err);
    if (st != DG_OK)
        return st;
    lesson_row *rows = NULL;
    size_t count = 0;
    st = read_lesson_rows(archive->db, &rows, &count, err);
    for (size_t i = 0; st == DG_OK && i < count; i++)
        st = hand_on(archive, &rows[i], fn, ctx, err);
    lesson_rows_free(rows, count);
    return st;
}
