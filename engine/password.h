/*
 * password.h — web passwords of archive accounts (Argon2id, libsodium crypto_pwhash_str).
 *
 * The Unix socket knows its callers from the kernel; a browser only by a password. Each
 * archive account may have one web password, stored in the catalog as an Argon2id string
 * (salt and parameters inside it), never as anything reversible. Every change bumps the
 * account's password epoch: a web server keeps the epoch in each session and ends the
 * session when it no longer matches, so a new password (set by its owner or by an admin,
 * through any process) ends every session of that account at once. A disabled account
 * has no epoch, so its sessions end too.
 *
 * What a login attempt answers never tells an unknown login from a wrong password: both
 * cost one Argon2id computation and fail with the same status and message. Every attempt,
 * set and confirmation is in the access log.
 */
#ifndef DG_PASSWORD_H
#define DG_PASSWORD_H

#include <stdint.h>

#include "../base/status.h"
#include "user.h"

typedef struct dg_archive dg_archive;

/* A password is 8 to 1024 bytes (counted as given; any text). */
#define DG_PASSWORD_MIN 8
#define DG_PASSWORD_MAX 1024

/*
 * Sets login's web password. The account itself may set its own; only an admin may set
 * another's (refused and logged otherwise). A password outside the length bounds is
 * DG_ERR_USAGE. Logged as "user.passwd". *epoch (may be NULL) receives the new epoch.
 */
dg_status dg_password_set(dg_archive *archive, const dg_actor *actor, const char *login,
                          const char *password, int64_t *epoch, dg_error *err);

/*
 * A web login: the active account login with the web password given. On success fills
 * *out (origin as given) and *epoch and logs "web.login" ok. Any failure — no such account,
 * a disabled one, no web password set, a wrong password — is DG_ERR_DENIED with the same
 * message and the same cost, and is logged "web.login" refused (the log says which, for
 * the auditor).
 */
dg_status dg_password_login(dg_archive *archive, const char *login, const char *password,
                            const char *origin, dg_actor *out, int64_t *epoch, dg_error *err);

/*
 * Confirms that the acting user is present: their own web password, asked again before an
 * act that is theirs (an approval, a witness's signature, a new password). what names the
 * act for the log ("web.confirm"). A wrong password is DG_ERR_DENIED.
 */
dg_status dg_password_confirm(dg_archive *archive, const dg_actor *actor, const char *password,
                              const char *what, dg_error *err);

/*
 * The password epoch of an active account with a web password; DG_ERR_NOT_FOUND for any
 * other login. Not logged: a web server asks it on every request of a session.
 */
dg_status dg_password_epoch(dg_archive *archive, const char *login, int64_t *epoch,
                            dg_error *err);

#endif
