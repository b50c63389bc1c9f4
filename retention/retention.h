/*
 * retention.h — the rules of retention (保管期限) and witnessed destruction (鉴定销毁).
 *
 * What this module decides, on top of the engine's storage (engine/disposal.h,
 * engine/destruction.h):
 *
 *   - When a record falls due. A period runs from 1 January of the year after the
 *     formation year, so a record formed in year F with a period of N years expires on
 *     1 January of F + 1 + N; a permanent (Y) record never expires. The annual review of
 *     year R queues every record that expired on or before 1 January R, i.e. whose period
 *     ran out by 31 December R - 1.
 *   - Who may do what, and in what order. Per item: queued -> appraised (destroy, extend
 *     or permanent; by an archivist) -> approved (the review, by a leader who appraised
 *     nothing in it) -> witnessed (two distinct witnesses, neither an appraiser nor the
 *     approver, each signing once as themselves) -> destroyed (by an archivist or admin).
 *     Extend and permanent items end 'retained' at approval.
 *   - Which titles a listing may show: titles above the reader's clearance are withheld.
 *
 * Every refusal says why in one line and is logged as "refused" with that reason.
 * A review is named by its year: `dangan retention list 2026`.
 */
#ifndef DG_RETENTION_H
#define DG_RETENTION_H

#include <stddef.h>
#include <stdint.h>

#include "../engine/destruction.h"
#include "../engine/disposal.h"
#include "../base/status.h"
#include "../engine/user.h"

/* Shown instead of a title above the reader's clearance. */
#define DG_RETENTION_WITHHELD "(title withheld: above your clearance)"

/* ---- the expiry rule (pure functions) ------------------------------------------------ */

/* The number of years of a period code (Y -> 0, D30 -> 30, D10 -> 10), or -1 if unknown. */
int dg_retention_period_years(const char *period);

/*
 * The year on whose 1 January a record formed in formation_year with this period expires:
 * formation_year + 1 + years. 0 for a permanent record (never), -1 for an unknown period
 * or an unknown year (0: a provisional record, refcode.h), which never falls due.
 */
int dg_retention_due_year(int formation_year, const char *period);

/* Whether the record has expired on the date (year, month, day): 1 January of its due year
 * or later. A permanent record never has. */
int dg_retention_is_expired(int formation_year, const char *period, int year, int month,
                            int day);

/* The rules the review of review_year queues by (D10 and D30): rules[0..1]. */
void dg_retention_review_rules(int review_year, dg_due_rule rules[2]);

/* ---- who may do what (pure functions) ------------------------------------------------ */

typedef enum {
    DG_STEP_APPRAISE,
    DG_STEP_APPROVE,
    DG_STEP_WITNESS,
    DG_STEP_DESTROY
} dg_retention_step;

/* What the checks need to know about a review. */
typedef struct dg_review_facts {
    const char *state;          /* open, approved, witnessed, destroyed */
    uint64_t items, queued;     /* items in all, and items not yet appraised */
    uint64_t witnessed, destroying;
    const char *approver;       /* login, or NULL */
    const char *const *appraisers;
    size_t n_appraisers;
    const char *const *witnesses;
    size_t n_witnesses;
} dg_review_facts;

/*
 * Whether actor may take step on the review now. DG_OK, or DG_ERR_DENIED (wrong role,
 * or the wrong person: an appraiser approving, the approver or an appraiser witnessing),
 * DG_ERR_EXISTS (signing twice) or DG_ERR_STATE (out of order), with the reason in err.
 */
dg_status dg_retention_check(dg_retention_step step, const dg_actor *actor,
                             const dg_review_facts *facts, dg_error *err);

/* Whether a record at level is shown to actor in listings (grants are not consulted). */
int dg_retention_may_see(const dg_actor *actor, int level);

/* ---- the schedule and holds ---------------------------------------------------------- */

/* Reads the schedule (any account). */
dg_status dg_retention_schedule_list(dg_archive *archive, const dg_actor *actor,
                                     dg_schedule_row **rows, size_t *count, dg_error *err);

/*
 * Sets one schedule row (leader or admin, who thereby approves it). category is a name or
 * code; record_type "", "-", "*" or "default" means the category's default; period is
 * Y/D30/D10 or a legacy name (长期 -> D30, 短期 -> D10). approval names the authority's
 * approval (may be NULL). *changed is 0 when the row already had that period.
 */
dg_status dg_retention_schedule_set(dg_archive *archive, const dg_actor *actor,
                                    const char *category, const char *record_type,
                                    const char *period, const char *approval,
                                    const char *reason, size_t *changed, dg_error *err);

/*
 * Imports a CSV schedule (category,type,period per line; an optional header line; lines
 * starting with # skipped) as one change: all rows or none. A bad line is DG_ERR_USAGE
 * naming the line.
 */
dg_status dg_retention_schedule_import(dg_archive *archive, const dg_actor *actor,
                                       const char *csv, const char *approval,
                                       const char *reason, size_t *rows, size_t *changed,
                                       dg_error *err);

/* Places (place = 1) or releases a hold (archivist, auditor, leader or admin); needs a
 * reason to place. */
dg_status dg_retention_hold(dg_archive *archive, const dg_actor *actor, const char *refcode,
                            const char *reason, int place, dg_error *err);

/*
 * The holds in force (archivist, auditor, leader or admin: who may place them); titles
 * above the actor's clearance are withheld (NULL). Free with dg_hold_infos_free().
 */
dg_status dg_retention_hold_list(dg_archive *archive, const dg_actor *actor,
                                 dg_hold_info **out, size_t *count, dg_error *err);

/* ---- reviews ------------------------------------------------------------------------- */

/*
 * The forecast: live, non-permanent records due within the next within_years years
 * (counted from today; overdue ones included). Archivist, leader or admin. Titles above
 * the actor's clearance are withheld. Nothing changes.
 */
dg_status dg_retention_due(dg_archive *archive, const dg_actor *actor, int within_years,
                           size_t limit, dg_due_record **out, size_t *count, uint64_t *total,
                           dg_error *err);

/* Runs the annual review of year (archivist or admin): see dg_review_open. */
dg_status dg_retention_review(dg_archive *archive, const dg_actor *actor, int year,
                              uint64_t *queued, char state[16], dg_error *err);

/*
 * Reads a review and its items (the destruction list, 销毁清册) for archivists,
 * leaders, witnesses, auditors and admins; titles above clearance are withheld.
 */
dg_status dg_retention_list(dg_archive *archive, const dg_actor *actor, int year,
                            dg_review_info **info, dg_review_item **items, size_t *count,
                            dg_error *err);

/* decision is "destroy", "extend" (years 1-100) or "permanent"; a reason is required.
 * year 0: the latest review that holds the record. */
dg_status dg_retention_appraise(dg_archive *archive, const dg_actor *actor, int year,
                                const char *refcode, const char *decision, int years,
                                const char *reason, dg_error *err);
dg_status dg_retention_approve(dg_archive *archive, const dg_actor *actor, int year,
                               dg_error *err);
/* Signs as the actor; *signatures is the number of signatures afterwards. */
dg_status dg_retention_witness(dg_archive *archive, const dg_actor *actor, int year,
                               int *signatures, dg_error *err);
/* Destroys (or completes destroying) a witnessed review's records. */
dg_status dg_retention_destroy(dg_archive *archive, const dg_actor *actor, int year,
                               dg_destroy_result *out, dg_error *err);

/* The destruction register (archivist, leader, witness, auditor, admin); year 0: all. */
dg_status dg_retention_register(dg_archive *archive, const dg_actor *actor, int year,
                                dg_register_entry **out, size_t *count, dg_error *err);

/*
 * What the printed register adds to its rows, for the same readers as the register:
 * the full name of a person it names by login (appraiser, approver, witness), and the
 * signed log checkpoint that covers a review's destruction — the first kept checkpoint
 * whose log includes the newest entry recording one of the review's destructions
 * (*note, and *at when it was kept, UTC; freed by the caller). The checkpoint is
 * DG_ERR_NOT_FOUND when the review destroyed nothing or none was signed since.
 */
dg_status dg_retention_register_name(dg_archive *archive, const dg_actor *actor,
                                     const char *login, char **name, dg_error *err);
dg_status dg_retention_register_checkpoint(dg_archive *archive, const dg_actor *actor, int year,
                                           char **note, char **at, dg_error *err);

#endif
