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

/*
 * One version on its way to the index, in filing order. The thread builds its document
 * (dg_index_prepare: folding, the term generator, the stamp; no database) as soon as it is
 * kept, while its group's transaction is still open, and writes it (dg_index_put_prepared)
 * only once committed is set. So the thread works through the whole hold instead of idling
 * until the first group commits, and a hold's end waits only for the last group's writes.
 * A version of a group that does not commit is dropped before it is ever written.
 */
typedef struct pipe_entry {
    dg_index_job *job;
    dg_index_prepared *doc; /* built, or NULL (not yet, or nothing to build: see builds) */
    int tried;              /* built, or its building ran out of memory: not again */
    int committed;          /* its group's catalog commit is done: it may be written */
    int building;           /* the thread is building it now, outside the lock */
    int dropped;            /* its group did not commit: the thread frees it when built */
} pipe_entry;

typedef struct entry_list {
    pipe_entry **items;
    size_t head, n, cap;
} entry_list;

struct dg_index_pipe {
    dg_archive *archive;
    dg_index *index;
    dg_index_reader *reader;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t changed;
    /* every version kept and not yet written, in filing order: those of committed groups
     * first, then the open group's (committed 0) */
    entry_list queue;
    size_t uncommitted; /* of them, the open group's */
    int working, stopping;
    dg_status status; /* the index's own failure, which ends the thread's work */
    dg_error error;
    /* versions put (failed[i]: could not be indexed, reason in failures) */
    int64_t *done;
    char *failed;
    size_t n_done, cap_done;
    dg_index_failures failures;
};

static void entry_free(pipe_entry *e)
{
    if (!e)
        return;
    dg_index_job_free(e->job);
    dg_index_prepared_free(e->doc);
    free(e);
}

static int queue_push(entry_list *l, pipe_entry *e)
{
    if (l->head > 0 && l->n == l->cap) { /* reuse the room of the entries written */
        memmove(l->items, l->items + l->head, (l->n - l->head) * sizeof *l->items);
        l->n -= l->head;
        l->head = 0;
    }
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 64;
        pipe_entry **items = realloc(l->items, cap * sizeof *items);
        if (!items)
            return 0;
        l->items = items;
        l->cap = cap;
    }
    l->items[l->n++] = e;
    return 1;
}

static size_t queue_length(const entry_list *l)
{
    return l->n - l->head;
}

/* Whether the thread builds e's document ahead: a version to write whose text was read. */
static int builds(const pipe_entry *e)
{
    return !e->tried && !e->building && !e->dropped && dg_index_job_buildable(e->job);
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

/* Builds e's document outside the lock (held on entry and on return). A dropped entry is
 * freed here: the filing thread took it off the queue while it was being built. */
static void build_entry(dg_index_pipe *p, pipe_entry *e)
{
    e->building = 1;
    pthread_mutex_unlock(&p->lock);
    dg_index_prepared *doc = NULL;
    dg_error err;
    (void)dg_index_job_prepare(p->index, e->job, &doc, &err);
    pthread_mutex_lock(&p->lock);
    e->building = 0;
    e->tried = 1;
    if (e->dropped) {
        dg_index_prepared_free(doc);
        entry_free(e);
        pthread_cond_broadcast(&p->changed);
        return;
    }
    e->doc = doc; /* NULL when out of memory: then written by dg_index_job_put */
}

/* Writes the first entry (committed) outside the lock, and takes it off the queue. */
static void write_first(dg_index_pipe *p)
{
    pipe_entry *e = p->queue.items[p->queue.head++];
    if (p->queue.head == p->queue.n)
        p->queue.head = p->queue.n = 0;
    int go = p->status == DG_OK;
    p->working = 1;
    pthread_mutex_unlock(&p->lock);
    dg_error skip, err;
    dg_error_clear(&skip);
    dg_status st = DG_OK;
    if (go)
        st = e->doc ? dg_index_job_put_prepared(p->index, e->job, e->doc, &skip, &err)
                    : dg_index_job_put(p->index, e->job, &skip, &err);
    int64_t id = dg_index_job_version(e->job);
    entry_free(e);
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

/* The first entry the thread may build ahead, or NULL. */
static pipe_entry *next_to_build(dg_index_pipe *p)
{
    if (p->status != DG_OK)
        return NULL;
    for (size_t i = p->queue.head; i < p->queue.n; i++)
        if (builds(p->queue.items[i]))
            return p->queue.items[i];
    return NULL;
}

/*
 * Writes committed versions in filing order, and between them builds the documents of
 * those still to come; stops when told to and nothing committed is left to write.
 */
static void *pipe_main(void *arg)
{
    dg_index_pipe *p = arg;
    pthread_mutex_lock(&p->lock);
    for (;;) {
        int writable = queue_length(&p->queue) > 0 && p->queue.items[p->queue.head]->committed;
        if (writable) {
            pipe_entry *first = p->queue.items[p->queue.head];
            if (p->status == DG_OK && builds(first)) /* not built ahead: now */
                build_entry(p, first);
            write_first(p);
            continue;
        }
        pipe_entry *ahead = next_to_build(p);
        if (ahead) {
            build_entry(p, ahead);
            continue;
        }
        if (p->stopping)
            break;
        pthread_cond_wait(&p->changed, &p->lock);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

static void queue_clear(dg_index_pipe *p)
{
    for (size_t i = p->queue.head; i < p->queue.n; i++)
        entry_free(p->queue.items[i]);
    p->queue.head = p->queue.n = 0;
    p->uncommitted = 0;
}

static void pipe_free(dg_index_pipe *p)
{
    queue_clear(p);
    free(p->queue.items);
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
    pipe_entry *e = calloc(1, sizeof *e);
    if (e)
        e->job = job;
    pthread_mutex_lock(&p->lock);
    int kept = e && queue_push(&p->queue, e);
    if (kept) {
        p->uncommitted++;
        pthread_cond_broadcast(&p->changed); /* something to build */
    }
    while (kept && queue_length(&p->queue) - p->uncommitted >= PIPE_BACKLOG &&
           p->status == DG_OK)
        pthread_cond_wait(&p->changed, &p->lock);
    pthread_mutex_unlock(&p->lock);
    if (!kept) {
        if (e)
            free(e);
        dg_index_job_free(job);
        return dg_error_set(err, DG_ERR_NOMEM, "index: out of memory");
    }
    return DG_OK;
}

void dg_index_pipe_committed(dg_index_pipe *p)
{
    pthread_mutex_lock(&p->lock);
    for (size_t i = p->queue.n - p->uncommitted; i < p->queue.n; i++)
        p->queue.items[i]->committed = 1;
    p->uncommitted = 0;
    pthread_cond_broadcast(&p->changed);
    pthread_mutex_unlock(&p->lock);
}

/* The open group's versions leave the queue; one the thread is building is freed by it. */
void dg_index_pipe_undone(dg_index_pipe *p)
{
    pthread_mutex_lock(&p->lock);
    for (size_t i = p->queue.n - p->uncommitted; i < p->queue.n; i++) {
        pipe_entry *e = p->queue.items[i];
        if (e->building)
            e->dropped = 1;
        else
            entry_free(e);
    }
    p->queue.n -= p->uncommitted;
    p->uncommitted = 0;
    if (p->queue.head == p->queue.n)
        p->queue.head = p->queue.n = 0;
    pthread_mutex_unlock(&p->lock);
}

int dg_index_pipe_group_due(dg_index_pipe *p)
{
    pthread_mutex_lock(&p->lock);
    int due = p->uncommitted >= GROUP_VERSIONS;
    pthread_mutex_unlock(&p->lock);
    return due;
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
    dg_index_pipe_undone(p); /* never committed */
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
