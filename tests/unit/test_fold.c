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

/* Folds each of texts, rounds times over, with dg_index_fold on one folder (which keeps
 * what it folded) and with dg_fold, and asserts the two agree every time. */
static void assert_index_fold_is_dg_fold(const char *const *texts, size_t n, int rounds)
{
    dg_folder *folder = NULL;
    dg_index_folder *fast = NULL;
    dg_error err;
    assert_int_equal(dg_folder_open(&folder, &err), DG_OK);
    assert_int_equal(dg_index_folder_open(&fast, &err), DG_OK);
    for (int round = 0; round < rounds; round++)
        for (size_t i = 0; i < n; i++) {
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
    assert_index_fold_is_dg_fold(texts, sizeof texts / sizeof texts[0], 1);
}

/*
 * One folder folds many texts: it remembers OpenCC's output per run of characters OpenCC's
 * tables hold (fold_for_index), and what it gives stays dg_fold's, whether a run is met
 * first, again, inside another text, or after the table was emptied (65,536 runs).
 */
static void test_index_folding_stays_dg_fold_when_runs_repeat(void **state)
{
    (void)state;
    static const char chars[] =
        "學國會說實為與於時間們這過開關發區縣號辦處當經議點總級務師員條體證劃報導論書觀習錢電話語讀寫";
    enum { BYTES = 3 }; /* traditional characters, three bytes each in UTF-8 */
    const int N = (int)(strlen(chars) / BYTES);
    assert_true(N * N * N > 65536); /* more runs than the folder keeps */
    size_t cap = (size_t)N * N * N * (3 * BYTES + 1) + (size_t)N * N * (2 * BYTES + 1) + 1;
    char *many = malloc(cap);
    assert_non_null(many);
    size_t used = 0;
    for (int a = 0; a < N; a++) /* 64,000 runs of three and 1,600 of two: all different */
        for (int b = 0; b < N; b++) {
            for (int c = 0; c < N; c++) {
                memcpy(many + used, chars + a * BYTES, BYTES);
                memcpy(many + used + BYTES, chars + b * BYTES, BYTES);
                memcpy(many + used + 2 * BYTES, chars + c * BYTES, BYTES);
                used += 3 * BYTES;
                many[used++] = ' ';
            }
            memcpy(many + used, chars + a * BYTES, BYTES);
            memcpy(many + used + BYTES, chars + b * BYTES, BYTES);
            used += 2 * BYTES;
            many[used++] = ' ';
        }
    many[used] = '\0';
    const char *const texts[] = {
        "頭髮乾燥，皇后在後面發現了一隻乾淨的鬆鼠。",
        "乾 乾淨 乾淨的 後 後面 發 發現 頭髮",
        "關於2024學年度第一學期檔案管理工作會議紀要（第３號）",
        many,
        "頭髮乾燥，皇后在後面發現了一隻乾淨的鬆鼠。",
        "乾淨 乾 後面 後 發現 發 頭髮 會議",
        many,
    };
    assert_index_fold_is_dg_fold(texts, sizeof texts / sizeof texts[0], 2);
    free(many);
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
        cmocka_unit_test(test_index_folding_stays_dg_fold_when_runs_repeat),
        cmocka_unit_test(test_simplified_text_is_unchanged),
        cmocka_unit_test(test_full_width_digits_and_letters_fold_to_ascii),
        cmocka_unit_test(test_english_passes_through),
        cmocka_unit_test(test_no_break_space_folds_to_a_space),
        cmocka_unit_test(test_invalid_utf8_is_kept_not_rejected),
        cmocka_unit_test(test_index_folding_is_dg_fold),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
