/*
 * test_index.c — the full-text index: cross-script and width folding, stemming, phrases,
 * field prefixes, document numbers, filters, versions, the clearance filter (with a
 * property test against a brute-force model), malformed queries, snippets, and that
 * deleted text leaves no trace on disk after compaction.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "index/index.h"

/* ---- fixture: a fresh index in a temporary folder per test ---------------------------- */

typedef struct fixture {
    char dir[64];
    char path[128];
    dg_index *index;
} fixture;

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    strcpy(f->dir, "/tmp/dg-test-index-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof f->path, "%s/index", f->dir);
    dg_error err;
    assert_int_equal(dg_index_open(f->path, DG_INDEX_WRITE, &f->index, &err), DG_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    dg_index_close(f->index);
    nftw(f->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(f);
    return 0;
}

static dg_index_doc doc_of(int64_t id, const char *title, const char *body)
{
    dg_index_doc d = {0};
    d.version_id = id;
    d.record_id = id;
    d.version_number = 1;
    d.is_current = 1;
    d.title = title;
    d.body = body;
    d.category = "XZ";
    d.period = "D10";
    d.year = 2024;
    d.level = 0;
    return d;
}

static void put(fixture *f, const dg_index_doc *d)
{
    dg_error err;
    dg_status st = dg_index_put(f->index, d, &err);
    if (st != DG_OK)
        fail_msg("put: %s", err.msg);
}

static void commit(fixture *f)
{
    dg_error err;
    assert_int_equal(dg_index_commit(f->index, &err), DG_OK);
}

static const dg_index_viewer EVERYONE = {1, 4};

static dg_index_query query_of(const char *text)
{
    dg_index_query q = {0};
    q.text = text;
    q.level = -1;
    q.limit = 100;
    return q;
}

static dg_index_result *run(fixture *f, const dg_index_viewer *v, const dg_index_query *q)
{
    dg_index_result *r = NULL;
    dg_error err;
    dg_status st = dg_index_search(f->index, v, q, "[", "]", &r, &err);
    if (st != DG_OK)
        fail_msg("search '%s': %s", q->text ? q->text : "", err.msg);
    return r;
}

/* Total hits of text for a viewer who sees everything. */
static uint64_t count(fixture *f, const char *text)
{
    dg_index_query q = query_of(text);
    dg_index_result *r = run(f, &EVERYONE, &q);
    uint64_t total = r->total;
    dg_index_result_free(r);
    return total;
}

/* The version id of the single hit of text, or -1. */
static int64_t only_hit(fixture *f, const char *text)
{
    dg_index_query q = query_of(text);
    dg_index_result *r = run(f, &EVERYONE, &q);
    int64_t id = r->total == 1 && r->n_hits == 1 ? r->hits[0].version_id : -1;
    dg_index_result_free(r);
    return id;
}

/* Total hits of text through index (a reader of the fixture's folder), for everyone. */
static uint64_t total_through(dg_index *index, const char *text)
{
    dg_index_query q = query_of(text);
    dg_index_result *r = NULL;
    dg_error err;
    if (dg_index_search(index, &EVERYONE, &q, "", "", &r, &err) != DG_OK)
        fail_msg("search '%s': %s", text, err.msg);
    uint64_t total = r->total;
    assert_int_equal(r->n_hits, total < q.limit ? total : q.limit);
    dg_index_result_free(r);
    return total;
}

/* ---- text matching --------------------------------------------------------------------- */

static void test_traditional_and_simplified_find_each_other(void **state)
{
    fixture *f = *state;
    dg_index_doc a = doc_of(1, "关于权限管理的通知", "各部门的档案权限调整如下。");
    dg_index_doc b = doc_of(2, "檔案室工作規程", "本規程規定檔案借閱權限。");
    put(f, &a);
    put(f, &b);
    commit(f);
    assert_int_equal(count(f, "權限"), 2);
    assert_int_equal(count(f, "权限"), 2);
    assert_int_equal(only_hit(f, "规程"), 2);
    assert_int_equal(only_hit(f, "管理"), 1);
    assert_int_equal(only_hit(f, "權限 管理"), 1);
    assert_int_equal(count(f, "檔案"), 2);
    assert_int_equal(count(f, "档案"), 2);
}

static void test_full_width_digits_and_letters_match_ascii(void **state)
{
    fixture *f = *state;
    dg_index_doc a = doc_of(1, "设备清单", "编号１２３的设备，型号ＡＢＣ。");
    dg_index_doc b = doc_of(2, "设备清单二", "编号456 model XYZ.");
    put(f, &a);
    put(f, &b);
    commit(f);
    assert_int_equal(only_hit(f, "123"), 1);
    assert_int_equal(only_hit(f, "abc"), 1);
    assert_int_equal(only_hit(f, "４５６"), 2);
    assert_int_equal(only_hit(f, "ｘｙｚ"), 2);
}

static void test_english_words_match_other_forms(void **state)
{
    fixture *f = *state;
    dg_index_doc a = doc_of(1, "Annual report", "The annual report of the library.");
    dg_index_doc b = doc_of(2, "Budget", "Departments file their reports in March.");
    dg_index_doc c = doc_of(3, "Other", "Nothing relevant here.");
    put(f, &a);
    put(f, &b);
    put(f, &c);
    commit(f);
    assert_int_equal(count(f, "reports"), 2);
    assert_int_equal(count(f, "report"), 2);
    assert_int_equal(count(f, "reporting"), 2);
    assert_int_equal(count(f, "report library"), 1); /* default operator is AND */
}

static void test_quoted_phrase_needs_adjacent_words(void **state)
{
    fixture *f = *state;
    dg_index_doc a = doc_of(1, "t1", "the budget meeting was held");
    dg_index_doc b = doc_of(2, "t2", "the meeting about the budget");
    dg_index_doc c = doc_of(3, "t3", "会议纪要：预算会议");
    dg_index_doc d = doc_of(4, "t4", "纪要的会议");
    put(f, &a);
    put(f, &b);
    put(f, &c);
    put(f, &d);
    commit(f);
    assert_int_equal(count(f, "budget meeting"), 2);
    assert_int_equal(only_hit(f, "\"budget meeting\""), 1);
    assert_int_equal(only_hit(f, "\"会议纪要\""), 3);
    assert_int_equal(count(f, "会议 纪要"), 2);
}

/*
 * The body's Chinese characters carry no positions in the index (format 4): a quoted phrase
 * over them is checked on the stored text, and must match exactly what positions matched:
 * across punctuation (which takes no position), not across a word or digits (which take
 * one), across a word the term generator drops (longer than 64 bytes), in the title (whose
 * positions the index keeps), mixed with digits, and never a record the viewer may not see.
 */
static void test_chinese_phrases_match_as_positions_did(void **state)
{
    fixture *f = *state;
    char long_word[200];
    snprintf(long_word, sizeof long_word, "经费%0*d报销", 70, 0); /* 70 digits: dropped */
    dg_index_doc docs[] = {
        doc_of(1, "t1", "经费，报销"),     doc_of(2, "t2", "关于经费报销的通知"),
        doc_of(3, "t3", "经费和报销"),     doc_of(4, "t4", "经费abc报销"),
        doc_of(5, "经费报销办法", "无关"), doc_of(6, "t6", long_word),
        doc_of(7, "t7", "经费AT&T报销"),   doc_of(8, "t8", "2024年预算"),
        doc_of(9, "t9", "2024 年预算"),    doc_of(10, "t10", "2024，年度"),
        doc_of(11, "t11", "2024 x 年"),    doc_of(12, "t12", "经费报销，2024年"),
        doc_of(13, "t13", "报销经费"),
    };
    docs[11].level = 4; /* above the staff viewer's clearance */
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++)
        put(f, &docs[i]);
    commit(f);
    assert_int_equal(count(f, "\"经费报销\""), 5);  /* 1 2 5 6 12 */
    assert_int_equal(count(f, "\"经费，报销\""), 5); /* the same phrase */
    assert_int_equal(count(f, "\"报销经费\""), 1);   /* 13 */
    assert_int_equal(count(f, "经费报销"), 9);       /* not quoted: every record holding both words */
    assert_int_equal(only_hit(f, "\"经费报销办法\""), 5);
    assert_int_equal(count(f, "\"2024年\""), 4);    /* 8 9 10 12 */
    assert_int_equal(count(f, "\"2024年\" NOT \"经费报销\""), 3);
    assert_int_equal(count(f, "\"经费报销\" OR \"2024年预算\""), 7);
    dg_index_viewer staff = {2, 1};
    dg_index_query q = query_of("\"经费报销\"");
    dg_index_result *r = run(f, &staff, &q);
    assert_int_equal(r->total, 4);
    for (size_t i = 0; i < r->n_hits; i++)
        assert_true(r->hits[i].version_id != 12);
    dg_index_result_free(r);
    /* A reader counts on its own thread, from the serialised query. */
    dg_index *reader = NULL;
    dg_error err;
    assert_int_equal(dg_index_open(f->path, DG_INDEX_READ, &reader, &err), DG_OK);
    assert_int_equal(total_through(reader, "\"经费报销\""), 5);
    assert_int_equal(total_through(reader, "\"2024年\""), 4);
    assert_int_equal(total_through(reader, "\"经费报销\""), 5); /* counts kept */
    dg_index_close(reader);
}

/*
 * The phrase check looks at every place the phrase's first character stands (a first place
 * that fails must not hide a later one), lets punctuation and spaces stand between its
 * characters but not a word, and counts with other words and filters (the counting pass asks
 * only about records every other part of the query holds) what the ranked pass shows.
 */
static void test_chinese_phrase_checks_every_place(void **state)
{
    fixture *f = *state;
    dg_index_doc docs[] = {
        doc_of(1, "t1", "经经费报销，预算"), doc_of(2, "t2", "经费abc报销，经费报销"),
        doc_of(3, "t3", "经费和报销 abc"),   doc_of(4, "t4", "经费abc报销 预算"),
        doc_of(5, "t5", "经 费 报 销"),      doc_of(6, "t6", "经费报 预算"),
        doc_of(7, "t7", "经费报销 预算"),    doc_of(8, "t8", "经费报销预算"),
        doc_of(9, "t9", "经费报销。预算"),
    };
    docs[6].year = 2023;
    docs[8].level = 3; /* above the staff viewer's clearance */
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++)
        put(f, &docs[i]);
    commit(f);
    assert_int_equal(count(f, "\"经费报销\""), 6);      /* 1 2 5 7 8 9 */
    assert_int_equal(count(f, "\"经费报销\" 预算"), 4); /* 1 7 8 9 */
    assert_int_equal(count(f, "\"费报销预\""), 4);     /* 1 7 8 9: across a space, a comma */
    assert_int_equal(count(f, "预算 NOT \"经费报销\""), 2); /* 4 6 */
    dg_index_query q = query_of("\"经费报销\" 预算");
    q.year_from = q.year_to = 2023;
    dg_index_result *r = run(f, &EVERYONE, &q);
    assert_int_equal(r->total, 1);
    assert_int_equal(r->n_hits, 1);
    assert_int_equal(r->hits[0].version_id, 7);
    dg_index_result_free(r);
    dg_index *reader = NULL;
    dg_error err;
    assert_int_equal(dg_index_open(f->path, DG_INDEX_READ, &reader, &err), DG_OK);
    assert_int_equal(total_through(reader, "\"经费报销\" 预算"), 4);
    assert_int_equal(total_through(reader, "预算 NOT \"经费报销\""), 2);
    /* The reader keeps each level's verdicts for the next viewer (staff reads levels 0 and
     * 1 only, and never record 9), and a commit makes them afresh. */
    dg_index_viewer staff = {2, 1};
    dg_index_query phrase = query_of("\"经费报销\" 预算");
    dg_index_result *seen = NULL;
    assert_int_equal(dg_index_search(reader, &staff, &phrase, "", "", &seen, &err), DG_OK);
    assert_int_equal(seen->total, 3);
    for (size_t i = 0; i < seen->n_hits; i++)
        assert_true(seen->hits[i].version_id != 9);
    dg_index_result_free(seen);
    dg_index_doc more = doc_of(10, "t10", "经费，报销预算");
    dg_index_doc changed = doc_of(1, "t1", "经费和报销，预算"); /* no longer holds it */
    put(f, &more);
    put(f, &changed);
    commit(f);
    assert_int_equal(total_through(reader, "\"经费报销\" 预算"), 4); /* 7 8 9 10 */
    assert_int_equal(dg_index_search(reader, &staff, &phrase, "", "", &seen, &err), DG_OK);
    assert_int_equal(seen->total, 3); /* 7 8 10 */
    for (size_t i = 0; i < seen->n_hits; i++)
        assert_true(seen->hits[i].version_id != 1 && seen->hits[i].version_id != 9);
    dg_index_result_free(seen);
    dg_index_close(reader);
}

static void test_field_prefixes_search_only_their_field(void **state)
{
    fixture *f = *state;
    dg_index_doc a = doc_of(1, "Enrollment plan", "nothing about budgets");
    a.doc_number = "校办〔2024〕12号";
    a.refcode = "X001-XZ·2024-D10-BGS-0001";
    dg_index_doc b = doc_of(2, "Budget", "the enrollment numbers");
    b.doc_number = "财〔2023〕3号";
    b.refcode = "X001-CW·2023-D30-0007";
    put(f, &a);
    put(f, &b);
    commit(f);
    assert_int_equal(count(f, "enrollment"), 2);
    assert_int_equal(only_hit(f, "title:enrollment"), 1);
    assert_int_equal(only_hit(f, "title:budget"), 2);
    assert_int_equal(only_hit(f, "no:财"), 2);
    assert_int_equal(only_hit(f, "ref:X001-XZ·2024-D10-BGS-0001"), 1);
    assert_int_equal(only_hit(f, "ref:0007"), 2);
    assert_int_equal(count(f, "bgs"), 0); /* the reference code is not in the default field */
}

static void test_document_number_is_found_whole_and_by_parts(void **state)
{
    fixture *f = *state;
    dg_index_doc a = doc_of(1, "关于寒假安排的通知", "全校师生：寒假安排如下。");
    a.doc_number = "校办〔2024〕12号";
    dg_index_doc b = doc_of(2, "关于开学的通知", "开学安排。");
    b.doc_number = "校办〔2024〕13号";
    dg_index_doc c = doc_of(3, "会议纪要", "教务处会议。");
    c.doc_number = "教〔2023〕12号";
    put(f, &a);
    put(f, &b);
    put(f, &c);
    commit(f);
    assert_int_equal(only_hit(f, "校办〔2024〕12号"), 1);
    assert_int_equal(only_hit(f, "no:校办〔2024〕12号"), 1);
    assert_int_equal(only_hit(f, "校办[2024]12号"), 1);
    assert_int_equal(only_hit(f, "校办（2024）12号"), 1);
    assert_int_equal(only_hit(f, "校办(2024)12号"), 1);
    assert_int_equal(only_hit(f, "校辦〔２０２４〕１２號"), 1);
    assert_int_equal(count(f, "12号"), 2);
    assert_int_equal(count(f, "校办"), 2);
    assert_int_equal(count(f, "2024"), 2);
    assert_int_equal(count(f, "校办 12号"), 1);
    assert_int_equal(count(f, "(校办 OR 教) 12号"), 2);
}

static void test_word_glued_to_digits_is_searched_as_typed(void **state)
{
    fixture *f = *state;
    dg_index_doc a = doc_of(1, "规定", "第12条 报销须签字。");
    dg_index_doc b = doc_of(2, "规定", "第3条 共12人参加，另有条款。");
    dg_index_doc c = doc_of(3, "规定", "2023年度预算。");
    dg_index_doc d = doc_of(4, "规定", "2023 预算 年度");
    put(f, &a);
    put(f, &b);
    put(f, &c);
    put(f, &d);
    commit(f);
    assert_int_equal(only_hit(f, "第12条"), 1);
    assert_int_equal(only_hit(f, "第１２條"), 1);
    assert_int_equal(count(f, "12 条"), 2); /* typed apart: anywhere */
    assert_int_equal(only_hit(f, "2023年度"), 3);
    assert_int_equal(count(f, "2023 年度"), 2);
    assert_int_equal(only_hit(f, "title:规定 第12条"), 1);
}

static void test_year_in_text_is_searchable(void **state)
{
    fixture *f = *state;
    dg_index_doc a = doc_of(1, "工作总结", "2023年度工作总结。");
    dg_index_doc b = doc_of(2, "Plan", "Plan for 2023 and 2024.");
    dg_index_doc c = doc_of(3, "工作计划", "2025年工作计划。");
    put(f, &a);
    put(f, &b);
    put(f, &c);
    commit(f);
    assert_int_equal(count(f, "2023"), 2);
    assert_int_equal(count(f, "2023年"), 1);
}

/* ---- filters, versions, sorting -------------------------------------------------------- */

static dg_index_doc filtered_doc(int64_t id, const char *cat, const char *type,
                                 const char *period, int year, int level)
{
    dg_index_doc d = doc_of(id, "通知", "通知 notice");
    d.category = cat;
    d.record_type = type;
    d.period = period;
    d.year = year;
    d.level = level;
    return d;
}

static uint64_t filtered_count(fixture *f, dg_index_query q)
{
    dg_index_result *r = run(f, &EVERYONE, &q);
    uint64_t total = r->total;
    dg_index_result_free(r);
    return total;
}

static void test_filters_narrow_the_result(void **state)
{
    fixture *f = *state;
    dg_index_doc docs[] = {
        filtered_doc(1, "XZ", "notice", "D10", 2020, 0),
        filtered_doc(2, "XZ", "minutes", "Y", 2022, 1),
        filtered_doc(3, "CW", "voucher", "D30", 2022, 2),
        filtered_doc(4, "CW", "report", "Y", 2023, 3),
        filtered_doc(5, "RS", "file", "Y", 2024, 2),
    };
    for (size_t i = 0; i < 5; i++)
        put(f, &docs[i]);
    commit(f);
    dg_index_query q = query_of("notice");
    assert_int_equal(filtered_count(f, q), 5);
    q.category = "CW";
    assert_int_equal(filtered_count(f, q), 2);
    q = query_of(NULL);
    q.year_from = 2022;
    q.year_to = 2023;
    assert_int_equal(filtered_count(f, q), 3);
    q.year_to = 0;
    assert_int_equal(filtered_count(f, q), 4);
    q.year_from = 0;
    q.year_to = 2021;
    assert_int_equal(filtered_count(f, q), 1);
    q.year_from = 1990;
    q.year_to = 1999;
    assert_int_equal(filtered_count(f, q), 0);
    q = query_of("");
    q.level = 2;
    assert_int_equal(filtered_count(f, q), 2);
    q = query_of("通知");
    q.period = "Y";
    assert_int_equal(filtered_count(f, q), 3);
    q.record_type = "report";
    assert_int_equal(filtered_count(f, q), 1);
}

static void test_superseded_versions_only_with_all_versions(void **state)
{
    fixture *f = *state;
    dg_index_doc v1 = doc_of(10, "会议纪要", "初稿 draft text");
    v1.record_id = 7;
    v1.is_current = 0;
    dg_index_doc v2 = doc_of(11, "会议纪要", "定稿 final text");
    v2.record_id = 7;
    v2.version_number = 2;
    put(f, &v1);
    put(f, &v2);
    commit(f);
    dg_index_query q = query_of("text");
    dg_index_result *r = run(f, &EVERYONE, &q);
    assert_int_equal(r->total, 1);
    assert_int_equal(r->hits[0].version_id, 11);
    assert_int_equal(r->hits[0].record_id, 7);
    assert_int_equal(r->hits[0].version_number, 2);
    assert_true(r->hits[0].is_current);
    dg_index_result_free(r);
    assert_int_equal(count(f, "初稿"), 0);
    q.all_versions = 1;
    q.text = "初稿";
    r = run(f, &EVERYONE, &q);
    assert_int_equal(r->total, 1);
    assert_int_equal(r->hits[0].version_id, 10);
    assert_false(r->hits[0].is_current);
    dg_index_result_free(r);

    dg_error err;
    assert_int_equal(dg_index_delete_record(f->index, 7, &err), DG_OK);
    commit(f);
    q.text = "text";
    assert_int_equal(filtered_count(f, q), 0);
}

static void test_sort_by_date_orders_hits(void **state)
{
    fixture *f = *state;
    dg_index_doc a = doc_of(1, "通知", "通知");
    a.date = "2024-03-01";
    dg_index_doc b = doc_of(2, "通知", "通知");
    b.date = "2022-12-31";
    dg_index_doc c = doc_of(3, "通知", "通知");
    c.date = "2023-06-15";
    put(f, &a);
    put(f, &b);
    put(f, &c);
    commit(f);
    dg_index_query q = query_of("通知");
    q.sort = DG_SORT_DATE_DESC;
    dg_index_result *r = run(f, &EVERYONE, &q);
    assert_int_equal(r->n_hits, 3);
    assert_int_equal(r->hits[0].version_id, 1);
    assert_int_equal(r->hits[1].version_id, 3);
    assert_int_equal(r->hits[2].version_id, 2);
    dg_index_result_free(r);
    q.sort = DG_SORT_DATE_ASC;
    q.limit = 1;
    q.offset = 1;
    r = run(f, &EVERYONE, &q);
    assert_int_equal(r->total, 3);
    assert_int_equal(r->n_hits, 1);
    assert_int_equal(r->hits[0].version_id, 3);
    dg_index_result_free(r);
}

/* ---- clearance ------------------------------------------------------------------------- */

/* The scores of every hit of text for viewer, in hit order, from a fresh reader. */
static void scores_of(fixture *f, const dg_index_viewer *v, const char *text, double *out,
                      size_t n)
{
    dg_index *reader = NULL;
    dg_error err;
    assert_int_equal(dg_index_open(f->path, DG_INDEX_READ, &reader, &err), DG_OK);
    dg_index_query q = query_of(text);
    dg_index_result *r = NULL;
    assert_int_equal(dg_index_search(reader, v, &q, "[", "]", &r, &err), DG_OK);
    assert_int_equal(r->n_hits, n);
    for (size_t i = 0; i < n; i++)
        out[i] = r->hits[i].score;
    dg_index_result_free(r);
    /* the writer's own search, over its uncommitted-free state, agrees */
    assert_int_equal(dg_index_search(f->index, v, &q, "[", "]", &r, &err), DG_OK);
    assert_int_equal(r->n_hits, n);
    for (size_t i = 0; i < n; i++)
        assert_true(r->hits[i].score == out[i]);
    dg_index_result_free(r);
    dg_index_close(reader);
}

/*
 * Issue 15, item 1: Xapian weighs a word by how many documents hold it, so when scores were
 * computed over the whole index, filing a hidden record holding zqbeta moved a staff member's
 * scores (50%/50% became 50%/46%). Scores must depend only on what the viewer may see: here
 * a level-3 record, and a level-4 record granted to someone else, change nothing.
 */
static void test_scores_do_not_depend_on_hidden_records(void **state)
{
    fixture *f = *state;
    dg_index_doc a = doc_of(1, "甲", "zqalpha filler text one");
    dg_index_doc b = doc_of(2, "乙", "zqbeta filler text two words more");
    put(f, &a);
    put(f, &b);
    int64_t holder = 7;
    dg_index_doc granted = doc_of(3, "丙", "zqalpha zqbeta granted");
    granted.level = 4;
    granted.grants = &holder;
    granted.n_grants = 1;
    put(f, &granted);
    commit(f);
    const dg_index_viewer staff = {9, 1}, grant_holder = {7, 1};
    double before[2], after[2], held_before[3], held_after[3];
    scores_of(f, &staff, "zqalpha OR zqbeta", before, 2);
    scores_of(f, &grant_holder, "zqalpha OR zqbeta", held_before, 3);

    dg_index_doc hidden = doc_of(4, "丁", "zqbeta");
    hidden.level = 3;
    put(f, &hidden);
    int64_t other = 8;
    dg_index_doc others = doc_of(5, "戊", "zqbeta zqbeta zqalpha");
    others.level = 4;
    others.grants = &other;
    others.n_grants = 1;
    put(f, &others);
    commit(f);
    scores_of(f, &staff, "zqalpha OR zqbeta", after, 2);
    scores_of(f, &grant_holder, "zqalpha OR zqbeta", held_after, 3);
    for (int i = 0; i < 2; i++)
        assert_true(before[i] == after[i]);
    for (int i = 0; i < 3; i++)
        assert_true(held_before[i] == held_after[i]);

    /* ... while a viewer who may see the hidden record does get scores over it */
    const dg_index_viewer leader = {9, 3};
    double lead[3];
    scores_of(f, &leader, "zqalpha OR zqbeta", lead, 3);

    /* a level change moves the document: lowered to level 1, staff see it and its weight */
    hidden.level = 1;
    put(f, &hidden);
    commit(f);
    double lowered[3];
    scores_of(f, &staff, "zqalpha OR zqbeta", lowered, 3);
    uint64_t docs = 0;
    dg_error err;
    assert_int_equal(dg_index_doc_count(f->index, &docs, &err), DG_OK);
    assert_int_equal(docs, 5); /* in one level only */
}

static void test_search_never_counts_records_above_clearance(void **state)
{
    fixture *f = *state;
    int64_t grant_to_5 = 5;
    for (int level = 0; level <= 4; level++) {
        dg_index_doc d = doc_of(level + 1, "机密文件", "预算 budget");
        d.level = level;
        d.category = level >= 3 ? "CW" : "XZ";
        d.year = 2020 + level;
        if (level == 4) {
            d.grants = &grant_to_5;
            d.n_grants = 1;
        }
        put(f, &d);
    }
    commit(f);
    dg_index_query q = query_of("budget");
    dg_index_viewer staff = {9, 1};
    dg_index_result *r = run(f, &staff, &q);
    assert_int_equal(r->total, 2);
    assert_int_equal(r->n_category, 1); /* CW exists only above level 1 */
    assert_string_equal(r->by_category[0].value, "XZ");
    assert_int_equal(r->by_category[0].count, 2);
    assert_int_equal(r->n_year, 2);
    dg_index_result_free(r);

    dg_index_viewer leader = {9, 3};
    r = run(f, &leader, &q);
    assert_int_equal(r->total, 4);
    dg_index_result_free(r);

    dg_index_viewer granted = {5, 1};
    r = run(f, &granted, &q);
    assert_int_equal(r->total, 3);
    dg_index_result_free(r);

    dg_index_viewer secret = {9, 4};
    r = run(f, &secret, &q);
    assert_int_equal(r->total, 5);
    dg_index_result_free(r);

    dg_index_viewer public_only = {9, 0};
    q.level = 4; /* asking for level 4 by filter reveals nothing either */
    r = run(f, &public_only, &q);
    assert_int_equal(r->total, 0);
    assert_int_equal(r->n_category + r->n_year + r->n_period, 0);
    dg_index_result_free(r);
}

/*
 * A reader remembers the counts of a search for its revision; asking the same words as
 * another viewer, or again, or for the next page, must still count exactly what that viewer
 * may see. The writer, which never remembers counts, is the reference.
 */
static void test_repeated_search_counts_only_what_the_viewer_may_see(void **state)
{
    fixture *f = *state;
    int64_t grant_to_5 = 5;
    for (int i = 1; i <= 25; i++) {
        dg_index_doc d = doc_of(i, "机密文件", "预算 budget");
        d.level = i % 5;
        d.category = d.level >= 3 ? "CW" : "XZ";
        d.grants = &grant_to_5;
        d.n_grants = d.level == 4 ? 1 : 0;
        put(f, &d);
    }
    commit(f);
    dg_index *reader = NULL, *writer = f->index;
    dg_error err;
    assert_int_equal(dg_index_open(f->path, DG_INDEX_READ, &reader, &err), DG_OK);
    const dg_index_viewer viewers[] = {{9, 0}, {9, 4}, {5, 1}, {9, 1}, {9, 3}, {9, 0}, {5, 1}};
    const uint64_t expected[] = {5, 25, 15, 10, 20, 5, 15};
    for (int round = 0; round < 2; round++) {
        for (size_t v = 0; v < sizeof viewers / sizeof viewers[0]; v++) {
            dg_index_query q = query_of("budget");
            q.limit = 3;
            q.offset = (size_t)round * 3; /* the second round asks for the next page */
            f->index = writer;
            dg_index_result *want = run(f, &viewers[v], &q);
            f->index = reader;
            dg_index_result *got = run(f, &viewers[v], &q);
            assert_int_equal(want->total, expected[v]);
            assert_int_equal(got->total, expected[v]);
            assert_int_equal(got->n_hits, want->n_hits);
            for (size_t h = 0; h < got->n_hits; h++)
                assert_int_equal(got->hits[h].version_id, want->hits[h].version_id);
            assert_int_equal(got->n_category, want->n_category);
            for (size_t c = 0; c < got->n_category; c++) {
                assert_string_equal(got->by_category[c].value, want->by_category[c].value);
                assert_int_equal(got->by_category[c].count, want->by_category[c].count);
            }
            dg_index_result_free(want);
            dg_index_result_free(got);
        }
    }
    f->index = writer;
    dg_index_close(reader);
}

/* Asserts that two results hold the same total and facets. */
static void assert_same_counts(const dg_index_result *got, const dg_index_result *want)
{
    assert_int_equal(got->total, want->total);
    const dg_facet_count *const g[3] = {got->by_category, got->by_year, got->by_period};
    const dg_facet_count *const w[3] = {want->by_category, want->by_year, want->by_period};
    const size_t gn[3] = {got->n_category, got->n_year, got->n_period};
    const size_t wn[3] = {want->n_category, want->n_year, want->n_period};
    for (int f = 0; f < 3; f++) {
        assert_int_equal(gn[f], wn[f]);
        for (size_t i = 0; i < gn[f]; i++) {
            assert_string_equal(g[f][i].value, w[f][i].value);
            assert_int_equal(g[f][i].count, w[f][i].count);
        }
    }
}

/*
 * Issue 21: a read-only handle counts a narrow search without phrases in its ranked pass
 * (every match looked at once), not in a second match on another thread. Its total, facets,
 * hits and scores are those of a writable handle (which counts in a pass of its own), for
 * each clearance and a grant holder, hidden records left out; a date-sorted search and a
 * phrase are still counted beside, with the same counts.
 */
static void test_narrow_search_is_counted_in_its_ranked_pass(void **state)
{
    fixture *f = *state;
    static const char *const categories[] = {"XZ", "RS", "CW"};
    int64_t holder_id = 7;
    char titles[160][32], bodies[160][64];
    for (int i = 0; i < 160; i++) {
        /* one record in sixteen holds the rare word: two of each level's 32, narrow there */
        snprintf(titles[i], sizeof titles[i], "记录 %d", i);
        snprintf(bodies[i], sizeof bodies[i], "%s 年度报告 %d", i % 16 == 0 ? "XQZRARE" : "常见",
                 i);
        dg_index_doc d = doc_of(100 + i, titles[i], bodies[i]);
        d.level = i % 5;
        d.category = categories[i % 3];
        d.year = 2018 + i % 4;
        if (d.level == 4 && (i % 32 == 0 || i % 7 == 0)) {
            d.grants = &holder_id;
            d.n_grants = 1;
        }
        put(f, &d);
    }
    commit(f);
    dg_index *writer = f->index, *reader = NULL;
    dg_error err;
    assert_int_equal(dg_index_open(f->path, DG_INDEX_READ, &reader, &err), DG_OK);
    const dg_index_viewer viewers[] = {{2, 1}, {3, 2}, {4, 4}, {holder_id, 1}, {5, 0}};
    const uint64_t expected[] = {4, 6, 10, 5, 2}; /* two a level they read, one granted */
    for (size_t v = 0; v < sizeof viewers / sizeof viewers[0]; v++) {
        dg_index_query q = query_of("XQZRARE");
        f->index = writer;
        dg_index_result *want = run(f, &viewers[v], &q);
        f->index = reader;
        uint64_t ranked = dg_index_ranked_counts(reader);
        dg_index_result *got = run(f, &viewers[v], &q);
        assert_int_equal(dg_index_ranked_counts(reader), ranked + 1);
        assert_int_equal(got->total, expected[v]);
        assert_same_counts(got, want);
        assert_int_equal(got->n_hits, want->n_hits);
        for (size_t h = 0; h < got->n_hits; h++) {
            assert_int_equal(got->hits[h].version_id, want->hits[h].version_id);
            assert_true(got->hits[h].score == want->hits[h].score);
        }
        /* sorted by date, or with a phrase: counted beside, the same counts */
        q.sort = DG_SORT_DATE_DESC;
        dg_index_result *dated = run(f, &viewers[v], &q);
        dg_index_query phrase = query_of("XQZRARE \"年度报告\"");
        dg_index_result *phrased = run(f, &viewers[v], &phrase);
        assert_int_equal(dg_index_ranked_counts(reader), ranked + 1);
        assert_same_counts(dated, want);
        assert_same_counts(phrased, want);
        /* more candidates than the handle counts inline: counted beside, the same counts */
        dg_index_set_inline_counts(reader, expected[v] - 1);
        dg_index_query again = query_of("XQZRARE OR XQZRARE");
        dg_index_result *beside = run(f, &viewers[v], &again);
        dg_index_set_inline_counts(reader, UINT64_MAX);
        assert_int_equal(dg_index_ranked_counts(reader), ranked + 1);
        assert_same_counts(beside, want);
        dg_index_result_free(beside);
        dg_index_result_free(want);
        dg_index_result_free(got);
        dg_index_result_free(dated);
        dg_index_result_free(phrased);
    }
    f->index = writer;
    dg_index_close(reader);
}

/* A tiny deterministic generator, so a failing seed can be replayed. */
static uint64_t next_random(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

#define N_DOCS 200
#define N_WORDS 12
#define N_USERS 6
static const char *const VOCABULARY[N_WORDS] = {"档案", "预算", "会议", "通知", "人事", "资产",
                                                "budget", "meeting", "notice", "library",
                                                "contract", "training"};
static const char *const CATEGORIES[] = {"XZ", "RS", "CW", "ZC", "HD"};

typedef struct model_doc {
    int level, year, category, current;
    int has_word[N_WORDS];
    int granted[N_USERS];
    char token[16];
    char body[512];
} model_doc;

static int model_visible(const model_doc *d, const dg_index_viewer *v)
{
    if (d->level <= (v->clearance < 3 ? v->clearance : 3))
        return 1;
    return d->level == 4 && (v->clearance == 4 || d->granted[v->user_id]);
}

static void build_random_archive(fixture *f, model_doc *docs, uint64_t *seed)
{
    for (int i = 0; i < N_DOCS; i++) {
        model_doc *d = &docs[i];
        memset(d, 0, sizeof *d);
        d->level = (int)(next_random(seed) % 5);
        d->year = 2018 + (int)(next_random(seed) % 7);
        d->category = (int)(next_random(seed) % 5);
        d->current = next_random(seed) % 4 != 0;
        snprintf(d->token, sizeof d->token, "tok%dq", i);
        size_t len = (size_t)snprintf(d->body, sizeof d->body, "%s", d->token);
        for (int w = 0; w < N_WORDS; w++) {
            d->has_word[w] = next_random(seed) % 3 == 0;
            if (d->has_word[w])
                len += (size_t)snprintf(d->body + len, sizeof d->body - len, " %s", VOCABULARY[w]);
        }
        int64_t grants[N_USERS];
        size_t n_grants = 0;
        for (int u = 0; u < N_USERS; u++) {
            d->granted[u] = next_random(seed) % 4 == 0;
            if (d->granted[u])
                grants[n_grants++] = u;
        }
        dg_index_doc x = doc_of(i + 1, "random", d->body);
        x.record_id = i + 1;
        x.is_current = d->current;
        x.level = d->level;
        x.year = d->year;
        x.category = CATEGORIES[d->category];
        x.grants = grants;
        x.n_grants = n_grants;
        put(f, &x);
    }
    commit(f);
}

/* Checks one search against the model: same hits, same total, same facet counts. */
/* The result's category facet equals the model's counts, and no permitted category with
 * matches was left out (expected is zeroed as it is checked). */
static void assert_categories_as_model(const dg_index_result *r, uint64_t expected[5])
{
    for (size_t c = 0; c < r->n_category; c++) {
        int k = 0;
        while (k < 5 && strcmp(CATEGORIES[k], r->by_category[c].value) != 0)
            k++;
        assert_true(k < 5);
        assert_int_equal(r->by_category[c].count, expected[k]);
        expected[k] = 0;
    }
    for (int k = 0; k < 5; k++)
        assert_int_equal(expected[k], 0);
}

static void check_against_model(fixture *f, const model_doc *docs, const dg_index_viewer *v,
                                int word, int token_of, int category, int year_from)
{
    char text[64] = "";
    if (word >= 0)
        snprintf(text, sizeof text, "%s", VOCABULARY[word]);
    else if (token_of >= 0)
        snprintf(text, sizeof text, "%s", docs[token_of].token);
    dg_index_query q = query_of(text);
    q.limit = N_DOCS;
    q.category = category >= 0 ? CATEGORIES[category] : NULL;
    q.year_from = year_from;
    dg_index_result *r = run(f, v, &q);

    int expected[N_DOCS] = {0}, n_expected = 0;
    uint64_t by_category[5] = {0};
    for (int i = 0; i < N_DOCS; i++) {
        const model_doc *d = &docs[i];
        int match = d->current && model_visible(d, v) && (word < 0 || d->has_word[word]) &&
                    (token_of < 0 || token_of == i) && (category < 0 || d->category == category) &&
                    (year_from == 0 || d->year >= year_from);
        expected[i] = match;
        n_expected += match;
        by_category[d->category] += match;
    }
    assert_int_equal(r->total, n_expected);
    assert_int_equal(r->n_hits, n_expected);
    for (size_t h = 0; h < r->n_hits; h++) {
        int64_t i = r->hits[h].version_id - 1;
        assert_true(i >= 0 && i < N_DOCS);
        assert_true(expected[i]); /* never a hit the viewer may not see */
        assert_true(model_visible(&docs[i], v));
        /* The snippet comes from the hit itself: it holds its token, nobody else's. */
        if (!strstr(r->hits[h].snippet, docs[i].token))
            fail_msg("snippet of %s: \"%s\" body \"%s\" query \"%s\"", docs[i].token, r->hits[h].snippet, docs[i].body, text);
        expected[i] = 0;
    }
    assert_categories_as_model(r, by_category);
    uint64_t year_sum = 0;
    for (size_t y = 0; y < r->n_year; y++)
        year_sum += r->by_year[y].count;
    assert_int_equal(year_sum, n_expected);
    dg_index_result_free(r);
}

/*
 * Odd rounds search through a read-only handle, even ones through the writer: a reader
 * counts broad matches' facets from its per-revision table, the writer reads values, and
 * both must agree with the model.
 */
static void run_property(fixture *f, uint64_t seed)
{
    static model_doc docs[N_DOCS];
    dg_error err;
    assert_int_equal(dg_index_clear(f->index, &err), DG_OK);
    build_random_archive(f, docs, &seed);
    dg_index *writer = f->index, *reader = NULL;
    assert_int_equal(dg_index_open(f->path, DG_INDEX_READ, &reader, &err), DG_OK);
    for (int round = 0; round < 60; round++) {
        f->index = round % 2 ? reader : writer;
        dg_index_viewer v = {(int64_t)(next_random(&seed) % N_USERS),
                             (int)(next_random(&seed) % 5)};
        int kind = (int)(next_random(&seed) % 3);
        int word = kind == 0 ? (int)(next_random(&seed) % N_WORDS) : -1;
        int token_of = kind == 1 ? (int)(next_random(&seed) % N_DOCS) : -1;
        int category = next_random(&seed) % 3 == 0 ? (int)(next_random(&seed) % 5) : -1;
        int year_from = next_random(&seed) % 3 == 0 ? 2018 + (int)(next_random(&seed) % 7) : 0;
        check_against_model(f, docs, &v, word, token_of, category, year_from);
        if (f->index == reader) /* again: the reader now answers from its cached counts */
            check_against_model(f, docs, &v, word, token_of, category, year_from);
    }
    f->index = writer;
    dg_index_close(reader);
}

static void test_random_archives_never_reveal_records_above_clearance(void **state)
{
    fixture *f = *state;
    const uint64_t seeds[] = {0x5eedULL, 0x9e3779b97f4a7c15ULL, 12345, 777};
    for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++)
        run_property(f, seeds[i]);
}

/*
 * Broad matches (more than an eighth of a level) are counted from posting lists as bit sets
 * (AND, OR, NOT, filters, and phrases asked only about what everything else holds), narrow
 * ones by Xapian's matcher: totals and facets of compound queries, broad and narrow, through
 * a reader and the writer, equal the model's. Words stand in the body in VOCABULARY's order,
 * so "档案预算" (a phrase across the space) is held exactly when both words are.
 */
static void test_broad_compound_queries_count_as_the_model(void **state)
{
    fixture *f = *state;
    static model_doc docs[N_DOCS];
    dg_error err;
    uint64_t seed = 0xb10adULL;
    build_random_archive(f, docs, &seed);
    dg_index *writer = f->index, *reader = NULL;
    assert_int_equal(dg_index_open(f->path, DG_INDEX_READ, &reader, &err), DG_OK);
    enum { AND, OR, NOT, PHRASE, PHRASE_OR, ALL };
    static const char *const texts[] = {"档案 budget", "预算 OR meeting", "会议 NOT notice",
                                        "\"档案预算\"", "\"档案预算\" OR training", ""};
    for (int round = 0; round < 48; round++) {
        int kind = round % 6;
        dg_index_viewer v = {(int64_t)(next_random(&seed) % N_USERS),
                             (int)(next_random(&seed) % 5)};
        int category = next_random(&seed) % 3 == 0 ? (int)(next_random(&seed) % 5) : -1;
        f->index = round / 6 % 2 ? reader : writer;
        dg_index_query q = query_of(texts[kind]);
        q.limit = 5;
        q.category = category >= 0 ? CATEGORIES[category] : NULL;
        dg_index_result *r = run(f, &v, &q);
        uint64_t n_expected = 0, by_category[5] = {0};
        for (int i = 0; i < N_DOCS; i++) {
            const int *w = docs[i].has_word;
            int holds = kind == AND      ? w[0] && w[6]
                        : kind == OR     ? w[1] || w[7]
                        : kind == NOT    ? w[2] && !w[8]
                        : kind == PHRASE ? w[0] && w[1]
                        : kind == PHRASE_OR ? (w[0] && w[1]) || w[11]
                                         : 1;
            int match = holds && docs[i].current && model_visible(&docs[i], &v) &&
                        (category < 0 || docs[i].category == category);
            n_expected += (uint64_t)match;
            by_category[docs[i].category] += (uint64_t)match;
        }
        if (r->total != n_expected)
            fail_msg("\"%s\" as %d/%d: total %llu, the model %llu", texts[kind],
                     (int)v.user_id, v.clearance, (unsigned long long)r->total,
                     (unsigned long long)n_expected);
        assert_categories_as_model(r, by_category);
        dg_index_result_free(r);
    }
    f->index = writer;
    dg_index_close(reader);
}

/*
 * A broad phrase's verdicts from the title's positions are made for all candidates in one
 * sweep of Xapian's own phrase matcher (sweep_index_positions), not a look-up per record:
 * they must be what each record's positions say (punctuation and spaces take no position, a
 * word does, a character may repeat), a body that holds the phrase still counts, and a
 * record above the viewer's clearance never does. Counted through the writer and a reader
 * (which keeps verdicts per level), for viewers of every clearance, alone and with a word
 * and a NOT.
 */
static void test_broad_title_phrases_count_as_positions_say(void **state)
{
    fixture *f = *state;
    static const struct {
        const char *title;
        int holds;
    } titles[] = {
        {"关于考核的通知", 1}, {"的，通知", 1},     {"通知的", 0},   {"的通 知", 1},
        {"的a通知", 0},        {"的的通知", 1},     {"的通通知", 0}, {"知通的", 0},
        {"考核的通知的通知", 1}, {"无关的考核通知", 0},
    };
    enum { N = 400, N_TITLES = sizeof titles / sizeof titles[0] };
    static char bodies[N][64];
    int holds[N], level[N], exam[N];
    for (int i = 0; i < N; i++) {
        int in_body = i % 11 == 0;
        snprintf(bodies[i], sizeof bodies[i], "%s", in_body ? "请转发的通知。" : "各部门认真组织。");
        dg_index_doc d = doc_of(i + 1, titles[i % N_TITLES].title, bodies[i]);
        d.level = level[i] = i % 5;
        holds[i] = titles[i % N_TITLES].holds || in_body;
        exam[i] = strstr(d.title, "考核") != NULL;
        put(f, &d);
    }
    commit(f);
    dg_index *reader = NULL;
    dg_error err;
    assert_int_equal(dg_index_open(f->path, DG_INDEX_READ, &reader, &err), DG_OK);
    static const char *const texts[] = {"\"的通知\"", "\"的通知\" 各部门", "\"的通知\" NOT 考核"};
    for (int through = 0; through < 2; through++)
        for (int c = 0; c <= 4; c++)
            for (size_t t = 0; t < sizeof texts / sizeof texts[0]; t++) {
                dg_index_viewer v = {7, c};
                dg_index_query q = query_of(texts[t]);
                dg_index_result *r = NULL;
                if (dg_index_search(through ? reader : f->index, &v, &q, "", "", &r, &err) !=
                    DG_OK)
                    fail_msg("search %s: %s", texts[t], err.msg);
                uint64_t expected = 0;
                for (int i = 0; i < N; i++) {
                    int visible = level[i] <= (c < 3 ? c : 3) || c == 4;
                    int also = t == 0 ? 1 : t == 1 ? i % 11 != 0 : !exam[i];
                    expected += (uint64_t)(visible && holds[i] && also);
                }
                if (r->total != expected)
                    fail_msg("%s at clearance %d through the %s: %llu, positions say %llu",
                             texts[t], c, through ? "reader" : "writer",
                             (unsigned long long)r->total, (unsigned long long)expected);
                dg_index_result_free(r);
            }
    dg_index_close(reader);
}

/*
 * Issue 21: a narrow search with a phrase is counted by Xapian's matcher over the query
 * without the phrase, and the phrase then asked about those candidates in one go (its title
 * positions from one sweep of Xapian's phrase matcher, then each body's text). 2,000 records
 * of one level, every title made of the phrase's characters, one in 55 holding the rare word
 * (36 candidates: narrow, and enough for a sweep): the totals, category counts and hits are
 * what each record's title positions and body say, through the writer and a reader, for a
 * viewer who sees them and one above and below.
 */
static void test_narrow_phrase_counts_as_positions_and_text_say(void **state)
{
    fixture *f = *state;
    static const struct {
        const char *title;
        int holds;
    } titles[] = {
        {"关于考核的通知", 1}, {"的，通知", 1}, {"通知的", 0}, {"的a通知", 0}, {"的的通知", 1},
        {"的通通知", 0},       {"知通的", 0},  {"的通 知", 1}, {"考核的通知的通知", 1},
    };
    enum { N = 2000, N_TITLES = sizeof titles / sizeof titles[0] };
    static const char *const categories[] = {"XZ", "RS", "CW"};
    static char bodies[N][64];
    int holds[N], rare[N];
    for (int i = 0; i < N; i++) {
        rare[i] = i % 55 == 0;
        int in_body = i % 4 == 0;
        snprintf(bodies[i], sizeof bodies[i], "%s %s", rare[i] ? "qzrare" : "常见",
                 in_body ? "请转发的通知。" : "请转发的 通告。");
        dg_index_doc d = doc_of(i + 1, titles[i % N_TITLES].title, bodies[i]);
        d.category = categories[i % 3];
        holds[i] = titles[i % N_TITLES].holds || in_body;
        put(f, &d);
    }
    commit(f);
    dg_index *writer = f->index, *reader = NULL;
    dg_error err;
    assert_int_equal(dg_index_open(f->path, DG_INDEX_READ, &reader, &err), DG_OK);
    uint64_t expected = 0, by_category[3] = {0};
    for (int i = 0; i < N; i++)
        if (rare[i] && holds[i]) {
            expected++;
            by_category[i % 3]++;
        }
    for (int through = 0; through < 2; through++)
        for (int c = 0; c <= 4; c += 2) {
            dg_index_viewer v = {7, c};
            dg_index_query q = query_of("\"的通知\" qzrare");
            f->index = through ? reader : writer;
            dg_index_result *r = run(f, &v, &q);
            if (r->total != expected || r->n_hits != expected)
                fail_msg("clearance %d through the %s: %llu (%zu hits), positions say %llu", c,
                         through ? "reader" : "writer", (unsigned long long)r->total,
                         r->n_hits, (unsigned long long)expected);
            for (size_t k = 0; k < r->n_category; k++) {
                int at = strcmp(r->by_category[k].value, "XZ") == 0   ? 0
                         : strcmp(r->by_category[k].value, "RS") == 0 ? 1
                                                                      : 2;
                assert_int_equal(r->by_category[k].count, by_category[at]);
            }
            dg_index_result_free(r);
        }
    f->index = writer;
    dg_index_close(reader);
}

/*
 * Issue 21: a quoted phrase of Chinese characters and numbers (a document number) is settled
 * on the body's text from each place its first character stands, cutting only the terms after
 * it: punctuation and spaces take no position, 2021.12 is one term to the term generator (so
 * no place of 2021 12), 123 is not 12, and a run that might join what is around it (+2021) is
 * left to the term generator. Counted (the counting pass) and ranked (the decider) through
 * the writer and a reader, the same records hold it.
 */
static void test_mixed_phrase_settled_on_the_text(void **state)
{
    fixture *f = *state;
    static const struct {
        const char *body;
        int holds;
    } bodies[] = {
        {"请校办 2021 12号文件", 1}, {"校办，2021。12号", 1},    {"校办2021 12号", 1},
        {"校办 2021.12号", 0},        {"校办 2021 123号", 0},      {"校办 2021 12 3号", 0},
        {"C++ 校办 2021 12号", 1},    {"校 办 2021 12 号", 1},     {"U.S.A. 校办 2021 13号", 0},
        {"校办+2021 12号", 1},        {"校办 2021 12号 U.S.A.", 1}, {"校办 2022 12号", 0},
    };
    enum { N = sizeof bodies / sizeof bodies[0] };
    uint64_t expected = 0;
    for (int i = 0; i < N; i++) {
        dg_index_doc d = doc_of(i + 1, "通知", bodies[i].body);
        put(f, &d);
        expected += (uint64_t)bodies[i].holds;
    }
    commit(f);
    dg_index *writer = f->index, *reader = NULL;
    dg_error err;
    assert_int_equal(dg_index_open(f->path, DG_INDEX_READ, &reader, &err), DG_OK);
    for (int through = 0; through < 2; through++) {
        dg_index_query q = query_of("\"校办 2021 12号\"");
        f->index = through ? reader : writer;
        dg_index_result *r = run(f, &EVERYONE, &q);
        if (r->total != expected || r->n_hits != expected)
            fail_msg("through the %s: %llu (%zu hits), expected %llu",
                     through ? "reader" : "writer", (unsigned long long)r->total, r->n_hits,
                     (unsigned long long)expected);
        for (size_t h = 0; h < r->n_hits; h++)
            if (!bodies[r->hits[h].version_id - 1].holds)
                fail_msg("%s is a hit", bodies[r->hits[h].version_id - 1].body);
        dg_index_result_free(r);
    }
    f->index = writer;
    dg_index_close(reader);
}

/*
 * Issue 21: the count of a query leaves out the unigrams that a bigram beside them implies
 * (资产 holds 资 and 产). That must change no total: records holding both characters apart
 * (资金与生产, 资 产) or the other way round (产资) are no matches of 资产, one holding it in
 * the title or in the body is, through the writer (counted in a pass of its own) and a
 * reader counting beside the ranked pass (sorted by date); the hits (ranked on every term)
 * agree with the totals.
 */
static void test_counts_without_implied_unigrams_equal_the_matches(void **state)
{
    fixture *f = *state;
    static const struct {
        const char *title, *body;
    } docs[] = {
        {"资产清查通知", "各部门"}, {"资金与生产", "无"}, {"通知", "产资"},
        {"通知", "资 产"},          {"通知", "固定资产"}, {"资产", "清 查"},
    };
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
        dg_index_doc d = doc_of((int64_t)i + 1, docs[i].title, docs[i].body);
        put(f, &d);
    }
    commit(f);
    dg_index *writer = f->index, *reader = NULL;
    dg_error err;
    assert_int_equal(dg_index_open(f->path, DG_INDEX_READ, &reader, &err), DG_OK);
    static const struct {
        const char *text;
        uint64_t total;
    } queries[] = {
        {"资产", 3}, {"资产 清查", 1}, {"title:资产", 2}, {"资产 NOT 清查", 2},
        {"资产 OR 生产", 4}, {"资产清查", 1},
    };
    for (int through = 0; through < 2; through++)
        for (size_t k = 0; k < sizeof queries / sizeof queries[0]; k++) {
            dg_index_query q = query_of(queries[k].text);
            q.sort = through ? DG_SORT_DATE_DESC : DG_SORT_RELEVANCE;
            f->index = through ? reader : writer;
            dg_index_result *r = run(f, &EVERYONE, &q);
            if (r->total != queries[k].total || r->n_hits != queries[k].total)
                fail_msg("%s through the %s: %llu (%zu hits), expected %llu", queries[k].text,
                         through ? "reader" : "writer", (unsigned long long)r->total,
                         r->n_hits, (unsigned long long)queries[k].total);
            dg_index_result_free(r);
        }
    f->index = writer;
    dg_index_close(reader);
}

/*
 * Issue 15: every ranking, score, total, facet count and snippet a user gets is exactly what
 * the same search returns over an index holding only the records that user may see. Random
 * archives (records of one to three versions, random levels, grants to random users, words
 * repeated so that term frequencies and document lengths vary), random users (clearance and
 * grants), random queries (one to three words with OR/AND, filters, old versions, pages).
 * SEARCHES searches in all, each run on both indexes.
 */
#define EQ_RECORDS 40
#define EQ_USERS 6
#define EQ_ARCHIVES 5
#define EQ_QUERIES 334 /* per user and archive: 5 * 6 * 334 = 10,020 searches */

typedef struct eq_version {
    int64_t version_id, record_id;
    int number, current, level, year, category;
    int64_t grants[EQ_USERS];
    size_t n_grants;
    char body[400];
} eq_version;

static size_t eq_build(eq_version *v, uint64_t *seed)
{
    size_t n = 0;
    for (int r = 0; r < EQ_RECORDS; r++) {
        int versions = 1 + (int)(next_random(seed) % 3);
        int level = (int)(next_random(seed) % 5), year = 2019 + (int)(next_random(seed) % 4);
        int category = (int)(next_random(seed) % 5);
        int64_t grants[EQ_USERS];
        size_t n_grants = 0;
        for (int u = 1; u <= EQ_USERS; u++)
            if (level == 4 && next_random(seed) % 3 == 0)
                grants[n_grants++] = u;
        for (int k = 1; k <= versions; k++) {
            eq_version *e = &v[n];
            memset(e, 0, sizeof *e);
            e->version_id = (int64_t)n + 1;
            e->record_id = r + 1;
            e->number = k;
            e->current = k == versions;
            e->level = level, e->year = year, e->category = category;
            memcpy(e->grants, grants, sizeof grants);
            e->n_grants = n_grants;
            size_t len = (size_t)snprintf(e->body, sizeof e->body, "rec%dv%d", r, k);
            int words = 1 + (int)(next_random(seed) % 12);
            for (int w = 0; w < words && len < sizeof e->body - 16; w++)
                len += (size_t)snprintf(e->body + len, sizeof e->body - len, " %s",
                                        VOCABULARY[next_random(seed) % N_WORDS]);
            n++;
        }
    }
    return n;
}

static int eq_visible(const eq_version *e, const dg_index_viewer *v)
{
    if (e->level <= (v->clearance < 3 ? v->clearance : 3))
        return 1;
    if (e->level != 4)
        return 0;
    if (v->clearance == 4)
        return 1;
    for (size_t g = 0; g < e->n_grants; g++)
        if (e->grants[g] == v->user_id)
            return 1;
    return 0;
}

/* An index at path holding the versions viewer may see (all of them when viewer is NULL). */
static dg_index *eq_index(const char *path, const eq_version *v, size_t n,
                          const dg_index_viewer *viewer)
{
    dg_index *w = NULL;
    dg_error err;
    assert_int_equal(dg_index_open(path, DG_INDEX_WRITE, &w, &err), DG_OK);
    for (size_t i = 0; i < n; i++) {
        if (viewer && !eq_visible(&v[i], viewer))
            continue;
        dg_index_doc d = doc_of(v[i].version_id, "标题", v[i].body);
        d.record_id = v[i].record_id;
        d.version_number = v[i].number;
        d.is_current = v[i].current;
        d.level = v[i].level;
        d.year = v[i].year;
        d.category = CATEGORIES[v[i].category];
        d.grants = v[i].grants;
        d.n_grants = v[i].n_grants;
        if (dg_index_put(w, &d, &err) != DG_OK)
            fail_msg("put: %s", err.msg);
    }
    assert_int_equal(dg_index_commit(w, &err), DG_OK);
    dg_index_close(w);
    dg_index *r = NULL;
    assert_int_equal(dg_index_open(path, DG_INDEX_READ, &r, &err), DG_OK);
    return r;
}

static void eq_facets_equal(const dg_facet_count *a, size_t na, const dg_facet_count *b,
                            size_t nb)
{
    assert_int_equal(na, nb);
    for (size_t i = 0; i < na; i++) {
        assert_string_equal(a[i].value, b[i].value);
        assert_int_equal(a[i].count, b[i].count);
    }
}

/* Both results' three facets are the same; then both are freed. */
static void eq_facets_equal_then_free(dg_index_result *a, dg_index_result *b)
{
    eq_facets_equal(a->by_category, a->n_category, b->by_category, b->n_category);
    eq_facets_equal(a->by_year, a->n_year, b->by_year, b->n_year);
    eq_facets_equal(a->by_period, a->n_period, b->by_period, b->n_period);
    dg_index_result_free(a);
    dg_index_result_free(b);
}

static void eq_compare(dg_index *full, dg_index *only, const dg_index_viewer *v,
                       const dg_index_query *q)
{
    dg_index_result *a = NULL, *b = NULL;
    dg_error err;
    if (dg_index_search(full, v, q, "[", "]", &a, &err) != DG_OK)
        fail_msg("search '%s': %s", q->text, err.msg);
    if (dg_index_search(only, v, q, "[", "]", &b, &err) != DG_OK)
        fail_msg("search '%s' (visible only): %s", q->text, err.msg);
    if (a->total != b->total || a->n_hits != b->n_hits)
        fail_msg("'%s' (offset %zu, limit %zu) as user %lld clearance %d: %llu total, %zu hits "
                 "against %llu, %zu over visible records only",
                 q->text, (size_t)q->offset, (size_t)q->limit, (long long)v->user_id,
                 v->clearance, (unsigned long long)a->total, a->n_hits,
                 (unsigned long long)b->total, b->n_hits);
    for (size_t h = 0; h < a->n_hits; h++) {
        if (a->hits[h].version_id != b->hits[h].version_id || a->hits[h].score != b->hits[h].score)
            fail_msg("'%s' as user %lld clearance %d, hit %zu: version %lld %.17g%% against "
                     "%lld %.17g%% over visible records only",
                     q->text, (long long)v->user_id, v->clearance, h,
                     (long long)a->hits[h].version_id, a->hits[h].score,
                     (long long)b->hits[h].version_id, b->hits[h].score);
        assert_string_equal(a->hits[h].snippet, b->hits[h].snippet);
    }
    eq_facets_equal_then_free(a, b);
}

static dg_index_query eq_random_query(uint64_t *seed, char *text, size_t size)
{
    /* A bare space too: "notice 人事 library" (a Chinese word between two others) parses
     * since the query guard of xapian_shim.cc. */
    static const char *const OPS[] = {" OR ", " AND ", " "};
    size_t len = (size_t)snprintf(text, size, "%s", VOCABULARY[next_random(seed) % N_WORDS]);
    int words = (int)(next_random(seed) % 3);
    for (int w = 0; w < words; w++)
        len += (size_t)snprintf(text + len, size - len, "%s%s", OPS[next_random(seed) % 3],
                                VOCABULARY[next_random(seed) % N_WORDS]);
    dg_index_query q = query_of(text);
    q.limit = 1 + next_random(seed) % 15;
    q.offset = next_random(seed) % 4 == 0 ? next_random(seed) % 5 : 0;
    q.all_versions = next_random(seed) % 4 == 0;
    if (next_random(seed) % 5 == 0)
        q.category = CATEGORIES[next_random(seed) % 5];
    if (next_random(seed) % 5 == 0)
        q.year_from = 2020;
    return q;
}

static void test_search_equals_search_over_visible_records_only(void **state)
{
    fixture *f = *state;
    static eq_version versions[EQ_RECORDS * 3];
    size_t searches = 0;
    for (int a = 0; a < EQ_ARCHIVES; a++) {
        uint64_t seed = 0xc0ffee + (uint64_t)a * 7919;
        size_t n = eq_build(versions, &seed);
        char path[200];
        snprintf(path, sizeof path, "%s/full%d", f->dir, a);
        dg_index *full = eq_index(path, versions, n, NULL);
        for (int u = 1; u <= EQ_USERS; u++) {
            dg_index_viewer v = {u, (int)(next_random(&seed) % 5)};
            snprintf(path, sizeof path, "%s/only%d-%d", f->dir, a, u);
            dg_index *only = eq_index(path, versions, n, &v);
            for (int k = 0; k < EQ_QUERIES; k++) {
                char text[128];
                dg_index_query q = eq_random_query(&seed, text, sizeof text);
                eq_compare(full, only, &v, &q);
                searches++;
            }
            dg_index_close(only);
        }
        dg_index_close(full);
    }
    assert_true(searches >= 10000);
}

/*
 * A grant holder's search reads a shard of their granted level-4 documents that holds only
 * the terms the search reads (and the positions of its phrases' terms), with the rest of each
 * document's length in one term. Its rankings, scores, totals, facets and snippets are
 * exactly those of the same search over an index where those documents are simply visible
 * to them (filed at their clearance, without grants) and nothing hidden exists: words,
 * OR/AND, quoted Chinese and Latin phrases (checked on the text, or by positions in the
 * title), NEAR, year and category filters, old versions.
 */
#define GS_ARCHIVES 4
#define GS_QUERIES 300

static const char *const GS_PHRASES[] = {
    "\"预算会议\"", "\"档案预算\"", "\"预算\"",       "\"budget meeting\"", "\"notice library\"",
    "budget NEAR meeting", "\"标题\"", "\"人事 资产\"", "\"通知档案预算\"",  "contract NEAR training"};

static dg_index_query gs_random_query(uint64_t *seed, char *text, size_t size)
{
    dg_index_query q = eq_random_query(seed, text, size);
    size_t pick = next_random(seed) % 3;
    if (pick == 0)
        snprintf(text, size, "%s",
                 GS_PHRASES[next_random(seed) % (sizeof GS_PHRASES / sizeof GS_PHRASES[0])]);
    else if (pick == 1)
        snprintf(text, size, "%s %s %s",
                 GS_PHRASES[next_random(seed) % (sizeof GS_PHRASES / sizeof GS_PHRASES[0])],
                 next_random(seed) % 2 ? "OR" : "AND", VOCABULARY[next_random(seed) % N_WORDS]);
    q.text = text;
    if (next_random(seed) % 5 == 0)
        q.year_to = 2021;
    return q;
}

/*
 * Every hit (limit above the archive's size) with the same score and snippet on both sides,
 * the scores in the same order, and the same totals and facets. Hits of equal score may come
 * in another order: Xapian adds a document's term weights in an order its shard decides, so
 * two documents of equal weight in one shard can differ in the last bit when one is in
 * another shard, and ties are broken by that bit before the version id.
 */
static int gs_by_version(const void *a, const void *b)
{
    const dg_index_hit *x = a, *y = b;
    return x->version_id < y->version_id ? -1 : x->version_id > y->version_id;
}

static void gs_compare(dg_index *full, dg_index *only, const dg_index_viewer *v,
                       dg_index_query *q)
{
    q->offset = 0;
    q->limit = EQ_RECORDS * 3 + 1;
    dg_index_result *a = NULL, *b = NULL;
    dg_error err;
    if (dg_index_search(full, v, q, "[", "]", &a, &err) != DG_OK)
        fail_msg("search '%s': %s", q->text, err.msg);
    if (dg_index_search(only, v, q, "[", "]", &b, &err) != DG_OK)
        fail_msg("search '%s' (plainly visible): %s", q->text, err.msg);
    if (a->total != b->total || a->n_hits != b->n_hits)
        fail_msg("'%s' as user %lld clearance %d: %llu total, %zu hits against %llu, %zu",
                 q->text, (long long)v->user_id, v->clearance, (unsigned long long)a->total,
                 a->n_hits, (unsigned long long)b->total, b->n_hits);
    for (size_t h = 0; h < a->n_hits; h++)
        if (a->hits[h].score != b->hits[h].score)
            fail_msg("'%s' as user %lld clearance %d, hit %zu: %.17g%% against %.17g%%", q->text,
                     (long long)v->user_id, v->clearance, h, a->hits[h].score, b->hits[h].score);
    if (a->n_hits) { /* (hits is NULL when there are none) */
        qsort(a->hits, a->n_hits, sizeof *a->hits, gs_by_version);
        qsort(b->hits, b->n_hits, sizeof *b->hits, gs_by_version);
    }
    for (size_t h = 0; h < a->n_hits; h++) {
        if (a->hits[h].version_id != b->hits[h].version_id || a->hits[h].score != b->hits[h].score)
            fail_msg("'%s' as user %lld clearance %d: version %lld %.17g%% against %lld %.17g%%",
                     q->text, (long long)v->user_id, v->clearance,
                     (long long)a->hits[h].version_id, a->hits[h].score,
                     (long long)b->hits[h].version_id, b->hits[h].score);
        assert_string_equal(a->hits[h].snippet, b->hits[h].snippet);
    }
    eq_facets_equal_then_free(a, b);
}

static void test_grant_holder_ranks_as_if_granted_records_were_plainly_visible(void **state)
{
    fixture *f = *state;
    static eq_version versions[EQ_RECORDS * 3];
    static eq_version plain[EQ_RECORDS * 3];
    size_t searches = 0, granted = 0;
    for (int a = 0; a < GS_ARCHIVES; a++) {
        uint64_t seed = 0x9a47 + (uint64_t)a * 104729;
        size_t n = eq_build(versions, &seed);
        char path[200];
        snprintf(path, sizeof path, "%s/gfull%d", f->dir, a);
        dg_index *full = eq_index(path, versions, n, NULL);
        for (int u = 1; u <= EQ_USERS; u++) {
            dg_index_viewer v = {u, (int)(next_random(&seed) % 4)};
            /* the versions v may see, the granted ones filed at v's clearance, ungranted */
            size_t m = 0;
            for (size_t i = 0; i < n; i++) {
                if (!eq_visible(&versions[i], &v))
                    continue;
                plain[m] = versions[i];
                if (plain[m].level == 4) {
                    plain[m].level = v.clearance;
                    plain[m].n_grants = 0;
                }
                m++;
            }
            snprintf(path, sizeof path, "%s/gplain%d-%d", f->dir, a, u);
            dg_index *only = eq_index(path, plain, m, NULL);
            for (int k = 0; k < GS_QUERIES; k++) {
                char text[128];
                dg_index_query q = gs_random_query(&seed, text, sizeof text);
                gs_compare(full, only, &v, &q);
                searches++;
            }
            for (size_t i = 0; i < n; i++)
                granted += versions[i].level == 4 && eq_visible(&versions[i], &v);
            dg_index_close(only);
        }
        dg_index_close(full);
    }
    assert_true(searches >= GS_ARCHIVES * EQ_USERS * GS_QUERIES);
    assert_true(granted > 20); /* the archives do grant level-4 records to these users */
}

/* ---- queries that are wrong, or find nothing ------------------------------------------- */

/*
 * A search without words (browsing by filter) gives every match the same weight, so its page
 * is the matches of lowest version id. A read-only handle finds it from each level's runs of
 * ascending version ids in document order, not by Xapian reading every match's version; the
 * page must be the one a writable handle (Xapian's own match) gives, hit for hit, and the
 * one the model of what each viewer may see gives. Versions are filed out of order (several
 * runs per level; in the second archive so many that the handle falls back to Xapian's
 * match), with old versions, grants, and every filter.
 */
#define WL_DOCS 400 /* 80 a level: more runs than MAX_VERSION_RUNS when filed in descending order */

static const char *const WL_CATEGORIES[] = {"XZ", "RS", "CW"};

/* Whether version v (filed as wl_doc(v)) matches q for viewer: the model. */
static int wl_visible(int64_t v, const dg_index_viewer *viewer, const dg_index_query *q)
{
    int level = (int)(v % 5), year = 2015 + (int)(v % 7);
    int current = v % 11 != 0, granted = level == 4 && v % 3 == 0; /* to user 2 */
    if (!current && !q->all_versions)
        return 0;
    if (level > viewer->clearance && !(granted && viewer->user_id == 2))
        return 0;
    if (q->category && strcmp(q->category, WL_CATEGORIES[v % 3]) != 0)
        return 0;
    if (q->level >= 0 && level != q->level)
        return 0;
    if ((q->year_from && year < q->year_from) || (q->year_to && year > q->year_to))
        return 0;
    for (size_t i = 0; i < q->n_exclude_records; i++)
        if (q->exclude_records[i] == v)
            return 0;
    return 1;
}

static void wl_put(dg_index *index, int64_t v)
{
    static const int64_t holder[] = {2};
    dg_index_doc d = doc_of(v, "通知", "通知 notice");
    d.category = WL_CATEGORIES[v % 3];
    d.level = (int)(v % 5);
    d.year = 2015 + (int)(v % 7);
    d.is_current = v % 11 != 0;
    if (d.level == 4 && v % 3 == 0) {
        d.grants = holder;
        d.n_grants = 1;
    }
    dg_error err;
    if (dg_index_put(index, &d, &err) != DG_OK)
        fail_msg("put: %s", err.msg);
}

static void wl_compare(dg_index *reader, dg_index *writer, const dg_index_viewer *v,
                       const dg_index_query *q)
{
    dg_index_result *a = NULL, *b = NULL;
    dg_error err;
    if (dg_index_search(reader, v, q, "[", "]", &a, &err) != DG_OK ||
        dg_index_search(writer, v, q, "[", "]", &b, &err) != DG_OK)
        fail_msg("search: %s", err.msg);
    int64_t model[WL_DOCS];
    size_t n = 0;
    for (int64_t id = 1; id <= WL_DOCS; id++)
        if (wl_visible(id, v, q))
            model[n++] = id;
    size_t from = q->offset < n ? q->offset : n;
    size_t shown = n - from < q->limit ? n - from : q->limit;
    if (a->total != n || b->total != n || a->n_hits != shown || b->n_hits != shown)
        fail_msg("user %lld clearance %d offset %zu: %llu/%zu hits against %llu/%zu, model %zu/%zu",
                 (long long)v->user_id, v->clearance, q->offset, (unsigned long long)a->total,
                 a->n_hits, (unsigned long long)b->total, b->n_hits, n, shown);
    for (size_t h = 0; h < shown; h++) {
        if (a->hits[h].version_id != model[from + h] || b->hits[h].version_id != model[from + h])
            fail_msg("user %lld clearance %d offset %zu hit %zu: version %lld, Xapian's %lld, "
                     "model %lld", (long long)v->user_id, v->clearance, q->offset, h,
                     (long long)a->hits[h].version_id, (long long)b->hits[h].version_id,
                     (long long)model[from + h]);
        assert_true(a->hits[h].score == b->hits[h].score);
        assert_int_equal(a->hits[h].record_id, b->hits[h].record_id);
        assert_int_equal(a->hits[h].is_current, b->hits[h].is_current);
        assert_string_equal(a->hits[h].snippet, b->hits[h].snippet);
    }
    dg_index_result_free(a);
    dg_index_result_free(b);
}

static void wl_search_everything(dg_index *reader, dg_index *writer)
{
    static const int64_t gone[] = {3, 12, 45};
    for (int user = 1; user <= 2; user++)
        for (int c = 0; c <= 4; c++) {
            dg_index_viewer v = {user, c};
            for (int variant = 0; variant < 8; variant++)
                for (size_t offset = 0; offset <= 30; offset += 15) {
                    dg_index_query q = query_of(variant % 2 ? "" : NULL);
                    q.offset = offset;
                    q.limit = variant == 3 ? 1 : variant == 5 ? WL_DOCS : 10;
                    q.category = variant == 2 ? "RS" : NULL;
                    q.all_versions = variant == 4;
                    q.level = variant == 5 ? 4 : -1;
                    q.year_from = variant == 6 ? 2017 : 0;
                    q.year_to = variant == 6 ? 2019 : 0;
                    if (variant == 7) {
                        q.exclude_records = gone;
                        q.n_exclude_records = 3;
                    }
                    wl_compare(reader, writer, &v, &q);
                }
        }
}

static void test_search_without_words_pages_by_lowest_version(void **state)
{
    fixture *f = *state;
    dg_error err;
    for (int archive = 0; archive < 2; archive++) {
        if (archive == 1) { /* descending: every document a run of its own */
            assert_int_equal(dg_index_clear(f->index, &err), DG_OK);
            for (int64_t v = WL_DOCS; v >= 1; v--)
                wl_put(f->index, v);
        } else { /* three interleaved ascending runs, as builders' halves */
            for (int run = 0; run < 3; run++)
                for (int64_t v = 1 + run; v <= WL_DOCS; v += 3)
                    wl_put(f->index, v);
        }
        commit(f);
        dg_index *reader = NULL;
        assert_int_equal(dg_index_open(f->path, DG_INDEX_READ, &reader, &err), DG_OK);
        wl_search_everything(reader, f->index);
        /* a later commit (one more run in level 0) is seen by the same reader */
        wl_put(f->index, 5); /* put again: same version, its document replaced */
        commit(f);
        wl_search_everything(reader, f->index);
        /* the runs were used where they are few, and only there (the writer never uses them) */
        uint64_t pages = dg_index_weightless_pages(reader);
        if (archive == 0)
            assert_int_equal(pages, 2 * 2 * 5 * 8 * 3); /* every search of the reader */
        else
            assert_int_equal(pages, 0);
        assert_int_equal(dg_index_weightless_pages(f->index), 0);
        dg_index_close(reader);
    }
}

/*
 * The ranked match leaves out a filter part that every document the viewer reads holds (their
 * visibility term where all are current versions); where one document lacks it (an old
 * version in their level, or in their grant shard) the part is kept, and hits are right.
 */
static void rf_expect(fixture *f, int64_t user, int clearance, int all_versions,
                      const char *expected)
{
    dg_index_viewer v = {user, clearance};
    dg_index_query q = query_of("通知");
    q.all_versions = all_versions;
    dg_index_result *r = run(f, &v, &q);
    char got[128] = "";
    int64_t ids[16];
    size_t n = r->n_hits < 16 ? r->n_hits : 16;
    for (size_t i = 0; i < n; i++)
        ids[i] = r->hits[i].version_id;
    for (size_t i = 1; i < n; i++) /* by version, whatever the scores */
        for (size_t j = i; j > 0 && ids[j - 1] > ids[j]; j--) {
            int64_t t = ids[j];
            ids[j] = ids[j - 1];
            ids[j - 1] = t;
        }
    for (size_t i = 0; i < n; i++)
        snprintf(got + strlen(got), sizeof got - strlen(got), "%s%lld", i ? " " : "",
                 (long long)ids[i]);
    if (strcmp(got, expected) != 0 || r->total != n)
        fail_msg("user %lld clearance %d%s: hits %s (total %llu), expected %s", (long long)user,
                 clearance, all_versions ? " all versions" : "", got,
                 (unsigned long long)r->total, expected);
    dg_index_result_free(r);
}

static void rf_put(fixture *f, int64_t version, int64_t record, int current, int level,
                   int granted)
{
    static const int64_t holder[] = {5};
    dg_index_doc d = doc_of(version, "通知", "通知 notice");
    d.record_id = record;
    d.is_current = current;
    d.level = level;
    d.grants = granted ? holder : NULL;
    d.n_grants = granted ? 1 : 0;
    put(f, &d);
}

static void test_ranked_filter_is_kept_where_a_document_lacks_it(void **state)
{
    fixture *f = *state;
    rf_put(f, 1, 1, 1, 0, 0);
    rf_put(f, 10, 10, 1, 4, 1);
    commit(f);
    /* every document current: the visibility part can go, nothing else changes */
    rf_expect(f, 5, 0, 0, "1 10");
    rf_expect(f, 6, 0, 0, "1");
    rf_expect(f, 6, 4, 0, "1 10");
    /* an old version in the grant shard only */
    rf_put(f, 11, 10, 0, 4, 1);
    commit(f);
    rf_expect(f, 5, 0, 0, "1 10");
    rf_expect(f, 5, 0, 1, "1 10 11");
    rf_expect(f, 6, 0, 0, "1");
    rf_expect(f, 6, 4, 0, "1 10");
    /* and one in a level the viewer reads */
    rf_put(f, 2, 2, 0, 0, 0);
    rf_put(f, 3, 2, 1, 0, 0);
    commit(f);
    rf_expect(f, 6, 0, 0, "1 3");
    rf_expect(f, 6, 0, 1, "1 2 3");
    rf_expect(f, 5, 0, 0, "1 3 10");
    rf_expect(f, 6, 4, 0, "1 3 10");
    rf_expect(f, 6, 4, 1, "1 2 3 10 11");
}

/*
 * A first search counted in two parts on two threads (dg_index_set_split_counts: the
 * viewer's last levels on another thread) gives the very totals and facets, hits, scores and
 * snippets of the same search counted whole: over five levels with deleted documents, OR,
 * NOT, phrases (whose verdicts both threads keep), years, viewers of every clearance (a grant
 * holder's shard is counted on the ranked thread) and pages past the first.
 */
static void sr_compare(dg_index *whole, dg_index *split, const dg_index_viewer *v,
                       const dg_index_query *q)
{
    dg_index_result *a = NULL, *b = NULL;
    dg_error err;
    if (dg_index_search(whole, v, q, "[", "]", &a, &err) != DG_OK ||
        dg_index_search(split, v, q, "[", "]", &b, &err) != DG_OK)
        fail_msg("search '%s': %s", q->text, err.msg);
    assert_int_equal(a->total, b->total);
    assert_int_equal(a->n_hits, b->n_hits);
    for (size_t i = 0; i < a->n_hits; i++) {
        if (a->hits[i].version_id != b->hits[i].version_id ||
            a->hits[i].score != b->hits[i].score ||
            strcmp(a->hits[i].snippet, b->hits[i].snippet) != 0)
            fail_msg("'%s' user %lld clearance %d offset %zu, hit %zu: %lld %g %s against "
                     "%lld %g %s",
                     q->text, (long long)v->user_id, v->clearance, q->offset, i,
                     (long long)a->hits[i].version_id, a->hits[i].score, a->hits[i].snippet,
                     (long long)b->hits[i].version_id, b->hits[i].score, b->hits[i].snippet);
    }
    assert_int_equal(a->n_category, b->n_category);
    for (size_t i = 0; i < a->n_category; i++) {
        assert_string_equal(a->by_category[i].value, b->by_category[i].value);
        assert_int_equal(a->by_category[i].count, b->by_category[i].count);
    }
    assert_int_equal(a->n_year, b->n_year);
    for (size_t i = 0; i < a->n_year; i++) {
        assert_string_equal(a->by_year[i].value, b->by_year[i].value);
        assert_int_equal(a->by_year[i].count, b->by_year[i].count);
    }
    dg_index_result_free(a);
    dg_index_result_free(b);
}

static void test_counts_in_two_parts_equal_the_whole_count(void **state)
{
    fixture *f = *state;
    static const char *const titles[] = {"关于开展年度考核工作的通知", "会议纪要",
                                         "工作总结", "the annual report", "通知"};
    static const char *const bodies[] = {
        "各部门要高度重视，认真组织，确保各项工作落到实处。",
        "The committee reviewed the annual budget report and approved the plan.",
        "会议听取了关于经费使用情况的汇报，并对下一阶段工作进行了部署。 the plan",
        "请全体教职工遵照执行，如有疑问请与校办联系。工作 工作 工作",
        "各部门要高度重视，认真组织，确保各项工作落到实处。"}; /* = the first: ties */
    static const char *const categories[] = {"XZ", "JX", "CW"};
    static const int64_t holder[] = {7};
    char title[256], body[512];
    for (int64_t v = 1; v <= 600; v++) {
        unsigned h = (unsigned)v * 2654435761u;
        snprintf(title, sizeof title, "%s", titles[h % 5]);
        snprintf(body, sizeof body, "%s%s", bodies[(h >> 3) % 5],
                 (h >> 7) % 4 == 0 ? bodies[(h >> 9) % 5] : "");
        dg_index_doc d = doc_of(v, title, body);
        d.level = (int)((h >> 11) % 5);
        d.category = categories[(h >> 14) % 3];
        d.year = 2015 + (int)((h >> 16) % 10);
        d.grants = d.level == 4 && (h >> 18) % 3 == 0 ? holder : NULL;
        d.n_grants = d.grants ? 1 : 0;
        put(f, &d);
    }
    commit(f);
    dg_error err;
    for (int64_t v = 5; v <= 600; v += 17) /* gaps in every level's ids */
        assert_int_equal(dg_index_delete_version(f->index, v, &err), DG_OK);
    commit(f);
    dg_index *whole = NULL, *split = NULL;
    assert_int_equal(dg_index_open(f->path, DG_INDEX_READ, &whole, &err), DG_OK);
    assert_int_equal(dg_index_open(f->path, DG_INDEX_READ, &split, &err), DG_OK);
    dg_index_set_split_counts(whole, UINT64_MAX);
    dg_index_set_split_counts(split, 0);
    static const char *const queries[] = {"工作", "the", "\"工作\"", "\"的通知\"", "通知 OR plan",
                                          "工作 NOT the", "annual report", "\"the plan\"",
                                          "年度 NEAR 考核", "title:通知", "会议 2019"};
    static const dg_index_viewer viewers[] = {{1, 4}, {2, 2}, {7, 1}, {3, 0}, {7, 3}};
    static const size_t offsets[] = {0, 3, 10, 90};
    for (size_t qi = 0; qi < sizeof queries / sizeof queries[0]; qi++)
        for (size_t vi = 0; vi < sizeof viewers / sizeof viewers[0]; vi++)
            for (size_t oi = 0; oi < sizeof offsets / sizeof offsets[0]; oi++) {
                dg_index_query q = query_of(queries[qi]);
                q.limit = 10;
                q.offset = offsets[oi];
                sr_compare(whole, split, &viewers[vi], &q);
            }
    assert_int_equal(dg_index_counts_split(whole), 0);
    assert_true(dg_index_counts_split(split) > 0);
    dg_index_close(whole);
    dg_index_close(split);
}

static void test_malformed_queries_are_refused_with_a_message(void **state)
{
    fixture *f = *state;
    dg_index_doc a = doc_of(1, "通知", "budget notice");
    put(f, &a);
    commit(f);
    const char *bad[] = {"AND", "budget AND", "OR budget", "NOT", "\"budget notice",
                         "title:", "budget title:", "(budget", "budget)", "no:  x", "NOT budget",
                         "“预算"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        dg_index_query q = query_of(bad[i]);
        dg_index_result *r = NULL;
        dg_error err;
        dg_status st = dg_index_search(f->index, &EVERYONE, &q, "[", "]", &r, &err);
        if (st != DG_ERR_QUERY)
            fail_msg("query '%s' gave status %d, not DG_ERR_QUERY", bad[i], st);
        assert_null(r);
        assert_true(strlen(err.msg) > 10);
    }
}

static void test_query_without_matches_is_ok_and_empty(void **state)
{
    fixture *f = *state;
    dg_index_doc a = doc_of(1, "通知", "budget notice");
    put(f, &a);
    commit(f);
    dg_index_query q = query_of("nonexistentword");
    dg_index_result *r = run(f, &EVERYONE, &q);
    assert_int_equal(r->total, 0);
    assert_int_equal(r->n_hits, 0);
    assert_int_equal(r->n_category, 0);
    dg_index_result_free(r);
    assert_int_equal(count(f, ""), 1);
    assert_int_equal(count(f, NULL), 1);
    assert_int_equal(count(f, "   "), 1);
    assert_int_equal(count(f, "。，！"), 0);
    assert_int_equal(count(f, "“budget notice”"), 1);
}

/* ---- snippets -------------------------------------------------------------------------- */

static void test_snippet_shows_original_script_with_highlights(void **state)
{
    fixture *f = *state;
    dg_index_doc a = doc_of(1, "規程", "第一條 本規程規定檔案借閱權限，\n  借閱須登記。The reports are filed.");
    put(f, &a);
    commit(f);
    dg_index_query q = query_of("权限");
    dg_index_result *r = run(f, &EVERYONE, &q);
    assert_int_equal(r->n_hits, 1);
    assert_non_null(strstr(r->hits[0].snippet, "[權限]"));
    assert_null(strstr(r->hits[0].snippet, "\n")); /* line breaks become spaces */
    dg_index_result_free(r);
    q.text = "report";
    r = run(f, &EVERYONE, &q);
    assert_non_null(strstr(r->hits[0].snippet, "[reports]"));
    dg_index_result_free(r);
}

static void test_long_snippet_is_short_and_valid_utf8(void **state)
{
    fixture *f = *state;
    char body[8192] = "";
    size_t len = 0;
    for (int i = 0; i < 300; i++)
        len += (size_t)snprintf(body + len, sizeof body - len, "檔案");
    len += (size_t)snprintf(body + len, sizeof body - len, "預算表");
    for (int i = 0; i < 300; i++)
        len += (size_t)snprintf(body + len, sizeof body - len, "會議");
    dg_index_doc a = doc_of(1, "长文", body);
    put(f, &a);
    commit(f);
    dg_index_query q = query_of("预算");
    dg_index_result *r = run(f, &EVERYONE, &q);
    const char *s = r->hits[0].snippet;
    assert_non_null(strstr(s, "[預算]"));
    assert_true(strlen(s) < 700); /* about 200 characters of three bytes each */
    /* Every lead byte is followed by the continuation bytes it announces. */
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        int n = *p < 0x80 ? 1 : (*p >> 5) == 6 ? 2 : (*p >> 4) == 14 ? 3 : (*p >> 3) == 30 ? 4 : 0;
        assert_true(n > 0);
        for (int k = 1; k < n; k++)
            assert_int_equal(p[k] & 0xC0, 0x80);
        p += n;
    }
    dg_index_result_free(r);
}

/* ---- on disk: deletion, compaction, locking, readers ----------------------------------- */

static int file_contains(const char *path, const char *needle)
{
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    static char buf[1 << 20];
    size_t nlen = strlen(needle), have = 0, got;
    int found = 0;
    /* Keep nlen-1 bytes across reads so a needle split between two reads is still seen. */
    while (!found && (got = fread(buf + have, 1, sizeof buf - have, fp)) > 0) {
        have += got;
        found = memmem(buf, have, needle, nlen) != NULL;
        size_t keep = have < nlen ? have : nlen - 1;
        memmove(buf, buf + have - keep, keep);
        have = keep;
    }
    fclose(fp);
    return found;
}

static int folder_contains(const char *dir, const char *needle)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    int found = 0;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[512];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        assert_int_equal(lstat(path, &st), 0);
        if (S_ISDIR(st.st_mode))
            found |= folder_contains(path, needle);
        else if (S_ISREG(st.st_mode))
            found |= file_contains(path, needle);
    }
    closedir(d);
    return found;
}

static void test_deleted_text_leaves_no_trace_after_compact(void **state)
{
    fixture *f = *state;
    /* The unique words, in the document's script and in their folded (simplified) form. */
    const char *secret_body = "Zyxwvutqa7 vanishingword 鑰匙櫃鎖 reports";
    dg_index_doc a = doc_of(1, "銷毀", secret_body);
    dg_index_doc b = doc_of(2, "keep", "an ordinary record that stays");
    put(f, &a);
    put(f, &b);
    commit(f);
    assert_int_equal(only_hit(f, "vanishingword"), 1);
    assert_true(folder_contains(f->dir, "vanishingword")); /* the scan can find it */
    dg_error err;
    assert_int_equal(dg_index_delete_version(f->index, 1, &err), DG_OK);
    commit(f);
    assert_int_equal(dg_index_compact(f->index, &err), DG_OK);
    const char *needles[] = {"vanishingword", "zyxwvutqa7", "Zyxwvutqa7", "鑰匙櫃鎖", "钥匙柜锁",
                             "钥匙", "柜锁", "銷毀", "销毁"};
    for (size_t i = 0; i < sizeof needles / sizeof needles[0]; i++)
        if (folder_contains(f->dir, needles[i]))
            fail_msg("'%s' is still on disk after delete and compact", needles[i]);
    /* The handle still works, and the kept record is still found. */
    assert_int_equal(only_hit(f, "ordinary"), 2);
    dg_index_doc c = doc_of(3, "new", "written after compaction");
    put(f, &c);
    commit(f);
    assert_int_equal(only_hit(f, "compaction"), 3);
    uint64_t n = 0;
    assert_int_equal(dg_index_doc_count(f->index, &n, &err), DG_OK);
    assert_int_equal(n, 2);
}

static void test_second_writer_is_refused_as_busy(void **state)
{
    fixture *f = *state;
    dg_index *second = NULL;
    dg_error err;
    assert_int_equal(dg_index_open(f->path, DG_INDEX_WRITE, &second, &err), DG_ERR_BUSY);
    assert_null(second);
    assert_non_null(strstr(err.msg, "locked by another writer"));
    assert_int_equal(dg_index_open(f->path, DG_INDEX_READ, &second, &err), DG_OK);
    dg_index_close(second);
}

static void test_reader_sees_later_commits_and_cannot_write(void **state)
{
    fixture *f = *state;
    commit(f);
    dg_index *reader = NULL;
    dg_error err;
    assert_int_equal(dg_index_open(f->path, DG_INDEX_READ, &reader, &err), DG_OK);
    for (int i = 1; i <= 3; i++) {
        dg_index_doc d = doc_of(i, "round", "round trip");
        put(f, &d);
        commit(f);
        dg_index_query q = query_of("round");
        dg_index_result *r = NULL;
        assert_int_equal(dg_index_search(reader, &EVERYONE, &q, "", "", &r, &err), DG_OK);
        assert_int_equal(r->total, i);
        dg_index_result_free(r);
    }
    dg_index_doc d = doc_of(9, "x", "y");
    assert_int_equal(dg_index_put(reader, &d, &err), DG_ERR_USAGE);
    dg_index_close(reader);
}

/*
 * A reader that was open before a destruction (a server's reader threads live long) must
 * not find the destroyed text afterwards: compaction swaps the index folder under it.
 */
static void test_open_reader_forgets_text_deleted_and_compacted(void **state)
{
    fixture *f = *state;
    dg_index_doc a = doc_of(1, "destroyed", "vanishingword in a destroyed record");
    dg_index_doc b = doc_of(2, "kept", "an ordinary record that stays");
    put(f, &a);
    put(f, &b);
    commit(f);
    dg_index *reader = NULL;
    dg_error err;
    assert_int_equal(dg_index_open(f->path, DG_INDEX_READ, &reader, &err), DG_OK);
    assert_int_equal(total_through(reader, "vanishingword"), 1);
    assert_int_equal(dg_index_delete_version(f->index, 1, &err), DG_OK);
    commit(f);
    assert_int_equal(dg_index_compact(f->index, &err), DG_OK);
    assert_int_equal(total_through(reader, "vanishingword"), 0);
    assert_int_equal(total_through(reader, "vanishingword"), 0); /* from its cache too */
    assert_int_equal(total_through(reader, "ordinary"), 1);
    dg_index_close(reader);
}

/*
 * A rebuild goes into a folder beside the live index: a reader opened before it finds the
 * old documents until the swap and the new ones after; a discarded build leaves the live
 * index and nothing else.
 */
static void test_a_rebuild_beside_the_live_index_replaces_it_whole(void **state)
{
    fixture *f = *state;
    dg_index_doc old = doc_of(1, "old", "oldword in the live index");
    put(f, &old);
    commit(f);
    dg_index *reader = NULL, *fresh = NULL;
    dg_error err;
    assert_int_equal(dg_index_open(f->path, DG_INDEX_READ, &reader, &err), DG_OK);
    assert_int_equal(dg_index_build_open(f->path, &fresh, &err), DG_OK);
    dg_index_doc a = doc_of(2, "new", "newword one"), b = doc_of(3, "new", "newword two");
    assert_int_equal(dg_index_put(fresh, &a, &err), DG_OK);
    assert_int_equal(dg_index_put(fresh, &b, &err), DG_OK);
    assert_int_equal(dg_index_commit(fresh, &err), DG_OK);
    assert_int_equal(total_through(reader, "oldword"), 1); /* the build is not live yet */
    assert_int_equal(total_through(reader, "newword"), 0);
    assert_int_equal(dg_index_build_swap(f->index, fresh, &err), DG_OK);
    dg_index_close(fresh);
    assert_int_equal(total_through(reader, "oldword"), 0);
    assert_int_equal(total_through(reader, "newword"), 2);
    assert_int_equal(count(f, "newword"), 2); /* the live handle follows too */
    char build[160];
    snprintf(build, sizeof build, "%s.build", f->path);
    struct stat st;
    assert_int_not_equal(stat(build, &st), 0);
    /* A build that is given up leaves the live index as it is. */
    assert_int_equal(dg_index_build_open(f->path, &fresh, &err), DG_OK);
    assert_int_equal(dg_index_put(fresh, &old, &err), DG_OK);
    dg_index_build_discard(fresh);
    assert_int_not_equal(stat(build, &st), 0);
    assert_int_equal(total_through(reader, "newword"), 2);
    dg_index_close(reader);
}

/* The hits of text for everyone: version ids and scores, in rank order, into ids/scores. */
static size_t ranking_of(dg_index *index, const char *text, int64_t *ids, double *scores)
{
    dg_index_query q = query_of(text);
    dg_index_result *r = NULL;
    dg_error err;
    if (dg_index_search(index, &EVERYONE, &q, "", "", &r, &err) != DG_OK)
        fail_msg("search '%s': %s", text, err.msg);
    size_t n = r->n_hits;
    for (size_t i = 0; i < n; i++) {
        ids[i] = r->hits[i].version_id;
        scores[i] = r->hits[i].score;
    }
    dg_index_result_free(r);
    return n;
}

/*
 * A rebuild writes on two builders (every other new version on a second thread) and merges
 * both halves into the compacted index it swaps in. With changes (versions put again, moved
 * to another level, out of order; deleted versions and records) or without (only new
 * versions, as reindex puts them: the halves merge in one compaction), it ends up exactly
 * as when the same calls are made one by one on a live index, with the same rankings and
 * scores, and the same totals (the counting pass matches in document id order).
 */

/* x and y hold the same n versions, each once, and as many documents. */
static void assert_same_versions(dg_index *x, dg_index *y, size_t n)
{
    dg_index_entry *a = NULL, *b = NULL;
    size_t na = 0, nb = 0;
    uint64_t docs_a = 0, docs_b = 0;
    dg_error err;
    assert_int_equal(dg_index_list_versions(x, &a, &na, &docs_a, &err), DG_OK);
    assert_int_equal(dg_index_list_versions(y, &b, &nb, &docs_b, &err), DG_OK);
    assert_int_equal(na, n);
    assert_int_equal(nb, n);
    assert_int_equal(docs_a, docs_b);
    for (size_t i = 0; i < na; i++) {
        assert_int_equal(a[i].version_id, b[i].version_id);
        assert_int_equal(a[i].copies, 1);
    }
    free(a);
    free(b);
}

static void check_rebuild_holds_what_one_index_holds(fixture *f, int changes)
{
    static const char *const words[] = {"budget", "经费预算", "training records", "档案管理",
                                        "會議紀要", "budget training"};
    char bodies[40][96];
    dg_index *fresh = NULL;
    dg_error err;
    assert_int_equal(dg_index_build_open(f->path, &fresh, &err), DG_OK);
    for (int pass = 0; pass < 2; pass++) { /* the build, then the same calls on the live index */
        dg_index *into = pass == 0 ? fresh : f->index;
        for (int i = 0; i < 40; i++) {
            snprintf(bodies[i], sizeof bodies[i], "%s %s 第%d条", words[i % 6], words[(i * 7) % 6],
                     i);
            dg_index_doc d = doc_of(i + 1, words[i % 5], bodies[i]);
            d.level = i % 5;
            assert_int_equal(dg_index_put(into, &d, &err), DG_OK);
        }
        if (changes) { /* the helper's version put again, ours, a deletion of each kind */
            dg_index_doc moved = doc_of(8, "moved", "movedword budget 经费");
            moved.level = 4; /* the helper's version 8, put again on another level */
            assert_int_equal(dg_index_put(into, &moved, &err), DG_OK);
            dg_index_doc again = doc_of(7, "again", "againword training");
            assert_int_equal(dg_index_put(into, &again, &err), DG_OK);
            assert_int_equal(dg_index_delete_version(into, 12, &err), DG_OK);
            assert_int_equal(dg_index_delete_record(into, 21, &err), DG_OK);
        }
        dg_index_doc late = doc_of(41, "late", "lateword 档案");
        assert_int_equal(dg_index_put(into, &late, &err), DG_OK);
        assert_int_equal(dg_index_commit(into, &err), DG_OK);
        if (pass == 0) {
            char live[160];
            snprintf(live, sizeof live, "%s-one", f->path);
            /* the calls one by one go into a second live index, beside the first */
            assert_int_equal(dg_index_build_swap(f->index, fresh, &err), DG_OK);
            dg_index_close(fresh);
            fresh = f->index;
            assert_int_equal(dg_index_open(live, DG_INDEX_WRITE, &f->index, &err), DG_OK);
        }
    }
    dg_index *built = fresh, *one = f->index;
    /* 41 versions; one deleted, one record deleted */
    assert_same_versions(built, one, changes ? 39 : 41);
    static const char *const queries[] = {"budget", "经费", "training", "movedword", "againword",
                                          "档案", "\"预算\"", "lateword", "第11条", "第12条"};
    for (size_t q = 0; q < sizeof queries / sizeof queries[0]; q++) {
        int64_t ids_a[100], ids_b[100];
        double sa[100], sb[100];
        size_t nb = ranking_of(one, queries[q], ids_b, sb);
        size_t n = ranking_of(built, queries[q], ids_a, sa);
        assert_int_equal(n, nb);
        for (size_t i = 0; i < n; i++) {
            assert_int_equal(ids_a[i], ids_b[i]);
            assert_true(sa[i] == sb[i]);
        }
    }
    fixture built_view = *f;
    built_view.index = built;
    assert_int_equal(count(&built_view, "budget"), count(f, "budget"));
    assert_int_equal(count(&built_view, "经费"), count(f, "经费"));
    assert_int_equal(count(&built_view, "movedword"), changes ? 1 : 0);
    assert_int_equal(count(&built_view, "第11条"), changes ? 0 : 1); /* version 12 */
    assert_int_equal(only_hit(&built_view, "第12条"), 13);
    f->index = built; /* the fixture's index; the second one is closed here */
    dg_index_close(one);
}

static void test_a_rebuild_holds_what_one_index_holds(void **state)
{
    check_rebuild_holds_what_one_index_holds(*state, 1);
}

static void test_a_rebuild_of_new_versions_only_holds_what_one_index_holds(void **state)
{
    check_rebuild_holds_what_one_index_holds(*state, 0);
}

/*
 * A build writes each level's changes out every few hundred new documents (BUILD_FLUSH in
 * the shim) instead of holding them all until the swap: a build of more versions than that
 * on one level holds what the same puts into a live index hold (every version once, the
 * same rankings, scores and totals).
 */
static void test_a_build_written_out_on_the_way_holds_what_one_index_holds(void **state)
{
    fixture *f = *state;
    static const char *const words[] = {"budget", "经费预算", "training", "档案管理", "會議紀要"};
    enum { N = 1300 }; /* over twice BUILD_FLUSH, on one level, across both builders */
    char live_path[160];
    snprintf(live_path, sizeof live_path, "%s-one", f->path);
    dg_index *one = NULL, *fresh = NULL;
    dg_error err;
    assert_int_equal(dg_index_open(live_path, DG_INDEX_WRITE, &one, &err), DG_OK);
    assert_int_equal(dg_index_build_open(f->path, &fresh, &err), DG_OK);
    for (int i = 0; i < N; i++) {
        char body[96];
        snprintf(body, sizeof body, "%s %s 第%d条", words[i % 5], words[(i * 3) % 5], i);
        dg_index_doc d = doc_of(i + 1, words[(i * 7) % 5], body);
        assert_int_equal(dg_index_put(fresh, &d, &err), DG_OK);
        assert_int_equal(dg_index_put(one, &d, &err), DG_OK);
    }
    assert_int_equal(dg_index_commit(one, &err), DG_OK);
    assert_int_equal(dg_index_build_swap(f->index, fresh, &err), DG_OK);
    dg_index_close(fresh);
    assert_same_versions(f->index, one, N);
    static const char *const queries[] = {"budget", "经费", "training", "档案", "會議",
                                          "\"预算\"", "第1299条", "第7条"};
    fixture one_view = *f;
    one_view.index = one;
    for (size_t q = 0; q < sizeof queries / sizeof queries[0]; q++) {
        int64_t ids_a[100], ids_b[100];
        double sa[100], sb[100];
        size_t n = ranking_of(f->index, queries[q], ids_a, sa);
        assert_int_equal(n, ranking_of(one, queries[q], ids_b, sb));
        assert_true(n > 0);
        for (size_t i = 0; i < n; i++) {
            assert_int_equal(ids_a[i], ids_b[i]);
            assert_true(sa[i] == sb[i]);
        }
        assert_int_equal(count(f, queries[q]), count(&one_view, queries[q]));
    }
    assert_int_equal(count(f, "budget"), N / 5);
    dg_index_close(one);
}

/* The versions a read-only handle on path sees now; each must be there once. */
static size_t versions_seen(const char *path)
{
    dg_index *reader = NULL;
    dg_index_entry *list = NULL;
    size_t n = 0;
    uint64_t docs = 0;
    dg_error err;
    assert_int_equal(dg_index_open(path, DG_INDEX_READ, &reader, &err), DG_OK);
    assert_int_equal(dg_index_list_versions(reader, &list, &n, &docs, &err), DG_OK);
    assert_int_equal(docs, n);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(list[i].copies, 1);
    free(list);
    dg_index_close(reader);
    return n;
}

/*
 * The live index (ingest's index thread, the index queue) also writes a level out every
 * few hundred puts into it (LIVE_FLUSH in the shim) instead of holding a whole batch in
 * memory: before the caller's commit a reader already sees most of a large batch of one
 * level, a version put again after its level was written out stays one document (the new
 * one), and after the commit everything is there once.
 */
static void test_the_live_index_writes_a_level_out_on_the_way(void **state)
{
    fixture *f = *state;
    enum { N = 1100 }; /* over twice LIVE_FLUSH, on one level */
    dg_error err;
    for (int i = 0; i < N; i++) {
        char body[64];
        snprintf(body, sizeof body, "经费预算 budget 第%d条", i);
        dg_index_doc d = doc_of(i + 1, "会议纪要", body);
        put(f, &d);
    }
    size_t seen = versions_seen(f->path);
    assert_true(seen >= N / 2 && seen < N); /* written out on the way, not yet all */
    for (int i = 0; i < 50; i++) { /* put again: versions written out long ago */
        dg_index_doc d = doc_of(i + 1, "会议纪要", "changedword");
        put(f, &d);
    }
    assert_int_equal(dg_index_commit(f->index, &err), DG_OK);
    assert_int_equal(versions_seen(f->path), N);
    assert_int_equal(count(f, "changedword"), 50);
    assert_int_equal(count(f, "budget"), N - 50);
    assert_int_equal(only_hit(f, "第51条"), 52); /* version i + 1 holds 第i条 */
}

/* verify compares these with the catalog: every id once, in order, and the doc count. */
static void test_list_versions_gives_every_version_id_and_the_document_count(void **state)
{
    fixture *f = *state;
    int64_t ids[] = {12, 3, 100};
    for (size_t i = 0; i < 3; i++) {
        dg_index_doc d = doc_of(ids[i], "t", "body");
        put(f, &d);
    }
    commit(f);
    dg_index_entry *e = NULL;
    size_t n = 0;
    uint64_t docs = 0;
    dg_error err;
    assert_int_equal(dg_index_list_versions(f->index, &e, &n, &docs, &err), DG_OK);
    assert_int_equal(n, 3);
    assert_int_equal(docs, 3);
    assert_int_equal(e[0].version_id, 3);
    assert_int_equal(e[1].version_id, 12);
    assert_int_equal(e[2].version_id, 100);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(e[i].copies, 1);
    free(e);
}

/* Records whose destruction has begun are in neither the total nor the hits. */
static void test_excluded_records_are_neither_counted_nor_hit(void **state)
{
    fixture *f = *state;
    for (int64_t id = 1; id <= 4; id++) {
        dg_index_doc d = doc_of(id, "minutes", "minutes of the meeting");
        put(f, &d);
    }
    commit(f);
    int64_t gone[] = {2, 4};
    dg_index_query q = query_of("minutes");
    q.exclude_records = gone;
    q.n_exclude_records = 2;
    dg_index_result *r = run(f, &EVERYONE, &q);
    assert_int_equal(r->total, 2);
    assert_int_equal(r->n_hits, 2);
    for (size_t i = 0; i < r->n_hits; i++)
        assert_true(r->hits[i].record_id == 1 || r->hits[i].record_id == 3);
    dg_index_result_free(r);
}

/* The reader's facet table belongs to one revision: a commit must not leave it stale. */
static void test_reader_facets_follow_commits(void **state)
{
    fixture *f = *state;
    for (int i = 1; i <= 40; i++) {
        dg_index_doc d = doc_of(i, "预算", "预算 budget");
        d.category = i % 2 ? "CW" : "XZ";
        put(f, &d);
    }
    commit(f);
    dg_index *reader = NULL;
    dg_error err;
    assert_int_equal(dg_index_open(f->path, DG_INDEX_READ, &reader, &err), DG_OK);
    for (int round = 0; round < 2; round++) {
        dg_index_query q = query_of("budget");
        dg_index_result *r = NULL;
        assert_int_equal(dg_index_search(reader, &EVERYONE, &q, "", "", &r, &err), DG_OK);
        uint64_t cw = 0, zc = 0;
        for (size_t c = 0; c < r->n_category; c++) {
            if (!strcmp(r->by_category[c].value, "CW"))
                cw = r->by_category[c].count;
            if (!strcmp(r->by_category[c].value, "ZC"))
                zc = r->by_category[c].count;
        }
        assert_int_equal(r->total, 40 + 5 * round);
        assert_int_equal(cw, round ? 15 : 20); /* 5 CW documents moved to ZC */
        assert_int_equal(zc, round ? 10 : 0);  /* and 5 new ones */
        dg_index_result_free(r);
        for (int i = 1; i <= 10; i++) { /* then: 5 reclassified, 5 more */
            dg_index_doc d = doc_of(i <= 5 ? 2 * i - 1 : 40 + i, "预算", "预算 budget");
            d.category = "ZC";
            put(f, &d);
        }
        commit(f);
    }
    dg_index_close(reader);
}

/* Adds one "budget" document per commit, COMMITS times, from its own thread. */
enum { COMMITS = 40 };

typedef struct committer {
    dg_index *writer;
    int failed;
    volatile int done;
} committer;

static void *commit_one_by_one(void *arg)
{
    committer *c = arg;
    dg_error err;
    for (int i = 1; i <= COMMITS && !c->failed; i++) {
        dg_index_doc d = doc_of(1000 + i, "budget", "budget of the year");
        d.category = i % 2 ? "CW" : "XZ";
        c->failed = dg_index_put(c->writer, &d, &err) != DG_OK ||
                    dg_index_commit(c->writer, &err) != DG_OK;
    }
    c->done = 1;
    return NULL;
}

/*
 * A reader counts on one thread while it ranks on another, over two handles: while a writer
 * commits, both must read the same revision, so the total, the hits and the facet counts of
 * every answer describe the same set of documents.
 */
static void test_counts_and_hits_agree_while_a_writer_commits(void **state)
{
    fixture *f = *state;
    dg_index *reader = NULL;
    dg_error err;
    commit(f);
    assert_int_equal(dg_index_open(f->path, DG_INDEX_READ, &reader, &err), DG_OK);
    committer c = {f->index, 0, 0};
    pthread_t thread;
    assert_int_equal(pthread_create(&thread, NULL, commit_one_by_one, &c), 0);
    uint64_t last_total = 0;
    for (int searches = 0, finished = 0; !finished; searches++) {
        finished = c.done && searches >= 5; /* the last search starts after the last commit */
        dg_index_query q = query_of("budget");
        dg_index_result *r = NULL;
        if (dg_index_search(reader, &EVERYONE, &q, "", "", &r, &err) != DG_OK)
            fail_msg("search while a writer commits: %s", err.msg);
        assert_int_equal(r->total, r->n_hits);
        uint64_t by_category = 0;
        for (size_t k = 0; k < r->n_category; k++)
            by_category += r->by_category[k].count;
        assert_int_equal(by_category, r->total);
        assert_true(r->total >= last_total); /* commits only add */
        last_total = r->total;
        dg_index_result_free(r);
    }
    pthread_join(thread, NULL);
    assert_false(c.failed);
    assert_int_equal(last_total, COMMITS);
    dg_index_close(reader);
}

typedef struct browser {
    dg_index *reader;
    int failed;
} browser;

/* Searches that match every document under the viewer's filters: no words, and words
 * whose filters narrow nothing. */
static void *browse_many(void *arg)
{
    browser *b = arg;
    dg_error err;
    for (int i = 0; i < 1500 && !b->failed; i++) {
        dg_index_query q = query_of(i % 2 ? NULL : "budget");
        q.limit = 5;
        dg_index_result *r = NULL;
        b->failed = dg_index_search(b->reader, &EVERYONE, &q, "", "", &r, &err) != DG_OK ||
                    r->total != 40;
        dg_index_result_free(r);
    }
    return NULL;
}

/*
 * The server's readers search at once, each on its own handle and thread. A query that
 * matches every document is made for each search, never shared: Xapian's reference counts
 * are not atomic, and copies of its one static MatchAll released on several threads at once
 * freed it under another search (a crash in bench/serve about one run in five under load).
 * Run under the sanitizers (make check), a shared query shows as a use after free.
 */
static void test_readers_on_threads_share_no_query(void **state)
{
    fixture *f = *state;
    for (int i = 0; i < 40; i++) {
        dg_index_doc d = doc_of(3000 + i, "budget", "budget of the year");
        put(f, &d);
    }
    commit(f);
    enum { THREADS = 4 };
    browser b[THREADS];
    pthread_t threads[THREADS];
    dg_error err;
    for (int t = 0; t < THREADS; t++) {
        b[t] = (browser){NULL, 0};
        assert_int_equal(dg_index_open(f->path, DG_INDEX_READ, &b[t].reader, &err), DG_OK);
        assert_int_equal(pthread_create(&threads[t], NULL, browse_many, &b[t]), 0);
    }
    for (int t = 0; t < THREADS; t++) {
        pthread_join(threads[t], NULL);
        assert_false(b[t].failed);
        dg_index_close(b[t].reader);
    }
}

/* Grants open level-4 documents only; a grant left on a lowered record opens nothing. */
static void test_grant_does_not_lift_clearance_below_level_4(void **state)
{
    fixture *f = *state;
    int64_t grantee = 7;
    dg_index_doc a = doc_of(1, "名单", "XQZGRANTED level three");
    a.level = 3;
    a.grants = &grantee;
    a.n_grants = 1;
    dg_index_doc b = doc_of(2, "名单", "XQZGRANTED level four");
    b.level = 4;
    b.grants = &grantee;
    b.n_grants = 1;
    put(f, &a);
    put(f, &b);
    commit(f);
    dg_index_viewer staff = {grantee, 1};
    dg_index_query q = query_of("XQZGRANTED");
    dg_index_result *r = run(f, &staff, &q);
    assert_int_equal(r->total, 1);
    assert_int_equal(r->hits[0].version_id, 2);
    dg_index_result_free(r);
    q.all_versions = 1;
    r = run(f, &staff, &q);
    assert_int_equal(r->total, 1);
    dg_index_result_free(r);
}

/* The hits of text for viewer through reader; returns how many, and the first's version. */
static size_t reader_hits(dg_index *reader, const dg_index_viewer *v, const char *text,
                          int64_t *first)
{
    dg_index_query q = query_of(text);
    dg_index_result *r = NULL;
    dg_error err;
    if (dg_index_search(reader, v, &q, "[", "]", &r, &err) != DG_OK)
        fail_msg("search '%s': %s", text, err.msg);
    size_t n = r->n_hits;
    *first = n ? r->hits[0].version_id : 0;
    dg_index_result_free(r);
    return n;
}

/*
 * Issue 15: a grant holder below clearance 4 searches a copy of their granted level-4
 * documents. Kept per revision of level 4, the copy was made again (about 0.2 s for 100
 * grants) after any level-4 change, so the time of their next search told them that some
 * level-4 record they may not see had been filed. It is made again only when one of their
 * granted documents, or their grants, change.
 */
static void test_grant_copy_is_made_again_only_for_the_holders_own_changes(void **state)
{
    fixture *f = *state;
    int64_t holder = 7, other = 8, both[2] = {7, 8};
    dg_index_doc mine = doc_of(1, "名单", "XQZCOPY granted first text");
    mine.level = 4;
    mine.grants = &holder;
    mine.n_grants = 1;
    dg_index_doc pub = doc_of(2, "通知", "XQZCOPY public");
    put(f, &mine);
    put(f, &pub);
    commit(f);
    dg_index *reader = NULL;
    dg_error err;
    assert_int_equal(dg_index_open(f->path, DG_INDEX_READ, &reader, &err), DG_OK);
    const dg_index_viewer v = {holder, 1};
    int64_t first = 0;
    assert_int_equal(reader_hits(reader, &v, "XQZCOPY", &first), 2);
    uint64_t copies = dg_index_grant_copies(reader);
    assert_true(copies > 0);
    assert_int_equal(reader_hits(reader, &v, "XQZCOPY", &first), 2);
    assert_int_equal(dg_index_grant_copies(reader), copies);

    /* level-4 records not granted to them: filed, granted to another, changed, removed */
    dg_index_doc theirs = doc_of(3, "名单", "XQZCOPY someone else's");
    theirs.level = 4;
    theirs.grants = &other;
    theirs.n_grants = 1;
    dg_index_doc nobodys = doc_of(4, "名单", "XQZCOPY nobody's");
    nobodys.level = 4;
    put(f, &theirs);
    put(f, &nobodys);
    commit(f);
    assert_int_equal(reader_hits(reader, &v, "XQZCOPY", &first), 2);
    theirs.body = "XQZCOPY someone else's, edited";
    put(f, &theirs);
    commit(f);
    assert_int_equal(reader_hits(reader, &v, "public", &first), 1);
    assert_int_equal(dg_index_delete_record(f->index, 4, &err), DG_OK);
    commit(f);
    /* another user granted the holder's own record as well: nothing they hold changed */
    mine.grants = both;
    mine.n_grants = 2;
    put(f, &mine);
    commit(f);
    assert_int_equal(reader_hits(reader, &v, "XQZCOPY", &first), 2);
    assert_int_equal(dg_index_grant_copies(reader), copies);

    /* their granted record changes: the copy is made again, and holds the new text */
    mine.body = "XQZCOPY granted XQZEDITED";
    put(f, &mine);
    commit(f);
    assert_int_equal(reader_hits(reader, &v, "XQZEDITED", &first), 1);
    assert_int_equal(first, 1);
    assert_true(dg_index_grant_copies(reader) > copies);
    copies = dg_index_grant_copies(reader);

    /* a new grant, then a grant taken away: made again each time */
    theirs.grants = both;
    theirs.n_grants = 2;
    put(f, &theirs);
    commit(f);
    assert_int_equal(reader_hits(reader, &v, "XQZCOPY", &first), 3);
    assert_true(dg_index_grant_copies(reader) > copies);
    copies = dg_index_grant_copies(reader);
    mine.grants = &other;
    mine.n_grants = 1;
    put(f, &mine);
    commit(f);
    assert_int_equal(reader_hits(reader, &v, "XQZCOPY", &first), 2);
    assert_true(dg_index_grant_copies(reader) > copies);
    dg_index_close(reader);
}

/* The total of text for viewer through reader. */
static uint64_t reader_total(dg_index *reader, const dg_index_viewer *v, const char *text)
{
    dg_index_query q = query_of(text);
    dg_index_result *r = NULL;
    dg_error err;
    if (dg_index_search(reader, v, &q, "[", "]", &r, &err) != DG_OK)
        fail_msg("search '%s': %s", text, err.msg);
    uint64_t total = r->total;
    dg_index_result_free(r);
    return total;
}

/*
 * Issue 15: the counts of a repeated search are kept, and were dropped on every commit, so a
 * staff member's repeated search was slower after a level-3 or level-4 record was filed. They
 * are counted again only when a level the viewer reads changes.
 */
static void test_repeated_search_is_counted_again_only_for_changes_the_viewer_may_see(
    void **state)
{
    fixture *f = *state;
    dg_index_doc open = doc_of(1, "通知", "XQZCOUNT open");
    open.level = 1;
    put(f, &open);
    commit(f);
    dg_index *reader = NULL;
    dg_error err;
    assert_int_equal(dg_index_open(f->path, DG_INDEX_READ, &reader, &err), DG_OK);
    const dg_index_viewer staff = {9, 1};
    assert_int_equal(reader_total(reader, &staff, "XQZCOUNT"), 1);
    uint64_t made = dg_index_counts_made(reader);
    assert_int_equal(reader_total(reader, &staff, "XQZCOUNT"), 1);
    assert_int_equal(dg_index_counts_made(reader), made);

    dg_index_doc hidden = doc_of(2, "任免", "XQZCOUNT hidden");
    hidden.level = 3;
    int64_t other = 8;
    dg_index_doc secret = doc_of(3, "名单", "XQZCOUNT secret");
    secret.level = 4;
    secret.grants = &other;
    secret.n_grants = 1;
    put(f, &hidden);
    put(f, &secret);
    commit(f);
    assert_int_equal(reader_total(reader, &staff, "XQZCOUNT"), 1);
    assert_int_equal(dg_index_counts_made(reader), made);

    dg_index_doc more = doc_of(4, "通知", "XQZCOUNT more");
    more.level = 0;
    put(f, &more);
    commit(f);
    assert_int_equal(reader_total(reader, &staff, "XQZCOUNT"), 2);
    assert_true(dg_index_counts_made(reader) > made);
    /* a grant holder's counts follow their granted copy */
    const dg_index_viewer holder = {other, 1};
    assert_int_equal(reader_total(reader, &holder, "XQZCOUNT"), 3);
    secret.n_grants = 0;
    put(f, &secret);
    commit(f);
    assert_int_equal(reader_total(reader, &holder, "XQZCOUNT"), 2);
    dg_index_close(reader);
}

static void test_bad_arguments_are_usage_errors(void **state)
{
    fixture *f = *state;
    dg_error err;
    dg_index_doc d = doc_of(1, "x", "y");
    d.level = 5;
    assert_int_equal(dg_index_put(f->index, &d, &err), DG_ERR_USAGE);
    dg_index_query q = query_of("x");
    dg_index_viewer v = {1, 7};
    dg_index_result *r = NULL;
    assert_int_equal(dg_index_search(f->index, &v, &q, "", "", &r, &err), DG_ERR_USAGE);
    dg_index *missing = NULL;
    assert_int_equal(dg_index_open("/nonexistent/dangan/index", DG_INDEX_READ, &missing, &err),
                     DG_ERR_INDEX);
    assert_null(missing);
}

/* "w0 OR w1 OR ... OR w16000" took 43 s and pinned a reader: a query's size and its number
 * of terms are capped, with a message that says what to do. */
static void test_overlong_queries_are_refused_before_matching(void **state)
{
    fixture *f = *state;
    dg_index_doc a = doc_of(1, "通知", "w1 w2 budget notice");
    put(f, &a);
    commit(f);
    char *text = malloc(64 * 1024);
    assert_non_null(text);
    size_t used = 0;
    for (int i = 0; i < 2000; i++) /* 2000 words ORed: over the byte cap */
        used += (size_t)sprintf(text + used, "%sw%d", i ? " OR " : "", i);
    dg_index_query q = query_of(text);
    dg_index_result *r = NULL;
    dg_error err;
    assert_int_equal(dg_index_search(f->index, &EVERYONE, &q, "[", "]", &r, &err), DG_ERR_QUERY);
    assert_null(r);
    assert_non_null(strstr(err.msg, "query too long"));
    used = 0;
    for (int i = 0; i < 700; i++) /* 2,100 bytes of Chinese: over 1,024 terms */
        used += (size_t)sprintf(text + used, "%s", i % 2 ? "档" : "案");
    q = query_of(text);
    assert_int_equal(dg_index_search(f->index, &EVERYONE, &q, "[", "]", &r, &err), DG_ERR_QUERY);
    assert_non_null(strstr(err.msg, "more than 1024"));
    used = 0;
    for (int i = 0; i < 100; i++) /* a long but fair query still runs */
        used += (size_t)sprintf(text + used, "%sw%d", i ? " OR " : "", i);
    assert_int_equal(count(f, text), 1);
    free(text);
}

/* A search that outruns its time budget, or whose client has gone, is stopped, not left
 * to pin a reader. */
static void test_search_past_its_time_budget_or_after_its_client_left_is_stopped(void **state)
{
    fixture *f = *state;
    char title[32];
    for (int i = 1; i <= 600; i++) {
        snprintf(title, sizeof title, "notice %d", i);
        dg_index_doc d = doc_of(i, title, "common words of every notice");
        put(f, &d);
    }
    commit(f);
    dg_index_query q = query_of("common");
    q.time_budget = 1e-9; /* over before the match begins */
    dg_index_result *r = NULL;
    dg_error err;
    assert_int_equal(dg_index_search(f->index, &EVERYONE, &q, "[", "]", &r, &err), DG_ERR_QUERY);
    assert_null(r);
    assert_non_null(strstr(err.msg, "time budget"));
    assert_int_equal(count(f, "common"), 600); /* the default budget is ample */
    /* A search whose caller has gone (the server saw the client hang up) stops too. */
    int gone = 1;
    q = query_of("common");
    q.cancelled = &gone;
    assert_int_equal(dg_index_search(f->index, &EVERYONE, &q, "[", "]", &r, &err), DG_ERR_BUSY);
    assert_null(r);
    assert_non_null(strstr(err.msg, "nobody waits"));
    gone = 0;
    assert_int_equal(dg_index_search(f->index, &EVERYONE, &q, "[", "]", &r, &err), DG_OK);
    assert_int_equal(r->total, 600);
    dg_index_result_free(r);
}


/*
 * A writer that borrows a folder's tables (dg_index_open_folding, as an archive handle lends
 * its own to every write lock), reopened as a batch's holds reopen it, and given each body
 * already folded (dg_index_doc.folded_body, as ingest hands the classifier's fold on), holds
 * what a writer with its own tables that folds every body itself holds: the same hits,
 * scores, snippets and totals for words and phrases in both scripts and both widths.
 */
static const char *const FOLD_BODIES[] = {
    "檔案室工作規程：本規程規定檔案借閱權限，自２０２４年起施行。",
    "关于档案借阅权限的通知：各部门按规程办理借阅。",
    "The Archives Office reviewed ＡＢＣ budgets; 資產清查 results were filed.",
    "會議紀要：經費使用情況匯報，並審議了學年度預算。Minutes were filed.",
    "人事处：年度考核结果公示，考核優秀者名單附後。",
    "",
};
static const char *const FOLD_QUERIES[] = {
    "权限", "權限", "檔案 借阅", "\"档案借阅\"", "\"借閱權限\"", "abc", "budget",
    "资产清查", "经费", "\"学年度预算\"", "考核", "2024", "minutes", "優秀",
};

static void assert_same_search(dg_index *x, dg_index *y, const char *text)
{
    dg_index_query q = query_of(text);
    dg_index_result *a = NULL, *b = NULL;
    dg_error err;
    assert_int_equal(dg_index_search(x, &EVERYONE, &q, "[", "]", &a, &err), DG_OK);
    assert_int_equal(dg_index_search(y, &EVERYONE, &q, "[", "]", &b, &err), DG_OK);
    assert_int_equal(a->total, b->total);
    assert_int_equal(a->n_hits, b->n_hits);
    for (size_t i = 0; i < a->n_hits; i++) {
        assert_int_equal(a->hits[i].version_id, b->hits[i].version_id);
        assert_true(a->hits[i].score == b->hits[i].score);
        assert_string_equal(a->hits[i].snippet, b->hits[i].snippet);
    }
    dg_index_result_free(a);
    dg_index_result_free(b);
}

static void test_borrowed_tables_and_given_folds_index_as_own_folding_does(void **state)
{
    fixture *f = *state;
    size_t n = sizeof FOLD_BODIES / sizeof *FOLD_BODIES;
    for (size_t i = 0; i < n; i++) {
        dg_index_doc d = doc_of((int64_t)i + 1, "規程與通知", FOLD_BODIES[i]);
        put(f, &d);
    }
    commit(f);

    char path[160];
    snprintf(path, sizeof path, "%s/borrowing", f->dir);
    dg_index_folder *folding = NULL;
    dg_error err;
    assert_int_equal(dg_index_folder_open(&folding, &err), DG_OK);
    for (size_t hold = 0; hold < 2; hold++) { /* the second open borrows the tables again */
        dg_index *y = NULL;
        assert_int_equal(dg_index_open_folding(path, DG_INDEX_WRITE, folding, &y, &err), DG_OK);
        for (size_t i = hold; i < n; i += 2) {
            dg_index_doc d = doc_of((int64_t)i + 1, "規程與通知", FOLD_BODIES[i]);
            char *folded = NULL;
            if (hold) { /* as ingest gives it: the classifier's fold of the same text */
                assert_int_equal(dg_index_fold(folding, d.body, strlen(d.body), &folded, &err),
                                 DG_OK);
                d.folded_body = folded;
            }
            assert_int_equal(dg_index_put(y, &d, &err), DG_OK);
            free(folded);
        }
        assert_int_equal(dg_index_commit(y, &err), DG_OK);
        dg_index_close(y);
    }
    dg_index_folder_close(folding);

    dg_index *x = NULL, *y = NULL;
    assert_int_equal(dg_index_open(f->path, DG_INDEX_READ, &x, &err), DG_OK);
    assert_int_equal(dg_index_open(path, DG_INDEX_READ, &y, &err), DG_OK);
    assert_same_versions(x, y, n);
    for (size_t i = 0; i < sizeof FOLD_QUERIES / sizeof *FOLD_QUERIES; i++)
        assert_same_search(x, y, FOLD_QUERIES[i]);
    assert_int_equal(total_through(y, "權限"), 2);
    dg_index_close(x);
    dg_index_close(y);

    /* The given fold is what is indexed (the engine gives it only for the very text). */
    dg_index_doc given = doc_of(100, "標題", "原文");
    given.folded_body = "trustedfold";
    put(f, &given);
    commit(f);
    assert_int_equal(only_hit(f, "trustedfold"), 100);
}

/*
 * Each document's stamp is a digest of its serialised bytes, which the shim writes itself
 * (for speed) as Xapian's Document::serialise does: long terms, a wdf and a position gap of
 * 255 and more (encode_length's long form), values, positions and data all compare equal.
 */
static void test_documents_serialise_as_xapian_does(void **state)
{
    fixture *f = *state;
    static char body[8192];
    size_t n = 0;
    n += (size_t)snprintf(body + n, sizeof body - n, "alpha ");
    for (int i = 0; i < 300; i++)
        n += (size_t)snprintf(body + n, sizeof body - n, "w%d beta ", i);
    snprintf(body + n, sizeof body - n, "alpha %s 关于做好二〇二四年學校資產清查工作的通知",
             "supercalifragilisticexpialidociousnessandmoreofthesamewordthatgoesonandon");
    dg_index_doc long_one = doc_of(1, "長的文件 title", body);
    put(f, &long_one);
    dg_index_doc plain = doc_of(2, "关于春季开学的通知", "各部门：请于二月底前完成准备工作。");
    plain.level = 3;
    plain.date = "2024-02-20";
    put(f, &plain);
    int64_t grants[] = {7, 9};
    dg_index_doc secret = doc_of(3, "人事 secret", "王晓明 2024 年 employment record");
    secret.level = 4;
    secret.grants = grants;
    secret.n_grants = 2;
    put(f, &secret);
    commit(f);
    uint64_t documents = 0;
    dg_error err;
    dg_status st = dg_index_check_serialise(f->index, &documents, &err);
    if (st != DG_OK)
        fail_msg("%s", err.msg);
    assert_int_equal(documents, 3);
}

#define TEST(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        TEST(test_traditional_and_simplified_find_each_other),
        TEST(test_documents_serialise_as_xapian_does),
        TEST(test_borrowed_tables_and_given_folds_index_as_own_folding_does),
        TEST(test_full_width_digits_and_letters_match_ascii),
        TEST(test_english_words_match_other_forms),
        TEST(test_quoted_phrase_needs_adjacent_words),
        TEST(test_chinese_phrases_match_as_positions_did),
        TEST(test_chinese_phrase_checks_every_place),
        TEST(test_field_prefixes_search_only_their_field),
        TEST(test_document_number_is_found_whole_and_by_parts),
        TEST(test_year_in_text_is_searchable),
        TEST(test_filters_narrow_the_result),
        TEST(test_superseded_versions_only_with_all_versions),
        TEST(test_sort_by_date_orders_hits),
        TEST(test_search_never_counts_records_above_clearance),
        TEST(test_scores_do_not_depend_on_hidden_records),
        TEST(test_search_equals_search_over_visible_records_only),
        TEST(test_grant_holder_ranks_as_if_granted_records_were_plainly_visible),
        TEST(test_repeated_search_counts_only_what_the_viewer_may_see),
        TEST(test_random_archives_never_reveal_records_above_clearance),
        TEST(test_broad_compound_queries_count_as_the_model),
        TEST(test_search_without_words_pages_by_lowest_version),
        TEST(test_ranked_filter_is_kept_where_a_document_lacks_it),
    TEST(test_counts_in_two_parts_equal_the_whole_count),
        TEST(test_broad_title_phrases_count_as_positions_say),
        TEST(test_narrow_phrase_counts_as_positions_and_text_say),
        TEST(test_mixed_phrase_settled_on_the_text),
        TEST(test_counts_without_implied_unigrams_equal_the_matches),
        TEST(test_malformed_queries_are_refused_with_a_message),
        TEST(test_query_without_matches_is_ok_and_empty),
        TEST(test_snippet_shows_original_script_with_highlights),
        TEST(test_long_snippet_is_short_and_valid_utf8),
        TEST(test_deleted_text_leaves_no_trace_after_compact),
        TEST(test_second_writer_is_refused_as_busy),
        TEST(test_reader_sees_later_commits_and_cannot_write),
        TEST(test_reader_facets_follow_commits),
        TEST(test_open_reader_forgets_text_deleted_and_compacted),
        TEST(test_counts_and_hits_agree_while_a_writer_commits),
        TEST(test_readers_on_threads_share_no_query),
        TEST(test_grant_does_not_lift_clearance_below_level_4),
        TEST(test_grant_copy_is_made_again_only_for_the_holders_own_changes),
        TEST(test_repeated_search_is_counted_again_only_for_changes_the_viewer_may_see),
        TEST(test_narrow_search_is_counted_in_its_ranked_pass),
        TEST(test_word_glued_to_digits_is_searched_as_typed),
        TEST(test_bad_arguments_are_usage_errors),
        TEST(test_overlong_queries_are_refused_before_matching),
        TEST(test_search_past_its_time_budget_or_after_its_client_left_is_stopped),
        TEST(test_a_rebuild_beside_the_live_index_replaces_it_whole),
        TEST(test_a_rebuild_holds_what_one_index_holds),
        TEST(test_a_rebuild_of_new_versions_only_holds_what_one_index_holds),
        TEST(test_a_build_written_out_on_the_way_holds_what_one_index_holds),
        TEST(test_the_live_index_writes_a_level_out_on_the_way),
        TEST(test_list_versions_gives_every_version_id_and_the_document_count),
        TEST(test_excluded_records_are_neither_counted_nor_hit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
