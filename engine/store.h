/*
 * store.h — the content-addressed object store (the archive's objects/ folder).
 *
 * Every page image, OCR text and word-box file of every version is stored here once,
 * named by the SHA-256 of its uncompressed content (lowercase hex), zlib-compressed.
 * An unchanged page image shared by two versions or two records is stored once.
 *
 * Durability: an object is written to a temporary file in objects/tmp/, fsynced, renamed
 * to objects/<first two hex>/<remaining 62 hex>, and the directory is fsynced, so a crash
 * leaves either no object or a whole one, never a torn one. Temporary files left by a
 * crash are removed by dg_store_clean_tmp(), which the engine calls only while it holds the
 * archive's write lock: every put happens under that lock, so no other writer's temporary
 * file can be in flight then.
 *
 * The store knows nothing of records or the catalog: the engine (record.c) records which
 * objects a version uses in the catalog; verification of catalog-vs-store consistency
 * (missing and orphan objects) is done by the engine, which walks both sides using
 * dg_store_check() and dg_store_list().
 *
 * Thread safety: a dg_store may be used from several threads at once; it holds its root
 * path and a compression stream that one put at a time borrows (under a lock; a put that
 * finds it taken makes its own). Files are created 0600 and folders 0700.
 */
#ifndef DG_STORE_H
#define DG_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "../base/hash.h"
#include "../base/status.h"


typedef struct dg_store dg_store;

/*
 * Sealed objects (encrypted archives, engine/keys.h). A record's objects are sealed with
 * its data key: the file holds the key's id (hex, so the reader can ask for the key) and
 * the zlib-compressed content encrypted with crypto_secretstream_xchacha20poly1305 in
 * chunks. A sealed object is named by HMAC-SHA-256(data key, content): still a hash of the
 * content, but scoped to the record (the same page in two records is two objects, so
 * destroying one record's key never orphans another's), and telling nothing about the
 * content to whoever lacks the key.
 */
#define DG_STORE_KEY_BYTES 32
#define DG_STORE_KEY_ID_HEX 33
typedef struct dg_store_seal {
    char key_id[DG_STORE_KEY_ID_HEX];
    unsigned char key[DG_STORE_KEY_BYTES];
} dg_store_seal;

/* Finds the data key named key_id (DG_ERR_NOT_FOUND: shredded). */
typedef dg_status (*dg_store_key_fn)(void *ctx, const char *key_id,
                                     unsigned char key[DG_STORE_KEY_BYTES], dg_error *err);

/* Opens (creating if needed) the store under root (e.g. "<archive>/objects"). */
dg_status dg_store_open(const char *root, dg_store **out, dg_error *err);
void dg_store_close(dg_store *store);

/* Where get and check find the data keys of sealed objects (none: sealed objects fail). */
void dg_store_set_key_source(dg_store *store, dg_store_key_fn fn, void *ctx);

/* Removes temporary files left in objects/tmp/ by a writer that crashed. Only safe while
 * no other put is in flight (the engine holds the write lock). */
dg_status dg_store_clean_tmp(dg_store *store, dg_error *err);

/*
 * Deferred publishing, for a group of writes under the write lock (batch.h): while it is
 * on, a put writes its temporary file without syncing it and keeps it there, unnamed, and
 * dg_store_publish_deferred then makes them all durable and named at once: one sync of
 * the file system for all their contents, the renames, one sync for all the names (two
 * syncs a group instead of two or three an object). An object is thus never named before
 * its content is durable, as with a put alone. A deferred object is not found by get or
 * check until published; a second put of the same content in the group finds it.
 * dg_store_remove of a deferred object drops it. dg_store_defer(store, 0) drops (removes)
 * whatever was not published. Only with the write lock held, from one thread.
 */
void dg_store_defer(dg_store *store, int on);
dg_status dg_store_publish_deferred(dg_store *store, dg_error *err);

/*
 * Stores len bytes of data; writes its hex SHA-256 to hex. If an object with that hash
 * already exists it is not written again and *was_new is 0 (was_new may be NULL).
 * The stored size (compressed) goes to *stored_size when not NULL. Content larger than
 * 1 GiB is refused with DG_ERR_BAD_INPUT. Several threads or processes may put the same
 * content at once: all succeed and one file results, though more than one of them may
 * see *was_new set to 1.
 */
dg_status dg_store_put(dg_store *store, const void *data, size_t len, char hex[DG_SHA256_HEX],
                       int *was_new, uint64_t *stored_size, dg_error *err);

/*
 * dg_store_put, sealed with seal's key (seal NULL: a plain object as dg_store_put). The
 * name written to hex is the HMAC-SHA-256 of the content under seal->key.
 */
dg_status dg_store_put_sealed(dg_store *store, const dg_store_seal *seal, const void *data,
                              size_t len, char hex[DG_SHA256_HEX], int *was_new,
                              uint64_t *stored_size, dg_error *err);

/*
 * Reads the object named hex, decompresses it and checks its SHA-256. On success *data
 * (caller frees with free()) holds *len bytes plus a terminating NUL not counted in len,
 * so text objects can be used as C strings. A missing object is DG_ERR_NOT_FOUND; one
 * whose content does not match its name, or does not decompress, is DG_ERR_CORRUPT. A sealed
 * object whose key is gone (its record destroyed) is DG_ERR_DENIED; one that fails to
 * decrypt is DG_ERR_CORRUPT.
 */
dg_status dg_store_get(dg_store *store, const char *hex, void **data, size_t *len,
                       dg_error *err);

/* Whether the object exists on disk (no content check); 0 for a malformed name. */
int dg_store_has(dg_store *store, const char *hex);

/*
 * Re-reads and re-hashes one object: DG_OK when whole, DG_ERR_NOT_FOUND when missing,
 * DG_ERR_CORRUPT when its content does not match its name.
 *
 * dg_store_get, dg_store_check and dg_store_remove accept only names of exactly 64
 * lowercase hex digits; anything else is DG_ERR_USAGE (a name becomes part of a path).
 */
dg_status dg_store_check(dg_store *store, const char *hex, dg_error *err);

/*
 * Calls visit(hex, ctx) for every object file present on disk (in no particular order).
 * A non-DG_OK return from visit stops the walk and is returned. Files in objects/ that
 * are not named like objects are reported as hex = their relative path (e.g. "ab/notes.txt"
 * or "stray"), so verify can flag them too. Temporary files in tmp/ are not reported.
 */
dg_status dg_store_list(dg_store *store, dg_status (*visit)(const char *hex, void *ctx),
                        void *ctx, dg_error *err);

/*
 * Removes an object for good: the file is overwritten with zeros, fsynced, unlinked and
 * its directory fsynced (destruction depends on no readable trace remaining). Removing a
 * missing object is DG_OK.
 */
dg_status dg_store_remove(dg_store *store, const char *hex, dg_error *err);

#endif
