/*
 * csv.h — the one CSV writer behind every --csv listing (log, register, retention).
 *
 * The files it writes open correctly in Excel on Chinese Windows, where a spreadsheet is
 * what an auditor reads them with: UTF-8 with a byte-order mark (without it Excel reads
 * GBK and shows mojibake), CRLF line ends, and RFC 4180 quoting (every field quoted, inner
 * quotes doubled, so commas and line breaks inside a field stay in it). A field that a
 * spreadsheet would run as a formula — one beginning with =, +, -, @, a tab or a carriage
 * return — gets a single quote in front, as OWASP recommends against CSV injection: a
 * staff member's title "=HYPERLINK(...)" reaches the auditor's sheet as text.
 */
#ifndef DG_CSV_H
#define DG_CSV_H

#include <stddef.h>
#include <stdio.h>

/* Writes the byte-order mark and the header row: call once, before any dg_csv_row. */
void dg_csv_header(FILE *out, const char *const *names, size_t count);

/* Writes one row of count fields (NULL is written as an empty field). */
void dg_csv_row(FILE *out, const char *const *fields, size_t count);

#endif
