/*
 * classify.c — the record-type table, keyword rules and a naive Bayes model over folded text.
 *
 * Layout: the taxonomy (the record types; the categories are engine/vocab.h's), feature
 * extraction (a "bag" of distinct features per record: Han characters as base/chars.h
 * defines them), the model (a hash table from feature text to integer counts per class,
 * with a lazily rebuilt cache of log-probabilities), rules, scoring, serialisation,
 * explanation. Classes 0..4 are the categories, 5..28 the record types (5 + type), so one
 * count array per feature serves both models.
 */
#include "classify.h"

#include <ctype.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/chars.h"
#include "../base/utf8.h"
#include "../engine/text_folder.h"
#include "starter_corpus.h"

/* ---- the taxonomy ---------------------------------------------------------------------- */

static const struct {
    const char *name, *label;
    dg_class category;
} record_types[DG_TYPE_COUNT] = {
    {"regulation", "规章制度", DG_CATEGORY_ADMINISTRATIVE},
    {"minutes", "会议纪要", DG_CATEGORY_ADMINISTRATIVE},
    {"notice", "通知", DG_CATEGORY_ADMINISTRATIVE},
    {"report", "工作报告", DG_CATEGORY_ADMINISTRATIVE},
    {"plan", "工作计划", DG_CATEGORY_ADMINISTRATIVE},
    {"hiring", "招聘录用", DG_CATEGORY_PERSONNEL},
    {"departure", "离职调动", DG_CATEGORY_PERSONNEL},
    {"training", "培训", DG_CATEGORY_PERSONNEL},
    {"appraisal", "考核", DG_CATEGORY_PERSONNEL},
    {"leave", "请假", DG_CATEGORY_PERSONNEL},
    {"budget", "预算决算", DG_CATEGORY_FINANCE},
    {"voucher", "报销凭证", DG_CATEGORY_FINANCE},
    {"contract", "合同", DG_CATEGORY_FINANCE},
    {"fee", "收费", DG_CATEGORY_FINANCE},
    {"financial_report", "财务报告", DG_CATEGORY_FINANCE},
    {"purchase", "采购验收", DG_CATEGORY_ASSET},
    {"transfer", "资产调拨", DG_CATEGORY_ASSET},
    {"disposal", "报废处置", DG_CATEGORY_ASSET},
    {"stocktaking", "资产盘点", DG_CATEGORY_ASSET},
    {"event_plan", "活动方案", DG_CATEGORY_ACTIVITY},
    {"summary", "活动总结", DG_CATEGORY_ACTIVITY},
    {"ceremony", "典礼仪式", DG_CATEGORY_ACTIVITY},
    {"competition", "竞赛", DG_CATEGORY_ACTIVITY},
    {"photo", "照片", DG_CATEGORY_ACTIVITY},
};

/* The categories' names are the engine's vocabulary (engine/vocab.h), whose order
 * dg_class follows; only the record types, which the engine does not know, are here. */
const char *dg_class_name(dg_class c)
{
    return c >= 0 && c < DG_CATEGORY_COUNT ? dg_category_key((dg_category)c) : NULL;
}

const char *dg_class_code(dg_class c)
{
    return c >= 0 && c < DG_CATEGORY_COUNT ? dg_category_code((dg_category)c) : NULL;
}

const char *dg_class_label(dg_class c)
{
    return c >= 0 && c < DG_CATEGORY_COUNT ? dg_category_label((dg_category)c) : NULL;
}

/* Stricter than dg_category_parse(), which also takes the names users type (财务, hr):
 * rules and training data name a category by its key, code or label. */
dg_class dg_category_from_string(const char *s)
{
    if (!s)
        return DG_CATEGORY_UNKNOWN;
    for (int c = 0; c < DG_CATEGORY_COUNT; c++)
        if (strcasecmp(s, dg_class_name((dg_class)c)) == 0 ||
            strcasecmp(s, dg_class_code((dg_class)c)) == 0 ||
            strcmp(s, dg_class_label((dg_class)c)) == 0)
            return (dg_class)c;
    return DG_CATEGORY_UNKNOWN;
}

const char *dg_record_type_name(dg_record_type t)
{
    return t >= 0 && t < DG_TYPE_COUNT ? record_types[t].name : NULL;
}

const char *dg_record_type_label(dg_record_type t)
{
    return t >= 0 && t < DG_TYPE_COUNT ? record_types[t].label : NULL;
}

dg_class dg_record_type_category(dg_record_type t)
{
    return t >= 0 && t < DG_TYPE_COUNT ? record_types[t].category : DG_CATEGORY_UNKNOWN;
}

dg_record_type dg_record_type_from_string(const char *s)
{
    if (!s)
        return DG_TYPE_UNKNOWN;
    for (int t = 0; t < DG_TYPE_COUNT; t++)
        if (strcasecmp(s, record_types[t].name) == 0 || strcmp(s, record_types[t].label) == 0)
            return (dg_record_type)t;
    return DG_TYPE_UNKNOWN;
}

/* ---- the default rules ----------------------------------------------------------------- */

/*
 * Keywords that name a kind of record. Weights: 2 for a term that nearly decides the
 * class (会议纪要, reimbursement), 1 for a strong hint, 0.5 or less for a term that also
 * appears in other classes' records (通知 heads notices about anything). Traditional
 * Chinese needs no entries: text and patterns are folded to simplified first.
 */
#define XZ DG_CATEGORY_ADMINISTRATIVE
#define RS DG_CATEGORY_PERSONNEL
#define CW DG_CATEGORY_FINANCE
#define ZC DG_CATEGORY_ASSET
#define HD DG_CATEGORY_ACTIVITY
static const struct {
    const char *pattern;
    dg_class category;
    dg_record_type type;
    double weight;
} default_rules[] = {
    {"管理办法", XZ, DG_TYPE_REGULATION, 1.5}, {"实施细则", XZ, DG_TYPE_REGULATION, 1.5},
    {"规章制度", XZ, DG_TYPE_REGULATION, 1.5}, {"章程", XZ, DG_TYPE_REGULATION, 1},
    {"本办法", XZ, DG_TYPE_REGULATION, 1},     {"本制度", XZ, DG_TYPE_REGULATION, 1},
    {"本规定", XZ, DG_TYPE_REGULATION, 1},     {"regulation*", XZ, DG_TYPE_REGULATION, 1.5},
    {"by-law*", XZ, DG_TYPE_REGULATION, 1.5},  {"code of conduct", XZ, DG_TYPE_REGULATION, 1.5},
    {"会议纪要", XZ, DG_TYPE_MINUTES, 2},      {"会议记录", XZ, DG_TYPE_MINUTES, 1.5},
    {"办公会", XZ, DG_TYPE_MINUTES, 1},        {"列席", XZ, DG_TYPE_MINUTES, 1},
    {"出席", XZ, DG_TYPE_MINUTES, 0.5},        {"minutes", XZ, DG_TYPE_MINUTES, 2},
    {"attendees", XZ, DG_TYPE_MINUTES, 1},     {"apologies", XZ, DG_TYPE_MINUTES, 1},
    {"特此通知", XZ, DG_TYPE_NOTICE, 0.5},     {"通知", XZ, DG_TYPE_NOTICE, 0.3},
    {"notice", XZ, DG_TYPE_NOTICE, 0.5},       {"工作报告", XZ, DG_TYPE_REPORT, 1.5},
    {"请示", XZ, DG_TYPE_REPORT, 1},           {"工作总结", XZ, DG_TYPE_REPORT, 1},
    {"work report", XZ, DG_TYPE_REPORT, 1.5},  {"工作计划", XZ, DG_TYPE_PLAN, 2},
    {"工作要点", XZ, DG_TYPE_PLAN, 1.5},       {"work plan", XZ, DG_TYPE_PLAN, 2},
    {"招聘", RS, DG_TYPE_HIRING, 2},           {"录用", RS, DG_TYPE_HIRING, 2},
    {"聘用", RS, DG_TYPE_HIRING, 1.5},         {"入职", RS, DG_TYPE_HIRING, 1.5},
    {"应聘", RS, DG_TYPE_HIRING, 1.5},         {"试用期", RS, DG_TYPE_HIRING, 1},
    {"recruit*", RS, DG_TYPE_HIRING, 2},       {"hiring", RS, DG_TYPE_HIRING, 2},
    {"onboarding", RS, DG_TYPE_HIRING, 2},     {"offer of employment", RS, DG_TYPE_HIRING, 2},
    {"离职", RS, DG_TYPE_DEPARTURE, 2},        {"辞职", RS, DG_TYPE_DEPARTURE, 2},
    {"调动", RS, DG_TYPE_DEPARTURE, 1.5},      {"调离", RS, DG_TYPE_DEPARTURE, 1.5},
    {"解除劳动", RS, DG_TYPE_DEPARTURE, 2},    {"退休", RS, DG_TYPE_DEPARTURE, 1.5},
    {"resign*", RS, DG_TYPE_DEPARTURE, 2},     {"retire*", RS, DG_TYPE_DEPARTURE, 1.5},
    {"staff transfer", RS, DG_TYPE_DEPARTURE, 2}, {"departure", RS, DG_TYPE_DEPARTURE, 1},
    {"培训", RS, DG_TYPE_TRAINING, 2},         {"研修", RS, DG_TYPE_TRAINING, 1.5},
    {"进修", RS, DG_TYPE_TRAINING, 1.5},       {"继续教育", RS, DG_TYPE_TRAINING, 1.5},
    {"training", RS, DG_TYPE_TRAINING, 2},     {"professional development", RS, DG_TYPE_TRAINING, 2},
    {"考核", RS, DG_TYPE_APPRAISAL, 2},        {"绩效", RS, DG_TYPE_APPRAISAL, 1.5},
    {"述职", RS, DG_TYPE_APPRAISAL, 1},        {"appraisal", RS, DG_TYPE_APPRAISAL, 2},
    {"performance review", RS, DG_TYPE_APPRAISAL, 2},
    {"请假", RS, DG_TYPE_LEAVE, 2},            {"病假", RS, DG_TYPE_LEAVE, 2},
    {"事假", RS, DG_TYPE_LEAVE, 2},            {"产假", RS, DG_TYPE_LEAVE, 2},
    {"销假", RS, DG_TYPE_LEAVE, 1.5},          {"休假", RS, DG_TYPE_LEAVE, 1},
    {"sick leave", RS, DG_TYPE_LEAVE, 2},      {"annual leave", RS, DG_TYPE_LEAVE, 2},
    {"maternity leave", RS, DG_TYPE_LEAVE, 2}, {"leave of absence", RS, DG_TYPE_LEAVE, 2},
    {"leave request", RS, DG_TYPE_LEAVE, 2},   {"leave application", RS, DG_TYPE_LEAVE, 2},
    /* The subject words of personnel records as mainland, Taiwan and Hong Kong offices
     * write them (traditional text is folded to simplified before matching: 敘薪 -> 叙薪,
     * 甄選 -> 甄选, 考績 -> 考绩) and as English schools do. They name who is appointed,
     * moved, assessed, trained or on leave, which is what the record is about, whatever its
     * form (a 通知, a 函, a 公告, a memo). */
    {"聘任", RS, DG_TYPE_HIRING, 2},           {"任免", RS, DG_TYPE_HIRING, 2},
    {"任命", RS, DG_TYPE_HIRING, 1.5},         {"续聘", RS, DG_TYPE_HIRING, 1.5},
    {"聘书", RS, DG_TYPE_HIRING, 2},           {"聘约", RS, DG_TYPE_HIRING, 1.5},
    {"甄选", RS, DG_TYPE_HIRING, 2},           {"代理教师", RS, DG_TYPE_HIRING, 2},
    {"代课教师", RS, DG_TYPE_HIRING, 1.5},     {"教师资格", RS, DG_TYPE_HIRING, 1.5},
    {"叙薪", RS, DG_TYPE_HIRING, 1.5},         {"劳动合同", RS, DG_TYPE_HIRING, 2.5},
    {"聘用合同", RS, DG_TYPE_HIRING, 2.5},     {"人事令", RS, DG_TYPE_UNKNOWN, 2.5},
    {"人事", RS, DG_TYPE_UNKNOWN, 1},          {"岗位设置", RS, DG_TYPE_UNKNOWN, 1},
    {"薪级", RS, DG_TYPE_UNKNOWN, 1},          {"师资", RS, DG_TYPE_UNKNOWN, 1},
    {"免去", RS, DG_TYPE_DEPARTURE, 1},        {"解聘", RS, DG_TYPE_DEPARTURE, 2},
    {"辞退", RS, DG_TYPE_DEPARTURE, 2},        {"商调", RS, DG_TYPE_DEPARTURE, 2},
    {"借调", RS, DG_TYPE_DEPARTURE, 1.5},      {"资遣", RS, DG_TYPE_DEPARTURE, 2},
    {"职称", RS, DG_TYPE_APPRAISAL, 2},        {"评聘", RS, DG_TYPE_APPRAISAL, 1.5},
    {"考绩", RS, DG_TYPE_APPRAISAL, 2},        {"晋升", RS, DG_TYPE_APPRAISAL, 1},
    {"专业发展", RS, DG_TYPE_TRAINING, 1.5},   {"研习", RS, DG_TYPE_TRAINING, 1.5},
    {"岗前", RS, DG_TYPE_TRAINING, 1},         {"留职停薪", RS, DG_TYPE_LEAVE, 2},
    {"婚假", RS, DG_TYPE_LEAVE, 2},            {"丧假", RS, DG_TYPE_LEAVE, 2},
    {"公假", RS, DG_TYPE_LEAVE, 1.5},          {"假别", RS, DG_TYPE_LEAVE, 1.5},
    {"育婴", RS, DG_TYPE_LEAVE, 1},            {"职务代理人", RS, DG_TYPE_LEAVE, 1},
    {"personnel", RS, DG_TYPE_UNKNOWN, 1.5},   {"human resources", RS, DG_TYPE_UNKNOWN, 1.5},
    {"staffing", RS, DG_TYPE_UNKNOWN, 1.5},    {"vacanc*", RS, DG_TYPE_HIRING, 2},
    {"job advert*", RS, DG_TYPE_HIRING, 2},    {"job description", RS, DG_TYPE_HIRING, 1.5},
    {"appoint*", RS, DG_TYPE_HIRING, 1.5},     {"shortlist*", RS, DG_TYPE_HIRING, 1.5},
    {"applicant*", RS, DG_TYPE_HIRING, 1},     {"interview*", RS, DG_TYPE_HIRING, 1},
    {"curriculum vitae", RS, DG_TYPE_HIRING, 1.5}, {"induction", RS, DG_TYPE_HIRING, 1},
    {"probation*", RS, DG_TYPE_HIRING, 1},     {"teaching qualification", RS, DG_TYPE_HIRING, 1.5},
    {"pay scale", RS, DG_TYPE_HIRING, 1.5},    {"salary scale", RS, DG_TYPE_HIRING, 1.5},
    {"salary", RS, DG_TYPE_UNKNOWN, 0.5},      {"employment contract", RS, DG_TYPE_HIRING, 3},
    {"contract of employment", RS, DG_TYPE_HIRING, 3},
    {"pension*", RS, DG_TYPE_DEPARTURE, 1.5},  {"farewell", RS, DG_TYPE_DEPARTURE, 1},
    {"redundan*", RS, DG_TYPE_DEPARTURE, 2},   {"secondment", RS, DG_TYPE_DEPARTURE, 1.5},
    {"termination of employment", RS, DG_TYPE_DEPARTURE, 2},
    {"years of service", RS, DG_TYPE_DEPARTURE, 1},
    {"appraise*", RS, DG_TYPE_APPRAISAL, 1},   {"teacher evaluation", RS, DG_TYPE_APPRAISAL, 2},
    {"staff evaluation", RS, DG_TYPE_APPRAISAL, 2}, {"lesson observation*", RS, DG_TYPE_APPRAISAL, 2},
    {"classroom observation*", RS, DG_TYPE_APPRAISAL, 2},
    {"performance management", RS, DG_TYPE_APPRAISAL, 2},
    {"in-service", RS, DG_TYPE_TRAINING, 1.5}, {"inset", RS, DG_TYPE_TRAINING, 1.5},
    {"cpd", RS, DG_TYPE_TRAINING, 1.5},        {"staff development", RS, DG_TYPE_TRAINING, 2},
    {"sabbatical", RS, DG_TYPE_LEAVE, 2},      {"parental leave", RS, DG_TYPE_LEAVE, 2},
    {"compassionate leave", RS, DG_TYPE_LEAVE, 2},
    {"预算", CW, DG_TYPE_BUDGET, 1.5},         {"决算", CW, DG_TYPE_BUDGET, 2},
    {"budget*", CW, DG_TYPE_BUDGET, 1.5},      {"final accounts", CW, DG_TYPE_BUDGET, 2},
    {"报销", CW, DG_TYPE_VOUCHER, 2},          {"记账凭证", CW, DG_TYPE_VOUCHER, 2},
    {"凭证", CW, DG_TYPE_VOUCHER, 1},          {"发票", CW, DG_TYPE_VOUCHER, 1},
    {"差旅费", CW, DG_TYPE_VOUCHER, 1.5},      {"reimburs*", CW, DG_TYPE_VOUCHER, 2},
    {"voucher", CW, DG_TYPE_VOUCHER, 2},       {"expense claim", CW, DG_TYPE_VOUCHER, 2},
    {"invoice*", CW, DG_TYPE_VOUCHER, 1},      {"receipt*", CW, DG_TYPE_VOUCHER, 1},
    {"合同", CW, DG_TYPE_CONTRACT, 2},         {"协议书", CW, DG_TYPE_CONTRACT, 1.5},
    {"甲方", CW, DG_TYPE_CONTRACT, 1.5},       {"乙方", CW, DG_TYPE_CONTRACT, 1.5},
    {"违约", CW, DG_TYPE_CONTRACT, 1.5},       {"contract*", CW, DG_TYPE_CONTRACT, 2},
    {"party a", CW, DG_TYPE_CONTRACT, 1.5},    {"party b", CW, DG_TYPE_CONTRACT, 1.5},
    {"hereinafter", CW, DG_TYPE_CONTRACT, 1},  {"收费", CW, DG_TYPE_FEE, 2},
    {"学费", CW, DG_TYPE_FEE, 2},              {"缴费", CW, DG_TYPE_FEE, 1.5},
    {"退费", CW, DG_TYPE_FEE, 1.5},            {"住宿费", CW, DG_TYPE_FEE, 1.5},
    {"tuition", CW, DG_TYPE_FEE, 2},           {"fee", CW, DG_TYPE_FEE, 1.5},
    {"fees", CW, DG_TYPE_FEE, 1.5},            {"财务报告", CW, DG_TYPE_FINANCIAL_REPORT, 2},
    {"财务报表", CW, DG_TYPE_FINANCIAL_REPORT, 2}, {"资产负债表", CW, DG_TYPE_FINANCIAL_REPORT, 2},
    {"收支情况", CW, DG_TYPE_FINANCIAL_REPORT, 1}, {"financial statement*", CW, DG_TYPE_FINANCIAL_REPORT, 2},
    {"financial report", CW, DG_TYPE_FINANCIAL_REPORT, 2},
    {"balance sheet", CW, DG_TYPE_FINANCIAL_REPORT, 2},
    {"采购", ZC, DG_TYPE_PURCHASE, 2},         {"验收", ZC, DG_TYPE_PURCHASE, 1.5},
    {"招标", ZC, DG_TYPE_PURCHASE, 1.5},       {"询价", ZC, DG_TYPE_PURCHASE, 1.5},
    {"procurement", ZC, DG_TYPE_PURCHASE, 2},  {"purchas*", ZC, DG_TYPE_PURCHASE, 1.5},
    {"tender*", ZC, DG_TYPE_PURCHASE, 1.5},    {"acceptance", ZC, DG_TYPE_PURCHASE, 1},
    {"调拨", ZC, DG_TYPE_ASSET_TRANSFER, 2},   {"资产移交", ZC, DG_TYPE_ASSET_TRANSFER, 2},
    {"移交", ZC, DG_TYPE_ASSET_TRANSFER, 1},   {"划转", ZC, DG_TYPE_ASSET_TRANSFER, 1.5},
    {"asset transfer", ZC, DG_TYPE_ASSET_TRANSFER, 2}, {"handover", ZC, DG_TYPE_ASSET_TRANSFER, 1},
    {"报废", ZC, DG_TYPE_DISPOSAL, 2},         {"处置", ZC, DG_TYPE_DISPOSAL, 1.5},
    {"残值", ZC, DG_TYPE_DISPOSAL, 1.5},       {"disposal", ZC, DG_TYPE_DISPOSAL, 2},
    {"scrap*", ZC, DG_TYPE_DISPOSAL, 2},       {"write-off", ZC, DG_TYPE_DISPOSAL, 1.5},
    {"decommission*", ZC, DG_TYPE_DISPOSAL, 1.5}, {"盘点", ZC, DG_TYPE_STOCKTAKING, 2},
    {"清查", ZC, DG_TYPE_STOCKTAKING, 1.5},    {"盘盈", ZC, DG_TYPE_STOCKTAKING, 1.5},
    {"盘亏", ZC, DG_TYPE_STOCKTAKING, 1.5},    {"账实", ZC, DG_TYPE_STOCKTAKING, 1.5},
    {"stocktak*", ZC, DG_TYPE_STOCKTAKING, 2}, {"stock-tak*", ZC, DG_TYPE_STOCKTAKING, 2},
    {"inventory check", ZC, DG_TYPE_STOCKTAKING, 2}, {"physical count", ZC, DG_TYPE_STOCKTAKING, 1.5},
    {"固定资产", ZC, DG_TYPE_UNKNOWN, 1},      {"fixed asset*", ZC, DG_TYPE_UNKNOWN, 1},
    {"活动方案", HD, DG_TYPE_EVENT_PLAN, 2},   {"活动安排", HD, DG_TYPE_EVENT_PLAN, 1},
    {"event plan", HD, DG_TYPE_EVENT_PLAN, 2}, {"活动总结", HD, DG_TYPE_SUMMARY, 2},
    {"圆满结束", HD, DG_TYPE_SUMMARY, 1},      {"event summary", HD, DG_TYPE_SUMMARY, 2},
    {"典礼", HD, DG_TYPE_CEREMONY, 2},         {"仪式", HD, DG_TYPE_CEREMONY, 2},
    {"升旗", HD, DG_TYPE_CEREMONY, 1.5},       {"ceremony", HD, DG_TYPE_CEREMONY, 2},
    {"commencement", HD, DG_TYPE_CEREMONY, 1.5}, {"比赛", HD, DG_TYPE_COMPETITION, 2},
    {"竞赛", HD, DG_TYPE_COMPETITION, 2},      {"大赛", HD, DG_TYPE_COMPETITION, 1.5},
    {"一等奖", HD, DG_TYPE_COMPETITION, 1},    {"competition*", HD, DG_TYPE_COMPETITION, 2},
    {"contest*", HD, DG_TYPE_COMPETITION, 2},  {"tournament*", HD, DG_TYPE_COMPETITION, 2},
    {"照片", HD, DG_TYPE_PHOTO, 2},            {"合影", HD, DG_TYPE_PHOTO, 2},
    {"摄影", HD, DG_TYPE_PHOTO, 1.5},          {"photo*", HD, DG_TYPE_PHOTO, 2},
    {"caption*", HD, DG_TYPE_PHOTO, 1.5},      {"活动", HD, DG_TYPE_UNKNOWN, 0.5},
};
#undef XZ
#undef RS
#undef CW
#undef ZC
#undef HD

/* ---- the classifier -------------------------------------------------------------------- */

#define N_CLASSES (DG_CATEGORY_COUNT + DG_TYPE_COUNT)
#define TYPE_CLASS(t) (DG_CATEGORY_COUNT + (int)(t))

/* Additive smoothing of naive Bayes; 0.5 suits binary features on a small corpus. */
#define SMOOTHING 0.5
/* Likelihoods are divided by max(1, known features / TEMPER_FEATURES). */
#define TEMPER_FEATURES 7.0
/* A rule hit in the first lines (the title) counts this many times. */
#define HEADING_FACTOR 2.0
#define HEADING_LINES 3
#define HEADING_BYTES 300

typedef struct feature {
    char *text;
    uint32_t count[N_CLASSES];
} feature;

struct dg_classifier {
    dg_text_folder *folder; /* folds as dg_fold does, a third of its time */

    dg_rule *rules;
    size_t n_rules, cap_rules;

    feature *features;
    size_t n_features, cap_features;
    uint32_t *slots; /* open addressing: 0 = empty, else feature index + 1 */
    size_t n_slots;  /* a power of two, kept at most half full */
    uint64_t docs[N_CLASSES];
    uint64_t tokens[N_CLASSES];
    uint64_t examples;

    /* Derived from the counts; rebuilt before classifying whenever dirty. */
    int dirty;
    double *log_prob; /* n_features * N_CLASSES */
    double log_prior[N_CLASSES];
};

static uint64_t hash_text(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static long feature_find(const dg_classifier *c, const char *text)
{
    if (!c->n_slots)
        return -1;
    size_t mask = c->n_slots - 1;
    for (size_t i = hash_text(text) & mask;; i = (i + 1) & mask) {
        uint32_t s = c->slots[i];
        if (!s)
            return -1;
        if (strcmp(c->features[s - 1].text, text) == 0)
            return (long)s - 1;
    }
}

static int slots_grow(dg_classifier *c)
{
    size_t n = c->n_slots ? c->n_slots * 2 : 1024;
    uint32_t *slots = calloc(n, sizeof *slots);
    if (!slots)
        return 0;
    for (size_t f = 0; f < c->n_features; f++) {
        size_t i = hash_text(c->features[f].text) & (n - 1);
        while (slots[i])
            i = (i + 1) & (n - 1);
        slots[i] = (uint32_t)f + 1;
    }
    free(c->slots);
    c->slots = slots;
    c->n_slots = n;
    return 1;
}

/* Returns the index of text's feature, adding it with zero counts; -1 when out of memory. */
static long feature_intern(dg_classifier *c, const char *text)
{
    long found = feature_find(c, text);
    if (found >= 0)
        return found;
    if ((c->n_features + 1) * 2 > c->n_slots && !slots_grow(c))
        return -1;
    if (c->n_features == c->cap_features) {
        size_t cap = c->cap_features ? c->cap_features * 2 : 1024;
        feature *grown = realloc(c->features, cap * sizeof *grown);
        if (!grown)
            return -1;
        c->features = grown;
        c->cap_features = cap;
    }
    feature *f = &c->features[c->n_features];
    memset(f, 0, sizeof *f);
    f->text = strdup(text);
    if (!f->text)
        return -1;
    size_t mask = c->n_slots - 1, i = hash_text(text) & mask;
    while (c->slots[i])
        i = (i + 1) & mask;
    c->slots[i] = (uint32_t)c->n_features + 1;
    return (long)c->n_features++;
}

static void model_clear(dg_classifier *c)
{
    for (size_t f = 0; f < c->n_features; f++)
        free(c->features[f].text);
    free(c->features);
    free(c->slots);
    free(c->log_prob);
    c->features = NULL;
    c->slots = NULL;
    c->log_prob = NULL;
    c->n_features = c->cap_features = c->n_slots = 0;
    memset(c->docs, 0, sizeof c->docs);
    memset(c->tokens, 0, sizeof c->tokens);
    c->examples = 0;
    c->dirty = 1;
}

/* ---- features -------------------------------------------------------------------------- */

/* The distinct features of one record, as NUL-separated strings in one buffer. */
typedef struct bag {
    char *buf;
    size_t len, cap;
    size_t *starts;
    size_t n, cap_starts;
    uint32_t *set; /* open addressing over starts: index + 1 */
    size_t n_set;
} bag;

static void bag_free(bag *b)
{
    free(b->buf);
    free(b->starts);
    free(b->set);
}

static int bag_grow_set(bag *b)
{
    size_t n = b->n_set ? b->n_set * 2 : 256;
    uint32_t *set = calloc(n, sizeof *set);
    if (!set)
        return 0;
    for (size_t k = 0; k < b->n; k++) {
        size_t i = hash_text(b->buf + b->starts[k]) & (n - 1);
        while (set[i])
            i = (i + 1) & (n - 1);
        set[i] = (uint32_t)k + 1;
    }
    free(b->set);
    b->set = set;
    b->n_set = n;
    return 1;
}

/* Adds the feature s[0..len) unless present; 0 when out of memory. */
static int bag_add(bag *b, const char *s, size_t len)
{
    char key[DG_CLASSIFY_FEATURE_MAX];
    if (len >= sizeof key)
        len = sizeof key - 1;
    memcpy(key, s, len);
    key[len] = '\0';
    if ((b->n + 1) * 2 > b->n_set && !bag_grow_set(b))
        return 0;
    size_t mask = b->n_set - 1, i = hash_text(key) & mask;
    for (; b->set[i]; i = (i + 1) & mask)
        if (strcmp(b->buf + b->starts[b->set[i] - 1], key) == 0)
            return 1;
    if (b->len + len + 1 > b->cap) {
        size_t cap = (b->cap + len + 1) * 2;
        char *grown = realloc(b->buf, cap);
        if (!grown)
            return 0;
        b->buf = grown;
        b->cap = cap;
    }
    if (b->n == b->cap_starts) {
        size_t cap = b->cap_starts ? b->cap_starts * 2 : 128;
        size_t *grown = realloc(b->starts, cap * sizeof *grown);
        if (!grown)
            return 0;
        b->starts = grown;
        b->cap_starts = cap;
    }
    memcpy(b->buf + b->len, key, len + 1);
    b->starts[b->n] = b->len;
    b->set[i] = (uint32_t)b->n + 1;
    b->len += len + 1;
    b->n++;
    return 1;
}

static const char *bag_at(const bag *b, size_t k)
{
    return b->buf + b->starts[k];
}

/* 1 when the character at s (len > 0 bytes) is a Han character; *used gets its length
 * (a byte that is no UTF-8 counts as one character, and no Han one). */
static int han_at(const char *s, size_t len, size_t *used)
{
    uint32_t cp;
    *used = dg_utf8_next(s, len, &cp);
    return dg_is_han(cp);
}

static int is_stopword(const char *w, size_t n)
{
    static const char *const stop[] = {
        "the", "and", "of", "to", "in", "for", "on", "at", "is", "be", "by", "with", "this",
        "that", "are", "was", "will", "from", "as", "it", "or", "an", "all", "our", "we",
        "has", "have", "not", "no", "its", "his", "her", "their", "they", "he", "she", "you",
        "your", "which", "been", "were", "per", "any", "shall", "may", "am", "pm",
        /* Dates and memo headers are on every kind of record: they carry no class. */
        "january", "february", "march", "april", "june", "july", "august", "september",
        "october", "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug",
        "sep", "sept", "oct", "nov", "dec", "date", "subject", "memorandum", "memo", NULL};
    for (size_t i = 0; stop[i]; i++)
        if (strlen(stop[i]) == n && memcmp(stop[i], w, n) == 0)
            return 1;
    return 0;
}

static int ends_with(const char *w, size_t n, const char *suffix)
{
    size_t k = strlen(suffix);
    return n >= k && memcmp(w + n - k, suffix, k) == 0;
}

/* A light suffix stripper: enough that reimburse, reimbursed and reimbursement meet. */
static size_t stem(char *w, size_t n)
{
    if (n > 4 && ends_with(w, n, "ies")) {
        w[n - 3] = 'y';
        n -= 2;
    } else if (n > 5 && ends_with(w, n, "ing")) {
        n -= 3;
    } else if (n > 4 && ends_with(w, n, "ed")) {
        n -= 2;
    } else if (n > 3 && w[n - 1] == 's' && w[n - 2] != 's' && w[n - 2] != 'u' && w[n - 2] != 'i') {
        n -= 1;
    }
    if (n > 7 && ends_with(w, n, "ment"))
        n -= 4;
    if (n > 4 && w[n - 1] == 'e')
        n -= 1;
    return n;
}

/* Unigrams and bigrams of CJK runs, stemmed words of Latin runs, of folded lowercase text. */
static int bag_fill(bag *b, const char *text, size_t len)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t i = 0, prev_han = (size_t)-1;
    while (i < len) {
        size_t used;
        if (han_at(text + i, len - i, &used)) {
            if (!bag_add(b, text + i, used))
                return 0;
            if (prev_han != (size_t)-1 && !bag_add(b, text + prev_han, i + used - prev_han))
                return 0;
            prev_han = i;
            i += used;
            continue;
        }
        prev_han = (size_t)-1;
        if (s[i] >= 'a' && s[i] <= 'z') {
            char word[DG_CLASSIFY_FEATURE_MAX];
            size_t n = 0;
            while (i < len && ((s[i] >= 'a' && s[i] <= 'z') || s[i] == '-')) {
                if (n < sizeof word - 1)
                    word[n++] = (char)s[i];
                i++;
            }
            while (n && word[n - 1] == '-')
                n--;
            if (n >= 2 && !is_stopword(word, n) && !bag_add(b, word, stem(word, n)))
                return 0;
            continue;
        }
        i += used;
    }
    return 1;
}

/* Folds (traditional -> simplified, full-width -> ASCII) and lowercases ASCII; *as_index
 * (when asked for) gets a copy of the fold before lowercasing, which is the index's. */
static dg_status fold_text_keeping(dg_classifier *c, const char *text, size_t len, char **out,
                                   char **as_index, dg_error *err)
{
    dg_status st = dg_text_folder_fold(c->folder, text, len, out, err);
    if (st != DG_OK)
        return st;
    if (as_index && !(*as_index = strdup(*out))) {
        free(*out);
        *out = NULL;
        return dg_error_set(err, DG_ERR_NOMEM, "classifier: out of memory");
    }
    for (char *p = *out; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    return DG_OK;
}

static dg_status fold_text(dg_classifier *c, const char *text, size_t len, char **out,
                           dg_error *err)
{
    return fold_text_keeping(c, text, len, out, NULL, err);
}

/* ---- construction ---------------------------------------------------------------------- */

dg_status dg_classifier_new(dg_classifier **out, dg_error *err)
{
    *out = NULL;
    dg_classifier *c = calloc(1, sizeof *c);
    if (!c)
        return dg_error_set(err, DG_ERR_NOMEM, "classifier: out of memory");
    c->dirty = 1;
    dg_status st = dg_text_folder_open(&c->folder, err);
    if (st == DG_OK)
        st = dg_classifier_reset_rules(c, err);
    if (st != DG_OK) {
        dg_classifier_free(c);
        return st;
    }
    *out = c;
    return DG_OK;
}

dg_status dg_classifier_new_starter(dg_classifier **out, dg_error *err)
{
    dg_status st = dg_classifier_new(out, err);
    if (st != DG_OK)
        return st;
    st = dg_classifier_train_jsonl(*out, (const char *)dg_starter_corpus, dg_starter_corpus_len,
                                   "starter corpus", err);
    if (st != DG_OK) {
        dg_classifier_free(*out);
        *out = NULL;
    }
    return st;
}

void dg_classifier_free(dg_classifier *c)
{
    if (!c)
        return;
    model_clear(c);
    free(c->rules);
    dg_text_folder_close(c->folder);
    free(c);
}

/* ---- training -------------------------------------------------------------------------- */

static dg_status check_labels(dg_class category, dg_record_type type, dg_error *err)
{
    if (category < 0 || category >= DG_CATEGORY_COUNT)
        return dg_error_set(err, DG_ERR_USAGE, "classifier: no such category (%d)", category);
    if (type != DG_TYPE_UNKNOWN && dg_record_type_category(type) != category)
        return dg_error_set(err, DG_ERR_USAGE, "classifier: type %s is not in category %s",
                            dg_record_type_name(type) ? dg_record_type_name(type) : "?",
                            dg_class_name(category));
    return DG_OK;
}

static dg_status train_weighted(dg_classifier *c, const char *text, size_t len,
                                dg_class category, dg_record_type type, uint32_t weight,
                                dg_error *err)
{
    dg_status st = check_labels(category, type, err);
    if (st != DG_OK)
        return st;
    char *folded = NULL;
    if ((st = fold_text(c, text, len, &folded, err)) != DG_OK)
        return st;
    bag b = {0};
    int ok = bag_fill(&b, folded, strlen(folded));
    free(folded);
    int type_class = type == DG_TYPE_UNKNOWN ? -1 : TYPE_CLASS(type);
    for (size_t k = 0; ok && k < b.n; k++) {
        long f = feature_intern(c, bag_at(&b, k));
        if (f < 0) {
            ok = 0;
            break;
        }
        c->features[f].count[category] += weight;
        c->tokens[category] += weight;
        if (type_class >= 0) {
            c->features[f].count[type_class] += weight;
            c->tokens[type_class] += weight;
        }
    }
    bag_free(&b);
    if (!ok)
        return dg_error_set(err, DG_ERR_NOMEM, "classifier: out of memory while training");
    c->docs[category] += weight;
    if (type_class >= 0)
        c->docs[type_class] += weight;
    c->examples += weight;
    c->dirty = 1;
    return DG_OK;
}

dg_status dg_classifier_train(dg_classifier *c, const char *text, size_t len,
                              dg_class category, dg_record_type type, dg_error *err)
{
    return train_weighted(c, text, len, category, type, 1, err);
}

dg_status dg_classifier_learn(dg_classifier *c, const char *text, size_t len,
                              dg_class category, dg_record_type type, dg_error *err)
{
    return train_weighted(c, text, len, category, type, DG_CLASSIFY_LEARN_WEIGHT, err);
}

size_t dg_classifier_example_count(const dg_classifier *c)
{
    return (size_t)c->examples;
}

static dg_status train_json_line(dg_classifier *c, const char *line, size_t len, dg_error *err)
{
    json_error_t jerr;
    json_t *obj = json_loadb(line, len, 0, &jerr);
    if (!obj)
        return dg_error_set(err, DG_ERR_BAD_INPUT, "bad JSON: %s", jerr.text);
    const char *text = json_string_value(json_object_get(obj, "text"));
    const char *cat = json_string_value(json_object_get(obj, "category"));
    const char *type = json_string_value(json_object_get(obj, "type"));
    dg_status st = DG_OK;
    dg_class category = dg_category_from_string(cat);
    dg_record_type rtype = dg_record_type_from_string(type);
    if (!text)
        st = dg_error_set(err, DG_ERR_BAD_INPUT, "no \"text\" string");
    else if (category == DG_CATEGORY_UNKNOWN)
        st = dg_error_set(err, DG_ERR_BAD_INPUT, "unknown category \"%s\"", cat ? cat : "");
    else if (type && rtype == DG_TYPE_UNKNOWN)
        st = dg_error_set(err, DG_ERR_BAD_INPUT, "unknown type \"%s\"", type);
    else
        st = dg_classifier_train(c, text, strlen(text), category, rtype, err);
    json_decref(obj);
    return st;
}

dg_status dg_classifier_train_jsonl(dg_classifier *c, const char *data, size_t len,
                                    const char *name, dg_error *err)
{
    size_t lineno = 0, i = 0;
    while (i < len) {
        size_t e = i;
        while (e < len && data[e] != '\n')
            e++;
        lineno++;
        size_t s = i;
        while (s < e && isspace((unsigned char)data[s]))
            s++;
        if (s < e) {
            dg_status st = train_json_line(c, data + s, e - s, err);
            if (st != DG_OK)
                return dg_error_prefix(err, "%s: line %zu: ", name ? name : "jsonl", lineno);
        }
        i = e + 1;
    }
    return DG_OK;
}

/* ---- scoring --------------------------------------------------------------------------- */

static dg_status refresh_cache(dg_classifier *c, dg_error *err)
{
    if (!c->dirty)
        return DG_OK;
    free(c->log_prob);
    c->log_prob = NULL;
    if (c->n_features) {
        c->log_prob = malloc(c->n_features * N_CLASSES * sizeof *c->log_prob);
        if (!c->log_prob)
            return dg_error_set(err, DG_ERR_NOMEM, "classifier: out of memory");
    }
    double vocab = (double)c->n_features;
    double denom[N_CLASSES];
    for (int k = 0; k < N_CLASSES; k++)
        denom[k] = log((double)c->tokens[k] + SMOOTHING * vocab + 1e-9);
    for (size_t f = 0; f < c->n_features; f++)
        for (int k = 0; k < N_CLASSES; k++)
            c->log_prob[f * N_CLASSES + k] =
                log((double)c->features[f].count[k] + SMOOTHING) - denom[k];
    /* Priors: categories over all examples, types within their category. */
    uint64_t total = 0;
    for (int k = 0; k < DG_CATEGORY_COUNT; k++)
        total += c->docs[k];
    for (int k = 0; k < DG_CATEGORY_COUNT; k++)
        c->log_prior[k] = log(((double)c->docs[k] + 1) / ((double)total + DG_CATEGORY_COUNT));
    for (int t = 0; t < DG_TYPE_COUNT; t++) {
        dg_class cat = record_types[t].category;
        uint64_t in_cat = 0;
        int n_types = 0;
        for (int u = 0; u < DG_TYPE_COUNT; u++)
            if (record_types[u].category == cat) {
                in_cat += c->docs[TYPE_CLASS(u)];
                n_types++;
            }
        c->log_prior[TYPE_CLASS(t)] =
            log(((double)c->docs[TYPE_CLASS(t)] + 1) / ((double)in_cat + n_types));
    }
    c->dirty = 0;
    return DG_OK;
}

static int pattern_is_word(const char *p)
{
    return (p[0] >= 'a' && p[0] <= 'z') || (p[0] >= '0' && p[0] <= '9');
}

static int is_word_byte(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
}

/* Finds the rule's first match; sets *in_heading if any match lies in the heading. */
static int rule_matches(const dg_rule *r, const char *text, size_t heading_end, int *in_heading)
{
    char pat[DG_RULE_PATTERN_MAX];
    size_t n = strlen(r->pattern);
    int prefix = n > 1 && r->pattern[n - 1] == '*';
    memcpy(pat, r->pattern, n + 1);
    if (prefix)
        pat[--n] = '\0';
    int word = pattern_is_word(pat), found = 0;
    *in_heading = 0;
    for (const char *p = strstr(text, pat); p; p = strstr(p + 1, pat)) {
        if (word && p > text && is_word_byte(p[-1]))
            continue;
        if (word && !prefix && is_word_byte(p[n]))
            continue;
        found = 1;
        if ((size_t)(p - text) < heading_end) {
            *in_heading = 1;
            break;
        }
    }
    return found;
}

/* The byte offset where the heading (the first few non-empty lines) ends. */
static size_t heading_end_of(const char *text)
{
    size_t i = 0, lines = 0;
    while (text[i] && lines < HEADING_LINES && i < HEADING_BYTES) {
        size_t s = i;
        while (text[i] && text[i] != '\n')
            i++;
        int blank = 1;
        for (size_t k = s; k < i; k++)
            blank &= isspace((unsigned char)text[k]) != 0;
        lines += !blank;
        if (text[i])
            i++;
    }
    return i < HEADING_BYTES ? i : HEADING_BYTES;
}

/*
 * A rule that names a form (a regulation, minutes, a notice, a report, a plan: the record
 * types of the administrative category) says what kind of document a record is, not what
 * it is about: every category issues regulations, notices and minutes (a budget regulation,
 * a recruitment notice, a finance committee's minutes). Its weight goes to the type in
 * full, and to the administrative category only at this share, so that the subject
 * (reimbursement, recruitment, stocktaking) decides the category.
 */
#define FORM_CATEGORY_SHARE 0.25

static int is_form_rule(const dg_rule *r)
{
    return r->category == DG_CATEGORY_ADMINISTRATIVE && r->type != DG_TYPE_UNKNOWN;
}

static void apply_rules(const dg_classifier *c, const char *folded, double *rule_score,
                        dg_classification *out)
{
    size_t heading_end = heading_end_of(folded);
    for (size_t i = 0; i < c->n_rules; i++) {
        const dg_rule *r = &c->rules[i];
        int in_heading;
        if (!rule_matches(r, folded, heading_end, &in_heading))
            continue;
        double w = r->weight * (in_heading ? HEADING_FACTOR : 1.0);
        rule_score[r->category] += is_form_rule(r) ? w * FORM_CATEGORY_SHARE : w;
        if (r->type != DG_TYPE_UNKNOWN)
            rule_score[TYPE_CLASS(r->type)] += w;
        if (out->n_rule_hits < DG_CLASSIFY_MAX_RULE_HITS)
            out->rule_hits[out->n_rule_hits++] = (dg_rule_hit){*r, in_heading};
    }
}

/* Softmax over scores[first..first+n) where use[k] is set; writes probabilities. */
static void softmax(const double *scores, const int *use, int n, double *prob)
{
    double max = -INFINITY, sum = 0;
    for (int k = 0; k < n; k++)
        if (use[k] && scores[k] > max)
            max = scores[k];
    for (int k = 0; k < n; k++) {
        prob[k] = use[k] ? exp(scores[k] - max) : 0;
        sum += prob[k];
    }
    for (int k = 0; k < n; k++)
        prob[k] = sum > 0 ? prob[k] / sum : 0;
}

typedef struct known {
    long *index; /* feature indexes of the record's known features */
    size_t n;
} known;

static void insert_top(dg_feature_weight *top, size_t *n, const char *text, double w)
{
    if (w <= 0)
        return;
    size_t pos = *n;
    while (pos > 0 && top[pos - 1].weight < w)
        pos--;
    if (pos >= DG_CLASSIFY_TOP_FEATURES)
        return;
    size_t last = *n < DG_CLASSIFY_TOP_FEATURES ? *n : DG_CLASSIFY_TOP_FEATURES - 1;
    memmove(&top[pos + 1], &top[pos], (last - pos) * sizeof *top);
    snprintf(top[pos].feature, sizeof top[pos].feature, "%s", text);
    top[pos].weight = w;
    if (*n < DG_CLASSIFY_TOP_FEATURES)
        (*n)++;
}

/* Each feature's log-likelihood ratio for class k against the mean of the others in set. */
static void explain_features(const dg_classifier *c, const known *kn, int k, const int *set,
                             int n_set, dg_feature_weight *top, size_t *n_top)
{
    *n_top = 0;
    for (size_t i = 0; i < kn->n; i++) {
        const double *lp = &c->log_prob[kn->index[i] * N_CLASSES];
        double others = 0;
        int n_others = 0;
        for (int j = 0; j < n_set; j++)
            if (set[j] != k) {
                others += lp[set[j]];
                n_others++;
            }
        double w = n_others ? lp[k] - others / n_others : lp[k];
        insert_top(top, n_top, c->features[kn->index[i]].text, w);
    }
}

static void score_classes(const dg_classifier *c, const known *kn, double temper, double *score)
{
    for (int k = 0; k < N_CLASSES; k++)
        score[k] = c->log_prior[k];
    for (size_t i = 0; i < kn->n; i++) {
        const double *lp = &c->log_prob[kn->index[i] * N_CLASSES];
        for (int k = 0; k < N_CLASSES; k++)
            score[k] += lp[k];
    }
    for (int k = 0; k < N_CLASSES; k++)
        score[k] /= temper;
}

static void decide(const dg_classifier *c, const known *kn, const double *score, int explain,
                   dg_classification *out)
{
    int use[N_CLASSES];
    double prob[N_CLASSES];
    for (int k = 0; k < DG_CATEGORY_COUNT; k++)
        use[k] = 1;
    softmax(score, use, DG_CATEGORY_COUNT, prob);
    int best = 0;
    for (int k = 0; k < DG_CATEGORY_COUNT; k++) {
        out->category_probability[k] = prob[k];
        if (prob[k] > prob[best])
            best = k;
    }
    out->category = (dg_class)best;
    out->category_confidence = prob[best];

    int set[DG_TYPE_COUNT] = {0}, n_set = 0;
    for (int t = 0; t < DG_TYPE_COUNT; t++) {
        use[t] = record_types[t].category == out->category;
        if (use[t])
            set[n_set++] = TYPE_CLASS(t);
    }
    softmax(score + DG_CATEGORY_COUNT, use, DG_TYPE_COUNT, prob);
    int best_type = set[0] - DG_CATEGORY_COUNT;
    for (int t = 0; t < DG_TYPE_COUNT; t++)
        if (use[t] && prob[t] > prob[best_type])
            best_type = t;
    out->type = (dg_record_type)best_type;
    out->type_confidence = prob[best_type];
    out->confidence = out->category_confidence * out->type_confidence;

    if (!c->log_prob || !explain)
        return;
    int cats[DG_CATEGORY_COUNT] = {0, 1, 2, 3, 4};
    for (int k = 0; k < DG_CATEGORY_COUNT; k++)
        explain_features(c, kn, k, cats, DG_CATEGORY_COUNT, out->top_features[k],
                         &out->n_top_features[k]);
    explain_features(c, kn, TYPE_CLASS(best_type), set, n_set, out->type_features,
                     &out->n_type_features);
}

dg_status dg_classifier_classify(dg_classifier *c, const char *text, size_t len,
                                 dg_classification *out, dg_error *err)
{
    return dg_classifier_classify_folding(c, text, len, out, NULL, err);
}

dg_status dg_classifier_prepare(dg_classifier *c, const char *text, size_t len, char **folded,
                                char **as_index, dg_error *err)
{
    *folded = NULL;
    if (as_index)
        *as_index = NULL;
    dg_status st = refresh_cache(c, err);
    if (st != DG_OK)
        return st;
    return fold_text_keeping(c, text ? text : "", text ? len : 0, folded, as_index, err);
}

/* What dg_classifier_decide does, with the explanation when explain. Reads c only. */
static dg_status decide_folded(const dg_classifier *c, const char *folded, int explain,
                               dg_classification *out, dg_error *err)
{
    memset(out, 0, sizeof *out);
    bag b = {0};
    known kn = {0};
    int ok = bag_fill(&b, folded, strlen(folded));
    if (ok && b.n && !(kn.index = malloc(b.n * sizeof *kn.index)))
        ok = 0;
    for (size_t k = 0; ok && k < b.n; k++) {
        long f = feature_find(c, bag_at(&b, k));
        if (f >= 0)
            kn.index[kn.n++] = f;
    }
    if (ok) {
        out->n_features = b.n;
        out->n_known_features = kn.n;
        double temper = (double)kn.n / TEMPER_FEATURES;
        double score[N_CLASSES] = {0}, rule_score[N_CLASSES] = {0};
        if (c->log_prob)
            score_classes(c, &kn, temper > 1 ? temper : 1, score);
        apply_rules(c, folded, rule_score, out);
        for (int k = 0; k < N_CLASSES; k++)
            score[k] += rule_score[k];
        decide(c, &kn, score, explain, out);
    }
    free(kn.index);
    bag_free(&b);
    if (!ok)
        return dg_error_set(err, DG_ERR_NOMEM, "classifier: out of memory");
    return DG_OK;
}

dg_status dg_classifier_decide(const dg_classifier *c, const char *folded,
                               dg_classification *out, dg_error *err)
{
    return decide_folded(c, folded, 0, out, err);
}

dg_status dg_classifier_classify_folding(dg_classifier *c, const char *text, size_t len,
                                         dg_classification *out, char **as_index, dg_error *err)
{
    memset(out, 0, sizeof *out);
    char *folded = NULL;
    dg_status st = dg_classifier_prepare(c, text, len, &folded, as_index, err);
    if (st == DG_OK)
        st = decide_folded(c, folded, 1, out, err);
    free(folded);
    if (st != DG_OK && as_index) {
        free(*as_index);
        *as_index = NULL;
    }
    return st;
}

/* ---- rules ----------------------------------------------------------------------------- */

static dg_status normalise_pattern(dg_classifier *c, const char *pattern, char *out,
                                   dg_error *err)
{
    if (!pattern || !*pattern)
        return dg_error_set(err, DG_ERR_USAGE, "classifier rule: empty pattern");
    if (strpbrk(pattern, "\t\n\r"))
        return dg_error_set(err, DG_ERR_USAGE, "classifier rule \"%s\": tab or newline", pattern);
    char *folded = NULL;
    dg_status st = fold_text(c, pattern, strlen(pattern), &folded, err);
    if (st != DG_OK)
        return st;
    size_t n = strlen(folded);
    if (n == 0 || n >= DG_RULE_PATTERN_MAX || (n == 1 && folded[0] == '*')) {
        free(folded);
        return dg_error_set(err, DG_ERR_USAGE, "classifier rule \"%s\": empty or longer than %d bytes",
                            pattern, DG_RULE_PATTERN_MAX - 1);
    }
    memcpy(out, folded, n + 1);
    free(folded);
    return DG_OK;
}

static long rule_find(const dg_classifier *c, const char *pattern, dg_class category,
                      dg_record_type type)
{
    for (size_t i = 0; i < c->n_rules; i++)
        if (c->rules[i].category == category && c->rules[i].type == type &&
            strcmp(c->rules[i].pattern, pattern) == 0)
            return (long)i;
    return -1;
}

dg_status dg_classifier_add_rule(dg_classifier *c, const char *pattern, dg_class category,
                                 dg_record_type type, double weight, dg_error *err)
{
    dg_status st = check_labels(category, type, err);
    if (st != DG_OK)
        return st;
    if (!isfinite(weight))
        return dg_error_set(err, DG_ERR_USAGE, "classifier rule: weight is not a number");
    char norm[DG_RULE_PATTERN_MAX];
    if ((st = normalise_pattern(c, pattern, norm, err)) != DG_OK)
        return st;
    long at = rule_find(c, norm, category, type);
    if (at >= 0) {
        c->rules[at].weight = weight;
        return DG_OK;
    }
    if (c->n_rules == c->cap_rules) {
        size_t cap = c->cap_rules ? c->cap_rules * 2 : 64;
        dg_rule *grown = realloc(c->rules, cap * sizeof *grown);
        if (!grown)
            return dg_error_set(err, DG_ERR_NOMEM, "classifier rules: out of memory");
        c->rules = grown;
        c->cap_rules = cap;
    }
    dg_rule *r = &c->rules[c->n_rules++];
    memcpy(r->pattern, norm, sizeof norm);
    r->category = category;
    r->type = type;
    r->weight = weight;
    return DG_OK;
}

dg_status dg_classifier_remove_rule(dg_classifier *c, const char *pattern,
                                    dg_class category, dg_record_type type, dg_error *err)
{
    char norm[DG_RULE_PATTERN_MAX];
    dg_status st = normalise_pattern(c, pattern, norm, err);
    if (st != DG_OK)
        return st;
    long at = rule_find(c, norm, category, type);
    if (at < 0)
        return dg_error_set(err, DG_ERR_NOT_FOUND, "classifier rule \"%s\" (%s/%s): no such rule",
                            pattern, dg_class_name(category) ? dg_class_name(category) : "?",
                            type == DG_TYPE_UNKNOWN ? "-" : dg_record_type_name(type));
    memmove(&c->rules[at], &c->rules[at + 1], (c->n_rules - (size_t)at - 1) * sizeof *c->rules);
    c->n_rules--;
    return DG_OK;
}

size_t dg_classifier_rule_count(const dg_classifier *c)
{
    return c->n_rules;
}

const dg_rule *dg_classifier_rule(const dg_classifier *c, size_t i)
{
    return i < c->n_rules ? &c->rules[i] : NULL;
}

void dg_classifier_clear_rules(dg_classifier *c)
{
    c->n_rules = 0;
}

dg_status dg_classifier_reset_rules(dg_classifier *c, dg_error *err)
{
    c->n_rules = 0;
    for (size_t i = 0; i < sizeof default_rules / sizeof default_rules[0]; i++) {
        dg_status st = dg_classifier_add_rule(c, default_rules[i].pattern, default_rules[i].category,
                                              default_rules[i].type, default_rules[i].weight, err);
        if (st != DG_OK)
            return dg_error_prefix(err, "default rules: ");
    }
    return DG_OK;
}

/* ---- serialisation: a growable string -------------------------------------------------- */

typedef struct strbuf {
    char *s;
    size_t len, cap;
    int failed;
} strbuf;

static void sb_printf(strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sb_printf(strbuf *b, const char *fmt, ...)
{
    if (b->failed)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->failed = 1;
            return;
        }
        if (b->s && b->len + (size_t)n < b->cap) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = (b->cap + (size_t)n + 1) * 2;
        char *grown = realloc(b->s, cap);
        if (!grown) {
            b->failed = 1;
            return;
        }
        b->s = grown;
        b->cap = cap;
    }
}

static dg_status sb_finish(strbuf *b, char **out, size_t *len, dg_error *err)
{
    if (b->failed || !b->s) {
        free(b->s);
        *out = NULL;
        return dg_error_set(err, DG_ERR_NOMEM, "classifier: out of memory while saving");
    }
    *out = b->s;
    if (len)
        *len = b->len;
    return DG_OK;
}

dg_status dg_classifier_save_model(const dg_classifier *c, char **out, size_t *len,
                                   dg_error *err)
{
    strbuf b = {0};
    sb_printf(&b, "dangan-nb 1\nclasses %d\nexamples %llu\ndocs", N_CLASSES,
              (unsigned long long)c->examples);
    for (int k = 0; k < N_CLASSES; k++)
        sb_printf(&b, " %llu", (unsigned long long)c->docs[k]);
    sb_printf(&b, "\nfeatures %zu\n", c->n_features);
    for (size_t f = 0; f < c->n_features; f++) {
        sb_printf(&b, "%s\t", c->features[f].text);
        const char *sep = "";
        for (int k = 0; k < N_CLASSES; k++)
            if (c->features[f].count[k]) {
                sb_printf(&b, "%s%d:%u", sep, k, c->features[f].count[k]);
                sep = " ";
            }
        sb_printf(&b, "\n");
    }
    sb_printf(&b, "end\n");
    return sb_finish(&b, out, len, err);
}

/* Cuts the next line out of data (in place copy into a malloc'd string). */
static char *next_line(const char *data, size_t len, size_t *pos)
{
    if (*pos >= len)
        return NULL;
    size_t e = *pos;
    while (e < len && data[e] != '\n')
        e++;
    char *line = strndup(data + *pos, e - *pos);
    *pos = e + 1;
    return line;
}

static int parse_u64(const char **p, unsigned long long *v)
{
    char *end;
    if (**p == '-')
        return 0;
    *v = strtoull(*p, &end, 10);
    if (end == *p)
        return 0;
    *p = end;
    return 1;
}

static int parse_feature_line(dg_classifier *c, char *line)
{
    char *tab = strchr(line, '\t');
    if (!tab || tab == line || tab - line >= DG_CLASSIFY_FEATURE_MAX)
        return 0;
    *tab = '\0';
    if (feature_find(c, line) >= 0)
        return 0;
    long f = feature_intern(c, line);
    if (f < 0)
        return 0;
    const char *p = tab + 1;
    while (*p) {
        unsigned long long k, n;
        if (!parse_u64(&p, &k) || *p++ != ':' || !parse_u64(&p, &n) || k >= N_CLASSES ||
            n > UINT32_MAX || (*p && *p++ != ' '))
            return 0;
        c->features[f].count[k] = (uint32_t)n;
        c->tokens[k] += n;
    }
    return 1;
}

static int parse_model_header(dg_classifier *c, const char *data, size_t len, size_t *pos,
                              size_t *n_features)
{
    char *l1 = next_line(data, len, pos), *l2 = next_line(data, len, pos);
    char *l3 = next_line(data, len, pos), *l4 = next_line(data, len, pos);
    char *l5 = next_line(data, len, pos);
    int classes = 0, ok = l1 && l2 && l3 && l4 && l5 && strcmp(l1, "dangan-nb 1") == 0 &&
                          sscanf(l2, "classes %d", &classes) == 1 && classes == N_CLASSES;
    unsigned long long examples = 0;
    ok = ok && sscanf(l3, "examples %llu", &examples) == 1 && strncmp(l4, "docs", 4) == 0 &&
         sscanf(l5, "features %zu", n_features) == 1;
    c->examples = examples;
    const char *p = ok ? l4 + 4 : NULL;
    for (int k = 0; ok && k < N_CLASSES; k++) {
        unsigned long long v;
        ok = *p++ == ' ' && parse_u64(&p, &v);
        c->docs[k] = v;
    }
    ok = ok && *p == '\0';
    free(l1);
    free(l2);
    free(l3);
    free(l4);
    free(l5);
    return ok;
}

dg_status dg_classifier_load_model(dg_classifier *c, const char *data, size_t len,
                                   dg_error *err)
{
    dg_classifier fresh = {0};
    size_t pos = 0, n_features = 0, lineno = 5;
    int ok = parse_model_header(&fresh, data, len, &pos, &n_features);
    for (size_t f = 0; ok && f < n_features; f++) {
        char *line = next_line(data, len, &pos);
        lineno++;
        ok = line && parse_feature_line(&fresh, line);
        free(line);
    }
    char *end = ok ? next_line(data, len, &pos) : NULL;
    ok = ok && end && strcmp(end, "end") == 0;
    free(end);
    if (!ok) {
        model_clear(&fresh);
        return dg_error_set(err, DG_ERR_CORRUPT, "classifier model: malformed at line %zu",
                            lineno + 1);
    }
    model_clear(c);
    c->features = fresh.features;
    c->n_features = fresh.n_features;
    c->cap_features = fresh.cap_features;
    c->slots = fresh.slots;
    c->n_slots = fresh.n_slots;
    memcpy(c->docs, fresh.docs, sizeof c->docs);
    memcpy(c->tokens, fresh.tokens, sizeof c->tokens);
    c->examples = fresh.examples;
    c->dirty = 1;
    return DG_OK;
}

dg_status dg_classifier_save_rules(const dg_classifier *c, char **out, dg_error *err)
{
    strbuf b = {0};
    sb_printf(&b, "dangan-rules 1\n");
    for (size_t i = 0; i < c->n_rules; i++) {
        const dg_rule *r = &c->rules[i];
        sb_printf(&b, "%.17g\t%s\t%s\t%s\n", r->weight, dg_class_name(r->category),
                  r->type == DG_TYPE_UNKNOWN ? "-" : dg_record_type_name(r->type), r->pattern);
    }
    return sb_finish(&b, out, NULL, err);
}

static dg_status parse_rule_line(dg_classifier *c, char *line, dg_error *err)
{
    char *fields[4];
    char *save = NULL, *p = line;
    for (int i = 0; i < 4; i++) {
        fields[i] = strtok_r(p, "\t", &save);
        p = NULL;
        if (!fields[i])
            return dg_error_set(err, DG_ERR_CORRUPT, "expected 4 tab-separated fields");
    }
    char *end;
    double weight = strtod(fields[0], &end);
    if (*end || end == fields[0])
        return dg_error_set(err, DG_ERR_CORRUPT, "bad weight \"%s\"", fields[0]);
    dg_class cat = dg_category_from_string(fields[1]);
    dg_record_type type = strcmp(fields[2], "-") == 0 ? DG_TYPE_UNKNOWN
                                                      : dg_record_type_from_string(fields[2]);
    if (cat == DG_CATEGORY_UNKNOWN || (type == DG_TYPE_UNKNOWN && strcmp(fields[2], "-") != 0))
        return dg_error_set(err, DG_ERR_CORRUPT, "unknown category or type \"%s/%s\"", fields[1],
                            fields[2]);
    dg_status st = dg_classifier_add_rule(c, fields[3], cat, type, weight, err);
    if (st != DG_OK && err)
        err->status = DG_ERR_CORRUPT;
    return st == DG_OK ? DG_OK : DG_ERR_CORRUPT;
}

dg_status dg_classifier_load_rules(dg_classifier *c, const char *text, size_t len,
                                   dg_error *err)
{
    dg_rule *old = c->rules;
    size_t old_n = c->n_rules, old_cap = c->cap_rules;
    c->rules = NULL;
    c->n_rules = c->cap_rules = 0;
    size_t pos = 0, lineno = 0;
    dg_status st = DG_OK;
    char *line = next_line(text, len, &pos);
    if (!line || strcmp(line, "dangan-rules 1") != 0)
        st = dg_error_set(err, DG_ERR_CORRUPT, "classifier rules: line 1: not a dangan rule set");
    for (lineno = 2; st == DG_OK && pos < len; lineno++) {
        free(line);
        line = next_line(text, len, &pos);
        if (line && *line && (st = parse_rule_line(c, line, err)) != DG_OK)
            dg_error_prefix(err, "classifier rules: line %zu: ", lineno);
    }
    free(line);
    if (st != DG_OK) {
        free(c->rules);
        c->rules = old;
        c->n_rules = old_n;
        c->cap_rules = old_cap;
        return st;
    }
    free(old);
    return DG_OK;
}

/* ---- explanation ----------------------------------------------------------------------- */

static void explain_feature_list(strbuf *b, const dg_feature_weight *top, size_t n)
{
    if (!n)
        sb_printf(b, " (none)");
    for (size_t i = 0; i < n; i++)
        sb_printf(b, "%s %s (%.2f)", i ? "," : "", top[i].feature, top[i].weight);
    sb_printf(b, "\n");
}

dg_status dg_classification_explain(const dg_classification *r, char **out, dg_error *err)
{
    strbuf b = {0};
    sb_printf(&b, "category: %s %s (%s), p=%.3f\n", dg_class_code(r->category),
              dg_class_name(r->category), dg_class_label(r->category),
              r->category_confidence);
    sb_printf(&b, "type: %s (%s), p=%.3f within the category\n", dg_record_type_name(r->type),
              dg_record_type_label(r->type), r->type_confidence);
    sb_printf(&b, "confidence: %.3f%s\n", r->confidence,
              r->confidence < DG_CLASSIFY_REVIEW_THRESHOLD ? " (below the default review threshold)" : "");
    sb_printf(&b, "probabilities:");
    for (int k = 0; k < DG_CATEGORY_COUNT; k++)
        sb_printf(&b, " %s=%.3f", dg_class_code((dg_class)k), r->category_probability[k]);
    sb_printf(&b, "\nrules fired (%zu):\n", r->n_rule_hits);
    for (size_t i = 0; i < r->n_rule_hits; i++) {
        const dg_rule *rule = &r->rule_hits[i].rule;
        sb_printf(&b, "  \"%s\" -> %s/%s weight %g%s\n", rule->pattern,
                  dg_class_code(rule->category),
                  rule->type == DG_TYPE_UNKNOWN ? "-" : dg_record_type_name(rule->type),
                  rule->weight, r->rule_hits[i].in_heading ? " (in heading, x2)" : "");
    }
    sb_printf(&b, "model features: %zu distinct, %zu known\n", r->n_features, r->n_known_features);
    for (int k = 0; k < DG_CATEGORY_COUNT; k++) {
        sb_printf(&b, "  %s:", dg_class_code((dg_class)k));
        explain_feature_list(&b, r->top_features[k], r->n_top_features[k]);
    }
    sb_printf(&b, "  type %s:", dg_record_type_name(r->type));
    explain_feature_list(&b, r->type_features, r->n_type_features);
    return sb_finish(&b, out, NULL, err);
}
