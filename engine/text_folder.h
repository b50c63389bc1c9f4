/*
 * text_folder.h — folding text as the index folds it, for the layers above engine (ingest's
 * classifier), which reach the index only through engine. The same text as base/fold.h's
 * dg_fold in a fraction of the time (index.h's dg_index_folder says how). Opening reads
 * OpenCC's tables once (about 30 ms). Not shareable between threads.
 */
#ifndef DG_TEXT_FOLDER_H
#define DG_TEXT_FOLDER_H

#include <stddef.h>

#include "../base/status.h"

typedef struct dg_text_folder dg_text_folder;

dg_status dg_text_folder_open(dg_text_folder **out, dg_error *err);
/* *out: the folded text (malloc'd); text is read up to len or its first NUL. */
dg_status dg_text_folder_fold(dg_text_folder *folder, const char *text, size_t len, char **out,
                              dg_error *err);
void dg_text_folder_close(dg_text_folder *folder);

#endif
