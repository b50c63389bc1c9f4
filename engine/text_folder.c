/*
 * text_folder.c — engine's door to the index's folder: the layer rule lets ingest and
 * retention reach index/ only through engine, so the type is engine's and the work is the
 * index's.
 */
#include "text_folder.h"

#include <stdlib.h>

#include "../index/index.h"

struct dg_text_folder {
    dg_index_folder *index;
};

dg_status dg_text_folder_open(dg_text_folder **out, dg_error *err)
{
    *out = NULL;
    dg_text_folder *f = calloc(1, sizeof *f);
    if (!f)
        return dg_error_set(err, DG_ERR_NOMEM, "text folder: out of memory");
    dg_status st = dg_index_folder_open(&f->index, err);
    if (st != DG_OK) {
        free(f);
        return st;
    }
    *out = f;
    return DG_OK;
}

dg_status dg_text_folder_fold(dg_text_folder *folder, const char *text, size_t len, char **out,
                              dg_error *err)
{
    return dg_index_fold(folder->index, text, len, out, err);
}

void dg_text_folder_close(dg_text_folder *folder)
{
    if (!folder)
        return;
    dg_index_folder_close(folder->index);
    free(folder);
}
