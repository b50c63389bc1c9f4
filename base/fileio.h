/*
 * fileio.h — reading a whole file from a descriptor the caller opened, and the plain
 * descriptor loops (write everything, read up to a length) the object store and the backup
 * share.
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

/* Makes the folder path with mode 0700; an existing one is fine. DG_ERR_IO naming it. */
dg_status dg_make_private_dir(const char *path, dg_error *err);

/*
 * Syncs (when st is DG_OK) and closes fd, which was written as path; returns st, or the
 * first failure of fsync or close as DG_ERR_IO naming path. The descriptor is closed in
 * every case, so a writer ends with one call whatever happened before.
 */
dg_status dg_sync_close(int fd, const char *path, dg_status st, dg_error *err);

/*
 * Makes durable at once everything written on the file system that holds the folder path
 * (syncfs(2)): a writer of many files writes them all unsynced, then calls this once, in
 * place of an fsync per file. Its failure (a write-back error of any file since the last
 * sync, on Linux 5.8 and later) is DG_ERR_IO naming path.
 */
dg_status dg_sync_filesystem(const char *path, dg_error *err);

/* The folder that holds path, into buf ("." for a bare name, "/" for a name at the root). */
void dg_parent_dir(const char *path, char *buf, size_t size);

/* Syncs the folder path itself, so that the renames and new names in it last. */
dg_status dg_sync_dir(const char *path, dg_error *err);

/*
 * Writes all len bytes to fd (written as path), retrying short writes and EINTR. When
 * fault_point is not NULL, every write(2) is a fault point of that name (fault.h), so the
 * object store's writes stay "store.write". A failure is DG_ERR_IO naming path, and says
 * "the disk is full" for ENOSPC or EDQUOT.
 */
dg_status dg_write_all(int fd, const void *buf, size_t len, const char *fault_point,
                       const char *path, dg_error *err);

/* Reads up to len bytes from fd (read as path) into buf; *got < len only at end of file. */
dg_status dg_read_up_to(int fd, void *buf, size_t len, size_t *got, const char *path,
                        dg_error *err);

#endif
