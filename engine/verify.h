/*
 * verify.h — checking that everything the catalog says is stored is there and whole.
 *
 * dg_verify checks everything that can make a search answer wrongly or a record be lost:
 * the catalog file, every object in the store, the index against the catalog, the index
 * queue and the access log (see dg_verify below). It reports hashes, reference codes and
 * reasons, never content, so it is open to archivists, auditors and admins whatever their
 * clearance.
 */
#ifndef DG_VERIFY_H
#define DG_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include "../base/status.h"
#include "user.h"

typedef enum {
    DG_PROBLEM_MISSING,   /* an object the catalog lists is not in objects/ */
    DG_PROBLEM_CORRUPT,   /* an object's content no longer matches its SHA-256 */
    DG_PROBLEM_ORPHAN,    /* a file in objects/ the catalog does not know */
    DG_PROBLEM_CATALOG,   /* SQLite's integrity_check (or quick_check) found damage */
    DG_PROBLEM_UNINDEXED, /* a live version has no index document: search misses it */
    DG_PROBLEM_EXTRA,     /* an index document of a destroyed or unknown version */
    DG_PROBLEM_DUPLICATE, /* a version with more than one index document */
    DG_PROBLEM_QUEUED,    /* a version waiting in the index queue (with why it failed) */
    DG_PROBLEM_REBUILD,   /* a rebuild of the index is owed (a reindex was killed or failed) */
    DG_PROBLEM_INDEX,     /* the index cannot be read at all */
    DG_PROBLEM_LOG        /* the access log's hash chain is broken */
} dg_problem_kind;

typedef struct dg_problem {
    dg_problem_kind kind;
    char *object;  /* what: SHA-256 hex, stray file, "REF version N", "catalog.db", "index" */
    char *detail;  /* which record/version uses it, or the reason */
} dg_problem;

typedef struct dg_verify_options {
    int quick;  /* PRAGMA quick_check instead of the full integrity_check */
    int repair; /* fix what can be fixed without loss (archivist or admin), then check again */
} dg_verify_options;

typedef struct dg_verify_report {
    uint64_t objects_checked;
    uint64_t versions_checked;
    uint64_t index_documents;
    int log_checked;      /* 0 when the actor may not read the log (auditors and admins do) */
    uint64_t log_entries;
    char log_head[65];    /* the chain's head hash, to compare with one kept earlier */
    dg_problem *problems;
    size_t n_problems;
    char **repairs;       /* what --repair did, one line each */
    size_t n_repairs;
} dg_verify_report;

/*
 * Runs every check (archivist, auditor or admin); progress goes to the progress handler:
 *   - the catalog: SQLite's integrity_check (quick_check with opts->quick);
 *   - every object's presence and SHA-256, every object a version refers to, and orphans;
 *   - the index against the catalog: every version of every live record indexed exactly
 *     once, no document of a destroyed or unknown version, document counts equal;
 *   - the index queue (versions that could not be indexed, with the reason) and an owed
 *     rebuild;
 *   - the access log's hash chain and its head (when the actor may read the log).
 * Any problem means a search could answer wrongly or something stored is damaged.
 * With opts->repair (archivist or admin), first fixes what can be fixed without loss:
 * re-indexes missing and duplicated documents and retries the queue (or resumes an owed
 * rebuild, or rebuilds an unreadable index), deletes documents of destroyed or unknown
 * versions, removes orphan objects; never touches a damaged catalog; then checks again and
 * lists what it did in report->repairs. Problems found are a finding (DG_OK with
 * n_problems > 0), not a failure to run. opts may be NULL.
 */
dg_status dg_verify(dg_archive *archive, const dg_actor *actor, const dg_verify_options *opts,
                    dg_verify_report **out, dg_error *err);
void dg_verify_report_free(dg_verify_report *report);

/* "missing", "corrupt", "orphan", "catalog", "unindexed", "extra", "duplicate", "queued",
 * "rebuild_owed", "index", "log" */
const char *dg_problem_kind_name(dg_problem_kind kind);

#endif
