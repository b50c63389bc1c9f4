/*
 * budget.c — the batch's shared memory budget, and what a file is expected to cost.
 */
#include "budget.h"

#include <leptonica/allheaders.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct dg_budget {
    pthread_mutex_t lock;
    pthread_cond_t freed;
    uint64_t total, used;
    int cancelled;
};

/*
 * Bytes a decoded page pixel costs a worker at its peak: the 32-bit PIX (4), the 8-bit
 * grey and 1-bit copies of clean-up, a turned copy for a skewed page and Tesseract's own
 * images. Measured: one 10,000 x 10,000 page peaked at about 0.9 GB with --jobs 1
 * (issue 13), so 9 bytes a pixel.
 */
#define BYTES_PER_PIXEL 9ULL

/* A PDF's pages are sized only once MuPDF opens it: count them as A3 (297 x 420 mm). */
#define PDF_PAGE_INCHES_W 11.7
#define PDF_PAGE_INCHES_H 16.5

uint64_t dg_budget_default_bytes(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
    uint64_t ram = pages > 0 && size > 0 ? (uint64_t)pages * (uint64_t)size : 0;
    uint64_t budget = ram / 16;
    if (budget < (256ULL << 20))
        budget = 256ULL << 20;
    if (budget > (2ULL << 30))
        budget = 2ULL << 30;
    return budget;
}

dg_status dg_budget_open(uint64_t total, dg_budget **out, dg_error *err)
{
    *out = NULL;
    dg_budget *b = calloc(1, sizeof *b);
    if (!b)
        return dg_error_set(err, DG_ERR_NOMEM, "memory budget: out of memory");
    if (pthread_mutex_init(&b->lock, NULL) != 0 || pthread_cond_init(&b->freed, NULL) != 0) {
        free(b);
        return dg_error_set(err, DG_ERR_INTERNAL, "cannot create the memory budget's lock");
    }
    b->total = total ? total : dg_budget_default_bytes();
    *out = b;
    return DG_OK;
}

void dg_budget_close(dg_budget *b)
{
    if (!b)
        return;
    pthread_cond_destroy(&b->freed);
    pthread_mutex_destroy(&b->lock);
    free(b);
}

uint64_t dg_budget_total(const dg_budget *b)
{
    return b->total;
}

/* Whether bytes fit now; the lock is held. A reservation bigger than the whole budget
 * fits only alone. */
static int fits(const dg_budget *b, uint64_t bytes)
{
    return b->used == 0 || b->used + bytes <= b->total;
}

int dg_budget_reserve(dg_budget *b, uint64_t bytes)
{
    pthread_mutex_lock(&b->lock);
    while (!b->cancelled && !fits(b, bytes))
        pthread_cond_wait(&b->freed, &b->lock);
    int ok = !b->cancelled;
    if (ok)
        b->used += bytes;
    pthread_mutex_unlock(&b->lock);
    return ok;
}

int dg_budget_try_reserve(dg_budget *b, uint64_t bytes)
{
    pthread_mutex_lock(&b->lock);
    int ok = !b->cancelled && fits(b, bytes);
    if (ok)
        b->used += bytes;
    pthread_mutex_unlock(&b->lock);
    return ok;
}

void dg_budget_release(dg_budget *b, uint64_t bytes)
{
    pthread_mutex_lock(&b->lock);
    b->used = bytes > b->used ? 0 : b->used - bytes;
    pthread_cond_broadcast(&b->freed);
    pthread_mutex_unlock(&b->lock);
}

uint64_t dg_budget_in_use(dg_budget *b)
{
    pthread_mutex_lock(&b->lock);
    uint64_t used = b->used;
    pthread_mutex_unlock(&b->lock);
    return used;
}

void dg_budget_cancel(dg_budget *b)
{
    pthread_mutex_lock(&b->lock);
    b->cancelled = 1;
    pthread_cond_broadcast(&b->freed);
    pthread_mutex_unlock(&b->lock);
}

static int is_pdf(const unsigned char *data, size_t len)
{
    return len >= 5 && !memcmp(data, "%PDF-", 5);
}

uint64_t dg_budget_estimate(const unsigned char *data, size_t len, const dg_page_limits *limits)
{
    /* The file's bytes, and the copy a page keeps to be stored. */
    uint64_t cost = 2 * (uint64_t)len;
    l_int32 format, w, h, bps, spp, iscmap;
    if (len > 0 && pixReadHeaderMem(data, len, &format, &w, &h, &bps, &spp, &iscmap) == 0 &&
        w > 0 && h > 0) {
        uint64_t pixels = (uint64_t)w * (uint64_t)h;
        if (limits && pixels > limits->max_pixels) /* refused from the header: costs nothing */
            pixels = 0;
        return cost + pixels * BYTES_PER_PIXEL;
    }
    if (is_pdf(data, len)) {
        int dpi = limits && limits->render_dpi > 0 ? limits->render_dpi : 300;
        double pixels = PDF_PAGE_INCHES_W * dpi * PDF_PAGE_INCHES_H * dpi;
        return cost + (uint64_t)pixels * BYTES_PER_PIXEL;
    }
    return cost + 2 * (uint64_t)len; /* text: the text and its folded copies */
}

int dg_budget_may_read_ahead(size_t ahead, size_t window, uint64_t held_bytes)
{
    if (ahead < window)
        return 1;
    return ahead < DG_READ_AHEAD_MAX && held_bytes < DG_READ_AHEAD_BYTES;
}
