/*
 * extract.h — metadata extraction from a record's text (usually OCR output).
 *
 * Ingest calls dg_extract_metadata() on each record's full text after OCR and before
 * classification; the engine stores what it finds as the record's first metadata version,
 * and the archivist corrects it in review. Every field says where it came from (source
 * "text"), how sure the extractor is (confidence in [0,1]) and which bytes of the input it
 * was read from (start/end, so a viewer can highlight them).
 *
 * OCR text is noisy, so the extractor tolerates stray spaces between the parts of a date or
 * document number, full-width digits and brackets, and the usual confusions between 〇, ○,
 * 零, the letter O and the digit 0 in years.
 *
 * What is extracted:
 *   - the document date, in ISO form YYYY-MM-DD, from 2024年3月12日, 2024-03-12, 2024.3.12,
 *     2024/3/12, 二〇二四年三月十二日, 12 March 2024, March 12, 2024, 12 Mar 2024,
 *     21/06/2023, 21.6.2023, 6/21/23; and Minguo (Republic of China) dates, year + 1911:
 *     中華民國112年6月21日, 民國112年…, 中华民国…, 中華民國一一二年六月二十一日, and a bare
 *     112年6月21日, 112.6.21 or 112/6/21 when the record points to Taiwan (民國 anywhere, or
 *     traditional script with a …字第…號 number, a Taiwan city or county, or 112學年度);
 *   - the document number (发文字号): mainland numbers normalised to 校办〔2024〕12号,
 *     Taiwan numbers as written (府教學字第1120001234號, 臺教高(二)字第1120012345號), Hong
 *     Kong and English references from their label (Our Ref.: EDB(SCH)/ADM/1/23, 檔號：…,
 *     never "Your Ref."). A number the record only cites is never taken: in brackets or 《》
 *     (根据《…》(某教发〔2023〕5号)), after 根据/依據 on its line, followed by 函/令/文, or
 *     inside a running sentence;
 *   - the title: a labelled one (主旨：, with a Taiwan 函's closing 「，請查照。」 and other
 *     request clauses cut, and a 簽's 「擬…」 proposal without the terms after it; 事由：,
 *     開會事由：, 標題：, 标题：, Subject:, Re:), a 令's one sentence under its header fields
 *     (never its 附… attachment line), the 关于……的通知
 *     line, a short line naming a kind of document (会议纪要, 实施计畫), a letter's subject
 *     line under its salutation, or the first heading-like line. Letterheads (the issuer
 *     alone or with 函/公告 beside it), addressee lines (各部门：, 受文者：, Dear …,), date
 *     lines, a 公文's header fields even without their colon (速別, 密等…, 檔號, 保存年限),
 *     attachment lines and numbered section headings (一、, (一), 1., 第一條) are never titles;
 *   - the issuing department (label, signature block, or header — not 受文者);
 *   - the secrecy mark (秘密/机密/绝密, with ★ and a period in years), and the "internal"
 *     marking, which is not a state secret level.
 *
 * Choosing the document date when the text holds several dates: Chinese official
 * documents (GB/T 9704) put the date of issue (成文日期) alone on a line at the end,
 * under the issuing body; body text mentions deadlines and effective dates that are not
 * the document's date; memos, minutes and Taiwan 函 put it on a labelled header line
 * ("Date:", "时间：", "發文日期："), letters near the top. So each candidate is scored: a
 * date alone on its line (or after only a department name) scores highest, then a
 * labelled date (the label opening its line), then one in the last third or the first
 * lines of the text; a date inside a running sentence scores lowest. Ties go to the later
 * date, which is the signature in a notice. See date_candidate_score() in extract.c.
 *
 * Plausibility: a date before 1900 or after next year (read from the clock) is no date.
 * Day-month order of 7/5/2023: a first number over 12 is the day, a second over 12 the
 * month; otherwise day first (Hong Kong, Britain, most of the world) unless the record
 * writes month first elsewhere (a 6/21/23, or "June 21, 2023" more often than "21 June").
 *
 * The module is pure: no global state, no allocation that outlives a call; it reads the
 * clock only for the plausibility bound.
 */
#ifndef DG_EXTRACT_H
#define DG_EXTRACT_H

#include <stddef.h>

#include "../base/status.h"

/* Long enough for a long two-line Chinese title (about 150 characters). */
#define DG_FIELD_MAX 512

/* One extracted value. found == 0 means nothing was extracted (value is ""). */
typedef struct dg_field {
    int found;
    char value[DG_FIELD_MAX]; /* UTF-8, NUL-terminated, normalised */
    double confidence;        /* in [0,1]; 0 when not found */
    const char *source;       /* "text" when found (the record's own text), else NULL */
    size_t start, end;        /* byte span in the input text the value was read from */
} dg_field;

/* Secrecy markings, in rising order. INTERNAL (内部) is not a state secret level. */
typedef enum dg_secrecy_level {
    DG_SECRECY_NONE = 0,
    DG_SECRECY_INTERNAL, /* 内部, 内部资料, "Internal", "For internal use only" */
    DG_SECRECY_SECRET,   /* 秘密 (max period 10 years) */
    DG_SECRECY_CONFIDENTIAL, /* 机密 (max period 20 years) */
    DG_SECRECY_TOP_SECRET    /* 绝密 (max period 30 years) */
} dg_secrecy_level;

typedef struct dg_metadata {
    dg_field date;       /* "2024-03-12" */
    int year, month, day; /* the same date as numbers; 0 when not found */
    dg_field doc_number; /* "校办〔2024〕12号" */
    dg_field title;
    dg_field department; /* "财务处", "校长办公室", "Finance Office" */
    dg_field secrecy;    /* the mark as normalised text, e.g. "秘密★5年", "内部" */
    dg_secrecy_level secrecy_level;
    int secrecy_years;   /* the marked period in years; 0 when the mark gives none */
} dg_metadata;

/*
 * Extracts every field from text (UTF-8, len bytes; need not be NUL-terminated). Fields
 * that are absent have found == 0. Fails only on bad arguments (DG_ERR_USAGE).
 */
dg_status dg_extract_metadata(const char *text, size_t len, dg_metadata *out, dg_error *err);

/* The single extractors behind dg_extract_metadata(); each clears *out first. */
void dg_extract_date(const char *text, size_t len, dg_field *out, int *year, int *month,
                     int *day);
void dg_extract_doc_number(const char *text, size_t len, dg_field *out);
void dg_extract_title(const char *text, size_t len, dg_field *out);
void dg_extract_department(const char *text, size_t len, dg_field *out);
void dg_extract_secrecy(const char *text, size_t len, dg_field *out, dg_secrecy_level *level,
                        int *years);

/*
 * Parses exactly one date written in any supported form (surrounding spaces allowed) into
 * y/m/d: 中華民國112年6月21日 is 2023-06-21; a bare 112年6月21日 is not a date here (a lone
 * string has no evidence of Taiwan); 21/06/2023 is day first. Returns 1 on success, 0 when
 * s is not one plausible calendar date (see "Plausibility" above).
 */
int dg_parse_date(const char *s, size_t len, int *year, int *month, int *day);

/*
 * The access level (BRIEF "Access levels", 0..4) that a secrecy mark raises a record to,
 * at least. dangan's default mapping:
 *   none → 0 (no raise), 内部/internal → 1 (internal: all staff, not a state secret),
 *   秘密 → 3 (confidential: school leadership),
 *   机密 and 绝密 → 4 (secret: named persons only, explicit grants).
 * 秘密 is the lowest state-secret level and leadership may read it; 机密 and 绝密 need a
 * named need-to-know list, which is exactly what level 4's per-record grants are. The
 * engine only ever raises a level with this value, never lowers one.
 */
int dg_secrecy_access_level(dg_secrecy_level level);

/* The legal maximum (and default, when a mark gives none) period in years: 10, 20, 30; 0
 * for NONE and INTERNAL. */
int dg_secrecy_default_years(dg_secrecy_level level);

/* A short stable English name: "none", "internal", "secret", "confidential", "top_secret". */
const char *dg_secrecy_name(dg_secrecy_level level);

/* The formation year (年度) of a record from its ISO date "YYYY-MM-DD"; 0 when the date
 * is absent or malformed. The caller falls back to the batch's year. */
int dg_formation_year(const char *iso_date);

#endif
