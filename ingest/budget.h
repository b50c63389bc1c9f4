/*
 * budget.h — one memory budget for a whole ingest batch, shared by its worker threads.
 *
 * The pixel limit (pages.h) bounds one page; it does not bound a batch: four workers each
 * decoding a 100-megapixel page held about 0.9 GB each (3.7 GB with --jobs 4). So before a
 * worker decodes a file it reserves what decoding and reading it will cost (estimated from
 * the image header, before any pixel is decoded: dg_budget_estimate) and gives it back
 * when the file's pages are read. A reservation that does not fit waits until others give
 * back enough; one larger than the whole budget runs alone, when nothing else is reserved,
 * so no page is refused for being big. A batch of huge pages therefore runs at lower
 * parallelism instead of growing past the budget; a batch of ordinary pages (an A4 scan at
 * 300 dpi costs about 80 MB) runs at full parallelism.
 *
 * Thread-safe. The budget belongs to the batch runner (ingest.c), which cancels it when
 * the batch stops so that no worker waits for ever.
 */
#ifndef DG_BUDGET_H
#define DG_BUDGET_H

#include <stddef.h>
#include <stdint.h>

#include "../base/status.h"
#include "pages.h"

typedef struct dg_budget dg_budget;

/* The default budget: a sixteenth of the machine's physical memory, at least 256 MiB and
 * at most 2 GiB. A records room's PC is shared with the office's other work, and the
 * budget counts decoded pages only (the program, OCR models and results come on top):
 * on an 8 GB PC, 512 MB still reads six A4 scans at once, more than its cores can OCR. */
uint64_t dg_budget_default_bytes(void);

/* Opens a budget of total bytes (0: the default). */
dg_status dg_budget_open(uint64_t total, dg_budget **out, dg_error *err);
void dg_budget_close(dg_budget *budget);

/* The budget's size in bytes. */
uint64_t dg_budget_total(const dg_budget *budget);

/*
 * Reserves bytes, waiting while they do not fit beside what others hold. Returns 1 when
 * reserved (give it back with dg_budget_release), 0 when the budget was cancelled while
 * waiting (nothing reserved).
 */
int dg_budget_reserve(dg_budget *budget, uint64_t bytes);

/* Reserves bytes only if they fit now (or nothing is reserved); 1 when reserved. */
int dg_budget_try_reserve(dg_budget *budget, uint64_t bytes);

void dg_budget_release(dg_budget *budget, uint64_t bytes);

/* What is reserved now (for tests and progress). */
uint64_t dg_budget_in_use(dg_budget *budget);

/*
 * How far a batch's workers may read ahead of filing. A worker may take the item that is
 * ahead items past the oldest one not filed yet: always within window (a few items a
 * worker), and past it up to DG_READ_AHEAD_MAX items while what read items hold waiting to
 * be filed (held_bytes: their pages' images and texts) is under DG_READ_AHEAD_BYTES. At a
 * hold's end filing waits for the index commit (engine/batch.h); born-digital records, a
 * few kilobytes each, are then read meanwhile instead of the workers idling a window
 * ahead, and scanned pages of megabytes stop near the window as before.
 */
#define DG_READ_AHEAD_MAX 512
#define DG_READ_AHEAD_BYTES (16u << 20)
int dg_budget_may_read_ahead(size_t ahead, size_t window, uint64_t held_bytes);

/* Wakes every waiter; later reservations fail at once. */
void dg_budget_cancel(dg_budget *budget);

/*
 * What reading the file data (len bytes) is expected to cost at most, from its header
 * only: the decoded page and the copies OCR's clean-up makes of it, plus the file's own
 * bytes. A PDF page is counted as rendered at limits' dpi on A3 paper; text as a few
 * times its size.
 */
uint64_t dg_budget_estimate(const unsigned char *data, size_t len, const dg_page_limits *limits);

#endif
