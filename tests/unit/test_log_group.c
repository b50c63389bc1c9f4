/* test_log_group.c — group commit of the access log (log.h): entries queued by several
 * handles commit together, no caller returns before its entry has committed, a refused
 * entry does not take the others down, and the chain and tree stay whole. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/archive_internal.h" /* the handle's catalog, to hold a transaction */
#include "engine/catalog.h"
#include "engine/log.h"
#include "notekey.h"
#include "testutil.h"

enum { CALLERS = 6 };

typedef struct caller {
    dg_archive *archive;
    const dg_actor *actor;
    char query[32];
    dg_status st;
    pthread_mutex_t *lock;
    int *returned;
} caller;

static void *append_main(void *arg)
{
    caller *c = arg;
    dg_log_event ev = {.action = "search", .query = c->query, .hits = 1, .outcome = "ok"};
    dg_error err;
    c->st = dg_log_append(c->archive, c->actor, NULL, &ev, &err);
    pthread_mutex_lock(c->lock);
    (*c->returned)++;
    pthread_mutex_unlock(c->lock);
    return NULL;
}

/* Another process's write transaction on the log's file (log.db), as sqlite3 would hold it:
 * no dangan handle can begin appending until it ends. */
static sqlite3 *hold_write_lock(const test_archive *t)
{
    char path[160];
    snprintf(path, sizeof path, "%s/log.db", t->path);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
    return db;
}

static void wait_until_queued(dg_log_group *g, size_t n)
{
    dg_log_group_counts counts;
    for (dg_log_group_stats(g, &counts); counts.waiting < n; dg_log_group_stats(g, &counts))
        usleep(1000); /* waits for a state, asserts nothing about time */
}

static size_t entries_with_action(test_archive *t, const char *action)
{
    dg_log_filter filter = {.action = action};
    dg_log_entry *entries;
    size_t n;
    dg_error err;
    assert_int_equal(dg_log_read(t->archive, &t->admin, &filter, &entries, &n, &err), DG_OK);
    dg_log_entries_free(entries, n);
    return n;
}

static void assert_log_whole(test_archive *t)
{
    dg_log_check check;
    dg_error err;
    assert_int_equal(dg_log_verify(t->archive, &t->admin, &check, &err), DG_OK);
    assert_int_equal(check.first_broken, 0);
    assert_int_equal(check.tree_differs, 0);
}

/* Runs CALLERS appends on handles of one group while the write lock is held elsewhere;
 * queries[i] is caller i's query. Returns once all have returned. */
static void run_grouped(test_archive *t, dg_log_group *g, const char *const *queries,
                        caller *callers)
{
    dg_archive *handles[CALLERS];
    pthread_t threads[CALLERS];
    pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    int returned = 0;
    dg_error err;
    for (int i = 0; i < CALLERS; i++) {
        assert_int_equal(dg_archive_open(t->path, &handles[i], &err), DG_OK);
        dg_log_group_attach(handles[i], g);
    }
    sqlite3 *blocker = hold_write_lock(t);
    for (int i = 0; i < CALLERS; i++) {
        callers[i] = (caller){.archive = handles[i], .actor = &t->admin, .lock = &lock,
                              .returned = &returned};
        snprintf(callers[i].query, sizeof callers[i].query, "%s", queries[i]);
        assert_int_equal(pthread_create(&threads[i], NULL, append_main, &callers[i]), 0);
    }
    wait_until_queued(g, CALLERS);
    /* Nothing can have committed, so no caller may have returned. */
    pthread_mutex_lock(&lock);
    assert_int_equal(returned, 0);
    pthread_mutex_unlock(&lock);
    assert_int_equal(sqlite3_exec(blocker, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(blocker);
    for (int i = 0; i < CALLERS; i++) {
        pthread_join(threads[i], NULL);
        dg_archive_close(handles[i]);
    }
    assert_int_equal(returned, CALLERS);
}

/* A fresh archive and an empty group. */
static dg_log_group *group_make(test_archive *t)
{
    assert_true(test_archive_make(t));
    dg_log_group *g;
    dg_error err;
    assert_int_equal(dg_log_group_new(&g, &err), DG_OK);
    return g;
}

static void group_done(test_archive *t, dg_log_group *g)
{
    dg_log_group_attach(t->archive, NULL);
    dg_log_group_free(g);
    test_archive_remove(t);
}

static void test_group_commits_queued_entries_together_after_the_lock_is_free(void **state)
{
    (void)state;
    test_archive t;
    dg_log_group *g = group_make(&t);
    const char *queries[CALLERS] = {"q0", "q1", "q2", "q3", "q4", "q5"};
    caller callers[CALLERS];
    run_grouped(&t, g, queries, callers);
    for (int i = 0; i < CALLERS; i++)
        assert_int_equal(callers[i].st, DG_OK);
    dg_log_group_counts counts;
    dg_log_group_stats(g, &counts);
    assert_int_equal(counts.entries, CALLERS);
    assert_int_equal(counts.waiting, 0);
    /* The first leader took what was queued when it began; all the rest queued behind it
     * and went in one more batch. */
    assert_true(counts.batches >= 1 && counts.batches <= 2);
    assert_int_equal(entries_with_action(&t, "search"), CALLERS);
    assert_log_whole(&t);
    group_done(&t, g);
}

static void test_group_refused_entry_leaves_the_others_committed(void **state)
{
    (void)state;
    test_archive t;
    dg_log_group *g = group_make(&t);
    const char *queries[CALLERS] = {"q0", "q1", "bad \xff utf-8", "q3", "q4", "q5"};
    caller callers[CALLERS];
    run_grouped(&t, g, queries, callers);
    for (int i = 0; i < CALLERS; i++)
        assert_int_equal(callers[i].st, i == 2 ? DG_ERR_BAD_INPUT : DG_OK);
    assert_int_equal(entries_with_action(&t, "search"), CALLERS - 1);
    assert_log_whole(&t);
    group_done(&t, g);
}

static void test_detached_handle_appends_alone(void **state)
{
    (void)state;
    test_archive t;
    dg_log_group *g = group_make(&t);
    dg_log_group_attach(t.archive, g);
    dg_error err;
    dg_log_event ev = {.action = "search", .query = "grouped", .hits = 0, .outcome = "ok"};
    int64_t id = 0;
    assert_int_equal(dg_log_append_id(t.archive, &t.admin, &ev, &id, &err), DG_OK);
    assert_true(id > 0);
    dg_log_group_attach(t.archive, NULL);
    ev.query = "alone";
    int64_t next = 0;
    assert_int_equal(dg_log_append_id(t.archive, &t.admin, &ev, &next, &err), DG_OK);
    assert_int_equal(next, id + 1);
    dg_log_group_counts counts;
    dg_log_group_stats(g, &counts);
    assert_int_equal(counts.entries, 1);
    assert_log_whole(&t);
    group_done(&t, g);
}

/* A handle in a write transaction of its own would wait for a leader that waits for its
 * lock: it appends alone (and, nested, fails at once as it always did). */
static void test_group_handle_in_its_own_transaction_does_not_join(void **state)
{
    (void)state;
    test_archive t;
    dg_log_group *g = group_make(&t);
    dg_log_group_attach(t.archive, g);
    dg_error err;
    assert_int_equal(dg_catalog_begin_write(t.archive->db, &err), DG_OK);
    dg_log_event ev = {.action = "search", .query = "inside", .hits = 0, .outcome = "ok"};
    assert_int_not_equal(dg_log_append(t.archive, &t.admin, NULL, &ev, &err), DG_OK);
    dg_catalog_rollback(t.archive->db);
    dg_log_group_counts counts;
    dg_log_group_stats(g, &counts);
    assert_int_equal(counts.batches, 0);
    group_done(&t, g);
}

/* ---- deferred sync of reads' entries ---- */

/*
 * A VFS over the real one that counts the syncs of -wal files, so a test sees whether a
 * commit synced the WAL before it returned. Everything else is the real unix VFS.
 */
typedef struct counting_file {
    sqlite3_file base;
    sqlite3_io_methods methods;
    int is_wal;
    sqlite3_file *real; /* follows this struct in the same allocation */
} counting_file;

static sqlite3_vfs *real_vfs;
static sqlite3_vfs counting_vfs;
static pthread_mutex_t wal_syncs_lock = PTHREAD_MUTEX_INITIALIZER;
static int wal_syncs;

static int wal_sync_count(void)
{
    pthread_mutex_lock(&wal_syncs_lock);
    int n = wal_syncs;
    pthread_mutex_unlock(&wal_syncs_lock);
    return n;
}

#define REAL(f) (((counting_file *)(f))->real)
static int c_close(sqlite3_file *f) { return REAL(f)->pMethods->xClose(REAL(f)); }
static int c_read(sqlite3_file *f, void *b, int n, sqlite3_int64 o) { return REAL(f)->pMethods->xRead(REAL(f), b, n, o); }
static int c_write(sqlite3_file *f, const void *b, int n, sqlite3_int64 o) { return REAL(f)->pMethods->xWrite(REAL(f), b, n, o); }
static int c_truncate(sqlite3_file *f, sqlite3_int64 n) { return REAL(f)->pMethods->xTruncate(REAL(f), n); }
static int c_sync(sqlite3_file *f, int flags)
{
    if (((counting_file *)f)->is_wal) {
        pthread_mutex_lock(&wal_syncs_lock);
        wal_syncs++;
        pthread_mutex_unlock(&wal_syncs_lock);
    }
    return REAL(f)->pMethods->xSync(REAL(f), flags);
}
static int c_size(sqlite3_file *f, sqlite3_int64 *n) { return REAL(f)->pMethods->xFileSize(REAL(f), n); }
static int c_lock(sqlite3_file *f, int l) { return REAL(f)->pMethods->xLock(REAL(f), l); }
static int c_unlock(sqlite3_file *f, int l) { return REAL(f)->pMethods->xUnlock(REAL(f), l); }
static int c_check(sqlite3_file *f, int *r) { return REAL(f)->pMethods->xCheckReservedLock(REAL(f), r); }
static int c_fcntl(sqlite3_file *f, int op, void *a) { return REAL(f)->pMethods->xFileControl(REAL(f), op, a); }
static int c_sector(sqlite3_file *f) { return REAL(f)->pMethods->xSectorSize(REAL(f)); }
static int c_chars(sqlite3_file *f) { return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f)); }
static int c_shmmap(sqlite3_file *f, int i, int sz, int ext, void volatile **p) { return REAL(f)->pMethods->xShmMap(REAL(f), i, sz, ext, p); }
static int c_shmlock(sqlite3_file *f, int o, int n, int fl) { return REAL(f)->pMethods->xShmLock(REAL(f), o, n, fl); }
static void c_shmbarrier(sqlite3_file *f) { REAL(f)->pMethods->xShmBarrier(REAL(f)); }
static int c_shmunmap(sqlite3_file *f, int del) { return REAL(f)->pMethods->xShmUnmap(REAL(f), del); }
static int c_fetch(sqlite3_file *f, sqlite3_int64 o, int n, void **p) { return REAL(f)->pMethods->xFetch(REAL(f), o, n, p); }
static int c_unfetch(sqlite3_file *f, sqlite3_int64 o, void *p) { return REAL(f)->pMethods->xUnfetch(REAL(f), o, p); }

static int c_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *file, int flags, int *out)
{
    (void)vfs;
    counting_file *cf = (counting_file *)file;
    cf->real = (sqlite3_file *)(cf + 1);
    int rc = real_vfs->xOpen(real_vfs, name, cf->real, flags, out);
    if (rc != SQLITE_OK || !cf->real->pMethods) {
        cf->base.pMethods = NULL;
        return rc;
    }
    const sqlite3_io_methods *r = cf->real->pMethods;
    cf->methods = (sqlite3_io_methods){
        .iVersion = r->iVersion, .xClose = c_close, .xRead = c_read, .xWrite = c_write,
        .xTruncate = c_truncate, .xSync = c_sync, .xFileSize = c_size, .xLock = c_lock,
        .xUnlock = c_unlock, .xCheckReservedLock = c_check, .xFileControl = c_fcntl,
        .xSectorSize = c_sector, .xDeviceCharacteristics = c_chars, .xShmMap = c_shmmap,
        .xShmLock = c_shmlock, .xShmBarrier = c_shmbarrier, .xShmUnmap = c_shmunmap,
        .xFetch = c_fetch, .xUnfetch = c_unfetch};
    cf->is_wal = (flags & SQLITE_OPEN_WAL) != 0;
    cf->base.pMethods = &cf->methods;
    return SQLITE_OK;
}

static void install_counting_vfs(void)
{
    if (real_vfs)
        return;
    real_vfs = sqlite3_vfs_find(NULL);
    counting_vfs = *real_vfs;
    counting_vfs.zName = "counting";
    counting_vfs.szOsFile = (int)sizeof(counting_file) + real_vfs->szOsFile;
    counting_vfs.xOpen = c_open;
    assert_int_equal(sqlite3_vfs_register(&counting_vfs, 1), SQLITE_OK); /* the default */
}

static int level_of(sqlite3 *db)
{
    sqlite3_stmt *stmt;
    assert_non_null(db);
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA synchronous", -1, &stmt, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
    int level = sqlite3_column_int(stmt, 0);
    sqlite3_finalize(stmt);
    return level;
}

/* The level of the handle's catalog connection, which no group switches. */
static int synchronous_of(dg_archive *archive)
{
    return level_of(archive->db);
}

/* The level of the handle's own connection to the log's file, where batches commit. */
static int log_synchronous_of(dg_archive *archive)
{
    return level_of(archive->log_db);
}

static void append_one(test_archive *t, const char *action, int read)
{
    dg_log_event ev = {.action = action, .query = "q", .hits = 0, .outcome = "ok",
                       .read = read};
    dg_error err;
    assert_int_equal(dg_log_append(t->archive, &t->admin, NULL, &ev, &err), DG_OK);
}

/* A read's entry commits without a sync and the syncer syncs it afterwards; a change's
 * entry syncs before its append returns; the handle is at FULL after either. */
static void test_deferring_group_syncs_changes_at_once_and_reads_later(void **state)
{
    (void)state;
    install_counting_vfs();
    test_archive t;
    dg_log_group *g = group_make(&t);
    dg_error err;
    /* A delay no test run reaches: the syncer syncs only when the group is freed. */
    assert_int_equal(dg_log_group_defer_reads(g, t.archive, 3600L * 1000, &err), DG_OK);
    dg_log_group_attach(t.archive, g);

    /* SQLite syncs a WAL's header when it starts the file again: begin past that. */
    int before = wal_sync_count();
    append_one(&t, "edit", 0); /* not a read: synced before it returns */
    assert_true(wal_sync_count() > before);
    before = wal_sync_count();
    append_one(&t, "search", 1);
    assert_int_equal(wal_sync_count(), before); /* committed, not synced */
    assert_int_equal(synchronous_of(t.archive), 2);
    dg_log_group_counts counts;
    dg_log_group_stats(g, &counts);
    assert_int_equal(counts.deferred, 1);
    assert_int_equal(counts.unsynced, 1);

    append_one(&t, "edit", 0); /* a change after it syncs it too, before returning */
    assert_true(wal_sync_count() > before);
    assert_int_equal(synchronous_of(t.archive), 2);
    dg_log_group_stats(g, &counts);
    assert_int_equal(counts.deferred, 1);
    assert_int_equal(counts.batches, 3);
    assert_int_equal(entries_with_action(&t, "search"), 1);
    assert_int_equal(entries_with_action(&t, "edit"), 2);
    assert_log_whole(&t);

    /* Freeing the group syncs what a deferred batch left. */
    dg_log_group_attach(t.archive, NULL);
    before = wal_sync_count();
    dg_log_group_free(g);
    /* The syncer fdatasyncs its own descriptor, which the VFS does not see: the count
     * stays, and what is checked is that freeing returned (the syncer ended). */
    assert_int_equal(wal_sync_count(), before);
    test_archive_remove(&t);
}

/* With a short delay, the syncer syncs a read's entry by itself. */
/*
 * The same with the group's own writer handle (dg_log_group_writer, as the server runs):
 * a change's entry is synced before it returns, a read's is not; the writer stays at
 * NORMAL across reads' batches and at FULL after a change's, and the appending handle
 * itself is never switched from FULL.
 */
static void test_group_writer_syncs_changes_at_once_and_reads_later(void **state)
{
    (void)state;
    install_counting_vfs();
    test_archive t;
    dg_log_group *g = group_make(&t);
    dg_error err;
    dg_archive *writer;
    assert_int_equal(dg_archive_open(t.path, &writer, &err), DG_OK);
    dg_log_group_writer(g, writer);
    assert_int_equal(dg_log_group_defer_reads(g, t.archive, 3600L * 1000, &err), DG_OK);
    dg_log_group_attach(t.archive, g);

    append_one(&t, "edit", 0); /* past the WAL's restart (see above) */
    assert_int_equal(log_synchronous_of(writer), 2);
    int before = wal_sync_count();
    append_one(&t, "search", 1);
    append_one(&t, "search", 1);
    assert_int_equal(wal_sync_count(), before); /* committed, not synced */
    assert_int_equal(log_synchronous_of(writer), 1);
    assert_int_equal(synchronous_of(t.archive), 2);
    append_one(&t, "edit", 0);
    assert_true(wal_sync_count() > before);
    assert_int_equal(log_synchronous_of(writer), 2);
    assert_int_equal(synchronous_of(t.archive), 2);
    dg_log_group_counts counts;
    dg_log_group_stats(g, &counts);
    assert_int_equal(counts.deferred, 2);
    assert_int_equal(counts.batches, 4);
    assert_int_equal(entries_with_action(&t, "search"), 2);
    assert_int_equal(entries_with_action(&t, "edit"), 2);
    assert_log_whole(&t);
    dg_log_group_attach(t.archive, NULL);
    dg_log_group_free(g);
    dg_archive_close(writer);
    test_archive_remove(&t);
}

static void test_syncer_syncs_a_read_entry_after_the_delay(void **state)
{
    (void)state;
    test_archive t;
    dg_log_group *g = group_make(&t);
    dg_error err;
    assert_int_equal(dg_log_group_defer_reads(g, t.archive, 1, &err), DG_OK);
    dg_log_group_attach(t.archive, g);
    append_one(&t, "show", 1);
    dg_log_group_counts counts;
    for (dg_log_group_stats(g, &counts); counts.syncs == 0; dg_log_group_stats(g, &counts))
        usleep(1000); /* waits for a state, asserts nothing about time */
    assert_int_equal(counts.unsynced, 0);
    assert_int_equal(counts.deferred, 1);
    group_done(&t, g);
}

/*
 * A handle's batch pushes onto the tree's frontier its last committed batch left, only
 * while the stored tree is still of that size (log.c): batches of two handles in turn,
 * entries appended in a handle's own transaction (committed, or rolled back), and the
 * tree stays the entries' tree.
 */
static void test_handles_keep_the_tree_whole_across_each_others_batches(void **state)
{
    (void)state;
    test_archive t;
    dg_log_group *g = group_make(&t);
    dg_archive *h[2];
    dg_error err;
    for (int i = 0; i < 2; i++) {
        assert_int_equal(dg_archive_open(t.path, &h[i], &err), DG_OK);
        dg_log_group_attach(h[i], g);
    }
    for (int i = 0; i < 240; i++) {
        dg_archive *a = h[(i / 3) % 2]; /* three in a row on one handle, then the other */
        char q[32];
        snprintf(q, sizeof q, "q%d", i);
        dg_log_event ev = {.action = "search", .query = q, .hits = 1, .outcome = "ok"};
        if (i % 17 == 5 || i % 29 == 7) { /* in the handle's own transaction */
            assert_int_equal(dg_catalog_begin_write(a->db, &err), DG_OK);
            assert_int_equal(dg_log_append_in_txn(a, &t.admin, NULL, &ev, &err), DG_OK);
            if (i % 17 == 5)
                dg_catalog_rollback(a->db);
            else
                assert_int_equal(dg_catalog_commit(a->db, &err), DG_OK);
        }
        assert_int_equal(dg_log_append(a, &t.admin, NULL, &ev, &err), DG_OK);
    }
    for (int i = 0; i < 2; i++)
        dg_archive_close(h[i]);
    dg_log_check check;
    assert_int_equal(dg_log_verify(t.archive, &t.admin, &check, &err), DG_OK);
    assert_int_equal(check.first_broken, 0);
    assert_int_equal(check.tree_differs, 0);
    /* The group's last subtrees wait for the next filing; an append alone stores them. */
    assert_true(check.stored_size <= check.entries);
    append_one(&t, "search", 1);
    assert_int_equal(dg_log_verify(t.archive, &t.admin, &check, &err), DG_OK);
    assert_int_equal(check.tree_differs, 0);
    assert_int_equal(check.stored_size, check.entries);
    group_done(&t, g);
}

static dg_log_check check_of(test_archive *t)
{
    dg_log_check check;
    dg_error err;
    assert_int_equal(dg_log_verify(t->archive, &t->admin, &check, &err), DG_OK);
    assert_int_equal(check.first_broken, 0);
    assert_int_equal(check.tree_differs, 0);
    return check;
}

/* count reads' entries through the group, on its two handles in turn. */
static void append_grouped(test_archive *t, dg_archive *const *h, int count)
{
    dg_error err;
    for (int i = 0; i < count; i++) {
        dg_log_event ev = {.action = "search", .query = "q", .hits = 1, .outcome = "ok",
                           .shown = "X001-XZ·2024-D10-0001@1", .read = 1};
        assert_int_equal(dg_log_append(h[i % 2], &t->admin, NULL, &ev, &err), DG_OK);
    }
}

/*
 * A group stores the tree's subtrees once per filing (every DG_LOG_SHOWN_EVERY = 1,024
 * entries; log.c), not per batch: in between the stored tree lags (no finding) and the
 * tree is still the entries' tree once stored. A checkpoint signed in between brings the
 * stored tree up behind the group's back (its subtrees are then made again from the
 * entries, not stored twice); a group dropped with subtrees not stored (as a server killed
 * with kill -9) leaves a tree the next group brings up; every checkpoint is of the whole
 * log, and an audit against one proves the extension to today's log.
 */
static void test_group_stores_the_tree_at_each_filing(void **state)
{
    (void)state;
    test_archive t;
    dg_log_group *g = group_make(&t);
    dg_error err;
    /* A delay no test run reaches: reads' batches commit without a sync. */
    assert_int_equal(dg_log_group_defer_reads(g, t.archive, 3600 * 1000L, &err), DG_OK);
    dg_archive *h[2];
    for (int i = 0; i < 2; i++) {
        assert_int_equal(dg_archive_open(t.path, &h[i], &err), DG_OK);
        dg_log_group_attach(h[i], g);
    }
    dg_log_check before = check_of(&t); /* its own entry is appended alone */
    append_grouped(&t, h, 300);
    dg_log_check check = check_of(&t);
    assert_int_equal(check.entries, before.entries + 1 + 300);
    assert_true(check.stored_size < check.entries); /* held for the filing */
    /* A checkpoint in between: the stored tree is brought up to the log as it is. */
    dg_note_signer key;
    test_note_key(&key);
    char *note;
    assert_int_equal(dg_log_checkpoint_sign(t.archive, &key, &note, &err), DG_OK);
    /* Past a filing, whose batch stores every subtree up to it, none twice (the
     * checkpoint stored some of them already). */
    append_grouped(&t, h, 1024);
    /* Dropped with subtrees not stored, as by kill -9: the next group's first batch
     * brings the tree up from the entries (the check's own entries, appended alone, would
     * have done it first). */
    for (int i = 0; i < 2; i++)
        dg_log_group_attach(h[i], NULL);
    dg_log_group_free(g);
    assert_int_equal(dg_log_group_new(&g, &err), DG_OK);
    for (int i = 0; i < 2; i++)
        dg_log_group_attach(h[i], g);
    append_grouped(&t, h, 50);
    check = check_of(&t);
    assert_int_equal(check.stored_size, check.entries - 49);
    append_grouped(&t, h, 1024);
    check_of(&t);
    /* The audit brings the tree up and proves the old checkpoint extends to today's log. */
    dg_log_audit audit;
    assert_int_equal(dg_log_audit_checkpoint(h[0], &t.admin, note, &key.verifier, &audit, &err),
                     DG_OK);
    assert_true(audit.extends);
    assert_int_equal(audit.check.stored_size, audit.size);
    assert_true(audit.proof.count > 0);
    dg_log_audit_free(&audit);
    free(note);
    char *now, *text;
    assert_int_equal(dg_log_checkpoint_sign(h[1], &key, &now, &err), DG_OK);
    assert_int_equal(dg_note_open(now, &key.verifier, &text, &err), DG_OK);
    dg_checkpoint cp;
    assert_int_equal(dg_checkpoint_parse(text, &cp, &err), DG_OK);
    /* Signed over the whole log, as the entries make it. */
    assert_int_equal(dg_log_audit_checkpoint(h[0], &t.admin, now, &key.verifier, &audit, &err),
                     DG_OK);
    assert_true(audit.extends);
    assert_int_equal(cp.size, audit.size); /* signing appends no entry */
    assert_memory_equal(cp.root, audit.check.snapshot_root.b, 32);
    dg_log_audit_free(&audit);
    free(text);
    free(now);
    for (int i = 0; i < 2; i++)
        dg_archive_close(h[i]);
    group_done(&t, g);
}

typedef struct busy_caller {
    dg_archive *archive;
    const dg_actor *actor;
    dg_status st;
} busy_caller;

/* One request on its handle: it starts, appends a search's entry, and ends. */
static void *request_main(void *arg)
{
    busy_caller *c = arg;
    dg_log_event ev = {.action = "search", .query = "window", .hits = 1, .outcome = "ok",
                       .read = 1};
    dg_error err;
    dg_log_group_request(c->archive, 1);
    c->st = dg_log_append(c->archive, c->actor, NULL, &ev, &err);
    dg_log_group_request(c->archive, 0);
    return NULL;
}

/*
 * The commit window: a leader waits for the entries of its group's other handles that are
 * inside a request, but never for a handle that does not append (a request that writes
 * nothing, a handle busy in a transaction of its own): its wait ends with the window, and
 * its entry commits. Handles in requests at once commit all their entries, chained and in
 * the tree, and the group counts no handle busy after the requests end.
 */
static void test_commit_window_waits_for_busy_handles_only_so_long(void **state)
{
    (void)state;
    test_archive t;
    dg_log_group *g = group_make(&t);
    dg_archive *idle;
    dg_error err;
    assert_int_equal(dg_archive_open(t.path, &idle, &err), DG_OK);
    dg_log_group_attach(idle, g);
    dg_log_group_attach(t.archive, g);
    dg_log_group_request(idle, 1); /* busy, and it never appends */
    busy_caller one = {.archive = t.archive, .actor = &t.admin};
    request_main(&one); /* returns: the window ends */
    assert_int_equal(one.st, DG_OK);
    dg_log_group_counts counts;
    dg_log_group_stats(g, &counts);
    assert_int_equal(counts.entries, 1);
    assert_int_equal(counts.busy, 1);
    dg_log_group_request(idle, 0);
    dg_archive_close(idle);

    busy_caller callers[CALLERS];
    dg_archive *handles[CALLERS];
    pthread_t threads[CALLERS];
    for (int i = 0; i < CALLERS; i++) {
        assert_int_equal(dg_archive_open(t.path, &handles[i], &err), DG_OK);
        dg_log_group_attach(handles[i], g);
        callers[i] = (busy_caller){.archive = handles[i], .actor = &t.admin};
    }
    for (int i = 0; i < CALLERS; i++)
        assert_int_equal(pthread_create(&threads[i], NULL, request_main, &callers[i]), 0);
    for (int i = 0; i < CALLERS; i++) {
        pthread_join(threads[i], NULL);
        assert_int_equal(callers[i].st, DG_OK);
        dg_archive_close(handles[i]);
    }
    dg_log_group_stats(g, &counts);
    assert_int_equal(counts.entries, 1 + CALLERS);
    assert_true(counts.batches >= 2 && counts.batches <= 1 + CALLERS);
    assert_int_equal(counts.busy, 0);
    assert_int_equal(counts.waiting, 0);
    assert_int_equal(entries_with_action(&t, "search"), 1 + CALLERS);
    assert_log_whole(&t);
    group_done(&t, g);
}

enum { STRESS_ROUNDS = 100 };

typedef struct stress_caller {
    dg_archive *archive;
    const dg_actor *actor;
    int index;
    int failed;   /* appends that did not return DG_OK */
    int appended; /* requests that appended */
} stress_caller;

/*
 * Requests back to back on one handle: most append a search's entry, every third of an
 * odd caller's appends nothing (the group's other busy handles see it leave without an
 * entry, which ends a waiting leader's window at once); caller 0's requests stay busy a
 * while before their entries (so leaders wait for it, and its entry completes batches).
 */
static void *stress_main(void *arg)
{
    stress_caller *c = arg;
    for (int round = 0; round < STRESS_ROUNDS; round++) {
        dg_log_group_request(c->archive, 1);
        if (c->index == 0)
            usleep((useconds_t)(round % 4) * 300); /* a request busy a while, then an entry */
        if (c->index % 2 == 0 || round % 3 != 0) {
            dg_log_event ev = {.action = "search", .query = "stress", .hits = 1,
                               .outcome = "ok", .read = 1};
            dg_error err;
            c->failed += dg_log_append(c->archive, c->actor, NULL, &ev, &err) != DG_OK;
            c->appended++;
        }
        dg_log_group_request(c->archive, 0);
    }
    return NULL;
}

/*
 * Callers in requests at once, many rounds: leaders taking turns, leaders waiting out
 * their window for busy handles, windows ended by a handle that leaves without an entry.
 * Every entry commits exactly
 * once (two callers writing batches at once would fail on the log's ids or fork its
 * chain), the log and its tree are whole, and nothing is left waiting or busy.
 */
static void test_group_commits_each_entry_once_under_many_requests(void **state)
{
    (void)state;
    test_archive t;
    dg_log_group *g = group_make(&t);
    stress_caller callers[CALLERS];
    dg_archive *handles[CALLERS];
    pthread_t threads[CALLERS];
    dg_error err;
    /* Every batch on one writer handle, as in the server: two batches written at once
     * would mix in its one transaction, not queue behind each other's write lock. */
    dg_archive *writer;
    assert_int_equal(dg_archive_open(t.path, &writer, &err), DG_OK);
    dg_log_group_writer(g, writer);
    for (int i = 0; i < CALLERS; i++) {
        assert_int_equal(dg_archive_open(t.path, &handles[i], &err), DG_OK);
        dg_log_group_attach(handles[i], g);
        callers[i] = (stress_caller){.archive = handles[i], .actor = &t.admin, .index = i};
    }
    for (int i = 0; i < CALLERS; i++)
        assert_int_equal(pthread_create(&threads[i], NULL, stress_main, &callers[i]), 0);
    size_t appended = 0;
    for (int i = 0; i < CALLERS; i++) {
        pthread_join(threads[i], NULL);
        assert_int_equal(callers[i].failed, 0);
        appended += (size_t)callers[i].appended;
        dg_archive_close(handles[i]);
    }
    dg_log_group_counts counts;
    dg_log_group_stats(g, &counts);
    assert_int_equal(counts.entries, appended);
    assert_true(counts.batches >= 1 && counts.batches <= appended);
    assert_int_equal(counts.busy, 0);
    assert_int_equal(counts.waiting, 0);
    assert_int_equal(entries_with_action(&t, "search"), appended);
    assert_log_whole(&t);
    dg_log_group_writer(g, NULL);
    dg_archive_close(writer);
    group_done(&t, g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_group_commits_queued_entries_together_after_the_lock_is_free),
        cmocka_unit_test(test_group_refused_entry_leaves_the_others_committed),
        cmocka_unit_test(test_detached_handle_appends_alone),
        cmocka_unit_test(test_group_handle_in_its_own_transaction_does_not_join),
        cmocka_unit_test(test_deferring_group_syncs_changes_at_once_and_reads_later),
        cmocka_unit_test(test_group_writer_syncs_changes_at_once_and_reads_later),
        cmocka_unit_test(test_syncer_syncs_a_read_entry_after_the_delay),
        cmocka_unit_test(test_handles_keep_the_tree_whole_across_each_others_batches),
        cmocka_unit_test(test_group_stores_the_tree_at_each_filing),
        cmocka_unit_test(test_commit_window_waits_for_busy_handles_only_so_long),
        cmocka_unit_test(test_group_commits_each_entry_once_under_many_requests),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
