/* test_detect.c — file types decided by content, never by name; clear reasons otherwise. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixtures.h"
#include "ingest/detect.h"

static dg_detector *detector;

static int open_detector(void **state)
{
    (void)state;
    return dg_detector_open(&detector, NULL) == DG_OK ? 0 : -1;
}

static int close_detector(void **state)
{
    (void)state;
    dg_detector_close(detector);
    return 0;
}

static dg_status detect_fixture(const char *name, dg_file_type *type, dg_error *err)
{
    size_t len = 0;
    char *data = read_file(fixture(name), &len);
    assert_non_null(data);
    dg_status status = dg_detect_buffer(detector, data, len, name, type, err);
    free(data);
    return status;
}

static void assert_type(const char *name, dg_file_type expected)
{
    dg_file_type type = DG_FILE_UNKNOWN;
    dg_error err = {0};
    if (detect_fixture(name, &type, &err) != DG_OK)
        fail_msg("%s", err.msg);
    assert_string_equal(dg_file_type_name(type), dg_file_type_name(expected));
}

static void test_every_supported_type_is_recognised(void **state)
{
    (void)state;
    assert_type("sim.png", DG_FILE_PNG);
    assert_type("eng.jpg", DG_FILE_JPEG);
    assert_type("eng-rot180.pgm", DG_FILE_PNM);
    assert_type("trad.bmp", DG_FILE_BMP);
    assert_type("multi.tif", DG_FILE_TIFF);
    assert_type("text-layer.pdf", DG_FILE_PDF);
    assert_type("scanned.pdf", DG_FILE_PDF);
    assert_type("plain.txt", DG_FILE_TEXT);
}

static void test_content_wins_over_the_name(void **state)
{
    (void)state;
    assert_type("png-named.txt", DG_FILE_PNG);
}

static void test_empty_file_is_refused_with_its_name(void **state)
{
    (void)state;
    dg_file_type type;
    dg_error err;
    assert_int_equal(detect_fixture("empty.png", &type, &err), DG_ERR_BAD_INPUT);
    assert_string_equal(err.msg, "empty.png: empty file");
    assert_int_equal(type, DG_FILE_UNKNOWN);
}

static void test_unknown_content_names_its_mime_type(void **state)
{
    (void)state;
    dg_file_type type;
    dg_error err;
    assert_int_equal(detect_fixture("random.bin", &type, &err), DG_ERR_BAD_INPUT);
    assert_string_equal(err.msg, "random.bin: unknown file type (application/octet-stream)");

    /* A gzip stream named like a scan. */
    static const unsigned char gz[] = "\x1f\x8b\x08\0\0\0\0\0\0\x03\x03\0\0\0\0\0\0\0\0\0";
    assert_int_equal(dg_detect_buffer(detector, gz, sizeof gz - 1, "scan.xyz", &type, &err),
                     DG_ERR_BAD_INPUT);
    assert_string_equal(err.msg, "scan.xyz: unknown file type (application/gzip)");
}

/* Any zip may be an Office or OFD package: only its content says (office.h looks inside). */
static void test_zip_is_handed_to_the_office_reader(void **state)
{
    (void)state;
    dg_file_type type;
    dg_error err;
    static const unsigned char zip[] = "PK\x05\x06\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0";
    assert_int_equal(dg_detect_buffer(detector, zip, sizeof zip - 1, "scan.xyz", &type, &err),
                     DG_OK);
    assert_int_equal(type, DG_FILE_OFFICE);
}

/* What a legacy office file is comes from its MIME type: the type alone does not say. */
static void test_mime_type_is_handed_out(void **state)
{
    (void)state;
    static const unsigned char gz[] = "\x1f\x8b\x08\0\0\0\0\0\0\x03\x03\0\0\0\0\0\0\0\0\0";
    char mime[64];
    dg_error err;
    assert_int_equal(dg_detect_mime(detector, gz, sizeof gz - 1, mime, sizeof mime, &err), DG_OK);
    assert_string_equal(mime, "application/gzip");
    assert_int_equal(dg_detect_mime(detector, gz, 0, mime, sizeof mime, &err), DG_ERR_BAD_INPUT);
}

static void test_html_is_not_taken_as_plain_text(void **state)
{
    (void)state;
    static const char html[] = "<!DOCTYPE html>\n<html><body><p>通知</p></body></html>\n";
    dg_file_type type;
    dg_error err;
    assert_int_equal(dg_detect_buffer(detector, html, strlen(html), "page.txt", &type, &err),
                     DG_ERR_BAD_INPUT);
    assert_non_null(strstr(err.msg, "text/html"));
}

/*
 * Prose is decided without libmagic's text tests (detect.c, prose_type): the verdict must be
 * the one the full run gives (dg_detect_mime asks libmagic everything), for prose that takes
 * the short way and for texts that look like prose at first sight and are not.
 */
static void assert_same_as_full_run(const char *data, size_t len, const char *want_mime)
{
    char mime[128];
    dg_error err;
    assert_int_equal(dg_detect_mime(detector, data, len, mime, sizeof mime, &err), DG_OK);
    assert_string_equal(mime, want_mime);
    dg_file_type type;
    dg_status st = dg_detect_buffer(detector, data, len, "x.txt", &type, &err);
    if (!strcmp(mime, "text/plain")) {
        assert_int_equal(st, DG_OK);
        assert_int_equal(type, DG_FILE_TEXT);
        return;
    }
    assert_int_equal(st, DG_ERR_BAD_INPUT);
    char want[256];
    snprintf(want, sizeof want, "x.txt: unknown file type (%s)", mime);
    assert_string_equal(err.msg, want);
}

static void assert_text_same_as_full_run(const char *text, const char *want_mime)
{
    assert_same_as_full_run(text, strlen(text), want_mime);
}

/* A Chinese text of len bytes (padded with 'x' after two characters) with pattern at offset. */
static char *text_with_at(size_t len, size_t offset, const char *pattern)
{
    char *s = malloc(len + 1);
    assert_non_null(s);
    memcpy(s, "中文", 6);
    memset(s + 6, 'x', len - 6);
    memcpy(s + offset, pattern, strlen(pattern));
    s[len] = '\0';
    return s;
}

static void test_prose_is_text_as_libmagic_says(void **state)
{
    (void)state;
    assert_text_same_as_full_run("关于2017年资产清查的通知\n各部门：\n  请于本月底前报送。\n",
                                 "text/plain");
    assert_text_same_as_full_run("關於檔案管理工作會議紀要\n本學期檔案室共接收各類文件三百餘件。\r\n"
                                 "會議決定加強電子檔案的保管。The committee reviewed the report.\n",
                                 "text/plain");
    /* Lines that open in ASCII, code signs, searched words: the full run decides. */
    assert_text_same_as_full_run("Minutes of the meeting\n会议纪要\n", "text/plain");
    assert_text_same_as_full_run("会议纪要（第3号）\nThe end.\n", "text/plain");
    assert_text_same_as_full_run("会议纪要：增长5%，完成率100%。\n", "text/plain");
    assert_text_same_as_full_run("会议纪要 import 通知\n", "text/plain");
    assert_text_same_as_full_run("会议纪要\nThe committee reviewed the report.\nMinutes were "
                                 "recorded.\n", "text/plain");
}

static void test_what_looks_like_prose_keeps_libmagic_s_type(void **state)
{
    (void)state;
    /* Prose to the eye; libmagic's binary tests, CSV and JSON checks still run. */
    assert_text_same_as_full_run("名称,数量,单价\n苹果,3,5\n梨子,4,6\n桃子,5,7\n", "text/csv");
    char *mod = text_with_at(2000, 1080, "M.K.");
    assert_text_same_as_full_run(mod, "audio/x-mod");
    free(mod);
    char *mobi = text_with_at(2000, 60, "BOOKMOBI");
    assert_text_same_as_full_run(mobi, "application/x-mobipocket-ebook");
    free(mobi);
    /* Code and markup after a Chinese first line, or in Chinese-led lines. */
    assert_text_same_as_full_run("说明\nimport os\nfrom x import y\n", "text/x-script.python");
    assert_text_same_as_full_run("文 import os\n文 from x import y\n", "text/plain");
    assert_text_same_as_full_run("说明\n#include <stdio.h>\nint main(void) { return 0; }\n",
                                 "text/x-c");
    assert_text_same_as_full_run("说明 <html><body><p>通知</p></body></html>\n", "text/html");
    assert_text_same_as_full_run("说明\nall: build\n\tcc -o x x.c\n", "text/x-makefile");
    /* A searched word right after the first character (search/27 at offset 0). */
    assert_text_same_as_full_run("文Start Component\n", "text/x-dmtf-mif");
    assert_text_same_as_full_run("\xef\xbb\xbf关于通知\n", "text/plain"); /* a BOM */
    assert_text_same_as_full_run("关于\x01通知\n", "application/octet-stream");
}

/* A detector asks the cut database (prose_magic.h) from its ninth prose text on: past that
 * the answers are still the full run's, for prose and for prose a binary test matches. */
static void test_prose_after_the_cut_keeps_libmagic_s_type(void **state)
{
    (void)state;
    for (int i = 0; i < 12; i++) {
        char text[128];
        snprintf(text, sizeof text, "关于第%d号文件的通知\n各部门：请于本月底前报送。\n", i);
        assert_text_same_as_full_run(text, "text/plain");
    }
    char *mod = text_with_at(2000, 1080, "M.K.");
    assert_text_same_as_full_run(mod, "audio/x-mod");
    free(mod);
    char *mobi = text_with_at(2000, 60, "BOOKMOBI");
    assert_text_same_as_full_run(mobi, "application/x-mobipocket-ebook");
    free(mobi);
    assert_text_same_as_full_run("\xe9\xbe\x99 dragon 文件\n", "text/plain"); /* a kept test's first byte */
}

static void test_descriptor_is_detected_and_its_offset_kept(void **state)
{
    (void)state;
    int fd = open(fixture("multi.tif"), O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(lseek(fd, 10, SEEK_SET), 10);
    dg_file_type type;
    assert_int_equal(dg_detect_fd(detector, fd, "multi.tif", &type, NULL), DG_OK);
    assert_int_equal(type, DG_FILE_TIFF);
    assert_int_equal(lseek(fd, 0, SEEK_CUR), 10);
    close(fd);
}

static void test_unreadable_descriptor_is_an_io_error(void **state)
{
    (void)state;
    int fd = open("/tmp", O_RDONLY | O_DIRECTORY);
    assert_true(fd >= 0);
    dg_file_type type;
    dg_error err;
    assert_int_equal(dg_detect_fd(detector, fd, "/tmp", &type, &err), DG_ERR_IO);
    assert_non_null(strstr(err.msg, "/tmp: "));
    close(fd);
}

int main(int argc, char **argv)
{
    (void)argc;
    if (fixtures_prepare(argv[0]) != 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_supported_type_is_recognised),
        cmocka_unit_test(test_content_wins_over_the_name),
        cmocka_unit_test(test_empty_file_is_refused_with_its_name),
        cmocka_unit_test(test_unknown_content_names_its_mime_type),
        cmocka_unit_test(test_zip_is_handed_to_the_office_reader),
        cmocka_unit_test(test_mime_type_is_handed_out),
        cmocka_unit_test(test_html_is_not_taken_as_plain_text),
        cmocka_unit_test(test_prose_is_text_as_libmagic_says),
        cmocka_unit_test(test_what_looks_like_prose_keeps_libmagic_s_type),
        cmocka_unit_test(test_prose_after_the_cut_keeps_libmagic_s_type),
        cmocka_unit_test(test_descriptor_is_detected_and_its_offset_kept),
        cmocka_unit_test(test_unreadable_descriptor_is_an_io_error),
    };
    return cmocka_run_group_tests(tests, open_detector, close_detector);
}
