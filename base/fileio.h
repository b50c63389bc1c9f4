/*
 * fileio.h — reading a whole file from a descriptor the caller opened.
 *
 * Files reach dangan as descriptors (the client opens them with its own rights; the server
 * never opens a path for a client), so every reader of input files starts here: one
 * regular file, up to a size limit, read whole with a terminating NUL (not counted).
 */
#ifndef DG_FILEIO_H
#define DG_FILEIO_H

#include <stddef.h>

#include "status.h"

/*
 * Reads the regular file open on fd (from offset 0) into *data (caller frees) and *len.
 * name is used in messages. Not a regular file, or larger than max_bytes, is
 * DG_ERR_BAD_INPUT; a read error or a file that shrinks while read is DG_ERR_BAD_INPUT too
 * (the input is at fault, not the archive).
 */
dg_status dg_read_fd_whole(int fd, const char *name, size_t max_bytes, char **data,
                           size_t *len, dg_error *err);

#endif
