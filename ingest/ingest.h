/*
 * ingest.h — taking a batch of scanned or born-digital files into the archive.
 *
 * The archivist's daily work: a folder of page files (and optionally a CSV manifest that
 * groups files into records and gives their metadata) becomes records, each filed exactly
 * once. dg_ingest():
 *
 *   1. hashes every file; a file whose SHA-256 is already the source of a record the
 *      actor may see is a duplicate of that record (this is also what makes a rerun after
 *      kill -9 resume: everything filed before the crash is found by its hash and skipped);
 *      a record above the actor's clearance is never named nor counted: what the actor is
 *      told must not depend on whether it exists, so their copy is filed like any other;
 *   2. reads pages and OCRs them on `jobs` worker threads, one Tesseract engine each
 *      (OCR is where the time goes; everything else runs on the calling thread), each
 *      file decoded only once its expected memory fits in the batch's budget (budget.h);
 *   3. extracts metadata from the text and classifies the record (manifest values win),
 *      then files it through the engine, in input order, with its batch journal row in
 *      the same transaction;
 *   4. copies every file that cannot be taken in to quarantine/ with its reason; the rest
 *      of the batch goes on. That includes every file of a skipped manifest row, and a
 *      record the actor may not file (a secrecy mark or manifest level above their
 *      clearance: "an archivist with clearance 4 must ingest it"): a record is taken in
 *      whole or not at all, and no file ends up in two records.
 *
 * Files come as descriptors the caller opened (the server passes the client's), never as
 * paths this module opens. The archive handle is used only from the calling thread.
 */
#ifndef DG_INGEST_H
#define DG_INGEST_H

#include <stddef.h>
#include <stdint.h>

#include "../engine/archive.h"
#include "../engine/refcode.h"
#include "../engine/user.h"
#include "manifest.h"
#include "textenc.h"

typedef struct dg_ingest_file {
    int fd;            /* open for reading; -1 when the caller could not open it */
    const char *name;  /* path relative to the batch folder, as the manifest names it */
    const char *open_error; /* why the caller could not open it (fd == -1) */
} dg_ingest_file;

/* What becomes of a file that a batch's manifest does not list (no effect without one). */
typedef enum {
    DG_UNLISTED_QUARANTINE = 0, /* default: quarantined, "not listed in the manifest M" */
    DG_UNLISTED_SKIP,           /* reported as skipped; nothing filed, nothing kept */
    DG_UNLISTED_FILE,           /* filed as a record of its own, as without a manifest */
} dg_unlisted;

typedef struct dg_ingest_options {
    const char *label;    /* batch label, e.g. the folder's name */
    const char *lang;     /* Tesseract language to force, or NULL: dangan chooses per page */
    int jobs;             /* OCR worker threads; 0: the number of cores */
    const char *tessdata; /* NULL: $TESSDATA_PREFIX or Debian's default */
    const char *soffice;  /* LibreOffice for legacy and page views (office.h); NULL: PATH */
    dg_text_encoding encoding; /* of born-digital text files; DG_ENC_AUTO: detected */
    uint64_t memory;      /* bytes the workers' decoded pages may take together (budget.h);
                             0: the default, a sixteenth of the machine's memory */
    dg_unlisted unlisted; /* files the manifest does not list: only listed files are filed
                             unless the archivist says otherwise (fail closed) */
    const char *manifest_name; /* the manifest as the archivist named it, for reasons */
} dg_ingest_options;

/* What became of one record (or one file that could not become part of one). */
typedef struct dg_ingest_outcome {
    char *name;        /* the file (first file of a manifest record) */
    char *outcome;     /* "filed", "duplicate", "quarantined", "skipped" (a manifest row,
                        * or an unlisted file under DG_UNLISTED_SKIP) */
    char refcode[DG_REFCODE_MAX];
    char *title;       /* as filed */
    char *category;
    char *record_type; /* as classified or given, or NULL */
    char *reason;      /* why quarantined or skipped; on a filed record: why it is not
                        * searchable yet (its indexing failed; it stays queued) */
    int pages;
    double confidence; /* mean OCR confidence, -1 when nothing was OCR'd */
    double class_confidence; /* -1 when the category was given */
    char *lang;
} dg_ingest_outcome;

/*
 * Counts: filed and skipped count records and manifest rows; filed_files, duplicates and
 * quarantined count files, so that files == filed_files + duplicates + quarantined: every
 * file the batch held has exactly one fate. unlisted counts the files a manifest does not
 * list, whatever became of them; under DG_UNLISTED_SKIP they are the one fate outside the
 * sum (files == filed_files + duplicates + quarantined + unlisted), and are not journalled.
 */
typedef struct dg_ingest_report {
    int64_t batch_id;
    uint64_t files, filed, filed_files, duplicates, quarantined, skipped, unlisted, pages;
    double seconds;
    char *warning;     /* e.g. little free space for the batch, or NULL */
    dg_ingest_outcome *outcomes;
    size_t n_outcomes;
} dg_ingest_report;

/*
 * Ingests files (and, when manifest is not NULL, groups them by its rows) as actor.
 * Progress ("ingest", pages done, pages total) goes to the archive's progress handler.
 * Bad files never fail the call: they are in the report as quarantined. The call fails
 * only when the archive itself fails (catalog, store, index) or the actor may not ingest.
 * Free the report with dg_ingest_report_free().
 */
dg_status dg_ingest(dg_archive *archive, const dg_actor *actor, const dg_ingest_file *files,
                    size_t n_files, const dg_manifest *manifest, const dg_ingest_options *opts,
                    dg_ingest_report **out, dg_error *err);
void dg_ingest_report_free(dg_ingest_report *report);

/*
 * Silences Leptonica's own diagnostics on stderr (process-wide): a corrupt scan is
 * reported once, in dangan's words, not in three lines of library noise. Programs call it
 * once at start.
 */
void dg_ingest_quiet_libraries(void);

#endif
