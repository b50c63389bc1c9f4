/*
 * note.h — C2SP signed notes with Ed25519 keys, and C2SP tlog checkpoints (libsodium).
 *
 * A signed note (https://c2sp.org/signed-note) is UTF-8 text ending in a newline, a blank
 * line, and one or more signature lines "— <key name> <base64(key id || signature)>". The
 * key id is the first 4 bytes (big-endian) of SHA-256(name || "\n" || 0x01 || public key);
 * 0x01 says Ed25519. Keys are written as Go's golang.org/x/mod/sumdb/note writes them:
 *
 *     verifier key  <name>+<key id, 8 hex digits>+<base64(0x01 || 32-byte public key)>
 *     signer key    PRIVATE+KEY+<name>+<key id>+<base64(0x01 || 32-byte seed)>
 *
 * so notes dangan signs open with Go's note.Open, and keys made by Go's note.GenerateKey
 * work here. A cosignature (dg_note_cosign) is a C2SP tlog-cosignature, cosignature/v1: its
 * key id is taken with the type byte 0x04 instead of 0x01, and it signs
 * "cosignature/v1\ntime <seconds since 1970>\n" followed by the note's text, the time
 * travelling in the signature (id || 8-byte big-endian time || Ed25519 signature). One
 * Ed25519 key serves both: its plain verifier key checks either kind of signature, and
 * dg_note_cosigner_format writes its cosignature/v1 form (name+id+base64(0x04 || key)). A checkpoint (https://c2sp.org/tlog-checkpoint) is the note text
 * "<origin>\n<tree size>\n<base64 root hash>\n".
 *
 * The signing key of an archive's log lives in a file outside the archive folder, readable
 * by its owner only (dg_note_signer_load refuses anything looser); it is never stored in
 * the catalog. This module only computes; the caller decides where keys and notes go.
 */
#ifndef DG_NOTE_H
#define DG_NOTE_H

#include <stddef.h>
#include <stdint.h>

#include "../base/status.h"

#define DG_NOTE_NAME_MAX 128

typedef struct dg_note_verifier {
    char name[DG_NOTE_NAME_MAX];
    uint32_t id;
    unsigned char public_key[32];
} dg_note_verifier;

typedef struct dg_note_signer {
    dg_note_verifier verifier;
    unsigned char secret_key[64]; /* libsodium's seed || public key */
} dg_note_signer;

/*
 * Makes a new Ed25519 key pair named name (no '+', no white space). *skey and *vkey are the
 * key strings above; the caller frees both.
 */
dg_status dg_note_generate(const char *name, char **skey, char **vkey, dg_error *err);

/* Parses a signer key string (surrounding white space ignored). */
dg_status dg_note_signer_parse(const char *skey, dg_note_signer *out, dg_error *err);

/*
 * Reads a signer key from an open file (the caller's own descriptor). Refuses a file that
 * anyone but its owner can read or write (the mode must be 0600 or 0400); what names the
 * file in messages.
 */
dg_status dg_note_signer_read_fd(int fd, const char *what, dg_note_signer *out, dg_error *err);

/* Opens path and reads the signer key in it as dg_note_signer_read_fd does. */
dg_status dg_note_signer_load(const char *path, dg_note_signer *out, dg_error *err);

/* Parses a verifier key string: a plain Ed25519 key (0x01) or its cosignature/v1 form (0x04),
 * either kept as the plain key. */
dg_status dg_note_verifier_parse(const char *vkey, dg_note_verifier *out, dg_error *err);

/* Writes the verifier key string of a key into buf. */
void dg_note_verifier_format(const dg_note_verifier *key, char *buf, size_t size);

/* Writes the cosignature/v1 verifier key string of a key into buf. */
void dg_note_cosigner_format(const dg_note_verifier *key, char *buf, size_t size);

/* Signs text (which must end in "\n"): *note is the signed note (caller frees). */
dg_status dg_note_sign(const char *text, const dg_note_signer *key, char **note, dg_error *err);

/* Adds one more signature line to a signed note: key's cosignature/v1, timestamped now;
 * *out is freed by the caller. The note's existing signatures are kept as they are. */
dg_status dg_note_cosign(const char *note, const dg_note_signer *key, char **out, dg_error *err);

/*
 * Opens a signed note: splits it into its text and checks the signature of key (its name
 * and key id must match a signature line, and the signature must verify). DG_OK with *text
 * (caller frees) when it verifies; DG_ERR_CORRUPT naming why when it does not.
 */
dg_status dg_note_open(const char *note, const dg_note_verifier *key, char **text,
                       dg_error *err);

/* The names on a note's signature lines, one per line in *names (caller frees). */
dg_status dg_note_signers(const char *note, char **names, dg_error *err);

typedef struct dg_checkpoint {
    char origin[DG_NOTE_NAME_MAX * 2];
    uint64_t size;
    unsigned char root[32];
} dg_checkpoint;

/* The checkpoint's note text (caller frees). */
char *dg_checkpoint_format(const dg_checkpoint *cp);

/* Parses a checkpoint's note text (extension lines after the root are allowed). */
dg_status dg_checkpoint_parse(const char *text, dg_checkpoint *out, dg_error *err);

#endif
