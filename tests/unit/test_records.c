/* test_records.c — filing, versions, clearance on every read path, crash repair of the index
 * and of the object store. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "engine/catalog.h"
#include "engine/disposal.h"
#include "engine/record.h"
#include "engine/search.h"
#include "engine/store.h"
#include "engine/verify.h"
#include "index/index.h"
#include "testutil.h"

static void file_text(test_archive *t, const char *title, const char *text, int level,
                      char refcode[DG_REFCODE_MAX])
{
    dg_page_input page = {.data = text, .len = strlen(text), .mime = "text/plain",
                          .confidence = -1};
    dg_record_input in = {.title = title, .category = "administrative", .record_type = "notice",
                          .doc_date = "2024-01-10", .level = level, .text = text,
                          .pages = &page, .n_pages = 1, .ocr_confidence = -1,
                          .class_confidence = -1, .reason = "test"};
    dg_error err;
    dg_status st = dg_record_add(t->archive, &t->admin, &in, refcode, &err);
    if (st != DG_OK)
        fprintf(stderr, "add: %s\n", err.msg);
    assert_int_equal(st, DG_OK);
}

static uint64_t count_hits(test_archive *t, const dg_actor *who, const char *query, int all)
{
    dg_index_query q = {.text = query, .level = -1, .limit = 10, .all_versions = all};
    dg_search_result *r;
    dg_error err;
    assert_int_equal(dg_search(t->archive, who, &q, "[", "]", &r, &err), DG_OK);
    uint64_t total = r->total;
    dg_search_result_free(r);
    return total;
}

static void test_filed_record_gets_a_reference_code_and_version_one(void **state)
{
    (void)state;
    test_archive t;
    assert_true(test_archive_make(&t));
    char ref[DG_REFCODE_MAX];
    file_text(&t, "关于2024年寒假安排的通知", "寒假自1月20日开始。", 1, ref);
    /* A notice is D10 under the default schedule. */
    assert_string_equal(ref, "X001-XZ·2024-D10-0001");
    dg_record *rec;
    dg_error err;
    assert_int_equal(dg_record_get(t.archive, &t.admin, ref, 0, &rec, &err), DG_OK);
    assert_int_equal(rec->current_version, 1);
    assert_string_equal(rec->text, "寒假自1月20日开始。");
    assert_string_equal(rec->version.period, "D10");
    dg_record_free(rec);
    test_archive_remove(&t);
}

static void test_an_edit_is_a_new_version_and_the_old_one_stays_readable(void **state)
{
    (void)state;
    test_archive t;
    assert_true(test_archive_make(&t));
    char ref[DG_REFCODE_MAX];
    file_text(&t, "Old title", "budget for the library", 1, ref);
    dg_record_change change = {.title = "New title", .reason = "typo"};
    int version;
    dg_error err;
    assert_int_equal(dg_record_edit(t.archive, &t.admin, ref, &change, &version, &err), DG_OK);
    assert_int_equal(version, 2);
    dg_record *rec;
    assert_int_equal(dg_record_get(t.archive, &t.admin, ref, 1, &rec, &err), DG_OK);
    assert_string_equal(rec->version.title, "Old title");
    assert_int_equal(rec->n_history, 2);
    assert_string_equal(rec->history[1].reason, "typo");
    dg_record_free(rec);
    /* Only the newest version is searchable by default; all versions on request. */
    assert_int_equal(count_hits(&t, &t.admin, "library", 0), 1);
    assert_int_equal(count_hits(&t, &t.admin, "library", 1), 2);
    /* An edit without a reason, or that changes nothing, is refused. */
    dg_record_change no_reason = {.title = "X"};
    assert_int_equal(dg_record_edit(t.archive, &t.admin, ref, &no_reason, &version, &err),
                     DG_ERR_USAGE);
    dg_record_change same = {.title = "New title", .reason = "again"};
    assert_int_equal(dg_record_edit(t.archive, &t.admin, ref, &same, &version, &err),
                     DG_ERR_USAGE);
    test_archive_remove(&t);
}

static void test_versions_cannot_be_updated_in_the_catalog(void **state)
{
    (void)state;
    test_archive t;
    assert_true(test_archive_make(&t));
    char ref[DG_REFCODE_MAX];
    file_text(&t, "Minutes", "text", 1, ref);
    char path[128];
    snprintf(path, sizeof path, "%s/catalog.db", t.path);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_not_equal(sqlite3_exec(db, "UPDATE versions SET title = 'x'", NULL, NULL, NULL),
                         SQLITE_OK);
    sqlite3_close(db);
    test_archive_remove(&t);
}

static void test_record_above_clearance_looks_exactly_like_a_missing_one(void **state)
{
    (void)state;
    test_archive t;
    assert_true(test_archive_make(&t));
    dg_actor zhang;
    assert_true(test_archive_user(&t, "zhang", 1, DG_ROLE_STAFF, &zhang));
    char secret[DG_REFCODE_MAX];
    file_text(&t, "Salary review", "confidential salary figures", 3, secret);
    dg_record *rec;
    dg_error above, missing;
    assert_int_equal(dg_record_get(t.archive, &zhang, secret, 0, &rec, &above), DG_ERR_NOT_FOUND);
    /* The next code in the series does not exist yet. */
    char next[DG_REFCODE_MAX];
    snprintf(next, sizeof next, "%s", secret);
    next[strlen(next) - 1] = '2';
    assert_int_equal(dg_record_get(t.archive, &zhang, next, 0, &rec, &missing), DG_ERR_NOT_FOUND);
    /* Same words, only the code differs. */
    char expected[256];
    snprintf(expected, sizeof expected, "%s: no such record", secret);
    assert_string_equal(above.msg, expected);
    snprintf(expected, sizeof expected, "%s: no such record", next);
    assert_string_equal(missing.msg, expected);
    assert_int_equal(count_hits(&t, &zhang, "salary", 0), 0);
    assert_int_equal(count_hits(&t, &t.admin, "salary", 0), 1);
    test_archive_remove(&t);
}

/* hold add / hold release worked on a record above the caller's clearance and said "not on
 * hold" for it but "no such record" for a missing one: now both are "no such record", and
 * nothing changes. */
static void test_holds_treat_a_record_above_clearance_exactly_like_a_missing_one(void **state)
{
    (void)state;
    test_archive t;
    assert_true(test_archive_make(&t));
    dg_actor low;
    assert_true(test_archive_user(&t, "low", 1, DG_ROLE_ARCHIVIST, &low));
    char secret[DG_REFCODE_MAX], next[DG_REFCODE_MAX], mine[DG_REFCODE_MAX];
    file_text(&t, "Salary review", "confidential salary figures", 3, secret);
    file_text(&t, "Timetable", "the timetable", 1, mine);
    snprintf(next, sizeof next, "%s", secret);
    next[strlen(next) - 1] = '9'; /* never filed */
    const char *refs[] = {secret, next};
    char messages[2][2][DG_ERROR_MAX];
    for (int i = 0; i < 2; i++) {
        dg_error err;
        assert_int_equal(dg_hold_place(t.archive, &low, refs[i], "audit", &err), DG_ERR_NOT_FOUND);
        snprintf(messages[i][0], DG_ERROR_MAX, "%s", err.msg);
        assert_int_equal(dg_hold_release(t.archive, &low, refs[i], "done", &err),
                         DG_ERR_NOT_FOUND);
        snprintf(messages[i][1], DG_ERROR_MAX, "%s", err.msg);
    }
    char expected[256];
    for (int i = 0; i < 2; i++) {
        snprintf(expected, sizeof expected, "%s: no such record", refs[i]);
        assert_string_equal(messages[i][0], expected);
        assert_string_equal(messages[i][1], expected);
    }
    /* Nothing was placed: the admin can place the first hold on the secret record. */
    dg_error err;
    assert_int_equal(dg_hold_place(t.archive, &t.admin, secret, "audit", &err), DG_OK);
    /* On a record they may see, holds work as before. */
    assert_int_equal(dg_hold_release(t.archive, &low, mine, "done", &err), DG_ERR_NOT_FOUND);
    assert_non_null(strstr(err.msg, "is not on hold"));
    assert_int_equal(dg_hold_place(t.archive, &low, mine, "audit", &err), DG_OK);
    assert_int_equal(dg_hold_release(t.archive, &low, mine, "done", &err), DG_OK);
    test_archive_remove(&t);
}

static void test_raising_the_level_hides_every_version(void **state)
{
    (void)state;
    test_archive t;
    assert_true(test_archive_make(&t));
    dg_actor zhang;
    assert_true(test_archive_user(&t, "zhang", 1, DG_ROLE_STAFF, &zhang));
    char ref[DG_REFCODE_MAX];
    file_text(&t, "Staff list", "staff identity numbers", 1, ref);
    assert_int_equal(count_hits(&t, &zhang, "identity", 1), 1);
    int level = 2, version;
    dg_record_change change = {.level = &level, .reason = "contains staff ID numbers"};
    dg_error err;
    assert_int_equal(dg_record_edit(t.archive, &t.admin, ref, &change, &version, &err), DG_OK);
    assert_int_equal(count_hits(&t, &zhang, "identity", 1), 0); /* old version too */
    assert_int_equal(count_hits(&t, &t.admin, "identity", 1), 2);
    test_archive_remove(&t);
}

static void test_secret_records_need_an_explicit_grant(void **state)
{
    (void)state;
    test_archive t;
    assert_true(test_archive_make(&t));
    dg_actor leader;
    assert_true(test_archive_user(&t, "leader", 3, DG_ROLE_LEADER, &leader));
    char ref[DG_REFCODE_MAX];
    file_text(&t, "Investigation", "disciplinary investigation", 4, ref);
    assert_int_equal(count_hits(&t, &leader, "disciplinary", 0), 0);
    dg_error err;
    assert_int_equal(dg_record_grant(t.archive, &t.admin, ref, "leader", 1, &err), DG_OK);
    assert_int_equal(count_hits(&t, &leader, "disciplinary", 0), 1);
    dg_record *rec;
    assert_int_equal(dg_record_get(t.archive, &leader, ref, 0, &rec, &err), DG_OK);
    dg_record_free(rec);
    assert_int_equal(dg_record_grant(t.archive, &t.admin, ref, "leader", 0, &err), DG_OK);
    assert_int_equal(count_hits(&t, &leader, "disciplinary", 0), 0);
    test_archive_remove(&t);
}

static void test_staff_cannot_file_or_edit(void **state)
{
    (void)state;
    test_archive t;
    assert_true(test_archive_make(&t));
    dg_actor zhang;
    assert_true(test_archive_user(&t, "zhang", 1, DG_ROLE_STAFF, &zhang));
    dg_record_input in = {.title = "x", .category = "finance", .level = -1,
                          .ocr_confidence = -1, .class_confidence = -1};
    char ref[DG_REFCODE_MAX];
    dg_error err;
    assert_int_equal(dg_record_add(t.archive, &zhang, &in, ref, &err), DG_ERR_DENIED);
    test_archive_remove(&t);
}

/*
 * The state a crash between the catalog commit and the index commit leaves: the version
 * is in the catalog and queued, the index lacks it. Reopening must index it, once.
 */
static void test_version_left_unindexed_by_a_crash_is_indexed_on_open(void **state)
{
    (void)state;
    test_archive t;
    assert_true(test_archive_make(&t));
    char ref[DG_REFCODE_MAX];
    file_text(&t, "Procurement", "procurement of projectors", 1, ref);
    dg_archive_close(t.archive);
    t.archive = NULL;
    char path[160];
    snprintf(path, sizeof path, "%s/index", t.path);
    dg_index *index;
    dg_error err;
    assert_int_equal(dg_index_open(path, DG_INDEX_WRITE, &index, &err), DG_OK);
    assert_int_equal(dg_index_clear(index, &err), DG_OK);
    assert_int_equal(dg_index_commit(index, &err), DG_OK);
    dg_index_close(index);
    snprintf(path, sizeof path, "%s/catalog.db", t.path);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "INSERT INTO index_queue(version_id) SELECT id FROM versions", NULL,
                                  NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(dg_archive_open(t.path, &t.archive, &err), DG_OK);
    assert_int_equal(count_hits(&t, &t.admin, "projectors", 1), 1);
    test_archive_remove(&t);
}

/* Puts text into the object store of the archive at path, as a write does before its
 * catalog commit; hex gets its name. */
static void put_object(const char *path, const char *text, char hex[DG_SHA256_HEX])
{
    char objects[160];
    snprintf(objects, sizeof objects, "%s/objects", path);
    dg_store *store;
    dg_error err;
    assert_int_equal(dg_store_open(objects, &store, &err), DG_OK);
    assert_int_equal(dg_store_put(store, text, strlen(text), hex, NULL, NULL, &err), DG_OK);
    dg_store_close(store);
}

/* The result of checking object hex in the store of the archive at path. */
static dg_status check_object(const char *path, const char *hex)
{
    char objects[160];
    snprintf(objects, sizeof objects, "%s/objects", path);
    dg_store *store;
    dg_error err;
    assert_int_equal(dg_store_open(objects, &store, &err), DG_OK);
    dg_status st = dg_store_check(store, hex, &err);
    dg_store_close(store);
    return st;
}

static size_t verify_problems(test_archive *t)
{
    dg_verify_report *report;
    dg_error err;
    assert_int_equal(dg_verify(t->archive, &t->admin, NULL, &report, &err), DG_OK);
    size_t n = report->n_problems;
    dg_verify_report_free(report);
    return n;
}

/*
 * A writer killed between storing its objects and committing leaves objects no record
 * uses, and its "writing" mark: the next dangan run removes them, and verify passes.
 * Without the mark (no writer died), an unknown object is left for verify to report.
 */
static void test_objects_of_a_write_killed_before_its_commit_are_removed(void **state)
{
    (void)state;
    test_archive t;
    assert_true(test_archive_make(&t));
    char ref[DG_REFCODE_MAX];
    file_text(&t, "Kept", "a record that was committed", 1, ref);
    dg_archive_close(t.archive);
    t.archive = NULL;
    char lost[DG_SHA256_HEX], stray[DG_SHA256_HEX], mark[160];
    put_object(t.path, "text of a write that never committed", lost);
    snprintf(mark, sizeof mark, "%s/writing", t.path);
    FILE *f = fopen(mark, "w");
    assert_non_null(f);
    fclose(f);
    dg_error err;
    /* The next dangan run (here: opening the archive, as verify or a server start does). */
    assert_int_equal(dg_archive_open(t.path, &t.archive, &err), DG_OK);
    assert_int_equal(verify_problems(&t), 0);
    assert_int_equal(check_object(t.path, lost), DG_ERR_NOT_FOUND);
    assert_int_equal(access(mark, F_OK), -1);
    file_text(&t, "Next", "the next write", 1, ref);
    assert_int_equal(verify_problems(&t), 0);
    /* No mark: the object is not the remains of a crashed write; verify reports it. */
    put_object(t.path, "an object nobody filed", stray);
    file_text(&t, "Third", "a third write", 1, ref);
    assert_int_equal(verify_problems(&t), 1);
    assert_int_equal(check_object(t.path, stray), DG_OK);
    test_archive_remove(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_filed_record_gets_a_reference_code_and_version_one),
        cmocka_unit_test(test_an_edit_is_a_new_version_and_the_old_one_stays_readable),
        cmocka_unit_test(test_versions_cannot_be_updated_in_the_catalog),
        cmocka_unit_test(test_record_above_clearance_looks_exactly_like_a_missing_one),
        cmocka_unit_test(test_holds_treat_a_record_above_clearance_exactly_like_a_missing_one),
        cmocka_unit_test(test_raising_the_level_hides_every_version),
        cmocka_unit_test(test_secret_records_need_an_explicit_grant),
        cmocka_unit_test(test_staff_cannot_file_or_edit),
        cmocka_unit_test(test_version_left_unindexed_by_a_crash_is_indexed_on_open),
        cmocka_unit_test(test_objects_of_a_write_killed_before_its_commit_are_removed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
