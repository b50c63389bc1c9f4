/*
 * commands.h — the `dangan` command line: each command's options, help, and how its
 * response is shown.
 *
 * A command turns argv into a request (dispatch.h) on the client side: options become
 * JSON arguments, and input files named on the command line are opened here, with the
 * caller's own rights, and passed by descriptor. The response comes back as JSON and is
 * rendered here for a terminal (or printed as JSON with --json), identically whether the
 * request ran in-process or on a server.
 */
#ifndef DG_COMMANDS_H
#define DG_COMMANDS_H

#include <jansson.h>
#include <stdio.h>

/* OPT_FILE: a file opened here and passed by descriptor; OPT_BATCH: a file or a folder
 * walked here, every file in it opened and passed (args.files, a list). */
typedef enum { OPT_FLAG, OPT_STRING, OPT_INT, OPT_FILE, OPT_BATCH } dg_opt_type;

typedef struct dg_opt_spec {
    const char *name; /* as typed: "--title" */
    const char *key;  /* JSON argument name */
    dg_opt_type type;
    const char *help;
} dg_opt_spec;

/* How a response is shown; csv applies to listings that offer it. */
typedef struct dg_render_ctx {
    FILE *out;
    int tty;  /* stdout is a terminal: highlight with bold, otherwise with [ ] */
    int csv;
    json_t *args;   /* the request's arguments (e.g. where to write an export) */
    int *exit_code; /* a renderer that fails on the client side (an export) sets it */
} dg_render_ctx;

typedef struct dg_command {
    const char *name;     /* "show", "user add" */
    const char *summary;
    const char *usage;
    const char *example;
    const char *positional[3]; /* JSON keys of leading positional arguments */
    /* (an OPT_BATCH positional takes every remaining word) */
    dg_opt_type positional_type[3];
    int rest_is_query;    /* remaining words join into args.query */
    int min_positional;
    const dg_opt_spec *opts;
    void (*render)(json_t *result, const dg_render_ctx *ctx);
} dg_command;

/* Finds the command named by argv (one or two words); *used says how many words. */
const dg_command *dg_command_find(int argc, char **argv, int *used);

/* Prints the overall help (commands, environment, exit codes) / one command's help. */
void dg_command_print_overview(FILE *out);
void dg_command_print_help(const dg_command *cmd, FILE *out);

/* For a word that only begins commands ("review", "hold"): lists its subcommands with
 * their summaries on out (NULL: only counts); returns how many (0: no command begins
 * with it). */
int dg_command_print_group(const char *word, FILE *out);

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
