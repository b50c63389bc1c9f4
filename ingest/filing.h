/*
 * filing.h — deciding how an ingested record is filed: its metadata and its category.
 *
 * For each record ingest has read, a filer combines, in this order of precedence:
 * the manifest row's values (the archivist's word), an office document's own properties
 * (its title; its creation date only when the text names no date: the date a file was
 * made is often not the date of the document it holds), what extract.h reads from the text
 * (date, document number, title, department, secrecy mark), and what the classifier
 * (classify.h) decides (category, record type, with a confidence). A row that gives a
 * category but no type gets no type (the category's default period) and a confidence of 0,
 * which puts it in the review queue: the classifier never completes an archivist's answer.
 * A secrecy mark raises the access level (秘密 to 3, 机密 and 绝密 to 4) above the
 * category's default. The retention period then follows from the schedule, in the engine,
 * when the record is filed.
 *
 * A filer is opened and closed by the thread that files; its prepare calls may run on
 * several threads at once (ingest's workers): they share only the classifier, whose folding
 * one of them does at a time (the filer's own lock) and whose decision they make at once.
 */
#ifndef DG_FILING_H
#define DG_FILING_H

#include "../engine/archive.h"
#include "../engine/record.h"
#include "manifest.h"
#include "office.h"

typedef struct dg_filer dg_filer;

/*
 * Opens a filer for the archive as the actor (archivist or admin): the archive's classifier
 * (learn.h), that is what its archivists have taught it, else the starter model.
 */
dg_status dg_filer_open(dg_archive *archive, const dg_actor *actor, dg_filer **out,
                        dg_error *err);
void dg_filer_close(dg_filer *filer);

/* The decided metadata; input's strings point into the buffers here. */
typedef struct dg_filing {
    dg_record_input input;
    char title[512], date[512], doc_number[512], department[512], secrecy[512];
    char category[32], type[32];
    /* The secrecy mark (秘密, 机密, 绝密) that raised input.level, or NULL when no mark
     * raised it: what ingest tells the archivist when the level is above their clearance. */
    const char *level_mark;
} dg_filing;

/*
 * Decides the filing of a record whose whole text is text (may be empty), named name (its
 * first file), with row the manifest row or NULL. Only input's metadata fields are set;
 * pages, text and sources are the caller's.
 */
dg_status dg_filer_prepare(dg_filer *filer, const char *text, const char *name,
                           const dg_manifest_row *row, dg_filing *out, dg_error *err);

/* Like dg_filer_prepare() for an office document with its own properties (NULL: none). */
dg_status dg_filer_prepare_document(dg_filer *filer, const char *text, const char *name,
                                    const dg_manifest_row *row, const dg_office_props *props,
                                    dg_filing *out, dg_error *err);

/* Like dg_filer_prepare_document(), also handing back in *folded (malloc'd, NULL on failure)
 * the text as the index folds it, which the classifier made anyway: the caller passes it to
 * dg_record_add as dg_record_input.folded_text, so the index does not fold it again. */
dg_status dg_filer_prepare_folding(dg_filer *filer, const char *text, const char *name,
                                   const dg_manifest_row *row, const dg_office_props *props,
                                   dg_filing *out, char **folded, dg_error *err);

#endif
