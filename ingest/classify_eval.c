/*
 * classify_eval.c — accuracy, precision/recall, confusion and extraction rates over a
 * labelled JSON Lines file.
 */
#include "classify_eval.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extract.h"

typedef struct labelled {
    const char *text, *category, *type, *date, *doc_number;
} labelled;

static dg_status read_labels(json_t *obj, labelled *l, dg_error *err)
{
    l->text = json_string_value(json_object_get(obj, "text"));
    l->category = json_string_value(json_object_get(obj, "category"));
    l->type = json_string_value(json_object_get(obj, "type"));
    l->date = json_string_value(json_object_get(obj, "date"));
    l->doc_number = json_string_value(json_object_get(obj, "doc_number"));
    if (!l->text)
        return dg_error_set(err, DG_ERR_BAD_INPUT, "no \"text\" string");
    if (dg_category_from_string(l->category) == DG_CATEGORY_UNKNOWN)
        return dg_error_set(err, DG_ERR_BAD_INPUT, "unknown or missing category \"%s\"",
                            l->category ? l->category : "");
    if (l->type && dg_record_type_from_string(l->type) == DG_TYPE_UNKNOWN)
        return dg_error_set(err, DG_ERR_BAD_INPUT, "unknown type \"%s\"", l->type);
    return DG_OK;
}

static dg_status score_record(dg_classifier *c, const labelled *l, dg_eval_report *r,
                              dg_error *err)
{
    size_t len = strlen(l->text);
    dg_classification cl;
    dg_status st = dg_classifier_classify(c, l->text, len, &cl, err);
    if (st != DG_OK)
        return st;
    dg_class truth = dg_category_from_string(l->category);
    r->records++;
    r->support[truth]++;
    r->confusion[truth][cl.category]++;
    r->correct += cl.category == truth;
    r->below_threshold += cl.confidence < r->threshold;
    int band = 0;
    while (band + 1 < DG_EVAL_BANDS && cl.confidence >= DG_EVAL_BAND_EDGES[band + 1])
        band++;
    r->band_records[band]++;
    r->band_correct[band] += cl.category == truth;
    if (cl.category != truth) {
        r->wrong_above_08 += cl.confidence > 0.8;
        if (cl.confidence > r->wrong_max_confidence)
            r->wrong_max_confidence = cl.confidence;
    }
    if (l->type) {
        r->typed++;
        r->type_correct += cl.type == dg_record_type_from_string(l->type);
    }
    if (l->date || l->doc_number) {
        dg_metadata md;
        if ((st = dg_extract_metadata(l->text, len, &md, err)) != DG_OK)
            return st;
        if (l->date) {
            r->dated++;
            r->date_correct += strcmp(md.date.value, l->date) == 0;
        }
        if (l->doc_number) {
            r->numbered++;
            r->number_correct += strcmp(md.doc_number.value, l->doc_number) == 0;
        }
    }
    return DG_OK;
}

const double DG_EVAL_BAND_EDGES[DG_EVAL_BANDS + 1] = {0, 0.4, 0.6, 0.8, 0.9, 1.0};

static double ratio(size_t a, size_t b)
{
    return b ? (double)a / (double)b : 0;
}

static void finish_report(dg_eval_report *r)
{
    r->accuracy = ratio(r->correct, r->records);
    for (int k = 0; k < DG_CATEGORY_COUNT; k++) {
        size_t predicted = 0;
        for (int t = 0; t < DG_CATEGORY_COUNT; t++)
            predicted += r->confusion[t][k];
        r->precision[k] = ratio(r->confusion[k][k], predicted);
        r->recall[k] = ratio(r->confusion[k][k], r->support[k]);
    }
    r->type_accuracy = ratio(r->type_correct, r->typed);
    r->date_accuracy = ratio(r->date_correct, r->dated);
    r->number_accuracy = ratio(r->number_correct, r->numbered);
}

static dg_status eval_line(dg_classifier *c, const char *line, size_t len, dg_eval_report *r,
                           dg_error *err)
{
    json_error_t jerr;
    json_t *obj = json_loadb(line, len, 0, &jerr);
    if (!obj)
        return dg_error_set(err, DG_ERR_BAD_INPUT, "bad JSON: %s", jerr.text);
    labelled l;
    dg_status st = read_labels(obj, &l, err);
    if (st == DG_OK)
        st = score_record(c, &l, r, err);
    json_decref(obj);
    return st;
}

dg_status dg_classify_eval_jsonl(dg_classifier *c, const char *data, size_t len,
                                 const char *name, double threshold, dg_eval_report *out,
                                 dg_error *err)
{
    memset(out, 0, sizeof *out);
    out->threshold = threshold;
    size_t i = 0, lineno = 0;
    while (i < len) {
        size_t e = i;
        while (e < len && data[e] != '\n')
            e++;
        lineno++;
        size_t s = i;
        while (s < e && (data[s] == ' ' || data[s] == '\t' || data[s] == '\r'))
            s++;
        if (s < e) {
            dg_status st = eval_line(c, data + s, e - s, out, err);
            if (st != DG_OK)
                return dg_error_prefix(err, "%s: line %zu: ", name ? name : "jsonl", lineno);
        }
        i = e + 1;
    }
    finish_report(out);
    return DG_OK;
}

static dg_status read_whole_file(const char *path, char **data, size_t *len, dg_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return dg_error_set(err, DG_ERR_IO, "%s: %s", path, strerror(errno));
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (n < cap)
            break;
        char *grown = realloc(buf, cap * 2);
        if (!grown) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = grown;
        cap *= 2;
    }
    int failed = ferror(f);
    if (fclose(f) != 0)
        failed = 1;
    if (!buf)
        return dg_error_set(err, DG_ERR_NOMEM, "%s: out of memory", path);
    if (failed) {
        free(buf);
        return dg_error_set(err, DG_ERR_IO, "%s: read error", path);
    }
    *data = buf;
    *len = n;
    return DG_OK;
}

dg_status dg_classify_eval_file(dg_classifier *c, const char *path, double threshold,
                                dg_eval_report *out, dg_error *err)
{
    char *data = NULL;
    size_t len = 0;
    dg_status st = read_whole_file(path, &data, &len, err);
    if (st != DG_OK)
        return st;
    st = dg_classify_eval_jsonl(c, data, len, path, threshold, out, err);
    free(data);
    return st;
}

dg_status dg_eval_report_format(const dg_eval_report *r, char **out, dg_error *err)
{
    size_t cap = 4096, n = 0;
    char *s = malloc(cap);
    if (!s)
        return dg_error_set(err, DG_ERR_NOMEM, "evaluation report: out of memory");
#define ADD(...) n += (size_t)snprintf(s + n, n < cap ? cap - n : 0, __VA_ARGS__)
    ADD("records: %zu\ncategory accuracy: %.1f%% (%zu/%zu)\n", r->records, 100 * r->accuracy,
        r->correct, r->records);
    ADD("type accuracy: %.1f%% (%zu/%zu)\n", 100 * r->type_accuracy, r->type_correct, r->typed);
    ADD("below review threshold %.2f: %zu\n", r->threshold, r->below_threshold);
    ADD("date extraction: %.1f%% (%zu/%zu)\n", 100 * r->date_accuracy, r->date_correct, r->dated);
    ADD("doc number extraction: %.1f%% (%zu/%zu)\n", 100 * r->number_accuracy, r->number_correct,
        r->numbered);
    ADD("\ncategory         support precision  recall\n");
    for (int k = 0; k < DG_CATEGORY_COUNT; k++)
        ADD("%s %-14s %7zu %8.1f%% %6.1f%%\n", dg_class_code((dg_class)k),
            dg_class_name((dg_class)k), r->support[k], 100 * r->precision[k],
            100 * r->recall[k]);
    ADD("\nconfusion (rows true, columns predicted)\n      ");
    for (int k = 0; k < DG_CATEGORY_COUNT; k++)
        ADD("%6s", dg_class_code((dg_class)k));
    ADD("\n");
    for (int t = 0; t < DG_CATEGORY_COUNT; t++) {
        ADD("  %s  ", dg_class_code((dg_class)t));
        for (int k = 0; k < DG_CATEGORY_COUNT; k++)
            ADD("%6zu", r->confusion[t][k]);
        ADD("\n");
    }
    ADD("\ncalibration (confidence band: records, category right)\n");
    for (int b = 0; b < DG_EVAL_BANDS; b++)
        ADD("  %.1f-%.1f%s %5zu %6.1f%%\n", DG_EVAL_BAND_EDGES[b], DG_EVAL_BAND_EDGES[b + 1],
            b + 1 == DG_EVAL_BANDS ? "]" : ")", r->band_records[b],
            100 * ratio(r->band_correct[b], r->band_records[b]));
    ADD("wrong above 0.8: %zu (most confident wrong: %.2f)\n", r->wrong_above_08,
        r->wrong_max_confidence);
#undef ADD
    if (n >= cap) { /* cannot happen with five categories, but never hand back a cut table */
        free(s);
        return dg_error_set(err, DG_ERR_INTERNAL, "evaluation report: table too long");
    }
    *out = s;
    return DG_OK;
}
