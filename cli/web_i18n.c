/*
 * web_i18n.c — the word table (one row per word: Simplified, Traditional, English) and
 * Accept-Language negotiation.
 */
#include "web_i18n.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const WORDS[W_COUNT][DG_LANG_COUNT] = {
    [W_APP] = {"档案室", "檔案室", "Records room"},
    [W_LOGIN] = {"登录", "登入", "Log in"},
    [W_LOGOUT] = {"退出", "登出", "Log out"},
    [W_LOGIN_NAME] = {"账号", "帳號", "Login"},
    [W_PASSWORD] = {"密码", "密碼", "Password"},
    [W_LOGIN_FAILED] = {"账号或密码不对。", "帳號或密碼不對。", "Wrong login or password."},
    [W_LOGIN_SLOW] = {"尝试次数过多，请 %d 秒后再试。", "嘗試次數過多，請 %d 秒後再試。",
                      "Too many attempts; try again in %d seconds."},
    [W_SEARCH] = {"检索", "檢索", "Search"},
    [W_CATEGORY] = {"类别", "類別", "Category"},
    [W_TYPE] = {"文件类型", "文件類型", "Record type"},
    [W_YEAR_FROM] = {"年度自", "年度自", "Year from"},
    [W_YEAR_TO] = {"至", "至", "to"},
    [W_PERIOD] = {"保管期限", "保管期限", "Retention period"},
    [W_LEVEL] = {"查阅权限", "查閱權限", "Access level"},
    [W_SORT] = {"排序", "排序", "Sort"},
    [W_SORT_RELEVANCE] = {"相关度", "相關度", "Relevance"},
    [W_SORT_DATE] = {"日期（新→旧）", "日期（新→舊）", "Date (newest first)"},
    [W_SORT_DATE_ASC] = {"日期（旧→新）", "日期（舊→新）", "Date (oldest first)"},
    [W_ANY] = {"全部", "全部", "Any"},
    [W_RESULTS] = {"共 %lld 件", "共 %lld 件", "%lld records"},
    [W_NO_RESULTS] = {"没有找到记录。", "沒有找到記錄。", "No records found."},
    [W_REFCODE] = {"档号", "檔號", "Reference code"},
    [W_TITLE] = {"题名", "題名", "Title"},
    [W_DATE] = {"日期", "日期", "Date"},
    [W_VERSION] = {"版本", "版本", "Version"},
    [W_PREV] = {"上一页", "上一頁", "Previous"},
    [W_NEXT] = {"下一页", "下一頁", "Next"},
    [W_REFINE] = {"筛选", "篩選", "Refine"},
    [W_YEAR] = {"年度", "年度", "Year"},
    [W_YEAR_PENDING] = {"待定", "待定", "To be confirmed"},
    [W_ALL_VERSIONS] = {"包括旧版本", "包括舊版本", "Include old versions"},
    [W_NOT_FOUND] = {"没有这件档案", "沒有這件檔案", "No such record"},
    [W_NOT_FOUND_TEXT] = {"没有档号为 %s 的档案。", "沒有檔號為 %s 的檔案。",
                          "There is no record %s."},
    [W_METADATA] = {"著录信息", "著錄資訊", "Description"},
    [W_DOC_NUMBER] = {"文号", "文號", "Document number"},
    [W_DEPARTMENT] = {"机构", "機構", "Department"},
    [W_PAGES] = {"页数", "頁數", "Pages"},
    [W_LOCATION] = {"存放位置", "存放位置", "Paper location"},
    [W_SECRECY] = {"密级标志", "密級標誌", "Secrecy mark"},
    [W_TEXT] = {"全文", "全文", "Text"},
    [W_VERSIONS] = {"版本历史", "版本歷史", "Versions"},
    [W_WHO] = {"修改人", "修改人", "By"},
    [W_WHEN] = {"时间", "時間", "When"},
    [W_WHY] = {"原因", "原因", "Why"},
    [W_HOLD] = {"冻结", "凍結", "On hold"},
    [W_PAPER_OUT] = {"纸质原件已借出", "紙本原件已借出", "Paper original out"},
    [W_PAGE_N] = {"第 %d 页", "第 %d 頁", "Page %d"},
    [W_NO_IMAGE] = {"此页没有图像视图。", "此頁沒有圖像檢視。", "This page has no image view."},
    [W_LOANS] = {"借阅", "借閱", "Loans"},
    [W_MY_LOANS] = {"我的借阅", "我的借閱", "My loans"},
    [W_LOAN_REQUEST] = {"申请借阅", "申請借閱", "Ask for a loan"},
    [W_PURPOSE] = {"借阅目的", "借閱目的", "Purpose"},
    [W_METHOD] = {"利用方式", "利用方式", "Method"},
    [W_DAYS] = {"天数", "天數", "Days"},
    [W_PENDING] = {"待审批的借阅申请", "待審批的借閱申請", "Loan requests waiting"},
    [W_LOAN_APPROVE] = {"批准借阅", "批准借閱", "Approve"},
    [W_LOAN_REFUSE] = {"不予批准", "不予批准", "Refuse"},
    [W_PAPER_LOANS] = {"纸质原件借出与归还", "紙本原件借出與歸還", "Paper originals out and back"},
    [W_BORROWER] = {"借阅人", "借閱人", "Borrower"},
    [W_UNIT] = {"单位", "單位", "Unit"},
    [W_ID_NUMBER] = {"证件号码", "證件號碼", "ID number"},
    [W_DUE] = {"应还日期", "應還日期", "Due"},
    [W_APPROVER] = {"批准人（账号）", "批准人（帳號）", "Approved by (login)"},
    [W_LEND] = {"借出", "借出", "Hand over"},
    [W_RETURN] = {"归还", "歸還", "Take back"},
    [W_CONDITION] = {"归还状况", "歸還狀況", "Condition"},
    [W_OVERDUE] = {"逾期未还", "逾期未還", "Overdue"},
    [W_LOAN_REGISTER] = {"借阅登记簿", "借閱登記簿", "Loan register"},
    [W_KIND] = {"类型", "類型", "Kind"},
    [W_PDF] = {"下载 PDF", "下載 PDF", "Download PDF"},
    [W_M_READ] = {"查阅", "查閱", "Read"},
    [W_M_COPY] = {"复制", "複製", "Copy"},
    [W_M_EXCERPT] = {"摘录", "摘錄", "Excerpt"},
    [W_M_LOAN] = {"外借", "外借", "Lend"},
    [W_LOAN_ASK_HERE] = {"如因工作需要查阅此档号，可申请借阅。",
                         "如因工作需要查閱此檔號，可申請借閱。",
                         "If your work needs this reference code, you may ask for a loan."},
    [W_NO_LOANS] = {"（无）", "（無）", "(none)"},
    [W_K_ELECTRONIC] = {"电子", "電子", "Electronic"},
    [W_K_PAPER] = {"纸质", "紙本", "Paper"},
    [W_S_PENDING] = {"待审批", "待審批", "Waiting for approval"},
    [W_S_REFUSED] = {"未获批准", "未獲批准", "Refused"},
    [W_S_APPROVED] = {"已批准", "已批准", "Approved"},
    [W_S_OUT] = {"已借出", "已借出", "Out"},
    [W_S_RETURNED] = {"已归还", "已歸還", "Returned"},
    [W_HAND_BACK] = {"提前归还", "提前歸還", "Hand back now"},
    [W_SUBJECT] = {"当事人", "當事人", "Subject person"},
    [W_SHEET_PREV] = {"‹ 上一张", "‹ 上一張", "‹ Previous sheet"},
    [W_SHEET_NEXT] = {"下一张 ›", "下一張 ›", "Next sheet ›"},
    [W_SHEET_NOTE] = {"原件以文件保存，此处为其文字排版（第 %d 张，共 %d 张）。",
                      "原件以檔案保存，此處為其文字排版（第 %d 張，共 %d 張）。",
                      "The original is kept as a file; this is its text laid out (sheet %d of %d)."},
    [W_OLD_VERSION] = {"这是旧版本。", "這是舊版本。", "This is an older version."},
    [W_CURRENT] = {"当前", "目前", "current"},
    [W_LOG] = {"查阅登记", "查閱登記", "Access log"},
    [W_USER] = {"用户", "使用者", "User"},
    [W_ACTION] = {"操作", "操作", "Action"},
    [W_SINCE] = {"起", "起", "From"},
    [W_UNTIL] = {"止", "止", "Until"},
    [W_FILTER] = {"筛选", "篩選", "Filter"},
    [W_CSV] = {"下载 CSV", "下載 CSV", "Download CSV"},
    [W_OUTCOME] = {"结果", "結果", "Outcome"},
    [W_ORIGIN] = {"来源", "來源", "From"},
    [W_DETAIL] = {"详情", "詳情", "Detail"},
    [W_LOG_OK] = {"登记链完整：%lld 条，均已核验。", "登記鏈完整：%lld 條，均已核驗。",
                  "The log verifies: %lld entries checked."},
    [W_LOG_BROKEN] = {"登记链核验失败：", "登記鏈核驗失敗：", "The log does not verify: "},
    [W_RECORD_ARG] = {"档号", "檔號", "Record"},
    [W_REVIEW] = {"分类审核", "分類審核", "Review queue"},
    [W_ACCEPT] = {"确认", "確認", "Accept"},
    [W_REASON] = {"理由", "理由", "Reason"},
    [W_CONFIDENCE] = {"置信度", "置信度", "Confidence"},
    [W_REVIEW_EMPTY] = {"没有待审核的档案。", "沒有待審核的檔案。", "Nothing waits for review."},
    [W_ACCEPTED] = {"已确认 %s。", "已確認 %s。", "Accepted %s."},
    [W_RETENTION] = {"鉴定销毁", "鑑定銷毀", "Retention"},
    [W_REVIEW_OF] = {"%d 年度鉴定", "%d 年度鑑定", "Review of %d"},
    [W_APPROVE] = {"批准销毁清册", "批准銷毀清冊", "Approve the destruction list"},
    [W_WITNESS] = {"监销签字", "監銷簽字", "Sign as witness"},
    [W_CONFIRM_PASSWORD] = {"请再次输入您的密码以签署", "請再次輸入您的密碼以簽署",
                            "Enter your password again to sign"},
    [W_STATE] = {"状态", "狀態", "State"},
    [W_DECISION] = {"鉴定结论", "鑑定結論", "Decision"},
    [W_SIGNED] = {"已签字（共 %d 人）。", "已簽字（共 %d 人）。", "Signed (%d signatures)."},
    [W_APPROVED] = {"已批准。", "已批准。", "Approved."},
    [W_ITEMS] = {"条目", "條目", "Items"},
    [W_ME] = {"我的", "我的", "Me"},
    [W_CHANGE_PASSWORD] = {"修改密码", "修改密碼", "Change password"},
    [W_CURRENT_PASSWORD] = {"当前密码", "目前密碼", "Current password"},
    [W_NEW_PASSWORD] = {"新密码", "新密碼", "New password"},
    [W_REPEAT] = {"再输一次", "再輸一次", "Again"},
    [W_PASSWORD_CHANGED] = {"密码已修改，请重新登录。", "密碼已修改，請重新登入。",
                            "Password changed; log in again."},
    [W_PASSWORDS_DIFFER] = {"两次输入的新密码不同。", "兩次輸入的新密碼不同。",
                            "The two new passwords differ."},
    [W_MY_ACTIVITY] = {"我的近期操作", "我的近期操作", "My recent activity"},
    [W_WRONG_PASSWORD] = {"密码不对。", "密碼不對。", "Wrong password."},
    [W_UPLOAD] = {"上传批次", "上傳批次", "Upload a batch"},
    [W_UPLOAD_FILES] = {"文件（最多 50 个，共 64 MiB）", "檔案（最多 50 個，共 64 MiB）",
                        "Files (at most 50, 64 MiB in all)"},
    [W_MANIFEST_OPT] = {"清单 CSV（可选）", "清單 CSV（可選）", "Manifest CSV (optional)"},
    [W_UPLOAD_RUNNING] = {"正在归档……", "正在歸檔……", "Filing…"},
    [W_UPLOAD_EMPTY] = {"没有选择文件。", "沒有選擇檔案。", "No files were chosen."},
    [W_UPLOAD_DONE] = {"归档完成", "歸檔完成", "Filed"},
    [W_REFRESH] = {"刷新", "重新整理", "Refresh"},
    [W_FILE] = {"文件", "檔案", "File"},
    [W_BATCHES] = {"批次", "批次", "Batches"},
    [W_QUARANTINE] = {"隔离区", "隔離區", "Quarantine"},
    [W_REGISTER] = {"销毁清册", "銷毀清冊", "Destruction register"},
    [W_FORECAST] = {"到期预测", "到期預測", "Falling due"},
    [W_DONE] = {"已完成。", "已完成。", "Done."},
    [W_CORRECT] = {"更正", "更正", "Correct"},
    [W_DESTROY] = {"销毁", "銷毀", "destroy"},
    [W_EXTEND] = {"延期 N 年", "延期 N 年", "extend by N years"},
    [W_PERMANENT] = {"改为永久", "改為永久", "keep permanently"},
    [W_APPRAISE] = {"鉴定", "鑑定", "Appraise"},
    [W_DESTROY_RUN] = {"执行销毁", "執行銷毀", "Carry out the destruction"},
    [W_ERROR] = {"出错了", "出錯了", "Something went wrong"},
    [W_FORBIDDEN] = {"无权进行此操作。", "無權進行此操作。", "You may not do this."},
    [W_BAD_FORM] = {"表单已过期，请重试。", "表單已過期，請重試。",
                    "The form has expired; please try again."},
    [W_TOO_LARGE] = {"请求过大。", "請求過大。", "The request is too large."},
    [W_SIGNED_IN_AS] = {"当前用户", "目前使用者", "Signed in as"},
    [W_SESSION_ENDED] = {"会话已结束，请重新登录。", "工作階段已結束，請重新登入。",
                         "Your session has ended; please log in again."},
};

const char *dg_web_t(dg_web_lang lang, dg_web_word word)
{
    if ((unsigned)lang >= DG_LANG_COUNT)
        lang = DG_LANG_HANS;
    const char *s = (unsigned)word < W_COUNT ? WORDS[word][lang] : NULL;
    return s ? s : "?";
}

static const char *const TAGS[DG_LANG_COUNT] = {"zh-Hans", "zh-Hant", "en"};

const char *dg_web_lang_tag(dg_web_lang lang)
{
    return TAGS[(unsigned)lang < DG_LANG_COUNT ? lang : DG_LANG_HANS];
}

int dg_web_lang_parse(const char *tag)
{
    for (int i = 0; tag && i < DG_LANG_COUNT; i++)
        if (!strcmp(tag, TAGS[i]))
            return i;
    return -1;
}

/* Ours for one language range ("zh-TW", "en-GB", "*"), or -1. */
static int range_language(const char *range, size_t len)
{
    if (len >= 2 && !strncasecmp(range, "en", 2) && (len == 2 || range[2] == '-'))
        return DG_LANG_EN;
    if (len < 2 || strncasecmp(range, "zh", 2) || (len > 2 && range[2] != '-'))
        return -1;
    static const char *const traditional[] = {"-tw", "-hk", "-mo", "-hant"};
    for (size_t i = 0; i < sizeof traditional / sizeof traditional[0]; i++) {
        size_t n = strlen(traditional[i]);
        if (len >= 2 + n && !strncasecmp(range + 2, traditional[i], n))
            return DG_LANG_HANT;
    }
    return DG_LANG_HANS;
}

dg_web_lang dg_web_lang_negotiate(const char *header)
{
    int best = DG_LANG_HANS;
    double best_q = 0;
    for (const char *p = header; p && *p;) {
        p += strspn(p, " \t,");
        size_t len = strcspn(p, ",; \t");
        const char *params = p + len, *end = p + strcspn(p, ",");
        double q = 1;
        const char *qp = strstr(params, "q=");
        if (qp && qp < end)
            q = strtod(qp + 2, NULL);
        int lang = range_language(p, len);
        if (lang >= 0 && q > best_q) {
            best = lang;
            best_q = q;
        }
        p = *end ? end + 1 : end;
    }
    return (dg_web_lang)best;
}

/* Facets name a category by its code, records by its key: both are understood. */
static const struct {
    const char *code, *key;
    const char *name[DG_LANG_COUNT];
} CATEGORIES[] = {
    {"XZ", "administrative", {"行政管理类", "行政管理類", "Administrative"}},
    {"RS", "personnel", {"人事类", "人事類", "Personnel"}},
    {"CW", "finance", {"财务类", "財務類", "Finance"}},
    {"ZC", "asset", {"资产类", "資產類", "Assets"}},
    {"HD", "activity", {"活动类", "活動類", "Activities"}},
};

const char *dg_web_category(dg_web_lang lang, const char *code)
{
    for (size_t i = 0; code && i < sizeof CATEGORIES / sizeof CATEGORIES[0]; i++)
        if (!strcmp(CATEGORIES[i].code, code) || !strcmp(CATEGORIES[i].key, code))
            return CATEGORIES[i].name[(unsigned)lang < DG_LANG_COUNT ? lang : 0];
    return code ? code : "";
}

static const char *const LEVELS[5][DG_LANG_COUNT] = {
    {"公开", "公開", "public"},
    {"内部", "內部", "internal"},
    {"限制", "限制", "restricted"},
    {"秘密级", "秘密級", "confidential"},
    {"机密级", "機密級", "secret"},
};

const char *dg_web_level(dg_web_lang lang, int level)
{
    if (level < 0 || level > 4)
        return "?";
    return LEVELS[level][(unsigned)lang < DG_LANG_COUNT ? lang : 0];
}

const char *dg_web_period(dg_web_lang lang, const char *code)
{
    static const char *const names[3][DG_LANG_COUNT] = {
        {"永久", "永久", "permanent"}, {"30年", "30年", "30 years"}, {"10年", "10年", "10 years"}};
    static const char *const codes[3] = {"Y", "D30", "D10"};
    for (int i = 0; code && i < 3; i++)
        if (!strcmp(code, codes[i]))
            return names[i][(unsigned)lang < DG_LANG_COUNT ? lang : 0];
    return code ? code : "";
}
