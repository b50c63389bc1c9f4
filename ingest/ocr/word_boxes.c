/*
 * word_boxes.c — the words Tesseract read, with their boxes mapped back onto the original
 * image (ocr_collect_words): the page was cleaned up (turned, deskewed, cropped) before it
 * was read, and a word's box must point at the scan the archive keeps. Used for the page
 * (recognise.c) and for the lines read again (lost_lines.c, mixed_lines.c), and their
 * lifetime (dg_ocr_words_free), which every reader of words shares.
 */
#include "ocr_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

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

size_t ocr_drop_words_read_at(dg_ocr_result *r, const cleanup *c, BOXA *read_at)
{
    size_t dropped = 0;
    int n = read_at ? boxaGetCount(read_at) : 0;
    for (int i = 0; i < n; i++) {
        l_int32 x, y, w, h;
        if (boxaGetBoxGeometry(read_at, i, &x, &y, &w, &h) != 0)
            continue;
        dg_ocr_word where;
        map_box(c, &where, x, y, x + w, y + h);
        for (size_t k = 0; k < r->word_count; k++) {
            dg_ocr_word *word = &r->words[k];
            if (word->x == where.x && word->y == where.y && word->w == where.w &&
                word->h == where.h) {
                free(word->text);
                memmove(word, word + 1, (r->word_count - k - 1) * sizeof *word);
                r->word_count--;
                dropped++;
                break;
            }
        }
    }
    return dropped;
}

/* 1 when api's iterator is at a word ocr_collect_words takes (text and a box); *box gets
 * the box and *text whether it holds more than spaces. */
static int collected_word(TessResultIterator *it, BOX **box, int *text)
{
    char *word = TessResultIteratorGetUTF8Text(it, RIL_WORD);
    int x0, y0, x1, y1, taken = 0;
    const TessPageIterator *pit = TessResultIteratorGetPageIteratorConst(it);
    if (word && *word && TessPageIteratorBoundingBox(pit, RIL_WORD, &x0, &y0, &x1, &y1)) {
        *box = boxCreate(x0, y0, x1 - x0, y1 - y0);
        *text = word[strspn(word, " ")] != '\0';
        taken = 1;
    }
    if (word)
        TessDeleteText(word);
    return taken;
}

BOXA *ocr_word_boxes(TessBaseAPI *api, int dx, int dy)
{
    TessResultIterator *it = TessBaseAPIGetIterator(api);
    BOXA *boxes = boxaCreate(16);
    if (!it)
        return boxes;
    do {
        BOX *box = NULL;
        int text;
        if (boxes && collected_word(it, &box, &text) && box) {
            boxTransform(box, dx, dy, 1.0f, 1.0f);
            boxaAddBox(boxes, box, L_INSERT);
        }
    } while (TessResultIteratorNext(it, RIL_WORD));
    TessResultIteratorDelete(it);
    return boxes;
}

void ocr_lines_free(recognised_lines *lines)
{
    boxaDestroy(&lines->boxes);
    boxaaDestroy(&lines->words);
}

/*
 * The text lines api recognised on the page, top to bottom as the text has them, with their
 * words' boxes: a line without text is left out, as page_text (recognise.c) leaves it out,
 * so line i is the text's nonblank line i. Both NULL when out of memory.
 */
recognised_lines ocr_recognised_lines(TessBaseAPI *api)
{
    recognised_lines lines = {boxaCreate(16), boxaaCreate(16)};
    TessResultIterator *it = TessBaseAPIGetIterator(api);
    if (!it || !lines.boxes || !lines.words) {
        if (it)
            TessResultIteratorDelete(it);
        ocr_lines_free(&lines);
        return lines;
    }
    const TessPageIterator *pit = TessResultIteratorGetPageIteratorConst(it);
    BOX *line = NULL;
    BOXA *words = NULL;
    int has_text = 0;
    do {
        if (TessPageIteratorIsAtBeginningOf(pit, RIL_TEXTLINE)) {
            int x0, y0, x1, y1;
            boxDestroy(&line);
            boxaDestroy(&words);
            if (TessPageIteratorBoundingBox(pit, RIL_TEXTLINE, &x0, &y0, &x1, &y1))
                line = boxCreate(x0, y0, x1 - x0, y1 - y0);
            words = boxaCreate(8);
            has_text = 0;
        }
        BOX *box = NULL;
        int text = 0;
        if (collected_word(it, &box, &text) && box && words)
            boxaAddBox(words, box, L_INSERT);
        else
            boxDestroy(&box);
        has_text |= text;
        if (TessPageIteratorIsAtFinalElement(pit, RIL_TEXTLINE, RIL_WORD) && has_text && line &&
            words) {
            boxaAddBox(lines.boxes, line, L_INSERT);
            boxaaAddBoxa(lines.words, words, L_INSERT);
            line = NULL;
            words = NULL;
        }
    } while (TessResultIteratorNext(it, RIL_WORD));
    TessResultIteratorDelete(it);
    boxDestroy(&line);
    boxaDestroy(&words);
    return lines;
}

/* Adds the words api recognised to r; (dx, dy) is where api's image lies on the page. */
dg_status ocr_collect_words(TessBaseAPI *api, const cleanup *c, int dx, int dy,
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

void dg_ocr_words_free(dg_ocr_word *words, size_t count)
{
    if (!words)
        return;
    for (size_t i = 0; i < count; i++)
        free(words[i].text);
    free(words);
}
