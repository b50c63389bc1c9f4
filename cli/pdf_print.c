/*
 * pdf_print.c — A4 tables printed through MuPDF's PDF writer, for pdf_print.h.
 *
 * The document is laid out twice by the same walk (print_document): once to count the
 * pages, so that every footer can say "共 M 页", and once to draw. Both passes make the
 * same decisions, so the count is exact. Text is placed glyph by glyph with the one
 * embedded font (never a fallback font MuPDF might pick, which its PDF writer could not
 * embed), so what is measured is what is drawn.
 */
#include "pdf_print.h"

#include <errno.h>
#include <fcntl.h>
#include <hb-subset.h>
#include <hb.h>
#include <mupdf/fitz.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../base/utf8.h"

/* ---- the page, in PDF points (1/72 inch); y grows downwards as in MuPDF's devices ---- */

#define PAGE_W 595.28f /* A4 */
#define PAGE_H 841.89f
#define MARGIN_X 40.0f
#define MARGIN_TOP 46.0f
#define BODY_BOTTOM (PAGE_H - 56.0f) /* the footer sits below */
#define FOOTER_Y (PAGE_H - 30.0f)
#define TITLE_SIZE 16.0f
#define SUBTITLE_SIZE 9.5f
#define BODY_SIZE 8.5f
#define LINE_H (BODY_SIZE * 1.45f)
#define PAD 3.0f /* inside a cell */
#define RULE_W 0.5f
#define SIGNATURE_H 34.0f /* one signature line: room for a handwritten name */
/* A cell never holds more lines than a page can: a row is printed on one page. */
#define MAX_CELL_LINES 48
#define MAX_HEADING_LINES 3

/*
 * The system fonts tried, in order. Noto Sans CJK (fonts-noto-cjk) is a collection; its
 * face 2 is the Simplified Chinese one (fc-scan lists JP, KR, SC, TC, HK). MuPDF 1.21's
 * PDF writer refuses a collection outright ("substitute font creation is not implemented
 * yet"): the face is cut out of it by HarfBuzz's subsetter below, which makes it a single
 * OpenType font.
 */
static const struct {
    const char *path;
    int index;
} SYSTEM_FONTS[] = {
    {"/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2},
    {"/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc", 2},
    {"/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", 0},
};

static const char ELLIPSIS[] = "\xe2\x80\xa6"; /* … */
static const char NONE[] = "\xef\xbc\x88\xe6\x97\xa0\xef\xbc\x89"; /* （无） */
/* Characters the printer adds itself: page numbers, signature blanks, continuation mark. */
static const char OWN_TEXT[] = "第页共续日期：（）/ 0123456789_?…";
/* What a character the font lacks is printed as: "[U+2A6D6]", "[NUL]" (see shape). */
static const char MISSING_TEXT[] = "[]+0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

typedef struct printer {
    fz_context *ctx;
    fz_font *font;
    const dg_pdf_table *t;
    float col_x[DG_PDF_MAX_COLUMNS + 1]; /* column edges, left to right */
    fz_document_writer *wri;
    fz_device *dev; /* the page being drawn (owned by wri), NULL while counting */
    int draw;       /* 0: the counting pass */
    int page, pages;
    float y; /* the next free line on the page */
} printer;

typedef struct line {
    size_t off, len;
    int ellipsis; /* the text was cut here */
} line;

/* ---- checking the table ------------------------------------------------------------- */

static dg_status check_text(const char *s, const char *what, dg_error *err)
{
    if (s && !dg_utf8_valid_str(s))
        return dg_error_set(err, DG_ERR_USAGE, "%s is not valid UTF-8", what);
    return DG_OK;
}

static dg_status check_lines(const char *const *lines, size_t n, const char *what,
                             dg_error *err)
{
    if (n && !lines)
        return dg_error_set(err, DG_ERR_USAGE, "%zu %s lines given but none passed", n, what);
    for (size_t i = 0; i < n; i++)
        if (check_text(lines[i], what, err) != DG_OK)
            return err ? err->status : DG_ERR_USAGE;
    return DG_OK;
}

static dg_status check_table(const dg_pdf_table *t, dg_error *err)
{
    if (!t || !t->title || !*t->title)
        return dg_error_set(err, DG_ERR_USAGE, "a document needs a title");
    if (!t->columns || t->n_columns == 0 || t->n_columns > DG_PDF_MAX_COLUMNS)
        return dg_error_set(err, DG_ERR_USAGE, "a table needs 1 to %d columns, not %zu",
                            DG_PDF_MAX_COLUMNS, t->columns ? t->n_columns : 0);
    if (t->n_rows && !t->cells)
        return dg_error_set(err, DG_ERR_USAGE, "%zu rows given but no cells", t->n_rows);
    if (t->n_rows > SIZE_MAX / t->n_columns)
        return dg_error_set(err, DG_ERR_USAGE, "too many rows");
    for (size_t c = 0; c < t->n_columns; c++)
        if (!t->columns[c].heading || !(t->columns[c].width > 0))
            return dg_error_set(err, DG_ERR_USAGE, "column %zu needs a heading and a width",
                                c + 1);
    dg_status st = check_text(t->title, "the title", err);
    if (st == DG_OK)
        st = check_text(t->empty, "the text for no rows", err);
    if (st == DG_OK)
        st = check_lines(t->subtitle, t->n_subtitle, "subtitle", err);
    if (st == DG_OK)
        st = check_lines(t->notes, t->n_notes, "note", err);
    if (st == DG_OK)
        st = check_lines(t->signatures, t->n_signatures, "signature", err);
    for (size_t c = 0; st == DG_OK && c < t->n_columns; c++)
        st = check_text(t->columns[c].heading, "a column heading", err);
    for (size_t i = 0; st == DG_OK && i < t->n_rows * t->n_columns; i++)
        if (!dg_utf8_valid_str(t->cells[i]))
            st = dg_error_set(err, DG_ERR_USAGE, "row %zu, column %zu is not valid UTF-8",
                              i / t->n_columns + 1, i % t->n_columns + 1);
    return st;
}

/* ---- the font: a subset of a system CJK font ------------------------------------------ */

static void add_codepoints(hb_set_t *set, const char *s)
{
    size_t left = s ? strlen(s) : 0;
    while (left) {
        uint32_t cp;
        size_t k = dg_utf8_decode(s, left, &cp);
        if (!k) /* checked before: cannot happen; skip a byte rather than loop */
            k = 1;
        else
            hb_set_add(set, cp);
        s += k;
        left -= k;
    }
}

static void add_table_codepoints(hb_set_t *set, const dg_pdf_table *t)
{
    add_codepoints(set, OWN_TEXT);
    add_codepoints(set, MISSING_TEXT);
    add_codepoints(set, NONE);
    add_codepoints(set, t->title);
    add_codepoints(set, t->empty);
    for (size_t i = 0; i < t->n_subtitle; i++)
        add_codepoints(set, t->subtitle[i]);
    for (size_t i = 0; i < t->n_notes; i++)
        add_codepoints(set, t->notes[i]);
    for (size_t i = 0; i < t->n_signatures; i++)
        add_codepoints(set, t->signatures[i]);
    for (size_t c = 0; c < t->n_columns; c++)
        add_codepoints(set, t->columns[c].heading);
    for (size_t i = 0; i < t->n_rows * t->n_columns; i++)
        add_codepoints(set, t->cells[i]);
}

/* Opens the font named by the table, or the first system font found. */
static dg_status open_font_file(const dg_pdf_table *t, hb_blob_t **blob, int *index,
                                dg_error *err)
{
    if (t->font_path) {
        *blob = hb_blob_create_from_file_or_fail(t->font_path);
        *index = t->font_index;
        if (!*blob)
            return dg_error_set(err, DG_ERR_NOT_FOUND, "font %s: cannot be read",
                                t->font_path);
        return DG_OK;
    }
    for (size_t i = 0; i < sizeof SYSTEM_FONTS / sizeof SYSTEM_FONTS[0]; i++) {
        *blob = hb_blob_create_from_file_or_fail(SYSTEM_FONTS[i].path);
        *index = SYSTEM_FONTS[i].index;
        if (*blob)
            return DG_OK;
    }
    return dg_error_set(err, DG_ERR_NOT_FOUND,
                        "no Chinese font installed (install fonts-noto-cjk, as "
                        "scripts/install-deps.sh does)");
}

/*
 * The font cut down to the characters the document prints: a few hundred KiB instead of
 * the collection's 19 MiB (MuPDF 1.21 has no subsetting of its own: pdf_subset_fonts came
 * with 1.22). Glyph numbers are kept (HB_SUBSET_FLAGS_RETAIN_GIDS): Noto's CFF is
 * CID-keyed, HarfBuzz keeps the original CIDs when it renumbers the glyphs, and MuPDF
 * writes glyph numbers as CIDs (Identity-H), so a renumbered subset prints blanks. The
 * unused glyphs stay as empty entries, which compress to little.
 */
static dg_status subset_font(const dg_pdf_table *t, hb_blob_t **out, dg_error *err)
{
    hb_blob_t *blob = NULL;
    int index = 0;
    dg_status st = open_font_file(t, &blob, &index, err);
    if (st != DG_OK)
        return st;
    const char *name = t->font_path ? t->font_path : "the system font";
    hb_face_t *face = hb_face_create(blob, (unsigned)index);
    hb_blob_destroy(blob);
    hb_subset_input_t *input = hb_subset_input_create_or_fail();
    hb_face_t *subset = NULL;
    if (hb_face_get_glyph_count(face) == 0)
        st = dg_error_set(err, DG_ERR_BAD_INPUT, "font %s: no font (face %d) in it", name,
                          index);
    else if (!input)
        st = dg_error_set(err, DG_ERR_NOMEM, "font subsetting: out of memory");
    if (st == DG_OK) {
        add_table_codepoints(hb_subset_input_unicode_set(input), t);
        hb_subset_input_set_flags(input, HB_SUBSET_FLAGS_RETAIN_GIDS);
        subset = hb_subset_or_fail(face, input);
        if (!subset)
            st = dg_error_set(err, DG_ERR_INTERNAL, "font %s: HarfBuzz could not subset it",
                              name);
    }
    if (st == DG_OK)
        *out = hb_face_reference_blob(subset);
    hb_face_destroy(subset);
    hb_subset_input_destroy(input);
    hb_face_destroy(face);
    return st;
}

/* ---- text ----------------------------------------------------------------------------- */

/*
 * The glyphs printed for one character, and the characters a reader's text extraction gets
 * for them. A character the font lacks is printed as its name in brackets, so the paper
 * still says which one it was: "[U+2A6D6]" for a rare Han character of a name, "[NUL]" for
 * a control picture (U+2400 + the byte, as the log writes a control byte). A "?" would not.
 */
typedef struct shaped {
    int gid[16], ucs[16], n;
} shaped;

static const char control_names[][4] = {
    "NUL", "SOH", "STX", "ETX", "EOT", "ENQ", "ACK", "BEL", "BS",  "HT",  "LF",
    "VT",  "FF",  "CR",  "SO",  "SI",  "DLE", "DC1", "DC2", "DC3", "DC4", "NAK",
    "SYN", "ETB", "CAN", "EM",  "SUB", "ESC", "FS",  "GS",  "RS",  "US",  "SP",  "DEL"};

static void shape(printer *p, uint32_t cp, shaped *out)
{
    int gid = fz_encode_character(p->ctx, p->font, (int)cp);
    if (gid || cp == ' ') {
        *out = (shaped){.gid = {gid}, .ucs = {(int)cp}, .n = 1};
        return;
    }
    char name[16];
    if (cp >= 0x2400 && cp <= 0x2421)
        snprintf(name, sizeof name, "[%s]", control_names[cp - 0x2400]);
    else
        snprintf(name, sizeof name, "[U+%04X]", (unsigned)cp);
    out->n = 0;
    for (const char *c = name; *c; c++, out->n++) {
        out->gid[out->n] = fz_encode_character(p->ctx, p->font, *c);
        out->ucs[out->n] = *c;
    }
}

static float advance(printer *p, const shaped *g, float size)
{
    float w = 0;
    for (int j = 0; j < g->n; j++)
        w += fz_advance_glyph(p->ctx, p->font, g->gid[j], 0) * size;
    return w;
}

static float text_width(printer *p, const char *s, size_t len, float size)
{
    float w = 0;
    for (size_t i = 0; i < len;) {
        uint32_t cp = '?';
        size_t k = dg_utf8_decode(s + i, len - i, &cp);
        i += k ? k : 1;
        shaped g;
        shape(p, cp, &g);
        w += advance(p, &g, size);
    }
    return w;
}

/* Draws len bytes of s with its baseline at (x, y). */
static void draw_text(printer *p, const char *s, size_t len, float x, float y, float size)
{
    if (!p->draw || !len)
        return;
    fz_context *ctx = p->ctx;
    fz_text *text = NULL;
    fz_var(text);
    fz_try(ctx) {
        text = fz_new_text(ctx);
        /* Glyphs are drawn y-up: the text matrix flips them into the page's y-down space. */
        fz_matrix trm = fz_make_matrix(size, 0, 0, -size, x, y);
        for (size_t i = 0; i < len;) {
            uint32_t cp = '?';
            size_t k = dg_utf8_decode(s + i, len - i, &cp);
            i += k ? k : 1;
            shaped g;
            shape(p, cp, &g);
            for (int j = 0; j < g.n; j++) {
                fz_show_glyph(ctx, text, p->font, trm, g.gid[j], g.ucs[j], 0, 0, FZ_BIDI_LTR,
                              FZ_LANG_zh_Hans);
                trm.e += fz_advance_glyph(ctx, p->font, g.gid[j], 0) * size;
            }
        }
        const float black[3] = {0, 0, 0};
        fz_fill_text(ctx, p->dev, text, fz_identity, fz_device_rgb(ctx), black, 1,
                     fz_default_color_params);
    }
    fz_always(ctx)
        fz_drop_text(ctx, text);
    fz_catch(ctx)
        fz_rethrow(ctx);
}

static void draw_string(printer *p, const char *s, float x, float y, float size)
{
    draw_text(p, s, strlen(s), x, y, size);
}

/*
 * How many bytes of s[0..len) fit in width, stopping before a line break. A run that
 * does not fit is broken where a Latin word (a run of printable ASCII) begins, after a
 * space or a Chinese character, when that is in the second half of the line (so
 * "（账号）root" breaks before "root", not inside it), else between any two characters (as
 * Chinese is set). At least one character is taken, so a line always moves on.
 */
static size_t fit(printer *p, const char *s, size_t len, float width, float size)
{
    float w = 0;
    size_t i = 0, word = 0;
    int in_word = 0;
    while (i < len && s[i] != '\n') {
        uint32_t cp = '?';
        size_t k = dg_utf8_decode(s + i, len - i, &cp);
        k = k ? k : 1;
        int latin = cp > ' ' && cp < 0x7f;
        if (latin && !in_word)
            word = i;
        in_word = latin;
        shaped g;
        shape(p, cp, &g);
        w += advance(p, &g, size);
        if (w > width && i > 0) {
            if (latin && word > i / 2)
                return word;
            return i;
        }
        i += k;
    }
    return i;
}

/*
 * Splits a cell's text into at most max lines of width. With wrap 0 (or when the lines
 * run out) the last line is cut and ends in "…". Returns the number of lines (at least 1).
 */
static int layout_cell(printer *p, const char *s, float width, float size, int wrap, int max,
                       line out[])
{
    if (!s)
        s = "";
    size_t len = strlen(s), off = 0;
    int n = 0;
    float ellipsis_w = text_width(p, ELLIPSIS, strlen(ELLIPSIS), size);
    for (;;) {
        size_t k = fit(p, s + off, len - off, width, size);
        int last = !wrap || n + 1 == max;
        if (off + k == len || !last) {
            out[n++] = (line){.off = off, .len = k};
            off += k;
            if (off == len)
                return n;
            if (s[off] == '\n' || s[off] == ' ')
                off++; /* the break itself is not printed */
            if (off == len)
                return n;
            continue;
        }
        k = fit(p, s + off, len - off, width - ellipsis_w, size);
        out[n++] = (line){.off = off, .len = k, .ellipsis = 1};
        return n;
    }
}

static void draw_lines(printer *p, const char *s, const line *lines, int n, float x, float y,
                       float size, float line_h)
{
    for (int i = 0; i < n; i++) {
        float base = y + line_h * (float)i + size;
        draw_text(p, s + lines[i].off, lines[i].len, x, base, size);
        if (lines[i].ellipsis)
            draw_string(p, ELLIPSIS, x + text_width(p, s + lines[i].off, lines[i].len, size),
                        base, size);
    }
}

/* ---- rules and pages -------------------------------------------------------------------- */

static void draw_box(printer *p, float x0, float y0, float x1, float y1, float gray, int fill)
{
    if (!p->draw)
        return;
    fz_context *ctx = p->ctx;
    fz_path *path = NULL;
    fz_stroke_state *stroke = NULL;
    fz_var(path);
    fz_var(stroke);
    fz_try(ctx) {
        path = fz_new_path(ctx);
        fz_rectto(ctx, path, x0, y0, x1, y1);
        const float color[3] = {gray, gray, gray};
        if (fill) {
            fz_fill_path(ctx, p->dev, path, 0, fz_identity, fz_device_rgb(ctx), color, 1,
                         fz_default_color_params);
        } else {
            stroke = fz_new_stroke_state(ctx);
            stroke->linewidth = RULE_W;
            fz_stroke_path(ctx, p->dev, path, stroke, fz_identity, fz_device_rgb(ctx), color, 1,
                           fz_default_color_params);
        }
    }
    fz_always(ctx) {
        fz_drop_path(ctx, path);
        fz_drop_stroke_state(ctx, stroke);
    }
    fz_catch(ctx)
        fz_rethrow(ctx);
}

static void draw_rule(printer *p, float x0, float x1, float y)
{
    /* A rule is a box of no height: one stroke. */
    draw_box(p, x0, y, x1, y, 0, 0);
}

static void end_page(printer *p)
{
    if (!p->draw)
        return;
    char footer[64];
    snprintf(footer, sizeof footer, "第 %d 页 / 共 %d 页", p->page, p->pages);
    float w = text_width(p, footer, strlen(footer), BODY_SIZE);
    draw_string(p, footer, (PAGE_W - w) / 2, FOOTER_Y, BODY_SIZE);
    p->dev = NULL;
    fz_end_page(p->ctx, p->wri);
}

static void begin_page(printer *p)
{
    if (p->page > 0)
        end_page(p);
    p->page++;
    p->y = MARGIN_TOP;
    if (p->draw)
        p->dev = fz_begin_page(p->ctx, p->wri, fz_make_rect(0, 0, PAGE_W, PAGE_H));
}

/* ---- the table ---------------------------------------------------------------------------- */

static float cell_width(const printer *p, size_t c)
{
    return p->col_x[c + 1] - p->col_x[c] - 2 * PAD;
}

/* The most lines a row may take so that, under the headings, it fits on an empty page. */
static int max_row_lines(float heading_h)
{
    int n = (int)((BODY_BOTTOM - MARGIN_TOP - 2 * LINE_H - heading_h - 2 * PAD) / LINE_H);
    return n < 1 ? 1 : n > MAX_CELL_LINES ? MAX_CELL_LINES : n;
}

static float heading_height(printer *p)
{
    line lines[MAX_HEADING_LINES];
    int most = 1;
    for (size_t c = 0; c < p->t->n_columns; c++) {
        int n = layout_cell(p, p->t->columns[c].heading, cell_width(p, c), BODY_SIZE, 1,
                            MAX_HEADING_LINES, lines);
        most = n > most ? n : most;
    }
    return (float)most * LINE_H + 2 * PAD;
}

static void draw_headings(printer *p, float h)
{
    float x0 = p->col_x[0], x1 = p->col_x[p->t->n_columns];
    draw_box(p, x0, p->y, x1, p->y + h, 0.88f, 1);
    for (size_t c = 0; c < p->t->n_columns; c++) {
        line lines[MAX_HEADING_LINES];
        const char *s = p->t->columns[c].heading;
        int n = layout_cell(p, s, cell_width(p, c), BODY_SIZE, 1, MAX_HEADING_LINES, lines);
        draw_lines(p, s, lines, n, p->col_x[c] + PAD, p->y + PAD, BODY_SIZE, LINE_H);
        draw_box(p, p->col_x[c], p->y, p->col_x[c + 1], p->y + h, 0, 0);
    }
    p->y += h;
}

/* A continuation page repeats the title small, then the headings. */
static void continue_table(printer *p, float heading_h)
{
    begin_page(p);
    draw_string(p, p->t->title, MARGIN_X, p->y + BODY_SIZE, BODY_SIZE);
    draw_string(p, "（续）",
                MARGIN_X + text_width(p, p->t->title, strlen(p->t->title), BODY_SIZE),
                p->y + BODY_SIZE, BODY_SIZE);
    p->y += 2 * LINE_H;
    draw_headings(p, heading_h);
}

static void draw_row(printer *p, size_t r, float heading_h)
{
    const dg_pdf_table *t = p->t;
    line lines[DG_PDF_MAX_COLUMNS][MAX_CELL_LINES];
    int counts[DG_PDF_MAX_COLUMNS], most = 1, max = max_row_lines(heading_h);
    for (size_t c = 0; c < t->n_columns; c++) {
        counts[c] = layout_cell(p, t->cells[r * t->n_columns + c], cell_width(p, c), BODY_SIZE,
                                t->columns[c].wrap, max, lines[c]);
        most = counts[c] > most ? counts[c] : most;
    }
    float h = (float)most * LINE_H + 2 * PAD;
    if (p->y + h > BODY_BOTTOM)
        continue_table(p, heading_h);
    for (size_t c = 0; c < t->n_columns; c++) {
        const char *s = t->cells[r * t->n_columns + c];
        draw_lines(p, s ? s : "", lines[c], counts[c], p->col_x[c] + PAD, p->y + PAD, BODY_SIZE,
                   LINE_H);
        draw_box(p, p->col_x[c], p->y, p->col_x[c + 1], p->y + h, 0, 0);
    }
    p->y += h;
}

static void title_block(printer *p)
{
    const dg_pdf_table *t = p->t;
    float width = PAGE_W - 2 * MARGIN_X;
    line title; /* one line, centred; a title wider than the page is cut with "…" */
    layout_cell(p, t->title, width, TITLE_SIZE, 0, 1, &title);
    float w = text_width(p, t->title, title.len, TITLE_SIZE) +
              (title.ellipsis ? text_width(p, ELLIPSIS, strlen(ELLIPSIS), TITLE_SIZE) : 0);
    draw_lines(p, t->title, &title, 1, (PAGE_W - w) / 2, p->y, TITLE_SIZE, TITLE_SIZE);
    p->y += TITLE_SIZE * 1.9f;
    for (size_t i = 0; i < t->n_subtitle; i++) {
        line lines[4];
        const char *s = t->subtitle[i] ? t->subtitle[i] : "";
        int n = layout_cell(p, s, width, SUBTITLE_SIZE, 1, 4, lines);
        draw_lines(p, s, lines, n, MARGIN_X, p->y, SUBTITLE_SIZE, SUBTITLE_SIZE * 1.5f);
        p->y += (float)n * SUBTITLE_SIZE * 1.5f;
    }
    p->y += LINE_H * 0.6f;
}

/* Lines after the table, each wrapped over the page's width; a page break where needed. */
static void notes_block(printer *p)
{
    float width = PAGE_W - 2 * MARGIN_X;
    p->y += LINE_H * 0.8f;
    for (size_t i = 0; i < p->t->n_notes; i++) {
        line lines[MAX_CELL_LINES];
        const char *s = p->t->notes[i] ? p->t->notes[i] : "";
        int n = layout_cell(p, s, width, BODY_SIZE, 1, MAX_CELL_LINES, lines);
        if (p->y + (float)n * LINE_H > BODY_BOTTOM)
            begin_page(p);
        draw_lines(p, s, lines, n, MARGIN_X, p->y, BODY_SIZE, LINE_H);
        p->y += (float)n * LINE_H;
    }
}

/* "label：______________   日期：__________": the blanks are rules to sign on. */
static void signature_block(printer *p)
{
    const dg_pdf_table *t = p->t;
    if (!t->n_signatures)
        return;
    p->y += LINE_H;
    for (size_t i = 0; i < t->n_signatures; i++) {
        if (p->y + SIGNATURE_H > BODY_BOTTOM)
            begin_page(p);
        const char *label = t->signatures[i] ? t->signatures[i] : "";
        float base = p->y + SIGNATURE_H - 8, size = 10.5f;
        float x = MARGIN_X;
        draw_string(p, label, x, base, size);
        x += text_width(p, label, strlen(label), size);
        draw_string(p, "：", x, base, size);
        x += text_width(p, "：", strlen("："), size) + 4;
        draw_rule(p, x, x + 190, base + 2);
        float dx = MARGIN_X + 340;
        draw_string(p, "日期：", dx, base, size);
        dx += text_width(p, "日期：", strlen("日期："), size) + 4;
        draw_rule(p, dx, dx + 110, base + 2);
        p->y += SIGNATURE_H;
    }
}

static void print_document(printer *p)
{
    const dg_pdf_table *t = p->t;
    p->page = 0;
    begin_page(p);
    title_block(p);
    float heading_h = heading_height(p);
    draw_headings(p, heading_h);
    for (size_t r = 0; r < t->n_rows; r++)
        draw_row(p, r, heading_h);
    if (!t->n_rows) {
        const char *none = t->empty ? t->empty : NONE;
        float x1 = p->col_x[t->n_columns];
        draw_string(p, none, MARGIN_X + PAD, p->y + PAD + BODY_SIZE, BODY_SIZE);
        draw_box(p, MARGIN_X, p->y, x1, p->y + LINE_H + 2 * PAD, 0, 0);
        p->y += LINE_H + 2 * PAD;
    }
    notes_block(p);
    signature_block(p);
    end_page(p);
}

static void place_columns(printer *p)
{
    const dg_pdf_table *t = p->t;
    float total = 0, width = PAGE_W - 2 * MARGIN_X, x = MARGIN_X;
    for (size_t c = 0; c < t->n_columns; c++)
        total += t->columns[c].width;
    for (size_t c = 0; c < t->n_columns; c++) {
        p->col_x[c] = x;
        x += width * t->columns[c].width / total;
    }
    p->col_x[t->n_columns] = MARGIN_X + width;
}

/* ---- MuPDF: the two passes into a buffer ----------------------------------------------- */

static void ignore_message(void *user, const char *message)
{
    (void)user;
    (void)message; /* library code never prints: a failure comes back through fz_catch */
}

/* Renders the table into *pdf (caller drops it with fz_drop_buffer). Throws on failure. */
static void render(printer *p, hb_blob_t *font_blob)
{
    fz_context *ctx = p->ctx;
    unsigned font_len = 0;
    const char *font_data = hb_blob_get_data(font_blob, &font_len);
    fz_buffer *font_buf = fz_new_buffer_from_copied_data(ctx, (const unsigned char *)font_data,
                                                         font_len);
    fz_try(ctx)
        p->font = fz_new_font_from_buffer(ctx, NULL, font_buf, 0, 0);
    fz_always(ctx)
        fz_drop_buffer(ctx, font_buf);
    fz_catch(ctx)
        fz_rethrow(ctx);
    place_columns(p);
    p->draw = 0;
    print_document(p);
    p->pages = p->page;
    p->draw = 1;
    print_document(p);
    fz_close_document_writer(ctx, p->wri);
}

static dg_status write_file(const char *path, const unsigned char *data, size_t len,
                            dg_error *err)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return dg_error_set(err, DG_ERR_IO, "%s: %s", path, strerror(errno));
    size_t done = 0;
    while (done < len) {
        ssize_t w = write(fd, data + done, len - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            int e = w < 0 ? errno : EIO;
            close(fd);
            return dg_error_set(err, DG_ERR_IO, "%s: %s", path, strerror(e));
        }
        done += (size_t)w;
    }
    if (close(fd) != 0)
        return dg_error_set(err, DG_ERR_IO, "%s: %s", path, strerror(errno));
    return DG_OK;
}

static dg_status run_mupdf(const dg_pdf_table *t, hb_blob_t *font_blob, const char *path,
                           int *pages, dg_error *err)
{
    fz_context *ctx = fz_new_context(NULL, NULL, FZ_STORE_DEFAULT);
    if (!ctx)
        return dg_error_set(err, DG_ERR_NOMEM, "MuPDF could not start: out of memory");
    fz_set_warning_callback(ctx, ignore_message, NULL);
    fz_set_error_callback(ctx, ignore_message, NULL);
    printer p = {.ctx = ctx, .t = t};
    fz_buffer *pdf = NULL;
    dg_status st = DG_OK;
    fz_var(pdf);
    fz_var(p);
    fz_try(ctx) {
        pdf = fz_new_buffer(ctx, 64 * 1024);
        /* The writer takes the output (and drops it); the buffer stays ours. */
        p.wri = fz_new_pdf_writer_with_output(ctx, fz_new_output_with_buffer(ctx, pdf),
                                              "compress");
        render(&p, font_blob);
    }
    fz_always(ctx) {
        fz_drop_document_writer(ctx, p.wri);
        fz_drop_font(ctx, p.font);
    }
    fz_catch(ctx) {
        st = dg_error_set(err, DG_ERR_INTERNAL, "MuPDF: %s", fz_caught_message(ctx));
    }
    if (st == DG_OK) {
        unsigned char *data = NULL;
        size_t len = fz_buffer_storage(ctx, pdf, &data);
        st = write_file(path, data, len, err);
        if (pages)
            *pages = p.pages;
    }
    fz_drop_buffer(ctx, pdf);
    fz_drop_context(ctx);
    return st;
}

dg_status dg_pdf_print(const dg_pdf_table *table, const char *path, int *pages, dg_error *err)
{
    if (pages)
        *pages = 0;
    if (!path || !*path)
        return dg_error_set(err, DG_ERR_USAGE, "PDF: no file to write to");
    dg_status st = check_table(table, err);
    hb_blob_t *font = NULL;
    if (st == DG_OK)
        st = subset_font(table, &font, err);
    if (st == DG_OK)
        st = run_mupdf(table, font, path, pages, err);
    hb_blob_destroy(font);
    /* Every message names the file (a write error does already). */
    return st == DG_OK || st == DG_ERR_IO ? st : dg_error_prefix(err, "%s: ", path);
}

/* ---- a record's pages as a PDF ------------------------------------------------------- */

/* One page per image, A4 wide (595 pt) and as tall as the image's proportions. Throws. */
static void print_image_page(fz_context *ctx, fz_document_writer *wri, const dg_pdf_image *im)
{
    fz_buffer *buf = NULL;
    fz_image *img = NULL;
    fz_var(buf);
    fz_var(img);
    fz_try(ctx) {
        buf = fz_new_buffer_from_copied_data(ctx, im->data, im->len);
        img = fz_new_image_from_buffer(ctx, buf);
        float w = 595.0f, h = img->w > 0 ? w * (float)img->h / (float)img->w : w;
        fz_device *dev = fz_begin_page(ctx, wri, fz_make_rect(0, 0, w, h));
        fz_fill_image(ctx, dev, img, fz_make_matrix(w, 0, 0, h, 0, 0), 1.0f,
                      fz_default_color_params);
        fz_end_page(ctx, wri);
    }
    fz_always(ctx) {
        fz_drop_image(ctx, img);
        fz_drop_buffer(ctx, buf);
    }
    fz_catch(ctx)
        fz_rethrow(ctx);
}

dg_status dg_pdf_images(const dg_pdf_image *images, size_t n, const char *path, dg_error *err)
{
    if (!path || !*path)
        return dg_error_set(err, DG_ERR_USAGE, "PDF: no file to write to");
    if (n == 0)
        return dg_error_set(err, DG_ERR_USAGE, "%s: no page images to put in the PDF", path);
    fz_context *ctx = fz_new_context(NULL, NULL, FZ_STORE_DEFAULT);
    if (!ctx)
        return dg_error_set(err, DG_ERR_NOMEM, "MuPDF could not start: out of memory");
    fz_set_warning_callback(ctx, ignore_message, NULL);
    fz_set_error_callback(ctx, ignore_message, NULL);
    fz_buffer *pdf = NULL;
    fz_document_writer *wri = NULL;
    dg_status st = DG_OK;
    fz_var(pdf);
    fz_var(wri);
    fz_try(ctx) {
        pdf = fz_new_buffer(ctx, 256 * 1024);
        wri = fz_new_pdf_writer_with_output(ctx, fz_new_output_with_buffer(ctx, pdf), "compress");
        for (size_t i = 0; i < n; i++)
            print_image_page(ctx, wri, &images[i]);
        fz_close_document_writer(ctx, wri);
    }
    fz_always(ctx)
        fz_drop_document_writer(ctx, wri);
    fz_catch(ctx)
        st = dg_error_set(err, DG_ERR_BAD_INPUT, "%s: MuPDF: %s", path, fz_caught_message(ctx));
    if (st == DG_OK) {
        unsigned char *data = NULL;
        size_t len = fz_buffer_storage(ctx, pdf, &data);
        st = write_file(path, data, len, err);
    }
    fz_drop_buffer(ctx, pdf);
    fz_drop_context(ctx);
    return st;
}
