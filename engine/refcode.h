/*
 * refcode.h — archive reference codes (档号), after DA/T 22-2015.
 *
 *     <fonds>-<category>·<year>-<period>[-<department>]-<item>
 *     X001-CW·2024-D30-CWC-0007      X001-CW·2024-D30-0007
 *
 * Levels are joined by '-', codes within a level by '·' (U+00B7). The item number counts
 * up from 1 within fonds, category, year, period and department, is zero-padded to four
 * digits, and is never reused, not even after the record is destroyed: the counters only
 * grow, inside the same transaction that files the record.
 *
 * A record whose year is not known (no date was found in it, none was given) is never
 * filed under a guessed year: it gets a provisional code with 待定 ("to be decided") in
 * place of the year, from its own series (year 0 in the counters), e.g.
 *
 *     X001-WS·待定-D10-0003
 *
 * It cannot collide with a real code (those always have four digits there), and every
 * command that takes a code takes it. When an archivist confirms the year (an edit giving
 * --year or --date), the record gets the next code of that year's series; the provisional
 * code stays its alias for ever (catalog table refcode_aliases) and still finds it.
 */
#ifndef DG_REFCODE_H
#define DG_REFCODE_H

#include <sqlite3.h>

#include "../base/status.h"
#include "catalog.h"

#define DG_REFCODE_MAX 96
#define DG_REFCODE_PENDING "\xE5\xBE\x85\xE5\xAE\x9A" /* 待定, the year of a provisional code */

typedef struct dg_refcode_parts {
    char fonds[32];
    char category[32];
    int year;
    char period[32];
    char department[32]; /* empty when the archive does not file by department */
    int item;
} dg_refcode_parts;

/* Writes the code for parts into out. */
dg_status dg_refcode_format(const dg_refcode_parts *parts, char out[DG_REFCODE_MAX],
                            dg_error *err);

/* Whether code is a provisional one (待定 in place of the year). */
int dg_refcode_is_provisional(const char *code);

/* Parses a code (a provisional one gives year 0); a malformed one is DG_ERR_USAGE naming what is wrong. */
dg_status dg_refcode_parse(const char *text, dg_refcode_parts *out, dg_error *err);

/*
 * Writes text with every look-alike of the middle dot that people type ('.', '．', '・',
 * '•', '‧', '∙', '⋅', '。') replaced by '·', and surrounding blanks removed: the form
 * codes are stored in. Every lookup of a typed code goes through it, so
 * X001-CW.2023-D30-0001 finds X001-CW·2023-D30-0001. A code too long is cut (and then
 * found nowhere).
 */
void dg_refcode_normalize(const char *text, char out[DG_REFCODE_MAX]);

/* Whether a department code is acceptable (1-8 capital letters or digits). */
int dg_department_code_valid(const char *code);

/*
 * Takes the next item number for parts' fonds/category/year/period/department and stores
 * it in parts->item. Must run inside the caller's write transaction (engine-internal).
 * cache: the handle's kept statements (catalog.h), or NULL to compile it for this call.
 */
dg_status dg_refcode_allocate(sqlite3 *db, dg_stmt_cache *cache, dg_refcode_parts *parts,
                              dg_error *err);

#endif
