/*
 * record.h — records (件), their immutable versions and pages, and grants. Searching them
 * is search.h; the index they feed, indexer.h.
 *
 * A record is filed once (dg_record_add) and gets its reference code then; from then on
 * it changes only by new versions (dg_record_edit): each says who made it, when and why,
 * and no version is ever changed. The newest version is what show and search give by
 * default; older ones stay readable (dg_record_get with a version number) and searchable.
 *
 * Clearance is checked here, in the engine, on every read. A record the actor may not see
 * is reported exactly like one that does not exist (DG_ERR_NOT_FOUND, "no such record"),
 * and the attempt is logged for auditors as a refusal.
 */
#ifndef DG_RECORD_H
#define DG_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "../index/index.h"
#include "refcode.h"
#include "../base/status.h"
#include "user.h"

typedef struct dg_archive dg_archive;
struct dg_class_review_entry; /* class_review.h */

/* One page to store: the original bytes (kept as they came) and what OCR read from it. */
typedef struct dg_page_input {
    const void *data;
    size_t len;
    const char *mime;    /* "image/tiff", "image/png", "text/plain", "application/pdf"... */
    const char *text;    /* the page's text, or NULL */
    const char *boxes;   /* word boxes (TSV) for highlighting, or NULL */
    double confidence;   /* OCR mean confidence 0-100, or -1 when not OCR'd */
    const char *lang;    /* OCR language used, or NULL */
} dg_page_input;

/* What a new record is filed with. NULL / -1 / 0 fields take their defaults. */
typedef struct dg_record_input {
    const char *title;       /* required */
    const char *category;    /* required: name or code (see vocab.h) */
    const char *record_type; /* e.g. "notice"; decides the period through the schedule */
    const char *doc_number;  /* 发文字号 */
    const char *doc_date;    /* YYYY-MM-DD */
    int year;                /* formation year; 0: the date's year, else provisional (refcode.h) */
    const char *department;  /* responsible department, free text (e.g. 财务处) */
    const char *dept_code;   /* department level of the reference code (e.g. CWC), or NULL */
    int level;               /* 0-4; -1: the category's default */
    const char *period;      /* Y/D30/D10; NULL: from the retention schedule */
    const char *location;    /* paper original: cabinet/box/shelf */
    const char *secrecy;     /* secrecy mark as printed, e.g. 秘密★5年 */
    const char *subject;     /* 当事人: whose file it is (a login, or a name with an
                                optional "(ID)"), or NULL; see loan.h */
    const char *text;        /* the record's whole text (all pages), or NULL */
    const char *folded_text; /* text as the index folds it (dg_text_folder_fold), when the
                                caller already folded it (ingest's classifier), or NULL */
    const dg_page_input *pages;
    size_t n_pages;
    double ocr_confidence;   /* -1 when not OCR'd */
    double class_confidence; /* -1 when classified by hand */
    const char *source_batch;
    const char *source_file;
    const char *source_sha256; /* SHA-256 of the source file, to find duplicates */
    const char *reason;      /* why version 1 exists, e.g. "added from notice.txt" */
    int unique_source;       /* refuse (DG_ERR_EXISTS, refcode set to the existing record)
                                when a live record the actor may see came from a file
                                with source_sha256 */
    int64_t batch_id;        /* > 0: journal this file in that ingest batch (batch.h) */
    const char *batch_file;  /* the file's name within the batch */
    double seconds;          /* time spent reading and OCR'ing it, for the journal */
    int index_later;         /* leave the version queued for the index: the caller files a
                                group under dg_batch_hold, which indexes the group in one
                                commit when it lets go (batch.h) */
} dg_record_input;

/*
 * Files a new record as version 1: stores its pages and text, allocates its reference code
 * (written to refcode), indexes it and logs it. Needs the archivist or admin role, and the
 * level may not exceed the actor's clearance (an admin may file at any level).
 */
dg_status dg_record_add(dg_archive *archive, const dg_actor *actor, const dg_record_input *in,
                        char refcode[DG_REFCODE_MAX], dg_error *err);

/* A change, written as a new version. NULL fields keep the previous version's value. */
typedef struct dg_record_change {
    const char *title, *category, *record_type, *doc_number, *doc_date, *department;
    const char *period, *location, *secrecy, *subject;
    const int *level;
    const int *year;
    const char *text;             /* corrected text */
    const dg_page_input *pages;   /* a rescan: replaces every page */
    size_t n_pages;
    const double *class_confidence;
    const char *reason;           /* required: why */
    /* A classification review decided by this change (a correction), or NULL: it is
     * recorded about the new version (its version field is ignored), with the model it
     * taught, in the transaction that writes the version — a crash never keeps the new
     * classification without its lesson. */
    const struct dg_class_review_entry *review;
    /* DG_REFCODE_MAX bytes, or NULL: receives the record's code after the change — a new
     * one when the change gave a provisional record (refcode.h) its year. */
    char *final_refcode;
} dg_record_change;

/*
 * Writes a new version of a visible record with the change applied and logs it, writing
 * the new version number to *version. A year (or a date) given to a record filed under a
 * provisional code confirms its year: it gets its final code (refcode.h), in the same
 * transaction, and keeps the provisional one as an alias. A level change re-tags every version in the index.
 * Needs the archivist or admin role; a change that changes nothing is DG_ERR_USAGE. With
 * a review, also dg_class_review_record's refusals (DG_ERR_STATE for a stale model
 * generation), and then nothing is written.
 */
dg_status dg_record_edit(dg_archive *archive, const dg_actor *actor, const char *refcode,
                         const dg_record_change *change, int *version, dg_error *err);

typedef struct dg_version_info {
    int number;
    char *created_at, *author, *reason;
    char *title, *category, *record_type, *doc_number, *doc_date, *department;
    char *period, *location, *secrecy, *source_batch, *source_file, *text_sha256;
    char *subject; /* 当事人, or NULL */
    int year, level, page_count;
    double ocr_confidence, class_confidence; /* -1 when none */
} dg_version_info;

typedef struct dg_page_info {
    int seq;
    char *sha256, *mime, *lang, *text_sha256;
    double confidence;
} dg_page_info;

typedef struct dg_record {
    int64_t id;
    char *refcode;
    int level;            /* the record's current level (applies to every version) */
    int current_version;
    char *created_at;
    dg_version_info version;   /* the version asked for */
    char *text;                /* its text, or NULL */
    dg_page_info *pages;
    size_t n_pages;
    dg_version_info *history;  /* every version, oldest first */
    size_t n_history;
} dg_record;

/*
 * Reads a record as the actor sees it: version 0 means the newest. Logged as "show".
 * A record above the actor's clearance is DG_ERR_NOT_FOUND, word for word as for a
 * missing one. Free with dg_record_free().
 */
dg_status dg_record_get(dg_archive *archive, const dg_actor *actor, const char *refcode,
                        int version, dg_record **out, dg_error *err);
void dg_record_free(dg_record *record);

/* Reads one stored page image (seq from 1) of a visible record's version. Logged. */
dg_status dg_record_page(dg_archive *archive, const dg_actor *actor, const char *refcode,
                         int version, int seq, void **data, size_t *len, char **mime,
                         dg_error *err);

/* Grants (grant = 1) or revokes a user's access to a level-4 record (admin only). */
dg_status dg_record_grant(dg_archive *archive, const dg_actor *actor, const char *refcode,
                          const char *login, int grant, dg_error *err);

/* Finds a live record the actor may see whose source file had this SHA-256 (used by ingest
 * to report duplicates). Writes its code, or DG_ERR_NOT_FOUND, also when the only such
 * records are above the actor's clearance: a hidden record is never named, and a copy of
 * it is a distinct filing by this actor. */
dg_status dg_record_find_by_source(dg_archive *archive, const dg_actor *actor,
                                   const char *source_sha256, char refcode[DG_REFCODE_MAX],
                                   dg_error *err);

/* The retention period the schedule gives a category and type (type may be NULL). */
dg_status dg_schedule_period(dg_archive *archive, const char *category_key,
                             const char *record_type, char period[8], dg_error *err);

#endif
