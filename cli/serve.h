/*
 * serve.h — `dangan serve`: one process owns the archive, everyone else talks to it.
 *
 * The archive folder belongs to one service account (mode 0700). The server runs as that
 * account, listens on a Unix socket anyone may connect to, learns each connection's OS
 * user from the kernel (SO_PEERCRED) and runs its requests through dg_dispatch as that
 * user, exactly as direct mode would for the same login: an OS user with no archive
 * account is refused (and the refusal logged), and every permission check is the
 * engine's, per request. Clients never assert an identity and the server never opens a
 * path a client names: input files arrive as descriptors the client opened (SCM_RIGHTS).
 *
 * An OS user is checked when they connect, not at their first request: one without an
 * account is refused and disconnected at once. Each OS user may hold at most
 * max_per_user of the max_clients connections and a share of the descriptors in flight,
 * so one user, with or without an account, cannot lock the others out.
 *
 * Threads: the calling thread owns the socket and does all socket I/O with poll, so a
 * slow or stuck client costs only its own connection (and is dropped after the time
 * limit); a pool of reader threads admits connections, parses requests and runs the
 * read-only ones concurrently; one writer thread runs the requests that change the
 * archive, one at a time. Each thread has its own dg_archive handle. Workers never touch
 * a socket: they queue frames for the I/O thread. The wire format is protocol.h
 * (docs/protocol.md).
 *
 * Lifecycle: <archive>/serve.lock (flock, holding the pid) keeps a second server off the
 * same archive. SIGTERM or SIGINT stops accepting, lets requests already running finish
 * and deliver their responses, then closes the archive and removes the socket. A server
 * killed outright loses nothing committed: the engine's writes are transactional and the
 * next open repairs what a crash left half-indexed.
 */
#ifndef DG_SERVE_H
#define DG_SERVE_H

#include <stdio.h>

#include "../base/status.h"
#include "http.h"

typedef struct dg_serve_options {
    const char *archive;     /* the archive folder */
    const char *socket_path; /* its directory must exist; the socket is made mode 0666 */
    int readers;             /* reader threads (default 4) */
    int max_clients;         /* connections open at once; more are refused (default 64) */
    int max_per_user;        /* of them, one OS user's at most (0: a quarter of max_clients) */
    int timeout_ms;          /* a request must arrive, and a response be read, within this,
                                counted from its first byte (not renewed by progress) */
    FILE *log;               /* one line per start, stop, refusal and dropped client */
    /* The access log's checkpoints (see log.h): with a signing key (a 0600 file outside the
     * archive), the writer signs one every checkpoint_minutes while the log grows, after
     * every destruction and at shutdown, appending each to checkpoints (if set). */
    const char *log_key;
    const char *checkpoints;
    int checkpoint_minutes;
    /* A shell command the day's overdue notice (engine/loan.h) is piped to, e.g.
     * "mail -s 借阅逾期通知 archive@school.example", or NULL: the server's log only. The
     * archive's owner starts the server and so chooses it; it runs as the owner. */
    const char *overdue_mail;
    /* 1: a read's access-log entry syncs before its answer, as a change's does. 0 (the
     * default): it commits before its answer and syncs within 200 ms (log.h,
     * dg_log_group_defer_reads). */
    int sync_every_entry;
    /* With http.listen set, the web interface too (http.h); the server fills in the
     * archive, its log and its write counter. */
    dg_http_options http;
} dg_serve_options;

#define DG_SERVE_DEFAULT_SOCKET "/run/dangan/dangan.sock"
#define DG_SERVE_DEFAULT_READERS 4
#define DG_SERVE_DEFAULT_MAX_CLIENTS 64
#define DG_SERVE_DEFAULT_TIMEOUT_MS 10000
#define DG_SERVE_DEFAULT_CHECKPOINT_MINUTES 60

/*
 * Runs the server until SIGTERM or SIGINT, then shuts down cleanly and returns DG_OK.
 * Fails before serving when the archive cannot be opened, another server holds it
 * ("another server is already running on <archive> (pid N)"), or the socket cannot be
 * created (its directory is missing, or a live server answers on it).
 */
dg_status dg_serve(const dg_serve_options *opts, dg_error *err);

/*
 * The `serve` command: parses its options (argv[0] is "serve"), prints help when asked,
 * runs the server and reports failure as "dangan: serve: <why>". Returns the exit code.
 */
int dg_serve_command(const char *archive, const char *socket_path, int argc, char **argv,
                     int help);

#endif
