/*
 * thesaurus_pairs.c — reading the shipped thesaurus's groups into pairs (thesaurus.h).
 */
#include "thesaurus.h"

#include <stdlib.h>
#include <string.h>

void dg_thesaurus_free(char **words, size_t n_pairs)
{
    if (!words)
        return;
    for (size_t i = 0; i < 2 * n_pairs; i++)
        free(words[i]);
    free(words);
}

static char *trimmed(const char *from, const char *to)
{
    while (from < to && (*from == ' ' || *from == '\t' || *from == '\r'))
        from++;
    while (to > from && (to[-1] == ' ' || to[-1] == '\t' || to[-1] == '\r'))
        to--;
    return strndup(from, (size_t)(to - from));
}

/* The words of one line, in order; *n receives their number. */
static char **line_words(const char *line, const char *end, size_t *n)
{
    size_t cap = 1;
    for (const char *p = line; p < end; p++)
        cap += *p == '|';
    char **words = calloc(cap, sizeof *words);
    if (!words)
        return NULL;
    *n = 0;
    const char *start = line;
    for (const char *p = line; p <= end; p++) {
        if (p < end && *p != '|')
            continue;
        char *w = trimmed(start, p);
        if (!w) {
            for (size_t i = 0; i < *n; i++)
                free(words[i]);
            free(words);
            return NULL;
        }
        if (*w)
            words[(*n)++] = w;
        else
            free(w);
        start = p + 1;
    }
    return words;
}

dg_status dg_thesaurus_pairs(const char *text, size_t len, char ***out, size_t *n_pairs,
                             dg_error *err)
{
    *out = NULL;
    *n_pairs = 0;
    char **pairs = NULL;
    size_t count = 0, cap = 0, line_no = 0;
    const char *p = text, *stop = text + len;
    while (p < stop) {
        const char *nl = memchr(p, '\n', (size_t)(stop - p));
        const char *end = nl ? nl : stop;
        line_no++;
        const char *first = p;
        while (first < end && (*first == ' ' || *first == '\t'))
            first++;
        if (first < end && *first != '#' && *first != '\r') {
            size_t n = 0;
            char **words = line_words(first, end, &n);
            if (!words) {
                dg_thesaurus_free(pairs, count);
                return dg_error_set(err, DG_ERR_NOMEM, "thesaurus: out of memory");
            }
            if (n < 2) {
                for (size_t i = 0; i < n; i++)
                    free(words[i]);
                free(words);
                dg_thesaurus_free(pairs, count);
                return dg_error_set(err, DG_ERR_USAGE,
                                    "thesaurus line %zu: a group needs two words or more",
                                    line_no);
            }
            for (size_t i = 0; i < n; i++) {
                for (size_t j = i + 1; j < n; j++) {
                    if (count == cap) {
                        size_t ncap = cap ? 2 * cap : 256;
                        char **bigger = realloc(pairs, 2 * ncap * sizeof *pairs);
                        if (!bigger) {
                            for (size_t k = 0; k < n; k++)
                                free(words[k]);
                            free(words);
                            dg_thesaurus_free(pairs, count);
                            return dg_error_set(err, DG_ERR_NOMEM, "thesaurus: out of memory");
                        }
                        pairs = bigger;
                        cap = ncap;
                    }
                    pairs[2 * count] = strdup(words[i]);
                    pairs[2 * count + 1] = strdup(words[j]);
                    count++;
                    if (!pairs[2 * count - 2] || !pairs[2 * count - 1]) {
                        for (size_t k = 0; k < n; k++)
                            free(words[k]);
                        free(words);
                        dg_thesaurus_free(pairs, count);
                        return dg_error_set(err, DG_ERR_NOMEM, "thesaurus: out of memory");
                    }
                }
            }
            for (size_t i = 0; i < n; i++)
                free(words[i]);
            free(words);
        }
        p = nl ? nl + 1 : stop;
    }
    *out = pairs;
    *n_pairs = count;
    return DG_OK;
}
