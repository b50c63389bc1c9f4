/* test_batch_input.c — how the command line takes a batch folder: natural file order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/argv.h"

static int cmp_names(const void *a, const void *b)
{
    return dg_natural_compare(*(char *const *)a, *(char *const *)b);
}

static void assert_order(const char **expected, size_t n)
{
    const char *shuffled[16];
    for (size_t i = 0; i < n; i++)
        shuffled[i] = expected[(i * 7 + 3) % n]; /* n is never a multiple of 7 here */
    qsort(shuffled, n, sizeof shuffled[0], cmp_names);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(shuffled[i], expected[i]);
}

static void test_week2_comes_before_week10(void **state)
{
    (void)state;
    const char *names[] = {"week1.png", "week2.png", "week9.png", "week10.png", "week11.png",
                           "week100.png"};
    assert_order(names, sizeof names / sizeof names[0]);
    assert_true(dg_natural_compare("week2", "week10") < 0);
    assert_true(dg_natural_compare("week10", "week2") > 0);
    assert_int_equal(dg_natural_compare("week10", "week10"), 0);
}

static void test_chinese_names_with_digits_order_by_number(void **state)
{
    (void)state;
    const char *names[] = {"第2周.png", "第３周.png", "第10周.png", "第１１周.png", "第20周.png"};
    assert_order(names, sizeof names / sizeof names[0]);
}

static void test_leading_zeros_and_plain_text_are_stable(void **state)
{
    (void)state;
    assert_true(dg_natural_compare("p2", "p02") < 0);  /* equal numbers: fewer zeros first */
    assert_true(dg_natural_compare("p02", "p3") < 0);
    assert_true(dg_natural_compare("a", "b") < 0);
    assert_true(dg_natural_compare("scan", "scan1") < 0);
    assert_true(dg_natural_compare("x99999999999999999999999", "x100000000000000000000000") < 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_week2_comes_before_week10),
        cmocka_unit_test(test_chinese_names_with_digits_order_by_number),
        cmocka_unit_test(test_leading_zeros_and_plain_text_are_stable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
