/*
 * seal.h — red ink on colour scans: official seals, and the red headers of official documents.
 *
 * Nearly every Chinese official record carries a red seal (公章) stamped over its signature
 * block, right on the issuing office's name and the date, which are the record's most
 * important metadata. Turned to grey the usual way (luminance), the seal's red is as dark
 * as a mid-grey print and merges with the black characters under it: Tesseract reads the
 * date under a seal as noise. In a scan's colour, though, the two inks differ plainly: red
 * ink is bright in the red channel and dark in green and blue, black ink is dark in all
 * three. The grey image made here keeps luminance wherever the ink is not red (so the
 * scanner noise of the three channels still averages out) and turns red ink white, so the
 * seal vanishes and the black characters under it stay.
 *
 * Red ink is not always a seal: a 红头文件 prints the issuing body's name as a large red
 * header ("某某市第一中学文件"). dg_seal_red_ink() hands out the red ink alone, as black on
 * white, so the OCR module can read its text lines separately.
 *
 * Grey and bilevel scans have no colour to tell the inks apart; they are left as they are.
 */
#ifndef DG_SEAL_H
#define DG_SEAL_H

struct Pix; /* Leptonica's PIX */

/*
 * A pixel is red ink when its red channel exceeds both green and blue by at least this
 * much. Seal red scans as about (200-230, 30-90, 40-90): a margin of 110 and more; faded or
 * pink stamping keeps 60-100. Black and grey inks stay within 20, yellowed or brownish paper
 * within 40 (R 230, G 210, B 175 is a margin of 20 over green).
 */
#define DG_SEAL_RED_MARGIN 50

/*
 * Red ink covers a few percent of a page (a seal, a header, a date stamp). When more than
 * this share of the pixels is "red", the paper itself is: a photograph under warm light, a
 * pink form. Such a page is left as luminance.
 */
#define DG_SEAL_MAX_SHARE 0.3

/*
 * An 8 bpp grey image of pix for OCR, owned by the caller (pixDestroy): luminance, except
 * that red ink is white and the pinkish edge around it as bright as its red channel.
 * *red_pixels, when not NULL, gets
 * the number of red-ink pixels found (0 for an image without colour, which comes back as
 * pixConvertTo8 makes it, and for a red-tinted page, left as luminance). *red_ink, when not
 * NULL, gets the red ink as dg_seal_red_ink() hands it out (owned by the caller), or NULL
 * when there is none: the mask is made once for both. NULL when out of memory or pix cannot be converted.
 */
struct Pix *dg_seal_gray(struct Pix *pix, long *red_pixels, struct Pix **red_ink);

/*
 * The red ink of pix as a 1 bpp image of the same size (red ink black, the rest white),
 * owned by the caller; NULL for an image without colour, or when out of memory.
 */
struct Pix *dg_seal_red_ink(struct Pix *pix);

#endif
