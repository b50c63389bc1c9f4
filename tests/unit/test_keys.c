/* test_keys.c — the master key file, the key table (keys.db) and sealed objects: refusals
 * of unsafe key files, wrong keys told apart, wrapping round trips, shredding, rotation, and
 * the store's sealed objects (no plaintext on disk, keyed names, tamper and lost-key cases). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <ftw.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include "engine/keys.h"
#include "engine/store.h"

typedef struct fixture {
    char base[64];
    char archive[128]; /* base/archive: where keys.db goes */
    char key1[128], key2[128];
    unsigned char master1[DG_KEY_BYTES], master2[DG_KEY_BYTES];
} fixture;

static int setup(void **state)
{
    fixture *fx = calloc(1, sizeof *fx);
    assert_non_null(fx);
    snprintf(fx->base, sizeof fx->base, "/tmp/dg-keys-test-XXXXXX");
    assert_non_null(mkdtemp(fx->base));
    snprintf(fx->archive, sizeof fx->archive, "%s/archive", fx->base);
    assert_int_equal(mkdir(fx->archive, 0700), 0);
    snprintf(fx->key1, sizeof fx->key1, "%s/k1", fx->base);
    snprintf(fx->key2, sizeof fx->key2, "%s/k2", fx->base);
    dg_error err;
    assert_int_equal(dg_master_key_generate(fx->key1, &err), DG_OK);
    assert_int_equal(dg_master_key_generate(fx->key2, &err), DG_OK);
    assert_int_equal(dg_master_key_read(fx->key1, fx->archive, fx->master1, &err), DG_OK);
    assert_int_equal(dg_master_key_read(fx->key2, fx->archive, fx->master2, &err), DG_OK);
    *state = fx;
    return 0;
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(path);
}

static int teardown(void **state)
{
    fixture *fx = *state;
    nftw(fx->base, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(fx);
    return 0;
}

static void test_generated_key_is_private_and_never_overwritten(void **state)
{
    fixture *fx = *state;
    struct stat sb;
    assert_int_equal(stat(fx->key1, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    assert_int_equal(sb.st_size, 65);
    assert_memory_not_equal(fx->master1, fx->master2, DG_KEY_BYTES);
    dg_error err;
    assert_int_equal(dg_master_key_generate(fx->key1, &err), DG_ERR_EXISTS);
}

static void test_unsafe_key_files_are_refused(void **state)
{
    fixture *fx = *state;
    unsigned char key[DG_KEY_BYTES];
    dg_error err;
    assert_int_equal(chmod(fx->key1, 0640), 0);
    assert_int_equal(dg_master_key_read(fx->key1, NULL, key, &err), DG_ERR_DENIED);
    assert_non_null(strstr(err.msg, "group or others"));
    assert_int_equal(chmod(fx->key1, 0400), 0);
    assert_int_equal(dg_master_key_read(fx->key1, NULL, key, &err), DG_OK);

    char inside[160];
    snprintf(inside, sizeof inside, "%s/master.key", fx->archive);
    assert_int_equal(dg_master_key_generate(inside, &err), DG_OK);
    assert_int_equal(dg_master_key_read(inside, fx->archive, key, &err), DG_ERR_DENIED);
    assert_non_null(strstr(err.msg, "inside the archive folder"));

    char bad[160];
    snprintf(bad, sizeof bad, "%s/bad", fx->base);
    int fd = open(bad, O_WRONLY | O_CREAT, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "not hex\n", 8), 8);
    close(fd);
    assert_int_equal(dg_master_key_read(bad, NULL, key, &err), DG_ERR_BAD_INPUT);
}

static void test_key_path_prefers_the_key_file_then_the_credential(void **state)
{
    fixture *fx = *state;
    char *path = NULL;
    dg_error err;
    unsetenv("DANGAN_KEY_FILE");
    setenv("CREDENTIALS_DIRECTORY", fx->base, 1);
    assert_int_equal(dg_master_key_path(&path, &err), DG_OK);
    assert_null(path); /* the folder has no dangan-master-key */
    char cred[160];
    snprintf(cred, sizeof cred, "%s/%s", fx->base, DG_KEY_CREDENTIAL);
    assert_int_equal(dg_master_key_generate(cred, &err), DG_OK);
    assert_int_equal(dg_master_key_path(&path, &err), DG_OK);
    assert_string_equal(path, cred);
    free(path);
    setenv("DANGAN_KEY_FILE", fx->key2, 1);
    assert_int_equal(dg_master_key_path(&path, &err), DG_OK);
    assert_string_equal(path, fx->key2);
    free(path);
    unsetenv("DANGAN_KEY_FILE");
    unsetenv("CREDENTIALS_DIRECTORY");
}

static void test_wrong_master_key_is_told_apart(void **state)
{
    fixture *fx = *state;
    dg_error err;
    dg_keys *keys = NULL;
    assert_int_equal(dg_keys_open(fx->archive, fx->master1, &keys, &err), DG_ERR_NOT_FOUND);
    assert_int_equal(dg_keys_create(fx->archive, fx->master1, &err), DG_OK);
    assert_int_equal(dg_keys_open(fx->archive, fx->master2, &keys, &err), DG_ERR_DENIED);
    assert_non_null(strstr(err.msg, "wrong master key"));
    assert_int_equal(dg_keys_open(fx->archive, fx->master1, &keys, &err), DG_OK);
    dg_keys_close(keys);
}

/* Writes len bytes of junk to path, as a killed run may leave half a file. */
static void write_junk(const char *path, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    char junk[512];
    memset(junk, 'x', sizeof junk);
    assert_int_equal(write(fd, junk, len), (ssize_t)len);
    close(fd);
}

static void test_key_table_is_made_whole_or_not_at_all(void **state)
{
    fixture *fx = *state;
    dg_error err;
    dg_keys *keys = NULL;
    char path[192], new_path[200];
    snprintf(path, sizeof path, "%s/keys.db", fx->archive);
    snprintf(new_path, sizeof new_path, "%s.new", path);
    /* What a creation killed half way left: removed, and the table made whole. */
    write_junk(new_path, 100);
    assert_int_equal(dg_keys_create(fx->archive, fx->master1, &err), DG_OK);
    assert_int_not_equal(access(new_path, F_OK), 0);
    assert_int_equal(dg_keys_open(fx->archive, fx->master1, &keys, &err), DG_OK);
    char id[DG_KEY_ID_HEX];
    unsigned char key[DG_KEY_BYTES], got[DG_KEY_BYTES];
    assert_int_equal(dg_keys_new(keys, id, key, &err), DG_OK);
    dg_keys_close(keys);
    /* A second creation never replaces the table and its data keys, whatever the key. */
    assert_int_equal(dg_keys_create(fx->archive, fx->master2, &err), DG_ERR_EXISTS);
    assert_non_null(strstr(err.msg, "already exists"));
    assert_int_equal(dg_keys_open(fx->archive, fx->master1, &keys, &err), DG_OK);
    assert_int_equal(dg_keys_get(keys, id, got, &err), DG_OK);
    assert_memory_equal(got, key, DG_KEY_BYTES);
    dg_keys_close(keys);
}

#ifdef DG_FAULT_INJECTION
/*
 * Creates the table in a child killed (SIGKILL) at the hit'th step; 1 if it was killed.
 * The child runs this binary afresh (main's "--create"), as the fault settings are read
 * from the environment once per process.
 */
static int create_killed_at(const fixture *fx, int hit)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char spec[64];
        snprintf(spec, sizeof spec, "keys.create:%d:kill", hit);
        setenv("DANGAN_FAULT", spec, 1);
        execl("/proc/self/exe", "test_keys", "--create", fx->archive, fx->key1, (char *)NULL);
        _exit(127);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (WIFEXITED(status))
        assert_int_equal(WEXITSTATUS(status), 0);
    return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
}

/* kill -9 at every step of the creation: after each, keys.db is absent or opens whole. */
static void test_key_table_survives_a_kill_at_every_step(void **state)
{
    fixture *fx = *state;
    char path[192], new_path[200];
    snprintf(path, sizeof path, "%s/keys.db", fx->archive);
    snprintf(new_path, sizeof new_path, "%s.new", path);
    int hit = 1, killed;
    do {
        killed = create_killed_at(fx, hit++);
        dg_error err;
        dg_keys *keys = NULL;
        if (access(path, F_OK) == 0) {
            assert_int_equal(dg_keys_open(fx->archive, fx->master1, &keys, &err), DG_OK);
            dg_keys_close(keys);
            assert_int_not_equal(access(new_path, F_OK), 0); /* no second name left */
            assert_int_equal(unlink(path), 0);
        } else {
            /* Nothing made: the next creation starts over and succeeds. */
            assert_true(killed);
            assert_int_equal(dg_keys_create(fx->archive, fx->master1, &err), DG_OK);
            assert_int_equal(unlink(path), 0);
        }
    } while (killed);
    assert_true(hit > 3); /* the kill landed at every step before the child finished */
}
#endif

static int used_only(const char *id, void *ctx)
{
    return strcmp(id, ctx) == 0;
}

static void test_data_keys_wrap_shred_and_rotate(void **state)
{
    fixture *fx = *state;
    dg_error err;
    dg_keys *keys = NULL;
    assert_int_equal(dg_keys_create(fx->archive, fx->master1, &err), DG_OK);
    assert_int_equal(dg_keys_open(fx->archive, fx->master1, &keys, &err), DG_OK);
    char a[DG_KEY_ID_HEX], b[DG_KEY_ID_HEX];
    unsigned char ka[DG_KEY_BYTES], kb[DG_KEY_BYTES], got[DG_KEY_BYTES];
    assert_int_equal(dg_keys_new(keys, a, ka, &err), DG_OK);
    assert_int_equal(dg_keys_new(keys, b, kb, &err), DG_OK);
    assert_string_not_equal(a, b);
    assert_memory_not_equal(ka, kb, DG_KEY_BYTES);
    assert_int_equal(dg_keys_get(keys, a, got, &err), DG_OK);
    assert_memory_equal(got, ka, DG_KEY_BYTES);

    /* No data key lies in keys.db in the clear. */
    char path[192];
    snprintf(path, sizeof path, "%s/keys.db", fx->archive);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static unsigned char file[1 << 20];
    size_t n = fread(file, 1, sizeof file, f);
    fclose(f);
    assert_null(memmem(file, n, ka, DG_KEY_BYTES));

    size_t count = 0;
    assert_int_equal(dg_keys_rotate(keys, fx->master2, &count, &err), DG_OK);
    assert_int_equal(count, 2);
    assert_int_equal(dg_keys_get(keys, b, got, &err), DG_OK);
    assert_memory_equal(got, kb, DG_KEY_BYTES);
    dg_keys_close(keys);
    assert_int_equal(dg_keys_open(fx->archive, fx->master1, &keys, &err), DG_ERR_DENIED);
    assert_int_equal(dg_keys_open(fx->archive, fx->master2, &keys, &err), DG_OK);

    size_t shredded = 0;
    assert_int_equal(dg_keys_shred_unused(keys, used_only, b, &shredded, &err), DG_OK);
    assert_int_equal(shredded, 1);
    assert_int_equal(dg_keys_get(keys, a, got, &err), DG_ERR_NOT_FOUND);
    assert_int_equal(dg_keys_get(keys, b, got, &err), DG_OK);
    assert_int_equal(dg_keys_count(keys, &count, &err), DG_OK);
    assert_int_equal(count, 1);
    dg_keys_close(keys);
}

/* A group's data keys commit together: a second handle sees none of them before the group
 * commits, all after; an abandoned group (or a kill) keeps none; outside a group each key
 * commits alone, as before. */
static void test_data_keys_commit_as_a_group(void **state)
{
    fixture *fx = *state;
    dg_error err;
    dg_keys *keys = NULL, *other = NULL;
    assert_int_equal(dg_keys_create(fx->archive, fx->master1, &err), DG_OK);
    assert_int_equal(dg_keys_open(fx->archive, fx->master1, &keys, &err), DG_OK);
    assert_int_equal(dg_keys_open(fx->archive, fx->master1, &other, &err), DG_OK);
    char ids[3][DG_KEY_ID_HEX];
    unsigned char k[3][DG_KEY_BYTES], got[DG_KEY_BYTES];
    size_t count = 9;

    assert_int_equal(dg_keys_group_begin(keys, &err), DG_OK);
    for (int i = 0; i < 3; i++)
        assert_int_equal(dg_keys_new(keys, ids[i], k[i], &err), DG_OK);
    assert_int_equal(dg_keys_get(keys, ids[2], got, &err), DG_OK); /* its own, uncommitted */
    assert_memory_equal(got, k[2], DG_KEY_BYTES);
    assert_int_equal(dg_keys_count(other, &count, &err), DG_OK);
    assert_int_equal(count, 0);
    dg_keys_group_abandon(keys);
    assert_int_equal(dg_keys_get(keys, ids[0], got, &err), DG_ERR_NOT_FOUND);
    assert_int_equal(dg_keys_count(keys, &count, &err), DG_OK);
    assert_int_equal(count, 0);

    assert_int_equal(dg_keys_group_begin(keys, &err), DG_OK);
    for (int i = 0; i < 3; i++)
        assert_int_equal(dg_keys_new(keys, ids[i], k[i], &err), DG_OK);
    assert_int_equal(dg_keys_count(other, &count, &err), DG_OK);
    assert_int_equal(count, 0);
    assert_int_equal(dg_keys_group_commit(keys, &err), DG_OK);
    assert_int_equal(dg_keys_group_commit(keys, &err), DG_OK); /* nothing open: nothing to do */
    for (int i = 0; i < 3; i++) {
        assert_int_equal(dg_keys_get(other, ids[i], got, &err), DG_OK);
        assert_memory_equal(got, k[i], DG_KEY_BYTES);
    }
    assert_int_equal(dg_keys_new(keys, ids[0], k[0], &err), DG_OK); /* alone, committed */
    assert_int_equal(dg_keys_count(other, &count, &err), DG_OK);
    assert_int_equal(count, 4);
    dg_keys_close(other);
    dg_keys_close(keys);
}

static dg_status lookup(void *ctx, const char *key_id, unsigned char key[DG_STORE_KEY_BYTES],
                        dg_error *err)
{
    return dg_keys_get(ctx, key_id, key, err);
}

/* Whether the bytes, or their zlib inflation from any offset that inflates, hold needle. */
static int holds_plaintext(const unsigned char *buf, size_t n, const char *needle)
{
    if (memmem(buf, n, needle, strlen(needle)))
        return 1;
    static unsigned char out[1 << 20];
    for (size_t i = 0; i + 2 < n; i++) {
        uLongf out_len = sizeof out;
        uLong in_len = (uLong)(n - i);
        if (uncompress2(out, &out_len, buf + i, &in_len) == Z_OK &&
            memmem(out, out_len, needle, strlen(needle)))
            return 1;
    }
    return 0;
}

static void test_sealed_objects(void **state)
{
    fixture *fx = *state;
    dg_error err;
    dg_keys *keys = NULL;
    assert_int_equal(dg_keys_create(fx->archive, fx->master1, &err), DG_OK);
    assert_int_equal(dg_keys_open(fx->archive, fx->master1, &keys, &err), DG_OK);
    char root[192];
    snprintf(root, sizeof root, "%s/objects", fx->archive);
    dg_store *store = NULL;
    assert_int_equal(dg_store_open(root, &store, &err), DG_OK);
    dg_store_seal s1, s2;
    assert_int_equal(dg_keys_new(keys, s1.key_id, s1.key, &err), DG_OK);
    assert_int_equal(dg_keys_new(keys, s2.key_id, s2.key, &err), DG_OK);

    /* Large enough for several secretstream chunks. */
    size_t len = 300 * 1024;
    char *text = malloc(len + 1);
    assert_non_null(text);
    for (size_t i = 0; i < len; i++)
        text[i] = "zorblequux 翡翠鹦鹉 "[i % 22];
    text[len] = '\0';
    char h1[DG_SHA256_HEX], h2[DG_SHA256_HEX], plain[DG_SHA256_HEX];
    assert_int_equal(dg_store_put_sealed(store, &s1, text, len, h1, NULL, NULL, &err), DG_OK);
    assert_int_equal(dg_store_put_sealed(store, &s2, text, len, h2, NULL, NULL, &err), DG_OK);
    dg_sha256_hex(text, len, plain);
    assert_string_not_equal(h1, h2);    /* dedup is within a record only */
    assert_string_not_equal(h1, plain); /* the name tells nothing without the key */

    /* Without a key source the object cannot be read; with it, it round-trips. */
    void *data = NULL;
    size_t got = 0;
    assert_int_equal(dg_store_get(store, h1, &data, &got, &err), DG_ERR_DENIED);
    dg_store_set_key_source(store, lookup, keys);
    assert_int_equal(dg_store_get(store, h1, &data, &got, &err), DG_OK);
    assert_int_equal(got, len);
    assert_memory_equal(data, text, len);
    free(data);
    assert_int_equal(dg_store_check(store, h2, &err), DG_OK);

    /* The file carries no plaintext, raw or inflated. */
    char path[320];
    snprintf(path, sizeof path, "%s/%.2s/%s", root, h1, h1 + 2);
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    static unsigned char file[1 << 20];
    size_t n = fread(file, 1, sizeof file, f);
    assert_false(holds_plaintext(file, n, "zorblequux"));

    /* One flipped byte is caught. */
    fseek(f, (long)(n / 2), SEEK_SET);
    fputc(file[n / 2] ^ 1, f);
    fclose(f);
    assert_int_equal(dg_store_check(store, h1, &err), DG_ERR_CORRUPT);

    /* Shredding the key leaves the object unreadable for good. */
    size_t shredded;
    assert_int_equal(dg_keys_shred_unused(keys, used_only, s1.key_id, &shredded, &err), DG_OK);
    assert_int_equal(dg_store_get(store, h2, &data, &got, &err), DG_ERR_DENIED);
    assert_non_null(strstr(err.msg, "destroyed"));
    free(text);
    dg_store_close(store);
    dg_keys_close(keys);
}

/* The child of test_key_table_survives_a_kill_at_every_step: makes the key table. */
static int create_table(const char *archive, const char *key_file)
{
    unsigned char master[DG_KEY_BYTES];
    dg_error err;
    if (dg_master_key_read(key_file, archive, master, &err) != DG_OK ||
        dg_keys_create(archive, master, &err) != DG_OK) {
        fprintf(stderr, "dangan: %s\n", err.msg);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "--create") == 0)
        return create_table(argv[2], argv[3]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_generated_key_is_private_and_never_overwritten,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_unsafe_key_files_are_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_key_path_prefers_the_key_file_then_the_credential,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_master_key_is_told_apart, setup, teardown),
        cmocka_unit_test_setup_teardown(test_key_table_is_made_whole_or_not_at_all, setup,
                                        teardown),
#ifdef DG_FAULT_INJECTION
        cmocka_unit_test_setup_teardown(test_key_table_survives_a_kill_at_every_step, setup,
                                        teardown),
#endif
        cmocka_unit_test_setup_teardown(test_data_keys_wrap_shred_and_rotate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_data_keys_commit_as_a_group, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sealed_objects, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
