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
#include <time.h>

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
    /* A Taiwan 函: the letterhead names the issuer; 受文者 names the addressee. */
    const char *letter = "臺北市政府教育局　函\n受文者：臺北市立大安國民中學\n主旨：請查照。";
    dg_extract_department(letter, strlen(letter), &f);
    assert_string_equal(f.value, "臺北市政府教育局");
    const char *labelled = "请示\n申请部门：总务处\n事由：维修屋顶";
    dg_extract_department(labelled, strlen(labelled), &f);
    assert_string_equal(f.value, "总务处");
    const char *form = "差旅费报销凭证\n报销人：王老师  部门：教务处\n合计 2060元。";
    dg_extract_department(form, strlen(form), &f);
    assert_string_equal(f.value, "教务处");
    const char *from = "MEMO\nFrom: Finance Office, Room 201, Block B\nText.";
    dg_extract_department(from, strlen(from), &f);
    assert_string_equal(f.value, "Finance Office");
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

static void assert_no_date(const char *text)
{
    dg_field f;
    int y, m, d;
    dg_extract_date(text, strlen(text), &f, &y, &m, &d);
    if (f.found)
        fail_msg("\"%s\": expected no date, got %s", text, f.value);
    assert_int_equal(y, 0);
}

static void assert_no_number(const char *text)
{
    dg_field f;
    dg_extract_doc_number(text, strlen(text), &f);
    if (f.found)
        fail_msg("\"%s\": expected no number, got %s", text, f.value);
}

static void assert_title(const char *text, const char *expected)
{
    dg_field f;
    dg_extract_title(text, strlen(text), &f);
    if (!f.found || strcmp(f.value, expected) != 0)
        fail_msg("\"%s\": expected title \"%s\", got \"%s\"", text, expected, f.value);
}

static void test_minguo_dates_with_the_era_name_in_every_form(void **state)
{
    (void)state;
    assert_date("中華民國112年6月21日", "2023-06-21");
    assert_date("民國112年6月21日", "2023-06-21");
    assert_date("中华民国112年6月21日", "2023-06-21");
    assert_date("民国 98 年 1 月 5 日", "2009-01-05");
    assert_date("中華民國一一二年六月二十一日", "2023-06-21");
    assert_date("中華民國一百一十二年六月二十一日", "2023-06-21");
    assert_date("中華民國１１２年６月２１日", "2023-06-21");
    assert_date("發文日期：中華民國113年1月15日", "2024-01-15");
}

static void test_bare_minguo_year_only_in_a_record_pointing_to_taiwan(void **state)
{
    (void)state;
    assert_date("臺北市立大安國民中學 公告\n主旨：本校開學典禮。\n112年6月21日", "2023-06-21");
    assert_date("臺北市立大安國民中學 公告\n主旨：本校開學典禮。\n112.6.21", "2023-06-21");
    assert_date("臺北市立大安國民中學 公告\n主旨：本校開學典禮。\n112/6/21", "2023-06-21");
    assert_date("發文字號：府教學字第1120001234號\n主旨：請查照。\n112年6月21日", "2023-06-21");
    assert_date("本校112學年度校務會議紀錄\n時間：112年9月1日", "2023-09-01");
    /* The same bare year in a simplified or a Hong Kong record is no date. */
    assert_no_date("北京市第一中学\n关于开学的通知\n112年6月21日");
    assert_no_date("香港培正中學\n關於開學的通告\n112年6月21日");
    /* Four-digit years in a Taiwan record are still read as written. */
    assert_date("臺北市立大安國民中學\n2023年6月21日", "2023-06-21");
}

static void test_years_in_the_future_or_before_1900_are_not_dates(void **state)
{
    (void)state;
    time_t now = time(NULL);
    struct tm tm;
    assert_non_null(gmtime_r(&now, &tm));
    char text[64], iso[32];
    snprintf(text, sizeof text, "%d年1月2日", tm.tm_year + 1900 + 1);
    snprintf(iso, sizeof iso, "%d-01-02", tm.tm_year + 1900 + 1);
    assert_date(text, iso); /* next year: a plan dated ahead */
    snprintf(text, sizeof text, "%d年1月2日", tm.tm_year + 1900 + 2);
    assert_no_date(text);
    assert_no_date("1850年1月2日");
    assert_no_date("中華民國300年1月2日");
}

static void test_numeric_dates_follow_the_records_day_month_order(void **state)
{
    (void)state;
    assert_date("Date: 21/06/2023", "2023-06-21");
    assert_date("Report\nThe results of 12/07/2023 come later.\nDate of issue: 30/06/2023 (Fri)\n"
                "Other text here.\nMore text here.\nEnd.",
                "2023-06-30");
    assert_date("Date: 05/06/2023", "2023-06-05"); /* day first unless the record says not */
    assert_date("Reports will be issued soon.\n26.01.2024", "2024-01-26");
    assert_date("21-06-2023", "2023-06-21");
    assert_date("Date: 7/5/23\nSee you on July 10, 2023 at the gym.", "2023-07-05");
    assert_date("Date: 7/5/23\nSee you on 10 July 2023 at the gym.", "2023-05-07");
    assert_date("Date: 7/5/23\nThe break ends on 12/22/23.", "2023-07-05");
    assert_date("Memo\n12/22/23", "2023-12-22");
}

static void test_a_letters_own_date_beats_dates_it_mentions(void **state)
{
    (void)state;
    assert_date("Our Ref.: EDB(SCH)/ADM/1/23\n\n8 September 2023\n\nDear Parents,\n\n"
                "Thank you for your letter dated 12 June 2023.\n"
                "Please return the reply slip by 15/09/2023.\n",
                "2023-09-08");
    assert_date("受文者：本校\n發文日期：中華民國113年1月3日\n主旨：補助事宜，請查照。\n"
                "說明：申請截止日期為113年1月12日。\n",
                "2024-01-03");
    assert_date("Minutes of the Staff Meeting\nheld on Monday 6th November 2023 at 4:00 p.m.\n"
                "Present: all staff\n1. Matters arising\nThe dinner will be on 15 December 2023.\n"
                "2. AOB\nNone.\n",
                "2023-11-06");
    assert_date("Dear Colleagues,\nThe meeting is on 3 February 2023.\nRegards,\nAlice\n"
                "9 January 2023\n",
                "2023-01-09");
}

static void test_taiwan_document_numbers_are_taken_as_written(void **state)
{
    (void)state;
    assert_number("發文字號：府教學字第1120001234號", "府教學字第1120001234號");
    assert_number("發文字號:北市教中字第11230012341號", "北市教中字第11230012341號");
    assert_number("發文字號：臺教高（二）字第1120012345號", "臺教高(二)字第1120012345號");
    assert_number("府教學字第 1120001234 號\n", "府教學字第1120001234號");
    /* Only cited: 依據…號函辦理 is another body's letter. */
    assert_no_number("主旨：請查照。\n說明：依據教育部112年5月10日臺教國署國字第1120050000號函辦理。");
    assert_no_number("一、依據：高雄市政府教育局112年4月20日高市教安字第11232345600號函。");
    assert_number("發文字號：桃教中字第1120098765號\n說明：依教育部112年10月18日"
                  "臺教學(三)字第1120100001號函辦理。",
                  "桃教中字第1120098765號");
}

static void test_hong_kong_reference_numbers_come_from_our_ref_and_file_labels(void **state)
{
    (void)state;
    assert_number("Our Ref.: EDB(SCH)/ADM/1/23\nYour Ref.: SKH/2023/15", "EDB(SCH)/ADM/1/23");
    assert_number("Your Ref.: SKH/2023/15\nOur Ref. : EDB(EC)/CU/2/24", "EDB(EC)/CU/2/24");
    assert_number("Our Ref. : (8) in EDB(SP)/ADM/4/1   Tel.: 2892 6666", "(8) in EDB(SP)/ADM/4/1");
    assert_number("本局檔號：EDB(QE)/SP/14/1\n電話：2892 1234", "EDB(QE)/SP/14/1");
    assert_number("檔號：SCH/ADM/24/05", "SCH/ADM/24/05");
    assert_no_number("Your Ref.: SKH/2023/15\nDear Sir,");
    assert_no_number("來函檔號：ABC/1/23\n各位校長：");
    assert_no_number("Reference: see the handbook, page 12");
}

static void test_cited_mainland_numbers_are_never_the_records_own(void **state)
{
    (void)state;
    assert_no_number("关于做好暑期安全教育工作的通知\n各班主任：\n按照区教育局《关于加强中小学暑期安全工作"
                     "的通知》（区教安〔2023〕12号）的要求，请于7月5日前完成。");
    assert_no_number("关于开展自查的通知\n根据市教〔2023〕40号文件要求，请各部门自查。");
    assert_number("发文字号：教办〔2023〕36号\n各学校：\n按照《通知》（市教体〔2023〕52号）的安排。",
                  "教办〔2023〕36号");
}

static void test_subject_labels_give_the_title_without_closing_formulae(void **state)
{
    (void)state;
    assert_title("臺北市政府教育局　函\n受文者：本市各國中\n發文日期：中華民國112年6月21日\n"
                 "主旨：有關本市國中新生編班作業事宜，請查照。\n說明：依規定辦理。",
                 "有關本市國中新生編班作業事宜");
    assert_title("主旨：本校開學典禮，請 查照。", "本校開學典禮");
    assert_title("主旨：本縣英語夏令營申請事宜，詳如說明，請查照。", "本縣英語夏令營申請事宜");
    assert_title("主旨:修正「成績評量準則」，自即日生效，請查照轉知。",
                 "修正「成績評量準則」，自即日生效");
    assert_title("主旨：檢送本市112學年度特殊教育學生鑑定安置\n工作計畫1份，請查照。\n說明：略。",
                 "檢送本市112學年度特殊教育學生鑑定安置工作計畫1份");
    assert_title("致：全體教職員\n事由：關於颱風期間停課安排\n如懸掛八號風球，學校將停課。",
                 "關於颱風期間停課安排");
    assert_title("標題：學生宿舍管理規定\n第一條 總則。", "學生宿舍管理規定");
    /* A Hong Kong circular's subject line; and a 主旨 that opens with 有關 keeps it. */
    assert_title("教育局通告第5/2024號\n致：各中學校長\n有關：2024/25學年中一派位安排\n本局謹通知各校…",
                 "2024/25學年中一派位安排");
    assert_title("主旨：有關本縣113年度游泳教學實施事宜，請查照。\n說明：略。",
                 "有關本縣113年度游泳教學實施事宜");
    /* On a form under its own heading, 事由 is a field (the trip's purpose), not the title. */
    assert_title("差旅费报销凭证\n报销人：王老师  部门：教务处\n事由：参加省教育厅培训会议\n合计 2060元。",
                 "差旅费报销凭证");
    assert_title("标题：关于表彰优秀教师的决定\n各部门：", "关于表彰优秀教师的决定");
    assert_title("Dear Parents,\n\nRe: Class Photo Day\n\nPhotos will be taken soon.",
                 "Class Photo Day");
    assert_title("主旨：轉知教育部修正「運作要點」，\n請查照。\n說明：略。", "轉知教育部修正「運作要點」");
    assert_title("臺北市政府教育局 開會通知單\n開會事由：召開教務主任聯席會議\n開會時間：112年7月5日",
                 "召開教務主任聯席會議");
}

static void test_taiwan_official_document_forms_give_their_title(void **state)
{
    (void)state;
    /* A 令 has no 主旨: the sentence under its header fields is the title, not the 附 line. */
    assert_title("臺中市政府　令\n發文日期：中華民國113年2月1日\n發文字號：府授教字第1130030303號\n\n"
                 "訂定「臺中市國民中小學校外教學實施要點」。\n附「臺中市國民中小學校外教學實施要點」\n\n"
                 "市長　盧○○",
                 "訂定「臺中市國民中小學校外教學實施要點」");
    assert_title("高雄市立前鎮高級中學　令\n發文字號：高市前中人字第1130000777號\n"
                 "核定陳○○自113年8月1日起聘任為本校專任教師。\n校長　林○○",
                 "核定陳○○自113年8月1日起聘任為本校專任教師");
    /* A 簽 proposes: its title is the proposal, not the cost that follows it. */
    assert_title("新竹縣立竹北國民中學　簽　於總務處\n主旨：擬採購本校資訊教室電腦40臺，經費新臺幣"
                 "120萬元由專款支應，陳請　核示。\n說明：略。",
                 "擬採購本校資訊教室電腦40臺");
    assert_title("主旨：檢陳本校113學年度代理教師甄選簡章1份，敬請　鑒核。", "檢陳本校113學年度代理教師甄選簡章1份");
    /* Header fields read without their colon, or too long for a field line, are not titles. */
    assert_title("宜蘭縣政府　書函\n速別 最速件\n密等及解密條件或保密期限：普通\n檔號 113/A01\n"
                 "保存年限 10年\n本縣113年度教師甄選簡章\n", "本縣113年度教師甄選簡章");
    /* A title may begin with a field's word: 电话 alone is a field, 电话费 is not. */
    assert_title("电话费报销管理规定\n第一条 为规范电话费报销，制定本规定。", "电话费报销管理规定");
    /* OCR lost the colon of 主旨. */
    assert_title("桃園市政府教育局　函\n受文者：本市各國民中學\n主旨 本市113學年度國中技藝教育課程實施事宜，"
                 "請查照。\n說明 依規定辦理。",
                 "本市113學年度國中技藝教育課程實施事宜");
    /* 附 alone does not make an attachment: 附中 opens many schools' names. */
    assert_title("附中113學年度校慶實施計畫\n壹、依據：行事曆。", "附中113學年度校慶實施計畫");
}

static void test_letterheads_addressees_dates_and_section_numbers_are_not_titles(void **state)
{
    (void)state;
    assert_title("臺中市立文華高級中等學校\n112年度第1次學生事務會議紀錄\n開會時間：112年4月26日",
                 "112年度第1次學生事務會議紀錄");
    assert_title("St. Mary's Canossian College\n22nd April 2024\nDear Parents,\nSwimming Gala\n"
                 "The gala will be held soon.",
                 "Swimming Gala");
    assert_title("Education Bureau\nOur Ref.: EDB(SCH)/ADM/1/23\n21 June 2023\n"
                 "To: Heads of all Schools\nDear Heads,\n\nArrangements for the School Year\n\n"
                 "Please note the dates.",
                 "Arrangements for the School Year");
    assert_title("聖公會聖三一中學\n家長通告\n\n第二學段家長日安排\n\n敬啟者：\n本校將舉行家長日。",
                 "第二學段家長日安排");
    dg_field f;
    const char *numbered = "2023年9月1日\n各部门：\n一、请于周五前报送材料\n二、逾期不候\n";
    dg_extract_title(numbered, strlen(numbered), &f);
    if (f.found)
        fail_msg("expected no title, got \"%s\"", f.value);
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
        cmocka_unit_test(test_minguo_dates_with_the_era_name_in_every_form),
        cmocka_unit_test(test_bare_minguo_year_only_in_a_record_pointing_to_taiwan),
        cmocka_unit_test(test_years_in_the_future_or_before_1900_are_not_dates),
        cmocka_unit_test(test_numeric_dates_follow_the_records_day_month_order),
        cmocka_unit_test(test_a_letters_own_date_beats_dates_it_mentions),
        cmocka_unit_test(test_taiwan_document_numbers_are_taken_as_written),
        cmocka_unit_test(test_hong_kong_reference_numbers_come_from_our_ref_and_file_labels),
        cmocka_unit_test(test_cited_mainland_numbers_are_never_the_records_own),
        cmocka_unit_test(test_subject_labels_give_the_title_without_closing_formulae),
        cmocka_unit_test(test_letterheads_addressees_dates_and_section_numbers_are_not_titles),
        cmocka_unit_test(test_taiwan_official_document_forms_give_their_title),
        cmocka_unit_test(test_heldout_dates_and_numbers_extracted_in_at_least_95_percent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
