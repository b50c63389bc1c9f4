/*
 * ocr.c — page clean-up, language choice and recognition with Tesseract (see ocr.h).
 *
 * A dg_ocr keeps a few Tesseract engines, one per language string it has needed (OSD, the
 * chi_sim+chi_tra sampler, and the single models), because loading a model costs far more
 * than switching between loaded ones. It also keeps the two OpenCC converters used to tell
 * simplified from traditional characters.
 */
#include "ocr.h"

#include <dlfcn.h>
#include <leptonica/allheaders.h>
#include <math.h>
#include <opencc/opencc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tesseract/capi.h>

/* Engines kept loaded at once: osd, the sampler, three single models, one forced string. */
#define MAX_ENGINES 6

/* OSD's orientation confidence below which a page is left as it is: turning a page that
 * was upright costs its whole text, so only a clear verdict turns it. */
#define MIN_ORIENTATION_CONF 1.0f

/* Leptonica's skew confidence from which a page is deskewed (see deskew()). */
#define MIN_SKEW_CONF 2.0f

/* OSD's script confidence above which "Latin" is believed without a sample. */
#define MIN_SCRIPT_CONF 1.0f

/* How many text lines the script sample reads, and at most how many characters count. */
#define SAMPLE_LINES 3
#define SAMPLE_MAX_CHARS 200

/* Script-specific characters a sample needs before their confidence counts. */
#define MIN_SCRIPT_CHARS 3

/*
 * How much more confident chi_tra must be than chi_sim for a page to be read as
 * traditional. The margin is the difference in whole-line confidence plus twice the
 * difference in confidence on the script-specific characters. The models are not
 * symmetric: chi_tra reads a simplified page almost as confidently as chi_sim does
 * (margins -7.6 to +3.2 on the fixtures), while chi_sim is clearly less sure of a
 * traditional page (chi_tra ahead by 13.7 to 14.4). Simplified is the default.
 */
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
    opencc_t t2s, s2t;
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
 * Keeps OpenMP inside Tesseract to one thread for the calling thread. omp_set_num_threads
 * lives in libgomp, which libtesseract pulls in; looking it up at run time keeps dangan's
 * link line free of OpenMP. Without libgomp there is nothing to limit.
 */
static void limit_openmp_threads(void)
{
    void (*set_threads)(int) = NULL;
    void *sym = dlsym(RTLD_DEFAULT, "omp_set_num_threads");
    memcpy(&set_threads, &sym, sizeof set_threads);
    if (set_threads)
        set_threads(1);
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
    ocr->t2s = ocr->s2t = (opencc_t)-1;
    limit_openmp_threads();
    ocr->t2s = opencc_open("t2s.json");
    ocr->s2t = opencc_open("s2t.json");
    if (ocr->t2s == (opencc_t)-1 || ocr->s2t == (opencc_t)-1) {
        dg_ocr_close(ocr);
        return dg_error_set(err, DG_ERR_IO, "OCR: cannot load OpenCC t2s/s2t: %s",
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
    if (ocr->s2t != (opencc_t)-1)
        opencc_close(ocr->s2t);
    free(ocr->tessdata);
    free(ocr);
}

/* ---- UTF-8 and CJK spacing ---- */

/* Decodes one code point at s (which is NUL-terminated); *len gets its length in bytes. */
static uint32_t utf8_next(const char *text, size_t *len)
{
    const unsigned char *s = (const unsigned char *)text;
    if (s[0] < 0x80 || !s[1]) {
        *len = 1;
        return s[0];
    }
    size_t n = s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3 : 2;
    uint32_t cp = s[0] & (0x3F >> (n - 1));
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            *len = 1;
            return 0xFFFD;
        }
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    *len = n;
    return cp;
}

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
            size_t n;
            uint32_t after = run < len ? utf8_next(text + run, &n) : '\n';
            if (!space_is_noise(before, after)) {
                memcpy(out + o, text + i, run - i);
                o += run - i;
            }
            i = run;
            continue;
        }
        size_t n;
        before = utf8_next(text + i, &n);
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
 * Measures the skew and turns the page straight. Leptonica's own pixDeskew() only acts at
 * a skew confidence of 3 or more, which dense Chinese text rarely reaches (the fixtures
 * measure about 2.4 for a clear 1.2 degree skew), so the threshold here is 2.
 */
static void deskew(PIX **gray, cleanup *c)
{
    PIX *binary = pixConvertTo1(*gray, 130);
    if (!binary)
        return;
    l_float32 angle = 0, conf = 0;
    int found = pixFindSkew(binary, &angle, &conf) == 0;
    pixDestroy(&binary);
    if (!found || conf < MIN_SKEW_CONF || fabsf(angle) < 0.1f)
        return;
    PIX *straight = pixRotate(*gray, (l_float32)(angle * M_PI / 180.0), L_ROTATE_AREA_MAP,
                              L_BRING_IN_WHITE, 0, 0);
    if (!straight)
        return;
    pixDestroy(gray);
    *gray = straight;
    c->skew = angle;
}

/* Background and contrast normalisation, deskew and (optionally) binarisation. */
static void normalise(PIX **gray, cleanup *c)
{
    if (pixGetDepth(*gray) == 8)
        replace_pix(gray, pixBackgroundNormSimple(*gray, NULL, NULL));
    deskew(gray, c);
#if DG_OCR_BINARIZE
    if (pixGetDepth(*gray) == 8) {
        PIX *binary = NULL;
        if (pixSauvolaBinarize(*gray, 25, 0.35f, 1, NULL, NULL, NULL, &binary) == 0)
            replace_pix(gray, binary);
    }
#endif
}

/* ---- language choice ---- */

/* 1 when converter changes the single character ch (UTF-8, n bytes). */
static int converter_changes(opencc_t converter, const char *ch, size_t n)
{
    char *out = opencc_convert_utf8(converter, ch, n);
    if (!out)
        return 0;
    int changed = strlen(out) != n || memcmp(out, ch, n) != 0;
    opencc_convert_utf8_free(out);
    return changed;
}

typedef struct script_counts {
    int han, latin, simplified, traditional;
} script_counts;

static void count_scripts(dg_ocr *ocr, const char *text, script_counts *k)
{
    size_t n;
    int seen = 0;
    for (const char *s = text; *s && seen < SAMPLE_MAX_CHARS; s += n) {
        uint32_t cp = utf8_next(s, &n);
        if (is_word_letter(cp) && cp < 0x80)
            k->latin++;
        if (!(cp >= 0x3400 && cp <= 0x9FFF) && !(cp >= 0xF900 && cp <= 0xFAFF) && cp < 0x20000)
            continue;
        k->han++;
        seen++;
        if (converter_changes(ocr->t2s, s, n))
            k->traditional++;
        else if (converter_changes(ocr->s2t, s, n))
            k->simplified++;
    }
}

/* The SAMPLE_LINES widest text lines of page, found by layout analysis with api. The
 * widest lines carry the most characters: titles are short, body lines long. */
static BOXA *sample_lines(TessBaseAPI *api, PIX *page, int dpi)
{
    TessBaseAPISetPageSegMode(api, PSM_AUTO);
    TessBaseAPISetImage2(api, page);
    TessBaseAPISetSourceResolution(api, dpi);
    BOXA *lines = TessBaseAPIGetTextlines(api, NULL, NULL);
    TessBaseAPIClear(api);
    if (!lines)
        return NULL;
    BOXA *sorted = boxaSort(lines, L_SORT_BY_WIDTH, L_SORT_DECREASING, NULL);
    boxaDestroy(&lines);
    if (sorted && boxaGetCount(sorted) > SAMPLE_LINES) {
        BOXA *first = boxaSelectRange(sorted, 0, SAMPLE_LINES - 1, L_COPY);
        boxaDestroy(&sorted);
        sorted = first;
    }
    return sorted;
}

/* What one model made of the sample lines. */
typedef struct sample {
    double confidence; /* mean over the lines, weighted by their length */
    script_counts counts;
    double script_conf_sum; /* summed confidence of characters one script has, not both */
    int script_chars;
} sample;

/*
 * Adds the confidence of each recognised character that exists in one script only (OpenCC
 * changes it one way or the other). Both models read either script, each answering in its
 * own, so their outputs say little; their confidence on exactly these characters, whose
 * glyphs differ between the scripts, is the evidence.
 */
static void distinguishing_confidence(dg_ocr *ocr, TessBaseAPI *api, sample *out)
{
    TessResultIterator *it = TessBaseAPIGetIterator(api);
    if (!it)
        return;
    do {
        char *symbol = TessResultIteratorGetUTF8Text(it, RIL_SYMBOL);
        if (!symbol)
            continue;
        size_t n = strlen(symbol);
        if (n >= 3 && (converter_changes(ocr->t2s, symbol, n) ||
                       converter_changes(ocr->s2t, symbol, n))) {
            out->script_conf_sum += TessResultIteratorConfidence(it, RIL_SYMBOL);
            out->script_chars++;
        }
        TessDeleteText(symbol);
    } while (TessResultIteratorNext(it, RIL_SYMBOL));
    TessResultIteratorDelete(it);
}

static void read_sample(dg_ocr *ocr, TessBaseAPI *api, PIX *page, int dpi, BOXA *lines,
                        sample *out)
{
    memset(out, 0, sizeof *out);
    TessBaseAPISetPageSegMode(api, PSM_SINGLE_LINE);
    TessBaseAPISetImage2(api, page);
    TessBaseAPISetSourceResolution(api, dpi);
    double weighted = 0, weight = 0;
    for (int i = 0; i < boxaGetCount(lines); i++) {
        l_int32 x, y, w, h;
        if (boxaGetBoxGeometry(lines, i, &x, &y, &w, &h) != 0)
            continue;
        /* Layout boxes hug the ink; recognition needs a margin around the line. */
        int pad = h / 4;
        int x0 = x > pad ? x - pad : 0, y0 = y > pad ? y - pad : 0;
        int page_w = (int)pixGetWidth(page), page_h = (int)pixGetHeight(page);
        int x1 = x + w + pad < page_w ? x + w + pad : page_w;
        int y1 = y + h + pad < page_h ? y + h + pad : page_h;
        TessBaseAPISetRectangle(api, x0, y0, x1 - x0, y1 - y0);
        char *text = TessBaseAPIGetUTF8Text(api);
        if (!text)
            continue;
        double chars = (double)strlen(text);
        weighted += chars * TessBaseAPIMeanTextConf(api);
        weight += chars;
        count_scripts(ocr, text, &out->counts);
        distinguishing_confidence(ocr, api, out);
        TessDeleteText(text);
    }
    out->confidence = weight > 0 ? weighted / weight : 0;
    TessBaseAPISetPageSegMode(api, PSM_AUTO);
    TessBaseAPIClear(api);
}

static double mean_script_confidence(const sample *s)
{
    return s->script_chars ? s->script_conf_sum / s->script_chars : 0;
}

/*
 * Picks chi_sim, chi_tra or eng for a cleaned-up page.
 *
 * OSD's word is taken for a clear Latin page. Otherwise a few lines are read with chi_sim:
 * when they come out as letters rather than Han characters the page is English. Else the
 * same lines are read with chi_tra, and chi_tra must be clearly more confident, on whole
 * lines and on the characters that differ between the scripts (see TRADITIONAL_MARGIN),
 * to win. Measured on
 * the fixtures, both models read EITHER script and answer in their own (chi_tra turns a
 * simplified page into traditional text), so counting simplified against traditional
 * characters in the output says nothing, and taking the more confident model picked the
 * wrong one on one page in five: a high bar for chi_tra separates them.
 */
static dg_status choose_language(dg_ocr *ocr, PIX *page, int dpi, const char *script,
                                 float script_conf, const char **lang, dg_error *err)
{
    if (strcmp(script, "Latin") == 0 && script_conf >= MIN_SCRIPT_CONF) {
        *lang = DG_OCR_LANG_ENGLISH;
        return DG_OK;
    }
    TessBaseAPI *sim, *tra;
    dg_status status = engine_get(ocr, DG_OCR_LANG_SIMPLIFIED, &sim, err);
    if (status != DG_OK)
        return status;
    BOXA *lines = sample_lines(sim, page, dpi);
    if (!lines || boxaGetCount(lines) == 0) {
        boxaDestroy(&lines);
        /* No text found: the page is read with the fastest model, for what there is. */
        *lang = strcmp(script, "Han") == 0 ? DG_OCR_LANG_SIMPLIFIED : DG_OCR_LANG_ENGLISH;
        return DG_OK;
    }
    sample s, t;
    read_sample(ocr, sim, page, dpi, lines, &s);
    /* A Han character says about as much as a word of four letters. */
    if (strcmp(script, "Han") != 0 && 4 * s.counts.han < s.counts.latin) {
        boxaDestroy(&lines);
        *lang = DG_OCR_LANG_ENGLISH;
        return DG_OK;
    }
    status = engine_get(ocr, DG_OCR_LANG_TRADITIONAL, &tra, err);
    if (status == DG_OK)
        read_sample(ocr, tra, page, dpi, lines, &t);
    boxaDestroy(&lines);
    if (status != DG_OK)
        return status;
    double margin = t.confidence - s.confidence;
    if (s.script_chars >= MIN_SCRIPT_CHARS && t.script_chars >= MIN_SCRIPT_CHARS)
        margin += 2 * (mean_script_confidence(&t) - mean_script_confidence(&s));
    *lang = margin > TRADITIONAL_MARGIN ? DG_OCR_LANG_TRADITIONAL : DG_OCR_LANG_SIMPLIFIED;
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

static dg_status collect_words(TessBaseAPI *api, const cleanup *c, dg_ocr_result *r,
                               dg_error *err)
{
    TessResultIterator *it = TessBaseAPIGetIterator(api);
    if (!it)
        return DG_OK; /* nothing recognised */
    size_t cap = 0;
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
            map_box(c, w, x0, y0, x1, y1);
            r->word_count++;
        }
        TessDeleteText(word);
    } while (TessResultIteratorNext(it, RIL_WORD));
    TessResultIteratorDelete(it);
    return status;
}

static dg_status recognise(dg_ocr *ocr, PIX *page, const cleanup *c, const char *lang,
                           const char *name, dg_ocr_result *r, dg_error *err)
{
    TessBaseAPI *api;
    dg_status status = engine_get(ocr, lang, &api, err);
    if (status != DG_OK)
        return status;
    snprintf(r->lang, sizeof r->lang, "%s", lang);
    TessBaseAPISetPageSegMode(api, PSM_AUTO);
    TessBaseAPISetImage2(api, page);
    TessBaseAPISetSourceResolution(api, c->dpi);
    if (TessBaseAPIRecognize(api, NULL) != 0) {
        TessBaseAPIClear(api);
        return dg_error_set(err, DG_ERR_BAD_INPUT, "%s: OCR failed", name);
    }
    char *raw = TessBaseAPIGetUTF8Text(api);
    r->text = dg_ocr_remove_cjk_spaces(raw ? raw : "");
    if (raw)
        TessDeleteText(raw);
    if (!r->text)
        status = dg_error_set(err, DG_ERR_NOMEM, "OCR: out of memory");
    int conf = TessBaseAPIMeanTextConf(api);
    r->confidence = conf < 0 ? 0 : conf > 100 ? 100 : conf;
    if (status == DG_OK)
        status = collect_words(api, c, r, err);
    TessBaseAPIClear(api);
    return status;
}

dg_status dg_ocr_page(dg_ocr *ocr, struct Pix *pix, const char *lang, const char *name,
                      dg_ocr_result **out, dg_error *err)
{
    *out = NULL;
    cleanup c = {0};
    if (!pix || pixGetDimensions(pix, &c.width, &c.height, NULL) != 0 || c.width < 1 ||
        c.height < 1)
        return dg_error_set(err, DG_ERR_BAD_INPUT, "%s: no image to read", name);
    c.dpi = pixGetXRes(pix) >= 70 ? pixGetXRes(pix) : 300;
    PIX *gray = pixConvertTo8(pix, 0);
    if (!gray)
        return dg_error_set(err, DG_ERR_BAD_INPUT, "%s: image depth %d cannot be read", name,
                            pixGetDepth(pix));
    dg_ocr_result *r = calloc(1, sizeof *r);
    if (!r) {
        pixDestroy(&gray);
        return dg_error_set(err, DG_ERR_NOMEM, "OCR: out of memory");
    }
    char script[32];
    float script_conf = 0;
    dg_status status = orient(ocr, &gray, &c, script, sizeof script, &script_conf, err);
    if (status == DG_OK) {
        normalise(&gray, &c);
        r->rotation = c.quads * 90;
        r->skew = c.skew;
        if (!lang || !*lang)
            status = choose_language(ocr, gray, c.dpi, script, script_conf, &lang, err);
    }
    if (status == DG_OK)
        status = recognise(ocr, gray, &c, lang, name, r, err);
    pixDestroy(&gray);
    if (status != DG_OK) {
        dg_ocr_result_free(r);
        return status;
    }
    *out = r;
    return DG_OK;
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
