/*
 * buf.c — the growable byte buffer (buf.h), moved down from cli/web_html.c and
 * engine/log.c, which each had one.
 */
#include "buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void dg_buf_init(dg_buf *b)
{
    memset(b, 0, sizeof *b);
}

void dg_buf_free(dg_buf *b)
{
    free(b->data);
    dg_buf_init(b);
}

int dg_buf_failed(const dg_buf *b)
{
    return b->failed;
}

char *dg_buf_take(dg_buf *b, size_t *len)
{
    if (!b->data)
        dg_buf_add(b, "", 0);
    char *data = b->failed ? NULL : b->data;
    if (len)
        *len = b->failed ? 0 : b->len;
    if (b->failed)
        free(b->data);
    dg_buf_init(b);
    return data;
}

int dg_buf_reserve(dg_buf *b, size_t more)
{
    if (b->failed)
        return 0;
    if (more < b->cap && b->len + more + 1 <= b->cap) /* the first test stops an overflow */
        return 1;
    if (more > ((size_t)-1) / 2 - b->len - 1) {
        b->failed = 1;
        return 0;
    }
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + more + 1)
        cap *= 2;
    char *grown = realloc(b->data, cap);
    if (!grown) {
        b->failed = 1;
        return 0;
    }
    b->data = grown;
    b->cap = cap;
    return 1;
}

void dg_buf_add(dg_buf *b, const void *bytes, size_t len)
{
    if (!dg_buf_reserve(b, len))
        return;
    if (len)
        memcpy(b->data + b->len, bytes, len);
    b->len += len;
    b->data[b->len] = '\0';
}

void dg_buf_puts(dg_buf *b, const char *s)
{
    dg_buf_add(b, s, strlen(s));
}

void dg_buf_printf(dg_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char small[512];
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->failed = 1;
        return;
    }
    if ((size_t)n < sizeof small) {
        dg_buf_add(b, small, (size_t)n);
        return;
    }
    if (!dg_buf_reserve(b, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}
