/*
 * pages.h — a scanned or born-digital input file as a sequence of pages.
 *
 * The ingest workers call this after receiving a file (as a descriptor from the server, as a
 * path from the command line, or as bytes already in memory). It decides the type by
 * content (detect.h), refuses what cannot be taken in, and hands out the pages one at a
 * time so that a 500-page PDF never has to be held decoded in memory at once:
 *
 *   - images (TIFF, PNG, JPEG, PNM, BMP): one page per image; a multi-page TIFF gives one
 *     page per directory. The page keeps the ORIGINAL encoded bytes to store, except for the
 *     pages of a multi-page TIFF, which are each re-encoded losslessly as PNG (a page must
 *     be storable and viewable on its own, and browsers show PNG but not TIFF); a
 *     single-page TIFF is stored as it came. The page also carries a decoded PIX for OCR.
 *   - PDF (MuPDF): each page is rendered (at 300 dpi by default) to a PNG, which is the
 *     stored page image. When the page has a real text layer its text is used and no PIX is
 *     handed out (nothing to OCR); otherwise the rendered PIX is handed out for OCR.
 *   - plain text: one page whose text is the whole file decoded to UTF-8 from its own
 *     encoding (GB18030/GBK, Big5, UTF-16, UTF-8; textenc.h), or from the one forced in the
 *     limits. The page stores the file's original bytes.
 *   - office documents (.docx/.xlsx/.pptx/.odt/.ods/.odp, OFD; office.h): page 1 is the
 *     ORIGINAL file, byte for byte, with the document's text and its own properties
 *     (dg_document_props). When LibreOffice is there (limits->office.soffice), pages 2...
 *     are a PDF rendering of the document, one PNG per page for viewing, with no text and
 *     nothing to OCR (the text is page 1's). OFD gets no rendering: no maintained renderer.
 *   - legacy binary office files (.doc/.xls/.ppt, WPS .wps/.et/.dps): converted to PDF with
 *     LibreOffice; page 1 is the original file, pages 2... the PDF's pages as for any PDF
 *     (their text layer, else OCR). Without LibreOffice the file is refused with a reason
 *     that says LibreOffice is needed.
 *
 * Bad input never crashes and never stops a batch: an empty file, an unknown type, a
 * truncated or corrupt image, an image over the pixel limit, too many pages, an encrypted
 * or broken PDF and a text in no encoding dangan can decode each fail with DG_ERR_BAD_INPUT
 * and one line "NAME: reason". Image dimensions are checked from the file header BEFORE anything is
 * decoded, so a decompression bomb costs nothing.
 *
 * A dg_document is used by one thread at a time (it owns its own MuPDF context). Leptonica
 * may still print its own diagnostics on stderr for corrupt files: its message level is
 * process-wide, so silencing it (setMsgSeverity) is the program's choice, not this module's.
 */
#ifndef DG_PAGES_H
#define DG_PAGES_H

#include <stddef.h>

#include "../base/status.h"
#include "detect.h"
#include "office.h"
#include "textenc.h"

struct Pix; /* Leptonica's PIX */

/* Limits that protect a worker from hostile or absurd input. */
typedef struct dg_page_limits {
    unsigned long long max_pixels; /* per page image, width * height (default 100 million) */
    int max_pages;                 /* per file (default 5000) */
    size_t max_file_bytes;         /* per file (default 1 GiB) */
    int render_dpi;                /* PDF rendering resolution (default 300) */
    dg_office_options office;      /* zip caps and LibreOffice (office.h defaults) */
    dg_text_encoding text_encoding; /* how plain text is decoded (default: detected) */
} dg_page_limits;

/* Fills limits with the defaults above. */
void dg_page_limits_init(dg_page_limits *limits);

typedef enum dg_page_kind {
    DG_PAGE_SCAN,       /* an image page; pix is set, text is NULL */
    DG_PAGE_PDF_TEXT,   /* a PDF page with a text layer; text is set, pix is NULL */
    DG_PAGE_PDF_RENDER, /* a PDF page without a text layer, rendered; pix is set */
    DG_PAGE_PLAIN_TEXT, /* a plain text file; text is set, pix and image are NULL */
    DG_PAGE_DOCUMENT,   /* an office file as it came; image is the file, text its text
                           (NULL for a legacy file, whose text is on its rendered pages) */
    DG_PAGE_VIEW        /* a rendered page of an office file, for viewing: image is set,
                           text and pix are NULL */
} dg_page_kind;

/* One page, owned by the caller and freed with dg_page_free(). */
typedef struct dg_page {
    int number;               /* 1-based position in the file */
    dg_page_kind kind;
    unsigned char *image;     /* the bytes to store as this page's image, or NULL */
    size_t image_len;
    const char *image_mime;   /* "image/png", "image/tiff", ... (static), or NULL */
    struct Pix *pix;          /* the decoded page for OCR, or NULL when the text is known */
    char *text;               /* NUL-terminated UTF-8 when known without OCR, else NULL */
    size_t text_len;
    int width, height;        /* of the page image in pixels; 0 for plain text */
    int dpi;                  /* resolution of the page image if known, else 0 */
} dg_page;

void dg_page_free(dg_page *page);

typedef struct dg_document dg_document;

/*
 * Opens the len bytes at data as a document named name (used only in messages). The bytes
 * are copied, so the caller may free them at once. detector decides the type (detect.h).
 * limits may be NULL for the defaults. Fails with DG_ERR_BAD_INPUT for any input that
 * cannot be taken in (see above), DG_ERR_NOMEM when memory runs out.
 */
dg_status dg_document_open_memory(dg_detector *detector, const void *data, size_t len,
                                  const char *name, const dg_page_limits *limits,
                                  dg_document **out, dg_error *err);

/*
 * Like dg_document_open_memory() for an open descriptor: reads it from its current offset
 * to the end (files, pipes and sockets alike). The caller keeps and closes fd. A file over
 * limits->max_file_bytes is DG_ERR_BAD_INPUT; a read error (e.g. the file vanished from an
 * unreliable mount mid-read) is DG_ERR_IO.
 */
dg_status dg_document_open_fd(dg_detector *detector, int fd, const char *name,
                              const dg_page_limits *limits, dg_document **out, dg_error *err);

/* Like dg_document_open_fd() for a path; a missing file is DG_ERR_IO "PATH: reason". */
dg_status dg_document_open_path(dg_detector *detector, const char *path,
                                const dg_page_limits *limits, dg_document **out, dg_error *err);

/* Closes a document; NULL is allowed. Pages already handed out stay valid. */
void dg_document_close(dg_document *doc);

dg_file_type dg_document_type(const dg_document *doc);

/* The number of pages, at least 1 for an open document. */
int dg_document_page_count(const dg_document *doc);

/*
 * Reads page index (0-based, below the page count) and hands it to the caller in *out.
 * A page that cannot be decoded or rendered is DG_ERR_BAD_INPUT "NAME: page N: reason";
 * the caller may go on with the other pages.
 */
dg_status dg_document_read_page(dg_document *doc, int index, dg_page **out, dg_error *err);

/*
 * The document's own properties (title, author, creation date...) for an office file, or
 * NULL for other files. Valid while the document is open.
 */
const dg_office_props *dg_document_props(const dg_document *doc);

#endif
