/*
 * dispatch_passwd.c — `passwd` and `user passwd`: web passwords through the dispatcher, so
 * the socket, direct mode and the web's own "change my password" share one rule and one
 * log entry (engine/password.h).
 */
#include "dispatch_passwd.h"

#include <string.h>

#include "../engine/password.h"

dg_status dg_cmd_passwd(dg_request *c, json_t **result)
{
    const char *login = c->actor.login, *password = dg_arg_str(c, "password");
    if (!strcmp(c->cmd, "user passwd")) {
        dg_status st = dg_arg_require(c, "login", "a login name", &login);
        if (st != DG_OK)
            return st;
    }
    if (!password)
        return dg_error_set(&c->err, DG_ERR_USAGE, "a new password is required");
    int64_t epoch = 0;
    dg_status st = dg_password_set(c->archive, &c->actor, login, password, &epoch, &c->err);
    if (st == DG_OK)
        *result = json_pack("{s:s, s:I}", "login", login, "epoch", (json_int_t)epoch);
    return st;
}
