/*
 * bench/scale.c — how the full-text index (index/index.h) grows with the archive: for each
 * size N it builds an index of N generated records (bench/corpus.h, the records of
 * bench/search) the way reindex does (dg_index_build_open, dg_index_put of every version,
 * dg_index_build_swap), then prints
 *   - index bytes per record, in all and per Xapian table (postlist, termlist, position,
 *     docdata, the rest), summed over the five level databases;
 *   - the indexing rate, records per second, swap (and whatever it does) included;
 *   - search p50/p99 of selective and of broad queries (exact totals, facets, 10 hits with
 *     snippets) as viewers of clearance 1, 2 and 4;
 *   - the peak resident memory of the process that built and searched the index.
 * Each size runs in its own child process, so each peak is its own.
 *
 *   make bench && build/bench/scale [N ...]        (default: 10000 100000)
 *
 * 1,000,000 works too and is meant to be run by hand (about an hour). The numbers go to
 * stdout as a table and to scale.dat in the output folder (DG_SCALE_OUT, default the
 * current folder); when gnuplot is installed, scale.png draws the curves. Every index is
 * removed when its size is done, unless DG_SCALE_KEEP is set; DG_SCALE_INDEX=PATH measures
 * such a kept index of the one size given instead of building one.
 */
#include <errno.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench/corpus.h"
#include "bench/index_doc.h"
#include "index/index.h"

/* Queries matching a few records (a document number, a phrase, words and a year) and
 * queries matching a large share of them (everything, as when browsing by filter; one
 * common word; one English word of most records; two phrases of most records, one in the
 * body and one in the title, which are checked on every match without positions). */
static const char *const SELECTIVE[] = {"校办〔2021〕12号", "\"年度考核\" 2019",
                                        "资产 清查 2022 training", "title:会议纪要 2017"};
static const char *const BROAD[] = {"", "工作", "the", "\"工作\"", "\"的通知\""};
#define N_OF(a) (sizeof(a) / sizeof((a)[0]))
enum { ROUNDS = 20, N_VIEWERS = 3 };
static const dg_index_viewer VIEWERS[N_VIEWERS] = {{1, 1}, {2, 2}, {3, 4}};

/* What one size measured. */
typedef struct scale_row {
    long records;
    double bytes[6]; /* total, postlist, termlist, position, docdata, other: per record */
    double rate;     /* records per second */
    double p50[2][N_VIEWERS], p99[2][N_VIEWERS]; /* [selective, broad][viewer], ms */
    uint64_t total[2][N_VIEWERS];                /* average total of a query */
    long peak_kb;
} scale_row;

static const char *const TABLES[] = {"postlist", "termlist", "position", "docdata"};

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

static int fail(const char *what, const dg_error *err)
{
    fprintf(stderr, "dangan: bench/scale: %s: %s\n", what, err->msg);
    return 1;
}

/* ---- building ----------------------------------------------------------------------- */

/* Puts record i into index as its one current version (bench/index_doc.h). */
static dg_status put_record(dg_index *index, int i, dg_error *err)
{
    bench_doc doc;
    dg_index_doc d;
    bench_index_doc(i, &doc, &d);
    return dg_index_put(index, &d, err);
}

/* Builds n records beside the live index at path and swaps them in, as reindex does. */
static int build(const char *path, long n, double *rate)
{
    dg_error err;
    dg_index *live = NULL, *fresh = NULL;
    if (dg_index_open(path, DG_INDEX_WRITE, &live, &err) != DG_OK)
        return fail("open", &err);
    double start = now_ms();
    dg_status st = dg_index_build_open(path, &fresh, &err);
    for (long i = 0; st == DG_OK && i < n; i++) {
        st = put_record(fresh, (int)i, &err);
        if (st == DG_OK && (i + 1) % 100000 == 0)
            fprintf(stderr, "  %ld of %ld records put\n", i + 1, n);
    }
    if (st == DG_OK)
        st = dg_index_build_swap(live, fresh, &err);
    if (st == DG_OK)
        dg_index_close(fresh);
    else
        dg_index_build_discard(fresh);
    dg_index_close(live);
    if (st != DG_OK)
        return fail("build", &err);
    *rate = n / ((now_ms() - start) / 1e3);
    return 0;
}

/* ---- sizes -------------------------------------------------------------------------- */

static double table_bytes[5]; /* the tables of TABLES, then everything else */

static int add_file(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    if (type != FTW_F)
        return 0;
    const char *name = path + ftw->base;
    size_t t = 0;
    while (t < N_OF(TABLES) &&
           !(strncmp(name, TABLES[t], strlen(TABLES[t])) == 0 && name[strlen(TABLES[t])] == '.'))
        t++;
    table_bytes[t] += (double)st->st_size;
    return 0;
}

static int measure_size(const char *path, long n, scale_row *row)
{
    memset(table_bytes, 0, sizeof table_bytes);
    if (nftw(path, add_file, 16, FTW_PHYS) != 0)
        return perror(path), 1;
    row->bytes[0] = 0;
    for (int t = 0; t < 5; t++) {
        row->bytes[t + 1] = table_bytes[t] / (double)n;
        row->bytes[0] += row->bytes[t + 1];
    }
    return 0;
}

/* ---- searching ---------------------------------------------------------------------- */

/*
 * Runs each query of the list ROUNDS times as viewer; p50 and p99 of every search's wall
 * time. The first round of a query counts its exact total and facets, later rounds find
 * them remembered (as a server does for repeated searches and next pages), so both costs
 * are among the samples.
 */
static int measure_queries(dg_index *index, const dg_index_viewer *viewer,
                           const char *const *queries, size_t n_queries, double *p50,
                           double *p99, uint64_t *avg_total)
{
    double samples[ROUNDS * 8];
    size_t n = 0;
    uint64_t totals = 0;
    dg_error err;
    for (int round = 0; round < ROUNDS; round++)
        for (size_t q = 0; q < n_queries; q++) {
            dg_index_query query = {.text = queries[q], .level = -1, .limit = 10};
            dg_index_result *r = NULL;
            double t0 = now_ms();
            if (dg_index_search(index, viewer, &query, "<b>", "</b>", &r, &err) != DG_OK)
                return fail(queries[q], &err);
            samples[n++] = now_ms() - t0;
            totals += r->total;
            dg_index_result_free(r);
        }
    qsort(samples, n, sizeof samples[0], compare_double);
    *p50 = samples[n / 2];
    *p99 = samples[n * 99 / 100];
    *avg_total = totals / n;
    return 0;
}

static int measure_search(const char *path, scale_row *row)
{
    dg_error err;
    dg_index *index = NULL;
    if (dg_index_open(path, DG_INDEX_READ, &index, &err) != DG_OK)
        return fail("open", &err);
    /* The first search of a process reads the index's pages and builds the facet tables;
     * a server pays that once, so it is not among the samples. */
    static const char *const warm_up[] = {"经费预算", "training"}; /* ICU's dictionary too */
    const dg_index_viewer all = {99, 4};
    for (size_t i = 0; i < N_OF(warm_up); i++) {
        dg_index_query warm = {.text = warm_up[i], .level = -1, .limit = 10};
        dg_index_result *r = NULL;
        if (dg_index_search(index, &all, &warm, "", "", &r, &err) != DG_OK)
            return dg_index_close(index), fail("warm-up", &err);
        dg_index_result_free(r);
    }
    int failed = 0;
    for (int v = 0; v < N_VIEWERS && !failed; v++) {
        failed = measure_queries(index, &VIEWERS[v], SELECTIVE, N_OF(SELECTIVE), &row->p50[0][v],
                                 &row->p99[0][v], &row->total[0][v]) ||
                 measure_queries(index, &VIEWERS[v], BROAD, N_OF(BROAD), &row->p50[1][v],
                                 &row->p99[1][v], &row->total[1][v]);
    }
    dg_index_close(index);
    return failed;
}

/* ---- one size, in a child process --------------------------------------------------- */

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st, (void)type, (void)ftw;
    return remove(path);
}

/* Builds, measures and (unless DG_SCALE_KEEP) removes one index; writes the row to out.
 * DG_SCALE_INDEX names an index of n records kept by an earlier run (DG_SCALE_KEEP): it is
 * measured as it is, not built (so two binaries' searches are compared on the same index;
 * the indexing rate is then 0). */
static int run_size(long n, scale_row *row)
{
    const char *kept = getenv("DG_SCALE_INDEX");
    row->records = n;
    if (kept && *kept) {
        row->rate = 0;
        return measure_size(kept, n, row) || measure_search(kept, row);
    }
    char dir[] = "/tmp/dg-scale-XXXXXX", path[64];
    if (!mkdtemp(dir))
        return perror("mkdtemp"), 1;
    snprintf(path, sizeof path, "%s/index", dir);
    int failed = build(path, n, &row->rate) || measure_size(path, n, row) ||
                 measure_search(path, row);
    if (getenv("DG_SCALE_KEEP"))
        fprintf(stderr, "  index of %ld records kept in %s\n", n, path);
    else
        nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    return failed;
}

/* Runs one size in a child (its own peak memory), which hands its row back in a pipe. */
static int run_child(long n, scale_row *row)
{
    int fds[2];
    if (pipe(fds) != 0)
        return perror("pipe"), 1;
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0)
        return perror("fork"), 1;
    if (pid == 0) {
        close(fds[0]);
        int failed = run_size(n, row);
        if (!failed && write(fds[1], row, sizeof *row) != (ssize_t)sizeof *row)
            failed = 1;
        _exit(failed);
    }
    close(fds[1]);
    ssize_t got = read(fds[0], row, sizeof *row);
    close(fds[0]);
    int status = 0;
    struct rusage usage;
    if (wait4(pid, &status, 0, &usage) != pid || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 0 || got != (ssize_t)sizeof *row)
        return fprintf(stderr, "dangan: bench/scale: the run of %ld records failed\n", n), 1;
    row->peak_kb = usage.ru_maxrss;
    return 0;
}

/* ---- output ------------------------------------------------------------------------- */

static void print_load(void)
{
    char line[128] = "?";
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (!fgets(line, sizeof line, f))
            snprintf(line, sizeof line, "?\n");
        fclose(f);
    }
    printf("load average (1, 5, 15 min): %s", line);
}

static void print_row(const scale_row *r)
{
    printf("\n%ld records: %.0f bytes per record (postlist %.0f, termlist %.0f, position %.0f, "
           "docdata %.0f, other %.0f); %.0f records/s; peak RSS %.0f MB\n",
           r->records, r->bytes[0], r->bytes[1], r->bytes[2], r->bytes[3], r->bytes[4],
           r->bytes[5], r->rate, r->peak_kb / 1024.0);
    static const char *const kind[2] = {"selective", "broad"};
    for (int k = 0; k < 2; k++)
        for (int v = 0; v < N_VIEWERS; v++)
            printf("  %-9s clearance %d: p50 %7.2f ms  p99 %7.2f ms  (avg total %llu)\n", kind[k],
                   VIEWERS[v].clearance, r->p50[k][v], r->p99[k][v],
                   (unsigned long long)r->total[k][v]);
    fflush(stdout);
}

/* scale.dat (one row per size) and, with gnuplot, scale.png. */
static void write_curves(const scale_row *rows, size_t n)
{
    const char *out = getenv("DG_SCALE_OUT") ? getenv("DG_SCALE_OUT") : ".";
    if (strlen(out) > 900)
        return (void)fprintf(stderr, "dangan: bench/scale: DG_SCALE_OUT is too long\n");
    char dat[1024], png[1024], command[8192];
    snprintf(dat, sizeof dat, "%s/scale.dat", out);
    snprintf(png, sizeof png, "%s/scale.png", out);
    FILE *f = fopen(dat, "w");
    if (!f)
        return perror(dat);
    fprintf(f, "# records bytes/record records/s peak-MB sel-p99-c1 sel-p99-c2 sel-p99-c4 "
               "broad-p99-c1 broad-p99-c2 broad-p99-c4\n");
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%ld %.0f %.0f %.1f %.2f %.2f %.2f %.2f %.2f %.2f\n", rows[i].records,
                rows[i].bytes[0], rows[i].rate, rows[i].peak_kb / 1024.0, rows[i].p99[0][0],
                rows[i].p99[0][1], rows[i].p99[0][2], rows[i].p99[1][0], rows[i].p99[1][1],
                rows[i].p99[1][2]);
    fclose(f);
    printf("\nnumbers in %s\n", dat);
    if (system("command -v gnuplot >/dev/null 2>&1") != 0) {
        printf("(gnuplot is not installed: no scale.png)\n");
        return;
    }
    snprintf(command, sizeof command,
             "gnuplot -e \"set terminal png size 1200,800; set output '%s'; "
             "set multiplot layout 2,2; set logscale x; set key left top; "
             "set xlabel 'records'; "
             "set ylabel 'bytes per record'; plot '%s' using 1:2 with linespoints title 'index'; "
             "set ylabel 'records/s'; plot '%s' using 1:3 with linespoints title 'indexing'; "
             "set ylabel 'ms'; plot '%s' using 1:5 w lp t 'selective p99 c1', '' using 1:6 w lp "
             "t 'c2', '' using 1:7 w lp t 'c4', '' using 1:8 w lp t 'broad p99 c1', '' using 1:9 "
             "w lp t 'c2', '' using 1:10 w lp t 'c4'; "
             "set ylabel 'MB'; plot '%s' using 1:4 with linespoints title 'peak RSS'\"",
             png, dat, dat, dat, dat);
    if (system(command) == 0)
        printf("curves in %s\n", png);
    else
        printf("gnuplot failed: no %s\n", png);
}

int main(int argc, char **argv)
{
    long defaults[] = {10000, 100000};
    size_t n = argc > 1 ? (size_t)argc - 1 : N_OF(defaults);
    scale_row *rows = calloc(n, sizeof *rows);
    if (!rows)
        return fprintf(stderr, "dangan: bench/scale: out of memory\n"), 1;
    print_load();
    for (size_t i = 0; i < n; i++) {
        long records = argc > 1 ? atol(argv[i + 1]) : defaults[i];
        if (records <= 0)
            return fprintf(stderr, "dangan: bench/scale: '%s' is not a number of records\n",
                           argv[i + 1]), 1;
        if (run_child(records, &rows[i]))
            return 1;
        print_row(&rows[i]);
    }
    print_load();
    write_curves(rows, n);
    free(rows);
    return 0;
}
