/*
 * bench/index_dump.cc — every document of an index folder's five level databases, as text,
 * so that two builds' indexes of the same records can be compared byte for byte (a change
 * meant to make indexing cheaper must not change what is indexed; bench/query_dump compares
 * what searches return).
 *
 *   build/bench/index_dump INDEX [--ids] > dump
 *
 * For each level L0..L4, its document count, then each document in version id order (the
 * value of its Q term): length, every term with its wdf and positions, every value in hex
 * (the stamp among them), and the data's length and bytes in hex. Document ids are left out
 * unless --ids is given: a rebuild shares versions between two builders by which is free, so
 * its ids differ from run to run while its documents do not; ingest's are the same.
 */
#include <xapian.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

static void print_hex(const std::string &bytes)
{
    for (unsigned char c : bytes)
        printf("%02x", c);
}

static void print_document(const Xapian::Database &db, Xapian::docid id, bool ids)
{
    Xapian::Document doc = db.get_document(id);
    if (ids)
        printf("doc %u ", id);
    printf("length %u\n", db.get_doclength(id));
    for (Xapian::TermIterator t = doc.termlist_begin(); t != doc.termlist_end(); ++t) {
        printf(" term %s wdf %u", (*t).c_str(), t.get_wdf());
        for (Xapian::PositionIterator p = t.positionlist_begin(); p != t.positionlist_end(); ++p)
            printf(" %u", *p);
        printf("\n");
    }
    for (Xapian::ValueIterator v = doc.values_begin(); v != doc.values_end(); ++v) {
        printf(" value %u ", v.get_valueno());
        print_hex(*v);
        printf("\n");
    }
    std::string data = doc.get_data();
    printf(" data %zu ", data.size());
    print_hex(data);
    printf("\n");
}

/* The version id of a document: its Q term's number, or -1 when it has none. */
static long long version_of(const Xapian::Database &db, Xapian::docid id)
{
    Xapian::TermIterator t = db.termlist_begin(id);
    t.skip_to("Q");
    if (t == db.termlist_end(id) || (*t).empty() || (*t)[0] != 'Q')
        return -1;
    return std::atoll((*t).c_str() + 1);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: index_dump INDEX [--ids]\n");
        return 2;
    }
    bool ids = argc > 2 && strcmp(argv[2], "--ids") == 0;
    try {
        for (int level = 0; level < 5; level++) {
            Xapian::Database db(std::string(argv[1]) + "/L" + std::to_string(level));
            printf("level %d documents %u\n", level, db.get_doccount());
            std::vector<std::pair<long long, Xapian::docid>> order;
            for (Xapian::PostingIterator p = db.postlist_begin(""); p != db.postlist_end("");
                 ++p)
                order.emplace_back(version_of(db, *p), *p);
            std::sort(order.begin(), order.end());
            for (const auto &doc : order)
                print_document(db, doc.second, ids);
        }
    } catch (const Xapian::Error &e) {
        fprintf(stderr, "index_dump: %s: %s\n", argv[1], e.get_description().c_str());
        return 1;
    }
    return 0;
}
