/*
 * dispatch_passwd.h — the request handler of `passwd` (an account sets its own web
 * password) and `user passwd LOGIN` (an admin sets another's). The command table
 * (commands.c) names it; it follows request.h's contract. The new password travels in
 * args.password; the command line reads it from the terminal without echo, or from
 * standard input (cli/passwd_cli.h).
 */
#ifndef DG_DISPATCH_PASSWD_H
#define DG_DISPATCH_PASSWD_H

#include "request.h"

/* Runs "passwd" or "user passwd" as the actor; the result is {"login": L, "epoch": N}. */
dg_status dg_cmd_passwd(dg_request *c, json_t **result);

#endif
