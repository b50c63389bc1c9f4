/* test_extract_accuracy.c — how often dg_extract_metadata() gets the date, the record's own
 * document number and the title right on records written as offices of the three systems
 * write them: mainland (cn), Taiwan (tw), Hong Kong and English-speaking schools (hk).
 *
 * Two sets in tests/fixtures/extract/:
 *   tune.txt     the records extract.c was developed against (21 per system);
 *   heldout.txt  records written before that work began and never tuned on (12 per system);
 *   heldout2.txt records written after it was finished, as a fresh check (10 per system).
 *
 * The file format: records begin with "=== NAME", then "key: value" lines (system, date,
 * number, title; "-" when the record has no such value), then a line "---", then the
 * record's text up to the next "===" line. Lines starting with "#" before a record are
 * comments. A record whose number is "-" may still cite other documents' numbers: taking
 * one of them is an error.
 *
 * Thresholds (per system and field): the tuning set at least 95%, the held-out sets at least
 * 90% (70% until the Taiwan 公文 rules: the bound guards what was reached and is under the
 * issue's 95% target). The held-out bound is lower because those sets measure the general
 * case honestly
 * (the second one's Taiwan titles were 5/10 when first measured, 9/10 now: the miss, tw-g04,
 * expects a 主旨's attachment count "1份" cut, where the first held-out set's tw-h02 and
 * test_extract.c keep it, so no one rule gets both); the README's known limits give the
 * measured figures.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/extract.h"

#define TUNE "tests/fixtures/extract/tune.txt"
#define HELDOUT "tests/fixtures/extract/heldout.txt"
#define HELDOUT2 "tests/fixtures/extract/heldout2.txt"

enum { SYS_CN, SYS_TW, SYS_HK, N_SYSTEMS };
enum { F_DATE, F_NUMBER, F_TITLE, N_FIELDS };
static const char *const system_names[N_SYSTEMS] = {"cn", "tw", "hk"};
static const char *const field_names[N_FIELDS] = {"date", "number", "title"};

typedef struct tally {
    int right[N_SYSTEMS][N_FIELDS];
    int total[N_SYSTEMS][N_FIELDS];
    int records[N_SYSTEMS];
} tally;

typedef struct record {
    char name[64];
    int system;
    char want[N_FIELDS][512];
    char *text;
    size_t len, cap;
} record;

static void record_append(record *r, const char *line)
{
    size_t n = strlen(line);
    if (r->len + n + 1 > r->cap) {
        r->cap = (r->len + n + 1) * 2;
        r->text = realloc(r->text, r->cap);
        assert_non_null(r->text);
    }
    memcpy(r->text + r->len, line, n + 1);
    r->len += n;
}

static void chomp(char *s)
{
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
        s[--n] = '\0';
}

/* One record's expected value against what was extracted; "-" expects nothing found. */
static int field_right(const char *want, const dg_field *got)
{
    if (strcmp(want, "-") == 0)
        return !got->found;
    return got->found && strcmp(want, got->value) == 0;
}

static void score_record(const record *r, tally *t)
{
    dg_metadata md;
    assert_int_equal(dg_extract_metadata(r->text, r->len, &md, NULL), DG_OK);
    const dg_field *got[N_FIELDS] = {&md.date, &md.doc_number, &md.title};
    t->records[r->system]++;
    for (int f = 0; f < N_FIELDS; f++) {
        /* A record without a title or date to find says "-"; every record is counted for
         * numbers, since a cited number taken as the record's own is an error there. */
        if (f != F_NUMBER && strcmp(r->want[f], "-") == 0)
            continue;
        t->total[r->system][f]++;
        if (field_right(r->want[f], got[f]))
            t->right[r->system][f]++;
        else
            print_message("  %s %s: expected \"%s\", got \"%s\"\n", r->name, field_names[f],
                          r->want[f], got[f]->found ? got[f]->value : "(none)");
    }
}

static int parse_header_line(record *r, const char *line)
{
    static const char *const keys[N_FIELDS] = {"date: ", "number: ", "title: "};
    if (strncmp(line, "system: ", 8) == 0) {
        for (int s = 0; s < N_SYSTEMS; s++)
            if (strcmp(line + 8, system_names[s]) == 0)
                r->system = s;
        return 1;
    }
    for (int f = 0; f < N_FIELDS; f++)
        if (strncmp(line, keys[f], strlen(keys[f])) == 0) {
            snprintf(r->want[f], sizeof r->want[f], "%s", line + strlen(keys[f]));
            return 1;
        }
    return 0;
}

static void run_set(const char *path, tally *t)
{
    FILE *f = fopen(path, "r");
    if (!f)
        fail_msg("cannot open %s (run from the repository root)", path);
    memset(t, 0, sizeof *t);
    char *line = NULL;
    size_t cap = 0;
    record r = {0};
    int in_text = 0, open = 0;
    while (getline(&line, &cap, f) > 0) {
        if (strncmp(line, "=== ", 4) == 0) {
            if (open)
                score_record(&r, t);
            char *text = r.text;
            size_t text_cap = r.cap;
            memset(&r, 0, sizeof r);
            r.text = text;
            r.cap = text_cap;
            r.system = -1;
            if (r.text)
                r.text[0] = '\0';
            chomp(line);
            snprintf(r.name, sizeof r.name, "%s", line + 4);
            in_text = 0;
            open = 1;
            continue;
        }
        if (!open)
            continue;
        if (in_text) {
            record_append(&r, line);
            continue;
        }
        chomp(line);
        if (strcmp(line, "---") == 0) {
            if (r.system < 0 || !r.want[F_DATE][0] || !r.want[F_NUMBER][0] || !r.want[F_TITLE][0])
                fail_msg("%s: record %s lacks system, date, number or title", path, r.name);
            in_text = 1;
            record_append(&r, "");
        } else if (line[0] && !parse_header_line(&r, line)) {
            fail_msg("%s: record %s: unknown header line \"%s\"", path, r.name, line);
        }
    }
    if (open)
        score_record(&r, t);
    free(r.text);
    free(line);
    fclose(f);
}

/* Prints the set's accuracy per system and field; fails when any is under min_percent or a
 * system has fewer than min_records records. */
static void report_and_check(const char *what, const tally *t, int min_records, int min_percent)
{
    int ok = 1;
    for (int s = 0; s < N_SYSTEMS; s++) {
        print_message("%s %s (%d records):", what, system_names[s], t->records[s]);
        for (int f = 0; f < N_FIELDS; f++) {
            int right = t->right[s][f], total = t->total[s][f];
            print_message(" %s %d/%d (%.0f%%)", field_names[f], right, total,
                          total ? 100.0 * right / total : 0.0);
            if (total == 0 || right * 100 < total * min_percent)
                ok = 0;
        }
        print_message("\n");
        if (t->records[s] < min_records)
            ok = 0;
    }
    if (!ok)
        fail_msg("%s: a system has under %d records or a field under %d%%", what, min_records,
                 min_percent);
}

static void test_tuning_set_fields_right_in_at_least_95_percent_per_system(void **state)
{
    (void)state;
    tally t;
    run_set(TUNE, &t);
    report_and_check("tuning set", &t, 20, 95);
}

static void test_heldout_set_fields_right_in_at_least_90_percent_per_system(void **state)
{
    (void)state;
    tally t;
    run_set(HELDOUT, &t);
    report_and_check("held-out set", &t, 10, 90);
}

static void test_second_heldout_set_fields_right_in_at_least_90_percent_per_system(void **state)
{
    (void)state;
    tally t;
    run_set(HELDOUT2, &t);
    report_and_check("second held-out set", &t, 10, 90);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tuning_set_fields_right_in_at_least_95_percent_per_system),
        cmocka_unit_test(test_heldout_set_fields_right_in_at_least_90_percent_per_system),
        cmocka_unit_test(test_second_heldout_set_fields_right_in_at_least_90_percent_per_system),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
