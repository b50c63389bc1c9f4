/*
 * synonyms.h — the archive's thesaurus: the pairs dangan ships (index/thesaurus.txt:
 * mainland, Taiwan and Hong Kong school and office words for the same thing) with the
 * archive's own additions and removals.
 *
 * The catalog is the source of truth: it keeps the archive's changes (table synonyms), the
 * shipped pairs come with the program. The index keeps the merged table in Xapian's synonym
 * table, where queries expand their words (index/index.h), stamped with what it was made
 * from; whenever the archive is opened for writing, and after every reindex, an index whose
 * stamp differs gets the table written again (synonym_table.h), so a rebuilt index, or a
 * newer dangan with a larger thesaurus, never searches with a stale one.
 *
 * Two words are the same synonym when their index forms agree (traditional and simplified
 * script, full and half width, upper and lower case: 報銷 is 报销). Changes are for
 * archivists and admins and each is logged ("synonyms add", "synonyms remove").
 */
#ifndef DG_SYNONYMS_H
#define DG_SYNONYMS_H

#include <stddef.h>

#include "archive.h"
#include "../base/status.h"
#include "user.h"

typedef struct dg_synonym_pair {
    char *word, *synonym; /* as typed by the archivist, or as the thesaurus writes them */
    int shipped;          /* 1: from dangan's thesaurus; 0: added by this archive */
} dg_synonym_pair;

/*
 * Makes word and synonym find each other. DG_ERR_EXISTS when they already do (shipped or
 * added), DG_ERR_USAGE when they are one word or hold characters other than letters,
 * digits, spaces and hyphens, DG_ERR_DENIED for anyone but an archivist or admin.
 */
dg_status dg_synonyms_add(dg_archive *archive, const dg_actor *actor, const char *word,
                          const char *synonym, dg_error *err);

/* Undoes a pair, shipped or added. DG_ERR_NOT_FOUND when they are not synonyms. */
dg_status dg_synonyms_remove(dg_archive *archive, const dg_actor *actor, const char *word,
                             const char *synonym, dg_error *err);

/*
 * The pairs in force (shipped, less those removed, and those added), or only those with
 * word on either side when word is not NULL. Anyone with an account may list. Free with
 * dg_synonym_pairs_free().
 */
dg_status dg_synonyms_list(dg_archive *archive, const dg_actor *actor, const char *word,
                           dg_synonym_pair **out, size_t *n, dg_error *err);
void dg_synonym_pairs_free(dg_synonym_pair *pairs, size_t n);

#endif
