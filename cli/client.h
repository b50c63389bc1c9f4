/*
 * client.h — running a request on a `dangan serve` server instead of in-process.
 *
 * The command line builds the same request either way (argv.h); in socket mode it
 * hands it here. The client connects to the server's Unix socket, sends the request with
 * the descriptors of the files it opened attached (SCM_RIGHTS), passes progress and wait
 * frames to the caller's handlers as they arrive, and returns the server's response, the
 * same JSON dg_dispatch would have returned in-process, so rendering is identical.
 *
 * The client never says who it is: the server learns that from the kernel (SO_PEERCRED).
 * Nor does it trust any socket: before it sends anything it checks, the same way, who
 * the server is. The server must run as DANGAN_SERVER_USER when that is set, else as the
 * owner of the socket file, whose folder must then be writable by that owner (or root)
 * alone; otherwise the request fails (exit 8, "refusing to trust the server: ...").
 */
#ifndef DG_CLIENT_H
#define DG_CLIENT_H

#include <jansson.h>
#include <stddef.h>

#include "../engine/archive.h"

typedef struct dg_client_io {
    dg_progress_fn progress; /* may be NULL: the server then sends no progress */
    void *progress_ctx;
    dg_wait_fn wait;         /* may be NULL */
    void *wait_ctx;
} dg_client_io;

/*
 * Sends request (and the n_fds descriptors in fds) to the server listening on
 * socket_path and returns its response. Never fails: a connection or protocol failure is
 * an error response (ok=false, exit 8) whose message names the socket, e.g.
 * "/run/dangan/dangan.sock: cannot connect: No such file or directory (is dangan serve
 * running?)". The caller owns the returned JSON; request and fds stay the caller's.
 */
json_t *dg_client_request(const char *socket_path, json_t *request, const int *fds,
                          size_t n_fds, const dg_client_io *io);

#endif
