/*
 * request.h — what a request handler sees of one request, and the one set of helpers it
 * reads its arguments with.
 *
 * dg_dispatch (dispatch.h) finds the command in the table (commands.h), logs the actor in
 * and calls the command's handler with a dg_request: the archive, the acting user, the
 * request's JSON arguments and the files the client passed by descriptor. Every handler
 * file (dispatch_*.c) includes this header and nothing of dispatch.c, so handlers never
 * call back into the dispatcher. A handler reads args, calls the engine (or ingest/,
 * retention/) as the actor, and builds its JSON result; it never prints, and it decides
 * no exit code but the status's (status.h) and 1 for a check that found problems.
 */
#ifndef DG_REQUEST_H
#define DG_REQUEST_H

#include <jansson.h>
#include <stddef.h>

#include "../base/status.h"
#include "../engine/archive.h"
#include "../engine/user.h"
#include "../ingest/textenc.h"

struct dg_note_signer;

typedef struct dg_dispatch_io {
    const int *fds;   /* files the client opened, referred to by index from args */
    size_t n_fds;
    dg_progress_fn progress; /* long work reports here (may be NULL) */
    void *progress_ctx;
    const int *cancelled;    /* may be NULL; a search stops once it reads nonzero (a server
                                sets it when the client hangs up) */
    /* The process's own log signing key (a server's --log-key, or DANGAN_LOG_KEY in direct
     * mode), or NULL; checkpoints it signs after a destruction are appended to the file
     * checkpoints (outside the archive) when it is not NULL. See dispatch_log.h. */
    const struct dg_note_signer *log_key;
    const char *checkpoints;
    /* The font page watermarks are drawn with (the web's --http-font), or NULL: the first
     * CJK font installed (watermark.h). */
    const char *font;
} dg_dispatch_io;

/* One request as its handler sees it. The dispatcher owns it; a handler writes err (and
 * exit_override) and nothing else. */
typedef struct dg_request {
    const char *cmd;   /* the command's name in the table: "show", "log verify" */
    dg_archive *archive;
    dg_actor actor;    /* the logged-in account the request runs as */
    json_t *args;      /* the request's arguments (an object, or NULL: none) */
    const dg_dispatch_io *io;
    dg_error err;
    int exit_override; /* >= 0: the exit code of a success; a check that found problems sets 1 */
} dg_request;

/* A command's handler: on DG_OK *result is its JSON result (the caller owns it). */
typedef dg_status (*dg_handler_fn)(dg_request *c, json_t **result);

/* ---- arguments: a missing or mistyped argument reads as absent ---------------------- */

/* args[key] when it is a string, else NULL. */
const char *dg_arg_str(const dg_request *c, const char *key);
/* Whether args has key at all (of any type). */
int dg_arg_has(const dg_request *c, const char *key);
/* args[key] when it is an integer, else fallback. */
int dg_arg_int(const dg_request *c, const char *key, int fallback);
/* Whether args[key] is true. */
int dg_arg_bool(const dg_request *c, const char *key);
/* args[key] as a non-empty string; else DG_ERR_USAGE "<what> is required". */
dg_status dg_arg_require(dg_request *c, const char *key, const char *what, const char **out);
/* args[key] parsed as an access level (0-4 or its name) into *level; left alone when the
 * argument is absent. */
dg_status dg_arg_level(dg_request *c, const char *key, int *level);

/* args.encoding (--encoding) into *enc; DG_ENC_AUTO (detect) when absent. */
dg_status dg_arg_encoding(dg_request *c, dg_text_encoding *enc);

/* The LibreOffice program for legacy office files and page views: $DANGAN_SOFFICE (the
 * server's own environment in server mode), else soffice on PATH; "" turns it off. */
const char *dg_request_soffice(void);

/* ---- files the client passed --------------------------------------------------------- */

/*
 * Reads the whole file the client passed as args[key] = {"fd": i, "name": path} (at most
 * max_bytes). *name is the client's name for it, for messages. Used by every handler that
 * takes an input file.
 */
dg_status dg_dispatch_read_file(json_t *args, const char *key, const dg_dispatch_io *io,
                                size_t max_bytes, char **data, size_t *len, const char **name,
                                dg_error *err);

/* dg_dispatch_read_file for a handler: the request's args and io, its err. */
dg_status dg_arg_file(dg_request *c, const char *key, size_t max_bytes, char **data,
                      size_t *len, const char **name);

/* The descriptor the client passed as args[key] (not read), or -1 when the option was not
 * given; *name is the client's name for the file, else key. */
dg_status dg_arg_fd(dg_request *c, const char *key, int *fd, const char **name);

/* ---- pages that leave ------------------------------------------------------------ */

struct dg_export;

/* Which page, and in what form, a view or export takes. */
typedef struct dg_page_want {
    int seq;       /* the page, from 1 */
    int sheet;     /* an original kept as a file: which sheet of its rendering (0: the 1st) */
    int max_width; /* scale images down to this width (0: as scanned) */
    int original;  /* the file as filed, unmarked (dg_export_begin checked the right to it) */
} dg_page_want;

/*
 * Page want->seq of a view or export begun with dg_export_begin (engine/loan.h), as it may
 * leave dangan: no plaintext page leaves without its mark. An image is decoded, scaled to
 * max_width, watermarked for the actor with the export's log entry id (watermark.h) and
 * returned as PNG. An original kept as a file (a text, office or OFD file: page 1 of a
 * born-digital record) has no picture to mark: its text is laid out on watermarked A4
 * sheets (dg_watermark_text_sheet) and the sheet asked for is returned as PNG, *sheets
 * saying how many there are (1 for an image). Only with want->original, which the export
 * must have been begun for (DG_EXPORT_ORIGINAL), does the file leave as it was filed.
 * *data and *mime are the caller's to free.
 */
dg_status dg_request_page(dg_request *c, const struct dg_export *ex, const dg_page_want *want,
                          void **data, size_t *len, char **mime, int *sheets);

/*
 * How many sheets page seq of rec (a record the actor read with dg_record_get) fills when
 * it is an original kept as a file, into *sheets, counted by laying its text out without
 * drawing (dg_watermark_text_sheet_count) and without another log entry.
 */
struct dg_record;
dg_status dg_request_sheet_count(dg_request *c, const struct dg_record *rec, int seq,
                                 int *sheets);

/* data (len bytes) as base64 in a new JSON string, or NULL when out of memory. */
json_t *dg_json_base64(const void *data, size_t len);

/* ---- results ------------------------------------------------------------------------- */

/* s as a JSON string; NULL as null. */
json_t *dg_json_str_or_null(const char *s);
/* A record's formation year; null for a provisional record (year 0), whose year waits for
 * an archivist (engine/refcode.h): every JSON answer says so the same way. (The index gives
 * them no year term, so the year facet never counts them.) */
json_t *dg_json_year(int year);
/* s as a JSON string; NULL and "" both as null (what the classification results show for
 * a type or date that is not there: the catalog keeps some of them as ""). */
json_t *dg_json_text_or_null(const char *s);

#endif
