/*
 * client.c — one request to a `dangan serve` server over its Unix socket.
 */
#include "client.h"

#include <errno.h>
#include <libgen.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "dispatch.h"
#include "protocol.h"

static json_t *failure(const char *socket_path, const char *what, const char *why)
{
    char msg[2 * DG_ERROR_MAX + 256];
    snprintf(msg, sizeof msg, "%s: %s: %s", socket_path, what, why);
    return dg_response_error(DG_ERR_IO, msg);
}

/* ---- is this our server? ------------------------------------------------------------ */

/* The uid the server must run as: DANGAN_SERVER_USER's, else the socket file's owner. */
static int expected_server_uid(const char *socket_path, uid_t *uid, char *why, size_t size)
{
    const char *user = getenv("DANGAN_SERVER_USER");
    if (user && *user) {
        struct passwd pw, *found = NULL;
        char buf[4096];
        if (getpwnam_r(user, &pw, buf, sizeof buf, &found) != 0 || !found) {
            snprintf(why, size, "DANGAN_SERVER_USER names no OS user '%.64s'", user);
            return 0;
        }
        *uid = found->pw_uid;
        return 1;
    }
    struct stat sb;
    if (stat(socket_path, &sb) != 0) {
        snprintf(why, size, "%s", strerror(errno));
        return 0;
    }
    *uid = sb.st_uid;
    return 1;
}

/*
 * Without DANGAN_SERVER_USER, the socket file's owner is trusted only when nobody else
 * could have put the file there: its folder must belong to that owner or to root and be
 * writable by no one else. (In a folder others can write, such as /tmp, anyone can make a
 * socket of their own under the expected name, and own it.)
 */
static int folder_is_private(const char *socket_path, uid_t owner, char *why, size_t size)
{
    if (getenv("DANGAN_SERVER_USER") && *getenv("DANGAN_SERVER_USER"))
        return 1;
    char copy[sizeof(((struct sockaddr_un *)0)->sun_path)];
    snprintf(copy, sizeof copy, "%s", socket_path);
    const char *folder = dirname(copy);
    struct stat sb;
    if (stat(folder, &sb) != 0) {
        snprintf(why, size, "%s: %s", folder, strerror(errno));
        return 0;
    }
    if ((sb.st_uid != 0 && sb.st_uid != owner) || (sb.st_mode & (S_IWGRP | S_IWOTH))) {
        snprintf(why, size, "its folder %.200s can be written by others, so anyone could have "
                            "made this socket: set DANGAN_SERVER_USER to the account the "
                            "server runs as", folder);
        return 0;
    }
    return 1;
}

static void name_of(uid_t uid, char *name, size_t size)
{
    struct passwd pw, *found = NULL;
    char buf[4096];
    if (getpwuid_r(uid, &pw, buf, sizeof buf, &found) == 0 && found)
        snprintf(name, size, "%s", found->pw_name);
    else
        snprintf(name, size, "uid %u", (unsigned)uid);
}

/*
 * Checks, before anything is sent, that the process listening on the socket runs as the
 * server's account (as PostgreSQL's requirepeer does): a socket planted by someone else
 * must never receive the caller's request or the descriptors of their files.
 */
static int server_is_trusted(int sock, const char *socket_path, json_t **error)
{
    char why[512];
    struct ucred cred;
    socklen_t len = sizeof cred;
    uid_t expected;
    if (getsockopt(sock, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
        *error = failure(socket_path, "cannot identify the server", strerror(errno));
        return 0;
    }
    if (!expected_server_uid(socket_path, &expected, why, sizeof why) ||
        !folder_is_private(socket_path, expected, why, sizeof why)) {
        *error = failure(socket_path, "refusing to trust the server", why);
        return 0;
    }
    if (cred.uid != expected) {
        char got[64], want[64];
        name_of(cred.uid, got, sizeof got);
        name_of(expected, want, sizeof want);
        snprintf(why, sizeof why, "it runs as %s, not as %s; nothing was sent", got, want);
        *error = failure(socket_path, "refusing to trust the server", why);
        return 0;
    }
    return 1;
}

/* ---- one exchange ------------------------------------------------------------------ */

static int connect_to(const char *socket_path, json_t **error)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (strlen(socket_path) >= sizeof addr.sun_path) {
        *error = failure(socket_path, "cannot connect", "socket path too long");
        return -1;
    }
    memcpy(addr.sun_path, socket_path, strlen(socket_path) + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        *error = failure(socket_path, "cannot connect", strerror(errno));
        return -1;
    }
    int rc;
    do
        rc = connect(fd, (struct sockaddr *)&addr, sizeof addr);
    while (rc != 0 && errno == EINTR);
    if (rc != 0) {
        char why[256];
        snprintf(why, sizeof why, "%s (is dangan serve running?)", strerror(errno));
        *error = failure(socket_path, "cannot connect", why);
        close(fd);
        return -1;
    }
    if (!server_is_trusted(fd, socket_path, error)) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Sends the frame. The descriptors travel in SCM_RIGHTS messages of at most
 * DG_PROTO_FDS_PER_MESSAGE, each attached to one byte of the frame's start; the rest of the
 * frame follows as plain data. */
static int send_frame(int sock, const char *buf, size_t len, const int *fds, size_t n_fds)
{
    size_t sent = 0, fds_sent = 0;
    while (sent < len) {
        size_t batch = n_fds - fds_sent < DG_PROTO_FDS_PER_MESSAGE ? n_fds - fds_sent
                                                                    : DG_PROTO_FDS_PER_MESSAGE;
        int last_batch = fds_sent + batch == n_fds;
        struct iovec iov = {.iov_base = (char *)buf + sent,
                            .iov_len = batch && !last_batch ? 1 : len - sent};
        struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
        union {
            char buf[CMSG_SPACE(sizeof(int) * DG_PROTO_FDS_PER_MESSAGE)];
            struct cmsghdr align;
        } control;
        if (batch) {
            memset(&control, 0, sizeof control);
            msg.msg_control = control.buf;
            msg.msg_controllen = CMSG_SPACE(sizeof(int) * batch);
            struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
            c->cmsg_level = SOL_SOCKET;
            c->cmsg_type = SCM_RIGHTS;
            c->cmsg_len = CMSG_LEN(sizeof(int) * batch);
            memcpy(CMSG_DATA(c), fds + fds_sent, sizeof(int) * batch);
        }
        ssize_t n = sendmsg(sock, &msg, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        sent += (size_t)n;
        fds_sent += batch; /* the descriptors went with the first byte that was sent */
    }
    return fds_sent == n_fds ? 0 : -1;
}

/* Reads exactly len bytes; 0 on success, -1 on error (errno) or early end (errno 0). */
static int read_exactly(int sock, void *buf, size_t len)
{
    size_t got = 0;
    while (got < len) {
        ssize_t n = read(sock, (char *)buf + got, len - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = 0;
            return -1;
        }
        got += (size_t)n;
    }
    return 0;
}

static json_t *read_failure(const char *socket_path)
{
    return failure(socket_path, "no answer",
                   errno ? strerror(errno)
                         : "the server closed the connection before answering");
}

/* Reads one frame from the server; NULL with *error set on failure. */
static json_t *read_frame(int sock, const char *socket_path, dg_frame_kind *kind,
                          json_t **error)
{
    unsigned char header[DG_PROTO_HEADER];
    if (read_exactly(sock, header, sizeof header) != 0) {
        *error = read_failure(socket_path);
        return NULL;
    }
    size_t len;
    dg_error err;
    if (dg_frame_length(header, DG_PROTO_MAX_RESPONSE, &len, &err) != DG_OK) {
        *error = failure(socket_path, "malformed answer from the server", err.msg);
        return NULL;
    }
    char *body = malloc(len);
    if (!body) {
        *error = failure(socket_path, "no answer", "out of memory");
        return NULL;
    }
    json_t *frame = NULL;
    if (read_exactly(sock, body, len) != 0)
        *error = read_failure(socket_path);
    else if (dg_server_frame_parse(body, len, kind, &frame, &err) != DG_OK)
        *error = failure(socket_path, "no answer", err.msg);
    free(body);
    return frame;
}

static void pass_on(json_t *frame, dg_frame_kind kind, const dg_client_io *io)
{
    if (kind == DG_FRAME_WAIT && io->wait) {
        io->wait(io->wait_ctx, json_string_value(json_object_get(frame, "wait")));
    } else if (kind == DG_FRAME_PROGRESS && io->progress) {
        json_t *p = json_object_get(frame, "progress");
        json_int_t done = json_integer_value(json_object_get(p, "done"));
        json_int_t total = json_integer_value(json_object_get(p, "total"));
        io->progress(io->progress_ctx, json_string_value(json_object_get(p, "what")),
                     done < 0 ? 0 : (uint64_t)done, total < 0 ? 0 : (uint64_t)total);
    }
}

/* The request as it goes on the wire: the caller's, plus the count of descriptors and
 * whether anyone is watching progress. */
static json_t *wire_request(json_t *request, size_t n_fds, const dg_client_io *io)
{
    json_t *wire = json_copy(request);
    if (!wire)
        return NULL;
    json_object_set_new(wire, "fds", json_integer((json_int_t)n_fds));
    json_object_set_new(wire, "progress", json_boolean(io->progress != NULL));
    return wire;
}

static json_t *exchange(int sock, const char *socket_path, json_t *request, const int *fds,
                        size_t n_fds, const dg_client_io *io)
{
    json_t *wire = wire_request(request, n_fds, io);
    char *buf = NULL;
    size_t len = 0;
    dg_error err;
    dg_status st = wire ? dg_frame_encode(wire, DG_PROTO_MAX_REQUEST, &buf, &len, &err)
                        : dg_error_set(&err, DG_ERR_NOMEM, "client: out of memory");
    json_decref(wire);
    if (st != DG_OK)
        return dg_response_error(st, err.msg);
    int send_errno = send_frame(sock, buf, len, fds, n_fds) == 0 ? 0 : errno;
    free(buf);
    /* Even when sending failed the server may have said why before it hung up. */
    for (;;) {
        dg_frame_kind kind;
        json_t *error = NULL;
        json_t *frame = read_frame(sock, socket_path, &kind, &error);
        if (!frame) {
            if (send_errno) {
                json_decref(error);
                return failure(socket_path, "cannot send the request", strerror(send_errno));
            }
            return error;
        }
        if (kind == DG_FRAME_RESPONSE)
            return frame;
        pass_on(frame, kind, io);
        json_decref(frame);
    }
}

json_t *dg_client_request(const char *socket_path, json_t *request, const int *fds,
                          size_t n_fds, const dg_client_io *io)
{
    static const dg_client_io no_io = {0};
    if (n_fds > DG_PROTO_MAX_FDS)
        return dg_response_error(DG_ERR_USAGE, "too many files for one request");
    json_t *error = NULL;
    int sock = connect_to(socket_path, &error);
    if (sock < 0)
        return error;
    json_t *response = exchange(sock, socket_path, request, fds, n_fds, io ? io : &no_io);
    close(sock);
    return response;
}
