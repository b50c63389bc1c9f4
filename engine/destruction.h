/*
 * destruction.h — witnessed destruction of records and the permanent destruction
 * register (销毁清册).
 *
 * Destruction is resumable: each record goes from 'witnessed' to 'destroying' in one
 * catalog transaction that writes its register entry (and the log entry carrying the
 * entry's hash) and deletes its catalog rows; its object files and index documents
 * follow; only when the index has been compacted and the catalog's write-ahead log
 * truncated are the records marked 'destroyed'. A run killed anywhere is completed by
 * the next run; nothing is left half destroyed, and nothing destroyed can come back
 * (catalog triggers forbid it). The caller (retention/) has checked that the review was
 * approved and witnessed by the right people; this module checks the states again.
 */
#ifndef DG_DESTRUCTION_H
#define DG_DESTRUCTION_H

#include <stddef.h>
#include <stdint.h>

#include "../base/status.h"
#include "user.h"

typedef struct dg_archive dg_archive;

typedef struct dg_destroy_result {
    uint64_t destroyed;   /* records destroyed by this run (including resumed ones) */
    uint64_t objects;     /* object files removed */
    uint64_t held;        /* witnessed records skipped because a hold is in force */
    char **held_refcodes;
} dg_destroy_result;

/*
 * Destroys every witnessed item of a witnessed review whose record is not on hold, and
 * completes any destruction a killed run left 'destroying'. For each record: writes its
 * register entry (with the SHA-256 of every object it used, the appraiser, approver,
 * witnesses, time and method) and a log entry carrying the entry's hash; deletes its
 * versions, pages, grants and queue rows and the batch journal's rows naming it (its file,
 * and copies reported as duplicates of it) (secure delete), keeping the record row so its
 * reference code is never reused; deletes its review decisions and, if it had any,
 * forgets the classifier's saved model (class_review.h); removes each object no other
 * record uses (overwritten with zeros, then unlinked) and its index documents; compacts
 * the index into a fresh folder swapped in atomically; checkpoints and truncates the
 * catalog's write-ahead log.
 * The review becomes 'destroyed' when no witnessed item is left.
 */
dg_status dg_review_destroy(dg_archive *archive, const dg_actor *actor, int64_t review_id,
                            const char *method, dg_destroy_result *out, dg_error *err);
void dg_destroy_result_free(dg_destroy_result *result);

typedef struct dg_register_entry {
    int64_t serial;
    int review_year, year, period_served, page_count, versions;
    int level; /* the record's access level when destroyed (not part of the hash) */
    char *refcode, *title, *category, *record_type, *period, *objects;
    char *appraiser, *approver, *witness1, *witness2;
    char *destroyed_at, *destroyed_by, *method, *remarks, *row_hash;
    int intact; /* the row's hash matches the log entry that recorded it */
} dg_register_entry;

/* The register (year 0: every review year), oldest first, each checked against the log. */
dg_status dg_register_list(dg_archive *archive, int review_year, dg_register_entry **out,
                           size_t *count, dg_error *err);
void dg_register_free(dg_register_entry *entries, size_t count);

/*
 * The number of the newest access-log entry that recorded a destruction of review_year's
 * records (the entry carrying a register row's hash), so that a signed checkpoint of at
 * least that size can be cited as covering the destruction. DG_ERR_NOT_FOUND when the
 * register has no entry of that year.
 */
dg_status dg_register_last_log_entry(dg_archive *archive, int review_year, int64_t *entry,
                                     dg_error *err);

/*
 * For the opener (archive_open.c): when a destruction failed or was killed with records
 * left 'destroying' (their catalog rows already gone), deletes their index documents and
 * removes their objects, so that search and verify agree with the catalog at once;
 * compacting the index and marking them destroyed wait for the next `retention destroy`,
 * which needs an actor. Takes the write lock itself.
 */
dg_status dg_destruction_resume(dg_archive *archive, dg_error *err);

/*
 * After a restore (backup.h): every live record whose data key is not in the restored key
 * table was destroyed after the backup was taken. Its rows go as a destruction's do (the
 * catalog row stays, marked destroyed), its objects are removed, and each is logged as
 * "restore.keyless". The index is not touched: a restore builds it afterwards.
 * keys_written (ISO 8601 UTC, or NULL) is when the key backup was written: a record filed
 * after it lacks its key because the key backup is older than the data backup, not
 * because it was destroyed, and the whole call is refused (DG_ERR_CORRUPT naming it).
 */
dg_status dg_destruction_forget_keyless(dg_archive *archive, const dg_actor *actor,
                                        const char *keys_written,
                                        size_t *count, dg_error *err);

#endif
