/*
 * lost_lines.c — lines Tesseract's page reading left out, read on their own and put into
 * the text where their height puts them: a line the layout analysis dropped, or kept only a
 * part of, which the reading then replaces (ocr_recover_lost_lines), and, on a colour page,
 * the red print lifted off it with the seal (ocr_red_print, ocr_read_red_lines).
 */
#include "ocr_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Lost lines (ocr_recover_lost_lines): an ink band the recognised lines do not cover
 * (ocr_band_is_covered) is read on its own
 * when its ink is at least MIN_LOST_LINE_POINTS high (small print) with ink
 * darker than LOST_LINE_INK_THRESHOLD, and kept when it reads with at least
 * MIN_LOST_LINE_CONF. A page has at most MAX_PAGE_LINES lines. */
#define MIN_LOST_LINE_POINTS 5
#define LOST_LINE_INK_THRESHOLD 128
#define MIN_LOST_LINE_CONF 50
#define MAX_PAGE_LINES 1000

/* Red print (ocr_read_red_lines): a page with at least MIN_RED_PIXELS of red ink has its red
 * lines of text read on their own; a red band is a line of text when it is
 * MIN_RED_LINE_POINTS to MAX_RED_LINE_POINTS high (a date stamp's small print up to a 红头
 * header's 二号 characters, about 22 pt, with room for descenders) and clearly wider than
 * high; a seal, round or square and 1.5 inches across, is neither. */
#define MIN_RED_PIXELS 500
#define MIN_RED_LINE_POINTS 6
#define MAX_RED_LINE_POINTS 40

/*
 * 1 when the recognised lines cover band: lines over most of its height hold at least
 * half of the band's ink columns (ink: the page's text ink, in the frame of page). A line
 * merely touching the band is not enough: Tesseract's layout now and then keeps one speck
 * of a text line as a line of its own ("4" for a line of 22 characters) and drops the rest;
 * a line split into parts (a label, a gap, a date) still has all its ink covered.
 */
int ocr_band_is_covered(BOXA *lines, PIX *ink, BOX *band)
{
    l_int32 bx, by, bw, bh;
    boxGetGeometry(band, &bx, &by, &bw, &bh);
    PIX *crop = pixClipRectangle(ink, band, NULL);
    NUMA *cols = crop ? pixCountPixelsByColumn(crop) : NULL;
    pixDestroy(&crop);
    int n = lines ? boxaGetCount(lines) : 0, width = cols ? numaGetCount(cols) : 0;
    int inked = 0, covered = 0;
    for (int col = 0; col < width; col++) {
        l_float32 v = 0;
        if (numaGetFValue(cols, col, &v) != 0 || v <= 0)
            continue;
        inked++;
        for (int i = 0; i < n; i++) {
            l_int32 x, y, w, h;
            if (boxaGetBoxGeometry(lines, i, &x, &y, &w, &h) != 0)
                continue;
            int over_y = (y + h < by + bh ? y + h : by + bh) - (y > by ? y : by);
            if (2 * over_y >= bh && bx + col >= x && bx + col < x + w) {
                covered++;
                break;
            }
        }
    }
    int measured = cols != NULL;
    numaDestroy(&cols);
    return !measured || 2 * covered >= inked;
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
 * stays in api for ocr_collect_words until TessBaseAPIClear.
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
 * Reads band of page as one line with api: *line gets its text, words its words and
 * *read_at their boxes on page (NULL and none when nothing usable was read). Tesseract's
 * single-line mode still runs its own line finding, which can reject the very line the page
 * layout lost (the tight title read as nothing); its raw-line mode takes the crop as the
 * line.
 */
static dg_status read_lost_line(TessBaseAPI *api, PIX *page, const cleanup *c, BOX *band,
                                dg_ocr_result *words, BOXA **read_at, char **line,
                                dg_error *err)
{
    *line = NULL;
    *read_at = NULL;
    int left, top;
    PIX *crop = ocr_line_crop(page, band, &left, &top);
    if (!crop)
        return DG_OK;
    int failed = 0;
    char *text = read_crop(api, crop, c->dpi, PSM_SINGLE_LINE, &failed);
    if (!text && !failed)
        text = read_crop(api, crop, c->dpi, PSM_RAW_LINE, &failed);
    dg_status status = failed ? dg_error_set(err, DG_ERR_NOMEM, "OCR: out of memory") : DG_OK;
    if (text)
        status = ocr_collect_words(api, c, left, top, words, err);
    if (text && status == DG_OK && !(*read_at = ocr_word_boxes(api, left, top)))
        status = dg_error_set(err, DG_ERR_NOMEM, "OCR: out of memory");
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

/* The byte span (*at, *len, without its '\n') of nonblank line number `line` of text; 0
 * when text has fewer nonblank lines. */
static int line_span(const char *text, int line, size_t *at, size_t *len)
{
    size_t pos = 0, n = strlen(text);
    for (int seen = 0; pos < n;) {
        size_t end = strcspn(text + pos, "\n");
        char first = text[pos + strspn(text + pos, " ")];
        if (first != '\n' && first != '\0' && seen++ == line) {
            *at = pos;
            *len = end;
            return 1;
        }
        pos += end + (text[pos + end] == '\n');
    }
    return 0;
}

/* How many nonblank lines text has. */
static int nonblank_lines(const char *text)
{
    int count = 0;
    for (const char *at = text; *at;) {
        size_t end = strcspn(at, "\n");
        char first = at[strspn(at, " ")];
        count += first != '\n' && first != '\0';
        at += end + (at[end] == '\n');
    }
    return count;
}

/* Characters of nonblank line number `line` of text, spaces not counted. */
static int line_characters(const char *text, int line)
{
    size_t at, len;
    int count = 0;
    if (line_span(text, line, &at, &len))
        for (size_t i = at; i < at + len; i++)
            count += text[i] != ' ' && ((unsigned char)text[i] & 0xC0) != 0x80;
    return count;
}

/* Replaces nonblank line number `line` of *text by with (with NULL, removes it and its
 * '\n'). */
static dg_status replace_text_line(char **text, int line, const char *with, dg_error *err)
{
    size_t at, old, len = strlen(*text);
    if (!line_span(*text, line, &at, &old))
        return DG_OK;
    if (!with && at + old < len)
        old++; /* the line's '\n' goes with it */
    size_t add = with ? strlen(with) : 0;
    char *joined = malloc(len - old + add + 1);
    if (!joined)
        return dg_error_set(err, DG_ERR_NOMEM, "OCR: out of memory");
    memcpy(joined, *text, at);
    if (add)
        memcpy(joined + at, with, add);
    memcpy(joined + at + add, *text + at + old, len - at - old + 1);
    free(*text);
    *text = joined;
    return DG_OK;
}

/*
 * 1 when recognised line `line` is a part of band: it lies on the band's rows (at least
 * half of its height within them, its middle inside). Such a line is what the layout kept
 * of a band it did not cover (a speck, a few characters of the line's start).
 */
static int is_part_of(BOX *line, BOX *band)
{
    l_int32 x, y, w, h, bx, by, bw, bh;
    if (boxGetGeometry(line, &x, &y, &w, &h) != 0 || boxGetGeometry(band, &bx, &by, &bw, &bh) != 0)
        return 0;
    int over = (y + h < by + bh ? y + h : by + bh) - (y > by ? y : by);
    return 2 * over >= h && 2 * y + h >= 2 * by && 2 * y + h < 2 * (by + bh);
}

/* Adds the words of a line read again (line_words, emptied) to r's words. */
static dg_status add_words(dg_ocr_result *r, dg_ocr_result *line_words, dg_error *err)
{
    size_t added = line_words->word_count;
    if (added == 0)
        return DG_OK;
    dg_ocr_word *grown = realloc(r->words, (r->word_count + added) * sizeof *grown);
    if (!grown)
        return dg_error_set(err, DG_ERR_NOMEM, "OCR: out of memory");
    memcpy(grown + r->word_count, line_words->words, added * sizeof *grown);
    r->words = grown;
    r->word_count += added;
    free(line_words->words); /* the words' texts are r's now */
    line_words->words = NULL;
    line_words->word_count = 0;
    return DG_OK;
}

/*
 * Puts line (the text of band read again, words its words, read_at their boxes) into r in
 * place of the recognised lines that are parts of band (is_part_of): the first part's text
 * line gets line's text, the other parts' text lines go, and so do all the parts' words, so
 * that the text, the words and their boxes (the search highlights) say the same. recognised
 * keeps the order of r's nonblank text lines: band takes the first part's place. Returns
 * with *done 0, leaving r as it was, when band has no parts; a reading with no more
 * characters than the parts together (a worse reading of what the layout kept) is
 * dropped, with *done 1.
 */
static dg_status replace_parts(recognised_lines *recognised, BOX *band, const char *line,
                               dg_ocr_result *words, BOXA **read_at, const cleanup *c,
                               dg_ocr_result *r, int *done, dg_error *err)
{
    *done = 0;
    int n = boxaGetCount(recognised->boxes), first = -1, kept = 0;
    /* Line i is text line i only while both have as many lines; else nothing is replaced. */
    if (nonblank_lines(r->text) != n || boxaaGetCount(recognised->words) != n)
        return DG_OK;
    for (int i = 0; i < n; i++) {
        BOX *box = boxaGetBox(recognised->boxes, i, L_CLONE);
        if (box && is_part_of(box, band)) {
            first = first < 0 ? i : first;
            kept += line_characters(r->text, i);
        }
        boxDestroy(&box);
    }
    if (first < 0)
        return DG_OK;
    *done = 1;
    if (line_characters(line, 0) <= kept)
        return DG_OK;
    dg_status status = DG_OK;
    for (int i = n - 1; i >= first && status == DG_OK; i--) {
        BOX *box = boxaGetBox(recognised->boxes, i, L_CLONE);
        if (box && is_part_of(box, band)) {
            BOXA *part_words = boxaaGetBoxa(recognised->words, i, L_CLONE);
            ocr_drop_words_read_at(r, c, part_words);
            boxaDestroy(&part_words);
            status = replace_text_line(&r->text, i, i == first ? line : NULL, err);
            if (status == DG_OK && i == first) {
                boxaReplaceBox(recognised->boxes, i, boxCopy(band));
                boxaaReplaceBoxa(recognised->words, i, *read_at);
                *read_at = NULL;
            } else if (status == DG_OK) {
                boxaRemoveBox(recognised->boxes, i);
                boxaaRemoveBoxa(recognised->words, i);
            }
        }
        boxDestroy(&box);
    }
    return status == DG_OK ? add_words(r, words, err) : status;
}

/*
 * Reads band of page as one line (read_lost_line) and, when it reads, puts it into r: in
 * place of what the layout kept of it when parts is set (replace_parts), else its text
 * where its height puts it among the recognised lines, and its words beside r's words.
 * The band joins recognised at its text line's place.
 */
static dg_status put_line_back(TessBaseAPI *api, PIX *page, const cleanup *c, BOX *band,
                               recognised_lines *recognised, int parts, dg_ocr_result *r,
                               dg_error *err)
{
    char *line = NULL;
    dg_ocr_result words = {0};
    BOXA *read_at = NULL;
    dg_status status = read_lost_line(api, page, c, band, &words, &read_at, &line, err);
    int done = 0;
    if (status == DG_OK && line && parts)
        status = replace_parts(recognised, band, line, &words, &read_at, c, r, &done, err);
    int at = lines_above(recognised->boxes, band);
    if (status == DG_OK && line && !done)
        status = insert_line(&r->text, at, line, err);
    if (status == DG_OK && line && !done)
        status = add_words(r, &words, err);
    if (status == DG_OK && line && !done) {
        boxaInsertBox(recognised->boxes, at, boxCopy(band));
        boxaaInsertBoxa(recognised->words, at, read_at);
        read_at = NULL;
    }
    boxaDestroy(&read_at);
    dg_ocr_words_free(words.words, words.word_count);
    free(line);
    return status;
}

/*
 * Tesseract's layout analysis now and then drops a whole text line, often a title on a
 * page with tight line spacing (seen with a title over five body lines, deskewed by half a
 * degree). The row projection of ocr_find_text_lines still sees the line's ink band: each band
 * no recognised line covers, with ink enough to be text, is read on its own as a single
 * line, and its text goes into r->text where its height puts it, its words into r->words.
 * On a page where nothing is missing this costs one projection, a few milliseconds.
 */
dg_status ocr_recover_lost_lines(TessBaseAPI *api, PIX *page, PIX *ink, const cleanup *c,
                                 recognised_lines *recognised, dg_ocr_result *r,
                                 dg_error *err)
{
    BOXA *found = ocr_find_text_lines(ink, MAX_PAGE_LINES);
    BOXA *bands = found ? boxaSort(found, L_SORT_BY_Y, L_SORT_INCREASING, NULL) : NULL;
    boxaDestroy(&found);
    dg_status status = DG_OK;
    int n = bands ? boxaGetCount(bands) : 0;
    for (int i = 0; i < n && status == DG_OK; i++) {
        BOX *band = boxaGetBox(bands, i, L_CLONE);
        if (band && !ocr_band_is_covered(recognised->boxes, ink, band) &&
            band_has_text_ink(page, c->dpi, band))
            status = put_line_back(api, page, c, band, recognised, 1, r, err);
        boxDestroy(&band);
    }
    boxaDestroy(&bands);
    return status;
}

PIX *ocr_red_print(PIX *red_ink, long red_pixels)
{
    return red_pixels >= MIN_RED_PIXELS ? red_ink : NULL;
}

/*
 * The red ink (dg_seal_gray's mask of the page as it came) as 8 bpp, black on white, turned
 * and deskewed as c says the cleaned-up page was, so its lines lie where the page's do.
 * NULL when memory ran out.
 */
static PIX *red_page(PIX *red_ink, const cleanup *c)
{
    PIX *page = pixConvert1To8(NULL, red_ink, 255, 0);
    if (page && c->quads)
        ocr_replace_pix(&page, pixRotateOrth(page, c->quads));
    if (page && c->skew != 0)
        ocr_replace_pix(&page, pixRotate(page, (l_float32)(c->skew * M_PI / 180.0),
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
    int bands = lines ? ocr_ink_bands(rows, 1, 0, top, end) : 0;
    for (int i = 0; i < bands; i++) {
        int h = end[i] - top[i];
        BOX *line = h >= lowest && h <= highest ? ocr_band_box(binary, top[i], end[i], h) : NULL;
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
dg_status ocr_read_red_lines(TessBaseAPI *api, PIX *red_ink, const cleanup *c,
                             recognised_lines *recognised, dg_ocr_result *r, dg_error *err)
{
    PIX *red = red_page(red_ink, c);
    BOXA *bands = red ? red_text_lines(red, c->dpi) : NULL;
    dg_status status = DG_OK;
    int n = bands ? boxaGetCount(bands) : 0;
    for (int i = 0; i < n && status == DG_OK; i++) {
        BOX *band = boxaGetBox(bands, i, L_CLONE);
        if (band)
            status = put_line_back(api, red, c, band, recognised, 0, r, err);
        boxDestroy(&band);
    }
    boxaDestroy(&bands);
    pixDestroy(&red);
    return status;
}
