/*
 * ingest.c — helpers for bench/ingest: OCR timings of dangan's reader and character error
 * rates.
 *
 *   ingest-bench ocr [--jobs N] PAGE...   reads each page image with dg_ocr_page()
 *       (automatic choice) on N threads, one engine each, and prints one line
 *       "pages P wall W decode D cleanup C choice H recognition R" (seconds, summed over
 *       pages except wall): what of a page's time is Tesseract's reading and what is not.
 *   ingest-bench cer TRUTH TEXT            prints the character error rate (percent) of the
 *       file TEXT against the file TRUTH: Levenshtein distance over code points,
 *       whitespace ignored, divided by the length of the truth.
 */
#include <leptonica/allheaders.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../ingest/ocr.h"
#include "cer.h"

typedef struct timing {
    double decode, cleanup, choice, recognition;
} timing;

static char **page_paths;
static int page_count;
static atomic_int next_page;
static timing *timings;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *ocr_worker(void *arg)
{
    (void)arg;
    dg_ocr *ocr = NULL;
    dg_error err;
    if (dg_ocr_open(&ocr, NULL, &err) != DG_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return NULL;
    }
    for (int i; (i = atomic_fetch_add(&next_page, 1)) < page_count;) {
        double start = now();
        PIX *pix = pixRead(page_paths[i]);
        timings[i].decode = now() - start;
        dg_ocr_result *r = NULL;
        if (pix && dg_ocr_page(ocr, pix, NULL, page_paths[i], &r, &err) == DG_OK) {
            timings[i].cleanup = r->seconds_cleanup;
            timings[i].choice = r->seconds_choice;
            timings[i].recognition = r->seconds_recognition;
        } else {
            fprintf(stderr, "%s: failed: %s\n", page_paths[i], pix ? err.msg : "unreadable");
        }
        dg_ocr_result_free(r);
        pixDestroy(&pix);
    }
    dg_ocr_close(ocr);
    return NULL;
}

static int time_ocr(int argc, char **argv)
{
    int jobs = 1, a = 0;
    if (argc > 1 && strcmp(argv[0], "--jobs") == 0) {
        jobs = atoi(argv[1]);
        a = 2;
    }
    if (jobs < 1 || jobs > 16 || a >= argc)
        return 2;
    page_paths = argv + a;
    page_count = argc - a;
    timings = calloc((size_t)page_count, sizeof *timings);
    if (!timings)
        return 1;
    pthread_t threads[16];
    double start = now();
    for (int t = 0; t < jobs; t++)
        pthread_create(&threads[t], NULL, ocr_worker, NULL);
    for (int t = 0; t < jobs; t++)
        pthread_join(threads[t], NULL);
    double wall = now() - start;
    timing sum = {0};
    for (int i = 0; i < page_count; i++) {
        sum.decode += timings[i].decode;
        sum.cleanup += timings[i].cleanup;
        sum.choice += timings[i].choice;
        sum.recognition += timings[i].recognition;
    }
    printf("pages %d wall %.3f decode %.3f cleanup %.3f choice %.3f recognition %.3f\n",
           page_count, wall, sum.decode, sum.cleanup, sum.choice, sum.recognition);
    free(timings);
    return 0;
}

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    int ch;
    while (mem && (ch = fgetc(f)) != EOF)
        fputc(ch, mem);
    fclose(f);
    if (!mem || fclose(mem) != 0)
        return NULL;
    return buf;
}

static int print_cer(const char *truth_path, const char *text_path)
{
    char *truth = read_text(truth_path), *text = read_text(text_path);
    double rate = truth && text ? cer(truth, text) : -1;
    free(truth);
    free(text);
    if (rate < 0)
        return 1;
    printf("%.2f\n", 100.0 * rate);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 3 && strcmp(argv[1], "ocr") == 0)
        return time_ocr(argc - 2, argv + 2);
    if (argc == 4 && strcmp(argv[1], "cer") == 0)
        return print_cer(argv[2], argv[3]);
    fprintf(stderr, "usage: ingest-bench ocr [--jobs N] PAGE... | cer TRUTH TEXT\n");
    return 2;
}
