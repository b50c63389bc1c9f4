/*
 * request.c — the argument readers, passed-file readers and result helpers every request
 * handler (dispatch_*.c) shares; see request.h.
 */
#include "request.h"

#include <string.h>

#include "watermark.h"

#include <sodium.h>
#include <stdlib.h>

#include "../base/fileio.h"
#include "../engine/loan.h"
#include "../engine/vocab.h"

const char *dg_arg_str(const dg_request *c, const char *key)
{
    json_t *v = json_object_get(c->args, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

int dg_arg_has(const dg_request *c, const char *key)
{
    return json_object_get(c->args, key) != NULL;
}

int dg_arg_int(const dg_request *c, const char *key, int fallback)
{
    json_t *v = json_object_get(c->args, key);
    return json_is_integer(v) ? (int)json_integer_value(v) : fallback;
}

int dg_arg_bool(const dg_request *c, const char *key)
{
    return json_is_true(json_object_get(c->args, key));
}

dg_status dg_arg_require(dg_request *c, const char *key, const char *what, const char **out)
{
    *out = dg_arg_str(c, key);
    if (!*out || !**out)
        return dg_error_set(&c->err, DG_ERR_USAGE, "%s is required", what);
    return DG_OK;
}

dg_status dg_arg_level(dg_request *c, const char *key, int *level)
{
    const char *text = dg_arg_str(c, key);
    if (!text)
        return DG_OK;
    return dg_level_parse(text, level, &c->err);
}

dg_status dg_arg_encoding(dg_request *c, dg_text_encoding *enc)
{
    const char *name = dg_arg_str(c, "encoding");
    *enc = DG_ENC_AUTO;
    return name ? dg_text_encoding_parse(name, enc, &c->err) : DG_OK;
}

const char *dg_request_soffice(void)
{
    return getenv("DANGAN_SOFFICE");
}

/* The descriptor of a passed-file argument f = {"fd": i, ...}: an index into io->fds. */
static dg_status passed_descriptor(json_t *f, const dg_dispatch_io *io, const char *name,
                                   int *fd, dg_error *err)
{
    json_t *v = json_object_get(f, "fd");
    if (!json_is_integer(v) || json_integer_value(v) < 0 ||
        (size_t)json_integer_value(v) >= io->n_fds)
        return dg_error_set(err, DG_ERR_USAGE, "%s: file was not passed with the request", name);
    *fd = io->fds[json_integer_value(v)];
    return DG_OK;
}

dg_status dg_dispatch_read_file(json_t *args, const char *key, const dg_dispatch_io *io,
                                size_t max_bytes, char **data, size_t *len, const char **name,
                                dg_error *err)
{
    json_t *f = json_object_get(args, key);
    int fd;
    *data = NULL;
    *name = json_string_value(json_object_get(f, "name"));
    if (!*name)
        *name = "(file)";
    dg_status st = passed_descriptor(f, io, *name, &fd, err);
    return st == DG_OK ? dg_read_fd_whole(fd, *name, max_bytes, data, len, err) : st;
}

dg_status dg_arg_file(dg_request *c, const char *key, size_t max_bytes, char **data,
                      size_t *len, const char **name)
{
    return dg_dispatch_read_file(c->args, key, c->io, max_bytes, data, len, name, &c->err);
}

dg_status dg_arg_fd(dg_request *c, const char *key, int *fd, const char **name)
{
    json_t *f = json_object_get(c->args, key);
    *fd = -1;
    *name = json_string_value(json_object_get(f, "name"));
    if (!*name)
        *name = key;
    return f ? passed_descriptor(f, c->io, *name, fd, &c->err) : DG_OK;
}

json_t *dg_json_str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

json_t *dg_json_year(int year)
{
    return year ? json_integer(year) : json_null();
}

json_t *dg_json_text_or_null(const char *s)
{
    return s && *s ? json_string(s) : json_null();
}

/* The font the marks and sheets are drawn with, and the mark's text for this reader. */
static dg_status mark_for(dg_request *c, const dg_export *ex, char *font, size_t font_size,
                          char *text, size_t text_size)
{
    dg_watermark_text(c->actor.name, c->actor.login, ex->refcode, (long long)ex->log_entry,
                      text, text_size);
    return dg_watermark_font_find(c->io && c->io->font ? c->io->font : NULL, font, font_size,
                                  &c->err);
}

/* Replaces *data and *mime by png (taken). */
static dg_status take_png(unsigned char *png, size_t png_len, void **data, size_t *len,
                          char **mime, dg_error *err)
{
    char *png_mime = strdup("image/png");
    if (!png_mime) {
        free(png);
        return dg_error_set(err, DG_ERR_NOMEM, "page: out of memory");
    }
    free(*data);
    free(*mime);
    *data = png;
    *len = png_len;
    *mime = png_mime;
    return DG_OK;
}

static dg_status mark_page(dg_request *c, const dg_export *ex, int max_width, void **data,
                           size_t *len, char **mime)
{
    char font[512], text[512];
    dg_status st = mark_for(c, ex, font, sizeof font, text, sizeof text);
    unsigned char *png = NULL;
    size_t png_len = 0;
    if (st == DG_OK)
        st = dg_watermark_png(*data, *len, text, font, max_width, &png, &png_len, &c->err);
    return st == DG_OK ? take_png(png, png_len, data, len, mime, &c->err) : st;
}

/* An original kept as a file, as the watermarked sheet of its text. */
static dg_status render_original(dg_request *c, const dg_export *ex, const dg_page_want *want,
                                 void **data, size_t *len, char **mime, int *sheets)
{
    char font[512], text[512], heading[160];
    dg_status st = mark_for(c, ex, font, sizeof font, text, sizeof text);
    char *body = NULL;
    if (st == DG_OK)
        st = dg_export_page_text(c->archive, ex, want->seq, &body, &c->err);
    snprintf(heading, sizeof heading, "%s 第 %d 页 (%s)", ex->refcode, want->seq, *mime);
    unsigned char *png = NULL;
    size_t png_len = 0;
    if (st == DG_OK)
        st = dg_watermark_text_sheet(body, heading, want->sheet ? want->sheet : 1, text, font,
                                     &png, &png_len, sheets, &c->err);
    free(body);
    return st == DG_OK ? take_png(png, png_len, data, len, mime, &c->err) : st;
}

dg_status dg_request_sheet_count(dg_request *c, const struct dg_record *rec, int seq,
                                 int *sheets)
{
    char font[512];
    char *body = NULL;
    *sheets = 0;
    dg_status st = dg_watermark_font_find(c->io && c->io->font ? c->io->font : NULL, font,
                                          sizeof font, &c->err);
    if (st == DG_OK)
        st = dg_record_page_text(c->archive, rec, seq, &body, &c->err);
    if (st == DG_OK)
        st = dg_watermark_text_sheet_count(body, font, sheets, &c->err);
    free(body);
    return st;
}

dg_status dg_request_page(dg_request *c, const dg_export *ex, const dg_page_want *want,
                          void **data, size_t *len, char **mime, int *sheets)
{
    *sheets = 1;
    dg_status st = dg_export_page(c->archive, ex, want->seq, data, len, mime, &c->err);
    if (st != DG_OK || want->original)
        return st;
    if (!strncmp(*mime, "image/", 6))
        st = mark_page(c, ex, want->max_width, data, len, mime);
    else
        st = render_original(c, ex, want, data, len, mime, sheets);
    if (st != DG_OK) {
        free(*data);
        free(*mime);
        *data = NULL;
        *mime = NULL;
    }
    return st;
}

json_t *dg_json_base64(const void *data, size_t len)
{
    size_t b64_len = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);
    char *b64 = malloc(b64_len);
    if (!b64)
        return NULL;
    sodium_bin2base64(b64, b64_len, data, len, sodium_base64_VARIANT_ORIGINAL);
    json_t *out = json_string(b64);
    free(b64);
    return out;
}
