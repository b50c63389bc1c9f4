/*
 * index.h — the full-text index: Xapian behind a pure C contract.
 *
 * The index is derived data: the engine (the only caller) rebuilds it from the catalog
 * whenever it must. Each *version* of a record is one index document, identified by its
 * version id. The engine passes plain text and metadata; this module does the rest:
 * folding (index/fold.h: traditional -> simplified, full-width -> ASCII), Xapian's CJK
 * n-gram term generation, English stemming, field prefixes, filter terms, values for
 * sorting and facets, and snippets.
 *
 * Clearance is enforced here twice. The index is one Xapian database per access level
 * (folders L0..L4 of the index folder); a search reads only the levels the viewer may see,
 * combined, plus a copy of exactly the level-4 documents granted to the viewer, so that
 * relevance scores (term statistics, document lengths, collection size) depend only on
 * documents the viewer may see. Inside that, a boolean filter in the Xapian query keeps hit
 * counts, facet counts and snippets to permitted documents (current versions, grants). A
 * caller describes who is asking (dg_index_viewer); nothing above that ever sees a
 * document the viewer may not see, nor a statistic of one.
 *
 * Visibility rule (same as the engine's): a document at level L (0..4) is visible to a
 * viewer with clearance C when L <= min(C, 3); a level-4 document is visible only when the
 * viewer's clearance is 4 (a blanket grant) or the viewer's user id is among the
 * document's grant list.
 *
 * Every Xapian exception is caught inside the shim (index/xapian_shim.cc) and returned as
 * DG_ERR_INDEX (or DG_ERR_QUERY for a malformed query) with a message. No Xapian type
 * crosses this header.
 *
 * Concurrency: one writer at a time (the engine serialises writers with its own lock; a
 * second writable open fails with DG_ERR_BUSY); any number of readers. A reader that
 * races a writer's commit reopens and retries internally.
 */
#ifndef DG_INDEX_H
#define DG_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include "../base/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct dg_index dg_index;

enum { DG_INDEX_READ = 0, DG_INDEX_WRITE = 1 };

/*
 * Opens (creating when writable and absent) the Xapian database in the folder path. A
 * read-only open of a non-empty index written by an older dangan (whose documents lack the
 * terms this version's permission filter needs) fails with DG_ERR_INDEX and a message that
 * says to run `dangan reindex`; a writable open succeeds, so that reindex can replace it.
 */
dg_status dg_index_open(const char *path, int mode, dg_index **out, dg_error *err);

typedef struct dg_index_folder dg_index_folder;

/*
 * dg_index_open, with the folding tables of folding (dg_index_folder_open below) lent to
 * the handle instead of read again: OpenCC's converter and the set of code points its
 * tables hold, about 40 million instructions a writer open, which a process that takes
 * the write lock again and again (ingest's holds, a server's writes) paid every time.
 * folding must outlive the handle, and nothing else may fold with it while the handle is
 * in use (the handle folds on whichever thread uses it).
 */
dg_status dg_index_open_folding(const char *path, int mode, dg_index_folder *folding,
                                dg_index **out, dg_error *err);
void dg_index_close(dg_index *index);

/*
 * Folding as the index folds (base/fold.h's dg_fold: width, then OpenCC's t2s; the same
 * text) in a fraction of the time: only the runs of characters that OpenCC's tables hold go
 * through OpenCC (see fold_for_index). Opening reads those tables once (about 30 ms). For
 * whoever folds many texts, such as the classifier. Not shareable between threads.
 */
dg_status dg_index_folder_open(dg_index_folder **out, dg_error *err);
/* *out: the folded text (malloc'd); text is read up to len or its first NUL. */
dg_status dg_index_fold(dg_index_folder *folder, const char *text, size_t len, char **out,
                        dg_error *err);
void dg_index_folder_close(dg_index_folder *folder);

/*
 * What the index folder at path holds: nothing usable (absent, emptied), the single
 * database of every level that dangan wrote before format 3 (readers refuse it; opening
 * the archive rebuilds it), or the five level databases of today.
 */
typedef enum { DG_INDEX_ABSENT = 0, DG_INDEX_OLD_LAYOUT, DG_INDEX_PRESENT } dg_index_state;
dg_index_state dg_index_folder_state(const char *path);

/* What one version contributes to the index. All strings UTF-8; NULL means absent. */
typedef struct dg_index_doc {
    int64_t version_id;     /* unique key of the index document */
    int64_t record_id;
    int version_number;     /* 1, 2, ... within the record */
    int is_current;         /* newest version of its record: searchable by default */
    const char *refcode;    /* X001-XZ·2024-D10-BGS-0001 (searchable with ref:) */
    const char *title;      /* searchable with title: and in the default field */
    const char *doc_number; /* 校办〔2024〕12号 (searchable with no:, and by its parts) */
    const char *body;       /* full text (OCR or born-digital) */
    const char *folded_body;/* body as dg_index_fold folds it, when the caller already has
                               it (ingest's classifier folded it), or NULL: folded here */
    const char *department;
    const char *category;   /* category code: XZ RS CW ZC HD */
    const char *record_type;/* e.g. "notice", "voucher"; may be NULL */
    const char *period;     /* Y D30 D10 */
    const char *date;       /* document date YYYY-MM-DD, may be NULL */
    int year;               /* formation year */
    int level;              /* access level 0..4 */
    const int64_t *grants;  /* user ids granted a level-4 document */
    size_t n_grants;
} dg_index_doc;

/* Adds or replaces the document of doc->version_id. Not visible to readers until commit. */
dg_status dg_index_put(dg_index *index, const dg_index_doc *doc, dg_error *err);

/* Removes one version's document / every document of a record. Absent is DG_OK. */
dg_status dg_index_delete_version(dg_index *index, int64_t version_id, dg_error *err);
dg_status dg_index_delete_record(dg_index *index, int64_t record_id, dg_error *err);

/* Makes everything put or deleted since the last commit durable and visible. */
dg_status dg_index_commit(dg_index *index, dg_error *err);

/* Removes every document (reindex starts from here). */
dg_status dg_index_clear(dg_index *index, dg_error *err);

/*
 * Rebuilding without emptying: dg_index_build_open() starts an empty index in a folder
 * beside the live one ("<live_path>.build", removing whatever an earlier killed or failed
 * build left there); the caller fills it with dg_index_put() (a version above every id put
 * so far is added without a look-up, so a rebuild puts in increasing version order; on a
 * machine of two cores or more every other such version is indexed by a second builder on
 * its own thread, into its own databases in the build folder, while the caller reads the
 * next one); dg_index_build_swap() commits it, merges the two halves, writes the result
 * compacted to "<live_path>.compact" (B-tree blocks full: the postlist table takes about
 * half the room of one filled document by document) and exchanges that with the live
 * folder in one rename (readers go on reading the old index until then, and follow the
 * swap on their next search), removes the old files and leaves live open on the new index;
 * fresh is then only to be closed. On failure before the swap, the live index is as it
 * was. dg_index_build_discard() closes an unfinished build and removes its folder.
 */
dg_status dg_index_build_open(const char *live_path, dg_index **fresh, dg_error *err);
dg_status dg_index_build_swap(dg_index *live, dg_index *fresh, dg_error *err);
void dg_index_build_discard(dg_index *fresh);

/* One version id the index holds, and how many documents carry it (1 unless damaged). */
typedef struct dg_index_entry {
    int64_t version_id;
    uint32_t copies;
} dg_index_entry;

/*
 * Lists every version id the index holds, in increasing order, and the number of documents
 * (so that a document without a version id shows as a difference). For verify, which
 * compares the index with the catalog. The caller frees *out with free().
 */
dg_status dg_index_list_versions(dg_index *index, dg_index_entry **out, size_t *n,
                                 uint64_t *documents, dg_error *err);

/*
 * Synonyms and regional variants used at query time (Xapian's synonym table): replaces the
 * whole table with n_pairs pairs (pairs[2i], pairs[2i+1]), each made symmetric, folded as
 * queries are (traditional to simplified, ASCII width, lower case). A synonym holds letters,
 * digits, spaces and hyphens only (else DG_ERR_USAGE). stamp (the caller's identity of the
 * table it wrote) is kept beside it and read back by dg_index_synonyms_stamp(), so a caller
 * can tell whether an index (a rebuilt one, say) carries the table it expects. Visible
 * after dg_index_commit().
 */
dg_status dg_index_set_synonyms(dg_index *index, const char *const *pairs, size_t n_pairs,
                                const char *stamp, dg_error *err);
/*
 * The form in which the index keeps each of n words as a synonym (folded, lower case, single
 * spaces): out[i] for words[i], each freed by the caller with free(). Two words are the same
 * synonym when their forms are equal. A word that may not be a synonym is DG_ERR_USAGE
 * naming it (and out is all NULL).
 */
dg_status dg_index_synonym_forms(const char *const *words, size_t n, char **out,
                                 dg_error *err);
/* The stamp of the table last written ("" when none). The caller frees *stamp. */
dg_status dg_index_synonyms_stamp(dg_index *index, char **stamp, dg_error *err);

/* Number of documents in the index (all versions, unfiltered: for the engine only). */
dg_status dg_index_doc_count(dg_index *index, uint64_t *count, dg_error *err);

/*
 * How many times this handle read a grant holder's level-4 documents (their terms, data and
 * values, from which each search copies what it reads into the holder's own in-memory
 * database; kept while their granted documents and grants stay as they were, so that other
 * level-4 changes cannot be timed): for tests.
 */
uint64_t dg_index_grant_copies(const dg_index *index);

/*
 * Compares, for every document of every level, the bytes the shim's own serialisation
 * gives (the one each document's stamp is a digest of, written for speed) with Xapian's
 * Document::serialise: DG_OK when all agree (*documents: how many were compared), else
 * DG_ERR_INTERNAL naming the first version that differs. For tests: the stamps must stay
 * what Xapian's serialisation made them.
 */
dg_status dg_index_check_serialise(dg_index *index, uint64_t *documents, dg_error *err);

/*
 * How many searches of this handle counted their matches and facets, rather than reusing the
 * counts of the same search over the same records (kept until a level the viewer reads, or
 * their granted copy, changes, so that other levels' changes cannot be timed): for tests.
 */
uint64_t dg_index_counts_made(const dg_index *index);

/*
 * How many of those counts a read-only handle made in the ranked pass itself (a relevance
 * search whose every level would be counted by Xapian's matcher: told to look at every
 * match, the ranked match counts them once, without a second match on another thread): for
 * tests.
 */
uint64_t dg_index_ranked_counts(const dg_index *index);

/*
 * A read-only handle counts a search in its ranked pass only when the query may match at most
 * max_candidates documents of the levels the viewer reads; a larger match is counted on
 * another thread beside it. The default is 16,384; 0 sends every search with a candidate
 * there to the thread: for tests.
 */
void dg_index_set_inline_counts(dg_index *index, uint64_t max_candidates);

/*
 * How many searches of this handle found their page of a query without words (every match
 * of equal weight) from each level's runs of ascending version ids, rather than by Xapian's
 * match reading the version of every match: for tests.
 */
uint64_t dg_index_weightless_pages(const dg_index *index);

/*
 * A read-only handle counts a search's matches (its first search: totals and facets) in two
 * parts on two threads, the viewer's last levels on one and the others on the other, when
 * the view holds two or more levels and the query may match min_candidates documents or more.
 * The default is 65,536; 0 splits every such count, UINT64_MAX none: for tests and benches
 * that compare both ways on small indexes.
 */
void dg_index_set_split_counts(dg_index *index, uint64_t min_candidates);

/* How many counting passes of this handle ran in two parts (dg_index_set_split_counts): for tests. */
uint64_t dg_index_counts_split(const dg_index *index);

/*
 * Rewrites the database compacted into a new folder and swaps it in atomically
 * (rename), then removes the old folder's files, so deleted documents' text no longer
 * exists on disk. Needs the writable handle; the handle stays usable afterwards.
 */
dg_status dg_index_compact(dg_index *index, dg_error *err);

/* Who is asking: the permission filter is built from this. */
typedef struct dg_index_viewer {
    int64_t user_id;
    int clearance; /* 0..4 */
} dg_index_viewer;

typedef enum { DG_SORT_RELEVANCE = 0, DG_SORT_DATE_DESC, DG_SORT_DATE_ASC } dg_index_sort;

typedef struct dg_index_query {
    const char *text;        /* the user's query; NULL or "" matches all (with filters) */
    const char *category;    /* filter: category code, or NULL */
    const char *record_type; /* filter, or NULL */
    const char *period;      /* filter, or NULL */
    int year_from, year_to;  /* filter, inclusive; 0 = open */
    int level;               /* filter: exactly this level, or -1 */
    int all_versions;        /* include superseded versions */
    /* records whose destruction has begun in the catalog: never counted, never hit (the
     * engine passes them so that totals and hits agree in every state of a destruction) */
    const int64_t *exclude_records;
    size_t n_exclude_records;
    dg_index_sort sort;
    size_t offset, limit;
    double time_budget;      /* seconds the search may run; 0: DG_INDEX_SEARCH_SECONDS */
    const int *cancelled;    /* may be NULL; once it reads nonzero (atomically: another
                                thread sets it) the search stops with DG_ERR_BUSY */
} dg_index_query;

typedef struct dg_index_hit {
    int64_t version_id;
    int64_t record_id;
    int version_number;
    int is_current;
    double score;       /* relevance, 0..100 (percent) */
    char *snippet;      /* body excerpt around the matches; matches wrapped in hl_start/hl_end */
} dg_index_hit;

typedef struct dg_facet_count {
    char *value; /* category code, year as text, period code */
    uint64_t count;
} dg_facet_count;

typedef struct dg_index_result {
    uint64_t total; /* exact number of permitted matching documents */
    dg_index_hit *hits;
    size_t n_hits;
    dg_facet_count *by_category, *by_year, *by_period;
    size_t n_category, n_year, n_period;
} dg_index_result;

/*
 * What one search may cost, so that no caller pins a reader thread. Xapian's matching of
 * "w0 OR w1 OR ... OR wN" grows with the square of N (on the 2-core test machine: 2,000
 * words 0.25 s of CPU, 4,000 words 0.85 s, 16,000 words 43 s), so a query of more than
 * DG_INDEX_MAX_QUERY_BYTES bytes, or one that parses into more than
 * DG_INDEX_MAX_QUERY_TERMS terms (a Chinese character is one or two), is refused as
 * DG_ERR_QUERY before matching; a search still running after DG_INDEX_SEARCH_SECONDS is
 * stopped, also as DG_ERR_QUERY, with a message saying to narrow it.
 */
#define DG_INDEX_MAX_QUERY_BYTES 4096
#define DG_INDEX_MAX_QUERY_TERMS 1024
#define DG_INDEX_SEARCH_SECONDS 10

/*
 * Query language (Xapian's QueryParser, on folded text, CJK n-grams):
 *   - words are ANDed; OR, NOT, AND, +word, -word and (grouping) work as in Xapian;
 *     "quoted words" are a phrase (also for Chinese: "会议纪要" needs the four characters
 *     in a row); English words are stemmed (reports finds report), except words typed
 *     with a capital first letter, which Xapian's STEM_SOME treats as names and keeps as is;
 *   - title:, no: (document number), ref: (reference code) and dept: restrict a word or a
 *     "phrase" to one field; the default field is title + document number + body;
 *   - a document number typed with its brackets, 校办〔2024〕12号, also with 【】（）［］[]
 *     or ASCII () glued to the word before them, is searched as the phrase 校办 2024 12号;
 *     its parts (校办, 2024, 12号) each find it too;
 *   - a word that glues letters or digits to Chinese characters (12号, 第12条, 2023年度) is
 *     searched as a phrase of its parts, as it was typed;
 *   - an unspaced Chinese word run (差旅报销) is split into words (synonym-table entries,
 *     longest first, else ICU's dictionary word breaker) and matches the records holding
 *     every word (差旅费报销 too); the records holding the run as typed rank first.
 *     "Quoted" it stays a phrase. A word with synonyms (dg_index_set_synonyms) also matches as any of them:
 *     报销 finds 核销, 导师 finds 班主任 (also 導師, folded);
 *   - refused as DG_ERR_QUERY, because Xapian would silently guess and hide the mistake:
 *     an unclosed quotation mark, unbalanced parentheses, a field prefix with nothing after
 *     it ("title:"), and an operator without operands ("AND", "budget OR", "NOT x").
 *   - a query of only spaces (or NULL) matches every permitted document (for browsing by
 *     filter); one of only punctuation matches nothing.
 * Hits are current versions unless all_versions; totals and facet counts are exact.
 * Sorting by date uses the document date, else the formation year (YYYY-00-00); documents
 * with neither sort first in DG_SORT_DATE_ASC.
 *
 * Snippets: about 200 characters of the body, starting a little before the first matched
 * word (the whole body when shorter), white space runs folded to one space, "…" where text
 * was cut, never cut inside a character. When folding changes the number of characters of
 * a body (rare with OpenCC t2s), the snippet shows the folded (simplified) text instead.
 *
 * Runs a query as viewer. hl_start/hl_end wrap highlighted words in snippets (e.g.
 * "\x1b[1m"/"\x1b[0m" for a terminal, or "[" "]"). Snippets are in the document's own
 * script even though matching is on folded text. A malformed query is DG_ERR_QUERY
 * with a message that says what is wrong. The caller frees *out with
 * dg_index_result_free().
 */
dg_status dg_index_search(dg_index *index, const dg_index_viewer *viewer,
                          const dg_index_query *query, const char *hl_start,
                          const char *hl_end, dg_index_result **out, dg_error *err);
void dg_index_result_free(dg_index_result *result);

/*
 * 1 when Xapian's CJK n-gram tokenizer (FLAG_CJK_NGRAM, which the index and its queries
 * use) treats cp as CJK: a word character there is a term of its own (and half of the
 * bigrams beside it), never part of a word of letters around it. The shim keeps its own
 * copy of Xapian's ranges, since Xapian does not export them.
 */
int dg_index_is_cjk(uint32_t cp);

#ifdef __cplusplus
}
#endif

#endif
