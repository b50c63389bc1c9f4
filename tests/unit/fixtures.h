/*
 * fixtures.h — test helper shared by the ingest tests (included, not a test program):
 * finds or generates the scanned-page fixtures, reads files, and measures character error
 * rates.
 *
 * The fixtures are generated, not committed: fixture_dir() runs
 * tests/fixtures/make-fixtures.sh into a "fixtures" folder beside the test program (e.g.
 * build/check/tests/fixtures) unless it is already there and newer than the generator.
 * DG_FIXTURES in the environment names a ready folder instead.
 */
#ifndef DG_TEST_FIXTURES_H
#define DG_TEST_FIXTURES_H

#include <libgen.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bench/cer.h" /* cer(): the measure the OCR benches use too */

static char fixture_root[PATH_MAX];

static inline long long mtime_of(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long long)st.st_mtime : -1;
}

/* Call once from main() with argv[0]; returns 0 when the fixtures are ready. */
static inline int fixtures_prepare(const char *argv0)
{
    const char *ready = getenv("DG_FIXTURES");
    if (ready && *ready) {
        snprintf(fixture_root, sizeof fixture_root, "%s", ready);
        return 0;
    }
    char program[PATH_MAX];
    snprintf(program, sizeof program, "%s", argv0);
    snprintf(fixture_root, sizeof fixture_root, "%s/fixtures", dirname(program));
    /* The tests run from the top of the source tree (scripts/run-tests.sh cd's there). */
    const char *script = "tests/fixtures/make-fixtures.sh";
    char stamp[PATH_MAX + 16];
    snprintf(stamp, sizeof stamp, "%s/.stamp", fixture_root);
    long long made = mtime_of(stamp);
    if (made >= 0 && made >= mtime_of(script) && made >= mtime_of("tests/fixtures/mkpdf.pl"))
        return 0;
    char command[3 * PATH_MAX];
    snprintf(command, sizeof command, "%s '%s' >/dev/null && touch '%s'", script, fixture_root,
             stamp);
    if (system(command) != 0) {
        fprintf(stderr, "cannot generate fixtures with %s\n", script);
        return -1;
    }
    return 0;
}

/* The path of fixture name (a static buffer per call site is enough for the tests). */
static inline const char *fixture(const char *name)
{
    static char paths[8][PATH_MAX + 256];
    static int next;
    char *path = paths[next++ % 8];
    snprintf(path, PATH_MAX + 256, "%s/%s", fixture_root, name);
    return path;
}

/* Reads a whole file into a new NUL-terminated buffer; NULL on failure. */
static inline char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t cap = 0, n = 0;
    for (;;) {
        if (n + 4096 + 1 > cap) {
            cap = (n + 4096 + 1) * 2;
            char *grown = realloc(buf, cap);
            if (!grown) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = grown;
        }
        size_t got = fread(buf + n, 1, 4096, f);
        n += got;
        if (got == 0)
            break;
    }
    fclose(f);
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

#endif
