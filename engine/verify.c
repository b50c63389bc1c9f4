/*
 * verify.c — the archive's integrity check: the catalog file, the store against the
 * catalog hash by hash, the index against the catalog version by version, the index
 * queue, the access log; and the repairs that lose nothing.
 */
#include "verify.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive_internal.h"
#include "catalog.h"
#include "indexer.h"
#include "lock.h"
#include "log.h"
#include "user.h"

const char *dg_problem_kind_name(dg_problem_kind kind)
{
    switch (kind) {
    case DG_PROBLEM_MISSING: return "missing";
    case DG_PROBLEM_CORRUPT: return "corrupt";
    case DG_PROBLEM_ORPHAN: return "orphan";
    case DG_PROBLEM_CATALOG: return "catalog";
    case DG_PROBLEM_UNINDEXED: return "unindexed";
    case DG_PROBLEM_EXTRA: return "extra";
    case DG_PROBLEM_DUPLICATE: return "duplicate";
    case DG_PROBLEM_QUEUED: return "queued";
    case DG_PROBLEM_REBUILD: return "rebuild_owed";
    case DG_PROBLEM_INDEX: return "index";
    case DG_PROBLEM_LOG: return "log";
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
    for (size_t i = 0; i < report->n_repairs; i++)
        free(report->repairs[i]);
    free(report->repairs);
    free(report);
}

static dg_status add_problem(dg_verify_report *r, dg_problem_kind kind, const char *object,
                             const char *detail, dg_error *err)
{
    dg_problem *grown = realloc(r->problems, (r->n_problems + 1) * sizeof *grown);
    if (!grown)
        return dg_error_set(err, DG_ERR_NOMEM, "verify: out of memory");
    r->problems = grown;
    dg_problem *p = &r->problems[r->n_problems++];
    p->kind = kind;
    p->object = strdup(object);
    p->detail = strdup(detail ? detail : "");
    if (!p->object || !p->detail)
        return dg_error_set(err, DG_ERR_NOMEM, "verify: out of memory");
    return DG_OK;
}

static dg_status add_repair(dg_verify_report *r, dg_error *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static dg_status add_repair(dg_verify_report *r, dg_error *err, const char *fmt, ...)
{
    char line[DG_ERROR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    char **grown = realloc(r->repairs, (r->n_repairs + 1) * sizeof *grown);
    if (!grown)
        return dg_error_set(err, DG_ERR_NOMEM, "verify: out of memory");
    r->repairs = grown;
    if (!(r->repairs[r->n_repairs] = strdup(line)))
        return dg_error_set(err, DG_ERR_NOMEM, "verify: out of memory");
    r->n_repairs++;
    return DG_OK;
}

/* What the checks found that a repair can act on (filled only when repairing). */
typedef struct repair_plan {
    int64_t *reindex; /* versions missing from the index, or in it more than once */
    size_t n_reindex, cap_reindex;
    int64_t *extra;   /* documents of versions the catalog does not hold live */
    size_t n_extra, cap_extra;
    int rebuild;      /* owed, unreadable index, or documents without a version id */
    int catalog_damaged;
    int orphans;
} repair_plan;

static dg_status plan_add(int64_t **ids, size_t *n, size_t *cap, int64_t id, dg_error *err)
{
    int64_t *slot = dg_grow((void **)ids, n, cap, sizeof **ids);
    if (!slot)
        return dg_error_set(err, DG_ERR_NOMEM, "verify: out of memory");
    *slot = id;
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
    if (found == DG_ERR_NOMEM) /* verify's own failure, not a finding about the object */
        return dg_error_set(err, DG_ERR_NOMEM, "verify: %s", why.msg);
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
    repair_plan *plan;
    dg_error *err;
} orphan_report;

static dg_status report_orphan(const char *name, void *ctx)
{
    orphan_report *o = ctx;
    o->plan->orphans++;
    return add_problem(o->report, DG_PROBLEM_ORPHAN, name, "in objects/, unknown to the catalog",
                       o->err);
}

static dg_status check_orphans(dg_archive *archive, dg_verify_report *r, repair_plan *plan,
                               dg_error *err)
{
    orphan_report o = {.report = r, .plan = plan, .err = err};
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

/* ---- the catalog file ------------------------------------------------------------------ */

static dg_status check_catalog(dg_archive *archive, dg_verify_report *r, int quick,
                               repair_plan *plan, dg_error *err)
{
    char *problems = NULL;
    dg_status st = dg_catalog_check(archive->db, quick, &problems, err);
    if (st == DG_OK && problems) {
        plan->catalog_damaged = 1;
        char detail[DG_ERROR_MAX];
        snprintf(detail, sizeof detail, "%s found damage: %.900s",
                 quick ? "quick_check" : "integrity_check", problems);
        st = add_problem(r, DG_PROBLEM_CATALOG, "catalog.db", detail, err);
    }
    free(problems);
    return st;
}

/* ---- the index against the catalog ----------------------------------------------------- */

/* One version of a live record, as the catalog holds it. */
typedef struct live_version {
    int64_t id;
    char *label; /* "REF version N" */
} live_version;

static void read_live_version(sqlite3_stmt *stmt, void *item, void *ctx)
{
    (void)ctx;
    live_version *v = item;
    v->id = sqlite3_column_int64(stmt, 0);
    const char *ref = (const char *)sqlite3_column_text(stmt, 1);
    size_t len = (ref ? strlen(ref) : 1) + 32;
    v->label = malloc(len);
    if (v->label)
        snprintf(v->label, len, "%s version %d", ref ? ref : "?", sqlite3_column_int(stmt, 2));
}

static void free_live_versions(live_version *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i].label);
    free(v);
}

static dg_status load_live_versions(dg_archive *archive, live_version **out, size_t *n,
                                    dg_error *err)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(archive->db,
                                      "SELECT v.id, r.refcode, v.number FROM versions v"
                                      " JOIN records r ON r.id = v.record_id"
                                      " WHERE r.state = 'live' ORDER BY v.id",
                                      &stmt, err);
    if (st == DG_OK)
        st = dg_catalog_collect(archive->db, stmt, (void **)out, n, sizeof **out,
                                read_live_version, NULL, "read versions", err);
    for (size_t i = 0; st == DG_OK && i < *n; i++)
        if (!(*out)[i].label)
            st = dg_error_set(err, DG_ERR_NOMEM, "verify: out of memory");
    return st;
}

static int is_queued(sqlite3 *db, int64_t version_id)
{
    sqlite3_stmt *stmt;
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM index_queue WHERE version_id = ?", -1, &stmt,
                           NULL) != SQLITE_OK)
        return 0;
    sqlite3_bind_int64(stmt, 1, version_id);
    int queued = sqlite3_step(stmt) == SQLITE_ROW;
    sqlite3_finalize(stmt);
    return queued;
}

/* Walks the catalog's live versions and the index's version ids side by side (both sorted). */
static dg_status compare_index(dg_archive *archive, dg_verify_report *r, const live_version *cat,
                               size_t n_cat, const dg_index_entry *idx, size_t n_idx,
                               repair_plan *plan, dg_error *err)
{
    dg_status st = DG_OK;
    size_t i = 0, j = 0;
    char what[64];
    while (st == DG_OK && (i < n_cat || j < n_idx)) {
        if (j == n_idx || (i < n_cat && cat[i].id < idx[j].version_id)) {
            /* A queued version is reported once, with its reason, by check_queue. */
            if (!is_queued(archive->db, cat[i].id)) {
                st = add_problem(r, DG_PROBLEM_UNINDEXED, cat[i].label,
                                 "not in the index: search cannot find it", err);
                if (st == DG_OK)
                    st = plan_add(&plan->reindex, &plan->n_reindex, &plan->cap_reindex,
                                  cat[i].id, err);
            }
            i++;
        } else if (i == n_cat || idx[j].version_id < cat[i].id) {
            snprintf(what, sizeof what, "index version %lld", (long long)idx[j].version_id);
            st = add_problem(r, DG_PROBLEM_EXTRA, what,
                             "an index document of a version the catalog does not hold (destroyed "
                             "or unknown): search may count it",
                             err);
            if (st == DG_OK)
                st = plan_add(&plan->extra, &plan->n_extra, &plan->cap_extra, idx[j].version_id,
                              err);
            j++;
        } else {
            if (idx[j].copies > 1) {
                char detail[96];
                snprintf(detail, sizeof detail, "%u index documents: search counts it %u times",
                         idx[j].copies, idx[j].copies);
                st = add_problem(r, DG_PROBLEM_DUPLICATE, cat[i].label, detail, err);
                if (st == DG_OK)
                    st = plan_add(&plan->reindex, &plan->n_reindex, &plan->cap_reindex,
                                  cat[i].id, err);
            }
            i++, j++;
        }
    }
    return st;
}

static dg_status check_index(dg_archive *archive, dg_verify_report *r, repair_plan *plan,
                             dg_error *err)
{
    dg_index *reader = NULL;
    dg_index_entry *idx = NULL;
    size_t n_idx = 0;
    dg_error why;
    dg_status got = dg_archive_index_reader(archive, &reader, &why);
    if (got == DG_OK)
        got = dg_index_list_versions(reader, &idx, &n_idx, &r->index_documents, &why);
    if (got != DG_OK) {
        plan->rebuild = 1;
        return add_problem(r, DG_PROBLEM_INDEX, "index", why.msg, err);
    }
    live_version *cat = NULL;
    size_t n_cat = 0;
    dg_status st = load_live_versions(archive, &cat, &n_cat, err);
    if (st == DG_OK)
        st = compare_index(archive, r, cat, n_cat, idx, n_idx, plan, err);
    uint64_t with_id = 0;
    for (size_t j = 0; j < n_idx; j++)
        with_id += idx[j].copies;
    if (st == DG_OK && with_id != r->index_documents) {
        char detail[128];
        snprintf(detail, sizeof detail, "%llu index documents carry no version id",
                 (unsigned long long)(r->index_documents - with_id));
        plan->rebuild = 1;
        st = add_problem(r, DG_PROBLEM_EXTRA, "index", detail, err);
    }
    free_live_versions(cat, n_cat);
    free(idx);
    return st;
}

static dg_status report_queued_row(sqlite3_stmt *stmt, void *ctx, dg_error *err)
{
    dg_verify_report *r = ctx;
    char what[160], detail[DG_ERROR_MAX];
    const char *ref = (const char *)sqlite3_column_text(stmt, 1);
    const char *reason = (const char *)sqlite3_column_text(stmt, 3);
    const char *at = (const char *)sqlite3_column_text(stmt, 4);
    if (ref)
        snprintf(what, sizeof what, "%s version %d", ref, sqlite3_column_int(stmt, 2));
    else
        snprintf(what, sizeof what, "version %lld", (long long)sqlite3_column_int64(stmt, 0));
    /* An earlier version cannot be corrected (versions are immutable): say what it costs. */
    int earlier = sqlite3_column_int(stmt, 5);
    if (reason)
        snprintf(detail, sizeof detail, "could not be indexed (%s): %s%s", at ? at : "?", reason,
                 earlier ? " (an earlier version: only --all-versions searches miss it)" : "");
    else
        snprintf(detail, sizeof detail, "waiting to be indexed");
    return add_problem(r, DG_PROBLEM_QUEUED, what, detail, err);
}

/* Every version in the index queue: search does not (yet) find it as it is. */
static dg_status check_queue(dg_archive *archive, dg_verify_report *r, dg_error *err)
{
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(
        archive->db,
        "SELECT q.version_id, r.refcode, v.number, q.reason, q.failed_at,"
        " coalesce(v.number < r.current_version, 0) FROM index_queue q"
        " LEFT JOIN versions v ON v.id = q.version_id LEFT JOIN records r ON r.id = v.record_id"
        " ORDER BY q.version_id",
        &stmt, err);
    if (st != DG_OK)
        return st;
    return dg_catalog_each_row(archive->db, stmt, report_queued_row, r, "read index queue", err);
}

static dg_status check_rebuild_owed(dg_archive *archive, dg_verify_report *r, repair_plan *plan,
                                    dg_error *err)
{
    char *owed = NULL, *failed = NULL;
    dg_status st = dg_setting_get(archive->db, DG_REBUILD_OWED, &owed, err);
    if (st == DG_ERR_NOT_FOUND)
        return DG_OK;
    if (st == DG_OK)
        st = dg_setting_get(archive->db, DG_REBUILD_FAILED, &failed, err);
    if (st == DG_OK || st == DG_ERR_NOT_FOUND) {
        char detail[DG_ERROR_MAX];
        if (!strcmp(owed, DG_REBUILD_RESTORED))
            snprintf(detail, sizeof detail,
                     "restored from a backup, the index is not built yet: run 'dangan "
                     "reindex' (searches refuse until then)");
        else
            snprintf(detail, sizeof detail,
                     "a rebuild of the index was started and did not finish%s%.900s; the "
                     "live index is the one before it",
                     failed ? ": " : " (killed)", failed ? failed : "");
        plan->rebuild = 1;
        st = add_problem(r, DG_PROBLEM_REBUILD, "index", detail, err);
    }
    free(owed);
    free(failed);
    return st;
}

/* ---- the whole check --------------------------------------------------------------------- */

static dg_status run_checks(dg_archive *archive, const dg_verify_options *opts,
                            dg_verify_report *r, repair_plan *plan, dg_error *err)
{
    uint64_t total = 0;
    dg_status st = check_catalog(archive, r, opts->quick, plan, err);
    if (st != DG_OK)
        return st;
    /* One read transaction: the checks see one consistent catalog even while others write. */
    st = dg_catalog_begin_read(archive->db, err);
    if (st != DG_OK)
        return st;
    st = count_objects(archive, &total, err);
    if (st == DG_OK)
        st = check_objects(archive, r, total, err);
    if (st == DG_OK)
        st = check_references(archive, r, err);
    if (st == DG_OK)
        st = check_orphans(archive, r, plan, err);
    /* A restored archive's index is not built yet: one problem says so (check_rebuild_owed),
     * rather than every version reported unindexed. */
    if (st == DG_OK && !dg_archive_awaits_reindex(archive))
        st = check_index(archive, r, plan, err);
    if (st == DG_OK)
        st = check_queue(archive, r, err);
    if (st == DG_OK)
        st = check_rebuild_owed(archive, r, plan, err);
    dg_catalog_rollback(archive->db);
    dg_archive_progress(archive, "verify", r->objects_checked, total);
    /* A damaged catalog can make the other checks fail to run: the damage is the finding. */
    if (st != DG_OK && plan->catalog_damaged)
        st = add_problem(r, DG_PROBLEM_CATALOG, "catalog.db", err->msg, err);
    return st;
}

/* The access log's chain, for those who may read the log (it logs its own check). */
static dg_status check_log(dg_archive *archive, const dg_actor *actor, dg_verify_report *r,
                           dg_error *err)
{
    if (!dg_actor_has_role(actor, DG_ROLE_AUDITOR | DG_ROLE_ADMIN))
        return DG_OK;
    dg_log_check check;
    dg_status st = dg_log_verify(archive, actor, &check, err);
    if (st != DG_OK)
        return st;
    r->log_checked = 1;
    r->log_entries = check.entries;
    memcpy(r->log_head, check.head, sizeof r->log_head);
    if (!check.first_broken)
        return DG_OK;
    char what[48];
    snprintf(what, sizeof what, "access log entry %lld", (long long)check.first_broken);
    return add_problem(r, DG_PROBLEM_LOG, what, check.reason, err);
}

/* ---- repairs ------------------------------------------------------------------------------ */

/* Objects no version uses, collected under the write lock (no write can be storing one). */
typedef struct orphan_list {
    char **names;
    size_t count, cap;
    dg_error *err;
} orphan_list;

static dg_status collect_orphan(const char *name, void *ctx)
{
    orphan_list *o = ctx;
    char **slot = dg_grow((void **)&o->names, &o->count, &o->cap, sizeof *o->names);
    if (!slot || !(*slot = strdup(name)))
        return dg_error_set(o->err, DG_ERR_NOMEM, "verify: out of memory");
    return DG_OK;
}

static dg_status remove_orphans(dg_archive *archive, dg_verify_report *r, dg_error *err)
{
    orphan_list o = {.err = err};
    dg_status st = dg_archive_each_unknown_object(archive, collect_orphan, &o, err);
    for (size_t i = 0; st == DG_OK && i < o.count; i++) {
        st = dg_store_remove(archive->store, o.names[i], err);
        if (st == DG_OK)
            st = add_repair(r, err, "removed orphan object %s", o.names[i]);
    }
    for (size_t i = 0; i < o.count; i++)
        free(o.names[i]);
    free(o.names);
    return st;
}

static dg_status queue_for_index(dg_archive *archive, const int64_t *ids, size_t n, dg_error *err)
{
    dg_status st = dg_catalog_begin_write(archive->db, err);
    sqlite3_stmt *stmt = NULL;
    if (st == DG_OK)
        st = dg_catalog_prepare(archive->db,
                                "INSERT OR IGNORE INTO index_queue(version_id) VALUES(?)", &stmt,
                                err);
    for (size_t i = 0; st == DG_OK && i < n; i++) {
        sqlite3_reset(stmt);
        sqlite3_bind_int64(stmt, 1, ids[i]);
        if (sqlite3_step(stmt) != SQLITE_DONE)
            st = dg_catalog_error(archive->db, err, "queue a version for indexing");
    }
    sqlite3_finalize(stmt);
    return dg_catalog_end_write(archive->db, st, err);
}

static dg_status repair_index(dg_archive *archive, const repair_plan *plan, dg_verify_report *r,
                              dg_error *err)
{
    dg_index_failures failed = {0};
    dg_status st = DG_OK;
    if (plan->rebuild) {
        uint64_t versions = 0;
        st = dg_archive_rebuild_index(archive, &versions, &failed, err);
        if (st == DG_OK)
            st = add_repair(r, err, "rebuilt the index: %llu versions indexed",
                            (unsigned long long)versions);
    } else {
        dg_index *index = NULL;
        st = dg_archive_index_writer(archive, &index, err);
        for (size_t i = 0; st == DG_OK && i < plan->n_extra; i++)
            st = dg_index_delete_version(index, plan->extra[i], err);
        if (st == DG_OK && plan->n_extra)
            st = dg_index_commit(index, err);
        if (st == DG_OK && plan->n_extra)
            st = add_repair(r, err, "deleted %zu index documents of versions the catalog does "
                                    "not hold", plan->n_extra);
        if (st == DG_OK)
            st = queue_for_index(archive, plan->reindex, plan->n_reindex, err);
        if (st == DG_OK)
            st = dg_archive_flush_index_queue(archive, 1, &failed, err);
        if (st == DG_OK && plan->n_reindex)
            st = add_repair(r, err, "indexed the versions missing from the index (%zu) and "
                                    "retried the queue",
                            plan->n_reindex);
        else if (st == DG_OK)
            st = add_repair(r, err, "retried the index queue");
    }
    for (size_t i = 0; st == DG_OK && i < failed.count; i++)
        st = add_repair(r, err, "still cannot be indexed: %s", failed.reasons[i]);
    dg_index_failures_free(&failed);
    return st;
}

static dg_status repair(dg_archive *archive, const repair_plan *plan, dg_verify_report *r,
                        dg_error *err)
{
    if (plan->catalog_damaged)
        return add_repair(r, err, "repaired nothing: the catalog is damaged (restore catalog.db "
                                  "from a backup, then verify again)");
    dg_status st = dg_archive_lock_write(archive, err);
    if (st != DG_OK)
        return st;
    if (plan->orphans)
        st = remove_orphans(archive, r, err);
    if (st == DG_OK)
        st = repair_index(archive, plan, r, err);
    dg_archive_unlock_write(archive);
    return st;
}

static void repair_plan_free(repair_plan *plan)
{
    free(plan->reindex);
    free(plan->extra);
}

static int needs_repair(const repair_plan *p)
{
    return p->catalog_damaged || p->rebuild || p->orphans || p->n_reindex || p->n_extra;
}

/* Checks, and with opts->repair repairs what it found and checks again. */
static dg_status verify_and_repair(dg_archive *archive, const dg_verify_options *opts,
                                   dg_verify_report **out, dg_error *err)
{
    dg_verify_report *r = calloc(1, sizeof *r);
    repair_plan plan = {0};
    dg_status st = r ? run_checks(archive, opts, r, &plan, err)
                     : dg_error_set(err, DG_ERR_NOMEM, "verify: out of memory");
    int queued = 0;
    for (size_t i = 0; st == DG_OK && i < r->n_problems; i++)
        queued |= r->problems[i].kind == DG_PROBLEM_QUEUED;
    if (st == DG_OK && opts->repair && (needs_repair(&plan) || queued)) {
        dg_verify_report *after = calloc(1, sizeof *after);
        st = after ? repair(archive, &plan, after, err)
                   : dg_error_set(err, DG_ERR_NOMEM, "verify: out of memory");
        repair_plan_free(&plan);
        memset(&plan, 0, sizeof plan);
        if (st == DG_OK)
            st = run_checks(archive, opts, after, &plan, err);
        dg_verify_report_free(r);
        r = after;
    }
    repair_plan_free(&plan);
    if (st != DG_OK) {
        dg_verify_report_free(r);
        return st;
    }
    *out = r;
    return DG_OK;
}

dg_status dg_verify(dg_archive *archive, const dg_actor *actor, const dg_verify_options *opts,
                    dg_verify_report **out, dg_error *err)
{
    static const dg_verify_options defaults = {0};
    *out = NULL;
    opts = opts ? opts : &defaults;
    /* Auditors may check, but only those who file may repair. */
    unsigned roles = opts->repair ? DG_ROLE_ARCHIVIST | DG_ROLE_ADMIN
                                  : DG_ROLE_ARCHIVIST | DG_ROLE_AUDITOR | DG_ROLE_ADMIN;
    dg_status st = dg_require_role(archive, actor, roles, &(dg_log_event){.action = "verify"},
                                   err, "%s",
                                   opts->repair ? "verify --repair: only archivists and admins "
                                                  "may repair the archive"
                                                : "verify: only archivists, auditors and admins "
                                                  "may verify the archive");
    if (st != DG_OK)
        return st;
    dg_verify_report *r = NULL;
    st = verify_and_repair(archive, opts, &r, err);
    if (st == DG_OK)
        st = check_log(archive, actor, r, err);
    if (st == DG_OK) {
        char detail[160];
        snprintf(detail, sizeof detail, "%llu objects, %llu index documents, %zu problems%s",
                 (unsigned long long)r->objects_checked,
                 (unsigned long long)r->index_documents, r->n_problems,
                 r->n_repairs ? ", repaired" : "");
        dg_log_event ev = {.action = opts->repair ? "verify.repair" : "verify", .hits = -1,
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
