/*
 * page.c — one page from image to text (dg_ocr_page, dg_ocr_page_in_record): the seal
 * lifted (seal.h), clean-up and orientation (cleanup.c, sample.c), the language chosen
 * (language.c), the page read (layout.c, recognise.c), the time each step took; and the
 * result's lifetime (dg_ocr_result_free; its words are freed by word_boxes.c).
 */
#include "ocr_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../seal.h"

/*
 * Clean-up and orientation: normalises a copy of base into *gray and finds the sample
 * lines. When the page reads neither upright nor upside down, asks OSD; when it is to be
 * turned, starts again from base turned. script gets OSD's script when it was asked.
 */
static dg_status prepare_page(dg_ocr *ocr, PIX *base, cleanup *c, PIX **gray, PIX **flat_ink,
                              page_sample *s, char *script, size_t script_size,
                              float *script_conf, dg_error *err)
{
    *gray = pixClone(base);
    PIX *ink = NULL;
    ocr_normalise(gray, &ink, flat_ink, c);
    ocr_sample_reset(s, *gray, ink, c);
    int upright;
    dg_status status = ocr_sample_upright(ocr, s, &upright, err);
    if (status != DG_OK || upright)
        return status;
    int upside_down = 0;
    status = ocr_sample_upside_down(ocr, s, &upside_down, err);
    if (status != DG_OK)
        return status;
    PIX *turned = upside_down ? pixRotateOrth(base, 2) : pixClone(base);
    if (!turned)
        return dg_error_set(err, DG_ERR_NOMEM, "OCR: cannot turn the page");
    if (upside_down)
        c->quads = 2;
    else
        status = ocr_orient(ocr, &turned, c, script, script_size, script_conf, err);
    if (status != DG_OK || c->quads == 0) {
        pixDestroy(&turned);
        return status;
    }
    pixDestroy(gray);
    *gray = turned;
    c->skew = 0;
    ocr_normalise(gray, &ink, flat_ink, c);
    ocr_sample_reset(s, *gray, ink, c);
    return DG_OK;
}

static dg_status read_page(dg_ocr *ocr, PIX *pix, const char *forced, const char *record_script,
                           const char *name, dg_ocr_result **out, dg_error *err)
{
    *out = NULL;
    cleanup c = {0};
    if (!pix || pixGetDimensions(pix, &c.width, &c.height, NULL) != 0 || c.width < 1 ||
        c.height < 1)
        return dg_error_set(err, DG_ERR_BAD_INPUT, "%s: no image to read", name);
    c.dpi = pixGetXRes(pix) >= 70 ? pixGetXRes(pix) : 300;
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    /* A red seal stamped over print is lifted off colour scans (seal.h). */
    long red_pixels = 0;
    PIX *red_ink = NULL;
    PIX *base = dg_seal_gray(pix, &red_pixels, &red_ink);
    if (!base)
        return dg_error_set(err, DG_ERR_BAD_INPUT, "%s: image depth %d cannot be read", name,
                            pixGetDepth(pix));
    dg_ocr_result *r = calloc(1, sizeof *r);
    page_sample *s = calloc(1, sizeof *s);
    if (!r || !s) {
        free(r);
        free(s);
        pixDestroy(&base);
        pixDestroy(&red_ink);
        return dg_error_set(err, DG_ERR_NOMEM, "OCR: out of memory");
    }
    s->probe_lang = forced && *forced ? forced : DG_OCR_LANG_SIMPLIFIED;
    char script[32] = "";
    float script_conf = 0;
    PIX *gray = NULL;
    PIX *flat_ink = NULL;
    dg_status status = prepare_page(ocr, base, &c, &gray, &flat_ink, s, script, sizeof script,
                                    &script_conf, err);
    r->rotation = c.quads * 90;
    r->skew = c.skew;
    /* The probe lines read for the orientation check are the choice's first sample. */
    double prepared = ocr_seconds_since(&start), probe = s->reading_seconds;
    r->seconds_cleanup = prepared - probe;
    const char *lang = forced;
    if (status == DG_OK && (!forced || !*forced))
        status = ocr_choose_language(ocr, s, record_script, script, script_conf, r, &lang, err);
    else if (status == DG_OK)
        snprintf(r->lang_reason, sizeof r->lang_reason, "forced");
    r->seconds_choice = ocr_seconds_since(&start) - prepared + probe;
    if (status == DG_OK)
        status = ocr_read_straightest(ocr, gray, s->ink, flat_ink,
                                      ocr_red_print(red_ink, red_pixels), &c, lang, name, r,
                                      err);
    r->seconds_recognition = ocr_seconds_since(&start) - r->seconds_cleanup - r->seconds_choice;
    boxaDestroy(&s->lines);
    pixDestroy(&s->ink);
    free(s);
    pixDestroy(&gray);
    pixDestroy(&flat_ink);
    pixDestroy(&base);
    pixDestroy(&red_ink);
    if (status != DG_OK) {
        dg_ocr_result_free(r);
        return status;
    }
    *out = r;
    return DG_OK;
}

dg_status dg_ocr_page(dg_ocr *ocr, struct Pix *pix, const char *lang, const char *name,
                      dg_ocr_result **out, dg_error *err)
{
    return read_page(ocr, pix, lang, NULL, name, out, err);
}

dg_status dg_ocr_page_in_record(dg_ocr *ocr, struct Pix *pix, const char *record_script,
                                const char *name, dg_ocr_result **out, dg_error *err)
{
    return read_page(ocr, pix, NULL, record_script, name, out, err);
}

void dg_ocr_result_free(dg_ocr_result *result)
{
    if (!result)
        return;
    free(result->text);
    dg_ocr_words_free(result->words, result->word_count);
    free(result);
}
