/*
 * serve.c — the server: one I/O thread with poll, reader threads, one writer thread.
 *
 * A connection moves through three states. It starts BUSY: a reader thread admits it
 * (its OS user must have an archive account; otherwise it is refused, the refusal logged,
 * and it is closed at once, so a user without an account cannot hold a connection slot).
 * READING: the I/O thread collects one request frame (and the descriptors that came with
 * it) without ever blocking. BUSY: a reader thread parses and checks the request, then
 * runs it or hands it to the writer; the I/O thread only forwards the progress frames the
 * worker queues. SENDING: the response drains to the client; then the connection reads
 * its next request. A request must arrive whole, and a response be read whole, within the
 * time limit counted from its start (not from the last byte, so trickling does not
 * help); a client that misses it is dropped and never holds a worker or its result.
 *
 * Each OS user (peer) has a share: at most max_per_user connections and a share of the
 * passed-descriptor budget (descriptor_share), so one user can exhaust neither for the
 * others.
 */
#include "serve.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "../base/clock.h"
#include "../engine/archive.h"
#include "../engine/loan.h"
#include "../engine/log.h"
#include "../engine/user.h"
#include "dispatch.h"
#include "log_cli.h"
#include "protocol.h"

/* Progress is advisory: when a client lets this much pile up unread, more is dropped. */
#define PROGRESS_BACKLOG (64 * 1024)
/* At most this often: a reindex of 100,000 versions must not send 100,000 frames. */
#define PROGRESS_INTERVAL_MS 100

typedef enum { CONN_READING, CONN_BUSY, CONN_SENDING } conn_state;

/* What a worker is to do with a BUSY connection. */
typedef enum { JOB_ADMIT, JOB_PARSE, JOB_RUN } job_kind;

struct server;

/* One OS user with connections open. The I/O thread owns the list and the counts of
 * connections; fds_held is shared with the workers (atomic). */
typedef struct peer {
    uid_t uid;
    int conns;
    size_t fds_held;
    struct peer *next;
} peer;

typedef struct conn {
    int fd;
    pid_t pid;
    uid_t uid;
    char origin[48];
    conn_state state;
    job_kind job;
    peer *peer;
    dg_frame_reader reader;
    char *body; /* a complete request frame, parsed by a worker */
    size_t body_len;
    int *fds; /* descriptors that arrived with the current request */
    size_t n_fds, fds_cap;
    int fds_overflow;
    int fds_over_share; /* the OS user's share of the budget was used up */
    json_t *request;
    int want_progress;
    int close_after;  /* the stream cannot continue (bad framing, shutdown): close once sent */
    int broken;       /* the client went away: discard output, close when the worker is done */
    int gone;         /* the same, for the engine to read atomically: a search stops early */
    int64_t deadline; /* monotonic ms: the request must arrive, or the output drain, by then */
    struct server *server;
    struct conn *next_job;
    /* Shared with the worker running this connection's request. */
    pthread_mutex_t lock;
    char *out;
    size_t out_len, out_sent, out_cap;
    int answered;
    int64_t last_progress;
} conn;

typedef struct job_queue {
    conn *head, *tail;
} job_queue;

typedef struct worker {
    struct server *server;
    dg_archive *archive;
    int is_writer;
    pthread_t thread;
    int started;
    unsigned long writes_seen; /* a reader: the server's writes when it last let go */
    char notice_day[16];       /* the writer: the day of its last overdue notice */
} worker;

/* The writer wakes at least this often when idle, to write the day's overdue notice. */
#define NOTICE_WAKE_MS (15L * 60 * 1000)

typedef struct server {
    const dg_serve_options *opts;
    int listen_fd, signal_fd, wake_fd, lock_fd;
    ino_t socket_ino;
    int stopping;
    int64_t accept_paused_until; /* out of descriptors: stop accepting for a moment */
    /* Descriptors clients passed that are still open, against a budget that leaves the
     * engine room to open its own files. Updated by the I/O thread and the workers. */
    size_t fds_held;
    size_t fds_budget;
    size_t fds_per_user;
    peer *peers;
    conn **conns;
    size_t n_conns;
    pthread_mutex_t jobs_lock;
    pthread_cond_t reads_ready, writes_ready;
    job_queue reads, writes;
    /* Write requests finished; a reader whose handle is older lets go of it (see
     * dg_archive_release_index_reader): a destruction swaps in a new index folder. */
    unsigned long writes_done;
    int workers_stop;
    worker *workers;
    int n_workers;
    dg_checkpointer *checkpointer; /* with --log-key: the writer thread's */
    /* Every handle of the server (workers and web) commits its log entries together. */
    dg_log_group *log_group;
    dg_archive *log_writer; /* the group's own handle (dg_log_group_writer) */
} server;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void server_log(const server *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void server_log(const server *s, const char *fmt, ...)
{
    if (!s->opts->log)
        return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    /* A line may quote what a client sent (an argument's name): one line, no terminal
     * control, whatever it holds. */
    for (char *p = line; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7F)
            *p = '?';
    fprintf(s->opts->log, "dangan serve: %s\n", line);
    fflush(s->opts->log);
}

static void wake_io_thread(server *s)
{
    uint64_t one = 1;
    /* A full eventfd counter already means "wake up": nothing is lost if this fails. */
    ssize_t rc = write(s->wake_fd, &one, sizeof one);
    (void)rc;
}

/* ---- output: frames queued by workers and the I/O thread, drained by the I/O thread -- */

/* Appends an encoded frame to the connection's output. Caller holds c->lock. */
static int append_locked(conn *c, const char *frame, size_t len)
{
    if (c->broken)
        return 1;
    if (c->out_len + len > c->out_cap) {
        size_t cap = c->out_cap ? c->out_cap : 4096;
        while (cap < c->out_len + len)
            cap *= 2;
        char *grown = realloc(c->out, cap);
        if (!grown)
            return 0;
        c->out = grown;
        c->out_cap = cap;
    }
    memcpy(c->out + c->out_len, frame, len);
    c->out_len += len;
    return 1;
}

/* Encodes a response; one too large to send becomes an error response saying so. */
static char *encode_response(json_t *response, size_t *len)
{
    char *buf;
    dg_error err;
    if (dg_frame_encode(response, DG_PROTO_MAX_RESPONSE, &buf, len, &err) == DG_OK)
        return buf;
    json_t *error = dg_response_error(err.status, err.msg);
    dg_status st = error ? dg_frame_encode(error, DG_PROTO_MAX_RESPONSE, &buf, len, &err)
                         : DG_ERR_NOMEM;
    json_decref(error);
    return st == DG_OK ? buf : NULL;
}

/* Hands the connection back to the I/O thread with frame (len bytes, may be NULL: nothing
 * to send) queued; close_after ends the connection once it is sent. */
static void conn_hand_back(conn *c, const char *frame, size_t len, int close_after)
{
    server *s = c->server;
    pthread_mutex_lock(&c->lock);
    if (frame && !append_locked(c, frame, len))
        c->broken = 1; /* out of memory: the client sees the connection close */
    c->close_after |= close_after;
    c->answered = 1;
    pthread_mutex_unlock(&c->lock);
    /* From here c is the I/O thread's again, which may already have closed and freed it. */
    wake_io_thread(s);
}

/* Queues the final response (taking ownership of it) and marks the request answered;
 * close_after ends the connection once the response is sent. No response (out of memory)
 * closes the connection. */
static void conn_answer(conn *c, json_t *response, int close_after)
{
    size_t len = 0;
    char *frame = response ? encode_response(response, &len) : NULL;
    json_decref(response);
    conn_hand_back(c, frame, len, close_after || !frame);
    free(frame);
}

/* Queues an advisory frame (progress, wait) unless the client is not reading them. */
static void conn_notify(conn *c, json_t *frame_json)
{
    char *frame;
    size_t len;
    if (!frame_json || dg_frame_encode(frame_json, DG_PROTO_MAX_REQUEST, &frame, &len, NULL) != DG_OK) {
        json_decref(frame_json);
        return;
    }
    json_decref(frame_json);
    pthread_mutex_lock(&c->lock);
    if (c->out_len - c->out_sent < PROGRESS_BACKLOG)
        append_locked(c, frame, len);
    pthread_mutex_unlock(&c->lock);
    free(frame);
    wake_io_thread(c->server);
}

static void on_progress(void *ctx, const char *what, uint64_t done, uint64_t total)
{
    conn *c = ctx;
    int64_t now = now_ms();
    if (done != 0 && done < total && now - c->last_progress < PROGRESS_INTERVAL_MS)
        return;
    c->last_progress = now;
    conn_notify(c, json_pack("{s:{s:s, s:I, s:I}}", "progress", "what", what ? what : "",
                             "done", (json_int_t)done, "total", (json_int_t)total));
}

static void on_wait(void *ctx, const char *message)
{
    conn_notify(ctx, json_pack("{s:s}", "wait", message ? message : "waiting"));
}

/* ---- workers ------------------------------------------------------------------------ */

static void close_request_fds(conn *c)
{
    for (size_t i = 0; i < c->n_fds; i++)
        close(c->fds[i]);
    __atomic_sub_fetch(&c->server->fds_held, c->n_fds, __ATOMIC_RELAXED);
    __atomic_sub_fetch(&c->peer->fds_held, c->n_fds, __ATOMIC_RELAXED);
    c->n_fds = 0;
    c->fds_overflow = 0;
    c->fds_over_share = 0;
}

/* The archive account of a connection: its OS login, as direct mode maps the caller. */
static void login_of(uid_t uid, char *login, size_t size)
{
    struct passwd pw, *found = NULL;
    char buf[4096];
    if (getpwuid_r(uid, &pw, buf, sizeof buf, &found) == 0 && found)
        snprintf(login, size, "%s", found->pw_name);
    else
        snprintf(login, size, "?");
}

static void queue_job(server *s, conn *c, int is_write);

/* A new connection: its OS user must have an archive account, or it is refused (the
 * engine logs the refusal) and closed before it can hold a slot. Nothing is answered to
 * an admitted connection: it goes on to read its first request. */
static void admit_job(worker *w, conn *c)
{
    char login[256];
    login_of(c->uid, login, sizeof login);
    dg_actor actor;
    dg_error err;
    dg_status st = dg_actor_login(w->archive, login, c->origin, &actor, &err);
    if (st == DG_OK) {
        conn_hand_back(c, NULL, 0, 0);
        return;
    }
    server_log(w->server, "refused uid %u (login %s, pid %d): %s", (unsigned)c->uid, login,
               (int)c->pid, st == DG_ERR_UNKNOWN_USER ? "no archive account" : err.msg);
    conn_answer(c, dg_response_error(st, err.msg), 1);
}

/* A complete request frame, parsed and checked here rather than on the I/O thread (a
 * 4 MiB frame of 400,000 keys costs a parser real time). Returns 1 when the caller is to
 * run it now; 0 when it was answered (an error) or handed to the writer, because it
 * changes the archive (c then belongs to the writer: not to be touched again). */
static int parse_job(worker *w, conn *c)
{
    dg_error err;
    json_t *request = NULL;
    dg_status st = dg_request_parse(c->body, c->body_len, c->n_fds, &request, &err);
    free(c->body);
    c->body = NULL;
    if (st != DG_OK) {
        close_request_fds(c);
        server_log(w->server, "bad request from pid %d (uid %u): %s", (int)c->pid,
                   (unsigned)c->uid, err.msg);
        conn_answer(c, dg_response_error(st, err.msg), 0);
        return 0;
    }
    int read_only = dg_dispatch_is_read_only(json_string_value(json_object_get(request, "cmd")));
    c->request = request;
    c->want_progress = json_is_true(json_object_get(request, "progress"));
    c->last_progress = 0;
    c->job = JOB_RUN;
    if (read_only)
        return 1;
    queue_job(w->server, c, 1);
    return 0;
}

static void run_job(worker *w, conn *c)
{
    char login[256];
    login_of(c->uid, login, sizeof login);
    dg_dispatch_io io = {.fds = c->fds, .n_fds = c->n_fds,
                         .progress = c->want_progress ? on_progress : NULL, .progress_ctx = c,
                         .cancelled = &c->gone};
    if (w->server->checkpointer) {
        io.log_key = &w->server->checkpointer->key;
        io.checkpoints = w->server->checkpointer->path;
    }
    dg_archive_set_wait_handler(w->archive, on_wait, c);
    json_t *response = dg_dispatch(w->archive, login, c->origin, c->request, &io);
    dg_archive_set_wait_handler(w->archive, NULL, NULL);
    const char *status = json_string_value(json_object_get(response, "status"));
    if (status && !strcmp(status, "unknown_user"))
        server_log(w->server, "refused uid %u (login %s, pid %d): no archive account",
                   (unsigned)c->uid, login, (int)c->pid);
    json_decref(c->request);
    c->request = NULL;
    close_request_fds(c);
    conn_answer(c, response, 0);
}

/* Whether the client hung up while its request waited (the I/O thread watches for it):
 * then the request is not run at all, and no write happens that nobody would learn of. */
static int client_gone(worker *w, conn *c)
{
    pthread_mutex_lock(&c->lock);
    int gone = c->broken;
    pthread_mutex_unlock(&c->lock);
    if (!gone)
        return 0;
    server_log(w->server, "pid %d (uid %u) hung up before %s: not run", (int)c->pid,
               (unsigned)c->uid, c->job == JOB_ADMIT ? "it was admitted" : "its request ran");
    free(c->body);
    c->body = NULL;
    json_decref(c->request);
    c->request = NULL;
    close_request_fds(c);
    conn_hand_back(c, NULL, 0, 1);
    return 1;
}

static void do_job(worker *w, conn *c)
{
    if (client_gone(w, c))
        return;
    if (c->job == JOB_ADMIT) {
        admit_job(w, c);
        return;
    }
    if (c->job == JOB_PARSE && !parse_job(w, c))
        return;
    run_job(w, c);
}

/*
 * The next request for w, or NULL when the server stops. A reader also wakes when a write
 * has finished since it last looked; *release then says to let go of its index handle.
 */
static conn *next_job(worker *w, int *release)
{
    server *s = w->server;
    job_queue *q = w->is_writer ? &s->writes : &s->reads;
    pthread_cond_t *ready = w->is_writer ? &s->writes_ready : &s->reads_ready;
    pthread_mutex_lock(&s->jobs_lock);
    while (!q->head && !s->workers_stop && (w->is_writer || w->writes_seen == s->writes_done)) {
        /* The writer wakes when a checkpoint falls due, and signs it before its next job. */
        if (w->is_writer) {
            long wait = s->checkpointer ? dg_checkpointer_wait_ms(s->checkpointer)
                                        : NOTICE_WAKE_MS;
            if (wait > NOTICE_WAKE_MS)
                wait = NOTICE_WAKE_MS;
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_sec += wait / 1000 + 1;
            if (wait == 0 || pthread_cond_timedwait(ready, &s->jobs_lock, &until) == ETIMEDOUT)
                break;
        } else {
            pthread_cond_wait(ready, &s->jobs_lock);
        }
    }
    *release = !w->is_writer && w->writes_seen != s->writes_done;
    w->writes_seen = s->writes_done;
    conn *c = q->head;
    if (c) {
        q->head = c->next_job;
        if (!q->head)
            q->tail = NULL;
        c->next_job = NULL;
    }
    pthread_mutex_unlock(&s->jobs_lock);
    return c;
}

/* Counts a finished write and wakes the readers, so that idle ones let go of their index. */
static void note_write_done(server *s)
{
    pthread_mutex_lock(&s->jobs_lock);
    s->writes_done++;
    pthread_cond_broadcast(&s->reads_ready);
    pthread_mutex_unlock(&s->jobs_lock);
}

static int stopping(server *s)
{
    pthread_mutex_lock(&s->jobs_lock);
    int stop = s->workers_stop;
    pthread_mutex_unlock(&s->jobs_lock);
    return stop;
}

/* Pipes the notice to the school's mail command, if it configured one; says if it failed. */
static void mail_notice(const char *command, const char *today, const char *text, FILE *log)
{
    if (!command || !*command)
        return;
    FILE *mail = popen(command, "we");
    if (mail)
        fprintf(mail, "借阅逾期通知 %s\n\n%s", today, text);
    int rc = mail ? pclose(mail) : -1;
    if (rc != 0)
        fprintf(log, "dangan serve: overdue notice not mailed: '%s' %s\n", command,
                mail ? "failed" : "could not be started");
}

/*
 * Once a day (the archive's day, by the loan clock, base/clock.h), the writer writes the
 * overdue loans to the server's log, so the records room sees them without asking.
 */
static void overdue_notice(worker *w)
{
    char today[16];
    time_t now = dg_clock_now();
    struct tm tm;
    localtime_r(&now, &tm);
    strftime(today, sizeof today, "%Y-%m-%d", &tm);
    if (!w->server->opts->log || !strcmp(today, w->notice_day))
        return;
    snprintf(w->notice_day, sizeof w->notice_day, "%s", today);
    char *text = NULL;
    size_t n = 0;
    dg_error err;
    FILE *log = w->server->opts->log;
    if (dg_loan_overdue_notice(w->archive, &text, &n, &err) != DG_OK)
        fprintf(log, "dangan serve: overdue notice not written: %s\n", err.msg);
    else if (n) {
        fprintf(log, "dangan serve: 借阅逾期通知 %s: %zu overdue %s\n%s", today, n,
                n == 1 ? "loan" : "loans", text);
        mail_notice(w->server->opts->overdue_mail, today, text, log);
    }
    fflush(log);
    free(text);
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    if (w->is_writer) /* the day's notice at once, not after the first wait */
        overdue_notice(w);
    for (;;) {
        int release = 0;
        conn *c = next_job(w, &release);
        if (release)
            dg_archive_release_index_reader(w->archive);
        if (c) {
            do_job(w, c);
            if (w->is_writer)
                note_write_done(w->server);
        }
        if (w->is_writer)
            overdue_notice(w);
        if (w->is_writer && w->server->checkpointer)
            dg_checkpointer_tick(w->server->checkpointer, w->archive, !c && stopping(w->server),
                                 w->server->opts->log);
        if (!c && !release && stopping(w->server))
            return NULL;
    }
}

static void queue_job(server *s, conn *c, int is_write)
{
    job_queue *q = is_write ? &s->writes : &s->reads;
    pthread_mutex_lock(&s->jobs_lock);
    if (q->tail)
        q->tail->next_job = c;
    else
        q->head = c;
    q->tail = c;
    pthread_cond_signal(is_write ? &s->writes_ready : &s->reads_ready);
    pthread_mutex_unlock(&s->jobs_lock);
}

/* ---- connections (I/O thread) -------------------------------------------------------- */

/* The OS user's entry, made on their first connection; NULL when memory runs out. */
static peer *peer_find(server *s, uid_t uid)
{
    for (peer *p = s->peers; p; p = p->next)
        if (p->uid == uid)
            return p;
    peer *p = calloc(1, sizeof *p);
    if (p) {
        p->uid = uid;
        p->next = s->peers;
        s->peers = p;
    }
    return p;
}

/* Forgets an OS user who has no connection left (nothing of theirs is held then). */
static void peer_release_unused(server *s, peer *gone)
{
    for (peer **p = &s->peers; *p; p = &(*p)->next) {
        if (*p == gone) {
            *p = gone->next;
            free(gone);
            return;
        }
    }
}

static void peer_release(server *s, peer *p)
{
    if (--p->conns == 0)
        peer_release_unused(s, p);
}

static void conn_close(server *s, size_t index)
{
    conn *c = s->conns[index];
    close(c->fd);
    close_request_fds(c);
    peer_release(s, c->peer);
    free(c->body);
    free(c->fds);
    json_decref(c->request);
    dg_frame_reader_reset(&c->reader);
    pthread_mutex_destroy(&c->lock);
    free(c->out);
    free(c);
    s->conns[index] = s->conns[--s->n_conns];
}

/* Sends a frame the I/O thread composed (an error about the request itself). */
static void conn_reply_error(server *s, conn *c, dg_status status, const char *message,
                             int close_after)
{
    size_t len;
    json_t *response = dg_response_error(status, message);
    char *frame = response ? encode_response(response, &len) : NULL;
    json_decref(response);
    pthread_mutex_lock(&c->lock);
    if (!frame || !append_locked(c, frame, len))
        c->broken = 1;
    pthread_mutex_unlock(&c->lock);
    free(frame);
    c->close_after |= close_after;
    c->state = CONN_SENDING;
    c->deadline = now_ms() + s->opts->timeout_ms;
}

/* Keeps one passed descriptor for the current request, or closes it when the request
 * already has its maximum, the server its budget, the OS user their share of it, or
 * memory runs out. */
static void keep_fd(server *s, conn *c, int fd)
{
    if (c->n_fds == c->fds_cap && c->n_fds < DG_PROTO_MAX_FDS) {
        size_t cap = c->fds_cap ? c->fds_cap * 2 : 16;
        int *grown = realloc(c->fds, (cap < DG_PROTO_MAX_FDS ? cap : DG_PROTO_MAX_FDS) * sizeof *grown);
        if (grown) {
            c->fds = grown;
            c->fds_cap = cap < DG_PROTO_MAX_FDS ? cap : DG_PROTO_MAX_FDS;
        }
    }
    size_t held = __atomic_load_n(&s->fds_held, __ATOMIC_RELAXED);
    size_t mine = __atomic_load_n(&c->peer->fds_held, __ATOMIC_RELAXED);
    if (c->n_fds >= c->fds_cap || held >= s->fds_budget || mine >= s->fds_per_user) {
        close(fd);
        c->fds_overflow = 1;
        c->fds_over_share |= mine >= s->fds_per_user;
        return;
    }
    c->fds[c->n_fds++] = fd;
    __atomic_add_fetch(&s->fds_held, 1, __ATOMIC_RELAXED);
    __atomic_add_fetch(&c->peer->fds_held, 1, __ATOMIC_RELAXED);
}

static void take_fds(server *s, conn *c, struct msghdr *msg)
{
    if (msg->msg_flags & MSG_CTRUNC)
        c->fds_overflow = 1;
    for (struct cmsghdr *m = CMSG_FIRSTHDR(msg); m; m = CMSG_NXTHDR(msg, m)) {
        if (m->cmsg_level != SOL_SOCKET || m->cmsg_type != SCM_RIGHTS)
            continue;
        size_t n = (m->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        const unsigned char *data = CMSG_DATA(m);
        for (size_t i = 0; i < n; i++) {
            int fd;
            memcpy(&fd, data + i * sizeof fd, sizeof fd);
            keep_fd(s, c, fd);
        }
    }
}

/* Hands a connection to the workers (BUSY until they answer). */
static void conn_start_job(server *s, conn *c, int is_write)
{
    pthread_mutex_lock(&c->lock);
    c->answered = 0;
    pthread_mutex_unlock(&c->lock);
    c->state = CONN_BUSY;
    queue_job(s, c, is_write);
}

/* A complete request frame: a reader thread parses it and runs it (or hands it to the
 * writer); what is wrong with its descriptors is answered here. */
static void conn_request_ready(server *s, conn *c)
{
    dg_error err;
    dg_status st = DG_OK;
    if (c->fds_overflow && c->n_fds >= DG_PROTO_MAX_FDS)
        st = dg_error_set(&err, DG_ERR_USAGE, "bad request: more than %d files",
                          DG_PROTO_MAX_FDS);
    else if (c->fds_over_share)
        st = dg_error_set(&err, DG_ERR_BUSY, "server busy: your requests hold %zu files in "
                                             "flight, your share; try again shortly",
                          s->fds_per_user);
    else if (c->fds_overflow)
        st = dg_error_set(&err, DG_ERR_BUSY, "server busy: too many files in flight; try "
                                             "again shortly");
    if (st != DG_OK) {
        dg_frame_reader_reset(&c->reader);
        close_request_fds(c);
        server_log(s, "bad request from pid %d (uid %u): %s", (int)c->pid, (unsigned)c->uid,
                   err.msg);
        conn_reply_error(s, c, st, err.msg, 0);
        return;
    }
    c->body = dg_frame_reader_take(&c->reader, &c->body_len);
    c->job = JOB_PARSE;
    conn_start_job(s, c, 0);
}

/* Reads what has arrived of the current request, never past its end. */
static void conn_read(server *s, conn *c)
{
    for (;;) {
        size_t room;
        void *space = dg_frame_reader_space(&c->reader, &room);
        struct iovec iov = {.iov_base = space, .iov_len = room};
        /* Room for the kernel's largest SCM_RIGHTS message (SCM_MAX_FD, 253). */
        union {
            char buf[CMSG_SPACE(sizeof(int) * 256)];
            struct cmsghdr align;
        } control;
        struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
                             .msg_controllen = sizeof control.buf};
        ssize_t n = recvmsg(c->fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (n < 0 || n == 0) {
            if (dg_frame_reader_partial(&c->reader))
                server_log(s, "pid %d (uid %u) hung up in the middle of a request", (int)c->pid,
                           (unsigned)c->uid);
            c->broken = 1; /* closed by the caller once it sees nothing is pending */
            return;
        }
        take_fds(s, c, &msg);
        int complete;
        dg_error err;
        dg_status st = dg_frame_reader_advance(&c->reader, (size_t)n, &complete, &err);
        if (st != DG_OK) {
            close_request_fds(c);
            dg_frame_reader_reset(&c->reader);
            server_log(s, "bad request from pid %d (uid %u): %s", (int)c->pid, (unsigned)c->uid,
                       err.msg);
            conn_reply_error(s, c, st, err.msg, 1);
            return;
        }
        if (complete) {
            conn_request_ready(s, c);
            return;
        }
    }
}

/* Writes what is pending without blocking; marks the connection broken on a write error. */
static void conn_flush(server *s, conn *c)
{
    (void)s;
    pthread_mutex_lock(&c->lock);
    while (!c->broken && c->out_sent < c->out_len) {
        ssize_t n = send(c->fd, c->out + c->out_sent, c->out_len - c->out_sent,
                         MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (n <= 0) {
            c->broken = 1;
            break;
        }
        c->out_sent += (size_t)n; /* the deadline stays: it bounds the whole response */
    }
    if (c->broken || c->out_sent == c->out_len)
        c->out_len = c->out_sent = 0;
    pthread_mutex_unlock(&c->lock);
}

static int conn_has_output(conn *c)
{
    pthread_mutex_lock(&c->lock);
    int pending = !c->broken && c->out_sent < c->out_len;
    pthread_mutex_unlock(&c->lock);
    return pending;
}

/* Whether the connection is finished with; decides state changes after any event. */
static int conn_advance(server *s, conn *c)
{
    if (c->state == CONN_BUSY) {
        pthread_mutex_lock(&c->lock);
        int answered = c->answered;
        pthread_mutex_unlock(&c->lock);
        if (!answered)
            return 0; /* the worker still uses it, even if the client is gone */
        c->state = CONN_SENDING;
        c->deadline = now_ms() + s->opts->timeout_ms;
    }
    if (c->broken)
        return 1;
    if (c->state == CONN_SENDING && !conn_has_output(c)) {
        if (c->close_after || s->stopping)
            return 1;
        c->state = CONN_READING;
        c->deadline = now_ms() + s->opts->timeout_ms;
    }
    if (c->state == CONN_READING && s->stopping)
        return 1; /* not in flight: nothing of its request has been accepted */
    return 0;
}

/* A client that missed the time limit is told why (when it is still sending) and dropped. */
static int conn_check_deadline(server *s, conn *c, int64_t now)
{
    if (c->state == CONN_BUSY || now < c->deadline)
        return 0;
    if (c->state == CONN_READING && dg_frame_reader_partial(&c->reader)) {
        char msg[128];
        snprintf(msg, sizeof msg, "request timed out: it must arrive whole within %d ms",
                 s->opts->timeout_ms);
        server_log(s, "pid %d (uid %u): %s", (int)c->pid, (unsigned)c->uid, msg);
        conn_reply_error(s, c, DG_ERR_BUSY, msg, 1);
        conn_flush(s, c);
        return 1;
    }
    if (c->state == CONN_SENDING)
        server_log(s, "dropped pid %d (uid %u): it did not read its response within %d ms",
                   (int)c->pid, (unsigned)c->uid, s->opts->timeout_ms);
    return 1; /* an idle connection simply ends */
}

static void refuse_connection(server *s, int fd, const char *message)
{
    json_t *response = dg_response_error(DG_ERR_BUSY, message);
    size_t len;
    char *frame = response ? encode_response(response, &len) : NULL;
    json_decref(response);
    if (frame) {
        ssize_t rc = send(fd, frame, len, MSG_DONTWAIT | MSG_NOSIGNAL);
        (void)rc; /* best effort: the client is being turned away either way */
    }
    free(frame);
    close(fd);
    server_log(s, "%s", message);
}

static void accept_one(server *s, int fd)
{
    struct ucred cred;
    socklen_t len = sizeof cred;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
        server_log(s, "cannot identify a client (%s): refused", strerror(errno));
        close(fd);
        return;
    }
    peer *p = peer_find(s, cred.uid);
    char msg[192];
    if (p && p->conns >= s->opts->max_per_user) {
        /* One OS user may never fill the server: the others still get their slots. */
        snprintf(msg, sizeof msg, "server busy: OS user uid %u already has %d connections "
                                  "open; try again shortly (refused pid %d)",
                 (unsigned)cred.uid, p->conns, (int)cred.pid);
        refuse_connection(s, fd, msg);
        return;
    }
    if (s->n_conns >= (size_t)s->opts->max_clients) {
        snprintf(msg, sizeof msg, "server busy: %d connections are open; try again shortly "
                                  "(refused pid %d, uid %u)", s->opts->max_clients,
                 (int)cred.pid, (unsigned)cred.uid);
        if (p && p->conns == 0)
            peer_release_unused(s, p);
        refuse_connection(s, fd, msg);
        return;
    }
    conn *c = p ? calloc(1, sizeof *c) : NULL;
    if (!c || pthread_mutex_init(&c->lock, NULL) != 0) {
        free(c);
        if (p && p->conns == 0)
            peer_release_unused(s, p);
        close(fd);
        return;
    }
    c->fd = fd;
    c->pid = cred.pid;
    c->uid = cred.uid;
    c->peer = p;
    p->conns++;
    c->server = s;
    snprintf(c->origin, sizeof c->origin, "socket pid %d", (int)cred.pid);
    dg_frame_reader_init(&c->reader, DG_PROTO_MAX_REQUEST);
    s->conns[s->n_conns++] = c;
    /* A reader thread admits it before anything of it is read. */
    c->job = JOB_ADMIT;
    conn_start_job(s, c, 0);
}

static void accept_all(server *s)
{
    for (;;) {
        int fd = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) {
            accept_one(s, fd);
            continue;
        }
        if (errno == EINTR || errno == ECONNABORTED)
            continue;
        if (errno == EMFILE || errno == ENFILE) {
            /* The pending connection stays queued; polling the listening socket now would
             * only spin. Connections already open finish and free descriptors. */
            server_log(s, "accept: %s: pausing new connections for 100 ms", strerror(errno));
            s->accept_paused_until = now_ms() + 100;
        } else if (errno != EAGAIN && errno != EWOULDBLOCK) {
            server_log(s, "accept: %s", strerror(errno));
        }
        return;
    }
}

/* ---- the I/O loop ------------------------------------------------------------------ */

static void begin_shutdown(server *s)
{
    s->stopping = 1;
    size_t busy = 0;
    for (size_t i = 0; i < s->n_conns; i++)
        busy += s->conns[i]->state != CONN_READING;
    server_log(s, "stopping: finishing %zu request%s in flight", busy, busy == 1 ? "" : "s");
    close(s->listen_fd);
    s->listen_fd = -1;
    struct stat sb;
    /* Remove the socket only if it is still ours (not one a later server created). */
    if (stat(s->opts->socket_path, &sb) == 0 && sb.st_ino == s->socket_ino)
        unlink(s->opts->socket_path);
}

static void drain_signals(server *s)
{
    struct signalfd_siginfo info;
    while (read(s->signal_fd, &info, sizeof info) == (ssize_t)sizeof info)
        if (!s->stopping)
            begin_shutdown(s);
}

static void drain_wakeups(server *s)
{
    uint64_t count;
    ssize_t rc = read(s->wake_fd, &count, sizeof count);
    (void)rc; /* EAGAIN: woken already */
}

static int poll_timeout(server *s, int64_t now)
{
    int64_t soonest = s->accept_paused_until > now ? s->accept_paused_until - now : -1;
    for (size_t i = 0; i < s->n_conns; i++) {
        conn *c = s->conns[i];
        if (c->state == CONN_BUSY)
            continue;
        int64_t left = c->deadline > now ? c->deadline - now : 0;
        if (soonest < 0 || left < soonest)
            soonest = left;
    }
    return soonest < 0 ? -1 : (int)(soonest > 60000 ? 60000 : soonest);
}

/* What to poll a connection for; -1: nothing (its slot is skipped). A BUSY one is
 * polled for nothing but a hang-up (always reported), until one is seen. */
static int conn_events(conn *c)
{
    short events = 0;
    if (c->state == CONN_READING)
        events |= POLLIN;
    if (conn_has_output(c))
        events |= POLLOUT;
    if (events || c->state != CONN_BUSY)
        return events ? events : -1;
    pthread_mutex_lock(&c->lock);
    int broken = c->broken;
    pthread_mutex_unlock(&c->lock);
    return broken ? -1 : 0;
}

static void serve_connections(server *s, struct pollfd *pfd, size_t n_polled)
{
    int64_t now = now_ms();
    for (size_t i = 0; i < s->n_conns;) {
        conn *c = s->conns[i];
        short revents = i < n_polled && pfd[i].fd == c->fd ? pfd[i].revents : 0;
        if (c->state == CONN_READING && (revents & (POLLIN | POLLHUP | POLLERR)))
            conn_read(s, c);
        if (c->state == CONN_BUSY && (revents & (POLLHUP | POLLERR))) {
            /* The worker skips the request if it has not started it; a search it is
             * running stops at its next check. */
            server_log(s, "pid %d (uid %u) hung up before its answer", (int)c->pid,
                       (unsigned)c->uid);
            pthread_mutex_lock(&c->lock);
            c->broken = 1;
            pthread_mutex_unlock(&c->lock);
            __atomic_store_n(&c->gone, 1, __ATOMIC_RELAXED);
        }
        /* A response that just arrived is sent at once, and a connection whose response
         * has drained is ready for the next request, in the same pass. */
        conn_state before;
        int done;
        do {
            before = c->state;
            conn_flush(s, c);
            done = conn_advance(s, c);
        } while (!done && c->state != before);
        if (!done)
            done = conn_check_deadline(s, c, now);
        if (done)
            conn_close(s, i); /* moves the last connection into slot i */
        else
            i++;
    }
}

static dg_status io_loop(server *s, dg_error *err)
{
    size_t cap = (size_t)s->opts->max_clients + 3;
    struct pollfd *pfd = calloc(cap, sizeof *pfd);
    if (!pfd)
        return dg_error_set(err, DG_ERR_NOMEM, "server: out of memory");
    while (!s->stopping || s->n_conns > 0) {
        for (size_t i = 0; i < s->n_conns; i++) {
            int events = conn_events(s->conns[i]);
            pfd[i].fd = events >= 0 ? s->conns[i]->fd : -1;
            pfd[i].events = (short)(events >= 0 ? events : 0);
            pfd[i].revents = 0;
        }
        size_t n = s->n_conns;
        pfd[n] = (struct pollfd){.fd = s->signal_fd, .events = POLLIN};
        pfd[n + 1] = (struct pollfd){.fd = s->wake_fd, .events = POLLIN};
        int accepting = s->listen_fd >= 0 && now_ms() >= s->accept_paused_until;
        pfd[n + 2] = (struct pollfd){.fd = accepting ? s->listen_fd : -1, .events = POLLIN};
        int rc = poll(pfd, n + 3, poll_timeout(s, now_ms()));
        if (rc < 0 && errno != EINTR) {
            free(pfd);
            return dg_error_set(err, DG_ERR_IO, "poll: %s", strerror(errno));
        }
        if (rc > 0 && (pfd[n + 1].revents & POLLIN))
            drain_wakeups(s);
        int accept_ready = rc > 0 && accepting && (pfd[n + 2].revents & POLLIN);
        if (rc > 0 && (pfd[n].revents & POLLIN))
            drain_signals(s); /* first, so connections see the shutdown in this pass */
        serve_connections(s, pfd, n);
        if (accept_ready && !s->stopping)
            accept_all(s);
    }
    free(pfd);
    return DG_OK;
}

/* ---- setup and teardown ------------------------------------------------------------ */

static dg_status take_server_lock(server *s, dg_error *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/serve.lock", s->opts->archive);
    s->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (s->lock_fd < 0)
        return dg_error_set(err, DG_ERR_IO, "%s: %s", path, strerror(errno));
    if (flock(s->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        char pid[32] = "";
        ssize_t n = pread(s->lock_fd, pid, sizeof pid - 1, 0);
        pid[n > 0 ? n : 0] = '\0';
        pid[strcspn(pid, "\n")] = '\0';
        return dg_error_set(err, DG_ERR_BUSY,
                            "another server is already running on %s (pid %s)",
                            s->opts->archive, *pid ? pid : "unknown");
    }
    char pid[32];
    int len = snprintf(pid, sizeof pid, "%d\n", (int)getpid());
    if (ftruncate(s->lock_fd, 0) != 0 || pwrite(s->lock_fd, pid, (size_t)len, 0) != len)
        return dg_error_set(err, DG_ERR_IO, "%s: %s", path, strerror(errno));
    return DG_OK;
}

/* A socket file left by a server that was killed is removed; a live one is not. */
static dg_status clear_stale_socket(const char *path, const struct sockaddr_un *addr,
                                    dg_error *err)
{
    struct stat sb;
    if (lstat(path, &sb) != 0)
        return DG_OK;
    if (!S_ISSOCK(sb.st_mode))
        return dg_error_set(err, DG_ERR_EXISTS, "%s: exists and is not a socket", path);
    int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (probe < 0)
        return dg_error_set(err, DG_ERR_IO, "socket: %s", strerror(errno));
    int live = connect(probe, (const struct sockaddr *)addr, sizeof *addr) == 0;
    close(probe);
    if (live)
        return dg_error_set(err, DG_ERR_BUSY, "%s: another server is listening on it", path);
    if (unlink(path) != 0)
        return dg_error_set(err, DG_ERR_IO, "%s: cannot remove the stale socket: %s", path,
                            strerror(errno));
    return DG_OK;
}

static dg_status open_socket(server *s, dg_error *err)
{
    const char *path = s->opts->socket_path;
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof addr.sun_path)
        return dg_error_set(err, DG_ERR_USAGE, "%s: socket path too long", path);
    memcpy(addr.sun_path, path, strlen(path) + 1);
    dg_status st = clear_stale_socket(path, &addr, err);
    if (st != DG_OK)
        return st;
    s->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s->listen_fd < 0)
        return dg_error_set(err, DG_ERR_IO, "socket: %s", strerror(errno));
    if (bind(s->listen_fd, (struct sockaddr *)&addr, sizeof addr) != 0)
        return dg_error_set(err, DG_ERR_IO, "%s: %s%s", path, strerror(errno),
                            errno == ENOENT ? " (create its directory first)" : "");
    struct stat sb;
    /* Everyone may connect: who they are is the kernel's answer, what they may do the
     * engine's. */
    if (chmod(path, 0666) != 0 || stat(path, &sb) != 0)
        return dg_error_set(err, DG_ERR_IO, "%s: %s", path, strerror(errno));
    s->socket_ino = sb.st_ino;
    if (listen(s->listen_fd, 128) != 0)
        return dg_error_set(err, DG_ERR_IO, "%s: listen: %s", path, strerror(errno));
    return DG_OK;
}

static dg_status open_signals(server *s, sigset_t *old, dg_error *err)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    /* Blocked before any worker starts, so every thread inherits the mask and the
     * signals arrive only through the signalfd. */
    if (pthread_sigmask(SIG_BLOCK, &set, old) != 0)
        return dg_error_set(err, DG_ERR_INTERNAL, "cannot block signals");
    s->signal_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    s->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (s->signal_fd < 0 || s->wake_fd < 0)
        return dg_error_set(err, DG_ERR_IO, "signalfd/eventfd: %s", strerror(errno));
    return DG_OK;
}

/* One OS user's share of the passed-descriptor budget: a quarter, or when the budget is
 * small, enough for one request of DG_PROTO_MAX_FDS files as long as that is at most half.
 * Either way what one user holds (four half-sent frames of 4,000 files each) leaves the
 * others room to add and ingest. */
static size_t descriptor_share(size_t budget)
{
    size_t quarter = budget / 4, half_or_request = budget / 2;
    if (half_or_request > DG_PROTO_MAX_FDS)
        half_or_request = DG_PROTO_MAX_FDS;
    return quarter > half_or_request ? quarter : half_or_request;
}

/* Each connection may hold up to DG_PROTO_MAX_FDS passed files while its request waits:
 * take the whole descriptor allowance the administrator granted, not the soft default. */
static void raise_descriptor_limit(server *s)
{
    struct rlimit lim;
    if (getrlimit(RLIMIT_NOFILE, &lim) != 0) {
        s->fds_budget = 256;
        return;
    }
    if (lim.rlim_cur < lim.rlim_max) {
        rlim_t want = lim.rlim_max;
        lim.rlim_cur = want;
        if (setrlimit(RLIMIT_NOFILE, &lim) != 0) /* best effort: the old limit still works */
            getrlimit(RLIMIT_NOFILE, &lim);
    }
    /* Half for passed files; the rest for connections, the engine's files and slack. */
    rlim_t half = lim.rlim_cur == RLIM_INFINITY ? 1 << 20 : lim.rlim_cur / 2;
    s->fds_budget = half > 256 ? (size_t)half : 256;
    s->fds_per_user = descriptor_share(s->fds_budget);
}

static dg_status open_workers(server *s, dg_error *err)
{
    s->n_workers = s->opts->readers + 1;
    s->workers = calloc((size_t)s->n_workers, sizeof *s->workers);
    if (!s->workers)
        return dg_error_set(err, DG_ERR_NOMEM, "server: out of memory");
    /* Handles are opened here, one after another, then each belongs to its thread. */
    for (int i = 0; i < s->n_workers; i++) {
        worker *w = &s->workers[i];
        w->server = s;
        w->is_writer = i == 0;
        dg_status st = dg_archive_open(s->opts->archive, &w->archive, err);
        if (st != DG_OK)
            return st;
        dg_log_group_attach(w->archive, s->log_group);
        if (i == 0) {
            st = take_server_lock(s, err);
            if (st != DG_OK)
                return st;
        }
    }
    return DG_OK;
}

static dg_status start_workers(server *s, dg_error *err)
{
    for (int i = 0; i < s->n_workers; i++) {
        worker *w = &s->workers[i];
        if (pthread_create(&w->thread, NULL, worker_main, w) != 0)
            return dg_error_set(err, DG_ERR_INTERNAL, "cannot start a worker thread");
        w->started = 1;
    }
    return DG_OK;
}

static void stop_workers(server *s)
{
    pthread_mutex_lock(&s->jobs_lock);
    s->workers_stop = 1;
    pthread_cond_broadcast(&s->reads_ready);
    pthread_cond_broadcast(&s->writes_ready);
    pthread_mutex_unlock(&s->jobs_lock);
    for (int i = 0; i < s->n_workers; i++) {
        if (s->workers[i].started)
            pthread_join(s->workers[i].thread, NULL);
        dg_archive_close(s->workers[i].archive);
    }
    free(s->workers);
    s->workers = NULL;
}

static void server_close(server *s, const sigset_t *old_mask)
{
    /* Connections still open here only after a failure: no worker runs any more. */
    while (s->n_conns > 0)
        conn_close(s, s->n_conns - 1);
    free(s->conns);
    if (s->listen_fd >= 0) {
        close(s->listen_fd);
        struct stat sb;
        if (s->socket_ino && stat(s->opts->socket_path, &sb) == 0 &&
            sb.st_ino == s->socket_ino)
            unlink(s->opts->socket_path);
    }
    if (s->signal_fd >= 0)
        close(s->signal_fd);
    if (s->wake_fd >= 0)
        close(s->wake_fd);
    if (s->lock_fd >= 0)
        close(s->lock_fd); /* releases serve.lock */
    pthread_sigmask(SIG_SETMASK, old_mask, NULL);
    pthread_mutex_destroy(&s->jobs_lock);
    pthread_cond_destroy(&s->reads_ready);
    pthread_cond_destroy(&s->writes_ready);
}

/* ---- the web interface (http.h) ---- */

static void web_wrote(void *ctx)
{
    note_write_done(ctx);
}

static unsigned long web_writes_done(void *ctx)
{
    server *s = ctx;
    pthread_mutex_lock(&s->jobs_lock);
    unsigned long n = s->writes_done;
    pthread_mutex_unlock(&s->jobs_lock);
    return n;
}

/*
 * A read's access-log entry commits before its answer leaves, but its sync waits up to
 * LOG_SYNC_MS for the group's syncer (log.h): a lone search otherwise spends about a
 * third of its time waiting for its entry's sync. Changes still sync before answering.
 * Without the syncer (its WAL cannot be opened), every entry syncs, as before.
 */
#define LOG_SYNC_MS 200

static void defer_read_syncs(server *s)
{
    dg_error err;
    if (dg_log_group_defer_reads(s->log_group, s->workers[0].archive, LOG_SYNC_MS, &err) !=
        DG_OK)
        server_log(s, "every access-log entry syncs before its answer: %s", err.msg);
}

/* Starts the web listener beside the socket when --http was given. */
static dg_status start_http(server *s, dg_http **http, dg_error *err)
{
    *http = NULL;
    if (!s->opts->http.listen && (s->opts->http.tls_cert || s->opts->http.tls_key))
        return dg_error_set(err, DG_ERR_USAGE, "--tls-cert and --tls-key need --http");
    if (!s->opts->http.listen)
        return DG_OK;
    dg_http_options o = s->opts->http;
    o.archive = s->opts->archive;
    o.log = s->opts->log;
    o.after_write = web_wrote;
    o.writes_done = web_writes_done;
    o.writes_ctx = s;
    o.log_group = s->log_group;
    return dg_http_start(&o, http, err);
}

dg_status dg_serve(const dg_serve_options *given, dg_error *err)
{
    dg_serve_options resolved = *given;
    const dg_serve_options *opts = &resolved;
    if (resolved.max_per_user == 0)
        resolved.max_per_user = resolved.max_clients / 4 > 1 ? resolved.max_clients / 4 : 1;
    server s = {.opts = opts, .listen_fd = -1, .signal_fd = -1, .wake_fd = -1,
                .lock_fd = -1};
    if (opts->readers < 1 || opts->max_clients < 1 || opts->max_per_user < 1 ||
        opts->timeout_ms < 1)
        return dg_error_set(err, DG_ERR_USAGE,
                            "readers, clients, clients per user and timeout must be positive");
    pthread_mutex_init(&s.jobs_lock, NULL);
    pthread_cond_init(&s.reads_ready, NULL);
    pthread_cond_init(&s.writes_ready, NULL);
    sigset_t old_mask;
    sigemptyset(&old_mask);
    raise_descriptor_limit(&s);
    s.conns = calloc((size_t)opts->max_clients, sizeof *s.conns);
    dg_status st = s.conns ? dg_log_group_new(&s.log_group, err)
                           : dg_error_set(err, DG_ERR_NOMEM, "server: out of memory");
    if (st == DG_OK)
        st = open_workers(&s, err);
    if (st == DG_OK)
        st = dg_archive_open(opts->archive, &s.log_writer, err);
    if (st == DG_OK)
        dg_log_group_writer(s.log_group, s.log_writer);
    if (st == DG_OK)
        dg_log_cli_apply_timezone(s.workers[0].archive); /* before any thread starts */
    if (st == DG_OK && !opts->sync_every_entry)
        defer_read_syncs(&s);
    dg_checkpointer checkpointer;
    if (st == DG_OK && opts->log_key) {
        st = dg_checkpointer_open(&checkpointer, s.workers[0].archive, opts->log_key,
                                  opts->checkpoints,
                                  opts->checkpoint_minutes > 0 ? opts->checkpoint_minutes
                                                               : DG_SERVE_DEFAULT_CHECKPOINT_MINUTES,
                                  err);
        s.checkpointer = &checkpointer;
    }
    if (st == DG_OK)
        st = open_signals(&s, &old_mask, err);
    if (st == DG_OK)
        st = open_socket(&s, err);
    if (st == DG_OK)
        st = start_workers(&s, err);
    dg_http *http = NULL;
    if (st == DG_OK)
        st = start_http(&s, &http, err);
    if (st == DG_OK) {
        server_log(&s, "listening on %s for archive %s (pid %d, %d readers, 1 writer, at "
                       "most %d clients, %d per OS user)", opts->socket_path, opts->archive,
                   (int)getpid(), opts->readers, opts->max_clients, opts->max_per_user);
        st = io_loop(&s, err);
    }
    dg_http_stop(http);
    if (s.workers)
        stop_workers(&s);
    if (s.checkpointer)
        dg_checkpointer_close(s.checkpointer);
    server_close(&s, &old_mask);
    if (s.log_group) { /* how well the access log's group commit shared its commits */
        dg_log_group_counts c;
        dg_log_group_stats(s.log_group, &c);
        server_log(&s, "access log: %llu entries in %llu commits, %llu of them synced later "
                       "by %llu syncs", (unsigned long long)c.entries,
                   (unsigned long long)c.batches, (unsigned long long)c.deferred,
                   (unsigned long long)c.syncs);
    }
    dg_log_group_free(s.log_group); /* every handle attached to it is closed */
    dg_archive_close(s.log_writer);
    if (st == DG_OK)
        server_log(&s, "stopped");
    return st;
}

/* ---- the command ------------------------------------------------------------------- */

static void print_serve_help(void)
{
    printf("usage: dangan serve [--archive DIR] [--socket PATH] [--workers N] "
           "[--max-clients N] [--max-per-user N] [--timeout SECONDS]\n\n"
           "Runs the archive's server, as the account that owns the archive folder. Other\n"
           "users then run every dangan command through it (--socket PATH or DANGAN_SOCKET):\n"
           "the server learns who each one is from the kernel and applies their archive\n"
           "account's clearance and roles. Stops cleanly on SIGTERM or Ctrl-C.\n\n"
           "  --socket PATH      where to listen (default $DANGAN_SOCKET, else %s);\n"
           "                     its directory must exist\n"
           "  --workers N        threads for read-only requests (default %d); writes run one\n"
           "                     at a time on a thread of their own\n"
           "  --max-clients N    connections open at once; more are refused (default %d)\n"
           "  --max-per-user N   of them, one OS user's at most (default: a quarter)\n"
           "  --timeout SECONDS  a request must arrive whole, and a response be read whole,\n"
           "                     within this (default %d)\n"
           "  --log-key FILE     sign the access log's checkpoints with this key (mode 0600,\n"
           "                     outside the archive; or DANGAN_LOG_KEY, or a systemd\n"
           "                     credential): while the log grows, after every destruction\n"
           "                     and at shutdown\n"
           "  --checkpoints FILE append each checkpoint to FILE (or DANGAN_CHECKPOINTS);\n"
           "                     copy it off the machine\n"
           "  --checkpoint-every MINUTES  how often (default %d)\n"
           "  --sync-every-entry sync a read's access-log entry before answering too (by\n"
           "                     default it is written at once and synced within 0.2 s;\n"
           "                     a change's always syncs before its answer)\n"
           "  --overdue-mail CMD pipe the daily overdue-loan notice to this shell command\n"
           "                     too (e.g. \"mail -s 借阅逾期通知 archive@school.example\")\n"
           "  --http ADDR:PORT   serve the web interface there too (e.g. 127.0.0.1:8080;\n"
           "                     put nginx in front for TLS, see README)\n"
           "  --tls-cert FILE    serve it over HTTPS with this PEM certificate (chain) ...\n"
           "  --tls-key FILE     ... and key (owned by the server's account, mode 0600)\n"
           "  --http-proxy ADDR  believe X-Forwarded-For only from this proxy address\n"
           "  --http-font FILE   the font page watermarks are drawn with (default: Noto CJK)\n"
           "  --session-idle SECONDS      end a web session after this long unused (%d)\n"
           "  --session-lifetime SECONDS  end it after this long in any case (%d)\n"
           "  --http-insecure-cookies     leave Secure off the cookies: ONLY for tests over\n"
           "                     plain HTTP on loopback, never behind a proxy\n\n"
           "example:\n"
           "  dangan serve --archive /srv/dangan/archive --socket /run/dangan/dangan.sock\n",
           DG_SERVE_DEFAULT_SOCKET, DG_SERVE_DEFAULT_READERS, DG_SERVE_DEFAULT_MAX_CLIENTS,
           DG_SERVE_DEFAULT_TIMEOUT_MS / 1000, DG_SERVE_DEFAULT_CHECKPOINT_MINUTES,
           DG_HTTP_DEFAULT_IDLE, DG_HTTP_DEFAULT_LIFETIME);
}

static int parse_positive(const char *option, const char *text, double max, double *out)
{
    char *end;
    errno = 0;
    double v = text ? strtod(text, &end) : 0;
    if (!text || errno || *end || end == text || !(v > 0) || v > max) {
        fprintf(stderr, "dangan: serve: %s needs a positive number (at most %.0f)\n", option,
                max);
        return 0;
    }
    *out = v;
    return 1;
}

/* The web interface's options: how many words it took (0: not one of them, -1: bad). */
static int parse_http_arg(const char *name, const char *value, dg_http_options *h)
{
    double v;
    if (!strcmp(name, "--http-insecure-cookies")) {
        h->insecure_cookies = 1;
        return 1;
    }
    if (!strcmp(name, "--http") && value)
        h->listen = value;
    else if (!strcmp(name, "--http-proxy") && value)
        h->trusted_proxy = value;
    else if (!strcmp(name, "--http-font") && value)
        h->font = value;
    else if (!strcmp(name, "--tls-cert") && value)
        h->tls_cert = value;
    else if (!strcmp(name, "--tls-key") && value)
        h->tls_key = value;
    else if (!strcmp(name, "--session-idle") || !strcmp(name, "--session-lifetime")) {
        if (!parse_positive(name, value, 30 * 86400, &v))
            return -1;
        *(!strcmp(name, "--session-idle") ? &h->session_idle : &h->session_lifetime) = (int)v;
    } else
        return 0;
    return 2;
}

static int parse_serve_args(int argc, char **argv, dg_serve_options *o)
{
    for (int i = 1; i < argc; i++) {
        const char *value = i + 1 < argc ? argv[i + 1] : NULL;
        double v;
        int took = parse_http_arg(argv[i], value, &o->http);
        if (took < 0)
            return 0;
        if (took > 0) {
            i += took - 1;
            continue;
        }
        if (!strcmp(argv[i], "--sync-every-entry")) {
            o->sync_every_entry = 1;
            continue;
        }
        if (!strcmp(argv[i], "--workers") && parse_positive(argv[i], value, 256, &v))
            o->readers = (int)v;
        else if (!strcmp(argv[i], "--max-clients") && parse_positive(argv[i], value, 4096, &v))
            o->max_clients = (int)v;
        else if (!strcmp(argv[i], "--max-per-user") && parse_positive(argv[i], value, 4096, &v))
            o->max_per_user = (int)v;
        else if (!strcmp(argv[i], "--timeout") && parse_positive(argv[i], value, 3600, &v))
            o->timeout_ms = (int)(v * 1000) > 0 ? (int)(v * 1000) : 1;
        else if (!strcmp(argv[i], "--log-key") && value)
            o->log_key = value;
        else if (!strcmp(argv[i], "--checkpoints") && value)
            o->checkpoints = value;
        else if (!strcmp(argv[i], "--overdue-mail") && value)
            o->overdue_mail = value;
        else if (!strcmp(argv[i], "--checkpoint-every") &&
                 parse_positive(argv[i], value, 24 * 60, &v))
            o->checkpoint_minutes = (int)v > 0 ? (int)v : 1;
        else {
            if (strcmp(argv[i], "--workers") && strcmp(argv[i], "--max-clients") &&
                strcmp(argv[i], "--max-per-user") && strcmp(argv[i], "--timeout") &&
                strcmp(argv[i], "--checkpoint-every"))
                fprintf(stderr, "dangan: serve: unexpected argument '%s' (see 'dangan serve "
                                "--help')\n", argv[i]);
            return 0;
        }
        i++;
    }
    return 1;
}

int dg_serve_command(const char *archive, const char *socket_path, int argc, char **argv,
                     int help)
{
    if (help) {
        print_serve_help();
        return 0;
    }
    dg_serve_options o = {.archive = archive, .socket_path = socket_path,
                          .readers = DG_SERVE_DEFAULT_READERS,
                          .max_clients = DG_SERVE_DEFAULT_MAX_CLIENTS,
                          .timeout_ms = DG_SERVE_DEFAULT_TIMEOUT_MS, .log = stderr,
                          .log_key = getenv("DANGAN_LOG_KEY"),
                          .checkpoints = getenv("DANGAN_CHECKPOINTS")};
    if (!parse_serve_args(argc, argv, &o))
        return 2;
    dg_error err;
    dg_status st = dg_serve(&o, &err);
    if (st != DG_OK) {
        fprintf(stderr, "dangan: serve: %s\n", err.msg);
        return dg_status_exit_code(st);
    }
    return 0;
}
