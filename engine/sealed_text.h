/*
 * sealed_text.h — record text kept in catalog.db sealed with the record's data key.
 *
 * In an encrypted archive the catalog holds no words of a record in the clear: a version's
 * title, its reason (which may quote the content), the name of its original file and its
 * subject person (当事人: a name, perhaps with an ID number) are
 * stored sealed with the record's own data key (keys.h), as text of the form
 *
 *     dgs1:<key id, 32 hex>:<base64 of nonce (24 bytes) || XChaCha20-Poly1305 ciphertext>
 *
 * with the key id as associated data. Destroying the record shreds its key, and with it
 * every copy of these fields, in the live catalog and in every catalog snapshot of every
 * backup. What stays in the clear is what the engine must sort, filter and check without
 * a key (README, "What the catalog keeps in the clear").
 *
 * Reading is done in SQL: the catalog connection has the function dg_clear(x), which gives
 * back x unchanged when it is not sealed (an archive made without a master key, or any
 * other column) and the plain text when it is, so a query names dg_clear(v.title) where it
 * would name v.title. A sealed value whose key is gone, or that fails its check, is a
 * query error that says so.
 */
#ifndef DG_SEALED_TEXT_H
#define DG_SEALED_TEXT_H

#include <sqlite3.h>

#include "../base/status.h"
#include "archive.h"
#include "keys.h"
#include "store.h"

#define DG_SEALED_PREFIX "dgs1:"

/* Whether text is in the sealed form (it starts with DG_SEALED_PREFIX). */
int dg_text_is_sealed(const char *text);

/*
 * Seals plain (NULL: *out is NULL) under seal's key into *out (malloc'd). With seal NULL
 * (an archive without a master key) *out is a copy of plain.
 */
dg_status dg_text_seal(const dg_store_seal *seal, const char *plain, char **out, dg_error *err);

/*
 * Opens sealed text with keys into *out (malloc'd); text that is not sealed is copied.
 * DG_ERR_NOT_FOUND: the key was shredded; DG_ERR_CORRUPT: the value fails its check.
 */
dg_status dg_text_open(dg_keys *keys, const char *text, char **out, dg_error *err);

/*
 * Registers dg_clear(x) on db (the archive's catalog), opening sealed values with the
 * archive's key table as it is at each call (none: a sealed value is an error).
 */
dg_status dg_sealed_text_register(sqlite3 *db, dg_archive *archive, dg_error *err);

#endif
