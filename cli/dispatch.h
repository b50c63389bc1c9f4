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
/* dg_dispatch_io, and dg_dispatch_read_file for the handlers, are declared in request.h:
 * the handlers include that and never this header, so nothing calls back into dispatch.c. */
#include "request.h"

/*
 * Runs request as the archive account of os_login (origin says from where, e.g. "cli" or
 * "socket pid 4242"). Never fails: every failure is a response with ok=false. The caller
 * owns the returned JSON (json_decref).
 */
json_t *dg_dispatch(dg_archive *archive, const char *os_login, const char *origin,
                    json_t *request, const dg_dispatch_io *io);

/* Whether a command only reads, as the command table says (the server runs readers
 * concurrently). 0 for a name that is not a request. */
int dg_dispatch_is_read_only(const char *cmd);

/* Builds an error response (used by clients and servers for failures outside dispatch). */
json_t *dg_response_error(dg_status status, const char *message);

#endif
