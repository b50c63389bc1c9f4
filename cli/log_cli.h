/*
 * log_cli.h — the access log's pieces that run in the `dangan` process itself, not as a
 * request: making a signing key (`dangan log keygen`), which needs no archive, and loading
 * the process's own signing key from DANGAN_LOG_KEY for direct mode.
 */
#ifndef DG_LOG_CLI_H
#define DG_LOG_CLI_H

#include <stdio.h>

#include "../engine/archive.h"
#include "../engine/note.h"
#include "../base/status.h"

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

/*
 * Sets the process's time zone (TZ) to the archive's "timezone" setting, when one is set,
 * so log times are read and shown in it. Call once, before any thread starts.
 */
void dg_log_cli_apply_timezone(dg_archive *archive);

/*
 * A server's checkpointer: signs a checkpoint with the server's key whenever
 * interval has passed and the log has grown since the last one, appending each to the
 * checkpoint file. Used by the server's writer thread only.
 */
typedef struct dg_checkpointer {
    dg_note_signer key;
    const char *path;  /* the checkpoint file, or NULL */
    long interval_ms;
    long long due_ms;  /* monotonic: when the next one is due */
    char *last;        /* the last note signed (an unchanged log signs the same note) */
} dg_checkpointer;

/* Loads the key at key_path (0600, outside the archive) for a checkpointer. */
dg_status dg_checkpointer_open(dg_checkpointer *c, dg_archive *archive, const char *key_path,
                               const char *checkpoints, int minutes, dg_error *err);
/* Milliseconds until the next checkpoint is due (0: now). */
long dg_checkpointer_wait_ms(const dg_checkpointer *c);
/* Signs when due (or when force is set) and the log changed; a failure is written to log. */
void dg_checkpointer_tick(dg_checkpointer *c, dg_archive *archive, int force, FILE *log);
void dg_checkpointer_close(dg_checkpointer *c);

#endif
