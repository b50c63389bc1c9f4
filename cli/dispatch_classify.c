/*
 * dispatch_classify.c — the request handlers of the classification commands: JSON
 * arguments to ingest/learn.h and engine/class_review.h calls, and their results to JSON.
 * A type, date or file name that is absent or "" shows as null in these results
 * (dg_json_text_or_null), as it always has.
 */
#include "dispatch_classify.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../engine/class_review.h"
#include "../engine/vocab.h"
#include "../ingest/learn.h"

/* A labelled file for --eval: 10,000 records are a few MiB; this leaves ample room. */
#define MAX_EVAL_FILE (256u * 1024 * 1024)
#define DEFAULT_LIST_LIMIT 100

static dg_status arg_count(dg_request *c, const char *key, size_t fallback, size_t *out)
{
    json_t *v = json_object_get(c->args, key);
    *out = fallback;
    if (!v)
        return DG_OK;
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return dg_error_set(&c->err, DG_ERR_USAGE, "--%s must be a whole number >= 0", key);
    *out = (size_t)json_integer_value(v);
    return DG_OK;
}

/* A confidence from 0 to 1; *out stays -1 (the archive's) when the argument is absent. */
static dg_status arg_confidence(dg_request *c, const char *key, double *out)
{
    const char *text = dg_arg_str(c, key);
    *out = -1;
    if (!text)
        return DG_OK;
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (errno || end == text || *end || !(v >= 0 && v <= 1))
        return dg_error_set(&c->err, DG_ERR_USAGE, "%s '%s': give a confidence from 0 to 1",
                            key, text);
    *out = v;
    return DG_OK;
}

/* ---- review ------------------------------------------------------------------------ */

static json_t *reasons_json(unsigned reasons)
{
    json_t *list = json_array();
    if (reasons & DG_CLASS_REVIEW_LOW_CONFIDENCE)
        json_array_append_new(list, json_string("low confidence"));
    if (reasons & DG_CLASS_REVIEW_NO_DATE)
        json_array_append_new(list, json_string("no date found"));
    if (reasons & DG_CLASS_REVIEW_NO_TYPE)
        json_array_append_new(list, json_string("no type"));
    return list;
}

static json_t *queue_item_json(const dg_class_review_item *it)
{
    return json_pack("{s:s, s:i, s:s, s:s, s:o, s:o, s:o, s:i, s:f, s:o, s:s, s:o}", "refcode",
                     it->refcode, "version", it->version, "title", it->title, "category",
                     it->category, "type", dg_json_text_or_null(it->record_type), "date",
                     dg_json_text_or_null(it->doc_date), "year", dg_json_year(it->year), "level", it->level,
                     "confidence", it->class_confidence, "reasons", reasons_json(it->reasons),
                     "filed_at", it->filed_at, "source_file", dg_json_text_or_null(it->source_file));
}

dg_status dg_cmd_review_list(dg_request *c, json_t **result)
{
    double threshold;
    size_t limit, offset, n = 0;
    uint64_t total = 0;
    dg_class_review_item *items = NULL;
    dg_status st = arg_confidence(c, "threshold", &threshold);
    if (st == DG_OK)
        st = arg_count(c, "limit", DEFAULT_LIST_LIMIT, &limit);
    if (st == DG_OK)
        st = arg_count(c, "offset", 0, &offset);
    if (st == DG_OK && threshold < 0)
        st = dg_class_review_threshold(c->archive, &threshold, &c->err);
    if (st == DG_OK)
        st = dg_class_review_list(c->archive, &c->actor, threshold, limit, offset, &items, &n,
                                  &total, &c->err);
    if (st != DG_OK)
        return st;
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(list, queue_item_json(&items[i]));
    dg_class_review_items_free(items, n);
    *result = json_pack("{s:f, s:I, s:I, s:o}", "threshold", threshold, "total",
                        (json_int_t)total, "offset", (json_int_t)offset, "records", list);
    return DG_OK;
}

static json_t *learn_result_json(const dg_learn_result *r, const char *decision)
{
    return json_pack("{s:s, s:i, s:s, s:s, s:o, s:s, s:i, s:b, s:b}", "refcode", r->refcode,
                     "version", r->version, "decision", decision, "category", r->category,
                     "type", dg_json_text_or_null(r->type), "period", r->period, "level", r->level,
                     "new_version", r->changed, "learnt", r->learnt);
}

dg_status dg_cmd_review_accept(dg_request *c, json_t **result)
{
    const char *ref;
    dg_learn_result r;
    dg_status st = dg_arg_require(c, "refcode", "a reference code", &ref);
    if (st == DG_OK)
        st = dg_learn_accept(c->archive, &c->actor, ref, dg_arg_str(c, "reason"), &r, &c->err);
    if (st == DG_OK)
        *result = learn_result_json(&r, "accepted");
    return st;
}

dg_status dg_cmd_review_threshold(dg_request *c, json_t **result)
{
    double threshold;
    dg_status st = arg_confidence(c, "threshold", &threshold);
    int set = threshold >= 0;
    if (st == DG_OK && set)
        st = dg_class_review_set_threshold(c->archive, &c->actor, threshold, &c->err);
    else if (st == DG_OK)
        st = dg_class_review_threshold(c->archive, &threshold, &c->err);
    if (st == DG_OK)
        *result = json_pack("{s:f, s:b}", "threshold", threshold, "changed", set);
    return st;
}

/* ---- classify ---------------------------------------------------------------------- */

dg_status dg_cmd_classify(dg_request *c, json_t **result)
{
    dg_correction corr = {.type = dg_arg_str(c, "type"), .reason = dg_arg_str(c, "reason"),
                          .period = dg_arg_str(c, "period")};
    int level = -1;
    dg_status st = dg_arg_require(c, "refcode", "a reference code", &corr.refcode);
    if (st == DG_OK)
        st = dg_arg_require(c, "category", "a category", &corr.category);
    if (st == DG_OK)
        st = dg_arg_level(c, "level", &level);
    if (st == DG_OK && corr.period) {
        dg_period p;
        st = dg_period_parse(corr.period, &p, &c->err);
        corr.period = st == DG_OK ? dg_period_code(p) : NULL;
    }
    corr.level = level >= 0 ? &level : NULL;
    dg_learn_result r;
    if (st == DG_OK)
        st = dg_learn_correct(c->archive, &c->actor, &corr, &r, &c->err);
    if (st == DG_OK)
        *result = learn_result_json(&r, r.changed ? "corrected" : "accepted");
    return st;
}

static json_t *per_category_json(const dg_eval_report *r)
{
    json_t *obj = json_object();
    for (int k = 0; k < DG_CATEGORY_COUNT; k++) {
        json_t *row = json_object();
        for (int p = 0; p < DG_CATEGORY_COUNT; p++)
            json_object_set_new(row, dg_class_name((dg_class)p),
                                json_integer((json_int_t)r->confusion[k][p]));
        json_object_set_new(obj, dg_class_name((dg_class)k),
                            json_pack("{s:I, s:f, s:f, s:o}", "support",
                                      (json_int_t)r->support[k], "precision", r->precision[k],
                                      "recall", r->recall[k], "predicted", row));
    }
    return obj;
}

static json_t *eval_json(const dg_eval_report *r, const char *table, double seconds)
{
    return json_pack("{s:I, s:I, s:f, s:o, s:I, s:I, s:f, s:f, s:I, s:I, s:I, s:f, s:I, s:I,"
                     " s:f, s:f, s:s}",
                     "records", (json_int_t)r->records, "correct", (json_int_t)r->correct,
                     "accuracy", r->accuracy, "categories", per_category_json(r), "typed",
                     (json_int_t)r->typed, "type_correct", (json_int_t)r->type_correct,
                     "type_accuracy", r->type_accuracy, "threshold", r->threshold,
                     "below_threshold", (json_int_t)r->below_threshold, "dated",
                     (json_int_t)r->dated, "date_correct", (json_int_t)r->date_correct,
                     "date_accuracy", r->date_accuracy, "numbered", (json_int_t)r->numbered,
                     "number_correct", (json_int_t)r->number_correct, "number_accuracy",
                     r->number_accuracy, "seconds", seconds, "table", table);
}

/* Accuracy per confidence band (classify_eval.h), added to eval_json's object. */
static json_t *with_calibration(json_t *obj, const dg_eval_report *r)
{
    json_t *bands = json_array();
    for (int b = 0; b < DG_EVAL_BANDS; b++)
        json_array_append_new(bands, json_pack("{s:f, s:f, s:I, s:I}", "from",
                                               DG_EVAL_BAND_EDGES[b], "to",
                                               DG_EVAL_BAND_EDGES[b + 1], "records",
                                               (json_int_t)r->band_records[b], "correct",
                                               (json_int_t)r->band_correct[b]));
    json_object_set_new(obj, "calibration", bands);
    json_object_set_new(obj, "wrong_above_0_8", json_integer((json_int_t)r->wrong_above_08));
    return obj;
}

static double seconds_since(const struct timespec *start)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

dg_status dg_cmd_classify_eval(dg_request *c, json_t **result)
{
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    double threshold;
    char *data = NULL, *table = NULL;
    size_t len = 0;
    const char *name;
    dg_eval_report r;
    dg_status st = arg_confidence(c, "threshold", &threshold);
    if (st == DG_OK)
        st = dg_arg_file(c, "file", MAX_EVAL_FILE, &data, &len, &name);
    if (st == DG_OK)
        st = dg_learn_eval(c->archive, &c->actor, data, len, name, threshold, &r, &c->err);
    if (st == DG_OK)
        st = dg_eval_report_format(&r, &table, &c->err);
    if (st == DG_OK)
        *result = with_calibration(eval_json(&r, table, seconds_since(&start)), &r);
    free(table);
    free(data);
    return st;
}

static json_t *probabilities_json(const dg_classification *cls)
{
    json_t *obj = json_object();
    for (int k = 0; k < DG_CATEGORY_COUNT; k++)
        json_object_set_new(obj, dg_class_name((dg_class)k),
                            json_real(cls->category_probability[k]));
    return obj;
}

static json_t *rule_hits_json(const dg_classification *cls)
{
    json_t *list = json_array();
    for (size_t i = 0; i < cls->n_rule_hits; i++) {
        const dg_rule *r = &cls->rule_hits[i].rule;
        json_array_append_new(
            list, json_pack("{s:s, s:s, s:o, s:f, s:b}", "pattern", r->pattern, "category",
                            dg_class_name(r->category), "type",
                            dg_json_text_or_null(dg_record_type_name(r->type)), "weight", r->weight,
                            "in_heading", cls->rule_hits[i].in_heading));
    }
    return list;
}

dg_status dg_cmd_classify_explain(dg_request *c, json_t **result)
{
    const char *ref;
    dg_classification cls;
    char *text = NULL, *category = NULL, *type = NULL;
    dg_status st = dg_arg_require(c, "refcode", "a reference code", &ref);
    if (st == DG_OK)
        st = dg_learn_explain(c->archive, &c->actor, ref, &cls, &text, &category, &type, &c->err);
    if (st == DG_OK)
        *result = json_pack(
            "{s:s, s:s, s:o, s:f, s:f, s:f, s:o, s:o, s:s, s:o, s:s}", "refcode", ref,
            "category", dg_class_name(cls.category) ? dg_class_name(cls.category) : "",
            "type", dg_json_text_or_null(dg_record_type_name(cls.type)), "confidence", cls.confidence,
            "category_confidence", cls.category_confidence, "type_confidence",
            cls.type_confidence, "probabilities", probabilities_json(&cls), "rules",
            rule_hits_json(&cls), "filed_category", category, "filed_type",
            dg_json_text_or_null(type), "explanation", text);
    free(text);
    free(category);
    free(type);
    return st;
}

/* ---- rules ------------------------------------------------------------------------- */

static json_t *rule_json(const dg_archive_rule *ar)
{
    const dg_rule *r = &ar->rule;
    return json_pack("{s:s, s:s, s:o, s:f, s:b}", "pattern", r->pattern, "category",
                     dg_class_name(r->category), "type",
                     dg_json_text_or_null(dg_record_type_name(r->type)), "weight", r->weight, "default",
                     ar->is_default);
}

dg_status dg_cmd_rules_list(dg_request *c, json_t **result)
{
    dg_archive_rule *rules = NULL;
    size_t n = 0;
    int own_only = dg_arg_bool(c, "own");
    dg_status st = dg_rules_list(c->archive, &c->actor, &rules, &n, &c->err);
    if (st != DG_OK)
        return st;
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++)
        if (!own_only || !rules[i].is_default)
            json_array_append_new(list, rule_json(&rules[i]));
    free(rules);
    *result = json_pack("{s:o}", "rules", list);
    return DG_OK;
}

static dg_status parse_weight(dg_request *c, double *weight)
{
    const char *text = dg_arg_str(c, "weight");
    *weight = 1.0;
    if (!text)
        return DG_OK;
    char *end;
    errno = 0;
    *weight = strtod(text, &end);
    if (errno || end == text || *end || *weight < -10 || *weight > 10)
        return dg_error_set(&c->err, DG_ERR_USAGE, "--weight '%s': give a number from -10 to 10",
                            text);
    return DG_OK;
}

dg_status dg_cmd_rules_add(dg_request *c, json_t **result)
{
    const char *pattern, *category;
    double weight;
    dg_status st = dg_arg_require(c, "pattern", "a pattern", &pattern);
    if (st == DG_OK)
        st = dg_arg_require(c, "category", "a category", &category);
    if (st == DG_OK)
        st = parse_weight(c, &weight);
    if (st == DG_OK)
        st = dg_rules_add(c->archive, &c->actor, pattern, category, dg_arg_str(c, "type"), weight,
                          &c->err);
    if (st == DG_OK)
        *result = json_pack("{s:s, s:s, s:o, s:f, s:s}", "pattern", pattern, "category",
                            category, "type", dg_json_text_or_null(dg_arg_str(c, "type")), "weight", weight,
                            "change", "added");
    return st;
}

dg_status dg_cmd_rules_remove(dg_request *c, json_t **result)
{
    const char *pattern, *category;
    dg_status st = dg_arg_require(c, "pattern", "a pattern", &pattern);
    if (st == DG_OK)
        st = dg_arg_require(c, "category", "a category", &category);
    if (st == DG_OK)
        st = dg_rules_remove(c->archive, &c->actor, pattern, category, dg_arg_str(c, "type"), &c->err);
    if (st == DG_OK)
        *result = json_pack("{s:s, s:s, s:o, s:s}", "pattern", pattern, "category", category,
                            "type", dg_json_text_or_null(dg_arg_str(c, "type")), "change", "removed");
    return st;
}

dg_status dg_cmd_rules_reset(dg_request *c, json_t **result)
{
    dg_status st = dg_rules_reset(c->archive, &c->actor, &c->err);
    if (st == DG_OK)
        *result = json_pack("{s:s}", "change", "reset");
    return st;
}
