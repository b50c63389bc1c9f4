/*
 * dispatch_ingest.h — the request handlers of batches (ingest, batch list, batch
 * show, quarantine list). The command table (commands.c) names them;
 * each follows request.h's contract: read c->args, call the engine as c->actor, build the
 * JSON result.
 */
#ifndef DG_DISPATCH_INGEST_H
#define DG_DISPATCH_INGEST_H

#include "request.h"

dg_status dg_cmd_ingest(dg_request *c, json_t **result);
dg_status dg_cmd_batch_list(dg_request *c, json_t **result);
dg_status dg_cmd_batch_show(dg_request *c, json_t **result);
dg_status dg_cmd_quarantine_list(dg_request *c, json_t **result);

#endif
