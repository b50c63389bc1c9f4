/*
 * pdf_print.h — printable A4 tables as PDF, for the reports a records room files on paper
 * (the access-log report, the destruction register 销毁清册).
 *
 * The client calls it with a response it received as JSON (cli/report_pdf.c turns the
 * responses into tables); the server never writes files for clients, so this module lives
 * in cli/ and writes with the caller's own rights.
 *
 * A document is a title block (a title and a few lines under it), a table whose column
 * headings are repeated at the top of every page, optional lines of text after the table,
 * and optional signature lines (鉴定人 / 批准人 / 监销人 …, each with a blank for the
 * handwritten signature and one for the date). Every page carries "第 N 页 / 共 M 页".
 * A cell too long for its column wraps onto more lines, or, in a column that does not
 * wrap, is cut with "…"; a wrapped cell is also cut with "…" when it would not fit on one
 * page, so every row is printed on one page and none is lost silently half way.
 *
 * Chinese text needs a CJK typeface: a system font (Noto Sans CJK SC from fonts-noto-cjk,
 * else Droid Sans Fallback) is subset with HarfBuzz to the characters the document uses and
 * embedded by MuPDF's PDF writer as a CID (Type0) font, so the file opens the same on any
 * machine and a PDF reader can copy and search its text (a ToUnicode map is written).
 * A character the font lacks is printed as its name in brackets: "[U+2A6D6]", or for a
 * control picture (U+2400-U+2421, as the log writes a control byte) "[NUL]", "[LF]"...
 *
 * All MuPDF errors are caught here (fz_try/fz_catch) and returned as a dg_status with a
 * message that begins with the file's name; nothing is printed (MuPDF's own warnings are
 * silenced). The module keeps no state between calls: one MuPDF context per document.
 */
#ifndef DG_PDF_PRINT_H
#define DG_PDF_PRINT_H

#include <stddef.h>

#include "../base/status.h"

/* At most this many columns: an A4 page has no room for more readable ones. */
#define DG_PDF_MAX_COLUMNS 16

typedef struct dg_pdf_column {
    const char *heading; /* printed at the top of the table on every page */
    float width;         /* the column's share of the table's width (any positive unit) */
    int wrap;            /* 1: a long cell wraps; 0: it is cut to one line with "…" */
} dg_pdf_column;

typedef struct dg_pdf_table {
    const char *title;           /* required: the first line, large (e.g. "销毁清册") */
    const char *const *subtitle; /* lines under the title (archive, period, time zone) */
    size_t n_subtitle;
    const dg_pdf_column *columns; /* 1 to DG_PDF_MAX_COLUMNS */
    size_t n_columns;
    const char *const *cells; /* n_rows * n_columns, row by row; NULL prints an empty cell */
    size_t n_rows;
    const char *empty; /* printed in place of the rows when there are none (NULL: "（无）") */
    const char *const *notes; /* lines printed after the table (e.g. a log checkpoint) */
    size_t n_notes;
    const char *const *signatures; /* labels of lines for handwritten signatures */
    size_t n_signatures;
    const char *font_path; /* NULL: the first system CJK font found (see pdf_print.c) */
    int font_index;        /* the face within font_path when it is a collection (.ttc) */
} dg_pdf_table;

/*
 * Prints table to a new PDF file at path (created with mode 0600, replacing a file of that
 * name; it holds names and records, so others may not read it). Every text must be valid
 * UTF-8. *pages is set to the number of pages printed (pages may be NULL). Returns
 * DG_ERR_USAGE for a table that cannot be printed (no title, no or too many columns, a
 * column without a heading or with no width, text that is not UTF-8), DG_ERR_NOT_FOUND
 * when no CJK font is installed, DG_ERR_IO when the file cannot be written, DG_ERR_INTERNAL
 * for an error inside MuPDF or HarfBuzz.
 */
dg_status dg_pdf_print(const dg_pdf_table *table, const char *path, int *pages, dg_error *err);

/* One page image (PNG or JPEG bytes) of a record's export. */
typedef struct dg_pdf_image {
    const unsigned char *data;
    size_t len;
} dg_pdf_image;

/*
 * Writes the images to a new PDF file at path (mode 0600), one A4-wide page each, as they
 * are: `dangan export --pdf` gets pages the server has already watermarked
 * (cli/watermark.h), so nothing here adds or removes a mark. DG_ERR_USAGE without images,
 * DG_ERR_BAD_INPUT for bytes MuPDF cannot read as an image, DG_ERR_IO when the file cannot
 * be written.
 */
dg_status dg_pdf_images(const dg_pdf_image *images, size_t n, const char *path, dg_error *err);

#endif
