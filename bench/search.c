/*
 * bench/search.c — indexing rate and search latency of the full-text index (index/index.h).
 *
 * Builds N (default 100,000) generated one-page records of Chinese and English
 * administrative text in a temporary folder, reports records indexed per second, then runs
 * a fixed query mix as three viewers (public staff, a department head, a secret-cleared
 * leader) and prints p50/p99 latency of dg_index_search with 10 hits and snippets.
 *
 *   make bench && build/bench/search [N [INDEX-FOLDER]]
 *
 * Every tenth level-4 record grants the staff viewer (user 1), so the grant branch of the
 * permission filter is exercised too. The index is left behind for bench/raw_xapian, which
 * runs the same queries straight against Xapian (plain, and with the same filter, exact
 * counts and facets), so dangan's overhead can be read as a ratio.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <ftw.h>
#include <sys/stat.h>

#include "bench/corpus.h"
#include "index/index.h"

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int die(const dg_error *err)
{
    fprintf(stderr, "bench: %s\n", err->msg);
    return 1;
}

static int build(dg_index *index, int n, dg_error *err)
{
    char title[256], number[64], body[4096], ref[64];
    int64_t grant = 1;
    double start = now_ms();
    for (int i = 0; i < n; i++) {
        dg_index_doc d = {0};
        bench_record(i, title, sizeof title, number, sizeof number, body, sizeof body, ref,
                     sizeof ref, &d.year, &d.level);
        d.version_id = i + 1;
        d.record_id = i + 1;
        d.version_number = 1;
        d.is_current = 1;
        d.title = title;
        d.doc_number = number;
        d.refcode = ref;
        d.body = body;
        d.category = BENCH_CATEGORIES[i % 5];
        d.period = BENCH_PERIODS[i % 3];
        d.grants = &grant;
        d.n_grants = d.level == 4 && i % 10 == 0 ? 1 : 0;
        if (dg_index_put(index, &d, err) != DG_OK)
            return 1;
        if ((i + 1) % 10000 == 0 && dg_index_commit(index, err) != DG_OK)
            return 1;
    }
    if (dg_index_commit(index, err) != DG_OK)
        return 1;
    double secs = (now_ms() - start) / 1e3;
    printf("indexed %d records in %.1f s: %.0f records/s\n", n, secs, n / secs);
    return 0;
}

static double cpu_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

enum { ROUNDS = 30 };

/* Sorts samples in place and prints p50/p99/max. */
static void print_percentiles(const char *what, double *samples, size_t n)
{
    qsort(samples, n, sizeof samples[0], compare_double);
    printf("  %s p50 %6.2f p99 %6.2f max %6.2f ms", what, samples[n / 2], samples[n * 99 / 100],
           samples[n - 1]);
}

/*
 * Runs the query mix ROUNDS times as viewer: wall-clock latency (the target) and the
 * calling thread's CPU time. The first round is also reported on its own: a reader keeps
 * the exact counts of recent searches, so only the first search of a query computes them
 * (the later rounds are what paging and repeated searches cost). With DG_BENCH_PER_QUERY
 * set, also each query's first and median wall time and its total.
 */
static int measure(dg_index *index, const dg_index_viewer *viewer, const char *name,
                   dg_error *err)
{
    static double wall[ROUNDS * BENCH_N_QUERIES], cpu[ROUNDS * BENCH_N_QUERIES];
    static double first[BENCH_N_QUERIES], per_query[BENCH_N_QUERIES][ROUNDS];
    uint64_t totals[BENCH_N_QUERIES] = {0};
    size_t n = 0;
    uint64_t hits = 0;
    for (int round = 0; round < ROUNDS; round++) {
        for (size_t q = 0; q < BENCH_N_QUERIES; q++) {
            dg_index_query query = {0};
            query.text = BENCH_QUERIES[q];
            query.level = -1;
            query.limit = 10;
            dg_index_result *r = NULL;
            double t0 = now_ms(), c0 = cpu_ms();
            if (dg_index_search(index, viewer, &query, "<b>", "</b>", &r, err) != DG_OK)
                return 1;
            cpu[n] = cpu_ms() - c0;
            wall[n] = now_ms() - t0;
            per_query[q][round] = wall[n];
            if (round == 0)
                first[q] = wall[n];
            n++;
            totals[q] = r->total;
            hits += r->total;
            dg_index_result_free(r);
        }
    }
    printf("%-22s", name);
    print_percentiles("wall", wall, n);
    print_percentiles("cpu", cpu, n);
    printf("  (avg total %llu)\n", (unsigned long long)(hits / n));
    double first_sorted[BENCH_N_QUERIES];
    memcpy(first_sorted, first, sizeof first);
    printf("%-22s", "  first search of each");
    print_percentiles("wall", first_sorted, BENCH_N_QUERIES);
    printf("\n");
    if (getenv("DG_BENCH_PER_QUERY")) {
        for (size_t q = 0; q < BENCH_N_QUERIES; q++) {
            qsort(per_query[q], ROUNDS, sizeof(double), compare_double);
            printf("    %-24s first %6.2f median %6.2f ms  total %llu\n", BENCH_QUERIES[q],
                   first[q], per_query[q][ROUNDS / 2], (unsigned long long)totals[q]);
        }
    }
    return 0;
}

static long long folder_bytes;

static int add_file_size(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)path, (void)ftw;
    if (type == FTW_F)
        folder_bytes += st->st_size;
    return 0;
}

static void report_size(const char *path, int n)
{
    folder_bytes = 0;
    if (nftw(path, add_file_size, 16, FTW_PHYS) != 0)
        return perror(path);
    printf("index size %.1f MB (%.0f bytes per record)\n", folder_bytes / 1e6,
           (double)folder_bytes / n);
}

/* Builds the index in a new temporary folder; path receives its index/ subfolder. */
static int build_fresh(char *path, size_t size, int n, dg_error *err)
{
    char dir[] = "/tmp/dg-bench-XXXXXX";
    if (!mkdtemp(dir))
        return perror("mkdtemp"), 1;
    snprintf(path, size, "%s/index", dir);
    dg_index *index = NULL;
    if (dg_index_open(path, DG_INDEX_WRITE, &index, err) != DG_OK)
        return 1;
    int failed = build(index, n, err);
    dg_index_close(index);
    if (!failed)
        report_size(path, n);
    return failed;
}

/* build/bench/search [N [INDEX-FOLDER]]: with a folder, searches it without building. */
int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 100000;
    char path[4096];
    dg_error err;
    if (argc > 2)
        snprintf(path, sizeof path, "%s", argv[2]);
    else if (build_fresh(path, sizeof path, n, &err))
        return die(&err);
    dg_index *index = NULL;
    if (dg_index_open(path, DG_INDEX_READ, &index, &err) != DG_OK)
        return die(&err);
    /* The first searches of a process read the index's pages, build the reader's facet
     * table and set up the matching of Chinese and of English words (about 5 ms each); a
     * server pays that once, so it is timed apart, as a viewer whose counts nobody shares. */
    const dg_index_viewer opener = {99, 3};
    const char *const opening[] = {"经费", "training"};
    for (size_t i = 0; i < 2; i++) {
        double t0 = now_ms();
        dg_index_query warm = {.text = opening[i], .level = -1, .limit = 10};
        dg_index_result *r = NULL;
        if (dg_index_search(index, &opener, &warm, "<b>", "</b>", &r, &err) != DG_OK)
            return die(&err);
        dg_index_result_free(r);
        printf("first search for %s after opening the index: %.1f ms\n", opening[i],
               now_ms() - t0);
    }
    const dg_index_viewer viewers[] = {{1, 1}, {2, 2}, {3, 4}};
    const char *names[] = {"staff (clearance 1)", "head (clearance 2)", "leader (clearance 4)"};
    for (int v = 0; v < 3; v++)
        if (measure(index, &viewers[v], names[v], &err))
            return die(&err);
    dg_index_close(index);
    printf("index in %s (remove it when done)\n", path);
    return 0;
}
