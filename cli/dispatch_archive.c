/*
 * dispatch_archive.c — the request handlers about the archive as a whole and its
 * accounts: whoami, user add, user set, user list, and verify (with --repair).
 */
#include "dispatch_archive.h"

#include "../engine/verify.h"

/* ---- users ------------------------------------------------------------------------ */

static dg_status parse_roles_arg(dg_request *c, const char *key, unsigned *roles, int *given)
{
    const char *text = dg_arg_str(c, key);
    *given = text != NULL;
    return text ? dg_roles_parse(text, roles, &c->err) : DG_OK;
}

dg_status dg_cmd_user_add(dg_request *c, json_t **result)
{
    const char *login;
    int clearance = -1, roles_given;
    unsigned roles = DG_ROLE_STAFF;
    dg_status st = dg_arg_require(c, "login", "a login name", &login);
    if (st == DG_OK)
        st = dg_arg_level(c, "clearance", &clearance);
    if (st == DG_OK && clearance < 0)
        st = dg_error_set(&c->err, DG_ERR_USAGE, "--clearance is required (0-4)");
    if (st == DG_OK)
        st = parse_roles_arg(c, "role", &roles, &roles_given);
    if (st == DG_OK)
        st = dg_user_add(c->archive, &c->actor, login, dg_arg_str(c, "name"), clearance, roles,
                         &c->err);
    if (st == DG_OK)
        *result = json_pack("{s:s}", "login", login);
    return st;
}

dg_status dg_cmd_user_set(dg_request *c, json_t **result)
{
    const char *login;
    int clearance = -1, roles_given, active = dg_arg_bool(c, "disable") ? 0 : 1;
    unsigned roles = 0;
    dg_status st = dg_arg_require(c, "login", "a login name", &login);
    if (st == DG_OK)
        st = dg_arg_level(c, "clearance", &clearance);
    if (st == DG_OK)
        st = parse_roles_arg(c, "role", &roles, &roles_given);
    if (st != DG_OK)
        return st;
    dg_user_change change = {
        .name = dg_arg_str(c, "name"),
        .clearance = clearance >= 0 ? &clearance : NULL,
        .roles = roles_given ? &roles : NULL,
        .active = dg_arg_bool(c, "disable") || dg_arg_bool(c, "enable") ? &active : NULL,
    };
    if (!change.name && !change.clearance && !change.roles && !change.active)
        return dg_error_set(&c->err, DG_ERR_USAGE, "user set %s: nothing to change", login);
    st = dg_user_update(c->archive, &c->actor, login, &change, &c->err);
    if (st == DG_OK)
        *result = json_pack("{s:s}", "login", login);
    return st;
}

static json_t *roles_json(unsigned roles)
{
    char buf[128];
    dg_roles_format(roles, buf, sizeof buf);
    return json_string(buf);
}

dg_status dg_cmd_user_list(dg_request *c, json_t **result)
{
    dg_user *users;
    size_t n;
    dg_status st = dg_user_list(c->archive, &c->actor, &users, &n, &c->err);
    if (st != DG_OK)
        return st;
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(list, json_pack("{s:s, s:s, s:i, s:o, s:b, s:s}", "login",
                                              users[i].login, "name", users[i].name,
                                              "clearance", users[i].clearance, "roles",
                                              roles_json(users[i].roles), "active",
                                              users[i].active, "created_at",
                                              users[i].created_at));
    dg_users_free(users, n);
    *result = json_pack("{s:o}", "users", list);
    return DG_OK;
}

dg_status dg_cmd_verify(dg_request *c, json_t **result)
{
    dg_verify_options opts = {.quick = dg_arg_bool(c, "quick"), .repair = dg_arg_bool(c, "repair")};
    dg_verify_report *r;
    dg_status st = dg_verify(c->archive, &c->actor, &opts, &r, &c->err);
    if (st != DG_OK)
        return st;
    json_t *problems = json_array(), *repairs = json_array();
    for (size_t i = 0; i < r->n_problems; i++)
        json_array_append_new(problems, json_pack("{s:s, s:s, s:s}", "kind",
                                                  dg_problem_kind_name(r->problems[i].kind),
                                                  "object", r->problems[i].object, "detail",
                                                  r->problems[i].detail));
    for (size_t i = 0; i < r->n_repairs; i++)
        json_array_append_new(repairs, json_string(r->repairs[i]));
    *result = json_pack("{s:I, s:I, s:I, s:o, s:o, s:o, s:o}", "objects_checked",
                        (json_int_t)r->objects_checked, "versions_checked",
                        (json_int_t)r->versions_checked, "index_documents",
                        (json_int_t)r->index_documents, "log",
                        r->log_checked ? json_pack("{s:I, s:s}", "entries",
                                                   (json_int_t)r->log_entries, "head", r->log_head)
                                       : json_null(),
                        "problems", problems, "repairs", repairs, "quick", json_boolean(opts.quick));
    if (r->n_problems) /* search could answer wrongly, or something stored is damaged */
        c->exit_override = 1;
    dg_verify_report_free(r);
    return DG_OK;
}

dg_status dg_cmd_whoami(dg_request *c, json_t **result)
{
    *result = json_pack("{s:s, s:s, s:i, s:o, s:s, s:s}", "login", c->actor.login, "name",
                        c->actor.name, "clearance", c->actor.clearance, "roles",
                        roles_json(c->actor.roles), "archive", dg_archive_name(c->archive),
                        "fonds", dg_archive_fonds(c->archive));
    return DG_OK;
}
