/*
 * web_pages.c — the search, record, page-image, log, review, retention and "me" pages.
 *
 * Each page is a few requests through dg_dispatch and a walk over their JSON results; the
 * HTML is plain (one stylesheet, one small script, both served from the program itself),
 * so it works on a school's old PCs and under a CSP that allows no inline script.
 */
#include "web_pages.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../engine/password.h"
#include "../engine/vocab.h"
#include "../base/fileio.h"
#include "csv.h"
#include "dispatch.h"
#include "render_loan.h"
#include "watermark.h"

#define RESULTS_PER_PAGE 20
#define LOG_ROWS 500

static const char *T(const dg_web_page *p, dg_web_word w)
{
    return dg_web_t(p->lang, w);
}

static const char *arg(const dg_web_page *p, const char *key)
{
    const char *v = p->arg ? p->arg(p->arg_ctx, key) : NULL;
    return v && *v ? v : NULL;
}

static const char *jstr(json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

static long long jint(json_t *obj, const char *key)
{
    return (long long)json_integer_value(json_object_get(obj, key));
}

/* Runs one request through the dispatcher as the page's user; the caller owns the answer. */
static json_t *call(dg_web_page *p, const char *cmd, json_t *args)
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

static int response_ok(json_t *response)
{
    return json_is_true(json_object_get(response, "ok"));
}

static int response_is(json_t *response, const char *status)
{
    const char *s = jstr(response, "status");
    return s && !strcmp(s, status);
}

/* Adds a string argument when the form or query gave one. */
static void pass_arg(dg_web_page *p, json_t *args, const char *key, const char *as)
{
    const char *v = arg(p, key);
    if (v)
        json_object_set_new(args, as ? as : key, json_string(v));
}

/* ---- layout ---- */

static int has_role(const dg_web_page *p, unsigned roles)
{
    return (p->roles & roles) != 0;
}

static void nav_link(dg_web_page *p, const char *href, dg_web_word w)
{
    dg_buf_printf(&p->body, "<a href=\"%s\">%s</a>", href, T(p, w));
}

static void nav(dg_web_page *p)
{
    dg_buf *b = &p->body;
    dg_buf_puts(b, "<nav>");
    nav_link(p, "/search", W_SEARCH);
    if (has_role(p, DG_ROLE_ARCHIVIST)) {
        nav_link(p, "/review", W_REVIEW);
        nav_link(p, "/batches", W_BATCHES);
        nav_link(p, "/quarantine", W_QUARANTINE);
        nav_link(p, "/upload", W_UPLOAD);
    }
    if (has_role(p, DG_ROLE_AUDITOR | DG_ROLE_ADMIN))
        nav_link(p, "/log", W_LOG);
    if (has_role(p, DG_ROLE_ARCHIVIST | DG_ROLE_LEADER | DG_ROLE_WITNESS | DG_ROLE_ADMIN))
        nav_link(p, "/retention", W_RETENTION);
    nav_link(p, "/loans", W_LOANS);
    nav_link(p, "/me", W_ME);
    dg_buf_printf(b, "<span class=\"who\">%s: ", T(p, W_SIGNED_IN_AS));
    dg_buf_text(b, p->name);
    dg_buf_puts(b, " (");
    dg_buf_text(b, p->login);
    dg_buf_puts(b, ")</span><form method=\"post\" action=\"/logout\" class=\"inline\">"
                   "<input type=\"hidden\" name=\"csrf\" value=\"");
    dg_buf_text(b, p->csrf);
    dg_buf_printf(b, "\"><button type=\"submit\" id=\"logout\">%s</button></form></nav>",
                  T(p, W_LOGOUT));
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

static void page_begin(dg_web_page *p, const char *title)
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
                  T(p, W_APP));
    dg_buf_printf(b, "<header><span class=\"app\">%s</span>", T(p, W_APP));
    if (p->login)
        nav(p);
    lang_links(p);
    dg_buf_puts(b, "</header><main>");
}

static void page_end(dg_web_page *p)
{
    dg_buf_puts(&p->body, "</main></body></html>");
}

static void notice(dg_web_page *p, const char *cls, const char *text)
{
    dg_buf_printf(&p->body, "<p class=\"%s\">", cls);
    dg_buf_text(&p->body, text);
    dg_buf_puts(&p->body, "</p>");
}

void dg_web_error(dg_web_page *p, int status, const char *message)
{
    dg_buf_free(&p->body);
    p->status = status;
    page_begin(p, T(p, W_ERROR));
    dg_buf_printf(&p->body, "<h1>%s</h1>", T(p, W_ERROR));
    notice(p, "error", message);
    page_end(p);
}

/* A failed request: a denial is 403 with the program's words, anything else the engine's
 * message (which never names what the user may not see). */
static void error_from(dg_web_page *p, json_t *response)
{
    if (response_is(response, "denied")) {
        dg_web_error(p, 403, T(p, W_FORBIDDEN));
        return;
    }
    int usage = response_is(response, "usage") || response_is(response, "state") ||
                response_is(response, "query");
    const char *msg = jstr(response, "error");
    dg_web_error(p, usage ? 400 : 500, msg ? msg : T(p, W_ERROR));
}

static void hidden_csrf(dg_web_page *p)
{
    dg_buf_puts(&p->body, "<input type=\"hidden\" name=\"csrf\" value=\"");
    dg_buf_text(&p->body, p->csrf);
    dg_buf_puts(&p->body, "\">");
}

/* ---- login ---- */

void dg_web_login_form(dg_web_page *p, const char *message, const char *login_csrf)
{
    dg_buf *b = &p->body;
    page_begin(p, T(p, W_LOGIN));
    dg_buf_printf(b, "<h1>%s</h1>", T(p, W_LOGIN));
    if (message)
        notice(p, "error", message);
    dg_buf_puts(b, "<form method=\"post\" action=\"/login\" class=\"login\">"
                   "<input type=\"hidden\" name=\"csrf\" value=\"");
    dg_buf_text(b, login_csrf);
    dg_buf_printf(b, "\"><label>%s <input name=\"login\" id=\"login\" autocomplete=\"username\""
                     " required></label>", T(p, W_LOGIN_NAME));
    dg_buf_printf(b, "<label>%s <input type=\"password\" name=\"password\" id=\"password\""
                     " autocomplete=\"current-password\" required></label>", T(p, W_PASSWORD));
    dg_buf_printf(b, "<button type=\"submit\" id=\"login-submit\">%s</button></form>",
                  T(p, W_LOGIN));
    page_end(p);
}

/* ---- search ---- */

static const char *const SEARCH_KEYS[] = {"q", "category", "type", "year_from", "year_to",
                                          "period", "level", "sort", "all_versions"};

/* /search?... with the current arguments, key replaced by value (NULL: dropped). */
static void search_url(dg_web_page *p, const char *key, const char *value)
{
    dg_buf *b = &p->body;
    dg_buf_puts(b, "/search?");
    int first = 1;
    for (size_t i = 0; i < sizeof SEARCH_KEYS / sizeof SEARCH_KEYS[0]; i++) {
        const char *k = SEARCH_KEYS[i];
        const char *v = key && !strcmp(k, key) ? value : arg(p, k);
        if (!v)
            continue;
        dg_buf_printf(b, "%s%s=", first ? "" : "&amp;", k);
        dg_buf_url(b, v);
        first = 0;
    }
    if (key && !strcmp(key, "page") && value)
        dg_buf_printf(b, "%spage=%s", first ? "" : "&amp;", value);
}

static void option(dg_web_page *p, const char *value, const char *label, const char *current)
{
    dg_buf_puts(&p->body, "<option value=\"");
    dg_buf_text(&p->body, value);
    dg_buf_printf(&p->body, "\"%s>", current && !strcmp(current, value) ? " selected" : "");
    dg_buf_text(&p->body, label);
    dg_buf_puts(&p->body, "</option>");
}

static void select_begin(dg_web_page *p, const char *name, dg_web_word label)
{
    dg_buf_printf(&p->body, "<label>%s <select name=\"%s\" id=\"f-%s\">", T(p, label), name,
                  name);
    option(p, "", T(p, W_ANY), NULL);
}

static void text_input(dg_web_page *p, const char *name, dg_web_word label, const char *cls)
{
    dg_buf_printf(&p->body, "<label>%s <input name=\"%s\" id=\"f-%s\" class=\"%s\" value=\"",
                  T(p, label), name, name, cls);
    dg_buf_text(&p->body, arg(p, name));
    dg_buf_puts(&p->body, "\"></label>");
}

static void search_filters(dg_web_page *p)
{
    static const char *const cats[] = {"XZ", "RS", "CW", "ZC", "HD"};
    static const char *const periods[] = {"Y", "D30", "D10"};
    select_begin(p, "category", W_CATEGORY);
    for (size_t i = 0; i < 5; i++)
        option(p, cats[i], dg_web_category(p->lang, cats[i]), arg(p, "category"));
    dg_buf_puts(&p->body, "</select></label>");
    text_input(p, "type", W_TYPE, "short");
    text_input(p, "year_from", W_YEAR_FROM, "year");
    text_input(p, "year_to", W_YEAR_TO, "year");
    select_begin(p, "period", W_PERIOD);
    for (size_t i = 0; i < 3; i++)
        option(p, periods[i], dg_web_period(p->lang, periods[i]), arg(p, "period"));
    dg_buf_puts(&p->body, "</select></label>");
    select_begin(p, "level", W_LEVEL);
    for (int l = 0; l <= 4; l++) {
        char v[16];
        snprintf(v, sizeof v, "%d", l);
        option(p, v, dg_web_level(p->lang, l), arg(p, "level"));
    }
    dg_buf_puts(&p->body, "</select></label>");
}

static void search_form(dg_web_page *p)
{
    dg_buf *b = &p->body;
    dg_buf_puts(b, "<form method=\"get\" action=\"/search\" class=\"search\">"
                   "<div class=\"box\"><input name=\"q\" id=\"q\" type=\"search\" value=\"");
    dg_buf_text(b, arg(p, "q"));
    dg_buf_printf(b, "\" autofocus><button type=\"submit\" id=\"search-submit\">%s</button></div>"
                     "<div class=\"filters\">", T(p, W_SEARCH));
    search_filters(p);
    dg_buf_printf(b, "<label>%s <select name=\"sort\" id=\"f-sort\">", T(p, W_SORT));
    option(p, "relevance", T(p, W_SORT_RELEVANCE), arg(p, "sort"));
    option(p, "date", T(p, W_SORT_DATE), arg(p, "sort"));
    option(p, "date-asc", T(p, W_SORT_DATE_ASC), arg(p, "sort"));
    dg_buf_printf(b, "</select></label><label><input type=\"checkbox\" name=\"all_versions\" "
                     "value=\"1\"%s> %s</label></div></form>",
                  arg(p, "all_versions") ? " checked" : "", T(p, W_ALL_VERSIONS));
}

static int search_page_number(const dg_web_page *p)
{
    const char *text = arg(p, "page");
    long n = text ? strtol(text, NULL, 10) : 1;
    return n < 1 ? 1 : n > 500 ? 500 : (int)n;
}

static void year_range_arg(dg_web_page *p, json_t *args)
{
    const char *from = arg(p, "year_from"), *to = arg(p, "year_to");
    if (!from && !to)
        return;
    char range[64];
    snprintf(range, sizeof range, "%.8s..%.8s", from ? from : "1000", to ? to : "9999");
    json_object_set_new(args, "year", json_string(range));
}

static json_t *search_args(dg_web_page *p)
{
    json_t *args = json_object();
    pass_arg(p, args, "q", "query");
    pass_arg(p, args, "category", NULL);
    pass_arg(p, args, "type", NULL);
    pass_arg(p, args, "period", NULL);
    pass_arg(p, args, "level", NULL);
    pass_arg(p, args, "sort", NULL);
    year_range_arg(p, args);
    if (arg(p, "all_versions"))
        json_object_set_new(args, "all_versions", json_true());
    json_object_set_new(args, "limit", json_integer(RESULTS_PER_PAGE));
    json_object_set_new(args, "offset",
                        json_integer((search_page_number(p) - 1) * RESULTS_PER_PAGE));
    return args;
}

static void record_link(dg_web_page *p, const char *refcode, int version, int current)
{
    dg_buf_puts(&p->body, "<a class=\"ref\" href=\"/record/");
    dg_buf_url(&p->body, refcode);
    if (!current && version > 0)
        dg_buf_printf(&p->body, "?v=%d", version);
    dg_buf_puts(&p->body, "\">");
    dg_buf_text(&p->body, refcode);
    dg_buf_puts(&p->body, "</a>");
}

static void hit_html(dg_web_page *p, json_t *h)
{
    dg_buf *b = &p->body;
    int version = (int)jint(h, "version");
    dg_buf_puts(b, "<li class=\"hit\"><div class=\"hit-head\">");
    record_link(p, jstr(h, "refcode"), version, json_is_true(json_object_get(h, "current")));
    dg_buf_puts(b, " <span class=\"title\">");
    dg_buf_text(b, jstr(h, "title"));
    dg_buf_puts(b, "</span></div><div class=\"meta\">");
    dg_buf_text(b, jstr(h, "date"));
    dg_buf_printf(b, " · %s · %s · %s %d", dg_web_category(p->lang, jstr(h, "category")),
                  dg_web_level(p->lang, (int)jint(h, "level")), T(p, W_VERSION), version);
    dg_buf_puts(b, "</div><div class=\"snippet\">");
    dg_buf_highlighted(b, jstr(h, "snippet"));
    dg_buf_puts(b, "</div></li>");
}

static void facet_group(dg_web_page *p, json_t *facets, const char *name, dg_web_word label)
{
    json_t *group = json_object_get(facets, name);
    const char *key;
    json_t *count;
    if (!json_object_size(group))
        return;
    dg_buf_printf(&p->body, "<h3>%s</h3><ul>", T(p, label));
    json_object_foreach(group, key, count) {
        const char *shown = !strcmp(name, "category") ? dg_web_category(p->lang, key)
                            : !strcmp(name, "period") ? dg_web_period(p->lang, key) : key;
        dg_buf_puts(&p->body, "<li><a href=\"");
        if (!strcmp(name, "year")) {
            search_url(p, "year_from", key); /* both ends: one year */
            dg_buf_puts(&p->body, "&amp;year_to=");
            dg_buf_url(&p->body, key);
        } else {
            search_url(p, name, key);
        }
        dg_buf_puts(&p->body, "\">");
        dg_buf_text(&p->body, shown);
        dg_buf_printf(&p->body, "</a> <span class=\"count\">%lld</span></li>",
                      (long long)json_integer_value(count));
    }
    dg_buf_puts(&p->body, "</ul>");
}

static void paging(dg_web_page *p, long long total)
{
    int page = search_page_number(p);
    long long pages = (total + RESULTS_PER_PAGE - 1) / RESULTS_PER_PAGE;
    if (pages <= 1)
        return;
    char n[16];
    dg_buf_puts(&p->body, "<div class=\"paging\">");
    if (page > 1) {
        snprintf(n, sizeof n, "%d", page - 1);
        dg_buf_puts(&p->body, "<a rel=\"prev\" href=\"");
        search_url(p, "page", n);
        dg_buf_printf(&p->body, "\">%s</a>", T(p, W_PREV));
    }
    dg_buf_printf(&p->body, " %d / %lld ", page, pages);
    if (page < pages) {
        snprintf(n, sizeof n, "%d", page + 1);
        dg_buf_puts(&p->body, "<a rel=\"next\" id=\"next\" href=\"");
        search_url(p, "page", n);
        dg_buf_printf(&p->body, "\">%s</a>", T(p, W_NEXT));
    }
    dg_buf_puts(&p->body, "</div>");
}

static void search_results(dg_web_page *p, json_t *result)
{
    dg_buf *b = &p->body;
    long long total = jint(result, "total");
    json_t *hits = json_object_get(result, "hits"), *h;
    size_t i;
    dg_buf_puts(b, "<div class=\"results\"><aside class=\"facets\">");
    dg_buf_printf(b, "<h2>%s</h2>", T(p, W_REFINE));
    json_t *facets = json_object_get(result, "facets");
    facet_group(p, facets, "category", W_CATEGORY);
    facet_group(p, facets, "year", W_YEAR);
    facet_group(p, facets, "period", W_PERIOD);
    dg_buf_puts(b, "</aside><section>");
    dg_buf_puts(b, "<p class=\"total\" id=\"total\">");
    dg_buf_printf(b, T(p, W_RESULTS), total);
    dg_buf_puts(b, "</p>");
    if (!json_array_size(hits))
        notice(p, "empty", T(p, W_NO_RESULTS));
    dg_buf_puts(b, "<ol class=\"hits\">");
    json_array_foreach(hits, i, h)
        hit_html(p, h);
    dg_buf_puts(b, "</ol>");
    paging(p, total);
    dg_buf_puts(b, "</section></div>");
}

static int search_asked(const dg_web_page *p)
{
    for (size_t i = 0; i < sizeof SEARCH_KEYS / sizeof SEARCH_KEYS[0]; i++)
        if (strcmp(SEARCH_KEYS[i], "sort") && strcmp(SEARCH_KEYS[i], "all_versions") &&
            arg(p, SEARCH_KEYS[i]))
            return 1;
    return 0;
}

void dg_web_search(dg_web_page *p)
{
    json_t *response = search_asked(p) ? call(p, "search", search_args(p)) : NULL;
    if (response && !response_ok(response) && !response_is(response, "usage") &&
        !response_is(response, "query")) {
        error_from(p, response);
        json_decref(response);
        return;
    }
    page_begin(p, T(p, W_SEARCH));
    search_form(p);
    if (response && response_ok(response))
        search_results(p, json_object_get(response, "result"));
    else if (response) /* a query the parser refused, or a bad filter: say why, keep the form */
        notice(p, "error", jstr(response, "error"));
    page_end(p);
    json_decref(response);
}

/* ---- record ---- */

/* A link to ask for a loan of the code (a record one may not read, or may not copy). */
static void loan_offer(dg_web_page *p, const char *refcode)
{
    dg_buf_printf(&p->body, "<p class=\"note\">%s <a id=\"loan-offer\" href=\"/loans?refcode=",
                  T(p, W_LOAN_ASK_HERE));
    dg_buf_url(&p->body, refcode);
    dg_buf_printf(&p->body, "\">%s</a></p>", T(p, W_LOAN_REQUEST));
}

/* The one page for a record that does not exist and one the viewer may not see. */
static void not_found(dg_web_page *p, const char *refcode)
{
    dg_buf_free(&p->body);
    p->status = 404;
    page_begin(p, T(p, W_NOT_FOUND));
    dg_buf_printf(&p->body, "<h1>%s</h1><p class=\"error\" id=\"not-found\">", T(p, W_NOT_FOUND));
    dg_buf b2;
    dg_buf_init(&b2);
    dg_buf_text(&b2, refcode);
    dg_buf_printf(&p->body, T(p, W_NOT_FOUND_TEXT), b2.data ? b2.data : "");
    dg_buf_free(&b2);
    dg_buf_puts(&p->body, "</p>");
    /* made of the typed code only, so a hidden record's page is a missing one's */
    loan_offer(p, refcode);
    page_end(p);
}

static void meta_row(dg_web_page *p, dg_web_word label, const char *value)
{
    if (!value || !*value)
        return;
    dg_buf_printf(&p->body, "<tr><th>%s</th><td>", T(p, label));
    dg_buf_text(&p->body, value);
    dg_buf_puts(&p->body, "</td></tr>");
}

/* A record's year as the page shows it: 待定 for a provisional record, whose JSON year is
 * null (request.h), never "0". */
static const char *year_text(const dg_web_page *p, json_t *obj, char *buf, size_t cap)
{
    if (!jint(obj, "year"))
        return T(p, W_YEAR_PENDING);
    snprintf(buf, cap, "%lld", jint(obj, "year"));
    return buf;
}

static void record_meta(dg_web_page *p, json_t *rec)
{
    json_t *v = json_object_get(rec, "version");
    char year_buf[16], pages[16];
    const char *year = year_text(p, v, year_buf, sizeof year_buf);
    snprintf(pages, sizeof pages, "%lld", jint(v, "pages"));
    dg_buf_printf(&p->body, "<h2>%s</h2><table class=\"meta\" id=\"meta\">", T(p, W_METADATA));
    meta_row(p, W_REFCODE, jstr(rec, "refcode"));
    meta_row(p, W_DOC_NUMBER, jstr(v, "doc_number"));
    meta_row(p, W_DATE, jstr(v, "date"));
    meta_row(p, W_YEAR, year);
    meta_row(p, W_CATEGORY, dg_web_category(p->lang, jstr(v, "category")));
    meta_row(p, W_TYPE, jstr(v, "type"));
    meta_row(p, W_DEPARTMENT, jstr(v, "department"));
    meta_row(p, W_LEVEL, dg_web_level(p->lang, (int)jint(rec, "level")));
    meta_row(p, W_PERIOD, dg_web_period(p->lang, jstr(v, "period")));
    meta_row(p, W_PAGES, pages);
    meta_row(p, W_LOCATION, jstr(v, "location"));
    meta_row(p, W_SECRECY, jstr(v, "secrecy"));
    meta_row(p, W_SUBJECT, jstr(v, "subject"));
    dg_buf_puts(&p->body, "</table>");
}

static void record_hold(dg_web_page *p, json_t *rec)
{
    json_t *hold = json_object_get(rec, "hold");
    if (!hold)
        return;
    dg_buf_printf(&p->body, "<p class=\"hold\">%s: ", T(p, W_HOLD));
    dg_buf_text(&p->body, jstr(hold, "reason"));
    dg_buf_puts(&p->body, " (");
    dg_buf_text(&p->body, jstr(hold, "placed_by"));
    dg_buf_puts(&p->body, ")</p>");
}

/* Where the paper original is while it is lent (show's paper_out). */
static void record_paper_out(dg_web_page *p, json_t *rec)
{
    json_t *out = json_object_get(rec, "paper_out");
    if (!out)
        return;
    dg_buf_printf(&p->body, "<p class=\"hold\" id=\"paper-out\">%s: ", T(p, W_PAPER_OUT));
    dg_buf_text(&p->body, jstr(out, "borrower"));
    if (jstr(out, "unit")) {
        dg_buf_puts(&p->body, " (");
        dg_buf_text(&p->body, jstr(out, "unit"));
        dg_buf_puts(&p->body, ")");
    }
    char due[16];
    snprintf(due, sizeof due, "%.10s", jstr(out, "due_at") ? jstr(out, "due_at") : "");
    dg_buf_puts(&p->body, " → ");
    dg_buf_text(&p->body, due);
    dg_buf_puts(&p->body, "</p>");
}

/* The sheet of an original's rendering the record page shows (?s=K), from 1. */
static int sheet_arg(const dg_web_page *p)
{
    const char *text = arg(p, "s");
    long s = text ? strtol(text, NULL, 10) : 1;
    return s > 0 && s < 100000 ? (int)s : 1;
}

/* "sheet k of n" and links to the record page with the sheets before and after it (none
 * past the first or the last: "show" counted them). */
static void sheet_links(dg_web_page *p, const char *refcode, int version, int sheet,
                        int sheets)
{
    char note[200];
    snprintf(note, sizeof note, T(p, W_SHEET_NOTE), sheet, sheets);
    dg_buf_puts(&p->body, "<p class=\"note sheets\">");
    dg_buf_text(&p->body, note);
    for (int step = -1; step <= 1; step += 2) {
        if (sheet + step < 1 || sheet + step > sheets)
            continue;
        dg_buf_puts(&p->body, " <a class=\"sheet\" href=\"/record/");
        dg_buf_url(&p->body, refcode);
        dg_buf_printf(&p->body, "?v=%d&amp;s=%d\">%s</a>", version, sheet + step,
                      T(p, step < 0 ? W_SHEET_PREV : W_SHEET_NEXT));
    }
    dg_buf_puts(&p->body, "</p>");
}

static void record_pages(dg_web_page *p, json_t *rec)
{
    json_t *pages = json_object_get(rec, "pages"), *pg;
    size_t i;
    int version = (int)jint(json_object_get(rec, "version"), "number");
    int sheet = sheet_arg(p);
    const char *refcode = jstr(rec, "refcode");
    dg_buf_puts(&p->body, "<div class=\"pages\">");
    json_array_foreach(pages, i, pg) {
        int seq = (int)jint(pg, "seq");
        const char *mime = jstr(pg, "mime");
        /* an original kept as a file is shown as the watermarked sheets of its text */
        int original = !mime || strncmp(mime, "image/", 6);
        int sheets = original ? (int)jint(pg, "sheets") : 1;
        int shown = sheet;
        if (sheets < 1)
            sheets = 1;
        if (shown > sheets) /* a ?s= past the last sheet: the last, not a broken image */
            shown = sheets;
        dg_buf_puts(&p->body, "<figure><figcaption>");
        dg_buf_printf(&p->body, T(p, W_PAGE_N), seq);
        dg_buf_puts(&p->body, "</figcaption><img class=\"page\" src=\"/page/");
        dg_buf_url(&p->body, refcode);
        dg_buf_printf(&p->body, "/%d?v=%d", seq, version);
        if (original)
            dg_buf_printf(&p->body, "&amp;s=%d", shown);
        dg_buf_puts(&p->body, "\" alt=\"");
        dg_buf_printf(&p->body, T(p, W_PAGE_N), seq);
        dg_buf_puts(&p->body, "\">");
        if (original)
            sheet_links(p, refcode, version, shown, sheets);
        dg_buf_puts(&p->body, "</figure>");
    }
    dg_buf_puts(&p->body, "</div>");
}

/* The fields in which version v differs from the one before it. */
static void version_changes(dg_web_page *p, json_t *prev, json_t *v)
{
    static const char *const fields[] = {"title", "category", "type", "doc_number", "date",
                                         "department", "year", "level", "period", "location",
                                         "secrecy", "subject", "pages"};
    int first = 1;
    for (size_t i = 0; prev && i < sizeof fields / sizeof fields[0]; i++) {
        if (json_equal(json_object_get(prev, fields[i]), json_object_get(v, fields[i])))
            continue;
        dg_buf_printf(&p->body, "%s%s", first ? "" : ", ", fields[i]);
        first = 0;
    }
}

/* The versions come with the record (show's "history"): one view, one log entry. */
static void record_versions(dg_web_page *p, const char *refcode, json_t *versions)
{
    json_t *v;
    size_t i;
    dg_buf_printf(&p->body, "<h2>%s</h2><table class=\"versions\" id=\"versions\"><tr><th>%s"
                            "</th><th>%s</th><th>%s</th><th>%s</th><th>Δ</th></tr>",
                  T(p, W_VERSIONS), T(p, W_VERSION), T(p, W_WHEN), T(p, W_WHO), T(p, W_WHY));
    json_array_foreach(versions, i, v) {
        dg_buf_puts(&p->body, "<tr><td><a href=\"/record/");
        dg_buf_url(&p->body, refcode);
        dg_buf_printf(&p->body, "?v=%lld\">%lld</a></td><td>", jint(v, "number"),
                      jint(v, "number"));
        dg_buf_text(&p->body, jstr(v, "created_at"));
        dg_buf_puts(&p->body, "</td><td>");
        dg_buf_text(&p->body, jstr(v, "author"));
        dg_buf_puts(&p->body, "</td><td>");
        dg_buf_text(&p->body, jstr(v, "reason"));
        dg_buf_puts(&p->body, "</td><td>");
        version_changes(p, i > 0 ? json_array_get(versions, i - 1) : NULL, v);
        dg_buf_puts(&p->body, "</td></tr>");
    }
    dg_buf_puts(&p->body, "</table>");
}

static void record_html(dg_web_page *p, json_t *rec)
{
    json_t *v = json_object_get(rec, "version");
    const char *refcode = jstr(rec, "refcode");
    page_begin(p, jstr(v, "title") ? jstr(v, "title") : refcode);
    dg_buf_puts(&p->body, "<h1 id=\"record-title\">");
    dg_buf_text(&p->body, jstr(v, "title"));
    dg_buf_puts(&p->body, "</h1><p class=\"refcode\" id=\"refcode\">");
    dg_buf_text(&p->body, refcode);
    dg_buf_printf(&p->body, " · %s %lld</p>", T(p, W_VERSION), jint(v, "number"));
    if (jint(v, "number") != jint(rec, "current_version"))
        notice(p, "note", T(p, W_OLD_VERSION));
    record_hold(p, rec);
    record_paper_out(p, rec);
    loan_offer(p, refcode);
    record_meta(p, rec);
    record_pages(p, rec);
    dg_buf_printf(&p->body, "<h2>%s</h2><pre class=\"text\" id=\"text\">", T(p, W_TEXT));
    dg_buf_text(&p->body, jstr(rec, "text"));
    dg_buf_puts(&p->body, "</pre>");
    record_versions(p, refcode, json_object_get(rec, "versions"));
    page_end(p);
}

static int version_arg(const dg_web_page *p)
{
    const char *text = arg(p, "v");
    long v = text ? strtol(text, NULL, 10) : 0;
    return v > 0 && v < 1000000 ? (int)v : 0;
}

void dg_web_record(dg_web_page *p, const char *refcode)
{
    json_t *args = json_pack("{s:s, s:b, s:b}", "refcode", refcode, "history", 1, "sheets", 1);
    if (args && version_arg(p))
        json_object_set_new(args, "version", json_integer(version_arg(p)));
    json_t *response = call(p, "show", args);
    if (response_ok(response))
        record_html(p, json_object_get(response, "result"));
    else if (response_is(response, "not_found"))
        not_found(p, refcode);
    else
        error_from(p, response);
    json_decref(response);
}

/* ---- page images ---- */

static int decode_base64(const char *b64, unsigned char **out, size_t *len)
{
    size_t max = strlen(b64) / 4 * 3 + 3;
    *out = malloc(max ? max : 1);
    if (!*out || sodium_base642bin(*out, max, b64, strlen(b64), NULL, len, NULL,
                                   sodium_base64_VARIANT_ORIGINAL) != 0) {
        free(*out);
        *out = NULL;
        return 0;
    }
    return 1;
}

/* The page as the handler drew it: watermarked for this reader (request.h). */
static void send_page(dg_web_page *p, json_t *result)
{
    unsigned char *png = NULL;
    size_t png_len = 0;
    const char *mime = jstr(result, "mime");
    if (!mime || strcmp(mime, "image/png")) {
        dg_web_error(p, 415, T(p, W_NO_IMAGE));
        return;
    }
    if (!decode_base64(jstr(result, "data") ? jstr(result, "data") : "", &png, &png_len)) {
        dg_web_error(p, 500, "page: the image could not be decoded");
        return;
    }
    p->status = 200;
    p->content_type = "image/png";
    p->bytes = png;
    p->bytes_len = png_len;
}

void dg_web_page_image(dg_web_page *p, const char *refcode, int seq)
{
    json_t *args = json_pack("{s:s, s:i, s:i, s:i}", "refcode", refcode, "seq", seq,
                             "max_width", DG_WEB_IMAGE_MAX_WIDTH, "sheet", sheet_arg(p));
    if (args && version_arg(p))
        json_object_set_new(args, "version", json_integer(version_arg(p)));
    json_t *response = call(p, "page", args);
    if (response_ok(response))
        send_page(p, json_object_get(response, "result"));
    else if (response_is(response, "not_found"))
        not_found(p, refcode);
    else
        error_from(p, response);
    json_decref(response);
}

/* ---- the access log ---- */

static json_t *log_args(dg_web_page *p)
{
    json_t *args = json_object();
    pass_arg(p, args, "user", NULL);
    pass_arg(p, args, "action", NULL);
    pass_arg(p, args, "record", NULL);
    pass_arg(p, args, "since", NULL);
    pass_arg(p, args, "until", NULL);
    json_object_set_new(args, "limit", json_integer(LOG_ROWS));
    return args;
}

static void log_filter_form(dg_web_page *p)
{
    dg_buf_puts(&p->body, "<form method=\"get\" action=\"/log\" class=\"filters\">");
    text_input(p, "user", W_USER, "short");
    text_input(p, "action", W_ACTION, "short");
    text_input(p, "record", W_RECORD_ARG, "");
    text_input(p, "since", W_SINCE, "date");
    text_input(p, "until", W_UNTIL, "date");
    dg_buf_printf(&p->body, "<button type=\"submit\" id=\"log-filter\">%s</button></form>",
                  T(p, W_FILTER));
}

static void log_csv_link(dg_web_page *p)
{
    static const char *const keys[] = {"user", "action", "record", "since", "until"};
    dg_buf_puts(&p->body, "<p><a id=\"csv\" href=\"/log.csv?");
    for (size_t i = 0; i < 5; i++) {
        dg_buf_printf(&p->body, "%s%s=", i ? "&amp;" : "", keys[i]);
        dg_buf_url(&p->body, arg(p, keys[i]) ? arg(p, keys[i]) : "");
    }
    dg_buf_printf(&p->body, "\">%s</a></p>", T(p, W_CSV));
}

static void log_verification(dg_web_page *p)
{
    json_t *response = call(p, "log verify", json_object());
    json_t *r = json_object_get(response, "result");
    if (response_ok(response) && json_is_true(json_object_get(r, "intact"))) {
        dg_buf_puts(&p->body, "<p class=\"ok\" id=\"log-state\">");
        dg_buf_printf(&p->body, T(p, W_LOG_OK), jint(r, "entries"));
        dg_buf_puts(&p->body, "</p>");
    } else {
        dg_buf_printf(&p->body, "<p class=\"error\" id=\"log-state\">%s", T(p, W_LOG_BROKEN));
        dg_buf_text(&p->body, r ? jstr(r, "reason") : jstr(response, "error"));
        dg_buf_puts(&p->body, "</p>");
    }
    json_decref(response);
}

static const char *const LOG_FIELDS[] = {"id", "local_time", "user", "origin", "action",
                                         "record", "query", "outcome", "detail"};
enum { LOG_FIELD_COUNT = sizeof LOG_FIELDS / sizeof LOG_FIELDS[0] };

/* A field of an entry as text (numbers and nulls included). */
static void entry_field(json_t *e, const char *key, char *out, size_t size)
{
    json_t *v = json_object_get(e, key);
    if (json_is_string(v))
        snprintf(out, size, "%s", json_string_value(v));
    else if (json_is_integer(v))
        snprintf(out, size, "%lld", (long long)json_integer_value(v));
    else
        out[0] = '\0';
}

static void log_table(dg_web_page *p, json_t *entries)
{
    static const dg_web_word heads[] = {W_VERSION, W_WHEN, W_USER, W_ORIGIN, W_ACTION,
                                        W_RECORD_ARG, W_SEARCH, W_OUTCOME, W_DETAIL};
    json_t *e;
    size_t i;
    dg_buf_puts(&p->body, "<table class=\"log\" id=\"log\"><tr>");
    for (size_t f = 0; f < LOG_FIELD_COUNT; f++)
        dg_buf_printf(&p->body, "<th>%s</th>", f == 0 ? "#" : T(p, heads[f]));
    dg_buf_puts(&p->body, "</tr>");
    json_array_foreach(entries, i, e) {
        dg_buf_puts(&p->body, "<tr>");
        for (size_t f = 0; f < LOG_FIELD_COUNT; f++) {
            char text[2048];
            entry_field(e, LOG_FIELDS[f], text, sizeof text);
            dg_buf_puts(&p->body, "<td>");
            dg_buf_text(&p->body, text);
            dg_buf_puts(&p->body, "</td>");
        }
        dg_buf_puts(&p->body, "</tr>");
    }
    dg_buf_puts(&p->body, "</table>");
}

static void log_csv(dg_web_page *p, json_t *entries)
{
    char *data = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&data, &len);
    if (!out) {
        dg_web_error(p, 500, "log: out of memory");
        return;
    }
    dg_csv_header(out, LOG_FIELDS, LOG_FIELD_COUNT);
    json_t *e;
    size_t i;
    json_array_foreach(entries, i, e) {
        char text[LOG_FIELD_COUNT][2048];
        const char *fields[LOG_FIELD_COUNT];
        for (size_t f = 0; f < LOG_FIELD_COUNT; f++) {
            entry_field(e, LOG_FIELDS[f], text[f], sizeof text[f]);
            fields[f] = text[f];
        }
        dg_csv_row(out, fields, LOG_FIELD_COUNT);
    }
    if (fclose(out) != 0) {
        free(data);
        dg_web_error(p, 500, "log: out of memory");
        return;
    }
    p->status = 200;
    p->content_type = "text/csv; charset=utf-8";
    p->bytes = (unsigned char *)data;
    p->bytes_len = len;
    snprintf(p->filename, sizeof p->filename, "access-log.csv");
}

void dg_web_log(dg_web_page *p, int csv)
{
    json_t *response = call(p, "log", log_args(p));
    if (!response_ok(response) && !response_is(response, "usage")) {
        error_from(p, response);
        json_decref(response);
        return;
    }
    json_t *entries = json_object_get(json_object_get(response, "result"), "entries");
    if (csv && response_ok(response)) {
        log_csv(p, entries);
        json_decref(response);
        return;
    }
    page_begin(p, T(p, W_LOG));
    dg_buf_printf(&p->body, "<h1>%s</h1>", T(p, W_LOG));
    log_verification(p);
    log_filter_form(p);
    if (!response_ok(response))
        notice(p, "error", jstr(response, "error"));
    log_csv_link(p);
    log_table(p, entries);
    page_end(p);
    json_decref(response);
}

/* ---- the review queue ---- */

/* Correcting an item: another category and type, with a reason (it teaches the classifier). */
static void correction_form(dg_web_page *p, json_t *it)
{
    static const char *const cats[] = {"XZ", "RS", "CW", "ZC", "HD"};
    dg_buf *b = &p->body;
    dg_buf_puts(b, "<form method=\"post\" action=\"/review/correct\" class=\"correct\">");
    hidden_csrf(p);
    dg_buf_puts(b, "<input type=\"hidden\" name=\"refcode\" value=\"");
    dg_buf_text(b, jstr(it, "refcode"));
    dg_buf_puts(b, "\"><select name=\"category\">");
    for (size_t i = 0; i < 5; i++)
        option(p, cats[i], dg_web_category(p->lang, cats[i]), NULL);
    dg_buf_printf(b, "</select><input name=\"type\" class=\"short\" placeholder=\"%s\">"
                     "<input name=\"reason\" placeholder=\"%s\" required><button type=\"submit\">"
                     "%s</button></form>",
                  T(p, W_TYPE), T(p, W_REASON), T(p, W_CORRECT));
}

static void review_item(dg_web_page *p, json_t *it)
{
    dg_buf *b = &p->body;
    char conf[32];
    snprintf(conf, sizeof conf, "%.2f", json_real_value(json_object_get(it, "confidence")));
    dg_buf_puts(b, "<tr><td>");
    record_link(p, jstr(it, "refcode"), 0, 1);
    dg_buf_puts(b, "</td><td>");
    dg_buf_text(b, jstr(it, "title"));
    dg_buf_printf(b, "</td><td>%s</td><td>", dg_web_category(p->lang, jstr(it, "category")));
    dg_buf_text(b, jstr(it, "type"));
    dg_buf_printf(b, "</td><td>%s</td><td><form method=\"post\" action=\"/review/accept\">", conf);
    hidden_csrf(p);
    dg_buf_puts(b, "<input type=\"hidden\" name=\"refcode\" value=\"");
    dg_buf_text(b, jstr(it, "refcode"));
    dg_buf_printf(b, "\"><input name=\"reason\" placeholder=\"%s\"><button type=\"submit\" "
                     "class=\"accept\">%s</button></form>",
                  T(p, W_REASON), T(p, W_ACCEPT));
    correction_form(p, it);
    dg_buf_puts(b, "</td></tr>");
}

void dg_web_review(dg_web_page *p)
{
    json_t *response = call(p, "review list", json_pack("{s:i}", "limit", 200));
    if (!response_ok(response)) {
        error_from(p, response);
        json_decref(response);
        return;
    }
    json_t *items = json_object_get(json_object_get(response, "result"), "records"), *it;
    size_t i;
    page_begin(p, T(p, W_REVIEW));
    dg_buf_printf(&p->body, "<h1>%s</h1>", T(p, W_REVIEW));
    if (arg(p, "done")) {
        char msg[256];
        snprintf(msg, sizeof msg, T(p, W_ACCEPTED), arg(p, "done"));
        notice(p, "ok", msg);
    }
    if (!json_array_size(items))
        notice(p, "empty", T(p, W_REVIEW_EMPTY));
    dg_buf_printf(&p->body, "<table class=\"review\" id=\"review\"><tr><th>%s</th><th>%s</th>"
                            "<th>%s</th><th>%s</th><th>%s</th><th></th></tr>",
                  T(p, W_REFCODE), T(p, W_TITLE), T(p, W_CATEGORY), T(p, W_TYPE),
                  T(p, W_CONFIDENCE));
    json_array_foreach(items, i, it)
        review_item(p, it);
    dg_buf_puts(&p->body, "</table>");
    page_end(p);
    json_decref(response);
}

void dg_web_review_accept(dg_web_page *p)
{
    const char *ref = arg(p, "refcode");
    json_t *args = json_pack("{s:s}", "refcode", ref ? ref : "");
    pass_arg(p, args, "reason", NULL);
    json_t *response = call(p, "review accept", args);
    if (response_ok(response)) {
        dg_buf url;
        dg_buf_init(&url);
        dg_buf_puts(&url, "/review?done=");
        dg_buf_url(&url, ref);
        snprintf(p->location, sizeof p->location, "%s", url.data ? url.data : "/review");
        dg_buf_free(&url);
    } else if (response_is(response, "not_found")) {
        not_found(p, ref ? ref : "");
    } else {
        error_from(p, response);
    }
    json_decref(response);
}

/* ---- retention ---- */

static int review_year(const dg_web_page *p)
{
    const char *text = arg(p, "year");
    long y = text ? strtol(text, NULL, 10) : 0;
    if (y >= 1900 && y <= 9999)
        return (int)y;
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    return tm.tm_year + 1900;
}

static void sign_form(dg_web_page *p, const char *action, int year, dg_web_word button)
{
    dg_buf *b = &p->body;
    dg_buf_printf(b, "<form method=\"post\" action=\"%s\" class=\"sign\">", action);
    hidden_csrf(p);
    dg_buf_printf(b, "<input type=\"hidden\" name=\"year\" value=\"%d\"><label>%s "
                     "<input type=\"password\" name=\"password\" autocomplete=\"current-password\""
                     " required></label><button type=\"submit\">%s</button></form>",
                  year, T(p, W_CONFIRM_PASSWORD), T(p, button));
}

static void appraise_form(dg_web_page *p, json_t *it)
{
    dg_buf *b = &p->body;
    dg_buf_puts(b, "<form method=\"post\" action=\"/retention/appraise\" class=\"correct\">");
    hidden_csrf(p);
    dg_buf_printf(b, "<input type=\"hidden\" name=\"year\" value=\"%d\">"
                     "<input type=\"hidden\" name=\"refcode\" value=\"", review_year(p));
    dg_buf_text(b, jstr(it, "refcode"));
    dg_buf_puts(b, "\"><select name=\"decision\">");
    option(p, "destroy", T(p, W_DESTROY), NULL);
    option(p, "extend", T(p, W_EXTEND), NULL);
    option(p, "permanent", T(p, W_PERMANENT), NULL);
    dg_buf_printf(b, "</select><input name=\"years\" class=\"year\" placeholder=\"N\">"
                     "<input name=\"reason\" placeholder=\"%s\" required><button type=\"submit\">"
                     "%s</button></form>", T(p, W_REASON), T(p, W_APPRAISE));
}

static void retention_items(dg_web_page *p, json_t *items)
{
    json_t *it;
    size_t i;
    dg_buf_printf(&p->body, "<table class=\"items\" id=\"items\"><tr><th>#</th><th>%s</th>"
                            "<th>%s</th><th>%s</th><th>%s</th><th>%s</th></tr>",
                  T(p, W_REFCODE), T(p, W_TITLE), T(p, W_YEAR), T(p, W_STATE), T(p, W_DECISION));
    json_array_foreach(items, i, it) {
        dg_buf_printf(&p->body, "<tr><td>%lld</td><td>", jint(it, "serial"));
        dg_buf_text(&p->body, jstr(it, "refcode"));
        dg_buf_puts(&p->body, "</td><td>");
        dg_buf_text(&p->body, jstr(it, "title"));
        char year[16];
        dg_buf_puts(&p->body, "</td><td>");
        dg_buf_text(&p->body, year_text(p, it, year, sizeof year));
        dg_buf_puts(&p->body, "</td><td>");
        dg_buf_text(&p->body, jstr(it, "state"));
        dg_buf_puts(&p->body, "</td><td>");
        dg_buf_text(&p->body, jstr(it, "decision"));
        if (has_role(p, DG_ROLE_ARCHIVIST))
            appraise_form(p, it);
        dg_buf_puts(&p->body, "</td></tr>");
    }
    dg_buf_puts(&p->body, "</table>");
}

static void retention_review(dg_web_page *p, json_t *result, int year)
{
    json_t *review = json_object_get(result, "review");
    json_t *witnesses = json_object_get(review, "witnesses"), *w;
    size_t i;
    dg_buf_printf(&p->body, "<p id=\"review-state\">%s: ", T(p, W_STATE));
    dg_buf_text(&p->body, jstr(review, "state"));
    if (jstr(review, "approved_by")) {
        dg_buf_puts(&p->body, " · ");
        dg_buf_text(&p->body, jstr(review, "approved_by"));
    }
    json_array_foreach(witnesses, i, w) {
        dg_buf_puts(&p->body, " · ");
        dg_buf_text(&p->body, json_string_value(w));
    }
    dg_buf_puts(&p->body, "</p>");
    if (has_role(p, DG_ROLE_LEADER))
        sign_form(p, "/retention/approve", year, W_APPROVE);
    if (has_role(p, DG_ROLE_WITNESS))
        sign_form(p, "/retention/witness", year, W_WITNESS);
    if (has_role(p, DG_ROLE_ARCHIVIST)) {
        dg_buf_printf(&p->body, "<form method=\"post\" action=\"/retention/destroy\" class=\"sign\">");
        hidden_csrf(p);
        dg_buf_printf(&p->body, "<input type=\"hidden\" name=\"year\" value=\"%d\">"
                                "<button type=\"submit\">%s</button></form>", year, T(p, W_DESTROY_RUN));
    }
    retention_items(p, json_object_get(result, "items"));
}

void dg_web_retention(dg_web_page *p)
{
    int year = review_year(p);
    json_t *response = call(p, "retention list", json_pack("{s:i}", "review", year));
    if (!response_ok(response) && response_is(response, "denied")) {
        error_from(p, response);
        json_decref(response);
        return;
    }
    char title[128];
    snprintf(title, sizeof title, T(p, W_REVIEW_OF), year);
    page_begin(p, title);
    dg_buf_printf(&p->body, "<h1>%s</h1><form method=\"get\" action=\"/retention\">"
                            "<input name=\"year\" class=\"year\" value=\"%d\"><button>%s</button>"
                            "</form>", title, year, T(p, W_FILTER));
    dg_buf_printf(&p->body, "<p><a href=\"/retention/due\">%s</a> · <a href=\"/register\">%s</a></p>",
                  T(p, W_FORECAST), T(p, W_REGISTER));
    if (arg(p, "done"))
        notice(p, "ok", arg(p, "done"));
    if (response_ok(response))
        retention_review(p, json_object_get(response, "result"), year);
    else
        notice(p, "error", jstr(response, "error"));
    page_end(p);
    json_decref(response);
}

/* Asks the engine whether the password is the signer's own (logged as web.confirm). */
static int confirm_password(dg_web_page *p, const char *what)
{
    dg_actor actor;
    dg_error err;
    if (dg_actor_login(p->archive, p->login, p->origin, &actor, &err) != DG_OK)
        return 0;
    const char *password = p->arg ? p->arg(p->arg_ctx, "password") : NULL;
    return dg_password_confirm(p->archive, &actor, password ? password : "", what, &err) == DG_OK;
}

void dg_web_retention_sign(dg_web_page *p, int witness)
{
    int year = review_year(p);
    const char *cmd = witness ? "retention witness" : "retention approve";
    if (!confirm_password(p, cmd)) {
        dg_web_error(p, 403, T(p, W_WRONG_PASSWORD));
        return;
    }
    json_t *response = call(p, cmd, json_pack("{s:i}", "review", year));
    if (response_ok(response)) {
        char msg[128];
        json_t *r = json_object_get(response, "result");
        if (witness)
            snprintf(msg, sizeof msg, T(p, W_SIGNED), (int)jint(r, "signatures"));
        else
            snprintf(msg, sizeof msg, "%s", T(p, W_APPROVED));
        dg_buf url;
        dg_buf_init(&url);
        dg_buf_printf(&url, "/retention?year=%d&done=", year);
        dg_buf_url(&url, msg);
        snprintf(p->location, sizeof p->location, "%s", url.data ? url.data : "/retention");
        dg_buf_free(&url);
    } else {
        error_from(p, response);
    }
    json_decref(response);
}

/* ---- plain listings: batches, quarantine, the register, the forecast ---- */

/* A table of the fields keys (with heads) of each object in items. */
static void json_table(dg_web_page *p, const char *id, json_t *items, const char *const *keys,
                       const char *const *heads, size_t n)
{
    json_t *it;
    size_t i;
    dg_buf_printf(&p->body, "<table id=\"%s\"><tr>", id);
    for (size_t k = 0; k < n; k++)
        dg_buf_printf(&p->body, "<th>%s</th>", heads[k]);
    dg_buf_puts(&p->body, "</tr>");
    json_array_foreach(items, i, it) {
        dg_buf_puts(&p->body, "<tr>");
        for (size_t k = 0; k < n; k++) {
            char text[2048];
            entry_field(it, keys[k], text, sizeof text);
            dg_buf_puts(&p->body, "<td>");
            dg_buf_text(&p->body, text);
            dg_buf_puts(&p->body, "</td>");
        }
        dg_buf_puts(&p->body, "</tr>");
    }
    dg_buf_puts(&p->body, "</table>");
}

/* Runs a read-only listing and shows the array under key as a table. */
static void listing(dg_web_page *p, dg_web_word title, const char *cmd, json_t *args,
                    const char *key, const char *const *keys, const char *const *heads,
                    size_t n)
{
    json_t *response = call(p, cmd, args);
    if (!response_ok(response)) {
        error_from(p, response);
        json_decref(response);
        return;
    }
    page_begin(p, T(p, title));
    dg_buf_printf(&p->body, "<h1>%s</h1>", T(p, title));
    json_table(p, key, json_object_get(json_object_get(response, "result"), key), keys, heads, n);
    page_end(p);
    json_decref(response);
}

void dg_web_batches(dg_web_page *p)
{
    const char *id = arg(p, "id");
    if (id) {
        static const char *const keys[] = {"name", "outcome", "refcode", "reason", "pages"};
        listing(p, W_BATCHES, "batch show", json_pack("{s:i}", "id", atoi(id)), "files", keys,
                keys, 5);
        return;
    }
    static const char *const keys[] = {"id", "label", "started_at", "user", "files", "filed",
                                       "duplicates", "quarantined"};
    listing(p, W_BATCHES, "batch list", json_object(), "batches", keys, keys, 8);
}

/* ---- uploads ---- */

void dg_web_upload_form(dg_web_page *p)
{
    if (!has_role(p, DG_ROLE_ARCHIVIST)) {
        dg_web_error(p, 403, T(p, W_FORBIDDEN));
        return;
    }
    dg_buf *b = &p->body;
    page_begin(p, T(p, W_UPLOAD));
    dg_buf_printf(b, "<h1>%s</h1><form method=\"post\" action=\"/upload\" "
                     "enctype=\"multipart/form-data\" class=\"login\" id=\"upload\">",
                  T(p, W_UPLOAD));
    hidden_csrf(p);
    dg_buf_printf(b, "<label>%s <input type=\"file\" name=\"files\" multiple required></label>",
                  T(p, W_UPLOAD_FILES));
    dg_buf_printf(b, "<label>%s <input type=\"file\" name=\"manifest\" accept=\".csv,text/csv\">"
                     "</label><button type=\"submit\">%s</button></form>",
                  T(p, W_MANIFEST_OPT), T(p, W_UPLOAD));
    page_end(p);
}

static void upload_running(dg_web_page *p, int id, uint64_t done, uint64_t total)
{
    dg_buf_printf(&p->body, "<p id=\"upload-state\" data-status=\"/upload/status?id=%d\" "
                            "data-label=\"%s\">%s %llu / %llu</p>"
                            "<progress id=\"upload-progress\"></progress>"
                            "<p><a href=\"/upload/job?id=%d\">%s</a></p>",
                  id, T(p, W_UPLOAD_RUNNING), T(p, W_UPLOAD_RUNNING),
                  (unsigned long long)done, (unsigned long long)total, id, T(p, W_REFRESH));
}

static void upload_outcomes(dg_web_page *p, json_t *result)
{
    long long batch = jint(result, "batch");
    dg_buf_printf(&p->body, "<p id=\"upload-summary\">%s: <a href=\"/batches?id=%lld\">%s %lld</a>"
                            " · %lld / %lld</p>",
                  T(p, W_UPLOAD_DONE), batch, T(p, W_BATCHES), batch, jint(result, "filed"),
                  jint(result, "files"));
    static const char *const keys[] = {"name", "outcome", "refcode", "title", "reason"};
    const char *heads[] = {T(p, W_FILE), T(p, W_OUTCOME), T(p, W_REFCODE), T(p, W_TITLE),
                           T(p, W_REASON)};
    json_table(p, "outcomes", json_object_get(result, "outcomes"), keys, heads, 5);
}

void dg_web_upload_job(dg_web_page *p, int id, int running, uint64_t done, uint64_t total,
                       size_t files, json_t *response)
{
    json_t *result = json_object_get(response, "result");
    if (!running && !json_is_object(result)) {
        error_from(p, response);
        return;
    }
    page_begin(p, T(p, W_UPLOAD));
    dg_buf_printf(&p->body, "<h1>%s #%d</h1><p>%s: %zu</p>", T(p, W_UPLOAD), id, T(p, W_FILE),
                  files);
    if (running)
        upload_running(p, id, done, total);
    else
        upload_outcomes(p, result);
    page_end(p);
}

void dg_web_quarantine(dg_web_page *p)
{
    static const char *const keys[] = {"id", "batch", "name", "reason", "at"};
    listing(p, W_QUARANTINE, "quarantine list", json_object(), "quarantined", keys, keys, 5);
}

void dg_web_register(dg_web_page *p)
{
    static const char *const keys[] = {"serial", "review", "refcode", "title", "year", "period",
                                       "period_served", "pages", "approver", "witness1",
                                       "witness2", "destroyed_at", "hash"};
    listing(p, W_REGISTER, "register list", json_object(), "entries", keys, keys, 13);
}

void dg_web_forecast(dg_web_page *p)
{
    static const char *const keys[] = {"refcode", "title", "category", "period", "year", "due",
                                       "on_hold", "queued"};
    json_t *args = json_object();
    pass_arg(p, args, "within", NULL);
    listing(p, W_FORECAST, "retention due", args, "records", keys, keys, 8);
}

/* After a change from a form: back to where it came from, saying what was done, or the
 * page that says why not. */
static void answer_then_back(dg_web_page *p, json_t *response, const char *back)
{
    if (response_ok(response)) {
        dg_buf url;
        dg_buf_init(&url);
        dg_buf_printf(&url, "%s%sdone=", back, strchr(back, '?') ? "&" : "?");
        dg_buf_url(&url, T(p, W_DONE));
        snprintf(p->location, sizeof p->location, "%s", url.data ? url.data : back);
        dg_buf_free(&url);
    } else if (response_is(response, "not_found")) {
        not_found(p, arg(p, "refcode") ? arg(p, "refcode") : "");
    } else {
        error_from(p, response);
    }
}

/* Runs a change from a form and goes back to where it came from, saying what was done. */
static void change_then_back(dg_web_page *p, const char *cmd, json_t *args, const char *back)
{
    json_t *response = call(p, cmd, args);
    answer_then_back(p, response, back);
    json_decref(response);
}

void dg_web_review_correct(dg_web_page *p)
{
    json_t *args = json_object();
    pass_arg(p, args, "refcode", NULL);
    pass_arg(p, args, "category", NULL);
    pass_arg(p, args, "type", NULL);
    pass_arg(p, args, "reason", NULL);
    change_then_back(p, "classify", args, "/review");
}

void dg_web_retention_appraise(dg_web_page *p)
{
    char back[64];
    int year = review_year(p);
    snprintf(back, sizeof back, "/retention?year=%d", year);
    json_t *args = json_pack("{s:i}", "review", year);
    pass_arg(p, args, "refcode", NULL);
    pass_arg(p, args, "reason", NULL);
    const char *decision = arg(p, "decision");
    if (decision && !strcmp(decision, "destroy"))
        json_object_set_new(args, "destroy", json_true());
    else if (decision && !strcmp(decision, "permanent"))
        json_object_set_new(args, "permanent", json_true());
    else if (decision && !strcmp(decision, "extend"))
        json_object_set_new(args, "extend", json_integer(atoi(arg(p, "years") ? arg(p, "years") : "0")));
    change_then_back(p, "retention appraise", args, back);
}

void dg_web_retention_destroy(dg_web_page *p)
{
    char back[64];
    int year = review_year(p);
    snprintf(back, sizeof back, "/retention?year=%d", year);
    change_then_back(p, "retention destroy", json_pack("{s:i}", "review", year), back);
}

/* ---- loans (借阅) ---- */

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
            return T(p, methods[i].word);
    return method ? method : "";
}

static void method_select(dg_web_page *p, int paper)
{
    dg_buf_printf(&p->body, "<label>%s <select name=\"method\" id=\"loan-method\">",
                  T(p, W_METHOD));
    option(p, "read", T(p, W_M_READ), NULL);
    option(p, "copy", T(p, W_M_COPY), NULL);
    option(p, "excerpt", T(p, W_M_EXCERPT), NULL);
    if (paper)
        option(p, "loan", T(p, W_M_LOAN), "loan");
    dg_buf_puts(&p->body, "</select></label>");
}

/* A text field of a loan form; value (may be NULL) fills it in. */
static void loan_field(dg_web_page *p, const char *name, dg_web_word label, const char *value,
                       int required)
{
    dg_buf_printf(&p->body, "<label>%s <input name=\"%s\" id=\"loan-%s\"%s value=\"", T(p, label),
                  name, name, required ? " required" : "");
    dg_buf_text(&p->body, value ? value : "");
    dg_buf_puts(&p->body, "\"></label>");
}

static void request_form(dg_web_page *p)
{
    dg_buf_printf(&p->body, "<h2>%s</h2><form method=\"post\" action=\"/loans/request\" "
                            "class=\"filters\" id=\"loan-request\">", T(p, W_LOAN_REQUEST));
    hidden_csrf(p);
    loan_field(p, "refcode", W_REFCODE, arg(p, "refcode"), 1);
    loan_field(p, "purpose", W_PURPOSE, NULL, 1);
    method_select(p, 0);
    loan_field(p, "days", W_DAYS, "7", 1);
    dg_buf_printf(&p->body, "<button type=\"submit\" id=\"loan-ask\">%s</button></form>",
                  T(p, W_LOAN_REQUEST));
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
            return T(p, words[i].word);
    return code;
}

/* One cell of a loan row: the field, escaped (method, kind and state in words, dates as
 * days). */
static void loan_cell(dg_web_page *p, json_t *l, const char *key)
{
    const char *v = jstr(l, key);
    char text[64];
    dg_buf_puts(&p->body, "<td>");
    if (!strcmp(key, "id")) {
        snprintf(text, sizeof text, "%lld", jint(l, "id"));
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
        dg_buf_printf(&p->body, "<th>%s</th>", k ? T(p, heads[k]) : "#");
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
        dg_buf_printf(&p->body, "<tr data-loan=\"%lld\">", jint(l, "id"));
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
        notice(p, "note", T(p, W_NO_LOANS));
}

static int is_mine(const dg_web_page *p, json_t *l)
{
    return jstr(l, "login") && !strcmp(jstr(l, "login"), p->login);
}

static int is_paper_out(const dg_web_page *p, json_t *l)
{
    (void)p;
    return !strcmp(jstr(l, "kind") ? jstr(l, "kind") : "", "paper") &&
           !strcmp(jstr(l, "state") ? jstr(l, "state") : "", "out");
}

/* Runs a loan listing; NULL after showing the error page. The caller owns the answer. */
static json_t *loan_listing(dg_web_page *p, const char *cmd, json_t *args)
{
    json_t *response = call(p, cmd, args);
    if (response_ok(response))
        return response;
    error_from(p, response);
    json_decref(response);
    return NULL;
}

/* Links to the loan pages this viewer's roles open. */
static void loan_links(dg_web_page *p)
{
    dg_buf_printf(&p->body, "<p class=\"loan-links\"><a href=\"/loans\">%s</a>", T(p, W_MY_LOANS));
    if (has_role(p, DG_ROLE_LEADER))
        dg_buf_printf(&p->body, " · <a href=\"/loans/pending\" id=\"pending-link\">%s</a>",
                      T(p, W_PENDING));
    if (has_role(p, DG_ROLE_ARCHIVIST))
        dg_buf_printf(&p->body, " · <a href=\"/loans/paper\" id=\"paper-link\">%s</a>",
                      T(p, W_PAPER_LOANS));
    if (has_role(p, DG_ROLE_ARCHIVIST | DG_ROLE_LEADER | DG_ROLE_AUDITOR | DG_ROLE_ADMIN)) {
        int year = review_year(p);
        dg_buf_printf(&p->body, " · %s %d: <a href=\"/loans/register.csv?year=%d\" "
                                "id=\"register-csv\">%s</a> <a href=\"/loans/register.pdf?"
                                "year=%d\" id=\"register-pdf\">%s</a>",
                      T(p, W_LOAN_REGISTER), year, year, T(p, W_CSV), year, T(p, W_PDF));
    }
    dg_buf_puts(&p->body, "</p>");
    if (arg(p, "done"))
        notice(p, "ok", arg(p, "done"));
}

/* An electronic loan its borrower holds: a form to hand it back before it is due. */
static void hand_back_row(dg_web_page *p, json_t *l)
{
    if (strcmp(jstr(l, "kind") ? jstr(l, "kind") : "", "electronic") ||
        strcmp(jstr(l, "state") ? jstr(l, "state") : "", "approved"))
        return;
    dg_buf_puts(&p->body, "<form method=\"post\" action=\"/loans/hand-back\" class=\"sign\">");
    hidden_csrf(p);
    dg_buf_printf(&p->body, "<input type=\"hidden\" name=\"id\" value=\"%lld\"><button "
                            "type=\"submit\" class=\"hand-back\">%s</button></form>",
                  jint(l, "id"), T(p, W_HAND_BACK));
}

void dg_web_loans(dg_web_page *p)
{
    json_t *response = loan_listing(p, "loan list", json_object());
    if (!response)
        return;
    page_begin(p, T(p, W_MY_LOANS));
    dg_buf_printf(&p->body, "<h1>%s</h1>", T(p, W_MY_LOANS));
    loan_links(p);
    request_form(p);
    /* leaders and archivists read every loan: this page shows their own */
    loan_table(p, "my-loans", json_object_get(json_object_get(response, "result"), "loans"),
               is_mine, hand_back_row);
    page_end(p);
    json_decref(response);
}

/* A decision's form: the decider's password again (a decision is that person's act). */
static void decide_form(dg_web_page *p, json_t *l, int approve)
{
    dg_buf_printf(&p->body, "<form method=\"post\" action=\"/loans/%s\" class=\"sign\">",
                  approve ? "approve" : "refuse");
    hidden_csrf(p);
    dg_buf_printf(&p->body, "<input type=\"hidden\" name=\"id\" value=\"%lld\">", jint(l, "id"));
    if (approve)
        dg_buf_printf(&p->body, "<input name=\"days\" class=\"year\" placeholder=\"%s\">",
                      T(p, W_DAYS));
    else
        dg_buf_printf(&p->body, "<input name=\"reason\" placeholder=\"%s\" required>",
                      T(p, W_REASON));
    dg_buf_printf(&p->body, "<label>%s <input type=\"password\" name=\"password\" "
                            "autocomplete=\"current-password\" required></label>"
                            "<button type=\"submit\" class=\"%s\">%s</button></form>",
                  T(p, W_CONFIRM_PASSWORD), approve ? "approve" : "refuse",
                  T(p, approve ? W_LOAN_APPROVE : W_LOAN_REFUSE));
}

static void pending_row(dg_web_page *p, json_t *l)
{
    decide_form(p, l, 1);
    decide_form(p, l, 0);
}

void dg_web_loans_pending(dg_web_page *p)
{
    if (!has_role(p, DG_ROLE_LEADER)) {
        dg_web_error(p, 403, T(p, W_FORBIDDEN));
        return;
    }
    json_t *response = loan_listing(p, "loan list", json_pack("{s:b}", "pending", 1));
    if (!response)
        return;
    page_begin(p, T(p, W_PENDING));
    dg_buf_printf(&p->body, "<h1>%s</h1>", T(p, W_PENDING));
    loan_links(p);
    loan_table(p, "pending", json_object_get(json_object_get(response, "result"), "loans"), NULL,
               pending_row);
    page_end(p);
    json_decref(response);
}

static void out_form(dg_web_page *p)
{
    dg_buf_printf(&p->body, "<h2>%s</h2><form method=\"post\" action=\"/loans/out\" "
                            "class=\"filters\" id=\"loan-out\">", T(p, W_LEND));
    hidden_csrf(p);
    loan_field(p, "refcode", W_REFCODE, arg(p, "refcode"), 1);
    loan_field(p, "borrower", W_BORROWER, NULL, 1);
    loan_field(p, "unit", W_UNIT, NULL, 0);
    loan_field(p, "id_number", W_ID_NUMBER, NULL, 0);
    loan_field(p, "purpose", W_PURPOSE, NULL, 1);
    method_select(p, 1);
    dg_buf_printf(&p->body, "<label>%s <input type=\"date\" name=\"due\" id=\"loan-due\" "
                            "required></label>", T(p, W_DUE));
    loan_field(p, "approver", W_APPROVER, NULL, 1);
    dg_buf_printf(&p->body, "<button type=\"submit\" id=\"loan-lend\">%s</button></form>",
                  T(p, W_LEND));
}

static void return_row(dg_web_page *p, json_t *l)
{
    dg_buf_puts(&p->body, "<form method=\"post\" action=\"/loans/return\" class=\"sign\">");
    hidden_csrf(p);
    dg_buf_printf(&p->body, "<input type=\"hidden\" name=\"id\" value=\"%lld\"><input "
                            "name=\"condition\" placeholder=\"%s\" required><button "
                            "type=\"submit\">%s</button></form>",
                  jint(l, "id"), T(p, W_CONDITION), T(p, W_RETURN));
}

void dg_web_loans_paper(dg_web_page *p)
{
    if (!has_role(p, DG_ROLE_ARCHIVIST)) {
        dg_web_error(p, 403, T(p, W_FORBIDDEN));
        return;
    }
    json_t *all = loan_listing(p, "loan list", json_object());
    json_t *overdue = all ? loan_listing(p, "loan overdue", json_object()) : NULL;
    if (!overdue) {
        json_decref(all);
        return;
    }
    page_begin(p, T(p, W_PAPER_LOANS));
    dg_buf_printf(&p->body, "<h1>%s</h1>", T(p, W_PAPER_LOANS));
    loan_links(p);
    out_form(p);
    dg_buf_printf(&p->body, "<h2>%s</h2>", T(p, W_PAPER_OUT));
    loan_table(p, "paper-out", json_object_get(json_object_get(all, "result"), "loans"),
               is_paper_out, return_row);
    dg_buf_printf(&p->body, "<h2>%s</h2>", T(p, W_OVERDUE));
    loan_table(p, "overdue", json_object_get(json_object_get(overdue, "result"), "loans"), NULL,
               NULL);
    page_end(p);
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
    int year = review_year(p);
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
    json_t *response = call(p, cmd, args);
    if (response_is(response, "denied") && jstr(response, "error"))
        dg_web_error(p, 403, jstr(response, "error"));
    else
        answer_then_back(p, response, back);
    json_decref(response);
}

void dg_web_loan_request(dg_web_page *p)
{
    json_t *args = json_object();
    pass_arg(p, args, "refcode", NULL);
    pass_arg(p, args, "purpose", NULL);
    pass_arg(p, args, "method", NULL);
    const char *days = arg(p, "days");
    json_object_set_new(args, "days", json_integer(days && *days ? atoi(days) : 7));
    loan_step(p, "loan request", args, "/loans");
}

/* A leader's approval or refusal, after their password is asked again. */
void dg_web_loan_decide(dg_web_page *p, int approve)
{
    const char *cmd = approve ? "loan approve" : "loan refuse";
    if (!confirm_password(p, cmd)) {
        dg_web_error(p, 403, T(p, W_WRONG_PASSWORD));
        return;
    }
    const char *id = arg(p, "id"), *days = arg(p, "days");
    json_t *args = json_pack("{s:i}", "id", id ? atoi(id) : 0);
    if (approve && days && *days)
        json_object_set_new(args, "days", json_integer(atoi(days)));
    pass_arg(p, args, "reason", NULL);
    loan_step(p, cmd, args, "/loans/pending");
}

void dg_web_loan_out(dg_web_page *p)
{
    static const char *const keys[] = {"refcode", "borrower", "unit", "id_number", "purpose",
                                       "method", "due", "approver"};
    json_t *args = json_object();
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (arg(p, keys[i]) && *arg(p, keys[i]))
            json_object_set_new(args, keys[i], json_string(arg(p, keys[i])));
    loan_step(p, "loan out", args, "/loans/paper");
}

void dg_web_loan_return(dg_web_page *p)
{
    const char *id = arg(p, "id");
    json_t *args = json_pack("{s:i}", "id", id ? atoi(id) : 0);
    pass_arg(p, args, "condition", NULL);
    loan_step(p, "loan return", args, "/loans/paper");
}

void dg_web_loan_hand_back(dg_web_page *p)
{
    const char *id = arg(p, "id");
    loan_step(p, "loan return", json_pack("{s:i}", "id", id ? atoi(id) : 0), "/loans");
}

/* ---- me ---- */

static void password_form(dg_web_page *p)
{
    dg_buf *b = &p->body;
    dg_buf_printf(b, "<h2>%s</h2><form method=\"post\" action=\"/me/password\" class=\"login\">",
                  T(p, W_CHANGE_PASSWORD));
    hidden_csrf(p);
    dg_buf_printf(b, "<label>%s <input type=\"password\" name=\"password\" "
                     "autocomplete=\"current-password\" required></label>",
                  T(p, W_CURRENT_PASSWORD));
    dg_buf_printf(b, "<label>%s <input type=\"password\" name=\"new\" "
                     "autocomplete=\"new-password\" required></label>", T(p, W_NEW_PASSWORD));
    dg_buf_printf(b, "<label>%s <input type=\"password\" name=\"again\" "
                     "autocomplete=\"new-password\" required></label>", T(p, W_REPEAT));
    dg_buf_printf(b, "<button type=\"submit\">%s</button></form>", T(p, W_CHANGE_PASSWORD));
}

/* My own recent access-log entries, newest first ("log mine": open to every account). */
static void my_activity(dg_web_page *p)
{
    json_t *response = call(p, "log mine", json_pack("{s:i}", "limit", 20));
    json_t *entries = json_object_get(json_object_get(response, "result"), "entries");
    json_t *newest_first = json_array();
    for (size_t i = json_array_size(entries); i > 0; i--)
        json_array_append(newest_first, json_array_get(entries, i - 1));
    dg_buf_printf(&p->body, "<h2>%s</h2>", T(p, W_MY_ACTIVITY));
    if (!response_ok(response))
        notice(p, "error", jstr(response, "error") ? jstr(response, "error") : T(p, W_ERROR));
    static const char *const keys[] = {"local_time", "action", "record", "query", "outcome",
                                       "origin"};
    const char *heads[] = {T(p, W_WHEN), T(p, W_ACTION), T(p, W_RECORD_ARG), T(p, W_SEARCH),
                           T(p, W_OUTCOME), T(p, W_ORIGIN)};
    if (response_ok(response))
        json_table(p, "my-activity", newest_first, keys, heads, 6);
    json_decref(newest_first);
    json_decref(response);
}

void dg_web_me(dg_web_page *p)
{
    char roles[128];
    dg_roles_format(p->roles, roles, sizeof roles);
    page_begin(p, T(p, W_ME));
    dg_buf_printf(&p->body, "<h1>%s</h1><table class=\"meta\">", T(p, W_ME));
    meta_row(p, W_LOGIN_NAME, p->login);
    meta_row(p, W_USER, p->name);
    meta_row(p, W_LEVEL, dg_web_level(p->lang, p->clearance));
    meta_row(p, W_ACTION, roles);
    dg_buf_puts(&p->body, "</table>");
    if (arg(p, "error"))
        notice(p, "error", !strcmp(arg(p, "error"), "differ") ? T(p, W_PASSWORDS_DIFFER)
                           : !strcmp(arg(p, "error"), "wrong") ? T(p, W_WRONG_PASSWORD)
                                                               : T(p, W_ERROR));
    password_form(p);
    my_activity(p);
    page_end(p);
}

void dg_web_me_password(dg_web_page *p)
{
    const char *fresh = p->arg ? p->arg(p->arg_ctx, "new") : NULL;
    const char *again = p->arg ? p->arg(p->arg_ctx, "again") : NULL;
    if (!fresh || !again || strcmp(fresh, again) != 0) {
        snprintf(p->location, sizeof p->location, "/me?error=differ");
        return;
    }
    if (!confirm_password(p, "passwd")) {
        snprintf(p->location, sizeof p->location, "/me?error=wrong");
        return;
    }
    json_t *response = call(p, "passwd", json_pack("{s:s}", "password", fresh));
    if (response_ok(response)) {
        p->password_changed = 1;
        snprintf(p->location, sizeof p->location, "/login?changed=1");
    } else {
        error_from(p, response);
    }
    json_decref(response);
}
