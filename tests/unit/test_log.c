/* test_log.c — the access log's hash chain catches edits, deletions and reordering. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <limits.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../base/hash.h"
#include "engine/archive_internal.h" /* a batch of appends in one transaction */
#include "engine/catalog.h"
#include "engine/log.h"
#include "engine/log_internal.h" /* the walk's two ways, DG_LOG_SHOWN_EVERY */
#include "engine/log_own.h"
#include "engine/note.h"
#include "notekey.h"
#include "testutil.h"

static void append_searches(test_archive *t, int n)
{
    for (int i = 0; i < n; i++) {
        char q[32];
        snprintf(q, sizeof q, "query %d", i);
        dg_log_event ev = {.action = "search", .query = q, .hits = i, .outcome = "ok"};
        dg_error err;
        assert_int_equal(dg_log_append(t->archive, &t->admin, NULL, &ev, &err), DG_OK);
    }
}

/* Tampering goes around dangan: straight into the SQLite file, as an intruder would. */
static void tamper(test_archive *t, const char *sql)
{
    assert_int_equal(test_archive_exec(t, sql), SQLITE_OK);
}

static int64_t first_broken(test_archive *t, char *reason, size_t size)
{
    dg_log_check check;
    dg_error err;
    assert_int_equal(dg_log_verify(t->archive, &t->admin, &check, &err), DG_OK);
    snprintf(reason, size, "%s", check.reason);
    return check.first_broken;
}

static void test_untouched_chain_verifies(void **state)
{
    (void)state;
    test_archive t;
    assert_true(test_archive_make(&t));
    append_searches(&t, 10);
    char reason[256];
    assert_int_equal(first_broken(&t, reason, sizeof reason), 0);
    test_archive_remove(&t);
}

static void test_edited_entry_is_caught(void **state)
{
    (void)state;
    test_archive t;
    assert_true(test_archive_make(&t));
    append_searches(&t, 10);
    tamper(&t, "DROP TRIGGER log_is_append_only;"
               "UPDATE access_log SET hits = 999 WHERE id = 5;");
    char reason[256];
    assert_int_equal(first_broken(&t, reason, sizeof reason), 5);
    assert_non_null(strstr(reason, "altered"));
    test_archive_remove(&t);
}

static void test_deleted_entry_is_caught(void **state)
{
    (void)state;
    test_archive t;
    assert_true(test_archive_make(&t));
    append_searches(&t, 10);
    tamper(&t, "DROP TRIGGER log_is_never_deleted; DELETE FROM access_log WHERE id = 4;");
    char reason[256];
    assert_int_equal(first_broken(&t, reason, sizeof reason), 4);
    assert_non_null(strstr(reason, "missing"));
    test_archive_remove(&t);
}

static void test_reordered_entries_are_caught(void **state)
{
    (void)state;
    test_archive t;
    assert_true(test_archive_make(&t));
    append_searches(&t, 10);
    /* Swap the contents of entries 6 and 7, hashes included. */
    tamper(&t, "DROP TRIGGER log_is_append_only;"
               "UPDATE access_log SET id = -6 WHERE id = 6;"
               "UPDATE access_log SET id = 6 WHERE id = 7;"
               "UPDATE access_log SET id = 7 WHERE id = -6;");
    char reason[256];
    assert_int_equal(first_broken(&t, reason, sizeof reason), 6);
    test_archive_remove(&t);
}

static void test_log_refuses_updates_through_sqlite(void **state)
{
    (void)state;
    test_archive t;
    assert_true(test_archive_make(&t));
    char path[128];
    snprintf(path, sizeof path, "%s/catalog.db", t.path);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_not_equal(sqlite3_exec(db, "UPDATE access_log SET hits = 1", NULL, NULL, NULL),
                         SQLITE_OK);
    assert_int_not_equal(sqlite3_exec(db, "DELETE FROM access_log", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    test_archive_remove(&t);
}

static void test_staff_cannot_read_the_log_and_the_refusal_is_logged(void **state)
{
    (void)state;
    test_archive t;
    assert_true(test_archive_make(&t));
    dg_actor zhang;
    assert_true(test_archive_user(&t, "zhang", 1, DG_ROLE_STAFF, &zhang));
    dg_log_entry *entries;
    size_t n;
    dg_log_filter filter = {0};
    dg_error err;
    assert_int_equal(dg_log_read(t.archive, &zhang, &filter, &entries, &n, &err), DG_ERR_DENIED);
    filter.login = "zhang";
    assert_int_equal(dg_log_read(t.archive, &t.admin, &filter, &entries, &n, &err), DG_OK);
    int refused = 0;
    for (size_t i = 0; i < n; i++)
        refused += !strcmp(entries[i].action, "log.read") && !strcmp(entries[i].outcome, "refused");
    assert_int_equal(refused, 1);
    dg_log_entries_free(entries, n);
    test_archive_remove(&t);
}

/* 25 refused 4 MiB queries once added 107 MB to the catalog: an entry keeps 1 KiB of a
 * text, its length and its hash, and the chain over the stored entry still verifies. */
static void test_log_entry_keeps_a_bounded_head_length_and_hash_of_a_huge_query(void **state)
{
    (void)state;
    test_archive t;
    assert_true(test_archive_make(&t));
    size_t len = 4u << 20;
    char *query = malloc(len + 1);
    assert_non_null(query);
    for (size_t i = 0; i < len; i += 3)
        memcpy(query + i, "档", len - i >= 3 ? 3 : len - i); /* a 3-byte character */
    query[len - len % 3] = '\0';
    len -= len % 3;
    dg_log_event ev = {.action = "search", .query = query, .refcode = query, .detail = query,
                       .hits = 0, .outcome = "refused"};
    dg_error err;
    assert_int_equal(dg_log_append(t.archive, &t.admin, NULL, &ev, &err), DG_OK);
    dg_log_entry *entries;
    size_t count;
    dg_log_filter filter = {.action = "search"};
    assert_int_equal(dg_log_read(t.archive, &t.admin, &filter, &entries, &count, &err), DG_OK);
    assert_int_equal(count, 1);
    char hex[DG_SHA256_HEX], tail[160];
    dg_sha256_hex(query, len, hex);
    snprintf(tail, sizeof tail, " … [%zu bytes, SHA-256 %s]", len, hex);
    const char *kept[] = {entries[0].query, entries[0].refcode, entries[0].detail};
    for (int i = 0; i < 3; i++) {
        assert_true(strlen(kept[i]) <= DG_LOG_MAX_TEXT + strlen(tail));
        assert_non_null(strstr(kept[i], tail));
        size_t head = (size_t)(strstr(kept[i], tail) - kept[i]);
        assert_int_equal(head % 3, 0); /* never half a character */
        assert_memory_equal(kept[i], query, head);
    }
    dg_log_entries_free(entries, count);
    char reason[256];
    assert_int_equal(first_broken(&t, reason, sizeof reason), 0);
    free(query);
    test_archive_remove(&t);
}

static dg_log_check full_check(test_archive *t)
{
    dg_log_check check;
    dg_error err;
    assert_int_equal(dg_log_verify(t->archive, &t->admin, &check, &err), DG_OK);
    return check;
}

static char *sign(test_archive *t, dg_note_signer *key)
{
    char *note;
    dg_error err;
    assert_int_equal(dg_log_checkpoint_sign(t->archive, key, &note, &err), DG_OK);
    return note;
}

static void test_the_stored_tree_is_the_tree_of_the_entries(void **state)
{
    (void)state;
    test_archive t;
    assert_true(test_archive_make(&t));
    append_searches(&t, 100);
    dg_log_check check = full_check(&t);
    assert_int_equal(check.first_broken, 0);
    assert_int_equal(check.tree_differs, 0);
    assert_int_equal(check.stored_size, check.entries);
    /* The signed root is the root recomputed from the entries. */
    dg_note_signer key;
    test_note_key(&key);
    char *note = sign(&t, &key), *text;
    dg_error err;
    assert_int_equal(dg_note_open(note, &key.verifier, &text, &err), DG_OK);
    dg_checkpoint cp;
    assert_int_equal(dg_checkpoint_parse(text, &cp, &err), DG_OK);
    assert_int_equal(cp.size, check.entries + 1); /* the verify itself is logged */
    dg_log_audit audit;
    assert_int_equal(dg_log_audit_checkpoint(t.archive, &t.admin, note, &key.verifier, &audit, &err),
                     DG_OK);
    assert_true(audit.extends);
    assert_memory_equal(audit.check.snapshot_root.b, cp.root, 32);
    dg_log_audit_free(&audit);
    free(text);
    free(note);
    test_archive_remove(&t);
}

static void test_migration_turns_an_existing_chain_into_the_tree(void **state)
{
    (void)state;
    test_archive t;
    assert_true(test_archive_make(&t));
    append_searches(&t, 37);
    dg_archive_close(t.archive);
    t.archive = NULL;
    /* The catalog as schema 4 left it: a chain, no tree (and without migrations 6 to 13,
     * which come after the tree's migration 5), the log in the catalog. */
    assert_true(test_archive_one_file(&t));
    tamper(&t, "DROP TABLE log_tree; DROP TABLE log_checkpoints; DROP TABLE log_shown_filed;"
               "ALTER TABLE access_log DROP COLUMN shown;"
               "ALTER TABLE index_queue DROP COLUMN reason;"
               "ALTER TABLE index_queue DROP COLUMN failed_at;"
               "DROP TABLE synonyms; DROP TABLE web_passwords; DROP TABLE refcode_aliases;"
               "ALTER TABLE quarantine DROP COLUMN level;"
               "ALTER TABLE batch_files DROP COLUMN level;"
               "DROP TABLE loans; DROP TABLE relations;"
               "DROP TABLE keyless_destructions; DROP TABLE sealing_in_progress;"
               "DROP TRIGGER versions_are_immutable; DROP TRIGGER pages_are_immutable;"
               "CREATE TRIGGER versions_are_immutable BEFORE UPDATE ON versions"
               "  BEGIN SELECT RAISE(ABORT, 'versions are immutable'); END;"
               "CREATE TRIGGER pages_are_immutable BEFORE UPDATE ON pages"
               "  BEGIN SELECT RAISE(ABORT, 'pages are immutable'); END;"
               "DROP TRIGGER records_destroyed_only_when_witnessed;" /* migration 3's guard: */
               "CREATE TRIGGER records_destroyed_only_when_witnessed BEFORE UPDATE OF state"
               "  ON records WHEN NEW.state = 'destroyed' AND NOT EXISTS (SELECT 1 FROM"
               "  review_items i WHERE i.record_id = NEW.id"
               "  AND i.state IN ('witnessed', 'destroying'))"
               "  BEGIN SELECT RAISE(ABORT, 'a record is destroyed only by a witnessed"
               " destruction'); END;"
               "ALTER TABLE records DROP COLUMN key_id;"
               "ALTER TABLE versions DROP COLUMN subject; PRAGMA user_version = 4;");
    dg_error err;
    assert_int_equal(dg_archive_open(t.path, &t.archive, &err), DG_OK);
    dg_log_check check = full_check(&t); /* appends: the tree catches up */
    assert_int_equal(check.entries, 38);
    assert_int_equal(check.first_broken, 0);
    check = full_check(&t);
    assert_int_equal(check.entries, 39);
    assert_int_equal(check.stored_size, 39);
    assert_int_equal(check.tree_differs, 0);
    test_archive_remove(&t);
}

static void test_an_altered_stored_tree_is_caught(void **state)
{
    (void)state;
    test_archive t;
    assert_true(test_archive_make(&t));
    append_searches(&t, 20);
    tamper(&t, "DROP TRIGGER log_tree_is_append_only;"
               "UPDATE log_tree SET hash = zeroblob(32) WHERE level = 2 AND idx = 1;");
    dg_log_check check = full_check(&t);
    assert_int_equal(check.first_broken, 0); /* the entries are untouched */
    assert_int_equal(check.tree_differs, 1);
    assert_non_null(strstr(check.reason, "stored tree does not match the entries (subtree 2/1: entries 5 to 8"));
    test_archive_remove(&t);
}

static void test_a_checkpoint_catches_a_log_cut_short(void **state)
{
    (void)state;
    test_archive t;
    assert_true(test_archive_make(&t));
    append_searches(&t, 30);
    dg_note_signer key;
    test_note_key(&key);
    char *note = sign(&t, &key);
    append_searches(&t, 3);
    /* The last 10 entries go, and the tree rows above the remaining size with them. */
    tamper(&t, "DROP TRIGGER log_is_never_deleted; DROP TRIGGER log_tree_is_never_deleted;"
               "DELETE FROM access_log WHERE id > 24;"
               "DELETE FROM log_tree WHERE ((idx + 1) << level) > 24;");
    dg_log_check check = full_check(&t);
    assert_int_equal(check.first_broken, 0);
    assert_int_equal(check.tree_differs, 0); /* the chain and the tree agree: a clean cut */
    dg_log_audit audit;
    dg_error err;
    assert_int_equal(dg_log_audit_checkpoint(t.archive, &t.admin, note, &key.verifier, &audit, &err),
                     DG_OK);
    assert_false(audit.extends);
    assert_non_null(strstr(audit.finding, "entries were removed"));
    dg_log_audit_free(&audit);
    /* An inclusion proof of an entry the checkpoint covers fails now that it is gone. */
    dg_log_inclusion p;
    assert_int_equal(dg_log_prove(t.archive, &t.admin, 30, note, &key.verifier, &p, &err),
                     DG_ERR_NOT_FOUND);
    free(note);
    test_archive_remove(&t);
}

static void test_since_forms_are_read_in_the_local_zone_and_others_refused(void **state)
{
    (void)state;
    setenv("TZ", "Asia/Shanghai", 1);
    tzset();
    time_t now = 1794970800; /* 2026-11-18T03:00:00Z: Wednesday 11:00 in Shanghai */
    static const char *const cases[][2] = {
        {"now", "2026-11-18T03:00:00.000Z"},        {"today", "2026-11-17T16:00:00.000Z"},
        {"yesterday", "2026-11-16T16:00:00.000Z"},  {"tomorrow", "2026-11-18T16:00:00.000Z"},
        {"this-week", "2026-11-15T16:00:00.000Z"},  {"last week", "2026-11-08T16:00:00.000Z"},
        {"this-month", "2026-10-31T16:00:00.000Z"}, {"Last_Month", "2026-09-30T16:00:00.000Z"},
        {"this-year", "2025-12-31T16:00:00.000Z"},  {"last-year", "2024-12-31T16:00:00.000Z"},
        {"30d", "2026-10-19T03:00:00.000Z"},        {"2 weeks ago", "2026-11-04T03:00:00.000Z"},
        {"12h", "2026-11-17T15:00:00.000Z"},        {"6mo", "2026-05-18T03:00:00.000Z"},
        {"1y", "2025-11-18T03:00:00.000Z"},         {"2026", "2025-12-31T16:00:00.000Z"},
        {"2026-11", "2026-10-31T16:00:00.000Z"},    {"2026-11-03", "2026-11-02T16:00:00.000Z"},
        {"2026-11-03T14:05", "2026-11-03T06:05:00.000Z"},
        {"2026-11-03 14:05:09", "2026-11-03T06:05:09.000Z"},
        {"2026-11-03T14:05:09Z", "2026-11-03T14:05:09.000Z"},
        {"2026-11-03T14:05:09-05:00", "2026-11-03T19:05:09.000Z"},
        {"2026-11-03T14:05:09.250+0800", "2026-11-03T06:05:09.000Z"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[32];
        dg_error err;
        assert_int_equal(dg_log_parse_time(cases[i][0], now, out, &err), DG_OK);
        if (strcmp(out, cases[i][1]))
            fail_msg("%s: %s, want %s", cases[i][0], out, cases[i][1]);
    }
    static const char *const bad[] = {"", "soon", "next month", "2026-02-29", "2026-00-10",
                                      "2026-11-03T24:00", "11/03/2026", "30 fortnights",
                                      "-3d", "2026-11-03T14:05+15:00", "20261103"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char out[32];
        dg_error err;
        if (dg_log_parse_time(bad[i], now, out, &err) != DG_ERR_USAGE)
            fail_msg("'%s' was accepted as %s", bad[i], out);
    }
    char local[48];
    assert_true(dg_log_local_time("2026-11-03T06:05:09.123Z", local, sizeof local));
    assert_string_equal(local, "2026-11-03 14:05:09 +08:00");
    unsetenv("TZ");
    tzset();
}

/*
 * log verify reads rows and hashes on two threads, in batches of 4,096 entries (log_walk.c):
 * a log of several batches is checked whole, a stored subtree altered in a later batch is
 * found, and an entry altered there too is reported first (the chain's finding), as a walk
 * on one thread reports them.
 */
static void test_a_log_of_many_batches_is_checked_whole(void **state)
{
    (void)state;
    test_archive t;
    assert_true(test_archive_make(&t));
    enum { N = 13000 };
    static dg_log_event events[N];
    static char queries[N][24];
    for (int i = 0; i < N; i++) {
        snprintf(queries[i], sizeof queries[i], "query %d", i);
        events[i] = (dg_log_event){.action = "search", .query = queries[i], .hits = i,
                                   .outcome = "ok", .shown = i % 3 ? NULL : "X-1@1,X-2@2"};
    }
    dg_error err;
    assert_int_equal(dg_catalog_begin_write(t.archive->db, &err), DG_OK);
    assert_int_equal(dg_log_append_many_in_txn(t.archive, &t.admin, events, N, &err), DG_OK);
    assert_int_equal(dg_catalog_commit(t.archive->db, &err), DG_OK);
    dg_log_check check;
    assert_int_equal(dg_log_verify(t.archive, &t.admin, &check, &err), DG_OK);
    assert_true(check.entries >= N);
    assert_int_equal(check.first_broken, 0);
    assert_int_equal(check.tree_differs, 0);
    assert_int_equal(check.stored_size, check.entries); /* and its root is the entries' */

    tamper(&t, "DROP TRIGGER log_tree_is_append_only;"
               "UPDATE log_tree SET hash = zeroblob(32) WHERE level = 1 AND idx = 4500;");
    assert_int_equal(dg_log_verify(t.archive, &t.admin, &check, &err), DG_OK);
    assert_int_equal(check.first_broken, 0);
    assert_int_equal(check.tree_differs, 1);
    assert_non_null(strstr(check.reason, "subtree 1/4500: entries 9001 to 9002"));

    tamper(&t, "DROP TRIGGER log_is_append_only;"
               "UPDATE access_log SET hits = 999 WHERE id = 12289;");
    char reason[256];
    assert_int_equal(first_broken(&t, reason, sizeof reason), 12289);
    assert_non_null(strstr(reason, "entry 12289 was altered"));
    test_archive_remove(&t);
}

/* How many (code, entry) pairs of code the shown-hit index holds. */
static int64_t filed_hits(test_archive *t, const char *code)
{
    char sql[200];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM log_shown_filed f, json_each(f.entries) WHERE f.refcode = '%s'",
             code);
    return test_archive_count(t, sql);
}

/*
 * Appends file the shown hits in bulk, every DG_LOG_SHOWN_EVERY entries (log.c), not one
 * by one, each filing's rows keyed after every row before them (migration 21); a read by
 * record reads the entries after the last filing from the log itself, so it lists every
 * search that showed the record, the latest included, and writes nothing.
 */
static void test_shown_hits_are_filed_in_bulk_and_all_found_by_record(void **state)
{
    (void)state;
    test_archive t;
    assert_true(test_archive_make(&t));
    enum { N = 2 * DG_LOG_SHOWN_EVERY + 44 };
    for (int i = 0; i < N; i++) {
        dg_log_event ev = {.action = "search", .query = "q", .hits = 2, .outcome = "ok",
                           .shown = i % 2 ? "ZZ-1@1,ZZ-2@3,ZZ-2@4" : "ZZ-2@3"};
        dg_error err;
        assert_int_equal(dg_log_append(t.archive, &t.admin, NULL, &ev, &err), DG_OK);
    }
    int64_t filed = filed_hits(&t, "ZZ-2");
    assert_true(filed > 0 && filed < N); /* filed at a multiple of DG_LOG_SHOWN_EVERY only */
    /* An entry that showed two versions of a record is filed once under it. */
    assert_int_equal(test_archive_count(&t, "SELECT count(*) FROM (SELECT f.upto - j.value"
                                            " FROM log_shown_filed f, json_each(f.entries) j"
                                            " WHERE f.refcode = 'ZZ-2' GROUP BY 1 HAVING count(*) > 1)"),
                     0);
    /* Every filed pair names an entry that showed the code. */
    assert_int_equal(test_archive_count(&t, "SELECT count(*) FROM log_shown_filed f, json_each(f.entries) j"
                                            " JOIN access_log a ON a.id = f.upto - j.value"
                                            " WHERE instr(',' || a.shown, ',' || f.refcode || '@') > 0"),
                     test_archive_count(&t, "SELECT count(*) FROM log_shown_filed f, json_each(f.entries)"));
    /* Two filings: the second's rows sort after the first's. */
    assert_int_equal(test_archive_count(&t, "SELECT count(DISTINCT upto) FROM log_shown_filed"), 2);
    dg_log_filter filter = {.refcode = "ZZ-2"};
    dg_log_entry *entries;
    size_t count;
    dg_error err;
    assert_int_equal(dg_log_read(t.archive, &t.admin, &filter, &entries, &count, &err), DG_OK);
    assert_int_equal(count, N);
    assert_string_equal(entries[N - 1].shown, "ZZ-1@1,ZZ-2@3,ZZ-2@4");
    for (size_t i = 1; i < count; i++)
        assert_true(entries[i].id > entries[i - 1].id);
    dg_log_entries_free(entries, count);
    assert_int_equal(filed_hits(&t, "ZZ-2"), filed); /* the read filed nothing */
    filter.refcode = "ZZ-1";
    assert_int_equal(dg_log_read(t.archive, &t.admin, &filter, &entries, &count, &err), DG_OK);
    assert_int_equal(count, N / 2);
    dg_log_entries_free(entries, count);
    /* A code that is a prefix of a shown one is not shown by it. */
    filter.refcode = "ZZ";
    assert_int_equal(dg_log_read(t.archive, &t.admin, &filter, &entries, &count, &err), DG_OK);
    assert_int_equal(count, 0);
    dg_log_entries_free(entries, count);
    filter = (dg_log_filter){.refcode = "ZZ-2", .limit = 10};
    assert_int_equal(dg_log_read(t.archive, &t.admin, &filter, &entries, &count, &err), DG_OK);
    assert_int_equal(count, 10);
    dg_log_entries_free(entries, count);
    test_archive_remove(&t);
}

/* ---- the walk by chunks (two connections, two threads) against the sequential walk ------ */

enum { WALK_ENTRIES = 100 };

static void append_shown_searches(test_archive *t, int n)
{
    for (int i = 0; i < n; i++) {
        char q[32];
        snprintf(q, sizeof q, "query %d", i);
        dg_log_event ev = {.action = "search", .query = q, .hits = i, .outcome = "ok",
                           .shown = i % 3 ? NULL : "X-1@1,X-2@2"};
        dg_error err;
        assert_int_equal(dg_log_append(t->archive, &t->admin, NULL, &ev, &err), DG_OK);
    }
}

/* The walk by chunks of 2^level entries on the archive's log as it is now; *clean as it says. */
static dg_log_check walk_by_chunks(test_archive *t, uint64_t snapshot, int level, int *clean)
{
    sqlite3 *db;
    dg_error err;
    assert_int_equal(dg_log_reader_open(t->archive, &db, &err), DG_OK);
    dg_log_check check;
    assert_int_equal(dg_log_walk_chunks(db, snapshot, level, &check, clean, &err), DG_OK);
    dg_log_reader_close(db);
    return check;
}

static dg_log_check walk_sequentially(test_archive *t, uint64_t snapshot)
{
    sqlite3 *db;
    dg_error err;
    assert_int_equal(dg_log_reader_open(t->archive, &db, &err), DG_OK);
    dg_log_check check;
    assert_int_equal(dg_log_walk_sequential(db, snapshot, &check, &err), DG_OK);
    dg_log_reader_close(db);
    return check;
}

static void assert_same_walk(const dg_log_check *a, const dg_log_check *b)
{
    assert_int_equal(a->entries, b->entries);
    assert_int_equal(a->first_broken, b->first_broken);
    assert_int_equal(a->tree_differs, b->tree_differs);
    assert_string_equal(a->reason, b->reason);
    assert_string_equal(a->head, b->head);
    assert_memory_equal(a->root.b, b->root.b, DG_MERKLE_HASH);
    assert_memory_equal(a->snapshot_root.b, b->snapshot_root.b, DG_MERKLE_HASH);
}

static void test_the_walk_by_chunks_confirms_an_intact_log_as_the_sequential_walk(void **state)
{
    (void)state;
    test_archive t;
    assert_true(test_archive_make(&t));
    append_shown_searches(&t, WALK_ENTRIES);
    const uint64_t snapshots[] = {0, 1, 5, 8, 37, 64, 99, 100, 101, 102, 1000};
    for (int level = 0; level <= 5; level++)
        for (size_t i = 0; i < sizeof snapshots / sizeof *snapshots; i++) {
            int clean;
            dg_log_check chunks = walk_by_chunks(&t, snapshots[i], level, &clean);
            assert_int_equal(clean, 1);
            dg_log_check seq = walk_sequentially(&t, snapshots[i]);
            assert_int_equal(seq.first_broken, 0);
            assert_same_walk(&chunks, &seq);
        }
    /* A stored tree behind the entries (its last leaves not yet added) is no finding either. */
    tamper(&t, "DROP TRIGGER log_tree_is_never_deleted;"
               "DELETE FROM log_tree WHERE ((idx + 1) << level) > 90;");
    for (int level = 0; level <= 5; level++) {
        int clean;
        dg_log_check chunks = walk_by_chunks(&t, 50, level, &clean);
        assert_int_equal(clean, 1);
        dg_log_check seq = walk_sequentially(&t, 50);
        assert_int_equal(seq.tree_differs, 0);
        assert_same_walk(&chunks, &seq);
    }
    test_archive_remove(&t);
}

/* Entries with empty and absent fields, negative and extreme numbers and an unknown caller: the
 * bytes verify makes from each row (dg_log_row_bytes) are the bytes the append hashed, so both
 * walks find the log intact and agree. */
static void test_entries_with_empty_absent_and_extreme_fields_verify_intact(void **state)
{
    (void)state;
    test_archive t;
    assert_true(test_archive_make(&t));
    const dg_log_event events[] = {
        {.action = "search", .query = "", .hits = 0, .outcome = "ok", .shown = ""},
        {.action = "search", .query = NULL, .hits = -1, .outcome = "error", .detail = ""},
        {.action = "show", .refcode = "X001-XZ·2024-D10-0001", .version = -3, .hits = LONG_MAX,
         .outcome = "refused", .detail = "档案 ·"},
        {.action = "search", .query = "考试", .hits = LONG_MIN, .outcome = "ok",
         .shown = "X-1@1"},
        {.action = "edit", .refcode = "", .version = INT_MAX, .outcome = "ok"},
    };
    for (int round = 0; round < 8; round++)
        for (size_t i = 0; i < sizeof events / sizeof *events; i++) {
            dg_error err;
            assert_int_equal(dg_log_append(t.archive, round % 2 ? NULL : &t.admin,
                                           round % 2 ? "nobody" : NULL, &events[i], &err),
                             DG_OK);
        }
    for (int level = 0; level <= 3; level++) {
        int clean;
        dg_log_check chunks = walk_by_chunks(&t, 7, level, &clean);
        assert_int_equal(clean, 1);
        dg_log_check seq = walk_sequentially(&t, 7);
        assert_int_equal(seq.first_broken, 0);
        assert_int_equal(seq.tree_differs, 0);
        assert_same_walk(&chunks, &seq);
    }
    char reason[256];
    assert_int_equal(first_broken(&t, reason, sizeof reason), 0);
    test_archive_remove(&t);
}

/* Each tampering: the walk by chunks is never clean, and log verify's walk names exactly what
 * the sequential walk names. */
static void test_the_walk_by_chunks_leaves_every_finding_to_the_sequential_walk(void **state)
{
    (void)state;
    const char *tamperings[] = {
        "DROP TRIGGER log_is_append_only; UPDATE access_log SET hits = 999 WHERE id = 37;",
        "DROP TRIGGER log_is_never_deleted; DELETE FROM access_log WHERE id = 64;",
        "DROP TRIGGER log_is_never_deleted; DELETE FROM access_log WHERE id = 1;",
        "DROP TRIGGER log_is_append_only; UPDATE access_log SET id = -6 WHERE id = 6;"
        "UPDATE access_log SET id = 6 WHERE id = 7; UPDATE access_log SET id = 7 WHERE id = -6;",
        "DROP TRIGGER log_is_append_only; UPDATE access_log SET id = 0 WHERE id = 1;",
        "DROP TRIGGER log_is_append_only; UPDATE access_log SET prev_hash = prev_hash || 'x' "
        "WHERE id = 20;",
        "DROP TRIGGER log_tree_is_append_only;"
        "UPDATE log_tree SET hash = zeroblob(32) WHERE level = 2 AND idx = 1;",
        "DROP TRIGGER log_tree_is_append_only;"
        "UPDATE log_tree SET hash = zeroblob(32) WHERE level = 6 AND idx = 0;",
        "DROP TRIGGER log_tree_is_never_deleted; DELETE FROM log_tree WHERE level = 0 AND idx = 10;",
        "DROP TRIGGER log_tree_is_never_deleted; DELETE FROM log_tree WHERE level = 3 AND idx = 2;",
        /* a tree cut back to 90 leaves, but one leaf left beyond the cut */
        "DROP TRIGGER log_tree_is_never_deleted;"
        "DELETE FROM log_tree WHERE ((idx + 1) << level) > 90 AND NOT (level = 0 AND idx = 95);",
    };
    for (size_t i = 0; i < sizeof tamperings / sizeof *tamperings; i++) {
        test_archive t;
        assert_true(test_archive_make(&t));
        append_shown_searches(&t, WALK_ENTRIES);
        tamper(&t, tamperings[i]);
        for (int level = 0; level <= 5; level++) {
            int clean;
            walk_by_chunks(&t, 0, level, &clean);
            assert_int_equal(clean, 0);
        }
        dg_log_check seq = walk_sequentially(&t, 0);
        assert_true(seq.first_broken || seq.tree_differs);
        sqlite3 *db;
        dg_error err;
        assert_int_equal(dg_log_reader_open(t.archive, &db, &err), DG_OK);
        dg_log_check walk;
        assert_int_equal(dg_log_walk(db, 0, &walk, &err), DG_OK);
        dg_log_reader_close(db);
        assert_same_walk(&walk, &seq);
        test_archive_remove(&t);
    }
}

/* One search entry of actor's, on archive. */
static void append_as(dg_archive *archive, const dg_actor *actor, int i)
{
    char q[32];
    snprintf(q, sizeof q, "own %d", i);
    dg_log_event ev = {.action = "search", .query = q, .hits = 1, .outcome = "ok",
                       .shown = "ZZ-9@1"};
    dg_error err;
    assert_int_equal(dg_log_append(archive, actor, NULL, &ev, &err), DG_OK);
}

/* `log mine` of login lists exactly the log's entries of that login, in order (the newest
 * limit of them), whichever of them the bulk filing has reached. */
static void assert_own_complete(test_archive *t, const dg_actor *actor, size_t limit)
{
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM access_log WHERE login = '%s'", actor->login);
    int64_t all = test_archive_count(t, sql);
    size_t want = (size_t)all < limit ? (size_t)all : limit;
    snprintf(sql, sizeof sql,
             "SELECT min(id) FROM (SELECT id FROM access_log WHERE login = '%s'"
             " ORDER BY id DESC LIMIT %zu)", actor->login, limit);
    int64_t oldest = test_archive_count(t, sql);
    dg_log_entry *entries;
    size_t count;
    dg_error err;
    assert_int_equal(dg_log_read_own(t->archive, actor, limit, &entries, &count, &err), DG_OK);
    assert_int_equal(count, want);
    assert_int_equal(entries[0].id, oldest);
    for (size_t i = 0; i < count; i++) {
        assert_string_equal(entries[i].login, actor->login);
        if (i)
            assert_true(entries[i].id > entries[i - 1].id);
    }
    dg_log_entries_free(entries, count);
}

/*
 * Appends file the log's index by login in bulk with the shown hits (migration 20), not
 * one entry at a time; `log mine` reads the entries after the last filing from the log
 * itself, so it lists every entry of the login, before and after a filing.
 */
static void test_logins_are_filed_in_bulk_and_log_mine_is_complete(void **state)
{
    (void)state;
    test_archive t;
    assert_true(test_archive_make(&t));
    dg_actor wang;
    assert_true(test_archive_user(&t, "wang", 1, DG_ROLE_STAFF, &wang));
    enum { N = 2 * DG_LOG_SHOWN_EVERY + 88 };
    for (int i = 0; i < N; i++)
        append_as(t.archive, i % 3 ? &t.admin : &wang, i);
    int64_t filed = test_archive_count(&t, "SELECT count(*) FROM log_logins");
    int64_t entries = test_archive_count(&t, "SELECT count(*) FROM access_log");
    assert_true(filed > 0 && filed < entries); /* filed at a multiple of DG_LOG_SHOWN_EVERY */
    assert_int_equal(filed % DG_LOG_SHOWN_EVERY, 0);
    assert_int_equal(test_archive_count(&t, "SELECT count(*) FROM log_logins l JOIN access_log a"
                                            " ON a.id = l.entry AND a.login = l.login"),
                     filed);
    assert_own_complete(&t, &wang, 1000); /* reads its own entry too, then appends it */
    assert_own_complete(&t, &wang, 5);    /* the newest five: from the unfiled tail */
    assert_own_complete(&t, &wang, 500);  /* across the mark */
    assert_own_complete(&t, &t.admin, 1000);
    /* A search entry names no record: the index by record leaves it out. */
    assert_int_equal(test_archive_count(&t, "SELECT count(*) FROM log.sqlite_master WHERE name ="
                                            " 'log_by_refcode' AND sql LIKE '%WHERE refcode IS NOT NULL%'"),
                     1);
    test_archive_remove(&t);
}

/*
 * A process killed (SIGKILL) in the middle of appending, past a bulk filing: every entry
 * it committed is listed by `log mine` after it, and the log verifies.
 */
static void test_log_mine_is_complete_after_kill_9(void **state)
{
    (void)state;
    test_archive t;
    assert_true(test_archive_make(&t));
    dg_actor wang;
    assert_true(test_archive_user(&t, "wang", 1, DG_ROLE_STAFF, &wang));
    dg_archive_close(t.archive);
    t.archive = NULL;
    enum { N = DG_LOG_SHOWN_EVERY + 44 };
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        dg_archive *a;
        dg_actor me;
        dg_error err;
        if (dg_archive_open(t.path, &a, &err) != DG_OK ||
            dg_actor_login(a, "wang", "test", &me, &err) != DG_OK)
            _exit(3);
        for (int i = 0; i < N; i++)
            append_as(a, &me, i);
        raise(SIGKILL); /* no close, no checkpoint of the WAL */
        _exit(4);
    }
    int status = 0;
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    dg_error err;
    assert_int_equal(dg_archive_open(t.path, &t.archive, &err), DG_OK);
    assert_true(test_archive_count(&t, "SELECT count(*) FROM access_log WHERE login = 'wang'") >= N);
    assert_true(test_archive_count(&t, "SELECT count(*) FROM log_logins WHERE login = 'wang'") > 0);
    assert_own_complete(&t, &wang, 1000);
    dg_log_check check;
    assert_int_equal(dg_log_verify(t.archive, &t.admin, &check, &err), DG_OK);
    assert_int_equal(check.first_broken, 0);
    assert_int_equal(check.tree_differs, 0);
    test_archive_remove(&t);
}

/* log_shown as schema 20 had it. */
#define SCHEMA_20_LOG_SHOWN                                                                 \
    "CREATE TABLE log_shown (refcode TEXT NOT NULL, entry INTEGER NOT NULL,"                 \
    " version INTEGER NOT NULL, PRIMARY KEY (refcode, entry, version)) WITHOUT ROWID;"

/*
 * Migration 21 on an archive of schema 20 (the shown-hit index keyed by code first,
 * log_shown, filed up to a mark that is not a multiple of DG_LOG_SHOWN_EVERY): every filed
 * row is kept, regrouped by filing; `log --record` lists the same searches before and
 * after; the next filing goes on from the mark; the log verifies.
 */
static void test_migration_21_keeps_every_shown_hit(void **state)
{
    (void)state;
    test_archive t;
    assert_true(test_archive_make(&t));
    enum { N = 2500, MARK = 1500 };
    for (int i = 0; i < N; i++) {
        dg_log_event ev = {.action = "search", .query = "q", .hits = 2, .outcome = "ok",
                           .shown = i % 3 ? "ZZ-1@1,ZZ-2@2" : "ZZ-3@1"};
        dg_error err;
        assert_int_equal(dg_log_append(t.archive, &t.admin, NULL, &ev, &err), DG_OK);
    }
    dg_archive_close(t.archive);
    t.archive = NULL;
    /* Schema 20's index: every hit of the entries up to the mark, one row each. */
    assert_true(test_archive_one_file(&t));
    tamper(&t, "DROP TABLE log_shown_filed;" SCHEMA_20_LOG_SHOWN
               "WITH RECURSIVE hits(entry, rest, item) AS ("
               "  SELECT id, shown || ',', NULL FROM access_log WHERE shown IS NOT NULL AND id <= 1500"
               "  UNION ALL SELECT entry, substr(rest, instr(rest, ',') + 1),"
               "    substr(rest, 1, instr(rest, ',') - 1) FROM hits WHERE rest <> '')"
               "INSERT INTO log_shown(refcode, entry, version)"
               "  SELECT substr(item, 1, instr(item, '@') - 1), entry,"
               "    CAST(substr(item, instr(item, '@') + 1) AS INTEGER) FROM hits WHERE item IS NOT NULL;"
               "INSERT OR REPLACE INTO settings(key, value) VALUES('log_shown_upto', '1500');"
               "PRAGMA user_version = 20;");
    int64_t rows = test_archive_count(&t, "SELECT count(*) FROM log_shown");
    assert_true(rows > MARK);
    dg_error err;
    assert_int_equal(dg_archive_open(t.path, &t.archive, &err), DG_OK);
    assert_int_equal(test_archive_count(&t, "PRAGMA user_version"), DG_SCHEMA_VERSION);
    assert_int_equal(test_archive_count(&t, "SELECT count(*) FROM sqlite_master WHERE name = 'log_shown'"), 0);
    assert_int_equal(test_archive_count(&t, "SELECT count(*) FROM log_shown_filed f, json_each(f.entries)"),
                     rows);
    assert_int_equal(test_archive_count(&t, "SELECT max(upto) FROM log_shown_filed"), MARK);
    const char *codes[] = {"ZZ-1", "ZZ-2", "ZZ-3"};
    for (int c = 0; c < 3; c++) {
        char sql[160];
        snprintf(sql, sizeof sql,
                 "SELECT count(*) FROM access_log WHERE instr(',' || shown, ',%s@') > 0", codes[c]);
        int64_t want = test_archive_count(&t, sql);
        dg_log_filter filter = {.refcode = codes[c]};
        dg_log_entry *entries;
        size_t count;
        assert_int_equal(dg_log_read(t.archive, &t.admin, &filter, &entries, &count, &err), DG_OK);
        assert_int_equal((int64_t)count, want);
        dg_log_entries_free(entries, count);
    }
    /* The next filing (at entry 3072) files from the mark on. */
    for (int i = N; i < 3 * DG_LOG_SHOWN_EVERY; i++) {
        dg_log_event ev = {.action = "search", .query = "q", .hits = 1, .outcome = "ok",
                           .shown = "ZZ-3@1"};
        assert_int_equal(dg_log_append(t.archive, &t.admin, NULL, &ev, &err), DG_OK);
    }
    assert_int_equal(test_archive_count(&t, "SELECT min(upto) FROM log_shown_filed WHERE upto > 1500"),
                     3 * DG_LOG_SHOWN_EVERY);
    assert_int_equal(test_archive_count(&t, "SELECT min(f.upto - j.value) FROM log_shown_filed f,"
                                            " json_each(f.entries) j WHERE f.upto > 1500"),
                     test_archive_count(&t, "SELECT min(id) FROM access_log WHERE id > 1500"
                                            " AND shown IS NOT NULL"));
    dg_log_check check;
    assert_int_equal(dg_log_verify(t.archive, &t.admin, &check, &err), DG_OK);
    assert_int_equal(check.first_broken, 0);
    assert_int_equal(check.tree_differs, 0);
    test_archive_remove(&t);
}

/*
 * Migration 20 on an archive of schema 19 (indexes by login and by record on every
 * entry, no log_logins): it files every existing entry's login and keeps every entry;
 * `log mine` and `log --record` answer as before.
 */
static void test_migration_20_files_every_existing_login(void **state)
{
    (void)state;
    test_archive t;
    assert_true(test_archive_make(&t));
    dg_actor wang;
    assert_true(test_archive_user(&t, "wang", 1, DG_ROLE_STAFF, &wang));
    for (int i = 0; i < 400; i++)
        append_as(t.archive, i % 2 ? &t.admin : &wang, i);
    dg_archive_close(t.archive);
    t.archive = NULL;
    int64_t before = test_archive_count(&t, "SELECT count(*) FROM access_log");
    assert_true(test_archive_one_file(&t));
    tamper(&t, "DROP TABLE log_logins; DROP INDEX log_by_refcode;"
               "DROP TABLE log_shown_filed;" SCHEMA_20_LOG_SHOWN
               "CREATE INDEX log_by_user ON access_log(login);"
               "CREATE INDEX log_by_refcode ON access_log(refcode); PRAGMA user_version = 19;");
    dg_error err;
    assert_int_equal(dg_archive_open(t.path, &t.archive, &err), DG_OK);
    assert_int_equal(test_archive_count(&t, "PRAGMA user_version"), DG_SCHEMA_VERSION);
    assert_int_equal(test_archive_count(&t, "SELECT count(*) FROM access_log"), before);
    assert_int_equal(test_archive_count(&t, "SELECT count(*) FROM log_logins"), before);
    assert_int_equal(test_archive_count(&t, "SELECT count(*) FROM sqlite_master WHERE name = 'log_by_user'"), 0);
    assert_own_complete(&t, &wang, 1000);
    dg_log_filter filter = {.refcode = "ZZ-9"};
    dg_log_entry *entries;
    size_t count;
    assert_int_equal(dg_log_read(t.archive, &t.admin, &filter, &entries, &count, &err), DG_OK);
    assert_int_equal(count, 400);
    dg_log_entries_free(entries, count);
    dg_log_check check;
    assert_int_equal(dg_log_verify(t.archive, &t.admin, &check, &err), DG_OK);
    assert_int_equal(check.first_broken, 0);
    assert_int_equal(check.tree_differs, 0);
    test_archive_remove(&t);
}

/* ---- a change's entry: pending in the catalog, then in the log's file, exactly once ------ */

typedef struct flusher {
    const char *path;
    dg_status st;
} flusher;

static void *flush_main(void *arg)
{
    flusher *f = arg;
    dg_archive *a;
    dg_error err;
    f->st = dg_archive_open_handle(f->path, &a, &err); /* no flush of its own on open */
    if (f->st == DG_OK) {
        f->st = dg_log_pending_flush(a, &err);
        dg_archive_close(a);
    }
    return NULL;
}

/*
 * A change's entry commits with the change in the catalog's log_pending; its append to the
 * log's file is left undone here (the handle's after-commit hook taken off: as a crash right
 * after the catalog's commit leaves it). Four handles then append the pending entries at
 * once: each is in the log once, in the order of the changes, after the entries before them,
 * and the chain and tree are whole. The test fails when log_changes is not consulted.
 */
static void test_pending_change_entries_are_appended_exactly_once(void **state)
{
    (void)state;
    test_archive t;
    assert_true(test_archive_make(&t));
    append_searches(&t, 5);
    sqlite3_wal_hook(t.archive->db, NULL, NULL);
    dg_error err;
    for (int i = 0; i < 3; i++) {
        char ref[32];
        snprintf(ref, sizeof ref, "X001-XZ-2024-D10-%04d", i + 1);
        dg_log_event change = {.action = "edit", .refcode = ref, .version = 2, .outcome = "ok"};
        assert_int_equal(dg_catalog_begin_write(t.archive->db, &err), DG_OK);
        assert_int_equal(dg_log_append_in_txn(t.archive, &t.admin, NULL, &change, &err), DG_OK);
        assert_int_equal(dg_catalog_commit(t.archive->db, &err), DG_OK);
    }
    assert_int_equal(test_archive_count(&t, "SELECT count(*) FROM log_pending"), 3);
    assert_int_equal(test_archive_count(&t, "SELECT count(*) FROM access_log WHERE action = 'edit'"), 0);
    enum { FLUSHERS = 4 };
    pthread_t threads[FLUSHERS];
    flusher f[FLUSHERS];
    for (int i = 0; i < FLUSHERS; i++) {
        f[i] = (flusher){.path = t.path, .st = DG_ERR_INTERNAL};
        assert_int_equal(pthread_create(&threads[i], NULL, flush_main, &f[i]), 0);
    }
    for (int i = 0; i < FLUSHERS; i++) {
        pthread_join(threads[i], NULL);
        assert_int_equal(f[i].st, DG_OK);
    }
    assert_int_equal(test_archive_count(&t, "SELECT count(*) FROM access_log WHERE action = 'edit'"), 3);
    assert_int_equal(test_archive_count(&t, "SELECT count(DISTINCT pending) FROM log_changes"), 3);
    /* In the changes' order, right after the searches before them. */
    assert_int_equal(test_archive_count(&t, "SELECT count(*) FROM access_log a JOIN log_changes c"
                                            " ON c.entry = a.id JOIN log_pending p ON p.pending ="
                                            " c.pending AND p.refcode = a.refcode AND p.at = a.at"),
                     3);
    int64_t first_edit = test_archive_count(&t, "SELECT min(id) FROM access_log WHERE action = 'edit'");
    assert_int_equal(test_archive_count(&t, "SELECT max(id) FROM access_log WHERE action = 'search'"
                                            " AND id < (SELECT min(id) FROM access_log WHERE action ="
                                            " 'edit')") + 1,
                     first_edit);
    assert_int_equal(test_archive_count(&t, "SELECT (SELECT refcode FROM access_log WHERE id ="
                                            " (SELECT min(id) FROM access_log WHERE action = 'edit'))"
                                            " = 'X001-XZ-2024-D10-0001'"),
                     1);
    /* Flushing again appends nothing; the next change drops the rows already appended. */
    assert_int_equal(dg_log_pending_flush(t.archive, &err), DG_OK);
    assert_int_equal(test_archive_count(&t, "SELECT count(*) FROM access_log WHERE action = 'edit'"), 3);
    dg_log_watch_commits(t.archive);
    dg_log_event more = {.action = "edit", .refcode = "X001-XZ-2024-D10-0009", .outcome = "ok"};
    assert_int_equal(dg_catalog_begin_write(t.archive->db, &err), DG_OK);
    assert_int_equal(dg_log_append_in_txn(t.archive, &t.admin, NULL, &more, &err), DG_OK);
    assert_int_equal(dg_catalog_commit(t.archive->db, &err), DG_OK);
    assert_int_equal(test_archive_count(&t, "SELECT count(*) FROM log_pending"), 1);
    assert_int_equal(test_archive_count(&t, "SELECT count(*) FROM access_log WHERE action = 'edit'"), 4);
    dg_log_check check;
    assert_int_equal(dg_log_verify(t.archive, &t.admin, &check, &err), DG_OK);
    assert_int_equal(check.first_broken, 0);
    assert_int_equal(check.tree_differs, 0);
    test_archive_remove(&t);
}

/* ---- the canonical form: no row that verify accepts serialises like another ------------ */

/* The bytes of entry id as the walk makes them (dg_log_row_bytes), read on a connection of
 * the test's own; *len their length; the caller frees. */
static unsigned char *stored_bytes(test_archive *t, int64_t id, size_t *len)
{
    char path[160];
    snprintf(path, sizeof path, "%s/log.db", t->path);
    sqlite3 *db;
    sqlite3_stmt *stmt;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT " DG_LOG_COLUMNS " FROM access_log WHERE id = ?",
                                        -1, &stmt, NULL),
                     SQLITE_OK);
    sqlite3_bind_int64(stmt, 1, id);
    assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
    dg_buf b = {0};
    assert_true(dg_log_row_bytes(stmt, &b));
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    *len = b.len;
    return (unsigned char *)b.data;
}

/* Five honest entries after the archive's own (base of them, returned); the third is the
 * search the tamperings below rewrite, the fourth the view of a version, the fifth an entry
 * of no record (refcode NULL). */
static int64_t append_canonical_fixture(test_archive *t)
{
    int64_t base = test_archive_count(t, "SELECT count(*) FROM access_log");
    const dg_log_event events[] = {
        {.action = "search", .query = "档案", .hits = 2, .outcome = "ok"},
        {.action = "show", .refcode = "X001-XZ·2024-D10-0001", .version = 1, .outcome = "ok"},
        {.action = "search", .query = "考试", .hits = 2, .outcome = "ok", .detail = "d",
         .shown = "X001-XZ·2024-D10-0001@1,X001-XZ·2024-D10-0002@2"},
        {.action = "show", .refcode = "X001-XZ·2024-D10-0002", .version = 7, .outcome = "ok"},
        {.action = "whoami", .hits = -1, .outcome = "ok"},
    };
    for (size_t i = 0; i < sizeof events / sizeof *events; i++) {
        dg_error err;
        assert_int_equal(dg_log_append(t->archive, &t->admin, NULL, &events[i], &err), DG_OK);
    }
    return base;
}

typedef struct row_tampering {
    int64_t entry;     /* of the fixture: 1 to 5 */
    const char *sql;   /* after the triggers are dropped; %lld is the entry's id */
    int same_bytes;    /* the row still serialises as the honest one did */
    const char *named; /* in the finding */
} row_tampering;

static const row_tampering ROW_TAMPERINGS[] = {
    /* a version off by 2^32 (a 32-bit read once made these bytes the honest ones) */
    {4, "UPDATE access_log SET version = version + 4294967296 WHERE id = %lld", 0,
     "its version 4294967303 is outside 0 to 2147483647"},
    /* a field boundary moved: the outcome takes the detail, the detail the shown hits */
    {3, "UPDATE access_log SET outcome = outcome || char(31) || detail, detail = shown, "
        "shown = NULL WHERE id = %lld", 1, "its outcome holds the byte 0x1F"},
    /* the shown hits hidden in the detail: the search no longer lists them */
    {3, "UPDATE access_log SET detail = detail || char(31) || shown, shown = NULL WHERE id = %lld",
     1, "its detail holds the byte 0x1F"},
    /* NULL and the text "\x1E" */
    {5, "UPDATE access_log SET refcode = char(30) WHERE id = %lld", 1,
     "its refcode holds the byte 0x1E"},
    /* a column of another type: a blob of the same bytes in a text column and in a number
     * column (whose affinity turns text and whole reals back into integers) */
    {3, "UPDATE access_log SET login = CAST(login AS BLOB) WHERE id = %lld", 1,
     "its login is a blob, where dangan stores text"},
    {4, "UPDATE access_log SET version = CAST('7' AS BLOB) WHERE id = %lld", 1,
     "its version is a blob, where dangan stores an integer"},
    {4, "UPDATE access_log SET hits = 2.5 WHERE id = %lld", 0,
     "its hits is a real, where dangan stores an integer"},
    /* a C string's end inside a text: shown "d" by every reader */
    {3, "UPDATE access_log SET detail = CAST(x'6400' AS TEXT) WHERE id = %lld", 0,
     "its detail holds the byte 0x00"},
    /* shown hits the writer never writes: empty, a version with a leading zero */
    {3, "UPDATE access_log SET shown = '' WHERE id = %lld", 0, "its shown hits are not a list"},
    {3, "UPDATE access_log SET shown = 'X001-XZ·2024-D10-0001@01' WHERE id = %lld", 0,
     "its shown hits are not a list"},
    {3, "UPDATE access_log SET shown = 'A@1,' WHERE id = %lld", 0, "its shown hits are not a list"},
    {3, "UPDATE access_log SET shown = ',A@1' WHERE id = %lld", 0, "its shown hits are not a list"},
    {3, "UPDATE access_log SET shown = 'A@' WHERE id = %lld", 0, "its shown hits are not a list"},
    {3, "UPDATE access_log SET shown = '@1' WHERE id = %lld", 0, "its shown hits are not a list"},
    {3, "UPDATE access_log SET shown = 'A@1@2' WHERE id = %lld", 0, "its shown hits are not a list"},
    {3, "UPDATE access_log SET shown = 'A' WHERE id = %lld", 0, "its shown hits are not a list"},
    {3, "UPDATE access_log SET shown = 'A@1,B' WHERE id = %lld", 0, "its shown hits are not a list"},
    {3, "UPDATE access_log SET shown = 'A@2147483648' WHERE id = %lld", 0,
     "its shown hits are not a list"},
    {3, "UPDATE access_log SET shown = 'A@+1' WHERE id = %lld", 0, "its shown hits are not a list"},
    {4, "UPDATE access_log SET hits = -2 WHERE id = %lld", 0, "its hits -2 are below -1"},
};

/*
 * Each tampering rewrites one row outside dangan; most keep the row's bytes (so its chain
 * hash and leaf still match, and verify called the log intact before the canonical form).
 * Verify now names the entry and why, by both walks, with and without a checkpoint signed
 * before it, and log prove says the row is not what its proven bytes say.
 */
static void test_rows_dangan_never_writes_are_findings_even_with_their_hash(void **state)
{
    (void)state;
    dg_note_signer key;
    test_note_key(&key);
    for (size_t i = 0; i < sizeof ROW_TAMPERINGS / sizeof *ROW_TAMPERINGS; i++) {
        const row_tampering *x = &ROW_TAMPERINGS[i];
        test_archive t;
        assert_true(test_archive_make(&t));
        int64_t entry = append_canonical_fixture(&t) + x->entry;
        char *note = sign(&t, &key);
        size_t before_len, after_len;
        unsigned char *before = stored_bytes(&t, entry, &before_len);
        char change[400], sql[512];
        snprintf(change, sizeof change, x->sql, (long long)entry);
        snprintf(sql, sizeof sql,
                 "DROP TRIGGER log_is_append_only; DROP TRIGGER log_is_never_deleted; %s;",
                 change);
        tamper(&t, sql);
        unsigned char *after = stored_bytes(&t, entry, &after_len);
        int same = before_len == after_len && !memcmp(before, after, before_len);
        assert_int_equal(same, x->same_bytes);
        free(before);
        free(after);
        for (int level = 0; level <= 2; level++) {
            int clean;
            walk_by_chunks(&t, 0, level, &clean);
            assert_int_equal(clean, 0);
        }
        dg_log_check check = full_check(&t);
        assert_int_equal(check.first_broken, entry);
        assert_non_null(strstr(check.reason, "is not as dangan writes it"));
        if (!strstr(check.reason, x->named))
            fail_msg("tampering %zu: \"%s\" does not name \"%s\"", i, check.reason, x->named);
        dg_log_audit audit;
        dg_error err;
        assert_int_equal(
            dg_log_audit_checkpoint(t.archive, &t.admin, note, &key.verifier, &audit, &err), DG_OK);
        assert_false(audit.extends);
        assert_int_equal(audit.check.first_broken, entry);
        assert_non_null(strstr(audit.check.reason, x->named));
        if (x->same_bytes) /* the signed root still matches: the row's form is the finding */
            assert_non_null(strstr(audit.finding, x->named));
        dg_log_audit_free(&audit);
        dg_log_inclusion p;
        assert_int_equal(dg_log_prove(t.archive, &t.admin, entry, note, &key.verifier, &p, &err),
                         DG_OK);
        assert_int_equal(p.included, x->same_bytes); /* the bytes, as before */
        assert_false(p.canonical);
        assert_non_null(strstr(p.finding, x->named));
        dg_log_inclusion_free(&p);
        free(note);
        test_archive_remove(&t);
    }
}

/* The shown lists the writer may write (one hit, many, version 0 and INT_MAX, codes in any
 * script) are accepted: the grammar is exactly the writer's. */
static void test_every_shown_list_the_writer_writes_is_canonical(void **state)
{
    (void)state;
    test_archive t;
    assert_true(test_archive_make(&t));
    const char *lists[] = {"A@1", "X001-XZ·待定-D10-0003@0", "A@2147483647,B@10,C@9",
                           "X001-CW·2024-D30-CWC-0007@12"};
    for (size_t i = 0; i < sizeof lists / sizeof *lists; i++) {
        dg_log_event ev = {.action = "search", .query = "q", .hits = 1, .outcome = "ok",
                           .shown = lists[i]};
        dg_error err;
        assert_int_equal(dg_log_append(t.archive, &t.admin, NULL, &ev, &err), DG_OK);
    }
    char reason[256];
    assert_int_equal(first_broken(&t, reason, sizeof reason), 0);
    test_archive_remove(&t);
}

/* Content moved across a field boundary, both ways round: the two rows have the same bytes,
 * and each is named. */
static void test_a_field_boundary_moved_either_way_is_named(void **state)
{
    (void)state;
    const char *ways[] = {"login = 'a' || char(31) || 'b', origin = 'c'",
                          "login = 'a', origin = 'b' || char(31) || 'c'"};
    test_archive t;
    assert_true(test_archive_make(&t));
    int64_t entry = append_canonical_fixture(&t) + 2;
    unsigned char *bytes[2];
    size_t len[2];
    for (int i = 0; i < 2; i++) {
        char sql[256];
        snprintf(sql, sizeof sql, "DROP TRIGGER IF EXISTS log_is_append_only;"
                                  "UPDATE access_log SET %s WHERE id = %lld;", ways[i],
                 (long long)entry);
        tamper(&t, sql);
        bytes[i] = stored_bytes(&t, entry, &len[i]);
        dg_log_check check = full_check(&t);
        assert_int_equal(check.first_broken, entry);
        assert_non_null(strstr(check.reason, i ? "its origin holds the byte 0x1F"
                                               : "its login holds the byte 0x1F"));
    }
    assert_int_equal(len[0], len[1]);
    assert_memory_equal(bytes[0], bytes[1], len[0]); /* why neither can be vouched for */
    free(bytes[0]);
    free(bytes[1]);
    test_archive_remove(&t);
}

/*
 * The writer stores every control character of a text as its picture (U+2400 + the byte,
 * DEL U+2421), in every text field and after a long text is bounded (whose length and hash
 * are of the text as given); the log verifies.
 */
static void test_control_characters_are_logged_as_their_pictures(void **state)
{
    (void)state;
    test_archive t;
    assert_true(test_archive_make(&t));
    size_t base = (size_t)test_archive_count(&t, "SELECT count(*) FROM access_log");
    dg_log_event ev = {.action = "search", .query = "a\tb\x1f" "c\x1e" "d\x7f", .hits = 0,
                       .outcome = "ok", .detail = "line\nnext\x01", .refcode = "R\x1b[2J"};
    dg_error err;
    assert_int_equal(dg_log_append(t.archive, &t.admin, "x", &ev, &err), DG_OK);
    dg_actor odd = t.admin;
    snprintf(odd.login, sizeof odd.login, "own\x1f" "er");
    snprintf(odd.origin, sizeof odd.origin, "web\x1e");
    dg_log_event plain = {.action = "show\x1f", .hits = -1, .outcome = "ok\x1e"};
    assert_int_equal(dg_log_append(t.archive, &odd, NULL, &plain, &err), DG_OK);
    /* a long query with controls: bounded as given, then pictured */
    size_t long_len = DG_LOG_MAX_TEXT + 100;
    char *huge = malloc(long_len + 1);
    assert_non_null(huge);
    memset(huge, '\x1f', long_len);
    huge[long_len] = '\0';
    dg_log_event big = {.action = "search", .query = huge, .hits = 0, .outcome = "ok"};
    assert_int_equal(dg_log_append(t.archive, &t.admin, NULL, &big, &err), DG_OK);
    dg_log_entry *entries;
    size_t count;
    dg_log_filter filter = {0};
    assert_int_equal(dg_log_read(t.archive, &t.admin, &filter, &entries, &count, &err), DG_OK);
    assert_true(count >= base + 3);
    const dg_log_entry *e = entries + base;
    assert_string_equal(e[0].query, "a␉b␟c␞d␡");
    assert_string_equal(e[0].detail, "line␊next␁");
    assert_string_equal(e[0].refcode, "R␛[2J");
    assert_string_equal(e[1].login, "own␟er");
    assert_string_equal(e[1].origin, "web␞");
    assert_string_equal(e[1].action, "show␟");
    assert_string_equal(e[1].outcome, "ok␞");
    char hex[DG_SHA256_HEX], tail[160];
    dg_sha256_hex(huge, long_len, hex);
    snprintf(tail, sizeof tail, " … [%zu bytes, SHA-256 %s]", long_len, hex);
    const char *q = e[2].query;
    assert_non_null(strstr(q, tail));
    assert_int_equal((size_t)(strstr(q, tail) - q), 3 * (size_t)DG_LOG_MAX_TEXT);
    for (size_t i = 0; i < DG_LOG_MAX_TEXT; i++)
        assert_memory_equal(q + 3 * i, "␟", 3);
    dg_log_entries_free(entries, count);
    free(huge);
    char reason[256];
    assert_int_equal(first_broken(&t, reason, sizeof reason), 0);
    test_archive_remove(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_untouched_chain_verifies),
        cmocka_unit_test(test_edited_entry_is_caught),
        cmocka_unit_test(test_log_entry_keeps_a_bounded_head_length_and_hash_of_a_huge_query),
        cmocka_unit_test(test_deleted_entry_is_caught),
        cmocka_unit_test(test_reordered_entries_are_caught),
        cmocka_unit_test(test_log_refuses_updates_through_sqlite),
        cmocka_unit_test(test_staff_cannot_read_the_log_and_the_refusal_is_logged),
        cmocka_unit_test(test_the_stored_tree_is_the_tree_of_the_entries),
        cmocka_unit_test(test_migration_turns_an_existing_chain_into_the_tree),
        cmocka_unit_test(test_an_altered_stored_tree_is_caught),
        cmocka_unit_test(test_a_log_of_many_batches_is_checked_whole),
        cmocka_unit_test(test_the_walk_by_chunks_confirms_an_intact_log_as_the_sequential_walk),
        cmocka_unit_test(test_the_walk_by_chunks_leaves_every_finding_to_the_sequential_walk),
        cmocka_unit_test(test_shown_hits_are_filed_in_bulk_and_all_found_by_record),
        cmocka_unit_test(test_entries_with_empty_absent_and_extreme_fields_verify_intact),
        cmocka_unit_test(test_logins_are_filed_in_bulk_and_log_mine_is_complete),
        cmocka_unit_test(test_log_mine_is_complete_after_kill_9),
        cmocka_unit_test(test_migration_20_files_every_existing_login),
        cmocka_unit_test(test_migration_21_keeps_every_shown_hit),
        cmocka_unit_test(test_pending_change_entries_are_appended_exactly_once),
        cmocka_unit_test(test_a_checkpoint_catches_a_log_cut_short),
        cmocka_unit_test(test_since_forms_are_read_in_the_local_zone_and_others_refused),
        cmocka_unit_test(test_rows_dangan_never_writes_are_findings_even_with_their_hash),
        cmocka_unit_test(test_a_field_boundary_moved_either_way_is_named),
        cmocka_unit_test(test_every_shown_list_the_writer_writes_is_canonical),
        cmocka_unit_test(test_control_characters_are_logged_as_their_pictures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
