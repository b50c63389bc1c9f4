/*
 * textenc.h — turning the bytes of a text from a school office into UTF-8.
 *
 * A records room receives text in whatever its computers wrote: Excel on Chinese Windows
 * saves "CSV" in GBK and "Unicode text" in UTF-16LE, Taiwan and Hong Kong offices write
 * Big5, Notepad adds a BOM. Everything dangan stores is UTF-8 (base/utf8.h), so every
 * text that comes in from outside (manifests, born-digital .txt files, file names) passes
 * through here first. The ingest runner, the manifest reader and the request handlers
 * call it.
 *
 * Automatic detection follows a fixed order that is right for this domain, because short
 * texts fool statistical detectors:
 *
 *   1. a byte-order mark decides (UTF-8, UTF-16LE, UTF-16BE);
 *   2. valid UTF-8 stays UTF-8;
 *   3. NUL bytes at every other position mean UTF-16 without a BOM (LE or BE);
 *   4. otherwise uchardet is asked, and GB18030 (a superset of GBK and GB2312) and Big5
 *      (Big5-HKSCS) are both tried: only a conversion that succeeds for every byte
 *      counts. When both succeed, as they often do for a few Han characters, the one whose
 *      characters are more common Chinese (GB2312 level 1 or Big5's common characters,
 *      measured with iconv) and less often rare, private-use or non-Chinese wins; uchardet's
 *      answer breaks ties. Anything else (uchardet's non-Chinese answers included) is
 *      refused with a message that names what was tried and what uchardet thought.
 *
 * The archivist can force an encoding (`--encoding gbk`), which is then the only one tried.
 * The result never contains a NUL character. Decoding uses iconv and uchardet handles that
 * live only for the call: safe from any thread.
 */
#ifndef DG_TEXTENC_H
#define DG_TEXTENC_H

#include <stddef.h>

#include "../base/status.h"

typedef enum dg_text_encoding {
    DG_ENC_AUTO = 0, /* detect (see above) */
    DG_ENC_UTF8,     /* UTF-8, BOM optional */
    DG_ENC_GB18030,  /* GB18030, which contains GBK and GB2312 */
    DG_ENC_BIG5,     /* Big5 with the Hong Kong extensions (Big5-HKSCS) */
    DG_ENC_UTF16,    /* UTF-16: the BOM says which end first; without one, guessed from NULs */
    DG_ENC_UTF16LE,
    DG_ENC_UTF16BE
} dg_text_encoding;

/*
 * Parses an encoding name as an archivist types it: utf-8 (utf8), gbk, gb2312, gb18030,
 * big5 (big5-hkscs), utf-16, utf-16le, utf-16be, auto; case does not matter. Anything else
 * is DG_ERR_USAGE with the list of names.
 */
dg_status dg_text_encoding_parse(const char *name, dg_text_encoding *out, dg_error *err);

/* The name shown to people: "UTF-8", "GB18030", "Big5", "UTF-16LE", ...; "auto". */
const char *dg_text_encoding_name(dg_text_encoding enc);

/* What a decoding produced, or how far it got. */
typedef struct dg_decoded_text {
    char *text;            /* NUL-terminated UTF-8, malloc'ed; NULL after a failure */
    size_t len;            /* bytes of text, without the NUL */
    dg_text_encoding encoding; /* the encoding used, or after a failure the one tried that
                                  got furthest */
    size_t bad_offset;     /* after a failure: byte offset in the input where it stopped */
    int not_text;          /* after a failure: it converted, but into no plausible text */
} dg_decoded_text;

/*
 * Decodes the len bytes at data, named name in messages, into out. enc is DG_ENC_AUTO or
 * the encoding to use. An empty input gives an empty text. A text that cannot be decoded
 * is DG_ERR_BAD_INPUT "NAME: not valid ENCODING text (byte N); ..." naming the encoding
 * tried and suggesting --encoding; out->encoding and out->bad_offset then say where it
 * failed (a caller that knows more, such as the row of a manifest, may say it better).
 * Free out->text with free().
 */
dg_status dg_text_decode(const void *data, size_t len, dg_text_encoding enc, const char *name,
                         dg_decoded_text *out, dg_error *err);

/*
 * 1 when the len bytes at data (possibly the cut-off head of a file) are UTF-16 text
 * without a byte-order mark: NULs at every other byte and nothing iconv refuses. The type
 * detector (detect.h) asks, because libmagic calls such a file binary data.
 */
int dg_text_looks_utf16(const void *data, size_t len);

/*
 * A name for a string that should be UTF-8 but may not be (a file name from a Windows
 * zip, a folder copied from an old machine): valid UTF-8 is returned as it is; otherwise the
 * first of GB18030 and Big5 that decodes it and looks like Chinese (as above); otherwise
 * each byte that is not valid UTF-8 is written as "\xNN". The result is always valid
 * UTF-8, malloc'ed; NULL only when memory runs out.
 */
char *dg_text_name_to_utf8(const char *name);

#endif
