/*
 * render_retention.h — showing the results of the retention commands (schedule, hold,
 * retention, register) to people; --csv for the listings. Plain UTF-8 text.
 */
#ifndef DG_RENDER_RETENTION_H
#define DG_RENDER_RETENTION_H

#include <jansson.h>

#include "render.h"

void dg_render_schedule_list(json_t *r, const dg_render_ctx *ctx);
void dg_render_schedule_set(json_t *r, const dg_render_ctx *ctx);
void dg_render_schedule_import(json_t *r, const dg_render_ctx *ctx);
void dg_render_hold(json_t *r, const dg_render_ctx *ctx);
void dg_render_hold_list(json_t *r, const dg_render_ctx *ctx);
void dg_render_due(json_t *r, const dg_render_ctx *ctx);
void dg_render_review(json_t *r, const dg_render_ctx *ctx);
void dg_render_retention_list(json_t *r, const dg_render_ctx *ctx);
void dg_render_appraise(json_t *r, const dg_render_ctx *ctx);
void dg_render_step(json_t *r, const dg_render_ctx *ctx);
void dg_render_destroy(json_t *r, const dg_render_ctx *ctx);
void dg_render_register(json_t *r, const dg_render_ctx *ctx);

#endif
