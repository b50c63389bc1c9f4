/*
 * dispatch_classify.h — the request handlers of the classification commands: the review
 * queue (review list, review accept, review threshold), corrections and the classifier's
 * measures (classify, classify --eval, classify --explain) and its keyword rules (rules
 * list, rules add, rules remove, rules reset). The command table (commands.c) names them;
 * each follows request.h's contract: read c->args, call ingest/learn.h and the engine as
 * c->actor, build the JSON result.
 */
#ifndef DG_DISPATCH_CLASSIFY_H
#define DG_DISPATCH_CLASSIFY_H

#include "request.h"

dg_status dg_cmd_review_list(dg_request *c, json_t **result);
dg_status dg_cmd_review_accept(dg_request *c, json_t **result);
dg_status dg_cmd_review_threshold(dg_request *c, json_t **result);
dg_status dg_cmd_classify(dg_request *c, json_t **result);
dg_status dg_cmd_classify_eval(dg_request *c, json_t **result);
dg_status dg_cmd_classify_explain(dg_request *c, json_t **result);
dg_status dg_cmd_rules_list(dg_request *c, json_t **result);
dg_status dg_cmd_rules_add(dg_request *c, json_t **result);
dg_status dg_cmd_rules_remove(dg_request *c, json_t **result);
dg_status dg_cmd_rules_reset(dg_request *c, json_t **result);

#endif
