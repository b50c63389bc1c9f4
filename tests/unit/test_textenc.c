/*
 * test_textenc.c — base/utf8 (the one UTF-8 validator) and ingest/textenc (decoding the
 * encodings a school office writes), with the manifest reader that uses it. Fixtures are
 * made here from UTF-8 strings with iconv, so every byte sequence is the real encoding's.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>

#include "base/utf8.h"
#include "ingest/manifest.h"
#include "ingest/textenc.h"

/* The bytes of utf8 in the encoding to (iconv's name), with an optional prefix (a BOM). */
static char *encode(const char *to, const char *utf8, const char *prefix, size_t prefix_len,
                    size_t *len)
{
    iconv_t cd = iconv_open(to, "UTF-8");
    assert_true(cd != (iconv_t)-1);
    size_t in_left = strlen(utf8), cap = in_left * 4 + 16 + prefix_len;
    char *buf = malloc(cap), *in = (char *)utf8, *out = buf + prefix_len;
    size_t out_left = cap - prefix_len;
    memcpy(buf, prefix, prefix_len);
    assert_int_not_equal(iconv(cd, &in, &in_left, &out, &out_left), (size_t)-1);
    iconv_close(cd);
    *len = cap - prefix_len - out_left + prefix_len;
    return buf;
}

/* Decodes data automatically (or as forced) and checks text and encoding. */
static void assert_decodes(const char *data, size_t len, dg_text_encoding forced,
                           const char *expected, dg_text_encoding expected_enc)
{
    dg_decoded_text out;
    dg_error err = {0};
    dg_status st = dg_text_decode(data, len, forced, "t.txt", &out, &err);
    if (st != DG_OK)
        fail_msg("decoding '%s' failed: %s", expected, err.msg);
    assert_string_equal(out.text, expected);
    assert_int_equal(out.len, strlen(expected));
    if (out.encoding != expected_enc)
        fail_msg("'%s' decoded as %s, not %s", expected, dg_text_encoding_name(out.encoding),
                 dg_text_encoding_name(expected_enc));
    free(out.text);
}

static void assert_round_trip(const char *iconv_to, const char *text, dg_text_encoding enc)
{
    size_t len;
    char *bytes = encode(iconv_to, text, "", 0, &len);
    assert_decodes(bytes, len, DG_ENC_AUTO, text, enc);
    free(bytes);
}

/* ---- base/utf8 ------------------------------------------------------------------------ */

static void test_utf8_validation_rejects_malformed_sequences(void **state)
{
    (void)state;
    assert_int_equal(dg_utf8_invalid_at("档案 ok", 9), 9);
    assert_int_equal(dg_utf8_invalid_at("\xF0\x9F\x98\x80", 4), 4); /* U+1F600 */
    assert_int_equal(dg_utf8_invalid_at("a\xC0\xAF", 3), 1);        /* overlong '/' */
    assert_int_equal(dg_utf8_invalid_at("ab\xED\xA0\x80", 5), 2);   /* surrogate */
    assert_int_equal(dg_utf8_invalid_at("\xE6\xA1", 2), 0);         /* cut short */
    assert_int_equal(dg_utf8_invalid_at("\xF4\x90\x80\x80", 4), 0); /* past U+10FFFF */
    assert_true(dg_utf8_valid_str(NULL));
    assert_true(dg_utf8_valid_str("關於開學"));
    assert_false(dg_utf8_valid_str("\xB9\xD8\xD3\xDA")); /* GBK bytes of 关于 */
}

static void test_utf8_decode_and_encode_agree(void **state)
{
    (void)state;
    uint32_t cps[] = {0x41, 0xE9, 0x6863, 0x20BB7, 0x10FFFF};
    for (size_t i = 0; i < sizeof cps / sizeof cps[0]; i++) {
        char buf[4];
        size_t n = dg_utf8_encode(cps[i], buf);
        assert_true(n >= 1 && n <= 4);
        uint32_t back = 0;
        assert_int_equal(dg_utf8_decode(buf, n, &back), n);
        assert_int_equal(back, cps[i]);
    }
    char *escaped = dg_utf8_escape_invalid("页\xFF\xC0x");
    assert_string_equal(escaped, "页\\xFF\\xC0x");
    free(escaped);
    char buf[4];
    assert_int_equal(dg_utf8_encode(0xD800, buf), 0);
    assert_int_equal(dg_utf8_encode(0x110000, buf), 0);
}

/* ---- decoding ------------------------------------------------------------------------- */

static void test_gbk_notice_is_detected_and_decoded(void **state)
{
    (void)state;
    assert_round_trip("GBK", "关于开学的通知 2024年2月1日", DG_ENC_GB18030);
    assert_round_trip("GBK", "files,title\nx.txt,开学通知\n", DG_ENC_GB18030);
}

static void test_gb18030_four_byte_characters_decode(void **state)
{
    (void)state;
    /* 𠮷 (U+20BB7) and 㐀 (U+3400) exist only as GB18030 four-byte sequences. */
    const char *text = "姓名：吉𠮷㐀 学籍档案 2023年9月1日 教务处";
    size_t len;
    char *bytes = encode("GB18030", text, "", 0, &len);
    assert_non_null(memchr(bytes, 0x95, len)); /* the 4-byte form's first byte of U+20BB7 */
    assert_decodes(bytes, len, DG_ENC_AUTO, text, DG_ENC_GB18030);
    assert_decodes(bytes, len, DG_ENC_GB18030, text, DG_ENC_GB18030);
    free(bytes);
}

static void test_big5_notice_is_detected_and_decoded(void **state)
{
    (void)state;
    assert_round_trip("BIG5", "關於開學的通知 2024年2月1日", DG_ENC_BIG5);
    assert_round_trip("BIG5", "中華民國112年6月21日 府教學字第1120001234號", DG_ENC_BIG5);
    /* 邨 is one of the Hong Kong characters Big5 itself lacks. */
    assert_round_trip("BIG5-HKSCS", "香港中文大學 屯門邨 通告", DG_ENC_BIG5);
}

/*
 * Short texts are where detectors fail: a department, a location, a title of a few
 * characters decodes without error both as GB18030 and as Big5. Measured: every one of
 * these is read in its own encoding.
 */
static void test_short_texts_pick_the_more_common_han_reading(void **state)
{
    (void)state;
    const char *simplified[] = {"开学通知", "教务处", "校长办公室", "档案室A柜3层", "会议纪要",
                                "财务处", "人事处", "总务处", "关于2024年寒假安排的通知",
                                "学生手册", "工资表", "预算报告"};
    const char *traditional[] = {"開學通知", "教務處", "校長辦公室", "檔案室A櫃3層", "會議紀要",
                                 "總務處", "人事室", "學生手冊", "薪資表", "預算報告",
                                 "關於開學的通知"};
    for (size_t i = 0; i < sizeof simplified / sizeof simplified[0]; i++)
        assert_round_trip("GBK", simplified[i], DG_ENC_GB18030);
    for (size_t i = 0; i < sizeof traditional / sizeof traditional[0]; i++)
        assert_round_trip("BIG5", traditional[i], DG_ENC_BIG5);
}

static void test_utf16_with_and_without_bom(void **state)
{
    (void)state;
    const char *text = "files\ttitle\r\n会议纪要.txt\t会议纪要 2024年3月1日\r\n";
    size_t len;
    char *le = encode("UTF-16LE", text, "\xFF\xFE", 2, &len);
    assert_decodes(le, len, DG_ENC_AUTO, text, DG_ENC_UTF16LE);
    assert_decodes(le, len, DG_ENC_UTF16, text, DG_ENC_UTF16LE);
    assert_decodes(le + 2, len - 2, DG_ENC_AUTO, text, DG_ENC_UTF16LE); /* no BOM */
    assert_true(dg_text_looks_utf16(le + 2, len - 2));
    free(le);
    char *be = encode("UTF-16BE", text, "\xFE\xFF", 2, &len);
    assert_decodes(be, len, DG_ENC_AUTO, text, DG_ENC_UTF16BE);
    assert_decodes(be + 2, len - 2, DG_ENC_AUTO, text, DG_ENC_UTF16BE);
    assert_decodes(be + 2, len - 2, DG_ENC_UTF16, text, DG_ENC_UTF16BE);
    free(be);
}

static void test_utf8_with_bom_loses_the_bom(void **state)
{
    (void)state;
    const char data[] = "\xEF\xBB\xBF预算报告 2024年";
    assert_decodes(data, sizeof data - 1, DG_ENC_AUTO, "预算报告 2024年", DG_ENC_UTF8);
    assert_decodes(data, sizeof data - 1, DG_ENC_UTF8, "预算报告 2024年", DG_ENC_UTF8);
    assert_decodes("", 0, DG_ENC_AUTO, "", DG_ENC_UTF8);
}

static void test_forced_encoding_wins_and_a_wrong_one_is_refused(void **state)
{
    (void)state;
    size_t len;
    char *gbk = encode("GBK", "校长办公室", "", 0, &len);
    dg_text_encoding enc;
    assert_int_equal(dg_text_encoding_parse("GBK", &enc, NULL), DG_OK);
    assert_int_equal(enc, DG_ENC_GB18030);
    assert_decodes(gbk, len, enc, "校长办公室", DG_ENC_GB18030);
    /* The same bytes forced as UTF-8: refused, naming the file, encoding and byte. */
    dg_decoded_text out;
    dg_error err = {0};
    assert_int_equal(dg_text_decode(gbk, len, DG_ENC_UTF8, "m.csv", &out, &err), DG_ERR_BAD_INPUT);
    assert_null(out.text);
    assert_string_equal(err.msg, "m.csv: not valid UTF-8 text (byte 2); check --encoding (gbk, "
                                 "gb18030, big5, utf-16, utf-8)");
    free(gbk);
    assert_int_equal(dg_text_encoding_parse("latin1", &enc, &err), DG_ERR_USAGE);
    assert_non_null(strstr(err.msg, "--encoding 'latin1'"));
}

static void test_undecodable_bytes_are_refused_with_a_hint(void **state)
{
    (void)state;
    /* \x80 is a lone byte in GB18030 and Big5 alike, and not UTF-8 either. */
    const char junk[] = "abc\x80\x80\x80\xFF\xFF";
    dg_decoded_text out;
    dg_error err = {0};
    assert_int_equal(dg_text_decode(junk, sizeof junk - 1, DG_ENC_AUTO, "x.txt", &out, &err),
                     DG_ERR_BAD_INPUT);
    assert_null(out.text);
    assert_true(out.bad_offset >= 3);
    assert_non_null(strstr(err.msg, "x.txt: cannot tell the text's encoding"));
    assert_non_null(strstr(err.msg, "--encoding gbk|gb18030|big5|utf-16|utf-8"));
    /* Binary data with a NUL is no text in any encoding. */
    const char binary[] = "x\xFF\xFE\x00" "bad\n";
    assert_int_equal(dg_text_decode(binary, sizeof binary - 1, DG_ENC_AUTO, "b.txt", &out, &err),
                     DG_ERR_BAD_INPUT);
    assert_false(dg_text_looks_utf16(binary, sizeof binary - 1));
    /* Japanese Shift_JIS converts as GB18030 without an error, into rare characters
     * (偙傫偵偪偼...): that is no Chinese text, and it says so. */
    size_t sjis_len;
    char *sjis = encode("SHIFT_JIS", "こんにちは、ありがとうございます", "", 0, &sjis_len);
    assert_int_equal(dg_text_decode(sjis, sjis_len, DG_ENC_AUTO, "j.txt", &out, &err),
                     DG_ERR_BAD_INPUT);
    assert_true(out.not_text);
    assert_non_null(strstr(err.msg, "as GB18030 it reads as no Chinese text"));
    free(sjis);
    /* Nor is data that starts like a little-endian BOM but has its NULs where big-endian
     * ASCII would. */
    const char fake_bom[] = "\xFF\xFE\x00" "bin";
    assert_int_equal(dg_text_decode(fake_bom, sizeof fake_bom - 1, DG_ENC_AUTO, "c.txt", &out,
                                    &err),
                     DG_ERR_BAD_INPUT);
}

static void test_file_names_become_utf8(void **state)
{
    (void)state;
    size_t len;
    char *gbk = encode("GBK", "学生手册.txt", "", 0, &len);
    gbk = realloc(gbk, len + 1);
    gbk[len] = '\0';
    char *name = dg_text_name_to_utf8(gbk);
    assert_string_equal(name, "学生手册.txt");
    free(name);
    free(gbk);
    name = dg_text_name_to_utf8("scan\xFF\x01.tif");
    assert_string_equal(name, "scan\\xFF\x01.tif");
    assert_true(dg_utf8_valid_str(name));
    free(name);
    name = dg_text_name_to_utf8("已经是UTF-8.txt");
    assert_string_equal(name, "已经是UTF-8.txt");
    free(name);
}

/* ---- manifests ------------------------------------------------------------------------ */

static void test_gbk_manifest_reads_like_utf8(void **state)
{
    (void)state;
    size_t len;
    char *csv = encode("GBK", "files,title,department,location\nx.txt,开学通知,教务处,档案室A柜3层\n",
                       "", 0, &len);
    dg_manifest *m = NULL;
    dg_error err = {0};
    assert_int_equal(dg_manifest_parse(csv, len, "m.csv", &m, &err), DG_OK);
    assert_int_equal(m->n_rows, 1);
    assert_string_equal(m->rows[0].title, "开学通知");
    assert_string_equal(m->rows[0].department, "教务处");
    assert_string_equal(m->rows[0].location, "档案室A柜3层");
    dg_manifest_free(m);
    free(csv);
}

static void test_excel_unicode_text_manifest_is_tab_separated_utf16(void **state)
{
    (void)state;
    size_t len;
    char *txt = encode("UTF-16LE", "files\ttitle\tdepartment\r\n開學.txt\t開學通知\t教務處\r\n",
                       "\xFF\xFE", 2, &len);
    dg_manifest *m = NULL;
    dg_error err = {0};
    assert_int_equal(dg_manifest_parse_encoded(txt, len, DG_ENC_AUTO, "m.txt", &m, &err), DG_OK);
    assert_int_equal(m->n_rows, 1);
    assert_string_equal(m->rows[0].files[0], "開學.txt");
    assert_string_equal(m->rows[0].title, "開學通知");
    assert_string_equal(m->rows[0].department, "教務處");
    dg_manifest_free(m);
    free(txt);
}

static void test_undecodable_manifest_names_row_and_column(void **state)
{
    (void)state;
    size_t len;
    char *csv = encode("GBK", "files,title,department\na.txt,开学通知,教务处\nb.txt,会议纪要,财务处\n",
                       "", 0, &len);
    /* Forced as Big5, the GBK bytes of 财务处 hold a sequence Big5 does not have. */
    dg_manifest *m = NULL;
    dg_error err = {0};
    assert_int_equal(dg_manifest_parse_encoded(csv, len, DG_ENC_UTF8, "m.csv", &m, &err),
                     DG_ERR_BAD_INPUT);
    assert_null(m);
    assert_string_equal(err.msg, "m.csv: row 2, column 2 (title): not valid UTF-8 text (byte 29); "
                                 "the manifest's encoding is not the one given: give it with "
                                 "--encoding gbk|gb18030|big5|utf-16|utf-8");
    free(csv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_utf8_validation_rejects_malformed_sequences),
        cmocka_unit_test(test_utf8_decode_and_encode_agree),
        cmocka_unit_test(test_gbk_notice_is_detected_and_decoded),
        cmocka_unit_test(test_gb18030_four_byte_characters_decode),
        cmocka_unit_test(test_big5_notice_is_detected_and_decoded),
        cmocka_unit_test(test_short_texts_pick_the_more_common_han_reading),
        cmocka_unit_test(test_utf16_with_and_without_bom),
        cmocka_unit_test(test_utf8_with_bom_loses_the_bom),
        cmocka_unit_test(test_forced_encoding_wins_and_a_wrong_one_is_refused),
        cmocka_unit_test(test_undecodable_bytes_are_refused_with_a_hint),
        cmocka_unit_test(test_file_names_become_utf8),
        cmocka_unit_test(test_gbk_manifest_reads_like_utf8),
        cmocka_unit_test(test_excel_unicode_text_manifest_is_tab_separated_utf16),
        cmocka_unit_test(test_undecodable_manifest_names_row_and_column),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
