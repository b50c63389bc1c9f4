/*
 * log.c — appending to the hash-chained access log: an entry's bytes and chain hash, the
 * append itself (in its own transaction or the caller's), and the stored Merkle tree, whose
 * new leaves every append adds (log.h). Reading and verifying the log is log_read.c;
 * checkpoints and proofs from the stored tree are log_tree.c; both sit above this file,
 * which calls neither, nor any role check: every module logs through here. Also here: the
 * group commit (dg_log_group) by which a server's handles share one transaction and one
 * sync among the entries that arrive together, and its syncer, which syncs reads' entries
 * after their answers.
 *
 * The hash of an entry is SHA-256 over its predecessor's hash and every field of the
 * entry including its id, each field followed by a unit separator (0x1F) and NULL written
 * as a record separator (0x1E). The first entry's predecessor is 64 zeros. Those bytes
 * alone would let two rows serialise alike (a text holding 0x1F moves content into its
 * neighbour; a blob reads as the text it holds); what makes one row one entry is the
 * canonical form the writer keeps and the walk checks (log_internal.h): the writer stores
 * no control character in a text (pictured_text), and a row in any other form is a finding.
 */
#include "log.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "archive_internal.h"
#include "archive_keys.h"
#include "catalog.h"
#include "../base/fault.h"
#include "../base/hash.h"
#include "text_guard.h"
#include "log_internal.h"

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

static void bytes_text(dg_buf *b, const char *text)
{
    if (text)
        dg_buf_add(b, text, strlen(text));
    else
        dg_buf_add(b, "\x1e", 1);
    dg_buf_add(b, "\x1f", 1);
}

/* value in decimal as "%lld" writes it, then 0x1F, at p (room for 21 bytes); returns the end.
 * Log verify formats four numbers per entry: no printf machinery here. */
static unsigned char *put_number(unsigned char *p, long long value)
{
    char buf[24];
    size_t i = sizeof buf;
    unsigned long long u = value < 0 ? 0ULL - (unsigned long long)value : (unsigned long long)value;
    do
        buf[--i] = (char)('0' + u % 10);
    while (u /= 10);
    if (value < 0)
        buf[--i] = '-';
    memcpy(p, buf + i, sizeof buf - i);
    p += sizeof buf - i;
    *p++ = 0x1f;
    return p;
}

static void bytes_number(dg_buf *b, long long value)
{
    if (dg_buf_reserve(b, 21))
        b->len = (size_t)(put_number((unsigned char *)b->data + b->len, value) -
                          (unsigned char *)b->data);
}

/* The entry's bytes. The shown hits were added in schema 5: they are written only when
 * present, so every entry older than that serialises exactly as it did. */
static int fields_bytes(const chain_fields *f, dg_buf *b)
{
    b->len = 0;
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

/* The chain hash (hex, into out) and the Merkle leaf (into leaf) of the entry: both hash
 * its bytes, made once. */
static int chain_hash(const char *prev_hash, const chain_fields *f, char out[65],
                      dg_merkle_hash *leaf)
{
    dg_buf b = {0};
    if (!fields_bytes(f, &b)) {
        free(b.data);
        return 0;
    }
    *leaf = dg_merkle_leaf(b.data, b.len);
    dg_sha256_ctx st;
    dg_sha256_init(&st);
    dg_sha256_update(&st, prev_hash, strlen(prev_hash));
    dg_sha256_update(&st, "\x1f", 1);
    dg_sha256_update(&st, b.data, b.len);
    free(b.data);
    unsigned char digest[DG_SHA256_BYTES];
    dg_sha256_final(&st, digest);
    dg_sha256_to_hex(digest, out);
    return 1;
}

/* A text column's bytes at p, as bytes_text writes them (NULL as 0x1E, then 0x1F), its length
 * from SQLite rather than strlen; returns the end. */
static unsigned char *put_text(unsigned char *p, const unsigned char *text, size_t len)
{
    if (text) {
        memcpy(p, text, len);
        p += len;
    } else {
        *p++ = 0x1e;
    }
    *p++ = 0x1f;
    return p;
}

/* The columns of DG_LOG_COLUMNS, by number, for the form's findings. */
static const char *const COLUMN_NAME[] = {"id",      "at",    "login",  "origin",  "action",
                                          "refcode", "version", "query", "hits",   "outcome",
                                          "detail",  "prev_hash", "hash", "user_id", "shown"};

/* The SQLite type the writer stores in each column of DG_LOG_COLUMNS, and whether NULL is
 * one it stores (log_insert). */
static const struct {
    unsigned char type, nullable;
} WRITTEN[] = {
    {SQLITE_INTEGER, 0}, {SQLITE_TEXT, 0},    {SQLITE_TEXT, 0},    {SQLITE_TEXT, 0},
    {SQLITE_TEXT, 0},    {SQLITE_TEXT, 1},    {SQLITE_INTEGER, 0}, {SQLITE_TEXT, 1},
    {SQLITE_INTEGER, 0}, {SQLITE_TEXT, 0},    {SQLITE_TEXT, 1},    {SQLITE_TEXT, 0},
    {SQLITE_TEXT, 0},    {SQLITE_INTEGER, 0}, {SQLITE_TEXT, 1}};
_Static_assert(sizeof WRITTEN / sizeof WRITTEN[0] == 15, "one per DG_LOG_COLUMNS column");

static void form_fails(dg_log_form *form, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void form_fails(dg_log_form *form, const char *fmt, ...)
{
    if (!form->sound)
        return; /* the first reason is the one told */
    form->sound = 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(form->why, sizeof form->why, fmt, ap);
    va_end(ap);
}

static const char *type_name(int type)
{
    switch (type) {
    case SQLITE_INTEGER: return "an integer";
    case SQLITE_FLOAT: return "a real";
    case SQLITE_TEXT: return "text";
    case SQLITE_BLOB: return "a blob";
    default: return "NULL";
    }
}

/* Checks every column's type (value: the row's 15 values); before any value is read as
 * text or number, which converts it. */
static void judge_types(sqlite3_value *const *value, dg_log_form *form)
{
    for (int col = 0; col < 15 && form->sound; col++) {
        int type = sqlite3_value_type(value[col]);
        if (type != WRITTEN[col].type && !(type == SQLITE_NULL && WRITTEN[col].nullable))
            form_fails(form, "its %s is %s, where dangan stores %s%s", COLUMN_NAME[col],
                       type_name(type), type_name(WRITTEN[col].type),
                       WRITTEN[col].nullable ? " or NULL" : "");
    }
}

/* Whether the word w holds a byte below 0x20: (w - 0x20..20) & ~w & 0x80..80 is non-zero
 * exactly when one is. */
static int word_has_control(uint64_t w)
{
    return ((w - 0x2020202020202020ULL) & ~w & 0x8080808080808080ULL) != 0;
}

/*
 * The first byte 0x00, 0x1E or 0x1F in p, or NULL. Bytes below 0x20 are rare in a log, so
 * eight bytes at a time are tested for any byte below 0x20 (the last few padded with
 * spaces), and only a text where one is found byte by byte: log verify tests every text of
 * every entry.
 */
static const unsigned char *reserved_byte(const unsigned char *p, size_t len)
{
    size_t i = 0;
    int control = 0;
    for (; i + 8 <= len && !control; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        control = word_has_control(w);
    }
    if (!control && i < len) {
        uint64_t w = 0x2020202020202020ULL;
        memcpy(&w, p + i, len - i);
        control = word_has_control(w);
    }
    for (i = 0; control && i < len; i++)
        if (p[i] == 0x00 || p[i] == 0x1e || p[i] == 0x1f)
            return p + i;
    return NULL;
}

/* Whether s is "REF@V,REF@V" as search.c writes it: at least one hit, each a code without
 * ',' or '@' and a version in canonical decimal (no sign, no leading zero) up to INT_MAX.
 * Item by item with memchr (each item's first '@' ends its code: an '@' in a code would
 * leave one among the version's digits). */
static int shown_is_canonical(const unsigned char *s, size_t len)
{
    const unsigned char *p = s, *end = s + len;
    if (len == 0)
        return 0;
    for (;;) {
        const unsigned char *comma = memchr(p, ',', (size_t)(end - p));
        const unsigned char *stop = comma ? comma : end;
        const unsigned char *at = memchr(p, '@', (size_t)(stop - p));
        if (!at || at == p || at + 1 == stop || (at[1] == '0' && at + 2 != stop) ||
            stop - (at + 1) > 10)
            return 0;
        long long v = 0;
        for (const unsigned char *d = at + 1; d < stop; d++) {
            if (*d < '0' || *d > '9')
                return 0;
            v = v * 10 + (*d - '0');
        }
        if (v > INT_MAX)
            return 0;
        if (!comma)
            return 1;
        p = comma + 1;
        if (p == end)
            return 0; /* a trailing comma */
    }
}

/* Checks the texts (col: their columns) and the numbers against the writer's forms. */
static void judge_values(const int *col, const unsigned char *const *text, const size_t *len,
                         int texts, const long long *number, dg_log_form *form)
{
    for (int i = 0; i < texts && form->sound; i++) {
        const unsigned char *bad = text[i] ? reserved_byte(text[i], len[i]) : NULL;
        if (bad)
            form_fails(form, "its %s holds the byte 0x%02X (at %zu), which dangan never stores",
                       COLUMN_NAME[col[i]], *bad, (size_t)(bad - text[i]));
    }
    const unsigned char *shown = text[texts - 1];
    if (form->sound && shown && !shown_is_canonical(shown, len[texts - 1]))
        form_fails(form, "its shown hits are not a list REF@V,REF@V as dangan writes them");
    long long id = number[0], user_id = number[1], version = number[2], hits = number[3];
    (void)id;
    if (form->sound && (version < 0 || version > INT_MAX))
        form_fails(form, "its version %lld is outside 0 to %d, the versions dangan writes",
                   version, INT_MAX);
    if (form->sound && hits < -1)
        form_fails(form, "its hits %lld are below -1 (dangan writes -1 for none)", hits);
    if (form->sound && user_id < 0)
        form_fails(form, "its user_id %lld is negative", user_id);
}

/*
 * The entry's bytes, and with form its verdict. fields_bytes's order, read straight from
 * the row (no strlen, no copy of the row). Each column is asked of the statement once, as
 * its value, and read through the value (sqlite3_column_* take the connection's mutex,
 * check for a failed allocation and map errors at each call: three calls a text column
 * were about a tenth of a verify's CPU), and room for the whole entry is made once: log
 * verify makes these bytes for every entry of the log (issue 17). The values are unprotected
 * (sqlite3_column_value): only the thread that steps the statement reads them, as every
 * caller does. Every number is read as 64 bits: a 32-bit read let a version off by 2^32
 * hash like the true one.
 */
static int row_bytes(sqlite3_stmt *row, dg_buf *b, dg_log_form *form)
{
    enum { TEXTS = 9 };
    static const int text_col[TEXTS] = {1, 2, 3, 4, 5, 7, 9, 10, 14}; /* in fields order */
    sqlite3_value *value[15];
    for (int col = 0; col < 15; col++)
        value[col] = col == 11 || col == 12 ? NULL : sqlite3_column_value(row, col);
    if (form) {
        form->sound = 1;
        form->why[0] = '\0';
        value[11] = sqlite3_column_value(row, 11); /* the links' types are judged too */
        value[12] = sqlite3_column_value(row, 12);
        judge_types(value, form);
    }
    /* shown (the last) is written only when present (fields_bytes); asked before it is
     * read as text, which would convert it */
    int shown = sqlite3_value_type(value[14]) != SQLITE_NULL;
    const unsigned char *text[TEXTS];
    size_t len[TEXTS], need = 4 * 21 + 2 * TEXTS;
    for (int i = 0; i < TEXTS; i++) {
        text[i] = sqlite3_value_text(value[text_col[i]]);
        len[i] = text[i] ? (size_t)sqlite3_value_bytes(value[text_col[i]]) : 0;
        need += len[i];
    }
    shown = shown || text[TEXTS - 1];
    long long number[4] = {sqlite3_value_int64(value[0]), sqlite3_value_int64(value[13]),
                           sqlite3_value_int64(value[6]), sqlite3_value_int64(value[8])};
    if (form && form->sound)
        judge_values(text_col, text, len, TEXTS, number, form);
    if (!dg_buf_reserve(b, need))
        return 0;
    unsigned char *p = (unsigned char *)b->data + b->len;
    p = put_number(p, number[0]);     /* id */
    p = put_text(p, text[0], len[0]); /* at */
    p = put_number(p, number[1]);     /* user_id */
    for (int i = 1; i <= 4; i++)      /* login, origin, action, refcode */
        p = put_text(p, text[i], len[i]);
    p = put_number(p, number[2]); /* version */
    p = put_text(p, text[5], len[5]); /* query */
    p = put_number(p, number[3]); /* hits */
    p = put_text(p, text[6], len[6]); /* outcome */
    p = put_text(p, text[7], len[7]); /* detail */
    if (shown)
        p = put_text(p, text[8], len[8]);
    b->len = (size_t)(p - (unsigned char *)b->data);
    return 1;
}

int dg_log_row_bytes_append(sqlite3_stmt *row, dg_buf *b)
{
    return row_bytes(row, b, NULL);
}

int dg_log_row_bytes_judged(sqlite3_stmt *row, dg_buf *b, dg_log_form *form)
{
    return row_bytes(row, b, form);
}

int dg_log_row_bytes(sqlite3_stmt *row, dg_buf *b)
{
    b->len = 0;
    return dg_log_row_bytes_append(row, b);
}

/*
 * A connection the log is written on, with its kept statements: the handle's own
 * connection to the log's file (log_db: every append in its own transaction, the group's
 * batches, the pending changes' entries), or its catalog connection, where the log is
 * attached as "log" (an entry inside the caller's transaction). The statements name the
 * log's tables unqualified, which resolves to the log on both.
 */
typedef struct log_conn {
    sqlite3 *db;
    dg_stmt_cache *stmts;
} log_conn;

static log_conn catalog_conn(dg_archive *archive)
{
    return (log_conn){archive->db, &archive->stmts};
}

/* The handle's own connection to the log's file, opened on first use. */
static dg_status own_conn(dg_archive *archive, log_conn *c, dg_error *err)
{
    if (!archive->log_db) {
        dg_status st = dg_catalog_open_log(archive->db, &archive->log_db, err);
        if (st != DG_OK)
            return st;
    }
    *c = (log_conn){archive->log_db, &archive->log_stmts};
    return DG_OK;
}

/* The newest entry's id and hash, or 0 and the genesis hash for an empty log. */
static dg_status chain_head(log_conn c, int64_t *id, char hash[65], dg_error *err)
{
    sqlite3 *db = c.db;
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_take(c.stmts, db,
                                   "SELECT id, hash FROM access_log ORDER BY id DESC LIMIT 1",
                                   &stmt, err);
    if (st != DG_OK)
        return st;
    *id = 0;
    memcpy(hash, DG_LOG_GENESIS, 65);
    int found = 0;
    st = dg_catalog_step_maybe_row(db, stmt, &found, "read log head", err);
    if (found) {
        *id = sqlite3_column_int64(stmt, 0);
        const unsigned char *h = sqlite3_column_text(stmt, 1);
        snprintf(hash, 65, "%s", h ? (const char *)h : "");
    }
    dg_catalog_give_back(c.stmts, stmt);
    return st;
}

/*
 * The shown-hit index. The hashed truth of what a search showed is the entry's own shown
 * column ("REF@V,REF@V"); log_shown_filed is only its index by reference code, so that
 * `log --record` finds the searches that showed a record without reading the whole log.
 * It is not written by each append: every DG_LOG_SHOWN_EVERY-th entry files the hits of
 * all entries since the last filing in the same transaction, and a read by record reads
 * the entries after the last filing from the log itself (log_read.c), so it is complete
 * without writing. The setting log_shown_upto is the last entry filed.
 *
 * A filing writes one row per reference code it names, keyed by (the filing's last entry,
 * code), its entries as a JSON array of their distances back from that last entry
 * (migration 21). So a filing's rows sort after every row before them and are appended as
 * a run of new pages: about its bytes in pages, where a table keyed by code first
 * (log_shown, migrations 5 to 20) took a page per code named, at random places of a
 * B-tree that grows with the log (issue 17: that filing was 3-6% of a server's CPU). A
 * lookup by code seeks once per filing (log_read.c). The entries' logins are filed with
 * them (log_logins, migration 20).
 */
typedef struct shown_hit {
    char *refcode;
    int64_t entry;
    int version;
} shown_hit;

typedef struct shown_hits {
    shown_hit *items;
    size_t count, cap;
} shown_hits;

static void shown_hits_free(shown_hits *h)
{
    for (size_t i = 0; i < h->count; i++)
        free(h->items[i].refcode);
    free(h->items);
}

/* Adds one (key, entry) item, key the first len bytes of text; 0 when out of memory. */
static int hit_add(shown_hits *h, int64_t entry, const char *text, size_t len, int version)
{
    if (h->count == h->cap) {
        size_t cap = h->cap ? 2 * h->cap : 1024;
        shown_hit *grown = realloc(h->items, cap * sizeof *grown);
        if (!grown)
            return 0;
        h->items = grown;
        h->cap = cap;
    }
    char *copy = strndup(text, len);
    if (!copy)
        return 0;
    h->items[h->count++] = (shown_hit){copy, entry, version};
    return 1;
}

/* Adds the hits of one entry's "REF@V,REF@V" list; 0 when out of memory. */
static int shown_hits_add(shown_hits *h, int64_t entry, const char *shown)
{
    for (const char *p = shown; *p;) {
        size_t len = strcspn(p, ",");
        const char *at = memchr(p, '@', len);
        size_t ref_len = at ? (size_t)(at - p) : len;
        if (!hit_add(h, entry, p, ref_len, at ? atoi(at + 1) : 0))
            return 0;
        p += len;
        if (*p == ',')
            p++;
    }
    return 1;
}

/* The last entry whose shown hits are filed (migration 18 sets it for an existing log,
 * migration 21 keeps it). */
static dg_status shown_filed_upto(sqlite3 *db, int64_t *upto, dg_error *err)
{
    char *text = NULL;
    *upto = 0;
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(db, "SELECT value FROM log_state WHERE key = 'log_shown_upto'",
                                      &stmt, err);
    if (st == DG_OK)
        st = dg_catalog_row_text(db, stmt, &text, "read log state", err, "log_shown_upto");
    if (st == DG_OK)
        *upto = strtoll(text, NULL, 10);
    free(text);
    return st == DG_ERR_NOT_FOUND ? DG_OK : st;
}

/* Reads the shown hits of the entries after upto (and the last entry's id). */
static dg_status shown_collect(sqlite3 *db, int64_t upto, shown_hits *h, int64_t *last,
                               dg_error *err)
{
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(
        db, "SELECT id, shown FROM access_log WHERE id > ? ORDER BY id", &stmt, err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_int64(stmt, 1, upto);
    *last = upto;
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        *last = sqlite3_column_int64(stmt, 0);
        const char *shown = (const char *)sqlite3_column_text(stmt, 1);
        if (shown && !shown_hits_add(h, *last, shown)) {
            sqlite3_finalize(stmt);
            return dg_error_set(err, DG_ERR_NOMEM, "access log: out of memory");
        }
    }
    if (rc != SQLITE_DONE)
        st = dg_catalog_error(db, err, "read log");
    sqlite3_finalize(stmt);
    return st;
}

/* Files the logins of the entries upto + 1 .. last in log_logins, sorted by (login, entry)
 * as before, in one statement: a step, a bind and a reset per entry from here were half
 * of a filing's CPU (issue 17). */
static dg_status file_logins(sqlite3 *db, int64_t upto, int64_t last, dg_error *err)
{
    if (last <= upto)
        return DG_OK;
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(
        db, "INSERT OR IGNORE INTO log_logins(login, entry) SELECT login, id FROM access_log "
            "WHERE id > ?1 AND id <= ?2 ORDER BY login, id", &stmt, err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_int64(stmt, 1, upto);
    sqlite3_bind_int64(stmt, 2, last);
    if (sqlite3_step(stmt) != SQLITE_DONE)
        st = dg_catalog_error(db, err, "index log logins");
    sqlite3_finalize(stmt);
    return st;
}

/* A JSON array of numbers, grown as needed. */
typedef struct json_list {
    char *text;
    size_t len, cap;
} json_list;

static int json_list_add(json_list *l, long long value)
{
    char buf[24];
    int n = snprintf(buf, sizeof buf, "%c%lld", l->len ? ',' : '[', value);
    if (l->len + (size_t)n + 2 > l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 256;
        while (cap < l->len + (size_t)n + 2)
            cap *= 2;
        char *grown = realloc(l->text, cap);
        if (!grown)
            return 0;
        l->text = grown;
        l->cap = cap;
    }
    memcpy(l->text + l->len, buf, (size_t)n);
    l->len += (size_t)n;
    return 1;
}

/* One reference code of a filing: its hits (indices into the filing's hits), in entry order
 * through next[]. */
typedef struct code_slot {
    const char *refcode;
    size_t head, tail;
} code_slot;

static uint64_t code_hash(const char *text)
{
    uint64_t h = 14695981039346656037ULL; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        h = (h ^ *p) * 1099511628211ULL;
    return h;
}

static int code_order(const void *a, const void *b)
{
    return strcmp((*(code_slot *const *)a)->refcode, (*(code_slot *const *)b)->refcode);
}

/* Groups the hits by code (a hash table; each code's hits keep the order they were read
 * in, the entries' order) and gives the codes sorted. Sorting every hit by code instead
 * was a third of a filing's CPU: ten thousand hits whose codes share long prefixes. */
static int group_codes(const shown_hits *h, code_slot **table, size_t **next,
                       code_slot ***codes, size_t *ncodes)
{
    size_t cap = 16;
    while (cap < 2 * h->count)
        cap *= 2;
    *table = calloc(cap, sizeof **table);
    *next = malloc(h->count * sizeof **next);
    *codes = malloc(h->count * sizeof **codes);
    *ncodes = 0;
    if (!*table || !*next || !*codes)
        return 0;
    for (size_t i = 0; i < h->count; i++) {
        size_t k = (size_t)code_hash(h->items[i].refcode) & (cap - 1);
        while ((*table)[k].refcode && strcmp((*table)[k].refcode, h->items[i].refcode))
            k = (k + 1) & (cap - 1);
        code_slot *slot = &(*table)[k];
        (*next)[i] = SIZE_MAX;
        if (!slot->refcode) {
            *slot = (code_slot){h->items[i].refcode, i, i};
            (*codes)[(*ncodes)++] = slot;
        } else {
            (*next)[slot->tail] = i;
            slot->tail = i;
        }
    }
    qsort(*codes, *ncodes, sizeof **codes, code_order);
    return 1;
}

/* Files the hits as the filing up to last: one row per code, in code order, its entries
 * as their distances back from last, each entry once. */
static dg_status file_shown(sqlite3 *db, shown_hits *h, int64_t last, dg_error *err)
{
    if (!h->count)
        return DG_OK;
    code_slot *table = NULL, **codes = NULL;
    size_t *next = NULL, ncodes = 0;
    sqlite3_stmt *stmt = NULL;
    dg_status st = group_codes(h, &table, &next, &codes, &ncodes)
                       ? DG_OK
                       : dg_error_set(err, DG_ERR_NOMEM, "access log: out of memory");
    if (st == DG_OK)
        st = dg_catalog_prepare(
            db, "INSERT INTO log_shown_filed(upto, refcode, entries) VALUES(?, ?, ?)", &stmt,
            err);
    json_list l = {0};
    for (size_t c = 0; st == DG_OK && c < ncodes; c++) {
        int64_t prev = 0;
        for (size_t i = codes[c]->head; i != SIZE_MAX; i = next[i]) {
            int64_t entry = h->items[i].entry;
            if (i != codes[c]->head && entry == prev)
                continue; /* the same entry showed the code twice */
            prev = entry;
            if (!json_list_add(&l, (long long)(last - entry))) {
                st = dg_error_set(err, DG_ERR_NOMEM, "access log: out of memory");
                break;
            }
        }
        if (st != DG_OK)
            break;
        l.text[l.len] = ']';
        sqlite3_bind_int64(stmt, 1, last);
        sqlite3_bind_text(stmt, 2, codes[c]->refcode, -1, SQLITE_STATIC);
        sqlite3_bind_text(stmt, 3, l.text, (int)l.len + 1, SQLITE_STATIC);
        if (sqlite3_step(stmt) != SQLITE_DONE)
            st = dg_catalog_error(db, err, "index shown hits");
        sqlite3_reset(stmt);
        l.len = 0;
    }
    free(l.text);
    free(table);
    free(next);
    free(codes);
    sqlite3_finalize(stmt); /* NULL when the prepare failed */
    return st;
}

/*
 * Files what the appends since the last filing left to their indexes: their shown hits in
 * log_shown_filed and their logins in log_logins (migration 20: the log's index by login,
 * filed in bulk for the same reason as the shown hits, one B-tree page less in every
 * append's commit). Both are filed up to the same mark, log_shown_upto.
 */
dg_status dg_log_shown_catch_up(sqlite3 *db, dg_error *err)
{
    int64_t upto = 0, last = 0;
    shown_hits h = {0};
    dg_status st = shown_filed_upto(db, &upto, err);
    if (st == DG_OK)
        st = shown_collect(db, upto, &h, &last, err);
    if (st == DG_OK)
        st = file_shown(db, &h, last, err);
    if (st == DG_OK)
        st = file_logins(db, upto, last, err);
    shown_hits_free(&h);
    if (st == DG_OK && last > upto) {
        char value[32];
        snprintf(value, sizeof value, "%lld", (long long)last);
        sqlite3_stmt *stmt;
        st = dg_catalog_prepare(db, "INSERT OR REPLACE INTO log_state(key, value) "
                                    "VALUES('log_shown_upto', ?)", &stmt, err);
        if (st == DG_OK) {
            sqlite3_bind_text(stmt, 1, value, -1, SQLITE_STATIC);
            st = dg_catalog_step_done(db, stmt, err);
        }
    }
    return st;
}

/* The log's newest entry as an append of this transaction left it (a batch's entries
 * follow each other), or unknown (id 0): then it is read. */
typedef struct chain_link {
    int64_t id;
    char hash[65];
} chain_link;

/* A subtree (a leaf at level 0) that a group's committed batches completed and that is
 * not stored yet. */
typedef struct tree_node {
    uint64_t idx;
    int level;
    dg_merkle_hash hash;
} tree_node;

/*
 * The tree as a group's batches left it, when ok: the frontier of the log's first b.size
 * entries, of which the stored tree holds the first `stored`; the subtrees of the rest are
 * pending here and stored together at the next filing (DG_LOG_SHOWN_EVERY), in the
 * filing's transaction (batch_tree). Only the leader touches it.
 */
typedef struct tree_front {
    dg_merkle_builder b;
    int ok;
    uint64_t stored;
    tree_node *pending;
    size_t count, cap;
    /* The newest entry as the last committed batch left it on db, whose data version was
     * then `version` (SQLITE_FCNTL_DATA_VERSION: it changes with any commit on the file
     * by any connection but this one's own): while it is the same, nothing else has
     * appended, and the next batch on db follows head without reading it. */
    chain_link head;
    sqlite3 *db;
    unsigned version;
} tree_front;

static dg_status tree_take_leaves(log_conn c, int64_t first, const dg_merkle_hash *leaves,
                                  size_t count, dg_error *err);
static dg_status stored_open(sqlite3 *db, dg_stmt_cache *cache, dg_log_stored_tree *t,
                             dg_error *err);
static dg_status stored_size(sqlite3 *db, dg_stmt_cache *cache, uint64_t *size, dg_error *err);
static dg_status store_node(void *ctx, int level, uint64_t index, const dg_merkle_hash *hash,
                            dg_error *err);

/* Inserts the entry after prev (its leaf into *leaf, its hash into hash); with catch_up, brings the stored tree
 * up to it too (a group of entries brings the tree up once, after the last of them). */
static dg_status log_insert(log_conn c, const char *prev, const chain_fields *fields,
                            int catch_up, dg_merkle_hash *leaf, char hash[65], dg_error *err)
{
    sqlite3 *db = c.db;
    chain_fields f = *fields;
    if (!chain_hash(prev, &f, hash, leaf))
        return dg_error_set(err, DG_ERR_NOMEM, "access log: out of memory");

    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_take(c.stmts, db,
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
    st = dg_catalog_step_once(db, stmt, err);
    dg_catalog_give_back(c.stmts, stmt);
    if (st == DG_OK && f.id % DG_LOG_SHOWN_EVERY == 0)
        st = dg_log_shown_catch_up(db, err);
    if (st == DG_OK && catch_up)
        st = tree_take_leaves(c, f.id, leaf, 1, err);
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

/*
 * text itself when it holds no control character, otherwise a copy in *owned (which the
 * caller frees) with each control character (0x01 to 0x1F, and DEL) written as its picture
 * from Unicode's Control Pictures block: U+2400 + the byte (a tab is "␉", a line feed "␊",
 * 0x1F "␟"), DEL "␡". So no entry's text holds the bytes that end its fields (0x1F) or
 * mark NULL (0x1E), which the log's canonical form forbids (log_internal.h), nor anything
 * that moves an auditor's terminal. A query typed with a control character is logged with
 * its picture: "a<TAB>b" as "a␉b", the same as one typed with "␉" itself. NULL when text is
 * NULL or memory runs out.
 */
static const char *pictured_text(const char *text, char **owned)
{
    *owned = NULL;
    size_t controls = 0, len = 0;
    for (const unsigned char *p = (const unsigned char *)text; p && *p; p++, len++)
        controls += *p < 0x20 || *p == 0x7f;
    if (!controls)
        return text;
    char *out = malloc(len + 2 * controls + 1), *q = out;
    if (!out)
        return NULL;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        if (*p < 0x20 || *p == 0x7f) {
            unsigned picture = *p == 0x7f ? 0x2421 : 0x2400 + *p; /* three bytes in UTF-8 */
            *q++ = (char)(0xe0 | (picture >> 12));
            *q++ = (char)(0x80 | ((picture >> 6) & 0x3f));
            *q++ = (char)(0x80 | (picture & 0x3f));
        } else {
            *q++ = (char)*p;
        }
    }
    *q = '\0';
    *owned = out;
    return out;
}

/* The copies an entry's texts needed (bounded, pictured); free with kept_texts_free. */
enum { KEPT_TEXTS = 8 };
typedef struct kept_texts {
    char *owned[2 * KEPT_TEXTS];
} kept_texts;

static void kept_texts_free(kept_texts *t)
{
    for (int i = 0; i < 2 * KEPT_TEXTS; i++)
        free(t->owned[i]);
}

/* Sets f's texts as the canonical form allows them: the refcode, query and detail bounded,
 * then every text's control characters pictured (so a long text's length and hash are of
 * the text as given). */
static dg_status keep_texts(const dg_actor *actor, const char *login, const dg_log_event *event,
                            chain_fields *f, kept_texts *t, dg_error *err)
{
    memset(t, 0, sizeof *t);
    const char *given[KEPT_TEXTS] = {
        actor ? actor->login : (login ? login : "?"),
        actor ? actor->origin : "cli",
        event->action,
        event->outcome ? event->outcome : "ok",
        event->shown && *event->shown ? event->shown : NULL,
        bounded_text(event->refcode, &t->owned[KEPT_TEXTS + 0]),
        bounded_text(event->query, &t->owned[KEPT_TEXTS + 1]),
        bounded_text(event->detail, &t->owned[KEPT_TEXTS + 2]),
    };
    const char **kept[KEPT_TEXTS] = {&f->login,  &f->origin,  &f->action, &f->outcome,
                                     &f->shown,  &f->refcode, &f->query,  &f->detail};
    dg_status st = DG_OK;
    for (int i = 0; i < KEPT_TEXTS; i++)
        if (!(*kept[i] = pictured_text(given[i], &t->owned[i])) && given[i])
            st = dg_error_set(err, DG_ERR_NOMEM, "access log: out of memory");
    return st;
}

/* An entry's fields as they are stored, and the copies they need (freed with
 * entry_free). */
typedef struct entry_made {
    chain_fields f;
    char at[32];
    kept_texts texts;
    char *sealed_query, *sealed_detail;
} entry_made;

static void entry_free(entry_made *m)
{
    free(m->sealed_query);
    free(m->sealed_detail);
    kept_texts_free(&m->texts);
}

/* Makes an entry's fields (all but its id): checked, bounded, pictured, sealed. */
static dg_status entry_make(dg_archive *archive, const dg_actor *actor, const char *login,
                            const dg_log_event *event, entry_made *m, dg_error *err)
{
    memset(m, 0, sizeof *m);
    dg_text_field fields[] = {{"log login", login},          {"log action", event->action},
                              {"log record", event->refcode}, {"log query", event->query},
                              {"log outcome", event->outcome}, {"log detail", event->detail}};
    dg_status st = dg_text_guard_all(fields, sizeof fields / sizeof fields[0], err);
    if (st != DG_OK)
        return st;
    dg_now_iso(m->at);
    m->f = (chain_fields){
        .at = m->at,
        .user_id = actor ? actor->user_id : 0,
        .version = event->version > 0 ? event->version : 0,
        .hits = event->hits >= 0 ? event->hits : -1,
    };
    st = keep_texts(actor, login, event, &m->f, &m->texts, err);
    /* The words searched for and the detail (titles, file names, reasons) are sealed under
     * the journal key in an encrypted archive; the entry is hashed as stored, so verifying
     * the chain and the tree needs no key. Entries written before stay as they were. */
    if (st == DG_OK && archive->keys) {
        st = dg_journal_seal(archive, m->f.query, &m->sealed_query, err);
        if (st == DG_OK)
            st = dg_journal_seal(archive, m->f.detail, &m->sealed_detail, err);
        m->f.query = m->sealed_query;
        m->f.detail = m->sealed_detail;
    }
    return st;
}

/* Writes the entry f (its id set here) after the log's newest entry on c: after head when
 * head->id is set (a group's batch), and head becomes it. */
static dg_status entry_write(log_conn c, chain_fields *f, int catch_up, chain_link *head,
                             int64_t *id, dg_merkle_hash *leaf, dg_error *err)
{
    int64_t last_id = 0;
    char prev[65];
    dg_status st = DG_OK;
    if (head && head->id > 0) {
        last_id = head->id;
        memcpy(prev, head->hash, sizeof prev);
    } else {
        st = chain_head(c, &last_id, prev, err);
    }
    f->id = last_id + 1;
    char hash[65];
    if (st == DG_OK)
        st = log_insert(c, prev, f, catch_up, leaf, hash, err);
    if (head)
        *head = (chain_link){0};
    if (st == DG_OK && head) {
        head->id = f->id;
        memcpy(head->hash, hash, sizeof hash);
    }
    *id = st == DG_OK ? f->id : 0;
    return st;
}

/* Appends one entry on c inside a write transaction there; *id is its id. With head (a
 * group's batch), the entry follows head when head->id is set, and head becomes it. */
static dg_status append_entry_after(dg_archive *archive, log_conn c, const dg_actor *actor,
                                    const char *login, const dg_log_event *event, int catch_up,
                                    chain_link *head, int64_t *id, dg_merkle_hash *leaf,
                                    dg_error *err)
{
    entry_made m;
    *id = 0;
    dg_status st = entry_make(archive, actor, login, event, &m, err);
    if (st == DG_OK)
        st = entry_write(c, &m.f, catch_up, head, id, leaf, err);
    else if (head)
        *head = (chain_link){0};
    entry_free(&m);
    return st;
}

static dg_status append_entry(dg_archive *archive, log_conn c, const dg_actor *actor,
                              const char *login, const dg_log_event *event, int catch_up,
                              int64_t *id, dg_merkle_hash *leaf, dg_error *err)
{
    return append_entry_after(archive, c, actor, login, event, catch_up, NULL, id, leaf, err);
}

/* ---- a change's entry: pending in the catalog, then appended -------------------------- */

/*
 * A change (classify, edit, destroy, loans, grants...) and its entry must commit together,
 * and SQLite commits a transaction atomically per file only. So a change's entry is
 * written, in the change's own transaction, into the catalog's log_pending (its fields as
 * the log stores them, its time the change's); right after the catalog commits, the
 * handle appends it to the log file (after_commit) with a row of log_changes naming the
 * pending row it came from, in the same log transaction. A crash in between leaves the
 * row pending: the next opener, log reader, checkpoint or change appends it (flush), and
 * log_changes makes that happen once, whoever gets there first. A pending row already in
 * the log is deleted by the next change's transaction. An entry is never lost: it is in
 * one file or the other, synced with the change.
 */
static const char PENDING_ADD[] =
    "INSERT INTO main.log_pending(at, user_id, login, origin, action, refcode, version, query,"
    " hits, outcome, detail, shown) VALUES(?,?,?,?,?,?,?,?,?,?,?,?)";
/* Pending rows already appended (AUTOINCREMENT: a pending id is never used twice). */
static const char PENDING_DROP_DONE[] =
    "DELETE FROM main.log_pending WHERE pending IN (SELECT pending FROM log.log_changes"
    " WHERE pending >= (SELECT coalesce(min(pending), 0) FROM main.log_pending))";

static dg_status pending_add(dg_archive *archive, const chain_fields *f, dg_error *err)
{
    sqlite3 *db = archive->db;
    dg_status st = dg_catalog_exec_kept(&archive->stmts, db, PENDING_DROP_DONE, err);
    sqlite3_stmt *stmt;
    if (st == DG_OK)
        st = dg_catalog_take(&archive->stmts, db, PENDING_ADD, &stmt, err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_text(stmt, 1, f->at, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 2, f->user_id);
    sqlite3_bind_text(stmt, 3, f->login, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 4, f->origin, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 5, f->action, -1, SQLITE_STATIC);
    dg_bind_text_or_null(stmt, 6, f->refcode);
    sqlite3_bind_int(stmt, 7, f->version);
    dg_bind_text_or_null(stmt, 8, f->query);
    sqlite3_bind_int64(stmt, 9, f->hits);
    sqlite3_bind_text(stmt, 10, f->outcome, -1, SQLITE_STATIC);
    dg_bind_text_or_null(stmt, 11, f->detail);
    dg_bind_text_or_null(stmt, 12, f->shown);
    st = dg_catalog_step_once(db, stmt, err);
    dg_catalog_give_back(&archive->stmts, stmt);
    if (st == DG_OK)
        archive->log_pending++;
    return st;
}

/* A pending row read back: its fields and the texts they point into. */
typedef struct pending_row {
    int64_t pending;
    chain_fields f;
    char *text[9];
} pending_row;

static void pending_rows_free(pending_row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++)
        for (int t = 0; t < 9; t++)
            free(rows[i].text[t]);
    free(rows);
}

/* The pending rows not in the log yet, oldest first (on the catalog connection). */
static dg_status pending_read(dg_archive *archive, pending_row **out, size_t *count,
                              dg_error *err)
{
    *out = NULL;
    *count = 0;
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(
        archive->db,
        "SELECT pending, at, user_id, login, origin, action, refcode, version, query, hits,"
        " outcome, detail, shown FROM main.log_pending"
        " WHERE pending NOT IN (SELECT pending FROM log.log_changes) ORDER BY pending",
        &stmt, err);
    if (st != DG_OK)
        return st;
    size_t cap = 0;
    int rc;
    while (st == DG_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        if (*count == cap) {
            cap = cap ? 2 * cap : 4;
            pending_row *grown = realloc(*out, cap * sizeof **out);
            if (!grown) {
                st = dg_error_set(err, DG_ERR_NOMEM, "access log: out of memory");
                break;
            }
            *out = grown;
        }
        pending_row *r = &(*out)[(*count)++];
        memset(r, 0, sizeof *r);
        static const int TEXT_COL[9] = {1, 3, 4, 5, 6, 8, 10, 11, 12};
        for (int t = 0; t < 9; t++)
            if (sqlite3_column_type(stmt, TEXT_COL[t]) != SQLITE_NULL &&
                !(r->text[t] = dg_column_strdup(stmt, TEXT_COL[t])))
                st = dg_error_set(err, DG_ERR_NOMEM, "access log: out of memory");
        r->pending = sqlite3_column_int64(stmt, 0);
        r->f = (chain_fields){.at = r->text[0], .user_id = sqlite3_column_int64(stmt, 2),
                              .login = r->text[1], .origin = r->text[2],
                              .action = r->text[3], .refcode = r->text[4],
                              .version = sqlite3_column_int(stmt, 7), .query = r->text[5],
                              .hits = (long)sqlite3_column_int64(stmt, 9),
                              .outcome = r->text[6], .detail = r->text[7],
                              .shown = r->text[8]};
    }
    if (st == DG_OK && rc != SQLITE_DONE)
        st = dg_catalog_error(archive->db, err, "read pending log entries");
    sqlite3_finalize(stmt);
    if (st != DG_OK) {
        pending_rows_free(*out, *count);
        *out = NULL;
        *count = 0;
    }
    return st;
}

/* Appends one pending row on c (in its write transaction), unless log_changes says it is
 * in the log already. */
static dg_status pending_append(log_conn c, pending_row *r, dg_error *err)
{
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(c.db, "SELECT 1 FROM log_changes WHERE pending = ?",
                                      &stmt, err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_int64(stmt, 1, r->pending);
    int found = 0;
    st = dg_catalog_step_maybe_row(c.db, stmt, &found, "read log changes", err);
    sqlite3_finalize(stmt);
    if (st != DG_OK || found)
        return st;
    int64_t id;
    dg_merkle_hash leaf;
    st = entry_write(c, &r->f, 1, NULL, &id, &leaf, err);
    if (st == DG_OK)
        st = dg_catalog_prepare(c.db, "INSERT INTO log_changes(pending, entry) VALUES(?, ?)",
                                &stmt, err);
    if (st == DG_OK) {
        sqlite3_bind_int64(stmt, 1, r->pending);
        sqlite3_bind_int64(stmt, 2, id);
        st = dg_catalog_step_done(c.db, stmt, err);
    }
    return st;
}

static dg_status sync_lost_error(dg_error *err);

dg_status dg_log_pending_flush(dg_archive *archive, dg_error *err)
{
    if (archive->log_flushing)
        return DG_OK; /* the flush's own commit */
    pending_row *rows = NULL;
    size_t count = 0;
    dg_status st = pending_read(archive, &rows, &count, err);
    if (st != DG_OK || count == 0) {
        archive->log_pending = st == DG_OK ? 0 : archive->log_pending;
        return st;
    }
    log_conn c;
    st = own_conn(archive, &c, err);
    if (st == DG_OK && archive->sync_lost)
        st = sync_lost_error(err); /* its commits would not be synced */
    archive->log_flushing = 1;
    if (st == DG_OK && dg_fault("log.flush")) /* the log's file cannot take it (a full disk) */
        st = dg_error_set(err, errno == ENOSPC ? DG_ERR_IO : DG_ERR_DB,
                          "catalog: append: %s (%s)",
                          errno == ENOSPC ? "the disk is full" : strerror(errno),
                          sqlite3_db_filename(c.db, "main"));
    if (st == DG_OK)
        st = dg_catalog_exec_kept(c.stmts, c.db, "BEGIN IMMEDIATE", err);
    if (st == DG_OK) {
        for (size_t i = 0; i < count && st == DG_OK; i++)
            st = pending_append(c, &rows[i], err);
        if (st == DG_OK)
            st = dg_catalog_exec_kept(c.stmts, c.db, "COMMIT", err);
        if (st != DG_OK)
            dg_catalog_rollback(c.db);
    }
    archive->log_flushing = 0;
    pending_rows_free(rows, count);
    if (st == DG_OK)
        archive->log_pending = 0;
    return st == DG_OK ? st : dg_error_prefix(err, "access log: a change's entry is pending: ");
}

/* The automatic checkpoint of SQLite's default WAL hook, which this hook replaces. */
#define WAL_AUTOCHECKPOINT 1000

/*
 * The catalog connection's WAL hook, called once a transaction has committed (and its
 * locks are let go): when it committed a change's entry to log_pending, the entry goes on
 * to the log file now. A failure leaves it pending, for the next flush; the change has
 * committed whatever happens here, so the hook always answers SQLITE_OK.
 */
static int after_commit(void *ctx, sqlite3 *db, const char *schema, int frames)
{
    dg_archive *archive = ctx;
    if (frames >= WAL_AUTOCHECKPOINT)
        sqlite3_wal_checkpoint(db, schema);
    if (strcmp(schema, "main") || archive->log_pending == 0 || archive->log_flushing)
        return SQLITE_OK;
    if (dg_fault("log.pending")) /* a crash or a failure after the catalog's commit */
        return SQLITE_OK;
    dg_error ignored;
    dg_log_pending_flush(archive, &ignored);
    return SQLITE_OK;
}

void dg_log_watch_commits(dg_archive *archive)
{
    sqlite3_wal_hook(archive->db, after_commit, archive);
}

dg_status dg_log_append_in_txn(dg_archive *archive, const dg_actor *actor, const char *login,
                               const dg_log_event *event, dg_error *err)
{
    int64_t id;
    /* A change on a handle that cannot sync must fail here, not answer success unsynced
     * (its entry's append would be refused anyway, and stay pending). */
    if (archive->sync_lost)
        return sync_lost_error(err);
    dg_merkle_hash leaf;
    if (event->read) /* nothing in the catalog to commit with: straight to the log */
        return append_entry(archive, catalog_conn(archive), actor, login, event, 1, &id, &leaf,
                            err);
    entry_made m;
    dg_status st = entry_make(archive, actor, login, event, &m, err);
    if (st == DG_OK)
        st = pending_add(archive, &m.f, err);
    entry_free(&m);
    return st;
}

dg_status dg_log_append_many_in_txn(dg_archive *archive, const dg_actor *actor,
                                    const dg_log_event *events, size_t count, dg_error *err)
{
    if (archive->sync_lost)
        return sync_lost_error(err);
    int64_t id, first = 0;
    dg_merkle_hash *leaves = malloc((count ? count : 1) * sizeof *leaves);
    if (!leaves)
        return dg_error_set(err, DG_ERR_NOMEM, "access log: out of memory");
    dg_status st = DG_OK;
    for (size_t i = 0; i < count && st == DG_OK; i++) {
        st = append_entry(archive, catalog_conn(archive), actor, NULL, &events[i], 0, &id,
                          &leaves[i], err);
        first = i == 0 ? id : first;
    }
    if (st == DG_OK && count)
        st = tree_take_leaves(catalog_conn(archive), first, leaves, count, err);
    free(leaves);
    return st;
}

/* One entry in its own transaction (no group): *id is its id. */
static dg_status append_alone(dg_archive *archive, const dg_actor *actor, const char *login,
                              const dg_log_event *event, int64_t *id, dg_error *err)
{
    log_conn c;
    dg_status st = own_conn(archive, &c, err);
    if (st == DG_OK)
        st = dg_catalog_begin_write(c.db, err);
    if (st != DG_OK)
        return st;
    dg_merkle_hash leaf;
    st = append_entry(archive, c, actor, login, event, 1, id, &leaf, err);
    if (st == DG_OK)
        st = dg_catalog_commit(c.db, err);
    int disk_full = st != DG_OK && dg_catalog_disk_full(c.db); /* before the rollback */
    if (st != DG_OK)
        dg_catalog_rollback(c.db);
    /* A full disk: give the space reserve back and log with it, once (archive.c). */
    if (disk_full && dg_archive_release_space_reserve(archive))
        return append_alone(archive, actor, login, event, id, err);
    return st;
}

/* ---- group commit ------------------------------------------------------------------- */

/*
 * An entry waiting in a group: its caller sleeps on the group's condition until the
 * batch holding it has committed (or failed); the caller's stack owns it.
 */
typedef struct group_entry {
    const dg_actor *actor;
    const char *login;
    const dg_log_event *event;
    int64_t id;
    dg_merkle_hash leaf; /* its Merkle leaf, for the tree's catch-up */
    dg_status st;
    dg_error err;
    int done;
    struct group_entry *next;
} group_entry;

struct dg_log_group {
    pthread_mutex_t lock;
    pthread_cond_t committed;
    group_entry *head, **tail; /* waiting, not yet taken by a leader */
    int committing;            /* a leader is writing a batch */
    size_t queued;             /* entries waiting, the batch being written included */
    uint64_t batches, entries;
    /* Deferred sync of reads' entries (dg_log_group_defer_reads): the syncer thread
     * fdatasyncs wal_fd at most delay_ms after a batch committed without a sync. */
    int defer;           /* reads' batches may commit without a sync */
    int unsynced;        /* such a batch committed since the syncer last synced */
    int sync_failed;     /* a sync or a setting failed: every batch syncs from now on */
    int stop;            /* the syncer syncs what is left and ends */
    int wal_fd;
    long delay_ms;
    /* The tree after the last committed batch (its frontier and the subtrees not stored
     * yet), for the next leader (whichever handle it writes on: they share one catalog);
     * only the leader touches it. */
    tree_front front;
    /* The commit window (PostgreSQL's commit_delay with commit_siblings): busy counts the
     * handles inside a request (dg_log_group_request); a leader that finds some of them
     * not yet queued waits for their entries (gathering) up to DG_LOG_GROUP_WINDOW_US. */
    int busy, gathering;
    pthread_cond_t gathered; /* on CLOCK_MONOTONIC */
    /* The handle every batch is written on (dg_log_group_writer), or NULL: the leader's
     * own; its synchronous level as last set: 0 unknown, 1 NORMAL, 2 FULL. */
    dg_archive *writer;
    int writer_level;
    pthread_cond_t wake; /* the syncer's, on CLOCK_MONOTONIC */
    pthread_t syncer;
    uint64_t deferred, syncs;
};

dg_status dg_log_group_new(dg_log_group **out, dg_error *err)
{
    dg_log_group *g = calloc(1, sizeof *g);
    if (!g)
        return dg_error_set(err, DG_ERR_NOMEM, "access log: out of memory");
    if (pthread_mutex_init(&g->lock, NULL) != 0) {
        free(g);
        return dg_error_set(err, DG_ERR_IO, "access log: cannot make the group's lock");
    }
    pthread_condattr_t attr;
    int ok = pthread_condattr_init(&attr) == 0;
    ok = ok && pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) == 0;
    int gathered = ok && pthread_cond_init(&g->gathered, &attr) == 0;
    if (ok)
        pthread_condattr_destroy(&attr);
    if (!gathered || pthread_cond_init(&g->committed, NULL) != 0) {
        if (gathered)
            pthread_cond_destroy(&g->gathered);
        pthread_mutex_destroy(&g->lock);
        free(g);
        return dg_error_set(err, DG_ERR_IO, "access log: cannot make the group's condition");
    }
    g->tail = &g->head;
    g->wal_fd = -1;
    *out = g;
    return DG_OK;
}

static void syncer_stop(dg_log_group *g);

void dg_log_group_free(dg_log_group *group)
{
    if (!group)
        return;
    syncer_stop(group);
    free(group->front.pending);
    pthread_cond_destroy(&group->gathered);
    pthread_cond_destroy(&group->committed);
    pthread_mutex_destroy(&group->lock);
    free(group);
}

void dg_log_group_attach(dg_archive *archive, dg_log_group *group)
{
    archive->log_group = group;
}

/* The leader gathering a batch is woken once every busy handle has queued its entry. */
static void gathered_check(dg_log_group *g)
{
    if (g->gathering && (g->busy <= 0 || g->queued >= (size_t)g->busy))
        pthread_cond_signal(&g->gathered);
}

void dg_log_group_request(dg_archive *archive, int starts)
{
    dg_log_group *g = archive ? archive->log_group : NULL;
    if (!g)
        return;
    pthread_mutex_lock(&g->lock);
    g->busy += starts ? 1 : -1;
    if (!starts)
        gathered_check(g);
    pthread_mutex_unlock(&g->lock);
}

void dg_log_group_stats(dg_log_group *group, dg_log_group_counts *out)
{
    pthread_mutex_lock(&group->lock);
    out->batches = group->batches;
    out->entries = group->entries;
    out->waiting = group->queued;
    out->busy = group->busy;
    out->deferred = group->deferred;
    out->syncs = group->syncs;
    out->unsynced = group->unsynced;
    pthread_mutex_unlock(&group->lock);
}

/* ---- deferred sync of reads' entries ------------------------------------------------ */

static struct timespec deadline_after(long ms)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    t.tv_sec += ms / 1000;
    t.tv_nsec += (ms % 1000) * 1000000L;
    if (t.tv_nsec >= 1000000000L) {
        t.tv_sec++;
        t.tv_nsec -= 1000000000L;
    }
    return t;
}

/*
 * The syncer: once a batch has committed without a sync, it waits out the delay (so the
 * batches of the next delay_ms share one sync) and fdatasyncs the WAL, which makes every
 * frame written to it so far durable, whichever connection wrote it. A batch committed
 * after unsynced was cleared sets it again, for the next round.
 */
static void *syncer_main(void *arg)
{
    dg_log_group *g = arg;
    pthread_mutex_lock(&g->lock);
    for (;;) {
        while (!g->unsynced && !g->stop)
            pthread_cond_wait(&g->wake, &g->lock);
        if (!g->unsynced)
            break; /* stopping with nothing left to sync */
        struct timespec until = deadline_after(g->delay_ms);
        while (!g->stop && pthread_cond_timedwait(&g->wake, &g->lock, &until) != ETIMEDOUT)
            ;
        g->unsynced = 0;
        pthread_mutex_unlock(&g->lock);
        int rc = fdatasync(g->wal_fd);
        pthread_mutex_lock(&g->lock);
        if (rc == 0)
            g->syncs++;
        else
            g->sync_failed = 1; /* the next batch's own sync reports the disk's error */
    }
    pthread_mutex_unlock(&g->lock);
    return NULL;
}

static void syncer_stop(dg_log_group *g)
{
    if (g->wal_fd < 0)
        return;
    pthread_mutex_lock(&g->lock);
    g->stop = 1;
    pthread_cond_signal(&g->wake);
    pthread_mutex_unlock(&g->lock);
    pthread_join(g->syncer, NULL);
    pthread_cond_destroy(&g->wake);
    close(g->wal_fd);
    g->wal_fd = -1;
}

dg_status dg_log_group_defer_reads(dg_log_group *group, dg_archive *archive, long delay_ms,
                                   dg_error *err)
{
    if (group->wal_fd >= 0)
        return dg_error_set(err, DG_ERR_INTERNAL, "access log: the group already defers");
    /* The catalog keeps its -wal file for good (SQLITE_FCNTL_PERSIST_WAL, catalog.c), so
     * this descriptor names the WAL every connection writes for the server's whole run. */
    /* The log's file, where the group's batches commit (catalog.h). */
    const char *wal = sqlite3_filename_wal(sqlite3_db_filename(archive->db, "log"));
    int fd = wal ? open(wal, O_RDONLY | O_CLOEXEC) : -1;
    if (fd < 0)
        return dg_error_set(err, DG_ERR_IO, "access log: cannot open the catalog's WAL: %s",
                            wal ? strerror(errno) : "no WAL");
    pthread_condattr_t attr;
    int ok = pthread_condattr_init(&attr) == 0;
    ok = ok && pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) == 0 &&
         pthread_cond_init(&group->wake, &attr) == 0;
    pthread_condattr_destroy(&attr);
    if (!ok) {
        close(fd);
        return dg_error_set(err, DG_ERR_IO, "access log: cannot make the syncer's condition");
    }
    group->delay_ms = delay_ms > 0 ? delay_ms : 1;
    group->wal_fd = fd;
    /* The syncer takes no signal: a process that blocks SIGTERM to read it from a
     * signalfd (the server) must not have it delivered, with its default action, here. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int started = pthread_create(&group->syncer, NULL, syncer_main, group) == 0;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (!started) {
        pthread_cond_destroy(&group->wake);
        close(fd);
        group->wal_fd = -1;
        return dg_error_set(err, DG_ERR_IO, "access log: cannot start the syncer thread");
    }
    pthread_mutex_lock(&group->lock);
    group->defer = 1;
    pthread_mutex_unlock(&group->lock);
    return DG_OK;
}

/* Sets the handle's synchronous level outside any transaction (SQLite refuses it inside
 * one). Restoring FULL is tried again: a handle left at NORMAL would commit changes
 * without a sync. */
static int set_synchronous(sqlite3 *db, int full)
{
    for (int tries = 0; tries < 3; tries++)
        if (!dg_fault("log.synchronous") &&
            sqlite3_exec(db, full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL",
                         NULL, NULL, NULL) == SQLITE_OK)
            return 1;
    return 0;
}

/* The commit hook of a handle stuck at synchronous=NORMAL: every commit becomes a
 * rollback, so nothing (a change above all) commits on it without a sync. */
static int refuse_commit(void *unused)
{
    (void)unused;
    return 1;
}

/* Marks the handle as unable (lost = 1) or able again to sync its commits. */
static void mark_sync_lost(dg_archive *archive, int lost)
{
    archive->sync_lost = lost;
    if (archive->log_db) /* the connection whose level a deferring group switches */
        sqlite3_commit_hook(archive->log_db, lost ? refuse_commit : NULL, NULL);
}

static dg_status sync_lost_error(dg_error *err)
{
    return dg_error_set(err, DG_ERR_DB,
                        "access log: this handle cannot sync its commits "
                        "(synchronous=FULL could not be set again), so it commits nothing");
}

/* A handle that lost FULL tries to get it back before anything commits on it. Outside a
 * transaction only (SQLite refuses the setting inside one). */
static dg_status sync_regain(dg_archive *archive, dg_error *err)
{
    if (!archive->sync_lost)
        return DG_OK;
    if (!archive->log_db || !sqlite3_get_autocommit(archive->log_db) ||
        !set_synchronous(archive->log_db, 1))
        return sync_lost_error(err);
    mark_sync_lost(archive, 0);
    return DG_OK;
}

/* A batch may skip its sync when the group defers and every entry in it is a read's. */
static int batch_may_defer(const dg_log_group *g, const group_entry *batch)
{
    if (!g->defer || g->sync_failed)
        return 0;
    for (const group_entry *e = batch; e; e = e->next)
        if (!e->event->read)
            return 0;
    return 1;
}

/* Appends one entry of a batch under a savepoint, so that an entry refused (its text, say)
 * leaves no half of itself and the others still commit. DG_OK unless the savepoint itself
 * failed: then the entry's half may be in the transaction, and the whole batch must go.
 * A batch of one needs none: its failure is the batch's. The statements are kept compiled
 * (every search runs them). */
static dg_status batch_append(dg_archive *archive, log_conn c, group_entry *e, int alone,
                              chain_link *head, dg_error *err)
{
    if (alone) {
        e->st = append_entry_after(archive, c, e->actor, e->login, e->event, 0, head, &e->id,
                                   &e->leaf, &e->err);
        return DG_OK; /* the batch's transaction is rolled back when it failed */
    }
    e->st = dg_catalog_exec_kept(c.stmts, c.db, "SAVEPOINT log_entry", &e->err);
    if (e->st != DG_OK) {
        *head = (chain_link){0}; /* read the head again */
        return DG_OK; /* nothing of it was written */
    }
    /* A refused entry is rolled back: head is then unknown and read again. */
    e->st = append_entry_after(archive, c, e->actor, e->login, e->event, 0, head, &e->id, &e->leaf,
                               &e->err);
    dg_status st = e->st == DG_OK ? DG_OK
                                  : dg_catalog_exec_kept(c.stmts, c.db,
                                                         "ROLLBACK TO log_entry", err);
    if (st == DG_OK)
        st = dg_catalog_exec_kept(c.stmts, c.db, "RELEASE log_entry", err);
    return st;
}

/* Every entry that had not failed on its own (or was not reached) takes the batch's
 * failure: none of the batch committed. */
static void batch_fail(group_entry *batch, dg_status st, const dg_error *err)
{
    for (group_entry *e = batch; e; e = e->next)
        if (e->st == DG_OK) {
            e->st = st;
            e->err = *err;
            e->id = 0;
        }
}

/* A subtree the batch's leaves completed, kept until the next filing stores it. */
static dg_status hold_node(void *ctx, int level, uint64_t index, const dg_merkle_hash *hash,
                           dg_error *err)
{
    tree_front *f = ctx;
    if (f->count == f->cap) {
        size_t cap = f->cap ? 2 * f->cap : 2 * DG_LOG_SHOWN_EVERY + 64;
        tree_node *grown = realloc(f->pending, cap * sizeof *grown);
        if (!grown)
            return dg_error_set(err, DG_ERR_NOMEM, "access log tree: out of memory");
        f->pending = grown;
        f->cap = cap;
    }
    f->pending[f->count++] = (tree_node){.idx = index, .level = level, .hash = *hash};
    return DG_OK;
}

static void front_forget(tree_front *f)
{
    f->ok = 0;
    f->count = 0;
    f->head.id = 0;
}

/* The head the group's last committed batch left, when db has seen no other commit since
 * (inside the batch's write transaction, where the data version is current); else
 * unknown (id 0), to be read. */
static chain_link front_head(const tree_front *f, sqlite3 *db)
{
    unsigned version = 0;
    if (f->head.id > 0 && f->db == db &&
        sqlite3_file_control(db, "main", SQLITE_FCNTL_DATA_VERSION, &version) == SQLITE_OK &&
        version == f->version)
        return f->head;
    return (chain_link){0};
}

/* After a committed batch: its last entry (head, id 0 when unknown) and db's version. */
static void front_keep_head(tree_front *f, sqlite3 *db, const chain_link *head)
{
    f->head = *head;
    f->db = db;
    if (sqlite3_file_control(db, "main", SQLITE_FCNTL_DATA_VERSION, &f->version) != SQLITE_OK)
        f->head.id = 0;
}

/* A filing's subtrees go in by TREE_ROWS at a time: one statement's fixed cost (its
 * transaction checks, its program's start and end) shared by that many rows. */
enum { TREE_ROWS = 32 };
#define TREE_ROW "(?,?,?)"
#define TREE_ROW4 TREE_ROW "," TREE_ROW "," TREE_ROW "," TREE_ROW
#define TREE_ROW16 TREE_ROW4 "," TREE_ROW4 "," TREE_ROW4 "," TREE_ROW4
static const char TREE_WRITE_ROWS[] =
    "INSERT INTO log_tree(level, idx, hash) VALUES" TREE_ROW16 "," TREE_ROW16;

/* Stores nodes[0 .. TREE_ROWS - 1] in one statement. */
static dg_status store_rows(log_conn c, const tree_node *nodes, dg_error *err)
{
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_take(c.stmts, c.db, TREE_WRITE_ROWS, &stmt, err);
    if (st != DG_OK)
        return st;
    for (int i = 0; i < TREE_ROWS; i++) {
        sqlite3_bind_int(stmt, 3 * i + 1, nodes[i].level);
        sqlite3_bind_int64(stmt, 3 * i + 2, (sqlite3_int64)nodes[i].idx);
        sqlite3_bind_blob(stmt, 3 * i + 3, nodes[i].hash.b, DG_MERKLE_HASH, SQLITE_STATIC);
    }
    st = dg_catalog_step_once(c.db, stmt, err);
    dg_catalog_give_back(c.stmts, stmt);
    return st;
}

static int node_order(const void *a, const void *b)
{
    const tree_node *x = a, *y = b;
    if (x->level != y->level)
        return x->level < y->level ? -1 : 1;
    return (x->idx > y->idx) - (x->idx < y->idx);
}

/*
 * Stores the pending subtrees, sorted by (level, idx): each level's new rows then go in
 * one run at that level's end. When the stored tree is no longer the size they start from
 * (another handle brought it up without the log growing: a checkpoint's catch-up), they
 * are dropped and the general catch-up adds what it lacks from the entries.
 */
static dg_status front_store(log_conn c, tree_front *f, dg_error *err)
{
    uint64_t size = 0;
    dg_status st = stored_size(c.db, c.stmts, &size, err);
    if (st == DG_OK && size != f->stored) {
        f->count = 0;
        st = dg_log_tree_catch_up(c.db, err);
        f->stored = f->b.size;
        return st;
    }
    qsort(f->pending, f->count, sizeof *f->pending, node_order);
    dg_log_stored_tree t;
    if (st == DG_OK)
        st = stored_open(c.db, c.stmts, &t, err);
    if (st != DG_OK)
        return st;
    size_t i = 0;
    for (; st == DG_OK && i + TREE_ROWS <= f->count; i += TREE_ROWS)
        st = store_rows(c, f->pending + i, err);
    for (; st == DG_OK && i < f->count; i++)
        st = store_node(&t, f->pending[i].level, f->pending[i].idx, &f->pending[i].hash, err);
    dg_log_stored_close(&t);
    f->count = 0;
    f->stored = f->b.size;
    return st;
}

/*
 * Brings the group's tree up to the batch's last entry with the leaves its entries made
 * (the ones written have consecutive ids: a refused one was rolled back, id and all). The
 * leaves go onto the frontier the group's last committed batch left, when the log has not
 * grown since (nothing else appended); their subtrees are kept in memory and stored once
 * per filing, with it (issue 17: rows written per batch put a WAL frame per tree level in
 * every commit, about 6 of its 8). Otherwise the stored tree is read: pushed onto when it
 * ends right before the batch, else brought up from the entries (it lags: an append of an
 * older dangan, a batch that failed, a server killed with nodes pending; the entries are
 * the truth and the nodes are made from them again). On failure the caller forgets the
 * front. A stored tree that lags is no finding (log_read.c) and every checkpoint brings it
 * up first (log_tree.c), so what is signed and proved is the whole log.
 */
static dg_status batch_tree(log_conn c, group_entry *batch, tree_front *front, dg_error *err)
{
    int64_t first = 0, last = 0;
    for (group_entry *e = batch; e; e = e->next)
        if (e->st == DG_OK) {
            first = first ? first : e->id;
            last = e->id;
        }
    dg_status st = DG_OK;
    if (!front->ok || first < 1 || front->b.size != (uint64_t)first - 1) {
        front_forget(front);
        uint64_t size = 0;
        st = stored_size(c.db, c.stmts, &size, err);
        if (st == DG_OK && (first < 1 || size != (uint64_t)first - 1))
            return dg_log_tree_catch_up(c.db, err); /* front stays unknown */
        dg_log_stored_tree t;
        if (st == DG_OK)
            st = stored_open(c.db, c.stmts, &t, err);
        if (st != DG_OK)
            return st;
        st = dg_merkle_builder_load(&front->b, dg_log_stored_read, &t, size, err);
        dg_log_stored_close(&t);
        front->stored = size;
        front->ok = st == DG_OK;
    }
    for (group_entry *e = batch; st == DG_OK && e; e = e->next)
        if (e->st == DG_OK)
            st = dg_merkle_builder_push(&front->b, &e->leaf, hold_node, front, err);
    /* Stored with the filing: the batch that holds a multiple of DG_LOG_SHOWN_EVERY. */
    if (st == DG_OK && last / DG_LOG_SHOWN_EVERY != (first - 1) / DG_LOG_SHOWN_EVERY)
        st = front_store(c, front, err);
    return st;
}

/* Writes a batch in one transaction: every entry, the tree once, one commit (one sync).
 * Each entry's st says how it went; a failed commit fails those that had succeeded.
 * *front is the group's: the tree's frontier after its last committed batch. */
static void batch_commit(dg_archive *archive, group_entry *batch, tree_front *front)
{
    dg_error err;
    log_conn c;
    if (own_conn(archive, &c, &err) != DG_OK) {
        batch_fail(batch, err.status, &err);
        return;
    }
    dg_status st = dg_catalog_exec_kept(c.stmts, c.db, "BEGIN IMMEDIATE", &err);
    if (st != DG_OK) {
        batch_fail(batch, st, &err);
        return;
    }
    int any = 0, alone = !batch->next;
    /* The entry the next one follows: the last batch's when nothing else has committed
     * since (a head query per batch was 0.2% of a server's CPU), else read. */
    chain_link head = front_head(front, c.db);
    for (group_entry *e = batch; e && st == DG_OK; e = e->next) {
        st = batch_append(archive, c, e, alone, &head, &err);
        any |= e->st == DG_OK;
    }
    if (alone && batch->st != DG_OK) { /* its own failure, not the batch's */
        dg_catalog_rollback(c.db);
        return;
    }
    if (st == DG_OK && any)
        st = batch_tree(c, batch, front, &err);
    if (st == DG_OK)
        st = dg_catalog_exec_kept(c.stmts, c.db, "COMMIT", &err);
    if (st == DG_OK) {
        front_keep_head(front, c.db, &head);
        return;
    }
    /* Only a committed batch's tree and head are kept: the next batch reads them. */
    front_forget(front);
    int disk_full = dg_catalog_disk_full(c.db); /* before the rollback */
    dg_catalog_rollback(c.db);
    /* A full disk: give the space reserve back and log with it, once (archive.c). */
    if (disk_full && dg_archive_release_space_reserve(archive)) {
        batch_commit(archive, batch, front);
        return;
    }
    batch_fail(batch, st, &err);
}

/* How long a leader waits for the entries of the group's other busy handles: about a
 * search's CPU here. With 8 clients (bench/serve) 300 us gave 2.3 entries a commit, 1 ms
 * 2.8, 3 ms 2.9 (the server's 4 readers bound it); alone, a leader never waits. */
#define DG_LOG_GROUP_WINDOW_US 1000

/*
 * The commit window. Each batch pays the same fixed costs however many entries it holds:
 * BEGIN, the commit's WAL frames (the log's last page, the tree's pages), the tree's
 * frontier. Under 8 clients a server committed 1.05 entries a batch, every search paying
 * them alone. So a leader that sees other handles inside a request that have not queued
 * an entry yet (they are searching, and will append before they answer) waits for them,
 * up to DG_LOG_GROUP_WINDOW_US, as PostgreSQL's commit_delay waits when commit_siblings
 * are active; alone (one client), it does not wait at all. Called by the leader with the
 * lock held and committing set, so arrivals queue for this batch.
 */
static void gather(dg_log_group *g)
{
    if (g->busy <= 0 || g->queued >= (size_t)g->busy)
        return;
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_nsec += DG_LOG_GROUP_WINDOW_US * 1000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    g->gathering = 1;
    while (g->queued < (size_t)g->busy &&
           pthread_cond_timedwait(&g->gathered, &g->lock, &until) != ETIMEDOUT)
        ;
    g->gathering = 0;
}

/*
 * A batch on the group's own writer handle (dg_log_group_writer), which nothing but the
 * group's batches ever commits on: so it may stay at the synchronous level its last batch
 * needed, and a run of reads' batches sets nothing (setting it twice per batch, on the
 * leader's handle that must be back at FULL for its own changes, was 1% of a server's
 * CPU). A batch that must sync gets FULL or is not written. Returns whether the batch
 * committed without a sync. The leader's alone, so the level needs no lock.
 */
static int writer_commit(dg_log_group *g, group_entry *batch, int defer)
{
    dg_archive *w = g->writer;
    log_conn c;
    dg_error open_err;
    if (own_conn(w, &c, &open_err) != DG_OK) {
        batch_fail(batch, open_err.status, &open_err);
        return 0;
    }
    if (defer && g->writer_level != 1)
        g->writer_level = set_synchronous(c.db, 0) ? 1 : 0;
    if ((!defer || g->writer_level != 1) && g->writer_level != 2)
        g->writer_level = set_synchronous(c.db, 1) ? 2 : 0;
    if (g->writer_level == 0) { /* neither level could be set: nothing is written */
        dg_error err;
        dg_status st = sync_lost_error(&err);
        batch_fail(batch, st, &err);
        return 0;
    }
    batch_commit(w, batch, &g->front);
    return g->writer_level == 1;
}

void dg_log_group_writer(dg_log_group *group, dg_archive *writer)
{
    group->writer = writer;
    group->writer_level = 0;
}

/*
 * Group commit: the caller queues its entry; whoever finds no batch being written becomes
 * the leader, takes every entry queued and writes them on its own handle in one
 * transaction, while the entries that arrive meanwhile queue for the next leader. So a
 * sync is paid once per batch, not once per entry, and no caller returns (and so no
 * answer leaves the server) before its own entry has committed. A batch of reads' entries
 * in a deferring group commits at synchronous=NORMAL (its WAL frames written, not synced)
 * and wakes the syncer; the handle is back at FULL before the leader lets go.
 */
static dg_status group_append(dg_archive *archive, dg_log_group *g, const dg_actor *actor,
                              const char *login, const dg_log_event *event, int64_t *id,
                              dg_error *err)
{
    group_entry me = {.actor = actor, .login = login, .event = event, .st = DG_OK};
    pthread_mutex_lock(&g->lock);
    *g->tail = &me;
    g->tail = &me.next;
    g->queued++;
    gathered_check(g);
    while (!me.done) {
        if (g->committing) {
            pthread_cond_wait(&g->committed, &g->lock);
            continue;
        }
        /* No leader, and ours is not done: it is still queued, so this batch holds it. */
        g->committing = 1;
        gather(g);
        group_entry *batch = g->head;
        g->head = NULL;
        g->tail = &g->head;
        int defer = batch_may_defer(g, batch), g_failed = g->sync_failed;
        pthread_mutex_unlock(&g->lock);
        int deferred = 0, restored = 1;
        if (g->writer) {
            deferred = writer_commit(g, batch, defer);
        } else {
            log_conn c; /* opened here so its level can be set; a failure fails the batch */
            dg_error ignored;
            own_conn(archive, &c, &ignored);
            if (!defer && g_failed)
                set_synchronous(archive->log_db, 1); /* a restore that failed before, again */
            deferred = defer && set_synchronous(archive->log_db, 0);
            batch_commit(archive, batch, &g->front);
            /* Whatever happened, the handle syncs its next commit again: a change's. */
            restored = !deferred || set_synchronous(archive->log_db, 1);
            if (!restored)
                mark_sync_lost(archive, 1);
        }
        pthread_mutex_lock(&g->lock);
        if (deferred) {
            g->deferred++;
            /* Only a first unsynced batch wakes the syncer: it is already waiting out
             * its delay for any later one (a wake per batch was 3% of a server's CPU,
             * half of it the syncer waking up to wait again). */
            if (!g->unsynced)
                pthread_cond_signal(&g->wake);
            g->unsynced = 1;
        }
        if (!restored)
            g->sync_failed = 1; /* and this handle commits nothing until FULL is back */
        size_t n = 0;
        for (group_entry *e = batch, *next; e; e = next, n++) {
            next = e->next; /* e belongs to its waiter once done */
            e->done = 1;
        }
        g->queued -= n;
        g->batches++;
        g->entries += n;
        g->committing = 0;
        pthread_cond_broadcast(&g->committed);
    }
    pthread_mutex_unlock(&g->lock);
    *id = me.id;
    if (me.st != DG_OK)
        *err = me.err;
    return me.st;
}

/* Through the handle's group when it has one, else alone. */
static dg_status append_any(dg_archive *archive, const dg_actor *actor, const char *login,
                            const dg_log_event *event, int64_t *id, dg_error *err)
{
    *id = 0;
    dg_status st = sync_regain(archive, err);
    if (st != DG_OK)
        return st;
    /* A handle inside a transaction of its own must not wait for another handle's commit
     * (that one would wait for this one's lock): alone, it fails as it always did. */
    if (archive->log_group && sqlite3_get_autocommit(archive->db))
        return group_append(archive, archive->log_group, actor, login, event, id, err);
    return append_alone(archive, actor, login, event, id, err);
}

dg_status dg_log_append(dg_archive *archive, const dg_actor *actor, const char *login,
                        const dg_log_event *event, dg_error *err)
{
    int64_t id;
    return append_any(archive, actor, login, event, &id, err);
}

dg_status dg_log_append_id(dg_archive *archive, const dg_actor *actor, const dg_log_event *event,
                           int64_t *id, dg_error *err)
{
    return append_any(archive, actor, NULL, event, id, err);
}

/* ---- the stored tree ---------------------------------------------------------------- */

/*
 * The tree is stored as table log_tree(level, idx, hash): every complete subtree, the
 * hash of leaves [idx * 2^level, (idx + 1) * 2^level), as Go's sumdb/tlog stores its
 * tree. Appending a leaf writes it and the subtrees it completes (amortised two rows);
 * the root or a proof of any size reads O(log n) rows.
 */
static const char TREE_READ[] = "SELECT hash FROM log_tree WHERE level = ? AND idx = ?";
static const char TREE_WRITE[] = "INSERT INTO log_tree(level, idx, hash) VALUES(?, ?, ?)";
static const char TREE_SIZE[] =
    "SELECT COALESCE(MAX(idx) + 1, 0) FROM log_tree WHERE level = 0";

/* With cache, the statements are the handle's kept ones (an append's), else its own. */
static dg_status stored_open(sqlite3 *db, dg_stmt_cache *cache, dg_log_stored_tree *t,
                             dg_error *err)
{
    t->db = db;
    t->cache = cache;
    t->write = NULL;
    return dg_catalog_take(cache, db, TREE_READ, &t->read, err);
}

dg_status dg_log_stored_open(sqlite3 *db, dg_log_stored_tree *t, dg_error *err)
{
    return stored_open(db, NULL, t, err);
}

void dg_log_stored_close(dg_log_stored_tree *t)
{
    dg_catalog_give_back(t->cache, t->read);
    dg_catalog_give_back(t->cache, t->write);
    t->read = t->write = NULL;
}

dg_status dg_log_stored_read(void *ctx, int level, uint64_t index, dg_merkle_hash *out,
                             dg_error *err)
{
    dg_log_stored_tree *t = ctx;
    sqlite3_reset(t->read);
    sqlite3_bind_int(t->read, 1, level);
    sqlite3_bind_int64(t->read, 2, (sqlite3_int64)index);
    int rc = sqlite3_step(t->read);
    if (rc == SQLITE_ROW && sqlite3_column_bytes(t->read, 0) == DG_MERKLE_HASH) {
        memcpy(out->b, sqlite3_column_blob(t->read, 0), DG_MERKLE_HASH);
        return DG_OK;
    }
    if (rc == SQLITE_ROW || rc == SQLITE_DONE)
        return dg_error_set(err, DG_ERR_CORRUPT,
                            "catalog: the log tree lacks subtree %d/%llu (the tree was cut or "
                            "altered)", level, (unsigned long long)index);
    return dg_catalog_error(t->db, err, "read log tree");
}

static dg_status stored_size(sqlite3 *db, dg_stmt_cache *cache, uint64_t *size, dg_error *err)
{
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_take(cache, db, TREE_SIZE, &stmt, err);
    *size = 0;
    if (st != DG_OK)
        return st;
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW)
        *size = (uint64_t)sqlite3_column_int64(stmt, 0);
    else
        st = dg_catalog_error(db, err, "read log tree size");
    dg_catalog_give_back(cache, stmt);
    return st;
}

/* Writes each subtree the builder completes. */
static dg_status store_node(void *ctx, int level, uint64_t index, const dg_merkle_hash *hash,
                            dg_error *err)
{
    dg_log_stored_tree *t = ctx;
    dg_status st = t->write ? DG_OK : dg_catalog_take(t->cache, t->db, TREE_WRITE, &t->write, err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_int(t->write, 1, level);
    sqlite3_bind_int64(t->write, 2, (sqlite3_int64)index);
    sqlite3_bind_blob(t->write, 3, hash->b, DG_MERKLE_HASH, SQLITE_STATIC);
    st = dg_catalog_step_once(t->db, t->write, err);
    sqlite3_reset(t->write);
    return st;
}

/* Pushes each entry after the stored tree's last leaf. */
static dg_status push_new_entries(dg_log_stored_tree *t, dg_merkle_builder *b, dg_error *err)
{
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(
        t->db, "SELECT " DG_LOG_COLUMNS " FROM access_log WHERE id > ? ORDER BY id", &stmt, err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_int64(stmt, 1, (sqlite3_int64)b->size);
    dg_buf bytes = {0};
    int rc = SQLITE_DONE;
    while (st == DG_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(stmt, 0);
        if ((uint64_t)id != b->size + 1) {
            st = dg_error_set(err, DG_ERR_CORRUPT,
                              "access log: entry %llu is missing (the next is %lld)",
                              (unsigned long long)b->size + 1, (long long)id);
            break;
        }
        if (!dg_log_row_bytes(stmt, &bytes)) {
            st = dg_error_set(err, DG_ERR_NOMEM, "access log tree: out of memory");
            break;
        }
        dg_merkle_hash leaf = dg_merkle_leaf(bytes.data, bytes.len);
        st = dg_merkle_builder_push(b, &leaf, store_node, t, err);
    }
    free(bytes.data);
    if (st == DG_OK && rc != SQLITE_DONE)
        st = dg_catalog_error(t->db, err, "read log");
    sqlite3_finalize(stmt);
    return st;
}

dg_status dg_log_tree_catch_up(sqlite3 *db, dg_error *err)
{
    dg_log_stored_tree t;
    dg_status st = dg_log_stored_open(db, &t, err);
    uint64_t size = 0;
    if (st == DG_OK)
        st = stored_size(db, NULL, &size, err);
    dg_merkle_builder b;
    if (st == DG_OK)
        st = dg_merkle_builder_load(&b, dg_log_stored_read, &t, size, err);
    if (st == DG_OK)
        st = push_new_entries(&t, &b, err);
    dg_log_stored_close(&t);
    return st;
}

/*
 * Brings the stored tree up to the entries first .. first + count - 1 just written, whose
 * leaves the append made from the bytes it hashed: pushed without reading the entries back,
 * on the handle's kept statements. When the stored tree does not end right before first
 * (it lags: an older dangan's appends, a group's subtrees not stored yet, or a failed
 * catch-up), the general catch-up reads every entry it lacks.
 */
static dg_status tree_take_leaves(log_conn c, int64_t first, const dg_merkle_hash *leaves,
                                  size_t count, dg_error *err)
{
    sqlite3 *db = c.db;
    uint64_t size = 0;
    dg_status st = stored_size(db, c.stmts, &size, err);
    if (st != DG_OK)
        return st;
    if (first < 1 || size != (uint64_t)first - 1)
        return dg_log_tree_catch_up(db, err);
    dg_log_stored_tree t;
    st = stored_open(db, c.stmts, &t, err);
    dg_merkle_builder b;
    if (st == DG_OK)
        st = dg_merkle_builder_load(&b, dg_log_stored_read, &t, size, err);
    for (size_t i = 0; st == DG_OK && i < count; i++)
        st = dg_merkle_builder_push(&b, &leaves[i], store_node, &t, err);
    dg_log_stored_close(&t);
    return st;
}

dg_status dg_log_stored_head(sqlite3 *db, dg_log_head *head, dg_error *err)
{
    dg_log_stored_tree t;
    dg_status st = dg_log_stored_open(db, &t, err);
    if (st == DG_OK)
        st = stored_size(db, NULL, &head->size, err);
    if (st == DG_OK)
        st = dg_merkle_root(dg_log_stored_read, &t, head->size, &head->root, err);
    dg_log_stored_close(&t);
    return st;
}

const char *dg_log_outcome(dg_status st)
{
    switch (st) {
    case DG_OK: return "ok";
    case DG_ERR_DENIED:
    case DG_ERR_UNKNOWN_USER: return "refused";
    case DG_ERR_NOT_FOUND: return "not_found";
    case DG_ERR_USAGE:
    case DG_ERR_BAD_INPUT:
    case DG_ERR_QUERY: return "invalid";
    case DG_ERR_EXISTS:
    case DG_ERR_STATE: return "conflict";
    default: return "error";
    }
}

dg_status dg_log_result(dg_archive *archive, const dg_actor *actor, const char *action,
                        long hits, dg_status st, const char *detail, dg_error *err)
{
    dg_log_event ev = {.action = action, .hits = hits, .outcome = dg_log_outcome(st),
                       .detail = st == DG_OK ? detail : err->msg};
    dg_error log_err;
    dg_status logged = dg_log_append(archive, actor, NULL, &ev, &log_err);
    if (st == DG_OK && logged != DG_OK)
        return dg_error_set(err, logged, "%s", log_err.msg);
    return st;
}
