/*
 * detect.c — content type detection with libmagic (see detect.h).
 */
#include "detect.h"

#include <errno.h>
#include <magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "textenc.h"

struct dg_detector {
    magic_t cookie;
};

dg_status dg_detector_open(dg_detector **out, dg_error *err)
{
    *out = NULL;
    dg_detector *detector = calloc(1, sizeof *detector);
    if (!detector)
        return dg_error_set(err, DG_ERR_NOMEM, "file type detector: out of memory");
    /* MAGIC_ERROR: a read error is an error, not the type "data". */
    detector->cookie = magic_open(MAGIC_MIME_TYPE | MAGIC_ERROR);
    if (!detector->cookie) {
        free(detector);
        return dg_error_set(err, DG_ERR_INTERNAL, "file type detector: magic_open: %s",
                            strerror(errno));
    }
    if (magic_load(detector->cookie, NULL) != 0) {
        dg_error_set(err, DG_ERR_INTERNAL, "file type detector: cannot load magic database: %s",
                     magic_error(detector->cookie));
        dg_detector_close(detector);
        return DG_ERR_INTERNAL;
    }
    *out = detector;
    return DG_OK;
}

void dg_detector_close(dg_detector *detector)
{
    if (!detector)
        return;
    magic_close(detector->cookie);
    free(detector);
}

static const struct {
    const char *mime;
    dg_file_type type;
} known_types[] = {
    {"image/tiff", DG_FILE_TIFF},
    {"image/png", DG_FILE_PNG},
    {"image/jpeg", DG_FILE_JPEG},
    {"image/x-portable-bitmap", DG_FILE_PNM},
    {"image/x-portable-greymap", DG_FILE_PNM},
    {"image/x-portable-pixmap", DG_FILE_PNM},
    {"image/x-portable-anymap", DG_FILE_PNM},
    {"image/bmp", DG_FILE_BMP},
    {"image/x-ms-bmp", DG_FILE_BMP},
    {"application/pdf", DG_FILE_PDF},
    {"text/plain", DG_FILE_TEXT},
    /* Zip packages: libmagic names OOXML and ODF by their content types, OFD and other
     * zips as application/zip; office.h looks inside to confirm. */
    {"application/zip", DG_FILE_OFFICE},
    {"application/x-zip-compressed", DG_FILE_OFFICE},
    /* OLE2 compound files: Word 97-2003, Excel, PowerPoint, and Kingsoft WPS files,
     * which libmagic often names only as a compound document. */
    {"application/msword", DG_FILE_LEGACY_OFFICE},
    {"application/vnd.ms-excel", DG_FILE_LEGACY_OFFICE},
    {"application/vnd.ms-powerpoint", DG_FILE_LEGACY_OFFICE},
    {"application/vnd.ms-office", DG_FILE_LEGACY_OFFICE},
    {"application/vnd.ms-works", DG_FILE_LEGACY_OFFICE},
    {"application/x-ole-storage", DG_FILE_LEGACY_OFFICE},
    {"application/CDFV2", DG_FILE_LEGACY_OFFICE},
};

static const char *const zip_prefixes[] = {
    "application/vnd.openxmlformats-officedocument.",
    "application/vnd.oasis.opendocument.",
    "application/vnd.ms-word.",       /* .docm and templates */
    "application/vnd.ms-excel.",      /* .xlsm */
    "application/vnd.ms-powerpoint.", /* .pptm */
};

/*
 * Only text/plain counts as text: libmagic reports program sources, CSV and the like as
 * other text/ types, and HTML or XML would be taken in with their markup as "content".
 */
static dg_file_type type_of_mime(const char *mime)
{
    for (size_t i = 0; i < sizeof known_types / sizeof known_types[0]; i++)
        if (strcmp(mime, known_types[i].mime) == 0)
            return known_types[i].type;
    for (size_t i = 0; i < sizeof zip_prefixes / sizeof zip_prefixes[0]; i++)
        if (strncmp(mime, zip_prefixes[i], strlen(zip_prefixes[i])) == 0)
            return DG_FILE_OFFICE;
    return DG_FILE_UNKNOWN;
}

dg_status dg_detect_buffer(dg_detector *detector, const void *data, size_t len,
                           const char *name, dg_file_type *type, dg_error *err)
{
    *type = DG_FILE_UNKNOWN;
    if (len == 0)
        return dg_error_set(err, DG_ERR_BAD_INPUT, "%s: empty file", name);
    if (len > DG_DETECT_SNIFF_BYTES)
        len = DG_DETECT_SNIFF_BYTES;
    const char *mime = magic_buffer(detector->cookie, data, len);
    if (!mime)
        return dg_error_set(err, DG_ERR_BAD_INPUT, "%s: cannot detect file type (%s)", name,
                            magic_error(detector->cookie));
    dg_file_type found = type_of_mime(mime);
    if (!strcmp(mime, "application/encrypted"))
        return dg_error_set(err, DG_ERR_BAD_INPUT, "%s: encrypted Office document (needs a "
                            "password)", name);
    if (found == DG_FILE_UNKNOWN && dg_text_looks_utf16(data, len))
        found = DG_FILE_TEXT; /* "Unicode text" without a BOM: libmagic says binary */
    if (found == DG_FILE_UNKNOWN)
        return dg_error_set(err, DG_ERR_BAD_INPUT, "%s: unknown file type (%s)", name, mime);
    *type = found;
    return DG_OK;
}

dg_status dg_detect_mime(dg_detector *detector, const void *data, size_t len, char *mime,
                         size_t size, dg_error *err)
{
    if (len > DG_DETECT_SNIFF_BYTES)
        len = DG_DETECT_SNIFF_BYTES;
    const char *found = len ? magic_buffer(detector->cookie, data, len) : NULL;
    if (!found)
        return dg_error_set(err, DG_ERR_BAD_INPUT, "cannot detect file type (%s)",
                            len ? magic_error(detector->cookie) : "empty");
    snprintf(mime, size, "%s", found);
    return DG_OK;
}

dg_status dg_detect_fd(dg_detector *detector, int fd, const char *name, dg_file_type *type,
                       dg_error *err)
{
    *type = DG_FILE_UNKNOWN;
    unsigned char *head = malloc(DG_DETECT_SNIFF_BYTES);
    if (!head)
        return dg_error_set(err, DG_ERR_NOMEM, "%s: out of memory", name);
    size_t have = 0;
    while (have < DG_DETECT_SNIFF_BYTES) {
        ssize_t n = pread(fd, head + have, DG_DETECT_SNIFF_BYTES - have, (off_t)have);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            dg_status status = dg_error_set(err, DG_ERR_IO, "%s: %s", name, strerror(errno));
            free(head);
            return status;
        }
        if (n == 0)
            break;
        have += (size_t)n;
    }
    dg_status status = dg_detect_buffer(detector, head, have, name, type, err);
    free(head);
    return status;
}

const char *dg_file_type_name(dg_file_type type)
{
    switch (type) {
    case DG_FILE_TIFF: return "tiff";
    case DG_FILE_PNG: return "png";
    case DG_FILE_JPEG: return "jpeg";
    case DG_FILE_PNM: return "pnm";
    case DG_FILE_BMP: return "bmp";
    case DG_FILE_PDF: return "pdf";
    case DG_FILE_TEXT: return "text";
    case DG_FILE_OFFICE: return "office";
    case DG_FILE_LEGACY_OFFICE: return "legacy office";
    case DG_FILE_UNKNOWN: break;
    }
    return "unknown";
}
