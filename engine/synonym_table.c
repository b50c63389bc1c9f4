/*
 * synonym_table.c — the thesaurus in force (synonym_table.h): the pairs dangan ships, less
 * those the archive removed, plus those it added, with the index forms of their words; and
 * writing that table to an index whose stamp is out of date.
 */
#include "synonym_table.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../index/thesaurus.h"
#include "archive_internal.h"
#include "catalog.h"

static const char GENERATION_KEY[] = "synonyms_generation";

void dg_synonym_table_free(dg_synonym_table *l)
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
static dg_status pair_push(dg_synonym_table *l, char *word, char *synonym, char *fa, char *fb,
                           int shipped, dg_error *err)
{
    dg_synonym_form_pair *p = dg_grow((void **)&l->items, &l->n, &l->cap, sizeof *p);
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
    const dg_synonym_form_pair *p = x, *q = y;
    int c = strcmp(p->a, q->a);
    return c ? c : strcmp(p->b, q->b);
}

const dg_synonym_form_pair *dg_synonym_table_find(const dg_synonym_table *l, const char *a,
                                                  const char *b)
{
    dg_synonym_form_pair key = {.a = (char *)a, .b = (char *)b};
    return bsearch(&key, l->items, l->n, sizeof *l->items, pair_key_cmp);
}

/* The shipped pairs with their index forms, sorted by form, one per form pair. */
dg_status dg_synonym_table_shipped(dg_synonym_table *out, dg_error *err)
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
        dg_synonym_table_free(out);
        return dg_error_prefix(err, "shipped thesaurus: ");
    }
    qsort(out->items, out->n, sizeof *out->items, pair_key_cmp);
    size_t kept = 0; /* drop later duplicates of a form dg_synonym_form_pair */
    for (size_t i = 0; i < out->n; i++) {
        if (kept > 0 && pair_key_cmp(&out->items[kept - 1], &out->items[i]) == 0) {
            dg_synonym_form_pair *d = &out->items[i];
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
dg_status dg_synonym_table_in_force(dg_archive *archive, dg_synonym_table *out, dg_error *err)
{
    memset(out, 0, sizeof *out);
    dg_synonym_table shipped = {0};
    change_row *rows = NULL;
    size_t n_rows = 0;
    dg_status st = dg_synonym_table_shipped(&shipped, err);
    if (st == DG_OK)
        st = read_changes(archive, &rows, &n_rows, err);
    for (size_t i = 0; st == DG_OK && i < shipped.n; i++) {
        int removed = 0;
        for (size_t k = 0; k < n_rows; k++)
            removed |= rows[k].removed && strcmp(rows[k].a, shipped.items[i].a) == 0 &&
                       strcmp(rows[k].b, shipped.items[i].b) == 0;
        if (removed)
            continue;
        dg_synonym_form_pair *p = &shipped.items[i];
        st = pair_push(out, strdup(p->word), strdup(p->synonym), strdup(p->a), strdup(p->b), 1,
                       err);
    }
    for (size_t k = 0; st == DG_OK && k < n_rows; k++)
        if (!rows[k].removed)
            st = pair_push(out, strdup(rows[k].word), strdup(rows[k].synonym),
                           strdup(rows[k].a), strdup(rows[k].b), 0, err);
    dg_synonym_table_free(&shipped);
    changes_free(rows, n_rows);
    if (st != DG_OK)
        dg_synonym_table_free(out);
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
    dg_synonym_table l;
    st = dg_synonym_table_in_force(archive, &l, err);
    if (st != DG_OK)
        return st;
    const char **flat = calloc(2 * l.n + 1, sizeof *flat);
    if (!flat) {
        dg_synonym_table_free(&l);
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
    dg_synonym_table_free(&l);
    return st;
}
