/*
 * thesaurus.h — the thesaurus dangan ships: mainland, Taiwan and Hong Kong school and office
 * words that name the same thing (index/thesaurus.txt, compiled into the program by
 * scripts/embed-bytes.sh into $(BUILD)/gen/index/thesaurus.c at build time).
 *
 * Format: one group a line, words separated by '|', '#' starts a comment line. Every two
 * words of a group are a pair. The engine merges these pairs with an archive's own
 * additions and removals (engine/synonyms.h) and writes the result to the index
 * (dg_index_set_synonyms).
 */
#ifndef DG_THESAURUS_H
#define DG_THESAURUS_H

#include <stddef.h>

#include "../base/status.h"

extern const char dg_thesaurus_text[];
extern const size_t dg_thesaurus_len;

/*
 * The pairs of a thesaurus text: *words receives 2 * *n_pairs strings (word, synonym, word,
 * synonym, ...), words trimmed of surrounding spaces. A group with fewer than two words is
 * DG_ERR_USAGE naming its line. Free with dg_thesaurus_free().
 */
dg_status dg_thesaurus_pairs(const char *text, size_t len, char ***words, size_t *n_pairs,
                             dg_error *err);
void dg_thesaurus_free(char **words, size_t n_pairs);

#endif
