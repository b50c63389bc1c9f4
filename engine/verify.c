/*
 * verify.c — the archive's integrity check: store against catalog, hash by hash.
 */
#include "verify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive_internal.h"
#include "catalog.h"
#include "log.h"

const char *dg_problem_kind_name(dg_problem_kind kind)
{
    switch (kind) {
    case DG_PROBLEM_MISSING: return "missing";
    case DG_PROBLEM_CORRUPT: return "corrupt";
    case DG_PROBLEM_ORPHAN: return "orphan";
    }
    return "?";
}

void dg_verify_report_free(dg_verify_report *report)
{
    if (!report)
        return;
    for (size_t i = 0; i < report->n_problems; i++) {
        free(report->problems[i].object);
        free(report->problems[i].detail);
    }
    free(report->problems);
    free(report);
}

static dg_status add_problem(dg_verify_report *r, dg_problem_kind kind, const char *object,
                             const char *detail, dg_error *err)
{
    dg_problem *grown = realloc(r->problems, (r->n_problems + 1) * sizeof *grown);
    if (!grown)
        return dg_error_set(err, DG_ERR_NOMEM, "out of memory");
    r->problems = grown;
    dg_problem *p = &r->problems[r->n_problems++];
    p->kind = kind;
    p->object = strdup(object);
    p->detail = strdup(detail ? detail : "");
    return DG_OK;
}

/* What a walk over catalog rows needs to report problems. */
typedef struct check_walk {
    dg_archive *archive;
    dg_verify_report *report;
    uint64_t total;
} check_walk;

static dg_status check_object_row(sqlite3_stmt *stmt, void *ctx, dg_error *err)
{
    check_walk *w = ctx;
    const char *hex = (const char *)sqlite3_column_text(stmt, 0);
    dg_error why;
    dg_status found = dg_store_check(w->archive->store, hex, &why);
    dg_status st = DG_OK;
    if (found == DG_ERR_NOT_FOUND)
        st = add_problem(w->report, DG_PROBLEM_MISSING, hex,
                         "listed in the catalog, not in objects/", err);
    else if (found != DG_OK)
        st = add_problem(w->report, DG_PROBLEM_CORRUPT, hex, why.msg, err);
    if (++w->report->objects_checked % 64 == 0)
        dg_archive_progress(w->archive, "verify", w->report->objects_checked, w->total);
    return st;
}

/* Every object row: present and whole? */
static dg_status check_objects(dg_archive *archive, dg_verify_report *r, uint64_t total,
                               dg_error *err)
{
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(archive->db, "SELECT sha256 FROM objects ORDER BY sha256",
                                      &stmt, err);
    if (st != DG_OK)
        return st;
    check_walk w = {.archive = archive, .report = r, .total = total};
    return dg_catalog_each_row(archive->db, stmt, check_object_row, &w, "read objects", err);
}

static dg_status check_reference_row(sqlite3_stmt *stmt, void *ctx, dg_error *err)
{
    check_walk *w = ctx;
    char detail[160];
    snprintf(detail, sizeof detail, "used by %s version %d, unknown to the catalog",
             (const char *)sqlite3_column_text(stmt, 1), sqlite3_column_int(stmt, 2));
    const char *hex = (const char *)sqlite3_column_text(stmt, 0);
    if (dg_store_has(w->archive->store, hex))
        return DG_OK;
    return add_problem(w->report, DG_PROBLEM_MISSING, hex, detail, err);
}

/* Every object a live version refers to must have a row (the row's file was checked above). */
static dg_status check_references(dg_archive *archive, dg_verify_report *r, dg_error *err)
{
    static const char SQL[] =
        "SELECT x.sha, r.refcode, v.number FROM ("
        "  SELECT version_id AS vid, sha256 AS sha FROM pages"
        "  UNION ALL SELECT version_id, text_sha256 FROM pages WHERE text_sha256 IS NOT NULL"
        "  UNION ALL SELECT version_id, boxes_sha256 FROM pages WHERE boxes_sha256 IS NOT NULL"
        "  UNION ALL SELECT id, text_sha256 FROM versions WHERE text_sha256 IS NOT NULL) x"
        " JOIN versions v ON v.id = x.vid JOIN records r ON r.id = v.record_id"
        " WHERE NOT EXISTS (SELECT 1 FROM objects o WHERE o.sha256 = x.sha)";
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(archive->db, SQL, &stmt, err);
    if (st != DG_OK)
        return st;
    check_walk w = {.archive = archive, .report = r};
    st = dg_catalog_each_row(archive->db, stmt, check_reference_row, &w, "read references", err);
    if (st == DG_OK)
        st = dg_catalog_prepare(archive->db, "SELECT count(*) FROM versions", &stmt, err);
    int64_t versions = 0;
    if (st == DG_OK)
        st = dg_catalog_row_int64(archive->db, stmt, &versions, "count versions", err, NULL);
    if (st == DG_OK)
        r->versions_checked = (uint64_t)versions;
    return st;
}

typedef struct orphan_report {
    dg_verify_report *report;
    dg_error *err;
} orphan_report;

static dg_status report_orphan(const char *name, void *ctx)
{
    orphan_report *o = ctx;
    return add_problem(o->report, DG_PROBLEM_ORPHAN, name, "in objects/, unknown to the catalog",
                       o->err);
}

static dg_status check_orphans(dg_archive *archive, dg_verify_report *r, dg_error *err)
{
    orphan_report o = {.report = r, .err = err};
    return dg_archive_each_unknown_object(archive, report_orphan, &o, err);
}

static dg_status count_objects(dg_archive *archive, uint64_t *total, dg_error *err)
{
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(archive->db, "SELECT count(*) FROM objects", &stmt, err);
    if (st != DG_OK)
        return st;
    int64_t n = 0;
    st = dg_catalog_row_int64(archive->db, stmt, &n, "count objects", err, NULL);
    *total = (uint64_t)n;
    return st;
}

static dg_status run_checks(dg_archive *archive, dg_verify_report *r, dg_error *err)
{
    uint64_t total = 0;
    /* One read transaction: the checks see one consistent catalog even while others write. */
    dg_status st = dg_catalog_begin_read(archive->db, err);
    if (st != DG_OK)
        return st;
    st = count_objects(archive, &total, err);
    if (st == DG_OK)
        st = check_objects(archive, r, total, err);
    if (st == DG_OK)
        st = check_references(archive, r, err);
    if (st == DG_OK)
        st = check_orphans(archive, r, err);
    dg_catalog_rollback(archive->db);
    dg_archive_progress(archive, "verify", r->objects_checked, total);
    return st;
}

dg_status dg_verify(dg_archive *archive, const dg_actor *actor, dg_verify_report **out,
                    dg_error *err)
{
    *out = NULL;
    if (!dg_actor_has_role(actor, DG_ROLE_ARCHIVIST | DG_ROLE_AUDITOR | DG_ROLE_ADMIN)) {
        dg_log_event ev = {.action = "verify", .hits = -1, .outcome = "refused"};
        dg_error ignored;
        dg_log_append(archive, actor, NULL, &ev, &ignored);
        return dg_error_set(err, DG_ERR_DENIED,
                            "verify: only archivists, auditors and admins may verify the archive");
    }
    dg_verify_report *r = calloc(1, sizeof *r);
    if (!r)
        return dg_error_set(err, DG_ERR_NOMEM, "out of memory");
    dg_status st = run_checks(archive, r, err);
    if (st == DG_OK) {
        char detail[96];
        snprintf(detail, sizeof detail, "%llu objects, %zu problems",
                 (unsigned long long)r->objects_checked, r->n_problems);
        dg_log_event ev = {.action = "verify", .hits = -1,
                           .outcome = r->n_problems ? "problems" : "ok", .detail = detail};
        st = dg_log_append(archive, actor, NULL, &ev, err);
    }
    if (st != DG_OK) {
        dg_verify_report_free(r);
        return st;
    }
    *out = r;
    return DG_OK;
}
