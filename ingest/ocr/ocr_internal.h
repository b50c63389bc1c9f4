/*
 * ocr_internal.h — what the parts of ingest/ocr/ share, private to that folder: the dg_ocr
 * handle, what clean-up did to a page, the page's sample, and the functions one part calls
 * in another. The contract with the rest of dangan is ../ocr.h.
 *
 * One page is read in this order (page.c): clean-up and orientation (cleanup.c, with the
 * sample of sample.c to tell an upright page from a turned one and lines.c to find its
 * lines), the choice of model (language.c), the reading (layout.c: as it lay or turned
 * straight; recognise.c: the text; word_boxes.c: the words and their boxes; mixed_lines.c: the
 * Chinese lines of a page read with eng; lost_lines.c: lines the reading left out, and red
 * print). spacing.c decides which spaces are noise, engine.c keeps the Tesseract
 * engines, words_tsv.c stores word boxes as text. Names shared between the parts begin
 * ocr_; dg_ocr_ is the public contract.
 */
#ifndef DG_OCR_INTERNAL_H
#define DG_OCR_INTERNAL_H

#include <leptonica/allheaders.h>
#include <opencc/opencc.h>
#include <stddef.h>
#include <stdint.h>
#include <tesseract/capi.h>
#include <time.h>

#include "../ocr.h"

/* ---- the handle (engine.c) ---- */

/* Engines kept loaded at once: osd, three single models, one forced string, and a spare:
 * the choice holds two engines at once, which the least-recently-used eviction must not
 * drop while they are in use. */
#define MAX_ENGINES 6

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

/* The engine for lang, loaded (and the least recently used one dropped) if needed; the
 * engine stays the dg_ocr's. */
dg_status ocr_engine_get(dg_ocr *ocr, const char *lang, TessBaseAPI **out, dg_error *err);
/* The image format (IFF_*) a pixWriteMem() call made from caller (a return address) for
 * format is served in: IFF_SPIX for libtesseract's own line images asked for as IFF_PNG,
 * else format. engine.c's pixWriteMem() applies it. */
int ocr_line_image_format(const void *caller, int format);

/* ---- what clean-up did (cleanup.c) ---- */

/* What clean-up did, so word boxes can be mapped back to the original image. */
typedef struct cleanup {
    int width, height;   /* of the original image */
    int quads;           /* clockwise quarter turns applied */
    float skew;          /* degrees; the deskew rotated by this much about the centre */
    int dpi;
} cleanup;

/* Turns *gray upright when OSD is confident (c->quads); script gets the script OSD saw. */
dg_status ocr_orient(dg_ocr *ocr, PIX **gray, cleanup *c, char *script, size_t script_size,
                     float *script_conf, dg_error *err);
/* Normalises *gray where needed and measures its skew into c; *ink gets its text ink turned
 * straight, *flat_ink the ink as it lay when it was turned (else NULL). */
void ocr_normalise(PIX **gray, PIX **ink, PIX **flat_ink, cleanup *c);
/* gray turned straight by c's skew; NULL when memory ran out. */
PIX *ocr_turned_straight(PIX *gray, const cleanup *c);
/* Replaces *pix by next when next is a new image; keeps *pix when a step fails. */
void ocr_replace_pix(PIX **pix, PIX *next);

/* ---- text lines by row projection (lines.c) ---- */

/* At most max text lines of binary (a page's text ink), widest first; NULL when none. */
BOXA *ocr_find_text_lines(PIX *binary, int max);
/* Every band of ink rows of binary at least a line high, top to bottom; NULL when out of
 * memory. */
BOXA *ocr_ink_rows(PIX *binary);
/* The bands of rows of rows (ink per row) with at least floor ink, into top/end (room for
 * height / 2 + 1); bands closer than merge_gap are one. Returns their number. */
int ocr_ink_bands(NUMA *rows, double floor, int merge_gap, int *top, int *end);
/* The ink extent of rows top..end-1 of binary, or NULL when the band is not a text line. */
BOX *ocr_band_box(PIX *binary, int top, int end, int median);
/* The line at box of page with a margin; *left and *top get the crop's origin. */
PIX *ocr_line_crop(PIX *page, BOX *box, int *left, int *top);

/* ---- the sample (sample.c) ---- */

/* The sample: at most this many of the widest lines, and characters per line. */
#define MAX_SAMPLE_LINES 6
#define MAX_LINE_SYMBOLS 160

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
    double reading_seconds; /* spent in ocr_sample_read_first() */
} page_sample;

/* Starts the sample of page over; it takes ink (the page's text ink). */
void ocr_sample_reset(page_sample *s, PIX *page, PIX *ink, const cleanup *c);
/* Reads sample lines 0..upto-1 with the probe model, those not read yet. */
dg_status ocr_sample_read_first(dg_ocr *ocr, page_sample *s, int upto, dg_error *err);
/* *upright = 1 when one of the first lines reads with confidence. */
dg_status ocr_sample_upright(dg_ocr *ocr, page_sample *s, int *upright, dg_error *err);
/* *upside_down = 1 when one of the first lines reads with confidence turned by 180. */
dg_status ocr_sample_upside_down(dg_ocr *ocr, page_sample *s, int *upside_down,
                                 dg_error *err);
/* For a sample without lines (s->count 0): the text lines of Tesseract's layout of its ink,
 * widest first; s->count stays 0 when there are none either. */
dg_status ocr_sample_lines_from_layout(dg_ocr *ocr, page_sample *s, dg_error *err);
/* Adds a character the model read (text, with its confidence) to line. */
void ocr_line_add_symbol(line_read *line, const char *text, float confidence);
/* Reads crop (at dpi) with api as one line: its symbols and mean confidence into out. 1 when
 * Tesseract read it, and api then still holds the reading (its text, its words) until
 * ocr_end_line_read, which every call must be followed by. */
int ocr_read_line_symbols(TessBaseAPI *api, PIX *crop, int dpi, line_read *out);
void ocr_end_line_read(TessBaseAPI *api);
/* Reads the sample line at box of s with api, turned by 180 degrees when upside_down. */
void ocr_read_line(TessBaseAPI *api, const page_sample *s, BOX *box, int upside_down,
                   line_read *out);
/* Seconds since start (CLOCK_MONOTONIC). */
double ocr_seconds_since(const struct timespec *start);

/* ---- the model (language.c) ---- */

/* 1 when the sample's evidence so far (lines compared with both models, script pairs, the
 * score of language.c's script_verdict) settles simplified against traditional. */
int ocr_script_settled(int lines, int pairs, double score);
/* The model for a page whose language is not forced, with r->lang_sure and r->lang_reason
 * set to say why. */
dg_status ocr_choose_language(dg_ocr *ocr, page_sample *s, const char *record_script,
                              const char *script, float script_conf, dg_ocr_result *r,
                              const char **lang, dg_error *err);

/* The Chinese model for one line both chi_sim (sim) and chi_tra (tra) read: the sample's
 * comparison (language.c's compare_line and script_verdict) on that line alone. */
dg_status ocr_line_script(dg_ocr *ocr, const line_read *sim, const line_read *tra,
                          const char **lang, dg_error *err);

/* ---- reading the page (layout.c, recognise.c, word_boxes.c, lost_lines.c) ---- */

/* Reads the cleaned-up page with lang into r, as it lay or turned straight. */
dg_status ocr_read_straightest(dg_ocr *ocr, PIX *gray, PIX *ink, PIX *flat_ink,
                               PIX *red_ink, const cleanup *c, const char *lang,
                               const char *name, dg_ocr_result *r, dg_error *err);
/* Reads page, whose layout api has analysed, into r: text, word boxes, Chinese lines of an
 * English page, lost lines and (when red_ink is not NULL) red print. */
dg_status ocr_recognise(dg_ocr *ocr, TessBaseAPI *api, PIX *page, PIX *ink, PIX *red_ink,
                        const cleanup *c, const char *lang, const char *name, dg_ocr_result *r,
                        dg_error *err);
/* Adds the words api recognised to r; (dx, dy) is where api's image lies on the page. */
dg_status ocr_collect_words(TessBaseAPI *api, const cleanup *c, int dx, int dy,
                            dg_ocr_result *r, dg_error *err);
/* The text lines of a page's reading in the order of its text's nonblank lines (line i is
 * nonblank line i): their boxes, and for each the boxes of its words, in the frame of the
 * page as it was read. */
typedef struct recognised_lines {
    BOXA *boxes;
    BOXAA *words;
} recognised_lines;
/* The text lines api recognised (word_boxes.c); both NULL when out of memory. */
recognised_lines ocr_recognised_lines(TessBaseAPI *api);
void ocr_lines_free(recognised_lines *lines);
/* The boxes of the words api recognised that ocr_collect_words takes, moved by (dx, dy). */
BOXA *ocr_word_boxes(TessBaseAPI *api, int dx, int dy);
/* Drops the words of r that ocr_collect_words put at the boxes read_at (of the page as it
 * was read, cleaned up as c says); returns how many. */
size_t ocr_drop_words_read_at(dg_ocr_result *r, const cleanup *c, BOXA *read_at);
/* On a page api read with eng, reads the lines eng was unsure of with chi_sim and, where
 * they are Chinese, puts the right Chinese model's reading into r (mixed_lines.c). */
dg_status ocr_read_mixed_lines(dg_ocr *ocr, TessBaseAPI *api, PIX *page, const cleanup *c,
                               dg_ocr_result *r, dg_error *err);
/* 1 when the recognised lines cover the ink band (a box of ink, the page's text ink): lines
 * over most of its height hold at least half of its ink columns (lost_lines.c). */
int ocr_band_is_covered(BOXA *lines, PIX *ink, BOX *band);
/* Reads the ink bands no recognised line covers and puts their text into r. */
dg_status ocr_recover_lost_lines(TessBaseAPI *api, PIX *page, PIX *ink, const cleanup *c,
                                 recognised_lines *recognised, dg_ocr_result *r,
                                 dg_error *err);
/* red_ink (dg_seal_gray's mask of red_pixels pixels) when it is enough to hold print, else
 * NULL. */
PIX *ocr_red_print(PIX *red_ink, long red_pixels);
/* Reads the lines of text of red_ink and puts them into r. */
dg_status ocr_read_red_lines(TessBaseAPI *api, PIX *red_ink, const cleanup *c,
                             recognised_lines *recognised, dg_ocr_result *r, dg_error *err);

/* ---- spaces (spacing.c) ---- */

/* 1 when a space run between before and after only separates CJK from CJK, a digit or
 * punctuation. */
int ocr_space_is_noise(uint32_t before, uint32_t after);
/* A letter of an alphabetic script. */
int ocr_is_word_letter(uint32_t cp);

#endif
