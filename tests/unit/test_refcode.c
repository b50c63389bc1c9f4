/* test_refcode.c — archive reference codes: shape, parsing, allocation never reused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/catalog.h"
#include "engine/refcode.h"

static void test_code_has_the_da_t_22_shape_with_department(void **state)
{
    (void)state;
    dg_refcode_parts p = {.fonds = "X001", .category = "CW", .year = 2024, .period = "D30",
                          .department = "CWC", .item = 7};
    char code[DG_REFCODE_MAX];
    assert_int_equal(dg_refcode_format(&p, code, NULL), DG_OK);
    assert_string_equal(code, "X001-CW·2024-D30-CWC-0007");
}

static void test_code_without_department_omits_that_level(void **state)
{
    (void)state;
    dg_refcode_parts p = {.fonds = "X001", .category = "CW", .year = 2024, .period = "D30",
                          .item = 7};
    char code[DG_REFCODE_MAX];
    assert_int_equal(dg_refcode_format(&p, code, NULL), DG_OK);
    assert_string_equal(code, "X001-CW·2024-D30-0007");
}

static void test_typed_dot_lookalikes_normalize_to_the_middle_dot(void **state)
{
    (void)state;
    const char *typed[] = {"X001-CW.2023-D30-0001", "X001-CW・2023-D30-0001",
                           "X001-CW•2023-D30-0001", "X001-CW．2023-D30-0001",
                           "X001-CW·2023-D30-0001", "  X001-CW‧2023-D30-0001 "};
    for (size_t i = 0; i < sizeof typed / sizeof typed[0]; i++) {
        char code[DG_REFCODE_MAX];
        dg_refcode_normalize(typed[i], code);
        assert_string_equal(code, "X001-CW·2023-D30-0001");
    }
    char code[DG_REFCODE_MAX];
    dg_refcode_normalize("X001-XZ·2024-D10-BGS-0001", code);
    assert_string_equal(code, "X001-XZ·2024-D10-BGS-0001");
    char longer[400];
    memset(longer, '.', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    dg_refcode_normalize(longer, code); /* cut, never overrun */
    assert_true(strlen(code) < DG_REFCODE_MAX);
}

static void test_parse_round_trips_both_shapes(void **state)
{
    (void)state;
    dg_refcode_parts p;
    assert_int_equal(dg_refcode_parse("X001-CW·2024-D30-CWC-0007", &p, NULL), DG_OK);
    assert_string_equal(p.fonds, "X001");
    assert_string_equal(p.category, "CW");
    assert_int_equal(p.year, 2024);
    assert_string_equal(p.period, "D30");
    assert_string_equal(p.department, "CWC");
    assert_int_equal(p.item, 7);
    assert_int_equal(dg_refcode_parse("X001-XZ·2023-Y-0012", &p, NULL), DG_OK);
    assert_string_equal(p.department, "");
    assert_int_equal(p.item, 12);
}

/* A record without a known year: 待定 in place of the year, from its own series (year 0),
 * and it parses back to year 0; it cannot be mistaken for a real code, nor a real for it. */
static void test_provisional_codes_round_trip_and_never_look_real(void **state)
{
    (void)state;
    dg_refcode_parts p = {.fonds = "X001", .category = "WS", .year = 0, .period = "Y",
                          .item = 7};
    char code[DG_REFCODE_MAX];
    dg_error err;
    assert_int_equal(dg_refcode_format(&p, code, &err), DG_OK);
    assert_string_equal(code, "X001-WS·待定-Y-0007");
    assert_true(dg_refcode_is_provisional(code));
    dg_refcode_parts back;
    assert_int_equal(dg_refcode_parse(code, &back, &err), DG_OK);
    assert_int_equal(back.year, 0);
    assert_int_equal(back.item, 7);
    assert_string_equal(back.category, "WS");
    p.year = 2023;
    assert_int_equal(dg_refcode_format(&p, code, &err), DG_OK);
    assert_false(dg_refcode_is_provisional(code));
    p.year = 123; /* neither a year nor the provisional series */
    assert_int_equal(dg_refcode_format(&p, code, &err), DG_ERR_USAGE);
    assert_int_equal(dg_refcode_parse("X001-WS·0000-Y-0007", &back, &err), DG_ERR_USAGE);
    assert_int_equal(dg_refcode_parse("X001-WS·待-Y-0007", &back, &err), DG_ERR_USAGE);
}

static void test_malformed_codes_are_rejected_with_a_reason(void **state)
{
    (void)state;
    const char *bad[] = {"", "X001", "X001-CW2024-D30-0007", "X001-CW·24-D30-0007",
                         "X001-CW·2024-D20-0007", "X001-CW·2024-D30-7", "X001-CW·2024-D30-0000",
                         "X001-CW·2024-D30-cwc-0007", "X001-CW·2024-D30-CWC-0007-1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        dg_refcode_parts p;
        dg_error err;
        assert_int_equal(dg_refcode_parse(bad[i], &p, &err), DG_ERR_USAGE);
        assert_non_null(strstr(err.msg, "not a reference code"));
    }
}

static void test_item_numbers_count_up_per_series_and_are_never_reused(void **state)
{
    (void)state;
    char dir[] = "/tmp/dangan-refcode-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[64];
    snprintf(path, sizeof path, "%s/catalog.db", dir);
    sqlite3 *db;
    dg_error err;
    assert_int_equal(dg_catalog_open(path, 1, &db, &err), DG_OK);
    dg_refcode_parts a = {.fonds = "X001", .category = "CW", .year = 2024, .period = "D30"};
    dg_refcode_parts b = a;
    b.year = 2025;
    for (int i = 1; i <= 3; i++) {
        assert_int_equal(dg_refcode_allocate(db, NULL, &a, &err), DG_OK);
        assert_int_equal(a.item, i);
    }
    assert_int_equal(dg_refcode_allocate(db, NULL, &b, &err), DG_OK);
    assert_int_equal(b.item, 1); /* another year is another series */
    /* The same with the statement kept compiled between calls (as record.c does). */
    dg_stmt_cache cache = {0};
    for (int i = 2; i <= 3; i++) {
        assert_int_equal(dg_refcode_allocate(db, &cache, &b, &err), DG_OK);
        assert_int_equal(b.item, i);
    }
    dg_stmt_cache_clear(&cache);
    /* The counter lives in the catalog: after a reopen it goes on from where it was. */
    dg_catalog_close(db);
    assert_int_equal(dg_catalog_open(path, 0, &db, &err), DG_OK);
    assert_int_equal(dg_refcode_allocate(db, NULL, &a, &err), DG_OK);
    assert_int_equal(a.item, 4);
    dg_catalog_close(db);
    char cmd[96];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_code_has_the_da_t_22_shape_with_department),
        cmocka_unit_test(test_code_without_department_omits_that_level),
        cmocka_unit_test(test_parse_round_trips_both_shapes),
        cmocka_unit_test(test_typed_dot_lookalikes_normalize_to_the_middle_dot),
        cmocka_unit_test(test_provisional_codes_round_trip_and_never_look_real),
        cmocka_unit_test(test_malformed_codes_are_rejected_with_a_reason),
        cmocka_unit_test(test_item_numbers_count_up_per_series_and_are_never_reused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
