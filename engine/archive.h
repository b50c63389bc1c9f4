/*
 * archive.h — the archive handle: the one way into a dangan archive.
 *
 * An archive is one folder, private to the account that owns it (mode 0700):
 *
 *     catalog.db   the SQLite catalog, the source of truth (engine/catalog.h)
 *     objects/     the content-addressed object store (engine/store.h)
 *     index/       the Xapian full-text index, derived from the catalog (index/index.h)
 *     quarantine/  input files that could not be ingested, with their reasons
 *     write.lock   held by whichever process is writing
 *
 * Everything above the engine — ingest, retention, the command line, the server — opens
 * a dg_archive and calls the engine API (user.h, record.h, search.h, indexer.h, log.h,
 * verify.h, ...); nothing else touches SQLite, the store or the index. A handle belongs to
 * one thread at a time; a multi-threaded server opens one per worker.
 *
 * Writers are serialised by write.lock (flock, lock.c), so any number of processes may use
 * one archive: readers never wait, a second writer waits for the first and is told so
 * through the wait handler. A version is written to the store, then to the catalog (one
 * transaction that also queues it for indexing), then to the index (indexer.c); anything
 * a crash left queued is indexed by the next process that opens the archive for writing.
 *
 * The handle itself is archive.c; dg_archive_create and dg_archive_open are
 * archive_open.c, which sits above the modules whose unfinished work an open completes.
 */
#ifndef DG_ARCHIVE_H
#define DG_ARCHIVE_H

#include <stdint.h>

#include "../base/status.h"

typedef struct dg_archive dg_archive;

/* Called (at most once per wait) when a write must wait for another process's lock. */
typedef void (*dg_wait_fn)(void *ctx, const char *message);

/* Called during long work (reindex, verify, ingest) with items done out of total. */
typedef void (*dg_progress_fn)(void *ctx, const char *what, uint64_t done, uint64_t total);

/*
 * Called once at the start of a program, before any other engine call and before any
 * thread: sets what the engine's libraries allow to be set only for the whole process.
 * SQLite keeps no memory statistics, which it would otherwise count under one process-wide
 * mutex on every allocation of every connection (15% of a log verify's CPU, and a lock
 * every server thread contends for). Without the call the engine works the same, slower.
 */
void dg_archive_process_init(void);

/*
 * Creates a new, empty archive in the folder path (which must not exist or be empty):
 * catalog, store, index and quarantine, all private. fonds is the 4-character fonds
 * code (全宗号) used in reference codes; name is the archive's display name. The account
 * owner_login becomes the first user, with the admin, archivist and auditor roles and
 * clearance 4. The creation is the first entry of the access log.
 */
dg_status dg_archive_create(const char *path, const char *fonds, const char *name,
                            const char *owner_login, const char *owner_name, dg_error *err);

/*
 * Opens an existing archive. Brings the catalog schema up to date and, when no other
 * process is writing, finishes the index work others left: indexes any version a crash
 * left queued, resumes a rebuild that is owed (a reindex killed, or a missing index), and
 * deletes the index documents of a destruction killed half way. That work never fails the
 * open: a version that cannot be indexed stays queued with its reason, a rebuild that
 * fails stays owed, and verify lists both, so one bad record cannot stop the archive.
 */
dg_status dg_archive_open(const char *path, dg_archive **out, dg_error *err);
void dg_archive_close(dg_archive *archive);

void dg_archive_set_wait_handler(dg_archive *archive, dg_wait_fn fn, void *ctx);

/*
 * Closes the archive's read-only index handle, if one is open; the next search opens the
 * index again. A destruction compacts the index into a new folder: a handle opened before
 * it keeps the old, deleted files (with the destroyed record's text) open until it is
 * closed, so a long-running server calls this on its idle readers after every write.
 */
void dg_archive_release_index_reader(dg_archive *archive);
void dg_archive_set_progress_handler(dg_archive *archive, dg_progress_fn fn, void *ctx);

/* Reports progress of long work done above the engine (e.g. ingest) to the handler. */
void dg_archive_report_progress(dg_archive *archive, const char *what, uint64_t done,
                                uint64_t total);

const char *dg_archive_path(const dg_archive *archive);
const char *dg_archive_fonds(const dg_archive *archive);
const char *dg_archive_name(const dg_archive *archive);

#endif
