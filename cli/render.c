/*
 * render.c — text output of the commands about accounts, records, search, synonyms, the
 * access log's entries, verify and batches; and what every renderer relies on: the
 * highlight markers made plain for --json, and controls escaped before a terminal sees
 * them.
 */
#include "render.h"
#include "render_json.h"

#include <errno.h>
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../base/utf8.h"
#include "../engine/refcode.h"
#include "../engine/vocab.h"
#include "csv.h"

static const char *category_label(const char *key)
{
    dg_category cat;
    return dg_category_parse(key, &cat, NULL) == DG_OK ? dg_category_label(cat) : "";
}

void dg_render_whoami(json_t *r, const dg_render_ctx *ctx)
{
    fprintf(ctx->out, "%s (%s) in %s [%s]: clearance %lld (%s), roles %s\n", s(r, "login"),
            s(r, "name"), s(r, "archive"), s(r, "fonds"), n(r, "clearance"),
            dg_level_name((int)n(r, "clearance")), s(r, "roles"));
}

void dg_render_user_added(json_t *r, const dg_render_ctx *ctx)
{
    fprintf(ctx->out, "user %s saved\n", s(r, "login"));
}

void dg_render_user_list(json_t *r, const dg_render_ctx *ctx)
{
    json_t *users = json_object_get(r, "users"), *u;
    size_t i;
    fprintf(ctx->out, "%-16s %-20s %-9s %-34s %s\n", "LOGIN", "NAME", "CLEARANCE", "ROLES",
            "ACTIVE");
    json_array_foreach(users, i, u)
        fprintf(ctx->out, "%-16s %-20s %-9lld %-34s %s\n", s(u, "login"), s(u, "name"),
                n(u, "clearance"), s(u, "roles"),
                json_is_true(json_object_get(u, "active")) ? "yes" : "no");
}

void dg_render_filed(json_t *r, const dg_render_ctx *ctx)
{
    /* One line, code first: scripts take the code as the line's first word. */
    fprintf(ctx->out, "%s version %lld%s\n", s(r, "refcode"), n(r, "version"),
            dg_refcode_is_provisional(s(r, "refcode"))
                ? "  年度待定，暂用临时档号 / year to be confirmed: provisional code"
                : "");
    if (json_object_get(r, "provisional_refcode"))
        fprintf(ctx->out, "年度已确认，正式档号 %s（临时档号 %s 仍可查到）/ year confirmed: "
                "final code %s (the provisional code %s still finds it)\n",
                s(r, "refcode"), s(r, "provisional_refcode"), s(r, "refcode"),
                s(r, "provisional_refcode"));
    if (json_object_get(r, "refcode_year"))
        fprintf(ctx->out, "year %lld (the reference code keeps %lld: reference codes never "
                "change)\n", n(r, "year"), n(r, "refcode_year"));
    else if (json_object_get(r, "year"))
        fprintf(ctx->out, "year %lld\n", n(r, "year"));
}

void dg_render_undated(json_t *r, const dg_render_ctx *ctx)
{
    json_t *records = json_object_get(r, "records"), *u;
    size_t i;
    if (!json_array_size(records)) {
        fprintf(ctx->out, "没有待定年度的档案 / no record waits for its year\n");
        return;
    }
    fprintf(ctx->out, "年度待定的档案（确认年度：dangan edit 档号 --year 年度 --reason 理由）"
                      "/ records waiting for their year:\n");
    json_array_foreach(records, i, u)
        fprintf(ctx->out, "%s  %s  %s  %s\n", s(u, "refcode"), s(u, "title"),
                s(u, "source_file"), s(u, "filed_at"));
}

static void field(const dg_render_ctx *ctx, const char *label, const char *value)
{
    if (value && *value)
        fprintf(ctx->out, "%-13s %s\n", label, value);
}

static void show_version_fields(json_t *v, const dg_render_ctx *ctx)
{
    char buf[160];
    field(ctx, "Title:", s(v, "title"));
    snprintf(buf, sizeof buf, "%s (%s)", s(v, "category"), category_label(s(v, "category")));
    field(ctx, "Category:", buf);
    field(ctx, "Type:", s(v, "type"));
    field(ctx, "Doc number:", s(v, "doc_number"));
    field(ctx, "Date:", s(v, "date"));
    if (n(v, "year"))
        snprintf(buf, sizeof buf, "%lld", n(v, "year"));
    else /* a provisional record: its year waits for an archivist (refcode.h) */
        snprintf(buf, sizeof buf, "待定 / to be confirmed");
    field(ctx, "Year:", buf);
    field(ctx, "Department:", s(v, "department"));
    field(ctx, "Period:", s(v, "period"));
    field(ctx, "Location:", s(v, "location"));
    field(ctx, "Secrecy:", s(v, "secrecy"));
    field(ctx, "Subject:", s(v, "subject"));
    snprintf(buf, sizeof buf, "%lld", n(v, "pages"));
    field(ctx, "Pages:", buf);
    field(ctx, "Source:", s(v, "source_file"));
    json_t *conf = json_object_get(v, "ocr_confidence");
    if (json_is_number(conf)) {
        snprintf(buf, sizeof buf, "%.1f", json_number_value(conf));
        field(ctx, "OCR conf.:", buf);
    }
}

void dg_render_show(json_t *r, const dg_render_ctx *ctx)
{
    json_t *v = json_object_get(r, "version");
    long long shown = n(v, "number"), current = n(r, "current_version");
    fprintf(ctx->out, "%s  version %lld of %lld%s\n", s(r, "refcode"), shown, current,
            shown == current ? "" : "  (superseded)");
    char buf[64];
    snprintf(buf, sizeof buf, "%lld %s %s", n(r, "level"), s(r, "level_name"),
             dg_level_label((int)n(r, "level")));
    field(ctx, "Level:", buf);
    json_t *hold = json_object_get(r, "hold");
    if (hold) {
        char held[1200];
        snprintf(held, sizeof held, "on hold since %s by %s: %s", s(hold, "placed_at"),
                 s(hold, "placed_by"), s(hold, "reason"));
        field(ctx, "Hold:", held);
    }
    json_t *out = json_object_get(r, "paper_out");
    if (out) {
        char lent[1400];
        snprintf(lent, sizeof lent, "纸质原件已借出 paper original out: %s%s%s%s, loan %lld, "
                 "since %.10s, due %.10s%s", s(out, "borrower"), *s(out, "unit") ? " (" : "",
                 s(out, "unit"), *s(out, "unit") ? ")" : "", n(out, "id"), s(out, "out_at"),
                 s(out, "due_at"), n(out, "days_overdue") > 0 ? " (OVERDUE)" : "");
        field(ctx, "Loan:", lent);
    }
    show_version_fields(v, ctx);
    json_t *pg;
    size_t k;
    json_array_foreach(json_object_get(r, "pages"), k, pg)
        if (json_object_get(pg, "sheets")) { /* --sheets: an original laid out as its text */
            snprintf(buf, sizeof buf, "page %lld: %lld (page --sheet K)", n(pg, "seq"),
                     n(pg, "sheets"));
            field(ctx, "Sheets:", buf);
        }
    fprintf(ctx->out, "Versions:\n");
    json_t *h;
    size_t i;
    json_array_foreach(json_object_get(r, "versions"), i, h)
        fprintf(ctx->out, "  %c%-3lld %s  %-12s %s\n", n(h, "number") == shown ? '*' : ' ',
                n(h, "number"), s(h, "created_at"), s(h, "author"), s(h, "reason"));
    const char *text = s(r, "text");
    if (*text)
        fprintf(ctx->out, "Text:\n%s%s", text, text[strlen(text) - 1] == '\n' ? "" : "\n");
}

void dg_render_history(json_t *r, const dg_render_ctx *ctx)
{
    fprintf(ctx->out, "%s  (%lld versions)\n", s(r, "refcode"), n(r, "current_version"));
    json_t *v;
    size_t i;
    json_array_foreach(json_object_get(r, "versions"), i, v) {
        fprintf(ctx->out, "\nversion %lld  %s  by %s\n  reason: %s\n", n(v, "number"),
                s(v, "created_at"), s(v, "author"), s(v, "reason"));
        fprintf(ctx->out, "  %s | %s | %s | level %lld | %s | %s\n", s(v, "title"),
                s(v, "category"), *s(v, "type") ? s(v, "type") : "-", n(v, "level"),
                s(v, "period"), *s(v, "date") ? s(v, "date") : "no date");
    }
}

/* The client writes exports, with the client's own rights (never the server). */
void dg_render_page(json_t *r, const dg_render_ctx *ctx)
{
    const char *b64 = s(r, "data");
    size_t cap = strlen(b64) / 4 * 3 + 3, len = 0;
    unsigned char *bin = malloc(cap ? cap : 1);
    const char *output = json_string_value(json_object_get(ctx->args, "output"));
    if (!bin || sodium_base642bin(bin, cap, b64, strlen(b64), NULL, &len, NULL,
                                  sodium_base64_VARIANT_ORIGINAL) != 0) {
        fprintf(stderr, "dangan: page: the server sent a damaged image\n");
        *ctx->exit_code = 8;
    } else if (!output && ctx->tty) {
        /* an image, or an office file kept as it came (page 1 of an office record) */
        fprintf(stderr, "dangan: page: %s page %lld is binary (%s): give --output FILE\n",
                s(r, "refcode"), n(r, "seq"), s(r, "mime"));
        *ctx->exit_code = 2;
    } else {
        FILE *f = output ? fopen(output, "wb") : ctx->out;
        if (!f || fwrite(bin, 1, len, f) != len || (output && fclose(f) != 0)) {
            fprintf(stderr, "dangan: %s: %s\n", output ? output : "stdout", strerror(errno));
            *ctx->exit_code = 8;
        } else if (output) {
            fprintf(stderr, "%s page %lld (%s, %zu bytes) written to %s", s(r, "refcode"),
                    n(r, "seq"), s(r, "mime"), len, output);
            if (n(r, "sheets") > 1) /* an original's text, laid out on several sheets */
                fprintf(stderr, "; sheet %lld of %lld (--sheet K)", n(r, "sheet"),
                        n(r, "sheets"));
            if (json_object_get(r, "log_entry"))
                fprintf(stderr, "; access log entry %lld", n(r, "log_entry"));
            fputc('\n', stderr);
        }
    }
    free(bin);
}

void dg_render_grant(json_t *r, const dg_render_ctx *ctx)
{
    fprintf(ctx->out, "%s: %s %s\n", s(r, "refcode"),
            json_is_true(json_object_get(r, "granted")) ? "granted to" : "revoked from",
            s(r, "login"));
}

/* Prints a snippet with its highlight markers as bold (terminal) or [ ] (pipe). */
static void print_snippet(const char *snippet, const dg_render_ctx *ctx)
{
    fputs("    ", ctx->out);
    for (const char *p = snippet; *p; p++) {
        if (*p == '\x02')
            fputs(ctx->tty ? "\x1b[1m" : "[", ctx->out);
        else if (*p == '\x03')
            fputs(ctx->tty ? "\x1b[0m" : "]", ctx->out);
        else if (*p == '\n' || *p == '\r')
            fputc(' ', ctx->out);
        else
            fputc(*p, ctx->out);
    }
    fputc('\n', ctx->out);
}

static void print_facets(json_t *facets, const char *name, const dg_render_ctx *ctx)
{
    json_t *counts = json_object_get(facets, name), *v;
    const char *key;
    if (!json_object_size(counts))
        return;
    fprintf(ctx->out, "  %-9s", name);
    json_object_foreach(counts, key, v)
        fprintf(ctx->out, " %s:%lld", key, (long long)json_integer_value(v));
    fputc('\n', ctx->out);
}

void dg_render_search(json_t *r, const dg_render_ctx *ctx)
{
    long long total = n(r, "total");
    json_t *hits = json_object_get(r, "hits"), *h;
    if (total == 0) {
        fprintf(ctx->out, "no records match%s%s\n", *s(r, "query") ? ": " : "", s(r, "query"));
        return;
    }
    size_t i;
    json_array_foreach(hits, i, h) {
        fprintf(ctx->out, "%s  %s\n", s(h, "refcode"), s(h, "title"));
        fprintf(ctx->out, "    %s | %s | version %lld%s | level %lld\n", s(h, "category"),
                *s(h, "date") ? s(h, "date") : "no date", n(h, "version"),
                json_is_true(json_object_get(h, "current")) ? "" : " (superseded)",
                n(h, "level"));
        if (*s(h, "snippet"))
            print_snippet(s(h, "snippet"), ctx);
    }
    long long first = n(r, "offset") + 1, last = n(r, "offset") + (long long)json_array_size(hits);
    if (json_array_size(hits))
        fprintf(ctx->out, "\n%lld-%lld of %lld records\n", first, last, total);
    else
        fprintf(ctx->out, "%lld records (none on this page)\n", total);
    json_t *facets = json_object_get(r, "facets");
    print_facets(facets, "category", ctx);
    print_facets(facets, "year", ctx);
    print_facets(facets, "period", ctx);
}

void dg_render_reindex(json_t *r, const dg_render_ctx *ctx)
{
    fprintf(ctx->out, "reindexed %lld versions\n", n(r, "versions"));
    json_t *failed = json_object_get(r, "not_indexed"), *f;
    size_t i;
    if (json_array_size(failed))
        fprintf(ctx->out, "%zu version%s could not be indexed (queued; fix and reindex):\n",
                json_array_size(failed), json_array_size(failed) == 1 ? "" : "s");
    json_array_foreach(failed, i, f)
        fprintf(ctx->out, "  %s\n", json_string_value(f));
    /* The exit code already says "not all done"; the error line says what, where errors go. */
    if (json_array_size(failed))
        fprintf(stderr, "dangan: reindex: %zu version%s could not be indexed: queued with the "
                        "reason; 'dangan verify' lists them\n",
                json_array_size(failed), json_array_size(failed) == 1 ? "" : "s");
}

/* 报销 = 核销, one pair a line; the archive's own pairs marked. */
void dg_render_synonyms_list(json_t *r, const dg_render_ctx *ctx)
{
    json_t *pair;
    size_t i;
    json_array_foreach(json_object_get(r, "pairs"), i, pair)
        fprintf(ctx->out, "%s = %s%s\n", s(pair, "word"), s(pair, "synonym"),
                json_is_true(json_object_get(pair, "shipped")) ? "" : "  (本档案 archive's own)");
    fprintf(ctx->out, "%lld pairs\n", n(r, "total"));
}

void dg_render_synonyms_change(json_t *r, const dg_render_ctx *ctx)
{
    fprintf(ctx->out, "%s %s = %s\n",
            json_is_true(json_object_get(r, "added")) ? "added" : "removed", s(r, "word"),
            s(r, "synonym"));
}

static const char *num_or_empty(json_t *e, const char *key, char *buf, size_t size)
{
    json_t *v = json_object_get(e, key);
    if (!json_is_integer(v))
        return "";
    snprintf(buf, size, "%lld", (long long)json_integer_value(v));
    return buf;
}

void dg_render_log(json_t *r, const dg_render_ctx *ctx)
{
    static const char *const COLS[] = {"id", "local_time", "user", "origin", "action", "record",
                                       "version", "query", "hits", "outcome", "detail", "hash",
                                       "at_utc", "shown"};
    enum { NCOLS = sizeof COLS / sizeof COLS[0] };
    json_t *entries = json_object_get(r, "entries"), *e;
    size_t i;
    if (ctx->csv)
        dg_csv_header(ctx->out, COLS, NCOLS);
    json_array_foreach(entries, i, e) {
        char b1[32], b2[32], b3[32];
        /* The hits a search showed: "REF v1; REF v3". */
        char shown[2048] = "";
        size_t k;
        json_t *h;
        json_array_foreach(json_object_get(e, "shown"), k, h) {
            size_t used = strlen(shown);
            snprintf(shown + used, sizeof shown - used, "%s%s v%lld", k ? "; " : "",
                     s(h, "record"), n(h, "version"));
        }
        const char *values[NCOLS] = {num_or_empty(e, "id", b1, sizeof b1), s(e, "local_time"),
                                     s(e, "user"), s(e, "origin"), s(e, "action"),
                                     s(e, "record"), num_or_empty(e, "version", b2, sizeof b2),
                                     s(e, "query"), num_or_empty(e, "hits", b3, sizeof b3),
                                     s(e, "outcome"), s(e, "detail"), s(e, "hash"), s(e, "at"),
                                     shown};
        if (ctx->csv) {
            dg_csv_row(ctx->out, values, NCOLS);
            continue;
        }
        fprintf(ctx->out, "%5s %s %-10s %-12s %-8s", values[0], values[1], values[2], values[4],
                values[9]);
        if (*values[5])
            fprintf(ctx->out, " %s", values[5]);
        if (*values[6])
            fprintf(ctx->out, " v%s", values[6]);
        if (*values[7] || !strcmp(values[4], "search"))
            fprintf(ctx->out, " query=\"%s\"", values[7]);
        if (*values[8])
            fprintf(ctx->out, " hits=%s", values[8]);
        if (*values[10])
            fprintf(ctx->out, " (%s)", values[10]);
        if (*shown)
            fprintf(ctx->out, " shown: %s", shown);
        fputc('\n', ctx->out);
    }
}

void dg_render_verify(json_t *r, const dg_render_ctx *ctx)
{
    json_t *problems = json_object_get(r, "problems"), *p;
    size_t i;
    json_array_foreach(json_object_get(r, "repairs"), i, p)
        fprintf(ctx->out, "repaired  %s\n", json_string_value(p));
    json_array_foreach(problems, i, p)
        fprintf(ctx->out, "%-12s %s  %s\n", s(p, "kind"), s(p, "object"), s(p, "detail"));
    json_t *log = json_object_get(r, "log");
    if (json_is_object(log))
        fprintf(ctx->out, "access log: %lld entries, head %s\n", n(log, "entries"),
                s(log, "head"));
    fprintf(ctx->out,
            "%s: catalog, %lld objects, %lld versions and %lld index documents checked, "
            "%zu problem%s\n",
            json_array_size(problems) ? "PROBLEMS" : "ok", n(r, "objects_checked"),
            n(r, "versions_checked"), n(r, "index_documents"), json_array_size(problems),
            json_array_size(problems) == 1 ? "" : "s");
}

void dg_render_ingest(json_t *r, const dg_render_ctx *ctx)
{
    json_t *o;
    size_t i;
    if (*s(r, "warning"))
        fprintf(stderr, "dangan: warning: %s\n", s(r, "warning"));
    json_array_foreach(json_object_get(r, "outcomes"), i, o) {
        const char *what = s(o, "outcome");
        if (!strcmp(what, "filed")) {
            fprintf(ctx->out, "filed       %s  %s  [%s%s%s]  %s%s%s", s(o, "name"),
                    s(o, "refcode"), s(o, "title"), *s(o, "lang") ? ", " : "", s(o, "lang"),
                    s(o, "category"), *s(o, "type") ? "/" : "", s(o, "type"));
            /* The classifier's confidence; none when the manifest gave the category. */
            json_t *conf = json_object_get(o, "class_confidence");
            if (json_is_number(conf))
                fprintf(ctx->out, " %.2f", json_number_value(conf));
            fputc('\n', ctx->out);
            if (*s(o, "reason")) /* filed, but its indexing failed */
                fprintf(ctx->out, "            %s\n", s(o, "reason"));
        }
        else if (!strcmp(what, "duplicate"))
            fprintf(ctx->out, "duplicate   %s  same as %s\n", s(o, "name"), s(o, "refcode"));
        else
            fprintf(ctx->out, "%-11s %s: %s\n", what, s(o, "name"), s(o, "reason"));
    }
    /* File counts add up to the files found; records and rows are said apart. */
    fprintf(ctx->out, "batch %lld: %lld files: %lld filed", n(r, "batch"), n(r, "files"),
            n(r, "filed_files"));
    if (n(r, "filed_files") != n(r, "filed"))
        fprintf(ctx->out, " (as %lld records)", n(r, "filed"));
    fprintf(ctx->out, ", %lld duplicates, %lld quarantined", n(r, "duplicates"),
            n(r, "quarantined"));
    if (n(r, "skipped"))
        fprintf(ctx->out, " (%lld manifest rows skipped)", n(r, "skipped"));
    if (n(r, "unlisted"))
        fprintf(ctx->out, "; %lld not listed in the manifest", n(r, "unlisted"));
    fprintf(ctx->out, "; %lld pages in %.1f s\n", n(r, "pages"),
            json_number_value(json_object_get(r, "seconds")));
}

void dg_render_batch_list(json_t *r, const dg_render_ctx *ctx)
{
    json_t *b;
    size_t i;
    fprintf(ctx->out, "%5s %-24s %-10s %6s %6s %5s %5s %6s  %s\n", "ID", "STARTED", "USER",
            "FILES", "FILED", "DUPS", "QUAR", "PAGES", "LABEL");
    json_array_foreach(json_object_get(r, "batches"), i, b)
        fprintf(ctx->out, "%5lld %-24s %-10s %6lld %6lld %5lld %5lld %6lld  %s\n", n(b, "id"),
                s(b, "started_at"), s(b, "user"), n(b, "files"), n(b, "filed"),
                n(b, "duplicates"), n(b, "quarantined"), n(b, "pages"), s(b, "label"));
}

void dg_render_batch_show(json_t *r, const dg_render_ctx *ctx)
{
    json_t *b = json_object_get(r, "batch"), *f;
    size_t i;
    fprintf(ctx->out, "batch %lld \"%s\" by %s, %s to %s (%.1f s)\n", n(b, "id"), s(b, "label"),
            s(b, "user"), s(b, "started_at"), *s(b, "finished_at") ? s(b, "finished_at") : "?",
            json_number_value(json_object_get(b, "seconds")));
    json_array_foreach(json_object_get(r, "files"), i, f) {
        json_t *conf = json_object_get(f, "confidence");
        char confidence[16] = "-";
        if (json_is_number(conf))
            snprintf(confidence, sizeof confidence, "%.0f", json_number_value(conf));
        fprintf(ctx->out, "  %-11s %-40s %-28s %3lld p  conf %-4s %5.1f s  %s\n",
                s(f, "outcome"), s(f, "name"), s(f, "refcode"), n(f, "pages"), confidence,
                json_number_value(json_object_get(f, "seconds")), s(f, "reason"));
    }
}

void dg_render_quarantine(json_t *r, const dg_render_ctx *ctx)
{
    json_t *q;
    size_t i;
    json_array_foreach(json_object_get(r, "quarantined"), i, q)
        fprintf(ctx->out, "%5lld  batch %-4lld %s: %s\n        kept as quarantine/%s\n",
                n(q, "id"), n(q, "batch"), s(q, "name"), s(q, "reason"),
                *s(q, "stored_as") ? s(q, "stored_as") : "(nothing: unreadable)");
    if (!json_array_size(json_object_get(r, "quarantined")))
        fprintf(ctx->out, "quarantine is empty\n");
}

static void replace_markers(char *text)
{
    for (char *p = text; *p; p++) {
        if (*p == '\x02')
            *p = '[';
        else if (*p == '\x03')
            *p = ']';
    }
}

void dg_render_plain_highlights(json_t *value)
{
    size_t i;
    const char *key;
    json_t *child;
    if (json_is_string(value) && strpbrk(json_string_value(value), "\x02\x03")) {
        char *copy = strdup(json_string_value(value));
        if (copy) {
            replace_markers(copy);
            json_string_set(value, copy);
            free(copy);
        }
    } else if (json_is_array(value)) {
        json_array_foreach(value, i, child)
            dg_render_plain_highlights(child);
    } else if (json_is_object(value)) {
        json_object_foreach(value, key, child)
            dg_render_plain_highlights(child);
    }
}

/*
 * jansson's json_dumpf hands every piece it makes (a key, ": ", a number, an indent) to
 * fwrite, each call taking the stream's lock: a million-line listing (retention list
 * --json, 160 MB) made about 40 million such calls, a sixth of the command's CPU. The
 * pieces are gathered here and written 64 KB at a time.
 */
enum { JSON_OUT_BUFFER = 64 * 1024 };

typedef struct json_out {
    FILE *out;
    size_t used;
    int failed;
    char buf[JSON_OUT_BUFFER];
} json_out;

static void json_out_flush(json_out *o)
{
    if (o->used && !o->failed && fwrite(o->buf, 1, o->used, o->out) != o->used)
        o->failed = 1;
    o->used = 0;
}

static int json_out_piece(const char *piece, size_t size, void *data)
{
    json_out *o = data;
    if (o->used + size > sizeof o->buf)
        json_out_flush(o);
    if (size > sizeof o->buf) { /* a long string: straight through */
        if (!o->failed && fwrite(piece, 1, size, o->out) != size)
            o->failed = 1;
    } else {
        memcpy(o->buf + o->used, piece, size);
        o->used += size;
    }
    return o->failed ? -1 : 0;
}

int dg_render_json(json_t *value, FILE *out)
{
    json_out *o = malloc(sizeof *o);
    if (!o)
        return json_dumpf(value, out, JSON_INDENT(2));
    o->out = out;
    o->used = 0;
    o->failed = 0;
    int rc = json_dump_callback(value, json_out_piece, o, JSON_INDENT(2));
    json_out_flush(o);
    rc = rc == 0 && !o->failed ? 0 : -1;
    free(o);
    return rc;
}

/* ---- terminal safety ---------------------------------------------------------------- */

typedef enum { LINE_TEXT, MULTI_LINE_TEXT, SNIPPET_TEXT } text_kind;

/* Strings that are multi-line by nature, or carry highlight markers, by their key. */
static text_kind kind_of_key(const char *key)
{
    if (!key)
        return LINE_TEXT;
    if (!strcmp(key, "text") || !strcmp(key, "table") || !strcmp(key, "explanation"))
        return MULTI_LINE_TEXT;
    /* A signed checkpoint is printed and saved exactly as signed (dangan signs only text
     * without control characters, so its lines are its own). */
    if (!strcmp(key, "checkpoint") || !strcmp(key, "checkpoint_now"))
        return MULTI_LINE_TEXT;
    return !strcmp(key, "snippet") ? SNIPPET_TEXT : LINE_TEXT;
}

static int control_allowed(unsigned char c, text_kind kind)
{
    if (kind == MULTI_LINE_TEXT)
        return c == '\n' || c == '\t';
    if (kind == SNIPPET_TEXT) /* print_snippet shows line breaks as spaces */
        return c == '\n' || c == '\r' || c == '\x02' || c == '\x03';
    return 0;
}

/* Whether cp is escaped although printable: C1 controls (e.g. CSI U+009B), the
 * bidirectional marks, embeddings, overrides and isolates, and the line and paragraph
 * separators. */
static int dangerous_code_point(uint32_t cp)
{
    return (cp >= 0x80 && cp <= 0x9F) || cp == 0x061C || cp == 0x200E || cp == 0x200F ||
           (cp >= 0x2028 && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

/* The escaped copy of text (the caller frees it), or NULL when nothing needs escaping
 * (or memory runs out: then the caller drops the string rather than print it raw). */
static char *escape_controls(const char *text, text_kind kind, int *failed)
{
    size_t len = strlen(text), out_len = 0;
    char *out = NULL;
    *failed = 0;
    for (size_t i = 0; i < len;) {
        const unsigned char *p = (const unsigned char *)text + i;
        uint32_t cp = 0;
        size_t step = dg_utf8_decode(text + i, len - i, &cp);
        if (!step) /* not UTF-8 (JSON strings always are): a byte on its own */
            step = 1;
        char esc[16] = "";
        if (step > 1 && dangerous_code_point(cp))
            snprintf(esc, sizeof esc, "\\u%04x", (unsigned)cp);
        else if ((*p < 0x20 || *p == 0x7F) && !control_allowed(*p, kind))
            snprintf(esc, sizeof esc, *p == '\n' ? "\\n" : *p == '\r' ? "\\r"
                                      : *p == '\t' ? "\\t" : "\\x%02x", *p);
        if (*esc && !out) {
            out = malloc(len * 6 + 1); /* the longest escape is 6 bytes for 1 to 3 */
            if (!out) {
                *failed = 1;
                return NULL;
            }
            memcpy(out, text, i);
            out_len = i;
        }
        if (out) {
            size_t n = *esc ? strlen(esc) : step;
            memcpy(out + out_len, *esc ? esc : (const char *)p, n);
            out_len += n;
        }
        i += step;
    }
    if (out)
        out[out_len] = '\0';
    return out;
}

static void escape_value(json_t *value, const char *key)
{
    size_t i;
    const char *child_key;
    json_t *child;
    if (json_is_string(value)) {
        int failed;
        char *safe = escape_controls(json_string_value(value), kind_of_key(key), &failed);
        if (safe || failed)
            json_string_set(value, safe ? safe : "?");
        free(safe);
    } else if (json_is_array(value)) {
        json_array_foreach(value, i, child)
            escape_value(child, key);
    } else if (json_is_object(value)) {
        json_object_foreach(value, child_key, child)
            escape_value(child, child_key);
    }
}

void dg_render_escape_controls(json_t *value)
{
    escape_value(value, NULL);
}
