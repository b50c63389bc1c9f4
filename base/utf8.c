/*
 * utf8.c — UTF-8 validation and decoding (see utf8.h).
 */
#include "utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t dg_utf8_decode(const char *text, size_t left, uint32_t *cp)
{
    const unsigned char *s = (const unsigned char *)text;
    unsigned char c = s[0];
    size_t n;
    uint32_t v;
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    /* 0xC0, 0xC1 and 0xF5-0xFF never start a sequence: they could only encode overlong
     * forms or values past U+10FFFF. */
    if (c >= 0xC2 && c <= 0xDF)
        n = 2, v = c & 0x1F;
    else if (c >= 0xE0 && c <= 0xEF)
        n = 3, v = c & 0x0F;
    else if (c >= 0xF0 && c <= 0xF4)
        n = 4, v = c & 0x07;
    else
        return 0;
    if (left < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3F);
    }
    if ((n == 3 && v < 0x800) || (n == 4 && v < 0x10000) || v > 0x10FFFF ||
        (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return n;
}

size_t dg_utf8_next(const char *s, size_t left, uint32_t *cp)
{
    size_t n = dg_utf8_decode(s, left, cp);
    if (n == 0) {
        *cp = 0xFFFD;
        n = 1;
    }
    return n;
}

size_t dg_utf8_invalid_at(const char *s, size_t len)
{
    size_t at = 0;
    while (at < len) {
        uint32_t cp;
        size_t n = dg_utf8_decode(s + at, len - at, &cp);
        if (n == 0)
            return at;
        at += n;
    }
    return len;
}

int dg_utf8_valid(const char *s, size_t len)
{
    return dg_utf8_invalid_at(s, len) == len;
}

int dg_utf8_valid_str(const char *s)
{
    return !s || dg_utf8_valid(s, strlen(s));
}

size_t dg_utf8_encode(uint32_t cp, char out[4])
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp >= 0xD800 && cp <= 0xDFFF)
        return 0;
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    if (cp > 0x10FFFF)
        return 0;
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

char *dg_utf8_escape_invalid(const char *s)
{
    size_t len = strlen(s);
    char *out = malloc(len * 4 + 1);
    if (!out)
        return NULL;
    size_t at = 0, used = 0;
    while (at < len) {
        uint32_t cp;
        size_t n = dg_utf8_decode(s + at, len - at, &cp);
        if (n) {
            memcpy(out + used, s + at, n);
            used += n, at += n;
        } else {
            used += (size_t)snprintf(out + used, 5, "\\x%02X", (unsigned char)s[at++]);
        }
    }
    out[used] = '\0';
    return out;
}
