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

/* The channels of an RGB pixel word (Leptonica's extractRGBValues is a function call, and a
 * page has millions of pixels). */
static void channels(l_uint32 pixel, l_int32 *r, l_int32 *g, l_int32 *b)
{
    *r = (l_int32)(pixel >> L_RED_SHIFT) & 0xff;
    *g = (l_int32)(pixel >> L_GREEN_SHIFT) & 0xff;
    *b = (l_int32)(pixel >> L_BLUE_SHIFT) & 0xff;
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
static PIX *red_mask(PIX *rgb, long *raw)
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
    long count = 0;
    for (l_int32 y = 0; y < h; y++) {
        const l_uint32 *src = in + (size_t)y * (size_t)in_wpl;
        l_uint32 *dst = out + (size_t)y * (size_t)out_wpl;
        for (l_int32 x = 0; x < w; x++) {
            l_int32 r, g, b;
            channels(src[x], &r, &g, &b);
            if (red_margin(r, g, b) >= DG_SEAL_RED_MARGIN) {
                SET_DATA_BIT(dst, x);
                count++;
            }
        }
    }
    *raw = count;
    if (count == 0)
        return mask;
    PIX *opened = pixOpenBrick(NULL, mask, 2, 2);
    pixDestroy(&mask);
    return opened;
}

/*
 * The grey value of one pixel. Red ink becomes white: lifted only to its red channel's
 * brightness (about 215 of 255) a seal's characters still read as faint print (measured:
 * the seal's own text joined the line under it). The ring of pixels around red ink (halo)
 * holds the blurred, pinkish edge of a stroke, and the black print the seal crosses; there
 * the brighter of luminance and red channel keeps black black and lifts the pink.
 */
static l_int32 lifted(l_int32 r, l_int32 g, l_int32 b, int in_ink, int in_halo)
{
    l_int32 lum = luminance(r, g, b);
    if (in_ink)
        return 255;
    if (in_halo)
        return r > lum ? r : lum;
    return lum;
}

PIX *dg_seal_gray(PIX *pix, long *red_pixels, PIX **red_ink)
{
    if (red_pixels)
        *red_pixels = 0;
    if (red_ink)
        *red_ink = NULL;
    if (!pix)
        return NULL;
    PIX *rgb = colour_of(pix);
    if (!rgb)
        return pixConvertTo8(pix, 0);
    long raw = 0;
    PIX *ink = red_mask(rgb, &raw);
    l_int32 w, h;
    pixGetDimensions(rgb, &w, &h, NULL);
    /* A colour scan without red, or red paper: plain luminance, the fast way. */
    if (ink && (raw == 0 || (double)raw > DG_SEAL_MAX_SHARE * (double)w * (double)h)) {
        pixDestroy(&ink);
        PIX *plain = pixConvertRGBToLuminance(rgb);
        pixDestroy(&rgb);
        return plain;
    }
    PIX *near = ink ? pixDilateBrick(NULL, ink, 3, 3) : NULL;
    PIX *gray = near ? pixCreate(w, h, 8) : NULL;
    if (!gray) {
        pixDestroy(&near);
        pixDestroy(&ink);
        pixDestroy(&rgb);
        return NULL;
    }
    pixCopyResolution(gray, rgb);
    const l_uint32 *in = pixGetData(rgb), *red = pixGetData(ink), *halo = pixGetData(near);
    l_uint32 *out = pixGetData(gray);
    l_int32 in_wpl = pixGetWpl(rgb), bit_wpl = pixGetWpl(ink), out_wpl = pixGetWpl(gray);
    long count = 0;
    for (l_int32 y = 0; y < h; y++) {
        const l_uint32 *src = in + (size_t)y * (size_t)in_wpl;
        const l_uint32 *red_row = red + (size_t)y * (size_t)bit_wpl;
        const l_uint32 *halo_row = halo + (size_t)y * (size_t)bit_wpl;
        l_uint32 *dst = out + (size_t)y * (size_t)out_wpl;
        for (l_int32 x = 0; x < w; x++) {
            l_int32 r, g, b;
            channels(src[x], &r, &g, &b);
            int in_ink = GET_DATA_BIT(red_row, x);
            count += in_ink;
            SET_DATA_BYTE(dst, x, lifted(r, g, b, in_ink, GET_DATA_BIT(halo_row, x)));
        }
    }
    pixDestroy(&near);
    pixDestroy(&rgb);
    if (red_pixels)
        *red_pixels = count;
    if (red_ink && count > 0)
        *red_ink = ink;
    else
        pixDestroy(&ink);
    return gray;
}

PIX *dg_seal_red_ink(PIX *pix)
{
    PIX *rgb = pix ? colour_of(pix) : NULL;
    if (!rgb)
        return NULL;
    long raw = 0;
    PIX *mask = red_mask(rgb, &raw);
    pixDestroy(&rgb);
    return mask;
}
