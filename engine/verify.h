/*
 * verify.h — checking that everything the catalog says is stored is there and whole.
 *
 * dg_verify re-reads every object in the store and recomputes its SHA-256; checks that
 * every object a version's pages and text refer to is present; and lists files in the
 * store that the catalog does not know (orphans: e.g. left by a write that crashed before
 * its commit). It reports hashes and reference codes, never content, so it is open to
 * archivists, auditors and admins whatever their clearance.
 */
#ifndef DG_VERIFY_H
#define DG_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"
#include "user.h"

typedef enum { DG_PROBLEM_MISSING, DG_PROBLEM_CORRUPT, DG_PROBLEM_ORPHAN } dg_problem_kind;

typedef struct dg_problem {
    dg_problem_kind kind;
    char *object;  /* SHA-256 hex, or the stray file's path inside objects/ */
    char *detail;  /* which record/version uses it, or the reason */
} dg_problem;

typedef struct dg_verify_report {
    uint64_t objects_checked;
    uint64_t versions_checked;
    dg_problem *problems;
    size_t n_problems;
} dg_verify_report;

/* Runs every check (archivist, auditor or admin); progress goes to the progress handler.
 * Problems found are a finding (DG_OK with n_problems > 0), not a failure to run. */
dg_status dg_verify(dg_archive *archive, const dg_actor *actor, dg_verify_report **out,
                    dg_error *err);
void dg_verify_report_free(dg_verify_report *report);

const char *dg_problem_kind_name(dg_problem_kind kind); /* "missing", "corrupt", "orphan" */

#endif
