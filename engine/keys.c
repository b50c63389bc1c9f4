/*
 * keys.c — the master key file and the key table keys.db (keys.h): finding and checking
 * the key file, wrapping and unwrapping per-record data keys, shredding and re-wrapping.
 *
 * keys.db schema:
 *     meta(name TEXT PRIMARY KEY, value BLOB)       'check': MAC proving the master key
 *     data_keys(id TEXT PRIMARY KEY, nonce BLOB, wrapped BLOB, created_at TEXT)
 * wrapped = XChaCha20-Poly1305-IETF(master, nonce, data key, ad = "dangan data key " + id).
 */
#include "keys.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../base/fault.h"
#include "../base/fileio.h"

#define KDF_CONTEXT "dgbackup"
#define CHECK_SUBKEY 3
#define CHECK_TEXT "dangan master key check v1"
#define WRAP_AD_PREFIX "dangan data key "
#define WRAPPED_LEN (DG_KEY_BYTES + crypto_aead_xchacha20poly1305_ietf_ABYTES)

struct dg_keys {
    sqlite3 *db;
    sqlite3_stmt *get; /* dg_keys_get's statement, prepared on first use: a reindex or a
                        * listing of sealed titles reads a key per row */
    char *path;
    unsigned char master[DG_KEY_BYTES];
};

/* ---- the master key file ---- */

dg_status dg_master_key_path(char **path, dg_error *err)
{
    *path = NULL;
    const char *file = getenv("DANGAN_KEY_FILE");
    if (file && *file) {
        *path = strdup(file);
    } else {
        const char *creds = getenv("CREDENTIALS_DIRECTORY");
        if (!creds || !*creds)
            return DG_OK;
        size_t len = strlen(creds) + sizeof DG_KEY_CREDENTIAL + 1;
        *path = malloc(len);
        if (*path)
            snprintf(*path, len, "%s/%s", creds, DG_KEY_CREDENTIAL);
        if (*path && access(*path, F_OK) != 0) {
            free(*path); /* a credentials folder without our credential: no key given */
            *path = NULL;
            return DG_OK;
        }
    }
    return *path ? DG_OK : dg_error_set(err, DG_ERR_NOMEM, "master key: out of memory");
}

/* Whether path (resolved) lies inside dir (resolved). */
static int path_inside(const char *path, const char *dir)
{
    char rp[PATH_MAX], rd[PATH_MAX];
    if (!realpath(path, rp) || !realpath(dir, rd))
        return 0;
    size_t n = strlen(rd);
    return strncmp(rp, rd, n) == 0 && (rp[n] == '/' || rp[n] == '\0' || n == 1);
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static dg_status parse_key_text(const char *path, const char *text, size_t len,
                                unsigned char key[DG_KEY_BYTES], dg_error *err)
{
    while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
        len--;
    if (len != 2 * DG_KEY_BYTES)
        return dg_error_set(err, DG_ERR_BAD_INPUT,
                            "%s: not a master key (expected 64 hex digits; make one with "
                            "'dangan keys generate FILE')", path);
    for (size_t i = 0; i < DG_KEY_BYTES; i++) {
        int hi = hex_value(text[2 * i]), lo = hex_value(text[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return dg_error_set(err, DG_ERR_BAD_INPUT,
                                "%s: not a master key (expected 64 hex digits)", path);
        key[i] = (unsigned char)(hi << 4 | lo);
    }
    return DG_OK;
}

dg_status dg_master_key_read(const char *path, const char *archive_dir,
                             unsigned char key[DG_KEY_BYTES], dg_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return dg_error_set(err, errno == ENOENT ? DG_ERR_NOT_FOUND : DG_ERR_DENIED,
                            "%s: cannot open master key: %s", path, strerror(errno));
    struct stat sb;
    dg_status st = DG_OK;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode))
        st = dg_error_set(err, DG_ERR_BAD_INPUT, "%s: master key is not a regular file", path);
    else if (sb.st_mode & (S_IRWXG | S_IRWXO))
        st = dg_error_set(err, DG_ERR_DENIED,
                          "%s: master key is readable or writable by group or others "
                          "(chmod 600 it, or 400)", path);
    else if (archive_dir && path_inside(path, archive_dir))
        st = dg_error_set(err, DG_ERR_DENIED,
                          "%s: master key lies inside the archive folder %s; keep it "
                          "elsewhere (a copy of the folder must not carry its key)",
                          path, archive_dir);
    char text[2 * DG_KEY_BYTES + 4];
    ssize_t got = 0;
    if (st == DG_OK) {
        got = read(fd, text, sizeof text);
        if (got < 0)
            st = dg_error_set(err, DG_ERR_IO, "%s: cannot read master key: %s", path,
                              strerror(errno));
    }
    close(fd);
    if (st == DG_OK)
        st = parse_key_text(path, text, (size_t)got, key, err);
    sodium_memzero(text, sizeof text);
    return st;
}

dg_status dg_master_key_generate(const char *path, dg_error *err)
{
    if (sodium_init() < 0)
        return dg_error_set(err, DG_ERR_INTERNAL, "libsodium failed to initialise");
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return dg_error_set(err, errno == EEXIST ? DG_ERR_EXISTS : DG_ERR_IO,
                            "%s: cannot create key file: %s", path, strerror(errno));
    unsigned char key[DG_KEY_BYTES];
    char hex[2 * DG_KEY_BYTES + 2];
    randombytes_buf(key, sizeof key);
    sodium_bin2hex(hex, sizeof hex, key, sizeof key);
    size_t len = strlen(hex);
    hex[len++] = '\n';
    dg_status st = DG_OK;
    if (fchmod(fd, 0600) != 0 || write(fd, hex, len) != (ssize_t)len || fsync(fd) != 0)
        st = dg_error_set(err, DG_ERR_IO, "%s: cannot write key file: %s", path,
                          strerror(errno));
    if (close(fd) != 0 && st == DG_OK)
        st = dg_error_set(err, DG_ERR_IO, "%s: cannot write key file: %s", path,
                          strerror(errno));
    if (st != DG_OK)
        unlink(path);
    sodium_memzero(key, sizeof key);
    sodium_memzero(hex, sizeof hex);
    return st;
}

/* ---- keys.db ---- */

static dg_status db_error(sqlite3 *db, const char *path, const char *what, dg_error *err)
{
    return dg_error_set(err, DG_ERR_IO, "%s: %s: %s", path, what, sqlite3_errmsg(db));
}

static dg_status exec(dg_keys *k, const char *sql, dg_error *err)
{
    char *msg = NULL;
    if (sqlite3_exec(k->db, sql, NULL, NULL, &msg) == SQLITE_OK)
        return DG_OK;
    dg_status st = dg_error_set(err, DG_ERR_IO, "%s: %s", k->path, msg ? msg : "error");
    sqlite3_free(msg);
    return st;
}

static void derive(const unsigned char master[DG_KEY_BYTES], unsigned id,
                   unsigned char out[DG_KEY_BYTES])
{
    crypto_kdf_derive_from_key(out, DG_KEY_BYTES, id, KDF_CONTEXT, master);
}

void dg_keys_subkey(const dg_keys *keys, unsigned id, unsigned char out[DG_KEY_BYTES])
{
    derive(keys->master, id, out);
}

static void check_value(const unsigned char master[DG_KEY_BYTES],
                        unsigned char mac[crypto_auth_BYTES])
{
    unsigned char sub[DG_KEY_BYTES];
    derive(master, CHECK_SUBKEY, sub);
    crypto_auth(mac, (const unsigned char *)CHECK_TEXT, strlen(CHECK_TEXT), sub);
    sodium_memzero(sub, sizeof sub);
}

/*
 * Opens file (keys.db, or the new table being made when create) in archive_dir. The live
 * table runs in WAL mode; a new one is written with a rollback journal, so that once its
 * connection closes the whole table is in the one file that is then synced and linked.
 */
static dg_status open_db(const char *archive_dir, const char *file, int create,
                         const unsigned char master[DG_KEY_BYTES], dg_keys **out,
                         dg_error *err)
{
    *out = NULL;
    if (sodium_init() < 0)
        return dg_error_set(err, DG_ERR_INTERNAL, "libsodium failed to initialise");
    dg_keys *k = calloc(1, sizeof *k);
    size_t len = strlen(archive_dir) + strlen(file) + 2;
    if (k)
        k->path = malloc(len);
    if (!k || !k->path) {
        free(k);
        return dg_error_set(err, DG_ERR_NOMEM, "%s: out of memory", archive_dir);
    }
    snprintf(k->path, len, "%s/%s", archive_dir, file);
    memcpy(k->master, master, DG_KEY_BYTES);
    sodium_mlock(k->master, sizeof k->master);
    int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0);
    dg_status st = DG_OK;
    if (!create && access(k->path, F_OK) != 0)
        st = dg_error_set(err, DG_ERR_NOT_FOUND,
                          "%s: the key table is missing (restore it from the key backup)",
                          k->path);
    else if (sqlite3_open_v2(k->path, &k->db, flags, NULL) != SQLITE_OK)
        st = db_error(k->db, k->path, "cannot open the key table", err);
    if (st == DG_OK) {
        sqlite3_busy_timeout(k->db, 30000);
        st = exec(k,
                  create ? "PRAGMA secure_delete = ON; PRAGMA journal_mode = DELETE;"
                           " PRAGMA synchronous = FULL;"
                         : "PRAGMA secure_delete = ON; PRAGMA journal_mode = WAL;",
                  err);
    }
    if (st != DG_OK) {
        dg_keys_close(k);
        return st;
    }
    *out = k;
    return DG_OK;
}

#define KEYS_NEW_FILE DG_KEYS_FILE ".new"

/* Writes the schema and the check value of a new key table into the open k. */
static dg_status fill_new_table(dg_keys *k, const unsigned char master[DG_KEY_BYTES],
                                dg_error *err)
{
    dg_status st = exec(k,
                        "BEGIN;"
                        "CREATE TABLE meta (name TEXT PRIMARY KEY, value BLOB NOT NULL);"
                        "CREATE TABLE data_keys (id TEXT PRIMARY KEY, nonce BLOB NOT NULL,"
                        " wrapped BLOB NOT NULL, created_at TEXT NOT NULL);",
                        err);
    unsigned char mac[crypto_auth_BYTES];
    check_value(master, mac);
    sqlite3_stmt *stmt = NULL;
    if (st == DG_OK &&
        sqlite3_prepare_v2(k->db, "INSERT INTO meta VALUES('check', ?)", -1, &stmt, NULL) !=
            SQLITE_OK)
        st = db_error(k->db, k->path, "cannot prepare", err);
    if (st == DG_OK) {
        sqlite3_bind_blob(stmt, 1, mac, sizeof mac, SQLITE_STATIC);
        if (sqlite3_step(stmt) != SQLITE_DONE)
            st = db_error(k->db, k->path, "cannot write the check value", err);
    }
    sqlite3_finalize(stmt);
    if (st == DG_OK)
        st = exec(k, "COMMIT;", err);
    if (st == DG_OK && dg_fault("keys.create"))
        st = dg_error_set(err, DG_ERR_IO, "%s: cannot write: %s", k->path, strerror(errno));
    return st;
}

/* Removes what a killed creation left of the new table (the file and its journal). */
static dg_status remove_leftovers(const char *new_path, dg_error *err)
{
    char journal[PATH_MAX];
    snprintf(journal, sizeof journal, "%s-journal", new_path);
    const char *paths[] = {new_path, journal};
    for (size_t i = 0; i < 2; i++)
        if (unlink(paths[i]) != 0 && errno != ENOENT)
            return dg_error_set(err, DG_ERR_IO, "%s: cannot remove: %s", paths[i],
                                strerror(errno));
    return DG_OK;
}

/* Syncs the closed new table's file, so that its name never points at lost pages. */
static dg_status sync_file(const char *path, dg_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return dg_error_set(err, DG_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    dg_status st = dg_fault("keys.create")
                       ? dg_error_set(err, DG_ERR_IO, "%s: cannot sync: %s", path,
                                      strerror(errno))
                       : DG_OK;
    return dg_sync_close(fd, path, st, err);
}

/*
 * Gives the finished table its name: link(2) never replaces a keys.db already there (a
 * second creation is refused, never a silent loss of every data key), then the temporary
 * name goes and the folder is synced so both last.
 */
static dg_status publish(const char *archive_dir, const char *new_path, const char *path,
                         dg_error *err)
{
    if (dg_fault("keys.create"))
        return dg_error_set(err, DG_ERR_IO, "%s: cannot link: %s", path, strerror(errno));
    if (link(new_path, path) != 0)
        return dg_error_set(err, errno == EEXIST ? DG_ERR_EXISTS : DG_ERR_IO,
                            "%s: cannot make the key table: %s", path, strerror(errno));
    if (unlink(new_path) != 0)
        return dg_error_set(err, DG_ERR_IO, "%s: cannot remove: %s", new_path,
                            strerror(errno));
    return dg_sync_dir(archive_dir, err);
}

/*
 * keys.db appears whole or not at all: it is written as keys.db.new (whatever a killed
 * run left under that name is removed first), synced, and linked into place. A kill at any
 * moment leaves either no keys.db (the creation is simply run again) or a complete one,
 * never a table without its check value that no master key opens.
 */
dg_status dg_keys_create(const char *archive_dir, const unsigned char master[DG_KEY_BYTES],
                         dg_error *err)
{
    char path[PATH_MAX], new_path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", archive_dir, DG_KEYS_FILE);
    snprintf(new_path, sizeof new_path, "%s/%s", archive_dir, KEYS_NEW_FILE);
    if (access(path, F_OK) == 0)
        return dg_error_set(err, DG_ERR_EXISTS, "%s: the key table already exists", path);
    dg_status st = remove_leftovers(new_path, err);
    dg_keys *k = NULL;
    if (st == DG_OK)
        st = open_db(archive_dir, KEYS_NEW_FILE, 1, master, &k, err);
    if (st == DG_OK) {
        st = fill_new_table(k, master, err);
        dg_keys_close(k);
    }
    if (st == DG_OK)
        st = sync_file(new_path, err);
    if (st == DG_OK)
        st = publish(archive_dir, new_path, path, err);
    if (st != DG_OK) {
        dg_error ignored;
        remove_leftovers(new_path, &ignored);
    }
    return st;
}

static dg_status check_master(dg_keys *k, dg_error *err)
{
    sqlite3_stmt *stmt;
    if (sqlite3_prepare_v2(k->db, "SELECT value FROM meta WHERE name = 'check'", -1, &stmt,
                           NULL) != SQLITE_OK)
        return db_error(k->db, k->path, "not a key table", err);
    dg_status st = DG_OK;
    unsigned char mac[crypto_auth_BYTES];
    check_value(k->master, mac);
    if (sqlite3_step(stmt) != SQLITE_ROW ||
        sqlite3_column_bytes(stmt, 0) != (int)sizeof mac)
        st = dg_error_set(err, DG_ERR_CORRUPT, "%s: the key table has no check value", k->path);
    else if (sodium_memcmp(sqlite3_column_blob(stmt, 0), mac, sizeof mac) != 0)
        st = dg_error_set(err, DG_ERR_DENIED,
                          "%s: wrong master key (not the key this archive was made with)",
                          k->path);
    sqlite3_finalize(stmt);
    return st;
}

dg_status dg_keys_open(const char *archive_dir, const unsigned char master[DG_KEY_BYTES],
                       dg_keys **out, dg_error *err)
{
    dg_keys *k;
    dg_status st = open_db(archive_dir, DG_KEYS_FILE, 0, master, &k, err);
    if (st == DG_OK)
        st = check_master(k, err);
    /* A creation killed between its link and its unlink leaves the new name beside
     * keys.db: a second name of the same file, which a copy of the folder would carry. */
    char new_path[PATH_MAX];
    snprintf(new_path, sizeof new_path, "%s/%s", archive_dir, KEYS_NEW_FILE);
    if (st == DG_OK)
        st = remove_leftovers(new_path, err);
    if (st != DG_OK) {
        dg_keys_close(k);
        return st;
    }
    *out = k;
    return DG_OK;
}

void dg_keys_close(dg_keys *keys)
{
    if (!keys)
        return;
    sqlite3_finalize(keys->get);
    sqlite3_close(keys->db);
    sodium_munlock(keys->master, sizeof keys->master);
    free(keys->path);
    free(keys);
}

sqlite3 *dg_keys_db(dg_keys *keys)
{
    return keys->db;
}

/* ---- data keys ---- */

static void wrap_ad(const char *id, unsigned char *ad, size_t *len)
{
    *len = (size_t)snprintf((char *)ad, 64, "%s%s", WRAP_AD_PREFIX, id);
}

static dg_status store_wrapped(dg_keys *k, const char *sql, const char *id,
                               const unsigned char master[DG_KEY_BYTES],
                               const unsigned char key[DG_KEY_BYTES], dg_error *err)
{
    unsigned char nonce[crypto_aead_xchacha20poly1305_ietf_NPUBBYTES], wrapped[WRAPPED_LEN];
    unsigned char ad[64];
    size_t ad_len;
    wrap_ad(id, ad, &ad_len);
    randombytes_buf(nonce, sizeof nonce);
    crypto_aead_xchacha20poly1305_ietf_encrypt(wrapped, NULL, key, DG_KEY_BYTES, ad, ad_len,
                                               NULL, nonce, master);
    char now[32];
    time_t t = time(NULL);
    struct tm tm;
    strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
    sqlite3_stmt *stmt;
    if (sqlite3_prepare_v2(k->db, sql, -1, &stmt, NULL) != SQLITE_OK)
        return db_error(k->db, k->path, "cannot prepare", err);
    sqlite3_bind_text(stmt, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_blob(stmt, 2, nonce, sizeof nonce, SQLITE_STATIC);
    sqlite3_bind_blob(stmt, 3, wrapped, sizeof wrapped, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 4, now, -1, SQLITE_STATIC);
    dg_status st = sqlite3_step(stmt) == SQLITE_DONE
                       ? DG_OK
                       : db_error(k->db, k->path, "cannot store a data key", err);
    sqlite3_finalize(stmt);
    return st;
}

dg_status dg_keys_new(dg_keys *keys, char id[DG_KEY_ID_HEX], unsigned char key[DG_KEY_BYTES],
                      dg_error *err)
{
    unsigned char raw_id[DG_KEY_ID_BYTES];
    randombytes_buf(raw_id, sizeof raw_id);
    sodium_bin2hex(id, DG_KEY_ID_HEX, raw_id, sizeof raw_id);
    crypto_aead_xchacha20poly1305_ietf_keygen(key);
    dg_status st = store_wrapped(keys,
                                 "INSERT INTO data_keys(id, nonce, wrapped, created_at)"
                                 " VALUES(?1, ?2, ?3, ?4)",
                                 id, keys->master, key, err);
    if (st != DG_OK)
        sodium_memzero(key, DG_KEY_BYTES);
    return st;
}

dg_status dg_keys_group_begin(dg_keys *keys, dg_error *err)
{
    return exec(keys, "BEGIN IMMEDIATE", err);
}

dg_status dg_keys_group_commit(dg_keys *keys, dg_error *err)
{
    if (sqlite3_get_autocommit(keys->db))
        return DG_OK;
    dg_status st = dg_fault("keys.commit")
                       ? dg_error_set(err, DG_ERR_IO, "%s: cannot commit: %s", keys->path,
                                      strerror(errno))
                       : exec(keys, "COMMIT", err);
    if (st != DG_OK)
        dg_keys_group_abandon(keys);
    return st;
}

void dg_keys_group_abandon(dg_keys *keys)
{
    if (!sqlite3_get_autocommit(keys->db))
        sqlite3_exec(keys->db, "ROLLBACK", NULL, NULL, NULL);
}

static dg_status unwrap(const dg_keys *k, const unsigned char master[DG_KEY_BYTES],
                        const char *id, sqlite3_stmt *row, unsigned char key[DG_KEY_BYTES],
                        dg_error *err)
{
    if (sqlite3_column_bytes(row, 0) != crypto_aead_xchacha20poly1305_ietf_NPUBBYTES ||
        sqlite3_column_bytes(row, 1) != WRAPPED_LEN)
        return dg_error_set(err, DG_ERR_CORRUPT, "%s: data key %s: damaged", k->path, id);
    unsigned char ad[64];
    size_t ad_len;
    wrap_ad(id, ad, &ad_len);
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(
            key, NULL, NULL, sqlite3_column_blob(row, 1), WRAPPED_LEN, ad, ad_len,
            sqlite3_column_blob(row, 0), master) != 0)
        return dg_error_set(err, DG_ERR_CORRUPT,
                            "%s: data key %s: does not unwrap (damaged, or another master key)",
                            k->path, id);
    return DG_OK;
}

dg_status dg_keys_get(dg_keys *keys, const char *id, unsigned char key[DG_KEY_BYTES],
                      dg_error *err)
{
    if (!keys->get &&
        sqlite3_prepare_v2(keys->db, "SELECT nonce, wrapped FROM data_keys WHERE id = ?", -1,
                           &keys->get, NULL) != SQLITE_OK)
        return db_error(keys->db, keys->path, "cannot prepare", err);
    sqlite3_stmt *stmt = keys->get;
    sqlite3_bind_text(stmt, 1, id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(stmt);
    dg_status st;
    if (rc == SQLITE_ROW)
        st = unwrap(keys, keys->master, id, stmt, key, err);
    else if (rc == SQLITE_DONE)
        st = dg_error_set(err, DG_ERR_NOT_FOUND,
                          "data key %s: not in the key table (its record was destroyed)", id);
    else
        st = db_error(keys->db, keys->path, "cannot read a data key", err);
    sqlite3_reset(stmt); /* holds no read of keys.db between calls */
    sqlite3_clear_bindings(stmt);
    return st;
}

/* Collects every key id (the table is small: one row per record). */
static dg_status all_ids(dg_keys *k, char (**ids)[DG_KEY_ID_HEX], size_t *n, dg_error *err)
{
    *ids = NULL;
    *n = 0;
    sqlite3_stmt *stmt;
    if (sqlite3_prepare_v2(k->db, "SELECT id FROM data_keys", -1, &stmt, NULL) != SQLITE_OK)
        return db_error(k->db, k->path, "cannot prepare", err);
    size_t cap = 0;
    dg_status st = DG_OK;
    int rc;
    while (st == DG_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? 2 * cap : 64;
            char(*grown)[DG_KEY_ID_HEX] = realloc(*ids, cap * sizeof **ids);
            if (!grown) {
                st = dg_error_set(err, DG_ERR_NOMEM, "%s: out of memory", k->path);
                break;
            }
            *ids = grown;
        }
        snprintf((*ids)[(*n)++], DG_KEY_ID_HEX, "%s",
                 (const char *)sqlite3_column_text(stmt, 0));
    }
    if (st == DG_OK && rc != SQLITE_DONE)
        st = db_error(k->db, k->path, "cannot list data keys", err);
    sqlite3_finalize(stmt);
    if (st != DG_OK) {
        free(*ids);
        *ids = NULL;
    }
    return st;
}

static dg_status truncate_wal(dg_keys *k, dg_error *err)
{
    int rc = sqlite3_wal_checkpoint_v2(k->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
    if (rc == SQLITE_BUSY)
        return dg_error_set(err, DG_ERR_BUSY,
                            "%s: another process is reading the key table, so its write-ahead "
                            "log could not be truncated; run destroy again", k->path);
    return rc == SQLITE_OK ? DG_OK : db_error(k->db, k->path, "checkpoint", err);
}

dg_status dg_keys_shred_unused(dg_keys *keys, int (*in_use)(const char *id, void *ctx),
                               void *ctx, size_t *shredded, dg_error *err)
{
    *shredded = 0;
    char(*ids)[DG_KEY_ID_HEX];
    size_t n;
    dg_status st = all_ids(keys, &ids, &n, err);
    sqlite3_stmt *del = NULL;
    if (st == DG_OK && sqlite3_prepare_v2(keys->db, "DELETE FROM data_keys WHERE id = ?", -1,
                                          &del, NULL) != SQLITE_OK)
        st = db_error(keys->db, keys->path, "cannot prepare", err);
    for (size_t i = 0; st == DG_OK && i < n; i++) {
        int used = in_use(ids[i], ctx);
        if (used < 0)
            st = dg_error_set(err, DG_ERR_IO, "%s: cannot tell whether key %s is used",
                              keys->path, ids[i]);
        if (st != DG_OK || used)
            continue;
        sqlite3_reset(del);
        sqlite3_bind_text(del, 1, ids[i], -1, SQLITE_STATIC);
        if (sqlite3_step(del) != SQLITE_DONE)
            st = db_error(keys->db, keys->path, "cannot delete a data key", err);
        else
            (*shredded)++;
    }
    sqlite3_finalize(del);
    free(ids);
    if (st == DG_OK && *shredded)
        st = truncate_wal(keys, err);
    return st;
}

dg_status dg_keys_rotate(dg_keys *keys, const unsigned char new_master[DG_KEY_BYTES],
                         size_t *count, dg_error *err)
{
    *count = 0;
    char(*ids)[DG_KEY_ID_HEX];
    size_t n;
    dg_status st = all_ids(keys, &ids, &n, err);
    if (st == DG_OK)
        st = exec(keys, "BEGIN IMMEDIATE", err);
    if (st != DG_OK) {
        free(ids);
        return st;
    }
    for (size_t i = 0; st == DG_OK && i < n; i++) {
        unsigned char key[DG_KEY_BYTES];
        st = dg_keys_get(keys, ids[i], key, err);
        if (st == DG_OK)
            st = store_wrapped(keys,
                               "UPDATE data_keys SET nonce = ?2, wrapped = ?3 WHERE id = ?1"
                               " AND ?4 IS NOT NULL",
                               ids[i], new_master, key, err);
        sodium_memzero(key, sizeof key);
        if (st == DG_OK)
            (*count)++;
    }
    unsigned char mac[crypto_auth_BYTES];
    check_value(new_master, mac);
    sqlite3_stmt *stmt = NULL;
    if (st == DG_OK &&
        sqlite3_prepare_v2(keys->db, "UPDATE meta SET value = ? WHERE name = 'check'", -1,
                           &stmt, NULL) != SQLITE_OK)
        st = db_error(keys->db, keys->path, "cannot prepare", err);
    if (st == DG_OK) {
        sqlite3_bind_blob(stmt, 1, mac, sizeof mac, SQLITE_STATIC);
        if (sqlite3_step(stmt) != SQLITE_DONE)
            st = db_error(keys->db, keys->path, "cannot update the check value", err);
    }
    sqlite3_finalize(stmt);
    free(ids);
    if (st == DG_OK)
        st = exec(keys, "COMMIT", err);
    if (st != DG_OK) {
        sqlite3_exec(keys->db, "ROLLBACK", NULL, NULL, NULL);
        return st;
    }
    memcpy(keys->master, new_master, DG_KEY_BYTES);
    /* The old wrappings must not survive in freed pages or the log. */
    return truncate_wal(keys, err);
}

dg_status dg_keys_count(dg_keys *keys, size_t *count, dg_error *err)
{
    sqlite3_stmt *stmt;
    if (sqlite3_prepare_v2(keys->db, "SELECT count(*) FROM data_keys", -1, &stmt, NULL) !=
        SQLITE_OK)
        return db_error(keys->db, keys->path, "cannot prepare", err);
    dg_status st = sqlite3_step(stmt) == SQLITE_ROW
                       ? DG_OK
                       : db_error(keys->db, keys->path, "cannot count data keys", err);
    *count = st == DG_OK ? (size_t)sqlite3_column_int64(stmt, 0) : 0;
    sqlite3_finalize(stmt);
    return st;
}
