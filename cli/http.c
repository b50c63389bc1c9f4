/*
 * http.c — the libmicrohttpd daemon: request bodies, sessions, login and logout, security
 * headers, and the routes to the pages.
 */
#include "http.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "../base/clock.h"
#include "../engine/archive.h"
#include "../engine/log.h"
#include "../engine/password.h"
#include "../engine/user.h"
#include "web_assets.h"
#include "watermark.h"
#include "web_loans.h"
#include "web_pages.h"
#include "web_session.h"
#include "web_tls.h"
#include "web_upload.h"

#define MAX_BODY (64 * 1024)
#define MAX_FIELDS 64
#define SESSION_COOKIE "dangan_session"
#define LOGIN_COOKIE "dangan_login"
#define MAX_SESSIONS 4096
#define MAX_BACKOFF_KEYS 4096

/* connect-src: an upload's page polls its status (app.js) */
static const char CSP[] = "default-src 'none'; script-src 'self'; style-src 'self'; "
                          "img-src 'self'; connect-src 'self'; form-action 'self'; "
                          "frame-ancestors 'none'; base-uri 'none'";

typedef struct handle_slot {
    dg_archive *archive;
    int busy;
    unsigned long writes_seen;
} handle_slot;

struct dg_http {
    dg_http_options o;
    char font[512];
    int have_font;
    struct MHD_Daemon *daemon;
    pthread_mutex_t pool_lock;
    pthread_cond_t pool_free;
    handle_slot *slots;
    int n_slots;
    dg_web_sessions *sessions;
    dg_web_backoff *backoff;
    dg_web_jobs *jobs;
    dg_web_tls tls; /* loaded when opts->tls_cert is set */
};

typedef struct field {
    char *key, *value;
    size_t len;
} field;

/* One request in progress (MHD's per-request context). */
typedef struct web_req {
    struct MHD_PostProcessor *pp;
    field fields[MAX_FIELDS];
    int n_fields;
    size_t body;
    int too_large;
    dg_web_upload *up; /* a signed-in POST /upload: its files go to disk, not fields */
} web_req;

/* What the route handlers need of one request. */
typedef struct exchange {
    dg_http *h;
    struct MHD_Connection *conn;
    web_req *req;
    const char *url, *method;
    int is_post;
    char addr[INET6_ADDRSTRLEN];
    char origin[64];
    dg_web_lang lang;
    char set_cookie[2][256];
    int n_cookies;
    int static_asset;
} exchange;

static void http_log(const dg_http *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void http_log(const dg_http *h, const char *fmt, ...)
{
    if (!h->o.log)
        return;
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    for (char *p = line; *p; p++) /* one line, no terminal control */
        if ((unsigned char)*p < 0x20 || *p == 0x7F)
            *p = '?';
    fprintf(h->o.log, "dangan serve: http: %s\n", line);
    fflush(h->o.log);
}

static int64_t monotonic_seconds(void)
{
#ifdef DG_FAULT_INJECTION
    /* The test build's clock (base/clock.h), when set, holds the web's time still as well,
     * so that a test of the login back-off does not race the machine's load. */
    const char *test_now = getenv("DANGAN_TEST_NOW");
    if (test_now && *test_now)
        return (int64_t)dg_clock_now();
#endif
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec;
}

/* ---- the pool of archive handles ---- */

static handle_slot *checkout(dg_http *h)
{
    pthread_mutex_lock(&h->pool_lock);
    handle_slot *slot = NULL;
    while (!slot) {
        for (int i = 0; i < h->n_slots && !slot; i++)
            if (!h->slots[i].busy)
                slot = &h->slots[i];
        if (!slot)
            pthread_cond_wait(&h->pool_free, &h->pool_lock);
    }
    slot->busy = 1;
    pthread_mutex_unlock(&h->pool_lock);
    /* A destruction since this handle last searched replaced the index folder: let go. */
    unsigned long writes = h->o.writes_done ? h->o.writes_done(h->o.writes_ctx) : 0;
    if (writes != slot->writes_seen)
        dg_archive_release_index_reader(slot->archive);
    slot->writes_seen = writes;
    return slot;
}

static void checkin(dg_http *h, handle_slot *slot)
{
    pthread_mutex_lock(&h->pool_lock);
    slot->busy = 0;
    pthread_cond_signal(&h->pool_free);
    pthread_mutex_unlock(&h->pool_lock);
}

/* ---- request bodies ---- */

static field *field_for(web_req *r, const char *key, uint64_t off)
{
    field *last = r->n_fields ? &r->fields[r->n_fields - 1] : NULL;
    if (last && off > 0 && !strcmp(last->key, key))
        return last;
    if (r->n_fields == MAX_FIELDS)
        return NULL;
    field *f = &r->fields[r->n_fields];
    f->key = strdup(key);
    f->value = calloc(1, 1);
    if (!f->key || !f->value) {
        free(f->key);
        free(f->value);
        return NULL;
    }
    f->len = 0;
    r->n_fields++;
    return f;
}

static enum MHD_Result on_post_field(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *filename, const char *content_type,
                                     const char *transfer_encoding, const char *data,
                                     uint64_t off, size_t size)
{
    (void)kind, (void)content_type, (void)transfer_encoding;
    web_req *r = cls;
    if (r->up && filename) {
        dg_error err;
        return dg_web_upload_data(r->up, key, filename, data, off, size, &err) == DG_OK ? MHD_YES
                                                                                     : MHD_NO;
    }
    field *f = key ? field_for(r, key, off) : NULL;
    char *grown = f ? realloc(f->value, f->len + size + 1) : NULL;
    if (!grown) {
        r->too_large = 1;
        return MHD_NO;
    }
    memcpy(grown + f->len, data, size);
    f->len += size;
    grown[f->len] = '\0';
    f->value = grown;
    return MHD_YES;
}

static const char *form_value(const web_req *r, const char *key)
{
    for (int i = 0; i < r->n_fields; i++)
        if (!strcmp(r->fields[i].key, key))
            /* a value with a NUL inside is not text: treat it as absent */
            return strlen(r->fields[i].value) == r->fields[i].len ? r->fields[i].value : NULL;
    return NULL;
}

static void web_req_free(web_req *r)
{
    if (!r)
        return;
    if (r->pp)
        MHD_destroy_post_processor(r->pp);
    dg_web_upload_free(r->up);
    for (int i = 0; i < r->n_fields; i++) {
        free(r->fields[i].key);
        free(r->fields[i].value);
    }
    free(r);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode code)
{
    (void)cls, (void)conn, (void)code;
    web_req_free(*con_cls);
    *con_cls = NULL;
}

/* ---- who and from where ---- */

static void peer_address(struct MHD_Connection *conn, char *out, size_t size)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = info ? info->client_addr : NULL;
    snprintf(out, size, "?");
    if (sa && sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, (socklen_t)size);
    else if (sa && sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out, (socklen_t)size);
}

/* The last address of X-Forwarded-For (the one the trusted proxy itself appended), if it
 * is an address at all. */
static int forwarded_address(struct MHD_Connection *conn, char *out, size_t size)
{
    const char *xff = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Forwarded-For");
    if (!xff)
        return 0;
    const char *last = strrchr(xff, ',');
    last = last ? last + 1 : xff;
    last += strspn(last, " \t");
    char addr[INET6_ADDRSTRLEN];
    size_t len = strcspn(last, " \t");
    if (len == 0 || len >= sizeof addr)
        return 0;
    memcpy(addr, last, len);
    addr[len] = '\0';
    unsigned char bin[sizeof(struct in6_addr)];
    if (inet_pton(AF_INET, addr, bin) != 1 && inet_pton(AF_INET6, addr, bin) != 1)
        return 0;
    snprintf(out, size, "%s", addr);
    return 1;
}

static void client_address(exchange *x)
{
    peer_address(x->conn, x->addr, sizeof x->addr);
    const char *proxy = x->h->o.trusted_proxy;
    if (proxy && !strcmp(proxy, x->addr))
        forwarded_address(x->conn, x->addr, sizeof x->addr);
    snprintf(x->origin, sizeof x->origin, "web %s", x->addr);
}

static const char *cookie(const exchange *x, const char *name)
{
    return MHD_lookup_connection_value(x->conn, MHD_COOKIE_KIND, name);
}

static void choose_language(exchange *x)
{
    int chosen = dg_web_lang_parse(cookie(x, "lang"));
    x->lang = chosen >= 0 ? (dg_web_lang)chosen
                          : dg_web_lang_negotiate(MHD_lookup_connection_value(
                                x->conn, MHD_HEADER_KIND, "Accept-Language"));
}

static void add_cookie(exchange *x, const char *name, const char *value, int clear)
{
    if (x->n_cookies == 2)
        return;
    snprintf(x->set_cookie[x->n_cookies++], sizeof x->set_cookie[0],
             "%s=%s; Path=/; HttpOnly; SameSite=Strict%s%s", name, value,
             x->h->o.insecure_cookies ? "" : "; Secure", clear ? "; Max-Age=0" : "");
}

/* Logs what the web itself decides (a login refused for back-off, a form without its
 * token, a logout): as the account when known, else as the name given. */
static void web_log(dg_archive *archive, const char *login, const char *origin,
                    const char *action, const char *outcome, const char *detail)
{
    dg_actor actor = {0};
    dg_error err;
    if (!login || dg_actor_login(archive, login, origin, &actor, &err) != DG_OK) {
        memset(&actor, 0, sizeof actor);
        snprintf(actor.login, sizeof actor.login, "%s", login ? login : "-");
        snprintf(actor.origin, sizeof actor.origin, "%s", origin);
    }
    dg_log_event ev = {.action = action, .hits = -1, .outcome = outcome, .detail = detail};
    dg_log_append(archive, &actor, NULL, &ev, &err);
}

/* ---- responses ---- */

static void security_headers(struct MHD_Response *resp, int cacheable)
{
    MHD_add_response_header(resp, "Content-Security-Policy", CSP);
    MHD_add_response_header(resp, "X-Frame-Options", "DENY");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(resp, "Cache-Control", cacheable ? "max-age=3600" : "no-store");
    if (!cacheable)
        MHD_add_response_header(resp, "Pragma", "no-cache");
}

static enum MHD_Result send_page(exchange *x, dg_web_page *p)
{
    size_t len = 0;
    void *data;
    if (p->bytes) {
        data = p->bytes;
        len = p->bytes_len;
        p->bytes = NULL;
    } else {
        data = dg_buf_take(&p->body, &len);
    }
    if (!data) {
        static const char oom[] = "out of memory";
        data = strdup(oom);
        len = data ? strlen(oom) : 0;
        p->status = 500;
        p->location[0] = '\0';
    }
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(len, data, data ? MHD_RESPMEM_MUST_FREE
                                                        : MHD_RESPMEM_PERSISTENT);
    if (!resp) {
        free(data);
        return MHD_NO;
    }
    security_headers(resp, x->static_asset);
    MHD_add_response_header(resp, "Content-Type", p->content_type ? p->content_type
                                                                   : "text/plain; charset=utf-8");
    for (int i = 0; i < x->n_cookies; i++)
        MHD_add_response_header(resp, "Set-Cookie", x->set_cookie[i]);
    int status = p->status ? p->status : 200;
    if (p->location[0]) {
        MHD_add_response_header(resp, "Location", p->location);
        status = 303;
    }
    if (p->filename[0]) {
        char disposition[192];
        snprintf(disposition, sizeof disposition, "attachment; filename=\"%s\"", p->filename);
        MHD_add_response_header(resp, "Content-Disposition", disposition);
    }
    enum MHD_Result rc = MHD_queue_response(x->conn, (unsigned)status, resp);
    MHD_destroy_response(resp);
    return rc;
}

/* ---- arguments ---- */

static const char *get_arg(void *ctx, const char *key)
{
    exchange *x = ctx;
    if (x->is_post)
        return form_value(x->req, key);
    return MHD_lookup_connection_value(x->conn, MHD_GET_ARGUMENT_KIND, key);
}

static void page_init(exchange *x, dg_web_page *p)
{
    memset(p, 0, sizeof *p);
    dg_buf_init(&p->body);
    p->lang = x->lang;
    p->origin = x->origin;
    p->path = x->url;
    p->font = x->h->have_font ? x->h->font : NULL;
    p->after_write = x->h->o.after_write;
    p->after_write_ctx = x->h->o.writes_ctx;
    p->arg = get_arg;
    p->arg_ctx = x;
}

static void redirect(dg_web_page *p, const char *where)
{
    snprintf(p->location, sizeof p->location, "%s", where);
}

/* ---- login and logout ---- */

/* The pre-session token of the login form: the cookie's, or a new one set now. */
static void login_token(exchange *x, char token[DG_WEB_TOKEN_HEX + 1])
{
    const char *have = cookie(x, LOGIN_COOKIE);
    if (have && strlen(have) == DG_WEB_TOKEN_HEX &&
        strspn(have, "0123456789abcdef") == DG_WEB_TOKEN_HEX) {
        memcpy(token, have, DG_WEB_TOKEN_HEX + 1);
        return;
    }
    dg_web_random_token(token);
    add_cookie(x, LOGIN_COOKIE, token, 0);
}

static void show_login(exchange *x, dg_web_page *p, const char *message, int status)
{
    char token[DG_WEB_TOKEN_HEX + 1];
    login_token(x, token);
    p->status = status;
    dg_web_login_form(p, message, token);
}

/* Seconds the login must wait under either key (the account name, the address). */
static int backoff_wait(exchange *x, const char *login, int64_t now)
{
    char key[128];
    snprintf(key, sizeof key, "login:%.100s", login);
    int a = dg_web_backoff_wait(x->h->backoff, key, now);
    snprintf(key, sizeof key, "addr:%s", x->addr);
    int b = dg_web_backoff_wait(x->h->backoff, key, now);
    return a > b ? a : b;
}

static void backoff_note(exchange *x, const char *login, int64_t now, int failed)
{
    char key[128];
    snprintf(key, sizeof key, "login:%.100s", login);
    if (failed)
        dg_web_backoff_fail(x->h->backoff, key, now);
    else
        dg_web_backoff_clear(x->h->backoff, key);
    snprintf(key, sizeof key, "addr:%s", x->addr);
    if (failed)
        dg_web_backoff_fail(x->h->backoff, key, now);
    else
        dg_web_backoff_clear(x->h->backoff, key);
}

static void start_session(exchange *x, dg_web_page *p, const dg_actor *actor, int64_t epoch)
{
    char token[DG_WEB_TOKEN_HEX + 1];
    dg_web_session s;
    dg_error err;
    if (dg_web_session_start(x->h->sessions, actor->login, epoch, monotonic_seconds(), token, &s,
                             &err) != DG_OK) {
        dg_web_error(p, 500, err.msg);
        return;
    }
    add_cookie(x, SESSION_COOKIE, token, 0);
    add_cookie(x, LOGIN_COOKIE, "", 1);
    redirect(p, "/search");
}

static void do_login(exchange *x, dg_web_page *p, dg_archive *archive)
{
    const char *login = form_value(x->req, "login"), *password = form_value(x->req, "password");
    const char *csrf = form_value(x->req, "csrf");
    if (!dg_web_token_equal(csrf, cookie(x, LOGIN_COOKIE))) {
        web_log(archive, login, x->origin, "web.login", "refused", "form without its token");
        show_login(x, p, dg_web_t(x->lang, W_BAD_FORM), 403);
        return;
    }
    login = login ? login : "";
    int64_t now = monotonic_seconds();
    int wait = backoff_wait(x, login, now);
    if (wait > 0) {
        char msg[160];
        web_log(archive, login, x->origin, "web.login", "refused", "back-off");
        snprintf(msg, sizeof msg, dg_web_t(x->lang, W_LOGIN_SLOW), wait);
        show_login(x, p, msg, 429);
        return;
    }
    dg_actor actor;
    int64_t epoch = 0;
    dg_error err;
    dg_status st = dg_password_login(archive, login, password ? password : "", x->origin, &actor,
                                     &epoch, &err);
    backoff_note(x, login, now, st != DG_OK);
    if (st == DG_OK)
        start_session(x, p, &actor, epoch);
    else if (st == DG_ERR_DENIED)
        show_login(x, p, dg_web_t(x->lang, W_LOGIN_FAILED), 401);
    else
        dg_web_error(p, 500, err.msg);
}

/* ---- sessions ---- */

/* The request's live session, checked against the catalog: the account is active and its
 * password unchanged since the session began. Fills p's who-fields; 0 when there is none. */
static int current_session(exchange *x, dg_web_page *p, dg_archive *archive, dg_web_session *s,
                           dg_actor *actor)
{
    const char *token = cookie(x, SESSION_COOKIE);
    if (!token || !dg_web_session_find(x->h->sessions, token, monotonic_seconds(), s))
        return 0;
    int64_t epoch = 0;
    dg_error err;
    if (dg_password_epoch(archive, s->login, &epoch, &err) != DG_OK || epoch != s->epoch ||
        dg_actor_login(archive, s->login, x->origin, actor, &err) != DG_OK) {
        dg_web_session_end_login(x->h->sessions, s->login);
        return 0;
    }
    p->login = actor->login;
    p->name = actor->name;
    p->roles = actor->roles;
    p->clearance = actor->clearance;
    p->csrf = s->csrf;
    return 1;
}

static void do_logout(exchange *x, dg_web_page *p, dg_archive *archive)
{
    dg_web_session_end(x->h->sessions, cookie(x, SESSION_COOKIE));
    web_log(archive, p->login, x->origin, "web.logout", "ok", NULL);
    add_cookie(x, SESSION_COOKIE, "", 1);
    redirect(p, "/login");
}

/* ---- routes ---- */

/* "/record/REF" -> REF; "/page/REF/3" -> REF and 3. The path arrives percent-decoded. */
static int path_record(const char *url, const char *prefix, char *ref, size_t size, int *seq)
{
    size_t n = strlen(prefix);
    if (strncmp(url, prefix, n) != 0 || !url[n])
        return 0;
    const char *rest = url + n;
    const char *slash = seq ? strrchr(rest, '/') : NULL;
    size_t len = seq ? (slash ? (size_t)(slash - rest) : 0) : strlen(rest);
    if (len == 0 || len >= size)
        return 0;
    memcpy(ref, rest, len);
    ref[len] = '\0';
    if (seq) {
        char *end;
        long v = strtol(slash + 1, &end, 10);
        if (*end || v < 1 || v > 100000)
            return 0;
        *seq = (int)v;
    }
    return 1;
}

/* ---- uploads ---- */

static int upload_job_id(exchange *x)
{
    const char *id = MHD_lookup_connection_value(x->conn, MHD_GET_ARGUMENT_KIND, "id");
    return id ? atoi(id) : 0;
}

/* GET /upload/job?id=N (the page) or /upload/status?id=N (its JSON, for the page's script). */
static void upload_job(exchange *x, dg_web_page *p, int json)
{
    dg_web_job_view v;
    if (!dg_web_job_get(x->h->jobs, upload_job_id(x), p->login, &v)) {
        dg_web_error(p, 404, "404");
        return;
    }
    if (json) {
        char *text = dg_web_job_status_json(&v);
        if (text)
            dg_buf_puts(&p->body, text);
        free(text);
        p->content_type = "application/json";
    } else {
        dg_web_upload_job(p, upload_job_id(x), v.state == DG_WEB_JOB_RUNNING, v.done, v.total,
                          v.files, v.response);
    }
    json_decref(v.response);
}

/* POST /upload: the received files become an ingest job, and the browser goes to its page. */
static void upload_start(exchange *x, dg_web_page *p)
{
    if (!(p->roles & DG_ROLE_ARCHIVIST)) {
        dg_web_error(p, 403, dg_web_t(x->lang, W_FORBIDDEN));
        return;
    }
    if (!x->req->up || !dg_web_upload_count(x->req->up)) {
        dg_web_error(p, 400, dg_web_t(x->lang, W_UPLOAD_EMPTY));
        return;
    }
    int id = 0;
    dg_error err;
    dg_web_upload *u = x->req->up;
    x->req->up = NULL;
    if (dg_web_job_start(x->h->jobs, u, p->login, x->origin, &id, &err) != DG_OK) {
        dg_web_error(p, 503, err.msg);
        return;
    }
    snprintf(p->location, sizeof p->location, "/upload/job?id=%d", id);
}

static int route_get(exchange *x, dg_web_page *p)
{
    const char *u = x->url;
    char ref[256];
    int seq;
    if (!strcmp(u, "/"))
        redirect(p, "/search");
    else if (!strcmp(u, "/login"))
        redirect(p, "/search");
    else if (!strcmp(u, "/search"))
        dg_web_search(p);
    else if (path_record(u, "/record/", ref, sizeof ref, NULL))
        dg_web_record(p, ref);
    else if (path_record(u, "/page/", ref, sizeof ref, &seq))
        dg_web_page_image(p, ref, seq);
    else if (!strcmp(u, "/log") || !strcmp(u, "/log.csv"))
        dg_web_log(p, !strcmp(u, "/log.csv"));
    else if (!strcmp(u, "/review"))
        dg_web_review(p);
    else if (!strcmp(u, "/batches"))
        dg_web_batches(p);
    else if (!strcmp(u, "/quarantine"))
        dg_web_quarantine(p);
    else if (!strcmp(u, "/retention/due"))
        dg_web_forecast(p);
    else if (!strcmp(u, "/register"))
        dg_web_register(p);
    else if (!strcmp(u, "/retention"))
        dg_web_retention(p);
    else if (!strcmp(u, "/me"))
        dg_web_me(p);
    else if (!strcmp(u, "/loans"))
        dg_web_loans(p);
    else if (!strcmp(u, "/loans/pending"))
        dg_web_loans_pending(p);
    else if (!strcmp(u, "/loans/paper"))
        dg_web_loans_paper(p);
    else if (!strcmp(u, "/loans/register.csv") || !strcmp(u, "/loans/register.pdf"))
        dg_web_loans_register(p, !strcmp(u, "/loans/register.pdf"));
    else if (!strcmp(u, "/upload"))
        dg_web_upload_form(p);
    else if (!strcmp(u, "/upload/job") || !strcmp(u, "/upload/status"))
        upload_job(x, p, !strcmp(u, "/upload/status"));
    else
        return 0;
    return 1;
}

static int route_post(exchange *x, dg_web_page *p, dg_archive *archive)
{
    const char *u = x->url;
    if (!strcmp(u, "/logout"))
        do_logout(x, p, archive);
    else if (!strcmp(u, "/review/accept"))
        dg_web_review_accept(p);
    else if (!strcmp(u, "/review/correct"))
        dg_web_review_correct(p);
    else if (!strcmp(u, "/retention/appraise"))
        dg_web_retention_appraise(p);
    else if (!strcmp(u, "/retention/destroy"))
        dg_web_retention_destroy(p);
    else if (!strcmp(u, "/retention/approve"))
        dg_web_retention_sign(p, 0);
    else if (!strcmp(u, "/retention/witness"))
        dg_web_retention_sign(p, 1);
    else if (!strcmp(u, "/me/password"))
        dg_web_me_password(p);
    else if (!strcmp(u, "/loans/request"))
        dg_web_loan_request(p);
    else if (!strcmp(u, "/loans/approve") || !strcmp(u, "/loans/refuse"))
        dg_web_loan_decide(p, !strcmp(u, "/loans/approve"));
    else if (!strcmp(u, "/loans/out"))
        dg_web_loan_out(p);
    else if (!strcmp(u, "/loans/return"))
        dg_web_loan_return(p);
    else if (!strcmp(u, "/loans/hand-back"))
        dg_web_loan_hand_back(p);
    else if (!strcmp(u, "/upload"))
        upload_start(x, p);
    else
        return 0;
    return 1;
}

/* /lang?to=en&back=/search: remembers the choice in a cookie and goes back. */
static void choose_lang_page(exchange *x, dg_web_page *p)
{
    const char *to = MHD_lookup_connection_value(x->conn, MHD_GET_ARGUMENT_KIND, "to");
    const char *back = MHD_lookup_connection_value(x->conn, MHD_GET_ARGUMENT_KIND, "back");
    if (dg_web_lang_parse(to) >= 0)
        add_cookie(x, "lang", to, 0);
    /* only a path of this site: never an open redirect */
    int local = back && back[0] == '/' && back[1] != '/' && back[1] != '\\' &&
                !strpbrk(back, "\r\n");
    redirect(p, local ? back : "/search");
}

static void handle_signed_in(exchange *x, dg_web_page *p, dg_archive *archive)
{
    if (x->is_post && !dg_web_token_equal(form_value(x->req, "csrf"), p->csrf)) {
        web_log(archive, p->login, x->origin, "web.csrf", "refused", x->url);
        dg_web_error(p, 403, dg_web_t(x->lang, W_BAD_FORM));
        return;
    }
    int found = x->is_post ? route_post(x, p, archive) : route_get(x, p);
    if (!found)
        dg_web_error(p, 404, "404");
    if (p->password_changed) {
        dg_web_session_end_login(x->h->sessions, p->login);
        add_cookie(x, SESSION_COOKIE, "", 1);
    }
}

static void handle_signed_out(exchange *x, dg_web_page *p, dg_archive *archive)
{
    if (!strcmp(x->url, "/login") && x->is_post)
        do_login(x, p, archive);
    else if (!strcmp(x->url, "/login"))
        show_login(x, p,
                   MHD_lookup_connection_value(x->conn, MHD_GET_ARGUMENT_KIND, "changed")
                       ? dg_web_t(x->lang, W_PASSWORD_CHANGED)
                       : NULL,
                   200);
    else if (x->is_post)
        dg_web_error(p, 403, dg_web_t(x->lang, W_SESSION_ENDED));
    else
        redirect(p, "/login");
}

static enum MHD_Result answer(exchange *x)
{
    dg_web_page p;
    page_init(x, &p);
    const char *type;
    size_t len;
    const char *asset = dg_web_asset(x->url, &type, &len);
    if (asset && !x->is_post) {
        x->static_asset = 1;
        p.content_type = type;
        dg_buf_add(&p.body, asset, len);
    } else if (!strcmp(x->url, "/lang")) {
        choose_lang_page(x, &p);
    } else if (x->req->up && dg_web_upload_error(x->req->up)) {
        dg_web_error(&p, 413, dg_web_upload_error(x->req->up));
    } else if (x->req->too_large) {
        dg_web_error(&p, 413, dg_web_t(x->lang, W_TOO_LARGE));
    } else {
        handle_slot *slot = checkout(x->h);
        p.archive = slot->archive;
        dg_web_session s;
        dg_actor actor;
        if (current_session(x, &p, slot->archive, &s, &actor))
            handle_signed_in(x, &p, slot->archive);
        else
            handle_signed_out(x, &p, slot->archive);
        checkin(x->h, slot);
    }
    enum MHD_Result rc = send_page(x, &p);
    free(p.bytes);
    dg_buf_free(&p.body);
    return rc;
}

/* An upload's files go to disk only for a live session (checked again, with the account,
 * before anything is done with them): anyone else meets the 64 KiB body limit. */
static void begin_upload(dg_http *h, struct MHD_Connection *conn, web_req *r)
{
    const char *token = MHD_lookup_connection_value(conn, MHD_COOKIE_KIND, SESSION_COOKIE);
    dg_web_session s;
    dg_error err;
    if (token && dg_web_session_find(h->sessions, token, monotonic_seconds(), &s) &&
        dg_web_upload_begin(&r->up, &err) != DG_OK)
        http_log(h, "%s", err.msg);
}

/* The first call of a request: its context, and a form parser for a POST body. */
static enum MHD_Result begin_request(dg_http *h, struct MHD_Connection *conn, const char *url,
                                     const char *method, void **con_cls)
{
    web_req *r = calloc(1, sizeof *r);
    if (!r)
        return MHD_NO;
    if (!strcmp(method, "POST"))
        r->pp = MHD_create_post_processor(conn, 16 * 1024, on_post_field, r);
    if (r->pp && !strcmp(url, "/upload"))
        begin_upload(h, conn, r);
    *con_cls = r;
    return MHD_YES;
}

static enum MHD_Result take_body(web_req *r, const char *data, size_t *size)
{
    r->body += *size;
    size_t limit = r->up ? DG_WEB_UPLOAD_BYTES + 1024 * 1024 : MAX_BODY;
    if (r->body > limit || !r->pp)
        r->too_large = 1; /* read on, answer once the body is in */
    else if (MHD_post_process(r->pp, data, *size) != MHD_YES)
        r->too_large = 1;
    *size = 0;
    return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    (void)version;
    if (!*con_cls)
        return begin_request(cls, conn, url, method, con_cls);
    web_req *r = *con_cls;
    if (*upload_data_size)
        return take_body(r, upload_data, upload_data_size);
    exchange x = {.h = cls, .conn = conn, .req = r, .url = url, .method = method,
                  .is_post = !strcmp(method, "POST")};
    client_address(&x);
    choose_language(&x);
    if (!x.is_post && strcmp(method, "GET") && strcmp(method, "HEAD")) {
        dg_web_page p;
        page_init(&x, &p);
        dg_web_error(&p, 405, "405");
        enum MHD_Result rc = send_page(&x, &p);
        dg_buf_free(&p.body);
        return rc;
    }
    return answer(&x);
}

/* ---- start and stop ---- */

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    const dg_http *h = cls;
    if (!h->o.log)
        return;
    char line[512];
    vsnprintf(line, sizeof line, fmt, ap);
    line[strcspn(line, "\n")] = '\0';
    http_log(h, "%s", line);
}

/* "127.0.0.1:8080" or "[::1]:8080" into a socket address. */
static dg_status parse_listen(const char *text, struct sockaddr_storage *ss, socklen_t *len,
                              dg_error *err)
{
    char host[INET6_ADDRSTRLEN + 2];
    const char *colon = strrchr(text, ':');
    size_t hlen = colon ? (size_t)(colon - text) : 0;
    char *end;
    long port = colon ? strtol(colon + 1, &end, 10) : -1;
    if (!colon || !colon[1] || *end || port < 0 || port > 65535 || hlen == 0 || hlen >= sizeof host)
        return dg_error_set(err, DG_ERR_USAGE, "--http %s: give ADDRESS:PORT, e.g. 127.0.0.1:8080",
                            text);
    memcpy(host, text, hlen);
    host[hlen] = '\0';
    memset(ss, 0, sizeof *ss);
    struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)port);
        *len = sizeof *v4;
        return DG_OK;
    }
    if (hlen > 2 && host[0] == '[' && host[hlen - 1] == ']') {
        host[hlen - 1] = '\0';
        if (inet_pton(AF_INET6, host + 1, &v6->sin6_addr) == 1) {
            v6->sin6_family = AF_INET6;
            v6->sin6_port = htons((uint16_t)port);
            *len = sizeof *v6;
            return DG_OK;
        }
    }
    return dg_error_set(err, DG_ERR_USAGE, "--http %s: '%s' is not an IP address", text, host);
}

static dg_status open_handles(dg_http *h, dg_error *err)
{
    h->n_slots = h->o.handles > 0 ? h->o.handles : DG_HTTP_DEFAULT_HANDLES;
    h->slots = calloc((size_t)h->n_slots, sizeof *h->slots);
    if (!h->slots)
        return dg_error_set(err, DG_ERR_NOMEM, "http: out of memory");
    for (int i = 0; i < h->n_slots; i++) {
        dg_status st = dg_archive_open(h->o.archive, &h->slots[i].archive, err);
        if (st != DG_OK)
            return st;
        dg_log_group_attach(h->slots[i].archive, h->o.log_group);
    }
    return DG_OK;
}

static void apply_defaults(dg_http_options *o)
{
    if (o->max_connections <= 0)
        o->max_connections = DG_HTTP_DEFAULT_CONNECTIONS;
    if (o->per_address <= 0)
        o->per_address = DG_HTTP_DEFAULT_PER_ADDRESS;
    if (o->timeout_seconds <= 0)
        o->timeout_seconds = DG_HTTP_DEFAULT_TIMEOUT;
    if (o->session_idle <= 0)
        o->session_idle = DG_HTTP_DEFAULT_IDLE;
    if (o->session_lifetime <= 0)
        o->session_lifetime = DG_HTTP_DEFAULT_LIFETIME;
}

static dg_status start_daemon(dg_http *h, dg_error *err)
{
    struct sockaddr_storage ss;
    socklen_t len;
    dg_status st = parse_listen(h->o.listen, &ss, &len, err);
    if (st != DG_OK)
        return st;
    unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
                     MHD_USE_ERROR_LOG | (ss.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0) |
                     (h->tls.cert ? MHD_USE_TLS : 0);
    struct MHD_OptionItem tls[] = {{MHD_OPTION_HTTPS_MEM_CERT, 0, h->tls.cert},
                                   {MHD_OPTION_HTTPS_MEM_KEY, 0, h->tls.key},
                                   {MHD_OPTION_END, 0, NULL}};
    h->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, h, MHD_OPTION_ARRAY, h->tls.cert ? tls : tls + 2,
        MHD_OPTION_EXTERNAL_LOGGER, mhd_log, h,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)h->o.max_connections,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)h->o.per_address,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)h->o.timeout_seconds,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(128 * 1024),
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, h, MHD_OPTION_END);
    if (!h->daemon)
        return dg_error_set(err, DG_ERR_IO, "--http %s: cannot listen there (in use, or not "
                                            "an address of this machine)", h->o.listen);
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->daemon, MHD_DAEMON_INFO_BIND_PORT);
    http_log(h, "web interface on %s (port %u)%s%s", h->o.listen,
             info ? (unsigned)info->port : 0, h->tls.cert ? " over TLS" : "",
             h->have_font ? "" : "; no watermark font: page images are refused");
    return DG_OK;
}

dg_status dg_http_start(const dg_http_options *opts, dg_http **out, dg_error *err)
{
    *out = NULL;
    dg_http *h = calloc(1, sizeof *h);
    if (!h)
        return dg_error_set(err, DG_ERR_NOMEM, "http: out of memory");
    h->o = *opts;
    apply_defaults(&h->o);
    pthread_mutex_init(&h->pool_lock, NULL);
    pthread_cond_init(&h->pool_free, NULL);
    dg_error font_err;
    h->have_font = dg_watermark_font_find(opts->font, h->font, sizeof h->font, &font_err) == DG_OK;
    if (!h->have_font && opts->font) {
        dg_http_stop(h);
        return dg_error_set(err, font_err.status, "%s", font_err.msg);
    }
    dg_status st = opts->tls_cert || opts->tls_key
                       ? dg_web_tls_load(opts->tls_cert, opts->tls_key, &h->tls, err)
                       : DG_OK;
    if (st == DG_OK)
        st = dg_web_sessions_new(MAX_SESSIONS, h->o.session_idle, h->o.session_lifetime,
                                 &h->sessions, err);
    if (st == DG_OK)
        st = dg_web_backoff_new(MAX_BACKOFF_KEYS, &h->backoff, err);
    dg_web_job_env env = {.archive = h->o.archive, .after_write = h->o.after_write,
                          .after_write_ctx = h->o.writes_ctx};
    if (st == DG_OK)
        st = dg_web_jobs_new(&env, &h->jobs, err);
    if (st == DG_OK)
        st = open_handles(h, err);
    if (st == DG_OK)
        st = start_daemon(h, err);
    if (st != DG_OK) {
        dg_http_stop(h);
        return st;
    }
    *out = h;
    return DG_OK;
}

void dg_http_stop(dg_http *h)
{
    if (!h)
        return;
    if (h->daemon) {
        MHD_stop_daemon(h->daemon);
        http_log(h, "stopped");
    }
    dg_web_jobs_free(h->jobs);
    for (int i = 0; h->slots && i < h->n_slots; i++)
        dg_archive_close(h->slots[i].archive);
    free(h->slots);
    dg_web_sessions_free(h->sessions);
    dg_web_backoff_free(h->backoff);
    dg_web_tls_free(&h->tls);
    pthread_mutex_destroy(&h->pool_lock);
    pthread_cond_destroy(&h->pool_free);
    free(h);
}
