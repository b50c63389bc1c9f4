/*
 * csv.c — RFC 4180 rows with formula neutralisation, for csv.h.
 */
#include "csv.h"

#include <string.h>

/* The first characters a spreadsheet treats as the start of a formula (OWASP, "CSV
 * Injection"): such a field is written with a leading single quote. */
static int starts_a_formula(const char *field)
{
    return *field && strchr("=+-@\t\r", *field) != NULL;
}

static void write_field(FILE *out, const char *field)
{
    fputc('"', out);
    if (starts_a_formula(field))
        fputc('\'', out);
    for (const char *p = field; *p; p++) {
        if (*p == '"')
            fputc('"', out);
        fputc(*p, out);
    }
    fputc('"', out);
}

void dg_csv_row(FILE *out, const char *const *fields, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        if (i)
            fputc(',', out);
        write_field(out, fields[i] ? fields[i] : "");
    }
    fputs("\r\n", out);
}

void dg_csv_header(FILE *out, const char *const *names, size_t count)
{
    fputs("\xEF\xBB\xBF", out);
    dg_csv_row(out, names, count);
}
