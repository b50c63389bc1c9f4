/*
 * bench/log.c — what the Merkle-tree access log costs: build/bench/log [N]
 * [DIR]
 *
 * In a fresh archive (under DIR, default /tmp) it files 40 small records, then
 * measures: search      a search of 10 hits through the engine (its log entry
 * and commit included) append      one log entry in its own transaction: chain
 * hash, tree update, commit in-txn      the same without the commit (hash, row,
 * tree rows): the CPU the tree adds is part of this bytes       catalog bytes
 * per search entry that showed 10 hits (log row, shown-hit index, tree rows),
 * from the file's growth over 2,000 searches then grows the log to N entries
 * (default 200,000) and measures at that size: proof       a consistency proof
 * from a random older size to N (stored-tree reads), and an inclusion proof of
 * a random entry in a signed checkpoint read        the catalog file read
 * whole, cold (its pages dropped with posix_fadvise) and warm: the disk's
 * speed, beside which verify      a full `log verify`: every entry re-hashed,
 * chain and tree recomputed and compared with the stored tree, in entries/s and
 * MB/s of catalog, cold and warm, with its CPU time Not part of `make check`;
 * numbers are for this machine, printed, never asserted.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "engine/archive.h"
#include "engine/archive_internal.h" /* a bench may batch appends in one transaction */
#include "engine/catalog.h"
#include "engine/log.h"
#include "engine/note.h"
#include "engine/record.h"
#include "engine/search.h"
#include "engine/user.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int die(const char *what, const dg_error *err)
{
    fprintf(stderr, "bench/log: %s: %s\n", what, err->msg);
    return 1;
}

static long long file_size(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 ? (long long)sb.st_size : 0;
}

/* The log's file's size with its write-ahead log folded in (the log has its own file since
 * migration 22: engine/catalog.h). */
static long long catalog_bytes(const char *archive)
{
    char db[512], wal[520];
    snprintf(db, sizeof db, "%s/" DG_LOG_FILE, archive);
    snprintf(wal, sizeof wal, "%s-wal", db);
    return file_size(db) + file_size(wal);
}

/* The process's system (kernel) CPU time so far: a cold verify's page reads are kernel time. */
static double sys_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Drops this file's pages from the page cache (clean pages only: the others'
 * files and the rest of the machine are untouched). */
static void drop_cache(const char *path)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return;
    fdatasync(fd);
    posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    close(fd);
}

/* Reads the whole file as `cat` would (1 MiB reads): MB/s, cold after
 * drop_cache. */
static double read_file_mb_s(const char *path, int cold)
{
    if (cold)
        drop_cache(path);
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return 0;
    static char buf[1 << 20];
    double t0 = now_s();
    long long total = 0;
    ssize_t got;
    while ((got = read(fd, buf, sizeof buf)) > 0)
        total += got;
    close(fd);
    return (double)total / 1e6 / (now_s() - t0);
}

static int search_once(dg_archive *a, const dg_actor *me, const char *q, dg_error *err)
{
    dg_index_query query = {.text = q, .level = -1, .limit = 10};
    dg_search_result *r;
    if (dg_search(a, me, &query, "[", "]", &r, err) != DG_OK)
        return 0;
    dg_search_result_free(r);
    return 1;
}

int main(int argc, char **argv)
{
    dg_archive_process_init(); /* as the dangan binary does */
    long n = argc > 1 ? atol(argv[1]) : 200000;
    const char *base = argc > 2 ? argv[2] : "/tmp";
    /* DANGAN_BENCH_LOG_KEEP=1 keeps the archive (its path is printed); naming a
   * kept one in DANGAN_BENCH_LOG_ARCHIVE measures it again without growing it
   * (proofs, read, verify). */
    const char *reuse = getenv("DANGAN_BENCH_LOG_ARCHIVE");
    int keep = reuse || (getenv("DANGAN_BENCH_LOG_KEEP") && *getenv("DANGAN_BENCH_LOG_KEEP"));
    char dir[256], archive[300];
    if (reuse) {
        snprintf(dir, sizeof dir, "%s", reuse);
        snprintf(archive, sizeof archive, "%s", reuse);
    } else {
        snprintf(dir, sizeof dir, "%s/dangan-bench-log-XXXXXX", base);
        if (!mkdtemp(dir)) {
            fprintf(stderr, "bench/log: %s: %s\n", dir, strerror(errno));
            return 1;
        }
        snprintf(archive, sizeof archive, "%s/archive", dir);
    }
    dg_error err;
    dg_archive *a;
    dg_actor me;
    if (!reuse && dg_archive_create(archive, "X001", "Bench", "bench", "Bench", &err) != DG_OK)
        return die("create", &err);
    if (dg_archive_open(archive, &a, &err) != DG_OK ||
        dg_actor_login(a, "bench", "bench", &me, &err) != DG_OK)
        return die("open", &err);
    double search_ms = 0, append_ms = 0, bytes_per_search = 0, in_txn_us = 0, t0;
    if (!reuse) {
        for (int i = 0; i < 40; i++) {
            char title[64], text[256], ref[DG_REFCODE_MAX];
            snprintf(title, sizeof title, "通知 %d", i);
            snprintf(text, sizeof text, "关于期末考试安排的通知 第%d号 考试 安排 学生 教师", i);
            dg_record_input in = {.title = title,
                                  .category = "administrative",
                                  .year = 2024,
                                  .level = 0,
                                  .text = text,
                                  .ocr_confidence = -1,
                                  .class_confidence = -1,
                                  .reason = "bench"};
            if (dg_record_add(a, &me, &in, ref, &err) != DG_OK)
                return die("add", &err);
        }

        enum { SEARCHES = 300, APPENDS = 300, IN_TXN = 50000, BYTES_SEARCHES = 2000 };
        t0 = now_s();
        for (int i = 0; i < SEARCHES; i++)
            if (!search_once(a, &me, "考试", &err))
                return die("search", &err);
        search_ms = (now_s() - t0) * 1000 / SEARCHES;

        dg_log_event ev = {.action = "bench",
                           .query = "考试",
                           .hits = 10,
                           .outcome = "ok",
                           .shown = "X001-XZ·2024-D10-0001@1,X001-XZ·2024-D10-0002@1"};
        t0 = now_s();
        for (int i = 0; i < APPENDS; i++)
            if (dg_log_append(a, &me, NULL, &ev, &err) != DG_OK)
                return die("append", &err);
        append_ms = (now_s() - t0) * 1000 / APPENDS;

        long long before = catalog_bytes(archive);
        for (int i = 0; i < BYTES_SEARCHES; i++)
            if (!search_once(a, &me, "通知", &err))
                return die("search", &err);
        bytes_per_search = (double)(catalog_bytes(archive) - before) / BYTES_SEARCHES;

        /* Grow the log to n entries in big transactions, as a group commit writes
     * its batches (also measures the in-txn cost). Every entry is a search's as
     * the server logs it: its own words, its hit count and the three hits it
     * showed. */
        enum { MANY = 500 };
        static dg_log_event many[MANY];
        static char queries[MANY][48];
        long grown = 0;
        t0 = now_s();
        double report = t0;
        while (grown < n) {
            long batch = n - grown < IN_TXN ? n - grown : IN_TXN;
            if (dg_catalog_begin_write(a->db, &err) != DG_OK)
                return die("begin", &err);
            for (long done = 0; done < batch;) {
                size_t k = batch - done < MANY ? (size_t)(batch - done) : MANY;
                for (size_t i = 0; i < k; i++) {
                    long e = grown + done + (long)i;
                    snprintf(queries[i], sizeof queries[i], "考试安排 第%ld号", e % 997);
                    many[i] = (dg_log_event){.action = "search",
                                             .query = queries[i],
                                             .hits = 3 + e % 40,
                                             .outcome = "ok",
                                             .read = 1,
                                             .shown = "X001-XZ·2024-D10-0001@1,"
                                                      "X001-XZ·2024-D10-0002@1,"
                                                      "X001-XZ·2024-D10-0003@1"};
                }
                if (dg_log_append_many_in_txn(a, &me, many, k, &err) != DG_OK)
                    return die("append in txn", &err);
                done += (long)k;
            }
            if (dg_catalog_commit(a->db, &err) != DG_OK)
                return die("commit", &err);
            grown += batch;
            if (now_s() - report > 30) {
                report = now_s();
                fprintf(stderr, "bench/log: %ld entries, %.0f entries/s\n", grown,
                        (double)grown / (report - t0));
            }
        }
        in_txn_us = (now_s() - t0) * 1e6 / (double)(n > 0 ? n : 1);
    } /* !reuse */
    /* Everything into the log's file, so the file read below is the whole log. */
    sqlite3_wal_checkpoint_v2(a->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
    long long db = catalog_bytes(archive);

    /* The disk: the catalog read whole, first out of the page cache (this file's
   * pages dropped with posix_fadvise: cold), then again (warm). */
    char catalog[400];
    snprintf(catalog, sizeof catalog, "%s/" DG_LOG_FILE, archive);
    double cold_read = read_file_mb_s(catalog, 1), warm_read = read_file_mb_s(catalog, 0);

    dg_log_check check;
    drop_cache(catalog);
    t0 = now_s();
    double c0 = cpu_s(), k0 = sys_s();
    if (dg_log_verify(a, &me, &check, &err) != DG_OK)
        return die("verify", &err);
    double cold_verify_s = now_s() - t0, cold_verify_cpu = cpu_s() - c0,
           cold_verify_sys = sys_s() - k0;
    t0 = now_s();
    c0 = cpu_s();
    k0 = sys_s();
    if (dg_log_verify(a, &me, &check, &err) != DG_OK)
        return die("verify", &err);
    double verify_s = now_s() - t0, verify_cpu = cpu_s() - c0, verify_sys = sys_s() - k0;
    if (check.first_broken || check.tree_differs)
        return fprintf(stderr, "bench/log: verify found the log broken: %s\n", check.reason), 1;
    uint64_t size = check.entries + 1;

    enum { PROOFS = 200 };
    srand(7);
    t0 = now_s();
    double worst = 0;
    for (int i = 0; i < PROOFS; i++) {
        uint64_t old = 1 + (uint64_t)rand() % (size - 1);
        dg_merkle_proof proof;
        double p0 = now_s();
        if (dg_log_prove_consistency(a, &me, old, size, &proof, &err) != DG_OK)
            return die("prove", &err);
        worst = now_s() - p0 > worst ? now_s() - p0 : worst;
        dg_merkle_proof_free(&proof);
    }
    double proof_ms = (now_s() - t0) * 1000 / PROOFS;

    /* Inclusion proofs of random entries in a signed checkpoint of the whole log.
   */
    char *skey = NULL, *vkey = NULL, *note = NULL;
    dg_note_signer signer;
    if (dg_note_generate("bench.example/log", &skey, &vkey, &err) != DG_OK ||
        dg_note_signer_parse(skey, &signer, &err) != DG_OK ||
        dg_log_checkpoint_sign(a, &signer, &note, &err) != DG_OK)
        return die("checkpoint", &err);
    t0 = now_s();
    double worst_incl = 0;
    for (int i = 0; i < PROOFS; i++) {
        dg_log_inclusion incl;
        double p0 = now_s();
        if (dg_log_prove(a, &me, 1 + (int64_t)((uint64_t)rand() % (size - 1)), note,
                         &signer.verifier, &incl, &err) != DG_OK)
            return die("prove inclusion", &err);
        worst_incl = now_s() - p0 > worst_incl ? now_s() - p0 : worst_incl;
        if (!incl.included)
            return fprintf(stderr, "bench/log: an inclusion proof failed\n"), 1;
        dg_log_inclusion_free(&incl);
    }
    double incl_ms = (now_s() - t0) * 1000 / PROOFS;
    free(skey);
    free(vkey);
    free(note);

    if (search_ms > 0) { /* a kept archive measured again runs no searches or appends */
        printf("search (10 hits, logged)   %8.3f ms\n", search_ms);
        printf("append (own commit)        %8.3f ms\n", append_ms);
        printf("append in a transaction    %8.1f us  (hash, row, tree rows; %.2f%% "
               "of a search)\n",
               in_txn_us, 100 * in_txn_us / 1000 / search_ms);
        printf("log file bytes per search  %8.0f B   (10 hits shown)\n", bytes_per_search);
    }
    printf("log size                   %8llu entries, log file %.1f MB\n",
           (unsigned long long)check.entries, (double)db / 1e6);
    printf("consistency proof          %8.3f ms  (mean of %d, random old size; "
           "worst %.3f ms)\n",
           proof_ms, PROOFS, worst * 1000);
    printf("inclusion proof            %8.3f ms  (mean of %d, random entry, with "
           "its bytes and "
           "the checkpoint's signature checked; worst %.3f ms)\n",
           incl_ms, PROOFS, worst_incl * 1000);
    printf("log file read             %8.1f MB/s cold (its pages dropped "
           "first), %.1f MB/s warm\n",
           cold_read, warm_read);
    printf("log verify, cold           %8.2f s   (%.0f entries/s, %.1f MB/s of "
           "log file; CPU %.2f s, of it system %.2f s)\n",
           cold_verify_s, (double)check.entries / cold_verify_s, (double)db / 1e6 / cold_verify_s,
           cold_verify_cpu, cold_verify_sys);
    printf("log verify, warm           %8.2f s   (%.0f entries/s, %.1f MB/s of "
           "log file; CPU %.2f s, of it system %.2f s)\n",
           verify_s, (double)check.entries / verify_s, (double)db / 1e6 / verify_s, verify_cpu,
           verify_sys);
    dg_archive_close(a);
    if (keep) {
        printf("archive kept                %s\n", archive);
        return 0;
    }
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : 1;
}
