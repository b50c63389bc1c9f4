/*
 * fileio.c — whole-file reads from descriptors.
 */
#include "fileio.h"

#include <errno.h>
#include <stdint.h>
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
