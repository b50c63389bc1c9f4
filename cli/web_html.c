/*
 * web_html.c — the escapes behind every page of the web interface (the buffer they append
 * to is base/buf.h).
 */
#include "web_html.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/utf8.h"

static const char REPLACEMENT[] = "\xEF\xBF\xBD";

/* One character of text at s (at most left bytes), escaped; returns the bytes used. */
static size_t escape_one(dg_buf *b, const char *s, size_t left)
{
    unsigned char c = (unsigned char)*s;
    switch (c) {
    case '&': dg_buf_puts(b, "&amp;"); return 1;
    case '<': dg_buf_puts(b, "&lt;"); return 1;
    case '>': dg_buf_puts(b, "&gt;"); return 1;
    case '"': dg_buf_puts(b, "&quot;"); return 1;
    case '\'': dg_buf_puts(b, "&#39;"); return 1;
    case '\t': case '\n': dg_buf_add(b, s, 1); return 1;
    default: break;
    }
    if (c < 0x20 || c == 0x7F) {
        dg_buf_puts(b, REPLACEMENT);
        return 1;
    }
    if (c < 0x80) {
        dg_buf_add(b, s, 1);
        return 1;
    }
    uint32_t cp;
    size_t n = dg_utf8_decode(s, left, &cp);
    if (n == 0) { /* this byte begins no valid sequence */
        dg_buf_puts(b, REPLACEMENT);
        return 1;
    }
    dg_buf_add(b, s, n);
    return n;
}

/*
 * How many bytes from s (at most left) are shown as they are: printable ASCII other than
 * the five escaped characters, tab, newline, and whole valid UTF-8 sequences. The page
 * copies such runs in one go (byte by byte, the escapes were about 1% of a search page's
 * CPU under bench/web); escape_one takes the byte that ends a run.
 */
static size_t plain_run(const char *s, size_t left)
{
    size_t at = 0;
    while (at < left) {
        unsigned char c = (unsigned char)s[at];
        if (c >= 0x80) {
            uint32_t cp;
            size_t n = dg_utf8_decode(s + at, left - at, &cp);
            if (n == 0)
                break;
            at += n;
            continue;
        }
        if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7F || c == '&' || c == '<' ||
            c == '>' || c == '"' || c == '\'')
            break;
        at++;
    }
    return at;
}

/* Escapes text[0..len) onto b: plain runs copied whole, every other byte by escape_one. */
static void escape_span(dg_buf *b, const char *text, size_t len)
{
    for (size_t at = 0; at < len;) {
        size_t run = plain_run(text + at, len - at);
        dg_buf_add(b, text + at, run);
        at += run;
        if (at < len)
            at += escape_one(b, text + at, len - at);
    }
}

void dg_buf_text(dg_buf *b, const char *text)
{
    if (text)
        escape_span(b, text, strlen(text));
}

void dg_buf_highlighted(dg_buf *b, const char *text)
{
    if (!text)
        return;
    size_t len = strlen(text);
    int open = 0;
    for (size_t at = 0; at < len;) {
        if (text[at] == '\x02' || text[at] == '\x03') {
            int opening = text[at] == '\x02';
            if (opening != open)
                dg_buf_puts(b, opening ? "<mark>" : "</mark>");
            open = opening;
            at++;
            continue;
        }
        size_t span = strcspn(text + at, "\x02\x03"); /* up to the next marker */
        escape_span(b, text + at, span);
        at += span;
    }
    if (open)
        dg_buf_puts(b, "</mark>");
}

void dg_buf_url(dg_buf *b, const char *text)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)(text ? text : ""); *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '_' || *p == '.' || *p == '~') {
            dg_buf_add(b, (const char *)p, 1);
        } else {
            char esc[3] = {'%', hex[*p >> 4], hex[*p & 15]};
            dg_buf_add(b, esc, 3);
        }
    }
}
