/*
 * ocr.c — page clean-up, language choice and recognition with Tesseract (see ocr.h).
 *
 * A dg_ocr keeps a few Tesseract engines, one per language string it has needed (OSD and
 * the single models), because loading a model costs far more than switching between loaded
 * ones. It also keeps the OpenCC converters used to pair simplified with traditional
 * characters.
 */
#include "ocr.h"
#include "seal.h"

#include "../base/chars.h"
#include "../base/utf8.h"

#include <dlfcn.h>
#include <leptonica/allheaders.h>
#include <math.h>
#include <opencc/opencc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tesseract/capi.h>
#include <time.h>

/* Engines kept loaded at once: osd, three single models, one forced string, and a spare:
 * the choice holds two engines at once, which the least-recently-used eviction must not
 * drop while they are in use. */
#define MAX_ENGINES 6

/* OSD's orientation confidence below which a page is left as it is: turning a page that
 * was upright costs its whole text, so only a clear verdict turns it. */
#define MIN_ORIENTATION_CONF 1.0f

/* The paper's level in a tile is its UNEVEN_RANK brightest grey (text covers far less
 * than a quarter of a tile); levels differing by more than UNEVEN_BACKGROUND across the
 * page make it uneven (see background_is_uneven()). */
#define UNEVEN_RANK 0.75f
#define UNEVEN_BACKGROUND 24

/* Leptonica's skew confidence from which a page is deskewed (see deskew()). */
#define MIN_SKEW_CONF 1.5f
/* Skews (degrees) from which a page is read turned straight first, and from which only so
 * (see read_straightest()). */
#define READ_FLAT_BELOW 2.2f
#define READ_STRAIGHT_FROM 3.0f

/* OSD's script confidence above which "Latin" is believed for a page without lines. */
#define MIN_SCRIPT_CONF 1.0f

/* Text lines: rows with less ink than this share of the fullest row are background; lines
 * lower than MIN_LINE_HEIGHT pixels are specks or rules. */
#define INK_ROW_SHARE 0.03
#define MIN_LINE_HEIGHT 8

/* Lost lines (recover_lost_lines): an ink band no recognised line covers is read on its own
 * when its ink is at least MIN_LOST_LINE_POINTS high (small print) with ink
 * darker than LOST_LINE_INK_THRESHOLD, and kept when it reads with at least
 * MIN_LOST_LINE_CONF. A page has at most MAX_PAGE_LINES lines. */
#define MIN_LOST_LINE_POINTS 5
#define LOST_LINE_INK_THRESHOLD 128
#define MIN_LOST_LINE_CONF 50
#define MAX_PAGE_LINES 1000

/* Red print (read_red_lines): a page with at least MIN_RED_PIXELS of red ink has its red
 * lines of text read on their own; a red band is a line of text when it is
 * MIN_RED_LINE_POINTS to MAX_RED_LINE_POINTS high (a date stamp's small print up to a 红头
 * header's 二号 characters, about 22 pt, with room for descenders) and clearly wider than
 * high; a seal, round or square and 1.5 inches across, is neither. */
#define MIN_RED_PIXELS 500
#define MIN_RED_LINE_POINTS 6
#define MAX_RED_LINE_POINTS 40

/* Between two words of a line, a gap wider than WIDE_GAP_HEIGHTS times the line's height is
 * a space on the paper (table cells, a form's label and its entry, a signature set apart)
 * and stays a space even between Chinese characters, whose own spacing is a fifth of a
 * character or less. Tesseract's boxes of single Chinese characters are rough (a 组 came
 * back 7 pixels wide on a 52-pixel line), so the margin is wide: at 0.8 line heights two
 * body lines of a generated notice got false spaces; at 2.0, 2 places in 42 bench pages,
 * all on pages read with many errors. */
#define WIDE_GAP_HEIGHTS 2.0

/* The sample: at most this many of the widest lines, and characters per line. */
#define MAX_SAMPLE_LINES 6
#define MAX_LINE_SYMBOLS 160

/* A page is upright when one of its first UPRIGHT_PROBE_LINES lines reads with at least
 * this confidence (upright lines read at 75-95, upside-down ones below 50). */
#define UPRIGHT_PROBE_LINES 2
#define UPRIGHT_MIN_CONF 60

/* Letters the sample needs before it calls a page English; Han characters its first line
 * needs to make the page Chinese without a second line (an English page reads as letters
 * with chi_sim, with a stray Han character or two). */
#define MIN_ENGLISH_LETTERS 12
#define MIN_HAN_FIRST_LINE 10

/*
 * Simplified against traditional (see compare_line): both models read lines until at least
 * MIN_COMPARED_LINES lines and ENOUGH_PAIRS script-specific characters are compared and
 * the score is clear of the unsure band, or MAX_SAMPLE_LINES lines are read. The score is
 * the share of pairs chi_tra wins minus the share chi_sim wins, plus LINE_CONFIDENCE_WEIGHT
 * times how much surer chi_tra is on whole lines (mean confidence difference, in points);
 * traditional when it passes TRADITIONAL_SCORE. Tuned on 91 generated and fixture pages,
 * where the score of simplified pages was at most -0.12 and that of traditional ones at
 * least 0.17 (all but one at least 0.39); bench/ocr-choice then picked the page's script
 * on 105 of 105 tuning pages and 60 of 60 of each of two fresh sets, later on 149 of 150
 * (seed 99) and 118 of 120 (seed 31): simplified pages in small or Ming-style type can
 * score 0.32-0.46, inside the traditional pages' range (see UNSURE_HIGH). With fewer than
 * MIN_PAIRS pairs the whole-line confidence decides alone, and chi_tra needs a
 * TRADITIONAL_MARGIN lead: chi_tra reads a simplified page almost as confidently as chi_sim
 * does, while chi_sim is clearly less sure of a traditional page.
 */
#define MIN_COMPARED_LINES 2
#define ENOUGH_PAIRS 12
/*
 * One line is enough when it has ONE_LINE_PAIRS pairs and a score far outside the unsure
 * band. On the first lines of 214 generated Chinese pages (bench/ocr-choice, seeds 2024, 99
 * and 11) traditional pages scored at least -0.09 and simplified ones with 6 pairs or more
 * at most 0.70; 98 pages would have stopped after one line, none on the wrong script. With
 * the fresh set (seed 31), 145 of the 405 pages stop after one line, all on the right
 * script. That halves the choice's reading on those pages (two line readings instead of
 * four) and took the choice from 26-28% of OCR time to about 23%.
 */
#define ONE_LINE_PAIRS 6
#define ONE_LINE_SIMPLIFIED (-0.3)
#define ONE_LINE_TRADITIONAL 1.0
/* A score between these is too close to call: more lines are read, up to the sample's end.
 * Simplified pages in small or Ming-style type stopped at 0.32-0.46 with UNSURE_HIGH at
 * 0.3 and were called traditional (3 of 405 pages); at 0.5 they read on, for about one
 * point more of OCR time in the choice. Scores near the band move by a few tenths with
 * sub-pixel changes to the line crops: 2 of the 405 pages still go wrong, in either
 * direction (traditional pages at -0.16 and -0.21 after 2-4 lines). */
#define UNSURE_LOW (-0.1)
#define UNSURE_HIGH 0.5
#define MIN_PAIRS 4
#define LINE_CONFIDENCE_WEIGHT 0.05
#define TRADITIONAL_SCORE 0.05
#define TRADITIONAL_MARGIN 7.0

/* Binarise before OCR (Sauvola, local thresholds) instead of handing Tesseract the
 * background-normalised grey image for its own global Otsu threshold. */
#ifndef DG_OCR_BINARIZE
#define DG_OCR_BINARIZE 0
#endif

typedef struct engine {
    char lang[64];
    TessBaseAPI *api;
    unsigned long last_use;
} engine;

struct dg_ocr {
    char *tessdata;
    engine engines[MAX_ENGINES];
    unsigned long clock;
    opencc_t t2s; /* traditional to simplified, to pair what the two models read */
};

/* ---- engines ---- */

static void engine_drop(engine *e)
{
    if (e->api) {
        TessBaseAPIEnd(e->api);
        TessBaseAPIDelete(e->api);
    }
    memset(e, 0, sizeof *e);
}

static dg_status engine_load(dg_ocr *ocr, engine *e, const char *lang, dg_error *err)
{
    TessBaseAPI *api = TessBaseAPICreate();
    if (!api)
        return dg_error_set(err, DG_ERR_NOMEM, "OCR: cannot create a Tesseract engine");
    /* Tesseract reports through tprintf; library code never prints. */
    TessBaseAPISetVariable(api, "debug_file", "/dev/null");
    if (TessBaseAPIInit3(api, ocr->tessdata, lang) != 0) {
        TessBaseAPIDelete(api);
        return dg_error_set(err, DG_ERR_IO, "OCR: cannot load language \"%s\" from %s", lang,
                            ocr->tessdata);
    }
    TessBaseAPISetVariable(api, "debug_file", "/dev/null");
    snprintf(e->lang, sizeof e->lang, "%s", lang);
    e->api = api;
    return DG_OK;
}

/* Returns the engine for lang, loading it (and dropping the least recently used) if needed. */
static dg_status engine_get(dg_ocr *ocr, const char *lang, TessBaseAPI **out, dg_error *err)
{
    *out = NULL;
    if (strlen(lang) >= sizeof ocr->engines[0].lang)
        return dg_error_set(err, DG_ERR_USAGE, "OCR: language string too long: %s", lang);
    engine *slot = NULL;
    for (int i = 0; i < MAX_ENGINES; i++) {
        engine *e = &ocr->engines[i];
        if (e->api && strcmp(e->lang, lang) == 0) {
            slot = e;
            break;
        }
        if (!slot || (slot->api && (!e->api || e->last_use < slot->last_use)))
            slot = e;
    }
    if (!slot->api || strcmp(slot->lang, lang) != 0) {
        engine_drop(slot);
        dg_status status = engine_load(ocr, slot, lang, err);
        if (status != DG_OK)
            return status;
    }
    slot->last_use = ++ocr->clock;
    *out = slot->api;
    return DG_OK;
}

/*
 * Keeps OpenMP inside Tesseract to one thread for the calling thread. Tesseract's LSTM code
 * asks for its threads explicitly (num_threads clauses), which overrides
 * omp_set_num_threads(); only the thread limit caps those, and libgomp reads
 * OMP_THREAD_LIMIT once, when it is loaded, before main() runs, so a setenv() in main()
 * comes too late. Allowing no active parallel level (omp_set_max_active_levels(0)) makes
 * every parallel region run on the thread that meets it. Measured on a 2-core machine:
 * dangan ingest of 6 pages took 31 s with OpenMP's threads, 7.7 s without. The functions
 * live in libgomp, which libtesseract pulls in; looking them up at run time keeps dangan's
 * link line free of OpenMP. Without libgomp there is nothing to limit.
 */
static void limit_openmp_threads(void)
{
    void (*set_int)(int) = NULL;
    void *sym = dlsym(RTLD_DEFAULT, "omp_set_num_threads");
    memcpy(&set_int, &sym, sizeof set_int);
    if (set_int)
        set_int(1);
    sym = dlsym(RTLD_DEFAULT, "omp_set_max_active_levels");
    memcpy(&set_int, &sym, sizeof set_int);
    if (set_int)
        set_int(0);
}

dg_status dg_ocr_open(dg_ocr **out, const char *tessdata_dir, dg_error *err)
{
    *out = NULL;
    if (!tessdata_dir || !*tessdata_dir)
        tessdata_dir = getenv("TESSDATA_PREFIX");
    if (!tessdata_dir || !*tessdata_dir)
        tessdata_dir = DG_OCR_DEFAULT_TESSDATA;
    dg_ocr *ocr = calloc(1, sizeof *ocr);
    if (!ocr || !(ocr->tessdata = strdup(tessdata_dir))) {
        free(ocr);
        return dg_error_set(err, DG_ERR_NOMEM, "OCR: out of memory");
    }
    ocr->t2s = (opencc_t)-1;
    limit_openmp_threads();
    ocr->t2s = opencc_open("t2s.json");
    if (ocr->t2s == (opencc_t)-1) {
        dg_ocr_close(ocr);
        return dg_error_set(err, DG_ERR_IO, "OCR: cannot load OpenCC t2s: %s",
                            opencc_error());
    }
    TessBaseAPI *osd;
    dg_status status = engine_get(ocr, "osd", &osd, err);
    if (status != DG_OK) {
        dg_ocr_close(ocr);
        return status;
    }
    *out = ocr;
    return DG_OK;
}

void dg_ocr_close(dg_ocr *ocr)
{
    if (!ocr)
        return;
    for (int i = 0; i < MAX_ENGINES; i++)
        engine_drop(&ocr->engines[i]);
    if (ocr->t2s != (opencc_t)-1)
        opencc_close(ocr->t2s);
    free(ocr->tessdata);
    free(ocr);
}

/* ---- CJK spacing ---- */

/* A character of the CJK blocks, written without spaces between words: radicals, CJK
 * punctuation, kana, Han, Hangul, vertical and full-width forms. Broader than a Han
 * character (base/chars.h): a space next to any of these is OCR's, not the paper's. */
static int is_cjk(uint32_t cp)
{
    return (cp >= 0x2E80 && cp <= 0x9FFF) ||   /* radicals, CJK punctuation, kana, Han */
           (cp >= 0xAC00 && cp <= 0xD7AF) ||   /* Hangul */
           (cp >= 0xF900 && cp <= 0xFAFF) ||   /* compatibility ideographs */
           (cp >= 0xFE30 && cp <= 0xFE4F) ||   /* vertical forms */
           (cp >= 0xFF00 && cp <= 0xFFEF) ||   /* full-width forms */
           (cp >= 0x20000 && cp <= 0x3FFFF);   /* Han extensions */
}

/* A letter of an alphabetic script: a space between it and CJK separates words. */
static int is_word_letter(uint32_t cp)
{
    return (cp >= 'A' && cp <= 'Z') || (cp >= 'a' && cp <= 'z') ||
           (cp >= 0xC0 && cp < 0x2000 && cp != 0xD7 && cp != 0xF7);
}

/* A space run between before and after is dropped when it only separates CJK from CJK,
 * a digit or punctuation. */
static int space_is_noise(uint32_t before, uint32_t after)
{
    if (is_cjk(before))
        return !is_word_letter(after);
    if (is_cjk(after))
        return !is_word_letter(before);
    return 0;
}

char *dg_ocr_remove_cjk_spaces(const char *text)
{
    size_t len = strlen(text);
    char *out = malloc(len + 1);
    if (!out)
        return NULL;
    size_t o = 0, i = 0;
    uint32_t before = '\n';
    while (i < len) {
        if (text[i] == ' ') {
            size_t run = i;
            while (run < len && text[run] == ' ')
                run++;
            uint32_t after = '\n';
            if (run < len)
                dg_utf8_next(text + run, len - run, &after);
            if (!space_is_noise(before, after)) {
                memcpy(out + o, text + i, run - i);
                o += run - i;
            }
            i = run;
            continue;
        }
        size_t n = dg_utf8_next(text + i, len - i, &before);
        memcpy(out + o, text + i, n);
        o += n;
        i += n;
    }
    out[o] = '\0';
    return out;
}

/* ---- clean-up ---- */

/* What clean-up did, so word boxes can be mapped back to the original image. */
typedef struct cleanup {
    int width, height;   /* of the original image */
    int quads;           /* clockwise quarter turns applied */
    float skew;          /* degrees; the deskew rotated by this much about the centre */
    int dpi;
} cleanup;

/* Turns the page upright when OSD is confident; reports the script OSD saw. */
static dg_status orient(dg_ocr *ocr, PIX **gray, cleanup *c, char *script, size_t script_size,
                        float *script_conf, dg_error *err)
{
    TessBaseAPI *osd;
    dg_status status = engine_get(ocr, "osd", &osd, err);
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
static void replace_pix(PIX **pix, PIX *next)
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
 * The page itself stays as it lay: read_straightest() turns it only when it reads the page
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
 * more than UNEVEN_BACKGROUND grey levels. Only such a page needs background
 * normalisation: there it is essential (on pages under a dark gradient CER fell from 48-84%
 * to 1-12%), while on an even page it cost accuracy (68 generated pages: mean CER 10.7%
 * normalised, 9.5% not) and 50-80 ms.
 */
static int background_is_uneven(PIX *gray)
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
                return 1; /* when in doubt, normalise */
            darkest = fminf(darkest, level);
            brightest = fmaxf(brightest, level);
        }
    return brightest - darkest > UNEVEN_BACKGROUND;
}

/*
 * Background and contrast normalisation where needed, skew (deskew) and (optionally)
 * binarisation. *ink gets the text ink of the result (text_ink), turned straight, for
 * finding its lines, or NULL; *flat_ink the ink as it lay when it was turned, else NULL.
 */
static void normalise(PIX **gray, PIX **ink, PIX **flat_ink, cleanup *c)
{
    pixDestroy(flat_ink);
    if (pixGetDepth(*gray) == 8 && background_is_uneven(*gray))
        replace_pix(gray, pixBackgroundNormSimple(*gray, NULL, NULL));
    *ink = text_ink(*gray);
    if (*ink)
        deskew(ink, flat_ink, c);
#if DG_OCR_BINARIZE
    if (pixGetDepth(*gray) == 8) {
        PIX *binary = NULL;
        if (pixSauvolaBinarize(*gray, 25, 0.35f, 1, NULL, NULL, NULL, &binary) == 0)
            replace_pix(gray, binary);
    }
#endif
}

/* ---- text lines for the sample ---- */

static int compare_ints(const void *a, const void *b)
{
    return *(const int *)a - *(const int *)b;
}

/* The ink extent of rows top..end-1 of binary, or 0 when the band is not a text line. */
static BOX *band_box(PIX *binary, int top, int end, int median)
{
    int h = end - top;
    if (h < MIN_LINE_HEIGHT || 2 * h < median || h > 2 * median)
        return NULL;
    BOX *band = boxCreate(0, top, (int)pixGetWidth(binary), h);
    PIX *strip = band ? pixClipRectangle(binary, band, NULL) : NULL;
    NUMA *cols = strip ? pixCountPixelsByColumn(strip) : NULL;
    boxDestroy(&band);
    pixDestroy(&strip);
    if (!cols)
        return NULL;
    int n = numaGetCount(cols), left = -1, right = -1;
    for (int x = 0; x < n; x++) {
        l_int32 ink = 0;
        numaGetIValue(cols, x, &ink);
        if (ink >= 2) { /* a lone speck does not stretch the line */
            if (left < 0)
                left = x;
            right = x;
        }
    }
    numaDestroy(&cols);
    if (left < 0 || right - left + 1 < 2 * h)
        return NULL; /* not clearly wider than high: no line of text */
    return boxCreate(left, top, right - left + 1, h);
}

/* Keeps the bands that look like text lines (see find_text_lines), widest first. */
static BOXA *select_lines(PIX *binary, const int *top, const int *end, int bands, int max)
{
    if (bands == 0)
        return NULL;
    int *heights = malloc((size_t)bands * sizeof *heights);
    BOXA *found = boxaCreate(bands);
    if (!heights || !found) {
        free(heights);
        boxaDestroy(&found);
        return NULL;
    }
    for (int i = 0; i < bands; i++)
        heights[i] = end[i] - top[i];
    qsort(heights, (size_t)bands, sizeof *heights, compare_ints);
    int median = heights[bands / 2];
    free(heights);
    for (int i = 0; i < bands; i++) {
        BOX *line = band_box(binary, top[i], end[i], median);
        if (line)
            boxaAddBox(found, line, L_INSERT);
    }
    BOXA *sorted = boxaGetCount(found) ? boxaSort(found, L_SORT_BY_WIDTH, L_SORT_DECREASING,
                                                  NULL)
                                       : NULL;
    boxaDestroy(&found);
    if (sorted && boxaGetCount(sorted) > max) {
        BOXA *first = boxaSelectRange(sorted, 0, max - 1, L_COPY);
        boxaDestroy(&sorted);
        sorted = first;
    }
    return sorted;
}

/*
 * The bands of rows whose ink (rows, a count per row) reaches floor, top to bottom: band i
 * is rows top[i]..end[i]-1. Bands closer than merge_gap rows are one. top and end hold
 * room for height / 2 + 1 bands. Returns the number of bands.
 */
static int ink_bands(NUMA *rows, double floor, int merge_gap, int *top, int *end)
{
    int height = numaGetCount(rows), bands = 0;
    for (int y = 0; y < height;) {
        l_float32 ink = 0;
        if (numaGetFValue(rows, y, &ink) != 0 || ink < floor) {
            y++;
            continue;
        }
        int first = y;
        while (y < height && numaGetFValue(rows, y, &ink) == 0 && ink >= floor)
            y++;
        if (bands > 0 && first - end[bands - 1] <= merge_gap)
            end[bands - 1] = y;
        else if (bands < height / 2 + 1)
            top[bands] = first, end[bands++] = y;
    }
    return bands;
}

/*
 * The bands of rows with ink in binary (a page's text_ink) into *top and *end (new arrays
 * the caller frees, band i is rows top[i]..end[i]-1); returns their number, -1 when memory
 * ran out. Scanner noise leaves a few specks on a row; a row through text has many. A gap
 * of a row or two inside a band is inside a line.
 */
static int row_bands(PIX *binary, int **top, int **end)
{
    NUMA *rows = binary ? pixCountPixelsByRow(binary, NULL) : NULL;
    int height = rows ? numaGetCount(rows) : 0;
    *top = calloc((size_t)height / 2 + 1, sizeof **top);
    *end = calloc((size_t)height / 2 + 1, sizeof **end);
    int bands = -1;
    if (rows && *top && *end) {
        l_float32 fullest = 0;
        numaGetMax(rows, &fullest, NULL);
        bands = ink_bands(rows, fmax(2.0, fullest * INK_ROW_SHARE), 2, *top, *end);
    }
    numaDestroy(&rows);
    return bands;
}

/*
 * Finds text lines in binary (a page's text_ink) by horizontal projection: bands of rows
 * with ink, each trimmed to the columns with ink. It costs milliseconds where Tesseract's
 * layout analysis costs a tenth of a full read, and the sample needs a few plain lines, not
 * the layout. Bands far shorter or taller than the median band (rules, speckles, pictures)
 * and bands not clearly wider than high (a page turned by 90 degrees is one tall band) are
 * left out. Returns at most max lines, widest first (titles are short, body lines long), or
 * NULL when there are none.
 */
static BOXA *find_text_lines(PIX *binary, int max)
{
    int *top, *end;
    int bands = row_bands(binary, &top, &end);
    BOXA *lines = bands >= 0 ? select_lines(binary, top, end, bands, max) : NULL;
    free(top);
    free(end);
    return lines;
}

/* Every band of rows with ink in binary (row_bands) at least MIN_LINE_HEIGHT high, top to
 * bottom, as full-width boxes; NULL when memory ran out. */
static BOXA *ink_rows(PIX *binary)
{
    int *top, *end;
    int bands = row_bands(binary, &top, &end);
    BOXA *found = bands >= 0 ? boxaCreate(bands + 1) : NULL;
    for (int i = 0; found && i < bands; i++)
        if (end[i] - top[i] >= MIN_LINE_HEIGHT)
            boxaAddBox(found, boxCreate(0, top[i], (int)pixGetWidth(binary), end[i] - top[i]),
                       L_INSERT);
    free(top);
    free(end);
    return found;
}

/* ---- reading sample lines ---- */

/* One recognised character of a sample line and the model's confidence in it. */
typedef struct symbol {
    char text[8];
    float confidence;
} symbol;

/* What one model made of one sample line. */
typedef struct line_read {
    symbol symbols[MAX_LINE_SYMBOLS];
    int count;
    double confidence; /* Tesseract's mean for the line */
    int han, latin;    /* Han characters and ASCII letters among the symbols */
} line_read;

static void add_symbol(line_read *line, const char *text, float confidence)
{
    size_t n = strlen(text);
    if (n == 0 || n >= sizeof line->symbols[0].text || line->count == MAX_LINE_SYMBOLS)
        return;
    uint32_t cp;
    dg_utf8_next(text, n, &cp);
    line->han += dg_is_han(cp);
    line->latin += cp < 0x80 && is_word_letter(cp);
    symbol *s = &line->symbols[line->count++];
    memcpy(s->text, text, n + 1);
    s->confidence = confidence;
}

/* The text line at box of page with a margin around it (the box hugs the ink; recognition
 * needs some white around the line), or NULL. *left and *top get the crop's origin. */
static PIX *line_crop(PIX *page, BOX *box, int *left, int *top)
{
    l_int32 x, y, w, h;
    if (boxGetGeometry(box, &x, &y, &w, &h) != 0)
        return NULL;
    int pad = h / 3;
    *left = x - pad > 0 ? x - pad : 0;
    *top = y - pad > 0 ? y - pad : 0;
    BOX *padded = boxCreate(*left, *top, w + 2 * pad, h + 2 * pad);
    PIX *crop = padded ? pixClipRectangle(page, padded, NULL) : NULL;
    boxDestroy(&padded);
    return crop;
}

/* The cleaned-up page, its sample lines and what chi_sim (or a forced model) read there. */
typedef struct page_sample {
    PIX *page;  /* as it lay */
    float skew; /* degrees the deskew turns it (cleanup.skew) */
    PIX *ink;   /* the page's text_ink, turned straight, owned; NULL when it could not be made */
    int dpi;
    BOXA *lines; /* widest first; NULL when no text line was found */
    int count;
    const char *probe_lang; /* the model of first[]: chi_sim, or the forced language */
    line_read first[MAX_SAMPLE_LINES];
    int first_read;
    line_read other; /* scratch for the second model */
    double reading_seconds; /* spent in sample_read_first() */
} page_sample;

/* The page as it lay (gray, cleaned up as c says) turned straight by the deskew's angle;
 * NULL when memory ran out. */
static PIX *turned_straight(PIX *gray, const cleanup *c)
{
    return pixRotate(gray, (l_float32)(c->skew * M_PI / 180.0), L_ROTATE_AREA_MAP,
                     L_BRING_IN_WHITE, 0, 0);
}

/*
 * The sample line at box (in the frame of the straightened ink) with line_crop's margin:
 * the part of the page as it lay that turns into that rectangle is cut out and turned
 * straight on its own, which costs a fraction of the 20 ms that turning a whole page does
 * (and the page itself is mostly read as it lay, see read_straightest). NULL when memory
 * ran out.
 */
static PIX *sample_crop(const page_sample *s, BOX *box)
{
    int left, top;
    if (s->skew == 0)
        return line_crop(s->page, box, &left, &top);
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

/* Reads the sample line at box of s with api (a single-line read of a cropped image),
 * turned upside down when upside_down is set. */
static void read_line(TessBaseAPI *api, const page_sample *s, BOX *box, int upside_down,
                      line_read *out)
{
    memset(out, 0, sizeof *out);
    PIX *crop = sample_crop(s, box);
    if (crop && upside_down)
        replace_pix(&crop, pixRotate180(NULL, crop));
    if (!crop)
        return;
    TessBaseAPISetPageSegMode(api, PSM_SINGLE_LINE);
    TessBaseAPISetImage2(api, crop);
    TessBaseAPISetSourceResolution(api, s->dpi);
    if (TessBaseAPIRecognize(api, NULL) == 0) {
        out->confidence = TessBaseAPIMeanTextConf(api);
        TessResultIterator *it = TessBaseAPIGetIterator(api);
        if (it) {
            do {
                char *text = TessResultIteratorGetUTF8Text(it, RIL_SYMBOL);
                if (!text)
                    continue;
                add_symbol(out, text, TessResultIteratorConfidence(it, RIL_SYMBOL));
                TessDeleteText(text);
            } while (TessResultIteratorNext(it, RIL_SYMBOL));
            TessResultIteratorDelete(it);
        }
    }
    TessBaseAPIClear(api);
    TessBaseAPISetPageSegMode(api, PSM_AUTO);
    pixDestroy(&crop);
}

/* ---- simplified or traditional ---- */

/* What the sample says so far. */
typedef struct evidence {
    int lines;                  /* lines read with both models */
    int pairs;                  /* characters one model read in each script */
    int traditional_wins;       /* pairs where chi_tra was the more confident */
    int simplified_wins;
    double sim_confidence, tra_confidence; /* line confidences, summed */
} evidence;

/* 1 when s (a chi_sim symbol) and t (a chi_tra symbol) may be the same glyph: the same
 * text, or t is the traditional form of s. *pair is set when they differ. */
static int same_glyph(dg_ocr *ocr, const char *s, const char *t, int *pair)
{
    *pair = 0;
    if (strcmp(s, t) == 0)
        return 1;
    size_t n = strlen(t);
    uint32_t first_s, first_t;
    dg_utf8_next(s, strlen(s), &first_s);
    dg_utf8_next(t, n, &first_t);
    if (!dg_is_han(first_t) || !dg_is_han(first_s))
        return 0;
    char *simplified = opencc_convert_utf8(ocr->t2s, t, n);
    if (!simplified)
        return 0;
    *pair = strcmp(simplified, s) == 0;
    opencc_convert_utf8_free(simplified);
    return *pair;
}

/*
 * Aligns what chi_sim and chi_tra read on the same line (longest common subsequence, where
 * a character matches itself or its traditional form) and scores each aligned pair of a
 * simplified and a traditional character: whichever model was more confident there wins it.
 *
 * Why pairs: each model knows only its own script's characters and answers in it whatever
 * the page's script, mostly correctly (chi_tra reads 门 as 門), so the texts agree after
 * conversion and their mean confidences differ by a few points that depend on font and
 * noise as much as on script. On exactly the characters whose glyphs differ between the
 * scripts, the model that knows the glyph on the page is more often the surer one. A sign
 * test over the pairs is robust where a margin on mean confidences was not.
 */
static dg_status compare_line(dg_ocr *ocr, const line_read *s, const line_read *t,
                              evidence *ev, dg_error *err)
{
    int n = s->count, m = t->count, w = m + 1;
    short *table = calloc((size_t)(n + 1) * (size_t)w, sizeof *table);
    if (!table)
        return dg_error_set(err, DG_ERR_NOMEM, "OCR: out of memory");
    for (int i = n - 1; i >= 0; i--)
        for (int j = m - 1; j >= 0; j--) {
            int pair;
            int down = table[(i + 1) * w + j], right = table[i * w + j + 1];
            int best = down > right ? down : right;
            if (same_glyph(ocr, s->symbols[i].text, t->symbols[j].text, &pair) &&
                table[(i + 1) * w + j + 1] + 1 > best)
                best = table[(i + 1) * w + j + 1] + 1;
            table[i * w + j] = (short)best;
        }
    for (int i = 0, j = 0; i < n && j < m;) {
        int pair;
        if (same_glyph(ocr, s->symbols[i].text, t->symbols[j].text, &pair) &&
            table[i * w + j] == table[(i + 1) * w + j + 1] + 1) {
            if (pair) {
                ev->pairs++;
                float d = t->symbols[j].confidence - s->symbols[i].confidence;
                ev->traditional_wins += d > 0;
                ev->simplified_wins += d < 0;
            }
            i++, j++;
        } else if (table[(i + 1) * w + j] >= table[i * w + j + 1]) {
            i++;
        } else {
            j++;
        }
    }
    free(table);
    ev->lines++;
    ev->sim_confidence += s->confidence;
    ev->tra_confidence += t->confidence;
    return DG_OK;
}

/* chi_tra when the sample says traditional (see compare_line and TRADITIONAL_SCORE). */
static const char *script_verdict(const evidence *ev, double *score)
{
    double line_lead = ev->lines ? (ev->tra_confidence - ev->sim_confidence) / ev->lines : 0;
    if (ev->pairs < MIN_PAIRS) {
        *score = line_lead;
        return line_lead > TRADITIONAL_MARGIN ? DG_OCR_LANG_TRADITIONAL : DG_OCR_LANG_SIMPLIFIED;
    }
    *score = (double)(ev->traditional_wins - ev->simplified_wins) / ev->pairs +
             LINE_CONFIDENCE_WEIGHT * line_lead;
    return *score > TRADITIONAL_SCORE ? DG_OCR_LANG_TRADITIONAL : DG_OCR_LANG_SIMPLIFIED;
}

static double seconds_since(const struct timespec *start)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

/* ---- the sample ---- */


/* Starts the sample of page over; it takes ink (the page's text_ink). */
static void sample_reset(page_sample *s, PIX *page, PIX *ink, const cleanup *c)
{
    boxaDestroy(&s->lines);
    pixDestroy(&s->ink);
    s->page = page;
    s->ink = ink;
    s->dpi = c->dpi;
    s->skew = c->skew;
    s->lines = find_text_lines(ink, MAX_SAMPLE_LINES);
    s->count = s->lines ? boxaGetCount(s->lines) : 0;
    s->first_read = 0;
}

/* Makes sure lines 0..upto-1 (as far as there are lines) are read with the probe model. */
static dg_status sample_read_first(dg_ocr *ocr, page_sample *s, int upto, dg_error *err)
{
    if (upto > s->count)
        upto = s->count;
    if (s->first_read >= upto)
        return DG_OK;
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    TessBaseAPI *api;
    dg_status status = engine_get(ocr, s->probe_lang, &api, err);
    for (; status == DG_OK && s->first_read < upto; s->first_read++) {
        BOX *box = boxaGetBox(s->lines, s->first_read, L_CLONE);
        read_line(api, s, box, 0, &s->first[s->first_read]);
        boxDestroy(&box);
    }
    s->reading_seconds += seconds_since(&start);
    return status;
}

/*
 * 1 when the page reads as text the right way up: one of its first lines reads with
 * confidence. An upside-down or sideways page reads as noise (or has no lines at all),
 * and only then is Tesseract's orientation detection asked, which costs as much as reading
 * the page.
 */
static dg_status sample_upright(dg_ocr *ocr, page_sample *s, int *upright, dg_error *err)
{
    *upright = 0;
    for (int i = 0; i < UPRIGHT_PROBE_LINES && i < s->count && !*upright; i++) {
        dg_status status = sample_read_first(ocr, s, i + 1, err);
        if (status != DG_OK)
            return status;
        *upright = s->first[i].confidence >= UPRIGHT_MIN_CONF && s->first[i].count > 0;
    }
    return DG_OK;
}

/*
 * 1 when the page reads as text upside down: one of the first lines that did not read
 * upright (sample_upright) reads with confidence turned by 180 degrees. A sheet fed into
 * the scanner the wrong way round is the common case of a page not upright, and reading a
 * line costs a tenth of Tesseract's orientation detection (OSD), which pages turned by 90
 * degrees (they have no lines) and pages read with low confidence either way still need.
 */
static dg_status sample_upside_down(dg_ocr *ocr, page_sample *s, int *upside_down,
                                    dg_error *err)
{
    *upside_down = 0;
    TessBaseAPI *api;
    dg_status status = engine_get(ocr, s->probe_lang, &api, err);
    for (int i = 0; status == DG_OK && i < UPRIGHT_PROBE_LINES && i < s->count && !*upside_down;
         i++) {
        BOX *box = boxaGetBox(s->lines, i, L_CLONE);
        read_line(api, s, box, 1, &s->other);
        boxDestroy(&box);
        *upside_down = s->other.confidence >= UPRIGHT_MIN_CONF && s->other.count > 0;
    }
    return status;
}

/* 1 when the lines chi_sim read are letters rather than Han characters (a Han character
 * says about as much as a word of four letters). */
static int sample_is_english(const page_sample *s)
{
    int han = 0, latin = 0;
    for (int i = 0; i < s->first_read; i++)
        han += s->first[i].han, latin += s->first[i].latin;
    return latin >= MIN_ENGLISH_LETTERS && latin > 4 * han;
}

/* 1 when chi_sim read the sample's first line as Han characters: at least
 * MIN_HAN_FIRST_LINE of them, and more than letters. */
static int first_line_is_han(const page_sample *s)
{
    return s->first_read > 0 && s->first[0].han >= MIN_HAN_FIRST_LINE &&
           s->first[0].han > s->first[0].latin;
}

/* Reads sample lines with chi_tra beside chi_sim's reading until the script is clear. */
static dg_status sample_script(dg_ocr *ocr, page_sample *s, const char **lang, int *sure,
                               char *why, size_t why_size, dg_error *err)
{
    TessBaseAPI *tra;
    dg_status status = engine_get(ocr, DG_OCR_LANG_TRADITIONAL, &tra, err);
    evidence ev = {0};
    double score = 0;
    for (int i = 0; status == DG_OK && i < s->count; i++) {
        script_verdict(&ev, &score);
        if (ev.lines >= MIN_COMPARED_LINES && ev.pairs >= ENOUGH_PAIRS &&
            (score < UNSURE_LOW || score > UNSURE_HIGH))
            break;
        if (ev.lines == 1 && ev.pairs >= ONE_LINE_PAIRS &&
            (score <= ONE_LINE_SIMPLIFIED || score >= ONE_LINE_TRADITIONAL))
            break;
        status = sample_read_first(ocr, s, i + 1, err);
        if (status != DG_OK)
            break;
        BOX *box = boxaGetBox(s->lines, i, L_CLONE);
        read_line(tra, s, box, 0, &s->other);
        boxDestroy(&box);
        status = compare_line(ocr, &s->first[i], &s->other, &ev, err);
    }
    if (status != DG_OK)
        return status;
    *lang = script_verdict(&ev, &score);
    *sure = ev.pairs >= MIN_PAIRS;
    snprintf(why, why_size,
             "%d lines, %d script pairs: chi_tra surer on %d, chi_sim on %d; score %.2f",
             ev.lines, ev.pairs, ev.traditional_wins, ev.simplified_wins, score);
    return DG_OK;
}

/* ---- recognition ---- */

/* Maps a point of the cleaned-up image back to the original image. */
static void map_point(const cleanup *c, double x, double y, double *ox, double *oy)
{
    /* The turned image's size. */
    int tw = c->quads % 2 ? c->height : c->width;
    int th = c->quads % 2 ? c->width : c->height;
    if (c->skew != 0) {
        /* Leptonica's deskew turned the image clockwise by skew degrees about its centre. */
        double a = -c->skew * M_PI / 180.0, cx = tw / 2.0, cy = th / 2.0;
        double dx = x - cx, dy = y - cy;
        x = cx + dx * cos(a) - dy * sin(a);
        y = cy + dx * sin(a) + dy * cos(a);
    }
    switch (c->quads) {
    case 1: *ox = y; *oy = c->height - x; break;
    case 2: *ox = c->width - x; *oy = c->height - y; break;
    case 3: *ox = c->width - y; *oy = x; break;
    default: *ox = x; *oy = y; break;
    }
}

static void map_box(const cleanup *c, dg_ocr_word *w, int x0, int y0, int x1, int y1)
{
    double xs[4], ys[4];
    map_point(c, x0, y0, &xs[0], &ys[0]);
    map_point(c, x1, y0, &xs[1], &ys[1]);
    map_point(c, x0, y1, &xs[2], &ys[2]);
    map_point(c, x1, y1, &xs[3], &ys[3]);
    double minx = xs[0], maxx = xs[0], miny = ys[0], maxy = ys[0];
    for (int i = 1; i < 4; i++) {
        minx = fmin(minx, xs[i]);
        maxx = fmax(maxx, xs[i]);
        miny = fmin(miny, ys[i]);
        maxy = fmax(maxy, ys[i]);
    }
    minx = fmax(minx, 0);
    miny = fmax(miny, 0);
    maxx = fmin(maxx, c->width);
    maxy = fmin(maxy, c->height);
    w->x = (int)lround(minx);
    w->y = (int)lround(miny);
    w->w = (int)lround(maxx - minx);
    w->h = (int)lround(maxy - miny);
}

/* Adds the words api recognised to r; (dx, dy) is where api's image lies on the page. */
static dg_status collect_words(TessBaseAPI *api, const cleanup *c, int dx, int dy,
                               dg_ocr_result *r, dg_error *err)
{
    TessResultIterator *it = TessBaseAPIGetIterator(api);
    if (!it)
        return DG_OK; /* nothing recognised */
    /* r->words may hold the words of an earlier call (the page, before a lost line): treat
     * it as full, so the first new word grows it. */
    size_t cap = r->word_count;
    dg_status status = DG_OK;
    do {
        char *word = TessResultIteratorGetUTF8Text(it, RIL_WORD);
        if (!word)
            continue;
        int x0, y0, x1, y1;
        const TessPageIterator *pit = TessResultIteratorGetPageIteratorConst(it);
        if (*word && TessPageIteratorBoundingBox(pit, RIL_WORD, &x0, &y0, &x1, &y1)) {
            if (r->word_count == cap) {
                cap = cap ? cap * 2 : 64;
                dg_ocr_word *grown = realloc(r->words, cap * sizeof *grown);
                if (!grown) {
                    TessDeleteText(word);
                    status = dg_error_set(err, DG_ERR_NOMEM, "OCR: out of memory");
                    break;
                }
                r->words = grown;
            }
            dg_ocr_word *w = &r->words[r->word_count];
            w->text = strdup(word);
            if (!w->text) {
                TessDeleteText(word);
                status = dg_error_set(err, DG_ERR_NOMEM, "OCR: out of memory");
                break;
            }
            w->confidence = (int)lroundf(TessResultIteratorConfidence(it, RIL_WORD));
            map_box(c, w, x0 + dx, y0 + dy, x1 + dx, y1 + dy);
            r->word_count++;
        }
        TessDeleteText(word);
    } while (TessResultIteratorNext(it, RIL_WORD));
    TessResultIteratorDelete(it);
    return status;
}

/* ---- lines the page layout lost ---- */

/* The text lines api recognised on the page, top to bottom as the text has them (a line
 * without text is left out, as the text leaves it out), or NULL when there are none. */
static BOXA *recognised_lines(TessBaseAPI *api)
{
    TessResultIterator *it = TessBaseAPIGetIterator(api);
    BOXA *lines = it ? boxaCreate(16) : NULL;
    if (!lines) {
        if (it)
            TessResultIteratorDelete(it);
        return NULL;
    }
    const TessPageIterator *pit = TessResultIteratorGetPageIteratorConst(it);
    do {
        char *text = TessResultIteratorGetUTF8Text(it, RIL_TEXTLINE);
        int x0, y0, x1, y1;
        if (text && text[strspn(text, " \n")] &&
            TessPageIteratorBoundingBox(pit, RIL_TEXTLINE, &x0, &y0, &x1, &y1))
            boxaAddBox(lines, boxCreate(x0, y0, x1 - x0, y1 - y0), L_INSERT);
        if (text)
            TessDeleteText(text);
    } while (TessResultIteratorNext(it, RIL_TEXTLINE));
    TessResultIteratorDelete(it);
    return lines;
}

/* 1 when one of lines covers most of band's height and some of its width. */
static int band_is_covered(BOXA *lines, BOX *band)
{
    l_int32 bx, by, bw, bh;
    boxGetGeometry(band, &bx, &by, &bw, &bh);
    int n = lines ? boxaGetCount(lines) : 0;
    for (int i = 0; i < n; i++) {
        l_int32 x, y, w, h;
        if (boxaGetBoxGeometry(lines, i, &x, &y, &w, &h) != 0)
            continue;
        int over_y = (y + h < by + bh ? y + h : by + bh) - (y > by ? y : by);
        int over_x = (x + w < bx + bw ? x + w : bx + bw) - (x > bx ? x : bx);
        if (2 * over_y >= bh && over_x > 0)
            return 1;
    }
    return 0;
}

/* 1 when band of page (at dpi) is as high as small print and holds ink enough for a few
 * characters, not a smudge or a rule. */
static int band_has_text_ink(PIX *page, int dpi, BOX *band)
{
    l_int32 bx, by, bw, bh;
    boxGetGeometry(band, &bx, &by, &bw, &bh);
    if (bh * 72 < MIN_LOST_LINE_POINTS * dpi)
        return 0;
    PIX *crop = pixClipRectangle(page, band, NULL);
    PIX *ink = crop ? pixConvertTo1(crop, LOST_LINE_INK_THRESHOLD) : NULL;
    l_int32 count = 0;
    if (ink)
        pixCountPixels(ink, &count, NULL);
    pixDestroy(&ink);
    pixDestroy(&crop);
    return count >= bh * bh; /* two or three characters' worth */
}

/* Inserts line (with its '\n') into *text before its nonblank line number `before`. */
static dg_status insert_line(char **text, int before, const char *line, dg_error *err)
{
    size_t at = 0, len = strlen(*text);
    for (int seen = 0; at < len;) {
        size_t end = strcspn(*text + at, "\n");
        char first = (*text)[at + strspn(*text + at, " ")];
        int blank = first == '\n' || first == '\0';
        if (!blank && seen++ == before)
            break;
        at += end + ((*text)[at + end] == '\n');
    }
    size_t add = strlen(line);
    int need_break = at == len && at > 0 && (*text)[at - 1] != '\n';
    char *joined = malloc(len + add + 3);
    if (!joined)
        return dg_error_set(err, DG_ERR_NOMEM, "OCR: out of memory");
    memcpy(joined, *text, at);
    size_t n = at;
    if (need_break)
        joined[n++] = '\n';
    memcpy(joined + n, line, add);
    n += add;
    joined[n++] = '\n';
    memcpy(joined + n, *text + at, len - at + 1);
    free(*text);
    *text = joined;
    return DG_OK;
}

/*
 * Recognises crop (at dpi) with api in page segmentation mode psm. Returns its text without
 * spaces between CJK characters and cut at the first line break, or NULL when the read is
 * empty or less sure than MIN_LOST_LINE_CONF; *failed is set when memory ran out. The result
 * stays in api for collect_words until TessBaseAPIClear.
 */
static char *read_crop(TessBaseAPI *api, PIX *crop, int dpi, TessPageSegMode psm, int *failed)
{
    TessBaseAPIClear(api);
    TessBaseAPISetPageSegMode(api, psm);
    TessBaseAPISetImage2(api, crop);
    TessBaseAPISetSourceResolution(api, dpi);
    if (TessBaseAPIRecognize(api, NULL) != 0 || TessBaseAPIMeanTextConf(api) < MIN_LOST_LINE_CONF)
        return NULL;
    char *raw = TessBaseAPIGetUTF8Text(api);
    char *text = raw ? dg_ocr_remove_cjk_spaces(raw) : NULL;
    if (raw)
        TessDeleteText(raw);
    if (raw && !text)
        *failed = 1;
    if (text) {
        text[strcspn(text, "\n")] = '\0';
        if (text[strspn(text, " ")] == '\0') {
            free(text);
            text = NULL;
        }
    }
    return text;
}

/*
 * Reads band of page as one line with api and adds its words to r. *line gets its text
 * (NULL when nothing usable was read: then no words are added). Tesseract's single-line
 * mode still runs its own line finding, which can reject the very line the page layout
 * lost (the tight title read as nothing); its raw-line mode takes the crop as the line.
 */
static dg_status read_lost_line(TessBaseAPI *api, PIX *page, const cleanup *c, BOX *band,
                                dg_ocr_result *r, char **line, dg_error *err)
{
    *line = NULL;
    int left, top;
    PIX *crop = line_crop(page, band, &left, &top);
    if (!crop)
        return DG_OK;
    int failed = 0;
    char *text = read_crop(api, crop, c->dpi, PSM_SINGLE_LINE, &failed);
    if (!text && !failed)
        text = read_crop(api, crop, c->dpi, PSM_RAW_LINE, &failed);
    dg_status status = failed ? dg_error_set(err, DG_ERR_NOMEM, "OCR: out of memory") : DG_OK;
    if (text)
        status = collect_words(api, c, left, top, r, err);
    TessBaseAPIClear(api);
    TessBaseAPISetPageSegMode(api, PSM_AUTO);
    pixDestroy(&crop);
    if (status != DG_OK) {
        free(text);
        text = NULL;
    }
    *line = text;
    return status;
}

/* How many of the recognised lines (plus those put back so far) lie above band. */
static int lines_above(BOXA *lines, BOX *band)
{
    l_int32 bx, by, bw, bh;
    boxGetGeometry(band, &bx, &by, &bw, &bh);
    int above = 0, n = lines ? boxaGetCount(lines) : 0;
    for (int i = 0; i < n; i++) {
        l_int32 x, y, w, h;
        if (boxaGetBoxGeometry(lines, i, &x, &y, &w, &h) == 0 && 2 * y + h < 2 * by + bh)
            above++;
    }
    return above;
}

/*
 * Reads band of page as one line (read_lost_line) and, when it reads, puts its text into
 * r->text where its height puts it among the recognised lines, to which it is added.
 */
static dg_status put_line_back(TessBaseAPI *api, PIX *page, const cleanup *c, BOX *band,
                               BOXA *recognised, dg_ocr_result *r, dg_error *err)
{
    char *line = NULL;
    dg_status status = read_lost_line(api, page, c, band, r, &line, err);
    if (status == DG_OK && line)
        status = insert_line(&r->text, lines_above(recognised, band), line, err);
    if (status == DG_OK && line && recognised)
        boxaAddBox(recognised, band, L_COPY);
    free(line);
    return status;
}

/*
 * Tesseract's layout analysis now and then drops a whole text line, often a title on a
 * page with tight line spacing (seen with a title over five body lines, deskewed by half a
 * degree). The row projection of find_text_lines still sees the line's ink band: each band
 * no recognised line covers, with ink enough to be text, is read on its own as a single
 * line, and its text goes into r->text where its height puts it, its words into r->words.
 * On a page where nothing is missing this costs one projection, a few milliseconds.
 */
static dg_status recover_lost_lines(TessBaseAPI *api, PIX *page, PIX *ink, const cleanup *c,
                                    BOXA *recognised, dg_ocr_result *r, dg_error *err)
{
    BOXA *found = find_text_lines(ink, MAX_PAGE_LINES);
    BOXA *bands = found ? boxaSort(found, L_SORT_BY_Y, L_SORT_INCREASING, NULL) : NULL;
    boxaDestroy(&found);
    dg_status status = DG_OK;
    int n = bands ? boxaGetCount(bands) : 0;
    for (int i = 0; i < n && status == DG_OK; i++) {
        BOX *band = boxaGetBox(bands, i, L_CLONE);
        if (band && !band_is_covered(recognised, band) && band_has_text_ink(page, c->dpi, band))
            status = put_line_back(api, page, c, band, recognised, r, err);
        boxDestroy(&band);
    }
    boxaDestroy(&bands);
    return status;
}

/* ---- red print ---- */

/*
 * The red ink (dg_seal_gray's mask of the page as it came) as 8 bpp, black on white, turned
 * and deskewed as c says the cleaned-up page was, so its lines lie where the page's do.
 * NULL when memory ran out.
 */
static PIX *red_page(PIX *red_ink, const cleanup *c)
{
    PIX *page = pixConvert1To8(NULL, red_ink, 255, 0);
    if (page && c->quads)
        replace_pix(&page, pixRotateOrth(page, c->quads));
    if (page && c->skew != 0)
        replace_pix(&page, pixRotate(page, (l_float32)(c->skew * M_PI / 180.0),
                                     L_ROTATE_AREA_MAP, L_BRING_IN_WHITE, 0, 0));
    return page;
}

/* The bands of rows of red (8 bpp, ink black) that hold a line of text, top first. */
static BOXA *red_text_lines(PIX *red, int dpi)
{
    PIX *binary = pixConvertTo1(red, 128);
    NUMA *rows = binary ? pixCountPixelsByRow(binary, NULL) : NULL;
    int height = rows ? numaGetCount(rows) : 0;
    int *top = calloc((size_t)height / 2 + 1, sizeof *top);
    int *end = calloc((size_t)height / 2 + 1, sizeof *end);
    BOXA *lines = rows && top && end ? boxaCreate(4) : NULL;
    int lowest = MIN_RED_LINE_POINTS * dpi / 72, highest = MAX_RED_LINE_POINTS * dpi / 72;
    /* Red ink has no scanner specks left (seal.c drops them): any ink is ink. */
    int bands = lines ? ink_bands(rows, 1, 0, top, end) : 0;
    for (int i = 0; i < bands; i++) {
        int h = end[i] - top[i];
        BOX *line = h >= lowest && h <= highest ? band_box(binary, top[i], end[i], h) : NULL;
        if (line)
            boxaAddBox(lines, line, L_INSERT);
    }
    free(top);
    free(end);
    numaDestroy(&rows);
    pixDestroy(&binary);
    return lines;
}

/*
 * A colour page's red lines of text: the 红头 header naming the issuing body, a received or
 * filed date stamp. seal.h lifts all red ink off the page so that a seal does not bury the
 * print under it; the lines of text among that ink are read here on their own (as lost
 * lines are) and put into r->text where their height puts them.
 */
static dg_status read_red_lines(TessBaseAPI *api, PIX *red_ink, const cleanup *c,
                                BOXA *recognised, dg_ocr_result *r, dg_error *err)
{
    PIX *red = red_page(red_ink, c);
    BOXA *bands = red ? red_text_lines(red, c->dpi) : NULL;
    dg_status status = DG_OK;
    int n = bands ? boxaGetCount(bands) : 0;
    for (int i = 0; i < n && status == DG_OK; i++) {
        BOX *band = boxaGetBox(bands, i, L_CLONE);
        if (band)
            status = put_line_back(api, red, c, band, recognised, r, err);
        boxDestroy(&band);
    }
    boxaDestroy(&bands);
    pixDestroy(&red);
    return status;
}

/* ---- the page's text ---- */

/* A growing NUL-terminated string; on failure text is freed and set to NULL. */
typedef struct text_buffer {
    char *text;
    size_t len, cap;
} text_buffer;

static void text_append(text_buffer *b, const char *s, size_t n)
{
    if (!b->text)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = (b->len + n + 1) * 2;
        char *grown = realloc(b->text, cap);
        if (!grown) {
            free(b->text);
            b->text = NULL;
            return;
        }
        b->text = grown;
        b->cap = cap;
    }
    memcpy(b->text + b->len, s, n);
    b->len += n;
    b->text[b->len] = '\0';
}

/* The last code point of s (of n bytes), or '\n' for an empty s. */
static uint32_t last_char(const char *s, size_t n)
{
    size_t at = n;
    while (at > 0 && ((unsigned char)s[at - 1] & 0xC0) == 0x80)
        at--;
    uint32_t cp = '\n';
    if (at > 0)
        dg_utf8_next(s + at - 1, n - at + 1, &cp);
    return cp;
}

/*
 * The recognised text of api's page, laid out as Tesseract lays it out (a line per text
 * line, a blank line after each paragraph), except for the spaces between words: Tesseract
 * puts one between every two, and between Chinese characters it is noise, unless the paper
 * has a real gap there. Geometry tells them apart (WIDE_GAP_HEIGHTS), so a form's
 * "姓名    王晓明" keeps its space where the text alone would run the cells together.
 * NULL when out of memory; "" when nothing was recognised.
 */
static char *page_text(TessBaseAPI *api)
{
    text_buffer b = {malloc(64), 0, 64};
    if (!b.text)
        return NULL;
    b.text[0] = '\0';
    TessResultIterator *it = TessBaseAPIGetIterator(api);
    if (!it)
        return b.text;
    const TessPageIterator *pit = TessResultIteratorGetPageIteratorConst(it);
    int prev_right = 0, line_height = 0, words_in_line = 0;
    do {
        char *word = TessResultIteratorGetUTF8Text(it, RIL_WORD);
        int x0, y0, x1, y1;
        /* Table rules come back as words of spaces: they are no text. */
        if (word && word[strspn(word, " ")] != '\0' &&
            TessPageIteratorBoundingBox(pit, RIL_WORD, &x0, &y0, &x1, &y1)) {
            if (words_in_line == 0) {
                int lx0, ly0, lx1, ly1;
                line_height = TessPageIteratorBoundingBox(pit, RIL_TEXTLINE, &lx0, &ly0, &lx1,
                                                          &ly1)
                                  ? ly1 - ly0
                                  : y1 - y0;
            } else {
                uint32_t before = last_char(b.text, b.len), after;
                dg_utf8_next(word, strlen(word), &after);
                /* CJK punctuation and full-width forms carry their own space, and the
                 * boxes Tesseract gives them are the least reliable. */
                int wide = x0 - prev_right > WIDE_GAP_HEIGHTS * line_height &&
                           !dg_is_cjk_punctuation(before) && !dg_is_cjk_punctuation(after);
                if (wide || !space_is_noise(before, after))
                    text_append(&b, " ", 1);
            }
            text_append(&b, word, strlen(word));
            words_in_line++;
            prev_right = x1;
        }
        if (word)
            TessDeleteText(word);
        if (words_in_line > 0 && TessPageIteratorIsAtFinalElement(pit, RIL_TEXTLINE, RIL_WORD)) {
            text_append(&b, "\n", 1);
            words_in_line = 0;
        }
        /* A blank line after a paragraph, as GetUTF8Text() lays it out; never two. */
        if (b.text && b.len > 0 && b.text[b.len - 1] == '\n' &&
            (b.len < 2 || b.text[b.len - 2] != '\n') &&
            TessPageIteratorIsAtFinalElement(pit, RIL_PARA, RIL_WORD))
            text_append(&b, "\n", 1);
    } while (b.text && TessResultIteratorNext(it, RIL_WORD));
    TessResultIteratorDelete(it);
    return b.text;
}

/* Reads page (cleaned up as c says, ink its text_ink), whose layout api has analysed
 * (analyse_layout), with lang into r; red_ink, when not NULL, is the page's red ink as it
 * came (dg_seal_gray), whose lines of text are read too. */
static dg_status recognise(TessBaseAPI *api, PIX *page, PIX *ink, PIX *red_ink, const cleanup *c,
                           const char *lang, const char *name, dg_ocr_result *r, dg_error *err)
{
    dg_status status = DG_OK;
    snprintf(r->lang, sizeof r->lang, "%s", lang);
    if (TessBaseAPIRecognize(api, NULL) != 0) {
        TessBaseAPIClear(api);
        return dg_error_set(err, DG_ERR_BAD_INPUT, "%s: OCR failed", name);
    }
    r->text = page_text(api);
    if (!r->text)
        status = dg_error_set(err, DG_ERR_NOMEM, "OCR: out of memory");
    int conf = TessBaseAPIMeanTextConf(api);
    r->confidence = conf < 0 ? 0 : conf > 100 ? 100 : conf;
    if (status == DG_OK)
        status = collect_words(api, c, 0, 0, r, err);
    BOXA *recognised = status == DG_OK ? recognised_lines(api) : NULL;
    TessBaseAPIClear(api);
    if (status == DG_OK)
        status = recover_lost_lines(api, page, ink, c, recognised, r, err);
    if (status == DG_OK && red_ink)
        status = read_red_lines(api, red_ink, c, recognised, r, err);
    boxaDestroy(&recognised);
    return status;
}

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
static dg_status read_straightest(dg_ocr *ocr, PIX *gray, PIX *ink, PIX *flat_ink,
                                  PIX *red_ink, const cleanup *c, const char *lang,
                                  const char *name, dg_ocr_result *r, dg_error *err)
{
    TessBaseAPI *api;
    dg_status status = engine_get(ocr, lang, &api, err);
    if (status != DG_OK)
        return status;
    if (c->skew == 0 || !flat_ink) {
        analyse_layout(api, gray, NULL, c, 0);
        return recognise(api, gray, ink, red_ink, c, lang, name, r, err);
    }
    cleanup as_it_lay = *c;
    as_it_lay.skew = 0;
    PIX *pages[2] = {gray, turned_straight(gray, c)}, *inks[2] = {flat_ink, ink};
    const cleanup *ways[2] = {&as_it_lay, c};
    if (!pages[1])
        return dg_error_set(err, DG_ERR_NOMEM, "OCR: cannot turn the page straight");
    int straight = fabsf(c->skew) >= READ_FLAT_BELOW;
    if (fabsf(c->skew) >= READ_STRAIGHT_FROM) {
        analyse_layout(api, pages[1], NULL, c, 0);
    } else {
        BOXA *bands = ink_rows(ink);
        int faults = analyse_layout(api, pages[straight], bands, c, !straight);
        int other = faults > 0 ? analyse_layout(api, pages[!straight], bands, c, straight) : -1;
        if (other >= 0 && other < faults)
            straight = !straight; /* its layout is the one analysed last */
        else if (faults > 0)
            analyse_layout(api, pages[straight], NULL, c, !straight);
        boxaDestroy(&bands);
    }
    r->deskewed = straight;
    status = recognise(api, pages[straight], inks[straight], red_ink, ways[straight], lang, name,
                       r, err);
    pixDestroy(&pages[1]);
    return status;
}

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
    normalise(gray, &ink, flat_ink, c);
    sample_reset(s, *gray, ink, c);
    int upright;
    dg_status status = sample_upright(ocr, s, &upright, err);
    if (status != DG_OK || upright)
        return status;
    int upside_down = 0;
    status = sample_upside_down(ocr, s, &upside_down, err);
    if (status != DG_OK)
        return status;
    PIX *turned = upside_down ? pixRotateOrth(base, 2) : pixClone(base);
    if (!turned)
        return dg_error_set(err, DG_ERR_NOMEM, "OCR: cannot turn the page");
    if (upside_down)
        c->quads = 2;
    else
        status = orient(ocr, &turned, c, script, script_size, script_conf, err);
    if (status != DG_OK || c->quads == 0) {
        pixDestroy(&turned);
        return status;
    }
    pixDestroy(gray);
    *gray = turned;
    c->skew = 0;
    normalise(gray, &ink, flat_ink, c);
    sample_reset(s, *gray, ink, c);
    return DG_OK;
}

/*
 * The model for a cleaned-up page whose language is not forced: English when the sample
 * reads as letters, else the record's script when an earlier page measured it, else the
 * script the sample measures (sample_script). A page without text lines is read with
 * chi_sim, or eng when OSD saw Latin script.
 */
static dg_status choose_language(dg_ocr *ocr, page_sample *s, const char *record_script,
                                 const char *script, float script_conf, dg_ocr_result *r,
                                 const char **lang, dg_error *err)
{
    if (s->count == 0) {
        *lang = strcmp(script, "Latin") == 0 && script_conf >= MIN_SCRIPT_CONF
                    ? DG_OCR_LANG_ENGLISH
                    : DG_OCR_LANG_SIMPLIFIED;
        snprintf(r->lang_reason, sizeof r->lang_reason, "no text lines found; OSD script %s",
                 *script ? script : "unknown");
        return DG_OK;
    }
    /* A first line read as Han characters makes the page Chinese; else the English test
     * takes two lines. */
    dg_status status = sample_read_first(ocr, s, 1, err);
    if (status == DG_OK && !first_line_is_han(s))
        status = sample_read_first(ocr, s, MIN_COMPARED_LINES, err);
    if (status != DG_OK)
        return status;
    if (sample_is_english(s)) {
        *lang = DG_OCR_LANG_ENGLISH;
        r->lang_sure = 1;
        snprintf(r->lang_reason, sizeof r->lang_reason, "%d lines read as letters",
                 s->first_read);
        return DG_OK;
    }
    if (record_script && (strcmp(record_script, DG_OCR_LANG_SIMPLIFIED) == 0 ||
                          strcmp(record_script, DG_OCR_LANG_TRADITIONAL) == 0)) {
        *lang = strcmp(record_script, DG_OCR_LANG_SIMPLIFIED) == 0 ? DG_OCR_LANG_SIMPLIFIED
                                                                    : DG_OCR_LANG_TRADITIONAL;
        r->lang_sure = 1;
        snprintf(r->lang_reason, sizeof r->lang_reason, "the record's script");
        return DG_OK;
    }
    return sample_script(ocr, s, lang, &r->lang_sure, r->lang_reason, sizeof r->lang_reason,
                         err);
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
    double prepared = seconds_since(&start), probe = s->reading_seconds;
    r->seconds_cleanup = prepared - probe;
    const char *lang = forced;
    if (status == DG_OK && (!forced || !*forced))
        status = choose_language(ocr, s, record_script, script, script_conf, r, &lang, err);
    else if (status == DG_OK)
        snprintf(r->lang_reason, sizeof r->lang_reason, "forced");
    r->seconds_choice = seconds_since(&start) - prepared + probe;
    if (status == DG_OK)
        status = read_straightest(ocr, gray, s->ink, flat_ink,
                                  red_pixels >= MIN_RED_PIXELS ? red_ink : NULL, &c, lang, name,
                                  r, err);
    r->seconds_recognition = seconds_since(&start) - r->seconds_cleanup - r->seconds_choice;
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

void dg_ocr_words_free(dg_ocr_word *words, size_t count)
{
    if (!words)
        return;
    for (size_t i = 0; i < count; i++)
        free(words[i].text);
    free(words);
}

void dg_ocr_result_free(dg_ocr_result *result)
{
    if (!result)
        return;
    free(result->text);
    dg_ocr_words_free(result->words, result->word_count);
    free(result);
}

/* ---- word boxes as text ---- */

dg_status dg_ocr_words_to_tsv(const dg_ocr_result *result, char **out, size_t *out_len,
                              dg_error *err)
{
    *out = NULL;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return dg_error_set(err, DG_ERR_NOMEM, "OCR: out of memory");
    for (size_t i = 0; i < result->word_count; i++) {
        const dg_ocr_word *w = &result->words[i];
        fprintf(f, "%d\t%d\t%d\t%d\t%d\t", w->x, w->y, w->w, w->h, w->confidence);
        for (const char *s = w->text; *s; s++)
            fputc(*s == '\t' || *s == '\n' || *s == '\r' ? ' ' : *s, f);
        fputc('\n', f);
    }
    if (fclose(f) != 0) {
        free(buf);
        return dg_error_set(err, DG_ERR_NOMEM, "OCR: out of memory");
    }
    *out = buf;
    if (out_len)
        *out_len = len;
    return DG_OK;
}

static int parse_word(const char *line, size_t len, dg_ocr_word *w)
{
    int text_at = -1;
    char *copy = strndup(line, len);
    if (!copy)
        return -1;
    int fields = sscanf(copy, "%d\t%d\t%d\t%d\t%d\t%n", &w->x, &w->y, &w->w, &w->h,
                        &w->confidence, &text_at);
    if (fields != 5 || text_at < 0) {
        free(copy);
        return -1;
    }
    w->text = strdup(copy + text_at);
    free(copy);
    return w->text ? 0 : -1;
}

dg_status dg_ocr_words_from_tsv(const char *tsv, dg_ocr_word **out, size_t *count,
                                dg_error *err)
{
    *out = NULL;
    *count = 0;
    size_t lines = 0;
    for (const char *s = tsv; *s; s++)
        lines += *s == '\n';
    dg_ocr_word *words = calloc(lines + 1, sizeof *words);
    if (!words)
        return dg_error_set(err, DG_ERR_NOMEM, "OCR: out of memory");
    size_t n = 0;
    for (const char *line = tsv; *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        if (parse_word(line, len, &words[n]) != 0) {
            dg_ocr_words_free(words, n);
            return dg_error_set(err, DG_ERR_CORRUPT, "word boxes: line %zu is malformed", n + 1);
        }
        n++;
        line += len + (end ? 1 : 0);
    }
    *out = words;
    *count = n;
    return DG_OK;
}
