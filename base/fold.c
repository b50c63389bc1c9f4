/*
 * fold.c — width folding by hand (a fixed table of code points), script folding by OpenCC.
 */
#include "fold.h"

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

/*
 * Full-width forms are three UTF-8 bytes: U+FF01..U+FF5E is EF BC 81..EF BD 9E and maps
 * to U+0021..U+007E; U+3000 (ideographic space) is E3 80 80. Folding only shrinks text,
 * so the output fits in len + 1 bytes.
 */
char *dg_fold_width(const char *text, size_t len)
{
    char *out = malloc(len + 1);
    if (!out)
        return NULL;
    const unsigned char *in = (const unsigned char *)text;
    size_t i = 0, o = 0;
    while (i < len) {
        if (i + 2 < len && in[i] == 0xEF && (in[i + 1] == 0xBC || in[i + 1] == 0xBD)) {
            unsigned cp = 0xFF00u + ((in[i + 1] & 0x03u) << 6) + (in[i + 2] & 0x3Fu);
            if (cp >= 0xFF01 && cp <= 0xFF5E) {
                out[o++] = (char)(cp - 0xFF01 + 0x21);
                i += 3;
                continue;
            }
        }
        if (i + 2 < len && in[i] == 0xE3 && in[i + 1] == 0x80 && in[i + 2] == 0x80) {
            out[o++] = ' ';
            i += 3;
            continue;
        }
        out[o++] = (char)in[i++];
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
