/*
 * lines.c — text lines found by row projection of a page's ink, in milliseconds where
 * Tesseract's layout analysis costs a tenth of a reading: the widest lines for the sample
 * (ocr_find_text_lines), every band of ink for the layout check (ocr_ink_rows), and a line
 * cut out with a margin for reading on its own (ocr_line_crop).
 */
#include "ocr_internal.h"

#include <math.h>
#include <stdlib.h>

/* Text lines: rows with less ink than this share of the fullest row are background; lines
 * lower than MIN_LINE_HEIGHT pixels are specks or rules. */
#define INK_ROW_SHARE 0.03
#define MIN_LINE_HEIGHT 8

static int compare_ints(const void *a, const void *b)
{
    return *(const int *)a - *(const int *)b;
}

/* The ink extent of rows top..end-1 of binary, or 0 when the band is not a text line. */
BOX *ocr_band_box(PIX *binary, int top, int end, int median)
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

/* Keeps the bands that look like text lines (see ocr_find_text_lines), widest first. */
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
    /* The median of the bands that may be lines: a line of one or two characters (the last
     * line of a paragraph, 好) has rows with less ink than the floor and falls apart into
     * slivers a few rows high, and five of them made the median 6 rows on a page of
     * 55-row lines (seed 303's p028), which then had no lines at all. */
    int tall = 0;
    for (int i = 0; i < bands; i++)
        if (end[i] - top[i] >= MIN_LINE_HEIGHT)
            heights[tall++] = end[i] - top[i];
    qsort(heights, (size_t)tall, sizeof *heights, compare_ints);
    int median = tall ? heights[tall / 2] : MIN_LINE_HEIGHT;
    free(heights);
    for (int i = 0; i < bands; i++) {
        BOX *line = ocr_band_box(binary, top[i], end[i], median);
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
int ocr_ink_bands(NUMA *rows, double floor, int merge_gap, int *top, int *end)
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
        bands = ocr_ink_bands(rows, fmax(2.0, fullest * INK_ROW_SHARE), 2, *top, *end);
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
BOXA *ocr_find_text_lines(PIX *binary, int max)
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
BOXA *ocr_ink_rows(PIX *binary)
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

/* The text line at box of page with a margin around it (the box hugs the ink; recognition
 * needs some white around the line), or NULL. *left and *top get the crop's origin. */
PIX *ocr_line_crop(PIX *page, BOX *box, int *left, int *top)
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
