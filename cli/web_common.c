/*
 * web_common.c — what every page module shares (web_common.h): the page's words and
 * arguments, one request through the dispatcher, the layout around a page, and the
 * answers pages give alike (an error, a record that is not there, back to a form).
 */
#include "web_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../engine/password.h"
#include "dispatch.h"

const char *dg_web_tr(const dg_web_page *p, dg_web_word w)
{
    return dg_web_t(p->lang, w);
}

const char *dg_web_arg(const dg_web_page *p, const char *key)
{
    const char *v = p->arg ? p->arg(p->arg_ctx, key) : NULL;
    return v && *v ? v : NULL;
}

const char *dg_web_jstr(json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

long long dg_web_jint(json_t *obj, const char *key)
{
    return (long long)json_integer_value(json_object_get(obj, key));
}

/* Runs one request through the dispatcher as the page's user; the caller owns the answer. */
json_t *dg_web_call(dg_web_page *p, const char *cmd, json_t *args)
{
    json_t *request = json_pack("{s:s, s:o}", "cmd", cmd, "args", args ? args : json_object());
    if (!request)
        return dg_response_error(DG_ERR_NOMEM, "web: out of memory");
    dg_dispatch_io io = {.font = p->font};
    json_t *response = dg_dispatch(p->archive, p->login, p->origin, request, &io);
    json_decref(request);
    if (!dg_dispatch_is_read_only(cmd) && p->after_write)
        p->after_write(p->after_write_ctx);
    return response ? response : dg_response_error(DG_ERR_NOMEM, "web: out of memory");
}

int dg_web_ok(json_t *response)
{
    return json_is_true(json_object_get(response, "ok"));
}

int dg_web_status_is(json_t *response, const char *status)
{
    const char *s = dg_web_jstr(response, "status");
    return s && !strcmp(s, status);
}

/* Adds a string argument when the form or query gave one. */
void dg_web_pass_arg(dg_web_page *p, json_t *args, const char *key, const char *as)
{
    const char *v = dg_web_arg(p, key);
    if (v)
        json_object_set_new(args, as ? as : key, json_string(v));
}

/* ---- layout ---- */

int dg_web_has_role(const dg_web_page *p, unsigned roles)
{
    return (p->roles & roles) != 0;
}

static void nav_link(dg_web_page *p, const char *href, dg_web_word w)
{
    dg_buf_printf(&p->body, "<a href=\"%s\">%s</a>", href, dg_web_tr(p, w));
}

static void nav(dg_web_page *p)
{
    dg_buf *b = &p->body;
    dg_buf_puts(b, "<nav>");
    nav_link(p, "/search", W_SEARCH);
    if (dg_web_has_role(p, DG_ROLE_ARCHIVIST)) {
        nav_link(p, "/review", W_REVIEW);
        nav_link(p, "/batches", W_BATCHES);
        nav_link(p, "/quarantine", W_QUARANTINE);
        nav_link(p, "/upload", W_UPLOAD);
    }
    if (dg_web_has_role(p, DG_ROLE_AUDITOR | DG_ROLE_ADMIN))
        nav_link(p, "/log", W_LOG);
    if (dg_web_has_role(p, DG_ROLE_ARCHIVIST | DG_ROLE_LEADER | DG_ROLE_WITNESS | DG_ROLE_ADMIN))
        nav_link(p, "/retention", W_RETENTION);
    nav_link(p, "/loans", W_LOANS);
    nav_link(p, "/me", W_ME);
    dg_buf_printf(b, "<span class=\"who\">%s: ", dg_web_tr(p, W_SIGNED_IN_AS));
    dg_buf_text(b, p->name);
    dg_buf_puts(b, " (");
    dg_buf_text(b, p->login);
    dg_buf_puts(b, ")</span><form method=\"post\" action=\"/logout\" class=\"inline\">"
                   "<input type=\"hidden\" name=\"csrf\" value=\"");
    dg_buf_text(b, p->csrf);
    dg_buf_printf(b, "\"><button type=\"submit\" id=\"logout\">%s</button></form></nav>",
                  dg_web_tr(p, W_LOGOUT));
}

static void lang_links(dg_web_page *p)
{
    static const char *const names[DG_LANG_COUNT] = {"简体", "繁體", "English"};
    dg_buf_puts(&p->body, "<div class=\"langs\">");
    for (int i = 0; i < DG_LANG_COUNT; i++) {
        dg_buf_printf(&p->body, "<a href=\"/lang?to=%s&amp;back=", dg_web_lang_tag(i));
        dg_buf_url(&p->body, p->path ? p->path : "/");
        dg_buf_printf(&p->body, "\">%s</a>", names[i]);
    }
    dg_buf_puts(&p->body, "</div>");
}

void dg_web_page_begin(dg_web_page *p, const char *title)
{
    dg_buf *b = &p->body;
    p->status = p->status ? p->status : 200;
    p->content_type = "text/html; charset=utf-8";
    dg_buf_printf(b, "<!DOCTYPE html><html lang=\"%s\"><head><meta charset=\"utf-8\">"
                     "<meta name=\"viewport\" content=\"width=device-width\"><title>",
                  dg_web_lang_tag(p->lang));
    dg_buf_text(b, title);
    dg_buf_printf(b, " · %s</title><link rel=\"stylesheet\" href=\"/static/app.css\">"
                     "<script src=\"/static/app.js\" defer></script></head><body>",
                  dg_web_tr(p, W_APP));
    dg_buf_printf(b, "<header><span class=\"app\">%s</span>", dg_web_tr(p, W_APP));
    if (p->login)
        nav(p);
    lang_links(p);
    dg_buf_puts(b, "</header><main>");
}

void dg_web_page_end(dg_web_page *p)
{
    dg_buf_puts(&p->body, "</main></body></html>");
}

void dg_web_notice(dg_web_page *p, const char *cls, const char *text)
{
    dg_buf_printf(&p->body, "<p class=\"%s\">", cls);
    dg_buf_text(&p->body, text);
    dg_buf_puts(&p->body, "</p>");
}

/* A failed request: a denial is 403 with the program's words, anything else the engine's
 * message (which never names what the user may not see). */
void dg_web_error_from(dg_web_page *p, json_t *response)
{
    if (dg_web_status_is(response, "denied")) {
        dg_web_error(p, 403, dg_web_tr(p, W_FORBIDDEN));
        return;
    }
    int usage = dg_web_status_is(response, "usage") || dg_web_status_is(response, "state") ||
                dg_web_status_is(response, "query");
    const char *msg = dg_web_jstr(response, "error");
    dg_web_error(p, usage ? 400 : 500, msg ? msg : dg_web_tr(p, W_ERROR));
}

void dg_web_hidden_csrf(dg_web_page *p)
{
    dg_buf_puts(&p->body, "<input type=\"hidden\" name=\"csrf\" value=\"");
    dg_buf_text(&p->body, p->csrf);
    dg_buf_puts(&p->body, "\">");
}

void dg_web_option(dg_web_page *p, const char *value, const char *label, const char *current)
{
    dg_buf_puts(&p->body, "<option value=\"");
    dg_buf_text(&p->body, value);
    dg_buf_printf(&p->body, "\"%s>", current && !strcmp(current, value) ? " selected" : "");
    dg_buf_text(&p->body, label);
    dg_buf_puts(&p->body, "</option>");
}

/* A link to ask for a loan of the code (a record one may not read, or may not copy). */
void dg_web_loan_offer(dg_web_page *p, const char *refcode)
{
    dg_buf_printf(&p->body, "<p class=\"note\">%s <a id=\"loan-offer\" href=\"/loans?refcode=",
                  dg_web_tr(p, W_LOAN_ASK_HERE));
    dg_buf_url(&p->body, refcode);
    dg_buf_printf(&p->body, "\">%s</a></p>", dg_web_tr(p, W_LOAN_REQUEST));
}

/* The one page for a record that does not exist and one the viewer may not see. */
void dg_web_not_found(dg_web_page *p, const char *refcode)
{
    dg_buf_free(&p->body);
    p->status = 404;
    dg_web_page_begin(p, dg_web_tr(p, W_NOT_FOUND));
    dg_buf_printf(&p->body, "<h1>%s</h1><p class=\"error\" id=\"not-found\">",
                  dg_web_tr(p, W_NOT_FOUND));
    dg_buf b2;
    dg_buf_init(&b2);
    dg_buf_text(&b2, refcode);
    dg_buf_printf(&p->body, dg_web_tr(p, W_NOT_FOUND_TEXT), b2.data ? b2.data : "");
    dg_buf_free(&b2);
    dg_buf_puts(&p->body, "</p>");
    /* made of the typed code only, so a hidden record's page is a missing one's */
    dg_web_loan_offer(p, refcode);
    dg_web_page_end(p);
}

/* ---- retention ---- */

int dg_web_review_year(const dg_web_page *p)
{
    const char *text = dg_web_arg(p, "year");
    long y = text ? strtol(text, NULL, 10) : 0;
    if (y >= 1900 && y <= 9999)
        return (int)y;
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    return tm.tm_year + 1900;
}

/* Asks the engine whether the password is the signer's own (logged as web.confirm). */
int dg_web_confirm_password(dg_web_page *p, const char *what)
{
    dg_actor actor;
    dg_error err;
    if (dg_actor_login(p->archive, p->login, p->origin, &actor, &err) != DG_OK)
        return 0;
    const char *password = p->arg ? p->arg(p->arg_ctx, "password") : NULL;
    return dg_password_confirm(p->archive, &actor, password ? password : "", what, &err) == DG_OK;
}

/* After a change from a form: back to where it came from, saying what was done, or the
 * page that says why not. */
void dg_web_answer_then_back(dg_web_page *p, json_t *response, const char *back)
{
    if (dg_web_ok(response)) {
        dg_buf url;
        dg_buf_init(&url);
        dg_buf_printf(&url, "%s%sdone=", back, strchr(back, '?') ? "&" : "?");
        dg_buf_url(&url, dg_web_tr(p, W_DONE));
        snprintf(p->location, sizeof p->location, "%s", url.data ? url.data : back);
        dg_buf_free(&url);
    } else if (dg_web_status_is(response, "not_found")) {
        dg_web_not_found(p, dg_web_arg(p, "refcode") ? dg_web_arg(p, "refcode") : "");
    } else {
        dg_web_error_from(p, response);
    }
}

void dg_web_error(dg_web_page *p, int status, const char *message)
{
    dg_buf_free(&p->body);
    p->status = status;
    dg_web_page_begin(p, dg_web_tr(p, W_ERROR));
    dg_buf_printf(&p->body, "<h1>%s</h1>", dg_web_tr(p, W_ERROR));
    dg_web_notice(p, "error", message);
    dg_web_page_end(p);
}
