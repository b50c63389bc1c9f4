/*
 * archive.c — creating and opening an archive folder, the write lock, the index handles
 * and the index work queue.
 */
#include "archive_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <iconv.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "catalog.h"
#include "log.h"
#include "synonyms.h"
#include "text_guard.h"

static char *path_join(const char *dir, const char *name)
{
    size_t len = strlen(dir) + strlen(name) + 2;
    char *out = malloc(len);
    if (out)
        snprintf(out, len, "%s/%s", dir, name);
    return out;
}

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
    char *catalog = path_join(path, "catalog.db");
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
        char *sub = path_join(path, LAYOUT_DIRS[i]);
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
                                        "write.lock", "writing"};
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
                                dg_error *err);

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
    if (st == DG_OK)
        st = create_archive(path, fonds, name, owner_login, owner_name, err);
    if (st != DG_OK)
        undo_create(path, &made);
    return st;
}

/* The catalog, the index and the first log entry of a new archive in its new folders. */
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

static dg_status create_archive(const char *path, const char *fonds, const char *name,
                                const char *owner_login, const char *owner_name,
                                dg_error *err)
{
    char *catalog_path = path_join(path, "catalog.db");
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

static dg_status load_identity(dg_archive *archive, dg_error *err)
{
    dg_status st = dg_setting_get(archive->db, "fonds", &archive->fonds, err);
    if (st == DG_OK)
        st = dg_setting_get(archive->db, "name", &archive->name, err);
    if (st == DG_ERR_NOT_FOUND)
        return dg_error_set(err, DG_ERR_CORRUPT, "%s: catalog has no fonds or name setting",
                            archive->path);
    return st;
}

static dg_status open_parts(dg_archive *archive, dg_error *err)
{
    struct stat sb;
    if (stat(archive->path, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return dg_error_set(err, DG_ERR_NOT_FOUND,
                            "%s: no archive here (create one with 'dangan init')", archive->path);
    char *catalog_path = path_join(archive->path, "catalog.db");
    char *objects_path = path_join(archive->path, "objects");
    char *lock_path = path_join(archive->path, "write.lock");
    archive->index_path = path_join(archive->path, "index");
    dg_status st = DG_OK;
    if (!catalog_path || !objects_path || !lock_path || !archive->index_path)
        st = dg_error_set(err, DG_ERR_NOMEM, "%s: out of memory", archive->path);
    if (st == DG_OK && access(catalog_path, F_OK) != 0)
        st = dg_error_set(err, errno == EACCES ? DG_ERR_DENIED : DG_ERR_NOT_FOUND,
                          "%s: %s", archive->path,
                          errno == EACCES ? "permission denied (the archive belongs to another "
                                            "account: use its server, DANGAN_SOCKET)"
                                          : "no archive here (create one with 'dangan init')");
    if (st == DG_OK)
        st = dg_catalog_open(catalog_path, 0, &archive->db, err);
    if (st == DG_OK)
        st = dg_store_open(objects_path, &archive->store, err);
    if (st == DG_OK) {
        archive->lock_fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (archive->lock_fd < 0)
            st = dg_error_set(err, DG_ERR_IO, "%s: %s", lock_path, strerror(errno));
    }
    free(catalog_path);
    free(objects_path);
    free(lock_path);
    return st;
}

/*
 * Whether the index database is gone (its folder, or the folder's contents, deleted by
 * hand or lost): the queue cannot say what to re-index then, so everything is.
 */
static int index_is_missing(const dg_archive *archive)
{
    char *marker = path_join(archive->index_path, "iamglass");
    int missing = !marker || access(marker, F_OK) != 0;
    free(marker);
    return missing;
}

/* The mark a writer leaves in the archive folder while it holds the write lock. */
#define WRITING_MARK "writing"

typedef struct unknown_walk {
    dg_archive *archive;
    sqlite3_stmt *lookup;
    dg_status (*visit)(const char *name, void *ctx);
    void *ctx;
    dg_error *err;
} unknown_walk;

static dg_status visit_if_unknown(const char *name, void *ctx)
{
    unknown_walk *w = ctx;
    sqlite3_reset(w->lookup);
    sqlite3_bind_text(w->lookup, 1, name, -1, SQLITE_TRANSIENT);
    int known = 0;
    dg_status st = dg_catalog_step_maybe_row(w->archive->db, w->lookup, &known,
                                             "look up object", w->err);
    return st != DG_OK || known ? st : w->visit(name, w->ctx);
}

dg_status dg_archive_each_unknown_object(dg_archive *archive,
                                         dg_status (*visit)(const char *name, void *ctx),
                                         void *ctx, dg_error *err)
{
    unknown_walk w = {.archive = archive, .visit = visit, .ctx = ctx, .err = err};
    dg_status st = dg_catalog_prepare(archive->db, "SELECT 1 FROM objects WHERE sha256 = ?",
                                      &w.lookup, err);
    if (st != DG_OK)
        return st;
    st = dg_store_list(archive->store, visit_if_unknown, &w, err);
    sqlite3_finalize(w.lookup);
    return st;
}

typedef struct unknown_objects {
    char (*hex)[DG_SHA256_HEX];
    size_t count, cap;
    dg_error *err;
} unknown_objects;

/* Collects the unknown objects named by a SHA-256 (a file of any other name was not put
 * there by a write, and verify goes on reporting it). */
static dg_status collect_unknown(const char *name, void *ctx)
{
    unknown_objects *u = ctx;
    if (strlen(name) != DG_SHA256_HEX - 1 ||
        strspn(name, "0123456789abcdef") != DG_SHA256_HEX - 1)
        return DG_OK;
    if (u->count == u->cap) {
        size_t cap = u->cap ? 2 * u->cap : 16;
        void *grown = realloc(u->hex, cap * sizeof *u->hex);
        if (!grown)
            return dg_error_set(u->err, DG_ERR_NOMEM, "objects unknown to the catalog: out of memory");
        u->hex = grown;
        u->cap = cap;
    }
    memcpy(u->hex[u->count++], name, DG_SHA256_HEX);
    return DG_OK;
}

/* 1 when WRITING_MARK is in the archive folder: a writer holds the lock, or died holding
 * it. */
static int writing_mark_left(const dg_archive *archive)
{
    char mark[4096];
    snprintf(mark, sizeof mark, "%s/%s", archive->path, WRITING_MARK);
    return access(mark, F_OK) == 0;
}

/*
 * A write stores its objects, then commits the catalog rows that use them, all under the
 * write lock. A writer killed in between leaves objects no record uses, which verify
 * would report as orphans, and which may hold content nobody filed. The writer leaves
 * WRITING_MARK while it holds the lock: when the next writer finds it, the last one died
 * holding the lock, and the objects the catalog does not know are removed (no put can be
 * in flight: every put happens under the lock). The mark is not synced: after a power loss
 * it may be gone, and verify then still lists such objects.
 */
static dg_status forget_crashed_write(dg_archive *archive, dg_error *err)
{
    if (!writing_mark_left(archive))
        return DG_OK;
    unknown_objects u = {.err = err};
    dg_status st = dg_archive_each_unknown_object(archive, collect_unknown, &u, err);
    for (size_t i = 0; st == DG_OK && i < u.count; i++)
        st = dg_store_remove(archive->store, u.hex[i], err);
    free(u.hex);
    return st;
}

/* Leaves WRITING_MARK (see forget_crashed_write). */
static dg_status leave_writing_mark(dg_archive *archive, dg_error *err)
{
    char mark[4096];
    snprintf(mark, sizeof mark, "%s/%s", archive->path, WRITING_MARK);
    int fd = open(mark, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return dg_error_set(err, DG_ERR_IO, "%s: %s", mark, strerror(errno));
    close(fd);
    return DG_OK;
}

static void remove_writing_mark(dg_archive *archive)
{
    char mark[4096];
    snprintf(mark, sizeof mark, "%s/%s", archive->path, WRITING_MARK);
    unlink(mark); /* a mark left behind costs the next writer a walk of the store */
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
                             "SELECT 1 FROM settings WHERE key = '" DG_REBUILD_OWED "'",
                             &owed, err);
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
    if (owed || index_is_missing(archive))
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
 * committed (forget_crashed_write), unless another process is writing now. */
static dg_status finish_pending_index_work(dg_archive *archive, dg_error *err)
{
    if (flock(archive->lock_fd, LOCK_EX | LOCK_NB) != 0)
        return DG_OK; /* the writer holding the lock will index its own work */
    flock(archive->lock_fd, LOCK_UN);
    dg_status resumed = dg_destruction_resume(archive, err);
    if (resumed != DG_OK)
        return resumed;
    if (writing_mark_left(archive)) {
        dg_status st = dg_archive_lock_write(archive, err);
        if (st != DG_OK)
            return st;
        dg_archive_unlock_write(archive);
    }
    dg_error ignored;
    do_pending_index_work(archive, &ignored);
    return DG_OK;
}

/*
 * The space reserve: a file of RESERVE_BYTES kept in the archive folder while the disk has
 * room. On a full disk every search, view and page export still needs its access-log line
 * (an access that is not logged is not given), and SQLite needs room for it. The log frees
 * the reserve the first time the disk is full (dg_archive_release_space_reserve), so reads
 * go on being logged for thousands of entries while someone frees space; it is made again
 * by the first dangan run that finds RESERVE_ROOM free.
 */
#define RESERVE_NAME "space.reserve"
#define RESERVE_BYTES (4L << 20)
#define RESERVE_ROOM (32ULL << 20)

static void ensure_space_reserve(dg_archive *archive)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", archive->path, RESERVE_NAME);
    struct stat sb;
    if (stat(path, &sb) == 0 && sb.st_size >= RESERVE_BYTES)
        return;
    struct statvfs vfs;
    if (statvfs(archive->path, &vfs) != 0 ||
        (uint64_t)vfs.f_bavail * (uint64_t)vfs.f_frsize < RESERVE_ROOM)
        return;
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return;
    /* Allocated for real (not a sparse file), so unlinking it gives the blocks back. */
    if (posix_fallocate(fd, 0, RESERVE_BYTES) != 0) {
        close(fd);
        unlink(path);
        return;
    }
    close(fd);
}

int dg_archive_release_space_reserve(dg_archive *archive)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", archive->path, RESERVE_NAME);
    return unlink(path) == 0;
}

dg_status dg_archive_open(const char *path, dg_archive **out, dg_error *err)
{
    *out = NULL;
    if (sodium_init() < 0)
        return dg_error_set(err, DG_ERR_INTERNAL, "libsodium failed to initialise");
    dg_archive *archive = calloc(1, sizeof *archive);
    if (!archive)
        return dg_error_set(err, DG_ERR_NOMEM, "%s: out of memory", path);
    archive->lock_fd = -1;
    archive->path = strdup(path);
    dg_status st = archive->path ? open_parts(archive, err)
                                 : dg_error_set(err, DG_ERR_NOMEM, "%s: out of memory", path);
    if (st == DG_OK)
        st = load_identity(archive, err);
    if (st == DG_OK)
        ensure_space_reserve(archive);
    /* Finishing a crashed writer's work is a write: when it cannot be done now (a full
     * disk, an index that will not open for writing), the work stays queued for the next
     * run, and this one, which may only want to read, goes on. */
    dg_error repair_err;
    if (st == DG_OK)
        finish_pending_index_work(archive, &repair_err);
    if (st != DG_OK) {
        dg_archive_close(archive);
        return st;
    }
    *out = archive;
    return DG_OK;
}

void dg_archive_close(dg_archive *archive)
{
    if (!archive)
        return;
    dg_index_close(archive->reader);
    dg_index_close(archive->writer);
    if (archive->lock_fd >= 0)
        close(archive->lock_fd);
    dg_store_close(archive->store);
    dg_catalog_close(archive->db);
    free(archive->path);
    free(archive->index_path);
    free(archive->fonds);
    free(archive->name);
    free(archive);
}

void dg_archive_set_wait_handler(dg_archive *archive, dg_wait_fn fn, void *ctx)
{
    archive->on_wait = fn;
    archive->wait_ctx = ctx;
}

void dg_archive_set_progress_handler(dg_archive *archive, dg_progress_fn fn, void *ctx)
{
    archive->on_progress = fn;
    archive->progress_ctx = ctx;
}

void dg_archive_progress(dg_archive *archive, const char *what, uint64_t done, uint64_t total)
{
    if (archive->on_progress)
        archive->on_progress(archive->progress_ctx, what, done, total);
}

void dg_archive_report_progress(dg_archive *archive, const char *what, uint64_t done,
                                uint64_t total)
{
    dg_archive_progress(archive, what, done, total);
}

const char *dg_archive_path(const dg_archive *archive) { return archive->path; }
const char *dg_archive_fonds(const dg_archive *archive) { return archive->fonds; }
const char *dg_archive_name(const dg_archive *archive) { return archive->name; }

/*
 * Polls rather than blocking in flock() so the user hears, after a second, why nothing
 * happens; a writer can legitimately hold the lock for a long ingest, so there is no
 * time limit here.
 */
static dg_status acquire_flock(dg_archive *archive, dg_error *err)
{
    int told = 0;
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    while (flock(archive->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno != EWOULDBLOCK && errno != EINTR)
            return dg_error_set(err, DG_ERR_IO, "%s/write.lock: %s", archive->path,
                                strerror(errno));
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (!told && now.tv_sec - start.tv_sec >= 1) {
            told = 1;
            if (archive->on_wait)
                archive->on_wait(archive->wait_ctx,
                                 "waiting for another dangan process that is writing to the "
                                 "archive");
        }
        struct timespec nap = {0, 50 * 1000 * 1000};
        nanosleep(&nap, NULL);
    }
    return DG_OK;
}

dg_status dg_archive_lock_write(dg_archive *archive, dg_error *err)
{
    if (archive->write_depth > 0) {
        archive->write_depth++;
        return DG_OK;
    }
    dg_status st = acquire_flock(archive, err);
    if (st != DG_OK)
        return st;
    st = dg_store_clean_tmp(archive->store, err);
    if (st == DG_OK)
        st = forget_crashed_write(archive, err);
    if (st == DG_OK)
        st = leave_writing_mark(archive, err);
    if (st == DG_OK)
        st = dg_index_open(archive->index_path, DG_INDEX_WRITE, &archive->writer, err);
    if (st == DG_OK) /* a rebuilt index, or a newer thesaurus: see synonyms.h */
        st = dg_synonyms_sync(archive, archive->writer, 0, err);
    if (st != DG_OK) {
        dg_index_close(archive->writer);
        archive->writer = NULL;
        remove_writing_mark(archive);
        flock(archive->lock_fd, LOCK_UN);
        return st;
    }
    archive->write_depth = 1;
    return DG_OK;
}

void dg_archive_keep_writing_mark(dg_archive *archive)
{
    archive->keep_writing_mark = 1;
}

void dg_archive_unlock_write(dg_archive *archive)
{
    if (archive->write_depth == 0 || --archive->write_depth > 0)
        return;
    dg_index_close(archive->writer);
    archive->writer = NULL;
    if (!archive->keep_writing_mark)
        remove_writing_mark(archive);
    archive->keep_writing_mark = 0;
    flock(archive->lock_fd, LOCK_UN);
}

dg_status dg_archive_index_writer(dg_archive *archive, dg_index **out, dg_error *err)
{
    if (!archive->writer)
        return dg_error_set(err, DG_ERR_INTERNAL, "index written without the write lock");
    *out = archive->writer;
    return DG_OK;
}

void dg_archive_release_index_reader(dg_archive *archive)
{
    dg_index_close(archive->reader);
    archive->reader = NULL;
}

dg_status dg_archive_index_reader(dg_archive *archive, dg_index **out, dg_error *err)
{
    if (!archive->reader) {
        dg_status st = dg_index_open(archive->index_path, DG_INDEX_READ, &archive->reader, err);
        if (st != DG_OK)
            return st;
    }
    *out = archive->reader;
    return DG_OK;
}

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
static dg_status settle_queue(dg_archive *archive, const int64_t *ids, const char *failed,
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
    for (size_t i = 0; st == DG_OK && i < count; i++) {
        dg_error skip;
        st = dg_record_index_version(archive, index, ids[i], &skip, err);
        if (st == DG_OK && skip.status != DG_OK) {
            failed_here[i] = 1;
            st = dg_index_failures_add(&mine, ids[i], skip.msg, err);
        }
    }
    /* The index commits before the queue empties: a crash in between only re-indexes. */
    if (st == DG_OK && count)
        st = dg_index_commit(index, err);
    if (st == DG_OK && count)
        st = settle_queue(archive, ids, failed_here, count, &mine, err);
    for (size_t i = 0; st == DG_OK && failed && i < mine.count; i++)
        st = dg_index_failures_add(failed, mine.ids[i], mine.reasons[i], err);
    dg_index_failures_free(&mine);
    free(failed_here);
    free(ids);
    return st;
}
