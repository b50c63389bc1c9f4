/*
 * main.c — the `dangan` program: global options, help, the runners of the three commands
 * that are not requests (`init` here; `serve` and `log keygen` handed to serve.h and
 * log_cli.h), and running one request.
 *
 * The command is found in the command table (commands.h); a request is built from argv
 * (argv.h), run in-process on an archive folder the caller owns or through a server
 * (client.h), and its response rendered. Errors go to stderr as "dangan: <what>: <why>";
 * the exit code comes from the response (see `dangan --help`).
 */
#include <jansson.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../engine/archive.h"
#include "../engine/user.h"
#include "../ingest/ingest.h"
#include "argv.h"
#include "client.h"
#include "commands.h"
#include "dispatch.h"
#include "dispatch_backup.h"
#include "keys_cli.h"
#include "log_cli.h"
#include "passwd_cli.h"
#include "render.h"
#include "serve.h"

/* The release; the Makefile may pass -DDANGAN_VERSION=... (e.g. from git describe). */
#ifndef DANGAN_VERSION
#define DANGAN_VERSION "0.9.0"
#endif

/* Every file of a batch travels as a descriptor; the soft limit is raised to match. */
#define MAX_FDS 4000

typedef struct global_opts {
    const char *archive;
    const char *socket; /* --socket PATH: run through a server */
    const char *as;  /* --as LOGIN: an admin owner acting as another account */
    int json;
    int help;
    int version; /* --version before any command word */
    int argc;     /* what is left for the command */
    char **argv;
} global_opts;

/* Pulls the global options out of argv wherever they stand; keeps the rest in order. */
/*
 * --key-file PATH is DANGAN_KEY_FILE=PATH for this process: the engine finds the master
 * key one way (engine/keys.h) whichever of the two the user chose.
 */
static void use_key_file(const char *path)
{
    setenv("DANGAN_KEY_FILE", path, 1);
}

static int parse_globals(int argc, char **argv, global_opts *g)
{
    g->argv = calloc((size_t)argc + 1, sizeof *g->argv);
    if (!g->argv)
        return 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--archive") && i + 1 < argc)
            g->archive = argv[++i];
        else if (!strncmp(argv[i], "--archive=", 10))
            g->archive = argv[i] + 10;
        else if (!strcmp(argv[i], "--socket") && i + 1 < argc)
            g->socket = argv[++i];
        else if (!strncmp(argv[i], "--socket=", 9))
            g->socket = argv[i] + 9;
        else if (!strcmp(argv[i], "--key-file") && i + 1 < argc)
            use_key_file(argv[++i]);
        else if (!strncmp(argv[i], "--key-file=", 11))
            use_key_file(argv[i] + 11);
        else if (!strcmp(argv[i], "--as") && i + 1 < argc)
            g->as = argv[++i];
        else if (!strcmp(argv[i], "--json"))
            g->json = 1;
        else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
            g->help = 1;
        else if (!strcmp(argv[i], "--version") && g->argc == 0) /* show --version N is not */
            g->version = 1;
        else
            g->argv[g->argc++] = argv[i];
    }
    return 1;
}

static const char *archive_path(const global_opts *g)
{
    if (g->archive)
        return g->archive;
    const char *env = getenv("DANGAN_ARCHIVE");
    return env && *env ? env : "archive";
}

/* The operating-system user running dangan: the archive account it maps to. */
static const char *os_login(void)
{
    struct passwd *pw = getpwuid(geteuid());
    return pw ? pw->pw_name : "?";
}

static void print_error(const char *message)
{
    fprintf(stderr, "dangan: %s\n", message);
}

static void on_wait(void *ctx, const char *message)
{
    (void)ctx;
    fprintf(stderr, "dangan: %s...\n", message);
}

/* When long work started, for the rate and the time left. */
typedef struct progress_state {
    struct timespec start;
    int started;
} progress_state;

/* Progress on stderr, only for a person watching a terminal (the caller checks). */
static void on_progress(void *ctx, const char *what, uint64_t done, uint64_t total)
{
    progress_state *p = ctx;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (!p->started) {
        p->start = now;
        p->started = 1;
    }
    double elapsed = (double)(now.tv_sec - p->start.tv_sec) +
                     (double)(now.tv_nsec - p->start.tv_nsec) / 1e9;
    double rate = elapsed > 0.5 ? (double)done / elapsed : 0;
    fprintf(stderr, "\r\033[K%s: %llu/%llu", what, (unsigned long long)done,
            (unsigned long long)total);
    if (rate > 0 && done < total)
        fprintf(stderr, ", %.1f/s, %.0f s left", rate, (double)(total - done) / rate);
    if (done >= total)
        fputc('\n', stderr);
    fflush(stderr);
}

static int run_init(const global_opts *g)
{
    const char *fonds = "X001", *name = "Archive";
    for (int i = 1; i < g->argc; i++) {
        if (!strcmp(g->argv[i], "--fonds") && i + 1 < g->argc)
            fonds = g->argv[++i];
        else if (!strcmp(g->argv[i], "--name") && i + 1 < g->argc)
            name = g->argv[++i];
        else if (!strcmp(g->argv[i], "--key-file") && i + 1 < g->argc)
            use_key_file(g->argv[++i]);
        else {
            fprintf(stderr, "dangan: init: unexpected argument '%s' (usage: dangan init "
                            "[--fonds CODE] [--name NAME] [--key-file PATH])\n", g->argv[i]);
            return 2;
        }
    }
    if (g->help) {
        printf("usage: dangan [--archive DIR] init [--fonds CODE] [--name NAME] "
               "[--key-file PATH]\n\n"
               "Creates an empty archive folder (mode 0700): catalog.db, objects/, index/,\n"
               "quarantine/. You (the OS user running this) become its first admin, with\n"
               "clearance 4 and the admin, archivist and auditor roles.\n\n"
               "  --fonds CODE   4-character fonds code (全宗号) for reference codes (default X001)\n"
               "  --name NAME    the archive's name\n"
               "  --key-file PATH  encrypt the archive under this master key (recommended;\n"
               "                 make one with 'dangan keys generate PATH'; also found as\n"
               "                 DANGAN_KEY_FILE or the systemd credential dangan-master-key)\n\n"
               "example:\n  dangan init --fonds X001 --name \"Example School Archive\"\n");
        return 0;
    }
    const char *path = archive_path(g);
    const char *me = os_login();
    dg_error err;
    dg_status st = dg_archive_create(path, fonds, name, me, me, &err);
    if (st != DG_OK) {
        print_error(err.msg);
        return dg_status_exit_code(st);
    }
    if (g->json) {
        printf("{\"archive\": \"%s\", \"fonds\": \"%s\", \"admin\": \"%s\"}\n", path, fonds, me);
    } else {
        printf("created archive %s (%s, fonds %s); %s is its admin\n", path, name, fonds, me);
    }
    return 0;
}

/*
 * --as: whoever owns the archive folder can read every byte of it anyway, so an admin
 * among them may look at the archive exactly as another account sees it (to check a
 * clearance, or in tests). The log records both names in the origin.
 */
static dg_status resolve_acting_login(dg_archive *archive, const global_opts *g,
                                      const char **login, char *origin, size_t size,
                                      dg_error *err)
{
    *login = os_login();
    snprintf(origin, size, "cli");
    if (!g->as)
        return DG_OK;
    dg_actor me;
    dg_status st = dg_actor_login(archive, *login, "cli", &me, err);
    if (st != DG_OK)
        return st;
    if (!(me.roles & DG_ROLE_ADMIN))
        return dg_error_set(err, DG_ERR_DENIED, "--as: only an admin may act as another account");
    snprintf(origin, size, "cli, %s acting as %s", *login, g->as);
    *login = g->as;
    return DG_OK;
}

/*
 * Nobody named an archive or a server and ./archive is not one: most likely a staff member
 * whose DANGAN_SOCKET is not set. Say what the two ways are instead of only "dangan init".
 */
static void explain_no_archive(dg_error *err)
{
    struct stat sb;
    int server_here = stat(DG_SERVE_DEFAULT_SOCKET, &sb) == 0 && S_ISSOCK(sb.st_mode);
    snprintf(err->msg, sizeof err->msg,
             "no archive in ./archive and no server named: to use your records room's server "
             "set DANGAN_SOCKET (or give --socket PATH)%s%s; to use an archive folder you own "
             "give --archive DIR (or set DANGAN_ARCHIVE); 'dangan init' creates a new archive",
             server_here ? ", e.g. DANGAN_SOCKET=" : "", server_here ? DG_SERVE_DEFAULT_SOCKET : "");
}

static json_t *run_direct(const global_opts *g, json_t *request, const int *fds, size_t n_fds)
{
    dg_archive *archive = NULL;
    dg_error err;
    dg_status st = dg_archive_open(archive_path(g), &archive, &err);
    const char *env = getenv("DANGAN_ARCHIVE");
    if (st == DG_ERR_NOT_FOUND && !g->archive && !(env && *env))
        explain_no_archive(&err);
    if (st != DG_OK)
        return dg_response_error(st, err.msg);
    dg_archive_set_wait_handler(archive, on_wait, NULL);
    dg_log_cli_apply_timezone(archive);
    const char *login;
    char origin[160];
    st = resolve_acting_login(archive, g, &login, origin, sizeof origin, &err);
    if (st != DG_OK) {
        dg_archive_close(archive);
        return dg_response_error(st, err.msg);
    }
    /* DANGAN_LOG_KEY: this process signs a checkpoint after every destruction. */
    dg_note_signer key;
    int have_key;
    const char *checkpoints;
    st = dg_log_cli_env_key(archive, &key, &have_key, &checkpoints, &err);
    if (st != DG_OK) {
        dg_archive_close(archive);
        return dg_response_error(st, err.msg);
    }
    progress_state progress = {0};
    dg_dispatch_io io = {.fds = fds, .n_fds = n_fds,
                         .progress = isatty(STDERR_FILENO) ? on_progress : NULL,
                         .progress_ctx = &progress, .log_key = have_key ? &key : NULL,
                         .checkpoints = checkpoints};
    json_t *response = dg_dispatch(archive, login, origin, request, &io);
    memset(&key, 0, sizeof key);
    dg_archive_close(archive);
    return response;
}

/* ---- socket mode: the same request, run by a server (cli/client.h) ---------------- */

/* An explicit --archive means direct mode; otherwise --socket or DANGAN_SOCKET. */
static const char *socket_path(const global_opts *g)
{
    if (g->socket)
        return g->socket;
    if (g->archive)
        return NULL;
    const char *env = getenv("DANGAN_SOCKET");
    return env && *env ? env : NULL;
}

static json_t *run_remote(const global_opts *g, const char *path, json_t *request,
                          const int *fds, size_t n_fds)
{
    if (g->archive && g->socket)
        return dg_response_error(DG_ERR_USAGE, "give --archive (direct) or --socket (through "
                                               "a server), not both");
    if (g->as)
        return dg_response_error(DG_ERR_USAGE, "--as is not available through a server: it "
                                               "knows you by your OS login");
    progress_state progress = {0};
    dg_client_io io = {.progress = isatty(STDERR_FILENO) ? on_progress : NULL,
                       .progress_ctx = &progress, .wait = on_wait};
    return dg_client_request(path, request, fds, n_fds, &io);
}

static int run_serve(const global_opts *g)
{
    const char *path = g->socket ? g->socket : getenv("DANGAN_SOCKET");
    return dg_serve_command(archive_path(g), path && *path ? path : DG_SERVE_DEFAULT_SOCKET,
                            g->argc, g->argv, g->help);
}

static int show_response(const dg_command *cmd, json_t *request, json_t *response,
                         const global_opts *g)
{
    if (!response) { /* the request failed and not even its error could be said */
        print_error("no response (out of memory, or a message that could not be encoded)");
        return dg_status_exit_code(DG_ERR_INTERNAL);
    }
    int exit_code = (int)json_integer_value(json_object_get(response, "exit"));
    int ok = json_is_true(json_object_get(response, "ok"));
    int csv = dg_command_wants_csv(g->argc, g->argv);
    if (!ok) {
        /* A message may quote a name someone else chose: never raw onto the terminal. */
        json_t *message = json_copy(json_object_get(response, "error"));
        dg_render_escape_controls(message);
        const char *error = json_string_value(message);
        print_error(error ? error : "failed (the response named no reason)");
        json_decref(message);
    }
    if (!ok && exit_code == 0) /* never exit 0 after a failure */
        exit_code = dg_status_exit_code(DG_ERR_INTERNAL);
    if (g->json) {
        json_t *shown = ok ? json_object_get(response, "result") : response;
        dg_render_plain_highlights(shown);
        dg_render_json(shown, stdout);
        fputc('\n', stdout);
    } else if (ok) {
        if (!csv) /* CSV stays exact, as --json does; its writer defuses formulas */
            dg_render_escape_controls(json_object_get(response, "result"));
        dg_render_ctx ctx = {.out = stdout, .tty = isatty(STDOUT_FILENO), .csv = csv,
                             .args = json_object_get(request, "args"), .exit_code = &exit_code};
        cmd->render(json_object_get(response, "result"), &ctx);
    }
    return exit_code;
}

/* `dangan`, `dangan help`, `dangan --help`: the overview; `dangan help --markdown`: the
 * README's command list. A bare `dangan` is a usage error, its overview on stderr. */
static int run_help(const global_opts *g)
{
    if (g->argc == 2 && !strcmp(g->argv[1], "--markdown")) {
        dg_command_print_markdown(stdout);
        return 0;
    }
    int bare = g->argc == 0 && !g->help;
    dg_command_print_overview(bare ? stderr : stdout);
    return bare ? 2 : 0;
}

/* init, serve and log keygen: not requests, run here (see commands.h). */
static int run_request(const dg_command *cmd, int used, const global_opts *g);

/*
 * What makes a restore prove itself (issue 19): the index it lacks rebuilt, then verify and
 * log verify, each run as the very command a user would type, so their output, progress,
 * log entries and exit codes are those commands' own. The first to fail ends the drill.
 */
static int restore_drill(const global_opts *g)
{
    static char *const steps[][3] = {{"reindex"}, {"verify"}, {"log", "verify"}};
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        global_opts step = *g;
        /* the archive just restored, in this process: never a server's (DANGAN_SOCKET) */
        step.archive = archive_path(g);
        step.socket = NULL;
        step.argv = (char **)steps[i];
        step.argc = steps[i][1] ? 2 : 1;
        int used = 0;
        const dg_command *cmd = dg_command_find(step.argc, step.argv, &used);
        int rc = cmd ? run_request(cmd, used, &step) : dg_status_exit_code(DG_ERR_INTERNAL);
        if (rc != 0) {
            fprintf(stderr, "dangan: restore: %s%s%s failed on the restored archive (exit %d)\n",
                    steps[i][0], steps[i][1] ? " " : "", steps[i][1] ? steps[i][1] : "", rc);
            return rc;
        }
    }
    return 0;
}

static int wants_files_only(const global_opts *g)
{
    for (int i = 1; i < g->argc; i++)
        if (!strcmp(g->argv[i], "--files-only"))
            return 1;
    return 0;
}

static int run_local(const dg_command *cmd, const global_opts *g)
{
    /* a runner of several commands prints all of their forms: this one's comes first */
    if (g->help && cmd->usage)
        dg_command_print_local_usage(cmd, stdout);
    switch (cmd->local) {
    case DG_LOCAL_INIT:
        return run_init(g);
    case DG_LOCAL_SERVE:
        return run_serve(g);
    case DG_LOCAL_KEYGEN:
        return dg_log_cli_keygen(archive_path(g), g->argc, g->argv, g->help);
    case DG_LOCAL_BACKUP: {
        int rc = dg_backup_cli(archive_path(g), os_login(), g->argc, g->argv, g->help);
        if (rc == 0 && !g->help && !strcmp(g->argv[0], "restore") && !wants_files_only(g))
            rc = restore_drill(g);
        return rc;
    }
    case DG_LOCAL_KEYS:
        return dg_keys_cli(archive_path(g), os_login(), g->argc, g->argv, g->help);
    case DG_LOCAL_NONE:
        break;
    }
    return dg_status_exit_code(DG_ERR_INTERNAL);
}

/* A request: built from argv here, run in-process or by a server, its response shown. */
static int run_request(const dg_command *cmd, int used, const global_opts *g)
{
    static int fds[MAX_FDS];
    size_t n_fds = 0;
    char msg[512];
    json_t *request = dg_command_build_request(cmd, g->argc - used, g->argv + used, fds,
                                               MAX_FDS, &n_fds, msg, sizeof msg);
    if (request && !dg_passwd_cli_fill(cmd->name, request, msg, sizeof msg)) {
        json_decref(request);
        request = NULL;
    }
    if (!request) {
        print_error(msg);
        return 2;
    }
    const char *sock = socket_path(g);
    json_t *response = sock ? run_remote(g, sock, request, fds, n_fds)
                            : run_direct(g, request, fds, n_fds);
    int status = show_response(cmd, request, response, g);
    json_decref(response);
    json_decref(request);
    for (size_t i = 0; i < n_fds; i++)
        close(fds[i]);
    return status;
}

/* The command named by the words after the global options, its help, or why not. */
static int run_command(const global_opts *g)
{
    int used = 0;
    const dg_command *cmd = dg_command_find(g->argc, g->argv, &used);
    if (cmd && cmd->local != DG_LOCAL_NONE)
        return run_local(cmd, g);
    if (!cmd && g->help && dg_command_print_group(g->argv[0], stdout))
        return 0;
    if (!cmd && dg_command_print_group(g->argv[0], NULL)) {
        fprintf(stderr, "dangan: %s: needs a subcommand\n", g->argv[0]);
        dg_command_print_group(g->argv[0], stderr);
        return 2;
    }
    if (!cmd) {
        fprintf(stderr, "dangan: %s: unknown command (see 'dangan --help')\n", g->argv[0]);
        return 2;
    }
    if (g->help) {
        dg_command_print_help(cmd, stdout);
        return 0;
    }
    return run_request(cmd, used, g);
}

static void raise_fd_limit(void)
{
    struct rlimit lim;
    if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < MAX_FDS + 64) {
        lim.rlim_cur = lim.rlim_max < MAX_FDS + 64 ? lim.rlim_max : MAX_FDS + 64;
        setrlimit(RLIMIT_NOFILE, &lim);
    }
}

int main(int argc, char **argv)
{
    /* Everything dangan creates holds records: nobody else may read it. */
    umask(077);
    raise_fd_limit();
    dg_archive_process_init();
    /* Tesseract's OpenMP threads inside each OCR worker would oversubscribe the cores. */
    setenv("OMP_THREAD_LIMIT", "1", 0);
    dg_ingest_quiet_libraries();
    global_opts g = {0};
    if (!parse_globals(argc, argv, &g))
        return 8;
    int status;
    if (g.version) {
        printf("dangan %s\n", DANGAN_VERSION);
        status = 0;
    } else if (g.argc == 0 || !strcmp(g.argv[0], "help")) {
        status = run_help(&g);
    } else {
        status = run_command(&g);
    }
    free(g.argv);
    return status;
}
