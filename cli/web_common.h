/*
 * web_common.h — what the page modules (web_pages.c, web_loans.c) share: the page's words
 * and arguments, one request through the dispatcher as the page's user, the layout around
 * every page (head, navigation by role, language links), and the answers every page gives
 * the same way: an error page, a record that is not there (the same for one the viewer may
 * not see), and back to where a form came from. Everything written goes through
 * web_html.h's escapes.
 */
#ifndef DG_WEB_COMMON_H
#define DG_WEB_COMMON_H

#include <jansson.h>
#include <stddef.h>

#include "../engine/archive.h"
#include "web_html.h"
#include "web_i18n.h"

/* One request to a page and its answer (web_pages.h, web_loans.h fill it). */
typedef struct dg_web_page {
    /* who asks, and from where */
    dg_archive *archive;
    const char *login, *name, *origin, *csrf;
    unsigned roles;
    int clearance;
    dg_web_lang lang;
    const char *font;     /* the watermark's font file */
    const char *path;     /* the request path, for the language links */
    /* the request's arguments: the query string for GET, the form for POST */
    const char *(*arg)(void *ctx, const char *key);
    void *arg_ctx;
    /* called after every request that may have changed the archive */
    void (*after_write)(void *ctx);
    void *after_write_ctx;
    /* the answer */
    int status;
    const char *content_type;
    dg_buf body;
    unsigned char *bytes; /* a binary body instead of body (malloc'ed), bytes_len long */
    size_t bytes_len;
    char location[1024];    /* a redirect (303) to here when set */
    char filename[128];     /* sent as an attachment under this name when set */
    int password_changed;   /* the account's sessions are to end */
} dg_web_page;

/* An error page with status and a message (the program's own words). */
void dg_web_error(dg_web_page *p, int status, const char *message);

/* The word w in the page's language. */
const char *dg_web_tr(const dg_web_page *p, dg_web_word w);
/* The request's argument key (query string or form), or NULL when absent or empty. */
const char *dg_web_arg(const dg_web_page *p, const char *key);
/* obj's string or integer under key (NULL, 0 when absent). */
const char *dg_web_jstr(json_t *obj, const char *key);
long long dg_web_jint(json_t *obj, const char *key);
/* Runs one request (cmd, args: taken) through the dispatcher as the page's user, and tells
 * the server after a request that may have written; the caller owns the answer, never NULL. */
json_t *dg_web_call(dg_web_page *p, const char *cmd, json_t *args);
/* The answer says ok; the answer's status is status ("denied", "not_found", ...). */
int dg_web_ok(json_t *response);
int dg_web_status_is(json_t *response, const char *status);
/* Copies the argument key, when given, into args under as (NULL: the same key). */
void dg_web_pass_arg(dg_web_page *p, json_t *args, const char *key, const char *as);
/* The viewer holds any of roles (DG_ROLE_* bits). */
int dg_web_has_role(const dg_web_page *p, unsigned roles);

/* Opens an HTML page (status 200 unless set): head, title, navigation for the viewer's
 * roles when signed in, language links; page_end closes it. */
void dg_web_page_begin(dg_web_page *p, const char *title);
void dg_web_page_end(dg_web_page *p);
/* A paragraph of class cls holding text (escaped). */
void dg_web_notice(dg_web_page *p, const char *cls, const char *text);
/* The form's hidden CSRF field with the session's token. */
void dg_web_hidden_csrf(dg_web_page *p);
/* An <option> of value with label, selected when current equals value. */
void dg_web_option(dg_web_page *p, const char *value, const char *label, const char *current);

/* The error page for a failed request: a denial is 403 in the program's words, anything
 * else the engine's message (which never names what the user may not see). */
void dg_web_error_from(dg_web_page *p, json_t *response);
/* The one page (404) for a record that does not exist and one the viewer may not see,
 * made of the typed code only. */
void dg_web_not_found(dg_web_page *p, const char *refcode);
/* A link to ask for a loan of refcode (a record one may not read, or may not copy). */
void dg_web_loan_offer(dg_web_page *p, const char *refcode);
/* After a change from a form: a redirect back (with "done=" saying so), the not-found
 * page for a record not there, or the error page. */
void dg_web_answer_then_back(dg_web_page *p, json_t *response, const char *back);

/* The ?year= argument when it is a year, else the current year. */
int dg_web_review_year(const dg_web_page *p);
/* The viewer's password (the form's "password") checked again before the act what (a
 * signature is the person's act, not the open session's); 1 when it is right. */
int dg_web_confirm_password(dg_web_page *p, const char *what);

#endif
