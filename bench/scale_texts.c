/*
 * bench/scale_texts.c — gives a kept bench/scale archive (DG_SCALE_KEEP) its records' texts
 * as object files, so that `dangan reindex` over it does what it does on a real archive.
 *
 * bench/scale writes the catalog's rows with SQL and builds the index straight from the
 * generated documents: its versions name no text object (text_sha256 is NULL) and objects/
 * is empty, so a reindex of such an archive indexes the catalog's fields only, reads and
 * decompresses nothing, and builds an index without bodies (a third of the real one's
 * size). This program writes record i's body (bench/index_doc.h, the text bench/scale
 * indexed) into the archive's object store as the engine files a text (dg_store_put:
 * zlib, named by its SHA-256, deferred and published in groups), adds its objects row and
 * points version i+1 at it. The versions table is immutable (trigger versions_are_immutable,
 * migration 14): the trigger is dropped and re-created from its own stored SQL in the same
 * transaction. A bench tool for a copy of a bench archive, never for a real one.
 *
 *   build/bench/scale_texts ARCHIVE N
 *
 * N is the number of records bench/scale made (records 1..N, version i+1 of record i+1).
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench/index_doc.h"
#include "engine/store.h"

enum { GROUP = 8192 }; /* objects published (two syncs) per group */

static int sql_fail(sqlite3 *db, const char *what)
{
    fprintf(stderr, "dangan: bench/scale_texts: %s: %s\n", what, sqlite3_errmsg(db));
    return 1;
}

/* The trigger's CREATE statement as stored, malloc'd; NULL if it is not there. */
static char *trigger_sql(sqlite3 *db)
{
    sqlite3_stmt *st = NULL;
    char *sql = NULL;
    if (sqlite3_prepare_v2(db,
                           "SELECT sql FROM sqlite_master WHERE type = 'trigger'"
                           " AND name = 'versions_are_immutable'",
                           -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        sql = strdup((const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return sql;
}

/* Stores record i's body and points its version at it (st[0]: objects, st[1]: versions). */
static int file_text(dg_store *store, sqlite3 *db, sqlite3_stmt *const *st, int i)
{
    bench_doc doc;
    dg_index_doc d;
    bench_index_doc(i, &doc, &d);
    size_t len = strlen(doc.body);
    char hex[DG_SHA256_HEX];
    uint64_t stored = 0;
    dg_error err;
    if (dg_store_put(store, doc.body, len, hex, NULL, &stored, &err) != DG_OK) {
        fprintf(stderr, "dangan: bench/scale_texts: record %d: %s\n", i + 1, err.msg);
        return 1;
    }
    sqlite3_bind_text(st[0], 1, hex, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st[0], 2, (sqlite3_int64)len);
    sqlite3_bind_int64(st[0], 3, (sqlite3_int64)stored);
    sqlite3_bind_text(st[1], 1, hex, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st[1], 2, (sqlite3_int64)i + 1);
    for (int k = 0; k < 2; k++) {
        int rc = sqlite3_step(st[k]);
        sqlite3_reset(st[k]);
        if (rc != SQLITE_DONE)
            return sql_fail(db, k ? "point a version at its text" : "add an object");
    }
    return 0;
}

static int file_texts(const char *archive, long n, sqlite3 *db)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/objects", archive);
    dg_store *store = NULL;
    dg_error err;
    if (dg_store_open(path, &store, &err) != DG_OK) {
        fprintf(stderr, "dangan: bench/scale_texts: %s: %s\n", path, err.msg);
        return 1;
    }
    sqlite3_stmt *st[2] = {NULL, NULL};
    int failed =
        sqlite3_prepare_v2(db,
                           "INSERT OR IGNORE INTO objects(sha256, size, stored_size, created_at)"
                           " VALUES(?1, ?2, ?3, '2025-01-01T00:00:00.000Z')",
                           -1, &st[0], NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "UPDATE versions SET text_sha256 = ?1 WHERE id = ?2", -1, &st[1],
                           NULL) != SQLITE_OK;
    if (failed)
        sql_fail(db, "prepare");
    dg_store_defer(store, 1);
    for (long i = 0; !failed && i < n; i++) {
        failed = file_text(store, db, st, (int)i);
        /* Objects are named (and synced) before the catalog that names them commits. */
        if (!failed && ((i + 1) % GROUP == 0 || i + 1 == n) &&
            dg_store_publish_deferred(store, &err) != DG_OK) {
            fprintf(stderr, "dangan: bench/scale_texts: publish: %s\n", err.msg);
            failed = 1;
        }
        if (!failed && (i + 1) % 100000 == 0)
            fprintf(stderr, "%ld texts\n", i + 1);
    }
    dg_store_defer(store, 0);
    sqlite3_finalize(st[0]);
    sqlite3_finalize(st[1]);
    dg_store_close(store);
    return failed;
}

int main(int argc, char **argv)
{
    if (argc != 3 || atol(argv[2]) <= 0) {
        fprintf(stderr, "usage: scale_texts ARCHIVE N\n");
        return 2;
    }
    long n = atol(argv[2]);
    char catalog[4096];
    snprintf(catalog, sizeof catalog, "%s/catalog.db", argv[1]);
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(catalog, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
        return sql_fail(db, catalog);
    char *trigger = trigger_sql(db);
    int failed = !trigger;
    if (failed)
        fprintf(stderr, "dangan: bench/scale_texts: %s: no trigger versions_are_immutable\n",
                catalog);
    if (!failed && sqlite3_exec(db,
                                "PRAGMA cache_size=-200000; BEGIN;"
                                " DROP TRIGGER versions_are_immutable",
                                NULL, NULL, NULL) != SQLITE_OK)
        failed = sql_fail(db, "begin");
    if (!failed)
        failed = file_texts(argv[1], n, db);
    if (!failed && sqlite3_exec(db, trigger, NULL, NULL, NULL) != SQLITE_OK)
        failed = sql_fail(db, "re-create the trigger");
    if (!failed && sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        failed = sql_fail(db, "commit");
    if (failed)
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    free(trigger);
    sqlite3_close(db);
    if (!failed)
        printf("%ld texts filed in %s\n", n, argv[1]);
    return failed;
}
