/*
 * indexer.h — keeping the full-text index (index/index.h) in step with the catalog, which
 * is the truth the index is derived from.
 *
 * Every write queues its versions in the transaction that writes them (record_internal.h)
 * and flushes the queue after its commit, under the write lock; a version that cannot be
 * indexed (its text damaged, text the index refuses) stays queued with its reason, verify
 * lists it and reindex retries it, so one bad record never stops the archive. A rebuild
 * builds a whole new index beside the live one and swaps it in; one that fails or is
 * killed stays owed, and the next process to open the archive resumes it
 * (archive_open.c).
 */
#ifndef DG_INDEXER_H
#define DG_INDEXER_H

#include <stddef.h>
#include <stdint.h>

#include "../index/index.h"
#include "actor.h"
#include "../base/status.h"

typedef struct dg_archive dg_archive;

/* What a reindex did: versions indexed, and each version that could not be ("REF version
 * N: reason"; it stays in the index queue, verify lists it, the next reindex retries it). */
typedef struct dg_reindex_report {
    uint64_t versions;
    char **failed;
    size_t n_failed;
} dg_reindex_report;

/*
 * Rebuilds the index from the catalog (archivist or admin), reporting progress. The new
 * index is built beside the live one and swapped in whole: searches meanwhile see the old
 * one, and a reindex that fails or is killed leaves it as it was (the next process to open
 * the archive resumes the rebuild). A version whose text cannot be indexed is left out and
 * reported in out; the others are indexed and the call succeeds. A damaged catalog fails
 * it (DG_ERR_CORRUPT) before anything is built. Clear out with dg_reindex_report_clear().
 */
dg_status dg_reindex(dg_archive *archive, const dg_actor *actor, dg_reindex_report *out,
                     dg_error *err);
void dg_reindex_report_clear(dg_reindex_report *report);

/* ---- for the engine ------------------------------------------------------------------ */

/* Versions that could not be indexed, with the reason for each ("REF version N: why"). */
typedef struct dg_index_failures {
    int64_t *ids;
    char **reasons;
    size_t count, cap;
} dg_index_failures;

dg_status dg_index_failures_add(dg_index_failures *f, int64_t version_id, const char *reason,
                                dg_error *err);
void dg_index_failures_free(dg_index_failures *f);

/* Keeps each failed version in the index queue with its reason and the time (inside the
 * caller's write transaction). */
dg_status dg_archive_queue_failures(dg_archive *archive, const dg_index_failures *f,
                                    dg_error *err);

/*
 * The setting that says the index owes a rebuild: set before a rebuild starts, cleared in
 * the transaction that records its outcome, so a killed or failed rebuild is resumed by the
 * next process that opens the archive (and listed by verify meanwhile).
 */
#define DG_REBUILD_OWED "index_rebuild_owed"
/* Why the last rebuild failed; while it is set, opening the archive does not retry the
 * rebuild (an explicit reindex does). */
#define DG_REBUILD_FAILED "index_rebuild_failed"
/* The value of DG_REBUILD_OWED in an archive just restored from a backup (backup.h): its
 * index was never built. Opening it does not build one (that is reindex's, at indexing
 * speed, with progress), and searches refuse until reindex has. */
#define DG_REBUILD_RESTORED "restored"

/*
 * Builds a new index from every live version of the catalog beside the live one and swaps
 * it in (index.h), so searches see the old index until the new one is whole; then empties
 * the queue but for the versions that could not be indexed, which stay queued with their
 * reasons (and are listed in *failed when not NULL). A damaged catalog (quick_check) fails
 * it before anything is built. Takes the write lock.
 */
dg_status dg_archive_rebuild_index(dg_archive *archive, uint64_t *versions,
                                   dg_index_failures *failed, dg_error *err);

/*
 * Indexes the queued versions (with retry_failed, also those that failed before; without,
 * only new work) and removes them from the queue. A version that cannot be indexed stays
 * queued with its reason and is added to *failed; the others are indexed and committed.
 * Fails only when the catalog or the index as a whole fails. Needs the write lock.
 */
dg_status dg_archive_flush_index_queue(dg_archive *archive, int retry_failed,
                                       dg_index_failures *failed, dg_error *err);

/* Indexes the queued work of a write just committed (write lock held). A version that
 * cannot be indexed stays queued with its reason and fails the call with DG_ERR_INDEX,
 * which names it: the write itself is committed. */
dg_status dg_index_pending(dg_archive *archive, dg_error *err);

/*
 * (Re)writes the index document of one version (or deletes it, when the version is gone or
 * destroyed). A failure of this version's own content (its text object damaged or missing,
 * text the index refuses) is set in *skip, naming the record and version, and the call
 * returns DG_OK; only a catalog or index failure fails it.
 */
dg_status dg_record_index_version(dg_archive *archive, dg_index *index, int64_t version_id,
                                  dg_error *skip, dg_error *err);

/* Removes the indexed versions (ids[i] with failed[i] 0) from the queue and keeps the
 * failed ones with their reasons, in one catalog transaction: after the index committed. */
dg_status dg_index_queue_settle(dg_archive *archive, const int64_t *ids, const char *failed,
                                size_t count, const dg_index_failures *failures, dg_error *err);

/*
 * A version read from the catalog now and indexed later, on another thread (index_pipe.h):
 * dg_index_job_read reads it on the catalog's thread (inside the transaction that wrote it,
 * which it sees), with body the text the caller stored as the version's text object, which
 * the store may not have named yet, and folded that text as dg_index_fold folds it when the
 * caller has it (or NULL: the index folds it); dg_index_job_put then touches only the index, as
 * dg_record_index_version would have (a failure of the version's own content in *skip,
 * "REF version N: why"). A reader keeps its statements compiled from one version to the
 * next; it belongs to the archive handle's thread.
 */
typedef struct dg_index_reader dg_index_reader;
typedef struct dg_index_job dg_index_job;
dg_status dg_index_reader_open(dg_archive *archive, dg_index_reader **out, dg_error *err);
void dg_index_reader_close(dg_index_reader *reader);
dg_status dg_index_job_read(dg_archive *archive, dg_index_reader *reader, int64_t version_id,
                            const char *body, const char *folded, dg_index_job **out,
                            dg_error *err);
dg_status dg_index_job_put(dg_index *index, const dg_index_job *job, dg_error *skip,
                           dg_error *err);
int64_t dg_index_job_version(const dg_index_job *job);
void dg_index_job_free(dg_index_job *job);

#endif
