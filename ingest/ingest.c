/*
 * ingest.c — the batch runner: hashing, OCR on worker threads, filing in order, quarantine.
 *
 * Threads: the calling thread owns the archive handle and does everything that touches
 * it (duplicate checks, filing, quarantine, progress). Workers only read files and OCR
 * pages, each with its own type detector and Tesseract engine. Workers run at most a
 * window of items ahead of filing, so memory stays bounded however large the batch.
 */
#include "ingest.h"

#include <errno.h>
#include <leptonica/allheaders.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "../base/utf8.h"
#include "../engine/batch.h"
#include "../base/fileio.h"
#include "../base/hash.h"
#include "../engine/record.h"
#include "../engine/vocab.h"
#include "budget.h"
#include "detect.h"
#include "filing.h"
#include "ocr.h"
#include "pages.h"

/* One page as read and OCR'd by a worker, waiting to be filed. */
typedef struct page_result {
    unsigned char *image;
    size_t image_len;
    const char *mime;
    char *text;
    char *boxes;
    double confidence; /* -1 when not OCR'd */
    char lang[64];
} page_result;

/* One record to be: a file, or a manifest row's files. */
typedef struct work_item {
    size_t *file_index; /* into the input files, in page order */
    size_t n_files;
    const dg_manifest_row *row; /* NULL without a manifest */
    char source_sha[DG_SHA256_HEX];
    char duplicate_of[DG_REFCODE_MAX]; /* set in the pre-pass */
    char *skip_reason;  /* bad manifest row: nothing to read */
    int unlisted;       /* a file the manifest does not list (opts->unlisted decides) */
    /* filled by a worker: */
    int done;
    dg_status status;   /* DG_ERR_BAD_INPUT: quarantine */
    char reason[DG_ERROR_MAX];
    size_t bad_file;    /* which of the files failed */
    page_result *pages;
    size_t n_pages;
    size_t bytes;           /* its pages' images and texts, counted in held_bytes */
    double seconds;
    int has_props;          /* an office document's own properties (office.h) */
    dg_office_props props;
    /* its filing, decided by the worker too (prepare_item) */
    char *text;             /* the pages' texts joined */
    char *folded;           /* text as the index folds it (the classifier's fold), or NULL */
    dg_filing *filing;
    dg_status prepared;
    dg_error prepare_err;
} work_item;

typedef struct runner {
    dg_archive *archive;
    const dg_actor *actor;
    const dg_ingest_file *files;
    size_t n_files;
    const dg_ingest_options *opts;
    dg_filer *filer;
    dg_page_limits limits;
    dg_budget *budget;    /* memory, shared by the workers (budget.h) */
    work_item *items;
    size_t n_items;
    pthread_mutex_t lock;
    pthread_cond_t changed;
    size_t next_item;     /* next to hand to a worker */
    size_t filed_upto;    /* items before this are filed */
    size_t window;
    uint64_t held_bytes;  /* pages and texts read by workers and not yet filed (budget.h) */
    int stop;
    dg_status fatal;      /* a worker hit something the whole batch cannot go on without */
    dg_error fatal_err;
    uint64_t pages_total, pages_done;
    /* the group being filed under one hold of the write lock (dg_batch_hold) */
    int held;
    int txn_open; /* its records since the last group commit (dg_batch_group_begin) */
    struct timespec group_start;
} runner;

static double seconds_since(const struct timespec *start)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

/* ---- reading a file whole from its descriptor ---------------------------------------- */

static dg_status read_fd(int fd, const char *name, size_t max_bytes, unsigned char **data,
                         size_t *len, dg_error *err)
{
    return dg_read_fd_whole(fd, name, max_bytes, (char **)data, len, err);
}

/* ---- planning: items, hashes, duplicates ------------------------------------------- */

static dg_status hash_file(runner *r, size_t index, char hex[DG_SHA256_HEX], dg_error *err)
{
    const dg_ingest_file *f = &r->files[index];
    if (f->fd < 0)
        return dg_error_set(err, DG_ERR_BAD_INPUT, "%s: %s", f->name,
                            f->open_error ? f->open_error : "cannot open");
    unsigned char *data;
    size_t len;
    dg_status st = read_fd(f->fd, f->name, r->limits.max_file_bytes, &data, &len, err);
    if (st == DG_OK)
        dg_sha256_hex(data, len, hex);
    free(data);
    return st;
}

static const dg_ingest_file *find_file(runner *r, const char *name, size_t *index)
{
    for (size_t i = 0; i < r->n_files; i++) {
        if (!strcmp(r->files[i].name, name)) {
            *index = i;
            return &r->files[i];
        }
    }
    return NULL;
}

static work_item *add_item(runner *r, size_t n_files, dg_error *err)
{
    work_item *grown = realloc(r->items, (r->n_items + 1) * sizeof *grown);
    if (!grown) {
        dg_error_set(err, DG_ERR_NOMEM, "ingest: out of memory");
        return NULL;
    }
    r->items = grown;
    work_item *it = &r->items[r->n_items++];
    memset(it, 0, sizeof *it);
    it->file_index = calloc(n_files ? n_files : 1, sizeof *it->file_index);
    if (!it->file_index) {
        dg_error_set(err, DG_ERR_NOMEM, "ingest: out of memory");
        return NULL;
    }
    return it;
}

/*
 * Gives a row its files. A row that cannot be filed (its own error, a file not in the
 * batch, a file an earlier row already took) still claims the files it names that are in
 * the batch: they go to quarantine with the row's error instead of being filed one per
 * file, so fixing the row and rerunning files each page once, in one record.
 */
static void take_manifest_row(runner *r, work_item *it, const dg_manifest_row *row, int *used_by)
{
    it->row = row;
    if (row->error)
        it->skip_reason = strdup(row->error);
    for (size_t f = 0; f < row->n_files; f++) {
        size_t index = 0;
        char msg[DG_ERROR_MAX];
        msg[0] = '\0';
        if (!find_file(r, row->files[f], &index))
            snprintf(msg, sizeof msg, "manifest: row %d, files: '%s' is not in the batch",
                     row->line, row->files[f]);
        else if (used_by[index])
            snprintf(msg, sizeof msg, "manifest: row %d, files: '%s' is already in row %d",
                     row->line, row->files[f], used_by[index]);
        if (msg[0] && !it->skip_reason)
            it->skip_reason = strdup(msg);
        if (msg[0])
            continue;
        it->file_index[it->n_files++] = index;
        used_by[index] = row->line;
    }
}

/* Manifest rows first, in their order; then every file no row names, one item each: filed
 * as a record of its own only with DG_UNLISTED_FILE, else quarantined or skipped unread. */
static dg_status plan_items_from_manifest(runner *r, const dg_manifest *m, dg_error *err)
{
    int *used_by = calloc(r->n_files ? r->n_files : 1, sizeof *used_by);
    if (!used_by)
        return dg_error_set(err, DG_ERR_NOMEM, "ingest: out of memory");
    dg_status st = DG_OK;
    for (size_t i = 0; st == DG_OK && i < m->n_rows; i++) {
        work_item *it = add_item(r, m->rows[i].n_files, err);
        if (it)
            take_manifest_row(r, it, &m->rows[i], used_by);
        else
            st = DG_ERR_NOMEM;
    }
    for (size_t i = 0; st == DG_OK && i < r->n_files; i++) {
        if (used_by[i])
            continue;
        work_item *it = add_item(r, 1, err);
        if (!it) {
            st = DG_ERR_NOMEM;
            break;
        }
        it->file_index[0] = i;
        it->n_files = 1;
        it->unlisted = 1;
        it->done = r->opts->unlisted != DG_UNLISTED_FILE; /* nothing to hash or read */
    }
    free(used_by);
    return st;
}

static dg_status plan_items_one_per_file(runner *r, dg_error *err)
{
    r->items = calloc(r->n_files ? r->n_files : 1, sizeof *r->items);
    if (!r->items)
        return dg_error_set(err, DG_ERR_NOMEM, "ingest: out of memory");
    r->n_items = r->n_files;
    for (size_t i = 0; i < r->n_files; i++) {
        r->items[i].file_index = malloc(sizeof(size_t));
        if (!r->items[i].file_index)
            return dg_error_set(err, DG_ERR_NOMEM, "ingest: out of memory");
        r->items[i].file_index[0] = i;
        r->items[i].n_files = 1;
    }
    return DG_OK;
}

/* A record's source hash: its file's, or for several files a hash of their hashes. */
static dg_status hash_item(runner *r, work_item *it, dg_error *err)
{
    char joined[DG_SHA256_HEX * 64 + 16] = "dangan-record:";
    for (size_t f = 0; f < it->n_files; f++) {
        char hex[DG_SHA256_HEX];
        dg_status st = hash_file(r, it->file_index[f], hex, err);
        if (st != DG_OK) {
            it->bad_file = f;
            return st;
        }
        if (it->n_files == 1)
            memcpy(it->source_sha, hex, sizeof hex);
        else if (f < 64)
            strcat(joined, hex);
    }
    if (it->n_files > 1)
        dg_sha256_hex(joined, strlen(joined), it->source_sha);
    return DG_OK;
}

/* Pre-pass on the calling thread: hashes, duplicates, unreadable files. No OCR here. */
static dg_status find_duplicates(runner *r, dg_error *err)
{
    for (size_t i = 0; i < r->n_items; i++) {
        work_item *it = &r->items[i];
        if (it->skip_reason || it->done)
            continue;
        dg_error why;
        dg_status st = hash_item(r, it, &why);
        if (st == DG_ERR_NOMEM)
            return dg_error_set(err, st, "%s", why.msg);
        if (st != DG_OK) {
            it->done = 1;
            it->status = st;
            snprintf(it->reason, sizeof it->reason, "%s", why.msg);
            continue;
        }
        st = dg_record_find_by_source(r->archive, r->actor, it->source_sha, it->duplicate_of,
                                      &why);
        if (st == DG_ERR_NOT_FOUND)
            it->duplicate_of[0] = '\0';
        else if (st != DG_OK)
            return dg_error_set(err, st, "%s", why.msg);
    }
    return DG_OK;
}

/* ---- workers ----------------------------------------------------------------------- */

typedef struct worker_tools {
    dg_detector *detector;
    dg_ocr *ocr; /* opened on the first page that needs OCR */
} worker_tools;

static void page_results_free(page_result *pages, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(pages[i].image);
        free(pages[i].text);
        free(pages[i].boxes);
    }
    free(pages);
}

/*
 * OCRs one page. record_script carries the Chinese script measured on an earlier page of
 * the same record (empty before that): a record is written in one script, so later pages
 * skip the measurement (see dg_ocr_page_in_record).
 */
static dg_status ocr_page(runner *r, worker_tools *t, dg_page *page, const char *name,
                          char record_script[64], page_result *out, dg_error *err)
{
    if (!t->ocr) {
        dg_status st = dg_ocr_open(&t->ocr, r->opts->tessdata, err);
        if (st != DG_OK)
            return st;
    }
    dg_ocr_result *ocr = NULL;
    char where[512];
    snprintf(where, sizeof where, "%s: page %d", name, page->number);
    dg_status st = r->opts->lang && *r->opts->lang
                       ? dg_ocr_page(t->ocr, page->pix, r->opts->lang, where, &ocr, err)
                       : dg_ocr_page_in_record(t->ocr, page->pix,
                                               record_script[0] ? record_script : NULL, where,
                                               &ocr, err);
    if (st != DG_OK)
        return st;
    if (!record_script[0] && ocr->lang_sure && strcmp(ocr->lang, DG_OCR_LANG_ENGLISH) != 0)
        snprintf(record_script, 64, "%s", ocr->lang);
    out->text = ocr->text;
    ocr->text = NULL;
    out->confidence = ocr->confidence;
    snprintf(out->lang, sizeof out->lang, "%s", ocr->lang);
    size_t tsv_len;
    st = dg_ocr_words_to_tsv(ocr, &out->boxes, &tsv_len, err);
    dg_ocr_result_free(ocr);
    return st;
}

/* Turns one page into a result: its stored image, and its text (given or OCR'd). */
static dg_status take_page(runner *r, worker_tools *t, dg_page *page, const char *name,
                           const unsigned char *file_data, size_t file_len,
                           char record_script[64], page_result *out, dg_error *err)
{
    memset(out, 0, sizeof *out);
    out->confidence = -1;
    if (page->image) {
        out->image = page->image, out->image_len = page->image_len, out->mime = page->image_mime;
        page->image = NULL;
    } else { /* plain text: the file itself is the page */
        out->image = malloc(file_len ? file_len : 1);
        if (!out->image)
            return dg_error_set(err, DG_ERR_NOMEM, "ingest: out of memory");
        memcpy(out->image, file_data, file_len);
        out->image_len = file_len;
        out->mime = "text/plain";
    }
    if (page->text) {
        out->text = page->text;
        page->text = NULL;
        return DG_OK;
    }
    if (!page->pix)
        return DG_OK;
    dg_status st = ocr_page(r, t, page, name, record_script, out, err);
    __atomic_add_fetch(&r->pages_done, 1, __ATOMIC_RELAXED);
    return st;
}

static dg_status read_file_pages(runner *r, worker_tools *t, size_t file_index, work_item *it,
                                 char record_script[64], dg_error *err)
{
    const dg_ingest_file *f = &r->files[file_index];
    unsigned char *data;
    size_t len;
    dg_status st = read_fd(f->fd, f->name, r->limits.max_file_bytes, &data, &len, err);
    /* Decode only what fits in the batch's memory beside the other workers' pages. */
    uint64_t need = st == DG_OK ? dg_budget_estimate(data, len, &r->limits) : 0;
    int reserved = st == DG_OK && dg_budget_reserve(r->budget, need);
    if (st == DG_OK && !reserved)
        st = dg_error_set(err, DG_ERR_STATE, "%s: not read: the batch stopped", f->name);
    dg_document *doc = NULL;
    if (st == DG_OK)
        st = dg_document_open_memory(t->detector, data, len, f->name, &r->limits, &doc, err);
    if (st == DG_OK && !it->has_props && dg_document_props(doc))
        it->props = *dg_document_props(doc), it->has_props = 1;
    int count = st == DG_OK ? dg_document_page_count(doc) : 0;
    page_result *grown = st == DG_OK ? realloc(it->pages, (it->n_pages + (size_t)count) *
                                                              sizeof *grown)
                                     : NULL;
    if (st == DG_OK && !grown && count)
        st = dg_error_set(err, DG_ERR_NOMEM, "ingest: out of memory");
    if (grown)
        it->pages = grown;
    for (int p = 0; st == DG_OK && p < count; p++) {
        dg_page *page = NULL;
        st = dg_document_read_page(doc, p, &page, err);
        if (st == DG_OK)
            st = take_page(r, t, page, f->name, data, len, record_script,
                           &it->pages[it->n_pages++], err);
        dg_page_free(page);
    }
    dg_document_close(doc);
    free(data);
    if (reserved)
        dg_budget_release(r->budget, need);
    return st;
}

static void process_item(runner *r, worker_tools *t, work_item *it)
{
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    dg_error err;
    dg_status st = DG_OK;
    char record_script[64] = "";
    for (size_t f = 0; f < it->n_files && st == DG_OK; f++) {
        st = read_file_pages(r, t, it->file_index[f], it, record_script, &err);
        if (st != DG_OK)
            it->bad_file = f;
    }
    it->status = st;
    if (st != DG_OK) {
        snprintf(it->reason, sizeof it->reason, "%s", err.msg);
        page_results_free(it->pages, it->n_pages);
        it->pages = NULL;
        it->n_pages = 0;
    }
    /* A missing OCR model or a full disk is not the file's fault: stop the batch. */
    if (st != DG_OK && st != DG_ERR_BAD_INPUT) {
        pthread_mutex_lock(&r->lock);
        if (r->fatal == DG_OK) {
            r->fatal = st;
            r->fatal_err = err;
        }
        pthread_mutex_unlock(&r->lock);
    }
    it->seconds = seconds_since(&start);
}

static char *join_texts(const page_result *pages, size_t n);
static const char *item_name(runner *r, const work_item *it);

/* Decides the filing of a read item (metadata, category, level: filing.h) on the worker,
 * so the filing thread, which every record waits for, only files it. */
static void prepare_item(runner *r, work_item *it)
{
    it->text = join_texts(it->pages, it->n_pages);
    it->filing = malloc(sizeof *it->filing);
    if (!it->text || !it->filing) {
        it->prepared = dg_error_set(&it->prepare_err, DG_ERR_NOMEM, "ingest: out of memory");
        return;
    }
    it->prepared = dg_filer_prepare_folding(r->filer, it->text, item_name(r, it), it->row,
                                            it->has_props ? &it->props : NULL, it->filing,
                                            &it->folded, &it->prepare_err);
}

/* Whether a worker may take the next item now (budget.h: how far reading runs ahead). */
static int may_take(const runner *r)
{
    size_t ahead = r->next_item > r->filed_upto ? r->next_item - r->filed_upto : 0;
    return dg_budget_may_read_ahead(ahead, r->window, r->held_bytes);
}

static size_t item_bytes(const work_item *it)
{
    size_t bytes = (it->text ? strlen(it->text) : 0) + (it->folded ? strlen(it->folded) : 0);
    for (size_t p = 0; p < it->n_pages; p++)
        bytes += it->pages[p].image_len + (it->pages[p].text ? strlen(it->pages[p].text) : 0) +
                 (it->pages[p].boxes ? strlen(it->pages[p].boxes) : 0);
    return bytes;
}

static int next_work(runner *r, size_t *index)
{
    pthread_mutex_lock(&r->lock);
    for (;;) {
        while (r->next_item < r->n_items && r->items[r->next_item].done)
            r->next_item++; /* duplicates and unreadable files need no work */
        if (r->stop || r->fatal != DG_OK || r->next_item >= r->n_items) {
            pthread_mutex_unlock(&r->lock);
            return 0;
        }
        if (may_take(r))
            break;
        pthread_cond_wait(&r->changed, &r->lock);
    }
    *index = r->next_item++;
    pthread_mutex_unlock(&r->lock);
    return 1;
}

static void *worker_main(void *arg)
{
    runner *r = arg;
    worker_tools tools = {0};
    dg_error err;
    if (dg_detector_open(&tools.detector, &err) != DG_OK) {
        pthread_mutex_lock(&r->lock);
        if (r->fatal == DG_OK) {
            r->fatal = err.status ? err.status : DG_ERR_INTERNAL;
            r->fatal_err = err;
        }
        pthread_cond_broadcast(&r->changed);
        pthread_mutex_unlock(&r->lock);
        return NULL;
    }
    size_t index;
    while (next_work(r, &index)) {
        work_item *it = &r->items[index];
        if (!it->duplicate_of[0] && !it->skip_reason)
            process_item(r, &tools, it);
        if (!it->duplicate_of[0] && !it->skip_reason && it->status == DG_OK &&
            (!it->unlisted || r->opts->unlisted == DG_UNLISTED_FILE))
            prepare_item(r, it);
        size_t bytes = item_bytes(it);
        pthread_mutex_lock(&r->lock);
        it->bytes = bytes;
        r->held_bytes += bytes;
        it->done = 1;
        pthread_cond_broadcast(&r->changed);
        pthread_mutex_unlock(&r->lock);
    }
    dg_ocr_close(tools.ocr);
    dg_detector_close(tools.detector);
    return NULL;
}

/* ---- filing, on the calling thread ------------------------------------------------- */

static dg_ingest_outcome *new_outcome(dg_ingest_report *rep, const char *name, const char *what)
{
    dg_ingest_outcome *grown =
        realloc(rep->outcomes, (rep->n_outcomes + 1) * sizeof *rep->outcomes);
    if (!grown)
        return NULL;
    rep->outcomes = grown;
    dg_ingest_outcome *o = &rep->outcomes[rep->n_outcomes++];
    memset(o, 0, sizeof *o);
    o->name = strdup(name);
    o->outcome = strdup(what);
    o->confidence = o->class_confidence = -1;
    return o;
}

static const char *item_name(runner *r, const work_item *it)
{
    if (it->n_files)
        return r->files[it->file_index[it->bad_file < it->n_files ? it->bad_file : 0]].name;
    return it->row && it->row->n_files ? it->row->files[0] : "(manifest row)";
}

/* Copies one file to quarantine with why (the file could not be read: only the reason). */
/* Commits the records of the group filed so far: before anything else writes the catalog
 * (a quarantine, a journal row), which must not ride in the group's transaction. */
static dg_status commit_filed(runner *r, dg_error *err)
{
    if (!r->txn_open)
        return DG_OK;
    r->txn_open = 0;
    return dg_batch_group_commit(r->archive, err);
}

static dg_status quarantine_one(runner *r, size_t file_index, int64_t batch, const char *why,
                                int level, dg_ingest_report *rep, dg_error *err)
{
    dg_status committed = commit_filed(r, err);
    if (committed != DG_OK)
        return committed;
    const dg_ingest_file *f = &r->files[file_index];
    unsigned char *data = NULL;
    size_t len = 0;
    dg_error ignored;
    if (f->fd >= 0 && read_fd(f->fd, f->name, r->limits.max_file_bytes, &data, &len,
                              &ignored) != DG_OK) {
        free(data);
        data = NULL, len = 0;
    }
    /* A library's message may quote bytes of the file (a PDF's own names): the catalog
     * takes only UTF-8, so those bytes are kept visible as \xNN. */
    char *safe = dg_utf8_escape_invalid(why);
    dg_status st = safe ? dg_quarantine_file(r->archive, r->actor, batch, f->name, data, len,
                                             safe, level, err)
                        : dg_error_set(err, DG_ERR_NOMEM, "ingest: out of memory");
    free(data);
    dg_ingest_outcome *o = new_outcome(rep, f->name, "quarantined");
    if (o && safe)
        o->reason = strdup(safe);
    free(safe);
    rep->quarantined++;
    return st;
}

/*
 * Quarantines every file of an item with one reason: a record is taken in whole or not at
 * all, so no page of a failed record is filed on its own. A one-file item's reason
 * already names the file ("name: why"): only what comes after is kept.
 */
static dg_status quarantine_item_at(runner *r, work_item *it, int64_t batch,
                                    const char *reason, int level, dg_ingest_report *rep,
                                    dg_error *err)
{
    const char *why = reason;
    if (it->n_files == 1) {
        const char *name = r->files[it->file_index[0]].name;
        size_t name_len = strlen(name);
        if (!strncmp(why, name, name_len) && !strncmp(why + name_len, ": ", 2))
            why += name_len + 2;
    }
    dg_status st = DG_OK;
    for (size_t f = 0; f < it->n_files && st == DG_OK; f++)
        st = quarantine_one(r, it->file_index[f], batch, why, level, rep, err);
    return st;
}

/* The level a failed item was meant for: its manifest row's, when the row states one (so
 * that who may not see that level is not shown which file failed), else 0 (not known). */
static int item_level(const work_item *it)
{
    int level = 0;
    if (!it->row || !it->row->level || dg_level_parse(it->row->level, &level, NULL) != DG_OK)
        return 0;
    return level;
}

static dg_status quarantine_item(runner *r, work_item *it, int64_t batch, const char *reason,
                                 dg_ingest_report *rep, dg_error *err)
{
    return quarantine_item_at(r, it, batch, reason, item_level(it), rep, err);
}

static dg_status note_duplicate(runner *r, work_item *it, int64_t batch, dg_ingest_report *rep,
                                dg_error *err)
{
    dg_batch_file f = {.name = item_name(r, it), .sha256 = it->source_sha,
                       .outcome = DG_FILE_DUPLICATE, .refcode = it->duplicate_of,
                       .confidence = -1};
    dg_ingest_outcome *o = new_outcome(rep, f.name, "duplicate");
    if (o)
        snprintf(o->refcode, sizeof o->refcode, "%s", it->duplicate_of);
    rep->duplicates += it->n_files ? it->n_files : 1;
    dg_status st = commit_filed(r, err);
    return st != DG_OK ? st : dg_batch_note_file(r->archive, batch, &f, err);
}

/* A manifest row that cannot be filed: its files go to quarantine with the row's error. */
static dg_status skip_row(runner *r, work_item *it, int64_t batch, dg_ingest_report *rep,
                          dg_error *err)
{
    rep->skipped++;
    if (it->n_files)
        return quarantine_item(r, it, batch, it->skip_reason, rep, err);
    dg_batch_file f = {.name = item_name(r, it), .outcome = DG_FILE_QUARANTINED,
                       .reason = it->skip_reason, .confidence = -1, .level = item_level(it)};
    dg_ingest_outcome *o = new_outcome(rep, f.name, "skipped");
    if (o)
        o->reason = strdup(it->skip_reason);
    dg_status st = commit_filed(r, err);
    return st != DG_OK ? st : dg_batch_note_file(r->archive, batch, &f, err);
}

/* Joins the pages' texts; pages are separated by a blank line. */
static char *join_texts(const page_result *pages, size_t n)
{
    size_t total = 1;
    for (size_t i = 0; i < n; i++)
        total += (pages[i].text ? strlen(pages[i].text) : 0) + 2;
    char *text = malloc(total);
    if (!text)
        return NULL;
    size_t used = 0;
    for (size_t i = 0; i < n; i++) {
        if (!pages[i].text)
            continue;
        size_t len = strlen(pages[i].text);
        memcpy(text + used, pages[i].text, len);
        used += len;
        if (i + 1 < n) {
            memcpy(text + used, "\n\n", 2);
            used += 2;
        }
    }
    text[used] = '\0';
    return text;
}

static double mean_confidence(const page_result *pages, size_t n)
{
    double sum = 0;
    int count = 0;
    for (size_t i = 0; i < n; i++)
        if (pages[i].confidence >= 0)
            sum += pages[i].confidence, count++;
    return count ? sum / count : -1;
}

/*
 * A record whose level is above the ingesting archivist's clearance is not theirs to file
 * (they could not read it back): it is quarantined, with a reason saying who may take it
 * in, and the batch goes on. Quarantine rather than "file and hand over": filing it would
 * put the page under this archivist's name although they may not see it, and nobody would
 * be told to look. Returns 1 (and sets why) when the record must wait.
 */
static int above_clearance(const runner *r, const dg_filing *filing, const work_item *it,
                           char *why, size_t size)
{
    int level = filing->input.level;
    if (level <= r->actor->clearance || (r->actor->roles & DG_ROLE_ADMIN))
        return 0;
    if (filing->level_mark)
        snprintf(why, size, "secrecy mark %s needs clearance %d; an archivist with clearance "
                 "%d must ingest it", filing->level_mark, level, level);
    else
        snprintf(why, size, "manifest row %d: level %d is above your clearance (%d); an "
                 "archivist with clearance %d must ingest it", it->row ? it->row->line : 0,
                 level, r->actor->clearance, level);
    return 1;
}

/* Whether the archive's disk has (almost) no room left: under 64 KiB for its owner. */
static int disk_is_full(dg_archive *archive)
{
    struct statvfs vfs;
    return statvfs(dg_archive_path(archive), &vfs) == 0 &&
           (uint64_t)vfs.f_bavail * (uint64_t)vfs.f_frsize < (64u << 10);
}

/* A record the engine refuses for what it is, not for the archive's state. */
static int record_fault(dg_status st)
{
    return st == DG_ERR_USAGE || st == DG_ERR_BAD_INPUT || st == DG_ERR_DENIED;
}

static dg_status file_item(runner *r, work_item *it, int64_t batch, dg_ingest_report *rep,
                           dg_error *err)
{
    const char *text = it->text;
    dg_page_input *pages = calloc(it->n_pages ? it->n_pages : 1, sizeof *pages);
    if (!pages)
        return dg_error_set(err, DG_ERR_NOMEM, "ingest: out of memory");
    for (size_t p = 0; p < it->n_pages; p++)
        pages[p] = (dg_page_input){.data = it->pages[p].image, .len = it->pages[p].image_len,
                                   .mime = it->pages[p].mime, .text = it->pages[p].text,
                                   .boxes = it->pages[p].boxes,
                                   .confidence = it->pages[p].confidence,
                                   .lang = it->pages[p].lang[0] ? it->pages[p].lang : NULL};
    const char *name = item_name(r, it);
    if (!it->filing && it->prepared == DG_OK) /* an item no worker read */
        prepare_item(r, it);
    const dg_filing *filing = it->filing;
    dg_status st = it->prepared;
    if (st != DG_OK)
        *err = it->prepare_err;
    char refcode[DG_REFCODE_MAX] = "";
    char why[DG_ERROR_MAX];
    if (st == DG_OK && above_clearance(r, filing, it, why, sizeof why)) {
        free(pages);
        /* its level goes with it: who may not see that level is not shown which file */
        return quarantine_item_at(r, it, batch, why, filing->input.level, rep, err);
    }
    if (st == DG_OK) {
        char reason[600];
        snprintf(reason, sizeof reason, "ingested from %s (batch %lld)", name, (long long)batch);
        dg_record_input in = filing->input;
        in.text = text, in.folded_text = it->folded, in.pages = pages, in.n_pages = it->n_pages;
        in.ocr_confidence = mean_confidence(it->pages, it->n_pages);
        in.source_batch = r->opts->label, in.source_file = name, in.source_sha256 = it->source_sha;
        in.reason = reason, in.unique_source = 1, in.batch_id = batch, in.batch_file = name;
        in.seconds = it->seconds, in.index_later = 1;
        if (!r->txn_open && (st = dg_batch_group_begin(r->archive, err)) == DG_OK)
            r->txn_open = 1;
        if (st == DG_OK)
            st = dg_record_add(r->archive, r->actor, &in, refcode, err);
        /* Filed, but its indexing failed: the record is committed and stays queued for
         * indexing with the reason; the batch goes on and the outcome says so. */
        char *not_indexed = NULL;
        if (st == DG_ERR_INDEX && refcode[0]) {
            not_indexed = strdup(err->msg);
            st = not_indexed ? DG_OK : dg_error_set(err, DG_ERR_NOMEM, "ingest: out of memory");
        }
        dg_ingest_outcome *o = NULL;
        if (st == DG_OK && (o = new_outcome(rep, name, "filed"))) {
            o->reason = not_indexed;
            not_indexed = NULL;
            snprintf(o->refcode, sizeof o->refcode, "%s", refcode);
            o->title = strdup(in.title);
            o->category = strdup(in.category);
            o->record_type = in.record_type ? strdup(in.record_type) : NULL;
            o->pages = (int)it->n_pages;
            o->confidence = in.ocr_confidence;
            o->class_confidence = in.class_confidence;
            o->lang = it->n_pages && it->pages[0].lang[0] ? strdup(it->pages[0].lang) : NULL;
        }
        free(not_indexed);
        if (st == DG_OK) {
            rep->filed++;
            rep->filed_files += it->n_files;
            rep->pages += it->n_pages;
        } else if (st == DG_ERR_EXISTS) { /* another ingest filed it meanwhile */
            snprintf(it->duplicate_of, sizeof it->duplicate_of, "%s", refcode);
            st = note_duplicate(r, it, batch, rep, err);
        }
    }
    free(pages);
    /* This record's problem (the engine refused its text, text_guard.h, or its level or
     * title): its files wait in quarantine, and the batch goes on. */
    if (record_fault(st)) {
        snprintf(why, sizeof why, "%s", err->msg);
        return quarantine_item(r, it, batch, why, rep, err);
    }
    /* Anything else stops the batch (a full disk, a broken catalog): say which file, and
     * say so when the disk is full (Xapian's "Error writing block" does not). */
    if (st != DG_OK) {
        snprintf(why, sizeof why, "%s", err->msg);
        int named = !strncmp(why, name, strlen(name));
        int full = disk_is_full(r->archive) && !strstr(why, "the disk is full");
        dg_error_set(err, st, "%s%s%s%s", named ? "" : name, named ? "" : ": ", why,
                     full ? " (the disk is full)" : "");
    }
    return st;
}

/* A file the manifest does not list, unless DG_UNLISTED_FILE: quarantined or skipped. */
static dg_status hold_back_unlisted(runner *r, work_item *it, int64_t batch,
                                    dg_ingest_report *rep, dg_error *err)
{
    const char *manifest = r->opts->manifest_name ? r->opts->manifest_name : "manifest";
    char why[DG_ERROR_MAX];
    if (r->opts->unlisted == DG_UNLISTED_QUARANTINE) {
        snprintf(why, sizeof why, "not listed in the manifest %s; use --unlisted file to file it",
                 manifest);
        return quarantine_item(r, it, batch, why, rep, err);
    }
    snprintf(why, sizeof why, "not listed in the manifest %s (--unlisted skip)", manifest);
    dg_ingest_outcome *o = new_outcome(rep, item_name(r, it), "skipped");
    if (!o || !(o->reason = strdup(why)))
        return dg_error_set(err, DG_ERR_NOMEM, "ingest: out of memory");
    return DG_OK;
}

static dg_status file_one(runner *r, work_item *it, int64_t batch, dg_ingest_report *rep,
                          dg_error *err)
{
    if (it->unlisted)
        rep->unlisted++;
    if (it->unlisted && r->opts->unlisted != DG_UNLISTED_FILE)
        return hold_back_unlisted(r, it, batch, rep, err);
    if (it->skip_reason)
        return skip_row(r, it, batch, rep, err);
    if (it->duplicate_of[0])
        return note_duplicate(r, it, batch, rep, err);
    if (it->status != DG_OK)
        return quarantine_item(r, it, batch, it->reason, rep, err);
    return file_item(r, it, batch, rep, err);
}

/* Waits for item i, reporting progress while OCR runs. */
static int wait_for_item(runner *r, size_t i)
{
    pthread_mutex_lock(&r->lock);
    while (!r->items[i].done && r->fatal == DG_OK) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += 250 * 1000 * 1000;
        if (until.tv_nsec >= 1000000000L)
            until.tv_sec++, until.tv_nsec -= 1000000000L;
        pthread_cond_timedwait(&r->changed, &r->lock, &until);
        pthread_mutex_unlock(&r->lock);
        dg_archive_report_progress(r->archive, "ingest",
                                   __atomic_load_n(&r->pages_done, __ATOMIC_RELAXED),
                                   r->pages_total);
        pthread_mutex_lock(&r->lock);
    }
    int ok = r->items[i].done;
    pthread_mutex_unlock(&r->lock);
    return ok;
}

static void release_item(work_item *it)
{
    page_results_free(it->pages, it->n_pages);
    it->pages = NULL;
    it->n_pages = 0;
    free(it->text);
    free(it->folded);
    free(it->filing);
    it->text = NULL;
    it->folded = NULL;
    it->filing = NULL;
}

/* The filed outcome of refcode in this batch that has no reason yet, or NULL. */
static dg_ingest_outcome *filed_outcome(dg_ingest_report *rep, const char *reason)
{
    for (size_t k = rep->n_outcomes; k-- > 0;) {
        dg_ingest_outcome *o = &rep->outcomes[k];
        size_t n = strlen(o->refcode);
        if (n && !o->reason && !strcmp(o->outcome, "filed") && !strncmp(reason, o->refcode, n) &&
            !strncmp(reason + n, " version ", 9))
            return o;
    }
    return NULL;
}

/*
 * Indexes the group filed under the held write lock and lets the lock go. A record of the
 * group that could not be indexed is filed and stays queued: its outcome says so, as a
 * record indexed on its own would (a version of another writer's is only listed by verify).
 */
static dg_status let_go_group(runner *r, dg_ingest_report *rep, dg_error *err)
{
    r->held = 0;
    r->txn_open = 0; /* dg_batch_let_go commits it */
    dg_index_failures failed = {0};
    dg_status st = dg_batch_let_go(r->archive, &failed, err);
    for (size_t k = 0; st == DG_OK && k < failed.count; k++) {
        dg_ingest_outcome *o = filed_outcome(rep, failed.reasons[k]);
        char why[DG_ERROR_MAX];
        snprintf(why, sizeof why, "saved, but cannot be indexed: %s (it stays queued: 'dangan "
                 "verify' lists it, 'dangan reindex' retries it)", failed.reasons[k]);
        if (o && !(o->reason = strdup(why)))
            st = dg_error_set(err, DG_ERR_NOMEM, "ingest: out of memory");
    }
    dg_index_failures_free(&failed);
    return st;
}

/* 1 when item i has been read (or the batch is failing) within a tenth of a second: a
 * born-digital file is read in about a millisecond, so a group is not cut for a worker
 * that was only a little behind, and the lock is not held while a page is OCR'd. */
static int item_ready_soon(runner *r, size_t i)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_nsec += 100 * 1000 * 1000;
    if (until.tv_nsec >= 1000000000L)
        until.tv_sec++, until.tv_nsec -= 1000000000L;
    pthread_mutex_lock(&r->lock);
    while (!r->items[i].done && r->fatal == DG_OK &&
           pthread_cond_timedwait(&r->changed, &r->lock, &until) == 0)
        ;
    int ready = r->items[i].done || r->fatal != DG_OK;
    pthread_mutex_unlock(&r->lock);
    return ready;
}

/*
 * Files the items in order, in groups under one hold of the write lock (batch.h): a group
 * ends after a second, or when the next item is not read a tenth of a second later, so
 * the lock is not held while OCR runs and other writers wait at most about a second.
 * Filing a group in one transaction and indexing it in one commit, instead of each record
 * in its own, saves the index's opening and most syncs.
 */
static dg_status file_in_order(runner *r, int64_t batch, dg_ingest_report *rep, dg_error *err)
{
    dg_status st = DG_OK;
    for (size_t i = 0; i < r->n_items && st == DG_OK; i++) {
        if (r->held && (seconds_since(&r->group_start) >= 1.0 || !item_ready_soon(r, i)))
            st = let_go_group(r, rep, err);
        if (st != DG_OK || !wait_for_item(r, i))
            break;
        if (!r->held) {
            st = dg_batch_hold(r->archive, err);
            if (st != DG_OK)
                break;
            r->held = 1;
            clock_gettime(CLOCK_MONOTONIC, &r->group_start);
        }
        st = file_one(r, &r->items[i], batch, rep, err);
        /* the records filed so far go to the index thread (batch.h) */
        if (st == DG_OK && r->txn_open && dg_batch_group_due(r->archive))
            st = commit_filed(r, err);
        release_item(&r->items[i]);
        pthread_mutex_lock(&r->lock);
        r->held_bytes -= r->items[i].bytes;
        r->items[i].bytes = 0;
        r->filed_upto = i + 1;
        pthread_cond_broadcast(&r->changed);
        pthread_mutex_unlock(&r->lock);
    }
    if (r->held) { /* what the group filed is committed: index it even after a failure */
        dg_error group_err;
        dg_status gst = let_go_group(r, rep, st == DG_OK ? err : &group_err);
        st = st == DG_OK ? gst : st;
    }
    if (st == DG_OK && r->fatal != DG_OK) {
        *err = r->fatal_err;
        st = r->fatal;
    }
    return st;
}

/* Every OCR page to come, for progress: image pages count one each (PDF pages are
 * counted as the file's pages only once read, so they stretch the total a little). */
static void count_pages(runner *r)
{
    for (size_t i = 0; i < r->n_items; i++)
        if (!r->items[i].done && !r->items[i].duplicate_of[0] && !r->items[i].skip_reason)
            r->pages_total += r->items[i].n_files;
}

static int default_jobs(void)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    return cores > 0 ? (int)cores : 1;
}

static dg_status run_workers(runner *r, int64_t batch, dg_ingest_report *rep, dg_error *err)
{
    int jobs = r->opts->jobs > 0 ? r->opts->jobs : default_jobs();
    if (jobs > 64)
        jobs = 64;
    /* Four items a worker: a page that takes ten times as long as its neighbours (a dense
     * page among short notices) then rarely leaves the other workers waiting for it to be
     * filed (2 a worker: bench/ingest 1-3% slower). */
    r->window = (size_t)jobs * 4;
    pthread_t threads[64];
    int started = 0;
    for (; started < jobs; started++)
        if (pthread_create(&threads[started], NULL, worker_main, r) != 0)
            break;
    dg_status st = started ? file_in_order(r, batch, rep, err)
                           : dg_error_set(err, DG_ERR_INTERNAL, "cannot start OCR workers");
    pthread_mutex_lock(&r->lock);
    r->stop = 1;
    pthread_cond_broadcast(&r->changed);
    pthread_mutex_unlock(&r->lock);
    dg_budget_cancel(r->budget);
    for (int i = 0; i < started; i++)
        pthread_join(threads[i], NULL);
    return st;
}

static void free_items(runner *r)
{
    for (size_t i = 0; i < r->n_items; i++) {
        free(r->items[i].file_index);
        free(r->items[i].skip_reason);
        release_item(&r->items[i]);
    }
    free(r->items);
}

void dg_ingest_quiet_libraries(void)
{
    setMsgSeverity(L_SEVERITY_NONE);
}

void dg_ingest_report_free(dg_ingest_report *rep)
{
    if (!rep)
        return;
    for (size_t i = 0; i < rep->n_outcomes; i++) {
        dg_ingest_outcome *o = &rep->outcomes[i];
        free(o->name);
        free(o->outcome);
        free(o->title);
        free(o->category);
        free(o->record_type);
        free(o->reason);
        free(o->lang);
    }
    free(rep->outcomes);
    free(rep->warning);
    free(rep);
}

/*
 * Warns before the batch starts when the archive's disk has less free space than the batch
 * is likely to need: every file stored (compressed, so rarely more than its size), its text,
 * index and catalog rows (measured on bench/ingest: about a third on top), and a margin.
 * Only a warning: the estimate is rough, and a full disk stops the batch cleanly anyway.
 */
static void check_free_space(runner *r, dg_ingest_report *rep)
{
    uint64_t input = 0;
    for (size_t i = 0; i < r->n_files; i++) {
        struct stat sb;
        if (r->files[i].fd >= 0 && fstat(r->files[i].fd, &sb) == 0 && S_ISREG(sb.st_mode))
            input += (uint64_t)sb.st_size;
    }
    uint64_t need = input + input / 2 + (8ULL << 20);
    struct statvfs vfs;
    if (statvfs(dg_archive_path(r->archive), &vfs) != 0)
        return;
    uint64_t free_bytes = (uint64_t)vfs.f_bavail * (uint64_t)vfs.f_frsize;
    if (free_bytes >= need)
        return;
    char msg[512];
    snprintf(msg, sizeof msg, "only %.1f MB free on the archive's disk; this batch (%.1f MB of "
             "files) may need about %.1f MB: a full disk stops it at the file that no longer "
             "fits", (double)free_bytes / 1e6, (double)input / 1e6, (double)need / 1e6);
    rep->warning = strdup(msg);
}

static dg_status plan(runner *r, const dg_manifest *manifest, dg_error *err)
{
    dg_status st = manifest ? plan_items_from_manifest(r, manifest, err)
                            : plan_items_one_per_file(r, err);
    if (st == DG_OK)
        st = find_duplicates(r, err);
    count_pages(r);
    return st;
}

dg_status dg_ingest(dg_archive *archive, const dg_actor *actor, const dg_ingest_file *files,
                    size_t n_files, const dg_manifest *manifest, const dg_ingest_options *opts,
                    dg_ingest_report **out, dg_error *err)
{
    *out = NULL;
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    runner r = {.archive = archive, .actor = actor, .files = files, .n_files = n_files,
                .opts = opts};
    dg_page_limits_init(&r.limits);
    r.limits.office.soffice = opts->soffice;
    r.limits.text_encoding = opts->encoding;
    pthread_mutex_init(&r.lock, NULL);
    pthread_cond_init(&r.changed, NULL);
    dg_ingest_report *rep = calloc(1, sizeof *rep);
    int64_t batch = 0;
    dg_status st = rep ? dg_batch_begin(archive, actor, opts->label ? opts->label : "batch",
                                        n_files, &batch, err)
                       : dg_error_set(err, DG_ERR_NOMEM, "ingest: out of memory");
    if (st == DG_OK)
        st = dg_filer_open(archive, actor, &r.filer, err);
    if (st == DG_OK)
        st = dg_budget_open(opts->memory, &r.budget, err);
    if (st == DG_OK)
        st = plan(&r, manifest, err);
    if (st == DG_OK)
        check_free_space(&r, rep);
    if (st == DG_OK)
        st = run_workers(&r, batch, rep, err);
    if (rep) {
        rep->batch_id = batch;
        rep->files = n_files;
        rep->seconds = seconds_since(&start);
    }
    if (batch > 0) { /* close the batch even after a failure: the journal says how far it got */
        dg_error finish_err;
        dg_status fst = dg_batch_finish(archive, actor, batch, rep ? rep->seconds : 0, &finish_err);
        if (st == DG_OK && fst != DG_OK) {
            st = fst;
            *err = finish_err;
        }
    }
    dg_archive_report_progress(archive, "ingest", r.pages_done, r.pages_done);
    free_items(&r);
    dg_filer_close(r.filer);
    dg_budget_close(r.budget);
    pthread_cond_destroy(&r.changed);
    pthread_mutex_destroy(&r.lock);
    if (st != DG_OK) {
        dg_ingest_report_free(rep);
        return st;
    }
    *out = rep;
    return DG_OK;
}
