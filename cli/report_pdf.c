/*
 * report_pdf.c — the access-log report and the destruction register as printed tables,
 * for report_pdf.h.
 */
#include "report_pdf.h"
#include "render_json.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pdf_print.h"

/* Texts made for one document (cells, lines); freed together. */
typedef struct texts {
    char **items;
    size_t count, cap;
    int failed; /* out of memory once: the document is not printed */
} texts;

static const char *keep(texts *t, char *s)
{
    if (s && !t->failed && t->count == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        char **grown = realloc(t->items, cap * sizeof *grown);
        if (grown) {
            t->items = grown;
            t->cap = cap;
        }
    }
    if (!s || t->failed || t->count == t->cap) {
        free(s);
        t->failed = 1;
        return "";
    }
    t->items[t->count++] = s;
    return s;
}

static const char *format(texts *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static const char *format(texts *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0)
        s = NULL;
    va_end(ap);
    return keep(t, s);
}

static void texts_free(texts *t)
{
    for (size_t i = 0; i < t->count; i++)
        free(t->items[i]);
    free(t->items);
}

/* A table's cells, n_columns to a row, grown as rows are added. */
typedef struct cells {
    const char **v;
    size_t rows, n_columns, cap;
} cells;

static const char **add_row(cells *c, texts *t)
{
    if ((c->rows + 1) * c->n_columns > c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64 * c->n_columns;
        const char **grown = realloc(c->v, cap * sizeof *grown);
        if (!grown) {
            t->failed = 1;
            return NULL;
        }
        c->v = grown;
        c->cap = cap;
    }
    return &c->v[c->rows++ * c->n_columns];
}

static dg_status finish(dg_pdf_table *table, texts *t, const char *path, int *pages,
                        dg_error *err)
{
    if (t->failed)
        return dg_error_set(err, DG_ERR_NOMEM, "%s: out of memory", path);
    return dg_pdf_print(table, path, pages, err);
}

/* ---- the access-log report -------------------------------------------------------------- */

static const char *const SECTIONS[][2] = {
    {"personnel", "人事档案查阅"},
    {"refusal", "拒绝访问"},
    {"export", "导出"},
    {"destruction", "销毁"},
};

/* Chinese for the actions a report lists; any other is printed as logged. */
static const char *const ACTIONS[][2] = {
    {"search", "检索"}, {"show", "查看"}, {"page", "导出页面"}, {"history", "查看版本"},
    {"edit", "修改"}, {"add", "归档"}, {"export", "导出"}, {"retention.destroy", "销毁"},
    {"log.read", "查阅日志"}, {"classify", "分类"},
};

static const char *const OUTCOMES[][2] = {
    {"ok", "成功"}, {"refused", "拒绝"}, {"not_found", "未找到"}, {"error", "出错"},
};

static const char *chinese(const char *const table[][2], size_t n, const char *word)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(table[i][0], word))
            return table[i][1];
    return word;
}
#define CHINESE(table, word) chinese(table, sizeof table / sizeof table[0], word)

static const dg_pdf_column LOG_COLUMNS[] = {
    {"类别", 1.9f, 1}, {"时间（本地）", 3.5f, 1}, {"姓名", 1.6f, 1}, {"操作", 1.1f, 1},
    {"档号", 3.4f, 1}, {"结果", 0.9f, 0},          {"说明", 2.3f, 1},
};
enum { LOG_NCOL = sizeof LOG_COLUMNS / sizeof LOG_COLUMNS[0] };

/* The personnel records (category RS) a search showed, one per line: who saw what. */
static const char *personnel_shown(texts *t, json_t *row)
{
    const char *joined = "";
    size_t i;
    json_t *hit;
    json_array_foreach(json_object_get(row, "shown"), i, hit)
        if (strstr(s(hit, "record"), "-RS\xc2\xb7"))
            joined = format(t, "%s%s%s 第%lld版", joined, *joined ? "\n" : "", s(hit, "record"),
                            n(hit, "version"));
    return joined;
}

static void log_row(cells *c, texts *t, const char *section, json_t *row)
{
    const char **cell = add_row(c, t);
    if (!cell)
        return;
    const char *record = s(row, "record");
    if (*record && json_is_integer(json_object_get(row, "version")))
        record = format(t, "%s 第%lld版", record, n(row, "version"));
    else if (!*record)
        record = personnel_shown(t, row);
    const char *detail = s(row, "detail");
    if (*s(row, "query"))
        detail = format(t, "检索词：%s%s%s", s(row, "query"), *detail ? "；" : "", detail);
    cell[0] = section;
    cell[1] = s(row, "local_time");
    /* A name, and the login beside it only when the account has no name. */
    cell[2] = strcmp(s(row, "name"), s(row, "user")) ? s(row, "name")
                                                     : format(t, "（账号）%s", s(row, "user"));
    cell[3] = CHINESE(ACTIONS, s(row, "action"));
    cell[4] = record;
    cell[5] = CHINESE(OUTCOMES, s(row, "outcome"));
    cell[6] = detail;
}

dg_status dg_report_pdf_log(json_t *r, const char *path, int *pages, dg_error *err)
{
    texts t = {0};
    cells c = {.n_columns = LOG_NCOL};
    int yearly = !strcmp(s(r, "period"), "year");
    const char *counts = "";
    for (size_t k = 0; k < sizeof SECTIONS / sizeof SECTIONS[0]; k++) {
        size_t i, count = 0;
        json_t *row;
        json_array_foreach(json_object_get(r, "rows"), i, row) {
            if (strcmp(s(row, "section"), SECTIONS[k][0]))
                continue;
            log_row(&c, &t, SECTIONS[k][1], row);
            count++;
        }
        counts = format(&t, "%s%s%s %zu 条", counts, k ? "；" : "", SECTIONS[k][1], count);
    }
    const char *subtitle[] = {
        format(&t, "档案馆（室）：%s", s(r, "archive")),
        format(&t, "期间：%s%s", s(r, "month"), yearly ? " 全年" : ""),
        format(&t, "时间为本地时间（%s）", *s(r, "timezone") ? s(r, "timezone") : "系统时区"),
        format(&t, "合计：%s", counts),
    };
    static const char *const signatures[] = {"审计人", "档案室负责人"};
    dg_pdf_table table = {
        .title = yearly ? "访问日志年度报告" : "访问日志月度报告",
        .subtitle = subtitle, .n_subtitle = sizeof subtitle / sizeof subtitle[0],
        .columns = LOG_COLUMNS, .n_columns = LOG_NCOL, .cells = c.v, .n_rows = c.rows,
        .empty = "本期无人事档案查阅、拒绝访问、导出或销毁记录",
        .signatures = signatures, .n_signatures = 2};
    dg_status st = finish(&table, &t, path, pages, err);
    free(c.v);
    texts_free(&t);
    return st;
}

/* ---- the destruction register ------------------------------------------------------------ */

static const dg_pdf_column REGISTER_COLUMNS[] = {
    {"序号", 0.8f, 0},       {"档号", 3.2f, 1},       {"题名", 4.2f, 1}, {"年度", 0.9f, 0},
    {"应保管期限", 1.3f, 1}, {"已保管期限", 1.3f, 1}, {"页数", 0.8f, 0}, {"备注", 1.8f, 1},
};
enum { REGISTER_NCOL = sizeof REGISTER_COLUMNS / sizeof REGISTER_COLUMNS[0] };

static const char *period_name(const char *code)
{
    return !strcmp(code, "Y") ? "永久" : !strcmp(code, "D30") ? "30年"
                                   : !strcmp(code, "D10") ? "10年" : code;
}

static const char *name_of(json_t *r, const char *login)
{
    const char *name = json_string_value(json_object_get(json_object_get(r, "names"), login));
    return name && *name ? name : login;
}

static void register_row(cells *c, texts *t, json_t *e)
{
    const char **cell = add_row(c, t);
    if (!cell)
        return;
    cell[0] = format(t, "%lld", n(e, "serial"));
    cell[1] = s(e, "refcode");
    cell[2] = s(e, "title");
    cell[3] = format(t, "%lld", n(e, "year"));
    cell[4] = period_name(s(e, "period"));
    cell[5] = format(t, "%lld年", n(e, "period_served"));
    cell[6] = format(t, "%lld", n(e, "pages"));
    cell[7] = b(e, "intact") ? s(e, "remarks") : format(t, "登记项与日志不符！%s", s(e, "remarks"));
}

/* The distinct names of one role among a review's entries, joined by "、". */
static const char *people(json_t *r, texts *t, json_int_t year, const char *const *keys,
                          size_t n_keys)
{
    const char *joined = "";
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(r, "entries"), i, e) {
        if (n(e, "review") != year)
            continue;
        for (size_t k = 0; k < n_keys; k++) {
            const char *name = name_of(r, s(e, keys[k]));
            if (!*name)
                continue;
            size_t len = strlen(name);
            const char *at = strstr(joined, name);
            int seen = at && (at == joined || !strncmp(at - 3, "、", 3)) &&
                       (at[len] == '\0' || !strncmp(at + len, "、", 3));
            if (!seen)
                joined = format(t, "%s%s%s", joined, *joined ? "、" : "", name);
        }
    }
    return *joined ? joined : "—";
}

/* Per review: who appraised, approved and witnessed, when it was destroyed, and the
 * checkpoint of the log after it (each line of the signed note, so it can be typed back
 * and verified). */
static void review_notes(json_t *r, texts *t, const char ***notes, size_t *n_notes)
{
    static const char *const appraiser[] = {"appraiser"}, *const approver[] = {"approver"},
                             *const witnesses[] = {"witness1", "witness2"};
    size_t i, cap = 0;
    json_t *rv;
    json_array_foreach(json_object_get(r, "reviews"), i, rv) {
        json_int_t year = json_integer_value(json_object_get(rv, "year"));
        const char *cp = json_string_value(json_object_get(rv, "checkpoint"));
        size_t lines = 3;
        for (const char *p = cp; p && *p; p++)
            lines += *p == '\n';
        const char **grown = realloc(*notes, (cap += lines + 1) * sizeof *grown);
        if (!grown) {
            t->failed = 1;
            return;
        }
        *notes = grown;
        (*notes)[(*n_notes)++] = format(
            t, "%lld 年度鉴定：鉴定人 %s；批准人 %s；监销人 %s；销毁时间 %s", (long long)year,
            people(r, t, year, appraiser, 1), people(r, t, year, approver, 1),
            people(r, t, year, witnesses, 2), s(rv, "destroyed_at_local"));
        if (!cp) {
            (*notes)[(*n_notes)++] = "销毁后尚未签署日志检查点（dangan log checkpoint）";
            continue;
        }
        (*notes)[(*n_notes)++] =
            format(t, "销毁后的日志检查点（%s 签署）：", s(rv, "checkpoint_at_local"));
        for (const char *p = cp; *p;) {
            size_t len = strcspn(p, "\n");
            if (len)
                (*notes)[(*n_notes)++] = format(t, "    %.*s", (int)len, p);
            p += len + (p[len] == '\n');
        }
    }
}

dg_status dg_report_pdf_register(json_t *r, const char *path, int *pages, dg_error *err)
{
    texts t = {0};
    cells c = {.n_columns = REGISTER_NCOL};
    size_t i;
    json_t *e;
    const char *years = "";
    json_array_foreach(json_object_get(r, "reviews"), i, e)
        years = format(&t, "%s%s%lld", years, i ? "、" : "", n(e, "year"));
    long long total_pages = 0;
    json_array_foreach(json_object_get(r, "entries"), i, e) {
        register_row(&c, &t, e);
        total_pages += n(e, "pages");
    }
    const char *subtitle[] = {
        format(&t, "全宗单位：%s", s(r, "archive")),
        format(&t, "鉴定年度：%s", *years ? years : "—"),
        format(&t, "共 %zu 件，%lld 页", c.rows, total_pages),
    };
    const char **notes = NULL;
    size_t n_notes = 0;
    review_notes(r, &t, &notes, &n_notes);
    static const char *const signatures[] = {"鉴定人", "批准人", "监销人", "监销人"};
    dg_pdf_table table = {
        .title = "销毁清册", .subtitle = subtitle, .n_subtitle = 3,
        .columns = REGISTER_COLUMNS, .n_columns = REGISTER_NCOL, .cells = c.v,
        .n_rows = c.rows, .empty = "销毁清册中没有登记项", .notes = notes,
        .n_notes = n_notes, .signatures = signatures, .n_signatures = 4};
    dg_status st = finish(&table, &t, path, pages, err);
    free(notes);
    free(c.v);
    texts_free(&t);
    return st;
}

/* ---- the renderers' hook ------------------------------------------------------------------ */

int dg_report_pdf_render(json_t *r, const dg_render_ctx *ctx,
                         dg_status (*print)(json_t *, const char *, int *, dg_error *))
{
    const char *path = json_string_value(json_object_get(ctx->args, "pdf"));
    if (!path)
        return 0;
    dg_error err;
    dg_error_clear(&err);
    int pages = 0;
    dg_status st = print(r, path, &pages, &err);
    if (st == DG_OK) {
        fprintf(ctx->out, "%s: %d %s (PDF)\n", path, pages, pages == 1 ? "page" : "pages");
    } else {
        fprintf(stderr, "dangan: %s\n", err.msg); /* it names the file */
        *ctx->exit_code = dg_status_exit_code(st);
    }
    return 1;
}
