/*
 * web_pages.c — the search, record, page-image, log, review, retention and "me" pages (the
 * loan pages are web_loans.c; what both use, the layout and the dispatcher call, is
 * web_common.c).
 *
 * Each page is a few requests through dg_dispatch and a walk over their JSON results; the
 * HTML is plain (one stylesheet, one small script, both served from the program itself),
 * so it works on a school's old PCs and under a CSP that allows no inline script.
 */
#include "web_pages.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../engine/vocab.h"
#include "csv.h"
#include "dispatch.h"
#include "watermark.h"
#include "web_common.h"

#define LOG_ROWS 500

/* ---- login ---- */

void dg_web_login_form(dg_web_page *p, const char *message, const char *login_csrf)
{
    dg_buf *b = &p->body;
    dg_web_page_begin(p, dg_web_tr(p, W_LOGIN));
    dg_buf_printf(b, "<h1>%s</h1>", dg_web_tr(p, W_LOGIN));
    if (message)
        dg_web_notice(p, "error", message);
    dg_buf_puts(b, "<form method=\"post\" action=\"/login\" class=\"login\">"
                   "<input type=\"hidden\" name=\"csrf\" value=\"");
    dg_buf_text(b, login_csrf);
    dg_buf_printf(b, "\"><label>%s <input name=\"login\" id=\"login\" autocomplete=\"username\""
                     " required></label>", dg_web_tr(p, W_LOGIN_NAME));
    dg_buf_printf(b,
                  "<label>%s <input type=\"password\" name=\"password\" id=\"password\""
                  " autocomplete=\"current-password\" required></label>",
                  dg_web_tr(p, W_PASSWORD));
    dg_buf_printf(b, "<button type=\"submit\" id=\"login-submit\">%s</button></form>",
                  dg_web_tr(p, W_LOGIN));
    dg_web_page_end(p);
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
        const char *v = key && !strcmp(k, key) ? value : dg_web_arg(p, k);
        if (!v)
            continue;
        dg_buf_printf(b, "%s%s=", first ? "" : "&amp;", k);
        dg_buf_url(b, v);
        first = 0;
    }
    if (key && !strcmp(key, "page") && value)
        dg_buf_printf(b, "%spage=%s", first ? "" : "&amp;", value);
}

static void select_begin(dg_web_page *p, const char *name, dg_web_word label)
{
    dg_buf_printf(&p->body, "<label>%s <select name=\"%s\" id=\"f-%s\">", dg_web_tr(p, label), name,
                  name);
    dg_web_option(p, "", dg_web_tr(p, W_ANY), NULL);
}

static void text_input(dg_web_page *p, const char *name, dg_web_word label, const char *cls)
{
    dg_buf_printf(&p->body, "<label>%s <input name=\"%s\" id=\"f-%s\" class=\"%s\" value=\"",
                  dg_web_tr(p, label), name, name, cls);
    dg_buf_text(&p->body, dg_web_arg(p, name));
    dg_buf_puts(&p->body, "\"></label>");
}

static void search_filters(dg_web_page *p)
{
    static const char *const cats[] = {"XZ", "RS", "CW", "ZC", "HD"};
    static const char *const periods[] = {"Y", "D30", "D10"};
    select_begin(p, "category", W_CATEGORY);
    for (size_t i = 0; i < 5; i++)
        dg_web_option(p, cats[i], dg_web_category(p->lang, cats[i]), dg_web_arg(p, "category"));
    dg_buf_puts(&p->body, "</select></label>");
    text_input(p, "type", W_TYPE, "short");
    text_input(p, "year_from", W_YEAR_FROM, "year");
    text_input(p, "year_to", W_YEAR_TO, "year");
    select_begin(p, "period", W_PERIOD);
    for (size_t i = 0; i < 3; i++)
        dg_web_option(p, periods[i], dg_web_period(p->lang, periods[i]), dg_web_arg(p, "period"));
    dg_buf_puts(&p->body, "</select></label>");
    select_begin(p, "level", W_LEVEL);
    for (int l = 0; l <= 4; l++) {
        char v[16];
        snprintf(v, sizeof v, "%d", l);
        dg_web_option(p, v, dg_web_level(p->lang, l), dg_web_arg(p, "level"));
    }
    dg_buf_puts(&p->body, "</select></label>");
}

static void search_form(dg_web_page *p)
{
    dg_buf *b = &p->body;
    dg_buf_puts(b, "<form method=\"get\" action=\"/search\" class=\"search\">"
                   "<div class=\"box\"><input name=\"q\" id=\"q\" type=\"search\" value=\"");
    dg_buf_text(b, dg_web_arg(p, "q"));
    dg_buf_printf(b, "\" autofocus><button type=\"submit\" id=\"search-submit\">%s</button></div>"
                     "<div class=\"filters\">", dg_web_tr(p, W_SEARCH));
    search_filters(p);
    dg_buf_printf(b, "<label>%s <select name=\"sort\" id=\"f-sort\">", dg_web_tr(p, W_SORT));
    dg_web_option(p, "relevance", dg_web_tr(p, W_SORT_RELEVANCE), dg_web_arg(p, "sort"));
    dg_web_option(p, "date", dg_web_tr(p, W_SORT_DATE), dg_web_arg(p, "sort"));
    dg_web_option(p, "date-asc", dg_web_tr(p, W_SORT_DATE_ASC), dg_web_arg(p, "sort"));
    dg_buf_printf(b, "</select></label><label><input type=\"checkbox\" name=\"all_versions\" "
                     "value=\"1\"%s> %s</label></div></form>",
                  dg_web_arg(p, "all_versions") ? " checked" : "", dg_web_tr(p, W_ALL_VERSIONS));
}

static int search_page_number(const dg_web_page *p)
{
    const char *text = dg_web_arg(p, "page");
    long n = text ? strtol(text, NULL, 10) : 1;
    return n < 1 ? 1 : n > 500 ? 500 : (int)n;
}

static void year_range_arg(dg_web_page *p, json_t *args)
{
    const char *from = dg_web_arg(p, "year_from"), *to = dg_web_arg(p, "year_to");
    if (!from && !to)
        return;
    char range[64];
    snprintf(range, sizeof range, "%.8s..%.8s", from ? from : "1000", to ? to : "9999");
    json_object_set_new(args, "year", json_string(range));
}

static json_t *search_args(dg_web_page *p)
{
    json_t *args = json_object();
    dg_web_pass_arg(p, args, "q", "query");
    dg_web_pass_arg(p, args, "category", NULL);
    dg_web_pass_arg(p, args, "type", NULL);
    dg_web_pass_arg(p, args, "period", NULL);
    dg_web_pass_arg(p, args, "level", NULL);
    dg_web_pass_arg(p, args, "sort", NULL);
    year_range_arg(p, args);
    if (dg_web_arg(p, "all_versions"))
        json_object_set_new(args, "all_versions", json_true());
    json_object_set_new(args, "limit", json_integer(DG_WEB_RESULTS_PER_PAGE));
    json_object_set_new(args, "offset",
                        json_integer((search_page_number(p) - 1) * DG_WEB_RESULTS_PER_PAGE));
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
    int version = (int)dg_web_jint(h, "version");
    dg_buf_puts(b, "<li class=\"hit\"><div class=\"hit-head\">");
    record_link(p, dg_web_jstr(h, "refcode"), version, json_is_true(json_object_get(h, "current")));
    dg_buf_puts(b, " <span class=\"title\">");
    dg_buf_text(b, dg_web_jstr(h, "title"));
    dg_buf_puts(b, "</span></div><div class=\"meta\">");
    dg_buf_text(b, dg_web_jstr(h, "date"));
    dg_buf_printf(b, " · %s · %s · %s %d", dg_web_category(p->lang, dg_web_jstr(h, "category")),
                  dg_web_level(p->lang, (int)dg_web_jint(h, "level")), dg_web_tr(p, W_VERSION),
                  version);
    dg_buf_puts(b, "</div><div class=\"snippet\">");
    dg_buf_highlighted(b, dg_web_jstr(h, "snippet"));
    dg_buf_puts(b, "</div></li>");
}

static void facet_group(dg_web_page *p, json_t *facets, const char *name, dg_web_word label)
{
    json_t *group = json_object_get(facets, name);
    const char *key;
    json_t *count;
    if (!json_object_size(group))
        return;
    dg_buf_printf(&p->body, "<h3>%s</h3><ul>", dg_web_tr(p, label));
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
    long long pages = (total + DG_WEB_RESULTS_PER_PAGE - 1) / DG_WEB_RESULTS_PER_PAGE;
    if (pages <= 1)
        return;
    char n[16];
    dg_buf_puts(&p->body, "<div class=\"paging\">");
    if (page > 1) {
        snprintf(n, sizeof n, "%d", page - 1);
        dg_buf_puts(&p->body, "<a rel=\"prev\" href=\"");
        search_url(p, "page", n);
        dg_buf_printf(&p->body, "\">%s</a>", dg_web_tr(p, W_PREV));
    }
    dg_buf_printf(&p->body, " %d / %lld ", page, pages);
    if (page < pages) {
        snprintf(n, sizeof n, "%d", page + 1);
        dg_buf_puts(&p->body, "<a rel=\"next\" id=\"next\" href=\"");
        search_url(p, "page", n);
        dg_buf_printf(&p->body, "\">%s</a>", dg_web_tr(p, W_NEXT));
    }
    dg_buf_puts(&p->body, "</div>");
}

static void search_results(dg_web_page *p, json_t *result)
{
    dg_buf *b = &p->body;
    long long total = dg_web_jint(result, "total");
    json_t *hits = json_object_get(result, "hits"), *h;
    size_t i;
    dg_buf_puts(b, "<div class=\"results\"><aside class=\"facets\">");
    dg_buf_printf(b, "<h2>%s</h2>", dg_web_tr(p, W_REFINE));
    json_t *facets = json_object_get(result, "facets");
    facet_group(p, facets, "category", W_CATEGORY);
    facet_group(p, facets, "year", W_YEAR);
    facet_group(p, facets, "period", W_PERIOD);
    dg_buf_puts(b, "</aside><section>");
    dg_buf_puts(b, "<p class=\"total\" id=\"total\">");
    dg_buf_printf(b, dg_web_tr(p, W_RESULTS), total);
    dg_buf_puts(b, "</p>");
    if (!json_array_size(hits))
        dg_web_notice(p, "empty", dg_web_tr(p, W_NO_RESULTS));
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
            dg_web_arg(p, SEARCH_KEYS[i]))
            return 1;
    return 0;
}

void dg_web_search(dg_web_page *p)
{
    json_t *response = search_asked(p) ? dg_web_call(p, "search", search_args(p)) : NULL;
    if (response && !dg_web_ok(response) && !dg_web_status_is(response, "usage") &&
        !dg_web_status_is(response, "query")) {
        dg_web_error_from(p, response);
        json_decref(response);
        return;
    }
    dg_web_page_begin(p, dg_web_tr(p, W_SEARCH));
    search_form(p);
    if (response && dg_web_ok(response))
        search_results(p, json_object_get(response, "result"));
    else if (response) /* a query the parser refused, or a bad filter: say why, keep the form */
        dg_web_notice(p, "error", dg_web_jstr(response, "error"));
    dg_web_page_end(p);
    json_decref(response);
}

/* ---- record ---- */

static void meta_row(dg_web_page *p, dg_web_word label, const char *value)
{
    if (!value || !*value)
        return;
    dg_buf_printf(&p->body, "<tr><th>%s</th><td>", dg_web_tr(p, label));
    dg_buf_text(&p->body, value);
    dg_buf_puts(&p->body, "</td></tr>");
}

/* A record's year as the page shows it: 待定 for a provisional record, whose JSON year is
 * null (request.h), never "0". */
static const char *year_text(const dg_web_page *p, json_t *obj, char *buf, size_t cap)
{
    if (!dg_web_jint(obj, "year"))
        return dg_web_tr(p, W_YEAR_PENDING);
    snprintf(buf, cap, "%lld", dg_web_jint(obj, "year"));
    return buf;
}

static void record_meta(dg_web_page *p, json_t *rec)
{
    json_t *v = json_object_get(rec, "version");
    char year_buf[16], pages[16];
    const char *year = year_text(p, v, year_buf, sizeof year_buf);
    snprintf(pages, sizeof pages, "%lld", dg_web_jint(v, "pages"));
    dg_buf_printf(&p->body, "<h2>%s</h2><table class=\"meta\" id=\"meta\">",
                  dg_web_tr(p, W_METADATA));
    meta_row(p, W_REFCODE, dg_web_jstr(rec, "refcode"));
    meta_row(p, W_DOC_NUMBER, dg_web_jstr(v, "doc_number"));
    meta_row(p, W_DATE, dg_web_jstr(v, "date"));
    meta_row(p, W_YEAR, year);
    meta_row(p, W_CATEGORY, dg_web_category(p->lang, dg_web_jstr(v, "category")));
    meta_row(p, W_TYPE, dg_web_jstr(v, "type"));
    meta_row(p, W_DEPARTMENT, dg_web_jstr(v, "department"));
    meta_row(p, W_LEVEL, dg_web_level(p->lang, (int)dg_web_jint(rec, "level")));
    meta_row(p, W_PERIOD, dg_web_period(p->lang, dg_web_jstr(v, "period")));
    meta_row(p, W_PAGES, pages);
    meta_row(p, W_LOCATION, dg_web_jstr(v, "location"));
    meta_row(p, W_SECRECY, dg_web_jstr(v, "secrecy"));
    meta_row(p, W_SUBJECT, dg_web_jstr(v, "subject"));
    dg_buf_puts(&p->body, "</table>");
}

static void record_hold(dg_web_page *p, json_t *rec)
{
    json_t *hold = json_object_get(rec, "hold");
    if (!hold)
        return;
    dg_buf_printf(&p->body, "<p class=\"hold\">%s: ", dg_web_tr(p, W_HOLD));
    dg_buf_text(&p->body, dg_web_jstr(hold, "reason"));
    dg_buf_puts(&p->body, " (");
    dg_buf_text(&p->body, dg_web_jstr(hold, "placed_by"));
    dg_buf_puts(&p->body, ")</p>");
}

/* Where the paper original is while it is lent (show's paper_out). */
static void record_paper_out(dg_web_page *p, json_t *rec)
{
    json_t *out = json_object_get(rec, "paper_out");
    if (!out)
        return;
    dg_buf_printf(&p->body, "<p class=\"hold\" id=\"paper-out\">%s: ", dg_web_tr(p, W_PAPER_OUT));
    dg_buf_text(&p->body, dg_web_jstr(out, "borrower"));
    if (dg_web_jstr(out, "unit")) {
        dg_buf_puts(&p->body, " (");
        dg_buf_text(&p->body, dg_web_jstr(out, "unit"));
        dg_buf_puts(&p->body, ")");
    }
    char due[16];
    snprintf(due, sizeof due, "%.10s",
             dg_web_jstr(out, "due_at") ? dg_web_jstr(out, "due_at") : "");
    dg_buf_puts(&p->body, " → ");
    dg_buf_text(&p->body, due);
    dg_buf_puts(&p->body, "</p>");
}

/* The sheet of an original's rendering the record page shows (?s=K), from 1. */
static int sheet_arg(const dg_web_page *p)
{
    const char *text = dg_web_arg(p, "s");
    long s = text ? strtol(text, NULL, 10) : 1;
    return s > 0 && s < 100000 ? (int)s : 1;
}

/* "sheet k of n" and links to the record page with the sheets before and after it (none
 * past the first or the last: "show" counted them). */
static void sheet_links(dg_web_page *p, const char *refcode, int version, int sheet,
                        int sheets)
{
    char note[200];
    snprintf(note, sizeof note, dg_web_tr(p, W_SHEET_NOTE), sheet, sheets);
    dg_buf_puts(&p->body, "<p class=\"note sheets\">");
    dg_buf_text(&p->body, note);
    for (int step = -1; step <= 1; step += 2) {
        if (sheet + step < 1 || sheet + step > sheets)
            continue;
        dg_buf_puts(&p->body, " <a class=\"sheet\" href=\"/record/");
        dg_buf_url(&p->body, refcode);
        dg_buf_printf(&p->body, "?v=%d&amp;s=%d\">%s</a>", version, sheet + step,
                      dg_web_tr(p, step < 0 ? W_SHEET_PREV : W_SHEET_NEXT));
    }
    dg_buf_puts(&p->body, "</p>");
}

static void record_pages(dg_web_page *p, json_t *rec)
{
    json_t *pages = json_object_get(rec, "pages"), *pg;
    size_t i;
    int version = (int)dg_web_jint(json_object_get(rec, "version"), "number");
    int sheet = sheet_arg(p);
    const char *refcode = dg_web_jstr(rec, "refcode");
    dg_buf_puts(&p->body, "<div class=\"pages\">");
    json_array_foreach(pages, i, pg) {
        int seq = (int)dg_web_jint(pg, "seq");
        const char *mime = dg_web_jstr(pg, "mime");
        /* an original kept as a file is shown as the watermarked sheets of its text */
        int original = !mime || strncmp(mime, "image/", 6);
        int sheets = original ? (int)dg_web_jint(pg, "sheets") : 1;
        int shown = sheet;
        if (sheets < 1)
            sheets = 1;
        if (shown > sheets) /* a ?s= past the last sheet: the last, not a broken image */
            shown = sheets;
        dg_buf_puts(&p->body, "<figure><figcaption>");
        dg_buf_printf(&p->body, dg_web_tr(p, W_PAGE_N), seq);
        dg_buf_puts(&p->body, "</figcaption><img class=\"page\" src=\"/page/");
        dg_buf_url(&p->body, refcode);
        dg_buf_printf(&p->body, "/%d?v=%d", seq, version);
        if (original)
            dg_buf_printf(&p->body, "&amp;s=%d", shown);
        dg_buf_puts(&p->body, "\" alt=\"");
        dg_buf_printf(&p->body, dg_web_tr(p, W_PAGE_N), seq);
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
    dg_buf_printf(&p->body,
                  "<h2>%s</h2><table class=\"versions\" id=\"versions\"><tr><th>%s"
                  "</th><th>%s</th><th>%s</th><th>%s</th><th>Δ</th></tr>",
                  dg_web_tr(p, W_VERSIONS), dg_web_tr(p, W_VERSION), dg_web_tr(p, W_WHEN),
                  dg_web_tr(p, W_WHO), dg_web_tr(p, W_WHY));
    json_array_foreach(versions, i, v) {
        dg_buf_puts(&p->body, "<tr><td><a href=\"/record/");
        dg_buf_url(&p->body, refcode);
        dg_buf_printf(&p->body, "?v=%lld\">%lld</a></td><td>", dg_web_jint(v, "number"),
                      dg_web_jint(v, "number"));
        dg_buf_text(&p->body, dg_web_jstr(v, "created_at"));
        dg_buf_puts(&p->body, "</td><td>");
        dg_buf_text(&p->body, dg_web_jstr(v, "author"));
        dg_buf_puts(&p->body, "</td><td>");
        dg_buf_text(&p->body, dg_web_jstr(v, "reason"));
        dg_buf_puts(&p->body, "</td><td>");
        version_changes(p, i > 0 ? json_array_get(versions, i - 1) : NULL, v);
        dg_buf_puts(&p->body, "</td></tr>");
    }
    dg_buf_puts(&p->body, "</table>");
}

static void record_html(dg_web_page *p, json_t *rec)
{
    json_t *v = json_object_get(rec, "version");
    const char *refcode = dg_web_jstr(rec, "refcode");
    dg_web_page_begin(p, dg_web_jstr(v, "title") ? dg_web_jstr(v, "title") : refcode);
    dg_buf_puts(&p->body, "<h1 id=\"record-title\">");
    dg_buf_text(&p->body, dg_web_jstr(v, "title"));
    dg_buf_puts(&p->body, "</h1><p class=\"refcode\" id=\"refcode\">");
    dg_buf_text(&p->body, refcode);
    dg_buf_printf(&p->body, " · %s %lld</p>", dg_web_tr(p, W_VERSION), dg_web_jint(v, "number"));
    if (dg_web_jint(v, "number") != dg_web_jint(rec, "current_version"))
        dg_web_notice(p, "note", dg_web_tr(p, W_OLD_VERSION));
    record_hold(p, rec);
    record_paper_out(p, rec);
    dg_web_loan_offer(p, refcode);
    record_meta(p, rec);
    record_pages(p, rec);
    dg_buf_printf(&p->body, "<h2>%s</h2><pre class=\"text\" id=\"text\">", dg_web_tr(p, W_TEXT));
    dg_buf_text(&p->body, dg_web_jstr(rec, "text"));
    dg_buf_puts(&p->body, "</pre>");
    record_versions(p, refcode, json_object_get(rec, "versions"));
    dg_web_page_end(p);
}

static int version_arg(const dg_web_page *p)
{
    const char *text = dg_web_arg(p, "v");
    long v = text ? strtol(text, NULL, 10) : 0;
    return v > 0 && v < 1000000 ? (int)v : 0;
}

void dg_web_record(dg_web_page *p, const char *refcode)
{
    json_t *args = json_pack("{s:s, s:b, s:b}", "refcode", refcode, "history", 1, "sheets", 1);
    if (args && version_arg(p))
        json_object_set_new(args, "version", json_integer(version_arg(p)));
    json_t *response = dg_web_call(p, "show", args);
    if (dg_web_ok(response))
        record_html(p, json_object_get(response, "result"));
    else if (dg_web_status_is(response, "not_found"))
        dg_web_not_found(p, refcode);
    else
        dg_web_error_from(p, response);
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
    const char *mime = dg_web_jstr(result, "mime");
    if (!mime || strcmp(mime, "image/png")) {
        dg_web_error(p, 415, dg_web_tr(p, W_NO_IMAGE));
        return;
    }
    if (!decode_base64(dg_web_jstr(result, "data") ? dg_web_jstr(result, "data") : "", &png,
                       &png_len)) {
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
    json_t *response = dg_web_call(p, "page", args);
    if (dg_web_ok(response))
        send_page(p, json_object_get(response, "result"));
    else if (dg_web_status_is(response, "not_found"))
        dg_web_not_found(p, refcode);
    else
        dg_web_error_from(p, response);
    json_decref(response);
}

/* ---- the access log ---- */

static json_t *log_args(dg_web_page *p)
{
    json_t *args = json_object();
    dg_web_pass_arg(p, args, "user", NULL);
    dg_web_pass_arg(p, args, "action", NULL);
    dg_web_pass_arg(p, args, "record", NULL);
    dg_web_pass_arg(p, args, "since", NULL);
    dg_web_pass_arg(p, args, "until", NULL);
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
                  dg_web_tr(p, W_FILTER));
}

static void log_csv_link(dg_web_page *p)
{
    static const char *const keys[] = {"user", "action", "record", "since", "until"};
    dg_buf_puts(&p->body, "<p><a id=\"csv\" href=\"/log.csv?");
    for (size_t i = 0; i < 5; i++) {
        dg_buf_printf(&p->body, "%s%s=", i ? "&amp;" : "", keys[i]);
        dg_buf_url(&p->body, dg_web_arg(p, keys[i]) ? dg_web_arg(p, keys[i]) : "");
    }
    dg_buf_printf(&p->body, "\">%s</a></p>", dg_web_tr(p, W_CSV));
}

static void log_verification(dg_web_page *p)
{
    json_t *response = dg_web_call(p, "log verify", json_object());
    json_t *r = json_object_get(response, "result");
    if (dg_web_ok(response) && json_is_true(json_object_get(r, "intact"))) {
        dg_buf_puts(&p->body, "<p class=\"ok\" id=\"log-state\">");
        dg_buf_printf(&p->body, dg_web_tr(p, W_LOG_OK), dg_web_jint(r, "entries"));
        dg_buf_puts(&p->body, "</p>");
    } else {
        dg_buf_printf(&p->body, "<p class=\"error\" id=\"log-state\">%s",
                      dg_web_tr(p, W_LOG_BROKEN));
        dg_buf_text(&p->body, r ? dg_web_jstr(r, "reason") : dg_web_jstr(response, "error"));
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
        dg_buf_printf(&p->body, "<th>%s</th>", f == 0 ? "#" : dg_web_tr(p, heads[f]));
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
    json_t *response = dg_web_call(p, "log", log_args(p));
    if (!dg_web_ok(response) && !dg_web_status_is(response, "usage")) {
        dg_web_error_from(p, response);
        json_decref(response);
        return;
    }
    json_t *entries = json_object_get(json_object_get(response, "result"), "entries");
    if (csv && dg_web_ok(response)) {
        log_csv(p, entries);
        json_decref(response);
        return;
    }
    dg_web_page_begin(p, dg_web_tr(p, W_LOG));
    dg_buf_printf(&p->body, "<h1>%s</h1>", dg_web_tr(p, W_LOG));
    log_verification(p);
    log_filter_form(p);
    if (!dg_web_ok(response))
        dg_web_notice(p, "error", dg_web_jstr(response, "error"));
    log_csv_link(p);
    log_table(p, entries);
    dg_web_page_end(p);
    json_decref(response);
}

/* ---- the review queue ---- */

/* Correcting an item: another category and type, with a reason (it teaches the classifier). */
static void correction_form(dg_web_page *p, json_t *it)
{
    static const char *const cats[] = {"XZ", "RS", "CW", "ZC", "HD"};
    dg_buf *b = &p->body;
    dg_buf_puts(b, "<form method=\"post\" action=\"/review/correct\" class=\"correct\">");
    dg_web_hidden_csrf(p);
    dg_buf_puts(b, "<input type=\"hidden\" name=\"refcode\" value=\"");
    dg_buf_text(b, dg_web_jstr(it, "refcode"));
    dg_buf_puts(b, "\"><select name=\"category\">");
    for (size_t i = 0; i < 5; i++)
        dg_web_option(p, cats[i], dg_web_category(p->lang, cats[i]), NULL);
    dg_buf_printf(b, "</select><input name=\"type\" class=\"short\" placeholder=\"%s\">"
                     "<input name=\"reason\" placeholder=\"%s\" required><button type=\"submit\">"
                     "%s</button></form>",
                  dg_web_tr(p, W_TYPE), dg_web_tr(p, W_REASON), dg_web_tr(p, W_CORRECT));
}

static void review_item(dg_web_page *p, json_t *it)
{
    dg_buf *b = &p->body;
    char conf[32];
    snprintf(conf, sizeof conf, "%.2f", json_real_value(json_object_get(it, "confidence")));
    dg_buf_puts(b, "<tr><td>");
    record_link(p, dg_web_jstr(it, "refcode"), 0, 1);
    dg_buf_puts(b, "</td><td>");
    dg_buf_text(b, dg_web_jstr(it, "title"));
    dg_buf_printf(b, "</td><td>%s</td><td>", dg_web_category(p->lang, dg_web_jstr(it, "category")));
    dg_buf_text(b, dg_web_jstr(it, "type"));
    dg_buf_printf(b, "</td><td>%s</td><td><form method=\"post\" action=\"/review/accept\">", conf);
    dg_web_hidden_csrf(p);
    dg_buf_puts(b, "<input type=\"hidden\" name=\"refcode\" value=\"");
    dg_buf_text(b, dg_web_jstr(it, "refcode"));
    dg_buf_printf(b, "\"><input name=\"reason\" placeholder=\"%s\"><button type=\"submit\" "
                     "class=\"accept\">%s</button></form>",
                  dg_web_tr(p, W_REASON), dg_web_tr(p, W_ACCEPT));
    correction_form(p, it);
    dg_buf_puts(b, "</td></tr>");
}

void dg_web_review(dg_web_page *p)
{
    json_t *response = dg_web_call(p, "review list", json_pack("{s:i}", "limit", 200));
    if (!dg_web_ok(response)) {
        dg_web_error_from(p, response);
        json_decref(response);
        return;
    }
    json_t *items = json_object_get(json_object_get(response, "result"), "records"), *it;
    size_t i;
    dg_web_page_begin(p, dg_web_tr(p, W_REVIEW));
    dg_buf_printf(&p->body, "<h1>%s</h1>", dg_web_tr(p, W_REVIEW));
    if (dg_web_arg(p, "done")) {
        char msg[256];
        snprintf(msg, sizeof msg, dg_web_tr(p, W_ACCEPTED), dg_web_arg(p, "done"));
        dg_web_notice(p, "ok", msg);
    }
    if (!json_array_size(items))
        dg_web_notice(p, "empty", dg_web_tr(p, W_REVIEW_EMPTY));
    dg_buf_printf(&p->body,
                  "<table class=\"review\" id=\"review\"><tr><th>%s</th><th>%s</th>"
                  "<th>%s</th><th>%s</th><th>%s</th><th></th></tr>",
                  dg_web_tr(p, W_REFCODE), dg_web_tr(p, W_TITLE), dg_web_tr(p, W_CATEGORY),
                  dg_web_tr(p, W_TYPE), dg_web_tr(p, W_CONFIDENCE));
    json_array_foreach(items, i, it)
        review_item(p, it);
    dg_buf_puts(&p->body, "</table>");
    dg_web_page_end(p);
    json_decref(response);
}

void dg_web_review_accept(dg_web_page *p)
{
    const char *ref = dg_web_arg(p, "refcode");
    json_t *args = json_pack("{s:s}", "refcode", ref ? ref : "");
    dg_web_pass_arg(p, args, "reason", NULL);
    json_t *response = dg_web_call(p, "review accept", args);
    if (dg_web_ok(response)) {
        dg_buf url;
        dg_buf_init(&url);
        dg_buf_puts(&url, "/review?done=");
        dg_buf_url(&url, ref);
        snprintf(p->location, sizeof p->location, "%s", url.data ? url.data : "/review");
        dg_buf_free(&url);
    } else if (dg_web_status_is(response, "not_found")) {
        dg_web_not_found(p, ref ? ref : "");
    } else {
        dg_web_error_from(p, response);
    }
    json_decref(response);
}

static void sign_form(dg_web_page *p, const char *action, int year, dg_web_word button)
{
    dg_buf *b = &p->body;
    dg_buf_printf(b, "<form method=\"post\" action=\"%s\" class=\"sign\">", action);
    dg_web_hidden_csrf(p);
    dg_buf_printf(b, "<input type=\"hidden\" name=\"year\" value=\"%d\"><label>%s "
                     "<input type=\"password\" name=\"password\" autocomplete=\"current-password\""
                     " required></label><button type=\"submit\">%s</button></form>",
                  year, dg_web_tr(p, W_CONFIRM_PASSWORD), dg_web_tr(p, button));
}

static void appraise_form(dg_web_page *p, json_t *it)
{
    dg_buf *b = &p->body;
    dg_buf_puts(b, "<form method=\"post\" action=\"/retention/appraise\" class=\"correct\">");
    dg_web_hidden_csrf(p);
    dg_buf_printf(b, "<input type=\"hidden\" name=\"year\" value=\"%d\">"
                     "<input type=\"hidden\" name=\"refcode\" value=\"", dg_web_review_year(p));
    dg_buf_text(b, dg_web_jstr(it, "refcode"));
    dg_buf_puts(b, "\"><select name=\"decision\">");
    dg_web_option(p, "destroy", dg_web_tr(p, W_DESTROY), NULL);
    dg_web_option(p, "extend", dg_web_tr(p, W_EXTEND), NULL);
    dg_web_option(p, "permanent", dg_web_tr(p, W_PERMANENT), NULL);
    dg_buf_printf(b, "</select><input name=\"years\" class=\"year\" placeholder=\"N\">"
                     "<input name=\"reason\" placeholder=\"%s\" required><button type=\"submit\">"
                     "%s</button></form>", dg_web_tr(p, W_REASON), dg_web_tr(p, W_APPRAISE));
}

static void retention_items(dg_web_page *p, json_t *items)
{
    json_t *it;
    size_t i;
    dg_buf_printf(&p->body,
                  "<table class=\"items\" id=\"items\"><tr><th>#</th><th>%s</th>"
                  "<th>%s</th><th>%s</th><th>%s</th><th>%s</th></tr>",
                  dg_web_tr(p, W_REFCODE), dg_web_tr(p, W_TITLE), dg_web_tr(p, W_YEAR),
                  dg_web_tr(p, W_STATE), dg_web_tr(p, W_DECISION));
    json_array_foreach(items, i, it) {
        dg_buf_printf(&p->body, "<tr><td>%lld</td><td>", dg_web_jint(it, "serial"));
        dg_buf_text(&p->body, dg_web_jstr(it, "refcode"));
        dg_buf_puts(&p->body, "</td><td>");
        dg_buf_text(&p->body, dg_web_jstr(it, "title"));
        char year[16];
        dg_buf_puts(&p->body, "</td><td>");
        dg_buf_text(&p->body, year_text(p, it, year, sizeof year));
        dg_buf_puts(&p->body, "</td><td>");
        dg_buf_text(&p->body, dg_web_jstr(it, "state"));
        dg_buf_puts(&p->body, "</td><td>");
        dg_buf_text(&p->body, dg_web_jstr(it, "decision"));
        if (dg_web_has_role(p, DG_ROLE_ARCHIVIST))
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
    dg_buf_printf(&p->body, "<p id=\"review-state\">%s: ", dg_web_tr(p, W_STATE));
    dg_buf_text(&p->body, dg_web_jstr(review, "state"));
    if (dg_web_jstr(review, "approved_by")) {
        dg_buf_puts(&p->body, " · ");
        dg_buf_text(&p->body, dg_web_jstr(review, "approved_by"));
    }
    json_array_foreach(witnesses, i, w) {
        dg_buf_puts(&p->body, " · ");
        dg_buf_text(&p->body, json_string_value(w));
    }
    dg_buf_puts(&p->body, "</p>");
    if (dg_web_has_role(p, DG_ROLE_LEADER))
        sign_form(p, "/retention/approve", year, W_APPROVE);
    if (dg_web_has_role(p, DG_ROLE_WITNESS))
        sign_form(p, "/retention/witness", year, W_WITNESS);
    if (dg_web_has_role(p, DG_ROLE_ARCHIVIST)) {
        dg_buf_printf(&p->body,
                      "<form method=\"post\" action=\"/retention/destroy\" class=\"sign\">");
        dg_web_hidden_csrf(p);
        dg_buf_printf(&p->body,
                      "<input type=\"hidden\" name=\"year\" value=\"%d\">"
                      "<button type=\"submit\">%s</button></form>",
                      year, dg_web_tr(p, W_DESTROY_RUN));
    }
    retention_items(p, json_object_get(result, "items"));
}

void dg_web_retention(dg_web_page *p)
{
    int year = dg_web_review_year(p);
    json_t *response = dg_web_call(p, "retention list", json_pack("{s:i}", "review", year));
    if (!dg_web_ok(response) && dg_web_status_is(response, "denied")) {
        dg_web_error_from(p, response);
        json_decref(response);
        return;
    }
    char title[128];
    snprintf(title, sizeof title, dg_web_tr(p, W_REVIEW_OF), year);
    dg_web_page_begin(p, title);
    dg_buf_printf(&p->body, "<h1>%s</h1><form method=\"get\" action=\"/retention\">"
                            "<input name=\"year\" class=\"year\" value=\"%d\"><button>%s</button>"
                            "</form>", title, year, dg_web_tr(p, W_FILTER));
    dg_buf_printf(&p->body,
                  "<p><a href=\"/retention/due\">%s</a> · <a href=\"/register\">%s</a></p>",
                  dg_web_tr(p, W_FORECAST), dg_web_tr(p, W_REGISTER));
    if (dg_web_arg(p, "done"))
        dg_web_notice(p, "ok", dg_web_arg(p, "done"));
    if (dg_web_ok(response))
        retention_review(p, json_object_get(response, "result"), year);
    else
        dg_web_notice(p, "error", dg_web_jstr(response, "error"));
    dg_web_page_end(p);
    json_decref(response);
}

void dg_web_retention_sign(dg_web_page *p, int witness)
{
    int year = dg_web_review_year(p);
    const char *cmd = witness ? "retention witness" : "retention approve";
    if (!dg_web_confirm_password(p, cmd)) {
        dg_web_error(p, 403, dg_web_tr(p, W_WRONG_PASSWORD));
        return;
    }
    json_t *response = dg_web_call(p, cmd, json_pack("{s:i}", "review", year));
    if (dg_web_ok(response)) {
        char msg[128];
        json_t *r = json_object_get(response, "result");
        if (witness)
            snprintf(msg, sizeof msg, dg_web_tr(p, W_SIGNED), (int)dg_web_jint(r, "signatures"));
        else
            snprintf(msg, sizeof msg, "%s", dg_web_tr(p, W_APPROVED));
        dg_buf url;
        dg_buf_init(&url);
        dg_buf_printf(&url, "/retention?year=%d&done=", year);
        dg_buf_url(&url, msg);
        snprintf(p->location, sizeof p->location, "%s", url.data ? url.data : "/retention");
        dg_buf_free(&url);
    } else {
        dg_web_error_from(p, response);
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
    json_t *response = dg_web_call(p, cmd, args);
    if (!dg_web_ok(response)) {
        dg_web_error_from(p, response);
        json_decref(response);
        return;
    }
    dg_web_page_begin(p, dg_web_tr(p, title));
    dg_buf_printf(&p->body, "<h1>%s</h1>", dg_web_tr(p, title));
    json_table(p, key, json_object_get(json_object_get(response, "result"), key), keys, heads, n);
    dg_web_page_end(p);
    json_decref(response);
}

void dg_web_batches(dg_web_page *p)
{
    const char *id = dg_web_arg(p, "id");
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
    if (!dg_web_has_role(p, DG_ROLE_ARCHIVIST)) {
        dg_web_error(p, 403, dg_web_tr(p, W_FORBIDDEN));
        return;
    }
    dg_buf *b = &p->body;
    dg_web_page_begin(p, dg_web_tr(p, W_UPLOAD));
    dg_buf_printf(b, "<h1>%s</h1><form method=\"post\" action=\"/upload\" "
                     "enctype=\"multipart/form-data\" class=\"login\" id=\"upload\">",
                  dg_web_tr(p, W_UPLOAD));
    dg_web_hidden_csrf(p);
    dg_buf_printf(b, "<label>%s <input type=\"file\" name=\"files\" multiple required></label>",
                  dg_web_tr(p, W_UPLOAD_FILES));
    dg_buf_printf(b, "<label>%s <input type=\"file\" name=\"manifest\" accept=\".csv,text/csv\">"
                     "</label><button type=\"submit\">%s</button></form>",
                  dg_web_tr(p, W_MANIFEST_OPT), dg_web_tr(p, W_UPLOAD));
    dg_web_page_end(p);
}

static void upload_running(dg_web_page *p, int id, uint64_t done, uint64_t total)
{
    dg_buf_printf(&p->body, "<p id=\"upload-state\" data-status=\"/upload/status?id=%d\" "
                            "data-label=\"%s\">%s %llu / %llu</p>"
                            "<progress id=\"upload-progress\"></progress>"
                            "<p><a href=\"/upload/job?id=%d\">%s</a></p>",
                  id, dg_web_tr(p, W_UPLOAD_RUNNING), dg_web_tr(p, W_UPLOAD_RUNNING),
                  (unsigned long long)done, (unsigned long long)total, id, dg_web_tr(p, W_REFRESH));
}

static void upload_outcomes(dg_web_page *p, json_t *result)
{
    long long batch = dg_web_jint(result, "batch");
    dg_buf_printf(&p->body,
                  "<p id=\"upload-summary\">%s: <a href=\"/batches?id=%lld\">%s %lld</a>"
                  " · %lld / %lld</p>",
                  dg_web_tr(p, W_UPLOAD_DONE), batch, dg_web_tr(p, W_BATCHES), batch,
                  dg_web_jint(result, "filed"), dg_web_jint(result, "files"));
    static const char *const keys[] = {"name", "outcome", "refcode", "title", "reason"};
    const char *heads[] = {dg_web_tr(p, W_FILE), dg_web_tr(p, W_OUTCOME), dg_web_tr(p, W_REFCODE),
                           dg_web_tr(p, W_TITLE), dg_web_tr(p, W_REASON)};
    json_table(p, "outcomes", json_object_get(result, "outcomes"), keys, heads, 5);
}

void dg_web_upload_job(dg_web_page *p, int id, int running, uint64_t done, uint64_t total,
                       size_t files, json_t *response)
{
    json_t *result = json_object_get(response, "result");
    if (!running && !json_is_object(result)) {
        dg_web_error_from(p, response);
        return;
    }
    dg_web_page_begin(p, dg_web_tr(p, W_UPLOAD));
    dg_buf_printf(&p->body, "<h1>%s #%d</h1><p>%s: %zu</p>", dg_web_tr(p, W_UPLOAD), id,
                  dg_web_tr(p, W_FILE), files);
    if (running)
        upload_running(p, id, done, total);
    else
        upload_outcomes(p, result);
    dg_web_page_end(p);
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
    dg_web_pass_arg(p, args, "within", NULL);
    listing(p, W_FORECAST, "retention due", args, "records", keys, keys, 8);
}

/* Runs a change from a form and goes back to where it came from, saying what was done. */
static void change_then_back(dg_web_page *p, const char *cmd, json_t *args, const char *back)
{
    json_t *response = dg_web_call(p, cmd, args);
    dg_web_answer_then_back(p, response, back);
    json_decref(response);
}

void dg_web_review_correct(dg_web_page *p)
{
    json_t *args = json_object();
    dg_web_pass_arg(p, args, "refcode", NULL);
    dg_web_pass_arg(p, args, "category", NULL);
    dg_web_pass_arg(p, args, "type", NULL);
    dg_web_pass_arg(p, args, "reason", NULL);
    change_then_back(p, "classify", args, "/review");
}

void dg_web_retention_appraise(dg_web_page *p)
{
    char back[64];
    int year = dg_web_review_year(p);
    snprintf(back, sizeof back, "/retention?year=%d", year);
    json_t *args = json_pack("{s:i}", "review", year);
    dg_web_pass_arg(p, args, "refcode", NULL);
    dg_web_pass_arg(p, args, "reason", NULL);
    const char *decision = dg_web_arg(p, "decision");
    if (decision && !strcmp(decision, "destroy"))
        json_object_set_new(args, "destroy", json_true());
    else if (decision && !strcmp(decision, "permanent"))
        json_object_set_new(args, "permanent", json_true());
    else if (decision && !strcmp(decision, "extend"))
        json_object_set_new(
            args, "extend",
            json_integer(atoi(dg_web_arg(p, "years") ? dg_web_arg(p, "years") : "0")));
    change_then_back(p, "retention appraise", args, back);
}

void dg_web_retention_destroy(dg_web_page *p)
{
    char back[64];
    int year = dg_web_review_year(p);
    snprintf(back, sizeof back, "/retention?year=%d", year);
    change_then_back(p, "retention destroy", json_pack("{s:i}", "review", year), back);
}

/* ---- me ---- */

static void password_form(dg_web_page *p)
{
    dg_buf *b = &p->body;
    dg_buf_printf(b, "<h2>%s</h2><form method=\"post\" action=\"/me/password\" class=\"login\">",
                  dg_web_tr(p, W_CHANGE_PASSWORD));
    dg_web_hidden_csrf(p);
    dg_buf_printf(b, "<label>%s <input type=\"password\" name=\"password\" "
                     "autocomplete=\"current-password\" required></label>",
                  dg_web_tr(p, W_CURRENT_PASSWORD));
    dg_buf_printf(b,
                  "<label>%s <input type=\"password\" name=\"new\" "
                  "autocomplete=\"new-password\" required></label>",
                  dg_web_tr(p, W_NEW_PASSWORD));
    dg_buf_printf(b, "<label>%s <input type=\"password\" name=\"again\" "
                     "autocomplete=\"new-password\" required></label>", dg_web_tr(p, W_REPEAT));
    dg_buf_printf(b, "<button type=\"submit\">%s</button></form>", dg_web_tr(p, W_CHANGE_PASSWORD));
}

/* My own recent access-log entries, newest first ("log mine": open to every account). */
static void my_activity(dg_web_page *p)
{
    json_t *response = dg_web_call(p, "log mine", json_pack("{s:i}", "limit", 20));
    json_t *entries = json_object_get(json_object_get(response, "result"), "entries");
    json_t *newest_first = json_array();
    for (size_t i = json_array_size(entries); i > 0; i--)
        json_array_append(newest_first, json_array_get(entries, i - 1));
    dg_buf_printf(&p->body, "<h2>%s</h2>", dg_web_tr(p, W_MY_ACTIVITY));
    if (!dg_web_ok(response))
        dg_web_notice(p, "error",
                      dg_web_jstr(response, "error") ? dg_web_jstr(response, "error")
                                                     : dg_web_tr(p, W_ERROR));
    static const char *const keys[] = {"local_time", "action", "record", "query", "outcome",
                                       "origin"};
    const char *heads[] = {dg_web_tr(p, W_WHEN),       dg_web_tr(p, W_ACTION),
                           dg_web_tr(p, W_RECORD_ARG), dg_web_tr(p, W_SEARCH),
                           dg_web_tr(p, W_OUTCOME),    dg_web_tr(p, W_ORIGIN)};
    if (dg_web_ok(response))
        json_table(p, "my-activity", newest_first, keys, heads, 6);
    json_decref(newest_first);
    json_decref(response);
}

void dg_web_me(dg_web_page *p)
{
    char roles[128];
    dg_roles_format(p->roles, roles, sizeof roles);
    dg_web_page_begin(p, dg_web_tr(p, W_ME));
    dg_buf_printf(&p->body, "<h1>%s</h1><table class=\"meta\">", dg_web_tr(p, W_ME));
    meta_row(p, W_LOGIN_NAME, p->login);
    meta_row(p, W_USER, p->name);
    meta_row(p, W_LEVEL, dg_web_level(p->lang, p->clearance));
    meta_row(p, W_ACTION, roles);
    dg_buf_puts(&p->body, "</table>");
    if (dg_web_arg(p, "error"))
        dg_web_notice(p, "error",
                      !strcmp(dg_web_arg(p, "error"), "differ")  ? dg_web_tr(p, W_PASSWORDS_DIFFER)
                      : !strcmp(dg_web_arg(p, "error"), "wrong") ? dg_web_tr(p, W_WRONG_PASSWORD)
                                                                 : dg_web_tr(p, W_ERROR));
    password_form(p);
    my_activity(p);
    dg_web_page_end(p);
}

void dg_web_me_password(dg_web_page *p)
{
    const char *fresh = p->arg ? p->arg(p->arg_ctx, "new") : NULL;
    const char *again = p->arg ? p->arg(p->arg_ctx, "again") : NULL;
    if (!fresh || !again || strcmp(fresh, again) != 0) {
        snprintf(p->location, sizeof p->location, "/me?error=differ");
        return;
    }
    if (!dg_web_confirm_password(p, "passwd")) {
        snprintf(p->location, sizeof p->location, "/me?error=wrong");
        return;
    }
    json_t *response = dg_web_call(p, "passwd", json_pack("{s:s}", "password", fresh));
    if (dg_web_ok(response)) {
        p->password_changed = 1;
        snprintf(p->location, sizeof p->location, "/login?changed=1");
    } else {
        dg_web_error_from(p, response);
    }
    json_decref(response);
}
