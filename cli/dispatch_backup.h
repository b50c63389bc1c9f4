/*
 * dispatch_backup.h — `dangan backup DEST [--keys-dest DIR]`, `dangan backup verify DEST`
 * and `dangan restore DEST --archive NEW --keys DIR`, run in the dangan process itself:
 * they need the master key (engine/keys.h), which never crosses the server's socket.
 */
#ifndef DG_DISPATCH_BACKUP_H
#define DG_DISPATCH_BACKUP_H

/* argv[0] is "backup" or "restore". Returns the exit status. */
int dg_backup_cli(const char *archive, const char *login, int argc, char **argv, int help);

#endif
