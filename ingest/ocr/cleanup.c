/*
 * cleanup.c — a page made fit to read: turned upright as OSD says (ocr_orient), background
 * normalised where the paper is uneven, its ink found and its skew measured
 * (ocr_normalise), and turned straight when it is to be read so (ocr_turned_straight).
 * Works on a copy: the stored page image is never touched. What clean-up did is kept in a
 * cleanup (ocr_internal.h), so word boxes can be mapped back to the original image.
 */
#include "ocr_internal.h"

#include <math.h>
#include <stdio.h>

/* OSD's orientation confidence below which a page is left as it is: turning a page that
 * was upright costs its whole text, so only a clear verdict turns it. */
#define MIN_ORIENTATION_CONF 1.0f

/* The paper's level in a tile is its UNEVEN_RANK brightest grey (text covers far less
 * than a quarter of a tile); levels differing by more than UNEVEN_BACKGROUND across the
 * page make it uneven (see background_is_uneven()). */
#define UNEVEN_RANK 0.75f
#define UNEVEN_BACKGROUND 24

/* On an uneven page whose darkest paper is still at least THRESHOLD_MARGIN grey levels
 * lighter than the page's global Otsu threshold, Sauvola's local thresholds (a window of
 * SAUVOLA_HALF_WIDTH pixels each side, factor SAUVOLA_FACTOR) binarise it instead of
 * background normalisation: see flatten_uneven(). */
#define THRESHOLD_MARGIN 24
#define SAUVOLA_HALF_WIDTH 25
#define SAUVOLA_FACTOR 0.35f

/* Leptonica's skew confidence from which a page is deskewed (see deskew()). */
#define MIN_SKEW_CONF 1.5f

/* Binarise before OCR (Sauvola, local thresholds) instead of handing Tesseract the
 * background-normalised grey image for its own global Otsu threshold. */
#ifndef DG_OCR_BINARIZE
#define DG_OCR_BINARIZE 0
#endif

/* Turns the page upright when OSD is confident; reports the script OSD saw. */
dg_status ocr_orient(dg_ocr *ocr, PIX **gray, cleanup *c, char *script, size_t script_size,
                     float *script_conf, dg_error *err)
{
    TessBaseAPI *osd;
    dg_status status = ocr_engine_get(ocr, "osd", &osd, err);
    if (status != DG_OK)
        return status;
    TessBaseAPISetImage2(osd, *gray);
    TessBaseAPISetSourceResolution(osd, c->dpi);
    int degrees = 0;
    float conf = 0;
    const char *name = NULL;
    script[0] = '\0';
    *script_conf = 0;
    /* OSD fails on pages with too little text; such a page is left as it is. */
    if (TessBaseAPIDetectOrientationScript(osd, &degrees, &conf, &name, script_conf)) {
        if (name)
            snprintf(script, script_size, "%s", name);
        if (degrees % 90 == 0 && degrees != 0 && conf >= MIN_ORIENTATION_CONF)
            c->quads = (4 - degrees / 90) % 4;
    }
    /* Despite capi.h's comment, Tesseract 5.3 hands back a pointer into the OSD model's own
     * script table, not a copy: freeing it corrupts the engine. */
    TessBaseAPIClear(osd);
    if (c->quads == 0)
        return DG_OK;
    PIX *turned = pixRotateOrth(*gray, c->quads);
    if (!turned)
        return dg_error_set(err, DG_ERR_NOMEM, "OCR: cannot turn the page");
    pixDestroy(gray);
    *gray = turned;
    return DG_OK;
}

/* Replaces *pix by next when next is a new image; keeps *pix when a step fails. */
void ocr_replace_pix(PIX **pix, PIX *next)
{
    if (next && next != *pix) {
        pixDestroy(pix);
        *pix = next;
    } else if (next) {
        pixDestroy(&next); /* a clone of *pix */
    }
}

/*
 * The ink of gray as a binary image without the specks of scanner noise (components that
 * fit in 2x2 pixels): on a noisy scan they put ink on every row and hide the gaps between
 * text lines.
 */
static PIX *text_ink(PIX *gray)
{
    /* Otsu's threshold for the whole page: the ink of a light or blurred print on an
     * unnormalised page is often lighter than a fixed threshold. */
    PIX *binary = NULL;
    if (pixGetDepth(gray) != 8 ||
        pixOtsuAdaptiveThreshold(gray, (l_int32)pixGetWidth(gray), (l_int32)pixGetHeight(gray),
                                 0, 0, 0.1f, NULL, &binary) != 0)
        binary = pixConvertTo1(gray, 130);
    if (!binary)
        return NULL;
    PIX *clean = pixSelectBySize(binary, 3, 3, 8, L_SELECT_IF_EITHER, L_SELECT_IF_GTE, NULL);
    if (!clean)
        return binary;
    pixDestroy(&binary);
    return clean;
}

/*
 * Measures the skew of the page on its ink (the binary text_ink of the page) and, when
 * there is one, sets c->skew and turns the ink straight; *flat_ink gets the ink as it lay.
 * The page itself stays as it lay: ocr_read_straightest() turns it only when it reads the page
 * straight, and sample_crop() turns only the sample lines. Leptonica's own pixDeskew()
 * only acts at a skew confidence of 3 or more, which dense Chinese text rarely reaches (the
 * fixtures measure about 2.4 for a clear 1.2 degree skew, noisy generated pages 1.8-2.0 for
 * a 1.6-1.8 degree skew that it measures to within 0.1 degree), so the threshold here is
 * 1.5. An uncorrected skew of 1.5 degrees runs the lines of a page into each other in the
 * row projection that finds the sample lines.
 */
static void deskew(PIX **ink, PIX **flat_ink, cleanup *c)
{
    l_float32 angle = 0, conf = 0;
    if (pixFindSkew(*ink, &angle, &conf) != 0 || conf < MIN_SKEW_CONF || fabsf(angle) < 0.1f)
        return;
    /* The ink turns by shear, in a millisecond, where finding it again on a turned page
     * (Otsu and the speck filter) took 15 ms of a page's 50 ms of clean-up; the row
     * projection that finds lines does not see the difference. */
    PIX *straight_ink = pixRotateShearCenter(*ink, (l_float32)(angle * M_PI / 180.0),
                                             L_BRING_IN_WHITE);
    if (!straight_ink)
        return;
    *flat_ink = *ink;
    *ink = straight_ink;
    c->skew = angle;
}

/*
 * 1 when the paper's brightness varies across the page (a shadow by the spine, a yellowed
 * corner, uneven lighting): the bright level (UNEVEN_RANK) of each of 4x4 tiles differs by
 * more than UNEVEN_BACKGROUND grey levels. Only such a page is flattened (flatten_uneven):
 * there it is essential (on pages under a dark gradient CER fell from 48-84% to 1-12%),
 * while on an even page it cost accuracy (68 generated pages: mean CER 10.7% normalised,
 * 9.5% not) and 50-80 ms. *darkest gets the darkest tile's paper level.
 */
static int background_is_uneven(PIX *gray, float *darkest_paper)
{
    int w = (int)pixGetWidth(gray), h = (int)pixGetHeight(gray);
    if (w < 16 || h < 16)
        return 0;
    float darkest = 255, brightest = 0;
    for (int ty = 0; ty < 4; ty++)
        for (int tx = 0; tx < 4; tx++) {
            BOX *box = boxCreate(tx * w / 4, ty * h / 4, w / 4, h / 4);
            PIX *tile = box ? pixClipRectangle(gray, box, NULL) : NULL;
            l_float32 level = 0;
            int ok = tile && pixGetRankValueMasked(tile, NULL, 0, 0, 4, UNEVEN_RANK, &level,
                                                   NULL) == 0;
            boxDestroy(&box);
            pixDestroy(&tile);
            if (!ok)
                return 1; /* when in doubt, normalise (*darkest_paper stays 0) */
            darkest = fminf(darkest, level);
            brightest = fmaxf(brightest, level);
        }
    *darkest_paper = darkest;
    return brightest - darkest > UNEVEN_BACKGROUND;
}

/*
 * gray with its paper brought to one level (Leptonica's background normalisation, to
 * PAPER_LEVEL), its grey kept. The paper under the print is estimated by a grey closing
 * (the lightest level within PAPER_CLOSING pixels at 1/PAPER_REDUCTION scale, about 60
 * pixels: wider than a stroke), not by the mean of each tile's pixels lighter than a fixed
 * threshold, as pixBackgroundNormSimple does. Under a shadow that threshold keeps the
 * dimmed edges of strokes as paper in tiles dense with text, which is the likely reason
 * that estimate read worse. On the 14 uneven pages of the tuning sets (seeds 4242, 7, 13,
 * 101, 202, 303, 404) whose paper is too dark for Sauvola (below), mean CER 8.65% ->
 * 7.53%: better on 10, the same on 3, worse on 1 (303's p041, 8.45% -> 9.12%, against the
 * best single language's 15.88%).
 */
#define PAPER_REDUCTION 4
#define PAPER_CLOSING 15
#define PAPER_LEVEL 200

static PIX *paper_levelled(PIX *gray)
{
    return pixBackgroundNormMorph(gray, NULL, PAPER_REDUCTION, PAPER_CLOSING, PAPER_LEVEL);
}

/*
 * An uneven page (background_is_uneven) made even, in one of two ways by how far its
 * darkest paper (darkest_paper) lies from the page's global Otsu threshold, the threshold
 * Tesseract itself would binarise it with:
 *
 *   - paper darker than that threshold, or close to it (within THRESHOLD_MARGIN): a global
 *     threshold would make ink of the shadowed paper. The paper is brought to one level
 *     first (paper_levelled).
 *   - paper still clearly lighter: the shadow only dims it, and background normalisation,
 *     which estimates the paper under the print from tiles and divides by it, put small
 *     print out of shape (on the tuning sets, bench/make-ocr-pages.py seeds 4242, 7 and
 *     13, three such pages read 2.2-4.2 CER points worse than `tesseract -l` on the page as
 *     it came). Sauvola's local thresholds binarise it (pixSauvolaBinarizeTiled): on the
 *     9 pages of those sets whose text it changed, mean CER 6.5% against 9.4% normalised,
 *     better on 7, worse on 2 English pages (by 0.2 and 1.5 points, both still far better
 *     than the best single language's `tesseract -l`).
 *
 * Keeps *gray when a step fails.
 */
static void flatten_uneven(PIX **gray, float darkest_paper)
{
    int w = (int)pixGetWidth(*gray), h = (int)pixGetHeight(*gray);
    PIX *threshold = NULL;
    l_uint32 global = 255;
    if (darkest_paper > 0 &&
        pixOtsuAdaptiveThreshold(*gray, w, h, 0, 0, 0.1f, &threshold, NULL) == 0)
        pixGetPixel(threshold, 0, 0, &global);
    pixDestroy(&threshold);
    PIX *binary = NULL;
    /* In tiles of about a megapixel: the sums behind local thresholds take 16 bytes a pixel
     * of the tile (Leptonica overlaps tiles, so their thresholds are those of one piece). */
    int nx = w / 1024 > 1 ? w / 1024 : 1, ny = h / 1024 > 1 ? h / 1024 : 1;
    if (darkest_paper >= (float)global + THRESHOLD_MARGIN &&
        pixSauvolaBinarizeTiled(*gray, SAUVOLA_HALF_WIDTH, SAUVOLA_FACTOR, nx, ny, NULL,
                                &binary) == 0) {
        /* Tesseract and the line finding take it as grey, ink black on white. */
        ocr_replace_pix(gray, pixConvert1To8(NULL, binary, 255, 0));
        pixDestroy(&binary);
        return;
    }
    ocr_replace_pix(gray, paper_levelled(*gray));
}

/*
 * Background and contrast normalisation where needed, skew (deskew) and (optionally)
 * binarisation. *ink gets the text ink of the result (text_ink), turned straight, for
 * finding its lines, or NULL; *flat_ink the ink as it lay when it was turned, else NULL.
 */
void ocr_normalise(PIX **gray, PIX **ink, PIX **flat_ink, cleanup *c)
{
    pixDestroy(flat_ink);
    float darkest_paper = 0;
    if (pixGetDepth(*gray) == 8 && background_is_uneven(*gray, &darkest_paper))
        flatten_uneven(gray, darkest_paper);
    *ink = text_ink(*gray);
    if (*ink)
        deskew(ink, flat_ink, c);
#if DG_OCR_BINARIZE
    if (pixGetDepth(*gray) == 8) {
        PIX *binary = NULL;
        if (pixSauvolaBinarize(*gray, 25, 0.35f, 1, NULL, NULL, NULL, &binary) == 0)
            ocr_replace_pix(gray, binary);
    }
#endif
}

/* The page as it lay (gray, cleaned up as c says) turned straight by the deskew's angle;
 * NULL when memory ran out. */
PIX *ocr_turned_straight(PIX *gray, const cleanup *c)
{
    return pixRotate(gray, (l_float32)(c->skew * M_PI / 180.0), L_ROTATE_AREA_MAP,
                     L_BRING_IN_WHITE, 0, 0);
}
