/*
 * archive_open.c — creating an archive (its folders, first catalog, index and log entry)
 * and opening one: the handle (archive.c), then the work a killed or crashed process left,
 * finished by whichever process opens the archive next while nobody writes: a destruction
 * killed half way (destruction.c), a crashed writer's objects (lock.c), an owed rebuild or
 * queued versions (indexer.c). It sits above all of those, so none of them calls back up.
 */
#include "archive_internal.h"

#include <errno.h>
#include <ftw.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "catalog.h"
#include "destruction.h"
#include "indexer.h"
#include "lock.h"
#include "log.h"
#include "text_guard.h"
#include "user.h"

static dg_status make_private_dir(const char *path, dg_error *err)
{
    if (mkdir(path, 0700) != 0 && errno != EEXIST)
        return dg_error_set(err, DG_ERR_IO, "%s: cannot create folder: %s", path,
                            strerror(errno));
    if (chmod(path, 0700) != 0)
        return dg_error_set(err, DG_ERR_IO, "%s: cannot make folder private: %s", path,
                            strerror(errno));
    return DG_OK;
}

static int dir_is_empty_or_absent(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return errno == ENOENT;
    if (!S_ISDIR(st.st_mode))
        return 0;
    char *catalog = dg_archive_path_join(path, "catalog.db");
    int empty = catalog && access(catalog, F_OK) != 0;
    free(catalog);
    return empty;
}

static dg_status valid_fonds(const char *fonds, dg_error *err)
{
    size_t len = strlen(fonds);
    int ok = len == 4;
    for (size_t i = 0; ok && i < len; i++)
        ok = (fonds[i] >= 'A' && fonds[i] <= 'Z') || (fonds[i] >= '0' && fonds[i] <= '9');
    return ok ? DG_OK
              : dg_error_set(err, DG_ERR_USAGE,
                             "fonds code '%s' must be 4 capital letters or digits (e.g. X001)",
                             fonds);
}

static dg_status write_settings(sqlite3 *db, const char *fonds, const char *name, dg_error *err)
{
    char now[32];
    dg_now_iso(now);
    dg_status st = dg_setting_set(db, "fonds", fonds, err);
    if (st == DG_OK)
        st = dg_setting_set(db, "name", name, err);
    if (st == DG_OK)
        st = dg_setting_set(db, "created_at", now, err);
    return st;
}

static dg_status insert_owner(sqlite3 *db, const char *login, const char *name, dg_error *err)
{
    char now[32];
    dg_now_iso(now);
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(
        db, "INSERT INTO users(login, name, clearance, roles, created_at) VALUES(?,?,4,?,?)",
        &stmt, err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_text(stmt, 1, login, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, name ? name : login, -1, SQLITE_STATIC);
    sqlite3_bind_int(stmt, 3, DG_ROLE_ADMIN | DG_ROLE_ARCHIVIST | DG_ROLE_AUDITOR);
    sqlite3_bind_text(stmt, 4, now, -1, SQLITE_STATIC);
    return dg_catalog_step_done(db, stmt, err);
}

static const char *const LAYOUT_DIRS[] = {"objects", "index", "quarantine"};
enum { N_LAYOUT_DIRS = sizeof LAYOUT_DIRS / sizeof LAYOUT_DIRS[0] };

/* Which parts of the layout dg_archive_create made (and may therefore take away). */
typedef struct created_layout {
    int folder;
    int sub[N_LAYOUT_DIRS];
} created_layout;

static dg_status create_layout(const char *path, created_layout *made, dg_error *err)
{
    made->folder = access(path, F_OK) != 0;
    dg_status st = make_private_dir(path, err);
    for (size_t i = 0; st == DG_OK && i < N_LAYOUT_DIRS; i++) {
        char *sub = dg_archive_path_join(path, LAYOUT_DIRS[i]);
        made->sub[i] = sub && access(sub, F_OK) != 0;
        st = sub ? make_private_dir(sub, err)
                 : dg_error_set(err, DG_ERR_NOMEM, "%s: out of memory", path);
        free(sub);
    }
    return st;
}

static int remove_entry(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
    (void)sb, (void)type, (void)ftw;
    return remove(path);
}

/*
 * A failed init takes away what it made, so that init can simply be run again (a half
 * made archive would refuse it as "already there" and hold no usable catalog). Only what
 * this init created goes: the files of a new catalog, and the folders it made.
 */
static void undo_create(const char *path, const created_layout *made)
{
    static const char *const FILES[] = {"catalog.db", "catalog.db-wal", "catalog.db-shm",
                                        DG_LOG_FILE, DG_LOG_FILE "-wal", DG_LOG_FILE "-shm",
                                        "write.lock", "writing", "keys.db", "keys.db-wal",
                                        "keys.db-shm"};
    char buf[4096];
    for (size_t i = 0; i < sizeof FILES / sizeof FILES[0]; i++) {
        snprintf(buf, sizeof buf, "%s/%s", path, FILES[i]);
        unlink(buf);
    }
    for (size_t i = 0; i < N_LAYOUT_DIRS; i++) {
        snprintf(buf, sizeof buf, "%s/%s", path, LAYOUT_DIRS[i]);
        if (made->sub[i])
            nftw(buf, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    }
    if (made->folder)
        rmdir(path);
}

static dg_status create_archive(const char *path, const char *fonds, const char *name,
                                const char *owner_login, const char *owner_name,
                                int encrypted, dg_error *err);

/*
 * With a master key configured (keys.h), the new archive is encrypted: its key table is
 * made now, under that key. Without one it is not, as before encryption existed.
 */
static dg_status make_key_table(const char *path, int *encrypted, dg_error *err)
{
    *encrypted = 0;
    char *key_path = NULL;
    dg_status st = dg_master_key_path(&key_path, err);
    if (st != DG_OK || !key_path)
        return st;
    free(key_path);
    unsigned char master[DG_KEY_BYTES];
    st = dg_archive_master_key(path, master, err);
    if (st == DG_OK)
        st = dg_keys_create(path, master, err);
    sodium_memzero(master, sizeof master);
    *encrypted = st == DG_OK;
    return st;
}

dg_status dg_archive_create(const char *path, const char *fonds, const char *name,
                            const char *owner_login, const char *owner_name, dg_error *err)
{
    dg_text_field fields[] = {{"fonds", fonds}, {"archive name", name},
                              {"owner login", owner_login}, {"owner name", owner_name}};
    dg_status st = dg_text_guard_all(fields, sizeof fields / sizeof fields[0], err);
    if (st == DG_OK)
        st = valid_fonds(fonds, err);
    if (st != DG_OK)
        return st;
    if (!dir_is_empty_or_absent(path))
        return dg_error_set(err, DG_ERR_EXISTS, "%s: an archive (or other file) is already there",
                            path);
    created_layout made = {0};
    st = create_layout(path, &made, err);
    int encrypted = 0;
    if (st == DG_OK)
        st = make_key_table(path, &encrypted, err);
    if (st == DG_OK)
        st = create_archive(path, fonds, name, owner_login, owner_name, encrypted, err);
    if (st != DG_OK)
        undo_create(path, &made);
    return st;
}

/*
 * Opening an archive forgives a failed index build (the archive still serves, and verify
 * says a rebuild is owed); a new archive must not start that way, so init fails instead.
 */
static dg_status index_was_made(dg_archive *archive, dg_error *err)
{
    char *failed = NULL;
    dg_status st = dg_setting_get(archive->db, DG_REBUILD_OWED, &failed, err);
    free(failed);
    failed = NULL;
    if (st == DG_ERR_NOT_FOUND)
        return DG_OK;
    if (st != DG_OK)
        return st;
    st = dg_setting_get(archive->db, DG_REBUILD_FAILED, &failed, err);
    st = dg_error_set(err, DG_ERR_IO, "init: the index could not be made%s%.900s",
                      st == DG_OK ? ": " : "", st == DG_OK ? failed : "");
    free(failed);
    return st;
}

/* The catalog, the index and the first log entry of a new archive in its new folders. */
static dg_status create_archive(const char *path, const char *fonds, const char *name,
                                const char *owner_login, const char *owner_name,
                                int encrypted, dg_error *err)
{
    char *catalog_path = dg_archive_path_join(path, "catalog.db");
    if (!catalog_path)
        return dg_error_set(err, DG_ERR_NOMEM, "%s: out of memory", path);
    sqlite3 *db = NULL;
    dg_status st = dg_catalog_open(catalog_path, 1, &db, err);
    free(catalog_path);
    if (st != DG_OK)
        return st;
    st = dg_catalog_begin_write(db, err);
    if (st == DG_OK)
        st = write_settings(db, fonds, name, err);
    if (st == DG_OK && encrypted)
        st = dg_setting_set(db, DG_ENCRYPTION_SETTING, DG_ENCRYPTION_SCHEME, err);
    if (st == DG_OK)
        st = insert_owner(db, owner_login, owner_name, err);
    st = dg_catalog_end_write(db, st, err);
    dg_catalog_close(db);
    if (st != DG_OK)
        return st;

    /* Open it as a whole once: creates the index and logs the creation as entry 1. */
    dg_archive *archive = NULL;
    st = dg_archive_open(path, &archive, err);
    if (st != DG_OK)
        return st;
    dg_actor owner;
    st = index_was_made(archive, err);
    if (st == DG_OK)
        st = dg_actor_login(archive, owner_login, "cli", &owner, err);
    if (st == DG_OK)
        st = dg_archive_lock_write(archive, err);
    if (st == DG_OK) {
        dg_archive_unlock_write(archive);
        dg_log_event ev = {.action = "init", .hits = -1, .outcome = "ok", .detail = name};
        st = dg_log_append(archive, &owner, NULL, &ev, err);
    }
    dg_archive_close(archive);
    return st;
}

/*
 * Whether the index must be built whole: its databases are gone (the folder, or its
 * contents, deleted by hand or lost: the queue cannot say what to re-index then), or it is
 * the single database of every level of a dangan before index format 3, whose scores leak
 * statistics of hidden records; that one is rebuilt by level on the first writable open,
 * as a user expects of an upgrade, without being asked.
 */
static int index_needs_rebuild(const dg_archive *archive)
{
    return dg_index_folder_state(archive->index_path) != DG_INDEX_PRESENT;
}

/* Whether one row answers sql (a cheap existence check). */
static dg_status catalog_has_row(dg_archive *archive, const char *sql, int *found, dg_error *err)
{
    sqlite3_stmt *stmt;
    *found = 0;
    dg_status st = dg_catalog_prepare(archive->db, sql, &stmt, err);
    if (st != DG_OK)
        return st;
    st = dg_catalog_step_maybe_row(archive->db, stmt, found, "read the index work", err);
    sqlite3_finalize(stmt);
    return st;
}

/*
 * A destruction deletes a record's catalog rows first and its index documents after; a run
 * killed in between leaves documents of records whose destruction has begun (review item
 * 'destroying'). Search already leaves them out (search.c); deleting them again is
 * harmless, so the next writer does it.
 */
static dg_status drop_documents_of_destroyed(dg_archive *archive, dg_error *err)
{
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(
        archive->db, "SELECT DISTINCT record_id FROM review_items WHERE state = 'destroying'",
        &stmt, err);
    int64_t *ids = NULL;
    size_t n = 0;
    if (st == DG_OK)
        st = dg_catalog_collect(archive->db, stmt, (void **)&ids, &n, sizeof *ids,
                                dg_row_read_int64, NULL, "read records being destroyed", err);
    for (size_t i = 0; st == DG_OK && i < n; i++)
        st = dg_index_delete_record(archive->writer, ids[i], err);
    if (st == DG_OK && n)
        st = dg_index_commit(archive->writer, err);
    free(ids);
    return st;
}

/*
 * Finishes the index work others left: documents of a destruction killed half way, a
 * rebuild owed (killed, or failed) or an index folder that is gone, and queued versions.
 * Failures here do not stop the archive from opening: the live index stays as it was,
 * the queue and the owed rebuild stay recorded, verify lists them, and reindex retries.
 */
static dg_status do_pending_index_work(dg_archive *archive, dg_error *err)
{
    int destroying = 0, owed = 0, queued = 0;
    dg_status st = catalog_has_row(archive,
                                   "SELECT 1 FROM review_items WHERE state = 'destroying'"
                                   " LIMIT 1",
                                   &destroying, err);
    if (st == DG_OK)
        st = catalog_has_row(archive,
                             "SELECT 1 FROM settings WHERE key = '" DG_REBUILD_OWED "'"
                             " AND value <> '" DG_REBUILD_RESTORED "'",
                             &owed, err);
    if (st == DG_OK && dg_archive_awaits_reindex(archive))
        return DG_OK; /* restored: the user's reindex builds it, visibly */
    if (st == DG_OK)
        st = catalog_has_row(archive, "SELECT 1 FROM index_queue WHERE reason IS NULL LIMIT 1",
                             &queued, err);
    if (st != DG_OK)
        return st;
    if (owed) { /* ... unless the last attempt failed: then reindex says why */
        int failed_before = 0;
        st = catalog_has_row(archive,
                             "SELECT 1 FROM settings WHERE key = '" DG_REBUILD_FAILED "'",
                             &failed_before, err);
        if (st != DG_OK || failed_before)
            return st;
    }
    if (owed || index_needs_rebuild(archive))
        return dg_archive_rebuild_index(archive, &(uint64_t){0}, NULL, err);
    if (!destroying && !queued)
        return DG_OK;
    st = dg_archive_lock_write(archive, err);
    if (st != DG_OK)
        return st;
    if (destroying)
        st = drop_documents_of_destroyed(archive, err);
    if (st == DG_OK && queued)
        st = dg_archive_flush_index_queue(archive, 0, NULL, err);
    dg_archive_unlock_write(archive);
    return st;
}

/* Indexes what a crashed writer left queued, and removes the objects it stored but never
 * committed (lock.c), unless another process is writing now. */
static dg_status finish_pending_index_work(dg_archive *archive, dg_error *err)
{
    if (dg_archive_write_locked_elsewhere(archive))
        return DG_OK; /* the writer holding the lock will index its own work */
    dg_status resumed = dg_destruction_resume(archive, err);
    if (resumed != DG_OK)
        return resumed;
    dg_status st = dg_archive_sweep_crashed_write(archive, err);
    if (st != DG_OK)
        return st;
    dg_error ignored;
    do_pending_index_work(archive, &ignored);
    return DG_OK;
}

dg_status dg_archive_open(const char *path, dg_archive **out, dg_error *err)
{
    dg_archive *archive = NULL;
    dg_status st = dg_archive_open_handle(path, &archive, err);
    if (st != DG_OK)
        return st;
    /* Finishing a crashed writer's work is a write: when it cannot be done now (a full
     * disk, an index that will not open for writing), the work stays queued for the next
     * run, and this one, which may only want to read, goes on. */
    dg_error repair_err;
    finish_pending_index_work(archive, &repair_err);
    /* A change's entry goes on to the log's file after its commit (log.h); one a crashed
     * process left pending is appended now, before anything reads or extends the log. When
     * it cannot be (a full disk), it stays pending for the next: the log's readers refuse
     * until then. */
    dg_log_watch_commits(archive);
    dg_log_pending_flush(archive, &repair_err);
    *out = archive;
    return DG_OK;
}
