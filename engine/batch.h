/*
 * batch.h — the ingest journal and the quarantine, in the catalog.
 *
 * Every ingest run is a batch with one row per input file: its name, SHA-256, outcome
 * (filed, duplicate, quarantined), the record it became, its pages, OCR confidence and
 * time. A filed file's row is written in the same transaction as its record
 * (dg_record_input.batch_id), so after a crash the journal and the records agree: a
 * rerun of the same batch finds every file already filed by its SHA-256 and files only
 * the rest — no file is lost and none is filed twice.
 *
 * Files that cannot be ingested are copied, as they came, into the archive's quarantine/
 * folder with their reason, and listed by dg_quarantine_list().
 */
#ifndef DG_BATCH_H
#define DG_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "indexer.h"
#include "refcode.h"
#include "../base/status.h"
#include "user.h"

typedef struct dg_archive dg_archive;

typedef enum {
    DG_FILE_FILED = 0,   /* became a new record */
    DG_FILE_DUPLICATE,   /* same SHA-256 as an existing record's source file */
    DG_FILE_QUARANTINED, /* could not be ingested; copied to quarantine/ */
} dg_file_outcome;

const char *dg_file_outcome_name(dg_file_outcome outcome);

/* Opens a batch (archivist or admin) labelled e.g. with the folder's name. */
dg_status dg_batch_begin(dg_archive *archive, const dg_actor *actor, const char *label,
                         uint64_t files, int64_t *batch_id, dg_error *err);

/* The journal row of one file that was not filed (filed files are journalled by
 * dg_record_add). refcode is the existing record of a duplicate. */
typedef struct dg_batch_file {
    const char *name;
    const char *sha256;
    dg_file_outcome outcome;
    const char *refcode;
    const char *reason;
    int pages;
    double confidence; /* -1 when none */
    double seconds;
    int level; /* the level a file not filed was meant for, when above the ingester's
                  clearance: readers below it see the row withheld; else 0 */
} dg_batch_file;

dg_status dg_batch_note_file(dg_archive *archive, int64_t batch_id, const dg_batch_file *file,
                             dg_error *err);

/*
 * Copies a file that could not be ingested into quarantine/ (as it came, 0600) with a
 * ".reason" file beside it, notes it in the journal and logs it. data may be NULL when the
 * file could not be read at all (e.g. it vanished mid-batch): only the reason is kept.
 * level is the level the file was meant for when that is why it waits (above the
 * ingester's clearance), else 0: the quarantine list and batch show withhold its name and
 * reason from readers who may not see that level.
 */
dg_status dg_quarantine_file(dg_archive *archive, const dg_actor *actor, int64_t batch_id,
                             const char *name, const void *data, size_t len,
                             const char *reason, int level, dg_error *err);

/* Closes a batch: counts its journal and logs the ingest (who, batch, counts). */
dg_status dg_batch_finish(dg_archive *archive, const dg_actor *actor, int64_t batch_id,
                          double seconds, dg_error *err);

/*
 * Filing records one after another (ingest): dg_batch_hold takes the archive's write lock
 * once for a group of records, so the writable index (its five levels, its folding tables
 * and the synonym table) is opened once a group instead of once a record. Records filed in
 * the group with dg_record_input.index_later leave their versions in the index queue (and,
 * inside a group transaction, go to the hold's index thread once it commits: see
 * dg_batch_group_due), and dg_batch_let_go indexes them in one index commit, empties the
 * queue of them in one catalog transaction, then lets the lock go (also when indexing
 * fails). Each record is still committed to the
 * catalog on its own, so a kill loses no record whose filing returned: what the group left
 * queued, the next writer (or the next process to open the archive) indexes. The versions
 * that could not be indexed stay queued and are added to *failed ("REF version N: why").
 * Other writers wait for the group and searches do not see it until it is let go: keep
 * groups short (ingest lets go every second, and whenever it would wait for a file).
 */
dg_status dg_batch_hold(dg_archive *archive, dg_error *err);
dg_status dg_batch_let_go(dg_archive *archive, dg_index_failures *failed, dg_error *err);

/*
 * Under the hold, records can also be committed to the catalog in groups: between
 * dg_batch_group_begin and dg_batch_group_commit, each dg_record_add is a savepoint of one
 * transaction (a record that fails is undone alone), and the commit makes them all durable
 * with one sync instead of one each. Nothing else may write to the catalog in between
 * (a quarantine or a journal row commits the group first). A record of the group is filed
 * only once the group commits: a kill before it leaves none of them (the rerun of the
 * batch files them, batch.h), and a commit that fails leaves none of them either and says
 * so (their stored objects are swept by the next writer). dg_batch_let_go commits a group
 * still open.
 */
dg_status dg_batch_group_begin(dg_archive *archive, dg_error *err);
dg_status dg_batch_group_commit(dg_archive *archive, dg_error *err);

/*
 * Under the hold, the versions of index_later records are indexed on a second thread
 * (index_pipe.h) once their group commits, while the next group is filed; the index
 * commits once, at dg_batch_let_go. 1 when the open group should commit now so that the
 * thread has work (it holds 128 records; a group's commit costs two syncfs and a sync of
 * the catalog, and of keys.db, so not fewer).
 */
int dg_batch_group_due(dg_archive *archive);

typedef struct dg_batch_summary {
    int64_t id;
    char *label, *started_at, *finished_at, *user;
    uint64_t files, filed, duplicates, quarantined, pages;
    double seconds;
} dg_batch_summary;

typedef struct dg_batch_entry {
    char *name, *sha256, *outcome, *refcode, *reason;
    int pages;
    double confidence, seconds;
    int level; /* see dg_batch_file */
} dg_batch_entry;

/* Lists batches, newest first (archivist, admin, auditor). */
dg_status dg_batch_list(dg_archive *archive, const dg_actor *actor, dg_batch_summary **out,
                        size_t *count, dg_error *err);
void dg_batch_summaries_free(dg_batch_summary *list, size_t count);

/* One batch with its per-file journal. */
dg_status dg_batch_show(dg_archive *archive, const dg_actor *actor, int64_t batch_id,
                        dg_batch_summary *summary, dg_batch_entry **files, size_t *count,
                        dg_error *err);
void dg_batch_entries_free(dg_batch_entry *files, size_t count);

typedef struct dg_quarantined {
    int64_t id, batch_id;
    char *name, *reason, *stored_as, *at;
    int level; /* see dg_quarantine_file */
} dg_quarantined;

dg_status dg_quarantine_list(dg_archive *archive, const dg_actor *actor, dg_quarantined **out,
                             size_t *count, dg_error *err);
void dg_quarantined_free(dg_quarantined *list, size_t count);

#endif
