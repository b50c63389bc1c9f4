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

#include "../base/utf8.h"
#include "prose_magic.h"
#include "textenc.h"

struct dg_detector {
    magic_t cookie;
    magic_t binary; /* the same database without the text tests (see prose_type) */
    dg_prose_magic *prose; /* its binary tests that can match prose (prose_magic.h) */
    int prose_texts;       /* prose texts asked so far: the cut is made at PROSE_CUT_AT */
};

/*
 * Making the cut costs about what five texts cost the whole database (8 M instructions), so
 * a detector cuts only once it has met this many prose texts: a batch's workers cut at their
 * ninth text, `dangan add` of one text or a web upload never pays for it.
 */
#define PROSE_CUT_AT 9

static magic_t open_cookie(int flags, dg_error *err)
{
    magic_t cookie = magic_open(flags);
    if (!cookie) {
        dg_error_set(err, DG_ERR_INTERNAL, "file type detector: magic_open: %s",
                     strerror(errno));
        return NULL;
    }
    if (magic_load(cookie, NULL) != 0) {
        dg_error_set(err, DG_ERR_INTERNAL, "file type detector: cannot load magic database: %s",
                     magic_error(cookie));
        magic_close(cookie);
        return NULL;
    }
    return cookie;
}

dg_status dg_detector_open(dg_detector **out, dg_error *err)
{
    *out = NULL;
    dg_detector *detector = calloc(1, sizeof *detector);
    if (!detector)
        return dg_error_set(err, DG_ERR_NOMEM, "file type detector: out of memory");
    /* MAGIC_ERROR: a read error is an error, not the type "data". */
    detector->cookie = open_cookie(MAGIC_MIME_TYPE | MAGIC_ERROR, err);
    if (detector->cookie)
        detector->binary = open_cookie(MAGIC_MIME_TYPE | MAGIC_ERROR | MAGIC_NO_CHECK_TEXT, err);
    if (!detector->binary) {
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
    if (detector->cookie)
        magic_close(detector->cookie);
    if (detector->binary)
        magic_close(detector->binary);
    dg_prose_magic_close(detector->prose);
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

/*
 * Plain prose, the bulk of a born-digital batch, for a fraction of libmagic's time. Two
 * thirds of libmagic's work on a page of text is its text tests (file 5.44's "text" set:
 * program sources, markup, mail, scripts...), run after the binary tests and the encoding,
 * JSON and CSV checks; for prose none of them matches and the answer is text/plain. So a
 * text that no text test can match is asked of libmagic without them (MAGIC_NO_CHECK_TEXT:
 * every binary test, the encoding, JSON and CSV checks still run, exactly as before), and
 * if nothing matches it is text/plain, as the full run would say. Anything else, and every
 * text that looks in the least like code or markup, gets the full run. What no text test
 * can match, read from the magic sources of file 5.44 (Magdir), conservatively:
 *   - valid UTF-8 that opens with a non-ASCII character (no byte order mark): the tests
 *     at offset 0 (From, Subject:, %!PS, MZ...) all begin with ASCII;
 *   - every further line that is not blank opens with a non-ASCII character or with a
 *     capital and a small letter, as an English sentence does: the tests anchored at a
 *     line's start (^#include, ^import, ^\.TH, ^CFLAGS, ^[Cc], ^begin 644 ...) open
 *     otherwise, or with a word below (SiSU);
 *   - no control characters but tab, line feed and carriage return (nor C1 controls), and
 *     none of the ASCII signs that markup and code are written with (below);
 *   - none of the words that the text tests search for anywhere in a text (below; any
 *     case): C's and Python's keywords, m4's dnl, Nim's import, REXX's say...
 * tests/unit/test_detect.c compares the two ways on code, markup and prose in both
 * scripts; a batch of 6,000 bench/corpus.h records gave the same types both ways.
 */
static const char code_signs[] = "<>{}[]#\\@$;=|`~^*&_%+";
static const char *const searched_words[] = {
    "(input", "libhdr", "pragma", "endif", "define", "char", "double", "extern", "float",
    "struct", "union", "main(", "namespace", "using", "template", "virtual", "class",
    "public", "private", "protected", "--test--", "constant story", "yyprevious",
    "generated by flex", "kernel configuration", "/dts-v1/", "(setq", "(defvar", "(defparam",
    "(defun", "(autoload", "(custom-set-variables", "dnl", "(this file", "libtool",
    "rxfuncadd", "say", "import", "package", "!p", "exec", "try:", "def ", "def\t", "require",
    "include", "this is", "netlist", "..omr", "mode ", "mode\t", "ref ", "ref\t", "flex",
    " -- ", "---", "start component", "resource compiler", "tedax", "module", "sisu", NULL};

static int prose_bytes(const unsigned char *s, size_t len)
{
    if (len < 2 || s[0] < 0xC2 || (s[0] == 0xEF && s[1] == 0xBB)) /* ASCII, BOM or not UTF-8 */
        return 0;
    if (dg_utf8_invalid_at((const char *)s, len) != len)
        return 0;
    int line_start = 1;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = s[i];
        if (c == 0xC2 && i + 1 < len && s[i + 1] < 0xA0)
            return 0; /* U+0080..U+009F */
        if (c >= 0x80) {
            line_start = 0;
        } else if (c == '\n') {
            line_start = 1;
        } else if (c != ' ' && c != '\t' && c != '\r') {
            if (c < 0x20 || c == 0x7F || strchr(code_signs, c))
                return 0;
            if (line_start && !(c >= 'A' && c <= 'Z' && i + 1 < len && s[i + 1] >= 'a' &&
                                s[i + 1] <= 'z'))
                return 0; /* an English line opens with a capital and a small letter */
            line_start = 0;
        }
    }
    return 1;
}

static unsigned char ascii_lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 'a' - 'A') : c;
}

/*
 * 1 when none of searched_words occurs in s, in any case. One pass: at each byte only the
 * words that open with it (in lower case) are compared there, so a Chinese text's bytes
 * cost a look-up each (it was a lower-case copy and a search for each of 61 words).
 */
static int prose_words(const unsigned char *s, size_t len)
{
    enum { N_WORDS = sizeof searched_words / sizeof searched_words[0] - 1 };
    int head[128], next[N_WORDS];
    size_t wlen[N_WORDS];
    for (int c = 0; c < 128; c++)
        head[c] = -1;
    for (int w = N_WORDS - 1; w >= 0; w--) { /* every word is ASCII, in lower case */
        unsigned char first = (unsigned char)searched_words[w][0];
        wlen[w] = strlen(searched_words[w]);
        next[w] = head[first];
        head[first] = w;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = ascii_lower(s[i]);
        for (int w = c < 128 ? head[c] : -1; w >= 0; w = next[w]) {
            size_t k = 1;
            while (k < wlen[w] && i + k < len &&
                   ascii_lower(s[i + k]) == (unsigned char)searched_words[w][k])
                k++;
            if (k == wlen[w])
                return 0;
        }
    }
    return 1;
}

/*
 * libmagic's binary tests on prose: from a detector's ninth text on, only those that can match
 * it at all (prose_magic.h: 311 of file 5.44's 3,154, the same answer for an eighth of the
 * work), or every one before, when the database is not one that module can cut, or when data
 * is not what it calls prose.
 */
static const char *binary_tests(dg_detector *detector, const void *data, size_t len)
{
    if (detector->prose_texts < PROSE_CUT_AT && ++detector->prose_texts == PROSE_CUT_AT) {
        dg_error ignored; /* without the cut the whole database gives the same answers */
        if (dg_prose_magic_open(MAGIC_MIME_TYPE | MAGIC_ERROR, &detector->prose, &ignored))
            detector->prose = NULL;
    }
    const char *mime = detector->prose ? dg_prose_magic_buffer(detector->prose, data, len) : NULL;
    return mime ? mime : magic_buffer(detector->binary, data, len);
}

/* DG_FILE_TEXT when data is prose that libmagic calls text/plain; UNKNOWN: ask it all. */
static dg_file_type prose_type(dg_detector *detector, const void *data, size_t len)
{
    if (!prose_bytes(data, len) || !prose_words(data, len))
        return DG_FILE_UNKNOWN;
    const char *mime = binary_tests(detector, data, len);
    return mime && !strcmp(mime, "application/octet-stream") ? DG_FILE_TEXT : DG_FILE_UNKNOWN;
}

dg_status dg_detect_buffer(dg_detector *detector, const void *data, size_t len,
                           const char *name, dg_file_type *type, dg_error *err)
{
    *type = DG_FILE_UNKNOWN;
    if (len == 0)
        return dg_error_set(err, DG_ERR_BAD_INPUT, "%s: empty file", name);
    if (len > DG_DETECT_SNIFF_BYTES)
        len = DG_DETECT_SNIFF_BYTES;
    else if (prose_type(detector, data, len) == DG_FILE_TEXT) /* a cut text may be prose */
        return *type = DG_FILE_TEXT, DG_OK;
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
