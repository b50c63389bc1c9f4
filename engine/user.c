/*
 * user.c — accounts, the login of the acting user, and the role check with its logged
 * refusal (dg_require_role), which every engine module calls.
 */
#include "user.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive_internal.h"
#include "catalog.h"
#include "log.h"
#include "text_guard.h"

dg_status dg_require_role(dg_archive *archive, const dg_actor *actor, unsigned roles,
                          const dg_log_event *refusal, dg_error *err, const char *fmt, ...)
{
    if (dg_actor_has_role(actor, roles))
        return DG_OK;
    dg_log_event ev = *refusal;
    ev.hits = -1;
    ev.outcome = "refused";
    dg_error ignored;
    dg_log_append(archive, actor, NULL, &ev, &ignored);
    char why[DG_ERROR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    return dg_error_set(err, DG_ERR_DENIED, "%s", why);
}

dg_status dg_require_filer(dg_archive *archive, const dg_actor *actor, const char *action,
                           const char *refcode, dg_error *err)
{
    dg_log_event refusal = {.action = action, .refcode = refcode,
                            .detail = "not an archivist or admin"};
    return dg_require_role(archive, actor, DG_ROLE_ARCHIVIST | DG_ROLE_ADMIN, &refusal, err,
                           "%s: only archivists and admins may file or change records", action);
}

static dg_status refuse_unknown(dg_archive *archive, const char *os_login, const char *origin,
                                dg_error *err)
{
    dg_actor stranger = {.user_id = 0, .clearance = 0, .roles = 0};
    snprintf(stranger.login, sizeof stranger.login, "%s", os_login);
    snprintf(stranger.origin, sizeof stranger.origin, "%s", origin);
    dg_log_event ev = {.action = "login", .hits = -1, .outcome = "refused",
                       .detail = "no active archive account"};
    dg_error ignored;
    dg_log_append(archive, &stranger, NULL, &ev, &ignored);
    return dg_error_set(err, DG_ERR_UNKNOWN_USER,
                        "no archive account for OS user '%s' (an admin adds one with "
                        "'dangan user add %s')",
                        os_login, os_login);
}

dg_status dg_actor_login(dg_archive *archive, const char *os_login, const char *origin,
                         dg_actor *out, dg_error *err)
{
    memset(out, 0, sizeof *out);
    dg_text_field fields[] = {{"login", os_login}, {"origin", origin}};
    sqlite3_stmt *stmt;
    dg_status st = dg_text_guard_all(fields, sizeof fields / sizeof fields[0], err);
    if (st != DG_OK)
        return st;
    st = dg_catalog_take(
        &archive->stmts, archive->db,
        "SELECT id, login, name, clearance, roles FROM users WHERE login = ? AND active", &stmt,
        err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_text(stmt, 1, os_login, -1, SQLITE_STATIC);
    int found = 0;
    st = dg_catalog_step_maybe_row(archive->db, stmt, &found, "look up user", err);
    if (found) {
        out->user_id = sqlite3_column_int64(stmt, 0);
        snprintf(out->login, sizeof out->login, "%s", (const char *)sqlite3_column_text(stmt, 1));
        snprintf(out->name, sizeof out->name, "%s", (const char *)sqlite3_column_text(stmt, 2));
        out->clearance = sqlite3_column_int(stmt, 3);
        out->roles = (unsigned)sqlite3_column_int(stmt, 4);
        snprintf(out->origin, sizeof out->origin, "%s", origin);
    }
    dg_catalog_give_back(&archive->stmts, stmt);
    if (st == DG_OK && !found)
        return refuse_unknown(archive, os_login, origin, err);
    return st;
}

/* Refuses, and logs the refusal, unless the actor is an admin. */
static dg_status require_admin(dg_archive *archive, const dg_actor *actor, const char *action,
                               const char *target, dg_error *err)
{
    dg_log_event refusal = {.action = action, .detail = target};
    return dg_require_role(archive, actor, DG_ROLE_ADMIN, &refusal, err,
                           "%s: only an admin may manage accounts", action);
}

static dg_status valid_login(const char *login, dg_error *err)
{
    size_t len = strlen(login);
    int ok = len > 0 && len < 64;
    for (size_t i = 0; ok && i < len; i++) {
        char c = login[i];
        ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
             c == '_' || c == '-' || c == '.';
    }
    return ok ? DG_OK
              : dg_error_set(err, DG_ERR_USAGE,
                             "'%s' is not a valid login (letters, digits, _ - . up to 63)", login);
}

dg_status dg_user_add(dg_archive *archive, const dg_actor *actor, const char *login,
                      const char *name, int clearance, unsigned roles, dg_error *err)
{
    dg_text_field fields[] = {{"login", login}, {"name", name}};
    dg_status st = dg_text_guard_all(fields, sizeof fields / sizeof fields[0], err);
    if (st == DG_OK)
        st = require_admin(archive, actor, "user.add", login, err);
    if (st == DG_OK)
        st = valid_login(login, err);
    if (st != DG_OK)
        return st;
    if (clearance < DG_LEVEL_MIN || clearance > DG_LEVEL_MAX)
        return dg_error_set(err, DG_ERR_USAGE, "clearance %d is outside 0-4", clearance);
    char now[32];
    dg_now_iso(now);
    st = dg_catalog_begin_write(archive->db, err);
    if (st != DG_OK)
        return st;
    sqlite3_stmt *stmt;
    st = dg_catalog_prepare(archive->db,
                            "INSERT INTO users(login, name, clearance, roles, created_at) "
                            "VALUES(?,?,?,?,?)",
                            &stmt, err);
    if (st == DG_OK) {
        sqlite3_bind_text(stmt, 1, login, -1, SQLITE_STATIC);
        sqlite3_bind_text(stmt, 2, name ? name : login, -1, SQLITE_STATIC);
        sqlite3_bind_int(stmt, 3, clearance);
        sqlite3_bind_int(stmt, 4, (int)roles);
        sqlite3_bind_text(stmt, 5, now, -1, SQLITE_STATIC);
        int rc = sqlite3_step(stmt);
        if ((rc & 0xff) == SQLITE_CONSTRAINT)
            st = dg_error_set(err, DG_ERR_EXISTS, "user %s already exists", login);
        else if (rc != SQLITE_DONE)
            st = dg_catalog_error(archive->db, err, "add user");
        sqlite3_finalize(stmt);
    }
    if (st == DG_OK) {
        char detail[160];
        char role_names[96];
        dg_roles_format(roles, role_names, sizeof role_names);
        snprintf(detail, sizeof detail, "user %s clearance %d roles %s", login, clearance,
                 role_names);
        dg_log_event ev = {.action = "user.add", .hits = -1, .outcome = "ok", .detail = detail};
        st = dg_log_append_in_txn(archive, actor, NULL, &ev, err);
    }
    return dg_catalog_end_write(archive->db, st, err);
}

static dg_status apply_user_change(dg_archive *archive, const char *login,
                                   const dg_user_change *c, dg_error *err)
{
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(
        archive->db,
        "UPDATE users SET name = coalesce(?1, name), clearance = coalesce(?2, clearance),"
        " roles = coalesce(?3, roles), active = coalesce(?4, active) WHERE login = ?5",
        &stmt, err);
    if (st != DG_OK)
        return st;
    dg_bind_text_or_null(stmt, 1, c->name);
    if (c->clearance)
        sqlite3_bind_int(stmt, 2, *c->clearance);
    if (c->roles)
        sqlite3_bind_int(stmt, 3, (int)*c->roles);
    if (c->active)
        sqlite3_bind_int(stmt, 4, *c->active);
    sqlite3_bind_text(stmt, 5, login, -1, SQLITE_STATIC);
    st = dg_catalog_step_done(archive->db, stmt, err);
    if (st == DG_OK && sqlite3_changes(archive->db) == 0)
        st = dg_error_set(err, DG_ERR_NOT_FOUND, "no such user: %s", login);
    return st;
}

static void describe_change(const char *login, const dg_user_change *c, char *buf, size_t size)
{
    int n = snprintf(buf, size, "user %s", login);
    if (c->clearance && n > 0 && (size_t)n < size)
        n += snprintf(buf + n, size - (size_t)n, " clearance %d", *c->clearance);
    if (c->roles && n > 0 && (size_t)n < size) {
        char roles[96];
        dg_roles_format(*c->roles, roles, sizeof roles);
        n += snprintf(buf + n, size - (size_t)n, " roles %s", roles);
    }
    if (c->active && n > 0 && (size_t)n < size)
        n += snprintf(buf + n, size - (size_t)n, " %s", *c->active ? "enabled" : "disabled");
    if (c->name && n > 0 && (size_t)n < size)
        snprintf(buf + n, size - (size_t)n, " name %s", c->name);
}

dg_status dg_user_update(dg_archive *archive, const dg_actor *actor, const char *login,
                         const dg_user_change *change, dg_error *err)
{
    dg_text_field fields[] = {{"login", login}, {"name", change->name}};
    dg_status st = dg_text_guard_all(fields, sizeof fields / sizeof fields[0], err);
    if (st == DG_OK)
        st = require_admin(archive, actor, "user.update", login, err);
    if (st != DG_OK)
        return st;
    if (change->clearance && (*change->clearance < 0 || *change->clearance > 4))
        return dg_error_set(err, DG_ERR_USAGE, "clearance %d is outside 0-4", *change->clearance);
    int self = strcmp(login, actor->login) == 0;
    if (self && ((change->roles && !(*change->roles & DG_ROLE_ADMIN)) ||
                 (change->active && !*change->active)))
        return dg_error_set(err, DG_ERR_STATE,
                            "user %s: an admin cannot remove their own admin role or account; "
                            "ask another admin",
                            login);
    st = dg_catalog_begin_write(archive->db, err);
    if (st != DG_OK)
        return st;
    st = apply_user_change(archive, login, change, err);
    if (st == DG_OK) {
        char detail[256];
        describe_change(login, change, detail, sizeof detail);
        dg_log_event ev = {.action = "user.update", .hits = -1, .outcome = "ok",
                           .detail = detail};
        st = dg_log_append_in_txn(archive, actor, NULL, &ev, err);
    }
    return dg_catalog_end_write(archive->db, st, err);
}

void dg_users_free(dg_user *users, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        free(users[i].login);
        free(users[i].name);
        free(users[i].created_at);
    }
    free(users);
}

static void user_from_row(sqlite3_stmt *stmt, void *item, void *ctx)
{
    (void)ctx;
    dg_user *u = item;
    u->id = sqlite3_column_int64(stmt, 0);
    u->login = dg_column_strdup(stmt, 1);
    u->name = dg_column_strdup(stmt, 2);
    u->clearance = sqlite3_column_int(stmt, 3);
    u->roles = (unsigned)sqlite3_column_int(stmt, 4);
    u->active = sqlite3_column_int(stmt, 5);
    u->created_at = dg_column_strdup(stmt, 6);
}

dg_status dg_user_list(dg_archive *archive, const dg_actor *actor, dg_user **users,
                       size_t *count, dg_error *err)
{
    *users = NULL;
    *count = 0;
    dg_status st = dg_require_role(archive, actor, DG_ROLE_ADMIN | DG_ROLE_AUDITOR,
                                   &(dg_log_event){.action = "user.list"}, err,
                                   "user list: only admins and auditors may list accounts");
    if (st != DG_OK)
        return st;
    sqlite3_stmt *stmt;
    st = dg_catalog_prepare(
        archive->db,
        "SELECT id, login, name, clearance, roles, active, created_at FROM users ORDER BY login",
        &stmt, err);
    if (st != DG_OK)
        return st;
    dg_user *list = NULL;
    size_t n = 0;
    st = dg_catalog_collect(archive->db, stmt, (void **)&list, &n, sizeof *list, user_from_row,
                            NULL, "list users", err);
    if (st == DG_OK) {
        dg_log_event ev = {.action = "user.list", .hits = (long)n, .outcome = "ok"};
        st = dg_log_append(archive, actor, NULL, &ev, err);
    }
    if (st != DG_OK) {
        dg_users_free(list, n);
        return st;
    }
    *users = list;
    *count = n;
    return DG_OK;
}

dg_status dg_user_name_of(dg_archive *archive, const char *login, char **name, dg_error *err)
{
    *name = NULL;
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(
        archive->db, "SELECT coalesce(nullif(name, ''), login) FROM users WHERE login = ?", &stmt,
        err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_text(stmt, 1, login, -1, SQLITE_STATIC);
    st = dg_catalog_row_text(archive->db, stmt, name, "look up a name", err, "no such account");
    if (st == DG_ERR_NOT_FOUND) {
        st = DG_OK;
        *name = strdup(login);
    }
    if (st == DG_OK && !*name)
        st = dg_error_set(err, DG_ERR_NOMEM, "look up a name: out of memory");
    return st;
}
