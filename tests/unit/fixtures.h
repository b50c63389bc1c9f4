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

/* Decodes UTF-8 into code points, leaving out whitespace; returns the count. */
static inline size_t code_points_without_space(const char *s, uint32_t *out, size_t max)
{
    size_t n = 0;
    const unsigned char *p = (const unsigned char *)s;
    while (*p && n < max) {
        uint32_t cp;
        size_t len;
        if (*p < 0x80) {
            cp = *p;
            len = 1;
        } else if (*p >= 0xF0) {
            cp = *p & 0x07;
            len = 4;
        } else if (*p >= 0xE0) {
            cp = *p & 0x0F;
            len = 3;
        } else {
            cp = *p & 0x1F;
            len = 2;
        }
        for (size_t i = 1; i < len && p[i]; i++)
            cp = (cp << 6) | (p[i] & 0x3F);
        for (size_t i = 0; i < len && *p; i++)
            p++;
        if (cp == ' ' || cp == '\n' || cp == '\t' || cp == '\r' || cp == 0x3000 || cp == '\f')
            continue;
        out[n++] = cp;
    }
    return n;
}

/*
 * Character error rate of ocr against truth: Levenshtein distance over code points,
 * whitespace ignored, divided by the length of the truth.
 */
static inline double cer(const char *truth, const char *ocr)
{
    enum { MAX = 4096 };
    static uint32_t a[MAX], b[MAX];
    static size_t row[MAX + 1];
    size_t n = code_points_without_space(truth, a, MAX);
    size_t m = code_points_without_space(ocr, b, MAX);
    if (n == 0)
        return m == 0 ? 0.0 : 1.0;
    for (size_t j = 0; j <= m; j++)
        row[j] = j;
    for (size_t i = 1; i <= n; i++) {
        size_t diagonal = row[0];
        row[0] = i;
        for (size_t j = 1; j <= m; j++) {
            size_t above = row[j];
            size_t best = diagonal + (a[i - 1] != b[j - 1]);
            if (above + 1 < best)
                best = above + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diagonal = above;
        }
    }
    return (double)row[m] / (double)n;
}

#endif
