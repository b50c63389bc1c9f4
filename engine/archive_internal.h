/*
 * archive_internal.h — the dg_archive structure and what archive.c offers the other engine
 * modules about the handle: its parts, the read index handle, progress and the space
 * reserve. The write lock and the writable index are lock.h; the index queue and rebuild,
 * indexer.h. Private to engine/.
 */
#ifndef DG_ARCHIVE_INTERNAL_H
#define DG_ARCHIVE_INTERNAL_H

#include <sqlite3.h>

#include "../index/index.h"
#include "archive.h"
#include "catalog.h"
#include "encryption.h"
#include "keys.h"
#include "log.h"
#include "store.h"

struct dg_archive {
    char *path;
    char *index_path;
    char *fonds;
    char *name;
    sqlite3 *db;
    dg_store *store;
    dg_keys *keys;       /* keys.db when the archive is encrypted, else NULL */
    int lock_fd;         /* write.lock, open for the handle's life */
    int write_depth;     /* nested dg_archive_lock_write calls */
    int keep_writing_mark; /* a failed write left objects it could not remove */
    dg_index *writer;    /* open only while the write lock is held */
    /* The writer's folding tables, read on the first write and lent to every writer after
     * (dg_index_open_folding): a handle that writes again and again (ingest's holds, the
     * server's writes) reads OpenCC's tables once, not at every write. NULL until then. */
    dg_index_folder *writer_folding;
    struct dg_index_pipe *pipe; /* a batch's index thread, under dg_batch_hold (index_pipe.h) */
    dg_index *reader;    /* cached read handle */
    dg_wait_fn on_wait;
    void *wait_ctx;
    dg_progress_fn on_progress;
    void *progress_ctx;
    dg_log_group *log_group; /* shared with the process's other handles, or NULL (log.h) */
    dg_stmt_cache stmts; /* the statements every request runs, compiled once (catalog.h) */
    /* The handle's own connection to the access log's file, opened by the first append in a
     * transaction of its own (log.c), and its kept statements; NULL until then. */
    sqlite3 *log_db;
    dg_stmt_cache log_stmts;
    int log_pending;  /* change entries this handle left in log_pending to append (log.c) */
    int log_flushing; /* appending them now (the flush's own commits run no flush) */
    /* The catalog's page cache as it was before a batch's first hold widened it (batch.c),
     * or 0 while not widened. */
    int64_t cache_before_batch;
    int64_t keys_cache_before_batch; /* the same for keys.db (an encrypted archive's) */
    int sync_lost; /* synchronous=FULL could not be restored after a deferred batch: the
                    * handle refuses every commit until it is (log.c) */
};

/*
 * Opens the handle of the archive in path: its catalog (schema brought up to date), store,
 * identity and write.lock file, and makes the space reserve when there is room. Nothing
 * left by other processes is finished here: dg_archive_open (archive_open.c) does that.
 */
dg_status dg_archive_open_handle(const char *path, dg_archive **out, dg_error *err);

/* The setting that marks an encrypted archive (its value names the scheme). */
#define DG_ENCRYPTION_SETTING "encryption"
#define DG_ENCRYPTION_SCHEME "xchacha20poly1305-per-record-v1"


/*
 * Gives the handle its key table (it owns keys from now on): the store and dg_clear()
 * (sealed_text.h) open sealed objects and fields with it. For the opener, and for
 * encrypting an archive in place (encrypt_in_place.h).
 */
void dg_archive_attach_keys(dg_archive *archive, dg_keys *keys);

/* "dir/name", malloc'd (NULL when out of memory). */
char *dg_archive_path_join(const char *dir, const char *name);

/* Gives the space reserve back to the disk; 1 when there was one. */
int dg_archive_release_space_reserve(dg_archive *archive);

/* Whether the archive was restored from a backup and its index not yet built by a reindex
 * (DG_REBUILD_RESTORED, indexer.h); a catalog that cannot be read answers 0. */
int dg_archive_awaits_reindex(dg_archive *archive);

/* The cached read handle of the index (opened on first use); refused (DG_ERR_STATE) while
 * the archive awaits its reindex after a restore. */
dg_status dg_archive_index_reader(dg_archive *archive, dg_index **out, dg_error *err);

/* Reports progress through the handler, if any. */
void dg_archive_progress(dg_archive *archive, const char *what, uint64_t done, uint64_t total);

#endif
