/*
 * ocr_choice.c — how well dangan picks the language model, and what the pick costs
 * (bench/ocr-choice runs it on the pages of bench/make-ocr-pages.py).
 *
 *   ocr-choice [--jobs N] [--cache DIR] [--old-choice-cer] PAGE...
 *
 * For each PAGE (an image with its truth in PAGE-without-extension.gt.txt, its script in
 * its name: -sim. -msim. simplified, -tra. -mtra. traditional, -eng. -engzh. English) it
 * reads the page with the automatic choice, and with each of chi_sim, chi_tra and eng
 * forced (those readings are kept in DIR, default build/bench/ocr-cache, so a rerun only
 * redoes the choice). It prints per page: script, chosen model, the model with the lowest
 * CER, CERs, the choice's reasons and seconds; then the accuracy of the choice against the
 * page's script and against the best model, mean CER of the choice against the best single
 * model per page, and the share of time spent on the choice and on clean-up.
 */
#include <leptonica/allheaders.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "../ingest/ocr.h"
#include "cer.h"

static const char *models[3] = {DG_OCR_LANG_SIMPLIFIED, DG_OCR_LANG_TRADITIONAL,
                                DG_OCR_LANG_ENGLISH};

typedef struct page {
    const char *path;
    const char *script; /* the model the page's script calls for */
    double cer_auto, cer_model[3];
    char lang[64], reason[128];
    double cleanup, choice, recognition;
    int ok;
} page;

static page *pages;
static int page_count;
static atomic_int next_page;
static const char *cache_dir = "build/bench/ocr-cache";

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

static int write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    fputs(text, f);
    return fclose(f);
}

static const char *script_of(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    if (strstr(base, "-sim.") || strstr(base, "-msim."))
        return DG_OCR_LANG_SIMPLIFIED;
    if (strstr(base, "-tra.") || strstr(base, "-mtra."))
        return DG_OCR_LANG_TRADITIONAL;
    if (strstr(base, "-eng.") || strstr(base, "-engzh."))
        return DG_OCR_LANG_ENGLISH;
    return "?";
}

/* The text of path read with model, from the cache or read now and cached. */
static char *forced_text(dg_ocr *ocr, PIX *pix, const char *path, const char *model)
{
    const char *base = strrchr(path, '/');
    char cached[4096];
    snprintf(cached, sizeof cached, "%s/%s.%s.txt", cache_dir, base ? base + 1 : path, model);
    char *text = read_text(cached);
    if (text)
        return text;
    dg_ocr_result *r = NULL;
    dg_error err;
    if (dg_ocr_page(ocr, pix, model, path, &r, &err) != DG_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return NULL;
    }
    text = strdup(r->text);
    dg_ocr_result_free(r);
    if (text)
        write_text(cached, text);
    return text;
}

static void measure(dg_ocr *ocr, page *p)
{
    char truth_path[4096];
    snprintf(truth_path, sizeof truth_path, "%s", p->path);
    char *dot = strrchr(truth_path, '.');
    if (dot)
        snprintf(dot, sizeof truth_path - (size_t)(dot - truth_path), ".gt.txt");
    char *truth = read_text(truth_path);
    PIX *pix = pixRead(p->path);
    dg_ocr_result *r = NULL;
    dg_error err;
    if (!truth || !pix || dg_ocr_page(ocr, pix, NULL, p->path, &r, &err) != DG_OK) {
        fprintf(stderr, "%s: cannot read the page or its truth\n", p->path);
        goto done;
    }
    p->cer_auto = cer(truth, r->text);
    snprintf(p->lang, sizeof p->lang, "%s", r->lang);
    snprintf(p->reason, sizeof p->reason, "%s", r->lang_reason);
    p->cleanup = r->seconds_cleanup;
    p->choice = r->seconds_choice;
    p->recognition = r->seconds_recognition;
    p->ok = 1;
    for (int m = 0; m < 3; m++) {
        char *text = forced_text(ocr, pix, p->path, models[m]);
        p->cer_model[m] = text ? cer(truth, text) : 1;
        p->ok &= text != NULL;
        free(text);
    }
done:
    dg_ocr_result_free(r);
    pixDestroy(&pix);
    free(truth);
}

static void *worker(void *arg)
{
    (void)arg;
    dg_ocr *ocr;
    dg_error err;
    if (dg_ocr_open(&ocr, NULL, &err) != DG_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return NULL;
    }
    for (int i; (i = atomic_fetch_add(&next_page, 1)) < page_count;)
        measure(ocr, &pages[i]);
    dg_ocr_close(ocr);
    return NULL;
}

static int best_model(const page *p)
{
    int best = 0;
    for (int m = 1; m < 3; m++)
        if (p->cer_model[m] < p->cer_model[best])
            best = m;
    return best;
}

static void report(void)
{
    int ok = 0, right_script = 0, right_best = 0, scripted = 0;
    double sum_auto = 0, sum_best = 0, cleanup = 0, choice = 0, recognition = 0;
    for (int i = 0; i < page_count; i++) {
        page *p = &pages[i];
        if (!p->ok)
            continue;
        int best = best_model(p);
        /* The choice is as good as the best model when its CER is within 0.5 points. */
        int as_best = p->cer_auto <= p->cer_model[best] + 0.005;
        ok++;
        right_best += as_best;
        if (strcmp(p->script, "?") != 0) {
            scripted++;
            right_script += strcmp(p->lang, p->script) == 0;
        }
        sum_auto += p->cer_auto;
        sum_best += p->cer_model[best];
        cleanup += p->cleanup, choice += p->choice, recognition += p->recognition;
        const char *base = strrchr(p->path, '/');
        printf("%-18s %-7s %-7s %s best %-7s CER %5.1f%% (sim %5.1f tra %5.1f eng %5.1f)  "
               "%.2f+%.2f+%.2fs  %s\n",
               base ? base + 1 : p->path, p->script, p->lang,
               strcmp(p->lang, p->script) == 0 ? "  " : "!!", models[best], 100 * p->cer_auto,
               100 * p->cer_model[0], 100 * p->cer_model[1], 100 * p->cer_model[2], p->cleanup,
               p->choice, p->recognition, p->reason);
    }
    double total = cleanup + choice + recognition;
    printf("\n%d pages: right script %d/%d, as good as the best single model %d/%d\n", ok,
           right_script, scripted, right_best, ok);
    printf("mean CER: automatic choice %.2f%%, best single model per page %.2f%%\n",
           ok ? 100 * sum_auto / ok : 0, ok ? 100 * sum_best / ok : 0);
    printf("time: clean-up %.1f%%, choice %.1f%%, recognition %.1f%% of %.1fs\n",
           100 * cleanup / total, 100 * choice / total, 100 * recognition / total, total);
}

int main(int argc, char **argv)
{
    int jobs = 1, a = 1;
    for (; a + 1 < argc && strncmp(argv[a], "--", 2) == 0; a += 2) {
        if (strcmp(argv[a], "--jobs") == 0)
            jobs = atoi(argv[a + 1]);
        else if (strcmp(argv[a], "--cache") == 0)
            cache_dir = argv[a + 1];
    }
    if (a >= argc || jobs < 1 || jobs > 16) {
        fprintf(stderr, "usage: ocr-choice [--jobs N] [--cache DIR] PAGE...\n");
        return 2;
    }
    mkdir(cache_dir, 0755);
    page_count = argc - a;
    pages = calloc((size_t)page_count, sizeof *pages);
    if (!pages)
        return 1;
    for (int i = 0; i < page_count; i++) {
        pages[i].path = argv[a + i];
        pages[i].script = script_of(argv[a + i]);
    }
    pthread_t threads[16];
    for (int t = 0; t < jobs; t++)
        pthread_create(&threads[t], NULL, worker, NULL);
    for (int t = 0; t < jobs; t++)
        pthread_join(threads[t], NULL);
    report();
    free(pages);
    return 0;
}
