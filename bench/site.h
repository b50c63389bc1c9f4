/*
 * bench/site.h — what the server benchmarks (bench/serve.c, bench/web.c) share: a folder
 * holding a generated archive (bench/corpus.h's records, filed through dg_dispatch as a
 * client would file them) and the server's socket, their clock and percentiles, and the
 * check of a response. Header-only, as corpus.h: each bench is one file and one binary.
 *
 * A folder given on the command line is kept, and an archive already in it is reused, so
 * a large archive (issue 18's 100,000 records) is built once for many runs; a temporary
 * folder is removed at the end.
 */
#ifndef DG_BENCH_SITE_H
#define DG_BENCH_SITE_H

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bench/corpus.h"
#include "cli/dispatch.h"
#include "engine/archive.h"

typedef struct bench_site {
    char dir[256], archive[300], socket[300];
    const char *login; /* the OS user running the bench: the archive's admin */
    int keep;          /* the folder was given: keep it (and reuse its archive) */
    double seconds;    /* how long each timed run lasts */
} bench_site;

static inline double bench_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static inline int bench_compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The q-quantile of n sorted samples (0 for none). */
static inline double bench_pct(const double *sorted, size_t n, double q)
{
    return n ? sorted[(size_t)(q * (double)(n - 1))] : 0;
}

/* 1 when the response says ok (printing its error when not); takes the response. */
static inline int bench_response_ok(json_t *response)
{
    int ok = json_is_true(json_object_get(response, "ok"));
    if (!ok)
        fprintf(stderr, "bench: %s\n", json_string_value(json_object_get(response, "error")));
    json_decref(response);
    return ok;
}

/* Files record i of the corpus as `add` through the dispatcher (level 4 filed as 3, so the
 * admin's searches see every record). */
static inline int bench_add_record(dg_archive *a, const char *login, int i)
{
    char title[256], number[64], body[4096], ref[64], level[8];
    int year, lvl;
    bench_record(i, title, sizeof title, number, sizeof number, body, sizeof body, ref,
                 sizeof ref, &year, &lvl);
    snprintf(level, sizeof level, "%d", lvl == 4 ? 3 : lvl);
    int fd = memfd_create("record", MFD_CLOEXEC);
    if (fd < 0 || write(fd, body, strlen(body)) != (ssize_t)strlen(body)) {
        if (fd >= 0)
            close(fd);
        return 0;
    }
    json_t *req = json_pack("{s:i, s:s, s:{s:{s:i, s:s}, s:s, s:s, s:i, s:s, s:s}}", "v", 1,
                            "cmd", "add", "args", "file", "fd", 0, "name", "record.txt",
                            "title", title, "category", BENCH_CATEGORIES[i % 5], "year", year,
                            "level", level, "doc_number", number);
    dg_dispatch_io io = {.fds = &fd, .n_fds = 1};
    int ok = bench_response_ok(dg_dispatch(a, login, "bench", req, &io));
    json_decref(req);
    close(fd);
    return ok;
}

/*
 * The site's folder: keep_dir when given (made if missing), else a new temporary folder
 * named after the bench. 0 when it cannot be made.
 */
static inline int bench_site_open(bench_site *s, const char *name, const char *keep_dir)
{
    memset(s, 0, sizeof *s);
    struct passwd *pw = getpwuid(geteuid());
    s->login = pw ? pw->pw_name : "?";
    if (keep_dir) {
        s->keep = 1;
        snprintf(s->dir, sizeof s->dir, "%s", keep_dir);
        if (mkdir(s->dir, 0700) != 0 && access(s->dir, W_OK) != 0)
            return 0;
    } else {
        snprintf(s->dir, sizeof s->dir, "/tmp/dangan-bench-%s-XXXXXX", name);
        if (!mkdtemp(s->dir))
            return 0;
    }
    snprintf(s->archive, sizeof s->archive, "%s/archive", s->dir);
    snprintf(s->socket, sizeof s->socket, "%s/dangan.sock", s->dir);
    return 1;
}

/*
 * Builds an archive of n records in the site (or reuses the one there), then runs
 * prepare(archive, login) on it when given. Must run before any thread starts: the
 * server forks after it.
 */
static inline int bench_site_build(bench_site *s, int n, int (*prepare)(dg_archive *, const char *))
{
    char catalog[320];
    snprintf(catalog, sizeof catalog, "%s/catalog.db", s->archive);
    int reuse = access(catalog, F_OK) == 0;
    dg_error err;
    dg_archive *a;
    if ((!reuse && dg_archive_create(s->archive, "X001", "Bench", s->login, s->login, &err) !=
                       DG_OK) ||
        dg_archive_open(s->archive, &a, &err) != DG_OK) {
        fprintf(stderr, "bench: %s\n", err.msg);
        return 0;
    }
    double start = bench_now_ms();
    int ok = !prepare || prepare(a, s->login);
    for (int i = 0; ok && !reuse && i < n; i++) {
        ok = bench_add_record(a, s->login, i);
        if (ok && (i + 1) % 10000 == 0)
            fprintf(stderr, "bench: %d records filed\n", i + 1);
    }
    dg_archive_close(a);
    if (ok && reuse)
        printf("archive reused from %s (N ignored)\n", s->archive);
    else if (ok)
        printf("archive of %d records built in %.1f s\n", n, (bench_now_ms() - start) / 1e3);
    return ok;
}

/* Removes a temporary site's folder; a kept one stays. */
static inline void bench_site_close(const bench_site *s)
{
    if (s->keep || !s->dir[0])
        return;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", s->dir);
    if (system(cmd) != 0)
        fprintf(stderr, "bench: could not remove %s\n", s->dir);
}

#endif
