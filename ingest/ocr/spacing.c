/*
 * spacing.c — which spaces in OCR text are noise: Tesseract puts a space between every two
 * words, and between CJK characters that space is not on the paper
 * (dg_ocr_remove_cjk_spaces; ocr_space_is_noise for the page's text, recognise.c).
 */
#include "ocr_internal.h"

#include <stdlib.h>
#include <string.h>

#include "../../base/utf8.h"

/* A character of the CJK blocks, written without spaces between words: radicals, CJK
 * punctuation, kana, Han, Hangul, vertical and full-width forms. Broader than a Han
 * character (base/chars.h): a space next to any of these is OCR's, not the paper's. */
static int is_cjk(uint32_t cp)
{
    return (cp >= 0x2E80 && cp <= 0x9FFF) ||   /* radicals, CJK punctuation, kana, Han */
           (cp >= 0xAC00 && cp <= 0xD7AF) ||   /* Hangul */
           (cp >= 0xF900 && cp <= 0xFAFF) ||   /* compatibility ideographs */
           (cp >= 0xFE30 && cp <= 0xFE4F) ||   /* vertical forms */
           (cp >= 0xFF00 && cp <= 0xFFEF) ||   /* full-width forms */
           (cp >= 0x20000 && cp <= 0x3FFFF);   /* Han extensions */
}

/* A letter of an alphabetic script: a space between it and CJK separates words. */
int ocr_is_word_letter(uint32_t cp)
{
    return (cp >= 'A' && cp <= 'Z') || (cp >= 'a' && cp <= 'z') ||
           (cp >= 0xC0 && cp < 0x2000 && cp != 0xD7 && cp != 0xF7);
}

/* A space run between before and after is dropped when it only separates CJK from CJK,
 * a digit or punctuation. */
int ocr_space_is_noise(uint32_t before, uint32_t after)
{
    if (is_cjk(before))
        return !ocr_is_word_letter(after);
    if (is_cjk(after))
        return !ocr_is_word_letter(before);
    return 0;
}

char *dg_ocr_remove_cjk_spaces(const char *text)
{
    size_t len = strlen(text);
    char *out = malloc(len + 1);
    if (!out)
        return NULL;
    size_t o = 0, i = 0;
    uint32_t before = '\n';
    while (i < len) {
        if (text[i] == ' ') {
            size_t run = i;
            while (run < len && text[run] == ' ')
                run++;
            uint32_t after = '\n';
            if (run < len)
                dg_utf8_next(text + run, len - run, &after);
            if (!ocr_space_is_noise(before, after)) {
                memcpy(out + o, text + i, run - i);
                o += run - i;
            }
            i = run;
            continue;
        }
        size_t n = dg_utf8_next(text + i, len - i, &before);
        memcpy(out + o, text + i, n);
        o += n;
        i += n;
    }
    out[o] = '\0';
    return out;
}
