/*
 * web_html.h — building the web interface's HTML: the escapes every piece of outside text
 * goes through (titles, texts, file names, queries, log details may hold "<script>",
 * quotes, control characters or invalid UTF-8; they are always shown as text, never as
 * markup), appended to a growable byte buffer (base/buf.h; dg_buf_puts appends trusted
 * markup, a literal of the program's own).
 *
 * A buffer that failed to grow stays failed (every later append is a no-op) and says so in
 * dg_buf_failed: the caller answers 500 rather than a page cut short.
 */
#ifndef DG_WEB_HTML_H
#define DG_WEB_HTML_H

#include <stddef.h>

#include "../base/buf.h"

/*
 * Appends text escaped for HTML content and attribute values: & < > " ' become entities,
 * control characters other than tab and newline become U+FFFD, and so does every byte that
 * does not begin a valid UTF-8 sequence. NULL appends nothing.
 */
void dg_buf_text(dg_buf *b, const char *text);

/* The same for a text with search highlights: bytes 0x02 and 0x03 open and close <mark>. */
void dg_buf_highlighted(dg_buf *b, const char *text);

/* Appends text percent-encoded for a URL path segment or query value (RFC 3986 unreserved
 * characters stay; everything else, UTF-8 included, becomes %XX). */
void dg_buf_url(dg_buf *b, const char *text);

#endif
