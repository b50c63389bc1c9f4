/*
 * render_classify.h — showing the results of the classification commands (review,
 * classify, rules) to people. Plain UTF-8 text; --json prints the result as it is.
 */
#ifndef DG_RENDER_CLASSIFY_H
#define DG_RENDER_CLASSIFY_H

#include <jansson.h>

#include "render.h"

void dg_render_review_list(json_t *r, const dg_render_ctx *ctx);
void dg_render_reviewed(json_t *r, const dg_render_ctx *ctx);
void dg_render_review_threshold(json_t *r, const dg_render_ctx *ctx);
void dg_render_classify_eval(json_t *r, const dg_render_ctx *ctx);
void dg_render_classify_explain(json_t *r, const dg_render_ctx *ctx);
void dg_render_rules_list(json_t *r, const dg_render_ctx *ctx);
void dg_render_rules_change(json_t *r, const dg_render_ctx *ctx);

#endif
