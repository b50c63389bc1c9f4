/*
 * search.c — the engine's side of the full-text index: what a version contributes to it,
 * searching as an actor, and rebuilding it from the catalog.
 *
 * The index enforces clearance inside the Xapian query (index.h). The engine adds a
 * second, independent check: each hit's record is looked up with the same visibility
 * rule in the catalog before its metadata is given out, so a stale index can at worst
 * hide a record, never show one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive_internal.h"
#include "catalog.h"
#include "log.h"
#include "synonyms.h"
#include "record.h"
#include "record_internal.h"
#include "vocab.h"
#include "text_guard.h"

/* Catalog fields of one version, as the index needs them. */
typedef struct index_source {
    int64_t record_id;
    int number, current_version, level, year;
    char *refcode, *title, *doc_number, *department, *category, *record_type, *period;
    char *doc_date, *text_sha;
    char *state;
} index_source;

static void index_source_free(index_source *s)
{
    free(s->refcode);
    free(s->title);
    free(s->doc_number);
    free(s->department);
    free(s->category);
    free(s->record_type);
    free(s->period);
    free(s->doc_date);
    free(s->text_sha);
    free(s->state);
}

static dg_status load_index_source(dg_archive *archive, int64_t version_id, index_source *s,
                                   dg_error *err)
{
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(
        archive->db,
        "SELECT r.id, v.number, r.current_version, r.level, v.year, r.refcode, v.title,"
        " v.doc_number, v.department, v.category, v.record_type, v.period, v.doc_date,"
        " v.text_sha256, r.state FROM versions v JOIN records r ON r.id = v.record_id"
        " WHERE v.id = ?",
        &stmt, err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_int64(stmt, 1, version_id);
    st = dg_catalog_step_row(archive->db, stmt, "read version for index", err,
                             "version %lld is gone", (long long)version_id);
    int missing = 0;
    if (st == DG_OK) {
        s->record_id = sqlite3_column_int64(stmt, 0);
        s->number = sqlite3_column_int(stmt, 1);
        s->current_version = sqlite3_column_int(stmt, 2);
        s->level = sqlite3_column_int(stmt, 3);
        s->year = sqlite3_column_int(stmt, 4);
        s->refcode = dg_column_copy(stmt, 5, &missing);
        s->title = dg_column_copy(stmt, 6, &missing);
        s->doc_number = dg_column_copy(stmt, 7, &missing);
        s->department = dg_column_copy(stmt, 8, &missing);
        s->category = dg_column_copy(stmt, 9, &missing);
        s->record_type = dg_column_copy(stmt, 10, &missing);
        s->period = dg_column_copy(stmt, 11, &missing);
        s->doc_date = dg_column_copy(stmt, 12, &missing);
        s->text_sha = dg_column_copy(stmt, 13, &missing);
        s->state = dg_column_copy(stmt, 14, &missing);
        if (missing)
            st = dg_error_set(err, DG_ERR_NOMEM, "index version %lld: out of memory",
                              (long long)version_id);
    }
    sqlite3_finalize(stmt);
    return st;
}

static dg_status load_grants(dg_archive *archive, int64_t record_id, int64_t **ids, size_t *n,
                             dg_error *err)
{
    *ids = NULL;
    *n = 0;
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(archive->db, "SELECT user_id FROM grants WHERE record_id = ?",
                                      &stmt, err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_int64(stmt, 1, record_id);
    return dg_catalog_collect(archive->db, stmt, (void **)ids, n, sizeof **ids,
                              dg_row_read_int64, NULL, "read grants", err);
}

/* Category keys are stored in the catalog; the index filters and facets on codes. */
static const char *category_code_of(const char *key)
{
    dg_category cat;
    return key && dg_category_parse(key, &cat, NULL) == DG_OK ? dg_category_code(cat) : "?";
}

/*
 * Reads the version's text and hands the document to the index. What fails here belongs to
 * this one version (a damaged or missing text object, text the folding refuses), so it is
 * reported in *skip and the caller goes on with the others; only a catalog failure (the
 * grants) fails the call.
 */
static dg_status put_version(dg_archive *archive, dg_index *index, int64_t version_id,
                             const index_source *s, dg_error *skip, dg_error *err)
{
    int64_t *grants = NULL;
    size_t n_grants = 0;
    dg_status st = load_grants(archive, s->record_id, &grants, &n_grants, err);
    if (st != DG_OK)
        return st;
    char *body = NULL;
    size_t len = 0;
    dg_status own = DG_OK;
    if (s->text_sha)
        own = dg_store_get(archive->store, s->text_sha, (void **)&body, &len, skip);
    if (own == DG_OK) {
        dg_index_doc doc = {
            .version_id = version_id, .record_id = s->record_id,
            .version_number = s->number, .is_current = s->number == s->current_version,
            .refcode = s->refcode, .title = s->title, .doc_number = s->doc_number,
            .body = body, .department = s->department,
            .category = category_code_of(s->category), .record_type = s->record_type,
            .period = s->period, .date = s->doc_date, .year = s->year, .level = s->level,
            .grants = grants, .n_grants = n_grants,
        };
        own = dg_index_put(index, &doc, skip);
    }
    if (own != DG_OK)
        dg_error_prefix(skip, "%s version %d: ", s->refcode ? s->refcode : "?", s->number);
    free(body);
    free(grants);
    return DG_OK;
}

dg_status dg_record_index_version(dg_archive *archive, dg_index *index, int64_t version_id,
                                  dg_error *skip, dg_error *err)
{
    dg_error_clear(skip);
    index_source s = {0};
    dg_status st = load_index_source(archive, version_id, &s, err);
    if (st == DG_ERR_NOT_FOUND) /* destroyed since it was queued */
        st = dg_index_delete_version(index, version_id, err);
    else if (st == DG_OK && strcmp(s.state, "live") != 0)
        st = dg_index_delete_version(index, version_id, err);
    else if (st == DG_OK)
        st = put_version(archive, index, version_id, &s, skip, err);
    index_source_free(&s);
    if (st != DG_OK)
        dg_error_prefix(err, "indexing version %lld: ", (long long)version_id);
    return st;
}

/* ---- search ---------------------------------------------------------------------- */

static void hit_free(dg_search_hit *h)
{
    free(h->refcode);
    free(h->title);
    free(h->category);
    free(h->record_type);
    free(h->doc_number);
    free(h->doc_date);
    free(h->period);
    free(h->snippet);
}

/* Facet arrays are moved over from the index result, so this result owns them. */
static void free_facets(dg_facet_count *facets, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(facets[i].value);
    free(facets);
}

void dg_search_result_free(dg_search_result *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_hits; i++)
        hit_free(&r->hits[i]);
    free(r->hits);
    free_facets(r->by_category, r->n_category);
    free_facets(r->by_year, r->n_year);
    free_facets(r->by_period, r->n_period);
    free(r);
}

/* Fills a hit from the catalog; *found is 0 when the actor may not see its record. */
static dg_status describe_hit(dg_archive *archive, const dg_actor *actor, const dg_index_hit *ih,
                              dg_search_hit *h, int *found, dg_error *err)
{
    sqlite3_stmt *stmt;
    *found = 0;
    dg_status st = dg_catalog_prepare(
        archive->db,
        "SELECT r.refcode, v.title, v.category, v.record_type, v.doc_number,"
        " v.doc_date, v.period, v.year, r.level, v.number, v.number = r.current_version"
        " FROM versions v JOIN records r ON r.id = v.record_id"
        " WHERE v.id = :vid AND " VISIBLE_TO_ACTOR,
        &stmt, err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_int64(stmt, sqlite3_bind_parameter_index(stmt, ":vid"), ih->version_id);
    sqlite3_bind_int(stmt, sqlite3_bind_parameter_index(stmt, ":clearance"), actor->clearance);
    sqlite3_bind_int64(stmt, sqlite3_bind_parameter_index(stmt, ":uid"), actor->user_id);
    st = dg_catalog_step_maybe_row(archive->db, stmt, found, "describe a hit", err);
    int missing = 0;
    if (*found) {
        h->refcode = dg_column_copy(stmt, 0, &missing);
        h->title = dg_column_copy(stmt, 1, &missing);
        h->category = dg_column_copy(stmt, 2, &missing);
        h->record_type = dg_column_copy(stmt, 3, &missing);
        h->doc_number = dg_column_copy(stmt, 4, &missing);
        h->doc_date = dg_column_copy(stmt, 5, &missing);
        h->period = dg_column_copy(stmt, 6, &missing);
        h->year = sqlite3_column_int(stmt, 7);
        h->level = sqlite3_column_int(stmt, 8);
        h->version = sqlite3_column_int(stmt, 9);
        h->is_current = sqlite3_column_int(stmt, 10);
        h->score = ih->score;
        h->snippet = ih->snippet ? strdup(ih->snippet) : NULL;
        if (missing || (ih->snippet && !h->snippet))
            st = dg_error_set(err, DG_ERR_NOMEM, "search: describe a hit: out of memory");
    }
    sqlite3_finalize(stmt);
    return st;
}

static dg_status build_result(dg_archive *archive, const dg_actor *actor, dg_index_result *ir,
                              dg_search_result *out, dg_error *err)
{
    out->total = ir->total;
    out->hits = calloc(ir->n_hits ? ir->n_hits : 1, sizeof *out->hits);
    if (!out->hits)
        return dg_error_set(err, DG_ERR_NOMEM, "search: out of memory");
    for (size_t i = 0; i < ir->n_hits; i++) {
        int visible = 0;
        dg_status st = describe_hit(archive, actor, &ir->hits[i], &out->hits[out->n_hits],
                                    &visible, err);
        if (visible)
            out->n_hits++; /* counted even on failure, so the caller's free reaches it */
        if (st != DG_OK)
            return st;
    }
    /* Move the facets over: the index computed them over permitted documents only. */
    out->by_category = ir->by_category, out->n_category = ir->n_category;
    out->by_year = ir->by_year, out->n_year = ir->n_year;
    out->by_period = ir->by_period, out->n_period = ir->n_period;
    ir->by_category = ir->by_year = ir->by_period = NULL;
    ir->n_category = ir->n_year = ir->n_period = 0;
    return DG_OK;
}

/*
 * The hits this page showed, "REF@V,REF@V", for the log: who saw a record's title and
 * snippet is an access to it (NULL when none, or out of memory with hits to list).
 */
static char *shown_hits(const dg_search_result *r)
{
    if (!r->n_hits)
        return NULL;
    size_t size = 1;
    for (size_t i = 0; i < r->n_hits; i++)
        size += strlen(r->hits[i].refcode) + 16;
    char *out = malloc(size), *p = out;
    for (size_t i = 0; out && i < r->n_hits; i++)
        p += snprintf(p, size - (size_t)(p - out), "%s%s@%d", i ? "," : "", r->hits[i].refcode,
                      r->hits[i].version);
    return out;
}

/*
 * The records whose destruction has begun (their catalog rows are gone or going) while
 * their index documents may still be there: a destruction deletes the documents only after
 * the catalog rows, and a killed one leaves them until it is run again or the next open
 * deletes them. Search leaves them out of both the count and the hits.
 */
static dg_status leaving_records(dg_archive *archive, int64_t **ids, size_t *n, dg_error *err)
{
    *ids = NULL;
    *n = 0;
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(
        archive->db, "SELECT DISTINCT record_id FROM review_items WHERE state = 'destroying'",
        &stmt, err);
    if (st != DG_OK)
        return st;
    return dg_catalog_collect(archive->db, stmt, (void **)ids, n, sizeof **ids,
                              dg_row_read_int64, NULL, "read records being destroyed", err);
}

dg_status dg_search(dg_archive *archive, const dg_actor *actor, const dg_index_query *query,
                    const char *hl_start, const char *hl_end, dg_search_result **out,
                    dg_error *err)
{
    *out = NULL;
    dg_index *index;
    dg_index_result *ir = NULL;
    dg_index_viewer viewer = {.user_id = actor->user_id, .clearance = actor->clearance};
    /* The query goes into the access log: it is text the catalog keeps. */
    dg_text_field fields[] = {{"query", query->text}, {"type", query->record_type}};
    dg_status st = dg_text_guard_all(fields, sizeof fields / sizeof fields[0], err);
    if (st != DG_OK)
        return st;
    dg_index_query q = *query;
    int64_t *gone = NULL;
    /*
     * One catalog snapshot, taken before the index is read, decides both what is left out
     * and what the hits show (see leaving_records): a record destroyed after it is counted
     * and shown as it was, one whose destruction began before it is neither, whatever the
     * index still holds.
     */
    int own_txn = sqlite3_get_autocommit(archive->db);
    st = own_txn ? dg_catalog_begin_read(archive->db, err) : DG_OK;
    if (st == DG_OK)
        st = leaving_records(archive, &gone, &q.n_exclude_records, err);
    q.exclude_records = gone;
    if (st == DG_OK)
        st = dg_archive_index_reader(archive, &index, err);
    if (st == DG_OK)
        st = dg_index_search(index, &viewer, &q, hl_start, hl_end, &ir, err);
    dg_search_result *result = NULL;
    if (st == DG_OK) {
        result = calloc(1, sizeof *result);
        st = result ? build_result(archive, actor, ir, result, err)
                    : dg_error_set(err, DG_ERR_NOMEM, "search: out of memory");
    }
    if (own_txn)
        dg_catalog_rollback(archive->db);
    free(gone);
    dg_index_result_free(ir);
    char *shown = st == DG_OK ? shown_hits(result) : NULL;
    dg_log_event ev = {.action = "search", .query = query->text ? query->text : "",
                       .hits = result ? (long)result->total : -1,
                       .outcome = st == DG_OK ? "ok" : st == DG_ERR_QUERY ? "bad_query" : "error",
                       .detail = query->all_versions ? "all versions" : NULL, .shown = shown};
    dg_error log_err;
    dg_status log_st = st == DG_OK && result->n_hits && !shown
                           ? dg_error_set(&log_err, DG_ERR_NOMEM, "search: out of memory")
                           : dg_log_append(archive, actor, NULL, &ev, &log_err);
    free(shown);
    if (st == DG_OK && log_st != DG_OK) {
        st = log_st;
        *err = log_err;
    }
    if (st != DG_OK) {
        dg_search_result_free(result);
        return st;
    }
    *out = result;
    return DG_OK;
}

/* ---- reindex --------------------------------------------------------------------- */

static dg_status count_versions(dg_archive *archive, uint64_t *count, dg_error *err)
{
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(archive->db,
                                      "SELECT count(*) FROM versions v JOIN records r"
                                      " ON r.id = v.record_id WHERE r.state = 'live'",
                                      &stmt, err);
    if (st != DG_OK)
        return st;
    int64_t n = 0;
    st = dg_catalog_row_int64(archive->db, stmt, &n, "count versions", err, NULL);
    *count = (uint64_t)n;
    return st;
}

/* What indexing every version carries from one row to the next. */
typedef struct reindex_walk {
    dg_archive *archive;
    dg_index *index;
    dg_index_failures *failed;
    uint64_t total, *done;
} reindex_walk;

static dg_status index_row_version(sqlite3_stmt *stmt, void *ctx, dg_error *err)
{
    reindex_walk *w = ctx;
    int64_t id = sqlite3_column_int64(stmt, 0);
    dg_error skip;
    dg_status st = dg_record_index_version(w->archive, w->index, id, &skip, err);
    if (st == DG_OK && skip.status != DG_OK)
        st = dg_index_failures_add(w->failed, id, skip.msg, err);
    else if (st == DG_OK)
        ++*w->done;
    if (st == DG_OK && (*w->done + w->failed->count) % 64 == 0)
        dg_archive_progress(w->archive, "reindex", *w->done, w->total);
    return st;
}

static dg_status index_all_versions(dg_archive *archive, dg_index *index, uint64_t total,
                                    uint64_t *done, dg_index_failures *failed, dg_error *err)
{
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(archive->db,
                                      "SELECT v.id FROM versions v JOIN records r"
                                      " ON r.id = v.record_id WHERE r.state = 'live' ORDER BY v.id",
                                      &stmt, err);
    if (st != DG_OK)
        return st;
    reindex_walk w = {.archive = archive, .index = index, .failed = failed, .total = total,
                      .done = done};
    st = dg_catalog_each_row(archive->db, stmt, index_row_version, &w, "read versions", err);
    /* A damaged table can end a scan early without an error: every version counted must
     * have been visited, or the new index would silently lack records. */
    if (st == DG_OK && *done + failed->count != total)
        st = dg_error_set(err, DG_ERR_CORRUPT,
                          "catalog: %llu live versions counted but %llu read: the catalog is "
                          "damaged",
                          (unsigned long long)total,
                          (unsigned long long)(*done + failed->count));
    return st;
}

/* Refuses to rebuild from a damaged catalog: the new index would lack what it cannot read. */
static dg_status require_sound_catalog(dg_archive *archive, dg_error *err)
{
    char *problems = NULL;
    dg_status st = dg_catalog_check(archive->db, 1, &problems, err);
    if (st == DG_OK && problems)
        st = dg_error_set(err, DG_ERR_CORRUPT,
                          "%s/catalog.db is damaged (%.600s): the index was left as it was; "
                          "restore the catalog from a backup",
                          archive->path, problems);
    free(problems);
    return st;
}

static dg_status set_flag(dg_archive *archive, const char *key, const char *value, dg_error *err)
{
    dg_status st = dg_catalog_begin_write(archive->db, err);
    if (st == DG_OK)
        st = dg_setting_set(archive->db, key, value, err);
    return dg_catalog_end_write(archive->db, st, err);
}

/* Records the rebuild's outcome in one transaction: the queue holds exactly the versions
 * that could not be indexed, and nothing is owed any more. */
static dg_status settle_rebuild(dg_archive *archive, const dg_index_failures *failed,
                                dg_error *err)
{
    dg_status st = dg_catalog_begin_write(archive->db, err);
    if (st == DG_OK)
        st = dg_catalog_exec(archive->db,
                             "DELETE FROM index_queue;"
                             "DELETE FROM settings WHERE key IN ('" DG_REBUILD_OWED "', '"
                             DG_REBUILD_FAILED "')",
                             err);
    if (st == DG_OK)
        st = dg_archive_queue_failures(archive, failed, err);
    return dg_catalog_end_write(archive->db, st, err);
}

/* Builds the new index beside the live one and swaps it in; the live one is untouched on
 * any failure before the swap. */
static dg_status build_and_swap(dg_archive *archive, uint64_t *versions,
                                dg_index_failures *failed, dg_error *err)
{
    dg_index *live = NULL, *fresh = NULL;
    uint64_t total = 0;
    dg_status st = dg_archive_index_writer(archive, &live, err);
    if (st == DG_OK)
        st = dg_index_build_open(archive->index_path, &fresh, err);
    if (st == DG_OK)
        st = dg_catalog_begin_read(archive->db, err);
    if (st == DG_OK) {
        st = count_versions(archive, &total, err);
        if (st == DG_OK)
            st = index_all_versions(archive, fresh, total, versions, failed, err);
        dg_catalog_rollback(archive->db);
    }
    if (st == DG_OK) /* the catalog's thesaurus into the new index (synonyms.h) */
        st = dg_synonyms_sync(archive, fresh, 1, err);
    if (st == DG_OK)
        st = dg_index_build_swap(live, fresh, err);
    if (st == DG_OK)
        dg_index_close(fresh);
    else
        dg_index_build_discard(fresh);
    dg_archive_progress(archive, "reindex", *versions, total);
    return st;
}

dg_status dg_archive_rebuild_index(dg_archive *archive, uint64_t *versions,
                                   dg_index_failures *failed, dg_error *err)
{
    *versions = 0;
    dg_status st = dg_archive_lock_write(archive, err);
    if (st != DG_OK)
        return st;
    dg_index_failures mine = {0};
    st = require_sound_catalog(archive, err);
    if (st == DG_OK)
        st = set_flag(archive, DG_REBUILD_OWED, "1", err);
    if (st == DG_OK)
        st = build_and_swap(archive, versions, &mine, err);
    if (st == DG_OK)
        st = settle_rebuild(archive, &mine, err);
    if (st != DG_OK) { /* remembered, so opening the archive does not retry it every time */
        dg_error ignored;
        set_flag(archive, DG_REBUILD_FAILED, err->msg, &ignored);
    }
    for (size_t i = 0; st == DG_OK && failed && i < mine.count; i++)
        st = dg_index_failures_add(failed, mine.ids[i], mine.reasons[i], err);
    dg_index_failures_free(&mine);
    dg_archive_unlock_write(archive);
    return st;
}

void dg_reindex_report_clear(dg_reindex_report *report)
{
    for (size_t i = 0; report && i < report->n_failed; i++)
        free(report->failed[i]);
    if (report) {
        free(report->failed);
        memset(report, 0, sizeof *report);
    }
}

/* Hands the failures' reasons over to the report (which then owns them). */
static void take_failures(dg_index_failures *f, dg_reindex_report *out)
{
    out->failed = f->reasons;
    out->n_failed = f->count;
    f->reasons = NULL;
    f->count = 0;
    dg_index_failures_free(f);
}

dg_status dg_reindex(dg_archive *archive, const dg_actor *actor, dg_reindex_report *out,
                     dg_error *err)
{
    memset(out, 0, sizeof *out);
    dg_status st = dg_require_filer(archive, actor, "reindex", NULL, err);
    if (st != DG_OK)
        return st;
    dg_index_failures failed = {0};
    st = dg_archive_rebuild_index(archive, &out->versions, &failed, err);
    take_failures(&failed, out);
    char detail[96];
    snprintf(detail, sizeof detail, "%llu versions, %zu could not be indexed",
             (unsigned long long)out->versions, out->n_failed);
    dg_log_event ev = {.action = "reindex", .hits = -1,
                       .outcome = st != DG_OK ? "error" : out->n_failed ? "problems" : "ok",
                       .detail = detail};
    dg_error log_err;
    dg_status log_st = dg_log_append(archive, actor, NULL, &ev, &log_err);
    if (st == DG_OK && log_st != DG_OK) {
        st = log_st;
        *err = log_err;
    }
    if (st != DG_OK)
        dg_reindex_report_clear(out);
    return st;
}
