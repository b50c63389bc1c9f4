/*
 * layout.c — whether a skewed page is read as it lay or turned straight
 * (ocr_read_straightest): by its skew, and, where that leaves a doubt, by whose layout
 * strays less from the page's lines of ink.
 */
#include "ocr_internal.h"

#include <math.h>
#include <stdlib.h>

/* Skews (degrees) from which a page is read turned straight first, and from which only so
 * (see ocr_read_straightest()). */
#define READ_FLAT_BELOW 2.2f
#define READ_STRAIGHT_FROM 3.0f

/* Maps a point of the page before the deskew into the deskewed page (same size). */
static void to_deskewed(const cleanup *c, double x, double y, double *dx, double *dy)
{
    int tw = c->quads % 2 ? c->height : c->width;
    int th = c->quads % 2 ? c->width : c->height;
    double a = c->skew * M_PI / 180.0, cx = tw / 2.0, cy = th / 2.0;
    *dx = cx + (x - cx) * cos(a) - (y - cy) * sin(a);
    *dy = cy + (x - cx) * sin(a) + (y - cy) * cos(a);
}

/*
 * How far a layout's text lines (in the order of the text; flat says in the frame before
 * the deskew) stray from the page's lines of ink (bands, top to bottom, in the deskewed
 * frame): one fault for a line on no band (specks taken for text), for each step back up
 * the page, and for each band no line is centred on (a line lost, or run into the next).
 */
static int layout_faults(BOXA *lines, BOXA *bands, const cleanup *c, int flat)
{
    int n = lines ? boxaGetCount(lines) : 0, nb = bands ? boxaGetCount(bands) : 0;
    char *hit = calloc((size_t)nb + 1, 1);
    if (!hit)
        return 0;
    int faults = 0, last = -1;
    for (int i = 0; i < n; i++) {
        l_int32 x, y, w, h;
        if (boxaGetBoxGeometry(lines, i, &x, &y, &w, &h) != 0)
            continue;
        double cx = x + w / 2.0, cy = y + h / 2.0;
        if (flat)
            to_deskewed(c, cx, cy, &cx, &cy);
        int on = -1;
        for (int j = 0; j < nb && on < 0; j++) {
            l_int32 bx, by, bw, bh;
            if (boxaGetBoxGeometry(bands, j, &bx, &by, &bw, &bh) == 0 && cy >= by &&
                cy < by + bh)
                on = j;
        }
        if (on < 0 || on < last)
            faults++;
        if (on >= 0)
            last = on, hit[on] = 1;
    }
    for (int j = 0; j < nb; j++)
        faults += !hit[j];
    free(hit);
    return faults;
}

/*
 * Gives page to api and analyses its layout (which Recognize then uses); returns the
 * layout_faults of its text lines against bands, -1 when the layout failed.
 */
static int analyse_layout(TessBaseAPI *api, PIX *page, BOXA *bands, const cleanup *c, int flat)
{
    TessBaseAPISetPageSegMode(api, PSM_AUTO);
    TessBaseAPISetImage2(api, page);
    TessBaseAPISetSourceResolution(api, c->dpi);
    TessPageIterator *it = TessBaseAPIAnalyseLayout(api);
    if (!it)
        return -1;
    BOXA *lines = boxaCreate(16);
    do {
        int x0, y0, x1, y1;
        if (lines && TessPageIteratorBoundingBox(it, RIL_TEXTLINE, &x0, &y0, &x1, &y1))
            boxaAddBox(lines, boxCreate(x0, y0, x1 - x0, y1 - y0), L_INSERT);
    } while (TessPageIteratorNext(it, RIL_TEXTLINE));
    TessPageIteratorDelete(it);
    int faults = lines ? layout_faults(lines, bands, c, flat) : -1;
    boxaDestroy(&lines);
    return faults;
}

/*
 * Reads the page (gray, its text_ink ink, cleaned up as c says) into r. A page that was
 * deskewed is read either as it lay (flat) or turned straight, whichever suits it:
 *
 *   - Turning a page resamples every glyph, and below READ_FLAT_BELOW degrees Tesseract
 *     follows slanted lines itself: there the turned page read worse as often as better
 *     (bench/ingest's 42 pages, skewed up to 2.1 degrees: worse by 0.4-3.9 CER points on
 *     14, better by 0.4-20 on 13). Such a page is read as it lay, as Tesseract reads it.
 *   - From READ_FLAT_BELOW the turned page nearly always reads better (36 generated pages
 *     at 2.2-5 degrees: better on 29, by up to 53 points; worse on 5, by 0.4-6.7), and from
 *     READ_STRAIGHT_FROM it is the only reading: the layout of a page slanted so far can
 *     look sound while each line's image runs into its neighbours (a page at 3.6 degrees,
 *     read flat without a layout fault: CER 62% against 21% turned).
 *   - When the first choice's layout strays from the page's lines of ink (layout_faults:
 *     lines out of order, specks read as lines, lines lost or run together; seen: a page
 *     at 0.6 degrees split into two columns it does not have, CER 28% flat against 8%
 *     turned), the other image's layout is analysed too, and the one that strays less is
 *     read. That costs a layout analysis (a tenth of a reading) on such pages only, as
 *     Tesseract reads a page on the layout it last analysed.
 */
dg_status ocr_read_straightest(dg_ocr *ocr, PIX *gray, PIX *ink, PIX *flat_ink,
                               PIX *red_ink, const cleanup *c, const char *lang,
                               const char *name, dg_ocr_result *r, dg_error *err)
{
    TessBaseAPI *api;
    dg_status status = ocr_engine_get(ocr, lang, &api, err);
    if (status != DG_OK)
        return status;
    if (c->skew == 0 || !flat_ink) {
        analyse_layout(api, gray, NULL, c, 0);
        return ocr_recognise(ocr, api, gray, ink, red_ink, c, lang, name, r, err);
    }
    cleanup as_it_lay = *c;
    as_it_lay.skew = 0;
    int straight = fabsf(c->skew) >= READ_FLAT_BELOW;
    /* The page is turned (a resampling of the whole page, about 1% of its OCR time) only
     * when it may be read turned: from READ_FLAT_BELOW, or when its layout as it lay
     * strays from its lines of ink (below). */
    PIX *pages[2] = {gray, straight ? ocr_turned_straight(gray, c) : NULL},
        *inks[2] = {flat_ink, ink};
    const cleanup *ways[2] = {&as_it_lay, c};
    if (straight && !pages[1])
        return dg_error_set(err, DG_ERR_NOMEM, "OCR: cannot turn the page straight");
    if (fabsf(c->skew) >= READ_STRAIGHT_FROM) {
        analyse_layout(api, pages[1], NULL, c, 0);
    } else {
        BOXA *bands = ocr_ink_rows(ink);
        int faults = analyse_layout(api, pages[straight], bands, c, !straight);
        if (faults > 0 && !pages[1] && !(pages[1] = ocr_turned_straight(gray, c))) {
            boxaDestroy(&bands);
            return dg_error_set(err, DG_ERR_NOMEM, "OCR: cannot turn the page straight");
        }
        int other = faults > 0 ? analyse_layout(api, pages[!straight], bands, c, straight) : -1;
        if (other >= 0 && other < faults)
            straight = !straight; /* its layout is the one analysed last */
        else if (faults > 0)
            analyse_layout(api, pages[straight], NULL, c, !straight);
        boxaDestroy(&bands);
    }
    r->deskewed = straight;
    status = ocr_recognise(ocr, api, pages[straight], inks[straight], red_ink, ways[straight], lang,
                           name, r, err);
    pixDestroy(&pages[1]);
    return status;
}
