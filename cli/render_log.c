/*
 * render_log.c — text (and for log report, CSV) output of log verify, log checkpoint,
 * log prove, log cosign, log timezone and log report.
 */
#include "render_log.h"
#include "render_json.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "csv.h"
#include "report_pdf.h"

/* Appends a newly signed checkpoint to --checkpoints FILE (one write: no interleaving). */
static void keep_checkpoint(const char *note, const dg_render_ctx *ctx)
{
    const char *path = json_string_value(json_object_get(ctx->args, "checkpoints"));
    if (!path || !*note)
        return;
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    char block[8192];
    int len = snprintf(block, sizeof block, "%s\n", note);
    if (fd < 0 || len >= (int)sizeof block || write(fd, block, (size_t)len) != len ||
        fsync(fd) != 0) {
        fprintf(stderr, "dangan: %s: the checkpoint could not be kept: %s\n", path,
                fd < 0 || errno ? strerror(errno) : "too long");
        *ctx->exit_code = 8;
    }
    if (fd >= 0)
        close(fd);
}

static void print_proof(json_t *proof, FILE *out)
{
    size_t i;
    json_t *h;
    json_array_foreach(proof, i, h)
        fprintf(out, "  %s\n", json_string_value(h));
}

void dg_render_log_verify(json_t *r, const dg_render_ctx *ctx)
{
    json_t *cp = json_object_get(r, "checkpoint");
    if (!cp) {
        if (b(r, "intact"))
            fprintf(ctx->out, "access log intact: %lld entries, head %s, tree root %s\n",
                    n(r, "entries"), s(r, "head"), s(r, "root"));
        else if (json_is_integer(json_object_get(r, "first_broken")))
            fprintf(ctx->out, "ACCESS LOG BROKEN at entry %lld: %s\n(%lld entries)\n",
                    n(r, "first_broken"), s(r, "reason"), n(r, "entries"));
        else
            fprintf(ctx->out, "ACCESS LOG BROKEN: %s\n(%lld entries)\n", s(r, "reason"),
                    n(r, "entries"));
        return;
    }
    if (b(r, "extends")) {
        fprintf(ctx->out,
                "access log extends the checkpoint: %lld entries then (root %s), %lld now "
                "(root %s)\nlog key: %s%s\n",
                n(cp, "size"), s(cp, "root"), n(r, "size"), s(r, "root"), s(r, "key"),
                b(r, "key_from_archive") ? " (as recorded in the archive itself: check it "
                                           "against the key you hold, or give --key)"
                                         : "");
        if (json_array_size(json_object_get(r, "proof"))) {
            fprintf(ctx->out, "consistency proof:\n");
            print_proof(json_object_get(r, "proof"), ctx->out);
        }
    } else {
        fprintf(ctx->out, "ACCESS LOG DOES NOT EXTEND THE CHECKPOINT (%lld entries, root %s): "
                          "%s\n(%lld entries now)\n",
                n(cp, "size"), s(cp, "root"), s(r, "reason"), n(r, "size"));
    }
    const char *now = s(r, "checkpoint_now");
    if (*now) {
        fprintf(ctx->out, "new checkpoint:\n%s", now);
        keep_checkpoint(now, ctx);
    }
}

void dg_render_log_checkpoint(json_t *r, const dg_render_ctx *ctx)
{
    fputs(s(r, "checkpoint"), ctx->out);
    if (b(r, "signed_now"))
        keep_checkpoint(s(r, "checkpoint"), ctx);
}

void dg_render_log_prove(json_t *r, const dg_render_ctx *ctx)
{
    json_t *cp = json_object_get(r, "checkpoint");
    if (b(r, "included")) {
        fprintf(ctx->out, "entry %lld is in the log the checkpoint signed (%lld entries, root "
                          "%s)\nleaf hash %s\ninclusion proof:\n",
                n(r, "entry"), n(cp, "size"), s(cp, "root"), s(r, "leaf_hash"));
        print_proof(json_object_get(r, "proof"), ctx->out);
        if (!b(r, "canonical"))
            fprintf(ctx->out, "BUT ITS ROW IS NOT WHAT THESE BYTES SAY: %s; it was altered\n",
                    s(r, "finding"));
    } else {
        fprintf(ctx->out, "ENTRY %lld IS NOT PROVEN to be in the checkpointed log (%lld entries, "
                          "root %s): it was altered, or the log was rewritten\n",
                n(r, "entry"), n(cp, "size"), s(cp, "root"));
    }
}

void dg_render_log_cosign(json_t *r, const dg_render_ctx *ctx)
{
    fputs(s(r, "checkpoint"), ctx->out);
}

void dg_render_log_timezone(json_t *r, const dg_render_ctx *ctx)
{
    fprintf(ctx->out, "time zone: %s%s\n", s(r, "timezone"),
            b(r, "set") ? "" : " (no zone set for the archive: the system's applies)");
}

/* ---- the monthly report: text to print, or CSV for Excel ----------------------------- */

static const char *const REPORT_SECTIONS[][2] = {
    {"personnel", "人事档案查阅 Personnel records accessed or shown"},
    {"refusal", "拒绝访问 Refusals"},
    {"export", "导出 Exports (page images)"},
    {"destruction", "销毁 Destructions"},
};
enum { N_SECTIONS = sizeof REPORT_SECTIONS / sizeof REPORT_SECTIONS[0] };

static void report_csv(json_t *r, const dg_render_ctx *ctx)
{
    static const char *const COLS[] = {"类别 section", "时间 local time", "姓名 name",
                                       "账号 login", "操作 action", "档号 record", "版本 version",
                                       "结果 outcome", "说明 detail"};
    dg_csv_header(ctx->out, COLS, sizeof COLS / sizeof COLS[0]);
    size_t i;
    json_t *row;
    json_array_foreach(json_object_get(r, "rows"), i, row) {
        char version[16] = "";
        if (json_is_integer(json_object_get(row, "version")))
            snprintf(version, sizeof version, "%lld", n(row, "version"));
        const char *fields[] = {s(row, "section"), s(row, "local_time"), s(row, "name"),
                                s(row, "user"), s(row, "action"), s(row, "record"), version,
                                s(row, "outcome"), s(row, "detail")};
        dg_csv_row(ctx->out, fields, sizeof fields / sizeof fields[0]);
    }
}

/* The report as text, section by section, ready to print. */
static void report_text(json_t *r, const dg_render_ctx *ctx)
{
    fprintf(ctx->out, "%s 访问日志%s Access log report %s\n时间为本地时间 Times are local (%s)\n",
            s(r, "archive"), strcmp(s(r, "period"), "year") ? "月报" : "年报", s(r, "month"),
            *s(r, "timezone") ? s(r, "timezone") : "the system's zone");
    for (int k = 0; k < N_SECTIONS; k++) {
        fprintf(ctx->out, "\n%s\n", REPORT_SECTIONS[k][1]);
        size_t i, count = 0;
        json_t *row;
        json_array_foreach(json_object_get(r, "rows"), i, row) {
            if (strcmp(s(row, "section"), REPORT_SECTIONS[k][0]))
                continue;
            count++;
            fprintf(ctx->out, "  %s  %s (%s)  %s %s", s(row, "local_time"), s(row, "name"),
                    s(row, "user"), s(row, "action"), s(row, "outcome"));
            if (*s(row, "record"))
                fprintf(ctx->out, "  %s", s(row, "record"));
            if (*s(row, "query"))
                fprintf(ctx->out, "  query=\"%s\"", s(row, "query"));
            if (*s(row, "detail"))
                fprintf(ctx->out, "  (%s)", s(row, "detail"));
            fputc('\n', ctx->out);
        }
        if (!count)
            fprintf(ctx->out, "  （无 none）\n");
    }
    fprintf(ctx->out, "\n审计人签字 Auditor: ____________________   日期 Date: ____________\n");
}

void dg_render_log_report(json_t *r, const dg_render_ctx *ctx)
{
    if (dg_report_pdf_render(r, ctx, dg_report_pdf_log))
        return;
    if (ctx->csv)
        report_csv(r, ctx);
    else
        report_text(r, ctx);
}
