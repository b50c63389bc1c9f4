/*
 * bench/log.c — what the Merkle-tree access log costs: build/bench/log [N] [DIR]
 *
 * In a fresh archive (under DIR, default /tmp) it files 40 small records, then measures:
 *   search      a search of 10 hits through the engine (its log entry and commit included)
 *   append      one log entry in its own transaction: chain hash, tree update, commit
 *   in-txn      the same without the commit (hash, row, tree rows): the CPU the tree adds
 *               is part of this
 *   bytes       catalog bytes per search entry that showed 10 hits (log row, shown-hit
 *               index, tree rows), from the file's growth over 2,000 searches
 * then grows the log to N entries (default 200,000) and measures at that size:
 *   proof       a consistency proof from a random older size to N (stored-tree reads)
 *   verify      a full `log verify`: every entry re-hashed, chain and tree recomputed and
 *               compared with the stored tree, in entries/s and MB/s of catalog
 * Not part of `make check`; numbers are for this machine, printed, never asserted.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "engine/archive.h"
#include "engine/archive_internal.h" /* a bench may batch appends in one transaction */
#include "engine/catalog.h"
#include "engine/log.h"
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

/* The catalog's size with its write-ahead log folded in. */
static long long catalog_bytes(const char *archive)
{
    char db[512], wal[520];
    snprintf(db, sizeof db, "%s/catalog.db", archive);
    snprintf(wal, sizeof wal, "%s-wal", db);
    return file_size(db) + file_size(wal);
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
    char dir[256], archive[300];
    snprintf(dir, sizeof dir, "%s/dangan-bench-log-XXXXXX", base);
    if (!mkdtemp(dir)) {
        fprintf(stderr, "bench/log: %s: %s\n", dir, strerror(errno));
        return 1;
    }
    snprintf(archive, sizeof archive, "%s/archive", dir);
    dg_error err;
    dg_archive *a;
    dg_actor me;
    if (dg_archive_create(archive, "X001", "Bench", "bench", "Bench", &err) != DG_OK)
        return die("create", &err);
    if (dg_archive_open(archive, &a, &err) != DG_OK ||
        dg_actor_login(a, "bench", "bench", &me, &err) != DG_OK)
        return die("open", &err);
    for (int i = 0; i < 40; i++) {
        char title[64], text[256], ref[DG_REFCODE_MAX];
        snprintf(title, sizeof title, "通知 %d", i);
        snprintf(text, sizeof text, "关于期末考试安排的通知 第%d号 考试 安排 学生 教师", i);
        dg_record_input in = {.title = title, .category = "administrative", .year = 2024,
                              .level = 0, .text = text, .ocr_confidence = -1,
                              .class_confidence = -1, .reason = "bench"};
        if (dg_record_add(a, &me, &in, ref, &err) != DG_OK)
            return die("add", &err);
    }

    enum { SEARCHES = 300, APPENDS = 300, IN_TXN = 20000, BYTES_SEARCHES = 2000 };
    double t0 = now_s();
    for (int i = 0; i < SEARCHES; i++)
        if (!search_once(a, &me, "考试", &err))
            return die("search", &err);
    double search_ms = (now_s() - t0) * 1000 / SEARCHES;

    dg_log_event ev = {.action = "bench", .query = "考试", .hits = 10, .outcome = "ok",
                       .shown = "X001-XZ·2024-D10-0001@1,X001-XZ·2024-D10-0002@1"};
    t0 = now_s();
    for (int i = 0; i < APPENDS; i++)
        if (dg_log_append(a, &me, NULL, &ev, &err) != DG_OK)
            return die("append", &err);
    double append_ms = (now_s() - t0) * 1000 / APPENDS;

    long long before = catalog_bytes(archive);
    for (int i = 0; i < BYTES_SEARCHES; i++)
        if (!search_once(a, &me, "通知", &err))
            return die("search", &err);
    double bytes_per_search = (double)(catalog_bytes(archive) - before) / BYTES_SEARCHES;

    /* Grow the log to n entries in big transactions (also measures the in-txn cost). */
    double in_txn_us = 0;
    long grown = 0;
    dg_log_event filler = {.action = "search", .query = "考试安排", .hits = 3, .outcome = "ok",
                           .shown = "X001-XZ·2024-D10-0001@1,X001-XZ·2024-D10-0002@1,"
                                    "X001-XZ·2024-D10-0003@1"};
    t0 = now_s();
    while (grown < n) {
        long batch = n - grown < IN_TXN ? n - grown : IN_TXN;
        if (dg_catalog_begin_write(a->db, &err) != DG_OK)
            return die("begin", &err);
        for (long i = 0; i < batch; i++)
            if (dg_log_append_in_txn(a, &me, NULL, &filler, &err) != DG_OK)
                return die("append in txn", &err);
        if (dg_catalog_commit(a->db, &err) != DG_OK)
            return die("commit", &err);
        grown += batch;
    }
    in_txn_us = (now_s() - t0) * 1e6 / (double)n;

    dg_log_check check;
    t0 = now_s();
    if (dg_log_verify(a, &me, &check, &err) != DG_OK)
        return die("verify", &err);
    double verify_s = now_s() - t0;
    uint64_t size = check.entries + 1;

    enum { PROOFS = 200 };
    srand(7);
    t0 = now_s();
    for (int i = 0; i < PROOFS; i++) {
        uint64_t old = 1 + (uint64_t)rand() % (size - 1);
        dg_merkle_proof proof;
        if (dg_log_prove_consistency(a, &me, old, size, &proof, &err) != DG_OK)
            return die("prove", &err);
        dg_merkle_proof_free(&proof);
    }
    double proof_ms = (now_s() - t0) * 1000 / PROOFS;

    long long db = catalog_bytes(archive);
    printf("search (10 hits, logged)   %8.3f ms\n", search_ms);
    printf("append (own commit)        %8.3f ms\n", append_ms);
    printf("append in a transaction    %8.1f us  (hash, row, tree rows; %.2f%% of a search)\n",
           in_txn_us, 100 * in_txn_us / 1000 / search_ms);
    printf("catalog bytes per search   %8.0f B   (10 hits shown)\n", bytes_per_search);
    printf("log size                   %8llu entries, catalog %.1f MB\n",
           (unsigned long long)check.entries, (double)db / 1e6);
    printf("consistency proof          %8.3f ms  (mean of %d, random old size)\n", proof_ms,
           PROOFS);
    printf("log verify                 %8.2f s   (%.0f entries/s, %.1f MB/s of catalog)\n",
           verify_s, (double)check.entries / verify_s, (double)db / 1e6 / verify_s);
    dg_archive_close(a);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : 1;
}
