/*
 * bench/corpus.h — a deterministic generator of one-page administrative records and the
 * fixed query mix, shared by bench/search.c (dangan's index) and bench/raw_xapian.cc.
 * Record i is always the same text, so both benchmarks see one corpus.
 */
#ifndef DG_BENCH_CORPUS_H
#define DG_BENCH_CORPUS_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

static const char *const BENCH_CATEGORIES[] = {"XZ", "RS", "CW", "ZC", "HD"};
static const char *const BENCH_PERIODS[] = {"Y", "D30", "D10"};

static const char *const BENCH_DEPTS[] = {"校办", "教务处", "财务处", "人事处", "后勤处",
                                          "學生處", "圖書館", "總務處"};
static const char *const BENCH_SUBJECTS[] = {
    "寒假安排", "开学工作", "经费预算", "资产清查", "教师培训", "档案管理", "安全检查",
    "招生計劃", "會議紀要", "設備採購", "年度考核", "校園活動", "報銷憑證", "合同審批"};
static const char *const BENCH_SENTENCES[] = {
    "根据上级有关文件精神，结合我校实际情况，现将有关事项通知如下。",
    "各部门要高度重视，认真组织，确保各项工作落到实处。",
    "請各單位於本月底前將材料報送辦公室，逾期不予受理。",
    "会议听取了关于经费使用情况的汇报，并对下一阶段工作进行了部署。",
    "The committee reviewed the annual budget report and approved the plan.",
    "All departments shall submit their training records before the deadline.",
    "本次資產清查範圍包括全校固定資產及低值易耗品。",
    "学校将组织专项检查，对发现的问题限期整改。",
    "Reimbursement vouchers must be signed by the head of the department.",
    "请全体教职工遵照执行，如有疑问请与校办联系。",
    "會議決定成立工作小組，由分管校領導任組長。",
    "Minutes of the meeting were recorded by the office and filed in the archive.",
};
#define BENCH_N(a) (sizeof(a) / sizeof((a)[0]))

static const char *const BENCH_QUERIES[] = {
    "经费预算", "檔案管理", "budget report", "\"年度考核\"", "title:会议纪要", "12号",
    "校办〔2021〕12号", "training records", "资产 清查 2022", "合同审批 OR 设备采购",
};
#define BENCH_N_QUERIES BENCH_N(BENCH_QUERIES)

/*
 * The same queries as dangan hands them to Xapian's QueryParser after folding (traditional
 * to simplified) and rewriting (document numbers and words glued to digits become phrases),
 * for bench/raw_xapian: so the raw baseline matches the same documents.
 */
static const char *const BENCH_QUERIES_AS_PARSED[] = {
    "经费预算", "档案管理", "budget report", "\"年度考核\"", "title:会议纪要", "\"12号\"",
    "\"校办 2021 12号\"", "training records", "资产 清查 2022", "合同审批 OR 设备采购",
};

static inline uint64_t bench_mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

/* Fills one record's fields; body is about one page (600-900 characters). */
static inline void bench_record(int i, char *title, size_t title_size, char *number, size_t number_size,
                         char *body, size_t body_size, char *ref, size_t ref_size, int *year,
                         int *level)
{
    uint64_t r = bench_mix((uint64_t)i + 1);
    const char *dept = BENCH_DEPTS[r % BENCH_N(BENCH_DEPTS)];
    const char *subject = BENCH_SUBJECTS[(r >> 8) % BENCH_N(BENCH_SUBJECTS)];
    *year = 2015 + (int)((r >> 16) % 10);
    *level = (int)((r >> 24) % 5);
    snprintf(title, title_size, "关于%d年%s的通知", *year, subject);
    snprintf(number, number_size, "%s〔%d〕%d号", dept, *year, (int)((r >> 32) % 60) + 1);
    snprintf(ref, ref_size, "X001-%s·%d-D30-%04d", BENCH_CATEGORIES[i % 5], *year, i % 10000);
    size_t len = (size_t)snprintf(body, body_size, "%s：%s。", dept, subject);
    for (int s = 0; s < 14 && len + 200 < body_size; s++) {
        uint64_t k = bench_mix(r + (uint64_t)s);
        len += (size_t)snprintf(body + len, body_size - len, "%s%s",
                                BENCH_SENTENCES[k % BENCH_N(BENCH_SENTENCES)],
                                k % 7 == 0 ? "\n" : "");
    }
}

#endif
