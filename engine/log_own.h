/*
 * log_own.h — a user's own recent access-log entries ("my recent activity").
 *
 * The access log is open to auditors and admins (log.h, dg_log_read); this is the one
 * narrow door through which anyone else may read it: every active account may read the
 * entries made under its own login (what it searched, opened, exported, and what it was
 * refused), never another's, with no filter that could widen it. The read is itself
 * appended to the log (action "log.mine").
 */
#ifndef DG_LOG_OWN_H
#define DG_LOG_OWN_H

#include <stddef.h>

#include "../base/status.h"
#include "actor.h"
#include "archive.h"
#include "log.h"

#define DG_LOG_OWN_DEFAULT 50
#define DG_LOG_OWN_MAX 1000

/*
 * The newest limit entries (1..DG_LOG_OWN_MAX; 0: DG_LOG_OWN_DEFAULT) of actor's own
 * login, oldest first. Free with dg_log_entries_free().
 */
dg_status dg_log_read_own(dg_archive *archive, const dg_actor *actor, size_t limit,
                          dg_log_entry **entries, size_t *count, dg_error *err);

#endif
