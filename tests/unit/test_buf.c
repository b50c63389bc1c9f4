/*
 * test_buf.c — the growable byte buffer (base/buf): appends of every kind land in order and
 * NUL-terminated across many growths, room made with dg_buf_reserve is written in place,
 * the bytes are handed over and the buffer emptied, and a buffer that cannot grow stays
 * failed (no append after it lands, take gives NULL).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"

static void test_appends_land_in_order_across_growths(void **state)
{
    (void)state;
    dg_buf b;
    dg_buf_init(&b);
    char *want = malloc(200000);
    assert_non_null(want);
    size_t len = 0;
    for (int i = 0; i < 10000; i++) { /* about 190 KB: many doublings from 4 KiB */
        dg_buf_printf(&b, "%d:", i);
        len += (size_t)sprintf(want + len, "%d:", i);
        dg_buf_puts(&b, "档案");
        memcpy(want + len, "档案", 6);
        len += 6;
        dg_buf_add(&b, "\0x", 2); /* bytes, a NUL among them */
        memcpy(want + len, "\0x", 2);
        len += 2;
        assert_int_equal(b.len, len);
        assert_int_equal(b.data[b.len], '\0');
    }
    /* a printf longer than its 512-byte stack buffer */
    char big[2000];
    memset(big, 'z', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    dg_buf_printf(&b, "[%s]", big);
    len += (size_t)sprintf(want + len, "[%s]", big);
    assert_false(dg_buf_failed(&b));
    size_t got_len;
    char *got = dg_buf_take(&b, &got_len);
    assert_int_equal(got_len, len);
    assert_memory_equal(got, want, len);
    assert_int_equal(got[len], '\0');
    assert_null(b.data); /* emptied */
    assert_int_equal(b.len, 0);
    free(got);
    free(want);
}

static void test_room_reserved_is_written_in_place(void **state)
{
    (void)state;
    dg_buf b = {0};
    dg_buf_puts(&b, "ab");
    for (int round = 0; round < 3000; round++) {
        assert_true(dg_buf_reserve(&b, 21));
        assert_true(b.cap >= b.len + 21 + 1);
        memcpy(b.data + b.len, "0123456789", 10); /* the log writes an entry this way */
        b.len += 10;
    }
    assert_int_equal(b.len, 2 + 30000);
    assert_memory_equal(b.data + b.len - 10, "0123456789", 10);
    dg_buf_free(&b);
    assert_null(b.data);
    assert_int_equal(b.cap, 0);
}

static void test_an_empty_buffer_hands_over_an_empty_string(void **state)
{
    (void)state;
    dg_buf b;
    dg_buf_init(&b);
    size_t len = 99;
    char *s = dg_buf_take(&b, &len);
    assert_non_null(s);
    assert_string_equal(s, "");
    assert_int_equal(len, 0);
    free(s);
}

static void test_a_buffer_that_cannot_grow_stays_failed(void **state)
{
    (void)state;
    dg_buf b;
    dg_buf_init(&b);
    dg_buf_puts(&b, "kept");
    /* room no allocator can give: refused without wrapping around */
    assert_false(dg_buf_reserve(&b, (size_t)-1 - 2));
    assert_true(dg_buf_failed(&b));
    dg_buf_puts(&b, "more");
    assert_int_equal(b.len, 4); /* no append lands after a failure */
    assert_false(dg_buf_reserve(&b, 1));
    size_t len = 7;
    assert_null(dg_buf_take(&b, &len));
    assert_int_equal(len, 0);
    assert_false(dg_buf_failed(&b)); /* take empties it, failure and all */
    dg_buf_puts(&b, "again");
    assert_string_equal(b.data, "again");
    dg_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_appends_land_in_order_across_growths),
        cmocka_unit_test(test_room_reserved_is_written_in_place),
        cmocka_unit_test(test_an_empty_buffer_hands_over_an_empty_string),
        cmocka_unit_test(test_a_buffer_that_cannot_grow_stays_failed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
