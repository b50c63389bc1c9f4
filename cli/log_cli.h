/*
 * log_cli.h — the access log's pieces that run in the `dangan` process itself, not as a
 * request: making a signing key (`dangan log keygen`), which needs no archive, and loading
 * the process's own signing key from DANGAN_LOG_KEY for direct mode.
 */
#ifndef DG_LOG_CLI_H
#define DG_LOG_CLI_H

#include "../engine/archive.h"
#include "../engine/note.h"
#include "../engine/status.h"

/* Whether argv (after the global options) is `log keygen`. */
int dg_log_cli_is_keygen(int argc, char **argv);

/*
 * `dangan log keygen NAME --output FILE`: writes a new signing key to FILE (created, mode
 * 0600; never over an existing file, never inside the archive folder archive) and prints
 * its verifier key on standard output. Returns the exit code.
 */
int dg_log_cli_keygen(const char *archive, int argc, char **argv, int help);

/*
 * Loads the signing key named by DANGAN_LOG_KEY, if set (*have says), refusing one inside
 * the archive folder or readable by others. DANGAN_CHECKPOINTS names where the checkpoints
 * it signs are appended (*checkpoints, NULL when unset).
 */
dg_status dg_log_cli_env_key(dg_archive *archive, dg_note_signer *key, int *have,
                             const char **checkpoints, dg_error *err);

#endif
