/* test_budget.c — the batch's shared memory budget: reservations that do not fit wait, a
 * reservation larger than the budget runs alone, estimates come from the header. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <leptonica/allheaders.h>

#include "ingest/budget.h"

#define MB (1024ULL * 1024)

static void test_reservations_fit_until_the_budget_is_spent(void **state)
{
    (void)state;
    dg_budget *b;
    assert_int_equal(dg_budget_open(1000 * MB, &b, NULL), DG_OK);
    assert_true(dg_budget_try_reserve(b, 400 * MB));
    assert_true(dg_budget_try_reserve(b, 400 * MB));
    assert_false(dg_budget_try_reserve(b, 400 * MB)); /* 1200 > 1000: must wait */
    assert_int_equal(dg_budget_in_use(b), 800 * MB);
    dg_budget_release(b, 400 * MB);
    assert_true(dg_budget_try_reserve(b, 400 * MB));
    dg_budget_release(b, 400 * MB);
    dg_budget_release(b, 400 * MB);
    assert_int_equal(dg_budget_in_use(b), 0);
    dg_budget_close(b);
}

static void test_a_reservation_bigger_than_the_budget_runs_alone(void **state)
{
    (void)state;
    dg_budget *b;
    assert_int_equal(dg_budget_open(500 * MB, &b, NULL), DG_OK);
    assert_true(dg_budget_try_reserve(b, 900 * MB)); /* nothing else held: it may run */
    assert_false(dg_budget_try_reserve(b, 1 * MB));   /* but nothing beside it */
    dg_budget_release(b, 900 * MB);
    assert_true(dg_budget_try_reserve(b, 100 * MB));
    assert_false(dg_budget_try_reserve(b, 900 * MB)); /* and it waits for the others */
    dg_budget_release(b, 100 * MB);
    dg_budget_close(b);
}

/* Four workers with a 100-megapixel page each and a budget of one such page: never more
 * than one page's worth is reserved at once, and every worker gets its turn. */
typedef struct shared {
    dg_budget *budget;
    uint64_t page;
    pthread_mutex_t lock;
    int running, most_running, done;
} shared;

static void *worker(void *arg)
{
    shared *s = arg;
    for (int i = 0; i < 3; i++) {
        if (!dg_budget_reserve(s->budget, s->page))
            return NULL;
        pthread_mutex_lock(&s->lock);
        s->running++;
        if (s->running > s->most_running)
            s->most_running = s->running;
        pthread_mutex_unlock(&s->lock);
        usleep(2000); /* "decoding"; the assertion does not depend on timing */
        pthread_mutex_lock(&s->lock);
        s->running--;
        s->done++;
        pthread_mutex_unlock(&s->lock);
        dg_budget_release(s->budget, s->page);
    }
    return NULL;
}

static void test_workers_share_one_budget_and_huge_pages_run_one_at_a_time(void **state)
{
    (void)state;
    unsigned char *png;
    size_t len;
    PIX *pix = pixCreateHeader(10000, 10000, 8);
    assert_non_null(pix);
    pixDestroy(&pix);
    pix = pixCreate(10000, 10000, 1); /* 1-bit keeps the test's own memory small */
    assert_int_equal(pixWriteMemPng(&png, &len, pix, 0), 0);
    pixDestroy(&pix);
    dg_page_limits limits;
    dg_page_limits_init(&limits);
    uint64_t need = dg_budget_estimate(png, len, &limits);
    lept_free(png);
    assert_true(need >= 100000000ULL * 4); /* at least the decoded 32-bit page */

    shared s = {.page = need};
    pthread_mutex_init(&s.lock, NULL);
    assert_int_equal(dg_budget_open(need + need / 2, &s.budget, NULL), DG_OK);
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&t[i], NULL, worker, &s), 0);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(s.done, 12);
    assert_int_equal(s.most_running, 1);
    assert_int_equal(dg_budget_in_use(s.budget), 0);
    dg_budget_close(s.budget);
    pthread_mutex_destroy(&s.lock);
}

static void test_small_pages_run_side_by_side(void **state)
{
    (void)state;
    /* An A4 page at 300 dpi (2480 x 3508): about 80 MB, so many fit in the default. */
    PIX *pix = pixCreate(2480, 3508, 1);
    unsigned char *png;
    size_t len;
    assert_int_equal(pixWriteMemPng(&png, &len, pix, 0), 0);
    pixDestroy(&pix);
    uint64_t need = dg_budget_estimate(png, len, NULL);
    lept_free(png);
    assert_true(need < 100 * MB);
    assert_true(dg_budget_default_bytes() >= 256 * MB);
    assert_true(dg_budget_default_bytes() / need >= 3);
}

static void test_cancel_wakes_a_waiting_worker(void **state)
{
    (void)state;
    dg_budget *b;
    assert_int_equal(dg_budget_open(100 * MB, &b, NULL), DG_OK);
    assert_true(dg_budget_try_reserve(b, 80 * MB));
    dg_budget_cancel(b);
    assert_false(dg_budget_reserve(b, 80 * MB)); /* returns at once, nothing reserved */
    assert_int_equal(dg_budget_in_use(b), 80 * MB);
    dg_budget_release(b, 80 * MB);
    dg_budget_close(b);
}

static void test_text_and_unknown_bytes_cost_a_few_times_their_size(void **state)
{
    (void)state;
    const char *text = "关于开学的通知 2024年2月1日\n";
    uint64_t need = dg_budget_estimate((const unsigned char *)text, strlen(text), NULL);
    assert_true(need >= strlen(text) && need <= 8 * strlen(text));
}

/* Workers read past their window only while what waits to be filed is small. */
static void test_reading_runs_ahead_only_while_little_is_held(void **state)
{
    (void)state;
    /* within the window: always, however much is held */
    assert_true(dg_budget_may_read_ahead(0, 8, UINT64_MAX));
    assert_true(dg_budget_may_read_ahead(7, 8, DG_READ_AHEAD_BYTES));
    /* past it: while under the byte bound, up to the item bound */
    assert_true(dg_budget_may_read_ahead(8, 8, 0));
    assert_true(dg_budget_may_read_ahead(DG_READ_AHEAD_MAX - 1, 8, DG_READ_AHEAD_BYTES - 1));
    assert_false(dg_budget_may_read_ahead(8, 8, DG_READ_AHEAD_BYTES));
    assert_false(dg_budget_may_read_ahead(DG_READ_AHEAD_MAX, 8, 0));
    /* a window larger than the item bound (many workers) still holds */
    assert_true(dg_budget_may_read_ahead(DG_READ_AHEAD_MAX + 10, DG_READ_AHEAD_MAX + 20,
                                         UINT64_MAX));
}

int main(void)
{
    setMsgSeverity(L_SEVERITY_NONE);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reservations_fit_until_the_budget_is_spent),
        cmocka_unit_test(test_reading_runs_ahead_only_while_little_is_held),
        cmocka_unit_test(test_a_reservation_bigger_than_the_budget_runs_alone),
        cmocka_unit_test(test_workers_share_one_budget_and_huge_pages_run_one_at_a_time),
        cmocka_unit_test(test_small_pages_run_side_by_side),
        cmocka_unit_test(test_cancel_wakes_a_waiting_worker),
        cmocka_unit_test(test_text_and_unknown_bytes_cost_a_few_times_their_size),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
