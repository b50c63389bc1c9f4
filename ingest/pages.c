/*
 * pages.c — splitting an input file into pages (see pages.h).
 *
 * A document owns a private copy of the file's bytes. Images are decoded with Leptonica
 * straight from that memory; PDFs are read by MuPDF through a memory stream, with a MuPDF
 * context that belongs to the document (MuPDF contexts are per thread, and a document is
 * used by one thread). Every MuPDF call sits inside fz_try so that a broken PDF becomes a
 * status, never a crash.
 */
#include "pages.h"

#include <errno.h>
#include <fcntl.h>
#include <leptonica/allheaders.h>
#include <mupdf/fitz.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../base/utf8.h"

/* A PDF page with at least this many non-space characters in its text layer is taken as
 * born-digital text: fewer is typically a scanner's stamp or a page number, not content. */
#define PDF_MIN_TEXT_CHARS 10

struct dg_document {
    char *name;
    dg_file_type type;
    unsigned char *data;
    size_t len;
    dg_page_limits limits;
    int page_count;
    fz_context *fz;      /* PDF only */
    fz_document *pdf;    /* PDF only */
    /* Office documents: page 1 is the original; pages 2... come from view_pdf. */
    dg_office_doc *office;     /* OOXML, ODF, OFD */
    const char *original_mime;
    unsigned char *view_pdf;   /* LibreOffice's rendering, read by MuPDF */
    size_t view_pdf_len;
    int has_props;
    dg_office_props props;     /* a legacy file's, from its PDF's metadata */
    char legacy_mime[128];     /* what libmagic calls a legacy file */
    char *text;          /* plain text only: the file decoded to UTF-8 (textenc.h) */
    size_t text_len;
};

void dg_page_limits_init(dg_page_limits *limits)
{
    limits->max_pixels = 100ULL * 1000 * 1000;
    limits->max_pages = 5000;
    limits->max_file_bytes = (size_t)1 << 30;
    limits->render_dpi = 300;
    dg_office_options_init(&limits->office);
    limits->text_encoding = DG_ENC_AUTO;
}

void dg_page_free(dg_page *page)
{
    if (!page)
        return;
    free(page->image);
    free(page->text);
    if (page->pix)
        pixDestroy(&page->pix);
    free(page);
}

static dg_page *page_new(int number, dg_page_kind kind)
{
    dg_page *page = calloc(1, sizeof *page);
    if (page) {
        page->number = number;
        page->kind = kind;
    }
    return page;
}

/* ---- opening ---- */

static dg_status check_pixels(const dg_document *doc, int page, long long w, long long h,
                              dg_error *err)
{
    if (w <= 0 || h <= 0)
        return dg_error_set(err, DG_ERR_BAD_INPUT, "%s: page %d: image has no pixels",
                            doc->name, page);
    if ((unsigned long long)w * (unsigned long long)h > doc->limits.max_pixels)
        return dg_error_set(err, DG_ERR_BAD_INPUT,
                            "%s: page %d: image of %lld x %lld pixels is over the limit of "
                            "%llu pixels",
                            doc->name, page, w, h, doc->limits.max_pixels);
    return DG_OK;
}

/*
 * Counts a TIFF's pages by reading each directory's header, never its pixels, and checks
 * every page against the pixel limit while doing so.
 */
static dg_status open_tiff(dg_document *doc, dg_error *err)
{
    int count = 0;
    for (;;) {
        l_int32 w, h, bps, spp, res, cmap, format;
        if (readHeaderMemTiff(doc->data, doc->len, count, &w, &h, &bps, &spp, &res, &cmap,
                              &format) != 0)
            break;
        dg_status status = check_pixels(doc, count + 1, w, h, err);
        if (status != DG_OK)
            return status;
        if (++count > doc->limits.max_pages)
            return dg_error_set(err, DG_ERR_BAD_INPUT, "%s: more than %d pages", doc->name,
                                doc->limits.max_pages);
    }
    if (count == 0)
        return dg_error_set(err, DG_ERR_BAD_INPUT, "%s: corrupt TIFF (no readable page)",
                            doc->name);
    doc->page_count = count;
    return DG_OK;
}

/*
 * Whether a PNG ends with its IEND chunk (searched in the last 64 bytes: some writers add
 * a few bytes after it). A PNG cut short in transfer has none; catching it here reports it
 * in dangan's words instead of libpng printing its own error on stderr.
 */
static int png_has_end(const unsigned char *data, size_t len)
{
    size_t from = len > 64 ? len - 64 : 0;
    for (size_t i = from; i + 4 <= len; i++)
        if (!memcmp(data + i, "IEND", 4))
            return 1;
    return 0;
}

static dg_status open_image(dg_document *doc, dg_error *err)
{
    if (doc->type == DG_FILE_PNG && !png_has_end(doc->data, doc->len))
        return dg_error_set(err, DG_ERR_BAD_INPUT, "%s: truncated PNG image (no end chunk)",
                            doc->name);
    l_int32 format, w, h, bps, spp, iscmap;
    if (pixReadHeaderMem(doc->data, doc->len, &format, &w, &h, &bps, &spp, &iscmap) != 0)
        return dg_error_set(err, DG_ERR_BAD_INPUT, "%s: corrupt %s image (unreadable header)",
                            doc->name, dg_file_type_name(doc->type));
    dg_status status = check_pixels(doc, 1, w, h, err);
    if (status != DG_OK)
        return status;
    doc->page_count = 1;
    return DG_OK;
}

static dg_status open_text(dg_document *doc, dg_error *err)
{
    dg_decoded_text decoded;
    dg_status st = dg_text_decode(doc->data, doc->len, doc->limits.text_encoding, doc->name,
                                  &decoded, err);
    if (st != DG_OK)
        return st;
    doc->text = decoded.text;
    doc->text_len = decoded.len;
    doc->page_count = 1;
    return DG_OK;
}

/* MuPDF reports warnings and errors through callbacks; library code never prints. */
static void fz_quiet(void *user, const char *message)
{
    (void)user;
    (void)message;
}

/* Opens len bytes of PDF at data (which must outlive the document) with MuPDF. */
static dg_status open_pdf_bytes(dg_document *doc, const unsigned char *data, size_t len,
                                int *page_count, dg_error *err)
{
    doc->fz = fz_new_context(NULL, NULL, FZ_STORE_DEFAULT);
    if (!doc->fz)
        return dg_error_set(err, DG_ERR_NOMEM, "%s: cannot create a PDF context", doc->name);
    fz_set_warning_callback(doc->fz, fz_quiet, NULL);
    fz_set_error_callback(doc->fz, fz_quiet, NULL);

    fz_context *ctx = doc->fz;
    fz_stream *volatile stream = NULL;
    fz_document *volatile pdf = NULL;
    volatile int needs_password = 0;
    volatile int pages = 0;
    fz_var(stream);
    fz_var(pdf);
    fz_try(ctx)
    {
        fz_register_document_handlers(ctx);
        stream = fz_open_memory(ctx, data, len);
        pdf = fz_open_document_with_stream(ctx, "application/pdf", stream);
        needs_password = fz_needs_password(ctx, pdf);
        if (!needs_password)
            pages = fz_count_pages(ctx, pdf);
    }
    fz_always(ctx)
    {
        fz_drop_stream(ctx, stream);
    }
    fz_catch(ctx)
    {
        fz_drop_document(ctx, pdf);
        return dg_error_set(err, DG_ERR_BAD_INPUT, "%s: broken PDF (%s)", doc->name,
                            fz_caught_message(ctx));
    }
    doc->pdf = pdf;
    if (needs_password)
        return dg_error_set(err, DG_ERR_BAD_INPUT, "%s: encrypted PDF (needs a password)",
                            doc->name);
    if (pages <= 0)
        return dg_error_set(err, DG_ERR_BAD_INPUT, "%s: broken PDF (no pages)", doc->name);
    if (pages > doc->limits.max_pages)
        return dg_error_set(err, DG_ERR_BAD_INPUT, "%s: %d pages is more than the limit of %d",
                            doc->name, pages, doc->limits.max_pages);
    *page_count = pages;
    return DG_OK;
}

static dg_status open_pdf(dg_document *doc, dg_error *err)
{
    return open_pdf_bytes(doc, doc->data, doc->len, &doc->page_count, err);
}

/* ---- office documents ---- */

static void drop_pdf(dg_document *doc)
{
    if (doc->fz) {
        fz_drop_document(doc->fz, doc->pdf);
        fz_drop_context(doc->fz);
    }
    doc->fz = NULL;
    doc->pdf = NULL;
    free(doc->view_pdf);
    doc->view_pdf = NULL;
}

/* Converts the document with LibreOffice to PDF and opens that: pages 2... */
static dg_status open_view(dg_document *doc, const char *ext, dg_error *err)
{
    dg_status st = dg_office_convert(&doc->limits.office, doc->data, doc->len, doc->name, ext,
                                     "pdf", &doc->view_pdf, &doc->view_pdf_len, err);
    int pages = 0;
    if (st == DG_OK)
        st = open_pdf_bytes(doc, doc->view_pdf, doc->view_pdf_len, &pages, err);
    if (st == DG_OK && pages + 1 > doc->limits.max_pages)
        st = dg_error_set(err, DG_ERR_BAD_INPUT, "%s: %d pages is more than the limit of %d",
                          doc->name, pages + 1, doc->limits.max_pages);
    if (st != DG_OK) {
        drop_pdf(doc);
        return st;
    }
    doc->page_count = 1 + pages;
    return DG_OK;
}

static const char *view_ext(dg_office_format format)
{
    return format == DG_OFFICE_OFD ? NULL : dg_office_format_name(format);
}

/*
 * An OOXML, ODF or OFD package: its text and properties from its XML. The rendering for
 * viewing is an extra: without LibreOffice, or when it fails on the file, the record is
 * its original and its text.
 */
static dg_status open_office(dg_document *doc, dg_error *err)
{
    dg_status st = dg_office_read(doc->data, doc->len, doc->name, &doc->limits.office,
                                  &doc->office, err);
    if (st != DG_OK)
        return st;
    doc->original_mime = doc->office->mime;
    doc->page_count = 1;
    char soffice[4096];
    const char *ext = view_ext(doc->office->format);
    if (!ext || dg_office_find_soffice(&doc->limits.office, soffice, sizeof soffice, NULL) != DG_OK)
        return DG_OK;
    dg_error ignored;
    st = open_view(doc, ext, &ignored);
    if (st == DG_ERR_NOMEM)
        return dg_error_set(err, st, "%s", ignored.msg);
    return DG_OK;
}

/* The legacy type by the name's extension: LibreOffice's filter hint, and the mime. */
static const struct {
    const char *ext, *mime;
} legacy_types[] = {
    {"doc", "application/msword"},         {"dot", "application/msword"},
    {"wps", "application/msword"},         {"xls", "application/vnd.ms-excel"},
    {"xlt", "application/vnd.ms-excel"},   {"et", "application/vnd.ms-excel"},
    {"ppt", "application/vnd.ms-powerpoint"}, {"pot", "application/vnd.ms-powerpoint"},
    {"dps", "application/vnd.ms-powerpoint"},
};

/*
 * What libmagic says first (the first entry of its MIME type); when it only knows an OLE2
 * compound file (WPS files, Works), the name's extension is LibreOffice's hint.
 */
static size_t legacy_type_of(const char *mime, const char *name)
{
    for (size_t i = 0; i < sizeof legacy_types / sizeof legacy_types[0]; i++)
        if (!strcmp(mime, legacy_types[i].mime))
            return i;
    const char *dot = strrchr(name, '.');
    if (dot && !strchr(dot, '/'))
        for (size_t i = 0; i < sizeof legacy_types / sizeof legacy_types[0]; i++)
            if (!strcasecmp(dot + 1, legacy_types[i].ext))
                return i;
    return 0; /* LibreOffice tells Word, Excel and PowerPoint apart by content anyway */
}

/* "D:20240312093000+08'00'" (a PDF date) to 2024-03-12. */
static void pdf_date(const char *value, char out[11])
{
    out[0] = '\0';
    if (!strncmp(value, "D:", 2))
        value += 2;
    for (int i = 0; i < 8; i++)
        if (value[i] < '0' || value[i] > '9')
            return;
    snprintf(out, 11, "%.4s-%.2s-%.2s", value, value + 4, value + 6);
}

/* LibreOffice writes the document's title, author and creation date into the PDF. */
static void legacy_props(dg_document *doc)
{
    char date[64] = "";
    fz_try(doc->fz)
    {
        fz_lookup_metadata(doc->fz, doc->pdf, FZ_META_INFO_TITLE, doc->props.title,
                           sizeof doc->props.title);
        fz_lookup_metadata(doc->fz, doc->pdf, FZ_META_INFO_AUTHOR, doc->props.author,
                           sizeof doc->props.author);
        fz_lookup_metadata(doc->fz, doc->pdf, FZ_META_INFO_CREATIONDATE, date, sizeof date);
    }
    fz_catch(doc->fz)
    {
        memset(&doc->props, 0, sizeof doc->props);
        return;
    }
    pdf_date(date, doc->props.created);
    /* fz_lookup_metadata may cut a character in half at the buffer's end. */
    if (dg_utf8_invalid_at(doc->props.title, strlen(doc->props.title)) != strlen(doc->props.title))
        doc->props.title[0] = '\0';
    if (dg_utf8_invalid_at(doc->props.author, strlen(doc->props.author)) !=
        strlen(doc->props.author))
        doc->props.author[0] = '\0';
    doc->has_props = doc->props.title[0] || doc->props.author[0] || doc->props.created[0];
}

static dg_status open_legacy(dg_document *doc, dg_error *err)
{
    size_t t = legacy_type_of(doc->legacy_mime, doc->name);
    doc->original_mime = legacy_types[t].mime;
    dg_status st = open_view(doc, legacy_types[t].ext, err);
    if (st == DG_ERR_NOT_FOUND) /* no LibreOffice: the file's problem to report, not a stop */
        st = DG_ERR_BAD_INPUT;
    if (st == DG_OK)
        legacy_props(doc);
    return st;
}

static dg_status open_by_type(dg_document *doc, dg_error *err)
{
    switch (doc->type) {
    case DG_FILE_TIFF: return open_tiff(doc, err);
    case DG_FILE_PNG:
    case DG_FILE_JPEG:
    case DG_FILE_PNM:
    case DG_FILE_BMP: return open_image(doc, err);
    case DG_FILE_PDF: return open_pdf(doc, err);
    case DG_FILE_TEXT: return open_text(doc, err);
    case DG_FILE_OFFICE: return open_office(doc, err);
    case DG_FILE_LEGACY_OFFICE: return open_legacy(doc, err);
    case DG_FILE_UNKNOWN: break;
    }
    return dg_error_set(err, DG_ERR_INTERNAL, "%s: no reader for this type", doc->name);
}

/* Takes ownership of data (malloc'ed) whatever happens. */
static dg_status open_owned(dg_detector *detector, unsigned char *data, size_t len,
                            const char *name, const dg_page_limits *limits, dg_document **out,
                            dg_error *err)
{
    *out = NULL;
    dg_document *doc = calloc(1, sizeof *doc);
    char *copy = strdup(name);
    if (!doc || !copy) {
        free(doc);
        free(copy);
        free(data);
        return dg_error_set(err, DG_ERR_NOMEM, "%s: out of memory", name);
    }
    doc->name = copy;
    doc->data = data;
    doc->len = len;
    if (limits)
        doc->limits = *limits;
    else
        dg_page_limits_init(&doc->limits);

    dg_status status = DG_OK;
    if (len > doc->limits.max_file_bytes)
        status = dg_error_set(err, DG_ERR_BAD_INPUT, "%s: file of %zu bytes is over the limit "
                              "of %zu bytes", name, len, doc->limits.max_file_bytes);
    if (status == DG_OK)
        status = dg_detect_buffer(detector, data, len, name, &doc->type, err);
    if (status == DG_OK && doc->type == DG_FILE_LEGACY_OFFICE)
        status = dg_detect_mime(detector, data, len, doc->legacy_mime, sizeof doc->legacy_mime,
                                err);
    if (status == DG_OK)
        status = open_by_type(doc, err);
    if (status != DG_OK) {
        dg_document_close(doc);
        return status;
    }
    *out = doc;
    return DG_OK;
}

dg_status dg_document_open_memory(dg_detector *detector, const void *data, size_t len,
                                  const char *name, const dg_page_limits *limits,
                                  dg_document **out, dg_error *err)
{
    *out = NULL;
    /* One spare byte so that an empty file still gets a buffer of its own. */
    unsigned char *copy = malloc(len + 1);
    if (!copy)
        return dg_error_set(err, DG_ERR_NOMEM, "%s: out of memory", name);
    if (len)
        memcpy(copy, data, len);
    return open_owned(detector, copy, len, name, limits, out, err);
}

/* Reads fd to its end into a new buffer, refusing to grow past max bytes. */
static dg_status read_all(int fd, const char *name, size_t max, unsigned char **out,
                          size_t *out_len, dg_error *err)
{
    struct stat st;
    size_t cap = 64 * 1024;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0)
        cap = (size_t)st.st_size + 1;
    if (cap > max + 1)
        cap = max + 1;
    unsigned char *buf = malloc(cap);
    size_t len = 0;
    for (;;) {
        if (!buf)
            return dg_error_set(err, DG_ERR_NOMEM, "%s: out of memory", name);
        if (len == cap) {
            if (cap > max) {
                free(buf);
                return dg_error_set(err, DG_ERR_BAD_INPUT, "%s: file is over the limit of "
                                    "%zu bytes", name, max);
            }
            cap = cap * 2 > max + 1 ? max + 1 : cap * 2;
            unsigned char *grown = realloc(buf, cap);
            if (!grown)
                free(buf);
            buf = grown;
            continue;
        }
        ssize_t n = read(fd, buf + len, cap - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int saved = errno;
            free(buf);
            return dg_error_set(err, DG_ERR_IO, "%s: %s", name, strerror(saved));
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    if (len > max) {
        free(buf);
        return dg_error_set(err, DG_ERR_BAD_INPUT, "%s: file is over the limit of %zu bytes",
                            name, max);
    }
    *out = buf;
    *out_len = len;
    return DG_OK;
}

dg_status dg_document_open_fd(dg_detector *detector, int fd, const char *name,
                              const dg_page_limits *limits, dg_document **out, dg_error *err)
{
    *out = NULL;
    dg_page_limits defaults;
    if (!limits) {
        dg_page_limits_init(&defaults);
        limits = &defaults;
    }
    unsigned char *data = NULL;
    size_t len = 0;
    dg_status status = read_all(fd, name, limits->max_file_bytes, &data, &len, err);
    if (status != DG_OK)
        return status;
    return open_owned(detector, data, len, name, limits, out, err);
}

dg_status dg_document_open_path(dg_detector *detector, const char *path,
                                const dg_page_limits *limits, dg_document **out, dg_error *err)
{
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return dg_error_set(err, DG_ERR_IO, "%s: %s", path, strerror(errno));
    dg_status status = dg_document_open_fd(detector, fd, path, limits, out, err);
    close(fd);
    return status;
}

void dg_document_close(dg_document *doc)
{
    if (!doc)
        return;
    drop_pdf(doc);
    dg_office_doc_free(doc->office);
    free(doc->data);
    free(doc->text);
    free(doc->name);
    free(doc);
}

dg_file_type dg_document_type(const dg_document *doc)
{
    return doc->type;
}

int dg_document_page_count(const dg_document *doc)
{
    return doc->page_count;
}

const dg_office_props *dg_document_props(const dg_document *doc)
{
    if (doc->office)
        return &doc->office->props;
    return doc->has_props ? &doc->props : NULL;
}

/* ---- reading pages ---- */

static const char *mime_of(dg_file_type type)
{
    switch (type) {
    case DG_FILE_TIFF: return "image/tiff";
    case DG_FILE_PNG: return "image/png";
    case DG_FILE_JPEG: return "image/jpeg";
    case DG_FILE_PNM: return "image/x-portable-anymap";
    case DG_FILE_BMP: return "image/bmp";
    case DG_FILE_PDF: return "application/pdf";
    case DG_FILE_TEXT: return "text/plain";
    case DG_FILE_OFFICE:
    case DG_FILE_LEGACY_OFFICE:
    case DG_FILE_UNKNOWN: break;
    }
    return "application/octet-stream";
}

static dg_status set_pix(dg_page *page, PIX *pix)
{
    page->pix = pix;
    page->width = (int)pixGetWidth(pix);
    page->height = (int)pixGetHeight(pix);
    page->dpi = (int)pixGetXRes(pix);
    return DG_OK;
}

static dg_status encode_png(const dg_document *doc, dg_page *page, PIX *pix, dg_error *err)
{
    l_uint8 *png = NULL;
    size_t png_len = 0;
    if (pixWriteMemPng(&png, &png_len, pix, 0.0) != 0)
        return dg_error_set(err, DG_ERR_INTERNAL, "%s: page %d: cannot encode PNG", doc->name,
                            page->number);
    /* Leptonica allocates with malloc by default; copy anyway so free() is always right. */
    page->image = malloc(png_len);
    if (!page->image) {
        lept_free(png);
        return dg_error_set(err, DG_ERR_NOMEM, "%s: out of memory", doc->name);
    }
    memcpy(page->image, png, png_len);
    lept_free(png);
    page->image_len = png_len;
    page->image_mime = "image/png";
    return DG_OK;
}

static dg_status keep_original(const dg_document *doc, dg_page *page, dg_error *err)
{
    page->image = malloc(doc->len);
    if (!page->image)
        return dg_error_set(err, DG_ERR_NOMEM, "%s: out of memory", doc->name);
    memcpy(page->image, doc->data, doc->len);
    page->image_len = doc->len;
    page->image_mime = mime_of(doc->type);
    return DG_OK;
}

static dg_status read_image_page(dg_document *doc, int index, dg_page *page, dg_error *err)
{
    PIX *pix = doc->type == DG_FILE_TIFF ? pixReadMemTiff(doc->data, doc->len, index)
                                         : pixReadMem(doc->data, doc->len);
    if (!pix)
        return dg_error_set(err, DG_ERR_BAD_INPUT, "%s: page %d: corrupt or truncated %s image",
                            doc->name, index + 1, dg_file_type_name(doc->type));
    set_pix(page, pix);
    if (doc->type == DG_FILE_TIFF && doc->page_count > 1)
        return encode_png(doc, page, pix, err);
    return keep_original(doc, page, err);
}

static dg_status read_text_page(dg_document *doc, dg_page *page, dg_error *err)
{
    page->text = malloc(doc->text_len + 1);
    if (!page->text)
        return dg_error_set(err, DG_ERR_NOMEM, "%s: out of memory", doc->name);
    memcpy(page->text, doc->text, doc->text_len + 1);
    page->text_len = doc->text_len;
    return DG_OK;
}

/* Counts the characters of a text layer that carry content. */
static void count_text(const char *text, size_t *chars, size_t *unknown)
{
    *chars = 0;
    *unknown = 0;
    size_t len = strlen(text);
    for (size_t at = 0; at < len;) {
        uint32_t cp;
        at += dg_utf8_next(text + at, len - at, &cp);
        if (cp <= ' ')
            continue;
        (*chars)++;
        *unknown += cp == 0xFFFD; /* no Unicode mapping */
    }
}

/*
 * A text layer is real when it has enough characters and most of them map to Unicode;
 * fonts without a ToUnicode map give U+FFFD, which is no better than having no text.
 */
static int text_layer_is_real(const char *text)
{
    size_t chars, unknown;
    count_text(text, &chars, &unknown);
    return chars >= PDF_MIN_TEXT_CHARS && unknown * 10 <= chars;
}

/* Copies an RGB MuPDF pixmap into a new 32 bpp PIX. */
static PIX *pix_from_pixmap(fz_context *ctx, fz_pixmap *pixmap, int dpi)
{
    int w = fz_pixmap_width(ctx, pixmap), h = fz_pixmap_height(ctx, pixmap);
    int n = fz_pixmap_components(ctx, pixmap);
    int stride = fz_pixmap_stride(ctx, pixmap);
    const unsigned char *samples = fz_pixmap_samples(ctx, pixmap);
    PIX *pix = pixCreate(w, h, 32);
    if (!pix)
        return NULL;
    l_uint32 *data = pixGetData(pix);
    l_int32 wpl = pixGetWpl(pix);
    for (int y = 0; y < h; y++) {
        const unsigned char *src = samples + (size_t)y * (size_t)stride;
        l_uint32 *line = data + (size_t)y * (size_t)wpl;
        for (int x = 0; x < w; x++, src += n)
            line[x] = ((l_uint32)src[0] << L_RED_SHIFT) | ((l_uint32)src[1] << L_GREEN_SHIFT) |
                      ((l_uint32)src[2] << L_BLUE_SHIFT);
    }
    pixSetResolution(pix, dpi, dpi);
    return pix;
}

/*
 * The resolution to render a page of w x h points at: the configured one, lowered when the
 * result would be over the pixel limit (a poster-sized page still renders, just coarser).
 */
static int render_dpi_for(const dg_document *doc, float w, float h)
{
    int dpi = doc->limits.render_dpi;
    while (dpi > 36) {
        double pw = w * dpi / 72.0, ph = h * dpi / 72.0;
        if (pw * ph <= (double)doc->limits.max_pixels)
            break;
        dpi = dpi * 3 / 4;
    }
    return dpi;
}

static dg_status read_pdf_page(dg_document *doc, int index, dg_page *page, dg_error *err)
{
    fz_context *ctx = doc->fz;
    fz_page *volatile fzpage = NULL;
    fz_stext_page *volatile stext = NULL;
    fz_buffer *volatile buffer = NULL;
    fz_pixmap *volatile pixmap = NULL;
    char *volatile text = NULL;
    volatile int dpi = doc->limits.render_dpi;
    fz_var(fzpage);
    fz_var(stext);
    fz_var(buffer);
    fz_var(pixmap);
    fz_var(text);
    fz_try(ctx)
    {
        fzpage = fz_load_page(ctx, doc->pdf, index);
        stext = fz_new_stext_page_from_page(ctx, fzpage, NULL);
        buffer = fz_new_buffer_from_stext_page(ctx, stext);
        text = fz_strdup(ctx, fz_string_from_buffer(ctx, buffer));
        fz_rect bounds = fz_bound_page(ctx, fzpage);
        dpi = render_dpi_for(doc, bounds.x1 - bounds.x0, bounds.y1 - bounds.y0);
        pixmap = fz_new_pixmap_from_page(ctx, fzpage, fz_scale(dpi / 72.0f, dpi / 72.0f),
                                         fz_device_rgb(ctx), 0);
    }
    fz_always(ctx)
    {
        fz_drop_buffer(ctx, buffer);
        fz_drop_stext_page(ctx, stext);
        fz_drop_page(ctx, fzpage);
    }
    fz_catch(ctx)
    {
        fz_free(ctx, text);
        return dg_error_set(err, DG_ERR_BAD_INPUT, "%s: page %d: broken PDF page (%s)",
                            doc->name, index + 1, fz_caught_message(ctx));
    }

    PIX *pix = pix_from_pixmap(ctx, pixmap, dpi);
    fz_drop_pixmap(ctx, pixmap);
    dg_status status = DG_OK;
    if (!pix)
        status = dg_error_set(err, DG_ERR_NOMEM, "%s: page %d: out of memory", doc->name,
                              index + 1);
    if (status == DG_OK)
        status = encode_png(doc, page, pix, err);
    if (status == DG_OK && text_layer_is_real(text)) {
        page->kind = DG_PAGE_PDF_TEXT;
        page->text = strdup(text);
        page->text_len = strlen(text);
        if (!page->text)
            status = dg_error_set(err, DG_ERR_NOMEM, "%s: out of memory", doc->name);
        page->width = (int)pixGetWidth(pix);
        page->height = (int)pixGetHeight(pix);
        page->dpi = dpi;
        pixDestroy(&pix);
    } else if (status == DG_OK) {
        page->kind = DG_PAGE_PDF_RENDER;
        set_pix(page, pix);
    } else if (pix) {
        pixDestroy(&pix);
    }
    fz_free(ctx, text);
    return status;
}

/* Page 1 of an office file: the file itself, and the text read from its XML. */
static dg_status read_original_page(dg_document *doc, dg_page *page, dg_error *err)
{
    dg_status st = keep_original(doc, page, err);
    page->image_mime = doc->original_mime;
    if (st == DG_OK && doc->office) {
        page->text = strdup(doc->office->text);
        page->text_len = doc->office->text_len;
        if (!page->text)
            st = dg_error_set(err, DG_ERR_NOMEM, "%s: out of memory", doc->name);
    }
    return st;
}

/* A page of the PDF rendering. An OOXML or ODF file's text is its page 1's: its rendered
 * pages are for viewing only (nothing to read twice, nothing to OCR). */
static dg_status read_view_page(dg_document *doc, int index, dg_page *page, dg_error *err)
{
    page->kind = DG_PAGE_PDF_RENDER;
    dg_status st = read_pdf_page(doc, index, page, err);
    page->number = index + 2;
    if (st != DG_OK || !doc->office)
        return st;
    free(page->text);
    page->text = NULL;
    page->text_len = 0;
    if (page->pix)
        pixDestroy(&page->pix);
    page->kind = DG_PAGE_VIEW;
    return DG_OK;
}

dg_status dg_document_read_page(dg_document *doc, int index, dg_page **out, dg_error *err)
{
    *out = NULL;
    if (index < 0 || index >= doc->page_count)
        return dg_error_set(err, DG_ERR_USAGE, "%s: no page %d (the file has %d)", doc->name,
                            index + 1, doc->page_count);
    int office = doc->type == DG_FILE_OFFICE || doc->type == DG_FILE_LEGACY_OFFICE;
    dg_page_kind kind = doc->type == DG_FILE_TEXT  ? DG_PAGE_PLAIN_TEXT
                        : doc->type == DG_FILE_PDF ? DG_PAGE_PDF_RENDER
                        : office                   ? DG_PAGE_DOCUMENT
                                                   : DG_PAGE_SCAN;
    dg_page *page = page_new(index + 1, kind);
    if (!page)
        return dg_error_set(err, DG_ERR_NOMEM, "%s: out of memory", doc->name);
    dg_status status;
    if (doc->type == DG_FILE_TEXT)
        status = read_text_page(doc, page, err);
    else if (doc->type == DG_FILE_PDF)
        status = read_pdf_page(doc, index, page, err);
    else if (office && index == 0)
        status = read_original_page(doc, page, err);
    else if (office)
        status = read_view_page(doc, index - 1, page, err);
    else
        status = read_image_page(doc, index, page, err);
    if (status != DG_OK) {
        dg_page_free(page);
        return status;
    }
    *out = page;
    return DG_OK;
}
