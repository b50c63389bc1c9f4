/* test_render.c — what people read: text output escapes control characters from names
 * others chose (so nobody can forge a line or drive the auditor's terminal), and every
 * CSV opens in Excel on Chinese Windows without running a formula. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/csv.h"
#include "cli/render.h"
#include "cli/render_retention.h"

/* Renders r with fn into a string the caller frees (the response is escaped first unless
 * csv, as the command line does). */
static char *render(void (*fn)(json_t *, const dg_render_ctx *), json_t *r, int csv)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    assert_non_null(out);
    int exit_code = 0;
    if (!csv)
        dg_render_escape_controls(r);
    dg_render_ctx ctx = {.out = out, .tty = 0, .csv = csv, .args = NULL, .exit_code = &exit_code};
    fn(r, &ctx);
    assert_int_equal(fclose(out), 0);
    return text;
}

static int count_char(const char *text, char c)
{
    int n = 0;
    for (; *text; text++)
        n += *text == c;
    return n;
}

static void assert_no_control_bytes(const char *text, const char *allowed)
{
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        if (*p < 0x20 || *p == 0x7F)
            assert_non_null(strchr(allowed, *p));
        if (p[0] == 0xC2)
            assert_false(p[1] >= 0x80 && p[1] <= 0x9F); /* C1 */
        if (p[0] == 0xE2 && p[1] == 0x80)
            assert_false(p[2] >= 0xAA && p[2] <= 0xAE); /* bidi overrides */
    }
}

/* A staff member's search query carrying a newline and a forged entry, plus ANSI, OSC and
 * C1 sequences and a right-to-left override: one line on the auditor's screen, per entry. */
static void test_log_text_escapes_a_forged_line_and_terminal_sequences(void **state)
{
    (void)state;
    const char *query = "x\n    9 2024-05-01T00:00:00Z audit    search   ok query=\"clean\""
                        "\x1b[2J\x1b]0;owned\x07\xc2\x9b" "31m\xe2\x80\xae" "cba";
    json_t *r = json_pack("{s:[{s:i, s:s, s:s, s:s, s:s, s:s, s:i, s:s, s:s}]}", "entries",
                          "id", 7, "at", "2024-05-01T00:00:00Z", "user", "zhang", "origin",
                          "cli", "action", "search", "query", query, "hits", 0, "outcome",
                          "ok", "detail", "a\rb");
    char *text = render(dg_render_log, r, 0);
    assert_int_equal(count_char(text, '\n'), 1);
    assert_no_control_bytes(text, "\n");
    assert_non_null(strstr(text, "x\\n    9 2024"));
    assert_non_null(strstr(text, "\\x1b[2J\\x1b]0;owned\\x07\\u009b31m\\u202ecba"));
    assert_non_null(strstr(text, "(a\\rb)"));
    free(text);
    json_decref(r);
}

/* A record's text keeps its lines and tabs; its title and version reasons do not. */
static void test_show_keeps_text_lines_but_escapes_titles_and_reasons(void **state)
{
    (void)state;
    json_t *r = json_pack(
        "{s:s, s:i, s:i, s:s, s:{s:i, s:s, s:s, s:s}, s:[{s:i, s:s, s:s, s:s}], s:s}",
        "refcode", "X001-XZ·2024-D10-0001", "current_version", 1, "level", 1, "level_name",
        "内部", "version", "number", 1, "title", "通知\nLevel:        0 公开", "category",
        "admin", "source_file", "a\x1b[8mb.txt", "versions", "number", 1, "created_at",
        "2024-01-01", "author", "zhang", "reason", "first\x1b]8;;http://x\x07", "text",
        "第一行\n\t第二行\x1b[31m\n");
    char *text = render(dg_render_show, r, 0);
    assert_non_null(strstr(text, "通知\\nLevel:        0 公开"));
    assert_non_null(strstr(text, "a\\x1b[8mb.txt"));
    assert_non_null(strstr(text, "first\\x1b]8;;http://x\\x07"));
    assert_non_null(strstr(text, "第一行\n\t第二行\\x1b[31m\n"));
    assert_no_control_bytes(text, "\n\t");
    free(text);
    json_decref(r);
}

/* Snippets keep their highlight markers (shown as [ ]); nothing else gets through. */
static void test_search_snippet_keeps_highlights_only(void **state)
{
    (void)state;
    json_t *r = json_pack("{s:i, s:i, s:s, s:[{s:s, s:s, s:s, s:i, s:b, s:i, s:s}], s:{}}",
                          "total", 1, "offset", 0, "query", "报销", "hits", "refcode", "R1",
                          "title", "t\x1b[1m", "category", "finance", "version", 1, "current",
                          1, "level", 1, "snippet", "差旅\x02报销\x03\x1b[5m", "facets");
    char *text = render(dg_render_search, r, 0);
    assert_non_null(strstr(text, "差旅[报销]\\x1b[5m"));
    assert_non_null(strstr(text, "t\\x1b[1m"));
    assert_no_control_bytes(text, "\n");
    free(text);
    json_decref(r);
}

/* Excel on Chinese Windows: a BOM, CRLF, RFC 4180 quoting; formulas arrive as text. */
static void test_csv_has_bom_crlf_quoting_and_neutralised_formulas(void **state)
{
    (void)state;
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    const char *head[] = {"a", "b"};
    const char *row1[] = {"=HYPERLINK(\"http://x\",\"点我\")", "+1"};
    const char *row2[] = {"-2+3", "@SUM(A1)"};
    const char *row3[] = {"\tx", "\rx"};
    const char *row4[] = {"报销, \"通知\"\n第二行", "1-2"};
    dg_csv_header(out, head, 2);
    dg_csv_row(out, row1, 2);
    dg_csv_row(out, row2, 2);
    dg_csv_row(out, row3, 2);
    dg_csv_row(out, row4, 2);
    assert_int_equal(fclose(out), 0);
    const char *want = "\xEF\xBB\xBF\"a\",\"b\"\r\n"
                       "\"'=HYPERLINK(\"\"http://x\"\",\"\"点我\"\")\",\"'+1\"\r\n"
                       "\"'-2+3\",\"'@SUM(A1)\"\r\n"
                       "\"'\tx\",\"'\rx\"\r\n"
                       "\"报销, \"\"通知\"\"\n第二行\",\"1-2\"\r\n";
    assert_string_equal(text, want);
    free(text);
}

/* Every --csv listing goes through that writer: the log, the register, retention. */
static void test_every_csv_listing_uses_the_one_writer(void **state)
{
    (void)state;
    json_t *log = json_pack("{s:[{s:i, s:s, s:s, s:s}]}", "entries", "id", 1, "user", "zhang",
                            "action", "search", "query", "=cmd|' /C calc'!A0");
    char *text = render(dg_render_log, log, 1);
    assert_memory_equal(text, "\xEF\xBB\xBF\"id\"", 7);
    assert_non_null(strstr(text, "\"'=cmd|' /C calc'!A0\""));
    assert_non_null(strstr(text, "\r\n"));
    assert_null(strstr(text, "\"\n"));
    free(text);
    json_decref(log);
    json_t *reg = json_pack("{s:[{s:i, s:s, s:s, s:b}]}", "entries", "serial", 1, "refcode",
                            "R1", "title", "@evil", "intact", 1);
    text = render(dg_render_register, reg, 1);
    assert_memory_equal(text, "\xEF\xBB\xBF", 3);
    assert_non_null(strstr(text, "\"'@evil\""));
    free(text);
    json_decref(reg);
    json_t *list = json_pack("{s:{}, s:[{s:i, s:s, s:s, s:s}]}", "review", "items", "serial", 1,
                             "refcode", "R1", "title", "+title", "reason", "-reason");
    text = render(dg_render_retention_list, list, 1);
    assert_memory_equal(text, "\xEF\xBB\xBF", 3);
    assert_non_null(strstr(text, "\"'+title\""));
    assert_non_null(strstr(text, "\"'-reason\""));
    free(text);
    json_decref(list);
    json_t *due = json_pack("{s:[{s:s, s:s}]}", "records", "refcode", "R1", "title", "=1+1");
    text = render(dg_render_due, due, 1);
    assert_memory_equal(text, "\xEF\xBB\xBF", 3);
    assert_non_null(strstr(text, "\"'=1+1\""));
    free(text);
    json_decref(due);
}

/* --json prints through dg_render_json's own buffer: byte for byte what jansson's
 * json_dumpf(JSON_INDENT(2)) prints, across many buffer fills, with a string longer than
 * the buffer (written straight through) and escapes, Chinese, nulls and nesting. */
static void test_json_output_is_jansson_indent_2_byte_for_byte(void **state)
{
    (void)state;
    json_t *items = json_array();
    for (int i = 0; i < 20000; i++)
        json_array_append_new(items, json_pack("{s:i, s:s, s:n, s:b, s:[s, f]}", "serial", i,
                                               "title", i % 7 ? "会议纪要 \"quoted\"\n\t/x"
                                                              : "\x01 control",
                                               "decision", "on_hold", i % 2, "more", "档案",
                                               i / 3.0));
    size_t long_len = 200 * 1024;
    char *long_text = malloc(long_len + 1);
    assert_non_null(long_text);
    for (size_t i = 0; i < long_len; i++)
        long_text[i] = (char)('a' + i % 26);
    long_text[long_len] = '\0';
    json_t *value = json_pack("{s:s, s:o, s:{}, s:[]}", "long", long_text, "items", items,
                              "empty", "none");
    free(long_text);
    assert_non_null(value);

    char *want = NULL, *got = NULL;
    size_t want_len = 0, got_len = 0;
    FILE *out = open_memstream(&want, &want_len);
    assert_int_equal(json_dumpf(value, out, JSON_INDENT(2)), 0);
    assert_int_equal(fclose(out), 0);
    out = open_memstream(&got, &got_len);
    assert_int_equal(dg_render_json(value, out), 0);
    assert_int_equal(fclose(out), 0);
    assert_true(want_len > 4 * 64 * 1024);
    assert_int_equal(got_len, want_len);
    assert_memory_equal(got, want, want_len);
    free(want);
    free(got);

    json_t *small = json_pack("[i, s]", 1, "x");
    out = open_memstream(&got, &got_len);
    assert_int_equal(dg_render_json(small, out), 0);
    assert_int_equal(fclose(out), 0);
    assert_string_equal(got, "[\n  1,\n  \"x\"\n]");
    free(got);
    json_decref(small);
    json_decref(value);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_log_text_escapes_a_forged_line_and_terminal_sequences),
        cmocka_unit_test(test_show_keeps_text_lines_but_escapes_titles_and_reasons),
        cmocka_unit_test(test_search_snippet_keeps_highlights_only),
        cmocka_unit_test(test_csv_has_bom_crlf_quoting_and_neutralised_formulas),
        cmocka_unit_test(test_every_csv_listing_uses_the_one_writer),
        cmocka_unit_test(test_json_output_is_jansson_indent_2_byte_for_byte),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
