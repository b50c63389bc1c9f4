/* testutil.h — shared helpers for the engine's unit tests: a fresh archive in a temp dir. */
#ifndef DG_TESTUTIL_H
#define DG_TESTUTIL_H

#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/archive.h"
#include "engine/user.h"

typedef struct test_archive {
    char dir[64];
    char path[96];
    dg_archive *archive;
    dg_actor admin;
} test_archive;

static inline void test_archive_remove(test_archive *t)
{
    if (t->archive)
        dg_archive_close(t->archive);
    t->archive = NULL;
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", t->dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", t->dir);
}

/* Attaches the archive's access-log file to db as "log", as dangan does (engine/catalog.h),
 * so the log's tables are named as before. */
static inline int test_attach_log(const test_archive *t, sqlite3 *db)
{
    char *sql = sqlite3_mprintf("ATTACH '%q/log.db' AS log", t->path);
    int rc = sql ? sqlite3_exec(db, sql, NULL, NULL, NULL) : SQLITE_NOMEM;
    sqlite3_free(sql);
    return rc;
}

/* Runs sql on the archive's catalog (its log file attached) on a connection of its own (as another process, or an
 * intruder going around dangan, would); SQLite's result code, its message on stderr. */
static inline int test_archive_exec(const test_archive *t, const char *sql)
{
    char path[160];
    snprintf(path, sizeof path, "%s/catalog.db", t->path);
    sqlite3 *db;
    int rc = sqlite3_open(path, &db);
    char *msg = NULL;
    if (rc == SQLITE_OK)
        rc = test_attach_log(t, db);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK)
        fprintf(stderr, "catalog: %s\n", msg ? msg : sqlite3_errstr(rc));
    sqlite3_free(msg);
    sqlite3_close(db);
    return rc;
}

/* The one number sql (a count) gives on the archive's catalog, read on a connection of its
 * own; -1 when the catalog cannot be opened or the query gives no row. */
static inline int64_t test_archive_count(const test_archive *t, const char *sql)
{
    char path[160];
    snprintf(path, sizeof path, "%s/catalog.db", t->path);
    sqlite3 *db;
    sqlite3_stmt *stmt = NULL;
    int64_t n = -1;
    if (sqlite3_open(path, &db) == SQLITE_OK && test_attach_log(t, db) == SQLITE_OK &&
        sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW)
        n = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return n;
}

/*
 * Puts the closed archive's log back into its catalog, as a catalog of schema 21 (before the
 * log had its own file, migration 22) held it, and removes the log's file: for the tests that
 * take a catalog back to an older schema by hand and open it again (every migration since
 * then runs, the log's move last). 1 when done.
 */
static inline int test_archive_one_file(const test_archive *t)
{
    static const char *const KINDS[] = {"table", "index", "trigger"};
    char path[160];
    snprintf(path, sizeof path, "%s/catalog.db", t->path);
    sqlite3 *db;
    int ok = sqlite3_open(path, &db) == SQLITE_OK && test_attach_log(t, db) == SQLITE_OK &&
             sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK;
    for (int k = 0; ok && k < 3; k++) {
        sqlite3_stmt *stmt;
        ok = sqlite3_prepare_v2(db, "SELECT name, sql FROM log.sqlite_schema WHERE type = ?1 AND"
                                    " sql IS NOT NULL AND tbl_name NOT IN ('log_state',"
                                    " 'log_changes') ORDER BY rowid",
                                -1, &stmt, NULL) == SQLITE_OK;
        sqlite3_bind_text(stmt, 1, KINDS[k], -1, SQLITE_STATIC);
        while (ok && sqlite3_step(stmt) == SQLITE_ROW) {
            const char *name = (const char *)sqlite3_column_text(stmt, 0);
            ok = sqlite3_exec(db, (const char *)sqlite3_column_text(stmt, 1), NULL, NULL, NULL) ==
                 SQLITE_OK;
            char *copy = k ? NULL
                           : sqlite3_mprintf("INSERT INTO main.\"%w\" SELECT * FROM log.\"%w\"",
                                             name, name);
            if (ok && copy)
                ok = sqlite3_exec(db, copy, NULL, NULL, NULL) == SQLITE_OK;
            sqlite3_free(copy);
        }
        sqlite3_finalize(stmt);
    }
    ok = ok && sqlite3_exec(db,
                            "INSERT OR REPLACE INTO main.settings(key, value)"
                            "  SELECT key, value FROM log.log_state;"
                            "DROP TABLE main.log_pending; PRAGMA main.user_version = 21; COMMIT;",
                            NULL, NULL, NULL) == SQLITE_OK;
    if (!ok)
        fprintf(stderr, "one file: %s\n", sqlite3_errmsg(db));
    sqlite3_close(db);
    static const char *const FILES[] = {"log.db", "log.db-wal", "log.db-shm"};
    for (int i = 0; ok && i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", t->path, FILES[i]);
        unlink(path);
    }
    return ok;
}

/* Creates an archive owned by "owner" (admin, clearance 4) and opens it. */
static inline int test_archive_make(test_archive *t)
{
    memset(t, 0, sizeof *t);
    snprintf(t->dir, sizeof t->dir, "/tmp/dangan-test-XXXXXX");
    if (!mkdtemp(t->dir))
        return 0;
    snprintf(t->path, sizeof t->path, "%s/archive", t->dir);
    dg_error err;
    if (dg_archive_create(t->path, "X001", "Test Archive", "owner", "Owner", &err) != DG_OK) {
        fprintf(stderr, "create: %s\n", err.msg);
        return 0;
    }
    if (dg_archive_open(t->path, &t->archive, &err) != DG_OK) {
        fprintf(stderr, "open: %s\n", err.msg);
        return 0;
    }
    return dg_actor_login(t->archive, "owner", "test", &t->admin, &err) == DG_OK;
}

/* Adds a user and returns its actor. */
static inline int test_archive_user(test_archive *t, const char *login, int clearance,
                                    unsigned roles, dg_actor *out)
{
    dg_error err;
    if (dg_user_add(t->archive, &t->admin, login, login, clearance, roles, &err) != DG_OK) {
        fprintf(stderr, "user add: %s\n", err.msg);
        return 0;
    }
    return dg_actor_login(t->archive, login, "test", out, &err) == DG_OK;
}

#endif
