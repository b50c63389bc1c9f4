/*
 * web_upload.h — a small batch uploaded from the browser, and the ingest jobs it starts.
 *
 * Receiving: libmicrohttpd's post processor (http.c) hands each file part here piece by
 * piece; the pieces go straight into files of a private directory (mkdtemp, 0700) made
 * for this one upload, never into memory. At most DG_WEB_UPLOAD_FILES files and
 * DG_WEB_UPLOAD_BYTES bytes in all: beyond, the upload is refused with a message that
 * says which cap it met, and its files are removed.
 *
 * Running: a job takes the received files, opens them and runs the same "ingest" request
 * the command line's `dangan ingest` makes (files passed by descriptor, the manifest as
 * one more) through dg_dispatch in a thread of its own, as the uploader, with its own
 * archive handle; its progress (pages done of pages total) and finally the response are
 * kept for the uploader's status page. Only the login that started a job can see it. The
 * temporary directory is removed when the job ends. At most DG_WEB_JOBS_RUNNING jobs run
 * at once; the table keeps the last DG_WEB_JOBS_KEPT jobs.
 */
#ifndef DG_WEB_UPLOAD_H
#define DG_WEB_UPLOAD_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/status.h"

#define DG_WEB_UPLOAD_FILES 50
#define DG_WEB_UPLOAD_BYTES (64u * 1024 * 1024)
#define DG_WEB_JOBS_RUNNING 2
#define DG_WEB_JOBS_KEPT 64

typedef struct dg_web_upload dg_web_upload;

/* A new upload with its private directory under $TMPDIR (else /tmp). */
dg_status dg_web_upload_begin(dg_web_upload **out, dg_error *err);

/*
 * One piece of a file part: field "files" (a batch file) or "manifest"; off 0 starts a new
 * file named filename (its last path component is kept). An empty filename (a file input
 * left empty) is ignored. Fails (DG_ERR_USAGE) past a cap; after a failure the upload
 * refuses everything and dg_web_upload_error says why.
 */
dg_status dg_web_upload_data(dg_web_upload *u, const char *field, const char *filename,
                             const char *data, uint64_t off, size_t size, dg_error *err);

/* Why the upload was refused, or NULL. */
const char *dg_web_upload_error(const dg_web_upload *u);

/* How many batch files were received. */
size_t dg_web_upload_count(const dg_web_upload *u);

/* Removes the files and the directory. NULL is a no-op. */
void dg_web_upload_free(dg_web_upload *u);

typedef struct dg_web_jobs dg_web_jobs;

/* How the job thread gets an archive and tells the server it wrote. */
typedef struct dg_web_job_env {
    const char *archive; /* the archive's path: the job opens a handle of its own */
    void (*after_write)(void *ctx);
    void *after_write_ctx;
} dg_web_job_env;

dg_status dg_web_jobs_new(const dg_web_job_env *env, dg_web_jobs **out, dg_error *err);
/* Waits for running jobs, then frees everything. NULL is a no-op. */
void dg_web_jobs_free(dg_web_jobs *jobs);

/* Starts ingesting u (taken over in every case) as login from origin; *id names the job. */
dg_status dg_web_job_start(dg_web_jobs *jobs, dg_web_upload *u, const char *login,
                           const char *origin, int *id, dg_error *err);

typedef enum { DG_WEB_JOB_RUNNING, DG_WEB_JOB_DONE } dg_web_job_state;

/* A copy of a job's state; response (when done) is a new reference the caller drops. */
typedef struct dg_web_job_view {
    dg_web_job_state state;
    uint64_t done, total;   /* pages */
    size_t files;
    json_t *response;       /* the ingest response once done, else NULL */
} dg_web_job_view;

/* Job id as login sees it: 1 and *out filled, or 0 (no such job, or another login's). */
int dg_web_job_get(dg_web_jobs *jobs, int id, const char *login, dg_web_job_view *out);

/* The status as a small JSON text {"state":"running","done":3,"total":10,"files":2}
 * (malloc'ed; NULL when out of memory). */
char *dg_web_job_status_json(const dg_web_job_view *v);

#endif
