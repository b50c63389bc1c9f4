/*
 * classify.h — automatic classification of records into category and record type.
 *
 * Ingest classifies every record from its text; the engine stores the result with its
 * confidence, and a record whose confidence is below the archive's review threshold
 * (DG_CLASSIFY_REVIEW_THRESHOLD by default: the caller compares) goes to the archivist's
 * review queue. The archivist's confirmations and corrections come back through
 * dg_classifier_learn(), so the classifier improves on the archive's own records.
 *
 * Two signals are combined:
 *   (a) keyword rules: a pattern, the category (and optionally the record type) it points
 *       to, and a weight. dangan ships defaults in simplified Chinese and English; rules
 *       match folded text (base/fold.h: traditional -> simplified, full-width -> ASCII,
 *       then ASCII lowercased), so a simplified keyword also matches traditional text. An
 *       archive adds and removes its own rules; the rule set serialises to text the engine
 *       keeps in its settings.
 *   (b) a multinomial naive Bayes model over folded text: character unigrams and bigrams of
 *       runs of Han characters (base/chars.h), lowercased and lightly stemmed words of Latin
 *       runs, each feature counted once per record. It is trained from labelled examples,
 *       learns incrementally, and serialises to a text blob the engine keeps in its
 *       catalog. Counts are integers, so a model that is saved and loaded predicts exactly
 *       what it predicted before.
 * A rule that names a form (the administrative types: regulation, minutes, notice, report,
 * plan) counts in full for the type but only a quarter for the administrative category:
 * every category issues regulations and notices, and the subject must decide the category.
 * The model's per-class log-likelihoods are tempered by record length (long records would
 * otherwise make naive Bayes certain of everything) and each fired rule adds its weight
 * to its class's score; a softmax turns the scores into probabilities. The category is the
 * most probable one; the type is the most probable type within it.
 *
 * The taxonomy: the categories are the engine's (engine/vocab.h: English key, code of
 * BRIEF.md, Chinese label), in whose order dg_class numbers them; the record types, with
 * their English names, Chinese labels and categories, are the one table in classify.c.
 * Everything else refers to both through the enums and lookup functions below.
 *
 * A dg_classifier owns an OpenCC converter and a cache of log-probabilities, so it is not
 * safe to share between threads: give each worker its own (load the same saved model and
 * rules into each), or serialise calls.
 */
#ifndef DG_CLASSIFY_H
#define DG_CLASSIFY_H

#include <stddef.h>

#include "../base/status.h"
#include "../engine/vocab.h"

/* ---- the taxonomy ---------------------------------------------------------------------- */

typedef enum dg_class {
    DG_CATEGORY_UNKNOWN = -1,
    DG_CATEGORY_ADMINISTRATIVE = DG_CAT_ADMINISTRATIVE, /* XZ 行政管理类 */
    DG_CATEGORY_PERSONNEL = DG_CAT_PERSONNEL,           /* RS 人事类 */
    DG_CATEGORY_FINANCE = DG_CAT_FINANCE,               /* CW 财务类 */
    DG_CATEGORY_ASSET = DG_CAT_ASSET,                   /* ZC 资产类 */
    DG_CATEGORY_ACTIVITY = DG_CAT_ACTIVITY,             /* HD 活动类 */
    DG_CATEGORY_COUNT = DG_CAT_COUNT
} dg_class;

typedef enum dg_record_type {
    DG_TYPE_UNKNOWN = -1,
    /* administrative */
    DG_TYPE_REGULATION = 0, DG_TYPE_MINUTES, DG_TYPE_NOTICE, DG_TYPE_REPORT, DG_TYPE_PLAN,
    /* personnel */
    DG_TYPE_HIRING, DG_TYPE_DEPARTURE, DG_TYPE_TRAINING, DG_TYPE_APPRAISAL, DG_TYPE_LEAVE,
    /* finance */
    DG_TYPE_BUDGET, DG_TYPE_VOUCHER, DG_TYPE_CONTRACT, DG_TYPE_FEE, DG_TYPE_FINANCIAL_REPORT,
    /* asset */
    DG_TYPE_PURCHASE, DG_TYPE_ASSET_TRANSFER, DG_TYPE_DISPOSAL, DG_TYPE_STOCKTAKING,
    /* activity */
    DG_TYPE_EVENT_PLAN, DG_TYPE_SUMMARY, DG_TYPE_CEREMONY, DG_TYPE_COMPETITION, DG_TYPE_PHOTO,
    DG_TYPE_COUNT
} dg_record_type;

/* "administrative", "personnel", "finance", "asset", "activity"; NULL when out of range. */
const char *dg_class_name(dg_class category);
/* "XZ", "RS", "CW", "ZC", "HD" (dangan's default codes); NULL when out of range. */
const char *dg_class_code(dg_class category);
/* "行政管理类", "人事类", "财务类", "资产类", "活动类"; NULL when out of range. */
const char *dg_class_label(dg_class category);
/* Accepts the name, the code or the label, any ASCII case; DG_CATEGORY_UNKNOWN if none. */
dg_class dg_category_from_string(const char *s);

/* "regulation", "minutes", …, "transfer" (asset), …, "photo"; NULL when out of range. */
const char *dg_record_type_name(dg_record_type type);
/* "规章制度", "会议纪要", …; NULL when out of range. */
const char *dg_record_type_label(dg_record_type type);
/* The category a record type belongs to; DG_CATEGORY_UNKNOWN when out of range. */
dg_class dg_record_type_category(dg_record_type type);
/* Accepts the name or the label; DG_TYPE_UNKNOWN if none. */
dg_record_type dg_record_type_from_string(const char *s);

/* ---- results --------------------------------------------------------------------------- */

/* Records at or above this confidence are filed without review (a sensible default). */
#define DG_CLASSIFY_REVIEW_THRESHOLD 0.6

/* A correction counts as this many training examples: the archivist read the record. */
#define DG_CLASSIFY_LEARN_WEIGHT 3

#define DG_CLASSIFY_MAX_RULE_HITS 16
#define DG_CLASSIFY_TOP_FEATURES 6
#define DG_CLASSIFY_FEATURE_MAX 40
#define DG_RULE_PATTERN_MAX 64

typedef struct dg_rule {
    char pattern[DG_RULE_PATTERN_MAX]; /* folded, lowercased; a trailing '*' = word prefix */
    dg_class category;
    dg_record_type type; /* DG_TYPE_UNKNOWN: the rule speaks for the category only */
    double weight;       /* added to the class score per hit; may be negative */
} dg_rule;

typedef struct dg_rule_hit {
    dg_rule rule;
    int in_heading; /* matched in the first lines (the title), which counts double */
} dg_rule_hit;

typedef struct dg_feature_weight {
    char feature[DG_CLASSIFY_FEATURE_MAX]; /* e.g. "预算", "会议", "reimburs" */
    double weight; /* log-likelihood ratio for the class against the mean of the others */
} dg_feature_weight;

typedef struct dg_classification {
    dg_class category;
    dg_record_type type;
    double confidence;          /* P(category) * P(type | category), in [0,1] */
    double category_confidence; /* P(category) */
    double type_confidence;     /* P(type | category) */
    double category_probability[DG_CATEGORY_COUNT];

    /* The explanation (dangan classify --explain). */
    size_t n_rule_hits;
    dg_rule_hit rule_hits[DG_CLASSIFY_MAX_RULE_HITS];
    size_t n_top_features[DG_CATEGORY_COUNT];
    dg_feature_weight top_features[DG_CATEGORY_COUNT][DG_CLASSIFY_TOP_FEATURES];
    size_t n_type_features;
    dg_feature_weight type_features[DG_CLASSIFY_TOP_FEATURES]; /* for the chosen type */
    size_t n_features;       /* distinct features of the record */
    size_t n_known_features; /* of those, seen in training */
} dg_classification;

/* ---- the classifier -------------------------------------------------------------------- */

typedef struct dg_classifier dg_classifier;

/* A classifier with the default rules and an empty (untrained) model. */
dg_status dg_classifier_new(dg_classifier **out, dg_error *err);

/*
 * A classifier with the default rules and the starter model, trained from the labelled
 * corpus compiled into dangan (ingest/corpus/train.jsonl). Takes a few milliseconds.
 */
dg_status dg_classifier_new_starter(dg_classifier **out, dg_error *err);

void dg_classifier_free(dg_classifier *c);

/*
 * Classifies UTF-8 text of len bytes. Always fills *out; an empty text or an untrained
 * model with no rule hits gives a uniform, low-confidence result.
 */
dg_status dg_classifier_classify(dg_classifier *c, const char *text, size_t len,
                                 dg_classification *out, dg_error *err);

/*
 * dg_classifier_classify, also handing back in *as_index (malloc'd; NULL on failure) the
 * text as the index folds it (dg_text_folder_fold, before the classifier lowercases it),
 * which ingest passes to the index so that the text is folded once, not twice.
 */
dg_status dg_classifier_classify_folding(dg_classifier *c, const char *text, size_t len,
                                         dg_classification *out, char **as_index,
                                         dg_error *err);

/*
 * dg_classifier_classify_folding in two halves, for threads that share one classifier.
 * dg_classifier_prepare folds text for the classifier into *folded (malloc'd) and, if
 * as_index is not NULL, as the index folds it into *as_index; it changes the classifier (the
 * converter's memory of runs, the cache of log-probabilities), so callers serialise it.
 * dg_classifier_decide classifies the folded text and only reads the classifier: threads
 * may decide at once, while no call prepares with a model trained since its last prepare
 * (training marks the cache stale; prepare brings it up to date). It fills *out as
 * dg_classifier_classify does, but for the explanation (no top features): the same
 * category, type and confidences.
 */
dg_status dg_classifier_prepare(dg_classifier *c, const char *text, size_t len, char **folded,
                                char **as_index, dg_error *err);
dg_status dg_classifier_decide(const dg_classifier *c, const char *folded,
                               dg_classification *out, dg_error *err);

/*
 * Adds one training example with weight 1. type may be DG_TYPE_UNKNOWN (the type model is
 * then left alone); if it is given it must belong to category.
 */
dg_status dg_classifier_train(dg_classifier *c, const char *text, size_t len,
                              dg_class category, dg_record_type type, dg_error *err);

/*
 * Learns from the archivist's confirmation or correction: the same as training with
 * weight DG_CLASSIFY_LEARN_WEIGHT, so one correction moves similar records.
 */
dg_status dg_classifier_learn(dg_classifier *c, const char *text, size_t len,
                              dg_class category, dg_record_type type, dg_error *err);

/*
 * Trains from JSON Lines held in memory: one object per line with "text", "category"
 * (name, code or label) and optionally "type". name labels error messages ("train.jsonl:
 * line 7: ..."). Blank lines are skipped; any bad line fails the whole call, after the
 * lines before it were learnt.
 */
dg_status dg_classifier_train_jsonl(dg_classifier *c, const char *data, size_t len,
                                    const char *name, dg_error *err);

/* The number of training examples (by weight) the model has seen. */
size_t dg_classifier_example_count(const dg_classifier *c);

/*
 * Serialises the model (not the rules) to a NUL-terminated text blob; *out is freed by
 * the caller with free(), *len excludes the NUL. The format starts "dangan-nb 1".
 */
dg_status dg_classifier_save_model(const dg_classifier *c, char **out, size_t *len,
                                   dg_error *err);

/* Replaces the model with one saved by dg_classifier_save_model(); on failure
 * (DG_ERR_CORRUPT, naming the line) the old model is kept. */
dg_status dg_classifier_load_model(dg_classifier *c, const char *data, size_t len,
                                   dg_error *err);

/* ---- rules ----------------------------------------------------------------------------- */

/*
 * Adds a rule. The pattern is folded and lowercased before it is stored (so 財務 and 财务
 * are the same rule). A pattern made of ASCII letters matches whole words only ("fee" does
 * not fire on "feedback"); a trailing '*' makes it a word prefix ("reimburs*"). CJK
 * patterns match anywhere. type, when given, must belong to category. Adding a rule that
 * exists (same pattern, category, type) replaces its weight. DG_ERR_USAGE for an empty or
 * over-long pattern, one with a tab or newline, or a type outside its category.
 */
dg_status dg_classifier_add_rule(dg_classifier *c, const char *pattern, dg_class category,
                                 dg_record_type type, double weight, dg_error *err);

/* Removes the rule with this pattern (folded like add), category and type;
 * DG_ERR_NOT_FOUND when there is none. */
dg_status dg_classifier_remove_rule(dg_classifier *c, const char *pattern,
                                    dg_class category, dg_record_type type, dg_error *err);

/* The rules in order of addition; i < dg_classifier_rule_count(). */
size_t dg_classifier_rule_count(const dg_classifier *c);
const dg_rule *dg_classifier_rule(const dg_classifier *c, size_t i);

/* Drops every rule (an archive that wants only its own) or restores the defaults. */
void dg_classifier_clear_rules(dg_classifier *c);
dg_status dg_classifier_reset_rules(dg_classifier *c, dg_error *err);

/*
 * Serialises the rules as text: a "dangan-rules 1" line, then one rule per line:
 * weight TAB category-name TAB type-name-or-"-" TAB pattern. *out is freed with free().
 */
dg_status dg_classifier_save_rules(const dg_classifier *c, char **out, dg_error *err);

/* Replaces all rules with those in text (as saved); on failure (DG_ERR_CORRUPT, naming the
 * line) the old rules are kept. */
dg_status dg_classifier_load_rules(dg_classifier *c, const char *text, size_t len,
                                   dg_error *err);

/* ---- explanation ----------------------------------------------------------------------- */

/*
 * Formats a classification as the multi-line, human-readable explanation that
 * `dangan classify --explain` prints: the decision, the probabilities per category, the
 * rules that fired and the features that weighed most for each category. *out is freed
 * with free().
 */
dg_status dg_classification_explain(const dg_classification *r, char **out, dg_error *err);

#endif
