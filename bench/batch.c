/*
 * bench/batch.c — writes a born-digital ingest batch of bench/corpus.h's records: N text
 * files (one record each, UTF-8) and a manifest.csv naming each with its title, date,
 * document number, department, category, type and level, as a records room's export
 * would. `dangan ingest DIR --manifest DIR/manifest.csv` then files the whole batch in a
 * few transactions, the fast honest way to build a large archive for bench/reindex.sh
 * (`dangan add` commits, syncs and indexes each record on its own: 50-200 ms apiece).
 *
 *   build/bench/batch DIR N [FIRST]     (records FIRST .. FIRST+N-1; default FIRST 0)
 *
 * Level 4 records are written as level 3, as bench/site.h files them, so the archive's
 * admin sees every record.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bench/corpus.h"

/* One type of each category of BENCH_CATEGORIES (XZ RS CW ZC HD), so the rows need no review. */
static const char *const TYPES[] = {"notice", "training", "budget", "purchase", "summary"};

static int write_text(const char *path, const char *body)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return 0;
    int ok = fputs(body, f) >= 0;
    return fclose(f) == 0 && ok;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: batch DIR N [FIRST]\n");
        return 2;
    }
    const char *dir = argv[1];
    long n = strtol(argv[2], NULL, 10), first = argc > 3 ? strtol(argv[3], NULL, 10) : 0;
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        fprintf(stderr, "dangan: bench/batch: %s: %s\n", dir, strerror(errno));
        return 1;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/manifest.csv", dir);
    FILE *m = fopen(path, "w");
    if (!m) {
        fprintf(stderr, "dangan: bench/batch: %s: %s\n", path, strerror(errno));
        return 1;
    }
    fprintf(m, "files,title,date,doc_number,department,category,type,level\n");
    for (long i = first; i < first + n; i++) {
        char title[256], number[64], body[4096], ref[64];
        int year, level;
        bench_record((int)i, title, sizeof title, number, sizeof number, body, sizeof body,
                     ref, sizeof ref, &year, &level);
        snprintf(path, sizeof path, "%s/r%07ld.txt", dir, i);
        if (!write_text(path, body)) {
            fprintf(stderr, "dangan: bench/batch: %s: %s\n", path, strerror(errno));
            return 1;
        }
        const char *dept = BENCH_DEPTS[bench_mix((uint64_t)i + 1) % BENCH_N(BENCH_DEPTS)];
        fprintf(m, "r%07ld.txt,%s,%d-%02ld-%02ld,%s,%s,%s,%s,%d\n", i, title, year,
                1 + i % 12, 1 + i % 28, number, dept, BENCH_CATEGORIES[i % 5],
                TYPES[i % 5], level == 4 ? 3 : level);
    }
    if (fclose(m) != 0) {
        fprintf(stderr, "dangan: bench/batch: manifest: %s\n", strerror(errno));
        return 1;
    }
    return 0;
}
