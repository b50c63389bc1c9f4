/* test_pages.c — input files split into pages; every bad input refused with one clear line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <leptonica/allheaders.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fixtures.h"
#include "ingest/pages.h"

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

static dg_document *open_fixture(const char *name, const dg_page_limits *limits)
{
    dg_document *doc = NULL;
    dg_error err;
    if (dg_document_open_path(detector, fixture(name), limits, &doc, &err) != DG_OK)
        fail_msg("%s", err.msg);
    return doc;
}

static dg_page *read_page(dg_document *doc, int index)
{
    dg_page *page = NULL;
    dg_error err;
    if (dg_document_read_page(doc, index, &page, &err) != DG_OK)
        fail_msg("%s", err.msg);
    return page;
}

/* Opens fixture name from memory (as the server would pass it) and expects a refusal. */
static void assert_refused(const char *name, const dg_page_limits *limits, const char *reason)
{
    size_t len = 0;
    char *data = read_file(fixture(name), &len);
    assert_non_null(data);
    dg_document *doc = NULL;
    dg_error err = {0};
    dg_status status = dg_document_open_memory(detector, data, len, name, limits, &doc, &err);
    free(data);
    if (status == DG_OK) {
        /* Some damage only shows when the page is decoded. */
        dg_page *page = NULL;
        status = dg_document_read_page(doc, 0, &page, &err);
        dg_page_free(page);
        dg_document_close(doc);
    }
    assert_int_equal(status, DG_ERR_BAD_INPUT);
    if (strncmp(err.msg, name, strlen(name)) != 0 || !strstr(err.msg, reason))
        fail_msg("%s: expected \"%s\" in \"%s\"", name, reason, err.msg);
    assert_null(strchr(err.msg, '\n'));
}

static int is_png(const dg_page *page)
{
    return page->image_len > 8 && memcmp(page->image, "\x89PNG\r\n\x1a\n", 8) == 0 &&
           strcmp(page->image_mime, "image/png") == 0;
}

static void test_image_page_keeps_the_original_bytes(void **state)
{
    (void)state;
    dg_document *doc = open_fixture("eng.jpg", NULL);
    assert_int_equal(dg_document_type(doc), DG_FILE_JPEG);
    assert_int_equal(dg_document_page_count(doc), 1);
    dg_page *page = read_page(doc, 0);
    size_t len = 0;
    char *original = read_file(fixture("eng.jpg"), &len);
    assert_int_equal(page->image_len, len);
    assert_memory_equal(page->image, original, len);
    assert_string_equal(page->image_mime, "image/jpeg");
    assert_int_equal(page->kind, DG_PAGE_SCAN);
    assert_non_null(page->pix);
    assert_null(page->text);
    assert_int_equal(page->width, (int)pixGetWidth(page->pix));
    assert_true(page->width > 1000);
    free(original);
    dg_page_free(page);
    dg_document_close(doc);
}

static void test_png_named_txt_is_read_as_an_image(void **state)
{
    (void)state;
    dg_document *doc = open_fixture("png-named.txt", NULL);
    assert_int_equal(dg_document_type(doc), DG_FILE_PNG);
    dg_page *page = read_page(doc, 0);
    assert_non_null(page->pix);
    assert_true(is_png(page));
    dg_page_free(page);
    dg_document_close(doc);
}

static void test_multi_page_tiff_gives_one_png_per_page(void **state)
{
    (void)state;
    dg_document *doc = open_fixture("multi.tif", NULL);
    assert_int_equal(dg_document_type(doc), DG_FILE_TIFF);
    assert_int_equal(dg_document_page_count(doc), 3);
    for (int i = 0; i < 3; i++) {
        dg_page *page = read_page(doc, i);
        assert_int_equal(page->number, i + 1);
        assert_true(is_png(page));
        /* The stored PNG decodes to exactly the page's pixels: lossless. */
        PIX *stored = pixReadMem(page->image, page->image_len);
        assert_non_null(stored);
        l_int32 same = 0;
        assert_int_equal(pixEqual(stored, page->pix, &same), 0);
        assert_true(same);
        if (i == 2)
            assert_int_equal(pixGetDepth(page->pix), 1); /* the bilevel (G4) page */
        pixDestroy(&stored);
        dg_page_free(page);
    }
    dg_page *none = NULL;
    dg_error err;
    assert_int_equal(dg_document_read_page(doc, 3, &none, &err), DG_ERR_USAGE);
    dg_document_close(doc);
}

static void test_pdf_text_layer_is_used_instead_of_ocr(void **state)
{
    (void)state;
    dg_document *doc = open_fixture("text-layer.pdf", NULL);
    assert_int_equal(dg_document_type(doc), DG_FILE_PDF);
    assert_int_equal(dg_document_page_count(doc), 1);
    dg_page *page = read_page(doc, 0);
    assert_int_equal(page->kind, DG_PAGE_PDF_TEXT);
    assert_null(page->pix);
    assert_non_null(strstr(page->text, "Records Office Annual Report"));
    assert_non_null(strstr(page->text, "档案室年度工作报告"));
    /* The stored image is the page rendered at 300 dpi: A4 is 2480 pixels wide. */
    assert_true(is_png(page));
    assert_int_equal(page->dpi, 300);
    assert_true(abs(page->width - 2480) <= 2);
    dg_page_free(page);
    dg_document_close(doc);
}

static void test_scanned_pdf_page_is_rendered_for_ocr(void **state)
{
    (void)state;
    dg_document *doc = open_fixture("scanned.pdf", NULL);
    dg_page *page = read_page(doc, 0);
    assert_int_equal(page->kind, DG_PAGE_PDF_RENDER);
    assert_null(page->text);
    assert_non_null(page->pix);
    assert_true(is_png(page));
    /* The scan was placed at 300 dpi, so rendering at 300 dpi gives its own size back. */
    PIX *scan = pixRead(fixture("scan-page.jpg"));
    assert_true(abs(page->width - (int)pixGetWidth(scan)) <= 2);
    assert_true(abs(page->height - (int)pixGetHeight(scan)) <= 2);
    pixDestroy(&scan);
    dg_page_free(page);
    dg_document_close(doc);
}

static void test_plain_text_is_one_page_of_text(void **state)
{
    (void)state;
    dg_document *doc = open_fixture("plain.txt", NULL);
    assert_int_equal(dg_document_type(doc), DG_FILE_TEXT);
    dg_page *page = read_page(doc, 0);
    assert_int_equal(page->kind, DG_PAGE_PLAIN_TEXT);
    assert_string_equal(page->text, "档案管理办法（试行）\nRecords management rules.\n");
    assert_null(page->image);
    assert_null(page->pix);
    dg_page_free(page);
    dg_document_close(doc);

    static const char bom[] = "\xEF\xBB\xBFnotice 通知\n";
    assert_int_equal(dg_document_open_memory(detector, bom, strlen(bom), "bom.txt", NULL, &doc,
                                             NULL), DG_OK);
    page = read_page(doc, 0);
    assert_string_equal(page->text, "notice 通知\n");
    dg_page_free(page);
    dg_document_close(doc);
}

static void test_every_bad_input_is_refused_with_one_clear_line(void **state)
{
    (void)state;
    assert_refused("empty.png", NULL, "empty file");
    assert_refused("random.bin", NULL, "unknown file type (application/octet-stream)");
    assert_refused("truncated.png", NULL, "truncated PNG image");
    assert_refused("broken.pdf", NULL, "broken PDF");
    assert_refused("encrypted.pdf", NULL, "encrypted PDF");
    assert_refused("latin1.txt", NULL, "cannot tell the text's encoding");
}

static void test_decompression_bomb_is_refused_before_decoding(void **state)
{
    (void)state;
    clock_t start = clock();
    assert_refused("bomb.png", NULL, "100000 x 100000 pixels is over the limit");
    /* Decoding 10 gigapixels would take minutes and 10 GB; the header check takes nothing. */
    assert_true((double)(clock() - start) / CLOCKS_PER_SEC < 1.0);
}

static void test_pixel_and_page_limits_are_configurable(void **state)
{
    (void)state;
    dg_page_limits limits;
    dg_page_limits_init(&limits);
    limits.max_pixels = 100000;
    assert_refused("sim.png", &limits, "over the limit of 100000 pixels");
    assert_refused("multi.tif", &limits, "page 1: image of");
    dg_page_limits_init(&limits);
    limits.max_pages = 2;
    assert_refused("multi.tif", &limits, "more than 2 pages");
    dg_page_limits_init(&limits);
    limits.max_file_bytes = 1000;
    assert_refused("sim.png", &limits, "over the limit of 1000 bytes");
}

static void test_pdf_page_over_the_pixel_limit_renders_coarser(void **state)
{
    (void)state;
    dg_page_limits limits;
    dg_page_limits_init(&limits);
    limits.max_pixels = 2000000; /* A4 at 300 dpi is 8.7 million */
    dg_document *doc = open_fixture("text-layer.pdf", &limits);
    dg_page *page = read_page(doc, 0);
    assert_true((unsigned long long)page->width * (unsigned long long)page->height <=
                limits.max_pixels);
    assert_true(page->dpi < 300);
    dg_page_free(page);
    dg_document_close(doc);
}

static void test_descriptor_of_a_pipe_is_read_to_its_end(void **state)
{
    (void)state;
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    static const char text[] = "会议纪要 minutes\n";
    assert_int_equal(write(fds[1], text, strlen(text)), (ssize_t)strlen(text));
    close(fds[1]);
    dg_document *doc = NULL;
    assert_int_equal(dg_document_open_fd(detector, fds[0], "upload", NULL, &doc, NULL), DG_OK);
    close(fds[0]);
    dg_page *page = read_page(doc, 0);
    assert_string_equal(page->text, text);
    dg_page_free(page);
    dg_document_close(doc);
}

static void test_missing_file_is_an_io_error(void **state)
{
    (void)state;
    dg_document *doc = NULL;
    dg_error err;
    assert_int_equal(dg_document_open_path(detector, "/nonexistent/scan.tif", NULL, &doc, &err),
                     DG_ERR_IO);
    assert_string_equal(err.msg, "/nonexistent/scan.tif: No such file or directory");
    assert_null(doc);
}


int main(int argc, char **argv)
{
    (void)argc;
    if (fixtures_prepare(argv[0]) != 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_image_page_keeps_the_original_bytes),
        cmocka_unit_test(test_png_named_txt_is_read_as_an_image),
        cmocka_unit_test(test_multi_page_tiff_gives_one_png_per_page),
        cmocka_unit_test(test_pdf_text_layer_is_used_instead_of_ocr),
        cmocka_unit_test(test_scanned_pdf_page_is_rendered_for_ocr),
        cmocka_unit_test(test_plain_text_is_one_page_of_text),
        cmocka_unit_test(test_every_bad_input_is_refused_with_one_clear_line),
        cmocka_unit_test(test_decompression_bomb_is_refused_before_decoding),
        cmocka_unit_test(test_pixel_and_page_limits_are_configurable),
        cmocka_unit_test(test_pdf_page_over_the_pixel_limit_renders_coarser),
        cmocka_unit_test(test_descriptor_of_a_pipe_is_read_to_its_end),
        cmocka_unit_test(test_missing_file_is_an_io_error),
    };
    return cmocka_run_group_tests(tests, open_detector, close_detector);
}
