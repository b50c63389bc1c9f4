/*
 * office.h — born-digital office documents: OOXML, ODF and OFD read, legacy formats converted.
 *
 * A school office files what its computers write: Word, Excel and PowerPoint files
 * (.docx/.xlsx/.pptx), OpenDocument files (.odt/.ods/.odp), and OFD (GB/T 33190), the
 * national fixed-layout format of e-invoices and official documents. All three are zip
 * packages of XML parts. This module reads them with libzip and libxml2's streaming reader
 * (never a parser of our own) and gives back the document's text, for the index and the
 * classifier, and its own properties (title, author, creation date, keywords, document id):
 *
 *   - OOXML: the main part and the parts it is made of are found through
 *     [Content_Types].xml; text from w:t (Word, with table cells and rows kept apart),
 *     shared and inline strings and cell values (Excel), a:t (PowerPoint); properties from
 *     docProps/core.xml.
 *   - ODF: the "mimetype" entry names the kind; text from content.xml, properties from
 *     meta.xml.
 *   - OFD: OFD.xml's DocBody gives DocInfo (Title, Author, CreationDate, DocID, Keywords)
 *     and the DocRoot; the document's pages give their TextObject/TextCode text, and its
 *     CustomTags (where an e-invoice keeps its fields) give "field: value" lines.
 *
 * The type is decided from the package's content, never from the file name. A zip that is
 * none of these is DG_ERR_BAD_INPUT "NAME: not an Office or OFD document (...)".
 *
 * Hostile input: every entry is read through a counting stream with a cap on its
 * uncompressed size and on the package's total, so a zip bomb (or an entry whose header
 * lies about its size) is refused with its reason once the cap is reached, before memory
 * runs out. The extracted text has a cap of its own. libxml2 never loads DTDs, never
 * substitutes entities and never touches the network. Damaged and encrypted packages are
 * DG_ERR_BAD_INPUT with a reason naming the file. Text from XML is UTF-8 by construction
 * (libxml2 decodes every declared encoding); it is checked once more before it is handed out.
 *
 * Legacy binary formats (.doc/.xls/.ppt and Kingsoft WPS .wps/.et/.dps) and page views
 * (a PDF rendering of any office file) need LibreOffice: dg_office_convert() runs
 * `soffice --headless --convert-to` in a private profile and temporary folder with a
 * time limit. Which soffice (or none) is the caller's option, never global state.
 *
 * Everything here is safe to call from several threads at once on different inputs.
 */
#ifndef DG_OFFICE_H
#define DG_OFFICE_H

#include <stddef.h>

#include "../base/status.h"

typedef enum dg_office_format {
    DG_OFFICE_NONE = 0,
    DG_OFFICE_DOCX,
    DG_OFFICE_XLSX,
    DG_OFFICE_PPTX,
    DG_OFFICE_ODT,
    DG_OFFICE_ODS,
    DG_OFFICE_ODP,
    DG_OFFICE_OFD
} dg_office_format;

typedef struct dg_office_options {
    size_t max_entry_bytes; /* uncompressed, per entry read (default 256 MiB) */
    size_t max_total_bytes; /* uncompressed, all entries read together (default 1 GiB) */
    size_t max_text_bytes;  /* the extracted text (default 64 MiB) */
    size_t max_parts;       /* sheets, slides or OFD pages read (default 10000) */
    /* The LibreOffice program: NULL looks for "soffice" on PATH; "" means none (legacy
     * files are then refused and office files get no page view); a name without '/' is
     * looked up on PATH, a path is used as it is. */
    const char *soffice;
    int timeout_seconds;    /* per conversion (default 120) */
} dg_office_options;

/* Fills options with the defaults above. */
void dg_office_options_init(dg_office_options *options);

/* A document's own properties; empty strings where the document has none. */
typedef struct dg_office_props {
    char title[512];
    char author[256];
    char created[11];   /* YYYY-MM-DD, from the creation date */
    char subject[512];
    char keywords[512];
    char doc_id[256];   /* OFD DocID */
} dg_office_props;

/* What was read from a document; free with dg_office_doc_free(). */
typedef struct dg_office_doc {
    dg_office_format format;
    const char *mime;   /* static, e.g. "application/vnd.oasis.opendocument.text" */
    char *text;         /* NUL-terminated valid UTF-8, possibly empty */
    size_t text_len;
    dg_office_props props;
} dg_office_doc;

void dg_office_doc_free(dg_office_doc *doc);

/*
 * Reads the len bytes at data, a zip package named name (for messages). options may be
 * NULL for the defaults. DG_ERR_BAD_INPUT for a damaged, encrypted or over-limit package
 * and for a zip that is no office document; DG_ERR_NOMEM when memory runs out.
 */
dg_status dg_office_read(const void *data, size_t len, const char *name,
                         const dg_office_options *options, dg_office_doc **out, dg_error *err);

/* A short name: "docx", "xlsx", "pptx", "odt", "ods", "odp", "ofd", "none". */
const char *dg_office_format_name(dg_office_format format);

/*
 * Finds the LibreOffice program options name (see dg_office_options.soffice) and writes
 * its path to path. DG_ERR_NOT_FOUND when there is none, with a message saying where it
 * was looked for.
 */
dg_status dg_office_find_soffice(const dg_office_options *options, char *path, size_t size,
                                 dg_error *err);

/*
 * Converts the len bytes at data with LibreOffice to format to ("pdf", "docx", ...), giving
 * the result in *out (malloc'ed) and *out_len. ext is the input's extension without the
 * dot ("doc", "xls", ...): LibreOffice chooses its import filter by it when the content
 * alone is ambiguous. DG_ERR_NOT_FOUND when LibreOffice is not there (the message says it
 * is needed), DG_ERR_BAD_INPUT when it could not convert the file or took longer than
 * options->timeout_seconds (it is then killed), DG_ERR_IO for the temporary folder.
 */
dg_status dg_office_convert(const dg_office_options *options, const void *data, size_t len,
                            const char *name, const char *ext, const char *to,
                            unsigned char **out, size_t *out_len, dg_error *err);

#endif
