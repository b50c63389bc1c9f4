/*
 * test_batch_cache.c — a batch reads the catalog and, in an encrypted archive, keys.db
 * through a wide page cache while it holds the archive, and gives both their old size back.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/archive_internal.h"
#include "engine/batch.h"
#include "engine/keys.h"
#include "testutil.h"

static int64_t cache_size(sqlite3 *db)
{
    sqlite3_stmt *stmt = NULL;
    int64_t size = 0;
    if (sqlite3_prepare_v2(db, "PRAGMA cache_size", -1, &stmt, NULL) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW)
        size = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    return size;
}

static void test_a_batch_widens_both_caches_and_gives_them_back(void **state)
{
    (void)state;
    char key_dir[] = "/tmp/dg-batch-cache-XXXXXX", key_file[64];
    assert_non_null(mkdtemp(key_dir));
    snprintf(key_file, sizeof key_file, "%s/master.key", key_dir);
    dg_error err;
    assert_int_equal(dg_master_key_generate(key_file, &err), DG_OK);
    setenv("DANGAN_KEY_FILE", key_file, 1);
    test_archive t;
    assert_true(test_archive_make(&t));
    dg_archive *a = t.archive;
    assert_non_null(a->keys); /* encrypted: made with a master key */
    int64_t catalog_before = cache_size(a->db), keys_before = cache_size(dg_keys_db(a->keys));
    assert_true(catalog_before != -65536 && keys_before != -65536);

    int64_t batch = 0;
    assert_int_equal(dg_batch_begin(a, &t.admin, "cache", 0, &batch, &err), DG_OK);
    assert_int_equal(dg_batch_hold(a, &err), DG_OK);
    assert_int_equal(cache_size(a->db), -65536);
    assert_int_equal(cache_size(dg_keys_db(a->keys)), -65536);
    assert_int_equal(dg_batch_let_go(a, NULL, &err), DG_OK);
    assert_int_equal(dg_batch_finish(a, &t.admin, batch, 0, &err), DG_OK);
    assert_int_equal(cache_size(a->db), catalog_before);
    assert_int_equal(cache_size(dg_keys_db(a->keys)), keys_before);

    test_archive_remove(&t);
    unsetenv("DANGAN_KEY_FILE");
    remove(key_file);
    rmdir(key_dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_batch_widens_both_caches_and_gives_them_back),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
