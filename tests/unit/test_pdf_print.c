/* test_pdf_print.c — the printed tables (cli/pdf_print.h): Chinese text comes out of the
 * PDF as it went in, headings and page numbers are on every page, no row is lost at a page
 * break or to an over-long cell, the font is embedded and small, and a table that cannot
 * be printed is refused without a file. The PDFs are read back with MuPDF's own text
 * extraction, as a reader (or `mutool draw -F txt`) sees them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <mupdf/fitz.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/pdf_print.h"

typedef struct tmp {
    char dir[64];
    char path[128];
} tmp;

static void tmp_make(tmp *t)
{
    snprintf(t->dir, sizeof t->dir, "/tmp/dangan-pdf-XXXXXX");
    assert_non_null(mkdtemp(t->dir));
    snprintf(t->path, sizeof t->path, "%s/out.pdf", t->dir);
}

static void tmp_remove(tmp *t)
{
    unlink(t->path);
    rmdir(t->dir);
}

/* Text without white space: extraction puts spaces and line ends where it sees gaps. */
static char *squeeze(const char *s)
{
    char *out = malloc(strlen(s) + 1), *o = out;
    assert_non_null(out);
    for (; *s; s++)
        if (*s != ' ' && *s != '\n' && *s != '\t' && *s != '\r')
            *o++ = *s;
    *o = '\0';
    return out;
}

/* The text of each page, read back with MuPDF, squeezed or as extracted; *n pages. */
static char **page_texts_as(const char *path, int *n, int squeezed)
{
    fz_context *ctx = fz_new_context(NULL, NULL, FZ_STORE_DEFAULT);
    assert_non_null(ctx);
    fz_set_warning_callback(ctx, NULL, NULL);
    char **texts = NULL;
    fz_document *doc = NULL;
    fz_try(ctx) {
        fz_register_document_handlers(ctx);
        doc = fz_open_document(ctx, path);
        *n = fz_count_pages(ctx, doc);
        texts = calloc((size_t)*n, sizeof *texts);
        for (int i = 0; i < *n; i++) {
            fz_page *page = fz_load_page(ctx, doc, i);
            fz_buffer *buf = fz_new_buffer_from_page(ctx, page, NULL);
            const char *got = fz_string_from_buffer(ctx, buf);
            texts[i] = squeezed ? squeeze(got) : strdup(got);
            fz_drop_buffer(ctx, buf);
            fz_drop_page(ctx, page);
        }
    }
    fz_always(ctx)
        fz_drop_document(ctx, doc);
    fz_catch(ctx)
        fail_msg("cannot read %s back: %s", path, fz_caught_message(ctx));
    fz_drop_context(ctx);
    return texts;
}

static char **page_texts(const char *path, int *n)
{
    return page_texts_as(path, n, 1);
}

static void free_texts(char **texts, int n)
{
    for (int i = 0; i < n; i++)
        free(texts[i]);
    free(texts);
}

static int contains(const char *text, const char *want)
{
    char *w = squeeze(want);
    int found = strstr(text, w) != NULL;
    free(w);
    return found;
}

static const dg_pdf_column COLUMNS[] = {
    {"序号", 1, 0}, {"档号", 4, 1}, {"题名", 6, 1}, {"年度", 1.2f, 0}, {"页数", 1, 0}};
enum { NCOL = sizeof COLUMNS / sizeof COLUMNS[0] };

static dg_pdf_table sample_table(const char **cells, size_t rows)
{
    static const char *const subtitle[] = {"全宗：X001 测试学校档案室", "鉴定年度：2026"};
    static const char *const signatures[] = {"鉴定人", "批准人", "监销人", "监销人"};
    static const char *const notes[] = {"日志检查点：dangan.test/log 42 abc="};
    return (dg_pdf_table){.title = "销毁清册", .subtitle = subtitle, .n_subtitle = 2,
                          .columns = COLUMNS, .n_columns = NCOL, .cells = cells,
                          .n_rows = rows, .notes = notes, .n_notes = 1,
                          .signatures = signatures, .n_signatures = 4};
}

static void test_pdf_prints_chinese_title_headings_cells_and_signature_lines(void **state)
{
    (void)state;
    tmp t;
    tmp_make(&t);
    const char *cells[] = {"1", "X001-CW·2015-D10-0001", "2015年度报销凭证", "2015", "12",
                           "2", "X001-XZ·2015-D10-0002", "关于寒假安排的通知", "2015", "3"};
    dg_pdf_table table = sample_table(cells, 2);
    dg_error err;
    int pages = 0;
    assert_int_equal(dg_pdf_print(&table, t.path, &pages, &err), DG_OK);
    assert_int_equal(pages, 1);
    struct stat sb;
    assert_int_equal(stat(t.path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    /* The font is embedded as a subset: far below the 19 MiB collection it comes from. */
    assert_true(sb.st_size > 1000 && sb.st_size < 1024 * 1024);
    int n;
    char **text = page_texts(t.path, &n);
    assert_int_equal(n, 1);
    const char *want[] = {"销毁清册", "全宗：X001 测试学校档案室", "序号", "档号", "题名",
                          "年度", "页数", "X001-CW·2015-D10-0001", "2015年度报销凭证",
                          "关于寒假安排的通知", "日志检查点：dangan.test/log 42 abc=",
                          "鉴定人：", "批准人：", "监销人：", "日期：", "第 1 页 / 共 1 页"};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        if (!contains(text[0], want[i]))
            fail_msg("missing \"%s\" in: %s", want[i], text[0]);
    free_texts(text, n);
    tmp_remove(&t);
}

static void test_pdf_many_rows_run_over_pages_with_headings_and_numbers_on_each(void **state)
{
    (void)state;
    tmp t;
    tmp_make(&t);
    enum { ROWS = 150 };
    static char buf[ROWS][NCOL][48];
    const char *cells[ROWS * NCOL];
    for (int r = 0; r < ROWS; r++) {
        snprintf(buf[r][0], 48, "%d", r + 1);
        snprintf(buf[r][1], 48, "X001-RS·2010-D30-%04d", r + 1);
        snprintf(buf[r][2], 48, "人事档案第%04d件", r + 1);
        snprintf(buf[r][3], 48, "2010");
        snprintf(buf[r][4], 48, "%d", r % 9 + 1);
        for (int c = 0; c < NCOL; c++)
            cells[r * NCOL + c] = buf[r][c];
    }
    dg_pdf_table table = sample_table(cells, ROWS);
    dg_error err;
    int pages = 0;
    assert_int_equal(dg_pdf_print(&table, t.path, &pages, &err), DG_OK);
    int n;
    char **text = page_texts(t.path, &n);
    assert_true(n >= 3);
    assert_int_equal(pages, n);
    for (int i = 0; i < n; i++) {
        char footer[64];
        snprintf(footer, sizeof footer, "第%d页/共%d页", i + 1, n);
        assert_true(contains(text[i], footer));
        assert_true(contains(text[i], "序号档号题名年度页数"));
        if (i > 0) /* a continuation page names the document */
            assert_true(contains(text[i], "销毁清册（续）"));
    }
    /* Every row is printed, once, on some page. */
    for (int r = 0; r < ROWS; r++) {
        int seen = 0;
        for (int i = 0; i < n; i++)
            seen += contains(text[i], buf[r][2]);
        if (seen != 1)
            fail_msg("row %d printed %d times", r + 1, seen);
    }
    /* The signature lines come last. */
    assert_true(contains(text[n - 1], "监销人："));
    assert_false(contains(text[0], "监销人："));
    free_texts(text, n);
    tmp_remove(&t);
}

static void test_pdf_overlong_cells_wrap_or_are_cut_and_the_next_row_still_prints(void **state)
{
    (void)state;
    tmp t;
    tmp_make(&t);
    size_t len = 20000;
    char *huge = malloc(len * 3 + 1), *p = huge;
    assert_non_null(huge);
    for (size_t i = 0; i < len; i++, p += 3)
        memcpy(p, i % 2 ? "档" : "案", 3);
    *p = '\0';
    const char *cells[] = {
        "1", "X001-CW·2015-D10-0001", huge, "2015", "12",
        /* a column that does not wrap: cut to one line */
        "22222222222222222222222222222222", "X001-CW·2015-D10-0002", "短题名", "2015", "3"};
    dg_pdf_table table = sample_table(cells, 2);
    dg_error err;
    int pages = 0;
    assert_int_equal(dg_pdf_print(&table, t.path, &pages, &err), DG_OK);
    int n;
    char **text = page_texts(t.path, &n);
    /* The long title is wrapped over one page and cut there, not over dozens of pages. */
    assert_true(n <= 3);
    assert_true(contains(text[0], "案档案档案档"));
    assert_true(contains(text[0], "…"));
    int second_row = 0;
    for (int i = 0; i < n; i++)
        second_row += contains(text[i], "X001-CW·2015-D10-0002短题名");
    assert_int_equal(second_row, 1);
    /* The serial column does not wrap: its 32 digits are cut with "…". */
    int cut = 0;
    for (int i = 0; i < n; i++)
        cut += contains(text[i], "…X001-CW·2015-D10-0002") || contains(text[i], "2…");
    assert_int_equal(cut, 1);
    for (int i = 0; i < n; i++)
        assert_null(strstr(text[i], "22222222222222222222222222222222"));
    free_texts(text, n);
    free(huge);
    tmp_remove(&t);
}

static void test_pdf_an_empty_table_says_none(void **state)
{
    (void)state;
    tmp t;
    tmp_make(&t);
    dg_pdf_table table = sample_table(NULL, 0);
    table.empty = "本年度无销毁记录";
    dg_error err;
    assert_int_equal(dg_pdf_print(&table, t.path, NULL, &err), DG_OK);
    int n;
    char **text = page_texts(t.path, &n);
    assert_int_equal(n, 1);
    assert_true(contains(text[0], "本年度无销毁记录"));
    free_texts(text, n);
    tmp_remove(&t);
}

static void test_pdf_a_title_wider_than_the_page_is_cut(void **state)
{
    (void)state;
    tmp t;
    tmp_make(&t);
    char title[64 * 3 + 1] = "";
    for (int i = 0; i < 64; i++)
        strcat(title, i % 2 ? "册" : "清");
    dg_pdf_table table = sample_table(NULL, 0);
    table.title = title;
    dg_error err;
    assert_int_equal(dg_pdf_print(&table, t.path, NULL, &err), DG_OK);
    int n;
    char **text = page_texts(t.path, &n);
    assert_int_equal(n, 1);
    assert_true(contains(text[0], "清册清册清册"));
    assert_true(contains(text[0], "…"));
    assert_false(contains(text[0], title));
    free_texts(text, n);
    tmp_remove(&t);
}

static void expect_refused(dg_pdf_table *table, const char *path, dg_status want)
{
    dg_error err;
    dg_error_clear(&err);
    assert_int_equal(dg_pdf_print(table, path, NULL, &err), want);
    assert_non_null(strstr(err.msg, *path ? path : "PDF"));
    assert_int_not_equal(access(path, F_OK), 0); /* no file, not even half of one */
}

/* A character no Chinese font has (an Egyptian hieroglyph stands for a rare character of a
 * name) and a control picture the log writes for a control byte are printed by name, so the
 * paper says which they were; a "?" would not. The characters around them still print. */
static void test_pdf_prints_a_character_the_font_lacks_by_name(void **state)
{
    (void)state;
    tmp t;
    tmp_make(&t);
    const char *cells[] = {"1", "X001-RS·2015-Y-0001", "张\xf0\x93\x80\x80三 查询\xe2\x90\x80词",
                           "2015", "1"};
    dg_pdf_table table = sample_table(cells, 1);
    dg_error err;
    int pages = 0;
    assert_int_equal(dg_pdf_print(&table, t.path, &pages, &err), DG_OK);
    int n;
    char **text = page_texts(t.path, &n);
    assert_int_equal(n, 1);
    if (!contains(text[0], "张[U+13000]三查询[NUL]词"))
        fail_msg("a missing character not printed by name: %s", text[0]);
    assert_null(strchr(text[0], '?'));
    free_texts(text, n);
    tmp_remove(&t);
}

/* A Latin word that does not fit after the Chinese before it starts the next line whole
 * ("（账号）administrator" is not printed as "（账号）admi" / "nistrator"), wherever the
 * line runs out. */
static void test_pdf_a_latin_word_is_not_broken_after_chinese(void **state)
{
    (void)state;
    for (int m = 6; m <= 16; m++) {
        tmp t;
        tmp_make(&t);
        char title[128] = "";
        for (int i = 0; i < m; i++)
            strcat(title, "档");
        strcat(title, "administrator");
        const char *cells[] = {"1", title, "题名", "2015", "1"};
        dg_pdf_table table = sample_table(cells, 1);
        dg_error err;
        int pages = 0;
        assert_int_equal(dg_pdf_print(&table, t.path, &pages, &err), DG_OK);
        int n;
        char **text = page_texts_as(t.path, &n, 0);
        if (!strstr(text[0], "administrator"))
            fail_msg("with %d Chinese characters before it the word was broken: %s", m, text[0]);
        free_texts(text, n);
        tmp_remove(&t);
    }
}

static void test_pdf_refuses_tables_it_cannot_print(void **state)
{
    (void)state;
    tmp t;
    tmp_make(&t);
    const char *cells[] = {"1", "X", "题名", "2015", "1"};
    dg_pdf_table table = sample_table(cells, 1);
    table.title = NULL;
    expect_refused(&table, t.path, DG_ERR_USAGE);
    table = sample_table(cells, 1);
    table.n_columns = 0;
    expect_refused(&table, t.path, DG_ERR_USAGE);
    dg_pdf_column many[DG_PDF_MAX_COLUMNS + 1];
    for (int i = 0; i <= DG_PDF_MAX_COLUMNS; i++)
        many[i] = (dg_pdf_column){"列", 1, 1};
    table.columns = many;
    table.n_columns = DG_PDF_MAX_COLUMNS + 1;
    expect_refused(&table, t.path, DG_ERR_USAGE);
    dg_pdf_column no_width[NCOL];
    memcpy(no_width, COLUMNS, sizeof no_width);
    no_width[2].width = 0;
    table = sample_table(cells, 1);
    table.columns = no_width;
    expect_refused(&table, t.path, DG_ERR_USAGE);
    no_width[2] = (dg_pdf_column){NULL, 1, 1};
    expect_refused(&table, t.path, DG_ERR_USAGE);
    const char *bad[] = {"1", "X", "\xff\xfe title", "2015", "1"};
    table = sample_table(bad, 1);
    expect_refused(&table, t.path, DG_ERR_USAGE);
    table = sample_table(NULL, 3);
    expect_refused(&table, t.path, DG_ERR_USAGE);
    table = sample_table(cells, 1);
    table.font_path = "/nonexistent/font.ttf";
    expect_refused(&table, t.path, DG_ERR_NOT_FOUND);
    table.font_path = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc";
    table.font_index = 99; /* no such face in the collection */
    expect_refused(&table, t.path, DG_ERR_BAD_INPUT);
    table = sample_table(cells, 1);
    expect_refused(&table, "/nonexistent-dir/out.pdf", DG_ERR_IO);
    expect_refused(&table, "", DG_ERR_USAGE);
    tmp_remove(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pdf_prints_chinese_title_headings_cells_and_signature_lines),
        cmocka_unit_test(test_pdf_many_rows_run_over_pages_with_headings_and_numbers_on_each),
        cmocka_unit_test(test_pdf_overlong_cells_wrap_or_are_cut_and_the_next_row_still_prints),
        cmocka_unit_test(test_pdf_an_empty_table_says_none),
        cmocka_unit_test(test_pdf_a_title_wider_than_the_page_is_cut),
        cmocka_unit_test(test_pdf_prints_a_character_the_font_lacks_by_name),
        cmocka_unit_test(test_pdf_a_latin_word_is_not_broken_after_chinese),
        cmocka_unit_test(test_pdf_refuses_tables_it_cannot_print),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
