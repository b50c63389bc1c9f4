/*
 * learn.c — the archive's classifier: loaded from the catalog, taught by reviews, saved back.
 */
#include "learn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../engine/log.h"
#include "../engine/record.h"
#include "../engine/class_review.h"
#include "../engine/vocab.h"

/* Saving a lesson loses a race only to another archivist's lesson saved the same moment;
 * each retry reloads theirs first. */
#define SAVE_ATTEMPTS 5

/* ---- labels ------------------------------------------------------------------------ */

static dg_status parse_category(const char *text, dg_class *out, dg_error *err)
{
    dg_category cat;
    dg_status st = dg_category_parse(text, &cat, err);
    /* vocab.h's categories and classify.h's classes are the same list in the same order. */
    *out = st == DG_OK ? (dg_class)cat : DG_CATEGORY_UNKNOWN;
    return st;
}

/* "budget, voucher, contract, fee, financial_report" */
static void types_of(dg_class category, char *buf, size_t size)
{
    buf[0] = '\0';
    for (int t = 0; t < DG_TYPE_COUNT; t++) {
        if (dg_record_type_category((dg_record_type)t) != category)
            continue;
        size_t used = strlen(buf);
        snprintf(buf + used, size - used, "%s%s", used ? ", " : "",
                 dg_record_type_name((dg_record_type)t));
    }
}

static dg_status parse_type(const char *text, dg_class category, dg_record_type *out,
                            dg_error *err)
{
    *out = dg_record_type_from_string(text);
    if (*out != DG_TYPE_UNKNOWN && dg_record_type_category(*out) == category)
        return DG_OK;
    char types[256];
    types_of(category, types, sizeof types);
    return dg_error_set(err, DG_ERR_USAGE, "type '%s' is not a %s type (%s)", text,
                        dg_class_name(category), types);
}

/* The type to learn with a category: a stored type outside the taxonomy teaches only the
 * category. */
static dg_record_type learnable_type(const char *type, dg_class category)
{
    dg_record_type t = dg_record_type_from_string(type);
    return t != DG_TYPE_UNKNOWN && dg_record_type_category(t) == category ? t : DG_TYPE_UNKNOWN;
}

/* ---- loading ----------------------------------------------------------------------- */

static dg_status load_saved_rules(dg_archive *archive, const dg_actor *actor, dg_classifier *c,
                                  int64_t *generation, dg_error *err)
{
    char *text = NULL;
    size_t len = 0;
    dg_status st = dg_classifier_state_get(archive, actor, DG_STATE_RULES, &text, &len,
                                           generation, err);
    if (st == DG_OK && text) {
        st = dg_classifier_load_rules(c, text, len, err);
        if (st != DG_OK)
            dg_error_prefix(err, "%s: ", DG_STATE_RULES);
    }
    free(text);
    return st;
}

/* What rebuilding a forgotten model learnt again. */
typedef struct relearning {
    dg_classifier *classifier;
    size_t lessons;
} relearning;

/* Learns one remembered decision exactly as the review that made it did (learn_onto_saved). */
static dg_status relearn(const dg_class_lesson *l, void *ctx, dg_error *err)
{
    relearning *r = ctx;
    if (!l->text[0])
        return DG_OK; /* a record without text taught nothing */
    dg_class category;
    dg_status st = parse_category(l->category, &category, err);
    if (st == DG_OK)
        st = dg_classifier_learn(r->classifier, l->text, strlen(l->text), category,
                                 learnable_type(l->record_type, category), err);
    if (st != DG_OK)
        dg_error_prefix(err, "relearning %s version %d: ", l->refcode, l->version);
    else
        r->lessons++;
    return st;
}

/*
 * The model a destruction forgot, rebuilt: the starter model taught every remaining
 * decision in the order it was made. Counts are integers and features keep their first
 * appearance's place, so this is the model those reviews built one by one.
 */
static dg_status rebuild_model(dg_archive *archive, const dg_actor *actor, dg_classifier **out,
                               size_t *lessons, dg_error *err)
{
    dg_status st = dg_classifier_new_starter(out, err);
    relearning r = {.classifier = *out};
    if (st == DG_OK)
        st = dg_class_review_lessons(archive, actor, relearn, &r, err);
    if (st != DG_OK) {
        dg_classifier_free(*out);
        *out = NULL;
    }
    *lessons = r.lessons;
    return st;
}

/* Where a loaded model came from. */
typedef struct model_origin {
    int64_t generation; /* of the saved value read (0: none) */
    int rebuilt;        /* the saved model was forgotten and is rebuilt in memory */
    size_t lessons;     /* how many decisions the rebuild learnt again */
} model_origin;

/*
 * A classifier with the default rules and the saved model, or the starter model; a
 * forgotten (empty) model is rebuilt in memory. Saving a rebuilt one is the caller's
 * choice, at the generation read.
 */
static dg_status load_model(dg_archive *archive, const dg_actor *actor, dg_classifier **out,
                            model_origin *origin, dg_error *err)
{
    char *text = NULL;
    size_t len = 0;
    *out = NULL;
    memset(origin, 0, sizeof *origin);
    dg_status st = dg_classifier_state_get(archive, actor, DG_STATE_MODEL, &text, &len,
                                           &origin->generation, err);
    if (st != DG_OK)
        return st;
    if (!text)
        return dg_classifier_new_starter(out, err);
    if (len == 0) {
        free(text);
        origin->rebuilt = 1;
        return rebuild_model(archive, actor, out, &origin->lessons, err);
    }
    st = dg_classifier_new(out, err);
    if (st == DG_OK && (st = dg_classifier_load_model(*out, text, len, err)) != DG_OK) {
        dg_error_prefix(err, "%s: ", DG_STATE_MODEL);
        dg_classifier_free(*out);
        *out = NULL;
    }
    free(text);
    return st;
}

/* Saves a rebuilt model, so the next reader need not rebuild it. */
static dg_status save_rebuilt(dg_archive *archive, const dg_actor *actor, const dg_classifier *c,
                              const model_origin *origin, dg_error *err)
{
    char *model = NULL, detail[96];
    size_t len;
    snprintf(detail, sizeof detail, "model rebuilt from %zu remaining review decisions",
             origin->lessons);
    dg_status st = dg_classifier_save_model(c, &model, &len, err);
    if (st == DG_OK)
        st = dg_classifier_state_put(archive, actor, DG_STATE_MODEL, model, origin->generation,
                                     detail, err);
    free(model);
    return st;
}

/* The saved model (rebuilt and saved first when a destruction forgot it). */
static dg_status open_model(dg_archive *archive, const dg_actor *actor, dg_classifier **out,
                            int64_t *generation, dg_error *err)
{
    dg_status st = DG_OK;
    for (int attempt = 0; attempt < SAVE_ATTEMPTS; attempt++) {
        model_origin origin;
        st = load_model(archive, actor, out, &origin, err);
        *generation = origin.generation;
        if (st == DG_OK && origin.rebuilt) {
            st = save_rebuilt(archive, actor, *out, &origin, err);
            if (st == DG_OK)
                (*generation)++;
        }
        if (st == DG_OK)
            return st;
        dg_classifier_free(*out);
        *out = NULL;
        if (st != DG_ERR_STATE)
            break; /* DG_ERR_STATE: another writer came first; read theirs */
    }
    return st;
}

dg_status dg_learn_open(dg_archive *archive, const dg_actor *actor, dg_classifier **out,
                        int64_t *model_generation, int64_t *rules_generation, dg_error *err)
{
    int64_t model_gen = 0, rules_gen = 0;
    dg_status st = open_model(archive, actor, out, &model_gen, err);
    if (st == DG_OK && (st = load_saved_rules(archive, actor, *out, &rules_gen, err)) != DG_OK) {
        dg_classifier_free(*out);
        *out = NULL;
    }
    if (model_generation)
        *model_generation = model_gen;
    if (rules_generation)
        *rules_generation = rules_gen;
    return st;
}

/* ---- reviews ----------------------------------------------------------------------- */

/* What a review confirms: the record's text under a category and type, at a version. */
typedef struct lesson {
    const char *refcode, *text, *category, *type, *reason;
    int version;
    dg_class_review_decision decision;
} lesson;

/* Teaches the archive's current model the lesson; *model is the saved result. */
static dg_status learn_onto_saved(dg_archive *archive, const dg_actor *actor, const lesson *l,
                                  char **model, int64_t *generation, dg_error *err)
{
    dg_classifier *c = NULL;
    *model = NULL;
    dg_class category;
    dg_status st = parse_category(l->category, &category, err);
    model_origin origin = {0};
    if (st == DG_OK)
        st = load_model(archive, actor, &c, &origin, err);
    *generation = origin.generation;
    if (st == DG_OK)
        st = dg_classifier_learn(c, l->text, strlen(l->text), category,
                                 learnable_type(l->type, category), err);
    size_t len;
    if (st == DG_OK)
        st = dg_classifier_save_model(c, model, &len, err);
    dg_classifier_free(c);
    return st;
}

/*
 * Writes the decision with the model it taught: alone for an acceptance, or for a
 * correction (edit not NULL) with the new version, in its transaction (*version).
 */
static dg_status commit_review(dg_archive *archive, const dg_actor *actor,
                               const dg_class_review_entry *e, dg_record_change *edit,
                               int *version, dg_error *err)
{
    if (!edit)
        return dg_class_review_record(archive, actor, e, err);
    edit->review = e;
    dg_status st = dg_record_edit(archive, actor, e->refcode, edit, version, err);
    edit->review = NULL;
    return st;
}

/* Records the decision with the model it taught, retrying when another lesson won a race. */
static dg_status review_and_learn(dg_archive *archive, const dg_actor *actor, const lesson *l,
                                  dg_record_change *edit, int *version, int *learnt,
                                  dg_error *err)
{
    *learnt = l->text && l->text[0];
    dg_status st = DG_OK;
    for (int attempt = 0; attempt < SAVE_ATTEMPTS; attempt++) {
        char *model = NULL;
        int64_t generation = 0;
        if (*learnt)
            st = learn_onto_saved(archive, actor, l, &model, &generation, err);
        if (st == DG_OK) {
            dg_class_review_entry e = {.refcode = l->refcode, .version = l->version,
                                       .decision = l->decision, .reason = l->reason,
                                       .model = model, .model_generation = generation};
            st = commit_review(archive, actor, &e, edit, version, err);
        }
        free(model);
        if (st != DG_ERR_STATE || !*learnt)
            break;
    }
    return st;
}

static void fill_result(const dg_record *rec, int version, const char *category,
                        const char *type, const char *period, int level, dg_learn_result *out)
{
    snprintf(out->refcode, sizeof out->refcode, "%s", rec->refcode);
    out->version = version;
    snprintf(out->category, sizeof out->category, "%s", category);
    snprintf(out->type, sizeof out->type, "%s", type ? type : "");
    snprintf(out->period, sizeof out->period, "%s", period);
    out->level = level;
}

static dg_status accept_record(dg_archive *archive, const dg_actor *actor, const dg_record *rec,
                               const char *reason, dg_learn_result *out, dg_error *err)
{
    const dg_version_info *v = &rec->version;
    lesson l = {.refcode = rec->refcode, .text = rec->text, .category = v->category,
                .type = v->record_type, .reason = reason, .version = rec->current_version,
                .decision = DG_CLASS_REVIEW_ACCEPTED};
    dg_status st = review_and_learn(archive, actor, &l, NULL, NULL, &out->learnt, err);
    if (st == DG_OK)
        fill_result(rec, rec->current_version, v->category, v->record_type, v->period,
                    rec->level, out);
    return st;
}

dg_status dg_learn_accept(dg_archive *archive, const dg_actor *actor, const char *refcode,
                          const char *reason, dg_learn_result *out, dg_error *err)
{
    memset(out, 0, sizeof *out);
    dg_record *rec = NULL;
    dg_status st = dg_record_get(archive, actor, refcode, 0, &rec, err);
    if (st == DG_OK)
        st = accept_record(archive, actor, rec, reason, out, err);
    dg_record_free(rec);
    return st;
}

/* The corrected classification, checked, with the period and level it implies. */
typedef struct correction_plan {
    dg_class category;
    dg_record_type type;
    char period[8];
    int level;
    int same; /* the record is classified so already */
} correction_plan;

static dg_status plan_correction(dg_archive *archive, const dg_record *rec,
                                 const dg_correction *c, correction_plan *p, dg_error *err)
{
    dg_status st = parse_category(c->category, &p->category, err);
    if (st != DG_OK)
        return st;
    const char *type = c->type ? c->type : rec->version.record_type;
    if (type && (c->type || learnable_type(type, p->category) != DG_TYPE_UNKNOWN)) {
        st = parse_type(type, p->category, &p->type, err);
    } else {
        char types[256];
        types_of(p->category, types, sizeof types);
        st = dg_error_set(err, DG_ERR_USAGE, "%s: give the %s record's --type (%s)",
                          c->refcode, dg_class_name(p->category), types);
    }
    if (st != DG_OK)
        return st;
    const char *key = dg_class_name(p->category);
    const char *type_name = dg_record_type_name(p->type);
    p->same = !strcmp(key, rec->version.category) && rec->version.record_type &&
              !strcmp(type_name, rec->version.record_type) && !c->period && !c->level;
    if (c->period)
        snprintf(p->period, sizeof p->period, "%s", c->period);
    else
        st = dg_schedule_period(archive, key, type_name, p->period, err);
    p->level = c->level ? *c->level : rec->level;
    if (!c->level && p->category == DG_CATEGORY_PERSONNEL && p->level < 2)
        p->level = 2; /* personnel records are restricted by default */
    return st;
}

static dg_status write_correction(dg_archive *archive, const dg_actor *actor,
                                  const dg_record *rec, const dg_correction *c,
                                  const correction_plan *p, dg_learn_result *out, dg_error *err)
{
    double by_person = -1;
    int level = p->level;
    const char *key = dg_class_name(p->category), *type = dg_record_type_name(p->type);
    dg_record_change change = {.category = key, .record_type = type, .period = p->period,
                               .level = level != rec->level ? &level : NULL,
                               .class_confidence = &by_person, .reason = c->reason};
    int version = 0;
    /* The text is the same in the new version: only its classification changes. */
    lesson l = {.refcode = rec->refcode, .text = rec->text, .category = key, .type = type,
                .reason = c->reason, .decision = DG_CLASS_REVIEW_CORRECTED};
    dg_status st = review_and_learn(archive, actor, &l, &change, &version, &out->learnt, err);
    if (st == DG_OK) {
        out->changed = 1;
        fill_result(rec, version, key, type, p->period, level, out);
    }
    return st;
}

dg_status dg_learn_correct(dg_archive *archive, const dg_actor *actor, const dg_correction *c,
                           dg_learn_result *out, dg_error *err)
{
    memset(out, 0, sizeof *out);
    if (!c->category || !c->category[0])
        return dg_error_set(err, DG_ERR_USAGE, "%s: which category?", c->refcode);
    if (!c->reason || !c->reason[0])
        return dg_error_set(err, DG_ERR_USAGE, "%s: a correction needs a reason (--reason)",
                            c->refcode);
    dg_record *rec = NULL;
    correction_plan plan = {0};
    dg_status st = dg_record_get(archive, actor, c->refcode, 0, &rec, err);
    if (st == DG_OK)
        st = plan_correction(archive, rec, c, &plan, err);
    if (st == DG_OK && plan.same)
        st = accept_record(archive, actor, rec, c->reason, out, err);
    else if (st == DG_OK)
        st = write_correction(archive, actor, rec, c, &plan, out, err);
    /* A correction that fails after the record was read is logged as what it was, not left
     * looking like a plain read. */
    if (st != DG_OK && rec) {
        dg_log_event ev = {.action = "classify", .refcode = c->refcode, .query = c->category,
                           .hits = -1, .outcome = dg_log_outcome(st), .detail = err->msg};
        dg_error ignored;
        dg_log_append(archive, actor, NULL, &ev, &ignored);
    }
    dg_record_free(rec);
    return st;
}

/* ---- explain and evaluate ---------------------------------------------------------- */

static char *strdup_or_empty(const char *s)
{
    return strdup(s ? s : "");
}

dg_status dg_learn_explain(dg_archive *archive, const dg_actor *actor, const char *refcode,
                           dg_classification *out, char **explanation, char **stored_category,
                           char **stored_type, dg_error *err)
{
    *explanation = *stored_category = *stored_type = NULL;
    dg_classifier *c = NULL;
    dg_record *rec = NULL;
    dg_status st = dg_learn_open(archive, actor, &c, NULL, NULL, err);
    if (st == DG_OK)
        st = dg_record_get(archive, actor, refcode, 0, &rec, err);
    const char *text = rec && rec->text ? rec->text : "";
    if (st == DG_OK)
        st = dg_classifier_classify(c, text, strlen(text), out, err);
    if (st == DG_OK)
        st = dg_classification_explain(out, explanation, err);
    if (st == DG_OK) {
        *stored_category = strdup_or_empty(rec->version.category);
        *stored_type = strdup_or_empty(rec->version.record_type);
        if (!*stored_category || !*stored_type)
            st = dg_error_set(err, DG_ERR_NOMEM, "classifier: out of memory");
    }
    if (st != DG_OK) {
        free(*explanation);
        free(*stored_category);
        free(*stored_type);
        *explanation = *stored_category = *stored_type = NULL;
    }
    dg_record_free(rec);
    dg_classifier_free(c);
    return st;
}

dg_status dg_learn_eval(dg_archive *archive, const dg_actor *actor, const char *data, size_t len,
                        const char *name, double threshold, dg_eval_report *out, dg_error *err)
{
    dg_classifier *c = NULL;
    dg_status st = dg_learn_open(archive, actor, &c, NULL, NULL, err);
    if (st == DG_OK && threshold < 0)
        st = dg_class_review_threshold(archive, &threshold, err);
    if (st == DG_OK)
        st = dg_classify_eval_jsonl(c, data, len, name, threshold, out, err);
    dg_classifier_free(c);
    return st;
}

/* ---- rules ------------------------------------------------------------------------- */

static int same_rule(const dg_rule *a, const dg_rule *b)
{
    return a->category == b->category && a->type == b->type && a->weight == b->weight &&
           !strcmp(a->pattern, b->pattern);
}

static int is_default_rule(const dg_classifier *defaults, const dg_rule *r)
{
    for (size_t i = 0; i < dg_classifier_rule_count(defaults); i++)
        if (same_rule(dg_classifier_rule(defaults, i), r))
            return 1;
    return 0;
}

dg_status dg_rules_list(dg_archive *archive, const dg_actor *actor, dg_archive_rule **rules,
                        size_t *count, dg_error *err)
{
    *rules = NULL;
    *count = 0;
    dg_classifier *c = NULL, *defaults = NULL;
    int64_t generation;
    dg_status st = dg_classifier_new(&c, err);
    if (st == DG_OK)
        st = dg_classifier_new(&defaults, err);
    if (st == DG_OK)
        st = load_saved_rules(archive, actor, c, &generation, err);
    size_t n = st == DG_OK ? dg_classifier_rule_count(c) : 0;
    if (st == DG_OK && n && !(*rules = malloc(n * sizeof **rules)))
        st = dg_error_set(err, DG_ERR_NOMEM, "classifier: out of memory");
    for (size_t i = 0; st == DG_OK && i < n; i++) {
        (*rules)[i].rule = *dg_classifier_rule(c, i);
        (*rules)[i].is_default = is_default_rule(defaults, &(*rules)[i].rule);
    }
    if (st == DG_OK)
        *count = n;
    dg_classifier_free(defaults);
    dg_classifier_free(c);
    return st;
}

typedef enum { RULE_ADD, RULE_REMOVE, RULE_RESET } rule_op;

typedef struct rule_change {
    rule_op op;
    const char *pattern;
    dg_class category;
    dg_record_type type;
    double weight;
} rule_change;

static dg_status apply_rule_change(dg_classifier *c, const rule_change *rc, dg_error *err)
{
    switch (rc->op) {
    case RULE_ADD:
        return dg_classifier_add_rule(c, rc->pattern, rc->category, rc->type, rc->weight, err);
    case RULE_REMOVE:
        return dg_classifier_remove_rule(c, rc->pattern, rc->category, rc->type, err);
    case RULE_RESET:
        return dg_classifier_reset_rules(c, err);
    }
    return dg_error_set(err, DG_ERR_INTERNAL, "unknown rule change");
}

static void describe_rule_change(const rule_change *rc, char *buf, size_t size)
{
    const char *type = rc->type == DG_TYPE_UNKNOWN ? "" : dg_record_type_name(rc->type);
    if (rc->op == RULE_RESET)
        snprintf(buf, size, "rules reset to the defaults");
    else if (rc->op == RULE_ADD)
        snprintf(buf, size, "rule added: %s -> %s%s%s weight %g", rc->pattern,
                 dg_class_name(rc->category), *type ? "/" : "", type, rc->weight);
    else
        snprintf(buf, size, "rule removed: %s -> %s%s%s", rc->pattern,
                 dg_class_name(rc->category), *type ? "/" : "", type);
}

/* Loads the saved rules, changes them and saves them, retrying if another change won. */
static dg_status change_rules(dg_archive *archive, const dg_actor *actor, const rule_change *rc,
                              dg_error *err)
{
    char detail[256];
    describe_rule_change(rc, detail, sizeof detail);
    dg_status st = DG_OK;
    for (int attempt = 0; attempt < SAVE_ATTEMPTS; attempt++) {
        dg_classifier *c = NULL;
        char *text = NULL;
        int64_t generation = 0;
        st = dg_classifier_new(&c, err);
        if (st == DG_OK)
            st = load_saved_rules(archive, actor, c, &generation, err);
        if (st == DG_OK)
            st = apply_rule_change(c, rc, err);
        if (st == DG_OK)
            st = dg_classifier_save_rules(c, &text, err);
        if (st == DG_OK)
            st = dg_classifier_state_put(archive, actor, DG_STATE_RULES, text, generation,
                                         detail, err);
        free(text);
        dg_classifier_free(c);
        if (st != DG_ERR_STATE)
            break;
    }
    return st;
}

static dg_status parse_rule_labels(const char *category, const char *type, rule_change *rc,
                                   dg_error *err)
{
    if (!category)
        return dg_error_set(err, DG_ERR_USAGE, "a rule needs a category");
    dg_status st = parse_category(category, &rc->category, err);
    rc->type = DG_TYPE_UNKNOWN;
    if (st == DG_OK && type && strcmp(type, "-"))
        st = parse_type(type, rc->category, &rc->type, err);
    return st;
}

dg_status dg_rules_add(dg_archive *archive, const dg_actor *actor, const char *pattern,
                       const char *category, const char *type, double weight, dg_error *err)
{
    rule_change rc = {.op = RULE_ADD, .pattern = pattern, .weight = weight};
    dg_status st = parse_rule_labels(category, type, &rc, err);
    return st == DG_OK ? change_rules(archive, actor, &rc, err) : st;
}

dg_status dg_rules_remove(dg_archive *archive, const dg_actor *actor, const char *pattern,
                          const char *category, const char *type, dg_error *err)
{
    rule_change rc = {.op = RULE_REMOVE, .pattern = pattern};
    dg_status st = parse_rule_labels(category, type, &rc, err);
    return st == DG_OK ? change_rules(archive, actor, &rc, err) : st;
}

dg_status dg_rules_reset(dg_archive *archive, const dg_actor *actor, dg_error *err)
{
    rule_change rc = {.op = RULE_RESET, .type = DG_TYPE_UNKNOWN};
    return change_rules(archive, actor, &rc, err);
}
