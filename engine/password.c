/*
 * password.c — web passwords: Argon2id strings and epochs in the catalog's web_passwords
 * table (migration 8), login checks that never reveal whether a login exists.
 */
#include "password.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive_internal.h"
#include "catalog.h"
#include "log.h"
#include "text_guard.h"

/* libsodium's interactive limits (2 passes over 64 MiB): about 0.1 s a login on the
 * 2-core test machine, the cost the library recommends for online logins. */
#define PW_OPS crypto_pwhash_OPSLIMIT_INTERACTIVE
#define PW_MEM crypto_pwhash_MEMLIMIT_INTERACTIVE

static dg_status check_length(const char *password, dg_error *err)
{
    size_t len = password ? strlen(password) : 0;
    if (len < DG_PASSWORD_MIN || len > DG_PASSWORD_MAX)
        return dg_error_set(err, DG_ERR_USAGE, "a password needs %d to %d bytes",
                            DG_PASSWORD_MIN, DG_PASSWORD_MAX);
    return DG_OK;
}

static void log_quietly(dg_archive *archive, const dg_actor *actor, const char *action,
                        const char *outcome, const char *detail)
{
    dg_log_event ev = {.action = action, .hits = -1, .outcome = outcome, .detail = detail};
    dg_error ignored;
    dg_log_append(archive, actor, NULL, &ev, &ignored);
}

/* The user id of an account (active or not); *found 0 when there is none. */
static dg_status user_id_of(dg_archive *archive, const char *login, int64_t *id, int *found,
                            dg_error *err)
{
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(archive->db, "SELECT id FROM users WHERE login = ?",
                                      &stmt, err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_text(stmt, 1, login, -1, SQLITE_STATIC);
    st = dg_catalog_step_maybe_row(archive->db, stmt, found, "look up user", err);
    if (st == DG_OK && *found)
        *id = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    return st;
}

static dg_status store_hash(dg_archive *archive, const dg_actor *actor, int64_t user_id,
                            const char *hash, dg_error *err)
{
    char now[32];
    dg_now_iso(now);
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(
        archive->db,
        "INSERT INTO web_passwords(user_id, hash, epoch, set_at, set_by) VALUES(?1, ?2, 1, ?3, ?4)"
        " ON CONFLICT(user_id) DO UPDATE SET hash = ?2, epoch = epoch + 1, set_at = ?3,"
        " set_by = ?4",
        &stmt, err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_int64(stmt, 1, user_id);
    sqlite3_bind_text(stmt, 2, hash, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 3, now, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 4, actor->user_id);
    return dg_catalog_step_done(archive->db, stmt, err);
}

static dg_status read_epoch_by_id(dg_archive *archive, int64_t user_id, int64_t *epoch,
                                  dg_error *err)
{
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(archive->db,
                                      "SELECT epoch FROM web_passwords WHERE user_id = ?",
                                      &stmt, err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_int64(stmt, 1, user_id);
    int found = 0;
    st = dg_catalog_step_maybe_row(archive->db, stmt, &found, "read password epoch", err);
    if (st == DG_OK)
        *epoch = found ? sqlite3_column_int64(stmt, 0) : 0;
    sqlite3_finalize(stmt);
    return st;
}

/* Hashes outside the transaction: Argon2id takes a tenth of a second. */
static dg_status hash_password(const char *password, char hash[crypto_pwhash_STRBYTES],
                               dg_error *err)
{
    if (crypto_pwhash_str(hash, password, strlen(password), PW_OPS, PW_MEM) != 0)
        return dg_error_set(err, DG_ERR_NOMEM, "password: out of memory for Argon2id");
    return DG_OK;
}

static dg_status write_password(dg_archive *archive, const dg_actor *actor, const char *login,
                                const char *hash, int64_t *epoch, dg_error *err)
{
    int64_t user_id = 0, new_epoch = 0;
    int found = 0;
    dg_status st = dg_catalog_begin_write(archive->db, err);
    if (st != DG_OK)
        return st;
    st = user_id_of(archive, login, &user_id, &found, err);
    if (st == DG_OK && !found)
        st = dg_error_set(err, DG_ERR_NOT_FOUND, "no such user: %s", login);
    if (st == DG_OK)
        st = store_hash(archive, actor, user_id, hash, err);
    if (st == DG_OK)
        st = read_epoch_by_id(archive, user_id, &new_epoch, err);
    if (st == DG_OK) {
        char detail[160];
        snprintf(detail, sizeof detail, "web password of %s set (epoch %lld)", login,
                 (long long)new_epoch);
        dg_log_event ev = {.action = "user.passwd", .hits = -1, .outcome = "ok",
                           .detail = detail};
        st = dg_log_append_in_txn(archive, actor, NULL, &ev, err);
    }
    st = dg_catalog_end_write(archive->db, st, err);
    if (st == DG_OK && epoch)
        *epoch = new_epoch;
    return st;
}

dg_status dg_password_set(dg_archive *archive, const dg_actor *actor, const char *login,
                          const char *password, int64_t *epoch, dg_error *err)
{
    dg_text_field fields[] = {{"login", login}};
    dg_status st = dg_text_guard_all(fields, 1, err);
    if (st != DG_OK)
        return st;
    if (strcmp(login, actor->login) != 0)
        st = dg_require_role(archive, actor, DG_ROLE_ADMIN,
                             &(dg_log_event){.action = "user.passwd", .detail = login}, err,
                             "user passwd: only an admin may set another account's password");
    if (st == DG_OK)
        st = check_length(password, err);
    char hash[crypto_pwhash_STRBYTES];
    if (st == DG_OK)
        st = hash_password(password, hash, err);
    if (st == DG_OK)
        st = write_password(archive, actor, login, hash, epoch, err);
    sodium_memzero(hash, sizeof hash);
    return st;
}

/* The stored hash and epoch of an active account; *hash NULL when there is none. */
static dg_status read_login_hash(dg_archive *archive, const char *login, char **hash,
                                 int64_t *epoch, dg_error *err)
{
    sqlite3_stmt *stmt;
    *hash = NULL;
    dg_status st = dg_catalog_prepare(
        archive->db,
        "SELECT p.hash, p.epoch FROM users u JOIN web_passwords p ON p.user_id = u.id"
        " WHERE u.login = ? AND u.active",
        &stmt, err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_text(stmt, 1, login, -1, SQLITE_STATIC);
    int found = 0;
    st = dg_catalog_step_maybe_row(archive->db, stmt, &found, "read password", err);
    if (st == DG_OK && found) {
        *hash = dg_column_strdup(stmt, 0);
        *epoch = sqlite3_column_int64(stmt, 1);
        if (!*hash)
            st = dg_error_set(err, DG_ERR_NOMEM, "password: out of memory");
    }
    sqlite3_finalize(stmt);
    return st;
}

/* Whether password matches hash; with no hash, the same work against a throwaway one, so
 * that an unknown login takes as long as a wrong password. */
static int password_matches(const char *hash, const char *password)
{
    size_t len = strlen(password);
    if (hash)
        return crypto_pwhash_str_verify(hash, password, len) == 0;
    char dummy[crypto_pwhash_STRBYTES];
    /* Hashing costs what verifying does; the result is thrown away. */
    if (crypto_pwhash_str(dummy, password, len, PW_OPS, PW_MEM) == 0)
        sodium_memzero(dummy, sizeof dummy);
    return 0;
}

static void log_stranger(dg_archive *archive, const char *login, const char *origin,
                         const char *why)
{
    dg_actor stranger = {0};
    snprintf(stranger.login, sizeof stranger.login, "%s", login);
    snprintf(stranger.origin, sizeof stranger.origin, "%s", origin);
    log_quietly(archive, &stranger, "web.login", "refused", why);
}

dg_status dg_password_login(dg_archive *archive, const char *login, const char *password,
                            const char *origin, dg_actor *out, int64_t *epoch, dg_error *err)
{
    memset(out, 0, sizeof *out);
    dg_text_field fields[] = {{"login", login}, {"origin", origin}};
    dg_status st = dg_text_guard_all(fields, 2, err);
    if (st != DG_OK || strlen(password) > DG_PASSWORD_MAX)
        return dg_error_set(err, DG_ERR_DENIED, "wrong login or password");
    char *hash = NULL;
    st = read_login_hash(archive, login, &hash, epoch, err);
    if (st != DG_OK)
        return st;
    int ok = password_matches(hash, password);
    int known = hash != NULL;
    free(hash);
    if (ok)
        st = dg_actor_login(archive, login, origin, out, err);
    if (ok && st == DG_OK) {
        log_quietly(archive, out, "web.login", "ok", NULL);
        return DG_OK;
    }
    if (st != DG_OK && st != DG_ERR_UNKNOWN_USER)
        return st;
    log_stranger(archive, login, origin,
                 known ? "wrong password" : "no active account with a web password");
    return dg_error_set(err, DG_ERR_DENIED, "wrong login or password");
}

dg_status dg_password_confirm(dg_archive *archive, const dg_actor *actor, const char *password,
                              const char *what, dg_error *err)
{
    char *hash = NULL;
    int64_t epoch = 0;
    dg_status st = read_login_hash(archive, actor->login, &hash, &epoch, err);
    if (st != DG_OK)
        return st;
    int ok = password && strlen(password) <= DG_PASSWORD_MAX && password_matches(hash, password);
    free(hash);
    log_quietly(archive, actor, "web.confirm", ok ? "ok" : "refused", what);
    return ok ? DG_OK : dg_error_set(err, DG_ERR_DENIED, "%s: wrong password", what);
}

dg_status dg_password_epoch(dg_archive *archive, const char *login, int64_t *epoch,
                            dg_error *err)
{
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_take(
        &archive->stmts, archive->db,
        "SELECT p.epoch FROM users u JOIN web_passwords p ON p.user_id = u.id"
        " WHERE u.login = ? AND u.active",
        &stmt, err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_text(stmt, 1, login, -1, SQLITE_STATIC);
    int found = 0;
    st = dg_catalog_step_maybe_row(archive->db, stmt, &found, "read password epoch", err);
    if (st == DG_OK && found)
        *epoch = sqlite3_column_int64(stmt, 0);
    dg_catalog_give_back(&archive->stmts, stmt);
    if (st == DG_OK && !found)
        st = dg_error_set(err, DG_ERR_NOT_FOUND, "%s: no web login", login);
    return st;
}
