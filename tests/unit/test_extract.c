/* test_extract.c — metadata extraction: dates, document numbers, titles, departments,
 * secrecy marks, and the held-out corpus's labelled dates and numbers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/extract.h"

static void assert_date(const char *text, const char *iso)
{
    dg_field f;
    int y, m, d;
    dg_extract_date(text, strlen(text), &f, &y, &m, &d);
    if (!f.found || strcmp(f.value, iso) != 0)
        fail_msg("\"%s\": expected %s, got \"%s\"", text, iso, f.value);
    assert_string_equal(f.source, "text");
    assert_true(f.confidence > 0 && f.confidence <= 1);
}

static void assert_number(const char *text, const char *expected)
{
    dg_field f;
    dg_extract_doc_number(text, strlen(text), &f);
    if (!f.found || strcmp(f.value, expected) != 0)
        fail_msg("\"%s\": expected %s, got \"%s\"", text, expected, f.value);
}

static void test_numeric_chinese_dates_in_every_separator_style(void **state)
{
    (void)state;
    assert_date("2024年3月12日", "2024-03-12");
    assert_date("2024年03月12日", "2024-03-12");
    assert_date("2024-03-12", "2024-03-12");
    assert_date("2024.3.12", "2024-03-12");
    assert_date("2024/3/12", "2024-03-12");
    assert_date("2024-3-5", "2024-03-05");
}

static void test_written_out_chinese_dates_with_every_zero_variant(void **state)
{
    (void)state;
    assert_date("二〇二四年三月十二日", "2024-03-12");
    assert_date("二○二四年三月十二日", "2024-03-12");
    assert_date("二零二四年十月一日", "2024-10-01");
    assert_date("二O二四年十二月二十日", "2024-12-20");
    assert_date("二〇二三年一月三十一日", "2023-01-31");
    assert_date("二〇二三年五月十日", "2023-05-10");
    assert_date("二〇二三年八月二十九日", "2023-08-29");
}

static void test_english_dates_in_day_month_and_month_day_order(void **state)
{
    (void)state;
    assert_date("12 March 2024", "2024-03-12");
    assert_date("March 12, 2024", "2024-03-12");
    assert_date("12 Mar 2024", "2024-03-12");
    assert_date("Mar. 12, 2024", "2024-03-12");
    assert_date("1st September 2023", "2023-09-01");
    assert_date("Date: 3 Sept 2023", "2023-09-03");
}

static void test_ocr_noise_in_dates_is_tolerated(void **state)
{
    (void)state;
    assert_date("２０２４年３月１２日", "2024-03-12");
    assert_date("2024 年 3 月 12 日", "2024-03-12");
    assert_date("2O24年3月12日", "2024-03-12");
    /* 1 read as ] l | and 0 as O between 年, 月 and 日 (seen: 2024年]月10日). */
    assert_date("2024年]月10日", "2024-01-10");
    assert_date("2023年l2月3l日", "2023-12-31");
    assert_date("2023年1O月|8日", "2023-10-18");
    /* Not in a date written with dashes: there l and ] are not read as digits. */
    int y, m, d;
    assert_false(dg_parse_date("2024-l-10", strlen("2024-l-10"), &y, &m, &d));
}

static void test_impossible_dates_are_rejected(void **state)
{
    (void)state;
    int y, m, d;
    assert_false(dg_parse_date("2024年2月30日", strlen("2024年2月30日"), &y, &m, &d));
    assert_false(dg_parse_date("2023-13-01", 10, &y, &m, &d));
    assert_false(dg_parse_date("31 April 2024", strlen("31 April 2024"), &y, &m, &d));
    assert_true(dg_parse_date(" 29 February 2024 ", strlen(" 29 February 2024 "), &y, &m, &d));
    assert_int_equal(y * 10000 + m * 100 + d, 20240229);
}

static void test_signature_date_beats_dates_in_the_body(void **state)
{
    (void)state;
    const char *notice = "关于印发《档案管理办法》的通知\n各部门：\n本办法自2024年4月1日起施行，"
                         "请于2024年3月20日前完成自查。\n特此通知。\n\n校长办公室\n"
                         "二〇二四年三月十二日\n";
    assert_date(notice, "2024-03-12");
    const char *memo = "MEMORANDUM\nDate: 5 May 2023\nSubject: Fire drill\n"
                       "The last drill was on 2 February 2023 and went well.\n";
    assert_date(memo, "2023-05-05");
}

static void test_no_date_means_not_found(void **state)
{
    (void)state;
    dg_field f;
    int y, m, d;
    dg_extract_date("请于3月20日前报送。", strlen("请于3月20日前报送。"), &f, &y, &m, &d);
    assert_false(f.found);
    assert_int_equal(y, 0);
    assert_null(f.source);
}

static void test_doc_numbers_in_every_bracket_style_normalise_to_tortoise_shell(void **state)
{
    (void)state;
    assert_number("校办〔2024〕12号", "校办〔2024〕12号");
    assert_number("校办[2024]12号", "校办〔2024〕12号");
    assert_number("校办(2024)12号", "校办〔2024〕12号");
    assert_number("校办（2024）12号", "校办〔2024〕12号");
    assert_number("校办【2024】12号", "校办〔2024〕12号");
    assert_number("校办［２０２４］１２号", "校办〔2024〕12号");
    assert_number("校办 〔 2024 〕 第 012 号", "校办〔2024〕12号");
    assert_number("校辦〔2O24〕7號", "校辦〔2024〕7號");
}

static void test_header_number_beats_a_cited_number(void **state)
{
    (void)state;
    assert_number("财字〔2024〕3号\n\n关于调整差旅费标准的通知\n根据《关于规范经费管理的通知》"
                  "（省财〔2023〕45号）要求，现通知如下。",
                  "财字〔2024〕3号");
    dg_field f;
    const char *bare = "〔2024〕12号";
    dg_extract_doc_number(bare, strlen(bare), &f);
    assert_false(f.found); /* no issuer: a fragment, not a number */
}

static void test_title_is_the_about_line_even_when_wrapped(void **state)
{
    (void)state;
    const char *text = "江城一中文件\n校办〔2024〕12号\n\n关于2024年寒假放假安排\n的通知\n\n各部门：\n";
    dg_field f;
    dg_extract_title(text, strlen(text), &f);
    assert_string_equal(f.value, "关于2024年寒假放假安排的通知");
    assert_true(f.confidence >= 0.9);
    const char *minutes = "校长办公会会议纪要\n时间：2024年3月5日\n";
    dg_extract_title(minutes, strlen(minutes), &f);
    assert_string_equal(f.value, "校长办公会会议纪要");
    const char *memo = "MEMORANDUM\nTo: All staff\nFrom: Finance Office\nDate: 1 May 2024\n"
                       "Subject: New expense claim procedure\n\nFrom June, ...";
    dg_extract_title(memo, strlen(memo), &f);
    assert_string_equal(f.value, "New expense claim procedure");
    const char *english = "Annual Stocktaking Report\nA physical count of all assets was done.\n";
    dg_extract_title(english, strlen(english), &f);
    assert_string_equal(f.value, "Annual Stocktaking Report");
}

static void test_department_comes_from_signature_label_or_header(void **state)
{
    (void)state;
    dg_field f;
    const char *signed_notice = "关于开展资产清查的通知\n各部门：\n请配合。\n\n总务处\n2024年3月12日";
    dg_extract_department(signed_notice, strlen(signed_notice), &f);
    assert_string_equal(f.value, "总务处");
    const char *same_line = "请假条\n……\n人事处 2024年3月12日";
    dg_extract_department(same_line, strlen(same_line), &f);
    assert_string_equal(f.value, "人事处");
    const char *memo = "MEMORANDUM\nFrom: Finance Office\nDate: 1 May 2024\nSubject: Fees\n\nText.";
    dg_extract_department(memo, strlen(memo), &f);
    assert_string_equal(f.value, "Finance Office");
    const char *header = "江城一中财务处文件\n财字〔2024〕3号\n\n关于收费的通知\n正文。";
    dg_extract_department(header, strlen(header), &f);
    assert_string_equal(f.value, "江城一中财务处");
}

static void assert_secrecy(const char *text, dg_secrecy_level level, int years, const char *value)
{
    dg_field f;
    dg_secrecy_level got;
    int got_years;
    dg_extract_secrecy(text, strlen(text), &f, &got, &got_years);
    if (got != level || got_years != years || strcmp(f.value, value) != 0)
        fail_msg("\"%s\": expected %s %d \"%s\", got %s %d \"%s\"", text,
                 dg_secrecy_name(level), years, value, dg_secrecy_name(got), got_years, f.value);
}

static void test_secrecy_marks_give_level_and_period(void **state)
{
    (void)state;
    assert_secrecy("秘密★5年\n关于……的通知", DG_SECRECY_SECRET, 5, "秘密★5年");
    assert_secrecy("机密★10年\n正文", DG_SECRECY_CONFIDENTIAL, 10, "机密★10年");
    assert_secrecy("绝密\n正文", DG_SECRECY_TOP_SECRET, 0, "绝密");
    assert_secrecy("機密 ★ 十年\n正文", DG_SECRECY_CONFIDENTIAL, 10, "机密★10年");
    assert_secrecy("秘密\n保密期限：3年\n正文", DG_SECRECY_SECRET, 3, "秘密★3年");
    assert_secrecy("绝密★\n正文", DG_SECRECY_TOP_SECRET, 0, "绝密");
}

static void test_internal_is_not_a_state_secret_and_prose_is_not_a_mark(void **state)
{
    (void)state;
    assert_secrecy("内部\n关于……的通知", DG_SECRECY_INTERNAL, 0, "内部");
    assert_secrecy("For internal use only\nSubject: x", DG_SECRECY_INTERNAL, 0, "内部");
    assert_secrecy("关于加强保密工作的通知\n全体教职工要保守国家秘密，不得泄露机密信息。",
                   DG_SECRECY_NONE, 0, "");
    assert_int_equal(dg_secrecy_access_level(DG_SECRECY_INTERNAL), 1);
}

static void test_secrecy_levels_raise_access_levels_as_documented(void **state)
{
    (void)state;
    assert_int_equal(dg_secrecy_access_level(DG_SECRECY_NONE), 0);
    assert_int_equal(dg_secrecy_access_level(DG_SECRECY_SECRET), 3);
    assert_int_equal(dg_secrecy_access_level(DG_SECRECY_CONFIDENTIAL), 4);
    assert_int_equal(dg_secrecy_access_level(DG_SECRECY_TOP_SECRET), 4);
    assert_int_equal(dg_secrecy_default_years(DG_SECRECY_SECRET), 10);
    assert_int_equal(dg_secrecy_default_years(DG_SECRECY_CONFIDENTIAL), 20);
    assert_int_equal(dg_secrecy_default_years(DG_SECRECY_TOP_SECRET), 30);
}

static void test_formation_year_comes_from_the_iso_date(void **state)
{
    (void)state;
    assert_int_equal(dg_formation_year("2024-03-12"), 2024);
    assert_int_equal(dg_formation_year(""), 0);
    assert_int_equal(dg_formation_year(NULL), 0);
    assert_int_equal(dg_formation_year("2024-02-30"), 0);
}

static void test_spans_point_back_into_the_input(void **state)
{
    (void)state;
    const char *text = "校财〔2024〕9号\n关于收费的通知\n财务处\n2024年3月12日";
    dg_metadata md;
    assert_int_equal(dg_extract_metadata(text, strlen(text), &md, NULL), DG_OK);
    assert_memory_equal(text + md.date.start, "2024年3月12日", md.date.end - md.date.start);
    assert_memory_equal(text + md.doc_number.start, "校财〔2024〕9号",
                        md.doc_number.end - md.doc_number.start);
    assert_int_equal(md.year, 2024);
    assert_string_equal(md.title.value, "关于收费的通知");
    assert_string_equal(md.department.value, "财务处");
}

static void test_invalid_utf8_and_empty_text_are_handled(void **state)
{
    (void)state;
    dg_metadata md;
    assert_int_equal(dg_extract_metadata("\xff\xfe 2024-01-02 \xc3", 16, &md, NULL), DG_OK);
    assert_string_equal(md.date.value, "2024-01-02");
    assert_int_equal(dg_extract_metadata("", 0, &md, NULL), DG_OK);
    assert_false(md.date.found);
    dg_error err;
    assert_int_equal(dg_extract_metadata("x", 1, NULL, &err), DG_ERR_USAGE);
}

/* The held-out corpus (never used for training): dates and document numbers must be
 * extracted exactly in at least 95% of the records that carry them. */
static void test_heldout_dates_and_numbers_extracted_in_at_least_95_percent(void **state)
{
    (void)state;
    FILE *f = fopen("ingest/corpus/heldout.jsonl", "r");
    assert_non_null(f);
    char *line = NULL;
    size_t cap = 0, dated = 0, dates_ok = 0, numbered = 0, numbers_ok = 0;
    while (getline(&line, &cap, f) > 0) {
        json_t *obj = json_loads(line, 0, NULL);
        assert_non_null(obj);
        const char *text = json_string_value(json_object_get(obj, "text"));
        const char *date = json_string_value(json_object_get(obj, "date"));
        const char *number = json_string_value(json_object_get(obj, "doc_number"));
        dg_metadata md;
        assert_int_equal(dg_extract_metadata(text, strlen(text), &md, NULL), DG_OK);
        if (date) {
            dated++;
            dates_ok += strcmp(md.date.value, date) == 0;
        }
        if (number) {
            numbered++;
            numbers_ok += strcmp(md.doc_number.value, number) == 0;
        }
        json_decref(obj);
    }
    free(line);
    fclose(f);
    print_message("held-out dates %zu/%zu, numbers %zu/%zu\n", dates_ok, dated, numbers_ok,
                  numbered);
    assert_true(dated >= 100 && numbered >= 40);
    assert_true(dates_ok * 100 >= dated * 95);
    assert_true(numbers_ok * 100 >= numbered * 95);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_numeric_chinese_dates_in_every_separator_style),
        cmocka_unit_test(test_written_out_chinese_dates_with_every_zero_variant),
        cmocka_unit_test(test_english_dates_in_day_month_and_month_day_order),
        cmocka_unit_test(test_ocr_noise_in_dates_is_tolerated),
        cmocka_unit_test(test_impossible_dates_are_rejected),
        cmocka_unit_test(test_signature_date_beats_dates_in_the_body),
        cmocka_unit_test(test_no_date_means_not_found),
        cmocka_unit_test(test_doc_numbers_in_every_bracket_style_normalise_to_tortoise_shell),
        cmocka_unit_test(test_header_number_beats_a_cited_number),
        cmocka_unit_test(test_title_is_the_about_line_even_when_wrapped),
        cmocka_unit_test(test_department_comes_from_signature_label_or_header),
        cmocka_unit_test(test_secrecy_marks_give_level_and_period),
        cmocka_unit_test(test_internal_is_not_a_state_secret_and_prose_is_not_a_mark),
        cmocka_unit_test(test_secrecy_levels_raise_access_levels_as_documented),
        cmocka_unit_test(test_formation_year_comes_from_the_iso_date),
        cmocka_unit_test(test_spans_point_back_into_the_input),
        cmocka_unit_test(test_invalid_utf8_and_empty_text_are_handled),
        cmocka_unit_test(test_heldout_dates_and_numbers_extracted_in_at_least_95_percent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
