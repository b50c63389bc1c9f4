/*
 * log.h — the access log (查阅登记): append-only and hash-chained.
 *
 * Every read, change and refusal in the engine appends one entry: when, who (login and
 * origin), what action, which record and version or which query and how many hits, and
 * the outcome. Each entry carries the SHA-256 of its predecessor and its own SHA-256 over
 * its fields and that link, so an entry edited, deleted, inserted or reordered in the
 * catalog file breaks the chain and dg_log_verify() names the first broken entry.
 * (Someone who rewrites the whole chain from the break onwards is caught only by an
 * earlier recorded head hash: auditors keep the head that `dangan log verify` prints.)
 *
 * Only auditors and admins read the log; reading it is itself logged.
 */
#ifndef DG_LOG_H
#define DG_LOG_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"
#include "user.h"

/*
 * What one entry keeps of a text field (the query, the reference code, the detail): up to
 * this many bytes as given. A longer text is kept as its first DG_LOG_MAX_TEXT bytes (cut
 * at a character boundary), then " … [N bytes, SHA-256 H]" naming its full length and the
 * hash of the whole, so an auditor can still match it, and a caller who sends 4 MiB
 * queries cannot fill the catalog's disk through the log.
 */
#define DG_LOG_MAX_TEXT 1024

/* One thing that happened. NULL strings and hits < 0 / version <= 0 mean "not applicable". */
typedef struct dg_log_event {
    const char *action;  /* "search", "show", "add", "edit", "login", ... */
    const char *refcode;
    int version;
    const char *query;
    long hits;
    const char *outcome; /* "ok", "refused", "not_found", "error" */
    const char *detail;
} dg_log_event;

/*
 * Appends an entry in its own transaction. actor may be NULL for an unknown caller, whose
 * OS login then goes in login.
 */
dg_status dg_log_append(dg_archive *archive, const dg_actor *actor, const char *login,
                        const dg_log_event *event, dg_error *err);

/* The same, inside a write transaction the caller already holds (so a change and its
 * log entry commit together). */
dg_status dg_log_append_in_txn(dg_archive *archive, const dg_actor *actor, const char *login,
                               const dg_log_event *event, dg_error *err);

typedef struct dg_log_entry {
    int64_t id;
    char *at, *login, *origin, *action, *refcode, *query, *outcome, *detail;
    int version;
    long hits;
    char *hash, *prev_hash;
} dg_log_entry;

typedef struct dg_log_filter {
    const char *login;
    const char *action;
    const char *refcode;
    const char *since; /* YYYY-MM-DD or full timestamp, inclusive */
    const char *until; /* exclusive */
    size_t limit;      /* 0: no limit */
} dg_log_filter;

/* Reads entries oldest first (auditor or admin). Free with dg_log_entries_free(). */
dg_status dg_log_read(dg_archive *archive, const dg_actor *actor, const dg_log_filter *filter,
                      dg_log_entry **entries, size_t *count, dg_error *err);
void dg_log_entries_free(dg_log_entry *entries, size_t count);

typedef struct dg_log_check {
    uint64_t entries;
    char head[65];        /* hash of the newest entry */
    int64_t first_broken; /* id of the first entry that fails, 0 when the chain is whole */
    char reason[256];
} dg_log_check;

/*
 * Walks the whole chain (auditor or admin). DG_OK with first_broken = 0 when whole;
 * DG_OK with first_broken and reason set when broken (a finding, not a failure to run).
 */
dg_status dg_log_verify(dg_archive *archive, const dg_actor *actor, dg_log_check *out,
                        dg_error *err);

#endif
