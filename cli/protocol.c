/*
 * protocol.c — frames and request checks for the client/server wire format.
 */
#include "protocol.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../base/utf8.h"

dg_status dg_frame_encode(const json_t *value, size_t max, char **out, size_t *out_len,
                          dg_error *err)
{
    *out = NULL;
    *out_len = 0;
    size_t len = json_dumpb(value, NULL, 0, JSON_COMPACT);
    if (len == 0)
        return dg_error_set(err, DG_ERR_INTERNAL, "frame: value cannot be encoded as JSON");
    if (len > max)
        return dg_error_set(err, DG_ERR_USAGE, "frame of %zu bytes is over the %zu-byte limit",
                            len, max);
    char *buf = malloc(DG_PROTO_HEADER + len);
    if (!buf)
        return dg_error_set(err, DG_ERR_NOMEM, "frame: out of memory");
    if (json_dumpb(value, buf + DG_PROTO_HEADER, len, JSON_COMPACT) != len) {
        free(buf);
        return dg_error_set(err, DG_ERR_INTERNAL, "frame: JSON changed while encoded");
    }
    uint32_t n = (uint32_t)len;
    buf[0] = (char)(n >> 24);
    buf[1] = (char)(n >> 16);
    buf[2] = (char)(n >> 8);
    buf[3] = (char)n;
    *out = buf;
    *out_len = DG_PROTO_HEADER + len;
    return DG_OK;
}

dg_status dg_frame_length(const unsigned char header[DG_PROTO_HEADER], size_t max,
                          size_t *len, dg_error *err)
{
    uint32_t n = (uint32_t)header[0] << 24 | (uint32_t)header[1] << 16 |
                 (uint32_t)header[2] << 8 | (uint32_t)header[3];
    *len = n;
    if (n == 0)
        return dg_error_set(err, DG_ERR_USAGE, "bad request: empty frame");
    if (n > max)
        return dg_error_set(err, DG_ERR_USAGE,
                            "request of %u bytes is over the %zu-byte limit", n, max);
    return DG_OK;
}

/* ---- incremental reader ---------------------------------------------------------- */

void dg_frame_reader_init(dg_frame_reader *r, size_t max)
{
    memset(r, 0, sizeof *r);
    r->max = max;
}

void *dg_frame_reader_space(dg_frame_reader *r, size_t *room)
{
    if (r->header_got < DG_PROTO_HEADER) {
        *room = DG_PROTO_HEADER - r->header_got;
        return r->header + r->header_got;
    }
    *room = r->len - r->got;
    return r->body + r->got;
}

dg_status dg_frame_reader_advance(dg_frame_reader *r, size_t n, int *complete, dg_error *err)
{
    *complete = 0;
    if (r->header_got < DG_PROTO_HEADER) {
        r->header_got += n;
        if (r->header_got < DG_PROTO_HEADER)
            return DG_OK;
        dg_status st = dg_frame_length(r->header, r->max, &r->len, err);
        if (st != DG_OK)
            return st;
        /* Allocated only now that the length is known to be within the limit. */
        r->body = malloc(r->len + 1);
        if (!r->body)
            return dg_error_set(err, DG_ERR_NOMEM, "request: out of memory");
        r->got = 0;
        return DG_OK;
    }
    r->got += n;
    if (r->got == r->len) {
        r->body[r->len] = '\0';
        *complete = 1;
    }
    return DG_OK;
}

int dg_frame_reader_partial(const dg_frame_reader *r)
{
    return r->header_got > 0;
}

char *dg_frame_reader_take(dg_frame_reader *r, size_t *len)
{
    char *body = r->body;
    *len = r->len;
    r->body = NULL;
    dg_frame_reader_reset(r);
    return body;
}

void dg_frame_reader_reset(dg_frame_reader *r)
{
    free(r->body);
    size_t max = r->max;
    dg_frame_reader_init(r, max);
}

/* ---- requests -------------------------------------------------------------------- */

/* A file argument {"fd": i, "name": s} must name a descriptor that came with the frame,
 * or be -1: a file of a batch the client could not open (its entry carries the error). */
static dg_status check_file_arg(const char *key, json_t *value, size_t n_fds, dg_error *err)
{
    json_t *fd = json_object_get(value, "fd");
    if (!fd)
        return DG_OK;
    if (!json_is_integer(fd) || json_integer_value(fd) < -1 ||
        (json_int_t)n_fds <= json_integer_value(fd))
        return dg_error_set(err, DG_ERR_USAGE,
                            "bad request: argument '%.64s' names a file descriptor that was "
                            "not passed (%zu passed)", key, n_fds);
    return DG_OK;
}

/* Every number an argument carries (an offset, a version, a year, a limit) is a count or
 * an identifier: a whole number from 0 to INT_MAX. Anything else is refused here rather
 * than truncated later (4294967297 read as 1, a version 4294967296 as the newest). */
static dg_status check_number_arg(const char *key, json_t *value, dg_error *err)
{
    if (json_is_real(value) ||
        (json_is_integer(value) &&
         (json_integer_value(value) < 0 || json_integer_value(value) > INT_MAX)))
        return dg_error_set(err, DG_ERR_USAGE,
                            "bad request: argument '%.64s' must be a whole number from 0 to %d",
                            key, INT_MAX);
    return DG_OK;
}

static dg_status check_args(json_t *args, size_t n_fds, dg_error *err)
{
    if (!args)
        return DG_OK;
    if (!json_is_object(args))
        return dg_error_set(err, DG_ERR_USAGE, "bad request: \"args\" must be an object");
    const char *key;
    json_t *value;
    json_object_foreach(args, key, value) {
        dg_status st = check_number_arg(key, value, err);
        if (st != DG_OK) {
            return st;
        } else if (json_is_object(value)) {
            st = check_file_arg(key, value, n_fds, err);
        } else if (json_is_array(value)) {
            size_t i;
            json_t *item;
            json_array_foreach(value, i, item) {
                if (st == DG_OK && json_is_object(item))
                    st = check_file_arg(key, item, n_fds, err);
            }
        }
        if (st != DG_OK)
            return st;
    }
    return DG_OK;
}

static dg_status check_envelope(json_t *req, size_t n_fds, dg_error *err)
{
    if (!json_is_object(req))
        return dg_error_set(err, DG_ERR_USAGE, "bad request: not a JSON object");
    json_t *v = json_object_get(req, "v");
    if (!json_is_integer(v))
        return dg_error_set(err, DG_ERR_USAGE, "bad request: no protocol version \"v\"");
    if (json_integer_value(v) != DG_PROTO_VERSION)
        return dg_error_set(err, DG_ERR_USAGE,
                            "protocol version %lld is not supported (this server speaks %d)",
                            (long long)json_integer_value(v), DG_PROTO_VERSION);
    json_t *cmd = json_object_get(req, "cmd");
    if (!json_is_string(cmd) || json_string_length(cmd) == 0 ||
        json_string_length(cmd) > DG_PROTO_MAX_CMD)
        return dg_error_set(err, DG_ERR_USAGE, "bad request: \"cmd\" must be a command name");
    json_t *progress = json_object_get(req, "progress");
    if (progress && !json_is_boolean(progress))
        return dg_error_set(err, DG_ERR_USAGE, "bad request: \"progress\" must be true or false");
    json_t *fds = json_object_get(req, "fds");
    json_int_t declared = fds ? (json_is_integer(fds) ? json_integer_value(fds) : -1) : 0;
    if (declared != (json_int_t)n_fds)
        return dg_error_set(err, DG_ERR_USAGE,
                            "bad request: \"fds\" does not match the %zu file descriptors "
                            "that arrived with it", n_fds);
    return check_args(json_object_get(req, "args"), n_fds, err);
}

/* Counts value and everything inside it into *count; 0 once the count or the depth goes
 * over the limit (the walk stops there, so its cost is bounded by the limit). */
static int within_structure_limits(json_t *value, int depth, size_t *count)
{
    if (++*count > DG_PROTO_MAX_VALUES || depth > DG_PROTO_MAX_DEPTH)
        return 0;
    const char *key;
    size_t i;
    json_t *child;
    if (json_is_object(value)) {
        json_object_foreach(value, key, child) {
            ++*count; /* the member's key */
            if (!within_structure_limits(child, depth + 1, count))
                return 0;
        }
    } else if (json_is_array(value)) {
        json_array_foreach(value, i, child) {
            if (!within_structure_limits(child, depth + 1, count))
                return 0;
        }
    }
    return 1;
}

dg_status dg_request_parse(const char *body, size_t len, size_t n_fds, json_t **request,
                           dg_error *err)
{
    *request = NULL;
    /* jansson refuses invalid UTF-8 too, but in its own words; say it in ours, with the
     * byte, so a client author knows what to fix. */
    size_t bad = dg_utf8_invalid_at(body, len);
    if (bad < len)
        return dg_error_set(err, DG_ERR_USAGE,
                            "bad request: not valid UTF-8 at byte %zu (every text in a request "
                            "is UTF-8)",
                            bad);
    json_error_t jerr;
    json_t *req = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!req)
        return dg_error_set(err, DG_ERR_USAGE, "bad request: not JSON (%s at byte %d)",
                            jerr.text, jerr.position);
    size_t count = 0;
    dg_status st = within_structure_limits(req, 1, &count)
                       ? DG_OK
                       : dg_error_set(err, DG_ERR_USAGE,
                                      "bad request: more than %d values or nested deeper "
                                      "than %d", DG_PROTO_MAX_VALUES, DG_PROTO_MAX_DEPTH);
    if (st == DG_OK)
        st = check_envelope(req, n_fds, err);
    if (st != DG_OK) {
        json_decref(req);
        return st;
    }
    *request = req;
    return DG_OK;
}

/* ---- server frames --------------------------------------------------------------- */

static int is_progress_frame(json_t *frame)
{
    json_t *p = json_object_get(frame, "progress");
    return json_is_object(p) && json_is_string(json_object_get(p, "what")) &&
           json_is_integer(json_object_get(p, "done")) &&
           json_is_integer(json_object_get(p, "total"));
}

dg_status dg_server_frame_parse(const char *body, size_t len, dg_frame_kind *kind,
                                json_t **frame, dg_error *err)
{
    *frame = NULL;
    json_error_t jerr;
    json_t *f = json_loadb(body, len, 0, &jerr);
    if (!f)
        return dg_error_set(err, DG_ERR_IO, "malformed answer from the server (%s)", jerr.text);
    json_t *exit_code = json_object_get(f, "exit");
    if (json_is_boolean(json_object_get(f, "ok")) && json_is_integer(exit_code) &&
        json_integer_value(exit_code) >= 0 && json_integer_value(exit_code) <= 255) {
        *kind = DG_FRAME_RESPONSE;
    } else if (is_progress_frame(f)) {
        *kind = DG_FRAME_PROGRESS;
    } else if (json_is_string(json_object_get(f, "wait"))) {
        *kind = DG_FRAME_WAIT;
    } else {
        json_decref(f);
        return dg_error_set(err, DG_ERR_IO, "malformed answer from the server (unknown frame)");
    }
    *frame = f;
    return DG_OK;
}
