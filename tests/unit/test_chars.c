/*
 * test_chars.c — the shared character classes (base/chars.h) and the forgiving UTF-8 reader
 * (dg_utf8_next in base/utf8.h): which characters are Han, which are CJK punctuation, and
 * how a bad byte reads.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "../../base/chars.h"
#include "../../base/utf8.h"

/* The first code point of the UTF-8 string s. */
static uint32_t cp_of(const char *s)
{
    uint32_t cp = 0;
    dg_utf8_next(s, strlen(s), &cp);
    return cp;
}

static void test_unified_ideographs_and_their_extensions_are_han(void **state)
{
    (void)state;
    assert_true(dg_is_han(cp_of("一")));  /* U+4E00, first of the unified block */
    assert_true(dg_is_han(cp_of("鿿")));  /* U+9FFF, its last */
    assert_true(dg_is_han(cp_of("档")));
    assert_true(dg_is_han(cp_of("㐀")));  /* U+3400, Extension A */
    assert_true(dg_is_han(cp_of("𠀀")));  /* U+20000, Extension B */
    assert_true(dg_is_han(0x30000));      /* Extension G, the Tertiary Ideographic Plane */
    assert_true(dg_is_han(cp_of("豈")));  /* U+F900, a compatibility ideograph */
    assert_true(dg_is_han(0x2F800));      /* the compatibility supplement */
}

static void test_kana_punctuation_radicals_and_letters_are_not_han(void **state)
{
    (void)state;
    assert_false(dg_is_han('A'));
    assert_false(dg_is_han(cp_of("あ")));
    assert_false(dg_is_han(cp_of("。")));
    assert_false(dg_is_han(cp_of("〇"))); /* a numeral sign, not a unified ideograph */
    assert_false(dg_is_han(cp_of("⺀"))); /* U+2E80, a radical */
    assert_false(dg_is_han(0x4DC0));      /* a Yijing hexagram between Extension A and U+4E00 */
    assert_false(dg_is_han(cp_of("한")));
    assert_false(dg_is_han(0x40000));
}

static void test_cjk_punctuation_and_full_width_forms_are_punctuation(void **state)
{
    (void)state;
    assert_true(dg_is_cjk_punctuation(cp_of("，")));
    assert_true(dg_is_cjk_punctuation(cp_of("。")));
    assert_true(dg_is_cjk_punctuation(cp_of("「")));
    assert_true(dg_is_cjk_punctuation(0x3000)); /* the ideographic space */
    assert_true(dg_is_cjk_punctuation(cp_of("１")));
    assert_false(dg_is_cjk_punctuation(','));
    assert_false(dg_is_cjk_punctuation(cp_of("档")));
}

static void test_a_bad_byte_reads_as_one_replacement_character(void **state)
{
    (void)state;
    uint32_t cp = 0;
    assert_int_equal(dg_utf8_next("\xff" "a", 2, &cp), 1);
    assert_int_equal(cp, 0xFFFD);
    assert_int_equal(dg_utf8_next("\xe6\xa1", 2, &cp), 1); /* 档 cut short */
    assert_int_equal(cp, 0xFFFD);
    assert_int_equal(dg_utf8_next("\xed\xa0\x80", 3, &cp), 1); /* a UTF-16 surrogate */
    assert_int_equal(cp, 0xFFFD);
    assert_int_equal(dg_utf8_next("档案", 6, &cp), 3);
    assert_int_equal(cp, 0x6863);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unified_ideographs_and_their_extensions_are_han),
        cmocka_unit_test(test_kana_punctuation_radicals_and_letters_are_not_han),
        cmocka_unit_test(test_cjk_punctuation_and_full_width_forms_are_punctuation),
        cmocka_unit_test(test_a_bad_byte_reads_as_one_replacement_character),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
