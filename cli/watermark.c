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

static dg_status watermark(PIX *pix, const char *text, const char *font, dg_error *err)
{
    FT_Library lib;
    FT_Face face;
    if (FT_Init_FreeType(&lib) != 0)
        return dg_error_set(err, DG_ERR_NOMEM, "watermark: FreeType could not start");
    if (FT_New_Face(lib, font, 0, &face) != 0) {
        FT_Done_FreeType(lib);
        return dg_error_set(err, DG_ERR_IO, "watermark: %s: not a font FreeType reads", font);
    }
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

dg_status dg_watermark_png(const void *image, size_t len, const char *text, const char *font,
                           int max_width, unsigned char **png, size_t *png_len, dg_error *err)
{
    *png = NULL;
    *png_len = 0;
    PIX *pix = page_pix(image, len, max_width);
    if (!pix)
        return dg_error_set(err, DG_ERR_BAD_INPUT, "page: not an image this server can show");
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
