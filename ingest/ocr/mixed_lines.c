/*
 * mixed_lines.c — Chinese lines on a page read with eng (ocr_read_mixed_lines): an English
 * letter or form under a school's Chinese name, a Chinese heading or signature. The page's
 * sample (its widest lines) reads as letters, so eng reads the whole page, and eng makes of
 * a line of Han characters a few letters of noise ("AAR aS" for 清河縣實驗中學). Such a line
 * is one eng is unsure of: each line eng read with a confidence under MIXED_LINE_CONF is
 * read again on its own with chi_sim (loaded already: it read the sample), and when chi_sim
 * reads Han characters there, chi_tra reads it too and the two readings are compared as the
 * page's choice compares its sample lines (ocr_line_script, language.c). The line's text
 * and words become those of the chosen model; both Chinese models read the Latin letters of
 * a mixed line ("办公室 Office") as well as eng does.
 */
#include "ocr_internal.h"

#include <stdlib.h>
#include <string.h>

/*
 * Lines eng read with a mean word confidence under MIXED_LINE_CONF are read again with
 * chi_sim. On the English and English-with-Chinese-heading pages of the tuning sets
 * (bench/make-ocr-pages.py seeds 4242, 7 and 13), eng read the Chinese headings at 33-64 and
 * its English lines at 67 or more, nearly all above 85: an English page has a line read
 * again about once in three pages, at the cost of one line's reading.
 */
#define MIXED_LINE_CONF 70
/* chi_sim's reading of such a line is Chinese when it has at least MIXED_MIN_HAN Han
 * characters and more than a quarter as many as letters (a Han character says about as
 * much as a word of four letters, as in language.c's English test). */
#define MIXED_MIN_HAN 2

/* A line of the page eng was unsure of. */
typedef struct unsure_line {
    BOX *box;         /* in the read page's pixels */
    int line;         /* its number among the text's nonblank lines */
    size_t first_word, end_word; /* its words in r->words */
} unsure_line;

/* A line read again with one model: the characters (for the script test), its text, and
 * its words with their boxes on the original page. */
typedef struct line_again {
    line_read symbols;
    char *text;
    dg_ocr_result words; /* only words and word_count are used */
} line_again;

static void line_again_free(line_again *l)
{
    free(l->text);
    dg_ocr_words_free(l->words.words, l->words.word_count);
    memset(l, 0, sizeof *l);
}

/* 1 when word (a word of api's reading) counts as one of r's words, as ocr_collect_words
 * counts them, and as text, as page_text counts it. */
static void count_word(const TessPageIterator *pit, const char *word, size_t *words, int *text)
{
    int x0, y0, x1, y1;
    if (word && *word && TessPageIteratorBoundingBox(pit, RIL_WORD, &x0, &y0, &x1, &y1)) {
        (*words)++;
        if (word[strspn(word, " ")] != '\0')
            *text = 1;
    }
}

/*
 * The lines of api's reading whose confidence is under MIXED_LINE_CONF, with where their
 * text and words lie in the reading (page_text, ocr_collect_words), into *out (*count).
 */
static dg_status unsure_lines(TessBaseAPI *api, unsure_line **out, int *count, dg_error *err)
{
    *out = NULL;
    *count = 0;
    TessResultIterator *it = TessBaseAPIGetIterator(api);
    if (!it)
        return DG_OK;
    const TessPageIterator *pit = TessResultIteratorGetPageIteratorConst(it);
    int cap = 0, line = 0, has_text = 0;
    size_t words = 0, first_word = 0;
    float conf = 100;
    BOX *box = NULL;
    dg_status status = DG_OK;
    do {
        if (TessPageIteratorIsAtBeginningOf(pit, RIL_TEXTLINE)) {
            int x0, y0, x1, y1;
            boxDestroy(&box);
            if (TessPageIteratorBoundingBox(pit, RIL_TEXTLINE, &x0, &y0, &x1, &y1))
                box = boxCreate(x0, y0, x1 - x0, y1 - y0);
            conf = TessResultIteratorConfidence(it, RIL_TEXTLINE);
            first_word = words;
            has_text = 0;
        }
        char *word = TessResultIteratorGetUTF8Text(it, RIL_WORD);
        count_word(pit, word, &words, &has_text);
        if (word)
            TessDeleteText(word);
        if (!TessPageIteratorIsAtFinalElement(pit, RIL_TEXTLINE, RIL_WORD))
            continue;
        if (has_text && box && conf < MIXED_LINE_CONF) {
            if (*count == cap) {
                cap = cap ? 2 * cap : 4;
                unsure_line *grown = realloc(*out, (size_t)cap * sizeof *grown);
                if (!grown) {
                    status = dg_error_set(err, DG_ERR_NOMEM, "OCR: out of memory");
                    break;
                }
                *out = grown;
            }
            (*out)[(*count)++] = (unsure_line){box, line, first_word, words};
            box = NULL;
        }
        line += has_text;
        has_text = 0;
    } while (TessResultIteratorNext(it, RIL_WORD));
    TessResultIteratorDelete(it);
    boxDestroy(&box);
    return status;
}

/* Reads crop (at (left, top) of the page, cleaned up as c says) as one line with api into
 * out. */
static dg_status read_again(TessBaseAPI *api, PIX *crop, const cleanup *c, int left, int top,
                            line_again *out, dg_error *err)
{
    memset(out, 0, sizeof *out);
    dg_status status = DG_OK;
    if (ocr_read_line_symbols(api, crop, c->dpi, &out->symbols)) {
        char *raw = TessBaseAPIGetUTF8Text(api);
        out->text = raw ? dg_ocr_remove_cjk_spaces(raw) : NULL;
        if (raw)
            TessDeleteText(raw);
        if (!out->text)
            status = dg_error_set(err, DG_ERR_NOMEM, "OCR: out of memory");
        else
            out->text[strcspn(out->text, "\n")] = '\0';
        if (status == DG_OK)
            status = ocr_collect_words(api, c, left, top, &out->words, err);
    }
    ocr_end_line_read(api);
    return status;
}

/* 1 when a line chi_sim read again is Chinese (see MIXED_MIN_HAN). */
static int reads_as_han(const line_read *l)
{
    return l->han >= MIXED_MIN_HAN && 4 * l->han > l->latin;
}

/* Replaces the text of nonblank line number `line` of *text by with. */
static dg_status replace_line(char **text, int line, const char *with, dg_error *err)
{
    size_t at = 0, len = strlen(*text);
    for (int seen = 0; at < len;) {
        size_t end = strcspn(*text + at, "\n");
        char first = (*text)[at + strspn(*text + at, " ")];
        if (first != '\n' && first != '\0' && seen++ == line)
            break;
        at += end + ((*text)[at + end] == '\n');
    }
    if (at >= len)
        return DG_OK;
    size_t old = strcspn(*text + at, "\n"), add = strlen(with);
    char *joined = malloc(len - old + add + 1);
    if (!joined)
        return dg_error_set(err, DG_ERR_NOMEM, "OCR: out of memory");
    memcpy(joined, *text, at);
    memcpy(joined + at, with, add);
    memcpy(joined + at + add, *text + at + old, len - at - old + 1);
    free(*text);
    *text = joined;
    return DG_OK;
}

/* Puts the line's reading `chosen` in place of eng's words u->first_word..end_word of r
 * (its new words go to the end, as lost lines' words do). */
static dg_status swap_words(dg_ocr_result *r, const unsure_line *u, line_again *chosen,
                            dg_error *err)
{
    size_t gone = u->end_word - u->first_word, added = chosen->words.word_count;
    for (size_t i = u->first_word; i < u->end_word; i++)
        free(r->words[i].text);
    memmove(r->words + u->first_word, r->words + u->end_word,
            (r->word_count - u->end_word) * sizeof *r->words);
    r->word_count -= gone;
    if (added == 0)
        return DG_OK;
    dg_ocr_word *grown = realloc(r->words, (r->word_count + added) * sizeof *grown);
    if (!grown)
        return dg_error_set(err, DG_ERR_NOMEM, "OCR: out of memory");
    memcpy(grown + r->word_count, chosen->words.words, added * sizeof *grown);
    r->words = grown;
    r->word_count += added;
    free(chosen->words.words); /* the words' texts are r's now */
    chosen->words.words = NULL;
    chosen->words.word_count = 0;
    return DG_OK;
}

/* Reads line u of page again (see the top of this file) and, when it is Chinese, puts the
 * chosen model's reading into r. */
static dg_status read_line_again(dg_ocr *ocr, PIX *page, const cleanup *c,
                                 const unsure_line *u, dg_ocr_result *r, dg_error *err)
{
    int left, top;
    PIX *crop = ocr_line_crop(page, u->box, &left, &top);
    if (!crop)
        return DG_OK;
    line_again sim = {0}, tra = {0};
    TessBaseAPI *api;
    dg_status status = ocr_engine_get(ocr, DG_OCR_LANG_SIMPLIFIED, &api, err);
    if (status == DG_OK)
        status = read_again(api, crop, c, left, top, &sim, err);
    int han = status == DG_OK && reads_as_han(&sim.symbols);
    if (han)
        status = ocr_engine_get(ocr, DG_OCR_LANG_TRADITIONAL, &api, err);
    if (han && status == DG_OK)
        status = read_again(api, crop, c, left, top, &tra, err);
    const char *lang = DG_OCR_LANG_SIMPLIFIED;
    if (han && status == DG_OK)
        status = ocr_line_script(ocr, &sim.symbols, &tra.symbols, &lang, err);
    line_again *chosen = strcmp(lang, DG_OCR_LANG_TRADITIONAL) == 0 ? &tra : &sim;
    if (han && status == DG_OK)
        status = replace_line(&r->text, u->line, chosen->text, err);
    if (han && status == DG_OK)
        status = swap_words(r, u, chosen, err);
    line_again_free(&sim);
    line_again_free(&tra);
    pixDestroy(&crop);
    return status;
}

/*
 * On a page api read with eng (page, cleaned up as c says; r holds its text and words),
 * reads the lines eng was unsure of again with the Chinese models and puts the Chinese
 * ones in (see the top of this file). Call it before api's reading is cleared.
 */
dg_status ocr_read_mixed_lines(dg_ocr *ocr, TessBaseAPI *api, PIX *page, const cleanup *c,
                               dg_ocr_result *r, dg_error *err)
{
    unsure_line *lines;
    int count;
    dg_status status = unsure_lines(api, &lines, &count, err);
    /* Last line first: a line's words leave r->words, which moves those after them. */
    for (int i = count - 1; i >= 0 && status == DG_OK; i--)
        status = read_line_again(ocr, page, c, &lines[i], r, err);
    for (int i = 0; i < count; i++)
        boxDestroy(&lines[i].box);
    free(lines);
    return status;
}
