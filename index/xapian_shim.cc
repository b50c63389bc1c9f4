/*
 * xapian_shim.cc — the full-text index (index/index.h) over Xapian 1.4; dangan's only C++.
 *
 * This file owns the Xapian databases of one archive's index/ folder (one per access level,
 * L0..L4, combined per viewer for searching: search_view) and everything about how records
 * become terms. Like notmuch's lib/database.cc it is a plain C API in front of
 * Xapian: every entry point runs its body inside guarded(), which catches every Xapian::Error,
 * std::bad_alloc and anything else and turns it into a dg_status plus a one-line message.
 * No exception ever reaches a C caller.
 *
 * Layout of one index document (one record version); format 4, kept in the metadata key
 * "dangan-index-format" (a reader refuses an older, non-empty index and asks for reindex,
 * except format 3, which it searches exactly: see FORMAT_STILL_READ):
 *   terms   unprefixed: title, document number, body (folded, CJK n-grams, English stems;
 *           format 4: the body's Chinese unigrams without positions, see phrase_source)
 *           S title, XNO document number, XREF reference code, XDEPT department (positional)
 *           boolean: Q<version id>, XREC<record id>, XCAT, XTYPE, XPERIOD, XLEVEL<n>,
 *           XYEAR<year>, XCURRENT (newest version of its record), XLEN (with the
 *           frequencies of the stemmed copies of CJK n-grams, see cjk_stem_stopper),
 *           XV<c> for every clearance c that may see it, XVC<c> the same on current versions
 *           only, XGRANT<user id> on level-4 documents only
 *   values  0 category, 1 year, 2 period; 3 date sort key "YYYY-MM-DD";
 *           4 "category<US>year<US>period", read when counting facets of narrow matches;
 *           5 version id (sortable_serialise), which orders equal scores
 * Format 3: one database per access level, folders L0..L4 (search_view below).
 *   data    "dg2\n<version id>\n<record id>\n<version number>\n<is current>\n<body bytes>\n"
 *           + original body (snippets are cut from the document's own script) + the folded
 *           body when it differs (matches are marked on it)
 *
 * Clearance is an OP_FILTER around every user query: the viewer's one visibility term (XVC<c>,
 * or XV<c> with all versions), OR their grant term, so totals, facet counts and snippets are
 * computed over permitted documents only. Totals and facet counts are exact. Exactness was
 * chosen over an estimate (which, computed over permitted documents only, would not leak
 * either): an archivist compares counts across searches and an estimate that shifts between
 * them reads as records appearing and vanishing. The price is that a broad query visits every
 * permitted match, so a search runs two passes: an unweighted one that collects every
 * matching document id (the total, and the facets, counted from a table docid -> category,
 * year, period that a read-only handle builds once per revision from the filter terms'
 * posting lists) and a ranked one that needs only its page of hits. A read-only handle runs
 * them on two threads over two handles at the same revision, and keeps the total and facet
 * counts of recent searches per revision, keyed by the whole filtered query (permission
 * filter included); a repeated search, or the next page of one, then runs the ranked pass only.
 */
/* The headers are C: their functions have C linkage (status.c, fold.c are C). */
extern "C" {
#include "index.h"

#include "../base/fold.h"
#include "../base/fault.h"
#include "../base/utf8.h"
}

#include <xapian.h>

#include <opencc/Config.hpp>
#include <opencc/Conversion.hpp>
#include <opencc/ConversionChain.hpp>
#include <opencc/Converter.hpp>
#include <opencc/Dict.hpp>
#include <opencc/DictEntry.hpp>
#include <opencc/Lexicon.hpp>
#include <opencc/MaxMatchSegmentation.hpp>

#include <unicode/brkiter.h>
#include <unicode/locid.h>
#include <unicode/unistr.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <ftw.h>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <system_error>
#include <thread>
#include <new>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace {

/*
 * A query that matches every document, made afresh. Never Xapian::Query::MatchAll itself:
 * that is one object shared by every thread of the process, and Xapian's reference counts
 * are not atomic, so the server's readers copying and releasing it at once corrupted its
 * count and freed it under another search (a crash in Query::get_type, in about one run in
 * five of bench/serve under load). The same query: LEAF_MATCH_ALL, serialised alike.
 */
Xapian::Query match_all()
{
    return Xapian::Query(std::string());
}

enum { SLOT_CATEGORY = 0, SLOT_YEAR = 1, SLOT_PERIOD = 2, SLOT_DATE = 3, SLOT_FACETS = 4,
       SLOT_VERSION = 5, SLOT_STAMP = 6 };

/* Separates category, year and period in the SLOT_FACETS value. */
const char FACET_SEPARATOR = '\x1f';

/* Snippets are about this many characters (code points) of body text. */
const size_t SNIPPET_CHARS = 200;
/* Characters of context shown before the first highlighted word. */
const size_t SNIPPET_LEAD = 40;
/* Xapian's hard limit on a term is 245 bytes; keep boolean terms well below it. */
const size_t MAX_FILTER_VALUE = 200;
/*
 * The layout version of index documents, kept in the database's metadata. Version 2 added
 * the visibility terms (XV, XVC) the permission filter reads; a version-1 index would show
 * nobody anything, so readers refuse it with advice instead.
 */
const char *const FORMAT_KEY = "dangan-index-format";
const char *const FORMAT_VERSION = "4";
/*
 * Format 3 differs from 4 only in that the Chinese unigrams of the body still carry their
 * positions; phrase_source reads those too, so this version searches a format-3 index
 * exactly, and writes its new documents into it as format 4 (stamping it 4, so that an older
 * dangan, which would miss phrases in those documents, refuses it and asks for reindex).
 */
const char *const FORMAT_STILL_READ = "3";
/* Metadata key: the stamp of the synonym table last written (dg_index_set_synonyms). */
const char *const SYNONYMS_KEY = "dangan-synonyms";
/*
 * Reads retried after a concurrent writer's commit invalidated our snapshot. Xapian keeps a
 * reader's revision readable until the writer's second commit after it, so a search must
 * fit between two commits; against a writer committing back to back (a reindex, a fast
 * ingest) the retries back off exponentially (1, 2, 4, ... 256 ms, half a second in all)
 * so that one of them meets a pause.
 */
const int READ_RETRIES = 10;
/* The largest page of hits one search returns. */
const size_t MAX_LIMIT = 10000;
/* A counting pass of at least this many candidates (bits_upper_bound) over two or more
 * levels runs in two parts on two threads (count_in_two): several ms of counting, against
 * about 0.1 ms for starting the second thread and reading the query again. */
const uint64_t SPLIT_COUNT_MIN = 65536;
/* A search is counted in its ranked pass (count_in_ranked_pass) only when its candidates
 * (bits_upper_bound, summed over the levels the viewer reads) are at most this many: the
 * ranked pass then reads every match's facet value on the search's own core (about 0.5 us
 * each, and every match visited), where the counting thread's fixed cost (about 28 ms of
 * CPU for 209 matches at 1,000,000 records) runs beside it on the other core. At session
 * 12's end, idle, a 49,847-match query counted inline took 69-71 ms of wall time in two of
 * four runs against 48-50 with the thread. */
const uint64_t INLINE_COUNT_MAX = 16384;

/* Thrown inside the shim only, for failures that are not Xapian's (folding, usage). */
struct shim_error {
    dg_status status;
    std::string msg;
};

/*
 * Category, year and period of every document, by document id, read once from the XCAT,
 * XYEAR and XPERIOD posting lists of one database revision. Counting facets over a broad
 * match then costs an array lookup per match instead of a value read. names[f] holds the
 * values of facet f; code[f] of a document is 1 + its index there, 0 for none.
 */
struct facet_table {
    bool built = false;
    Xapian::rev revision = 0;
    std::vector<std::string> names[3];
    std::vector<uint16_t> codes[3];
};

typedef std::map<std::string, uint64_t> facet_counts[3];

/*
 * How the version ids (SLOT_VERSION) of one level database's revision run in document id
 * order: the first document id of each ascending run. A rebuilt index holds a few (each
 * builder's half is one, see build_helper), an index that grew by filing one per version
 * filed in order, more where records moved between levels. Read once per revision (one pass
 * over the value stream, about 5 ms for 200,000 documents) by the ranked pass of a read-only
 * handle, for the page of a query whose matches all weigh the same (weightless_page).
 */
struct version_runs {
    std::string revision; /* the database's UUID and revision it describes; empty: none */
    bool usable = false;  /* every document has a version, in at most MAX_VERSION_RUNS runs */
    std::vector<Xapian::docid> starts;
};
const size_t MAX_VERSION_RUNS = 64;

/*
 * The synonym table of one revision (Xapian's synonym table, written by
 * dg_index_set_synonyms), read whole into memory: a query looks up every stretch of up to
 * MAX_SYNONYM_CHARS characters of an unspaced Chinese query, too many look-ups to make in
 * the database per search. A read-only handle keeps it per revision.
 */
struct synonym_table {
    bool built = false;
    Xapian::rev revision = 0;
    std::unordered_map<std::string, std::vector<std::string>> words;
};

/* The exact total and facet counts of one filtered query over one revision. */
struct counted_match {
    uint64_t total = 0;
    facet_counts facets;
};

/*
 * Totals and facet counts of recent searches of a read-only handle, keyed by the serialised
 * filtered query. The key holds the permission filter's terms (clearance, grant, current
 * versions only) and every other filter, so an entry is only ever reused for exactly the same
 * permitted set; its stamp names the revisions of the databases the search read (and the
 * grant holder's copy, search_view::stamp), so a change to what the viewer may see makes it
 * count again, and a change to a level they may not see does not: emptied on every commit,
 * the cache would make a repeated search slower after a hidden record was filed, and tell.
 * A repeated search, the next page of one, then needs only its page of ranked hits.
 */
struct stamped_counts {
    std::string stamp;
    counted_match counted;
};
struct count_cache {
    std::unordered_map<std::string, stamped_counts> entries;
};

/* Cached searches per handle; the cache is emptied when full (a cheap, bounded policy). */
const size_t COUNT_CACHE_SIZE = 256;

/*
 * Whether each document of one level database's revision holds a phrase, as the counting
 * pass of a read-only handle found it (phrase_source over body text without positions): 0 not
 * yet asked, 1 misses, 2 holds. Keyed by the database's UUID and revision and the phrase, so
 * viewers of other clearances counting the same phrase reuse what their common levels gave
 * (a verdict is about the document alone, never about who asks), and a commit starts afresh.
 * A level's verdicts are made and read only by searches that read that level, so what they
 * save tells nobody about a level they may not see. Only the counting thread of the handle
 * (one at a time) fills them; the lock guards the map. Emptied when full.
 */
struct phrase_verdicts {
    std::mutex lock;
    std::unordered_map<std::string, std::shared_ptr<std::vector<uint8_t>>> entries;
};
const size_t PHRASE_VERDICTS_SIZE = 32;

} // namespace

namespace {

/* Access levels 0..4: one Xapian database each, in the folders L0..L4 of the index folder. */
const int N_LEVELS = 5;

/*
 * What a grant holder's searches need of each level-4 document granted to them, read from
 * level 4 once (see granted_documents): its length, data, values and terms with their
 * within-document frequencies, but not its positions. Each search copies from it only the
 * terms its query reads (grant_shard).
 */
struct granted_doc {
    Xapian::docid id = 0;         /* in level 4 */
    Xapian::termcount length = 0; /* its document length there */
    std::string data;
    std::vector<std::pair<Xapian::valueno, std::string>> values;
    std::string terms;                   /* its terms in order, end to end */
    std::vector<uint32_t> ends;          /* where each ends in terms */
    std::vector<Xapian::termcount> wdfs; /* each one's within-document frequency */

    std::string term(size_t i) const
    {
        uint32_t from = i ? ends[i - 1] : 0;
        return terms.substr(from, ends[i] - from);
    }
    /* The first of its terms at or after t (ends.size() if none). */
    size_t lower(const std::string &t) const;
    /* The within-document frequency of t, or -1 if the document does not hold it. */
    long long wdf_of(const std::string &t) const;
};

/* One user's granted documents, in level 4's order, as of their digest (grants_digest). */
struct granted_docs {
    std::string digest;
    std::vector<granted_doc> docs;
    size_t bytes = 0; /* about what they take in memory */
};

/*
 * The granted documents of recent grant holders, per user, kept while their digest holds so
 * that the next search does not read them again. Only a search's ranked pass reads them
 * (the counting pass leaves the grant shard to it); each entry is immutable and the lock
 * guards the map, so a counting thread could share them. Emptied when it would hold more
 * than GRANT_CACHE_USERS users or GRANT_CACHE_BYTES.
 */
struct grant_cache {
    std::mutex lock;
    std::map<int64_t, std::shared_ptr<const granted_docs>> users;
    size_t bytes = 0;
};
const size_t GRANT_CACHE_USERS = 64;
const size_t GRANT_CACHE_BYTES = (size_t)64 << 20;

/* The grant shards of a read-only handle's recent searches (grant_shard), keyed by the user,
 * their digest and what the shard holds (grant_needs): a repeated search, or its next page,
 * reuses its shard. Emptied when full. */
const size_t GRANT_SHARDS_KEPT = 16;

struct build_helper;

/*
 * Keeps the term generator from making the "Z" stemmed copies of CJK n-grams, and counts
 * them (see LENGTH_TERM below). A Xapian stopper under STOP_STEMMED indexes a word it
 * stops as it is and leaves out only its stemmed copy; this one stops exactly the words
 * that start with a CJK character. Xapian asks it before deciding whether the word is one
 * it stems (should_stem: the first character is a letter), so it counts only those.
 */
struct cjk_stem_stopper : public Xapian::Stopper {
    mutable Xapian::termcount stopped = 0; /* copies left out since the last reset */
    bool operator()(const std::string &term) const override;
};

} // namespace

struct dg_index {
    std::string path;
    int mode;
    Xapian::WritableDatabase wdb[N_LEVELS]; /* open when mode == DG_INDEX_WRITE */
    Xapian::Database rdb[N_LEVELS];         /* open when mode == DG_INDEX_READ */
    /* A read-only handle's second handles on the same index, for the counting pass that runs
     * on another thread beside the ranked match (a Xapian handle is not shareable between
     * threads); opened on the first search that needs them. */
    Xapian::Database count_rdb[N_LEVELS];
    bool count_rdb_open = false;
    /* The fewest candidates (bits_upper_bound) a counting pass must have to run in two parts
     * (count_in_two); dg_index_set_split_counts changes it for tests. */
    uint64_t split_count_min = SPLIT_COUNT_MIN;
    /* The most candidates a search counted in its ranked pass may have (count_in_ranked_pass);
     * dg_index_set_inline_counts changes it for tests. */
    uint64_t inline_count_max = INLINE_COUNT_MAX;
    std::atomic<uint64_t> counts_split{0}; /* counting passes run in two (dg_index_counts_split) */
    grant_cache grants; /* of a read-only handle */
    std::unordered_map<std::string, Xapian::Database> grant_shards; /* see GRANT_SHARDS_KEPT */
    /* Reads of a grant holder's level-4 documents (granted_documents; counted atomically, as
     * the counting pass may make one on another thread). */
    std::atomic<uint64_t> grant_copies{0};
    /* The index folder a read-only handle opened (see follow_folder). */
    dev_t folder_dev = 0;
    ino_t folder_ino = 0;
    dg_folder *folder;
    /* folder and script_active are a dg_index_folder's, lent by dg_index_open_folding: not
     * closed with this handle. */
    bool folder_borrowed = false;
    Xapian::Stem stemmer;
    Xapian::TermGenerator termgen;
    cjk_stem_stopper stem_stopper; /* termgen's */
    /* Which code points OpenCC's t2s tables hold (script_keys), loaded on a writer's first
     * document; empty when they could not be read (every text then goes to OpenCC whole). */
    std::vector<bool> script_active;
    bool script_loaded = false;
    /* OpenCC's output for runs of key characters already folded by this handle (see
     * fold_run): the handle's own, like its term generator. */
    std::unordered_map<std::string, std::string> folded_runs;
    Xapian::QueryParser parser;
    facet_table facets[N_LEVELS]; /* per level database of a read-only handle, on demand */
    version_runs runs[N_LEVELS];  /* the same, for the ranked pass (weightless_page) */
    synonym_table synonyms; /* of a read-only handle's current revision, read on demand */
    /* ICU's dictionary word breaker for Chinese, made on the first query that needs it. */
    std::unique_ptr<icu::BreakIterator> words;
    count_cache counts; /* of a read-only handle */
    phrase_verdicts verdicts; /* of a read-only handle's counting pass */
    uint64_t counts_made = 0; /* counting passes run (dg_index_counts_made) */
    uint64_t ranked_counts = 0; /* of them, made by the ranked pass (dg_index_ranked_counts) */
    uint64_t weightless_pages = 0; /* pages found by weightless_page */
    /* A build (dg_index_build_open) starts empty and reindex puts versions in increasing
     * id order: a version above every id put so far cannot be in any level yet, so it is
     * added without looking for it in the five databases (see dg_index_put). */
    bool building = false;
    int64_t highest_put = 0;
    /* Documents a build added to (or the live index put into) each level since that level
     * last wrote its changes out (see BUILD_FLUSH and LIVE_FLUSH). */
    unsigned unflushed[N_LEVELS] = {0};
    /* A build's second builder, on another thread (build_helper below), or NULL. */
    build_helper *helper = nullptr;
    /* Whether a version was put again or deleted during a build with a second builder:
     * its halves then hold deleted documents, which decide how they merge (see
     * merge_and_compact). */
    bool halves_deleted = false;

    /* The database of one level, as this handle reads it. */
    Xapian::Database &level_db(int level) { return mode == DG_INDEX_WRITE ? wdb[level] : rdb[level]; }
    /* Level 0's database also holds what belongs to the whole index: the format and the
     * synonym table (every viewer reads level 0). */
    Xapian::Database &meta() { return level_db(0); }
};

namespace {

/* ---- errors ---------------------------------------------------------------------------- */

/*
 * Runs body and converts whatever it throws into a status and message. Every public
 * function goes through here: this is the one place exceptions stop.
 */
template <class Body>
dg_status guarded(dg_error *err, const std::string &what, Body &&body)
{
    try {
        return body();
    } catch (const shim_error &e) {
        return dg_error_set(err, e.status, "%s: %s", what.c_str(), e.msg.c_str());
    } catch (const Xapian::DatabaseLockError &e) {
        return dg_error_set(err, DG_ERR_BUSY, "%s: index is locked by another writer (%s)",
                            what.c_str(), e.get_msg().c_str());
    } catch (const Xapian::QueryParserError &e) {
        return dg_error_set(err, DG_ERR_QUERY, "%s: malformed query: %s", what.c_str(),
                            e.get_msg().c_str());
    } catch (const Xapian::Error &e) {
        return dg_error_set(err, DG_ERR_INDEX, "%s: %s: %s", what.c_str(), e.get_type(),
                            e.get_msg().c_str());
    } catch (const std::bad_alloc &) {
        return dg_error_set(err, DG_ERR_NOMEM, "%s: out of memory", what.c_str());
    } catch (const std::exception &e) {
        return dg_error_set(err, DG_ERR_INTERNAL, "%s: %s", what.c_str(), e.what());
    } catch (...) {
        return dg_error_set(err, DG_ERR_INTERNAL, "%s: unknown exception", what.c_str());
    }
}

[[noreturn]] void fail(dg_status status, const std::string &msg)
{
    throw shim_error{status, msg};
}

/* ---- UTF-8 ------------------------------------------------------------------------------ */

/* One decoded character and where its bytes are in the source string. */
struct utf8_char {
    uint32_t cp;
    size_t at, len;
};

/*
 * The character at byte i of s (n bytes): its length, and its code point in *cp. An invalid
 * byte is U+FFFD of length 1, so nothing is ever skipped. ASCII and the three-byte forms that
 * are always valid (every Han character among them) are decoded here, the rest by
 * dg_utf8_decode (base/utf8.h): snippets decode every hit's text, and a call per character
 * was a tenth of a search.
 */
inline size_t utf8_step(const unsigned char *s, size_t i, size_t n, uint32_t *cp)
{
    unsigned char c = s[i];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    /* E1..EC and EE..EF lead no overlong form and no surrogate (those are E0 and ED). */
    if (((c >= 0xE1 && c <= 0xEC) || c >= 0xEE) && c <= 0xEF && i + 2 < n &&
        (s[i + 1] & 0xC0) == 0x80 && (s[i + 2] & 0xC0) == 0x80) {
        *cp = (uint32_t)(c & 0x0F) << 12 | (uint32_t)(s[i + 1] & 0x3F) << 6 | (s[i + 2] & 0x3F);
        return 3;
    }
    *cp = 0xFFFD;
    size_t len = dg_utf8_decode((const char *)s + i, n - i, cp);
    return len ? len : 1;
}

/* Decodes text into out, at most max characters. */
void utf8_decode_into(const std::string &text, std::vector<utf8_char> &out,
                      size_t max = (size_t)-1)
{
    out.clear();
    out.reserve(std::min(text.size(), max));
    const unsigned char *s = (const unsigned char *)text.data();
    size_t n = text.size(), i = 0;
    while (i < n && out.size() < max) {
        uint32_t cp;
        size_t len = utf8_step(s, i, n, &cp);
        out.push_back({cp, i, len});
        i += len;
    }
}

/* How many characters utf8_decode_into gives for text. */
size_t utf8_length(const std::string &text)
{
    const unsigned char *s = (const unsigned char *)text.data();
    size_t n = text.size(), i = 0, count = 0;
    uint32_t cp;
    for (; i < n; count++)
        i += utf8_step(s, i, n, &cp);
    return count;
}

std::vector<utf8_char> utf8_decode(const std::string &text)
{
    std::vector<utf8_char> out;
    utf8_decode_into(text, out);
    return out;
}

void utf8_append(std::string &out, uint32_t cp)
{
    Xapian::Unicode::append_utf8(out, cp);
}

bool is_cjk(uint32_t cp)
{
    return dg_index_is_cjk(cp) != 0;
}

bool is_space(uint32_t cp)
{
    return cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || cp == '\f' || cp == '\v' ||
           cp == 0x3000;
}

/*
 * Brackets of Chinese document numbers: 校办〔2024〕12号 is also typed with 【】, （）, ［］,
 * 〖〗 or [] . All of them are separators inside a number, at index and query time alike.
 * ASCII () are not listed: in a query they group (see rewrite_code_tokens).
 */
bool is_code_bracket(uint32_t cp)
{
    switch (cp) {
    case 0x3014: case 0x3015: /* 〔〕 */
    case 0x3010: case 0x3011: /* 【】 */
    case 0x3016: case 0x3017: /* 〖〗 */
    case 0xFF08: case 0xFF09: /* （） */
    case 0xFF3B: case 0xFF3D: /* ［］ */
    case '[': case ']':
        return true;
    }
    return false;
}

/*
 * The middle dot of reference codes (X001-XZ·2024-D10-0001) is a word character to Xapian,
 * which would glue "xz·2024" into one term; as a hyphen it keeps the code one phrase whose
 * parts are each findable.
 */
const uint32_t MIDDLE_DOT = 0x00B7;

/*
 * How many bytes of s (n left) normalise_for_index replaces at a character that starts
 * there, with *to its replacement; 0 when none. Only whole, valid characters are replaced:
 * a lead byte (not 0x80..0xBF) always starts a character of the text's decoding
 * (utf8_step: an invalid byte is one character), so matching the valid sequences byte by
 * byte replaces exactly the characters a decoding would.
 */
inline size_t normalised_at(const unsigned char *s, size_t n, char *to)
{
    switch (s[0]) {
    case '(': case ')': case '[': case ']':
        *to = ' ';
        return 1;
    case 0xC2: /* U+00B7 */
        *to = '-';
        return n >= 2 && s[1] == 0xB7 ? 2 : 0;
    case 0xE3: /* U+3010, 3011, 3014..3017 */
        *to = ' ';
        return n >= 3 && s[1] == 0x80 &&
                       (s[2] == 0x90 || s[2] == 0x91 || (s[2] >= 0x94 && s[2] <= 0x97))
                   ? 3
                   : 0;
    case 0xEF: /* U+FF08, FF09, FF3B, FF3D */
        *to = ' ';
        return n >= 3 && s[1] == 0xBC &&
                       (s[2] == 0x88 || s[2] == 0x89 || s[2] == 0xBB || s[2] == 0xBD)
                   ? 3
                   : 0;
    }
    return 0;
}

/*
 * Index-time text normalisation: every bracket (ASCII ones too, is_code_bracket's and
 * '(' ')') to a space, · to '-'. Byte by byte (normalised_at): decoding every character of
 * a body was 0.09 million instructions a record.
 */
std::string normalise_for_index(const std::string &text)
{
    static_assert(MIDDLE_DOT == 0x00B7, "normalised_at matches U+00B7's bytes");
    std::string out;
    out.reserve(text.size());
    const unsigned char *s = (const unsigned char *)text.data();
    size_t n = text.size(), copied = 0;
    for (size_t i = 0; i < n;) {
        char to = 0;
        size_t len = normalised_at(s + i, n - i, &to);
        if (len == 0) {
            i++;
            continue;
        }
        out.append(text, copied, i - copied);
        out += to;
        i += len;
        copied = i;
    }
    out.append(text, copied, n - copied);
    return out;
}

/* ---- folding ---------------------------------------------------------------------------- */

std::string fold_text(dg_index *index, const std::string &text)
{
    if (text.empty())
        return text;
    char *folded = NULL;
    dg_error err;
    dg_status st = dg_fold(index->folder, text.data(), text.size(), &folded, &err);
    if (st != DG_OK)
        fail(st, err.msg);
    std::string out(folded);
    free(folded);
    return out;
}

/* Field prefixes a user may type, and the term prefixes they stand for. */
struct field_prefix {
    const char *name;
    const char *term_prefix;
};
const field_prefix FIELD_PREFIXES[] = {
    {"title", "S"}, {"no", "XNO"}, {"ref", "XREF"}, {"dept", "XDEPT"}};

/* ---- indexing --------------------------------------------------------------------------- */

std::string id_term(int64_t version_id) { return "Q" + std::to_string(version_id); }
std::string record_term(int64_t record_id) { return "XREC" + std::to_string(record_id); }
std::string level_term(int level) { return "XLEVEL" + std::to_string(level); }
std::string grant_term(int64_t user_id) { return "XGRANT" + std::to_string(user_id); }
std::string year_term(int year) { return "XYEAR" + std::to_string(year); }
const char *const CURRENT_TERM = "XCURRENT";

/*
 * Visibility terms, one per clearance that may see the document: XV<c> on every version,
 * XVC<c> on the current one only. The permission filter is then a single posting list (OR
 * the viewer's grant term for level 4), and the default "current versions only" filter is
 * folded into that same list instead of being a second one to intersect.
 */
std::string visible_term(int clearance, bool current_only)
{
    return (current_only ? "XVC" : "XV") + std::to_string(clearance);
}

/* The rule of index.h: level L (0..3) is visible to clearances L..4, level 4 only to 4. */
bool level_visible_to(int level, int clearance)
{
    return level == 4 ? clearance == 4 : level <= clearance;
}

void check_filter_value(const char *name, const char *value)
{
    if (value && strlen(value) > MAX_FILTER_VALUE)
        fail(DG_ERR_USAGE, std::string(name) + " is longer than 200 bytes");
}

/* Sort key for dates: the document date when well formed, else the formation year. */
std::string date_key(const char *date, int year)
{
    if (date && strlen(date) == 10 && date[4] == '-' && date[7] == '-')
        return date;
    if (year > 0) {
        char buf[32];
        snprintf(buf, sizeof buf, "%04d-00-00", year);
        return buf;
    }
    return "";
}

/*
 * Indexes one text field into termgen's current document: with its field prefix, and (for
 * fields of the default field) unprefixed too. The gap keeps phrases from spanning fields.
 */
void index_folded(dg_index *index, const std::string &folded, const char *prefix,
                  bool in_default)
{
    if (folded.empty())
        return;
    if (prefix)
        index->termgen.index_text(folded, 1, prefix);
    if (in_default)
        index->termgen.index_text(folded);
    index->termgen.increase_termpos(100);
}

/*
 * Folding for the index, the same text as fold_text in a fraction of the time. OpenCC's t2s
 * (base/fold.c opens "t2s.json") segments text by longest match against its phrase table
 * and converts each segment by table look-up: a character no table key holds is a segment
 * of its own and stays as it is, and no segment reaches across it. So only the runs of
 * characters that some key holds need OpenCC; everything between them is copied. Simplified
 * text is mostly such characters, and OpenCC cost a third of indexing's instructions,
 * character by character. The tables are read through OpenCC's own configuration, so the
 * key set is exactly what the converter uses.
 */
const char *const SCRIPT_CONFIG = "t2s.json";

void mark_keys(const opencc::DictPtr &dict, std::vector<bool> &active)
{
    opencc::LexiconPtr lexicon = dict->GetLexicon(); /* kept alive while iterated */
    for (const std::unique_ptr<opencc::DictEntry> &entry : *lexicon)
        for (const utf8_char &c : utf8_decode(entry->Key()))
            if (c.cp < active.size())
                active[c.cp] = true;
}

std::vector<bool> read_script_keys()
{
    opencc::Config config;
    opencc::ConverterPtr converter = config.NewFromFile(SCRIPT_CONFIG);
    auto segmentation = std::dynamic_pointer_cast<const opencc::MaxMatchSegmentation>(
        converter->GetSegmentation());
    if (!segmentation)
        return std::vector<bool>(); /* not the longest-match segmentation reasoned about */
    std::vector<bool> active(0x110000);
    mark_keys(segmentation->GetDict(), active);
    for (const opencc::ConversionPtr &conversion :
         converter->GetConversionChain()->GetConversions())
        mark_keys(conversion->GetDict(), active);
    return active;
}

const std::vector<bool> &script_keys(dg_index *index)
{
    if (!index->script_loaded) {
        try {
            index->script_active = read_script_keys();
        } catch (const std::bad_alloc &) {
            throw;
        } catch (...) { /* OpenCC's own exceptions: fold every text whole instead */
            index->script_active.clear();
        }
        index->script_loaded = true;
    }
    return index->script_active;
}

/*
 * OpenCC's t2s of one run of key characters (fold_for_index), remembered: OpenCC takes
 * about half a microsecond a character (16,000 instructions a run, 64 runs a page of
 * bench/corpus.h), and a records room's texts repeat the same words, so most runs were
 * folded before. The conversion is a function of the run alone (fold_for_index's comment),
 * so the remembered output is the one OpenCC would give. The table is emptied when it
 * holds FOLDED_RUNS_KEPT runs (a few megabytes), so an unusual batch cannot grow it.
 */
const size_t FOLDED_RUNS_KEPT = 1 << 16;
const size_t FOLDED_RUN_MAX = 256; /* bytes: longer runs are rare and not kept */

void fold_run(dg_index *index, const std::string &narrow, size_t from, size_t len,
              std::string &out)
{
    std::string run = narrow.substr(from, len);
    if (run.size() > FOLDED_RUN_MAX) {
        out += fold_text(index, run);
        return;
    }
    auto known = index->folded_runs.find(run);
    if (known != index->folded_runs.end()) {
        out += known->second;
        return;
    }
    std::string folded = fold_text(index, run);
    if (index->folded_runs.size() >= FOLDED_RUNS_KEPT)
        index->folded_runs.clear();
    out += index->folded_runs.emplace(std::move(run), std::move(folded)).first->second;
}

std::string fold_for_index(dg_index *index, const std::string &text)
{
    const std::vector<bool> &active = script_keys(index);
    if (text.empty() || active.empty() || text.find('\0') != std::string::npos)
        return fold_text(index, text);
    char *narrowed = dg_fold_width(text.data(), text.size());
    if (!narrowed)
        throw std::bad_alloc();
    std::string narrow(narrowed);
    free(narrowed);
    std::string out;
    out.reserve(narrow.size());
    const size_t none = std::string::npos;
    size_t run = none; /* where the current run of key characters began */
    for (size_t i = 0, len = 0; i < narrow.size(); i += len) {
        uint32_t cp = 0;
        len = dg_utf8_decode(narrow.data() + i, narrow.size() - i, &cp);
        if (len == 0) /* not UTF-8: OpenCC's own handling, on the whole text */
            return fold_text(index, text);
        if (cp < active.size() && active[cp]) {
            if (run == none)
                run = i;
            continue;
        }
        if (run != none)
            fold_run(index, narrow, run, i - run, out);
        run = none;
        out.append(narrow, i, len);
    }
    if (run != none)
        fold_run(index, narrow, run, narrow.size() - run, out);
    return out;
}

std::string fold_field(dg_index *index, const char *text)
{
    return text && *text ? fold_for_index(index, normalise_for_index(text)) : std::string();
}

std::string str(const char *s) { return s ? std::string(s) : std::string(); }

void add_boolean(Xapian::Document &doc, const std::string &prefix, const char *value)
{
    if (value && *value)
        doc.add_boolean_term(prefix + value);
}

/*
 * The data of a document: its header, the original body, and the folded body when folding
 * changed it (the snippet code marks matches on the folded text; storing it saves folding
 * every hit's body again at search time, a fifth of a search's time on a large archive).
 */
std::string document_data(const dg_index_doc *d, const std::string &folded_body)
{
    std::string body = str(d->body);
    std::string data = "dg2\n" + std::to_string(d->version_id) + "\n" +
                       std::to_string(d->record_id) + "\n" +
                       std::to_string(d->version_number) + "\n" + (d->is_current ? "1" : "0") +
                       "\n" + std::to_string(body.size()) + "\n" + body;
    if (folded_body != body)
        data += folded_body;
    return data;
}

void validate_doc(const dg_index_doc *d)
{
    if (d->level < 0 || d->level > 4)
        fail(DG_ERR_USAGE, "access level " + std::to_string(d->level) + " is not 0..4");
    check_filter_value("category", d->category);
    check_filter_value("record type", d->record_type);
    check_filter_value("period", d->period);
    if (d->n_grants > 0 && !d->grants)
        fail(DG_ERR_USAGE, "grant list is NULL but n_grants > 0");
}

/*
 * Grants only matter on level-4 documents (below that, clearance alone decides), so they
 * are only indexed there: a stale grant on a lowered record opens nothing.
 */
void add_visibility_terms(Xapian::Document &doc, const dg_index_doc *d)
{
    for (int c = 0; c <= 4; c++) {
        if (!level_visible_to(d->level, c))
            continue;
        doc.add_boolean_term(visible_term(c, false));
        if (d->is_current)
            doc.add_boolean_term(visible_term(c, true));
    }
}

void add_grant_terms(Xapian::Document &doc, const dg_index_doc *d)
{
    if (d->level != 4)
        return;
    for (size_t i = 0; i < d->n_grants; i++)
        doc.add_boolean_term(grant_term(d->grants[i]));
}

/* Xapian 1.4's encode_length (common/serialise.h): below 255 one byte, else 0xff and the
 * rest in 7-bit groups, low first, the last marked with 0x80. */
void append_length(std::string &out, size_t len)
{
    if (len < 255) {
        out += static_cast<char>(len);
        return;
    }
    out += '\xff';
    len -= 255;
    for (;;) {
        unsigned char b = static_cast<unsigned char>(len & 0x7f);
        len >>= 7;
        if (!len) {
            out += static_cast<char>(b | 0x80);
            return;
        }
        out += static_cast<char>(b);
    }
}

/*
 * The bytes of Xapian::Document::serialise() (Xapian 1.4's serialise_document: the values
 * with their slots, the terms with wdf and position deltas, the data), written into one
 * string sized once, and without starting a position iterator for the terms that have no
 * positions (most of a document's: Chinese unigrams, boolean terms). Xapian's own took 0.3
 * million instructions a record, a tenth of a put. test_index checks the bytes against
 * Xapian's on every document of its corpus, so a Xapian whose format differs fails there.
 */
std::string serialise_document(const Xapian::Document &doc)
{
    const std::string data = doc.get_data();
    std::string out;
    out.reserve(data.size() + 16 * doc.termlist_count() + 64);
    append_length(out, doc.values_count());
    for (Xapian::ValueIterator v = doc.values_begin(); v != doc.values_end(); ++v) {
        const std::string value = *v;
        append_length(out, v.get_valueno());
        append_length(out, value.size());
        out += value;
    }
    append_length(out, doc.termlist_count());
    for (Xapian::TermIterator t = doc.termlist_begin(); t != doc.termlist_end(); ++t) {
        const std::string term = *t;
        append_length(out, term.size());
        out += term;
        append_length(out, t.get_wdf());
        Xapian::termcount positions = t.positionlist_count();
        append_length(out, positions);
        if (positions == 0)
            continue;
        Xapian::termpos last = 0;
        for (Xapian::PositionIterator p = t.positionlist_begin(); p != t.positionlist_end(); ++p) {
            append_length(out, *p - last);
            last = *p;
        }
    }
    out += data;
    return out;
}

/*
 * The document's stamp (SLOT_STAMP): a digest of everything in it but its grants, so it
 * changes whenever what a grant holder's copy holds changes (granted_shard), and not when
 * someone else is granted or refused the same record.
 */
void add_stamp(Xapian::Document &doc)
{
    size_t digest = std::hash<std::string>()(serialise_document(doc));
    doc.add_value(SLOT_STAMP, std::to_string(digest));
}

/*
 * Xapian's TermGenerator, stemming some words (STEM_SOME), would also add a "Z" stemmed copy
 * of every CJK n-gram (Z经费 beside 经费, ZS经费 beside S经费), which the English stemmer leaves
 * as it was. QueryParser never asks for one: CJK text in a query becomes n-grams without
 * stemming (words, phrases, fields alike). They would be 45% of a document's terms, and of
 * the termlist and postlist tables. cjk_stem_stopper keeps them from being made (making them
 * and removing them again cost a tenth of the indexing time); their within-document
 * frequencies are kept in one LENGTH_TERM instead, so every document keeps its length, and
 * relevance scores (which weigh document lengths) stay exactly what they were.
 */
const char *const LENGTH_TERM = "XLEN";

/* Which first characters Xapian's term generator stems (its should_stem): letters. */
bool xapian_would_stem(uint32_t cp)
{
    using namespace Xapian::Unicode;
    switch (get_category(cp)) {
    case LOWERCASE_LETTER:
    case TITLECASE_LETTER:
    case MODIFIER_LETTER:
    case OTHER_LETTER:
        return true;
    default:
        return false;
    }
}

} // namespace

bool cjk_stem_stopper::operator()(const std::string &term) const
{
    uint32_t cp = 0;
    size_t len = dg_utf8_decode(term.data(), term.size(), &cp);
    if (len == 0 || !is_cjk(cp))
        return false;
    if (xapian_would_stem(cp))
        stopped++;
    return true;
}

namespace {

/*
 * The folded text of a document's fields. Folding is the step that fails on a document's
 * own content (text OpenCC refuses), so it runs first, on the caller's thread, and such a
 * document is refused by its own dg_index_put (the engine leaves that version out and
 * says why); what follows from the folded text fails only as the index does.
 */
struct folded_doc {
    std::string title, number, ref, dept, body;
};

folded_doc fold_document(dg_index *index, const dg_index_doc *d)
{
    folded_doc f;
    f.title = fold_field(index, d->title);
    f.number = fold_field(index, d->doc_number);
    f.ref = fold_field(index, d->refcode);
    f.dept = fold_field(index, d->department);
    /* The body is folded once, for the terms and for the snippets (document_data). Its
     * brackets are normalised after folding, not before: OpenCC leaves them alone and width
     * folding turns full-width ones into the ASCII ones normalise_for_index also maps. */
    f.body = d->folded_body ? std::string(d->folded_body) : fold_for_index(index, str(d->body));
    return f;
}

/*
 * Whether term is a Chinese character's unigram of the default field: one code point, a
 * CJK word character. In the body these carry no positions (format 4): they were two thirds
 * of the position table (about 108 of a record's 158 positional (term, record) pairs, each
 * an item of about 15 bytes), and a quoted phrase over them is matched by phrase_source
 * instead, on the stored text.
 */
bool is_han_unigram(const std::string &term)
{
    uint32_t cp = 0;
    size_t len = dg_utf8_decode(term.data(), term.size(), &cp);
    return len != 0 && len == term.size() && is_cjk(cp) && Xapian::Unicode::is_wordchar(cp) &&
           !(cp < 0x80);
}

/*
 * Removes the positions from..to (the body's) of every Chinese unigram, keeping its
 * within-document frequency (so lengths and scores stay as they were) and the positions it
 * has in the title and number, which phrase_source reads from the index.
 */
void drop_body_unigram_positions(Xapian::Document &doc, Xapian::termpos from, Xapian::termpos to)
{
    std::vector<std::string> unigrams;
    for (Xapian::TermIterator t = doc.termlist_begin(); t != doc.termlist_end(); ++t)
        if (is_han_unigram(*t))
            unigrams.push_back(*t);
    for (const std::string &term : unigrams)
        doc.remove_postings(term, from, to, 0);
}

Xapian::Document build_document(dg_index *index, const dg_index_doc *d, const folded_doc &f)
{
    Xapian::Document doc;
    index->termgen.set_document(doc);
    index->stem_stopper.stopped = 0;
    index_folded(index, f.title, "S", true);
    index_folded(index, f.number, "XNO", true);
    index_folded(index, f.ref, "XREF", false);
    index_folded(index, f.dept, "XDEPT", false);
    const std::string &folded_body = f.body;
    Xapian::termpos body_from = index->termgen.get_termpos() + 1;
    index_folded(index, normalise_for_index(folded_body), NULL, true);
    drop_body_unigram_positions(doc, body_from, index->termgen.get_termpos());
    if (index->stem_stopper.stopped > 0)
        doc.add_term(LENGTH_TERM, index->stem_stopper.stopped);

    doc.add_boolean_term(id_term(d->version_id));
    doc.add_boolean_term(record_term(d->record_id));
    doc.add_boolean_term(level_term(d->level));
    add_visibility_terms(doc, d);
    add_boolean(doc, "XCAT", d->category);
    add_boolean(doc, "XTYPE", d->record_type);
    add_boolean(doc, "XPERIOD", d->period);
    if (d->year != 0)
        doc.add_boolean_term(year_term(d->year));
    if (d->is_current)
        doc.add_boolean_term(CURRENT_TERM);

    if (d->category)
        doc.add_value(SLOT_CATEGORY, d->category);
    if (d->year != 0)
        doc.add_value(SLOT_YEAR, std::to_string(d->year));
    if (d->period)
        doc.add_value(SLOT_PERIOD, d->period);
    doc.add_value(SLOT_FACETS, str(d->category) + FACET_SEPARATOR +
                                   (d->year != 0 ? std::to_string(d->year) : "") +
                                   FACET_SEPARATOR + str(d->period));
    std::string key = date_key(d->date, d->year);
    if (!key.empty())
        doc.add_value(SLOT_DATE, key);
    doc.add_value(SLOT_VERSION, Xapian::sortable_serialise((double)d->version_id));
    doc.set_data(document_data(d, folded_body));
    add_stamp(doc);
    add_grant_terms(doc, d);
    return doc;
}

/* ---- query text ------------------------------------------------------------------------- */

bool is_ascii_alpha(uint32_t cp) { return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z'); }

/* Letters and digits, ASCII or full width (folding makes the latter ASCII later). */
bool is_latin_alnum(uint32_t cp)
{
    if (cp >= 0xFF10 && cp <= 0xFF5A) /* full-width 0-9, A-Z, a-z and what lies between */
        cp -= 0xFEE0;
    return is_ascii_alpha(cp) || (cp >= '0' && cp <= '9');
}

/*
 * Rewrites one whitespace-free query token that carries document-number brackets, e.g.
 * no:校办〔2024〕12号 or 校办(2024)12号, into a phrase: no:"校办 2024 12号". A '(' glued to
 * a word on its left is a bracket, not grouping; '(' at the token start and unmatched ')' at
 * its end stay query syntax. Tokens without such brackets come back unchanged.
 */
std::string rewrite_code_token(const std::vector<uint32_t> &tok)
{
    size_t i = 0;
    std::string lead, prefix, body, trail;
    while (i < tok.size() && (tok[i] == '(' || tok[i] == '+' || tok[i] == '-'))
        utf8_append(lead, tok[i++]);
    size_t j = i;
    while (j < tok.size() && is_ascii_alpha(tok[j]))
        j++;
    if (j > i && j < tok.size() && tok[j] == ':') {
        for (; i <= j; i++)
            utf8_append(prefix, tok[i]);
    }
    bool has_bracket = false, has_quote = false, has_latin = false, has_han = false;
    int inner = 0;
    size_t closes = 0;
    for (; i < tok.size(); i++) {
        uint32_t cp = tok[i];
        if (cp == '"' || cp == 0x201C || cp == 0x201D)
            has_quote = true;
        bool bracket = is_code_bracket(cp) || (cp == '(' && !body.empty());
        if (cp == ')' && inner > 0) {
            inner--;
            bracket = true;
        } else if (cp == '(' && bracket) {
            inner++;
        } else if (cp == ')') {
            closes++; /* grouping close: must be trailing */
            continue;
        }
        if (closes > 0) { /* ')' followed by more text: it was a bracket after all */
            body.append(closes, ' ');
            closes = 0;
            has_bracket = true;
        }
        if (bracket) {
            has_bracket = true;
            body += ' ';
        } else {
            utf8_append(body, cp);
            has_latin = has_latin || is_latin_alnum(cp);
            has_han = has_han || (is_cjk(cp) && !is_latin_alnum(cp));
        }
    }
    trail.append(closes, ')');
    /* 12号, 第12条, 2023年度: typed glued, meant together (Xapian would AND the parts). */
    if (has_latin && has_han)
        has_bracket = true;
    if (!has_bracket) {
        std::string same;
        for (uint32_t cp : tok)
            utf8_append(same, cp);
        return same;
    }
    size_t a = body.find_first_not_of(' '), b = body.find_last_not_of(' ');
    body = a == std::string::npos ? std::string() : body.substr(a, b - a + 1);
    if (has_quote || body.empty())
        return lead + prefix + body + trail;
    return lead + prefix + "\"" + body + "\"" + trail;
}

std::string rewrite_code_tokens(const std::string &text)
{
    std::string out;
    std::vector<uint32_t> tok;
    for (const utf8_char &c : utf8_decode(text)) {
        if (is_space(c.cp)) {
            out += rewrite_code_token(tok);
            tok.clear();
            out += ' ';
        } else {
            tok.push_back(c.cp == MIDDLE_DOT ? '-' : c.cp);
        }
    }
    out += rewrite_code_token(tok);
    return out;
}

/*
 * Xapian's QueryParser forgives much (an unclosed quote or parenthesis, "title:" alone). A
 * person who typed those made a mistake the result would hide, so they are refused here
 * with a message saying what to fix. Errors it does report (a bare AND) arrive as
 * QueryParserError and become DG_ERR_QUERY in guarded().
 */
void validate_query(const std::string &q)
{
    size_t quotes = 0;
    int depth = 0;
    bool in_quote = false;
    std::vector<utf8_char> cs = utf8_decode(q);
    for (size_t i = 0; i < cs.size(); i++) {
        uint32_t cp = cs[i].cp;
        if (cp == '"' || cp == 0x201C || cp == 0x201D) {
            quotes++;
            in_quote = !in_quote;
        } else if (!in_quote && cp == '(') {
            depth++;
        } else if (!in_quote && cp == ')') {
            if (--depth < 0)
                fail(DG_ERR_QUERY, "malformed query: ')' without a matching '('");
        }
    }
    if (quotes % 2 != 0)
        fail(DG_ERR_QUERY, "malformed query: a quotation mark is not closed");
    if (depth != 0)
        fail(DG_ERR_QUERY, "malformed query: '(' without a matching ')'");
    for (const field_prefix &f : FIELD_PREFIXES) {
        std::string key = std::string(f.name) + ":";
        for (size_t at = q.find(key); at != std::string::npos; at = q.find(key, at + 1)) {
            bool starts = at == 0 || strchr(" (+-", q[at - 1]) != NULL;
            size_t next = at + key.size();
            bool empty = next >= q.size() || q[next] == ' ' || q[next] == ')';
            if (starts && empty)
                fail(DG_ERR_QUERY, "malformed query: '" + key +
                                       "' needs a word or a quoted phrase after it");
        }
    }
}

/* ---- queries as people type them: words and synonyms ----------------------------------- */

/*
 * People type Chinese without spaces: 差旅报销 means the words 差旅 and 报销, which a record
 * may hold apart (差旅费报销). The index holds CJK n-grams (FLAG_CJK_NGRAM: every character,
 * with its position, and every pair of neighbours, without one), and QueryParser makes an
 * unspaced run the AND of all of its n-grams, 旅报 included, so only the contiguous string
 * matched. Here such a run is split into words first: an entry of the synonym table, longest
 * first, is one word (总务处 stays whole); the rest is split by ICU's dictionary word breaker
 * (the segmenter Xapian 2.0 adopts). The run becomes the AND of its words, each the AND of
 * its own n-grams, and a word with synonyms becomes (word OR synonym ...). The records that
 * hold the run as typed are ranked first, by a weighted AND_MAYBE over the match: what
 * matches is decided by the words alone, so the boost changes no total and no facet count,
 * and the counting pass leaves it out. (A NEAR or phrase boost over the characters, which
 * have positions, was measured first: it multiplied bench/search's p99 by six, checking
 * positions on every match.)
 */
const size_t MAX_SYNONYM_CHARS = 8;
/* Weight of the as-typed boost against the words' own weights. */
const double AS_TYPED_BOOST = 4.0;

void read_synonyms(Xapian::Database &db, synonym_table &t)
{
    t.words.clear();
    for (Xapian::TermIterator k = db.synonym_keys_begin(); k != db.synonym_keys_end(); ++k) {
        std::vector<std::string> &list = t.words[*k];
        for (Xapian::TermIterator s = db.synonyms_begin(*k); s != db.synonyms_end(*k); ++s)
            list.push_back(*s);
    }
}

/* The synonym table as the handle sees it now: per revision for a reader; a writer's
 * uncommitted changes have no revision, so it reads the table afresh. */
const synonym_table &current_synonyms(dg_index *index)
{
    synonym_table &t = index->synonyms;
    Xapian::Database &db = index->meta();
    Xapian::rev revision = index->mode == DG_INDEX_READ ? db.get_revision() : 0;
    if (index->mode != DG_INDEX_READ || !t.built || t.revision != revision) {
        t.built = false;
        read_synonyms(db, t);
        t.revision = revision;
        t.built = true;
    }
    return t;
}

const std::vector<std::string> *synonyms_of(const synonym_table &t, const std::string &word)
{
    auto found = t.words.find(word);
    return found == t.words.end() || found->second.empty() ? NULL : &found->second;
}

/* A Chinese character of a word (not punctuation, not a full-width letter or digit). */
bool is_han_word_char(uint32_t cp)
{
    return is_cjk(cp) && !is_latin_alnum(cp) && Xapian::Unicode::is_wordchar(cp);
}

std::string utf8_of(const std::vector<uint32_t> &cps, size_t from, size_t to)
{
    std::string out;
    for (size_t i = from; i < to; i++)
        utf8_append(out, cps[i]);
    return out;
}

/* Where ICU's word breaker ends words in cps (code point offsets, ascending, last = size). */
std::vector<size_t> icu_word_ends(dg_index *index, const std::vector<uint32_t> &cps)
{
    if (!index->words) {
        UErrorCode status = U_ZERO_ERROR;
        index->words.reset(
            icu::BreakIterator::createWordInstance(icu::Locale::getChinese(), status));
        if (U_FAILURE(status) || !index->words) {
            index->words.reset();
            fail(DG_ERR_INTERNAL, std::string("ICU word breaker: ") + u_errorName(status));
        }
    }
    icu::UnicodeString u;
    std::vector<size_t> at_unit; /* UTF-16 offset -> code point offset */
    for (size_t i = 0; i < cps.size(); i++) {
        while ((size_t)u.length() >= at_unit.size())
            at_unit.push_back(i);
        u.append((UChar32)cps[i]);
    }
    at_unit.resize((size_t)u.length() + 1, cps.size());
    at_unit[(size_t)u.length()] = cps.size();
    index->words->setText(u);
    std::vector<size_t> ends;
    for (int32_t b = index->words->next(); b != icu::BreakIterator::DONE; b = index->words->next())
        ends.push_back(at_unit[(size_t)b]);
    if (ends.empty() || ends.back() != cps.size())
        ends.push_back(cps.size());
    return ends;
}

/* Splits a run of Chinese characters into words: synonym-table entries, longest first,
 * else ICU's words. */
std::vector<std::string> split_words(dg_index *index, const synonym_table &syn,
                                     const std::vector<uint32_t> &cps)
{
    std::vector<size_t> ends = icu_word_ends(index, cps);
    std::vector<std::string> words;
    size_t i = 0;
    while (i < cps.size()) {
        size_t end = 0;
        size_t longest = std::min(MAX_SYNONYM_CHARS, cps.size() - i);
        for (size_t k = longest; k >= 2 && end == 0; k--)
            if (synonyms_of(syn, utf8_of(cps, i, i + k)))
                end = i + k;
        if (end == 0)
            end = *std::upper_bound(ends.begin(), ends.end(), i);
        words.push_back(utf8_of(cps, i, end));
        i = end;
    }
    return words;
}

/* How a synonym is typed into the rewritten query: a phrase when it has several words. */
std::string synonym_query_text(const std::string &synonym)
{
    if (synonym.find(' ') != std::string::npos || synonym.find('-') != std::string::npos)
        return "\"" + synonym + "\"";
    return synonym;
}

/* "word", or "(word OR synonym ...)" when the table has synonyms of it. */
std::string word_with_synonyms(const synonym_table &syn, const std::string &word)
{
    const std::vector<std::string> *list = synonyms_of(syn, word);
    if (!list)
        return word;
    std::string out = "(" + word;
    for (const std::string &s : *list)
        out += " OR " + synonym_query_text(s);
    return out + ")";
}

/* The rewritten query text and the runs of characters to boost as phrase / NEAR. */
struct expanded_query {
    std::string text;
    std::vector<std::vector<std::string>> runs;
};

/*
 * Rewrites one whitespace-free token outside quotation marks (see above). Leading '(' and
 * trailing ')' are grouping and kept; a token with a field prefix, + or -, or anything but
 * Chinese characters (or, for synonyms, a lower-case word) comes back as it was.
 */
std::string expand_token(dg_index *index, const synonym_table &syn,
                         const std::vector<uint32_t> &tok, bool negated, expanded_query &out)
{
    size_t a = 0, b = tok.size();
    while (a < b && tok[a] == '(')
        a++;
    while (b > a && tok[b - 1] == ')')
        b--;
    std::string whole = utf8_of(tok, 0, tok.size());
    if (a == b)
        return whole;
    std::vector<uint32_t> core(tok.begin() + (long)a, tok.begin() + (long)b);
    std::string lead = utf8_of(tok, 0, a), trail = utf8_of(tok, b, tok.size());
    bool han = true, word = true;
    for (uint32_t cp : core) {
        han = han && is_han_word_char(cp);
        word = word && cp < 0x80 && Xapian::Unicode::is_wordchar(cp) &&
               !(cp >= 'A' && cp <= 'Z');
    }
    if (word) { /* a lower-case Latin word: its synonyms only */
        std::string w = utf8_of(core, 0, core.size());
        return synonyms_of(syn, w) ? lead + word_with_synonyms(syn, w) + trail : whole;
    }
    if (!han)
        return whole;
    std::vector<std::string> words = split_words(index, syn, core);
    if (words.size() == 1 && !synonyms_of(syn, words[0]))
        return whole;
    std::string text = "(";
    for (size_t i = 0; i < words.size(); i++)
        text += (i ? " " : "") + word_with_synonyms(syn, words[i]);
    text += ")";
    if (words.size() > 1 && !negated) {
        /* The character pairs that span a boundary between two words (旅报 of 差旅|报销):
         * a record holds them all when it holds the run as typed. */
        std::vector<std::string> junctions;
        size_t at = 0;
        for (size_t i = 0; i + 1 < words.size(); i++) {
            at += utf8_decode(words[i]).size();
            junctions.push_back(utf8_of(core, at - 1, at + 1));
        }
        out.runs.push_back(junctions);
    }
    return lead + text + trail;
}

/* NEAR, ADJ, NEAR/3, ADJ/2: operators whose operands must be bare terms. */
bool is_proximity_operator(const std::string &tok)
{
    for (const char *op : {"NEAR", "ADJ"}) {
        size_t n = strlen(op);
        if (tok.compare(0, n, op) == 0 &&
            (tok.size() == n || (tok[n] == '/' && tok.find_first_not_of("0123456789", n + 1) ==
                                                         std::string::npos)))
            return true;
    }
    return false;
}

/*
 * Xapian 1.4's QueryParser refuses a CJK word standing between two other words ("notice 人事
 * library", "a title:人事 b": "parse error"), while the same word in parentheses parses
 * alike: "notice (人事) library" is the AND of the same terms. So a token holding CJK
 * characters has its core (inside any grouping parentheses, after + or -) put in
 * parentheses; a field prefix goes inside with it ("(title:人事)"). Left as typed: quoted
 * tokens, cores holding parentheses or quotation marks of their own, and the operands of
 * NEAR and ADJ, which must be bare terms.
 */
std::string guard_cjk_token(const std::string &expanded)
{
    std::vector<uint32_t> cps;
    for (const utf8_char &c : utf8_decode(expanded))
        cps.push_back(c.cp);
    size_t a = 0, b = cps.size();
    while (a < b && cps[a] == '(')
        a++;
    while (b > a && cps[b - 1] == ')')
        b--;
    if (a < b && (cps[a] == '+' || cps[a] == '-'))
        a++;
    bool cjk = false;
    for (size_t i = a; i < b; i++) {
        uint32_t cp = cps[i];
        if (cp == '(' || cp == ')' || cp == '"' || cp == 0x201C || cp == 0x201D)
            return expanded;
        cjk = cjk || is_cjk(cp);
    }
    if (!cjk)
        return expanded;
    return utf8_of(cps, 0, a) + "(" + utf8_of(cps, a, b) + ")" + utf8_of(cps, b, cps.size());
}

expanded_query expand_query(dg_index *index, const std::string &folded)
{
    expanded_query out;
    const synonym_table &syn = current_synonyms(index);
    /* The whitespace-separated tokens first: a token's neighbours decide how it is kept. */
    std::vector<std::vector<uint32_t>> toks(1);
    for (const utf8_char &c : utf8_decode(folded)) {
        if (!is_space(c.cp))
            toks.back().push_back(c.cp);
        else if (!toks.back().empty())
            toks.emplace_back();
    }
    if (toks.back().empty())
        toks.pop_back();
    bool in_quote = false, negated = false;
    for (size_t i = 0; i < toks.size(); i++) {
        const std::vector<uint32_t> &tok = toks[i];
        bool quoted = in_quote;
        for (uint32_t cp : tok)
            if (cp == '"' || cp == 0x201C || cp == 0x201D)
                in_quote = !in_quote, quoted = true;
        std::string plain = utf8_of(tok, 0, tok.size());
        bool near = (i > 0 && is_proximity_operator(utf8_of(toks[i - 1], 0, toks[i - 1].size()))) ||
                    (i + 1 < toks.size() &&
                     is_proximity_operator(utf8_of(toks[i + 1], 0, toks[i + 1].size())));
        if (i)
            out.text += ' ';
        if (quoted)
            out.text += plain;
        else if (near)
            out.text += expand_token(index, syn, tok, negated, out);
        else
            out.text += guard_cjk_token(expand_token(index, syn, tok, negated, out));
        negated = !quoted && plain == "NOT";
    }
    return out;
}

/*
 * The records holding a run as typed score higher: each holds the pairs of characters that
 * span the run's word boundaries (CJK n-gram terms, which carry no positions, so this costs
 * one posting list per boundary and no position checks on the matches).
 */
Xapian::Query as_typed_boost(const std::vector<std::vector<std::string>> &runs)
{
    std::vector<Xapian::Query> parts;
    for (const std::vector<std::string> &junctions : runs) {
        Xapian::Query all(Xapian::Query::OP_AND, junctions.begin(), junctions.end());
        parts.emplace_back(Xapian::Query::OP_SCALE_WEIGHT, all, AS_TYPED_BOOST);
    }
    return Xapian::Query(Xapian::Query::OP_OR, parts.begin(), parts.end());
}

/* ---- phrases over Chinese characters, without positions in the body --------------------- */

/*
 * A quoted phrase (or NEAR / ADJ) over Chinese characters, matched without the body's
 * positions (format 4; see is_han_unigram). QueryParser makes it OP_PHRASE (or OP_NEAR) of
 * its terms; here it becomes OP_AND_NOT(AND of the same terms, phrase_source): the AND gives
 * the same candidates and the same weights as the phrase did (a phrase's weight is its AND's),
 * and phrase_source lists the candidates where the terms do not stand as the phrase asks.
 * (The misses, not the matches: Xapian counts a posting source as one more matching
 * subquery of every document it matches, but not in the query's total, which would change
 * every hit's percentage; AND_NOT counts its left side only, as the phrase did.) Whether
 * they stand so is judged on exactly the positions the index used to hold:
 *   - the title's and number's, which the index still holds (and, in an index of format 3,
 *     the body's too);
 *   - the body's, from the folded body that the document's data holds, tokenised again by
 *     Xapian's own term generator with the settings the index uses. Before that costs a
 *     tokenisation, an exact phrase is settled on the text itself in almost every case
 *     (in_text).
 * It runs in both passes (counting and ranked), so totals and facets are exact, and it reads
 * nothing but the document it is asked about.
 */
const char *const PHRASE_SOURCE_NAME = "dangan.phrase";

/* Where the folded body of a document's data (document_data) is: its first byte and length,
 * or false if the data is not ours. */
bool folded_body_at(const std::string &data, size_t *from, size_t *bytes)
{
    size_t at = 0;
    for (int field = 0; field < 5; field++) {
        at = data.find('\n', at);
        if (at == std::string::npos)
            return false;
        at++;
    }
    if (data.compare(0, 4, "dg2\n") != 0)
        return false;
    size_t end = data.find('\n', at);
    if (end == std::string::npos)
        return false;
    size_t len = (size_t)strtoull(data.c_str() + at, NULL, 10);
    at = end + 1;
    if (len > data.size() - at)
        return false;
    *from = at + len < data.size() ? at + len : at;
    *bytes = at + len < data.size() ? data.size() - at - len : len;
    return true;
}

/* Positions of a phrase's slots (each the sorted positions of its term(s)). */
typedef std::vector<std::vector<Xapian::termpos>> slot_positions;

/* OP_PHRASE: positions in the slots' order, all within window. */
bool in_order_within(const slot_positions &pos, Xapian::termcount window)
{
    for (Xapian::termpos first : pos[0]) {
        Xapian::termpos last = first;
        bool ok = true;
        for (size_t i = 1; i < pos.size() && ok; i++) {
            auto next = std::upper_bound(pos[i].begin(), pos[i].end(), last);
            if (next == pos[i].end())
                return false; /* no later start can do better */
            last = *next;
            ok = last - first < window;
        }
        if (ok)
            return true;
    }
    return false;
}

/* OP_NEAR: distinct positions, one per slot, in any order, all within window. */
bool near_within(const slot_positions &pos, Xapian::termcount window)
{
    std::vector<Xapian::termpos> starts;
    for (const std::vector<Xapian::termpos> &p : pos)
        starts.insert(starts.end(), p.begin(), p.end());
    std::sort(starts.begin(), starts.end());
    for (Xapian::termpos s : starts) {
        /* Greedy over slots, fewest choices first, each taking a free position in the window. */
        std::vector<std::vector<Xapian::termpos>> in(pos.size());
        for (size_t i = 0; i < pos.size(); i++)
            for (Xapian::termpos p : pos[i])
                if (p >= s && p - s < window)
                    in[i].push_back(p);
        std::vector<size_t> order(pos.size());
        for (size_t i = 0; i < order.size(); i++)
            order[i] = i;
        std::sort(order.begin(), order.end(),
                  [&in](size_t a, size_t b) { return in[a].size() < in[b].size(); });
        std::vector<Xapian::termpos> used;
        bool ok = true;
        for (size_t i : order) {
            auto free = std::find_if(in[i].begin(), in[i].end(), [&used](Xapian::termpos p) {
                return std::find(used.begin(), used.end(), p) == used.end();
            });
            if (free == in[i].end()) {
                ok = false;
                break;
            }
            used.push_back(*free);
        }
        if (ok)
            return true;
    }
    return false;
}

class phrase_source : public Xapian::PostingSource {
  public:
    phrase_source(std::vector<std::vector<std::string>> slots, Xapian::termcount window,
                  bool ordered, bool holders = false, phrase_verdicts *verdicts = nullptr)
        : slots_(std::move(slots)), window_(window), ordered_(ordered), holders_(holders),
          verdicts_(verdicts)
    {
        exact_ = ordered_ && window_ == slots_.size();
        plain_ = exact_;
        for (const std::vector<std::string> &slot : slots_) {
            exact_ = exact_ && slot.size() == 1;
            bool han = slot.size() == 1 && is_han_unigram(slot[0]);
            plain_ = plain_ && han;
            uint32_t cp = 0;
            if (han)
                dg_utf8_decode(slot[0].data(), slot[0].size(), &cp);
            han_.push_back(cp);
            text_ += slot[0];
        }
        termgen_.set_flags(Xapian::TermGenerator::FLAG_CJK_NGRAM);
    }

    phrase_source *clone() const override
    {
        return new phrase_source(slots_, window_, ordered_, holders_, verdicts_);
    }
    std::string name() const override { return PHRASE_SOURCE_NAME; }

    std::string serialise() const override
    {
        std::string out = std::string(holders_ ? "H" : "") + (ordered_ ? "P" : "N") +
                          std::to_string(window_) + "\n";
        for (const std::vector<std::string> &slot : slots_) {
            out += std::to_string(slot.size()) + "\n";
            for (const std::string &term : slot)
                out += std::to_string(term.size()) + "\n" + term;
        }
        return out;
    }

    phrase_source *unserialise(const std::string &s) const override
    {
        size_t at = 0;
        auto number = [&s, &at]() {
            size_t end = s.find('\n', at);
            if (end == std::string::npos)
                throw Xapian::SerialisationError("bad phrase_source");
            unsigned long long n = strtoull(s.c_str() + at, NULL, 10);
            at = end + 1;
            return (size_t)n;
        };
        bool holders = !s.empty() && s[0] == 'H';
        at = holders ? 1 : 0;
        if (s.size() <= at || (s[at] != 'P' && s[at] != 'N'))
            throw Xapian::SerialisationError("bad phrase_source");
        bool ordered = s[at] == 'P';
        at++;
        Xapian::termcount window = (Xapian::termcount)number();
        std::vector<std::vector<std::string>> slots;
        while (at < s.size()) {
            size_t n = number();
            std::vector<std::string> slot;
            for (size_t i = 0; i < n; i++) {
                size_t len = number();
                if (len > s.size() - at)
                    throw Xapian::SerialisationError("bad phrase_source");
                slot.push_back(s.substr(at, len));
                at += len;
            }
            slots.push_back(std::move(slot));
        }
        return new phrase_source(std::move(slots), window, ordered, holders, verdicts_);
    }

    void init(const Xapian::Database &db) override
    {
        db_ = db;
        started_ = false;
        done_ = false;
        did_ = 0;
        lists_.clear();
        ends_.clear();
        asked_.clear();
        held_.clear();
        Xapian::doccount most = db_.get_doccount();
        for (const std::vector<std::string> &slot : slots_) {
            Xapian::doccount freq = 0;
            for (const std::string &term : slot)
                freq += db_.get_termfreq(term);
            most = std::min(most, freq);
            if (slot.size() == 1) {
                lists_.push_back(db_.postlist_begin(slot[0]));
                ends_.push_back(db_.postlist_end(slot[0]));
            }
        }
        pair_open_ = plain_ && slots_.size() == 2;
        if (pair_open_) {
            pair_ = db_.postlist_begin(text_);
            pair_end_ = db_.postlist_end(text_);
        }
        if (lists_.empty()) { /* every slot has alternatives: walk every document */
            lists_.push_back(db_.postlist_begin(std::string()));
            ends_.push_back(db_.postlist_end(std::string()));
        }
        most_ = most;
        docs_ = db_.get_doccount();
        remember_verdicts();
    }

    Xapian::doccount get_termfreq_min() const override { return 0; }
    /* A source of holders claims as many documents as the database holds (a true upper
     * bound), so that an AND puts it after every other operand and only asks it to check()
     * the documents they all hold; in front it would walk and check every candidate. */
    Xapian::doccount get_termfreq_est() const override { return holders_ ? docs_ : most_ / 2; }
    Xapian::doccount get_termfreq_max() const override { return holders_ ? docs_ : most_; }
    Xapian::docid get_docid() const override { return did_; }
    bool at_end() const override { return done_; }

    void next(double) override { advance(started_ ? did_ + 1 : 1); }

    void skip_to(Xapian::docid did, double) override
    {
        if (!started_ || did > did_)
            advance(std::max<Xapian::docid>(did, 1));
    }

    bool check(Xapian::docid did, double) override
    {
        started_ = true;
        did_ = did;
        return matches(did) == holders_;
    }

    std::string get_description() const override { return "phrase_source " + serialise(); }

  private:
    /* Moves to the first document at or after from that holds every single-term slot and
     * is listed: misses the phrase, or holds it in a source of holders (a leapfrog over those
     * slots' posting lists). */
    void advance(Xapian::docid from)
    {
        started_ = true;
        for (;;) {
            Xapian::docid at = from;
            bool moved = true;
            while (moved) {
                moved = false;
                for (size_t i = 0; i < lists_.size(); i++) {
                    lists_[i].skip_to(at);
                    if (lists_[i] == ends_[i]) {
                        done_ = true;
                        return;
                    }
                    if (*lists_[i] > at) {
                        at = *lists_[i];
                        moved = true;
                    }
                }
            }
            did_ = at;
            if (matches(at) == holders_)
                return;
            from = at + 1;
        }
    }

    /* The slots' positions in the index (title, number; the body's in a format-3 index). */
    bool index_positions_match(const Xapian::Database &db, Xapian::docid did)
    {
        slot_positions pos(slots_.size());
        for (size_t i = 0; i < slots_.size(); i++) {
            for (const std::string &term : slots_[i])
                for (Xapian::PositionIterator p = db.positionlist_begin(did, term);
                     p != db.positionlist_end(did, term); ++p)
                    pos[i].push_back(*p);
            if (pos[i].empty())
                return false;
            std::sort(pos[i].begin(), pos[i].end());
        }
        return ordered_ ? in_order_within(pos, window_) : near_within(pos, window_);
    }

    /* The same through the document itself (a match decider's document comes from a
     * database of several shards, and its get_docid() is its shard's id, not the view's). */
    bool index_positions_match(const Xapian::Document &doc)
    {
        slot_positions pos(slots_.size());
        Xapian::TermIterator end = doc.termlist_end();
        for (size_t i = 0; i < slots_.size(); i++) {
            for (const std::string &term : slots_[i]) {
                Xapian::TermIterator t = doc.termlist_begin();
                t.skip_to(term);
                if (t == end || *t != term)
                    continue;
                for (Xapian::PositionIterator p = t.positionlist_begin();
                     p != t.positionlist_end(); ++p)
                    pos[i].push_back(*p);
            }
            if (pos[i].empty())
                return false;
            std::sort(pos[i].begin(), pos[i].end());
        }
        return ordered_ ? in_order_within(pos, window_) : near_within(pos, window_);
    }

    /*
     * Settles an exact phrase on the text without the term generator, in almost every case.
     * The text is cut as Xapian's term generator cuts it for positions: every Chinese
     * character is a term; a run of other word characters is one term, lower-cased; all
     * else (punctuation, spaces) takes no position. A run is "unsure" when the generator may
     * make something else of it: an infix or suffix character inside or after it (1,000,
     * don't, AT&T, C++), a letter outside ASCII, capitals with dots (acronyms), or more than
     * 60 bytes (it drops a word longer than 64 without a position). EXACT: the phrase's terms
     * stand in a row of sure terms. NONE: they do not, and nothing in the text is unsure.
     * UNSURE otherwise (the term generator decides).
     */
    enum class found { NONE, UNSURE, EXACT };
    struct text_term {
        uint32_t han;     /* the Chinese character, or 0 for a run of other word characters */
        std::string word; /* the run, lower-cased */
        bool sure;
    };

    /* A word character that is not a Chinese one. */
    static bool other_word_char(uint32_t cp)
    {
        return Xapian::Unicode::is_wordchar(cp) && !(cp >= 0x80 && is_cjk(cp));
    }

    /* Xapian's infix characters: between two word characters, and between two digits. */
    static bool is_word_infix(uint32_t cp)
    {
        switch (cp) {
        case '\'': case '&': case 0xB7: case 0x5F4: case 0x2027: case 0x2019: case 0x201B:
            return true;
        }
        return false;
    }
    static bool is_digit_infix(uint32_t cp)
    {
        switch (cp) {
        case ',': case '.': case ';': case 0x37E: case 0x589: case 0x60D: case 0x7F8:
        case 0x2044: case 0xFE10: case 0xFE13: case 0xFE14:
            return true;
        }
        return false;
    }
    static bool is_digit(uint32_t cp)
    {
        return Xapian::Unicode::get_category(cp) == Xapian::Unicode::DECIMAL_DIGIT_NUMBER;
    }
    static bool is_upper(uint32_t cp) { return cp >= 'A' && cp <= 'Z'; }

    /* Whether the character at i of cs, after a word, may join it to what follows it (an
     * infix), end it with a suffix (C++, C#), or make it an acronym (U.S.A.). */
    static bool may_join(const std::vector<utf8_char> &cs, size_t i)
    {
        if (i == 0 || i >= cs.size())
            return false;
        return joins(cs[i - 1].cp, cs[i].cp, i + 1 < cs.size() ? cs[i + 1].cp : 0);
    }

    /* The same for the character c between before and after (0: none). */
    static bool joins(uint32_t before, uint32_t c, uint32_t after)
    {
        if (c == '+' || c == '#')
            return true;
        if (is_word_infix(c) && other_word_char(before) && other_word_char(after))
            return true;
        if (is_digit_infix(c) && is_digit(before) && is_digit(after))
            return true;
        return c == '.' && is_upper(before);
    }

    static std::vector<text_term> text_terms(const std::string &text, bool &unsure)
    {
        std::vector<text_term> terms;
        std::vector<utf8_char> cs = utf8_decode(text);
        unsure = false;
        for (size_t i = 0; i < cs.size();) {
            uint32_t cp = cs[i].cp;
            bool word = Xapian::Unicode::is_wordchar(cp);
            if (word && cp >= 0x80 && is_cjk(cp)) {
                terms.push_back({cp, std::string(), true});
                i++;
                continue;
            }
            if (!word) {
                i++;
                continue;
            }
            text_term t{0, std::string(), true};
            size_t from = i;
            for (; i < cs.size(); i++) {
                uint32_t c = cs[i].cp;
                if (!Xapian::Unicode::is_wordchar(c) || (c >= 0x80 && is_cjk(c)))
                    break;
                if (c >= 0x80)
                    t.sure = false;
                t.word += (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
            }
            /* joined to what follows or precedes it (1,000  AT&T  U.S.  v1.2  C++) */
            if (may_join(cs, i) || (from > 1 && may_join(cs, from - 1)))
                t.sure = false;
            if (t.word.size() > 60)
                t.sure = false;
            unsure = unsure || !t.sure;
            terms.push_back(std::move(t));
        }
        return terms;
    }

    bool term_is(const text_term &t, size_t slot) const
    {
        if (!t.sure)
            return false;
        return t.han ? han_[slot] == t.han : (han_[slot] == 0 && slots_[slot][0] == t.word);
    }

    found in_text(const std::string &text) const
    {
        bool unsure = false;
        std::vector<text_term> terms = text_terms(text, unsure);
        size_t n = slots_.size();
        for (size_t i = 0; i + n <= terms.size(); i++) {
            size_t k = 0;
            while (k < n && term_is(terms[i + k], k))
                k++;
            if (k == n)
                return found::EXACT;
        }
        return unsure ? found::UNSURE : found::NONE;
    }

    /*
     * in_text for a phrase of Chinese characters only (plain_), on the bytes of the text,
     * without decoding all of it: at each place the first character stands (memmem: UTF-8
     * never matches inside another character), the phrase's next characters must follow
     * with nothing but characters that are not word characters between them (those take no
     * position; every Chinese character is a term of its own). A run of other word
     * characters there is a term, so no place of the phrase, when text_terms would call it
     * sure (sure_run); otherwise only the term generator can tell (it drops a word longer
     * than 64 bytes, joins 1,000 and AT&T): UNSURE. Bytes that are not UTF-8 read as
     * U+FFFD, no word character, as in text_terms. So EXACT and NONE are in_text's
     * verdicts, reached without decoding the text before each first character or making a
     * term of each run, and UNSURE only where an unsure run sits inside a place that might
     * hold the phrase (in_text says UNSURE for any unsure run in the whole text).
     */
    found plain_in_text(const char *text, size_t n) const
    {
        const std::string &first = slots_[0][0];
        const unsigned char *s = (const unsigned char *)text;
        bool unsure = false;
        size_t from = 0;
        while (from < n) {
            const void *hit = memmem(text + from, n - from, first.data(), first.size());
            if (!hit)
                break;
            size_t at = (size_t)((const char *)hit - text);
            size_t i = at + first.size(), k = 1;
            uint32_t prev = han_[0]; /* the character before i */
            while (k < han_.size() && i < n) {
                uint32_t cp;
                size_t len = utf8_step(s, i, n, &cp);
                if (!Xapian::Unicode::is_wordchar(cp)) {
                    prev = cp;
                    i += len;
                    continue;
                }
                if (cp < 0x80 || !is_cjk(cp)) {
                    /* a run of other word characters: a term of its own, so no place of
                     * the phrase here, when surely one (as text_terms judges it) */
                    unsure = unsure || !sure_run(s, n, i, prev);
                    break;
                }
                if (cp != han_[k])
                    break;
                prev = cp;
                k++;
                i += len;
            }
            if (k == han_.size())
                return found::EXACT;
            from = at + first.size();
        }
        return unsure ? found::UNSURE : found::NONE;
    }

    /*
     * Whether the run of other word characters at byte i of s (n bytes), after the character
     * prev (not a word character, or a Chinese one), is surely one term as text_terms judges
     * it: ASCII, at most 60 bytes, not joined to what follows it, and not after a suffix
     * character (the only way it can join what precedes it: prev's own predecessor is no
     * word character, digit or capital, as the walk that reached i went only over those).
     */
    static bool sure_run(const unsigned char *s, size_t n, size_t i, uint32_t prev)
    {
        if (prev == '+' || prev == '#')
            return false;
        size_t from = i;
        uint32_t last = 0, cp = 0;
        size_t len = 0;
        for (; i < n; i += len) {
            len = utf8_step(s, i, n, &cp);
            if (!Xapian::Unicode::is_wordchar(cp) || (cp >= 0x80 && is_cjk(cp)))
                break;
            if (cp >= 0x80)
                return false;
            last = cp;
        }
        if (i - from > 60)
            return false;
        if (i >= n)
            return true;
        uint32_t after = 0;
        if (i + len < n)
            utf8_step(s, i + len, n, &after);
        return !joins(last, cp, after);
    }

    /*
     * in_text for an exact phrase whose first slot is a Chinese character (校办 2021 12号), on
     * the bytes of the text, as plain_in_text: at each place that character stands (memmem),
     * the terms after it are cut as text_terms cuts them, from that place on only, each
     * compared with its slot: a Chinese character with its character, a run of other word
     * characters with its word when sure (sure_run_at, text_terms' test: ASCII, at most 60
     * bytes, joined neither to what follows nor to what precedes it). An unsure run at a
     * place that might hold the phrase: UNSURE (the term generator decides). So EXACT and
     * NONE are in_text's verdicts, reached without decoding the whole text and making a term
     * of each of its runs; in_text says UNSURE for any unsure run in the text, this only for
     * one where the phrase might stand (elsewhere it cannot move the phrase's positions).
     */
    found mixed_in_text(const char *text, size_t n) const
    {
        const std::string &first = slots_[0][0];
        const unsigned char *s = (const unsigned char *)text;
        bool unsure = false;
        size_t from = 0;
        while (from < n) {
            const void *hit = memmem(text + from, n - from, first.data(), first.size());
            if (!hit)
                break;
            size_t at = (size_t)((const char *)hit - text);
            size_t i = at + first.size(), k = 1;
            uint32_t before = 0, prev = han_[0]; /* the two characters before i */
            while (k < han_.size() && i < n) {
                uint32_t cp;
                size_t len = utf8_step(s, i, n, &cp);
                if (!Xapian::Unicode::is_wordchar(cp)) {
                    before = prev, prev = cp;
                    i += len;
                    continue;
                }
                if (cp >= 0x80 && is_cjk(cp)) {
                    if (cp != han_[k])
                        break;
                    before = prev, prev = cp;
                    k++;
                    i += len;
                    continue;
                }
                std::string word;
                uint32_t last = 0;
                size_t end = i;
                bool sure = !joins(before, prev, cp); /* not joined to what precedes it */
                for (size_t step = 0; end < n; end += step) {
                    uint32_t c;
                    step = utf8_step(s, end, n, &c);
                    if (!Xapian::Unicode::is_wordchar(c) || (c >= 0x80 && is_cjk(c)))
                        break;
                    sure = sure && c < 0x80;
                    word += (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
                    before = last, last = c;
                }
                sure = sure && word.size() <= 60;
                if (sure && end < n) { /* not joined to what follows it */
                    uint32_t c, after = 0;
                    size_t step = utf8_step(s, end, n, &c);
                    if (end + step < n)
                        utf8_step(s, end + step, n, &after);
                    sure = !joins(last, c, after);
                }
                if (!sure) {
                    unsure = true;
                    break;
                }
                if (han_[k] != 0 || slots_[k][0] != word)
                    break;
                before = word.size() > 1 ? before : prev;
                prev = last;
                k++;
                i = end;
            }
            if (k == han_.size())
                return found::EXACT;
            from = at + first.size();
        }
        return unsure ? found::UNSURE : found::NONE;
    }

    /* The body's positions, from its folded text tokenised as the index tokenised it. */
    bool body_positions_match(const std::string &folded)
    {
        Xapian::Document doc;
        termgen_.set_document(doc);
        termgen_.index_text(normalise_for_index(folded));
        return index_positions_match(doc);
    }

    bool matches(Xapian::docid did)
    {
        if (seen_ && did < seen_->size()) {
            uint8_t &verdict = (*seen_)[did];
            if (!verdict)
                verdict = has_pair(did) || holds(db_, did, NULL) ? 2 : 1;
            return verdict == 2;
        }
        return has_pair(did) || holds(db_, did, NULL);
    }

    /* Takes this phrase's verdicts on db_'s revision (phrase_verdicts), when a read-only
     * handle's counting pass keeps them and db_ is a level's database on disk (a grant
     * holder's copy in memory has no UUID, and is not kept). */
    void remember_verdicts()
    {
        seen_.reset();
        if (!verdicts_ || !holders_)
            return;
        std::string uuid = db_.get_uuid();
        if (uuid.empty())
            return;
        std::string key = uuid + "@" + std::to_string(db_.get_revision()) + "\n" + serialise();
        std::lock_guard<std::mutex> hold(verdicts_->lock);
        auto found = verdicts_->entries.find(key);
        if (found != verdicts_->entries.end()) {
            seen_ = found->second;
            return;
        }
        if (verdicts_->entries.size() >= PHRASE_VERDICTS_SIZE)
            verdicts_->entries.clear();
        seen_ = std::make_shared<std::vector<uint8_t>>((size_t)db_.get_lastdocid() + 1, 0);
        verdicts_->entries[key] = seen_;
    }

    /* A phrase of two Chinese characters is held by every document that holds them as a
     * pair (an n-gram term, made only of neighbours in a run of Chinese characters), which
     * the counting pass, asking in docid order, reads from the pair's posting list instead
     * of the document's text. */
    bool has_pair(Xapian::docid did)
    {
        if (!pair_open_ || pair_ == pair_end_)
            return false;
        if (*pair_ < did)
            pair_.skip_to(did);
        return pair_ != pair_end_ && *pair_ == did;
    }

  public:
    /* matches() for the counting pass's bit sets: document did of the database given to
     * init(), asked in ascending id order (has_pair walks the pair's posting list). */
    bool holds_after_init(Xapian::docid did) { return matches(did); }

    /* For the counting pass's sweep of index positions (see index_position_holders): whether
     * Xapian's own phrase matcher decides what index_positions_match does (an ordered phrase:
     * OP_PHRASE's test is in_order_within's), that query, whether did already has its
     * verdict, and the pair term that settles a phrase of two characters (or NULL). */
    bool sweepable() const { return ordered_; }
    Xapian::Query positions_query() const
    {
        std::vector<Xapian::Query> slots;
        for (const std::vector<std::string> &slot : slots_)
            slots.push_back(slot.size() == 1
                                ? Xapian::Query(slot[0])
                                : Xapian::Query(Xapian::Query::OP_OR, slot.begin(), slot.end()));
        return Xapian::Query(Xapian::Query::OP_PHRASE, slots.begin(), slots.end(), window_);
    }
    bool verdict_known(Xapian::docid did) const
    {
        return seen_ && did < seen_->size() && (*seen_)[did] != 0;
    }
    const std::string *pair_term() const { return pair_open_ ? &text_ : nullptr; }
    /* A phrase of two Chinese characters: its pair term settles most documents (has_pair). */
    bool settled_by_pair() const { return plain_ && slots_.size() == 2; }

    /* Index-position verdicts made in one pass for the documents of asked (bits by docid of
     * db_): held marks those whose index positions hold the phrase. holds() then takes them
     * instead of looking each document's positions up. */
    void take_index_verdicts(std::vector<uint64_t> asked, std::vector<uint64_t> held)
    {
        asked_ = std::move(asked);
        held_ = std::move(held);
    }

    /* Whether a document holds the phrase: document did of db (a single shard's), or doc. */
    bool holds(const Xapian::Database &db, Xapian::docid did, const Xapian::Document *doc)
    {
        /* The counting pass asks about every candidate: the title's and number's positions
         * (a look-up per slot) settle a phrase held there before the document's data is read
         * and inflated (several times the cost); a phrase common enough to be broad is
         * usually in titles (的通知). The decider's document has its data at hand. */
        if (!doc && index_positions_hold(db, did))
            return true;
        std::string data = doc ? doc->get_data() : db.get_document(did).get_data();
        size_t from = 0, bytes = 0;
        bool have_body = folded_body_at(data, &from, &bytes);
        if (plain_ && have_body) {
            found in_body = plain_in_text(data.data() + from, bytes);
            if (in_body == found::EXACT)
                return true;
            if (doc && index_positions_match(*doc))
                return true;
            if (in_body == found::NONE)
                return false;
            return body_positions_match(data.substr(from, bytes));
        }
        if (doc && index_positions_match(*doc))
            return true;
        if (!have_body)
            return false;
        if (exact_ && han_[0] != 0) {
            found in_body = mixed_in_text(data.data() + from, bytes);
            if (in_body != found::UNSURE)
                return in_body == found::EXACT;
        }
        std::string folded(data, from, bytes);
        if (exact_) {
            found in_body = in_text(folded);
            if (in_body != found::UNSURE)
                return in_body == found::EXACT;
        }
        return body_positions_match(folded);
    }

  private:
    /* index_positions_match, or the verdict take_index_verdicts gave for did. */
    bool index_positions_hold(const Xapian::Database &db, Xapian::docid did)
    {
        size_t w = did >> 6;
        uint64_t bit = 1ull << (did & 63);
        if (w < asked_.size() && (asked_[w] & bit))
            return (held_[w] & bit) != 0;
        return index_positions_match(db, did);
    }

    std::vector<std::vector<std::string>> slots_;
    Xapian::termcount window_;
    bool ordered_;
    bool holders_; /* lists the candidates that hold the phrase, not those that miss it */
    phrase_verdicts *verdicts_;                 /* the handle's, or NULL */
    std::shared_ptr<std::vector<uint8_t>> seen_; /* this phrase's on db_'s revision */
    bool exact_;                /* an exact phrase (in a row) of single terms */
    bool plain_;                /* ... of Chinese characters only */
    std::string text_;          /* ... and then its characters, as written */
    std::vector<uint32_t> han_; /* each slot's Chinese character, or 0 */
    Xapian::TermGenerator termgen_;
    Xapian::Database db_;
    std::vector<Xapian::PostingIterator> lists_, ends_;
    bool pair_open_ = false;
    Xapian::PostingIterator pair_, pair_end_;
    std::vector<uint64_t> asked_, held_; /* take_index_verdicts' */
    Xapian::doccount most_ = 0, docs_ = 0;
    Xapian::docid did_ = 0;
    bool started_ = false, done_ = false;
};

/*
 * The ranked pass checks the phrases that every match must hold (those not under OR, NOT or
 * the like) as a match decider instead: Xapian asks it only about documents that would
 * enter the page of hits, as it checked positions only then, where phrase_source would be
 * asked about every candidate. The counting pass, which visits every match anyway, keeps
 * phrase_source.
 */
struct phrase_spec {
    std::vector<std::vector<std::string>> slots;
    Xapian::termcount window;
    bool ordered;
};

class phrase_decider : public Xapian::MatchDecider {
  public:
    explicit phrase_decider(const std::vector<phrase_spec> &specs)
    {
        for (const phrase_spec &p : specs)
            checks_.emplace_back(new phrase_source(p.slots, p.window, p.ordered));
    }
    bool operator()(const Xapian::Document &doc) const override
    {
        for (const std::unique_ptr<phrase_source> &check : checks_)
            if (!check->holds(Xapian::Database(), 0, &doc))
                return false;
        return true;
    }

  private:
    std::vector<std::unique_ptr<phrase_source>> checks_;
};

/* The window of a PHRASE or NEAR query, which Xapian 1.4 shows only in its description. */
Xapian::termcount window_of(const Xapian::Query &q, const char *op)
{
    std::string d = q.get_description();
    std::string key = std::string(" ") + op + " ";
    size_t at = d.find(key);
    if (at == std::string::npos)
        fail(DG_ERR_INTERNAL, "cannot read the window of " + d);
    return (Xapian::termcount)strtoul(d.c_str() + at + key.size(), NULL, 10);
}

/* A slot of a phrase: its term, or the terms of an OR of terms. */
std::vector<std::string> slot_terms(const Xapian::Query &q)
{
    std::vector<std::string> terms;
    Xapian::Query::op type = q.get_type();
    if (type == Xapian::Query::LEAF_TERM || type == Xapian::Query::OP_OR ||
        type == Xapian::Query::OP_SYNONYM)
        for (Xapian::TermIterator t = q.get_unique_terms_begin(); t != q.get_unique_terms_end();
             ++t)
            terms.push_back(*t);
    if (terms.empty() || (type != Xapian::Query::LEAF_TERM &&
                          q.get_num_subqueries() != terms.size()))
        fail(DG_ERR_INTERNAL, "a phrase over " + q.get_description() + " is not supported");
    return terms;
}

/*
 * The query with every phrase or NEAR over Chinese unigrams matched by phrase_source; or,
 * given required (for the ranked pass), those that every match must hold (top: q itself
 * is one) become the AND of their terms alone, their checks going to required. holders
 * (for the counting pass, where weights and percentages play no part) makes each phrase
 * FILTER(AND of its terms, a source of the documents that hold it) instead of the AND_NOT
 * of those that miss it: an AND asks its last operand to check() only the documents every
 * other operand holds (a year, the viewer's filter), where AND_NOT skips its right side to
 * each match of the left and the source checked every candidate on the way (all records of
 * "年度考核", to count those of 2019 among them).
 */
Xapian::Query positionless_phrases(const Xapian::Query &q, std::vector<phrase_spec> *required,
                                   bool top, bool holders = false)
{
    Xapian::Query::op type = q.get_type();
    size_t n = q.get_num_subqueries();
    if (n == 0)
        return q;
    std::vector<Xapian::Query> subs;
    for (size_t i = 0; i < n; i++)
        subs.push_back(q.get_subquery(i));
    if (type == Xapian::Query::OP_PHRASE || type == Xapian::Query::OP_NEAR) {
        std::vector<std::vector<std::string>> slots;
        bool han = false;
        for (const Xapian::Query &s : subs) {
            slots.push_back(slot_terms(s));
            for (const std::string &term : slots.back())
                han = han || is_han_unigram(term);
        }
        if (!han)
            return q;
        bool ordered = type == Xapian::Query::OP_PHRASE;
        Xapian::termcount window = window_of(q, ordered ? "PHRASE" : "NEAR");
        Xapian::Query all(Xapian::Query::OP_AND, subs.begin(), subs.end());
        if (required && top) {
            required->push_back({std::move(slots), window, ordered});
            return all;
        }
        if (holders) {
            Xapian::Query hold(
                (new phrase_source(std::move(slots), window, ordered, true))->release());
            return Xapian::Query(Xapian::Query::OP_FILTER, all, hold);
        }
        Xapian::Query misses((new phrase_source(std::move(slots), window, ordered))->release());
        return Xapian::Query(Xapian::Query::OP_AND_NOT, all, misses);
    }
    bool changed = false;
    for (size_t i = 0; i < subs.size(); i++) {
        Xapian::Query &s = subs[i];
        /* required by q: every operand of AND, the first of FILTER, AND_NOT, AND_MAYBE */
        bool needed = top && (type == Xapian::Query::OP_AND ||
                              (i == 0 && (type == Xapian::Query::OP_FILTER ||
                                          type == Xapian::Query::OP_AND_NOT ||
                                          type == Xapian::Query::OP_AND_MAYBE)));
        Xapian::Query r = positionless_phrases(s, required, needed, holders);
        changed = changed || r.get_description() != s.get_description();
        s = r;
    }
    if (!changed)
        return q;
    switch (type) {
    case Xapian::Query::OP_AND: case Xapian::Query::OP_OR: case Xapian::Query::OP_AND_NOT:
    case Xapian::Query::OP_XOR: case Xapian::Query::OP_AND_MAYBE: case Xapian::Query::OP_FILTER:
    case Xapian::Query::OP_SYNONYM: case Xapian::Query::OP_MAX:
        return Xapian::Query(type, subs.begin(), subs.end());
    default:
        fail(DG_ERR_INTERNAL, "a phrase inside " + q.get_description() + " is not supported");
    }
    return q;
}

/*
 * Whether term is a bigram of Chinese characters as the term generator makes it from the
 * fields a user's query reads (FLAG_CJK_NGRAM; unprefixed, or the title's S): two CJK word
 * characters after that prefix. Then *first and *second are the unigram terms of its two
 * characters, with the same prefix. (Filter terms such as XTYPE<value> are made whole, not by
 * the term generator, and are not asked about.)
 */
bool cjk_bigram(const std::string &term, std::string *first, std::string *second)
{
    size_t prefix = term.compare(0, 1, "S") == 0 ? 1 : 0;
    std::vector<utf8_char> cs = utf8_decode(term.substr(prefix));
    if (cs.size() != 2)
        return false;
    for (const utf8_char &c : cs)
        if (c.cp < 0x80 || !is_cjk(c.cp) || !Xapian::Unicode::is_wordchar(c.cp))
            return false;
    *first = term.substr(0, prefix + cs[1].at);
    *second = term.substr(0, prefix) + term.substr(prefix + cs[1].at);
    return true;
}

/*
 * q with every unigram term that a bigram term beside it under the same AND (or FILTER)
 * implies left out, for an unweighted match (counting): the term generator makes the
 * unigrams of both characters of every bigram it makes (CJK n-grams: 资, 资产, 产), with the
 * same prefix, so a document holding 资产 holds 资 and 产, and AND(资, 资产, 产) matches what
 * 资产 alone does. A quoted phrase's unigrams have no bigram beside them and stay. The
 * counting pass then steps through fewer posting lists for each candidate ("资产 清查 2022
 * training": eight to four).
 */
Xapian::Query without_implied_unigrams(const Xapian::Query &q)
{
    Xapian::Query::op type = q.get_type();
    switch (type) {
    case Xapian::Query::OP_AND: case Xapian::Query::OP_OR: case Xapian::Query::OP_AND_NOT:
    case Xapian::Query::OP_XOR: case Xapian::Query::OP_AND_MAYBE: case Xapian::Query::OP_FILTER:
    case Xapian::Query::OP_SYNONYM: case Xapian::Query::OP_MAX:
        break;
    default: /* a term, or an operator with a parameter (phrases, scaled weights): as it is */
        return q;
    }
    std::vector<Xapian::Query> subs;
    bool changed = false;
    for (size_t i = 0; i < q.get_num_subqueries(); i++) {
        Xapian::Query s = without_implied_unigrams(q.get_subquery(i));
        changed = changed || s.get_description() != q.get_subquery(i).get_description();
        subs.push_back(s);
    }
    if (type == Xapian::Query::OP_AND || type == Xapian::Query::OP_FILTER) {
        std::set<std::string> implied;
        for (const Xapian::Query &s : subs) {
            std::string first, second;
            if (s.get_type() == Xapian::Query::LEAF_TERM &&
                cjk_bigram(*s.get_terms_begin(), &first, &second))
                implied.insert({first, second});
        }
        std::vector<Xapian::Query> kept;
        for (const Xapian::Query &s : subs)
            if (s.get_type() != Xapian::Query::LEAF_TERM || !implied.count(*s.get_terms_begin()))
                kept.push_back(s);
        changed = changed || kept.size() != subs.size();
        subs.swap(kept);
    }
    if (!changed)
        return q;
    if (subs.size() == 1 && (type == Xapian::Query::OP_AND || type == Xapian::Query::OP_FILTER))
        return subs[0];
    return Xapian::Query(type, subs.begin(), subs.end());
}

/* Query::unserialise's registry, which knows phrase_source (whose sources of holders then
 * keep their verdicts in verdicts, when given). */
Xapian::Registry query_registry(phrase_verdicts *verdicts = nullptr)
{
    Xapian::Registry registry;
    phrase_source prototype({}, 0, true, false, verdicts);
    registry.register_posting_source(prototype);
    return registry;
}

/* A user's query: what matches (match: totals and facets are counted on it alone) and how
 * the matches rank (ranked: match with the as-typed boost). */
struct user_query {
    Xapian::Query match, ranked;
    /* ranked with the phrases that every match holds left to a phrase_decider (ranked_checks):
     * used when sorting by relevance. (Sorted by date, Xapian scales percentages by the best
     * weight among all the candidates it saw, those a decider refused included.) */
    Xapian::Query ranked_decided;
    std::vector<phrase_spec> ranked_checks;
    /* match with each phrase as the documents that hold it (positionless_phrases' holders):
     * the same documents, counted for totals and facets without a weight */
    Xapian::Query counted;
    /* Its phrases and NEARs, each as its slots' terms, whose positions a search may read in
     * the documents that hold a term of every slot; and the pair term of each phrase of two
     * terms (phrase_source reads it): see grant_needs. */
    std::vector<std::vector<std::vector<std::string>>> phrases;
    std::set<std::string> pairs;
};

/* Fills user_query's phrases and pairs from the parsed query. */
void phrase_terms(const Xapian::Query &q,
                  std::vector<std::vector<std::vector<std::string>>> &phrases,
                  std::set<std::string> &pairs)
{
    Xapian::Query::op type = q.get_type();
    if (type == Xapian::Query::OP_PHRASE || type == Xapian::Query::OP_NEAR) {
        std::vector<std::vector<std::string>> slots;
        for (size_t i = 0; i < q.get_num_subqueries(); i++) {
            const Xapian::Query s = q.get_subquery(i);
            slots.emplace_back(s.get_unique_terms_begin(), s.get_unique_terms_end());
        }
        phrases.push_back(std::move(slots));
        if (q.get_num_subqueries() == 2 &&
            q.get_subquery(0).get_type() == Xapian::Query::LEAF_TERM &&
            q.get_subquery(1).get_type() == Xapian::Query::LEAF_TERM)
            pairs.insert(*q.get_subquery(0).get_terms_begin() +
                         *q.get_subquery(1).get_terms_begin());
        return;
    }
    for (size_t i = 0; i < q.get_num_subqueries(); i++)
        phrase_terms(q.get_subquery(i), phrases, pairs);
}

user_query parse_user_query(dg_index *index, const char *text)
{
    if (!text)
        return {match_all(), match_all(), match_all(), {}, match_all(), {}, {}};
    size_t bytes = strlen(text);
    if (bytes > DG_INDEX_MAX_QUERY_BYTES)
        fail(DG_ERR_QUERY, "query too long: " + std::to_string(bytes) + " bytes (at most " +
                               std::to_string(DG_INDEX_MAX_QUERY_BYTES) +
                               "); search for fewer words");
    std::string folded = fold_text(index, rewrite_code_tokens(text));
    if (folded.find_first_not_of(" ") == std::string::npos)
        return {match_all(), match_all(), match_all(), {}, match_all(), {}, {}};
    validate_query(folded);
    expanded_query expanded = expand_query(index, folded);
    Xapian::Query parsed = index->parser.parse_query(
        expanded.text, Xapian::QueryParser::FLAG_DEFAULT | Xapian::QueryParser::FLAG_CJK_NGRAM);
    /* Counting repeats: "w OR w OR ..." costs as much as as many different words. */
    if (parsed.get_length() > DG_INDEX_MAX_QUERY_TERMS)
        fail(DG_ERR_QUERY, "query too long: more than " +
                               std::to_string(DG_INDEX_MAX_QUERY_TERMS) +
                               " words and characters; search for fewer words");
    user_query user;
    phrase_terms(parsed, user.phrases, user.pairs);
    user.match = positionless_phrases(parsed, NULL, true);
    user.counted = without_implied_unigrams(positionless_phrases(parsed, NULL, true, true));
    user.ranked = user.match;
    user.ranked_decided = positionless_phrases(parsed, &user.ranked_checks, true);
    if (!expanded.runs.empty()) {
        Xapian::Query boost = as_typed_boost(expanded.runs);
        user.ranked = Xapian::Query(Xapian::Query::OP_AND_MAYBE, user.ranked, boost);
        user.ranked_decided =
            Xapian::Query(Xapian::Query::OP_AND_MAYBE, user.ranked_decided, boost);
    }
    return user;
}

/* ---- filters ---------------------------------------------------------------------------- */

/*
 * The clearance filter, the rule of index.h, restricted to current versions unless
 * all_versions: the viewer's one visibility term, or a grant on a level-4 document.
 */
Xapian::Query permission_filter(const dg_index_viewer *viewer, bool all_versions)
{
    Xapian::Query visible(visible_term(viewer->clearance, !all_versions));
    if (viewer->clearance == 4)
        return visible;
    Xapian::Query granted(grant_term(viewer->user_id));
    if (!all_versions)
        granted = Xapian::Query(Xapian::Query::OP_AND, granted, Xapian::Query(CURRENT_TERM));
    return Xapian::Query(Xapian::Query::OP_OR, visible, granted);
}

/* Years are few: the range becomes an OR of the year terms the viewer's documents hold
 * (view_years, in term order). */
Xapian::Query year_filter(const std::set<std::string> &held, int from, int to)
{
    std::vector<Xapian::Query> years;
    const std::string prefix = "XYEAR";
    for (const std::string &t : held) {
        int year = atoi(t.c_str() + prefix.size());
        if ((from == 0 || year >= from) && (to == 0 || year <= to))
            years.emplace_back(t);
    }
    if (years.empty())
        return Xapian::Query::MatchNothing;
    return Xapian::Query(Xapian::Query::OP_OR, years.begin(), years.end());
}

Xapian::Query all_filters(const std::set<std::string> &years, const dg_index_viewer *viewer,
                          const dg_index_query *q)
{
    std::vector<Xapian::Query> parts;
    parts.push_back(permission_filter(viewer, q->all_versions != 0));
    if (q->category)
        parts.emplace_back(std::string("XCAT") + q->category);
    if (q->record_type)
        parts.emplace_back(std::string("XTYPE") + q->record_type);
    if (q->period)
        parts.emplace_back(std::string("XPERIOD") + q->period);
    if (q->level >= 0)
        parts.emplace_back(level_term(q->level));
    if (q->year_from != 0 || q->year_to != 0)
        parts.push_back(year_filter(years, q->year_from, q->year_to));
    Xapian::Query filter(Xapian::Query::OP_AND, parts.begin(), parts.end());
    if (q->n_exclude_records == 0)
        return filter;
    std::vector<Xapian::Query> gone;
    for (size_t i = 0; i < q->n_exclude_records; i++)
        gone.emplace_back(record_term(q->exclude_records[i]));
    return Xapian::Query(Xapian::Query::OP_AND_NOT, filter,
                         Xapian::Query(Xapian::Query::OP_OR, gone.begin(), gone.end()));
}

void validate_search(const dg_index_viewer *viewer, const dg_index_query *q)
{
    if (viewer->clearance < 0 || viewer->clearance > 4)
        fail(DG_ERR_USAGE, "clearance " + std::to_string(viewer->clearance) + " is not 0..4");
    if (q->level < -1 || q->level > 4)
        fail(DG_ERR_USAGE, "level filter " + std::to_string(q->level) + " is not -1..4");
    check_filter_value("category", q->category);
    check_filter_value("record type", q->record_type);
    check_filter_value("period", q->period);
    if (q->sort != DG_SORT_RELEVANCE && q->sort != DG_SORT_DATE_DESC &&
        q->sort != DG_SORT_DATE_ASC)
        fail(DG_ERR_USAGE, "unknown sort order");
}

/* ---- snippets --------------------------------------------------------------------------- */

/*
 * A snippet is cut from the hit's own stored text (document data: the original body and its
 * folded form), with the query's words marked the way the index split them. Nothing is
 * re-indexed or re-fetched per hit: the query's terms are collected once per search, a body
 * word is stemmed at most once per search (snippet_matcher remembers the answer; bodies
 * repeat their words, and stemming every English word of every hit was a quarter of a
 * search's CPU), and a body is marked only as far as its snippet reaches.
 */

/* The words of a query, as the snippet code compares them with folded body words. */
struct highlight_terms {
    std::unordered_set<std::string> words; /* unprefixed and "Z"-stemmed terms */
    bool any_stemmed = false;              /* whether words holds a "Z" term */
    std::unordered_set<uint64_t> cjk_bigrams; /* two CJK characters: first << 32 | second */
    std::unordered_set<uint32_t> cjk_singles; /* one-character CJK words of the query */
    std::unordered_set<uint32_t> cjk_starts;  /* single or first of a bigram: worth a look */
};

/* Removes a field prefix (S, XNO, ...) from a term, keeping a leading Z (stemmed form). */
std::string strip_prefix(const std::string &term)
{
    bool stemmed = !term.empty() && term[0] == 'Z';
    std::string rest = stemmed ? term.substr(1) : term;
    for (const field_prefix &f : FIELD_PREFIXES) {
        size_t n = strlen(f.term_prefix);
        if (rest.compare(0, n, f.term_prefix) == 0) {
            rest = rest.substr(n);
            break;
        }
    }
    return stemmed ? "Z" + rest : rest;
}

uint64_t bigram_key(uint32_t a, uint32_t b) { return (uint64_t)a << 32 | b; }

highlight_terms collect_highlight_terms(const Xapian::Query &query)
{
    highlight_terms h;
    std::vector<uint32_t> unigrams;
    for (Xapian::TermIterator t = query.get_unique_terms_begin(); t != query.get_unique_terms_end();
         ++t) {
        std::string term = strip_prefix(*t);
        std::vector<utf8_char> cs = utf8_decode(term);
        if (cs.size() == 2 && is_cjk(cs[0].cp) && is_cjk(cs[1].cp)) {
            h.cjk_bigrams.insert(bigram_key(cs[0].cp, cs[1].cp));
            h.cjk_starts.insert(cs[0].cp);
        } else if (cs.size() == 1 && is_cjk(cs[0].cp)) {
            unigrams.push_back(cs[0].cp);
        } else {
            h.words.insert(term);
            h.any_stemmed = h.any_stemmed || term[0] == 'Z';
        }
    }
    /* A CJK character that is part of a bigram of the query was one of a longer word. */
    for (uint32_t cp : unigrams) {
        bool in_bigram = false;
        for (uint64_t bg : h.cjk_bigrams)
            if ((uint32_t)(bg >> 32) == cp || (uint32_t)bg == cp)
                in_bigram = true;
        if (!in_bigram) {
            h.cjk_singles.insert(cp);
            h.cjk_starts.insert(cp);
        }
    }
    return h;
}

bool is_word_char(uint32_t cp) { return Xapian::Unicode::is_wordchar(cp); }

/*
 * Decides for one search which body words are words of the query; shared by all its hits.
 * seen remembers each lower-cased word's answer, so each distinct word is stemmed once.
 */
struct snippet_matcher {
    const highlight_terms &h;
    const Xapian::Stem &stemmer;
    std::unordered_map<std::string, bool> seen;
    /* Scratch, reused from hit to hit. */
    std::string word;
    std::vector<utf8_char> folded_chars, body_chars;
    std::vector<char> mark;

    snippet_matcher(const highlight_terms &terms, const Xapian::Stem &stem)
        : h(terms), stemmer(stem) {}
    /* It keeps references: a temporary would be gone before the first hit is marked. */
    snippet_matcher(highlight_terms &&, const Xapian::Stem &) = delete;
    snippet_matcher(const highlight_terms &, Xapian::Stem &&) = delete;

    bool is_query_word(const std::string &lower)
    {
        auto found = seen.find(lower);
        if (found != seen.end())
            return found->second;
        bool yes = h.words.count(lower) || (h.any_stemmed && h.words.count("Z" + stemmer(lower)));
        seen.emplace(lower, yes);
        return yes;
    }
};

/* Marks the CJK run [from, to) of folded text wherever the query's words occur. */
void mark_cjk_run(const std::vector<utf8_char> &text, size_t from, size_t to,
                  const highlight_terms &h, std::vector<char> &mark)
{
    for (size_t i = from; i < to; i++) {
        uint32_t cp = text[i].cp;
        if (!h.cjk_starts.count(cp))
            continue;
        if (h.cjk_singles.count(cp))
            mark[i] = 1;
        if (i + 1 < to && h.cjk_bigrams.count(bigram_key(cp, text[i + 1].cp)))
            mark[i] = mark[i + 1] = 1;
    }
}

void mark_word(const std::vector<utf8_char> &text, size_t from, size_t to,
               snippet_matcher &m, std::vector<char> &mark)
{
    m.word.clear();
    for (size_t i = from; i < to; i++)
        utf8_append(m.word, Xapian::Unicode::tolower(text[i].cp));
    if (m.is_query_word(m.word))
        for (size_t i = from; i < to; i++)
            mark[i] = 1;
}

/*
 * The characters [start, end) of n a snippet shows when its first match is at first (n when
 * there is none): from a little before the first match, or a full window near the end.
 */
struct snippet_window {
    size_t start, end;
};

snippet_window window_of(size_t first, size_t n)
{
    size_t start = first < n && first > SNIPPET_LEAD ? first - SNIPPET_LEAD : 0;
    /* Near the end of the text, show a full window rather than a short tail. */
    if (start > 0 && start + SNIPPET_CHARS > n)
        start = n > SNIPPET_CHARS ? n - SNIPPET_CHARS : 0;
    return {start, start + SNIPPET_CHARS < n ? start + SNIPPET_CHARS : n};
}

/*
 * Which characters of the folded text are words of the query, the way Xapian split them,
 * into mark (one per character). Returns the snippet's window: marking stops past its end,
 * since nothing later is shown (a text without a match is marked to its end).
 */
snippet_window mark_matches(const std::vector<utf8_char> &text, snippet_matcher &m,
                            std::vector<char> &mark)
{
    const highlight_terms &h = m.h;
    bool words = !h.words.empty(), cjk = !h.cjk_starts.empty();
    size_t n = text.size(), first = n, stop = n;
    mark.assign(n, 0);
    size_t i = 0;
    while (i < stop) {
        uint32_t cp = text[i].cp;
        if (!is_word_char(cp)) {
            i++;
            continue;
        }
        bool run_cjk = is_cjk(cp);
        size_t j = i;
        while (j < n && is_word_char(text[j].cp) && is_cjk(text[j].cp) == run_cjk)
            j++;
        if (run_cjk && cjk)
            mark_cjk_run(text, i, j, h, mark);
        else if (!run_cjk && words)
            mark_word(text, i, j, m, mark);
        for (size_t k = i; first == n && k < j; k++)
            if (mark[k]) {
                first = k;
                stop = window_of(first, n).end;
            }
        i = j;
    }
    return window_of(first, n);
}

/*
 * Cuts the window of display text, wraps marked runs in hl_start/hl_end and folds runs of
 * white space (OCR line breaks) into one space. Works on whole characters, so it never
 * splits a code point; the bytes of consecutive plain characters are copied in one piece.
 */
std::string render_snippet(const std::string &display, const std::vector<utf8_char> &chars,
                           size_t n, const std::vector<char> &mark, snippet_window w,
                           const char *hl_start, const char *hl_end)
{
    std::string out;
    out.reserve((w.end - w.start) * 3 + 16);
    if (w.start > 0)
        out += "…";
    const size_t none = (size_t)-1;
    size_t run = none; /* where the bytes not yet copied begin */
    auto copy_run = [&](size_t to) {
        if (run != none)
            out.append(display, run, to - run);
        run = none;
    };
    bool open = false, last_space = true;
    for (size_t i = w.start; i < w.end; i++) {
        const utf8_char &c = chars[i];
        if (mark[i] && !open) {
            copy_run(c.at);
            out += hl_start;
            open = true;
        } else if (!mark[i] && open) {
            copy_run(c.at);
            out += hl_end;
            open = false;
        }
        if (is_space(c.cp)) {
            copy_run(c.at);
            if (!last_space)
                out += ' ';
            last_space = true;
            continue;
        }
        last_space = false;
        if (c.cp == 0xFFFD && c.len == 1) {
            copy_run(c.at);
            utf8_append(out, 0xFFFD); /* an invalid byte: show the replacement character */
        } else if (run == none) {
            run = c.at;
        }
    }
    if (w.end > w.start)
        copy_run(chars[w.end - 1].at + chars[w.end - 1].len);
    if (open)
        out += hl_end;
    if (w.end < n)
        out += "…";
    return out;
}

/*
 * The snippet of one hit. Matching runs on the folded body; when folding kept the number
 * of characters (OpenCC t2s nearly always maps one to one) the marks are carried over to the
 * original text, so the reader sees their document's own script. Otherwise the folded text
 * is shown, which is still correct, only in simplified script.
 */
std::string make_snippet(snippet_matcher &m, const std::string &body, const std::string &folded,
                         const char *hl_start, const char *hl_end)
{
    if (body.empty())
        return body;
    utf8_decode_into(folded, m.folded_chars);
    size_t n = m.folded_chars.size();
    snippet_window w = mark_matches(m.folded_chars, m, m.mark);
    if (body == folded)
        return render_snippet(body, m.folded_chars, n, m.mark, w, hl_start, hl_end);
    /* Of the original only the characters up to the window's end are needed. */
    if (utf8_length(body) != n)
        return render_snippet(folded, m.folded_chars, n, m.mark, w, hl_start, hl_end);
    utf8_decode_into(body, m.body_chars, w.end);
    return render_snippet(body, m.body_chars, n, m.mark, w, hl_start, hl_end);
}

/* ---- results ---------------------------------------------------------------------------- */

char *copy_string(const std::string &s)
{
    char *out = (char *)malloc(s.size() + 1);
    if (!out)
        throw std::bad_alloc();
    memcpy(out, s.c_str(), s.size() + 1);
    return out;
}

/* Splits document data into its header fields, the original body and the folded body. */
void parse_data(const std::string &data, dg_index_hit *hit, std::string *body,
                std::string *folded)
{
    size_t pos = 0;
    std::string fields[6];
    for (int i = 0; i < 6; i++) {
        size_t nl = data.find('\n', pos);
        if (nl == std::string::npos)
            fail(DG_ERR_CORRUPT, "index document data is truncated");
        fields[i] = data.substr(pos, nl - pos);
        pos = nl + 1;
    }
    if (fields[0] != "dg2")
        fail(DG_ERR_CORRUPT, "index document data has unknown format '" + fields[0] + "'");
    hit->version_id = strtoll(fields[1].c_str(), NULL, 10);
    hit->record_id = strtoll(fields[2].c_str(), NULL, 10);
    hit->version_number = atoi(fields[3].c_str());
    hit->is_current = fields[4] == "1";
    size_t body_size = strtoull(fields[5].c_str(), NULL, 10);
    if (body_size > data.size() - pos)
        fail(DG_ERR_CORRUPT, "index document data is truncated");
    *body = data.substr(pos, body_size);
    *folded = pos + body_size < data.size() ? data.substr(pos + body_size) : *body;
}

/* When a search must stop, the budget that set it (for the message), and the caller's
 * flag that says nobody waits for the answer any more. */
struct search_deadline {
    std::chrono::steady_clock::time_point at;
    double seconds;
    const int *cancelled;
};

search_deadline deadline_in(double seconds, const int *cancelled)
{
    auto budget = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
        std::chrono::duration<double>(seconds));
    return {std::chrono::steady_clock::now() + budget, seconds, cancelled};
}

search_deadline deadline_of(const dg_index_query *q)
{
    return deadline_in(q->time_budget > 0 ? q->time_budget : DG_INDEX_SEARCH_SECONDS,
                       q->cancelled);
}

/*
 * Stops a match that has run past its deadline, or whose caller has gone. Xapian's
 * Enquire::set_time_limit only relaxes check_at_least and cannot end a match, so the spies
 * the match calls for every candidate look at the clock and the flag (every 256th call: a
 * clock read costs about 20 ns) and throw; the exception leaves get_mset and guarded()
 * turns it into DG_ERR_QUERY (over budget) or DG_ERR_BUSY (cancelled).
 */
class deadline_spy : public Xapian::MatchSpy {
  public:
    explicit deadline_spy(search_deadline deadline) : deadline_(deadline) {}

    void operator()(const Xapian::Document &, double) override { check(); }

    void check()
    {
        if ((++calls_ & 255) != 0)
            return;
        if (deadline_.cancelled && __atomic_load_n(deadline_.cancelled, __ATOMIC_RELAXED))
            fail(DG_ERR_BUSY, "stopped: nobody waits for this search any more");
        if (std::chrono::steady_clock::now() > deadline_.at) {
            char budget[32];
            snprintf(budget, sizeof budget, "%g", deadline_.seconds);
            fail(DG_ERR_QUERY, std::string("stopped after its time budget of ") + budget +
                                   " s: this search is too costly; narrow it (fewer words, "
                                   "or a category, year or level)");
        }
    }

  private:
    search_deadline deadline_;
    unsigned calls_ = 0;
};

/* Collects the ids of every matching document, for the total and the facet counts. */
class docid_spy : public Xapian::MatchSpy {
  public:
    explicit docid_spy(search_deadline deadline) : clock(deadline) {}

    std::vector<Xapian::docid> ids;

    void operator()(const Xapian::Document &doc, double) override
    {
        clock.check();
        ids.push_back(doc.get_docid());
    }

  private:
    deadline_spy clock;
};

/*
 * The ids of every document of db that query matches, in ascending order: an unweighted
 * match (BoolWeight, docid order) told to look at every candidate. Without weights to
 * compute this walk costs about half of the ranked match over the same documents (bench/search:
 * 4.4 ms against 12 ms with weights for a query matching 70,000 of 100,000 records).
 */
std::vector<Xapian::docid> matching_ids(Xapian::Database &db, const Xapian::Query &query,
                                        search_deadline deadline)
{
    Xapian::Enquire enquire(db);
    enquire.set_query(query);
    enquire.set_weighting_scheme(Xapian::BoolWeight());
    enquire.set_docid_order(Xapian::Enquire::ASCENDING);
    docid_spy matches(deadline);
    enquire.add_matchspy(&matches);
    Xapian::MSet counted = enquire.get_mset(0, 0, db.get_doccount());
    if (counted.get_matches_lower_bound() != counted.get_matches_upper_bound() ||
        counted.get_matches_lower_bound() != matches.ids.size())
        fail(DG_ERR_INTERNAL, "hit count is not exact");
    return std::move(matches.ids);
}

/* ---- what one viewer's search reads ------------------------------------------------------ */

/* Marks the shard of granted level-4 documents in search_view::levels. */
const int GRANT_SHARD = -1;

/*
 * The databases one viewer's search reads, combined with add_database(): the levels the
 * viewer's clearance opens (0..min(clearance, 3), and 4 for clearance 4), and for a viewer
 * below clearance 4 who holds grants, a shard of exactly the level-4 documents granted to
 * them (grant_shard). Xapian computes every statistic of the ranking (how many documents
 * hold a term, document lengths, the number of documents) over the combined database, so
 * over exactly the documents the viewer may see: a score cannot tell what a hidden record
 * holds. levels[i] is the level of shard i. make_view fills in the levels and the viewer's
 * granted documents; complete_view, once the search knows which terms it reads, adds the
 * grant shard and combines them in db.
 */
struct search_view {
    Xapian::Database db;
    std::vector<Xapian::Database> shards; /* each alone, for counting (shard_ids) */
    std::vector<int> levels;
    Xapian::Database level4;                     /* when granted is set */
    std::shared_ptr<const granted_docs> granted; /* a grant holder's, or NULL */
    /* Made with grants, not yet read (take_grants); the digest they are read as of. */
    bool grants_pending = false;
    std::string grants_digest;
    /* What the view reads, as of now: each level's revision, and the digest of the grant
     * holder's documents (grants_digest) when they are kept. */
    std::string stamp;
};

/*
 * What a grant holder's documents are: each granted level-4 document's id and stamp
 * (SLOT_STAMP), in posting order. It changes when one of their granted documents, or their
 * grants, change, and only then: documents kept per level-4 revision would be read again
 * after anyone's level-4 change, and the time that takes would tell a grant holder that some
 * level-4 record they may not see was filed, changed or destroyed. Reading it costs the same
 * whatever happened to other level-4 records.
 */
std::string grants_digest(Xapian::Database &level4, const std::string &term)
{
    std::string digest;
    /* The stamps are read in docid order from the value stream, as the postings come: a
     * document fetched per grant cost a B-tree descent each, on every search. */
    Xapian::ValueIterator stamp = level4.valuestream_begin(SLOT_STAMP);
    const Xapian::ValueIterator no_stamp = level4.valuestream_end(SLOT_STAMP);
    for (Xapian::PostingIterator p = level4.postlist_begin(term); p != level4.postlist_end(term);
         ++p) {
        if (stamp != no_stamp)
            stamp.skip_to(*p);
        bool has = stamp != no_stamp && stamp.get_docid() == *p;
        digest += std::to_string(*p) + ":" + (has ? *stamp : std::string()) + ",";
    }
    return digest;
}

size_t granted_doc::lower(const std::string &t) const
{
    size_t lo = 0, hi = ends.size();
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        uint32_t from = mid ? ends[mid - 1] : 0;
        if (terms.compare(from, ends[mid] - from, t) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

long long granted_doc::wdf_of(const std::string &t) const
{
    size_t i = lower(t);
    return i < ends.size() && term(i) == t ? (long long)wdfs[i] : -1;
}

/* The values a search reads: for sorting (configure_sort) and facets (count_with_values). */
const Xapian::valueno SHARD_SLOTS[] = {SLOT_FACETS, SLOT_DATE, SLOT_VERSION};

/* One granted document as grant_shard needs it: all but its positions and other values. */
granted_doc read_granted(Xapian::Database &level4, Xapian::docid id)
{
    granted_doc g;
    g.id = id;
    g.length = level4.get_doclength(id);
    Xapian::Document doc = level4.get_document(id);
    g.data = doc.get_data();
    for (Xapian::valueno slot : SHARD_SLOTS) {
        std::string value = doc.get_value(slot);
        if (!value.empty())
            g.values.emplace_back(slot, std::move(value));
    }
    for (Xapian::TermIterator t = level4.termlist_begin(id); t != level4.termlist_end(id); ++t) {
        const std::string term = *t;
        g.terms += term;
        g.ends.push_back((uint32_t)g.terms.size());
        g.wdfs.push_back(t.get_wdf());
    }
    return g;
}

/*
 * The level-4 documents granted to user_id, read from level 4's database (without their
 * positions), or NULL when there are none. A read-only handle keeps them while their digest
 * holds (cache_ok); copies counts the reads made (dg_index_grant_copies). What a read costs
 * depends on the granted documents alone.
 */
std::shared_ptr<const granted_docs> granted_documents(Xapian::Database &level4, int64_t user_id,
                                                      grant_cache &cache, bool cache_ok,
                                                      std::atomic<uint64_t> &copies,
                                                      const std::string &digest)
{
    const std::string term = grant_term(user_id);
    std::unique_lock<std::mutex> hold(cache.lock, std::defer_lock);
    if (cache_ok) {
        hold.lock();
        auto found = cache.users.find(user_id);
        if (found != cache.users.end() && found->second->digest == digest)
            return found->second->docs.empty() ? nullptr : found->second;
    }
    auto g = std::make_shared<granted_docs>();
    g->digest = digest;
    for (Xapian::PostingIterator p = level4.postlist_begin(term); p != level4.postlist_end(term);
         ++p) {
        g->docs.push_back(read_granted(level4, *p));
        const granted_doc &d = g->docs.back();
        g->bytes += sizeof d + d.data.size() + d.terms.size() +
                    d.ends.size() * (sizeof(uint32_t) + sizeof(Xapian::termcount));
        for (const auto &v : d.values)
            g->bytes += sizeof v + v.second.size();
    }
    ++copies;
    if (cache_ok) {
        auto found = cache.users.find(user_id);
        if (found != cache.users.end()) {
            cache.bytes -= found->second->bytes;
            cache.users.erase(found);
        }
        /* a cheap bound: the next searches read their grants again */
        if (cache.users.size() >= GRANT_CACHE_USERS || cache.bytes + g->bytes > GRANT_CACHE_BYTES) {
            cache.users.clear();
            cache.bytes = 0;
        }
        cache.users[user_id] = g;
        cache.bytes += g->bytes;
    }
    return g->docs.empty() ? nullptr : g;
}

/*
 * The terms a search reads: those of its queries (filters included; posting sources read
 * only terms their queries also hold, and a two-character phrase's pair, see phrase_source),
 * and the phrases and NEARs whose positions it reads: only in a document that holds a term of
 * each of their slots (Xapian's phrase check, phrase_source's and phrase_decider's are asked
 * about no other; phrase_source's walk of every document finds none of a slot's positions in
 * one that lacks it, with or without them). A grant holder's shard needs nothing else.
 */
struct grant_needs {
    std::vector<std::string> terms;                      /* sorted, distinct */
    std::vector<std::vector<std::vector<size_t>>> phrases; /* slots of indexes into terms */
};

/*
 * The shard of a grant holder's documents for one search: an in-memory database of each
 * granted document with the terms the search reads (needs), their within-document
 * frequencies and, where it reads them, positions, its data and values, and in LENGTH_TERM
 * the rest of its length (no query reads that term), so that every statistic of every term
 * the search reads, and every document length, is what a copy of the whole documents would
 * give: scores are those of a search over exactly the visible documents. Copying whole
 * documents cost 0.1-0.4 s for 200 grants (reading every term's positions, and InMemory's
 * add_document of every term); this copies a handful of terms a document. Its cost depends on
 * the granted documents and the query, never on level 4's other documents: every read is of a
 * granted document (its positions of a needed term), none of a term's posting list.
 */
Xapian::Database grant_shard(const granted_docs &g, Xapian::Database &level4,
                             const grant_needs &needs)
{
    Xapian::WritableDatabase copy(std::string(), Xapian::DB_BACKEND_INMEMORY);
    for (const granted_doc &d : g.docs) {
        Xapian::Document doc;
        doc.set_data(d.data);
        for (const auto &v : d.values)
            doc.add_value(v.first, v.second);
        Xapian::termcount held = 0;
        std::vector<long long> wdfs(needs.terms.size(), -1);
        for (size_t i = 0; i < needs.terms.size(); i++) {
            const std::string &term = needs.terms[i];
            if (!term.empty() && term != LENGTH_TERM)
                wdfs[i] = d.wdf_of(term);
        }
        std::vector<bool> positions(needs.terms.size(), false);
        for (const std::vector<std::vector<size_t>> &phrase : needs.phrases) {
            bool candidate = true;
            for (const std::vector<size_t> &slot : phrase)
                candidate = candidate && std::any_of(slot.begin(), slot.end(),
                                                     [&wdfs](size_t i) { return wdfs[i] >= 0; });
            for (const std::vector<size_t> &slot : phrase)
                for (size_t i : slot)
                    positions[i] = positions[i] || (candidate && wdfs[i] >= 0);
        }
        for (size_t i = 0; i < needs.terms.size(); i++) {
            if (wdfs[i] < 0)
                continue;
            const std::string &term = needs.terms[i];
            doc.add_term(term, (Xapian::termcount)wdfs[i]);
            held += (Xapian::termcount)wdfs[i];
            if (!positions[i])
                continue;
            for (Xapian::PositionIterator p = level4.positionlist_begin(d.id, term);
                 p != level4.positionlist_end(d.id, term); ++p)
                doc.add_posting(term, *p, 0);
        }
        /* The rest of its length, and a position (which nothing reads): Xapian 1.4 matches a
         * phrase under a filter in every document of a shard that holds no positions at all
         * (those holding none of its terms included), as a copy of the whole documents, with
         * their titles' positions, never was. */
        doc.add_term(LENGTH_TERM, d.length > held ? d.length - held : 0);
        doc.add_posting(LENGTH_TERM, 1, 0);
        copy.add_document(doc);
    }
    return copy;
}

/* The levels whose databases a viewer's search reads, as a bit set: those their clearance
 * opens, and level 4 always (a viewer below clearance 4 may hold grants there). The others
 * are not even reopened for their search. */
const unsigned ALL_LEVELS = (1u << N_LEVELS) - 1;

unsigned read_levels(const dg_index_viewer *viewer)
{
    int top = viewer->clearance < 3 ? viewer->clearance : 3;
    return ((1u << (top + 1)) - 1) | 1u << 4;
}

search_view make_view(Xapian::Database *levels, const dg_index_viewer *viewer, bool cache_ok,
                      bool with_grants = true)
{
    search_view view;
    int top = viewer->clearance < 3 ? viewer->clearance : 3;
    for (int level = 0; level <= top; level++) {
        view.shards.push_back(levels[level]);
        view.levels.push_back(level);
        view.stamp += std::to_string(levels[level].get_revision()) + ",";
    }
    if (viewer->clearance == 4) {
        view.shards.push_back(levels[4]);
        view.levels.push_back(4);
        view.stamp += std::to_string(levels[4].get_revision()) + ",";
    } else if (with_grants) {
        view.grants_digest = cache_ok ? grants_digest(levels[4], grant_term(viewer->user_id))
                                      : std::string();
        view.stamp += "grants " + view.grants_digest;
        view.level4 = levels[4];
        view.grants_pending = true;
    }
    return view;
}

/*
 * Reads (or finds kept) the granted documents of a view made with grants (make_view), once
 * the search knows it needs them: after the counting pass has started on the other thread,
 * which does not read them, so that their read does not delay it.
 */
void take_grants(search_view &view, const dg_index_viewer *viewer, grant_cache &grants,
                 bool cache_ok, std::atomic<uint64_t> &copies)
{
    if (!view.grants_pending)
        return;
    view.grants_pending = false;
    view.granted = granted_documents(view.level4, viewer->user_id, grants, cache_ok, copies,
                                     view.grants_digest);
    if (!view.granted)
        view.level4 = Xapian::Database();
}

/* What identifies a grant shard among a handle's kept ones (GRANT_SHARDS_KEPT). */
std::string shard_key(int64_t user_id, const std::string &digest, const grant_needs &needs)
{
    std::string key = std::to_string(user_id) + "\n" + digest + "\n";
    for (const std::string &t : needs.terms)
        key += std::to_string(t.size()) + ":" + t;
    for (const auto &phrase : needs.phrases) {
        key += "\n";
        for (const auto &slot : phrase) {
            key += ";";
            for (size_t i : slot)
                key += std::to_string(i) + ",";
        }
    }
    return key;
}

/* Adds a grant holder's shard for a search that reads needs, and combines the shards. kept:
 * a read-only handle's kept shards, or NULL. */
void complete_view(search_view &view, const grant_needs &needs, int64_t user_id = 0,
                   std::unordered_map<std::string, Xapian::Database> *kept = nullptr)
{
    if (view.granted) {
        std::string key = kept ? shard_key(user_id, view.granted->digest, needs) : std::string();
        auto found = kept ? kept->find(key) : std::unordered_map<std::string, Xapian::Database>::iterator();
        if (kept && found != kept->end()) {
            view.shards.push_back(found->second);
        } else {
            view.shards.push_back(grant_shard(*view.granted, view.level4, needs));
            if (kept) {
                if (kept->size() >= GRANT_SHARDS_KEPT)
                    kept->clear();
                (*kept)[key] = view.shards.back();
            }
        }
        view.levels.push_back(GRANT_SHARD);
    }
    for (Xapian::Database &shard : view.shards)
        view.db.add_database(shard);
}

/* The year terms a view's documents hold, in order (see year_filter). */
std::set<std::string> view_years(const search_view &view)
{
    const std::string prefix = "XYEAR";
    std::set<std::string> years;
    for (const Xapian::Database &shard : view.shards)
        for (Xapian::TermIterator t = shard.allterms_begin(prefix);
             t != shard.allterms_end(prefix); ++t)
            years.insert(*t);
    if (view.granted)
        for (const granted_doc &d : view.granted->docs)
            for (size_t i = d.lower(prefix); i < d.ends.size(); i++) {
                std::string term = d.term(i);
                if (term.compare(0, prefix.size(), prefix) != 0)
                    break;
                years.insert(term);
            }
    return years;
}

/* Matching ids per shard, in the shards' own numbering. */
typedef std::vector<std::vector<Xapian::docid>> shard_matches;

/*
 * Counting a broad match straight from posting lists. Xapian's matcher, even unweighted,
 * costs about a quarter of a microsecond per candidate and per operand (a virtual call per
 * posting list and step, a document handle per match for the spy), which at a million
 * matches is most of a second. A boolean query over terms needs none of that: each term's
 * posting list is read once into a bit per document id of the shard, and the operators
 * become word-wide AND, OR and AND NOT. Phrases (phrase_source, holders) are asked only
 * about the documents that everything beside them holds, in ascending id order, with their
 * verdicts kept as in the matcher. Any other operator (wildcards, value ranges, NEAR or
 * PHRASE over positions, ELITE_SET) leaves the query to the matcher (matching_ids). The
 * same documents either way: the operators are Xapian's own, as documented for a
 * non-weighted match (FILTER is AND, AND_MAYBE its first operand, XOR an odd count,
 * SYNONYM and MAX are OR).
 */
typedef std::vector<uint64_t> docid_bits;

/* Looks at the clock and the cancel flag now and then, as deadline_spy does per match. */
struct bits_clock {
    deadline_spy spy;
    void tick(unsigned steps)
    {
        for (unsigned i = 0; i < steps; i++)
            spy.check();
    }
};

/* Whether every operator of q is one the bit sets compute; sources: whether q holds a
 * phrase_source of holders (which must then be under AND or FILTER only, see eval_bits). */
bool bits_can_count(const Xapian::Query &q, bool *sources)
{
    switch (q.get_type()) {
    case Xapian::Query::LEAF_TERM: case Xapian::Query::LEAF_MATCH_ALL:
    case Xapian::Query::LEAF_MATCH_NOTHING:
        return true;
    case Xapian::Query::LEAF_POSTING_SOURCE:
        *sources = true;
        return q.get_description().compare(0, 35, "Query(PostingSource(phrase_source H") == 0;
    case Xapian::Query::OP_AND: case Xapian::Query::OP_OR: case Xapian::Query::OP_AND_NOT:
    case Xapian::Query::OP_XOR: case Xapian::Query::OP_AND_MAYBE: case Xapian::Query::OP_FILTER:
    case Xapian::Query::OP_SYNONYM: case Xapian::Query::OP_MAX:
    case Xapian::Query::OP_SCALE_WEIGHT:
        break;
    default:
        return false;
    }
    for (size_t i = 0; i < q.get_num_subqueries(); i++) {
        bool below = false;
        if (!bits_can_count(q.get_subquery(i), &below))
            return false;
        /* a phrase is asked only where every other operand holds: under AND or FILTER */
        if (below && q.get_type() != Xapian::Query::OP_AND &&
            q.get_type() != Xapian::Query::OP_FILTER &&
            q.get_type() != Xapian::Query::OP_SCALE_WEIGHT &&
            !(q.get_type() == Xapian::Query::OP_AND_MAYBE && i == 0))
            return false;
        *sources = *sources || below;
    }
    return true;
}

/* The most documents of db that q can match (an upper bound), to tell broad from narrow. */
Xapian::doccount bits_upper_bound(Xapian::Database &db, const Xapian::Query &q)
{
    Xapian::doccount all = db.get_doccount();
    switch (q.get_type()) {
    case Xapian::Query::LEAF_TERM:
        return db.get_termfreq(*q.get_unique_terms_begin());
    case Xapian::Query::LEAF_MATCH_NOTHING:
        return 0;
    case Xapian::Query::OP_AND: case Xapian::Query::OP_FILTER: {
        Xapian::doccount most = all;
        for (size_t i = 0; i < q.get_num_subqueries(); i++)
            most = std::min(most, bits_upper_bound(db, q.get_subquery(i)));
        return most;
    }
    case Xapian::Query::OP_AND_NOT: case Xapian::Query::OP_AND_MAYBE:
    case Xapian::Query::OP_SCALE_WEIGHT:
        return q.get_num_subqueries() ? bits_upper_bound(db, q.get_subquery(0)) : 0;
    case Xapian::Query::OP_OR: case Xapian::Query::OP_XOR: case Xapian::Query::OP_SYNONYM:
    case Xapian::Query::OP_MAX: {
        uint64_t sum = 0;
        for (size_t i = 0; i < q.get_num_subqueries(); i++)
            sum += bits_upper_bound(db, q.get_subquery(i));
        return (Xapian::doccount)std::min<uint64_t>(sum, all);
    }
    default:
        return all;
    }
}

size_t bits_count(const docid_bits &b)
{
    size_t n = 0;
    for (uint64_t w : b)
        n += (size_t)__builtin_popcountll(w);
    return n;
}

/* Sets the bit of every document of term's posting list; within (a set far smaller than
 * the list), only those of within, by skipping to each. */
void read_postings(Xapian::Database &db, const std::string &term, const docid_bits *within,
                   docid_bits &out, bits_clock &clock)
{
    Xapian::doccount freq = term.empty() ? db.get_doccount() : db.get_termfreq(term);
    Xapian::PostingIterator p = db.postlist_begin(term), end = db.postlist_end(term);
    const size_t last = out.size() * 64;
    if (within && bits_count(*within) < freq / 16) {
        for (size_t w = 0; w < within->size() && p != end; w++)
            for (uint64_t bits = (*within)[w]; bits && p != end; bits &= bits - 1) {
                Xapian::docid did = (Xapian::docid)(w * 64 + (size_t)__builtin_ctzll(bits));
                p.skip_to(did);
                if (p != end && *p == did)
                    out[w] |= bits & -bits;
                clock.tick(1);
            }
        return;
    }
    unsigned steps = 0;
    for (; p != end; ++p) {
        Xapian::docid did = *p;
        if (did < last)
            out[did >> 6] |= 1ull << (did & 63);
        if (++steps == 256) {
            clock.tick(1);
            steps = 0;
        }
    }
}

/* The phrase_source a LEAF_POSTING_SOURCE of holders carries, rebuilt from its description
 * (Xapian 1.4 hands out no source of a query), with verdicts kept in verdicts. */
std::unique_ptr<phrase_source> source_of(const Xapian::Query &q, phrase_verdicts *verdicts)
{
    static const std::string head = "Query(PostingSource(phrase_source ", tail = "))";
    std::string d = q.get_description();
    if (d.compare(0, head.size(), head) != 0 || d.size() < head.size() + tail.size() ||
        d.compare(d.size() - tail.size(), tail.size(), tail) != 0)
        fail(DG_ERR_INTERNAL, "not a phrase: " + d);
    phrase_source prototype({}, 0, true, false, verdicts);
    return std::unique_ptr<phrase_source>(prototype.unserialise(
        d.substr(head.size(), d.size() - head.size() - tail.size())));
}

/* The documents of a bit set, as a posting source: the candidates of a sweep. It looks at
 * the clock as the matcher moves it, so a sweep whose candidates hold the phrase nowhere
 * (the spy never called) still stops at the deadline. */
class bits_source : public Xapian::PostingSource {
  public:
    bits_source(const docid_bits &bits, bits_clock &clock)
        : bits_(bits), clock_(clock), count_(bits_count(bits))
    {
    }

    void init(const Xapian::Database &) override
    {
        did_ = 0;
        done_ = false;
    }
    Xapian::doccount get_termfreq_min() const override { return count_; }
    Xapian::doccount get_termfreq_est() const override { return count_; }
    Xapian::doccount get_termfreq_max() const override { return count_; }
    Xapian::docid get_docid() const override { return did_; }
    bool at_end() const override { return done_; }
    void next(double) override { move(did_ + 1); }
    void skip_to(Xapian::docid did, double) override
    {
        if (did > did_)
            move(did);
    }

  private:
    /* To the first document of the set at or after from. */
    void move(Xapian::docid from)
    {
        clock_.tick(1);
        size_t w = from >> 6;
        uint64_t left = w < bits_.size() ? bits_[w] & (~0ull << (from & 63)) : 0;
        while (!left && ++w < bits_.size())
            left = bits_[w];
        done_ = w >= bits_.size();
        if (!done_)
            did_ = (Xapian::docid)(w * 64 + (size_t)__builtin_ctzll(left));
    }

    const docid_bits &bits_;
    bits_clock &clock_;
    Xapian::doccount count_;
    Xapian::docid did_ = 0;
    bool done_ = false;
};

/* Sets the bit of each match in a bit set, looking at the clock as it goes. */
class bits_spy : public Xapian::MatchSpy {
  public:
    bits_spy(docid_bits &out, bits_clock &clock) : out_(out), clock_(clock) {}
    void operator()(const Xapian::Document &doc, double) override
    {
        Xapian::docid did = doc.get_docid();
        out_[did >> 6] |= 1ull << (did & 63);
        clock_.tick(1);
    }

  private:
    docid_bits &out_;
    bits_clock &clock_;
};

/*
 * Below this many candidates without a verdict, a sweep (an Enquire's set-up) is not worth
 * it: each document's own position look-ups cost about 6 us, a sweep about 0.35 us a
 * candidate (1,000,000-record bench index, "的通知" over a level of 200,000 documents:
 * 1.19 s against 70-96 ms of CPU).
 */
const size_t SWEEP_LEAST = 32;

/*
 * Gives source the index-position verdicts of every candidate of bits that has none yet
 * (and, for a phrase of two characters, does not hold its pair), made in one pass by
 * Xapian's own phrase matcher: OP_PHRASE over the phrase's slots, filtered to those
 * candidates. Asked document by document (Database::positionlist_begin), every look-up
 * opens a new cursor and reads the position table's B-tree below its root again, about
 * 2 preads a slot; the matcher keeps one cursor per term, moving forward through that
 * term's positions (the table is keyed by term, then document), so it reads each leaf once.
 * What it decides is what index_positions_match decides: positions in the slots' order
 * within the window (PhrasePostList and ExactPhrasePostList test exactly that). A database
 * with no positions at all holds the phrase nowhere in them (Xapian would match the AND
 * there instead). Only candidates are read: the time taken tells nothing of other documents.
 */
void sweep_index_positions(Xapian::Database &db, phrase_source &source, const docid_bits &bits,
                           bits_clock &clock)
{
    if (!source.sweepable())
        return;
    docid_bits asked(bits.size(), 0);
    size_t unknown = 0;
    for (size_t w = 0; w < bits.size(); w++)
        for (uint64_t left = bits[w]; left; left &= left - 1) {
            Xapian::docid did = (Xapian::docid)(w * 64 + (size_t)__builtin_ctzll(left));
            if (!source.verdict_known(did)) {
                asked[w] |= left & -left;
                unknown++;
            }
        }
    if (const std::string *pair = source.pair_term()) {
        docid_bits paired(bits.size(), 0);
        read_postings(db, *pair, &asked, paired, clock);
        for (size_t w = 0; w < asked.size(); w++) {
            unknown -= (size_t)__builtin_popcountll(asked[w] & paired[w]);
            asked[w] &= ~paired[w];
        }
    }
    if (unknown < SWEEP_LEAST)
        return;
    docid_bits held(bits.size(), 0);
    if (db.has_positions()) {
        bits_source candidates(asked, clock);
        Xapian::Enquire enquire(db);
        enquire.set_query(Xapian::Query(Xapian::Query::OP_FILTER, source.positions_query(),
                                        Xapian::Query(&candidates)));
        enquire.set_weighting_scheme(Xapian::BoolWeight());
        enquire.set_docid_order(Xapian::Enquire::ASCENDING);
        bits_spy spy(held, clock);
        enquire.add_matchspy(&spy);
        enquire.get_mset(0, 0, db.get_doccount());
    }
    source.take_index_verdicts(std::move(asked), std::move(held));
}

/* Clears the bit of every document of bits that misses the phrase of source (a
 * LEAF_POSTING_SOURCE of holders), asking in ascending id order. */
void keep_holders(Xapian::Database &db, const Xapian::Query &source_query, docid_bits &bits,
                  phrase_verdicts *verdicts, bits_clock &clock)
{
    std::unique_ptr<phrase_source> source = source_of(source_query, verdicts);
    source->init(db);
    sweep_index_positions(db, *source, bits, clock);
    for (size_t w = 0; w < bits.size(); w++)
        for (uint64_t left = bits[w]; left; left &= left - 1) {
            Xapian::docid did = (Xapian::docid)(w * 64 + (size_t)__builtin_ctzll(left));
            if (!source->holds_after_init(did))
                bits[w] &= ~(left & -left);
            clock.tick(1);
        }
}

/*
 * The documents of db that q matches, as bits, exact within *within when given (outside
 * it, bits may be set or not; the caller ANDs). Operands without phrases are computed
 * first, so that a phrase is asked only about what they all hold (and within).
 */
docid_bits eval_bits(Xapian::Database &db, const Xapian::Query &q, const docid_bits *within,
                     size_t words, phrase_verdicts *verdicts, bits_clock &clock)
{
    docid_bits out(words, 0);
    Xapian::Query::op type = q.get_type();
    size_t n = q.get_num_subqueries();
    switch (type) {
    case Xapian::Query::LEAF_TERM:
        read_postings(db, *q.get_unique_terms_begin(), within, out, clock);
        return out;
    case Xapian::Query::LEAF_MATCH_ALL:
        read_postings(db, std::string(), within, out, clock);
        return out;
    case Xapian::Query::LEAF_MATCH_NOTHING:
        return out;
    case Xapian::Query::LEAF_POSTING_SOURCE: /* alone: asked about every candidate */
        if (within)
            out = *within;
        else
            read_postings(db, std::string(), NULL, out, clock);
        keep_holders(db, q, out, verdicts, clock);
        return out;
    case Xapian::Query::OP_AND_MAYBE: case Xapian::Query::OP_SCALE_WEIGHT:
        return eval_bits(db, q.get_subquery(0), within, words, verdicts, clock);
    case Xapian::Query::OP_AND: case Xapian::Query::OP_FILTER: {
        std::vector<Xapian::Query> later, phrases;
        bool first = true;
        if (within)
            out = *within, first = false;
        /* Each operand is evaluated only within what the ones before it left. */
        auto and_in = [&](const Xapian::Query &s) {
            docid_bits b = eval_bits(db, s, first ? NULL : &out, words, verdicts, clock);
            if (first)
                out.swap(b), first = false;
            else
                for (size_t w = 0; w < words; w++)
                    out[w] &= b[w];
        };
        for (size_t i = 0; i < n; i++) {
            Xapian::Query s = q.get_subquery(i);
            bool sources = false;
            bits_can_count(s, &sources);
            if (s.get_type() == Xapian::Query::LEAF_POSTING_SOURCE)
                phrases.push_back(s);
            else if (sources)
                later.push_back(s);
            else if (s.get_type() != Xapian::Query::LEAF_MATCH_ALL) /* all: no change */
                and_in(s);
        }
        for (const Xapian::Query &s : later)
            and_in(s);
        if (first) /* only phrases or every document: every document is a candidate */
            read_postings(db, std::string(), NULL, out, clock);
        for (const Xapian::Query &s : phrases)
            keep_holders(db, s, out, verdicts, clock);
        return out;
    }
    case Xapian::Query::OP_AND_NOT: {
        out = eval_bits(db, q.get_subquery(0), within, words, verdicts, clock);
        for (size_t i = 1; i < n; i++) {
            docid_bits b = eval_bits(db, q.get_subquery(i), &out, words, verdicts, clock);
            for (size_t w = 0; w < words; w++)
                out[w] &= ~b[w];
        }
        return out;
    }
    default: /* OR, XOR, SYNONYM, MAX */
        for (size_t i = 0; i < n; i++) {
            docid_bits b = eval_bits(db, q.get_subquery(i), within, words, verdicts, clock);
            for (size_t w = 0; w < words; w++)
                out[w] = type == Xapian::Query::OP_XOR ? out[w] ^ b[w] : out[w] | b[w];
        }
        return out;
    }
}

/* The postings of db that eval_bits may read for q at most: each term's, and every
 * document's for an operand that matches all. */
uint64_t bits_postings(Xapian::Database &db, const Xapian::Query &q)
{
    switch (q.get_type()) {
    case Xapian::Query::LEAF_TERM:
        return db.get_termfreq(*q.get_unique_terms_begin());
    case Xapian::Query::LEAF_MATCH_ALL: case Xapian::Query::LEAF_POSTING_SOURCE:
        return db.get_doccount();
    default: {
        uint64_t sum = 0;
        for (size_t i = 0; i < q.get_num_subqueries(); i++)
            sum += bits_postings(db, q.get_subquery(i));
        return sum;
    }
    }
}

/* How many documents of db q may match, were its terms independent: a guess, for choosing
 * between the matcher and the bit sets (bits_upper_bound takes an AND's least operand, and a
 * phrase with a year is then ten times its candidates). */
double bits_estimate(Xapian::Database &db, const Xapian::Query &q)
{
    double all = db.get_doccount();
    size_t n = q.get_num_subqueries();
    switch (q.get_type()) {
    case Xapian::Query::LEAF_TERM:
        return db.get_termfreq(*q.get_unique_terms_begin());
    case Xapian::Query::LEAF_MATCH_NOTHING:
        return 0;
    case Xapian::Query::OP_AND: case Xapian::Query::OP_FILTER: {
        /* a phrase's characters go together: its AND may match as many as its rarest */
        if (n == 2 && q.get_subquery(1).get_type() == Xapian::Query::LEAF_POSTING_SOURCE)
            return bits_upper_bound(db, q.get_subquery(0));
        double share = 1;
        for (size_t i = 0; i < n && all > 0; i++)
            share *= bits_estimate(db, q.get_subquery(i)) / all;
        return share * all;
    }
    case Xapian::Query::OP_AND_NOT: case Xapian::Query::OP_AND_MAYBE:
    case Xapian::Query::OP_SCALE_WEIGHT:
        return n ? bits_estimate(db, q.get_subquery(0)) : 0;
    case Xapian::Query::OP_OR: case Xapian::Query::OP_XOR: case Xapian::Query::OP_SYNONYM:
    case Xapian::Query::OP_MAX: {
        double sum = 0;
        for (size_t i = 0; i < n; i++)
            sum += bits_estimate(db, q.get_subquery(i));
        return std::min(sum, all);
    }
    default: /* every document, or a phrase's source (its candidates are the AND beside it) */
        return all;
    }
}

/* Whether q holds a phrase that no pair term settles (see phrase_source::has_pair). */
bool has_positional_phrase(const Xapian::Query &q)
{
    if (q.get_type() == Xapian::Query::LEAF_POSTING_SOURCE)
        return !source_of(q, nullptr)->settled_by_pair();
    for (size_t i = 0; i < q.get_num_subqueries(); i++)
        if (has_positional_phrase(q.get_subquery(i)))
            return true;
    return false;
}

/*
 * The ids of every document of db that query matches, ascending: from bit sets when the
 * query is broad there (it may match more than 1/BITS_DIVISOR of the shard) and made of
 * operators they compute, else from the matcher. A query with a phrase (a source of
 * holders) that its pair term does not settle goes to the bit sets as soon as its candidates
 * (bits_estimate) outnumber 1/SWEEP_RATIO of the postings they read: the matcher asks the phrase about
 * each candidate alone (about 6 us for a title's positions), the bit sets read a posting in
 * about 10 ns and sweep the phrase's candidates at about 0.35 us each
 * (sweep_index_positions). Both give the same ids. (A pair settles a candidate in the
 * matcher for far less: "工作" 2020 at 1,000,000 records took 47-86 ms of CPU through the
 * bit sets against 26-50 through the matcher.)
 */
const Xapian::doccount BITS_DIVISOR = 8;
const double SWEEP_RATIO = 256;

/* Whether counted_ids counts query in db with Xapian's matcher (matching_ids), not with bit
 * sets: decided from db's term statistics alone. *bound, when given, is set to the query's
 * candidates in db (bits_upper_bound), or 0 when bit sets cannot count it. */
bool counted_by_matcher(Xapian::Database &db, const Xapian::Query &query,
                        Xapian::doccount *bound = NULL)
{
    bool sources = false;
    if (bound)
        *bound = 0;
    if (!bits_can_count(query, &sources))
        return true;
    Xapian::doccount most = bits_upper_bound(db, query);
    if (bound)
        *bound = most;
    bool broad = most > db.get_doccount() / BITS_DIVISOR;
    bool phrase = sources && !broad &&
                  bits_estimate(db, query) * SWEEP_RATIO > (double)bits_postings(db, query) &&
                  has_positional_phrase(query);
    return !broad && !phrase;
}

/*
 * q without its phrases (the LEAF_POSTING_SOURCEs of holders, which bits_can_count allows
 * only under AND, FILTER, SCALE_WEIGHT and the first operand of AND_MAYBE), each put in
 * sources: a document matches q exactly when it matches what is returned and holds every
 * phrase of sources. For an unweighted match only: a SCALE_WEIGHT or AND_MAYBE holding a
 * phrase becomes the operand that decides its matches. MatchAll when nothing is left.
 */
Xapian::Query without_phrases(const Xapian::Query &q, std::vector<Xapian::Query> &sources)
{
    Xapian::Query::op type = q.get_type();
    bool sub = false;
    if (type == Xapian::Query::LEAF_POSTING_SOURCE) {
        sources.push_back(q);
        return match_all();
    }
    if (!bits_can_count(q, &sub) || !sub)
        return q;
    if (type == Xapian::Query::OP_SCALE_WEIGHT || type == Xapian::Query::OP_AND_MAYBE)
        return without_phrases(q.get_subquery(0), sources);
    std::vector<Xapian::Query> kept; /* AND or FILTER: the operands that still narrow */
    for (size_t i = 0; i < q.get_num_subqueries(); i++) {
        Xapian::Query s = without_phrases(q.get_subquery(i), sources);
        if (s.get_type() != Xapian::Query::LEAF_MATCH_ALL)
            kept.push_back(s);
    }
    if (kept.empty())
        return match_all();
    if (kept.size() == 1)
        return kept[0];
    return Xapian::Query(Xapian::Query::OP_AND, kept.begin(), kept.end());
}

/* The ids of a bit set, ascending. */
std::vector<Xapian::docid> ids_of(const docid_bits &bits)
{
    std::vector<Xapian::docid> ids;
    ids.reserve(bits_count(bits));
    for (size_t w = 0; w < bits.size(); w++)
        for (uint64_t b = bits[w]; b; b &= b - 1)
            ids.push_back((Xapian::docid)(w * 64 + (size_t)__builtin_ctzll(b)));
    return ids;
}

/*
 * The matches of a narrow query with a phrase that its pair term does not settle: Xapian's
 * matcher lists the candidates (the query without its phrases), and each phrase is then
 * asked about them in one go (keep_holders, as eval_bits asks it): its index-position
 * verdicts made by one sweep of Xapian's phrase matcher (sweep_index_positions), which
 * reads each slot term's positions through a cursor of its own moving forward, where the
 * matcher asking the phrase document by document (phrase_source::check) looked up each
 * slot's positions afresh, reading the position table's blocks again for every candidate
 * ("年度考核" 2019 at 1,000,000 records: 7,129 candidates, about 6 us each). What decides a
 * verdict is the same (index positions, then the document's text), so are the ids.
 */
std::vector<Xapian::docid> matched_then_held(Xapian::Database &db, const Xapian::Query &query,
                                             search_deadline deadline, phrase_verdicts *verdicts)
{
    std::vector<Xapian::Query> sources;
    Xapian::Query candidates = without_phrases(query, sources);
    docid_bits bits((size_t)db.get_lastdocid() / 64 + 1, 0);
    for (Xapian::docid did : matching_ids(db, candidates, deadline))
        bits[did >> 6] |= 1ull << (did & 63);
    bits_clock clock{deadline_spy(deadline)};
    for (const Xapian::Query &source : sources)
        keep_holders(db, source, bits, verdicts, clock);
    return ids_of(bits);
}

std::vector<Xapian::docid> counted_ids(Xapian::Database &db, const Xapian::Query &query,
                                       search_deadline deadline, phrase_verdicts *verdicts)
{
    if (counted_by_matcher(db, query)) {
        bool sources = false;
        if (bits_can_count(query, &sources) && sources && has_positional_phrase(query))
            return matched_then_held(db, query, deadline, verdicts);
        return matching_ids(db, query, deadline);
    }
    size_t words = (size_t)db.get_lastdocid() / 64 + 1;
    bits_clock clock{deadline_spy(deadline)};
    return ids_of(eval_bits(db, query, NULL, words, verdicts, clock));
}

/*
 * The ids of every match, shard by shard. Counting needs no weights, so no statistics: each
 * shard is matched alone, and its ids (which a match spy over the combined database would
 * see in the shard's numbering anyway) index that level's facet table.
 */
shard_matches shard_ids(search_view &view, const Xapian::Query &query, search_deadline deadline,
                        phrase_verdicts *verdicts)
{
    shard_matches out;
    for (Xapian::Database &shard : view.shards)
        out.push_back(counted_ids(shard, query, deadline, verdicts));
    return out;
}

/* Facet f's filter-term prefix; its values are the term suffixes (as in build_document). */
const char *const FACET_PREFIXES[3] = {"XCAT", "XYEAR", "XPERIOD"};

/* Below this share of the database, reading values beats building the facet table. */
const Xapian::doccount FACET_TABLE_DIVISOR = 8;

void build_facet_table(Xapian::Database &db, facet_table &t)
{
    Xapian::docid last = db.get_lastdocid();
    for (int f = 0; f < 3; f++) {
        t.names[f].clear();
        t.codes[f].assign((size_t)last + 1, 0);
        const std::string prefix = FACET_PREFIXES[f];
        for (Xapian::TermIterator term = db.allterms_begin(prefix);
             term != db.allterms_end(prefix); ++term) {
            if (t.names[f].size() >= UINT16_MAX)
                fail(DG_ERR_INTERNAL, "too many distinct " + prefix + " values to count");
            t.names[f].push_back((*term).substr(prefix.size()));
            uint16_t code = (uint16_t)t.names[f].size();
            for (Xapian::PostingIterator p = db.postlist_begin(*term); p != db.postlist_end(*term);
                 ++p)
                if (*p <= last)
                    t.codes[f][*p] = code;
        }
    }
}

/* The table of one level's current snapshot, rebuilt when a commit has moved it on; db is a
 * read-only handle on that level (the main one or the counting one, at the same revision). */
const facet_table &current_facet_table(dg_index *index, int level, Xapian::Database &db)
{
    facet_table &t = index->facets[level];
    Xapian::rev revision = db.get_revision();
    if (!t.built || t.revision != revision) {
        t.built = false;
        build_facet_table(db, t);
        t.revision = revision;
        t.built = true;
    }
    return t;
}

void count_with_table(const facet_table &t, const std::vector<Xapian::docid> &ids,
                      facet_counts &out)
{
    for (int f = 0; f < 3; f++) {
        std::vector<uint64_t> n(t.names[f].size() + 1, 0);
        const std::vector<uint16_t> &codes = t.codes[f];
        for (Xapian::docid id : ids)
            n[id < codes.size() ? codes[id] : 0]++;
        for (size_t k = 1; k < n.size(); k++)
            if (n[k])
                out[f][t.names[f][k - 1]] += n[k];
    }
}

/*
 * Reads the SLOT_FACETS value ("category<US>year<US>period") of each id in ascending order
 * from the value stream, counting each distinct value once and splitting the few distinct
 * ones at the end.
 */
void split_facet_values(const std::unordered_map<std::string, uint64_t> &combined,
                        facet_counts &out);

void count_with_values(Xapian::Database &db, std::vector<Xapian::docid> ids, facet_counts &out)
{
    std::sort(ids.begin(), ids.end());
    std::unordered_map<std::string, uint64_t> combined;
    Xapian::ValueIterator v = db.valuestream_begin(SLOT_FACETS);
    for (Xapian::docid id : ids) {
        if (v == db.valuestream_end(SLOT_FACETS))
            break;
        v.skip_to(id);
        if (v != db.valuestream_end(SLOT_FACETS) && v.get_docid() == id)
            combined[*v]++;
    }
    split_facet_values(combined, out);
}

/* Adds each distinct SLOT_FACETS value's count to its three facets. */
void split_facet_values(const std::unordered_map<std::string, uint64_t> &combined,
                        facet_counts &out)
{
    for (const auto &kv : combined) {
        const std::string &value = kv.first;
        size_t a = value.find(FACET_SEPARATOR);
        size_t b = a == std::string::npos ? a : value.find(FACET_SEPARATOR, a + 1);
        if (b == std::string::npos)
            continue;
        std::string parts[3] = {value.substr(0, a), value.substr(a + 1, b - a - 1),
                                value.substr(b + 1)};
        for (int f = 0; f < 3; f++)
            if (!parts[f].empty())
                out[f][parts[f]] += kv.second;
    }
}

/*
 * Exact facet counts of the matches. A read-only handle keeps a facet table per revision
 * and uses it for broad matches (or whenever it is already built); narrow matches, and
 * writable handles (whose uncommitted changes no revision number describes), read values.
 */
void count_facets(dg_index *index, search_view &view, const shard_matches &ids,
                  facet_counts &out)
{
    for (size_t i = 0; i < view.shards.size(); i++) {
        int level = view.levels[i];
        Xapian::Database &db = view.shards[i];
        bool broad = ids[i].size() > db.get_doccount() / FACET_TABLE_DIVISOR;
        if (level != GRANT_SHARD && index->mode == DG_INDEX_READ &&
            (broad || (index->facets[level].built &&
                       index->facets[level].revision == db.get_revision())))
            count_with_table(current_facet_table(index, level, db), ids[i], out);
        else
            count_with_values(db, ids[i], out);
    }
}

void fill_facet(const std::map<std::string, uint64_t> &counts, dg_facet_count **out, size_t *n)
{
    *n = 0;
    *out = counts.empty() ? NULL : (dg_facet_count *)calloc(counts.size(), sizeof **out);
    if (!counts.empty() && !*out)
        throw std::bad_alloc();
    for (const auto &kv : counts) {
        (*out)[*n].value = copy_string(kv.first);
        (*out)[*n].count = kv.second;
        (*n)++;
    }
}

/* Room for n hits in r (none when n is 0). */
void allocate_hits(size_t n, dg_index_result *r)
{
    r->hits = n ? (dg_index_hit *)calloc(n, sizeof *r->hits) : NULL;
    if (n && !r->hits)
        throw std::bad_alloc();
}

/* Appends one hit: its document's data, its percentage and its snippet. */
void add_hit(snippet_matcher &matcher, const Xapian::Document &doc, int percent,
             const char *hl_start, const char *hl_end, dg_index_result *r)
{
    dg_index_hit *hit = &r->hits[r->n_hits];
    std::string body, folded;
    parse_data(doc.get_data(), hit, &body, &folded);
    hit->score = percent;
    hit->snippet = copy_string(make_snippet(matcher, body, folded, hl_start, hl_end));
    r->n_hits++;
}

void fill_hits(dg_index *index, const Xapian::MSet &mset, const highlight_terms &h,
               const char *hl_start, const char *hl_end, dg_index_result *r)
{
    snippet_matcher matcher(h, index->stemmer);
    allocate_hits(mset.size(), r);
    for (Xapian::MSetIterator m = mset.begin(); m != mset.end(); ++m)
        add_hit(matcher, m.get_document(), m.get_percent(), hl_start, hl_end, r);
}

/* ---- the page of a query whose matches all weigh the same ------------------------------ */

/*
 * A query with no words (browsing by filter: MatchAll under the boolean filters) gives every
 * match the weight 0, so sorted by relevance Xapian orders the matches by version id alone
 * (configure_sort) and reads the version of every match to find the first page: a million
 * value reads at 1,000,000 records, 55-70 ms of CPU. weightless_page finds the same page
 * from a few documents: within one ascending run of version ids (version_runs) the first
 * matches by document id are the ones of lowest version, so the page is among the first
 * offset+limit matches of each run of each level the viewer reads (a single database's
 * unweighted match in document id order stops there), and every match of a grant holder's
 * shard (their granted documents only). Every match weighs 0, so Xapian's percentage of each
 * is 100.
 */
/* offset + limit, at least 1 (first_matches reads all for 0); beyond, Xapian's own match */
const size_t WEIGHTLESS_PAGE_MAX = 1000;

/* The run starts of a level's current revision, read when it moved on; NULL if unusable. */
const version_runs *current_runs(dg_index *index, int level, Xapian::Database &db)
{
    version_runs &r = index->runs[level];
    std::string revision = db.get_uuid() + ":" + std::to_string(db.get_revision());
    if (r.revision != revision) {
        r.revision.clear();
        r.starts.clear();
        r.usable = true;
        std::string previous;
        Xapian::doccount seen = 0;
        for (Xapian::ValueIterator v = db.valuestream_begin(SLOT_VERSION);
             r.usable && v != db.valuestream_end(SLOT_VERSION); ++v, ++seen) {
            const std::string &key = *v;
            if (seen == 0 || key < previous) /* sortable_serialise: bytes order as numbers */
                r.starts.push_back(v.get_docid());
            r.usable = r.starts.size() <= MAX_VERSION_RUNS;
            previous = key;
        }
        /* A document without a version would sort before every other (an empty key). */
        r.usable = r.usable && seen == db.get_doccount();
        r.revision = revision;
    }
    return r.usable ? &r : nullptr;
}

/* The documents of one database from first to last (document ids), for restricting a match
 * to one run of versions. Its matches weigh nothing. */
class docid_range : public Xapian::PostingSource {
  public:
    docid_range(Xapian::docid first, Xapian::docid last) : first_(first), last_(last) {}

    docid_range *clone() const override { return new docid_range(first_, last_); }
    void init(const Xapian::Database &) override
    {
        at_ = 0;
        set_maxweight(0);
    }
    Xapian::doccount get_termfreq_min() const override { return 0; } /* ids may be free */
    Xapian::doccount get_termfreq_est() const override { return last_ - first_ + 1; }
    Xapian::doccount get_termfreq_max() const override { return last_ - first_ + 1; }
    void next(double) override { at_ = at_ == 0 ? first_ : at_ + 1; }
    void skip_to(Xapian::docid did, double) override
    {
        if (at_ == 0 || did > at_)
            at_ = did > first_ ? did : first_;
    }
    bool at_end() const override { return at_ > last_; }
    Xapian::docid get_docid() const override { return at_; }
    std::string get_description() const override
    {
        return "docid_range " + std::to_string(first_) + ".." + std::to_string(last_);
    }

  private:
    Xapian::docid first_, last_, at_ = 0;
};

/* One candidate of the page: its version's sort key and its document. */
struct weightless_hit {
    std::string key;
    Xapian::Document doc;
};

/* The first n matches of query in db by document id (all of them when n is 0), with their
 * versions: a single database's unweighted match in that order stops after n. */
void first_matches(Xapian::Database &db, const Xapian::Query &query, Xapian::doccount n,
                   std::vector<weightless_hit> &out)
{
    Xapian::Enquire enquire(db);
    enquire.set_query(query);
    enquire.set_weighting_scheme(Xapian::BoolWeight());
    enquire.set_docid_order(Xapian::Enquire::ASCENDING);
    Xapian::MSet mset = enquire.get_mset(0, n ? n : db.get_doccount());
    for (Xapian::MSetIterator m = mset.begin(); m != mset.end(); ++m) {
        Xapian::Document doc = m.get_document();
        out.push_back({doc.get_value(SLOT_VERSION), doc});
    }
}

/*
 * The page [offset, offset + limit) of ranked (a weightless query) over view, sorted by
 * relevance, into r; false (nothing done) when version_runs cannot tell a level's order.
 */
bool weightless_page(dg_index *index, search_view &view, const Xapian::Query &ranked,
                     size_t offset, size_t limit, const highlight_terms &h,
                     const char *hl_start, const char *hl_end, dg_index_result *r)
{
    const Xapian::doccount want = (Xapian::doccount)(offset + limit);
    std::vector<const version_runs *> runs;
    for (size_t i = 0; i < view.shards.size(); i++) {
        runs.push_back(view.levels[i] == GRANT_SHARD
                           ? nullptr
                           : current_runs(index, view.levels[i], view.shards[i]));
        if (view.levels[i] != GRANT_SHARD && !runs.back())
            return false;
    }
    std::vector<weightless_hit> found;
    for (size_t i = 0; i < view.shards.size(); i++) {
        Xapian::Database &shard = view.shards[i];
        if (!runs[i]) { /* the grant shard: every match */
            first_matches(shard, ranked, 0, found);
            continue;
        }
        const std::vector<Xapian::docid> &starts = runs[i]->starts;
        for (size_t k = 0; k < starts.size(); k++) {
            Xapian::docid last = k + 1 < starts.size() ? starts[k + 1] - 1 : shard.get_lastdocid();
            Xapian::Query run((new docid_range(starts[k], last))->release());
            first_matches(shard, Xapian::Query(Xapian::Query::OP_FILTER, ranked, run), want,
                          found);
        }
    }
    /* versions are unique, so the order is Xapian's (weight, then version) */
    std::sort(found.begin(), found.end(),
              [](const weightless_hit &a, const weightless_hit &b) { return a.key < b.key; });
    size_t from = offset < found.size() ? offset : found.size();
    size_t to = from + limit < found.size() ? from + limit : found.size();
    snippet_matcher matcher(h, index->stemmer);
    allocate_hits(to - from, r);
    for (size_t i = from; i < to; i++)
        add_hit(matcher, found[i].doc, 100, hl_start, hl_end, r);
    index->weightless_pages++;
    return true;
}

/*
 * Equal scores are ordered by version id, not by Xapian's document id: over databases
 * combined per level, document ids interleave the levels and differ between an index built
 * incrementally and a rebuilt one, so ties would change order after a reindex.
 */
void configure_sort(Xapian::Enquire &enquire, dg_index_sort sort)
{
    if (sort == DG_SORT_RELEVANCE)
        enquire.set_sort_by_relevance_then_value(SLOT_VERSION, false);
    else if (sort == DG_SORT_DATE_DESC)
        enquire.set_sort_by_value_then_relevance(SLOT_DATE, true);
    else if (sort == DG_SORT_DATE_ASC)
        enquire.set_sort_by_value_then_relevance(SLOT_DATE, false);
}

/*
 * The counts of query cached for what the view reads now (its stamp), or NULL. Writable
 * handles have uncommitted changes that no revision number describes, so they never cache.
 */
const counted_match *cached_counts(dg_index *index, const std::string &key,
                                   const std::string &stamp)
{
    if (index->mode != DG_INDEX_READ)
        return NULL;
    auto found = index->counts.entries.find(key);
    return found == index->counts.entries.end() || found->second.stamp != stamp
               ? NULL
               : &found->second.counted;
}

void remember_counts(dg_index *index, const std::string &key, const std::string &stamp,
                     const counted_match &counted)
{
    if (index->mode != DG_INDEX_READ)
        return;
    count_cache &c = index->counts;
    if (c.entries.size() >= COUNT_CACHE_SIZE)
        c.entries.clear();
    c.entries[key] = stamped_counts{stamp, counted};
}

void fill_counts(const counted_match &counted, dg_index_result *r)
{
    r->total = counted.total;
    fill_facet(counted.facets[0], &r->by_category, &r->n_category);
    fill_facet(counted.facets[1], &r->by_year, &r->n_year);
    fill_facet(counted.facets[2], &r->by_period, &r->n_period);
}

void open_levels(const std::string &path, Xapian::Database *dbs);

/* The identity of the folder at path, or 0 with errno set. */
int folder_identity(const std::string &path, dev_t *dev, ino_t *ino)
{
    struct stat st;
    if (stat(path.c_str(), &st) != 0)
        return 0;
    *dev = st.st_dev;
    *ino = st.st_ino;
    return 1;
}

/*
 * Moves a read-only handle to the folder now at its path. Compaction (dg_index_compact,
 * run when a destruction must leave no trace) swaps a fresh folder in for the live one;
 * reopen() keeps reading the old files, which a long-lived reader (a server's) then keeps
 * open, so it would go on finding the destroyed record and hold its deleted text on disk.
 * A changed folder is opened afresh, the old handles (and with them the old files) let go,
 * and what was remembered of the old revisions forgotten.
 */
void follow_folder(dg_index *index)
{
    dev_t dev;
    ino_t ino;
    if (!folder_identity(index->path, &dev, &ino))
        throw Xapian::DatabaseModifiedError(index->path + ": index folder is being replaced");
    if (dev == index->folder_dev && ino == index->folder_ino)
        return;
    open_levels(index->path, index->rdb);
    for (int level = 0; level < N_LEVELS; level++) {
        index->count_rdb[level] = Xapian::Database();
        index->facets[level].built = false;
    }
    index->count_rdb_open = false;
    {
        std::lock_guard<std::mutex> hold(index->grants.lock);
        index->grants.users.clear();
        index->grants.bytes = 0;
    }
    index->grant_shards.clear();
    index->synonyms.built = false; /* a new folder may hold another table at the same revision */
    index->counts.entries.clear();
    {
        std::lock_guard<std::mutex> hold(index->verdicts.lock);
        index->verdicts.entries.clear();
    }
    index->folder_dev = dev;
    index->folder_ino = ino;
}

/* Sleeps ms milliseconds (a retry's back-off). */
void pause_ms(int ms)
{
    struct timespec pause = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&pause, &pause) != 0 && errno == EINTR) {
    }
}

/*
 * Brings the counting handles of the levels a viewer reads (read_levels) to the revisions of
 * the main handles, so both passes of a search see the same snapshot. Called only when the
 * counts must be made: a repeated search neither reads nor reopens them. A commit since the
 * main handles were reopened shows as a counting handle ahead of its main handle; the search
 * is then begun again over the new snapshot (dg_index_search() retries a modified database).
 */
Xapian::Database *handles_at(const std::string &path, Xapian::Database *dbs, bool &open,
                             unsigned levels, const std::vector<Xapian::rev> &revisions)
{
    if (!open) {
        open_levels(path, dbs);
        open = true;
    }
    for (int level = 0; level < N_LEVELS; level++) {
        if (!(levels & 1u << level))
            continue;
        dbs[level].reopen();
        if (dbs[level].get_revision() != revisions[(size_t)level])
            throw Xapian::DatabaseModifiedError("the index changed during a search");
    }
    return dbs;
}

Xapian::Database *counting_handles(dg_index *index, unsigned levels,
                                   const std::vector<Xapian::rev> &revisions)
{
    return handles_at(index->path, index->count_rdb, index->count_rdb_open, levels, revisions);
}

/* The exact total and facet counts of query over a view (each shard matched alone). */
counted_match count_matches(dg_index *index, search_view &view, const Xapian::Query &query,
                            search_deadline deadline, phrase_verdicts *verdicts = nullptr)
{
    shard_matches ids = shard_ids(view, query, deadline, verdicts);
    counted_match counted;
    for (const std::vector<Xapian::docid> &shard : ids)
        counted.total += shard.size();
    count_facets(index, view, ids, counted.facets);
    return counted;
}

/* Whether q checks positions (a phrase or NEAR, Xapian's or a phrase_source). */
bool reads_positions(const Xapian::Query &q)
{
    switch (q.get_type()) {
    case Xapian::Query::LEAF_POSTING_SOURCE: case Xapian::Query::OP_PHRASE:
    case Xapian::Query::OP_NEAR:
        return true;
    default:
        for (size_t i = 0; i < q.get_num_subqueries(); i++)
            if (reads_positions(q.get_subquery(i)))
                return true;
        return false;
    }
}

/*
 * Whether a search over view counts its matches in its ranked pass (ranked_count_spy) rather
 * than on another thread: when every level it reads would be counted by Xapian's matcher
 * anyway (counted_by_matcher: a narrow match without a phrase to sweep), that second match
 * repeats the ranked one, its posting lists, phrase checks and pages read through a second
 * set of handles, and adds its CPU to the search (about 30-40 ms of a selective query's
 * 40-80 at 1,000,000 records). The ranked pass told to look at every match
 * (check_at_least) visits the same documents once. Not for a query that checks positions:
 * the ranked pass asks its phrase_decider (or Xapian's phrase check) only about the
 * candidates that could make the page, about 6 us each, and told to look at every match it
 * would ask about all of them, where the counting pass settles most with a pair term or a
 * sweep (a phrase of 7,129 matches at clearance 4: 172 ms of CPU against 60 for both
 * passes). Nor for a match of more than `most` candidates (INLINE_COUNT_MAX), whose counting is
 * cheaper in wall time beside the ranked pass than inside it. The decision reads the term
 * statistics of the levels the viewer reads, and nothing of the others: no hidden record
 * moves it. (A grant
 * holder's shard is counted in the same pass either way.)
 */
bool count_in_ranked_pass(search_view &view, const Xapian::Query &query, uint64_t most)
{
    if (reads_positions(query))
        return false;
    uint64_t candidates = 0;
    for (Xapian::Database &shard : view.shards) {
        Xapian::doccount bound;
        if (!counted_by_matcher(shard, query, &bound))
            return false;
        candidates += bound;
    }
    return candidates <= most;
}

/*
 * Counts the ranked pass's every match and its SLOT_FACETS value, each distinct value once
 * (split at the end, as count_with_values does). A match spy over the combined database sees
 * each document in its shard's numbering, which cannot tell the shard, so the facet tables
 * (per level, by id) cannot serve; the value is read from the document itself. Called only
 * for the matches a phrase_decider let through.
 */
class ranked_count_spy : public Xapian::MatchSpy {
  public:
    std::unordered_map<std::string, uint64_t> combined;
    uint64_t total = 0;

    void operator()(const Xapian::Document &doc, double) override
    {
        combined[doc.get_value(SLOT_FACETS)]++;
        total++;
    }
};

/* The counts of a ranked pass that looked at every match, checked against Xapian's own. */
counted_match counts_of_ranked_pass(const ranked_count_spy &spy, const Xapian::MSet &mset)
{
    if (mset.get_matches_lower_bound() != mset.get_matches_upper_bound() ||
        mset.get_matches_lower_bound() != spy.total)
        fail(DG_ERR_INTERNAL, "hit count is not exact");
    counted_match counted;
    counted.total = spy.total;
    split_facet_values(spy.combined, counted.facets);
    return counted;
}

/*
 * The counts of a broad query over a view of two or more levels, in two parts on two
 * threads: the last levels (about half the view's documents) on another thread, the rest on
 * this one. A count is the sum of its levels' (each shard is matched alone, shard_ids), so
 * the parts add up to the same total and facets. The levels are separate Xapian handles and
 * facet tables, so the threads share none; the other thread has its own copy of the query
 * (from its serialised form). A narrow query, or no thread to be had: counted here.
 */
counted_match count_in_two(dg_index *index, search_view &view, const Xapian::Query &query,
                           const std::string &serialised, search_deadline deadline)
{
    uint64_t docs = 0, candidates = 0;
    for (Xapian::Database &shard : view.shards) {
        docs += shard.get_doccount();
        candidates += bits_upper_bound(shard, query);
    }
    size_t cut = view.shards.size();
    for (uint64_t upper = 0; cut > 1 && upper * 2 < docs;)
        upper += view.shards[--cut].get_doccount();
    if (view.shards.size() < 2 || cut == 0 || candidates < index->split_count_min)
        return count_matches(index, view, query, deadline, &index->verdicts);
    search_view upper;
    upper.shards.assign(view.shards.begin() + (long)cut, view.shards.end());
    upper.levels.assign(view.levels.begin() + (long)cut, view.levels.end());
    std::future<counted_match> other;
    try {
        other = std::async(std::launch::async, [index, serialised, deadline,
                                                part = std::move(upper)]() mutable {
            Xapian::Query own =
                Xapian::Query::unserialise(serialised, query_registry(&index->verdicts));
            return count_matches(index, part, own, deadline, &index->verdicts);
        });
    } catch (const std::system_error &) {
        return count_matches(index, view, query, deadline, &index->verdicts);
    }
    search_view lower;
    lower.shards.assign(view.shards.begin(), view.shards.begin() + (long)cut);
    lower.levels.assign(view.levels.begin(), view.levels.begin() + (long)cut);
    counted_match counted = count_matches(index, lower, query, deadline, &index->verdicts);
    counted_match rest = other.get();
    index->counts_split++;
    counted.total += rest.total;
    for (int f = 0; f < 3; f++)
        for (const auto &kv : rest.facets[f])
            counted.facets[f][kv.first] += kv.second;
    return counted;
}

/*
 * Starts the counting pass of a read-only index on another thread, beside the ranked match:
 * it brings the counting handles of the viewer's levels to the main handles' revisions
 * (revisions, read by the caller: the main handles are busy on the caller's thread), makes
 * the viewer's view over them and counts. A grant holder's shard is left out: the caller
 * makes it for its ranked match and counts it there (grant_shard, made once a search).
 * Nothing else uses the counting handles or, until the caller has the answer, the facet
 * tables. The query is rebuilt from its serialised form, since Xapian's reference
 * counts are not atomic and the caller goes on using its own copy. Returns an invalid future
 * when no thread could be started (the caller then counts on its own thread).
 */
std::future<counted_match> count_beside(dg_index *index, const dg_index_viewer *viewer,
                                        const std::string &query, search_deadline deadline)
{
    dg_index_viewer who = *viewer;
    unsigned levels = read_levels(viewer);
    std::vector<Xapian::rev> revisions;
    for (int level = 0; level < N_LEVELS; level++)
        revisions.push_back(index->rdb[level].get_revision());
    try {
        /* Only the serialised query crosses threads: a Query made here and captured would be
         * copied and released on both threads, and its reference count is not atomic (a
         * lost release leaked the query, about one run in 20 of test_index). */
        return std::async(std::launch::async,
                          [index, who, levels, revisions, query, deadline]() {
            Xapian::Query own = Xapian::Query::unserialise(query, query_registry(&index->verdicts));
            Xapian::Database *dbs = counting_handles(index, levels, revisions);
            /* without a grant holder's shard: the caller counts that on its own (the shard is
             * made for each search, and made once that way) */
            search_view view =
                make_view(dbs, &who, true, false);
            complete_view(view, grant_needs());
            /* The budget counts from here, as the ranked pass's counts from after its view
             * was made: reading a grant holder's documents (granted_documents) is bounded by
             * their grants, not by the query, and is not what the budget stops. */
            return count_in_two(index, view, own, query,
                                deadline_in(deadline.seconds, deadline.cancelled));
        });
    } catch (const std::system_error &) {
        return std::future<counted_match>();
    }
}

/*
 * What a grant holder's shard must hold for a search (grant_needs): the terms of its queries
 * and its phrases' pair terms, the phrases' positions.
 */
grant_needs needs_of(const std::vector<const Xapian::Query *> &queries, const user_query &user)
{
    std::set<std::string> terms(user.pairs);
    for (const Xapian::Query *q : queries)
        for (Xapian::TermIterator t = q->get_unique_terms_begin(); t != q->get_unique_terms_end();
             ++t)
            terms.insert(*t);
    for (const auto &phrase : user.phrases)
        for (const auto &slot : phrase)
            terms.insert(slot.begin(), slot.end());
    grant_needs needs;
    needs.terms.assign(terms.begin(), terms.end());
    for (const auto &phrase : user.phrases) {
        std::vector<std::vector<size_t>> slots;
        for (const auto &slot : phrase) {
            slots.emplace_back();
            for (const std::string &t : slot)
                slots.back().push_back(
                    (size_t)(std::lower_bound(needs.terms.begin(), needs.terms.end(), t) -
                             needs.terms.begin()));
        }
        needs.phrases.push_back(std::move(slots));
    }
    return needs;
}

/* Whether the boolean filter f matches every document of db: a term every document holds,
 * an AND of such filters, or an OR with one. (Anything else: not known, so no.) */
bool matches_every_document(const Xapian::Query &f, const Xapian::Database &db)
{
    switch (f.get_type()) {
    case Xapian::Query::LEAF_MATCH_ALL:
        return true;
    case Xapian::Query::LEAF_TERM:
        return db.get_termfreq(*f.get_terms_begin()) == db.get_doccount();
    case Xapian::Query::OP_AND:
    case Xapian::Query::OP_OR: {
        bool any = false, all = true;
        for (size_t i = 0; i < f.get_num_subqueries(); i++) {
            bool every = matches_every_document(f.get_subquery(i), db);
            any = any || every;
            all = all && every;
        }
        return f.get_type() == Xapian::Query::OP_AND ? all : any;
    }
    default:
        return false;
    }
}

/*
 * The filters of a ranked match without the parts that match every document the view reads:
 * the viewer's visibility term where every document of their levels is a current version
 * (and their grant shard's too), as in an archive whose records have one version each. Such
 * a part changes no match and no weight (a filter weighs nothing), but Xapian walks its
 * posting list beside the query's: 12-14 ms of CPU of a broad query's 33-77 ms at 1M. What
 * decides it is the documents of the view alone (its levels' and grant shard's term counts).
 */
Xapian::Query filters_that_narrow(const Xapian::Query &filters, const search_view &view)
{
    auto everywhere = [&view](const Xapian::Query &f) {
        for (const Xapian::Database &shard : view.shards)
            if (!matches_every_document(f, shard))
                return false;
        return true;
    };
    if (everywhere(filters))
        return match_all();
    if (filters.get_type() != Xapian::Query::OP_AND)
        return filters;
    std::vector<Xapian::Query> kept;
    for (size_t i = 0; i < filters.get_num_subqueries(); i++)
        if (!everywhere(filters.get_subquery(i)))
            kept.push_back(filters.get_subquery(i));
    if (kept.empty())
        return match_all();
    return Xapian::Query(Xapian::Query::OP_AND, kept.begin(), kept.end());
}

/*
 * One attempt at a search over the current snapshot; may throw DatabaseModifiedError.
 * Counts are exact: every permitted match is visited once, unweighted, to count the total
 * and the facets, while the ranked match needs only its page of hits. On a read-only handle
 * the two passes run on two threads (both cores); the counts of this exact filtered query and
 * revision are remembered, so a repeated search or its next page runs the ranked pass only.
 */
void run_search(dg_index *index, const dg_index_viewer *viewer, const dg_index_query *q,
                const char *hl_start, const char *hl_end, dg_index_result *r)
{
    bool reader = index->mode == DG_INDEX_READ;
    Xapian::Database handles[N_LEVELS]; /* copies share the handle: cheap */
    for (int level = 0; level < N_LEVELS; level++)
        handles[level] = index->level_db(level);
    search_view view = make_view(handles, viewer, reader);
    search_deadline deadline = deadline_of(q);
    user_query user = parse_user_query(index, q->text);
    std::set<std::string> years; /* read only for a filter on years */
    if (q->year_from != 0 || q->year_to != 0) {
        take_grants(view, viewer, index->grants, reader, index->grant_copies); /* their years */
        years = view_years(view);
    }
    Xapian::Query filters = all_filters(years, viewer, q);
    /* Counted without the ranking boost, which changes no match and would only cost. */
    Xapian::Query query(Xapian::Query::OP_FILTER, user.counted, filters);
    bool decided = q->sort == DG_SORT_RELEVANCE && !user.ranked_checks.empty();
    Xapian::Query ranked(Xapian::Query::OP_FILTER, decided ? user.ranked_decided : user.ranked,
                         filters);
    const std::string key = query.serialise();
    const counted_match *cached = cached_counts(index, key, view.stamp);
    bool in_ranked = !cached && reader && q->sort == DG_SORT_RELEVANCE &&
                     user.ranked.get_type() != Xapian::Query::LEAF_MATCH_ALL &&
                     count_in_ranked_pass(view, query, index->inline_count_max);
    std::future<counted_match> counting;
    if (!cached && reader && !in_ranked)
        counting = count_beside(index, viewer, key, deadline);
    take_grants(view, viewer, index->grants, reader, index->grant_copies);
    grant_needs needs;
    if (view.granted)
        needs = needs_of({&query, &ranked}, user);
    complete_view(view, needs, viewer->user_id, reader ? &index->grant_shards : nullptr);
    Xapian::Database &db = view.db;
    Xapian::Query narrowing = filters_that_narrow(filters, view);
    ranked = narrowing.get_type() == Xapian::Query::LEAF_MATCH_ALL
                 ? (decided ? user.ranked_decided : user.ranked)
                 : Xapian::Query(Xapian::Query::OP_FILTER,
                                 decided ? user.ranked_decided : user.ranked, narrowing);

    size_t limit = q->limit < MAX_LIMIT ? q->limit : MAX_LIMIT;
    bool weightless = !in_ranked && reader && q->sort == DG_SORT_RELEVANCE &&
                      user.ranked.get_type() == Xapian::Query::LEAF_MATCH_ALL && limit > 0 &&
                      q->offset + limit <= WEIGHTLESS_PAGE_MAX;
    if (!weightless || !weightless_page(index, view, ranked, q->offset, limit,
                                        collect_highlight_terms(user.match), hl_start, hl_end,
                                        r)) {
        Xapian::Enquire enquire(db);
        enquire.set_query(ranked);
        configure_sort(enquire, q->sort);
        deadline_spy clock(deadline);
        enquire.add_matchspy(&clock);
        phrase_decider phrases(user.ranked_checks);
        ranked_count_spy every;
        if (in_ranked)
            enquire.add_matchspy(&every);
        Xapian::MSet mset = enquire.get_mset(q->offset, limit, in_ranked ? db.get_doccount() : 0,
                                             NULL, decided ? &phrases : NULL);
        fill_hits(index, mset, collect_highlight_terms(user.match), hl_start, hl_end, r);
        if (in_ranked) {
            counted_match counted = counts_of_ranked_pass(every, mset);
            fill_counts(counted, r);
            index->counts_made++;
            index->ranked_counts++;
            remember_counts(index, key, view.stamp, counted);
            return;
        }
    }
    if (cached) {
        fill_counts(*cached, r);
        return;
    }
    counted_match granted; /* the grant holder's shard's, when the other thread counts the rest */
    if (counting.valid() && view.granted) {
        search_view shard;
        shard.shards.push_back(view.shards.back());
        shard.levels.push_back(GRANT_SHARD);
        granted = count_matches(index, shard, query, deadline);
    }
    counted_match counted =
        counting.valid() ? counting.get() : count_matches(index, view, query, deadline);
    counted.total += granted.total;
    for (int f = 0; f < 3; f++)
        for (const auto &kv : granted.facets[f])
            counted.facets[f][kv.first] += kv.second;
    fill_counts(counted, r);
    index->counts_made++;
    remember_counts(index, key, view.stamp, counted);
}

/* ---- files ------------------------------------------------------------------------------ */

int remove_entry(const char *path, const struct stat *, int, struct FTW *)
{
    return remove(path);
}

void remove_tree(const std::string &path)
{
    struct stat st;
    if (lstat(path.c_str(), &st) != 0) {
        if (errno == ENOENT)
            return;
        fail(DG_ERR_IO, path + ": " + strerror(errno));
    }
    if (nftw(path.c_str(), remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
        fail(DG_ERR_IO, path + ": cannot remove: " + strerror(errno));
}

/* A rename is durable only once its directory is: fsync the parent folder. */
void sync_parent(const std::string &path)
{
    size_t slash = path.find_last_of('/');
    std::string parent = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
    int fd = open(parent.c_str(), O_RDONLY | O_DIRECTORY);
    if (fd < 0)
        fail(DG_ERR_IO, parent + ": " + strerror(errno));
    int rc = fsync(fd);
    int saved = errno;
    close(fd);
    if (rc != 0)
        fail(DG_ERR_IO, parent + ": fsync: " + strerror(saved));
}

/*
 * Exchanges the compacted folder with the live one in one step where the kernel can
 * (renameat2 RENAME_EXCHANGE), so a crash leaves either the old or the new index at path,
 * never none. Afterwards fresh holds the old files.
 */
void swap_folders(const std::string &live, const std::string &fresh)
{
    if (renameat2(AT_FDCWD, fresh.c_str(), AT_FDCWD, live.c_str(), RENAME_EXCHANGE) == 0)
        return;
    if (errno != EINVAL && errno != ENOSYS)
        fail(DG_ERR_IO, live + ": cannot swap in compacted index: " + strerror(errno));
    /* No exchange on this file system: two renames, with a brief window of no index. */
    std::string old = live + ".old";
    remove_tree(old);
    if (rename(live.c_str(), old.c_str()) != 0)
        fail(DG_ERR_IO, live + ": " + strerror(errno));
    if (rename(fresh.c_str(), live.c_str()) != 0)
        fail(DG_ERR_IO, fresh + ": " + strerror(errno));
    if (rename(old.c_str(), fresh.c_str()) != 0)
        fail(DG_ERR_IO, old + ": " + strerror(errno));
}

std::string level_path(const std::string &path, int level)
{
    return path + "/L" + std::to_string(level);
}

/* Whether path holds the one database of every level that dangan wrote before format 3. */
bool is_single_database(const std::string &path)
{
    return access((path + "/iamglass").c_str(), F_OK) == 0;
}

/* An empty database takes this version's format, and so does one of format 3 (see
 * FORMAT_STILL_READ); any other keeps what it has (readers refuse it until reindex). */
Xapian::WritableDatabase open_writable_level(const std::string &path, int action)
{
    Xapian::WritableDatabase db(path, action | Xapian::DB_BACKEND_GLASS);
    std::string format = db.get_metadata(FORMAT_KEY);
    if (format != FORMAT_VERSION && (db.get_doccount() == 0 || format == FORMAT_STILL_READ))
        db.set_metadata(FORMAT_KEY, FORMAT_VERSION);
    return db;
}

/*
 * Opens (creating when action allows) the five level databases under path. A writer opens
 * a folder that still holds a single database too (its level folders beside the old files),
 * so that reindex can replace it; readers refuse it (check_format).
 */
void open_writable(const std::string &path, int action, Xapian::WritableDatabase *dbs)
{
    if (action != Xapian::DB_OPEN && mkdir(path.c_str(), 0700) != 0 && errno != EEXIST)
        fail(DG_ERR_IO, path + ": " + strerror(errno));
    for (int level = 0; level < N_LEVELS; level++)
        dbs[level] = open_writable_level(level_path(path, level), action);
}

void close_writable(Xapian::WritableDatabase *dbs)
{
    for (int level = 0; level < N_LEVELS; level++)
        dbs[level].close();
}

void commit_all(Xapian::WritableDatabase *dbs)
{
    for (int level = 0; level < N_LEVELS; level++)
        dbs[level].commit();
}

void check_format(Xapian::Database &db, const std::string &path)
{
    std::string format = db.get_metadata(FORMAT_KEY);
    if (db.get_doccount() > 0 && format != FORMAT_VERSION && format != FORMAT_STILL_READ)
        fail(DG_ERR_INDEX, path + ": the index was built by an older dangan (format " +
                               (format.empty() ? std::string("1") : format) +
                               "); run `dangan reindex` to rebuild it");
}

/* A reader's open of the five level databases; an index of an older layout is refused. */
void open_levels(const std::string &path, Xapian::Database *dbs)
{
    if (is_single_database(path))
        fail(DG_ERR_INDEX, path + ": the index was built by an older dangan (one database for "
                                  "every access level); run `dangan reindex` to rebuild it");
    for (int level = 0; level < N_LEVELS; level++) {
        dbs[level] = Xapian::Database(level_path(path, level));
        check_format(dbs[level], level_path(path, level));
    }
}

/* A reader moves to the newest revision of every level (and to a swapped-in folder). */
void reopen_reader(dg_index *index, unsigned levels)
{
    if (index->mode != DG_INDEX_READ)
        return;
    follow_folder(index);
    for (int level = 0; level < N_LEVELS; level++)
        if (levels & 1u << level)
            index->rdb[level].reopen();
}

dg_index *require_writable(dg_index *index)
{
    if (index->mode != DG_INDEX_WRITE)
        fail(DG_ERR_USAGE, "the index was opened read-only");
    return index;
}

std::string what(const dg_index *index) { return "index " + index->path; }

/* A build's second builder (see build_helper): started by dg_index_build_open, stopped and
 * closed with its build, its half merged in by dg_index_build_swap. */
void start_helper(dg_index *build);
void close_helper(dg_index *index);
void commit_build(dg_index *index);
void merge_and_compact(dg_index *build, const std::string &out);

/* Where a compacted copy of the index at live_path is written before it is swapped in. */
std::string compacted_path(const char *live_path)
{
    return std::string(live_path) + ".compact";
}

/*
 * Runs work(level) for the five levels, the odd ones on a second thread (a compaction of
 * one level shares nothing with another's). The first failure is rethrown once both threads
 * are done; without a second thread (one core, or none to be had) it runs them in turn.
 */
template <class Work>
void on_two_threads(Work &&work)
{
    auto odd = [&] {
        for (int level = 1; level < N_LEVELS; level += 2)
            work(level);
    };
    std::future<void> other;
    if (std::thread::hardware_concurrency() >= 2) {
        try {
            other = std::async(std::launch::async, odd);
        } catch (const std::system_error &) {
        }
    }
    std::exception_ptr failed;
    try {
        for (int level = 0; level < N_LEVELS; level += 2)
            work(level);
        if (!other.valid())
            odd();
    } catch (...) {
        failed = std::current_exception();
    }
    if (other.valid()) {
        try {
            other.get();
        } catch (...) {
            if (!failed)
                failed = std::current_exception();
        }
    }
    if (failed)
        std::rethrow_exception(failed);
}

/* Makes the folder fresh a compaction writes into (removing whatever a crash in the middle
 * of an earlier run left there first). */
void make_compaction_folder(const std::string &fresh)
{
    remove_tree(fresh);
    if (mkdir(fresh.c_str(), 0700) != 0)
        fail(DG_ERR_IO, fresh + ": " + strerror(errno));
}

/* Writes the five level databases compacted into the folder fresh. */
void compact_levels(Xapian::WritableDatabase *dbs, const std::string &fresh)
{
    make_compaction_folder(fresh);
    on_two_threads([&](int level) {
        dbs[level].compact(level_path(fresh, level),
                           Xapian::DBCOMPACT_NO_RENUMBER | Xapian::Compactor::FULLER);
    });
}

} // namespace

/* ---- the C API ------------------------------------------------------------------------ */

/* A handle with only the folding state (dg_index_folder): no database is opened. */
struct dg_index_folder {
    dg_index *index = nullptr;
};

/* Lends index the folder's OpenCC converter and key set (read once when the folder opened),
 * so that opening a writer does not read OpenCC's tables again. */
static void borrow_folding(dg_index *index, dg_index_folder *folding)
{
    index->folder = folding->index->folder;
    index->folder_borrowed = true;
    index->script_active = folding->index->script_active;
    index->script_loaded = true;
}

extern "C" dg_status dg_index_open_folding(const char *path, int mode, dg_index_folder *folding,
                                          dg_index **out, dg_error *err)
{
    *out = NULL;
    if (!path || (mode != DG_INDEX_READ && mode != DG_INDEX_WRITE))
        return dg_error_set(err, DG_ERR_USAGE, "index: bad path or mode");
    dg_index *index = NULL;
    dg_status st = guarded(err, std::string("index ") + path, [&]() -> dg_status {
        index = new dg_index();
        index->path = path;
        index->mode = mode;
        index->folder = NULL;
        dg_error ferr;
        if (folding)
            borrow_folding(index, folding);
        else if (dg_folder_open(&index->folder, &ferr) != DG_OK)
            fail(ferr.status, ferr.msg);
        if (mode == DG_INDEX_WRITE)
            open_writable(path, Xapian::DB_CREATE_OR_OPEN, index->wdb);
        else
            open_levels(path, index->rdb);
        if (mode == DG_INDEX_READ) {
            if (!folder_identity(path, &index->folder_dev, &index->folder_ino))
                fail(DG_ERR_IO, std::string(path) + ": " + strerror(errno));
        }
        index->stemmer = Xapian::Stem("en");
        index->termgen.set_stemmer(index->stemmer);
        index->termgen.set_stemming_strategy(Xapian::TermGenerator::STEM_SOME);
        index->termgen.set_flags(Xapian::TermGenerator::FLAG_CJK_NGRAM);
        index->termgen.set_stopper(&index->stem_stopper);
        index->termgen.set_stopper_strategy(Xapian::TermGenerator::STOP_STEMMED);
        index->parser.set_stemmer(index->stemmer);
        index->parser.set_stemming_strategy(Xapian::QueryParser::STEM_SOME);
        index->parser.set_default_op(Xapian::Query::OP_AND);
        for (const field_prefix &f : FIELD_PREFIXES)
            index->parser.add_prefix(f.name, f.term_prefix);
        return DG_OK;
    });
    if (st != DG_OK) {
        dg_index_close(index);
        return st;
    }
    *out = index;
    return DG_OK;
}

extern "C" dg_status dg_index_open(const char *path, int mode, dg_index **out, dg_error *err)
{
    return dg_index_open_folding(path, mode, NULL, out, err);
}

extern "C" dg_index_state dg_index_folder_state(const char *path)
{
    std::string p = path ? path : "";
    if (is_single_database(p))
        return DG_INDEX_OLD_LAYOUT;
    for (int level = 0; level < N_LEVELS; level++)
        if (access((level_path(p, level) + "/iamglass").c_str(), F_OK) != 0)
            return DG_INDEX_ABSENT;
    return DG_INDEX_PRESENT;
}

extern "C" void dg_index_close(dg_index *index)
{
    if (!index)
        return;
    close_helper(index);
    /* close() commits a writable database's pending changes; its failure is not reportable
     * here, so callers who care commit first. */
    for (int level = 0; level < N_LEVELS; level++) {
        try {
            index->level_db(level).close();
        } catch (...) {
        }
    }
    if (!index->folder_borrowed)
        dg_folder_close(index->folder);
    delete index;
}

extern "C" dg_status dg_index_folder_open(dg_index_folder **out, dg_error *err)
{
    *out = NULL;
    std::unique_ptr<dg_index_folder> folder;
    dg_status st = guarded(err, "text folding", [&]() -> dg_status {
        folder.reset(new dg_index_folder());
        folder->index = new dg_index();
        folder->index->folder = NULL;
        dg_error ferr;
        if (dg_folder_open(&folder->index->folder, &ferr) != DG_OK)
            fail(ferr.status, ferr.msg);
        script_keys(folder->index);
        return DG_OK;
    });
    if (st != DG_OK) {
        dg_index_folder_close(folder.release());
        return st;
    }
    *out = folder.release();
    return DG_OK;
}

extern "C" dg_status dg_index_fold(dg_index_folder *folder, const char *text, size_t len,
                                   char **out, dg_error *err)
{
    *out = NULL;
    return guarded(err, "text folding", [&]() -> dg_status {
        std::string folded = fold_for_index(folder->index, std::string(text, strnlen(text, len)));
        *out = strdup(folded.c_str());
        if (!*out)
            throw std::bad_alloc();
        return DG_OK;
    });
}

extern "C" void dg_index_folder_close(dg_index_folder *folder)
{
    if (!folder)
        return;
    if (folder->index) {
        dg_folder_close(folder->index->folder);
        delete folder->index;
    }
    delete folder;
}

/* A fault injected at an index write (base/fault.h; test build only) fails it as Xapian
 * does when the disk does. */
static void maybe_inject(const char *point)
{
    if (dg_fault(point))
        throw Xapian::DatabaseError(std::string("cannot write: ") + std::strerror(errno));
}

namespace {

/*
 * How many new documents a build's level database holds in memory before it writes them
 * out (a commit, without sync in a build: BUILD_FLAGS). Xapian keeps a term's pending
 * postings in a std::map by document id, and adds each posting by a walk down that tree:
 * at Xapian's own threshold (10,000 documents a database) those walks were about 30% of a
 * 100,000-record reindex's CPU (perf), mostly cache misses, and the final commit held
 * everything not yet written. At 500 a 20,000-record build took 18% less CPU; the
 * documents written are the same.
 */
const unsigned BUILD_FLUSH = 500;

/*
 * The same for the live index, which ingest's index thread (engine/index_pipe.c) and the
 * index queue's flush write into: a batch of 4,000 records (the most one request carries)
 * of one level kept up to 4,000 pending documents in that level's database, since Xapian
 * writes out only every 10,000. Putting 4,000 bench records of one level took 4.5-5.1 s of
 * CPU against 7.2-7.6 s (load 27-30). Such a commit writes the level's database out
 * with its syncs: the puts only ever come after the catalog commit that filed those
 * versions (index_pipe.h), so what it makes durable is already filed, and a crash after it
 * only puts the queued versions again. Xapian would do the same at 10,000 on its own.
 */
const unsigned LIVE_FLUSH = 500;

/* Writes one document into index's databases (its text already folded). */
void write_document(dg_index *index, const dg_index_doc *doc, const folded_doc &folded)
{
    Xapian::Document xdoc = build_document(index, doc, folded);
    if (index->building && doc->version_id > index->highest_put) {
        index->wdb[doc->level].add_document(xdoc);
        index->highest_put = doc->version_id;
        if (++index->unflushed[doc->level] >= BUILD_FLUSH) {
            index->wdb[doc->level].commit();
            index->unflushed[doc->level] = 0;
        }
        return;
    }
    /* One version lives in its level's database only: a level change moves it (the
     * engine re-puts every version of a record whose level changed). */
    const std::string id = id_term(doc->version_id);
    for (int level = 0; level < N_LEVELS; level++)
        if (level == doc->level)
            index->wdb[level].replace_document(id, xdoc);
        else
            index->wdb[level].delete_document(id);
    /* The live index writes a level out every LIVE_FLUSH puts into it (see LIVE_FLUSH). */
    if (++index->unflushed[doc->level] >= LIVE_FLUSH) {
        index->wdb[doc->level].commit();
        index->unflushed[doc->level] = 0;
    }
}

void delete_term_everywhere(dg_index *index, const std::string &term)
{
    for (int level = 0; level < N_LEVELS; level++)
        index->wdb[level].delete_document(term);
}

/* ---- building on two cores ------------------------------------------------------------- */

/*
 * A rebuild (dg_index_build_open) writes on two cores: every other new version goes to a
 * second builder, which owns its own five level databases (folder P1 inside the build
 * folder), term generator and folder, on its own thread; dg_index_build_swap merges both
 * halves into the compacted index it swaps in. The caller's thread folds every document
 * first (fold_document), so a document refused for its own text is still refused by its own
 * dg_index_put; what the helper may fail at afterwards is the index itself (a full disk),
 * reported by the next call on the build. Deleting or re-putting a version goes to both
 * halves, in order, so the merged index holds exactly what one builder would have.
 */
struct build_op {
    enum { PUT, DELETE_TERM, COMMIT } kind = PUT;
    std::string term; /* DELETE_TERM: the version's or record's term */
    /* PUT: the document, its strings owned here (NULL fields stay NULL) */
    dg_index_doc doc = dg_index_doc();
    std::string text[9];
    std::vector<int64_t> grants;
    folded_doc folded;
};

/* Copies the caller's document, whose strings the caller may free after dg_index_put. */
build_op *own_document(const dg_index_doc *d, folded_doc &&folded)
{
    std::unique_ptr<build_op> op(new build_op());
    op->doc = *d;
    const char **fields[9] = {&op->doc.refcode, &op->doc.title, &op->doc.doc_number,
                              &op->doc.body, &op->doc.department, &op->doc.category,
                              &op->doc.record_type, &op->doc.period, &op->doc.date};
    for (int i = 0; i < 9; i++)
        if (*fields[i]) {
            op->text[i] = *fields[i];
            *fields[i] = op->text[i].c_str();
        }
    op->grants.assign(d->grants, d->grants + (d->grants ? d->n_grants : 0));
    op->doc.grants = op->grants.data();
    op->folded = std::move(folded);
    return op.release();
}

/* Operations waiting for the helper: enough to keep it busy while the caller reads the
 * next versions, few enough to bound the memory (about 5 KB each). */
const size_t HELPER_QUEUE = 64;

struct build_helper {
    dg_index *index = nullptr; /* the second half: its own databases and term generator */
    std::thread thread;
    std::mutex mutex;
    std::condition_variable changed;
    std::deque<std::unique_ptr<build_op>> queue;
    bool working = false, stopping = false;
    dg_status status = DG_OK; /* the helper's first failure, and its message */
    std::string msg;
};

void helper_run(build_helper *h)
{
    std::unique_lock<std::mutex> lock(h->mutex);
    for (;;) {
        h->changed.wait(lock, [h] { return h->stopping || !h->queue.empty(); });
        if (h->queue.empty())
            return;
        std::unique_ptr<build_op> op = std::move(h->queue.front());
        h->queue.pop_front();
        bool failed_before = h->status != DG_OK;
        h->working = true;
        lock.unlock();
        dg_error err;
        dg_status st = failed_before ? DG_OK : guarded(&err, what(h->index), [&] {
            if (op->kind == build_op::PUT)
                write_document(h->index, &op->doc, op->folded);
            else if (op->kind == build_op::DELETE_TERM)
                delete_term_everywhere(h->index, op->term);
            else
                commit_all(h->index->wdb);
            return DG_OK;
        });
        op.reset();
        lock.lock();
        h->working = false;
        if (st != DG_OK && h->status == DG_OK) {
            h->status = st;
            h->msg = err.msg;
        }
        h->changed.notify_all();
    }
}

void throw_helper_failure(build_helper *h)
{
    if (h->status != DG_OK)
        fail(h->status, "the second builder failed: " + h->msg);
}

/* Hands op to the helper, waiting while its queue is full. */
void helper_enqueue(build_helper *h, build_op *raw)
{
    std::unique_ptr<build_op> op(raw);
    std::unique_lock<std::mutex> lock(h->mutex);
    h->changed.wait(lock, [h] { return h->queue.size() < HELPER_QUEUE || h->status != DG_OK; });
    throw_helper_failure(h);
    h->queue.push_back(std::move(op));
    h->changed.notify_all();
}

/*
 * Whether the helper's queue has room for one more operation. New versions go
 * where there is a free core: the caller's thread also folds every document, so an even
 * split left the helper idle a third of the time; this way the helper always has work and
 * the caller writes what the helper cannot take yet.
 */
bool helper_has_room(build_helper *h)
{
    std::lock_guard<std::mutex> lock(h->mutex);
    throw_helper_failure(h);
    return h->queue.size() < HELPER_QUEUE; /* only the caller's thread adds to it */
}

/* Waits until the helper has done everything queued; its databases may then be used from
 * the caller's thread until the next operation is queued. */
void helper_drain(build_helper *h)
{
    std::unique_lock<std::mutex> lock(h->mutex);
    h->changed.wait(lock, [h] { return h->queue.empty() && !h->working; });
    throw_helper_failure(h);
}

/* Stops the helper's thread, dropping what is still queued (the build is then only to be
 * swapped, which drained it, or discarded). */
void helper_stop(build_helper *h)
{
    {
        std::lock_guard<std::mutex> lock(h->mutex);
        h->queue.clear();
        h->stopping = true;
        h->changed.notify_all();
    }
    if (h->thread.joinable())
        h->thread.join();
}

} // namespace

extern "C" dg_status dg_index_put(dg_index *index, const dg_index_doc *doc, dg_error *err)
{
    return guarded(err, what(index) + ": version " + std::to_string(doc->version_id), [&] {
        require_writable(index);
        maybe_inject("index.put");
        validate_doc(doc);
        folded_doc folded = fold_document(index, doc);
        build_helper *h = index->helper;
        if (h && doc->version_id > index->highest_put) {
            if (helper_has_room(h)) {
                helper_enqueue(h, own_document(doc, std::move(folded)));
                index->highest_put = doc->version_id;
                return DG_OK;
            }
        } else if (h) { /* a version put before: the helper may hold it */
            index->halves_deleted = true;
            build_op *gone = new build_op();
            gone->kind = build_op::DELETE_TERM;
            gone->term = id_term(doc->version_id);
            helper_enqueue(h, gone);
        }
        write_document(index, doc, folded);
        return DG_OK;
    });
}

/* Deletes every document holding term, in both halves of a build. */
static void delete_everywhere(dg_index *index, const std::string &term)
{
    if (index->helper) {
        index->halves_deleted = true;
        build_op *gone = new build_op();
        gone->kind = build_op::DELETE_TERM;
        gone->term = term;
        helper_enqueue(index->helper, gone);
    }
    delete_term_everywhere(index, term);
}

extern "C" dg_status dg_index_delete_version(dg_index *index, int64_t version_id, dg_error *err)
{
    return guarded(err, what(index) + ": version " + std::to_string(version_id), [&] {
        maybe_inject("index.delete");
        require_writable(index);
        delete_everywhere(index, id_term(version_id));
        return DG_OK;
    });
}

extern "C" dg_status dg_index_delete_record(dg_index *index, int64_t record_id, dg_error *err)
{
    return guarded(err, what(index) + ": record " + std::to_string(record_id), [&] {
        maybe_inject("index.delete");
        require_writable(index);
        delete_everywhere(index, record_term(record_id));
        return DG_OK;
    });
}

namespace {

/*
 * A build's databases are written without syncs and in place (DB_NO_SYNC, DB_DANGEROUS):
 * nothing reads them but the swap's compaction, which writes its own output and syncs it
 * before the exchange, and a build that dies is removed by the next one. Its commits and
 * Xapian's automatic flushes then neither wait for the disk nor copy changed blocks.
 */
const int BUILD_FLAGS = Xapian::DB_NO_SYNC | Xapian::DB_DANGEROUS;

void open_for_build(dg_index *index)
{
    close_writable(index->wdb);
    open_writable(index->path, Xapian::DB_CREATE_OR_OPEN | BUILD_FLAGS, index->wdb);
    index->building = true;
}

void start_helper(dg_index *build)
{
    if (std::thread::hardware_concurrency() < 2)
        return; /* one core: the caller's thread builds alone */
    dg_index *half = NULL;
    dg_error err;
    if (dg_index_open((build->path + "/P1").c_str(), DG_INDEX_WRITE, &half, &err) != DG_OK)
        fail(err.status, err.msg);
    try {
        open_for_build(half);
    } catch (...) {
        dg_index_close(half);
        throw;
    }
    build_helper *h = new build_helper();
    h->index = half;
    try {
        h->thread = std::thread(helper_run, h);
    } catch (const std::system_error &) { /* no thread to be had: build alone */
        dg_index_close(half);
        delete h;
        return;
    }
    build->helper = h;
}

void close_helper(dg_index *index)
{
    build_helper *h = index->helper;
    if (!h)
        return;
    helper_stop(h);
    dg_index_close(h->index);
    delete h;
    index->helper = nullptr;
}

/* Commits both halves of a build, the helper's on its own thread at the same time (a
 * commit writes out every posting held in memory since the last one: most of a swap). */
void commit_build(dg_index *index)
{
    if (index->helper) {
        build_op *commit = new build_op();
        commit->kind = build_op::COMMIT;
        helper_enqueue(index->helper, commit);
    }
    commit_all(index->wdb);
    if (index->helper)
        helper_drain(index->helper);
}

/*
 * Copies every document of the helper's half of one level into the build's own database
 * (terms, positions, values and data as they are), for merge_and_compact.
 */
void copy_helper_level(dg_index *build, int level)
{
    Xapian::Database half(level_path(build->helper->index->path, level));
    Xapian::WritableDatabase &into = build->wdb[level];
    for (Xapian::PostingIterator p = half.postlist_begin(""); p != half.postlist_end(""); ++p)
        into.add_document(half.get_document(*p));
}

/*
 * Writes the build's level databases, merged with its helper's half, compacted into the
 * folder out. Document ids are renumbered (the halves' overlap); nothing depends on them
 * (ties rank by version id, SLOT_VERSION). Metadata (the format, the synonym table's stamp)
 * and synonyms are the caller's half's: the helper's half has none of its own.
 *
 * Xapian 1.4.22's compaction of several sources is only sound when no source has deleted
 * documents: otherwise a merged posting list's chunk is not marked as its last one, and a
 * match that skips in it (BoolWeight, docid order: our counting pass) fails with
 * "DatabaseCorruptError: Unexpected end of posting list" (renumbered or not; plain
 * iteration still works). A reindex only ever appends, so its halves merge in one
 * compaction; a build that put a version again or deleted one (never a reindex, but the
 * API allows it) copies the helper's documents into its own half instead, paying the
 * indexing of that half once more, and compacts that one source.
 */
void merge_and_compact(dg_index *build, const std::string &out)
{
    if (build->helper && build->halves_deleted) {
        for (int level = 0; level < N_LEVELS; level++)
            copy_helper_level(build, level);
        commit_all(build->wdb);
    }
    if (!build->helper || build->halves_deleted) {
        compact_levels(build->wdb, out);
        return;
    }
    make_compaction_folder(out);
    on_two_threads([&](int level) {
        /* Read through fresh handles on what both halves committed. */
        Xapian::Database both(level_path(build->path, level));
        both.add_database(Xapian::Database(level_path(build->helper->index->path, level)));
        both.compact(level_path(out, level), Xapian::Compactor::FULLER);
    });
}

} // namespace

extern "C" dg_status dg_index_commit(dg_index *index, dg_error *err)
{
    return guarded(err, what(index), [&] {
        maybe_inject("index.commit");
        require_writable(index);
        /* Not atomic across the five databases: a crash between two commits leaves a moved
         * version in both or neither. The engine clears its index queue only after this
         * returns, so the next writer puts the queued versions again (put removes a version
         * from every other level), and verify compares every level with the catalog. */
        commit_build(index);
        std::fill(index->unflushed, index->unflushed + N_LEVELS, 0u);
        return DG_OK;
    });
}

/*
 * Overwriting starts an empty database in place; deleting documents one by one would take
 * minutes on a large archive. Our own lock is let go for the moment in between.
 */
extern "C" dg_status dg_index_clear(dg_index *index, dg_error *err)
{
    return guarded(err, what(index), [&] {
        require_writable(index);
        close_writable(index->wdb);
        open_writable(index->path, Xapian::DB_CREATE_OR_OVERWRITE, index->wdb);
        return DG_OK;
    });
}

/* A synonym as the query sees it: folded (simplified script, ASCII width), lower case, single
 * spaces; refused when it holds anything but letters, digits, spaces and hyphens, which the
 * query rewrite would read as syntax. */
std::string synonym_term(dg_index *index, const char *text)
{
    std::string folded = fold_text(index, text ? text : "");
    std::string out;
    for (const utf8_char &c : utf8_decode(folded)) {
        if (is_space(c.cp)) {
            if (!out.empty() && out.back() != ' ')
                out += ' ';
        } else if (Xapian::Unicode::is_wordchar(c.cp) || c.cp == '-') {
            utf8_append(out, Xapian::Unicode::tolower(c.cp));
        } else {
            fail(DG_ERR_USAGE, "synonym '" + std::string(text) +
                                   "' may hold only letters, digits, spaces and hyphens");
        }
    }
    while (!out.empty() && out.back() == ' ')
        out.pop_back();
    if (out.empty() || out.size() > MAX_FILTER_VALUE)
        fail(DG_ERR_USAGE, "synonym '" + std::string(text ? text : "") +
                               "' is empty or longer than 200 bytes");
    return out;
}

extern "C" dg_status dg_index_set_synonyms(dg_index *index, const char *const *pairs,
                                           size_t n_pairs, const char *stamp, dg_error *err)
{
    return guarded(err, what(index) + ": synonyms", [&] {
        require_writable(index);
        std::vector<std::pair<std::string, std::string>> folded;
        for (size_t i = 0; i < n_pairs; i++) {
            std::string a = synonym_term(index, pairs[2 * i]);
            std::string b = synonym_term(index, pairs[2 * i + 1]);
            if (a != b)
                folded.emplace_back(a, b);
        }
        std::vector<std::string> keys;
        Xapian::WritableDatabase &meta = index->wdb[0];
        for (Xapian::TermIterator k = meta.synonym_keys_begin(); k != meta.synonym_keys_end(); ++k)
            keys.push_back(*k);
        for (const std::string &k : keys)
            meta.clear_synonyms(k);
        for (const auto &p : folded) {
            meta.add_synonym(p.first, p.second);
            meta.add_synonym(p.second, p.first);
        }
        meta.set_metadata(SYNONYMS_KEY, stamp ? stamp : "");
        return DG_OK;
    });
}

extern "C" dg_status dg_index_synonym_forms(const char *const *words, size_t n, char **out,
                                            dg_error *err)
{
    for (size_t i = 0; i < n; i++)
        out[i] = NULL;
    dg_index scratch; /* only its folder: synonym_term folds with it */
    scratch.path = "synonyms";
    scratch.mode = DG_INDEX_READ;
    scratch.folder = NULL;
    dg_status st = guarded(err, "synonyms", [&] {
        dg_error ferr;
        if (dg_folder_open(&scratch.folder, &ferr) != DG_OK)
            fail(ferr.status, ferr.msg);
        for (size_t i = 0; i < n; i++)
            out[i] = copy_string(synonym_term(&scratch, words[i]));
        return DG_OK;
    });
    dg_folder_close(scratch.folder);
    if (st != DG_OK)
        for (size_t i = 0; i < n; i++) {
            free(out[i]);
            out[i] = NULL;
        }
    return st;
}

extern "C" dg_status dg_index_synonyms_stamp(dg_index *index, char **stamp, dg_error *err)
{
    *stamp = NULL;
    return guarded(err, what(index), [&] {
        *stamp = copy_string(index->meta().get_metadata(SYNONYMS_KEY));
        return DG_OK;
    });
}

extern "C" dg_status dg_index_doc_count(dg_index *index, uint64_t *count, dg_error *err)
{
    *count = 0;
    return guarded(err, what(index), [&] {
        reopen_reader(index, ALL_LEVELS);
        for (int level = 0; level < N_LEVELS; level++)
            *count += index->level_db(level).get_doccount();
        return DG_OK;
    });
}

extern "C" dg_status dg_index_check_serialise(dg_index *index, uint64_t *documents,
                                              dg_error *err)
{
    *documents = 0;
    return guarded(err, what(index), [&] {
        for (int level = 0; level < N_LEVELS; level++) {
            Xapian::Database &db = index->level_db(level);
            for (Xapian::PostingIterator p = db.postlist_begin(""); p != db.postlist_end("");
                 ++p) {
                Xapian::Document doc = db.get_document(*p);
                if (serialise_document(doc) != doc.serialise())
                    fail(DG_ERR_INTERNAL, "level " + std::to_string(level) + " document " +
                                              std::to_string(*p) +
                                              ": serialised unlike Xapian");
                ++*documents;
            }
        }
        return DG_OK;
    });
}

extern "C" uint64_t dg_index_grant_copies(const dg_index *index)
{
    return index->grant_copies.load();
}

extern "C" uint64_t dg_index_weightless_pages(const dg_index *index)
{
    return index->weightless_pages;
}

extern "C" uint64_t dg_index_ranked_counts(const dg_index *index)
{
    return index->ranked_counts;
}

extern "C" uint64_t dg_index_counts_made(const dg_index *index)
{
    return index->counts_made;
}

extern "C" void dg_index_set_split_counts(dg_index *index, uint64_t min_candidates)
{
    index->split_count_min = min_candidates;
}

extern "C" void dg_index_set_inline_counts(dg_index *index, uint64_t max_candidates)
{
    index->inline_count_max = max_candidates;
}

extern "C" uint64_t dg_index_counts_split(const dg_index *index)
{
    return index->counts_split;
}

extern "C" dg_status dg_index_compact(dg_index *index, dg_error *err)
{
    return guarded(err, what(index), [&] {
        require_writable(index);
        std::string fresh = compacted_path(index->path.c_str());
        remove_tree(fresh); /* left over from a crash in the middle of an earlier run */
        maybe_inject("index.commit");
        commit_all(index->wdb);
        compact_levels(index->wdb, fresh);
        close_writable(index->wdb);
        swap_folders(index->path, fresh);
        sync_parent(index->path);
        open_writable(index->path, Xapian::DB_OPEN, index->wdb);
        remove_tree(fresh);
        return DG_OK;
    });
}

/*
 * The fresh index is built in "<live>.build" beside the live folder; whatever a killed or
 * failed earlier build left there is removed first.
 */
extern "C" dg_status dg_index_build_open(const char *live_path, dg_index **out, dg_error *err)
{
    *out = NULL;
    std::string fresh = std::string(live_path ? live_path : "") + ".build";
    dg_status st = guarded(err, "index " + fresh, [&] {
        if (!live_path)
            fail(DG_ERR_USAGE, "no index path");
        remove_tree(fresh);
        remove_tree(compacted_path(live_path));
        return DG_OK;
    });
    if (st != DG_OK)
        return st;
    st = dg_index_open(fresh.c_str(), DG_INDEX_WRITE, out, err);
    if (st != DG_OK)
        return st;
    st = guarded(err, "index " + fresh, [&] {
        open_for_build(*out);
        start_helper(*out);
        return DG_OK;
    });
    if (st != DG_OK) {
        dg_index_build_discard(*out);
        *out = NULL;
    }
    return st;
}

/*
 * The same exchange as compaction: the fresh folder takes the live one's place in one
 * rename, so a reader (which follows the folder, see follow_folder) meets either the whole
 * old index or the whole new one. The live handle is closed for the exchange and reopened
 * on the new folder, also when the exchange fails.
 */
extern "C" dg_status dg_index_build_swap(dg_index *live, dg_index *fresh, dg_error *err)
{
    return guarded(err, what(live), [&] {
        require_writable(live);
        require_writable(fresh);
        commit_build(fresh);
        /* A database filled by one writer leaves its B-tree blocks part empty (the postlist
         * table about half); the compacted copy fills them, and is what goes live. */
        const std::string packed = compacted_path(live->path.c_str());
        merge_and_compact(fresh, packed);
        close_helper(fresh);
        close_writable(fresh->wdb);
        remove_tree(fresh->path);
        commit_all(live->wdb);
        close_writable(live->wdb);
        try {
            swap_folders(live->path, packed);
            sync_parent(live->path);
        } catch (...) {
            open_writable(live->path, Xapian::DB_CREATE_OR_OPEN, live->wdb);
            throw;
        }
        open_writable(live->path, Xapian::DB_OPEN, live->wdb);
        remove_tree(packed); /* the old index: nothing may read it any more */
        return DG_OK;
    });
}

extern "C" void dg_index_build_discard(dg_index *fresh)
{
    if (!fresh)
        return;
    std::string path = fresh->path;
    dg_index_close(fresh);
    dg_error ignored;
    guarded(&ignored, path, [&] {
        remove_tree(path);
        return DG_OK;
    });
}

extern "C" dg_status dg_index_list_versions(dg_index *index, dg_index_entry **out, size_t *n,
                                            uint64_t *documents, dg_error *err)
{
    *out = NULL;
    *n = 0;
    *documents = 0;
    std::vector<dg_index_entry> entries;
    dg_status st = guarded(err, what(index), [&] {
        reopen_reader(index, ALL_LEVELS);
        const std::string prefix = "Q";
        std::map<int64_t, uint32_t> copies; /* a version in two levels counts twice */
        for (int level = 0; level < N_LEVELS; level++) {
            Xapian::Database &db = index->level_db(level);
            for (Xapian::TermIterator t = db.allterms_begin(prefix);
                 t != db.allterms_end(prefix); ++t) {
                const std::string term = *t;
                char *end = NULL;
                long long id = strtoll(term.c_str() + prefix.size(), &end, 10);
                if (!end || *end != '\0' || id <= 0)
                    continue; /* not a version id term */
                copies[(int64_t)id] += (uint32_t)t.get_termfreq();
            }
            *documents += db.get_doccount();
        }
        for (const auto &kv : copies)
            entries.push_back(dg_index_entry{kv.first, kv.second});
        return DG_OK;
    });
    if (st != DG_OK)
        return st;
    *out = (dg_index_entry *)malloc((entries.empty() ? 1 : entries.size()) * sizeof **out);
    if (!*out)
        return dg_error_set(err, DG_ERR_NOMEM, "%s: out of memory", what(index).c_str());
    std::copy(entries.begin(), entries.end(), *out);
    *n = entries.size();
    return DG_OK;
}

extern "C" dg_status dg_index_search(dg_index *index, const dg_index_viewer *viewer,
                                     const dg_index_query *query, const char *hl_start,
                                     const char *hl_end, dg_index_result **out, dg_error *err)
{
    *out = NULL;
    if (!viewer || !query)
        return dg_error_set(err, DG_ERR_USAGE, "index search: viewer and query are required");
    const char *hs = hl_start ? hl_start : "", *he = hl_end ? hl_end : "";
    dg_index_result *result = NULL;
    dg_status st = guarded(err, "search", [&]() -> dg_status {
        validate_search(viewer, query);
        for (int attempt = 0;; attempt++) {
            result = (dg_index_result *)calloc(1, sizeof *result);
            if (!result)
                throw std::bad_alloc();
            try {
                /* Cheap when nothing was committed since; reopening can itself meet a
                 * revision the writer has discarded meanwhile, so it is retried too. */
                reopen_reader(index, read_levels(viewer));
                run_search(index, viewer, query, hs, he, result);
                return DG_OK;
            } catch (const Xapian::DatabaseModifiedError &) {
                dg_index_result_free(result);
                result = NULL;
                if (attempt + 1 >= READ_RETRIES)
                    throw;
                pause_ms(1 << attempt);
            }
        }
    });
    if (st != DG_OK) {
        dg_index_result_free(result);
        return st;
    }
    *out = result;
    return DG_OK;
}

static void free_facets(dg_facet_count *facets, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(facets[i].value);
    free(facets);
}

extern "C" void dg_index_result_free(dg_index_result *result)
{
    if (!result)
        return;
    for (size_t i = 0; i < result->n_hits; i++)
        free(result->hits[i].snippet);
    free(result->hits);
    free_facets(result->by_category, result->n_category);
    free_facets(result->by_year, result->n_year);
    free_facets(result->by_period, result->n_period);
    free(result);
}

/*
 * A copy of the ranges of CJK::codepoint_is_cjk in Xapian 1.4 (queryparser/cjk-tokenizer.cc,
 * the same from 1.4.0 to 1.4.22; later releases call it is_unbroken_script and add scripts):
 * Xapian does not export it, and the shim must split text exactly where the index did.
 * tests/unit/test_cjk_ranges.cc checks it against what the installed Xapian's TermGenerator
 * does with every code point, so an upgrade that moves the ranges fails the tests.
 */
extern "C" int dg_index_is_cjk(uint32_t cp)
{
    return (cp >= 0x2E80 && cp <= 0x2EFF) || (cp >= 0x3000 && cp <= 0x9FFF) ||
           (cp >= 0xA700 && cp <= 0xA71F) || (cp >= 0xAC00 && cp <= 0xD7AF) ||
           (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0xFE30 && cp <= 0xFE4F) ||
           (cp >= 0xFF00 && cp <= 0xFFEF) || (cp >= 0x20000 && cp <= 0x2A6DF) ||
           (cp >= 0x2F800 && cp <= 0x2FA1F);
}
