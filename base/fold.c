/*
 * fold.c — width folding by hand (dg_fold_width_cp's table of code points), script folding
 * by OpenCC.
 */
#include "fold.h"

#include "utf8.h"

#include <opencc/opencc.h>
#include <stdlib.h>
#include <string.h>

struct dg_folder {
    opencc_t converter;
};

dg_status dg_folder_open(dg_folder **out, dg_error *err)
{
    *out = NULL;
    dg_folder *folder = calloc(1, sizeof *folder);
    if (!folder)
        return dg_error_set(err, DG_ERR_NOMEM, "text folding: out of memory");
    folder->converter = opencc_open("t2s.json");
    if (folder->converter == (opencc_t)-1) {
        free(folder);
        return dg_error_set(err, DG_ERR_IO, "text folding: cannot load OpenCC t2s.json: %s",
                            opencc_error());
    }
    *out = folder;
    return DG_OK;
}

void dg_folder_close(dg_folder *folder)
{
    if (!folder)
        return;
    opencc_close(folder->converter);
    free(folder);
}

uint32_t dg_fold_width_cp(uint32_t cp)
{
    if (cp >= 0xFF01 && cp <= 0xFF5E)
        return cp - 0xFF01 + 0x21;
    if (cp == 0x3000 || cp == 0xA0)
        return ' ';
    return cp;
}

/* Every fold ends in ASCII, one byte for a sequence of two or three: folding only shrinks
 * text, so the output fits in len + 1 bytes. */
char *dg_fold_width(const char *text, size_t len)
{
    char *out = malloc(len + 1);
    if (!out)
        return NULL;
    size_t i = 0, o = 0;
    while (i < len) {
        uint32_t cp = 0;
        size_t n = dg_utf8_decode(text + i, len - i, &cp);
        uint32_t folded = n ? dg_fold_width_cp(cp) : cp;
        if (n && folded != cp) {
            out[o++] = (char)folded;
        } else {
            n = n ? n : 1; /* a byte that is no UTF-8 passes through as it is */
            memcpy(out + o, text + i, n);
            o += n;
        }
        i += n;
    }
    out[o] = '\0';
    return out;
}

dg_status dg_fold(dg_folder *folder, const char *text, size_t len, char **out, dg_error *err)
{
    *out = NULL;
    char *narrow = dg_fold_width(text, len);
    if (!narrow)
        return dg_error_set(err, DG_ERR_NOMEM, "text folding: out of memory");
    if (narrow[0] == '\0') {
        *out = narrow;
        return DG_OK;
    }
    char *converted = opencc_convert_utf8(folder->converter, narrow, strlen(narrow));
    free(narrow);
    if (!converted)
        return dg_error_set(err, DG_ERR_INTERNAL, "text folding: OpenCC failed: %s",
                            opencc_error());
    /* OpenCC's buffer must go back through its own free; hand the caller a malloc'd copy. */
    *out = strdup(converted);
    opencc_convert_utf8_free(converted);
    if (!*out)
        return dg_error_set(err, DG_ERR_NOMEM, "text folding: out of memory");
    return DG_OK;
}
