/*
 * test_prose_magic.c — the cut magic database keeps every binary test that can match prose
 * and answers on prose as the whole database does.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/utf8.h"
#include "ingest/prose_magic.h"

#define ENTRY 376 /* a compiled entry, as prose_magic.c reads it */

static char workdir[] = "/tmp/dg-prose-magic-XXXXXX";

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    rewind(f);
    unsigned char *buf = malloc(*len ? *len : 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, *len, f), *len);
    fclose(f);
    return buf;
}

/* A cookie over a compiled database in memory (which must outlive it). */
static magic_t cookie_over(unsigned char *db, size_t len)
{
    magic_t cookie = magic_open(MAGIC_MIME_TYPE | MAGIC_ERROR | MAGIC_NO_CHECK_TEXT);
    assert_non_null(cookie);
    void *buffers[1] = {db};
    size_t sizes[1] = {len};
    assert_int_equal(magic_load_buffers(cookie, buffers, sizes, 1), 0);
    return cookie;
}

/* One test of each kind the cut reasons about; "keep" in the MIME type of those a prose
 * buffer can match, "cut" in the others'. */
static const char source[] =
    "0\tstring\tPK\\003\\004\tzip\n!:mime\tapplication/x-cut-zip\n"
    "0\tstring\t\\344\\270\\255\\346\\226\\207\tChinese\n!:mime\tapplication/x-keep-zh\n"
    "4\tstring\tftyp\tmedia\n!:mime\tapplication/x-keep-ftyp\n"
    "1\tstring\tab\tafter the first byte\n!:mime\tapplication/x-cut-ab\n"
    "8\tbelong\t0\tzeros\n!:mime\tapplication/x-cut-zeros\n"
    "0\tbyte\t0xe9\tjump\n!:mime\tapplication/x-keep-jump\n"
    "0\tulelong\t<3\tsmall\n!:mime\tapplication/x-cut-small\n"
    "16\tstring\t\\<html>\tmarkup\n!:mime\tapplication/x-cut-html\n"
    "0\tsearch/100\t\\<svg\tsvg\n!:mime\tapplication/x-cut-svg\n"
    "0\tstring/c\tbegin:vcard\tvcard\n!:mime\tapplication/x-cut-vcard\n"
    "0\tsearch/100\t\\270\\255\tthe middle of a character\n!:mime\tapplication/x-keep-mid\n"
    "2\tlequad\t0x41\tan A then zeros (read past the end)\n!:mime\tapplication/x-keep-quad\n"
    "-4\tstring\tTAIL\tfrom the end\n!:mime\tapplication/x-keep-tail\n";

/* Compiles source into workdir/test.mgc (libmagic writes it into the current folder). */
static unsigned char *compiled_test_database(size_t *len)
{
    char here[4096], path[4200];
    assert_non_null(getcwd(here, sizeof here));
    assert_int_equal(chdir(workdir), 0);
    write_text("test", source);
    magic_t cookie = magic_open(MAGIC_NONE);
    assert_non_null(cookie);
    assert_int_equal(magic_compile(cookie, "test"), 0);
    magic_close(cookie);
    assert_int_equal(chdir(here), 0);
    snprintf(path, sizeof path, "%s/test.mgc", workdir);
    return slurp(path, len);
}

static void assert_answer(magic_t whole, magic_t cut, const char *text, const char *want)
{
    assert_string_equal(magic_buffer(whole, text, strlen(text)), want);
    assert_string_equal(magic_buffer(cut, text, strlen(text)), want);
}

static void test_only_tests_no_prose_can_match_are_cut(void **state)
{
    (void)state;
    size_t len, cut_len;
    unsigned char *db = compiled_test_database(&len), *cut;
    dg_prose_magic_stats stats;
    assert_int_equal(dg_prose_magic_cut(db, len, &cut, &cut_len, &stats, NULL), DG_OK);
    assert_int_equal(stats.binary_tests, 12); /* <svg is a text test (a text pattern) */
    assert_int_equal(stats.kept, 6);
    assert_int_equal(stats.suffixes, 0);
    /* Every entry kept names "keep", every one cut "cut". */
    size_t kept = cut_len / ENTRY - 1, cut_seen = 0;
    for (size_t i = 1; i <= kept; i++)
        assert_null(strstr((const char *)cut + i * ENTRY + 224, "x-cut-"));
    for (size_t i = 1; i < len / ENTRY; i++)
        cut_seen += strstr((const char *)db + i * ENTRY + 224, "x-cut-") != NULL;
    assert_int_equal(cut_seen, 7);
    magic_t whole = cookie_over(db, len), part = cookie_over(cut, cut_len);
    assert_answer(whole, part, "中文通知", "application/x-keep-zh");
    assert_answer(whole, part, "ééftyp and more", "application/x-keep-ftyp");
    assert_answer(whole, part, "é中", "application/x-keep-mid");
    assert_answer(whole, part, "éA", "application/x-keep-quad");
    /* Kept, but an offset from the end needs a file: on a buffer it never matches. */
    assert_answer(whole, part, "é文 ends with TAIL", "application/octet-stream");
    assert_answer(whole, part, "\xe9\xbe\x99 dragon", "application/x-keep-jump");
    /* What only a cut test matches is not prose, and the whole database says so. */
    assert_string_equal(magic_buffer(whole, "PK\003\004", 4), "application/x-cut-zip");
    assert_false(dg_prose_magic_admits("PK\003\004", 4));
    magic_close(whole);
    magic_close(part);
    free(cut);
    free(db);
}

static void test_a_kept_indirect_test_makes_the_cut_hold_for_suffixes(void **state)
{
    (void)state;
    size_t len, cut_len;
    unsigned char *db = compiled_test_database(&len), *cut;
    /* Turn the kept "ftyp" test into an indirect one (type 41, value: its offset's data). */
    for (size_t i = 1; i < len / ENTRY; i++)
        if (strstr((const char *)db + i * ENTRY + 224, "x-keep-ftyp"))
            db[i * ENTRY + 6] = 41;
    dg_prose_magic_stats stats;
    assert_int_equal(dg_prose_magic_cut(db, len, &cut, &cut_len, &stats, NULL), DG_OK);
    assert_int_equal(stats.suffixes, 1);
    /* Now a test is cut only when no suffix can match it: "ab" at offset 1 and "begin:vcard"
     * at 0 may open a suffix; zeros, "PK\3\4", '<' and a small number may not. */
    assert_int_equal(stats.kept, 8);
    free(cut);
    free(db);
}

static void test_what_is_not_a_prose_buffer_is_not_answered(void **state)
{
    (void)state;
    assert_true(dg_prose_magic_admits("关于通知\nThe report.\n", strlen("关于通知\nThe report.\n")));
    assert_false(dg_prose_magic_admits("The report", 10));         /* opens in ASCII */
    assert_false(dg_prose_magic_admits("关于<通知>", strlen("关于<通知>"))); /* a code sign */
    assert_false(dg_prose_magic_admits("关于\x01", strlen("关于\x01"))); /* a control */
    assert_false(dg_prose_magic_admits("\xe5\x85", 2));             /* cut UTF-8 */
    assert_false(dg_prose_magic_admits("关于\0x", 8));             /* a NUL */
    dg_prose_magic *prose = NULL;
    assert_int_equal(dg_prose_magic_open(MAGIC_MIME_TYPE | MAGIC_ERROR, &prose, NULL), DG_OK);
    assert_non_null(prose); /* the system's database is one it cuts */
    assert_null(dg_prose_magic_buffer(prose, "The report", 10));
    assert_string_equal(dg_prose_magic_buffer(prose, "关于通知", strlen("关于通知")),
                        "application/octet-stream");
    dg_prose_magic_close(prose);
}

static void test_only_a_database_of_one_compiled_file_is_cut(void **state)
{
    (void)state;
    size_t len;
    unsigned char *db = compiled_test_database(&len), *read;
    free(db);
    char mgc[256], comments[256], tests[256], path[1024];
    snprintf(mgc, sizeof mgc, "%s/test.mgc", workdir);
    snprintf(comments, sizeof comments, "%s/comments", workdir);
    snprintf(tests, sizeof tests, "%s/test", workdir); /* the source, with tests */
    write_text(comments, "# local magic\n\n# nothing here\n");
    const char *before = getenv("MAGIC");
    char *saved = before ? strdup(before) : NULL;
    snprintf(path, sizeof path, "%s:%s:%s/absent", comments, mgc, workdir);
    setenv("MAGIC", path, 1);
    assert_int_equal(dg_prose_magic_read_default(&read, &len, NULL), DG_OK);
    assert_non_null(read);
    free(read);
    snprintf(path, sizeof path, "%s:%s", tests, mgc); /* "test" opens as test.mgc itself */
    setenv("MAGIC", path, 1);
    assert_int_equal(dg_prose_magic_read_default(&read, &len, NULL), DG_OK);
    assert_null(read); /* two compiled files: test.mgc twice */
    snprintf(path, sizeof path, "%s:%s", workdir, mgc); /* a folder of sources */
    setenv("MAGIC", path, 1);
    assert_int_equal(dg_prose_magic_read_default(&read, &len, NULL), DG_OK);
    assert_null(read);
    if (saved)
        setenv("MAGIC", saved, 1);
    else
        unsetenv("MAGIC");
    free(saved);
}

/* ---- the system's database: the cut against the whole one on prose ---------------------- */

static uint64_t seed = 0x9E3779B97F4A7C15ull;

static uint64_t next_random(void)
{
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return seed;
}

/* Appends valid prose to buf[at..target): Chinese, accented letters and ASCII words. */
static size_t prose_up_to(char *buf, size_t at, size_t target)
{
    static const char *const words[] = {"The ", "report", "2024", "A", "z", "MZ", "PK", "ID3",
                                        "OggS", "RIFF", "ftyp", "M.K.", "BOOKMOBI", "\n",
                                        "\r\n", "\t", " ", "!", "(", ")", ",", "-", ".", "/",
                                        ":", "?", "II", "MM", "BM", "FORM", "conectix"};
    while (at < target) {
        size_t left = target - at;
        const char *add = left >= 3 && (at == 0 || next_random() % 3 == 0) ? "档"
                          : left >= 2 && (at == 0 || next_random() % 4 == 0) ? "é"
                          : at == 0 ? NULL
                                    : words[next_random() % (sizeof words / sizeof *words)];
        if (!add)
            return at;
        if (strlen(add) > left)
            add = "a";
        memcpy(buf + at, add, strlen(add));
        at += strlen(add);
    }
    return at;
}

/* The string tests (offset, pattern) of a compiled database's set 0. */
typedef struct string_test {
    int32_t offset;
    unsigned char pattern[128];
    size_t len;
} string_test;

static size_t string_tests(const unsigned char *db, size_t len, string_test *out, size_t max)
{
    uint32_t head[4];
    memcpy(head, db, sizeof head);
    size_t n = 0;
    for (size_t i = 1; i <= head[2] && i < len / ENTRY && n < max; i++) {
        const unsigned char *e = db + i * ENTRY;
        if (e[0] || e[1] || (e[6] != 5 && e[6] != 20))
            continue;
        memcpy(&out[n].offset, e + 12, 4);
        out[n].len = e[5] > 127 ? 127 : e[5];
        memcpy(out[n].pattern, e + 32, out[n].len);
        if (e[6] == 20)
            out[n].offset = (int32_t)(next_random() % 64); /* a search: anywhere */
        n++;
    }
    return n;
}

/*
 * A database of the tests the cut left out (the cut keeps the order, so what it kept is a
 * subsequence of the whole), to run them alone: none may ever match prose, so they answer
 * as no test at all (what libmagic decides before its tests, such as CSV, or nothing).
 */
static unsigned char *left_out(const unsigned char *db, size_t len, const unsigned char *cut,
                               size_t cut_len, size_t *out_len)
{
    uint32_t head[4], cut_head[4];
    memcpy(head, db, sizeof head);
    memcpy(cut_head, cut, sizeof cut_head);
    unsigned char *out = malloc(len);
    assert_non_null(out);
    memcpy(out, db, ENTRY);
    size_t n = 0, j = 0;
    for (size_t i = 0; i < head[2];) {
        size_t end = i + 1;
        while (end < head[2] && (db[(end + 1) * ENTRY] | db[(end + 1) * ENTRY + 1]))
            end++;
        size_t bytes = (end - i) * ENTRY;
        if (j < cut_head[2] && !memcmp(db + (i + 1) * ENTRY, cut + (j + 1) * ENTRY, bytes)) {
            j += end - i;
        } else {
            memcpy(out + (n + 1) * ENTRY, db + (i + 1) * ENTRY, bytes);
            n += end - i;
        }
        i = end;
    }
    assert_int_equal(j, cut_head[2]);
    assert_true(cut_len == (size_t)ENTRY * (1 + cut_head[2] + cut_head[3]));
    uint32_t counts[2] = {(uint32_t)n, head[3]};
    memcpy(out + 8, counts, sizeof counts);
    memcpy(out + (n + 1) * ENTRY, db + (1 + head[2]) * ENTRY, (size_t)head[3] * ENTRY);
    *out_len = (size_t)ENTRY * (1 + n + head[3]);
    return out;
}

static void test_cut_answers_as_the_whole_database_on_prose(void **state)
{
    (void)state;
    unsigned char *db, *cut;
    size_t len, cut_len, rest_len;
    assert_int_equal(dg_prose_magic_read_default(&db, &len, NULL), DG_OK);
    assert_non_null(db);
    dg_prose_magic_stats stats;
    assert_int_equal(dg_prose_magic_cut(db, len, &cut, &cut_len, &stats, NULL), DG_OK);
    assert_true(stats.kept < stats.binary_tests / 4);
    unsigned char *rest = left_out(db, len, cut, cut_len, &rest_len);
    unsigned char *none = malloc(rest_len);
    assert_non_null(none);
    uint32_t head[4];
    memcpy(head, rest, sizeof head);
    memcpy(none, rest, ENTRY);
    memset(none + 8, 0, 4); /* no test in set 0, the named ones as they are */
    memcpy(none + ENTRY, rest + (1 + head[2]) * ENTRY, (size_t)head[3] * ENTRY);
    magic_t whole = magic_open(MAGIC_MIME_TYPE | MAGIC_ERROR | MAGIC_NO_CHECK_TEXT);
    assert_int_equal(magic_load(whole, NULL), 0);
    magic_t part = cookie_over(cut, cut_len), removed = cookie_over(rest, rest_len);
    magic_t no_tests = cookie_over(none, (size_t)ENTRY * (1 + head[3]));
    string_test *tests = calloc(20000, sizeof *tests);
    assert_non_null(tests);
    size_t n_tests = string_tests(db, len, tests, 20000);
    static char buf[16384];
    size_t admitted = 0, typed = 0;
    for (int round = 0; round < 4000; round++) {
        size_t at = 0, target = 2 + next_random() % (round % 4 ? 600 : 5000);
        if (round % 2) { /* a string test's pattern at its offset */
            const string_test *t = &tests[next_random() % n_tests];
            if (t->offset >= 0 && (size_t)t->offset + t->len < sizeof buf / 2) {
                at = prose_up_to(buf, 0, (size_t)t->offset);
                if (at == (size_t)t->offset)
                    memcpy(buf + at, t->pattern, t->len), at += t->len;
                target = at > target ? at + next_random() % 64 : target;
            }
        }
        at = prose_up_to(buf, at, target < sizeof buf ? target : sizeof buf - 1);
        if (!dg_prose_magic_admits(buf, at))
            continue;
        admitted++;
        char want[256];
        snprintf(want, sizeof want, "%s", magic_buffer(whole, buf, at));
        typed += strcmp(want, "application/octet-stream") != 0;
        assert_string_equal(magic_buffer(part, buf, at), want);
        char bare[256];
        snprintf(bare, sizeof bare, "%s", magic_buffer(no_tests, buf, at));
        assert_string_equal(magic_buffer(removed, buf, at), bare);
    }
    assert_true(admitted > 500);
    assert_true(typed > 0); /* kept tests did match some */
    free(tests);
    magic_close(whole);
    magic_close(part);
    magic_close(removed);
    magic_close(no_tests);
    free(none);
    free(rest);
    free(cut);
    free(db);
}

static int make_workdir(void **state)
{
    (void)state;
    return mkdtemp(workdir) ? 0 : -1;
}

static int remove_workdir(void **state)
{
    (void)state;
    char command[128];
    snprintf(command, sizeof command, "rm -rf '%s'", workdir);
    return system(command) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_only_tests_no_prose_can_match_are_cut),
        cmocka_unit_test(test_a_kept_indirect_test_makes_the_cut_hold_for_suffixes),
        cmocka_unit_test(test_what_is_not_a_prose_buffer_is_not_answered),
        cmocka_unit_test(test_only_a_database_of_one_compiled_file_is_cut),
        cmocka_unit_test(test_cut_answers_as_the_whole_database_on_prose),
    };
    return cmocka_run_group_tests(tests, make_workdir, remove_workdir);
}
