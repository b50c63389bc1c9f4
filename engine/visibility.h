/*
 * visibility.h — who may see which record: the one rule (index.h states it too) as SQL for
 * the modules that select records, and as a look-up by reference code for the modules that
 * show what others did with records (the access log, batch listings), which must withhold
 * what the reader may not see, and whether the files of an ingest batch may be named to a
 * reader. Private to engine/.
 */
#ifndef DG_VISIBILITY_H
#define DG_VISIBILITY_H

#include <sqlite3.h>

#include "../base/status.h"
#include "actor.h"
#include "loan.h"

/* The SQL condition under which the actor (:clearance, :uid) may see record r at :now:
 * by clearance, by a level-4 grant, or by a current electronic loan (loan.h). Bind all
 * three with dg_bind_actor. */
#define VISIBLE_TO_ACTOR                                                                    \
    "(r.state = 'live' AND (r.level <= min(:clearance, 3) OR (r.level = 4 AND"            \
    " (:clearance = 4 OR EXISTS (SELECT 1 FROM grants g WHERE g.record_id = r.id"           \
    " AND g.user_id = :uid))) OR " DG_LOAN_VISIBLE_SQL "))"

/* The SQL condition that the record id col is the one the typed code param names: its code
 * now, or a provisional code it had before its year was confirmed (refcode_aliases, kept
 * for ever), so every command on a reference code finds the record as show does. */
#define DG_RECORD_NAMED(col, param)                                                         \
    "(" col " IN (SELECT id FROM records WHERE refcode = " param                            \
    " UNION SELECT record_id FROM refcode_aliases WHERE alias = " param "))"

/* Binds :clearance, :uid and :now (the loan clock, base/clock.h) for VISIBLE_TO_ACTOR. */
void dg_bind_actor(sqlite3_stmt *stmt, const dg_actor *actor);

/* What a masked field reads (issue 15: who, when, action and outcome stay). */
#define DG_WITHHELD "已隐去 withheld"

/*
 * Whether what names refcode may be shown to actor: 1 when the record exists and actor may
 * see it, or actor has clearance 4 (a full audit); else 0, for a hidden record exactly as for
 * a missing or destroyed one, so that what is withheld does not tell them apart.
 */
dg_status dg_refcode_shown_to(sqlite3 *db, const dg_actor *actor, const char *refcode,
                              int *shown, dg_error *err);

/* Whether something meant for level (0..4), and not filed, may be shown to actor: a level
 * within their clearance (level 4: clearance 4 only, as no grant can name it yet). */
int dg_level_shown_to(const dg_actor *actor, int level);

/*
 * The files of an ingest batch, named in batch show, the quarantine list and the access log
 * (issue 15): a reader sees a file's name only if they could see what it became, or ran the
 * batch themselves. dg_batch_shown_to: 1 when the actor has clearance 4, ran the batch, or
 * may see every record the batch filed or found a duplicate of and every level its other
 * files were meant for; else 0 (an unknown batch too), so that a file name never tells of a
 * hidden record filed beside it.
 */
dg_status dg_batch_shown_to(sqlite3 *db, const dg_actor *actor, int64_t batch_id, int *shown,
                            dg_error *err);

/* What dg_batch_file_shown_to found about the last batch it was asked about, so that a
 * listing of many files asks once per batch. Start zeroed, for one actor. */
typedef struct dg_batch_memo {
    int known, shown, ran;
    int64_t batch_id;
} dg_batch_memo;

/* Whether a file of batch_id (0: of no batch) that became no record, meant for level, may be
 * named to actor: the batch is shown to them, and they ran it or may see that level. */
dg_status dg_batch_file_shown_to(sqlite3 *db, const dg_actor *actor, dg_batch_memo *memo,
                                 int64_t batch_id, int level, int *shown, dg_error *err);

/* Whether actor ran batch_id. */
dg_status dg_batch_ran_by(sqlite3 *db, const dg_actor *actor, int64_t batch_id, int *ran,
                          dg_error *err);

#endif
