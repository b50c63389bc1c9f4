/*
 * commands.h — the command table: every command of `dangan` in one place, as git's
 * commands[] in git.c.
 *
 * An entry names the command (sub-commands as two words: "log verify", "retention
 * review"), its request handler (request.h), whether it only reads, who may run it as its
 * help says, its help texts, its options and positional arguments, and its renderer. The
 * command line finds the command here (argv.h turns the rest of argv into a request),
 * dg_dispatch runs the handler named here, a server asks here whether a request only
 * reads, and `--help`, the overview and the README's command list (`dangan help
 * --markdown`) are printed from here. No other file matches a command's name.
 *
 * Three commands are not requests: `init`, `serve` and `log keygen` run in the dangan
 * process itself, before (or instead of) opening an archive. Their entries carry no
 * handler but say which of main.c's runners takes them (dg_local_kind), and those print
 * their own, longer help.
 */
#ifndef DG_COMMANDS_H
#define DG_COMMANDS_H

#include <jansson.h>
#include <stdio.h>

#include "render.h"
#include "request.h"

/* OPT_FILE: a file opened here and passed by descriptor; OPT_BATCH: a file or a folder
 * walked here, every file in it opened and passed (args.files, a list). */
typedef enum { OPT_FLAG, OPT_STRING, OPT_INT, OPT_FILE, OPT_BATCH } dg_opt_type;

typedef struct dg_opt_spec {
    const char *name; /* as typed: "--title" */
    const char *key;  /* JSON argument name */
    dg_opt_type type;
    const char *help;
} dg_opt_spec;

/* A command that is not a request, and the runner in main.c that takes it. */
typedef enum {
    DG_LOCAL_NONE, /* a request: built from argv, run by dg_dispatch, rendered */
    DG_LOCAL_INIT,
    DG_LOCAL_SERVE,
    DG_LOCAL_KEYGEN,
    DG_LOCAL_KEYS,
    DG_LOCAL_BACKUP
} dg_local_kind;

enum {
    /* Only reads: a server runs it beside other readers. */
    DG_CMD_READ_ONLY = 1u << 0,
    /* Destroys records: a process that holds the log's key signs a checkpoint after it. */
    DG_CMD_SIGNS_CHECKPOINT = 1u << 1,
    /* Left out of the overview and the group lists (described in the README instead). */
    DG_CMD_UNLISTED = 1u << 2,
};

typedef struct dg_command {
    const char *name;       /* "show", "user add", "classify --eval" */
    dg_handler_fn handler;  /* runs the request; NULL for a local command */
    unsigned flags;         /* DG_CMD_* */
    const char *role;       /* who may run it, as help shows it ("admin", "archivist,
                               auditor"); NULL when the help names nobody */
    const char *summary;    /* one line, without the role */
    const char *usage;
    const char *example;
    const char *positional[3]; /* JSON keys of leading positional arguments */
    /* (an OPT_BATCH positional takes every remaining word) */
    dg_opt_type positional_type[3];
    int rest_is_query;    /* remaining words join into args.query */
    int min_positional;
    const dg_opt_spec *opts;
    dg_render_fn render;
    dg_local_kind local;
} dg_command;

/* Finds the command named by argv (one or two words); *used says how many words. */
const dg_command *dg_command_find(int argc, char **argv, int *used);

/* The command whose name is exactly name (a request's "cmd"), or NULL. */
const dg_command *dg_command_named(const char *name);

/* Prints the overall help (commands, environment, exit codes) / one command's help. */
void dg_command_print_overview(FILE *out);
void dg_command_print_help(const dg_command *cmd, FILE *out);
/* A local command's usage line and summary (its entry has a usage when its runner serves
 * several commands and prints the forms of all of them after this). */
void dg_command_print_local_usage(const dg_command *cmd, FILE *out);

/* Prints the README's command list: a Markdown table of every listed command, its role
 * and what it does (`dangan help --markdown`; tests/e2e/test_readme.sh compares). */
void dg_command_print_markdown(FILE *out);

/* For a word that only begins commands ("review", "hold"): lists its subcommands with
 * their summaries on out (NULL: only counts); returns how many (0: no command begins
 * with it). */
int dg_command_print_group(const char *word, FILE *out);

#endif
