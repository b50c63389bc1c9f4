/*
 * register_cover.h — what the printed destruction register (销毁清册) needs besides its
 * rows, added to a `register list` response on the server side: the archive's name, the
 * full names of the people the rows name by login (appraiser, approver, witnesses), each
 * row's time of destruction in the archive's time zone, and, per review year, the signed
 * log checkpoint that covers the destruction. The client prints it (cli/report_pdf.h).
 */
#ifndef DG_REGISTER_COVER_H
#define DG_REGISTER_COVER_H

#include <jansson.h>

#include "../base/status.h"
#include "../engine/archive.h"
#include "../engine/user.h"

/*
 * Adds to result (a `register list` response with "entries") the fields "archive",
 * "names" ({login: full name}), "reviews" ([{"year", "destroyed_at_local", "checkpoint",
 * "checkpoint_at_local"}], one per review year in the entries, checkpoint null when no
 * checkpoint was signed after the destruction), and "destroyed_local" on each entry.
 * Called as actor, with the register's own role check.
 */
dg_status dg_register_cover_add(dg_archive *archive, const dg_actor *actor, json_t *result,
                                dg_error *err);

#endif
