/*
 * fileio.c — whole-file reads from descriptors, and the write-all and read-up-to loops.
 */
#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../base/fault.h"

dg_status dg_read_fd_whole(int fd, const char *name, size_t max_bytes, char **data,
                           size_t *len, dg_error *err)
{
    *data = NULL;
    *len = 0;
    struct stat sb;
    if (fstat(fd, &sb) != 0)
        return dg_error_set(err, DG_ERR_BAD_INPUT, "%s: cannot read: %s", name, strerror(errno));
    if (!S_ISREG(sb.st_mode))
        return dg_error_set(err, DG_ERR_BAD_INPUT, "%s: not a regular file", name);
    if ((uint64_t)sb.st_size > max_bytes)
        return dg_error_set(err, DG_ERR_BAD_INPUT, "%s: larger than the %zu MiB limit", name,
                            max_bytes >> 20);
    char *buf = malloc((size_t)sb.st_size + 1);
    if (!buf)
        return dg_error_set(err, DG_ERR_NOMEM, "%s: out of memory", name);
    size_t got = 0;
    while (got < (size_t)sb.st_size) {
        ssize_t n = dg_fault("fileio.read") ? -1 : pread(fd, buf + got, (size_t)sb.st_size - got, (off_t)got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            free(buf);
            return dg_error_set(err, DG_ERR_BAD_INPUT, "%s: %s", name,
                                n < 0 ? strerror(errno) : "file shrank while being read");
        }
        got += (size_t)n;
    }
    buf[got] = '\0';
    *data = buf;
    *len = got;
    return DG_OK;
}

dg_status dg_make_private_dir(const char *path, dg_error *err)
{
    if (mkdir(path, 0700) != 0 && errno != EEXIST)
        return dg_error_set(err, DG_ERR_IO, "%s: cannot create folder: %s", path,
                            strerror(errno));
    return DG_OK;
}

dg_status dg_sync_close(int fd, const char *path, dg_status st, dg_error *err)
{
    if (st == DG_OK && fsync(fd) != 0)
        st = dg_error_set(err, DG_ERR_IO, "%s: cannot sync: %s", path, strerror(errno));
    if (close(fd) != 0 && st == DG_OK)
        st = dg_error_set(err, DG_ERR_IO, "%s: cannot close: %s", path, strerror(errno));
    return st;
}

/* Opens the folder path and syncs it, or (whole_fs) its whole file system. */
static dg_status sync_folder(const char *path, int whole_fs, dg_error *err)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return dg_error_set(err, DG_ERR_IO, "%s: cannot open folder: %s", path,
                            strerror(errno));
    int rc = whole_fs ? syncfs(fd) : fsync(fd);
    dg_status st = rc == 0 ? DG_OK
                           : dg_error_set(err, DG_ERR_IO, "%s: cannot sync: %s", path,
                                          strerror(errno));
    close(fd);
    return st;
}

dg_status dg_sync_filesystem(const char *path, dg_error *err)
{
    return sync_folder(path, 1, err);
}

dg_status dg_sync_dir(const char *path, dg_error *err)
{
    return sync_folder(path, 0, err);
}

/* A descriptor's failure as DG_ERR_IO naming path; a full disk says so in words. */
static dg_status fd_error(dg_error *err, const char *path, const char *what)
{
    if (errno == ENOSPC || errno == EDQUOT)
        return dg_error_set(err, DG_ERR_IO, "%s: %s: the disk is full (%s)", path, what,
                            strerror(errno));
    return dg_error_set(err, DG_ERR_IO, "%s: %s: %s", path, what, strerror(errno));
}

dg_status dg_write_all(int fd, const void *buf, size_t len, const char *fault_point,
                       const char *path, dg_error *err)
{
    const unsigned char *p = buf;
    while (len > 0) {
        ssize_t n = fault_point && dg_fault(fault_point) ? -1 : write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return fd_error(err, path, "cannot write");
        p += n;
        len -= (size_t)n;
    }
    return DG_OK;
}

dg_status dg_read_up_to(int fd, void *buf, size_t len, size_t *got, const char *path,
                        dg_error *err)
{
    unsigned char *p = buf;
    *got = 0;
    while (*got < len) {
        ssize_t n = read(fd, p + *got, len - *got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return fd_error(err, path, "cannot read");
        if (n == 0)
            break;
        *got += (size_t)n;
    }
    return DG_OK;
}

void dg_parent_dir(const char *path, char *buf, size_t size)
{
    snprintf(buf, size, "%s", path);
    char *slash = strrchr(buf, '/');
    if (!slash)
        snprintf(buf, size, ".");
    else if (slash == buf)
        buf[1] = '\0';
    else
        *slash = '\0';
}
