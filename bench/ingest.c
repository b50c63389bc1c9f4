/*
 * ingest.c — helpers for bench/ingest: OCR timings of dangan's reader and character error
 * rates.
 *
 *   ingest-bench ocr [--jobs N] [--out DIR] [--lang L | --script-known] PAGE...
 *       reads each page image with dg_ocr_page() (automatic choice, or L forced) on N
 *       threads, one engine each, and prints one line "pages P wall W decode D cleanup C
 *       choice H recognition R cpu U" (seconds, summed over pages except wall; cpu is the
 *       process's user + sys CPU time): what of a page's time is Tesseract's reading and
 *       what is not. With --out, each page's text goes to DIR/NAME.txt and a line
 *       "NAME<TAB>model<TAB>reason" per page to DIR/langs.tsv. --script-known reads each
 *       Chinese page (-sim. -msim. -tra. -mtra. in its name, as bench/make-ocr-pages.py
 *       names them) as a later page of a record in that script (dg_ocr_page_in_record),
 *       so simplified against traditional is not measured: what a script choice that
 *       cost nothing would leave (English is still decided on the page).
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
#include <sys/resource.h>
#include <sys/stat.h>
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
static const char *out_dir;
static const char *forced_lang;
static int script_known; /* --script-known */
static char (*langs)[256];

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* Writes page i's text to out_dir/NAME.txt and keeps its model and reason for langs.tsv. */
static void save_text(int i, const dg_ocr_result *r)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.txt", out_dir, base_name(page_paths[i]));
    FILE *f = fopen(path, "wb");
    if (f) {
        fputs(r->text ? r->text : "", f);
        fclose(f);
    }
    snprintf(langs[i], sizeof langs[i], "%s\t%s", r->lang, r->lang_reason);
}

static double cpu_seconds(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return (double)u.ru_utime.tv_sec + (double)u.ru_utime.tv_usec / 1e6 +
           (double)u.ru_stime.tv_sec + (double)u.ru_stime.tv_usec / 1e6;
}

/* The Chinese script a page's name (bench/make-ocr-pages.py) gives it, else NULL. */
static const char *script_of_name(const char *path)
{
    const char *name = base_name(path);
    if (strstr(name, "-sim.") || strstr(name, "-msim."))
        return DG_OCR_LANG_SIMPLIFIED;
    if (strstr(name, "-tra.") || strstr(name, "-mtra."))
        return DG_OCR_LANG_TRADITIONAL;
    return NULL;
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
        const char *script = script_known ? script_of_name(page_paths[i]) : NULL;
        dg_status st = !pix     ? DG_ERR_BAD_INPUT
                       : script ? dg_ocr_page_in_record(ocr, pix, script, page_paths[i], &r, &err)
                                : dg_ocr_page(ocr, pix, forced_lang, page_paths[i], &r, &err);
        if (st == DG_OK) {
            timings[i].cleanup = r->seconds_cleanup;
            timings[i].choice = r->seconds_choice;
            timings[i].recognition = r->seconds_recognition;
            if (out_dir)
                save_text(i, r);
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
    for (; a < argc && strncmp(argv[a], "--", 2) == 0; a++) {
        if (strcmp(argv[a], "--script-known") == 0)
            script_known = 1;
        else if (a + 1 >= argc)
            return 2;
        else if (strcmp(argv[a], "--jobs") == 0)
            jobs = atoi(argv[++a]);
        else if (strcmp(argv[a], "--out") == 0)
            out_dir = argv[++a];
        else if (strcmp(argv[a], "--lang") == 0)
            forced_lang = argv[++a];
        else
            return 2;
    }
    if (jobs < 1 || jobs > 16 || a >= argc)
        return 2;
    page_paths = argv + a;
    page_count = argc - a;
    timings = calloc((size_t)page_count, sizeof *timings);
    langs = calloc((size_t)page_count, sizeof *langs);
    if (!timings || !langs)
        return 1;
    if (out_dir)
        mkdir(out_dir, 0755);
    double cpu = cpu_seconds();
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
    printf("pages %d wall %.3f decode %.3f cleanup %.3f choice %.3f recognition %.3f cpu %.3f\n",
           page_count, wall, sum.decode, sum.cleanup, sum.choice, sum.recognition,
           cpu_seconds() - cpu);
    char path[4096];
    snprintf(path, sizeof path, "%s/langs.tsv", out_dir ? out_dir : "");
    FILE *f = out_dir ? fopen(path, "w") : NULL;
    for (int i = 0; f && i < page_count; i++)
        fprintf(f, "%s\t%s\n", base_name(page_paths[i]), langs[i]);
    if (f)
        fclose(f);
    free(langs);
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
    fprintf(stderr, "usage: ingest-bench ocr [--jobs N] [--out DIR] [--lang L | --script-known] "
                    "PAGE... | cer TRUTH TEXT\n");
    return 2;
}
