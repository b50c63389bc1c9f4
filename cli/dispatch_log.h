/*
 * dispatch_log.h — the request handlers of the access-log commands (log, log verify,
 * log checkpoint, log prove, log cosign), called by dispatch.c's route table, and the
 * checkpoint a process signs after a destruction. Same contract as every handler there:
 * read args, call engine/log.h as the actor, build a JSON result.
 *
 * Signing keys reach a handler only as descriptors the client opened (args.log_key,
 * args.auditor_key) or as the server's own key (io->log_key); a key file inside the archive
 * folder is refused, since whoever can copy the archive could then sign for it.
 */
#ifndef DG_DISPATCH_LOG_H
#define DG_DISPATCH_LOG_H

#include <jansson.h>

#include "../base/status.h"
#include "../engine/user.h"
#include "dispatch.h"

/*
 * Runs the log command cmd. Returns DG_ERR_USAGE for a command it does not know.
 * *exit_override is set to 1 when a check found the log broken or not extending a
 * checkpoint.
 */
dg_status dg_dispatch_log(const char *cmd, dg_archive *archive, const dg_actor *actor,
                          json_t *args, const dg_dispatch_io *io, json_t **result,
                          int *exit_override, dg_error *err);

/*
 * Signs a checkpoint with io->log_key and appends it to the file io->checkpoints (if set).
 * Called after every destruction, and by the server every few minutes. *note may be NULL.
 */
dg_status dg_dispatch_log_sign(dg_archive *archive, const dg_dispatch_io *io, char **note,
                               dg_error *err);

/* Appends a signed checkpoint to the file at path (created 0600; one write, fsynced). */
dg_status dg_dispatch_log_keep(const char *path, const char *note, dg_error *err);

/*
 * Refuses a key file that lies inside the archive folder (fd is the open key file).
 */
dg_status dg_dispatch_key_outside_archive(dg_archive *archive, int fd, const char *name,
                                          dg_error *err);

#endif
