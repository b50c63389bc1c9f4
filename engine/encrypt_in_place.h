/*
 * encrypt_in_place.h — encrypting, in place, an archive made without a master key
 * (`dangan keys encrypt`, issue 19).
 *
 * It runs as its own command, never by itself when an archive opens: it rewrites every
 * object of the archive, which takes as long as copying it, holds the write lock
 * record by record, and needs the master key that the admin chose for it.
 *
 * First keys.db is made under the master key (keys.h) and the archive is marked encrypted;
 * from then on it opens only with that key. Then, one record at a time: a new data key is
 * made and named in sealing_in_progress (committed); every object of the record is read
 * (its SHA-256 checked), written sealed under the key (store.h: named by the keyed hash),
 * and read back and compared; then one transaction points the record's pages and versions
 * at the sealed objects, seals its titles, reasons and file names (sealed_text.h), sets
 * its key id and queues the plain objects no record uses any more, which are then
 * overwritten and removed. The catalog's guards allow exactly these changes, and only while
 * the record is in sealing_in_progress without a key id (catalog.c, migration 13).
 *
 * Killed at any point, it is run again and goes on: a record whose transaction did not
 * commit is done again under the same key (so its sealed objects have the same names and
 * are not written twice); queued plain objects are removed first. The write-ahead log is
 * truncated at the end, so no page of the old catalog stays in it. Logged as
 * "keys.encrypt". Admins only.
 *
 * After the records, one transaction seals what staff typed and the journals hold
 * (archive_keys.h): batch and quarantine file names and reasons, loans' and appraisals'
 * text under the journal key, holds' and classification decisions' reasons under their
 * record's key; run on an archive encrypted already, this is all it does.
 *
 * What it cannot seal: access-log entries and destruction-register entries written before
 * (append-only, hash-chained; an older `add` entry names the original file), and the other
 * fields the README lists as kept in the clear.
 */
#ifndef DG_ENCRYPT_IN_PLACE_H
#define DG_ENCRYPT_IN_PLACE_H

#include <stddef.h>
#include <stdint.h>

#include "../base/status.h"
#include "actor.h"
#include "archive.h"

typedef struct dg_encrypt_result {
    size_t records;   /* records sealed by this run */
    size_t objects;   /* sealed objects written (or found written by a killed run) */
    uint64_t removed; /* plain objects overwritten and removed */
    int was_encrypted; /* the archive had a master key already when this run began */
} dg_encrypt_result;

/* Encrypts archive in place with the master key found the documented way (keys.h). */
dg_status dg_encrypt_in_place(dg_archive *archive, const dg_actor *actor,
                              dg_encrypt_result *out, dg_error *err);

#endif
