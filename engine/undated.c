/*
 * undated.c — listing the records that wait under a provisional code for their year.
 */
#include "undated.h"

#include <stdlib.h>
#include <string.h>

#include "archive_internal.h"
#include "catalog.h"
#include "log.h"
#include "record_internal.h"

static char *copy_text(sqlite3_stmt *stmt, int col)
{
    const unsigned char *t = sqlite3_column_text(stmt, col);
    return strdup(t ? (const char *)t : "");
}

static void undated_from_row(sqlite3_stmt *stmt, void *item, void *ctx)
{
    (void)ctx;
    dg_undated_record *u = item;
    u->refcode = copy_text(stmt, 0);
    u->title = copy_text(stmt, 1);
    u->category = copy_text(stmt, 2);
    u->source_file = copy_text(stmt, 3);
    u->created_at = copy_text(stmt, 4);
    u->level = sqlite3_column_int(stmt, 5);
}

static dg_status read_undated(dg_archive *archive, const dg_actor *actor,
                              dg_undated_record **out, size_t *count, dg_error *err)
{
    sqlite3_stmt *stmt;
    /* Year 0 in the records row is exactly a provisional code (record.c files it so). */
    dg_status st = dg_catalog_prepare(
        archive->db,
        "SELECT r.refcode, dg_clear(v.title), v.category, dg_clear(v.source_file), r.created_at, r.level"
        " FROM records r JOIN versions v ON v.record_id = r.id AND v.number = r.current_version"
        " WHERE r.year = 0 AND " VISIBLE_TO_ACTOR " ORDER BY r.id",
        &stmt, err);
    if (st != DG_OK)
        return st;
    dg_bind_actor(stmt, actor);
    return dg_catalog_collect(archive->db, stmt, (void **)out, count, sizeof **out,
                              undated_from_row, NULL, "list undated records", err);
}

dg_status dg_undated_list(dg_archive *archive, const dg_actor *actor, dg_undated_record **out,
                          size_t *count, dg_error *err)
{
    *out = NULL;
    *count = 0;
    dg_status st = read_undated(archive, actor, out, count, err);
    for (size_t i = 0; st == DG_OK && i < *count; i++)
        if (!(*out)[i].refcode || !(*out)[i].title || !(*out)[i].category ||
            !(*out)[i].source_file || !(*out)[i].created_at)
            st = dg_error_set(err, DG_ERR_NOMEM, "undated: out of memory");
    if (st == DG_OK) {
        dg_log_event ev = {.action = "undated", .hits = (long)*count, .outcome = "ok"};
        st = dg_log_append(archive, actor, NULL, &ev, err);
    }
    if (st != DG_OK) {
        dg_undated_free(*out, *count);
        *out = NULL;
        *count = 0;
    }
    return st;
}

void dg_undated_free(dg_undated_record *records, size_t count)
{
    for (size_t i = 0; records && i < count; i++) {
        free(records[i].refcode);
        free(records[i].title);
        free(records[i].category);
        free(records[i].source_file);
        free(records[i].created_at);
    }
    free(records);
}
