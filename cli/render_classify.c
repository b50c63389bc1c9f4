/*
 * render_classify.c — text output of the classification commands.
 */
#include "render_classify.h"
#include "render_json.h"

#include <stdint.h>
#include <string.h>

#include "../base/utf8.h"

static double f(json_t *obj, const char *key)
{
    return json_number_value(json_object_get(obj, key));
}

/* Columns are measured in terminal cells: CJK characters take two, · in a reference code
 * one. Only characters of the Basic Multilingual Plane from U+2E80 count as wide; one
 * beyond it (CJK Extension B, an emoji) counts one cell, as it always has here. */
static size_t display_width(const char *text)
{
    size_t width = 0, len = strlen(text);
    for (size_t at = 0; at < len;) {
        uint32_t cp = 0;
        size_t step = dg_utf8_decode(text + at, len - at, &cp);
        width += step == 3 && cp >= 0x2E80 ? 2 : 1;
        at += step ? step : 1; /* not UTF-8 (JSON strings always are): a byte, one cell */
    }
    return width;
}

static void column(FILE *out, const char *text, size_t width)
{
    size_t used = display_width(text);
    fputs(text, out);
    for (; used < width; used++)
        fputc(' ', out);
    fputc(' ', out);
}

/* "finance/voucher", or "finance" when there is no type. */
static void class_text(json_t *obj, const char *cat_key, const char *type_key, char *buf,
                       size_t size)
{
    const char *type = s(obj, type_key);
    snprintf(buf, size, "%s%s%s", s(obj, cat_key), *type ? "/" : "", type);
}

void dg_render_review_list(json_t *r, const dg_render_ctx *ctx)
{
    json_t *records = json_object_get(r, "records"), *it;
    size_t i;
    long long total = n(r, "total");
    if (total == 0) {
        fprintf(ctx->out, "nothing to review (threshold %.2f)\n", f(r, "threshold"));
        return;
    }
    fprintf(ctx->out, "%lld record%s to review (threshold %.2f), least confident first:\n",
            total, total == 1 ? "" : "s", f(r, "threshold"));
    fprintf(ctx->out, "%-5s %-28s %-26s %-10s %s\n", "CONF", "REFERENCE", "FILED AS", "DATE",
            "TITLE  [WHY]");
    json_array_foreach(records, i, it) {
        char cls[96], why[96] = "";
        class_text(it, "category", "type", cls, sizeof cls);
        json_t *reason;
        size_t k;
        json_array_foreach(json_object_get(it, "reasons"), k, reason) {
            size_t used = strlen(why);
            snprintf(why + used, sizeof why - used, "%s%s", k ? ", " : "",
                     json_string_value(reason));
        }
        fprintf(ctx->out, "%-5.2f ", f(it, "confidence"));
        column(ctx->out, s(it, "refcode"), 28);
        column(ctx->out, cls, 26);
        column(ctx->out, *s(it, "date") ? s(it, "date") : "-", 10);
        fprintf(ctx->out, "%s  [%s]\n", s(it, "title"), why);
    }
    long long shown = (long long)json_array_size(records) + n(r, "offset");
    if (shown < total)
        fprintf(ctx->out, "... %lld more (--offset %lld)\n", total - shown, shown);
}

void dg_render_reviewed(json_t *r, const dg_render_ctx *ctx)
{
    char cls[96];
    class_text(r, "category", "type", cls, sizeof cls);
    int corrected = !strcmp(s(r, "decision"), "corrected");
    fprintf(ctx->out, "%s version %lld: %s as %s (period %s, level %lld)%s\n", s(r, "refcode"),
            n(r, "version"), corrected ? "reclassified" : "confirmed", cls, s(r, "period"),
            n(r, "level"), corrected ? ", a new version" : "");
    fprintf(ctx->out, "%s\n", json_is_true(json_object_get(r, "learnt"))
                                  ? "the classifier learnt from it"
                                  : "the record has no text: the classifier learnt nothing");
}

void dg_render_review_threshold(json_t *r, const dg_render_ctx *ctx)
{
    fprintf(ctx->out, "review threshold: %.2f%s\n", f(r, "threshold"),
            json_is_true(json_object_get(r, "changed")) ? " (set)" : "");
}

void dg_render_classify_eval(json_t *r, const dg_render_ctx *ctx)
{
    const char *table = s(r, "table");
    fprintf(ctx->out, "%s%s", table, *table && table[strlen(table) - 1] == '\n' ? "" : "\n");
    fprintf(ctx->out, "%lld records in %.2f s\n", n(r, "records"), f(r, "seconds"));
}

void dg_render_classify_explain(json_t *r, const dg_render_ctx *ctx)
{
    char filed[96], now[96];
    class_text(r, "filed_category", "filed_type", filed, sizeof filed);
    class_text(r, "category", "type", now, sizeof now);
    fprintf(ctx->out, "%s is filed as %s; the archive's classifier says %s (confidence %.2f)\n\n",
            s(r, "refcode"), filed, now, f(r, "confidence"));
    const char *text = s(r, "explanation");
    fprintf(ctx->out, "%s%s", text, *text && text[strlen(text) - 1] == '\n' ? "" : "\n");
}

void dg_render_rules_list(json_t *r, const dg_render_ctx *ctx)
{
    json_t *rule;
    size_t i;
    fprintf(ctx->out, "%-7s %-15s %-17s %-8s %s\n", "WEIGHT", "CATEGORY", "TYPE", "SOURCE",
            "PATTERN");
    json_array_foreach(json_object_get(r, "rules"), i, rule)
        fprintf(ctx->out, "%-7g %-15s %-17s %-8s %s\n", f(rule, "weight"), s(rule, "category"),
                *s(rule, "type") ? s(rule, "type") : "-",
                json_is_true(json_object_get(rule, "default")) ? "default" : "archive",
                s(rule, "pattern"));
}

void dg_render_rules_change(json_t *r, const dg_render_ctx *ctx)
{
    const char *change = s(r, "change");
    if (!strcmp(change, "reset")) {
        fprintf(ctx->out, "rules reset to dangan's defaults\n");
        return;
    }
    char cls[96];
    class_text(r, "category", "type", cls, sizeof cls);
    fprintf(ctx->out, "rule %s: %s -> %s", change, s(r, "pattern"), cls);
    if (!strcmp(change, "added"))
        fprintf(ctx->out, " (weight %g)", f(r, "weight"));
    fprintf(ctx->out, "\n");
}
