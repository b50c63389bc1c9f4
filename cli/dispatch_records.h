/*
 * dispatch_records.h — the request handlers of one record (add, show, history, page,
 * edit, grant, revoke). The command table (commands.c) names them;
 * each follows request.h's contract: read c->args, call the engine as c->actor, build the
 * JSON result.
 */
#ifndef DG_DISPATCH_RECORDS_H
#define DG_DISPATCH_RECORDS_H

#include "request.h"

dg_status dg_cmd_add(dg_request *c, json_t **result);
dg_status dg_cmd_show(dg_request *c, json_t **result);
dg_status dg_cmd_history(dg_request *c, json_t **result);
dg_status dg_cmd_page(dg_request *c, json_t **result);
dg_status dg_cmd_edit(dg_request *c, json_t **result);
/* The records waiting under a provisional code for their year (engine/undated.h). */
dg_status dg_cmd_undated(dg_request *c, json_t **result);
dg_status dg_cmd_grant(dg_request *c, json_t **result);
dg_status dg_cmd_revoke(dg_request *c, json_t **result);

#endif
