/*
 * bench/query_dump.c — prints everything a search returns, so two builds can be compared
 * byte for byte on the same index (a change meant to make search cheaper must not change
 * what it finds), and times searches by CPU.
 *
 *   build/bench/query_dump gen NDOCS NQ SEED > queries   queries over bench/corpus.h's
 *       records 0..NDOCS-1: the bench's own, quoted pieces of titles and bodies (across
 *       punctuation and English), OR, NOT, title:, years; random viewers, sorts, pages
 *   build/bench/query_dump dump INDEX queries            hits (ids, score, snippet), total
 *       and facets of each, one handle for all (as a server's)
 *   build/bench/query_dump time INDEX queries            CPU and wall ms of each search,
 *       a fresh handle each (counts made afresh), warmed by one search of the same viewer
 *   build/bench/query_dump seq INDEX queries             the same on one handle
 *   (DG_QUERY_BUDGET=S gives each search S seconds instead of the default budget)
 *
 * A query line is "USER CLEARANCE SORT OFFSET|TEXT". INDEX is an index folder, e.g. one kept
 * by `DG_SCALE_KEEP=1 build/bench/scale 10000`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench/corpus.h"
#include "bench/index_doc.h"
#include "index/index.h"

static double now_ms(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* k characters of s from a random one, with quotes and line breaks made spaces. */
static void piece(const char *s, int k, unsigned *seed, char *out, size_t cap)
{
    size_t n = strlen(s);
    out[0] = 0;
    if (!n)
        return;
    size_t at = (size_t)rand_r(seed) % n;
    while (at > 0 && ((unsigned char)s[at] & 0xC0) == 0x80)
        at--;
    size_t end = at;
    for (int c = 0; c < k && end < n; c++) {
        end++;
        while (end < n && ((unsigned char)s[end] & 0xC0) == 0x80)
            end++;
    }
    size_t len = end - at < cap - 1 ? end - at : cap - 1;
    memcpy(out, s + at, len);
    out[len] = 0;
    for (char *p = out; *p; p++)
        if (*p == '"' || *p == '\n' || *p == '|')
            *p = ' ';
}

static void generate(int ndocs, int nq, unsigned seed)
{
    static const char *const fixed[] = {
        "\"年度考核\" 2019", "\"的通知\"", "\"工作\"", "工作", "the", "", "\"关于\"",
        "\"关于开展\"", "\"考核工作\"", "\"的通知\" 2020", "\"年度\" NEAR \"考核\"",
        "年度 NEAR/3 考核", "年度 ADJ/2 考核", "\"工作 的\"", "\"会议纪要\"",
        "title:\"的通知\"", "\"通知 的\"", "\"财务 管理\"", "\"xz 2024\"", "\"第12条\""};
    int n_fixed = (int)(sizeof fixed / sizeof fixed[0]);
    for (int q = 0; q < nq; q++) {
        int user = rand_r(&seed) % 3 + 1, clearance = rand_r(&seed) % 5;
        int sort = rand_r(&seed) % 4 == 0 ? 1 + rand_r(&seed) % 2 : 0;
        int offset = rand_r(&seed) % 6 == 0 ? 10 : 0;
        char text[600], p1[200], p2[200];
        if (q < n_fixed * 3) {
            snprintf(text, sizeof text, "%s", fixed[q % n_fixed]);
        } else {
            bench_doc b;
            dg_index_doc d;
            bench_index_doc(rand_r(&seed) % ndocs, &b, &d);
            int kind = rand_r(&seed) % 10;
            const char *from = rand_r(&seed) % 4 == 0 ? b.title : b.body;
            piece(from, 2 + rand_r(&seed) % 7, &seed, p1, sizeof p1);
            piece(b.body, 2 + rand_r(&seed) % 3, &seed, p2, sizeof p2);
            if (kind == 0)
                snprintf(text, sizeof text, "\"%s\" \"%s\"", p1, p2);
            else if (kind == 1)
                snprintf(text, sizeof text, "\"%s\" OR \"%s\"", p1, p2);
            else if (kind == 2)
                snprintf(text, sizeof text, "\"%s\" NOT \"%s\"", p1, p2);
            else if (kind == 3)
                snprintf(text, sizeof text, "title:\"%s\"", p1);
            else if (kind == 4)
                snprintf(text, sizeof text, "%s", p1);
            else if (kind == 5)
                snprintf(text, sizeof text, "\"%s\" %d", p1, 2015 + rand_r(&seed) % 10);
            else
                snprintf(text, sizeof text, "\"%s\"", p1);
        }
        printf("%d %d %d %d|%s\n", user, clearance, sort, offset, text);
    }
}

static void print_result(const dg_index_result *r)
{
    printf("T %llu\n", (unsigned long long)r->total);
    for (size_t i = 0; i < r->n_hits; i++)
        printf("H %lld %lld %d %d %.9g %s\n", (long long)r->hits[i].version_id,
               (long long)r->hits[i].record_id, r->hits[i].version_number,
               r->hits[i].is_current, r->hits[i].score, r->hits[i].snippet);
    for (size_t i = 0; i < r->n_category; i++)
        printf("C %s %llu\n", r->by_category[i].value, (unsigned long long)r->by_category[i].count);
    for (size_t i = 0; i < r->n_year; i++)
        printf("Y %s %llu\n", r->by_year[i].value, (unsigned long long)r->by_year[i].count);
    for (size_t i = 0; i < r->n_period; i++)
        printf("P %s %llu\n", r->by_period[i].value, (unsigned long long)r->by_period[i].count);
}

enum mode { DUMP, TIME_FRESH, TIME_ONE_HANDLE };

static int run(const char *path, const char *file, enum mode mode)
{
    FILE *f = fopen(file, "r");
    if (!f)
        return perror(file), 1;
    char line[1024];
    dg_error err;
    dg_index *index = NULL;
    double cpu_all = 0, wall_all = 0;
    /* DG_QUERY_BUDGET: each search's time budget in seconds (0: the index's default), for
     * timing broad first searches on a loaded machine, where the default stops them. */
    double budget = getenv("DG_QUERY_BUDGET") ? atof(getenv("DG_QUERY_BUDGET")) : 0;
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = 0;
        char *bar = strchr(line, '|');
        int user, clearance, sort, offset;
        if (!bar || sscanf(line, "%d %d %d %d", &user, &clearance, &sort, &offset) != 4)
            continue;
        *bar = 0;
        dg_index_viewer viewer = {user, clearance};
        if (!index || mode == TIME_FRESH) {
            if (index)
                dg_index_close(index);
            if (dg_index_open(path, DG_INDEX_READ, &index, &err) != DG_OK)
                return fclose(f), fprintf(stderr, "dangan: query_dump: %s\n", err.msg), 1;
            /* DG_SPLIT_COUNTS=N: count in two parts from N candidates (see
             * dg_index_set_split_counts), so that small indexes compare both ways */
            if (getenv("DG_SPLIT_COUNTS"))
                dg_index_set_split_counts(index, strtoull(getenv("DG_SPLIT_COUNTS"), NULL, 10));
            if (mode != DUMP) { /* the handle's first search opens and reads what a server has */
                dg_index_query warm = {.text = "经费预算", .level = -1, .limit = 10};
                dg_index_result *r = NULL;
                if (dg_index_search(index, &viewer, &warm, "", "", &r, &err) == DG_OK)
                    dg_index_result_free(r);
            }
        }
        dg_index_query q = {.text = bar + 1, .level = -1, .limit = 10, .offset = (size_t)offset,
                            .sort = (dg_index_sort)sort, .time_budget = budget};
        dg_index_result *r = NULL;
        double wall = now_ms(CLOCK_MONOTONIC), cpu = now_ms(CLOCK_PROCESS_CPUTIME_ID);
        dg_status st = dg_index_search(index, &viewer, &q, "[", "]", &r, &err);
        cpu = now_ms(CLOCK_PROCESS_CPUTIME_ID) - cpu;
        wall = now_ms(CLOCK_MONOTONIC) - wall;
        cpu_all += cpu, wall_all += wall, n++;
        if (mode != DUMP)
            printf("%8.2f %8.2f %8llu %s|%s\n", cpu, wall,
                   st == DG_OK ? (unsigned long long)r->total : 0ULL, line, bar + 1);
        else if (printf("Q %s|%s\n", line, bar + 1), st != DG_OK)
            printf("ERR %d %s\n", (int)st, err.msg);
        else
            print_result(r);
        if (st == DG_OK)
            dg_index_result_free(r);
    }
    fclose(f);
    fprintf(stderr, "%d queries: cpu %.1f ms, wall %.1f ms\n", n, cpu_all, wall_all);
    if (index && mode != TIME_FRESH)
        fprintf(stderr, "counts made in two parts: %llu\n",
                (unsigned long long)dg_index_counts_split(index));
    if (index)
        dg_index_close(index);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 5 && strcmp(argv[1], "gen") == 0)
        return generate(atoi(argv[2]), atoi(argv[3]), (unsigned)atoi(argv[4])), 0;
    if (argc == 4 && strcmp(argv[1], "dump") == 0)
        return run(argv[2], argv[3], DUMP);
    if (argc == 4 && strcmp(argv[1], "time") == 0)
        return run(argv[2], argv[3], TIME_FRESH);
    if (argc == 4 && strcmp(argv[1], "seq") == 0)
        return run(argv[2], argv[3], TIME_ONE_HANDLE);
    fprintf(stderr, "usage: query_dump gen NDOCS NQUERIES SEED | dump|time|seq INDEX QUERIES\n");
    return 2;
}
