/* test_seal.c — red seals lifted off colour scans, black print under them kept. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <leptonica/allheaders.h>
#include <stdlib.h>

#include "ingest/seal.h"

enum { W = 300, H = 200 };

static const l_uint32 PAPER = 0xf4f0e800;     /* slightly yellowed: R 244, G 240, B 232 */
static const l_uint32 BLACK = 0x1c1c1c00;
static const l_uint32 SEAL_RED = 0xd81e2800; /* R 216, G 30, B 40 */

/* A page of paper with a black bar (rows 80-119, a line of print) and a red disc of radius
 * 60 at (150, 100) stamped over its middle: where red ink lies on black, black shows. */
static PIX *stamped_page(void)
{
    PIX *pix = pixCreate(W, H, 32);
    assert_non_null(pix);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            int in_bar = y >= 80 && y < 120;
            int in_seal = (x - 150) * (x - 150) + (y - 100) * (y - 100) < 60 * 60;
            pixSetPixel(pix, x, y, in_bar ? BLACK : in_seal ? SEAL_RED : PAPER);
        }
    return pix;
}

static l_uint32 gray_at(PIX *gray, int x, int y)
{
    l_uint32 v = 0;
    assert_int_equal(pixGetPixel(gray, x, y, &v), 0);
    return v;
}

static void test_seal_is_lifted_to_paper_and_print_under_it_stays_black(void **state)
{
    (void)state;
    PIX *page = stamped_page();
    long red = 0;
    PIX *gray = dg_seal_gray(page, &red, NULL);
    assert_non_null(gray);
    assert_int_equal(pixGetDepth(gray), 8);
    assert_true(red > 5000);                  /* most of the disc outside the bar */
    assert_true(gray_at(gray, 150, 60) > 200);  /* seal alone: as bright as paper */
    assert_true(gray_at(gray, 150, 100) < 40);  /* print under the seal: still black */
    assert_true(gray_at(gray, 20, 100) < 40);   /* print elsewhere */
    assert_true(gray_at(gray, 20, 20) > 220);   /* paper */
    /* Luminance, what the page became before: the seal as dark as grey print. */
    PIX *plain = pixConvertTo8(page, 0);
    assert_true(gray_at(plain, 150, 60) < 110);
    pixDestroy(&plain);
    pixDestroy(&gray);
    pixDestroy(&page);
}

static void test_red_ink_is_handed_out_alone(void **state)
{
    (void)state;
    PIX *page = stamped_page();
    PIX *ink = dg_seal_red_ink(page);
    assert_non_null(ink);
    assert_int_equal(pixGetDepth(ink), 1);
    assert_int_equal(gray_at(ink, 150, 60), 1);  /* seal */
    assert_int_equal(gray_at(ink, 150, 100), 0); /* black print over it */
    assert_int_equal(gray_at(ink, 20, 100), 0);  /* black print */
    assert_int_equal(gray_at(ink, 20, 20), 0);   /* paper */
    pixDestroy(&ink);
    pixDestroy(&page);
}

/* Scanner noise on grey print must not be taken for red ink: no pixel of it changes. */
static void test_noisy_grey_print_has_no_red_ink(void **state)
{
    (void)state;
    PIX *page = pixCreate(W, H, 32);
    assert_non_null(page);
    srand(7);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            int base = (x / 10 + y / 10) % 2 ? 235 : 90; /* print and paper in a checker */
            l_int32 c[3];
            for (int k = 0; k < 3; k++) {
                c[k] = base + rand() % 61 - 30; /* +-30 per channel */
                c[k] = c[k] < 0 ? 0 : c[k] > 255 ? 255 : c[k];
            }
            pixSetPixel(page, x, y, (l_uint32)c[0] << 24 | (l_uint32)c[1] << 16 | (l_uint32)c[2] << 8);
        }
    long red = -1;
    PIX *gray = dg_seal_gray(page, &red, NULL);
    assert_non_null(gray);
    assert_true(red < W * H / 1000); /* a stray 2x2 clump at most */
    PIX *plain = pixConvertTo8(page, 0);
    l_int32 same = 0;
    assert_int_equal(pixEqual(gray, plain, &same), 0);
    if (red == 0)
        assert_true(same);
    pixDestroy(&plain);
    pixDestroy(&gray);
    pixDestroy(&page);
}

/* A page photographed under warm light is red all over: that is the paper, not ink, and
 * the page is read as it looks. */
static void test_red_tinted_paper_is_left_as_it_is(void **state)
{
    (void)state;
    PIX *page = pixCreate(W, H, 32);
    assert_non_null(page);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            pixSetPixel(page, x, y, y >= 80 && y < 120 ? BLACK : 0xfaaa8c00); /* 250,170,140 */
    long red = -1;
    PIX *gray = dg_seal_gray(page, &red, NULL);
    assert_non_null(gray);
    assert_int_equal(red, 0);
    PIX *plain = pixConvertTo8(page, 0);
    l_int32 same = 0;
    assert_int_equal(pixEqual(gray, plain, &same), 0);
    assert_true(same);
    pixDestroy(&plain);
    pixDestroy(&gray);
    pixDestroy(&page);
}

/* A grey scan has no colour to tell inks apart: it comes back as luminance, no red ink. */
static void test_grey_scan_is_left_as_it_is(void **state)
{
    (void)state;
    PIX *page = pixCreate(W, H, 8);
    assert_non_null(page);
    pixSetAllArbitrary(page, 200);
    long red = -1;
    PIX *gray = dg_seal_gray(page, &red, NULL);
    assert_non_null(gray);
    assert_int_equal(red, 0);
    assert_int_equal(gray_at(gray, 10, 10), 200);
    assert_null(dg_seal_red_ink(page));
    pixDestroy(&gray);
    pixDestroy(&page);
}

/* A palette image with a red entry (a PNG with a colour table) is colour too. */
static void test_palette_scan_with_red_is_colour(void **state)
{
    (void)state;
    PIX *rgb = stamped_page();
    PIX *mapped = pixOctreeColorQuant(rgb, 128, 0);
    assert_non_null(mapped);
    assert_non_null(pixGetColormap(mapped));
    long red = 0;
    PIX *gray = dg_seal_gray(mapped, &red, NULL);
    assert_non_null(gray);
    assert_true(red > 5000);
    assert_true(gray_at(gray, 150, 60) > 200);
    pixDestroy(&gray);
    pixDestroy(&mapped);
    pixDestroy(&rgb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seal_is_lifted_to_paper_and_print_under_it_stays_black),
        cmocka_unit_test(test_red_ink_is_handed_out_alone),
        cmocka_unit_test(test_noisy_grey_print_has_no_red_ink),
        cmocka_unit_test(test_red_tinted_paper_is_left_as_it_is),
        cmocka_unit_test(test_grey_scan_is_left_as_it_is),
        cmocka_unit_test(test_palette_scan_with_red_is_colour),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
