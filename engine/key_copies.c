/*
 * key_copies.c — the key backups (key_copies.h): copies of keys.db in the folders the
 * school named with `backup --keys-dest`, rewritten after every destruction and key
 * rotation so that a destroyed record's key survives nowhere.
 */
#include "key_copies.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../base/fileio.h"
#include "archive_internal.h"
#include "catalog.h"

static dg_status io_error(dg_error *err, const char *path, const char *what)
{
    return dg_error_set(err, DG_ERR_IO, "%s: %s: %s", path, what, strerror(errno));
}

/* One copy of keys.db in dir (online backup API into a temporary file, then renamed). */
dg_status dg_key_copies_write(dg_archive *archive, const char *dir, dg_error *err)
{
    dg_status st = dg_make_private_dir(dir, err);
    char tmp[PATH_MAX], path[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s/.keys.db.tmp", dir);
    snprintf(path, sizeof path, "%s/%s", dir, DG_KEYS_FILE);
    unlink(tmp);
    sqlite3 *dst = NULL;
    if (st == DG_OK &&
        sqlite3_open_v2(tmp, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
            SQLITE_OK)
        st = dg_error_set(err, DG_ERR_IO, "%s: %s", tmp, sqlite3_errmsg(dst));
    sqlite3_backup *bk = st == DG_OK
                             ? sqlite3_backup_init(dst, "main", dg_keys_db(archive->keys), "main")
                             : NULL;
    if (st == DG_OK && !bk)
        st = dg_error_set(err, DG_ERR_IO, "%s: %s", tmp, sqlite3_errmsg(dst));
    if (bk) {
        int rc = sqlite3_backup_step(bk, -1);
        sqlite3_backup_finish(bk);
        if (rc != SQLITE_DONE)
            st = dg_error_set(err, DG_ERR_IO, "%s: key backup: %s", dir, sqlite3_errstr(rc));
    }
    sqlite3_close(dst);
    chmod(tmp, 0600);
    int fd = st == DG_OK ? open(tmp, O_RDONLY | O_CLOEXEC) : -1;
    if (fd >= 0) {
        st = dg_sync_close(fd, tmp, st, err);
    }
    /* The previous copy is replaced, not kept: a key backup holds only the latest table. */
    if (st == DG_OK && rename(tmp, path) != 0)
        st = io_error(err, path, "cannot move into place");
    if (st != DG_OK)
        unlink(tmp);
    return st;
}

/* Adds dir (absolute) to the remembered key-backup folders. */
dg_status dg_key_copies_remember(dg_archive *archive, const char *dir, dg_error *err)
{
    char real[PATH_MAX];
    if (!realpath(dir, real))
        return io_error(err, dir, "cannot resolve");
    char *dirs = NULL;
    dg_status st = dg_setting_get(archive->db, DG_KEY_DIRS_SETTING, &dirs, err);
    if (st == DG_ERR_NOT_FOUND)
        st = DG_OK;
    if (st != DG_OK)
        return st;
    size_t len = (dirs ? strlen(dirs) : 0) + strlen(real) + 2;
    char *both = malloc(len);
    int known = 0;
    if (dirs) {
        char *copy = strdup(dirs), *save = NULL;
        for (char *d = copy ? strtok_r(copy, "\n", &save) : NULL; d; d = strtok_r(NULL, "\n", &save))
            known |= strcmp(d, real) == 0;
        free(copy);
    }
    if (both && !known) {
        snprintf(both, len, "%s%s%s", dirs ? dirs : "", dirs ? "\n" : "", real);
        st = dg_catalog_begin_write(archive->db, err);
        if (st == DG_OK)
            st = dg_setting_set(archive->db, DG_KEY_DIRS_SETTING, both, err);
        st = dg_catalog_end_write(archive->db, st, err);
    } else if (!both) {
        st = dg_error_set(err, DG_ERR_NOMEM, "out of memory");
    }
    free(both);
    free(dirs);
    return st;
}

dg_status dg_key_copies_refresh(dg_archive *archive, dg_error *err)
{
    if (!archive->keys)
        return DG_OK;
    char *dirs = NULL;
    dg_status st = dg_setting_get(archive->db, DG_KEY_DIRS_SETTING, &dirs, err);
    if (st == DG_ERR_NOT_FOUND)
        return DG_OK;
    char *save = NULL;
    for (char *d = st == DG_OK ? strtok_r(dirs, "\n", &save) : NULL; st == DG_OK && d;
         d = strtok_r(NULL, "\n", &save))
        st = dg_key_copies_write(archive, d, err);
    free(dirs);
    return st;
}
