/*
 * log_walk.c — the check of the whole access log (log_internal.h: dg_log_walk): every entry read in
 * order, its chain link and hash checked, its leaf pushed into the recomputed Merkle tree, and
 * every subtree compared with the stored one.
 *
 * It runs as a pipeline on two threads, so that `log verify` of a large log is bound by the slower
 * of reading rows and hashing rather than by their sum: the calling thread steps SQLite and turns
 * each row into its bytes (once: the chain hash and the leaf hash both hash these bytes), in
 * batches; a hashing thread checks the chain and builds the tree from each batch and lists the
 * subtrees it completes; the calling thread compares those with the stored tree when the batch
 * comes back to be refilled (the catalog handle stays on the thread that owns it). The findings are
 * those of a walk on one thread, in the same order: the first entry that breaks the chain, and
 * otherwise the first stored subtree that differs. If the hashing thread cannot be started, the
 * calling thread hashes each batch itself.
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
    dg_log_bytes bytes;
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
        const unsigned char *bytes = b->bytes.data + e->off;
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
    b->bytes.failed = 0;
    int rc = SQLITE_ROW;
    while (b->count < WALK_BATCH && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        walk_entry *e = &b->entries[b->count++];
        e->id = sqlite3_column_int64(stmt, 0);
        keep_link(stmt, 11, e->prev, &e->prev_ok);
        keep_link(stmt, 12, e->hash, &e->hash_ok);
        e->off = b->bytes.len;
        if (!dg_log_row_bytes_append(stmt, &b->bytes))
            return dg_error_set(err, DG_ERR_NOMEM, "access log: out of memory");
        e->len = b->bytes.len - e->off;
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

/* Starts the hashing thread with every signal blocked (a server reads SIGTERM from a signalfd: it
 * must not be delivered here). 0 when it could not be started. */
static int start_hasher(walk *w, pthread_t *thread)
{
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int started = pthread_create(thread, NULL, hasher_main, w) == 0;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return started;
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

dg_status dg_log_reader_open(dg_archive *archive, sqlite3 **out, dg_error *err)
{
    *out = NULL;
    const char *path = sqlite3_db_filename(archive->db, "main");
    sqlite3 *db = NULL;
    int rc =
        sqlite3_open_v2(path ? path : "", &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        dg_status st = dg_error_set(err, DG_ERR_DB, "access log: cannot open the catalog: %s",
                                    db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return st;
    }
    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, 60000); /* as the archive's own handles wait (catalog.c) */
    /* Mapped up to 64 GiB (SQLite caps it at its compile-time limit): pages are read where they
     * lie instead of copied into the page cache one by one. */
    dg_status st =
        dg_catalog_exec(db, "PRAGMA trusted_schema=OFF; PRAGMA mmap_size=68719476736", err);
    if (st == DG_OK)
        st = dg_catalog_begin_read(db, err);
    if (st != DG_OK) {
        sqlite3_close(db);
        return st;
    }
    *out = db;
    return DG_OK;
}

void dg_log_reader_close(sqlite3 *db)
{
    if (!db)
        return;
    dg_catalog_rollback(db);
    sqlite3_close(db);
}

dg_status dg_log_walk(sqlite3 *db, uint64_t snapshot_size, dg_log_check *out, dg_error *err)
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
