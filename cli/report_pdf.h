/*
 * report_pdf.h — the printable forms of two responses, made on the client with
 * pdf_print.h: the access-log report (`dangan log report --month|--year ... --pdf FILE`)
 * and the destruction register 销毁清册 (`dangan register list [--year Y] --pdf FILE`).
 *
 * Both are filed on paper and signed by hand: Chinese headings, people by their names
 * (logins only where an account has no name), times in the archive's time zone as the
 * server gave them, and signature lines at the end. The register also prints, per review,
 * who appraised, approved and witnessed it, when it was destroyed and the signed log
 * checkpoint that covers the destruction, so the paper copy ties into the log.
 */
#ifndef DG_REPORT_PDF_H
#define DG_REPORT_PDF_H

#include <jansson.h>

#include "../base/status.h"
#include "commands.h"

/* The log report response r printed to path; *pages the number of pages (may be NULL). */
dg_status dg_report_pdf_log(json_t *r, const char *path, int *pages, dg_error *err);

/* The register list response r (with register_cover.h's fields) printed to path. */
dg_status dg_report_pdf_register(json_t *r, const char *path, int *pages, dg_error *err);

/*
 * For a renderer: when the request asked for --pdf FILE, prints r with print and says
 * "FILE: N pages" on ctx->out (or the error on standard error, with exit code 8), and
 * returns 1; returns 0 when no PDF was asked for.
 */
int dg_report_pdf_render(json_t *r, const dg_render_ctx *ctx,
                         dg_status (*print)(json_t *, const char *, int *, dg_error *));

#endif
