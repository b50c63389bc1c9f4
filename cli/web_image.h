/*
 * web_image.h — page images as the web shows them: scaled for a screen and carrying a
 * visible watermark (电子水印) of who looks at them, when, and which record.
 *
 * The watermark is drawn into the pixels on the server (Leptonica for the image, FreeType
 * for the glyphs, so Chinese names draw as well as Latin ones): the text repeated in
 * translucent rows across the whole page, so a cropped screenshot still carries it, and
 * once more in full on a band at the foot of the page. The browser never receives the page
 * without it. A page that cannot be decoded as an image, or a server without a font, is
 * an error: never an unmarked image.
 */
#ifndef DG_WEB_IMAGE_H
#define DG_WEB_IMAGE_H

#include <stddef.h>

#include "../base/status.h"

/* Pages wider than this are scaled down to it: a screen shows no more, and the PNG
 * encoder's time grows with the pixels. */
#define DG_WEB_IMAGE_MAX_WIDTH 1600

/*
 * The font file the watermark is drawn with: given if it names a readable file, else the
 * first of the usual CJK fonts installed (fonts-noto-cjk, then others), else a Latin one.
 * Fails with DG_ERR_NOT_FOUND naming the paths tried.
 */
dg_status dg_web_font_find(const char *given, char *path, size_t size, dg_error *err);

/*
 * Decodes image (any format Leptonica reads: PNG, JPEG, TIFF, PNM, ...), scales it to at
 * most DG_WEB_IMAGE_MAX_WIDTH pixels wide, draws text (UTF-8, one line) as the watermark
 * with the font file font, and encodes it as PNG into *png (the caller frees). Fails with
 * DG_ERR_BAD_INPUT when the page is not an image it can read.
 */
dg_status dg_web_watermark_png(const void *image, size_t len, const char *text, const char *font,
                               unsigned char **png, size_t *png_len, dg_error *err);

#endif
