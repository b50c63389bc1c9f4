/* test_classify.c — classification: held-out accuracy bounds, learning from corrections,
 * script independence, rules, serialisation round trips, evaluation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <opencc/opencc.h>
#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/text_folder.h"
#include "ingest/classify.h"
#include "ingest/classify_eval.h"
#include "ingest/starter_corpus.h"

#define HELDOUT "ingest/corpus/heldout.jsonl"
#define TRAIN "ingest/corpus/train.jsonl"

static int setup_starter(void **state)
{
    dg_classifier *c = NULL;
    dg_error err;
    if (dg_classifier_new_starter(&c, &err) != DG_OK) {
        print_error("starter: %s\n", err.msg);
        return -1;
    }
    *state = c;
    return 0;
}

static int teardown_classifier(void **state)
{
    dg_classifier_free(*state);
    return 0;
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    long n = ftell(f);
    assert_true(n >= 0);
    rewind(f);
    char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return buf;
}

/* Calls fn for every record of a JSON Lines file. */
static void for_each_record(const char *path, void (*fn)(json_t *, void *), void *arg)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, f) > 0) {
        json_t *obj = json_loads(line, 0, NULL);
        assert_non_null(obj);
        fn(obj, arg);
        json_decref(obj);
    }
    free(line);
    fclose(f);
}

static dg_classification classify(dg_classifier *c, const char *text)
{
    dg_classification r;
    dg_error err;
    assert_int_equal(dg_classifier_classify(c, text, strlen(text), &r, &err), DG_OK);
    return r;
}

/* ---- held-out bounds -------------------------------------------------------------------- */

/* Held-out (never trained on): category accuracy >= 93%, every category's recall >= 88%
 * (issue 16's floor; personnel was 82.9% before the personnel subject words of
 * classify.c, 100% after; accuracy 95.8% before, 99.4% after), no wrong category above 0.8
 * confidence, dates and document numbers extracted exactly in >= 95% of the records
 * carrying them. */
static void test_heldout_accuracy_at_least_93_and_every_recall_at_least_88_percent(void **state)
{
    dg_eval_report r;
    dg_error err;
    assert_int_equal(dg_classify_eval_file(*state, HELDOUT, DG_CLASSIFY_REVIEW_THRESHOLD, &r,
                                           &err),
                     DG_OK);
    char *table = NULL;
    assert_int_equal(dg_eval_report_format(&r, &table, &err), DG_OK);
    print_message("%s", table);
    free(table);
    assert_true(r.records >= 100);
    assert_true(r.accuracy >= 0.93);
    for (int k = 0; k < DG_CATEGORY_COUNT; k++) {
        assert_true(r.support[k] >= 20);
        if (r.recall[k] < 0.88)
            fail_msg("recall of %s is %.2f", dg_class_name((dg_class)k), r.recall[k]);
    }
    assert_int_equal(r.wrong_above_08, 0);
    assert_true(r.date_accuracy >= 0.95 && r.dated >= 100);
    assert_true(r.number_accuracy >= 0.95 && r.numbered >= 40);
}

/*
 * The subject decides over the form (issue 16), on a held-out set written before the change
 * and never tuned on (tests/fixtures/classify/heldout_subject.jsonl: finance regulations and
 * minutes, personnel notices, ... in mainland, Taiwan, Hong Kong and English records).
 * Measured before the change: 93.0%, finance recall 83.3%, a budget regulation filed
 * administrative at 0.99. Bounds: accuracy >= 93%, every recall >= 88%, and confidence
 * means what it says: no record whose category is wrong has confidence above 0.8.
 */
#define HELDOUT_SUBJECT "tests/fixtures/classify/heldout_subject.jsonl"

static void test_subject_decides_over_form_and_confident_means_right(void **state)
{
    dg_eval_report r;
    dg_error err;
    assert_int_equal(dg_classify_eval_file(*state, HELDOUT_SUBJECT, DG_CLASSIFY_REVIEW_THRESHOLD,
                                           &r, &err),
                     DG_OK);
    char *table = NULL;
    assert_int_equal(dg_eval_report_format(&r, &table, &err), DG_OK);
    print_message("%s", table);
    assert_non_null(strstr(table, "calibration"));
    free(table);
    assert_true(r.records >= 50);
    assert_true(r.accuracy >= 0.93);
    for (int k = 0; k < DG_CATEGORY_COUNT; k++)
        if (r.recall[k] < 0.88)
            fail_msg("recall of %s is %.2f", dg_class_name((dg_class)k), r.recall[k]);
    assert_int_equal(r.wrong_above_08, 0);
    size_t banded = 0;
    for (int b = 0; b < DG_EVAL_BANDS; b++)
        banded += r.band_records[b];
    assert_int_equal(banded, r.records);
}

/*
 * Personnel records of every region and language, and records of other categories that
 * name staff (a staff car park, a staff meeting, a staffroom purchase, a training budget):
 * tests/fixtures/classify/heldout_personnel.jsonl, 26 records written before the personnel
 * subject words were added to classify.c and never tuned on. Measured before: 24/26,
 * personnel recall 16/18; after: 25/26, 17/18. Bounds: accuracy >= 90%, personnel recall
 * >= 88%, no other category's record filed as personnel, nothing wrong above 0.8.
 */
#define HELDOUT_PERSONNEL "tests/fixtures/classify/heldout_personnel.jsonl"

static void test_personnel_records_are_personnel_and_staff_words_alone_are_not(void **state)
{
    dg_eval_report r;
    dg_error err;
    assert_int_equal(dg_classify_eval_file(*state, HELDOUT_PERSONNEL,
                                           DG_CLASSIFY_REVIEW_THRESHOLD, &r, &err),
                     DG_OK);
    char *table = NULL;
    assert_int_equal(dg_eval_report_format(&r, &table, &err), DG_OK);
    print_message("%s", table);
    free(table);
    assert_true(r.records >= 25);
    assert_true(r.accuracy >= 0.90);
    if (r.recall[DG_CATEGORY_PERSONNEL] < 0.88)
        fail_msg("personnel recall is %.2f", r.recall[DG_CATEGORY_PERSONNEL]);
    if (r.precision[DG_CATEGORY_PERSONNEL] < 1.0)
        fail_msg("personnel precision is %.2f", r.precision[DG_CATEGORY_PERSONNEL]);
    assert_int_equal(r.wrong_above_08, 0);
}

static void test_personnel_subject_words_decide_in_both_scripts_and_english(void **state)
{
    static const char *const texts[] = {
        "關於本校113學年度教師考績結果之公告\n本校教師考績業經考核委員會審議完竣，結果如附件。",
        "关于本校教师考绩结果的公告\n本校教师考绩业经考核委员会审议完毕，结果见附件。",
        "某某國民小學 人事令\n核定張○○自113年8月1日起敘薪245薪級。",
        "關於辦理本校代理教師甄選之公告\n本校擬甄選代理教師2名，報名日期詳見簡章。",
        "关于做好2024年中小学教师职称评聘工作的通知\n各学校：现将职称评聘有关事项通知如下。",
        "Notice to staff\nThe governors have approved the appointment of a new deputy head, who "
        "will join us after the summer. An induction programme is being arranged.",
    };
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
        dg_classification r = classify(*state, texts[i]);
        if (r.category != DG_CATEGORY_PERSONNEL)
            fail_msg("\"%s\": %s, not personnel", texts[i], dg_class_name(r.category));
    }
}

static void test_form_word_does_not_outweigh_the_subject(void **state)
{
    /* minutes of a meeting about recruitment are personnel: 会议纪要 and 出席 name the form */
    dg_classification r = classify(*state, "人事工作会议纪要\n时间：2024年3月1日\n出席：校长、人事处长\n"
                                           "会议研究了教师招聘和新教师入职安排，决定录用三名教师。");
    assert_int_equal(r.category, DG_CATEGORY_PERSONNEL);
    /* and a regulation about the office itself stays administrative, typed as one */
    r = classify(*state, "公务接待管理规定\n第一条 为规范公务接待，制定本规定。\n第二条 接待实行审批。");
    assert_int_equal(r.category, DG_CATEGORY_ADMINISTRATIVE);
    assert_int_equal(r.type, DG_TYPE_REGULATION);
}

static void test_starter_model_fits_its_own_training_corpus(void **state)
{
    dg_eval_report r;
    assert_int_equal(dg_classify_eval_file(*state, TRAIN, 0.6, &r, NULL), DG_OK);
    assert_true(r.accuracy >= 0.98);
    assert_true(r.type_accuracy >= 0.95);
}

/* ---- learning --------------------------------------------------------------------------- */

static void test_one_correction_changes_the_class_of_a_similar_new_record(void **state)
{
    dg_classifier *c = *state;
    /* Library loans are not in the starter corpus; this archive files them as asset
     * transfers (books lent out of the library's stock). */
    const char *corrected = "图书借阅登记\n读者：王老师\n借阅图书：《红楼梦》《三国演义》共2册\n"
                            "借出日期：3月1日，应还日期：4月1日\n图书管理员签字";
    const char *similar = "图书借阅登记\n读者：李同学\n借阅图书：《西游记》1册\n"
                          "借出日期：5月8日，应还日期：6月8日\n管理员签字";
    dg_classification before = classify(c, similar);
    dg_class target = before.category == DG_CATEGORY_ASSET ? DG_CATEGORY_ACTIVITY
                                                              : DG_CATEGORY_ASSET;
    dg_record_type type = target == DG_CATEGORY_ASSET ? DG_TYPE_ASSET_TRANSFER : DG_TYPE_PHOTO;
    dg_error err;
    assert_int_equal(dg_classifier_learn(c, corrected, strlen(corrected), target, type, &err),
                     DG_OK);
    dg_classification after = classify(c, similar);
    assert_int_equal(after.category, target);
    assert_int_equal(after.type, type);
}

static void test_learning_rejects_a_type_outside_its_category(void **state)
{
    dg_error err;
    assert_int_equal(dg_classifier_learn(*state, "x", 1, DG_CATEGORY_FINANCE, DG_TYPE_MINUTES,
                                         &err),
                     DG_ERR_USAGE);
    assert_non_null(strstr(err.msg, "minutes"));
}

/* ---- scripts ---------------------------------------------------------------------------- */

typedef struct script_check {
    dg_classifier *c;
    opencc_t s2t;
    size_t compared, same;
} script_check;

static void compare_scripts(json_t *obj, void *arg)
{
    script_check *sc = arg;
    const char *lang = json_string_value(json_object_get(obj, "lang"));
    if (!lang || strcmp(lang, "cn") != 0)
        return;
    const char *text = json_string_value(json_object_get(obj, "text"));
    char *trad = opencc_convert_utf8(sc->s2t, text, strlen(text));
    assert_non_null(trad);
    assert_true(strcmp(trad, text) != 0);
    dg_classification a = classify(sc->c, text), b = classify(sc->c, trad);
    opencc_convert_utf8_free(trad);
    sc->compared++;
    sc->same += a.category == b.category && a.type == b.type;
}

/* Every simplified held-out record, converted to traditional script, gets the same
 * category and type. */
static void test_traditional_and_simplified_versions_classify_alike(void **state)
{
    script_check sc = {*state, opencc_open("s2t.json"), 0, 0};
    assert_true(sc.s2t != (opencc_t)-1);
    for_each_record(HELDOUT, compare_scripts, &sc);
    opencc_close(sc.s2t);
    print_message("same class in both scripts: %zu/%zu\n", sc.same, sc.compared);
    assert_true(sc.compared >= 50);
    assert_int_equal(sc.same, sc.compared);
}

/* ---- serialisation ---------------------------------------------------------------------- */

typedef struct twin_check {
    dg_classifier *a, *b;
    size_t n;
} twin_check;

static void compare_twins(json_t *obj, void *arg)
{
    twin_check *tc = arg;
    const char *text = json_string_value(json_object_get(obj, "text"));
    dg_classification x = classify(tc->a, text), y = classify(tc->b, text);
    assert_int_equal(x.category, y.category);
    assert_int_equal(x.type, y.type);
    assert_true(x.confidence == y.confidence);
    tc->n++;
}

static void test_saved_and_loaded_model_predicts_identically(void **state)
{
    dg_classifier *c = *state, *copy = NULL;
    dg_error err;
    char *blob = NULL;
    size_t len = 0;
    assert_int_equal(dg_classifier_save_model(c, &blob, &len, &err), DG_OK);
    assert_int_equal(strlen(blob), len);
    assert_int_equal(dg_classifier_new(&copy, &err), DG_OK);
    assert_int_equal(dg_classifier_load_model(copy, blob, len, &err), DG_OK);
    assert_int_equal(dg_classifier_example_count(copy), dg_classifier_example_count(c));
    twin_check tc = {c, copy, 0};
    for_each_record(HELDOUT, compare_twins, &tc);
    assert_true(tc.n >= 100);
    /* Saving the loaded copy gives the same bytes: the format is deterministic. */
    char *again = NULL;
    size_t again_len = 0;
    assert_int_equal(dg_classifier_save_model(copy, &again, &again_len, &err), DG_OK);
    assert_int_equal(again_len, len);
    assert_memory_equal(again, blob, len);
    free(again);
    free(blob);
    dg_classifier_free(copy);
}

static void test_a_corrupt_model_is_refused_and_the_old_one_kept(void **state)
{
    dg_classifier *c = *state;
    dg_error err;
    const char *text = "差旅费报销单\n报销人：张伟\n交通费300元，住宿费400元";
    dg_classification before = classify(c, text);
    const char *bad = "dangan-nb 1\nclasses 29\nexamples 1\ndocs 1\nfeatures 1\n";
    assert_int_equal(dg_classifier_load_model(c, bad, strlen(bad), &err), DG_ERR_CORRUPT);
    assert_non_null(strstr(err.msg, "line"));
    char *blob = NULL;
    size_t len = 0;
    assert_int_equal(dg_classifier_save_model(c, &blob, &len, &err), DG_OK);
    assert_int_equal(dg_classifier_load_model(c, blob, len - 5, &err), DG_ERR_CORRUPT);
    free(blob);
    dg_classification after = classify(c, text);
    assert_int_equal(after.category, before.category);
    assert_true(after.confidence == before.confidence);
}

/* ---- rules ------------------------------------------------------------------------------ */

static void test_untrained_classifier_decides_by_rules_in_three_languages(void **state)
{
    (void)state;
    dg_classifier *c = NULL;
    assert_int_equal(dg_classifier_new(&c, NULL), DG_OK);
    assert_int_equal(classify(c, "差旅费报销单 附发票3张").category, DG_CATEGORY_FINANCE);
    assert_int_equal(classify(c, "差旅費報銷單 附發票3張").category, DG_CATEGORY_FINANCE);
    assert_int_equal(classify(c, "Expense claim: please reimburse my taxi fares").type,
                     DG_TYPE_VOUCHER);
    assert_int_equal(classify(c, "固定資產盤點表").type, DG_TYPE_STOCKTAKING);
    dg_classification none = classify(c, "");
    assert_true(none.confidence < DG_CLASSIFY_REVIEW_THRESHOLD);
    dg_classifier_free(c);
}

static void test_english_rules_match_whole_words_only(void **state)
{
    (void)state;
    dg_classifier *c = NULL;
    assert_int_equal(dg_classifier_new(&c, NULL), DG_OK);
    dg_classification r = classify(c, "Thank you for the feedback on the essay.");
    for (size_t i = 0; i < r.n_rule_hits; i++)
        assert_string_not_equal(r.rule_hits[i].rule.pattern, "fee");
    r = classify(c, "The fee is due. Reimbursement forms are attached.");
    int fee = 0, reimburse = 0;
    for (size_t i = 0; i < r.n_rule_hits; i++) {
        fee |= strcmp(r.rule_hits[i].rule.pattern, "fee") == 0;
        reimburse |= strcmp(r.rule_hits[i].rule.pattern, "reimburs*") == 0;
    }
    assert_true(fee && reimburse);
    dg_classifier_free(c);
}

static void test_archive_rules_can_be_added_listed_removed_and_saved(void **state)
{
    dg_classifier *c = *state;
    dg_error err;
    const char *text = "校車接送登記\n車牌號：浙A12345\n司機：王師傅";
    size_t n = dg_classifier_rule_count(c);
    assert_int_equal(dg_classifier_add_rule(c, "校車接送", DG_CATEGORY_ASSET,
                                            DG_TYPE_ASSET_TRANSFER, 20, &err),
                     DG_OK);
    assert_int_equal(dg_classifier_rule_count(c), n + 1);
    /* Stored folded: the traditional pattern is kept as simplified. */
    assert_string_equal(dg_classifier_rule(c, n)->pattern, "校车接送");
    assert_int_equal(classify(c, text).type, DG_TYPE_ASSET_TRANSFER);

    char *saved = NULL;
    assert_int_equal(dg_classifier_save_rules(c, &saved, &err), DG_OK);
    assert_non_null(strstr(saved, "20\tasset\ttransfer\t校车接送\n"));

    assert_int_equal(dg_classifier_remove_rule(c, "校车接送", DG_CATEGORY_ASSET,
                                               DG_TYPE_ASSET_TRANSFER, &err),
                     DG_OK);
    assert_int_equal(dg_classifier_remove_rule(c, "校车接送", DG_CATEGORY_ASSET,
                                               DG_TYPE_ASSET_TRANSFER, &err),
                     DG_ERR_NOT_FOUND);
    assert_int_equal(dg_classifier_rule_count(c), n);

    assert_int_equal(dg_classifier_load_rules(c, saved, strlen(saved), &err), DG_OK);
    assert_int_equal(dg_classifier_rule_count(c), n + 1);
    assert_int_equal(classify(c, text).type, DG_TYPE_ASSET_TRANSFER);
    free(saved);

    const char *bad = "dangan-rules 1\n1\tfinance\tvoucher\t报销\n2\tnowhere\t-\tx\n";
    assert_int_equal(dg_classifier_load_rules(c, bad, strlen(bad), &err), DG_ERR_CORRUPT);
    assert_non_null(strstr(err.msg, "line 3"));
    assert_int_equal(dg_classifier_rule_count(c), n + 1); /* old rules kept */
    assert_int_equal(dg_classifier_add_rule(c, "x", DG_CATEGORY_FINANCE, DG_TYPE_PHOTO, 1, &err),
                     DG_ERR_USAGE);
    assert_int_equal(dg_classifier_add_rule(c, "a\tb", DG_CATEGORY_FINANCE, DG_TYPE_UNKNOWN, 1,
                                            &err),
                     DG_ERR_USAGE);
    assert_int_equal(dg_classifier_reset_rules(c, &err), DG_OK);
    assert_int_equal(dg_classifier_rule_count(c), n);
}

/* ---- explanation, taxonomy, evaluation -------------------------------------------------- */

static void test_explanation_names_fired_rules_and_weighty_features(void **state)
{
    const char *text = "校长办公会会议纪要\n会议讨论了2025年度部门预算草案，同意财务处提出的预算方案。";
    dg_classification r = classify(*state, text);
    assert_int_equal(r.category, DG_CATEGORY_ADMINISTRATIVE); /* minutes about a budget */
    assert_int_equal(r.type, DG_TYPE_MINUTES);
    char *explanation = NULL;
    assert_int_equal(dg_classification_explain(&r, &explanation, NULL), DG_OK);
    assert_non_null(strstr(explanation, "\"会议纪要\" -> XZ/minutes"));
    assert_non_null(strstr(explanation, "\"预算\" -> CW/budget"));
    assert_true(r.n_top_features[DG_CATEGORY_ADMINISTRATIVE] > 0);
    assert_non_null(strstr(explanation, r.top_features[DG_CATEGORY_ADMINISTRATIVE][0].feature));
    free(explanation);
}

static void test_taxonomy_names_codes_and_labels_round_trip(void **state)
{
    (void)state;
    for (int k = 0; k < DG_CATEGORY_COUNT; k++) {
        assert_int_equal(dg_category_from_string(dg_class_name(k)), k);
        assert_int_equal(dg_category_from_string(dg_class_code(k)), k);
        assert_int_equal(dg_category_from_string(dg_class_label(k)), k);
    }
    for (int t = 0; t < DG_TYPE_COUNT; t++) {
        assert_int_equal(dg_record_type_from_string(dg_record_type_name(t)), t);
        assert_int_equal(dg_record_type_from_string(dg_record_type_label(t)), t);
        assert_true(dg_record_type_category(t) >= 0);
    }
    assert_int_equal(dg_category_from_string("cw"), DG_CATEGORY_FINANCE);
    assert_int_equal(dg_category_from_string("nothing"), DG_CATEGORY_UNKNOWN);
    assert_null(dg_record_type_name(DG_TYPE_COUNT));
}

static void test_embedded_corpus_is_the_training_file(void **state)
{
    (void)state;
    size_t len = 0;
    char *train = read_file(TRAIN, &len);
    assert_int_equal(len, dg_starter_corpus_len);
    assert_memory_equal(train, dg_starter_corpus, len);
    free(train);
}

static void test_evaluation_names_the_bad_line(void **state)
{
    dg_eval_report r;
    dg_error err;
    const char *data = "{\"text\":\"报销单\",\"category\":\"CW\"}\n\n{\"text\":\"x\"}\n";
    assert_int_equal(dg_classify_eval_jsonl(*state, data, strlen(data), "mine.jsonl", 0.6, &r,
                                            &err),
                     DG_ERR_BAD_INPUT);
    assert_non_null(strstr(err.msg, "mine.jsonl: line 3"));
    assert_int_equal(dg_classify_eval_file(*state, "/nonexistent.jsonl", 0.6, &r, &err),
                     DG_ERR_IO);
}

/* 10,000 records are evaluated; the time is printed, not asserted (tests hold no timing:
 * a busy machine must not fail them; `classify --eval` reports its own time). */
static void test_ten_thousand_records_are_evaluated(void **state)
{
    size_t len = 0;
    char *one = read_file(HELDOUT, &len);
    size_t lines = 0;
    for (size_t i = 0; i < len; i++)
        lines += one[i] == '\n';
    size_t copies = (10000 + lines - 1) / lines;
    char *many = malloc(len * copies);
    assert_non_null(many);
    for (size_t i = 0; i < copies; i++)
        memcpy(many + i * len, one, len);
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    dg_eval_report r;
    assert_int_equal(dg_classify_eval_jsonl(*state, many, len * copies, "many", 0.6, &r, NULL),
                     DG_OK);
    clock_gettime(CLOCK_MONOTONIC, &b);
    double seconds = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
    print_message("%zu records in %.2f s\n", r.records, seconds);
    assert_true(r.records >= 10000);
    free(many);
    free(one);
}


/* ---- the fold handed on to the index ---------------------------------------------------- */

typedef struct fold_check {
    dg_classifier *c;
    dg_text_folder *folder;
    size_t n, differ; /* records; those whose fold is not the text itself */
} fold_check;

static void compare_fold(json_t *obj, void *arg)
{
    fold_check *fc = arg;
    const char *text = json_string_value(json_object_get(obj, "text"));
    dg_classification plain = classify(fc->c, text), kept;
    char *as_index = NULL, *expected = NULL;
    dg_error err;
    assert_int_equal(dg_classifier_classify_folding(fc->c, text, strlen(text), &kept, &as_index,
                                                    &err),
                     DG_OK);
    assert_int_equal(dg_text_folder_fold(fc->folder, text, strlen(text), &expected, &err), DG_OK);
    assert_string_equal(as_index, expected); /* the index's fold: not lowercased */
    fc->differ += strcmp(as_index, text) != 0;
    assert_int_equal(plain.category, kept.category);
    assert_int_equal(plain.type, kept.type);
    assert_true(plain.confidence == kept.confidence);
    free(as_index);
    free(expected);
    fc->n++;
}

/* Classifying with the fold kept (ingest hands it to the index) decides exactly as without,
 * and the fold is the index's own (dg_text_folder_fold), capitals and all. */
static void test_the_kept_fold_is_the_index_fold_and_changes_nothing(void **state)
{
    fold_check fc = {*state, NULL, 0, 0};
    dg_error err;
    assert_int_equal(dg_text_folder_open(&fc.folder, &err), DG_OK);
    for_each_record(HELDOUT, compare_fold, &fc);
    const char *mixed = "Budget 檔案借閱 ＡＢＣ";
    char *as_index = NULL;
    dg_classification cls;
    assert_int_equal(dg_classifier_classify_folding(fc.c, mixed, strlen(mixed), &cls, &as_index,
                                                    &err),
                     DG_OK);
    assert_string_equal(as_index, "Budget 档案借阅 ABC");
    free(as_index);
    dg_text_folder_close(fc.folder);
    assert_true(fc.n >= 50);
    assert_true(fc.differ > 0);
}

/* prepare + decide, in two threads at once on one classifier, answer as classify does. */
typedef struct decider {
    const dg_classifier *c;
    char **folded;
    dg_classification *out;
    size_t n;
} decider;

static void *decide_all(void *arg)
{
    decider *d = arg;
    for (size_t i = 0; i < d->n; i++) {
        dg_error err;
        if (dg_classifier_decide(d->c, d->folded[i], &d->out[i], &err) != DG_OK)
            d->out[i].type = (dg_record_type)-2; /* fails the comparison below */
    }
    return NULL;
}

typedef struct text_list {
    char **text;
    size_t n, cap;
} text_list;

static void collect_text(json_t *rec, void *arg)
{
    text_list *l = arg;
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 256;
        l->text = realloc(l->text, l->cap * sizeof *l->text);
        assert_non_null(l->text);
    }
    l->text[l->n++] = strdup(json_string_value(json_object_get(rec, "text")));
}

static void test_decide_in_threads_answers_as_classify_without_explaining(void **state)
{
    dg_classifier *c = *state;
    text_list l = {0};
    for_each_record(HELDOUT, collect_text, &l);
    for_each_record(TRAIN, collect_text, &l);
    char **folded = calloc(l.n, sizeof *folded);
    dg_classification *halves[2] = {calloc(l.n, sizeof **halves), calloc(l.n, sizeof **halves)};
    assert_true(folded && halves[0] && halves[1]);
    for (size_t i = 0; i < l.n; i++) {
        dg_error err;
        char *as_index = NULL;
        assert_int_equal(dg_classifier_prepare(c, l.text[i], strlen(l.text[i]), &folded[i],
                                               &as_index, &err), DG_OK);
        free(as_index);
    }
    pthread_t threads[2];
    decider d[2] = {{c, folded, halves[0], l.n}, {c, folded, halves[1], l.n}};
    for (int t = 0; t < 2; t++)
        assert_int_equal(pthread_create(&threads[t], NULL, decide_all, &d[t]), 0);
    for (int t = 0; t < 2; t++)
        pthread_join(threads[t], NULL);
    for (size_t i = 0; i < l.n; i++) {
        dg_classification whole = classify(c, l.text[i]);
        for (int t = 0; t < 2; t++) {
            const dg_classification *half = &halves[t][i];
            assert_int_equal(half->category, whole.category);
            assert_int_equal(half->type, whole.type);
            assert_true(half->confidence == whole.confidence);
            assert_true(half->category_confidence == whole.category_confidence);
            assert_true(half->type_confidence == whole.type_confidence);
            assert_memory_equal(half->category_probability, whole.category_probability,
                                sizeof whole.category_probability);
            assert_int_equal(half->n_rule_hits, whole.n_rule_hits);
            assert_int_equal(half->n_features, whole.n_features);
            assert_int_equal(half->n_known_features, whole.n_known_features);
            assert_int_equal(half->n_type_features, 0);
            for (int k = 0; k < DG_CATEGORY_COUNT; k++)
                assert_int_equal(half->n_top_features[k], 0);
        }
        free(folded[i]);
        free(l.text[i]);
    }
    assert_true(l.n > 500);
    free(folded);
    free(halves[0]);
    free(halves[1]);
    free(l.text);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup_starter, teardown_classifier)
    const struct CMUnitTest tests[] = {
        T(test_heldout_accuracy_at_least_93_and_every_recall_at_least_88_percent),
        T(test_personnel_records_are_personnel_and_staff_words_alone_are_not),
        T(test_personnel_subject_words_decide_in_both_scripts_and_english),
        T(test_subject_decides_over_form_and_confident_means_right),
        T(test_form_word_does_not_outweigh_the_subject),
        T(test_starter_model_fits_its_own_training_corpus),
        T(test_one_correction_changes_the_class_of_a_similar_new_record),
        T(test_learning_rejects_a_type_outside_its_category),
        T(test_traditional_and_simplified_versions_classify_alike),
        T(test_the_kept_fold_is_the_index_fold_and_changes_nothing),
        T(test_saved_and_loaded_model_predicts_identically),
        T(test_a_corrupt_model_is_refused_and_the_old_one_kept),
        cmocka_unit_test(test_untrained_classifier_decides_by_rules_in_three_languages),
        cmocka_unit_test(test_english_rules_match_whole_words_only),
        T(test_archive_rules_can_be_added_listed_removed_and_saved),
        T(test_explanation_names_fired_rules_and_weighty_features),
        T(test_decide_in_threads_answers_as_classify_without_explaining),
        cmocka_unit_test(test_taxonomy_names_codes_and_labels_round_trip),
        cmocka_unit_test(test_embedded_corpus_is_the_training_file),
        T(test_evaluation_names_the_bad_line),
        T(test_ten_thousand_records_are_evaluated),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
