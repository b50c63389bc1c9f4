/*
 * index_pipe.h — indexing a batch's records on a second thread while the next ones are
 * filed (batch.h). Private to engine/.
 *
 * Under one hold of the write lock, ingest files records in groups, each one catalog
 * transaction (dg_batch_group_begin/commit). Each record's version is read for the index
 * inside its group's transaction, on the filing thread (dg_index_pipe_keep), and kept; when
 * the group commits, its versions go to the pipe's thread, which puts them into the
 * writable index while the filing thread goes on with the next group. Letting go of the
 * hold (dg_index_pipe_finish) waits for the thread, commits the index once, and only then
 * removes the indexed versions from the index queue.
 *
 * So the order that makes a kill safe is the one a single thread keeps: a version reaches
 * the index only after the catalog commit that queued it (never a document whose record a
 * kill or a failed commit undid, even if Xapian flushes on its own), and leaves the queue
 * only after the index commit that holds it. A kill anywhere leaves committed versions
 * queued, and the next writer (or the next process to open the archive) indexes them.
 *
 * Threads: the pipe's thread is the only one to touch the writable index between
 * dg_index_pipe_start and dg_index_pipe_finish; every other call here is the filing
 * thread's, which owns the archive handle.
 */
#ifndef DG_INDEX_PIPE_H
#define DG_INDEX_PIPE_H

#include <stdint.h>

#include "indexer.h"

typedef struct dg_index_pipe dg_index_pipe;

/* Opens the writable index (write lock held) and starts the pipe's thread. */
dg_status dg_index_pipe_start(dg_archive *archive, dg_index_pipe **out, dg_error *err);

/*
 * Reads version_id (written in the open group, whose transaction it sees) with body, the
 * text just stored for it, and folded, that text as the index folds it when the caller has
 * it (or NULL), and keeps it until the group commits. Waits while the thread is far behind,
 * so memory stays bounded.
 */
dg_status dg_index_pipe_keep(dg_index_pipe *pipe, int64_t version_id, const char *body,
                             const char *folded, dg_error *err);

/* After the group's catalog commit: its versions go to the thread. */
void dg_index_pipe_committed(dg_index_pipe *pipe);

/* After a group that did not commit: its versions are forgotten. */
void dg_index_pipe_undone(dg_index_pipe *pipe);

/* Whether the open group should commit now, to give the thread work: it holds 128
 * versions. */
int dg_index_pipe_group_due(dg_index_pipe *pipe);

/*
 * Waits for the thread to put every committed version, stops it, commits the index, and
 * settles the queue (the versions that could not be indexed stay queued with their
 * reasons and are added to *failed). Versions kept but never committed are forgotten.
 * Frees the pipe, also on failure (the versions then stay queued for the next writer).
 */
dg_status dg_index_pipe_finish(dg_index_pipe *pipe, dg_index_failures *failed, dg_error *err);

#endif
