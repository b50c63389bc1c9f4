/*
 * sample.c — the page's sample: its widest text lines read one by one (a single-line read
 * of a crop turned straight) with the probe model, to tell whether the page is upright or
 * upside down before anything else is spent on it, and as the first evidence of its
 * language (language.c).
 */
#include "ocr_internal.h"

#include <math.h>
#include <string.h>

#include "../../base/chars.h"
#include "../../base/utf8.h"

/* A page is upright when one of its first UPRIGHT_PROBE_LINES lines reads with at least
 * this confidence (upright lines read at 75-95, upside-down ones below 50). */
#define UPRIGHT_PROBE_LINES 2
#define UPRIGHT_MIN_CONF 60

/* Adds a character the model read to line, counted as Han or as a letter. */
void ocr_line_add_symbol(line_read *line, const char *text, float confidence)
{
    size_t n = strlen(text);
    if (n == 0 || n >= sizeof line->symbols[0].text || line->count == MAX_LINE_SYMBOLS)
        return;
    uint32_t cp;
    dg_utf8_next(text, n, &cp);
    line->han += dg_is_han(cp);
    line->latin += cp < 0x80 && ocr_is_word_letter(cp);
    symbol *s = &line->symbols[line->count++];
    memcpy(s->text, text, n + 1);
    s->confidence = confidence;
}

/*
 * The sample line at box (in the frame of the straightened ink) with ocr_line_crop's margin:
 * the part of the page as it lay that turns into that rectangle is cut out and turned
 * straight on its own, which costs a fraction of the 20 ms that turning a whole page does
 * (and the page itself is mostly read as it lay, see ocr_read_straightest). NULL when memory
 * ran out.
 */
static PIX *sample_crop(const page_sample *s, BOX *box)
{
    int left, top;
    if (s->skew == 0)
        return ocr_line_crop(s->page, box, &left, &top);
    l_int32 x, y, w, h;
    if (boxGetGeometry(box, &x, &y, &w, &h) != 0)
        return NULL;
    int pad = h / 3;
    double want[4] = {x - pad, y - pad, x + w + pad, y + h + pad}; /* x0 y0 x1 y1 */
    /* The page's centre, about which the deskew turns it; the corners of the wanted
     * rectangle turned back onto the page as it lay, and the box around them. */
    double a = s->skew * M_PI / 180.0, cx = pixGetWidth(s->page) / 2.0,
           cy = pixGetHeight(s->page) / 2.0;
    double x0 = INFINITY, y0 = INFINITY, x1 = -INFINITY, y1 = -INFINITY;
    for (int k = 0; k < 4; k++) {
        double qx = want[k % 2 ? 2 : 0] - cx, qy = want[k < 2 ? 1 : 3] - cy;
        double px = cx + qx * cos(-a) - qy * sin(-a), py = cy + qx * sin(-a) + qy * cos(-a);
        x0 = fmin(x0, px), y0 = fmin(y0, py), x1 = fmax(x1, px), y1 = fmax(y1, py);
    }
    BOX *around = boxCreate((int)floor(x0) - 2, (int)floor(y0) - 2, (int)ceil(x1 - x0) + 5,
                            (int)ceil(y1 - y0) + 5);
    BOX *clipped = NULL; /* around, as far as it lies on the page */
    PIX *part = around ? pixClipRectangle(s->page, around, &clipped) : NULL;
    boxDestroy(&around);
    l_int32 bx, by, bw, bh;
    if (!part || boxGetGeometry(clipped, &bx, &by, &bw, &bh) != 0) {
        pixDestroy(&part);
        boxDestroy(&clipped);
        return NULL;
    }
    boxDestroy(&clipped);
    PIX *turned = pixRotate(part, (l_float32)a, L_ROTATE_AREA_MAP, L_BRING_IN_WHITE, 0, 0);
    pixDestroy(&part);
    if (!turned)
        return NULL;
    /* Turning the part about its own centre (ux, uy) instead of the page's puts every point
     * off by t = (c - u) - R(c - u) from where the page's turn puts it. */
    double ux = bx + bw / 2.0, uy = by + bh / 2.0, dx = cx - ux, dy = cy - uy;
    double tx = dx - (dx * cos(a) - dy * sin(a)), ty = dy - (dx * sin(a) + dy * cos(a));
    BOX *line = boxCreate((int)lround(want[0] - tx - bx), (int)lround(want[1] - ty - by),
                          w + 2 * pad, h + 2 * pad);
    PIX *crop = line ? pixClipRectangle(turned, line, NULL) : NULL;
    boxDestroy(&line);
    pixDestroy(&turned);
    return crop;
}

int ocr_read_line_symbols(TessBaseAPI *api, PIX *crop, int dpi, line_read *out)
{
    TessBaseAPISetPageSegMode(api, PSM_SINGLE_LINE);
    TessBaseAPISetImage2(api, crop);
    TessBaseAPISetSourceResolution(api, dpi);
    if (TessBaseAPIRecognize(api, NULL) != 0)
        return 0;
    out->confidence = TessBaseAPIMeanTextConf(api);
    TessResultIterator *it = TessBaseAPIGetIterator(api);
    if (it) {
        do {
            char *text = TessResultIteratorGetUTF8Text(it, RIL_SYMBOL);
            if (!text)
                continue;
            ocr_line_add_symbol(out, text, TessResultIteratorConfidence(it, RIL_SYMBOL));
            TessDeleteText(text);
        } while (TessResultIteratorNext(it, RIL_SYMBOL));
        TessResultIteratorDelete(it);
    }
    return 1;
}

void ocr_end_line_read(TessBaseAPI *api)
{
    TessBaseAPIClear(api);
    TessBaseAPISetPageSegMode(api, PSM_AUTO);
}

/* Reads the sample line at box of s with api (a single-line read of a cropped image),
 * turned upside down when upside_down is set. */
void ocr_read_line(TessBaseAPI *api, const page_sample *s, BOX *box, int upside_down,
                   line_read *out)
{
    memset(out, 0, sizeof *out);
    PIX *crop = sample_crop(s, box);
    if (crop && upside_down)
        ocr_replace_pix(&crop, pixRotate180(NULL, crop));
    if (!crop)
        return;
    ocr_read_line_symbols(api, crop, s->dpi, out);
    ocr_end_line_read(api);
    pixDestroy(&crop);
}

double ocr_seconds_since(const struct timespec *start)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

/* Starts the sample of page over; it takes ink (the page's text_ink). */
void ocr_sample_reset(page_sample *s, PIX *page, PIX *ink, const cleanup *c)
{
    boxaDestroy(&s->lines);
    pixDestroy(&s->ink);
    s->page = page;
    s->ink = ink;
    s->dpi = c->dpi;
    s->skew = c->skew;
    s->lines = ocr_find_text_lines(ink, MAX_SAMPLE_LINES);
    s->count = s->lines ? boxaGetCount(s->lines) : 0;
    s->first_read = 0;
}

/* Makes sure lines 0..upto-1 (as far as there are lines) are read with the probe model. */
dg_status ocr_sample_read_first(dg_ocr *ocr, page_sample *s, int upto, dg_error *err)
{
    if (upto > s->count)
        upto = s->count;
    if (s->first_read >= upto)
        return DG_OK;
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    TessBaseAPI *api;
    dg_status status = ocr_engine_get(ocr, s->probe_lang, &api, err);
    for (; status == DG_OK && s->first_read < upto; s->first_read++) {
        BOX *box = boxaGetBox(s->lines, s->first_read, L_CLONE);
        ocr_read_line(api, s, box, 0, &s->first[s->first_read]);
        boxDestroy(&box);
    }
    s->reading_seconds += ocr_seconds_since(&start);
    return status;
}

/*
 * 1 when the page reads as text the right way up: one of its first lines reads with
 * confidence. An upside-down or sideways page reads as noise (or has no lines at all),
 * and only then is Tesseract's orientation detection asked, which costs as much as reading
 * the page.
 */
dg_status ocr_sample_upright(dg_ocr *ocr, page_sample *s, int *upright, dg_error *err)
{
    *upright = 0;
    for (int i = 0; i < UPRIGHT_PROBE_LINES && i < s->count && !*upright; i++) {
        dg_status status = ocr_sample_read_first(ocr, s, i + 1, err);
        if (status != DG_OK)
            return status;
        *upright = s->first[i].confidence >= UPRIGHT_MIN_CONF && s->first[i].count > 0;
    }
    return DG_OK;
}

/*
 * 1 when the page reads as text upside down: one of the first lines that did not read
 * upright (ocr_sample_upright) reads with confidence turned by 180 degrees. A sheet fed into
 * the scanner the wrong way round is the common case of a page not upright, and reading a
 * line costs a tenth of Tesseract's orientation detection (OSD), which pages turned by 90
 * degrees (they have no lines) and pages read with low confidence either way still need.
 */
dg_status ocr_sample_upside_down(dg_ocr *ocr, page_sample *s, int *upside_down,
                                 dg_error *err)
{
    *upside_down = 0;
    TessBaseAPI *api;
    dg_status status = ocr_engine_get(ocr, s->probe_lang, &api, err);
    for (int i = 0; status == DG_OK && i < UPRIGHT_PROBE_LINES && i < s->count && !*upside_down;
         i++) {
        BOX *box = boxaGetBox(s->lines, i, L_CLONE);
        ocr_read_line(api, s, box, 1, &s->other);
        boxDestroy(&box);
        *upside_down = s->other.confidence >= UPRIGHT_MIN_CONF && s->other.count > 0;
    }
    return status;
}

/* Layout lines lower than this many pixels are specks; narrower than high, no line. */
#define MIN_LAYOUT_LINE_HEIGHT 8

/*
 * Sample lines from Tesseract's layout analysis, for a page whose row projection found none
 * (s->count 0): a page of a few short lines (a single character on its own row once hid
 * every line, see select_lines in lines.c), a table, text in blocks side by side. The layout
 * is analysed on the page's ink turned straight, the frame the sample's lines are in, with
 * the probe model's engine: a tenth of a page's reading, spent on such pages only. The
 * lines are kept widest first, as the projection's are; s->count stays 0 when there are
 * none.
 */
dg_status ocr_sample_lines_from_layout(dg_ocr *ocr, page_sample *s, dg_error *err)
{
    if (s->count > 0 || !s->ink)
        return DG_OK;
    TessBaseAPI *api;
    dg_status status = ocr_engine_get(ocr, s->probe_lang, &api, err);
    if (status != DG_OK)
        return status;
    TessBaseAPISetPageSegMode(api, PSM_AUTO);
    TessBaseAPISetImage2(api, s->ink);
    TessBaseAPISetSourceResolution(api, s->dpi);
    TessPageIterator *it = TessBaseAPIAnalyseLayout(api);
    BOXA *found = it ? boxaCreate(16) : NULL;
    if (it) {
        do {
            int x0, y0, x1, y1;
            if (found && TessPageIteratorBoundingBox(it, RIL_TEXTLINE, &x0, &y0, &x1, &y1) &&
                y1 - y0 >= MIN_LAYOUT_LINE_HEIGHT && x1 - x0 >= y1 - y0)
                boxaAddBox(found, boxCreate(x0, y0, x1 - x0, y1 - y0), L_INSERT);
        } while (TessPageIteratorNext(it, RIL_TEXTLINE));
        TessPageIteratorDelete(it);
    }
    ocr_end_line_read(api);
    BOXA *sorted = found && boxaGetCount(found) > 0
                       ? boxaSort(found, L_SORT_BY_WIDTH, L_SORT_DECREASING, NULL)
                       : NULL;
    boxaDestroy(&found);
    if (sorted && boxaGetCount(sorted) > MAX_SAMPLE_LINES) {
        BOXA *first = boxaSelectRange(sorted, 0, MAX_SAMPLE_LINES - 1, L_COPY);
        boxaDestroy(&sorted);
        sorted = first;
    }
    boxaDestroy(&s->lines);
    s->lines = sorted;
    s->count = sorted ? boxaGetCount(sorted) : 0;
    s->first_read = 0;
    return DG_OK;
}
