/*
 * log_own.c — reading one's own access-log entries (log_own.h).
 */
#include "log_own.h"

#include <stdio.h>

#include "archive_internal.h"
#include "catalog.h"
#include "log_internal.h"

static dg_status select_own(dg_archive *archive, const char *login, size_t limit,
                            dg_log_entry **entries, size_t *count, dg_error *err)
{
    sqlite3_stmt *stmt;
    /* The newest ?2 of the login, shown oldest first: those filed in log_logins (in bulk,
     * log.c) and those after the filing's mark, read from the log's tail itself, so the
     * answer is complete whenever the last filing was. */
    dg_status st = dg_catalog_prepare(
        archive->db,
        "SELECT * FROM (SELECT " DG_LOG_SHOWN_COLUMNS " FROM access_log WHERE id IN ("
        "   SELECT id FROM access_log WHERE id > " DG_LOG_FILED_UPTO " AND login = ?1"
        "   UNION ALL SELECT entry FROM (SELECT entry FROM log_logins WHERE login = ?1"
        "     AND entry <= " DG_LOG_FILED_UPTO " ORDER BY entry DESC LIMIT ?2))"
        " ORDER BY id DESC LIMIT ?2) ORDER BY id",
        &stmt, err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_text(stmt, 1, login, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(stmt, 2, (sqlite3_int64)limit);
    st = dg_catalog_collect(archive->db, stmt, (void **)entries, count, sizeof **entries,
                            dg_log_entry_from_row, NULL, "read own log", err);
    if (st != DG_OK) {
        dg_log_entries_free(*entries, *count);
        *entries = NULL;
        *count = 0;
    }
    return st;
}

dg_status dg_log_read_own(dg_archive *archive, const dg_actor *actor, size_t limit,
                          dg_log_entry **entries, size_t *count, dg_error *err)
{
    *entries = NULL;
    *count = 0;
    if (limit > DG_LOG_OWN_MAX)
        return dg_error_set(err, DG_ERR_USAGE, "--limit %zu: at most %d", limit, DG_LOG_OWN_MAX);
    /* One's own change whose entry a crash left pending is listed too (log.h). */
    dg_status st = dg_log_pending_flush(archive, err);
    if (st == DG_OK)
        st = select_own(archive, actor->login, limit ? limit : DG_LOG_OWN_DEFAULT, entries,
                        count, err);
    if (st != DG_OK)
        return st;
    char detail[64];
    snprintf(detail, sizeof detail, "%zu entries", *count);
    dg_log_event ev = {.action = "log.mine", .hits = (long)*count, .outcome = "ok",
                       .detail = detail, .read = 1};
    st = dg_log_append(archive, actor, NULL, &ev, err);
    if (st != DG_OK) {
        dg_log_entries_free(*entries, *count);
        *entries = NULL;
        *count = 0;
    }
    return st;
}
