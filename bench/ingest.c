/*
 * ingest.c — OCR throughput and accuracy on the generated fixtures (bench/ingest runs it).
 *
 *   ingest-bench [--jobs N] [--lang LANG] FIXTURE_DIR NAME...
 *
 * Reads each NAME (a page image in FIXTURE_DIR with its truth in NAME's .gt.txt, see
 * bench/ingest) with dg_ocr_page(), LANG forced or chosen automatically, on N worker
 * threads with one engine each, and prints per-page time, model, CER, then pages/s.
 */
#include <leptonica/allheaders.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../ingest/ocr.h"
#include "../tests/unit/fixtures.h"

typedef struct job {
    const char *name, *truth;
    double seconds, cer;
    char lang[64];
    int ok;
} job;

static job *jobs;
static int job_count;
static atomic_int next_job;
static const char *forced_lang;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *worker(void *arg)
{
    (void)arg;
    dg_ocr *ocr = NULL;
    dg_error err;
    if (dg_ocr_open(&ocr, NULL, &err) != DG_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return NULL;
    }
    for (int i; (i = atomic_fetch_add(&next_job, 1)) < job_count;) {
        job *j = &jobs[i];
        PIX *pix = pixRead(fixture(j->name));
        char *truth = read_file(fixture(j->truth), NULL);
        dg_ocr_result *r = NULL;
        double start = now();
        if (pix && truth && dg_ocr_page(ocr, pix, forced_lang, j->name, &r, &err) == DG_OK) {
            j->seconds = now() - start;
            j->cer = cer(truth, r->text);
            snprintf(j->lang, sizeof j->lang, "%s", r->lang);
            j->ok = 1;
        } else {
            fprintf(stderr, "%s: failed: %s\n", j->name, err.msg);
        }
        dg_ocr_result_free(r);
        free(truth);
        pixDestroy(&pix);
    }
    dg_ocr_close(ocr);
    return NULL;
}

int main(int argc, char **argv)
{
    int jobs_n = 1, a = 1;
    for (; a < argc && strncmp(argv[a], "--", 2) == 0; a += 2) {
        if (a + 1 >= argc)
            return 2;
        if (strcmp(argv[a], "--jobs") == 0)
            jobs_n = atoi(argv[a + 1]);
        else if (strcmp(argv[a], "--lang") == 0)
            forced_lang = argv[a + 1];
    }
    if (a + 1 >= argc || jobs_n < 1) {
        fprintf(stderr, "usage: ingest-bench [--jobs N] [--lang LANG] DIR NAME:TRUTH...\n");
        return 2;
    }
    snprintf(fixture_root, sizeof fixture_root, "%s", argv[a++]);
    job_count = argc - a;
    jobs = calloc((size_t)job_count, sizeof *jobs);
    for (int i = 0; i < job_count; i++) {
        char *spec = argv[a + i], *colon = strchr(spec, ':');
        if (!colon)
            return 2;
        *colon = '\0';
        jobs[i].name = spec;
        jobs[i].truth = colon + 1;
    }
    pthread_t threads[64];
    if (jobs_n > 64)
        jobs_n = 64;
    double start = now();
    for (int t = 0; t < jobs_n; t++)
        pthread_create(&threads[t], NULL, worker, NULL);
    for (int t = 0; t < jobs_n; t++)
        pthread_join(threads[t], NULL);
    double wall = now() - start;
    double cer_sum = 0;
    int ok = 0;
    for (int i = 0; i < job_count; i++) {
        if (!jobs[i].ok)
            continue;
        ok++;
        cer_sum += jobs[i].cer;
        printf("%-16s %-20s %6.2fs  CER %5.1f%%\n", jobs[i].name, jobs[i].lang, jobs[i].seconds,
               100 * jobs[i].cer);
    }
    printf("lang %s, jobs %d: %d pages in %.2fs = %.2f pages/s, mean CER %.1f%%\n",
           forced_lang ? forced_lang : "auto", jobs_n, ok, wall, ok / wall,
           ok ? 100 * cer_sum / ok : 0.0);
    free(jobs);
    return ok == job_count ? 0 : 1;
}
