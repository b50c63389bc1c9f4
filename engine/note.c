/*
 * note.c — signed notes, their keys and checkpoints; the formats are those of C2SP and of
 * Go's golang.org/x/mod/sumdb/note, which the tests use to check what is written here.
 */
#include "note.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../base/hash.h"

#define ALG_ED25519 0x01
/* C2SP tlog-cosignature: a witness's (here an auditor's) timestamped cosignature. */
#define ALG_COSIGNATURE_V1 0x04
#define COSIGNATURE_V1_HEADER "cosignature/v1\ntime %llu\n"
#define EM_DASH "\xe2\x80\x94"
#define SIG_PREFIX EM_DASH " "
#define MAX_KEY_TEXT 512

/* A key name may not contain '+' (the key string's separator) or white space. */
static int name_is_valid(const char *name)
{
    if (!name || !*name || strlen(name) >= DG_NOTE_NAME_MAX)
        return 0;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        if (*p == '+' || *p <= ' ' || *p == 0x7f)
            return 0;
    return 1;
}

static uint32_t key_id_of(const char *name, unsigned char alg, const unsigned char public_key[32])
{
    dg_sha256_ctx st;
    dg_sha256_init(&st);
    dg_sha256_update(&st, name, strlen(name));
    unsigned char sep_alg[2] = {'\n', alg};
    dg_sha256_update(&st, sep_alg, 2);
    dg_sha256_update(&st, public_key, 32);
    unsigned char h[32];
    dg_sha256_final(&st, h);
    return (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
}

static uint32_t key_id(const char *name, const unsigned char public_key[32])
{
    return key_id_of(name, ALG_ED25519, public_key);
}

static void base64(const unsigned char *bin, size_t len, char *out, size_t size)
{
    sodium_bin2base64(out, size, bin, len, sodium_base64_VARIANT_ORIGINAL);
}

/* Decodes standard base64 of exactly want bytes. */
static int unbase64(const char *text, size_t text_len, unsigned char *out, size_t want)
{
    size_t len = 0;
    return sodium_base642bin(out, want, text, text_len, NULL, &len, NULL,
                             sodium_base64_VARIANT_ORIGINAL) == 0 &&
           len == want;
}

void dg_note_verifier_format(const dg_note_verifier *key, char *buf, size_t size)
{
    unsigned char raw[33] = {ALG_ED25519};
    memcpy(raw + 1, key->public_key, 32);
    char b64[64];
    base64(raw, sizeof raw, b64, sizeof b64);
    snprintf(buf, size, "%s+%08" PRIx32 "+%s", key->name, key->id, b64);
}

void dg_note_cosigner_format(const dg_note_verifier *key, char *buf, size_t size)
{
    unsigned char raw[33] = {ALG_COSIGNATURE_V1};
    memcpy(raw + 1, key->public_key, 32);
    char b64[64];
    base64(raw, sizeof raw, b64, sizeof b64);
    snprintf(buf, size, "%s+%08" PRIx32 "+%s", key->name,
             key_id_of(key->name, ALG_COSIGNATURE_V1, key->public_key), b64);
}

dg_status dg_note_generate(const char *name, char **skey, char **vkey, dg_error *err)
{
    *skey = *vkey = NULL;
    if (!name_is_valid(name))
        return dg_error_set(err, DG_ERR_USAGE,
                            "key name '%s': give a name without '+' or spaces, e.g. "
                            "school.example/dangan-log", name ? name : "");
    unsigned char seed[32];
    randombytes_buf(seed, sizeof seed);
    dg_note_signer s;
    snprintf(s.verifier.name, sizeof s.verifier.name, "%s", name);
    crypto_sign_seed_keypair(s.verifier.public_key, s.secret_key, seed);
    s.verifier.id = key_id(name, s.verifier.public_key);
    unsigned char raw[33] = {ALG_ED25519};
    memcpy(raw + 1, seed, 32);
    char b64[64];
    base64(raw, sizeof raw, b64, sizeof b64);
    sodium_memzero(seed, sizeof seed);
    sodium_memzero(raw, sizeof raw);
    *skey = malloc(MAX_KEY_TEXT);
    *vkey = malloc(MAX_KEY_TEXT);
    if (!*skey || !*vkey) {
        free(*skey);
        free(*vkey);
        *skey = *vkey = NULL;
        return dg_error_set(err, DG_ERR_NOMEM, "signed note: out of memory");
    }
    snprintf(*skey, MAX_KEY_TEXT, "PRIVATE+KEY+%s+%08" PRIx32 "+%s", name, s.verifier.id, b64);
    dg_note_verifier_format(&s.verifier, *vkey, MAX_KEY_TEXT);
    sodium_memzero(b64, sizeof b64);
    sodium_memzero(&s, sizeof s);
    return DG_OK;
}

/* Splits "name+hex8+base64" into its parts; returns the decoded 33-byte key. */
static dg_status parse_key_parts(const char *text, const char *kind, char *name, uint32_t *id,
                                 unsigned char raw[33], dg_error *err)
{
    const char *plus1 = strchr(text, '+');
    const char *plus2 = plus1 ? strchr(plus1 + 1, '+') : NULL;
    size_t name_len = plus1 ? (size_t)(plus1 - text) : 0;
    if (!plus2 || name_len == 0 || name_len >= DG_NOTE_NAME_MAX || plus2 - plus1 != 9)
        return dg_error_set(err, DG_ERR_USAGE, "not a %s key (want NAME+ID+KEY)", kind);
    memcpy(name, text, name_len);
    name[name_len] = '\0';
    char hex[9];
    memcpy(hex, plus1 + 1, 8);
    hex[8] = '\0';
    char *end;
    unsigned long v = strtoul(hex, &end, 16);
    size_t b64_len = strcspn(plus2 + 1, " \t\r\n");
    if (*end || !name_is_valid(name) || !unbase64(plus2 + 1, b64_len, raw, 33) ||
        (raw[0] != ALG_ED25519 && raw[0] != ALG_COSIGNATURE_V1))
        return dg_error_set(err, DG_ERR_USAGE, "not an Ed25519 %s key (want NAME+ID+KEY)", kind);
    *id = (uint32_t)v;
    return DG_OK;
}

dg_status dg_note_signer_parse(const char *skey, dg_note_signer *out, dg_error *err)
{
    memset(out, 0, sizeof *out);
    while (*skey == ' ' || *skey == '\n' || *skey == '\t' || *skey == '\r')
        skey++;
    if (strncmp(skey, "PRIVATE+KEY+", 12) != 0)
        return dg_error_set(err, DG_ERR_USAGE, "not a signing key (want PRIVATE+KEY+...)");
    unsigned char raw[33];
    uint32_t id;
    dg_status st = parse_key_parts(skey + 12, "signing", out->verifier.name, &id, raw, err);
    if (st != DG_OK)
        return st;
    if (raw[0] != ALG_ED25519) {
        sodium_memzero(raw, sizeof raw);
        return dg_error_set(err, DG_ERR_USAGE, "not an Ed25519 signing key (want NAME+ID+KEY)");
    }
    crypto_sign_seed_keypair(out->verifier.public_key, out->secret_key, raw + 1);
    sodium_memzero(raw, sizeof raw);
    out->verifier.id = key_id(out->verifier.name, out->verifier.public_key);
    if (out->verifier.id != id) {
        sodium_memzero(out, sizeof *out);
        return dg_error_set(err, DG_ERR_USAGE, "signing key: its id does not match the key");
    }
    return DG_OK;
}

dg_status dg_note_signer_read_fd(int fd, const char *what, dg_note_signer *out, dg_error *err)
{
    struct stat sb;
    if (fstat(fd, &sb) != 0)
        return dg_error_set(err, DG_ERR_IO, "%s: %s", what, strerror(errno));
    if (!S_ISREG(sb.st_mode))
        return dg_error_set(err, DG_ERR_USAGE, "%s: not a regular file", what);
    if (sb.st_mode & 077)
        return dg_error_set(err, DG_ERR_DENIED,
                            "%s: the signing key is readable by others (mode %03o); make it "
                            "0600 (chmod 600)", what, (unsigned)(sb.st_mode & 0777));
    char buf[MAX_KEY_TEXT];
    ssize_t n = read(fd, buf, sizeof buf - 1);
    if (n < 0)
        return dg_error_set(err, DG_ERR_IO, "%s: %s", what, strerror(errno));
    buf[n] = '\0';
    dg_status st = dg_note_signer_parse(buf, out, err);
    sodium_memzero(buf, sizeof buf);
    return st == DG_OK ? st : dg_error_prefix(err, "%s: ", what);
}

dg_status dg_note_signer_load(const char *path, dg_note_signer *out, dg_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return dg_error_set(err, DG_ERR_IO, "%s: %s", path, strerror(errno));
    dg_status st = dg_note_signer_read_fd(fd, path, out, err);
    close(fd);
    return st;
}

dg_status dg_note_verifier_parse(const char *vkey, dg_note_verifier *out, dg_error *err)
{
    memset(out, 0, sizeof *out);
    while (*vkey == ' ' || *vkey == '\n' || *vkey == '\t')
        vkey++;
    unsigned char raw[33];
    uint32_t id;
    dg_status st = parse_key_parts(vkey, "verifier", out->name, &id, raw, err);
    if (st != DG_OK)
        return st;
    memcpy(out->public_key, raw + 1, 32);
    out->id = key_id(out->name, out->public_key);
    /* A cosignature/v1 key (type 0x04) is the same Ed25519 key named for cosigning; it is
     * kept as the plain key, which verifies both kinds of signature (dg_note_open). */
    uint32_t want = raw[0] == ALG_COSIGNATURE_V1
                        ? key_id_of(out->name, ALG_COSIGNATURE_V1, out->public_key)
                        : out->id;
    if (want != id)
        return dg_error_set(err, DG_ERR_USAGE, "verifier key %s: its id does not match the key",
                            out->name);
    return DG_OK;
}

/* "— name base64(id || signature)\n" for text. */
static dg_status signature_line(const char *text, size_t len, const dg_note_signer *key,
                                char *line, size_t size, dg_error *err)
{
    unsigned char sig[4 + crypto_sign_BYTES];
    uint32_t id = key->verifier.id;
    sig[0] = (unsigned char)(id >> 24);
    sig[1] = (unsigned char)(id >> 16);
    sig[2] = (unsigned char)(id >> 8);
    sig[3] = (unsigned char)id;
    if (crypto_sign_detached(sig + 4, NULL, (const unsigned char *)text, len, key->secret_key))
        return dg_error_set(err, DG_ERR_INTERNAL, "Ed25519 signing failed");
    char b64[128];
    base64(sig, sizeof sig, b64, sizeof b64);
    snprintf(line, size, SIG_PREFIX "%s %s\n", key->verifier.name, b64);
    return DG_OK;
}

/* Text a note may carry: UTF-8 without control characters other than newline, ending in
 * a newline, and no blank line (the blank line ends the text). */
static dg_status check_text(const char *text, dg_error *err)
{
    size_t len = strlen(text);
    if (len == 0 || text[len - 1] != '\n')
        return dg_error_set(err, DG_ERR_USAGE, "a note's text must end in a newline");
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        if ((*p < 0x20 && *p != '\n') || *p == 0x7f)
            return dg_error_set(err, DG_ERR_USAGE, "a note's text has a control character");
    if (strstr(text, "\n\n"))
        return dg_error_set(err, DG_ERR_USAGE, "a note's text has a blank line");
    return DG_OK;
}

dg_status dg_note_sign(const char *text, const dg_note_signer *key, char **note, dg_error *err)
{
    *note = NULL;
    dg_status st = check_text(text, err);
    if (st != DG_OK)
        return st;
    char line[512];
    st = signature_line(text, strlen(text), key, line, sizeof line, err);
    if (st != DG_OK)
        return st;
    size_t need = strlen(text) + 1 + strlen(line) + 1;
    *note = malloc(need);
    if (!*note)
        return dg_error_set(err, DG_ERR_NOMEM, "signed note: out of memory");
    snprintf(*note, need, "%s\n%s", text, line);
    return DG_OK;
}

/* Finds where the text of a note ends: *text_len covers its final newline, and the
 * signatures start at *sigs. */
static dg_status split_note(const char *note, size_t *text_len, const char **sigs,
                            dg_error *err)
{
    /* Blank lines after the last signature (a file saved with an extra newline) are not
     * part of the note. */
    size_t len = strlen(note);
    while (len >= 2 && note[len - 1] == '\n' && note[len - 2] == '\n')
        len--;
    const char *blank = NULL;
    for (const char *p = strstr(note, "\n\n"); p && (size_t)(p - note) + 2 < len;
         p = strstr(p + 1, "\n\n"))
        blank = p;
    if (!blank)
        return dg_error_set(err, DG_ERR_BAD_INPUT, "not a signed note (no signature lines)");
    *text_len = (size_t)(blank - note) + 1;
    *sigs = blank + 2;
    return DG_OK;
}

/* The message a cosignature/v1 signs: its header with the time, then the note's text. */
static char *cosignature_message(const char *text, size_t text_len, uint64_t time,
                                 size_t *len)
{
    char header[64];
    int h = snprintf(header, sizeof header, COSIGNATURE_V1_HEADER, (unsigned long long)time);
    char *msg = malloc((size_t)h + text_len);
    if (!msg)
        return NULL;
    memcpy(msg, header, (size_t)h);
    memcpy(msg + h, text, text_len);
    *len = (size_t)h + text_len;
    return msg;
}

/*
 * "— name base64(id || time || signature)\n": a C2SP tlog-cosignature (cosignature/v1),
 * which says "this key saw this checkpoint at this time" — the time is signed with it.
 */
static dg_status cosignature_line(const char *text, size_t text_len, const dg_note_signer *key,
                                  char *line, size_t size, dg_error *err)
{
    uint64_t now = (uint64_t)time(NULL);
    size_t msg_len;
    char *msg = cosignature_message(text, text_len, now, &msg_len);
    if (!msg)
        return dg_error_set(err, DG_ERR_NOMEM, "signed note: out of memory");
    unsigned char sig[4 + 8 + crypto_sign_BYTES];
    uint32_t id = key_id_of(key->verifier.name, ALG_COSIGNATURE_V1, key->verifier.public_key);
    for (int i = 0; i < 4; i++)
        sig[i] = (unsigned char)(id >> (24 - 8 * i));
    for (int i = 0; i < 8; i++)
        sig[4 + i] = (unsigned char)(now >> (56 - 8 * i));
    int failed = crypto_sign_detached(sig + 12, NULL, (const unsigned char *)msg, msg_len,
                                      key->secret_key);
    free(msg);
    if (failed)
        return dg_error_set(err, DG_ERR_INTERNAL, "Ed25519 signing failed");
    char b64[160];
    base64(sig, sizeof sig, b64, sizeof b64);
    snprintf(line, size, SIG_PREFIX "%s %s\n", key->verifier.name, b64);
    return DG_OK;
}

dg_status dg_note_cosign(const char *note, const dg_note_signer *key, char **out, dg_error *err)
{
    *out = NULL;
    size_t text_len;
    const char *sigs;
    dg_status st = split_note(note, &text_len, &sigs, err);
    if (st != DG_OK)
        return st;
    char line[512];
    st = cosignature_line(note, text_len, key, line, sizeof line, err);
    if (st != DG_OK)
        return st;
    size_t len = strlen(note);
    while (len && note[len - 1] == '\n')
        len--;
    *out = malloc(len + 2 + strlen(line));
    if (!*out)
        return dg_error_set(err, DG_ERR_NOMEM, "signed note: out of memory");
    sprintf(*out, "%.*s\n%s", (int)len, note, line);
    return DG_OK;
}

/* 1 when sig (id || time || signature) is key's cosignature/v1 of the text. */
static int cosignature_verifies(const unsigned char *sig, const char *text, size_t text_len,
                                const dg_note_verifier *key)
{
    uint32_t id = (uint32_t)sig[0] << 24 | (uint32_t)sig[1] << 16 | (uint32_t)sig[2] << 8 | sig[3];
    if (id != key_id_of(key->name, ALG_COSIGNATURE_V1, key->public_key))
        return 0;
    uint64_t when = 0;
    for (int i = 0; i < 8; i++)
        when = when << 8 | sig[4 + i];
    size_t msg_len;
    char *msg = cosignature_message(text, text_len, when, &msg_len);
    if (!msg)
        return 0;
    int ok = crypto_sign_verify_detached(sig + 12, (const unsigned char *)msg, msg_len,
                                         key->public_key) == 0;
    free(msg);
    return ok;
}

/* Checks one signature line against key: 1 when it is key's and verifies. */
static int line_verifies(const char *line, size_t line_len, const char *text, size_t text_len,
                         const dg_note_verifier *key)
{
    size_t prefix = strlen(SIG_PREFIX);
    if (line_len < prefix || memcmp(line, SIG_PREFIX, prefix) != 0)
        return 0;
    const char *name = line + prefix;
    const char *space = memchr(name, ' ', line_len - prefix);
    if (!space || (size_t)(space - name) != strlen(key->name) ||
        memcmp(name, key->name, strlen(key->name)) != 0)
        return 0;
    size_t b64_len = line_len - (size_t)(space + 1 - line);
    unsigned char cosig[4 + 8 + crypto_sign_BYTES];
    if (unbase64(space + 1, b64_len, cosig, sizeof cosig))
        return cosignature_verifies(cosig, text, text_len, key);
    unsigned char sig[4 + crypto_sign_BYTES];
    if (!unbase64(space + 1, b64_len, sig, sizeof sig))
        return 0;
    uint32_t id = (uint32_t)sig[0] << 24 | (uint32_t)sig[1] << 16 | (uint32_t)sig[2] << 8 | sig[3];
    return id == key->id && crypto_sign_verify_detached(sig + 4, (const unsigned char *)text,
                                                        text_len, key->public_key) == 0;
}

dg_status dg_note_open(const char *note, const dg_note_verifier *key, char **text, dg_error *err)
{
    *text = NULL;
    size_t text_len;
    const char *sigs;
    dg_status st = split_note(note, &text_len, &sigs, err);
    if (st != DG_OK)
        return st;
    int verified = 0, named = 0;
    for (const char *line = sigs; *line && !verified;) {
        const char *nl = strchr(line, '\n');
        size_t line_len = nl ? (size_t)(nl - line) : strlen(line);
        char prefix[DG_NOTE_NAME_MAX + 8];
        snprintf(prefix, sizeof prefix, SIG_PREFIX "%s ", key->name);
        if (line_len >= strlen(prefix) && !memcmp(line, prefix, strlen(prefix)))
            named = 1;
        verified = line_verifies(line, line_len, note, text_len, key);
        line = nl ? nl + 1 : line + line_len;
    }
    if (!verified)
        return dg_error_set(err, DG_ERR_BAD_INPUT,
                            named ? "the signature of %s does not verify: the note was altered "
                                    "or signed by another key"
                                  : "the note carries no signature of %s",
                            key->name);
    *text = strndup(note, text_len);
    return *text ? DG_OK : dg_error_set(err, DG_ERR_NOMEM, "signed note: out of memory");
}

dg_status dg_note_signers(const char *note, char **names, dg_error *err)
{
    *names = NULL;
    size_t text_len;
    const char *sigs;
    dg_status st = split_note(note, &text_len, &sigs, err);
    if (st != DG_OK)
        return st;
    *names = calloc(1, strlen(sigs) + 1);
    if (!*names)
        return dg_error_set(err, DG_ERR_NOMEM, "signed note: out of memory");
    size_t prefix = strlen(SIG_PREFIX);
    for (const char *line = sigs; *line;) {
        const char *nl = strchr(line, '\n');
        size_t line_len = nl ? (size_t)(nl - line) : strlen(line);
        const char *space = line_len > prefix ? memchr(line + prefix, ' ', line_len - prefix)
                                              : NULL;
        if (!memcmp(line, SIG_PREFIX, line_len < prefix ? line_len : prefix) && space) {
            strncat(*names, line + prefix, (size_t)(space - line - (ptrdiff_t)prefix));
            strcat(*names, "\n");
        }
        line = nl ? nl + 1 : line + line_len;
    }
    return DG_OK;
}

char *dg_checkpoint_format(const dg_checkpoint *cp)
{
    char b64[64];
    base64(cp->root, sizeof cp->root, b64, sizeof b64);
    char *text = malloc(strlen(cp->origin) + 96);
    if (text)
        sprintf(text, "%s\n%" PRIu64 "\n%s\n", cp->origin, cp->size, b64);
    return text;
}

dg_status dg_checkpoint_parse(const char *text, dg_checkpoint *out, dg_error *err)
{
    memset(out, 0, sizeof *out);
    const char *l1 = strchr(text, '\n');
    const char *l2 = l1 ? strchr(l1 + 1, '\n') : NULL;
    const char *l3 = l2 ? strchr(l2 + 1, '\n') : NULL;
    if (!l3 || l1 == text || (size_t)(l1 - text) >= sizeof out->origin)
        return dg_error_set(err, DG_ERR_BAD_INPUT, "not a checkpoint (origin, size, root lines)");
    memcpy(out->origin, text, (size_t)(l1 - text));
    const char *size = l1 + 1;
    size_t size_len = (size_t)(l2 - size);
    if (size_len == 0 || size_len > 20 || strspn(size, "0123456789") != size_len ||
        (size[0] == '0' && size_len > 1))
        return dg_error_set(err, DG_ERR_BAD_INPUT, "checkpoint: the tree size is not a number");
    errno = 0;
    out->size = strtoull(size, NULL, 10);
    if (errno)
        return dg_error_set(err, DG_ERR_BAD_INPUT, "checkpoint: the tree size is too large");
    if (!unbase64(l2 + 1, (size_t)(l3 - l2 - 1), out->root, sizeof out->root))
        return dg_error_set(err, DG_ERR_BAD_INPUT, "checkpoint: the root is not a base64 hash");
    return DG_OK;
}
