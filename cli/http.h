/*
 * http.h — the web interface's listener inside `dangan serve --http ADDR:PORT`.
 *
 * libmicrohttpd parses HTTP (no hand-written parser here); this module decides who a
 * request comes from and hands it to a page (web_pages.h), which runs it through the same
 * dispatcher as the Unix socket (dispatch.h) as the session's archive account, with origin
 * "web <client address>". So a browser meets exactly the rules, refusals and access-log
 * entries of the command line.
 *
 * Who: a login form checks the account's web password (engine/password.h) and starts a
 * session (web_session.h); its token travels only in a cookie marked HttpOnly, Secure
 * (unless insecure_cookies, for plain-HTTP tests on loopback), SameSite=Strict, Path=/.
 * Every request re-checks the account: disabled, or its password changed since the
 * session began, ends the session. Failed logins slow down per account name and per
 * client address (web_session.h), are logged and never say whether the account exists.
 *
 * HTTPS: behind a reverse proxy, or directly with tls_cert and tls_key (web_tls.h).
 *
 * Where from: the peer's address, or with trusted_proxy set and the peer being exactly
 * that address, the last address of its X-Forwarded-For header (what nginx appends).
 *
 * Every response carries Content-Security-Policy (no inline script, nothing from other
 * origins, no framing), X-Frame-Options: DENY, X-Content-Type-Options: nosniff,
 * Referrer-Policy: no-referrer and (but for the two static assets) Cache-Control:
 * no-store, so a page left behind by logging out is not in the browser's cache. Every
 * form that changes anything carries the session's CSRF token, and a POST without it is
 * refused (403) and logged.
 *
 * Limits: a connection per client and thread per connection (a slow client holds only its
 * own thread, and is dropped after timeout_seconds of silence), at most max_connections
 * at once and per_address from one address, request bodies of at most 64 KiB and 64
 * fields; but a signed-in POST /upload, whose files stream to a private temporary
 * directory under web_upload.h's caps and become an ingest job the browser watches. Requests share `handles` archive handles (one per request at a time).
 */
#ifndef DG_HTTP_H
#define DG_HTTP_H

#include <stdio.h>

#include "../base/status.h"
#include "../engine/log.h"

typedef struct dg_http_options {
    const char *archive;
    const char *listen;        /* "127.0.0.1:8080" or "[::1]:8080"; port 0: any free port */
    const char *trusted_proxy; /* the reverse proxy's address, or NULL */
    const char *font;          /* the watermark font, or NULL: the first found */
    const char *tls_cert;      /* HTTPS with this PEM certificate (chain) and key; both or */
    const char *tls_key;       /* neither (web_tls.h checks the key file's owner and mode) */
    int handles;               /* archive handles for web requests (default 8) */
    int max_connections;       /* default 64 */
    int per_address;           /* default 16 */
    int timeout_seconds;       /* idle connections are dropped (default 30) */
    int session_idle;          /* seconds without a request that end a session (1800) */
    int session_lifetime;      /* seconds after which a session ends anyway (43200) */
    int insecure_cookies;      /* leave Secure off the cookies: plain-HTTP tests only */
    FILE *log;                 /* start, stop and errors, one line each */
    /* The server's count of writes, so a handle lets go of an index a destruction
     * replaced (archive.h, dg_archive_release_index_reader); may be NULL. */
    void (*after_write)(void *ctx);
    unsigned long (*writes_done)(void *ctx);
    void *writes_ctx;
    /* The server's log group (engine/log.h): the handles join it, so their entries commit
     * with the socket's in shared transactions; may be NULL. Outlives the listener. */
    dg_log_group *log_group;
} dg_http_options;

/* A request holds its handle until its log entry has committed (log.h's group commit),
 * so a handle waits on the disk for part of its time: 8 keep 2 cores busy while a batch
 * syncs. bench/web (2,000 records, 50 sessions, load ~12 on 2 cores) measured 4 and 16
 * handles within noise of each other (188-236 searches/s), both about twice the 99/s of
 * 4 handles without group commit. */
#define DG_HTTP_DEFAULT_HANDLES 8
#define DG_HTTP_DEFAULT_CONNECTIONS 64
#define DG_HTTP_DEFAULT_PER_ADDRESS 16
#define DG_HTTP_DEFAULT_TIMEOUT 30
#define DG_HTTP_DEFAULT_IDLE 1800
#define DG_HTTP_DEFAULT_LIFETIME 43200

typedef struct dg_http dg_http;

/*
 * Opens the handles and starts listening (threads of its own; returns at once). The
 * options' strings must outlive the server. Fails when the address cannot be parsed or
 * bound, or the archive cannot be opened.
 */
dg_status dg_http_start(const dg_http_options *opts, dg_http **out, dg_error *err);

/* Stops listening, waits for requests in progress, closes the handles. NULL is a no-op. */
void dg_http_stop(dg_http *http);

#endif
