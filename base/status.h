/*
 * status.h — dangan's status codes and error messages.
 *
 * Every fallible function in dangan returns a dg_status and, on failure, fills a
 * caller-owned dg_error with one line that names the thing (file, record, row, user)
 * and the reason, e.g. "scan-07.tif: not an image dangan can read (data)". Library
 * code never prints; the command line decides what the user sees. The set of codes is
 * small and closed, like SQLite's, so callers can switch on it.
 */
#ifndef DG_STATUS_H
#define DG_STATUS_H

#include <stddef.h>

typedef enum dg_status {
    DG_OK = 0,
    DG_ERR_USAGE,     /* a caller passed a bad argument or option value */
    DG_ERR_NOT_FOUND, /* no such thing, or one the caller may not see: never tell them apart */
    DG_ERR_DENIED,    /* the caller's role does not allow the action */
    DG_ERR_UNKNOWN_USER, /* the operating-system user has no archive account */
    DG_ERR_EXISTS,    /* the thing to create exists already */
    DG_ERR_IO,        /* a file could not be read or written */
    DG_ERR_CORRUPT,   /* stored data fails its check (hash, chain, format) */
    DG_ERR_DB,        /* the catalog (SQLite) reported an error */
    DG_ERR_INDEX,     /* the full-text index (Xapian) reported an error */
    DG_ERR_NOMEM,     /* out of memory */
    DG_ERR_BUSY,      /* another process holds the archive and did not let go in time */
    DG_ERR_BAD_INPUT, /* an input file cannot be taken in (empty, corrupt, unknown type) */
    DG_ERR_QUERY,     /* a malformed search query */
    DG_ERR_STATE,     /* the action is out of order (e.g. destroy before approval) */
    DG_ERR_INTERNAL   /* a bug: an invariant of dangan's own broke */
} dg_status;

/* One message line; long enough for a path and a reason. */
#define DG_ERROR_MAX 1024

typedef struct dg_error {
    dg_status status;
    char msg[DG_ERROR_MAX];
} dg_error;

/*
 * Records a failure in err (which may be NULL) and returns status, so callers can write
 * `return dg_error_set(err, DG_ERR_IO, "%s: %s", path, strerror(errno));`.
 */
dg_status dg_error_set(dg_error *err, dg_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prefixes an existing message with context: "row 3: " + "bad date". */
dg_status dg_error_prefix(dg_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Clears err to DG_OK with an empty message. */
void dg_error_clear(dg_error *err);

/* A short stable name for a status, e.g. "not_found", used in --json output. */
const char *dg_status_name(dg_status status);

/* The process exit code the command line uses for a status (see README, "Exit codes"). */
int dg_status_exit_code(dg_status status);

#endif
