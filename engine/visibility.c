/*
 * visibility.c — whether a record named by its reference code may be shown to an actor
 * (visibility.h).
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
