/*
 * log_internal.h — what the access log's files share about an entry and the stored tree.
 * log.c (appending, the stored tree) defines all but the last four, which are
 * log_read.c's (the walk, the tree comparison, the reader's role check), used by
 * log_tree.c. Internal to engine/log*.c.
 */
#ifndef DG_LOG_INTERNAL_H
#define DG_LOG_INTERNAL_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "actor.h"
#include "log.h"
#include "merkle.h"
#include "../base/buf.h"
#include "../base/status.h"

/*
 * The columns every reader of access_log selects, in this order; an entry's bytes are made
 * from them (see dg_log_row_bytes).
 */
#define DG_LOG_COLUMNS                                                                     \
    "id, at, login, origin, action, refcode, version, query, hits, outcome, detail, "      \
    "prev_hash, hash, user_id, shown"
/* The same columns for showing an entry: the words searched for and the detail opened
 * where an encrypted archive sealed them (log.c, archive_keys.h). Never hashed: the
 * chain, the tree and the proofs read DG_LOG_COLUMNS, the bytes as stored. */
#define DG_LOG_SHOWN_COLUMNS                                                               \
    "id, at, login, origin, action, refcode, version, dg_clear(query), hits, outcome, "    \
    "dg_clear(detail), prev_hash, hash, user_id, shown"

/*
 * Whether entry is about a record (or a quarantined file) that actor may not see, so that
 * what is shown of it is withheld (log_read.c). 0 for an entry that does not exist.
 */
dg_status dg_log_entry_withheld(sqlite3 *db, const dg_actor *actor, int64_t entry,
                                int *withheld, dg_error *err);

/* The predecessor of the first entry. */
#define DG_LOG_GENESIS "0000000000000000000000000000000000000000000000000000000000000000"

/*
 * The bytes of the entry in the current row of a DG_LOG_COLUMNS statement: every field
 * including its id, each followed by 0x1F, NULL written as 0x1E, numbers in decimal (all
 * four read as 64-bit integers). These bytes are the leaf of the Merkle tree, and the chain
 * hash is SHA-256(previous hash || 0x1F || bytes), appended to b (base/buf.h: a growable
 * buffer) after emptying it. Returns 0 when out of memory (b then stays failed).
 */
int dg_log_row_bytes(sqlite3_stmt *row, dg_buf *b);
/* The same bytes appended to b (not reset). Returns 0 when out of memory. */
int dg_log_row_bytes_append(sqlite3_stmt *row, dg_buf *b);

/*
 * Whether a row is in the log's canonical form: as dangan's writer stores an entry, so that
 * no other row has the same bytes (issue 17: the bytes alone are not injective over any
 * row SQLite can hold). The rules, each a finding of its entry when broken:
 *   - every column has the SQLite type the writer stores: id, user_id, version and hits
 *     INTEGER; at, login, origin, action, outcome, prev_hash and hash TEXT; refcode, query,
 *     detail and shown TEXT or NULL (a number in a text column, text in a number column, a
 *     blob or a real anywhere serialise like the value they convert to);
 *   - version is 0 to INT_MAX, hits -1 or more, user_id 0 or more (the writer's ranges; a
 *     version off by 2^32 once hashed like the true one);
 *   - no text holds the byte 0x00, 0x1E or 0x1F (the end of a C string and the encoding's
 *     own separators: with them a field's content could move into its neighbour, or a text
 *     read as NULL); since this rule the writer stores every control character of a text
 *     as its Unicode picture (log.c), older entries with other control characters stay
 *     valid;
 *   - shown is NULL or a non-empty list "REF@V,REF@V" of codes without ',' or '@' and
 *     versions in canonical decimal (what search.c writes; the writer stores no empty one).
 * A dg_log_form records the verdict: sound, or why not ("its version is ...").
 */
typedef struct dg_log_form {
    int sound;
    char why[160];
} dg_log_form;

/*
 * dg_log_row_bytes_append, also judging the row's form into *form (the types are read
 * before any value, as SQLite's conversions on reading would hide them). The bytes are
 * appended whatever the verdict. Returns 0 when out of memory.
 */
int dg_log_row_bytes_judged(sqlite3_stmt *row, dg_buf *b, dg_log_form *form);


/*
 * Brings the stored tree up to the last entry (inside the caller's write transaction):
 * the entries not yet in it become its next leaves. After migration 5 the first call turns
 * a whole existing chain into the tree. An entry missing from the sequence is
 * DG_ERR_CORRUPT.
 */
dg_status dg_log_tree_catch_up(sqlite3 *db, dg_error *err);

/*
 * Files the shown hits of every entry not yet in log_shown, and its login in log_logins
 * (inside the caller's write transaction), sorted by key. Appends do it every
 * DG_LOG_SHOWN_EVERY entries (log.c), and a read by record before it reads (log_read.c); a
 * read by login reads the entries after the mark from the log itself (DG_LOG_FILED_UPTO).
 */
/* 1024, not 256: a filing writes about one page per record it names (up to every leaf of
 * log_shown), so four times fewer filings write about four times fewer pages (issue 17);
 * a read by record files at most this many entries' hits first. */
#define DG_LOG_SHOWN_EVERY 1024
dg_status dg_log_shown_catch_up(sqlite3 *db, dg_error *err);

/* The last entry whose shown hits and login are filed, as an SQL expression (0 when none
 * is): a read evaluates it in its own statement, so in the snapshot it reads the log in. */
#define DG_LOG_FILED_UPTO                                                                    \
    "coalesce((SELECT CAST(value AS INTEGER) FROM log_state WHERE key = 'log_shown_upto'), 0)"

/* A reader of the stored tree: one prepared statement, reset per read (and, once the tree
 * grows through it, one for the subtrees it writes, prepared on the first). */
typedef struct dg_log_stored_tree {
    sqlite3 *db;
    dg_stmt_cache *cache; /* where its statements are kept (an append's handle), or NULL */
    sqlite3_stmt *read, *write;
} dg_log_stored_tree;

dg_status dg_log_stored_open(sqlite3 *db, dg_log_stored_tree *t, dg_error *err);
void dg_log_stored_close(dg_log_stored_tree *t);

/* The dg_merkle read function over a dg_log_stored_tree (ctx): a subtree the table lacks
 * is DG_ERR_CORRUPT. */
dg_status dg_log_stored_read(void *ctx, int level, uint64_t index, dg_merkle_hash *out,
                             dg_error *err);

/* The stored tree's head, in a read transaction of the caller's. */
dg_status dg_log_stored_head(sqlite3 *db, dg_log_head *head, dg_error *err);

/*
 * log_walk.c: reads every entry in order: checks the chain and recomputes the tree
 * (out->root), and the root of the first snapshot_size entries (out->snapshot_root),
 * comparing every subtree with the stored one. It runs on two threads and two connections
 * (see below). No role check, no logging; on db (dg_log_reader_open), in its read transaction.
 */
dg_status dg_log_walk(sqlite3 *db, uint64_t snapshot_size, dg_log_check *out, dg_error *err);
/*
 * dg_log_walk's two ways, apart for the tests. The sequential one reads the log on one
 * connection (rows read on this thread, hashed on another) and names the first finding. The
 * one by chunks of 2^chunk_level entries (-1: chosen from the log's size) reads on this
 * connection and a second one, on two threads, and only confirms an intact log: *clean is 1
 * and out filled when it is, 0 (out unset) at the first sign of anything else, or when a
 * second connection cannot be opened on the same log. dg_log_walk runs the sequential one
 * whenever the one by chunks is not clean.
 */
dg_status dg_log_walk_sequential(sqlite3 *db, uint64_t snapshot_size, dg_log_check *out,
                                 dg_error *err);
dg_status dg_log_walk_chunks(sqlite3 *db, uint64_t snapshot_size, int chunk_level,
                             dg_log_check *out, int *clean, dg_error *err);

/*
 * log_walk.c: a private connection to the archive's catalog for reading the whole log,
 * inside a read transaction already begun, so that a walk, the stored tree and a proof
 * see one log. Private to the calling thread (no SQLite mutex, which otherwise every
 * column read of every row takes) and with the file memory-mapped (no copy of each page).
 * Close with dg_log_reader_close.
 */
dg_status dg_log_reader_open(dg_archive *archive, sqlite3 **db, dg_error *err);
void dg_log_reader_close(sqlite3 *db);

/* log_read.c: compares the stored tree with the recomputed one in out (sets tree_differs,
 * reason). */
dg_status dg_log_check_stored_tree(sqlite3 *db, dg_log_check *out, dg_error *err);

/* log_read.c: fills the dg_log_entry item from the current row of a DG_LOG_COLUMNS
 * statement (a dg_catalog_collect row function; ctx unused). Also log_own.c's. */
void dg_log_entry_from_row(sqlite3_stmt *stmt, void *item, void *ctx);

/* log_read.c: refuses (and logs the refusal of) a caller who is neither auditor nor admin. */
dg_status dg_log_require_reader(dg_archive *archive, const dg_actor *actor, const char *action,
                                dg_error *err);

#endif
