/* test_loan.c — the loan register (engine/loan.h): loans as time-limited grants, the
 * personnel-file rule, who may decide, paper loans, masked ID numbers, copy rights. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"
#include "engine/loan.h"
#include "engine/record.h"
#include "testutil.h"

typedef struct world {
    test_archive t;
    dg_actor teacher, leader, archivist, low_leader;
    char record[DG_REFCODE_MAX], own[DG_REFCODE_MAX], relative[DG_REFCODE_MAX];
} world;

static void file(world *w, const char *title, int level, char ref[DG_REFCODE_MAX])
{
    dg_page_input page = {.data = title, .len = strlen(title), .mime = "text/plain",
                          .confidence = -1};
    dg_record_input in = {.title = title, .category = "personnel", .doc_date = "2019-05-01",
                          .level = level, .text = title, .pages = &page, .n_pages = 1,
                          .ocr_confidence = -1, .class_confidence = -1, .reason = "test"};
    dg_error err;
    assert_int_equal(dg_record_add(w->t.archive, &w->t.admin, &in, ref, &err), DG_OK);
}

static void named_user(world *w, const char *login, const char *name, int clearance,
                       unsigned roles, dg_actor *out)
{
    dg_error err;
    assert_int_equal(dg_user_add(w->t.archive, &w->t.admin, login, name, clearance, roles, &err),
                     DG_OK);
    assert_int_equal(dg_actor_login(w->t.archive, login, "test", out, &err), DG_OK);
}

static void world_make(world *w)
{
    unsetenv("DANGAN_TEST_NOW");
    assert_true(test_archive_make(&w->t));
    named_user(w, "teacher", "张老师", 1, DG_ROLE_STAFF, &w->teacher);
    named_user(w, "leader", "李校长", 3, DG_ROLE_STAFF | DG_ROLE_LEADER, &w->leader);
    named_user(w, "archivist", "赵档案", 3, DG_ROLE_ARCHIVIST, &w->archivist);
    named_user(w, "lowleader", "钱主任", 1, DG_ROLE_LEADER, &w->low_leader);
    file(w, "王五 年度考核", 2, w->record);
    file(w, "张老师 职称评审材料", 2, w->own);
    file(w, "张小明 学籍材料", 2, w->relative);
}

static int sees(world *w, const dg_actor *who, const char *ref)
{
    dg_record *rec = NULL;
    dg_error err;
    dg_status st = dg_record_get(w->t.archive, who, ref, 0, &rec, &err);
    if (st == DG_OK)
        dg_record_free(rec);
    return st == DG_OK;
}

static int64_t request(world *w, const dg_actor *who, const char *ref, const char *method,
                       int days, dg_status want)
{
    int64_t id = 0;
    dg_error err;
    assert_int_equal(dg_loan_request(w->t.archive, who, ref, "核对", method, days, &id, &err),
                     want);
    return id;
}

static void test_approved_loan_opens_the_record_until_it_is_due(void **state)
{
    (void)state;
    world w;
    world_make(&w);
    dg_error err;
    assert_false(sees(&w, &w.teacher, w.record));
    int64_t id = request(&w, &w.teacher, w.record, "read", 7, DG_OK);
    assert_false(sees(&w, &w.teacher, w.record)); /* pending opens nothing */
    assert_int_equal(dg_loan_decide(w.t.archive, &w.leader, id, 1, 3, NULL, &err), DG_OK);
    assert_true(sees(&w, &w.teacher, w.record));
    assert_false(sees(&w, &w.teacher, w.own)); /* only that record */
#ifdef DG_FAULT_INJECTION
    /* The test clock (base/clock.h): four days on, the three-day loan has ended. */
    char later[32];
    dg_clock_iso(time(NULL) + 4 * 86400, later);
    setenv("DANGAN_TEST_NOW", later, 1);
    assert_false(sees(&w, &w.teacher, w.record));
    dg_loan *loans = NULL;
    size_t n = 0;
    dg_loan_filter overdue = {.overdue = 1};
    assert_int_equal(dg_loan_list(w.t.archive, &w.leader, &overdue, &loans, &n, &err), DG_OK);
    assert_int_equal(n, 1);
    assert_int_equal(loans[0].days_overdue, 1);
    dg_loans_free(loans, n);
    unsetenv("DANGAN_TEST_NOW");
#endif
    test_archive_remove(&w.t);
}

static void test_own_and_relatives_personnel_files_are_refused(void **state)
{
    (void)state;
    world w;
    world_make(&w);
    dg_error err;
    int64_t id = request(&w, &w.teacher, w.own, "read", 3, DG_ERR_DENIED);
    assert_true(id > 0); /* recorded, as refused */
    /* Not a relative yet: the request waits for a leader. */
    int64_t rel = request(&w, &w.teacher, w.relative, "read", 3, DG_OK);
    assert_int_equal(dg_loan_relate(w.t.archive, &w.t.admin, "teacher", "张小明", "子女", 0, &err),
                     DG_OK);
    request(&w, &w.teacher, w.relative, "read", 3, DG_ERR_DENIED);
    /* The approval checks again: the relation was recorded after the request. */
    assert_int_equal(dg_loan_decide(w.t.archive, &w.leader, rel, 1, 0, NULL, &err), DG_ERR_DENIED);
    assert_non_null(strstr(err.msg, "亲属"));
    assert_false(sees(&w, &w.teacher, w.relative));
    /* Only admins keep the relation list. */
    assert_int_equal(dg_loan_relate(w.t.archive, &w.leader, "teacher", "张大明", NULL, 0, &err),
                     DG_ERR_DENIED);
    test_archive_remove(&w.t);
}

static void test_only_a_leader_who_sees_the_record_and_is_not_the_requester_decides(void **state)
{
    (void)state;
    world w;
    world_make(&w);
    dg_error err;
    int64_t id = request(&w, &w.teacher, w.record, "read", 3, DG_OK);
    assert_int_equal(dg_loan_decide(w.t.archive, &w.archivist, id, 1, 0, NULL, &err),
                     DG_ERR_DENIED);
    assert_int_equal(dg_loan_decide(w.t.archive, &w.low_leader, id, 1, 0, NULL, &err),
                     DG_ERR_NOT_FOUND);
    int64_t own = request(&w, &w.leader, w.record, "copy", 3, DG_OK);
    assert_int_equal(dg_loan_decide(w.t.archive, &w.leader, own, 1, 0, NULL, &err), DG_ERR_DENIED);
    assert_int_equal(dg_loan_decide(w.t.archive, &w.leader, id, 0, 0, NULL, &err), DG_ERR_USAGE);
    assert_int_equal(dg_loan_decide(w.t.archive, &w.leader, id, 0, 0, "不必要", &err), DG_OK);
    assert_int_equal(dg_loan_decide(w.t.archive, &w.leader, id, 1, 0, NULL, &err), DG_ERR_STATE);
    assert_false(sees(&w, &w.teacher, w.record));
    test_archive_remove(&w.t);
}

static void test_paper_loan_is_out_until_returned_and_id_numbers_are_masked(void **state)
{
    (void)state;
    world w;
    world_make(&w);
    dg_error err;
    dg_paper_loan in = {.refcode = w.record, .borrower = "王某", .unit = "区教育局",
                        .id_number = "110101199001011234", .purpose = "审计", .method = "loan",
                        .due = "2027-01-15", .approver = "leader"};
    int64_t id = 0;
    assert_int_equal(dg_loan_out(w.t.archive, &w.teacher, &in, &id, &err), DG_ERR_DENIED);
    dg_paper_loan bad = in;
    bad.approver = "teacher"; /* not a leader */
    assert_int_equal(dg_loan_out(w.t.archive, &w.archivist, &bad, &id, &err), DG_ERR_NOT_FOUND);
    assert_int_equal(dg_loan_out(w.t.archive, &w.archivist, &in, &id, &err), DG_OK);
    assert_int_equal(dg_loan_out(w.t.archive, &w.archivist, &in, &id, &err), DG_ERR_EXISTS);
    dg_loan l;
    int out = 0;
    assert_int_equal(dg_loan_paper_out(w.t.archive, &w.leader, w.record, &l, &out, &err), DG_OK);
    assert_true(out);
    assert_string_equal(l.id_number, "110***********1234");
    dg_loan_clear(&l);
    assert_int_equal(dg_loan_paper_out(w.t.archive, &w.archivist, w.record, &l, &out, &err), DG_OK);
    assert_string_equal(l.id_number, "110101199001011234");
    dg_loan_clear(&l);
    assert_int_equal(dg_loan_return(w.t.archive, &w.archivist, id, NULL, &err), DG_ERR_USAGE);
    assert_int_equal(dg_loan_return(w.t.archive, &w.archivist, id, "完好", &err), DG_OK);
    assert_int_equal(dg_loan_paper_out(w.t.archive, &w.leader, w.record, &l, &out, &err), DG_OK);
    assert_false(out);
    test_archive_remove(&w.t);
}

static void test_copies_of_a_level_two_record_need_a_copy_loan(void **state)
{
    (void)state;
    world w;
    world_make(&w);
    dg_error err;
    dg_export ex;
    int64_t read = request(&w, &w.teacher, w.record, "read", 3, DG_OK);
    assert_int_equal(dg_loan_decide(w.t.archive, &w.leader, read, 1, 0, NULL, &err), DG_OK);
    assert_int_equal(dg_export_begin(w.t.archive, &w.teacher, w.record, 0, "page", "page 1", 0,
                                     &ex, &err), DG_OK);
    assert_true(ex.log_entry > 0);
    assert_int_equal(dg_export_begin(w.t.archive, &w.teacher, w.record, 0, "export", "pdf", 1,
                                     &ex, &err), DG_ERR_DENIED);
    int64_t copy = request(&w, &w.teacher, w.record, "copy", 3, DG_OK);
    assert_int_equal(dg_loan_decide(w.t.archive, &w.leader, copy, 1, 0, NULL, &err), DG_OK);
    assert_int_equal(dg_export_begin(w.t.archive, &w.teacher, w.record, 0, "export", "pdf", 1,
                                     &ex, &err), DG_OK);
    int64_t first = ex.log_entry;
    assert_int_equal(dg_export_begin(w.t.archive, &w.leader, w.record, 0, "export", "pdf", 1,
                                     &ex, &err), DG_OK);
    assert_true(ex.log_entry > first); /* each export its own entry */
    test_archive_remove(&w.t);
}

/* A personnel record about subject (NULL: none), titled title. */
static void file_about(world *w, const char *title, const char *subject, char ref[DG_REFCODE_MAX])
{
    dg_page_input page = {.data = title, .len = strlen(title), .mime = "text/plain",
                          .confidence = -1};
    dg_record_input in = {.title = title, .category = "personnel", .doc_date = "2020-05-01",
                          .level = 2, .subject = subject, .text = title, .pages = &page,
                          .n_pages = 1, .ocr_confidence = -1, .class_confidence = -1,
                          .reason = "test"};
    dg_error err;
    assert_int_equal(dg_record_add(w->t.archive, &w->t.admin, &in, ref, &err), DG_OK);
}

static void test_the_subject_decides_whose_personnel_file_it_is(void **state)
{
    (void)state;
    world w;
    world_make(&w);
    dg_error err;
    char by_login[DG_REFCODE_MAX], by_name_and_id[DG_REFCODE_MAX], others[DG_REFCODE_MAX];
    file_about(&w, "考核表", "teacher", by_login);
    file_about(&w, "考核表 乙", "张老师 (110101198001011234)", by_name_and_id);
    file_about(&w, "张老师 评议 王五", "王五", others); /* the title names the teacher */
    request(&w, &w.teacher, by_login, "read", 3, DG_ERR_DENIED);
    request(&w, &w.teacher, by_name_and_id, "read", 3, DG_ERR_DENIED);
    int64_t id = request(&w, &w.teacher, others, "read", 3, DG_OK);
    assert_int_equal(dg_loan_decide(w.t.archive, &w.leader, id, 1, 3, NULL, &err), DG_OK);
    /* A relative's file by its subject; a name that only begins like it is someone else. */
    assert_int_equal(dg_loan_relate(w.t.archive, &w.t.admin, "teacher", "王五", "配偶", 0, &err),
                     DG_OK);
    char relative[DG_REFCODE_MAX], longer_name[DG_REFCODE_MAX];
    file_about(&w, "考核表 丙", "王五", relative);
    file_about(&w, "考核表 丁", "王五一", longer_name);
    request(&w, &w.teacher, relative, "read", 3, DG_ERR_DENIED);
    request(&w, &w.teacher, longer_name, "read", 3, DG_OK);
    /* edit --subject: the record is no longer the teacher's. */
    dg_record_change change = {.subject = "李四", .reason = "当事人为李四"};
    int version = 0;
    assert_int_equal(dg_record_edit(w.t.archive, &w.archivist, by_login, &change, &version, &err),
                     DG_OK);
    request(&w, &w.teacher, by_login, "read", 3, DG_OK);
    test_archive_remove(&w.t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_approved_loan_opens_the_record_until_it_is_due),
        cmocka_unit_test(test_own_and_relatives_personnel_files_are_refused),
        cmocka_unit_test(test_the_subject_decides_whose_personnel_file_it_is),
        cmocka_unit_test(test_only_a_leader_who_sees_the_record_and_is_not_the_requester_decides),
        cmocka_unit_test(test_paper_loan_is_out_until_returned_and_id_numbers_are_masked),
        cmocka_unit_test(test_copies_of_a_level_two_record_need_a_copy_loan),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
