/*
 * sealed_text.c — sealing and opening record text kept in catalog.db (sealed_text.h).
 */
#include "sealed_text.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "archive_internal.h"

#define ID_LEN (DG_STORE_KEY_ID_HEX - 1)
#define HEAD_LEN (sizeof DG_SEALED_PREFIX - 1 + ID_LEN + 1) /* "dgs1:" id ":" */
#define NONCE_LEN crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define TAG_LEN crypto_aead_xchacha20poly1305_ietf_ABYTES
#define B64 sodium_base64_VARIANT_ORIGINAL

int dg_text_is_sealed(const char *text)
{
    return text && strncmp(text, DG_SEALED_PREFIX, sizeof DG_SEALED_PREFIX - 1) == 0;
}

static char *copy(const char *text)
{
    size_t len = strlen(text) + 1;
    char *out = malloc(len);
    return out ? memcpy(out, text, len) : NULL;
}

dg_status dg_text_seal(const dg_store_seal *seal, const char *plain, char **out, dg_error *err)
{
    *out = NULL;
    if (!plain)
        return DG_OK;
    if (!seal)
        return (*out = copy(plain)) ? DG_OK
                                    : dg_error_set(err, DG_ERR_NOMEM, "sealing: out of memory");
    size_t plen = strlen(plain);
    size_t blen = NONCE_LEN + plen + TAG_LEN;
    unsigned char *bin = malloc(blen);
    size_t b64len = sodium_base64_ENCODED_LEN(blen, B64);
    char *text = malloc(HEAD_LEN + b64len);
    if (!bin || !text) {
        free(bin);
        free(text);
        return dg_error_set(err, DG_ERR_NOMEM, "sealing: out of memory");
    }
    randombytes_buf(bin, NONCE_LEN);
    crypto_aead_xchacha20poly1305_ietf_encrypt(bin + NONCE_LEN, NULL, (const unsigned char *)plain,
                                               plen, (const unsigned char *)seal->key_id, ID_LEN,
                                               NULL, bin, seal->key);
    memcpy(text, DG_SEALED_PREFIX, sizeof DG_SEALED_PREFIX - 1);
    memcpy(text + sizeof DG_SEALED_PREFIX - 1, seal->key_id, ID_LEN);
    text[HEAD_LEN - 1] = ':';
    sodium_bin2base64(text + HEAD_LEN, b64len, bin, blen, B64);
    free(bin);
    *out = text;
    return DG_OK;
}

/* The key id and the binary nonce || ciphertext of a sealed value (*bin malloc'd). */
static dg_status split(const char *text, char id[DG_STORE_KEY_ID_HEX], unsigned char **bin,
                       size_t *blen, dg_error *err)
{
    size_t len = strlen(text);
    *bin = NULL;
    if (len < HEAD_LEN || text[HEAD_LEN - 1] != ':')
        return dg_error_set(err, DG_ERR_CORRUPT, "a sealed catalog field is malformed");
    memcpy(id, text + sizeof DG_SEALED_PREFIX - 1, ID_LEN);
    id[ID_LEN] = '\0';
    *bin = malloc(len - HEAD_LEN + 1);
    if (!*bin)
        return dg_error_set(err, DG_ERR_NOMEM, "opening a sealed field: out of memory");
    if (sodium_base642bin(*bin, len - HEAD_LEN + 1, text + HEAD_LEN, len - HEAD_LEN, NULL, blen,
                          NULL, B64) != 0 ||
        *blen < NONCE_LEN + TAG_LEN) {
        free(*bin);
        *bin = NULL;
        return dg_error_set(err, DG_ERR_CORRUPT, "a sealed catalog field is malformed");
    }
    return DG_OK;
}

dg_status dg_text_open(dg_keys *keys, const char *text, char **out, dg_error *err)
{
    *out = NULL;
    if (!dg_text_is_sealed(text))
        return (*out = copy(text)) ? DG_OK
                                   : dg_error_set(err, DG_ERR_NOMEM, "opening: out of memory");
    if (!keys)
        return dg_error_set(err, DG_ERR_DENIED,
                            "a sealed catalog field needs the archive's master key");
    char id[DG_STORE_KEY_ID_HEX];
    unsigned char *bin, key[DG_KEY_BYTES];
    size_t blen;
    dg_status st = split(text, id, &bin, &blen, err);
    if (st != DG_OK)
        return st;
    st = dg_keys_get(keys, id, key, err);
    size_t plen = blen - NONCE_LEN - TAG_LEN;
    char *plain = st == DG_OK ? malloc(plen + 1) : NULL;
    if (st == DG_OK && !plain)
        st = dg_error_set(err, DG_ERR_NOMEM, "opening a sealed field: out of memory");
    if (st == DG_OK &&
        crypto_aead_xchacha20poly1305_ietf_decrypt((unsigned char *)plain, NULL, NULL,
                                                   bin + NONCE_LEN, blen - NONCE_LEN,
                                                   (const unsigned char *)id, ID_LEN, bin,
                                                   key) != 0)
        st = dg_error_set(err, DG_ERR_CORRUPT,
                          "a sealed catalog field fails its check (key %s)", id);
    sodium_memzero(key, sizeof key);
    free(bin);
    if (st != DG_OK) {
        free(plain);
        return st;
    }
    plain[plen] = '\0';
    *out = plain;
    return DG_OK;
}

/* dg_clear(x): x itself unless sealed, else its plain text (sealed_text.h). */
static void clear_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    const char *text = sqlite3_value_type(argv[0]) == SQLITE_TEXT
                           ? (const char *)sqlite3_value_text(argv[0])
                           : NULL;
    if (!dg_text_is_sealed(text)) {
        sqlite3_result_value(ctx, argv[0]);
        return;
    }
    char *plain;
    dg_error err;
    const dg_archive *archive = sqlite3_user_data(ctx);
    dg_status st = dg_text_open(archive->keys, text, &plain, &err);
    if (st == DG_ERR_NOMEM)
        sqlite3_result_error_nomem(ctx);
    else if (st == DG_ERR_NOT_FOUND)
        sqlite3_result_error(ctx, "a sealed field's data key is shredded (record destroyed)",
                             -1);
    else if (st != DG_OK)
        sqlite3_result_error(ctx, err.msg, -1);
    else
        sqlite3_result_text(ctx, plain, -1, free);
}

dg_status dg_sealed_text_register(sqlite3 *db, dg_archive *archive, dg_error *err)
{
    /* Direct only: the schema (a trigger or view written into the file) cannot call it. */
    if (sqlite3_create_function_v2(db, "dg_clear", 1, SQLITE_UTF8 | SQLITE_DIRECTONLY, archive,
                                   clear_fn, NULL, NULL, NULL) != SQLITE_OK)
        return dg_error_set(err, DG_ERR_DB, "catalog: cannot register dg_clear: %s",
                            sqlite3_errmsg(db));
    return DG_OK;
}
