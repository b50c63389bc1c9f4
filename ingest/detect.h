/*
 * detect.h — what kind of file an input is, decided by its content alone.
 *
 * Scanned batches arrive with names that lie: "scan.pdf" that is a TIFF, "page.txt" that is
 * a PNG, files with no extension at all. dangan never looks at the name to decide a type;
 * it asks libmagic about the first bytes of the content and maps the MIME type it reports
 * onto the small set of types the page reader (pages.h) understands. The name is only used
 * in messages.
 *
 * A dg_detector wraps libmagic cookies, which are not safe to share between threads: each
 * worker thread opens its own. Detection reads at most DG_DETECT_SNIFF_BYTES of the content.
 * Prose that none of libmagic's text tests can match skips those tests (two thirds of its
 * time on a page of text) and gets the same answer, text/plain (detect.c, prose_type).
 */
#ifndef DG_DETECT_H
#define DG_DETECT_H

#include <stddef.h>

#include "../base/status.h"

/* The types dangan can take in. DG_FILE_UNKNOWN is never returned with DG_OK. */
typedef enum dg_file_type {
    DG_FILE_UNKNOWN = 0,
    DG_FILE_TIFF,  /* one or more pages */
    DG_FILE_PNG,
    DG_FILE_JPEG,
    DG_FILE_PNM,   /* PBM, PGM, PPM */
    DG_FILE_BMP,
    DG_FILE_PDF,   /* born-digital or scanned */
    DG_FILE_TEXT,  /* plain text in UTF-8, UTF-16, GB18030 or Big5 (textenc.h) */
    DG_FILE_OFFICE, /* a zip package: OOXML, ODF or OFD when office.h confirms it inside */
    DG_FILE_LEGACY_OFFICE /* a binary Word, Excel, PowerPoint or WPS file (OLE2) */
} dg_file_type;

/* How much of a file detection looks at (libmagic's own default read size). */
#define DG_DETECT_SNIFF_BYTES (1024 * 1024)

typedef struct dg_detector dg_detector;

/* Opens a detector: a libmagic cookie in MIME-type mode with the system's magic database. */
dg_status dg_detector_open(dg_detector **out, dg_error *err);

/* Closes a detector; NULL is allowed. */
void dg_detector_close(dg_detector *detector);

/*
 * Decides the type of the len bytes at data. name is only used in messages. An empty
 * buffer fails with DG_ERR_BAD_INPUT "NAME: empty file"; content of any other kind fails
 * with DG_ERR_BAD_INPUT "NAME: unknown file type (MIME)", e.g.
 * "scan.xyz: unknown file type (application/x-rar)". An encrypted Office file (libmagic's
 * application/encrypted) fails with "NAME: encrypted Office document (needs a password)".
 * Any zip is DG_FILE_OFFICE: only its content says whether it is one (office.h). On success
 * *type is never DG_FILE_UNKNOWN.
 */
dg_status dg_detect_buffer(dg_detector *detector, const void *data, size_t len,
                           const char *name, dg_file_type *type, dg_error *err);

/*
 * The MIME type libmagic reports for the len bytes at data, written to mime (size bytes),
 * e.g. "application/vnd.ms-excel": what a legacy office file is, which its type alone does
 * not say. A failure of libmagic is DG_ERR_BAD_INPUT.
 */
dg_status dg_detect_mime(dg_detector *detector, const void *data, size_t len, char *mime,
                         size_t size, dg_error *err);

/*
 * Like dg_detect_buffer() for an open file descriptor: reads the start of the file with
 * pread(), so the descriptor's offset is left where it was. A read error is DG_ERR_IO.
 */
dg_status dg_detect_fd(dg_detector *detector, int fd, const char *name, dg_file_type *type,
                       dg_error *err);

/* A short stable name for a type: "tiff", "png", "jpeg", "pnm", "bmp", "pdf", "text",
 * "office", "legacy office", "unknown". */
const char *dg_file_type_name(dg_file_type type);

#endif
