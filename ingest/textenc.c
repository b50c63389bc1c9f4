/*
 * textenc.c — detecting and converting text encodings with uchardet and iconv (see
 * textenc.h).
 */
#include "textenc.h"

#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <uchardet.h>

#include "../base/chars.h"
#include "../base/utf8.h"

/* How much of a text the Chinese-likeness score looks at: enough characters to tell
 * GB18030 from Big5 with certainty, bounded so a 50 MB file costs no more than a page. */
#define SCORE_SAMPLE_CHARS 4096

static const struct {
    const char *name;
    dg_text_encoding enc;
} ENCODING_NAMES[] = {
    {"auto", DG_ENC_AUTO},         {"utf-8", DG_ENC_UTF8},        {"utf8", DG_ENC_UTF8},
    {"gbk", DG_ENC_GB18030},       {"gb2312", DG_ENC_GB18030},    {"gb18030", DG_ENC_GB18030},
    {"cp936", DG_ENC_GB18030},     {"big5", DG_ENC_BIG5},         {"big5-hkscs", DG_ENC_BIG5},
    {"big5hkscs", DG_ENC_BIG5},    {"cp950", DG_ENC_BIG5},        {"utf-16", DG_ENC_UTF16},
    {"utf16", DG_ENC_UTF16},       {"unicode", DG_ENC_UTF16},     {"utf-16le", DG_ENC_UTF16LE},
    {"utf-16be", DG_ENC_UTF16BE},
};

dg_status dg_text_encoding_parse(const char *name, dg_text_encoding *out, dg_error *err)
{
    for (size_t i = 0; name && i < sizeof ENCODING_NAMES / sizeof ENCODING_NAMES[0]; i++) {
        if (!strcasecmp(name, ENCODING_NAMES[i].name)) {
            *out = ENCODING_NAMES[i].enc;
            return DG_OK;
        }
    }
    return dg_error_set(err, DG_ERR_USAGE,
                        "--encoding '%s': give gbk, gb18030, big5, utf-16, utf-16le, utf-16be, "
                        "utf-8 or auto",
                        name ? name : "");
}

const char *dg_text_encoding_name(dg_text_encoding enc)
{
    switch (enc) {
    case DG_ENC_AUTO: return "auto";
    case DG_ENC_UTF8: return "UTF-8";
    case DG_ENC_GB18030: return "GB18030";
    case DG_ENC_BIG5: return "Big5";
    case DG_ENC_UTF16: return "UTF-16";
    case DG_ENC_UTF16LE: return "UTF-16LE";
    case DG_ENC_UTF16BE: return "UTF-16BE";
    }
    return "auto";
}

/* iconv's name for each encoding we convert from. Big5-HKSCS contains Big5 and adds the
 * Hong Kong characters, so a Hong Kong school's file converts too. */
static const char *iconv_name(dg_text_encoding enc)
{
    switch (enc) {
    case DG_ENC_GB18030: return "GB18030";
    case DG_ENC_BIG5: return "BIG5-HKSCS";
    case DG_ENC_UTF16LE: return "UTF-16LE";
    case DG_ENC_UTF16BE: return "UTF-16BE";
    default: return "UTF-8";
    }
}

/* ---- conversion ---------------------------------------------------------------------- */

/* Where the input holds a NUL character in enc: a text never does, binary data does. */
static size_t nul_at(dg_text_encoding enc, const unsigned char *in, size_t len)
{
    if (enc == DG_ENC_UTF16LE || enc == DG_ENC_UTF16BE) {
        for (size_t i = 0; i + 1 < len; i += 2)
            if (!in[i] && !in[i + 1])
                return i;
        return len;
    }
    const unsigned char *nul = memchr(in, 0, len);
    return nul ? (size_t)(nul - in) : len;
}

/*
 * Converts len bytes from enc to UTF-8. Returns 1 with *out (malloc'ed, NUL-terminated),
 * 0 when the input is not valid in enc (*bad: the offset where it stopped), -1 when memory
 * or iconv itself fails.
 */
static int convert(dg_text_encoding enc, const unsigned char *in, size_t len, char **out,
                   size_t *out_len, size_t *bad)
{
    *out = NULL;
    size_t nul = nul_at(enc, in, len);
    if (nul < len) {
        *bad = nul;
        return 0;
    }
    if (enc == DG_ENC_UTF8) {
        *bad = dg_utf8_invalid_at((const char *)in, len);
        if (*bad < len)
            return 0;
        if (!(*out = malloc(len + 1)))
            return -1;
        memcpy(*out, in, len);
        (*out)[len] = '\0';
        *out_len = len;
        return 1;
    }
    iconv_t cd = iconv_open("UTF-8", iconv_name(enc));
    if (cd == (iconv_t)-1 && enc == DG_ENC_BIG5)
        cd = iconv_open("UTF-8", "BIG5"); /* an iconv without the Hong Kong extensions */
    if (cd == (iconv_t)-1)
        return -1;
    size_t cap = len * 3 + 16, used = 0;
    char *buf = malloc(cap);
    char *inp = (char *)in;
    size_t left = len;
    int result = buf ? 1 : -1;
    while (result == 1 && left > 0) {
        char *outp = buf + used;
        size_t room = cap - used - 1;
        size_t rc = iconv(cd, &inp, &left, &outp, &room);
        used = (size_t)(outp - buf);
        if (rc != (size_t)-1)
            break;
        if (errno == E2BIG) {
            char *bigger = realloc(buf, cap * 2);
            if (!bigger)
                result = -1;
            else
                buf = bigger, cap *= 2;
        } else { /* EILSEQ: not this encoding; EINVAL: cut off in the middle of a character */
            *bad = (size_t)(inp - (char *)in);
            result = 0;
        }
    }
    iconv_close(cd);
    if (result != 1) {
        free(buf);
        return result;
    }
    buf[used] = '\0';
    /* iconv writes UTF-8, but the guarantee is ours to keep: check rather than trust. */
    if (!dg_utf8_valid(buf, used) || memchr(buf, 0, used)) {
        free(buf);
        *bad = 0;
        return 0;
    }
    *out = buf;
    *out_len = used;
    return 1;
}

/* ---- how Chinese does a decoding look? --------------------------------------------- */

typedef struct scorer {
    iconv_t to_gb2312, to_big5;
} scorer;

/* Does the UTF-8 character (n bytes at s) encode in to, and how? */
static size_t encode_in(iconv_t to, const char *s, size_t n, unsigned char out[8])
{
    char *in = (char *)s, *o = (char *)out;
    size_t left = n, room = 8;
    iconv(to, NULL, NULL, NULL, NULL);
    if (iconv(to, &in, &left, &o, &room) == (size_t)-1)
        return 0;
    return 8 - room;
}

/*
 * A common Han character is one of GB2312's first level (the 3755 characters of everyday
 * simplified writing, lead bytes 0xB0-0xD7) or of Big5's frequently used characters
 * (0xA440-0xC67E, 5401 characters). Both lists are the encodings' own, asked through iconv.
 */
static int han_is_common(const scorer *sc, const char *s, size_t n)
{
    unsigned char b[8];
    if (sc->to_gb2312 != (iconv_t)-1 && encode_in(sc->to_gb2312, s, n, b) == 2 && b[0] >= 0xB0 &&
        b[0] <= 0xD7)
        return 1;
    if (sc->to_big5 != (iconv_t)-1 && encode_in(sc->to_big5, s, n, b) == 2) {
        unsigned code = (unsigned)b[0] << 8 | b[1];
        if (code >= 0xA440 && code <= 0xC67E)
            return 1;
    }
    return 0;
}

/*
 * Scores a decoded text: common Han characters count for it, rare ones (CJK extensions,
 * compatibility ideographs, private use) and anything neither Chinese nor punctuation
 * (kana, Hangul, Latin letters with accents, box drawing: what a wrong decoding of
 * Chinese produces) count against it. ASCII and CJK punctuation are neutral.
 *
 * Measured on notices, department names and locations (tests/unit/test_textenc.c): GBK
 * bytes of 关于开学的通知 read as Big5 give 壽衾羲悝腔籵眭 (level-2 and rare characters),
 * Big5 bytes of 關於開學的通知 read as GB18030 give 闽秨厩硄 plus kana; the right reading
 * always scores higher.
 */
static long chinese_score(const scorer *sc, const char *text, size_t len)
{
    long score = 0;
    size_t at = 0;
    for (int chars = 0; at < len && chars < SCORE_SAMPLE_CHARS; chars++) {
        uint32_t cp = 0;
        size_t n = dg_utf8_decode(text + at, len - at, &cp);
        if (n == 0)
            return -1000000; /* cannot happen after convert(); never prefer it */
        if (cp < 0x80 || dg_is_cjk_punctuation(cp) || (cp >= 0x2000 && cp <= 0x206F) ||
            (cp >= 0x3100 && cp <= 0x312F))
            ; /* ASCII, CJK and general punctuation, full-width forms, bopomofo */
        else if (cp >= 0x4E00 && cp <= 0x9FFF)
            score += han_is_common(sc, text + at, n) ? 2 : -1;
        else if ((cp >= 0x3400 && cp <= 0x4DBF) || cp >= 0x20000 ||
                 (cp >= 0xE000 && cp <= 0xF8FF) || (cp >= 0xF900 && cp <= 0xFAFF))
            score -= 3;
        else
            score -= 2;
        at += n;
    }
    return score;
}

/* Does a guessed decoding read as Chinese or plain text rather than a jumble of scripts? */
static int reads_as_text(const char *text, size_t len)
{
    scorer sc = {iconv_open("GB2312", "UTF-8"), iconv_open("BIG5", "UTF-8")};
    long score = chinese_score(&sc, text, len);
    if (sc.to_gb2312 != (iconv_t)-1)
        iconv_close(sc.to_gb2312);
    if (sc.to_big5 != (iconv_t)-1)
        iconv_close(sc.to_big5);
    return score >= 0;
}

/* ---- detection ----------------------------------------------------------------------- */

/* uchardet's guess mapped onto the encodings we decode; DG_ENC_AUTO when it names
 * something else (or nothing). */
static dg_text_encoding uchardet_guess(const unsigned char *data, size_t len, char *other,
                                       size_t other_size)
{
    other[0] = '\0';
    uchardet_t ud = uchardet_new();
    if (!ud)
        return DG_ENC_AUTO;
    dg_text_encoding enc = DG_ENC_AUTO;
    if (uchardet_handle_data(ud, (const char *)data, len) == 0) {
        uchardet_data_end(ud);
        const char *cs = uchardet_get_charset(ud);
        if (!cs || !*cs)
            ;
        else if (!strcasecmp(cs, "GB18030") || !strcasecmp(cs, "GB2312") ||
                 !strcasecmp(cs, "GBK") || !strcasecmp(cs, "HZ-GB-2312"))
            enc = DG_ENC_GB18030;
        else if (!strncasecmp(cs, "BIG5", 4) || !strcasecmp(cs, "EUC-TW"))
            enc = DG_ENC_BIG5;
        else
            snprintf(other, other_size, "%s", cs);
    }
    uchardet_delete(ud);
    return enc;
}

/*
 * UTF-16 without a BOM: ASCII characters (spaces, digits, line ends) put a NUL in every
 * other byte, and never in the bytes between. At least one code unit in 16 must be ASCII:
 * a stray NUL in binary data is not UTF-16 text.
 */
static dg_text_encoding utf16_by_nuls(const unsigned char *data, size_t len)
{
    if (len < 2 || len % 2)
        return DG_ENC_AUTO;
    size_t even = 0, odd = 0;
    for (size_t i = 0; i < len; i++) {
        if (!data[i] && i % 2)
            odd++;
        else if (!data[i])
            even++;
    }
    size_t enough = len / 2 / 16 ? len / 2 / 16 : 1;
    if (odd >= enough && even == 0)
        return DG_ENC_UTF16LE;
    if (even >= enough && odd == 0)
        return DG_ENC_UTF16BE;
    return DG_ENC_AUTO;
}

/* The length of a byte-order mark at data, and the encoding it names. */
static size_t bom_of(const unsigned char *data, size_t len, dg_text_encoding *enc)
{
    if (len >= 3 && data[0] == 0xEF && data[1] == 0xBB && data[2] == 0xBF) {
        *enc = DG_ENC_UTF8;
        return 3;
    }
    if (len >= 2 && data[0] == 0xFF && data[1] == 0xFE) {
        *enc = DG_ENC_UTF16LE;
        return 2;
    }
    if (len >= 2 && data[0] == 0xFE && data[1] == 0xFF) {
        *enc = DG_ENC_UTF16BE;
        return 2;
    }
    return 0;
}

typedef struct attempt {
    dg_text_encoding enc;
    char *text;
    size_t len;
    long score;
} attempt;

/* Tries one encoding; remembers the furthest failure in out. Returns -1 on no memory. */
static int try_one(dg_text_encoding enc, const unsigned char *data, size_t len, attempt *a,
                   dg_decoded_text *out)
{
    size_t bad = 0;
    a->enc = enc;
    a->text = NULL;
    int rc = convert(enc, data, len, &a->text, &a->len, &bad);
    if (rc == 0 && (out->encoding == DG_ENC_AUTO || bad >= out->bad_offset)) {
        out->encoding = enc;
        out->bad_offset = bad;
    }
    return rc;
}

/* GB18030 and Big5 both tried; the more Chinese-looking wins, uchardet's guess on a tie. */
static int decode_chinese(const unsigned char *data, size_t len, dg_text_encoding guess,
                          attempt *best, dg_decoded_text *out)
{
    attempt gb = {0}, big5 = {0};
    int rc_gb = try_one(DG_ENC_GB18030, data, len, &gb, out);
    int rc_big5 = try_one(DG_ENC_BIG5, data, len, &big5, out);
    if (rc_gb < 0 || rc_big5 < 0) {
        free(gb.text);
        free(big5.text);
        return -1;
    }
    if (rc_gb == 1 && rc_big5 == 1) {
        scorer sc = {iconv_open("GB2312", "UTF-8"), iconv_open("BIG5", "UTF-8")};
        gb.score = chinese_score(&sc, gb.text, gb.len);
        big5.score = chinese_score(&sc, big5.text, big5.len);
        if (sc.to_gb2312 != (iconv_t)-1)
            iconv_close(sc.to_gb2312);
        if (sc.to_big5 != (iconv_t)-1)
            iconv_close(sc.to_big5);
        int take_big5 = big5.score > gb.score || (big5.score == gb.score && guess == DG_ENC_BIG5);
        *best = take_big5 ? big5 : gb;
        free(take_big5 ? gb.text : big5.text);
        return 1;
    }
    *best = rc_gb == 1 ? gb : big5;
    return rc_gb == 1 || rc_big5 == 1;
}

/* Automatic detection (the order in textenc.h). Returns 1, 0 (undecodable) or -1. */
static int decode_auto(const unsigned char *data, size_t len, attempt *best,
                       dg_decoded_text *out, char *other, size_t other_size)
{
    dg_text_encoding enc;
    size_t bom = bom_of(data, len, &enc);
    if (bom && enc != DG_ENC_UTF8 && utf16_by_nuls(data + bom, len - bom) != DG_ENC_AUTO &&
        utf16_by_nuls(data + bom, len - bom) != enc) {
        /* FF FE followed by NULs in the places of big-endian ASCII: binary data that
         * happens to start like a BOM, not text. */
        out->encoding = enc;
        out->bad_offset = bom;
        return 0;
    }
    if (bom) {
        int rc = try_one(enc, data + bom, len - bom, best, out);
        if (rc == 0)
            out->bad_offset += bom; /* offsets count in the file as it is */
        return rc;
    }
    int rc = try_one(DG_ENC_UTF8, data, len, best, out);
    if (rc != 0)
        return rc;
    enc = utf16_by_nuls(data, len);
    if (enc != DG_ENC_AUTO) {
        rc = try_one(enc, data, len, best, out);
        if (rc == 1 && !reads_as_text(best->text, best->len)) {
            out->encoding = best->enc;
            out->bad_offset = 0;
            out->not_text = 1;
            free(best->text);
            best->text = NULL;
            return 0;
        }
        return rc;
    }
    dg_text_encoding guess = uchardet_guess(data, len, other, other_size);
    rc = decode_chinese(data, len, guess, best, out);
    if (rc == 1 && !reads_as_text(best->text, best->len)) {
        /* It converts, but into a jumble of rare characters and foreign scripts: not
         * Chinese text, whatever the bytes happen to allow. */
        out->encoding = best->enc;
        out->bad_offset = 0;
        out->not_text = 1;
        free(best->text);
        best->text = NULL;
        return 0;
    }
    return rc;
}

/* A forced encoding: only that one. UTF-16 reads the BOM or guesses the byte order. */
static int decode_forced(dg_text_encoding enc, const unsigned char *data, size_t len,
                         attempt *best, dg_decoded_text *out)
{
    dg_text_encoding bom_enc;
    size_t bom = bom_of(data, len, &bom_enc);
    if (enc == DG_ENC_UTF16) {
        if (bom && bom_enc != DG_ENC_UTF8)
            enc = bom_enc;
        else {
            bom = 0;
            enc = utf16_by_nuls(data, len) == DG_ENC_UTF16BE ? DG_ENC_UTF16BE : DG_ENC_UTF16LE;
        }
    } else if (!bom || bom_enc != enc) {
        bom = 0;
    }
    int rc = try_one(enc, data + bom, len - bom, best, out);
    if (rc == 0)
        out->bad_offset += bom;
    return rc;
}

dg_status dg_text_decode(const void *data, size_t len, dg_text_encoding enc, const char *name,
                         dg_decoded_text *out, dg_error *err)
{
    memset(out, 0, sizeof *out);
    attempt best = {0};
    char other[64] = "";
    int rc = enc == DG_ENC_AUTO ? decode_auto(data, len, &best, out, other, sizeof other)
                                : decode_forced(enc, data, len, &best, out);
    if (rc < 0)
        return dg_error_set(err, DG_ERR_NOMEM, "%s: out of memory decoding the text", name);
    if (rc == 0) {
        free(best.text);
        char tried[96];
        if (out->not_text)
            snprintf(tried, sizeof tried, "as %s it reads as no Chinese text",
                     dg_text_encoding_name(out->encoding));
        else
            snprintf(tried, sizeof tried, "%s stops at byte %zu",
                     dg_text_encoding_name(out->encoding), out->bad_offset);
        if (enc == DG_ENC_AUTO)
            return dg_error_set(err, DG_ERR_BAD_INPUT,
                                "%s: cannot tell the text's encoding: not UTF-8, UTF-16, "
                                "GB18030 (GBK) or Big5 (%s%s%s); give it with --encoding "
                                "gbk|gb18030|big5|utf-16|utf-8",
                                name, tried, other[0] ? "; uchardet says " : "", other);
        return dg_error_set(err, DG_ERR_BAD_INPUT,
                            "%s: not valid %s text (byte %zu); check --encoding (gbk, gb18030, "
                            "big5, utf-16, utf-8)",
                            name, dg_text_encoding_name(out->encoding), out->bad_offset);
    }
    out->text = best.text;
    out->len = best.len;
    out->encoding = best.enc;
    out->bad_offset = 0;
    return DG_OK;
}

int dg_text_looks_utf16(const void *data, size_t len)
{
    len -= len % 2;
    dg_text_encoding enc = utf16_by_nuls(data, len);
    if (enc == DG_ENC_AUTO)
        return 0;
    char *text = NULL;
    size_t text_len, bad = 0;
    int rc = convert(enc, data, len, &text, &text_len, &bad);
    /* A head cut in the middle of a surrogate pair fails only in its last 4 bytes. */
    if (rc == 0 && len >= 4 && bad >= len - 4 && bad > 0) {
        free(text);
        rc = convert(enc, data, bad, &text, &text_len, &bad);
    }
    int plausible = rc == 1 && reads_as_text(text, text_len);
    free(text);
    return plausible;
}

/* ---- names ----------------------------------------------------------------------------- */

char *dg_text_name_to_utf8(const char *name)
{
    size_t len = strlen(name);
    if (dg_utf8_valid(name, len))
        return strdup(name);
    dg_decoded_text out = {0};
    attempt best = {0};
    int rc = decode_chinese((const unsigned char *)name, len, DG_ENC_AUTO, &best, &out);
    /* A name of a few characters proves little: take the Chinese reading only when it
     * looks like Chinese at all, else keep the bytes visible as escapes. */
    if (rc == 1 && reads_as_text(best.text, best.len))
        return best.text;
    free(best.text);
    return dg_utf8_escape_invalid(name);
}
