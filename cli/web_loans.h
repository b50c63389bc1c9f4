/*
 * web_loans.h — the loan pages of the web interface (借阅), rendered on the server as HTML
 * by the rules of web_pages.h: each runs its requests through the dispatcher as the
 * session's account, so every refusal and access-log entry is `dangan loan`'s.
 */
#ifndef DG_WEB_LOANS_H
#define DG_WEB_LOANS_H

#include "web_pages.h"

/* Loans (借阅): my loans and the request form (everyone); a leader's queue of requests
 * waiting; an archivist's paper originals out, back and overdue; the register as CSV or
 * PDF (?year=). The POSTs ask for a loan, approve or refuse one (the leader's password
 * asked again, as for every signature), hand a paper original over and take it back. */
void dg_web_loans(dg_web_page *p);
void dg_web_loans_pending(dg_web_page *p);
void dg_web_loans_paper(dg_web_page *p);
void dg_web_loans_register(dg_web_page *p, int pdf);
void dg_web_loan_request(dg_web_page *p);
void dg_web_loan_decide(dg_web_page *p, int approve);
void dg_web_loan_out(dg_web_page *p);
void dg_web_loan_return(dg_web_page *p);
/* A borrower hands their electronic loan back before it is due (POST, as `loan return`). */
void dg_web_loan_hand_back(dg_web_page *p);

#endif
