/*
 * dispatch.c — the request API: finds a request's command in the command table
 * (commands.h), logs the acting user in, runs the command's handler (dispatch_*.c) and
 * wraps its result or failure as a response. After a destruction it signs a checkpoint
 * when the process holds the log's key. Handlers never print and never decide exit codes
 * beyond the status mapping in status.h (and exit 1 for a check that found problems).
 */
#include "dispatch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/utf8.h"
#include "../engine/log.h"
#include "../engine/refcode.h"
#include "commands.h"
#include "dispatch_log.h"


/*
 * A message may quote bytes that came from outside (a title stored before dangan checked
 * its encoding, a file name): JSON strings must be UTF-8, and jansson refuses anything
 * else, which used to leave no response at all and the user reading "(null)" with exit 0.
 * Each byte that does not begin a valid sequence becomes '?', so the message still names
 * the record and the reason.
 */
static char *printable_message(const char *message)
{
    const char *m = message && *message ? message : "failed without a message (a bug)";
    size_t len = strlen(m);
    char *out = strdup(m);
    if (!out)
        return NULL;
    size_t at = 0;
    while (at < len) {
        at += dg_utf8_invalid_at(out + at, len - at);
        if (at < len)
            out[at++] = '?';
    }
    return out;
}

json_t *dg_response_error(dg_status status, const char *message)
{
    if (status == DG_OK) /* a failure reported with no status is still a failure */
        status = DG_ERR_INTERNAL;
    char *text = printable_message(message);
    json_t *response = json_pack("{s:b, s:i, s:s, s:s}", "ok", 0, "exit",
                                 dg_status_exit_code(status), "status", dg_status_name(status),
                                 "error", text ? text : "out of memory");
    free(text);
    return response;
}

/* A request command: one with a handler (init, serve and log keygen are not requests). */
static const dg_command *request_command(const char *name)
{
    const dg_command *cmd = dg_command_named(name);
    return cmd && cmd->handler ? cmd : NULL;
}

int dg_dispatch_is_read_only(const char *cmd)
{
    const dg_command *c = request_command(cmd);
    return c && (c->flags & DG_CMD_READ_ONLY);
}

/* A reference code is accepted as people type it (X001-CW.2023-D30-0001): every argument
 * that names a record is brought to the stored form before any handler sees it. */
static void normalize_refcodes(json_t *args)
{
    static const char *const keys[] = {"refcode", "record"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        const char *typed = json_string_value(json_object_get(args, keys[i]));
        if (!typed)
            continue;
        char code[DG_REFCODE_MAX];
        dg_refcode_normalize(typed, code);
        json_object_set_new(args, keys[i], json_string(code));
    }
}

/* Every destruction is followed by a signed checkpoint, when this process holds the log's
 * key: the register can then cite a log head nobody can later rewrite. A failure to sign
 * is reported beside the result; the destruction itself stands. */
static void sign_checkpoint_into(const dg_request *c, json_t *result)
{
    char *note = NULL;
    dg_error sign_err;
    if (dg_dispatch_log_sign(c->archive, c->io, &note, &sign_err) == DG_OK && note)
        json_object_set_new(result, "checkpoint", json_string(note));
    else
        json_object_set_new(result, "checkpoint_error", json_string(sign_err.msg));
    free(note);
}

/* Runs the handler as the logged-in actor, with the client's progress handler in place. */
static dg_status run_handler(const dg_command *cmd, dg_request *c, const char *os_login,
                             const char *origin, json_t **result)
{
    if (c->io->progress)
        dg_archive_set_progress_handler(c->archive, c->io->progress, c->io->progress_ctx);
    dg_status st = dg_actor_login(c->archive, os_login, origin, &c->actor, &c->err);
    if (st == DG_OK)
        st = cmd->handler(c, result);
    dg_archive_set_progress_handler(c->archive, NULL, NULL);
    return st;
}

json_t *dg_dispatch(dg_archive *archive, const char *os_login, const char *origin,
                    json_t *request, const dg_dispatch_io *io)
{
    const char *name = json_string_value(json_object_get(request, "cmd"));
    json_t *args = json_object_get(request, "args");
    const dg_command *cmd = request_command(name);
    if (!cmd || (args && !json_is_object(args))) {
        char msg[128];
        snprintf(msg, sizeof msg, "%.60s: unknown request", name ? name : "(none)");
        return dg_response_error(DG_ERR_USAGE, msg);
    }
    normalize_refcodes(args);
    static const dg_dispatch_io no_io = {0};
    dg_request c = {.cmd = cmd->name, .archive = archive, .args = args,
                    .io = io ? io : &no_io, .exit_override = -1};
    dg_error_clear(&c.err);
    json_t *result = NULL;
    dg_log_group_request(archive, 1); /* the log's commit window (log.h) */
    dg_status st = run_handler(cmd, &c, os_login, origin, &result);
    dg_log_group_request(archive, 0);
    if (st != DG_OK) {
        json_decref(result);
        return dg_response_error(st, c.err.msg);
    }
    if (result && c.io->log_key && (cmd->flags & DG_CMD_SIGNS_CHECKPOINT))
        sign_checkpoint_into(&c, result);
    if (!result) {
        char msg[256];
        snprintf(msg, sizeof msg,
                 "%.60s: could not build the response: out of memory, or text in the catalog "
                 "that is not valid UTF-8 (run 'dangan verify')",
                 cmd->name);
        return dg_response_error(DG_ERR_INTERNAL, msg);
    }
    int exit_code = c.exit_override >= 0 ? c.exit_override : 0;
    return json_pack("{s:b, s:i, s:o}", "ok", 1, "exit", exit_code, "result", result);
}
