/* test_store.c — the content-addressed object store: round trips, deduplication, damage
 * detection, listing, destruction, crash leftovers, deferred publishing, permissions and
 * concurrent writers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "engine/store.h"

/* ---- fixture: a fresh store under a mkdtemp folder, removed afterwards ---- */

typedef struct fixture {
    char base[64];          /* the mkdtemp folder */
    char root[128];         /* base/objects: created by dg_store_open */
    dg_store *store;
} fixture;

static int setup(void **state)
{
    fixture *fx = calloc(1, sizeof *fx);
    assert_non_null(fx);
    snprintf(fx->base, sizeof fx->base, "/tmp/dg-store-test-XXXXXX");
    assert_non_null(mkdtemp(fx->base));
    snprintf(fx->root, sizeof fx->root, "%s/objects", fx->base);
    dg_error err;
    assert_int_equal(dg_store_open(fx->root, &fx->store, &err), DG_OK);
    *state = fx;
    return 0;
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int teardown(void **state)
{
    fixture *fx = *state;
    dg_store_close(fx->store);
    nftw(fx->base, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(fx);
    return 0;
}

/* ---- helpers ---- */

static unsigned char *random_bytes(size_t len)
{
    unsigned char *buf = malloc(len ? len : 1);
    assert_non_null(buf);
    randombytes_buf(buf, len);
    return buf;
}

static void object_file(const fixture *fx, const char *hex, char *path, size_t size)
{
    snprintf(path, size, "%s/%.2s/%s", fx->root, hex, hex + 2);
}

static void assert_round_trip(fixture *fx, const void *data, size_t len)
{
    dg_error err;
    char hex[DG_SHA256_HEX], expected[DG_SHA256_HEX];
    int was_new = -1;
    uint64_t stored = 0;
    assert_int_equal(dg_store_put(fx->store, data, len, hex, &was_new, &stored, &err), DG_OK);
    dg_sha256_hex(data, len, expected);
    assert_string_equal(hex, expected);
    assert_int_equal(was_new, 1);
    assert_true(stored > 0);

    void *back = NULL;
    size_t back_len = 99;
    assert_int_equal(dg_store_get(fx->store, hex, &back, &back_len, &err), DG_OK);
    assert_int_equal(back_len, len);
    if (len > 0)
        assert_memory_equal(back, data, len);
    assert_int_equal(((char *)back)[len], '\0');
    free(back);
}

/* Counts regular files under dir (recursively, tmp/ included). */
static int file_count;
static int count_file(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)path;
    (void)sb;
    (void)ftw;
    if (flag == FTW_F)
        file_count++;
    return 0;
}

static int count_files(const char *dir)
{
    file_count = 0;
    assert_int_equal(nftw(dir, count_file, 16, FTW_PHYS), 0);
    return file_count;
}

static unsigned char *read_whole_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    long size = ftell(f);
    assert_true(size >= 0);
    rewind(f);
    unsigned char *buf = malloc((size_t)size + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)size, f), (size_t)size);
    fclose(f);
    *len = (size_t)size;
    return buf;
}

static void write_whole_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/* Whether needle occurs in any file under dir (nftw offers no context pointer). */
static const unsigned char *trace_needle;
static size_t trace_needle_len;
static int trace_found;
static int look_for_trace(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)ftw;
    if (flag != FTW_F)
        return 0;
    size_t len;
    unsigned char *buf = read_whole_file(path, &len);
    if (memmem(buf, len, trace_needle, trace_needle_len))
        trace_found = 1;
    free(buf);
    return 0;
}

static int any_file_contains(const char *dir, const void *needle, size_t len)
{
    trace_needle = needle;
    trace_needle_len = len;
    trace_found = 0;
    assert_int_equal(nftw(dir, look_for_trace, 16, FTW_PHYS), 0);
    return trace_found;
}

/* ---- round trips ---- */

static void test_small_text_round_trips_as_a_c_string(void **state)
{
    fixture *fx = *state;
    const char *text = "关于2024年寒假安排的通知 — notice on the winter holiday";
    assert_round_trip(fx, text, strlen(text));
}

static void test_empty_object_round_trips(void **state)
{
    fixture *fx = *state;
    assert_round_trip(fx, "", 0);
}

static void test_five_megabyte_random_object_round_trips(void **state)
{
    fixture *fx = *state;
    size_t len = 5u * 1024 * 1024;
    unsigned char *data = random_bytes(len);
    assert_round_trip(fx, data, len);
    free(data);
}

static void test_compressible_text_is_stored_smaller(void **state)
{
    fixture *fx = *state;
    size_t len = 200000;
    char *text = malloc(len);
    assert_non_null(text);
    for (size_t i = 0; i < len; i++)
        text[i] = "会议纪要 minutes "[i % 20];
    char hex[DG_SHA256_HEX];
    uint64_t stored = 0;
    dg_error err;
    assert_int_equal(dg_store_put(fx->store, text, len, hex, NULL, &stored, &err), DG_OK);
    assert_true(stored < len / 10);
    char path[PATH_MAX];
    object_file(fx, hex, path, sizeof path);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal((uint64_t)sb.st_size, stored);
    free(text);
}

/* ---- deduplication ---- */

static void test_same_content_is_stored_once(void **state)
{
    fixture *fx = *state;
    const char *page = "page image bytes, identical in two versions";
    char first[DG_SHA256_HEX], second[DG_SHA256_HEX];
    int was_new = -1;
    uint64_t size1 = 0, size2 = 0;
    dg_error err;
    assert_int_equal(dg_store_put(fx->store, page, strlen(page), first, &was_new, &size1, &err),
                     DG_OK);
    assert_int_equal(was_new, 1);
    assert_int_equal(dg_store_put(fx->store, page, strlen(page), second, &was_new, &size2, &err),
                     DG_OK);
    assert_int_equal(was_new, 0);
    assert_string_equal(first, second);
    assert_int_equal(size1, size2);
    assert_int_equal(count_files(fx->root), 1);
}

/* ---- damage detection ---- */

static void test_flipped_byte_anywhere_is_corrupt_on_get_and_check(void **state)
{
    fixture *fx = *state;
    unsigned char *data = random_bytes(3000);
    char hex[DG_SHA256_HEX], path[PATH_MAX];
    dg_error err;
    assert_int_equal(dg_store_put(fx->store, data, 3000, hex, NULL, NULL, &err), DG_OK);
    object_file(fx, hex, path, sizeof path);
    size_t len;
    unsigned char *good = read_whole_file(path, &len);

    /* magic, top and bottom of the length field, zlib header, middle, adler-32 trailer */
    size_t offsets[] = {0, 4, 11, 12, len / 2, len - 1};
    for (size_t i = 0; i < sizeof offsets / sizeof offsets[0]; i++) {
        unsigned char *bad = malloc(len);
        assert_non_null(bad);
        memcpy(bad, good, len);
        bad[offsets[i]] ^= 0x01;
        write_whole_file(path, bad, len);
        free(bad);

        void *back = (void *)1;
        size_t back_len = 1;
        assert_int_equal(dg_store_get(fx->store, hex, &back, &back_len, &err), DG_ERR_CORRUPT);
        assert_null(back);
        assert_non_null(strstr(err.msg, hex + 2)); /* the message names the file */
        assert_int_equal(dg_store_check(fx->store, hex, &err), DG_ERR_CORRUPT);
    }
    write_whole_file(path, good, len);
    assert_int_equal(dg_store_check(fx->store, hex, &err), DG_OK);
    free(good);
    free(data);
}

static void test_truncated_or_extended_object_is_corrupt(void **state)
{
    fixture *fx = *state;
    unsigned char *data = random_bytes(3000);
    char hex[DG_SHA256_HEX], path[PATH_MAX];
    dg_error err;
    assert_int_equal(dg_store_put(fx->store, data, 3000, hex, NULL, NULL, &err), DG_OK);
    object_file(fx, hex, path, sizeof path);
    size_t len;
    unsigned char *good = read_whole_file(path, &len);

    write_whole_file(path, good, len - 10);
    assert_int_equal(dg_store_check(fx->store, hex, &err), DG_ERR_CORRUPT);
    write_whole_file(path, good, 5);
    assert_int_equal(dg_store_check(fx->store, hex, &err), DG_ERR_CORRUPT);

    unsigned char *longer = malloc(len + 1);
    assert_non_null(longer);
    memcpy(longer, good, len);
    longer[len] = 'x';
    write_whole_file(path, longer, len + 1);
    assert_int_equal(dg_store_check(fx->store, hex, &err), DG_ERR_CORRUPT);
    free(longer);
    free(good);
    free(data);
}

static void test_absurd_declared_length_is_corrupt_not_allocated(void **state)
{
    fixture *fx = *state;
    const char *text = "short";
    char hex[DG_SHA256_HEX], path[PATH_MAX];
    dg_error err;
    assert_int_equal(dg_store_put(fx->store, text, 5, hex, NULL, NULL, &err), DG_OK);
    object_file(fx, hex, path, sizeof path);
    size_t len;
    unsigned char *file = read_whole_file(path, &len);
    /* Declare 1 TiB of content: far beyond both the limit and what the bytes could hold. */
    memset(file + 4, 0, 8);
    file[4 + 3] = 0x01;
    write_whole_file(path, file, len);
    void *back = NULL;
    size_t back_len;
    assert_int_equal(dg_store_get(fx->store, hex, &back, &back_len, &err), DG_ERR_CORRUPT);
    assert_null(back);
    free(file);
}

static void test_whole_object_under_another_name_is_corrupt(void **state)
{
    fixture *fx = *state;
    char hex_a[DG_SHA256_HEX], hex_b[DG_SHA256_HEX], path_a[PATH_MAX], path_b[PATH_MAX];
    dg_error err;
    assert_int_equal(dg_store_put(fx->store, "version 1", 9, hex_a, NULL, NULL, &err), DG_OK);
    assert_int_equal(dg_store_put(fx->store, "version 2", 9, hex_b, NULL, NULL, &err), DG_OK);
    object_file(fx, hex_a, path_a, sizeof path_a);
    object_file(fx, hex_b, path_b, sizeof path_b);
    /* A well-formed file that decompresses cleanly, but to content that is not its name. */
    assert_int_equal(rename(path_a, path_b), 0);
    assert_int_equal(dg_store_check(fx->store, hex_b, &err), DG_ERR_CORRUPT);
    assert_non_null(strstr(err.msg, "does not match"));
}

static void test_deleted_object_file_is_not_found(void **state)
{
    fixture *fx = *state;
    char hex[DG_SHA256_HEX], path[PATH_MAX];
    dg_error err;
    assert_int_equal(dg_store_put(fx->store, "gone", 4, hex, NULL, NULL, &err), DG_OK);
    assert_true(dg_store_has(fx->store, hex));
    object_file(fx, hex, path, sizeof path);
    assert_int_equal(unlink(path), 0);

    void *back = NULL;
    size_t back_len;
    assert_int_equal(dg_store_get(fx->store, hex, &back, &back_len, &err), DG_ERR_NOT_FOUND);
    assert_int_equal(dg_store_check(fx->store, hex, &err), DG_ERR_NOT_FOUND);
    assert_false(dg_store_has(fx->store, hex));
}

static void test_names_that_are_not_object_names_are_refused(void **state)
{
    fixture *fx = *state;
    dg_error err;
    void *back = NULL;
    size_t back_len;
    const char *bad[] = {
        "../../../../../../../../../../../../../../../../../../../etc/passwd",
        "ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789", /* upper case */
        "abc",
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855ff", /* too long */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(dg_store_get(fx->store, bad[i], &back, &back_len, &err), DG_ERR_USAGE);
        assert_int_equal(dg_store_remove(fx->store, bad[i], &err), DG_ERR_USAGE);
        assert_false(dg_store_has(fx->store, bad[i]));
    }
}

/* ---- listing ---- */

typedef struct seen {
    char names[8][PATH_MAX];
    int count;
} seen;

static dg_status remember(const char *hex, void *ctx)
{
    seen *s = ctx;
    if (s->count >= 8)
        return DG_ERR_INTERNAL;
    snprintf(s->names[s->count++], PATH_MAX, "%s", hex);
    return DG_OK;
}

static int was_seen(const seen *s, const char *name)
{
    int times = 0;
    for (int i = 0; i < s->count; i++)
        times += strcmp(s->names[i], name) == 0;
    return times;
}

static void test_list_finds_every_object_and_a_stray_file(void **state)
{
    fixture *fx = *state;
    const char *contents[] = {"one", "two", "three"};
    char hex[3][DG_SHA256_HEX];
    dg_error err;
    for (int i = 0; i < 3; i++)
        assert_int_equal(dg_store_put(fx->store, contents[i], strlen(contents[i]), hex[i], NULL,
                                      NULL, &err),
                         DG_OK);
    char stray[PATH_MAX];
    snprintf(stray, sizeof stray, "%s/%.2s/notes.txt", fx->root, hex[0]);
    write_whole_file(stray, "x", 1);
    snprintf(stray, sizeof stray, "%s/tmp/obj-inflight", fx->root);
    write_whole_file(stray, "x", 1); /* a write in progress is not an object */

    seen s = {.count = 0};
    assert_int_equal(dg_store_list(fx->store, remember, &s, &err), DG_OK);
    assert_int_equal(s.count, 4);
    for (int i = 0; i < 3; i++)
        assert_int_equal(was_seen(&s, hex[i]), 1);
    char stray_name[16];
    snprintf(stray_name, sizeof stray_name, "%.2s/notes.txt", hex[0]);
    assert_int_equal(was_seen(&s, stray_name), 1);
}

static dg_status stop_at_first(const char *hex, void *ctx)
{
    (void)hex;
    (*(int *)ctx)++;
    return DG_ERR_STATE;
}

static void test_list_stops_when_the_visitor_fails(void **state)
{
    fixture *fx = *state;
    char hex[DG_SHA256_HEX];
    dg_error err;
    assert_int_equal(dg_store_put(fx->store, "a", 1, hex, NULL, NULL, &err), DG_OK);
    assert_int_equal(dg_store_put(fx->store, "b", 1, hex, NULL, NULL, &err), DG_OK);
    int calls = 0;
    assert_int_equal(dg_store_list(fx->store, stop_at_first, &calls, &err), DG_ERR_STATE);
    assert_int_equal(calls, 1);
}

/* ---- removal ---- */

static void test_remove_leaves_no_file_and_no_trace_of_the_content(void **state)
{
    fixture *fx = *state;
    /* Random bytes do not compress, so zlib stores them verbatim: the trace is findable. */
    size_t len = 4096;
    unsigned char *data = random_bytes(len);
    char hex[DG_SHA256_HEX], path[PATH_MAX], keep[PATH_MAX];
    dg_error err;
    assert_int_equal(dg_store_put(fx->store, data, len, hex, NULL, NULL, &err), DG_OK);
    assert_true(any_file_contains(fx->root, data + 1000, 64));

    /* A second name for the same inode, outside the store, shows what the disk blocks hold
     * after removal: zeros, not the content. */
    object_file(fx, hex, path, sizeof path);
    snprintf(keep, sizeof keep, "%s/second-link", fx->base);
    assert_int_equal(link(path, keep), 0);
    size_t before_len;
    free(read_whole_file(keep, &before_len));

    assert_int_equal(dg_store_remove(fx->store, hex, &err), DG_OK);
    assert_false(dg_store_has(fx->store, hex));
    assert_int_equal(count_files(fx->root), 0);
    assert_false(any_file_contains(fx->root, data + 1000, 64));

    size_t after_len;
    unsigned char *after = read_whole_file(keep, &after_len);
    assert_int_equal(after_len, before_len);
    for (size_t i = 0; i < after_len; i++)
        assert_int_equal(after[i], 0);
    free(after);

    void *back = NULL;
    size_t back_len;
    assert_int_equal(dg_store_get(fx->store, hex, &back, &back_len, &err), DG_ERR_NOT_FOUND);
    assert_int_equal(dg_store_remove(fx->store, hex, &err), DG_OK); /* already gone */
    free(data);
}

/* ---- crash leftovers and permissions ---- */

static void test_clean_tmp_removes_leftover_temporary_files(void **state)
{
    fixture *fx = *state;
    char hex[DG_SHA256_HEX], leftover[PATH_MAX];
    dg_error err;
    assert_int_equal(dg_store_put(fx->store, "kept", 4, hex, NULL, NULL, &err), DG_OK);
    dg_store_close(fx->store);
    fx->store = NULL;
    for (int i = 0; i < 3; i++) {
        snprintf(leftover, sizeof leftover, "%s/tmp/obj-crash%d", fx->root, i);
        write_whole_file(leftover, "half an object", 14);
    }
    assert_int_equal(count_files(fx->root), 4);

    /* Opening must not touch tmp/: another process may be writing there right now. */
    assert_int_equal(dg_store_open(fx->root, &fx->store, &err), DG_OK);
    assert_int_equal(count_files(fx->root), 4);
    assert_int_equal(dg_store_clean_tmp(fx->store, &err), DG_OK);
    assert_int_equal(count_files(fx->root), 1);
    assert_int_equal(dg_store_check(fx->store, hex, &err), DG_OK);
}

/* ---- deferred publishing (a group of records, batch.h) ---- */

static void test_deferred_objects_are_named_only_once_published(void **state)
{
    fixture *fx = *state;
    char hex[DG_SHA256_HEX], again[DG_SHA256_HEX];
    int was_new = -1;
    uint64_t size1 = 0, size2 = 0;
    dg_error err;
    dg_store_defer(fx->store, 1);
    assert_int_equal(dg_store_put(fx->store, "alpha page", 10, hex, &was_new, &size1, &err),
                     DG_OK);
    assert_int_equal(was_new, 1);
    /* Written (in tmp/), but no name yet: a crash now leaves nothing a record could use. */
    assert_int_equal(count_files(fx->root), 1);
    assert_false(dg_store_has(fx->store, hex));
    assert_int_equal(dg_store_check(fx->store, hex, &err), DG_ERR_NOT_FOUND);
    /* The same content again in the group is found, not written twice. */
    assert_int_equal(dg_store_put(fx->store, "alpha page", 10, again, &was_new, &size2, &err),
                     DG_OK);
    assert_int_equal(was_new, 0);
    assert_string_equal(hex, again);
    assert_int_equal(size1, size2);
    assert_int_equal(count_files(fx->root), 1);

    assert_int_equal(dg_store_publish_deferred(fx->store, &err), DG_OK);
    assert_int_equal(dg_store_check(fx->store, hex, &err), DG_OK);
    void *back = NULL;
    size_t back_len = 0;
    assert_int_equal(dg_store_get(fx->store, hex, &back, &back_len, &err), DG_OK);
    assert_int_equal(back_len, 10);
    assert_memory_equal(back, "alpha page", 10);
    free(back);
    dg_store_defer(fx->store, 0);
    assert_int_equal(count_files(fx->root), 1); /* published: defer off keeps it */
}

static void test_deferred_objects_removed_or_never_published_leave_nothing(void **state)
{
    fixture *fx = *state;
    char beta[DG_SHA256_HEX], gamma[DG_SHA256_HEX];
    dg_error err;
    dg_store_defer(fx->store, 1);
    assert_int_equal(dg_store_put(fx->store, "beta", 4, beta, NULL, NULL, &err), DG_OK);
    assert_int_equal(dg_store_put(fx->store, "gamma", 5, gamma, NULL, NULL, &err), DG_OK);
    assert_int_equal(count_files(fx->root), 2);
    /* A record that failed gives its object back: dropped before it had a name. */
    assert_int_equal(dg_store_remove(fx->store, beta, &err), DG_OK);
    assert_int_equal(count_files(fx->root), 1);
    /* A group that is not committed: what it wrote goes. */
    dg_store_defer(fx->store, 0);
    assert_int_equal(count_files(fx->root), 0);
    assert_false(dg_store_has(fx->store, gamma));
    /* And puts are immediate again. */
    assert_int_equal(dg_store_put(fx->store, "gamma", 5, gamma, NULL, NULL, &err), DG_OK);
    assert_true(dg_store_has(fx->store, gamma));
}

static void assert_mode(const char *path, mode_t expected)
{
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 07777, expected);
}

static void test_files_are_0600_and_folders_0700(void **state)
{
    fixture *fx = *state;
    /* A permissive umask must not widen what the store creates. */
    mode_t old = umask(0);
    char hex[DG_SHA256_HEX], path[PATH_MAX];
    dg_error err;
    dg_status st = dg_store_put(fx->store, "confidential minutes", 20, hex, NULL, NULL, &err);
    umask(old);
    assert_int_equal(st, DG_OK);

    assert_mode(fx->root, 0700);
    snprintf(path, sizeof path, "%s/tmp", fx->root);
    assert_mode(path, 0700);
    snprintf(path, sizeof path, "%s/%.2s", fx->root, hex);
    assert_mode(path, 0700);
    object_file(fx, hex, path, sizeof path);
    assert_mode(path, 0600);
}

/* ---- concurrency ---- */

typedef struct racer {
    dg_store *store;
    const unsigned char *data;
    size_t len;
    pthread_barrier_t *start;
    dg_status status;
    char hex[DG_SHA256_HEX];
} racer;

static void *race_to_put(void *arg)
{
    racer *r = arg;
    dg_error err;
    pthread_barrier_wait(r->start);
    r->status = dg_store_put(r->store, r->data, r->len, r->hex, NULL, NULL, &err);
    return NULL;
}

static void test_concurrent_puts_of_same_content_all_succeed_with_one_file(void **state)
{
    fixture *fx = *state;
    size_t len = 1024 * 1024;
    unsigned char *data = random_bytes(len);
    pthread_barrier_t start;
    assert_int_equal(pthread_barrier_init(&start, NULL, 4), 0);
    racer racers[4];
    pthread_t threads[4];
    for (int i = 0; i < 4; i++) {
        racers[i] = (racer){.store = fx->store, .data = data, .len = len, .start = &start,
                            .status = DG_ERR_INTERNAL};
        assert_int_equal(pthread_create(&threads[i], NULL, race_to_put, &racers[i]), 0);
    }
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_join(threads[i], NULL), 0);
    pthread_barrier_destroy(&start);

    for (int i = 0; i < 4; i++) {
        assert_int_equal(racers[i].status, DG_OK);
        assert_string_equal(racers[i].hex, racers[0].hex);
    }
    assert_int_equal(count_files(fx->root), 1);
    dg_error err;
    assert_int_equal(dg_store_check(fx->store, racers[0].hex, &err), DG_OK);
    free(data);
}

/*
 * The store keeps one deflate stream and resets it for each object: every object's file is
 * its 12-byte header and what a fresh level-1 stream (compress2) makes of its content,
 * whatever was stored before it.
 */
static void test_each_object_compresses_as_a_fresh_stream_would(void **state)
{
    fixture *fx = *state;
    const size_t lens[] = {5000, 0, 1, 300000, 70000, 5000};
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        unsigned char *data = random_bytes(lens[i]);
        for (size_t k = 0; k < lens[i] / 2; k++)
            data[k] = (unsigned char)("档案 records "[k % 14]); /* half of it compresses */
        dg_error err;
        char hex[DG_SHA256_HEX], path[PATH_MAX];
        assert_int_equal(dg_store_put(fx->store, data, lens[i], hex, NULL, NULL, &err), DG_OK);
        object_file(fx, hex, path, sizeof path);
        FILE *f = fopen(path, "rb");
        assert_non_null(f);
        static unsigned char file[400000], fresh[400000];
        size_t file_len = fread(file, 1, sizeof file, f);
        fclose(f);
        uLongf fresh_len = sizeof fresh;
        assert_int_equal(compress2(fresh, &fresh_len, data, lens[i], Z_BEST_SPEED), Z_OK);
        assert_int_equal(file_len, 12 + fresh_len);
        assert_memory_equal(file + 12, fresh, fresh_len);
        free(data);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_small_text_round_trips_as_a_c_string, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_empty_object_round_trips, setup, teardown),
        cmocka_unit_test_setup_teardown(test_each_object_compresses_as_a_fresh_stream_would,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_five_megabyte_random_object_round_trips, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_compressible_text_is_stored_smaller, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_same_content_is_stored_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flipped_byte_anywhere_is_corrupt_on_get_and_check,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncated_or_extended_object_is_corrupt, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_absurd_declared_length_is_corrupt_not_allocated,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_whole_object_under_another_name_is_corrupt, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_deleted_object_file_is_not_found, setup, teardown),
        cmocka_unit_test_setup_teardown(test_names_that_are_not_object_names_are_refused, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_list_finds_every_object_and_a_stray_file, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_list_stops_when_the_visitor_fails, setup, teardown),
        cmocka_unit_test_setup_teardown(test_remove_leaves_no_file_and_no_trace_of_the_content,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_clean_tmp_removes_leftover_temporary_files, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_deferred_objects_are_named_only_once_published,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_deferred_objects_removed_or_never_published_leave_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_files_are_0600_and_folders_0700, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_concurrent_puts_of_same_content_all_succeed_with_one_file, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
