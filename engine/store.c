/*
 * store.c — the content-addressed object store: one zlib-compressed file per distinct
 * content, named by the SHA-256 of that content, written so that a crash never leaves a
 * torn object behind.
 *
 * Layout under the store root (e.g. "<archive>/objects"):
 *
 *     tmp/                     objects being written; anything here after a crash is junk
 *                              and dg_store_open() removes it
 *     <2 hex>/<62 hex>         one object; the 64 hex digits are the SHA-256 of its
 *                              uncompressed content, lowercase
 *
 * On-disk format of an object file (everything big-endian):
 *
 *     offset  size  content
 *     0       4     magic "DGZ1" (dangan object, zlib, format 1)
 *     4       8     length of the uncompressed content in bytes
 *     12      ...   one zlib stream (RFC 1950) of the content, running to the end of file
 *
 * The declared length lets a reader allocate the content exactly once. It is not trusted:
 * a reader refuses, as corrupt, a length above DG_STORE_MAX_OBJECT or above what the
 * compressed bytes could possibly expand to (deflate's best ratio is 1032:1), a stream that
 * ends early, runs long or is followed by stray bytes, and content whose SHA-256 is not the
 * file's name.
 *
 * Files are created 0600 and folders 0700: the store holds confidential records, and only
 * the archive's own account should read it. The store holds no state beyond its root path,
 * so one dg_store may be used from several threads; two writers (threads or processes)
 * racing to store the same content each write their own temporary file and rename it over
 * the same name, which is harmless because the two files are identical in content.
 */
#include "store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "../base/fault.h"
#include "../base/fileio.h"

#define OBJECT_MAGIC "DGZ1"
#define OBJECT_MAGIC_LEN 4
#define OBJECT_HEADER_LEN 12

/*
 * The largest object the store accepts (1 GiB). A page image is a few megabytes; the cap
 * exists so that a corrupt length field can never make a reader allocate without bound.
 */
#define DG_STORE_MAX_OBJECT ((uint64_t)1 << 30)

/* Deflate cannot expand by more than this factor (one 2-bit code per 258-byte match). */
#define DEFLATE_MAX_RATIO 1032

/* Bytes moved per read(), write() or zlib call: bounded so zlib's uInt counters never wrap. */
#define CHUNK (256 * 1024)

/* Room in a path buffer for "/<2 hex>/<62 hex>" or "/tmp/obj-XXXXXX" after the root. */
#define PATH_SUFFIX_MAX 80

/* An object written to tmp/ and not yet named (dg_store_defer). */
typedef struct deferred_object {
    char hex[DG_SHA256_HEX];
    char tmp_name[16]; /* "obj-XXXXXX" under tmp/ */
    uint64_t written;
} deferred_object;

struct dg_store {
    char *root;
    dg_store_key_fn key_fn; /* data keys of sealed objects (keys.h), or NULL */
    void *key_ctx;
    /* Deferred publishing: set and used only under the write lock, by its holder. */
    int defer;
    deferred_object *deferred;
    size_t n_deferred, cap_deferred;
    /* A level-1 deflate stream kept for the next object (take_deflater); a thread that
     * finds it taken sets up a stream of its own, as every put did before. */
    pthread_mutex_t deflater_lock;
    z_stream *deflater;
};

/*
 * Sealed object format (see store.h):
 *     0    4     magic "DGE1"
 *     4    32    the data key's id, hex
 *     36   24    crypto_secretstream_xchacha20poly1305 header
 *     60   ...   the stream: chunks of SEAL_CHUNK plaintext bytes (+17 each), the last one
 *                tagged FINAL; the key id is every chunk's associated data
 * The stream's plaintext is the content's length (8 bytes, big-endian) and its zlib stream.
 */
#define SEAL_MAGIC "DGE1"
#define SEAL_ID_LEN (DG_STORE_KEY_ID_HEX - 1)
#define SEAL_HEADER_LEN (OBJECT_MAGIC_LEN + SEAL_ID_LEN + \
                         crypto_secretstream_xchacha20poly1305_HEADERBYTES)
#define SEAL_CHUNK (64 * 1024)
#define SEAL_ABYTES crypto_secretstream_xchacha20poly1305_ABYTES

/* ---- small helpers: hex names, paths, errno-safe I/O ---- */

static int is_lower_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return 0;
    }
    return s[n] == '\0';
}

/* A name is valid only as exactly 64 lowercase hex digits: it becomes part of a path. */
static dg_status check_hex_name(const char *hex, dg_error *err)
{
    if (!hex || strnlen(hex, DG_SHA256_HEX) != DG_SHA256_HEX - 1 ||
        !is_lower_hex(hex, DG_SHA256_HEX - 1))
        return dg_error_set(err, DG_ERR_USAGE, "%.80s: not an object name (64 lowercase hex)",
                            hex ? hex : "(null)");
    return DG_OK;
}

static void fanout_path(const dg_store *store, const char *hex, char *buf, size_t size)
{
    snprintf(buf, size, "%s/%.2s", store->root, hex);
}

static void object_path(const dg_store *store, const char *hex, char *buf, size_t size)
{
    snprintf(buf, size, "%s/%.2s/%s", store->root, hex, hex + 2);
}

static void tmp_dir_path(const dg_store *store, char *buf, size_t size)
{
    snprintf(buf, size, "%s/tmp", store->root);
}

/* Every object write is this fault point (fault.h). */
#define STORE_WRITE "store.write"

static dg_status io_error(dg_error *err, const char *path, const char *what)
{
    if (errno == ENOSPC || errno == EDQUOT)
        return dg_error_set(err, DG_ERR_IO, "%s: %s: the disk is full (%s)", path, what,
                            strerror(errno));
    return dg_error_set(err, DG_ERR_IO, "%s: %s: %s", path, what, strerror(errno));
}

static dg_status fsync_dir(const char *path, dg_error *err)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return io_error(err, path, "cannot open folder to sync it");
    if (dg_fault("store.fsync") || fsync(fd) != 0) {
        dg_status st = io_error(err, path, "cannot sync folder");
        close(fd);
        return st;
    }
    if (close(fd) != 0)
        return io_error(err, path, "cannot close folder");
    return DG_OK;
}

/*
 * Creates folder path (mode 0700) if missing. A new folder is only durable once its parent
 * folder is synced, so the parent is synced when the folder is new.
 */
static dg_status ensure_dir(const char *path, const char *parent, dg_error *err)
{
    if (mkdir(path, 0700) == 0)
        return fsync_dir(parent, err);
    if (errno != EEXIST)
        return io_error(err, path, "cannot create folder");
    struct stat st;
    if (stat(path, &st) != 0)
        return io_error(err, path, "cannot stat folder");
    if (!S_ISDIR(st.st_mode))
        return dg_error_set(err, DG_ERR_IO, "%s: exists and is not a folder", path);
    return DG_OK;
}

/* ---- opening: root and tmp/ folders, leftovers of crashed writers ---- */

/* A temporary file is only ever a whole object not yet renamed into place: safe to drop. */
static dg_status remove_leftover_tmp_files(const char *tmp_dir, dg_error *err)
{
    DIR *dir = opendir(tmp_dir);
    if (!dir)
        return io_error(err, tmp_dir, "cannot open folder");
    dg_status st = DG_OK;
    int removed = 0;
    for (;;) {
        errno = 0;
        struct dirent *de = readdir(dir);
        if (!de) {
            if (errno != 0)
                st = io_error(err, tmp_dir, "cannot read folder");
            break;
        }
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (unlinkat(dirfd(dir), de->d_name, 0) != 0) {
            st = dg_error_set(err, DG_ERR_IO, "%s/%s: cannot remove leftover file: %s",
                              tmp_dir, de->d_name, strerror(errno));
            break;
        }
        removed = 1;
    }
    if (closedir(dir) != 0 && st == DG_OK)
        st = io_error(err, tmp_dir, "cannot close folder");
    if (st == DG_OK && removed)
        st = fsync_dir(tmp_dir, err);
    return st;
}

dg_status dg_store_open(const char *root, dg_store **out, dg_error *err)
{
    *out = NULL;
    if (!root || !*root)
        return dg_error_set(err, DG_ERR_USAGE, "object store: no root folder given");
    if (strlen(root) + PATH_SUFFIX_MAX >= PATH_MAX)
        return dg_error_set(err, DG_ERR_USAGE, "%.200s...: object store path too long", root);
    if (sodium_init() < 0)
        return dg_error_set(err, DG_ERR_INTERNAL, "%s: libsodium failed to initialise", root);

    dg_store *store = calloc(1, sizeof *store);
    if (!store)
        return dg_error_set(err, DG_ERR_NOMEM, "%s: out of memory", root);
    pthread_mutex_init(&store->deflater_lock, NULL);
    store->root = strdup(root);
    if (!store->root) {
        pthread_mutex_destroy(&store->deflater_lock);
        free(store);
        return dg_error_set(err, DG_ERR_NOMEM, "%s: out of memory", root);
    }
    /* "a/objects/" names the same folder as "a/objects", whose parent is "a". */
    for (size_t n = strlen(store->root); n > 1 && store->root[n - 1] == '/'; n--)
        store->root[n - 1] = '\0';

    char parent[PATH_MAX], tmp_dir[PATH_MAX];
    dg_parent_dir(store->root, parent, sizeof parent);
    tmp_dir_path(store, tmp_dir, sizeof tmp_dir);
    dg_status st = ensure_dir(store->root, parent, err);
    if (st == DG_OK)
        st = ensure_dir(tmp_dir, store->root, err);
    if (st != DG_OK) {
        dg_store_close(store);
        return st;
    }
    *out = store;
    return DG_OK;
}

void dg_store_set_key_source(dg_store *store, dg_store_key_fn fn, void *ctx)
{
    store->key_fn = fn;
    store->key_ctx = ctx;
}

dg_status dg_store_clean_tmp(dg_store *store, dg_error *err)
{
    char tmp_dir[PATH_MAX];
    tmp_dir_path(store, tmp_dir, sizeof tmp_dir);
    return remove_leftover_tmp_files(tmp_dir, err);
}

void dg_store_close(dg_store *store)
{
    if (!store)
        return;
    dg_store_defer(store, 0);
    if (store->deflater)
        deflateEnd(store->deflater);
    free(store->deflater);
    pthread_mutex_destroy(&store->deflater_lock);
    free(store->deferred);
    free(store->root);
    free(store);
}

/* ---- writing an object ---- */

static void encode_header(unsigned char header[OBJECT_HEADER_LEN], uint64_t len)
{
    memcpy(header, OBJECT_MAGIC, OBJECT_MAGIC_LEN);
    for (int i = 0; i < 8; i++)
        header[OBJECT_MAGIC_LEN + i] = (unsigned char)(len >> (56 - 8 * i));
}

static dg_status zlib_error(dg_error *err, const char *path, const char *what, int rc)
{
    if (rc == Z_MEM_ERROR)
        return dg_error_set(err, DG_ERR_NOMEM, "%s: %s: out of memory", path, what);
    return dg_error_set(err, DG_ERR_INTERNAL, "%s: %s: zlib error %d", path, what, rc);
}

/* Runs deflate over the remaining input, writing every produced byte to fd. */
static dg_status deflate_chunk(z_stream *zs, int flush, int fd, unsigned char *out,
                               uint64_t *written, const char *path, dg_error *err)
{
    int rc;
    do {
        zs->next_out = out;
        zs->avail_out = CHUNK;
        rc = deflate(zs, flush);
        if (rc == Z_STREAM_ERROR)
            return zlib_error(err, path, "cannot compress", rc);
        size_t produced = CHUNK - zs->avail_out;
        dg_status st = dg_write_all(fd, out, produced, STORE_WRITE, path, err);
        if (st != DG_OK)
            return st;
        *written += produced;
    } while (zs->avail_out == 0);
    if (flush == Z_FINISH && rc != Z_STREAM_END)
        return zlib_error(err, path, "compression did not finish", rc);
    return DG_OK;
}

/*
 * A deflate stream at level 1 (page images (PNG, JPEG, TIFF) barely shrink, and the default
 * level spent measurable ingest time on them; text still compresses well at this level),
 * ready for a new object: the store's kept one, reset, or when another thread holds that, a
 * new one in *own. deflateReset() leaves a stream as deflateInit() with the same parameters
 * does, so every object compresses to the same bytes either way; setting up a stream (its
 * window and tables) was 0.12 M instructions a record filed. Give it back with
 * give_back_deflater().
 */
static dg_status take_deflater(dg_store *store, z_stream *own, z_stream **out, const char *path,
                               dg_error *err)
{
    *out = NULL;
    z_stream *zs;
    int rc;
    if (pthread_mutex_trylock(&store->deflater_lock) == 0) {
        zs = store->deflater;
        if (zs) {
            rc = deflateReset(zs);
        } else {
            zs = calloc(1, sizeof *zs);
            rc = zs ? deflateInit(zs, Z_BEST_SPEED) : Z_MEM_ERROR;
            if (rc == Z_OK)
                store->deflater = zs;
            else
                free(zs);
        }
        if (rc != Z_OK)
            pthread_mutex_unlock(&store->deflater_lock);
    } else {
        zs = own;
        memset(own, 0, sizeof *own);
        rc = deflateInit(own, Z_BEST_SPEED);
    }
    if (rc != Z_OK)
        return zlib_error(err, path, "cannot start compression", rc);
    *out = zs;
    return DG_OK;
}

static void give_back_deflater(dg_store *store, z_stream *zs)
{
    if (zs == store->deflater)
        pthread_mutex_unlock(&store->deflater_lock);
    else
        deflateEnd(zs);
}

/* Writes header and compressed content to fd; *written gets the file's total size. */
static dg_status write_compressed(dg_store *store, int fd, const void *data, size_t len,
                                  uint64_t *written, const char *path, dg_error *err)
{
    unsigned char header[OBJECT_HEADER_LEN];
    encode_header(header, (uint64_t)len);
    dg_status st = dg_write_all(fd, header, sizeof header, STORE_WRITE, path, err);
    if (st != DG_OK)
        return st;
    *written = sizeof header;

    unsigned char *out = malloc(CHUNK);
    if (!out)
        return dg_error_set(err, DG_ERR_NOMEM, "%s: out of memory", path);
    z_stream own, *zs;
    st = take_deflater(store, &own, &zs, path, err);
    if (st != DG_OK) {
        free(out);
        return st;
    }
    const unsigned char *in = data;
    size_t left = len;
    do {
        size_t step = left < CHUNK ? left : CHUNK;
        zs->next_in = (unsigned char *)in; /* zlib's API is not const-correct */
        zs->avail_in = (uInt)step;
        in += step;
        left -= step;
        st = deflate_chunk(zs, left == 0 ? Z_FINISH : Z_NO_FLUSH, fd, out, written, path,
                           err);
    } while (st == DG_OK && left > 0);
    give_back_deflater(store, zs);
    free(out);
    return st;
}

/* Creates objects/tmp/obj-XXXXXX (mode 0600), fills it and syncs it. */
static dg_status write_tmp_object(dg_store *store, const void *data, size_t len,
                                  char *tmp_path, size_t size, uint64_t *written, dg_error *err)
{
    snprintf(tmp_path, size, "%s/tmp/obj-XXXXXX", store->root);
    /* mkostemp() picks an unused random name and creates the file 0600. */
    int fd = mkostemp(tmp_path, O_CLOEXEC);
    if (fd < 0)
        return io_error(err, tmp_path, "cannot create temporary file");
    dg_status st = write_compressed(store, fd, data, len, written, tmp_path, err);
    /* Sync before the rename: otherwise a crash could expose the name with no content (a
     * deferred object is synced with its group, before any rename: publish_deferred). */
    if (st == DG_OK && !store->defer && (dg_fault("store.fsync") || fsync(fd) != 0))
        st = io_error(err, tmp_path, "cannot sync");
    if (close(fd) != 0 && st == DG_OK)
        st = io_error(err, tmp_path, "cannot close");
    if (st != DG_OK)
        unlink(tmp_path);
    return st;
}

/* Moves a synced temporary file to its final name, then makes the rename durable. */
static dg_status publish_object(const dg_store *store, const char *hex, const char *tmp_path,
                                dg_error *err)
{
    char dir[PATH_MAX], path[PATH_MAX];
    fanout_path(store, hex, dir, sizeof dir);
    object_path(store, hex, path, sizeof path);
    dg_status st = ensure_dir(dir, store->root, err);
    if (st != DG_OK)
        return st;
    /* A racing writer of the same content may have renamed first; replacing its file with
     * an identical one is harmless, and rename() is atomic, so readers see one or the other. */
    if (dg_fault("store.rename") || rename(tmp_path, path) != 0)
        return io_error(err, path, "cannot move object into place");
    /* A put that fails leaves no object: one whose name may not survive a crash is not
     * stored, and the caller would not know to remove it. */
    st = fsync_dir(dir, err);
    if (st != DG_OK)
        unlink(path);
    return st;
}

/* ---- deferred publishing (store.h) ---- */

static deferred_object *find_deferred(const dg_store *store, const char *hex)
{
    for (size_t i = store->n_deferred; i-- > 0;)
        if (!strcmp(store->deferred[i].hex, hex))
            return &store->deferred[i];
    return NULL;
}

/* Keeps tmp_path (a whole, unsynced object) to be named hex with the group. */
static dg_status keep_deferred(dg_store *store, const char *hex, const char *tmp_path,
                               uint64_t written, dg_error *err)
{
    if (store->n_deferred == store->cap_deferred) {
        size_t cap = store->cap_deferred ? 2 * store->cap_deferred : 64;
        deferred_object *grown = realloc(store->deferred, cap * sizeof *grown);
        if (!grown)
            return dg_error_set(err, DG_ERR_NOMEM, "%s: out of memory", tmp_path);
        store->deferred = grown;
        store->cap_deferred = cap;
    }
    deferred_object *d = &store->deferred[store->n_deferred++];
    snprintf(d->hex, sizeof d->hex, "%s", hex);
    snprintf(d->tmp_name, sizeof d->tmp_name, "%s", strrchr(tmp_path, '/') + 1);
    d->written = written;
    return DG_OK;
}

static void deferred_tmp_path(const dg_store *store, const deferred_object *d, char *buf,
                              size_t size)
{
    snprintf(buf, size, "%s/tmp/%s", store->root, d->tmp_name);
}

/* Removes a deferred object's temporary file: it was never named, so nothing refers to
 * it (and a file left by a crash is removed by dg_store_clean_tmp). */
static void drop_deferred(dg_store *store, deferred_object *d)
{
    char tmp_path[PATH_MAX];
    deferred_tmp_path(store, d, tmp_path, sizeof tmp_path);
    unlink(tmp_path);
    *d = store->deferred[--store->n_deferred];
}

void dg_store_defer(dg_store *store, int on)
{
    while (store->n_deferred)
        drop_deferred(store, &store->deferred[store->n_deferred - 1]);
    store->defer = on;
}

/* One sync of the file system that holds the store (syncfs): every file written and every
 * name made on it so far is durable after it. */
static dg_status sync_store_fs(const dg_store *store, dg_error *err)
{
    int fd = open(store->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return io_error(err, store->root, "cannot open folder to sync it");
    if (dg_fault("store.fsync") || syncfs(fd) != 0) {
        dg_status st = io_error(err, store->root, "cannot sync");
        close(fd);
        return st;
    }
    close(fd);
    return DG_OK;
}

dg_status dg_store_publish_deferred(dg_store *store, dg_error *err)
{
    if (!store->n_deferred)
        return DG_OK;
    /* Contents first, then the names: a crash never leaves a name without its content. */
    dg_status st = sync_store_fs(store, err);
    size_t named = 0;
    for (; st == DG_OK && named < store->n_deferred; named++) {
        deferred_object *d = &store->deferred[named];
        char dir[PATH_MAX], path[PATH_MAX], tmp_path[PATH_MAX];
        fanout_path(store, d->hex, dir, sizeof dir);
        object_path(store, d->hex, path, sizeof path);
        deferred_tmp_path(store, d, tmp_path, sizeof tmp_path);
        if (mkdir(dir, 0700) != 0 && errno != EEXIST)
            st = io_error(err, dir, "cannot create folder");
        else if (dg_fault("store.rename") || rename(tmp_path, path) != 0)
            st = io_error(err, path, "cannot move object into place");
    }
    if (st == DG_OK)
        st = sync_store_fs(store, err);
    if (st != DG_OK) { /* none of the group is stored: what was named goes too */
        for (size_t i = 0; i < named; i++) {
            char path[PATH_MAX];
            object_path(store, store->deferred[i].hex, path, sizeof path);
            unlink(path);
        }
        dg_store_defer(store, store->defer);
        return st;
    }
    store->n_deferred = 0;
    return DG_OK;
}

/* What every put refuses (no data, or more than the store takes); an empty object is
 * given a pointer to hash and write. */
static dg_status check_put(const void **data, size_t len, dg_error *err)
{
    static const unsigned char empty[1];
    if (!*data && len > 0)
        return dg_error_set(err, DG_ERR_USAGE, "object store: no data given");
    if ((uint64_t)len > DG_STORE_MAX_OBJECT)
        return dg_error_set(err, DG_ERR_BAD_INPUT,
                            "object of %zu bytes: larger than the store's limit of %llu", len,
                            (unsigned long long)DG_STORE_MAX_OBJECT);
    if (!*data)
        *data = empty;
    return DG_OK;
}

dg_status dg_store_put(dg_store *store, const void *data, size_t len, char hex[DG_SHA256_HEX],
                       int *was_new, uint64_t *stored_size, dg_error *err)
{
    if (was_new)
        *was_new = 0;
    dg_status st = check_put(&data, len, err);
    if (st != DG_OK)
        return st;
    dg_sha256_hex(data, len, hex);

    char path[PATH_MAX], tmp_path[PATH_MAX];
    object_path(store, hex, path, sizeof path);
    struct stat sb;
    if (stat(path, &sb) == 0) {
        if (stored_size)
            *stored_size = (uint64_t)sb.st_size;
        return DG_OK;
    }
    if (errno != ENOENT)
        return io_error(err, path, "cannot stat");
    const deferred_object *pending = store->defer ? find_deferred(store, hex) : NULL;
    if (pending) {
        if (stored_size)
            *stored_size = pending->written;
        return DG_OK;
    }

    uint64_t written = 0;
    st = write_tmp_object(store, data, len, tmp_path, sizeof tmp_path, &written, err);
    if (st != DG_OK)
        return st;
    st = store->defer ? keep_deferred(store, hex, tmp_path, written, err)
                      : publish_object(store, hex, tmp_path, err);
    if (st != DG_OK) {
        unlink(tmp_path);
        return st;
    }
    if (was_new)
        *was_new = 1;
    if (stored_size)
        *stored_size = written;
    return DG_OK;
}

/* ---- writing a sealed object ---- */

static void sealed_name(const dg_store_seal *seal, const void *data, size_t len,
                        char hex[DG_SHA256_HEX])
{
    unsigned char mac[DG_SHA256_BYTES]; /* libsodium's crypto_auth_hmacsha256, 4x faster */
    dg_hmac_sha256(seal->key, DG_STORE_KEY_BYTES, data, len, mac);
    dg_sha256_to_hex(mac, hex);
}

/*
 * The stream's plaintext: 8-byte length and the zlib stream of the content, at level 1 as
 * write_compressed uses for plain objects (the default level made an encrypted archive's
 * ingest pay more than a plain one's). The calls are compress2()'s, on a kept stream
 * (take_deflater): all the input and an output of compressBound() bytes, then
 * deflate(Z_FINISH) until the stream ends (it does in one call with that room).
 */
static dg_status compress_content(dg_store *store, const void *data, size_t len,
                                  unsigned char **out, size_t *out_len, dg_error *err)
{
    uLong bound = compressBound((uLong)len); /* fits a uInt: objects are at most 1 GiB */
    unsigned char *buf = malloc(8 + (size_t)bound);
    if (!buf)
        return dg_error_set(err, DG_ERR_NOMEM, "object of %zu bytes: out of memory", len);
    for (int i = 0; i < 8; i++)
        buf[i] = (unsigned char)((uint64_t)len >> (56 - 8 * i));
    z_stream own, *zs;
    dg_status st = take_deflater(store, &own, &zs, "object", err);
    if (st == DG_OK) {
        zs->next_in = (unsigned char *)data; /* zlib's API is not const-correct */
        zs->avail_in = (uInt)len;
        zs->next_out = buf + 8;
        zs->avail_out = (uInt)bound;
        int rc;
        do
            rc = deflate(zs, Z_FINISH);
        while (rc == Z_OK);
        if (rc != Z_STREAM_END)
            st = zlib_error(err, "object", "cannot compress", rc);
        *out_len = 8 + (size_t)zs->total_out;
        give_back_deflater(store, zs);
    }
    if (st != DG_OK) {
        free(buf);
        return st;
    }
    *out = buf;
    return DG_OK;
}

static dg_status write_sealed(int fd, const dg_store_seal *seal, const unsigned char *plain,
                              size_t len, uint64_t *written, const char *path, dg_error *err)
{
    unsigned char head[SEAL_HEADER_LEN];
    crypto_secretstream_xchacha20poly1305_state state;
    memcpy(head, SEAL_MAGIC, OBJECT_MAGIC_LEN);
    memcpy(head + OBJECT_MAGIC_LEN, seal->key_id, SEAL_ID_LEN);
    crypto_secretstream_xchacha20poly1305_init_push(&state, head + OBJECT_MAGIC_LEN + SEAL_ID_LEN,
                                                    seal->key);
    dg_status st = dg_write_all(fd, head, sizeof head, STORE_WRITE, path, err);
    unsigned char *cipher = malloc(SEAL_CHUNK + SEAL_ABYTES);
    if (st == DG_OK && !cipher)
        st = dg_error_set(err, DG_ERR_NOMEM, "%s: out of memory", path);
    *written = sizeof head;
    size_t done = 0;
    while (st == DG_OK) {
        size_t step = len - done < SEAL_CHUNK ? len - done : SEAL_CHUNK;
        int last = done + step == len;
        unsigned long long clen = 0;
        crypto_secretstream_xchacha20poly1305_push(
            &state, cipher, &clen, plain + done, step, (const unsigned char *)seal->key_id,
            SEAL_ID_LEN, last ? crypto_secretstream_xchacha20poly1305_TAG_FINAL : 0);
        st = dg_write_all(fd, cipher, (size_t)clen, STORE_WRITE, path, err);
        *written += clen;
        done += step;
        if (last)
            break;
    }
    free(cipher);
    sodium_memzero(&state, sizeof state);
    return st;
}

static dg_status write_tmp_sealed(dg_store *store, const dg_store_seal *seal,
                                  const void *data, size_t len, char *tmp_path, size_t size,
                                  uint64_t *written, dg_error *err)
{
    unsigned char *plain = NULL;
    size_t plain_len = 0;
    dg_status st = compress_content(store, data, len, &plain, &plain_len, err);
    if (st != DG_OK)
        return st;
    snprintf(tmp_path, size, "%s/tmp/obj-XXXXXX", store->root);
    int fd = mkostemp(tmp_path, O_CLOEXEC);
    if (fd < 0) {
        free(plain);
        return io_error(err, tmp_path, "cannot create temporary file");
    }
    st = write_sealed(fd, seal, plain, plain_len, written, tmp_path, err);
    sodium_memzero(plain, plain_len);
    free(plain);
    if (st == DG_OK && !store->defer && (dg_fault("store.fsync") || fsync(fd) != 0))
        st = io_error(err, tmp_path, "cannot sync");
    if (close(fd) != 0 && st == DG_OK)
        st = io_error(err, tmp_path, "cannot close");
    if (st != DG_OK)
        unlink(tmp_path);
    return st;
}

dg_status dg_store_put_sealed(dg_store *store, const dg_store_seal *seal, const void *data,
                              size_t len, char hex[DG_SHA256_HEX], int *was_new,
                              uint64_t *stored_size, dg_error *err)
{
    if (!seal)
        return dg_store_put(store, data, len, hex, was_new, stored_size, err);
    if (was_new)
        *was_new = 0;
    dg_status st = check_put(&data, len, err);
    if (st != DG_OK)
        return st;
    sealed_name(seal, data, len, hex);
    char path[PATH_MAX], tmp_path[PATH_MAX];
    object_path(store, hex, path, sizeof path);
    struct stat sb;
    if (stat(path, &sb) == 0) {
        if (stored_size)
            *stored_size = (uint64_t)sb.st_size;
        return DG_OK;
    }
    if (errno != ENOENT)
        return io_error(err, path, "cannot stat");
    const deferred_object *pending = store->defer ? find_deferred(store, hex) : NULL;
    if (pending) {
        if (stored_size)
            *stored_size = pending->written;
        return DG_OK;
    }
    uint64_t written = 0;
    st = write_tmp_sealed(store, seal, data, len, tmp_path, sizeof tmp_path,
                          &written, err);
    if (st == DG_OK)
        st = store->defer ? keep_deferred(store, hex, tmp_path, written, err)
                          : publish_object(store, hex, tmp_path, err);
    if (st != DG_OK) {
        unlink(tmp_path);
        return st;
    }
    if (was_new)
        *was_new = 1;
    if (stored_size)
        *stored_size = written;
    return DG_OK;
}

/* ---- reading an object ---- */

static dg_status corrupt(dg_error *err, const char *path, const char *why)
{
    return dg_error_set(err, DG_ERR_CORRUPT, "%s: corrupt object: %s", path, why);
}

/*
 * Reads and checks the 12-byte header. The declared length must fit the store's limit and
 * be reachable from the file's compressed size, so a damaged length field can neither make
 * us allocate without bound nor allocate far more than the data could fill.
 */
static dg_status read_header(int fd, const char *path, uint64_t *content_len, dg_error *err)
{
    unsigned char header[OBJECT_HEADER_LEN];
    size_t got;
    dg_status st = dg_read_up_to(fd, header, sizeof header, &got, path, err);
    if (st != DG_OK)
        return st;
    if (got < sizeof header || memcmp(header, OBJECT_MAGIC, OBJECT_MAGIC_LEN) != 0)
        return corrupt(err, path, "bad header");
    uint64_t len = 0;
    for (int i = 0; i < 8; i++)
        len = (len << 8) | header[OBJECT_MAGIC_LEN + i];

    struct stat sb;
    if (fstat(fd, &sb) != 0)
        return io_error(err, path, "cannot stat");
    if ((uint64_t)sb.st_size < sizeof header)
        return corrupt(err, path, "file shrank while being read");
    uint64_t compressed = (uint64_t)sb.st_size - sizeof header;
    if (len > DG_STORE_MAX_OBJECT || len > SIZE_MAX - 1 ||
        len / DEFLATE_MAX_RATIO > compressed)
        return corrupt(err, path, "declared length is impossible");
    *content_len = len;
    return DG_OK;
}

/* Inflates the rest of fd into out, which must end up exactly len bytes long. */
static dg_status inflate_file(int fd, unsigned char *out, size_t len, const char *path,
                              dg_error *err)
{
    unsigned char *in = malloc(CHUNK);
    if (!in)
        return dg_error_set(err, DG_ERR_NOMEM, "%s: out of memory", path);
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    int rc = inflateInit(&zs);
    if (rc != Z_OK) {
        free(in);
        return zlib_error(err, path, "cannot start decompression", rc);
    }
    dg_status st = DG_OK;
    size_t out_done = 0;
    rc = Z_OK;
    while (st == DG_OK && rc != Z_STREAM_END) {
        size_t got;
        st = dg_read_up_to(fd, in, CHUNK, &got, path, err);
        if (st != DG_OK)
            break;
        if (got == 0) {
            st = corrupt(err, path, "compressed data ends early");
            break;
        }
        zs.next_in = in;
        zs.avail_in = (uInt)got;
        do {
            size_t room = len - out_done;
            zs.next_out = out + out_done;
            zs.avail_out = (uInt)(room < CHUNK ? room : CHUNK);
            uInt offered = zs.avail_out;
            rc = inflate(&zs, Z_NO_FLUSH);
            out_done += offered - zs.avail_out;
            if (rc == Z_MEM_ERROR) {
                st = zlib_error(err, path, "cannot decompress", rc);
            } else if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
                st = corrupt(err, path, "does not decompress");
            } else if (rc == Z_BUF_ERROR && zs.avail_in > 0) {
                /* Input left and no progress: only possible when the output is full. */
                st = corrupt(err, path, "content longer than its declared length");
            }
        } while (st == DG_OK && rc == Z_OK && zs.avail_in > 0);
        if (st == DG_OK && rc == Z_STREAM_END && zs.avail_in > 0)
            st = corrupt(err, path, "stray bytes after compressed data");
    }
    if (st == DG_OK && out_done != len)
        st = corrupt(err, path, "content shorter than its declared length");
    if (st == DG_OK) {
        size_t extra;
        st = dg_read_up_to(fd, in, 1, &extra, path, err);
        if (st == DG_OK && extra != 0)
            st = corrupt(err, path, "stray bytes after compressed data");
    }
    inflateEnd(&zs);
    free(in);
    return st;
}

/* Opens an object for reading: DG_ERR_NOT_FOUND when it does not exist. */
static dg_status open_object(const dg_store *store, const char *hex, char *path, size_t size,
                             int *fd, dg_error *err)
{
    dg_status st = check_hex_name(hex, err);
    if (st != DG_OK)
        return st;
    object_path(store, hex, path, size);
    *fd = open(path, O_RDONLY | O_CLOEXEC);
    if (*fd >= 0)
        return DG_OK;
    if (errno == ENOENT)
        return dg_error_set(err, DG_ERR_NOT_FOUND, "object %s: not in the store", hex);
    return io_error(err, path, "cannot open");
}

/* Reads an open object file into a new buffer (len + 1 bytes, NUL-terminated). */
static dg_status read_object(int fd, const char *path, unsigned char **data, size_t *len,
                             dg_error *err)
{
    uint64_t content_len = 0;
    dg_status st = read_header(fd, path, &content_len, err);
    if (st != DG_OK)
        return st;
    unsigned char *buf = malloc((size_t)content_len + 1);
    if (!buf)
        return dg_error_set(err, DG_ERR_NOMEM, "%s: out of memory for %llu bytes", path,
                            (unsigned long long)content_len);
    st = inflate_file(fd, buf, (size_t)content_len, path, err);
    if (st != DG_OK) {
        free(buf);
        return st;
    }
    buf[content_len] = '\0';
    *data = buf;
    *len = (size_t)content_len;
    return DG_OK;
}

/* ---- reading a sealed object ---- */

static dg_status read_whole(int fd, const char *path, unsigned char **out, size_t *len,
                            dg_error *err)
{
    struct stat sb;
    if (fstat(fd, &sb) != 0)
        return io_error(err, path, "cannot stat");
    uint64_t size = (uint64_t)sb.st_size;
    if (size < SEAL_HEADER_LEN + SEAL_ABYTES || size > DG_STORE_MAX_OBJECT * 2)
        return corrupt(err, path, "impossible size for a sealed object");
    unsigned char *buf = malloc((size_t)size);
    if (!buf)
        return dg_error_set(err, DG_ERR_NOMEM, "%s: out of memory", path);
    size_t got = 0;
    dg_status st = dg_read_up_to(fd, buf, (size_t)size, &got, path, err);
    if (st == DG_OK && got != size)
        st = corrupt(err, path, "file shrank while being read");
    if (st != DG_OK) {
        free(buf);
        return st;
    }
    *out = buf;
    *len = (size_t)size;
    return DG_OK;
}

/* Decrypts the stream after the header into *plain (the length and the zlib stream). */
static dg_status open_stream(const unsigned char *file, size_t size,
                             const unsigned char key[DG_STORE_KEY_BYTES], const char *path,
                             unsigned char **plain, size_t *plain_len, dg_error *err)
{
    crypto_secretstream_xchacha20poly1305_state state;
    const unsigned char *id = file + OBJECT_MAGIC_LEN;
    if (crypto_secretstream_xchacha20poly1305_init_pull(&state, id + SEAL_ID_LEN, key) != 0)
        return corrupt(err, path, "bad stream header");
    unsigned char *out = malloc(size);
    if (!out)
        return dg_error_set(err, DG_ERR_NOMEM, "%s: out of memory", path);
    size_t pos = SEAL_HEADER_LEN, done = 0;
    unsigned char tag = 0;
    dg_status st = DG_OK;
    while (st == DG_OK && tag != crypto_secretstream_xchacha20poly1305_TAG_FINAL) {
        size_t left = size - pos;
        size_t step = left < SEAL_CHUNK + SEAL_ABYTES ? left : SEAL_CHUNK + SEAL_ABYTES;
        unsigned long long mlen = 0;
        if (step < SEAL_ABYTES ||
            crypto_secretstream_xchacha20poly1305_pull(&state, out + done, &mlen, &tag,
                                                       file + pos, step, id, SEAL_ID_LEN) != 0)
            st = corrupt(err, path, "does not decrypt (damaged, or not sealed with this key)");
        pos += step;
        done += (size_t)mlen;
        if (st == DG_OK && tag != crypto_secretstream_xchacha20poly1305_TAG_FINAL &&
            pos == size)
            st = corrupt(err, path, "sealed data ends early");
    }
    if (st == DG_OK && pos != size)
        st = corrupt(err, path, "stray bytes after sealed data");
    sodium_memzero(&state, sizeof state);
    if (st != DG_OK) {
        free(out);
        return st;
    }
    *plain = out;
    *plain_len = done;
    return DG_OK;
}

static dg_status inflate_plain(const unsigned char *plain, size_t plain_len, const char *path,
                               unsigned char **data, size_t *len, dg_error *err)
{
    if (plain_len < 8)
        return corrupt(err, path, "bad header");
    uint64_t n = 0;
    for (int i = 0; i < 8; i++)
        n = (n << 8) | plain[i];
    if (n > DG_STORE_MAX_OBJECT || n / DEFLATE_MAX_RATIO > plain_len)
        return corrupt(err, path, "declared length is impossible");
    unsigned char *buf = malloc((size_t)n + 1);
    if (!buf)
        return dg_error_set(err, DG_ERR_NOMEM, "%s: out of memory", path);
    uLongf out_len = (uLongf)n;
    uLong in_len = (uLong)(plain_len - 8);
    int rc = uncompress2(buf, &out_len, plain + 8, &in_len);
    if (rc == Z_MEM_ERROR) {
        free(buf);
        return zlib_error(err, path, "cannot decompress", rc);
    }
    if (rc != Z_OK || out_len != n || in_len != plain_len - 8) {
        free(buf);
        return corrupt(err, path, "does not decompress to its declared length");
    }
    buf[n] = '\0';
    *data = buf;
    *len = (size_t)n;
    return DG_OK;
}

static dg_status find_seal_key(dg_store *store, const unsigned char *file, const char *path,
                               dg_store_seal *seal, dg_error *err)
{
    memcpy(seal->key_id, file + OBJECT_MAGIC_LEN, SEAL_ID_LEN);
    seal->key_id[SEAL_ID_LEN] = '\0';
    if (!is_lower_hex(seal->key_id, SEAL_ID_LEN))
        return corrupt(err, path, "bad key id");
    if (!store->key_fn)
        return dg_error_set(err, DG_ERR_DENIED,
                            "%s: sealed object, and no master key was given (--key-file, "
                            "DANGAN_KEY_FILE or the dangan-master-key credential)", path);
    dg_error why;
    dg_status st = store->key_fn(store->key_ctx, seal->key_id, seal->key, &why);
    if (st == DG_ERR_NOT_FOUND)
        return dg_error_set(err, DG_ERR_DENIED,
                            "%s: its data key %s is gone (the record was destroyed)", path,
                            seal->key_id);
    return st == DG_OK ? DG_OK : dg_error_set(err, st, "%s", why.msg);
}

/* Reads a sealed object (fd at offset 0) and checks its keyed name. */
static dg_status read_sealed(dg_store *store, int fd, const char *hex, const char *path,
                             unsigned char **data, size_t *len, dg_error *err)
{
    unsigned char *file = NULL, *plain = NULL;
    size_t size = 0, plain_len = 0;
    dg_store_seal seal;
    dg_status st = read_whole(fd, path, &file, &size, err);
    if (st == DG_OK)
        st = find_seal_key(store, file, path, &seal, err);
    if (st == DG_OK)
        st = open_stream(file, size, seal.key, path, &plain, &plain_len, err);
    free(file);
    if (st == DG_OK)
        st = inflate_plain(plain, plain_len, path, data, len, err);
    if (plain) {
        sodium_memzero(plain, plain_len);
        free(plain);
    }
    if (st == DG_OK) {
        char actual[DG_SHA256_HEX];
        sealed_name(&seal, *data, *len, actual);
        if (strcmp(actual, hex) != 0) {
            free(*data);
            *data = NULL;
            st = corrupt(err, path, "content does not match its name");
        }
    }
    sodium_memzero(&seal, sizeof seal);
    return st;
}

/* Whether the object file begins with the sealed magic (the offset is left at 0). */
static int is_sealed(int fd)
{
    unsigned char magic[OBJECT_MAGIC_LEN];
    return pread(fd, magic, sizeof magic, 0) == (ssize_t)sizeof magic &&
           memcmp(magic, SEAL_MAGIC, OBJECT_MAGIC_LEN) == 0;
}

dg_status dg_store_get(dg_store *store, const char *hex, void **data, size_t *len,
                       dg_error *err)
{
    *data = NULL;
    *len = 0;
    char path[PATH_MAX];
    int fd;
    dg_status st = open_object(store, hex, path, sizeof path, &fd, err);
    if (st != DG_OK)
        return st;
    unsigned char *buf = NULL;
    size_t buf_len = 0;
    if (is_sealed(fd)) {
        st = read_sealed(store, fd, hex, path, &buf, &buf_len, err);
        close(fd);
        if (st == DG_OK) {
            *data = buf;
            *len = buf_len;
        }
        return st;
    }
    st = read_object(fd, path, &buf, &buf_len, err);
    close(fd); /* read-only: nothing to lose if close reports an error */
    if (st != DG_OK)
        return st;

    char actual[DG_SHA256_HEX];
    dg_sha256_hex(buf, buf_len, actual);
    if (strcmp(actual, hex) != 0) {
        free(buf);
        return corrupt(err, path, "content does not match its name");
    }
    *data = buf;
    *len = buf_len;
    return DG_OK;
}

int dg_store_has(dg_store *store, const char *hex)
{
    if (check_hex_name(hex, NULL) != DG_OK)
        return 0;
    char path[PATH_MAX];
    object_path(store, hex, path, sizeof path);
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

dg_status dg_store_check(dg_store *store, const char *hex, dg_error *err)
{
    void *data = NULL;
    size_t len = 0;
    dg_status st = dg_store_get(store, hex, &data, &len, err);
    free(data);
    return st;
}

/* ---- listing ---- */

typedef struct list_walk {
    dg_status (*visit)(const char *hex, void *ctx);
    void *ctx;
} list_walk;

/* What kind of entry a folder holds, without following symbolic links. */
static dg_status entry_mode(DIR *dir, const char *name, const char *dir_path, mode_t *mode,
                            dg_error *err)
{
    struct stat sb;
    if (fstatat(dirfd(dir), name, &sb, AT_SYMLINK_NOFOLLOW) != 0)
        return dg_error_set(err, DG_ERR_IO, "%s/%s: cannot stat: %s", dir_path, name,
                            strerror(errno));
    *mode = sb.st_mode;
    return DG_OK;
}

/* Visits the entries of one fan-out folder "<prefix>": objects by hex, others by path. */
static dg_status list_fanout(const char *dir_path, const char *prefix, const list_walk *walk,
                             dg_error *err)
{
    DIR *dir = opendir(dir_path);
    if (!dir)
        return io_error(err, dir_path, "cannot open folder");
    dg_status st = DG_OK;
    while (st == DG_OK) {
        errno = 0;
        struct dirent *de = readdir(dir);
        if (!de) {
            if (errno != 0)
                st = io_error(err, dir_path, "cannot read folder");
            break;
        }
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        mode_t mode = 0;
        st = entry_mode(dir, de->d_name, dir_path, &mode, err);
        if (st != DG_OK)
            break;
        char name[PATH_MAX];
        if (S_ISREG(mode) && is_lower_hex(de->d_name, DG_SHA256_HEX - 3))
            snprintf(name, sizeof name, "%s%s", prefix, de->d_name);
        else
            snprintf(name, sizeof name, "%s/%s", prefix, de->d_name);
        st = walk->visit(name, walk->ctx);
    }
    closedir(dir);
    return st;
}

dg_status dg_store_list(dg_store *store, dg_status (*visit)(const char *hex, void *ctx),
                        void *ctx, dg_error *err)
{
    list_walk walk = {visit, ctx};
    DIR *dir = opendir(store->root);
    if (!dir)
        return io_error(err, store->root, "cannot open folder");
    dg_status st = DG_OK;
    while (st == DG_OK) {
        errno = 0;
        struct dirent *de = readdir(dir);
        if (!de) {
            if (errno != 0)
                st = io_error(err, store->root, "cannot read folder");
            break;
        }
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        mode_t mode = 0;
        st = entry_mode(dir, de->d_name, store->root, &mode, err);
        if (st != DG_OK)
            break;
        if (S_ISDIR(mode) && strcmp(de->d_name, "tmp") == 0)
            continue; /* writes in progress, not objects */
        if (S_ISDIR(mode) && is_lower_hex(de->d_name, 2)) {
            char sub[PATH_MAX];
            snprintf(sub, sizeof sub, "%s/%s", store->root, de->d_name);
            st = list_fanout(sub, de->d_name, &walk, err);
        } else {
            st = visit(de->d_name, ctx);
        }
    }
    closedir(dir);
    return st;
}

/* ---- removal ---- */

/* Overwrites the whole of an open file with zeros and syncs it. */
static dg_status overwrite_with_zeros(int fd, const char *path, dg_error *err)
{
    struct stat sb;
    if (fstat(fd, &sb) != 0)
        return io_error(err, path, "cannot stat");
    unsigned char *zeros = calloc(1, CHUNK);
    if (!zeros)
        return dg_error_set(err, DG_ERR_NOMEM, "%s: out of memory", path);
    dg_status st = DG_OK;
    uint64_t left = (uint64_t)sb.st_size;
    while (st == DG_OK && left > 0) {
        size_t step = left < CHUNK ? (size_t)left : CHUNK;
        st = dg_write_all(fd, zeros, step, STORE_WRITE, path, err);
        left -= step;
    }
    free(zeros);
    if (st == DG_OK && fsync(fd) != 0)
        st = io_error(err, path, "cannot sync");
    return st;
}

dg_status dg_store_remove(dg_store *store, const char *hex, dg_error *err)
{
    dg_status st = check_hex_name(hex, err);
    if (st != DG_OK)
        return st;
    deferred_object *pending = store->defer ? find_deferred(store, hex) : NULL;
    if (pending) { /* never named: its temporary file is all there is */
        drop_deferred(store, pending);
        return DG_OK;
    }
    char path[PATH_MAX], dir[PATH_MAX];
    object_path(store, hex, path, sizeof path);
    fanout_path(store, hex, dir, sizeof dir);
    int fd = dg_fault("store.remove") ? -1 : open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0 && errno == ENOENT)
        return DG_OK;
    if (fd < 0)
        return io_error(err, path, "cannot open for removal");
    st = overwrite_with_zeros(fd, path, err);
    if (close(fd) != 0 && st == DG_OK)
        st = io_error(err, path, "cannot close");
    if (st != DG_OK)
        return st;
    if (unlink(path) != 0 && errno != ENOENT)
        return io_error(err, path, "cannot remove");
    /* The unlink is only durable once the folder that held the name is synced. */
    return fsync_dir(dir, err);
}
