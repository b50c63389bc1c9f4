/*
 * keys_cli.c — the master-key commands (keys_cli.h): making a key file, rotating an
 * archive's master key and encrypting an archive made without one. All run here, never
 * through a server: a master key must not travel over the socket.
 */
#include "keys_cli.h"

#include <stdio.h>
#include <string.h>

#include "../engine/encrypt_in_place.h"
#include "../engine/encryption.h"
#include "../engine/keys.h"
#include "../engine/user.h"

static const char USAGE[] =
    "usage: dangan keys generate FILE\n"
    "       dangan [--key-file OLD] keys rotate --new-key-file NEW\n"
    "       dangan --key-file KEY keys encrypt\n\n"
    "generate writes a new random master key (64 hex digits) to FILE, mode 0600; it never\n"
    "overwrites a file. Keep FILE outside the archive folder, readable only by the account\n"
    "that runs dangan, and keep a printed copy in a safe: losing the master key loses the\n"
    "archive.\n\n"
    "rotate re-wraps every record's data key under the key in NEW (no object is rewritten);\n"
    "from then on only NEW opens the archive. Admins only.\n\n"
    "encrypt encrypts, in place, an archive made without a master key: every\n"
    "record's files, titles, reasons and file names are sealed under a new record key,\n"
    "read back and compared, and the plain files overwritten and removed. From its start\n"
    "the archive opens only with KEY. Killed, run it again: it goes on where it stopped.\n"
    "Admins only; it holds the write lock one record at a time.\n";

static int generate(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "dangan: keys generate: give one FILE (usage: dangan keys generate "
                        "FILE)\n");
        return 2;
    }
    dg_error err;
    dg_status st = dg_master_key_generate(argv[2], &err);
    if (st != DG_OK) {
        fprintf(stderr, "dangan: %s\n", err.msg);
        return dg_status_exit_code(st);
    }
    printf("主密钥已生成 master key written to %s (0600). Keep a copy off this machine: "
           "without it the archive cannot be read.\n", argv[2]);
    return 0;
}

static int rotate(const char *archive_path, const char *login, int argc, char **argv)
{
    const char *new_key = NULL;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--new-key-file") && i + 1 < argc) {
            new_key = argv[++i];
        } else {
            fprintf(stderr, "dangan: keys rotate: unexpected argument '%s' (usage: dangan "
                            "keys rotate --new-key-file FILE)\n", argv[i]);
            return 2;
        }
    }
    if (!new_key) {
        fprintf(stderr, "dangan: keys rotate: give --new-key-file FILE\n");
        return 2;
    }
    dg_archive *archive = NULL;
    dg_actor actor;
    size_t count = 0;
    dg_error err;
    dg_status st = dg_archive_open(archive_path, &archive, &err);
    if (st == DG_OK)
        st = dg_actor_login(archive, login, "cli", &actor, &err);
    if (st == DG_OK)
        st = dg_encryption_rotate(archive, &actor, new_key, &count, &err);
    dg_archive_close(archive);
    if (st != DG_OK) {
        fprintf(stderr, "dangan: %s\n", err.msg);
        return dg_status_exit_code(st);
    }
    printf("主密钥已更换 %zu record keys re-wrapped; from now on use %s\n", count, new_key);
    return 0;
}

static int encrypt_existing(const char *archive_path, const char *login, int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "dangan: keys encrypt: unexpected argument '%s' (usage: "
                        "dangan --key-file KEY keys encrypt)\n", argv[2]);
        return 2;
    }
    dg_archive *archive = NULL;
    dg_actor actor;
    dg_encrypt_result r;
    dg_error err;
    dg_status st = dg_archive_open(archive_path, &archive, &err);
    if (st == DG_OK)
        st = dg_actor_login(archive, login, "cli", &actor, &err);
    if (st == DG_OK)
        st = dg_encrypt_in_place(archive, &actor, &r, &err);
    dg_archive_close(archive);
    if (st != DG_OK) {
        fprintf(stderr, "dangan: %s\n", err.msg);
        return dg_status_exit_code(st);
    }
    printf("档案已加密 %zu records encrypted (%zu files sealed, %llu plain files removed)%s; "
           "run 'dangan verify', and keep the key safe: without it the archive cannot be "
           "read\n", r.records, r.objects, (unsigned long long)r.removed,
           r.was_encrypted ? ", finishing an earlier run" : "");
    return 0;
}

int dg_keys_cli(const char *archive, const char *login, int argc, char **argv, int help)
{
    if (help || argc < 2) {
        fputs(USAGE, help ? stdout : stderr);
        return help ? 0 : 2;
    }
    if (!strcmp(argv[1], "generate"))
        return generate(argc, argv);
    if (!strcmp(argv[1], "rotate"))
        return rotate(archive, login, argc, argv);
    if (!strcmp(argv[1], "encrypt"))
        return encrypt_existing(archive, login, argc, argv);
    fprintf(stderr, "dangan: keys %s: unknown subcommand\n%s", argv[1], USAGE);
    return 2;
}
