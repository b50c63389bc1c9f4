/*
 * log_read.c — reading the access log (log.h): entries by filter, and the check of the
 * whole log, which re-reads every entry, follows the chain, recomputes the Merkle tree and
 * compares it with the stored one (the walk itself is log_walk.c). Only auditors and admins read, and each read is itself
 * appended (log.c).
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive_internal.h"
#include "catalog.h"
#include "log.h"
#include "log_internal.h"
#include "refcode.h"
#include "user.h"
#include "visibility.h"

dg_status dg_log_require_reader(dg_archive *archive, const dg_actor *actor,
                                    const char *action, dg_error *err)
{
    dg_log_event refusal = {.action = action, .detail = "not an auditor or admin"};
    dg_status st = dg_require_role(archive, actor, DG_ROLE_AUDITOR | DG_ROLE_ADMIN, &refusal,
                                   err, "the access log is open to auditors and admins only; "
                                        "%s is neither",
                                   actor->login);
    /* A change's entry a crash left pending is in the log before the log is read (log.h). */
    return st == DG_OK ? dg_log_pending_flush(archive, err) : st;
}

void dg_log_entry_from_row(sqlite3_stmt *stmt, void *item, void *ctx)
{
    (void)ctx;
    dg_log_entry *e = item;
    e->id = sqlite3_column_int64(stmt, 0);
    e->at = dg_column_strdup(stmt, 1);
    e->login = dg_column_strdup(stmt, 2);
    e->origin = dg_column_strdup(stmt, 3);
    e->action = dg_column_strdup(stmt, 4);
    e->refcode = dg_column_strdup(stmt, 5);
    e->version = sqlite3_column_int64(stmt, 6); /* 64-bit, as the entry's bytes read it */
    e->query = dg_column_strdup(stmt, 7);
    e->hits = (long)sqlite3_column_int64(stmt, 8);
    e->outcome = dg_column_strdup(stmt, 9);
    e->detail = dg_column_strdup(stmt, 10);
    e->prev_hash = dg_column_strdup(stmt, 11);
    e->hash = dg_column_strdup(stmt, 12);
    e->shown = dg_column_strdup(stmt, 14);
}

static void entry_free(dg_log_entry *e)
{
    free(e->at);
    free(e->login);
    free(e->origin);
    free(e->action);
    free(e->refcode);
    free(e->query);
    free(e->outcome);
    free(e->detail);
    free(e->prev_hash);
    free(e->hash);
    free(e->shown);
}

void dg_log_entries_free(dg_log_entry *entries, size_t count)
{
    for (size_t i = 0; i < count; i++)
        entry_free(&entries[i]);
    free(entries);
}


/* Every code of the record ?3 names (refcode.h): ?3 itself, its final code when ?3 is an
 * alias, its aliases when ?3 is its code. */
#define RECORD_CODES                                                                        \
    "(SELECT ?3 UNION SELECT replaced_by FROM refcode_aliases WHERE alias = ?3"           \
    " UNION SELECT alias FROM refcode_aliases WHERE replaced_by = ?3)"

/* The same codes as rows of one column, code. */
#define RECORD_CODE_ROWS                                                                    \
    "(SELECT ?3 AS code UNION SELECT replaced_by FROM refcode_aliases WHERE alias = ?3"   \
    " UNION SELECT alias FROM refcode_aliases WHERE replaced_by = ?3)"

/* Whether every record of a search's "REF@V,REF@V" list may be shown to actor. */
static dg_status all_shown(sqlite3 *db, const dg_actor *actor, const char *list, int *shown,
                           dg_error *err)
{
    *shown = 1;
    for (const char *p = list; p && *p && *shown;) {
        size_t len = strcspn(p, ",");
        const char *at = memchr(p, '@', len);
        size_t ref_len = at ? (size_t)(at - p) : len;
        char ref[DG_REFCODE_MAX];
        if (ref_len >= sizeof ref) {
            *shown = 0; /* no record has so long a code: withheld like a missing one */
            break;
        }
        memcpy(ref, p, ref_len);
        ref[ref_len] = '\0';
        dg_status st = dg_refcode_shown_to(db, actor, ref, shown, err);
        if (st != DG_OK)
            return st;
        p += len + (p[len] == ',');
    }
    return DG_OK;
}

/*
 * A quarantine entry's detail is "name: reason" (batch.c, cut at 1 KiB); the quarantine rows
 * it may tell of keep the batch and the level the file was meant for. Shown only when every
 * such row may be named to the reader (dg_batch_file_shown_to); when none is found, what the
 * file was is unknown, and it is withheld.
 */
static dg_status quarantined_file_shown(sqlite3 *db, const dg_actor *actor, const char *detail,
                                        int *shown, dg_error *err)
{
    *shown = 0;
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(
        db,
        "SELECT coalesce(batch_id, 0), level FROM quarantine"
        " WHERE substr(dg_clear(name) || ': ' || dg_clear(reason), 1, length(?1)) = ?1"
        " ORDER BY batch_id",
        &stmt, err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_text(stmt, 1, detail, -1, SQLITE_STATIC);
    dg_batch_memo memo = {0};
    int rows = 0, all = 1, rc;
    while (st == DG_OK && all && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        rows++;
        st = dg_batch_file_shown_to(db, actor, &memo, sqlite3_column_int64(stmt, 0),
                                    sqlite3_column_int(stmt, 1), &all, err);
    }
    if (st == DG_OK && all && rc != SQLITE_DONE)
        st = dg_catalog_error(db, err, "read the quarantine");
    sqlite3_finalize(stmt);
    *shown = st == DG_OK && rows > 0 && all;
    return st;
}

/*
 * An entry of a batch that names no record but tells of its files: a quarantined file
 * ("name: reason"), or the batch's counts ("batch N: ..." from dg_batch_finish). Shown as
 * the batch's files are (visibility.h): not when the batch filed a record the reader may not
 * see, unless they ran it; an ingest entry whose batch cannot be told is withheld.
 */
static dg_status batch_entry_shown(sqlite3 *db, const dg_actor *actor, const dg_log_entry *e,
                                   int *shown, dg_error *err)
{
    *shown = 1;
    if (e->refcode || !e->detail || actor->clearance >= 4)
        return DG_OK;
    if (!strcmp(e->action, "quarantine"))
        return quarantined_file_shown(db, actor, e->detail, shown, err);
    if (strcmp(e->action, "ingest") != 0)
        return DG_OK;
    long long batch = 0;
    int end = 0;
    if (sscanf(e->detail, "batch %lld:%n", &batch, &end) != 1 || end == 0) {
        *shown = 0;
        return DG_OK;
    }
    return dg_batch_shown_to(db, actor, batch, shown, err);
}

/* Replaces *field (when set) with the withheld mark; 0 when out of memory. */
static int withhold(char **field)
{
    if (!*field)
        return 1;
    free(*field);
    *field = strdup(DG_WITHHELD);
    return *field != NULL;
}

/*
 * Issue 15, item 4: an entry about a record the reader may not see (its record, or a hit
 * its search showed) keeps who, when, action and outcome; its record, version, query, hit
 * count, detail (titles, file names, reasons), shown hits and hash read as withheld (also an
 * entry of a batch whose files may not be named to the reader: batch_entry_shown). The
 * hash too: a reader could otherwise confirm a guess of the withheld fields by hashing it.
 * A reader of clearance 4 sees every entry whole. Only this view is masked: log verify and
 * the Merkle proofs read the stored rows.
 */
static dg_status entry_withheld(sqlite3 *db, const dg_actor *actor, const dg_log_entry *e,
                                int *withheld, dg_error *err)
{
    int shown = 0, hits_shown = 0, file_shown = 1;
    dg_status st = dg_refcode_shown_to(db, actor, e->refcode, &shown, err);
    if (st == DG_OK && shown)
        st = all_shown(db, actor, e->shown, &hits_shown, err);
    if (st == DG_OK && shown && hits_shown)
        st = batch_entry_shown(db, actor, e, &file_shown, err);
    *withheld = !(shown && hits_shown && file_shown);
    return st;
}

dg_status dg_log_entry_withheld(sqlite3 *db, const dg_actor *actor, int64_t entry,
                                int *withheld, dg_error *err)
{
    *withheld = 0;
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(
        db, "SELECT " DG_LOG_SHOWN_COLUMNS " FROM access_log WHERE id = ?", &stmt, err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_int64(stmt, 1, entry);
    dg_log_entry *rows = NULL;
    size_t n = 0;
    st = dg_catalog_collect(db, stmt, (void **)&rows, &n, sizeof *rows, dg_log_entry_from_row, NULL,
                            "read log entry", err);
    if (st == DG_OK && n == 1)
        st = entry_withheld(db, actor, &rows[0], withheld, err);
    dg_log_entries_free(rows, n);
    return st;
}

static dg_status mask_entry(sqlite3 *db, const dg_actor *actor, dg_log_entry *e, dg_error *err)
{
    int withheld = 0;
    dg_status st = entry_withheld(db, actor, e, &withheld, err);
    if (st != DG_OK || !withheld)
        return st;
    e->version = 0;
    e->hits = -1;
    if (!withhold(&e->refcode) || !withhold(&e->query) || !withhold(&e->detail) ||
        !withhold(&e->shown) || !withhold(&e->hash))
        return dg_error_set(err, DG_ERR_NOMEM, "read log: out of memory");
    return DG_OK;
}

/* The reader asks for the entries of one record they may not see: none, as for a record
 * that does not exist (the filter's own entries would be withheld anyway). */
static dg_status filter_names_hidden(dg_archive *archive, const dg_actor *actor,
                                     const dg_log_filter *filter, int *hidden, dg_error *err)
{
    int shown = 1;
    dg_status st = dg_refcode_shown_to(archive->db, actor, filter->refcode, &shown, err);
    *hidden = !shown;
    return st;
}

dg_status dg_log_read(dg_archive *archive, const dg_actor *actor, const dg_log_filter *filter,
                      dg_log_entry **entries, size_t *count, dg_error *err)
{
    *entries = NULL;
    *count = 0;
    dg_status st = dg_log_require_reader(archive, actor, "log.read", err);
    if (st != DG_OK)
        return st;
    sqlite3_stmt *stmt;
    st = dg_catalog_prepare(archive->db,
                            /* The newest ?6 that match, shown oldest first. */
                            "SELECT * FROM (SELECT " DG_LOG_SHOWN_COLUMNS " FROM access_log"
                            " WHERE (?1 IS NULL OR login = ?1) AND (?2 IS NULL OR action = ?2)"
                            /* A record's entries under any of its codes: the one
                             * asked for, and its provisional code or final code. */
                            " AND (?3 IS NULL OR refcode IN " RECORD_CODES
                            /* Its search appearances: filed ones through
                             * log_shown_filed, one seek per filing (log.c), and
                             * those after the last filing from the log itself. */
                            "   OR id IN (WITH RECURSIVE filings(upto) AS ("
                            "     SELECT min(upto) FROM log_shown_filed UNION ALL"
                            "     SELECT (SELECT min(upto) FROM log_shown_filed f"
                            "             WHERE f.upto > filings.upto)"
                            "     FROM filings WHERE upto IS NOT NULL)"
                            "   SELECT f.upto - j.value FROM filings"
                            "   JOIN log_shown_filed f ON f.upto = filings.upto"
                            "   JOIN json_each(f.entries) j"
                            "   WHERE f.refcode IN " RECORD_CODES ")"
                            "   OR (id > " DG_LOG_FILED_UPTO " AND shown IS NOT NULL AND EXISTS"
                            "     (SELECT 1 FROM " RECORD_CODE_ROWS " c"
                            "      WHERE instr(',' || shown, ',' || c.code || '@') > 0)))"
                            " AND (?4 IS NULL OR at >= ?4) AND (?5 IS NULL OR at < ?5)"
                            " ORDER BY id DESC LIMIT ?6) ORDER BY id",
                            &stmt, err);
    if (st != DG_OK)
        return st;
    dg_bind_text_or_null(stmt, 1, filter->login);
    dg_bind_text_or_null(stmt, 2, filter->action);
    dg_bind_text_or_null(stmt, 3, filter->refcode);
    dg_bind_text_or_null(stmt, 4, filter->since);
    dg_bind_text_or_null(stmt, 5, filter->until);
    sqlite3_bind_int64(stmt, 6, filter->limit ? (sqlite3_int64)filter->limit : -1);
    int hidden = 0;
    st = filter_names_hidden(archive, actor, filter, &hidden, err);
    if (st == DG_OK && !hidden)
        st = dg_catalog_collect(archive->db, stmt, (void **)entries, count, sizeof **entries,
                                dg_log_entry_from_row, NULL, "read log", err);
    else
        sqlite3_finalize(stmt);
    for (size_t i = 0; st == DG_OK && i < *count; i++)
        st = mask_entry(archive->db, actor, &(*entries)[i], err);
    if (st != DG_OK) {
        dg_log_entries_free(*entries, *count);
        *entries = NULL;
        *count = 0;
        return st;
    }
    char detail[64];
    snprintf(detail, sizeof detail, "%zu entries", *count);
    dg_log_event ev = {.action = "log.read", .hits = (long)*count, .outcome = "ok",
                       .detail = detail, .read = 1};
    st = dg_log_append(archive, actor, NULL, &ev, err);
    if (st != DG_OK) { /* an unlogged read shows nothing */
        dg_log_entries_free(*entries, *count);
        *entries = NULL;
        *count = 0;
    }
    return st;
}

dg_status dg_log_verify(dg_archive *archive, const dg_actor *actor, dg_log_check *out,
                        dg_error *err)
{
    memset(out, 0, sizeof *out);
    dg_status st = dg_log_require_reader(archive, actor, "log.verify", err);
    /* One read transaction: the entries and the stored tree's head are of one log (an
     * entry appended between them would look like a tree longer than the log). */
    sqlite3 *db = NULL;
    if (st == DG_OK)
        st = dg_log_reader_open(archive, &db, err);
    if (st != DG_OK)
        return st;
    st = dg_log_walk(db, 0, out, err);
    if (st == DG_OK)
        st = dg_log_check_stored_tree(db, out, err);
    dg_log_reader_close(db);
    if (st != DG_OK)
        return st;
    dg_log_event ev = {.action = "log.verify", .hits = -1,
                       .outcome = out->first_broken || out->tree_differs ? "broken" : "ok",
                       .detail = out->first_broken || out->tree_differs ? out->reason : NULL};
    return dg_log_append(archive, actor, NULL, &ev, err);
}

dg_status dg_log_check_stored_tree(sqlite3 *db, dg_log_check *out, dg_error *err)
{
    dg_log_head head;
    dg_error read_err;
    dg_status st = dg_log_stored_head(db, &head, &read_err);
    out->stored_size = st == DG_OK ? head.size : 0;
    if (st == DG_ERR_CORRUPT) {
        out->tree_differs = 1;
        if (!out->first_broken)
            snprintf(out->reason, sizeof out->reason, "%.250s", read_err.msg);
        return DG_OK;
    }
    if (st != DG_OK)
        return dg_error_set(err, st, "%s", read_err.msg);
    /* Entries appended since the tree last caught up are not a finding; a stored tree
     * larger than the log, or one whose root differs from the entries', is. */
    if (head.size > out->entries) {
        out->tree_differs = 1;
        if (!out->first_broken)
            snprintf(out->reason, sizeof out->reason,
                     "the stored tree holds %llu entries but the log only %llu: entries were "
                     "removed", (unsigned long long)head.size,
                     (unsigned long long)out->entries);
        return DG_OK;
    }
    if (head.size == out->entries &&
        sodium_memcmp(head.root.b, out->root.b, DG_MERKLE_HASH) != 0) {
        out->tree_differs = 1;
        if (!out->first_broken)
            snprintf(out->reason, sizeof out->reason,
                     "the stored tree does not match the entries (entries or tree altered)");
    }
    return DG_OK;
}
