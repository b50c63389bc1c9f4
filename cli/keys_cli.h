/*
 * keys_cli.h — `dangan keys generate FILE`, `dangan keys rotate --new-key-file FILE` and
 * `dangan keys encrypt`, run in the dangan process itself (they handle the master key, which never crosses the
 * server's socket).
 */
#ifndef DG_KEYS_CLI_H
#define DG_KEYS_CLI_H

/* argv[0] is "keys", argv[1] the subcommand. Returns the exit status. */
int dg_keys_cli(const char *archive, const char *login, int argc, char **argv, int help);

#endif
