/*
 * argv.h — turning a command's words into a request, on the client side.
 *
 * Options become JSON arguments as the command's table entry (commands.h) types them, and
 * input files named on the command line are opened here, with the caller's own rights,
 * and passed by descriptor (a server never opens a path on a client's behalf).
 */
#ifndef DG_ARGV_H
#define DG_ARGV_H

#include <jansson.h>
#include <stddef.h>

#include "commands.h"

/*
 * Parses the command's arguments into a request {"cmd": ..., "args": {...}}. Files are
 * opened and their descriptors appended to fds (up to max_fds). On a usage error returns
 * NULL with a message in msg.
 */
json_t *dg_command_build_request(const dg_command *cmd, int argc, char **argv, int *fds,
                                 size_t max_fds, size_t *n_fds, char *msg, size_t msg_size);

/*
 * Compares two file names as a person orders them: runs of digits (ASCII or full-width)
 * by their value, so week2 < week10 and 第2周 < 第10周; everything else byte by byte.
 * A batch folder's files are taken in this order.
 */
int dg_natural_compare(const char *a, const char *b);

/* Whether argv asks for --csv (for commands that render CSV). */
int dg_command_wants_csv(int argc, char **argv);

#endif
