/*
 * record_internal.h — pieces of record.c shared with the modules that write versions or
 * check visibility (version.c, search.c, class_review.c, disposal.c). Private to engine/.
 */
#ifndef DG_RECORD_INTERNAL_H
#define DG_RECORD_INTERNAL_H

#include <sqlite3.h>
#include <stdint.h>

#include "loan.h"
#include "record.h"
#include "store.h"
#include "visibility.h" /* VISIBLE_TO_ACTOR */


/* Columns read by dg_version_from_row (column 21 is the version id, 22 the subject). */
#define VERSION_COLUMNS                                                                     \
    "v.number, v.created_at, coalesce(u.login, '?'), dg_clear(v.reason), dg_clear(v.title),"\
    " v.category, v.record_type, v.doc_number, v.doc_date, v.department, v.period,"        \
    " v.location, v.secrecy, v.source_batch, dg_clear(v.source_file), v.text_sha256,"     \
    " v.year, v.level,"                                                                   \
    " v.page_count, coalesce(v.ocr_confidence, -1), coalesce(v.class_confidence, -1), v.id,"      \
    " dg_clear(v.subject)"

/* Objects stored for one write, remembered until their catalog rows are inserted. */
typedef struct dg_object_list {
    struct dg_stored_object {
        char hex[DG_SHA256_HEX];
        uint64_t size, stored_size;
    } *items;
    size_t count, cap;
    const dg_store_seal *seal; /* the record's data key (encrypted archives), else NULL */
} dg_object_list;

/*
 * The data key a write seals its objects with. dg_record_seal_new makes a new record's key
 * (committed to keys.db at once; a key whose record never commits is shredded by the next
 * destruction's sweep); dg_record_seal_of finds an existing record's. Both leave *use NULL
 * in an unencrypted archive, else point it at seal.
 */
dg_status dg_record_seal_new(dg_archive *archive, dg_store_seal *seal,
                             const dg_store_seal **use, dg_error *err);
dg_status dg_record_seal_of(dg_archive *archive, int64_t record_id, dg_store_seal *seal,
                            const dg_store_seal **use, dg_error *err);

/* Seals plain (NULL: *out NULL) under record_id's data key into *out (malloc'd), for text
 * about one record that its destruction must shred with it (a hold's reasons, a review
 * decision's); a copy in an unencrypted archive. */
dg_status dg_record_seal_text(dg_archive *archive, int64_t record_id, const char *plain,
                              char **out, dg_error *err);

/* Hashes of one stored page: image, text (or empty) and boxes (or empty). */
typedef struct dg_stored_page {
    char image[DG_SHA256_HEX], text[DG_SHA256_HEX], boxes[DG_SHA256_HEX];
} dg_stored_page;

/* The fully resolved metadata of a version about to be written. */
typedef struct version_fields {
    const char *title, *category, *record_type, *doc_number, *doc_date, *department;
    const char *location, *secrecy, *source_batch, *source_file, *source_sha256, *reason;
    const char *subject;
    char period[8];
    int year, level, page_count;
    double ocr_confidence, class_confidence;
    char text_sha[DG_SHA256_HEX]; /* empty when the version has no text */
} version_fields;

typedef struct dg_record_row {
    int64_t id;
    int level, current_version;
    char refcode[DG_REFCODE_MAX]; /* its code now, also when it was found by an alias */
    int year;                     /* the records row's year: 0 while provisional */
} dg_record_row;

dg_status dg_store_contents(dg_archive *archive, dg_object_list *objects, const char *text,
                            const dg_page_input *pages, size_t n_pages, dg_stored_page *stored,
                            char text_sha[DG_SHA256_HEX], dg_error *err);
dg_status dg_insert_object_rows(sqlite3 *db, const dg_object_list *list, dg_error *err);
/* The UTF-8 guard (text_guard.h) of pages about to be stored: texts, boxes, types, languages. */
dg_status dg_pages_check_text(const dg_page_input *pages, size_t n, dg_error *err);


/*
 * After a write that stored list's objects failed before its commit (a full disk, a
 * catalog error): removes those of them the catalog does not know, at once, under the
 * write lock still held. An object stored earlier by a committed record is known and
 * stays. Best effort: what cannot be removed now is removed by the next writer, as after
 * a crash (lock.c, forget_crashed_write), because the writing mark is then left.
 */
void dg_forget_uncommitted_objects(dg_archive *archive, const dg_object_list *list);
/*
 * Inserts a version row. With seal (an encrypted archive: the record's data key) the
 * title, reason and source file are stored sealed (sealed_text.h).
 */
dg_status dg_insert_version_row(sqlite3 *db, int64_t record_id, int number,
                                const dg_actor *actor, const version_fields *v,
                                const dg_store_seal *seal, int64_t *version_id, dg_error *err);
dg_status dg_insert_page_rows(sqlite3 *db, int64_t version_id, const dg_page_input *pages,
                              const dg_stored_page *stored, size_t n, dg_error *err);
dg_status dg_copy_page_rows(sqlite3 *db, int64_t from_version, int64_t to_version, dg_error *err);
dg_status dg_enqueue_version(sqlite3 *db, int64_t version_id, dg_error *err);
dg_status dg_enqueue_record(sqlite3 *db, int64_t record_id, dg_error *err);
dg_status dg_find_visible(dg_archive *archive, const dg_actor *actor, const char *refcode,
                          const char *action, dg_record_row *row, dg_error *err);
/* Fills v from a row of VERSION_COLUMNS; 0 when a copy of a column ran out of memory (the
 * fields copied so far are set: free them with the version as usual). */
int dg_version_from_row(sqlite3_stmt *stmt, dg_version_info *v);
void dg_version_info_free(dg_version_info *v);

#endif
