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

/* The writable index (only with the write lock held) and the cached read handle. */
dg_status dg_archive_index_writer(dg_archive *archive, dg_index **out, dg_error *err);
dg_status dg_archive_index_reader(dg_archive *archive, dg_index **out, dg_error *err);

/*
 * Implemented in search.c: empties the index and indexes every live version from the
 * catalog, then empties the queue. Takes the write lock itself.
 */
dg_status dg_archive_rebuild_index(dg_archive *archive, uint64_t *versions, dg_error *err);

/*
 * Implemented in destruction.c: when a destruction failed or was killed with records left
 * 'destroying' (their catalog rows already gone), deletes their index documents and removes
 * their objects, so that search and verify agree with the catalog at once; compacting the
 * index and marking them destroyed wait for the next `retention destroy`, which needs an
 * actor. Takes the write lock itself.
 */
dg_status dg_destruction_resume(dg_archive *archive, dg_error *err);

/* Indexes every queued version and empties the queue. Needs the write lock. */
dg_status dg_archive_flush_index_queue(dg_archive *archive, dg_error *err);

/* Reports progress through the handler, if any. */
void dg_archive_progress(dg_archive *archive, const char *what, uint64_t done, uint64_t total);

/* Whether the actor holds any of the roles. */
int dg_actor_has_role(const dg_actor *actor, unsigned roles);



/* Implemented in record.c: (re)writes the index document of one version. */
dg_status dg_record_index_version(dg_archive *archive, dg_index *index, int64_t version_id,
                                  dg_error *err);
#endif
