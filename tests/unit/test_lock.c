/*
 * test_lock.c — the archive's write lock (engine/lock.h) is fair: a writer that gives the
 * lock back and takes it again at once, as an ingest does between its holds, lets a writer
 * that was waiting go first. Two handles on one archive stand for two processes (each has
 * its own open write.lock, so their locks exclude each other as across processes).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/lock.h"
#include "testutil.h"

enum { HOLDS = 40 };

typedef struct batch {
    dg_archive *archive;
    atomic_int holds_done;
    atomic_int started;
} batch;

static void nap_ms(long ms)
{
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

/* An ingest's holds: the lock kept 30 ms, given back and taken again at once. */
static void *run_batch(void *arg)
{
    batch *b = arg;
    dg_error err;
    for (int i = 0; i < HOLDS; i++) {
        if (dg_archive_lock_write(b->archive, &err) != DG_OK)
            return (void *)1;
        atomic_store(&b->started, 1);
        nap_ms(30);
        dg_archive_unlock_write(b->archive);
        atomic_fetch_add(&b->holds_done, 1);
    }
    return NULL;
}

static void test_a_waiting_writer_goes_before_the_next_hold(void **state)
{
    (void)state;
    test_archive t;
    assert_true(test_archive_make(&t));
    dg_archive *other = NULL;
    dg_error err;
    assert_int_equal(dg_archive_open(t.path, &other, &err), DG_OK);

    batch b = {.archive = t.archive};
    pthread_t thread;
    assert_int_equal(pthread_create(&thread, NULL, run_batch, &b), 0);
    while (!atomic_load(&b.started))
        nap_ms(1);
    nap_ms(10); /* inside a hold */
    int before = atomic_load(&b.holds_done);
    assert_int_equal(dg_archive_lock_write(other, &err), DG_OK);
    int waited = atomic_load(&b.holds_done) - before;
    dg_archive_unlock_write(other);
    void *failed = NULL;
    assert_int_equal(pthread_join(thread, &failed), 0);
    assert_null(failed);
    /* It waits for the hold it came in during (and at most one more, should it reach the
     * turnstile only as that hold ends), never for the rest of the batch. */
    if (waited > 2)
        fail_msg("the waiting writer let %d holds of %d go first", waited, HOLDS);
    assert_int_equal(atomic_load(&b.holds_done), HOLDS);

    dg_archive_close(other);
    test_archive_remove(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_waiting_writer_goes_before_the_next_hold),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
