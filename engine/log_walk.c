/*
 * log_walk.c — the check of the whole access log (log_internal.h: dg_log_walk): every entry read in
 * order, its row judged for the canonical form (a row dangan would not have written is a finding
 * even when its bytes hash right: they may be another row's), its chain link and hash checked,
 * its leaf pushed into the recomputed Merkle tree, and every subtree compared with the stored one.
 *
 * Two ways, one result. The walk by chunks (the second half of this file) is what runs: two
 * threads on two connections each take whole chunks of the log and do all of a chunk's work, and
 * the calling thread joins the chunks in order. It only ever confirms an intact log. At the first
 * sign of anything else (or when no second connection sees the same log) the sequential walk
 * reads the log again and names the first finding, as it always has: a pipeline on two threads,
 * the calling thread stepping SQLite and turning each row into its bytes (once: the chain hash and
 * the leaf hash both hash these bytes), in batches; a hashing thread checking the chain and
 * building the tree from each batch and listing the subtrees it completes; the calling thread
 * comparing those with the stored tree when the batch comes back to be refilled (the catalog
 * handle stays on the thread that owns it). Its findings are those of a walk on one thread, in
 * the same order: the first entry that breaks the chain, and otherwise the first stored subtree
 * that differs. If the hashing thread cannot be started, the calling thread hashes each batch
 * itself.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/hash.h"
#include "archive_internal.h"
#include "catalog.h"
#include "log_internal.h"

enum { WALK_BATCH = 4096, WALK_BATCHES = 3 };

/* One entry of a batch: where its bytes are, and the links stored with it. */
typedef struct walk_entry {
    int64_t id;
    size_t off, len;         /* its bytes in the batch's buffer */
    char prev[65], hash[65]; /* stored prev_hash and hash, at most 64 characters kept */
    int prev_ok, hash_ok;    /* the stored text was not NULL and not longer than 64 */
    dg_log_form form;        /* whether the row is in the log's canonical form, and why not */
} walk_entry;

/* A subtree the hashing thread completed, for the calling thread to compare. */
typedef struct walk_node {
    int level;
    uint64_t index;
    dg_merkle_hash hash;
} walk_node;

typedef struct walk_batch {
    int state; /* FREE, FILLED (to hash), HASHED (nodes to compare) */
    size_t count;
    walk_entry entries[WALK_BATCH];
    dg_buf bytes;
    walk_node nodes[2 * WALK_BATCH + 64]; /* a push completes at most 64 subtrees */
    size_t node_count;
} walk_batch;

enum { FREE, FILLED, HASHED };

/* What the hashing thread owns: the chain and the tree so far, and its findings. */
typedef struct walk_hash {
    char prev[65];
    int64_t expected;
    dg_merkle_builder tree;
    uint64_t snapshot_size;
    dg_merkle_hash snapshot_root;
    uint64_t entries;
    int64_t first_broken;
    char reason[256];
} walk_hash;

typedef struct walk {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    walk_batch *batches;
    int ended; /* the reader will fill no more batches */
    walk_hash h;
} walk;

/* Stores up to 64 characters of a stored link; ok when it was there and not longer. */
static void keep_link(sqlite3_stmt *row, int col, char out[65], int *ok)
{
    const char *text = (const char *)sqlite3_column_text(row, col);
    size_t len = text ? (size_t)sqlite3_column_bytes(row, col) : 0;
    *ok = text && len <= 64 && strlen(text) == len;
    size_t keep = len < 64 ? len : 64;
    if (text)
        memcpy(out, text, keep);
    out[text ? keep : 0] = '\0';
}

/* ---- the hashing thread's work ----------------------------------------------------------- */

static dg_status collect_node(void *ctx, int level, uint64_t index, const dg_merkle_hash *hash,
                              dg_error *err)
{
    (void)err;
    walk_batch *b = ctx;
    b->nodes[b->node_count++] = (walk_node){.level = level, .index = index, .hash = *hash};
    return DG_OK;
}

/* Checks one entry's links and hash against the chain so far; writes why not into reason. */
static int entry_is_sound(walk_hash *h, const walk_entry *e, const unsigned char *bytes)
{
    if (e->id != h->expected) {
        snprintf(h->reason, sizeof h->reason, "entry %lld is missing (next entry is %lld)",
                 (long long)h->expected, (long long)e->id);
        return 0;
    }
    if (!e->prev_ok || strcmp(e->prev, h->prev) != 0) {
        snprintf(h->reason, sizeof h->reason,
                 "entry %lld does not link to its predecessor (deleted or "
                 "reordered entries)",
                 (long long)e->id);
        return 0;
    }
    /* A row dangan would not have written: its bytes may be another row's (a field's content
     * moved into its neighbour, a version off by 2^32), so its hash proves nothing of it. */
    if (!e->form.sound) {
        snprintf(h->reason, sizeof h->reason, "entry %lld is not as dangan writes it: %s",
                 (long long)e->id, e->form.why);
        return 0;
    }
    /* The chain hash: SHA-256(previous hash || 0x1F || bytes) (log.c). */
    dg_sha256_ctx c;
    dg_sha256_init(&c);
    dg_sha256_update(&c, h->prev, strlen(h->prev));
    dg_sha256_update(&c, "\x1f", 1);
    dg_sha256_update(&c, bytes, e->len);
    unsigned char digest[DG_SHA256_BYTES];
    dg_sha256_final(&c, digest);
    char computed[DG_SHA256_HEX];
    dg_sha256_to_hex(digest, computed);
    if (!e->hash_ok || strcmp(e->hash, computed) != 0) {
        snprintf(h->reason, sizeof h->reason, "entry %lld was altered (its hash does not match)",
                 (long long)e->id);
        return 0;
    }
    return 1;
}

static void hash_batch(walk_hash *h, walk_batch *b)
{
    b->node_count = 0;
    for (size_t i = 0; i < b->count; i++) {
        const walk_entry *e = &b->entries[i];
        const unsigned char *bytes = (const unsigned char *)b->bytes.data + e->off;
        h->entries++;
        if (!h->first_broken && !entry_is_sound(h, e, bytes))
            h->first_broken = h->expected;
        memcpy(h->prev, e->hash, sizeof h->prev);
        h->expected = e->id + 1;
        dg_merkle_hash leaf = dg_merkle_leaf(bytes, e->len);
        dg_error unused;
        dg_merkle_builder_push(&h->tree, &leaf, collect_node, b, &unused); /* cannot fail */
        if (h->tree.size == h->snapshot_size)
            h->snapshot_root = dg_merkle_builder_root(&h->tree);
    }
}

static void *hasher_main(void *arg)
{
    walk *w = arg;
    for (size_t next = 0;; next++) {
        walk_batch *b = &w->batches[next % WALK_BATCHES];
        pthread_mutex_lock(&w->lock);
        while (b->state != FILLED && !w->ended)
            pthread_cond_wait(&w->changed, &w->lock);
        int have = b->state == FILLED;
        pthread_mutex_unlock(&w->lock);
        if (!have)
            return NULL; /* ended, and every filled batch was hashed */
        hash_batch(&w->h, b);
        pthread_mutex_lock(&w->lock);
        b->state = HASHED;
        pthread_cond_broadcast(&w->changed);
        pthread_mutex_unlock(&w->lock);
    }
}

/* ---- the calling thread: rows in, stored subtrees compared ------------------------------- */

/*
 * Compares each recomputed subtree with the stored one. The walk closes the subtrees of each level
 * in index order, so one cursor per level reads the stored tree sequentially: checking every stored
 * hash costs a scan, not a lookup per node.
 */
typedef struct tree_compare {
    sqlite3 *db;
    sqlite3_stmt *level[64];
    int exhausted[64]; /* the stored tree ends here (it lags the entries: not a
                        finding) */
    int differs;
    char reason[256];
} tree_compare;

static dg_status compare_node(tree_compare *c, const walk_node *n, dg_error *err)
{
    if (c->exhausted[n->level] || c->differs)
        return DG_OK;
    if (!c->level[n->level]) {
        dg_status st =
            dg_catalog_prepare(c->db, "SELECT idx, hash FROM log_tree WHERE level = ? ORDER BY idx",
                               &c->level[n->level], err);
        if (st != DG_OK)
            return st;
        sqlite3_bind_int(c->level[n->level], 1, n->level);
    }
    sqlite3_stmt *row = c->level[n->level];
    int rc = sqlite3_step(row);
    if (rc == SQLITE_DONE) {
        c->exhausted[n->level] = 1;
        return DG_OK;
    }
    if (rc != SQLITE_ROW)
        return dg_catalog_error(c->db, err, "read log tree");
    if ((uint64_t)sqlite3_column_int64(row, 0) != n->index ||
        sqlite3_column_bytes(row, 1) != DG_MERKLE_HASH ||
        memcmp(sqlite3_column_blob(row, 1), n->hash.b, DG_MERKLE_HASH) != 0) {
        c->differs = 1;
        snprintf(c->reason, sizeof c->reason,
                 "the stored tree does not match the entries (subtree %d/%llu: entries "
                 "%llu to %llu, or the tree, altered)",
                 n->level, (unsigned long long)n->index,
                 (unsigned long long)(n->index << n->level) + 1,
                 (unsigned long long)((n->index + 1) << n->level));
    }
    return DG_OK;
}

static dg_status compare_batch(tree_compare *c, walk_batch *b, dg_error *err)
{
    dg_status st = DG_OK;
    for (size_t i = 0; i < b->node_count && st == DG_OK; i++)
        st = compare_node(c, &b->nodes[i], err);
    b->node_count = 0;
    return st;
}

/* Reads up to WALK_BATCH rows into b; *more is 0 once the statement is done. */
static dg_status fill_batch(sqlite3 *db, sqlite3_stmt *stmt, walk_batch *b, int *more,
                            dg_error *err)
{
    b->count = 0;
    b->bytes.len = 0;
    int rc = SQLITE_ROW;
    while (b->count < WALK_BATCH && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        walk_entry *e = &b->entries[b->count++];
        e->off = b->bytes.len;
        /* judged first: the links' reads below would convert a column of another type */
        if (!dg_log_row_bytes_judged(stmt, &b->bytes, &e->form))
            return dg_error_set(err, DG_ERR_NOMEM, "access log: out of memory");
        e->len = b->bytes.len - e->off;
        e->id = sqlite3_column_int64(stmt, 0);
        keep_link(stmt, 11, e->prev, &e->prev_ok);
        keep_link(stmt, 12, e->hash, &e->hash_ok);
    }
    *more = rc == SQLITE_ROW;
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return dg_catalog_error(db, err, "read log");
    return DG_OK;
}

/* Waits until batch b may be refilled (hashed, or never filled) and compares its nodes. */
static dg_status reclaim(walk *w, int threaded, tree_compare *c, walk_batch *b, dg_error *err)
{
    if (threaded) {
        pthread_mutex_lock(&w->lock);
        while (b->state == FILLED)
            pthread_cond_wait(&w->changed, &w->lock);
        pthread_mutex_unlock(&w->lock);
    }
    dg_status st = b->state == HASHED ? compare_batch(c, b, err) : DG_OK;
    b->state = FREE;
    return st;
}

/* Hands a filled batch to the hashing thread, or hashes it here. */
static void hand_over(walk *w, int threaded, walk_batch *b)
{
    if (!threaded) {
        hash_batch(&w->h, b);
        b->state = HASHED;
        return;
    }
    pthread_mutex_lock(&w->lock);
    b->state = FILLED;
    pthread_cond_broadcast(&w->changed);
    pthread_mutex_unlock(&w->lock);
}

/* Reads every row; *next is the number of batches filled (the ring's next slot). */
static dg_status read_all(walk *w, int threaded, sqlite3 *db, sqlite3_stmt *stmt, tree_compare *c,
                          size_t *filled, dg_error *err)
{
    dg_status st = DG_OK;
    int more = 1;
    size_t next = 0;
    for (; more && st == DG_OK; next++) {
        walk_batch *b = &w->batches[next % WALK_BATCHES];
        st = reclaim(w, threaded, c, b, err);
        if (st == DG_OK)
            st = fill_batch(db, stmt, b, &more, err);
        if (st == DG_OK && b->count)
            hand_over(w, threaded, b);
    }
    *filled = next;
    pthread_mutex_lock(&w->lock);
    w->ended = 1;
    pthread_cond_broadcast(&w->changed);
    pthread_mutex_unlock(&w->lock);
    return st;
}

/* Starts a thread of the walk with every signal blocked (a server reads SIGTERM from a
 * signalfd: it must not be delivered here). 0 when it could not be started. */
static int start_blocked(pthread_t *thread, void *(*main_fn)(void *), void *arg)
{
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int started = pthread_create(thread, NULL, main_fn, arg) == 0;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return started;
}

static int start_hasher(walk *w, pthread_t *thread)
{
    return start_blocked(thread, hasher_main, w);
}

static void walk_free(walk *w)
{
    if (w->batches)
        for (int i = 0; i < WALK_BATCHES; i++)
            free(w->batches[i].bytes.data);
    free(w->batches);
    pthread_cond_destroy(&w->changed);
    pthread_mutex_destroy(&w->lock);
}

/* The findings as a walk on one thread reports them: a broken chain first. */
static void report(const walk *w, const tree_compare *c, dg_log_check *out)
{
    out->entries = w->h.entries;
    out->first_broken = w->h.first_broken;
    out->tree_differs = c->differs;
    if (w->h.first_broken)
        memcpy(out->reason, w->h.reason, sizeof out->reason);
    else if (c->differs)
        memcpy(out->reason, c->reason, sizeof out->reason);
    memcpy(out->head, w->h.prev, sizeof out->head);
    out->root = dg_merkle_builder_root(&w->h.tree);
    out->snapshot_root = w->h.snapshot_root;
}

/* A private read-only connection to the log's file at path, memory-mapped, with its read
 * transaction begun when begin is set (dg_log_reader_open). */
static dg_status open_reader(const char *path, int begin, sqlite3 **out, dg_error *err)
{
    *out = NULL;
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        dg_status st = dg_error_set(err, DG_ERR_DB, "access log: cannot open the log's file: %s",
                                    db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return st;
    }
    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, 60000); /* as the archive's own handles wait (catalog.c) */
    /* Mapped up to 64 GiB (SQLite caps it at its compile-time limit, 2 GB in Debian's build):
     * pages are read where they lie instead of copied into the page cache one by one. */
    dg_status st =
        dg_catalog_exec(db, "PRAGMA trusted_schema=OFF; PRAGMA mmap_size=68719476736", err);
    if (st == DG_OK && begin)
        st = dg_catalog_begin_read(db, err);
    if (st != DG_OK) {
        sqlite3_close(db);
        return st;
    }
    *out = db;
    return DG_OK;
}

dg_status dg_log_reader_open(dg_archive *archive, sqlite3 **out, dg_error *err)
{
    /* The log's own file (catalog.h): the walk reads nothing else. */
    const char *path = sqlite3_db_filename(archive->db, "log");
    return open_reader(path ? path : "", 1, out, err);
}

void dg_log_reader_close(sqlite3 *db)
{
    if (!db)
        return;
    dg_catalog_rollback(db);
    sqlite3_close(db);
}

dg_status dg_log_walk_sequential(sqlite3 *db, uint64_t snapshot_size, dg_log_check *out,
                                 dg_error *err)
{
    memset(out, 0, sizeof *out);
    walk w = {.batches = calloc(WALK_BATCHES, sizeof(walk_batch))};
    if (pthread_mutex_init(&w.lock, NULL) != 0 || pthread_cond_init(&w.changed, NULL) != 0 ||
        !w.batches) {
        walk_free(&w);
        return dg_error_set(err, DG_ERR_NOMEM, "access log: cannot start the check");
    }
    memcpy(w.h.prev, DG_LOG_GENESIS, 65);
    w.h.expected = 1;
    w.h.snapshot_size = snapshot_size;
    dg_merkle_builder_init(&w.h.tree);
    w.h.snapshot_root = dg_merkle_builder_root(&w.h.tree); /* the root of size 0 */
    sqlite3_stmt *stmt;
    dg_status st =
        dg_catalog_prepare(db, "SELECT " DG_LOG_COLUMNS " FROM access_log ORDER BY id", &stmt, err);
    tree_compare compare = {.db = db};
    if (st == DG_OK) {
        pthread_t hasher;
        int threaded = start_hasher(&w, &hasher);
        size_t filled = 0;
        st = read_all(&w, threaded, db, stmt, &compare, &filled, err);
        if (threaded)
            pthread_join(hasher, NULL);
        /* The last batches come back hashed: their subtrees are compared too, oldest first (the
         * cursors read each level in order). */
        for (size_t i = 0; i < WALK_BATCHES && st == DG_OK; i++)
            st = reclaim(&w, 0, &compare, &w.batches[(filled + i) % WALK_BATCHES], err);
        sqlite3_finalize(stmt);
    }
    for (int i = 0; i < 64; i++)
        sqlite3_finalize(compare.level[i]);
    if (st == DG_OK)
        report(&w, &compare, out);
    walk_free(&w);
    return st;
}

/* ---- the walk by chunks, on two connections ---------------------------------------------- */

/*
 * The log is cut into chunks of 2^level entries (entry ids 1.. in order; leaf index = id - 1).
 * Two threads, each with its own connection, take the chunks in turn and do all of a chunk's
 * work: read its rows, check each entry's hash and its link to the entry before it in the
 * chunk, hash its leaves into the chunk's subtree, and compare every subtree of the chunk (levels
 * 0 to level) with the stored one by a range read of each level. The calling thread then joins
 * the chunks in order: the link across each seam, the chunk's root pushed into the whole tree,
 * and the few subtrees above the chunks compared with the stored ones. One thread reading rows
 * was the bound before (issue 17: SQLite's row decoding, then a cursor step per stored subtree);
 * now both cores share it.
 *
 * This way only ever confirms an intact log: the first sign of anything else (a broken link or
 * hash, a missing id, a stored subtree that differs or is missing before one that is there) ends
 * it, and the sequential walk above reads the log again to name the first finding exactly as it
 * always has. The second connection cannot open the caller's snapshot (Debian's SQLite is built
 * without SQLITE_ENABLE_SNAPSHOT), so it begins its own read at once and goes on only if it sees
 * the same log: same first and last entry, same last hash, same stored tree size. The log and the
 * tree are append-only, so that is the same log.
 */

enum { CHUNK_LEVEL_MAX = 12, CHUNK_SLOTS = 8 };
#define NONE UINT64_MAX

typedef struct chunk {
    int done;   /* read by a worker, waiting to be joined */
    int ok;     /* every check inside the chunk passed */
    size_t count;
    char first_prev[65], last_hash[65];
    dg_merkle_hash root;      /* of the chunk, when it is whole */
    dg_merkle_hash *leaves;   /* count of them */
    uint64_t missing[CHUNK_LEVEL_MAX + 1]; /* first subtree of a level the stored tree lacks */
    int present[CHUNK_LEVEL_MAX + 1];      /* the stored tree has one of this level here */
} chunk;

/* One connection's reading of chunks, and its statements. */
typedef struct chunk_reader {
    sqlite3 *db;
    sqlite3_stmt *rows, *tree, *tree_hashes;
    dg_buf bytes;
    int level;
    dg_merkle_hash *nodes; /* the chunk's subtrees, level L from node_offset(L) */
    size_t node_count[CHUNK_LEVEL_MAX + 1];
} chunk_reader;

typedef struct chunk_walk {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    int level;
    int64_t last;            /* the last entry id (entries are 1..last) */
    uint64_t chunks, next, joined;
    int stop;                /* the join found something: take no more chunks */
    chunk slots[CHUNK_SLOTS];
    /* the joining thread's */
    int clean;
    char prev[65];
    dg_merkle_builder tree;
    tree_compare high; /* the subtrees above the chunks, on the caller's connection */
    uint64_t snapshot_size;
    dg_merkle_hash snapshot_root;
    uint64_t missing[CHUNK_LEVEL_MAX + 1];
} chunk_walk;

static size_t node_offset(int chunk_level, int level)
{
    size_t c = (size_t)1 << chunk_level;
    return 2 * c - 2 * (c >> level);
}

static dg_status keep_chunk_node(void *ctx, int level, uint64_t index, const dg_merkle_hash *hash,
                                 dg_error *err)
{
    (void)err;
    chunk_reader *r = ctx;
    r->nodes[node_offset(r->level, level) + index] = *hash;
    r->node_count[level] = (size_t)index + 1;
    return DG_OK;
}

static dg_status reader_prepare(chunk_reader *r, dg_error *err)
{
    dg_status st = dg_catalog_prepare(r->db,
                                      "SELECT " DG_LOG_COLUMNS " FROM access_log "
                                      "WHERE id BETWEEN ?1 AND ?2 ORDER BY id",
                                      &r->rows, err);
    if (st == DG_OK)
        st = dg_catalog_prepare(r->db,
                                "SELECT idx, hash FROM log_tree WHERE level = ?1 AND idx "
                                "BETWEEN ?2 AND ?3 ORDER BY idx",
                                &r->tree, err);
    if (st == DG_OK)
        st = dg_catalog_prepare(r->db,
                                "SELECT hash FROM log_tree WHERE level = ?1 AND idx "
                                "BETWEEN ?2 AND ?3 ORDER BY idx",
                                &r->tree_hashes, err);
    return st;
}

static void reader_free(chunk_reader *r)
{
    sqlite3_finalize(r->rows);
    sqlite3_finalize(r->tree);
    sqlite3_finalize(r->tree_hashes);
    free(r->bytes.data);
    free(r->nodes);
}

/* A stored link of a chunk's row, as it lies in the row: an intact log's are 64 hex characters
 * (the genesis and every SHA-256 in hex), so anything else is left to the sequential walk.
 * Read through the column's value, as row_bytes reads the others (log.c): each
 * sqlite3_column_* call steps through the statement's error and allocation checks again, and
 * the walk reads two links and two stored subtrees an entry. The value is only read here, by
 * the thread that steps the statement, before its next step. */
static const char *chunk_link(sqlite3_stmt *row, int col)
{
    sqlite3_value *v = sqlite3_column_value(row, col);
    const char *text = (const char *)sqlite3_value_text(v);
    return text && sqlite3_value_bytes(v) == 64 ? text : NULL;
}

/* Whether column col of a stored-tree row is the hash h (its blob first, then its length,
 * as SQLite asks: the length of a converted value is the converted one's). */
static int stored_hash_is(sqlite3_stmt *q, int col, const dg_merkle_hash *h)
{
    sqlite3_value *v = sqlite3_column_value(q, col);
    const void *blob = sqlite3_value_blob(v);
    return sqlite3_value_bytes(v) == DG_MERKLE_HASH && memcmp(blob, h->b, DG_MERKLE_HASH) == 0;
}

/* Whether hex (64 characters) is digest in lower-case hex, as the chain stores it. */
static int hex_is(const char *hex, const unsigned char digest[DG_SHA256_BYTES])
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < DG_SHA256_BYTES; i++)
        if (hex[2 * i] != digits[digest[i] >> 4] || hex[2 * i + 1] != digits[digest[i] & 15])
            return 0;
    return 1;
}

/* Checks one entry of a chunk (the current row) against the one before it; 0 when it fails. */
static int chunk_entry(chunk_reader *r, chunk *c, int64_t id)
{
    sqlite3_stmt *row = r->rows;
    /* The row's bytes and form first: reading the links would convert a column of another
     * type. */
    r->bytes.len = 0;
    dg_log_form form;
    if (!dg_log_row_bytes_judged(row, &r->bytes, &form) || !form.sound)
        return 0; /* the sequential walk names it */
    const char *prev = chunk_link(row, 11), *hash = chunk_link(row, 12);
    if (sqlite3_column_int64(row, 0) != id || !prev || !hash)
        return 0;
    if (c->count == 0) {
        memcpy(c->first_prev, prev, 64);
        c->first_prev[64] = '\0';
    } else if (memcmp(prev, c->last_hash, 64) != 0) {
        return 0;
    }
    /* The chain hash: SHA-256(previous hash || 0x1F || bytes) (log.c). */
    dg_sha256_ctx s;
    dg_sha256_init(&s);
    dg_sha256_update(&s, prev, 64);
    dg_sha256_update(&s, "\x1f", 1);
    dg_sha256_update(&s, r->bytes.data, r->bytes.len);
    unsigned char digest[DG_SHA256_BYTES];
    dg_sha256_final(&s, digest);
    if (!hex_is(hash, digest))
        return 0;
    c->leaves[c->count++] = dg_merkle_leaf(r->bytes.data, r->bytes.len);
    memcpy(c->last_hash, hash, 64);
    c->last_hash[64] = '\0';
    return 1;
}

/* Binds a stored-tree query to one level's n subtrees from index first on. */
static void bind_level_range(sqlite3_stmt *q, int level, uint64_t first, size_t n)
{
    sqlite3_reset(q);
    sqlite3_bind_int(q, 1, level);
    sqlite3_bind_int64(q, 2, (sqlite3_int64)first);
    sqlite3_bind_int64(q, 3, (sqlite3_int64)(first + n - 1));
}

/* Compares the chunk's subtrees of one level with the stored ones, reading each stored one's index
 * too; 0 when they differ, or one is missing before one that is there. */
static int chunk_level_matches_by_index(chunk_reader *r, chunk *c, int level, uint64_t first,
                                        int *failed)
{
    size_t n = r->node_count[level];
    const dg_merkle_hash *nodes = r->nodes + node_offset(r->level, level);
    sqlite3_stmt *q = r->tree;
    bind_level_range(q, level, first, n);
    size_t want = 0;
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        if ((uint64_t)sqlite3_column_int64(q, 0) != first + want ||
            !stored_hash_is(q, 1, &nodes[want]))
            return 0;
        c->present[level] = 1;
        want++;
    }
    if (rc != SQLITE_DONE)
        *failed = 1;
    if (want < n)
        c->missing[level] = first + want;
    return rc == SQLITE_DONE;
}

/*
 * Compares the chunk's subtrees of one level with the stored ones; 0 when they differ, or one is
 * missing before one that is there. The stored ones are read by their hashes alone, each level of
 * the stored tree holding at most one subtree an index: when the range holds as many as the chunk
 * made, the k-th is the one at first + k. Only a level the stored tree lacks some of (the tree
 * lags the entries, or worse) is read again with the indexes, to tell which are missing. The
 * stored tree is two rows an entry, read by every verify (issue 17).
 */
static int chunk_level_matches(chunk_reader *r, chunk *c, int level, uint64_t first,
                               int *failed)
{
    size_t n = r->node_count[level];
    c->missing[level] = NONE;
    c->present[level] = 0;
    if (n == 0)
        return 1;
    const dg_merkle_hash *nodes = r->nodes + node_offset(r->level, level);
    sqlite3_stmt *q = r->tree_hashes;
    bind_level_range(q, level, first, n);
    size_t seen = 0;
    int rc = SQLITE_DONE, same = 1;
    while (same && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        same = seen < n && stored_hash_is(q, 0, &nodes[seen]);
        seen++;
    }
    sqlite3_reset(q);
    if (same && rc != SQLITE_DONE) {
        *failed = 1;
        return 0;
    }
    if (same && seen == n) {
        c->present[level] = 1;
        return 1;
    }
    return chunk_level_matches_by_index(r, c, level, first, failed);
}

/* Reads and checks chunk k into c (c->ok says whether all was well). */
static void read_chunk(chunk_reader *r, const chunk_walk *w, uint64_t k, chunk *c)
{
    c->ok = 0;
    c->count = 0;
    uint64_t start = k << w->level; /* its first leaf */
    int64_t lo = (int64_t)start + 1;
    int64_t hi = lo + ((int64_t)1 << w->level) - 1;
    if (hi > w->last)
        hi = w->last;
    dg_merkle_builder tree;
    dg_merkle_builder_init(&tree);
    memset(r->node_count, 0, sizeof r->node_count);
    sqlite3_reset(r->rows);
    sqlite3_bind_int64(r->rows, 1, lo);
    sqlite3_bind_int64(r->rows, 2, hi);
    int rc;
    while ((rc = sqlite3_step(r->rows)) == SQLITE_ROW) {
        if (!chunk_entry(r, c, lo + (int64_t)c->count))
            return;
        dg_error unused;
        dg_merkle_builder_push(&tree, &c->leaves[c->count - 1], keep_chunk_node, r,
                               &unused); /* cannot fail */
    }
    sqlite3_reset(r->rows);
    if (rc != SQLITE_DONE || (int64_t)c->count != hi - lo + 1)
        return;
    if (c->count == (size_t)1 << w->level)
        c->root = dg_merkle_builder_root(&tree);
    int failed = 0;
    for (int level = 0; level <= w->level; level++)
        if (!chunk_level_matches(r, c, level, start >> level, &failed) || failed)
            return;
    sqlite3_reset(r->tree);
    c->ok = 1;
}

/* Takes the next chunk to read, or returns 0 when there is none (or the walk stopped). With
 * wait, it waits while the ring of slots is full; without, it returns 0 then. */
static int take_chunk(chunk_walk *w, int wait, uint64_t *k)
{
    pthread_mutex_lock(&w->lock);
    while (wait && !w->stop && w->next < w->chunks && w->next >= w->joined + CHUNK_SLOTS)
        pthread_cond_wait(&w->changed, &w->lock);
    int took = !w->stop && w->next < w->chunks && w->next < w->joined + CHUNK_SLOTS;
    if (took)
        *k = w->next++;
    pthread_mutex_unlock(&w->lock);
    return took;
}

static void chunk_read_done(chunk_walk *w, chunk *c)
{
    pthread_mutex_lock(&w->lock);
    c->done = 1;
    pthread_cond_broadcast(&w->changed);
    pthread_mutex_unlock(&w->lock);
}

typedef struct chunk_worker {
    chunk_walk *w;
    chunk_reader r;
} chunk_worker;

static void *chunk_worker_main(void *arg)
{
    chunk_worker *cw = arg;
    uint64_t k;
    while (take_chunk(cw->w, 1, &k)) {
        chunk *c = &cw->w->slots[k % CHUNK_SLOTS];
        read_chunk(&cw->r, cw->w, k, c);
        chunk_read_done(cw->w, c);
    }
    return NULL;
}

/* The whole tree's subtrees above the chunks are compared as the sequential walk compares them. */
static dg_status compare_above(void *ctx, int level, uint64_t index, const dg_merkle_hash *hash,
                               dg_error *err)
{
    chunk_walk *w = ctx;
    if (level <= w->level)
        return DG_OK; /* the chunk's reader compared it */
    walk_node n = {.level = level, .index = index, .hash = *hash};
    dg_status st = compare_node(&w->high, &n, err);
    if (w->high.differs)
        w->clean = 0;
    return st;
}

/* Joins chunk k (read, in c) to the ones before it. */
static dg_status join_chunk(chunk_walk *w, uint64_t k, chunk *c, dg_error *err)
{
    if (!c->ok || strcmp(c->first_prev, w->prev) != 0) {
        w->clean = 0;
        return DG_OK;
    }
    for (int level = 0; level <= w->level; level++) {
        if (w->missing[level] != NONE && c->present[level])
            w->clean = 0; /* a stored subtree after a missing one */
        if (w->missing[level] == NONE)
            w->missing[level] = c->missing[level];
    }
    if (!w->clean)
        return DG_OK;
    uint64_t start = k << w->level, end = start + c->count;
    dg_status st = DG_OK;
    if (c->count == (size_t)1 << w->level &&
        !(w->snapshot_size > start && w->snapshot_size < end))
        st = dg_merkle_builder_push_subtree(&w->tree, w->level, &c->root, compare_above, w, err);
    else
        for (size_t i = 0; i < c->count && st == DG_OK; i++) {
            st = dg_merkle_builder_push(&w->tree, &c->leaves[i], compare_above, w, err);
            if (w->tree.size == w->snapshot_size)
                w->snapshot_root = dg_merkle_builder_root(&w->tree);
        }
    if (w->tree.size == w->snapshot_size)
        w->snapshot_root = dg_merkle_builder_root(&w->tree);
    memcpy(w->prev, c->last_hash, sizeof w->prev);
    return st;
}

/* Joins every chunk read so far, in order; with wait, waits for the next one first. */
static dg_status join_ready(chunk_walk *w, int wait, dg_error *err)
{
    dg_status st = DG_OK;
    pthread_mutex_lock(&w->lock);
    while (wait && w->joined < w->chunks && !w->slots[w->joined % CHUNK_SLOTS].done)
        pthread_cond_wait(&w->changed, &w->lock);
    while (st == DG_OK && w->clean && w->joined < w->chunks &&
           w->slots[w->joined % CHUNK_SLOTS].done) {
        chunk *c = &w->slots[w->joined % CHUNK_SLOTS];
        pthread_mutex_unlock(&w->lock); /* the slot is the joiner's until it is freed */
        st = join_chunk(w, w->joined, c, err);
        pthread_mutex_lock(&w->lock);
        c->done = 0;
        w->joined++;
    }
    if (st != DG_OK || !w->clean)
        w->stop = 1;
    pthread_cond_broadcast(&w->changed);
    pthread_mutex_unlock(&w->lock);
    return st;
}

/* The log as one connection sees it, to tell whether another sees the same. */
typedef struct log_mark {
    int64_t first, last, tree_size;
    char last_hash[65];
} log_mark;

static dg_status read_mark(sqlite3 *db, log_mark *m, dg_error *err)
{
    sqlite3_stmt *q;
    dg_status st = dg_catalog_prepare(
        db,
        "SELECT (SELECT MIN(id) FROM access_log), (SELECT MAX(id) FROM access_log), "
        "(SELECT hash FROM access_log ORDER BY id DESC LIMIT 1), "
        "(SELECT COALESCE(MAX(idx) + 1, 0) FROM log_tree WHERE level = 0)",
        &q, err);
    if (st != DG_OK)
        return st;
    memset(m, 0, sizeof *m);
    if (sqlite3_step(q) == SQLITE_ROW) {
        m->first = sqlite3_column_int64(q, 0);
        m->last = sqlite3_column_int64(q, 1);
        const unsigned char *h = sqlite3_column_text(q, 2);
        snprintf(m->last_hash, sizeof m->last_hash, "%s", h ? (const char *)h : "");
        m->tree_size = sqlite3_column_int64(q, 3);
    } else {
        st = dg_catalog_error(db, err, "read log");
    }
    sqlite3_finalize(q);
    return st;
}

/* Whether no stored subtree lies at or after the first missing one of each chunk level (the
 * sequential walk's cursor would meet it where the missing one should be). */
static dg_status nothing_after_missing(chunk_walk *w, sqlite3 *db, dg_error *err)
{
    sqlite3_stmt *q;
    dg_status st = dg_catalog_prepare(
        db, "SELECT 1 FROM log_tree WHERE level = ?1 AND idx >= ?2 LIMIT 1", &q, err);
    for (int level = 0; level <= w->level && st == DG_OK && w->clean; level++) {
        if (w->missing[level] == NONE)
            continue;
        sqlite3_reset(q);
        sqlite3_bind_int(q, 1, level);
        sqlite3_bind_int64(q, 2, (sqlite3_int64)w->missing[level]);
        int rc = sqlite3_step(q);
        if (rc == SQLITE_ROW)
            w->clean = 0;
        else if (rc != SQLITE_DONE)
            st = dg_catalog_error(db, err, "read log tree");
    }
    if (st == DG_OK)
        sqlite3_finalize(q);
    return st;
}

/* The calling thread reads chunks too, and joins between them. */
static dg_status walk_chunks(chunk_walk *w, chunk_reader *mine, dg_error *err)
{
    dg_status st = DG_OK;
    while (st == DG_OK && w->clean) {
        uint64_t k;
        if (take_chunk(w, 0, &k)) {
            chunk *c = &w->slots[k % CHUNK_SLOTS];
            read_chunk(mine, w, k, c);
            chunk_read_done(w, c);
            st = join_ready(w, 0, err);
        } else if (w->joined < w->chunks) {
            st = join_ready(w, 1, err);
        } else {
            break;
        }
    }
    pthread_mutex_lock(&w->lock);
    w->stop = 1;
    pthread_cond_broadcast(&w->changed);
    pthread_mutex_unlock(&w->lock);
    return st;
}

static int start_worker(chunk_worker *cw, pthread_t *thread)
{
    return start_blocked(thread, chunk_worker_main, cw);
}

static void chunk_walk_free(chunk_walk *w)
{
    for (int i = 0; i < CHUNK_SLOTS; i++)
        free(w->slots[i].leaves);
    for (int i = 0; i < 64; i++)
        sqlite3_finalize(w->high.level[i]);
    pthread_cond_destroy(&w->changed);
    pthread_mutex_destroy(&w->lock);
}

/* Chunks of 2^12 entries, or smaller so that a short log still has some 16 of them. */
static int chunk_level_for(int64_t entries)
{
    int level = 0;
    while (level < CHUNK_LEVEL_MAX && ((int64_t)16 << level) < entries)
        level++;
    return level;
}

/*
 * Opens the second connection and its statements, and only then takes both snapshots, one right
 * after the other (the caller's is taken by its first read, if it was not before). 0 in *same when
 * the two do not see one log, or the second cannot be opened: then the sequential walk runs.
 */
static void open_peer(sqlite3 *db, chunk_reader *peer, log_mark *mine, int *same, dg_error *err)
{
    *same = 0;
    dg_error ignored;
    const char *path = sqlite3_db_filename(db, "main");
    if (!path || !*path || open_reader(path, 0, &peer->db, &ignored) != DG_OK ||
        reader_prepare(peer, &ignored) != DG_OK ||
        dg_catalog_begin_read(peer->db, &ignored) != DG_OK)
        return;
    log_mark theirs;
    if (read_mark(db, mine, err) != DG_OK || read_mark(peer->db, &theirs, &ignored) != DG_OK)
        return;
    *same = theirs.first == mine->first && theirs.last == mine->last &&
            theirs.tree_size == mine->tree_size && strcmp(theirs.last_hash, mine->last_hash) == 0;
}

static dg_status chunk_walk_start(chunk_walk *w, const log_mark *mark, int chunk_level,
                                  uint64_t snapshot_size, chunk_reader *mine, chunk_reader *peer,
                                  dg_error *err)
{
    w->level = chunk_level;
    w->last = mark->last;
    w->chunks = ((uint64_t)mark->last + ((uint64_t)1 << chunk_level) - 1) >> chunk_level;
    w->clean = 1;
    w->snapshot_size = snapshot_size;
    memcpy(w->prev, DG_LOG_GENESIS, 65);
    dg_merkle_builder_init(&w->tree);
    w->snapshot_root = dg_merkle_builder_root(&w->tree);
    for (int i = 0; i <= CHUNK_LEVEL_MAX; i++)
        w->missing[i] = NONE;
    size_t c = (size_t)1 << chunk_level;
    mine->level = peer->level = chunk_level;
    for (int i = 0; i < CHUNK_SLOTS; i++)
        if (!(w->slots[i].leaves = malloc(c * sizeof(dg_merkle_hash))))
            return dg_error_set(err, DG_ERR_NOMEM, "access log: out of memory");
    if (!(mine->nodes = malloc(2 * c * sizeof(dg_merkle_hash))) ||
        !(peer->nodes = malloc(2 * c * sizeof(dg_merkle_hash))))
        return dg_error_set(err, DG_ERR_NOMEM, "access log: out of memory");
    return DG_OK;
}

dg_status dg_log_walk_chunks(sqlite3 *db, uint64_t snapshot_size, int chunk_level,
                             dg_log_check *out, int *clean, dg_error *err)
{
    memset(out, 0, sizeof *out);
    *clean = 0;
    if (chunk_level > CHUNK_LEVEL_MAX)
        return dg_error_set(err, DG_ERR_INTERNAL, "access log: no chunks of level %d",
                            chunk_level);
    chunk_walk w = {.high = {.db = db}};
    if (pthread_mutex_init(&w.lock, NULL) != 0 || pthread_cond_init(&w.changed, NULL) != 0)
        return dg_error_set(err, DG_ERR_NOMEM, "access log: cannot start the check");
    chunk_reader mine = {.db = db};
    chunk_worker peer = {.w = &w};
    log_mark mark = {0};
    int same = 0;
    open_peer(db, &peer.r, &mark, &same, err);
    dg_status st = DG_OK;
    /* An empty log, or one not starting at entry 1: the sequential walk says what it is. */
    if (same && mark.first == 1 && mark.last >= 1) {
        if (chunk_level < 0)
            chunk_level = chunk_level_for(mark.last);
        st = chunk_walk_start(&w, &mark, chunk_level, snapshot_size, &mine, &peer.r, err);
        if (st == DG_OK)
            st = reader_prepare(&mine, err);
        pthread_t thread;
        if (st == DG_OK && start_worker(&peer, &thread)) {
            st = walk_chunks(&w, &mine, err);
            pthread_join(thread, NULL);
            if (st == DG_OK && w.clean)
                st = nothing_after_missing(&w, db, err);
            if (st == DG_OK && w.clean) {
                *clean = 1;
                out->entries = (uint64_t)mark.last;
                memcpy(out->head, w.prev, sizeof out->head);
                out->root = dg_merkle_builder_root(&w.tree);
                out->snapshot_root = w.snapshot_root;
            }
        }
    }
    reader_free(&mine);
    reader_free(&peer.r);
    dg_log_reader_close(peer.r.db);
    chunk_walk_free(&w);
    return st;
}

dg_status dg_log_walk(sqlite3 *db, uint64_t snapshot_size, dg_log_check *out, dg_error *err)
{
    int clean = 0;
    dg_status st = dg_log_walk_chunks(db, snapshot_size, -1, out, &clean, err);
    if (st != DG_OK || clean)
        return st;
    /* Anything but an intact log, or no second connection: the walk that names what it found. */
    return dg_log_walk_sequential(db, snapshot_size, out, err);
}
