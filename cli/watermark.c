/*
 * watermark.c — scaling a page and drawing the reader's watermark into it.
 */
#include "watermark.h"

#include <ft2build.h>
#include FT_FREETYPE_H
#include <leptonica/allheaders.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../base/utf8.h"

static const char *const FONTS[] = {
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
};

dg_status dg_watermark_font_find(const char *given, char *path, size_t size, dg_error *err)
{
    if (given && *given) {
        if (access(given, R_OK) != 0)
            return dg_error_set(err, DG_ERR_NOT_FOUND, "%s: the watermark font cannot be read",
                                given);
        snprintf(path, size, "%s", given);
        return DG_OK;
    }
    for (size_t i = 0; i < sizeof FONTS / sizeof FONTS[0]; i++)
        if (access(FONTS[i], R_OK) == 0) {
            snprintf(path, size, "%s", FONTS[i]);
            return DG_OK;
        }
    return dg_error_set(err, DG_ERR_NOT_FOUND,
                        "no font for page watermarks (install fonts-noto-cjk, or give "
                        "--http-font FILE); tried %s and others", FONTS[0]);
}

/* Where and how a glyph run is drawn. */
typedef struct ink {
    PIX *pix;
    FT_Face face;
    l_uint32 rgb[3];
    double opacity; /* 0..1 at full glyph coverage */
} ink;

static void blend_pixel(l_uint32 *px, const ink *k, double a)
{
    l_int32 r, g, b;
    extractRGBValues(*px, &r, &g, &b);
    r = (l_int32)(r * (1 - a) + k->rgb[0] * a);
    g = (l_int32)(g * (1 - a) + k->rgb[1] * a);
    b = (l_int32)(b * (1 - a) + k->rgb[2] * a);
    composeRGBPixel(r, g, b, px);
}

static void draw_bitmap(const ink *k, const FT_Bitmap *bm, int x0, int y0)
{
    l_int32 w = pixGetWidth(k->pix), h = pixGetHeight(k->pix), wpl = pixGetWpl(k->pix);
    l_uint32 *data = pixGetData(k->pix);
    for (unsigned row = 0; row < bm->rows; row++) {
        int y = y0 + (int)row;
        if (y < 0 || y >= h)
            continue;
        for (unsigned col = 0; col < bm->width; col++) {
            int x = x0 + (int)col;
            unsigned char cover = bm->buffer[row * (unsigned)bm->pitch + col];
            if (x >= 0 && x < w && cover)
                blend_pixel(&data[y * wpl + x], k, k->opacity * cover / 255.0);
        }
    }
}

/* Draws text from pen x at baseline y; returns the x after it. */
static int draw_text(const ink *k, const char *text, int x, int y)
{
    size_t len = strlen(text);
    for (size_t at = 0; at < len;) {
        uint32_t cp = '?';
        size_t n = dg_utf8_decode(text + at, len - at, &cp);
        at += n ? n : 1;
        if (FT_Load_Char(k->face, cp, FT_LOAD_RENDER) != 0)
            continue;
        FT_GlyphSlot g = k->face->glyph;
        draw_bitmap(k, &g->bitmap, x + g->bitmap_left, y - g->bitmap_top);
        x += (int)(g->advance.x >> 6);
    }
    return x;
}

/* The translucent rows across the page, each shifted so no column is left bare. */
static void draw_tiles(ink *k, const char *text, int size)
{
    l_int32 w = pixGetWidth(k->pix), h = pixGetHeight(k->pix);
    k->opacity = 0.28;
    int row = 0;
    for (int y = size * 3; y < h; y += size * 6, row++) {
        int x = -((row * size * 7) % (w > 1 ? w : 1));
        while (x < w) {
            int end = draw_text(k, text, x, y);
            x = end > x ? end + size * 3 : w;
        }
    }
}

/* The band at the foot: the whole text, opaque, on a light ground. */
static void draw_band(ink *k, const char *text, int size)
{
    l_int32 w = pixGetWidth(k->pix), h = pixGetHeight(k->pix);
    int band = size * 2;
    BOX *box = boxCreate(0, h > band ? h - band : 0, w, band);
    if (box) {
        pixRenderBoxBlend(k->pix, box, band, 255, 255, 255, 0.8f);
        boxDestroy(&box);
    }
    k->opacity = 1.0;
    draw_text(k, text, size / 2, h - band / 2 + size / 3);
}

/*
 * Opens the font. Noto CJK is a collection whose first face is the Japanese one; its face
 * 2 is Simplified Chinese (fc-scan lists JP, KR, SC, TC, HK), whose glyphs a Chinese
 * reader expects (直, 骨 differ).
 */
static dg_status open_face(FT_Library *lib, FT_Face *face, const char *font, dg_error *err)
{
    if (FT_Init_FreeType(lib) != 0)
        return dg_error_set(err, DG_ERR_NOMEM, "watermark: FreeType could not start");
    FT_Long index = strstr(font, "NotoSansCJK") || strstr(font, "NotoSerifCJK") ? 2 : 0;
    if (FT_New_Face(*lib, font, index, face) != 0 && FT_New_Face(*lib, font, 0, face) != 0) {
        FT_Done_FreeType(*lib);
        return dg_error_set(err, DG_ERR_IO, "watermark: %s: not a font FreeType reads", font);
    }
    return DG_OK;
}

static dg_status watermark(PIX *pix, const char *text, const char *font, dg_error *err)
{
    FT_Library lib;
    FT_Face face;
    dg_status st = open_face(&lib, &face, font, err);
    if (st != DG_OK)
        return st;
    l_int32 w = pixGetWidth(pix);
    int size = w / 45 < 14 ? 14 : w / 45 > 40 ? 40 : w / 45;
    FT_Set_Pixel_Sizes(face, 0, (FT_UInt)size);
    ink k = {.pix = pix, .face = face, .rgb = {180, 0, 0}};
    draw_tiles(&k, text, size);
    draw_band(&k, text, size);
    FT_Done_Face(face);
    FT_Done_FreeType(lib);
    return DG_OK;
}

/* ---- an original's text on sheets ---------------------------------------------------- */

/* A4 at 120 dpi: the text stays sharp on screen and for OCR, and a sheet's PNG stays near
 * 100 KB. The body's 22 px is 10.5 pt (五号, the usual size of a school's documents). */
#define SHEET_W 992
#define SHEET_H 1403
#define SHEET_MARGIN 90
#define SHEET_BODY_TOP (SHEET_MARGIN + 60)
#define SHEET_BODY_PX 22
#define SHEET_LINE_H 36
/* Leaves room above the watermark's band at the foot (2 x its 22 px). */
#define SHEET_BODY_BOTTOM (SHEET_H - SHEET_MARGIN)

/* Where the walk over the text is: the sheet, the line on it and the pen. */
typedef struct sheet_pen {
    int sheet, line, x;
} sheet_pen;

static void next_line(sheet_pen *pen)
{
    pen->x = SHEET_MARGIN;
    if (++pen->line >= (SHEET_BODY_BOTTOM - SHEET_BODY_TOP) / SHEET_LINE_H) {
        pen->line = 0;
        pen->sheet++;
    }
}

/* Advances of the code points below this are remembered for one layout: every sheet walks
 * the whole text (the count of sheets is on each), and FreeType's glyph load is what that
 * walk would spend its time on (about 3 us a glyph; a long text has 100,000). */
#define ADVANCE_CACHE 0x30000 /* the BMP and CJK extensions B-F */

/* The pen advance of cp in whole pixels; 0 when the font cannot load it (it is skipped). */
static int advance_of(const ink *k, uint16_t *cache, uint32_t cp, int *advance)
{
    if (cp < ADVANCE_CACHE && cache[cp]) {
        *advance = cache[cp] - 1;
        return 1;
    }
    if (FT_Load_Char(k->face, cp, FT_LOAD_DEFAULT) != 0)
        return 0;
    *advance = (int)(k->face->glyph->advance.x >> 6);
    if (cp < ADVANCE_CACHE && *advance >= 0 && *advance < 0xfffe)
        cache[cp] = (uint16_t)(*advance + 1);
    return 1;
}

/* Walks the whole text as it wraps onto sheets, drawing the glyphs that fall on sheet
 * want (k->pix); returns how many sheets it fills. */
static int lay_out(const ink *k, uint16_t *cache, const char *text, int want)
{
    sheet_pen pen = {.sheet = 1, .line = 0, .x = SHEET_MARGIN};
    size_t len = strlen(text);
    for (size_t at = 0; at < len;) {
        uint32_t cp = '?';
        size_t n = dg_utf8_decode(text + at, len - at, &cp);
        at += n ? n : 1;
        if (cp == '\n') {
            next_line(&pen);
            continue;
        }
        if (cp == '\t')
            cp = ' ';
        int advance;
        if (cp < ' ' || cp == 0x7f || !advance_of(k, cache, cp, &advance))
            continue; /* \r and other controls take no room */
        if (pen.x + advance > SHEET_W - SHEET_MARGIN)
            next_line(&pen);
        int baseline = SHEET_BODY_TOP + (pen.line + 1) * SHEET_LINE_H - SHEET_LINE_H / 4;
        if (pen.sheet == want && FT_Load_Char(k->face, cp, FT_LOAD_RENDER) == 0) {
            FT_GlyphSlot g = k->face->glyph;
            draw_bitmap(k, &g->bitmap, pen.x + g->bitmap_left, baseline - g->bitmap_top);
        }
        pen.x += advance;
    }
    /* a text that ends exactly at a sheet's end does not fill the next one */
    return pen.line == 0 && pen.x == SHEET_MARGIN && pen.sheet > 1 ? pen.sheet - 1 : pen.sheet;
}

/* The heading: the record and page, that this is a layout of its text, the sheet. */
static void draw_heading(ink *k, const char *heading, int sheet, int sheets)
{
    char line[512];
    snprintf(line, sizeof line, "%s · 原件文字排版，非原件版式 · 第 %d 张 / 共 %d 张", heading,
             sheet, sheets);
    FT_Set_Pixel_Sizes(k->face, 0, 17);
    k->rgb[0] = k->rgb[1] = k->rgb[2] = 90;
    draw_text(k, line, SHEET_MARGIN, SHEET_MARGIN + 20);
    BOX *rule = boxCreate(SHEET_MARGIN, SHEET_MARGIN + 36, SHEET_W - 2 * SHEET_MARGIN, 1);
    if (rule) {
        pixRenderBoxBlend(k->pix, rule, 1, 90, 90, 90, 1.0f);
        boxDestroy(&rule);
    }
}

/* Lays body out as the sheets do, drawing sheet want into k->pix (0: none, only counting). */
static dg_status lay_out_body(const ink *k, const char *body, int want, int *sheets,
                              dg_error *err)
{
    uint16_t *cache = calloc(ADVANCE_CACHE, sizeof *cache);
    if (!cache)
        return dg_error_set(err, DG_ERR_NOMEM, "page: out of memory");
    *sheets = lay_out(k, cache, *body ? body : "（此页无文字 no text on this page）", want);
    free(cache);
    return DG_OK;
}

static dg_status draw_sheet(PIX *pix, const char *body, const char *heading, int sheet,
                            const char *font, int *sheets, dg_error *err)
{
    FT_Library lib;
    FT_Face face;
    dg_status st = open_face(&lib, &face, font, err);
    if (st != DG_OK)
        return st;
    FT_Set_Pixel_Sizes(face, 0, SHEET_BODY_PX);
    ink k = {.pix = pix, .face = face, .rgb = {0, 0, 0}, .opacity = 1.0};
    st = lay_out_body(&k, body, sheet, sheets, err);
    if (st == DG_OK && (sheet < 1 || sheet > *sheets))
        st = dg_error_set(err, DG_ERR_NOT_FOUND, "%s: no sheet %d (its text fills %d)",
                          heading, sheet, *sheets);
    else if (st == DG_OK)
        draw_heading(&k, heading, sheet, *sheets);
    FT_Done_Face(face);
    FT_Done_FreeType(lib);
    return st;
}

/* The page decoded, scaled to at most max_width (0: any) and in 32-bit colour for drawing. */
static PIX *page_pix(const void *image, size_t len, int max_width)
{
    PIX *src = pixReadMem(image, len);
    if (!src)
        return NULL;
    l_int32 w = pixGetWidth(src);
    PIX *scaled = src;
    if (max_width > 0 && w > max_width) {
        /* 1-bit scans scale to grey (smooth, and already 8 bits for the conversion). */
        float f = (float)max_width / (float)w;
        scaled = pixGetDepth(src) == 1 ? pixScaleToGray(src, f) : pixScale(src, f, f);
    }
    PIX *rgb = scaled ? pixConvertTo32(scaled) : NULL;
    if (scaled != src)
        pixDestroy(&scaled);
    pixDestroy(&src);
    return rgb;
}

void dg_watermark_text(const char *name, const char *login, const char *refcode,
                       long long log_entry, char *out, size_t size)
{
    char when[32];
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    strftime(when, sizeof when, "%Y-%m-%d %H:%M", &tm);
    snprintf(out, size, "%s%s%s %s %s #%lld", name && *name ? name : "", name && *name ? " " : "",
             login, when, refcode, log_entry);
}

/* Marks pix and encodes it as PNG into *png; pix is destroyed. */
static dg_status mark_and_encode(PIX *pix, const char *text, const char *font,
                                 unsigned char **png, size_t *png_len, dg_error *err)
{
    dg_status st = watermark(pix, text, font, err);
    l_uint8 *data = NULL;
    size_t size = 0;
    if (st == DG_OK && pixWriteMem(&data, &size, pix, IFF_PNG) != 0)
        st = dg_error_set(err, DG_ERR_NOMEM, "page: could not encode the image");
    pixDestroy(&pix);
    if (st == DG_OK) {
        *png = data;
        *png_len = size;
    }
    return st;
}

dg_status dg_watermark_png(const void *image, size_t len, const char *text, const char *font,
                           int max_width, unsigned char **png, size_t *png_len, dg_error *err)
{
    *png = NULL;
    *png_len = 0;
    PIX *pix = page_pix(image, len, max_width);
    if (!pix)
        return dg_error_set(err, DG_ERR_BAD_INPUT, "page: not an image this server can show");
    return mark_and_encode(pix, text, font, png, png_len, err);
}

dg_status dg_watermark_text_sheet(const char *body, const char *heading, int sheet,
                                  const char *text, const char *font, unsigned char **png,
                                  size_t *png_len, int *sheets, dg_error *err)
{
    *png = NULL;
    *png_len = 0;
    *sheets = 0;
    PIX *pix = pixCreate(SHEET_W, SHEET_H, 32);
    if (!pix)
        return dg_error_set(err, DG_ERR_NOMEM, "page: out of memory");
    pixSetAll(pix);
    pixSetResolution(pix, 120, 120);
    dg_status st = draw_sheet(pix, body, heading, sheet, font, sheets, err);
    if (st != DG_OK) {
        pixDestroy(&pix);
        return st;
    }
    return mark_and_encode(pix, text, font, png, png_len, err);
}

dg_status dg_watermark_text_sheet_count(const char *body, const char *font, int *sheets,
                                        dg_error *err)
{
    *sheets = 0;
    FT_Library lib;
    FT_Face face;
    dg_status st = open_face(&lib, &face, font, err);
    if (st != DG_OK)
        return st;
    FT_Set_Pixel_Sizes(face, 0, SHEET_BODY_PX);
    /* want 0: the walk draws nothing, so no picture is needed */
    ink k = {.pix = NULL, .face = face, .rgb = {0, 0, 0}, .opacity = 1.0};
    st = lay_out_body(&k, body, 0, sheets, err);
    FT_Done_Face(face);
    FT_Done_FreeType(lib);
    return st;
}
