/*
 * recognise.c — the reading of a page with its chosen model (ocr_recognise): its text laid
 * out as Tesseract lays it out, with the spaces between CJK characters decided by the gaps
 * on the paper; its word boxes collected (word_boxes.c); then the lines the layout lost and
 * the red print put back (lost_lines.c).
 */
#include "ocr_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../base/chars.h"
#include "../../base/utf8.h"

/* Between two words of a line, a gap wider than WIDE_GAP_HEIGHTS times the line's height is
 * a space on the paper (table cells, a form's label and its entry, a signature set apart)
 * and stays a space even between Chinese characters, whose own spacing is a fifth of a
 * character or less. Tesseract's boxes of single Chinese characters are rough (a 组 came
 * back 7 pixels wide on a 52-pixel line), so the margin is wide: at 0.8 line heights two
 * body lines of a generated notice got false spaces; at 2.0, 2 places in 42 bench pages,
 * all on pages read with many errors. */
#define WIDE_GAP_HEIGHTS 2.0

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
                if (wide || !ocr_space_is_noise(before, after))
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
dg_status ocr_recognise(dg_ocr *ocr, TessBaseAPI *api, PIX *page, PIX *ink, PIX *red_ink,
                        const cleanup *c, const char *lang, const char *name, dg_ocr_result *r,
                        dg_error *err)
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
        status = ocr_collect_words(api, c, 0, 0, r, err);
    /* A page the sample measured as English may still have Chinese lines (a heading). */
    if (status == DG_OK && r->lang_sure && strcmp(lang, DG_OCR_LANG_ENGLISH) == 0)
        status = ocr_read_mixed_lines(ocr, api, page, c, r, err);
    recognised_lines recognised = {NULL, NULL};
    if (status == DG_OK)
        recognised = ocr_recognised_lines(api);
    if (status == DG_OK && !recognised.boxes)
        status = dg_error_set(err, DG_ERR_NOMEM, "OCR: out of memory");
    TessBaseAPIClear(api);
    if (status == DG_OK)
        status = ocr_recover_lost_lines(api, page, ink, c, &recognised, r, err);
    if (status == DG_OK && red_ink)
        status = ocr_read_red_lines(api, red_ink, c, &recognised, r, err);
    ocr_lines_free(&recognised);
    return status;
}
