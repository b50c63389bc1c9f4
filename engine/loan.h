/*
 * loan.h — the loan register (借阅登记簿): electronic loans as time-limited grants, paper
 * originals lent from the shelves, relatives' names, and the check and log entry of an
 * export.
 *
 * An electronic loan is asked for by an account (dg_loan_request) for a record it may not
 * see, with a purpose, a method (read, copy, excerpt) and a number of days. A leader who is
 * not the requester and can see the record approves it (the due time is then the approval
 * time plus the days) or refuses it with a reason (dg_loan_decide). Until the due time the
 * borrower sees the record as if cleared for it: VISIBLE_TO_ACTOR (record_internal.h) asks
 * DG_LOAN_VISIBLE_SQL, which compares the due time with :now, the clock of clock.h, so the
 * loan ends by itself and nobody has to act. A loan opens show, history and page images of
 * that record only; search stays by clearance (the index knows nothing of loans), so a
 * borrower reaches the record by its reference code.
 *
 * Nobody consults their own or their relatives' personnel file: a request for a personnel
 * record whose subject (当事人, record.h: set at filing, by a manifest's subject column or
 * by edit --subject) is the requester (their login or account's name) or a person on their
 * relation list (dg_loan_relate, kept by admins) is refused at once, with that reason, and
 * again at approval (the list may have grown since). A record without a subject falls back
 * to its title naming the person.
 *
 * A paper loan (dg_loan_out, archivists) records who took the original, their unit and ID
 * document number, purpose, method, the leader who approved it and the due date; its
 * return (dg_loan_return) the date and the condition. ID numbers are shown in full to
 * archivists and admins only; everyone else reads them masked (dg_loan_list does it).
 *
 * Every step, refusals included, is logged (action "loan"). A caller holds no lock.
 */
#ifndef DG_LOAN_H
#define DG_LOAN_H

#include <stddef.h>
#include <stdint.h>

#include "../base/status.h"
#include "user.h"

/*
 * The SQL condition under which a loan lets the actor (:uid) see record r at :now (a
 * time as dg_clock_iso writes it): an approved electronic loan of r to the actor, not
 * returned, whose due time has not come.
 */
#define DG_LOAN_VISIBLE_SQL                                                                  \
    "EXISTS (SELECT 1 FROM loans l WHERE l.record_id = r.id AND l.borrower_id = :uid"      \
    " AND l.kind = 'electronic' AND l.state = 'approved' AND l.due_at > :now)"

/* One row of the register, as the actor may read it. NULL: not (yet) applicable. */
typedef struct dg_loan {
    int64_t id;
    char *kind;      /* "electronic" or "paper" */
    char *state;     /* pending, refused, approved, out, returned */
    char *refcode;
    char *title;     /* NULL when the reader may not see the record */
    char *borrower;  /* name (and unit) as recorded */
    char *borrower_login; /* the account of an electronic loan */
    char *unit;
    char *id_number; /* masked unless the reader is an archivist or admin */
    char *purpose, *method;
    int days;
    char *requested_at, *approver, *decided_at, *reason;
    char *out_at, *due_at, *returned_at, *condition, *handled_by;
    int days_overdue; /* whole days past due (0 when not overdue or returned) */
} dg_loan;

typedef struct dg_loan_filter {
    int pending;  /* only requests waiting for a decision */
    int overdue;  /* only loans past due and not returned */
    int year;     /* only loans requested or lent out in this year (0: any) */
    const char *refcode; /* only this record's loans */
} dg_loan_filter;

/* Asks for an electronic loan; *id is the request's number. A request for one's own or
 * a relative's personnel file is recorded as refused, with that reason, and returns
 * DG_ERR_DENIED. */
dg_status dg_loan_request(dg_archive *archive, const dg_actor *actor, const char *refcode,
                          const char *purpose, const char *method, int days, int64_t *id,
                          dg_error *err);

/* Approves (days > 0 overrides the requested days) or refuses (reason required) a pending
 * request: a leader, not the requester, who can see the record. */
dg_status dg_loan_decide(dg_archive *archive, const dg_actor *actor, int64_t id, int approve,
                         int days, const char *reason, dg_error *err);

/* A paper original handed over (archivist). due is YYYY-MM-DD; approver the login of the
 * leader who approved it. */
typedef struct dg_paper_loan {
    const char *refcode, *borrower, *unit, *id_number, *purpose, *method, *due, *approver;
} dg_paper_loan;
dg_status dg_loan_out(dg_archive *archive, const dg_actor *actor, const dg_paper_loan *loan,
                      int64_t *id, dg_error *err);

/* A paper original back (archivist), or an electronic loan closed early (its borrower or
 * an archivist): the condition is required for paper. */
dg_status dg_loan_return(dg_archive *archive, const dg_actor *actor, int64_t id,
                         const char *condition, dg_error *err);

/* Lists loans, oldest first: leaders, archivists, admins and auditors see all, anyone
 * else their own. Free with dg_loans_free. */
dg_status dg_loan_list(dg_archive *archive, const dg_actor *actor, const dg_loan_filter *filter,
                       dg_loan **loans, size_t *count, dg_error *err);
void dg_loans_free(dg_loan *loans, size_t count);

/*
 * The daily overdue notice (逾期催还通知) a server writes to its own log: one line per loan
 * past due and not returned (number, kind, reference code, borrower, due date, days
 * overdue; never an ID number), into *text (caller frees; "" when none), *count the loans.
 * Not role-checked: it is for the archive's owner, who runs the server, and it is not
 * logged (it reads only the register).
 */
dg_status dg_loan_overdue_notice(dg_archive *archive, char **text, size_t *count, dg_error *err);

/* The paper loan of the record that is out now, if any (*found 0 when none); for show:
 * the caller may already see the record. */
dg_status dg_loan_paper_out(dg_archive *archive, const dg_actor *actor, const char *refcode,
                            dg_loan *loan, int *found, dg_error *err);
void dg_loan_clear(dg_loan *loan);

/* Adds (or with remove, removes) a person's name to an account's relation list (admin):
 * their personnel files are then closed to that account. */
dg_status dg_loan_relate(dg_archive *archive, const dg_actor *actor, const char *login,
                         const char *person, const char *relation, int remove, dg_error *err);

/* What an export may take: the record's version, its page count, and the log entry that
 * records the export (its id is printed on every page of it). */
typedef struct dg_export {
    int64_t record_id;
    int version, n_pages, level;
    int64_t log_entry;
    char refcode[64];
} dg_export;

/* What a page view or export takes out of the room, and so what right it needs. */
typedef enum dg_export_right {
    DG_EXPORT_VIEW = 0,     /* a watermarked page on screen: seeing the record is enough */
    DG_EXPORT_COPY = 1,     /* a watermarked copy to keep: level 2 and above need the
                               actor's clearance to cover the record or a copy loan */
    DG_EXPORT_ORIGINAL = 2, /* the original file as filed, unmarked: only a clearance that
                               covers the record (no grant, no loan: they lend the reading,
                               not the file) */
} dg_export_right;

/*
 * Allows and logs a page view or an export of the record (version 0: the newest), as
 * action ("page", "export") with detail ("page 3", "pdf"): the actor must see the record
 * (a hidden record is "no such record", as a missing one), and have the right (above). A
 * refusal is logged; on success out->log_entry is the id of the entry that records it,
 * for the watermark of what leaves.
 */
dg_status dg_export_begin(dg_archive *archive, const dg_actor *actor, const char *refcode,
                          int version, const char *action, const char *detail,
                          dg_export_right right, dg_export *out, dg_error *err);

/* Page seq of an export begun with dg_export_begin (not logged again). */
dg_status dg_export_page(dg_archive *archive, const dg_export *ex, int seq, void **data,
                         size_t *len, char **mime, dg_error *err);

/* The text of page seq of an export (UTF-8, as read at ingest: an original file's text,
 * decoded; "" when the page has none), into *text (caller frees). */
dg_status dg_export_page_text(dg_archive *archive, const dg_export *ex, int seq, char **text,
                              dg_error *err);

/* The text of page seq of rec, a record the actor read with dg_record_get (that read is
 * its log entry: this one is not logged again), as dg_export_page_text gives it. The web
 * record page counts an original's sheets from it without rendering them. */
struct dg_record;
dg_status dg_record_page_text(dg_archive *archive, const struct dg_record *rec, int seq,
                              char **text, dg_error *err);

/* Whether the actor may take copies (export) of a record of level at (record_id): by
 * clearance, or by a current copy loan. */
dg_status dg_loan_may_copy(dg_archive *archive, const dg_actor *actor, int64_t record_id,
                           int level, int *allowed, dg_error *err);

#endif
