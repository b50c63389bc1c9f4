/*
 * lock.h — the archive's write lock. Private to engine/.
 *
 * Writers are serialised by write.lock (flock), so any number of processes may use one
 * archive: readers never wait, a second writer waits for the first and is told so through
 * the wait handler (archive.h). Waiting is fair: a writer that gives the lock back and takes
 * it again at once (an ingest between its holds) lets one that was waiting go first. The writable index is open only while the lock is held.
 * A writer leaves a mark in the archive folder while it holds the lock; a writer that
 * finds the mark knows the last one died holding it, and removes the objects that writer
 * stored but never committed (the crash sweep).
 */
#ifndef DG_LOCK_H
#define DG_LOCK_H

#include "../index/index.h"
#include "../base/status.h"

typedef struct dg_archive dg_archive;

/*
 * Takes the archive's write lock (waiting, with one call to the wait handler after a
 * second), sweeps what a crashed writer left, opens the index for writing and brings its
 * synonym table up to date (synonym_table.h). Calls nest; each needs its unlock.
 */
dg_status dg_archive_lock_write(dg_archive *archive, dg_error *err);
void dg_archive_unlock_write(dg_archive *archive);

/* Leaves the writing mark at unlock, so the next writer removes the objects no record
 * uses (as after a crash): for a failed write that could not remove its own. */
void dg_archive_keep_writing_mark(dg_archive *archive);

/* The writable index (only with the write lock held). */
dg_status dg_archive_index_writer(dg_archive *archive, dg_index **out, dg_error *err);

/* Calls visit with the name of each file in the object store that the catalog's objects
 * table does not know (objects no version uses, or stray files), in no order. */
dg_status dg_archive_each_unknown_object(dg_archive *archive,
                                         dg_status (*visit)(const char *name, void *ctx),
                                         void *ctx, dg_error *err);

/* 1 when another process holds the write lock now (it is taken and given back at once). */
int dg_archive_write_locked_elsewhere(dg_archive *archive);

/* When a writer died holding the lock, takes and releases it, which sweeps what that
 * writer left (for the opener, which may never write itself). */
dg_status dg_archive_sweep_crashed_write(dg_archive *archive, dg_error *err);

#endif
