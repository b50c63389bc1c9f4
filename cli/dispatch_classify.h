/*
 * dispatch_classify.h — the request handlers of the classification commands (review,
 * classify, rules), called by dispatch.c's route table. Same contract as every handler
 * there: read args, call ingest/learn.h and the engine as the actor, build a JSON result.
 */
#ifndef DG_DISPATCH_CLASSIFY_H
#define DG_DISPATCH_CLASSIFY_H

#include <jansson.h>

#include "../base/status.h"
#include "../engine/user.h"
#include "dispatch.h"

/*
 * Runs the classification command cmd ("review list", "review accept", "review threshold",
 * "classify", "classify --eval", "classify --explain", "rules list", "rules add",
 * "rules remove", "rules reset"). DG_ERR_USAGE for a command it does not know.
 */
dg_status dg_dispatch_classify(const char *cmd, dg_archive *archive, const dg_actor *actor,
                               json_t *args, const dg_dispatch_io *io, json_t **result,
                               dg_error *err);

#endif
