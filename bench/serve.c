/*
 * bench/serve.c — what going through `dangan serve` costs, compared with direct mode.
 *
 * Builds an archive of N (default 200) generated records in a temporary folder and starts
 * a server on it in a child process. Then it runs the fixed query mix as searches two
 * ways:
 *
 *   direct: dg_dispatch in this process, on an archive handle opened once per thread
 *           (the engine's own cost, without the CLI's process start and archive open)
 *   socket: dg_client_request, one connection per request as the CLI makes them
 *
 * It prints p50 and p99 latency of one client for whoami (the server's own overhead: the
 * engine does one lookup and writes nothing) and for searches, the per-request overhead
 * (whoami socket p50 minus direct p50; target under 0.5 ms), and the search throughput
 * of 8 concurrent clients in each mode (issue 21's target: socket at least 90% of direct). Every
 * search is a full request: permission filter, facets, snippets and the access-log entry.
 * Last, issue 17's "appending an entry adds under 5% to a search through the server":
 * searches through the socket interleaved with log appends of the same size on the
 * bench's own handle, alone and inside a shared transaction (measure_append_share).
 *
 *   make bench && build/bench/serve [N] [SECONDS] [FOLDER [socket]]
 *
 * With "socket" after FOLDER it runs only the 8 clients through the socket and prints the
 * server's CPU per search and its pid: a run short enough to profile the server alone
 * (perf record -g over the whole bench, then perf report --pid).
 *
 * With FOLDER the archive is kept there and reused by the next run (bench/site.h).
 */

#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/corpus.h"
#include "bench/proc.h"
#include "bench/site.h"
#include "cli/client.h"
#include "cli/dispatch.h"
#include "cli/serve.h"
#include "engine/archive.h"
#include "engine/archive_internal.h" /* a bench may hold a write transaction open */
#include "engine/catalog.h"
#include "engine/log.h"
#include "engine/user.h"

enum { CLIENTS = 8, LATENCY_ROUNDS = 100 };

/* whoami costs the engine one catalog lookup and writes nothing, so the difference
 * between the two modes is the server's own overhead; a search also appends (and syncs)
 * an access-log entry, whose disk time swamps everything else. */
static json_t *make_request(const char *cmd, size_t i)
{
    if (!strcmp(cmd, "whoami"))
        return json_pack("{s:i, s:s}", "v", 1, "cmd", "whoami");
    return json_pack("{s:i, s:s, s:{s:s}}", "v", 1, "cmd", "search", "args", "query",
                     BENCH_QUERIES[i % BENCH_N_QUERIES]);
}

/* ---- the server ------------------------------------------------------------------- */

static pid_t start_server(bench_site *b, int sync_every_entry, FILE *log)
{
    pid_t pid = fork();
    if (pid == 0) {
        dg_serve_options o = {.archive = b->archive, .socket_path = b->socket,
                              .readers = DG_SERVE_DEFAULT_READERS,
                              .max_clients = DG_SERVE_DEFAULT_MAX_CLIENTS,
                              .timeout_ms = DG_SERVE_DEFAULT_TIMEOUT_MS, .log = log,
                              .sync_every_entry = sync_every_entry};
        dg_error err;
        _exit(dg_serve(&o, &err) == DG_OK ? 0 : 1);
    }
    /* Ready when a request gets an answer. */
    for (int tries = 0; pid > 0 && tries < 200; tries++) {
        json_t *req = json_pack("{s:i, s:s}", "v", 1, "cmd", "whoami");
        json_t *resp = dg_client_request(b->socket, req, NULL, 0, NULL);
        json_decref(req);
        int ok = json_is_true(json_object_get(resp, "ok"));
        json_decref(resp);
        if (ok)
            return pid;
        usleep(50 * 1000);
    }
    return -1;
}

/* ---- one request, either way ------------------------------------------------------ */

typedef struct client {
    bench_site *b;
    int via_socket;
    dg_archive *archive; /* direct mode: this thread's own handle */
    size_t done;
    int failed;
    double until;
} client;

static int one_request(client *c, const char *cmd, size_t i)
{
    json_t *req = make_request(cmd, i);
    json_t *resp = c->via_socket ? dg_client_request(c->b->socket, req, NULL, 0, NULL)
                                 : dg_dispatch(c->archive, c->b->login, "bench", req, NULL);
    json_decref(req);
    return bench_response_ok(resp);
}

static int open_client(client *c, bench_site *b, int via_socket)
{
    memset(c, 0, sizeof *c);
    c->b = b;
    c->via_socket = via_socket;
    dg_error err;
    if (!via_socket && dg_archive_open(b->archive, &c->archive, &err) != DG_OK) {
        fprintf(stderr, "bench: %s\n", err.msg);
        return 0;
    }
    return 1;
}

static int measure_latency(bench_site *b, const char *cmd, int via_socket, double *p50)
{
    client c;
    if (!open_client(&c, b, via_socket))
        return 0;
    size_t n = LATENCY_ROUNDS * BENCH_N_QUERIES;
    double *samples = malloc(n * sizeof *samples);
    int ok = samples != NULL;
    for (size_t i = 0; ok && i < BENCH_N_QUERIES; i++)
        ok = one_request(&c, cmd, i); /* warm-up */
    for (size_t i = 0; ok && i < n; i++) {
        double t = bench_now_ms();
        ok = one_request(&c, cmd, i);
        samples[i] = bench_now_ms() - t;
    }
    if (ok) {
        qsort(samples, n, sizeof *samples, bench_compare_double);
        *p50 = bench_pct(samples, n, 0.5);
        printf("  %-6s %-7s 1 client:  p50 %.3f ms  p99 %.3f ms  (%zu requests)\n", cmd,
               via_socket ? "socket" : "direct", *p50, bench_pct(samples, n, 0.99), n);
    }
    free(samples);
    dg_archive_close(c.archive);
    return ok;
}

static void *client_main(void *arg)
{
    client *c = arg;
    for (size_t i = 0; bench_now_ms() < c->until; i++) {
        if (!one_request(c, "search", i)) {
            c->failed = 1;
            break;
        }
        c->done++;
    }
    return NULL;
}

/* The server's CPU per search in the socket run (issue 17: what the log append adds is
 * compared as server CPU per search, A/B against another build). */
static pid_t server_pid;

static int measure_throughput(bench_site *b, int via_socket, double *per_second)
{
    double cpu0 = via_socket && server_pid > 0 ? process_cpu_s(server_pid) : -1;
    client clients[CLIENTS];
    pthread_t threads[CLIENTS];
    int ok = 1, started = 0;
    for (int i = 0; ok && i < CLIENTS; i++)
        ok = open_client(&clients[i], b, via_socket);
    double start = bench_now_ms();
    for (int i = 0; ok && i < CLIENTS; i++) {
        clients[i].until = start + b->seconds * 1e3;
        ok = pthread_create(&threads[i], NULL, client_main, &clients[i]) == 0;
        started += ok;
    }
    size_t total = 0;
    for (int i = 0; i < started; i++) {
        pthread_join(threads[i], NULL);
        total += clients[i].done;
        ok = ok && !clients[i].failed;
    }
    double secs = (bench_now_ms() - start) / 1e3;
    for (int i = 0; i < CLIENTS; i++)
        dg_archive_close(clients[i].archive);
    *per_second = (double)total / secs;
    if (ok)
        printf("  search %-7s %d clients: %.0f requests/s\n", via_socket ? "socket" : "direct",
               CLIENTS, *per_second);
    double cpu1 = cpu0 >= 0 ? process_cpu_s(server_pid) : -1;
    if (ok && cpu1 >= 0 && total)
        printf("  server CPU per search (its log entry and commit included): %.3f ms "
               "(%zu searches)\n", (cpu1 - cpu0) * 1e3 / (double)total, total);
    return ok;
}

/* ---- issue 17: what the log append adds to a search through the server ---------- */

typedef struct append_cost {
    double search, append, in_txn; /* p50s, ms */
} append_cost;

/* One log entry like a search's (10 hits shown), on the bench's own handle. */
static int append_one(dg_archive *a, const dg_actor *me, int in_txn)
{
    dg_log_event ev = {.action = "search", .query = "通知", .hits = 10, .outcome = "ok",
                       .shown = "X001-XZ·2024-D10-0001@1,X001-XZ·2024-D10-0002@1,"
                                "X001-XZ·2024-D10-0003@1,X001-XZ·2024-D10-0004@1"};
    dg_error err;
    dg_status st = in_txn ? dg_log_append_in_txn(a, me, NULL, &ev, &err)
                          : dg_log_append(a, me, NULL, &ev, &err);
    if (st != DG_OK)
        fprintf(stderr, "bench: %s\n", err.msg);
    return st == DG_OK;
}

/*
 * In one loop, so the machine's load is the same for all three: a search through the
 * socket (its log entry included), then one log append on this process's own handle of
 * the same archive in its own transaction (hash, row, tree, commit and sync: what the
 * search's entry costs when no other entry shares its commit), then the same append inside
 * a transaction held open (its CPU alone: what it costs when a group commit shares the
 * sync among many). p50 of each.
 */
static int measure_append_share(bench_site *b, append_cost *out)
{
    enum { ROUNDS = 300, IN_TXN_PER_ROUND = 10 };
    dg_archive *a;
    dg_actor me;
    dg_error err;
    if (dg_archive_open(b->archive, &a, &err) != DG_OK ||
        dg_actor_login(a, b->login, "bench", &me, &err) != DG_OK) {
        fprintf(stderr, "bench: %s\n", err.msg);
        return 0;
    }
    static double search[ROUNDS], append[ROUNDS], in_txn[ROUNDS];
    client c = {.b = b, .via_socket = 1};
    int ok = 1;
    for (int i = 0; ok && i < ROUNDS; i++) {
        double t = bench_now_ms();
        ok = one_request(&c, "search", (size_t)i);
        search[i] = bench_now_ms() - t;
        t = bench_now_ms();
        ok = ok && append_one(a, &me, 0);
        append[i] = bench_now_ms() - t;
        ok = ok && dg_catalog_begin_write(a->db, &err) == DG_OK;
        t = bench_now_ms();
        for (int k = 0; ok && k < IN_TXN_PER_ROUND; k++)
            ok = append_one(a, &me, 1);
        in_txn[i] = (bench_now_ms() - t) / IN_TXN_PER_ROUND;
        ok = ok && dg_catalog_commit(a->db, &err) == DG_OK;
    }
    dg_archive_close(a);
    if (!ok)
        return 0;
    qsort(search, ROUNDS, sizeof *search, bench_compare_double);
    qsort(append, ROUNDS, sizeof *append, bench_compare_double);
    qsort(in_txn, ROUNDS, sizeof *in_txn, bench_compare_double);
    out->search = bench_pct(search, ROUNDS, 0.5);
    out->append = bench_pct(append, ROUNDS, 0.5);
    out->in_txn = bench_pct(in_txn, ROUNDS, 0.5);
    return 1;
}

static void report_append_share(const append_cost *c)
{
    double without = c->search - c->append;
    printf("log append against a search through the server (1 client, interleaved, p50):\n"
           "  search %.3f ms (entry included); append alone %.3f ms (commit and sync), "
           "%.3f ms of CPU in a shared transaction\n", c->search, c->append, c->in_txn);
    if (without <= 0) {
        printf("  the append is not measurably smaller than the search here\n");
        return;
    }
    double alone = 100 * c->append / without, shared = 100 * c->in_txn / (c->search - c->in_txn);
    printf("  adds %.1f%% to the search when its commit syncs for it alone (target < 5%%: %s)\n"
           "  adds %.1f%% as CPU inside an open transaction: a lower bound for a group commit, "
           "which adds its share of the commit's page writes and sync\n",
           alone, alone < 5 ? "met" : "NOT met", shared);
}

/*
 * A/B of the read entries' sync: servers started one after another on the same archive,
 * alternately with every entry synced before its answer (--sync-every-entry) and with
 * reads' syncs deferred (the default), each timing one client's searches through the
 * socket. Pairs, so the machine's load falls on both alike.
 */
static int measure_sync_ab(bench_site *b)
{
    enum { PAIRS = 3 };
    printf("search through the socket, 1 client, p50, A/B in pairs "
           "(A: every entry synced before its answer, B: reads' syncs deferred):\n");
    for (int pair = 0; pair < PAIRS; pair++)
        for (int every = 1; every >= 0; every--) {
            pid_t server = start_server(b, every, NULL);
            double p50 = 0;
            printf("  pair %d %s\n", pair + 1, every ? "A" : "B");
            int ok = server > 0 && measure_latency(b, "search", 1, &p50);
            if (server > 0) {
                kill(server, SIGTERM);
                waitpid(server, NULL, 0);
            }
            if (!ok)
                return 0;
        }
    return 1;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 200;
    bench_site b;
    if (!bench_site_open(&b, "serve", argc > 3 ? argv[3] : NULL))
        return 2;
    b.seconds = argc > 2 ? atof(argv[2]) : 5.0;
    if (n < 1 || b.seconds <= 0)
        return 2;
    double direct_p50 = 0, socket_p50 = 0, search_direct = 0, search_socket = 0;
    double direct_tp = 0, socket_tp = 0;
    /* The archive is built before the server forks, and the server forks before this
     * process starts any thread. */
    int ok = bench_site_build(&b, n, NULL);
    /* In "socket" mode the server's log goes to stderr: its last lines say how many entries
     * each group commit held. */
    int socket_only = argc > 4 && !strcmp(argv[4], "socket");
    pid_t server = ok ? start_server(&b, 0, socket_only ? stderr : NULL) : -1;
    ok = server > 0;
    server_pid = server;
    if (ok)
        printf("requests (searches: the %zu-query mix, each one logged):\n",
               (size_t)BENCH_N_QUERIES);
    if (ok && socket_only) {
        printf("server pid %d\n", (int)server);
        ok = measure_throughput(&b, 1, &socket_tp);
        kill(server, SIGTERM);
        waitpid(server, NULL, 0);
        bench_site_close(&b);
        return ok ? 0 : 1;
    }
    ok = ok && measure_latency(&b, "whoami", 0, &direct_p50) &&
         measure_latency(&b, "whoami", 1, &socket_p50);
    ok = ok && measure_latency(&b, "search", 0, &search_direct) &&
         measure_latency(&b, "search", 1, &search_socket);
    ok = ok && measure_throughput(&b, 0, &direct_tp) && measure_throughput(&b, 1, &socket_tp);
    append_cost cost;
    ok = ok && measure_append_share(&b, &cost);
    if (ok) {
        double overhead = socket_p50 - direct_p50;
        printf("per-request overhead at p50 (whoami socket - direct): %.3f ms (target < 0.5 ms):"
               " %s\n", overhead, overhead < 0.5 ? "met" : "NOT met");
        printf("search p50 through the server minus direct: %+.3f ms (disk-bound, noisy)\n",
               search_socket - search_direct);
        printf("throughput through the server: %.0f%% of direct (target >= 90%%): %s\n",
               100 * socket_tp / direct_tp, socket_tp >= 0.9 * direct_tp ? "met" : "NOT met");
        report_append_share(&cost);
    }
    if (server > 0) {
        kill(server, SIGTERM);
        waitpid(server, NULL, 0);
    }
    ok = ok && measure_sync_ab(&b);
    bench_site_close(&b);
    return ok ? 0 : 1;
}
