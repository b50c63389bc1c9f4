/*
 * user.h — archive accounts, clearances and roles: the login of the acting user, the role
 * check every engine call makes, and managing accounts.
 *
 * Every call into the engine is made on behalf of an actor: the archive account that the
 * operating-system user running the command (or, through the server, the peer of the
 * socket) maps to, by login name. An OS user with no account is refused, and the refusal
 * is logged. Roles decide what an actor may do; clearance (0..4) decides what they may
 * see. Clearance 4 is the blanket grant to every secret (level-4) record; otherwise a
 * level-4 record is visible only to users it was granted to, one by one.
 */
#ifndef DG_USER_H
#define DG_USER_H

#include <stddef.h>
#include <stdint.h>

#include "../base/status.h"
#include "actor.h"
#include "log.h"
#include "vocab.h"

typedef struct dg_archive dg_archive;

/*
 * The one role check of the engine: DG_OK when the actor holds any of roles. Otherwise it
 * appends refusal to the access log as a refusal (its outcome "refused", no hit count; a
 * log that cannot be written does not change the answer) and returns DG_ERR_DENIED with
 * the message fmt names, e.g. "add: only archivists and admins may file or change records".
 */
dg_status dg_require_role(dg_archive *archive, const dg_actor *actor, unsigned roles,
                          const dg_log_event *refusal, dg_error *err, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* dg_require_role for the archivist or admin, who file and change records (refcode may be
 * NULL): "add: only archivists and admins may file or change records". */
dg_status dg_require_filer(dg_archive *archive, const dg_actor *actor, const char *action,
                           const char *refcode, dg_error *err);

/*
 * Maps an operating-system login to its archive account. An unknown or disabled login is
 * DG_ERR_UNKNOWN_USER ("no archive account for OS user 'x'") and is logged as a refusal.
 */
dg_status dg_actor_login(dg_archive *archive, const char *os_login, const char *origin,
                         dg_actor *out, dg_error *err);

typedef struct dg_user {
    int64_t id;
    char *login;
    char *name;
    int clearance;
    unsigned roles;
    int active;
    char *created_at;
} dg_user;

/* Adds an account (admin only). The login is the OS login name it will map to. */
dg_status dg_user_add(dg_archive *archive, const dg_actor *actor, const char *login,
                      const char *name, int clearance, unsigned roles, dg_error *err);

/* What dg_user_update changes: NULL fields stay as they are. */
typedef struct dg_user_change {
    const char *name;
    const int *clearance;
    const unsigned *roles;
    const int *active;
} dg_user_change;

/* Changes an account (admin only). An admin cannot remove their own admin role. */
dg_status dg_user_update(dg_archive *archive, const dg_actor *actor, const char *login,
                         const dg_user_change *change, dg_error *err);

/* Lists every account (admin and auditor). The caller frees with dg_users_free(). */
dg_status dg_user_list(dg_archive *archive, const dg_actor *actor, dg_user **users,
                       size_t *count, dg_error *err);
void dg_users_free(dg_user *users, size_t count);

/*
 * The full name of the account login (a copy the caller frees), or a copy of login itself
 * when the account has no name or does not exist: a printed register or report names the
 * people who signed or acted, and a login that was never an account is still printed as
 * it was recorded. Not role-checked and not logged: the caller has already been allowed
 * to read the record (a register, a log report) that names these logins.
 */
dg_status dg_user_name_of(dg_archive *archive, const char *login, char **name, dg_error *err);

#endif
