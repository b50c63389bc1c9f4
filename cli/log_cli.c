/*
 * log_cli.c — the access log's pieces that run in the dangan process, not as a request:
 * `dangan log keygen`, the direct-mode signing key (DANGAN_LOG_KEY), the archive's time
 * zone for this process, and the server's checkpointer.
 */
#include "log_cli.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../base/fileio.h"
#include "../engine/log.h"

#include "dispatch_log.h"

static void keygen_help(void)
{
    printf("usage: dangan log keygen NAME --output FILE\n\n"
           "Makes an Ed25519 key for signing the access log's checkpoints (or an auditor's own\n"
           "key for cosigning). The signing key goes to FILE (mode 0600), which must lie\n"
           "outside the archive folder: keep it where only the service account can read it, or\n"
           "hand it to systemd with LoadCredential=. The verifier key is printed: give it to\n"
           "the auditors and print it on the destruction register; it verifies checkpoints\n"
           "with `dangan log verify --key` or any C2SP signed-note verifier (Go's sumdb/note).\n\n"
           "  NAME           the log's name, the origin line of its checkpoints, e.g.\n"
           "                 school.example/dangan-log (no spaces, no '+')\n"
           "  --output FILE  where to write the signing key\n\n"
           "example:\n  dangan log keygen school.example/dangan-log --output /etc/dangan/log.key "
           "> log.pub\n");
}

/* The folder a new file would be created in must not be the archive or inside it. */
static int inside_archive(const char *archive, const char *file)
{
    char dir[PATH_MAX], real_dir[PATH_MAX], real_archive[PATH_MAX];
    dg_parent_dir(file, dir, sizeof dir);
    if (!realpath(dir, real_dir) || !realpath(archive, real_archive))
        return 0;
    size_t len = strlen(real_archive);
    return !strncmp(real_dir, real_archive, len) && (real_dir[len] == '/' || !real_dir[len]);
}

int dg_log_cli_keygen(const char *archive, int argc, char **argv, int help)
{
    if (help) {
        keygen_help();
        return 0;
    }
    const char *name = NULL, *output = NULL;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--output") && i + 1 < argc)
            output = argv[++i];
        else if (!name && strncmp(argv[i], "--", 2))
            name = argv[i];
        else {
            fprintf(stderr, "dangan: log keygen: unexpected argument '%s' (usage: dangan log "
                            "keygen NAME --output FILE)\n", argv[i]);
            return 2;
        }
    }
    if (!name || !output) {
        fprintf(stderr, "dangan: log keygen: give a NAME and --output FILE (usage: dangan log "
                        "keygen NAME --output FILE)\n");
        return 2;
    }
    if (inside_archive(archive, output)) {
        fprintf(stderr, "dangan: %s: the signing key must not lie inside the archive folder %s\n",
                output, archive);
        return 2;
    }
    char *skey, *vkey;
    dg_error err;
    dg_status st = dg_note_generate(name, &skey, &vkey, &err);
    if (st != DG_OK) {
        fprintf(stderr, "dangan: log keygen: %s\n", err.msg);
        return dg_status_exit_code(st);
    }
    int fd = open(output, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    int code = 0;
    size_t len = strlen(skey);
    if (fd < 0) {
        fprintf(stderr, "dangan: %s: %s\n", output,
                errno == EEXIST ? "exists already (a key is never overwritten)" : strerror(errno));
        code = errno == EEXIST ? 2 : 8;
    } else if (write(fd, skey, len) != (ssize_t)len || write(fd, "\n", 1) != 1 ||
               fsync(fd) != 0) {
        fprintf(stderr, "dangan: %s: %s\n", output, strerror(errno));
        unlink(output);
        code = 8;
    } else {
        printf("%s\n", vkey);
    }
    if (fd >= 0)
        close(fd);
    memset(skey, 0, len);
    free(skey);
    free(vkey);
    return code;
}

dg_status dg_log_cli_env_key(dg_archive *archive, dg_note_signer *key, int *have,
                             const char **checkpoints, dg_error *err)
{
    const char *path = getenv("DANGAN_LOG_KEY");
    const char *file = getenv("DANGAN_CHECKPOINTS");
    *have = 0;
    *checkpoints = file && *file ? file : NULL;
    if (!path || !*path)
        return DG_OK;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return dg_error_set(err, DG_ERR_IO, "DANGAN_LOG_KEY %s: %s", path, strerror(errno));
    dg_status st = dg_dispatch_key_outside_archive(archive, fd, path, err);
    if (st == DG_OK)
        st = dg_note_signer_read_fd(fd, path, key, err);
    close(fd);
    *have = st == DG_OK;
    return st;
}

static long long monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

dg_status dg_checkpointer_open(dg_checkpointer *c, dg_archive *archive, const char *key_path,
                               const char *checkpoints, int minutes, dg_error *err)
{
    memset(c, 0, sizeof *c);
    int fd = open(key_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return dg_error_set(err, DG_ERR_IO, "--log-key %s: %s", key_path, strerror(errno));
    dg_status st = dg_dispatch_key_outside_archive(archive, fd, key_path, err);
    if (st == DG_OK)
        st = dg_note_signer_read_fd(fd, key_path, &c->key, err);
    close(fd);
    c->path = checkpoints;
    c->interval_ms = (long)minutes * 60 * 1000;
    c->due_ms = monotonic_ms() + c->interval_ms;
    return st;
}

long dg_checkpointer_wait_ms(const dg_checkpointer *c)
{
    long long left = c->due_ms - monotonic_ms();
    return left > 0 ? (long)left : 0;
}

void dg_checkpointer_tick(dg_checkpointer *c, dg_archive *archive, int force, FILE *log)
{
    if (!force && dg_checkpointer_wait_ms(c) > 0)
        return;
    c->due_ms = monotonic_ms() + c->interval_ms;
    char *note = NULL;
    dg_error err;
    dg_status st = dg_log_checkpoint_sign(archive, &c->key, &note, &err);
    /* Ed25519 is deterministic: the same tree gives the same note, which is not repeated. */
    if (st == DG_OK && c->last && !strcmp(c->last, note)) {
        free(note);
        return;
    }
    if (st == DG_OK && c->path)
        st = dg_dispatch_log_keep(c->path, note, &err);
    if (st != DG_OK) {
        fprintf(log, "dangan serve: checkpoint not signed: %s\n", err.msg);
        free(note);
        return;
    }
    free(c->last);
    c->last = note;
}

void dg_checkpointer_close(dg_checkpointer *c)
{
    free(c->last);
    memset(c, 0, sizeof *c);
}

void dg_log_cli_apply_timezone(dg_archive *archive)
{
    char *zone = NULL;
    dg_error err;
    if (dg_log_timezone(archive, &zone, &err) == DG_OK && zone) {
        setenv("TZ", zone, 1);
        tzset();
    }
    free(zone);
}
