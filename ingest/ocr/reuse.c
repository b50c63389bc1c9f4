/*
 * reuse.c — the sample lines the chosen model has read already, not read a second time by
 * the page's reading (issue 21: the sample's lines were a fifth of OCR's CPU, and the
 * chosen model's readings of them were thrown away). Tesseract's C API reads a page whole,
 * on the layout it analyses, so the only way to leave a line out is to leave it off the
 * image: the rows of each such line are whitened (ocr_reuse_hide) and the sample's reading
 * of it, text and words, goes into the page's text where its height puts it, as a lost
 * line's does (ocr_reuse_put_back).
 *
 * This is not exact: a sample line is read from its own crop, turned straight and
 * thresholded on its own, in Tesseract's single-line mode, so its text may differ from what
 * the page's reading made of the same line; bench/ocr-cer measures it per page (README,
 * Ingest, session 13).
 */
#include "ocr_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A sample line is reused only when its reading's mean confidence is at least
 * REUSE_MIN_CONF: a crop whose reading is unsure (a band of two lines run together, a
 * line in pieces) is left to the page's layout. */
#define REUSE_MIN_CONF 70

/*
 * The rows a line of ink occupies, top..end-1, widened into the blank rows around it up to
 * the middle of the gap to the next ink (rows: the ink per row of the straightened ink,
 * floor the level from which a row holds ink), and by at most a line's height where no
 * ink follows: the light edges of its glyphs go with it, its neighbours' stay.
 */
static void line_rows(NUMA *rows, double floor, int y, int h, int *top, int *end)
{
    int height = numaGetCount(rows);
    l_float32 v = 0;
    int up = y;
    while (up > 0 && y - up < 2 * h && numaGetFValue(rows, up - 1, &v) == 0 && v < floor)
        up--;
    *top = up > 0 && y - up < 2 * h ? (up + y) / 2 : (y - h > 0 ? y - h : 0);
    int down = y + h;
    while (down < height && down - (y + h) < 2 * h && numaGetFValue(rows, down, &v) == 0 &&
           v < floor)
        down++;
    *end = down < height && down - (y + h) < 2 * h ? (down + y + h + 1) / 2
                                                  : (y + 2 * h < height ? y + 2 * h : height);
}

/* The mask of u's lines on ink (the straightened ink): their rows, the page's full width. */
static PIX *lines_mask(const reused_lines *u, PIX *ink)
{
    NUMA *rows = pixCountPixelsByRow(ink, NULL);
    PIX *mask = rows ? pixCreate((int)pixGetWidth(ink), (int)pixGetHeight(ink), 1) : NULL;
    if (!mask) {
        numaDestroy(&rows);
        return NULL;
    }
    double floor = ocr_ink_row_floor(rows);
    for (int i = 0; i < u->count; i++) {
        l_int32 x, y, w, h;
        int top, end;
        if (boxGetGeometry(u->boxes[i], &x, &y, &w, &h) != 0)
            continue;
        line_rows(rows, floor, y, h, &top, &end);
        pixRasterop(mask, 0, top, (int)pixGetWidth(mask), end - top, PIX_SET, NULL, 0, 0);
    }
    numaDestroy(&rows);
    return mask;
}

void ocr_reuse_take(page_sample *s, const char *lang, reused_lines *u)
{
    memset(u, 0, sizeof *u);
    dg_ocr_result **kept = strcmp(lang, s->probe_lang) == 0              ? s->kept_first
                           : strcmp(lang, DG_OCR_LANG_TRADITIONAL) == 0 ? s->kept_tra
                                                                         : NULL;
    if (!kept || !s->ink)
        return;
    for (int i = 0; i < s->count && i < MAX_SAMPLE_LINES; i++) {
        if (!kept[i] || kept[i]->confidence < REUSE_MIN_CONF)
            continue;
        u->boxes[u->count] = boxaGetBox(s->lines, i, L_COPY);
        if (!u->boxes[u->count])
            continue;
        u->reads[u->count++] = kept[i];
        kept[i] = NULL;
    }
    if (u->count == 0)
        return;
    /* Painted over with the paper's own grey, not white: the page's histogram, from which
     * Tesseract takes its global threshold, then keeps its paper level, and the other
     * lines are cut as before. */
    l_float32 median = 255;
    if (pixGetDepth(s->page) == 8)
        pixGetRankValueMasked(s->page, NULL, 0, 0, 2, 0.5f, &median, NULL);
    u->paper = (int)lroundf(median);
    u->skew = s->skew;
    u->width = (int)pixGetWidth(s->ink);
    u->height = (int)pixGetHeight(s->ink);
    u->mask = lines_mask(u, s->ink);
    /* The ink was turned straight by shear about its centre (cleanup.c's deskew); the
     * page as it lay is the other way round. */
    if (u->mask && s->skew != 0)
        u->flat_mask = pixRotateShearCenter(u->mask, (l_float32)(-s->skew * M_PI / 180.0),
                                            L_BRING_IN_WHITE);
    if (!u->mask || (s->skew != 0 && !u->flat_mask))
        ocr_reuse_free(u);
}

void ocr_reuse_hide(reused_lines *u, int flat, PIX **pix)
{
    PIX *mask = flat && u->flat_mask ? u->flat_mask : u->mask;
    if (u->count == 0 || !mask || !*pix)
        return;
    int depth = pixGetDepth(*pix);
    PIX *hidden = NULL;
    if (pixGetWidth(*pix) == pixGetWidth(mask) && pixGetHeight(*pix) == pixGetHeight(mask)) {
        if (depth == 8 && (hidden = pixCopy(NULL, *pix)) && pixSetMasked(hidden, mask, (l_uint32)u->paper) != 0)
            pixDestroy(&hidden);
        else if (depth == 1)
            hidden = pixSubtract(NULL, *pix, mask);
    }
    if (!hidden) {
        ocr_reuse_free(u);
        return;
    }
    pixDestroy(pix);
    *pix = hidden;
}

/* The centre of u's line i in the frame of the page read (flat: as it lay). */
static void line_centre(const reused_lines *u, int i, int flat, double *cx, double *cy)
{
    l_int32 x, y, w, h;
    boxGetGeometry(u->boxes[i], &x, &y, &w, &h);
    double px = x + w / 2.0, py = y + h / 2.0;
    if (!flat || u->skew == 0) {
        *cx = px, *cy = py;
        return;
    }
    double a = -u->skew * M_PI / 180.0, ox = u->width / 2.0, oy = u->height / 2.0;
    *cx = ox + (px - ox) * cos(a) - (py - oy) * sin(a);
    *cy = oy + (px - ox) * sin(a) + (py - oy) * cos(a);
}

/* Appends the words of read to r (copies). */
static dg_status add_words(const dg_ocr_result *read, dg_ocr_result *r, dg_error *err)
{
    if (read->word_count == 0)
        return DG_OK;
    dg_ocr_word *grown = realloc(r->words, (r->word_count + read->word_count) * sizeof *grown);
    if (!grown)
        return dg_error_set(err, DG_ERR_NOMEM, "OCR: out of memory");
    r->words = grown;
    for (size_t i = 0; i < read->word_count; i++) {
        dg_ocr_word w = read->words[i];
        if (!(w.text = strdup(w.text)))
            return dg_error_set(err, DG_ERR_NOMEM, "OCR: out of memory");
        r->words[r->word_count++] = w;
    }
    return DG_OK;
}

dg_status ocr_reuse_put_back(const reused_lines *u, int flat, BOXA *recognised,
                             dg_ocr_result *r, dg_error *err)
{
    /* Top to bottom, so each line counts those put back above it. */
    int order[MAX_SAMPLE_LINES];
    double ys[MAX_SAMPLE_LINES];
    for (int i = 0; i < u->count; i++) {
        double cx;
        line_centre(u, i, flat, &cx, &ys[i]);
        int at = i;
        while (at > 0 && ys[order[at - 1]] > ys[i]) {
            order[at] = order[at - 1];
            at--;
        }
        order[at] = i;
    }
    size_t page_words = r->word_count;
    long confidence_sum = (long)r->confidence * (long)page_words;
    dg_status status = DG_OK;
    for (int k = 0; k < u->count && status == DG_OK; k++) {
        int i = order[k];
        l_int32 x, y, w, h;
        double cx, cy;
        boxGetGeometry(u->boxes[i], &x, &y, &w, &h);
        line_centre(u, i, flat, &cx, &cy);
        BOX *here = boxCreate((int)lround(cx - w / 2.0), (int)lround(cy - h / 2.0), w, h);
        if (!here)
            return dg_error_set(err, DG_ERR_NOMEM, "OCR: out of memory");
        status = ocr_insert_line(&r->text, ocr_lines_above(recognised, here), u->reads[i]->text,
                                 err);
        if (status == DG_OK)
            status = add_words(u->reads[i], r, err);
        if (recognised)
            boxaAddBox(recognised, here, L_INSERT);
        else
            boxDestroy(&here);
        for (size_t j = 0; j < u->reads[i]->word_count; j++)
            confidence_sum += u->reads[i]->words[j].confidence;
    }
    if (status == DG_OK && r->word_count > 0)
        r->confidence = (int)(confidence_sum / (long)r->word_count);
    return status;
}

void ocr_reuse_free(reused_lines *u)
{
    for (int i = 0; i < u->count; i++) {
        boxDestroy(&u->boxes[i]);
        dg_ocr_result_free(u->reads[i]);
    }
    pixDestroy(&u->mask);
    pixDestroy(&u->flat_mask);
    memset(u, 0, sizeof *u);
}
