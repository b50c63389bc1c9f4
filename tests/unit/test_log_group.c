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

/* Another process's write transaction, as sqlite3 would hold it: no dangan handle can
 * begin writing until it ends. */
static sqlite3 *hold_write_lock(const test_archive *t)
{
    char path[160];
    snprintf(path, sizeof path, "%s/catalog.db", t->path);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_group_commits_queued_entries_together_after_the_lock_is_free),
        cmocka_unit_test(test_group_refused_entry_leaves_the_others_committed),
        cmocka_unit_test(test_detached_handle_appends_alone),
        cmocka_unit_test(test_group_handle_in_its_own_transaction_does_not_join),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
