/*
 * web_i18n.h — the web interface's words in Simplified Chinese (the default), Traditional
 * Chinese and English, and the choice among them: a "lang" cookie the user set with the
 * page's language links, else the browser's Accept-Language, else Simplified Chinese.
 * Strings are the program's own (trusted markup-free text; a few are printf formats whose
 * arguments the caller names).
 */
#ifndef DG_WEB_I18N_H
#define DG_WEB_I18N_H

typedef enum { DG_LANG_HANS, DG_LANG_HANT, DG_LANG_EN, DG_LANG_COUNT } dg_web_lang;

typedef enum {
    W_APP, W_LOGIN, W_LOGOUT, W_LOGIN_NAME, W_PASSWORD, W_LOGIN_FAILED, W_LOGIN_SLOW,
    W_SEARCH, W_CATEGORY, W_TYPE, W_YEAR_FROM, W_YEAR_TO, W_PERIOD, W_LEVEL, W_SORT,
    W_SORT_RELEVANCE, W_SORT_DATE, W_SORT_DATE_ASC, W_ANY, W_RESULTS, W_NO_RESULTS,
    W_REFCODE, W_TITLE, W_DATE, W_VERSION, W_PREV, W_NEXT, W_REFINE, W_YEAR, W_YEAR_PENDING, W_ALL_VERSIONS,
    W_NOT_FOUND, W_NOT_FOUND_TEXT, W_METADATA, W_DOC_NUMBER, W_DEPARTMENT, W_PAGES, W_LOCATION,
    W_SECRECY, W_TEXT, W_VERSIONS, W_WHO, W_WHEN, W_WHY, W_HOLD, W_PAPER_OUT, W_PAGE_N, W_NO_IMAGE,
    W_SHEET_PREV, W_SHEET_NEXT, W_SHEET_NOTE, W_SUBJECT,
    W_LOANS, W_MY_LOANS, W_LOAN_REQUEST, W_PURPOSE, W_METHOD, W_DAYS, W_PENDING, W_LOAN_APPROVE,
    W_LOAN_REFUSE, W_PAPER_LOANS, W_BORROWER, W_UNIT, W_ID_NUMBER, W_DUE, W_APPROVER, W_LEND,
    W_RETURN, W_CONDITION, W_OVERDUE, W_LOAN_REGISTER, W_KIND, W_PDF, W_M_READ, W_M_COPY,
    W_M_EXCERPT, W_M_LOAN, W_LOAN_ASK_HERE, W_NO_LOANS, W_K_ELECTRONIC, W_K_PAPER,
    W_S_PENDING, W_S_REFUSED, W_S_APPROVED, W_S_OUT, W_S_RETURNED, W_HAND_BACK,
    W_OLD_VERSION, W_CURRENT,
    W_LOG, W_USER, W_ACTION, W_SINCE, W_UNTIL, W_FILTER, W_CSV, W_OUTCOME, W_ORIGIN, W_DETAIL,
    W_LOG_OK, W_LOG_BROKEN, W_RECORD_ARG,
    W_REVIEW, W_ACCEPT, W_REASON, W_CONFIDENCE, W_REVIEW_EMPTY, W_ACCEPTED,
    W_RETENTION, W_REVIEW_OF, W_APPROVE, W_WITNESS, W_CONFIRM_PASSWORD, W_STATE, W_DECISION,
    W_SIGNED, W_APPROVED, W_ITEMS,
    W_ME, W_CHANGE_PASSWORD, W_CURRENT_PASSWORD, W_NEW_PASSWORD, W_REPEAT, W_PASSWORD_CHANGED,
    W_PASSWORDS_DIFFER, W_MY_ACTIVITY, W_WRONG_PASSWORD,
    W_BATCHES, W_QUARANTINE, W_REGISTER, W_FORECAST, W_DONE, W_CORRECT, W_DESTROY, W_EXTEND,
    W_PERMANENT, W_APPRAISE, W_DESTROY_RUN,
    W_UPLOAD, W_UPLOAD_FILES, W_MANIFEST_OPT, W_UPLOAD_RUNNING, W_UPLOAD_EMPTY, W_UPLOAD_DONE, W_FILE, W_REFRESH,
    W_ERROR, W_FORBIDDEN, W_BAD_FORM, W_TOO_LARGE, W_SIGNED_IN_AS, W_SESSION_ENDED,
    W_COUNT
} dg_web_word;

/* The word in lang. Never NULL. */
const char *dg_web_t(dg_web_lang lang, dg_web_word word);

/* The BCP 47 tag for <html lang>: "zh-Hans", "zh-Hant", "en". */
const char *dg_web_lang_tag(dg_web_lang lang);

/* A language named by a cookie or link value ("zh-Hans", "zh-Hant", "en"); -1 if none. */
int dg_web_lang_parse(const char *tag);

/*
 * The best language for an Accept-Language header (NULL: none): the first of its ranges,
 * by q-value, that names one of ours. zh-TW, zh-HK, zh-MO and zh-Hant are Traditional;
 * other zh Simplified; en English. Nothing usable: Simplified Chinese.
 */
dg_web_lang dg_web_lang_negotiate(const char *accept_language);

/* A category's name by its code or key ("CW" or "finance" -> 财务类 / 財務類 / Finance);
 * the text itself if unknown. */
const char *dg_web_category(dg_web_lang lang, const char *code);
/* An access level's name (0..4). */
const char *dg_web_level(dg_web_lang lang, int level);
/* A retention period code's name ("Y", "D30", "D10"). */
const char *dg_web_period(dg_web_lang lang, const char *code);

#endif
