/* test_web.c — the web interface's pieces below HTTP: passwords (engine/password.h),
 * sessions and back-off (cli/web_session.h), escapes (cli/web_html.h), languages
 * (cli/web_i18n.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/utf8.h"
#include "cli/web_html.h"
#include "cli/web_i18n.h"
#include "cli/web_session.h"
#include "cli/web_upload.h"
#include "engine/password.h"
#include "engine/vocab.h"
#include "testutil.h"

static void test_password_login_works_and_failures_read_alike(void **state)
{
    (void)state;
    test_archive t;
    dg_actor zhang, out;
    dg_error err, err2;
    int64_t epoch = 0, epoch2 = 0;
    assert_true(test_archive_make(&t));
    assert_true(test_archive_user(&t, "zhang", 1, DG_ROLE_STAFF, &zhang));
    assert_int_equal(dg_password_set(t.archive, &t.admin, "zhang", "first-pass", &epoch, &err), DG_OK);
    assert_int_equal(dg_password_login(t.archive, "zhang", "first-pass", "web 1.2.3.4", &out, &epoch2, &err), DG_OK);
    assert_string_equal(out.login, "zhang");
    assert_int_equal(epoch, epoch2);
    assert_int_equal(dg_password_login(t.archive, "zhang", "wrong-pass", "web x", &out, &epoch2, &err), DG_ERR_DENIED);
    assert_int_equal(dg_password_login(t.archive, "nobody", "wrong-pass", "web x", &out, &epoch2, &err2), DG_ERR_DENIED);
    assert_string_equal(err.msg, err2.msg);
    /* an account without a web password cannot log in either */
    assert_int_equal(dg_password_login(t.archive, "owner", "", "web x", &out, &epoch2, &err), DG_ERR_DENIED);
    test_archive_remove(&t);
}

static void test_password_change_moves_the_epoch_and_only_admins_set_others(void **state)
{
    (void)state;
    test_archive t;
    dg_actor zhang, li;
    dg_error err;
    int64_t e1 = 0, e2 = 0, now = 0;
    assert_true(test_archive_make(&t));
    assert_true(test_archive_user(&t, "zhang", 1, DG_ROLE_STAFF, &zhang));
    assert_true(test_archive_user(&t, "li", 1, DG_ROLE_STAFF, &li));
    assert_int_equal(dg_password_set(t.archive, &zhang, "zhang", "my-own-pass", &e1, &err), DG_OK);
    assert_int_equal(dg_password_set(t.archive, &li, "zhang", "not-yours-1", NULL, &err), DG_ERR_DENIED);
    assert_int_equal(dg_password_set(t.archive, &zhang, "zhang", "short", NULL, &err), DG_ERR_USAGE);
    assert_int_equal(dg_password_set(t.archive, &t.admin, "zhang", "admin-set-1", &e2, &err), DG_OK);
    assert_true(e2 > e1);
    assert_int_equal(dg_password_epoch(t.archive, "zhang", &now, &err), DG_OK);
    assert_int_equal(now, e2);
    assert_int_equal(dg_password_confirm(t.archive, &zhang, "admin-set-1", "test", &err), DG_OK);
    assert_int_equal(dg_password_confirm(t.archive, &zhang, "my-own-pass", "test", &err), DG_ERR_DENIED);
    int off = 0;
    dg_user_change disable = {.active = &off};
    assert_int_equal(dg_user_update(t.archive, &t.admin, "zhang", &disable, &err), DG_OK);
    assert_int_equal(dg_password_epoch(t.archive, "zhang", &now, &err), DG_ERR_NOT_FOUND);
    test_archive_remove(&t);
}

static void test_sessions_end_when_idle_old_ended_or_their_login_ends(void **state)
{
    (void)state;
    dg_web_sessions *s;
    dg_web_session got;
    dg_error err;
    char a[DG_WEB_TOKEN_HEX + 1], b[DG_WEB_TOKEN_HEX + 1];
    assert_int_equal(dg_web_sessions_new(8, 10, 100, &s, &err), DG_OK);
    assert_int_equal(dg_web_session_start(s, "zhang", 3, 1000, a, &got, &err), DG_OK);
    assert_int_equal(strlen(a), 64);
    assert_int_equal(got.epoch, 3);
    assert_true(dg_web_session_find(s, a, 1009, &got));
    assert_true(dg_web_session_find(s, a, 1018, &got)); /* each request restarts the idle clock */
    assert_false(dg_web_session_find(s, a, 1029, &got)); /* idle 11 s */
    assert_false(dg_web_session_find(s, a, 1019, &got)); /* and it stays ended */
    assert_int_equal(dg_web_session_start(s, "zhang", 3, 2000, a, &got, &err), DG_OK);
    for (int64_t now = 2000; now <= 2100; now += 5)
        assert_true(dg_web_session_find(s, a, now, &got));
    assert_false(dg_web_session_find(s, a, 2105, &got)); /* older than its lifetime */
    assert_int_equal(dg_web_session_start(s, "zhang", 3, 3000, a, &got, &err), DG_OK);
    assert_int_equal(dg_web_session_start(s, "li", 1, 3000, b, &got, &err), DG_OK);
    dg_web_session_end_login(s, "zhang");
    assert_false(dg_web_session_find(s, a, 3001, &got));
    assert_true(dg_web_session_find(s, b, 3001, &got));
    dg_web_session_end(s, b);
    assert_false(dg_web_session_find(s, b, 3001, &got));
    assert_false(dg_web_session_find(s, "not-a-token", 3001, &got));
    dg_web_sessions_free(s);
}

static void test_backoff_doubles_after_free_attempts_and_clears(void **state)
{
    (void)state;
    dg_web_backoff *b;
    dg_error err;
    assert_int_equal(dg_web_backoff_new(4, &b, &err), DG_OK);
    for (int i = 1; i < DG_WEB_FREE_ATTEMPTS; i++) {
        dg_web_backoff_fail(b, "login:zhang", 100);
        assert_int_equal(dg_web_backoff_wait(b, "login:zhang", 100), 0);
    }
    dg_web_backoff_fail(b, "login:zhang", 100);
    assert_int_equal(dg_web_backoff_wait(b, "login:zhang", 100), 1);
    dg_web_backoff_fail(b, "login:zhang", 101);
    assert_int_equal(dg_web_backoff_wait(b, "login:zhang", 101), 2);
    dg_web_backoff_fail(b, "login:zhang", 103);
    assert_int_equal(dg_web_backoff_wait(b, "login:zhang", 103), 4);
    assert_int_equal(dg_web_backoff_wait(b, "addr:1.2.3.4", 103), 0);
    for (int i = 0; i < 40; i++)
        dg_web_backoff_fail(b, "login:zhang", 200);
    assert_int_equal(dg_web_backoff_wait(b, "login:zhang", 200), DG_WEB_MAX_BACKOFF);
    dg_web_backoff_clear(b, "login:zhang");
    assert_int_equal(dg_web_backoff_wait(b, "login:zhang", 200), 0);
    dg_web_backoff_free(b);
}

static void test_html_escapes_markup_controls_and_invalid_utf8(void **state)
{
    (void)state;
    dg_buf b;
    dg_buf_init(&b);
    dg_buf_text(&b, "<script>\"x\"&'y'</script>\x01\xff 寒假");
    assert_string_equal(b.data, "&lt;script&gt;&quot;x&quot;&amp;&#39;y&#39;&lt;/script&gt;"
                                "\xEF\xBF\xBD\xEF\xBF\xBD 寒假");
    dg_buf_free(&b);
    dg_buf_highlighted(&b, "a\x02<b>\x03 \x02open");
    assert_string_equal(b.data, "a<mark>&lt;b&gt;</mark> <mark>open</mark>");
    dg_buf_free(&b);
    dg_buf_url(&b, "X001-XZ·2024 a/b");
    assert_string_equal(b.data, "X001-XZ%C2%B72024%20a%2Fb");
    dg_buf_free(&b);
}

/* The escape as it was written first, one character at a time: the reference that the
 * run-copying dg_buf_text must match byte for byte. */
static void reference_escape(dg_buf *b, const char *s, size_t len)
{
    for (size_t at = 0; at < len;) {
        unsigned char c = (unsigned char)s[at];
        const char *esc = c == '&' ? "&amp;" : c == '<' ? "&lt;" : c == '>' ? "&gt;"
                        : c == '"' ? "&quot;" : c == '\'' ? "&#39;" : NULL;
        uint32_t cp;
        size_t n = c >= 0x80 ? dg_utf8_decode(s + at, len - at, &cp) : 1;
        if (esc)
            dg_buf_puts(b, esc);
        else if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7F || n == 0)
            dg_buf_puts(b, "\xEF\xBF\xBD");
        else
            dg_buf_add(b, s + at, n);
        at += n ? n : 1;
    }
}

static void test_html_escape_matches_one_character_at_a_time(void **state)
{
    (void)state;
    /* pieces that make runs, breaks and broken sequences when strung together at random */
    static const char *const pieces[] = {"a", "寒假", "<", ">", "&", "\"", "'", "\t", "\n",
                                         "\x01", "\x7f", "\xff", "\xe5\xaf", "\xc0\xaf",
                                         "\xed\xa0\x80", "\xf0\x9f\x98\x80", " ", "Z"};
    srand(18);
    for (int round = 0; round < 2000; round++) {
        char text[256] = "";
        size_t len = 0;
        for (int k = rand() % 12; k > 0; k--) {
            const char *piece = pieces[rand() % (int)(sizeof pieces / sizeof pieces[0])];
            memcpy(text + len, piece, strlen(piece) + 1);
            len += strlen(piece);
        }
        dg_buf got, want;
        dg_buf_init(&got);
        dg_buf_init(&want);
        dg_buf_text(&got, text);
        reference_escape(&want, text, len);
        if (!want.data)
            dg_buf_add(&want, "", 0);
        assert_string_equal(got.data ? got.data : "", want.data);
        dg_buf_free(&got);
        dg_buf_free(&want);
    }
}

static void test_languages_follow_accept_language(void **state)
{
    (void)state;
    assert_int_equal(dg_web_lang_negotiate(NULL), DG_LANG_HANS);
    assert_int_equal(dg_web_lang_negotiate("fr-FR"), DG_LANG_HANS);
    assert_int_equal(dg_web_lang_negotiate("zh-TW,zh;q=0.9"), DG_LANG_HANT);
    assert_int_equal(dg_web_lang_negotiate("zh-Hant-HK"), DG_LANG_HANT);
    assert_int_equal(dg_web_lang_negotiate("en-US,en;q=0.9"), DG_LANG_EN);
    assert_int_equal(dg_web_lang_negotiate("en;q=0.4,zh-CN;q=0.8"), DG_LANG_HANS);
    assert_int_equal(dg_web_lang_parse("zh-Hant"), DG_LANG_HANT);
    assert_int_equal(dg_web_lang_parse("xx"), -1);
    assert_string_equal(dg_web_category(DG_LANG_HANT, "finance"), "財務類");
    assert_string_equal(dg_web_category(DG_LANG_EN, "CW"), "Finance");
}

/* The directory an upload made: the only entry of $TMPDIR named dangan-upload-*. */
static int upload_dirs(const char *tmp)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "ls -d %s/dangan-upload-* 2>/dev/null | wc -l", tmp);
    FILE *f = popen(cmd, "r");
    int n = -1;
    assert_non_null(f);
    assert_int_equal(fscanf(f, "%d", &n), 1);
    pclose(f);
    return n;
}

static void test_upload_is_private_capped_and_removed(void **state)
{
    (void)state;
    char tmp[] = "/tmp/dangan-test-upload-XXXXXX";
    assert_non_null(mkdtemp(tmp));
    setenv("TMPDIR", tmp, 1);
    dg_web_upload *u;
    dg_error err;
    assert_int_equal(dg_web_upload_begin(&u, &err), DG_OK);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "test \"$(stat -c %%a %s/dangan-upload-*)\" = 700", tmp);
    assert_int_equal(system(cmd), 0);
    /* a file in two pieces, an empty file input (ignored), a manifest */
    assert_int_equal(dg_web_upload_data(u, "files", "C:\\scans\\a.txt", "ab", 0, 2, &err), DG_OK);
    assert_int_equal(dg_web_upload_data(u, "files", "C:\\scans\\a.txt", "cd", 2, 2, &err), DG_OK);
    assert_int_equal(dg_web_upload_data(u, "manifest", "", "", 0, 0, &err), DG_OK);
    assert_int_equal(dg_web_upload_data(u, "manifest", "m.csv", "x", 0, 1, &err), DG_OK);
    assert_int_equal(dg_web_upload_count(u), 1);
    assert_int_equal(dg_web_upload_data(u, "manifest", "n.csv", "x", 0, 1, &err), DG_ERR_USAGE);
    assert_non_null(strstr(dg_web_upload_error(u), "more than one manifest"));
    /* after a refusal everything is refused */
    assert_int_equal(dg_web_upload_data(u, "files", "b.txt", "x", 0, 1, &err), DG_ERR_USAGE);
    dg_web_upload_free(u);
    assert_int_equal(upload_dirs(tmp), 0);

    assert_int_equal(dg_web_upload_begin(&u, &err), DG_OK);
    for (int i = 0; i < DG_WEB_UPLOAD_FILES; i++)
        assert_int_equal(dg_web_upload_data(u, "files", "f.txt", "x", 0, 1, &err), DG_OK);
    assert_int_equal(dg_web_upload_data(u, "files", "g.txt", "x", 0, 1, &err), DG_ERR_USAGE);
    assert_non_null(strstr(dg_web_upload_error(u), "too many files"));
    dg_web_upload_free(u);

    assert_int_equal(dg_web_upload_begin(&u, &err), DG_OK);
    static char chunk[1024 * 1024];
    uint64_t off = 0;
    dg_status st = DG_OK;
    while (st == DG_OK && off <= DG_WEB_UPLOAD_BYTES) {
        st = dg_web_upload_data(u, "files", "big.tif", chunk, off, sizeof chunk, &err);
        off += sizeof chunk;
    }
    assert_int_equal(st, DG_ERR_USAGE);
    assert_int_equal(off, (uint64_t)DG_WEB_UPLOAD_BYTES + sizeof chunk);
    assert_non_null(strstr(dg_web_upload_error(u), "too large"));
    dg_web_upload_free(u);
    assert_int_equal(upload_dirs(tmp), 0);
    rmdir(tmp);
    unsetenv("TMPDIR");
}

static void test_upload_status_json(void **state)
{
    (void)state;
    dg_web_job_view v = {.state = DG_WEB_JOB_RUNNING, .done = 3, .total = 10, .files = 2};
    char *text = dg_web_job_status_json(&v);
    assert_string_equal(text, "{\"state\":\"running\",\"done\":3,\"total\":10,\"files\":2}");
    free(text);
    v.state = DG_WEB_JOB_DONE;
    text = dg_web_job_status_json(&v);
    assert_non_null(strstr(text, "\"state\":\"done\""));
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_password_login_works_and_failures_read_alike),
        cmocka_unit_test(test_password_change_moves_the_epoch_and_only_admins_set_others),
        cmocka_unit_test(test_sessions_end_when_idle_old_ended_or_their_login_ends),
        cmocka_unit_test(test_backoff_doubles_after_free_attempts_and_clears),
        cmocka_unit_test(test_html_escapes_markup_controls_and_invalid_utf8),
        cmocka_unit_test(test_html_escape_matches_one_character_at_a_time),
        cmocka_unit_test(test_languages_follow_accept_language),
        cmocka_unit_test(test_upload_is_private_capped_and_removed),
        cmocka_unit_test(test_upload_status_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
