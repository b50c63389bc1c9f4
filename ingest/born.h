/*
 * born.h — a born-digital office document read whole, for `dangan add`.
 *
 * `dangan ingest` reads office documents page by page on its workers (pages.h); `dangan
 * add` files one file at once and needs the same pages as record pages: page 1 the
 * original file byte for byte with the document's text, then the PDF rendering's pages
 * when LibreOffice is there, and the document's own properties for the title and date the
 * archivist did not give. Nothing here is OCR'd: a legacy file's rendered page without a
 * text layer is kept as an image only (`dangan ingest` OCRs it).
 *
 * Used by the thread that calls it; opens its own type detector.
 */
#ifndef DG_BORN_H
#define DG_BORN_H

#include <stddef.h>

#include "../engine/record.h"
#include "office.h"

typedef struct dg_born_doc {
    dg_page_input *pages; /* pointing into the document's own buffers */
    size_t n_pages;
    char *text;           /* the record's whole text, valid UTF-8 */
    const dg_office_props *props; /* NULL when the document has none */
    void *owned;          /* what the pages point into */
} dg_born_doc;

/*
 * Reads the len bytes at data (named name, for messages) when they are an office or OFD
 * document; soffice is the LibreOffice program as in dg_office_options (NULL: PATH).
 * Sets *out to NULL and returns DG_OK when the file is some other kind (the caller takes
 * it as text). DG_ERR_BAD_INPUT for a damaged, encrypted or over-limit document, and for a
 * legacy file without LibreOffice (the message says so).
 */
dg_status dg_born_read(const void *data, size_t len, const char *name, const char *soffice,
                       dg_born_doc **out, dg_error *err);

void dg_born_free(dg_born_doc *doc);

#endif
