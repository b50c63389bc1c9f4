/*
 * dispatch_log.h — the request handlers of the access-log commands (log, log mine, log report,
 * log timezone, log verify, log checkpoint, log prove, log cosign), and the checkpoint a
 * process signs after a destruction. The command table (commands.c) names the handlers;
 * each follows request.h's contract: read c->args, call engine/log.h as c->actor, build
 * the JSON result. log verify and log prove set c->exit_override to 1 when the log is
 * broken, does not extend a checkpoint, or lacks the entry.
 *
 * Signing keys reach a handler only as descriptors the client opened (args.log_key,
 * args.auditor_key) or as the server's own key (io->log_key); a key file inside the archive
 * folder is refused, since whoever can copy the archive could then sign for it.
 */
#ifndef DG_DISPATCH_LOG_H
#define DG_DISPATCH_LOG_H

#include "request.h"

dg_status dg_cmd_log(dg_request *c, json_t **result);
/* log mine: the caller's own recent entries (any account). */
dg_status dg_cmd_log_mine(dg_request *c, json_t **result);
dg_status dg_cmd_log_report(dg_request *c, json_t **result);
dg_status dg_cmd_log_timezone(dg_request *c, json_t **result);
dg_status dg_cmd_log_verify(dg_request *c, json_t **result);
dg_status dg_cmd_log_checkpoint(dg_request *c, json_t **result);
dg_status dg_cmd_log_prove(dg_request *c, json_t **result);
dg_status dg_cmd_log_cosign(dg_request *c, json_t **result);

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
