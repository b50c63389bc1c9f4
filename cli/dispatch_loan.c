/*
 * dispatch_loan.c — the request handlers of the loan register (loan request, list,
 * approve, refuse, out, return, overdue, register), of relatives (user relate) and of
 * watermarked exports (export). The engine (engine/loan.h) decides and logs; these read
 * the arguments and build the JSON results. An export's pages are watermarked here, in the
 * process that holds the archive, before they leave it (request.h, dg_request_page).
 */
#include "dispatch_loan.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../engine/loan.h"

static json_t *loan_json(const dg_loan *l)
{
    json_t *o = json_pack("{s:I, s:s, s:s, s:s, s:i, s:i}", "id", (json_int_t)l->id, "kind",
                          l->kind ? l->kind : "", "state", l->state ? l->state : "", "refcode",
                          l->refcode ? l->refcode : "", "days", l->days, "days_overdue",
                          l->days_overdue);
    struct {
        const char *key, *value;
    } fields[] = {{"title", l->title},       {"borrower", l->borrower},
                  {"login", l->borrower_login}, {"unit", l->unit},
                  {"id_number", l->id_number}, {"purpose", l->purpose},
                  {"method", l->method},     {"requested_at", l->requested_at},
                  {"approver", l->approver}, {"decided_at", l->decided_at},
                  {"reason", l->reason},     {"out_at", l->out_at},
                  {"due_at", l->due_at},     {"returned_at", l->returned_at},
                  {"condition", l->condition}, {"handled_by", l->handled_by}};
    for (size_t i = 0; o && i < sizeof fields / sizeof fields[0]; i++)
        json_object_set_new(o, fields[i].key, dg_json_str_or_null(fields[i].value));
    return o;
}

static dg_status list_loans(dg_request *c, const dg_loan_filter *filter, json_t **result)
{
    dg_loan *loans = NULL;
    size_t n = 0;
    dg_status st = dg_loan_list(c->archive, &c->actor, filter, &loans, &n, &c->err);
    if (st != DG_OK)
        return st;
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(list, loan_json(&loans[i]));
    dg_loans_free(loans, n);
    *result = json_pack("{s:o}", "loans", list);
    return *result ? DG_OK : dg_error_set(&c->err, DG_ERR_NOMEM, "loan: out of memory");
}

dg_status dg_cmd_loan_request(dg_request *c, json_t **result)
{
    const char *ref, *purpose, *method;
    dg_status st = dg_arg_require(c, "refcode", "a reference code", &ref);
    if (st == DG_OK)
        st = dg_arg_require(c, "purpose", "--purpose", &purpose);
    if (st == DG_OK)
        st = dg_arg_require(c, "method", "--method (read, copy or excerpt)", &method);
    int64_t id = 0;
    if (st == DG_OK)
        st = dg_loan_request(c->archive, &c->actor, ref, purpose, method,
                             dg_arg_int(c, "days", 7), &id, &c->err);
    if (st == DG_OK)
        *result = json_pack("{s:I, s:s, s:s, s:i, s:s}", "id", (json_int_t)id, "refcode", ref,
                            "method", method, "days", dg_arg_int(c, "days", 7), "state",
                            "pending");
    return st;
}

dg_status dg_cmd_loan_list(dg_request *c, json_t **result)
{
    dg_loan_filter f = {.pending = dg_arg_bool(c, "pending"), .refcode = dg_arg_str(c, "record")};
    return list_loans(c, &f, result);
}

dg_status dg_cmd_loan_overdue(dg_request *c, json_t **result)
{
    dg_loan_filter f = {.overdue = 1};
    return list_loans(c, &f, result);
}

dg_status dg_cmd_loan_register(dg_request *c, json_t **result)
{
    int year = dg_arg_int(c, "year", 0);
    if (year < 1900 || year > 9999)
        return dg_error_set(&c->err, DG_ERR_USAGE, "loan register: --year YYYY is required");
    dg_loan_filter f = {.year = year};
    dg_status st = list_loans(c, &f, result);
    if (st == DG_OK)
        json_object_set_new(*result, "year", json_integer(year));
    return st;
}

static dg_status decide(dg_request *c, json_t **result, int approve)
{
    int id = dg_arg_int(c, "id", 0);
    if (id <= 0)
        return dg_error_set(&c->err, DG_ERR_USAGE, "loan: a loan number is required");
    dg_status st = dg_loan_decide(c->archive, &c->actor, id, approve, dg_arg_int(c, "days", 0),
                                  dg_arg_str(c, "reason"), &c->err);
    if (st == DG_OK)
        *result = json_pack("{s:i, s:s}", "id", id, "state", approve ? "approved" : "refused");
    return st;
}

dg_status dg_cmd_loan_approve(dg_request *c, json_t **result) { return decide(c, result, 1); }
dg_status dg_cmd_loan_refuse(dg_request *c, json_t **result) { return decide(c, result, 0); }

dg_status dg_cmd_loan_out(dg_request *c, json_t **result)
{
    dg_paper_loan in = {
        .refcode = dg_arg_str(c, "refcode"), .borrower = dg_arg_str(c, "borrower"),
        .unit = dg_arg_str(c, "unit"), .id_number = dg_arg_str(c, "id_number"),
        .purpose = dg_arg_str(c, "purpose"), .method = dg_arg_str(c, "method"),
        .due = dg_arg_str(c, "due"), .approver = dg_arg_str(c, "approver"),
    };
    if (!in.refcode)
        return dg_error_set(&c->err, DG_ERR_USAGE, "loan out: a reference code is required");
    int64_t id = 0;
    dg_status st = dg_loan_out(c->archive, &c->actor, &in, &id, &c->err);
    if (st == DG_OK)
        *result = json_pack("{s:I, s:s, s:s, s:s}", "id", (json_int_t)id, "refcode", in.refcode,
                            "state", "out", "due", in.due);
    return st;
}

dg_status dg_cmd_loan_return(dg_request *c, json_t **result)
{
    int id = dg_arg_int(c, "id", 0);
    if (id <= 0)
        return dg_error_set(&c->err, DG_ERR_USAGE, "loan return: a loan number is required");
    dg_status st = dg_loan_return(c->archive, &c->actor, id, dg_arg_str(c, "condition"), &c->err);
    if (st == DG_OK)
        *result = json_pack("{s:i, s:s}", "id", id, "state", "returned");
    return st;
}

dg_status dg_cmd_user_relate(dg_request *c, json_t **result)
{
    const char *login, *person;
    dg_status st = dg_arg_require(c, "login", "a user", &login);
    if (st == DG_OK)
        st = dg_arg_require(c, "person", "a person's name", &person);
    int remove = dg_arg_bool(c, "remove");
    if (st == DG_OK)
        st = dg_loan_relate(c->archive, &c->actor, login, person, dg_arg_str(c, "relation"),
                            remove, &c->err);
    if (st == DG_OK)
        *result = json_pack("{s:s, s:s, s:b}", "login", login, "person", person, "related",
                            !remove);
    return st;
}

/* Sheet want->sheet of page want->seq as a JSON item of the export: the PNG in base64;
 * *sheets how many the page has (an original kept as a file is laid out on several). */
static dg_status export_item(dg_request *c, const dg_export *ex, const dg_page_want *want,
                             json_t *pages, int *sheets)
{
    void *data = NULL;
    size_t len = 0;
    char *mime = NULL;
    dg_status st = dg_request_page(c, ex, want, &data, &len, &mime, sheets);
    if (st != DG_OK)
        return st;
    json_t *b64 = dg_json_base64(data, len);
    if (b64)
        json_array_append_new(pages, json_pack("{s:i, s:i, s:o}", "seq", want->seq, "sheet",
                                               want->sheet, "data", b64));
    free(data);
    free(mime);
    return b64 ? DG_OK : dg_error_set(&c->err, DG_ERR_NOMEM, "export: out of memory");
}

/* Every page, and every sheet of an original's rendering, in order. */
static dg_status export_pages(dg_request *c, const dg_export *ex, json_t *pages)
{
    dg_status st = DG_OK;
    for (int seq = 1; st == DG_OK && seq <= ex->n_pages; seq++) {
        int sheets = 1;
        for (int sheet = 1; st == DG_OK && sheet <= sheets; sheet++) {
            dg_page_want want = {.seq = seq, .sheet = sheet};
            st = export_item(c, ex, &want, pages, &sheets);
        }
    }
    return st;
}

dg_status dg_cmd_export(dg_request *c, json_t **result)
{
    const char *ref;
    dg_status st = dg_arg_require(c, "refcode", "a reference code", &ref);
    if (st == DG_OK && !dg_arg_str(c, "pdf"))
        st = dg_error_set(&c->err, DG_ERR_USAGE, "export: --pdf FILE is required");
    dg_export ex;
    if (st == DG_OK)
        st = dg_export_begin(c->archive, &c->actor, ref, dg_arg_int(c, "version", 0), "export",
                             "pdf", DG_EXPORT_COPY, &ex, &c->err);
    if (st != DG_OK)
        return st;
    json_t *pages = json_array();
    st = export_pages(c, &ex, pages);
    if (st != DG_OK) {
        json_decref(pages);
        return st;
    }
    *result = json_pack("{s:s, s:i, s:I, s:o}", "refcode", ref, "version", ex.version,
                        "log_entry", (json_int_t)ex.log_entry, "pages", pages);
    return *result ? DG_OK : dg_error_set(&c->err, DG_ERR_NOMEM, "export: out of memory");
}
