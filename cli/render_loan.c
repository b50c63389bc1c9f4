/*
 * render_loan.c — showing the loan register's responses: requests and decisions, the
 * listings (pending, overdue), the register (借阅登记簿) as text, Excel-ready CSV or a
 * signable PDF, and an export written as a PDF of its watermarked pages.
 */
#include "render_loan.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "pdf_print.h"

static const char *s(json_t *o, const char *key)
{
    const char *v = json_string_value(json_object_get(o, key));
    return v ? v : "";
}

static long long n(json_t *o, const char *key)
{
    return json_integer_value(json_object_get(o, key));
}

/* The method as the register prints it: Chinese first. */
static const char *method_name(const char *m)
{
    return !strcmp(m, "read")      ? "查阅 read"
           : !strcmp(m, "copy")    ? "复制 copy"
           : !strcmp(m, "excerpt") ? "摘抄 excerpt"
           : !strcmp(m, "loan")    ? "外借 loan"
                                   : m;
}

static const char *state_name(const char *st)
{
    return !strcmp(st, "pending")    ? "待审批 pending"
           : !strcmp(st, "approved") ? "已批准 approved"
           : !strcmp(st, "refused")  ? "不予批准 refused"
           : !strcmp(st, "out")      ? "已借出 out"
           : !strcmp(st, "returned") ? "已归还 returned"
                                     : st;
}

/* The date part of a stored time ("2026-11-03T14:05:09Z" -> "2026-11-03"), into buf. */
static const char *day(const char *iso, char buf[16])
{
    snprintf(buf, 16, "%.10s", iso);
    return buf;
}

void dg_render_loan_request(json_t *r, const dg_render_ctx *ctx)
{
    fprintf(ctx->out, "借阅申请 %lld 已提交，待领导审批 (loan request %lld: %s, %s, %lld days, "
                      "pending approval)\n",
            n(r, "id"), n(r, "id"), s(r, "refcode"), s(r, "method"), n(r, "days"));
}

void dg_render_loan_step(json_t *r, const dg_render_ctx *ctx)
{
    fprintf(ctx->out, "借阅 %lld: %s", n(r, "id"), state_name(s(r, "state")));
    if (json_object_get(r, "due"))
        fprintf(ctx->out, "，应还 due %s", s(r, "due"));
    if (json_object_get(r, "refcode"))
        fprintf(ctx->out, " (%s)", s(r, "refcode"));
    fputc('\n', ctx->out);
}

void dg_render_relate(json_t *r, const dg_render_ctx *ctx)
{
    fprintf(ctx->out, "%s: %s %s\n", s(r, "login"),
            json_is_true(json_object_get(r, "related")) ? "亲属已登记 related to" : "已移除 no longer related to",
            s(r, "person"));
}

static void print_loan(json_t *l, const dg_render_ctx *ctx)
{
    char a[16], b[16];
    fprintf(ctx->out, "%4lld  %s  %s  %s\n", n(l, "id"), state_name(s(l, "state")),
            s(l, "refcode"), *s(l, "title") ? s(l, "title") : "");
    fprintf(ctx->out, "      %s %s%s%s%s", !strcmp(s(l, "kind"), "paper") ? "纸质 paper" : "电子 electronic",
            s(l, "borrower"), *s(l, "login") ? " " : "", s(l, "login"),
            *s(l, "unit") ? " (" : "");
    if (*s(l, "unit"))
        fprintf(ctx->out, "%s)", s(l, "unit"));
    if (*s(l, "id_number"))
        fprintf(ctx->out, " 证件 %s", s(l, "id_number"));
    fprintf(ctx->out, " | %s | %s", method_name(s(l, "method")), s(l, "purpose"));
    if (*s(l, "approver"))
        fprintf(ctx->out, " | 批准 %s", s(l, "approver"));
    if (*s(l, "due_at"))
        fprintf(ctx->out, " | %s → 应还 %s", day(s(l, "out_at"), a), day(s(l, "due_at"), b));
    if (n(l, "days_overdue") > 0)
        fprintf(ctx->out, " | 逾期 %lld 天 (%lld days overdue)", n(l, "days_overdue"),
                n(l, "days_overdue"));
    if (*s(l, "returned_at"))
        fprintf(ctx->out, " | 归还 %s %s", day(s(l, "returned_at"), a), s(l, "condition"));
    if (*s(l, "reason"))
        fprintf(ctx->out, " | %s", s(l, "reason"));
    fputc('\n', ctx->out);
}

void dg_render_loan_list(json_t *r, const dg_render_ctx *ctx)
{
    json_t *l;
    size_t i;
    json_array_foreach(json_object_get(r, "loans"), i, l)
        print_loan(l, ctx);
    if (json_array_size(json_object_get(r, "loans")) == 0)
        fprintf(ctx->out, "（无）no loans\n");
}

/* ---- the register ---- */

enum { REG_COLS = 15 };
static const char *const REG_HEADINGS[REG_COLS] = {
    "序号", "借出日期", "档号", "题名", "借阅人", "单位", "证件号码", "借阅目的",
    "方式", "批准人", "应还日期", "归还日期", "归还状况", "借阅人签字", "经办人签字"};

/* The register's rows: loans that went out (approved or handed over), not mere requests. */
static int in_register(json_t *l)
{
    const char *st = s(l, "state");
    return *s(l, "out_at") && strcmp(st, "refused") && strcmp(st, "pending");
}

/* One row's cells into f (dates into the caller's buffers). */
static void register_row(json_t *l, size_t serial, char bufs[5][16], const char *f[REG_COLS])
{
    snprintf(bufs[0], 16, "%zu", serial);
    const char *cells[REG_COLS] = {
        bufs[0], day(s(l, "out_at"), bufs[1]), s(l, "refcode"), s(l, "title"),
        s(l, "borrower"), s(l, "unit"), s(l, "id_number"),
        s(l, "purpose"), method_name(s(l, "method")), s(l, "approver"),
        day(s(l, "due_at"), bufs[2]), day(s(l, "returned_at"), bufs[3]), s(l, "condition"), "",
        s(l, "handled_by")};
    memcpy(f, cells, sizeof cells);
}

static dg_status register_pdf(json_t *r, const char *path, int *pages, dg_error *err)
{
    json_t *loans = json_object_get(r, "loans"), *l;
    size_t i, rows = 0;
    const char **cells = calloc(json_array_size(loans) * REG_COLS + 1, sizeof *cells);
    char (*bufs)[5][16] = calloc(json_array_size(loans) + 1, sizeof *bufs);
    if (!cells || !bufs) {
        free(cells);
        free(bufs);
        return dg_error_set(err, DG_ERR_NOMEM, "%s: out of memory", path);
    }
    json_array_foreach(loans, i, l) {
        if (!in_register(l))
            continue;
        register_row(l, rows + 1, bufs[rows], cells + rows * REG_COLS);
        rows++;
    }
    static const float widths[REG_COLS] = {3, 7, 11, 12, 6, 7, 8, 9, 5, 5, 7, 7, 6, 6, 6};
    dg_pdf_column cols[REG_COLS];
    for (int c = 0; c < REG_COLS; c++)
        cols[c] = (dg_pdf_column){REG_HEADINGS[c], widths[c], c == 3 || c == 7 || c == 5};
    char sub[64];
    snprintf(sub, sizeof sub, "%lld 年度", n(r, "year"));
    const char *subtitle[] = {sub};
    const char *signatures[] = {"档案员", "审核人（领导）"};
    dg_pdf_table t = {.title = "档案借阅登记簿", .subtitle = subtitle, .n_subtitle = 1,
                      .columns = cols, .n_columns = REG_COLS, .cells = cells, .n_rows = rows,
                      .signatures = signatures, .n_signatures = 2};
    dg_status st = dg_pdf_print(&t, path, pages, err);
    free(cells);
    free(bufs);
    return st;
}

void dg_render_loan_register(json_t *r, const dg_render_ctx *ctx)
{
    const char *pdf = json_string_value(json_object_get(ctx->args, "pdf"));
    if (pdf) {
        dg_error err;
        dg_error_clear(&err);
        int pages = 0;
        if (register_pdf(r, pdf, &pages, &err) == DG_OK) {
            fprintf(ctx->out, "%s: %d %s (PDF)\n", pdf, pages, pages == 1 ? "page" : "pages");
        } else {
            fprintf(stderr, "dangan: %s\n", err.msg);
            *ctx->exit_code = 8;
        }
        return;
    }
    json_t *l;
    size_t i, serial = 0;
    if (ctx->csv)
        dg_csv_header(ctx->out, REG_HEADINGS, REG_COLS);
    else
        fprintf(ctx->out, "档案借阅登记簿 %lld 年度\n", n(r, "year"));
    json_array_foreach(json_object_get(r, "loans"), i, l) {
        if (!in_register(l))
            continue;
        char bufs[5][16];
        const char *f[REG_COLS];
        register_row(l, ++serial, bufs, f);
        if (ctx->csv)
            dg_csv_row(ctx->out, f, REG_COLS);
        else
            print_loan(l, ctx);
    }
    if (!ctx->csv && serial == 0)
        fprintf(ctx->out, "（无）no loans in %lld\n", n(r, "year"));
}

/* ---- export ---- */

static int decode(const char *b64, unsigned char **out, size_t *len)
{
    size_t max = strlen(b64) / 4 * 3 + 3;
    *out = malloc(max);
    if (*out && sodium_base642bin(*out, max, b64, strlen(b64), NULL, len, NULL,
                                  sodium_base64_VARIANT_ORIGINAL) == 0)
        return 1;
    free(*out);
    *out = NULL;
    return 0;
}

void dg_render_export(json_t *r, const dg_render_ctx *ctx)
{
    const char *path = json_string_value(json_object_get(ctx->args, "pdf"));
    json_t *pages = json_object_get(r, "pages"), *p;
    size_t i, count = json_array_size(pages);
    dg_pdf_image *images = calloc(count + 1, sizeof *images);
    int ok = images != NULL;
    json_array_foreach(pages, i, p) {
        if (ok && !decode(s(p, "data"), (unsigned char **)&images[i].data, &images[i].len))
            ok = 0;
    }
    dg_error err;
    dg_error_clear(&err);
    dg_status st = ok ? dg_pdf_images(images, count, path, &err)
                      : dg_error_set(&err, DG_ERR_CORRUPT, "export: the server sent a damaged page");
    if (st == DG_OK)
        fprintf(ctx->out, "%s: %zu %s of %s, watermarked (access log entry %lld)\n", path, count,
                count == 1 ? "page" : "pages", s(r, "refcode"), n(r, "log_entry"));
    else {
        fprintf(stderr, "dangan: %s\n", err.msg);
        *ctx->exit_code = dg_status_exit_code(st);
    }
    for (i = 0; images && i < count; i++)
        free((void *)images[i].data);
    free(images);
}
