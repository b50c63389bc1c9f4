/*
 * log.c — appending to, reading and verifying the hash-chained access log.
 *
 * The hash of an entry is SHA-256 over its predecessor's hash and every field of the
 * entry including its id, each field followed by a unit separator (0x1F) and NULL written
 * as a record separator (0x1E), so no two different entries serialise alike. The first
 * entry's predecessor is 64 zeros.
 */
#include "log.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive_internal.h"
#include "catalog.h"
#include "../base/hash.h"
#include "text_guard.h"
#include "log_internal.h"

static const char GENESIS[65] =
    "0000000000000000000000000000000000000000000000000000000000000000";

/* The fields of an entry as they are hashed; a mirror of the access_log columns. */
typedef struct chain_fields {
    int64_t id;
    const char *at;
    int64_t user_id; /* 0 when unknown */
    const char *login, *origin, *action, *refcode;
    int version;
    const char *query;
    long hits;
    const char *outcome, *detail;
    const char *shown; /* NULL for entries that showed no hits (and every older entry) */
} chain_fields;

static void bytes_add(dg_log_bytes *b, const void *data, size_t len)
{
    if (b->failed)
        return;
    if (b->len + len > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + len)
            cap *= 2;
        unsigned char *grown = realloc(b->data, cap);
        if (!grown) {
            b->failed = 1;
            return;
        }
        b->data = grown;
        b->cap = cap;
    }
    memcpy(b->data + b->len, data, len);
    b->len += len;
}

static void bytes_text(dg_log_bytes *b, const char *text)
{
    if (text)
        bytes_add(b, text, strlen(text));
    else
        bytes_add(b, "\x1e", 1);
    bytes_add(b, "\x1f", 1);
}

static void bytes_number(dg_log_bytes *b, long long value)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%lld", value);
    bytes_text(b, buf);
}

/* The entry's bytes. The shown hits were added in schema 5: they are written only when
 * present, so every entry older than that serialises exactly as it did. */
static int fields_bytes(const chain_fields *f, dg_log_bytes *b)
{
    b->len = 0;
    b->failed = 0;
    bytes_number(b, f->id);
    bytes_text(b, f->at);
    bytes_number(b, f->user_id);
    bytes_text(b, f->login);
    bytes_text(b, f->origin);
    bytes_text(b, f->action);
    bytes_text(b, f->refcode);
    bytes_number(b, f->version);
    bytes_text(b, f->query);
    bytes_number(b, f->hits);
    bytes_text(b, f->outcome);
    bytes_text(b, f->detail);
    if (f->shown)
        bytes_text(b, f->shown);
    return !b->failed;
}

static int chain_hash(const char *prev_hash, const chain_fields *f, char out[65])
{
    dg_log_bytes b = {0};
    if (!fields_bytes(f, &b)) {
        free(b.data);
        return 0;
    }
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, (const unsigned char *)prev_hash, strlen(prev_hash));
    crypto_hash_sha256_update(&st, (const unsigned char *)"\x1f", 1);
    crypto_hash_sha256_update(&st, b.data, b.len);
    free(b.data);
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final(&st, digest);
    sodium_bin2hex(out, 65, digest, sizeof digest);
    return 1;
}

static chain_fields row_fields(sqlite3_stmt *stmt)
{
    chain_fields f = {
        .id = sqlite3_column_int64(stmt, 0),
        .at = (const char *)sqlite3_column_text(stmt, 1),
        .login = (const char *)sqlite3_column_text(stmt, 2),
        .origin = (const char *)sqlite3_column_text(stmt, 3),
        .action = (const char *)sqlite3_column_text(stmt, 4),
        .refcode = (const char *)sqlite3_column_text(stmt, 5),
        .version = sqlite3_column_int(stmt, 6),
        .query = (const char *)sqlite3_column_text(stmt, 7),
        .hits = (long)sqlite3_column_int64(stmt, 8),
        .outcome = (const char *)sqlite3_column_text(stmt, 9),
        .detail = (const char *)sqlite3_column_text(stmt, 10),
        .user_id = sqlite3_column_int64(stmt, 13),
        .shown = (const char *)sqlite3_column_text(stmt, 14),
    };
    return f;
}

int dg_log_row_bytes(sqlite3_stmt *row, dg_log_bytes *b)
{
    chain_fields f = row_fields(row);
    return fields_bytes(&f, b);
}

/* The newest entry's id and hash, or 0 and the genesis hash for an empty log. */
static dg_status chain_head(sqlite3 *db, int64_t *id, char hash[65], dg_error *err)
{
    sqlite3_stmt *stmt;
    dg_status st =
        dg_catalog_prepare(db, "SELECT id, hash FROM access_log ORDER BY id DESC LIMIT 1", &stmt, err);
    if (st != DG_OK)
        return st;
    *id = 0;
    memcpy(hash, GENESIS, 65);
    int found = 0;
    st = dg_catalog_step_maybe_row(db, stmt, &found, "read log head", err);
    if (found) {
        *id = sqlite3_column_int64(stmt, 0);
        const unsigned char *h = sqlite3_column_text(stmt, 1);
        snprintf(hash, 65, "%s", h ? (const char *)h : "");
    }
    sqlite3_finalize(stmt);
    return st;
}

/*
 * Files each shown hit ("REF@V,REF@V") under its reference code, so `log --record` finds the
 * searches that showed a record without reading the whole log. The hashed truth is the
 * entry's own shown column; this table is only its index.
 */
static dg_status index_shown(sqlite3 *db, int64_t entry, const char *shown, dg_error *err)
{
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(
        db, "INSERT OR IGNORE INTO log_shown(refcode, entry, version) VALUES(?, ?, ?)", &stmt, err);
    for (const char *p = shown; st == DG_OK && *p;) {
        size_t len = strcspn(p, ",");
        const char *at = memchr(p, '@', len);
        size_t ref_len = at ? (size_t)(at - p) : len;
        sqlite3_bind_text(stmt, 1, p, (int)ref_len, SQLITE_TRANSIENT);
        sqlite3_bind_int64(stmt, 2, entry);
        sqlite3_bind_int(stmt, 3, at ? atoi(at + 1) : 0);
        if (sqlite3_step(stmt) != SQLITE_DONE)
            st = dg_catalog_error(db, err, "index shown hits");
        sqlite3_reset(stmt);
        p += len;
        if (*p == ',')
            p++;
    }
    sqlite3_finalize(stmt);
    return st;
}

static dg_status log_insert(sqlite3 *db, const char *prev, const chain_fields *fields,
                            dg_error *err)
{
    chain_fields f = *fields;
    char hash[65];
    if (!chain_hash(prev, &f, hash))
        return dg_error_set(err, DG_ERR_NOMEM, "access log: out of memory");

    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(db,
                            "INSERT INTO access_log(id, at, user_id, login, origin, action, "
                            "refcode, version, query, hits, outcome, detail, prev_hash, hash, "
                            "shown) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                            &stmt, err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_int64(stmt, 1, f.id);
    sqlite3_bind_text(stmt, 2, f.at, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 3, f.user_id);
    sqlite3_bind_text(stmt, 4, f.login, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 5, f.origin, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 6, f.action, -1, SQLITE_STATIC);
    dg_bind_text_or_null(stmt, 7, f.refcode);
    sqlite3_bind_int(stmt, 8, f.version);
    dg_bind_text_or_null(stmt, 9, f.query);
    sqlite3_bind_int64(stmt, 10, f.hits);
    sqlite3_bind_text(stmt, 11, f.outcome, -1, SQLITE_STATIC);
    dg_bind_text_or_null(stmt, 12, f.detail);
    sqlite3_bind_text(stmt, 13, prev, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 14, hash, -1, SQLITE_STATIC);
    dg_bind_text_or_null(stmt, 15, f.shown);
    st = dg_catalog_step_done(db, stmt, err);
    if (st == DG_OK && f.shown)
        st = index_shown(db, f.id, f.shown, err);
    if (st == DG_OK)
        st = dg_log_tree_catch_up(db, err);
    return st;
}

/*
 * text itself when it fits DG_LOG_MAX_TEXT, otherwise a bounded summary in *owned (which
 * the caller frees): the head cut before a UTF-8 continuation byte, the length, the hash.
 * NULL (and *owned NULL) only when text is NULL or memory runs out; the caller then
 * stores NULL, never the unbounded text.
 */
static const char *bounded_text(const char *text, char **owned)
{
    *owned = NULL;
    size_t len = text ? strlen(text) : 0;
    if (len <= DG_LOG_MAX_TEXT)
        return text;
    size_t head = DG_LOG_MAX_TEXT;
    while (head > 0 && ((unsigned char)text[head] & 0xC0) == 0x80)
        head--;
    char hex[DG_SHA256_HEX];
    dg_sha256_hex(text, len, hex);
    size_t cap = head + 128;
    *owned = malloc(cap);
    if (!*owned)
        return NULL;
    snprintf(*owned, cap, "%.*s … [%zu bytes, SHA-256 %s]", (int)head, text, len, hex);
    return *owned;
}

dg_status dg_log_append_in_txn(dg_archive *archive, const dg_actor *actor, const char *login,
                               const dg_log_event *event, dg_error *err)
{
    sqlite3 *db = archive->db;
    int64_t last_id;
    char prev[65];
    dg_text_field fields[] = {{"log login", login},          {"log action", event->action},
                              {"log record", event->refcode}, {"log query", event->query},
                              {"log outcome", event->outcome}, {"log detail", event->detail}};
    dg_status st = dg_text_guard_all(fields, sizeof fields / sizeof fields[0], err);
    if (st == DG_OK)
        st = chain_head(db, &last_id, prev, err);
    if (st != DG_OK)
        return st;
    char at[32];
    dg_now_iso(at);
    chain_fields f = {
        .id = last_id + 1,
        .at = at,
        .user_id = actor ? actor->user_id : 0,
        .login = actor ? actor->login : (login ? login : "?"),
        .origin = actor ? actor->origin : "cli",
        .action = event->action,
        .version = event->version > 0 ? event->version : 0,
        .hits = event->hits >= 0 ? event->hits : -1,
        .outcome = event->outcome ? event->outcome : "ok",
        .shown = event->shown && *event->shown ? event->shown : NULL,
    };
    char *query, *refcode, *detail;
    f.query = bounded_text(event->query, &query);
    f.refcode = bounded_text(event->refcode, &refcode);
    f.detail = bounded_text(event->detail, &detail);
    st = log_insert(db, prev, &f, err);
    free(query);
    free(refcode);
    free(detail);
    return st;
}

dg_status dg_log_append(dg_archive *archive, const dg_actor *actor, const char *login,
                        const dg_log_event *event, dg_error *err)
{
    dg_status st = dg_catalog_begin_write(archive->db, err);
    if (st != DG_OK)
        return st;
    st = dg_log_append_in_txn(archive, actor, login, event, err);
    if (st == DG_OK)
        st = dg_catalog_commit(archive->db, err);
    int disk_full = st != DG_OK && dg_catalog_disk_full(archive->db); /* before the rollback */
    if (st != DG_OK)
        dg_catalog_rollback(archive->db);
    /* A full disk: give the space reserve back and log with it, once (archive.c). */
    if (disk_full && dg_archive_release_space_reserve(archive))
        return dg_log_append(archive, actor, login, event, err);
    return st;
}

dg_status dg_log_require_reader(dg_archive *archive, const dg_actor *actor,
                                    const char *action, dg_error *err)
{
    if (dg_actor_has_role(actor, DG_ROLE_AUDITOR | DG_ROLE_ADMIN))
        return DG_OK;
    dg_log_event ev = {.action = action, .hits = -1, .outcome = "refused",
                       .detail = "not an auditor or admin"};
    dg_error ignored;
    dg_log_append(archive, actor, NULL, &ev, &ignored);
    return dg_error_set(err, DG_ERR_DENIED,
                        "the access log is open to auditors and admins only; %s is neither",
                        actor->login);
}

static void entry_from_row(sqlite3_stmt *stmt, void *item, void *ctx)
{
    (void)ctx;
    dg_log_entry *e = item;
    e->id = sqlite3_column_int64(stmt, 0);
    e->at = dg_column_strdup(stmt, 1);
    e->login = dg_column_strdup(stmt, 2);
    e->origin = dg_column_strdup(stmt, 3);
    e->action = dg_column_strdup(stmt, 4);
    e->refcode = dg_column_strdup(stmt, 5);
    e->version = sqlite3_column_int(stmt, 6);
    e->query = dg_column_strdup(stmt, 7);
    e->hits = (long)sqlite3_column_int64(stmt, 8);
    e->outcome = dg_column_strdup(stmt, 9);
    e->detail = dg_column_strdup(stmt, 10);
    e->prev_hash = dg_column_strdup(stmt, 11);
    e->hash = dg_column_strdup(stmt, 12);
    e->shown = dg_column_strdup(stmt, 14);
}

static void entry_free(dg_log_entry *e)
{
    free(e->at);
    free(e->login);
    free(e->origin);
    free(e->action);
    free(e->refcode);
    free(e->query);
    free(e->outcome);
    free(e->detail);
    free(e->prev_hash);
    free(e->hash);
    free(e->shown);
}

void dg_log_entries_free(dg_log_entry *entries, size_t count)
{
    for (size_t i = 0; i < count; i++)
        entry_free(&entries[i]);
    free(entries);
}

#define LOG_COLUMNS DG_LOG_COLUMNS


dg_status dg_log_read(dg_archive *archive, const dg_actor *actor, const dg_log_filter *filter,
                      dg_log_entry **entries, size_t *count, dg_error *err)
{
    *entries = NULL;
    *count = 0;
    dg_status st = dg_log_require_reader(archive, actor, "log.read", err);
    if (st != DG_OK)
        return st;
    sqlite3_stmt *stmt;
    st = dg_catalog_prepare(archive->db,
                            /* The newest ?6 that match, shown oldest first. */
                            "SELECT * FROM (SELECT " LOG_COLUMNS " FROM access_log"
                            " WHERE (?1 IS NULL OR login = ?1) AND (?2 IS NULL OR action = ?2)"
                            " AND (?3 IS NULL OR refcode = ?3 OR id IN"
                            "   (SELECT entry FROM log_shown WHERE refcode = ?3))"
                            " AND (?4 IS NULL OR at >= ?4) AND (?5 IS NULL OR at < ?5)"
                            " ORDER BY id DESC LIMIT ?6) ORDER BY id",
                            &stmt, err);
    if (st != DG_OK)
        return st;
    dg_bind_text_or_null(stmt, 1, filter->login);
    dg_bind_text_or_null(stmt, 2, filter->action);
    dg_bind_text_or_null(stmt, 3, filter->refcode);
    dg_bind_text_or_null(stmt, 4, filter->since);
    dg_bind_text_or_null(stmt, 5, filter->until);
    sqlite3_bind_int64(stmt, 6, filter->limit ? (sqlite3_int64)filter->limit : -1);
    st = dg_catalog_collect(archive->db, stmt, (void **)entries, count, sizeof **entries,
                            entry_from_row, NULL, "read log", err);
    if (st != DG_OK) {
        dg_log_entries_free(*entries, *count);
        *entries = NULL;
        *count = 0;
        return st;
    }
    char detail[64];
    snprintf(detail, sizeof detail, "%zu entries", *count);
    dg_log_event ev = {.action = "log.read", .hits = (long)*count, .outcome = "ok",
                       .detail = detail};
    return dg_log_append(archive, actor, NULL, &ev, err);
}

/* Checks one row against its predecessor; writes why it fails into reason. Returns 1 when
 * sound, 0 when not, -1 when it could not be checked (out of memory: never a tamper alarm). */
static int row_is_sound(sqlite3_stmt *stmt, int64_t expected_id, const char *prev,
                        char *reason, size_t reason_size)
{
    chain_fields f = row_fields(stmt);
    const char *stored_prev = (const char *)sqlite3_column_text(stmt, 11);
    const char *stored_hash = (const char *)sqlite3_column_text(stmt, 12);
    if (f.id != expected_id) {
        snprintf(reason, reason_size, "entry %lld is missing (next entry is %lld)",
                 (long long)expected_id, (long long)f.id);
        return 0;
    }
    if (!stored_prev || strcmp(stored_prev, prev) != 0) {
        snprintf(reason, reason_size,
                 "entry %lld does not link to its predecessor (deleted or reordered entries)",
                 (long long)f.id);
        return 0;
    }
    char computed[65];
    if (!chain_hash(prev, &f, computed))
        return -1;
    if (!stored_hash || strcmp(stored_hash, computed) != 0) {
        snprintf(reason, reason_size, "entry %lld was altered (its hash does not match)",
                 (long long)f.id);
        return 0;
    }
    return 1;
}

/*
 * Compares each subtree the walk recomputes with the stored one. The walk closes the
 * subtrees of each level in index order, so one cursor per level reads the stored tree
 * sequentially: checking every stored hash costs a scan, not a lookup per node.
 */
typedef struct tree_compare {
    sqlite3 *db;
    sqlite3_stmt *level[64];
    int exhausted[64]; /* the stored tree ends here (it lags the entries: not a finding) */
    dg_log_check *out;
} tree_compare;

static dg_status compare_node(void *ctx, int level, uint64_t index, const dg_merkle_hash *hash,
                              dg_error *err)
{
    tree_compare *c = ctx;
    if (c->exhausted[level] || c->out->tree_differs)
        return DG_OK;
    if (!c->level[level]) {
        dg_status st = dg_catalog_prepare(
            c->db, "SELECT idx, hash FROM log_tree WHERE level = ? ORDER BY idx", &c->level[level],
            err);
        if (st != DG_OK)
            return st;
        sqlite3_bind_int(c->level[level], 1, level);
    }
    int rc = sqlite3_step(c->level[level]);
    if (rc == SQLITE_DONE) {
        c->exhausted[level] = 1;
        return DG_OK;
    }
    if (rc != SQLITE_ROW)
        return dg_catalog_error(c->db, err, "read log tree");
    sqlite3_stmt *row = c->level[level];
    if ((uint64_t)sqlite3_column_int64(row, 0) != index ||
        sqlite3_column_bytes(row, 1) != DG_MERKLE_HASH ||
        memcmp(sqlite3_column_blob(row, 1), hash->b, DG_MERKLE_HASH) != 0) {
        c->out->tree_differs = 1;
        if (!c->out->first_broken)
            snprintf(c->out->reason, sizeof c->out->reason,
                     "the stored tree does not match the entries (subtree %d/%llu: entries "
                     "%llu to %llu, or the tree, altered)",
                     level, (unsigned long long)index,
                     (unsigned long long)(index << level) + 1,
                     (unsigned long long)((index + 1) << level));
    }
    return DG_OK;
}

static void compare_end(tree_compare *c)
{
    for (int i = 0; i < 64; i++)
        sqlite3_finalize(c->level[i]);
}

dg_status dg_log_walk(dg_archive *archive, uint64_t snapshot_size, dg_log_check *out,
                      dg_error *err)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(archive->db,
                                      "SELECT " LOG_COLUMNS " FROM access_log ORDER BY id",
                                      &stmt, err);
    if (st != DG_OK)
        return st;
    char prev[65];
    memcpy(prev, GENESIS, 65);
    int64_t expected = 1;
    dg_merkle_builder tree;
    dg_merkle_builder_init(&tree);
    dg_log_bytes bytes = {0};
    tree_compare compare = {.db = archive->db, .out = out};
    if (snapshot_size == 0)
        out->snapshot_root = dg_merkle_builder_root(&tree);
    int rc = SQLITE_DONE;
    while (st == DG_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        out->entries++;
        int sound = out->first_broken
                        ? 1
                        : row_is_sound(stmt, expected, prev, out->reason, sizeof out->reason);
        if (sound < 0) {
            st = dg_error_set(err, DG_ERR_NOMEM, "access log: check entry %lld: out of memory",
                              (long long)expected);
            break;
        }
        if (!sound)
            out->first_broken = expected;
        const unsigned char *h = sqlite3_column_text(stmt, 12);
        snprintf(prev, sizeof prev, "%s", h ? (const char *)h : "");
        expected = sqlite3_column_int64(stmt, 0) + 1;
        if (!dg_log_row_bytes(stmt, &bytes)) {
            st = dg_error_set(err, DG_ERR_NOMEM, "access log: out of memory");
            break;
        }
        dg_merkle_hash leaf = dg_merkle_leaf(bytes.data, bytes.len);
        st = dg_merkle_builder_push(&tree, &leaf, compare_node, &compare, err);
        if (tree.size == snapshot_size)
            out->snapshot_root = dg_merkle_builder_root(&tree);
    }
    free(bytes.data);
    compare_end(&compare);
    if (st == DG_OK && rc != SQLITE_DONE)
        st = dg_catalog_error(archive->db, err, "read log");
    sqlite3_finalize(stmt);
    if (st != DG_OK)
        return st;
    memcpy(out->head, prev, sizeof out->head);
    out->root = dg_merkle_builder_root(&tree);
    return DG_OK;
}

dg_status dg_log_verify(dg_archive *archive, const dg_actor *actor, dg_log_check *out,
                        dg_error *err)
{
    memset(out, 0, sizeof *out);
    dg_status st = dg_log_require_reader(archive, actor, "log.verify", err);
    if (st == DG_OK)
        st = dg_log_walk(archive, 0, out, err);
    if (st == DG_OK)
        st = dg_log_check_stored_tree(archive, out, err);
    if (st != DG_OK)
        return st;
    dg_log_event ev = {.action = "log.verify", .hits = -1,
                       .outcome = out->first_broken || out->tree_differs ? "broken" : "ok",
                       .detail = out->first_broken || out->tree_differs ? out->reason : NULL};
    return dg_log_append(archive, actor, NULL, &ev, err);
}
