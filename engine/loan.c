/*
 * loan.c — the loan register: requests, decisions, paper loans out and back, relatives'
 * names, listings, and the check and log entry of a page view or export.
 */
#include "loan.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/clock.h"
#include "archive_internal.h"
#include "archive_keys.h"
#include "catalog.h"
#include "log.h"
#include "record_internal.h"
#include "text_guard.h"

/* The longest loan a request may ask for: a school year. Longer needs a new request. */
#define MAX_LOAN_DAYS 366

/* Logs one loan step; a failure to log is the step's failure when it succeeded. */
static dg_status log_step(dg_archive *archive, const dg_actor *actor, const char *refcode,
                          dg_status st, const char *detail, dg_error *err)
{
    dg_log_event ev = {.action = "loan", .refcode = refcode, .hits = -1,
                       .outcome = dg_log_outcome(st), .detail = detail};
    dg_error log_err;
    dg_status log_st = dg_log_append(archive, actor, NULL, &ev, &log_err);
    if (st == DG_OK && log_st != DG_OK) {
        *err = log_err;
        return log_st;
    }
    return st;
}

/* dg_require_role (user.h) for one loan step: the refusal logged as a loan step. */
static dg_status require_role(dg_archive *archive, const dg_actor *actor, unsigned roles,
                              const char *refcode, const char *step, const char *who,
                              dg_error *err)
{
    char detail[128];
    snprintf(detail, sizeof detail, "%s: not %s", step, who);
    dg_log_event refusal = {.action = "loan", .refcode = refcode, .detail = detail};
    return dg_require_role(archive, actor, roles, &refusal, err,
                           "loan %s: only %s may do this; %s is not one", step, who,
                           actor->login);
}

static int valid_method(const char *method, int paper)
{
    return !strcmp(method, "read") || !strcmp(method, "copy") || !strcmp(method, "excerpt") ||
           (paper && !strcmp(method, "loan"));
}

/* Whose personnel file a record is, when it is the asker's own or a relative's. */
typedef struct file_of {
    char *whose; /* the person as the record names them; NULL: neither */
    int own;     /* 1: the asker's own file, 0: a relative's */
} file_of;

/*
 * Whether the record (its newest version) is a personnel file of the asker (name, and
 * login when they have an account; user_id's relation list names their relatives). The
 * record's subject (当事人, migration 13) decides when it has one: the asker's login or
 * name, or a relative's name, alone or followed by an ID in brackets. Only a record
 * without a subject falls back to its title naming the person (older records, and
 * batches filed without the column), which also catches a file whose title names a
 * colleague as its author: the subject is the cure.
 */
static dg_status personnel_file_of(dg_archive *archive, int64_t record_id, int64_t user_id,
                                   const char *name, const char *login, file_of *out,
                                   dg_error *err)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(
        archive->db,
        "SELECT p.person, p.own FROM versions v JOIN records r ON r.id = v.record_id"
        " AND v.number = r.current_version,"
        " (SELECT ?2 AS person, 1 AS own, 1 AS by_title WHERE length(?2) >= 2"
        "  UNION SELECT ?4, 1, 0 WHERE ?4 IS NOT NULL"
        "  UNION SELECT person, 0, 1 FROM relations WHERE user_id = ?3) p"
        " WHERE r.id = ?1 AND v.category = 'personnel' AND CASE WHEN v.subject IS NOT NULL"
        "  THEN dg_clear(v.subject) = p.person"
        "   OR substr(dg_clear(v.subject), 1, length(p.person) + 2)"
        "   IN (p.person || ' (', p.person || ' （', p.person || '（')"
        "  ELSE p.by_title AND instr(dg_clear(v.title), p.person) > 0 END"
        " ORDER BY p.own DESC LIMIT 1",
        &stmt, err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_int64(stmt, 1, record_id);
    dg_bind_text_or_null(stmt, 2, name ? name : "");
    sqlite3_bind_int64(stmt, 3, user_id);
    dg_bind_text_or_null(stmt, 4, login);
    int found = 0;
    st = dg_catalog_step_maybe_row(archive->db, stmt, &found, "check personnel file", err);
    if (st == DG_OK && found) {
        out->whose = dg_column_strdup(stmt, 0);
        out->own = sqlite3_column_int(stmt, 1);
        if (!out->whose)
            st = dg_error_set(err, DG_ERR_NOMEM, "loan: out of memory");
    }
    sqlite3_finalize(stmt);
    return st;
}

/* Binds a reference code as people type it (X001-CW.2023-D30-0001), normalized. */
static void bind_refcode(sqlite3_stmt *stmt, int at, const char *refcode)
{
    char typed[DG_REFCODE_MAX];
    dg_refcode_normalize(refcode, typed);
    sqlite3_bind_text(stmt, at, typed, -1, SQLITE_TRANSIENT);
}

/* The record's id and level by its code or a provisional code it had, whoever may see it
 * (0 when there is none live). */
static dg_status record_by_code(dg_archive *archive, const char *refcode, int64_t *id,
                                int *level, dg_error *err)
{
    *id = 0;
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(archive->db,
                                      "SELECT r.id, r.level FROM records r WHERE "
                                      DG_RECORD_NAMED("r.id", "?1") " AND r.state = 'live'",
                                      &stmt, err);
    if (st != DG_OK)
        return st;
    bind_refcode(stmt, 1, refcode);
    int found = 0;
    st = dg_catalog_step_maybe_row(archive->db, stmt, &found, "look up record", err);
    if (st == DG_OK && found) {
        *id = sqlite3_column_int64(stmt, 0);
        *level = sqlite3_column_int(stmt, 1);
    }
    sqlite3_finalize(stmt);
    return st;
}

/* The refusal of a personnel file to its own person or a relative, as the register and
 * the requester read it. */
static void own_file_reason(const file_of *f, char *out, size_t size)
{
    const char *whose = f->whose;
    if (f->own)
        snprintf(out, size, "本人人事档案不得查阅 (own personnel file: %s)", whose);
    else
        snprintf(out, size, "亲属人事档案不得查阅 (a relative's personnel file: %s)", whose);
}

/*
 * Binds text staff typed about a loan (its purpose, the reason of a decision, the state an
 * original came back in) sealed under the journal key (archive_keys.h): the loan register
 * outlives the record it lends, so not under the record's key. On failure stmt is
 * finalized.
 */
static dg_status bind_sealed(dg_archive *archive, sqlite3_stmt *stmt, int col,
                             const char *plain, dg_error *err)
{
    char *sealed = NULL;
    dg_status st = dg_journal_seal(archive, plain, &sealed, err);
    if (st != DG_OK) {
        sqlite3_finalize(stmt);
        return st;
    }
    if (sealed)
        sqlite3_bind_text(stmt, col, sealed, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(stmt, col);
    free(sealed);
    return DG_OK;
}

static dg_status insert_request(dg_archive *archive, const dg_actor *actor, int64_t record_id,
                                const char *refcode, const char *purpose, const char *method,
                                int days, const char *refusal, int64_t *id, dg_error *err)
{
    char now[32];
    dg_clock_iso(dg_clock_now(), now);
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(
        archive->db,
        "INSERT INTO loans(kind, state, record_id, refcode, borrower_id, borrower, purpose,"
        " method, days, requested_at, reason, decided_at)"
        " VALUES('electronic', ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        &stmt, err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_text(stmt, 1, refusal ? "refused" : "pending", -1, SQLITE_STATIC);
    if (record_id)
        sqlite3_bind_int64(stmt, 2, record_id);
    bind_refcode(stmt, 3, refcode);
    sqlite3_bind_int64(stmt, 4, actor->user_id);
    sqlite3_bind_text(stmt, 5, actor->name[0] ? actor->name : actor->login, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 7, method, -1, SQLITE_STATIC);
    sqlite3_bind_int(stmt, 8, days);
    sqlite3_bind_text(stmt, 9, now, -1, SQLITE_TRANSIENT);
    dg_bind_text_or_null(stmt, 11, refusal ? now : NULL);
    st = bind_sealed(archive, stmt, 6, purpose, err);
    if (st == DG_OK)
        st = bind_sealed(archive, stmt, 10, refusal, err);
    if (st == DG_OK)
        st = dg_catalog_step_done(archive->db, stmt, err);
    if (st == DG_OK)
        *id = sqlite3_last_insert_rowid(archive->db);
    return st;
}

/* Logs a step inside the write transaction of its change, so both commit together. */
static dg_status log_in_txn(dg_archive *archive, const dg_actor *actor, const char *refcode,
                            const char *outcome, const char *detail, dg_error *err)
{
    dg_log_event ev = {.action = "loan", .refcode = refcode, .hits = -1, .outcome = outcome,
                       .detail = detail};
    return dg_log_append_in_txn(archive, actor, NULL, &ev, err);
}

dg_status dg_loan_request(dg_archive *archive, const dg_actor *actor, const char *refcode,
                          const char *purpose, const char *method, int days, int64_t *id,
                          dg_error *err)
{
    dg_text_field fields[] = {{"refcode", refcode}, {"purpose", purpose}, {"method", method}};
    dg_status st = dg_text_guard_all(fields, sizeof fields / sizeof fields[0], err);
    if (st != DG_OK)
        return st;
    if (!purpose || !*purpose)
        return dg_error_set(err, DG_ERR_USAGE, "loan request: a purpose is required");
    if (!method || !valid_method(method, 0))
        return dg_error_set(err, DG_ERR_USAGE,
                            "loan request: the method must be read, copy or excerpt");
    if (days < 1 || days > MAX_LOAN_DAYS)
        return dg_error_set(err, DG_ERR_USAGE, "loan request: days must be 1 to %d",
                            MAX_LOAN_DAYS);
    dg_refcode_parts parts;
    if (dg_refcode_parse(refcode, &parts, NULL) != DG_OK)
        return dg_error_set(err, DG_ERR_USAGE, "%s: not a reference code", refcode);
    int64_t record_id = 0;
    int level = 0;
    file_of whose = {0};
    st = record_by_code(archive, refcode, &record_id, &level, err);
    if (st == DG_OK && record_id)
        st = personnel_file_of(archive, record_id, actor->user_id, actor->name, actor->login,
                               &whose, err);
    char refusal[256] = "", detail[512];
    if (whose.whose)
        own_file_reason(&whose, refusal, sizeof refusal);
    free(whose.whose);
    if (st == DG_OK)
        st = dg_catalog_begin_write(archive->db, err);
    if (st != DG_OK)
        return st;
    st = insert_request(archive, actor, record_id, refcode, purpose, method, days,
                        refusal[0] ? refusal : NULL, id, err);
    snprintf(detail, sizeof detail, "request %lld: %s, %d days, %s%s%s", (long long)*id, method,
             days, purpose, refusal[0] ? "; refused: " : "", refusal);
    if (st == DG_OK)
        st = log_in_txn(archive, actor, refcode, refusal[0] ? "refused" : "ok", detail, err);
    st = dg_catalog_end_write(archive->db, st, err);
    if (st == DG_OK && refusal[0])
        return dg_error_set(err, DG_ERR_DENIED, "loan request %lld refused: %s", (long long)*id,
                            refusal);
    return st;
}

/* A pending request as the decision needs it. */
typedef struct pending_loan {
    int64_t record_id, borrower_id;
    int days;
    char refcode[DG_REFCODE_MAX], kind[16], state[16], borrower_name[128], borrower_login[64];
} pending_loan;

static dg_status read_loan(dg_archive *archive, int64_t id, pending_loan *p, dg_error *err)
{
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(
        archive->db,
        "SELECT coalesce(l.record_id, 0), coalesce(l.borrower_id, 0), coalesce(l.days, 0),"
        " l.refcode, l.kind, l.state, coalesce(u.name, l.borrower), coalesce(u.login, '')"
        " FROM loans l LEFT JOIN users u ON u.id = l.borrower_id WHERE l.id = ?",
        &stmt, err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_int64(stmt, 1, id);
    st = dg_catalog_step_row(archive->db, stmt, "read loan", err, "loan %lld: no such loan",
                             (long long)id);
    if (st == DG_OK) {
        p->record_id = sqlite3_column_int64(stmt, 0);
        p->borrower_id = sqlite3_column_int64(stmt, 1);
        p->days = sqlite3_column_int(stmt, 2);
        snprintf(p->refcode, sizeof p->refcode, "%s", (const char *)sqlite3_column_text(stmt, 3));
        snprintf(p->kind, sizeof p->kind, "%s", (const char *)sqlite3_column_text(stmt, 4));
        snprintf(p->state, sizeof p->state, "%s", (const char *)sqlite3_column_text(stmt, 5));
        snprintf(p->borrower_name, sizeof p->borrower_name, "%s",
                 (const char *)sqlite3_column_text(stmt, 6));
        snprintf(p->borrower_login, sizeof p->borrower_login, "%s",
                 (const char *)sqlite3_column_text(stmt, 7));
    }
    sqlite3_finalize(stmt);
    return st;
}

/* Whether a decision on p by actor may go ahead; the refusal is logged by the caller. */
static dg_status check_decider(dg_archive *archive, const dg_actor *actor,
                               const pending_loan *p, dg_error *err)
{
    if (strcmp(p->kind, "electronic") || strcmp(p->state, "pending"))
        return dg_error_set(err, DG_ERR_STATE, "loan: this request is %s, not pending",
                            p->state);
    if (p->borrower_id == actor->user_id)
        return dg_error_set(err, DG_ERR_DENIED,
                            "loan: the requester may not decide their own request");
    dg_record_row row;
    if (!p->record_id ||
        dg_find_visible(archive, actor, p->refcode, "loan", &row, err) != DG_OK)
        return dg_error_set(err, DG_ERR_NOT_FOUND,
                            "%s: no such record you can see; only a leader who can see it may "
                            "decide", p->refcode);
    return DG_OK;
}

static dg_status write_decision(dg_archive *archive, const dg_actor *actor, int64_t id,
                                int approve, int days, const char *reason, dg_error *err)
{
    time_t now = dg_clock_now();
    char at[32], due[32];
    dg_clock_iso(now, at);
    dg_clock_iso(now + (time_t)days * 86400, due);
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(
        archive->db,
        "UPDATE loans SET state = ?2, approver_id = ?3, decided_at = ?4, reason = ?5,"
        " days = ?6, out_at = ?7, due_at = ?8 WHERE id = ?1 AND state = 'pending'",
        &stmt, err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_int64(stmt, 1, id);
    sqlite3_bind_text(stmt, 2, approve ? "approved" : "refused", -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 3, actor->user_id);
    sqlite3_bind_text(stmt, 4, at, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(stmt, 6, days);
    dg_bind_text_or_null(stmt, 7, approve ? at : NULL);
    dg_bind_text_or_null(stmt, 8, approve ? due : NULL);
    st = bind_sealed(archive, stmt, 5, reason, err);
    return st == DG_OK ? dg_catalog_step_done(archive->db, stmt, err) : st;
}

dg_status dg_loan_decide(dg_archive *archive, const dg_actor *actor, int64_t id, int approve,
                         int days, const char *reason, dg_error *err)
{
    dg_text_field fields[] = {{"reason", reason}};
    dg_status st = dg_text_guard_all(fields, 1, err);
    if (st != DG_OK)
        return st;
    const char *step = approve ? "approve" : "refuse";
    if (!approve && (!reason || !*reason))
        return dg_error_set(err, DG_ERR_USAGE, "loan refuse: a reason is required");
    if (days < 0 || days > MAX_LOAN_DAYS)
        return dg_error_set(err, DG_ERR_USAGE, "loan approve: days must be 1 to %d",
                            MAX_LOAN_DAYS);
    pending_loan p;
    st = read_loan(archive, id, &p, err);
    if (st != DG_OK)
        return st;
    st = require_role(archive, actor, DG_ROLE_LEADER, p.refcode, step, "a leader", err);
    if (st != DG_OK)
        return st;
    char detail[1400];
    file_of whose = {0};
    st = check_decider(archive, actor, &p, err);
    if (st == DG_OK && approve)
        st = personnel_file_of(archive, p.record_id, p.borrower_id, p.borrower_name,
                               p.borrower_login[0] ? p.borrower_login : NULL, &whose, err);
    if (st == DG_OK && whose.whose) {
        char why[256];
        own_file_reason(&whose, why, sizeof why);
        st = dg_error_set(err, DG_ERR_DENIED, "loan %lld: %s", (long long)id, why);
    }
    free(whose.whose);
    if (st != DG_OK) {
        snprintf(detail, sizeof detail, "%s %lld: %s", step, (long long)id, err->msg);
        dg_error ignored;
        log_step(archive, actor, p.refcode, st, detail, &ignored);
        return st;
    }
    int granted = days ? days : p.days;
    st = dg_catalog_begin_write(archive->db, err);
    if (st != DG_OK)
        return st;
    st = write_decision(archive, actor, id, approve, granted, reason, err);
    snprintf(detail, sizeof detail, "%s %lld%s%s", step, (long long)id, reason ? ": " : "",
             reason ? reason : "");
    if (st == DG_OK && approve)
        snprintf(detail + strlen(detail), sizeof detail - strlen(detail), " (%d days)", granted);
    if (st == DG_OK)
        st = log_in_txn(archive, actor, p.refcode, "ok", detail, err);
    return dg_catalog_end_write(archive->db, st, err);
}

/* The approver of a paper loan: an active account with the leader role. */
static dg_status approver_id(dg_archive *archive, const char *login, int64_t *id, dg_error *err)
{
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(
        archive->db, "SELECT id FROM users WHERE login = ? AND active = 1 AND roles & ? != 0",
        &stmt, err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_text(stmt, 1, login, -1, SQLITE_STATIC);
    sqlite3_bind_int(stmt, 2, DG_ROLE_LEADER);
    return dg_catalog_row_int64(archive->db, stmt, id, "look up approver", err,
                                "loan out: %s is not an account with the leader role", login);
}

static dg_status check_paper(const dg_paper_loan *in, dg_error *err)
{
    dg_text_field fields[] = {{"borrower", in->borrower}, {"unit", in->unit},
                              {"id number", in->id_number}, {"purpose", in->purpose},
                              {"method", in->method}, {"due", in->due},
                              {"approver", in->approver}, {"refcode", in->refcode}};
    dg_status st = dg_text_guard_all(fields, sizeof fields / sizeof fields[0], err);
    if (st != DG_OK)
        return st;
    if (!in->borrower || !*in->borrower || !in->purpose || !*in->purpose || !in->approver ||
        !*in->approver)
        return dg_error_set(err, DG_ERR_USAGE,
                            "loan out: --borrower, --purpose and --approver are required");
    if (in->method && !valid_method(in->method, 1))
        return dg_error_set(err, DG_ERR_USAGE,
                            "loan out: the method must be read, copy, excerpt or loan");
    int y, m, d;
    char tail;
    if (!in->due || sscanf(in->due, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 || m < 1 ||
        m > 12 || d < 1 || d > 31)
        return dg_error_set(err, DG_ERR_USAGE, "loan out: --due must be a date, YYYY-MM-DD");
    return DG_OK;
}

/* Whether the record's paper original is out now (one original, one borrower). */
static dg_status paper_is_out(dg_archive *archive, int64_t record_id, int *out, dg_error *err)
{
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(
        archive->db,
        "SELECT count(*) FROM loans WHERE record_id = ? AND kind = 'paper' AND state = 'out'",
        &stmt, err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_int64(stmt, 1, record_id);
    int64_t n = 0;
    st = dg_catalog_row_int64(archive->db, stmt, &n, "count paper loans", err, NULL);
    *out = n > 0;
    return st;
}

static dg_status insert_paper(dg_archive *archive, const dg_actor *actor, int64_t record_id,
                              int64_t approver, const dg_paper_loan *in, int64_t *id,
                              dg_error *err)
{
    char now[32], due[32];
    dg_clock_iso(dg_clock_now(), now);
    snprintf(due, sizeof due, "%.10sT23:59:59Z", in->due);
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(
        archive->db,
        "INSERT INTO loans(kind, state, record_id, refcode, borrower, unit, id_number, purpose,"
        " method, requested_at, handled_by, approver_id, decided_at, out_at, due_at)"
        " SELECT 'paper', 'out', id, refcode, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?7, ?7, ?10"
        " FROM records WHERE id = ?1",
        &stmt, err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_int64(stmt, 1, record_id);
    sqlite3_bind_text(stmt, 2, in->borrower, -1, SQLITE_STATIC);
    dg_bind_text_or_null(stmt, 3, in->unit);
    dg_bind_text_or_null(stmt, 4, in->id_number);
    sqlite3_bind_text(stmt, 6, in->method ? in->method : "loan", -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 7, now, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(stmt, 8, actor->user_id);
    sqlite3_bind_int64(stmt, 9, approver);
    sqlite3_bind_text(stmt, 10, due, -1, SQLITE_TRANSIENT);
    st = bind_sealed(archive, stmt, 5, in->purpose, err);
    if (st == DG_OK)
        st = dg_catalog_step_done(archive->db, stmt, err);
    if (st == DG_OK)
        *id = sqlite3_last_insert_rowid(archive->db);
    return st;
}

dg_status dg_loan_out(dg_archive *archive, const dg_actor *actor, const dg_paper_loan *in,
                      int64_t *id, dg_error *err)
{
    dg_status st = check_paper(in, err);
    if (st == DG_OK)
        st = require_role(archive, actor, DG_ROLE_ARCHIVIST, in->refcode, "out",
                          "an archivist", err);
    if (st != DG_OK)
        return st;
    dg_record_row row;
    int64_t approver = 0;
    int out = 0;
    file_of whose = {0};
    st = dg_find_visible(archive, actor, in->refcode, "loan", &row, err);
    int logged = st != DG_OK; /* dg_find_visible logs its own refusal */
    if (st == DG_OK)
        st = approver_id(archive, in->approver, &approver, err);
    if (st == DG_OK)
        st = paper_is_out(archive, row.id, &out, err);
    if (st == DG_OK && out)
        st = dg_error_set(err, DG_ERR_EXISTS, "%s: the paper original is out already",
                          in->refcode);
    /* A staff member borrowing the original of their own (or a relative's) file. */
    if (st == DG_OK)
        st = personnel_file_of(archive, row.id, -1, in->borrower, NULL, &whose, err);
    if (st == DG_OK && whose.whose)
        st = dg_error_set(err, DG_ERR_DENIED, "loan out: 本人人事档案不得借阅 (%s's own "
                          "personnel file)", whose.whose);
    free(whose.whose);
    if (st != DG_OK && !logged) {
        dg_error ignored;
        log_step(archive, actor, in->refcode, st, err->msg, &ignored);
    }
    if (st == DG_OK)
        st = dg_catalog_begin_write(archive->db, err);
    if (st != DG_OK)
        return st;
    st = insert_paper(archive, actor, row.id, approver, in, id, err);
    char detail[1400];
    snprintf(detail, sizeof detail, "paper out %lld: %s, %s, due %s, approved by %s",
             (long long)*id, in->borrower, in->method ? in->method : "loan", in->due,
             in->approver);
    if (st == DG_OK)
        st = log_in_txn(archive, actor, in->refcode, "ok", detail, err);
    return dg_catalog_end_write(archive->db, st, err);
}

static dg_status write_return(dg_archive *archive, const dg_actor *actor, int64_t id,
                              const char *condition, dg_error *err)
{
    char now[32];
    dg_clock_iso(dg_clock_now(), now);
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(
        archive->db,
        "UPDATE loans SET state = 'returned', returned_at = ?2, condition = ?3,"
        " returned_to = ?4 WHERE id = ?1 AND state IN ('out', 'approved')",
        &stmt, err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_int64(stmt, 1, id);
    sqlite3_bind_text(stmt, 2, now, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(stmt, 4, actor->user_id);
    st = bind_sealed(archive, stmt, 3, condition, err);
    return st == DG_OK ? dg_catalog_step_done(archive->db, stmt, err) : st;
}

dg_status dg_loan_return(dg_archive *archive, const dg_actor *actor, int64_t id,
                         const char *condition, dg_error *err)
{
    dg_text_field fields[] = {{"condition", condition}};
    dg_status st = dg_text_guard_all(fields, 1, err);
    pending_loan p;
    if (st == DG_OK)
        st = read_loan(archive, id, &p, err);
    if (st != DG_OK)
        return st;
    int paper = !strcmp(p.kind, "paper");
    if (paper || p.borrower_id != actor->user_id)
        st = require_role(archive, actor, DG_ROLE_ARCHIVIST, p.refcode, "return",
                          "an archivist", err);
    if (st != DG_OK)
        return st;
    if (strcmp(p.state, paper ? "out" : "approved"))
        return dg_error_set(err, DG_ERR_STATE, "loan %lld: it is %s, not out", (long long)id,
                            p.state);
    if (paper && (!condition || !*condition))
        return dg_error_set(err, DG_ERR_USAGE,
                            "loan return: --condition is required for a paper original");
    st = dg_catalog_begin_write(archive->db, err);
    if (st != DG_OK)
        return st;
    st = write_return(archive, actor, id, condition, err);
    char detail[1400];
    snprintf(detail, sizeof detail, "return %lld%s%s", (long long)id, condition ? ": " : "",
             condition ? condition : "");
    if (st == DG_OK)
        st = log_in_txn(archive, actor, p.refcode, "ok", detail, err);
    return dg_catalog_end_write(archive->db, st, err);
}

/* ---- listings ---------------------------------------------------------------------- */

/* Columns of a listing row (see loan_from_row). :full says whether ID numbers show. */
#define LOAN_COLUMNS                                                                       \
    "l.id, l.kind, l.state, l.refcode,"                                                    \
    " CASE WHEN r.id IS NOT NULL AND " VISIBLE_TO_ACTOR " THEN dg_clear(v.title) END,"              \
    " l.borrower, b.login, l.unit,"                                                        \
    " CASE WHEN l.id_number IS NULL THEN NULL WHEN :full THEN l.id_number"                 \
    "  WHEN length(l.id_number) <= 4 THEN '****'"                                          \
    "  ELSE substr(l.id_number, 1, 3) || replace(hex(zeroblob(length(l.id_number) - 7)),"  \
    "  '00', '*') || substr(l.id_number, -4) END,"                                        \
    " dg_clear(l.purpose), l.method, coalesce(l.days, 0), l.requested_at,"                 \
    " coalesce(nullif(a.name, ''), a.login), l.decided_at, dg_clear(l.reason), l.out_at,"  \
    " l.due_at, l.returned_at, dg_clear(l.condition), coalesce(nullif(h.name, ''), h.login)," \
    " CASE WHEN l.state IN ('out', 'approved') AND l.due_at < :now THEN"                   \
    "  CAST(julianday(:now) - julianday(l.due_at) + 0.999 AS INTEGER) ELSE 0 END"

#define LOAN_FROM                                                                          \
    " FROM loans l LEFT JOIN records r ON r.id = l.record_id"                              \
    " LEFT JOIN versions v ON v.record_id = r.id AND v.number = r.current_version"         \
    " LEFT JOIN users b ON b.id = l.borrower_id LEFT JOIN users a ON a.id = l.approver_id" \
    " LEFT JOIN users h ON h.id = l.handled_by"

static void loan_from_row(sqlite3_stmt *stmt, void *item, void *ctx)
{
    (void)ctx;
    dg_loan *l = item;
    l->id = sqlite3_column_int64(stmt, 0);
    char **text[] = {&l->kind, &l->state, &l->refcode, &l->title, &l->borrower,
                     &l->borrower_login, &l->unit, &l->id_number, &l->purpose, &l->method};
    for (int i = 0; i < 10; i++)
        *text[i] = dg_column_strdup(stmt, i + 1);
    l->days = sqlite3_column_int(stmt, 11);
    char **more[] = {&l->requested_at, &l->approver, &l->decided_at, &l->reason, &l->out_at,
                     &l->due_at, &l->returned_at, &l->condition, &l->handled_by};
    for (int i = 0; i < 9; i++)
        *more[i] = dg_column_strdup(stmt, i + 12);
    l->days_overdue = sqlite3_column_int(stmt, 21);
}

/* Binds what every listing of loans needs: the reader for VISIBLE_TO_ACTOR (:uid,
 * :clearance, :now), whether ID numbers show in full (:full), and the record (:ref; NULL:
 * any). */
static void bind_reader(sqlite3_stmt *stmt, const dg_actor *actor, const char *refcode)
{
    dg_bind_actor(stmt, actor);
    sqlite3_bind_int(stmt, sqlite3_bind_parameter_index(stmt, ":full"),
                     dg_actor_has_role(actor, DG_ROLE_ARCHIVIST | DG_ROLE_ADMIN));
    int at = sqlite3_bind_parameter_index(stmt, ":ref");
    if (refcode)
        bind_refcode(stmt, at, refcode);
    else
        sqlite3_bind_null(stmt, at);
}

static int reads_all_loans(const dg_actor *actor)
{
    return dg_actor_has_role(actor, DG_ROLE_LEADER | DG_ROLE_ARCHIVIST | DG_ROLE_ADMIN |
                                        DG_ROLE_AUDITOR);
}

dg_status dg_loan_list(dg_archive *archive, const dg_actor *actor, const dg_loan_filter *filter,
                       dg_loan **loans, size_t *count, dg_error *err)
{
    *loans = NULL;
    *count = 0;
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(
        archive->db,
        "SELECT " LOAN_COLUMNS LOAN_FROM
        " WHERE (:all OR l.borrower_id = :uid)"
        " AND (NOT :pending OR l.state = 'pending')"
        " AND (NOT :overdue OR (l.state IN ('out', 'approved') AND l.due_at < :now))"
        " AND (:year = 0 OR substr(coalesce(l.out_at, l.requested_at), 1, 4) = printf('%04d', :year))"
        /* a request keeps the code as typed; the record it names may have another now */
        " AND (:ref IS NULL OR l.refcode = :ref OR " DG_RECORD_NAMED("l.record_id", ":ref") ")"
        " ORDER BY l.id",
        &stmt, err);
    if (st != DG_OK)
        return st;
    bind_reader(stmt, actor, filter->refcode);
    sqlite3_bind_int(stmt, sqlite3_bind_parameter_index(stmt, ":all"), reads_all_loans(actor));
    sqlite3_bind_int(stmt, sqlite3_bind_parameter_index(stmt, ":pending"), filter->pending);
    sqlite3_bind_int(stmt, sqlite3_bind_parameter_index(stmt, ":overdue"), filter->overdue);
    sqlite3_bind_int(stmt, sqlite3_bind_parameter_index(stmt, ":year"), filter->year);
    st = dg_catalog_collect(archive->db, stmt, (void **)loans, count, sizeof **loans,
                            loan_from_row, NULL, "list loans", err);
    if (st != DG_OK) {
        dg_loans_free(*loans, *count);
        *loans = NULL;
        *count = 0;
    }
    return st;
}

void dg_loan_clear(dg_loan *l)
{
    char *all[] = {l->kind, l->state, l->refcode, l->title, l->borrower, l->borrower_login,
                   l->unit, l->id_number, l->purpose, l->method, l->requested_at, l->approver,
                   l->decided_at, l->reason, l->out_at, l->due_at, l->returned_at,
                   l->condition, l->handled_by};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        free(all[i]);
    memset(l, 0, sizeof *l);
}

void dg_loans_free(dg_loan *loans, size_t count)
{
    for (size_t i = 0; i < count; i++)
        dg_loan_clear(&loans[i]);
    free(loans);
}

dg_status dg_loan_paper_out(dg_archive *archive, const dg_actor *actor, const char *refcode,
                            dg_loan *loan, int *found, dg_error *err)
{
    memset(loan, 0, sizeof *loan);
    *found = 0;
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(archive->db,
                                      "SELECT " LOAN_COLUMNS LOAN_FROM
                                      " WHERE " DG_RECORD_NAMED("l.record_id", ":ref")
                                      " AND l.kind = 'paper' AND l.state = 'out' LIMIT 1",
                                      &stmt, err);
    if (st != DG_OK)
        return st;
    bind_reader(stmt, actor, refcode);
    st = dg_catalog_step_maybe_row(archive->db, stmt, found, "read paper loan", err);
    if (st == DG_OK && *found)
        loan_from_row(stmt, loan, NULL);
    sqlite3_finalize(stmt);
    return st;
}

dg_status dg_loan_overdue_notice(dg_archive *archive, char **text, size_t *count, dg_error *err)
{
    *text = NULL;
    *count = 0;
    /* An actor that reads all loans and sees no record's title or ID number. */
    dg_actor system = {.user_id = -1, .clearance = -1, .roles = DG_ROLE_AUDITOR};
    dg_loan_filter f = {.overdue = 1};
    dg_loan *loans = NULL;
    size_t n = 0;
    dg_status st = dg_loan_list(archive, &system, &f, &loans, &n, err);
    size_t cap = 1 + n * 512, len = 0;
    char *out = st == DG_OK ? malloc(cap) : NULL;
    if (st == DG_OK && !out)
        st = dg_error_set(err, DG_ERR_NOMEM, "overdue notice: out of memory");
    for (size_t i = 0; out && i < n; i++) {
        const dg_loan *l = &loans[i];
        int w = snprintf(out + len, cap - len, "loan %lld %s %s: %s%s%s, due %.10s, %d days overdue\n",
                         (long long)l->id, l->kind, l->refcode, l->borrower,
                         l->borrower_login ? " " : "", l->borrower_login ? l->borrower_login : "",
                         l->due_at ? l->due_at : "", l->days_overdue);
        len += w > 0 && (size_t)w < cap - len ? (size_t)w : 0;
    }
    if (out)
        out[len] = '\0';
    dg_loans_free(loans, n);
    if (st == DG_OK) {
        *text = out;
        *count = n;
    }
    return st;
}

/* ---- relatives ---------------------------------------------------------------------- */

dg_status dg_loan_relate(dg_archive *archive, const dg_actor *actor, const char *login,
                         const char *person, const char *relation, int remove, dg_error *err)
{
    dg_text_field fields[] = {{"login", login}, {"person", person}, {"relation", relation}};
    dg_status st = dg_text_guard_all(fields, sizeof fields / sizeof fields[0], err);
    if (st != DG_OK)
        return st;
    if (!person || strlen(person) < 2)
        return dg_error_set(err, DG_ERR_USAGE, "user relate: a person's full name is required");
    st = require_role(archive, actor, DG_ROLE_ADMIN, NULL, "relate", "an admin", err);
    if (st != DG_OK)
        return st;
    char now[32];
    dg_clock_iso(time(NULL), now);
    st = dg_catalog_begin_write(archive->db, err);
    if (st != DG_OK)
        return st;
    sqlite3_stmt *stmt;
    st = dg_catalog_prepare(
        archive->db,
        remove ? "DELETE FROM relations WHERE person = ?2 AND user_id ="
                 " (SELECT id FROM users WHERE login = ?1) AND ?3 IS ?3 AND ?4 IS ?4 AND ?5 IS ?5"
               : "INSERT OR REPLACE INTO relations(user_id, person, relation, added_by, added_at)"
                 " SELECT id, ?2, ?3, ?4, ?5 FROM users WHERE login = ?1",
        &stmt, err);
    if (st == DG_OK) {
        sqlite3_bind_text(stmt, 1, login, -1, SQLITE_STATIC);
        sqlite3_bind_text(stmt, 2, person, -1, SQLITE_STATIC);
        dg_bind_text_or_null(stmt, 3, relation);
        sqlite3_bind_int64(stmt, 4, actor->user_id);
        sqlite3_bind_text(stmt, 5, now, -1, SQLITE_TRANSIENT);
        st = dg_catalog_step_done(archive->db, stmt, err);
    }
    if (st == DG_OK && sqlite3_changes(archive->db) == 0)
        st = dg_error_set(err, DG_ERR_NOT_FOUND, "%s: no such %s", login,
                          remove ? "relation" : "user");
    char detail[256];
    snprintf(detail, sizeof detail, "%s %s: %s%s%s", remove ? "unrelate" : "relate", login,
             person, relation ? " " : "", relation ? relation : "");
    if (st == DG_OK)
        st = log_in_txn(archive, actor, NULL, "ok", detail, err);
    return dg_catalog_end_write(archive->db, st, err);
}

/* ---- exports ------------------------------------------------------------------------- */

/* Whether the actor's own clearance (not a grant, not a loan) covers a record of level. */
static int clearance_covers(const dg_actor *actor, int level)
{
    return level <= 3 ? actor->clearance >= level : actor->clearance >= 4;
}

dg_status dg_loan_may_copy(dg_archive *archive, const dg_actor *actor, int64_t record_id,
                           int level, int *allowed, dg_error *err)
{
    *allowed = level < 2 || clearance_covers(actor, level);
    if (*allowed)
        return DG_OK;
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(
        archive->db,
        "SELECT count(*) FROM loans l WHERE l.record_id = ?1 AND l.borrower_id = :uid"
        " AND l.kind = 'electronic' AND l.state = 'approved' AND l.method = 'copy'"
        " AND l.due_at > :now",
        &stmt, err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_int64(stmt, 1, record_id);
    dg_bind_actor(stmt, actor);
    int64_t n = 0;
    st = dg_catalog_row_int64(archive->db, stmt, &n, "check copy loan", err, NULL);
    *allowed = n > 0;
    return st;
}

/* The newest version's number and page count, or those of version. */
static dg_status export_version(dg_archive *archive, dg_export *ex, int version, dg_error *err)
{
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(
        archive->db, "SELECT number, page_count FROM versions WHERE record_id = ? AND number = ?",
        &stmt, err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_int64(stmt, 1, ex->record_id);
    sqlite3_bind_int(stmt, 2, version ? version : ex->version);
    st = dg_catalog_step_row(archive->db, stmt, "read version", err, "%s has no version %d",
                             ex->refcode, version);
    if (st == DG_OK) {
        ex->version = sqlite3_column_int(stmt, 0);
        ex->n_pages = sqlite3_column_int(stmt, 1);
    }
    sqlite3_finalize(stmt);
    return st;
}

dg_status dg_export_begin(dg_archive *archive, const dg_actor *actor, const char *refcode,
                          int version, const char *action, const char *detail,
                          dg_export_right right, dg_export *out, dg_error *err)
{
    memset(out, 0, sizeof *out);
    dg_record_row row;
    dg_status st = dg_find_visible(archive, actor, refcode, action, &row, err);
    if (st != DG_OK)
        return st;
    out->record_id = row.id;
    out->level = row.level;
    out->version = row.current_version;
    snprintf(out->refcode, sizeof out->refcode, "%s", refcode);
    st = export_version(archive, out, version, err);
    int allowed = 1;
    if (st == DG_OK && right == DG_EXPORT_COPY)
        st = dg_loan_may_copy(archive, actor, row.id, row.level, &allowed, err);
    if (st == DG_OK && right == DG_EXPORT_ORIGINAL && !clearance_covers(actor, row.level))
        st = dg_error_set(err, DG_ERR_DENIED,
                          "%s: the original file leaves only to a reader whose clearance "
                          "covers level %d; without --original you get its watermarked "
                          "rendering", refcode, row.level);
    else if (st == DG_OK && !allowed)
        st = dg_error_set(err, DG_ERR_DENIED,
                          "%s: copies of a level-%d record need your clearance or a loan "
                          "with the method copy (dangan loan request %s --method copy)",
                          refcode, row.level, refcode);
    dg_log_event ev = {.action = action, .refcode = refcode, .version = out->version,
                       .hits = -1, .outcome = dg_log_outcome(st),
                       .detail = st != DG_ERR_DENIED ? detail
                                 : right == DG_EXPORT_ORIGINAL ? "no right to the original"
                                                               : "no copy right"};
    dg_error log_err;
    dg_status log_st = dg_log_append_id(archive, actor, &ev, &out->log_entry, &log_err);
    if (st == DG_OK && log_st != DG_OK) {
        *err = log_err;
        st = log_st;
    }
    return st;
}

/* The objects of page seq of an export: its file (image or original) and its text ("" when
 * it has none), and its mime type when mime is not NULL. */
static dg_status page_objects(dg_archive *archive, const dg_export *ex, int seq,
                              char hex[DG_SHA256_HEX], char text_hex[DG_SHA256_HEX],
                              char **mime, dg_error *err)
{
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(archive->db,
                                      /* a file filed with `add` keeps its text on the
                                         version: the text of its one page */
                                      "SELECT p.sha256, coalesce(p.text_sha256, CASE WHEN"
                                      " p.seq = 1 THEN v.text_sha256 END, ''), p.mime"
                                      " FROM pages p JOIN versions v ON v.id = p.version_id"
                                      " WHERE v.record_id = ? AND v.number = ? AND p.seq = ?",
                                      &stmt, err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_int64(stmt, 1, ex->record_id);
    sqlite3_bind_int(stmt, 2, ex->version);
    sqlite3_bind_int(stmt, 3, seq);
    st = dg_catalog_step_row(archive->db, stmt, "read page", err,
                             "%s version %d has no page %d", ex->refcode, ex->version, seq);
    if (st == DG_OK) {
        snprintf(hex, DG_SHA256_HEX, "%s", (const char *)sqlite3_column_text(stmt, 0));
        snprintf(text_hex, DG_SHA256_HEX, "%s", (const char *)sqlite3_column_text(stmt, 1));
        if (mime && !(*mime = dg_column_strdup(stmt, 2)))
            st = dg_error_set(err, DG_ERR_NOMEM, "page: out of memory");
    }
    sqlite3_finalize(stmt);
    return st;
}

dg_status dg_export_page_text(dg_archive *archive, const dg_export *ex, int seq, char **text,
                              dg_error *err)
{
    *text = NULL;
    char hex[DG_SHA256_HEX], text_hex[DG_SHA256_HEX];
    dg_status st = page_objects(archive, ex, seq, hex, text_hex, NULL, err);
    void *data = NULL;
    size_t len = 0;
    if (st == DG_OK && text_hex[0])
        st = dg_store_get(archive->store, text_hex, &data, &len, err);
    if (st != DG_OK)
        return st;
    *text = malloc(len + 1);
    if (!*text) {
        free(data);
        return dg_error_set(err, DG_ERR_NOMEM, "page: out of memory");
    }
    if (len)
        memcpy(*text, data, len);
    (*text)[len] = '\0';
    free(data);
    return DG_OK;
}

dg_status dg_record_page_text(dg_archive *archive, const dg_record *rec, int seq,
                              char **text, dg_error *err)
{
    dg_export ex = {.record_id = rec->id, .version = rec->version.number,
                    .n_pages = (int)rec->n_pages, .level = rec->level};
    snprintf(ex.refcode, sizeof ex.refcode, "%s", rec->refcode);
    return dg_export_page_text(archive, &ex, seq, text, err);
}

dg_status dg_export_page(dg_archive *archive, const dg_export *ex, int seq, void **data,
                         size_t *len, char **mime, dg_error *err)
{
    *data = NULL;
    *mime = NULL;
    char hex[DG_SHA256_HEX], text_hex[DG_SHA256_HEX];
    dg_status st = page_objects(archive, ex, seq, hex, text_hex, mime, err);
    if (st == DG_OK)
        st = dg_store_get(archive->store, hex, data, len, err);
    if (st != DG_OK) {
        free(*mime);
        *mime = NULL;
    }
    return st;
}
