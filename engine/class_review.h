/*
 * class_review.h — the archivist's review queue, and the classifier state the archive learns.
 *
 * Ingest classifies every record it files and stores the classifier's confidence with the
 * version (record.h: class_confidence; -1, stored as NULL, when a person decided). A record
 * is in the review queue while
 *   - its newest version was classified by the machine (class_confidence is set),
 *   - and that filing is uncertain: the confidence is below the archive's review threshold,
 *     or no document date was found (the formation year, and so the reference code's
 *     year, was then guessed as the filing year),
 *   - and nobody has reviewed the record since.
 * Reviewing is either accepting the classification as it is or correcting it; a correction
 * is a new version (dg_record_edit, by a person, class_confidence -1) whose decision is
 * recorded in the version's own transaction (dg_record_change.review). Every decision is a
 * row (record, version, decision, category and type, who, when, why) and an access-log
 * entry, in one transaction.
 *
 * The classifier that learns from these decisions lives above the engine (ingest/), but
 * what it has learnt is archive data and lives here: named text values ("classifier.model",
 * "classifier.rules"), each with a generation number that counts its writes. A writer names
 * the generation it read and is refused (DG_ERR_STATE) when another writer came first, so
 * two archivists who review at the same moment never lose one of their lessons: the loser
 * reloads, learns again and retries. A decision and the model it taught are written in the
 * same transaction.
 *
 * Only archivists and admins review, read or change the classifier's state: the model is
 * built from the text of every record, whatever its level.
 *
 * Destroying a record (destruction.h) also destroys what the classifier learnt from it:
 * in the transaction that deletes the record's rows, its review decisions are deleted and
 * the saved model is forgotten — its value becomes the empty string and its generation
 * moves on, so a writer still holding the old model is refused. An empty model means
 * "rebuild me": the classifier (learn.h) starts again from the starter model and learns
 * every remaining decision, in the order they were made (dg_class_review_lessons), which
 * gives the model that learning those decisions one by one gave.
 */
#ifndef DG_CLASS_REVIEW_H
#define DG_CLASS_REVIEW_H

#include <stddef.h>
#include <stdint.h>

#include "../base/status.h"
#include "user.h"

typedef struct dg_archive dg_archive;

/* The names of the classifier's state values. */
#define DG_STATE_MODEL "classifier.model"
#define DG_STATE_RULES "classifier.rules"

/* The review threshold of an archive that never set one. */
#define DG_CLASS_REVIEW_THRESHOLD_DEFAULT 0.6

/*
 * Reads a state value (archivist or admin). When it was never written, *value is NULL and
 * *generation 0. Otherwise *value (NUL-terminated, *len bytes) is freed by the caller.
 */
dg_status dg_classifier_state_get(dg_archive *archive, const dg_actor *actor, const char *name,
                                  char **value, size_t *len, int64_t *generation,
                                  dg_error *err);

/*
 * Replaces a state value (archivist or admin), provided its generation is still the one
 * the caller read (0: never written); DG_ERR_STATE when someone wrote it since. Logged
 * as action "classifier" with detail (what changed, e.g. "rule added: 报销 -> finance").
 */
dg_status dg_classifier_state_put(dg_archive *archive, const dg_actor *actor, const char *name,
                                  const char *value, int64_t generation, const char *detail,
                                  dg_error *err);

/* The archive's review threshold (DG_CLASS_REVIEW_THRESHOLD_DEFAULT until set). */
dg_status dg_class_review_threshold(dg_archive *archive, double *threshold, dg_error *err);

/* Sets the review threshold, a confidence in [0, 1] (archivist or admin). Logged. */
dg_status dg_class_review_set_threshold(dg_archive *archive, const dg_actor *actor, double threshold,
                                  dg_error *err);

/* Why a record waits for review (a bit set). */
enum {
    DG_CLASS_REVIEW_LOW_CONFIDENCE = 1u << 0, /* classified below the threshold */
    DG_CLASS_REVIEW_NO_DATE = 1u << 1,        /* no document date found: the year was guessed */
    DG_CLASS_REVIEW_NO_TYPE = 1u << 2         /* filed without a record type (e.g. a manifest
                                                 row gave only the category) */
};

typedef struct dg_class_review_item {
    char *refcode, *title, *category, *record_type, *doc_date, *filed_at, *source_file;
    int version, level, year;
    double class_confidence;
    unsigned reasons;
} dg_class_review_item;

/*
 * Lists the review queue as the actor sees it (archivist or admin): only records within
 * the actor's clearance, least confident first, skipping offset and returning at most
 * limit items (0: all). threshold < 0 means the archive's. *total counts the whole queue
 * the actor may see. Logged as "review list" with the count. Free with
 * dg_class_review_items_free().
 */
dg_status dg_class_review_list(dg_archive *archive, const dg_actor *actor, double threshold,
                         size_t limit, size_t offset, dg_class_review_item **items, size_t *count,
                         uint64_t *total, dg_error *err);
void dg_class_review_items_free(dg_class_review_item *items, size_t count);

typedef enum { DG_CLASS_REVIEW_ACCEPTED, DG_CLASS_REVIEW_CORRECTED } dg_class_review_decision;

/* "accepted", "corrected". */
const char *dg_class_review_decision_name(dg_class_review_decision decision);

/* One review decision and, optionally, the model it taught. */
typedef struct dg_class_review_entry {
    const char *refcode;
    int version;                 /* the version decided on: must be the record's newest */
    dg_class_review_decision decision;
    const char *reason;          /* may be NULL for an acceptance */
    const char *model;           /* the classifier's model after learning, or NULL */
    int64_t model_generation;    /* the generation of the model it was learnt onto */
} dg_class_review_entry;

/*
 * Records a decision on a record the actor may see (archivist or admin), and the model
 * when given, in one transaction with its log entry ("review", detail "accepted
 * finance/voucher" or "corrected ..."). DG_ERR_STATE when the version is not the newest
 * (the record changed meanwhile) or the model's generation is stale; DG_ERR_EXISTS when
 * that version was reviewed already.
 */
dg_status dg_class_review_record(dg_archive *archive, const dg_actor *actor,
                           const dg_class_review_entry *entry, dg_error *err);

/* One remembered decision, as the classifier learnt it. */
typedef struct dg_class_lesson {
    const char *refcode;
    int version;                  /* the version decided on */
    dg_class_review_decision decision;
    const char *category;         /* the confirmed category (engine key) */
    const char *record_type;      /* and type, or NULL */
    const char *text;             /* that version's text, NUL-terminated ("" when none) */
    size_t len;
} dg_class_lesson;

typedef dg_status (*dg_class_lesson_fn)(const dg_class_lesson *lesson, void *ctx,
                                        dg_error *err);

/*
 * Hands every review decision of a live record to fn, oldest decision first, with the
 * decided version's text (archivist or admin). There is NO clearance check and nothing
 * is logged: this is only for retraining the classifier's own model, which is never
 * shown to users; do not use it to show anyone a record. A non-DG_OK return from fn
 * stops the walk and is returned. DG_ERR_STATE when a record was destroyed during the
 * walk (its text is gone): read the model again and retry.
 */
dg_status dg_class_review_lessons(dg_archive *archive, const dg_actor *actor,
                                  dg_class_lesson_fn fn, void *ctx, dg_error *err);

#endif
