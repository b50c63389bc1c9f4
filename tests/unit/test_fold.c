/* test_fold.c — text folding: traditional to simplified, full-width (and no-break spaces)
 * to half-width. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "../../base/fold.h"
#include "../../index/index.h"

static void assert_folds_to(const char *in, const char *expected)
{
    dg_folder *folder = NULL;
    dg_error err;
    assert_int_equal(dg_folder_open(&folder, &err), DG_OK);
    char *out = NULL;
    assert_int_equal(dg_fold(folder, in, strlen(in), &out, &err), DG_OK);
    assert_string_equal(out, expected);
    free(out);
    dg_folder_close(folder);
    /* The index's folding (the classifier's too) gives the same text. */
    dg_index_folder *fast = NULL;
    assert_int_equal(dg_index_folder_open(&fast, &err), DG_OK);
    assert_int_equal(dg_index_fold(fast, in, strlen(in), &out, &err), DG_OK);
    assert_string_equal(out, expected);
    free(out);
    dg_index_folder_close(fast);
}

/* dg_index_fold against dg_fold on text where OpenCC converts phrases, not characters. */
static void test_index_folding_is_dg_fold(void **state)
{
    (void)state;
    static const char *const texts[] = {
        "頭髮乾燥，皇后在後面發現了一隻乾淨的鬆鼠。",
        "關於2024學年度第一學期檔案管理工作會議紀要（第３號）",
        "後來他們在台灣的著作裡寫了「理髮」與「發展」。Minutes of the meeting.",
        "简体字文本：关于开展资产清查工作的通知",
        "混合：學校将組織專項檢查，发現的問題限期整改。ＡＢＣ１２３",
        "",
    };
    dg_folder *folder = NULL;
    dg_index_folder *fast = NULL;
    dg_error err;
    assert_int_equal(dg_folder_open(&folder, &err), DG_OK);
    assert_int_equal(dg_index_folder_open(&fast, &err), DG_OK);
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        char *a = NULL, *b = NULL;
        assert_int_equal(dg_fold(folder, texts[i], strlen(texts[i]), &a, &err), DG_OK);
        assert_int_equal(dg_index_fold(fast, texts[i], strlen(texts[i]), &b, &err), DG_OK);
        assert_string_equal(b, a);
        free(a);
        free(b);
    }
    dg_index_folder_close(fast);
    dg_folder_close(folder);
}

static void test_traditional_folds_to_simplified(void **state)
{
    (void)state;
    assert_folds_to("權限", "权限");
    assert_folds_to("檔案管理會議紀要", "档案管理会议纪要");
}

static void test_simplified_text_is_unchanged(void **state)
{
    (void)state;
    assert_folds_to("关于2024年寒假安排的通知", "关于2024年寒假安排的通知");
}

static void test_full_width_digits_and_letters_fold_to_ascii(void **state)
{
    (void)state;
    assert_folds_to("１２３ ＡＢＣ　ｘｙｚ", "123 ABC xyz");
}

static void test_english_passes_through(void **state)
{
    (void)state;
    assert_folds_to("Annual Budget Report", "Annual Budget Report");
}

static void test_no_break_space_folds_to_a_space(void **state)
{
    (void)state;
    assert_folds_to("2024\u00a0年 Title:\u00a0Budget", "2024 年 Title: Budget");
    assert_int_equal(dg_fold_width_cp(0xA0), ' ');
    assert_int_equal(dg_fold_width_cp(0x3000), ' ');
    assert_int_equal(dg_fold_width_cp(0xFF21), 'A');
    assert_int_equal(dg_fold_width_cp(0x6863), 0x6863);
}

static void test_invalid_utf8_is_kept_not_rejected(void **state)
{
    (void)state;
    char *out = dg_fold_width("a\xff\xfe", 3);
    assert_non_null(out);
    assert_memory_equal(out, "a\xff\xfe", 3);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_traditional_folds_to_simplified),
        cmocka_unit_test(test_simplified_text_is_unchanged),
        cmocka_unit_test(test_full_width_digits_and_letters_fold_to_ascii),
        cmocka_unit_test(test_english_passes_through),
        cmocka_unit_test(test_no_break_space_folds_to_a_space),
        cmocka_unit_test(test_invalid_utf8_is_kept_not_rejected),
        cmocka_unit_test(test_index_folding_is_dg_fold),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
