/*
 * synonyms.c — the archive's thesaurus (synonyms.h): shipped pairs, the archive's changes in
 * the catalog, and the merged table written to the index.
 */
#include "synonyms.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../index/thesaurus.h"
#include "archive_internal.h"
#include "catalog.h"
#include "log.h"

static const char GENERATION_KEY[] = "synonyms_generation";

/* One pair with the index forms of its words (a < b) and where it comes from. */
typedef struct pair {
    char *word, *synonym; /* as written */
    char *a, *b;          /* index forms, a < b */
    int shipped;
} pair;

typedef struct pair_list {
    pair *items;
    size_t n, cap;
} pair_list;

static void pair_list_free(pair_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->items[i].word);
        free(l->items[i].synonym);
        free(l->items[i].a);
        free(l->items[i].b);
    }
    free(l->items);
    memset(l, 0, sizeof *l);
}

/* Appends a pair, taking ownership of the four strings (freed on failure too). */
static dg_status pair_push(pair_list *l, char *word, char *synonym, char *fa, char *fb,
                           int shipped, dg_error *err)
{
    pair *p = dg_grow((void **)&l->items, &l->n, &l->cap, sizeof *p);
    if (!p || !word || !synonym || !fa || !fb) {
        free(word), free(synonym), free(fa), free(fb);
        return dg_error_set(err, DG_ERR_NOMEM, "synonyms: out of memory");
    }
    int swap = strcmp(fa, fb) > 0;
    p->word = word;
    p->synonym = synonym;
    p->a = swap ? fb : fa;
    p->b = swap ? fa : fb;
    p->shipped = shipped;
    return DG_OK;
}

static int pair_key_cmp(const void *x, const void *y)
{
    const pair *p = x, *q = y;
    int c = strcmp(p->a, q->a);
    return c ? c : strcmp(p->b, q->b);
}

static const pair *find_pair(const pair_list *l, const char *a, const char *b)
{
    pair key = {.a = (char *)a, .b = (char *)b};
    return bsearch(&key, l->items, l->n, sizeof *l->items, pair_key_cmp);
}

/* The shipped pairs with their index forms, sorted by form, one per form pair. */
static dg_status shipped_pairs(pair_list *out, dg_error *err)
{
    char **words = NULL;
    size_t n = 0;
    dg_status st = dg_thesaurus_pairs(dg_thesaurus_text, dg_thesaurus_len, &words, &n, err);
    if (st != DG_OK)
        return st;
    char **forms = calloc(2 * n + 1, sizeof *forms);
    if (!forms) {
        dg_thesaurus_free(words, n);
        return dg_error_set(err, DG_ERR_NOMEM, "synonyms: out of memory");
    }
    st = dg_index_synonym_forms((const char *const *)words, 2 * n, forms, err);
    size_t i = 0;
    for (; st == DG_OK && i < n; i++) {
        if (strcmp(forms[2 * i], forms[2 * i + 1]) == 0) { /* one word in two scripts */
            free(forms[2 * i]), free(forms[2 * i + 1]);
            continue;
        }
        st = pair_push(out, strdup(words[2 * i]), strdup(words[2 * i + 1]), forms[2 * i],
                       forms[2 * i + 1], 1, err);
    }
    for (size_t k = i; k < n; k++) /* pairs not reached: their forms were not handed on */
        free(forms[2 * k]), free(forms[2 * k + 1]);
    free(forms);
    dg_thesaurus_free(words, n);
    if (st != DG_OK) {
        pair_list_free(out);
        return dg_error_prefix(err, "shipped thesaurus: ");
    }
    qsort(out->items, out->n, sizeof *out->items, pair_key_cmp);
    size_t kept = 0; /* drop later duplicates of a form pair */
    for (size_t i = 0; i < out->n; i++) {
        if (kept > 0 && pair_key_cmp(&out->items[kept - 1], &out->items[i]) == 0) {
            pair *d = &out->items[i];
            free(d->word), free(d->synonym), free(d->a), free(d->b);
            continue;
        }
        out->items[kept++] = out->items[i];
    }
    out->n = kept;
    return DG_OK;
}

/* The archive's changes: rows (a, b, word, synonym, change). */
typedef struct change_row {
    char *a, *b, *word, *synonym;
    int removed;
} change_row;

static void read_change(sqlite3_stmt *stmt, void *item, void *ctx)
{
    (void)ctx;
    change_row *r = item;
    r->a = dg_column_strdup(stmt, 0);
    r->b = dg_column_strdup(stmt, 1);
    r->word = dg_column_strdup(stmt, 2);
    r->synonym = dg_column_strdup(stmt, 3);
    const unsigned char *change = sqlite3_column_text(stmt, 4);
    r->removed = change && strcmp((const char *)change, "removed") == 0;
}

static void changes_free(change_row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(rows[i].a), free(rows[i].b), free(rows[i].word), free(rows[i].synonym);
    free(rows);
}

static dg_status read_changes(dg_archive *archive, change_row **rows, size_t *n, dg_error *err)
{
    *rows = NULL;
    *n = 0;
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(
        archive->db, "SELECT a, b, word, synonym, change FROM synonyms ORDER BY a, b", &stmt,
        err);
    if (st != DG_OK)
        return st;
    st = dg_catalog_collect(archive->db, stmt, (void **)rows, n, sizeof **rows, read_change,
                            NULL, "read synonyms", err);
    for (size_t i = 0; st == DG_OK && i < *n; i++)
        if (!(*rows)[i].a || !(*rows)[i].b || !(*rows)[i].word || !(*rows)[i].synonym)
            st = dg_error_set(err, DG_ERR_NOMEM, "synonyms: out of memory");
    if (st != DG_OK) {
        changes_free(*rows, *n);
        *rows = NULL;
        *n = 0;
    }
    return st;
}

/* The pairs in force: shipped ones not removed, then the archive's additions. */
static dg_status pairs_in_force(dg_archive *archive, pair_list *out, dg_error *err)
{
    memset(out, 0, sizeof *out);
    pair_list shipped = {0};
    change_row *rows = NULL;
    size_t n_rows = 0;
    dg_status st = shipped_pairs(&shipped, err);
    if (st == DG_OK)
        st = read_changes(archive, &rows, &n_rows, err);
    for (size_t i = 0; st == DG_OK && i < shipped.n; i++) {
        int removed = 0;
        for (size_t k = 0; k < n_rows; k++)
            removed |= rows[k].removed && strcmp(rows[k].a, shipped.items[i].a) == 0 &&
                       strcmp(rows[k].b, shipped.items[i].b) == 0;
        if (removed)
            continue;
        pair *p = &shipped.items[i];
        st = pair_push(out, strdup(p->word), strdup(p->synonym), strdup(p->a), strdup(p->b), 1,
                       err);
    }
    for (size_t k = 0; st == DG_OK && k < n_rows; k++)
        if (!rows[k].removed)
            st = pair_push(out, strdup(rows[k].word), strdup(rows[k].synonym),
                           strdup(rows[k].a), strdup(rows[k].b), 0, err);
    pair_list_free(&shipped);
    changes_free(rows, n_rows);
    if (st != DG_OK)
        pair_list_free(out);
    return st;
}

/* What the index's table is made of: the shipped thesaurus (FNV-1a of its bytes) and the
 * catalog's generation of changes. */
static dg_status table_stamp(dg_archive *archive, char stamp[64], dg_error *err)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < dg_thesaurus_len; i++)
        h = (h ^ (unsigned char)dg_thesaurus_text[i]) * 1099511628211ull;
    char *generation = NULL;
    dg_status st = dg_setting_get(archive->db, GENERATION_KEY, &generation, err);
    if (st == DG_ERR_NOT_FOUND)
        st = DG_OK;
    if (st != DG_OK)
        return st;
    snprintf(stamp, 64, "t%016llx-g%s", (unsigned long long)h, generation ? generation : "0");
    free(generation);
    return DG_OK;
}

dg_status dg_synonyms_sync(dg_archive *archive, dg_index *index, int force, dg_error *err)
{
    char stamp[64];
    dg_status st = table_stamp(archive, stamp, err);
    if (st != DG_OK)
        return st;
    if (!force) {
        char *have = NULL;
        st = dg_index_synonyms_stamp(index, &have, err);
        int same = st == DG_OK && strcmp(have, stamp) == 0;
        free(have);
        if (st != DG_OK || same)
            return st;
    }
    pair_list l;
    st = pairs_in_force(archive, &l, err);
    if (st != DG_OK)
        return st;
    const char **flat = calloc(2 * l.n + 1, sizeof *flat);
    if (!flat) {
        pair_list_free(&l);
        return dg_error_set(err, DG_ERR_NOMEM, "synonyms: out of memory");
    }
    for (size_t i = 0; i < l.n; i++) {
        flat[2 * i] = l.items[i].a;
        flat[2 * i + 1] = l.items[i].b;
    }
    st = dg_index_set_synonyms(index, flat, l.n, stamp, err);
    if (st == DG_OK)
        st = dg_index_commit(index, err);
    free(flat);
    pair_list_free(&l);
    return st;
}

/* ---- changes ------------------------------------------------------------------------- */

static dg_status require_archivist(dg_archive *archive, const dg_actor *actor,
                                   const char *action, dg_error *err)
{
    if (dg_actor_has_role(actor, DG_ROLE_ARCHIVIST | DG_ROLE_ADMIN))
        return DG_OK;
    dg_log_event ev = {.action = action, .hits = -1, .outcome = "refused",
                       .detail = "not an archivist or admin"};
    dg_error ignored;
    dg_log_append(archive, actor, NULL, &ev, &ignored);
    return dg_error_set(err, DG_ERR_DENIED,
                        "%s: only archivists and admins may change the thesaurus", action);
}

static dg_status bump_generation(dg_archive *archive, dg_error *err)
{
    return dg_catalog_exec(archive->db,
                           "INSERT INTO settings(key, value) VALUES('synonyms_generation', '1')"
                           " ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1",
                           err);
}

/* The row of the pair (a, b): *found 0/1, *removed. */
static dg_status find_change(dg_archive *archive, const char *a, const char *b, int *found,
                             int *removed, dg_error *err)
{
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(archive->db,
                                      "SELECT change FROM synonyms WHERE a = ? AND b = ?", &stmt,
                                      err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_text(stmt, 1, a, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, b, -1, SQLITE_STATIC);
    st = dg_catalog_step_maybe_row(archive->db, stmt, found, "read synonyms", err);
    *removed = st == DG_OK && *found &&
               strcmp((const char *)sqlite3_column_text(stmt, 0), "removed") == 0;
    sqlite3_finalize(stmt);
    return st;
}

static dg_status delete_change(dg_archive *archive, const char *a, const char *b, dg_error *err)
{
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(archive->db, "DELETE FROM synonyms WHERE a = ? AND b = ?",
                                      &stmt, err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_text(stmt, 1, a, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, b, -1, SQLITE_STATIC);
    return dg_catalog_step_done(archive->db, stmt, err);
}

static dg_status insert_change(dg_archive *archive, const dg_actor *actor, const char *a,
                               const char *b, const char *word, const char *synonym,
                               const char *change, dg_error *err)
{
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(archive->db,
                                      "INSERT INTO synonyms(a, b, word, synonym, change, user_id,"
                                      " at) VALUES(?, ?, ?, ?, ?, ?, ?)",
                                      &stmt, err);
    if (st != DG_OK)
        return st;
    char now[32];
    dg_now_iso(now);
    sqlite3_bind_text(stmt, 1, a, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, b, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 3, word, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 4, synonym, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 5, change, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 6, actor->user_id);
    sqlite3_bind_text(stmt, 7, now, -1, SQLITE_STATIC);
    return dg_catalog_step_done(archive->db, stmt, err);
}

/* The index forms of word and synonym, a < b; refuses one word twice. */
static dg_status forms_of(const char *word, const char *synonym, char **a, char **b,
                          dg_error *err)
{
    const char *words[2] = {word, synonym};
    char *forms[2] = {NULL, NULL};
    dg_status st = dg_index_synonym_forms(words, 2, forms, err);
    if (st != DG_OK)
        return st;
    if (strcmp(forms[0], forms[1]) == 0) {
        free(forms[0]), free(forms[1]);
        return dg_error_set(err, DG_ERR_USAGE, "'%s' and '%s' are one word (as searched)", word,
                            synonym);
    }
    int swap = strcmp(forms[0], forms[1]) > 0;
    *a = forms[swap];
    *b = forms[!swap];
    return DG_OK;
}

typedef enum { CHANGE_ADD, CHANGE_REMOVE } change_kind;

/* Decides and stores one change inside the write transaction. */
static dg_status apply_change(dg_archive *archive, const dg_actor *actor, change_kind kind,
                              const char *word, const char *synonym, const char *a,
                              const char *b, dg_error *err)
{
    int found = 0, removed = 0;
    dg_status st = find_change(archive, a, b, &found, &removed, err);
    if (st != DG_OK)
        return st;
    pair_list shipped = {0};
    st = shipped_pairs(&shipped, err);
    if (st != DG_OK)
        return st;
    int is_shipped = find_pair(&shipped, a, b) != NULL;
    pair_list_free(&shipped);
    int in_force = found ? !removed : is_shipped;
    if (kind == CHANGE_ADD && in_force)
        return dg_error_set(err, DG_ERR_EXISTS, "'%s' and '%s' are synonyms already%s", word,
                            synonym, is_shipped ? " (dangan's thesaurus)" : "");
    if (kind == CHANGE_REMOVE && !in_force)
        return dg_error_set(err, DG_ERR_NOT_FOUND, "'%s' and '%s' are not synonyms", word,
                            synonym);
    if (found) /* undoing the archive's own change brings back what was shipped */
        st = delete_change(archive, a, b, err);
    if (st == DG_OK && kind == CHANGE_ADD && !is_shipped)
        st = insert_change(archive, actor, a, b, word, synonym, "added", err);
    if (st == DG_OK && kind == CHANGE_REMOVE && is_shipped)
        st = insert_change(archive, actor, a, b, word, synonym, "removed", err);
    if (st == DG_OK)
        st = bump_generation(archive, err);
    return st;
}

static dg_status change(dg_archive *archive, const dg_actor *actor, change_kind kind,
                        const char *word, const char *synonym, dg_error *err)
{
    const char *action = kind == CHANGE_ADD ? "synonyms add" : "synonyms remove";
    dg_status st = require_archivist(archive, actor, action, err);
    if (st != DG_OK)
        return st;
    if (!word || !synonym)
        return dg_error_set(err, DG_ERR_USAGE, "%s: needs a word and its synonym", action);
    char *a = NULL, *b = NULL;
    st = forms_of(word, synonym, &a, &b, err);
    if (st != DG_OK)
        return dg_error_prefix(err, "%s: ", action);
    st = dg_archive_lock_write(archive, err);
    if (st != DG_OK) {
        free(a), free(b);
        return st;
    }
    char detail[512];
    snprintf(detail, sizeof detail, "%s = %s", word, synonym);
    st = dg_catalog_begin_write(archive->db, err);
    if (st == DG_OK) {
        st = apply_change(archive, actor, kind, word, synonym, a, b, err);
        if (st == DG_OK) {
            dg_log_event ev = {.action = action, .hits = -1, .outcome = "ok", .detail = detail};
            st = dg_log_append_in_txn(archive, actor, NULL, &ev, err);
        }
        st = dg_catalog_end_write(archive->db, st, err);
    }
    dg_index *index = NULL;
    if (st == DG_OK)
        st = dg_archive_index_writer(archive, &index, err);
    if (st == DG_OK)
        st = dg_synonyms_sync(archive, index, 0, err);
    dg_archive_unlock_write(archive);
    free(a), free(b);
    if (st == DG_ERR_EXISTS || st == DG_ERR_NOT_FOUND) {
        dg_log_event ev = {.action = action, .hits = -1,
                           .outcome = st == DG_ERR_EXISTS ? "refused" : "not_found",
                           .detail = detail};
        dg_error ignored;
        dg_log_append(archive, actor, NULL, &ev, &ignored);
    }
    if (st != DG_OK)
        return dg_error_prefix(err, "%s: ", action);
    return DG_OK;
}

dg_status dg_synonyms_add(dg_archive *archive, const dg_actor *actor, const char *word,
                          const char *synonym, dg_error *err)
{
    return change(archive, actor, CHANGE_ADD, word, synonym, err);
}

dg_status dg_synonyms_remove(dg_archive *archive, const dg_actor *actor, const char *word,
                             const char *synonym, dg_error *err)
{
    return change(archive, actor, CHANGE_REMOVE, word, synonym, err);
}

/* ---- listing ------------------------------------------------------------------------- */

void dg_synonym_pairs_free(dg_synonym_pair *pairs, size_t n)
{
    if (!pairs)
        return;
    for (size_t i = 0; i < n; i++)
        free(pairs[i].word), free(pairs[i].synonym);
    free(pairs);
}

dg_status dg_synonyms_list(dg_archive *archive, const dg_actor *actor, const char *word,
                           dg_synonym_pair **out, size_t *n, dg_error *err)
{
    (void)actor; /* anyone with an account: the vocabulary is no record */
    *out = NULL;
    *n = 0;
    char *form = NULL;
    if (word) {
        dg_status st = dg_index_synonym_forms(&word, 1, &form, err);
        if (st != DG_OK)
            return dg_error_prefix(err, "synonyms list: ");
    }
    pair_list l;
    dg_status st = pairs_in_force(archive, &l, err);
    if (st != DG_OK) {
        free(form);
        return st;
    }
    dg_synonym_pair *pairs = calloc(l.n + 1, sizeof *pairs);
    size_t count = 0;
    for (size_t i = 0; pairs && i < l.n; i++) {
        pair *p = &l.items[i];
        if (form && strcmp(form, p->a) != 0 && strcmp(form, p->b) != 0)
            continue;
        pairs[count].word = p->word;
        pairs[count].synonym = p->synonym;
        pairs[count].shipped = p->shipped;
        p->word = p->synonym = NULL; /* moved */
        count++;
    }
    pair_list_free(&l);
    free(form);
    if (!pairs)
        return dg_error_set(err, DG_ERR_NOMEM, "synonyms: out of memory");
    *out = pairs;
    *n = count;
    return DG_OK;
}
