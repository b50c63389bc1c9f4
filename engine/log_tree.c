/*
 * log_tree.c — what the access log's Merkle tree proves: signed checkpoints of the stored
 * tree, audits of today's log against a checkpoint an auditor kept, inclusion and
 * consistency proofs, and an auditor's cosignature (log.h). The tree itself is stored by
 * each append (log.c) and recomputed from the entries by log_read.c.
 *
 * The stored hashes are a cache an intruder could rewrite too, so every audit recomputes
 * the tree from the entries and compares; the proofs built from stored hashes are then
 * checked against the signed root.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive_internal.h"
#include "catalog.h"
#include "log.h"
#include "log_internal.h"
#include "user.h"
#include "visibility.h"

/* ---- checkpoints ------------------------------------------------------------------- */

static dg_status keep_checkpoint(sqlite3 *db, const dg_log_head *head, const char *note,
                                 dg_error *err)
{
    char at[32];
    dg_now_iso(at);
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(
        db, "INSERT OR REPLACE INTO log_checkpoints(size, at, note) VALUES(?, ?, ?)", &stmt, err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_int64(stmt, 1, (sqlite3_int64)head->size);
    sqlite3_bind_text(stmt, 2, at, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 3, note, -1, SQLITE_STATIC);
    return dg_catalog_step_done(db, stmt, err);
}

dg_status dg_log_checkpoint_sign(dg_archive *archive, const dg_note_signer *key, char **note,
                                 dg_error *err)
{
    *note = NULL;
    sqlite3 *db = archive->db;
    /* What is signed is the whole log: a change's pending entry first (log.h). */
    dg_status st = dg_log_pending_flush(archive, err);
    if (st == DG_OK)
        st = dg_catalog_begin_write(db, err);
    if (st != DG_OK)
        return st;
    st = dg_log_tree_catch_up(db, err);
    dg_log_head head;
    if (st == DG_OK)
        st = dg_log_stored_head(db, &head, err);
    if (st == DG_OK) {
        dg_checkpoint cp = {.size = head.size};
        snprintf(cp.origin, sizeof cp.origin, "%s", key->verifier.name);
        memcpy(cp.root, head.root.b, sizeof cp.root);
        char *text = dg_checkpoint_format(&cp);
        st = text ? dg_note_sign(text, key, note, err)
                  : dg_error_set(err, DG_ERR_NOMEM, "access log tree: out of memory");
        free(text);
    }
    if (st == DG_OK)
        st = keep_checkpoint(db, &head, *note, err);
    if (st == DG_OK) {
        char vkey[256];
        dg_note_verifier_format(&key->verifier, vkey, sizeof vkey);
        st = dg_setting_set(db, "log_verifier_key", vkey, err);
    }
    st = dg_catalog_end_write(db, st, err);
    if (st != DG_OK) {
        free(*note);
        *note = NULL;
    }
    return st;
}

dg_status dg_log_checkpoint_latest(dg_archive *archive, const dg_actor *actor, char **note,
                                   dg_error *err)
{
    *note = NULL;
    dg_status st = dg_log_require_reader(archive, actor, "log.checkpoint", err);
    if (st != DG_OK)
        return st;
    sqlite3_stmt *stmt;
    st = dg_catalog_prepare(archive->db,
                            "SELECT note FROM log_checkpoints ORDER BY size DESC LIMIT 1", &stmt,
                            err);
    if (st == DG_OK)
        st = dg_catalog_row_text(archive->db, stmt, note, "read checkpoints", err,
                                 "no checkpoint has been signed yet: run `dangan log checkpoint "
                                 "--log-key FILE` or a server with --log-key");
    return st;
}

dg_status dg_log_checkpoint_covering(dg_archive *archive, uint64_t entries, char **note,
                                     char **at, dg_error *err)
{
    *note = *at = NULL;
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(
        archive->db, "SELECT note, at FROM log_checkpoints WHERE size >= ? ORDER BY size LIMIT 1",
        &stmt, err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_int64(stmt, 1, (sqlite3_int64)entries);
    int found = 0;
    st = dg_catalog_step_maybe_row(archive->db, stmt, &found, "read checkpoints", err);
    if (st == DG_OK && !found)
        st = dg_error_set(err, DG_ERR_NOT_FOUND, "no checkpoint signed after log entry %llu",
                          (unsigned long long)entries);
    if (st == DG_OK) {
        *note = dg_column_strdup(stmt, 0);
        *at = dg_column_strdup(stmt, 1);
        if (!*note || !*at) {
            free(*note);
            free(*at);
            *note = *at = NULL;
            st = dg_error_set(err, DG_ERR_NOMEM, "read checkpoints: out of memory");
        }
    }
    sqlite3_finalize(stmt);
    return st;
}

dg_status dg_log_verifier_key(dg_archive *archive, dg_note_verifier *key, dg_error *err)
{
    char *text = NULL;
    dg_status st = dg_setting_get(archive->db, "log_verifier_key", &text, err);
    if (st == DG_ERR_NOT_FOUND)
        return dg_error_set(err, st, "this archive has signed no checkpoint yet, so it knows no "
                                     "log key; give --key");
    if (st == DG_OK)
        st = dg_note_verifier_parse(text, key, err);
    free(text);
    return st;
}

/* ---- audits and proofs --------------------------------------------------------------- */

/* Opens a signed checkpoint with key. */
static dg_status open_checkpoint(const char *note, const dg_note_verifier *key,
                                 dg_checkpoint *cp, dg_error *err)
{
    char *text = NULL;
    dg_status st = dg_note_open(note, key, &text, err);
    if (st == DG_OK)
        st = dg_checkpoint_parse(text, cp, err);
    free(text);
    if (st == DG_OK && strcmp(cp->origin, key->name) != 0)
        st = dg_error_set(err, DG_ERR_BAD_INPUT, "the checkpoint is of log '%s', not of '%s'",
                          cp->origin, key->name);
    return st;
}

void dg_log_audit_free(dg_log_audit *audit)
{
    dg_merkle_proof_free(&audit->proof);
}

/* Builds and checks the consistency proof from the stored tree. */
static dg_status prove_extension(sqlite3 *db, dg_log_audit *out, dg_error *err)
{
    dg_log_stored_tree t;
    dg_status st = dg_log_stored_open(db, &t, err);
    dg_merkle_hash signed_root;
    memcpy(signed_root.b, out->checkpoint.root, DG_MERKLE_HASH);
    if (st == DG_OK) {
        dg_error proof_err;
        dg_status pst = dg_merkle_prove_consistency(dg_log_stored_read, &t, out->checkpoint.size,
                                                    out->size, &out->proof, &proof_err);
        if (pst == DG_ERR_CORRUPT) {
            if (out->extends)
                snprintf(out->finding, sizeof out->finding, "%.500s", proof_err.msg);
            out->extends = 0;
        } else if (pst != DG_OK) {
            st = dg_error_set(err, pst, "%s", proof_err.msg);
        } else if (!dg_merkle_check_consistency(out->checkpoint.size, &signed_root, out->size,
                                                &out->check.root, &out->proof) &&
                   out->extends) {
            out->extends = 0;
            snprintf(out->finding, sizeof out->finding,
                     "the stored tree gives no consistency proof from the checkpoint (%llu "
                     "entries) to today's log (%llu): it was altered",
                     (unsigned long long)out->checkpoint.size, (unsigned long long)out->size);
        }
    }
    dg_log_stored_close(&t);
    return st;
}

/* Compares today's recomputed log with what the checkpoint signed. */
static void judge(dg_log_audit *out)
{
    out->extends = 1;
    const dg_checkpoint *cp = &out->checkpoint;
    if (out->size < cp->size) {
        out->extends = 0;
        snprintf(out->finding, sizeof out->finding,
                 "the log has %llu entries but the checkpoint signed %llu: entries were removed "
                 "(cut short, or an older catalog put back)",
                 (unsigned long long)out->size, (unsigned long long)cp->size);
    } else if (sodium_memcmp(out->check.snapshot_root.b, cp->root, DG_MERKLE_HASH) != 0) {
        out->extends = 0;
        snprintf(out->finding, sizeof out->finding,
                 "the first %llu entries are not the ones the checkpoint signed: the log was "
                 "rewritten or forked since", (unsigned long long)cp->size);
    } else if (out->check.first_broken || out->check.tree_differs) {
        out->extends = 0;
        snprintf(out->finding, sizeof out->finding, "%s", out->check.reason);
    }
}

dg_status dg_log_audit_checkpoint(dg_archive *archive, const dg_actor *actor, const char *note,
                                  const dg_note_verifier *key, dg_log_audit *out,
                                  dg_error *err)
{
    memset(out, 0, sizeof *out);
    dg_status st = dg_log_require_reader(archive, actor, "log.verify", err);
    if (st == DG_OK)
        st = open_checkpoint(note, key, &out->checkpoint, err);
    if (st != DG_OK)
        return st;
    /* A server's group stores the tree's subtrees once per filing (log.c), so the stored
     * tree may lag the entries by up to a filing: bring it up first, so that the proof
     * reaches today's log. Only an aid: a tree that cannot be brought up (the write lock
     * busy, a full disk) is audited as stored, as before (a lag is no finding; the
     * recomputed tree decides, and the proof is then left out). */
    dg_error up_err;
    if (dg_catalog_begin_write(archive->db, &up_err) == DG_OK)
        dg_catalog_end_write(archive->db, dg_log_tree_catch_up(archive->db, &up_err), &up_err);
    /* One read transaction: the entries, the stored tree and the proof see one log. */
    sqlite3 *db;
    st = dg_log_reader_open(archive, &db, err);
    if (st != DG_OK)
        return st;
    st = dg_log_walk(db, out->checkpoint.size, &out->check, err);
    if (st == DG_OK)
        st = dg_log_check_stored_tree(db, &out->check, err);
    out->size = out->check.entries;
    if (st == DG_OK) {
        judge(out);
        /* The proof is built even when the verdict is already "no", so anyone can check
         * independently that the stored tree cannot connect the signed root to today's. */
        if (out->checkpoint.size <= out->size && out->check.stored_size >= out->size)
            st = prove_extension(db, out, err);
    }
    dg_log_reader_close(db);
    if (st != DG_OK) {
        dg_log_audit_free(out);
        return st;
    }
    char detail[600];
    snprintf(detail, sizeof detail, "checkpoint %llu: %s",
             (unsigned long long)out->checkpoint.size, out->extends ? "extended" : out->finding);
    dg_log_event ev = {.action = "log.verify", .hits = -1,
                       .outcome = out->extends ? "ok" : "broken", .detail = detail};
    return dg_log_append(archive, actor, NULL, &ev, err);
}

dg_status dg_log_prove_consistency(dg_archive *archive, const dg_actor *actor, uint64_t old_size,
                                   uint64_t size, dg_merkle_proof *proof, dg_error *err)
{
    proof->hashes = NULL;
    proof->count = 0;
    if (!dg_actor_has_role(actor, DG_ROLE_AUDITOR | DG_ROLE_ADMIN))
        return dg_log_require_reader(archive, actor, "log.prove", err);
    dg_log_stored_tree t;
    dg_status st = dg_catalog_begin_read(archive->db, err);
    if (st == DG_OK)
        st = dg_log_stored_open(archive->db, &t, err);
    if (st == DG_OK) {
        st = dg_merkle_prove_consistency(dg_log_stored_read, &t, old_size, size, proof, err);
        dg_log_stored_close(&t);
    }
    dg_catalog_rollback(archive->db);
    return st;
}

void dg_log_inclusion_free(dg_log_inclusion *p)
{
    free(p->bytes);
    p->bytes = NULL;
    dg_merkle_proof_free(&p->proof);
}

/* Reads entry's bytes as they are today. */
static dg_status entry_bytes(sqlite3 *db, int64_t entry, dg_log_inclusion *out, dg_error *err)
{
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(
        db, "SELECT " DG_LOG_COLUMNS " FROM access_log WHERE id = ?", &stmt, err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_int64(stmt, 1, entry);
    st = dg_catalog_step_row(db, stmt, "read log entry", err, "the log has no entry %lld",
                             (long long)entry);
    dg_buf b = {0};
    dg_log_form form = {.sound = 1};
    if (st == DG_OK && !dg_log_row_bytes_judged(stmt, &b, &form))
        st = dg_error_set(err, DG_ERR_NOMEM, "access log tree: out of memory");
    out->canonical = form.sound;
    if (!form.sound)
        snprintf(out->finding, sizeof out->finding, "entry %lld is not as dangan writes it: %s",
                 (long long)entry, form.why);
    sqlite3_finalize(stmt);
    if (st == DG_OK) {
        out->bytes = (unsigned char *)b.data;
        out->len = b.len;
        out->leaf = dg_merkle_leaf(b.data, b.len);
    } else {
        free(b.data);
    }
    return st;
}

/*
 * The proof of an entry about a record the reader may not see still proves (its leaf hash
 * and path are kept); its bytes, which hold the record, query and detail, are withheld as
 * log_read.c withholds them from the listing.
 */
static dg_status withhold_bytes(sqlite3 *db, const dg_actor *actor, int64_t entry,
                                dg_log_inclusion *out, dg_error *err)
{
    int withheld = 0;
    dg_status st = dg_log_entry_withheld(db, actor, entry, &withheld, err);
    if (st != DG_OK || !withheld)
        return st;
    unsigned char *mark = (unsigned char *)strdup(DG_WITHHELD);
    if (!mark)
        return dg_error_set(err, DG_ERR_NOMEM, "access log tree: out of memory");
    free(out->bytes);
    out->bytes = mark;
    out->len = strlen(DG_WITHHELD);
    if (!out->canonical) /* the finding would tell of the withheld texts */
        snprintf(out->finding, sizeof out->finding,
                 "entry %lld is not as dangan writes it (what it holds is withheld)",
                 (long long)entry);
    return DG_OK;
}

dg_status dg_log_prove(dg_archive *archive, const dg_actor *actor, int64_t entry,
                       const char *note, const dg_note_verifier *key, dg_log_inclusion *out,
                       dg_error *err)
{
    memset(out, 0, sizeof *out);
    out->entry = entry;
    dg_status st = dg_log_require_reader(archive, actor, "log.prove", err);
    if (st == DG_OK)
        st = open_checkpoint(note, key, &out->checkpoint, err);
    if (st == DG_OK && (entry < 1 || (uint64_t)entry > out->checkpoint.size))
        st = dg_error_set(err, DG_ERR_NOT_FOUND,
                          "entry %lld is not covered by the checkpoint (entries 1 to %llu)",
                          (long long)entry, (unsigned long long)out->checkpoint.size);
    if (st != DG_OK)
        return st;
    st = dg_catalog_begin_read(archive->db, err);
    if (st == DG_OK)
        st = entry_bytes(archive->db, entry, out, err);
    if (st == DG_OK)
        st = withhold_bytes(archive->db, actor, entry, out, err);
    dg_log_stored_tree t = {0};
    if (st == DG_OK)
        st = dg_log_stored_open(archive->db, &t, err);
    if (st == DG_OK) {
        dg_error proof_err;
        dg_status pst = dg_merkle_prove_inclusion(dg_log_stored_read, &t, (uint64_t)entry - 1,
                                                  out->checkpoint.size, &out->proof, &proof_err);
        if (pst != DG_OK && pst != DG_ERR_CORRUPT)
            st = dg_error_set(err, pst, "%s", proof_err.msg);
    }
    dg_log_stored_close(&t);
    dg_catalog_rollback(archive->db);
    if (st != DG_OK) {
        dg_log_inclusion_free(out);
        return st;
    }
    dg_merkle_hash root;
    memcpy(root.b, out->checkpoint.root, DG_MERKLE_HASH);
    out->included = out->proof.count || out->checkpoint.size == 1
                        ? dg_merkle_check_inclusion((uint64_t)entry - 1, out->checkpoint.size,
                                                    &out->leaf, &out->proof, &root)
                        : 0;
    char detail[128];
    snprintf(detail, sizeof detail, "entry %lld in checkpoint %llu: %s", (long long)entry,
             (unsigned long long)out->checkpoint.size,
             !out->included ? "not proven" : out->canonical ? "included" : "not as dangan writes it");
    dg_log_event ev = {.action = "log.prove", .hits = -1,
                       .outcome = out->included && out->canonical ? "ok" : "broken",
                       .detail = detail};
    return dg_log_append(archive, actor, NULL, &ev, err);
}

dg_status dg_log_cosign(dg_archive *archive, const dg_actor *actor, const char *note,
                        const dg_note_verifier *log_key, const dg_note_signer *auditor_key,
                        char **out, dg_error *err)
{
    *out = NULL;
    dg_log_event refusal = {.action = "log.cosign", .detail = "not an auditor"};
    dg_status st = dg_require_role(archive, actor, DG_ROLE_AUDITOR, &refusal, err,
                                   "only an auditor cosigns the log; %s is not one",
                                   actor->login);
    if (st != DG_OK)
        return st;
    dg_log_audit audit;
    st = dg_log_audit_checkpoint(archive, actor, note, log_key, &audit, err);
    if (st != DG_OK)
        return st;
    int extends = audit.extends;
    char finding[512];
    snprintf(finding, sizeof finding, "%s", audit.finding);
    uint64_t size = audit.checkpoint.size;
    dg_log_audit_free(&audit);
    if (!extends)
        return dg_error_set(err, DG_ERR_CORRUPT, "not cosigned: %s", finding);
    st = dg_note_cosign(note, auditor_key, out, err);
    if (st != DG_OK)
        return st;
    char detail[256];
    snprintf(detail, sizeof detail, "checkpoint %llu cosigned with key %s",
             (unsigned long long)size, auditor_key->verifier.name);
    dg_log_event ev = {.action = "log.cosign", .hits = -1, .outcome = "ok", .detail = detail};
    st = dg_log_append(archive, actor, NULL, &ev, err);
    if (st != DG_OK) {
        free(*out);
        *out = NULL;
    }
    return st;
}
