/*
 * disposal.h — the storage side of retention (保管期限) and destruction (鉴定销毁): the
 * versioned schedule, holds, annual reviews and their items, witness signatures and the
 * forecast of what falls due.
 *
 * This module owns the tables of catalog migration 2 and performs each step as one
 * catalog transaction together with its log entry. It persists what it is told and
 * refuses only what the catalog itself cannot allow (a step out of order, a second
 * signature by the same person, a record that is not there): the rules of who may do
 * what, and when a record is due, belong to retention/, which calls this API after its
 * checks. Every read here is of metadata (reference codes, titles, levels); callers that
 * show titles apply clearance themselves (see retention.h).
 *
 * Destruction itself and the permanent destruction register are in destruction.h.
 */
#ifndef DG_DISPOSAL_H
#define DG_DISPOSAL_H

#include <stddef.h>
#include <stdint.h>

#include "../base/status.h"
#include "user.h"

typedef struct dg_archive dg_archive;

/* ---- the retention schedule ---------------------------------------------------------- */

/* One row: a category key ("finance"), a type ("" for the category's default), a period. */
typedef struct dg_schedule_row {
    char *category;
    char *record_type;
    char *period;
} dg_schedule_row;

/* Every schedule row, ordered by category then type. Free with dg_schedule_rows_free(). */
dg_status dg_schedule_list(dg_archive *archive, dg_schedule_row **rows, size_t *count,
                           dg_error *err);
void dg_schedule_rows_free(dg_schedule_row *rows, size_t count);

/* One change to apply: category key, type ("" = default), period code (Y, D30, D10). */
typedef struct dg_schedule_change {
    const char *category;
    const char *record_type;
    const char *period;
} dg_schedule_change;

/*
 * Applies changes in one transaction: each row that differs is written, with a history
 * row (old and new period, the actor as approver, approval — e.g. the authority's
 * document — and reason) and a log entry. *changed counts the rows that differed.
 */
dg_status dg_schedule_apply(dg_archive *archive, const dg_actor *actor,
                            const dg_schedule_change *changes, size_t n, const char *approval,
                            const char *reason, size_t *changed, dg_error *err);

/* ---- holds ------------------------------------------------------------------------- */

/* Places a hold on a live record the actor may see (DG_ERR_EXISTS when one is in force;
 * one above their clearance is DG_ERR_NOT_FOUND "no such record", as a missing one). Logged. */
dg_status dg_hold_place(dg_archive *archive, const dg_actor *actor, const char *refcode,
                        const char *reason, dg_error *err);

/* A hold in force, with what its record is called now. */
typedef struct dg_hold_info {
    char *refcode, *title, *reason, *placed_by, *placed_at;
    int level;
} dg_hold_info;

/*
 * The holds in force on live records, ordered by reference code; only the one of refcode
 * when it is not NULL (*count 0 when it has none). Titles are metadata: callers that show
 * them apply clearance (see retention.h). Free with dg_hold_infos_free().
 */
dg_status dg_hold_list(dg_archive *archive, const char *refcode, dg_hold_info **out,
                       size_t *count, dg_error *err);
void dg_hold_infos_free(dg_hold_info *holds, size_t count);

/* Releases the hold in force on a record the actor may see (DG_ERR_NOT_FOUND when none,
 * "REF is not on hold"; "no such record" when the record is missing or above clearance). */
dg_status dg_hold_release(dg_archive *archive, const dg_actor *actor, const char *refcode,
                          const char *reason, dg_error *err);

/* ---- reviews ----------------------------------------------------------------------- */

/* Queue records of this period formed in or before last_year, due in year + offset. */
typedef struct dg_due_rule {
    const char *period;  /* "D10" */
    int last_year;       /* latest formation year that is due */
    int due_offset;      /* due year = formation year + due_offset */
} dg_due_rule;

/*
 * Opens the review of year (creating it when absent) and queues every live record whose
 * current version matches a rule and that is not on hold, not kept beyond year by an
 * approved extension or permanent keeping, and not pending in any review. Queueing twice
 * queues nothing twice. A review past 'open' queues nothing (*queued = 0, *state says why).
 * The run is logged once with the number queued.
 */
dg_status dg_review_open(dg_archive *archive, const dg_actor *actor, int year,
                         const dg_due_rule *rules, size_t n_rules, uint64_t *queued,
                         char state[16], dg_error *err);

typedef struct dg_review_info {
    int64_t id;
    int year;
    char *state;       /* open, approved, witnessed, destroyed */
    char *created_at, *created_by, *approved_by, *approved_at;
    char *witnesses[2]; /* NULL where not signed */
    size_t n_witnesses;
    char **appraisers;  /* distinct logins that appraised items */
    size_t n_appraisers;
    uint64_t items, queued, appraised, approved, retained, witnessed, destroying, destroyed;
    uint64_t held;     /* items whose record is on hold now */
} dg_review_info;

/* Reads the review of year; DG_ERR_NOT_FOUND when there is none. */
dg_status dg_review_get(dg_archive *archive, int year, dg_review_info **out, dg_error *err);
void dg_review_info_free(dg_review_info *info);

typedef struct dg_review_item {
    char *refcode, *title, *category, *record_type, *period;
    int year, level, pages, due_year, on_hold;
    char *state, *decision, *reason, *appraiser, *appraised_at;
    int extend_years;
} dg_review_item;

/* The items of a review, by reference code. Free with dg_review_items_free(). */
dg_status dg_review_items(dg_archive *archive, int64_t review_id, dg_review_item **items,
                          size_t *count, dg_error *err);
void dg_review_items_free(dg_review_item *items, size_t count);

/* Looks up one item of a review by reference code (DG_ERR_NOT_FOUND when absent). */
dg_status dg_review_item_get(dg_archive *archive, int64_t review_id, const char *refcode,
                             dg_review_item **out, dg_error *err);

/* The year of the latest review that holds the record (DG_ERR_NOT_FOUND when none). */
dg_status dg_review_year_of(dg_archive *archive, const char *refcode, int *year, dg_error *err);

/*
 * Records an appraisal of a queued or appraised item of an open review: decision is
 * "destroy", "extend" (extend_years > 0) or "permanent", with a reason. Logged.
 */
dg_status dg_review_appraise(dg_archive *archive, const dg_actor *actor, int64_t review_id,
                             const char *refcode, const char *decision, int extend_years,
                             const char *reason, dg_error *err);

/*
 * Approves an open review whose items are all appraised: destroy items become 'approved';
 * extend and permanent items become 'retained' and their new terms take effect. Logged.
 */
dg_status dg_review_approve(dg_archive *archive, const dg_actor *actor, int64_t review_id,
                            dg_error *err);

/*
 * Adds the actor's witness signature to an approved review (DG_ERR_EXISTS when they have
 * signed). The second signature moves the approved items to 'witnessed' and the review
 * to 'witnessed'. *signatures receives the count after signing. Logged.
 */
dg_status dg_review_sign(dg_archive *archive, const dg_actor *actor, int64_t review_id,
                         int *signatures, dg_error *err);

typedef struct dg_due_record {
    char *refcode, *title, *category, *period;
    int year, level, due_year, on_hold, pending; /* pending: queued in a review */
} dg_due_record;

/*
 * Records due (by the rules, or by an override) in or before until_year, that are live
 * and not permanent: a forecast, nothing changes. At most limit (0: all) are returned,
 * earliest first; *total counts them all.
 */
dg_status dg_due_list(dg_archive *archive, const dg_due_rule *rules, size_t n_rules,
                      int until_year, size_t limit, dg_due_record **out, size_t *count,
                      uint64_t *total, dg_error *err);
void dg_due_records_free(dg_due_record *records, size_t count);

#endif
