/*
 * bench/index_doc.h — record i of the bench corpus (corpus.h) as the index document that
 * bench/search.c and bench/scale.c both put into dangan's index: version i+1 of record
 * i+1, current, and every tenth level-4 record among the first BENCH_GRANT_SPAN granted to
 * user 1 (the clearance-1 viewer), so the grant shard is part of that viewer's searches.
 * Grants are a person's loans and exceptions: about 200 at any size from 10,000 records up
 * (every tenth level-4 record of the whole archive made 20,000 at a million, and the first
 * search's copy of them, not the search, was what bench/scale timed).
 */
#ifndef DG_BENCH_INDEX_DOC_H
#define DG_BENCH_INDEX_DOC_H

#include "bench/corpus.h"
#include "index/index.h"

#define BENCH_GRANT_SPAN 10000
#define BENCH_STR_(x) #x
#define BENCH_STR(x) BENCH_STR_(x)

/* The text of one document; d's pointers point into it. */
typedef struct bench_doc {
    char title[256], number[64], body[4096], ref[64];
    int64_t grant;
} bench_doc;

static inline void bench_index_doc(int i, bench_doc *b, dg_index_doc *d)
{
    *d = (dg_index_doc){0};
    bench_record(i, b->title, sizeof b->title, b->number, sizeof b->number, b->body,
                 sizeof b->body, b->ref, sizeof b->ref, &d->year, &d->level);
    b->grant = 1;
    d->version_id = i + 1;
    d->record_id = i + 1;
    d->version_number = 1;
    d->is_current = 1;
    d->title = b->title;
    d->doc_number = b->number;
    d->refcode = b->ref;
    d->body = b->body;
    d->category = BENCH_CATEGORIES[i % 5];
    d->period = BENCH_PERIODS[i % 3];
    d->grants = &b->grant;
    d->n_grants = d->level == 4 && i % 10 == 0 && i < BENCH_GRANT_SPAN ? 1 : 0;
}

#endif
