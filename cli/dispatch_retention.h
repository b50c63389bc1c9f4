/*
 * dispatch_retention.h — the request handlers of the retention commands (schedule, hold,
 * retention, register), called by dispatch.c's route table. Same contract as every
 * handler there: read args, call retention/ as the actor, build a JSON result.
 */
#ifndef DG_DISPATCH_RETENTION_H
#define DG_DISPATCH_RETENTION_H

#include <jansson.h>

#include "../base/status.h"
#include "../engine/user.h"
#include "dispatch.h"

/*
 * Runs the retention command cmd ("schedule list", "retention destroy", ...). Returns
 * DG_ERR_USAGE for a command it does not know. *exit_override may be set to 1 when a
 * check found problems (a register entry that fails its hash).
 */
dg_status dg_dispatch_retention(const char *cmd, dg_archive *archive, const dg_actor *actor,
                                json_t *args, const dg_dispatch_io *io, json_t **result,
                                int *exit_override, dg_error *err);

#endif
