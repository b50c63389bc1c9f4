/*
 * catalog.h — the catalog: dangan's SQLite database (catalog.db), internal to engine/.
 *
 * The catalog is the archive's source of truth: records, their immutable versions and
 * pages, the objects they use, users and grants, reference-code counters, settings, the
 * hash-chained access log and the index work queue. Only the engine's own .c files include this header;
 * everything else goes through the engine API (archive.h, record.h, user.h, log.h).
 *
 * Guarantees: WAL mode (readers never block the writer or each other), foreign keys on,
 * secure_delete on (destroyed content is overwritten, not merely unlinked from the
 * b-tree), full fsync on commit, and every write inside a transaction. The schema carries
 * its version in PRAGMA user_version and is brought up to date by numbered migrations
 * when the catalog is opened.
 */
#ifndef DG_CATALOG_H
#define DG_CATALOG_H

#include <sqlite3.h>
#include <stdint.h>

#include "../base/status.h"

/* The schema version this build writes; migrations bring older catalogs up to it. */
#define DG_SCHEMA_VERSION 22

/*
 * The access log's own database file, beside catalog.db in the archive folder (migration
 * 22, issue 17): the log's tables (access_log, log_tree, log_checkpoints, log_shown_filed,
 * log_logins, log_state, log_changes). Every catalog connection attaches it as schema
 * "log", so a statement names the log's tables as before (no catalog table has their
 * names) and may join them with the catalog's. A search's entry then commits to this file
 * alone, and the catalog's other connections keep their page caches (in WAL mode a
 * connection whose file changed drops its whole cache at its next read: 2.0-2.4% of a
 * server's CPU when every search's entry committed to catalog.db).
 */
#define DG_LOG_FILE "log.db"

/*
 * Opens (creating when create is set) the catalog file at path, applies the pragmas,
 * attaches the access log's file (DG_LOG_FILE in the same folder, created with it; an
 * upgraded catalog whose log file is missing is refused) and runs pending migrations. A
 * catalog newer than this build is refused.
 */
dg_status dg_catalog_open(const char *path, int create, sqlite3 **out, dg_error *err);

/*
 * A connection to the access log's file alone (its schema "main"), with the catalog's
 * pragmas and UTF-8 guard, for appending entries without touching catalog.db (log.c). catalog
 * is an open catalog connection (it names the file and has migrated it).
 */
dg_status dg_catalog_open_log(sqlite3 *catalog, sqlite3 **out, dg_error *err);
void dg_catalog_close(sqlite3 *db);

/* Turns the database's last error into a status and message ("catalog: <what>: <why>"). */
dg_status dg_catalog_error(sqlite3 *db, dg_error *err, const char *what);

/* Runs SQL without results (several statements allowed). */
dg_status dg_catalog_exec(sqlite3 *db, const char *sql, dg_error *err);

/* Whether the last failed call on db failed because the disk is full. */
int dg_catalog_disk_full(sqlite3 *db);

/*
 * Transactions. begin_write takes the database write lock at once (BEGIN IMMEDIATE) so
 * a writer never fails half-way on a lock upgrade; busy waits are handled by the
 * connection's busy handler. rollback is safe to call after any failure.
 */
dg_status dg_catalog_begin_read(sqlite3 *db, dg_error *err);
dg_status dg_catalog_begin_write(sqlite3 *db, dg_error *err);
dg_status dg_catalog_commit(sqlite3 *db, dg_error *err);
void dg_catalog_rollback(sqlite3 *db);

/*
 * Ends a write transaction on the status of the work done in it: commits when st is DG_OK,
 * and rolls back when the work or the commit itself failed (a COMMIT refused while readers
 * hold the database leaves the transaction open). Returns the final status; err keeps the
 * work's message when st already failed.
 */
dg_status dg_catalog_end_write(sqlite3 *db, dg_status st, dg_error *err);

/* Prepares sql; on failure fills err. The caller finalizes. */
dg_status dg_catalog_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **stmt, dg_error *err);

/*
 * A handle's kept statements: the statements every request runs (the account and session
 * check, a search's hit rows, the access-log entry) are compiled once per handle, not once
 * per request; compiling them was an eighth of the server's CPU per search page. The
 * cache is the handle's (dg_archive), used by one thread at a time like the handle, and
 * keyed by the address of the SQL text, so callers pass a string literal.
 *
 * dg_catalog_take gives the kept statement for sql (compiling it the first time), reset
 * and with no bindings; one already taken and not given back (a nested use) is compiled
 * afresh and finalized when given back. dg_catalog_give_back resets it (its locks let go)
 * and keeps it; never finalize a taken statement, nor pass it to a helper that finalizes.
 * cache may be NULL: then take prepares and give_back finalizes. dg_stmt_cache_clear
 * finalizes them all; it must run before the connection closes.
 */
enum { DG_STMT_CACHE_SLOTS = 32 };
typedef struct dg_stmt_cache {
    struct {
        const char *sql;
        sqlite3_stmt *stmt;
        int taken;
    } slot[DG_STMT_CACHE_SLOTS];
} dg_stmt_cache;
dg_status dg_catalog_take(dg_stmt_cache *cache, sqlite3 *db, const char *sql,
                          sqlite3_stmt **stmt, dg_error *err);
void dg_catalog_give_back(dg_stmt_cache *cache, sqlite3_stmt *stmt);
void dg_stmt_cache_clear(dg_stmt_cache *cache);

/* dg_catalog_exec of one statement (BEGIN, COMMIT, SAVEPOINT ...) kept compiled in cache,
 * for a caller that runs it for every request (the log's group commit). */
dg_status dg_catalog_exec_kept(dg_stmt_cache *cache, sqlite3 *db, const char *sql,
                               dg_error *err);

/* Steps a statement that returns no rows without finalizing it (a taken one). */
dg_status dg_catalog_step_once(sqlite3 *db, sqlite3_stmt *stmt, dg_error *err);

/* Steps a statement that returns no rows (INSERT/UPDATE/DELETE) and finalizes it. */
dg_status dg_catalog_step_done(sqlite3 *db, sqlite3_stmt *stmt, dg_error *err);

/*
 * Reading rows. Every helper below takes a prepared statement with its parameters bound;
 * what names the read for the catalog error ("catalog: <what>: <why>") when SQLite fails.
 * A step that fails is always reported, never taken for the end of the rows.
 *
 * dg_catalog_step_row steps stmt to the one row the caller expects and leaves the row's
 * columns ready to read. When there is no row it returns DG_ERR_NOT_FOUND with the message
 * formatted from not_found; a NULL not_found says the row must exist (a count, a record the
 * caller holds), so its absence is reported as the catalog error naming what. The caller
 * finalizes stmt.
 */
dg_status dg_catalog_step_row(sqlite3 *db, sqlite3_stmt *stmt, const char *what, dg_error *err,
                              const char *not_found, ...) __attribute__((format(printf, 5, 6)));

/*
 * Steps stmt to a row that may not exist: on DG_OK *found is 1 with the row's columns
 * ready to read, or 0 when the query returned nothing. The caller finalizes stmt.
 */
dg_status dg_catalog_step_maybe_row(sqlite3 *db, sqlite3_stmt *stmt, int *found,
                                    const char *what, dg_error *err);

/*
 * Runs a one-row query and reads column 0 of the row as an integer or as a copy of its
 * text (the caller frees *value; a NULL column gives NULL). A missing row is handled as by
 * dg_catalog_step_row. Both finalize stmt; on failure *value is left as it was.
 */
dg_status dg_catalog_row_int64(sqlite3 *db, sqlite3_stmt *stmt, int64_t *value, const char *what,
                               dg_error *err, const char *not_found, ...)
    __attribute__((format(printf, 6, 7)));
dg_status dg_catalog_row_text(sqlite3 *db, sqlite3_stmt *stmt, char **value, const char *what,
                              dg_error *err, const char *not_found, ...)
    __attribute__((format(printf, 6, 7)));

/* Handles the current row of a statement; a status other than DG_OK stops the walk. */
typedef dg_status (*dg_row_fn)(sqlite3_stmt *stmt, void *ctx, dg_error *err);

/*
 * Steps stmt through all its rows, calling fn(stmt, ctx, err) on each, and finalizes it.
 * Returns DG_OK after the last row, fn's first failure, or the catalog error naming what.
 */
dg_status dg_catalog_each_row(sqlite3 *db, sqlite3_stmt *stmt, dg_row_fn fn, void *ctx,
                              const char *what, dg_error *err);

/* Fills one collected item (zeroed) from the current row of a statement. */
typedef void (*dg_row_reader)(sqlite3_stmt *stmt, void *item, void *ctx);

/* A dg_row_reader for lists of ids: reads column 0 into the int64_t item; ctx is unused. */
void dg_row_read_int64(sqlite3_stmt *stmt, void *item, void *ctx);

/*
 * Collects a listing: steps stmt through all its rows, appending one elem-sized item per
 * row to the array *items of *count items (grown with dg_grow, so the array may already
 * hold items from an earlier call) and filling it with read(stmt, item, ctx); finalizes
 * stmt. Returns DG_OK, DG_ERR_NOMEM ("out of memory") or the catalog error naming what. On
 * failure the items read so far stay in *items and *count for the caller's *_free.
 */
dg_status dg_catalog_collect(sqlite3 *db, sqlite3_stmt *stmt, void **items, size_t *count,
                             size_t elem, dg_row_reader read, void *ctx, const char *what,
                             dg_error *err);

/* Binds text or NULL when value is NULL. */
int dg_bind_text_or_null(sqlite3_stmt *stmt, int index, const char *value);

/* A copy of column text, or NULL when the column is NULL (caller frees). */
char *dg_column_strdup(sqlite3_stmt *stmt, int col);

/*
 * The same, adding 1 to *missing when the copy is lost to a failed allocation (NULL for a
 * column that is not NULL), so a reader of many columns checks once at the end.
 */
char *dg_column_copy(sqlite3_stmt *stmt, int col, int *missing);

/* Reads/writes a row of the settings table. get returns DG_ERR_NOT_FOUND when unset. */
/*
 * Runs SQLite's integrity_check (quick_check when quick) over the catalog; *problems is
 * NULL when it is sound, else what SQLite found (the first lines, "; "-joined; free()).
 * A check that cannot even run on a damaged file is a finding, not a failure.
 */
dg_status dg_catalog_check(sqlite3 *db, int quick, char **problems, dg_error *err);

dg_status dg_setting_get(sqlite3 *db, const char *key, char **value, dg_error *err);
dg_status dg_setting_set(sqlite3 *db, const char *key, const char *value, dg_error *err);

/*
 * Grows an array of elem-sized items by one zeroed slot (doubling its capacity *cap when
 * full) and returns the slot, or NULL when out of memory (the array is then unchanged).
 * Every engine listing collects its rows with it.
 */
void *dg_grow(void **items, size_t *count, size_t *cap, size_t elem);

/* The current time as ISO 8601 UTC with milliseconds: 2024-03-12T08:15:30.123Z. */
void dg_now_iso(char buf[32]);

#endif
