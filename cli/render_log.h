/*
 * render_log.h — showing the results of the access-log commands that deal with its tree:
 * verify (alone or against a checkpoint), checkpoint, prove, cosign. A signed checkpoint is
 * printed exactly as signed, so it can be saved and checked by any signed-note verifier;
 * --checkpoints FILE appends each newly signed one to FILE, written by the client with
 * its own rights.
 */
#ifndef DG_RENDER_LOG_H
#define DG_RENDER_LOG_H

#include <jansson.h>

#include "render.h"

void dg_render_log_verify(json_t *r, const dg_render_ctx *ctx);
void dg_render_log_checkpoint(json_t *r, const dg_render_ctx *ctx);
void dg_render_log_prove(json_t *r, const dg_render_ctx *ctx);
void dg_render_log_cosign(json_t *r, const dg_render_ctx *ctx);
void dg_render_log_timezone(json_t *r, const dg_render_ctx *ctx);
/* The monthly report: CSV with --csv (Excel on Chinese Windows), else text to print. */
void dg_render_log_report(json_t *r, const dg_render_ctx *ctx);

#endif
