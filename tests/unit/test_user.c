/* test_user.c — the role check every engine module makes (dg_require_role): who passes, and
 * what a refusal answers and leaves in the access log. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "engine/log.h"
#include "engine/record.h"
#include "testutil.h"

/* The newest entry of the log (read as the admin, before the read's own entry). */
static dg_log_entry *newest_entry(test_archive *t, size_t *count)
{
    dg_log_filter newest = {.limit = 1};
    dg_log_entry *entries = NULL;
    dg_error err;
    assert_int_equal(dg_log_read(t->archive, &t->admin, &newest, &entries, count, &err), DG_OK);
    assert_int_equal(*count, 1);
    return entries;
}

static int64_t newest_id(test_archive *t)
{
    size_t n = 0;
    dg_log_entry *e = newest_entry(t, &n);
    int64_t id = e->id;
    dg_log_entries_free(e, n);
    return id;
}

static void test_require_role_lets_a_holder_of_any_of_the_roles_pass_unlogged(void **state)
{
    (void)state;
    test_archive t;
    assert_true(test_archive_make(&t));
    dg_actor auditor;
    assert_true(test_archive_user(&t, "audra", 2, DG_ROLE_AUDITOR, &auditor));
    int64_t before = newest_id(&t); /* the log.read of this call follows it */
    dg_error err;
    assert_int_equal(dg_require_role(t.archive, &auditor, DG_ROLE_ADMIN | DG_ROLE_AUDITOR,
                                     &(dg_log_event){.action = "user.list"}, &err,
                                     "user list: only admins and auditors may list accounts"),
                     DG_OK);
    assert_int_equal(newest_id(&t), before + 1); /* only the first log.read came between */
    test_archive_remove(&t);
}

static void test_require_role_refuses_with_its_message_and_logs_the_refusal(void **state)
{
    (void)state;
    test_archive t;
    assert_true(test_archive_make(&t));
    dg_actor staff;
    assert_true(test_archive_user(&t, "stan", 1, DG_ROLE_STAFF, &staff));
    dg_log_event refusal = {.action = "edit", .refcode = "X001-XZ-2024-D10-0001",
                            .detail = "not an archivist or admin"};
    dg_error err;
    assert_int_equal(dg_require_role(t.archive, &staff, DG_ROLE_ARCHIVIST | DG_ROLE_ADMIN,
                                     &refusal, &err, "%s: only archivists and admins may "
                                     "file or change records", "edit"),
                     DG_ERR_DENIED);
    assert_string_equal(err.msg, "edit: only archivists and admins may file or change records");
    size_t n = 0;
    dg_log_entry *e = newest_entry(&t, &n);
    assert_string_equal(e->login, "stan");
    assert_string_equal(e->action, "edit");
    assert_string_equal(e->refcode, "X001-XZ-2024-D10-0001");
    assert_string_equal(e->outcome, "refused");
    assert_string_equal(e->detail, "not an archivist or admin");
    assert_int_equal(e->hits, -1);
    dg_log_entries_free(e, n);
    test_archive_remove(&t);
}

static void test_filing_by_staff_is_refused_as_filing_and_logged(void **state)
{
    (void)state;
    test_archive t;
    assert_true(test_archive_make(&t));
    dg_actor staff;
    assert_true(test_archive_user(&t, "stan", 1, DG_ROLE_STAFF, &staff));
    dg_record_input in = {.title = "关于放假的通知", .category = "administrative",
                          .record_type = "notice", .level = -1, .year = 2024,
                          .ocr_confidence = -1, .class_confidence = -1};
    char refcode[DG_REFCODE_MAX];
    dg_error err;
    assert_int_equal(dg_record_add(t.archive, &staff, &in, refcode, &err), DG_ERR_DENIED);
    assert_string_equal(err.msg, "add: only archivists and admins may file or change records");
    size_t n = 0;
    dg_log_entry *e = newest_entry(&t, &n);
    assert_string_equal(e->action, "add");
    assert_string_equal(e->outcome, "refused");
    assert_string_equal(e->detail, "not an archivist or admin");
    dg_log_entries_free(e, n);
    test_archive_remove(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_require_role_lets_a_holder_of_any_of_the_roles_pass_unlogged),
        cmocka_unit_test(test_require_role_refuses_with_its_message_and_logs_the_refusal),
        cmocka_unit_test(test_filing_by_staff_is_refused_as_filing_and_logged),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
