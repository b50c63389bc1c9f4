/*
 * web_upload.c — receiving an uploaded batch into a private directory, and the ingest jobs.
 */
#include "web_upload.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../engine/archive.h"
#include "dispatch.h"

typedef struct up_file {
    char name[256]; /* the browser's name for it (last path component) */
    char path[64];  /* inside the directory */
    int manifest;
} up_file;

struct dg_web_upload {
    char dir[512];
    up_file files[DG_WEB_UPLOAD_FILES + 1]; /* the batch's files and a manifest */
    size_t n;
    int fd;          /* the file being written, or -1 */
    uint64_t bytes;
    char error[160];
};

dg_status dg_web_upload_begin(dg_web_upload **out, dg_error *err)
{
    *out = NULL;
    dg_web_upload *u = calloc(1, sizeof *u);
    if (!u)
        return dg_error_set(err, DG_ERR_NOMEM, "upload: out of memory");
    u->fd = -1;
    const char *tmp = getenv("TMPDIR");
    snprintf(u->dir, sizeof u->dir, "%s/dangan-upload-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(u->dir)) { /* mkdtemp makes it 0700: only the service account reads it */
        free(u);
        return dg_error_set(err, DG_ERR_IO, "upload: cannot make a temporary directory: %s",
                            strerror(errno));
    }
    *out = u;
    return DG_OK;
}

static dg_status refuse(dg_web_upload *u, dg_error *err, const char *why)
{
    if (!u->error[0])
        snprintf(u->error, sizeof u->error, "%s", why);
    return dg_error_set(err, DG_ERR_USAGE, "%s", u->error);
}

/* The last path component of what the browser sent (some send a whole Windows path). */
static void base_name(const char *filename, char *out, size_t size)
{
    const char *slash = strrchr(filename, '/'), *back = strrchr(filename, '\\');
    const char *base = slash > back ? slash + 1 : back ? back + 1 : filename;
    snprintf(out, size, "%s", base);
}

static dg_status open_next(dg_web_upload *u, const char *field, const char *filename,
                           dg_error *err)
{
    int manifest = !strcmp(field, "manifest");
    if (!manifest && strcmp(field, "files"))
        return refuse(u, err, "upload: unknown file field");
    size_t batch = dg_web_upload_count(u);
    if (!manifest && batch >= DG_WEB_UPLOAD_FILES)
        return refuse(u, err, "upload: too many files (at most 50 in one upload)");
    for (size_t i = 0; manifest && i < u->n; i++)
        if (u->files[i].manifest)
            return refuse(u, err, "upload: more than one manifest");
    up_file *f = &u->files[u->n];
    base_name(filename, f->name, sizeof f->name);
    if (!f->name[0] || !strcmp(f->name, ".") || !strcmp(f->name, ".."))
        return refuse(u, err, "upload: a file without a name");
    f->manifest = manifest;
    snprintf(f->path, sizeof f->path, "%03zu", u->n);
    char full[600];
    snprintf(full, sizeof full, "%s/%s", u->dir, f->path);
    u->fd = open(full, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (u->fd < 0)
        return dg_error_set(err, DG_ERR_IO, "upload: %s: %s", f->name, strerror(errno));
    u->n++;
    return DG_OK;
}

static dg_status write_all(dg_web_upload *u, const char *data, size_t size, dg_error *err)
{
    while (size) {
        ssize_t w = write(u->fd, data, size);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return dg_error_set(err, DG_ERR_IO, "upload: cannot write a temporary file: %s",
                                strerror(errno));
        data += w;
        size -= (size_t)w;
    }
    return DG_OK;
}

dg_status dg_web_upload_data(dg_web_upload *u, const char *field, const char *filename,
                             const char *data, uint64_t off, size_t size, dg_error *err)
{
    if (u->error[0])
        return refuse(u, err, u->error);
    if (!filename || !*filename)
        return DG_OK;
    if (off == 0) {
        if (u->fd >= 0)
            close(u->fd);
        u->fd = -1;
        dg_status st = open_next(u, field, filename, err);
        if (st != DG_OK)
            return st;
    }
    if (u->fd < 0)
        return refuse(u, err, "upload: a file part out of order");
    if (size > DG_WEB_UPLOAD_BYTES - u->bytes)
        return refuse(u, err, "upload: too large (at most 64 MiB in one upload)");
    u->bytes += size;
    return write_all(u, data, size, err);
}

const char *dg_web_upload_error(const dg_web_upload *u)
{
    return u->error[0] ? u->error : NULL;
}

size_t dg_web_upload_count(const dg_web_upload *u)
{
    size_t n = 0;
    for (size_t i = 0; i < u->n; i++)
        n += !u->files[i].manifest;
    return n;
}

void dg_web_upload_free(dg_web_upload *u)
{
    if (!u)
        return;
    if (u->fd >= 0)
        close(u->fd);
    for (size_t i = 0; i < u->n; i++) {
        char full[600];
        snprintf(full, sizeof full, "%s/%s", u->dir, u->files[i].path);
        unlink(full);
    }
    rmdir(u->dir);
    free(u);
}

/* ---- jobs ---- */

typedef struct job {
    int id;
    char login[64], origin[64];
    dg_web_upload *upload;
    dg_web_job_state state;
    uint64_t done, total;
    size_t files;
    json_t *response;
    pthread_t thread;
    int joinable;
    struct dg_web_jobs *owner;
} job;

struct dg_web_jobs {
    dg_web_job_env env;
    pthread_mutex_t lock;
    job *slots[DG_WEB_JOBS_KEPT];
    int next_id;
};

dg_status dg_web_jobs_new(const dg_web_job_env *env, dg_web_jobs **out, dg_error *err)
{
    *out = calloc(1, sizeof **out);
    if (!*out)
        return dg_error_set(err, DG_ERR_NOMEM, "upload: out of memory");
    (*out)->env = *env;
    (*out)->next_id = 1;
    pthread_mutex_init(&(*out)->lock, NULL);
    return DG_OK;
}

static void job_free(job *j)
{
    if (!j)
        return;
    if (j->joinable)
        pthread_join(j->thread, NULL);
    dg_web_upload_free(j->upload);
    json_decref(j->response);
    free(j);
}

void dg_web_jobs_free(dg_web_jobs *jobs)
{
    if (!jobs)
        return;
    for (int i = 0; i < DG_WEB_JOBS_KEPT; i++)
        job_free(jobs->slots[i]);
    pthread_mutex_destroy(&jobs->lock);
    free(jobs);
}

static void on_progress(void *ctx, const char *what, uint64_t done, uint64_t total)
{
    (void)what;
    job *j = ctx;
    pthread_mutex_lock(&j->owner->lock);
    j->done = done;
    j->total = total;
    pthread_mutex_unlock(&j->owner->lock);
}

/* The request `dangan ingest` makes: {"files": [{"fd": i, "name": n}], "manifest": {...}},
 * with the files opened read-only into fds. */
static json_t *ingest_request(const dg_web_upload *u, int *fds, size_t *n_fds)
{
    json_t *files = json_array(), *args = json_object();
    *n_fds = 0;
    for (size_t i = 0; i < u->n; i++) {
        char full[600];
        snprintf(full, sizeof full, "%s/%s", u->dir, u->files[i].path);
        int fd = open(full, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        json_t *ref = fd >= 0 ? json_pack("{s:i, s:s}", "fd", (int)*n_fds, "name",
                                          u->files[i].name)
                              : json_pack("{s:i, s:s, s:s}", "fd", -1, "name", u->files[i].name,
                                          "error", strerror(errno));
        if (fd >= 0)
            fds[(*n_fds)++] = fd;
        if (u->files[i].manifest)
            json_object_set_new(args, "manifest", ref);
        else
            json_array_append_new(files, ref);
    }
    json_object_set_new(args, "files", files);
    return json_pack("{s:s, s:o}", "cmd", "ingest", "args", args);
}

static json_t *run_ingest(job *j)
{
    const dg_web_job_env *env = &j->owner->env;
    dg_archive *archive = NULL;
    dg_error err;
    if (dg_archive_open(env->archive, &archive, &err) != DG_OK)
        return dg_response_error(err.status, err.msg);
    int fds[DG_WEB_UPLOAD_FILES + 1];
    size_t n_fds;
    json_t *request = ingest_request(j->upload, fds, &n_fds);
    dg_dispatch_io io = {.fds = fds, .n_fds = n_fds, .progress = on_progress, .progress_ctx = j};
    json_t *response = request ? dg_dispatch(archive, j->login, j->origin, request, &io)
                               : dg_response_error(DG_ERR_NOMEM, "upload: out of memory");
    json_decref(request);
    for (size_t i = 0; i < n_fds; i++)
        close(fds[i]);
    dg_archive_close(archive);
    if (env->after_write)
        env->after_write(env->after_write_ctx);
    return response;
}

static void *job_main(void *arg)
{
    job *j = arg;
    json_t *response = run_ingest(j);
    pthread_mutex_lock(&j->owner->lock);
    j->response = response;
    j->state = DG_WEB_JOB_DONE;
    dg_web_upload *u = j->upload;
    j->upload = NULL;
    pthread_mutex_unlock(&j->owner->lock);
    dg_web_upload_free(u);
    return NULL;
}

/* A free slot (an empty one, else the oldest finished job's); -1 when all are busy or
 * DG_WEB_JOBS_RUNNING are running. Called with the lock held. */
static int free_slot(dg_web_jobs *jobs)
{
    int running = 0, pick = -1;
    for (int i = 0; i < DG_WEB_JOBS_KEPT; i++) {
        job *j = jobs->slots[i];
        if (j && j->state == DG_WEB_JOB_RUNNING)
            running++;
        else if (!j && (pick < 0 || jobs->slots[pick]))
            pick = i;
        else if (j && (pick < 0 || (jobs->slots[pick] && j->id < jobs->slots[pick]->id)))
            pick = i;
    }
    return running >= DG_WEB_JOBS_RUNNING ? -1 : pick;
}

dg_status dg_web_job_start(dg_web_jobs *jobs, dg_web_upload *u, const char *login,
                           const char *origin, int *id, dg_error *err)
{
    job *j = calloc(1, sizeof *j);
    if (!j) {
        dg_web_upload_free(u);
        return dg_error_set(err, DG_ERR_NOMEM, "upload: out of memory");
    }
    snprintf(j->login, sizeof j->login, "%s", login);
    snprintf(j->origin, sizeof j->origin, "%s", origin);
    j->upload = u;
    j->files = dg_web_upload_count(u);
    j->owner = jobs;
    pthread_mutex_lock(&jobs->lock);
    int slot = free_slot(jobs);
    job *old = slot >= 0 ? jobs->slots[slot] : NULL;
    if (slot >= 0) {
        j->id = *id = jobs->next_id++;
        jobs->slots[slot] = j;
        j->joinable = pthread_create(&j->thread, NULL, job_main, j) == 0;
        if (!j->joinable)
            jobs->slots[slot] = old, old = NULL;
    }
    pthread_mutex_unlock(&jobs->lock);
    job_free(old); /* finished: its thread has ended or is ending */
    if (slot >= 0 && j->joinable)
        return DG_OK;
    job_free(j);
    return dg_error_set(err, DG_ERR_BUSY, "upload: %s", slot < 0
                            ? "other uploads are being filed; try again in a minute"
                            : "cannot start the job");
}

int dg_web_job_get(dg_web_jobs *jobs, int id, const char *login, dg_web_job_view *out)
{
    int found = 0;
    pthread_mutex_lock(&jobs->lock);
    for (int i = 0; i < DG_WEB_JOBS_KEPT && !found; i++) {
        job *j = jobs->slots[i];
        if (!j || j->id != id || strcmp(j->login, login))
            continue;
        found = 1;
        out->state = j->state;
        out->done = j->done;
        out->total = j->total;
        out->files = j->files;
        out->response = json_incref(j->response);
    }
    pthread_mutex_unlock(&jobs->lock);
    return found;
}

char *dg_web_job_status_json(const dg_web_job_view *v)
{
    json_t *o = json_pack("{s:s, s:I, s:I, s:I}", "state",
                          v->state == DG_WEB_JOB_RUNNING ? "running" : "done", "done",
                          (json_int_t)v->done, "total", (json_int_t)v->total, "files",
                          (json_int_t)v->files);
    char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    return text;
}
