/*
 * dispatch_archive.h — the request handlers about the archive as a whole and its
 * accounts (whoami, user add, user set, user list, verify). The command table
 * (commands.c) names them; each follows request.h's contract: read c->args, call the
 * engine as c->actor, build the JSON result.
 */
#ifndef DG_DISPATCH_ARCHIVE_H
#define DG_DISPATCH_ARCHIVE_H

#include "request.h"

dg_status dg_cmd_whoami(dg_request *c, json_t **result);
dg_status dg_cmd_user_add(dg_request *c, json_t **result);
dg_status dg_cmd_user_set(dg_request *c, json_t **result);
dg_status dg_cmd_user_list(dg_request *c, json_t **result);
dg_status dg_cmd_verify(dg_request *c, json_t **result);

#endif
