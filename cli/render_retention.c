/*
 * render_retention.c — text and CSV output of the retention commands.
 */
#include "render_retention.h"
#include "render_json.h"

#include <string.h>

#include "csv.h"
#include "report_pdf.h"

static const char *num(json_t *obj, const char *key, char *buf, size_t size)
{
    json_t *v = json_object_get(obj, key);
    if (!json_is_integer(v))
        return "";
    snprintf(buf, size, "%lld", (long long)json_integer_value(v));
    return buf;
}

void dg_render_schedule_list(json_t *r, const dg_render_ctx *ctx)
{
    json_t *row;
    size_t i;
    fprintf(ctx->out, "%-16s %-20s %s\n", "CATEGORY", "TYPE", "PERIOD");
    json_array_foreach(json_object_get(r, "schedule"), i, row)
        fprintf(ctx->out, "%-16s %-20s %s\n", s(row, "category"),
                *s(row, "type") ? s(row, "type") : "(default)", s(row, "period"));
}

void dg_render_schedule_set(json_t *r, const dg_render_ctx *ctx)
{
    fprintf(ctx->out, "%s/%s: %s%s\n", s(r, "category"), s(r, "type"), s(r, "period"),
            b(r, "changed") ? "" : " (unchanged)");
}

void dg_render_schedule_import(json_t *r, const dg_render_ctx *ctx)
{
    fprintf(ctx->out, "schedule imported: %lld rows, %lld changed\n", n(r, "rows"),
            n(r, "changed"));
}

void dg_render_hold(json_t *r, const dg_render_ctx *ctx)
{
    fprintf(ctx->out, "%s: %s\n", s(r, "refcode"), b(r, "on_hold") ? "on hold" : "hold released");
}

void dg_render_hold_list(json_t *r, const dg_render_ctx *ctx)
{
    json_t *holds = json_object_get(r, "holds"), *h;
    size_t i;
    if (!json_array_size(holds)) {
        fprintf(ctx->out, "no record is on hold\n");
        return;
    }
    json_array_foreach(holds, i, h)
        fprintf(ctx->out, "%s  %s  since %s by %s: %s\n", s(h, "refcode"),
                *s(h, "title") ? s(h, "title") : "(title above your clearance)",
                s(h, "placed_at"), s(h, "placed_by"), s(h, "reason"));
}

void dg_render_due(json_t *r, const dg_render_ctx *ctx)
{
    static const char *const COLS[] = {"refcode", "title", "category", "year", "period",
                                       "due", "on_hold", "queued"};
    json_t *rec;
    size_t i;
    if (ctx->csv)
        dg_csv_header(ctx->out, COLS, 8);
    json_array_foreach(json_object_get(r, "records"), i, rec) {
        char y[16], d[16];
        if (ctx->csv) {
            const char *f[8] = {s(rec, "refcode"), s(rec, "title"), s(rec, "category"),
                                num(rec, "year", y, sizeof y), s(rec, "period"),
                                num(rec, "due", d, sizeof d), b(rec, "on_hold") ? "yes" : "no",
                                b(rec, "queued") ? "yes" : "no"};
            dg_csv_row(ctx->out, f, 8);
            continue;
        }
        fprintf(ctx->out, "%lld-01-01  %s  %s%s%s\n", n(rec, "due"), s(rec, "refcode"),
                s(rec, "title"), b(rec, "on_hold") ? "  [on hold]" : "",
                b(rec, "queued") ? "  [queued]" : "");
    }
    if (!ctx->csv)
        fprintf(ctx->out, "%lld records due within %lld years (%zu listed)\n", n(r, "total"),
                n(r, "within_years"), json_array_size(json_object_get(r, "records")));
}

void dg_render_review(json_t *r, const dg_render_ctx *ctx)
{
    fprintf(ctx->out, "review %lld (%s): %lld records queued\n", n(r, "year"), s(r, "state"),
            n(r, "queued"));
}

static void list_cover(json_t *rv, const dg_render_ctx *ctx)
{
    json_t *w = json_object_get(rv, "witnesses"), *c = json_object_get(rv, "counts"), *v;
    size_t i;
    fprintf(ctx->out, "销毁清册 / destruction list, review %lld: %s, %lld items\n", n(rv, "year"),
            s(rv, "state"), n(rv, "items"));
    fprintf(ctx->out, "  appraised by: ");
    json_array_foreach(json_object_get(rv, "appraisers"), i, v)
        fprintf(ctx->out, "%s%s", i ? ", " : "", json_string_value(v));
    fprintf(ctx->out, "\n  approved by:  %s %s\n  witnesses:    ",
            *s(rv, "approved_by") ? s(rv, "approved_by") : "-", s(rv, "approved_at"));
    json_array_foreach(w, i, v)
        fprintf(ctx->out, "%s%s", i ? ", " : "", json_string_value(v));
    fprintf(ctx->out, "%s\n  items: %lld queued, %lld appraised, %lld approved, %lld retained, "
                      "%lld witnessed, %lld destroyed, %lld on hold\n\n",
            json_array_size(w) ? "" : "-", n(c, "queued"), n(c, "appraised"), n(c, "approved"),
            n(c, "retained"), n(c, "witnessed"), n(c, "destroyed"), n(c, "on_hold"));
}

void dg_render_retention_list(json_t *r, const dg_render_ctx *ctx)
{
    static const char *const COLS[] = {"serial", "refcode", "title", "year", "period",
                                       "due", "pages", "state", "decision", "extend_years",
                                       "appraiser", "on_hold", "reason"};
    json_t *it;
    size_t i;
    if (ctx->csv)
        dg_csv_header(ctx->out, COLS, 13);
    else
        list_cover(json_object_get(r, "review"), ctx);
    json_array_foreach(json_object_get(r, "items"), i, it) {
        char a[16], y[16], d[16], p[16], e[16];
        const char *f[13] = {num(it, "serial", a, sizeof a), s(it, "refcode"), s(it, "title"),
                             num(it, "year", y, sizeof y), s(it, "period"),
                             num(it, "due", d, sizeof d), num(it, "pages", p, sizeof p),
                             s(it, "state"), s(it, "decision"),
                             num(it, "extend_years", e, sizeof e), s(it, "appraiser"),
                             b(it, "on_hold") ? "yes" : "no", s(it, "reason")};
        if (ctx->csv) {
            dg_csv_row(ctx->out, f, 13);
            continue;
        }
        fprintf(ctx->out, "%4s  %s  %s\n      %s | %s | due %s-01-01 | %s pages | %s", f[0], f[1],
                f[2], f[3], f[4], f[5], f[6], f[7]);
        if (*f[8])
            fprintf(ctx->out, " | %s%s%s by %s: %s", f[8], *f[9] ? " " : "", f[9], f[10], f[12]);
        fprintf(ctx->out, "%s\n", b(it, "on_hold") ? " | ON HOLD" : "");
    }
}

void dg_render_appraise(json_t *r, const dg_render_ctx *ctx)
{
    fprintf(ctx->out, "%s: appraised %s", s(r, "refcode"), s(r, "decision"));
    if (json_is_integer(json_object_get(r, "extend_years")))
        fprintf(ctx->out, " %lld years", n(r, "extend_years"));
    fputc('\n', ctx->out);
}

void dg_render_step(json_t *r, const dg_render_ctx *ctx)
{
    if (json_object_get(r, "signatures"))
        fprintf(ctx->out, "review %lld: signed by %s as witness (%lld of 2)\n", n(r, "review"),
                s(r, "witness"), n(r, "signatures"));
    else
        fprintf(ctx->out, "review %lld: approved by %s\n", n(r, "review"), s(r, "approved_by"));
}

void dg_render_destroy(json_t *r, const dg_render_ctx *ctx)
{
    json_t *held = json_object_get(r, "held"), *v;
    size_t i;
    fprintf(ctx->out, "review %lld: %lld records destroyed, %lld object files removed\n",
            n(r, "review"), n(r, "destroyed"), n(r, "objects_removed"));
    json_array_foreach(held, i, v)
        fprintf(ctx->out, "  not destroyed, on hold: %s\n", json_string_value(v));
}

void dg_render_register(json_t *r, const dg_render_ctx *ctx)
{
    static const char *const COLS[] = {
        "serial", "refcode", "title", "year", "category", "type", "period", "period_served",
        "pages", "objects", "appraiser", "approver", "witness1", "witness2", "destroyed_at",
        "method", "remarks", "hash", "intact"};
    enum { NCOLS = sizeof COLS / sizeof COLS[0] };
    json_t *e;
    size_t i;
    if (dg_report_pdf_render(r, ctx, dg_report_pdf_register))
        return;
    if (ctx->csv)
        dg_csv_header(ctx->out, COLS, NCOLS);
    json_array_foreach(json_object_get(r, "entries"), i, e) {
        char a[16], y[16], ps[16], pg[16];
        const char *f[NCOLS] = {
            num(e, "serial", a, sizeof a), s(e, "refcode"), s(e, "title"),
            num(e, "year", y, sizeof y), s(e, "category"), s(e, "type"), s(e, "period"),
            num(e, "period_served", ps, sizeof ps), num(e, "pages", pg, sizeof pg),
            s(e, "objects"), s(e, "appraiser"), s(e, "approver"), s(e, "witness1"),
            s(e, "witness2"), s(e, "destroyed_at"), s(e, "method"), s(e, "remarks"),
            s(e, "hash"), b(e, "intact") ? "yes" : "NO"};
        if (ctx->csv) {
            dg_csv_row(ctx->out, f, NCOLS);
            continue;
        }
        fprintf(ctx->out, "%4s  %s  %s\n      %s | %s | served %s of %s | %s pages | appraised "
                          "by %s, approved by %s, witnessed by %s and %s | %s%s\n",
                f[0], f[1], f[2], f[3], f[4], f[7], f[6], f[8], f[10], f[11], f[12], f[13], f[14],
                b(e, "intact") ? "" : " | ENTRY ALTERED");
    }
    if (!ctx->csv && json_array_size(json_object_get(r, "entries")) == 0)
        fprintf(ctx->out, "the destruction register is empty\n");
}
