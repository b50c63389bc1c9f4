/*
 * backup.c — backup, backup verify and restore (backup.h): the sealed catalog snapshot,
 * incremental copies of object files, the MACed manifest, key backups, and rebuilding an
 * archive from them.
 */
#include "backup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../base/fileio.h"
#include "../base/hash.h"
#include "archive_internal.h"
#include "catalog.h"
#include "destruction.h"
#include "indexer.h"
#include "key_copies.h"
#include "lock.h"
#include "log.h"
#include "user.h"

#define SEALED_MAGIC "DGB1"
#define MAGIC_LEN 4
#define CHUNK (64 * 1024)
#define SS_ABYTES crypto_secretstream_xchacha20poly1305_ABYTES
#define SS_HEADER crypto_secretstream_xchacha20poly1305_HEADERBYTES
#define CATALOG_SUBKEY 1
#define MANIFEST_SUBKEY 2
#define LOG_SUBKEY 3
#define CATALOG_FILE "catalog.sealed"
/* The access log's own file (catalog.h), sealed as the catalog is, under its own subkey. A
 * backup made before the log had its file has none: its catalog holds the log, and opening
 * the restored archive moves it (migration 22). */
#define LOG_SEALED_FILE "log.sealed"
#define MANIFEST_FILE "MANIFEST"
#define MAC_FILE "MANIFEST.mac"
#define MANIFEST_HEAD "dangan-backup v1\n"

/* ---- files: errors, copying with a hash, sealing ---- */

static dg_status io_error(dg_error *err, const char *path, const char *what)
{
    return dg_error_set(err, DG_ERR_IO, "%s: %s: %s", path, what, strerror(errno));
}

/* Makes "<dir>/.tmp/<name>-XXXXXX" (0600); fd and path come back. */
static dg_status open_tmp(const char *dir, const char *name, char *path, size_t size, int *fd,
                          dg_error *err)
{
    snprintf(path, size, "%s/.tmp", dir);
    dg_status st = dg_make_private_dir(path, err);
    if (st != DG_OK)
        return st;
    snprintf(path, size, "%s/.tmp/%s-XXXXXX", dir, name);
    *fd = mkostemp(path, O_CLOEXEC);
    return *fd >= 0 ? DG_OK : io_error(err, path, "cannot create temporary file");
}

/* Hex SHA-256 and size of a file. */
static dg_status hash_file(const char *path, char hex[65], uint64_t *size, dg_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? dg_error_set(err, DG_ERR_NOT_FOUND, "%s: missing", path)
                               : io_error(err, path, "cannot open");
    unsigned char *buf = malloc(CHUNK);
    if (!buf) {
        close(fd);
        return dg_error_set(err, DG_ERR_NOMEM, "%s: out of memory", path);
    }
    dg_sha256_ctx h;
    dg_sha256_init(&h);
    *size = 0;
    dg_status st = DG_OK;
    for (;;) {
        size_t got;
        st = dg_read_up_to(fd, buf, CHUNK, &got, path, err);
        if (st != DG_OK || got == 0)
            break;
        dg_sha256_update(&h, buf, got);
        *size += got;
    }
    close(fd);
    free(buf);
    unsigned char digest[DG_SHA256_BYTES];
    dg_sha256_final(&h, digest);
    sodium_bin2hex(hex, 65, digest, sizeof digest);
    return st;
}

/*
 * Copies src to dst through a temporary file in tmp_dir and a rename, without a sync: the
 * caller writes every file, then makes them durable at once (dg_sync_filesystem) before
 * anything that names them. *size is the bytes copied; sha (when not NULL) their SHA-256
 * in hex, hashed as they are written.
 */
/*
 * Copies src to dst, hashing it on the way. With tmp_dir the copy is written under
 * tmp_dir/.tmp and renamed into place, so dst is whole or absent (a backup's folder lives
 * on). Without (NULL), dst is written directly: a restore's partial folder is thrown away
 * whole unless everything in it was written and synced, so a file there needs no rename.
 */
static dg_status copy_file(const char *src, const char *dst, const char *tmp_dir,
                           uint64_t *size, char sha[65], dg_error *err)
{
    *size = 0;
    int in = open(src, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return errno == ENOENT ? dg_error_set(err, DG_ERR_NOT_FOUND, "%s: missing", src)
                               : io_error(err, src, "cannot open");
    char tmp[PATH_MAX];
    int out = -1;
    dg_status st = DG_OK;
    if (tmp_dir) {
        st = open_tmp(tmp_dir, "copy", tmp, sizeof tmp, &out, err);
    } else {
        snprintf(tmp, sizeof tmp, "%s", dst);
        out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (out < 0)
            st = io_error(err, dst, "cannot create");
    }
    unsigned char *buf = st == DG_OK ? malloc(CHUNK) : NULL;
    if (st == DG_OK && !buf)
        st = dg_error_set(err, DG_ERR_NOMEM, "%s: out of memory", src);
    dg_sha256_ctx h;
    dg_sha256_init(&h);
    while (st == DG_OK) {
        size_t got;
        st = dg_read_up_to(in, buf, CHUNK, &got, src, err);
        if (st != DG_OK || got == 0)
            break;
        st = dg_write_all(out, buf, got, NULL, tmp, err);
        dg_sha256_update(&h, buf, got);
        *size += got;
    }
    free(buf);
    close(in);
    if (out >= 0 && close(out) != 0 && st == DG_OK)
        st = io_error(err, tmp, "cannot close");
    if (st == DG_OK && tmp_dir && rename(tmp, dst) != 0)
        st = io_error(err, dst, "cannot move into place");
    if (st != DG_OK && out >= 0)
        unlink(tmp);
    unsigned char digest[DG_SHA256_BYTES];
    dg_sha256_final(&h, digest);
    if (sha)
        sodium_bin2hex(sha, 65, digest, sizeof digest);
    return st;
}

/* Seals (decrypt = 0) or opens (decrypt = 1) a whole file with crypto_secretstream. */
static dg_status seal_stream(int in, int out, const unsigned char key[DG_KEY_BYTES],
                             const char *in_path, const char *out_path, uint64_t *bytes,
                             dg_error *err)
{
    crypto_secretstream_xchacha20poly1305_state s;
    unsigned char head[MAGIC_LEN + SS_HEADER];
    memcpy(head, SEALED_MAGIC, MAGIC_LEN);
    crypto_secretstream_xchacha20poly1305_init_push(&s, head + MAGIC_LEN, key);
    dg_status st = dg_write_all(out, head, sizeof head, NULL, out_path, err);
    unsigned char *plain = malloc(CHUNK), *cipher = malloc(CHUNK + SS_ABYTES);
    if (st == DG_OK && (!plain || !cipher))
        st = dg_error_set(err, DG_ERR_NOMEM, "%s: out of memory", in_path);
    size_t got = 0;
    if (st == DG_OK)
        st = dg_read_up_to(in, plain, CHUNK, &got, in_path, err);
    while (st == DG_OK) {
        size_t next = 0;
        unsigned long long clen;
        /* A full chunk may be followed by more: read one byte ahead before tagging it. */
        unsigned char peek;
        size_t peeked = 0;
        if (got == CHUNK)
            st = dg_read_up_to(in, &peek, 1, &peeked, in_path, err);
        if (st != DG_OK)
            break;
        int last = peeked == 0;
        crypto_secretstream_xchacha20poly1305_push(
            &s, cipher, &clen, plain, got, NULL, 0,
            last ? crypto_secretstream_xchacha20poly1305_TAG_FINAL : 0);
        st = dg_write_all(out, cipher, (size_t)clen, NULL, out_path, err);
        *bytes += clen;
        if (st != DG_OK || last)
            break;
        plain[0] = peek;
        st = dg_read_up_to(in, plain + 1, CHUNK - 1, &next, in_path, err);
        got = next + 1;
    }
    free(plain);
    free(cipher);
    sodium_memzero(&s, sizeof s);
    return st;
}

static dg_status open_stream(int in, int out, const unsigned char key[DG_KEY_BYTES],
                             const char *in_path, const char *out_path, dg_error *err)
{
    crypto_secretstream_xchacha20poly1305_state s;
    unsigned char head[MAGIC_LEN + SS_HEADER];
    size_t got;
    dg_status st = dg_read_up_to(in, head, sizeof head, &got, in_path, err);
    if (st != DG_OK)
        return st;
    if (got != sizeof head || memcmp(head, SEALED_MAGIC, MAGIC_LEN) != 0 ||
        crypto_secretstream_xchacha20poly1305_init_pull(&s, head + MAGIC_LEN, key) != 0)
        return dg_error_set(err, DG_ERR_CORRUPT, "%s: not a sealed dangan file", in_path);
    unsigned char *plain = malloc(CHUNK), *cipher = malloc(CHUNK + SS_ABYTES);
    if (!plain || !cipher)
        st = dg_error_set(err, DG_ERR_NOMEM, "%s: out of memory", in_path);
    unsigned char tag = 0;
    while (st == DG_OK && tag != crypto_secretstream_xchacha20poly1305_TAG_FINAL) {
        st = dg_read_up_to(in, cipher, CHUNK + SS_ABYTES, &got, in_path, err);
        unsigned long long mlen;
        if (st == DG_OK &&
            (got < SS_ABYTES ||
             crypto_secretstream_xchacha20poly1305_pull(&s, plain, &mlen, &tag, cipher, got,
                                                        NULL, 0) != 0))
            st = dg_error_set(err, DG_ERR_CORRUPT,
                              "%s: does not decrypt (damaged, or another master key)", in_path);
        if (st == DG_OK)
            st = dg_write_all(out, plain, (size_t)mlen, NULL, out_path, err);
    }
    if (st == DG_OK && dg_read_up_to(in, cipher, 1, &got, in_path, err) == DG_OK && got)
        st = dg_error_set(err, DG_ERR_CORRUPT, "%s: stray bytes after sealed data", in_path);
    if (plain)
        sodium_memzero(plain, CHUNK);
    free(plain);
    free(cipher);
    sodium_memzero(&s, sizeof s);
    return st;
}

/* ---- the manifest ---- */

typedef struct entry {
    char *path;           /* relative to DEST */
    char sha[65];
    uint64_t size;
} entry;

typedef struct manifest {
    entry *items;
    size_t count, cap;
} manifest;

static void manifest_free(manifest *m)
{
    for (size_t i = 0; i < m->count; i++)
        free(m->items[i].path);
    free(m->items);
    memset(m, 0, sizeof *m);
}

static dg_status manifest_add(manifest *m, const char *path, const char *sha, uint64_t size,
                              dg_error *err)
{
    if (m->count == m->cap) {
        size_t cap = m->cap ? 2 * m->cap : 256;
        entry *grown = realloc(m->items, cap * sizeof *grown);
        if (!grown)
            return dg_error_set(err, DG_ERR_NOMEM, "manifest: out of memory");
        m->items = grown;
        m->cap = cap;
    }
    entry *e = &m->items[m->count];
    e->path = strdup(path);
    if (!e->path)
        return dg_error_set(err, DG_ERR_NOMEM, "manifest: out of memory");
    snprintf(e->sha, sizeof e->sha, "%s", sha);
    e->size = size;
    m->count++;
    return DG_OK;
}

static int entry_cmp(const void *a, const void *b)
{
    return strcmp(((const entry *)a)->path, ((const entry *)b)->path);
}

static const entry *manifest_find(const manifest *m, const char *path)
{
    entry key = {.path = (char *)path};
    return m->count ? bsearch(&key, m->items, m->count, sizeof key, entry_cmp) : NULL;
}

static dg_status read_text(const char *path, char **out, size_t *len, dg_error *err)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return errno == ENOENT ? dg_error_set(err, DG_ERR_NOT_FOUND, "%s: missing", path)
                               : io_error(err, path, "cannot open");
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    while (buf) {
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap)
            break;
        cap *= 2;
        char *grown = realloc(buf, cap + 1);
        if (!grown) {
            free(buf);
            buf = NULL;
        } else {
            buf = grown;
        }
    }
    int bad = ferror(f);
    fclose(f);
    if (!buf)
        return dg_error_set(err, DG_ERR_NOMEM, "%s: out of memory", path);
    if (bad) {
        free(buf);
        return io_error(err, path, "cannot read");
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return DG_OK;
}

/* Parses MANIFEST text ("<sha> <size> <path>" lines after the head) into m, sorted. */
static dg_status manifest_parse(char *text, const char *path, manifest *m, dg_error *err)
{
    if (strncmp(text, MANIFEST_HEAD, strlen(MANIFEST_HEAD)) != 0)
        return dg_error_set(err, DG_ERR_CORRUPT, "%s: not a dangan backup manifest", path);
    dg_status st = DG_OK;
    char *save = NULL;
    for (char *line = strtok_r(text + strlen(MANIFEST_HEAD), "\n", &save); st == DG_OK && line;
         line = strtok_r(NULL, "\n", &save)) {
        char sha[65], rel[PATH_MAX];
        unsigned long long size;
        if (sscanf(line, "%64s %llu %4095[^\n]", sha, &size, rel) != 3 ||
            strstr(rel, "..") || rel[0] == '/')
            return dg_error_set(err, DG_ERR_CORRUPT, "%s: bad line: %.80s", path, line);
        st = manifest_add(m, rel, sha, size, err);
    }
    if (st == DG_OK)
        qsort(m->items, m->count, sizeof *m->items, entry_cmp);
    return st;
}

static void manifest_mac(const char *text, size_t len, const unsigned char master[DG_KEY_BYTES],
                         char hex[2 * crypto_auth_BYTES + 1])
{
    unsigned char sub[DG_KEY_BYTES], mac[crypto_auth_BYTES];
    crypto_kdf_derive_from_key(sub, sizeof sub, MANIFEST_SUBKEY, "dgbackup", master);
    crypto_auth(mac, (const unsigned char *)text, len, sub);
    sodium_memzero(sub, sizeof sub);
    sodium_bin2hex(hex, 2 * crypto_auth_BYTES + 1, mac, sizeof mac);
}

/* Reads DEST's manifest and checks its MAC; m holds its entries. */
static dg_status manifest_load(const char *dest, const unsigned char master[DG_KEY_BYTES],
                               manifest *m, dg_error *err)
{
    char path[PATH_MAX], mac_path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dest, MANIFEST_FILE);
    snprintf(mac_path, sizeof mac_path, "%s/%s", dest, MAC_FILE);
    char *text = NULL, *mac_text = NULL;
    size_t len = 0, mac_len = 0;
    dg_status st = read_text(path, &text, &len, err);
    if (st == DG_OK)
        st = read_text(mac_path, &mac_text, &mac_len, err);
    char want[2 * crypto_auth_BYTES + 1];
    if (st == DG_OK) {
        manifest_mac(text, len, master, want);
        if (mac_len < sizeof want - 1 || sodium_memcmp(mac_text, want, sizeof want - 1) != 0)
            st = dg_error_set(err, DG_ERR_CORRUPT,
                              "%s: the manifest's MAC does not match (altered, or another "
                              "master key)", path);
    }
    if (st == DG_OK)
        st = manifest_parse(text, path, m, err);
    free(text);
    free(mac_text);
    return st;
}

static dg_status write_small(const char *dest, const char *name, const char *text,
                             dg_error *err)
{
    char tmp[PATH_MAX], path[PATH_MAX];
    int fd;
    dg_status st = open_tmp(dest, name, tmp, sizeof tmp, &fd, err);
    if (st != DG_OK)
        return st;
    st = dg_sync_close(fd, tmp, dg_write_all(fd, text, strlen(text), NULL, tmp, err), err);
    snprintf(path, sizeof path, "%s/%s", dest, name);
    if (st == DG_OK && rename(tmp, path) != 0)
        st = io_error(err, path, "cannot move into place");
    if (st != DG_OK)
        unlink(tmp);
    return st;
}

static dg_status manifest_write(const char *dest, manifest *m,
                                const unsigned char master[DG_KEY_BYTES], dg_error *err)
{
    qsort(m->items, m->count, sizeof *m->items, entry_cmp);
    size_t cap = strlen(MANIFEST_HEAD) + 1;
    for (size_t i = 0; i < m->count; i++)
        cap += strlen(m->items[i].path) + 96;
    char *text = malloc(cap);
    if (!text)
        return dg_error_set(err, DG_ERR_NOMEM, "manifest: out of memory");
    size_t n = (size_t)snprintf(text, cap, "%s", MANIFEST_HEAD);
    for (size_t i = 0; i < m->count; i++)
        n += (size_t)snprintf(text + n, cap - n, "%s %llu %s\n", m->items[i].sha,
                              (unsigned long long)m->items[i].size, m->items[i].path);
    char mac[2 * crypto_auth_BYTES + 2];
    manifest_mac(text, n, master, mac);
    strcat(mac, "\n");
    dg_status st = write_small(dest, MANIFEST_FILE, text, err);
    if (st == DG_OK)
        st = write_small(dest, MAC_FILE, mac, err);
    if (st == DG_OK) /* the two renames */
        st = dg_sync_dir(dest, err);
    free(text);
    return st;
}

/* ---- taking a backup ---- */

typedef struct backup_run {
    dg_archive *archive;
    const char *dest;
    manifest old, now;
    dg_backup_result *out;
    uint64_t total;
    dg_error *err;
} backup_run;

static int valid_object_name(const char *name)
{
    if (strlen(name) != 64)
        return 0;
    for (const char *p = name; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return 0;
    return 1;
}

static dg_status count_object(const char *hex, void *ctx)
{
    (void)hex;
    ((backup_run *)ctx)->total++;
    return DG_OK;
}

/* One object: copied when the backup lacks it (object files never change once written). */
static dg_status backup_object(const char *hex, void *ctx)
{
    backup_run *b = ctx;
    if (!valid_object_name(hex))
        return DG_OK; /* not an object: verify reports it, a backup leaves it out */
    char rel[96], src[PATH_MAX], dst[PATH_MAX], dir[PATH_MAX];
    snprintf(rel, sizeof rel, "objects/%.2s/%s", hex, hex + 2);
    snprintf(src, sizeof src, "%s/objects/%.2s/%s", b->archive->path, hex, hex + 2);
    snprintf(dst, sizeof dst, "%s/%s", b->dest, rel);
    snprintf(dir, sizeof dir, "%s/objects/%.2s", b->dest, hex);
    const entry *had = manifest_find(&b->old, rel);
    struct stat sb;
    char sha[65];
    uint64_t size = 0;
    dg_status st = DG_OK;
    if (had && stat(dst, &sb) == 0 && (uint64_t)sb.st_size == had->size) {
        snprintf(sha, sizeof sha, "%s", had->sha);
        size = had->size;
    } else {
        st = dg_make_private_dir(dir, b->err);
        if (st == DG_OK)
            st = copy_file(src, dst, b->dest, &size, sha, b->err);
        if (st == DG_ERR_NOT_FOUND)
            return DG_OK; /* destroyed while the backup ran: its key goes too */
        if (st == DG_OK) {
            b->out->bytes += size;
            b->out->copied++;
        }
    }
    if (st == DG_OK)
        st = manifest_add(&b->now, rel, sha, size, b->err);
    if (st == DG_OK && ++b->out->objects % 64 == 0)
        dg_archive_progress(b->archive, "backup", b->out->objects, b->total);
    return st;
}

/* Files of the backup's objects/ that the archive no longer has (destroyed records). */
static dg_status prune_objects(backup_run *b)
{
    char root[PATH_MAX];
    snprintf(root, sizeof root, "%s/objects", b->dest);
    DIR *top = opendir(root);
    if (!top)
        return errno == ENOENT ? DG_OK : io_error(b->err, root, "cannot open folder");
    qsort(b->now.items, b->now.count, sizeof *b->now.items, entry_cmp);
    dg_status st = DG_OK;
    struct dirent *de;
    while (st == DG_OK && (de = readdir(top))) {
        if (de->d_name[0] == '.')
            continue;
        char sub[PATH_MAX + 512];
        snprintf(sub, sizeof sub, "%s/%s", root, de->d_name);
        DIR *d = opendir(sub);
        if (!d)
            continue;
        struct dirent *f;
        while (st == DG_OK && (f = readdir(d))) {
            if (f->d_name[0] == '.')
                continue;
            char rel[600], path[PATH_MAX + 1024];
            snprintf(rel, sizeof rel, "objects/%s/%s", de->d_name, f->d_name);
            if (manifest_find(&b->now, rel))
                continue;
            snprintf(path, sizeof path, "%s/%s", b->dest, rel);
            if (unlink(path) != 0)
                st = io_error(b->err, path, "cannot remove");
            else
                b->out->removed++;
        }
        closedir(d);
    }
    closedir(top);
    return st;
}

/* The scratch copy of the catalog ("main") or of the log's file ("log"). */
static void snapshot_path(const backup_run *b, const char *schema, char *snap, size_t size)
{
    snprintf(snap, size, "%s/backup-snapshot%s%s.db", b->archive->path,
             strcmp(schema, "main") ? "-" : "", strcmp(schema, "main") ? schema : "");
}

static void unlink_snapshot(const backup_run *b)
{
    char snap[PATH_MAX];
    snapshot_path(b, "main", snap, sizeof snap);
    unlink(snap);
    snapshot_path(b, "log", snap, sizeof snap);
    unlink(snap);
}

/*
 * A consistent snapshot of the catalog (online backup API), taken before the object files
 * are listed so that every object it names is copied. A scratch file, sealed into DEST
 * last and removed: SQLite need not sync it or keep a journal.
 */
static dg_status snapshot_schema(backup_run *b, const char *schema)
{
    char snap[PATH_MAX];
    snapshot_path(b, schema, snap, sizeof snap);
    unlink(snap); /* a killed backup's leftover */
    sqlite3 *dst = NULL;
    dg_status st = DG_OK;
    if (sqlite3_open_v2(snap, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
            SQLITE_OK ||
        sqlite3_exec(dst, "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF", NULL, NULL,
                     NULL) != SQLITE_OK)
        st = dg_error_set(b->err, DG_ERR_IO, "%s: %s", snap, sqlite3_errmsg(dst));
    sqlite3_backup *bk = st == DG_OK ? sqlite3_backup_init(dst, "main", b->archive->db, schema)
                                     : NULL;
    if (st == DG_OK && !bk)
        st = dg_error_set(b->err, DG_ERR_IO, "%s: %s", snap, sqlite3_errmsg(dst));
    if (bk) {
        int rc = sqlite3_backup_step(bk, -1);
        sqlite3_backup_finish(bk);
        if (rc != SQLITE_DONE)
            st = dg_error_set(b->err, DG_ERR_IO, "catalog snapshot: %s", sqlite3_errstr(rc));
    }
    sqlite3_close(dst);
    if (st != DG_OK)
        unlink(snap);
    return st;
}

/*
 * The catalog, then the log's file: a change's entry still pending in the catalog (log.h)
 * is then in the log's copy too, or appended from the catalog's when the restored archive is
 * first opened (log_changes tells which, so never twice). Pending entries are appended first.
 */
static dg_status snapshot_catalog(backup_run *b)
{
    dg_status st = dg_log_pending_flush(b->archive, b->err);
    if (st == DG_OK)
        st = snapshot_schema(b, "main");
    if (st == DG_OK)
        st = snapshot_schema(b, "log");
    return st;
}

/* The snapshot of schema sealed into DEST as name (unsynced, like the object files) and
 * removed. */
static dg_status seal_snapshot(backup_run *b, const char *schema, const char *name, int subkey)
{
    char snap[PATH_MAX];
    snapshot_path(b, schema, snap, sizeof snap);
    unsigned char key[DG_KEY_BYTES];
    dg_keys_subkey(b->archive->keys, (unsigned)subkey, key);
    dg_status st = DG_OK;
    int in = open(snap, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        st = io_error(b->err, snap, "cannot open");
    char tmp[PATH_MAX], path[PATH_MAX];
    int out = -1;
    if (st == DG_OK)
        st = open_tmp(b->dest, name, tmp, sizeof tmp, &out, b->err);
    if (st == DG_OK) {
        st = seal_stream(in, out, key, snap, tmp, &b->out->bytes, b->err);
        if (close(out) != 0 && st == DG_OK)
            st = io_error(b->err, tmp, "cannot close");
    }
    if (in >= 0)
        close(in);
    unlink(snap);
    sodium_memzero(key, sizeof key);
    snprintf(path, sizeof path, "%s/%s", b->dest, name);
    if (st == DG_OK && rename(tmp, path) != 0)
        st = io_error(b->err, path, "cannot move into place");
    if (st != DG_OK && out >= 0)
        unlink(tmp);
    char sha[65];
    uint64_t size;
    if (st == DG_OK)
        st = hash_file(path, sha, &size, b->err);
    if (st == DG_OK)
        st = manifest_add(&b->now, name, sha, size, b->err);
    return st;
}

static dg_status seal_catalog(backup_run *b)
{
    dg_status st = seal_snapshot(b, "main", CATALOG_FILE, CATALOG_SUBKEY);
    if (st == DG_OK)
        st = seal_snapshot(b, "log", LOG_SEALED_FILE, LOG_SUBKEY);
    return st;
}

/* Temporary files of a killed backup. */
static void clean_tmp(const char *dest)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/.tmp", dest);
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d)))
        if (de->d_name[0] != '.')
            unlinkat(dirfd(d), de->d_name, 0);
    closedir(d);
}

static dg_status backup_body(backup_run *b)
{
    dg_status st = dg_make_private_dir(b->dest, b->err);
    char objects[PATH_MAX];
    snprintf(objects, sizeof objects, "%s/objects", b->dest);
    if (st == DG_OK)
        st = dg_make_private_dir(objects, b->err);
    if (st == DG_OK)
        clean_tmp(b->dest);
    if (st == DG_OK)
        st = snapshot_catalog(b);
    if (st == DG_OK)
        st = dg_store_list(b->archive->store, count_object, b, b->err);
    if (st == DG_OK)
        st = dg_store_list(b->archive->store, backup_object, b, b->err);
    if (st == DG_OK)
        st = prune_objects(b);
    if (st == DG_OK)
        st = seal_catalog(b);
    else
        unlink_snapshot(b);
    /* One sync for every file written above, before the manifest names them: a backup
     * killed before the manifest is whole leaves the old one (whose files were synced by
     * its own run) or none, and the next run copies again what it does not list. */
    if (st == DG_OK)
        st = dg_sync_filesystem(b->dest, b->err);
    if (st == DG_OK)
        dg_archive_progress(b->archive, "backup", b->out->objects, b->out->objects);
    return st;
}

/* An archive whose encryption in place (encrypt_in_place.h) is not finished has records
 * whose objects and titles are still plain: no backup may carry them. */
static dg_status refuse_plain_records(dg_archive *archive, dg_error *err)
{
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(
        archive->db, "SELECT count(*) FROM records WHERE state = 'live' AND key_id IS NULL",
        &stmt, err);
    int64_t plain = 0;
    if (st == DG_OK)
        st = dg_catalog_row_int64(archive->db, stmt, &plain, "count records", err, NULL);
    if (st == DG_OK && plain > 0)
        st = dg_error_set(err, DG_ERR_STATE,
                          "%s: %lld records are not encrypted yet: finish 'dangan keys "
                          "encrypt' before a backup", archive->path, (long long)plain);
    return st;
}

dg_status dg_backup_run(dg_archive *archive, const dg_actor *actor, const char *dest,
                        const char *keys_dest, dg_backup_result *out, dg_error *err)
{
    memset(out, 0, sizeof *out);
    dg_status st = dg_require_filer(archive, actor, "backup", NULL, err);
    if (st != DG_OK)
        return st;
    if (!archive->keys)
        return dg_error_set(err, DG_ERR_USAGE,
                            "%s: backup needs an encrypted archive (made with --key-file): "
                            "a backup of this one would carry every record in the clear",
                            archive->path);
    st = refuse_plain_records(archive, err);
    if (st != DG_OK)
        return st;
    backup_run b = {.archive = archive, .dest = dest, .out = out, .err = err};
    unsigned char master[DG_KEY_BYTES];
    st = dg_archive_master_key(archive->path, master, err);
    if (st == DG_OK) {
        dg_error ignored; /* no previous backup, or a damaged manifest: hash everything */
        if (manifest_load(dest, master, &b.old, &ignored) != DG_OK)
            manifest_free(&b.old);
        st = backup_body(&b);
    }
    if (st == DG_OK)
        st = manifest_write(dest, &b.now, master, err);
    sodium_memzero(master, sizeof master);
    if (st == DG_OK && keys_dest) /* made first: remembering resolves its path */
        st = dg_key_copies_write(archive, keys_dest, err);
    if (st == DG_OK && keys_dest)
        st = dg_key_copies_remember(archive, keys_dest, err);
    /* Every remembered key backup now, not only one named this time: a key backup older
     * than the data backup lacks the keys of the records filed since it was written, and a
     * restore takes a missing key for a destruction after the backup (backup.h), so those
     * records would come back destroyed. Written after the data, the keys cover it all. */
    if (st == DG_OK)
        st = dg_key_copies_refresh(archive, err);
    manifest_free(&b.old);
    manifest_free(&b.now);
    char detail[PATH_MAX + 160];
    snprintf(detail, sizeof detail, "%s: %llu objects, %llu copied, %llu removed%s%s",
             dest, (unsigned long long)out->objects, (unsigned long long)out->copied,
             (unsigned long long)out->removed, keys_dest ? "; keys to " : "",
             keys_dest ? keys_dest : "");
    return dg_log_result(archive, actor, "backup", (long)out->objects, st, detail, err);
}

/* ---- verifying a backup ---- */

typedef struct listing {
    const manifest *m;
    const char *dest;
    dg_error *err;
} listing;

/* Every file under DEST must be listed, apart from the manifest itself and .tmp/. */
static dg_status find_unlisted(const listing *l, const char *rel_dir)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s%s%s", l->dest, *rel_dir ? "/" : "", rel_dir);
    DIR *d = opendir(dir);
    if (!d)
        return io_error(l->err, dir, "cannot open folder");
    dg_status st = DG_OK;
    struct dirent *de;
    while (st == DG_OK && (de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        char rel[PATH_MAX];
        snprintf(rel, sizeof rel, "%s%s%s", rel_dir, *rel_dir ? "/" : "", de->d_name);
        struct stat sb;
        char path[PATH_MAX * 2];
        snprintf(path, sizeof path, "%s/%s", l->dest, rel);
        if (lstat(path, &sb) != 0)
            st = io_error(l->err, path, "cannot stat");
        else if (S_ISDIR(sb.st_mode))
            st = find_unlisted(l, rel);
        else if (!*rel_dir && (!strcmp(de->d_name, MANIFEST_FILE) || !strcmp(de->d_name, MAC_FILE)))
            continue;
        else if (!manifest_find(l->m, rel))
            st = dg_error_set(l->err, DG_ERR_CORRUPT, "%s: not in the backup's manifest", path);
    }
    closedir(d);
    return st;
}

/* Decrypts DEST's catalog into memory (a memfd, then an in-memory SQLite database). */
static dg_status open_backed_up_catalog(const char *dest,
                                        const unsigned char master[DG_KEY_BYTES], sqlite3 **db,
                                        dg_error *err)
{
    *db = NULL;
    char src[PATH_MAX + 32];
    snprintf(src, sizeof src, "%s/%s", dest, CATALOG_FILE);
    unsigned char key[DG_KEY_BYTES];
    crypto_kdf_derive_from_key(key, sizeof key, CATALOG_SUBKEY, "dgbackup", master);
    int in = open(src, O_RDONLY | O_CLOEXEC);
    int mem = memfd_create("dangan-catalog", MFD_CLOEXEC);
    dg_status st = in < 0    ? io_error(err, src, "cannot open")
                   : mem < 0 ? io_error(err, src, "cannot make a memory file")
                             : open_stream(in, mem, key, src, "memory", err);
    sodium_memzero(key, sizeof key);
    if (in >= 0)
        close(in);
    struct stat sb;
    unsigned char *buf = NULL;
    if (st == DG_OK && fstat(mem, &sb) != 0)
        st = io_error(err, src, "cannot stat the decrypted catalog");
    if (st == DG_OK && (buf = sqlite3_malloc64((sqlite3_uint64)sb.st_size + 1)) == NULL)
        st = dg_error_set(err, DG_ERR_NOMEM, "%s: out of memory", src);
    size_t got = 0;
    if (st == DG_OK && lseek(mem, 0, SEEK_SET) == 0)
        st = dg_read_up_to(mem, buf, (size_t)sb.st_size, &got, src, err);
    if (mem >= 0)
        close(mem);
    if (st == DG_OK && (got != (size_t)sb.st_size || got < 100))
        st = dg_error_set(err, DG_ERR_CORRUPT, "%s: the catalog is truncated", src);
    if (st == DG_OK) {
        buf[18] = buf[19] = 1; /* a WAL-mode header: in memory the database has no WAL */
        if (sqlite3_open(":memory:", db) != SQLITE_OK ||
            sqlite3_deserialize(*db, "main", buf, (sqlite3_int64)got, (sqlite3_int64)got + 1,
                                SQLITE_DESERIALIZE_FREEONCLOSE) != SQLITE_OK)
            st = dg_error_set(err, DG_ERR_CORRUPT, "%s: not a catalog", src);
        buf = NULL; /* owned by SQLite now, even on failure */
    }
    sqlite3_free(buf);
    if (st != DG_OK) {
        sqlite3_close(*db);
        *db = NULL;
    }
    return st;
}

/* Every object the backed-up catalog lists or a version uses must be in the manifest. */
static dg_status check_records_complete(const char *dest, const manifest *m,
                                        const unsigned char master[DG_KEY_BYTES],
                                        uint64_t *objects, dg_error *err)
{
    static const char SQL[] =
        "SELECT sha256 FROM objects UNION SELECT sha256 FROM pages"
        " UNION SELECT text_sha256 FROM pages WHERE text_sha256 IS NOT NULL"
        " UNION SELECT boxes_sha256 FROM pages WHERE boxes_sha256 IS NOT NULL"
        " UNION SELECT text_sha256 FROM versions WHERE text_sha256 IS NOT NULL";
    sqlite3 *db = NULL;
    dg_status st = open_backed_up_catalog(dest, master, &db, err);
    sqlite3_stmt *stmt = NULL;
    if (st == DG_OK && sqlite3_prepare_v2(db, SQL, -1, &stmt, NULL) != SQLITE_OK)
        st = dg_error_set(err, DG_ERR_CORRUPT, "%s: the catalog cannot be read: %s", dest,
                          sqlite3_errmsg(db));
    int rc = SQLITE_DONE;
    while (st == DG_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        const char *hex = (const char *)sqlite3_column_text(stmt, 0);
        char rel[96];
        snprintf(rel, sizeof rel, "objects/%.2s/%.62s", hex ? hex : "", hex ? hex + 2 : "");
        if (!hex || strlen(hex) != 64 || !manifest_find(m, rel))
            st = dg_error_set(err, DG_ERR_CORRUPT,
                              "%s: object %.64s of the backed-up catalog is not in the backup "
                              "(run the backup again)", dest, hex ? hex : "(null)");
        else
            (*objects)++;
    }
    if (st == DG_OK && rc != SQLITE_DONE)
        st = dg_error_set(err, DG_ERR_CORRUPT, "%s: the catalog cannot be read: %s", dest,
                          sqlite3_errmsg(db));
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return st;
}

/* The manifest (MAC checked) lists a catalog, every file in DEST and every object the
 * backed-up catalog names: the backup is whole, whatever its files' contents. */
static dg_status check_listing(const char *dest, const manifest *m,
                               const unsigned char master[DG_KEY_BYTES], dg_error *err)
{
    if (!manifest_find(m, CATALOG_FILE))
        return dg_error_set(err, DG_ERR_CORRUPT, "%s: the manifest lists no catalog", dest);
    listing l = {.m = m, .dest = dest, .err = err};
    dg_status st = find_unlisted(&l, "");
    uint64_t objects = 0;
    if (st == DG_OK)
        st = check_records_complete(dest, m, master, &objects, err);
    return st;
}

/* A file read from DEST (hashed as read) against its manifest entry. */
static dg_status check_content(const char *path, const entry *e, const char *sha,
                               uint64_t size, dg_status st, dg_error *err)
{
    if (st == DG_ERR_NOT_FOUND)
        return dg_error_set(err, DG_ERR_CORRUPT, "%s: listed in the manifest, missing", path);
    if (st == DG_OK && (size != e->size || strcmp(sha, e->sha) != 0))
        return dg_error_set(err, DG_ERR_CORRUPT,
                            "%s: its content does not match the manifest", path);
    return st;
}

dg_status dg_backup_verify(const char *dest, const unsigned char master[DG_KEY_BYTES],
                           uint64_t *files, dg_error *err)
{
    *files = 0;
    manifest m = {0};
    dg_status st = manifest_load(dest, master, &m, err);
    for (size_t i = 0; st == DG_OK && i < m.count; i++) {
        char path[PATH_MAX * 2], sha[65];
        uint64_t size = 0;
        snprintf(path, sizeof path, "%s/%s", dest, m.items[i].path);
        st = hash_file(path, sha, &size, err);
        st = check_content(path, &m.items[i], sha, size, st, err);
        if (st == DG_OK)
            (*files)++;
    }
    if (st == DG_OK)
        st = check_listing(dest, &m, master, err);
    manifest_free(&m);
    return st;
}

/* ---- restoring ---- */

/* The sealed file name of DEST opened into new_path's file as (under subkey). */
static dg_status restore_sealed(const char *dest, const char *name, const char *new_path,
                                const char *as, int subkey, const manifest *m,
                                const unsigned char master[DG_KEY_BYTES], uint64_t *bytes,
                                dg_error *err)
{
    char src[PATH_MAX + 32], dst[PATH_MAX + 32], sha[65];
    snprintf(src, sizeof src, "%s/%s", dest, name);
    snprintf(dst, sizeof dst, "%s/%s", new_path, as);
    uint64_t size = 0;
    dg_status st = hash_file(src, sha, &size, err);
    st = check_content(src, manifest_find(m, name), sha, size, st, err);
    if (st != DG_OK)
        return st;
    *bytes += size;
    unsigned char key[DG_KEY_BYTES];
    crypto_kdf_derive_from_key(key, sizeof key, (uint64_t)subkey, "dgbackup", master);
    int in = open(src, O_RDONLY | O_CLOEXEC);
    if (in < 0) {
        sodium_memzero(key, sizeof key);
        return io_error(err, src, "cannot open");
    }
    int out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    st = out < 0 ? io_error(err, dst, "cannot create") : DG_OK;
    if (st == DG_OK) { /* synced with the whole restore (restore_into) */
        st = open_stream(in, out, key, src, dst, err);
        if (close(out) != 0 && st == DG_OK)
            st = io_error(err, dst, "cannot close");
    }
    close(in);
    sodium_memzero(key, sizeof key);
    return st;
}

/* The catalog, and the log's file when the backup has one (see LOG_SEALED_FILE). */
static dg_status restore_catalog(const char *dest, const char *new_path, const manifest *m,
                                 const unsigned char master[DG_KEY_BYTES], uint64_t *bytes,
                                 dg_error *err)
{
    dg_status st = restore_sealed(dest, CATALOG_FILE, new_path, "catalog.db", CATALOG_SUBKEY,
                                  m, master, bytes, err);
    if (st == DG_OK && manifest_find(m, LOG_SEALED_FILE))
        st = restore_sealed(dest, LOG_SEALED_FILE, new_path, DG_LOG_FILE, LOG_SUBKEY, m,
                            master, bytes, err);
    return st;
}

/*
 * Copies every object file of the manifest into new_path, each read once: hashed as it is
 * copied and checked against the manifest (so the backup's files are checked and copied in
 * one pass, at the speed of the disks), then the key table.
 */
static dg_status restore_files(const char *dest, const char *keys_dir, const char *new_path,
                               const manifest *m, uint64_t *files, uint64_t *bytes,
                               dg_error *err)
{
    dg_status st = DG_OK;
    char made[3] = "";
    for (size_t i = 0; st == DG_OK && i < m->count; i++) {
        const entry *e = &m->items[i];
        if (strncmp(e->path, "objects/", 8) != 0)
            continue;
        char src[PATH_MAX * 2], dst[PATH_MAX * 2], dir[PATH_MAX * 2], sha[65];
        snprintf(src, sizeof src, "%s/%s", dest, e->path);
        snprintf(dst, sizeof dst, "%s/%s", new_path, e->path);
        if (strncmp(made, e->path + 8, 2) != 0) { /* the manifest is sorted: one per folder */
            snprintf(dir, sizeof dir, "%s/objects/%.2s", new_path, e->path + 8);
            st = dg_make_private_dir(dir, err);
            snprintf(made, sizeof made, "%.2s", e->path + 8);
        }
        uint64_t size = 0;
        if (st == DG_OK) {
            st = copy_file(src, dst, NULL, &size, sha, err);
            st = check_content(src, e, sha, size, st, err);
        }
        if (st == DG_OK) {
            (*files)++;
            *bytes += size;
        }
    }
    char src[PATH_MAX + 32], dst[PATH_MAX + 32];
    snprintf(src, sizeof src, "%s/%s", keys_dir, DG_KEYS_FILE);
    snprintf(dst, sizeof dst, "%s/%s", new_path, DG_KEYS_FILE);
    uint64_t size = 0;
    if (st == DG_OK)
        st = copy_file(src, dst, NULL, &size, NULL, err);
    *bytes += size;
    return st;
}

static dg_status restore_new_folder(const char *new_path, dg_error *err)
{
    dg_status st = dg_make_private_dir(new_path, err);
    static const char *const SUB[] = {"objects", "index", "quarantine"};
    for (size_t i = 0; st == DG_OK && i < sizeof SUB / sizeof SUB[0]; i++) {
        char sub[PATH_MAX + 32];
        snprintf(sub, sizeof sub, "%s/%s", new_path, SUB[i]);
        st = dg_make_private_dir(sub, err);
    }
    return st;
}

/*
 * The restore's catalog commits need no sync of their own: everything in the partial folder
 * is thrown away unless the one sync of the whole file system (restore_into) has made it
 * durable before the rename that names it. So a handle on the partial archive commits at
 * synchronous=OFF (no fdatasync of the write-ahead log per commit, none per checkpoint).
 */
static dg_status commit_unsynced(dg_archive *archive, dg_error *err)
{
    return dg_catalog_exec(archive->db, "PRAGMA synchronous=OFF; PRAGMA log.synchronous=OFF",
                           err);
}

/* When the key backup in keys_dir was written (its file's time), as the catalog writes
 * times; "" when it cannot be told (then no record is refused for it). */
static void keys_written_at(const char *keys_dir, char out[40])
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", keys_dir, DG_KEYS_FILE);
    struct stat sb;
    struct tm tm;
    out[0] = '\0';
    if (stat(path, &sb) != 0 || !gmtime_r(&sb.st_mtim.tv_sec, &tm))
        return;
    char day[24];
    strftime(day, sizeof day, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, 40, "%.19s.%03dZ", day, (int)(sb.st_mtim.tv_nsec / 1000000) % 1000);
}

/* Forgets records whose key is gone, and leaves the index owed to a reindex. */
static dg_status forget_keyless(const char *new_path, const char *keys_dir, const char *login,
                                size_t *keyless, dg_error *err)
{
    char written[40];
    keys_written_at(keys_dir, written);
    dg_archive *archive = NULL;
    dg_status st = dg_archive_open_handle(new_path, &archive, err);
    if (st == DG_OK)
        st = commit_unsynced(archive, err);
    dg_actor actor;
    if (st == DG_OK)
        st = dg_actor_login(archive, login, "cli", &actor, err);
    if (st == DG_OK)
        st = dg_destruction_forget_keyless(archive, &actor, written[0] ? written : NULL,
                                           keyless, err);
    /* The live archive's key backups are not the restored one's: a destruction here must
     * not overwrite them. Backing this archive up names its own. The index is owed to the
     * reindex that follows; opening the archive does not build it behind the user's back,
     * and searching refuses until it is built (archive.c). */
    if (st == DG_OK)
        st = dg_catalog_exec(archive->db,
                             "DELETE FROM settings WHERE key = '" DG_KEY_DIRS_SETTING "';"
                             "INSERT OR REPLACE INTO settings(key, value) VALUES ('"
                             DG_REBUILD_OWED "', '" DG_REBUILD_RESTORED "')", err);
    dg_archive_close(archive);
    return st;
}

static int remove_entry(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
    (void)sb, (void)type, (void)ftw;
    return remove(path);
}

/*
 * The new archive is built in "<new_path>.restoring" and renamed into place only when
 * whole, so a restore killed part way leaves no half archive under the real name; the
 * next run throws the partial folder away and starts again.
 */
static dg_status start_partial(const char *new_path, char *partial, size_t size,
                               dg_error *err)
{
    snprintf(partial, size, "%s.restoring", new_path);
    char catalog[PATH_MAX];
    snprintf(catalog, sizeof catalog, "%s/catalog.db", new_path);
    if (access(catalog, F_OK) == 0)
        return dg_error_set(err, DG_ERR_EXISTS,
                            "%s: an archive is already there (restore into a new folder)",
                            new_path);
    struct stat sb;
    if (lstat(partial, &sb) == 0 && nftw(partial, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
        return io_error(err, partial, "cannot remove a killed restore's folder");
    return restore_new_folder(partial, err);
}

static dg_status finish_partial(const char *partial, const char *new_path, dg_error *err)
{
    rmdir(new_path); /* an empty folder made for the restore may stand in the way */
    if (rename(partial, new_path) != 0)
        return io_error(err, new_path, "cannot move the restored archive into place");
    char parent[PATH_MAX];
    dg_parent_dir(new_path, parent, sizeof parent);
    return dg_sync_dir(parent, err); /* the rename itself */
}

static double seconds_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/*
 * The files of the restore, at the speed of the disks: the manifest's MAC, its listing
 * against the backup folder and the backed-up catalog, then every file read once, hashed
 * and checked as it is copied.
 */
static dg_status restore_all_files(const char *dest, const char *keys_dir, const char *partial,
                                   dg_restore_result *out, dg_error *err)
{
    unsigned char master[DG_KEY_BYTES];
    dg_status st = dg_archive_master_key(partial, master, err);
    manifest m = {0};
    if (st == DG_OK)
        st = manifest_load(dest, master, &m, err);
    if (st == DG_OK)
        st = check_listing(dest, &m, master, err);
    if (st == DG_OK)
        st = restore_catalog(dest, partial, &m, master, &out->bytes, err);
    if (st == DG_OK) {
        out->files = 1;
        st = restore_files(dest, keys_dir, partial, &m, &out->files, &out->bytes, err);
    }
    manifest_free(&m);
    sodium_memzero(master, sizeof master);
    return st;
}

/*
 * Checks the backup and builds the whole archive in partial, but for its index: that is
 * derived, built by the reindex that follows (at indexing speed, with its own progress),
 * and until then the restored archive refuses searches (DG_REBUILD_RESTORED).
 */
static dg_status restore_into(const char *dest, const char *keys_dir, const char *partial,
                              const char *login, dg_restore_result *out, dg_error *err)
{
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    dg_status st = restore_all_files(dest, keys_dir, partial, out, err);
    out->file_seconds = seconds_since(&t0);
    if (st == DG_OK)
        st = forget_keyless(partial, keys_dir, login, &out->keyless, err);
    dg_archive *archive = NULL;
    if (st == DG_OK)
        st = dg_archive_open(partial, &archive, err);
    if (st == DG_OK)
        st = commit_unsynced(archive, err);
    dg_actor actor;
    if (st == DG_OK)
        st = dg_actor_login(archive, login, "cli", &actor, err);
    if (st == DG_OK) {
        char detail[PATH_MAX + 160];
        snprintf(detail, sizeof detail, "from %s: %llu files; %zu records destroyed after the "
                 "backup stay destroyed; the index is owed to a reindex", dest,
                 (unsigned long long)out->files, out->keyless);
        dg_log_event ev = {.action = "restore", .hits = (long)out->files, .outcome = "ok",
                           .detail = detail};
        st = dg_log_append(archive, &actor, NULL, &ev, err);
    }
    dg_archive_close(archive);
    /* One sync for every file the restore wrote (none synced on its own), before the
     * rename that makes the archive whole under its real name. */
    if (st == DG_OK)
        st = dg_sync_filesystem(partial, err);
    out->seconds = seconds_since(&t0);
    return st;
}

dg_status dg_backup_restore(const char *dest, const char *keys_dir, const char *new_path,
                            const char *login, dg_restore_result *out, dg_error *err)
{
    memset(out, 0, sizeof *out);
    char partial[PATH_MAX];
    if (strlen(new_path) + 16 >= sizeof partial)
        return dg_error_set(err, DG_ERR_USAGE, "%.200s...: path too long", new_path);
    dg_status st = start_partial(new_path, partial, sizeof partial, err);
    if (st == DG_OK)
        st = restore_into(dest, keys_dir, partial, login, out, err);
    if (st == DG_OK)
        st = finish_partial(partial, new_path, err);
    return st;
}
