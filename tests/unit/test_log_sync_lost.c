/* test_log_sync_lost.c — a handle of a deferring log group (log.h) that cannot be set
 * back to synchronous=FULL after a read's unsynced batch commits nothing at all until it
 * can: a change on it fails with an error instead of answering success unsynced. The
 * failure is injected (base/fault.h, point log.synchronous), so only the test build runs
 * it; the settings are read once per process, hence a program of its own. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/archive_internal.h" /* the handle's catalog, to hold a transaction */
#include "engine/catalog.h"
#include "engine/log.h"
#include "testutil.h"

#ifdef DG_FAULT_INJECTION

static int synchronous_of(sqlite3 *db)
{
    sqlite3_stmt *stmt;
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA synchronous", -1, &stmt, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
    int level = sqlite3_column_int(stmt, 0);
    sqlite3_finalize(stmt);
    return level;
}

/* Through another handle: reading the log is logged, and the stuck one logs nothing. */
static size_t entries_with_action(test_archive *t, dg_archive *other, const char *action)
{
    dg_log_filter filter = {.action = action};
    dg_log_entry *entries;
    size_t n;
    dg_error err;
    assert_int_equal(dg_log_read(other, &t->admin, &filter, &entries, &n, &err), DG_OK);
    dg_log_entries_free(entries, n);
    return n;
}

static int table_exists(const char *archive_path, const char *name)
{
    char path[160], sql[128];
    snprintf(path, sizeof path, "%s/log.db", archive_path);
    snprintf(sql, sizeof sql, "SELECT 1 FROM sqlite_master WHERE name = '%s'", name);
    sqlite3 *db;
    sqlite3_stmt *stmt;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL), SQLITE_OK);
    int found = sqlite3_step(stmt) == SQLITE_ROW;
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return found;
}

/*
 * DANGAN_FAULT=log.synchronous:2+ (set in main): the read's batch sets NORMAL (hit 1),
 * commits, and every try to set FULL again fails. The handle then refuses a change's
 * entry, any commit at all, and a later append (which tries FULL again first); the read's
 * entry is there and the log is whole.
 */
static void test_a_handle_that_cannot_sync_again_commits_nothing(void **state)
{
    (void)state;
    test_archive t;
    assert_true(test_archive_make(&t));
    dg_log_group *g;
    dg_error err;
    assert_int_equal(dg_log_group_new(&g, &err), DG_OK);
    assert_int_equal(dg_log_group_defer_reads(g, t.archive, 3600L * 1000, &err), DG_OK);
    dg_log_group_attach(t.archive, g);
    dg_log_event read = {.action = "search", .query = "q", .hits = 0, .outcome = "ok",
                         .read = 1};
    assert_int_equal(dg_log_append(t.archive, &t.admin, NULL, &read, &err), DG_OK);
    /* The batch ran on the handle's connection to the log's file (catalog.h): that one is
     * stuck at NORMAL; its catalog connection was never switched. */
    sqlite3 *db = t.archive->log_db;
    assert_non_null(db);
    assert_int_equal(synchronous_of(db), 1); /* stuck at NORMAL */
    assert_int_equal(synchronous_of(t.archive->db), 2);

    /* A change's entry inside its transaction is refused, with the reason. */
    dg_log_event change = {.action = "edit", .refcode = "X001-2024-Y-0001", .outcome = "ok"};
    assert_int_equal(dg_catalog_begin_write(t.archive->db, &err), DG_OK);
    assert_int_not_equal(dg_log_append_in_txn(t.archive, &t.admin, NULL, &change, &err), DG_OK);
    assert_non_null(strstr(err.msg, "cannot sync its commits"));
    dg_catalog_rollback(t.archive->db);

    /* A commit on the stuck connection is refused too (it would not be synced). */
    assert_int_equal(dg_catalog_begin_write(db, &err), DG_OK);
    assert_int_equal(dg_catalog_exec(db, "CREATE TABLE sync_probe(x)", &err), DG_OK);
    assert_int_not_equal(dg_catalog_commit(db, &err), DG_OK);
    dg_catalog_rollback(db);
    assert_false(table_exists(t.path, "sync_probe"));

    /* An append in its own transaction tries FULL again first, fails, and says so. */
    assert_int_not_equal(dg_log_append(t.archive, &t.admin, NULL, &change, &err), DG_OK);
    assert_non_null(strstr(err.msg, "cannot sync its commits"));

    /* Reading the log is itself logged, so the stuck handle cannot even do that. */
    dg_log_entry *entries;
    size_t n;
    dg_log_filter all = {0};
    assert_int_not_equal(dg_log_read(t.archive, &t.admin, &all, &entries, &n, &err), DG_OK);

    dg_archive *other;
    assert_int_equal(dg_archive_open(t.path, &other, &err), DG_OK);
    assert_int_equal(entries_with_action(&t, other, "search"), 1);
    assert_int_equal(entries_with_action(&t, other, "edit"), 0);
    dg_log_check check;
    assert_int_equal(dg_log_verify(other, &t.admin, &check, &err), DG_OK);
    assert_int_equal(check.first_broken, 0);
    assert_int_equal(check.tree_differs, 0);
    dg_archive_close(other);

    dg_log_group_attach(t.archive, NULL);
    dg_log_group_free(g);
    test_archive_remove(&t);
}

int main(void)
{
    setenv("DANGAN_FAULT", "log.synchronous:2+", 1); /* before the first fault point */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_handle_that_cannot_sync_again_commits_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

#else

/* Without the test build's fault points there is nothing to test. */
int main(void)
{
    printf("fault injection is compiled only into the test build (make check)\n");
    return 0;
}

#endif
