/*
 * indexer.c — keeping the full-text index in step with the catalog (indexer.h): the
 * document of one version (what it contributes to the index), the index queue that every
 * write fills and flushes (with the versions that could not be indexed kept in it with
 * their reasons), and the rebuild of the whole index beside the live one (reindex).
 *
 * The catalog is the truth and the index is derived: a version is queued in the
 * transaction that writes it, indexed after, and a crash in between only re-indexes.
 */
#include "indexer.h"

#include <errno.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive_internal.h"
#include "catalog.h"
#include "lock.h"
#include "log.h"
#include "synonym_table.h"
#include "user.h"
#include "vocab.h"

/* ---- a version's document ------------------------------------------------------------ */

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

/*
 * The two statements that read a version for the index, prepared once and reset for each
 * version: a reindex or a long queue reads them once per version, and preparing the source
 * query (with its alias subquery) cost more than running it.
 */
typedef struct index_reader {
    sqlite3_stmt *source, *grants;
} index_reader;

static void index_reader_close(index_reader *r)
{
    sqlite3_finalize(r->source);
    sqlite3_finalize(r->grants);
    memset(r, 0, sizeof *r);
}

static dg_status index_reader_open(dg_archive *archive, index_reader *r, dg_error *err)
{
    memset(r, 0, sizeof *r);
    dg_status st = dg_catalog_prepare(
        archive->db,
        /* The record's provisional code, once its year is confirmed, stays findable
         * with ref: beside its final code (refcode.h). */
        "SELECT r.id, v.number, r.current_version, r.level, v.year, r.refcode || coalesce("
        " (SELECT ' ' || group_concat(a.alias, ' ') FROM refcode_aliases a"
        "  WHERE a.record_id = r.id), ''), dg_clear(v.title),"
        " v.doc_number, v.department, v.category, v.record_type, v.period, v.doc_date,"
        " v.text_sha256, r.state FROM versions v JOIN records r ON r.id = v.record_id"
        " WHERE v.id = ?",
        &r->source, err);
    if (st == DG_OK)
        st = dg_catalog_prepare(archive->db, "SELECT user_id FROM grants WHERE record_id = ?",
                                &r->grants, err);
    if (st != DG_OK)
        index_reader_close(r);
    return st;
}

static void read_index_source(sqlite3_stmt *stmt, index_source *s, int *missing)
{
    s->record_id = sqlite3_column_int64(stmt, 0);
    s->number = sqlite3_column_int(stmt, 1);
    s->current_version = sqlite3_column_int(stmt, 2);
    s->level = sqlite3_column_int(stmt, 3);
    s->year = sqlite3_column_int(stmt, 4);
    s->refcode = dg_column_copy(stmt, 5, missing);
    s->title = dg_column_copy(stmt, 6, missing);
    s->doc_number = dg_column_copy(stmt, 7, missing);
    s->department = dg_column_copy(stmt, 8, missing);
    s->category = dg_column_copy(stmt, 9, missing);
    s->record_type = dg_column_copy(stmt, 10, missing);
    s->period = dg_column_copy(stmt, 11, missing);
    s->doc_date = dg_column_copy(stmt, 12, missing);
    s->text_sha = dg_column_copy(stmt, 13, missing);
    s->state = dg_column_copy(stmt, 14, missing);
}

static dg_status load_index_source(dg_archive *archive, index_reader *r, int64_t version_id,
                                   index_source *s, dg_error *err)
{
    sqlite3_stmt *stmt = r->source;
    sqlite3_reset(stmt);
    sqlite3_bind_int64(stmt, 1, version_id);
    dg_status st = dg_catalog_step_row(archive->db, stmt, "read version for index", err,
                                       "version %lld is gone", (long long)version_id);
    int missing = 0;
    if (st == DG_OK)
        read_index_source(stmt, s, &missing);
    if (st == DG_OK && missing)
        st = dg_error_set(err, DG_ERR_NOMEM, "index version %lld: out of memory",
                          (long long)version_id);
    sqlite3_reset(stmt); /* holds no read of the catalog between versions */
    return st;
}

static dg_status load_grants(dg_archive *archive, index_reader *r, int64_t record_id,
                             int64_t **ids, size_t *n, dg_error *err)
{
    *ids = NULL;
    *n = 0;
    sqlite3_stmt *stmt = r->grants;
    sqlite3_reset(stmt);
    sqlite3_bind_int64(stmt, 1, record_id);
    size_t cap = 0;
    int found = 1;
    dg_status st = DG_OK;
    while (st == DG_OK && found) {
        st = dg_catalog_step_maybe_row(archive->db, stmt, &found, "read grants", err);
        if (st != DG_OK || !found)
            break;
        int64_t *slot = dg_grow((void **)ids, n, &cap, sizeof **ids);
        if (!slot)
            st = dg_error_set(err, DG_ERR_NOMEM, "read grants: out of memory");
        else
            *slot = sqlite3_column_int64(stmt, 0);
    }
    sqlite3_reset(stmt);
    if (st != DG_OK) {
        free(*ids);
        *ids = NULL;
        *n = 0;
    }
    return st;
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
/* The index document of a version read as s, with its text and grants. */
static dg_index_doc make_doc(int64_t version_id, const index_source *s, const char *body,
                             const int64_t *grants, size_t n_grants)
{
    return (dg_index_doc){
        .version_id = version_id, .record_id = s->record_id,
        .version_number = s->number, .is_current = s->number == s->current_version,
        .refcode = s->refcode, .title = s->title, .doc_number = s->doc_number,
        .body = body, .department = s->department,
        .category = category_code_of(s->category), .record_type = s->record_type,
        .period = s->period, .date = s->doc_date, .year = s->year, .level = s->level,
        .grants = grants, .n_grants = n_grants,
    };
}

/* A version's own failure to be indexed names it: "REF version N: why". */
static void name_skip(const index_source *s, dg_error *skip)
{
    dg_error_prefix(skip, "%s version %d: ", s->refcode ? s->refcode : "?", s->number);
}

/*
 * Reads the version's text and hands the document to the index. What fails here belongs to
 * this one version (a damaged or missing text object, text the folding refuses), so it is
 * reported in *skip and the caller goes on with the others; only a catalog failure (the
 * grants) fails the call.
 */
static dg_status put_version(dg_archive *archive, index_reader *r, dg_index *index,
                             int64_t version_id, const index_source *s, dg_error *skip,
                             dg_error *err)
{
    int64_t *grants = NULL;
    size_t n_grants = 0;
    dg_status st = load_grants(archive, r, s->record_id, &grants, &n_grants, err);
    if (st != DG_OK)
        return st;
    char *body = NULL;
    size_t len = 0;
    dg_status own = DG_OK;
    if (s->text_sha)
        own = dg_store_get(archive->store, s->text_sha, (void **)&body, &len, skip);
    if (own == DG_OK) {
        dg_index_doc doc = make_doc(version_id, s, body, grants, n_grants);
        own = dg_index_put(index, &doc, skip);
    }
    if (own != DG_OK)
        name_skip(s, skip);
    free(body);
    free(grants);
    return DG_OK;
}

/* Indexes (or deletes from the index) one version, reading it with r. */
static dg_status index_version(dg_archive *archive, index_reader *r, dg_index *index,
                               int64_t version_id, dg_error *skip, dg_error *err)
{
    dg_error_clear(skip);
    index_source s = {0};
    dg_status st = load_index_source(archive, r, version_id, &s, err);
    if (st == DG_ERR_NOT_FOUND) /* destroyed since it was queued */
        st = dg_index_delete_version(index, version_id, err);
    else if (st == DG_OK && strcmp(s.state, "live") != 0)
        st = dg_index_delete_version(index, version_id, err);
    else if (st == DG_OK)
        st = put_version(archive, r, index, version_id, &s, skip, err);
    index_source_free(&s);
    if (st != DG_OK)
        dg_error_prefix(err, "indexing version %lld: ", (long long)version_id);
    return st;
}

dg_status dg_record_index_version(dg_archive *archive, dg_index *index, int64_t version_id,
                                  dg_error *skip, dg_error *err)
{
    dg_error_clear(skip);
    index_reader r;
    dg_status st = index_reader_open(archive, &r, err);
    if (st == DG_OK)
        st = index_version(archive, &r, index, version_id, skip, err);
    index_reader_close(&r);
    return st;
}

/* ---- a version read now, indexed later on another thread (index_pipe.h) ------------- */

struct dg_index_reader {
    index_reader r;
};

dg_status dg_index_reader_open(dg_archive *archive, dg_index_reader **out, dg_error *err)
{
    *out = calloc(1, sizeof **out);
    if (!*out)
        return dg_error_set(err, DG_ERR_NOMEM, "archive: out of memory");
    dg_status st = index_reader_open(archive, &(*out)->r, err);
    if (st != DG_OK) {
        free(*out);
        *out = NULL;
    }
    return st;
}

void dg_index_reader_close(dg_index_reader *reader)
{
    if (reader)
        index_reader_close(&reader->r);
    free(reader);
}

struct dg_index_job {
    int64_t version_id;
    int gone; /* destroyed or not live: deleted from the index */
    index_source s;
    int64_t *grants;
    size_t n_grants;
    char *body;
    char *folded; /* body folded for the index by the caller, or NULL (folded when put) */
    dg_error skip; /* the version's own failure, found when it was read (its text object) */
};

void dg_index_job_free(dg_index_job *job)
{
    if (!job)
        return;
    index_source_free(&job->s);
    free(job->grants);
    free(job->body);
    free(job->folded);
    free(job);
}

int64_t dg_index_job_version(const dg_index_job *job)
{
    return job->version_id;
}

/*
 * The version's text as put_version would read it. An object already named in the store (an
 * earlier record's, the same text) is read from it, so a damaged one is reported as before;
 * one not named yet was written by this group, and its bytes are the text the caller gives.
 */
static dg_status job_text(dg_archive *archive, dg_index_job *job, const char *body,
                          dg_error *err)
{
    dg_error_clear(&job->skip);
    if (dg_store_has(archive->store, job->s.text_sha)) {
        size_t len = 0;
        if (dg_store_get(archive->store, job->s.text_sha, (void **)&job->body, &len,
                         &job->skip) != DG_OK)
            name_skip(&job->s, &job->skip);
        return DG_OK;
    }
    if (!body)
        return dg_error_set(err, DG_ERR_INTERNAL, "index version %lld: no text given",
                            (long long)job->version_id);
    job->body = strdup(body);
    return job->body ? DG_OK : dg_error_set(err, DG_ERR_NOMEM, "archive: out of memory");
}

/* Keeps the caller's fold of body only for the very text the job indexes (the store's copy
 * of it is read when the store already had it): a fold of any other text is never used. */
static dg_status job_folded(dg_index_job *job, const char *body, const char *folded,
                            dg_error *err)
{
    if (!folded || !body || !job->body || strcmp(job->body, body) != 0)
        return DG_OK;
    job->folded = strdup(folded);
    return job->folded ? DG_OK : dg_error_set(err, DG_ERR_NOMEM, "archive: out of memory");
}

dg_status dg_index_job_read(dg_archive *archive, dg_index_reader *reader, int64_t version_id,
                            const char *body, const char *folded, dg_index_job **out,
                            dg_error *err)
{
    *out = NULL;
    dg_index_job *job = calloc(1, sizeof *job);
    if (!job)
        return dg_error_set(err, DG_ERR_NOMEM, "archive: out of memory");
    job->version_id = version_id;
    dg_status st = load_index_source(archive, &reader->r, version_id, &job->s, err);
    if (st == DG_ERR_NOT_FOUND || (st == DG_OK && strcmp(job->s.state, "live") != 0)) {
        job->gone = 1;
        st = DG_OK;
    } else if (st == DG_OK) {
        st = load_grants(archive, &reader->r, job->s.record_id, &job->grants, &job->n_grants,
                         err);
        if (st == DG_OK && job->s.text_sha)
            st = job_text(archive, job, body, err);
        if (st == DG_OK && job->s.text_sha)
            st = job_folded(job, body, folded, err);
    }
    if (st != DG_OK) {
        dg_index_job_free(job);
        return st;
    }
    *out = job;
    return DG_OK;
}

dg_status dg_index_job_put(dg_index *index, const dg_index_job *job, dg_error *skip,
                           dg_error *err)
{
    dg_error_clear(skip);
    if (job->gone)
        return dg_index_delete_version(index, job->version_id, err);
    if (job->skip.status != DG_OK) { /* its text object could not be read */
        *skip = job->skip;
        return DG_OK;
    }
    dg_index_doc doc = make_doc(job->version_id, &job->s, job->body, job->grants, job->n_grants);
    doc.folded_body = job->folded;
    if (dg_index_put(index, &doc, skip) != DG_OK)
        name_skip(&job->s, skip);
    return DG_OK;
}

/* ---- the queue ------------------------------------------------------------------------- */

/*
 * A reason may quote the text that failed (OpenCC quotes invalid UTF-8 it met), and it is
 * stored in the catalog and shown as JSON: iconv re-encodes it UTF-8 to UTF-8 and each
 * byte that does not convert becomes '?'. Returns a malloc'd copy, or NULL.
 */
static char *printable_reason(const char *reason)
{
    size_t len = strlen(reason);
    char *out = malloc(len + 1);
    if (!out)
        return NULL;
    iconv_t cd = iconv_open("UTF-8", "UTF-8");
    if (cd == (iconv_t)-1) {
        memcpy(out, reason, len + 1);
        return out;
    }
    char *in = (char *)reason, *to = out;
    size_t in_left = len, out_left = len;
    while (in_left > 0 && iconv(cd, &in, &in_left, &to, &out_left) == (size_t)-1) {
        if (errno != EILSEQ && errno != EINVAL)
            break;
        *to++ = '?', out_left--;
        in++, in_left--;
    }
    *to = '\0';
    iconv_close(cd);
    return out;
}

dg_status dg_index_failures_add(dg_index_failures *f, int64_t version_id, const char *reason,
                                dg_error *err)
{
    if (f->count == f->cap) {
        size_t cap = f->cap ? 2 * f->cap : 8;
        int64_t *ids = realloc(f->ids, cap * sizeof *ids);
        if (ids)
            f->ids = ids;
        char **reasons = ids ? realloc(f->reasons, cap * sizeof *reasons) : NULL;
        if (!reasons)
            return dg_error_set(err, DG_ERR_NOMEM, "archive: out of memory");
        f->reasons = reasons;
        f->cap = cap;
    }
    char *copy = printable_reason(reason && *reason ? reason : "could not be indexed");
    if (!copy)
        return dg_error_set(err, DG_ERR_NOMEM, "archive: out of memory");
    f->ids[f->count] = version_id;
    f->reasons[f->count++] = copy;
    return DG_OK;
}

void dg_index_failures_free(dg_index_failures *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->count; i++)
        free(f->reasons[i]);
    free(f->ids);
    free(f->reasons);
    memset(f, 0, sizeof *f);
}

dg_status dg_archive_queue_failures(dg_archive *archive, const dg_index_failures *f,
                                    dg_error *err)
{
    if (!f->count)
        return DG_OK;
    char now[32];
    dg_now_iso(now);
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(
        archive->db,
        "INSERT INTO index_queue(version_id, reason, failed_at) VALUES(?, ?, ?)"
        " ON CONFLICT(version_id) DO UPDATE SET reason = excluded.reason,"
        " failed_at = excluded.failed_at",
        &stmt, err);
    for (size_t i = 0; st == DG_OK && i < f->count; i++) {
        sqlite3_reset(stmt);
        sqlite3_bind_int64(stmt, 1, f->ids[i]);
        sqlite3_bind_text(stmt, 2, f->reasons[i], -1, SQLITE_STATIC);
        sqlite3_bind_text(stmt, 3, now, -1, SQLITE_STATIC);
        if (sqlite3_step(stmt) != SQLITE_DONE)
            st = dg_catalog_error(archive->db, err, "keep a version in the index queue");
    }
    sqlite3_finalize(stmt);
    return st;
}

static dg_status queued_versions(dg_archive *archive, int retry_failed, int64_t **ids,
                                 size_t *count, dg_error *err)
{
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(archive->db,
                                      retry_failed
                                          ? "SELECT version_id FROM index_queue ORDER BY 1"
                                          : "SELECT version_id FROM index_queue"
                                            " WHERE reason IS NULL ORDER BY 1",
                                      &stmt, err);
    if (st != DG_OK)
        return st;
    return dg_catalog_collect(archive->db, stmt, (void **)ids, count, sizeof **ids,
                              dg_row_read_int64, NULL, "read index queue", err);
}

/* Removes the indexed versions from the queue and keeps the failed ones with their reasons,
 * in one transaction. */
dg_status dg_index_queue_settle(dg_archive *archive, const int64_t *ids, const char *failed,
                                size_t count, const dg_index_failures *failures, dg_error *err)
{
    dg_status st = dg_catalog_begin_write(archive->db, err);
    sqlite3_stmt *stmt = NULL;
    if (st == DG_OK)
        st = dg_catalog_prepare(archive->db, "DELETE FROM index_queue WHERE version_id = ?",
                                &stmt, err);
    for (size_t i = 0; st == DG_OK && i < count; i++) {
        if (failed[i])
            continue;
        sqlite3_reset(stmt);
        sqlite3_bind_int64(stmt, 1, ids[i]);
        if (sqlite3_step(stmt) != SQLITE_DONE)
            st = dg_catalog_error(archive->db, err, "empty the index queue");
    }
    sqlite3_finalize(stmt);
    if (st == DG_OK)
        st = dg_archive_queue_failures(archive, failures, err);
    return dg_catalog_end_write(archive->db, st, err);
}

dg_status dg_archive_flush_index_queue(dg_archive *archive, int retry_failed,
                                       dg_index_failures *failed, dg_error *err)
{
    dg_index *index = NULL;
    dg_status st = dg_archive_index_writer(archive, &index, err);
    if (st != DG_OK)
        return st;
    int64_t *ids = NULL;
    size_t count = 0;
    st = queued_versions(archive, retry_failed, &ids, &count, err);
    char *failed_here = st == DG_OK ? calloc(count ? count : 1, 1) : NULL;
    if (st == DG_OK && !failed_here)
        st = dg_error_set(err, DG_ERR_NOMEM, "archive: out of memory");
    dg_index_failures mine = {0};
    index_reader reader = {0};
    if (st == DG_OK && count)
        st = index_reader_open(archive, &reader, err);
    for (size_t i = 0; st == DG_OK && i < count; i++) {
        dg_error skip;
        st = index_version(archive, &reader, index, ids[i], &skip, err);
        if (st == DG_OK && skip.status != DG_OK) {
            failed_here[i] = 1;
            st = dg_index_failures_add(&mine, ids[i], skip.msg, err);
        }
    }
    index_reader_close(&reader);
    /* The index commits before the queue empties: a crash in between only re-indexes. */
    if (st == DG_OK && count)
        st = dg_index_commit(index, err);
    if (st == DG_OK && count)
        st = dg_index_queue_settle(archive, ids, failed_here, count, &mine, err);
    for (size_t i = 0; st == DG_OK && failed && i < mine.count; i++)
        st = dg_index_failures_add(failed, mine.ids[i], mine.reasons[i], err);
    dg_index_failures_free(&mine);
    free(failed_here);
    free(ids);
    return st;
}

/* Indexes the queued work of the write just committed. */
dg_status dg_index_pending(dg_archive *archive, dg_error *err)
{
    dg_index_failures failed = {0};
    dg_status st = dg_archive_flush_index_queue(archive, 0, &failed, err);
    if (st != DG_OK)
        dg_error_prefix(err, "saved, but not yet searchable (the next dangan run "
                             "indexes it): ");
    else if (failed.count)
        /* The write is committed: say so, and why it cannot be found yet. */
        st = dg_error_set(err, DG_ERR_INDEX,
                          "saved, but cannot be indexed: %s%s (it stays queued: 'dangan verify' "
                          "lists it, 'dangan reindex' retries it)",
                          failed.reasons[0], failed.count > 1 ? " (and others)" : "");
    dg_index_failures_free(&failed);
    return st;
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
    index_reader reader;
    dg_index *index;
    dg_index_failures *failed;
    uint64_t total, *done;
} reindex_walk;

static dg_status index_row_version(sqlite3_stmt *stmt, void *ctx, dg_error *err)
{
    reindex_walk *w = ctx;
    int64_t id = sqlite3_column_int64(stmt, 0);
    dg_error skip;
    dg_status st = index_version(w->archive, &w->reader, w->index, id, &skip, err);
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
    st = index_reader_open(archive, &w.reader, err);
    if (st == DG_OK)
        st = dg_catalog_each_row(archive->db, stmt, index_row_version, &w, "read versions", err);
    else
        sqlite3_finalize(stmt);
    index_reader_close(&w.reader);
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
