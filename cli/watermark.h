/*
 * watermark.h — the one place page images get their reader's watermark (电子水印): every
 * page image or PDF page that leaves dangan for a person (`dangan page`, `dangan export
 * --pdf`, the web viewer) is drawn here, on the server, before it leaves the process that
 * holds the archive (cli/dispatch_records.c, cli/dispatch_loan.c call it from the request
 * handlers, so neither a client nor the web ever receives an unmarked page).
 *
 * The mark says who read it (name and login), when, which record, and the id of the
 * access-log entry of that view or export, so a leaked photo of a page leads to its entry.
 *
 * The watermark is drawn into the pixels on the server (Leptonica for the image, FreeType
 * for the glyphs, so Chinese names draw as well as Latin ones): the text repeated in
 * translucent rows across the whole page, so a cropped screenshot still carries it, and
 * once more in full on a band at the foot of the page. The browser never receives the page
 * without it. A page that cannot be decoded as an image, or a server without a font, is
 * an error: never an unmarked image.
 */
#ifndef DG_WATERMARK_H
#define DG_WATERMARK_H

#include <stddef.h>

#include "../base/status.h"

/* The web viewer scales pages down to this width: a screen shows no more, and the PNG
 * encoder's time grows with the pixels. Exports keep the scan's own size. */
#define DG_WEB_IMAGE_MAX_WIDTH 1600

/*
 * The font file the watermark is drawn with: given if it names a readable file, else the
 * first of the usual CJK fonts installed (fonts-noto-cjk, then others), else a Latin one.
 * Fails with DG_ERR_NOT_FOUND naming the paths tried.
 */
dg_status dg_watermark_font_find(const char *given, char *path, size_t size, dg_error *err);

/*
 * Decodes image (any format Leptonica reads: PNG, JPEG, TIFF, PNM, ...), scales it to at
 * most max_width pixels wide (0: as it is), draws text (UTF-8, one line) as the watermark
 * with the font file font, and encodes it as PNG into *png (the caller frees). Fails with
 * DG_ERR_BAD_INPUT when the page is not an image it can read.
 */
dg_status dg_watermark_png(const void *image, size_t len, const char *text, const char *font,
                           int max_width, unsigned char **png, size_t *png_len, dg_error *err);

/*
 * An original kept as a file (a text file, an office document's page 1) has no picture to
 * mark: what leaves instead is its text (as read at ingest) laid out on A4 sheets, black
 * on white in the watermark's font, each sheet headed with heading (UTF-8: the record and
 * page) and "sheet/sheets", and marked as dg_watermark_png marks a scan. Lines wrap at the
 * right margin, between any two characters (Chinese has no spaces to wrap at); the layout
 * is the text's, not the original's look, which the heading says. Draws sheet (1-based)
 * as PNG into *png (the caller frees) and sets *sheets to how many the text fills (at
 * least 1; an empty text gives one sheet saying so). DG_ERR_NOT_FOUND for a sheet past
 * the last.
 */
dg_status dg_watermark_text_sheet(const char *body, const char *heading, int sheet,
                                  const char *text, const char *font, unsigned char **png,
                                  size_t *png_len, int *sheets, dg_error *err);

/*
 * How many sheets dg_watermark_text_sheet lays body out on with the font file font, into
 * *sheets, without drawing any of them (the web record page's "sheet k of n").
 */
dg_status dg_watermark_text_sheet_count(const char *body, const char *font, int *sheets,
                                        dg_error *err);

/*
 * The watermark's text: "NAME LOGIN YYYY-MM-DD HH:MM REFCODE #ENTRY" (the time in the
 * process's zone, which is the archive's: see log.h). The name is left out when empty.
 */
void dg_watermark_text(const char *name, const char *login, const char *refcode,
                       long long log_entry, char *out, size_t size);

#endif
