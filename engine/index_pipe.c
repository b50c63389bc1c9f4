/*
 * index_pipe.c — a batch's versions indexed on a second thread (index_pipe.h).
 */
#include "index_pipe.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "archive_internal.h"
#include "lock.h"

/* Versions handed to the thread and not yet put, at most (a few KB each). */
#define PIPE_BACKLOG 1024
/* A group is due to commit, so that the thread has work, at this many versions: a commit
 * costs two syncfs and one or two syncs, so not by time (under load a fifth of a second
 * held a few records, and the syncs took longer than the filing); a hold (about a second)
 * of a fast batch holds several such groups, a slow one none. */
#define GROUP_VERSIONS 128

typedef struct job_list {
    dg_index_job **jobs;
    size_t head, n, cap;
} job_list;

struct dg_index_pipe {
    dg_archive *archive;
    dg_index *index;
    dg_index_reader *reader;
    job_list kept;   /* read in the open group, not committed yet (the filing thread's) */
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t changed;
    job_list handed; /* committed, for the thread */
    int working, stopping;
    dg_status status; /* the index's own failure, which ends the thread's work */
    dg_error error;
    /* versions put (failed[i]: could not be indexed, reason in failures) */
    int64_t *done;
    char *failed;
    size_t n_done, cap_done;
    dg_index_failures failures;
};

static int list_push(job_list *l, dg_index_job *job)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 64;
        dg_index_job **jobs = realloc(l->jobs, cap * sizeof *jobs);
        if (!jobs)
            return 0;
        l->jobs = jobs;
        l->cap = cap;
    }
    l->jobs[l->n++] = job;
    return 1;
}

static void list_clear(job_list *l)
{
    for (size_t i = l->head; i < l->n; i++)
        dg_index_job_free(l->jobs[i]);
    l->head = l->n = 0;
}

/* Notes a version put (under the lock). */
static dg_status note_done(dg_index_pipe *p, int64_t id, const dg_error *skip, dg_error *err)
{
    if (p->n_done == p->cap_done) {
        size_t cap = p->cap_done ? 2 * p->cap_done : 256;
        int64_t *done = realloc(p->done, cap * sizeof *done);
        if (done)
            p->done = done;
        char *failed = done ? realloc(p->failed, cap) : NULL;
        if (!failed)
            return dg_error_set(err, DG_ERR_NOMEM, "index: out of memory");
        p->failed = failed;
        p->cap_done = cap;
    }
    p->done[p->n_done] = id;
    p->failed[p->n_done++] = skip->status != DG_OK;
    return skip->status != DG_OK ? dg_index_failures_add(&p->failures, id, skip->msg, err)
                                 : DG_OK;
}

static void *pipe_main(void *arg)
{
    dg_index_pipe *p = arg;
    pthread_mutex_lock(&p->lock);
    for (;;) {
        while (!p->stopping && p->handed.head == p->handed.n)
            pthread_cond_wait(&p->changed, &p->lock);
        if (p->handed.head == p->handed.n)
            break;
        dg_index_job *job = p->handed.jobs[p->handed.head++];
        if (p->handed.head == p->handed.n)
            p->handed.head = p->handed.n = 0;
        int go = p->status == DG_OK;
        p->working = 1;
        pthread_mutex_unlock(&p->lock);
        dg_error skip, err;
        dg_error_clear(&skip);
        dg_status st = go ? dg_index_job_put(p->index, job, &skip, &err) : DG_OK;
        int64_t id = dg_index_job_version(job);
        dg_index_job_free(job);
        pthread_mutex_lock(&p->lock);
        if (go && st == DG_OK)
            st = note_done(p, id, &skip, &err);
        if (st != DG_OK && p->status == DG_OK) {
            p->status = st;
            p->error = err;
        }
        p->working = 0;
        pthread_cond_broadcast(&p->changed);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

static void pipe_free(dg_index_pipe *p)
{
    list_clear(&p->kept);
    list_clear(&p->handed);
    free(p->kept.jobs);
    free(p->handed.jobs);
    free(p->done);
    free(p->failed);
    dg_index_failures_free(&p->failures);
    dg_index_reader_close(p->reader);
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->changed);
    free(p);
}

dg_status dg_index_pipe_start(dg_archive *archive, dg_index_pipe **out, dg_error *err)
{
    *out = NULL;
    dg_index_pipe *p = calloc(1, sizeof *p);
    if (!p)
        return dg_error_set(err, DG_ERR_NOMEM, "index: out of memory");
    p->archive = archive;
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->changed, NULL);
    dg_status st = dg_archive_index_writer(archive, &p->index, err);
    if (st == DG_OK)
        st = dg_index_reader_open(archive, &p->reader, err);
    if (st == DG_OK && pthread_create(&p->thread, NULL, pipe_main, p) != 0)
        st = dg_error_set(err, DG_ERR_INTERNAL, "index: cannot start a thread");
    else if (st == DG_OK)
        pthread_setname_np(p->thread, "dg-index"); /* as top and perf show it */
    if (st != DG_OK) {
        pipe_free(p);
        return st;
    }
    *out = p;
    return DG_OK;
}

dg_status dg_index_pipe_keep(dg_index_pipe *p, int64_t version_id, const char *body,
                             const char *folded, dg_error *err)
{
    dg_index_job *job = NULL;
    dg_status st = dg_index_job_read(p->archive, p->reader, version_id, body, folded, &job, err);
    if (st != DG_OK)
        return st;
    if (!list_push(&p->kept, job)) {
        dg_index_job_free(job);
        return dg_error_set(err, DG_ERR_NOMEM, "index: out of memory");
    }
    pthread_mutex_lock(&p->lock);
    while (p->handed.n - p->handed.head >= PIPE_BACKLOG && p->status == DG_OK)
        pthread_cond_wait(&p->changed, &p->lock);
    pthread_mutex_unlock(&p->lock);
    return DG_OK;
}

void dg_index_pipe_committed(dg_index_pipe *p)
{
    pthread_mutex_lock(&p->lock);
    size_t i = 0;
    for (; i < p->kept.n; i++)
        if (!list_push(&p->handed, p->kept.jobs[i]))
            break;
    /* What could not be handed (no memory) stays queued in the catalog: the leftover flush
     * of dg_batch_let_go indexes it. */
    for (size_t k = i; k < p->kept.n; k++)
        dg_index_job_free(p->kept.jobs[k]);
    p->kept.n = 0;
    pthread_cond_broadcast(&p->changed);
    pthread_mutex_unlock(&p->lock);
}

void dg_index_pipe_undone(dg_index_pipe *p)
{
    list_clear(&p->kept);
}

int dg_index_pipe_group_due(dg_index_pipe *p)
{
    return p->kept.n >= GROUP_VERSIONS;
}

/* Waits for every committed version to be put, and stops the thread. */
static void drain_and_stop(dg_index_pipe *p)
{
    pthread_mutex_lock(&p->lock);
    p->stopping = 1;
    pthread_cond_broadcast(&p->changed);
    pthread_mutex_unlock(&p->lock);
    pthread_join(p->thread, NULL);
}

dg_status dg_index_pipe_finish(dg_index_pipe *p, dg_index_failures *failed, dg_error *err)
{
    list_clear(&p->kept); /* never committed */
    drain_and_stop(p);
    dg_status st = p->status;
    if (st != DG_OK)
        *err = p->error;
    /* The index commits before the queue empties: a crash in between only re-indexes. */
    if (st == DG_OK && p->n_done)
        st = dg_index_commit(p->index, err);
    if (st == DG_OK && p->n_done)
        st = dg_index_queue_settle(p->archive, p->done, p->failed, p->n_done, &p->failures,
                                   err);
    for (size_t i = 0; st == DG_OK && failed && i < p->failures.count; i++)
        st = dg_index_failures_add(failed, p->failures.ids[i], p->failures.reasons[i], err);
    pipe_free(p);
    return st;
}
