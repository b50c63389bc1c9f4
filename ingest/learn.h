/*
 * learn.h — the archive's own classifier: loading it, teaching it from the archivist's
 * reviews, its rules, and explaining and measuring it.
 *
 * A fresh archive classifies with the starter model (classify.h, trained from the corpus
 * compiled into dangan) and the default keyword rules. Every time an archivist accepts a
 * classification (dg_learn_accept) or corrects one (dg_learn_correct), the classifier
 * learns the record's text under the confirmed category and type, and the model is saved
 * in the archive (engine/class_review.h) together with the review decision, so the next
 * ingest — in any process — classifies similar records the way the archivist did. The archive's
 * keyword rules are kept there too (dg_rules_*). A correction's new version, its decision
 * and the model it taught are written in one transaction.
 *
 * Destroying a reviewed record makes the engine forget the saved model (class_review.h).
 * Whoever next needs it (dg_learn_open: ingest's filer, explain, eval; or the next review)
 * rebuilds it: the starter model taught every remaining decision again, in the order they
 * were made, which is the model those reviews had built; dg_learn_open saves it.
 *
 * Everything here goes through the engine as the actor: records are read with clearance
 * checks and logged, corrections are new versions (dg_record_edit), and only archivists and
 * admins may read or change what the classifier has learnt.
 */
#ifndef DG_LEARN_H
#define DG_LEARN_H

#include "../engine/archive.h"
#include "../engine/refcode.h"
#include "../engine/user.h"
#include "classify.h"
#include "classify_eval.h"

/*
 * Opens the archive's classifier: its saved model, else the starter model; its saved
 * rules, else the defaults. A model a destruction forgot is rebuilt from the remaining
 * review decisions and saved (logged as "classifier"). The generations say which saved
 * values were read (0: none). Free with dg_classifier_free().
 */
dg_status dg_learn_open(dg_archive *archive, const dg_actor *actor, dg_classifier **out,
                        int64_t *model_generation, int64_t *rules_generation, dg_error *err);

/* What a review did. */
typedef struct dg_learn_result {
    char refcode[DG_REFCODE_MAX];
    int version;       /* the version reviewed (for a correction, the new one) */
    char category[32]; /* the confirmed category (engine key, e.g. "finance") */
    char type[32];     /* and type, or "" */
    char period[8];    /* the retention period of that version */
    int level;
    int changed;       /* a new version was written */
    int learnt;        /* the classifier learnt from the record's text (0: it has none) */
} dg_learn_result;

/*
 * Confirms the classification of a record's newest version as it is: records the decision
 * and teaches the classifier (archivist or admin). reason may be NULL. DG_ERR_EXISTS when
 * the version was reviewed already.
 */
dg_status dg_learn_accept(dg_archive *archive, const dg_actor *actor, const char *refcode,
                          const char *reason, dg_learn_result *out, dg_error *err);

/* A correction of a record's classification. */
typedef struct dg_correction {
    const char *refcode;
    const char *category; /* required: name, code or label */
    const char *type;     /* NULL: keep the current type if it belongs to the category */
    const char *reason;   /* required */
    const char *period;   /* NULL: the schedule's period for the category and type */
    const int *level;     /* NULL: raised to the category's default (personnel 2) if lower */
} dg_correction;

/*
 * Reclassifies a record (archivist or admin): a new version with the category and type,
 * the retention period the schedule gives them, at least the category's default level,
 * and class_confidence -1 (decided by a person); then records the correction and teaches
 * the classifier. Giving the record's current category and type is an acceptance.
 * DG_ERR_USAGE for an unknown category or a type outside it.
 */
dg_status dg_learn_correct(dg_archive *archive, const dg_actor *actor, const dg_correction *c,
                           dg_learn_result *out, dg_error *err);

/*
 * Classifies the newest text of a record with the archive's classifier and explains the
 * decision (archivist or admin, within clearance). *explanation (dg_classification_explain's
 * text) is freed by the caller; *stored_category and *stored_type receive what the record
 * is filed as (freed by the caller).
 */
dg_status dg_learn_explain(dg_archive *archive, const dg_actor *actor, const char *refcode,
                           dg_classification *out, char **explanation, char **stored_category,
                           char **stored_type, dg_error *err);

/*
 * Evaluates the archive's classifier on labelled JSON Lines in memory (classify_eval.h);
 * threshold < 0 means the archive's review threshold. Nothing is learnt.
 */
dg_status dg_learn_eval(dg_archive *archive, const dg_actor *actor, const char *data, size_t len,
                        const char *name, double threshold, dg_eval_report *out, dg_error *err);

/* One of the archive's rules, and whether it is one of dangan's defaults as shipped. */
typedef struct dg_archive_rule {
    dg_rule rule;
    int is_default;
} dg_archive_rule;

/* The archive's rules in order (archivist or admin): a copy, freed with free(). */
dg_status dg_rules_list(dg_archive *archive, const dg_actor *actor, dg_archive_rule **rules,
                        size_t *count, dg_error *err);

/*
 * Adds (or re-weights) a rule, or removes one, in the archive's rule set; the change is
 * logged. category and type are names, codes or labels; type may be NULL. Removing a rule
 * that does not exist is DG_ERR_NOT_FOUND.
 */
dg_status dg_rules_add(dg_archive *archive, const dg_actor *actor, const char *pattern,
                       const char *category, const char *type, double weight, dg_error *err);
dg_status dg_rules_remove(dg_archive *archive, const dg_actor *actor, const char *pattern,
                          const char *category, const char *type, dg_error *err);

/* Restores the default rules (the archive's own are dropped); logged. */
dg_status dg_rules_reset(dg_archive *archive, const dg_actor *actor, dg_error *err);

#endif
