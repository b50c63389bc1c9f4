/*
 * render_loan.h — showing the loan register's responses (dispatch_loan.h): requests,
 * decisions, listings, the register 借阅登记簿 (text, CSV for Excel on Chinese Windows via
 * csv.h, or a signable A4 PDF via pdf_print.h with --pdf FILE), and `dangan export --pdf`,
 * which writes the watermarked page images the server sent into a PDF on the client, with
 * the client's own rights (the server never writes files for clients).
 */
#ifndef DG_RENDER_LOAN_H
#define DG_RENDER_LOAN_H

#include "render.h"

void dg_render_loan_request(json_t *r, const dg_render_ctx *ctx);
void dg_render_loan_step(json_t *r, const dg_render_ctx *ctx);
void dg_render_loan_list(json_t *r, const dg_render_ctx *ctx);
void dg_render_loan_register(json_t *r, const dg_render_ctx *ctx);
void dg_render_relate(json_t *r, const dg_render_ctx *ctx);
void dg_render_export(json_t *r, const dg_render_ctx *ctx);

#endif
