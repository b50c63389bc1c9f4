/*
 * dispatch_search.h — the request handlers of full-text search and its synonyms
 * (search, reindex, synonyms add, synonyms remove, synonyms list). The command table
 * (commands.c) names them; each follows request.h's contract: read c->args, call the
 * engine as c->actor, build the JSON result.
 */
#ifndef DG_DISPATCH_SEARCH_H
#define DG_DISPATCH_SEARCH_H

#include "request.h"

dg_status dg_cmd_search(dg_request *c, json_t **result);
dg_status dg_cmd_reindex(dg_request *c, json_t **result);
dg_status dg_cmd_synonyms_add(dg_request *c, json_t **result);
dg_status dg_cmd_synonyms_remove(dg_request *c, json_t **result);
dg_status dg_cmd_synonyms_list(dg_request *c, json_t **result);

#endif
