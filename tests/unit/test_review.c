/* test_review.c — the classification review queue, review decisions, the stored classifier
 * state (engine/class_review.h) and learning from reviews (ingest/learn.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/archive_internal.h" /* the handle's own connection: its pragmas */
#include "engine/catalog.h"
#include "engine/class_review.h"
#include "engine/log.h"
#include "engine/record.h"
#include "ingest/filing.h"
#include "ingest/learn.h"
#include "retention/retention.h"
#include "testutil.h"

/* Files a text record as ingest would: classified by the machine with this confidence
 * (-1: by a person), dated or not. */
static void file_record(test_archive *t, const char *title, const char *text, const char *category,
                        const char *type, const char *date, int level, double confidence,
                        char refcode[DG_REFCODE_MAX])
{
    dg_page_input page = {.data = text, .len = strlen(text), .mime = "text/plain",
                          .confidence = -1};
    dg_record_input in = {.title = title, .category = category, .record_type = type,
                          .doc_date = date, .level = level, .text = text, .pages = &page,
                          .n_pages = 1, .ocr_confidence = -1, .class_confidence = confidence,
                          .reason = "test"};
    dg_error err;
    dg_status st = dg_record_add(t->archive, &t->admin, &in, refcode, &err);
    if (st != DG_OK)
        fail_msg("add %s: %s", title, err.msg);
}

typedef struct queue {
    dg_class_review_item *items;
    size_t count;
    uint64_t total;
} queue;

static queue list_queue(test_archive *t, const dg_actor *who, double threshold)
{
    queue q;
    dg_error err;
    dg_status st = dg_class_review_list(t->archive, who, threshold, 0, 0, &q.items, &q.count,
                                        &q.total, &err);
    if (st != DG_OK)
        fail_msg("review list: %s", err.msg);
    return q;
}

static int queue_has(const queue *q, const char *refcode)
{
    for (size_t i = 0; i < q->count; i++)
        if (!strcmp(q->items[i].refcode, refcode))
            return 1;
    return 0;
}

static void queue_free(queue *q)
{
    dg_class_review_items_free(q->items, q->count);
}

/* How many records the queue holds for who at threshold. */
static size_t queue_total(test_archive *t, const dg_actor *who, double threshold)
{
    queue q = list_queue(t, who, threshold);
    size_t total = q.total;
    queue_free(&q);
    return total;
}


static void test_queue_holds_uncertain_machine_filings_least_confident_first(void **state)
{
    (void)state;
    test_archive t;
    assert_true(test_archive_make(&t));
    char sure[DG_REFCODE_MAX], unsure[DG_REFCODE_MAX], unsurer[DG_REFCODE_MAX];
    char undated[DG_REFCODE_MAX], by_hand[DG_REFCODE_MAX];
    file_record(&t, "sure", "会议纪要", "administrative", "minutes", "2024-01-10", 1, 0.95, sure);
    file_record(&t, "unsure", "报销", "finance", "voucher", "2024-01-10", 1, 0.55, unsure);
    file_record(&t, "unsurer", "报销", "finance", "voucher", "2024-01-10", 1, 0.20, unsurer);
    file_record(&t, "undated", "会议", "administrative", "minutes", NULL, 1, 0.90, undated);
    file_record(&t, "by hand", "会议", "administrative", "minutes", NULL, 1, -1, by_hand);

    queue q = list_queue(&t, &t.admin, 0.6);
    assert_int_equal(q.total, 3);
    assert_int_equal(q.count, 3);
    assert_string_equal(q.items[0].refcode, unsurer);
    assert_string_equal(q.items[1].refcode, unsure);
    assert_string_equal(q.items[2].refcode, undated);
    assert_int_equal(q.items[0].reasons, DG_CLASS_REVIEW_LOW_CONFIDENCE);
    assert_int_equal(q.items[2].reasons, DG_CLASS_REVIEW_NO_DATE);
    assert_false(queue_has(&q, sure));
    assert_false(queue_has(&q, by_hand));
    queue_free(&q);

    /* A lower threshold lets the 0.55 record through; the undated one still waits. */
    q = list_queue(&t, &t.admin, 0.5);
    assert_int_equal(q.total, 2);
    assert_false(queue_has(&q, unsure));
    queue_free(&q);
    test_archive_remove(&t);
}

static void test_queue_never_shows_or_counts_records_above_clearance(void **state)
{
    (void)state;
    test_archive t;
    assert_true(test_archive_make(&t));
    dg_actor low, granted;
    assert_true(test_archive_user(&t, "low", 1, DG_ROLE_ARCHIVIST, &low));
    assert_true(test_archive_user(&t, "granted", 3, DG_ROLE_ARCHIVIST, &granted));
    char open_ref[DG_REFCODE_MAX], restricted[DG_REFCODE_MAX], secret[DG_REFCODE_MAX];
    file_record(&t, "open", "报销", "finance", "voucher", "2024-01-10", 1, 0.3, open_ref);
    file_record(&t, "restricted", "工资", "personnel", NULL, "2024-01-10", 2, 0.2, restricted);
    file_record(&t, "secret", "绝密", "administrative", NULL, "2024-01-10", 4, 0.1, secret);

    queue q = list_queue(&t, &low, -1);
    assert_int_equal(q.total, 1);
    assert_string_equal(q.items[0].refcode, open_ref);
    queue_free(&q);

    q = list_queue(&t, &granted, -1);
    assert_int_equal(q.total, 2);
    assert_false(queue_has(&q, secret));
    queue_free(&q);
    dg_error err;
    assert_int_equal(dg_record_grant(t.archive, &t.admin, secret, "granted", 1, &err), DG_OK);
    q = list_queue(&t, &granted, -1);
    assert_int_equal(q.total, 3);
    assert_string_equal(q.items[0].refcode, secret);
    queue_free(&q);

    /* Accepting a record one may not see is refused exactly like a missing one. */
    dg_learn_result r;
    assert_int_equal(dg_learn_accept(t.archive, &low, restricted, NULL, &r, &err),
                     DG_ERR_NOT_FOUND);
    test_archive_remove(&t);
}

static void test_staff_may_not_review_or_read_what_the_classifier_learnt(void **state)
{
    (void)state;
    test_archive t;
    assert_true(test_archive_make(&t));
    dg_actor staff;
    assert_true(test_archive_user(&t, "zhang", 3, DG_ROLE_STAFF, &staff));
    char ref[DG_REFCODE_MAX];
    file_record(&t, "unsure", "报销", "finance", "voucher", "2024-01-10", 1, 0.3, ref);
    dg_class_review_item *items;
    size_t n;
    uint64_t total;
    dg_error err;
    assert_int_equal(dg_class_review_list(t.archive, &staff, -1, 0, 0, &items, &n, &total, &err),
                     DG_ERR_DENIED);
    char *value;
    size_t len;
    int64_t gen;
    assert_int_equal(dg_classifier_state_get(t.archive, &staff, DG_STATE_MODEL, &value, &len,
                                             &gen, &err),
                     DG_ERR_DENIED);
    dg_learn_result r;
    assert_int_equal(dg_learn_accept(t.archive, &staff, ref, NULL, &r, &err), DG_ERR_DENIED);
    assert_int_equal(dg_class_review_set_threshold(t.archive, &staff, 0.9, &err),
                     DG_ERR_DENIED);
    assert_int_equal(dg_rules_add(t.archive, &staff, "借阅", "asset", NULL, 1, &err),
                     DG_ERR_DENIED);
    test_archive_remove(&t);
}

static void test_accepting_takes_a_record_out_of_the_queue_once_and_is_logged(void **state)
{
    (void)state;
    test_archive t;
    assert_true(test_archive_make(&t));
    char ref[DG_REFCODE_MAX];
    file_record(&t, "unsure", "差旅费报销单 报销金额 发票", "finance", "voucher", "2024-01-10",
                1, 0.3, ref);
    dg_learn_result r;
    dg_error err;
    assert_int_equal(dg_learn_accept(t.archive, &t.admin, ref, "checked", &r, &err), DG_OK);
    assert_int_equal(r.version, 1);
    assert_false(r.changed);
    assert_true(r.learnt);
    assert_string_equal(r.category, "finance");
    assert_int_equal(queue_total(&t, &t.admin, -1), 0);
    assert_int_equal(dg_learn_accept(t.archive, &t.admin, ref, NULL, &r, &err), DG_ERR_EXISTS);

    dg_log_filter filter = {.action = "review"};
    dg_log_entry *entries;
    size_t n;
    assert_int_equal(dg_log_read(t.archive, &t.admin, &filter, &entries, &n, &err), DG_OK);
    assert_int_equal(n, 1);
    assert_string_equal(entries[0].refcode, ref);
    assert_non_null(strstr(entries[0].detail, "accepted finance/voucher"));
    dg_log_entries_free(entries, n);

    /* The lesson was saved with the decision. */
    char *model;
    size_t len;
    int64_t gen;
    assert_int_equal(dg_classifier_state_get(t.archive, &t.admin, DG_STATE_MODEL, &model, &len,
                                             &gen, &err),
                     DG_OK);
    assert_non_null(model);
    assert_int_equal(gen, 1);
    assert_int_equal(strncmp(model, "dangan-nb 1", 11), 0);
    free(model);
    test_archive_remove(&t);
}

static void test_a_decision_on_a_superseded_version_is_refused(void **state)
{
    (void)state;
    test_archive t;
    assert_true(test_archive_make(&t));
    char ref[DG_REFCODE_MAX];
    file_record(&t, "unsure", "报销", "finance", "voucher", "2024-01-10", 1, 0.3, ref);
    dg_record_change change = {.title = "renamed", .reason = "typo"};
    int version;
    dg_error err;
    assert_int_equal(dg_record_edit(t.archive, &t.admin, ref, &change, &version, &err), DG_OK);
    dg_class_review_entry e = {.refcode = ref, .version = 1,
                               .decision = DG_CLASS_REVIEW_ACCEPTED};
    assert_int_equal(dg_class_review_record(t.archive, &t.admin, &e, &err), DG_ERR_STATE);
    /* A title edit leaves the machine's classification unreviewed. */
    queue q = list_queue(&t, &t.admin, -1);
    assert_int_equal(q.total, 1);
    assert_int_equal(q.items[0].version, 2);
    queue_free(&q);
    e.version = 2;
    assert_int_equal(dg_class_review_record(t.archive, &t.admin, &e, &err), DG_OK);
    test_archive_remove(&t);
}

static void test_a_category_edited_by_hand_leaves_the_queue(void **state)
{
    (void)state;
    test_archive t;
    assert_true(test_archive_make(&t));
    char ref[DG_REFCODE_MAX];
    file_record(&t, "unsure", "报销", "finance", "voucher", "2024-01-10", 1, 0.3, ref);
    dg_record_change change = {.category = "asset", .record_type = "purchase",
                               .reason = "a purchase"};
    int version;
    dg_error err;
    assert_int_equal(dg_record_edit(t.archive, &t.admin, ref, &change, &version, &err), DG_OK);
    assert_int_equal(queue_total(&t, &t.admin, -1), 0);
    test_archive_remove(&t);
}

static void test_a_stale_generation_never_overwrites_a_newer_lesson(void **state)
{
    (void)state;
    test_archive t;
    assert_true(test_archive_make(&t));
    dg_error err;
    assert_int_equal(dg_classifier_state_put(t.archive, &t.admin, "classifier.rules", "one", 0,
                                             "first", &err),
                     DG_OK);
    assert_int_equal(dg_classifier_state_put(t.archive, &t.admin, "classifier.rules", "two", 0,
                                             "racing first", &err),
                     DG_ERR_STATE);
    assert_int_equal(dg_classifier_state_put(t.archive, &t.admin, "classifier.rules", "two", 1,
                                             "second", &err),
                     DG_OK);
    assert_int_equal(dg_classifier_state_put(t.archive, &t.admin, "classifier.rules", "three",
                                             1, "stale", &err),
                     DG_ERR_STATE);
    char *value;
    size_t len;
    int64_t gen;
    assert_int_equal(dg_classifier_state_get(t.archive, &t.admin, "classifier.rules", &value,
                                             &len, &gen, &err),
                     DG_OK);
    assert_string_equal(value, "two");
    assert_int_equal(gen, 2);
    free(value);

    /* A decision whose model is stale is not recorded either: they commit together. */
    char ref[DG_REFCODE_MAX];
    file_record(&t, "unsure", "报销", "finance", "voucher", "2024-01-10", 1, 0.3, ref);
    assert_int_equal(dg_classifier_state_put(t.archive, &t.admin, DG_STATE_MODEL, "m1", 0, "m",
                                             &err),
                     DG_OK);
    dg_class_review_entry e = {.refcode = ref, .version = 1, .decision = DG_CLASS_REVIEW_ACCEPTED,
                               .model = "m2", .model_generation = 0};
    assert_int_equal(dg_class_review_record(t.archive, &t.admin, &e, &err), DG_ERR_STATE);
    assert_int_equal(queue_total(&t, &t.admin, -1), 1);
    test_archive_remove(&t);
}

static void test_threshold_defaults_to_point_six_and_is_kept(void **state)
{
    (void)state;
    test_archive t;
    assert_true(test_archive_make(&t));
    double threshold;
    dg_error err;
    assert_int_equal(dg_class_review_threshold(t.archive, &threshold, &err), DG_OK);
    assert_true(threshold == DG_CLASS_REVIEW_THRESHOLD_DEFAULT);
    char ref[DG_REFCODE_MAX];
    file_record(&t, "fairly sure", "报销", "finance", "voucher", "2024-01-10", 1, 0.7, ref);
    assert_int_equal(queue_total(&t, &t.admin, -1), 0);
    assert_int_equal(dg_class_review_set_threshold(t.archive, &t.admin, 0.8, &err), DG_OK);
    assert_int_equal(dg_class_review_set_threshold(t.archive, &t.admin, 1.5, &err),
                     DG_ERR_USAGE);
    assert_int_equal(dg_class_review_threshold(t.archive, &threshold, &err), DG_OK);
    assert_true(threshold > 0.79 && threshold < 0.81);
    assert_int_equal(queue_total(&t, &t.admin, -1), 1);
    test_archive_remove(&t);
}

/* Library loans are not in the starter corpus; this archive files them as asset transfers. */
static const char LOAN[] = "图书借阅登记\n读者：王老师\n借阅图书：《红楼梦》《三国演义》共2册\n"
                           "借出日期：3月1日，应还日期：4月1日\n图书管理员签字";
static const char SIMILAR_LOAN[] = "图书借阅登记\n读者：李同学\n借阅图书：《西游记》1册\n"
                                   "借出日期：5月8日，应还日期：6月8日\n管理员签字";

static void test_a_correction_is_a_new_version_and_the_next_filing_follows_it(void **state)
{
    (void)state;
    test_archive t;
    assert_true(test_archive_make(&t));
    dg_filer *filer;
    dg_filing filing;
    dg_error err;
    assert_int_equal(dg_filer_open(t.archive, &t.admin, &filer, &err), DG_OK);
    assert_int_equal(dg_filer_prepare(filer, LOAN, "loan.txt", NULL, &filing, &err), DG_OK);
    dg_filer_close(filer);
    assert_string_not_equal(filing.category, "asset");
    char ref[DG_REFCODE_MAX];
    file_record(&t, filing.title, LOAN, filing.category, filing.input.record_type, NULL,
                filing.input.level, filing.input.class_confidence, ref);

    dg_correction c = {.refcode = ref, .category = "资产", .type = "transfer",
                       .reason = "library loans"};
    dg_learn_result r;
    assert_int_equal(dg_learn_correct(t.archive, &t.admin, &c, &r, &err), DG_OK);
    assert_true(r.changed);
    assert_int_equal(r.version, 2);
    assert_string_equal(r.period, "D30"); /* the schedule's period for asset transfers */
    dg_record *rec;
    assert_int_equal(dg_record_get(t.archive, &t.admin, ref, 0, &rec, &err), DG_OK);
    assert_string_equal(rec->version.category, "asset");
    assert_string_equal(rec->version.record_type, "transfer");
    assert_string_equal(rec->version.reason, "library loans");
    assert_true(rec->version.class_confidence < 0); /* decided by a person */
    dg_record_free(rec);

    /* A new filer — as the next ingest would open — has learnt it. */
    assert_int_equal(dg_filer_open(t.archive, &t.admin, &filer, &err), DG_OK);
    assert_int_equal(dg_filer_prepare(filer, SIMILAR_LOAN, "loan2.txt", NULL, &filing, &err),
                     DG_OK);
    dg_filer_close(filer);
    assert_string_equal(filing.category, "asset");
    assert_string_equal(filing.type, "transfer");
    test_archive_remove(&t);
}

static void test_a_correction_to_personnel_raises_the_level_and_needs_a_fitting_type(void **state)
{
    (void)state;
    test_archive t;
    assert_true(test_archive_make(&t));
    char ref[DG_REFCODE_MAX];
    file_record(&t, "培训", "教师培训记录", "administrative", "notice", "2024-01-10", 1, 0.3, ref);
    dg_correction c = {.refcode = ref, .category = "personnel", .reason = "a training record"};
    dg_learn_result r;
    dg_error err;
    /* notice is not a personnel type: the archivist must say which. */
    assert_int_equal(dg_learn_correct(t.archive, &t.admin, &c, &r, &err), DG_ERR_USAGE);
    assert_non_null(strstr(err.msg, "training"));
    c.type = "voucher";
    assert_int_equal(dg_learn_correct(t.archive, &t.admin, &c, &r, &err), DG_ERR_USAGE);
    c.type = "training";
    assert_int_equal(dg_learn_correct(t.archive, &t.admin, &c, &r, &err), DG_OK);
    assert_int_equal(r.level, 2);
    assert_string_equal(r.period, "D30");
    /* The same correction again is a review of a reviewed version: refused, no version. */
    assert_int_equal(dg_learn_correct(t.archive, &t.admin, &c, &r, &err), DG_ERR_EXISTS);
    dg_record *rec;
    assert_int_equal(dg_record_get(t.archive, &t.admin, ref, 0, &rec, &err), DG_OK);
    assert_int_equal(rec->level, 2);
    assert_int_equal(rec->current_version, 2);
    dg_record_free(rec);

    /* Giving the classification a record has now is an acceptance, not a new version. */
    char other[DG_REFCODE_MAX];
    file_record(&t, "通知", "关于放假的通知", "administrative", "notice", "2024-01-10", 1, 0.3,
                other);
    dg_correction same = {.refcode = other, .category = "XZ", .type = "notice",
                          .reason = "right as it is"};
    assert_int_equal(dg_learn_correct(t.archive, &t.admin, &same, &r, &err), DG_OK);
    assert_false(r.changed);
    assert_int_equal(r.version, 1);
    assert_int_equal(queue_total(&t, &t.admin, -1), 0);
    test_archive_remove(&t);
}

static void test_archive_rules_are_kept_and_reach_the_filer(void **state)
{
    (void)state;
    test_archive t;
    assert_true(test_archive_make(&t));
    dg_error err;
    const char *text = "XQZWIDGET tally sheet";
    assert_int_equal(dg_rules_add(t.archive, &t.admin, "xqzwidget", "asset", "stocktaking", 6,
                                  &err),
                     DG_OK);
    dg_archive_rule *rules;
    size_t n, own = 0;
    assert_int_equal(dg_rules_list(t.archive, &t.admin, &rules, &n, &err), DG_OK);
    for (size_t i = 0; i < n; i++)
        if (!rules[i].is_default) {
            own++;
            assert_string_equal(rules[i].rule.pattern, "xqzwidget");
        }
    free(rules);
    assert_int_equal(own, 1);
    dg_filer *filer;
    dg_filing filing;
    assert_int_equal(dg_filer_open(t.archive, &t.admin, &filer, &err), DG_OK);
    assert_int_equal(dg_filer_prepare(filer, text, "t.txt", NULL, &filing, &err), DG_OK);
    dg_filer_close(filer);
    assert_string_equal(filing.category, "asset");
    assert_string_equal(filing.type, "stocktaking");
    assert_int_equal(dg_rules_remove(t.archive, &t.admin, "XQZWIDGET", "asset", "stocktaking",
                                     &err),
                     DG_OK);
    assert_int_equal(dg_rules_remove(t.archive, &t.admin, "xqzwidget", "asset", "stocktaking",
                                     &err),
                     DG_ERR_NOT_FOUND);
    test_archive_remove(&t);
}

static void test_a_correction_writes_its_version_only_with_its_decision_and_lesson(void **state)
{
    (void)state;
    test_archive t;
    assert_true(test_archive_make(&t));
    char ref[DG_REFCODE_MAX];
    file_record(&t, "unsure", "报销", "finance", "voucher", "2024-01-10", 1, 0.3, ref);
    dg_error err;
    assert_int_equal(dg_classifier_state_put(t.archive, &t.admin, DG_STATE_MODEL, "m1", 0, "m",
                                             &err),
                     DG_OK);
    /* A lesson learnt onto a model someone has replaced since: nothing is written. */
    dg_class_review_entry review = {.refcode = ref, .decision = DG_CLASS_REVIEW_CORRECTED,
                                    .reason = "a purchase", .model = "m2",
                                    .model_generation = 0};
    dg_record_change change = {.category = "asset", .record_type = "purchase",
                               .reason = "a purchase", .review = &review};
    int version;
    assert_int_equal(dg_record_edit(t.archive, &t.admin, ref, &change, &version, &err),
                     DG_ERR_STATE);
    dg_record *rec;
    assert_int_equal(dg_record_get(t.archive, &t.admin, ref, 0, &rec, &err), DG_OK);
    assert_int_equal(rec->current_version, 1);
    assert_string_equal(rec->version.category, "finance");
    dg_record_free(rec);
    assert_int_equal(queue_total(&t, &t.admin, -1), 1);

    review.model_generation = 1;
    assert_int_equal(dg_record_edit(t.archive, &t.admin, ref, &change, &version, &err), DG_OK);
    assert_int_equal(version, 2);
    char *model;
    size_t len;
    int64_t gen;
    assert_int_equal(dg_classifier_state_get(t.archive, &t.admin, DG_STATE_MODEL, &model, &len,
                                             &gen, &err),
                     DG_OK);
    assert_string_equal(model, "m2");
    free(model);
    dg_log_filter filter = {.action = "review"};
    dg_log_entry *entries;
    size_t n;
    assert_int_equal(dg_log_read(t.archive, &t.admin, &filter, &entries, &n, &err), DG_OK);
    assert_int_equal(n, 1);
    assert_int_equal(entries[0].version, 2);
    assert_non_null(strstr(entries[0].detail, "corrected asset/purchase"));
    dg_log_entries_free(entries, n);
    test_archive_remove(&t);
}

/* ---- destruction forgets what the classifier learnt ---------------------------------- */

/* A record due for destruction whose words and character pairs appear nowhere else. */
static const char SECRET[] = "关于翡翠鹦鹉螺旋桨的会议纪要\nzorblequux meeting minutes\n";
static const char FEE[] = "差旅费报销单 报销金额 发票 交通费 住宿费";

static int file_contains(const char *path, const char *needle)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    char *data = NULL;
    size_t len = 0, cap = 0, got;
    char buf[65536];
    while ((got = fread(buf, 1, sizeof buf, f)) > 0) {
        if (len + got > cap) {
            cap = (len + got) * 2;
            data = realloc(data, cap);
            assert_non_null(data);
        }
        memcpy(data + len, buf, got);
        len += got;
    }
    fclose(f);
    int found = data && memmem(data, len, needle, strlen(needle)) != NULL;
    free(data);
    return found;
}

/* Whether the catalog or its write-ahead log holds the bytes. */
static int catalog_contains(const test_archive *t, const char *needle)
{
    char path[160];
    snprintf(path, sizeof path, "%s/catalog.db", t->path);
    int found = file_contains(path, needle);
    snprintf(path, sizeof path, "%s/catalog.db-wal", t->path);
    return found || file_contains(path, needle);
}

static char *saved_model(test_archive *t, int64_t *generation)
{
    char *model;
    size_t len;
    dg_error err;
    if (dg_classifier_state_get(t->archive, &t->admin, DG_STATE_MODEL, &model, &len, generation,
                                &err) != DG_OK)
        fail_msg("model: %s", err.msg);
    return model;
}

/* Appraised for destruction, approved, witnessed twice and destroyed. */
static void destroy_through_review(test_archive *t, const char *ref)
{
    dg_actor lead, w1, w2;
    assert_true(test_archive_user(t, "lead", 1, DG_ROLE_LEADER, &lead));
    assert_true(test_archive_user(t, "w1", 1, DG_ROLE_WITNESS, &w1));
    assert_true(test_archive_user(t, "w2", 1, DG_ROLE_WITNESS, &w2));
    uint64_t queued;
    char review_state[16];
    int signatures;
    dg_destroy_result result;
    dg_error err;
    assert_int_equal(dg_retention_review(t->archive, &t->admin, 2026, &queued, review_state,
                                         &err),
                     DG_OK);
    assert_int_equal(queued, 1);
    assert_int_equal(dg_retention_appraise(t->archive, &t->admin, 2026, ref, "destroy", 0,
                                           "no further value", &err),
                     DG_OK);
    assert_int_equal(dg_retention_approve(t->archive, &lead, 2026, &err), DG_OK);
    assert_int_equal(dg_retention_witness(t->archive, &w1, 2026, &signatures, &err), DG_OK);
    assert_int_equal(dg_retention_witness(t->archive, &w2, 2026, &signatures, &err), DG_OK);
    assert_int_equal(dg_retention_destroy(t->archive, &t->admin, 2026, &result, &err), DG_OK);
    assert_int_equal(result.destroyed, 1);
    dg_destroy_result_free(&result);
}

/* The model the archive's reviews of LOAN then FEE build, one review at a time. */
static char *model_learnt_one_by_one(void)
{
    dg_classifier *c;
    char *model = NULL;
    size_t len;
    dg_error err;
    assert_int_equal(dg_classifier_new_starter(&c, &err), DG_OK);
    assert_int_equal(dg_classifier_learn(c, LOAN, strlen(LOAN), DG_CATEGORY_ASSET,
                                         DG_TYPE_ASSET_TRANSFER, &err),
                     DG_OK);
    assert_int_equal(dg_classifier_save_model(c, &model, &len, &err), DG_OK);
    dg_classifier_free(c);
    assert_int_equal(dg_classifier_new(&c, &err), DG_OK);
    assert_int_equal(dg_classifier_load_model(c, model, len, &err), DG_OK);
    free(model);
    assert_int_equal(dg_classifier_learn(c, FEE, strlen(FEE), DG_CATEGORY_FINANCE,
                                         DG_TYPE_VOUCHER, &err),
                     DG_OK);
    assert_int_equal(dg_classifier_save_model(c, &model, &len, &err), DG_OK);
    dg_classifier_free(c);
    return model;
}

typedef struct lessons_seen {
    char refcodes[4][DG_REFCODE_MAX];
    size_t count;
    int texts_whole;
} lessons_seen;

static dg_status note_lesson(const dg_class_lesson *l, void *ctx, dg_error *err)
{
    (void)err;
    lessons_seen *seen = ctx;
    if (seen->count < 4)
        snprintf(seen->refcodes[seen->count], DG_REFCODE_MAX, "%s", l->refcode);
    seen->count++;
    seen->texts_whole &= l->len == strlen(l->text) && l->len > 0;
    return DG_OK;
}

static void test_destroying_a_reviewed_record_forgets_its_lesson_and_keeps_the_others(void **state)
{
    (void)state;
    test_archive t;
    assert_true(test_archive_make(&t));
    dg_error err;
    char loan[DG_REFCODE_MAX], secret[DG_REFCODE_MAX], fee[DG_REFCODE_MAX];
    file_record(&t, "loan", LOAN, "administrative", "notice", "2024-03-01", 1, 0.3, loan);
    dg_page_input page = {.data = SECRET, .len = strlen(SECRET), .mime = "text/plain",
                          .confidence = -1};
    dg_record_input in = {.title = "secret", .category = "administrative",
                          .record_type = "minutes", .doc_date = "2000-03-01", .period = "D10",
                          .level = 1, .text = SECRET, .pages = &page, .n_pages = 1,
                          .ocr_confidence = -1, .class_confidence = 0.3, .reason = "test"};
    assert_int_equal(dg_record_add(t.archive, &t.admin, &in, secret, &err), DG_OK);
    file_record(&t, "fee", FEE, "finance", "voucher", "2024-01-10", 1, 0.3, fee);
    assert_true(dg_rules_add(t.archive, &t.admin, "xqzwidget", "asset", NULL, 5, &err) == DG_OK);

    /* Three lessons, in this order; the secret one is learnt. */
    dg_correction c = {.refcode = loan, .category = "asset", .type = "transfer",
                       .reason = "library loans"};
    dg_learn_result r;
    assert_int_equal(dg_learn_correct(t.archive, &t.admin, &c, &r, &err), DG_OK);
    assert_int_equal(dg_learn_accept(t.archive, &t.admin, secret, NULL, &r, &err), DG_OK);
    assert_true(r.learnt);
    assert_int_equal(dg_learn_accept(t.archive, &t.admin, fee, NULL, &r, &err), DG_OK);
    int64_t before;
    char *model = saved_model(&t, &before);
    assert_non_null(strstr(model, "zorblequux"));
    assert_non_null(strstr(model, "翠鹦"));
    free(model);
    assert_true(catalog_contains(&t, "zorblequux")); /* else the test below proves nothing */
    assert_true(catalog_contains(&t, "翠鹦"));

    destroy_through_review(&t, secret);

    /* Forgotten in the catalog, its log and its freed pages; the rules are kept. */
    int64_t after;
    model = saved_model(&t, &after);
    assert_string_equal(model, "");
    free(model);
    assert_true(after > before);
    assert_false(catalog_contains(&t, "zorblequux"));
    assert_false(catalog_contains(&t, "翠鹦"));
    assert_false(catalog_contains(&t, "鹦鹉螺"));
    dg_archive_rule *rules;
    size_t n_rules, own = 0;
    assert_int_equal(dg_rules_list(t.archive, &t.admin, &rules, &n_rules, &err), DG_OK);
    for (size_t i = 0; i < n_rules; i++)
        own += !rules[i].is_default;
    free(rules);
    assert_int_equal(own, 1);

    /* A lesson learnt onto the model as it was before the destruction is refused. */
    char other[DG_REFCODE_MAX];
    file_record(&t, "other", "通知", "administrative", "notice", "2024-01-10", 1, 0.3, other);
    dg_class_review_entry stale = {.refcode = other, .version = 1,
                                   .decision = DG_CLASS_REVIEW_ACCEPTED, .model = "stale",
                                   .model_generation = before};
    assert_int_equal(dg_class_review_record(t.archive, &t.admin, &stale, &err), DG_ERR_STATE);

    /* The remaining decisions, oldest first, with their text; only for reviewers. */
    lessons_seen seen = {.texts_whole = 1};
    assert_int_equal(dg_class_review_lessons(t.archive, &t.admin, note_lesson, &seen, &err),
                     DG_OK);
    assert_int_equal(seen.count, 2);
    assert_string_equal(seen.refcodes[0], loan);
    assert_string_equal(seen.refcodes[1], fee);
    assert_true(seen.texts_whole);
    dg_actor staff;
    assert_true(test_archive_user(&t, "staff", 4, DG_ROLE_STAFF, &staff));
    assert_int_equal(dg_class_review_lessons(t.archive, &staff, note_lesson, &seen, &err),
                     DG_ERR_DENIED);

    /* The next filer rebuilds the model, saves it, and still files loans as assets. */
    dg_filer *filer;
    dg_filing filing;
    assert_int_equal(dg_filer_open(t.archive, &t.admin, &filer, &err), DG_OK);
    assert_int_equal(dg_filer_prepare(filer, SIMILAR_LOAN, "loan2.txt", NULL, &filing, &err),
                     DG_OK);
    dg_filer_close(filer);
    assert_string_equal(filing.category, "asset");
    assert_string_equal(filing.type, "transfer");
    int64_t rebuilt_gen;
    model = saved_model(&t, &rebuilt_gen);
    assert_int_equal(rebuilt_gen, after + 1);
    assert_null(strstr(model, "zorblequux"));
    assert_null(strstr(model, "翠鹦"));
    char *expected = model_learnt_one_by_one();
    assert_string_equal(model, expected); /* the same model the two reviews alone built */
    free(expected);
    free(model);
    assert_false(catalog_contains(&t, "zorblequux"));
    test_archive_remove(&t);
}

/* ---- the annual retention review's statement and its tables (migration 19) ---------- */

/* Runs sql on a connection of its own (as another process would). */
static void catalog_exec(test_archive *t, const char *sql)
{
    assert_int_equal(test_archive_exec(t, sql), SQLITE_OK);
}

/* Every column of every review item, in key order, as one string (free it). */
static char *review_items_dump(test_archive *t)
{
    char path[160];
    snprintf(path, sizeof path, "%s/catalog.db", t->path);
    sqlite3 *db;
    sqlite3_stmt *stmt;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT group_concat(quote(review_id) || quote(record_id)"
                                        " || quote(due_year) || quote(state) || quote(decision)"
                                        " || quote(extend_years) || quote(reason)"
                                        " || quote(appraised_by) || quote(appraised_at), ';')"
                                        " FROM (SELECT * FROM review_items"
                                        " ORDER BY review_id, record_id)",
                                        -1, &stmt, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
    char *dump = strdup((const char *)sqlite3_column_text(stmt, 0));
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return dump;
}

static int64_t handle_foreign_keys(test_archive *t)
{
    sqlite3_stmt *stmt;
    assert_int_equal(sqlite3_prepare_v2(t->archive->db, "PRAGMA foreign_keys", -1, &stmt, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
    int64_t on = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    return on;
}

static dg_status review(test_archive *t, int year, uint64_t *queued)
{
    char state[16];
    dg_error err;
    return dg_retention_review(t->archive, &t->admin, year, queued, state, &err);
}

/* The review turns foreign-key checks off for its one transaction: they must be on again
 * after it, whether it queued or failed, and a failed review must have queued nothing. */
static void test_the_review_is_one_transaction_and_leaves_foreign_keys_on(void **state)
{
    (void)state;
    test_archive t;
    assert_true(test_archive_make(&t));
    char a[DG_REFCODE_MAX], b[DG_REFCODE_MAX], held[DG_REFCODE_MAX], young[DG_REFCODE_MAX],
        late[DG_REFCODE_MAX];
    file_record(&t, "a", FEE, "administrative", "notice", "2010-03-01", 1, -1, a);
    file_record(&t, "b", FEE, "administrative", "notice", "2015-12-31", 1, -1, b);
    file_record(&t, "held", FEE, "administrative", "notice", "2012-03-01", 1, -1, held);
    file_record(&t, "young", FEE, "administrative", "notice", "2016-01-01", 1, -1, young);
    dg_error err;
    assert_int_equal(dg_retention_hold(t.archive, &t.admin, held, "audit", 1, &err), DG_OK);
    assert_int_equal(handle_foreign_keys(&t), 1);
    uint64_t queued = 0;
    assert_int_equal(review(&t, 2026, &queued), DG_OK);
    assert_int_equal(queued, 2); /* a and b: not the held one, not the one due in 2027 */
    assert_int_equal(handle_foreign_keys(&t), 1);
    assert_int_equal(review(&t, 2026, &queued), DG_OK);
    assert_int_equal(queued, 0);

    /* An insert that fails midway (here: refused by a trigger) rolls the review back. */
    file_record(&t, "late", FEE, "administrative", "notice", "2011-06-01", 1, -1, late);
    assert_int_equal(dg_retention_hold(t.archive, &t.admin, held, "done", 0, &err), DG_OK);
    catalog_exec(&t, "CREATE TRIGGER refuse BEFORE INSERT ON review_items"
                     " WHEN NEW.record_id = (SELECT max(id) FROM records)"
                     " BEGIN SELECT RAISE(ABORT, 'refused'); END;");
    assert_int_not_equal(review(&t, 2026, &queued), DG_OK);
    assert_int_equal(handle_foreign_keys(&t), 1);
    assert_int_equal(test_archive_count(&t, "SELECT count(*) FROM review_items"), 2);
    assert_int_equal(test_archive_count(&t, "SELECT count(*) FROM access_log WHERE action ="
                                            " 'retention.review' AND outcome = 'ok'"),
                     2);
    catalog_exec(&t, "DROP TRIGGER refuse;");
    assert_int_equal(review(&t, 2026, &queued), DG_OK);
    assert_int_equal(queued, 2); /* late, and the released one */
    assert_int_equal(handle_foreign_keys(&t), 1);
    test_archive_remove(&t);
}

/* Migration 19 rebuilds review_items (WITHOUT ROWID, the same checks) and reorders
 * versions_by_term: every item of an existing archive must come through unchanged. */
static void test_migration_19_keeps_every_review_item(void **state)
{
    (void)state;
    test_archive t;
    assert_true(test_archive_make(&t));
    char a[DG_REFCODE_MAX], b[DG_REFCODE_MAX], c[DG_REFCODE_MAX];
    file_record(&t, "a", FEE, "administrative", "notice", "2010-03-01", 1, -1, a);
    file_record(&t, "b", FEE, "administrative", "notice", "2011-03-01", 1, -1, b);
    file_record(&t, "c", FEE, "administrative", "notice", "2020-03-01", 1, -1, c);
    uint64_t queued = 0;
    dg_error err;
    assert_int_equal(review(&t, 2026, &queued), DG_OK);
    assert_int_equal(queued, 2);
    assert_int_equal(dg_retention_appraise(t.archive, &t.admin, 2026, a, "extend", 5,
                                           "still \"in use\"", &err),
                     DG_OK);
    char *before = review_items_dump(&t);
    dg_archive_close(t.archive);
    t.archive = NULL;
    /* The tables as schema 18 left them (the log in the catalog). */
    assert_true(test_archive_one_file(&t));
    catalog_exec(&t,
                 "BEGIN; DROP TRIGGER records_destroyed_only_when_witnessed;"
                 "CREATE TABLE old_items (review_id INTEGER NOT NULL REFERENCES reviews(id),"
                 "  record_id INTEGER NOT NULL REFERENCES records(id), due_year INTEGER NOT NULL,"
                 "  state TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'appraised',"
                 "    'approved', 'retained', 'witnessed', 'destroying', 'destroyed')),"
                 "  decision TEXT CHECK (decision IN ('destroy', 'extend', 'permanent')),"
                 "  extend_years INTEGER, reason TEXT, appraised_by INTEGER REFERENCES users(id),"
                 "  appraised_at TEXT, PRIMARY KEY (review_id, record_id));"
                 "INSERT INTO old_items SELECT * FROM review_items; DROP TABLE review_items;"
                 "ALTER TABLE old_items RENAME TO review_items;"
                 "CREATE INDEX review_items_by_record ON review_items(record_id, state);"
                 "CREATE TRIGGER records_destroyed_only_when_witnessed BEFORE UPDATE OF state"
                 "  ON records WHEN NEW.state = 'destroyed' AND NOT EXISTS (SELECT 1 FROM"
                 "  review_items i WHERE i.record_id = NEW.id AND i.state IN ('witnessed',"
                 "  'destroying')) AND NOT EXISTS (SELECT 1 FROM keyless_destructions k"
                 "  WHERE k.record_id = NEW.id AND k.key_id = OLD.key_id)"
                 "  BEGIN SELECT RAISE(ABORT, 'a record is destroyed only by a witnessed"
                 " destruction'); END;"
                 "DROP INDEX versions_by_term;"
                 "CREATE INDEX versions_by_term ON versions(period, year, record_id, number);"
                 "PRAGMA user_version = 18; COMMIT;");
    assert_int_equal(test_archive_count(&t, "SELECT count(*) FROM sqlite_schema WHERE name ="
                                            " 'review_items' AND sql LIKE '%WITHOUT ROWID%'"),
                     0);
    assert_int_equal(dg_archive_open(t.path, &t.archive, &err), DG_OK);
    assert_int_equal(test_archive_count(&t, "PRAGMA user_version"), DG_SCHEMA_VERSION);
    assert_int_equal(test_archive_count(&t, "SELECT count(*) FROM sqlite_schema WHERE name ="
                                            " 'review_items' AND sql LIKE '%WITHOUT ROWID%'"),
                     1);
    assert_int_equal(test_archive_count(&t, "SELECT count(*) FROM pragma_index_info("
                                            "'versions_by_term') WHERE seqno = 1 AND name ="
                                            " 'record_id'"),
                     1);
    char *after = review_items_dump(&t);
    assert_string_equal(before, after);
    free(before);
    free(after);
    /* The checks still hold, and the guard on destruction still reads the items. */
    assert_int_equal(test_archive_count(&t, "SELECT count(*) FROM review_items"), 2);
    assert_int_equal(dg_retention_appraise(t.archive, &t.admin, 2026, b, "destroy", 0,
                                           "no value", &err),
                     DG_OK);
    assert_int_not_equal(sqlite3_exec(t.archive->db, "UPDATE review_items SET state = 'lost'",
                                      NULL, NULL, NULL),
                         SQLITE_OK);
    assert_int_not_equal(sqlite3_exec(t.archive->db, "UPDATE records SET state = 'destroyed'",
                                      NULL, NULL, NULL),
                         SQLITE_OK);
    assert_int_equal(review(&t, 2026, &queued), DG_OK);
    assert_int_equal(queued, 0);
    test_archive_remove(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_queue_holds_uncertain_machine_filings_least_confident_first),
        cmocka_unit_test(test_queue_never_shows_or_counts_records_above_clearance),
        cmocka_unit_test(test_staff_may_not_review_or_read_what_the_classifier_learnt),
        cmocka_unit_test(test_accepting_takes_a_record_out_of_the_queue_once_and_is_logged),
        cmocka_unit_test(test_a_decision_on_a_superseded_version_is_refused),
        cmocka_unit_test(test_a_category_edited_by_hand_leaves_the_queue),
        cmocka_unit_test(test_a_stale_generation_never_overwrites_a_newer_lesson),
        cmocka_unit_test(test_threshold_defaults_to_point_six_and_is_kept),
        cmocka_unit_test(test_a_correction_is_a_new_version_and_the_next_filing_follows_it),
        cmocka_unit_test(test_a_correction_to_personnel_raises_the_level_and_needs_a_fitting_type),
        cmocka_unit_test(test_archive_rules_are_kept_and_reach_the_filer),
        cmocka_unit_test(test_a_correction_writes_its_version_only_with_its_decision_and_lesson),
        cmocka_unit_test(test_destroying_a_reviewed_record_forgets_its_lesson_and_keeps_the_others),
        cmocka_unit_test(test_the_review_is_one_transaction_and_leaves_foreign_keys_on),
        cmocka_unit_test(test_migration_19_keeps_every_review_item),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
