/*
 * version.c — new versions of a filed record (corrections, reclassification, level
 * changes, rescans) and level-4 grants. Nothing here updates a version in place: a change
 * is a new row, and the record row only moves its pointer to the newest version and its
 * current level.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive_internal.h"
#include "catalog.h"
#include "class_review_internal.h"
#include "indexer.h"
#include "lock.h"
#include "log.h"
#include "record.h"
#include "record_internal.h"
#include "user.h"
#include "vocab.h"
#include "text_guard.h"

static int differs(const char *now, const char *before)
{
    if (!now)
        return 0;
    return !before || strcmp(now, before) != 0;
}

/* Appends name to the list of changed fields in buf. */
static void note_change(char *buf, size_t size, const char *name)
{
    size_t used = strlen(buf);
    snprintf(buf + used, size - used, "%s%s", used ? ", " : "", name);
}

static dg_status resolve_category(const char *text, const char **key, dg_error *err)
{
    dg_category cat;
    dg_status st = dg_category_parse(text, &cat, err);
    if (st == DG_OK)
        *key = dg_category_key(cat);
    return st;
}

/* Applies the change to prev's fields, listing what changed in changed. */
static dg_status apply_change(const dg_actor *actor, const dg_version_info *prev,
                              const dg_record_change *c, version_fields *v, char *changed,
                              size_t changed_size, dg_error *err)
{
    memset(v, 0, sizeof *v);
    changed[0] = '\0';
    v->title = prev->title, v->category = prev->category, v->record_type = prev->record_type;
    v->doc_number = prev->doc_number, v->doc_date = prev->doc_date;
    v->department = prev->department, v->location = prev->location, v->secrecy = prev->secrecy;
    v->subject = prev->subject;
    v->source_batch = prev->source_batch, v->source_file = prev->source_file;
    snprintf(v->period, sizeof v->period, "%s", prev->period);
    v->year = prev->year, v->level = prev->level, v->page_count = prev->page_count;
    v->ocr_confidence = prev->ocr_confidence, v->class_confidence = prev->class_confidence;
    v->reason = c->reason;

#define TAKE(field, name)                                                                    \
    if (differs(c->field, prev->field)) {                                                    \
        v->field = c->field;                                                                 \
        note_change(changed, changed_size, name);                                           \
    }
    TAKE(title, "title")
    TAKE(record_type, "type")
    TAKE(doc_number, "doc_number")
    TAKE(department, "department")
    TAKE(location, "location")
    TAKE(secrecy, "secrecy")
    TAKE(subject, "subject")
#undef TAKE
    dg_status st = DG_OK;
    if (c->doc_date && !dg_date_valid(c->doc_date))
        return dg_error_set(err, DG_ERR_USAGE, "date '%s' is not a real YYYY-MM-DD date",
                            c->doc_date);
    if (differs(c->doc_date, prev->doc_date)) {
        v->doc_date = c->doc_date;
        note_change(changed, changed_size, "date");
        /* The formation year (年度) is the document's year: a corrected date corrects it,
         * unless the same change gives a year. The reference code keeps the year it was
         * filed under: codes are never changed (refcode.h) — except a provisional code,
         * whose year this confirms (confirm_year). */
        int date_year = atoi(c->doc_date);
        if (!c->year && date_year != prev->year) {
            v->year = date_year;
            note_change(changed, changed_size, "year");
        }
    }
    if (c->category) {
        const char *key;
        st = resolve_category(c->category, &key, err);
        if (st != DG_OK)
            return st;
        if (strcmp(key, prev->category)) {
            v->category = key;
            note_change(changed, changed_size, "category");
        }
    }
    if (c->period) {
        dg_period period;
        st = dg_period_parse(c->period, &period, err);
        if (st != DG_OK)
            return st;
        if (strcmp(dg_period_code(period), prev->period)) {
            snprintf(v->period, sizeof v->period, "%s", dg_period_code(period));
            note_change(changed, changed_size, "period");
        }
    }
    if (c->level && *c->level != prev->level) {
        if (*c->level < DG_LEVEL_MIN || *c->level > DG_LEVEL_MAX)
            return dg_error_set(err, DG_ERR_USAGE, "access level %d is outside 0-4", *c->level);
        if (*c->level > actor->clearance && !dg_actor_has_role(actor, DG_ROLE_ADMIN))
            return dg_error_set(err, DG_ERR_DENIED, "level %d is above your clearance (%d)",
                                *c->level, actor->clearance);
        v->level = *c->level;
        note_change(changed, changed_size, "level");
    }
    if (c->year && *c->year != prev->year) {
        if (*c->year < 1000 || *c->year > 9999)
            return dg_error_set(err, DG_ERR_USAGE, "year %d is not a four-digit year", *c->year);
        v->year = *c->year;
        note_change(changed, changed_size, "year");
    }
    if (c->class_confidence)
        v->class_confidence = *c->class_confidence;
    else if (strstr(changed, "category") || strstr(changed, "type"))
        v->class_confidence = -1; /* a person decided: no longer the machine's guess */
    return DG_OK;
}

static dg_status load_current_version(dg_archive *archive, int64_t record_id, int number,
                                      dg_version_info *out, int64_t *version_id, dg_error *err)
{
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(archive->db,
                                      "SELECT " VERSION_COLUMNS " FROM versions v LEFT JOIN users u"
                                      " ON u.id = v.author_id WHERE v.record_id = ? AND v.number = ?",
                                      &stmt, err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_int64(stmt, 1, record_id);
    sqlite3_bind_int(stmt, 2, number);
    st = dg_catalog_step_row(archive->db, stmt, "read current version", err, NULL);
    if (st == DG_OK && !dg_version_from_row(stmt, out))
        st = dg_error_set(err, DG_ERR_NOMEM, "reading version %d: out of memory", number);
    if (st == DG_OK)
        *version_id = sqlite3_column_int64(stmt, 21);
    sqlite3_finalize(stmt);
    return st;
}

static dg_status update_record_row(sqlite3 *db, int64_t record_id, int version, int level,
                                   dg_error *err)
{
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(
        db, "UPDATE records SET current_version = ?, level = ? WHERE id = ?", &stmt, err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_int(stmt, 1, version);
    sqlite3_bind_int(stmt, 2, level);
    sqlite3_bind_int64(stmt, 3, record_id);
    return dg_catalog_step_done(db, stmt, err);
}

typedef struct edit_plan {
    const char *refcode;
    dg_record_row row;
    int64_t prev_version_id;
    version_fields fields;
    char changed[256];
    const dg_record_change *change;
    char final_code[DG_REFCODE_MAX]; /* the record's code after the edit */
} edit_plan;

/* Keeps the provisional code as an alias for ever (refcode.h), in the edit's transaction. */
static dg_status insert_alias(sqlite3 *db, const dg_actor *actor, const edit_plan *plan,
                              dg_error *err)
{
    char now[32];
    dg_now_iso(now);
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(db,
                                      "INSERT INTO refcode_aliases(alias, record_id, replaced_by,"
                                      " at, user_id) VALUES(?, ?, ?, ?, ?)",
                                      &stmt, err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_text(stmt, 1, plan->row.refcode, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 2, plan->row.id);
    sqlite3_bind_text(stmt, 3, plan->final_code, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 4, now, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 5, actor->user_id);
    return dg_catalog_step_done(db, stmt, err);
}

static dg_status set_record_code(sqlite3 *db, const edit_plan *plan, int year, dg_error *err)
{
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(
        db, "UPDATE records SET refcode = ?, year = ?, item = ? WHERE id = ?", &stmt, err);
    if (st != DG_OK)
        return st;
    dg_refcode_parts parts;
    st = dg_refcode_parse(plan->final_code, &parts, err);
    if (st != DG_OK) {
        sqlite3_finalize(stmt);
        return st;
    }
    sqlite3_bind_text(stmt, 1, plan->final_code, -1, SQLITE_STATIC);
    sqlite3_bind_int(stmt, 2, year);
    sqlite3_bind_int(stmt, 3, parts.item);
    sqlite3_bind_int64(stmt, 4, plan->row.id);
    return dg_catalog_step_done(db, stmt, err);
}

/*
 * A provisional record whose year this edit confirms gets its final code: the provisional
 * one with the year in place of 待定 and the next number of that year's series (the other
 * levels — fonds, category, period, department — stay what it was filed under, as for any
 * code). Every version is re-indexed, so that ref: finds it under both codes.
 */
static dg_status confirm_year(dg_archive *archive, const dg_actor *actor, edit_plan *plan,
                              dg_error *err)
{
    dg_refcode_parts parts;
    dg_status st = dg_refcode_parse(plan->row.refcode, &parts, err);
    if (st != DG_OK)
        return st;
    parts.year = plan->fields.year;
    st = dg_refcode_allocate(archive->db, &archive->stmts, &parts, err);
    if (st == DG_OK)
        st = dg_refcode_format(&parts, plan->final_code, err);
    if (st == DG_OK)
        st = set_record_code(archive->db, plan, parts.year, err);
    if (st == DG_OK)
        st = insert_alias(archive->db, actor, plan, err);
    if (st == DG_OK)
        st = dg_enqueue_record(archive->db, plan->row.id, err);
    return st;
}

static int confirms_year(const edit_plan *plan)
{
    return plan->row.year == 0 && plan->fields.year != 0;
}

static dg_status edit_in_txn(dg_archive *archive, const dg_actor *actor, edit_plan *plan,
                             const dg_object_list *objects, const dg_stored_page *stored,
                             dg_error *err)
{
    int number = plan->row.current_version + 1;
    int64_t version_id;
    dg_status st = dg_insert_object_rows(archive->db, objects, err);
    if (st == DG_OK)
        st = dg_insert_version_row(archive->db, plan->row.id, number, actor, &plan->fields,
                                   objects->seal, &version_id, err);
    if (st == DG_OK && plan->change->n_pages)
        st = dg_insert_page_rows(archive->db, version_id, plan->change->pages, stored,
                                 plan->change->n_pages, err);
    else if (st == DG_OK)
        st = dg_copy_page_rows(archive->db, plan->prev_version_id, version_id, err);
    if (st == DG_OK)
        st = update_record_row(archive->db, plan->row.id, number, plan->fields.level, err);
    /* A level change re-tags every version; otherwise the old newest loses its flag. */
    if (st == DG_OK && plan->fields.level != plan->row.level)
        st = dg_enqueue_record(archive->db, plan->row.id, err);
    else if (st == DG_OK)
        st = dg_enqueue_version(archive->db, plan->prev_version_id, err);
    if (st == DG_OK)
        st = dg_enqueue_version(archive->db, version_id, err);
    snprintf(plan->final_code, sizeof plan->final_code, "%s", plan->row.refcode);
    if (st == DG_OK && confirms_year(plan))
        st = confirm_year(archive, actor, plan, err);
    if (st == DG_OK) {
        /* The fields changed, not the reason: it may quote the record, and the log is
         * permanent, never shredded; the version row keeps it sealed (sealed_text.h). */
        char detail[768];
        if (strcmp(plan->final_code, plan->row.refcode))
            snprintf(detail, sizeof detail, "changed %s; year confirmed: %s is now %s",
                     plan->changed, plan->row.refcode, plan->final_code);
        else
            snprintf(detail, sizeof detail, "changed %s", plan->changed);
        dg_log_event ev = {.action = "edit", .refcode = plan->final_code, .version = number,
                           .hits = -1, .outcome = "ok", .detail = detail};
        st = dg_log_append_in_txn(archive, actor, NULL, &ev, err);
    }
    /* A correction's decision and lesson commit with the version they are about. */
    if (st == DG_OK && plan->change->review) {
        dg_class_review_entry review = *plan->change->review;
        review.version = number;
        st = dg_class_review_record_in_txn(archive, actor, plan->row.id, &review, err);
    }
    return st;
}

static dg_status write_edit(dg_archive *archive, const dg_actor *actor, edit_plan *plan,
                            dg_error *err)
{
    const dg_record_change *c = plan->change;
    dg_object_list objects = {0};
    dg_store_seal seal;
    dg_stored_page *stored = calloc(c->n_pages ? c->n_pages : 1, sizeof *stored);
    char text_sha[DG_SHA256_HEX];
    dg_status st = dg_record_seal_of(archive, plan->row.id, &seal, &objects.seal, err);
    st = st != DG_OK ? st : stored ? dg_store_contents(archive, &objects, c->text, c->pages, c->n_pages,
                                              stored, text_sha, err)
                          : dg_error_set(err, DG_ERR_NOMEM, "%s: out of memory", plan->refcode);
    if (st == DG_OK && c->text) {
        memcpy(plan->fields.text_sha, text_sha, sizeof text_sha);
    }
    if (st == DG_OK)
        st = dg_catalog_begin_write(archive->db, err);
    if (st == DG_OK) {
        st = edit_in_txn(archive, actor, plan, &objects, stored, err);
        st = dg_catalog_end_write(archive->db, st, err);
    }
    sodium_memzero(&seal, sizeof seal);
    if (st != DG_OK)
        dg_forget_uncommitted_objects(archive, &objects);
    free(objects.items);
    free(stored);
    return st;
}

static dg_status plan_edit(dg_archive *archive, const dg_actor *actor, edit_plan *plan,
                           dg_version_info *prev, dg_error *err)
{
    const dg_record_change *c = plan->change;
    dg_status st = load_current_version(archive, plan->row.id, plan->row.current_version, prev,
                                        &plan->prev_version_id, err);
    if (st == DG_OK)
        st = apply_change(actor, prev, c, &plan->fields, plan->changed, sizeof plan->changed, err);
    if (st != DG_OK)
        return st;
    /* The record's level is authoritative (a level change applies to all versions). */
    if (!c->level || *c->level == prev->level)
        plan->fields.level = plan->row.level;
    if (plan->fields.level != plan->row.level && !strstr(plan->changed, "level"))
        note_change(plan->changed, sizeof plan->changed, "level");
    snprintf(plan->fields.text_sha, sizeof plan->fields.text_sha, "%s",
             prev->text_sha256 ? prev->text_sha256 : "");
    if (c->text) {
        char hex[DG_SHA256_HEX];
        dg_sha256_hex(c->text, strlen(c->text), hex);
        if (!prev->text_sha256 || strcmp(hex, prev->text_sha256))
            note_change(plan->changed, sizeof plan->changed, "text");
    }
    if (c->n_pages) {
        plan->fields.page_count = (int)c->n_pages;
        note_change(plan->changed, sizeof plan->changed, "pages");
    }
    if (!plan->changed[0])
        return dg_error_set(err, DG_ERR_USAGE, "%s: nothing to change (the values given are "
                                               "the current ones)",
                            plan->refcode);
    return DG_OK;
}

dg_status dg_record_edit(dg_archive *archive, const dg_actor *actor, const char *refcode,
                         const dg_record_change *change, int *version, dg_error *err)
{
    *version = 0;
    dg_text_field fields[] = {
        {"refcode", refcode},          {"title", change->title},
        {"category", change->category}, {"type", change->record_type},
        {"doc_number", change->doc_number}, {"date", change->doc_date},
        {"department", change->department}, {"period", change->period},
        {"location", change->location}, {"secrecy", change->secrecy},
        {"subject", change->subject},
        {"text", change->text},        {"reason", change->reason},
    };
    dg_status st = dg_text_guard_all(fields, sizeof fields / sizeof fields[0], err);
    if (st == DG_OK)
        st = dg_pages_check_text(change->pages, change->n_pages, err);
    if (st != DG_OK)
        return st;
    if (!change->reason || !change->reason[0])
        return dg_error_set(err, DG_ERR_USAGE, "%s: a change needs a reason (--reason)", refcode);
    st = dg_require_filer(archive, actor, "edit", refcode, err);
    if (st != DG_OK)
        return st;
    st = dg_archive_lock_write(archive, err);
    if (st != DG_OK)
        return st;
    edit_plan plan = {.refcode = refcode, .change = change};
    dg_version_info prev = {0};
    st = dg_find_visible(archive, actor, refcode, "edit", &plan.row, err);
    if (st == DG_OK)
        st = plan_edit(archive, actor, &plan, &prev, err);
    if (st == DG_OK)
        st = write_edit(archive, actor, &plan, err);
    if (st == DG_OK) {
        *version = plan.row.current_version + 1;
        if (change->final_refcode)
            snprintf(change->final_refcode, DG_REFCODE_MAX, "%s", plan.final_code);
        st = dg_index_pending(archive, err);
    }
    dg_archive_unlock_write(archive);
    dg_version_info_free(&prev);
    return st;
}

static dg_status user_id_of(dg_archive *archive, const char *login, int64_t *id, dg_error *err)
{
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(archive->db, "SELECT id FROM users WHERE login = ?", &stmt,
                                      err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_text(stmt, 1, login, -1, SQLITE_STATIC);
    return dg_catalog_row_int64(archive->db, stmt, id, "look up user", err, "no such user: %s",
                                login);
}

static dg_status write_grant(dg_archive *archive, const dg_actor *actor, int64_t record_id,
                             int64_t user_id, int grant, dg_error *err)
{
    char now[32];
    dg_now_iso(now);
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(
        archive->db,
        grant ? "INSERT OR IGNORE INTO grants(record_id, user_id, granted_by, granted_at)"
                " VALUES(?1, ?2, ?3, ?4)"
              : "DELETE FROM grants WHERE record_id = ?1 AND user_id = ?2 AND ?3 AND ?4 IS NOT NULL",
        &stmt, err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_int64(stmt, 1, record_id);
    sqlite3_bind_int64(stmt, 2, user_id);
    sqlite3_bind_int64(stmt, 3, actor->user_id);
    sqlite3_bind_text(stmt, 4, now, -1, SQLITE_STATIC);
    return dg_catalog_step_done(archive->db, stmt, err);
}

dg_status dg_record_grant(dg_archive *archive, const dg_actor *actor, const char *refcode,
                          const char *login, int grant, dg_error *err)
{
    const char *action = grant ? "grant" : "revoke";
    dg_text_field fields[] = {{"refcode", refcode}, {"login", login}};
    dg_status guard = dg_text_guard_all(fields, sizeof fields / sizeof fields[0], err);
    if (guard != DG_OK)
        return guard;
    dg_log_event refusal = {.action = action, .refcode = refcode, .detail = login};
    dg_status st = dg_require_role(archive, actor, DG_ROLE_ADMIN, &refusal, err,
                                   "%s: only an admin may grant access", action);
    if (st == DG_OK)
        st = dg_archive_lock_write(archive, err);
    if (st != DG_OK)
        return st;
    dg_record_row row;
    int64_t user_id = 0;
    st = dg_find_visible(archive, actor, refcode, action, &row, err);
    if (st == DG_OK)
        st = user_id_of(archive, login, &user_id, err);
    if (st == DG_OK)
        st = dg_catalog_begin_write(archive->db, err);
    if (st == DG_OK) {
        st = write_grant(archive, actor, row.id, user_id, grant, err);
        if (st == DG_OK)
            st = dg_enqueue_record(archive->db, row.id, err);
        if (st == DG_OK) {
            dg_log_event ev = {.action = action, .refcode = refcode, .hits = -1,
                               .outcome = "ok", .detail = login};
            st = dg_log_append_in_txn(archive, actor, NULL, &ev, err);
        }
        st = dg_catalog_end_write(archive->db, st, err);
    }
    if (st == DG_OK)
        st = dg_index_pending(archive, err);
    dg_archive_unlock_write(archive);
    return st;
}
