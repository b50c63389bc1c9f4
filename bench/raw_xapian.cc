/*
 * bench/raw_xapian.cc — the baseline for bench/search: the same query mix straight against
 * Xapian on the index that bench/search built, without dangan's layer, in three flavours:
 *
 * Every flavour parses the queries as dangan hands them to Xapian (BENCH_QUERIES_AS_PARSED:
 * already folded and rewritten), so both sides match the same documents.
 *
 *   plain      top 10 hits with their data; no permission filter, no exact count, no
 *              facets (what a bare Xapian search costs);
 *   filtered   the same permission filter as dangan (its visibility terms, index.h's rule),
 *              run with check_at_least = all documents so the total is exact;
 *   + facets   filtered, plus exact category/year/period counts the idiomatic Xapian way
 *              (three ValueCountMatchSpy), i.e. the same work dangan does minus query
 *              folding, validation, snippets and the catalog.
 *
 * The "filtered" and "+ facets" rows run as the same three viewers as bench/search.
 *
 *   make bench && build/bench/raw_xapian /tmp/dg-bench-XXXXXX/index
 *   build/bench/raw_xapian INDEX-FOLDER --top10 QUERY...
 *
 * The second form runs only the plain flavour, on the queries given (already as dangan
 * hands them to Xapian): bench/scale uses it for its selective queries.
 *
 * The filter terms (XVC<clearance>, XGRANT<user id>, XCURRENT) and value slots (0 category,
 * 1 year, 2 period) are the layout documented at the top of index/xapian_shim.cc.
 *
 * A benchmark program, not library code: it prints, and it lets Xapian errors end it.
 */
#include <xapian.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>
#include <vector>

#include "bench/corpus.h"

namespace {

const int ROUNDS = 30;

size_t facet_values_seen = 0;

struct viewer {
    const char *name;
    int user_id, clearance;
};

const viewer VIEWERS[] = {{"staff (clearance 1)", 1, 1},
                          {"head (clearance 2)", 2, 2},
                          {"leader (clearance 4)", 3, 4}};

enum flavour { PLAIN, FILTERED, FACETED };

/* Current versions the viewer may see: the one visibility term, or a level-4 grant. */
Xapian::Query permission_filter(const viewer &v)
{
    Xapian::Query visible("XVC" + std::to_string(v.clearance));
    if (v.clearance == 4)
        return visible;
    Xapian::Query granted(Xapian::Query::OP_AND,
                          Xapian::Query("XGRANT" + std::to_string(v.user_id)),
                          Xapian::Query("XCURRENT"));
    return Xapian::Query(Xapian::Query::OP_OR, visible, granted);
}

double cpu_ms()
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Runs one query; returns its wall time and adds its CPU time to *cpu. */
double run_one(Xapian::Database &db, Xapian::QueryParser &parser, const char *text,
               const viewer &v, flavour how, Xapian::doccount *total, double *cpu)
{
    double c0 = cpu_ms();
    auto t0 = std::chrono::steady_clock::now();
    Xapian::Query query = parser.parse_query(
        text, Xapian::QueryParser::FLAG_DEFAULT | Xapian::QueryParser::FLAG_CJK_NGRAM);
    if (how != PLAIN)
        query = Xapian::Query(Xapian::Query::OP_FILTER, query, permission_filter(v));
    Xapian::Enquire enquire(db);
    enquire.set_query(query);
    Xapian::ValueCountMatchSpy by_category(0), by_year(1), by_period(2);
    if (how == FACETED) {
        enquire.add_matchspy(&by_category);
        enquire.add_matchspy(&by_year);
        enquire.add_matchspy(&by_period);
    }
    Xapian::MSet mset = how == PLAIN ? enquire.get_mset(0, 10)
                                     : enquire.get_mset(0, 10, db.get_doccount());
    for (Xapian::MSetIterator m = mset.begin(); m != mset.end(); ++m)
        (void)m.get_document().get_data();
    size_t facets = 0;
    if (how == FACETED) {
        for (Xapian::ValueCountMatchSpy *spy : {&by_category, &by_year, &by_period})
            for (Xapian::TermIterator t = spy->values_begin(); t != spy->values_end(); ++t)
                facets += t.get_termfreq() > 0;
    }
    *total = mset.get_matches_estimated();
    facet_values_seen += facets; /* so the reads cannot be optimised away */
    double wall = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                      .count();
    *cpu = cpu_ms() - c0;
    return wall;
}

void print_percentiles(const char *what, std::vector<double> &samples)
{
    std::sort(samples.begin(), samples.end());
    size_t n = samples.size();
    printf("  %s p50 %6.2f p99 %6.2f max %6.2f ms", what, samples[n / 2], samples[n * 99 / 100],
           samples[n - 1]);
}

void measure(Xapian::Database &db, Xapian::QueryParser &parser, const char *name,
             const viewer &v, flavour how, const char *const *queries = BENCH_QUERIES_AS_PARSED,
             size_t n_queries = BENCH_N_QUERIES)
{
    std::vector<double> wall, cpu;
    unsigned long long hits = 0;
    for (int round = 0; round < ROUNDS; round++) {
        for (size_t q = 0; q < n_queries; q++) {
            Xapian::doccount total = 0;
            double c = 0;
            wall.push_back(run_one(db, parser, queries[q], v, how, &total, &c));
            cpu.push_back(c);
            hits += total;
        }
    }
    printf("%-34s", name);
    print_percentiles("wall", wall);
    print_percentiles("cpu", cpu);
    printf("  (avg total %llu)\n", hits / wall.size());
}

} // namespace

int main(int argc, char **argv)
{
    bool top10 = argc > 3 && std::string(argv[2]) == "--top10";
    if (argc != 2 && !top10) {
        fprintf(stderr, "usage: raw_xapian INDEX-FOLDER [--top10 QUERY...]\n");
        return 2;
    }
    try {
        /* dangan's index is one database per access level (index/xapian_shim.cc): raw
         * Xapian reads them all combined, as one unrestricted database. */
        Xapian::Database db;
        for (int level = 0; level < 5; level++)
            db.add_database(Xapian::Database(std::string(argv[1]) + "/L" + std::to_string(level)));
        Xapian::QueryParser parser;
        parser.set_stemmer(Xapian::Stem("en"));
        parser.set_stemming_strategy(Xapian::QueryParser::STEM_SOME);
        parser.set_default_op(Xapian::Query::OP_AND);
        parser.add_prefix("title", "S");
        if (top10) {
            /* The exact number of matches, untimed: that both sides match the same
             * documents can be checked against dangan's totals at clearance 4. */
            unsigned long long exact = 0;
            for (int q = 3; q < argc; q++) {
                Xapian::Enquire enquire(db);
                enquire.set_query(parser.parse_query(
                    argv[q], Xapian::QueryParser::FLAG_DEFAULT |
                                 Xapian::QueryParser::FLAG_CJK_NGRAM));
                exact += enquire.get_mset(0, 0, db.get_doccount()).get_matches_estimated();
            }
            printf("raw exact avg total %llu\n", exact / (unsigned long long)(argc - 3));
            measure(db, parser, "raw plain (given queries, top 10)", VIEWERS[2], PLAIN, argv + 3,
                    (size_t)(argc - 3));
            return 0;
        }
        measure(db, parser, "raw plain (no filter, top 10)", VIEWERS[2], PLAIN);
        for (const viewer &v : VIEWERS) {
            std::string name = std::string("raw filtered ") + v.name;
            measure(db, parser, name.c_str(), v, FILTERED);
        }
        for (const viewer &v : VIEWERS) {
            std::string name = std::string("raw +facets ") + v.name;
            measure(db, parser, name.c_str(), v, FACETED);
        }
    } catch (const Xapian::Error &e) {
        fprintf(stderr, "raw_xapian: %s\n", e.get_description().c_str());
        return 1;
    }
    return 0;
}
