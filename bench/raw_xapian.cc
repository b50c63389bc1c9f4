/*
 * bench/raw_xapian.cc — the baseline for bench/search: the same query mix straight against
 * Xapian on an index that bench/search built, without dangan's layer (no folding, no
 * permission filter, no exact counts, no facets, no snippets; 10 hits with their data).
 *
 *   make bench && build/bench/raw_xapian /tmp/dg-bench-XXXXXX/index
 *
 * A benchmark program, not library code: it prints, and it lets Xapian errors end it.
 */
#include <xapian.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

#include "bench/corpus.h"

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: raw_xapian INDEX-FOLDER\n");
        return 2;
    }
    try {
        Xapian::Database db(argv[1]);
        Xapian::QueryParser parser;
        parser.set_stemmer(Xapian::Stem("en"));
        parser.set_stemming_strategy(Xapian::QueryParser::STEM_SOME);
        parser.set_default_op(Xapian::Query::OP_AND);
        parser.add_prefix("title", "S");
        std::vector<double> samples;
        for (int round = 0; round < 60; round++) {
            for (size_t q = 0; q < BENCH_N_QUERIES; q++) {
                auto t0 = std::chrono::steady_clock::now();
                Xapian::Enquire enquire(db);
                enquire.set_query(parser.parse_query(
                    BENCH_QUERIES[q],
                    Xapian::QueryParser::FLAG_DEFAULT | Xapian::QueryParser::FLAG_CJK_NGRAM));
                Xapian::MSet mset = enquire.get_mset(0, 10);
                for (Xapian::MSetIterator m = mset.begin(); m != mset.end(); ++m)
                    (void)m.get_document().get_data();
                samples.push_back(std::chrono::duration<double, std::milli>(
                                      std::chrono::steady_clock::now() - t0)
                                      .count());
            }
        }
        std::sort(samples.begin(), samples.end());
        size_t n = samples.size();
        printf("raw xapian             p50 %6.2f ms  p99 %6.2f ms  max %6.2f ms\n",
               samples[n / 2], samples[n * 99 / 100], samples[n - 1]);
    } catch (const Xapian::Error &e) {
        fprintf(stderr, "raw_xapian: %s\n", e.get_description().c_str());
        return 1;
    }
    return 0;
}
