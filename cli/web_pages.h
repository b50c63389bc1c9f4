/*
 * web_pages.h — the pages of the web interface, rendered on the server as HTML.
 *
 * Each page reads its arguments through p->arg, runs the requests it needs through the
 * dispatcher (dispatch.h: the same function the Unix socket calls, as the session's
 * account with origin "web <address>", so every rule, refusal and access-log entry is the
 * one the command line gets) and fills p's answer: status, content type, body, and a
 * redirect or download name. Pages never touch the engine's tables themselves; the one
 * exception is the password check before a signature (engine/password.h), which is the
 * web's own act of asking who is at the keyboard.
 *
 * Everything that came from outside goes through web_html.h's escapes. A record the viewer
 * may not see answers exactly as a record that does not exist: the same status (404) and
 * the same page, built from the reference code they typed and nothing the engine said.
 */
#ifndef DG_WEB_PAGES_H
#define DG_WEB_PAGES_H

#include <jansson.h>
#include <stdint.h>

#include "../engine/archive.h"
#include "web_common.h"

/* Hits on one page of search results (the search page asks the engine for this many). */
#define DG_WEB_RESULTS_PER_PAGE 20

/* The search page: the form, and with any query or filter its results, facets and paging. */
void dg_web_search(dg_web_page *p);
/* A record: metadata, text, versions and what each changed, hold, and its pages. */
void dg_web_record(dg_web_page *p, const char *refcode);
/* One page image of a record, watermarked for the viewer (image/png). */
void dg_web_page_image(dg_web_page *p, const char *refcode, int seq);
/* The access log with filters (auditors, admins) and its verification; csv: download. */
void dg_web_log(dg_web_page *p, int csv);
/* The archivist's review queue, and accepting one item (POST). */
void dg_web_review(dg_web_page *p);
void dg_web_review_accept(dg_web_page *p);
/* Correcting a review item's category and type with a reason (POST; teaches the classifier). */
void dg_web_review_correct(dg_web_page *p);
/* Ingest batches (with ?id=N one batch's files and their outcomes), and the quarantine. */
void dg_web_batches(dg_web_page *p);
void dg_web_quarantine(dg_web_page *p);
/* The retention forecast (records falling due), and the destruction register. */
void dg_web_forecast(dg_web_page *p);
void dg_web_register(dg_web_page *p);
/* An archivist's appraisal of one review item, and the destruction run (POST). */
void dg_web_retention_appraise(dg_web_page *p);
void dg_web_retention_destroy(dg_web_page *p);
/* A retention review's list, and a leader's approval or a witness's signature (POST),
 * each after the signer's password is asked again. */
void dg_web_retention(dg_web_page *p);
void dg_web_retention_sign(dg_web_page *p, int witness);
/* "Me": who I am, and changing my password (POST; the current one is asked). */
void dg_web_me(dg_web_page *p);
void dg_web_me_password(dg_web_page *p);

/* Uploading a small batch (archivists): the form, and a job's page: while it runs its
 * progress (pages done of total; app.js polls /upload/status?id=N and reloads), once done
 * each file's outcome from the ingest response. */
void dg_web_upload_form(dg_web_page *p);
void dg_web_upload_job(dg_web_page *p, int id, int running, uint64_t done, uint64_t total,
                       size_t files, json_t *response);

/* The login form; message (may be NULL) says why it is shown again. login_csrf is the
 * pre-session token the form carries (and its cookie holds). */
void dg_web_login_form(dg_web_page *p, const char *message, const char *login_csrf);

#endif
