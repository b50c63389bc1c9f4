/*
 * batch.c — the ingest journal (batch.h): batches and the outcome of each of their files
 * (tables batches, batch_files), and the quarantine folder with the files that could not
 * be filed and why.
 */
#include "batch.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "archive_internal.h"
#include "archive_keys.h"
#include "catalog.h"
#include "index_pipe.h"
#include "../base/fault.h"
#include "../base/hash.h"
#include "lock.h"
#include "log.h"
#include "store.h"
#include "text_guard.h"
#include "user.h"
#include "visibility.h"

const char *dg_file_outcome_name(dg_file_outcome outcome)
{
    switch (outcome) {
    case DG_FILE_FILED: return "filed";
    case DG_FILE_DUPLICATE: return "duplicate";
    case DG_FILE_QUARANTINED: return "quarantined";
    }
    return "?";
}

/*
 * While a batch holds the archive, SQLite keeps its temporary files in memory. A group files
 * each record as a savepoint, and each savepoint's sub-journal (the pages it changed, as
 * they were) went to a file in /var/tmp once past 64 KB: 67 writes a record, a quarter of
 * the filing thread's system calls. These files are never synced nor read after a crash
 * (the WAL is what a crash recovers from), so memory changes nothing but their cost; a
 * group's savepoint holds one record's pages. Only while held: elsewhere large sorts
 * (migrations, listings of a million records) keep spilling to disk.
 */
/*
 * A batch's holds read the catalog through a page cache of BATCH_CACHE_KIB instead of
 * SQLite's 2 MB: each record filed touches the indexes of records, versions, objects, the
 * journal and the log at random places (hashes, codes), and with a catalog larger than
 * the cache that was 24 reads a record from the kernel (pread, strace of 3,000 records
 * into 3,000). Only a cache: what is read and written is the same. Kept from the first
 * hold to dg_batch_finish, which puts the old size back (a server's handle stays small);
 * SQLite drops the cached pages itself when another writer commits in between.
 */
#define BATCH_CACHE_KIB 65536

static int read_int64(void *out, int n, char **values, char **names)
{
    (void)names;
    if (n > 0 && values[0])
        *(int64_t *)out = strtoll(values[0], NULL, 10);
    return 0;
}

/* SQLite's own calls, not the catalog's: a cache size that cannot be read or set changes
 * nothing but speed, so it is no failure of the batch (nor a fault point of the tests). */
static int64_t set_cache(sqlite3 *db, int64_t size)
{
    int64_t before = 0;
    if (sqlite3_exec(db, "PRAGMA cache_size", read_int64, &before, NULL) != SQLITE_OK ||
        before == 0)
        return 0;
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA cache_size=%lld", (long long)size);
    return sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? before : 0;
}

/*
 * keys.db too: every record filed in an encrypted archive puts its data key at a random
 * place of the key table (the key's id is random), and past about 100,000 keys the table
 * outgrows SQLite's 2 MB, so each record read a page of it from the kernel.
 */
static void widen_cache(dg_archive *archive)
{
    if (!archive->cache_before_batch)
        archive->cache_before_batch = set_cache(archive->db, -(int64_t)BATCH_CACHE_KIB);
    sqlite3 *keys = archive->keys ? dg_keys_db(archive->keys) : NULL;
    if (keys && !archive->keys_cache_before_batch)
        archive->keys_cache_before_batch = set_cache(keys, -(int64_t)BATCH_CACHE_KIB);
}

static void restore_cache(dg_archive *archive)
{
    if (archive->cache_before_batch)
        set_cache(archive->db, archive->cache_before_batch);
    archive->cache_before_batch = 0;
    if (archive->keys_cache_before_batch && archive->keys)
        set_cache(dg_keys_db(archive->keys), archive->keys_cache_before_batch);
    archive->keys_cache_before_batch = 0;
}

dg_status dg_batch_hold(dg_archive *archive, dg_error *err)
{
    dg_status st = dg_archive_lock_write(archive, err);
    if (st == DG_OK)
        widen_cache(archive);
    if (st == DG_OK && (st = dg_catalog_exec(archive->db, "PRAGMA temp_store=MEMORY", err)) != DG_OK)
        dg_archive_unlock_write(archive);
    else if (st == DG_OK && (st = dg_index_pipe_start(archive, &archive->pipe, err)) != DG_OK)
        dg_archive_unlock_write(archive);
    return st;
}

int dg_batch_group_due(dg_archive *archive)
{
    return archive->pipe && !sqlite3_get_autocommit(archive->db) &&
           dg_index_pipe_group_due(archive->pipe);
}

/*
 * A group's catalog transaction, and in an encrypted archive its keys.db transaction: the
 * group's new data keys commit together (one sync instead of one a record), before the
 * catalog commit that names them (keys.h).
 */
dg_status dg_batch_group_begin(dg_archive *archive, dg_error *err)
{
    dg_status st = dg_catalog_begin_write(archive->db, err);
    if (st == DG_OK && archive->keys && (st = dg_keys_group_begin(archive->keys, err)) != DG_OK)
        dg_catalog_rollback(archive->db);
    if (st == DG_OK) /* the group's objects are synced and named together, before its commit */
        dg_store_defer(archive->store, 1);
    return st;
}

/* Order: the objects' contents and names, then the data keys, are durable before the
 * catalog commit that refers to them; a kill between leaves only what nothing refers to. */
dg_status dg_batch_group_commit(dg_archive *archive, dg_error *err)
{
    if (sqlite3_get_autocommit(archive->db))
        return DG_OK;
    dg_status st = dg_store_publish_deferred(archive->store, err);
    if (st == DG_OK && archive->keys)
        st = dg_keys_group_commit(archive->keys, err);
    if (st == DG_OK && dg_fault("batch.commit"))
        st = dg_error_set(err, DG_ERR_IO, "%s: cannot commit: %s", archive->path,
                          strerror(errno));
    if (st == DG_OK)
        st = dg_catalog_commit(archive->db, err);
    dg_store_defer(archive->store, 0);
    if (archive->pipe && st == DG_OK) /* now, and only now, the group's versions may be indexed */
        dg_index_pipe_committed(archive->pipe);
    else if (archive->pipe)
        dg_index_pipe_undone(archive->pipe);
    if (st != DG_OK) {
        dg_catalog_rollback(archive->db);
        if (archive->keys) /* keys of records never committed: as a failed record's */
            dg_keys_group_abandon(archive->keys);
        dg_archive_keep_writing_mark(archive); /* the objects of the records not committed */
        dg_error_prefix(err, "the records filed since the last commit were not filed: ");
    }
    return st;
}

dg_status dg_batch_let_go(dg_archive *archive, dg_index_failures *failed, dg_error *err)
{
    dg_status st = dg_batch_group_commit(archive, err);
    dg_status indexed = DG_OK;
    dg_error index_err;
    if (archive->pipe) { /* indexes what was committed, even after a failed last commit */
        indexed = dg_index_pipe_finish(archive->pipe, failed, &index_err);
        archive->pipe = NULL;
    }
    /* and what is still queued: a version the pipe could not read, or an earlier process's */
    if (st == DG_OK && indexed == DG_OK)
        indexed = dg_archive_flush_index_queue(archive, 0, failed, &index_err);
    if (st == DG_OK && indexed != DG_OK) {
        st = indexed;
        *err = index_err;
        dg_error_prefix(err, "saved, but not yet searchable (the next dangan run indexes it): ");
    }
    dg_error ignored; /* the catalog is committed or rolled back here: nothing depends on it */
    dg_catalog_exec(archive->db, "PRAGMA temp_store=DEFAULT", &ignored);
    dg_archive_unlock_write(archive);
    return st;
}

static dg_status require_archivist(dg_archive *archive, const dg_actor *actor, const char *action,
                                   unsigned also, dg_error *err)
{
    return dg_require_role(archive, actor, DG_ROLE_ARCHIVIST | DG_ROLE_ADMIN | also,
                           &(dg_log_event){.action = action}, err,
                           "%s: only archivists and admins may do this", action);
}

dg_status dg_batch_begin(dg_archive *archive, const dg_actor *actor, const char *label,
                         uint64_t files, int64_t *batch_id, dg_error *err)
{
    dg_status st = dg_text_guard("batch label", label, err);
    if (st == DG_OK)
        st = require_archivist(archive, actor, "ingest", 0, err);
    if (st != DG_OK)
        return st;
    char now[32];
    dg_now_iso(now);
    sqlite3_stmt *stmt;
    st = dg_catalog_prepare(archive->db,
                            "INSERT INTO batches(label, user_id, started_at, files) VALUES(?,?,?,?)",
                            &stmt, err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_text(stmt, 1, label, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 2, actor->user_id);
    sqlite3_bind_text(stmt, 3, now, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 4, (sqlite3_int64)files);
    st = dg_catalog_step_done(archive->db, stmt, err);
    if (st == DG_OK)
        *batch_id = sqlite3_last_insert_rowid(archive->db);
    return st;
}

dg_status dg_batch_note_file(dg_archive *archive, int64_t batch_id, const dg_batch_file *f,
                             dg_error *err)
{
    dg_text_field fields[] = {{"batch file name", f->name}, {"batch file reason", f->reason},
                              {"batch file record", f->refcode}, {"batch file hash", f->sha256}};
    dg_status st = dg_text_guard_all(fields, sizeof fields / sizeof fields[0], err);
    if (st != DG_OK)
        return st;
    char now[32];
    dg_now_iso(now);
    /* File names and reasons may quote what a file holds: sealed (archive_keys.h). */
    char *name = NULL, *reason = NULL;
    char hash[DG_SOURCE_HASH_MAX]; /* keyed in an encrypted archive, as the version's */
    st = dg_journal_seal(archive, f->name, &name, err);
    if (st == DG_OK)
        st = dg_journal_seal(archive, f->reason, &reason, err);
    if (st == DG_OK && f->sha256)
        st = dg_source_hash(archive, f->sha256, 1, hash, err);
    sqlite3_stmt *stmt = NULL;
    if (st == DG_OK)
        st = dg_catalog_prepare(
            archive->db,
            "INSERT INTO batch_files(batch_id, name, sha256, outcome, refcode, reason, pages,"
            " confidence, seconds, at, level) VALUES(?,?,?,?,?,?,?,?,?,?,?)",
            &stmt, err);
    if (st == DG_OK) {
        sqlite3_bind_int64(stmt, 1, batch_id);
        sqlite3_bind_text(stmt, 2, name, -1, SQLITE_STATIC);
        dg_bind_text_or_null(stmt, 3, f->sha256 ? hash : NULL);
        sqlite3_bind_text(stmt, 4, dg_file_outcome_name(f->outcome), -1, SQLITE_STATIC);
        dg_bind_text_or_null(stmt, 5, f->refcode);
        dg_bind_text_or_null(stmt, 6, reason);
        sqlite3_bind_int(stmt, 7, f->pages);
        if (f->confidence >= 0)
            sqlite3_bind_double(stmt, 8, f->confidence);
        sqlite3_bind_double(stmt, 9, f->seconds);
        sqlite3_bind_text(stmt, 10, now, -1, SQLITE_STATIC);
        sqlite3_bind_int(stmt, 11, f->level);
        st = dg_catalog_step_done(archive->db, stmt, err);
    }
    free(name);
    free(reason);
    return st;
}

/* Writes a whole file (0600) and syncs it. */
static dg_status write_private_file(const char *path, const void *data, size_t len, dg_error *err)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return dg_error_set(err, DG_ERR_IO, "%s: %s", path, strerror(errno));
    size_t done = 0;
    while (done < len) {
        ssize_t n = write(fd, (const char *)data + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            close(fd);
            return dg_error_set(err, DG_ERR_IO, "%s: %s", path, strerror(errno));
        }
        done += (size_t)n;
    }
    if (fsync(fd) != 0 || close(fd) != 0)
        return dg_error_set(err, DG_ERR_IO, "%s: %s", path, strerror(errno));
    return DG_OK;
}

/* The quarantine keeps the file's base name, made safe and unique with the row's id. */
static void quarantine_name(int64_t id, const char *name, char *out, size_t size)
{
    const char *base = strrchr(name, '/') ? strrchr(name, '/') + 1 : name;
    int n = snprintf(out, size, "%06lld-", (long long)id);
    for (const char *p = base; *p && n > 0 && (size_t)n < size - 1; p++)
        out[n++] = (*p == '/' || (unsigned char)*p < 0x20) ? '_' : *p;
    if (n > 0 && (size_t)n < size)
        out[n] = '\0';
}

static dg_status insert_quarantine_row(dg_archive *archive, int64_t batch_id, const char *name,
                                       const char *reason, const char *sha, int level,
                                       int64_t *id, dg_error *err)
{
    char now[32];
    dg_now_iso(now);
    char *sealed_name = NULL, *sealed_reason = NULL;
    dg_status st = dg_journal_seal(archive, name, &sealed_name, err);
    if (st == DG_OK)
        st = dg_journal_seal(archive, reason, &sealed_reason, err);
    sqlite3_stmt *stmt = NULL;
    if (st == DG_OK)
        st = dg_catalog_prepare(archive->db,
                                "INSERT INTO quarantine(batch_id, name, reason, sha256, at, level)"
                                " VALUES(?,?,?,?,?,?)",
                                &stmt, err);
    if (st == DG_OK) {
        if (batch_id > 0)
            sqlite3_bind_int64(stmt, 1, batch_id);
        sqlite3_bind_text(stmt, 2, sealed_name, -1, SQLITE_STATIC);
        sqlite3_bind_text(stmt, 3, sealed_reason, -1, SQLITE_STATIC);
        dg_bind_text_or_null(stmt, 4, sha);
        sqlite3_bind_text(stmt, 5, now, -1, SQLITE_STATIC);
        sqlite3_bind_int(stmt, 6, level);
        st = dg_catalog_step_done(archive->db, stmt, err);
    }
    free(sealed_name);
    free(sealed_reason);
    if (st == DG_OK)
        *id = sqlite3_last_insert_rowid(archive->db);
    return st;
}

static dg_status set_stored_as(dg_archive *archive, int64_t id, const char *stored, dg_error *err)
{
    char *sealed = NULL; /* the stored name carries the file's own */
    dg_status st = dg_journal_seal(archive, stored, &sealed, err);
    sqlite3_stmt *stmt = NULL;
    if (st == DG_OK)
        st = dg_catalog_prepare(archive->db, "UPDATE quarantine SET stored_as = ? WHERE id = ?",
                                &stmt, err);
    if (st == DG_OK) {
        sqlite3_bind_text(stmt, 1, sealed, -1, SQLITE_STATIC);
        sqlite3_bind_int64(stmt, 2, id);
        st = dg_catalog_step_done(archive->db, stmt, err);
    }
    free(sealed);
    return st;
}

static dg_status store_quarantined_copy(dg_archive *archive, int64_t id, const char *name,
                                        const void *data, size_t len, const char *reason,
                                        char *stored, size_t stored_size, dg_error *err)
{
    quarantine_name(id, name, stored, stored_size);
    char path[4096], reason_path[4200];
    snprintf(path, sizeof path, "%s/quarantine/%s", archive->path, stored);
    snprintf(reason_path, sizeof reason_path, "%s.reason", path);
    char line[2048];
    int n = snprintf(line, sizeof line, "%s: %s\n", name, reason);
    dg_status st = DG_OK;
    if (data)
        st = write_private_file(path, data, len, err);
    if (st == DG_OK)
        st = write_private_file(reason_path, line, n > 0 ? (size_t)n : 0, err);
    return st;
}

/* A file already in quarantine (a rerun of the same batch) is journalled, not copied again. */
static dg_status already_quarantined(dg_archive *archive, const char *sha, int *found,
                                     dg_error *err)
{
    sqlite3_stmt *stmt;
    dg_status st =
        dg_catalog_prepare(archive->db, "SELECT 1 FROM quarantine WHERE sha256 = ?", &stmt, err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_text(stmt, 1, sha, -1, SQLITE_STATIC);
    st = dg_catalog_step_maybe_row(archive->db, stmt, found, "look up quarantine", err);
    sqlite3_finalize(stmt);
    return st;
}

dg_status dg_quarantine_file(dg_archive *archive, const dg_actor *actor, int64_t batch_id,
                             const char *name, const void *data, size_t len,
                             const char *reason, int level, dg_error *err)
{
    dg_text_field fields[] = {{"quarantined file name", name}, {"quarantine reason", reason}};
    dg_status guard = dg_text_guard_all(fields, sizeof fields / sizeof fields[0], err);
    if (guard != DG_OK)
        return guard;
    char sha[DG_SHA256_HEX] = "";
    if (data)
        dg_sha256_hex(data, len, sha);
    int64_t id = 0;
    int known = 0;
    dg_status st = dg_catalog_begin_write(archive->db, err);
    if (st != DG_OK)
        return st;
    if (data)
        st = already_quarantined(archive, sha, &known, err);
    if (st != DG_OK) {
        dg_catalog_rollback(archive->db);
        return st;
    }
    if (known) {
        dg_batch_file f = {.name = name, .sha256 = sha, .outcome = DG_FILE_QUARANTINED,
                           .reason = reason, .confidence = -1, .level = level};
        st = batch_id > 0 ? dg_batch_note_file(archive, batch_id, &f, err) : DG_OK;
        return dg_catalog_end_write(archive->db, st, err);
    }
    st = insert_quarantine_row(archive, batch_id, name, reason, data ? sha : NULL, level, &id,
                               err);
    char stored[512] = "";
    if (st == DG_OK)
        st = store_quarantined_copy(archive, id, name, data, len, reason, stored, sizeof stored, err);
    if (st == DG_OK && data)
        st = set_stored_as(archive, id, stored, err);
    if (st == DG_OK && batch_id > 0) {
        dg_batch_file f = {.name = name, .sha256 = data ? sha : NULL,
                           .outcome = DG_FILE_QUARANTINED, .reason = reason, .confidence = -1,
                           .level = level};
        st = dg_batch_note_file(archive, batch_id, &f, err);
    }
    if (st == DG_OK) {
        char detail[1024];
        snprintf(detail, sizeof detail, "%s: %s", name, reason);
        dg_log_event ev = {.action = "quarantine", .hits = -1, .outcome = "ok", .detail = detail};
        st = dg_log_append_in_txn(archive, actor, NULL, &ev, err);
    }
    return dg_catalog_end_write(archive->db, st, err);
}

static dg_status batch_counts(dg_archive *archive, int64_t batch_id, uint64_t c[4], dg_error *err)
{
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(
        archive->db,
        "SELECT sum(outcome = 'filed'), sum(outcome = 'duplicate'), sum(outcome = 'quarantined'),"
        " sum(pages) FROM batch_files WHERE batch_id = ?",
        &stmt, err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_int64(stmt, 1, batch_id);
    st = dg_catalog_step_row(archive->db, stmt, "count batch files", err, NULL);
    for (int i = 0; st == DG_OK && i < 4; i++)
        c[i] = (uint64_t)sqlite3_column_int64(stmt, i);
    sqlite3_finalize(stmt);
    return st;
}

dg_status dg_batch_finish(dg_archive *archive, const dg_actor *actor, int64_t batch_id,
                          double seconds, dg_error *err)
{
    uint64_t c[4] = {0};
    char now[32];
    dg_now_iso(now);
    restore_cache(archive);
    dg_status st = dg_catalog_begin_write(archive->db, err);
    if (st != DG_OK)
        return st;
    sqlite3_stmt *stmt;
    st = dg_catalog_prepare(archive->db,
                            "UPDATE batches SET finished_at = ?, seconds = ? WHERE id = ?", &stmt,
                            err);
    if (st == DG_OK) {
        sqlite3_bind_text(stmt, 1, now, -1, SQLITE_STATIC);
        sqlite3_bind_double(stmt, 2, seconds);
        sqlite3_bind_int64(stmt, 3, batch_id);
        st = dg_catalog_step_done(archive->db, stmt, err);
    }
    if (st == DG_OK)
        st = batch_counts(archive, batch_id, c, err);
    if (st == DG_OK) {
        char detail[160];
        snprintf(detail, sizeof detail,
                 "batch %lld: %llu filed, %llu duplicates, %llu quarantined, %llu pages",
                 (long long)batch_id, (unsigned long long)c[0], (unsigned long long)c[1],
                 (unsigned long long)c[2], (unsigned long long)c[3]);
        dg_log_event ev = {.action = "ingest", .hits = (long)c[0], .outcome = "ok",
                           .detail = detail};
        st = dg_log_append_in_txn(archive, actor, NULL, &ev, err);
    }
    return dg_catalog_end_write(archive->db, st, err);
}

#define BATCH_SUMMARY_SQL                                                                    \
    "SELECT b.id, b.label, b.started_at, b.finished_at, coalesce(u.login, '?'), b.files,"   \
    " (SELECT count(*) FROM batch_files f WHERE f.batch_id = b.id AND f.outcome = 'filed'),"  \
    " (SELECT count(*) FROM batch_files f WHERE f.batch_id = b.id AND f.outcome = 'duplicate'),"  \
    " (SELECT count(*) FROM batch_files f WHERE f.batch_id = b.id AND f.outcome = 'quarantined'),"  \
    " (SELECT coalesce(sum(pages), 0) FROM batch_files f WHERE f.batch_id = b.id),"        \
    " coalesce(b.seconds, 0) FROM batches b LEFT JOIN users u ON u.id = b.user_id"

static void summary_from_row(sqlite3_stmt *stmt, void *item, void *ctx)
{
    (void)ctx;
    dg_batch_summary *b = item;
    b->id = sqlite3_column_int64(stmt, 0);
    b->label = dg_column_strdup(stmt, 1);
    b->started_at = dg_column_strdup(stmt, 2);
    b->finished_at = dg_column_strdup(stmt, 3);
    b->user = dg_column_strdup(stmt, 4);
    b->files = (uint64_t)sqlite3_column_int64(stmt, 5);
    b->filed = (uint64_t)sqlite3_column_int64(stmt, 6);
    b->duplicates = (uint64_t)sqlite3_column_int64(stmt, 7);
    b->quarantined = (uint64_t)sqlite3_column_int64(stmt, 8);
    b->pages = (uint64_t)sqlite3_column_int64(stmt, 9);
    b->seconds = sqlite3_column_double(stmt, 10);
}

static void summary_free(dg_batch_summary *b)
{
    free(b->label);
    free(b->started_at);
    free(b->finished_at);
    free(b->user);
}

void dg_batch_summaries_free(dg_batch_summary *list, size_t count)
{
    for (size_t i = 0; i < count; i++)
        summary_free(&list[i]);
    free(list);
}

dg_status dg_batch_list(dg_archive *archive, const dg_actor *actor, dg_batch_summary **out,
                        size_t *count, dg_error *err)
{
    *out = NULL;
    *count = 0;
    dg_status st = require_archivist(archive, actor, "batch.list", DG_ROLE_AUDITOR, err);
    sqlite3_stmt *stmt = NULL;
    if (st == DG_OK)
        st = dg_catalog_prepare(archive->db, BATCH_SUMMARY_SQL " ORDER BY b.id DESC", &stmt, err);
    if (st == DG_OK)
        st = dg_catalog_collect(archive->db, stmt, (void **)out, count, sizeof **out,
                                summary_from_row, NULL, "list batches", err);
    if (st != DG_OK) {
        dg_batch_summaries_free(*out, *count);
        *out = NULL;
        *count = 0;
    }
    return st;
}

void dg_batch_entries_free(dg_batch_entry *files, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        free(files[i].name);
        free(files[i].sha256);
        free(files[i].outcome);
        free(files[i].refcode);
        free(files[i].reason);
    }
    free(files);
}

static void entry_from_row(sqlite3_stmt *stmt, void *item, void *ctx)
{
    (void)ctx;
    dg_batch_entry *f = item;
    f->name = dg_column_strdup(stmt, 0);
    f->sha256 = dg_column_strdup(stmt, 1);
    f->outcome = dg_column_strdup(stmt, 2);
    f->refcode = dg_column_strdup(stmt, 3);
    f->reason = dg_column_strdup(stmt, 4);
    f->pages = sqlite3_column_int(stmt, 5);
    f->confidence = sqlite3_column_double(stmt, 6);
    f->seconds = sqlite3_column_double(stmt, 7);
    f->level = sqlite3_column_int(stmt, 8);
}

static dg_status load_batch_files(dg_archive *archive, int64_t batch_id, dg_batch_entry **files,
                                  size_t *count, dg_error *err)
{
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(
        archive->db,
        "SELECT dg_clear(name), sha256, outcome, refcode, dg_clear(reason), pages,"
        " coalesce(confidence, -1), seconds, level FROM batch_files WHERE batch_id = ?"
        " ORDER BY rowid",
        &stmt, err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_int64(stmt, 1, batch_id);
    return dg_catalog_collect(archive->db, stmt, (void **)files, count, sizeof **files,
                              entry_from_row, NULL, "read batch files", err);
}

/*
 * A file filed as, or found a duplicate of, a record the reader may not see keeps its
 * outcome, pages and times; its name, checksum, record and reason read as withheld (issue 15,
 * item 4), so a batch listing tells no more than a search would. A file that became no
 * record is named as dg_batch_file_shown_to says: not beside a hidden record of its batch.
 */
static dg_status mask_batch_files(dg_archive *archive, const dg_actor *actor, int64_t batch_id,
                                  dg_batch_entry *files, size_t count, dg_error *err)
{
    dg_batch_memo memo = {0};
    for (size_t i = 0; i < count; i++) {
        int shown = 1;
        dg_status st = files[i].refcode
                           ? dg_refcode_shown_to(archive->db, actor, files[i].refcode, &shown, err)
                           : dg_batch_file_shown_to(archive->db, actor, &memo, batch_id,
                                                    files[i].level, &shown, err);
        if (st != DG_OK)
            return st;
        if (shown && (!files[i].refcode || dg_level_shown_to(actor, files[i].level)))
            continue;
        char **fields[] = {&files[i].name, &files[i].sha256, &files[i].refcode, &files[i].reason};
        for (size_t k = 0; k < sizeof fields / sizeof *fields; k++) {
            if (!*fields[k])
                continue;
            free(*fields[k]);
            if (!(*fields[k] = strdup(DG_WITHHELD)))
                return dg_error_set(err, DG_ERR_NOMEM, "batch show: out of memory");
        }
        files[i].confidence = -1;
    }
    return DG_OK;
}

dg_status dg_batch_show(dg_archive *archive, const dg_actor *actor, int64_t batch_id,
                        dg_batch_summary *summary, dg_batch_entry **files, size_t *count,
                        dg_error *err)
{
    memset(summary, 0, sizeof *summary);
    *files = NULL;
    *count = 0;
    dg_status st = require_archivist(archive, actor, "batch.show", DG_ROLE_AUDITOR, err);
    sqlite3_stmt *stmt = NULL;
    if (st == DG_OK)
        st = dg_catalog_prepare(archive->db, BATCH_SUMMARY_SQL " WHERE b.id = ?", &stmt, err);
    if (st == DG_OK) {
        sqlite3_bind_int64(stmt, 1, batch_id);
        st = dg_catalog_step_row(archive->db, stmt, "read batch", err,
                                 "batch %lld: no such batch", (long long)batch_id);
        if (st == DG_OK)
            summary_from_row(stmt, summary, NULL);
    }
    sqlite3_finalize(stmt);
    if (st == DG_OK)
        st = load_batch_files(archive, batch_id, files, count, err);
    if (st == DG_OK)
        st = mask_batch_files(archive, actor, batch_id, *files, *count, err);
    if (st != DG_OK) {
        summary_free(summary);
        dg_batch_entries_free(*files, *count);
        *files = NULL;
        *count = 0;
    }
    return st;
}

void dg_quarantined_free(dg_quarantined *list, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        free(list[i].name);
        free(list[i].reason);
        free(list[i].stored_as);
        free(list[i].at);
    }
    free(list);
}

static void quarantined_from_row(sqlite3_stmt *stmt, void *item, void *ctx)
{
    (void)ctx;
    dg_quarantined *q = item;
    q->id = sqlite3_column_int64(stmt, 0);
    q->batch_id = sqlite3_column_int64(stmt, 1);
    q->name = dg_column_strdup(stmt, 2);
    q->reason = dg_column_strdup(stmt, 3);
    q->stored_as = dg_column_strdup(stmt, 4);
    q->at = dg_column_strdup(stmt, 5);
    q->level = sqlite3_column_int(stmt, 6);
}

/* A file meant for a level the reader may not see, or quarantined from a batch that filed a
 * record they may not see (dg_batch_file_shown_to): which file, and why, is withheld. */
static dg_status mask_quarantined(sqlite3 *db, const dg_actor *actor, dg_quarantined *list,
                                  size_t count, dg_error *err)
{
    dg_batch_memo memo = {0};
    for (size_t i = 0; i < count; i++) {
        int shown = 0;
        dg_status st = dg_batch_file_shown_to(db, actor, &memo, list[i].batch_id, list[i].level,
                                              &shown, err);
        if (st != DG_OK)
            return st;
        if (shown)
            continue;
        char **fields[] = {&list[i].name, &list[i].reason, &list[i].stored_as};
        for (size_t k = 0; k < sizeof fields / sizeof *fields; k++) {
            if (!*fields[k])
                continue;
            free(*fields[k]);
            if (!(*fields[k] = strdup(DG_WITHHELD)))
                return dg_error_set(err, DG_ERR_NOMEM, "quarantine list: out of memory");
        }
    }
    return DG_OK;
}

dg_status dg_quarantine_list(dg_archive *archive, const dg_actor *actor, dg_quarantined **out,
                             size_t *count, dg_error *err)
{
    *out = NULL;
    *count = 0;
    dg_status st = require_archivist(archive, actor, "quarantine.list", DG_ROLE_AUDITOR, err);
    sqlite3_stmt *stmt = NULL;
    if (st == DG_OK)
        st = dg_catalog_prepare(archive->db,
                                "SELECT id, coalesce(batch_id, 0), dg_clear(name),"
                                " dg_clear(reason), dg_clear(stored_as), at, level"
                                " FROM quarantine ORDER BY id",
                                &stmt, err);
    if (st == DG_OK)
        st = dg_catalog_collect(archive->db, stmt, (void **)out, count, sizeof **out,
                                quarantined_from_row, NULL, "list quarantine", err);
    if (st == DG_OK)
        st = mask_quarantined(archive->db, actor, *out, *count, err);
    if (st != DG_OK) {
        dg_quarantined_free(*out, *count);
        *out = NULL;
        *count = 0;
    }
    return st;
}
