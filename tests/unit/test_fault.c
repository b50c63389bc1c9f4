/* test_fault.c — the failure-injection hook (base/fault.h) of the test build: a fault
 * fires at the named point's Nth hit, once, with the errno asked for, and the store leaves
 * nothing behind when an injected write, sync or rename fails. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fault.h"
#include "engine/store.h"

#ifdef DG_FAULT_INJECTION

/* Files in a folder tree (the store's objects and its tmp/ folder alike). */
static int files_seen;
static int count_file(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)path, (void)sb, (void)ftw;
    if (flag == FTW_F)
        files_seen++;
    return 0;
}

static int count_files(const char *root)
{
    files_seen = 0;
    nftw(root, count_file, 16, FTW_PHYS);
    return files_seen;
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(path);
}

/*
 * The settings are read once per process, so one test drives the whole sequence:
 * DANGAN_FAULT=store.write:3:full fails the first write of the second object (each put
 * writes its header, then its compressed content), as a full disk would.
 */
static void test_the_second_object_write_fails_once_as_a_full_disk(void **state)
{
    (void)state;
    char base[] = "/tmp/dg-fault-test-XXXXXX", root[64];
    assert_non_null(mkdtemp(base));
    snprintf(root, sizeof root, "%s/objects", base);
    dg_store *store;
    dg_error err;
    assert_int_equal(dg_store_open(root, &store, &err), DG_OK);

    char hex[DG_SHA256_HEX];
    /* Hits 1 and 2 of store.write: go through. */
    assert_int_equal(dg_store_put(store, "first", 5, hex, NULL, NULL, &err), DG_OK);
    int before = count_files(root);
    /* Hit 3: fails with ENOSPC, named, and leaves no file. */
    assert_int_equal(dg_store_put(store, "second", 6, hex, NULL, NULL, &err), DG_ERR_IO);
    assert_non_null(strstr(err.msg, "No space left on device"));
    assert_non_null(strstr(err.msg, "objects/tmp/obj-"));
    assert_int_equal(count_files(root), before);
    assert_int_equal(dg_store_check(store, hex, &err), DG_ERR_NOT_FOUND);
    /* A fault fires once: the retry succeeds. */
    assert_int_equal(dg_store_put(store, "second", 6, hex, NULL, NULL, &err), DG_OK);
    assert_int_equal(dg_store_check(store, hex, &err), DG_OK);
    /* Other points are not touched by a store.write fault. */
    assert_int_equal(dg_fault("store.fsync"), 0);

    dg_store_close(store);
    nftw(base, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int main(void)
{
    setenv("DANGAN_FAULT", "store.write:3:full", 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_second_object_write_fails_once_as_a_full_disk),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

#else

/* Without the test build's fault points there is nothing to test. */
int main(void)
{
    printf("fault injection is compiled only into the test build (make check)\n");
    return 0;
}

#endif
