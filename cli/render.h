/*
 * render.h — showing responses to people: one function per command's result.
 * Everything is plain UTF-8 text on the given stream; nothing here talks to the archive.
 */
#ifndef DG_RENDER_H
#define DG_RENDER_H

#include <jansson.h>
#include <stdio.h>

/* How a response is shown; csv applies to listings that offer it. */
typedef struct dg_render_ctx {
    FILE *out;
    int tty;  /* stdout is a terminal: highlight with bold, otherwise with [ ] */
    int csv;
    json_t *args;   /* the request's arguments (e.g. where to write an export) */
    int *exit_code; /* a renderer that fails on the client side (an export) sets it */
} dg_render_ctx;

/* A command's renderer: shows result (a successful response's "result") on ctx->out. */
typedef void (*dg_render_fn)(json_t *result, const dg_render_ctx *ctx);

void dg_render_whoami(json_t *r, const dg_render_ctx *ctx);
void dg_render_user_added(json_t *r, const dg_render_ctx *ctx);
void dg_render_user_list(json_t *r, const dg_render_ctx *ctx);
void dg_render_filed(json_t *r, const dg_render_ctx *ctx);
void dg_render_undated(json_t *r, const dg_render_ctx *ctx);
void dg_render_show(json_t *r, const dg_render_ctx *ctx);
void dg_render_history(json_t *r, const dg_render_ctx *ctx);
void dg_render_page(json_t *r, const dg_render_ctx *ctx);
void dg_render_grant(json_t *r, const dg_render_ctx *ctx);
void dg_render_search(json_t *r, const dg_render_ctx *ctx);
void dg_render_reindex(json_t *r, const dg_render_ctx *ctx);
void dg_render_synonyms_list(json_t *r, const dg_render_ctx *ctx);
void dg_render_synonyms_change(json_t *r, const dg_render_ctx *ctx);
void dg_render_log(json_t *r, const dg_render_ctx *ctx);
void dg_render_verify(json_t *r, const dg_render_ctx *ctx);
void dg_render_ingest(json_t *r, const dg_render_ctx *ctx);
void dg_render_batch_list(json_t *r, const dg_render_ctx *ctx);
void dg_render_batch_show(json_t *r, const dg_render_ctx *ctx);
void dg_render_quarantine(json_t *r, const dg_render_ctx *ctx);

/* Replaces the highlight markers (0x02, 0x03) in every string of a JSON value with the
 * plain-text markers used in --json output ("[" and "]"). */
void dg_render_plain_highlights(json_t *value);

/* Prints value to out as JSON indented by two spaces (jansson's JSON_INDENT(2), byte for
 * byte), through a buffer of its own; 0, or -1 when out could not be written. */
int dg_render_json(json_t *value, FILE *out);

/*
 * Makes every string of a response safe to print on a terminal, in place: control
 * characters (C0 but the line breaks of multi-line text, DEL, C1), bidirectional
 * overrides and isolates (U+061C, U+200E-F, U+202A-E, U+2066-9) and the Unicode line and
 * paragraph separators are written as visible escapes ("\n", "\x1b", "\u202e"). A title,
 * file name, reason or query can then neither forge a line of output (a log entry on an
 * auditor's screen) nor drive the terminal (ANSI/OSC sequences). Record text, tables and
 * explanations keep their newlines and tabs; snippets keep their highlight markers.
 * For the text renderers only: --json and CSV output stay exact.
 */
void dg_render_escape_controls(json_t *value);

#endif
