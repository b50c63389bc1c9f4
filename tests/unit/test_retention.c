/* test_retention.c — the retention rules: when a record falls due (permanent, D30, D10,
 * the 1 January boundary), what the annual review queues by, and every refusal of the
 * appraise / approve / witness / destroy state machine. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "engine/vocab.h"
#include "retention/retention.h"

static dg_actor actor(const char *login, unsigned roles)
{
    dg_actor a;
    memset(&a, 0, sizeof a);
    snprintf(a.login, sizeof a.login, "%s", login);
    a.roles = roles;
    a.clearance = 1;
    return a;
}

/* ---- the expiry rule ---- */

static void test_d10_record_expires_on_first_january_eleven_years_after_formation(void **state)
{
    (void)state;
    assert_int_equal(dg_retention_due_year(2015, "D10"), 2026);
    assert_false(dg_retention_is_expired(2015, "D10", 2025, 12, 31));
    assert_true(dg_retention_is_expired(2015, "D10", 2026, 1, 1));
}

static void test_d30_record_expires_thirty_one_years_after_formation(void **state)
{
    (void)state;
    assert_int_equal(dg_retention_due_year(1994, "D30"), 2025);
    assert_false(dg_retention_is_expired(1994, "D30", 2024, 12, 31));
    assert_true(dg_retention_is_expired(1994, "D30", 2025, 1, 1));
}

static void test_permanent_record_never_expires(void **state)
{
    (void)state;
    assert_int_equal(dg_retention_due_year(1900, "Y"), 0);
    assert_false(dg_retention_is_expired(1900, "Y", 9999, 12, 31));
}

static void test_legacy_long_and_short_term_count_as_d30_and_d10(void **state)
{
    (void)state;
    assert_int_equal(dg_retention_due_year(2000, "长期"), 2031);
    assert_int_equal(dg_retention_due_year(2000, "short-term"), 2011);
    assert_int_equal(dg_retention_due_year(2000, "forever"), -1);
    /* A provisional record (year 0, not yet confirmed) never falls due. */
    assert_int_equal(dg_retention_due_year(0, "D10"), -1);
    assert_false(dg_retention_is_expired(0, "D10", 9999, 12, 31));
}

static void test_review_rules_queue_exactly_what_expired_by_the_review_year(void **state)
{
    (void)state;
    dg_due_rule rules[2];
    dg_retention_review_rules(2026, rules);
    for (int i = 0; i < 2; i++) {
        /* The last formation year queued is due in 2026; the next one is due in 2027. */
        int last = rules[i].last_year;
        assert_int_equal(last + rules[i].due_offset, 2026);
        assert_int_equal(dg_retention_due_year(last, rules[i].period), 2026);
        assert_true(dg_retention_is_expired(last, rules[i].period, 2026, 1, 1));
        assert_false(dg_retention_is_expired(last + 1, rules[i].period, 2026, 12, 31));
    }
    assert_string_equal(rules[0].period, "D10");
    assert_int_equal(rules[0].last_year, 2015);
    assert_int_equal(rules[1].last_year, 1995);
}

/* ---- the state machine ---- */

static const char *const APPRAISERS[] = {"arch"};

static dg_review_facts facts(const char *state, const char *approver,
                             const char *const *witnesses, size_t n_witnesses)
{
    dg_review_facts f = {.state = state, .items = 3, .approver = approver,
                         .appraisers = APPRAISERS, .n_appraisers = 1,
                         .witnesses = witnesses, .n_witnesses = n_witnesses};
    return f;
}

static void test_only_archivists_appraise_and_only_while_open(void **state)
{
    (void)state;
    dg_review_facts open = facts("open", NULL, NULL, 0);
    dg_review_facts approved = facts("approved", "lead", NULL, 0);
    dg_actor arch = actor("arch", DG_ROLE_ARCHIVIST), staff = actor("s", DG_ROLE_STAFF);
    dg_error err;
    assert_int_equal(dg_retention_check(DG_STEP_APPRAISE, &arch, &open, &err), DG_OK);
    assert_int_equal(dg_retention_check(DG_STEP_APPRAISE, &staff, &open, &err), DG_ERR_DENIED);
    assert_int_equal(dg_retention_check(DG_STEP_APPRAISE, &arch, &approved, &err), DG_ERR_STATE);
}

static void test_approval_needs_a_leader_who_appraised_nothing_and_no_queued_items(void **state)
{
    (void)state;
    dg_review_facts f = facts("open", NULL, NULL, 0);
    dg_actor lead = actor("lead", DG_ROLE_LEADER);
    dg_actor lead_arch = actor("arch", DG_ROLE_LEADER | DG_ROLE_ARCHIVIST);
    dg_actor arch = actor("arch2", DG_ROLE_ARCHIVIST | DG_ROLE_ADMIN);
    dg_error err;
    assert_int_equal(dg_retention_check(DG_STEP_APPROVE, &lead, &f, &err), DG_OK);
    assert_int_equal(dg_retention_check(DG_STEP_APPROVE, &arch, &f, &err), DG_ERR_DENIED);
    assert_int_equal(dg_retention_check(DG_STEP_APPROVE, &lead_arch, &f, &err), DG_ERR_DENIED);
    assert_non_null(strstr(err.msg, "appraised"));
    f.queued = 1;
    assert_int_equal(dg_retention_check(DG_STEP_APPROVE, &lead, &f, &err), DG_ERR_STATE);
    assert_non_null(strstr(err.msg, "not appraised"));
    f.queued = 0;
    f.state = "approved";
    assert_int_equal(dg_retention_check(DG_STEP_APPROVE, &lead, &f, &err), DG_ERR_STATE);
}

static void test_witnesses_are_two_distinct_people_other_than_appraiser_and_approver(void **state)
{
    (void)state;
    static const char *const ONE[] = {"w1"};
    dg_actor w1 = actor("w1", DG_ROLE_WITNESS), w2 = actor("w2", DG_ROLE_WITNESS);
    dg_actor lead = actor("lead", DG_ROLE_WITNESS | DG_ROLE_LEADER);
    dg_actor arch = actor("arch", DG_ROLE_WITNESS | DG_ROLE_ARCHIVIST);
    dg_actor staff = actor("staff", DG_ROLE_STAFF);
    dg_error err;
    dg_review_facts open = facts("open", NULL, NULL, 0);
    assert_int_equal(dg_retention_check(DG_STEP_WITNESS, &w1, &open, &err), DG_ERR_STATE);
    dg_review_facts f = facts("approved", "lead", NULL, 0);
    assert_int_equal(dg_retention_check(DG_STEP_WITNESS, &w1, &f, &err), DG_OK);
    assert_int_equal(dg_retention_check(DG_STEP_WITNESS, &staff, &f, &err), DG_ERR_DENIED);
    assert_int_equal(dg_retention_check(DG_STEP_WITNESS, &lead, &f, &err), DG_ERR_DENIED);
    assert_int_equal(dg_retention_check(DG_STEP_WITNESS, &arch, &f, &err), DG_ERR_DENIED);
    dg_review_facts signed_once = facts("approved", "lead", ONE, 1);
    assert_int_equal(dg_retention_check(DG_STEP_WITNESS, &w1, &signed_once, &err),
                     DG_ERR_EXISTS);
    assert_int_equal(dg_retention_check(DG_STEP_WITNESS, &w2, &signed_once, &err), DG_OK);
    dg_review_facts done = facts("witnessed", "lead", ONE, 1);
    assert_int_equal(dg_retention_check(DG_STEP_WITNESS, &w2, &done, &err), DG_ERR_STATE);
}

static void test_destruction_waits_for_approval_and_two_witnesses(void **state)
{
    (void)state;
    dg_actor arch = actor("arch", DG_ROLE_ARCHIVIST), w = actor("w", DG_ROLE_WITNESS);
    dg_error err;
    dg_review_facts f = facts("open", NULL, NULL, 0);
    assert_int_equal(dg_retention_check(DG_STEP_DESTROY, &arch, &f, &err), DG_ERR_STATE);
    f.state = "approved";
    assert_int_equal(dg_retention_check(DG_STEP_DESTROY, &arch, &f, &err), DG_ERR_STATE);
    assert_non_null(strstr(err.msg, "two witnesses"));
    f.state = "witnessed";
    assert_int_equal(dg_retention_check(DG_STEP_DESTROY, &arch, &f, &err), DG_OK);
    assert_int_equal(dg_retention_check(DG_STEP_DESTROY, &w, &f, &err), DG_ERR_DENIED);
    f.state = "destroyed";
    assert_int_equal(dg_retention_check(DG_STEP_DESTROY, &arch, &f, &err), DG_ERR_STATE);
    f.destroying = 2; /* a killed run: destroy again completes it */
    assert_int_equal(dg_retention_check(DG_STEP_DESTROY, &arch, &f, &err), DG_OK);
}

static void test_titles_above_clearance_are_withheld(void **state)
{
    (void)state;
    dg_actor a = actor("w", DG_ROLE_WITNESS);
    a.clearance = 1;
    assert_true(dg_retention_may_see(&a, 1));
    assert_false(dg_retention_may_see(&a, 2));
    a.clearance = 3;
    assert_false(dg_retention_may_see(&a, 4));
    a.clearance = 4;
    assert_true(dg_retention_may_see(&a, 4));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_d10_record_expires_on_first_january_eleven_years_after_formation),
        cmocka_unit_test(test_d30_record_expires_thirty_one_years_after_formation),
        cmocka_unit_test(test_permanent_record_never_expires),
        cmocka_unit_test(test_legacy_long_and_short_term_count_as_d30_and_d10),
        cmocka_unit_test(test_review_rules_queue_exactly_what_expired_by_the_review_year),
        cmocka_unit_test(test_only_archivists_appraise_and_only_while_open),
        cmocka_unit_test(test_approval_needs_a_leader_who_appraised_nothing_and_no_queued_items),
        cmocka_unit_test(test_witnesses_are_two_distinct_people_other_than_appraiser_and_approver),
        cmocka_unit_test(test_destruction_waits_for_approval_and_two_witnesses),
        cmocka_unit_test(test_titles_above_clearance_are_withheld),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
