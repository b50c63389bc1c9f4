/*
 * lock.c — the archive's write lock (lock.h): one writer at a time across processes
 * (flock on write.lock), the writable index handle that comes with it, and the sweep of
 * what a writer killed while holding it left behind (objects stored but never committed).
 * Taking the lock also brings the index's synonym table up to date (synonym_table.h).
 */
#include "lock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "archive_internal.h"
#include "catalog.h"
#include "synonym_table.h"

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

int dg_archive_write_locked_elsewhere(dg_archive *archive)
{
    if (flock(archive->lock_fd, LOCK_EX | LOCK_NB) != 0)
        return 1;
    flock(archive->lock_fd, LOCK_UN);
    return 0;
}

dg_status dg_archive_sweep_crashed_write(dg_archive *archive, dg_error *err)
{
    if (!writing_mark_left(archive))
        return DG_OK;
    dg_status st = dg_archive_lock_write(archive, err);
    if (st == DG_OK)
        dg_archive_unlock_write(archive);
    return st;
}

/*
 * The turnstile: an open-file-description lock on write.lock's first byte (independent of
 * the flock on the whole file). A writer holds it while it waits for the write lock and lets
 * it go once it has the lock, so a writer that gives the lock back and takes it again at
 * once (an ingest between two holds) finds the turnstile held by whoever is waiting and
 * waits behind them: another writer waits for one hold, not for the whole batch.
 */
static int turnstile(dg_archive *archive, short type)
{
    struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1};
    return fcntl(archive->lock_fd, F_OFD_SETLK, &fl);
}

/* flock's and the turnstile's "taken by another": try again after a nap. */
static int busy(int rc)
{
    return rc != 0 && (errno == EWOULDBLOCK || errno == EAGAIN || errno == EACCES ||
                       errno == EINTR);
}

typedef struct waiting {
    struct timespec start;
    int told;
} waiting;

/* Naps 50 ms; after a second of waiting, tells the user why nothing happens (once). */
static void wait_a_little(dg_archive *archive, waiting *w)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (!w->told && now.tv_sec - w->start.tv_sec >= 1) {
        w->told = 1;
        if (archive->on_wait)
            archive->on_wait(archive->wait_ctx,
                             "waiting for another dangan process that is writing to the "
                             "archive");
    }
    struct timespec nap = {0, 50 * 1000 * 1000};
    nanosleep(&nap, NULL);
}

/*
 * Takes the turnstile, then the write lock, then lets the turnstile go. Polls rather than
 * blocking so the user hears, after a second, why nothing happens; a writer can
 * legitimately hold the lock for a long ingest, so there is no time limit here.
 */
static dg_status acquire_flock(dg_archive *archive, dg_error *err)
{
    waiting w = {.told = 0};
    clock_gettime(CLOCK_MONOTONIC, &w.start);
    int rc;
    while (busy(rc = turnstile(archive, F_WRLCK)))
        wait_a_little(archive, &w);
    if (rc != 0)
        return dg_error_set(err, DG_ERR_IO, "%s/write.lock: %s", archive->path,
                            strerror(errno));
    while (busy(rc = flock(archive->lock_fd, LOCK_EX | LOCK_NB)))
        wait_a_little(archive, &w);
    int saved = errno;
    turnstile(archive, F_UNLCK);
    if (rc != 0)
        return dg_error_set(err, DG_ERR_IO, "%s/write.lock: %s", archive->path,
                            strerror(saved));
    return DG_OK;
}

/* Opens the writable index with the handle's folding tables (read on its first write; when
 * they cannot be read, the writer reads its own and says why it cannot). */
static dg_status open_writer(dg_archive *archive, dg_error *err)
{
    dg_error ignored;
    if (!archive->writer_folding &&
        dg_index_folder_open(&archive->writer_folding, &ignored) != DG_OK)
        archive->writer_folding = NULL;
    return dg_index_open_folding(archive->index_path, DG_INDEX_WRITE, archive->writer_folding,
                                 &archive->writer, err);
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
        st = open_writer(archive, err);
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
