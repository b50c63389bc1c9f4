/*
 * dispatch_log.c — the request handlers about the access log: reading it, the monthly
 * report, the time zone, verifying it (alone or against a checkpoint), signing and
 * printing checkpoints, inclusion proofs, cosigning; and signing a checkpoint for the
 * dispatcher after a destruction and for the server's checkpointer (dg_dispatch_log_sign).
 */
#include "dispatch_log.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../base/fileio.h"
#include "../engine/log.h"
#include "../engine/log_own.h"
#include "../engine/note.h"
#include "../engine/user.h"

/* A checkpoint note, a verifier key or a signer key is never this long. */
#define MAX_NOTE 64 * 1024

static json_t *proof_json(const dg_merkle_proof *proof)
{
    json_t *list = json_array();
    for (size_t i = 0; list && i < proof->count; i++)
        json_array_append_new(list, dg_json_base64(proof->hashes[i].b, DG_MERKLE_HASH));
    return list;
}

/* ---- keys --------------------------------------------------------------------------- */

dg_status dg_dispatch_key_outside_archive(dg_archive *archive, int fd, const char *name,
                                          dg_error *err)
{
    char link[64], key_path[PATH_MAX], archive_real[PATH_MAX];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, key_path, sizeof key_path - 1);
    if (n < 0 || !realpath(dg_archive_path(archive), archive_real))
        return DG_OK; /* no /proc: the mode check still holds */
    key_path[n] = '\0';
    size_t len = strlen(archive_real);
    if (!strncmp(key_path, archive_real, len) && (key_path[len] == '/' || !key_path[len]))
        return dg_error_set(err, DG_ERR_DENIED,
                            "%s: the signing key lies inside the archive folder; keep it outside "
                            "(whoever copies the archive must not be able to sign for it)", name);
    return DG_OK;
}

/* Reads a signer key the client passed; *given is 0 when the option was absent. */
static dg_status passed_signer(dg_request *c, const char *key, dg_note_signer *out,
                               int *given)
{
    int fd;
    const char *name;
    dg_status st = dg_arg_fd(c, key, &fd, &name);
    *given = fd >= 0;
    if (st != DG_OK || fd < 0)
        return st;
    st = dg_dispatch_key_outside_archive(c->archive, fd, name, &c->err);
    if (st == DG_OK && lseek(fd, 0, SEEK_SET) < 0 && errno != ESPIPE)
        st = dg_error_set(&c->err, DG_ERR_IO, "%s: %s", name, strerror(errno));
    return st == DG_OK ? dg_note_signer_read_fd(fd, name, out, &c->err) : st;
}

/* The log's verifier key: --key as given, else the one the archive recorded. */
static dg_status log_verifier(dg_request *c, dg_note_verifier *key, int *from_archive)
{
    const char *text = dg_arg_str(c, "key");
    *from_archive = text == NULL;
    if (text) {
        dg_status st = dg_note_verifier_parse(text, key, &c->err);
        return st == DG_OK ? st : dg_error_prefix(&c->err, "--key: ");
    }
    if (c->io->log_key) {
        *key = c->io->log_key->verifier;
        *from_archive = 0;
        return DG_OK;
    }
    return dg_log_verifier_key(c->archive, key, &c->err);
}

static dg_status read_checkpoint_arg(dg_request *c, char **note, const char **name)
{
    size_t len;
    if (!dg_arg_has(c, "checkpoint"))
        return dg_error_set(&c->err, DG_ERR_USAGE, "give --checkpoint FILE (a signed checkpoint)");
    return dg_arg_file(c, "checkpoint", MAX_NOTE, note, &len, name);
}

/* ---- signing ------------------------------------------------------------------------ */

dg_status dg_dispatch_log_keep(const char *path, const char *note, dg_error *err)
{
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return dg_error_set(err, DG_ERR_IO, "%s: %s", path, strerror(errno));
    /* One write per note, so notes from concurrent signers never interleave. */
    size_t len = strlen(note);
    char *block = malloc(len + 2);
    dg_status st = DG_OK;
    if (!block) {
        st = dg_error_set(err, DG_ERR_NOMEM, "access log: out of memory");
    } else {
        snprintf(block, len + 2, "%s\n", note);
        ssize_t w = write(fd, block, len + 1);
        if (w != (ssize_t)(len + 1) || fsync(fd) != 0)
            st = dg_error_set(err, DG_ERR_IO, "%s: %s", path,
                              w < 0 ? strerror(errno) : "short write");
        free(block);
    }
    close(fd);
    return st;
}

dg_status dg_dispatch_log_sign(dg_archive *archive, const dg_dispatch_io *io, char **note,
                               dg_error *err)
{
    char *signed_note = NULL;
    dg_status st = dg_log_checkpoint_sign(archive, io->log_key, &signed_note, err);
    if (st == DG_OK && io->checkpoints)
        st = dg_dispatch_log_keep(io->checkpoints, signed_note, err);
    if (note && st == DG_OK)
        *note = signed_note;
    else
        free(signed_note);
    return st;
}

/* Signs with --log-key when given (else the process's own key), appending to --checkpoints
 * (else the process's file). *note is NULL when no key is at hand. */
static dg_status sign_if_keyed(dg_request *c, char **note)
{
    *note = NULL;
    dg_note_signer key;
    int given;
    dg_status st = passed_signer(c, "log_key", &key, &given);
    if (st != DG_OK)
        return st;
    if (!given && !c->io->log_key)
        return DG_OK;
    /* A key the client passed: the client keeps the checkpoint (--checkpoints, rendered
     * on its side). The process's own key: its own checkpoint file. */
    dg_dispatch_io io = *c->io;
    if (given) {
        io.log_key = &key;
        io.checkpoints = NULL;
    }
    st = dg_dispatch_log_sign(c->archive, &io, note, &c->err);
    sodium_memzero(&key, sizeof key);
    return st;
}

/* ---- handlers ----------------------------------------------------------------------- */

static json_t *log_entry_json(const dg_log_entry *e)
{
    char local[48];
    dg_log_local_time(e->at, local, sizeof local);
    json_t *shown = json_array();
    for (const char *p = e->shown; shown && p && *p;) {
        size_t len = strcspn(p, ",");
        const char *at = memchr(p, '@', len);
        size_t ref_len = at ? (size_t)(at - p) : len;
        json_array_append_new(shown, json_pack("{s:s%, s:i}", "record", p, ref_len, "version",
                                               at ? atoi(at + 1) : 0));
        p += len + (p[len] == ',');
    }
    return json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:s, s:o, s:s, s:o}",
                     "id", (json_int_t)e->id, "at", e->at, "local_time", local, "user", e->login,
                     "origin", e->origin, "action", e->action, "record", dg_json_str_or_null(e->refcode),
                     "version", e->version > 0 ? json_integer(e->version) : json_null(),
                     "query", dg_json_str_or_null(e->query), "hits",
                     e->hits >= 0 ? json_integer(e->hits) : json_null(), "outcome", e->outcome,
                     "detail", dg_json_str_or_null(e->detail), "hash", e->hash, "shown", shown);
}

/* The answer of log and log mine: the entries (freed here), the archive's time zone the
 * times are meant in, and the bounds asked for (null when none). */
static json_t *entries_result(dg_archive *archive, dg_log_entry *entries, size_t n,
                              const char *since, const char *until)
{
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(list, log_entry_json(&entries[i]));
    dg_log_entries_free(entries, n);
    char *zone = NULL;
    dg_error ignored;
    dg_log_timezone(archive, &zone, &ignored);
    json_t *result = json_pack("{s:o, s:o, s:o, s:o}", "entries", list, "timezone",
                               dg_json_str_or_null(zone), "since", dg_json_str_or_null(since),
                               "until", dg_json_str_or_null(until));
    free(zone);
    return result;
}

/* A --since/--until bound, in the archive's zone; refused (exit 2) unless understood. */
static dg_status time_bound(dg_request *c, const char *key, char out[32], const char **bound)
{
    const char *text = dg_arg_str(c, key);
    *bound = NULL;
    if (!text)
        return DG_OK;
    dg_status st = dg_log_parse_time(text, time(NULL), out, &c->err);
    if (st != DG_OK)
        return dg_error_prefix(&c->err, "--%s: ", key);
    *bound = out;
    return DG_OK;
}

dg_status dg_cmd_log(dg_request *c, json_t **result)
{
    char since_buf[32], until_buf[32];
    const char *since, *until;
    dg_status st = time_bound(c, "since", since_buf, &since);
    if (st == DG_OK)
        st = time_bound(c, "until", until_buf, &until);
    int limit = dg_arg_int(c, "limit", 0);
    if (st == DG_OK && limit < 0)
        st = dg_error_set(&c->err, DG_ERR_USAGE, "--limit %d: give a positive number", limit);
    if (st != DG_OK)
        return st;
    dg_log_filter filter = {.login = dg_arg_str(c, "user"), .action = dg_arg_str(c, "action"),
                            .refcode = dg_arg_str(c, "record"), .since = since, .until = until,
                            .limit = (size_t)limit};
    dg_log_entry *entries;
    size_t n;
    st = dg_log_read(c->archive, &c->actor, &filter, &entries, &n, &c->err);
    if (st != DG_OK)
        return st;
    *result = entries_result(c->archive, entries, n, since, until);
    return DG_OK;
}

/* log mine: the caller's own recent entries, open to every account (engine/log_own.h). */
dg_status dg_cmd_log_mine(dg_request *c, json_t **result)
{
    int limit = dg_arg_int(c, "limit", 0);
    if (limit < 0)
        return dg_error_set(&c->err, DG_ERR_USAGE, "--limit %d: give a positive number", limit);
    dg_log_entry *entries;
    size_t n;
    dg_status st = dg_log_read_own(c->archive, &c->actor, (size_t)limit, &entries, &n, &c->err);
    if (st != DG_OK)
        return st;
    *result = entries_result(c->archive, entries, n, NULL, NULL);
    return DG_OK;
}

/* The section of a monthly report an entry belongs in, or NULL when it is in none. */
static const char *report_section(const dg_log_entry *e)
{
    if (!strncmp(e->action, "retention.destroy", 17))
        return "destruction";
    if (!strcmp(e->outcome, "refused"))
        return "refusal";
    if (!strcmp(e->action, "page"))
        return "export";
    /* Personnel records (category code RS in the reference code), opened or shown. */
    if ((e->refcode && strstr(e->refcode, "-RS\xc2\xb7")) || (e->shown && strstr(e->shown, "-RS\xc2\xb7")))
        return "personnel";
    return NULL;
}

static const char *name_of(const dg_user *users, size_t n, const char *login)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(users[i].login, login))
            return users[i].name && *users[i].name ? users[i].name : login;
    return login;
}

/* The report's period: --month YYYY-MM, or --year YYYY (the whole year), as the first and
 * the next period's start ("2026-11" and "2026-12", or "2026" and "2027"). */
static dg_status report_period(dg_request *c, char from[32], char to[32])
{
    const char *month = dg_arg_str(c, "month");
    int year = dg_arg_int(c, "year", 0), y, m;
    char tail;
    if (month && !dg_arg_has(c, "year") && strlen(month) == 7 &&
        sscanf(month, "%4d-%2d%c", &y, &m, &tail) == 2 && m >= 1 && m <= 12 && y >= 1000) {
        snprintf(from, 32, "%04d-%02d", y, m);
        snprintf(to, 32, "%04d-%02d", m == 12 ? y + 1 : y, m == 12 ? 1 : m + 1);
        return DG_OK;
    }
    if (!month && year >= 1000 && year <= 9998) {
        snprintf(from, 32, "%04d", year);
        snprintf(to, 32, "%04d", year + 1);
        return DG_OK;
    }
    return dg_error_set(&c->err, DG_ERR_USAGE, "log report: give --month YYYY-MM or --year YYYY");
}

/*
 * `log report --month YYYY-MM` (or `--year YYYY`): the period's accesses to personnel
 * records, refusals, exports and destructions, with people's names and local times. The
 * client renders it as text, CSV or a printable PDF (cli/report_pdf.h).
 */
dg_status dg_cmd_log_report(dg_request *c, json_t **result)
{
    char from[32], to[32], since[32], until[32];
    dg_status st = report_period(c, from, to);
    if (st == DG_OK)
        st = dg_log_parse_time(from, time(NULL), since, &c->err);
    if (st == DG_OK)
        st = dg_log_parse_time(to, time(NULL), until, &c->err);
    dg_user *users = NULL;
    size_t n_users = 0;
    if (st == DG_OK)
        st = dg_user_list(c->archive, &c->actor, &users, &n_users, &c->err);
    dg_log_filter filter = {.since = since, .until = until};
    dg_log_entry *entries = NULL;
    size_t n = 0;
    if (st == DG_OK)
        st = dg_log_read(c->archive, &c->actor, &filter, &entries, &n, &c->err);
    if (st != DG_OK) {
        dg_users_free(users, n_users);
        return st;
    }
    json_t *rows = json_array();
    for (size_t i = 0; i < n; i++) {
        const char *section = report_section(&entries[i]);
        if (!section)
            continue;
        json_t *row = log_entry_json(&entries[i]);
        json_object_set_new(row, "section", json_string(section));
        json_object_set_new(row, "name", json_string(name_of(users, n_users, entries[i].login)));
        json_array_append_new(rows, row);
    }
    dg_log_entries_free(entries, n);
    dg_users_free(users, n_users);
    char *zone = NULL;
    dg_error ignored;
    dg_log_timezone(c->archive, &zone, &ignored);
    *result = json_pack("{s:s, s:s, s:s, s:o, s:o}", "month", from, "period",
                        strlen(from) == 4 ? "year" : "month", "archive",
                        dg_archive_name(c->archive), "timezone", dg_json_str_or_null(zone),
                        "rows", rows);
    free(zone);
    return DG_OK;
}

dg_status dg_cmd_log_timezone(dg_request *c, json_t **result)
{
    const char *zone = dg_arg_str(c, "zone");
    dg_status st = zone ? dg_log_set_timezone(c->archive, &c->actor, zone, &c->err) : DG_OK;
    char *current = NULL;
    if (st == DG_OK)
        st = dg_log_timezone(c->archive, &current, &c->err);
    if (st != DG_OK)
        return st;
    const char *system = getenv("TZ");
    *result = json_pack("{s:o, s:b}", "timezone",
                        current ? json_string(current)
                                : json_string(system && *system ? system : "(the system's)"),
                        "set", current != NULL);
    free(current);
    return DG_OK;
}

dg_status dg_cmd_log_checkpoint(dg_request *c, json_t **result)
{
    char *note = NULL;
    dg_status st = sign_if_keyed(c, &note);
    int fresh = note != NULL;
    if (st == DG_OK && !note)
        st = dg_log_checkpoint_latest(c->archive, &c->actor, &note, &c->err);
    if (st != DG_OK)
        return st;
    *result = json_pack("{s:s, s:b}", "checkpoint", note, "signed_now", fresh);
    free(note);
    return DG_OK;
}

static json_t *checkpoint_json(const dg_checkpoint *cp)
{
    return json_pack("{s:s, s:I, s:o}", "origin", cp->origin, "size", (json_int_t)cp->size,
                     "root", dg_json_base64(cp->root, sizeof cp->root));
}

static dg_status verify_chain(dg_request *c, json_t **result)
{
    dg_log_check check;
    dg_status st = dg_log_verify(c->archive, &c->actor, &check, &c->err);
    if (st != DG_OK)
        return st;
    int broken = check.first_broken || check.tree_differs;
    *result = json_pack("{s:I, s:s, s:o, s:b, s:o, s:o}", "entries", (json_int_t)check.entries,
                        "head", check.head, "root", dg_json_base64(check.root.b, DG_MERKLE_HASH),
                        "intact", !broken, "first_broken",
                        check.first_broken ? json_integer(check.first_broken) : json_null(),
                        "reason", broken ? json_string(check.reason) : json_null());
    if (broken)
        c->exit_override = 1;
    return DG_OK;
}

/*
 * The consistency proof from the audited checkpoint to the one just signed (which also
 * covers the audit's own log entry), checked here before it is handed out.
 */
static dg_status proof_to(dg_request *c, const dg_checkpoint *old, const char *now_note,
                          dg_merkle_proof *proof)
{
    dg_checkpoint now;
    char *text = NULL;
    const char *blank = strstr(now_note, "\n\n");
    text = blank ? strndup(now_note, (size_t)(blank - now_note) + 1) : NULL;
    if (!text)
        return dg_error_set(&c->err, DG_ERR_INTERNAL, "the new checkpoint is not a note");
    dg_status st = dg_checkpoint_parse(text, &now, &c->err);
    free(text);
    if (st == DG_OK)
        st = dg_log_prove_consistency(c->archive, &c->actor, old->size, now.size, proof, &c->err);
    dg_merkle_hash old_root, new_root;
    memcpy(old_root.b, old->root, DG_MERKLE_HASH);
    memcpy(new_root.b, now.root, DG_MERKLE_HASH);
    if (st == DG_OK && !dg_merkle_check_consistency(old->size, &old_root, now.size, &new_root, proof))
        st = dg_error_set(&c->err, DG_ERR_CORRUPT,
                          "the stored tree changed during the audit: no proof to the new checkpoint");
    return st;
}

static dg_status verify_against_checkpoint(dg_request *c, json_t **result)
{
    dg_note_verifier key;
    int key_from_archive;
    char *note = NULL;
    const char *name;
    dg_status st = log_verifier(c, &key, &key_from_archive);
    if (st == DG_OK)
        st = read_checkpoint_arg(c, &note, &name);
    dg_log_audit audit;
    if (st == DG_OK)
        st = dg_log_audit_checkpoint(c->archive, &c->actor, note, &key, &audit, &c->err);
    free(note);
    if (st != DG_OK)
        return name && st == DG_ERR_BAD_INPUT ? dg_error_prefix(&c->err, "%s: ", name) : st;
    char *now = NULL;
    dg_merkle_proof to_now = {0};
    if (audit.extends)
        st = sign_if_keyed(c, &now);
    if (st == DG_OK && now)
        st = proof_to(c, &audit.checkpoint, now, &to_now);
    if (st != DG_OK) {
        free(now);
        dg_log_audit_free(&audit);
        return st;
    }
    const dg_log_check *k = &audit.check;
    *result = json_pack(
        "{s:I, s:s, s:o, s:b, s:o, s:o, s:I, s:b, s:o, s:o, s:o, s:b}", "entries",
        (json_int_t)k->entries, "head", k->head, "root", dg_json_base64(k->root.b, DG_MERKLE_HASH),
        "intact", !k->first_broken && !k->tree_differs, "checkpoint",
        checkpoint_json(&audit.checkpoint), "reason",
        audit.extends ? json_null() : json_string(audit.finding), "size", (json_int_t)audit.size,
        "extends", audit.extends, "proof", proof_json(&audit.proof), "checkpoint_now",
        dg_json_str_or_null(now), "key", json_string(key.name), "key_from_archive", key_from_archive);
    if (*result && now)
        json_object_set_new(*result, "proof_to_now", proof_json(&to_now));
    dg_merkle_proof_free(&to_now);
    free(now);
    if (!audit.extends)
        c->exit_override = 1;
    dg_log_audit_free(&audit);
    return DG_OK;
}

dg_status dg_cmd_log_verify(dg_request *c, json_t **result)
{
    if (dg_arg_has(c, "checkpoint"))
        return verify_against_checkpoint(c, result);
    return verify_chain(c, result);
}

dg_status dg_cmd_log_prove(dg_request *c, json_t **result)
{
    int entry = dg_arg_int(c, "entry", 0);
    if (entry < 1)
        return dg_error_set(&c->err, DG_ERR_USAGE, "log prove: give the entry's number (1, 2, ...)");
    dg_note_verifier key;
    int key_from_archive;
    char *note = NULL;
    const char *name = NULL;
    dg_status st = log_verifier(c, &key, &key_from_archive);
    if (st == DG_OK)
        st = read_checkpoint_arg(c, &note, &name);
    dg_log_inclusion p;
    if (st == DG_OK)
        st = dg_log_prove(c->archive, &c->actor, entry, note, &key, &p, &c->err);
    free(note);
    if (st != DG_OK)
        return name && st == DG_ERR_BAD_INPUT ? dg_error_prefix(&c->err, "%s: ", name) : st;
    *result = json_pack("{s:I, s:I, s:o, s:o, s:o, s:o, s:b, s:s}", "entry", (json_int_t)p.entry,
                        "index", (json_int_t)p.entry - 1, "checkpoint",
                        checkpoint_json(&p.checkpoint), "leaf_data", dg_json_base64(p.bytes, p.len),
                        "leaf_hash", dg_json_base64(p.leaf.b, DG_MERKLE_HASH), "proof",
                        proof_json(&p.proof), "included", p.included, "key", key.name);
    /* The bytes are proven; whether the row says what they say is the canonical form's. */
    if (*result) {
        json_object_set_new(*result, "canonical", json_boolean(p.canonical));
        json_object_set_new(*result, "finding",
                            p.canonical ? json_null() : json_string(p.finding));
    }
    if (!p.included || !p.canonical)
        c->exit_override = 1;
    dg_log_inclusion_free(&p);
    return DG_OK;
}

dg_status dg_cmd_log_cosign(dg_request *c, json_t **result)
{
    dg_note_signer mine;
    int given;
    dg_status st = passed_signer(c, "auditor_key", &mine, &given);
    if (st == DG_OK && !given)
        st = dg_error_set(&c->err, DG_ERR_USAGE,
                          "log cosign: give --auditor-key FILE (your own key: dangan log keygen)");
    dg_note_verifier key;
    int key_from_archive;
    if (st == DG_OK)
        st = log_verifier(c, &key, &key_from_archive);
    char *note = NULL, *cosigned = NULL;
    const char *name = NULL;
    if (st == DG_OK)
        st = read_checkpoint_arg(c, &note, &name);
    if (st == DG_OK)
        st = dg_log_cosign(c->archive, &c->actor, note, &key, &mine, &cosigned, &c->err);
    free(note);
    char vkey[256], cosig_key[256];
    dg_note_verifier_format(&mine.verifier, vkey, sizeof vkey);
    dg_note_cosigner_format(&mine.verifier, cosig_key, sizeof cosig_key);
    sodium_memzero(&mine, sizeof mine);
    if (st != DG_OK)
        return st;
    /* cosignature_key is the C2SP cosignature/v1 form of the same key, for witnesses'
     * tools; dangan checks the cosignature with either. */
    *result = json_pack("{s:s, s:s, s:s}", "checkpoint", cosigned, "cosigner_key", vkey,
                        "cosignature_key", cosig_key);
    free(cosigned);
    return DG_OK;
}
