/*
 * disposal.c — the storage side of retention (disposal.h): the versioned schedule, holds,
 * annual reviews and their items, appraisal, approval, witness signatures and the forecast
 * of what falls due. The destruction those steps lead to, and its register, are
 * destruction.c.
 *
 * Each write runs under the archive's write lock in one catalog transaction with its log
 * entry, so a step and its record in the hash-chained log commit together or not at all.
 */
#include "disposal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive_internal.h"
#include "archive_keys.h"
#include "catalog.h"
#include "../base/hash.h"
#include "lock.h"
#include "log.h"
#include "record_internal.h"
#include "text_guard.h"

/* ---- small helpers ------------------------------------------------------------------ */

typedef dg_status (*txn_body)(dg_archive *archive, void *ctx, dg_error *err);

/* Runs body inside the write lock and one write transaction; rolls back on failure. */
static dg_status in_write_txn(dg_archive *archive, txn_body body, void *ctx, dg_error *err)
{
    dg_status st = dg_archive_lock_write(archive, err);
    if (st != DG_OK)
        return st;
    st = dg_catalog_begin_write(archive->db, err);
    if (st == DG_OK) {
        st = body(archive, ctx, err);
        st = dg_catalog_end_write(archive->db, st, err);
    }
    dg_archive_unlock_write(archive);
    return st;
}

static dg_status log_in_txn(dg_archive *archive, const dg_actor *actor, const char *action,
                            const char *refcode, const char *detail, dg_error *err)
{
    dg_log_event ev = {.action = action, .refcode = refcode, .hits = -1, .outcome = "ok",
                       .detail = detail};
    return dg_log_append_in_txn(archive, actor, NULL, &ev, err);
}

/* Runs a statement with one int64 parameter and reads one int64 (0 when no row). */
static dg_status query_int(sqlite3 *db, const char *sql, int64_t param, int64_t *out,
                           dg_error *err)
{
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(db, sql, &stmt, err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_int64(stmt, 1, param);
    int found = 0;
    st = dg_catalog_step_maybe_row(db, stmt, &found, "read", err);
    *out = found ? sqlite3_column_int64(stmt, 0) : 0;
    sqlite3_finalize(stmt);
    return st;
}

/* Runs a write with up to two int64 parameters; *changes gets the rows changed. */
static dg_status exec_ids(sqlite3 *db, const char *sql, int64_t a, int64_t b, int *changes,
                          dg_error *err)
{
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(db, sql, &stmt, err);
    if (st != DG_OK)
        return st;
    if (sqlite3_bind_parameter_count(stmt) >= 1)
        sqlite3_bind_int64(stmt, 1, a);
    if (sqlite3_bind_parameter_count(stmt) >= 2)
        sqlite3_bind_int64(stmt, 2, b);
    st = dg_catalog_step_done(db, stmt, err);
    if (changes)
        *changes = sqlite3_changes(db);
    return st;
}

/* The id and state of a record by reference code, whatever its state. */
static dg_status find_record(sqlite3 *db, const char *refcode, int64_t *id, int *live,
                             dg_error *err)
{
    sqlite3_stmt *stmt;
    dg_status st =
        dg_catalog_prepare(db, "SELECT id, state = 'live' FROM records WHERE refcode = ?1"
                           " OR id = (SELECT record_id FROM refcode_aliases WHERE alias = ?1)",
                           &stmt, err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_text(stmt, 1, refcode, -1, SQLITE_STATIC);
    st = dg_catalog_step_row(db, stmt, "look up record", err, "%s: no such record", refcode);
    if (st == DG_OK) {
        *id = sqlite3_column_int64(stmt, 0);
        *live = sqlite3_column_int(stmt, 1);
    }
    sqlite3_finalize(stmt);
    return st;
}

static char *text_or_empty(sqlite3_stmt *stmt, int col)
{
    const unsigned char *t = sqlite3_column_text(stmt, col);
    return strdup(t ? (const char *)t : "");
}

/* ---- the schedule ------------------------------------------------------------------- */

void dg_schedule_rows_free(dg_schedule_row *rows, size_t count)
{
    for (size_t i = 0; rows && i < count; i++) {
        free(rows[i].category);
        free(rows[i].record_type);
        free(rows[i].period);
    }
    free(rows);
}

static void schedule_row_from_row(sqlite3_stmt *stmt, void *item, void *ctx)
{
    (void)ctx;
    dg_schedule_row *r = item;
    r->category = text_or_empty(stmt, 0);
    r->record_type = text_or_empty(stmt, 1);
    r->period = text_or_empty(stmt, 2);
}

dg_status dg_schedule_list(dg_archive *archive, dg_schedule_row **rows, size_t *count,
                           dg_error *err)
{
    *rows = NULL;
    *count = 0;
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(
        archive->db,
        "SELECT category, record_type, period FROM schedule ORDER BY category, record_type",
        &stmt, err);
    if (st != DG_OK)
        return st;
    st = dg_catalog_collect(archive->db, stmt, (void **)rows, count, sizeof **rows,
                            schedule_row_from_row, NULL, "read schedule", err);
    if (st != DG_OK) {
        dg_schedule_rows_free(*rows, *count);
        *rows = NULL;
        *count = 0;
    }
    return st;
}

typedef struct schedule_job {
    const dg_actor *actor;
    const dg_schedule_change *changes;
    size_t n;
    const char *approval, *reason;
    size_t changed;
} schedule_job;

static dg_status current_period(sqlite3 *db, const dg_schedule_change *c, char old[8],
                                dg_error *err)
{
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(
        db, "SELECT period FROM schedule WHERE category = ? AND record_type = ?", &stmt, err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_text(stmt, 1, c->category, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, c->record_type, -1, SQLITE_STATIC);
    old[0] = '\0';
    int found = 0;
    st = dg_catalog_step_maybe_row(db, stmt, &found, "read schedule", err);
    if (found)
        snprintf(old, 8, "%s", (const char *)sqlite3_column_text(stmt, 0));
    sqlite3_finalize(stmt);
    return st;
}

static dg_status write_schedule_row(dg_archive *archive, schedule_job *job,
                                    const dg_schedule_change *c, const char *old, dg_error *err)
{
    char now[32];
    dg_now_iso(now);
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(
        archive->db,
        "INSERT INTO schedule(category, record_type, period) VALUES(?1, ?2, ?3)"
        " ON CONFLICT(category, record_type) DO UPDATE SET period = excluded.period",
        &stmt, err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_text(stmt, 1, c->category, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, c->record_type, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 3, c->period, -1, SQLITE_STATIC);
    st = dg_catalog_step_done(archive->db, stmt, err);
    if (st == DG_OK)
        st = dg_catalog_prepare(archive->db,
                                "INSERT INTO schedule_history(at, user_id, category, record_type,"
                                " old_period, new_period, approval, reason)"
                                " VALUES(?,?,?,?,?,?,?,?)",
                                &stmt, err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_text(stmt, 1, now, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 2, job->actor->user_id);
    sqlite3_bind_text(stmt, 3, c->category, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 4, c->record_type, -1, SQLITE_STATIC);
    dg_bind_text_or_null(stmt, 5, old[0] ? old : NULL);
    sqlite3_bind_text(stmt, 6, c->period, -1, SQLITE_STATIC);
    dg_bind_text_or_null(stmt, 7, job->approval);
    sqlite3_bind_text(stmt, 8, job->reason, -1, SQLITE_STATIC);
    st = dg_catalog_step_done(archive->db, stmt, err);
    if (st != DG_OK)
        return st;
    char detail[512];
    snprintf(detail, sizeof detail, "%s/%s: %s -> %s; approval: %s; reason: %s", c->category,
             c->record_type[0] ? c->record_type : "(default)", old[0] ? old : "(none)",
             c->period, job->approval ? job->approval : "-", job->reason);
    return log_in_txn(archive, job->actor, "schedule.set", NULL, detail, err);
}

static dg_status schedule_body(dg_archive *archive, void *ctx, dg_error *err)
{
    schedule_job *job = ctx;
    for (size_t i = 0; i < job->n; i++) {
        const dg_schedule_change *c = &job->changes[i];
        char old[8];
        dg_status st = current_period(archive->db, c, old, err);
        if (st == DG_OK && strcmp(old, c->period) != 0) {
            st = write_schedule_row(archive, job, c, old, err);
            job->changed++;
        }
        if (st != DG_OK)
            return dg_error_prefix(err, "schedule row %zu (%s/%s): ", i + 1, c->category,
                                   c->record_type);
    }
    return DG_OK;
}

dg_status dg_schedule_apply(dg_archive *archive, const dg_actor *actor,
                            const dg_schedule_change *changes, size_t n, const char *approval,
                            const char *reason, size_t *changed, dg_error *err)
{
    schedule_job job = {.actor = actor, .changes = changes, .n = n, .approval = approval,
                        .reason = reason ? reason : "schedule change"};
    dg_text_field fields[] = {{"approval", approval}, {"reason", reason}};
    dg_status st = dg_text_guard_all(fields, sizeof fields / sizeof fields[0], err);
    for (size_t i = 0; st == DG_OK && i < n; i++) {
        dg_text_field change[] = {{"category", changes[i].category},
                                  {"type", changes[i].record_type},
                                  {"period", changes[i].period}};
        st = dg_text_guard_all(change, sizeof change / sizeof change[0], err);
    }
    if (st == DG_OK)
        st = in_write_txn(archive, schedule_body, &job, err);
    *changed = st == DG_OK ? job.changed : 0;
    return st;
}

/* ---- holds -------------------------------------------------------------------------- */

typedef struct hold_job {
    const dg_actor *actor;
    const char *refcode, *reason;
    int place;
} hold_job;

static dg_status hold_body(dg_archive *archive, void *ctx, dg_error *err)
{
    hold_job *job = ctx;
    int64_t record_id = 0;
    int live = 0;
    dg_status st = find_record(archive->db, job->refcode, &record_id, &live, err);
    if (st != DG_OK)
        return st;
    if (!live)
        return dg_error_set(err, DG_ERR_STATE, "%s: the record was destroyed", job->refcode);
    char now[32];
    dg_now_iso(now);
    /* A hold's reasons speak of the record: sealed under its key, shredded with it. */
    char *reason = NULL;
    st = dg_record_seal_text(archive, record_id, job->reason, &reason, err);
    if (st != DG_OK)
        return st;
    sqlite3_stmt *stmt;
    st = dg_catalog_prepare(
        archive->db,
        job->place ? "INSERT INTO holds(record_id, reason, placed_by, placed_at)"
                     " SELECT ?1, ?2, ?3, ?4 WHERE NOT EXISTS (SELECT 1 FROM holds"
                     " WHERE record_id = ?1 AND released_at IS NULL)"
                   : "UPDATE holds SET release_reason = ?2, released_by = ?3, released_at = ?4"
                     " WHERE record_id = ?1 AND released_at IS NULL",
        &stmt, err);
    if (st != DG_OK) {
        free(reason);
        return st;
    }
    sqlite3_bind_int64(stmt, 1, record_id);
    sqlite3_bind_text(stmt, 2, reason, -1, SQLITE_TRANSIENT);
    free(reason);
    sqlite3_bind_int64(stmt, 3, job->actor->user_id);
    sqlite3_bind_text(stmt, 4, now, -1, SQLITE_STATIC);
    st = dg_catalog_step_done(archive->db, stmt, err);
    if (st == DG_OK && sqlite3_changes(archive->db) == 0)
        return job->place
                   ? dg_error_set(err, DG_ERR_EXISTS, "%s is already on hold", job->refcode)
                   : dg_error_set(err, DG_ERR_NOT_FOUND, "%s is not on hold", job->refcode);
    if (st == DG_OK)
        st = log_in_txn(archive, job->actor, job->place ? "hold.add" : "hold.release",
                        job->refcode, job->reason, err);
    return st;
}

/*
 * A hold, like every command on a reference code, is for records the actor may see: one
 * above their clearance is "no such record", exactly as a missing one (same message, same
 * status, nothing changed), so placing or releasing holds cannot probe what exists.
 */
static dg_status hold(dg_archive *archive, hold_job *job, dg_error *err)
{
    dg_record_row row;
    dg_status st = dg_find_visible(archive, job->actor, job->refcode,
                                   job->place ? "hold.add" : "hold.release", &row, err);
    return st == DG_OK ? in_write_txn(archive, hold_body, job, err) : st;
}

dg_status dg_hold_place(dg_archive *archive, const dg_actor *actor, const char *refcode,
                        const char *reason, dg_error *err)
{
    hold_job job = {.actor = actor, .refcode = refcode, .reason = reason, .place = 1};
    dg_text_field fields[] = {{"refcode", refcode}, {"reason", reason}};
    dg_status st = dg_text_guard_all(fields, sizeof fields / sizeof fields[0], err);
    return st == DG_OK ? hold(archive, &job, err) : st;
}

dg_status dg_hold_release(dg_archive *archive, const dg_actor *actor, const char *refcode,
                          const char *reason, dg_error *err)
{
    hold_job job = {.actor = actor, .refcode = refcode,
                    .reason = reason ? reason : "released", .place = 0};
    dg_text_field fields[] = {{"refcode", refcode}, {"reason", reason}};
    dg_status st = dg_text_guard_all(fields, sizeof fields / sizeof fields[0], err);
    return st == DG_OK ? hold(archive, &job, err) : st;
}

static void hold_from_row(sqlite3_stmt *stmt, void *item, void *ctx)
{
    (void)ctx;
    dg_hold_info *h = item;
    h->refcode = dg_column_strdup(stmt, 0);
    h->title = dg_column_strdup(stmt, 1);
    h->level = sqlite3_column_int(stmt, 2);
    h->reason = dg_column_strdup(stmt, 3);
    h->placed_by = dg_column_strdup(stmt, 4);
    h->placed_at = dg_column_strdup(stmt, 5);
}

dg_status dg_hold_list(dg_archive *archive, const char *refcode, dg_hold_info **out,
                       size_t *count, dg_error *err)
{
    *out = NULL;
    *count = 0;
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(
        archive->db,
        "SELECT r.refcode, dg_clear(v.title), r.level, dg_clear(h.reason), u.login, h.placed_at"
        " FROM holds h"
        " JOIN records r ON r.id = h.record_id AND r.state = 'live'"
        " JOIN versions v ON v.record_id = r.id AND v.number = r.current_version"
        " LEFT JOIN users u ON u.id = h.placed_by"
        " WHERE h.released_at IS NULL AND (?1 IS NULL OR " DG_RECORD_NAMED("r.id", "?1") ")"
        " ORDER BY r.refcode",
        &stmt, err);
    if (st != DG_OK)
        return st;
    dg_bind_text_or_null(stmt, 1, refcode);
    st = dg_catalog_collect(archive->db, stmt, (void **)out, count, sizeof **out, hold_from_row,
                            NULL, "read holds", err);
    if (st != DG_OK) {
        dg_hold_infos_free(*out, *count);
        *out = NULL;
        *count = 0;
    }
    return st;
}

void dg_hold_infos_free(dg_hold_info *holds, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        free(holds[i].refcode);
        free(holds[i].title);
        free(holds[i].reason);
        free(holds[i].placed_by);
        free(holds[i].placed_at);
    }
    free(holds);
}

/* ---- reviews: queueing -------------------------------------------------------------- */

typedef struct review_job {
    const dg_actor *actor;
    int year;
    const dg_due_rule *rules;
    size_t n_rules;
    uint64_t queued;
    char state[16];
} review_job;

static dg_status ensure_review(dg_archive *archive, review_job *job, int64_t *id,
                               dg_error *err)
{
    char now[32];
    dg_now_iso(now);
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(
        archive->db,
        "INSERT OR IGNORE INTO reviews(year, created_at, created_by) VALUES(?, ?, ?)", &stmt,
        err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_int(stmt, 1, job->year);
    sqlite3_bind_text(stmt, 2, now, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 3, job->actor->user_id);
    st = dg_catalog_step_done(archive->db, stmt, err);
    if (st == DG_OK)
        st = dg_catalog_prepare(archive->db, "SELECT id, state FROM reviews WHERE year = ?",
                                &stmt, err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_int(stmt, 1, job->year);
    st = dg_catalog_step_row(archive->db, stmt, "read review", err, NULL);
    if (st == DG_OK) {
        *id = sqlite3_column_int64(stmt, 0);
        snprintf(job->state, sizeof job->state, "%s", (const char *)sqlite3_column_text(stmt, 1));
    }
    sqlite3_finalize(stmt);
    return st;
}

/*
 * One statement queues what every rule makes due. versions_by_term (migration 19: period,
 * record_id, number, year) hands each period's versions over in record order, from the
 * index alone, the expired ones picked by the year in it; so the records table, the holds,
 * overrides and open items looked up for each, and both B-trees of review_items (also
 * migration 19) are walked front to back, where the (period, year) order of migration 16
 * sent every look-up and insert to a scattered place. At a million records (376,689
 * queued) the review's CPU fell from ~2.9 s to ~0.7 s (with the foreign-key checks off).
 */
enum { DUE_RULES_MAX = 8 }; /* the review has two (D10, D30); room for more periods */

static dg_status queue_due(dg_archive *archive, int64_t review_id, const review_job *job,
                           uint64_t *queued, dg_error *err)
{
    if (job->n_rules == 0)
        return DG_OK;
    if (job->n_rules > DUE_RULES_MAX)
        return dg_error_set(err, DG_ERR_USAGE, "%zu retention rules: at most %d", job->n_rules,
                            (int)DUE_RULES_MAX);
    char rules[DUE_RULES_MAX * 24] = "", sql[2048];
    for (size_t i = 0, len = 0; i < job->n_rules; i++)
        len += (size_t)snprintf(rules + len, sizeof rules - len, "%s(?%zu, ?%zu, ?%zu)",
                                i ? ", " : "", 3 + 3 * i, 4 + 3 * i, 5 + 3 * i);
    int n = snprintf(
        sql, sizeof sql,
        "WITH rule(period, last_year, due_offset) AS (VALUES %s)"
        " INSERT OR IGNORE INTO review_items(review_id, record_id, due_year)"
        " SELECT ?1, v.record_id, v.year + rule.due_offset FROM rule"
        " JOIN versions v ON v.period = rule.period"
        /* Year 0 is a provisional record (refcode.h): never due until its year is known. */
        " AND v.year BETWEEN 1 AND rule.last_year"
        " JOIN records r ON r.id = v.record_id AND r.current_version = v.number"
        " WHERE r.state = 'live'"
        " AND NOT EXISTS (SELECT 1 FROM holds h WHERE h.record_id = r.id"
        "   AND h.released_at IS NULL)"
        " AND NOT EXISTS (SELECT 1 FROM retention_overrides o WHERE o.record_id = r.id"
        "   AND (o.due_year IS NULL OR o.due_year > ?2))"
        " AND NOT EXISTS (SELECT 1 FROM review_items i WHERE i.record_id = r.id"
        "   AND i.state NOT IN ('retained', 'destroyed'))",
        rules);
    if (n < 0 || (size_t)n >= sizeof sql)
        return dg_error_set(err, DG_ERR_INTERNAL, "review statement too long");
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(archive->db, sql, &stmt, err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_int64(stmt, 1, review_id);
    sqlite3_bind_int(stmt, 2, job->year);
    for (size_t i = 0; i < job->n_rules; i++) {
        sqlite3_bind_text(stmt, (int)(3 + 3 * i), job->rules[i].period, -1, SQLITE_STATIC);
        sqlite3_bind_int(stmt, (int)(4 + 3 * i), job->rules[i].last_year);
        sqlite3_bind_int(stmt, (int)(5 + 3 * i), job->rules[i].due_offset);
    }
    st = dg_catalog_step_done(archive->db, stmt, err);
    if (st == DG_OK)
        *queued = (uint64_t)sqlite3_changes(archive->db);
    return st;
}

/* The review's one transaction: its row, the due records queued (only while it is open),
 * and its log entry, committed together or not at all. */
static dg_status review_body(dg_archive *archive, void *ctx, dg_error *err)
{
    review_job *job = ctx;
    int64_t review_id = 0;
    dg_status st = ensure_review(archive, job, &review_id, err);
    if (st != DG_OK)
        return st;
    if (strcmp(job->state, "open") == 0)
        st = queue_due(archive, review_id, job, &job->queued, err);
    if (st != DG_OK)
        return st;
    char detail[128];
    snprintf(detail, sizeof detail, "review %d (%s): %llu records queued", job->year,
             job->state, (unsigned long long)job->queued);
    return log_in_txn(archive, job->actor, "retention.review", NULL, detail, err);
}

dg_status dg_review_open(dg_archive *archive, const dg_actor *actor, int year,
                         const dg_due_rule *rules, size_t n_rules, uint64_t *queued,
                         char state[16], dg_error *err)
{
    review_job job = {.actor = actor, .year = year, .rules = rules, .n_rules = n_rules};
    /*
     * Every row this transaction writes names parents it has just read: the review's row,
     * and for each item a record from the join on records. SQLite's foreign-key check would
     * look each record up again, a quarter of the review's time at a million records, so
     * the checks are off for this one transaction (the pragma is a no-op inside one) and on
     * again whatever happens.
     */
    dg_status st = dg_catalog_exec(archive->db, "PRAGMA foreign_keys = OFF", err);
    if (st == DG_OK)
        st = in_write_txn(archive, review_body, &job, err);
    dg_error on_err;
    dg_status on = dg_catalog_exec(archive->db, "PRAGMA foreign_keys = ON", &on_err);
    if (st == DG_OK && on != DG_OK)
        *err = on_err;
    if (st == DG_OK)
        st = on;
    *queued = st == DG_OK ? job.queued : 0;
    snprintf(state, 16, "%s", job.state);
    return st;
}

/* ---- reviews: reading --------------------------------------------------------------- */

void dg_review_info_free(dg_review_info *info)
{
    if (!info)
        return;
    free(info->state);
    free(info->created_at);
    free(info->created_by);
    free(info->approved_by);
    free(info->approved_at);
    for (size_t i = 0; i < 2; i++)
        free(info->witnesses[i]);
    for (size_t i = 0; i < info->n_appraisers; i++)
        free(info->appraisers[i]);
    free(info->appraisers);
    free(info);
}

static dg_status read_review_row(sqlite3 *db, int year, dg_review_info *info, dg_error *err)
{
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(
        db,
        "SELECT r.id, r.state, r.created_at, c.login, a.login, r.approved_at FROM reviews r"
        " JOIN users c ON c.id = r.created_by LEFT JOIN users a ON a.id = r.approved_by"
        " WHERE r.year = ?",
        &stmt, err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_int(stmt, 1, year);
    st = dg_catalog_step_row(db, stmt, "read review", err,
                             "there is no review of %d (run 'dangan retention review --year %d')",
                             year, year);
    if (st == DG_OK) {
        info->id = sqlite3_column_int64(stmt, 0);
        info->year = year;
        info->state = dg_column_strdup(stmt, 1);
        info->created_at = dg_column_strdup(stmt, 2);
        info->created_by = dg_column_strdup(stmt, 3);
        info->approved_by = dg_column_strdup(stmt, 4);
        info->approved_at = dg_column_strdup(stmt, 5);
    }
    sqlite3_finalize(stmt);
    return st;
}

/* The witnesses and appraisers of a review, one a row; cap is the appraisers' capacity. */
typedef struct review_people {
    dg_review_info *info;
    size_t cap;
} review_people;

static dg_status add_review_person(sqlite3_stmt *stmt, void *ctx, dg_error *err)
{
    review_people *people = ctx;
    dg_review_info *info = people->info;
    const char *kind = (const char *)sqlite3_column_text(stmt, 0);
    if (kind[0] == 'w' && info->n_witnesses < 2) {
        info->witnesses[info->n_witnesses++] = dg_column_strdup(stmt, 1);
    } else if (kind[0] == 'a') {
        char **slot = dg_grow((void **)&info->appraisers, &info->n_appraisers, &people->cap,
                              sizeof *slot);
        if (!slot)
            return dg_error_set(err, DG_ERR_NOMEM, "review: appraisers: out of memory");
        *slot = dg_column_strdup(stmt, 1);
    }
    return DG_OK;
}

static dg_status read_review_people(sqlite3 *db, dg_review_info *info, dg_error *err)
{
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(
        db,
        "SELECT 'w', u.login FROM review_signatures s JOIN users u ON u.id = s.user_id"
        " WHERE s.review_id = ?1"
        " UNION ALL SELECT 'a', login FROM users WHERE id IN (SELECT appraised_by FROM"
        " review_items WHERE review_id = ?1 AND appraised_by IS NOT NULL)",
        &stmt, err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_int64(stmt, 1, info->id);
    review_people people = {.info = info, .cap = info->n_appraisers};
    return dg_catalog_each_row(db, stmt, add_review_person, &people, "read review people", err);
}

/* Adds one GROUP BY state row of the review's items to the counts in ctx (the review). */
static dg_status add_item_count(sqlite3_stmt *stmt, void *ctx, dg_error *err)
{
    (void)err;
    dg_review_info *info = ctx;
    const char *state = (const char *)sqlite3_column_text(stmt, 0);
    uint64_t n = (uint64_t)sqlite3_column_int64(stmt, 1);
    info->items += n;
    info->held += (uint64_t)sqlite3_column_int64(stmt, 2);
    uint64_t *slot = !strcmp(state, "queued")       ? &info->queued
                     : !strcmp(state, "appraised")  ? &info->appraised
                     : !strcmp(state, "approved")   ? &info->approved
                     : !strcmp(state, "retained")   ? &info->retained
                     : !strcmp(state, "witnessed")  ? &info->witnessed
                     : !strcmp(state, "destroying") ? &info->destroying
                                                    : &info->destroyed;
    *slot += n;
    return DG_OK;
}

static dg_status count_review_items(sqlite3 *db, dg_review_info *info, dg_error *err)
{
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(
        db,
        "SELECT i.state, count(*), sum(EXISTS (SELECT 1 FROM holds h WHERE h.record_id ="
        " i.record_id AND h.released_at IS NULL)) FROM review_items i WHERE i.review_id = ?"
        " GROUP BY i.state",
        &stmt, err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_int64(stmt, 1, info->id);
    return dg_catalog_each_row(db, stmt, add_item_count, info, "count review items", err);
}

dg_status dg_review_get(dg_archive *archive, int year, dg_review_info **out, dg_error *err)
{
    *out = NULL;
    dg_review_info *info = calloc(1, sizeof *info);
    if (!info)
        return dg_error_set(err, DG_ERR_NOMEM, "review %d: out of memory", year);
    dg_status st = dg_catalog_begin_read(archive->db, err);
    if (st != DG_OK) {
        free(info);
        return st;
    }
    st = read_review_row(archive->db, year, info, err);
    if (st == DG_OK)
        st = read_review_people(archive->db, info, err);
    if (st == DG_OK)
        st = count_review_items(archive->db, info, err);
    dg_catalog_rollback(archive->db);
    if (st != DG_OK) {
        dg_review_info_free(info);
        return st;
    }
    *out = info;
    return DG_OK;
}

void dg_review_items_free(dg_review_item *items, size_t count)
{
    for (size_t i = 0; items && i < count; i++) {
        dg_review_item *it = &items[i];
        free(it->refcode);
        free(it->title);
        free(it->category);
        free(it->record_type);
        free(it->period);
        free(it->state);
        free(it->decision);
        free(it->reason);
        free(it->appraiser);
        free(it->appraised_at);
    }
    free(items);
}

static void item_from_row(sqlite3_stmt *stmt, void *item, void *ctx)
{
    (void)ctx;
    dg_review_item *it = item;
    it->refcode = text_or_empty(stmt, 0);
    it->title = dg_column_strdup(stmt, 1);
    it->category = dg_column_strdup(stmt, 2);
    it->record_type = dg_column_strdup(stmt, 3);
    it->period = dg_column_strdup(stmt, 4);
    it->year = sqlite3_column_int(stmt, 5);
    it->level = sqlite3_column_int(stmt, 6);
    it->pages = sqlite3_column_int(stmt, 7);
    it->due_year = sqlite3_column_int(stmt, 8);
    it->on_hold = sqlite3_column_int(stmt, 9);
    it->state = text_or_empty(stmt, 10);
    it->decision = dg_column_strdup(stmt, 11);
    it->reason = dg_column_strdup(stmt, 12);
    it->appraiser = dg_column_strdup(stmt, 13);
    it->appraised_at = dg_column_strdup(stmt, 14);
    it->extend_years = sqlite3_column_int(stmt, 15);
}

/* A destroyed record has no version rows left: its metadata comes from the register. */
#define ITEM_SELECT_DESTROYED                                                                \
    "SELECT r.refcode, coalesce(dg_clear(v.title), dg_clear(g.title)), coalesce(v.category, g.category),"      \
    " coalesce(v.record_type, g.record_type), coalesce(v.period, g.period),"               \
    " coalesce(v.year, g.year), r.level, coalesce(v.page_count, g.page_count), i.due_year,"  \
    " EXISTS (SELECT 1 FROM holds h WHERE h.record_id = r.id AND h.released_at IS NULL),"   \
    " i.state, i.decision, dg_clear(i.reason), u.login, i.appraised_at,"                    \
    " coalesce(i.extend_years, 0)"                                                           \
    " FROM review_items i JOIN records r ON r.id = i.record_id"                             \
    " LEFT JOIN destruction_register g ON g.refcode = r.refcode"                             \
    " LEFT JOIN versions v ON v.record_id = r.id AND v.number = r.current_version"          \
    " LEFT JOIN users u ON u.id = i.appraised_by WHERE i.review_id = ?1"

static dg_status collect_items(sqlite3 *db, sqlite3_stmt *stmt, dg_review_item **items,
                               size_t *count, dg_error *err)
{
    return dg_catalog_collect(db, stmt, (void **)items, count, sizeof **items, item_from_row,
                              NULL, "read review items", err);
}

dg_status dg_review_items(dg_archive *archive, int64_t review_id, dg_review_item **items,
                          size_t *count, dg_error *err)
{
    *items = NULL;
    *count = 0;
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(archive->db, ITEM_SELECT_DESTROYED " ORDER BY r.refcode",
                                      &stmt, err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_int64(stmt, 1, review_id);
    st = collect_items(archive->db, stmt, items, count, err);
    if (st != DG_OK) {
        dg_review_items_free(*items, *count);
        *items = NULL;
        *count = 0;
    }
    return st;
}

dg_status dg_review_item_get(dg_archive *archive, int64_t review_id, const char *refcode,
                             dg_review_item **out, dg_error *err)
{
    *out = NULL;
    size_t count = 0;
    sqlite3_stmt *stmt;
    dg_status st =
        dg_catalog_prepare(archive->db, ITEM_SELECT_DESTROYED " AND (r.refcode = ?2 OR r.id ="
                           " (SELECT record_id FROM refcode_aliases WHERE alias = ?2))",
                           &stmt, err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_int64(stmt, 1, review_id);
    sqlite3_bind_text(stmt, 2, refcode, -1, SQLITE_STATIC);
    st = collect_items(archive->db, stmt, out, &count, err);
    if (st == DG_OK && count == 0)
        st = dg_error_set(err, DG_ERR_NOT_FOUND, "%s is not in this review", refcode);
    if (st != DG_OK) {
        dg_review_items_free(*out, count);
        *out = NULL;
    }
    return st;
}

/* ---- appraisal, approval, signatures ------------------------------------------------ */

typedef struct appraise_job {
    const dg_actor *actor;
    int64_t review_id;
    const char *refcode, *decision, *reason;
    int extend_years;
} appraise_job;

static dg_status appraise_body(dg_archive *archive, void *ctx, dg_error *err)
{
    appraise_job *job = ctx;
    char now[32];
    dg_now_iso(now);
    /* The appraisal's reason outlives the record in the review and the destruction
     * register: sealed under the journal key (archive_keys.h), not the record's. */
    char *reason = NULL;
    dg_status st = dg_journal_seal(archive, job->reason, &reason, err);
    if (st != DG_OK)
        return st;
    sqlite3_stmt *stmt;
    st = dg_catalog_prepare(
        archive->db,
        "UPDATE review_items SET state = 'appraised', decision = ?3, extend_years = ?4,"
        " reason = ?5, appraised_by = ?6, appraised_at = ?7"
        " WHERE review_id = ?1 AND state IN ('queued', 'appraised')"
        " AND record_id = (SELECT id FROM records WHERE refcode = ?2"
        "   UNION SELECT record_id FROM refcode_aliases WHERE alias = ?2)"
        " AND (SELECT state FROM reviews WHERE id = ?1) = 'open'",
        &stmt, err);
    if (st != DG_OK) {
        free(reason);
        return st;
    }
    sqlite3_bind_int64(stmt, 1, job->review_id);
    sqlite3_bind_text(stmt, 2, job->refcode, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 3, job->decision, -1, SQLITE_STATIC);
    if (!strcmp(job->decision, "extend"))
        sqlite3_bind_int(stmt, 4, job->extend_years);
    sqlite3_bind_text(stmt, 5, reason, -1, SQLITE_TRANSIENT);
    free(reason);
    sqlite3_bind_int64(stmt, 6, job->actor->user_id);
    sqlite3_bind_text(stmt, 7, now, -1, SQLITE_STATIC);
    st = dg_catalog_step_done(archive->db, stmt, err);
    if (st == DG_OK && sqlite3_changes(archive->db) != 1)
        return dg_error_set(err, DG_ERR_STATE,
                            "%s: not appraisable (not queued in an open review)", job->refcode);
    char detail[512];
    if (!strcmp(job->decision, "extend"))
        snprintf(detail, sizeof detail, "extend %d years; reason: %s", job->extend_years,
                 job->reason);
    else
        snprintf(detail, sizeof detail, "%s; reason: %s", job->decision, job->reason);
    return st == DG_OK ? log_in_txn(archive, job->actor, "retention.appraise", job->refcode,
                                    detail, err)
                       : st;
}

dg_status dg_review_appraise(dg_archive *archive, const dg_actor *actor, int64_t review_id,
                             const char *refcode, const char *decision, int extend_years,
                             const char *reason, dg_error *err)
{
    appraise_job job = {.actor = actor, .review_id = review_id, .refcode = refcode,
                        .decision = decision, .reason = reason, .extend_years = extend_years};
    dg_text_field fields[] = {{"refcode", refcode}, {"decision", decision}, {"reason", reason}};
    dg_status st = dg_text_guard_all(fields, sizeof fields / sizeof fields[0], err);
    return st == DG_OK ? in_write_txn(archive, appraise_body, &job, err) : st;
}

typedef struct review_step {
    const dg_actor *actor;
    int64_t review_id;
    int signatures;
} review_step;

static dg_status approve_body(dg_archive *archive, void *ctx, dg_error *err)
{
    review_step *job = ctx;
    sqlite3 *db = archive->db;
    int changes = 0;
    char now[32];
    dg_now_iso(now);
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(
        db,
        "UPDATE reviews SET state = 'approved', approved_by = ?2, approved_at = ?3"
        " WHERE id = ?1 AND state = 'open' AND NOT EXISTS (SELECT 1 FROM review_items"
        " WHERE review_id = ?1 AND state = 'queued')",
        &stmt, err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_int64(stmt, 1, job->review_id);
    sqlite3_bind_int64(stmt, 2, job->actor->user_id);
    sqlite3_bind_text(stmt, 3, now, -1, SQLITE_STATIC);
    st = dg_catalog_step_done(db, stmt, err);
    if (st == DG_OK && sqlite3_changes(db) != 1)
        return dg_error_set(err, DG_ERR_STATE,
                            "the review is not open, or has items not yet appraised");
    /* Extensions count from the review year; permanent keeping has no due year. */
    if (st == DG_OK)
        st = exec_ids(db,
                      "INSERT OR REPLACE INTO retention_overrides(record_id, due_year, review_id)"
                      " SELECT i.record_id, CASE i.decision WHEN 'extend' THEN"
                      " (SELECT year FROM reviews WHERE id = ?1) + i.extend_years END, ?1"
                      " FROM review_items i WHERE i.review_id = ?1 AND i.state = 'appraised'"
                      " AND i.decision IN ('extend', 'permanent')",
                      job->review_id, 0, NULL, err);
    if (st == DG_OK)
        st = exec_ids(db,
                      "UPDATE review_items SET state = CASE decision WHEN 'destroy' THEN"
                      " 'approved' ELSE 'retained' END WHERE review_id = ?1"
                      " AND state = 'appraised'",
                      job->review_id, 0, &changes, err);
    if (st != DG_OK)
        return st;
    char detail[96];
    snprintf(detail, sizeof detail, "review id %lld: %d items approved",
             (long long)job->review_id, changes);
    return log_in_txn(archive, job->actor, "retention.approve", NULL, detail, err);
}

dg_status dg_review_approve(dg_archive *archive, const dg_actor *actor, int64_t review_id,
                            dg_error *err)
{
    review_step job = {.actor = actor, .review_id = review_id};
    return in_write_txn(archive, approve_body, &job, err);
}

static dg_status sign_body(dg_archive *archive, void *ctx, dg_error *err)
{
    review_step *job = ctx;
    sqlite3 *db = archive->db;
    int64_t signed_before = 0, approved = 0;
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(db,
                            "SELECT count(*) FROM review_signatures WHERE review_id = ?"
                            " AND user_id = ?",
                            &stmt, err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_int64(stmt, 1, job->review_id);
    sqlite3_bind_int64(stmt, 2, job->actor->user_id);
    st = dg_catalog_row_int64(db, stmt, &signed_before, "read signatures", err, NULL);
    if (st != DG_OK)
        return st;
    if (signed_before)
        return dg_error_set(err, DG_ERR_EXISTS, "%s has already signed this destruction",
                            job->actor->login);
    st = query_int(db, "SELECT state = 'approved' FROM reviews WHERE id = ?", job->review_id,
                   &approved, err);
    if (st == DG_OK && !approved)
        return dg_error_set(err, DG_ERR_STATE, "the review is not awaiting witnesses");
    char now[32];
    dg_now_iso(now);
    if (st == DG_OK)
        st = dg_catalog_prepare(db,
                                "INSERT INTO review_signatures(review_id, user_id, signed_at)"
                                " VALUES(?, ?, ?)",
                                &stmt, err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_int64(stmt, 1, job->review_id);
    sqlite3_bind_int64(stmt, 2, job->actor->user_id);
    sqlite3_bind_text(stmt, 3, now, -1, SQLITE_STATIC);
    st = dg_catalog_step_done(db, stmt, err);
    int64_t count = 0;
    if (st == DG_OK)
        st = query_int(db, "SELECT count(*) FROM review_signatures WHERE review_id = ?",
                       job->review_id, &count, err);
    if (st == DG_OK && count >= 2) {
        st = exec_ids(db,
                      "UPDATE review_items SET state = 'witnessed' WHERE review_id = ?1"
                      " AND state = 'approved'",
                      job->review_id, 0, NULL, err);
        if (st == DG_OK)
            st = exec_ids(db, "UPDATE reviews SET state = 'witnessed' WHERE id = ?1",
                          job->review_id, 0, NULL, err);
    }
    job->signatures = (int)count;
    char detail[96];
    snprintf(detail, sizeof detail, "review id %lld: signature %lld of 2",
             (long long)job->review_id, (long long)count);
    return st == DG_OK ? log_in_txn(archive, job->actor, "retention.witness", NULL, detail, err)
                       : st;
}

dg_status dg_review_sign(dg_archive *archive, const dg_actor *actor, int64_t review_id,
                         int *signatures, dg_error *err)
{
    review_step job = {.actor = actor, .review_id = review_id};
    dg_status st = in_write_txn(archive, sign_body, &job, err);
    *signatures = job.signatures;
    return st;
}

/* ---- the due forecast --------------------------------------------------------------- */

void dg_due_records_free(dg_due_record *records, size_t count)
{
    for (size_t i = 0; records && i < count; i++) {
        free(records[i].refcode);
        free(records[i].title);
        free(records[i].category);
        free(records[i].period);
    }
    free(records);
}

/* An approved extension only ever moves a record's due year later, so every record due by
 * until_year is also due by its rule: one scan per rule finds them all. */
#define DUE_FROM                                                                             \
    " FROM versions v JOIN records r ON r.id = v.record_id AND r.current_version = v.number" \
    " LEFT JOIN retention_overrides o ON o.record_id = r.id"                               \
    " WHERE v.period = ?1 AND v.year BETWEEN 1 AND ?2 AND r.state = 'live'"                \
    " AND (o.record_id IS NULL OR o.due_year <= ?3)"

static dg_status count_due(sqlite3 *db, const dg_due_rule *rule, int until_year,
                           uint64_t *total, dg_error *err)
{
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(db, "SELECT count(*)" DUE_FROM, &stmt, err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_text(stmt, 1, rule->period, -1, SQLITE_STATIC);
    sqlite3_bind_int(stmt, 2, rule->last_year);
    sqlite3_bind_int(stmt, 3, until_year);
    int64_t n = 0;
    st = dg_catalog_row_int64(db, stmt, &n, "count due records", err, NULL);
    *total += (uint64_t)n;
    return st;
}

static void due_from_row(sqlite3_stmt *stmt, void *item, void *ctx)
{
    (void)ctx;
    dg_due_record *d = item;
    d->refcode = text_or_empty(stmt, 0);
    d->title = text_or_empty(stmt, 1);
    d->category = text_or_empty(stmt, 2);
    d->period = text_or_empty(stmt, 3);
    d->year = sqlite3_column_int(stmt, 4);
    d->level = sqlite3_column_int(stmt, 5);
    d->due_year = sqlite3_column_int(stmt, 6);
    d->on_hold = sqlite3_column_int(stmt, 7);
    d->pending = sqlite3_column_int(stmt, 8);
}

static dg_status fetch_due(sqlite3 *db, const dg_due_rule *rule, int until_year, size_t limit,
                           dg_due_record **out, size_t *count, dg_error *err)
{
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(
        db,
        "SELECT r.refcode, dg_clear(v.title), v.category, v.period, v.year, r.level,"
        " coalesce(o.due_year, v.year + ?4) AS due,"
        " EXISTS (SELECT 1 FROM holds h WHERE h.record_id = r.id AND h.released_at IS NULL),"
        " EXISTS (SELECT 1 FROM review_items i WHERE i.record_id = r.id"
        "   AND i.state NOT IN ('retained', 'destroyed'))" DUE_FROM
        " ORDER BY due, r.refcode LIMIT ?5",
        &stmt, err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_text(stmt, 1, rule->period, -1, SQLITE_STATIC);
    sqlite3_bind_int(stmt, 2, rule->last_year);
    sqlite3_bind_int(stmt, 3, until_year);
    sqlite3_bind_int(stmt, 4, rule->due_offset);
    sqlite3_bind_int64(stmt, 5, limit ? (sqlite3_int64)limit : -1);
    return dg_catalog_collect(db, stmt, (void **)out, count, sizeof **out, due_from_row, NULL,
                              "read due records", err);
}

static int due_order(const void *a, const void *b)
{
    const dg_due_record *x = a, *y = b;
    if (x->due_year != y->due_year)
        return x->due_year < y->due_year ? -1 : 1;
    return strcmp(x->refcode, y->refcode);
}

dg_status dg_due_list(dg_archive *archive, const dg_due_rule *rules, size_t n_rules,
                      int until_year, size_t limit, dg_due_record **out, size_t *count,
                      uint64_t *total, dg_error *err)
{
    *out = NULL;
    *count = 0;
    *total = 0;
    dg_status st = dg_catalog_begin_read(archive->db, err);
    for (size_t i = 0; st == DG_OK && i < n_rules; i++) {
        st = count_due(archive->db, &rules[i], until_year, total, err);
        if (st == DG_OK)
            st = fetch_due(archive->db, &rules[i], until_year, limit, out, count, err);
    }
    dg_catalog_rollback(archive->db);
    if (st != DG_OK) {
        dg_due_records_free(*out, *count);
        *out = NULL;
        *count = 0;
        return st;
    }
    if (*count)
        qsort(*out, *count, sizeof **out, due_order);
    if (limit && *count > limit) {
        for (size_t i = limit; i < *count; i++) {
            free((*out)[i].refcode);
            free((*out)[i].title);
            free((*out)[i].category);
            free((*out)[i].period);
        }
        *count = limit;
    }
    return DG_OK;
}

dg_status dg_review_year_of(dg_archive *archive, const char *refcode, int *year, dg_error *err)
{
    *year = 0;
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(
        archive->db,
        "SELECT v.year FROM review_items i JOIN reviews v ON v.id = i.review_id"
        " JOIN records r ON r.id = i.record_id WHERE r.refcode = ?1"
        " OR r.id = (SELECT record_id FROM refcode_aliases WHERE alias = ?1)"
        " ORDER BY v.year DESC LIMIT 1",
        &stmt, err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_text(stmt, 1, refcode, -1, SQLITE_STATIC);
    int64_t review_year = 0;
    st = dg_catalog_row_int64(archive->db, stmt, &review_year, "find review", err,
                              "%s is not queued in any review", refcode);
    *year = (int)review_year;
    return st;
}
