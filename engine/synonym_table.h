/*
 * synonym_table.h — the thesaurus in force, as the index needs it. Private to engine/.
 *
 * The catalog keeps the archive's changes (table synonyms) and the shipped pairs come with
 * the program (index/thesaurus.txt); the table in force is the shipped pairs, less those
 * removed, plus those added, each pair by the index forms of its words (traditional and
 * simplified script, full and half width, upper and lower case folded: 報銷 is 报销). The
 * index keeps it in Xapian's synonym table, stamped with what it was made from; the write
 * lock (lock.c) and every rebuild (indexer.c) write it again when the stamp differs. The
 * archive's own changes, with their role check and log entries, are synonyms.c.
 */
#ifndef DG_SYNONYM_TABLE_H
#define DG_SYNONYM_TABLE_H

#include <stddef.h>

#include "../index/index.h"
#include "../base/status.h"

typedef struct dg_archive dg_archive;

/* One pair with the index forms of its words (a < b) and where it comes from. */
typedef struct dg_synonym_form_pair {
    char *word, *synonym; /* as written */
    char *a, *b;          /* index forms, a < b */
    int shipped;
} dg_synonym_form_pair;

/* Pairs, sorted by their forms where a function says so. Free with dg_synonym_table_free. */
typedef struct dg_synonym_table {
    dg_synonym_form_pair *items;
    size_t n, cap;
} dg_synonym_table;

void dg_synonym_table_free(dg_synonym_table *table);

/* The shipped pairs with their index forms, sorted by form, one per form pair. */
dg_status dg_synonym_table_shipped(dg_synonym_table *out, dg_error *err);

/* The pair of forms (a, b), a < b, in a table sorted by form; NULL when absent. */
const dg_synonym_form_pair *dg_synonym_table_find(const dg_synonym_table *table, const char *a,
                                                  const char *b);

/* The pairs in force: shipped ones not removed, then the archive's additions. */
dg_status dg_synonym_table_in_force(dg_archive *archive, dg_synonym_table *out, dg_error *err);

/*
 * Writes the table in force to index, and commits it, when the index's stamp is not the
 * table's (or always, with force). The caller holds the write lock and index is writable.
 */
dg_status dg_synonyms_sync(dg_archive *archive, dg_index *index, int force, dg_error *err);

#endif
