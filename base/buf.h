/*
 * buf.h — a growable byte buffer: what the web interface builds its pages in (cli/web_html.h
 * adds the HTML and URL escapes on top) and what the access log builds each entry's bytes in
 * (engine/log.c, log_walk.c: a batch of thousands of entries, written in place).
 *
 * A buffer grows by doubling (from 4 KiB), always keeps one byte more than its length so
 * that its bytes can be handed over as a C string, and holds no state beyond its own
 * fields. A buffer that failed to grow stays failed: every later append is a no-op and
 * dg_buf_failed says so, so a caller checks once, at the end, rather than after every
 * append (the web answers 500 rather than a page cut short; the log reports out of
 * memory). A zeroed dg_buf is an empty one (dg_buf_init). Not thread-safe: one owner.
 */
#ifndef DG_BUF_H
#define DG_BUF_H

#include <stddef.h>

typedef struct dg_buf {
    char *data; /* len bytes, then a NUL, once anything was added; NULL before */
    size_t len, cap;
    int failed;
} dg_buf;

void dg_buf_init(dg_buf *b);
/* Frees the bytes and empties the buffer (failed cleared too). */
void dg_buf_free(dg_buf *b);
int dg_buf_failed(const dg_buf *b);
/* Hands the bytes over (NUL-terminated; the caller frees; "" for an empty buffer) and
 * empties the buffer; NULL (and *len 0) when it had failed. */
char *dg_buf_take(dg_buf *b, size_t *len);

/*
 * Makes room for more bytes after len (and the NUL after them): 1 when there is room, 0
 * when the buffer failed (now or before). The caller may then write up to more bytes at
 * data + len and add what it wrote to len itself (the log writes an entry in place).
 */
int dg_buf_reserve(dg_buf *b, size_t more);

void dg_buf_add(dg_buf *b, const void *bytes, size_t len);
void dg_buf_puts(dg_buf *b, const char *s);
void dg_buf_printf(dg_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
