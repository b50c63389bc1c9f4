/*
 * web_session.c — the session table (token hashes) and the back-off table, each a small
 * array under its own mutex: a records room has tens of users, not millions, and a scan of
 * a few thousand entries costs microseconds.
 */
#include "web_session.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/hash.h"

typedef struct slot {
    char hash[DG_SHA256_HEX]; /* "" when free */
    dg_web_session s;
} slot;

struct dg_web_sessions {
    pthread_mutex_t lock;
    slot *slots;
    size_t n;
    int idle, lifetime;
};

void dg_web_random_token(char token[DG_WEB_TOKEN_HEX + 1])
{
    unsigned char raw[32];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2hex(token, DG_WEB_TOKEN_HEX + 1, raw, sizeof raw);
    sodium_memzero(raw, sizeof raw);
}

int dg_web_token_equal(const char *a, const char *b)
{
    if (!a || !b || strlen(a) != DG_WEB_TOKEN_HEX || strlen(b) != DG_WEB_TOKEN_HEX)
        return 0;
    return sodium_memcmp(a, b, DG_WEB_TOKEN_HEX) == 0;
}

static int token_hash(const char *token, char hash[DG_SHA256_HEX])
{
    if (!token || strlen(token) != DG_WEB_TOKEN_HEX ||
        strspn(token, "0123456789abcdef") != DG_WEB_TOKEN_HEX)
        return 0;
    dg_sha256_hex(token, DG_WEB_TOKEN_HEX, hash);
    return 1;
}

dg_status dg_web_sessions_new(size_t max_sessions, int idle_seconds, int lifetime_seconds,
                              dg_web_sessions **out, dg_error *err)
{
    dg_web_sessions *s = calloc(1, sizeof *s);
    if (s)
        s->slots = calloc(max_sessions ? max_sessions : 1, sizeof *s->slots);
    if (!s || !s->slots) {
        free(s);
        return dg_error_set(err, DG_ERR_NOMEM, "web sessions: out of memory");
    }
    s->n = max_sessions ? max_sessions : 1;
    s->idle = idle_seconds;
    s->lifetime = lifetime_seconds;
    pthread_mutex_init(&s->lock, NULL);
    *out = s;
    return DG_OK;
}

void dg_web_sessions_free(dg_web_sessions *s)
{
    if (!s)
        return;
    sodium_memzero(s->slots, s->n * sizeof *s->slots);
    free(s->slots);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

static int expired(const dg_web_sessions *s, const slot *sl, int64_t now)
{
    return now - sl->s.last_seen > s->idle || now - sl->s.created > s->lifetime;
}

/* A free slot, else the one idle longest (caller holds the lock). */
static slot *slot_for_new(dg_web_sessions *s, int64_t now)
{
    slot *oldest = &s->slots[0];
    for (size_t i = 0; i < s->n; i++) {
        slot *sl = &s->slots[i];
        if (!sl->hash[0] || expired(s, sl, now))
            return sl;
        if (sl->s.last_seen < oldest->s.last_seen)
            oldest = sl;
    }
    return oldest;
}

dg_status dg_web_session_start(dg_web_sessions *s, const char *login, int64_t epoch,
                               int64_t now, char token[DG_WEB_TOKEN_HEX + 1],
                               dg_web_session *out, dg_error *err)
{
    if (strlen(login) >= sizeof out->login)
        return dg_error_set(err, DG_ERR_USAGE, "login too long for a session");
    char hash[DG_SHA256_HEX];
    dg_web_random_token(token);
    token_hash(token, hash);
    pthread_mutex_lock(&s->lock);
    slot *sl = slot_for_new(s, now);
    memset(sl, 0, sizeof *sl);
    memcpy(sl->hash, hash, sizeof hash);
    snprintf(sl->s.login, sizeof sl->s.login, "%s", login);
    dg_web_random_token(sl->s.csrf);
    sl->s.epoch = epoch;
    sl->s.created = sl->s.last_seen = now;
    *out = sl->s;
    pthread_mutex_unlock(&s->lock);
    return DG_OK;
}

/* The slot of a token's hash, or NULL (caller holds the lock). */
static slot *find_slot(dg_web_sessions *s, const char *hash)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->slots[i].hash[0] && sodium_memcmp(s->slots[i].hash, hash, DG_SHA256_HEX) == 0)
            return &s->slots[i];
    return NULL;
}

int dg_web_session_find(dg_web_sessions *s, const char *token, int64_t now, dg_web_session *out)
{
    char hash[DG_SHA256_HEX];
    if (!token_hash(token, hash))
        return 0;
    pthread_mutex_lock(&s->lock);
    slot *sl = find_slot(s, hash);
    int live = sl && !expired(s, sl, now);
    if (sl && !live)
        memset(sl, 0, sizeof *sl);
    if (live) {
        sl->s.last_seen = now;
        *out = sl->s;
    }
    pthread_mutex_unlock(&s->lock);
    return live;
}

void dg_web_session_end(dg_web_sessions *s, const char *token)
{
    char hash[DG_SHA256_HEX];
    if (!token_hash(token, hash))
        return;
    pthread_mutex_lock(&s->lock);
    slot *sl = find_slot(s, hash);
    if (sl)
        memset(sl, 0, sizeof *sl);
    pthread_mutex_unlock(&s->lock);
}

void dg_web_session_end_login(dg_web_sessions *s, const char *login)
{
    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; i < s->n; i++)
        if (s->slots[i].hash[0] && !strcmp(s->slots[i].s.login, login))
            memset(&s->slots[i], 0, sizeof s->slots[i]);
    pthread_mutex_unlock(&s->lock);
}

/* ---- back-off ---- */

typedef struct failures {
    char key[96]; /* "" when free */
    int count;
    int64_t until; /* no attempt before this */
} failures;

struct dg_web_backoff {
    pthread_mutex_t lock;
    failures *keys;
    size_t n;
};

dg_status dg_web_backoff_new(size_t max_keys, dg_web_backoff **out, dg_error *err)
{
    dg_web_backoff *b = calloc(1, sizeof *b);
    if (b)
        b->keys = calloc(max_keys ? max_keys : 1, sizeof *b->keys);
    if (!b || !b->keys) {
        free(b);
        return dg_error_set(err, DG_ERR_NOMEM, "login back-off: out of memory");
    }
    b->n = max_keys ? max_keys : 1;
    pthread_mutex_init(&b->lock, NULL);
    *out = b;
    return DG_OK;
}

void dg_web_backoff_free(dg_web_backoff *b)
{
    if (!b)
        return;
    free(b->keys);
    pthread_mutex_destroy(&b->lock);
    free(b);
}

static failures *find_key(dg_web_backoff *b, const char *key)
{
    for (size_t i = 0; i < b->n; i++)
        if (b->keys[i].key[0] && !strncmp(b->keys[i].key, key, sizeof b->keys[i].key - 1))
            return &b->keys[i];
    return NULL;
}

int dg_web_backoff_wait(dg_web_backoff *b, const char *key, int64_t now)
{
    pthread_mutex_lock(&b->lock);
    failures *f = find_key(b, key);
    int wait = f && f->until > now ? (int)(f->until - now) : 0;
    pthread_mutex_unlock(&b->lock);
    return wait;
}

/* A free entry, else the one whose wait ends soonest (caller holds the lock). */
static failures *entry_for_new(dg_web_backoff *b)
{
    failures *soonest = &b->keys[0];
    for (size_t i = 0; i < b->n; i++) {
        if (!b->keys[i].key[0])
            return &b->keys[i];
        if (b->keys[i].until < soonest->until)
            soonest = &b->keys[i];
    }
    return soonest;
}

void dg_web_backoff_fail(dg_web_backoff *b, const char *key, int64_t now)
{
    pthread_mutex_lock(&b->lock);
    failures *f = find_key(b, key);
    if (!f) {
        f = entry_for_new(b);
        memset(f, 0, sizeof *f);
        snprintf(f->key, sizeof f->key, "%s", key);
    }
    f->count++;
    if (f->count >= DG_WEB_FREE_ATTEMPTS) {
        int shift = f->count - DG_WEB_FREE_ATTEMPTS;
        int64_t wait = shift >= 10 ? DG_WEB_MAX_BACKOFF : (int64_t)1 << shift;
        f->until = now + (wait < DG_WEB_MAX_BACKOFF ? wait : DG_WEB_MAX_BACKOFF);
    }
    pthread_mutex_unlock(&b->lock);
}

void dg_web_backoff_clear(dg_web_backoff *b, const char *key)
{
    pthread_mutex_lock(&b->lock);
    failures *f = find_key(b, key);
    if (f)
        memset(f, 0, sizeof *f);
    pthread_mutex_unlock(&b->lock);
}
