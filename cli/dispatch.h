/*
 * dispatch.h — one request in, one response out: the archive's request API.
 *
 * Every command of the `dangan` tool is a request: a JSON object {"cmd": "show",
 * "args": {...}} plus the file descriptors of any files the client opened for it (the
 * client opens input files with its own rights, so a server never opens a path on a
 * client's behalf). dg_dispatch maps the request to engine calls as the acting user and
 * returns a JSON response:
 *
 *     {"ok": true,  "exit": 0, "result": {...}}
 *     {"ok": false, "exit": 3, "status": "not_found", "error": "X001-...: no such record"}
 *
 * The same function serves direct mode (the CLI calls it in-process) and `dangan serve`
 * (the server calls it per connection), so output, errors and exit codes are identical in
 * both; rendering a response for a terminal is the client's job (render.h). The protocol
 * is documented in docs/protocol.md.
 */
#ifndef DG_DISPATCH_H
#define DG_DISPATCH_H

#include <jansson.h>
#include <stddef.h>

#include "../engine/archive.h"

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
} dg_dispatch_io;

/*
 * Runs request as the archive account of os_login (origin says from where, e.g. "cli" or
 * "socket pid 4242"). Never fails: every failure is a response with ok=false. The caller
 * owns the returned JSON (json_decref).
 */
json_t *dg_dispatch(dg_archive *archive, const char *os_login, const char *origin,
                    json_t *request, const dg_dispatch_io *io);

/* Whether a command only reads (the server runs readers concurrently). */
int dg_dispatch_is_read_only(const char *cmd);

/*
 * Reads the whole file the client passed as args[key] = {"fd": i, "name": path} (at most
 * max_bytes). *name is the client's name for it, for messages. Used by every handler that
 * takes an input file.
 */
dg_status dg_dispatch_read_file(json_t *args, const char *key, const dg_dispatch_io *io,
                                size_t max_bytes, char **data, size_t *len, const char **name,
                                dg_error *err);

/* Builds an error response (used by clients and servers for failures outside dispatch). */
json_t *dg_response_error(dg_status status, const char *message);

#endif
