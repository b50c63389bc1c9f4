/* test_verify.c — nothing silent: a reindex never empties search (killed, failing, or read
 * during), one bad record never stops the others, and verify sees (and repairs) what could
 * make a search answer wrongly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "engine/catalog.h"
#include "engine/indexer.h"
#include "engine/record.h"
#include "engine/search.h"
#include "engine/verify.h"
#include "index/index.h"
#include "testutil.h"

/* Enough versions that a reindex reports progress (every 64) before it ends. */
enum { MANY = 70 };

static void file_text(test_archive *t, const char *title, const char *text)
{
    dg_page_input page = {.data = text, .len = strlen(text), .mime = "text/plain",
                          .confidence = -1};
    dg_record_input in = {.title = title, .category = "administrative", .record_type = "notice",
                          .doc_date = "2024-01-10", .level = 1, .text = text, .pages = &page,
                          .n_pages = 1, .ocr_confidence = -1, .class_confidence = -1,
                          .reason = "test"};
    char refcode[DG_REFCODE_MAX];
    dg_error err;
    dg_status st = dg_record_add(t->archive, &t->admin, &in, refcode, &err);
    if (st != DG_OK)
        fprintf(stderr, "add: %s\n", err.msg);
    assert_int_equal(st, DG_OK);
}

static void file_many(test_archive *t, int n)
{
    for (int i = 0; i < n; i++) {
        char title[64], text[128];
        snprintf(title, sizeof title, "notice %d", i);
        snprintf(text, sizeof text, "schedule of the meeting number %d on the budget", i);
        file_text(t, title, text);
    }
}

/* The total of a search through archive; with hits_agree, its hits (a full page) are
 * checked to agree with it. */
static uint64_t search_total(dg_archive *archive, const dg_actor *who, const char *query,
                             int hits_agree)
{
    dg_index_query q = {.text = query, .level = -1, .limit = 1000};
    dg_search_result *r;
    dg_error err;
    dg_status st = dg_search(archive, who, &q, "[", "]", &r, &err);
    if (st != DG_OK)
        fprintf(stderr, "search: %s\n", err.msg);
    assert_int_equal(st, DG_OK);
    uint64_t total = r->total;
    if (hits_agree)
        assert_int_equal(r->n_hits, total);
    dg_search_result_free(r);
    return total;
}

static uint64_t total_of(dg_archive *archive, const dg_actor *who, const char *query)
{
    return search_total(archive, who, query, 1);
}

static dg_verify_report *verify(test_archive *t, int repair)
{
    dg_verify_options opts = {.repair = repair};
    dg_verify_report *report;
    dg_error err;
    dg_status st = dg_verify(t->archive, &t->admin, &opts, &report, &err);
    if (st != DG_OK)
        fprintf(stderr, "verify: %s\n", err.msg);
    assert_int_equal(st, DG_OK);
    return report;
}

static size_t count_kind(const dg_verify_report *r, dg_problem_kind kind)
{
    size_t n = 0;
    for (size_t i = 0; i < r->n_problems; i++)
        n += r->problems[i].kind == kind;
    return n;
}

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static void sql(const char *catalog, const char *statement)
{
    sqlite3 *db;
    assert_int_equal(sqlite3_open(catalog, &db), SQLITE_OK);
    char *msg = NULL;
    int rc = sqlite3_exec(db, statement, NULL, NULL, &msg);
    if (rc != SQLITE_OK)
        fprintf(stderr, "sql: %s\n", msg);
    sqlite3_free(msg);
    assert_int_equal(rc, SQLITE_OK);
    sqlite3_close(db);
}

/* One text value from the catalog at path (malloc'd), or NULL. */
static char *sql_text(const char *catalog, const char *query)
{
    sqlite3 *db;
    sqlite3_stmt *stmt;
    assert_int_equal(sqlite3_open(catalog, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, query, -1, &stmt, NULL), SQLITE_OK);
    char *out = NULL;
    if (sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_text(stmt, 0))
        out = strdup((const char *)sqlite3_column_text(stmt, 0));
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return out;
}

static int owed(const test_archive *t)
{
    char catalog[160];
    snprintf(catalog, sizeof catalog, "%s/catalog.db", t->path);
    char *v = sql_text(catalog, "SELECT value FROM settings WHERE key = 'index_rebuild_owed'");
    free(v);
    return v != NULL;
}

/* ---- a reindex killed half way -------------------------------------------------------- */

/* The progress handler of the child that reindexes: it dies by SIGKILL in the middle. */
static void die_mid_reindex(void *ctx, const char *what, uint64_t done, uint64_t total)
{
    (void)ctx;
    if (!strcmp(what, "reindex") && done > 0 && done < total)
        kill(getpid(), SIGKILL);
}

static void test_a_reindex_killed_half_way_leaves_search_whole_and_is_resumed(void **state)
{
    (void)state;
    test_archive t;
    assert_true(test_archive_make(&t));
    file_many(&t, MANY);
    assert_int_equal(total_of(t.archive, &t.admin, "budget"), MANY);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) { /* kill -9 in the middle of the rebuild, for real */
        dg_archive_set_progress_handler(t.archive, die_mid_reindex, NULL);
        dg_reindex_report report;
        dg_error err;
        dg_reindex(t.archive, &t.admin, &report, &err);
        _exit(0); /* not reached when the kill worked */
    }
    int status = 0;
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    /* The live index is untouched: this handle (opened before) still finds everything. */
    assert_int_equal(total_of(t.archive, &t.admin, "budget"), MANY);
    assert_true(owed(&t));
    char build[160];
    snprintf(build, sizeof build, "%s/index.build", t.path);
    assert_true(exists(build)); /* the half-built index the kill left */
    /* The next open resumes the rebuild: nothing owed, nothing left over, all found. */
    dg_archive_close(t.archive);
    dg_error err;
    assert_int_equal(dg_archive_open(t.path, &t.archive, &err), DG_OK);
    assert_false(owed(&t));
    assert_false(exists(build));
    assert_int_equal(total_of(t.archive, &t.admin, "budget"), MANY);
    dg_verify_report *r = verify(&t, 0);
    assert_int_equal(r->n_problems, 0);
    assert_int_equal(r->index_documents, MANY);
    dg_verify_report_free(r);
    test_archive_remove(&t);
}

/* ---- readers during a reindex ----------------------------------------------------------- */

typedef struct watcher {
    dg_archive *reader; /* opened before the reindex */
    const dg_actor *who;
    const char *build;
    int calls, seen_building;
    uint64_t min_total;
} watcher;

static void search_while_building(void *ctx, const char *what, uint64_t done, uint64_t total)
{
    watcher *w = ctx;
    if (strcmp(what, "reindex") != 0 || done == 0 || done >= total)
        return;
    w->calls++;
    w->seen_building |= exists(w->build);
    uint64_t n = total_of(w->reader, w->who, "budget");
    if (n < w->min_total)
        w->min_total = n;
}

static void test_a_reader_sees_the_whole_index_while_a_reindex_runs(void **state)
{
    (void)state;
    test_archive t;
    assert_true(test_archive_make(&t));
    file_many(&t, MANY);
    dg_archive *reader;
    dg_error err;
    assert_int_equal(dg_archive_open(t.path, &reader, &err), DG_OK);
    assert_int_equal(total_of(reader, &t.admin, "budget"), MANY);
    char build[160];
    snprintf(build, sizeof build, "%s/index.build", t.path);
    watcher w = {.reader = reader, .who = &t.admin, .build = build, .min_total = UINT64_MAX};
    dg_archive_set_progress_handler(t.archive, search_while_building, &w);
    dg_reindex_report report;
    assert_int_equal(dg_reindex(t.archive, &t.admin, &report, &err), DG_OK);
    assert_int_equal(report.versions, MANY);
    assert_int_equal(report.n_failed, 0);
    dg_reindex_report_clear(&report);
    assert_true(w.calls > 0);
    assert_true(w.seen_building);
    assert_int_equal(w.min_total, MANY);
    /* After the swap the same reader follows the new index. */
    assert_int_equal(total_of(reader, &t.admin, "budget"), MANY);
    assert_false(exists(build));
    dg_archive_close(reader);
    test_archive_remove(&t);
}

/* ---- one damaged object ----------------------------------------------------------------- */

static void truncate_text_object(test_archive *t, const char *title)
{
    char catalog[160], query[256], path[320];
    snprintf(catalog, sizeof catalog, "%s/catalog.db", t->path);
    snprintf(query, sizeof query, "SELECT text_sha256 FROM versions WHERE title = '%s'", title);
    char *hex = sql_text(catalog, query);
    assert_non_null(hex);
    snprintf(path, sizeof path, "%s/objects/%.2s/%s", t->path, hex, hex + 2);
    assert_int_equal(truncate(path, 10), 0);
    free(hex);
}

static void test_a_damaged_object_skips_its_version_and_the_others_are_indexed(void **state)
{
    (void)state;
    test_archive t;
    assert_true(test_archive_make(&t));
    file_many(&t, 5);
    truncate_text_object(&t, "notice 2");
    dg_reindex_report report;
    dg_error err;
    assert_int_equal(dg_reindex(t.archive, &t.admin, &report, &err), DG_OK);
    assert_int_equal(report.versions, 4);
    assert_int_equal(report.n_failed, 1);
    assert_non_null(strstr(report.failed[0], "X001-XZ·2024-D10-0003 version 1"));
    dg_reindex_report_clear(&report);
    assert_int_equal(total_of(t.archive, &t.admin, "budget"), 4);
    /* verify lists it with its reason, in the queue; the search could answer wrongly. */
    dg_verify_report *r = verify(&t, 0);
    assert_int_equal(count_kind(r, DG_PROBLEM_QUEUED), 1);
    assert_int_equal(count_kind(r, DG_PROBLEM_CORRUPT), 1);
    assert_int_equal(count_kind(r, DG_PROBLEM_UNINDEXED), 0); /* reported once, as queued */
    for (size_t i = 0; i < r->n_problems; i++)
        if (r->problems[i].kind == DG_PROBLEM_QUEUED)
            assert_non_null(strstr(r->problems[i].detail, "could not be indexed"));
    dg_verify_report_free(r);
    /* A later write is indexed, and does not report the old failure as its own. */
    file_text(&t, "later", "the budget of a later year");
    assert_int_equal(total_of(t.archive, &t.admin, "budget"), 5);
    test_archive_remove(&t);
}

/* ---- a damaged catalog -------------------------------------------------------------------- */

/* Writes 200 bytes of garbage into the middle of a leaf page of the versions table of the
 * catalog at path (after a checkpoint, so the page is in the main file). */
static void damage_versions_page(const char *catalog)
{
    sqlite3 *db;
    sqlite3_stmt *stmt;
    assert_int_equal(sqlite3_open(catalog, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT pageno, (SELECT page_size FROM pragma_page_size())"
                                        " FROM dbstat WHERE name = 'versions'"
                                        " AND pagetype = 'leaf' ORDER BY pageno LIMIT 1",
                                        -1, &stmt, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
    long pgno = sqlite3_column_int(stmt, 0), page = sqlite3_column_int(stmt, 1);
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    FILE *f = fopen(catalog, "r+b");
    assert_non_null(f);
    assert_int_equal(fseek(f, (pgno - 1) * page + 8, SEEK_SET), 0);
    unsigned char junk[200];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (unsigned char)(i * 37 + 11);
    assert_int_equal(fwrite(junk, 1, sizeof junk, f), sizeof junk);
    fclose(f);
}

static void test_a_damaged_catalog_is_seen_and_reindex_leaves_the_index_alone(void **state)
{
    (void)state;
    test_archive t;
    assert_true(test_archive_make(&t));
    file_many(&t, 20);
    dg_archive_close(t.archive);
    t.archive = NULL;
    /* Damage a copy; the original stays whole. */
    char copy[160], cmd[400], catalog[200];
    snprintf(copy, sizeof copy, "%s/copy", t.dir);
    snprintf(cmd, sizeof cmd, "cp -a '%s' '%s'", t.path, copy);
    assert_int_equal(system(cmd), 0);
    snprintf(catalog, sizeof catalog, "%s/catalog.db", copy);
    damage_versions_page(catalog);
    dg_archive *damaged;
    dg_error err;
    dg_status st = dg_archive_open(copy, &damaged, &err);
    if (st != DG_OK)
        fprintf(stderr, "open: %s\n", err.msg);
    assert_int_equal(st, DG_OK);
    dg_actor admin;
    assert_int_equal(dg_actor_login(damaged, "owner", "test", &admin, &err), DG_OK);
    /* Totals only: hits whose catalog rows are damaged cannot be described. */
    uint64_t before = search_total(damaged, &admin, "budget", 0);
    assert_int_equal(before, 20); /* the index was built before the damage */
    dg_verify_options opts = {0};
    dg_verify_report *r;
    assert_int_equal(dg_verify(damaged, &admin, &opts, &r, &err), DG_OK);
    assert_true(count_kind(r, DG_PROBLEM_CATALOG) >= 1);
    dg_verify_report_free(r);
    opts.quick = 1;
    assert_int_equal(dg_verify(damaged, &admin, &opts, &r, &err), DG_OK);
    assert_true(count_kind(r, DG_PROBLEM_CATALOG) >= 1);
    dg_verify_report_free(r);
    dg_reindex_report report;
    assert_int_equal(dg_reindex(damaged, &admin, &report, &err), DG_ERR_CORRUPT);
    assert_non_null(strstr(err.msg, "damaged"));
    assert_int_equal(search_total(damaged, &admin, "budget", 0), before);
    dg_archive_close(damaged);
    /* The original is whole. */
    assert_int_equal(dg_archive_open(t.path, &t.archive, &err), DG_OK);
    r = verify(&t, 0);
    assert_int_equal(r->n_problems, 0);
    dg_verify_report_free(r);
    test_archive_remove(&t);
}

/* ---- verify against the index ----------------------------------------------------------- */

static void test_verify_finds_a_missing_and_an_extra_document_and_repairs_them(void **state)
{
    (void)state;
    test_archive t;
    assert_true(test_archive_make(&t));
    file_many(&t, 3);
    dg_verify_report *r = verify(&t, 0);
    assert_int_equal(r->n_problems, 0);
    assert_true(r->log_checked);
    assert_int_equal(strlen(r->log_head), 64);
    dg_verify_report_free(r);
    /* Behind the engine's back: one version's document gone, one unknown document added. */
    char path[160];
    snprintf(path, sizeof path, "%s/index", t.path);
    dg_index *index;
    dg_error err;
    assert_int_equal(dg_index_open(path, DG_INDEX_WRITE, &index, &err), DG_OK);
    assert_int_equal(dg_index_delete_version(index, 2, &err), DG_OK);
    dg_index_doc ghost = {.version_id = 9999, .record_id = 9999, .version_number = 1,
                          .is_current = 1, .refcode = "X001-XZ·2024-D10-9999", .title = "ghost",
                          .body = "budget of nobody", .category = "XZ", .period = "D10",
                          .year = 2024, .level = 1};
    assert_int_equal(dg_index_put(index, &ghost, &err), DG_OK);
    assert_int_equal(dg_index_commit(index, &err), DG_OK);
    dg_index_close(index);
    r = verify(&t, 0);
    assert_int_equal(count_kind(r, DG_PROBLEM_UNINDEXED), 1);
    assert_int_equal(count_kind(r, DG_PROBLEM_EXTRA), 1);
    assert_int_equal(r->n_problems, 2);
    dg_verify_report_free(r);
    r = verify(&t, 1);
    assert_int_equal(r->n_problems, 0);
    assert_true(r->n_repairs >= 2);
    assert_int_equal(r->index_documents, 3);
    dg_verify_report_free(r);
    assert_int_equal(total_of(t.archive, &t.admin, "budget"), 3);
    test_archive_remove(&t);
}

static void test_verify_reports_an_owed_rebuild_and_repair_resumes_it(void **state)
{
    (void)state;
    test_archive t;
    assert_true(test_archive_make(&t));
    file_many(&t, 3);
    char catalog[160];
    snprintf(catalog, sizeof catalog, "%s/catalog.db", t.path);
    sql(catalog, "INSERT INTO settings(key, value) VALUES('index_rebuild_owed', '1'),"
                 " ('index_rebuild_failed', 'a test said so')");
    dg_verify_report *r = verify(&t, 0);
    assert_int_equal(count_kind(r, DG_PROBLEM_REBUILD), 1);
    assert_non_null(strstr(r->problems[0].detail, "a test said so"));
    dg_verify_report_free(r);
    r = verify(&t, 1);
    assert_int_equal(r->n_problems, 0);
    assert_non_null(strstr(r->repairs[0], "rebuilt the index"));
    dg_verify_report_free(r);
    assert_false(owed(&t));
    test_archive_remove(&t);
}

/* ---- a destruction killed between its steps ------------------------------------------- */

/*
 * A destruction deletes the catalog rows, then the index documents. Killed in between, the
 * index still holds the documents of a record whose destruction has begun: a reader must
 * count exactly what it can show, and the next open deletes the documents.
 */
static void test_totals_and_hits_agree_when_a_destruction_stopped_half_way(void **state)
{
    (void)state;
    test_archive t;
    assert_true(test_archive_make(&t));
    file_many(&t, 3);
    assert_int_equal(total_of(t.archive, &t.admin, "budget"), 3);
    /* The catalog side of a destruction of record 2, as destroy_in_catalog leaves it. */
    char catalog[160];
    snprintf(catalog, sizeof catalog, "%s/catalog.db", t.path);
    sql(catalog,
        "INSERT INTO reviews(id, year, state, created_at, created_by)"
        "  VALUES(1, 2026, 'witnessed', '2026-01-05', 1);"
        "INSERT INTO review_items(review_id, record_id, state, due_year)"
        "  VALUES(1, 2, 'witnessed', 2025);"
        "UPDATE review_items SET state = 'destroying';"
        "UPDATE records SET state = 'destroyed' WHERE id = 2;"
        "DELETE FROM index_queue; DELETE FROM pages WHERE version_id = 2;"
        "DELETE FROM versions WHERE record_id = 2;");
    /* This handle was open all along (no open replayed anything): the filter decides. */
    assert_int_equal(total_of(t.archive, &t.admin, "budget"), 2);
    dg_archive_close(t.archive);
    dg_error err;
    assert_int_equal(dg_archive_open(t.path, &t.archive, &err), DG_OK);
    assert_int_equal(total_of(t.archive, &t.admin, "budget"), 2);
    dg_verify_report *r = verify(&t, 0);
    assert_int_equal(count_kind(r, DG_PROBLEM_EXTRA), 0); /* the open deleted the documents */
    assert_int_equal(r->index_documents, 2);
    dg_verify_report_free(r);
    test_archive_remove(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_reindex_killed_half_way_leaves_search_whole_and_is_resumed),
        cmocka_unit_test(test_a_reader_sees_the_whole_index_while_a_reindex_runs),
        cmocka_unit_test(test_a_damaged_object_skips_its_version_and_the_others_are_indexed),
        cmocka_unit_test(test_a_damaged_catalog_is_seen_and_reindex_leaves_the_index_alone),
        cmocka_unit_test(test_verify_finds_a_missing_and_an_extra_document_and_repairs_them),
        cmocka_unit_test(test_verify_reports_an_owed_rebuild_and_repair_resumes_it),
        cmocka_unit_test(test_totals_and_hits_agree_when_a_destruction_stopped_half_way),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
