/*
 * protocol.h — the wire format between `dangan` clients and `dangan serve`.
 *
 * A connection carries frames: a 4-byte big-endian length N, then N bytes of UTF-8 JSON
 * holding one object. The client sends a request frame (the same request dg_dispatch
 * takes, dispatch.h) with the descriptors of the files it opened attached to the frame
 * as SCM_RIGHTS messages; the server answers with zero or more {"progress": ...} or {"wait": ...}
 * frames and then exactly one response frame. docs/protocol.md is the full description.
 *
 * This module is pure: it encodes and decodes frames and checks requests, and never
 * touches a socket, so both ends share it and the tests can fuzz it. Every check here
 * runs before anything reaches the engine; a request that fails one is answered with an
 * error response and never dispatched.
 */
#ifndef DG_PROTOCOL_H
#define DG_PROTOCOL_H

#include <jansson.h>
#include <stddef.h>

#include "../base/status.h"

#define DG_PROTO_VERSION 1
#define DG_PROTO_HEADER 4
/* A request is a command and its options; the largest, an ingest of a batch folder,
 * names up to DG_PROTO_MAX_FDS files. */
#define DG_PROTO_MAX_REQUEST (4u << 20)
/* A response carries at most a record's text and metadata or a page of the log. */
#define DG_PROTO_MAX_RESPONSE (256u << 20)
/* Descriptors one request may carry (input files named on the command line, or every
 * file of a batch folder). */
#define DG_PROTO_MAX_FDS 4096
/* Descriptors per SCM_RIGHTS message: the kernel takes at most 253 (SCM_MAX_FD), so a
 * request with more sends them in several messages, each on one byte of the frame. */
#define DG_PROTO_FDS_PER_MESSAGE 250
/* The longest command name a request may carry ("user add", "log verify", ...). */
#define DG_PROTO_MAX_CMD 64
/* The most JSON values (objects, arrays, members and items, counted together) and the
 * deepest nesting a request may hold. The largest real request, an ingest of
 * DG_PROTO_MAX_FDS files, is 5 to 7 values a file ({"fd", "name"[, "error"]}: the object,
 * each key and each value) at depth 4; 400,000 keys in a 4 MiB frame are refused before
 * a command walks them. */
#define DG_PROTO_MAX_VALUES (8 * DG_PROTO_MAX_FDS)
#define DG_PROTO_MAX_DEPTH 8

/*
 * Encodes value as one frame (header and compact JSON) in a new buffer the caller frees.
 * Fails with DG_ERR_USAGE when the frame's body would exceed max bytes.
 */
dg_status dg_frame_encode(const json_t *value, size_t max, char **out, size_t *out_len,
                          dg_error *err);

/* Reads a frame header: the body length, which must be between 1 and max. */
dg_status dg_frame_length(const unsigned char header[DG_PROTO_HEADER], size_t max,
                          size_t *len, dg_error *err);

/*
 * An incremental frame reader for a stream that arrives in pieces. The caller asks where
 * the next bytes go (dg_frame_reader_space), reads at most that many into it, and reports
 * them (dg_frame_reader_advance). The space never reaches past the end of the current
 * frame, so one read never mixes two frames (and descriptors that travel with a frame's
 * first byte are never attributed to its neighbour).
 */
typedef struct dg_frame_reader {
    size_t max;
    unsigned char header[DG_PROTO_HEADER];
    size_t header_got;
    char *body;
    size_t len;
    size_t got;
} dg_frame_reader;

void dg_frame_reader_init(dg_frame_reader *r, size_t max);

/* Where the next bytes go and how many at most (always at least one). */
void *dg_frame_reader_space(dg_frame_reader *r, size_t *room);

/*
 * Accounts for n bytes read into the space. Sets *complete when a whole frame is ready
 * (take it with dg_frame_reader_take). Fails (DG_ERR_USAGE, or DG_ERR_NOMEM) on a header
 * that announces an empty or oversized frame; the stream cannot be resynchronised then.
 */
dg_status dg_frame_reader_advance(dg_frame_reader *r, size_t n, int *complete, dg_error *err);

/* Whether any byte of a frame has arrived that is not yet a complete frame. */
int dg_frame_reader_partial(const dg_frame_reader *r);

/* Hands over the completed frame's body (NUL-terminated; the caller frees it) and resets
 * the reader for the next frame. */
char *dg_frame_reader_take(dg_frame_reader *r, size_t *len);

/* Frees a partial frame and resets the reader. */
void dg_frame_reader_reset(dg_frame_reader *r);

/*
 * Parses and checks a request body against the protocol: a JSON object of at most
 * DG_PROTO_MAX_VALUES values nested at most DG_PROTO_MAX_DEPTH deep, with "v" equal to
 * DG_PROTO_VERSION, a non-empty string "cmd", an object "args" if present, "fds" equal
 * to n_fds (the descriptors that arrived with the frame; absent means none), every
 * {"fd": i} argument within range (or -1: a file the client could not open, whose entry
 * says why), every number argument a whole number from 0 to INT_MAX, and "progress" a
 * boolean if present. On success the caller owns *request. Fails with DG_ERR_USAGE and a
 * message that says what is wrong. The parse costs time in proportion to the body (up to
 * DG_PROTO_MAX_REQUEST): a server calls this off its I/O thread.
 */
dg_status dg_request_parse(const char *body, size_t len, size_t n_fds, json_t **request,
                           dg_error *err);

/* What kind of frame a server sent: progress, wait, or the final response. */
typedef enum { DG_FRAME_PROGRESS, DG_FRAME_WAIT, DG_FRAME_RESPONSE } dg_frame_kind;

/*
 * Parses and checks a frame from the server. A response must carry "ok" (boolean) and
 * "exit" (an integer 0-255); a progress frame {"progress": {"what": s, "done": n,
 * "total": n}}; a wait frame {"wait": s}. The caller owns *frame.
 */
dg_status dg_server_frame_parse(const char *body, size_t len, dg_frame_kind *kind,
                                json_t **frame, dg_error *err);

#endif
