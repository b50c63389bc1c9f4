/*
 * text_guard.h — the engine's promise that every text it stores is valid UTF-8.
 *
 * Whatever the caller (the command line, the server, the ingest runner, a test), a byte
 * string that is not UTF-8 never reaches the catalog or the index: OpenCC, Xapian and
 * jansson all fail on it later, far from the cause, and one such title once made every
 * later command fail. Every engine entry point that writes text checks its fields here
 * first and refuses the call with DG_ERR_BAD_INPUT naming the field. Internal to engine/.
 *
 * Defence in depth: dg_text_guard_install() gives each catalog connection an SQL function
 * and temporary triggers that refuse, inside SQLite, an INSERT or UPDATE putting invalid
 * UTF-8 text into any column of any table, so a write path that forgets its check fails
 * loudly instead of storing the bytes. The triggers are TEMP: they live in dangan's own
 * connections and are rebuilt from the schema at every open (a table a later migration
 * adds is covered without more code), and the catalog file itself stays readable and
 * writable by the sqlite3 tool.
 */
#ifndef DG_TEXT_GUARD_H
#define DG_TEXT_GUARD_H

#include <sqlite3.h>
#include <stddef.h>

#include "../base/status.h"

/* A field to check: its name as the caller knows it ("title") and its value (NULL: absent). */
typedef struct dg_text_field {
    const char *name;
    const char *value;
} dg_text_field;

/*
 * DG_OK when value is NULL or valid UTF-8; else DG_ERR_BAD_INPUT
 * "FIELD: not valid UTF-8 text (first bad byte at offset N)".
 */
dg_status dg_text_guard(const char *field, const char *value, dg_error *err);

/* dg_text_guard() on each of n fields; stops at the first that fails. */
dg_status dg_text_guard_all(const dg_text_field *fields, size_t n, dg_error *err);

/*
 * Installs the SQL function dg_utf8_check(table, column, value, ...) and the temporary
 * triggers described above (one call of it per row written) on
 * a connection whose schema is up to date. Called by dg_catalog_open().
 */
dg_status dg_text_guard_install(sqlite3 *db, dg_error *err);

#endif
