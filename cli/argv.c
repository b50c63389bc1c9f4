/*
 * argv.c — the client side of a request: a command's words on the command line become
 * {"cmd": ..., "args": {...}} by its entry in the command table (commands.h). Options
 * and positional arguments are typed and checked here; input files, and every file of a
 * batch folder (walked in natural order, symbolic links never followed), are opened here
 * with the caller's own rights and passed by descriptor.
 */
#include "argv.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../base/utf8.h"
#include "../ingest/textenc.h"

int dg_command_wants_csv(int argc, char **argv)
{
    for (int i = 0; i < argc; i++)
        if (!strcmp(argv[i], "--csv"))
            return 1;
    return 0;
}

static const dg_opt_spec *find_opt(const dg_command *cmd, const char *name, size_t len)
{
    for (const dg_opt_spec *o = cmd->opts; o->name; o++)
        if (strlen(o->name) == len && !strncmp(o->name, name, len))
            return o;
    return NULL;
}

/* Opens an input file with the caller's rights; the descriptor travels with the request. */
static json_t *open_file_arg(const char *path, int *fds, size_t max_fds, size_t *n_fds,
                             char *msg, size_t msg_size)
{
    if (*n_fds >= max_fds) {
        snprintf(msg, msg_size, "%s: too many files", path);
        return NULL;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(msg, msg_size, "%s: %s", path, strerror(errno));
        return NULL;
    }
    fds[*n_fds] = fd;
    char *name = dg_text_name_to_utf8(path); /* a name travels as UTF-8 JSON */
    json_t *arg = name ? json_pack("{s:i, s:s}", "fd", (int)(*n_fds)++, "name", name) : NULL;
    free(name);
    if (!arg)
        snprintf(msg, msg_size, "%s: out of memory", path);
    return arg;
}

/* ---- batches: the client walks folders and opens every file itself ---- */

typedef struct batch_walk {
    json_t *files;
    int *fds;
    size_t max_fds, *n_fds;
    char *msg;
    size_t msg_size;
} batch_walk;

/* name is already UTF-8 (walk_batch decodes every component of it). */
static int add_batch_file(batch_walk *w, const char *path, const char *name)
{
    json_t *entry;
    if (*w->n_fds >= w->max_fds) {
        snprintf(w->msg, w->msg_size, "%s: more than %zu files in one batch; split it", path,
                 w->max_fds);
        return 0;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        /* Not fatal: the file is reported (and journalled) with its reason. */
        entry = json_pack("{s:i, s:s, s:s}", "fd", -1, "name", name, "error", strerror(errno));
    } else {
        w->fds[*w->n_fds] = fd;
        entry = json_pack("{s:i, s:s}", "fd", (int)(*w->n_fds)++, "name", name);
    }
    if (json_array_append_new(w->files, entry) != 0) {
        snprintf(w->msg, w->msg_size, "%s: out of memory", path);
        return 0;
    }
    return 1;
}

/* The value of the digit (ASCII or full-width ０-９) at p, its length in *len; -1 if none. */
static int digit_at(const unsigned char *p, size_t *len)
{
    if (*p >= '0' && *p <= '9') {
        *len = 1;
        return *p - '0';
    }
    if (p[0] == 0xEF && p[1] == 0xBC && p[2] >= 0x90 && p[2] <= 0x99) {
        *len = 3;
        return p[2] - 0x90;
    }
    return -1;
}

/* Reads a run of digits at *p (leading zeros skipped); returns its significant digits. */
static size_t digit_run(const unsigned char **p, char *digits, size_t size, size_t *zeros)
{
    size_t n = 0, len;
    int d;
    *zeros = 0;
    while ((d = digit_at(*p, &len)) >= 0) {
        if (d == 0 && n == 0)
            (*zeros)++;
        else if (n + 1 < size)
            digits[n++] = (char)('0' + d);
        *p += len;
    }
    digits[n] = '\0';
    return n;
}

int dg_natural_compare(const char *a, const char *b)
{
    const unsigned char *p = (const unsigned char *)a, *q = (const unsigned char *)b;
    size_t len;
    while (*p && *q) {
        if (digit_at(p, &len) >= 0 && digit_at(q, &len) >= 0) {
            char da[256], db[256];
            size_t za, zb;
            size_t na = digit_run(&p, da, sizeof da, &za), nb = digit_run(&q, db, sizeof db, &zb);
            if (na != nb)
                return na < nb ? -1 : 1;
            int c = strcmp(da, db);
            if (c)
                return c;
            if (za != zb) /* week02 after week2: equal numbers, fewer zeros first */
                return za < zb ? -1 : 1;
            continue;
        }
        if (*p != *q)
            return *p < *q ? -1 : 1;
        p++, q++;
    }
    return *p ? 1 : *q ? -1 : 0;
}

static int compare_names(const void *a, const void *b)
{
    return dg_natural_compare(*(char *const *)a, *(char *const *)b);
}

/*
 * Why an entry of a batch folder that is not a regular file or folder is not read. A
 * symbolic link is never followed, wherever it points: following it could read a file
 * from outside the batch (or the same page twice) without anyone noticing.
 */
static void describe_special(const char *path, const struct stat *sb, char *why, size_t size)
{
    if (S_ISLNK(sb->st_mode)) {
        char target[1024];
        ssize_t n = readlink(path, target, sizeof target - 1);
        target[n > 0 ? n : 0] = '\0';
        snprintf(why, size, "symbolic link to '%s': not followed (copy the file itself into "
                 "the batch)", target);
    } else if (S_ISFIFO(sb->st_mode)) {
        snprintf(why, size, "a named pipe (FIFO), not a file: not read");
    } else if (S_ISSOCK(sb->st_mode)) {
        snprintf(why, size, "a socket, not a file: not read");
    } else if (S_ISCHR(sb->st_mode) || S_ISBLK(sb->st_mode)) {
        snprintf(why, size, "a device, not a file: not read");
    } else {
        snprintf(why, size, "not a regular file: not read");
    }
}

/* An entry that is reported with its reason but not passed (fd -1). */
static int add_unread_entry(batch_walk *w, const char *name, const char *why)
{
    return json_array_append_new(w->files, json_pack("{s:i, s:s, s:s}", "fd", -1, "name", name,
                                                     "error", why)) == 0;
}

/* Lists a folder's entries in natural order (week2 before week10), so a batch is always
 * taken in the order a person reads it. *open_errno is set when the folder cannot be read. */
static char **sorted_entries(const char *dir, size_t *count, int *open_errno)
{
    DIR *d = opendir(dir);
    *count = 0;
    *open_errno = 0;
    if (!d) {
        *open_errno = errno;
        return NULL;
    }
    char **names = NULL;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.') /* ., .., and hidden files such as .DS_Store */
            continue;
        char **grown = realloc(names, (*count + 1) * sizeof *names);
        if (!grown)
            break;
        names = grown;
        names[(*count)++] = strdup(de->d_name);
    }
    closedir(d);
    if (names)
        qsort(names, *count, sizeof *names, compare_names);
    return names;
}

static int walk_batch(batch_walk *w, const char *path, const char *name, int depth)
{
    struct stat sb;
    if (lstat(path, &sb) != 0) {
        snprintf(w->msg, w->msg_size, "%s: %s", path, strerror(errno));
        return 0;
    }
    if (S_ISREG(sb.st_mode))
        return add_batch_file(w, path, name);
    if (!S_ISDIR(sb.st_mode)) {
        char why[1200];
        describe_special(path, &sb, why, sizeof why);
        return add_unread_entry(w, name, why);
    }
    if (depth > 32) {
        snprintf(w->msg, w->msg_size, "%s: folders nested too deep", path);
        return 0;
    }
    size_t n;
    int open_errno;
    char **names = sorted_entries(path, &n, &open_errno);
    if (open_errno && *name) { /* a sub-folder we may not read: reported, the rest goes on */
        char why[300];
        snprintf(why, sizeof why, "folder cannot be read: %s", strerror(open_errno));
        return add_unread_entry(w, name, why);
    }
    if (open_errno) {
        snprintf(w->msg, w->msg_size, "%s: %s", path, strerror(open_errno));
        return 0;
    }
    int ok = 1;
    for (size_t i = 0; i < n; i++) {
        char child[4096], child_name[4096];
        /* The file is opened by its bytes; it is named, in the request and the catalog,
         * in UTF-8: a GBK name from a Windows zip is decoded, anything else escaped. */
        char *utf8 = dg_text_name_to_utf8(names[i]);
        snprintf(child, sizeof child, "%s/%s", path, names[i]);
        if (*name)
            snprintf(child_name, sizeof child_name, "%s/%s", name, utf8 ? utf8 : "");
        else
            snprintf(child_name, sizeof child_name, "%s", utf8 ? utf8 : "");
        if (ok && !utf8) {
            snprintf(w->msg, w->msg_size, "%s: out of memory", child);
            ok = 0;
        }
        if (ok)
            ok = walk_batch(w, child, child_name, depth + 1);
        free(utf8);
        free(names[i]);
    }
    free(names);
    return ok;
}

/* Adds a batch argument: a folder (its files named relative to it) or a single file. */
static int add_batch_arg(json_t *args, const char *path, int *fds, size_t max_fds, size_t *n_fds,
                         char *msg, size_t msg_size)
{
    json_t *files = json_object_get(args, "files");
    if (!files) {
        files = json_array();
        json_object_set_new(args, "files", files);
    }
    batch_walk w = {.files = files, .fds = fds, .max_fds = max_fds, .n_fds = n_fds, .msg = msg,
                    .msg_size = msg_size};
    struct stat sb;
    if (stat(path, &sb) != 0) {
        snprintf(msg, msg_size, "%s: %s", path, strerror(errno));
        return 0;
    }
    if (!json_object_get(args, "label")) {
        const char *slash = strrchr(path, '/');
        char *label = dg_text_name_to_utf8(slash && slash[1] ? slash + 1 : path);
        json_object_set_new(args, "label", json_string(label ? label : "batch"));
        free(label);
    }
    if (S_ISDIR(sb.st_mode))
        return walk_batch(&w, path, "", 0);
    char *base = dg_text_name_to_utf8(strrchr(path, '/') ? strrchr(path, '/') + 1 : path);
    int ok = base && add_batch_file(&w, path, base);
    free(base);
    return ok;
}

/*
 * A text argument becomes a JSON string, which must be UTF-8: one typed in a terminal
 * whose locale is GBK (or pasted from a Big5 file) is refused here, naming the argument,
 * before anything reaches the archive.
 */
static json_t *utf8_argument(const char *text, const char *name, char *msg, size_t msg_size)
{
    size_t len = strlen(text), bad = dg_utf8_invalid_at(text, len);
    if (bad < len) {
        snprintf(msg, msg_size,
                 "%s: not valid UTF-8 (byte %zu); give arguments in UTF-8 (set the terminal to "
                 "a UTF-8 locale, e.g. LANG=zh_CN.UTF-8)",
                 name, bad);
        return NULL;
    }
    json_t *v = json_string(text);
    if (!v)
        snprintf(msg, msg_size, "%s: out of memory", name);
    return v;
}

static json_t *typed_value(dg_opt_type type, const char *text, const char *name, int *fds,
                           size_t max_fds, size_t *n_fds, char *msg, size_t msg_size)
{
    if (type == OPT_FILE)
        return open_file_arg(text, fds, max_fds, n_fds, msg, msg_size);
    if (type == OPT_INT) {
        char *end;
        errno = 0;
        long v = strtol(text, &end, 10);
        if (errno || *end || end == text || v < 0 || v > 1000000000L) {
            snprintf(msg, msg_size, "%s: '%s' is not a whole number from 0 to 1000000000", name,
                     text);
            return NULL;
        }
        return json_integer(v);
    }
    return utf8_argument(text, name, msg, msg_size);
}

static int parse_option(const dg_command *cmd, json_t *args, int argc, char **argv, int *i,
                        int *fds, size_t max_fds, size_t *n_fds, char *msg, size_t msg_size)
{
    const char *word = argv[*i];
    const char *eq = strchr(word, '=');
    size_t name_len = eq ? (size_t)(eq - word) : strlen(word);
    const dg_opt_spec *o = find_opt(cmd, word, name_len);
    if (!o) {
        snprintf(msg, msg_size, "%s: unknown option %.*s (see 'dangan %s --help')", cmd->name,
                 (int)name_len, word, cmd->name);
        return 0;
    }
    if (o->type == OPT_FLAG) {
        json_object_set_new(args, o->key, json_true());
        return 1;
    }
    const char *value = eq ? eq + 1 : (*i + 1 < argc ? argv[++*i] : NULL);
    if (!value) {
        snprintf(msg, msg_size, "%s: %s needs a value", cmd->name, o->name);
        return 0;
    }
    json_t *v = typed_value(o->type, value, o->name, fds, max_fds, n_fds, msg, msg_size);
    if (!v)
        return 0;
    json_object_set_new(args, o->key, v);
    return 1;
}

static int add_query_word(json_t *args, const char *word, char *msg, size_t msg_size)
{
    json_t *q = json_object_get(args, "query"), *v = utf8_argument(word, "query", msg, msg_size);
    if (!v)
        return 0;
    json_decref(v);
    if (!q)
        return json_object_set_new(args, "query", json_string(word)) == 0;
    size_t len = strlen(json_string_value(q)) + strlen(word) + 2;
    char *joined = malloc(len);
    if (!joined)
        return 0;
    snprintf(joined, len, "%s %s", json_string_value(q), word);
    int ok = json_object_set_new(args, "query", json_string(joined)) == 0;
    free(joined);
    return ok;
}

static int parse_positional(const dg_command *cmd, json_t *args, int *positional,
                            const char *word, int *fds, size_t max_fds, size_t *n_fds,
                            char *msg, size_t msg_size)
{
    if (*positional < 3 && cmd->positional[*positional] &&
        cmd->positional_type[*positional] == OPT_BATCH)
        return add_batch_arg(args, word, fds, max_fds, n_fds, msg, msg_size);
    if (*positional < 3 && cmd->positional[*positional]) {
        json_t *v = typed_value(cmd->positional_type[*positional], word,
                                cmd->positional[*positional], fds, max_fds, n_fds, msg,
                                msg_size);
        if (!v)
            return 0;
        json_object_set_new(args, cmd->positional[(*positional)++], v);
        return 1;
    }
    if (cmd->rest_is_query)
        return add_query_word(args, word, msg, msg_size);
    snprintf(msg, msg_size, "%s: unexpected argument '%s' (usage: %s)", cmd->name, word,
             cmd->usage);
    return 0;
}

/* A manifest kept inside its batch folder is the batch's description, not a record. */
static void drop_manifest_from_batch(json_t *args, const int *fds, size_t n_fds)
{
    json_t *manifest = json_object_get(args, "manifest");
    json_t *files = json_object_get(args, "files");
    json_int_t mfd = json_integer_value(json_object_get(manifest, "fd"));
    struct stat ms;
    if (!manifest || !files || mfd < 0 || (size_t)mfd >= n_fds || fstat(fds[mfd], &ms) != 0)
        return;
    for (size_t i = json_array_size(files); i-- > 0;) {
        json_int_t fd = json_integer_value(json_object_get(json_array_get(files, i), "fd"));
        struct stat fs;
        if (fd >= 0 && (size_t)fd < n_fds && fstat(fds[fd], &fs) == 0 &&
            fs.st_dev == ms.st_dev && fs.st_ino == ms.st_ino)
            json_array_remove(files, i);
    }
}

/* The log's signing key and checkpoint file may come from DANGAN_LOG_KEY and
 * DANGAN_CHECKPOINTS (a service's environment) for the commands that take them. */
static int log_key_from_environment(const dg_command *cmd, json_t *args, int *fds,
                                    size_t max_fds, size_t *n_fds, char *msg, size_t msg_size)
{
    const char *key = getenv("DANGAN_LOG_KEY");
    const char *file = getenv("DANGAN_CHECKPOINTS");
    if (key && *key && find_opt(cmd, "--log-key", 9) && !json_object_get(args, "log_key")) {
        json_t *v = open_file_arg(key, fds, max_fds, n_fds, msg, msg_size);
        if (!v)
            return 0;
        json_object_set_new(args, "log_key", v);
    }
    if (file && *file && find_opt(cmd, "--checkpoints", 13) &&
        !json_object_get(args, "checkpoints"))
        json_object_set_new(args, "checkpoints", json_string(file));
    return 1;
}

json_t *dg_command_build_request(const dg_command *cmd, int argc, char **argv, int *fds,
                                 size_t max_fds, size_t *n_fds, char *msg, size_t msg_size)
{
    json_t *args = json_object();
    int positional = 0, ok = 1, options_done = 0;
    *n_fds = 0;
    for (int i = 0; ok && i < argc; i++) {
        const char *word = argv[i];
        if (!options_done && !strcmp(word, "--"))
            options_done = 1;
        else if (!options_done && !strncmp(word, "--", 2) && word[2])
            ok = parse_option(cmd, args, argc, argv, &i, fds, max_fds, n_fds, msg, msg_size);
        else
            ok = parse_positional(cmd, args, &positional, word, fds, max_fds, n_fds, msg,
                                  msg_size);
    }
    if (ok && cmd->positional[0] && cmd->positional_type[0] == OPT_BATCH &&
        json_object_get(args, "files"))
        positional = 1;
    if (ok)
        ok = log_key_from_environment(cmd, args, fds, max_fds, n_fds, msg, msg_size);
    if (ok && positional < cmd->min_positional) {
        snprintf(msg, msg_size, "%s: missing %s (usage: %s)", cmd->name,
                 cmd->positional[positional], cmd->usage);
        ok = 0;
    }
    if (!ok) {
        json_decref(args);
        for (size_t i = 0; i < *n_fds; i++)
            close(fds[i]);
        *n_fds = 0;
        return NULL;
    }
    json_object_del(args, "csv"); /* rendering only */
    drop_manifest_from_batch(args, fds, *n_fds);
    return json_pack("{s:i, s:s, s:o}", "v", 1, "cmd", cmd->name, "args", args);
}
