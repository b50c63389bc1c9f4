/*
 * seal.c — red ink on colour scans (see seal.h).
 */
#include "seal.h"

#include <leptonica/allheaders.h>

/* The image as 32 bpp RGB when it has colour (a clone or a new image), else NULL. */
static PIX *colour_of(PIX *pix)
{
    if (pixGetDepth(pix) == 32)
        return pixClone(pix);
    PIXCMAP *cmap = pixGetColormap(pix);
    l_int32 has_colour = 0;
    if (!cmap || pixcmapHasColor(cmap, &has_colour) != 0 || !has_colour)
        return NULL;
    return pixRemoveColormap(pix, REMOVE_CMAP_TO_FULL_COLOR);
}

/* How much redder than green and blue the pixel is (negative when it is not). */
static int red_margin(l_int32 r, l_int32 g, l_int32 b)
{
    return r - (g > b ? g : b);
}

/* Luminance with the weights pixConvertRGBToLuminance uses (0.3, 0.5, 0.2). */
static l_int32 luminance(l_int32 r, l_int32 g, l_int32 b)
{
    return (3 * r + 5 * g + 2 * b + 5) / 10;
}

/*
 * The red ink of rgb as 1 bpp, without what is too thin to be ink: scanner noise makes
 * single pixels of grey or black print look red, and JPEG's colour subsampling leaves red
 * fringes a pixel wide along black strokes. An opening by a 2x2 brick keeps every stroke of
 * a seal or a header (4 pixels and more at 200 dpi) and drops those.
 */
static PIX *red_mask(PIX *rgb)
{
    l_int32 w, h;
    pixGetDimensions(rgb, &w, &h, NULL);
    PIX *mask = pixCreate(w, h, 1);
    if (!mask)
        return NULL;
    pixCopyResolution(mask, rgb);
    const l_uint32 *in = pixGetData(rgb);
    l_uint32 *out = pixGetData(mask);
    l_int32 in_wpl = pixGetWpl(rgb), out_wpl = pixGetWpl(mask);
    for (l_int32 y = 0; y < h; y++) {
        const l_uint32 *src = in + (size_t)y * (size_t)in_wpl;
        l_uint32 *dst = out + (size_t)y * (size_t)out_wpl;
        for (l_int32 x = 0; x < w; x++) {
            l_int32 r, g, b;
            extractRGBValues(src[x], &r, &g, &b);
            if (red_margin(r, g, b) >= DG_SEAL_RED_MARGIN)
                SET_DATA_BIT(dst, x);
        }
    }
    PIX *opened = pixOpenBrick(NULL, mask, 2, 2);
    pixDestroy(&mask);
    return opened;
}

PIX *dg_seal_gray(PIX *pix, long *red_pixels)
{
    if (red_pixels)
        *red_pixels = 0;
    if (!pix)
        return NULL;
    PIX *rgb = colour_of(pix);
    if (!rgb)
        return pixConvertTo8(pix, 0);
    PIX *mask = red_mask(rgb);
    l_int32 w, h;
    pixGetDimensions(rgb, &w, &h, NULL);
    PIX *gray = mask ? pixCreate(w, h, 8) : NULL;
    if (!gray) {
        pixDestroy(&mask);
        pixDestroy(&rgb);
        return NULL;
    }
    pixCopyResolution(gray, rgb);
    const l_uint32 *in = pixGetData(rgb), *red = pixGetData(mask);
    l_uint32 *out = pixGetData(gray);
    l_int32 in_wpl = pixGetWpl(rgb), red_wpl = pixGetWpl(mask), out_wpl = pixGetWpl(gray);
    long count = 0;
    for (l_int32 y = 0; y < h; y++) {
        const l_uint32 *src = in + (size_t)y * (size_t)in_wpl;
        const l_uint32 *ink = red + (size_t)y * (size_t)red_wpl;
        l_uint32 *dst = out + (size_t)y * (size_t)out_wpl;
        for (l_int32 x = 0; x < w; x++) {
            l_int32 r, g, b;
            extractRGBValues(src[x], &r, &g, &b);
            int is_red = GET_DATA_BIT(ink, x);
            count += is_red;
            SET_DATA_BYTE(dst, x, is_red ? r : luminance(r, g, b));
        }
    }
    pixDestroy(&mask);
    pixDestroy(&rgb);
    if (red_pixels)
        *red_pixels = count;
    return gray;
}

PIX *dg_seal_red_ink(PIX *pix)
{
    PIX *rgb = pix ? colour_of(pix) : NULL;
    if (!rgb)
        return NULL;
    PIX *mask = red_mask(rgb);
    pixDestroy(&rgb);
    return mask;
}
