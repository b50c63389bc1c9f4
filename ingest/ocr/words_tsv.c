/*
 * words_tsv.c — word boxes as text and back (dg_ocr_words_to_tsv, dg_ocr_words_from_tsv):
 * one word a line, "x y w h confidence word" tab-separated, the form in which ingest
 * stores a page's word boxes (ingest.c).
 */
#include "ocr_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

dg_status dg_ocr_words_to_tsv(const dg_ocr_result *result, char **out, size_t *out_len,
                              dg_error *err)
{
    *out = NULL;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return dg_error_set(err, DG_ERR_NOMEM, "OCR: out of memory");
    for (size_t i = 0; i < result->word_count; i++) {
        const dg_ocr_word *w = &result->words[i];
        fprintf(f, "%d\t%d\t%d\t%d\t%d\t", w->x, w->y, w->w, w->h, w->confidence);
        for (const char *s = w->text; *s; s++)
            fputc(*s == '\t' || *s == '\n' || *s == '\r' ? ' ' : *s, f);
        fputc('\n', f);
    }
    if (fclose(f) != 0) {
        free(buf);
        return dg_error_set(err, DG_ERR_NOMEM, "OCR: out of memory");
    }
    *out = buf;
    if (out_len)
        *out_len = len;
    return DG_OK;
}

static int parse_word(const char *line, size_t len, dg_ocr_word *w)
{
    int text_at = -1;
    char *copy = strndup(line, len);
    if (!copy)
        return -1;
    int fields = sscanf(copy, "%d\t%d\t%d\t%d\t%d\t%n", &w->x, &w->y, &w->w, &w->h,
                        &w->confidence, &text_at);
    if (fields != 5 || text_at < 0) {
        free(copy);
        return -1;
    }
    w->text = strdup(copy + text_at);
    free(copy);
    return w->text ? 0 : -1;
}

dg_status dg_ocr_words_from_tsv(const char *tsv, dg_ocr_word **out, size_t *count,
                                dg_error *err)
{
    *out = NULL;
    *count = 0;
    size_t lines = 0;
    for (const char *s = tsv; *s; s++)
        lines += *s == '\n';
    dg_ocr_word *words = calloc(lines + 1, sizeof *words);
    if (!words)
        return dg_error_set(err, DG_ERR_NOMEM, "OCR: out of memory");
    size_t n = 0;
    for (const char *line = tsv; *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        if (parse_word(line, len, &words[n]) != 0) {
            dg_ocr_words_free(words, n);
            return dg_error_set(err, DG_ERR_CORRUPT, "word boxes: line %zu is malformed", n + 1);
        }
        n++;
        line += len + (end ? 1 : 0);
    }
    *out = words;
    *count = n;
    return DG_OK;
}
