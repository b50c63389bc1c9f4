/*
 * passwd_cli.h — the command line's side of `passwd` and `user passwd`: reading the new
 * web password (from the terminal without echo, twice; or one line of standard input, for
 * scripts) into the request, and showing the answer. The server side is dispatch_passwd.h.
 */
#ifndef DG_PASSWD_CLI_H
#define DG_PASSWD_CLI_H

#include <jansson.h>
#include <stddef.h>

#include "commands.h"

/*
 * For the commands "passwd" and "user passwd": reads the new password and sets
 * args.password in request. Other commands are left alone. Returns 0 with a message in msg
 * when no password could be read (end of input, the two entries differ).
 */
int dg_passwd_cli_fill(const char *cmd, json_t *request, char *msg, size_t msg_size);

/* Renders the answer: whose password was set and that their web sessions ended. */
void dg_render_passwd(json_t *r, const dg_render_ctx *ctx);

#endif
