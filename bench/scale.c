/*
 * bench/scale.c — how an archive's costs grow with its size (issue 21). For each size N it
 * makes a real archive of N generated records (bench/corpus.h, the records of bench/search)
 * in a temporary folder: `dangan init`'s catalog, whose records, versions, grants and a few
 * holds are written in bulk with SQL (the rows the engine writes when it files a record, as
 * bench/retention.sh makes them), and the index of the same records built the way reindex
 * builds it (dg_index_build_open, dg_index_put of every version, dg_index_build_swap). Then
 * it prints
 *   - index bytes per record, in all and per Xapian table (postlist, termlist, position,
 *     docdata, the rest), summed over the five level databases; the catalog's bytes too;
 *   - the indexing rate, records per second, swap (and whatever it does) included;
 *   - search p50/p99 (wall) and CPU p99 of selective and of broad queries (exact totals,
 *     facets, 10 hits with snippets) as viewers of clearance 1, 2 and 4;
 *   - bench/raw_xapian's bare top-10 search p99 of the same selective queries on the same
 *     index, and dangan's p99 as a ratio of it, by wall and by CPU (target: at most 1.2x);
 *   - `dangan serve`'s search throughput with 8 concurrent clients, against direct mode
 *     (dg_dispatch on a handle per client, as bench/serve; target: at least 90%), the
 *     server's CPU per search and its peak resident memory (VmHWM);
 *   - the wall and CPU time of `dangan retention review --year 2035` on the archive, which
 *     queues a third of its records (target: under 2 s at 1,000,000 records);
 *   - the peak resident memory of the process that built and searched the index.
 * Each size runs in its own child process, so each peak is its own.
 *
 *   make && make bench && build/bench/scale [N ...]        (default: 10000 100000)
 *
 * 1,000,000 works too and is meant to be run by hand (about an hour on 2 idle cores; the
 * archive takes about 5 GB in /tmp, or in DG_SCALE_TMP). The numbers go to stdout as a
 * table and to scale.dat in the output folder (DG_SCALE_OUT, default the current folder);
 * when gnuplot is installed, scale.png draws the curves. Each throughput run lasts
 * DG_SCALE_SECONDS (default 10). The dangan binary is build/dangan beside build/bench (or
 * $DANGAN). Every archive is removed when its size is done, unless DG_SCALE_KEEP is set;
 * DG_SCALE_INDEX=PATH measures the index of such a kept archive, of the one size given,
 * instead of building one (size, searches and raw Xapian's top 10 of the same selective
 * queries in the same run: two binaries on the same index). It only reads the index, and so
 * does bench/raw_xapian (the level databases, combined); DG_SCALE_RAW=PATH points raw
 * Xapian at another copy of the same index instead. DG_SCALE_BUDGET=S gives each measured
 * search S seconds instead of the index's default budget (a loaded machine).
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <sqlite3.h>
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
#include "bench/proc.h"
#include "bench/index_doc.h"
#include "cli/client.h"
#include "cli/dispatch.h"
#include "engine/archive.h"
#include "engine/log.h"
#include "index/index.h"

/* Queries matching a few records (a document number, a phrase, words and a year) and
 * queries matching a large share of them (everything, as when browsing by filter; one
 * common word; one English word of most records; two phrases of most records, one in the
 * body and one in the title, which are checked on every match without positions). */
static const char *const SELECTIVE[] = {"校办〔2021〕12号", "\"年度考核\" 2019",
                                        "资产 清查 2022 training", "title:会议纪要 2017"};
static const char *const BROAD[] = {"", "工作", "the", "\"工作\"", "\"的通知\""};
#define N_OF(a) (sizeof(a) / sizeof((a)[0]))
enum { ROUNDS = 20, N_VIEWERS = 3, CLIENTS = 8 };
static const dg_index_viewer VIEWERS[N_VIEWERS] = {{1, 1}, {2, 2}, {3, 4}};

/* What one size measured. */
typedef struct scale_row {
    long records;
    double bytes[6]; /* total, postlist, termlist, position, docdata, other: per record */
    double rate;     /* records per second */
    double p50[2][N_VIEWERS], p99[2][N_VIEWERS]; /* [selective, broad][viewer], ms */
    double cpu_p99[2][N_VIEWERS];                /* the process's CPU time, ms */
    uint64_t total[2][N_VIEWERS];                /* average total of a query */
    long peak_kb;
    double catalog_bytes, catalog_secs; /* catalog.db per record; its rows' generation */
    double raw_p99, raw_cpu_p99;        /* raw Xapian's top 10 of SELECTIVE, ms; -1 unknown */
    unsigned long long raw_total;       /* its average exact total of a query */
    double direct_rps, grouped_rps;     /* searches per second with CLIENTS clients: */
    double socket_rps;                  /* direct, direct as the server logs, the server */
    double direct_cpu_ms, grouped_cpu_ms; /* this process's CPU per search in those runs, */
    double client_cpu_ms;                 /* and the clients' side of the server's run */
    long server_peak_kb;                /* the server's VmHWM */
    double server_cpu_ms;               /* the server's CPU per search, socket run */
    double review_wall, review_cpu;     /* seconds */
    char review_says[160];              /* the first line the review printed */
} scale_row;

/* Where the programs this bench runs are: bench/raw_xapian and the dangan binary. */
typedef struct scale_tools {
    char raw_xapian[PATH_MAX + 16], dangan[PATH_MAX + 16];
    const char *login; /* the OS user: the archive's owner, as the server sees it */
    double seconds;    /* each throughput run */
} scale_tools;

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

/*
 * Record i as its index document (bench/index_doc.h), with a reference code of its own:
 * the corpus's codes repeat every 10,000 records, and the catalog keeps them unique.
 */
static void scale_doc(int i, bench_doc *doc, dg_index_doc *d)
{
    bench_index_doc(i, doc, d);
    snprintf(doc->ref, sizeof doc->ref, "X001-%s·%d-%s-%07d", d->category, d->year, d->period,
             i + 1);
}

/* Puts record i into index as its one current version. */
static dg_status put_record(dg_index *index, int i, dg_error *err)
{
    bench_doc doc;
    dg_index_doc d;
    scale_doc(i, &doc, &d);
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

/* ---- the catalog ------------------------------------------------------------------ */

static int sql_fail(sqlite3 *db, const char *what)
{
    fprintf(stderr, "dangan: bench/scale: %s: %s\n", what, sqlite3_errmsg(db));
    return 1;
}

/* The statements that write one record's rows (the columns the engine fills when it files
 * a one-page born-digital record; the text itself lives only in the index here). */
static const char *const CATALOG_SQL[] = {
    "INSERT INTO records(id, refcode, fonds, category, year, period, item, level,"
    " current_version, created_at, created_by) VALUES(?1, ?2, 'X001', ?3, ?4, ?5, ?1, ?6, 1,"
    " '2025-01-01T00:00:00.000Z', 1)",
    "INSERT INTO versions(id, record_id, number, created_at, author_id, reason, title,"
    " doc_number, year, category, record_type, level, period, page_count) VALUES(?1, ?1, 1,"
    " '2025-01-01T00:00:00.000Z', 1, 'generated', ?7, ?8, ?4, ?3, 'notice', ?6, ?5, 1)",
    /* The index grants every tenth level-4 record of the first BENCH_GRANT_SPAN to user 1
     * (bench/index_doc.h); record i+1 is document i. */
    "INSERT INTO grants(record_id, user_id, granted_by, granted_at) SELECT ?1, 1, 1,"
    " '2025-01-01T00:00:00.000Z' WHERE ?6 = 4 AND (?1 - 1) % 10 = 0"
    " AND ?1 <= " BENCH_STR(BENCH_GRANT_SPAN),
    /* A few hundred records on hold per million, as bench/retention.sh places them. */
    "INSERT INTO holds(record_id, reason, placed_by, placed_at) SELECT ?1, 'bench', 1,"
    " '2025-01-01' WHERE ?1 % 3001 = 2",
};
enum { N_CATALOG_SQL = N_OF(CATALOG_SQL) };

/* Binds parameter p (?1 .. ?8 of CATALOG_SQL) of a statement to record d's value. */
static int bind_field(sqlite3_stmt *st, int p, const dg_index_doc *d)
{
    switch (p) {
    case 1: return sqlite3_bind_int64(st, p, d->record_id);
    case 2: return sqlite3_bind_text(st, p, d->refcode, -1, SQLITE_STATIC);
    case 3: return sqlite3_bind_text(st, p, d->category, -1, SQLITE_STATIC);
    case 4: return sqlite3_bind_int(st, p, d->year);
    case 5: return sqlite3_bind_text(st, p, d->period, -1, SQLITE_STATIC);
    case 6: return sqlite3_bind_int(st, p, d->level);
    case 7: return sqlite3_bind_text(st, p, d->title, -1, SQLITE_STATIC);
    case 8: return sqlite3_bind_text(st, p, d->doc_number, -1, SQLITE_STATIC);
    default: return SQLITE_RANGE;
    }
}

static int insert_record(sqlite3 *db, sqlite3_stmt *const *stmts, int i)
{
    bench_doc doc;
    dg_index_doc d;
    scale_doc(i, &doc, &d);
    for (int k = 0; k < N_CATALOG_SQL; k++) {
        sqlite3_stmt *st = stmts[k];
        int rc = SQLITE_OK, n = sqlite3_bind_parameter_count(st);
        for (int p = 1; p <= n && rc == SQLITE_OK; p++)
            rc = bind_field(st, p, &d);
        rc = rc == SQLITE_OK ? sqlite3_step(st) : rc;
        sqlite3_reset(st);
        if (rc != SQLITE_DONE)
            return sql_fail(db, "insert a record");
    }
    return 0;
}

/* Writes n records' rows into the archive's catalog in one transaction, unsynced (a bench
 * archive: what is timed later reads them, nothing here is a filing). */
static int fill_catalog(const char *catalog, long n)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *stmts[N_CATALOG_SQL] = {0};
    int failed = sqlite3_open_v2(catalog, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
                 sqlite3_exec(db, "PRAGMA synchronous=OFF; PRAGMA cache_size=-200000; BEGIN",
                              NULL, NULL, NULL) != SQLITE_OK;
    for (int k = 0; !failed && k < N_CATALOG_SQL; k++)
        failed = sqlite3_prepare_v2(db, CATALOG_SQL[k], -1, &stmts[k], NULL) != SQLITE_OK;
    if (failed)
        sql_fail(db, catalog);
    for (long i = 0; !failed && i < n; i++)
        failed = insert_record(db, stmts, (int)i);
    for (int k = 0; k < N_CATALOG_SQL; k++)
        sqlite3_finalize(stmts[k]);
    if (!failed && sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        failed = sql_fail(db, "commit");
    sqlite3_close(db);
    return failed;
}

/* A new archive at path (its owner the OS user) whose catalog holds n records. */
static int make_archive(const char *path, const scale_tools *tools, long n, scale_row *row)
{
    dg_error err;
    double start = now_ms();
    if (dg_archive_create(path, "X001", "Bench", tools->login, tools->login, &err) != DG_OK)
        return fail("init", &err);
    char catalog[PATH_MAX + 64];
    snprintf(catalog, sizeof catalog, "%s/catalog.db", path);
    if (fill_catalog(catalog, n))
        return 1;
    row->catalog_secs = (now_ms() - start) / 1e3;
    struct stat st;
    row->catalog_bytes = stat(catalog, &st) == 0 ? (double)st.st_size / (double)n : 0;
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

/* The CPU time of this process, ms: a search's two passes run on two threads. */
static double cpu_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/*
 * Runs each query of the list ROUNDS times as viewer; p50 and p99 of every search's wall
 * time, and p99 of its CPU time (which a loaded machine does not inflate). The first round
 * of a query counts its exact total and facets, later rounds find them remembered (as a
 * server does for repeated searches and next pages), so both costs are among the samples.
 */
static int measure_queries(dg_index *index, const dg_index_viewer *viewer,
                           const char *const *queries, size_t n_queries, double *p50,
                           double *p99, double *cpu_p99, uint64_t *avg_total)
{
    enum { MAX_QUERIES = 32 };
    double samples[ROUNDS * MAX_QUERIES], cpu[ROUNDS * MAX_QUERIES];
    if (n_queries > MAX_QUERIES)
        return fprintf(stderr, "dangan: bench/scale: more than %d queries\n", MAX_QUERIES), 1;
    size_t n = 0;
    uint64_t totals = 0;
    dg_error err;
    /* DG_SCALE_BUDGET: each search's time budget in seconds (0: the index's default), for a
     * loaded machine, where the default stops a broad first search */
    double budget = getenv("DG_SCALE_BUDGET") ? atof(getenv("DG_SCALE_BUDGET")) : 0;
    for (int round = 0; round < ROUNDS; round++)
        for (size_t q = 0; q < n_queries; q++) {
            dg_index_query query = {.text = queries[q], .level = -1, .limit = 10,
                                    .time_budget = budget};
            dg_index_result *r = NULL;
            double t0 = now_ms(), c0 = cpu_ms();
            if (dg_index_search(index, viewer, &query, "<b>", "</b>", &r, &err) != DG_OK)
                return fail(queries[q], &err);
            cpu[n] = cpu_ms() - c0;
            samples[n++] = now_ms() - t0;
            totals += r->total;
            dg_index_result_free(r);
        }
    qsort(samples, n, sizeof samples[0], compare_double);
    *p50 = samples[n / 2];
    *p99 = samples[n * 99 / 100];
    qsort(cpu, n, sizeof cpu[0], compare_double);
    *cpu_p99 = cpu[n * 99 / 100];
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
                                 &row->p99[0][v], &row->cpu_p99[0][v], &row->total[0][v]) ||
                 measure_queries(index, &VIEWERS[v], BROAD, N_OF(BROAD), &row->p50[1][v],
                                 &row->p99[1][v], &row->cpu_p99[1][v], &row->total[1][v]);
    }
    dg_index_close(index);
    return failed;
}

/* ---- raw Xapian ------------------------------------------------------------------- */

/* SELECTIVE as dangan hands each query to Xapian's QueryParser, after folding and rewriting
 * (a document number becomes a phrase): bench/raw_xapian parses these, so that both sides
 * match the same documents. Keep it in step with SELECTIVE. */
static const char *const SELECTIVE_AS_PARSED[] = {"\"校办 2021 12号\"", "\"年度考核\" 2019",
                                                  "资产 清查 2022 training",
                                                  "title:会议纪要 2017"};
_Static_assert(N_OF(SELECTIVE_AS_PARSED) == N_OF(SELECTIVE), "one parsed form per query");

/* Runs bench/raw_xapian --top10 on the index; row->raw_p99 and raw_cpu_p99 are its wall
 * and CPU p99 (-1 when it did not run). */
static void measure_raw(const scale_tools *tools, const char *index_path, scale_row *row)
{
    char command[16384];
    size_t len = (size_t)snprintf(command, sizeof command, "'%s' '%s' --top10",
                                  tools->raw_xapian, index_path);
    for (size_t q = 0; q < N_OF(SELECTIVE_AS_PARSED) && len < sizeof command; q++)
        len += (size_t)snprintf(command + len, sizeof command - len, " '%s'",
                                SELECTIVE_AS_PARSED[q]);
    row->raw_p99 = row->raw_cpu_p99 = -1;
    FILE *out = len < sizeof command ? popen(command, "r") : NULL;
    char line[512];
    double p50;
    while (out && fgets(line, sizeof line, out)) {
        const char *wall = strstr(line, "wall p50"), *cpu = strstr(line, "cpu p50");
        if (sscanf(line, "raw exact avg total %llu", &row->raw_total) == 1)
            continue;
        if (!wall || !cpu || sscanf(wall, "wall p50 %lf p99 %lf", &p50, &row->raw_p99) != 2 ||
            sscanf(cpu, "cpu p50 %lf p99 %lf", &p50, &row->raw_cpu_p99) != 2)
            row->raw_p99 = row->raw_cpu_p99 = -1;
    }
    if (!out || pclose(out) != 0 || row->raw_p99 <= 0) {
        fprintf(stderr, "dangan: bench/scale: %s did not run (make bench builds it)\n",
                tools->raw_xapian);
        row->raw_p99 = row->raw_cpu_p99 = -1;
    }
}

/* ---- the server and direct mode, 8 clients ------------------------------------------ */

/* Runs the dangan binary with args (NULL-terminated) in a child, its output to out_path
 * (NULL: /dev/null); its pid, or -1. */
static pid_t run_dangan(const scale_tools *tools, const char *const *args, const char *out_path)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    int fd = open(out_path ? out_path : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0)
        _exit(127);
    unsetenv("DANGAN_SOCKET"); /* --archive: direct mode, whatever the caller's shell set */
    char *argv[16] = {(char *)tools->dangan};
    for (int i = 0; args[i] && i < 14; i++)
        argv[i + 1] = (char *)args[i];
    execv(tools->dangan, argv);
    fprintf(stderr, "dangan: bench/scale: %s: %s\n", tools->dangan, strerror(errno));
    _exit(127);
}

typedef struct client {
    const char *socket, *login; /* socket: through the server, else direct */
    dg_archive *archive;        /* direct mode: this client's own handle */
    pthread_barrier_t *ready, *go;
    const double *until;
    size_t first; /* where in the mix this client starts, so the clients' searches differ */
    size_t done;
    int failed;
} client;

/* One search of the mix (bench/serve's: BENCH_QUERIES), a full request with its log entry. */
static int one_search(client *c, size_t i)
{
    json_t *req = json_pack("{s:i, s:s, s:{s:s}}", "v", 1, "cmd", "search", "args", "query",
                            BENCH_QUERIES[i % BENCH_N_QUERIES]);
    json_t *resp = c->socket ? dg_client_request(c->socket, req, NULL, 0, NULL)
                             : dg_dispatch(c->archive, c->login, "bench", req, NULL);
    json_decref(req);
    int ok = json_is_true(json_object_get(resp, "ok"));
    if (!ok)
        fprintf(stderr, "dangan: bench/scale: search: %s\n",
                json_string_value(json_object_get(resp, "error")));
    json_decref(resp);
    return ok;
}

/* Each client first runs the mix once (the first search of a query counts its totals and
 * facets; a long-running server has done that), then all start together. */
static void *client_main(void *arg)
{
    client *c = arg;
    for (size_t i = 0; i < BENCH_N_QUERIES && !c->failed; i++)
        c->failed = !one_search(c, c->first + i);
    pthread_barrier_wait(c->ready);
    pthread_barrier_wait(c->go);
    for (size_t i = c->first; !c->failed && now_ms() < *c->until; i++) {
        c->failed = !one_search(c, i);
        c->done += !c->failed;
    }
    return NULL;
}

/* The server's log group for the direct handles: their entries share commits, and reads'
 * syncs wait up to LOG_SYNC_MS (cli/serve.c's value). 0 when it cannot be made. */
enum { LOG_SYNC_MS = 200 };

static int group_handles(client *clients, dg_log_group **group)
{
    dg_error err;
    if (dg_log_group_new(group, &err) != DG_OK)
        return !fail("log group", &err);
    for (int i = 0; i < CLIENTS; i++)
        dg_log_group_attach(clients[i].archive, *group);
    if (dg_log_group_defer_reads(*group, clients[0].archive, LOG_SYNC_MS, &err) != DG_OK)
        return !fail("log group", &err);
    return 1;
}

/*
 * Searches per second of CLIENTS clients for tools->seconds, through the socket when given,
 * else directly on the archive at path: each handle committing and syncing its own log
 * entries (as bench/serve's direct mode), or, when grouped, its handles sharing the
 * server's group commit with deferred syncs of reads (so that only the socket, the protocol
 * and the server's threads differ). -1 on failure. *requests counts every search made, the
 * warm-up's too.
 */
static double throughput(const scale_tools *tools, const char *path, const char *socket,
                         int grouped, size_t *requests)
{
    client clients[CLIENTS];
    pthread_t threads[CLIENTS];
    pthread_barrier_t ready, go;
    dg_log_group *group = NULL;
    double until = 0;
    if (pthread_barrier_init(&ready, NULL, CLIENTS + 1) != 0 ||
        pthread_barrier_init(&go, NULL, CLIENTS + 1) != 0)
        return perror("pthread_barrier_init"), -1;
    int ok = 1, started = 0;
    for (int i = 0; i < CLIENTS; i++) {
        dg_error err;
        clients[i] = (client){.socket = socket, .login = tools->login, .ready = &ready,
                              .go = &go, .until = &until, .first = (size_t)i};
        if (!socket && dg_archive_open(path, &clients[i].archive, &err) != DG_OK)
            ok = !fail("open", &err), clients[i].failed = 1;
    }
    if (ok && grouped && !group_handles(clients, &group))
        ok = 0, clients[0].failed = 1;
    /* A client whose handle did not open still meets the barriers, and does nothing. */
    for (int i = 0; i < CLIENTS; i++)
        started += pthread_create(&threads[i], NULL, client_main, &clients[i]) == 0;
    if (started < CLIENTS) {
        fprintf(stderr, "dangan: bench/scale: cannot start the clients\n");
        exit(1); /* the barriers would wait for ever; the child process ends here */
    }
    pthread_barrier_wait(&ready);
    double start = now_ms();
    until = start + tools->seconds * 1e3;
    pthread_barrier_wait(&go);
    size_t total = 0;
    for (int i = 0; i < CLIENTS; i++) {
        pthread_join(threads[i], NULL);
        total += clients[i].done;
        ok = ok && !clients[i].failed;
        dg_archive_close(clients[i].archive);
    }
    dg_log_group_free(group); /* every handle attached to it is closed */
    double secs = (now_ms() - start) / 1e3;
    *requests = total + (size_t)CLIENTS * BENCH_N_QUERIES;
    pthread_barrier_destroy(&ready);
    pthread_barrier_destroy(&go);
    return ok ? (double)total / secs : -1;
}

/* A process's peak resident memory (VmHWM), kB; 0 when unknown. */
static long peak_rss_kb(pid_t pid)
{
    char path[64], line[256];
    long kb = 0;
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmHWM: %ld kB", &kb) == 1)
            break;
    if (f)
        fclose(f);
    return kb;
}

/* Starts `dangan serve` on the archive, measures both modes' throughput and the server's
 * peak memory, and stops it. */
static int measure_server(const scale_tools *tools, const char *dir, const char *path,
                          scale_row *row)
{
    char socket[PATH_MAX + 16];
    snprintf(socket, sizeof socket, "%s/dangan.sock", dir);
    const char *args[] = {"serve", "--archive", path, "--socket", socket, NULL};
    pid_t server = run_dangan(tools, args, NULL);
    int ready = 0;
    for (int tries = 0; server > 0 && !ready && tries < 1200; tries++) {
        json_t *req = json_pack("{s:i, s:s}", "v", 1, "cmd", "whoami");
        json_t *resp = dg_client_request(socket, req, NULL, 0, NULL);
        ready = json_is_true(json_object_get(resp, "ok"));
        json_decref(req);
        json_decref(resp);
        if (!ready && waitpid(server, NULL, WNOHANG) == 0)
            usleep(50 * 1000);
        else if (!ready)
            break; /* it ended */
    }
    if (!ready) {
        fprintf(stderr, "dangan: bench/scale: the server did not start\n");
        if (server > 0)
            kill(server, SIGTERM), waitpid(server, NULL, 0);
        return 1;
    }
    size_t requests = 0;
    double mine = cpu_ms();
    row->direct_rps = throughput(tools, path, NULL, 0, &requests);
    row->direct_cpu_ms = (cpu_ms() - mine) / (double)(requests ? requests : 1);
    mine = cpu_ms();
    row->grouped_rps = row->direct_rps > 0 ? throughput(tools, path, NULL, 1, &requests) : -1;
    row->grouped_cpu_ms = (cpu_ms() - mine) / (double)(requests ? requests : 1);
    double cpu0 = process_cpu_s(server);
    mine = cpu_ms();
    row->socket_rps = row->grouped_rps > 0 ? throughput(tools, path, socket, 0, &requests) : -1;
    row->client_cpu_ms = (cpu_ms() - mine) / (double)(requests ? requests : 1);
    double cpu1 = process_cpu_s(server);
    row->server_cpu_ms = cpu0 >= 0 && cpu1 >= 0 && requests ? (cpu1 - cpu0) * 1e3 / requests : -1;
    row->server_peak_kb = peak_rss_kb(server);
    kill(server, SIGTERM);
    int status = 0;
    if (waitpid(server, &status, 0) != server || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return fprintf(stderr, "dangan: bench/scale: the server did not stop cleanly\n"), 1;
    return row->direct_rps <= 0 || row->grouped_rps <= 0 || row->socket_rps <= 0;
}

/* ---- the retention review ----------------------------------------------------------- */

/*
 * `dangan retention review --year REVIEW_YEAR` on the archive: wall and CPU time, and the
 * first line it printed. The corpus's records were formed in 2015-2024; in the review of
 * 2035 every D10 record among them has fallen due, a third of the archive, about as many
 * as bench/retention.sh's mix queues (38%): the review of the current year would queue
 * only the D10 records of 2015 (3%) and say little about the cost.
 */
#define REVIEW_YEAR "2035"

static int measure_review(const scale_tools *tools, const char *dir, const char *path,
                          scale_row *row)
{
    char out[PATH_MAX + 16];
    snprintf(out, sizeof out, "%s/review.txt", dir);
    const char *args[] = {"retention", "review", "--year", REVIEW_YEAR, "--archive", path, NULL};
    double start = now_ms();
    pid_t pid = run_dangan(tools, args, out);
    int status = 0;
    struct rusage usage;
    if (pid < 0 || wait4(pid, &status, 0, &usage) != pid || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 0) {
        fprintf(stderr, "dangan: bench/scale: the retention review failed\n");
        return 1;
    }
    row->review_wall = (now_ms() - start) / 1e3;
    row->review_cpu = (double)(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                      (double)(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
    FILE *f = fopen(out, "r");
    if (!f || !fgets(row->review_says, sizeof row->review_says, f))
        snprintf(row->review_says, sizeof row->review_says, "?");
    row->review_says[strcspn(row->review_says, "\n")] = '\0';
    if (f)
        fclose(f);
    return 0;
}

/* ---- one size, in a child process --------------------------------------------------- */

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st, (void)type, (void)ftw;
    return remove(path);
}

/* Makes, measures and (unless DG_SCALE_KEEP) removes one archive; fills row. */
static int run_size(const scale_tools *tools, long n, scale_row *row)
{
    row->records = n;
    const char *kept = getenv("DG_SCALE_INDEX");
    if (kept && *kept) {
        row->rate = 0;
        if (measure_size(kept, n, row) || measure_search(kept, row))
            return 1;
        /* raw Xapian only reads the level databases: the kept index itself, unless
         * DG_SCALE_RAW names another copy of it */
        const char *raw = getenv("DG_SCALE_RAW");
        measure_raw(tools, raw && *raw ? raw : kept, row);
        return 0;
    }
    const char *tmp = getenv("DG_SCALE_TMP") ? getenv("DG_SCALE_TMP") : "/tmp";
    if (strlen(tmp) > 1000)
        return fprintf(stderr, "dangan: bench/scale: DG_SCALE_TMP is too long\n"), 1;
    char dir[1024], path[1100], index[1200];
    snprintf(dir, sizeof dir, "%s/dg-scale-XXXXXX", tmp);
    if (!mkdtemp(dir))
        return perror("mkdtemp"), 1;
    snprintf(path, sizeof path, "%s/archive", dir);
    snprintf(index, sizeof index, "%s/index", path);
    int failed = make_archive(path, tools, n, row) || build(index, n, &row->rate) ||
                 measure_size(index, n, row) || measure_search(index, row);
    if (!failed)
        measure_raw(tools, index, row);
    /* The review comes last: it files a review, which the searches need not see. */
    failed = failed || measure_server(tools, dir, path, row) ||
             measure_review(tools, dir, path, row);
    if (getenv("DG_SCALE_KEEP"))
        fprintf(stderr, "  archive of %ld records kept in %s\n", n, path);
    else
        nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    return failed;
}

/* Runs one size in a child (its own peak memory), which hands its row back in a pipe. */
static int run_child(const scale_tools *tools, long n, scale_row *row)
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
        int failed = run_size(tools, n, row);
        struct rusage self;
        /* This process's own peak: wait4 would report the server's too, a child of this. */
        row->peak_kb = getrusage(RUSAGE_SELF, &self) == 0 ? self.ru_maxrss : 0;
        if (!failed && write(fds[1], row, sizeof *row) != (ssize_t)sizeof *row)
            failed = 1;
        _exit(failed);
    }
    close(fds[1]);
    ssize_t got = read(fds[0], row, sizeof *row);
    close(fds[0]);
    int status = 0;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
        got != (ssize_t)sizeof *row)
        return fprintf(stderr, "dangan: bench/scale: the run of %ld records failed\n", n), 1;
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
           "docdata %.0f, other %.0f); %.0f records/s; peak RSS of the building process "
           "%.0f MB\n"
           "  catalog: %.0f bytes per record (rows generated with SQL in %.1f s)\n",
           r->records, r->bytes[0], r->bytes[1], r->bytes[2], r->bytes[3], r->bytes[4],
           r->bytes[5], r->rate, r->peak_kb / 1024.0, r->catalog_bytes, r->catalog_secs);
    static const char *const kind[2] = {"selective", "broad"};
    for (int k = 0; k < 2; k++)
        for (int v = 0; v < N_VIEWERS; v++)
            printf("  %-9s clearance %d: p50 %7.2f ms  p99 %7.2f ms  CPU p99 %7.2f ms  "
                   "(avg total %llu)\n", kind[k], VIEWERS[v].clearance, r->p50[k][v],
                   r->p99[k][v], r->cpu_p99[k][v], (unsigned long long)r->total[k][v]);
    if (r->raw_p99 > 0)
        printf("  raw Xapian, bare top 10 of the selective queries: p99 %.2f ms (CPU %.2f ms; "
               "avg exact total %llu); dangan's selective p99 is %.2fx / %.2fx / %.2fx of it at "
               "clearance 1 / 2 / 4, by CPU %.2fx / %.2fx / %.2fx (target <= 1.2x)\n",
               r->raw_p99, r->raw_cpu_p99, r->raw_total, r->p99[0][0] / r->raw_p99,
               r->p99[0][1] / r->raw_p99, r->p99[0][2] / r->raw_p99, r->cpu_p99[0][0] / r->raw_cpu_p99,
               r->cpu_p99[0][1] / r->raw_cpu_p99, r->cpu_p99[0][2] / r->raw_cpu_p99);
    else
        printf("  raw Xapian: not measured\n");
    printf("  searches with %d clients (bench/serve's mix, each logged): direct %.0f/s (each "
           "entry synced), direct with the server's log group %.0f/s, through dangan serve "
           "%.0f/s = %.0f%% and %.0f%% of them (target >= 90%%)\n"
           "  CPU a search: direct %.2f ms, grouped %.2f ms, server %.2f ms + clients %.2f ms "
           "(log entries included); server peak RSS %.0f MB\n",
           CLIENTS, r->direct_rps, r->grouped_rps, r->socket_rps,
           100 * r->socket_rps / r->direct_rps, 100 * r->socket_rps / r->grouped_rps,
           r->direct_cpu_ms, r->grouped_cpu_ms, r->server_cpu_ms, r->client_cpu_ms,
           r->server_peak_kb / 1024.0);
    printf("  retention review --year " REVIEW_YEAR ": wall %.2f s, CPU %.2f s "
           "(target < 2 s at 1,000,000): %s\n", r->review_wall, r->review_cpu, r->review_says);
    fflush(stdout);
}

/* scale.dat (one row per size) and, with gnuplot, scale.png. */
static void write_curves(const scale_row *rows, size_t n)
{
    const char *out = getenv("DG_SCALE_OUT") ? getenv("DG_SCALE_OUT") : ".";
    if (strlen(out) > 900)
        return (void)fprintf(stderr, "dangan: bench/scale: DG_SCALE_OUT is too long\n");
    char dat[1024], png[1024], command[16384];
    snprintf(dat, sizeof dat, "%s/scale.dat", out);
    snprintf(png, sizeof png, "%s/scale.png", out);
    FILE *f = fopen(dat, "w");
    if (!f)
        return perror(dat);
    fprintf(f, "# records bytes/record records/s peak-MB sel-p99-c1 sel-p99-c2 sel-p99-c4 "
               "broad-p99-c1 broad-p99-c2 broad-p99-c4 raw-top10-p99 direct-req/s socket-req/s "
               "server-peak-MB review-wall-s review-cpu-s catalog-bytes/record raw-cpu-p99 "
               "sel-cpu-p99-c1 sel-cpu-p99-c2 sel-cpu-p99-c4 server-cpu-ms/search "
               "grouped-direct-req/s direct-cpu-ms/search grouped-cpu-ms/search "
               "client-cpu-ms/search\n");
    for (size_t i = 0; i < n; i++) {
        const scale_row *r = &rows[i];
        fprintf(f, "%ld %.0f %.0f %.1f %.2f %.2f %.2f %.2f %.2f %.2f %.2f %.0f %.0f %.1f %.3f "
                   "%.3f %.0f %.2f %.2f %.2f %.2f %.3f %.0f %.3f %.3f %.3f\n",
                r->records, r->bytes[0], r->rate, r->peak_kb / 1024.0, r->p99[0][0],
                r->p99[0][1], r->p99[0][2], r->p99[1][0], r->p99[1][1], r->p99[1][2],
                r->raw_p99, r->direct_rps, r->socket_rps, r->server_peak_kb / 1024.0,
                r->review_wall, r->review_cpu, r->catalog_bytes, r->raw_cpu_p99,
                r->cpu_p99[0][0], r->cpu_p99[0][1], r->cpu_p99[0][2], r->server_cpu_ms,
                r->grouped_rps, r->direct_cpu_ms, r->grouped_cpu_ms, r->client_cpu_ms);
    }
    fclose(f);
    printf("\nnumbers in %s\n", dat);
    if (system("command -v gnuplot >/dev/null 2>&1") != 0) {
        printf("(gnuplot is not installed: no scale.png)\n");
        return;
    }
    snprintf(command, sizeof command,
             "gnuplot -e \"set terminal png size 1500,900; set output '%s'; "
             "set multiplot layout 2,3; set logscale x; set key left top; set yrange [0:*]; "
             "set xlabel 'records'; "
             "set ylabel 'bytes per record'; plot '%s' using 1:2 w lp t 'index', '' using 1:17 "
             "w lp t 'catalog'; "
             "set ylabel 'records/s'; plot '%s' using 1:3 with linespoints title 'indexing'; "
             "set ylabel 'ms'; set yrange [*:*]; set logscale y; plot '%s' using 1:5 w lp t "
             "'selective p99 c1', '' using 1:6 w lp t 'selective c2', '' using 1:7 w lp t "
             "'selective c4', '' using 1:11 w lp t 'raw Xapian top-10 p99', '' using 1:8 w lp t "
             "'broad p99 c1', '' using 1:9 w lp t 'broad c2', '' using 1:10 w lp t 'broad c4'; "
             "unset logscale y; set yrange [0:*]; "
             "set ylabel 'searches/s, 8 clients'; plot '%s' using 1:12 w lp t 'direct', '' "
             "using 1:23 w lp t 'direct, grouped log', '' using 1:13 w lp t 'dangan serve'; "
             "set ylabel 'seconds'; plot '%s' using 1:15 w lp t 'retention review wall', '' "
             "using 1:16 w lp t 'CPU'; "
             "set ylabel 'MB'; plot '%s' using 1:4 w lp t 'peak RSS, building', '' using 1:14 "
             "w lp t 'peak RSS, server'\"",
             png, dat, dat, dat, dat, dat, dat);
    if (system(command) == 0)
        printf("curves in %s\n", png);
    else
        printf("gnuplot failed: no %s\n", png);
}

/* The programs beside this one (bench/raw_xapian, and build/dangan one folder up, or
 * $DANGAN), and the user running it. */
static int find_tools(const char *self, scale_tools *tools)
{
    char here[PATH_MAX];
    if (!realpath(self, here))
        return perror(self), 1;
    char *slash = strrchr(here, '/');
    *slash = '\0';
    snprintf(tools->raw_xapian, sizeof tools->raw_xapian, "%s/raw_xapian", here);
    if (getenv("DANGAN"))
        snprintf(tools->dangan, sizeof tools->dangan, "%s", getenv("DANGAN"));
    else
        snprintf(tools->dangan, sizeof tools->dangan, "%s/../dangan", here);
    if (access(tools->dangan, X_OK) != 0) {
        fprintf(stderr, "dangan: bench/scale: %s: %s (make builds it, or set DANGAN)\n",
                tools->dangan, strerror(errno));
        return 1;
    }
    struct passwd *pw = getpwuid(geteuid());
    tools->login = pw ? pw->pw_name : "?";
    tools->seconds = getenv("DG_SCALE_SECONDS") ? atof(getenv("DG_SCALE_SECONDS")) : 10;
    if (tools->seconds <= 0) {
        fprintf(stderr, "dangan: bench/scale: DG_SCALE_SECONDS must be a positive number\n");
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    long defaults[] = {10000, 100000};
    size_t n = argc > 1 ? (size_t)argc - 1 : N_OF(defaults), done = 0;
    scale_tools tools;
    if (find_tools(argv[0], &tools))
        return 1;
    for (int i = 1; i < argc; i++)
        if (atol(argv[i]) <= 0)
            return fprintf(stderr, "dangan: bench/scale: '%s' is not a number of records\n",
                           argv[i]), 1;
    scale_row *rows = calloc(n, sizeof *rows);
    if (!rows)
        return fprintf(stderr, "dangan: bench/scale: out of memory\n"), 1;
    print_load();
    int failed = 0;
    for (; done < n && !failed; done++) {
        long records = argc > 1 ? atol(argv[done + 1]) : defaults[done];
        failed = run_child(&tools, records, &rows[done]);
        if (!failed)
            print_row(&rows[done]);
    }
    print_load();
    /* The sizes done so far are kept even when a later one failed. */
    write_curves(rows, done - (size_t)failed);
    free(rows);
    return failed;
}
