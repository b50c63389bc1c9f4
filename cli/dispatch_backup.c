/*
 * dispatch_backup.c — the backup commands (dispatch_backup.h): arguments, progress on
 * stderr, the summary line, and the access-log entry of a backup verify.
 */
#include "dispatch_backup.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../engine/backup.h"
#include "../engine/encryption.h"
#include "../engine/log.h"
#include "../engine/user.h"

static const char USAGE[] =
    "usage: dangan backup DEST [--keys-dest DIR]\n"
    "       dangan backup verify DEST\n"
    "       dangan restore DEST --archive NEW --keys DIR\n\n"
    "backup writes an encrypted, incremental copy of the archive to DEST while it is in use\n"
    "(the catalog sealed under a key derived from the master key, objects as stored, a MACed\n"
    "manifest). --keys-dest DIR also copies the key table there (latest copy only); every\n"
    "later destruction updates it at once. The key table is never in DEST.\n"
    "backup verify checks every file of DEST against its manifest (read-only media are fine).\n"
    "restore rebuilds an archive in NEW from DEST and the key backup in DIR, checking every\n"
    "file as it copies it; records destroyed after the backup stay destroyed. The index is\n"
    "not in a backup: restore then rebuilds it (reindex) and proves the result (verify and\n"
    "log verify), exiting non-zero if either fails. --files-only stops after the files, at\n"
    "disk speed: searches refuse until you run reindex, verify and log verify yourself.\n"
    "All need the master key (--key-file, DANGAN_KEY_FILE or the systemd credential).\n";

static void on_progress(void *ctx, const char *what, uint64_t done, uint64_t total)
{
    (void)ctx;
    fprintf(stderr, "\r%s: %llu/%llu object files", what, (unsigned long long)done,
            (unsigned long long)total);
    if (done >= total)
        fputc('\n', stderr);
}

static int fail(dg_status st, const dg_error *err)
{
    fprintf(stderr, "dangan: %s\n", err->msg);
    return dg_status_exit_code(st);
}

static int run_backup(const char *path, const char *login, int argc, char **argv)
{
    const char *dest = NULL, *keys_dest = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--keys-dest") && i + 1 < argc)
            keys_dest = argv[++i];
        else if (!dest && strncmp(argv[i], "--", 2))
            dest = argv[i];
        else {
            fprintf(stderr, "dangan: backup: unexpected argument '%s'\n%s", argv[i], USAGE);
            return 2;
        }
    }
    if (!dest) {
        fprintf(stderr, "dangan: backup: give the backup folder DEST\n%s", USAGE);
        return 2;
    }
    dg_archive *archive = NULL;
    dg_actor actor;
    dg_error err;
    dg_backup_result r;
    dg_status st = dg_archive_open(path, &archive, &err);
    if (st == DG_OK) {
        dg_archive_set_progress_handler(archive, on_progress, NULL);
        st = dg_actor_login(archive, login, "cli", &actor, &err);
    }
    if (st == DG_OK)
        st = dg_backup_run(archive, &actor, dest, keys_dest, &r, &err);
    dg_archive_close(archive);
    if (st != DG_OK)
        return fail(st, &err);
    printf("备份完成 backup of %s to %s: %llu object files, %llu copied, %llu removed%s%s\n",
           path, dest, (unsigned long long)r.objects, (unsigned long long)r.copied,
           (unsigned long long)r.removed, keys_dest ? "; key table copied to " : "",
           keys_dest ? keys_dest : "");
    return 0;
}

/* A backup verify is logged in the archive it is run beside, when there is one. */
static void log_verify(const char *path, const char *login, const char *dest, dg_status st,
                       const char *why, uint64_t files)
{
    dg_archive *archive = NULL;
    dg_actor actor;
    dg_error err;
    if (access(path, F_OK) != 0 || dg_archive_open(path, &archive, &err) != DG_OK)
        return;
    char detail[1200];
    snprintf(detail, sizeof detail, "%s: %s", dest, st == DG_OK ? "ok" : why);
    dg_log_event ev = {.action = "backup.verify", .hits = (long)files,
                       .outcome = st == DG_OK ? "ok" : "error", .detail = detail};
    if (dg_actor_login(archive, login, "cli", &actor, &err) == DG_OK)
        dg_log_append(archive, &actor, NULL, &ev, &err);
    dg_archive_close(archive);
}

static int run_verify(const char *path, const char *login, int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "dangan: backup verify: give one backup folder\n%s", USAGE);
        return 2;
    }
    unsigned char master[DG_KEY_BYTES];
    uint64_t files = 0;
    dg_error err;
    dg_status st = dg_archive_master_key(argv[2], master, &err);
    if (st == DG_OK)
        st = dg_backup_verify(argv[2], master, &files, &err);
    sodium_memzero(master, sizeof master);
    log_verify(path, login, argv[2], st, err.msg, files);
    if (st != DG_OK)
        return fail(st, &err);
    printf("备份完好 ok: %s: %llu files match the signed manifest\n", argv[2],
           (unsigned long long)files);
    return 0;
}

static int run_restore(const char *path, const char *login, int argc, char **argv)
{
    const char *dest = NULL, *keys = NULL;
    int files_only = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--keys") && i + 1 < argc)
            keys = argv[++i];
        else if (!strcmp(argv[i], "--files-only"))
            files_only = 1;
        else if (!dest && strncmp(argv[i], "--", 2))
            dest = argv[i];
        else {
            fprintf(stderr, "dangan: restore: unexpected argument '%s'\n%s", argv[i], USAGE);
            return 2;
        }
    }
    if (!dest || !keys) {
        fprintf(stderr, "dangan: restore: give DEST and --keys DIR (and --archive NEW)\n%s",
                USAGE);
        return 2;
    }
    dg_restore_result r;
    dg_error err;
    dg_status st = dg_backup_restore(dest, keys, path, login, &r, &err);
    if (st != DG_OK)
        return fail(st, &err);
    double mb = (double)r.bytes / 1048576.0;
    printf("恢复完成 restored %s from %s: %llu files checked and copied, %.1f MB in %.2f s "
           "(%.1f MB/s), %.2f s in all; %zu records destroyed after the backup stay "
           "destroyed.\n",
           path, dest, (unsigned long long)r.files, mb, r.file_seconds,
           r.file_seconds > 0 ? mb / r.file_seconds : 0.0, r.seconds, r.keyless);
    if (files_only)
        printf("索引尚未重建 the index is not built yet, and searches refuse until it is. Now "
               "run: dangan --archive %s reindex && dangan --archive %s verify && dangan "
               "--archive %s log verify\n",
               path, path, path);
    else
        printf("接着重建索引并核验 now rebuilding the index (reindex), then verify and log "
               "verify\n");
    fflush(stdout);
    return 0;
}

int dg_backup_cli(const char *archive, const char *login, int argc, char **argv, int help)
{
    if (help) {
        fputs(USAGE, stdout);
        return 0;
    }
    if (!strcmp(argv[0], "restore"))
        return run_restore(archive, login, argc, argv);
    if (argc >= 2 && !strcmp(argv[1], "verify"))
        return run_verify(archive, login, argc, argv);
    return run_backup(archive, login, argc, argv);
}
