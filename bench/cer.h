/*
 * cer.h — the character error rate by which dangan's OCR is judged, shared by the OCR
 * tests (tests/unit/fixtures.h) and the OCR benchmarks (bench/ingest.c, bench/ocr_choice.c),
 * so all of them measure the same thing: the Levenshtein distance between the code points
 * of the truth and of the text, whitespace (including U+3000) ignored, divided by the
 * length of the truth. Header-only: the tests and benches are single programs.
 */
#ifndef DG_BENCH_CER_H
#define DG_BENCH_CER_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The code points of s without whitespace, in a new array (NULL when out of memory); *n
 * gets their count. */
static inline uint32_t *cer_code_points(const char *s, size_t *n)
{
    uint32_t *out = malloc((strlen(s) + 1) * sizeof *out);
    const unsigned char *p = (const unsigned char *)s;
    *n = 0;
    while (out && *p) {
        size_t len = *p < 0x80 ? 1 : *p >= 0xF0 ? 4 : *p >= 0xE0 ? 3 : 2;
        uint32_t cp = len == 1 ? *p : *p & (0x3F >> (len - 1));
        for (size_t i = 1; i < len && p[i]; i++)
            cp = (cp << 6) | (p[i] & 0x3F);
        for (size_t i = 0; i < len && *p; i++)
            p++;
        if (cp != ' ' && cp != '\n' && cp != '\t' && cp != '\r' && cp != 0x3000 && cp != '\f')
            out[(*n)++] = cp;
    }
    return out;
}

/* The character error rate of text against truth (0.0 = exact; an empty truth gives 0 or
 * 1), or -1 when out of memory. */
static inline double cer(const char *truth, const char *text)
{
    size_t n, m;
    uint32_t *a = cer_code_points(truth, &n), *b = cer_code_points(text, &m);
    size_t *row = b ? malloc((m + 1) * sizeof *row) : NULL;
    double rate = -1;
    if (a && b && row) {
        for (size_t j = 0; j <= m; j++)
            row[j] = j;
        for (size_t i = 1; i <= n; i++) {
            size_t diagonal = row[0];
            row[0] = i;
            for (size_t j = 1; j <= m; j++) {
                size_t above = row[j], best = diagonal + (a[i - 1] != b[j - 1]);
                if (above + 1 < best)
                    best = above + 1;
                if (row[j - 1] + 1 < best)
                    best = row[j - 1] + 1;
                row[j] = best;
                diagonal = above;
            }
        }
        rate = n ? (double)row[m] / (double)n : (m ? 1.0 : 0.0);
    }
    free(a);
    free(b);
    free(row);
    return rate;
}

#endif
