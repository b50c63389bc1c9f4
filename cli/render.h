/*
 * render.h — showing responses to people: one function per command's result.
 * Everything is plain UTF-8 text on the given stream; nothing here talks to the archive.
 */
#ifndef DG_RENDER_H
#define DG_RENDER_H

#include <jansson.h>

#include "commands.h"

void dg_render_whoami(json_t *r, const dg_render_ctx *ctx);
void dg_render_user_added(json_t *r, const dg_render_ctx *ctx);
void dg_render_user_list(json_t *r, const dg_render_ctx *ctx);
void dg_render_filed(json_t *r, const dg_render_ctx *ctx);
void dg_render_show(json_t *r, const dg_render_ctx *ctx);
void dg_render_history(json_t *r, const dg_render_ctx *ctx);
void dg_render_page(json_t *r, const dg_render_ctx *ctx);
void dg_render_grant(json_t *r, const dg_render_ctx *ctx);
void dg_render_search(json_t *r, const dg_render_ctx *ctx);
void dg_render_reindex(json_t *r, const dg_render_ctx *ctx);
void dg_render_log(json_t *r, const dg_render_ctx *ctx);
void dg_render_log_verify(json_t *r, const dg_render_ctx *ctx);
void dg_render_verify(json_t *r, const dg_render_ctx *ctx);
void dg_render_ingest(json_t *r, const dg_render_ctx *ctx);
void dg_render_batch_list(json_t *r, const dg_render_ctx *ctx);
void dg_render_batch_show(json_t *r, const dg_render_ctx *ctx);
void dg_render_quarantine(json_t *r, const dg_render_ctx *ctx);

/* Replaces the highlight markers (0x02, 0x03) in every string of a JSON value with the
 * plain-text markers used in --json output ("[" and "]"). */
void dg_render_plain_highlights(json_t *value);

#endif
