/* test_ingest_batch.c — batch-level behaviour of dg_ingest on text files: what the archivist
 * may not file waits in quarantine, a skipped manifest row files nothing, a page is never in
 * two records, a category without a type is not completed by a guess, every file is
 * accounted for. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/batch.h"
#include "engine/class_review.h"
#include "engine/record.h"
#include "engine/vocab.h"
#include "ingest/ingest.h"
#include "ingest/manifest.h"
#include "testutil.h"

typedef struct batch {
    test_archive t;
    dg_ingest_file files[8];
    size_t n;
    dg_unlisted unlisted; /* for the next run with a manifest */
} batch;

static int setup(void **state)
{
    batch *b = calloc(1, sizeof *b);
    if (!b || !test_archive_make(&b->t))
        return -1;
    *state = b;
    return 0;
}

static int teardown(void **state)
{
    batch *b = *state;
    for (size_t i = 0; i < b->n; i++)
        if (b->files[i].fd >= 0)
            close(b->files[i].fd);
    test_archive_remove(&b->t);
    free(b);
    return 0;
}

/* A text file of the batch, as the client passes it (an open descriptor and its name). */
static void add_text(batch *b, const char *name, const char *text)
{
    char path[160];
    snprintf(path, sizeof path, "%s/%s", b->t.dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    b->files[b->n].fd = open(path, O_RDONLY);
    assert_true(b->files[b->n].fd >= 0);
    b->files[b->n++].name = strdup(name);
}

static void add_unread(batch *b, const char *name, const char *why)
{
    b->files[b->n] = (dg_ingest_file){.fd = -1, .name = strdup(name), .open_error = why};
    b->n++;
}

static dg_ingest_report *run(batch *b, const dg_actor *actor, const char *manifest_csv)
{
    dg_manifest *m = NULL;
    dg_error err;
    if (manifest_csv)
        assert_int_equal(dg_manifest_parse(manifest_csv, strlen(manifest_csv), "m.csv", &m, &err),
                         DG_OK);
    dg_ingest_options opts = {.label = "test", .jobs = 2, .unlisted = b->unlisted,
                              .manifest_name = "m.csv"};
    dg_ingest_report *rep = NULL;
    dg_status st = dg_ingest(b->t.archive, actor, b->files, b->n, m, &opts, &rep, &err);
    if (st != DG_OK)
        fail_msg("ingest: %s", err.msg);
    dg_manifest_free(m);
    for (size_t i = 0; i < b->n; i++) {
        free((char *)b->files[i].name);
        if (b->files[i].fd >= 0)
            close(b->files[i].fd);
    }
    b->n = 0;
    return rep;
}

static const dg_ingest_outcome *outcome_of(const dg_ingest_report *rep, const char *name)
{
    for (size_t i = 0; i < rep->n_outcomes; i++)
        if (!strcmp(rep->outcomes[i].name, name))
            return &rep->outcomes[i];
    fail_msg("no outcome for %s", name);
    return NULL;
}

static void assert_counts_add_up(const dg_ingest_report *rep)
{
    assert_int_equal(rep->files, rep->filed_files + rep->duplicates + rep->quarantined);
}

static void test_secret_mark_above_clearance_is_quarantined_and_the_batch_goes_on(void **state)
{
    batch *b = *state;
    dg_actor li;
    assert_true(test_archive_user(&b->t, "li", 3, DG_ROLE_ARCHIVIST, &li));
    add_text(b, "a.txt", "关于开展春季运动会的通知\n2024年3月1日\n");
    add_text(b, "b.txt", "机密★10年\n关于考试安全保卫方案的报告\n2024年3月2日\n");
    add_text(b, "c.txt", "秘密★5年\n关于校园安全检查的报告\n2024年3月3日\n");
    add_text(b, "d.txt", "关于举办读书节活动的通知\n2024年3月4日\n");
    dg_ingest_report *rep = run(b, &li, NULL);
    assert_int_equal(rep->filed, 3); /* 秘密 is level 3: within li's clearance */
    assert_int_equal(rep->quarantined, 1);
    const dg_ingest_outcome *o = outcome_of(rep, "b.txt");
    assert_string_equal(o->outcome, "quarantined");
    assert_non_null(strstr(o->reason, "secrecy mark 机密 needs clearance 4"));
    assert_non_null(strstr(o->reason, "an archivist with clearance 4 must ingest it"));
    assert_string_equal(outcome_of(rep, "d.txt")->outcome, "filed");
    assert_counts_add_up(rep);
    dg_ingest_report_free(rep);

    /* The admin (clearance 4) takes it in, at level 4. */
    add_text(b, "b.txt", "机密★10年\n关于考试安全保卫方案的报告\n2024年3月2日\n");
    rep = run(b, &b->t.admin, NULL);
    assert_int_equal(rep->filed, 1);
    dg_record *rec;
    dg_error err;
    assert_int_equal(dg_record_get(b->t.archive, &b->t.admin, rep->outcomes[0].refcode, 0, &rec,
                                   &err), DG_OK);
    assert_int_equal(rec->level, 4);
    assert_string_equal(dg_level_label(rec->level), "机密级");
    dg_record_free(rec);
    dg_ingest_report_free(rep);
}

static void test_levels_are_named_as_the_marks_that_file_there(void **state)
{
    (void)state;
    int level;
    assert_string_equal(dg_level_label(3), "秘密级");
    assert_string_equal(dg_level_label(4), "机密级");
    assert_int_equal(dg_level_parse("秘密", &level, NULL), DG_OK);
    assert_int_equal(level, 3);
    assert_int_equal(dg_level_parse("机密级", &level, NULL), DG_OK);
    assert_int_equal(level, 4);
    assert_int_equal(dg_level_parse("绝密", &level, NULL), DG_OK);
    assert_int_equal(level, 4);
    assert_int_equal(dg_level_parse("confidential", &level, NULL), DG_OK);
    assert_int_equal(level, 3);
}

static void test_a_skipped_row_files_none_of_its_pages(void **state)
{
    batch *b = *state;
    b->unlisted = DG_UNLISTED_FILE; /* solo.txt is not in the manifest */
    add_text(b, "m1.txt", "会议纪要第一页 2024年5月6日\n");
    add_text(b, "m2.txt", "会议纪要第二页 出席人员\n");
    add_text(b, "solo.txt", "单独的通知 2024年5月7日\n");
    /* Row 2 has one field fewer than the header: skipped, and so are its files. */
    dg_ingest_report *rep = run(b, &b->t.admin, "files,title,date,category\n"
                                               "m1.txt;m2.txt,纪要,2024-05-06\n");
    assert_int_equal(rep->skipped, 1);
    assert_int_equal(rep->filed, 1);
    assert_string_equal(outcome_of(rep, "solo.txt")->outcome, "filed");
    assert_string_equal(outcome_of(rep, "m1.txt")->outcome, "quarantined");
    assert_string_equal(outcome_of(rep, "m2.txt")->outcome, "quarantined");
    assert_non_null(strstr(outcome_of(rep, "m2.txt")->reason, "row 2"));
    assert_counts_add_up(rep);
    dg_ingest_report_free(rep);

    /* Fixed and rerun: one record of two pages. */
    add_text(b, "m1.txt", "会议纪要第一页 2024年5月6日\n");
    add_text(b, "m2.txt", "会议纪要第二页 出席人员\n");
    rep = run(b, &b->t.admin, "files,title,date,category\n"
                              "m1.txt;m2.txt,纪要,2024-05-06,administrative\n");
    assert_int_equal(rep->filed, 1);
    assert_int_equal(rep->filed_files, 2);
    assert_int_equal(rep->outcomes[0].pages, 2);
    dg_ingest_report_free(rep);
}

static void test_a_file_named_by_two_rows_is_filed_once(void **state)
{
    batch *b = *state;
    add_text(b, "p.txt", "第一份 2024年6月1日 通知\n");
    add_text(b, "q.txt", "第二份 2024年6月2日 通知\n");
    dg_ingest_report *rep = run(b, &b->t.admin, "files,title,category\n"
                                               "p.txt,甲,administrative\n"
                                               "q.txt;p.txt,乙,administrative\n");
    assert_int_equal(rep->filed, 1);
    assert_int_equal(rep->skipped, 1);
    /* q.txt is quarantined with row 3's error; p.txt is only in row 2's record. */
    assert_string_equal(outcome_of(rep, "q.txt")->outcome, "quarantined");
    assert_non_null(strstr(outcome_of(rep, "q.txt")->reason, "is already in row 2"));
    assert_counts_add_up(rep);
    dg_ingest_report_free(rep);
}

static void test_category_without_type_keeps_the_default_period_and_waits_for_review(void **state)
{
    batch *b = *state;
    add_text(b, "cv.txt", "履历表\n姓名 王晓明 性别 男\n工作经历 2008年至今 任教 培训\n"
                          "填表日期 2024年1月5日\n");
    dg_ingest_report *rep = run(b, &b->t.admin, "files,title,category\n"
                                               "cv.txt,王晓明履历表,personnel\n");
    assert_int_equal(rep->filed, 1);
    assert_null(rep->outcomes[0].record_type);
    assert_non_null(strstr(rep->outcomes[0].refcode, "-RS·2024-Y-"));
    dg_class_review_item *items;
    size_t count;
    uint64_t total;
    dg_error err;
    assert_int_equal(dg_class_review_list(b->t.archive, &b->t.admin, -1, 0, 0, &items, &count,
                                          &total, &err), DG_OK);
    assert_int_equal(count, 1);
    assert_string_equal(items[0].refcode, rep->outcomes[0].refcode);
    assert_true(items[0].reasons & DG_CLASS_REVIEW_NO_TYPE);
    dg_class_review_items_free(items, count);
    dg_ingest_report_free(rep);
}

static void test_entries_that_are_not_files_are_accounted_for(void **state)
{
    batch *b = *state;
    add_text(b, "ok.txt", "通知 2024年6月1日\n");
    add_unread(b, "link.txt", "symbolic link to '/etc/passwd': not followed");
    add_unread(b, "pipe", "a named pipe (FIFO), not a file: not read");
    dg_ingest_report *rep = run(b, &b->t.admin, NULL);
    assert_int_equal(rep->files, 3);
    assert_int_equal(rep->filed, 1);
    assert_int_equal(rep->quarantined, 2);
    assert_non_null(strstr(outcome_of(rep, "link.txt")->reason, "not followed"));
    assert_counts_add_up(rep);
    dg_ingest_report_free(rep);
}

/* Issue 15 item 15: a manifest lists what the batch files; anything else is held back
 * unless the archivist says otherwise. */
static void test_files_the_manifest_does_not_list_are_not_filed(void **state)
{
    batch *b = *state;
    const char *csv = "files,title,category\nlisted.txt,甲,administrative\n";
    add_text(b, "listed.txt", "列出的通知 2024年6月1日\n");
    add_text(b, "extra.txt", "未列出的通知 2024年6月2日\n");
    dg_ingest_report *rep = run(b, &b->t.admin, csv); /* default: quarantine */
    assert_int_equal(rep->filed, 1);
    assert_int_equal(rep->quarantined, 1);
    assert_int_equal(rep->unlisted, 1);
    assert_string_equal(outcome_of(rep, "listed.txt")->outcome, "filed");
    assert_string_equal(outcome_of(rep, "extra.txt")->outcome, "quarantined");
    assert_string_equal(outcome_of(rep, "extra.txt")->reason,
                        "not listed in the manifest m.csv; use --unlisted file to file it");
    assert_counts_add_up(rep);
    dg_ingest_report_free(rep);
    dg_quarantined *q;
    size_t nq;
    dg_error err;
    assert_int_equal(dg_quarantine_list(b->t.archive, &b->t.admin, &q, &nq, &err), DG_OK);
    assert_int_equal(nq, 1);
    assert_string_equal(q[0].name, "extra.txt");
    dg_quarantined_free(q, nq);

    b->unlisted = DG_UNLISTED_SKIP;
    add_text(b, "extra.txt", "未列出的通知 2024年6月2日\n");
    add_text(b, "listed.txt", "列出的通知 2024年6月1日\n");
    rep = run(b, &b->t.admin, csv);
    assert_int_equal(rep->filed, 0);
    assert_int_equal(rep->duplicates, 1); /* listed.txt, filed above */
    assert_int_equal(rep->quarantined, 0);
    assert_int_equal(rep->unlisted, 1);
    assert_string_equal(outcome_of(rep, "extra.txt")->outcome, "skipped");
    assert_non_null(strstr(outcome_of(rep, "extra.txt")->reason, "not listed in the manifest"));
    assert_int_equal(rep->files, rep->filed_files + rep->duplicates + rep->quarantined +
                                     rep->unlisted);
    dg_ingest_report_free(rep);

    b->unlisted = DG_UNLISTED_FILE;
    add_text(b, "extra.txt", "未列出的通知 2024年6月2日\n");
    rep = run(b, &b->t.admin, csv);
    assert_int_equal(rep->filed, 1);
    assert_int_equal(rep->unlisted, 1);
    assert_string_equal(outcome_of(rep, "extra.txt")->outcome, "filed");
    assert_counts_add_up(rep);
    dg_ingest_report_free(rep);
}

/* Issue 15 item 3: a copy of a record above the caller's clearance is not a duplicate they
 * are told about; it is their own filing, as if the hidden record did not exist. */
static void test_a_copy_of_a_hidden_record_is_filed_not_named(void **state)
{
    batch *b = *state;
    const char *text = "关于校园安全检查的报告 2024年3月3日\n";
    add_text(b, "s.txt", text);
    dg_ingest_report *rep = run(b, &b->t.admin, "files,title,category,level\n"
                                               "s.txt,安全检查报告,administrative,3\n");
    assert_int_equal(rep->filed, 1);
    char hidden[DG_REFCODE_MAX];
    snprintf(hidden, sizeof hidden, "%s", rep->outcomes[0].refcode);
    dg_ingest_report_free(rep);

    dg_actor zhao, li;
    assert_true(test_archive_user(&b->t, "zhao", 1, DG_ROLE_ARCHIVIST, &zhao));
    assert_true(test_archive_user(&b->t, "li", 3, DG_ROLE_ARCHIVIST, &li));
    add_text(b, "copy.txt", text);
    rep = run(b, &zhao, NULL);
    assert_int_equal(rep->duplicates, 0);
    assert_int_equal(rep->filed, 1);
    const dg_ingest_outcome *o = outcome_of(rep, "copy.txt");
    assert_string_equal(o->outcome, "filed");
    assert_string_not_equal(o->refcode, hidden);
    assert_null(o->reason);
    char own[DG_REFCODE_MAX];
    snprintf(own, sizeof own, "%s", o->refcode);
    dg_ingest_report_free(rep);

    /* Rerunning the batch still resumes: zhao's own record is the duplicate he is told of. */
    add_text(b, "copy.txt", text);
    rep = run(b, &zhao, NULL);
    assert_int_equal(rep->duplicates, 1);
    assert_string_equal(outcome_of(rep, "copy.txt")->refcode, own);
    dg_ingest_report_free(rep);

    /* Someone who may see the level-3 record is told of it, as before. */
    add_text(b, "copy.txt", text);
    rep = run(b, &li, NULL);
    assert_int_equal(rep->duplicates, 1);
    assert_string_equal(outcome_of(rep, "copy.txt")->refcode, hidden);
    dg_ingest_report_free(rep);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_secret_mark_above_clearance_is_quarantined_and_the_batch_goes_on, setup,
            teardown),
        cmocka_unit_test(test_levels_are_named_as_the_marks_that_file_there),
        cmocka_unit_test_setup_teardown(test_a_skipped_row_files_none_of_its_pages, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_a_file_named_by_two_rows_is_filed_once, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_category_without_type_keeps_the_default_period_and_waits_for_review, setup,
            teardown),
        cmocka_unit_test_setup_teardown(test_entries_that_are_not_files_are_accounted_for, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_files_the_manifest_does_not_list_are_not_filed,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_copy_of_a_hidden_record_is_filed_not_named, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
