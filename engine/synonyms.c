/*
 * synonyms.c — the archive's changes to the thesaurus (synonyms.h): adding and removing
 * pairs, each logged, and listing the pairs in force. The table in force and its sync to
 * the index are synonym_table.c.
 */
#include "synonyms.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive_internal.h"
#include "catalog.h"
#include "lock.h"
#include "log.h"
#include "synonym_table.h"
#include "user.h"

/* ---- changes ------------------------------------------------------------------------- */

static dg_status require_archivist(dg_archive *archive, const dg_actor *actor,
                                   const char *action, dg_error *err)
{
    dg_log_event refusal = {.action = action, .detail = "not an archivist or admin"};
    return dg_require_role(archive, actor, DG_ROLE_ARCHIVIST | DG_ROLE_ADMIN, &refusal, err,
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
    dg_synonym_table shipped = {0};
    st = dg_synonym_table_shipped(&shipped, err);
    if (st != DG_OK)
        return st;
    int is_shipped = dg_synonym_table_find(&shipped, a, b) != NULL;
    dg_synonym_table_free(&shipped);
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
    dg_synonym_table l;
    dg_status st = dg_synonym_table_in_force(archive, &l, err);
    if (st != DG_OK) {
        free(form);
        return st;
    }
    dg_synonym_pair *pairs = calloc(l.n + 1, sizeof *pairs);
    size_t count = 0;
    for (size_t i = 0; pairs && i < l.n; i++) {
        dg_synonym_form_pair *p = &l.items[i];
        if (form && strcmp(form, p->a) != 0 && strcmp(form, p->b) != 0)
            continue;
        pairs[count].word = p->word;
        pairs[count].synonym = p->synonym;
        pairs[count].shipped = p->shipped;
        p->word = p->synonym = NULL; /* moved */
        count++;
    }
    dg_synonym_table_free(&l);
    free(form);
    if (!pairs)
        return dg_error_set(err, DG_ERR_NOMEM, "synonyms: out of memory");
    *out = pairs;
    *n = count;
    return DG_OK;
}
