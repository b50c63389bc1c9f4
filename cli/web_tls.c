/*
 * web_tls.c — reading the web interface's certificate and key (web_tls.h).
 */
#include "web_tls.h"

#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A PEM certificate chain or key is never this long. */
#define MAX_PEM (1024 * 1024)

int dg_web_tls_supported(void)
{
    return MHD_is_feature_supported(MHD_FEATURE_TLS) == MHD_YES;
}

static dg_status read_fd(int fd, const char *what, const char *path, size_t size, char **out,
                         dg_error *err)
{
    char *buf = malloc(size + 1);
    if (!buf)
        return dg_error_set(err, DG_ERR_NOMEM, "%s: out of memory", what);
    size_t got = 0;
    while (got < size) {
        ssize_t n = read(fd, buf + got, size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    if (got != size) {
        sodium_memzero(buf, size + 1);
        free(buf);
        return dg_error_set(err, DG_ERR_IO, "%s %s: cannot be read whole", what, path);
    }
    buf[size] = '\0';
    *out = buf;
    return DG_OK;
}

/* Opens path as a regular file of at most MAX_PEM bytes; with private set, also owned by
 * this process's user and closed to group and others. */
static dg_status read_pem(const char *what, const char *path, int private, char **out,
                          dg_error *err)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return dg_error_set(err, DG_ERR_IO, "%s %s: %s", what, path, strerror(errno));
    struct stat st;
    dg_status s = DG_OK;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 || st.st_size > MAX_PEM)
        s = dg_error_set(err, DG_ERR_BAD_INPUT, "%s %s: not a PEM file", what, path);
    else if (private && st.st_uid != geteuid())
        s = dg_error_set(err, DG_ERR_DENIED, "%s %s: must be owned by the account the server "
                                             "runs as", what, path);
    else if (private && (st.st_mode & 077))
        s = dg_error_set(err, DG_ERR_DENIED, "%s %s: mode %03o lets others read the key; "
                                             "chmod 600 it", what, path,
                         (unsigned)(st.st_mode & 0777));
    if (s == DG_OK)
        s = read_fd(fd, what, path, (size_t)st.st_size, out, err);
    close(fd);
    return s;
}

dg_status dg_web_tls_load(const char *cert_path, const char *key_path, dg_web_tls *tls,
                          dg_error *err)
{
    tls->cert = tls->key = NULL;
    if (!cert_path || !key_path)
        return dg_error_set(err, DG_ERR_USAGE, "--tls-cert and --tls-key go together");
    if (!dg_web_tls_supported())
        return dg_error_set(err, DG_ERR_USAGE, "--tls-cert: this libmicrohttpd has no TLS; "
                                               "put nginx in front instead (see README)");
    dg_status st = read_pem("--tls-cert", cert_path, 0, &tls->cert, err);
    if (st == DG_OK)
        st = read_pem("--tls-key", key_path, 1, &tls->key, err);
    if (st != DG_OK)
        dg_web_tls_free(tls);
    return st;
}

void dg_web_tls_free(dg_web_tls *tls)
{
    if (tls->key)
        sodium_memzero(tls->key, strlen(tls->key));
    free(tls->key);
    free(tls->cert);
    tls->cert = tls->key = NULL;
}
