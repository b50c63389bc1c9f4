/*
 * visibility.c — whether a record named by its reference code, or a file of an ingest batch,
 * may be shown to an actor (visibility.h).
 */
#include "visibility.h"

#include "../base/clock.h"

#include "catalog.h"
#include "refcode.h"

int dg_level_shown_to(const dg_actor *actor, int level)
{
    return level == 4 ? actor->clearance >= 4 : level <= actor->clearance;
}

dg_status dg_refcode_shown_to(sqlite3 *db, const dg_actor *actor, const char *refcode,
                              int *shown, dg_error *err)
{
    *shown = actor->clearance >= 4 || !refcode;
    if (*shown)
        return DG_OK;
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(
        db,
        /* a provisional code a record had (refcode_aliases) names it as well */
        "SELECT 1 FROM records r WHERE (r.refcode = :ref OR r.id IN"
        " (SELECT record_id FROM refcode_aliases WHERE alias = :ref)) AND " VISIBLE_TO_ACTOR,
        &stmt, err);
    if (st != DG_OK)
        return st;
    char typed[DG_REFCODE_MAX]; /* as people type it: X001-CW.2023-D30-0001 */
    dg_refcode_normalize(refcode, typed);
    sqlite3_bind_text(stmt, sqlite3_bind_parameter_index(stmt, ":ref"), typed, -1, SQLITE_STATIC);
    dg_bind_actor(stmt, actor);
    st = dg_catalog_step_maybe_row(db, stmt, shown, "look up record", err);
    sqlite3_finalize(stmt);
    return st;
}

/* The loan clock is compared here, not in loan.c: visibility is the record's rule, and a
 * loan only one of its terms (DG_LOAN_VISIBLE_SQL). */
void dg_bind_actor(sqlite3_stmt *stmt, const dg_actor *actor)
{
    char now[32];
    dg_clock_iso(dg_clock_now(), now);
    sqlite3_bind_int(stmt, sqlite3_bind_parameter_index(stmt, ":clearance"), actor->clearance);
    sqlite3_bind_int64(stmt, sqlite3_bind_parameter_index(stmt, ":uid"), actor->user_id);
    int at = sqlite3_bind_parameter_index(stmt, ":now");
    if (at)
        sqlite3_bind_text(stmt, at, now, -1, SQLITE_TRANSIENT);
}

/* A batch none of whose files became what the actor (:clearance, :uid) may not see, or one
 * they ran themselves; :batch. A filed file's record decides by VISIBLE_TO_ACTOR, any other
 * file by the level it was meant for. */
#define BATCH_SHOWN_SQL                                                                     \
    "SELECT b.user_id = :uid OR NOT EXISTS (SELECT 1 FROM batch_files f"                  \
    " WHERE f.batch_id = b.id AND (f.level > min(:clearance, 3) OR (f.refcode IS NOT NULL"  \
    " AND NOT EXISTS (SELECT 1 FROM records r WHERE (r.refcode = f.refcode OR r.id IN"      \
    " (SELECT record_id FROM refcode_aliases WHERE alias = f.refcode)) AND "               \
    VISIBLE_TO_ACTOR "))))"                                                                  \
    " FROM batches b WHERE b.id = :batch"

dg_status dg_batch_shown_to(sqlite3 *db, const dg_actor *actor, int64_t batch_id, int *shown,
                            dg_error *err)
{
    *shown = actor->clearance >= 4;
    if (*shown)
        return DG_OK;
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(db, BATCH_SHOWN_SQL, &stmt, err);
    if (st != DG_OK)
        return st;
    dg_bind_actor(stmt, actor);
    sqlite3_bind_int64(stmt, sqlite3_bind_parameter_index(stmt, ":batch"), batch_id);
    int found = 0;
    st = dg_catalog_step_maybe_row(db, stmt, &found, "look up batch", err);
    /* an unknown batch names nothing the reader could check: withheld */
    *shown = st == DG_OK && found && sqlite3_column_int(stmt, 0);
    sqlite3_finalize(stmt);
    return st;
}

dg_status dg_batch_file_shown_to(sqlite3 *db, const dg_actor *actor, dg_batch_memo *memo,
                                 int64_t batch_id, int level, int *shown, dg_error *err)
{
    *shown = actor->clearance >= 4;
    if (*shown)
        return DG_OK;
    if (batch_id <= 0) {
        *shown = dg_level_shown_to(actor, level);
        return DG_OK;
    }
    if (!memo->known || memo->batch_id != batch_id) {
        memo->known = 0;
        dg_status st = dg_batch_shown_to(db, actor, batch_id, &memo->shown, err);
        if (st == DG_OK)
            st = dg_batch_ran_by(db, actor, batch_id, &memo->ran, err);
        if (st != DG_OK)
            return st;
        memo->batch_id = batch_id;
        memo->known = 1;
    }
    *shown = memo->shown && (memo->ran || dg_level_shown_to(actor, level));
    return DG_OK;
}

dg_status dg_batch_ran_by(sqlite3 *db, const dg_actor *actor, int64_t batch_id, int *ran,
                          dg_error *err)
{
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(db, "SELECT 1 FROM batches WHERE id = ? AND user_id = ?",
                                      &stmt, err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_int64(stmt, 1, batch_id);
    sqlite3_bind_int64(stmt, 2, actor->user_id);
    st = dg_catalog_step_maybe_row(db, stmt, ran, "look up batch", err);
    sqlite3_finalize(stmt);
    return st;
}
