/*
 * undated.h — the records waiting for their year: filed under a provisional code because
 * no date was found in them and none was given (refcode.h), until an archivist confirms
 * the year with dg_record_edit (--year or --date), which gives them their final code.
 */
#ifndef DG_UNDATED_H
#define DG_UNDATED_H

#include <stddef.h>

#include "../base/status.h"
#include "user.h"

typedef struct dg_archive dg_archive;

typedef struct dg_undated_record {
    char *refcode, *title, *category, *source_file, *created_at;
    int level;
} dg_undated_record;

/*
 * Lists the live provisional records the actor may see, oldest first, and logs the
 * listing ("undated", with the count). Free with dg_undated_free().
 */
dg_status dg_undated_list(dg_archive *archive, const dg_actor *actor, dg_undated_record **out,
                          size_t *count, dg_error *err);
void dg_undated_free(dg_undated_record *records, size_t count);

#endif
