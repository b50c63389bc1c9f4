/*
 * refcode.c — formatting, parsing and allocating archive reference codes.
 */
#include "refcode.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"

#define MIDDLE_DOT "\xC2\xB7" /* U+00B7, the same-level separator */

static int is_code_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

int dg_department_code_valid(const char *code)
{
    size_t len = strlen(code);
    if (len < 1 || len > 8)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (!is_code_char(code[i]))
            return 0;
    return 1;
}

dg_status dg_refcode_format(const dg_refcode_parts *p, char out[DG_REFCODE_MAX], dg_error *err)
{
    if (p->item < 1 || p->item > 9999)
        return dg_error_set(err, DG_ERR_STATE, "item number %d is outside 1-9999", p->item);
    if (p->year != 0 && (p->year < 1000 || p->year > 9999))
        return dg_error_set(err, DG_ERR_USAGE, "year %d is not a four-digit year", p->year);
    /* Year 0 is the provisional series: the level reads 待定, never a guessed year. */
    char year[16];
    if (p->year)
        snprintf(year, sizeof year, "%04d", p->year);
    else
        snprintf(year, sizeof year, "%s", DG_REFCODE_PENDING);
    int n;
    if (p->department[0])
        n = snprintf(out, DG_REFCODE_MAX, "%s-%s" MIDDLE_DOT "%s-%s-%s-%04d", p->fonds,
                     p->category, year, p->period, p->department, p->item);
    else
        n = snprintf(out, DG_REFCODE_MAX, "%s-%s" MIDDLE_DOT "%s-%s-%04d", p->fonds,
                     p->category, year, p->period, p->item);
    if (n < 0 || n >= DG_REFCODE_MAX)
        return dg_error_set(err, DG_ERR_USAGE, "reference code too long");
    return DG_OK;
}

/* Copies the next field up to a '-' into buf; returns the rest or NULL. */
static const char *next_field(const char *s, char *buf, size_t size)
{
    size_t len = strcspn(s, "-");
    if (len == 0 || len >= size)
        return NULL;
    memcpy(buf, s, len);
    buf[len] = '\0';
    return s[len] == '-' ? s + len + 1 : s + len;
}

static int parse_number(const char *text, int digits, int *out)
{
    if ((int)strlen(text) != digits)
        return 0;
    int value = 0;
    for (int i = 0; i < digits; i++) {
        if (text[i] < '0' || text[i] > '9')
            return 0;
        value = value * 10 + (text[i] - '0');
    }
    *out = value;
    return 1;
}

static dg_status malformed(const char *text, const char *why, dg_error *err)
{
    return dg_error_set(err, DG_ERR_USAGE,
                        "'%s' is not a reference code (%s; e.g. X001-CW" MIDDLE_DOT
                        "2024-D30-0007)",
                        text, why);
}

/* What people type for the middle dot: an ASCII or full-width full stop, the katakana
 * middle dot (Japanese and Chinese IMEs), bullets and operator dots. */
static const char *const DOT_LOOKALIKES[] = {
    ".", "\xEF\xBC\x8E" /* ． */, "\xE3\x83\xBB" /* ・ */, "\xEF\xBD\xA5" /* ･ */,
    "\xE2\x80\xA2" /* • */, "\xE2\x80\xA7" /* ‧ */, "\xE2\x88\x99" /* ∙ */,
    "\xE2\x8B\x85" /* ⋅ */, "\xE3\x80\x82" /* 。 */};

void dg_refcode_normalize(const char *text, char out[DG_REFCODE_MAX])
{
    while (*text == ' ' || *text == '\t')
        text++;
    size_t used = 0;
    while (*text && used + 3 < DG_REFCODE_MAX) {
        size_t len = 0;
        for (size_t i = 0; !len && i < sizeof DOT_LOOKALIKES / sizeof DOT_LOOKALIKES[0]; i++)
            if (!strncmp(text, DOT_LOOKALIKES[i], strlen(DOT_LOOKALIKES[i])))
                len = strlen(DOT_LOOKALIKES[i]);
        if (len) {
            memcpy(out + used, MIDDLE_DOT, 2);
            used += 2;
            text += len;
        } else {
            out[used++] = *text++;
        }
    }
    while (used > 0 && (out[used - 1] == ' ' || out[used - 1] == '\t'))
        used--;
    out[used] = '\0';
}

dg_status dg_refcode_parse(const char *text, dg_refcode_parts *out, dg_error *err)
{
    memset(out, 0, sizeof *out);
    char field[5][32]; /* 32 holds "<category>·待定" too */
    int n = 0;
    const char *rest = text;
    while (rest && *rest && n < 5)
        rest = next_field(rest, field[n++], sizeof field[0]);
    if (!rest || *rest || n < 4)
        return malformed(text, "wrong number of parts", err);
    /* Level two is "<category>·<year>"; accept '.' too since users type it. */
    char *dot = strstr(field[1], MIDDLE_DOT);
    size_t sep = 2;
    if (!dot) {
        dot = strchr(field[1], '.');
        sep = 1;
    }
    if (!dot)
        return malformed(text, "category and year must be joined by '" MIDDLE_DOT "'", err);
    *dot = '\0';
    if (strlen(field[0]) != 4 || strlen(field[1]) < 1 || strlen(field[1]) > 4)
        return malformed(text, "bad fonds or category", err);
    if (!strcmp(dot + sep, DG_REFCODE_PENDING))
        out->year = 0;
    else if (!parse_number(dot + sep, 4, &out->year) || out->year < 1000)
        return malformed(text, "year must have 4 digits, or be " DG_REFCODE_PENDING, err);
    if (strcmp(field[2], "Y") && strcmp(field[2], "D30") && strcmp(field[2], "D10"))
        return malformed(text, "period must be Y, D30 or D10", err);
    const char *item = field[n - 1];
    if (!parse_number(item, 4, &out->item) || out->item == 0)
        return malformed(text, "item must have 4 digits", err);
    if (n == 5 && !dg_department_code_valid(field[3]))
        return malformed(text, "bad department code", err);
    snprintf(out->fonds, sizeof out->fonds, "%s", field[0]);
    snprintf(out->category, sizeof out->category, "%s", field[1]);
    snprintf(out->period, sizeof out->period, "%s", field[2]);
    if (n == 5)
        snprintf(out->department, sizeof out->department, "%s", field[3]);
    return DG_OK;
}

static const char ALLOCATE_SQL[] =
    "INSERT INTO refcode_counters(fonds, category, year, period, department, last_item)"
    " VALUES(?1, ?2, ?3, ?4, ?5, 1)"
    " ON CONFLICT(fonds, category, year, period, department)"
    " DO UPDATE SET last_item = last_item + 1"
    " RETURNING last_item";

dg_status dg_refcode_allocate(sqlite3 *db, dg_stmt_cache *cache, dg_refcode_parts *parts,
                              dg_error *err)
{
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_take(cache, db, ALLOCATE_SQL, &stmt, err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_text(stmt, 1, parts->fonds, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, parts->category, -1, SQLITE_STATIC);
    sqlite3_bind_int(stmt, 3, parts->year);
    sqlite3_bind_text(stmt, 4, parts->period, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 5, parts->department, -1, SQLITE_STATIC);
    st = dg_catalog_step_row(db, stmt, "allocate reference code", err, NULL);
    if (st == DG_OK)
        parts->item = (int)sqlite3_column_int64(stmt, 0);
    dg_catalog_give_back(cache, stmt);
    if (st == DG_OK && parts->item > 9999)
        st = dg_error_set(err, DG_ERR_STATE,
                          "no item numbers left for %s-%s %d %s (9999 used)", parts->fonds,
                          parts->category, parts->year, parts->period);
    return st;
}

int dg_refcode_is_provisional(const char *code)
{
    return strstr(code, MIDDLE_DOT DG_REFCODE_PENDING "-") != NULL;
}
