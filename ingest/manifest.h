/*
 * manifest.h — the CSV manifest of an ingest batch: one row per record.
 *
 * The first row names the columns; `files` is required, the rest optional:
 *
 *   files       the record's page files in order, separated by ';', relative to the
 *               batch folder (e.g. "2024-03/minutes-p1.tif;2024-03/minutes-p2.tif")
 *   title, date (YYYY-MM-DD), doc_number, department, dept_code, category, type,
 *   level (0-4 or a name), period (Y, D30, D10, 永久, 长期, 短期), location, secrecy,
 *   subject     the person whose file it is (当事人: a login, or a name with an optional
 *               "(ID)"), which closes a personnel file to them and their relatives (loan.h)
 *
 * Values given here win over what dangan extracts from the text. Every problem names its
 * row and field ("manifest.csv: row 4, date: '2024-13-01' is not a date"); a bad row is
 * reported and skipped, the other rows go on.
 */
#ifndef DG_MANIFEST_H
#define DG_MANIFEST_H

#include <stddef.h>

#include "../base/status.h"
#include "textenc.h"

typedef struct dg_manifest_row {
    int line;          /* row number in the file (header is row 1) */
    char **files;      /* relative paths, in page order */
    size_t n_files;
    char *title, *date, *doc_number, *department, *dept_code, *category, *type;
    char *level, *period, *location, *secrecy, *subject;
    char *error;       /* non-NULL: the row is unusable, and this says why */
} dg_manifest_row;

typedef struct dg_manifest {
    dg_manifest_row *rows;
    size_t n_rows;
} dg_manifest;

/*
 * Parses the manifest file's bytes, named name. The whole file is first decoded to UTF-8
 * (textenc.h: enc, or detected when DG_ENC_AUTO), so a manifest Excel saved as GBK "CSV"
 * or as "Unicode text" (UTF-16LE) reads like a UTF-8 one; a file that cannot be decoded is
 * DG_ERR_BAD_INPUT naming the row, column and encoding tried. Fields are separated by
 * commas, or by tabs when the header row has tabs and no commas (Excel's "Unicode text"
 * and "Text (tab delimited)"). A file-level problem (no header, no `files` column, unknown
 * column) is DG_ERR_BAD_INPUT; row-level problems are kept in each row's error so the rest
 * of the batch can go on.
 */
dg_status dg_manifest_parse_encoded(const void *data, size_t len, dg_text_encoding enc,
                                    const char *name, dg_manifest **out, dg_error *err);

/* dg_manifest_parse_encoded() with the encoding detected. */
dg_status dg_manifest_parse(const char *text, size_t len, const char *name, dg_manifest **out,
                            dg_error *err);
void dg_manifest_free(dg_manifest *manifest);

#endif
