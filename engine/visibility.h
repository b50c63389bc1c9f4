/*
 * visibility.h — who may see which record: the one rule (index.h states it too) as SQL for
 * the modules that select records, and as a look-up by reference code for the modules that
 * show what others did with records (the access log, batch listings), which must withhold
 * what the reader may not see. Private to engine/.
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

#endif
