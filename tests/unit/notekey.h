#ifndef DANGAN_TESTS_NOTEKEY_H
#define DANGAN_TESTS_NOTEKEY_H
/* A fresh Ed25519 note key for a test that signs checkpoints: the log tests share it so a
 * change of the key's name or origin happens once. Include after <cmocka.h>. */
#include <stdlib.h>

#include "engine/note.h"

static inline void test_note_key(dg_note_signer *key)
{
    char *skey, *vkey;
    dg_error err;
    assert_int_equal(dg_note_generate("test.example/log", &skey, &vkey, &err), DG_OK);
    assert_int_equal(dg_note_signer_parse(skey, key, &err), DG_OK);
    free(skey);
    free(vkey);
}

#endif
