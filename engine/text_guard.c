/*
 * text_guard.c — refusing invalid UTF-8 at the engine's doors and in the catalog itself
 * (see text_guard.h). It talks to SQLite directly: catalog.c calls it while opening a
 * connection, so it must not call back into catalog.c.
 */
#include "text_guard.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/utf8.h"

dg_status dg_text_guard(const char *field, const char *value, dg_error *err)
{
    if (!value)
        return DG_OK;
    size_t len = strlen(value), bad = dg_utf8_invalid_at(value, len);
    if (bad == len)
        return DG_OK;
    return dg_error_set(err, DG_ERR_BAD_INPUT,
                        "%s: not valid UTF-8 text (first bad byte at offset %zu)", field, bad);
}

dg_status dg_text_guard_all(const dg_text_field *fields, size_t n, dg_error *err)
{
    for (size_t i = 0; i < n; i++) {
        dg_status st = dg_text_guard(fields[i].name, fields[i].value, err);
        if (st != DG_OK)
            return st;
    }
    return DG_OK;
}

static dg_status sql_error(sqlite3 *db, dg_error *err, const char *what)
{
    int code = sqlite3_errcode(db);
    return dg_error_set(err, code == SQLITE_NOMEM ? DG_ERR_NOMEM : DG_ERR_DB,
                        "catalog: UTF-8 guard: %s: %s", what, sqlite3_errmsg(db));
}

/*
 * dg_utf8_check(table, column, value, column, value, ...): NULL when every value is NULL, a
 * number, a blob or valid UTF-8 text; otherwise it fails the statement with "table.column:
 * not valid UTF-8 text" as SQLITE_CONSTRAINT, as RAISE(ABORT, ...) did. One call per row
 * in place of a RAISE sub-select per column: the access log's 15 sub-selects were about
 * two thirds of each log entry's insert (issue 17, a server's profile).
 */
static void sql_utf8_check(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    for (int i = 1; i + 1 < argc; i += 2) {
        if (sqlite3_value_type(argv[i + 1]) != SQLITE_TEXT)
            continue;
        const char *bytes = sqlite3_value_blob(argv[i + 1]); /* as stored, never converted */
        int len = sqlite3_value_bytes(argv[i + 1]);
        if (!bytes || dg_utf8_valid(bytes, (size_t)len))
            continue;
        char *msg = sqlite3_mprintf("%s.%s: not valid UTF-8 text",
                                    (const char *)sqlite3_value_text(argv[0]),
                                    (const char *)sqlite3_value_text(argv[i]));
        if (!msg) {
            sqlite3_result_error_nomem(ctx);
            return;
        }
        sqlite3_result_error(ctx, msg, -1);
        sqlite3_result_error_code(ctx, SQLITE_CONSTRAINT); /* after the message: it keeps it */
        sqlite3_free(msg);
        return;
    }
    sqlite3_result_null(ctx);
}

/* Columns per dg_utf8_check call: two arguments each, under SQLite's 127. */
enum { CHECK_COLUMNS = 60 };

/* A growing SQL string; on no memory it stays NULL and the caller reports that. */
typedef struct sql_buf {
    char *s;
    size_t len, cap;
    int failed;
} sql_buf;

static void sql_add(sql_buf *b, const char *piece)
{
    size_t n = strlen(piece);
    if (b->failed)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = (b->len + n + 1) * 2;
        char *bigger = realloc(b->s, cap);
        if (!bigger) {
            b->failed = 1;
            return;
        }
        b->s = bigger, b->cap = cap;
    }
    memcpy(b->s + b->len, piece, n + 1);
    b->len += n;
}

/* Appends the two triggers (insert, update) of one table: one dg_utf8_check of every
 * column (whatever its declared type: SQLite stores text in any of them), which names the
 * column it refuses. Table and column names come from the schema, quoted. */
static dg_status add_table_triggers(sqlite3 *db, const char *schema, const char *table,
                                   sql_buf *b, dg_error *err)
{
    sqlite3_stmt *stmt;
    if (sqlite3_prepare_v2(db, "SELECT name FROM pragma_table_info(?, ?)", -1, &stmt, NULL) !=
        SQLITE_OK)
        return sql_error(db, err, "read the schema");
    dg_status st = DG_OK;
    sqlite3_bind_text(stmt, 1, table, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, schema, -1, SQLITE_STATIC);
    sql_buf body = {0};
    int rc, columns = 0;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        const char *col = (const char *)sqlite3_column_text(stmt, 0);
        char *head = columns % CHECK_COLUMNS ? NULL
                                             : sqlite3_mprintf("%sSELECT dg_utf8_check('%q'",
                                                               columns ? ");" : "", table);
        char *piece = sqlite3_mprintf(", '%q', NEW.\"%w\"", col, col);
        if (head)
            sql_add(&body, head);
        if (!piece || (columns % CHECK_COLUMNS == 0 && !head))
            body.failed = 1;
        else
            sql_add(&body, piece);
        sqlite3_free(head);
        sqlite3_free(piece);
        if (body.failed)
            break;
        columns++;
    }
    if (columns)
        sql_add(&body, ");");
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        st = sql_error(db, err, "read the schema");
    sqlite3_finalize(stmt);
    if (st == DG_OK && body.len) {
        const char *ops[] = {"INSERT", "UPDATE"};
        for (int i = 0; i < 2; i++) {
            /* main's triggers keep their names; another schema's (the log, attached as
             * "log": catalog.c) are named after it too. */
            char *trigger = sqlite3_mprintf(
                "CREATE TEMP TRIGGER \"dg_utf8_%s%s%w_%s\" BEFORE %s ON \"%w\".\"%w\" "
                "BEGIN %s END;",
                strcmp(schema, "main") ? schema : "", strcmp(schema, "main") ? "_" : "", table,
                ops[i], ops[i], schema, table, body.s);
            if (!trigger) {
                b->failed = 1;
                break;
            }
            sql_add(b, trigger);
            sqlite3_free(trigger);
        }
    }
    if (st == DG_OK && body.failed)
        b->failed = 1;
    free(body.s);
    return st;
}

/* The triggers of every table of one schema of db. */
static dg_status install_schema(sqlite3 *db, const char *schema, dg_error *err)
{
    sqlite3_stmt *stmt;
    char *sql = sqlite3_mprintf("SELECT name FROM \"%w\".sqlite_schema WHERE type = 'table' "
                                "AND name NOT LIKE 'sqlite_%%' ORDER BY name",
                                schema);
    if (!sql)
        return dg_error_set(err, DG_ERR_NOMEM, "catalog: UTF-8 guard: out of memory");
    int rc = sqlite3_prepare_v2(db, sql, -1, &stmt, NULL);
    sqlite3_free(sql);
    if (rc != SQLITE_OK)
        return sql_error(db, err, "list tables");
    dg_status st = DG_OK;
    sql_buf all = {0};
    while (st == DG_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        char *table = strdup((const char *)sqlite3_column_text(stmt, 0));
        st = table ? add_table_triggers(db, schema, table, &all, err)
                   : dg_error_set(err, DG_ERR_NOMEM, "catalog: UTF-8 guard: out of memory");
        free(table);
    }
    if (st == DG_OK && rc != SQLITE_DONE)
        st = sql_error(db, err, "list tables");
    sqlite3_finalize(stmt);
    if (st == DG_OK && all.failed)
        st = dg_error_set(err, DG_ERR_NOMEM, "catalog: UTF-8 guard: out of memory");
    if (st == DG_OK && all.len && sqlite3_exec(db, all.s, NULL, NULL, NULL) != SQLITE_OK)
        st = sql_error(db, err, "create the triggers");
    free(all.s);
    return st;
}

dg_status dg_text_guard_install(sqlite3 *db, dg_error *err)
{
    if (sqlite3_create_function_v2(db, "dg_utf8_check", -1,
                                   SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, NULL,
                                   sql_utf8_check, NULL, NULL, NULL) != SQLITE_OK)
        return sql_error(db, err, "create dg_utf8_check()");
    dg_status st = install_schema(db, "main", err);
    /* The access log's own file, attached to the catalog's connections (catalog.c). */
    if (st == DG_OK && sqlite3_db_filename(db, "log"))
        st = install_schema(db, "log", err);
    return st;
}
