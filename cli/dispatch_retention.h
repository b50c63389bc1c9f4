/*
 * dispatch_retention.h — the request handlers of the retention commands: the schedule
 * (schedule list, set, import), holds (hold add, release, list), the annual review
 * (retention due, review, list, appraise, approve, witness, destroy) and the destruction
 * register (register list). The command table (commands.c) names them; each follows
 * request.h's contract: read c->args, call retention/ as c->actor, build the JSON result.
 * register list sets c->exit_override to 1 when an entry fails its hash.
 */
#ifndef DG_DISPATCH_RETENTION_H
#define DG_DISPATCH_RETENTION_H

#include "request.h"

dg_status dg_cmd_schedule_list(dg_request *c, json_t **result);
dg_status dg_cmd_schedule_set(dg_request *c, json_t **result);
dg_status dg_cmd_schedule_import(dg_request *c, json_t **result);
dg_status dg_cmd_hold_add(dg_request *c, json_t **result);
dg_status dg_cmd_hold_release(dg_request *c, json_t **result);
dg_status dg_cmd_hold_list(dg_request *c, json_t **result);
dg_status dg_cmd_retention_due(dg_request *c, json_t **result);
dg_status dg_cmd_retention_review(dg_request *c, json_t **result);
dg_status dg_cmd_retention_list(dg_request *c, json_t **result);
dg_status dg_cmd_retention_appraise(dg_request *c, json_t **result);
dg_status dg_cmd_retention_approve(dg_request *c, json_t **result);
dg_status dg_cmd_retention_witness(dg_request *c, json_t **result);
dg_status dg_cmd_retention_destroy(dg_request *c, json_t **result);
dg_status dg_cmd_register_list(dg_request *c, json_t **result);

#endif
