/*
 * ocr.h — reading the text of a page image with Tesseract: the contract of ingest/ocr/, whose
 * parts (clean-up, sample lines, language choice, reading, lost lines, spacing; see
 * ocr/ocr_internal.h for which file owns which) implement it.
 *
 * The ingest workers call dg_ocr_page() for every page that has no text of its own (see
 * pages.h). Each worker thread opens its own dg_ocr: Tesseract engines are not safe to
 * share. dg_ocr_page():
 *
 *   1. cleans up a COPY of the page for OCR only (the stored page image is never touched):
 *      grey, background and contrast normalisation, skew measurement (see "Skew" below),
 *      and binarisation where it helps (see DG_OCR_BINARIZE in ocr/cleanup.c). It then
 *      finds the page's widest text lines (a row projection, milliseconds) and reads one or
 *      two of them: a page that reads upright is taken as it is, one whose lines read
 *      turned by 180 degrees is turned so; only one that reads neither way (or has no
 *      lines, as a page on its side) goes to Tesseract's orientation detection (OSD), which
 *      costs about as much as reading the page, and is turned by 0/90/180/270 degrees as
 *      OSD says;
 *   2. chooses the language model, unless the caller forces one. The lines chi_sim read
 *      are letters rather than Han characters: English. Else chi_tra reads the same lines
 *      (two or more, until a dozen characters that differ between the scripts are seen;
 *      one when its verdict is far from close), the two readings are aligned, and on each
 *      aligned pair of a simplified and a traditional character the model that was surer
 *      wins it; traditional needs clearly more wins (see compare_line in ocr/language.c).
 *      On 405 varied generated pages (bench/ocr-choice, four seeds) this picked the page's
 *      script on all but 2, whose scores fell close to the other script's; the earlier margin on
 *      mean confidences of three lines was wrong on 7 of the first 105.
 *      dg_ocr_page_in_record() skips the comparison for later pages of a record whose
 *      script is known. The whole page is then read ONCE with that single model: all
 *      three models at once (chi_sim+chi_tra+eng) is slower and less accurate, and chi_sim
 *      alone beat chi_sim+eng even on a page of Chinese mixed with English words.
 *      A page read with eng because its sample reads as letters may still carry Chinese
 *      lines (a school's name as a heading): each line eng is unsure of is read again with
 *      chi_sim, and where that reads Han characters, with chi_tra too; the two are compared
 *      as the sample's lines are, and the line gets the chosen model's text and words
 *      (ocr/mixed_lines.c).
 *      Tesseract's layout analysis can drop a whole line (a title over tightly spaced
 *      lines) or keep only a few characters of it: a line of ink found by row projection
 *      that the recognised lines do not cover is read on its own and put into the text at
 *      its height, its words among the words; what the layout kept of it, text and words,
 *      is replaced by that reading, not left beside it. A page whose row projection finds
 *      no line takes its sample lines from Tesseract's layout instead;
 *   3. returns the text with the spaces Tesseract puts between CJK characters removed
 *      (spaces between words of English, and between a Chinese and an English word, are
 *      kept), the mean confidence, the model used, the orientation and skew corrected, and
 *      the word boxes in the coordinates of the ORIGINAL page image.
 *
 * Skew: the sample lines are always read turned straight, but the page itself is read as
 * it lay when its skew is under 2.2 degrees (Tesseract follows slightly slanted lines
 * itself, and turning resamples the glyphs), turned straight from there on, and only
 * turned from 3 degrees; below 3 degrees, when Tesseract's layout of the first choice
 * strays from the page's lines of ink (lines out of order, lost or run together), the
 * layout of the other is analysed too and the one that strays less is read
 * (ocr_read_straightest in ocr/layout.c has the measurements).
 *
 * Threads and OpenMP: Debian's Tesseract is built with OpenMP and would start its own
 * threads inside every worker, oversubscribing the cores (a known cause of 10-50x
 * slowdowns; dangan ingest ran 4x slower on 2 cores). Tesseract asks for its threads
 * explicitly, which omp_set_num_threads() does not override, and libgomp reads
 * OMP_THREAD_LIMIT only when it is loaded, before main(). So dg_ocr_open() allows no active
 * OpenMP parallel level for the calling thread (omp_set_max_active_levels(0), looked up at
 * run time): open each engine in the worker thread that uses it. Setting OMP_THREAD_LIMIT=1
 * in the environment before the program starts does the same for the whole process.
 *
 * Language data: tessdata_dir, else $TESSDATA_PREFIX, else DG_OCR_DEFAULT_TESSDATA. It
 * needs osd, chi_sim, chi_tra and eng for the automatic choice.
 */
#ifndef DG_OCR_H
#define DG_OCR_H

#include <stddef.h>

#include "../base/status.h"

struct Pix; /* Leptonica's PIX */

#define DG_OCR_DEFAULT_TESSDATA "/usr/share/tesseract-ocr/5/tessdata"

/* The language models the automatic choice picks from. */
#define DG_OCR_LANG_SIMPLIFIED "chi_sim"
#define DG_OCR_LANG_TRADITIONAL "chi_tra"
#define DG_OCR_LANG_ENGLISH "eng"

/* One recognised word (for Chinese usually one character or a short run of them). */
typedef struct dg_ocr_word {
    int x, y, w, h;   /* box in the original page image's pixels, origin top left */
    int confidence;   /* 0..100 */
    char *text;       /* UTF-8 */
} dg_ocr_word;

/* What OCR made of one page; free with dg_ocr_result_free(). */
typedef struct dg_ocr_result {
    char *text;           /* UTF-8, lines separated by '\n' */
    int confidence;       /* mean word confidence 0..100 (0 when nothing was recognised) */
    char lang[64];        /* the model(s) used, e.g. "chi_tra" */
    int rotation;         /* degrees (0, 90, 180, 270) the page was turned CLOCKWISE */
    float skew;           /* degrees of skew measured after the turn (0: none found) */
    int deskewed;         /* 1 when the page was read turned straight by skew degrees,
                           * 0 when as it lay (see "Skew" above) */
    dg_ocr_word *words;
    size_t word_count;
    int lang_sure;        /* 1 when lang was measured on the page's text (or the record's
                           * script was given); 0 when forced or a guess (no text lines) */
    char lang_reason[128]; /* why lang, in words, e.g. "2 lines, 14 script pairs: ..." */
    double seconds_cleanup;     /* clean-up, line finding and orientation (OSD if asked) */
    double seconds_choice;      /* reading sample lines (orientation probe and language) */
    double seconds_recognition; /* reading the page */
} dg_ocr_result;

typedef struct dg_ocr dg_ocr;

/*
 * Opens an OCR engine for the calling thread. tessdata_dir may be NULL (see above). The
 * language models are loaded on first use; dg_ocr_open() only checks that OSD's model
 * is there.
 * Fails with DG_ERR_IO when the language data cannot be found.
 */
dg_status dg_ocr_open(dg_ocr **out, const char *tessdata_dir, dg_error *err);

/* Closes an engine; NULL is allowed. */
void dg_ocr_close(dg_ocr *ocr);

/*
 * Reads the text of page image pix (any depth Leptonica can turn into grey; the caller
 * keeps pix, which is not changed). lang is a Tesseract language string such as "chi_tra"
 * or "chi_sim+eng" to force, or NULL or "" to let dangan choose per page. name is used in
 * messages ("scan.tif: page 3"). A language whose model is missing is DG_ERR_IO; an image
 * Tesseract cannot read is DG_ERR_BAD_INPUT.
 */
dg_status dg_ocr_page(dg_ocr *ocr, struct Pix *pix, const char *lang, const char *name,
                      dg_ocr_result **out, dg_error *err);

/*
 * Like dg_ocr_page() with an automatic choice, for a later page of a record whose earlier
 * page was read with record_script (chi_sim or chi_tra, with lang_sure set): a record is
 * written in one script, so simplified against traditional is not measured again, which
 * saves reading the sample lines twice. English against Chinese is still decided from the
 * page's own lines (an English letter may come with a Chinese attachment). record_script
 * NULL, or any other value, is the full automatic choice.
 */
dg_status dg_ocr_page_in_record(dg_ocr *ocr, struct Pix *pix, const char *record_script,
                                const char *name, dg_ocr_result **out, dg_error *err);

void dg_ocr_result_free(dg_ocr_result *result);

/*
 * Serialises the word boxes as compact text for storage: one line per word,
 * "x<TAB>y<TAB>w<TAB>h<TAB>confidence<TAB>text\n" (tabs and newlines inside a word
 * become spaces). *out is a new NUL-terminated string the caller frees with free().
 */
dg_status dg_ocr_words_to_tsv(const dg_ocr_result *result, char **out, size_t *out_len,
                              dg_error *err);

/*
 * Parses what dg_ocr_words_to_tsv() wrote back into a word array (*out, *count; free each
 * word's text and the array with dg_ocr_words_free()). A malformed line is DG_ERR_CORRUPT.
 */
dg_status dg_ocr_words_from_tsv(const char *tsv, dg_ocr_word **out, size_t *count,
                                dg_error *err);

void dg_ocr_words_free(dg_ocr_word *words, size_t count);

/*
 * Removes the spaces Tesseract puts between CJK characters, and between a CJK character
 * and a digit or punctuation mark; keeps them between words of Latin script, and between
 * a CJK character and a Latin word ("使用 Xapian 检索"). Newlines are kept. Returns a new
 * string the caller frees, or NULL when out of memory.
 */
char *dg_ocr_remove_cjk_spaces(const char *text);

#endif
