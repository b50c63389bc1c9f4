/*
 * web_loans.c — the loan pages (借阅, web_loans.h): my loans and the request form, a
 * leader's queue of requests, an archivist's paper originals out and back, the register,
 * and the forms' POSTs, each one request through the dispatcher as `dangan loan` makes it.
 */
#include "web_loans.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../base/fileio.h"
#include "../engine/vocab.h"
#include "render_loan.h"
#include "web_common.h"

/* The method's name in the page's language (the register's codes are read, copy, ...). */
static const char *method_word(const dg_web_page *p, const char *method)
{
    static const struct {
        const char *code;
        dg_web_word word;
    } methods[] = {{"read", W_M_READ}, {"copy", W_M_COPY}, {"excerpt", W_M_EXCERPT},
                   {"loan", W_M_LOAN}};
    for (size_t i = 0; method && i < sizeof methods / sizeof methods[0]; i++)
        if (!strcmp(method, methods[i].code))
            return dg_web_tr(p, methods[i].word);
    return method ? method : "";
}

static void method_select(dg_web_page *p, int paper)
{
    dg_buf_printf(&p->body, "<label>%s <select name=\"method\" id=\"loan-method\">",
                  dg_web_tr(p, W_METHOD));
    dg_web_option(p, "read", dg_web_tr(p, W_M_READ), NULL);
    dg_web_option(p, "copy", dg_web_tr(p, W_M_COPY), NULL);
    dg_web_option(p, "excerpt", dg_web_tr(p, W_M_EXCERPT), NULL);
    if (paper)
        dg_web_option(p, "loan", dg_web_tr(p, W_M_LOAN), "loan");
    dg_buf_puts(&p->body, "</select></label>");
}

/* A text field of a loan form; value (may be NULL) fills it in. */
static void loan_field(dg_web_page *p, const char *name, dg_web_word label, const char *value,
                       int required)
{
    dg_buf_printf(&p->body, "<label>%s <input name=\"%s\" id=\"loan-%s\"%s value=\"",
                  dg_web_tr(p, label), name, name, required ? " required" : "");
    dg_buf_text(&p->body, value ? value : "");
    dg_buf_puts(&p->body, "\"></label>");
}

/* A loan form's heading and opening, with its CSRF token; action is /loans/<what>. */
static void loan_form_open(dg_web_page *p, const char *what, const char *id, dg_web_word title)
{
    dg_buf_printf(&p->body, "<h2>%s</h2><form method=\"post\" action=\"/loans/%s\" "
                            "class=\"filters\" id=\"%s\">", dg_web_tr(p, title), what, id);
    dg_web_hidden_csrf(p);
}

static void request_form(dg_web_page *p)
{
    loan_form_open(p, "request", "loan-request", W_LOAN_REQUEST);
    loan_field(p, "refcode", W_REFCODE, dg_web_arg(p, "refcode"), 1);
    loan_field(p, "purpose", W_PURPOSE, NULL, 1);
    method_select(p, 0);
    loan_field(p, "days", W_DAYS, "7", 1);
    dg_buf_printf(&p->body, "<button type=\"submit\" id=\"loan-ask\">%s</button></form>",
                  dg_web_tr(p, W_LOAN_REQUEST));
}

/* A loan's kind or state in the page's language (the engine's codes: electronic, paper;
 * pending, refused, approved, out, returned). */
static const char *loan_word(const dg_web_page *p, const char *code)
{
    static const struct {
        const char *code;
        dg_web_word word;
    } words[] = {{"electronic", W_K_ELECTRONIC}, {"paper", W_K_PAPER},
                 {"pending", W_S_PENDING},       {"refused", W_S_REFUSED},
                 {"approved", W_S_APPROVED},     {"out", W_S_OUT},
                 {"returned", W_S_RETURNED}};
    for (size_t i = 0; code && i < sizeof words / sizeof words[0]; i++)
        if (!strcmp(code, words[i].code))
            return dg_web_tr(p, words[i].word);
    return code;
}

/* One cell of a loan row: the field, escaped (method, kind and state in words, dates as
 * days). */
static void loan_cell(dg_web_page *p, json_t *l, const char *key)
{
    const char *v = dg_web_jstr(l, key);
    char text[64];
    dg_buf_puts(&p->body, "<td>");
    if (!strcmp(key, "id")) {
        snprintf(text, sizeof text, "%lld", dg_web_jint(l, "id"));
        v = text;
    } else if (!strcmp(key, "method")) {
        v = method_word(p, v);
    } else if (!strcmp(key, "kind") || !strcmp(key, "state")) {
        v = loan_word(p, v);
    } else if (v && strstr(key, "_at")) {
        snprintf(text, sizeof text, "%.10s", v);
        v = text;
    }
    dg_buf_text(&p->body, v ? v : "");
    dg_buf_puts(&p->body, "</td>");
}

static const char *const LOAN_KEYS[] = {"id", "refcode", "title", "kind", "state", "method",
                                        "borrower", "purpose", "due_at", "reason"};
enum { LOAN_KEY_COUNT = sizeof LOAN_KEYS / sizeof LOAN_KEYS[0] };

static void loan_table_head(dg_web_page *p, const char *id, int with_actions)
{
    const dg_web_word heads[LOAN_KEY_COUNT] = {W_LOANS, W_REFCODE, W_TITLE, W_KIND, W_STATE,
                                               W_METHOD, W_BORROWER, W_PURPOSE, W_DUE, W_REASON};
    dg_buf_printf(&p->body, "<table class=\"loans\" id=\"%s\"><tr>", id);
    for (size_t k = 0; k < LOAN_KEY_COUNT; k++)
        dg_buf_printf(&p->body, "<th>%s</th>", k ? dg_web_tr(p, heads[k]) : "#");
    dg_buf_puts(&p->body, with_actions ? "<th></th></tr>" : "</tr>");
}

/* The loans for which keep(l, p) holds, with row(p, l) adding a last cell of forms. */
static void loan_table(dg_web_page *p, const char *id, json_t *loans,
                       int (*keep)(const dg_web_page *, json_t *),
                       void (*row)(dg_web_page *, json_t *))
{
    json_t *l;
    size_t i, shown = 0;
    loan_table_head(p, id, row != NULL);
    json_array_foreach(loans, i, l) {
        if (keep && !keep(p, l))
            continue;
        dg_buf_printf(&p->body, "<tr data-loan=\"%lld\">", dg_web_jint(l, "id"));
        for (size_t k = 0; k < LOAN_KEY_COUNT; k++)
            loan_cell(p, l, LOAN_KEYS[k]);
        if (row) {
            dg_buf_puts(&p->body, "<td>");
            row(p, l);
            dg_buf_puts(&p->body, "</td>");
        }
        dg_buf_puts(&p->body, "</tr>");
        shown++;
    }
    dg_buf_puts(&p->body, "</table>");
    if (!shown)
        dg_web_notice(p, "note", dg_web_tr(p, W_NO_LOANS));
}

static int is_mine(const dg_web_page *p, json_t *l)
{
    return dg_web_jstr(l, "login") && !strcmp(dg_web_jstr(l, "login"), p->login);
}

static int is_paper_out(const dg_web_page *p, json_t *l)
{
    (void)p;
    return !strcmp(dg_web_jstr(l, "kind") ? dg_web_jstr(l, "kind") : "", "paper") &&
           !strcmp(dg_web_jstr(l, "state") ? dg_web_jstr(l, "state") : "", "out");
}

/* Runs a loan listing; NULL after showing the error page. The caller owns the answer. */
static json_t *loan_listing(dg_web_page *p, const char *cmd, json_t *args)
{
    json_t *response = dg_web_call(p, cmd, args);
    if (dg_web_ok(response))
        return response;
    dg_web_error_from(p, response);
    json_decref(response);
    return NULL;
}

/* Links to the loan pages this viewer's roles open. */
static void loan_links(dg_web_page *p)
{
    dg_buf_printf(&p->body, "<p class=\"loan-links\"><a href=\"/loans\">%s</a>",
                  dg_web_tr(p, W_MY_LOANS));
    if (dg_web_has_role(p, DG_ROLE_LEADER))
        dg_buf_printf(&p->body, " · <a href=\"/loans/pending\" id=\"pending-link\">%s</a>",
                      dg_web_tr(p, W_PENDING));
    if (dg_web_has_role(p, DG_ROLE_ARCHIVIST))
        dg_buf_printf(&p->body, " · <a href=\"/loans/paper\" id=\"paper-link\">%s</a>",
                      dg_web_tr(p, W_PAPER_LOANS));
    if (dg_web_has_role(p, DG_ROLE_ARCHIVIST | DG_ROLE_LEADER | DG_ROLE_AUDITOR | DG_ROLE_ADMIN)) {
        int year = dg_web_review_year(p);
        dg_buf_printf(&p->body,
                      " · %s %d: <a href=\"/loans/register.csv?year=%d\" "
                      "id=\"register-csv\">%s</a> <a href=\"/loans/register.pdf?"
                      "year=%d\" id=\"register-pdf\">%s</a>",
                      dg_web_tr(p, W_LOAN_REGISTER), year, year, dg_web_tr(p, W_CSV), year,
                      dg_web_tr(p, W_PDF));
    }
    dg_buf_puts(&p->body, "</p>");
    if (dg_web_arg(p, "done"))
        dg_web_notice(p, "ok", dg_web_arg(p, "done"));
}

/* An electronic loan its borrower holds: a form to hand it back before it is due. */
static void hand_back_row(dg_web_page *p, json_t *l)
{
    if (strcmp(dg_web_jstr(l, "kind") ? dg_web_jstr(l, "kind") : "", "electronic") ||
        strcmp(dg_web_jstr(l, "state") ? dg_web_jstr(l, "state") : "", "approved"))
        return;
    dg_buf_puts(&p->body, "<form method=\"post\" action=\"/loans/hand-back\" class=\"sign\">");
    dg_web_hidden_csrf(p);
    dg_buf_printf(&p->body, "<input type=\"hidden\" name=\"id\" value=\"%lld\"><button "
                            "type=\"submit\" class=\"hand-back\">%s</button></form>",
                  dg_web_jint(l, "id"), dg_web_tr(p, W_HAND_BACK));
}

void dg_web_loans(dg_web_page *p)
{
    json_t *response = loan_listing(p, "loan list", json_object());
    if (!response)
        return;
    dg_web_page_begin(p, dg_web_tr(p, W_MY_LOANS));
    dg_buf_printf(&p->body, "<h1>%s</h1>", dg_web_tr(p, W_MY_LOANS));
    loan_links(p);
    request_form(p);
    /* leaders and archivists read every loan: this page shows their own */
    loan_table(p, "my-loans", json_object_get(json_object_get(response, "result"), "loans"),
               is_mine, hand_back_row);
    dg_web_page_end(p);
    json_decref(response);
}

/* A decision's form: the decider's password again (a decision is that person's act). */
static void decide_form(dg_web_page *p, json_t *l, int approve)
{
    dg_buf_printf(&p->body, "<form method=\"post\" action=\"/loans/%s\" class=\"sign\">",
                  approve ? "approve" : "refuse");
    dg_web_hidden_csrf(p);
    dg_buf_printf(&p->body, "<input type=\"hidden\" name=\"id\" value=\"%lld\">",
                  dg_web_jint(l, "id"));
    if (approve)
        dg_buf_printf(&p->body, "<input name=\"days\" class=\"year\" placeholder=\"%s\">",
                      dg_web_tr(p, W_DAYS));
    else
        dg_buf_printf(&p->body, "<input name=\"reason\" placeholder=\"%s\" required>",
                      dg_web_tr(p, W_REASON));
    dg_buf_printf(&p->body, "<label>%s <input type=\"password\" name=\"password\" "
                            "autocomplete=\"current-password\" required></label>"
                            "<button type=\"submit\" class=\"%s\">%s</button></form>",
                  dg_web_tr(p, W_CONFIRM_PASSWORD), approve ? "approve" : "refuse",
                  dg_web_tr(p, approve ? W_LOAN_APPROVE : W_LOAN_REFUSE));
}

static void pending_row(dg_web_page *p, json_t *l)
{
    decide_form(p, l, 1);
    decide_form(p, l, 0);
}

void dg_web_loans_pending(dg_web_page *p)
{
    if (!dg_web_has_role(p, DG_ROLE_LEADER)) {
        dg_web_error(p, 403, dg_web_tr(p, W_FORBIDDEN));
        return;
    }
    json_t *response = loan_listing(p, "loan list", json_pack("{s:b}", "pending", 1));
    if (!response)
        return;
    dg_web_page_begin(p, dg_web_tr(p, W_PENDING));
    dg_buf_printf(&p->body, "<h1>%s</h1>", dg_web_tr(p, W_PENDING));
    loan_links(p);
    loan_table(p, "pending", json_object_get(json_object_get(response, "result"), "loans"), NULL,
               pending_row);
    dg_web_page_end(p);
    json_decref(response);
}

static void out_form(dg_web_page *p)
{
    loan_form_open(p, "out", "loan-out", W_LEND);
    loan_field(p, "refcode", W_REFCODE, dg_web_arg(p, "refcode"), 1);
    loan_field(p, "borrower", W_BORROWER, NULL, 1);
    loan_field(p, "unit", W_UNIT, NULL, 0);
    loan_field(p, "id_number", W_ID_NUMBER, NULL, 0);
    loan_field(p, "purpose", W_PURPOSE, NULL, 1);
    method_select(p, 1);
    dg_buf_printf(&p->body, "<label>%s <input type=\"date\" name=\"due\" id=\"loan-due\" "
                            "required></label>", dg_web_tr(p, W_DUE));
    loan_field(p, "approver", W_APPROVER, NULL, 1);
    dg_buf_printf(&p->body, "<button type=\"submit\" id=\"loan-lend\">%s</button></form>",
                  dg_web_tr(p, W_LEND));
}

static void return_row(dg_web_page *p, json_t *l)
{
    dg_buf_puts(&p->body, "<form method=\"post\" action=\"/loans/return\" class=\"sign\">");
    dg_web_hidden_csrf(p);
    dg_buf_printf(&p->body, "<input type=\"hidden\" name=\"id\" value=\"%lld\"><input "
                            "name=\"condition\" placeholder=\"%s\" required><button "
                            "type=\"submit\">%s</button></form>",
                  dg_web_jint(l, "id"), dg_web_tr(p, W_CONDITION), dg_web_tr(p, W_RETURN));
}

void dg_web_loans_paper(dg_web_page *p)
{
    if (!dg_web_has_role(p, DG_ROLE_ARCHIVIST)) {
        dg_web_error(p, 403, dg_web_tr(p, W_FORBIDDEN));
        return;
    }
    json_t *all = loan_listing(p, "loan list", json_object());
    json_t *overdue = all ? loan_listing(p, "loan overdue", json_object()) : NULL;
    if (!overdue) {
        json_decref(all);
        return;
    }
    dg_web_page_begin(p, dg_web_tr(p, W_PAPER_LOANS));
    dg_buf_printf(&p->body, "<h1>%s</h1>", dg_web_tr(p, W_PAPER_LOANS));
    loan_links(p);
    out_form(p);
    dg_buf_printf(&p->body, "<h2>%s</h2>", dg_web_tr(p, W_PAPER_OUT));
    loan_table(p, "paper-out", json_object_get(json_object_get(all, "result"), "loans"),
               is_paper_out, return_row);
    dg_buf_printf(&p->body, "<h2>%s</h2>", dg_web_tr(p, W_OVERDUE));
    loan_table(p, "overdue", json_object_get(json_object_get(overdue, "result"), "loans"), NULL,
               NULL);
    dg_web_page_end(p);
    json_decref(all);
    json_decref(overdue);
}

/* The register as its command-line renderer writes it (render_loan.h): CSV into memory, the
 * PDF into a private temporary file read back (the PDF writer writes files only). */
static dg_status register_bytes(json_t *result, int pdf, char **data, size_t *len,
                                dg_error *err)
{
    char path[] = "/tmp/dangan-register-XXXXXX";
    int fd = pdf ? mkstemp(path) : -1;
    if (pdf && fd < 0)
        return dg_error_set(err, DG_ERR_IO, "register: no temporary file: %s", strerror(errno));
    FILE *out = open_memstream(data, len);
    json_t *args = pdf ? json_pack("{s:s}", "pdf", path) : json_object();
    int code = 0;
    dg_render_ctx ctx = {.out = out, .csv = !pdf, .args = args, .exit_code = &code};
    if (out)
        dg_render_loan_register(result, &ctx);
    dg_status st = out && fclose(out) == 0 && code == 0
                       ? DG_OK
                       : dg_error_set(err, DG_ERR_IO, "register: could not be written");
    json_decref(args);
    if (pdf) {
        free(*data);
        *data = NULL;
        if (st == DG_OK)
            st = dg_read_fd_whole(fd, path, (size_t)64 << 20, data, len, err);
        close(fd);
        unlink(path);
    }
    return st;
}

void dg_web_loans_register(dg_web_page *p, int pdf)
{
    int year = dg_web_review_year(p);
    json_t *response = loan_listing(p, "loan register", json_pack("{s:i}", "year", year));
    if (!response)
        return;
    char *data = NULL;
    size_t len = 0;
    dg_error err;
    dg_error_clear(&err);
    if (register_bytes(json_object_get(response, "result"), pdf, &data, &len, &err) != DG_OK) {
        dg_web_error(p, 500, err.msg);
    } else {
        p->status = 200;
        p->content_type = pdf ? "application/pdf" : "text/csv; charset=utf-8";
        p->bytes = (unsigned char *)data;
        p->bytes_len = len;
        snprintf(p->filename, sizeof p->filename, "loan-register-%d.%s", year,
                 pdf ? "pdf" : "csv");
    }
    json_decref(response);
}

/* A loan step from a form, then back to back with what was done; a refusal the engine
 * explains (an own or a relative's personnel file) is shown in its words. */
static void loan_step(dg_web_page *p, const char *cmd, json_t *args, const char *back)
{
    json_t *response = dg_web_call(p, cmd, args);
    if (dg_web_status_is(response, "denied") && dg_web_jstr(response, "error"))
        dg_web_error(p, 403, dg_web_jstr(response, "error"));
    else
        dg_web_answer_then_back(p, response, back);
    json_decref(response);
}

void dg_web_loan_request(dg_web_page *p)
{
    json_t *args = json_object();
    dg_web_pass_arg(p, args, "refcode", NULL);
    dg_web_pass_arg(p, args, "purpose", NULL);
    dg_web_pass_arg(p, args, "method", NULL);
    const char *days = dg_web_arg(p, "days");
    json_object_set_new(args, "days", json_integer(days && *days ? atoi(days) : 7));
    loan_step(p, "loan request", args, "/loans");
}

/* A leader's approval or refusal, after their password is asked again. */
void dg_web_loan_decide(dg_web_page *p, int approve)
{
    const char *cmd = approve ? "loan approve" : "loan refuse";
    if (!dg_web_confirm_password(p, cmd)) {
        dg_web_error(p, 403, dg_web_tr(p, W_WRONG_PASSWORD));
        return;
    }
    const char *id = dg_web_arg(p, "id"), *days = dg_web_arg(p, "days");
    json_t *args = json_pack("{s:i}", "id", id ? atoi(id) : 0);
    if (approve && days && *days)
        json_object_set_new(args, "days", json_integer(atoi(days)));
    dg_web_pass_arg(p, args, "reason", NULL);
    loan_step(p, cmd, args, "/loans/pending");
}

void dg_web_loan_out(dg_web_page *p)
{
    static const char *const keys[] = {"refcode", "borrower", "unit", "id_number", "purpose",
                                       "method", "due", "approver"};
    json_t *args = json_object();
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (dg_web_arg(p, keys[i]) && *dg_web_arg(p, keys[i]))
            json_object_set_new(args, keys[i], json_string(dg_web_arg(p, keys[i])));
    loan_step(p, "loan out", args, "/loans/paper");
}

void dg_web_loan_return(dg_web_page *p)
{
    const char *id = dg_web_arg(p, "id");
    json_t *args = json_pack("{s:i}", "id", id ? atoi(id) : 0);
    dg_web_pass_arg(p, args, "condition", NULL);
    loan_step(p, "loan return", args, "/loans/paper");
}

void dg_web_loan_hand_back(dg_web_page *p)
{
    const char *id = dg_web_arg(p, "id");
    loan_step(p, "loan return", json_pack("{s:i}", "id", id ? atoi(id) : 0), "/loans");
}
