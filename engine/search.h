/*
 * search.h — full-text search as an actor.
 *
 * Only versions the actor may see are matched, counted, faceted and quoted: the index
 * enforces clearance inside its query (index/index.h), and each hit is looked up again in
 * the catalog under the same rule before anything about it is given out. Records whose
 * destruction has begun are left out even while their index documents remain. Every
 * search is logged with its query, its hit count and the hits it showed.
 */
#ifndef DG_SEARCH_H
#define DG_SEARCH_H

#include <stddef.h>
#include <stdint.h>

#include "../index/index.h"
#include "actor.h"
#include "../base/status.h"

typedef struct dg_archive dg_archive;

/* One search hit, with the catalog's metadata of its version. */
typedef struct dg_search_hit {
    char *refcode, *title, *category, *record_type, *doc_number, *doc_date, *period;
    int year, level, version, is_current;
    double score;
    char *snippet;
} dg_search_hit;

typedef struct dg_search_result {
    uint64_t total;
    dg_search_hit *hits;
    size_t n_hits;
    dg_facet_count *by_category, *by_year, *by_period;
    size_t n_category, n_year, n_period;
} dg_search_result;

/*
 * Searches as the actor: only versions the actor may see are matched, counted, faceted
 * and quoted. Logged with the query text and hit count. Free with dg_search_result_free().
 */
dg_status dg_search(dg_archive *archive, const dg_actor *actor, const dg_index_query *query,
                    const char *hl_start, const char *hl_end, dg_search_result **out,
                    dg_error *err);
void dg_search_result_free(dg_search_result *result);

#endif
