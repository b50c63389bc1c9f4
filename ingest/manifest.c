/*
 * manifest.c — RFC 4180 CSV parsing and per-row checks of an ingest manifest.
 */
#include "manifest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../engine/vocab.h"

enum {
    COL_FILES, COL_TITLE, COL_DATE, COL_DOC_NUMBER, COL_DEPARTMENT, COL_DEPT_CODE,
    COL_CATEGORY, COL_TYPE, COL_LEVEL, COL_PERIOD, COL_LOCATION, COL_SECRECY, COL_SUBJECT, COL_COUNT
};

static const char *const COLUMN_NAMES[COL_COUNT] = {
    "files", "title", "date", "doc_number", "department", "dept_code",
    "category", "type", "level", "period", "location", "secrecy", "subject"};

/* A parsed CSV record: its fields as strings. */
typedef struct csv_record {
    char **fields;
    size_t n;
} csv_record;

static void csv_record_free(csv_record *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->fields[i]);
    free(r->fields);
    r->fields = NULL;
    r->n = 0;
}

static int csv_push(csv_record *r, const char *start, size_t len)
{
    char **grown = realloc(r->fields, (r->n + 1) * sizeof *grown);
    if (!grown)
        return 0;
    r->fields = grown;
    char *field = malloc(len + 1);
    if (!field)
        return 0;
    memcpy(field, start, len);
    field[len] = '\0';
    r->fields[r->n++] = field;
    return 1;
}

/*
 * Reads one CSV record starting at *pos. Quoted fields may hold commas, newlines and
 * doubled quotes. Returns 0 at the end of input, -1 on error (unterminated quote), 1 with
 * a record.
 */
static int csv_next(const char *text, size_t len, char sep, size_t *pos, csv_record *out)
{
    if (*pos >= len)
        return 0;
    size_t i = *pos;
    char *buf = malloc(len - i + 1);
    if (!buf)
        return -1;
    for (;;) {
        size_t n = 0;
        if (i < len && text[i] == '"') {
            i++;
            for (;;) {
                if (i >= len) {
                    free(buf);
                    return -1;
                }
                if (text[i] == '"' && i + 1 < len && text[i + 1] == '"') {
                    buf[n++] = '"';
                    i += 2;
                } else if (text[i] == '"') {
                    i++;
                    break;
                } else {
                    buf[n++] = text[i++];
                }
            }
        }
        while (i < len && text[i] != sep && text[i] != '\n' && text[i] != '\r')
            buf[n++] = text[i++];
        if (!csv_push(out, buf, n)) {
            free(buf);
            return -1;
        }
        if (i < len && text[i] == sep) {
            i++;
            continue;
        }
        if (i < len && text[i] == '\r')
            i++;
        if (i < len && text[i] == '\n')
            i++;
        break;
    }
    free(buf);
    *pos = i;
    return 1;
}

static char *trimmed_copy(const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t len = strlen(s);
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;
    if (len == 0)
        return NULL;
    char *out = malloc(len + 1);
    if (out) {
        memcpy(out, s, len);
        out[len] = '\0';
    }
    return out;
}

static int column_of(const char *name)
{
    for (int c = 0; c < COL_COUNT; c++)
        if (!strcmp(name, COLUMN_NAMES[c]))
            return c;
    return -1;
}

static dg_status map_header(const csv_record *header, const char *name, int *map, dg_error *err)
{
    int has_files = 0;
    for (size_t i = 0; i < header->n; i++) {
        char *col = trimmed_copy(header->fields[i]);
        int c = col ? column_of(col) : -1;
        if (c < 0) {
            dg_status st = dg_error_set(err, DG_ERR_BAD_INPUT,
                                        "%s: row 1: unknown column '%s' (known: files, title, "
                                        "date, doc_number, department, dept_code, category, "
                                        "type, level, period, location, secrecy, subject)",
                                        name, col ? col : "");
            free(col);
            return st;
        }
        free(col);
        map[i] = c;
        has_files |= c == COL_FILES;
    }
    if (!has_files)
        return dg_error_set(err, DG_ERR_BAD_INPUT, "%s: row 1: no 'files' column", name);
    return DG_OK;
}

static void row_error(dg_manifest_row *row, const char *name, const char *fmt, const char *field,
                      const char *value)
{
    if (row->error)
        return;
    char msg[1024];
    int n = snprintf(msg, sizeof msg, "%s: row %d, %s: ", name, row->line, field);
    if (n > 0 && (size_t)n < sizeof msg)
        snprintf(msg + n, sizeof msg - (size_t)n, fmt, value);
    row->error = strdup(msg);
}

/* A page path must stay inside the batch folder. */
static int path_is_inside(const char *path)
{
    if (path[0] == '/')
        return 0;
    const char *p = path;
    while (*p) {
        size_t seg = strcspn(p, "/");
        if (seg == 2 && p[0] == '.' && p[1] == '.')
            return 0;
        p += seg;
        if (*p == '/')
            p++;
    }
    return 1;
}

static void split_files(dg_manifest_row *row, const char *value, const char *name)
{
    const char *p = value;
    while (p && *p) {
        size_t len = strcspn(p, ";");
        char *part = malloc(len + 1);
        if (!part)
            return;
        memcpy(part, p, len);
        part[len] = '\0';
        char *file = trimmed_copy(part);
        free(part);
        if (file) {
            if (!path_is_inside(file))
                row_error(row, name, "'%s' is outside the batch folder", "files", file);
            char **grown = realloc(row->files, (row->n_files + 1) * sizeof *grown);
            if (!grown) {
                free(file);
                return;
            }
            row->files = grown;
            row->files[row->n_files++] = file;
        }
        p += len;
        if (*p == ';')
            p++;
    }
    if (row->n_files == 0)
        row_error(row, name, "%sno files given", "files", "");
}

static char **field_slot(dg_manifest_row *row, int col)
{
    switch (col) {
    case COL_TITLE: return &row->title;
    case COL_DATE: return &row->date;
    case COL_DOC_NUMBER: return &row->doc_number;
    case COL_DEPARTMENT: return &row->department;
    case COL_DEPT_CODE: return &row->dept_code;
    case COL_CATEGORY: return &row->category;
    case COL_TYPE: return &row->type;
    case COL_LEVEL: return &row->level;
    case COL_PERIOD: return &row->period;
    case COL_LOCATION: return &row->location;
    case COL_SECRECY: return &row->secrecy;
    case COL_SUBJECT: return &row->subject;
    }
    return NULL;
}

/* Checks the values dangan must understand; the message names the row and field. */
static void validate_row(dg_manifest_row *row, const char *name)
{
    dg_category cat;
    dg_period period;
    int level;
    if (row->date && !dg_date_valid(row->date))
        row_error(row, name, "'%s' is not a date (YYYY-MM-DD)", "date", row->date);
    if (row->category && dg_category_parse(row->category, &cat, NULL) != DG_OK)
        row_error(row, name, "unknown category '%s'", "category", row->category);
    if (row->period && dg_period_parse(row->period, &period, NULL) != DG_OK)
        row_error(row, name, "unknown retention period '%s'", "period", row->period);
    if (row->level && dg_level_parse(row->level, &level, NULL) != DG_OK)
        row_error(row, name, "unknown access level '%s'", "level", row->level);
}

static void fill_row(dg_manifest_row *row, const csv_record *rec, const int *map, size_t n_cols,
                     const char *name)
{
    if (rec->n != n_cols) {
        char count[32];
        snprintf(count, sizeof count, "%zu", rec->n);
        row_error(row, name, "has %s fields, the header has a different number", "fields", count);
    }
    for (size_t i = 0; i < rec->n && i < n_cols; i++) {
        if (map[i] == COL_FILES) {
            split_files(row, rec->fields[i], name);
            continue;
        }
        char **slot = field_slot(row, map[i]);
        if (slot) {
            free(*slot);
            *slot = trimmed_copy(rec->fields[i]);
        }
    }
    if (!row->n_files)
        row_error(row, name, "%sno files given", "files", "");
    validate_row(row, name);
}

static int record_is_blank(const csv_record *rec)
{
    for (size_t i = 0; i < rec->n; i++)
        if (rec->fields[i][strspn(rec->fields[i], " \t")])
            return 0;
    return 1;
}

static dg_status parse_rows(const char *text, size_t len, char sep, size_t pos,
                            const char *name, const int *map, size_t n_cols, dg_manifest *m,
                            dg_error *err)
{
    int line = 1;
    csv_record rec = {0};
    int rc;
    while ((rc = csv_next(text, len, sep, &pos, &rec)) == 1) {
        line++;
        if (record_is_blank(&rec)) {
            csv_record_free(&rec);
            continue;
        }
        dg_manifest_row *grown = realloc(m->rows, (m->n_rows + 1) * sizeof *grown);
        if (!grown) {
            csv_record_free(&rec);
            return dg_error_set(err, DG_ERR_NOMEM, "%s: out of memory", name);
        }
        m->rows = grown;
        dg_manifest_row *row = &m->rows[m->n_rows++];
        memset(row, 0, sizeof *row);
        row->line = line;
        fill_row(row, &rec, map, n_cols, name);
        csv_record_free(&rec);
    }
    csv_record_free(&rec);
    if (rc < 0)
        return dg_error_set(err, DG_ERR_BAD_INPUT, "%s: row %d: unterminated quoted field", name,
                            line + 1);
    return DG_OK;
}

/* Tabs separate the fields when the header row has tabs and no commas. */
static char separator_of(const char *text, size_t len)
{
    size_t line = strcspn(text, "\r\n");
    if (line > len)
        line = len;
    return memchr(text, '\t', line) && !memchr(text, ',', line) ? '\t' : ',';
}

static dg_status parse_utf8(const char *text, size_t len, const char *name, dg_manifest **out,
                            dg_error *err)
{
    *out = NULL;
    size_t pos = 0;
    char sep = separator_of(text, len);
    csv_record header = {0};
    if (csv_next(text, len, sep, &pos, &header) != 1 || header.n == 0) {
        csv_record_free(&header);
        return dg_error_set(err, DG_ERR_BAD_INPUT, "%s: empty manifest (no header row)", name);
    }
    int *map = calloc(header.n, sizeof *map);
    dg_manifest *m = calloc(1, sizeof *m);
    dg_status st = map && m ? map_header(&header, name, map, err)
                            : dg_error_set(err, DG_ERR_NOMEM, "%s: out of memory", name);
    if (st == DG_OK)
        st = parse_rows(text, len, sep, pos, name, map, header.n, m, err);
    csv_record_free(&header);
    free(map);
    if (st != DG_OK) {
        dg_manifest_free(m);
        return st;
    }
    *out = m;
    return DG_OK;
}

/* The ASCII character at data[i] (step bytes wide), or 0x100 for anything else. */
static unsigned ascii_at(const unsigned char *data, size_t i, dg_text_encoding enc)
{
    if (enc == DG_ENC_UTF16LE)
        return data[i + 1] ? 0x100 : data[i];
    if (enc == DG_ENC_UTF16BE)
        return data[i] ? 0x100 : data[i + 1];
    return data[i];
}

/*
 * Where in the raw file a decoding stopped, as a spreadsheet user counts: the row (1 is
 * the header) and the column, named from the header when it is plain ASCII (dangan's
 * column names are). Counted on the raw bytes: newlines and separators are ASCII in every
 * encoding dangan reads, and a quoted field holding them is rare enough not to matter here.
 */
static void locate_in_rows(const unsigned char *data, size_t len, size_t offset,
                           dg_text_encoding enc, int *row, int *col, char *col_name,
                           size_t name_size)
{
    size_t step = enc == DG_ENC_UTF16LE || enc == DG_ENC_UTF16BE ? 2 : 1;
    *row = 1;
    *col = 1;
    col_name[0] = '\0';
    for (size_t i = 0; i + step <= offset && i + step <= len; i += step) {
        unsigned c = ascii_at(data, i, enc);
        if (c == '\n')
            (*row)++, *col = 1;
        else if (c == ',' || c == '\t')
            (*col)++;
    }
    int at = 1;
    size_t used = 0;
    for (size_t i = 0; i + step <= len; i += step) {
        unsigned c = ascii_at(data, i, enc);
        if (c == '\n' || c == '\r')
            break;
        if (c == ',' || c == '\t') {
            if (++at > *col)
                break;
            continue;
        }
        if (at == *col && c > ' ' && c < 0x7F && c != '"' && used + 1 < name_size)
            col_name[used++] = (char)c, col_name[used] = '\0';
    }
}

dg_status dg_manifest_parse_encoded(const void *data, size_t len, dg_text_encoding enc,
                                    const char *name, dg_manifest **out, dg_error *err)
{
    *out = NULL;
    dg_decoded_text decoded;
    dg_error why;
    dg_status st = dg_text_decode(data, len, enc, name, &decoded, &why);
    if (st == DG_ERR_BAD_INPUT && !decoded.not_text) {
        int row, col;
        char col_name[32];
        locate_in_rows(data, len, decoded.bad_offset, decoded.encoding, &row, &col, col_name,
                       sizeof col_name);
        return dg_error_set(err, st,
                            "%s: row %d, column %d%s%s%s: not valid %s text (byte %zu); the "
                            "manifest's encoding %s: give it with --encoding gbk|gb18030|big5|"
                            "utf-16|utf-8",
                            name, row, col, col_name[0] ? " (" : "", col_name,
                            col_name[0] ? ")" : "", dg_text_encoding_name(decoded.encoding),
                            decoded.bad_offset,
                            enc == DG_ENC_AUTO ? "could not be told" : "is not the one given");
    }
    if (st != DG_OK) {
        *err = why;
        return st;
    }
    st = parse_utf8(decoded.text, decoded.len, name, out, err);
    free(decoded.text);
    return st;
}

dg_status dg_manifest_parse(const char *text, size_t len, const char *name, dg_manifest **out,
                            dg_error *err)
{
    return dg_manifest_parse_encoded(text, len, DG_ENC_AUTO, name, out, err);
}

void dg_manifest_free(dg_manifest *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n_rows; i++) {
        dg_manifest_row *r = &m->rows[i];
        for (size_t f = 0; f < r->n_files; f++)
            free(r->files[f]);
        free(r->files);
        char **fields[] = {&r->title, &r->date, &r->doc_number, &r->department, &r->dept_code,
                           &r->category, &r->type, &r->level, &r->period, &r->location,
                           &r->secrecy, &r->subject, &r->error};
        for (size_t k = 0; k < sizeof fields / sizeof fields[0]; k++)
            free(*fields[k]);
    }
    free(m->rows);
    free(m);
}
