/*
 * test_note.c — signed notes and checkpoints agree byte for byte with Go's
 * golang.org/x/mod/sumdb/note (a key and a note Go made, below), and every alteration of a
 * note, a key or a checkpoint is refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/note.h"

/* Made by Go 1.19's note.GenerateKey and note.Sign (golang-golang-x-mod-dev 0.7.0). */
static const char GO_SKEY[] =
    "PRIVATE+KEY+go.example/vector+3b82964e+ASePc44QI24/lIXQ0TKSGrFe4nCf1kSpEJf42FS67aDM";
static const char GO_VKEY[] = "go.example/vector+3b82964e+AWupHx/7AIB5Do/NNJt4YKlgIGIWrrHv6BoZa17WM15f";
static const char GO_TEXT[] = "go.example/vector\n7\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";
static const char GO_NOTE[] =
    "go.example/vector\n7\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n"
    "\xe2\x80\x94 go.example/vector "
    "O4KWTszcpj/D8o4dMG3s5Yjtz9ZNR6Fv6e143MVjJJZmLTb3elrySh6pJ0c/iSau/sBZMgL+R86OJrAB3503dgOpZwc=\n";

static void test_a_note_signed_here_is_the_note_go_signs(void **state)
{
    (void)state;
    dg_note_signer s;
    dg_error err;
    assert_int_equal(dg_note_signer_parse(GO_SKEY, &s, &err), DG_OK);
    char vkey[256];
    dg_note_verifier_format(&s.verifier, vkey, sizeof vkey);
    assert_string_equal(vkey, GO_VKEY);
    char *note;
    assert_int_equal(dg_note_sign(GO_TEXT, &s, &note, &err), DG_OK);
    assert_string_equal(note, GO_NOTE); /* Ed25519 is deterministic */
    free(note);
}

static void test_a_note_go_signed_opens_here_and_alterations_do_not(void **state)
{
    (void)state;
    dg_note_verifier v;
    dg_error err;
    assert_int_equal(dg_note_verifier_parse(GO_VKEY, &v, &err), DG_OK);
    char *text;
    assert_int_equal(dg_note_open(GO_NOTE, &v, &text, &err), DG_OK);
    assert_string_equal(text, GO_TEXT);
    free(text);
    char altered[sizeof GO_NOTE];
    memcpy(altered, GO_NOTE, sizeof GO_NOTE);
    altered[18] = '8'; /* the tree size 7 -> 8 */
    assert_int_equal(dg_note_open(altered, &v, &text, &err), DG_ERR_BAD_INPUT);
    assert_non_null(strstr(err.msg, "does not verify"));
    /* A key of the same name but another public key has another id: not its signature. */
    char *skey, *vkey;
    assert_int_equal(dg_note_generate("go.example/vector", &skey, &vkey, &err), DG_OK);
    dg_note_verifier other;
    assert_int_equal(dg_note_verifier_parse(vkey, &other, &err), DG_OK);
    assert_int_equal(dg_note_open(GO_NOTE, &other, &text, &err), DG_ERR_BAD_INPUT);
    free(skey);
    free(vkey);
}

static void test_keys_with_a_wrong_id_or_name_are_refused(void **state)
{
    (void)state;
    dg_note_verifier v;
    dg_note_signer s;
    dg_error err;
    char bad[256];
    snprintf(bad, sizeof bad, "%s", GO_VKEY);
    bad[19] = bad[19] == '0' ? '1' : '0'; /* the key id */
    assert_int_equal(dg_note_verifier_parse(bad, &v, &err), DG_ERR_USAGE);
    snprintf(bad, sizeof bad, "%s", GO_SKEY);
    bad[31] = bad[31] == '0' ? '1' : '0';
    assert_int_equal(dg_note_signer_parse(bad, &s, &err), DG_ERR_USAGE);
    char *skey, *vkey;
    assert_int_equal(dg_note_generate("with space", &skey, &vkey, &err), DG_ERR_USAGE);
    assert_int_equal(dg_note_generate("a+b", &skey, &vkey, &err), DG_ERR_USAGE);
    assert_int_equal(dg_note_verifier_parse("just text", &v, &err), DG_ERR_USAGE);
}

/* The cosignature is a C2SP cosignature/v1: its key id is taken with type 0x04, it carries
 * its time, and the same key in its cosignature/v1 form opens the note too. */
static void test_a_cosignature_is_cosignature_v1_and_cannot_be_moved(void **state)
{
    (void)state;
    dg_error err;
    char *skey1, *vkey1, *skey2, *vkey2, *note, *other, *both, *text;
    assert_int_equal(dg_note_generate("log.example/a", &skey1, &vkey1, &err), DG_OK);
    assert_int_equal(dg_note_generate("auditor.example/b", &skey2, &vkey2, &err), DG_OK);
    dg_note_signer s1, s2;
    assert_int_equal(dg_note_signer_parse(skey1, &s1, &err), DG_OK);
    assert_int_equal(dg_note_signer_parse(skey2, &s2, &err), DG_OK);
    assert_int_equal(dg_note_sign("log.example/a\n3\nAAAA\n", &s1, &note, &err), DG_OK);
    assert_int_equal(dg_note_sign("log.example/a\n4\nBBBB\n", &s1, &other, &err), DG_OK);
    assert_int_equal(dg_note_cosign(note, &s2, &both, &err), DG_OK);

    char cosig_key[256];
    dg_note_cosigner_format(&s2.verifier, cosig_key, sizeof cosig_key);
    assert_string_not_equal(cosig_key, vkey2); /* another id, another type byte */
    dg_note_verifier c2;
    assert_int_equal(dg_note_verifier_parse(cosig_key, &c2, &err), DG_OK);
    assert_int_equal(dg_note_open(both, &c2, &text, &err), DG_OK);
    free(text);
    /* 4 + 8 + 64 bytes: 104 base64 characters on the cosignature's line */
    const char *line = strstr(both, "\xe2\x80\x94 auditor.example/b ");
    assert_non_null(line);
    assert_int_equal(strcspn(line + strlen("\xe2\x80\x94 auditor.example/b "), "\n"), 104);

    /* the cosignature line moved onto another checkpoint does not verify */
    size_t moved_len = strlen(other) + strlen(line) + 1;
    char *moved = malloc(moved_len);
    assert_non_null(moved);
    snprintf(moved, moved_len, "%s%s", other, line);
    assert_int_equal(dg_note_open(moved, &c2, &text, &err), DG_ERR_BAD_INPUT);
    free(moved);
    free(skey1), free(vkey1), free(skey2), free(vkey2), free(note), free(other), free(both);
}

static void test_a_cosigned_note_opens_with_either_key(void **state)
{
    (void)state;
    dg_error err;
    char *skey1, *vkey1, *skey2, *vkey2, *note, *both, *text;
    assert_int_equal(dg_note_generate("log.example/a", &skey1, &vkey1, &err), DG_OK);
    assert_int_equal(dg_note_generate("auditor.example/b", &skey2, &vkey2, &err), DG_OK);
    dg_note_signer s1, s2;
    dg_note_verifier v1, v2;
    assert_int_equal(dg_note_signer_parse(skey1, &s1, &err), DG_OK);
    assert_int_equal(dg_note_signer_parse(skey2, &s2, &err), DG_OK);
    assert_int_equal(dg_note_verifier_parse(vkey1, &v1, &err), DG_OK);
    assert_int_equal(dg_note_verifier_parse(vkey2, &v2, &err), DG_OK);
    assert_int_equal(dg_note_sign("log.example/a\n3\nAAAA\n", &s1, &note, &err), DG_OK);
    assert_int_equal(dg_note_open(note, &v2, &text, &err), DG_ERR_BAD_INPUT);
    assert_non_null(strstr(err.msg, "no signature of auditor.example/b"));
    assert_int_equal(dg_note_cosign(note, &s2, &both, &err), DG_OK);
    assert_int_equal(dg_note_open(both, &v1, &text, &err), DG_OK);
    free(text);
    assert_int_equal(dg_note_open(both, &v2, &text, &err), DG_OK);
    assert_string_equal(text, "log.example/a\n3\nAAAA\n");
    free(text);
    char *names;
    assert_int_equal(dg_note_signers(both, &names, &err), DG_OK);
    assert_string_equal(names, "log.example/a\nauditor.example/b\n");
    free(names);
    free(note);
    free(both);
    free(skey1);
    free(vkey1);
    free(skey2);
    free(vkey2);
}

static void test_checkpoints_round_trip_and_malformed_ones_are_refused(void **state)
{
    (void)state;
    dg_checkpoint cp = {.size = 123456789};
    snprintf(cp.origin, sizeof cp.origin, "school.example/log");
    for (int i = 0; i < 32; i++)
        cp.root[i] = (unsigned char)i;
    char *text = dg_checkpoint_format(&cp);
    assert_string_equal(text, "school.example/log\n123456789\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n");
    dg_checkpoint back;
    dg_error err;
    assert_int_equal(dg_checkpoint_parse(text, &back, &err), DG_OK);
    assert_int_equal(back.size, cp.size);
    assert_memory_equal(back.root, cp.root, 32);
    assert_string_equal(back.origin, cp.origin);
    free(text);
    const char *bad[] = {"o\n12x\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",
                         "o\n012\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",
                         "o\n12\nAAEC\n", "o\n12\n", "\n12\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(dg_checkpoint_parse(bad[i], &back, &err), DG_ERR_BAD_INPUT);
}

static void test_a_signing_key_readable_by_others_is_refused(void **state)
{
    (void)state;
    char path[] = "/tmp/dangan-note-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, GO_SKEY, strlen(GO_SKEY)), (ssize_t)strlen(GO_SKEY));
    close(fd);
    dg_note_signer s;
    dg_error err;
    assert_int_equal(chmod(path, 0600), 0);
    assert_int_equal(dg_note_signer_load(path, &s, &err), DG_OK);
    assert_int_equal(chmod(path, 0640), 0);
    assert_int_equal(dg_note_signer_load(path, &s, &err), DG_ERR_DENIED);
    assert_non_null(strstr(err.msg, "chmod 600"));
    unlink(path);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_note_signed_here_is_the_note_go_signs),
        cmocka_unit_test(test_a_note_go_signed_opens_here_and_alterations_do_not),
        cmocka_unit_test(test_keys_with_a_wrong_id_or_name_are_refused),
        cmocka_unit_test(test_a_cosigned_note_opens_with_either_key),
        cmocka_unit_test(test_a_cosignature_is_cosignature_v1_and_cannot_be_moved),
        cmocka_unit_test(test_checkpoints_round_trip_and_malformed_ones_are_refused),
        cmocka_unit_test(test_a_signing_key_readable_by_others_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
