/*
 * archive_internal.h — the dg_archive structure and the services engine modules share:
 * the write lock, the index handles and the log. Private to engine/.
 */
#ifndef DG_ARCHIVE_INTERNAL_H
#define DG_ARCHIVE_INTERNAL_H

#include <sqlite3.h>

#include "../index/index.h"
#include "archive.h"
#include "store.h"
#include "user.h"

struct dg_archive {
    char *path;
    char *index_path;
    char *fonds;
    char *name;
    sqlite3 *db;
    dg_store *store;
    int lock_fd;         /* write.lock, open for the handle's life */
    int write_depth;     /* nested dg_archive_lock_write calls */
    int keep_writing_mark; /* a failed write left objects it could not remove */
    dg_index *writer;    /* open only while the write lock is held */
    dg_index *reader;    /* cached read handle */
    dg_wait_fn on_wait;
    void *wait_ctx;
    dg_progress_fn on_progress;
    void *progress_ctx;
};

/*
 * Takes the archive's write lock (waiting, with one call to the wait handler after a
 * second), and opens the index for writing. Calls nest; each needs its unlock.
 */
dg_status dg_archive_lock_write(dg_archive *archive, dg_error *err);
/* Calls visit with the name of each file in the object store that the catalog's objects
 * table does not know (objects no version uses, or stray files), in no order. */
dg_status dg_archive_each_unknown_object(dg_archive *archive,
                                         dg_status (*visit)(const char *name, void *ctx),
                                         void *ctx, dg_error *err);
void dg_archive_unlock_write(dg_archive *archive);
/* Leaves the writing mark at unlock, so the next writer removes the objects no record
 * uses (as after a crash): for a failed write that could not remove its own. */
void dg_archive_keep_writing_mark(dg_archive *archive);
/* Gives the space reserve back to the disk (archive.c); 1 when there was one. */
int dg_archive_release_space_reserve(dg_archive *archive);

/* The writable index (only with the write lock held) and the cached read handle. */
dg_status dg_archive_index_writer(dg_archive *archive, dg_index **out, dg_error *err);
dg_status dg_archive_index_reader(dg_archive *archive, dg_index **out, dg_error *err);

/* Versions that could not be indexed, with the reason for each ("REF version N: why"). */
typedef struct dg_index_failures {
    int64_t *ids;
    char **reasons;
    size_t count, cap;
} dg_index_failures;

/*
 * Implemented in destruction.c: when a destruction failed or was killed with records left
 * 'destroying' (their catalog rows already gone), deletes their index documents and removes
 * their objects, so that search and verify agree with the catalog at once; compacting the
 * index and marking them destroyed wait for the next `retention destroy`, which needs an
 * actor. Takes the write lock itself.
 */
dg_status dg_destruction_resume(dg_archive *archive, dg_error *err);

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

/*
 * Implemented in search.c: builds a new index from every live version of the catalog
 * beside the live one and swaps it in (index.h), so searches see the old index until the
 * new one is whole; then empties the queue but for the versions that could not be indexed,
 * which stay queued with their reasons (and are listed in *failed when not NULL). A
 * damaged catalog (quick_check) fails it before anything is built. Takes the write lock.
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

/* Reports progress through the handler, if any. */
void dg_archive_progress(dg_archive *archive, const char *what, uint64_t done, uint64_t total);

/* Whether the actor holds any of the roles. */
int dg_actor_has_role(const dg_actor *actor, unsigned roles);



/*
 * Implemented in search.c: (re)writes the index document of one version (or deletes it, when
 * the version is gone or destroyed). A failure of this version's own content (its text
 * object damaged or missing, text the index refuses) is set in *skip, naming the record and
 * version, and the call returns DG_OK; only a catalog or index failure fails it.
 */
dg_status dg_record_index_version(dg_archive *archive, dg_index *index, int64_t version_id,
                                  dg_error *skip, dg_error *err);
#endif
