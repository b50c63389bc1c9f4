/*
 * test_catalog.c — the catalog's row-reading helpers: one-row reads, "not found" with the
 * caller's message, row walks and collected listings, and above all that a step which fails
 * is reported as a catalog error, never taken for the end of the rows.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/catalog.h"

/* Integer overflow in abs() fails the step at run time, after prepare succeeded. */
#define FAILING_VALUE "abs(-9223372036854775808)"

/* Rows 1 and 2, then a step that fails on the third. */
#define FAILS_ON_THIRD_ROW                                                                   \
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3)"          \
    " SELECT CASE WHEN x < 3 THEN x ELSE " FAILING_VALUE " END FROM c"

static int open_memory(void **state)
{
    sqlite3 *db = NULL;
    if (sqlite3_open(":memory:", &db) != SQLITE_OK)
        return -1;
    sqlite3_extended_result_codes(db, 1);
    *state = db;
    return 0;
}

static int close_memory(void **state)
{
    sqlite3_close(*state);
    return 0;
}

static sqlite3_stmt *prepare(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *stmt = NULL;
    dg_error err;
    assert_int_equal(dg_catalog_prepare(db, sql, &stmt, &err), DG_OK);
    return stmt;
}

static void test_row_int64_reads_column_zero_of_the_one_row(void **state)
{
    sqlite3 *db = *state;
    int64_t value = 0;
    dg_error err;
    assert_int_equal(dg_catalog_row_int64(db, prepare(db, "SELECT 9000000000, 2"), &value,
                                          "read", &err, "no row"),
                     DG_OK);
    assert_int_equal(value, 9000000000LL);
}

static void test_missing_row_is_not_found_with_the_callers_message(void **state)
{
    sqlite3 *db = *state;
    int64_t value = 5;
    dg_error err;
    assert_int_equal(dg_catalog_row_int64(db, prepare(db, "SELECT 1 WHERE 0"), &value,
                                          "read version", &err, "%s has no version %d",
                                          "X001-CW", 7),
                     DG_ERR_NOT_FOUND);
    assert_string_equal(err.msg, "X001-CW has no version 7");
    assert_int_equal(value, 5); /* left as it was */
}

static void test_missing_row_that_must_exist_is_a_catalog_error(void **state)
{
    sqlite3 *db = *state;
    int64_t value = 0;
    dg_error err;
    assert_int_equal(dg_catalog_row_int64(db, prepare(db, "SELECT 1 WHERE 0"), &value,
                                          "count things", &err, NULL),
                     DG_ERR_DB);
    assert_non_null(strstr(err.msg, "catalog: count things"));
}

static void test_failing_step_is_a_catalog_error_not_a_missing_row(void **state)
{
    sqlite3 *db = *state;
    int64_t value = 0;
    dg_error err;
    assert_int_equal(dg_catalog_row_int64(db, prepare(db, "SELECT " FAILING_VALUE), &value,
                                          "read total", &err, "no total"),
                     DG_ERR_DB);
    assert_non_null(strstr(err.msg, "catalog: read total: integer overflow"));

    sqlite3_stmt *stmt = prepare(db, "SELECT " FAILING_VALUE);
    int found = 1;
    assert_int_equal(dg_catalog_step_maybe_row(db, stmt, &found, "look up", &err), DG_ERR_DB);
    assert_int_equal(found, 0);
    sqlite3_finalize(stmt);
}

static void test_maybe_row_tells_a_row_from_none(void **state)
{
    sqlite3 *db = *state;
    dg_error err;
    int found = 0;
    sqlite3_stmt *stmt = prepare(db, "SELECT 'here'");
    assert_int_equal(dg_catalog_step_maybe_row(db, stmt, &found, "look up", &err), DG_OK);
    assert_int_equal(found, 1);
    assert_string_equal((const char *)sqlite3_column_text(stmt, 0), "here");
    sqlite3_finalize(stmt);

    stmt = prepare(db, "SELECT 'here' WHERE 0");
    assert_int_equal(dg_catalog_step_maybe_row(db, stmt, &found, "look up", &err), DG_OK);
    assert_int_equal(found, 0);
    sqlite3_finalize(stmt);
}

static void test_step_row_leaves_every_column_ready(void **state)
{
    sqlite3 *db = *state;
    dg_error err;
    sqlite3_stmt *stmt = prepare(db, "SELECT 3, 'three'");
    assert_int_equal(dg_catalog_step_row(db, stmt, "read", &err, "none"), DG_OK);
    assert_int_equal(sqlite3_column_int(stmt, 0), 3);
    assert_string_equal((const char *)sqlite3_column_text(stmt, 1), "three");
    sqlite3_finalize(stmt);
}

static void test_row_text_copies_text_and_gives_null_for_a_null_column(void **state)
{
    sqlite3 *db = *state;
    dg_error err;
    char *text = NULL;
    assert_int_equal(dg_catalog_row_text(db, prepare(db, "SELECT 'X001-CW·2024'"), &text,
                                         "read code", &err, NULL),
                     DG_OK);
    assert_string_equal(text, "X001-CW·2024");
    free(text);
    text = (char *)"unchanged";
    assert_int_equal(dg_catalog_row_text(db, prepare(db, "SELECT NULL"), &text, "read code",
                                         &err, NULL),
                     DG_OK);
    assert_null(text);
}

typedef struct seen {
    int rows;
    int fail_at;
} seen;

static dg_status count_row(sqlite3_stmt *stmt, void *ctx, dg_error *err)
{
    seen *s = ctx;
    s->rows++;
    if (s->rows == s->fail_at)
        return dg_error_set(err, DG_ERR_STATE, "row %d refused", sqlite3_column_int(stmt, 0));
    return DG_OK;
}

static void test_each_row_visits_every_row_and_stops_at_the_first_failure(void **state)
{
    sqlite3 *db = *state;
    dg_error err;
    seen s = {0};
    assert_int_equal(dg_catalog_each_row(db, prepare(db, "VALUES (1), (2), (3), (4)"),
                                         count_row, &s, "walk", &err),
                     DG_OK);
    assert_int_equal(s.rows, 4);

    s = (seen){.fail_at = 2};
    assert_int_equal(dg_catalog_each_row(db, prepare(db, "VALUES (1), (2), (3), (4)"),
                                         count_row, &s, "walk", &err),
                     DG_ERR_STATE);
    assert_int_equal(s.rows, 2);
    assert_string_equal(err.msg, "row 2 refused");
}

static void test_each_row_reports_a_step_that_fails_mid_way(void **state)
{
    sqlite3 *db = *state;
    dg_error err;
    seen s = {0};
    assert_int_equal(dg_catalog_each_row(db, prepare(db, FAILS_ON_THIRD_ROW), count_row, &s,
                                         "walk numbers", &err),
                     DG_ERR_DB);
    assert_int_equal(s.rows, 2);
    assert_non_null(strstr(err.msg, "catalog: walk numbers"));
}

static void test_collect_appends_every_row_in_order_across_calls(void **state)
{
    sqlite3 *db = *state;
    const char *sql = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c"
                      " WHERE x < 40) SELECT x FROM c";
    int64_t *ids = NULL;
    size_t count = 0;
    dg_error err;
    assert_int_equal(dg_catalog_collect(db, prepare(db, sql), (void **)&ids, &count, sizeof *ids,
                                        dg_row_read_int64, NULL, "read ids", &err),
                     DG_OK);
    assert_int_equal(count, 40);
    /* A second query appends to the same list, as the due forecast does per rule. */
    assert_int_equal(dg_catalog_collect(db, prepare(db, sql), (void **)&ids, &count, sizeof *ids,
                                        dg_row_read_int64, NULL, "read ids", &err),
                     DG_OK);
    assert_int_equal(count, 80);
    for (size_t i = 0; i < count; i++)
        assert_int_equal(ids[i], (int64_t)(i % 40) + 1);
    free(ids);
}

static void test_collect_of_no_rows_is_an_empty_list(void **state)
{
    sqlite3 *db = *state;
    int64_t *ids = NULL;
    size_t count = 0;
    dg_error err;
    assert_int_equal(dg_catalog_collect(db, prepare(db, "SELECT 1 WHERE 0"), (void **)&ids,
                                        &count, sizeof *ids, dg_row_read_int64, NULL, "read ids",
                                        &err),
                     DG_OK);
    assert_int_equal(count, 0);
    free(ids);
}

static void test_collect_reports_a_failing_step_and_keeps_the_rows_read(void **state)
{
    sqlite3 *db = *state;
    int64_t *ids = NULL;
    size_t count = 0;
    dg_error err;
    assert_int_equal(dg_catalog_collect(db, prepare(db, FAILS_ON_THIRD_ROW), (void **)&ids,
                                        &count, sizeof *ids, dg_row_read_int64, NULL,
                                        "read ids", &err),
                     DG_ERR_DB);
    assert_non_null(strstr(err.msg, "catalog: read ids"));
    /* The caller frees what was read with its usual *_free. */
    assert_int_equal(count, 2);
    assert_int_equal(ids[0], 1);
    assert_int_equal(ids[1], 2);
    free(ids);
}

static void test_unset_setting_is_not_found_naming_the_key(void **state)
{
    sqlite3 *db = *state;
    dg_error err;
    assert_int_equal(dg_catalog_exec(db, "CREATE TABLE settings (key TEXT PRIMARY KEY,"
                                         " value TEXT NOT NULL)", &err),
                     DG_OK);
    char *value = NULL;
    assert_int_equal(dg_setting_get(db, "review.threshold", &value, &err), DG_ERR_NOT_FOUND);
    assert_string_equal(err.msg, "setting review.threshold is not set");
    assert_null(value);
    assert_int_equal(dg_setting_set(db, "review.threshold", "0.6", &err), DG_OK);
    assert_int_equal(dg_setting_get(db, "review.threshold", &value, &err), DG_OK);
    assert_string_equal(value, "0.6");
    free(value);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_row_int64_reads_column_zero_of_the_one_row,
                                        open_memory, close_memory),
        cmocka_unit_test_setup_teardown(test_missing_row_is_not_found_with_the_callers_message,
                                        open_memory, close_memory),
        cmocka_unit_test_setup_teardown(test_missing_row_that_must_exist_is_a_catalog_error,
                                        open_memory, close_memory),
        cmocka_unit_test_setup_teardown(test_failing_step_is_a_catalog_error_not_a_missing_row,
                                        open_memory, close_memory),
        cmocka_unit_test_setup_teardown(test_maybe_row_tells_a_row_from_none, open_memory,
                                        close_memory),
        cmocka_unit_test_setup_teardown(test_step_row_leaves_every_column_ready, open_memory,
                                        close_memory),
        cmocka_unit_test_setup_teardown(
            test_row_text_copies_text_and_gives_null_for_a_null_column, open_memory,
            close_memory),
        cmocka_unit_test_setup_teardown(
            test_each_row_visits_every_row_and_stops_at_the_first_failure, open_memory,
            close_memory),
        cmocka_unit_test_setup_teardown(test_each_row_reports_a_step_that_fails_mid_way,
                                        open_memory, close_memory),
        cmocka_unit_test_setup_teardown(test_collect_appends_every_row_in_order_across_calls,
                                        open_memory, close_memory),
        cmocka_unit_test_setup_teardown(test_collect_of_no_rows_is_an_empty_list, open_memory,
                                        close_memory),
        cmocka_unit_test_setup_teardown(
            test_collect_reports_a_failing_step_and_keeps_the_rows_read, open_memory,
            close_memory),
        cmocka_unit_test_setup_teardown(test_unset_setting_is_not_found_naming_the_key,
                                        open_memory, close_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
