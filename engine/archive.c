/*
 * archive.c — the archive handle (archive.h, archive_internal.h): the parts an open archive
 * holds (catalog, object store, the write.lock file, the index handles), its identity, the
 * space reserve, and the progress and wait handlers. It is the engine's ground floor: it
 * calls no other engine module but the catalog and the store. Taking the write lock is
 * lock.c; creating an archive and finishing, at open, the work others left is
 * archive_open.c.
 */
#include "archive_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "catalog.h"
#include "indexer.h"
#include "sealed_text.h"

char *dg_archive_path_join(const char *dir, const char *name)
{
    size_t len = strlen(dir) + strlen(name) + 2;
    char *out = malloc(len);
    if (out)
        snprintf(out, len, "%s/%s", dir, name);
    return out;
}

void dg_archive_process_init(void)
{
    /* Fails only once SQLite is initialised (a call too late), which leaves the default. */
    (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

static dg_status load_identity(dg_archive *archive, dg_error *err)
{
    dg_status st = dg_setting_get(archive->db, "fonds", &archive->fonds, err);
    if (st == DG_OK)
        st = dg_setting_get(archive->db, "name", &archive->name, err);
    if (st == DG_ERR_NOT_FOUND)
        return dg_error_set(err, DG_ERR_CORRUPT, "%s: catalog has no fonds or name setting",
                            archive->path);
    return st;
}

dg_status dg_archive_master_key(const char *dir, unsigned char key[DG_KEY_BYTES],
                                dg_error *err)
{
    char *key_path = NULL;
    dg_status st = dg_master_key_path(&key_path, err);
    if (st == DG_OK && !key_path)
        st = dg_error_set(err, DG_ERR_DENIED,
                          "%s: the archive is encrypted and no master key was given "
                          "(--key-file PATH, DANGAN_KEY_FILE, or the systemd credential "
                          "dangan-master-key)", dir);
    if (st == DG_OK)
        st = dg_master_key_read(key_path, dir, key, err);
    free(key_path);
    return st;
}

static dg_status key_source(void *ctx, const char *key_id, unsigned char key[DG_STORE_KEY_BYTES],
                            dg_error *err)
{
    return dg_keys_get(ctx, key_id, key, err);
}

/* An archive made with a master key opens its key table; one made without has none. */
static dg_status open_keys(dg_archive *archive, dg_error *err)
{
    char *scheme = NULL;
    dg_status st = dg_setting_get(archive->db, DG_ENCRYPTION_SETTING, &scheme, err);
    free(scheme);
    if (st == DG_ERR_NOT_FOUND)
        return DG_OK;
    if (st != DG_OK)
        return st;
    unsigned char master[DG_KEY_BYTES];
    st = dg_archive_master_key(archive->path, master, err);
    dg_keys *keys = NULL;
    if (st == DG_OK)
        st = dg_keys_open(archive->path, master, &keys, err);
    sodium_memzero(master, sizeof master);
    if (st == DG_OK)
        dg_archive_attach_keys(archive, keys);
    return st;
}

void dg_archive_attach_keys(dg_archive *archive, dg_keys *keys)
{
    archive->keys = keys;
    dg_store_set_key_source(archive->store, key_source, keys);
}

static dg_status open_parts(dg_archive *archive, dg_error *err)
{
    struct stat sb;
    if (stat(archive->path, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return dg_error_set(err, DG_ERR_NOT_FOUND,
                            "%s: no archive here (create one with 'dangan init')", archive->path);
    char *catalog_path = dg_archive_path_join(archive->path, "catalog.db");
    char *objects_path = dg_archive_path_join(archive->path, "objects");
    char *lock_path = dg_archive_path_join(archive->path, "write.lock");
    archive->index_path = dg_archive_path_join(archive->path, "index");
    dg_status st = DG_OK;
    if (!catalog_path || !objects_path || !lock_path || !archive->index_path)
        st = dg_error_set(err, DG_ERR_NOMEM, "%s: out of memory", archive->path);
    if (st == DG_OK && access(catalog_path, F_OK) != 0)
        st = dg_error_set(err, errno == EACCES ? DG_ERR_DENIED : DG_ERR_NOT_FOUND,
                          "%s: %s", archive->path,
                          errno == EACCES ? "permission denied (the archive belongs to another "
                                            "account: use its server, DANGAN_SOCKET)"
                                          : "no archive here (create one with 'dangan init')");
    if (st == DG_OK)
        st = dg_catalog_open(catalog_path, 0, &archive->db, err);
    if (st == DG_OK)
        st = dg_store_open(objects_path, &archive->store, err);
    if (st == DG_OK) /* dg_clear() opens the catalog's sealed fields (sealed_text.h) */
        st = dg_sealed_text_register(archive->db, archive, err);
    if (st == DG_OK)
        st = open_keys(archive, err);
    if (st == DG_OK) {
        archive->lock_fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (archive->lock_fd < 0)
            st = dg_error_set(err, DG_ERR_IO, "%s: %s", lock_path, strerror(errno));
    }
    free(catalog_path);
    free(objects_path);
    free(lock_path);
    return st;
}

/*
 * The space reserve: a file of RESERVE_BYTES kept in the archive folder while the disk has
 * room. On a full disk every search, view and page export still needs its access-log line
 * (an access that is not logged is not given), and SQLite needs room for it. The log frees
 * the reserve the first time the disk is full (dg_archive_release_space_reserve), so reads
 * go on being logged for thousands of entries while someone frees space; it is made again
 * by the first dangan run that finds RESERVE_ROOM free.
 */
#define RESERVE_NAME "space.reserve"
#define RESERVE_BYTES (4L << 20)
#define RESERVE_ROOM (32ULL << 20)

static void ensure_space_reserve(dg_archive *archive)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", archive->path, RESERVE_NAME);
    struct stat sb;
    if (stat(path, &sb) == 0 && sb.st_size >= RESERVE_BYTES)
        return;
    struct statvfs vfs;
    if (statvfs(archive->path, &vfs) != 0 ||
        (uint64_t)vfs.f_bavail * (uint64_t)vfs.f_frsize < RESERVE_ROOM)
        return;
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return;
    /* Allocated for real (not a sparse file), so unlinking it gives the blocks back. */
    if (posix_fallocate(fd, 0, RESERVE_BYTES) != 0) {
        close(fd);
        unlink(path);
        return;
    }
    close(fd);
}

int dg_archive_release_space_reserve(dg_archive *archive)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", archive->path, RESERVE_NAME);
    return unlink(path) == 0;
}

dg_status dg_archive_open_handle(const char *path, dg_archive **out, dg_error *err)
{
    *out = NULL;
    if (sodium_init() < 0)
        return dg_error_set(err, DG_ERR_INTERNAL, "libsodium failed to initialise");
    dg_archive *archive = calloc(1, sizeof *archive);
    if (!archive)
        return dg_error_set(err, DG_ERR_NOMEM, "%s: out of memory", path);
    archive->lock_fd = -1;
    archive->path = strdup(path);
    dg_status st = archive->path ? open_parts(archive, err)
                                 : dg_error_set(err, DG_ERR_NOMEM, "%s: out of memory", path);
    if (st == DG_OK)
        st = load_identity(archive, err);
    if (st == DG_OK)
        ensure_space_reserve(archive);
    if (st != DG_OK) {
        dg_archive_close(archive);
        return st;
    }
    *out = archive;
    return DG_OK;
}

void dg_archive_close(dg_archive *archive)
{
    if (!archive)
        return;
    dg_index_close(archive->reader);
    dg_index_close(archive->writer);
    dg_index_folder_close(archive->writer_folding);
    if (archive->lock_fd >= 0)
        close(archive->lock_fd);
    dg_store_close(archive->store);
    dg_keys_close(archive->keys);
    dg_stmt_cache_clear(&archive->stmts);
    dg_stmt_cache_clear(&archive->log_stmts);
    dg_catalog_close(archive->log_db);
    /* Its last commit's hook may still flush a pending entry: not once closing. */
    if (archive->db)
        sqlite3_wal_hook(archive->db, NULL, NULL);
    dg_catalog_close(archive->db);
    free(archive->path);
    free(archive->index_path);
    free(archive->fonds);
    free(archive->name);
    free(archive);
}

void dg_archive_set_wait_handler(dg_archive *archive, dg_wait_fn fn, void *ctx)
{
    archive->on_wait = fn;
    archive->wait_ctx = ctx;
}

void dg_archive_set_progress_handler(dg_archive *archive, dg_progress_fn fn, void *ctx)
{
    archive->on_progress = fn;
    archive->progress_ctx = ctx;
}

void dg_archive_progress(dg_archive *archive, const char *what, uint64_t done, uint64_t total)
{
    if (archive->on_progress)
        archive->on_progress(archive->progress_ctx, what, done, total);
}

void dg_archive_report_progress(dg_archive *archive, const char *what, uint64_t done,
                                uint64_t total)
{
    dg_archive_progress(archive, what, done, total);
}

const char *dg_archive_path(const dg_archive *archive) { return archive->path; }
const char *dg_archive_fonds(const dg_archive *archive) { return archive->fonds; }
const char *dg_archive_name(const dg_archive *archive) { return archive->name; }

void dg_archive_release_index_reader(dg_archive *archive)
{
    dg_index_close(archive->reader);
    archive->reader = NULL;
}

int dg_archive_awaits_reindex(dg_archive *archive)
{
    char *owed = NULL;
    dg_error ignored;
    int restored = dg_setting_get(archive->db, DG_REBUILD_OWED, &owed, &ignored) == DG_OK &&
                   !strcmp(owed, DG_REBUILD_RESTORED);
    free(owed);
    return restored;
}

dg_status dg_archive_index_reader(dg_archive *archive, dg_index **out, dg_error *err)
{
    if (!archive->reader) {
        /* Never an empty index searched as if it were the archive's. */
        if (dg_archive_awaits_reindex(archive))
            return dg_error_set(err, DG_ERR_STATE,
                                "%s: 索引尚未重建 restored from a backup, the index is not "
                                "built yet: run 'dangan reindex' first", archive->path);
        dg_status st = dg_index_open(archive->index_path, DG_INDEX_READ, &archive->reader, err);
        if (st != DG_OK)
            return st;
    }
    *out = archive->reader;
    return DG_OK;
}
