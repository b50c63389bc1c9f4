/*
 * request.c — the argument readers, passed-file readers and result helpers every request
 * handler (dispatch_*.c) shares; see request.h.
 */
#include "request.h"

#include <string.h>

#include "watermark.h"

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

/* An original file (not an image) leaves unmarked only to a reader cleared for it. */
static int cleared_for(const dg_actor *actor, int level)
{
    return level < 2 || (level <= 3 && actor->clearance >= level) || actor->clearance >= 4;
}

static dg_status mark_page(dg_request *c, const dg_export *ex, int max_width, void **data,
                           size_t *len, char **mime)
{
    char font[512], text[512];
    dg_status st = dg_watermark_font_find(c->io && c->io->font ? c->io->font : NULL, font,
                                          sizeof font, &c->err);
    if (st != DG_OK)
        return st;
    dg_watermark_text(c->actor.name, c->actor.login, ex->refcode, (long long)ex->log_entry,
                      text, sizeof text);
    unsigned char *png = NULL;
    size_t png_len = 0;
    st = dg_watermark_png(*data, *len, text, font, max_width, &png, &png_len, &c->err);
    if (st != DG_OK)
        return st;
    char *png_mime = strdup("image/png");
    if (!png_mime) {
        free(png);
        return dg_error_set(&c->err, DG_ERR_NOMEM, "page: out of memory");
    }
    free(*data);
    free(*mime);
    *data = png;
    *len = png_len;
    *mime = png_mime;
    return DG_OK;
}

dg_status dg_request_page(dg_request *c, const dg_export *ex, int seq, int max_width,
                          void **data, size_t *len, char **mime)
{
    dg_status st = dg_export_page(c->archive, ex, seq, data, len, mime, &c->err);
    if (st != DG_OK)
        return st;
    if (!strncmp(*mime, "image/", 6))
        st = mark_page(c, ex, max_width, data, len, mime);
    else if (!cleared_for(&c->actor, ex->level))
        st = dg_error_set(&c->err, DG_ERR_DENIED,
                          "%s page %d is an original %s file, which cannot carry a watermark; "
                          "read its text with dangan show", ex->refcode, seq, *mime);
    if (st != DG_OK) {
        free(*data);
        free(*mime);
        *data = NULL;
        *mime = NULL;
    }
    return st;
}
