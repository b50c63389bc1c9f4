/*
 * search.c — searching as an actor (search.h): the index's hits, each checked again
 * against the catalog and described from it, and the search's access-log entry.
 *
 * The index enforces clearance inside the Xapian query (index.h). The engine adds a
 * second, independent check: each hit's record is looked up with the same visibility
 * rule in the catalog before its metadata is given out, so a stale index can at worst
 * hide a record, never show one.
 */
#include "search.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive_internal.h"
#include "catalog.h"
#include "log.h"
#include "record_internal.h"
#include "text_guard.h"

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

/*
 * The catalog row of a hit, if the actor may see it. One statement serves every hit of a
 * search: VISIBLE_TO_ACTOR makes it costly to compile (bench/web's profile found a
 * fresh compile per hit to be about a quarter of the server's CPU per search page).
 */
static dg_status hit_statement(dg_archive *archive, const dg_actor *actor, sqlite3_stmt **stmt,
                               dg_error *err)
{
    dg_status st = dg_catalog_take(
        &archive->stmts, archive->db,
        "SELECT r.refcode, dg_clear(v.title), v.category, v.record_type, v.doc_number,"
        " v.doc_date, v.period, v.year, r.level, v.number, v.number = r.current_version"
        " FROM versions v JOIN records r ON r.id = v.record_id"
        " WHERE v.id = :vid AND " VISIBLE_TO_ACTOR,
        stmt, err);
    if (st == DG_OK)
        dg_bind_actor(*stmt, actor);
    return st;
}

/* Fills a hit from the catalog; *found is 0 when the actor may not see its record. */
static dg_status describe_hit(dg_archive *archive, sqlite3_stmt *stmt, const dg_index_hit *ih,
                              dg_search_hit *h, int *found, dg_error *err)
{
    *found = 0;
    sqlite3_reset(stmt);
    sqlite3_bind_int64(stmt, sqlite3_bind_parameter_index(stmt, ":vid"), ih->version_id);
    dg_status st = dg_catalog_step_maybe_row(archive->db, stmt, found, "describe a hit", err);
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
    return st;
}

static dg_status build_result(dg_archive *archive, const dg_actor *actor, dg_index_result *ir,
                              dg_search_result *out, dg_error *err)
{
    out->total = ir->total;
    out->hits = calloc(ir->n_hits ? ir->n_hits : 1, sizeof *out->hits);
    if (!out->hits)
        return dg_error_set(err, DG_ERR_NOMEM, "search: out of memory");
    sqlite3_stmt *stmt = NULL;
    dg_status st = ir->n_hits ? hit_statement(archive, actor, &stmt, err) : DG_OK;
    for (size_t i = 0; st == DG_OK && i < ir->n_hits; i++) {
        int visible = 0;
        st = describe_hit(archive, stmt, &ir->hits[i], &out->hits[out->n_hits], &visible, err);
        if (visible)
            out->n_hits++; /* counted even on failure, so the caller's free reaches it */
    }
    dg_catalog_give_back(&archive->stmts, stmt);
    if (st != DG_OK)
        return st;
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
    /* Kept compiled (catalog.h): every search runs it, and compiling it anew was about 1% of
     * a search page's CPU under bench/web. */
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_take(
        &archive->stmts, archive->db,
        "SELECT DISTINCT record_id FROM review_items WHERE state = 'destroying'", &stmt, err);
    size_t cap = 0;
    for (int found = 1; st == DG_OK && found;) {
        st = dg_catalog_step_maybe_row(archive->db, stmt, &found, "read records being destroyed",
                                       err);
        int64_t *slot = st == DG_OK && found ? dg_grow((void **)ids, n, &cap, sizeof **ids)
                                             : NULL;
        if (slot)
            *slot = sqlite3_column_int64(stmt, 0);
        else if (st == DG_OK && found)
            st = dg_error_set(err, DG_ERR_NOMEM, "search: out of memory");
    }
    dg_catalog_give_back(&archive->stmts, stmt);
    return st;
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
                       .detail = query->all_versions ? "all versions" : NULL, .shown = shown,
                       .read = 1};
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
