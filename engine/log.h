/*
 * log.h — the access log (查阅登记): append-only and hash-chained.
 *
 * Every read, change and refusal in the engine appends one entry: when, who (login and
 * origin), what action, which record and version or which query and how many hits (and
 * which hits it showed), and the outcome. Each entry carries the SHA-256 of its predecessor
 * and its own SHA-256 over its fields and that link, so an entry edited, deleted, inserted
 * or reordered in the catalog file breaks the chain and dg_log_verify() names the first
 * broken entry.
 *
 * The entries are also the leaves of an RFC 6962 Merkle tree (merkle.h), stored as its
 * complete subtrees in the catalog so that appending and proving cost O(log n). A signed
 * checkpoint (note.h) commits to the tree's size and root; whoever keeps one can later
 * prove that today's log extends it (dg_log_audit) — a log cut short, rewritten and
 * re-chained, forked or replaced by an older catalog cannot — and that an entry is in it
 * (dg_log_prove). The signing key never enters the catalog: the caller loads it from a
 * file outside the archive and passes it in.
 *
 * Only auditors and admins read the log; reading it is itself logged.
 *
 * One contract, four files, each above the last: log.c appends (and keeps the stored
 * tree); log_read.c reads and verifies; log_tree.c signs checkpoints and proves; log_time.c
 * reads and shows times and keeps the archive's time zone. Appending needs no role and
 * checks none, so every engine module, the role check included (user.h), logs through it.
 */
#ifndef DG_LOG_H
#define DG_LOG_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "actor.h"
#include "merkle.h"
#include "note.h"
#include "../base/status.h"

typedef struct dg_archive dg_archive;

/*
 * What one entry keeps of a text field (the query, the reference code, the detail): up to
 * this many bytes as given. A longer text is kept as its first DG_LOG_MAX_TEXT bytes (cut
 * at a character boundary), then " … [N bytes, SHA-256 H]" naming its full length and the
 * hash of the whole, so an auditor can still match it, and a caller who sends 4 MiB
 * queries cannot fill the catalog's disk through the log. Then every control character of
 * every text is written as its Unicode picture (U+2400 + the byte, DEL U+2421; up to three
 * bytes for one): the log's canonical form has no 0x1E or 0x1F in a text (log_internal.h).
 */
#define DG_LOG_MAX_TEXT 1024

/* One thing that happened. NULL strings and hits < 0 / version <= 0 mean "not applicable". */
typedef struct dg_log_event {
    const char *action;  /* "search", "show", "add", "edit", "login", ... */
    const char *refcode;
    int version;
    const char *query;
    long hits;
    const char *outcome; /* "ok", "refused", "not_found", "error" */
    const char *detail;
    const char *shown;   /* the hits a search showed: "REF@V,REF@V" (NULL: none) */
    int read;            /* the request changed nothing (a search, a view, a log read): a
                          * deferring group (dg_log_group_defer_reads) may sync its entry
                          * after answering */
} dg_log_event;

/*
 * Appends an entry in its own transaction. actor may be NULL for an unknown caller, whose
 * OS login then goes in login.
 */
dg_status dg_log_append(dg_archive *archive, const dg_actor *actor, const char *login,
                        const dg_log_event *event, dg_error *err);

/* The same, inside a write transaction the caller already holds on the catalog, so that a
 * change and its log entry commit together: the entry of a change (event->read 0) goes into
 * the catalog's log_pending and on to the log's file after the commit (see
 * dg_log_pending_flush); a read's goes into the log's file (attached) in the transaction. */
dg_status dg_log_append_in_txn(dg_archive *archive, const dg_actor *actor, const char *login,
                               const dg_log_event *event, dg_error *err);

/* count entries inside the caller's write transaction, the stored tree brought up once
 * after the last (as a group's batch is): for writers of many entries at once (bench/log
 * grows a log of 10 million). The first entry refused stops the rest. */
dg_status dg_log_append_many_in_txn(dg_archive *archive, const dg_actor *actor,
                                    const dg_log_event *events, size_t count, dg_error *err);

/*
 * A change's entry (dg_log_append_in_txn of an event not marked read) commits with the change
 * in the catalog's log_pending and is appended to the log's file right after the catalog's
 * commit (log.c; the log has its own file, catalog.h). dg_log_pending_flush appends every
 * pending entry not yet in the log, oldest first, each exactly once: the opener
 * (archive_open.c), every reader of the log (log_read.c), checkpoint and backup call it, so
 * an entry left pending by a crash between the two commits is in the log before anything
 * reads it. Failing, the entries stay pending (nothing is lost): the caller's read fails.
 */
dg_status dg_log_pending_flush(dg_archive *archive, dg_error *err);

/* Installs the catalog connection's hook that appends a change's pending entry once the
 * change has committed (for the handle's opener, archive.c). */
void dg_log_watch_commits(dg_archive *archive);

/*
 * Logs how an operation that ran outside the log ended (backup, restore's source, key
 * work): st is its status; detail says what it did when it succeeded, err->msg why not
 * when it failed. Returns st, or the log's failure when the operation succeeded but its
 * entry could not be written (an unlogged success is a failure: the log must be complete).
 */
dg_status dg_log_result(dg_archive *archive, const dg_actor *actor, const char *action,
                        long hits, dg_status st, const char *detail, dg_error *err);

/* dg_log_append, also giving the new entry's id (printed on what leaves the archive as a
 * watermark, so a copy traces back to its entry). */
dg_status dg_log_append_id(dg_archive *archive, const dg_actor *actor, const dg_log_event *event,
                           int64_t *id, dg_error *err);

/*
 * Group commit, for a process that holds several handles of one archive (the server):
 * the handles attached to one group append their own-transaction entries (dg_log_append,
 * dg_log_append_id) together. A caller queues its entry; one of the waiting callers writes
 * every entry queued so far in one transaction on its own handle (chain and tree as one by
 * one: each entry follows the one before), with one sync, and each caller returns only once
 * its own entry has committed, with its own outcome. So N concurrent searches cost one
 * sync, not N, and nothing a search shows leaves the server before its entry has
 * committed (and, unless the group defers reads' syncs, below, is on disk).
 * Entries appended inside the caller's transaction (dg_log_append_in_txn) are not grouped.
 *
 * The group is the caller's: free it after closing (or detaching) every handle attached.
 * Thread-safe; a handle is still used by one thread at a time.
 */
typedef struct dg_log_group dg_log_group;
dg_status dg_log_group_new(dg_log_group **out, dg_error *err);
void dg_log_group_free(dg_log_group *group);
/* Attaches the handle to group (NULL: detaches it; it then appends alone). */
void dg_log_group_attach(dg_archive *archive, dg_log_group *group);

/*
 * Gives the group a handle of its own (opened by the caller on the same archive, attached
 * to no group, used by nothing else, closed by the caller after dg_log_group_free): every
 * batch is then written on it instead of on its leader's handle. It keeps the synchronous
 * level its last batch needed (NORMAL for a deferred batch of reads, FULL otherwise), so
 * the leader's own handle, which must sync its changes, is never switched, and the
 * writer's page cache holds the log's pages from batch to batch.
 */
void dg_log_group_writer(dg_log_group *group, dg_archive *writer);

/*
 * A request starts (starts = 1) or ends (0) on the handle (the dispatcher calls it around
 * each request): while other handles of its group are inside a request, a batch's leader
 * waits a little for their entries, so that one commit serves several (the commit window,
 * log.c). No-op for a handle without a group.
 */
void dg_log_group_request(dg_archive *archive, int starts);

/* What a group has done: batches committed (or failed), entries in them, entries waiting
 * now (the batch being written included), handles inside a request; with deferral, batches committed without a
 * sync, syncs of the WAL by the syncer, and whether a deferred batch awaits its sync. */
typedef struct dg_log_group_counts {
    uint64_t batches, entries;
    size_t waiting;
    int busy; /* handles inside a request (dg_log_group_request) */
    uint64_t deferred, syncs;
    int unsynced;
} dg_log_group_counts;
void dg_log_group_stats(dg_log_group *group, dg_log_group_counts *out);

/*
 * Deferred sync for reads' entries (the server; PostgreSQL's synchronous_commit=off with
 * wal_writer_delay, for reads only). From now on a batch whose entries are all marked read
 * commits before its callers return — its WAL frames are in the operating system, so a
 * killed server loses none — but without a sync; a thread of the group fdatasyncs the
 * WAL of the log's file (catalog.h) at most delay_ms later. A batch holding any other entry, and every change
 * (its own transaction at synchronous=FULL), still syncs before returning, which also makes
 * every earlier read's entry durable. So after a power loss the log may lack the reads of
 * the last delay_ms, never a change, and what it holds is still a whole chain. archive is
 * any handle of the group's archive (its WAL is opened once). The syncer syncs what is left
 * and stops in dg_log_group_free. If a sync fails, the group syncs every batch again.
 */
dg_status dg_log_group_defer_reads(dg_log_group *group, dg_archive *archive, long delay_ms,
                                   dg_error *err);

typedef struct dg_log_entry {
    int64_t id;
    char *at, *login, *origin, *action, *refcode, *query, *outcome, *detail;
    int64_t version; /* as stored (a row altered outside dangan may hold any) */
    long hits;
    char *hash, *prev_hash;
    char *shown; /* the hits a search showed, "REF@V,REF@V", or NULL */
} dg_log_entry;

typedef struct dg_log_filter {
    const char *login;
    const char *action;
    const char *refcode; /* entries about the record, and searches that showed it */
    const char *since; /* UTC as the log stores it (dg_log_parse_time), inclusive */
    const char *until; /* exclusive */
    size_t limit;      /* 0: no limit; else the newest limit entries */
} dg_log_filter;

/* Reads entries oldest first (auditor or admin). Free with dg_log_entries_free(). */
dg_status dg_log_read(dg_archive *archive, const dg_actor *actor, const dg_log_filter *filter,
                      dg_log_entry **entries, size_t *count, dg_error *err);
void dg_log_entries_free(dg_log_entry *entries, size_t count);

typedef struct dg_log_check {
    uint64_t entries;
    char head[65];        /* hash of the newest entry */
    int64_t first_broken; /* id of the first entry that fails, 0 when the chain is whole */
    char reason[256];
    dg_merkle_hash root;  /* the tree's root, recomputed from the entries */
    dg_merkle_hash snapshot_root; /* the root of the first snapshot_size entries (internal) */
    uint64_t stored_size; /* leaves in the stored tree */
    int tree_differs;     /* the stored tree does not match the entries (reason says how) */
} dg_log_check;

/*
 * Walks the whole chain and recomputes the tree from the entries (auditor or admin). DG_OK
 * with first_broken = 0 and tree_differs = 0 when whole; DG_OK with first_broken or
 * tree_differs and reason set when not (a finding, not a failure to run).
 */
dg_status dg_log_verify(dg_archive *archive, const dg_actor *actor, dg_log_check *out,
                        dg_error *err);

/* The outcome to log for a status: ok, refused, not_found, invalid, conflict or error. */
const char *dg_log_outcome(dg_status st);

/*
 * Reads a --since/--until bound typed by a person, in the process's local time zone:
 * 2026-11-03, 2026-11, 2026, 2026-11-03T14:05[:09][Z|+08:00] (or a space for T), a span
 * back from now (30d, 2w, 12h, 6mo, 1y, "30 days ago"), or now, today, yesterday, tomorrow,
 * this-week, last-week, this-month, last-month, this-year, last-year (the start of that
 * day, week (Monday), month or year). Writes the moment as the log stores times (UTC) into
 * out. Anything else is DG_ERR_USAGE naming the accepted forms; nothing is guessed.
 */
dg_status dg_log_parse_time(const char *text, time_t now, char out[32], dg_error *err);

/* Writes a stored UTC time in the process's local zone with its offset:
 * "2026-11-03 14:05:09 +08:00". Returns 0 (copying utc as is) when utc is not the log's form. */
int dg_log_local_time(const char *utc, char *out, size_t size);

/*
 * The archive's time zone (the "timezone" setting: an IANA name such as Asia/Shanghai), or
 * *zone = NULL when unset (the system's zone applies). A program sets TZ from it once at
 * start, before any thread (cli/main.c, the server). set is admin only, and logged.
 */
dg_status dg_log_timezone(dg_archive *archive, char **zone, dg_error *err);
dg_status dg_log_set_timezone(dg_archive *archive, const dg_actor *actor, const char *zone,
                              dg_error *err);

/* The tree head as stored: how many entries it holds and their root. */
typedef struct dg_log_head {
    uint64_t size;
    dg_merkle_hash root;
} dg_log_head;

/*
 * Signs a checkpoint of the stored tree with key (origin: the key's name) and keeps it in
 * the catalog's list of checkpoints (a signed note is public; the key is not kept). *note
 * is the signed note (caller frees). Any caller holding the key may sign: holding the key
 * is the authority. The tree is brought up to the newest entry first.
 */
dg_status dg_log_checkpoint_sign(dg_archive *archive, const dg_note_signer *key, char **note,
                                 dg_error *err);

/* The newest checkpoint kept in the catalog (auditor or admin); DG_ERR_NOT_FOUND when none
 * was ever signed. *note is freed by the caller. */
dg_status dg_log_checkpoint_latest(dg_archive *archive, const dg_actor *actor, char **note,
                                   dg_error *err);

/*
 * The earliest kept checkpoint whose log holds at least `entries` entries, i.e. the first
 * signed after entry number `entries` was appended; *note is the signed note and *at when
 * it was kept (UTC), both freed by the caller. DG_ERR_NOT_FOUND when none was signed since.
 * Not role-checked: a checkpoint is public (it commits to the log's size and root and reveals
 * nothing else), and is printed on the destruction register for anyone to keep.
 */
dg_status dg_log_checkpoint_covering(dg_archive *archive, uint64_t entries, char **note,
                                     char **at, dg_error *err);

/* What an audit against a checkpoint found. */
typedef struct dg_log_audit {
    dg_log_check check;      /* the chain and the tree recomputed from the entries */
    dg_checkpoint checkpoint; /* what the checkpoint signed */
    uint64_t size;           /* entries today */
    int extends;             /* 1 when today's log extends the checkpointed one */
    char finding[512];       /* why not, when extends is 0 */
    dg_merkle_proof proof;   /* consistency proof checkpoint.size -> size (stored tree) */
} dg_log_audit;
void dg_log_audit_free(dg_log_audit *audit);

/*
 * Audits today's log against a signed checkpoint (auditor or admin). The note must carry a
 * valid signature of key (DG_ERR_BAD_INPUT otherwise). Then every entry is re-read, the chain
 * checked and the tree recomputed: the first checkpoint.size entries must hash to the
 * signed root, and a consistency proof from the stored tree must take the signed root to
 * today's. DG_OK with extends = 0 and a finding when the log was cut short, rewritten,
 * forked or swapped for an older catalog.
 */
dg_status dg_log_audit_checkpoint(dg_archive *archive, const dg_actor *actor, const char *note,
                                  const dg_note_verifier *key, dg_log_audit *out,
                                  dg_error *err);

/*
 * The consistency proof from the stored tree of old_size entries to that of size entries
 * (auditor or admin; not logged: it reveals only hashes). Used to connect a checkpoint to
 * one signed after it.
 */
dg_status dg_log_prove_consistency(dg_archive *archive, const dg_actor *actor, uint64_t old_size,
                                   uint64_t size, dg_merkle_proof *proof, dg_error *err);

/* An inclusion proof of one entry in a checkpointed log. */
typedef struct dg_log_inclusion {
    int64_t entry;          /* the entry's id (leaf entry - 1) */
    dg_checkpoint checkpoint;
    unsigned char *bytes;   /* the entry's bytes as hashed (the leaf's data) */
    size_t len;
    dg_merkle_hash leaf;
    dg_merkle_proof proof;
    int included;           /* 1 when the proof takes the leaf to the signed root */
    int canonical;          /* 1 when the entry's row is as dangan writes it, so that its
                             * bytes are its own and no other row's (log_internal.h) */
    char finding[224];      /* why not, when canonical is 0 */
} dg_log_inclusion;
void dg_log_inclusion_free(dg_log_inclusion *p);

/* Proves that entry is in the log a signed checkpoint covers (auditor or admin). A row
 * not in the canonical form is proven all the same (its bytes may be the honest entry's),
 * with canonical 0 and the finding: what the row says is not what the bytes say. */
dg_status dg_log_prove(dg_archive *archive, const dg_actor *actor, int64_t entry,
                       const char *note, const dg_note_verifier *key, dg_log_inclusion *out,
                       dg_error *err);

/*
 * An auditor's cosignature: checks the log's signature on note with log_key, checks that
 * this archive's log at the checkpoint's size has the signed root (the auditor vouches for
 * what they can see), and adds a signature line made with the auditor's own key (auditor
 * role). *out is the cosigned note (caller frees); the cosigning is logged.
 */
dg_status dg_log_cosign(dg_archive *archive, const dg_actor *actor, const char *note,
                        const dg_note_verifier *log_key, const dg_note_signer *auditor_key,
                        char **out, dg_error *err);

/* The archive's own record of its log's verifier key (set when the first checkpoint is
 * signed); DG_ERR_NOT_FOUND before that. Auditors should rather use the key they hold. */
dg_status dg_log_verifier_key(dg_archive *archive, dg_note_verifier *key, dg_error *err);

#endif
