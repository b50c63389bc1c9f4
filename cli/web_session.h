/*
 * web_session.h — the web server's sessions and login back-off, held in memory by one
 * server handle (no global state).
 *
 * Sessions. A session is named by a 256-bit random token (64 hex digits) that only the
 * browser keeps, in an HttpOnly cookie; the server stores its SHA-256, so a copy of the
 * server's memory does not hand out sessions. A session ends after idle_seconds without a
 * request, after lifetime_seconds in any case, at logout, and whenever the account's
 * password epoch (engine/password.h) moves on: the caller compares the epoch stored here
 * with the catalog's on every request. Each session carries its own CSRF token for forms.
 *
 * Back-off. Failed logins are counted per key (the caller uses one key per account name,
 * whether or not it exists, and one per client address). DG_WEB_FREE_ATTEMPTS attempts
 * are free; the failure of the last of them makes the next attempt under that key wait
 * 1 s, and each further failure doubles it (2 s, 4 s, ... up to DG_WEB_MAX_BACKOFF). A
 * success clears the keys.
 * The table is bounded; when full, the entry that would let its key try soonest is
 * forgotten first.
 *
 * Thread safety: every function may be called from any thread (one mutex per table).
 * Times are the caller's monotonic seconds, so tests and the server agree on one clock.
 */
#ifndef DG_WEB_SESSION_H
#define DG_WEB_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "../base/status.h"

#define DG_WEB_TOKEN_HEX 64
#define DG_WEB_FREE_ATTEMPTS 3
#define DG_WEB_MAX_BACKOFF 900

typedef struct dg_web_sessions dg_web_sessions;

/* What a valid session says (a copy). */
typedef struct dg_web_session {
    char login[64];
    char csrf[DG_WEB_TOKEN_HEX + 1];
    int64_t epoch;
    int64_t created, last_seen;
} dg_web_session;

dg_status dg_web_sessions_new(size_t max_sessions, int idle_seconds, int lifetime_seconds,
                              dg_web_sessions **out, dg_error *err);
void dg_web_sessions_free(dg_web_sessions *s);

/*
 * Starts a session for login (whose password epoch is epoch) and writes its token into
 * token (the only copy the server ever sees; it keeps the hash). When the table is full
 * the session idle longest is ended to make room.
 */
dg_status dg_web_session_start(dg_web_sessions *s, const char *login, int64_t epoch,
                               int64_t now, char token[DG_WEB_TOKEN_HEX + 1],
                               dg_web_session *out, dg_error *err);

/* The live session of token: 1 and *out filled (its idle clock restarted), or 0 when
 * there is none (unknown, malformed, idle too long or too old; an expired one is ended). */
int dg_web_session_find(dg_web_sessions *s, const char *token, int64_t now, dg_web_session *out);

/* Ends the session of token (logout); nothing if there is none. */
void dg_web_session_end(dg_web_sessions *s, const char *token);

/* Ends every session of login (its password changed, or it was disabled). */
void dg_web_session_end_login(dg_web_sessions *s, const char *login);

/* A fresh random token (e.g. the login form's CSRF cookie). */
void dg_web_random_token(char token[DG_WEB_TOKEN_HEX + 1]);

/* Whether two tokens are equal, in time independent of where they differ. */
int dg_web_token_equal(const char *a, const char *b);

/* ---- back-off ---- */

typedef struct dg_web_backoff dg_web_backoff;

dg_status dg_web_backoff_new(size_t max_keys, dg_web_backoff **out, dg_error *err);
void dg_web_backoff_free(dg_web_backoff *b);

/* Seconds key must still wait before its next attempt (0: it may try now). */
int dg_web_backoff_wait(dg_web_backoff *b, const char *key, int64_t now);

/* Counts a failure of key at now. */
void dg_web_backoff_fail(dg_web_backoff *b, const char *key, int64_t now);

/* Forgets key's failures (after a successful login). */
void dg_web_backoff_clear(dg_web_backoff *b, const char *key);

#endif
